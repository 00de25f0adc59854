//! A per-second budget for log lines a client can provoke (refused
//! queries): a flood writes a few lines a second and one line saying how
//! many were left out, never enough to fill a disk. Lock-free, so the
//! answer path can ask it.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

pub struct LogBudget {
    per_second: u64,
    second: AtomicU64,
    used: AtomicU64,
    dropped: AtomicU64,
}

impl LogBudget {
    pub const fn new(per_second: u64) -> LogBudget {
        LogBudget {
            per_second,
            second: AtomicU64::new(0),
            used: AtomicU64::new(0),
            dropped: AtomicU64::new(0),
        }
    }

    /// `Some(dropped)` when a line may be written now (`dropped`: how many
    /// were left out since the last one written); `None` when the budget of
    /// this second is spent.
    pub fn allow(&self) -> Option<u64> {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        self.allow_at(now)
    }

    fn allow_at(&self, now: u64) -> Option<u64> {
        if self.second.swap(now, Ordering::Relaxed) != now {
            self.used.store(0, Ordering::Relaxed);
        }
        if self.used.fetch_add(1, Ordering::Relaxed) < self.per_second {
            Some(self.dropped.swap(0, Ordering::Relaxed))
        } else {
            self.dropped.fetch_add(1, Ordering::Relaxed);
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flood_is_cut_and_counted() {
        let budget = LogBudget::new(3);
        let written: Vec<Option<u64>> = (0..10).map(|_| budget.allow_at(100)).collect();
        assert_eq!(written.iter().filter(|w| w.is_some()).count(), 3);
        // The next second: lines again, the first one telling what was cut.
        assert_eq!(budget.allow_at(101), Some(7));
        assert_eq!(budget.allow_at(101), Some(0));
    }
}
