//! The NSEC chain of a zone signed with NSEC (RFC 4035): the owners that
//! hold an NSEC record, in canonical order (RFC 4034 §6.1), so a denial
//! finds the NSEC whose span holds a missing name without a scan. The NSEC
//! RRsets themselves are ordinary data of their nodes.

use tern_core::Name;

use crate::chain::SortedChain;

#[derive(Debug, Clone, Default)]
pub(crate) struct NsecChain {
    owners: SortedChain<Vec<u8>, Name>,
}

/// A byte string whose order is the canonical name order: labels from the
/// right, each ended by 00 00, with an octet 00 inside a label written
/// 00 FF, so a label sorts before its extensions even when they start with
/// a zero octet.
pub(crate) fn canonical_key(name: &Name) -> Vec<u8> {
    let mut key = Vec::with_capacity(name.wire_len() + 2);
    for label in name.labels().iter().rev() {
        for &octet in label {
            key.push(octet);
            if octet == 0 {
                key.push(0xff);
            }
        }
        key.extend_from_slice(&[0, 0]);
    }
    key
}

impl NsecChain {
    pub(crate) fn insert(&mut self, owner: &Name) {
        self.owners.insert(canonical_key(owner), owner.clone());
    }

    pub(crate) fn remove(&mut self, owner: &Name) {
        self.owners.remove(canonical_key(owner).as_slice());
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.owners.is_empty()
    }

    /// The owner of the NSEC that matches `name`, or whose span (owner to
    /// next name) holds it; the last owner's span wraps round to the apex.
    pub(crate) fn covering(&self, name: &Name) -> Option<&Name> {
        self.owners
            .floor_circular(canonical_key(name).as_slice())
            .map(|(_, owner)| owner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(text: &str) -> Name {
        Name::parse_absolute(text).expect("name")
    }

    /// RFC 4034 §6.1's example, in its canonical order.
    #[test]
    fn keys_sort_in_canonical_order() {
        let ordered = [
            "example.",
            "a.example.",
            "yljkjljk.a.example.",
            "z.a.example.",
            "zabc.a.example.",
            "z.example.",
            "\\001.z.example.",
            "*.z.example.",
            "\\200.z.example.",
        ];
        let keys: Vec<Vec<u8>> = ordered.iter().map(|n| canonical_key(&name(n))).collect();
        let mut sorted = keys.clone();
        sorted.sort();
        assert_eq!(keys, sorted);
        // A zero octet inside a label sorts after the label's end.
        assert!(canonical_key(&name("a.example.")) < canonical_key(&name("a\\000.example.")));
        assert!(canonical_key(&name("a\\000.example.")) < canonical_key(&name("a\\001.example.")));
    }

    #[test]
    fn finds_the_covering_owner() {
        let mut chain = NsecChain::default();
        for owner in ["example.", "a.example.", "d.example.", "x.d.example."] {
            chain.insert(&name(owner));
        }
        let cover =
            |chain: &NsecChain, n: &str| chain.covering(&name(n)).map(|o| o.as_str().to_string());
        assert_eq!(
            cover(&chain, "a.example.").as_deref(),
            Some("a.example."),
            "matching"
        );
        assert_eq!(cover(&chain, "b.example.").as_deref(), Some("a.example."));
        assert_eq!(cover(&chain, "b.a.example.").as_deref(), Some("a.example."));
        assert_eq!(cover(&chain, "e.d.example.").as_deref(), Some("d.example."));
        assert_eq!(
            cover(&chain, "z.example.").as_deref(),
            Some("x.d.example."),
            "the last span wraps"
        );
        chain.remove(&name("a.example."));
        assert_eq!(cover(&chain, "b.example.").as_deref(), Some("example."));
        assert!(!chain.is_empty());
    }
}
