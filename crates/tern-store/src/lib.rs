//! tern-store: the `Store` of tern-core over SQLite (the embedded default) and
//! PostgreSQL, with one set of embedded migrations and one body of SQL.
//!
//! Both engines go through sqlx's `Any` driver: the SQL we need is portable
//! (`$n` placeholders work on both), so one implementation serves both and
//! the same test suite proves it twice. Engine-specific parts are few and
//! explicit: connection pragmas, a writer mutex, positional `?` placeholders
//! for long parameter lists and whole-zone reads as JSON chunks on SQLite;
//! row locking, the journal lock and NOTIFY on PostgreSQL; and how the
//! journal is followed. Listings are sorted in Rust, so a PostgreSQL
//! database's collation never changes their order.
//!
//! This file holds the `Database` handle and what every module shares; each
//! concern (engine setup, zones, records, journal, tenancy, templates,
//! idempotency, TSIG keys) has its module, and `store_impl.rs` hands the
//! `Store` trait's methods to them.

mod claims;
mod dnssec;
mod engine;
mod follow;
mod idempotency;
mod journal;
mod records;
mod rows;
mod store_impl;
mod templates;
mod tenancy;
pub mod testing;
mod tsig;
mod zones;

use sqlx::AnyPool;
use tern_core::store::StoreError;

pub use engine::sqlite_url_for_dir;
pub use follow::JournalFollower;

/// Ids per `IN (…)` list.
const ID_CHUNK: usize = 500;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A connection pool to one Tern database.
pub struct Database {
    pool: AnyPool,
    backend: Backend,
    url: String,
    /// SQLite only: see `begin`.
    writer: std::sync::Arc<tokio::sync::Mutex<()>>,
}

/// Unique violations become `Duplicate` and foreign-key violations (a
/// reference to an organisation, project or zone that is not there)
/// `NotFound`; callers replace the database's wording with the object's name.
fn backend_error(e: sqlx::Error) -> StoreError {
    if let sqlx::Error::Database(db) = &e {
        if db.is_unique_violation() {
            return StoreError::Duplicate(db.message().to_string());
        }
        if db.is_foreign_key_violation() {
            return StoreError::NotFound(db.message().to_string());
        }
    }
    StoreError::Backend(e.to_string())
}

/// Placeholders for `count` parameters after `skip` leading ones. SQLite gets
/// plain `?`: with numbered placeholders sqlx looks every parameter up by
/// name, which is quadratic in the parameter count and dominated bulk inserts.
fn placeholders(backend: Backend, skip: usize, count: usize) -> String {
    (0..count)
        .map(|i| match backend {
            Backend::Sqlite => "?".to_string(),
            Backend::Postgres => format!("${}", skip + i + 1),
        })
        .collect::<Vec<_>>()
        .join(",")
}
