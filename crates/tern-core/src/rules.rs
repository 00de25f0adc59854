//! The zone consistency rules every write must satisfy, whatever its source:
//! CNAME exclusivity (RFC 2181 §10.1), no CNAME at the apex, owners inside the
//! zone, only glue below a delegation, DS only at delegation points, and every
//! RRset small enough to be answered in one DNS message. The same checker
//! serves a one-record API change (over the neighbourhood the service loaded)
//! and a whole-zone import.

use std::collections::{HashMap, HashSet};

use crate::model::Record;
use crate::name::Name;
use crate::rdata::RecordType;

/// One record that breaks a rule, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    pub record_id: uuid::Uuid,
    pub name: Name,
    pub rtype: RecordType,
    /// The input field the rule is about: `name` (what else lives there) or
    /// `content` (the RRset's size).
    pub field: &'static str,
    pub reason: String,
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}: {}", self.name, self.rtype, self.reason)
    }
}

/// Checks the records at `names` (every name when `None`) against the rules,
/// given `records`, which must hold every record at those names, every record
/// at their ancestors inside the zone, and every record below any of those
/// names that is (or becomes) a delegation point.
pub fn check(apex: &Name, records: &[&Record], names: Option<&HashSet<Name>>) -> Vec<Violation> {
    let mut by_name: HashMap<&str, Vec<&Record>> = HashMap::new();
    for record in records {
        by_name
            .entry(record.name.as_str())
            .or_default()
            .push(record);
    }
    let delegations: HashSet<&str> = by_name
        .iter()
        .filter(|(name, rs)| {
            *name != &apex.as_str() && rs.iter().any(|r| r.rtype == RecordType::NS)
        })
        .map(|(name, _)| *name)
        .collect();

    let mut violations = Vec::new();
    let mut blame = |record: &Record, reason: String| {
        violations.push(Violation {
            record_id: record.id,
            name: record.name.clone(),
            rtype: record.rtype,
            field: "name",
            reason,
        });
    };
    let mut too_large = Vec::new();

    let mut checked: Vec<&str> = match names {
        Some(set) => set.iter().map(Name::as_str).collect(),
        None => by_name.keys().copied().collect(),
    };
    checked.sort_unstable();
    for name_text in checked {
        let Some(here) = by_name.get(name_text) else {
            continue;
        };
        let name = &here[0].name;
        if !name.is_subdomain_of(apex) {
            for r in here {
                blame(r, format!("owner {name} is outside the zone {apex}"));
            }
            continue;
        }
        let is_apex = name == apex;
        let cnames: Vec<&&Record> = here
            .iter()
            .filter(|r| r.rtype == RecordType::CNAME)
            .collect();
        if !cnames.is_empty() {
            if is_apex {
                for r in &cnames {
                    blame(
                        r,
                        "a CNAME cannot be at the zone apex (it would hide the SOA and NS records)"
                            .into(),
                    );
                }
            } else {
                // A signed CNAME has its RRSIG and NSEC beside it (RFC 4035 §2.5).
                let mut others: Vec<String> = here
                    .iter()
                    .filter(|r| {
                        !matches!(
                            r.rtype,
                            RecordType::CNAME | RecordType::RRSIG | RecordType::NSEC
                        )
                    })
                    .map(|r| r.rtype.to_string())
                    .collect();
                others.dedup();
                if !others.is_empty() {
                    for r in &cnames {
                        blame(
                            r,
                            format!(
                                "a CNAME cannot coexist with other data at {name} (found {}; RFC 2181 §10.1)",
                                others.join(", ")
                            ),
                        );
                    }
                } else if cnames.len() > 1 {
                    for r in &cnames[1..] {
                        blame(r, format!("{name} can hold only one CNAME record"));
                    }
                }
            }
        }
        let dnames: Vec<&&Record> = here
            .iter()
            .filter(|r| r.rtype == RecordType::DNAME)
            .collect();
        for r in dnames.iter().skip(1) {
            blame(r, format!("{name} can hold only one DNAME record"));
        }
        for (record, size) in oversized(here) {
            too_large.push(Violation {
                record_id: record.id,
                name: record.name.clone(),
                rtype: record.rtype,
                field: "content",
                reason: format!(
                    "the {name} {} RRset would need {size} octets in a DNS response (header, question, \
                     the RRset and an EDNS record), more than the {MAX_MESSAGE} one message can hold; \
                     split the data over several names or make it smaller",
                    record.rtype
                ),
            });
        }
        for r in here.iter().filter(|r| r.rtype == RecordType::SOA) {
            blame(
                r,
                "the SOA record is managed by Tern; change the zone's SOA settings instead".into(),
            );
        }

        // The nearest delegation strictly above this name, inside the zone.
        let cut_above = name
            .ancestor_strs()
            .take_while(|a| *a != apex.as_str())
            .find(|a| delegations.contains(a));
        if let Some(cut) = cut_above {
            for r in here
                .iter()
                .filter(|r| !matches!(r.rtype, RecordType::A | RecordType::AAAA))
            {
                blame(
                    r,
                    format!(
                        "{name} is below the delegation at {cut}: only glue A/AAAA records may be there"
                    ),
                );
            }
            continue;
        }
        if delegations.contains(name_text) {
            for r in here.iter().filter(|r| {
                !matches!(
                    r.rtype,
                    RecordType::NS
                        | RecordType::DS
                        | RecordType::A
                        | RecordType::AAAA
                        | RecordType::CNAME
                        // The signer's: the DS's signature, the cut's NSEC.
                        | RecordType::RRSIG
                        | RecordType::NSEC
                )
            }) {
                blame(
                    r,
                    format!(
                        "{name} is a delegation point: only NS, DS and glue A/AAAA records may be there"
                    ),
                );
            }
        } else if !is_apex {
            // A zone may carry its own DS at the apex (harmless; answers for
            // DS come from the parent side), but anywhere else a DS needs a cut.
            for r in here.iter().filter(|r| r.rtype == RecordType::DS) {
                blame(
                    r,
                    format!(
                        "DS records belong at a delegation point, and {name} has no NS records"
                    ),
                );
            }
        }
    }
    violations.extend(too_large);
    violations
}

