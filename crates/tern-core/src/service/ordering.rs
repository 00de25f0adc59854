//! Ordering of a zone's writers. In one process, writers of a zone queue on
//! that zone's async lock, held across planning and commit, so a plain write
//! never plans on a serial another local writer is about to replace. Writers
//! in other processes are caught by the store's serial check; a plain write
//! then re-plans after a jittered back-off until `ServiceConfig::conflict_deadline`.

use std::collections::HashMap;
use std::hash::{BuildHasher, Hasher};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::OwnedMutexGuard;
use uuid::Uuid;

/// What a zone's lock guards: the serial this process last committed (or
/// read under the lock), so a zone the caller read before queueing can be
/// recognised as stale without reading it again.
#[derive(Debug, Default)]
pub(super) struct ZoneTurn {
    pub(super) serial: Option<u32>,
}

type Slot = Arc<tokio::sync::Mutex<ZoneTurn>>;

/// One lock per zone written since start. Idle slots are pruned as the map
/// grows, so a process with many zones keeps only those being written.
#[derive(Default)]
pub(super) struct ZoneLocks {
    slots: Mutex<Slots>,
}

#[derive(Default)]
struct Slots {
    map: HashMap<Uuid, Slot>,
    prune_at: usize,
}

const MIN_PRUNE_AT: usize = 1024;

impl ZoneLocks {
    /// Waits for the zone's turn; the turn lasts as long as the guard.
    pub(super) async fn turn(&self, zone_id: Uuid) -> OwnedMutexGuard<ZoneTurn> {
        let slot = {
            // A poisoned map only means a panic elsewhere while it was held;
            // its content (slots) is still sound.
            let mut slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
            if slots.map.len() >= slots.prune_at.max(MIN_PRUNE_AT) {
                // Only this map holds an idle slot: nobody holds or awaits it.
                slots.map.retain(|_, slot| Arc::strong_count(slot) > 1);
                slots.prune_at = slots.map.len() * 2;
            }
            slots.map.entry(zone_id).or_default().clone()
        };
        slot.lock_owned().await
    }
}

/// Jittered exponential back-off for a write that lost to another process,
/// bounded by a deadline rather than a number of attempts.
pub(super) struct Backoff {
    deadline: Instant,
    ceiling: Duration,
}

const FIRST_CEILING: Duration = Duration::from_millis(2);
const MAX_CEILING: Duration = Duration::from_millis(250);

impl Backoff {
    pub(super) fn new(budget: Duration) -> Backoff {
        Backoff {
            deadline: Instant::now() + budget,
            ceiling: FIRST_CEILING,
        }
    }

    /// Sleeps before the next attempt; false when the deadline has passed.
    pub(super) async fn wait(&mut self) -> bool {
        let now = Instant::now();
        if now >= self.deadline {
            return false;
        }
        // "Full jitter": uniform in [0, ceiling), so writers that collided
        // once spread out instead of colliding again in step.
        let ceiling_us = u64::try_from(self.ceiling.as_micros()).unwrap_or(u64::MAX);
        let delay = Duration::from_micros(random() % ceiling_us.max(1));
        tokio::time::sleep(delay.min(self.deadline - now)).await;
        self.ceiling = (self.ceiling * 2).min(MAX_CEILING);
        true
    }
}

/// A random number from the standard library's per-instance hash keys: good
/// enough for jitter, and no dependency for it.
fn random() -> u64 {
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u128(Instant::now().elapsed().as_nanos());
    hasher.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_zone_has_one_turn_at_a_time() {
        let locks = ZoneLocks::default();
        let zone = Uuid::nil();
        let first = locks.turn(zone).await;
        // A zero timeout polls the turn once: ready now, or waiting.
        let other_zone = tokio::time::timeout(Duration::ZERO, locks.turn(Uuid::max())).await;
        assert!(other_zone.is_ok(), "another zone's turn must not wait");
        let second = tokio::time::timeout(Duration::ZERO, locks.turn(zone)).await;
        assert!(second.is_err(), "the same zone's second turn must wait");
        drop(first);
        assert!(locks.turn(zone).await.serial.is_none());
    }

    #[tokio::test]
    async fn idle_slots_are_pruned() {
        let locks = ZoneLocks::default();
        let held = locks.turn(Uuid::nil()).await;
        for _ in 0..MIN_PRUNE_AT * 3 {
            drop(locks.turn(uuid::Uuid::from_u128(rand_id())).await);
        }
        let slots = locks.slots.lock().map(|s| s.map.len()).unwrap_or(0);
        assert!(slots <= MIN_PRUNE_AT, "{slots} slots kept");
        drop(held);
    }

    fn rand_id() -> u128 {
        u128::from(random()) << 64 | u128::from(random())
    }

    #[tokio::test]
    async fn backoff_ends_at_its_deadline() {
        let mut backoff = Backoff::new(Duration::ZERO);
        assert!(!backoff.wait().await);
        let mut backoff = Backoff::new(Duration::from_secs(60));
        assert!(backoff.wait().await);
    }
}
