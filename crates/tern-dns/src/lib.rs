//! tern-dns: the authoritative nameserver. Zones are served from in-memory
//! snapshots (`snapshot`, kept in `sharded` maps, with the DNSSEC records
//! of signed zones filed by `rrsig`, `nsec3` and `nsec` into `chain`s) held
//! per zone by the `index` (`slot`: ordered application of each zone's
//! commits); `answer` resolves a query against them (`signatures` and
//! `denial` add what DNSSEC asks for), `wire` reads queries and writes
//! responses; `server` runs the UDP and TCP listeners; `transfer`, `notify`
//! and `tsig` feed secondaries.

pub mod answer;
mod chain;
mod denial;
pub mod index;
mod log_budget;
pub mod metrics;
pub mod notify;
mod nsec;
mod nsec3;
pub mod parent_ds;
mod rrsig;
pub mod server;
mod sharded;
mod signatures;
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
