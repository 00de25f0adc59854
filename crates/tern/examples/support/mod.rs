//! What the commit benchmarks share: a listener that times the nameserver
//! index's work for each commit, and the percentile summary they print.

use std::sync::Mutex;
use std::time::Instant;

use tern_core::{CommitListener, ZoneChanged};
use tern_dns::IndexListener;

/// Times the index's work for each commit (its ordered apply and swap).
pub struct Timed {
    pub inner: IndexListener,
    pub applies: Mutex<Vec<f64>>,
}

impl Timed {
    pub fn new(inner: IndexListener, capacity: usize) -> Timed {
        Timed {
            inner,
            applies: Mutex::new(Vec::with_capacity(capacity)),
        }
    }

    /// The timings so far, emptied (so a benchmark can skip its set-up).
    pub fn take(&self) -> Vec<f64> {
        self.applies
            .lock()
            .map(|mut a| std::mem::take(&mut *a))
            .unwrap_or_default()
    }
}

#[async_trait::async_trait]
impl CommitListener for Timed {
    async fn on_commit(&self, change: &ZoneChanged) {
        let start = Instant::now();
        self.inner.on_commit(change).await;
        if let Ok(mut applies) = self.applies.lock() {
            applies.push(start.elapsed().as_secs_f64() * 1000.0);
        }
    }
}

/// `label p50_ms=… p90_ms=… p99_ms=… max_ms=…` of `values` (milliseconds).
pub fn summary(label: &str, mut values: Vec<f64>) -> String {
    if values.is_empty() {
        return format!("{label} (no samples)");
    }
    values.sort_by(|a, b| a.total_cmp(b));
    let pct = |p: f64| values[((values.len() as f64 * p) as usize).min(values.len() - 1)];
    format!(
        "{label} p50_ms={:.3} p90_ms={:.3} p99_ms={:.3} max_ms={:.3}",
        pct(0.50),
        pct(0.90),
        pct(0.99),
        values[values.len() - 1]
    )
}
