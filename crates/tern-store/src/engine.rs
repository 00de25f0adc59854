//! Opening a database: URLs, the connection pool with SQLite's pragmas,
//! migrations, write transactions (SQLite's in-process writer queue) and the
//! background WAL checkpointer.

use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::any::AnyPoolOptions;
use sqlx::{Any, AnyPool, Executor, Transaction};
use tern_core::JournalEntry;
use tern_core::store::StoreError;

use crate::{Backend, Database, backend_error, follow};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// The default database: `tern.db` in the data directory.
pub fn sqlite_url_for_dir(dir: &Path) -> String {
    sqlite_url(&dir.join("tern.db"), "mode=rwc")
}

/// A `sqlite://` URL for `path`. The path is made absolute because sqlx
/// parses the URL first, and a relative path's first segment would be read
/// as a host; characters that URLs give meaning to are percent-encoded
/// (sqlx decodes them again).
fn sqlite_url(path: &Path, params: &str) -> String {
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut out = String::from("sqlite://");
    for c in absolute.to_string_lossy().chars() {
        match c {
            '%' | '?' | '#' | ' ' => out.push_str(&format!("%{:02X}", u32::from(c))),
            c => out.push(c),
        }
    }
    if !params.is_empty() {
        out.push('?');
        out.push_str(params);
    }
    out
}

