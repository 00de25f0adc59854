//! Names and quotas under concurrency and across tenants, through
//! `ZoneService` on each engine: two services on two connections to one
//! database (as two processes or nodes would be) race to create zones; the
//! name's claim and the zone quota are decided inside the creating
//! transaction, so exactly one organisation wins a name and an organisation
//! never passes its quota. Looped: a race that loses one round in ten is
//! caught.

mod common;

use std::sync::Arc;

use common::*;
use tern_core::{
    Actor, Change, ChangeSet, ChangeSource, CoreError, NewRecord, NewZone, Organisation, Rdata,
    RecordType, ServiceConfig, Store, ZoneFilter, ZoneService, ZoneStatus, new_id, now_millis,
};
use tern_store::Database;
use uuid::Uuid;

const ROUNDS: usize = 20;
const PER_ORG: usize = 20;

fn actor() -> Actor {
    Actor::new("test", ChangeSource::Api)
}

/// Two services over two connections to the database of `env`.
async fn two_services(env: &Env, shared: bool) -> [Arc<ZoneService>; 2] {
    let config = ServiceConfig {
        allow_shared_zone_names: shared,
        ..ServiceConfig::default()
    };
    let mut out = Vec::new();
    for _ in 0..2 {
        let db: Arc<dyn Store> = Arc::new(Database::connect(&env.url).await.expect("connect"));
        out.push(Arc::new(ZoneService::new(db, config.clone())));
    }
    [out[0].clone(), out[1].clone()]
}

async fn org_with_quota(db: &Database, slug: &str, max_zones: Option<u32>) -> Organisation {
    let org = Organisation {
        id: new_id(),
        slug: slug.into(),
        name: slug.into(),
        features: vec!["dns".into()],
        created_at: now_millis(),
        max_zones,
        max_records_per_zone: None,
    };
    db.create_organisation(&org).await.expect("organisation");
    org
}

