//! Following the journal: every committed entry, from this process or any
//! other on the same database, delivered in `seq` order. PostgreSQL pushes a
//! NOTIFY per commit (with a safety poll); SQLite has no push, so the journal
//! head is polled, which costs one indexed MAX() per interval.

use std::time::Duration;

use sqlx::AnyPool;
use sqlx::postgres::PgListener;
use tern_core::JournalEntry;
use tokio::sync::mpsc;

use crate::Backend;

const SQLITE_POLL: Duration = Duration::from_millis(100);
const POSTGRES_SAFETY_POLL: Duration = Duration::from_secs(1);
const BATCH: u32 = 256;

/// Handle type for callers that want to name the receiver.
pub type JournalFollower = mpsc::Receiver<JournalEntry>;

pub(crate) fn spawn(pool: AnyPool, backend: Backend, url: String, after: i64) -> JournalFollower {
    let (tx, rx) = mpsc::channel(1024);
    tokio::spawn(async move {
        let mut last = after;
        let mut listener = match backend {
            Backend::Postgres => connect_listener(&url).await,
            Backend::Sqlite => None,
        };
        loop {
            match crate::journal::journal_since(&pool, backend, last, BATCH).await {
                Ok(entries) => {
                    let full = entries.len() == BATCH as usize;
                    for entry in entries {
                        last = entry.seq;
                        if tx.send(entry).await.is_err() {
                            return;
                        }
                    }
                    if full {
                        continue;
                    }
                }
                Err(e) => tracing::warn!(error = %e, "reading the journal failed; retrying"),
            }
            if tx.is_closed() {
                return;
            }
            match (&mut listener, backend) {
                (Some(l), _) => {
                    // Any notification means "something new"; the journal itself
                    // says what, so payloads are not needed.
                    match tokio::time::timeout(POSTGRES_SAFETY_POLL, l.recv()).await {
                        Ok(Ok(_)) | Err(_) => {}
                        Ok(Err(e)) => {
                            tracing::warn!(error = %e, "journal LISTEN connection lost; reconnecting");
                            tokio::time::sleep(POSTGRES_SAFETY_POLL).await;
                            listener = connect_listener(&url).await;
                        }
                    }
                }
                (None, Backend::Postgres) => {
                    tokio::time::sleep(POSTGRES_SAFETY_POLL).await;
                    listener = connect_listener(&url).await;
                }
                (None, Backend::Sqlite) => tokio::time::sleep(SQLITE_POLL).await,
            }
        }
    });
    rx
}

async fn connect_listener(url: &str) -> Option<PgListener> {
    let mut listener = match PgListener::connect(url).await {
        Ok(l) => l,
        Err(e) => {
            tracing::warn!(error = %e, "cannot LISTEN for journal changes; polling");
            return None;
        }
    };
    match listener.listen("tern_journal").await {
        Ok(()) => Some(listener),
        Err(e) => {
            tracing::warn!(error = %e, "LISTEN tern_journal failed; polling");
            None
        }
    }
}
