//! Benchmark (not a test): does a commit's cost grow with the number of
//! zones the nameserver holds? (Issue 9: it must not.) Into each empty
//! database, creates its number of zones through `ZoneService` with the
//! index listening, as `tern serve` runs it; then commits single-record
//! change sets into the first ten zones of each, taking the databases in
//! turn, commit by commit, so that both sizes meet the same machine noise,
//! and prints each one's commit latency.
//! Usage: commit_zones <commits> <database-url> <zones> [<database-url> <zones>]...
//! Run by bench/commit-zones.sh, which compares 10 zones with 100,000.

use std::sync::Arc;
use std::time::Instant;

use tern_core::{
    Actor, Change, ChangeSet, ChangeSource, Name, NewRecord, NewZone, Organisation, Rdata,
    RecordType, ServiceConfig, Store, ZoneService, new_id, now_millis,
};
use tern_dns::{IndexListener, ZoneIndex};
use tern_store::Database;
use uuid::Uuid;

mod support;
use support::{Timed, summary};

/// Writers creating zones at once (the store serialises them; this keeps
/// the database busy while the index applies the previous creation).
const CREATORS: usize = 4;

/// One database loaded with its zones, ready to be timed.
struct Loaded {
    zones: usize,
    service: Arc<ZoneService>,
    index: Arc<ZoneIndex>,
    timed: Arc<Timed>,
    targets: Vec<(usize, Uuid)>,
    create_s: f64,
    latencies: Vec<f64>,
}

async fn load(url: &str, zones: usize, commits: usize) -> Result<Loaded, Box<dyn std::error::Error>> {
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
    timed.take(); // the zones' creation is not what is measured
    Ok(Loaded {
        zones,
        service,
        index,
        timed,
        targets: ids.into_iter().take(10).collect(),
        create_s,
        latencies: Vec::with_capacity(commits),
    })
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let usage = "usage: commit_zones <commits> <database-url> <zones> [<database-url> <zones>]...";
    let commits: usize = args.get(1).ok_or(usage)?.parse()?;
    let pairs = args.get(2..).ok_or(usage)?;
    if pairs.is_empty() || pairs.len() % 2 != 0 {
        return Err(usage.into());
    }
    let mut loaded = Vec::new();
    for pair in pairs.chunks(2) {
        loaded.push(load(&pair[0], pair[1].parse()?, commits).await?);
    }

    let actor = Actor::new("bench", ChangeSource::Api);
    for i in 0..commits {
        for run in loaded.iter_mut() {
            let (n, zone_id) = run.targets[i % run.targets.len()];
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
            run.service.apply(zone_id, changes, &actor).await?;
            run.latencies.push(start.elapsed().as_secs_f64() * 1000.0);
        }
    }
    for run in loaded {
        println!(
            "zones={} served={} create_s={:.1} commits={commits} {} | {}",
            run.zones,
            run.index.zone_count(),
            run.create_s,
            summary("commit", run.latencies),
            summary("index_apply", run.timed.take())
        );
    }
    Ok(())
}
