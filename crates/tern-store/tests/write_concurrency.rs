//! Concurrent writers through `ZoneService` on real SQLite and PostgreSQL: a
//! write without an expected serial never fails because another writer got
//! there first, whether that writer is in the same process (the per-zone
//! lock) or in another one (a second service over its own pool on the same
//! database, with re-planning on conflict), and an import beside them waits
//! its turn instead of failing.

mod common;

use std::sync::Arc;

use common::{Env, each_engine, name, org};
use tern_core::{
    Actor, Change, ChangeSet, ChangeSource, CoreError, ImportMode, ImportOptions, NewRecord,
    NewZone, Rdata, RecordType, ServiceConfig, ZoneService,
};
use tern_store::Database;
use uuid::Uuid;

const WRITERS: usize = 16;
const WRITES_EACH: usize = 4;
const ROUNDS: usize = 10;

fn actor() -> Actor {
    Actor::new("writer@example.com", ChangeSource::Cli)
}

fn service(db: Database) -> Arc<ZoneService> {
    Arc::new(ZoneService::new(Arc::new(db), ServiceConfig::default()))
}

fn add(owner: &str, address: &str) -> ChangeSet {
    ChangeSet::new(vec![Change::Add(NewRecord {
        name: name(owner),
        ttl: None,
        rdata: Rdata::parse_text(RecordType::A, address).expect("address"),
        description: None,
    })])
}

async fn new_zone(service: &ZoneService, org_id: Uuid, zone: &str) -> Uuid {
    service
        .create_zone(NewZone::new(name(zone), org_id), &actor())
        .await
        .expect("create zone")
        .id
}

/// Starts `WRITERS` tasks, each adding `WRITES_EACH` records to `zone`
/// through one of `services` in turn, all released at once.
fn spawn_writers(
    services: &[Arc<ZoneService>],
    zone_id: Uuid,
    zone: &str,
    round: usize,
) -> Vec<tokio::task::JoinHandle<Vec<Result<(), CoreError>>>> {
    let start = Arc::new(tokio::sync::Barrier::new(WRITERS));
    (0..WRITERS)
        .map(|w| {
            let service = services[w % services.len()].clone();
            let start = start.clone();
            let zone = zone.to_string();
            tokio::spawn(async move {
                start.wait().await;
                let mut results = Vec::new();
                for i in 0..WRITES_EACH {
                    let owner = format!("r{round}-w{w}-{i}.{zone}");
                    let address = format!("192.0.2.{}", 1 + (w * WRITES_EACH + i) % 250);
                    results.push(
                        service
                            .apply(zone_id, add(&owner, &address), &actor())
                            .await
                            .map(|_| ()),
                    );
                }
                results
            })
        })
        .collect()
}

async fn collect(
    handles: Vec<tokio::task::JoinHandle<Vec<Result<(), CoreError>>>>,
) -> Vec<CoreError> {
    let mut failures = Vec::new();
    for handle in handles {
        failures.extend(
            handle
                .await
                .expect("writer task")
                .into_iter()
                .filter_map(Result::err),
        );
    }
    failures
}

async fn served_names(service: &ZoneService, zone_id: Uuid, round: usize) -> usize {
    let prefix = format!("r{round}-");
    service
        .store()
        .records(zone_id)
        .await
        .expect("records")
        .iter()
        .filter(|r| r.name.as_str().starts_with(&prefix))
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_plain_writers_of_one_zone_all_succeed() {
    each_engine(|env: Arc<Env>| async move {
        let acme = org(&env.db, "acme").await;
        let service = service(Database::connect(&env.url).await.expect("open"));
        let zone_id = new_zone(&service, acme.id, "busy.test.").await;
        for round in 0..ROUNDS {
            let failures = collect(spawn_writers(
                std::slice::from_ref(&service),
                zone_id,
                "busy.test.",
                round,
            ))
            .await;
            assert!(
                failures.is_empty(),
                "{}: round {round}: {} of {} plain writes failed, first: {}",
                env.label,
                failures.len(),
                WRITERS * WRITES_EACH,
                failures[0]
            );
            assert_eq!(
                served_names(&service, zone_id, round).await,
                WRITERS * WRITES_EACH
            );
        }
    })
    .await;
}

/// A zone file holding the apex NS of `NewZone::new` plus one record per
/// round, merged in while writers of both services run.
fn import_file(round: usize) -> String {
    format!(
        "$ORIGIN busy.test.\n@ 3600 IN NS ns1.busy.test.\nimported-{round} 300 IN A 198.51.100.{}\n",
        round + 1
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_processes_and_an_import_on_one_zone_all_succeed() {
    each_engine(|env: Arc<Env>| async move {
        let acme = org(&env.db, "acme").await;
        // Two "processes": two services, each over its own pool.
        let one = service(Database::connect(&env.url).await.expect("open one"));
        let two = service(Database::connect(&env.url).await.expect("open two"));
        let zone_id = new_zone(&one, acme.id, "busy.test.").await;
        let services = [one.clone(), two.clone()];
        for round in 0..ROUNDS {
            let writers = spawn_writers(&services, zone_id, "busy.test.", round);
            let importer = {
                let one = one.clone();
                tokio::spawn(async move {
                    let options = ImportOptions {
                        mode: ImportMode::Merge,
                        ..ImportOptions::default()
                    };
                    one.import(zone_id, import_file(round).as_bytes(), &options, &actor())
                        .await
                })
            };
            let mut failures = collect(writers).await;
            if let Err(e) = importer.await.expect("import task") {
                failures.push(e);
            }
            let mismatches = failures
                .iter()
                .filter(|e| matches!(e, CoreError::SerialMismatch { .. }))
                .count();
            assert!(
                failures.is_empty(),
                "{}: round {round}: {} writes failed ({mismatches} serial mismatches), first: {}",
                env.label,
                failures.len(),
                failures[0]
            );
            assert_eq!(
                served_names(&two, zone_id, round).await,
                WRITERS * WRITES_EACH
            );
            let imported = format!("imported-{round}.busy.test.");
            assert!(
                two.store()
                    .records(zone_id)
                    .await
                    .expect("records")
                    .iter()
                    .any(|r| r.name.as_str() == imported),
                "{}: round {round}: the import's record is missing",
                env.label
            );
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_stale_expected_serial_still_fails() {
    each_engine(|env: Arc<Env>| async move {
        let acme = org(&env.db, "acme").await;
        let service = service(Database::connect(&env.url).await.expect("open"));
        let zone_id = new_zone(&service, acme.id, "ifmatch.test.").await;
        let zone = service.zone(zone_id).await.expect("zone");
        service
            .apply(zone_id, add("a.ifmatch.test.", "192.0.2.1"), &actor())
            .await
            .expect("first write");
        let mut stale = add("b.ifmatch.test.", "192.0.2.2");
        stale.expected_serial = Some(zone.serial);
        match service.apply(zone_id, stale, &actor()).await {
            Err(CoreError::SerialMismatch { expected, .. }) => assert_eq!(expected, zone.serial),
            other => panic!("{}: wanted SerialMismatch, got {other:?}", env.label),
        }
    })
    .await;
}
