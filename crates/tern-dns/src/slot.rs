//! One zone's place in the index: the snapshot readers load (an `ArcSwap`
//! they never lock) and the ordered application of the zone's journal
//! entries. Appliers — the local commit path and the journal follower —
//! take the slot's lock one at a time; an entry applies only to the
//! snapshot it was made from (its `serial_before`); a repeat is ignored;
//! a gap or an entry out of order makes the slot catch up from the store.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};

use arc_swap::ArcSwapOption;
use tern_core::serial::serial_gt;
use tern_core::{JournalEntry, Name, Store, StoreError, Timestamp, Zone, ZoneStatus};
use tokio::sync::{Mutex, MutexGuard};
use uuid::Uuid;

use crate::snapshot::ZoneSnapshot;

/// Journal entries a catch-up reads before it loads the whole zone instead.
const MAX_CATCH_UP: u32 = 1000;
/// Entries per journal read: a gap is usually one or two entries, and an
/// entry can be a whole import, so pages stay small.
const PAGE: u32 = 8;
/// Whole-zone loads one catch-up may do (each one is followed by the
/// journal entries committed while it read).
const MAX_RELOADS: usize = 4;

pub(crate) struct Slot {
    pub(crate) zone_id: Uuid,
    /// A zone keeps its name for life.
    pub(crate) name: Name,
    /// For the served-name rule; known whenever the zone is active.
    created_at: AtomicI64,
    /// Gone for good (hard-deleted): kept as a tombstone so that a late
    /// delivery of an older entry cannot bring the zone back.
    purged: AtomicBool,
    /// What readers see: `None` while the zone is not active.
    current: ArcSwapOption<ZoneSnapshot>,
    order: Mutex<Order>,
}

/// What the applier holding the lock knows.
pub(crate) struct Order {
    /// The serial of the last entry applied (also while the zone is not
    /// active); `None` until this node has seen the zone's state.
    serial: Option<u32>,
}

/// What one application did.
pub(crate) struct Applied {
    /// The slot's serial moved.
    pub(crate) advanced: bool,
    /// Whether the zone is answered for (active) changed, or it was purged:
    /// the zone served for its name may change.
    pub(crate) activity_changed: bool,
}

impl Slot {
    pub(crate) fn new(zone_id: Uuid, name: Name) -> Slot {
        Slot {
            zone_id,
            name,
            created_at: AtomicI64::new(Timestamp::MAX),
            purged: AtomicBool::new(false),
            current: ArcSwapOption::empty(),
            order: Mutex::new(Order { serial: None }),
        }
    }

    pub(crate) fn snapshot(&self) -> Option<Arc<ZoneSnapshot>> {
        self.current.load_full()
    }

    /// The snapshot for one query (see `ZoneIndex::find`).
    pub(crate) fn snapshot_guard(&self) -> arc_swap::Guard<Option<Arc<ZoneSnapshot>>> {
        self.current.load()
    }

    pub(crate) fn is_active(&self) -> bool {
        self.current.load().is_some()
    }

    pub(crate) fn is_purged(&self) -> bool {
        self.purged.load(Ordering::Acquire)
    }

    pub(crate) fn created_at(&self) -> Timestamp {
        self.created_at.load(Ordering::Acquire)
    }

