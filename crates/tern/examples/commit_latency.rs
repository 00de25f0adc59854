//! Benchmark (not a test): latency of single-record change sets committed
//! through `ZoneService` into an existing zone, as the API will issue them,
//! with the nameserver's index loaded and following every commit the way
//! `tern serve` runs it; the snapshot swap is also timed on its own.
//! Usage: commit_latency <database-url> <zone-name> [changes]
//! Prints p50/p90/p99/max in milliseconds; run by bench/write-path.sh.

use std::sync::Arc;
use std::time::Instant;

use tern_core::{
    Actor, Change, ChangeSet, ChangeSource, Name, NewRecord, Rdata, RecordType, ServiceConfig,
    Store, ZoneFilter, ZoneService,
};
use tern_dns::{IndexListener, ZoneIndex};
use tern_store::Database;

mod support;
use support::{Timed, summary};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let (url, zone_name) = match (args.get(1), args.get(2)) {
        (Some(u), Some(z)) => (u.clone(), z.clone()),
        _ => return Err("usage: commit_latency <database-url> <zone-name> [changes]".into()),
    };
    let count: usize = args.get(3).and_then(|c| c.parse().ok()).unwrap_or(2000);
    let database = Arc::new(Database::connect(&url).await?);
    let store: Arc<dyn Store> = database.clone();
    let service = ZoneService::new(store.clone(), ServiceConfig::default());
    let index = ZoneIndex::new(store);
    let load = Instant::now();
    index.load_all().await?;
    let load_ms = load.elapsed().as_millis();
    let timed = Arc::new(Timed::new(IndexListener(index.clone()), count));
    service.add_listener(timed.clone());
    let name = Name::parse_absolute(&zone_name)?;
    let zone = service
        .store()
        .list_zones(&ZoneFilter {
            name: Some(name.clone()),
            ..ZoneFilter::default()
        })
        .await?
        .into_iter()
        .next()
        .ok_or("zone not found; import it first")?;
    let actor = Actor::new("bench", ChangeSource::Api);
    let run = Instant::now().elapsed().as_nanos() ^ std::process::id() as u128;
    let mut latencies = Vec::with_capacity(count);
    for i in 0..count {
        let owner = Name::parse_absolute(&format!("bench-{run:x}-{i}.{zone_name}"))?;
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
        service.apply(zone.id, changes, &actor).await?;
        latencies.push(start.elapsed().as_secs_f64() * 1000.0);
    }
    println!(
        "commits={count} index_load_ms={load_ms} {} | {}",
        summary("commit", latencies),
        summary("snapshot_swap", timed.take())
    );
    Ok(())
}
