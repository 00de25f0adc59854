//! Benchmark (not a test): does a commit's cost grow with the number of
//! zones the nameserver holds? (Issue 9: it must not.) Into an empty
//! database, creates `zones` zones through `ZoneService` with the index
//! listening, as `tern serve` runs it, then commits single-record change
//! sets into the first ten zones in turn and prints the commit latency.
//! Usage: commit_zones <database-url> <zones> [commits]
//! Run by bench/commit-zones.sh, which compares 10 zones with 100,000.

use std::sync::Arc;
use std::time::Instant;

use tern_core::{
    Actor, Change, ChangeSet, ChangeSource, Name, NewRecord, NewZone, Organisation, Rdata,
    RecordType, ServiceConfig, Store, ZoneService, new_id, now_millis,
};
use tern_dns::{IndexListener, ZoneIndex};
use tern_store::Database;

mod support;
use support::{Timed, summary};

/// Writers creating zones at once (the store serialises them; this keeps
/// the database busy while the index applies the previous creation).
const CREATORS: usize = 4;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let usage = "usage: commit_zones <database-url> <zones> [commits]";
    let url = args.get(1).ok_or(usage)?;
    let zones: usize = args.get(2).ok_or(usage)?.parse()?;
    let commits: usize = args.get(3).map(|c| c.parse()).transpose()?.unwrap_or(2000);
    let database = Arc::new(Database::connect(url).await?);
    let store: Arc<dyn Store> = database.clone();
    let service = Arc::new(ZoneService::new(store.clone(), ServiceConfig::default()));
    let index = ZoneIndex::new(store.clone());
    let timed = Arc::new(Timed::new(IndexListener(index.clone()), commits));
    service.add_listener(timed.clone());
    let org = Organisation {
        id: new_id(),
        slug: format!("bench-{}", std::process::id()),
        name: "bench".into(),
        features: vec!["dns".into()],
        created_at: now_millis(),
        max_zones: None,
        max_records_per_zone: None,
    };
    store.create_organisation(&org).await?;
    let actor = Actor::new("bench", ChangeSource::Api);

    let created = Instant::now();
    let mut tasks = Vec::new();
    for creator in 0..CREATORS {
        let (service, actor, org_id) = (service.clone(), actor.clone(), org.id);
        tasks.push(tokio::spawn(async move {
            let mut ids = Vec::new();
            for n in (creator..zones).step_by(CREATORS) {
                let name = Name::parse_absolute(&format!("z{n}.commit-zones.test"))?;
                let zone = service
                    .create_zone(NewZone::new(name, org_id), &actor)
                    .await?;
                ids.push((n, zone.id));
            }
            Ok::<_, Box<dyn std::error::Error + Send + Sync>>(ids)
        }));
    }
    let mut ids = Vec::new();
    for task in tasks {
        ids.extend(task.await?.map_err(|e| e.to_string())?);
    }
    ids.sort();
    let create_s = created.elapsed().as_secs_f64();
    let targets: Vec<_> = ids.iter().take(10).map(|(n, id)| (*n, *id)).collect();
    timed.take(); // the zones' creation is not what is measured

    let mut latencies = Vec::with_capacity(commits);
    for i in 0..commits {
        let (n, zone_id) = targets[i % targets.len()];
        let owner = Name::parse_absolute(&format!("host-{i}.z{n}.commit-zones.test"))?;
        let rdata = Rdata::parse_text(
            RecordType::A,
            &format!("198.18.{}.{}", (i / 250) % 250, i % 250 + 1),
        )?;
        let changes = ChangeSet::new(vec![Change::Add(NewRecord {
            name: owner,
            ttl: Some(300),
            rdata,
            description: None,
        })]);
        let start = Instant::now();
        service.apply(zone_id, changes, &actor).await?;
        latencies.push(start.elapsed().as_secs_f64() * 1000.0);
    }
    println!(
        "zones={} served={} create_s={create_s:.1} commits={commits} {} | {}",
        zones,
        index.zone_count(),
        summary("commit", latencies),
        summary("index_apply", timed.take())
    );
    Ok(())
}
