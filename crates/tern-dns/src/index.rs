//! The set of zones the nameserver answers for: one immutable snapshot per
//! active zone behind an atomic pointer. Readers load it without locking;
//! a commit builds the next map and swaps it in before the commit returns
//! (read-your-writes).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use arc_swap::{ArcSwap, Guard};
use tern_core::{CommitListener, JournalEntry, Name, Store, ZoneChanged, ZoneFilter, ZoneStatus};
use uuid::Uuid;

use crate::metrics::Metrics;
use crate::snapshot::ZoneSnapshot;

pub type ZoneMap = HashMap<Name, Arc<ZoneSnapshot>>;

pub struct ZoneIndex {
    zones: ArcSwap<ZoneMap>,
    metrics: Arc<Metrics>,
    /// What the server adds to each zone's NOTIFY targets and keys.
    notify: std::sync::OnceLock<crate::notify::NotifyDefaults>,
    /// TSIG keys for transfers and signed queries, reloaded from the store.
    tsig: crate::tsig::TsigKeys,
    /// Serialises writers (commits, loads); readers never take it.
    write: Mutex<()>,
    store: Arc<dyn Store>,
}

impl ZoneIndex {
    pub fn new(store: Arc<dyn Store>) -> Arc<ZoneIndex> {
        Arc::new(ZoneIndex {
            zones: ArcSwap::from_pointee(HashMap::new()),
            metrics: Arc::default(),
            notify: std::sync::OnceLock::new(),
            tsig: crate::tsig::TsigKeys::default(),
            write: Mutex::new(()),
            store,
        })
    }

    /// Loads every active zone and the TSIG keys from the store (at start).
    pub async fn load_all(&self) -> Result<(), tern_core::StoreError> {
        self.reload_tsig_keys().await?;
        let zones = self
            .store
            .list_zones(&ZoneFilter {
                status: Some(ZoneStatus::Active),
                ..ZoneFilter::default()
            })
            .await?;
        let mut map = ZoneMap::new();
        for zone in zones {
            // Chunk by chunk: the records never sit in memory beside the
            // snapshot built from them.
            let count = self.store.record_count(zone.id).await?;
            let mut snapshot = ZoneSnapshot::sized_for(&zone, count as usize);
            self.store
                .records_chunked(zone.id, &mut |chunk| snapshot.extend(&chunk))
                .await?;
            map.insert(zone.name.clone(), Arc::new(snapshot));
        }
        let _guard = self.write.lock();
        self.zones.store(Arc::new(map));
        Ok(())
    }

    pub fn load(&self) -> Guard<Arc<ZoneMap>> {
        self.zones.load()
    }

    /// The zone that holds `name`: the longest served suffix.
    pub fn find<'m>(zones: &'m ZoneMap, name: &Name) -> Option<&'m ZoneSnapshot> {
        if let Some(zone) = zones.get(name) {
            return Some(zone);
        }
        for ancestor in name.ancestor_strs() {
            // Names in the map are canonical strings; compare without parsing.
            if let Some((_, zone)) = zones.get_key_value(ancestor) {
                return Some(zone);
            }
        }
        None
    }

    pub fn zone_count(&self) -> usize {
        self.zones.load().len()
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
        let zones = self.zones.load();
        let records = zones.values().map(|z| z.record_count()).sum();
        self.metrics.render(zones.len(), records)
    }

    fn replace(&self, update: impl FnOnce(&mut ZoneMap)) {
        let Ok(_guard) = self.write.lock() else {
            return;
        };
        let mut next: ZoneMap = (**self.zones.load()).clone();
        update(&mut next);
        self.zones.store(Arc::new(next));
    }

    /// Applies one committed change. A zone that becomes active without its
    /// records in the entry (re-activation) is loaded from the store.
    pub fn apply(self: &Arc<Self>, entry: &JournalEntry) {
        let started = std::time::Instant::now();
        self.apply_entry(entry);
        self.metrics.swap(started.elapsed().as_micros() as u64);
        if entry.serial_after != entry.serial_before
            && let Some(zone) = self.find_by_id(entry.zone_id)
        {
            crate::notify::zone_changed(&zone, self.notify.get(), &self.tsig, &self.metrics);
        }
    }

    fn apply_entry(self: &Arc<Self>, entry: &JournalEntry) {
        let zone_after = entry.zone_after.as_ref();
        let active = zone_after.is_none_or(|z| z.status == ZoneStatus::Active);
        let current = self.find_by_id(entry.zone_id);
        if !active {
            self.replace(|map| {
                map.remove(&entry.zone_name);
            });
            return;
        }
        match current {
            Some(snapshot) => {
                let next = Arc::new(snapshot.apply(entry));
                self.replace(|map| {
                    map.insert(entry.zone_name.clone(), next);
                });
            }
            None if entry.serial_before == 0 => {
                // A new zone: the entry carries every record.
                if let Some(zone) = zone_after {
                    let snapshot = Arc::new(ZoneSnapshot::build(zone, &entry.added));
                    self.replace(|map| {
                        map.insert(entry.zone_name.clone(), snapshot);
                    });
                }
            }
            None => {
                let index = self.clone();
                let zone_id = entry.zone_id;
                if let Ok(handle) = tokio::runtime::Handle::try_current() {
                    handle.spawn(async move { index.reload(zone_id).await });
                }
            }
        }
    }

    async fn reload(&self, zone_id: Uuid) {
        let loaded = async {
            let Some(zone) = self.store.zone(zone_id).await? else {
                return Ok(None);
            };
            let records = self.store.records(zone_id).await?;
            Ok::<_, tern_core::StoreError>(Some((zone, records)))
        }
        .await;
        match loaded {
            Ok(Some((zone, records))) if zone.status == ZoneStatus::Active => {
                let snapshot = Arc::new(ZoneSnapshot::build(&zone, &records));
                self.replace(|map| {
                    map.insert(zone.name.clone(), snapshot);
                });
            }
            Ok(_) => {}
            Err(e) => {
                tracing::error!(zone = %zone_id, error = %e, "loading zone for the nameserver failed")
            }
        }
    }

    fn find_by_id(&self, zone_id: Uuid) -> Option<Arc<ZoneSnapshot>> {
        self.zones
            .load()
            .values()
            .find(|z| z.zone_id == zone_id)
            .cloned()
    }
}

/// The index follows every commit synchronously, so a writer that hears
/// "committed" can query the nameserver and see its change.
pub struct IndexListener(pub Arc<ZoneIndex>);

impl CommitListener for IndexListener {
    fn on_commit(&self, change: &ZoneChanged) {
        self.0.apply(&change.entry);
    }
}