/// The largest DNS message: TCP's two-octet length (RFC 1035 §4.2.2).
pub const MAX_MESSAGE: usize = 65_535;

/// The records of each RRset at one name that do not fit an answer of their
/// own: header (12), question (owner, type, class), the records with the
/// owner compressed to a pointer (2 + 10 + RDATA each) and an EDNS OPT
/// record (11). Records are taken oldest first (ids are time-ordered), so
/// the one that overflows an existing RRset is the one being added; each is
/// returned with the size its RRset would reach.
fn oversized<'r>(here: &[&'r Record]) -> Vec<(&'r Record, usize)> {
    const HEADER: usize = 12;
    const OPT: usize = 11;
    let mut out = Vec::new();
    let mut types: Vec<RecordType> = here.iter().map(|r| r.rtype).collect();
    types.sort_unstable();
    types.dedup();
    let mut wire = Vec::new();
    for rtype in types {
        let mut set: Vec<&Record> = here.iter().copied().filter(|r| r.rtype == rtype).collect();
        let owner = set[0].name.wire_len();
        let fixed = HEADER + owner + 4 + OPT;
        let sizes: Vec<usize> = set
            .iter()
            .map(|r| {
                wire.clear();
                r.rdata.to_wire(&mut wire);
                2 + 10 + wire.len()
            })
            .collect();
        let total = fixed + sizes.iter().sum::<usize>();
        if total <= MAX_MESSAGE {
            continue;
        }
        let mut order: Vec<usize> = (0..set.len()).collect();
        order.sort_by_key(|&i| set[i].id);
        let mut used = fixed;
        let mut over = Vec::new();
        for i in order {
            used += sizes[i];
            if used > MAX_MESSAGE {
                over.push(i);
            }
        }
        over.sort_unstable();
        for i in over.into_iter().rev() {
            out.push((set.swap_remove(i), total));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rdata::Rdata;

    fn rec(name: &str, rtype: RecordType, rdata: &str) -> Record {
        Record {
            id: crate::model::new_id(),
            zone_id: uuid::Uuid::nil(),
            name: Name::parse_absolute(name).unwrap(),
            rtype,
            ttl: None,
            rdata: Rdata::parse_text(rtype, rdata).unwrap(),
            description: None,
            created_at: 0,
            updated_at: 0,
            version: 1,
        }
    }

    fn reasons(records: &[Record]) -> Vec<String> {
        let apex = Name::parse_absolute("example.com").unwrap();
        let refs: Vec<&Record> = records.iter().collect();
        check(&apex, &refs, None)
            .into_iter()
            .map(|v| v.to_string())
            .collect()
    }

    #[test]
    fn clean_zone_passes() {
        let rs = vec![
            rec("example.com", RecordType::NS, "ns1.example.com"),
            rec("example.com", RecordType::MX, "10 mail.example.com"),
            rec("www.example.com", RecordType::CNAME, "example.com"),
            rec("sub.example.com", RecordType::NS, "ns.sub.example.com"),
            rec("sub.example.com", RecordType::DS, "1 8 2 ABCD"),
            rec("ns.sub.example.com", RecordType::A, "192.0.2.1"),
        ];
        assert!(reasons(&rs).is_empty(), "{:?}", reasons(&rs));
    }

    #[test]
    fn each_rule_is_named() {
        let rs = vec![
            rec("example.com", RecordType::CNAME, "other.net"),
            rec("www.example.com", RecordType::CNAME, "example.com"),
            rec("www.example.com", RecordType::A, "192.0.2.1"),
            rec("www.other.net", RecordType::A, "192.0.2.1"),
            rec("sub.example.com", RecordType::NS, "ns.sub.example.com"),
            rec("x.sub.example.com", RecordType::TXT, "\"hidden\""),
            rec("sub.example.com", RecordType::MX, "10 mx.example.com"),
            rec("nods.example.com", RecordType::DS, "1 8 2 ABCD"),
        ];
        let got = reasons(&rs).join("\n");
        for needle in [
            "cannot be at the zone apex",
            "cannot coexist with other data at www.example.com. (found A",
            "outside the zone",
            "below the delegation at sub.example.com.",
            "is a delegation point",
            "has no NS records",
        ] {
            assert!(got.contains(needle), "missing {needle:?} in\n{got}");
        }
    }

    #[test]
    fn an_rrset_that_cannot_fit_one_message_is_refused() {
        // 250 TXT records of 256 octets each: about 67 KB, over 65,535.
        let big: Vec<Record> = (0..250)
            .map(|i| {
                rec(
                    "big.example.com",
                    RecordType::TXT,
                    &format!("\"{i:03}{}\"", "x".repeat(252)),
                )
            })
            .collect();
        let got = reasons(&big);
        assert!(!got.is_empty(), "the oversized RRset passed");
        assert!(
            got[0].contains("big.example.com. TXT RRset would need 67")
                && got[0].contains("more than the 65535"),
            "{got:?}"
        );
        // Only the records that overflow are blamed, so dropping them (an
        // import with skip_invalid) leaves an RRset that fits.
        assert!(got.len() < 10, "{} blamed", got.len());
        assert!(reasons(&big[..240]).is_empty());
        // One record alone that cannot fit: 65,500 octets of RDATA.
        let huge = "\"x\" ".repeat(32_750);
        let one = vec![rec("one.example.com", RecordType::TXT, &huge)];
        assert_eq!(reasons(&one).len(), 1);
    }

    #[test]
    fn literal_star_label_is_not_a_wildcard_and_is_allowed() {
        let rs = vec![rec("host.*.sub2.example.com", RecordType::A, "192.0.2.1")];
        assert!(reasons(&rs).is_empty());
    }
}
