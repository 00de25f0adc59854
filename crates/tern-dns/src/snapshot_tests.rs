//! Tests of the snapshot's DNSSEC structures: RRSIGs filed beside the
//! RRsets they cover, the NSEC3 chain in hash order, the NSEC owners, and
//! the NSEC3 parameters, built from records and kept right by journal
//! entries that add and remove them in any order.

use tern_core::{JournalEntry, Name, Rdata, Record, RecordType, Zone};

use super::ZoneSnapshot;
use crate::nsec3::Nsec3Params;

fn name(text: &str) -> Name {
    Name::parse_absolute(text).expect("name")
}

fn zone() -> Zone {
    let now = tern_core::now_millis();
    Zone {
        id: tern_core::new_id(),
        name: name("example."),
        kind: tern_core::ZoneKind::Primary,
        status: tern_core::ZoneStatus::Active,
        prior_status: None,
        default_ttl: 3600,
        description: None,
        settings: serde_json::json!({}),
        dnssec_enabled: true,
        serial: 1,
        soa: tern_core::SoaSettings {
            mname: name("ns.example."),
            rname: name("hostmaster.example."),
            refresh: 7200,
            retry: 3600,
            expire: 1209600,
            minimum: 300,
            ttl: 3600,
        },
        org_id: tern_core::new_id(),
        project_id: None,
        created_at: now,
        updated_at: now,
        deleted_at: None,
    }
}

fn record(owner: &str, rtype: RecordType, wire: &[u8]) -> Record {
    let now = tern_core::now_millis();
    Record {
        id: tern_core::new_id(),
        zone_id: uuid::Uuid::nil(),
        name: name(owner),
        rtype,
        ttl: Some(300),
        rdata: Rdata::from_wire(rtype, wire).expect("valid RDATA"),
        description: None,
        created_at: now,
        updated_at: now,
        version: 1,
    }
}

fn a(owner: &str) -> Record {
    record(owner, RecordType::A, &[192, 0, 2, 1])
}

/// An RRSIG over `covered` with a made-up signature (the snapshot never
/// checks one; `tag` tells signatures apart).
fn rrsig(owner: &str, covered: RecordType, tag: u8) -> Record {
    let mut wire = covered.0.to_be_bytes().to_vec();
    wire.extend_from_slice(&[13, 2, 0, 0, 1, 44]); // algorithm, labels, TTL
    wire.extend_from_slice(&[0x70, 0, 0, 0, 0x60, 0, 0, 0, 0, tag]); // times, tag
    name("example.").to_wire(&mut wire);
    wire.extend_from_slice(&[tag; 64]);
    record(owner, RecordType::RRSIG, &wire)
}

fn params() -> Nsec3Params {
    Nsec3Params {
        algorithm: 1,
        iterations: 0,
        salt: Vec::new(),
    }
}

fn base32hex(hash: &[u8]) -> String {
    const ALPHABET: &[u8; 32] = b"0123456789abcdefghijklmnopqrstuv";
    let mut out = String::new();
    for chunk in hash.chunks(5) {
        let mut bits = [0u8; 8];
        bits[3..].copy_from_slice(chunk);
        let bits = u64::from_be_bytes(bits);
        for i in (0..8).rev() {
            out.push(ALPHABET[((bits >> (i * 5)) & 31) as usize] as char);
        }
    }
    out
}

/// The NSEC3 owner for a name of the zone.
fn hashed(of: &str) -> String {
    let hash = params().hash(&name(of)).expect("hash");
    format!("{}.example.", base32hex(&hash))
}

/// An NSEC3 for the name `of` (RFC 9276 parameters; the next hash is
/// made up: the snapshot orders by owner, not by the records' links).
fn nsec3(of: &str) -> Record {
    let mut wire = vec![1, 0, 0, 0, 0, 20];
    wire.extend_from_slice(&[0xab; 20]);
    wire.extend_from_slice(&[0, 1, 0x40]); // bitmap: A
    record(&hashed(of), RecordType::NSEC3, &wire)
}

fn nsec3param() -> Record {
    record("example.", RecordType::NSEC3PARAM, &[1, 0, 0, 0, 0])
}

