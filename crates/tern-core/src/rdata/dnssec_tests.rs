//! Unit tests of the DNSSEC types against real signers' output: zones signed
//! by BIND's `dnssec-signzone` (NSEC with CDS/CDNSKEY, and NSEC3) and by
//! `ldns-signzone` (Ed25519, NSEC3 with salt), each beside the same zone
//! printed by `ldns-read-zone -u` in RFC 3597 form (the wire form an
//! independent implementation gives), and RFC 5155 Appendix A's NSEC3 chain.
//! Also: users stay refused, whatever the face.

use std::collections::BTreeSet;
use std::io::Cursor;

use sha2::{Digest, Sha256};

use super::*;
use crate::zonefile::{FileRecord, ZoneFileReader};

macro_rules! fixture {
    ($name:literal) => {
        (
            $name,
            include_str!(concat!("../../tests/fixtures/dnssec/", $name, ".zone")),
            include_str!(concat!("../../tests/fixtures/dnssec/", $name, ".generic")),
        )
    };
}

const SIGNED: &[(&str, &str, &str)] = &[
    fixture!("bind-nsec"),
    fixture!("bind-nsec3"),
    fixture!("ldns-nsec3"),
];

const RFC5155: (&str, &str, &str) = fixture!("rfc5155-appendix-a");

fn origin() -> Name {
    Name::parse_absolute("example.").expect("origin")
}

fn read_trusted(text: &str) -> Vec<FileRecord> {
    ZoneFileReader::new(Cursor::new(text), origin())
        .allow_dnssec()
        .map(|r| r.unwrap_or_else(|p| panic!("{p}")))
        .collect()
}

/// Each record line's type and RDATA text as the signer wrote it (these
/// fixtures put one record on a line: owner, TTL, class, type, RDATA).
fn signer_lines(zone: &str) -> Vec<(String, String)> {
    zone.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with(';') && !l.starts_with('$'))
        .map(|l| {
            let fields: Vec<&str> = l.split_whitespace().collect();
            (fields[3].to_string(), fields[4..].join(" "))
        })
        .collect()
}

/// The octets of an RFC 3597 `\# <length> <hex>` line.
fn generic_octets(line: &str) -> Option<Vec<u8>> {
    let (_, rest) = line.split_once("\\# ")?;
    let mut tokens = rest.split_whitespace();
    let len: usize = tokens.next()?.parse().ok()?;
    let data = crate::text::hex_decode(&tokens.collect::<String>())?;
    assert_eq!(data.len(), len, "{line}");
    Some(data)
}

/// Text compared without white space (BIND splits base64 in two) or case.
fn squash(text: &str) -> String {
    text.split_whitespace()
        .collect::<String>()
        .to_ascii_lowercase()
}

/// RFC 4034 Appendix B key tag of DNSKEY RDATA in wire form.
fn key_tag(wire: &[u8]) -> u16 {
    let mut acc: u32 = 0;
    for (i, &b) in wire.iter().enumerate() {
        acc += if i % 2 == 0 {
            u32::from(b) << 8
        } else {
            u32::from(b)
        };
    }
    acc += (acc >> 16) & 0xffff;
    (acc & 0xffff) as u16
}

#[test]
fn signer_output_reads_prints_back_and_matches_independent_wire_form() {
    for (name, zone, generic) in SIGNED {
        let records = read_trusted(zone);
        let lines = signer_lines(zone);
        let generic_records = read_trusted(generic);
        let generic_lines: Vec<&str> = generic
            .lines()
            .filter(|l| !l.trim().is_empty() && !l.starts_with(';'))
            .collect();
        assert_eq!(records.len(), lines.len(), "{name}");
        assert_eq!(records.len(), generic_records.len(), "{name}");
        let mut dnssec_types = BTreeSet::new();
        for (i, record) in records.iter().enumerate() {
            let rdata = &record.rdata;
            let (type_text, text) = &lines[i];
            assert_eq!(rdata.rtype().to_string(), *type_text, "{name}: {text}");
            // Presentation: what the signer printed, modulo base64 line
            // splitting and case, and it reads back to the same data.
            let shown = rdata.to_string();
            assert_eq!(squash(&shown), squash(text), "{name}: {text}");
            let again = Rdata::parse_text_trusted(rdata.rtype(), &shown)
                .unwrap_or_else(|e| panic!("{name}: {shown}: {e}"));
            assert_eq!(&again, rdata, "{name}: {shown}");
            // Wire: the same octets ldns gives, decoded back to the same data.
            assert_eq!(generic_records[i].name, record.name, "{name}: {text}");
            assert_eq!(&generic_records[i].rdata, rdata, "{name}: {text}");
            if let Some(octets) = generic_octets(generic_lines[i]) {
                assert_eq!(rdata.wire(), octets, "{name}: {text}");
            }
            assert_eq!(rdata.wire().len(), rdata.wire_len(), "{name}: {text}");
            let decoded = Rdata::from_wire(rdata.rtype(), &rdata.wire()).expect("wire");
            assert_eq!(&decoded, rdata, "{name}: {text}");
            if rdata.rtype().is_dnssec() {
                dnssec_types.insert(rdata.rtype());
            }
        }
        assert!(
            dnssec_types.contains(&RecordType::RRSIG) && dnssec_types.contains(&RecordType::DNSKEY),
            "{name}: {dnssec_types:?}"
        );
    }
}

