//! A zone signed by Tern, fetched by AXFR from the running nameserver
//! (`kdig`), passes three independent validators — BIND's `dnssec-verify`,
//! `ldns-verify-zone` and Knot's `kzonecheck` — right after signing is
//! turned on (CSK, and KSK + ZSK; NSEC3 and NSEC), after a sequence of
//! changes (adds, deletes, a new delegation, a default-TTL change, a
//! wildcard), and after turning it off again no DNSSEC record is left.
//! Required in CI; SKIP elsewhere without the tools.

mod common;

use std::path::Path;
use std::sync::Arc;

use tern_core::{
    Actor, Change, ChangeSet, ChangeSource, Name, NewRecord, Rdata, RecordType, ZoneUpdate,
};
use tern_dns::AnswerConfig;
use tern_dnssec::{KeyEncryptionKey, Signer};

const ZONE: &str = "signed.test";

const ZONE_FILE: &str = "\
$ORIGIN signed.test.
$TTL 3600
@        NS    ns1
@        A     192.0.2.1
@        MX    10 mail
ns1      A     192.0.2.53
mail     A     192.0.2.25
www      A     192.0.2.80
www      AAAA  2001:db8::80
alias    CNAME www
*.wild   TXT   \"wildcard\"
a.b.c    A     192.0.2.3
secure   NS    ns.secure
secure   DS    12345 13 2 0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF
ns.secure A    192.0.2.54
insecure NS    ns.elsewhere.example.
";

fn actor() -> Actor {
    Actor::new("test", ChangeSource::Api)
}

fn axfr(addr: std::net::SocketAddr, dir: &Path, label: &str) -> std::path::PathBuf {
    common::validate::axfr(addr, ZONE, dir, label)
}

fn assert_valid(path: &Path, label: &str) {
    common::validate::assert_valid(path, ZONE, label);
}

/// A whole-zone signing pass over the zone finds nothing to change: the
/// change's own signing (from the change alone, where it could) left
/// exactly the records signing the whole zone gives.
async fn assert_whole_zone_agrees(core: &common::Core, zone_id: uuid::Uuid, label: &str) {
    let redo = core
        .service
        .maintain_signing(zone_id, tern_core::rollover::KeyRequest::Maintain, &actor())
        .await
        .expect("whole-zone pass");
    assert!(
        redo.is_none(),
        "{label}: a whole-zone pass changed {:?}",
        redo.and_then(|o| o.entry)
    );
}

fn add(owner: &str, rtype: RecordType, text: &str) -> Change {
    Change::Add(NewRecord {
        name: Name::parse_absolute(&format!("{owner}.{ZONE}")).expect("owner"),
        ttl: None,
        rdata: Rdata::parse_text(rtype, text).expect("rdata"),
        description: None,
    })
}

