//! The zone as the signer sees it: every authoritative RRset in canonical
//! wire form with its effective TTL, the delegation cuts, and the names the
//! denial chain covers (authoritative names, delegation points and empty
//! non-terminals; nothing below a cut).

use std::collections::{BTreeMap, BTreeSet};

use tern_core::{Name, Record, RecordType, Zone};

/// One RRset: its TTL (the zone default for records that inherit it) and
/// its RDATA in canonical wire form, sorted and without duplicates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Rrset {
    pub(crate) ttl: u32,
    pub(crate) rdatas: Vec<Vec<u8>>,
}

/// Names in canonical order (RFC 4034 §6.1), as NSEC chains need them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Canonical(pub(crate) Name);

impl Ord for Canonical {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.canonical_cmp(&other.0)
    }
}

impl PartialOrd for Canonical {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

pub(crate) struct ZoneData {
    pub(crate) apex: Name,
    /// The user's RRsets and the SOA, by owner and type.
    pub(crate) nodes: BTreeMap<Canonical, BTreeMap<RecordType, Rrset>>,
    /// Names other than the apex with NS records.
    pub(crate) cuts: BTreeSet<Canonical>,
}

impl ZoneData {
    /// The zone after the change: its user records (DNSSEC ones are the
    /// signer's and left out) and the SOA the commit will serve.
    pub(crate) fn new(zone: &Zone, records: &[Record]) -> ZoneData {
        // Sorted first and then built in one pass: a whole zone's records
        // go in without a tree search (and a name copy) per record.
        let mut rows: Vec<(&Record, Vec<u8>)> = records
            .iter()
            .filter(|r| !tern_core::is_signer_owned(r.rtype) && r.name.is_subdomain_of(&zone.name))
            .map(|r| {
                let mut wire = Vec::new();
                r.rdata.to_wire(&mut wire);
                (r, wire)
            })
            .collect();
        rows.sort_unstable_by(|a, b| {
            a.0.name
                .canonical_cmp(&b.0.name)
                .then(a.0.rtype.cmp(&b.0.rtype))
        });
        let mut sorted: Vec<(Canonical, BTreeMap<RecordType, Rrset>)> = Vec::new();
        for (record, wire) in rows {
            if sorted.last().is_none_or(|(name, _)| name.0 != record.name) {
                sorted.push((Canonical(record.name.clone()), BTreeMap::new()));
            }
            if let Some((_, types)) = sorted.last_mut() {
                types
                    .entry(record.rtype)
                    .or_insert_with(|| Rrset {
                        ttl: record.ttl.unwrap_or(zone.default_ttl),
                        rdatas: Vec::new(),
                    })
                    .rdatas
                    .push(wire);
            }
        }
        for (_, types) in &mut sorted {
            for rrset in types.values_mut() {
                rrset.rdatas.sort_unstable();
                rrset.rdatas.dedup();
            }
        }
        let mut nodes: BTreeMap<Canonical, BTreeMap<RecordType, Rrset>> =
            sorted.into_iter().collect();
        let mut soa = Vec::new();
        zone.soa_rdata().to_wire(&mut soa);
        nodes
            .entry(Canonical(zone.name.clone()))
            .or_default()
            .insert(
                RecordType::SOA,
                Rrset {
                    ttl: zone.soa.ttl,
                    rdatas: vec![soa],
                },
            );
        let cuts = nodes
            .iter()
            .filter(|(name, types)| name.0 != zone.name && types.contains_key(&RecordType::NS))
            .map(|(name, _)| name.clone())
            .collect();
        ZoneData {
            apex: zone.name.clone(),
            nodes,
            cuts,
        }
    }

    /// Whether `name` lies strictly below a delegation cut (its data is
    /// glue or occluded: neither signed nor in the chain).
    pub(crate) fn is_occluded(&self, name: &Name) -> bool {
        let mut current = name.parent();
        while let Some(ancestor) = current {
            if ancestor == self.apex || !ancestor.is_subdomain_of(&self.apex) {
                return false;
            }
            if self.cuts.contains(&Canonical(ancestor.clone())) {
                return true;
            }
            current = ancestor.parent();
        }
        false
    }

    pub(crate) fn is_cut(&self, name: &Name) -> bool {
        self.cuts.contains(&Canonical(name.clone()))
    }

    /// The RRsets that get signatures: all authoritative ones, and at a
    /// cut only the DS (RFC 4035 §2.2: the NS there and glue are the
    /// child's, unsigned).
    pub(crate) fn signed_rrsets(&self) -> impl Iterator<Item = (&Name, RecordType, &Rrset)> {
        self.nodes
            .iter()
            .filter(|(name, _)| !self.is_occluded(&name.0))
            .flat_map(move |(name, types)| {
                let cut = self.is_cut(&name.0);
                types
                    .iter()
                    .filter(move |(rtype, _)| !cut || **rtype == RecordType::DS)
                    .map(move |(rtype, rrset)| (&name.0, *rtype, rrset))
            })
    }

    /// Names with authoritative data or a cut, and the empty non-terminals
    /// between them and the apex: what NSEC3 covers. With their types.
    pub(crate) fn chain_names(&self) -> BTreeMap<Canonical, BTreeSet<RecordType>> {
        let mut out: BTreeMap<Canonical, BTreeSet<RecordType>> = BTreeMap::new();
        for (name, types) in &self.nodes {
            if self.is_occluded(&name.0) {
                continue;
            }
            out.insert(name.clone(), types.keys().copied().collect());
            let mut current = name.0.parent();
            while let Some(ancestor) = current {
                if !ancestor.is_subdomain_of(&self.apex) {
                    break;
                }
                out.entry(Canonical(ancestor.clone())).or_default();
                if ancestor == self.apex {
                    break;
                }
                current = ancestor.parent();
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tern_core::{Rdata, new_id, now_millis};

    fn record(zone: &Zone, owner: &str, rtype: RecordType, text: &str) -> Record {
        Record {
            id: new_id(),
            zone_id: zone.id,
            name: Name::parse_absolute(owner).expect("name"),
            rtype,
            ttl: None,
            rdata: Rdata::parse_text(rtype, text).expect("rdata"),
            description: None,
            created_at: now_millis(),
            updated_at: now_millis(),
            version: 1,
        }
    }

    #[test]
    fn cuts_occlude_below_and_ents_join_the_chain() {
        let zone = crate::signer::tests::zone("example.test");
        let records = vec![
            record(&zone, "example.test", RecordType::NS, "ns1.example.test."),
            record(&zone, "a.b.example.test", RecordType::A, "192.0.2.1"),
            record(
                &zone,
                "sub.example.test",
                RecordType::NS,
                "ns.sub.example.test.",
            ),
            record(&zone, "ns.sub.example.test", RecordType::A, "192.0.2.2"),
        ];
        let data = ZoneData::new(&zone, &records);
        assert!(data.is_occluded(&Name::parse_absolute("ns.sub.example.test").expect("n")));
        let chain: Vec<String> = data.chain_names().keys().map(|n| n.0.to_string()).collect();
        assert_eq!(
            chain,
            [
                "example.test.",
                "b.example.test.",
                "a.b.example.test.",
                "sub.example.test."
            ]
        );
        let signed: Vec<(String, RecordType)> = data
            .signed_rrsets()
            .map(|(n, t, _)| (n.to_string(), t))
            .collect();
        assert!(signed.contains(&("example.test.".into(), RecordType::SOA)));
        assert!(!signed.iter().any(|(n, _)| n.contains("sub")), "{signed:?}");
    }
}