#[test]
fn dnskey_wire_gives_the_signers_key_tags_and_cds_digest() {
    for (name, zone, _) in SIGNED {
        let records = read_trusted(zone);
        let keys: Vec<(u16, Vec<u8>)> = records
            .iter()
            .filter(|r| matches!(r.rdata, Rdata::Dnskey { .. }))
            .map(|r| (key_tag(&r.rdata.wire()), r.rdata.wire()))
            .collect();
        assert_eq!(keys.len(), 2, "{name}");
        for r in &records {
            match &r.rdata {
                Rdata::Rrsig { key_tag, .. } => assert!(
                    keys.iter().any(|(tag, _)| tag == key_tag),
                    "{name}: {} signed by unknown key {key_tag}",
                    r.rdata
                ),
                Rdata::Cds {
                    key_tag,
                    digest_type: 2,
                    digest,
                    ..
                } => {
                    let (_, key) = keys.iter().find(|(t, _)| t == key_tag).expect("CDS key");
                    let mut input = Vec::new();
                    r.name.to_wire(&mut input);
                    input.extend_from_slice(key);
                    assert_eq!(Sha256::digest(&input).as_slice(), digest.as_slice());
                }
                Rdata::Cdnskey { .. } => {
                    let as_dnskey = r.rdata.wire();
                    assert!(keys.iter().any(|(_, k)| *k == as_dnskey), "{name}");
                }
                _ => {}
            }
        }
    }
}

#[test]
fn rfc5155_appendix_a_chain() {
    let (_, zone, generic) = RFC5155;
    let records = read_trusted(zone);
    let generic_records = read_trusted(generic);
    let strip = |r: &FileRecord| (r.name.clone(), r.ttl, r.rdata.clone());
    assert_eq!(
        records.iter().map(strip).collect::<Vec<_>>(),
        generic_records.iter().map(strip).collect::<Vec<_>>()
    );
    let generic_lines: Vec<&str> = generic.lines().collect();
    for (record, line) in records.iter().zip(&generic_lines) {
        assert_eq!(Some(record.rdata.wire()), generic_octets(line), "{line}");
    }
    assert_eq!(
        records[0].rdata,
        Rdata::Nsec3param {
            hash_algorithm: 1,
            flags: 0,
            iterations: 12,
            salt: vec![0xaa, 0xbb, 0xcc, 0xdd],
        }
    );
    assert_eq!(records[0].rdata.to_string(), "1 0 12 AABBCCDD");
    let chain = &records[1..];
    assert_eq!(chain.len(), 12);
    for (i, record) in chain.iter().enumerate() {
        let Rdata::Nsec3 {
            next_hashed, salt, ..
        } = &record.rdata
        else {
            panic!("{:?}", record.rdata);
        };
        assert_eq!(salt, &[0xaa, 0xbb, 0xcc, 0xdd]);
        assert_eq!(next_hashed.len(), 20, "SHA-1");
        // Each next hashed owner is the following owner's first label,
        // the last pointing back to the first.
        let following = &chain[(i + 1) % chain.len()].name;
        let label = following.as_str().split('.').next().expect("label");
        assert_eq!(base32hex_encode(next_hashed), label);
    }
    let apex = &chain[0].rdata;
    assert_eq!(
        apex.to_string(),
        "1 1 12 AABBCCDD 2t7b4g4vsa5smi47k61mv5bv1a22bojr NS SOA MX RRSIG DNSKEY NSEC3PARAM"
    );
    // y.w.example, an empty non-terminal: no types at all.
    assert_eq!(
        chain[6].rdata.to_string(),
        "1 1 12 AABBCCDD k8udemvp1j2f7eg6jebps17vp3n8i58h"
    );
    let upper =
        "1 1 12 aabbccdd 2T7B4G4VSA5SMI47K61MV5BV1A22BOJR MX DNSKEY NS SOA NSEC3PARAM RRSIG";
    assert_eq!(
        &Rdata::parse_text_trusted(RecordType::NSEC3, upper).expect("upper case"),
        apex
    );
}

