//! A zone signed by Tern itself (through `ZoneService`, as every face signs)
//! validates in a real resolver: unbound, with only the DS Tern prints as
//! trust anchor and the zone stubbed to Tern, marks positive, NXDOMAIN,
//! NODATA, wildcard, CNAME and no-DS answers authenticated (AD); right after
//! a change returns, its new name validates too (read-your-writes, signed);
//! with another key's DS as anchor the answer is SERVFAIL. For the default
//! (CSK, NSEC3) and for NSEC with Ed25519. And a standard secondary (Knot)
//! fed by Tern's transfers — signing turned on, then a change, both by
//! IXFR — serves answers that validate. Required in CI; SKIP elsewhere.

mod common;

use common::tool_available;
use common::unbound::{resolve, start_unbound};
use tern_core::{
    Actor, Change, ChangeSet, ChangeSource, Name, NewRecord, Rdata, RecordType, ZoneUpdate,
};
use tern_dns::AnswerConfig;
use tern_dnssec::{DIGEST_SHA256, ds_digest_sha256, ds_presentation};

const ORIGIN: &str = "tern-signed.example.";
const ZONE_FILE: &str = "\
$ORIGIN tern-signed.example.
$TTL 3600
@        NS    ns1
@        A     192.0.2.1
ns1      A     192.0.2.53
www      A     192.0.2.80
alias    CNAME www
*.wild   TXT   \"wildcard\"
a.b      A     192.0.2.3
insecure NS    ns.insecure
ns.insecure A  192.0.2.54
";

const NOERROR: u8 = 0;
const SERVFAIL: u8 = 2;
const NXDOMAIN: u8 = 3;

/// Question, RCODE, whether the answer section holds records; all with AD.
const SECURE: &[(&str, u16, u8, bool)] = &[
    ("www.tern-signed.example.", 1, NOERROR, true),
    ("tern-signed.example.", 48, NOERROR, true),
    ("missing.tern-signed.example.", 1, NXDOMAIN, false),
    ("www.tern-signed.example.", 16, NOERROR, false),
    ("b.tern-signed.example.", 1, NOERROR, false),
    ("any.wild.tern-signed.example.", 16, NOERROR, true),
    ("alias.tern-signed.example.", 1, NOERROR, true),
    ("insecure.tern-signed.example.", 43, NOERROR, false),
];

/// The DS of the zone's key-signing key, as `tern dnssec ds` prints it.
async fn ds_of(core: &common::Core, zone: &tern_core::Zone) -> String {
    let key = core
        .store
        .dnssec_keys(zone.id)
        .await
        .expect("keys")
        .into_iter()
        .find(|k| k.role.signs_keys())
        .expect("a key-signing key");
    let dnskey = tern_dnssec::dnskey_rdata_wire(
        tern_dnssec::key_flags(key.role),
        key.algorithm,
        &key.public_key,
    );
    let digest = ds_digest_sha256(&zone.name, &dnskey);
    ds_presentation(
        &zone.name,
        3600,
        key.key_tag,
        key.algorithm,
        DIGEST_SHA256,
        &digest,
    )
}

