//! The primitives against real validators: a small zone signed by hand with
//! this crate (a CSK per algorithm, RRSIGs over every RRset, a wildcard, an
//! NSEC chain built in canonical order) must pass BIND's `dnssec-verify`,
//! ldns' `ldns-verify-zone` and Knot's `kzonecheck -d on`, and fail them
//! once a signature octet or a signed record changes; key tags and DS
//! digests must equal what `dnssec-dsfromkey` and `ldns-key2ds` compute,
//! and NSEC3 hashed owners what `ldns-nsec3-hash` computes.
//!
//! Debian packages: bind9-utils, ldnsutils, knot-dnssecutils.

use std::process::Command;

use tern_core::{Name, Rdata, RecordType};
use tern_dnssec::rtypes::{self, type_mnemonic};
use tern_dnssec::{
    Algorithm, DIGEST_SHA256, RrsigHeader, SigningKey, Validity, ValidityPolicy, dnskey_rdata_text,
    dnskey_rdata_wire, ds_digest_sha256, ds_rdata_text, hashed_owner, key_tag, labels_for,
    rrset_jitter_seed, rrsig_rdata_text, sign_rrset,
};

const ZONE: &str = "example.org.";
const SOA_TTL: u32 = 3600;
const SOA_MINIMUM: u32 = 300;

/// The zone's data, as a user would have entered it.
const DATA: &[(&str, &str, u32, &str)] = &[
    (
        "example.org.",
        "SOA",
        SOA_TTL,
        "ns.example.net. hostmaster.example.org. 2024010101 7200 3600 1209600 300",
    ),
    ("example.org.", "NS", 3600, "ns.example.net."),
    ("example.org.", "NS", 3600, "ns.example.com."),
    ("example.org.", "A", 300, "192.0.2.1"),
    ("example.org.", "MX", 300, "10 mail.example.net."),
    ("*.example.org.", "A", 300, "192.0.2.9"),
    ("www.example.org.", "A", 600, "192.0.2.10"),
    ("www.example.org.", "A", 600, "192.0.2.2"),
    ("www.example.org.", "TXT", 600, "\"a longer string\""),
    ("www.example.org.", "TXT", 600, "\"short\""),
];

/// Whether `tool` runs; in CI (`CI=true`) its absence is a failure,
/// elsewhere a visible SKIP line.
fn tool_available(tool: &str, probe_arg: &str, test: &str) -> bool {
    if Command::new(tool).arg(probe_arg).output().is_ok() {
        return true;
    }
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("{tool} is required in CI");
    }
    // Straight to the process' stderr: libtest captures `eprintln!`, and a
    // skip must be seen.
    let _ = std::io::Write::write_all(
        &mut std::io::stderr(),
        format!("SKIP: {tool} not installed; {test} skipped\n").as_bytes(),
    );
    false
}

fn name(text: &str) -> Name {
    Name::parse_absolute(text).expect("name")
}

struct Rrset {
    owner: Name,
    rtype: RecordType,
    ttl: u32,
    /// Canonical wire form and presentation text of each record.
    records: Vec<(Vec<u8>, String)>,
}

/// What to break in a signed zone (the negative cases).
#[derive(Clone, Copy, PartialEq)]
enum Damage {
    None,
    /// Flip one octet of the signature over www's A RRset.
    Signature,
    /// Change a record of www's A RRset after signing it.
    Record,
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs()
}

fn data_rrsets() -> Vec<Rrset> {
    let mut rrsets: Vec<Rrset> = Vec::new();
    for &(owner, rtype, ttl, text) in DATA {
        let (owner, rtype) = (name(owner), RecordType::parse(rtype).expect("type"));
        let rdata = Rdata::parse_text(rtype, text).expect("rdata");
        let record = (rdata.wire(), rdata.to_string());
        match rrsets
            .iter_mut()
            .find(|s| s.owner == owner && s.rtype == rtype)
        {
            Some(set) => set.records.push(record),
            None => rrsets.push(Rrset {
                owner,
                rtype,
                ttl,
                records: vec![record],
            }),
        }
    }
    rrsets
}

/// NSEC type bitmap (RFC 4034 §4.1.2) for types below 256: window 0.
fn type_bitmap(types: &[RecordType]) -> Vec<u8> {
    let highest = types.iter().map(|t| t.0).max().expect("types");
    assert!(highest < 256, "this test only needs window 0");
    let mut bitmap = vec![0u8; usize::from(highest / 8) + 1];
    for t in types {
        bitmap[usize::from(t.0 / 8)] |= 0x80 >> (t.0 % 8);
    }
    let mut out = vec![0, bitmap.len() as u8];
    out.extend_from_slice(&bitmap);
    out
}

