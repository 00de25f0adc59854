//! Who may hold a TCP connection (RFC 7766 §6.2): a cap on connections in
//! all, a smaller cap per client address so that one address can never take
//! every slot, and, when the server is full, the connection idle longest is
//! closed to make room (idle ones first, as RFC 7766 §6.2.3 and NSD do). A
//! connection that is busy answering or transferring is never evicted.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::Notify;

/// The TCP policy of the server (`tern serve --tcp-*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TcpLimits {
    /// Connections open at once, from every address together.
    pub max_clients: usize,
    /// Connections open at once from one client address; at most half of
    /// `max_clients`, so the others always keep a reserve.
    pub max_per_address: usize,
    /// How long a connection may wait for its next query (Knot's
    /// `tcp-idle-timeout`, NSD's `tcp-timeout`).
    pub idle_timeout: Duration,
    /// How long reading the rest of a started query, or writing one response
    /// message, may take (Knot's `tcp-io-timeout`): a client that stops
    /// reading a transfer is disconnected after this.
    pub io_timeout: Duration,
}

impl Default for TcpLimits {
    fn default() -> Self {
        TcpLimits {
            max_clients: 512,
            max_per_address: 32,
            idle_timeout: Duration::from_secs(10),
            io_timeout: Duration::from_secs(5),
        }
    }
}

impl TcpLimits {
    /// Checks the rules between the settings; the error names the flag.
    pub fn validate(&self) -> Result<(), (&'static str, String)> {
        if self.max_clients < 2 {
            return Err(("tcp-max-clients", "must be at least 2".into()));
        }
        if self.max_per_address == 0 || self.max_per_address > self.max_clients / 2 {
            return Err((
                "tcp-max-per-address",
                format!(
                    "must be between 1 and half of --tcp-max-clients ({}), so that one address cannot take every connection",
                    self.max_clients / 2
                ),
            ));
        }
        if self.idle_timeout.is_zero() {
            return Err(("tcp-idle-timeout", "must be more than 0".into()));
        }
        if self.io_timeout.is_zero() {
            return Err(("tcp-io-timeout", "must be more than 0".into()));
        }
        Ok(())
    }
}

/// Why a connection was not admitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// The address already holds `max_per_address` connections.
    PerAddress,
    /// Every slot is taken by a busy connection.
    Full,
}

/// The table of open connections, shared by every TCP listener.
pub(crate) struct Slots {
    limits: TcpLimits,
    epoch: Instant,
    table: Mutex<Table>,
}

#[derive(Default)]
struct Table {
    next_id: u64,
    per_address: HashMap<IpAddr, usize>,
    open: HashMap<u64, (IpAddr, Arc<Connection>)>,
}

/// What the table knows about one connection.
pub(crate) struct Connection {
    /// Milliseconds since the table's epoch at which the connection became
    /// idle; `BUSY` while it reads a query or writes an answer.
    idle_since: AtomicU64,
    close: Notify,
}

const BUSY: u64 = u64::MAX;

impl Slots {
    pub(crate) fn new(limits: TcpLimits) -> Arc<Slots> {
        Arc::new(Slots {
            limits,
            epoch: Instant::now(),
            table: Mutex::new(Table::default()),
        })
    }

    pub(crate) fn limits(&self) -> &TcpLimits {
        &self.limits
    }

    fn now(&self) -> u64 {
        self.epoch.elapsed().as_millis() as u64
    }

