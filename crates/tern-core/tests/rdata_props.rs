//! Property test over every supported record type: presentation → parse,
//! wire → decode, and a zone-file line → reader all give back the same RDATA.

use std::net::{Ipv4Addr, Ipv6Addr};

use proptest::prelude::*;
use tern_core::rdata::{CharStr, SvcParam};
use tern_core::zonefile::ZoneFileReader;
use tern_core::{Name, NameContext, Rdata, RecordType};

fn label() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        4 => "[a-z0-9_-]{1,12}".prop_map(String::into_bytes),
        1 => proptest::collection::vec(any::<u8>(), 1..20),
    ]
}

fn name() -> impl Strategy<Value = Name> {
    proptest::collection::vec(label(), 0..4).prop_map(|labels| {
        Name::from_labels(labels.iter().map(Vec::as_slice)).expect("short labels make a valid name")
    })
}

fn bytes(max: usize) -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(any::<u8>(), 0..max)
}

/// A character-string of fewer than `max` octets (`max` ≤ 256).
fn char_str(max: usize) -> impl Strategy<Value = CharStr> {
    bytes(max).prop_map(|b| CharStr::new(b).expect("at most 255 octets"))
}

fn nonempty(max: usize) -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(any::<u8>(), 1..max)
}

fn svc_params() -> impl Strategy<Value = Vec<SvcParam>> {
    let alpn = proptest::collection::vec("[a-z0-9]{1,8}", 1..3).prop_map(|ids| {
        let mut v = Vec::new();
        for id in ids {
            v.push(id.len() as u8);
            v.extend_from_slice(id.as_bytes());
        }
        SvcParam { key: 1, value: v }
    });
    let port = any::<u16>().prop_map(|p| SvcParam {
        key: 3,
        value: p.to_be_bytes().to_vec(),
    });
    let v4 = proptest::collection::vec(any::<[u8; 4]>(), 1..3).prop_map(|a| SvcParam {
        key: 4,
        value: a.concat(),
    });
    let v6 = proptest::collection::vec(any::<[u8; 16]>(), 1..3).prop_map(|a| SvcParam {
        key: 6,
        value: a.concat(),
    });
    let unknown = (10u16..65535, bytes(20)).prop_map(|(key, value)| SvcParam { key, value });
    proptest::collection::vec(prop_oneof![alpn, port, v4, v6, unknown], 0..4).prop_map(|mut ps| {
        ps.sort_by_key(|p| p.key);
        ps.dedup_by_key(|p| p.key);
        ps
    })
}

/// RFC 1876 precision octets in their one canonical form.
fn loc_precision() -> impl Strategy<Value = u8> {
    prop_oneof![
        Just(0u8),
        (1u8..10, 0u8..10).prop_map(|(m, e)| (m << 4) | e)
    ]
}