/// One NSEC RRset per name, in canonical order, each pointing to the next
/// and the last back to the apex.
fn nsec_rrsets(rrsets: &[Rrset]) -> Vec<Rrset> {
    let mut names: Vec<Name> = rrsets.iter().map(|s| s.owner.clone()).collect();
    names.sort_by(|a, b| a.canonical_cmp(b));
    names.dedup();
    let mut out = Vec::new();
    for (i, owner) in names.iter().enumerate() {
        let next = &names[(i + 1) % names.len()];
        let mut types: Vec<RecordType> = rrsets
            .iter()
            .filter(|s| &s.owner == owner)
            .map(|s| s.rtype)
            .chain([rtypes::RRSIG, rtypes::NSEC])
            .collect();
        types.sort();
        let mut wire = Vec::new();
        next.to_wire(&mut wire);
        wire.extend_from_slice(&type_bitmap(&types));
        let mnemonics: Vec<String> = types.iter().map(|t| type_mnemonic(*t)).collect();
        out.push(Rrset {
            owner: owner.clone(),
            rtype: rtypes::NSEC,
            ttl: SOA_TTL.min(SOA_MINIMUM),
            records: vec![(wire, format!("{next} {}", mnemonics.join(" ")))],
        });
    }
    out
}

/// The zone file of the zone signed with `key` as its CSK.
fn signed_zone_file(key: &SigningKey, damage: Damage) -> String {
    let zone = name(ZONE);
    let algorithm = key.algorithm().number();
    let flags = tern_dnssec::key_flags(tern_core::KeyRole::Csk);
    let public_key = key.public_key();
    let tag = key_tag(flags, algorithm, &public_key);

    let mut rrsets = data_rrsets();
    rrsets.push(Rrset {
        owner: zone.clone(),
        rtype: rtypes::DNSKEY,
        ttl: 3600,
        records: vec![(
            dnskey_rdata_wire(flags, algorithm, &public_key),
            dnskey_rdata_text(flags, algorithm, &public_key),
        )],
    });
    let nsecs = nsec_rrsets(&rrsets);
    rrsets.extend(nsecs);

    let now = now();
    let policy = ValidityPolicy::default();
    let mut lines = Vec::new();
    for set in &rrsets {
        let validity = Validity::new(now, &policy, rrset_jitter_seed(&set.owner, set.rtype));
        let header = RrsigHeader {
            type_covered: set.rtype,
            algorithm,
            labels: labels_for(&set.owner),
            original_ttl: set.ttl,
            expiration: validity.expiration,
            inception: validity.inception,
            key_tag: tag,
            signer: zone.clone(),
        };
        let wires: Vec<&Vec<u8>> = set.records.iter().map(|(wire, _)| wire).collect();
        let mut signature = sign_rrset(key, &header, &set.owner, &wires).expect("sign");
        let is_www_a = set.owner == name("www.example.org.") && set.rtype == RecordType::A;
        if is_www_a && damage == Damage::Signature {
            signature[7] ^= 0x01;
        }
        for (_, text) in &set.records {
            let text = if is_www_a && damage == Damage::Record && text == "192.0.2.2" {
                "192.0.2.3"
            } else {
                text
            };
            lines.push(format!(
                "{} {} IN {} {text}",
                set.owner,
                set.ttl,
                type_mnemonic(set.rtype)
            ));
        }
        lines.push(format!(
            "{} {} IN RRSIG {}",
            set.owner,
            set.ttl,
            rrsig_rdata_text(&header, &signature)
        ));
    }
    lines.join("\n") + "\n"
}

fn run(command: &mut Command) -> (bool, String) {
    let output = command.output().expect("run tool");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}

/// Each validator: its command, an argument to probe it with, and the
/// arguments before the zone file. `dnssec-verify -z`: every RRset is
/// signed by the SEP key, a CSK (without it dnssec-verify wants a key
/// without SEP as well).
const VALIDATORS: &[(&str, &str, &[&str])] = &[
    ("dnssec-verify", "-V", &["-z", "-o", ZONE]),
    ("ldns-verify-zone", "-v", &[]),
    ("kzonecheck", "-V", &["-o", ZONE, "-d", "on"]),
];

