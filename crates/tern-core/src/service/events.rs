//! Telling the rest of the process about commits: `CommitListener`s (the
//! nameserver's index), awaited before a commit returns, and the
//! `ZoneChanged` broadcast, each journal entry broadcast once whether it was
//! committed here or arrived through the journal follower.

use std::sync::Arc;

use tokio::sync::broadcast;

use super::ZoneService;
use crate::model::JournalEntry;

/// A committed change, as listeners see it.
#[derive(Debug, Clone)]
pub struct ZoneChanged {
    pub entry: Arc<JournalEntry>,
}

/// Awaited before a commit returns to its caller, so that what a listener
/// maintains (the nameserver's snapshots) already reflects the change when
/// the writer hears "done". A listener can be handed one entry twice (by the
/// local commit and by the journal follower) and must ignore the repeat.
#[async_trait::async_trait]
pub trait CommitListener: Send + Sync {
    async fn on_commit(&self, change: &ZoneChanged);
}

#[derive(Default)]
pub(super) struct Delivered {
    seqs: std::collections::BTreeSet<i64>,
}

impl ZoneService {
    pub fn subscribe(&self) -> broadcast::Receiver<ZoneChanged> {
        self.events.subscribe()
    }

    pub fn add_listener(&self, listener: Arc<dyn CommitListener>) {
        if let Ok(mut listeners) = self.listeners.lock() {
            listeners.push(listener);
        }
    }

    /// Delivers a journal entry from the follower to listeners unless it was
    /// delivered already (local commits are delivered when they commit).
    pub async fn publish(&self, entry: JournalEntry) -> Arc<JournalEntry> {
        let entry = Arc::new(entry);
        if self.mark_delivered(entry.seq) {
            self.deliver(entry.clone(), true).await;
        }
        entry
    }

    /// A local commit: its listeners are awaited even when the follower saw
    /// the entry first, so the commit returns only once they hold it (the
    /// follower may still be applying it). Subscribers hear it once.
    pub(super) async fn publish_local(&self, entry: JournalEntry) -> Arc<JournalEntry> {
        let entry = Arc::new(entry);
        let first = self.mark_delivered(entry.seq);
        self.deliver(entry.clone(), first).await;
        entry
    }

    /// Notes `seq` as delivered; whether it was new.
    fn mark_delivered(&self, seq: i64) -> bool {
        let Ok(mut delivered) = self.delivered.lock() else {
            return false;
        };
        if !delivered.seqs.insert(seq) {
            return false;
        }
        // Keep the set small: seqs far behind the newest cannot come back.
        while delivered.seqs.len() > 100_000 {
            delivered.seqs.pop_first();
        }
        true
    }

    async fn deliver(&self, entry: Arc<JournalEntry>, broadcast: bool) {
        let change = ZoneChanged { entry };
        let listeners: Vec<Arc<dyn CommitListener>> =
            self.listeners.lock().map(|l| l.clone()).unwrap_or_default();
        for listener in listeners {
            listener.on_commit(&change).await;
        }
        if broadcast {
            let _ = self.events.send(change);
        }
    }

    /// Whether a journal entry was already delivered (used by followers).
    pub fn was_delivered(&self, seq: i64) -> bool {
        self.delivered
            .lock()
            .map(|d| d.seqs.contains(&seq))
            .unwrap_or(false)
    }
}
