//! The zones the nameserver answers for. Two maps: zone id → slot (each
//! slot holds its zone's snapshot and applies the zone's journal entries in
//! serial order, `slot.rs`), and name → the slot served for that name,
//! which readers load without locking and which is swapped only when the
//! set of served zones changes. A commit finds its slot by id and swaps one
//! snapshot: its cost does not grow with the number of zones.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use arc_swap::{ArcSwap, Guard};
use tern_core::{CommitListener, JournalEntry, Name, Store, ZoneChanged, ZoneFilter, ZoneStatus};
use uuid::Uuid;

use crate::metrics::Metrics;
use crate::sharded::{Sharded, shards_for};
use crate::slot::Slot;
use crate::snapshot::ZoneSnapshot;

/// Which of the active zones sharing a name is served: the rule of
/// `tern_core::serving`, the same the API's `served` flag reports.
pub use tern_core::serving::served_zone;

pub struct ZoneIndex {
    /// Every zone this node has seen, by id; only appliers take the lock,
    /// for the lookup.
    slots: Mutex<HashMap<Uuid, Arc<Slot>>>,
    /// Name → the zone served for it. Readers load it without locking.
    served: ArcSwap<Sharded<Arc<Slot>>>,
    /// The zones holding each name; its lock serialises changes to `served`.
    names: Mutex<HashMap<Name, Vec<Arc<Slot>>>>,
    metrics: Arc<Metrics>,
    /// What the server adds to each zone's NOTIFY targets and keys.
    notify: std::sync::OnceLock<crate::notify::NotifyDefaults>,
    /// TSIG keys for transfers and signed queries, reloaded from the store.
    tsig: crate::tsig::TsigKeys,
    store: Arc<dyn Store>,
}

impl ZoneIndex {
    pub fn new(store: Arc<dyn Store>) -> Arc<ZoneIndex> {
        Arc::new(ZoneIndex {
            slots: Mutex::new(HashMap::new()),
            served: ArcSwap::from_pointee(Sharded::new(1)),
            names: Mutex::new(HashMap::new()),
            metrics: Arc::default(),
            notify: std::sync::OnceLock::new(),
            tsig: crate::tsig::TsigKeys::default(),
            store,
        })
    }

    /// Loads every active zone and the TSIG keys from the store (at start).
    /// A zone that commits while it loads is caught up by its next entry.
    pub async fn load_all(&self) -> Result<(), tern_core::StoreError> {
        self.reload_tsig_keys().await?;
        let zones = self
            .store
            .list_zones(&ZoneFilter {
                status: Some(ZoneStatus::Active),
                ..ZoneFilter::default()
            })
            .await?;
        for zone in zones {
            // Chunk by chunk: the records never sit in memory beside the
            // snapshot built from them.
            let count = self.store.record_count(zone.id).await?;
            let mut snapshot = ZoneSnapshot::sized_for(&zone, count as usize);
            self.store
                .records_chunked(zone.id, &mut |chunk| snapshot.extend(&chunk))
                .await?;
            let slot = self.slot(zone.id, &zone.name);
            let mut order = slot.lock().await;
            slot.load(&mut order, &zone, snapshot);
        }
        self.serve_all_names();
        Ok(())
    }

    /// The zone that holds `name`: the longest served suffix.
    pub fn find(&self, name: &Name) -> Option<Guard<Option<Arc<ZoneSnapshot>>>> {
        let served = self.served.load();
        let slot = served
            .get(name.as_str())
            .or_else(|| name.ancestor_strs().find_map(|a| served.get(a)))?;
        // A guard, not `load_full`: a query takes no count on the shared
        // `Arc`, so the UDP threads do not contend on its cache line.
        Some(slot.snapshot_guard())
    }

    /// The zone that answers a DS question for `name`: the parent side of
    /// a cut (RFC 4035 §3.1.4.1), so when `name` is the apex of one served
    /// zone and a zone above it is served and active too, that one;
    /// otherwise the zone `find` gives.
    pub fn find_for_ds(&self, name: &Name) -> Option<Guard<Option<Arc<ZoneSnapshot>>>> {
        let served = self.served.load();
        if served.get(name.as_str()).is_some()
            && let Some(parent) = name.ancestor_strs().find_map(|a| served.get(a))
        {
            let guard = parent.snapshot_guard();
            if guard.is_some() {
                return Some(guard);
            }
        }
        drop(served);
        self.find(name)
    }

    /// The zone served with `apex` as its name (transfers are of whole zones).
    pub fn zone_at(&self, apex: &Name) -> Option<Arc<ZoneSnapshot>> {
        self.served.load().get(apex.as_str())?.snapshot()
    }

    pub fn zone_count(&self) -> usize {
        self.served.load().len()
    }

    /// Sets the server-wide NOTIFY targets and transfer keys (once, at
    /// start).
    pub fn set_notify(&self, defaults: crate::notify::NotifyDefaults) {
        let _ = self.notify.set(defaults);
    }

