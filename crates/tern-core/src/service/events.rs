//! Telling the rest of the process about commits: synchronous
//! `CommitListener`s (the nameserver's index) and the `ZoneChanged`
//! broadcast, each journal entry delivered once whether it was committed
//! here or arrived through the journal follower.

use std::sync::Arc;

use tokio::sync::broadcast;

use super::ZoneService;
use crate::model::JournalEntry;

/// A committed change, as listeners see it.
#[derive(Debug, Clone)]
pub struct ZoneChanged {
    pub entry: Arc<JournalEntry>,
}

/// Called synchronously before a commit returns to its caller, so that what a
/// listener maintains (the nameserver's snapshots) already reflects the change
/// when the writer hears "done".
pub trait CommitListener: Send + Sync {
    fn on_commit(&self, change: &ZoneChanged);
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

    /// Delivers a journal entry to listeners unless it was delivered already
    /// (local commits are delivered when they commit; the follower sees them again).
    pub fn publish(&self, entry: JournalEntry) -> Arc<JournalEntry> {
        let entry = Arc::new(entry);
        self.publish_shared(entry.clone());
        entry
    }

    fn publish_shared(&self, entry: Arc<JournalEntry>) {
        {
            let Ok(mut delivered) = self.delivered.lock() else {
                return;
            };
            if !delivered.seqs.insert(entry.seq) {
                return;
            }
            // Keep the set small: seqs far behind the newest cannot come back.
            while delivered.seqs.len() > 100_000 {
                delivered.seqs.pop_first();
            }
        }
        let change = ZoneChanged { entry };
        let listeners: Vec<Arc<dyn CommitListener>> =
            self.listeners.lock().map(|l| l.clone()).unwrap_or_default();
        for listener in listeners {
            listener.on_commit(&change);
        }
        let _ = self.events.send(change);
    }

    /// Whether a journal entry was already delivered (used by followers).
    pub fn was_delivered(&self, seq: i64) -> bool {
        self.delivered
            .lock()
            .map(|d| d.seqs.contains(&seq))
            .unwrap_or(false)
    }
}