fn rdata() -> impl Strategy<Value = Rdata> {
    let strings = || proptest::collection::vec(char_str(256), 1..4);
    prop_oneof![
        any::<[u8; 4]>().prop_map(|a| Rdata::A(Ipv4Addr::from(a))),
        any::<[u8; 16]>().prop_map(|a| Rdata::Aaaa(Ipv6Addr::from(a))),
        name().prop_map(Rdata::Ns),
        name().prop_map(Rdata::Cname),
        name().prop_map(Rdata::Ptr),
        name().prop_map(Rdata::Dname),
        (any::<u16>(), name()).prop_map(|(preference, exchange)| Rdata::Mx {
            preference,
            exchange
        }),
        strings().prop_map(Rdata::Txt),
        strings().prop_map(Rdata::Spf),
        (any::<u16>(), any::<u16>(), any::<u16>(), name()).prop_map(
            |(priority, weight, port, target)| Rdata::Srv {
                priority,
                weight,
                port,
                target
            }
        ),
        (any::<u8>(), "[a-z0-9]{1,15}", bytes(40)).prop_map(|(flags, tag, value)| Rdata::Caa {
            flags,
            tag,
            value
        }),
        (any::<u8>(), any::<u8>(), nonempty(40)).prop_map(|(algorithm, fp_type, fingerprint)| {
            Rdata::Sshfp {
                algorithm,
                fp_type,
                fingerprint,
            }
        }),
        (any::<u8>(), any::<u8>(), any::<u8>(), nonempty(40)).prop_map(
            |(usage, selector, matching_type, data)| {
                Rdata::Tlsa {
                    usage,
                    selector,
                    matching_type,
                    data,
                }
            }
        ),
        (
            any::<u16>(),
            any::<u16>(),
            char_str(10),
            char_str(20),
            char_str(30),
            name()
        )
            .prop_map(
                |(order, preference, flags, services, regexp, replacement)| Rdata::Naptr {
                    order,
                    preference,
                    flags,
                    services,
                    regexp,
                    replacement
                }
            ),
        (any::<u16>(), any::<u8>(), any::<u8>(), nonempty(48)).prop_map(
            |(key_tag, algorithm, digest_type, digest)| {
                Rdata::Ds {
                    key_tag,
                    algorithm,
                    digest_type,
                    digest,
                }
            }
        ),
        (char_str(40), char_str(40)).prop_map(|(cpu, os)| Rdata::Hinfo { cpu, os }),
        (
            loc_precision(),
            loc_precision(),
            loc_precision(),
            0u32..=648_000_000,
            0u32..=1_296_000_000,
            0u32..=4_294_967_295
        )
            .prop_map(
                |(size, horiz_pre, vert_pre, lat, lon, altitude)| Rdata::Loc {
                    version: 0,
                    size,
                    horiz_pre,
                    vert_pre,
                    latitude: (1u32 << 31) - 324_000_000 + lat,
                    longitude: (1u32 << 31) - 648_000_000 + lon,
                    altitude,
                }
            ),
        (name(), name()).prop_map(|(mbox, txt)| Rdata::Rp { mbox, txt }),
        (any::<u16>(), name(), svc_params()).prop_map(|(priority, target, params)| Rdata::Svcb {
            priority,
            target,
            params
        }),
        (any::<u16>(), name(), svc_params()).prop_map(|(priority, target, params)| Rdata::Https {
            priority,
            target,
            params
        }),
        (
            name(),
            name(),
            any::<u32>(),
            any::<u32>(),
            any::<u32>(),
            any::<u32>(),
            any::<u32>()
        )
            .prop_map(|(mname, rname, serial, refresh, retry, expire, minimum)| {
                Rdata::Soa {
                    mname,
                    rname,
                    serial,
                    refresh,
                    retry,
                    expire,
                    minimum,
                }
            }),
        (
            any::<u16>().prop_filter("not a typed or meta type", |t| {
                !RecordType(*t).is_known() && !matches!(*t, 0 | 41 | 249..=255)
            }),
            bytes(40)
        )
            .prop_map(|(t, data)| Rdata::Unknown {
                rtype: RecordType(t),
                data
            }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn presentation_wire_and_zone_file_round_trip(r in rdata()) {
        let rtype = r.rtype();
        let shown = r.to_string();
        let parsed = Rdata::parse_text(rtype, &shown).map_err(|e| TestCaseError::fail(format!("{shown}: {e}")))?;
        prop_assert_eq!(&parsed, &r, "presentation {}", shown);

        let wire = r.wire();
        prop_assert_eq!(r.wire_len(), wire.len());
        let decoded = Rdata::from_wire(rtype, &wire).map_err(|e| TestCaseError::fail(format!("{shown}: {e}")))?;
        prop_assert_eq!(&decoded, &r);

        let origin = Name::parse_absolute("example.com").expect("origin");
        let line = format!("host 300 IN {rtype} {shown}\n");
        let mut reader = ZoneFileReader::new(line.as_bytes(), origin.clone());
        let record = reader
            .next()
            .expect("one entry")
            .map_err(|e| TestCaseError::fail(format!("{line}: {e}")))?;
        prop_assert_eq!(&record.rdata, &r, "zone file {}", line);

        // Generic RFC 3597 form of any type decodes to the same typed data.
        let generic = format!("\\# {} {}", wire.len(), tern_core::text::hex_encode(&wire));
        let from_generic = Rdata::parse(rtype, &tern_core::text::tokenize_line(&generic).expect("tokens"), NameContext::Absolute)
            .map_err(|e| TestCaseError::fail(format!("{generic}: {e}")))?;
        prop_assert_eq!(&from_generic, &r);
    }
}
