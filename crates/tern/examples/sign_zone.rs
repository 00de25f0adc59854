//! Benchmark (not a test): DNSSEC signing on the write path. Imports a zone
//! file into an empty SQLite database (not timed), then times turning
//! signing on until the zone is committed signed and the nameserver's
//! snapshot holds it, and then single-record changes to the signed zone
//! (each re-signed in its commit).
//! Usage: sign_zone <database-url> <zone-file> <origin> [changes]
//! Run by bench/sign-zone.sh beside kzonesign and dnssec-signzone.

use std::sync::Arc;
use std::time::Instant;

use tern_core::{
    Actor, Change, ChangeSet, ChangeSource, ImportMode, ImportOptions, Name, NewRecord, NewZone,
    Organisation, Rdata, RecordType, ServiceConfig, Store, ZoneService, ZoneUpdate, new_id,
    now_millis,
};
use tern_dns::{IndexListener, ZoneIndex};
use tern_dnssec::{KeyEncryptionKey, Signer};
use tern_store::Database;

mod support;
use support::{Timed, summary};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let usage = "usage: sign_zone <database-url> <zone-file> <origin> [changes]";
    let url = args.get(1).ok_or(usage)?;
    let file = args.get(2).ok_or(usage)?;
    let origin = Name::parse_absolute(args.get(3).ok_or(usage)?)?;
    let changes: usize = args.get(4).map(|c| c.parse()).transpose()?.unwrap_or(1000);
    let database = Arc::new(Database::connect(url).await?);
    let store: Arc<dyn Store> = database.clone();
    let service = Arc::new(ZoneService::new(store.clone(), ServiceConfig::default()));
    service.set_signer(Arc::new(Signer::new(Arc::new(
        KeyEncryptionKey::generate()?
    ))));
    let index = ZoneIndex::new(store.clone());
    let timed = Arc::new(Timed::new(IndexListener(index.clone()), changes + 1));
    service.add_listener(timed.clone());
    let org = Organisation {
        id: new_id(),
        slug: "bench".into(),
        name: "bench".into(),
        features: vec!["dns".into()],
        created_at: now_millis(),
        max_zones: None,
        max_records_per_zone: None,
    };
    store.create_organisation(&org).await?;
    let actor = Actor::new("bench", ChangeSource::Api);
    let text = std::fs::read(file)?;
    let options = ImportOptions {
        mode: ImportMode::Replace,
        skip_invalid: true,
        ..ImportOptions::default()
    };
    let zone = service
        .create_zone_from_file(
            NewZone::new(origin.clone(), org.id),
            &text[..],
            &options,
            &actor,
        )
        .await?
        .zone;
    let records = store.record_count(zone.id).await?;
    timed.take();

    let started = Instant::now();
    let enable = ChangeSet::new(vec![Change::Zone(ZoneUpdate {
        dnssec_enabled: Some(true),
        ..ZoneUpdate::default()
    })]);
    let outcome = service.apply(zone.id, enable, &actor).await?;
    let sign_s = started.elapsed().as_secs_f64();
    let added = outcome.entry.as_ref().map_or(0, |e| e.added.len());
    timed.take();

    // The changes are timed on the signed zone at rest: the first signing
    // wrote hundreds of megabytes to SQLite's WAL, which the checkpointer
    // copies into the database over the next seconds (taking the writer
    // for its last step); timing changes during that would measure the
    // one-time checkpoint, not a change to a signed zone.
    let settle = std::env::var("SETTLE_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10);
    tokio::time::sleep(std::time::Duration::from_secs(settle)).await;
    let mut latencies = Vec::with_capacity(changes);
    for i in 0..changes {
        let owner = Name::parse_absolute(&format!("signed-{i}.{origin}"))?;
        let rdata = Rdata::parse_text(
            RecordType::A,
            &format!("198.18.{}.{}", i / 250 % 250, i % 250 + 1),
        )?;
        let change = ChangeSet::new(vec![Change::Add(NewRecord {
            name: owner,
            ttl: Some(300),
            rdata,
            description: None,
        })]);
        let start = Instant::now();
        service.apply(zone.id, change, &actor).await?;
        latencies.push(start.elapsed().as_secs_f64() * 1000.0);
    }
    let rss_mb = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmHWM:")).and_then(|l| {
                l.split_whitespace()
                    .nth(1)
                    .and_then(|kb| kb.parse::<u64>().ok())
            })
        })
        .map_or(0, |kb| kb / 1024);
    println!(
        "tern records={records} sign_wall_s={sign_s:.2} dnssec_records={added} peak_rss_mb={rss_mb} | signed-zone {} | {}",
        summary("change", latencies),
        summary("index_apply", timed.take())
    );
    Ok(())
}