fn is_name_conflict(e: &CoreError) -> bool {
    matches!(e, CoreError::Conflict { field, .. } if field.as_deref() == Some("name"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_organisations_racing_on_one_name_one_wins() {
    each_engine(|env| async move {
        let services = two_services(&env, false).await;
        let a = org_with_quota(&env.db, "race-a", None).await;
        let b = org_with_quota(&env.db, "race-b", None).await;
        for round in 0..ROUNDS {
            let zone_name = name(&format!("race-{round}.test"));
            let mut tasks = Vec::new();
            for i in 0..PER_ORG * 2 {
                let org = if i % 2 == 0 { a.id } else { b.id };
                let service = services[i % 2].clone();
                let zone_name = zone_name.clone();
                tasks.push(tokio::spawn(async move {
                    let made = service
                        .create_zone(NewZone::new(zone_name, org), &actor())
                        .await;
                    (org, made)
                }));
            }
            let mut winners: Vec<Uuid> = Vec::new();
            for task in tasks {
                match task.await.expect("task") {
                    (org, Ok(_)) => winners.push(org),
                    (_, Err(e)) => assert!(
                        is_name_conflict(&e),
                        "{} round {round}: a loser must get a name conflict, got {e:?}",
                        env.label
                    ),
                }
            }
            assert_eq!(
                winners.len(),
                1,
                "{} round {round}: {} creates of {zone_name} succeeded",
                env.label,
                winners.len()
            );
            let live = env
                .db
                .list_zones(&ZoneFilter {
                    name: Some(zone_name.clone()),
                    ..ZoneFilter::default()
                })
                .await
                .unwrap();
            assert_eq!(live.len(), 1, "{} round {round}: {live:?}", env.label);
            assert_eq!(live[0].org_id, winners[0]);
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_creates_stop_at_the_zone_quota() {
    each_engine(|env| async move {
        let services = two_services(&env, false).await;
        for round in 0..ROUNDS {
            let org = org_with_quota(&env.db, &format!("quota-{round}"), Some(5)).await;
            let mut tasks = Vec::new();
            for i in 0..20 {
                let service = services[i % 2].clone();
                let zone_name = name(&format!("q{i}.quota-{round}.test"));
                tasks.push(tokio::spawn(async move {
                    service
                        .create_zone(NewZone::new(zone_name, org.id), &actor())
                        .await
                }));
            }
            let mut made = 0;
            for task in tasks {
                match task.await.expect("task") {
                    Ok(_) => made += 1,
                    Err(CoreError::Quota { field, message }) => {
                        assert_eq!(field, "name");
                        assert!(message.contains("at most 5 zones"), "{message}");
                    }
                    Err(e) => panic!("{} round {round}: {e:?}", env.label),
                }
            }
            let live = env
                .db
                .list_zones(&ZoneFilter {
                    org_id: Some(org.id),
                    ..ZoneFilter::default()
                })
                .await
                .unwrap();
            assert_eq!(
                (made, live.len()),
                (5, 5),
                "{} round {round}: created {made}, stored {}",
                env.label,
                live.len()
            );
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn shared_names_let_each_organisation_have_one_copy() {
    each_engine(|env| async move {
        let services = two_services(&env, true).await;
        let a = org_with_quota(&env.db, "share-a", None).await;
        let b = org_with_quota(&env.db, "share-b", None).await;
        for round in 0..ROUNDS / 2 {
            let zone_name = name(&format!("shared-{round}.test"));
            let mut tasks = Vec::new();
            for i in 0..PER_ORG * 2 {
                let org = if i % 2 == 0 { a.id } else { b.id };
                let service = services[(i / 2) % 2].clone();
                let zone_name = zone_name.clone();
                tasks.push(tokio::spawn(async move {
                    service
                        .create_zone(NewZone::new(zone_name, org), &actor())
                        .await
                }));
            }
            let mut made = 0;
            for task in tasks {
                match task.await.expect("task") {
                    Ok(_) => made += 1,
                    Err(e) => assert!(is_name_conflict(&e), "{e:?}"),
                }
            }
            assert_eq!(
                made, 2,
                "{} round {round}: one copy per organisation",
                env.label
            );
        }
    })
    .await;
}

/// Org A soft-deletes X, org B creates X and adds records, A hard-deletes its
/// copy: B's zone and records are untouched, and B still holds the name (a
/// third organisation cannot take it).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn purging_a_deleted_copy_leaves_the_new_owner_alone() {
    each_engine(|env| async move {
        let [service, _] = two_services(&env, false).await;
        let a = org_with_quota(&env.db, "owner-a", None).await;
        let b = org_with_quota(&env.db, "owner-b", None).await;
        let c = org_with_quota(&env.db, "owner-c", None).await;
        let x = name("takeover.test");
        let a_zone = service
            .create_zone(NewZone::new(x.clone(), a.id), &actor())
            .await
            .unwrap();
        service
            .delete_zone(a_zone.id, false, &actor())
            .await
            .unwrap();
        let b_zone = service
            .create_zone(NewZone::new(x.clone(), b.id), &actor())
            .await
            .unwrap();
        let add = Change::Add(NewRecord {
            name: name("www.takeover.test"),
            ttl: None,
            rdata: Rdata::parse_text(RecordType::A, "192.0.2.7").unwrap(),
            description: None,
        });
        service
            .apply(b_zone.id, ChangeSet::new(vec![add]), &actor())
            .await
            .unwrap();
        // A cannot restore over B.
        match service.restore_zone(a_zone.id, &actor()).await {
            Err(e) => assert!(is_name_conflict(&e), "{e:?}"),
            Ok(z) => panic!("{}: A restored over B: {z:?}", env.label),
        }
        let b_before = env.db.zone(b_zone.id).await.unwrap().unwrap();
        let records_before = env.db.records(b_zone.id).await.unwrap();
        service
            .delete_zone(a_zone.id, true, &actor())
            .await
            .unwrap();
        assert!(env.db.zone(a_zone.id).await.unwrap().is_none());
        assert_eq!(env.db.zone(b_zone.id).await.unwrap(), Some(b_before));
        assert_eq!(env.db.records(b_zone.id).await.unwrap(), records_before);
        assert_eq!(records_before.len(), 2, "NS and A");
        match service
            .create_zone(NewZone::new(x.clone(), c.id), &actor())
            .await
        {
            Err(e) => assert!(is_name_conflict(&e), "{e:?}"),
            Ok(z) => panic!("{}: C took B's name: {z:?}", env.label),
        }
        assert_eq!(
            env.db.zone(b_zone.id).await.unwrap().map(|z| z.status),
            Some(ZoneStatus::Active)
        );
    })
    .await;
}

/// A database from before claims existed, holding two live zones of one name
/// (made in shared mode, or by the old race) and an older deleted one: the
/// migration gives the claim to the oldest live zone, both live copies keep
/// working, and the claim passes to the other copy when the holder goes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn existing_duplicate_names_migrate_and_keep_working() {
    each_engine(|env| async move {
        let a = org_with_quota(&env.db, "legacy-a", None).await;
        let b = org_with_quota(&env.db, "legacy-b", None).await;
        let c = org_with_quota(&env.db, "legacy-c", None).await;
        let d = org_with_quota(&env.db, "legacy-d", None).await;
        let at = |org: Uuid, created_at: i64, status: ZoneStatus| {
            let mut z = zone(org, "legacy.test");
            z.created_at = created_at;
            z.status = status;
            z
        };
        let c_zone = at(c.id, 1_000, ZoneStatus::Deleted);
        let a_zone = at(a.id, 2_000, ZoneStatus::Active);
        let b_zone = at(b.id, 3_000, ZoneStatus::Active);
        for z in [&c_zone, &b_zone, &a_zone] {
            env.db
                .create_zone(z, &entry(z, 0, vec![], vec![]), true)
                .await
                .unwrap();
        }
        // Back to the schema before migration 0009, with the data as it was.
        {
            let pool = sqlx::AnyPool::connect(&env.url).await.unwrap();
            sqlx::query("DROP TABLE zone_name_claims")
                .execute(&pool)
                .await
                .unwrap();
            sqlx::query("DELETE FROM _sqlx_migrations WHERE version = 9")
                .execute(&pool)
                .await
                .unwrap();
            pool.close().await;
        }
        let [service, _] = two_services(&env, false).await;
        let refused = |e: Result<tern_core::Zone, CoreError>, what: &str| match e {
            Err(e) => assert!(is_name_conflict(&e), "{what}: {e:?}"),
            Ok(z) => panic!("{}: {what}: {z:?}", env.label),
        };
        refused(
            service
                .create_zone(NewZone::new(name("legacy.test"), d.id), &actor())
                .await,
            "the name is claimed after the migration",
        );
        // The unclaimed copy still takes changes.
        let add = Change::Add(NewRecord {
            name: name("www.legacy.test"),
            ttl: None,
            rdata: Rdata::parse_text(RecordType::A, "192.0.2.8").unwrap(),
            description: None,
        });
        service
            .apply(b_zone.id, ChangeSet::new(vec![add]), &actor())
            .await
            .unwrap();
        // The holder leaves: the other live copy holds the name now.
        service
            .delete_zone(a_zone.id, false, &actor())
            .await
            .unwrap();
        refused(
            service
                .create_zone(NewZone::new(name("legacy.test"), d.id), &actor())
                .await,
            "the claim passed to B",
        );
        refused(
            service.restore_zone(c_zone.id, &actor()).await,
            "C restoring over B",
        );
        service
            .delete_zone(b_zone.id, true, &actor())
            .await
            .unwrap();
        service
            .create_zone(NewZone::new(name("legacy.test"), d.id), &actor())
            .await
            .expect("the name is free once no live zone has it");
    })
    .await;
}
