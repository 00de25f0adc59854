//! IXFR against AXFR (issue 9, defect 6): for random change sequences —
//! records added, deleted, retimed, RRsets deleted and added again, the
//! zone's default TTL and its SOA changed — the zone before a change plus
//! the IXFR from its serial, applied as a secondary applies it (RFC 1995:
//! per step the old SOA and the records to delete, the new SOA and the
//! records to add), must be exactly the zone after it, TTLs included.

mod common;

use std::collections::BTreeMap;
use std::net::SocketAddr;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use tern_core::{
    Actor, Change, ChangeSet, ChangeSource, Name, NewRecord, NewZone, Rdata, RecordType,
    RecordUpdate, ZoneUpdate,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// One record as a secondary holds it: owner, type, RDATA (presentation).
type Key = (String, u16, String);
/// The zone as a secondary holds it, with each record's TTL (SOA apart).
type Zone = BTreeMap<Key, u32>;

#[derive(Debug, Clone)]
enum Op {
    /// A new A record at `host<n>`, inheriting the default TTL or not.
    Add {
        host: u8,
        octet: u8,
        ttl: Option<u32>,
    },
    /// Deletes the `pick`-th record (not the apex NS).
    Delete {
        pick: usize,
    },
    /// Sets the `pick`-th record's TTL (its RRset follows).
    Retime {
        pick: usize,
        ttl: Option<u32>,
    },
    /// Deletes the RRset of the `pick`-th record, then adds it again
    /// unchanged in the same change set.
    Readd {
        pick: usize,
    },
    DefaultTtl(u32),
    SoaTtl {
        ttl: u32,
        minimum: u32,
    },
}

fn ttl() -> impl Strategy<Value = u32> {
    prop_oneof![Just(60u32), Just(300), Just(3600), 30u32..90_000]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (0u8..6, any::<u8>(), prop::option::of(ttl()))
            .prop_map(|(host, octet, ttl)| Op::Add { host, octet, ttl }),
        1 => any::<usize>().prop_map(|pick| Op::Delete { pick }),
        1 => (any::<usize>(), prop::option::of(ttl())).prop_map(|(pick, ttl)| Op::Retime { pick, ttl }),
        1 => any::<usize>().prop_map(|pick| Op::Readd { pick }),
        2 => ttl().prop_map(Op::DefaultTtl),
        1 => (ttl(), ttl()).prop_map(|(ttl, minimum)| Op::SoaTtl { ttl, minimum }),
    ]
}

fn actor() -> Actor {
    Actor::new("ixfr-test", ChangeSource::Api)
}

async fn read_message(stream: &mut TcpStream) -> Vec<u8> {
    let mut len = [0u8; 2];
    stream.read_exact(&mut len).await.expect("length");
    let mut message = vec![0u8; usize::from(u16::from_be_bytes(len))];
    stream.read_exact(&mut message).await.expect("message");
    message
}

/// Every answer record of a transfer (AXFR or IXFR), with its TTL, read
/// until the closing SOA (or a lone SOA: the client is current).
async fn transfer(addr: SocketAddr, request: Vec<u8>) -> Vec<(Key, u32)> {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    let len = u16::try_from(request.len()).expect("request length");
    stream.write_all(&len.to_be_bytes()).await.expect("write");
    stream.write_all(&request).await.expect("write");
    let mut records: Vec<(Key, u32)> = Vec::new();
    let mut soas = 0;
    loop {
        let reply = common::parse(&read_message(&mut stream).await);
        assert_eq!(reply.rcode, 0, "transfer refused or failed: {reply:?}");
        for (rr, ttl) in reply.answer.into_iter().zip(reply.ttls[0].iter().copied()) {
            if rr.1 == RecordType::SOA.0 {
                soas += 1;
            }
            records.push((rr, ttl));
        }
        let first_serial = records.first().map(|r| soa_serial(&r.0.2));
        let last = records.last().map(|r| (r.0.1, soa_serial(&r.0.2)));
        // Done: a closing SOA with the opening serial (AXFR or IXFR), or a
        // single SOA with nothing after it (the client is current).
        if records.len() > 1 && last.is_some_and(|(t, s)| t == 6 && Some(s) == first_serial) {
            return records;
        }
        if soas == 1 && records.len() == 1 {
            return records;
        }
    }
}