fn nsec(owner: &str, next: &str) -> Record {
    let mut wire = Vec::new();
    name(next).to_wire(&mut wire);
    wire.extend_from_slice(&[0, 1, 0x40]);
    record(owner, RecordType::NSEC, &wire)
}

fn entry(zone: &Zone, serial_after: u32, removed: Vec<Record>, added: Vec<Record>) -> JournalEntry {
    JournalEntry {
        seq: 0,
        zone_id: zone.id,
        zone_name: zone.name.clone(),
        serial_before: serial_after - 1,
        serial_after,
        removed,
        added,
        zone_after: None,
        principal: tern_core::Principal("signer".into()),
        source: tern_core::ChangeSource::Api,
        at: 0,
        key_transitions: Vec::new(),
    }
}

/// The owner of the NSEC3 matching `of`, if the snapshot has it.
fn matching(snapshot: &ZoneSnapshot, of: &str) -> Option<String> {
    let chain = snapshot.nsec3()?;
    chain.matching(&name(of)).map(|e| e.owner.to_string())
}

fn covering(snapshot: &ZoneSnapshot, of: &str) -> Option<String> {
    let chain = snapshot.nsec3()?;
    chain.covering(&name(of)).map(|e| e.owner.to_string())
}

fn signed_zone() -> Vec<Record> {
    let mut records = Vec::new();
    for owner in ["example.", "a.example.", "b.example.", "c.example."] {
        // Signatures first: a load may list them before their records.
        records.push(rrsig(&hashed(owner), RecordType::NSEC3, 1));
        records.push(rrsig(owner, RecordType::A, 1));
        records.push(nsec3(owner));
        records.push(a(owner));
    }
    records.push(nsec3param());
    records.push(rrsig("example.", RecordType::NSEC3PARAM, 1));
    records
}

#[test]
fn signatures_sit_beside_their_rrsets_and_nsec3_owners_are_no_names() {
    let zone = zone();
    let snapshot = ZoneSnapshot::build(&zone, &signed_zone());
    let sigs = snapshot
        .signatures("a.example.", RecordType::A)
        .expect("RRSIG over a.example. A");
    assert_eq!(sigs.rdatas.len(), 1);
    assert_eq!(sigs.ttl, Some(300));
    assert!(
        snapshot
            .signatures("a.example.", RecordType::AAAA)
            .is_none()
    );
    assert!(
        snapshot.rrset("a.example.", RecordType::RRSIG).is_none(),
        "no RRSIG RRset of its own"
    );
    assert!(
        !snapshot.exists(&hashed("a.example.")),
        "NSEC3 owners do not exist"
    );
    assert_eq!(
        matching(&snapshot, "b.example.").as_deref(),
        Some(hashed("b.example.").as_str())
    );
    let entry = snapshot
        .nsec3()
        .and_then(|chain| chain.matching(&name("b.example.")))
        .expect("entry");
    assert_eq!(
        entry.sigs.rdatas.len(),
        1,
        "its RRSIG found it though it came first"
    );
    assert!(matching(&snapshot, "nope.example.").is_none());
    assert!(covering(&snapshot, "nope.example.").is_some());
    assert_eq!(snapshot.record_count(), signed_zone().len());
    // A transfer carries every record, each once.
    let transferred: usize = snapshot.all_rrsets().map(|set| set.rdatas.len()).sum();
    assert_eq!(transferred, signed_zone().len());
}

