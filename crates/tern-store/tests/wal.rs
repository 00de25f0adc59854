//! SQLite's write-ahead log stays bounded while writers never pause. A WAL
//! only starts over when a checkpoint has copied all of it and no write came
//! in between; under continuous writes that never happens by itself, and
//! the file grew without end (7.7 GB for a 190 MB database after creating
//! 100,000 zones), with every page lookup searching a longer wal-index.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tern_core::{
    Actor, ChangeSource, Name, NewZone, Organisation, ServiceConfig, Store, ZoneService, new_id,
    now_millis,
};
use tern_store::Database;

/// How long writers run without a pause: several checkpoint intervals.
const WRITING: Duration = Duration::from_secs(6);
const WRITERS: usize = 4;
/// The bound the test holds the WAL to; without the fix six seconds of
/// zone creation write several hundred megabytes of WAL here.
const WAL_LIMIT: u64 = 96 * 1024 * 1024;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wal_stays_bounded_under_continuous_writes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = tern_store::sqlite_url_for_dir(dir.path());
    let database = Arc::new(Database::connect(&url).await.expect("open sqlite"));
    let store: Arc<dyn Store> = database.clone();
    let service = Arc::new(ZoneService::new(store.clone(), ServiceConfig::default()));
    let org = Organisation {
        id: new_id(),
        slug: "wal".into(),
        name: "wal".into(),
        features: vec!["dns".into()],
        created_at: now_millis(),
        max_zones: None,
        max_records_per_zone: None,
    };
    store.create_organisation(&org).await.expect("org");
    let wal = dir.path().join("tern.db-wal");

    let started = Instant::now();
    let mut writers = Vec::new();
    for writer in 0..WRITERS {
        let service = service.clone();
        writers.push(tokio::spawn(async move {
            let actor = Actor::new("wal-test", ChangeSource::Api);
            let mut created = 0usize;
            while started.elapsed() < WRITING {
                let name = Name::parse_absolute(&format!("w{writer}-{created}.wal.test"))
                    .expect("zone name");
                service
                    .create_zone(NewZone::new(name, org.id), &actor)
                    .await
                    .expect("create zone");
                created += 1;
            }
            created
        }));
    }
    let mut largest = 0u64;
    while started.elapsed() < WRITING {
        tokio::time::sleep(Duration::from_millis(50)).await;
        largest = largest.max(std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0));
    }
    let mut created = 0;
    for writer in writers {
        created += writer.await.expect("writer");
    }
    assert!(created > 0, "no zone was created");
    assert!(
        largest <= WAL_LIMIT,
        "the WAL reached {} MiB while {created} zones were created (limit {} MiB)",
        largest >> 20,
        WAL_LIMIT >> 20
    );
}
