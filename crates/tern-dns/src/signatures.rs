//! RRsets into response sections, with their RRSIGs when the query has the
//! DO bit (RFC 4035 §3.1.1): the signatures are already in the snapshot
//! beside the RRset they cover, so signing an answer is copying them.
//! Without DO no RRSIG is ever added (RFC 4035 §3.2.1).

use tern_core::{Name, RecordType};

use crate::rrsig::{RRSIG, SigSet, Signatures};
use crate::snapshot::{Node, RrSet, ZoneSnapshot};
use crate::wire::Rr;

/// Appends every record of `set` to a section.
pub(crate) fn push_set(section: &mut Vec<Rr>, owner: Option<Name>, set: &RrSet, ttl: u32) {
    for rdata in &set.rdatas {
        section.push(Rr {
            owner: owner.clone(),
            rtype: set.rtype.0,
            ttl,
            rdata: rdata.clone(),
        });
    }
}

/// Appends RRSIGs (written with `owner`, the question name when `None`).
pub(crate) fn push_sigs(section: &mut Vec<Rr>, owner: Option<Name>, sigs: &Signatures, ttl: u32) {
    for rdata in &sigs.rdatas {
        section.push(Rr {
            owner: owner.clone(),
            rtype: RRSIG.0,
            ttl,
            rdata: rdata.clone(),
        });
    }
}

/// What an answer needs to sign its RRsets: the zone, and whether the
/// query asked for DNSSEC records at all.
#[derive(Clone, Copy)]
pub(crate) struct Signing<'z> {
    pub(crate) zone: &'z ZoneSnapshot,
    pub(crate) dnssec_ok: bool,
}

impl<'z> Signing<'z> {
    /// Appends `set`, found at the name `node`, written with `owner` (a
    /// wildcard's RRset is written with the question name, and so are its
    /// RRSIGs, whose label count tells a validator it was synthesized).
    pub(crate) fn push(&self, section: &mut Vec<Rr>, owner: Option<Name>, node: &str, set: &RrSet) {
        let ttl = self.zone.ttl_of(set);
        if self.dnssec_ok
            && let Some(sigs) = self.zone.signatures(node, set.rtype)
        {
            push_set(section, owner.clone(), set, ttl);
            push_sigs(section, owner, sigs, self.zone.ttl_of_sigs(sigs));
        } else {
            push_set(section, owner, set, ttl);
        }
    }

    /// The RRSIGs over `covered` at `node`, when the query has DO, with
    /// the given TTL (negative answers cap the SOA's and its signature's).
    pub(crate) fn push_sigs_of(
        &self,
        section: &mut Vec<Rr>,
        owner: Option<Name>,
        node: &str,
        covered: RecordType,
        ttl: Option<u32>,
    ) {
        if !self.dnssec_ok {
            return;
        }
        if let Some(sigs) = self.zone.signatures(node, covered) {
            let ttl = ttl.unwrap_or_else(|| self.zone.ttl_of_sigs(sigs));
            push_sigs(section, owner, sigs, ttl);
        }
    }
}

/// The answer to a question for type RRSIG, as Knot gives it: the
/// signatures over one RRset of the name, the lowest type signed (all of
/// them could overflow a UDP answer, and a resolver has no use for them
/// apart from their RRsets). `None` when the name has no signatures.
pub(crate) fn rrsig_answer(node: &Node) -> Option<&SigSet> {
    node.sigs
        .iter()
        .filter(|s| !s.sigs.is_empty())
        .min_by_key(|s| s.covered)
}
