//! Nameserver counters for `/metrics` (Prometheus text format). Plain atomic
//! counters with relaxed ordering: one increment per query on the hot path.
//! Also the replies our NOTIFYs get, by code.

use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};

/// Query types counted by name; everything else is "other".
const TYPES: [(u16, &str); 14] = [
    (1, "A"),
    (28, "AAAA"),
    (5, "CNAME"),
    (15, "MX"),
    (16, "TXT"),
    (2, "NS"),
    (6, "SOA"),
    (33, "SRV"),
    (12, "PTR"),
    (257, "CAA"),
    (65, "HTTPS"),
    (64, "SVCB"),
    (43, "DS"),
    (255, "ANY"),
];
const OTHER: usize = TYPES.len();
const RCODES: [&str; 7] = [
    "NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED", "YXDOMAIN",
];

/// What a NOTIFY can come back with (`notify::reply_code`), "timeout" for
/// no answer within the attempt's wait.
const NOTIFY_CODES: [&str; 12] = [
    "NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED", "NOTAUTH", "BADSIG",
    "BADKEY", "BADTIME", "other", "timeout",
];

#[derive(Default)]
pub struct Metrics {
    notify_replies: [AtomicU64; NOTIFY_CODES.len()],
    notify_abandoned: AtomicU64,
    /// [protocol][type][rcode]
    queries: [[[AtomicU64; RCODES.len() + 1]; TYPES.len() + 1]; 2],
    dropped: AtomicU64,
    truncated: AtomicU64,
    swaps: AtomicU64,
    swap_micros: AtomicU64,
}

impl Metrics {
    pub fn query(&self, tcp: bool, qtype: u16, rcode: u8, truncated: bool) {
        let proto = usize::from(tcp);
        let t = TYPES.iter().position(|(n, _)| *n == qtype).unwrap_or(OTHER);
        let r = usize::from(rcode).min(RCODES.len());
        self.queries[proto][t][r].fetch_add(1, Ordering::Relaxed);
        if truncated {
            self.truncated.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// A message that got no response (too short, or not a query).
    pub fn dropped(&self) {
        self.dropped.fetch_add(1, Ordering::Relaxed);
    }

    /// A reply to one of our NOTIFYs (or "timeout").
    pub fn notify_reply(&self, code: &str) {
        let i = NOTIFY_CODES
            .iter()
            .position(|c| *c == code)
            .unwrap_or(NOTIFY_CODES.len() - 2);
        self.notify_replies[i].fetch_add(1, Ordering::Relaxed);
    }

    /// A NOTIFY given up on after every attempt.
    pub fn notify_abandoned(&self) {
        self.notify_abandoned.fetch_add(1, Ordering::Relaxed);
    }

    pub fn swap(&self, micros: u64) {
        self.swaps.fetch_add(1, Ordering::Relaxed);
        self.swap_micros.fetch_add(micros, Ordering::Relaxed);
    }

    /// Prometheus text exposition, with the gauges the caller knows.
    pub fn render(&self, zones: usize, records: usize) -> String {
        let mut out = String::new();
        out.push_str("# HELP tern_dns_queries_total DNS queries answered, by protocol, query type and response code.\n");
        out.push_str("# TYPE tern_dns_queries_total counter\n");
        for (p, proto) in ["udp", "tcp"].iter().enumerate() {
            for t in 0..=TYPES.len() {
                let qtype = TYPES.get(t).map_or("other", |(_, name)| name);
                for r in 0..=RCODES.len() {
                    let value = self.queries[p][t][r].load(Ordering::Relaxed);
                    if value == 0 {
                        continue;
                    }
                    let rcode = RCODES.get(r).copied().unwrap_or("other");
                    let _ = writeln!(
                        out,
                        "tern_dns_queries_total{{protocol=\"{proto}\",qtype=\"{qtype}\",rcode=\"{rcode}\"}} {value}"
                    );
                }
            }
        }
        out.push_str("# HELP tern_dns_notify_replies_total Replies to the NOTIFYs sent to secondaries, by code (timeout: none within the attempt's wait).\n");
        out.push_str("# TYPE tern_dns_notify_replies_total counter\n");
        for (code, counter) in NOTIFY_CODES.iter().zip(&self.notify_replies) {
            let value = counter.load(Ordering::Relaxed);
            if value > 0 {
                let _ = writeln!(
                    out,
                    "tern_dns_notify_replies_total{{rcode=\"{code}\"}} {value}"
                );
            }
        }
        let counters = [
            (
                "tern_dns_notify_abandoned_total",
                "NOTIFYs given up on: no NOERROR after every attempt.",
                &self.notify_abandoned,
            ),
            (
                "tern_dns_dropped_total",
                "Messages not answered (malformed beyond an id, or responses).",
                &self.dropped,
            ),
            (
                "tern_dns_truncated_total",
                "UDP responses sent with TC set.",
                &self.truncated,
            ),
            (
                "tern_dns_snapshot_swaps_total",
                "Zone snapshots built from commits and swapped in.",
                &self.swaps,
            ),
            (
                "tern_dns_snapshot_swap_microseconds_total",
                "Time spent building and swapping those snapshots.",
                &self.swap_micros,
            ),
        ];
        for (name, help, counter) in counters {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} counter\n{name} {}",
                counter.load(Ordering::Relaxed)
            );
        }
        let _ = writeln!(
            out,
            "# HELP tern_dns_zones Zones served.\n# TYPE tern_dns_zones gauge\ntern_dns_zones {zones}\n\
             # HELP tern_dns_records Records served.\n# TYPE tern_dns_records gauge\ntern_dns_records {records}"
        );
        out
    }
}
