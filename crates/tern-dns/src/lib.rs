//! tern-dns: the authoritative nameserver. Zones are served from in-memory
//! snapshots (`snapshot`, `index`) kept current by every commit; `answer`
//! turns a query into a response without touching the database; `server`
//! runs the UDP and TCP listeners; `transfer`, `notify` and `tsig` feed
//! secondaries.

pub mod answer;
pub mod index;
mod log_budget;
pub mod metrics;
pub mod notify;
pub mod server;
pub mod snapshot;
mod tcp_io;
pub mod tcp_slots;
pub mod transfer;
mod transfer_access;
pub mod tsig;
mod udp_batch;
mod xfr_message;

pub use answer::{AnswerConfig, ChaosIdentity, Transport};
pub use index::{IndexListener, ZoneIndex};
pub use server::{DnsServer, ServerError};
pub use tcp_slots::TcpLimits;