    /// Re-reads the TSIG keys (they change outside the zone journal, e.g.
    /// by `tern tsig create` in another process).
    pub async fn reload_tsig_keys(&self) -> Result<(), tern_core::StoreError> {
        let keys = self.store.tsig_keys().await?;
        self.tsig.replace(&keys);
        Ok(())
    }

    pub fn tsig(&self) -> &crate::tsig::TsigKeys {
        &self.tsig
    }

    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    /// `/metrics` text: the counters plus zones and records served now.
    pub fn render_metrics(&self) -> String {
        let served = self.served.load();
        let records = served
            .values()
            .filter_map(|slot| slot.snapshot())
            .map(|z| z.record_count())
            .sum();
        self.metrics.render(served.len(), records)
    }

    /// Applies one committed entry, from this process or the journal, in
    /// its zone's serial order; returns once the nameserver answers with it
    /// (or with a later state of the zone).
    pub async fn apply(&self, entry: &JournalEntry) {
        let started = std::time::Instant::now();
        let slot = self.slot(entry.zone_id, &entry.zone_name);
        let mut order = slot.lock().await;
        let applied = slot.apply(&mut order, entry, &*self.store).await;
        if applied.activity_changed {
            // Under the slot's lock, so that a second applier of this entry
            // (waiting for the lock) returns only once the name is served.
            self.serve_name(&slot.name);
        }
        drop(order);
        self.metrics.swap(started.elapsed().as_micros() as u64);
        if applied.advanced
            && let Some(zone) = slot.snapshot()
        {
            self.notify(&zone);
        }
    }

    /// The slot of a zone, made on first sight.
    fn slot(&self, zone_id: Uuid, name: &Name) -> Arc<Slot> {
        let slot = {
            let Ok(mut slots) = self.slots.lock() else {
                return Arc::new(Slot::new(zone_id, name.clone()));
            };
            if let Some(slot) = slots.get(&zone_id) {
                return slot.clone();
            }
            let slot = Arc::new(Slot::new(zone_id, name.clone()));
            slots.insert(zone_id, slot.clone());
            slot
        };
        if let Ok(mut names) = self.names.lock() {
            names.entry(name.clone()).or_default().push(slot.clone());
        }
        slot
    }

    /// Re-decides which zone is served for `name` (and only for it), and
    /// swaps the served map if that changed.
    fn serve_name(&self, name: &Name) {
        let Ok(mut names) = self.names.lock() else {
            return;
        };
        let chosen = match names.get_mut(name) {
            Some(holders) => {
                holders.retain(|slot| !slot.is_purged());
                choose(holders)
            }
            None => None,
        };
        if names.get(name).is_some_and(Vec::is_empty) {
            names.remove(name);
        }
        let current = self.served.load();
        let unchanged = match (current.get(name.as_str()), &chosen) {
            (Some(now), Some(next)) => Arc::ptr_eq(now, next),
            (None, None) => true,
            _ => false,
        };
        if unchanged {
            return;
        }
        // Copies one shard and the shard pointers, not the map.
        let mut next = (**current).clone();
        match chosen {
            Some(slot) => next.insert(name.clone(), slot),
            None => next.remove(name),
        }
        next.reshard_if_grown();
        self.served.store(Arc::new(next));
    }

    /// Rebuilds the whole served map (after the start-up load).
    fn serve_all_names(&self) {
        let Ok(names) = self.names.lock() else {
            return;
        };
        let mut next = Sharded::new(shards_for(names.len()));
        for (name, holders) in names.iter() {
            if let Some(slot) = choose(holders) {
                next.insert(name.clone(), slot);
            }
        }
        self.served.store(Arc::new(next));
    }

    fn notify(&self, zone: &ZoneSnapshot) {
        crate::notify::zone_changed(zone, self.notify.get(), &self.tsig, &self.metrics);
    }
}

/// The slot served among the holders of one name (`served_zone`).
fn choose(holders: &[Arc<Slot>]) -> Option<Arc<Slot>> {
    let id = served_zone(
        holders
            .iter()
            .filter(|slot| slot.is_active())
            .map(|slot| (slot.created_at(), slot.zone_id)),
    )?;
    holders.iter().find(|slot| slot.zone_id == id).cloned()
}

/// The index follows every commit, and the commit returns only once it is
/// applied, so a writer that hears "committed" can query the nameserver and
/// see its change.
pub struct IndexListener(pub Arc<ZoneIndex>);

#[async_trait::async_trait]
impl CommitListener for IndexListener {
    async fn on_commit(&self, change: &ZoneChanged) {
        self.0.apply(&change.entry).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_zone_created_first_is_served() {
        let (a, b, c) = (
            tern_core::new_id(),
            tern_core::new_id(),
            tern_core::new_id(),
        );
        assert_eq!(served_zone([(20, a), (10, b), (30, c)]), Some(b));
        // The same creation time: the smaller id decides.
        assert_eq!(served_zone([(10, c), (10, a)]), Some(a.min(c)));
        assert_eq!(served_zone([]), None);
    }
}
