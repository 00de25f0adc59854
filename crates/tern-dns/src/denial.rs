//! Denial of existence in answers to DO queries, from the chains in the
//! snapshot: NSEC3 proofs (RFC 5155 §7.2) when the zone has the chain its
//! NSEC3PARAM names, NSEC proofs (RFC 4035 §3.1.3) when it is signed with
//! NSEC, nothing for an unsigned zone. Each record goes with its RRSIGs,
//! and none is written twice (the parts of a proof, or the hops of a CNAME
//! chain, often need the same one).

use tern_core::Name;

use crate::nsec3::{Nsec3Entry, Nsec3View};
use crate::rrsig::{NSEC, NSEC3};
use crate::signatures::{push_set, push_sigs};
use crate::snapshot::ZoneSnapshot;
use crate::wire::Rr;

pub(crate) struct Denial<'z> {
    zone: &'z ZoneSnapshot,
    dnssec_ok: bool,
    nsec3: Option<Nsec3View<'z>>,
    /// Owners of the NSEC3/NSEC records already in the response.
    added: Vec<&'z Name>,
}

impl<'z> Denial<'z> {
    pub(crate) fn new(zone: &'z ZoneSnapshot, dnssec_ok: bool) -> Denial<'z> {
        Denial {
            zone,
            dnssec_ok,
            nsec3: if dnssec_ok { zone.nsec3() } else { None },
            added: Vec::new(),
        }
    }

    /// NXDOMAIN for `name`, whose closest encloser is `encloser`: the
    /// closest-encloser proof and the cover of the wildcard that would
    /// have answered (RFC 5155 §7.2.2; RFC 4035 §3.1.3.2).
    pub(crate) fn nxdomain(&mut self, out: &mut Vec<Rr>, name: &Name, encloser: &Name) {
        if !self.dnssec_ok {
            return;
        }
        let wildcard = wildcard_of(encloser);
        if self.nsec3.is_some() {
            self.closest_encloser(out, name, encloser);
            if let Some(wildcard) = wildcard {
                self.nsec3_covering(out, &wildcard);
            }
        } else {
            self.nsec(out, name);
            if let Some(wildcard) = wildcard {
                self.nsec(out, &wildcard);
            }
        }
    }

    /// NODATA at `name`, which exists (with data or as an empty
    /// non-terminal): its own NSEC3 (RFC 5155 §7.2.3), or, for a name the
    /// chain skips (an opt-out span: a DS question at an insecure
    /// delegation, §7.2.4), the closest provable encloser's proof. With
    /// NSEC: the name's own NSEC, or for an empty non-terminal the one
    /// whose span holds it.
    pub(crate) fn nodata(&mut self, out: &mut Vec<Rr>, name: &Name) {
        if !self.dnssec_ok {
            return;
        }
        if self.nsec3.is_some() {
            if !self.nsec3_matching(out, name) {
                self.provable_encloser(out, name);
            }
        } else {
            self.nsec(out, name);
        }
    }

    /// A referral to a delegation without DS proves it has none, like
    /// NODATA for DS at the cut (RFC 5155 §7.2.7; RFC 4035 §3.1.4).
    pub(crate) fn no_ds(&mut self, out: &mut Vec<Rr>, cut: &Name) {
        self.nodata(out, cut);
    }

    /// An answer synthesized from a wildcard proves that the question name
    /// itself does not exist: the cover of the next closer name (RFC 5155
    /// §7.2.6), or of the name (RFC 4035 §3.1.3.3).
    pub(crate) fn wildcard_answer(&mut self, out: &mut Vec<Rr>, name: &Name, encloser: &Name) {
        if !self.dnssec_ok {
            return;
        }
        if self.nsec3.is_some() {
            if let Some(next) = next_closer(name, encloser) {
                self.nsec3_covering(out, &next);
            }
        } else {
            self.nsec(out, name);
        }
    }

    /// NODATA from a wildcard (RFC 5155 §7.2.5; RFC 4035 §3.1.3.4): the
    /// name does not exist, and the wildcard has no data of the type.
    pub(crate) fn wildcard_nodata(
        &mut self,
        out: &mut Vec<Rr>,
        name: &Name,
        encloser: &Name,
        wildcard: &Name,
    ) {
        if !self.dnssec_ok {
            return;
        }
        if self.nsec3.is_some() {
            self.closest_encloser(out, name, encloser);
            self.nsec3_matching(out, wildcard);
        } else {
            self.nsec(out, name);
            self.nsec(out, wildcard);
        }
    }

    /// RFC 5155 §7.2.1: the NSEC3 matching the closest encloser and the
    /// one covering the next closer name.
    fn closest_encloser(&mut self, out: &mut Vec<Rr>, name: &Name, encloser: &Name) {
        self.nsec3_matching(out, encloser);
        if let Some(next) = next_closer(name, encloser) {
            self.nsec3_covering(out, &next);
        }
    }

    /// For a name without an NSEC3 of its own: the nearest ancestor that
    /// has one, and the cover of the name one label below it (an opt-out
    /// span, whose flag tells the resolver that insecure delegations may
    /// lie inside).
    fn provable_encloser(&mut self, out: &mut Vec<Rr>, name: &Name) {
        let mut next = name.clone();
        for ancestor in name.ancestor_strs() {
            let Ok(ancestor) = Name::parse_absolute(ancestor) else {
                return;
            };
            if !ancestor.is_subdomain_of(&self.zone.name) {
                return;
            }
            if self.nsec3_matching(out, &ancestor) {
                self.nsec3_covering(out, &next);
                return;
            }
            next = ancestor;
        }
    }

    fn nsec3_matching(&mut self, out: &mut Vec<Rr>, name: &Name) -> bool {
        let Some(entry) = self.nsec3.and_then(|chain| chain.matching(name)) else {
            return false;
        };
        self.push_nsec3(out, entry);
        true
    }

    fn nsec3_covering(&mut self, out: &mut Vec<Rr>, name: &Name) {
        if let Some(entry) = self.nsec3.and_then(|chain| chain.covering(name)) {
            self.push_nsec3(out, entry);
        }
    }

    fn push_nsec3(&mut self, out: &mut Vec<Rr>, entry: &'z Nsec3Entry) {
        if self.added.contains(&&entry.owner) {
            return;
        }
        self.added.push(&entry.owner);
        let ttl = entry.ttl.unwrap_or(self.zone.default_ttl);
        for rdata in &entry.rdatas {
            out.push(Rr {
                owner: Some(entry.owner.clone()),
                rtype: NSEC3.0,
                ttl,
                rdata: rdata.clone(),
            });
        }
        push_sigs(
            out,
            Some(entry.owner.clone()),
            &entry.sigs,
            self.zone.ttl_of_sigs(&entry.sigs),
        );
    }

    /// The NSEC matching `name` or covering it, with its RRSIGs.
    fn nsec(&mut self, out: &mut Vec<Rr>, name: &Name) {
        let zone = self.zone;
        let Some(owner) = zone.nsec_covering(name) else {
            return;
        };
        if self.added.contains(&owner) {
            return;
        }
        let Some(set) = zone.rrset(owner.as_str(), NSEC) else {
            return;
        };
        self.added.push(owner);
        push_set(out, Some(owner.clone()), set, zone.ttl_of(set));
        if let Some(sigs) = zone.signatures(owner.as_str(), NSEC) {
            push_sigs(out, Some(owner.clone()), sigs, zone.ttl_of_sigs(sigs));
        }
    }
}

/// `*.<encloser>`: the wildcard that would answer below it.
fn wildcard_of(encloser: &Name) -> Option<Name> {
    let text = if encloser.is_root() {
        "*.".to_string()
    } else {
        format!("*.{encloser}")
    };
    Name::parse_absolute(&text).ok()
}

/// The ancestor of `name` (or `name` itself) one label below `encloser`.
fn next_closer(name: &Name, encloser: &Name) -> Option<Name> {
    let mut below = name.as_str();
    for ancestor in name.ancestor_strs() {
        if ancestor == encloser.as_str() {
            return Name::parse_absolute(below).ok();
        }
        below = ancestor;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(text: &str) -> Name {
        Name::parse_absolute(text).expect("name")
    }

    #[test]
    fn next_closer_is_one_label_below_the_encloser() {
        let next = |n: &str, e: &str| next_closer(&name(n), &name(e)).map(|n| n.to_string());
        assert_eq!(
            next("a.b.c.example.", "example.").as_deref(),
            Some("c.example.")
        );
        assert_eq!(
            next("c.example.", "example.").as_deref(),
            Some("c.example.")
        );
        assert_eq!(next("example.", "example."), None);
        assert_eq!(next("a.other.", "example."), None);
        assert_eq!(
            wildcard_of(&name("example."))
                .map(|n| n.to_string())
                .as_deref(),
            Some("*.example.")
        );
    }
}