    /// A slot for a new connection from `peer`, or why not. When the server
    /// is full, the connection idle longest is told to close and its slot
    /// goes to the newcomer.
    pub(crate) fn admit(self: &Arc<Self>, peer: IpAddr) -> Result<Slot, Refusal> {
        let Ok(mut table) = self.table.lock() else {
            return Err(Refusal::Full);
        };
        let from_peer = table.per_address.get(&peer).copied().unwrap_or(0);
        if from_peer >= self.limits.max_per_address {
            return Err(Refusal::PerAddress);
        }
        if table.open.len() >= self.limits.max_clients {
            let oldest_idle = table
                .open
                .iter()
                .map(|(id, (_, c))| (c.idle_since.load(Ordering::Relaxed), *id))
                .filter(|(since, _)| *since != BUSY)
                .min();
            let Some((_, victim)) = oldest_idle else {
                return Err(Refusal::Full);
            };
            if let Some((address, connection)) = table.open.remove(&victim) {
                release(&mut table, address);
                connection.close.notify_one();
            }
        }
        table.next_id += 1;
        let id = table.next_id;
        let connection = Arc::new(Connection {
            idle_since: AtomicU64::new(self.now()),
            close: Notify::new(),
        });
        table.open.insert(id, (peer, connection.clone()));
        *table.per_address.entry(peer).or_default() += 1;
        Ok(Slot {
            slots: self.clone(),
            id,
            connection,
        })
    }

    /// Connections open now.
    #[cfg(test)]
    pub(crate) fn open(&self) -> usize {
        self.table.lock().map_or(0, |t| t.open.len())
    }
}

fn release(table: &mut Table, address: IpAddr) {
    if let Some(count) = table.per_address.get_mut(&address) {
        *count -= 1;
        if *count == 0 {
            table.per_address.remove(&address);
        }
    }
}

/// A connection's place in the table, given back when dropped.
pub(crate) struct Slot {
    slots: Arc<Slots>,
    id: u64,
    connection: Arc<Connection>,
}

impl Slot {
    pub(crate) fn limits(&self) -> &TcpLimits {
        self.slots.limits()
    }

    /// The connection waits for its next query: it may be evicted.
    pub(crate) fn idle(&self) {
        self.connection
            .idle_since
            .store(self.slots.now(), Ordering::Relaxed);
    }

    /// The connection is reading a query or writing answers.
    pub(crate) fn busy(&self) {
        self.connection.idle_since.store(BUSY, Ordering::Relaxed);
    }

    /// Resolves when the table wants this connection closed.
    pub(crate) async fn evicted(&self) {
        self.connection.close.notified().await;
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let Ok(mut table) = self.slots.table.lock() else {
            return;
        };
        // An evicted connection already gave its slot away.
        if let Some((address, _)) = table.open.remove(&self.id) {
            release(&mut table, address);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(max_clients: usize, max_per_address: usize) -> TcpLimits {
        TcpLimits {
            max_clients,
            max_per_address,
            ..TcpLimits::default()
        }
    }

    fn ip(last: u8) -> IpAddr {
        IpAddr::from([127, 0, 0, last])
    }

    #[test]
    fn one_address_cannot_take_every_slot() {
        let slots = Slots::new(limits(4, 2));
        let a = [slots.admit(ip(1)).unwrap(), slots.admit(ip(1)).unwrap()];
        assert_eq!(slots.admit(ip(1)).err(), Some(Refusal::PerAddress));
        let b = slots.admit(ip(2));
        assert!(b.is_ok());
        drop(a);
        assert!(slots.admit(ip(1)).is_ok());
    }

    #[test]
    fn a_full_table_evicts_the_longest_idle_and_never_a_busy_one() {
        let slots = Slots::new(limits(2, 1));
        let first = slots.admit(ip(1)).unwrap();
        let second = slots.admit(ip(2)).unwrap();
        first.busy();
        second.busy();
        assert_eq!(slots.admit(ip(3)).err(), Some(Refusal::Full));
        second.idle();
        let third = slots.admit(ip(3)).expect("the idle one makes room");
        assert_eq!(slots.open(), 2);
        // The evicted connection's own drop must not free a second slot.
        drop(second);
        assert_eq!(slots.open(), 2);
        drop((first, third));
        assert_eq!(slots.open(), 0);
    }

    #[test]
    fn limits_keep_a_reserve() {
        assert!(limits(512, 32).validate().is_ok());
        assert_eq!(
            limits(10, 6).validate().unwrap_err().0,
            "tcp-max-per-address"
        );
        assert_eq!(limits(1, 1).validate().unwrap_err().0, "tcp-max-clients");
    }
}