fn soa_serial(rdata: &str) -> u32 {
    rdata
        .split_whitespace()
        .nth(2)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

fn axfr_request(zone: &str) -> Vec<u8> {
    common::query(zone, 252, None)
}

/// An AXFR as the zone a secondary holds: the records, and the SOA apart.
fn as_zone(records: &[(Key, u32)]) -> (Zone, (Key, u32)) {
    let soa = records.first().cloned().expect("an SOA first");
    let body = &records[1..records.len() - 1];
    (body.iter().cloned().collect(), soa)
}

/// Applies an incremental IXFR to `zone` as RFC 1995 describes; the IXFR
/// must be incremental (not the whole zone) and delete only what is there,
/// with the TTL it was served with.
fn apply_ixfr(zone: &mut Zone, records: &[(Key, u32)]) -> Result<(Key, u32), String> {
    let soa = records.first().cloned().ok_or("empty IXFR")?;
    if records.len() == 1 {
        return Ok(soa);
    }
    if records.get(1).is_some_and(|r| r.0.1 != 6) {
        return Err(format!("IXFR came back as the whole zone: {records:?}"));
    }
    let mut deleting = false;
    for (key, ttl) in &records[1..records.len() - 1] {
        if key.1 == 6 {
            deleting = !deleting;
            continue;
        }
        if deleting {
            match zone.remove(key) {
                Some(held) if held == *ttl => {}
                Some(held) => {
                    return Err(format!(
                        "IXFR deletes {key:?} with TTL {ttl}, the secondary holds it with {held}"
                    ));
                }
                None => return Err(format!("IXFR deletes {key:?}, which the secondary lacks")),
            }
        } else {
            zone.insert(key.clone(), *ttl);
        }
    }
    Ok(soa)
}

struct Bench {
    core: common::Core,
    addr: SocketAddr,
}

impl Bench {
    async fn changes_for(&self, zone: &tern_core::Zone, op: &Op) -> Vec<Change> {
        let records: Vec<tern_core::Record> = self
            .core
            .store
            .records(zone.id)
            .await
            .expect("records")
            .into_iter()
            .filter(|r| !(r.name == zone.name && r.rtype == RecordType::NS))
            .collect();
        let nth = |pick: usize| records.get(pick % records.len().max(1));
        match op {
            Op::Add { host, octet, ttl } => {
                let name =
                    Name::parse_absolute(&format!("host{host}.{}", zone.name)).expect("name");
                // A record joining an RRset takes its TTL form, as a client
                // adding to it would.
                let ttl = records
                    .iter()
                    .find(|r| r.name == name && r.rtype == RecordType::A)
                    .map_or(*ttl, |r| r.ttl);
                vec![Change::Add(NewRecord {
                    name,
                    ttl,
                    rdata: Rdata::parse_text(RecordType::A, &format!("192.0.2.{octet}"))
                        .expect("rdata"),
                    description: None,
                })]
            }
            Op::Delete { pick } => nth(*pick)
                .map(|r| vec![Change::Delete { id: r.id }])
                .unwrap_or_default(),
            Op::Retime { pick, ttl } => nth(*pick)
                .map(|r| {
                    vec![Change::Update {
                        id: r.id,
                        update: RecordUpdate {
                            ttl: Some(*ttl),
                            ..RecordUpdate::default()
                        },
                    }]
                })
                .unwrap_or_default(),
            Op::Readd { pick } => nth(*pick)
                .map(|r| {
                    let set: Vec<(Rdata, Option<String>)> = records
                        .iter()
                        .filter(|o| o.name == r.name && o.rtype == r.rtype)
                        .map(|o| (o.rdata.clone(), None))
                        .collect();
                    vec![
                        Change::DeleteRrset {
                            name: r.name.clone(),
                            rtype: r.rtype,
                        },
                        Change::ReplaceRrset {
                            name: r.name.clone(),
                            rtype: r.rtype,
                            ttl: r.ttl,
                            records: set,
                        },
                    ]
                })
                .unwrap_or_default(),
            Op::DefaultTtl(ttl) => vec![Change::Zone(ZoneUpdate {
                default_ttl: Some(*ttl),
                ..ZoneUpdate::default()
            })],
            Op::SoaTtl { ttl, minimum } => {
                let mut soa = zone.soa.clone();
                soa.ttl = *ttl;
                soa.minimum = *minimum;
                vec![Change::Zone(ZoneUpdate {
                    soa: Some(soa),
                    ..ZoneUpdate::default()
                })]
            }
        }
    }

    async fn run(&self, case: usize, ops: &[Op]) -> Result<(), String> {
        let name = format!("case{case}.ixfr.test.");
        let mut new = NewZone::new(Name::parse_absolute(&name).expect("name"), self.core.org.id);
        new.settings = serde_json::json!({"transfer_allow": ["127.0.0.0/8"]});
        let mut zone = self
            .core
            .service
            .create_zone(new, &actor())
            .await
            .map_err(|e| format!("create: {e}"))?;
        for (step, op) in ops.iter().enumerate() {
            let before = transfer(self.addr, axfr_request(&name)).await;
            let (mut held, _) = as_zone(&before);
            let serial_before = zone.serial;
            let changes = self.changes_for(&zone, op).await;
            if changes.is_empty() {
                continue;
            }
            match self
                .core
                .service
                .apply(zone.id, ChangeSet::new(changes), &actor())
                .await
            {
                Ok(outcome) => zone = outcome.zone,
                // A change the zone rules refuse changes nothing: fine.
                Err(_) => continue,
            }
            let after = transfer(self.addr, axfr_request(&name)).await;
            let (expected, expected_soa) = as_zone(&after);
            let ixfr = transfer(self.addr, common::ixfr_query(&name, serial_before)).await;
            let soa =
                apply_ixfr(&mut held, &ixfr).map_err(|e| format!("step {step} {op:?}: {e}"))?;
            if held != expected {
                let missing: Vec<_> = expected
                    .iter()
                    .filter(|(k, v)| held.get(*k) != Some(v))
                    .collect();
                let extra: Vec<_> = held
                    .iter()
                    .filter(|(k, v)| expected.get(*k) != Some(v))
                    .collect();
                return Err(format!(
                    "step {step} {op:?}: old AXFR + IXFR != new AXFR; missing or different {missing:?}, extra {extra:?}"
                ));
            }
            if soa != expected_soa {
                return Err(format!(
                    "step {step} {op:?}: IXFR ends at {soa:?}, AXFR has {expected_soa:?}"
                ));
            }
        }
        Ok(())
    }
}

#[test]
fn old_axfr_plus_ixfr_is_the_new_axfr() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let bench = runtime.block_on(async {
        let core = common::core().await;
        let addr = core.serve(tern_dns::AnswerConfig::default()).await;
        Bench { core, addr }
    });
    let cases: u32 = std::env::var("TERN_IXFR_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(24);
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    let case = std::sync::atomic::AtomicUsize::new(1);
    let result = runner.run(&prop::collection::vec(op(), 1..10), |ops| {
        let case = case.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        runtime
            .block_on(bench.run(case, &ops))
            .map_err(TestCaseError::fail)
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}

/// The reproduction of the issue: after a default-TTL change, the records
/// that inherit it change TTL in AXFR, and the IXFR must say so.
#[test]
fn a_default_ttl_change_reaches_secondaries_by_ixfr() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let core = common::core().await;
        let addr = core.serve(tern_dns::AnswerConfig::default()).await;
        let bench = Bench { core, addr };
        bench
            .run(
                0,
                &[
                    Op::Add {
                        host: 1,
                        octet: 1,
                        ttl: None,
                    },
                    Op::Add {
                        host: 2,
                        octet: 2,
                        ttl: Some(120),
                    },
                    Op::DefaultTtl(7200),
                ],
            )
            .await
            .expect("old AXFR + IXFR == new AXFR");
    });
}