/// SQLite URLs as people write them (`sqlite://tern.db`, `sqlite:data/x.db`)
/// become absolute and, unless they say otherwise with `mode=`, create the
/// file when it is missing.
fn normalise_sqlite_url(url: &str) -> String {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .unwrap_or(url);
    let (path, params) = rest.split_once('?').unwrap_or((rest, ""));
    if path.is_empty() || path == ":memory:" {
        return url.to_string();
    }
    let path = percent_decode(path);
    let has_mode = params.split('&').any(|p| p.starts_with("mode="));
    let params = match (params.is_empty(), has_mode) {
        (_, true) => params.to_string(),
        (true, false) => "mode=rwc".to_string(),
        (false, false) => format!("{params}&mode=rwc"),
    };
    sqlite_url(Path::new(&path), &params)
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok());
        match (bytes[i], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

impl Database {
    /// Connects and applies the embedded migrations.
    pub async fn connect(url: &str) -> Result<Database, StoreError> {
        sqlx::any::install_default_drivers();
        let backend: Backend = url.parse()?;
        let mut options = AnyPoolOptions::new().acquire_timeout(Duration::from_secs(30));
        if backend == Backend::Sqlite {
            // WAL lets readers run beside the writer; synchronous=NORMAL in WAL
            // mode loses nothing on a process kill (only on power loss);
            // the busy timeout makes a second process wait instead of failing.
            options = options.max_connections(8).after_connect(|conn, _| {
                Box::pin(async move {
                    for pragma in [
                        "PRAGMA journal_mode = WAL",
                        "PRAGMA synchronous = NORMAL",
                        "PRAGMA foreign_keys = ON",
                        "PRAGMA busy_timeout = 10000",
                        // Large imports touch many pages; a bigger cache spills less.
                        "PRAGMA cache_size = -65536",
                        "PRAGMA temp_store = MEMORY",
                        // Checkpoints run in the background (below), not
                        // inside whichever commit happens to cross the
                        // threshold: that commit would pay for the copy.
                        "PRAGMA wal_autocheckpoint = 0",
                        // A WAL that starts over is cut back to this size.
                        "PRAGMA journal_size_limit = 67108864",
                    ] {
                        conn.execute(pragma).await?;
                    }
                    Ok(())
                })
            });
        } else {
            options = options.max_connections(16);
        }
        let connect_url = match backend {
            Backend::Sqlite => normalise_sqlite_url(url),
            Backend::Postgres => url.to_string(),
        };
        let pool = options.connect(&connect_url).await.map_err(backend_error)?;
        let mut migrated = MIGRATOR.run(&pool).await;
        // SQLite has no migration lock (PostgreSQL's migrator takes an
        // advisory one): a process that checked before another committed the
        // same migration fails with "already exists". Running again sees the
        // migration applied.
        for _ in 0..5 {
            if migrated.is_ok() || backend != Backend::Sqlite {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
            migrated = MIGRATOR.run(&pool).await;
        }
        migrated.map_err(|e| StoreError::Backend(format!("applying migrations: {e}")))?;
        let writer = Arc::new(tokio::sync::Mutex::new(()));
        if backend == Backend::Sqlite {
            spawn_checkpointer(pool.clone(), writer.clone());
        }
        Ok(Database {
            pool,
            backend,
            url: url.to_string(),
            writer,
        })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// Delivers every journal entry with `seq > after_seq`, in order, as it is
    /// committed by this or any other process on the same database.
    pub fn follow_journal(&self, after_seq: i64) -> tokio::sync::mpsc::Receiver<JournalEntry> {
        follow::spawn(self.pool.clone(), self.backend, self.url.clone(), after_seq)
    }

    /// Starts a write transaction. On SQLite this process's writers queue on
    /// a mutex first: SQLite has one writer at a time, and a writer that
    /// finds the lock taken sleeps in SQLite's busy handler, backing off up
    /// to 100 ms per try (four concurrent writers saw a p99 of 34 ms and
    /// spikes of 180 ms that way). Other processes still wait through the
    /// busy timeout.
    pub(crate) async fn begin(
        &self,
    ) -> Result<
        (
            Option<tokio::sync::MutexGuard<'_, ()>>,
            Transaction<'static, Any>,
        ),
        StoreError,
    > {
        let writer = match self.backend {
            Backend::Sqlite => Some(self.writer.lock().await),
            Backend::Postgres => None,
        };
        let tx = self.pool.begin().await.map_err(backend_error)?;
        Ok((writer, tx))
    }
}

/// WAL frames (4 KiB pages) above which the checkpointer makes the log
/// start over: 32 MiB, half a second of the heaviest writing seen here.
const WAL_RESTART_FRAMES: i64 = 8192;

/// Copies the SQLite WAL into the database file four times a second. PASSIVE
/// checkpoints wait for no reader or writer, so commits never stall on them.
/// But a WAL only starts over when a checkpoint has copied all of it and no
/// write came in between, which continuous writers never allow: the file
/// grew to 7.7 GB for a 190 MB database, and every page lookup searched a
/// longer wal-index. So once the log passes `WAL_RESTART_FRAMES`, the
/// checkpointer holds this process's writer queue for a RESTART checkpoint,
/// which only has to copy what the PASSIVE one just missed (about 4 ms;
/// TRUNCATE would add some 20 ms of cutting the file, which
/// `journal_size_limit` does instead when the log starts over). The task
/// ends when the pool is closed (closing checkpoints a last time).
fn spawn_checkpointer(pool: AnyPool, writer: Arc<tokio::sync::Mutex<()>>) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_millis(250));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if pool.is_closed() {
                return;
            }
            let log_frames = match checkpoint(&pool, "PASSIVE").await {
                Ok(frames) => frames,
                Err(e) if pool.is_closed() => {
                    tracing::debug!(error = %e, "WAL checkpoint at shutdown");
                    return;
                }
                Err(e) => {
                    tracing::warn!(error = %e, "WAL checkpoint failed");
                    continue;
                }
            };
            if log_frames >= WAL_RESTART_FRAMES {
                let _writer = writer.lock().await;
                if let Err(e) = checkpoint(&pool, "RESTART").await {
                    tracing::warn!(error = %e, "WAL restarting checkpoint failed");
                }
            }
        }
    });
}

/// Runs one checkpoint and returns the frames the WAL held.
async fn checkpoint(pool: &AnyPool, mode: &str) -> Result<i64, sqlx::Error> {
    let (_busy, log_frames, _copied): (i64, i64, i64) =
        sqlx::query_as(&format!("PRAGMA wal_checkpoint({mode})"))
            .fetch_one(pool)
            .await?;
    Ok(log_frames)
}

impl FromStr for Backend {
    type Err = StoreError;
    fn from_str(url: &str) -> Result<Self, Self::Err> {
        if url.starts_with("sqlite:") {
            Ok(Backend::Sqlite)
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Ok(Backend::Postgres)
        } else {
            Err(StoreError::Backend(format!(
                "unsupported database URL '{url}': use sqlite://… or postgres://…"
            )))
        }
    }
}
