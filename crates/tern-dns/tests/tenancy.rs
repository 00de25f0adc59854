//! Tenancy in the nameserver (issue 9, defect 2), tested as an attacker: one
//! organisation's zone operations must never take another organisation's
//! zone of the same name off the air. Real SQLite, the write path, the
//! index following its commits, and queries over UDP.

use std::net::SocketAddr;

use tern_core::{
    Actor, Change, ChangeSet, ChangeSource, Name, NewRecord, NewZone, Organisation, Rdata,
    RecordType, ServiceConfig, Zone, ZoneStatus, ZoneUpdate,
};
use tern_dns::AnswerConfig;

mod common;

use common::{Core, parse, query, udp};

const ZONE: &str = "example-x.test";

fn actor() -> Actor {
    Actor::new("test", ChangeSource::Api)
}

/// A zone named `ZONE` for `org`, with `www` pointing at `address`.
async fn create(core: &Core, org: &Organisation, address: &str) -> Zone {
    let name = Name::parse_absolute(ZONE).expect("name");
    let zone = core
        .service
        .create_zone(NewZone::new(name.clone(), org.id), &actor())
        .await
        .expect("create zone");
    let changes = ChangeSet::new(vec![Change::Add(NewRecord {
        name: Name::parse_zone_file("www", &name).expect("owner"),
        ttl: Some(300),
        rdata: Rdata::parse_text(RecordType::A, address).expect("rdata"),
        description: None,
    })]);
    core.service
        .apply(zone.id, changes, &actor())
        .await
        .expect("add record");
    zone
}

/// What the nameserver answers for `www.ZONE A`: the address, or the rcode.
async fn www(addr: SocketAddr) -> Result<String, u8> {
    let reply = udp(addr, &query(&format!("www.{ZONE}"), 1, None))
        .await
        .expect("a reply");
    let reply = parse(&reply);
    match reply.answer.first() {
        Some((_, _, address)) if reply.rcode == 0 => Ok(address.clone()),
        _ => Err(reply.rcode),
    }
}

async fn set_status(core: &Core, zone: &Zone, status: ZoneStatus) {
    core.service
        .apply_zone_update(
            zone.id,
            ZoneUpdate {
                status: Some(status),
                ..ZoneUpdate::default()
            },
            &actor(),
        )
        .await
        .expect("status change");
}

#[tokio::test]
async fn hard_deleting_a_soft_deleted_copy_leaves_the_other_organisations_zone() {
    let core = common::core().await;
    let addr = core.serve(AnswerConfig::default()).await;
    let a = core.org.clone();
    let b = common::organisation(&core.store, "b-corp").await;
    let a_zone = create(&core, &a, "192.0.2.1").await;
    core.service
        .delete_zone(a_zone.id, false, &actor())
        .await
        .expect("soft delete");
    create(&core, &b, "192.0.2.2").await;
    assert_eq!(
        www(addr).await,
        Ok("192.0.2.2".into()),
        "B's zone is served"
    );
    core.service
        .delete_zone(a_zone.id, true, &actor())
        .await
        .expect("hard delete");
    assert_eq!(
        www(addr).await,
        Ok("192.0.2.2".into()),
        "A purging its old copy must not take B's zone off the air"
    );
}

#[tokio::test]
async fn shared_names_serve_the_oldest_active_copy() {
    let core = common::core_with(ServiceConfig {
        allow_shared_zone_names: true,
        ..ServiceConfig::default()
    })
    .await;
    let addr = core.serve(AnswerConfig::default()).await;
    let a = core.org.clone();
    let b = common::organisation(&core.store, "b-corp").await;
    let a_zone = create(&core, &a, "192.0.2.1").await;
    let b_zone = create(&core, &b, "192.0.2.2").await;
    assert_eq!(
        www(addr).await,
        Ok("192.0.2.1".into()),
        "the oldest active copy is served, not the last committed"
    );
    // B writing to its (unserved) copy changes nothing that is answered.
    let changes = ChangeSet::new(vec![Change::Add(NewRecord {
        name: Name::parse_absolute(&format!("mail.{ZONE}")).expect("owner"),
        ttl: None,
        rdata: Rdata::parse_text(RecordType::A, "192.0.2.25").expect("rdata"),
        description: None,
    })]);
    core.service
        .apply(b_zone.id, changes, &actor())
        .await
        .expect("B writes");
    assert_eq!(www(addr).await, Ok("192.0.2.1".into()));

    set_status(&core, &a_zone, ZoneStatus::Inactive).await;
    assert_eq!(
        www(addr).await,
        Ok("192.0.2.2".into()),
        "A deactivating its copy hands the name to B's"
    );
    set_status(&core, &a_zone, ZoneStatus::Active).await;
    assert_eq!(
        www(addr).await,
        Ok("192.0.2.1".into()),
        "A's copy, older, is served again as soon as it is active"
    );
}

#[tokio::test]
async fn shared_names_soft_delete_and_restore_follow_the_rule() {
    let core = common::core_with(ServiceConfig {
        allow_shared_zone_names: true,
        ..ServiceConfig::default()
    })
    .await;
    let addr = core.serve(AnswerConfig::default()).await;
    let a = core.org.clone();
    let b = common::organisation(&core.store, "b-corp").await;
    let a_zone = create(&core, &a, "192.0.2.1").await;
    create(&core, &b, "192.0.2.2").await;
    core.service
        .delete_zone(a_zone.id, false, &actor())
        .await
        .expect("soft delete");
    assert_eq!(
        www(addr).await,
        Ok("192.0.2.2".into()),
        "A soft-deleting its copy leaves B's copy served"
    );
    // Restoring A's copy in shared mode: it queues behind the copy served
    // meanwhile (its created_at moves to the restore), so B stays served —
    // what the API's `served` flag says too.
    let restored = core
        .service
        .restore_zone(a_zone.id, &actor())
        .await
        .expect("restore in shared mode");
    assert_eq!(
        www(addr).await,
        Ok("192.0.2.2".into()),
        "B's copy stays served after A's restore"
    );
    let served = tern_core::serving::served_zones(core.store.as_ref(), &[restored])
        .await
        .expect("served");
    assert!(
        !served.contains(&a_zone.id),
        "the API says A's copy is not served"
    );
}
