//! Timings, not correctness: ignored by default. Run with
//! `cargo test --release -p tern-store --test perf -- --ignored --nocapture`.
//! Each prints its numbers per engine.

mod common;

use std::time::Instant;

use common::*;
use tern_core::{Commit, Record, RecordType, Store, now_millis};

/// Owner names in shuffled order (each insert lands somewhere in the name
/// index), or in zone-file order with TERN_PERF_SORTED set.
fn order(i: usize, count: usize) -> usize {
    if std::env::var("TERN_PERF_SORTED").is_ok() {
        i
    } else {
        (i * 7919) % count
    }
}

fn bulk(zone: &tern_core::Zone, count: usize) -> Vec<Record> {
    (0..count)
        .map(|i| {
            let mut r = record(
                zone,
                &format!("host-{:07}.{}", order(i, count), zone.name),
                RecordType::A,
                &format!("10.{}.{}.{}", (i >> 16) & 255, (i >> 8) & 255, i & 255),
            );
            if i % 3 == 0 {
                r.ttl = None;
            }
            r
        })
        .collect()
}

fn commit_of(zone: &tern_core::Zone, inserts: Vec<Record>) -> Commit {
    let mut after = zone.clone();
    after.serial += 1;
    after.updated_at = now_millis();
    Commit {
        zone_id: zone.id,
        expected_serial: zone.serial,
        zone: after.clone(),
        journal: entry(&after, zone.serial, vec![], inserts),
        claim: tern_core::NameClaim::Keep,
        keys: Vec::new(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "timing; run explicitly in release"]
async fn million_record_commit() {
    each_engine(|env| async move {
        let count: usize = std::env::var("TERN_PERF_RECORDS")
            .ok()
            .and_then(|c| c.parse().ok())
            .unwrap_or(1_000_000);
        let acme = org(&env.db, "acme").await;
        let zone = zone(acme.id, "big.test");
        env.db
            .create_zone(&zone, &entry(&zone, 0, vec![], vec![]), false)
            .await
            .expect("zone");
        let commit = commit_of(&zone, bulk(&zone, count));
        let started = Instant::now();
        env.db.commit(&commit).await.expect("commit");
        let took = started.elapsed();
        eprintln!("{}: commit of {count} inserts took {took:?}", env.label);
        if std::env::var("TERN_PERF_WRITE_ONLY").is_ok() {
            return;
        }
        let started = Instant::now();
        let back = env.db.records(zone.id).await.expect("records");
        eprintln!(
            "{}: reading {} records back took {:?}",
            env.label,
            back.len(),
            started.elapsed()
        );
        assert_eq!(back.len(), count);
        let started = Instant::now();
        let journal = env.db.journal_since(1, 1).await.expect("journal");
        eprintln!(
            "{}: reading the {}-record journal entry took {:?}",
            env.label,
            journal[0].added.len(),
            started.elapsed()
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "timing; run explicitly in release"]
async fn single_record_commit_latency() {
    each_engine(|env| async move {
        let acme = org(&env.db, "acme").await;
        let mut zone = zone(acme.id, "small.test");
        let seed = bulk(&zone, 10_000);
        env.db
            .create_zone(&zone, &entry(&zone, 0, vec![], seed), false)
            .await
            .expect("zone");
        let mut latencies = Vec::new();
        for i in 0..2000 {
            let r = record(
                &zone,
                &format!("single-{i}.small.test"),
                RecordType::A,
                "192.0.2.1",
            );
            let commit = commit_of(&zone, vec![r]);
            let started = Instant::now();
            env.db.commit(&commit).await.expect("commit");
            latencies.push(started.elapsed().as_secs_f64() * 1000.0);
            zone = commit.zone;
        }
        latencies.sort_by(|a, b| a.total_cmp(b));
        let pct =
            |p: f64| latencies[((latencies.len() as f64 * p) as usize).min(latencies.len() - 1)];
        eprintln!(
            "{}: single-record commit p50 {:.3} ms, p90 {:.3} ms, p99 {:.3} ms, max {:.3} ms",
            env.label,
            pct(0.5),
            pct(0.9),
            pct(0.99),
            latencies[latencies.len() - 1]
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "timing; run explicitly in release"]
async fn concurrent_single_record_commits() {
    each_engine(|env| async move {
        let acme = org(&env.db, "acme").await;
        let db = std::sync::Arc::new(tern_store::Database::connect(&env.url).await.expect("db"));
        let mut tasks = Vec::new();
        let started = Instant::now();
        for t in 0..4 {
            let zone = zone(acme.id, &format!("z{t}.test"));
            db.create_zone(&zone, &entry(&zone, 0, vec![], vec![]), false)
                .await
                .expect("zone");
            let db = db.clone();
            tasks.push(tokio::spawn(async move {
                let mut zone = zone;
                let mut latencies = Vec::new();
                for i in 0..250 {
                    let r = record(
                        &zone,
                        &format!("c{i}.{}", zone.name),
                        RecordType::A,
                        "192.0.2.1",
                    );
                    let commit = commit_of(&zone, vec![r]);
                    let started = Instant::now();
                    db.commit(&commit).await.expect("commit");
                    latencies.push(started.elapsed().as_secs_f64() * 1000.0);
                    zone = commit.zone;
                }
                latencies
            }));
        }
        let mut latencies = Vec::new();
        for t in tasks {
            latencies.extend(t.await.expect("task"));
        }
        let wall = started.elapsed();
        latencies.sort_by(|a, b| a.total_cmp(b));
        let pct =
            |p: f64| latencies[((latencies.len() as f64 * p) as usize).min(latencies.len() - 1)];
        eprintln!(
            "{}: 4 writers × 250 commits in {wall:?}: p50 {:.3} ms, p99 {:.3} ms, max {:.3} ms",
            env.label,
            pct(0.5),
            pct(0.99),
            latencies[latencies.len() - 1]
        );
    })
    .await;
}
