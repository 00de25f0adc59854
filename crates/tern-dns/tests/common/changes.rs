//! The random change mix of the IXFR tests, shared so that `ixfr.rs`
//! (Tern's IXFR applied by the test) and `ixfr_peer.rs` (Knot as the
//! secondary) exercise the same changes: records added, deleted and
//! retimed, RRsets deleted and added again in one change set, the zone's
//! default TTL and its SOA fields changed. Each `Op` becomes `Change`s on
//! the zone as it is when the step runs.

use proptest::prelude::*;
use tern_core::{
    Actor, Change, ChangeSource, Name, NewRecord, Rdata, RecordType, RecordUpdate, Store, Zone,
    ZoneUpdate,
};

#[derive(Debug, Clone)]
pub enum Op {
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
    /// The SOA's own TTL and its timer fields.
    Soa {
        ttl: u32,
        minimum: u32,
        refresh: u32,
        retry: u32,
        expire: u32,
    },
}

pub fn ttl() -> impl Strategy<Value = u32> {
    prop_oneof![Just(60u32), Just(300), Just(3600), 30u32..90_000]
}

/// SOA timers stay long (refresh of at least 10 minutes): a secondary must
/// transfer because of NOTIFY, not because its refresh timer ran out.
fn soa() -> impl Strategy<Value = Op> {
    (
        ttl(),
        ttl(),
        600u32..86_400,
        60u32..7200,
        86_400u32..2_419_200,
    )
        .prop_map(|(ttl, minimum, refresh, retry, expire)| Op::Soa {
            ttl,
            minimum,
            refresh,
            retry,
            expire,
        })
}

pub fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (0u8..6, any::<u8>(), prop::option::of(ttl()))
            .prop_map(|(host, octet, ttl)| Op::Add { host, octet, ttl }),
        1 => any::<usize>().prop_map(|pick| Op::Delete { pick }),
        1 => (any::<usize>(), prop::option::of(ttl())).prop_map(|(pick, ttl)| Op::Retime { pick, ttl }),
        1 => any::<usize>().prop_map(|pick| Op::Readd { pick }),
        2 => ttl().prop_map(Op::DefaultTtl),
        1 => soa(),
    ]
}

pub fn actor() -> Actor {
    Actor::new("ixfr-test", ChangeSource::Api)
}

/// The changes `op` makes to `zone` as it is now (none when there is no
/// record to pick).
pub async fn changes_for(store: &dyn Store, zone: &Zone, op: &Op) -> Vec<Change> {
    let records: Vec<tern_core::Record> = store
        .records(zone.id)
        .await
        .expect("records")
        .into_iter()
        .filter(|r| !(r.name == zone.name && r.rtype == RecordType::NS))
        .collect();
    let nth = |pick: usize| records.get(pick % records.len().max(1));
    match op {
        Op::Add { host, octet, ttl } => {
            let name = Name::parse_absolute(&format!("host{host}.{}", zone.name)).expect("name");
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
        Op::Soa {
            ttl,
            minimum,
            refresh,
            retry,
            expire,
        } => {
            let mut soa = zone.soa.clone();
            soa.ttl = *ttl;
            soa.minimum = *minimum;
            soa.refresh = *refresh;
            soa.retry = *retry;
            soa.expire = *expire;
            vec![Change::Zone(ZoneUpdate {
                soa: Some(soa),
                ..ZoneUpdate::default()
            })]
        }
    }
}