async fn signed_zone_passes_validators(settings: serde_json::Value, label: &str) {
    if !common::validate::validators_available("signed-zone validation") {
        return;
    }
    let core = common::core().await;
    core.sign_with_new_key();
    let zone = core.import_text(ZONE, ZONE_FILE).await;
    let addr = core.serve(AnswerConfig::default()).await;
    let dir = core.dir.path();
    let enable = ChangeSet::new(vec![Change::Zone(ZoneUpdate {
        settings: Some(serde_json::json!({"transfer_allow": ["127.0.0.1"], "dnssec": settings})),
        dnssec_enabled: Some(true),
        ..ZoneUpdate::default()
    })]);
    core.service
        .apply(zone.id, enable, &actor())
        .await
        .expect("enable");
    assert_valid(
        &axfr(addr, dir, "enabled"),
        &format!("{label}, just enabled"),
    );

    let steps: Vec<(&str, Vec<Change>)> = vec![
        ("a new name", vec![add("new", RecordType::A, "192.0.2.99")]),
        (
            "a new type at a name",
            vec![add("www", RecordType::TXT, "\"hello\"")],
        ),
        (
            "an RRset grows",
            vec![add("www", RecordType::A, "192.0.2.81")],
        ),
        (
            "a deeper name under a new ENT",
            vec![add("x.y.z", RecordType::A, "192.0.2.4")],
        ),
        (
            "a new delegation",
            vec![
                add("deleg", RecordType::NS, "ns.deleg.signed.test."),
                add("ns.deleg", RecordType::A, "192.0.2.55"),
            ],
        ),
        ("a wildcard", vec![add("*", RecordType::A, "192.0.2.42")]),
        (
            "the default TTL",
            vec![Change::Zone(ZoneUpdate {
                default_ttl: Some(7200),
                ..ZoneUpdate::default()
            })],
        ),
    ];
    for (what, changes) in steps {
        core.service
            .apply(zone.id, ChangeSet::new(changes), &actor())
            .await
            .unwrap_or_else(|e| panic!("{what}: {e}"));
        assert_valid(&axfr(addr, dir, "step"), &format!("{label}, after {what}"));
        assert_whole_zone_agrees(&core, zone.id, &format!("{label}, after {what}")).await;
    }
    // Deletions: a whole name (its chain entry goes) and one record.
    let records = core.store.records(zone.id).await.expect("records");
    let mut deletes = Vec::new();
    for r in &records {
        let owner = r.name.to_string();
        if owner == "new.signed.test."
            || owner == "x.y.z.signed.test."
            || (owner == "www.signed.test." && r.rtype == RecordType::TXT)
        {
            deletes.push(Change::Delete { id: r.id });
        }
    }
    assert_eq!(deletes.len(), 3, "{records:?}");
    core.service
        .apply(zone.id, ChangeSet::new(deletes), &actor())
        .await
        .expect("deletes");
    assert_valid(
        &axfr(addr, dir, "deleted"),
        &format!("{label}, after deletions"),
    );
    assert_whole_zone_agrees(&core, zone.id, &format!("{label}, after deletions")).await;

    // Going insecure: CDS/CDNSKEY delete (RFC 8078 §4), still signed and
    // valid until the parent's DS is gone.
    let disable = ChangeSet::new(vec![Change::Zone(ZoneUpdate {
        dnssec_enabled: Some(false),
        ..ZoneUpdate::default()
    })]);
    core.service
        .apply(zone.id, disable, &actor())
        .await
        .expect("disable");
    let unsigning = axfr(addr, dir, "unsigning");
    assert_valid(&unsigning, &format!("{label}, unsigning"));
    let text = std::fs::read_to_string(&unsigning).expect("read");
    assert!(
        text.contains("\tCDS\t0 0 0 00") && text.contains("\tCDNSKEY\t0 3 0 AA=="),
        "{label}: no CDS/CDNSKEY delete:\n{text}"
    );

    // Unsigned: no DNSSEC record stays behind.
    let disable = ChangeSet::new(vec![Change::Zone(ZoneUpdate {
        dnssec_enabled: Some(false),
        dnssec_unsign_now: true,
        ..ZoneUpdate::default()
    })]);
    core.service
        .apply(zone.id, disable, &actor())
        .await
        .expect("disable");
    let text = std::fs::read_to_string(axfr(addr, dir, "unsigned")).expect("read");
    for t in ["RRSIG", "NSEC", "DNSKEY", "CDS", "CDNSKEY"] {
        assert!(
            !text.contains(&format!("\t{t}\t")),
            "{label}: {t} left after unsigning:\n{text}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn csk_with_nsec3_validates() {
    signed_zone_passes_validators(serde_json::json!(null), "CSK, NSEC3").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ed25519_with_nsec_validates() {
    signed_zone_passes_validators(
        serde_json::json!({"algorithm": 15, "denial": "nsec", "key_split": false,
            "signature_validity_secs": 1209600, "refresh_before_secs": 604800, "jitter_secs": 86400}),
        "Ed25519, NSEC",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ksk_and_zsk_validate() {
    signed_zone_passes_validators(
        serde_json::json!({"algorithm": 13, "denial": "nsec3", "iterations": 0, "salt": [],
            "key_split": true, "signature_validity_secs": 1209600, "refresh_before_secs": 604800,
            "jitter_secs": 86400}),
        "KSK + ZSK, NSEC3",
    )
    .await;
}

/// Signatures made ten days ago (two weeks of validity, refreshed a week
/// before the end) are due: one refresh commit remakes them all, the zone
/// validates at today's time, and a second refresh finds nothing to do.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn due_signatures_are_refreshed() {
    use std::sync::atomic::{AtomicU64, Ordering};
    if !common::validate::validators_available("signed-zone validation") {
        return;
    }
    let core = common::core().await;
    let kek = Arc::new(KeyEncryptionKey::generate().expect("kek"));
    let days_back = Arc::new(AtomicU64::new(10));
    let clock_days = days_back.clone();
    let clock = Arc::new(move || {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        now - clock_days.load(Ordering::SeqCst) * 86_400
    });
    core.service
        .set_signer(Arc::new(Signer::with_clock(kek, clock)));
    let zone = core.import_text(ZONE, ZONE_FILE).await;
    let addr = core.serve(AnswerConfig::default()).await;
    let enable = ChangeSet::new(vec![Change::Zone(ZoneUpdate {
        settings: Some(serde_json::json!({"transfer_allow": ["127.0.0.1"]})),
        dnssec_enabled: Some(true),
        ..ZoneUpdate::default()
    })]);
    core.service
        .apply(zone.id, enable, &actor())
        .await
        .expect("enable");
    let stale = std::fs::read_to_string(axfr(addr, core.dir.path(), "stale")).expect("read");

    days_back.store(0, Ordering::SeqCst);
    let outcome = core
        .service
        .maintain_signing(zone.id, tern_core::rollover::KeyRequest::Maintain, &actor())
        .await
        .expect("refresh")
        .expect("signatures were due");
    let entry = outcome.entry.expect("journal entry");
    assert_eq!(entry.source, ChangeSource::Api);
    let fresh_path = axfr(addr, core.dir.path(), "fresh");
    assert_valid(&fresh_path, "after the refresh");
    let fresh = std::fs::read_to_string(&fresh_path).expect("read");
    let signatures = |text: &str| -> std::collections::BTreeSet<String> {
        text.lines()
            .filter(|l| l.contains("\tRRSIG\t"))
            .map(str::to_string)
            .collect()
    };
    assert!(
        signatures(&stale).is_disjoint(&signatures(&fresh)),
        "a stale signature survived the refresh"
    );
    assert!(
        core.service
            .maintain_signing(zone.id, tern_core::rollover::KeyRequest::Maintain, &actor())
            .await
            .expect("refresh")
            .is_none(),
        "a second refresh found work"
    );
}

/// The private keys are in the database only sealed: the PKCS#8 document
/// is nowhere in the database files (raw or as the hex the store writes),
/// while the public key is; the sealed form opens with the zone's
/// key-encryption key and binding, and with no other key.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn private_keys_are_stored_sealed() {
    let core = common::core().await;
    let kek = core.sign_with_new_key();
    let zone = core.import_text(ZONE, ZONE_FILE).await;
    core.enable_signing(zone.id).await;
    let keys = core.store.dnssec_keys(zone.id).await.expect("keys");
    assert_eq!(keys.len(), 1, "one CSK");
    let key = &keys[0];
    let mut binding = zone.id.as_bytes().to_vec();
    binding.extend_from_slice(key.id.as_bytes());
    let pkcs8 = kek
        .open(&key.sealed_private_key, &binding)
        .expect("opens with its KEK");
    let other = KeyEncryptionKey::generate().expect("kek");
    assert!(
        other.open(&key.sealed_private_key, &binding).is_err(),
        "opened with another KEK"
    );
    let mut elsewhere = key.id.as_bytes().to_vec();
    elsewhere.extend_from_slice(zone.id.as_bytes());
    assert!(
        kek.open(&key.sealed_private_key, &elsewhere).is_err(),
        "opened under another binding"
    );

    let mut files = Vec::new();
    for entry in std::fs::read_dir(core.dir.path()).expect("data dir") {
        let path = entry.expect("entry").path();
        if path
            .file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with("tern.db"))
        {
            files.extend(std::fs::read(&path).expect("read database file"));
        }
    }
    let contains = |needle: &[u8]| files.windows(needle.len()).any(|w| w == needle);
    let hex = |bytes: &[u8]| tern_core::text::hex_encode(bytes).into_bytes();
    assert!(
        contains(&hex(&key.public_key)),
        "the scan does not see the stored public key"
    );
    // The 32-octet private scalar sits inside the PKCS#8 document; neither
    // it nor the document is stored in the clear.
    assert!(
        !contains(&pkcs8) && !contains(&hex(&pkcs8)),
        "the PKCS#8 key is in the database"
    );
}