/// Waits until `server` serves the zone at `serial`.
async fn wait_for_serial(server: std::net::SocketAddr, serial: u32) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let held = common::udp(server, &common::query(ORIGIN, 6, None))
            .await
            .map(|r| common::parse(&r))
            .and_then(|r| r.answer.first().map(|a| common::xfr::soa_serial(&a.2)));
        if held == Some(serial) {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the secondary serves serial {held:?}, not {serial}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

fn actor() -> Actor {
    Actor::new("test", ChangeSource::Api)
}

async fn validates(settings: serde_json::Value, label: &str) {
    if !tool_available("unbound", "-V", label) {
        return;
    }
    let core = common::core().await;
    core.sign_with_new_key();
    let zone = core
        .import_text(ORIGIN.trim_end_matches('.'), ZONE_FILE)
        .await;
    let tern = core.serve(AnswerConfig::default()).await;
    let enable = ChangeSet::new(vec![Change::Zone(ZoneUpdate {
        settings: Some(serde_json::json!({ "dnssec": settings })),
        dnssec_enabled: Some(true),
        ..ZoneUpdate::default()
    })]);
    core.service
        .apply(zone.id, enable, &actor())
        .await
        .expect("enable");

    // The DS an operator gives the registrar.
    let ds = ds_of(&core, &zone).await;
    let mut failures = Vec::new();
    let dir = tempfile::tempdir().expect("tempdir");
    let resolver = start_unbound(dir.path(), tern, &ds, &[ORIGIN]).await;
    for (name, qtype, rcode, data) in SECURE {
        let reply = resolve(resolver.addr, name, *qtype).await;
        let got = (reply.rcode, reply.ad, !reply.answer.is_empty());
        if got != (*rcode, true, *data) {
            failures.push(format!(
                "{name} {qtype}: rcode/ad/data {got:?}, expected ({rcode}, true, {data})"
            ));
        }
    }

    // A change, and at once a resolver with an empty cache asks for it.
    let add = ChangeSet::new(vec![Change::Add(NewRecord {
        name: Name::parse_absolute(&format!("fresh.{ORIGIN}")).expect("name"),
        ttl: None,
        rdata: Rdata::parse_text(RecordType::A, "192.0.2.200").expect("rdata"),
        description: None,
    })]);
    core.service
        .apply(zone.id, add, &actor())
        .await
        .expect("add");
    let dir = tempfile::tempdir().expect("tempdir");
    let resolver = start_unbound(dir.path(), tern, &ds, &[ORIGIN]).await;
    let reply = resolve(resolver.addr, &format!("fresh.{ORIGIN}"), 1).await;
    let answered = reply
        .answer
        .iter()
        .any(|(_, t, data)| *t == 1 && data == "192.0.2.200");
    if (reply.rcode, reply.ad, answered) != (NOERROR, true, true) {
        failures.push(format!("fresh A right after its commit: {reply:?}"));
    }

    // Another key's DS as the anchor: nothing validates.
    // The same key tag and algorithm with another digest.
    let mut fields: Vec<&str> = ds.split_whitespace().collect();
    let other_digest = "5A".repeat(32);
    if let Some(digest) = fields.last_mut() {
        *digest = &other_digest;
    }
    let wrong = fields.join(" ");
    let dir = tempfile::tempdir().expect("tempdir");
    let resolver = start_unbound(dir.path(), tern, &wrong, &[ORIGIN]).await;
    let reply = resolve(resolver.addr, &format!("www.{ORIGIN}"), 1).await;
    if reply.rcode != SERVFAIL {
        failures.push(format!("www A under another key's DS: {reply:?}"));
    }
    assert!(failures.is_empty(), "{label}:\n{}", failures.join("\n"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tern_signed_nsec3_zone_validates_in_unbound() {
    validates(serde_json::json!(null), "Tern-signed CSK / NSEC3").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tern_signed_nsec_zone_validates_in_unbound() {
    validates(
        serde_json::json!({"algorithm": 15, "denial": "nsec", "key_split": true,
            "signature_validity_secs": 1209600, "refresh_before_secs": 604800, "jitter_secs": 86400}),
        "Tern-signed KSK+ZSK Ed25519 / NSEC",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_knot_secondary_of_a_signed_zone_serves_answers_that_validate() {
    let label = "Knot secondary of a Tern-signed zone";
    if !tool_available("unbound", "-V", label) || !tool_available("knotd", "-V", label) {
        return;
    }
    let core = common::core().await;
    core.sign_with_new_key();
    let zone = core
        .import_text(ORIGIN.trim_end_matches('.'), ZONE_FILE)
        .await;
    let allow = ZoneUpdate {
        settings: Some(serde_json::json!({"transfer_allow": ["127.0.0.0/8"]})),
        ..ZoneUpdate::default()
    };
    let zone = core
        .service
        .apply(zone.id, ChangeSet::new(vec![Change::Zone(allow)]), &actor())
        .await
        .expect("allow transfers")
        .zone;
    let tern = core.serve(AnswerConfig::default()).await;
    let knot_dir = core.dir.path().join("knot");
    std::fs::create_dir_all(&knot_dir).expect("knot dir");
    let knot = common::start_knot_secondary(&knot_dir, tern, &[ORIGIN]).await;
    wait_for_serial(knot.addr, zone.serial).await;

    // Signing turned on and Knot notified: it takes the signed zone.
    let enable = ZoneUpdate {
        settings: Some(serde_json::json!({
            "transfer_allow": ["127.0.0.0/8"],
            "also_notify": [knot.addr.to_string()],
        })),
        dnssec_enabled: Some(true),
        ..ZoneUpdate::default()
    };
    let signed = core
        .service
        .apply(
            zone.id,
            ChangeSet::new(vec![Change::Zone(enable)]),
            &actor(),
        )
        .await
        .expect("enable");
    wait_for_serial(knot.addr, signed.serial_after).await;
    let ds = ds_of(&core, &signed.zone).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let resolver = start_unbound(dir.path(), knot.addr, &ds, &[ORIGIN]).await;
    let mut failures = Vec::new();
    for (name, qtype, rcode, data) in SECURE {
        let reply = resolve(resolver.addr, name, *qtype).await;
        let got = (reply.rcode, reply.ad, !reply.answer.is_empty());
        if got != (*rcode, true, *data) {
            failures.push(format!(
                "{name} {qtype} from Knot: {got:?}, expected ({rcode}, true, {data})"
            ));
        }
    }

    // A change reaches Knot with its signatures and proofs.
    let add = ChangeSet::new(vec![Change::Add(NewRecord {
        name: Name::parse_absolute(&format!("fresh.{ORIGIN}")).expect("name"),
        ttl: None,
        rdata: Rdata::parse_text(RecordType::A, "192.0.2.200").expect("rdata"),
        description: None,
    })]);
    let changed = core
        .service
        .apply(zone.id, add, &actor())
        .await
        .expect("add");
    wait_for_serial(knot.addr, changed.serial_after).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let resolver = start_unbound(dir.path(), knot.addr, &ds, &[ORIGIN]).await;
    for (name, qtype, rcode, data) in [
        (format!("fresh.{ORIGIN}"), 1, NOERROR, true),
        (format!("gone.{ORIGIN}"), 1, NXDOMAIN, false),
    ] {
        let reply = resolve(resolver.addr, &name, qtype).await;
        let got = (reply.rcode, reply.ad, !reply.answer.is_empty());
        if got != (rcode, true, data) {
            failures.push(format!(
                "{name} {qtype} from Knot after the change: {got:?}"
            ));
        }
    }
    let log = std::fs::read_to_string(knot_dir.join("knot.log")).unwrap_or_default();
    assert!(
        log.contains("IXFR"),
        "Knot never transferred by IXFR:\n{log}"
    );
    assert!(
        failures.is_empty(),
        "{label}:\n{}\n{log}",
        failures.join("\n")
    );
}
