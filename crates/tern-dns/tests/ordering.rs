//! Ordering in the nameserver's index (issue 9, defect 1): local commits
//! applied as they return, while a journal follower delivers the same
//! entries and those of another writer (another node, or the CLI) late,
//! twice and out of order. Afterwards the index must answer exactly what
//! the store holds, at the store's serial, and every local commit must have
//! been answered as soon as it returned (read-your-writes).

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use tern_core::{
    Actor, Change, ChangeSet, ChangeSource, CommitListener, Name, NewRecord, NewZone, Rdata,
    RecordType, ServiceConfig, ZoneChanged, ZoneService,
};
use tern_dns::answer::answer;
use tern_dns::{AnswerConfig, IndexListener, Transport, ZoneIndex};
use tokio::task::JoinSet;

mod common;

use common::{parse, query};

const ROUNDS: usize = 50;
const WRITERS: usize = 4;
const COMMITS: usize = 6;

fn ask(index: &ZoneIndex, name: &str, qtype: u16) -> common::Reply {
    let message = query(name, qtype, None);
    let reply = answer(index, &message, Transport::Tcp, &AnswerConfig::default());
    parse(&reply.unwrap_or_default())
}

/// A small deterministic shuffle (no test may depend on luck to fail).
fn shuffle<T>(items: &mut [T], seed: &mut u64) {
    for i in (1..items.len()).rev() {
        *seed ^= *seed << 13;
        *seed ^= *seed >> 7;
        *seed ^= *seed << 17;
        items.swap(i, (*seed % (i as u64 + 1)) as usize);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn local_commits_and_an_out_of_order_follower_lose_nothing_sqlite() {
    lose_nothing(common::core().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn local_commits_and_an_out_of_order_follower_lose_nothing_postgres() {
    let Some(db) = tern_store::testing::FreshPostgres::create("tern_dns_ordering").await else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    lose_nothing(common::core_at(dir, &db.url, ServiceConfig::default()).await).await;
    db.drop_database().await;
}

async fn lose_nothing(core: common::Core) {
    // Another writer on the same database: this node hears of its commits
    // only through the journal.
    let other = Arc::new(ZoneService::new(
        core.store.clone(),
        ServiceConfig::default(),
    ));
    let listener = Arc::new(IndexListener(core.index.clone()));
    let actor = Actor::new("test", ChangeSource::Api);
    let mut failures: Vec<String> = Vec::new();
    for round in 0..ROUNDS {
        let zone_name = format!("r{round}.order.test");
        let apex = Name::parse_absolute(&zone_name).expect("name");
        let zone = core
            .service
            .create_zone(NewZone::new(apex.clone(), core.org.id), &actor)
            .await
            .expect("zone");
        let after = core.store.journal_head().await.expect("head");
        let done = Arc::new(AtomicBool::new(false));
        let follower = {
            let (store, listener, done) = (core.store.clone(), listener.clone(), done.clone());
            let zone_id = zone.id;
            tokio::spawn(async move {
                let mut seed = 0x9e37_79b9_7f4a_7c15 ^ (round as u64 + 1);
                let mut last = after;
                let mut pending = Vec::new();
                loop {
                    let finished = done.load(Ordering::SeqCst);
                    let entries = store.journal_since(last, 1000).await.expect("journal");
                    if let Some(e) = entries.last() {
                        last = e.seq;
                    }
                    pending.extend(entries.into_iter().filter(|e| e.zone_id == zone_id));
                    // Deliver late, out of order and some twice.
                    shuffle(&mut pending, &mut seed);
                    let keep = if finished { 0 } else { pending.len() / 2 };
                    for entry in pending.drain(keep..) {
                        let change = ZoneChanged {
                            entry: Arc::new(entry),
                        };
                        listener.on_commit(&change).await;
                        if seed.is_multiple_of(3) {
                            listener.on_commit(&change).await;
                        }
                    }
                    if finished && pending.is_empty() {
                        return;
                    }
                    tokio::time::sleep(std::time::Duration::from_millis(1)).await;
                }
            })
        };
        let mut writers = JoinSet::new();
        for w in 0..WRITERS {
            let local = w % 2 == 0;
            let service = if local {
                core.service.clone()
            } else {
                other.clone()
            };
            let (index, actor, zone_name) = (core.index.clone(), actor.clone(), zone_name.clone());
            let zone_id = zone.id;
            writers.spawn(async move {
                let mut problems = Vec::new();
                for i in 0..COMMITS {
                    let owner = format!("w{w}-{i}.{zone_name}");
                    let changes = ChangeSet::new(vec![Change::Add(NewRecord {
                        name: Name::parse_absolute(&owner).expect("owner"),
                        ttl: Some(300),
                        rdata: Rdata::parse_text(RecordType::A, &format!("192.0.2.{}", i + 1))
                            .expect("rdata"),
                        description: None,
                    })]);
                    let Ok(outcome) = service.apply(zone_id, changes, &actor).await else {
                        continue; // not acknowledged: nothing to expect
                    };
                    if local && ask(&index, &owner, 1).answer.is_empty() {
                        problems.push(format!("{owner}: not answered right after its commit"));
                    }
                    // Every third record is deleted again.
                    if i % 3 == 2
                        && let Some(entry) = outcome.entry
                        && let Some(record) = entry.added.first()
                    {
                        let delete = ChangeSet::new(vec![Change::Delete { id: record.id }]);
                        if service.apply(zone_id, delete, &actor).await.is_ok()
                            && local
                            && !ask(&index, &owner, 1).answer.is_empty()
                        {
                            problems.push(format!("{owner}: answered after its delete"));
                        }
                    }
                }
                problems
            });
        }
        while let Some(problems) = writers.join_next().await {
            failures.extend(problems.expect("writer"));
        }
        done.store(true, Ordering::SeqCst);
        follower.await.expect("follower");

        // The index now answers exactly what the store holds.
        let stored = core.store.zone(zone.id).await.expect("zone").expect("zone");
        let records = core.store.records(zone.id).await.expect("records");
        let expected: BTreeSet<String> = records
            .iter()
            .filter(|r| r.rtype == RecordType::A)
            .map(|r| format!("{} {}", r.name, r.rdata))
            .collect();
        let mut answered = BTreeSet::new();
        for w in 0..WRITERS {
            for i in 0..COMMITS {
                let owner = format!("w{w}-{i}.{zone_name}");
                for (name, _, rdata) in ask(&core.index, &owner, 1).answer {
                    answered.insert(format!("{name} {rdata}"));
                }
            }
        }
        if answered != expected {
            failures.push(format!(
                "round {round}: missing {:?}, extra {:?}",
                expected.difference(&answered).collect::<Vec<_>>(),
                answered.difference(&expected).collect::<Vec<_>>()
            ));
        }
        let soa = ask(&core.index, &zone_name, 6);
        let serial = soa
            .answer
            .first()
            .and_then(|(_, _, rdata)| rdata.split_whitespace().nth(2))
            .and_then(|s| s.parse::<u32>().ok());
        if serial != Some(stored.serial) {
            failures.push(format!(
                "round {round}: serving serial {serial:?}, the store has {}",
                stored.serial
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} problems in {ROUNDS} rounds:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