#[test]
fn journal_entries_keep_the_chain_and_signatures_right() {
    let zone = zone();
    let v1 = ZoneSnapshot::build(&zone, &signed_zone());
    // b.example. goes: its record, its RRSIG, its NSEC3 and that one's
    // RRSIG, the NSEC3 listed before its signature; d.example. comes with
    // its signatures listed first.
    let v2 = v1.apply(&entry(
        &zone,
        2,
        vec![
            nsec3("b.example."),
            a("b.example."),
            rrsig("b.example.", RecordType::A, 1),
            rrsig(&hashed("b.example."), RecordType::NSEC3, 1),
        ],
        vec![
            rrsig(&hashed("d.example."), RecordType::NSEC3, 2),
            rrsig("d.example.", RecordType::A, 2),
            nsec3("d.example."),
            a("d.example."),
        ],
    ));
    assert!(matching(&v2, "b.example.").is_none());
    assert!(!v2.exists("b.example."));
    assert!(v2.signatures("b.example.", RecordType::A).is_none());
    assert_eq!(
        matching(&v2, "d.example.").as_deref(),
        Some(hashed("d.example.").as_str())
    );
    assert!(v2.signatures("d.example.", RecordType::A).is_some());
    let d = v2
        .nsec3()
        .and_then(|chain| chain.matching(&name("d.example.")))
        .expect("d's NSEC3");
    assert_eq!(d.sigs.rdatas.len(), 1);
    assert_eq!(v2.nsec3.pending().count(), 0, "no signature left waiting");
    // b's hash is now covered by whichever NSEC3 precedes it.
    assert_ne!(
        covering(&v2, "b.example.").as_deref(),
        Some(hashed("b.example.").as_str())
    );
    assert_eq!(v2.record_count(), v1.record_count());
    // The old snapshot is untouched (copy on write).
    assert!(matching(&v1, "b.example.").is_some());
    assert!(matching(&v1, "d.example.").is_none());

    // A re-signature replaces an RRSIG in place.
    let v3 = v2.apply(&entry(
        &zone,
        3,
        vec![rrsig("a.example.", RecordType::A, 1)],
        vec![rrsig("a.example.", RecordType::A, 3)],
    ));
    let sigs = v3.signatures("a.example.", RecordType::A).expect("sigs");
    assert_eq!(
        sigs.rdatas,
        vec![rrsig("a.example.", RecordType::A, 3).rdata.wire()]
    );

    // Without NSEC3PARAM no chain is used; with it back, the same chain.
    let v4 = v3.apply(&entry(&zone, 4, vec![nsec3param()], vec![]));
    assert!(v4.nsec3().is_none());
    let v5 = v4.apply(&entry(&zone, 5, vec![], vec![nsec3param()]));
    assert!(matching(&v5, "a.example.").is_some());

    // Unsigning: every DNSSEC record removed leaves a plain zone.
    let unsigned = v1.apply(&entry(
        &zone,
        2,
        signed_zone()
            .into_iter()
            .filter(|r| r.rtype != RecordType::A)
            .collect(),
        vec![],
    ));
    assert!(unsigned.nsec3().is_none());
    assert_eq!(unsigned.nsec3.entries().count(), 0);
    assert!(unsigned.signatures("a.example.", RecordType::A).is_none());
    assert!(unsigned.exists("a.example."));
    assert_eq!(unsigned.record_count(), 4);
}

#[test]
fn nsec_owners_follow_their_records() {
    let zone = zone();
    let records = vec![
        nsec("example.", "a.example."),
        nsec("a.example.", "c.example."),
        nsec("c.example.", "example."),
        a("a.example."),
        a("c.example."),
    ];
    let v1 = ZoneSnapshot::build(&zone, &records);
    let cover = |s: &ZoneSnapshot, n: &str| s.nsec_covering(&name(n)).map(|o| o.to_string());
    assert_eq!(cover(&v1, "b.example.").as_deref(), Some("a.example."));
    assert_eq!(cover(&v1, "z.example.").as_deref(), Some("c.example."));
    assert!(v1.nsec3().is_none());
    let v2 = v1.apply(&entry(
        &zone,
        2,
        vec![nsec("a.example.", "c.example.")],
        vec![
            nsec("a.example.", "b.example."),
            nsec("b.example.", "c.example."),
            a("b.example."),
        ],
    ));
    assert_eq!(cover(&v2, "b.example.").as_deref(), Some("b.example."));
    assert_eq!(cover(&v2, "ba.example.").as_deref(), Some("b.example."));
    let v3 = v2.apply(&entry(
        &zone,
        3,
        vec![nsec("b.example.", "c.example.")],
        vec![],
    ));
    assert_eq!(cover(&v3, "ba.example.").as_deref(), Some("a.example."));
    assert!(v3.exists("b.example."), "its A record stays");
}
