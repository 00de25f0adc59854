//! The core's one error type, and the stores' (which it wraps). Every face
//! maps it once: to an HTTP status and JSON body in tern-api, to an RCODE
//! in tern-dns, to a message in the CLI. `StoreError` lives here rather
//! than beside the `Store` trait so that the error types depend on nothing
//! that depends on them.

use crate::rules::Violation;
use crate::zonefile::FileProblem;

#[derive(Debug, thiserror::Error)]
pub enum CoreError {
    /// Input that cannot be right whatever the zone holds.
    #[error("{field}: {message}")]
    Validation { field: String, message: String },
    #[error("{what} not found")]
    NotFound { what: String },
    /// Input that clashes with what the zone holds (duplicates, TTL of an RRset, names taken).
    #[error("{message}")]
    Conflict {
        field: Option<String>,
        message: String,
    },
    /// The organisation's quota does not allow it.
    #[error("{message}")]
    Quota { field: String, message: String },
    /// The caller's expected serial is not the zone's serial.
    #[error("zone serial is {current}, the change expected {expected}")]
    SerialMismatch { expected: u32, current: u32 },
    /// The change would break a zone rule.
    #[error("{}", join_lines(.0))]
    Rules(Vec<Violation>),
    /// A strict import found records it cannot load; nothing was imported.
    #[error("the zone file has {} problem(s); nothing was imported:\n{}", .0.len(), join_lines(.0))]
    Import(Vec<FileProblem>),
    /// This process cannot do it now (DNSSEC signing without its keys).
    #[error("{message}")]
    Unavailable { message: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn join_lines<T: std::fmt::Display>(items: &[T]) -> String {
    items
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}

impl CoreError {
    pub fn validation(field: impl Into<String>, message: impl Into<String>) -> CoreError {
        CoreError::Validation {
            field: field.into(),
            message: message.into(),
        }
    }

    pub fn not_found(what: impl Into<String>) -> CoreError {
        CoreError::NotFound { what: what.into() }
    }

    pub fn conflict(field: Option<&str>, message: impl Into<String>) -> CoreError {
        CoreError::Conflict {
            field: field.map(str::to_string),
            message: message.into(),
        }
    }
}

/// What a `Store` implementation reports.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The zone's serial moved between the service's read and its commit: a
    /// concurrent writer won. The service retries or reports a precondition
    /// failure.
    #[error("zone serial is {current}, expected {expected}")]
    SerialMismatch { expected: u32, current: u32 },
    #[error("{0} not found")]
    NotFound(String),
    #[error("{0} already exists")]
    Duplicate(String),
    /// The name is held by another organisation's zone and names are not
    /// shared (see `NameClaim`).
    #[error("zone {0} is already served for another organisation")]
    NameTaken(String),
    /// The organisation has its `max` live zones already; counted inside the
    /// transaction that creates or restores the zone, under the lock that
    /// serialises the organisation's zone creation.
    #[error("organisation '{org}' may have at most {max} zones (it has {count})")]
    ZoneQuota { org: String, max: u32, count: u64 },
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    #[error("database error: {0}")]
    Backend(String),
}