#[test]
fn validators_accept_the_signed_zone_and_reject_damage() {
    let test = "validators_accept_the_signed_zone_and_reject_damage";
    let tools: Vec<_> = VALIDATORS
        .iter()
        .filter(|(tool, probe, _)| tool_available(tool, probe, test))
        .collect();
    let dir = tempfile::tempdir().expect("tempdir");
    for algorithm in Algorithm::ALL {
        let key = SigningKey::generate(algorithm).expect("key");
        for damage in [Damage::None, Damage::Signature, Damage::Record] {
            let text = signed_zone_file(&key, damage);
            let file = dir
                .path()
                .join(format!("{}-{}.zone", algorithm.number(), damage as u8));
            std::fs::write(&file, &text).expect("write zone");
            for (tool, _, args) in &tools {
                let (ok, output) = run(Command::new(tool).args(*args).arg(&file));
                if damage == Damage::None {
                    assert!(
                        ok,
                        "{tool} rejected the {algorithm} zone:\n{output}\n{text}"
                    );
                } else {
                    assert!(
                        !ok,
                        "{tool} accepted a damaged {algorithm} zone:\n{output}\n{text}"
                    );
                    // Refused for the damaged RRset, not for something else.
                    assert!(
                        output.contains("www.example.org"),
                        "{tool} refused the damaged {algorithm} zone for another reason:\n{output}"
                    );
                }
            }
        }
    }
}

/// `tag algorithm digest-type DIGEST` from a tool's DS line.
fn ds_fields(output: &str) -> String {
    let line = output
        .lines()
        .find(|l| l.split_whitespace().any(|t| t == "DS"))
        .unwrap_or_else(|| panic!("no DS line in:\n{output}"));
    let fields: Vec<&str> = line.split_whitespace().collect();
    let at = fields.iter().position(|t| *t == "DS").expect("DS");
    fields[at + 1..].join(" ").to_ascii_uppercase()
}

#[test]
fn key_tags_and_ds_digests_match_bind_and_ldns() {
    let test = "key_tags_and_ds_digests_match_bind_and_ldns";
    let bind = tool_available("dnssec-dsfromkey", "-V", test);
    let ldns = tool_available("ldns-key2ds", "-v", test);
    if !bind && !ldns {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let zone = name(ZONE);
    for algorithm in Algorithm::ALL {
        for role in [tern_core::KeyRole::Csk, tern_core::KeyRole::Zsk] {
            for _ in 0..5 {
                let key = SigningKey::generate(algorithm).expect("key");
                let (flags, alg) = (tern_dnssec::key_flags(role), algorithm.number());
                let public = key.public_key();
                let digest = ds_digest_sha256(&zone, &dnskey_rdata_wire(flags, alg, &public));
                let ours = ds_rdata_text(key_tag(flags, alg, &public), alg, DIGEST_SHA256, &digest);
                let file = dir.path().join("dnskey.key");
                let line = tern_dnssec::dnskey_presentation(&zone, 3600, flags, alg, &public);
                std::fs::write(&file, format!("{line}\n")).expect("write key");
                if bind {
                    // -A: a DS for a ZSK too.
                    let (ok, out) = run(Command::new("dnssec-dsfromkey")
                        .arg("-A")
                        .arg("-2")
                        .arg("-f")
                        .arg(&file)
                        .arg(ZONE));
                    assert!(ok, "dnssec-dsfromkey failed:\n{out}");
                    assert_eq!(ds_fields(&out), ours, "dnssec-dsfromkey for {line}");
                }
                if ldns {
                    // -f: a DS for a ZSK too; -n: to stdout.
                    let (ok, out) = run(Command::new("ldns-key2ds")
                        .arg("-f")
                        .arg("-n")
                        .arg("-2")
                        .arg(&file));
                    assert!(ok, "ldns-key2ds failed:\n{out}");
                    assert_eq!(ds_fields(&out), ours, "ldns-key2ds for {line}");
                }
            }
        }
    }
}

#[test]
fn nsec3_hashes_match_ldns() {
    if !tool_available("ldns-nsec3-hash", "-h", "nsec3_hashes_match_ldns") {
        return;
    }
    let zone = name(ZONE);
    let names = [
        "example.org.",
        "www.example.org.",
        "*.example.org.",
        "Mixed.CASE.example.org.",
        "a\\032b.example.org.",
        "deep.er.and.deeper.example.org.",
    ];
    // RFC 9276's parameters (no salt, no extra iterations) and older ones.
    for (salt, iterations) in [
        (&[][..], 0u16),
        (&[0xAA, 0xBB, 0xCC, 0xDD][..], 12),
        (&[0x01][..], 1),
    ] {
        for text in names {
            let owner = hashed_owner(&name(text), &zone, salt, iterations).expect("hash");
            let mut command = Command::new("ldns-nsec3-hash");
            command.arg("-t").arg(iterations.to_string());
            if !salt.is_empty() {
                command.arg("-s").arg(tern_core::text::hex_encode(salt));
            }
            let (ok, out) = run(command.arg(text));
            assert!(ok, "ldns-nsec3-hash failed:\n{out}");
            let label = out.trim().trim_end_matches('.').to_ascii_lowercase();
            assert_eq!(
                owner.as_str(),
                format!("{label}.{ZONE}"),
                "{text} salt {salt:?} iterations {iterations}"
            );
        }
    }
}
