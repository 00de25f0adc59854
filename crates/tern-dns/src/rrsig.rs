//! DNSSEC record types as the snapshot files them: signatures grouped by
//! the type they cover, read from the first two octets of the wire RDATA
//! (RFC 4034 §3.1) rather than the typed variant, which the snapshot never
//! needs: it keeps wire form only.

use tern_core::RecordType;

pub(crate) const RRSIG: RecordType = RecordType::RRSIG;
pub(crate) const NSEC: RecordType = RecordType::NSEC;
pub(crate) const NSEC3: RecordType = RecordType::NSEC3;
pub(crate) const NSEC3PARAM: RecordType = RecordType::NSEC3PARAM;

/// The type an RRSIG covers; `None` for RDATA too short to be one.
pub(crate) fn type_covered(rdata: &[u8]) -> Option<RecordType> {
    match rdata {
        [a, b, ..] => Some(RecordType(u16::from_be_bytes([*a, *b]))),
        _ => None,
    }
}

/// The RRSIGs over one RRset, with their TTL (RFC 4034 §3: the RRset's).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Signatures {
    /// `None` inherits the zone default, as for the RRset.
    pub ttl: Option<u32>,
    /// Uncompressed wire RDATA, one per RRSIG.
    pub rdatas: Vec<Vec<u8>>,
}

impl Signatures {
    /// Adds one RRSIG; false when it was there already.
    pub(crate) fn add(&mut self, ttl: Option<u32>, rdata: Vec<u8>) -> bool {
        self.ttl = ttl;
        if self.rdatas.contains(&rdata) {
            return false;
        }
        self.rdatas.push(rdata);
        true
    }

    /// Removes one RRSIG; false when it was not there.
    pub(crate) fn remove(&mut self, rdata: &[u8]) -> bool {
        match self.rdatas.iter().position(|r| r == rdata) {
            Some(i) => {
                self.rdatas.remove(i);
                true
            }
            None => false,
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.rdatas.is_empty()
    }
}

/// The signatures at one name over one type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SigSet {
    pub covered: RecordType,
    pub sigs: Signatures,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_type_covered() {
        assert_eq!(type_covered(&[0, 1, 13, 2]), Some(RecordType::A));
        assert_eq!(type_covered(&[0, 50]), Some(NSEC3));
        assert_eq!(type_covered(&[0]), None);
    }

    #[test]
    fn adds_each_signature_once() {
        let mut sigs = Signatures::default();
        assert!(sigs.add(Some(300), vec![0, 1, 9]));
        assert!(!sigs.add(Some(300), vec![0, 1, 9]));
        assert!(sigs.remove(&[0, 1, 9]));
        assert!(!sigs.remove(&[0, 1, 9]));
        assert!(sigs.is_empty());
    }
}