#[test]
fn canonical_wire_form_lowercases_signer_and_next_name() {
    let mut rrsig = vec![0, 1, 13, 2, 0, 0, 14, 16];
    rrsig.extend(0x7000_0000u32.to_be_bytes());
    rrsig.extend(0x6000_0000u32.to_be_bytes());
    rrsig.extend(1234u16.to_be_bytes());
    rrsig.extend(b"\x07EXAMPLE\x03Com\x00");
    rrsig.extend([1, 2, 3, 4]);
    let rdata = Rdata::from_wire(RecordType::RRSIG, &rrsig).expect("rrsig");
    let wire = rdata.wire();
    assert!(wire.windows(13).any(|w| w == b"\x07example\x03com\x00"));
    assert_eq!(wire.len(), rrsig.len());
    assert_eq!(
        rdata.to_string(),
        "A 13 2 3600 20290718054952 20210114082536 1234 example.com. AQIDBA=="
    );

    let mut nsec = b"\x03WWW\x07Example\x00".to_vec();
    nsec.extend([0, 1, 0x40]);
    let rdata = Rdata::from_wire(RecordType::NSEC, &nsec).expect("nsec");
    assert_eq!(&rdata.wire()[..13], b"\x03www\x07example\x00");
    assert_eq!(rdata.to_string(), "www.example. A");
    let parsed = Rdata::parse_text_trusted(RecordType::NSEC, "WWW.Example. A").expect("nsec");
    assert_eq!(parsed, rdata);
}

#[test]
fn canonical_rrset_order_sorts_by_wire_form() {
    let key = |flags: u16, key: &[u8]| Rdata::Dnskey {
        flags,
        protocol: 3,
        algorithm: 13,
        public_key: key.to_vec(),
    };
    let mut set = vec![key(257, &[1]), key(256, &[2, 0]), key(256, &[2])];
    canonical_rrset_order(&mut set);
    assert_eq!(set, vec![key(256, &[2]), key(256, &[2, 0]), key(257, &[1])]);
    let name = |n: &str| Rdata::Ns(Name::parse_absolute(n).expect("name"));
    // Wire order, not name order: the length octet of the label comes first.
    let mut ns = vec![name("b.example."), name("aa.example."), name("a.example.")];
    canonical_rrset_order(&mut ns);
    assert_eq!(
        ns,
        vec![name("a.example."), name("b.example."), name("aa.example.")]
    );
}

#[test]
fn malformed_dnssec_rdata_is_refused_naming_the_field() {
    let cases: &[(RecordType, &[u8], &str)] = &[
        (
            RecordType::DNSKEY,
            &[1, 1, 3],
            "RDATA ends before the end of the algorithm",
        ),
        (RecordType::DNSKEY, &[1, 1, 3, 13], "missing public key"),
        (RecordType::CDS, &[0, 1, 13, 2], "missing digest"),
        (RecordType::RRSIG, &[0, 1, 13, 2, 0, 0], "original TTL"),
        (RecordType::NSEC, &[3, b'w', b'w'], "next domain name"),
        (
            RecordType::NSEC,
            &[0, 0, 2, 0x40, 0],
            "ends with a zero octet",
        ),
        (
            RecordType::NSEC3,
            &[1, 0, 0, 0, 0, 0],
            "next hashed owner name: has length 0",
        ),
        (RecordType::NSEC3, &[1, 0, 0, 0, 2, 0xaa], "salt"),
        (
            RecordType::NSEC3PARAM,
            &[1, 0, 0, 0, 0, 9],
            "trailing octets",
        ),
    ];
    for (rtype, wire, expected) in cases {
        let e = Rdata::from_wire(*rtype, wire).expect_err("malformed");
        assert!(e.to_string().contains(expected), "{rtype} {wire:?}: {e}");
    }
    let texts: &[(RecordType, &str, &str)] = &[
        (
            RecordType::DNSKEY,
            "257 3 13 not*base64",
            "public key is not valid base64",
        ),
        (
            RecordType::RRSIG,
            "A 13 2 3600 20231301000000 20230101000000 1 example. AQ==",
            "signature expiration",
        ),
        (
            RecordType::RRSIG,
            "BOGUS 13 2 3600 1 2 3 example. AQ==",
            "type covered 'BOGUS'",
        ),
        (RecordType::NSEC, "example. A BOGUS", "type bitmap: 'BOGUS'"),
        (
            RecordType::NSEC3,
            "1 0 0 xyz 2t7b4g4vsa5smi47k61mv5bv1a22bojr",
            "salt 'xyz'",
        ),
        (
            RecordType::NSEC3,
            "1 0 0 - 2t7b4g4vsa5smi47k61mv5bv1a22boj",
            "not valid base32hex",
        ),
        (RecordType::NSEC3PARAM, "1 0 70000 -", "iterations"),
    ];
    for (rtype, text, expected) in texts {
        let e = Rdata::parse_text_trusted(*rtype, text).expect_err("malformed");
        assert!(e.to_string().contains(expected), "{rtype} {text}: {e}");
    }
}

