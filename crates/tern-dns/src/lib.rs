//! tern-dns: the authoritative nameserver. Zones are served from in-memory
//! snapshots (`snapshot`, kept in `sharded` maps) held per zone by the
//! `index` (`slot`: ordered application of each zone's commits); `answer`
//! resolves a query against them, `wire` reads queries and writes
//! responses; `server` runs the UDP and TCP listeners; `transfer`, `notify`
//! and `tsig` feed secondaries.

pub mod answer;
pub mod index;
mod log_budget;
pub mod metrics;
pub mod notify;
pub mod server;
mod sharded;
mod slot;
pub mod snapshot;
mod tcp_io;
pub mod tcp_slots;
pub mod transfer;
mod transfer_access;
pub mod tsig;
mod udp_batch;
pub mod wire;
mod xfr_message;

pub use answer::{AnswerConfig, ChaosIdentity};
pub use index::{IndexListener, ZoneIndex, served_zone};
pub use server::{DnsServer, ServerError};
pub use tcp_slots::TcpLimits;
pub use wire::Transport;
