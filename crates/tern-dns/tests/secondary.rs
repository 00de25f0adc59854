//! A standard secondary (NSD) fed by Tern: it transfers the zone at start,
//! TSIG-signed, and after each commit Tern's NOTIFY (signed too: NSD only
//! accepts signed ones here) makes it transfer again, so it answers the
//! change. Required in CI; SKIP elsewhere without
//! NSD.

mod common;

use std::time::{Duration, Instant};

use common::{nsd_available, parse, query, start_nsd, udp};
use tern_core::{
    Actor, Change, ChangeSet, ChangeSource, Name, NewRecord, NewZone, Rdata, RecordType, ZoneUpdate,
};
use tern_dns::AnswerConfig;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nsd_secondary_stays_in_sync() {
    if !nsd_available("secondary test") {
        return;
    }
    let core = common::core().await;
    let key = tern_core::TsigKey::new(
        "xfr.sync.test",
        "hmac-sha256",
        "qpRmVv4Ck2+b4SVzbxRg4v4RbX0aRDsOyn0wxvb8S0E=",
        0,
    )
    .expect("key");
    core.store.create_tsig_key(&key).await.expect("store key");
    let primary = core.serve(AnswerConfig::default()).await;
    let (service, org, dir) = (&core.service, &core.org, core.dir.path());

    let actor = Actor::new("test", ChangeSource::Api);
    let zone_name = Name::parse_absolute("sync.test").expect("name");
    let zone = service
        .create_zone(NewZone::new(zone_name.clone(), org.id), &actor)
        .await
        .expect("zone");
    let add = |name: &str, address: &str| {
        ChangeSet::new(vec![Change::Add(NewRecord {
            name: Name::parse_absolute(name).expect("name"),
            ttl: Some(60),
            rdata: Rdata::parse_text(RecordType::A, address).expect("rdata"),
            description: None,
        })])
    };
    service
        .apply(zone.id, add("www.sync.test", "192.0.2.1"), &actor)
        .await
        .expect("first record");

    // NSD as secondary: transfers from Tern, accepts Tern's NOTIFY.
    let nsd_dir = dir.join("nsd");
    std::fs::create_dir_all(&nsd_dir).expect("nsd dir");
    let zones = format!(
        "key:\n  name: \"xfr.sync.test\"\n  algorithm: hmac-sha256\n  secret: \"{}\"\n\
         zone:\n  name: \"sync.test\"\n  zonefile: \"sync.test.zone\"\n  \
         request-xfr: 127.0.0.1@{} xfr.sync.test\n  allow-notify: 127.0.0.1 xfr.sync.test\n",
        key.secret_base64(),
        primary.port()
    );
    // NSD's own answers may be SERVFAIL until its first transfer: the probe
    // only waits for the process to answer at all.
    let nsd = start_nsd(&nsd_dir, &zones, "sync.test").await;
    // Only the key opens transfers: no network is allowed without it.
    let settings = serde_json::json!({
        "transfer_keys": ["xfr.sync.test"],
        "also_notify": [nsd.addr.to_string()],
    });
    service
        .apply_zone_update(
            zone.id,
            ZoneUpdate {
                settings: Some(settings),
                ..ZoneUpdate::default()
            },
            &actor,
        )
        .await
        .expect("allow transfers");

    let answers = |name: &'static str| {
        let addr = nsd.addr;
        async move {
            udp(addr, &query(name, RecordType::A.0, None))
                .await
                .map(|r| parse(&r))
                .filter(|r| r.rcode == 0)
                .map(|r| r.answer.len())
                .unwrap_or(0)
        }
    };
    let wait_for = |name: &'static str| async move {
        let deadline = Instant::now() + Duration::from_secs(20);
        while answers(name).await == 0 {
            assert!(
                Instant::now() < deadline,
                "the secondary never served {name}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    };
    wait_for("www.sync.test").await;

    // A change on the primary reaches the secondary through NOTIFY + transfer.
    let started = Instant::now();
    service
        .apply(zone.id, add("new.sync.test", "192.0.2.2"), &actor)
        .await
        .expect("change");
    wait_for("new.sync.test").await;
    let _ = std::io::Write::write_all(
        &mut std::io::stderr(),
        format!(
            "secondary served the change {} ms after the commit\n",
            started.elapsed().as_millis()
        )
        .as_bytes(),
    );
    let serial = service.zone(zone.id).await.expect("zone").serial;
    // NSD itself records that it moved to the primary's serial.
    let log = std::fs::read_to_string(nsd_dir.join("nsd.log")).unwrap_or_default();
    assert!(log.contains(&format!("is updated to {serial}")), "{log}");
    assert!(
        log.contains("TSIG verified with key xfr.sync.test"),
        "{log}"
    );
    let soa = parse(
        &udp(nsd.addr, &query("sync.test", 6, None))
            .await
            .expect("soa"),
    );
    assert!(soa.answer[0].2.contains(&format!(" {serial} ")), "{soa:?}");
}