const REFUSAL: &str = "is DNSSEC data that Tern generates itself";

#[test]
fn users_cannot_write_dnssec_types_through_any_face() {
    for mnemonic in [
        "RRSIG",
        "NSEC",
        "NSEC3",
        "NSEC3PARAM",
        "DNSKEY",
        "CDS",
        "CDNSKEY",
        "rrsig",
        "TYPE46",
        "type48",
        "TYPE50",
    ] {
        let e = RecordType::parse(mnemonic).expect_err(mnemonic);
        let upper = mnemonic.to_ascii_uppercase();
        assert_eq!(e.to_string(), format!("record type {upper} {REFUSAL}"));
        assert!(
            RecordType::parse_trusted(mnemonic)
                .expect("trusted")
                .is_dnssec()
        );
    }
    let zone = origin();
    let samples = [
        (
            RecordType::DNSKEY,
            "257 3 13 n3CSCywavAae1PKyKPT5u3vb41I5HLO3HbMzb0maD8btQeSmKZYJwXpQ trSa9+MXtK5pMKM5zm4E4Ehor8nbUA==",
        ),
        (
            RecordType::RRSIG,
            "A 13 2 3600 20300101000000 20250101000000 37340 example. AQID",
        ),
        (
            RecordType::NSEC3,
            "1 0 0 - 2t7b4g4vsa5smi47k61mv5bv1a22bojr A RRSIG",
        ),
        (RecordType::DNSKEY, "\\# 5 0101030d01"),
    ];
    for (rtype, text) in samples {
        // What every API face calls for record content.
        let e = Rdata::parse_api_content(rtype, text, None, &zone).expect_err(text);
        assert_eq!(e.field, "content");
        assert_eq!(e.message, format!("record type {rtype} {REFUSAL}"));
        let e = Rdata::parse_text(rtype, text).expect_err(text);
        assert_eq!(e.to_string(), format!("record type {rtype} {REFUSAL}"));
        assert!(Rdata::parse_text_trusted(rtype, text).is_ok(), "{text}");
    }
}

#[test]
fn zone_file_import_refuses_dnssec_lines_and_reads_the_rest() {
    // The reader the import uses (no `allow_dnssec`), on a real signed zone.
    let (_, zone, _) = SIGNED[1];
    let mut refused = BTreeSet::new();
    let mut read = 0;
    for item in ZoneFileReader::new(Cursor::new(zone), origin()) {
        match item {
            Ok(record) => {
                assert!(!record.rdata.rtype().is_dnssec());
                read += 1;
            }
            Err(problem) => {
                assert!(problem.reason.ends_with(REFUSAL), "{problem}");
                assert!(problem.to_string().contains("record type "));
                refused.insert(problem.rtype.expect("type"));
            }
        }
    }
    assert_eq!(read, 8);
    assert_eq!(
        refused.into_iter().collect::<Vec<_>>(),
        ["DNSKEY", "NSEC3", "NSEC3PARAM", "RRSIG"]
    );
    // By number too, in RFC 3597 form.
    let text = "$ORIGIN example.\nx 300 IN TYPE48 \\# 5 0101030d01\n";
    let problems: Vec<_> = ZoneFileReader::new(Cursor::new(text), origin()).collect();
    match &problems[..] {
        [Err(p)] => assert_eq!(p.reason, format!("record type TYPE48 {REFUSAL}")),
        other => panic!("{other:?}"),
    }
}

#[test]
fn store_text_and_serde_carry_dnssec_records() {
    for (name, zone, _) in SIGNED {
        for record in read_trusted(zone) {
            let rdata = record.rdata;
            let rtype = rdata.rtype();
            let stored = Rdata::parse_canonical(rtype, &rdata.to_string())
                .unwrap_or_else(|e| panic!("{name}: {rdata}: {e}"));
            assert_eq!(stored, rdata, "{name}");
            let json = serde_json::to_string(&rdata).expect("serialize");
            let back: Rdata = serde_json::from_str(&json).expect("deserialize");
            assert_eq!(back, rdata, "{name}: {json}");
            let t: RecordType = serde_json::from_str(&serde_json::to_string(&rtype).expect("type"))
                .expect("type back");
            assert_eq!(t, rtype);
        }
    }
}