    /// The lock appliers take; whoever holds it may call `apply` and `load`.
    pub(crate) async fn lock(&self) -> MutexGuard<'_, Order> {
        self.order.lock().await
    }

    /// Applies one committed entry in the zone's serial order.
    pub(crate) async fn apply(
        &self,
        order: &mut Order,
        entry: &JournalEntry,
        store: &dyn Store,
    ) -> Applied {
        let (serial, active) = (order.serial, self.is_active());
        if !self.is_purged() && !self.step(order, entry) {
            // A gap, an entry out of order, a zone this node has not seen,
            // or one that is active again without its records in the
            // entry: the store has what is missing (the entry included,
            // since it is committed).
            if let Err(e) = self.catch_up(order, store).await {
                tracing::error!(zone = %self.name, id = %self.zone_id, error = %e,
                    "catching the nameserver up with the store failed; retried on the next change");
            }
        }
        Applied {
            advanced: order.serial != serial,
            activity_changed: active != self.is_active() || self.is_purged(),
        }
    }

    /// Installs a snapshot loaded from the store, unless this slot already
    /// holds that serial or a later one.
    pub(crate) fn load(&self, order: &mut Order, zone: &Zone, snapshot: ZoneSnapshot) {
        if self.is_purged() || order.serial.is_some_and(|s| !serial_gt(zone.serial, s)) {
            return;
        }
        self.created_at.store(zone.created_at, Ordering::Release);
        self.current.store(Some(Arc::new(snapshot)));
        order.serial = Some(zone.serial);
    }

    /// Applies `entry` if it is the next one, or ignores it if it is old;
    /// `false` when the store must be asked.
    fn step(&self, order: &mut Order, entry: &JournalEntry) -> bool {
        if is_purge(entry) {
            self.purged.store(true, Ordering::Release);
            self.current.store(None);
            return true;
        }
        let Some(serial) = order.serial else {
            // A new zone: its creation entry carries every record.
            return match &entry.zone_after {
                Some(zone) if entry.serial_before == 0 => {
                    self.created_at.store(zone.created_at, Ordering::Release);
                    let active = zone.status == ZoneStatus::Active;
                    self.current
                        .store(active.then(|| Arc::new(ZoneSnapshot::build(zone, &entry.added))));
                    order.serial = Some(entry.serial_after);
                    true
                }
                _ => false,
            };
        };
        if !serial_gt(entry.serial_after, serial) {
            return true; // seen already (the follower repeating a local commit)
        }
        if entry.serial_before != serial {
            return false;
        }
        let active = entry
            .zone_after
            .as_ref()
            .map_or(self.is_active(), |z| z.status == ZoneStatus::Active);
        if let Some(zone) = &entry.zone_after {
            // A restored copy of a shared name queues anew (its created_at
            // moves to the restore), so the served-name rule sees it.
            self.created_at.store(zone.created_at, Ordering::Release);
        }
        if active {
            // Active again: the entry does not carry the zone's records.
            let Some(snapshot) = self.current.load_full() else {
                return false;
            };
            self.current.store(Some(Arc::new(snapshot.apply(entry))));
        } else {
            // Not answered for: the records are dropped, the serial is kept
            // so the order holds when the zone comes back.
            self.current.store(None);
        }
        order.serial = Some(entry.serial_after);
        true
    }

    /// Brings the slot to the store's state: the journal entries after its
    /// serial, or the whole zone when the journal does not reach back (or
    /// the zone comes back to life), followed by the entries committed
    /// while the zone was read.
    async fn catch_up(&self, order: &mut Order, store: &dyn Store) -> Result<(), StoreError> {
        for _ in 0..MAX_RELOADS {
            if let Some(serial) = order.serial
                && let Some(entries) = entries_after(store, self.zone_id, serial).await?
                && entries
                    .iter()
                    .all(|e| self.is_purged() || self.step(order, e))
            {
                return Ok(());
            }
            if self.is_purged() {
                return Ok(());
            }
            self.reload(order, store).await?;
        }
        Ok(())
    }

    /// Reads the zone row, then its records. Records committed after the
    /// row was read may be in the records already; the journal entries after
    /// the row's serial are applied next, and applying an entry to a state
    /// that already holds it changes nothing.
    async fn reload(&self, order: &mut Order, store: &dyn Store) -> Result<(), StoreError> {
        let Some(zone) = store.zone(self.zone_id).await? else {
            self.purged.store(true, Ordering::Release);
            self.current.store(None);
            return Ok(());
        };
        self.created_at.store(zone.created_at, Ordering::Release);
        if zone.status == ZoneStatus::Active {
            let count = store.record_count(zone.id).await?;
            let mut snapshot = ZoneSnapshot::sized_for(&zone, count as usize);
            store
                .records_chunked(zone.id, &mut |chunk| snapshot.extend(&chunk))
                .await?;
            self.current.store(Some(Arc::new(snapshot)));
        } else {
            self.current.store(None);
        }
        order.serial = Some(zone.serial);
        Ok(())
    }
}

/// A hard delete: the zone and its journal are gone (the serial stays).
fn is_purge(entry: &JournalEntry) -> bool {
    entry.serial_before == entry.serial_after
        && entry
            .zone_after
            .as_ref()
            .is_some_and(|z| z.status == ZoneStatus::Deleted)
}

/// The zone's journal entries after `serial`, oldest first; `None` when the
/// journal does not reach back to it within `MAX_CATCH_UP` entries.
async fn entries_after(
    store: &dyn Store,
    zone_id: Uuid,
    serial: u32,
) -> Result<Option<Vec<JournalEntry>>, StoreError> {
    let mut newer = Vec::new();
    let mut offset = 0;
    while offset < MAX_CATCH_UP {
        let page = store.zone_journal(zone_id, offset, PAGE).await?;
        let full = page.len() == PAGE as usize;
        for entry in page {
            if is_purge(&entry) && newer.is_empty() {
                return Ok(Some(vec![entry]));
            }
            if entry.serial_after == serial {
                newer.reverse();
                return Ok(Some(newer));
            }
            if entry.serial_before == 0 {
                return Ok(None); // back at the zone's creation
            }
            newer.push(entry);
        }
        if !full {
            return Ok(None);
        }
        offset += PAGE;
    }
    Ok(None)
}
