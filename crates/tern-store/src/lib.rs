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

mod follow;
mod rows;
pub mod testing;

use std::collections::HashSet;
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use futures_util::TryStreamExt;
use sqlx::any::{AnyArguments, AnyPoolOptions};
use sqlx::{Any, AnyPool, Executor, Transaction};
use tern_core::store::{Commit, IdempotencyClaim, RecordFilter, Store, StoreError, ZoneFilter};
use tern_core::template::Template;
use tern_core::{
    AccessGrant, ApiToken, JournalEntry, Name, Organisation, Project, Record, Timestamp, TsigKey,
    Zone,
};
use uuid::Uuid;

pub use follow::JournalFollower;
use rows::{
    ORG_COLUMNS, TEMPLATE_COLUMNS, TOKEN_COLUMNS, grant_from_row, journal_from_row, org_from_row,
    project_from_row, record_from_row, template_from_row, token_from_row, tsig_key_from_row,
    zone_from_row,
};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// Rows per multi-row INSERT: 10 columns × 500 stays far below SQLite's
/// 32,766 bound parameters and PostgreSQL's 65,535.
const INSERT_CHUNK: usize = 500;
/// Ids per `IN (…)` list.
const ID_CHUNK: usize = 500;
/// Records per stored journal part: a large change is written and read in
/// bounded pieces instead of one huge value.
const JOURNAL_PART: usize = 2000;
/// PostgreSQL advisory lock key that serialises journal appends, so `seq`
/// is gap-free and commits become visible in `seq` order.
const JOURNAL_LOCK: i64 = 0x7465_726e;

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
    writer: tokio::sync::Mutex<()>,
}

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
        if backend == Backend::Sqlite {
            spawn_checkpointer(pool.clone());
        }
        Ok(Database {
            pool,
            backend,
            url: url.to_string(),
            writer: tokio::sync::Mutex::new(()),
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

    /// Locks a zone for the rest of the transaction and returns its serial
    /// (no row: no such zone). SQLite: a write as the first statement takes
    /// the database's write lock before anything is read, so the transaction
    /// never has to upgrade a read lock (which fails with SQLITE_BUSY instead
    /// of waiting); PostgreSQL: the row lock.
    fn zone_lock_sql(&self) -> &'static str {
        match self.backend {
            Backend::Sqlite => "UPDATE zones SET serial = serial WHERE id = $1 RETURNING serial",
            Backend::Postgres => "SELECT serial FROM zones WHERE id = $1 FOR UPDATE",
        }
    }

    /// Starts a write transaction. On SQLite this process's writers queue on
    /// a mutex first: SQLite has one writer at a time, and a writer that
    /// finds the lock taken sleeps in SQLite's busy handler, backing off up
    /// to 100 ms per try (four concurrent writers saw a p99 of 34 ms and
    /// spikes of 180 ms that way). Other processes still wait through the
    /// busy timeout.
    async fn begin(
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

    async fn append_journal(
        &self,
        tx: &mut Transaction<'static, Any>,
        entry: &JournalEntry,
    ) -> Result<i64, StoreError> {
        if self.backend == Backend::Postgres {
            sqlx::query("SELECT pg_advisory_xact_lock($1)")
                .bind(JOURNAL_LOCK)
                .execute(&mut **tx)
                .await
                .map_err(backend_error)?;
        }
        let payload = serde_json::to_string(&rows::JournalHeader {
            zone_after: entry.zone_after.as_ref(),
        })
        .map_err(|e| StoreError::Backend(format!("encoding journal entry: {e}")))?;
        let seq: i64 = sqlx::query_scalar(
            "INSERT INTO journal (seq, zone_id, zone_name, serial_before, serial_after, principal, source, at, payload) \
             SELECT COALESCE(MAX(seq), 0) + 1, $1, $2, $3, $4, $5, $6, $7, $8 FROM journal RETURNING seq",
        )
        .bind(entry.zone_id.to_string())
        .bind(entry.zone_name.to_string())
        .bind(i64::from(entry.serial_before))
        .bind(i64::from(entry.serial_after))
        .bind(entry.principal.0.clone())
        .bind(entry.source.to_string())
        .bind(entry.at)
        .bind(payload)
        .fetch_one(&mut **tx)
        .await
        .map_err(backend_error)?;
        let parts = entry
            .removed
            .chunks(JOURNAL_PART)
            .map(|chunk| rows::JournalPart {
                removed: rows::CompactRecords(chunk),
                added: rows::CompactRecords(&[]),
            })
            .chain(
                entry
                    .added
                    .chunks(JOURNAL_PART)
                    .map(|chunk| rows::JournalPart {
                        removed: rows::CompactRecords(&[]),
                        added: rows::CompactRecords(chunk),
                    }),
            );
        for (index, part) in parts.enumerate() {
            let text = serde_json::to_string(&part)
                .map_err(|e| StoreError::Backend(format!("encoding journal entry: {e}")))?;
            sqlx::query("INSERT INTO journal_parts (seq, part, payload) VALUES ($1, $2, $3)")
                .bind(seq)
                .bind(index as i64)
                .bind(text)
                .execute(&mut **tx)
                .await
                .map_err(backend_error)?;
        }
        if self.backend == Backend::Postgres {
            sqlx::query("SELECT pg_notify('tern_journal', $1)")
                .bind(seq.to_string())
                .execute(&mut **tx)
                .await
                .map_err(backend_error)?;
        }
        Ok(seq)
    }

    /// Inserts the zone row, or (`expected_serial`) updates it if the
    /// stored serial is still that one; returns the rows written.
    async fn write_zone_row(
        tx: &mut Transaction<'static, Any>,
        zone: &Zone,
        expected_serial: Option<u32>,
    ) -> Result<u64, StoreError> {
        let insert = expected_serial.is_none();
        let soa =
            serde_json::to_string(&zone.soa).map_err(|e| StoreError::Backend(e.to_string()))?;
        let settings = zone.settings.to_string();
        let sql = if insert {
            "INSERT INTO zones (id, org_id, project_id, name, kind, status, prior_status, default_ttl, description, \
             settings, dnssec_enabled, serial, soa, created_at, updated_at, deleted_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)"
        } else {
            "UPDATE zones SET org_id = $2, project_id = $3, name = $4, kind = $5, status = $6, prior_status = $7, \
             default_ttl = $8, description = $9, settings = $10, dnssec_enabled = $11, serial = $12, soa = $13, \
             created_at = $14, updated_at = $15, deleted_at = $16 WHERE id = $1 AND serial = $17"
        };
        let mut query = sqlx::query(sql)
            .bind(zone.id.to_string())
            .bind(zone.org_id.to_string())
            .bind(zone.project_id.map(|p| p.to_string()))
            .bind(zone.name.to_string())
            .bind(zone.kind.as_str())
            .bind(zone.status.as_str())
            .bind(zone.prior_status.map(|s| s.as_str()))
            .bind(i64::from(zone.default_ttl))
            .bind(zone.description.clone())
            .bind(settings)
            .bind(i64::from(zone.dnssec_enabled))
            .bind(i64::from(zone.serial))
            .bind(soa)
            .bind(zone.created_at)
            .bind(zone.updated_at)
            .bind(zone.deleted_at);
        if let Some(serial) = expected_serial {
            query = query.bind(i64::from(serial));
        }
        let done = query
            .execute(&mut **tx)
            .await
            .map_err(|e| match backend_error(e) {
                StoreError::Duplicate(_) => StoreError::Duplicate(format!("zone {}", zone.name)),
                StoreError::NotFound(_) => StoreError::NotFound(match zone.project_id {
                    Some(p) => format!("organisation {} or project {p}", zone.org_id),
                    None => format!("organisation {}", zone.org_id),
                }),
                other => other,
            })?;
        Ok(done.rows_affected())
    }

    async fn insert_records(
        &self,
        tx: &mut Transaction<'static, Any>,
        records: &[&Record],
    ) -> Result<(), StoreError> {
        let Some(first) = records.first() else {
            return Ok(());
        };
        // One zone per change (see `check_one_zone`): its id is bound from
        // one string rather than formatted per row.
        let zone_id = first.zone_id.to_string();
        let full_sql = self.insert_sql(INSERT_CHUNK);
        let mut chunks = records.chunks(INSERT_CHUNK);
        let mut current = chunks.next().map(|c| (c, ChunkText::new(c)));
        while let Some((chunk, text)) = current.take() {
            let tail_sql;
            let sql = if chunk.len() == INSERT_CHUNK {
                &full_sql
            } else {
                tail_sql = self.insert_sql(chunk.len());
                &tail_sql
            };
            let mut args = AnyArguments::default();
            for (i, r) in chunk.iter().enumerate() {
                text.bind_row(&mut args, i, r, &zone_id)
                    .map_err(|e| StoreError::Backend(format!("binding record {}: {e}", r.id)))?;
            }
            // The next chunk's text is formatted while the database inserts
            // this one: `join!` starts the insert first (its first poll hands
            // the statement over) and formats without yielding meanwhile.
            let next = chunks.next();
            let (done, next_text) =
                tokio::join!(sqlx::query_with(sql, args).execute(&mut **tx), async {
                    next.map(|c| (c, ChunkText::new(c)))
                });
            done.map_err(|e| match backend_error(e) {
                StoreError::Duplicate(m) => StoreError::Duplicate(format!("record ({m})")),
                other => other,
            })?;
            current = next_text;
        }
        Ok(())
    }

    /// The multi-row INSERT for `rows` records; built once per size, since
    /// all but the last chunk of a change have the same size.
    fn insert_sql(&self, rows: usize) -> String {
        let row = format!("({})", placeholders(self.backend, 0, 10));
        let mut sql = String::with_capacity(128 + rows * (row.len() + 1));
        sql.push_str(
            "INSERT INTO records (id, zone_id, name, rtype, ttl, rdata, description, created_at, updated_at, version) VALUES ",
        );
        for i in 0..rows {
            if i > 0 {
                sql.push(',');
            }
            match self.backend {
                Backend::Sqlite => sql.push_str(&row),
                Backend::Postgres => {
                    sql.push('(');
                    sql.push_str(&placeholders(self.backend, i * 10, 10));
                    sql.push(')');
                }
            }
        }
        sql
    }

    async fn fetch_records(
        &self,
        sql: &str,
        binds: Vec<String>,
    ) -> Result<Vec<Record>, StoreError> {
        let mut query = sqlx::query(sql);
        for b in binds {
            query = query.bind(b);
        }
        // Streamed: a million-record zone never holds all its raw rows at once.
        let mut rows = query.fetch(&self.pool);
        let mut out = Vec::new();
        while let Some(row) = rows.try_next().await.map_err(backend_error)? {
            out.push(record_from_row(&row)?);
        }
        Ok(out)
    }
}

/// The text columns of one chunk of records that are not already strings.
/// Values are bound by reference: sqlx's `Any` copies an owned `String` once
/// more when it is bound.
struct ChunkText {
    ids: Vec<String>,
    rdata: Vec<String>,
}

impl ChunkText {
    fn new(chunk: &[&Record]) -> ChunkText {
        ChunkText {
            ids: chunk.iter().map(|r| r.id.to_string()).collect(),
            rdata: chunk.iter().map(|r| r.rdata.to_string()).collect(),
        }
    }

    fn bind_row<'a>(
        &'a self,
        args: &mut AnyArguments<'a>,
        i: usize,
        r: &'a Record,
        zone_id: &'a str,
    ) -> Result<(), sqlx::error::BoxDynError> {
        use sqlx::Arguments;
        args.add(self.ids[i].as_str())?;
        args.add(zone_id)?;
        args.add(r.name.as_str())?;
        args.add(i64::from(r.rtype.0))?;
        args.add(r.ttl.map(i64::from))?;
        args.add(self.rdata[i].as_str())?;
        args.add(r.description.as_deref())?;
        args.add(r.created_at)?;
        args.add(r.updated_at)?;
        args.add(i64::from(r.version))
    }
}

/// Records per JSON chunk when SQLite reads a whole zone.
const READ_CHUNK: i64 = 20_000;

impl Database {
    /// A whole zone from SQLite, as JSON arrays of `READ_CHUNK` records. sqlx
    /// hands SQLite rows from its worker thread to the async side one at a
    /// time, a thread wake-up each, which made that hand-off most of the
    /// cost of reading a large zone; one row per chunk avoids it. The chunks
    /// are read in one transaction, so they come from one snapshot.
    async fn sqlite_zone_records(&self, zone_id: Uuid) -> Result<Vec<Record>, StoreError> {
        let mut out: Vec<Record> = Vec::new();
        self.sqlite_zone_records_chunked(zone_id, &mut |chunk| out.extend(chunk))
            .await?;
        Ok(out)
    }

    /// The zone's records in chunks of `READ_CHUNK`, inside one read
    /// transaction (a consistent view). Only this whole-zone read maps the
    /// database file (it halves a million-record export): mapped pages count
    /// in the process's RSS for as long as they stay mapped, so the map is
    /// dropped afterwards (the pages stay in the OS page cache), with the
    /// connection's page cache.
    async fn sqlite_zone_records_chunked(
        &self,
        zone_id: Uuid,
        sink: &mut (dyn FnMut(Vec<Record>) + Send),
    ) -> Result<(), StoreError> {
        let mut conn = self.pool.acquire().await.map_err(backend_error)?;
        conn.execute("PRAGMA mmap_size = 1073741824")
            .await
            .map_err(backend_error)?;
        let read = read_zone_chunks(&mut conn, zone_id, sink).await;
        for pragma in ["PRAGMA mmap_size = 0", "PRAGMA shrink_memory"] {
            if let Err(e) = conn.execute(pragma).await {
                tracing::debug!(error = %e, "releasing SQLite memory");
            }
        }
        read
    }
}

async fn read_zone_chunks(
    conn: &mut sqlx::pool::PoolConnection<Any>,
    zone_id: Uuid,
    sink: &mut (dyn FnMut(Vec<Record>) + Send),
) -> Result<(), StoreError> {
    let mut tx = sqlx::Connection::begin(&mut **conn)
        .await
        .map_err(backend_error)?;
    let zone = zone_id.to_string();
    let mut after: (String, i64, String) = (String::new(), -1, String::new());
    loop {
        let json: Option<String> = sqlx::query_scalar(
            "SELECT json_group_array(json_array(id, name, rtype, ttl, rdata, description, created_at, updated_at, version)) \
             FROM (SELECT * FROM records WHERE zone_id = ?1 AND (name, rtype, id) > (?2, ?3, ?4) \
             ORDER BY name, rtype, id LIMIT ?5)",
        )
        .bind(zone.clone())
        .bind(after.0.clone())
        .bind(after.1)
        .bind(after.2.clone())
        .bind(READ_CHUNK)
        .fetch_one(&mut *tx)
        .await
        .map_err(backend_error)?;
        let chunk: Vec<rows::CompactRecord> = match json {
            Some(text) => serde_json::from_str(&text)
                .map_err(|e| StoreError::Corrupt(format!("records of zone {zone_id}: {e}")))?,
            None => Vec::new(),
        };
        let full = chunk.len() as i64 == READ_CHUNK;
        // The next chunk starts after the greatest key of this one (SQLite
        // compares text as bytes, as Rust does).
        if let Some(last) = chunk
            .iter()
            .max_by(|a, b| (a.1.as_str(), a.2, a.0).cmp(&(b.1.as_str(), b.2, b.0)))
        {
            after = (last.1.clone(), i64::from(last.2), last.0.to_string());
        }
        sink(rows::expand(zone_id, chunk)?);
        if !full {
            break;
        }
    }
    tx.commit().await.map_err(backend_error)?;
    Ok(())
}

/// `records_page`'s query with its values bound in placeholder order.
fn bind_filter<'q>(
    sql: &'q str,
    zone_id: Uuid,
    filter: &RecordFilter,
    pattern: &Option<String>,
) -> sqlx::query::Query<'q, Any, AnyArguments<'q>> {
    let mut query = sqlx::query(sql).bind(zone_id.to_string());
    if let Some(name) = &filter.name {
        query = query.bind(name.to_string());
    }
    if let Some(rtype) = filter.rtype {
        query = query.bind(i64::from(rtype.0));
    }
    if let Some(pattern) = pattern {
        query = query.bind(pattern.clone());
    }
    query
}

/// A change belongs to one zone: its zone row, journal entry and every record.
/// The journal stores records without their zone id (it is the entry's), so a
/// stray record would be written to one zone and journaled under another.
fn check_one_zone(
    zone_id: Uuid,
    zone: Option<&Zone>,
    journal: &JournalEntry,
) -> Result<(), StoreError> {
    let stray = zone
        .map(|z| z.id)
        .into_iter()
        .chain([journal.zone_id])
        .chain(journal.removed.iter().map(|r| r.zone_id))
        .chain(journal.added.iter().map(|r| r.zone_id))
        .find(|id| *id != zone_id);
    match stray {
        Some(other) => Err(StoreError::Backend(format!(
            "a change to zone {zone_id} refers to zone {other}"
        ))),
        None => Ok(()),
    }
}

/// Records in the order `Store` promises: name, type, id, compared as bytes.
/// `ORDER BY` alone does not give that: a PostgreSQL database with a
/// linguistic collation (en_US, ICU) orders `_`, `-` and `*` differently from
/// SQLite, and chunked reads are sorted per chunk only. Rows mostly arrive in
/// order already, which the (merge) sort handles in linear time.
fn sort_records(mut records: Vec<Record>) -> Vec<Record> {
    records.sort_by(|a, b| {
        (a.name.as_str(), a.rtype.0, a.id).cmp(&(b.name.as_str(), b.rtype.0, b.id))
    });
    records
}

impl Database {
    /// The organisation whose unique `column` (id or slug) is `value`.
    async fn grants_where(&self, column: &str, id: Uuid) -> Result<Vec<AccessGrant>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT id, zone_id, org_id, role, created_at FROM access_grants WHERE {column} = $1"
        ))
        .bind(id.to_string())
        .fetch_all(&self.pool)
        .await
        .map_err(backend_error)?;
        let mut grants = rows
            .iter()
            .map(grant_from_row)
            .collect::<Result<Vec<_>, _>>()?;
        grants.sort_by(|a, b| a.created_at.cmp(&b.created_at).then(a.id.cmp(&b.id)));
        Ok(grants)
    }

    async fn token_where(
        &self,
        column: &str,
        value: String,
    ) -> Result<Option<ApiToken>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE {column} = $1"
        ))
        .bind(value)
        .fetch_optional(&self.pool)
        .await
        .map_err(backend_error)?;
        row.as_ref().map(token_from_row).transpose()
    }

    async fn organisation_where(
        &self,
        column: &str,
        value: String,
    ) -> Result<Option<Organisation>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {ORG_COLUMNS} FROM organisations WHERE {column} = $1"
        ))
        .bind(value)
        .fetch_optional(&self.pool)
        .await
        .map_err(backend_error)?;
        row.as_ref().map(org_from_row).transpose()
    }

    /// Records of a zone whose `column` is one of `values`, in chunks that
    /// stay within the engines' parameter limits.
    async fn records_where_in(
        &self,
        zone_id: Uuid,
        column: &str,
        values: Vec<String>,
    ) -> Result<Vec<Record>, StoreError> {
        let mut out = Vec::new();
        for chunk in values.chunks(ID_CHUNK) {
            let sql = format!(
                "SELECT {RECORD_COLUMNS} FROM records WHERE zone_id = {} AND {column} IN ({}) ORDER BY name, rtype, id",
                placeholders(self.backend, 0, 1),
                placeholders(self.backend, 1, chunk.len())
            );
            let mut binds = vec![zone_id.to_string()];
            binds.extend(chunk.iter().cloned());
            out.extend(self.fetch_records(&sql, binds).await?);
        }
        Ok(sort_records(out))
    }
}

/// Copies the SQLite WAL into the database file once a second. PASSIVE
/// checkpoints wait for no reader or writer, so commits never stall on them;
/// the task ends when the pool is closed (closing checkpoints a last time).
fn spawn_checkpointer(pool: AnyPool) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if pool.is_closed() {
                return;
            }
            if let Err(e) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
                .execute(&pool)
                .await
            {
                if pool.is_closed() {
                    return;
                }
                tracing::warn!(error = %e, "WAL checkpoint failed");
            }
        }
    });
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

const RECORD_COLUMNS: &str =
    "id, zone_id, name, rtype, ttl, rdata, description, created_at, updated_at, version";
const ZONE_COLUMNS: &str = "id, org_id, project_id, name, kind, status, prior_status, default_ttl, description, \
    settings, dnssec_enabled, serial, soa, created_at, updated_at, deleted_at";
const JOURNAL_COLUMNS: &str =
    "seq, zone_id, zone_name, serial_before, serial_after, principal, source, at, payload";

#[async_trait]
impl Store for Database {
    async fn create_organisation(&self, org: &Organisation) -> Result<(), StoreError> {
        let features =
            serde_json::to_string(&org.features).map_err(|e| StoreError::Backend(e.to_string()))?;
        sqlx::query(&format!(
            "INSERT INTO organisations ({ORG_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7)"
        ))
        .bind(org.id.to_string())
        .bind(org.slug.clone())
        .bind(org.name.clone())
        .bind(features)
        .bind(org.created_at)
        .bind(org.max_zones.map(i64::from))
        .bind(org.max_records_per_zone.map(i64::from))
        .execute(&self.pool)
        .await
        .map_err(|e| match backend_error(e) {
            StoreError::Duplicate(_) => {
                StoreError::Duplicate(format!("organisation '{}'", org.slug))
            }
            other => other,
        })?;
        Ok(())
    }

    async fn organisation(&self, id: Uuid) -> Result<Option<Organisation>, StoreError> {
        self.organisation_where("id", id.to_string()).await
    }

    async fn organisation_by_slug(&self, slug: &str) -> Result<Option<Organisation>, StoreError> {
        self.organisation_where("slug", slug.to_string()).await
    }

    async fn update_organisation(&self, org: &Organisation) -> Result<(), StoreError> {
        let features =
            serde_json::to_string(&org.features).map_err(|e| StoreError::Backend(e.to_string()))?;
        let done = sqlx::query(
            "UPDATE organisations SET name = $1, features = $2, max_zones = $3, max_records_per_zone = $4 WHERE id = $5",
        )
        .bind(org.name.clone())
        .bind(features)
        .bind(org.max_zones.map(i64::from))
        .bind(org.max_records_per_zone.map(i64::from))
        .bind(org.id.to_string())
        .execute(&self.pool)
        .await
        .map_err(backend_error)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound(format!("organisation {}", org.id)));
        }
        Ok(())
    }

    async fn list_organisations(&self) -> Result<Vec<Organisation>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {ORG_COLUMNS} FROM organisations ORDER BY slug"
        ))
        .fetch_all(&self.pool)
        .await
        .map_err(backend_error)?;
        rows.iter().map(org_from_row).collect()
    }

    async fn create_project(&self, project: &Project) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO projects (id, org_id, slug, name, created_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(project.id.to_string())
        .bind(project.org_id.to_string())
        .bind(project.slug.clone())
        .bind(project.name.clone())
        .bind(project.created_at)
        .execute(&self.pool)
        .await
        .map_err(|e| match backend_error(e) {
            StoreError::Duplicate(_) => {
                StoreError::Duplicate(format!("project '{}'", project.slug))
            }
            StoreError::NotFound(_) => {
                StoreError::NotFound(format!("organisation {}", project.org_id))
            }
            other => other,
        })?;
        Ok(())
    }

    async fn project_by_slug(
        &self,
        org_id: Uuid,
        slug: &str,
    ) -> Result<Option<Project>, StoreError> {
        let row = sqlx::query("SELECT id, org_id, slug, name, created_at FROM projects WHERE org_id = $1 AND slug = $2")
            .bind(org_id.to_string())
            .bind(slug.to_string())
            .fetch_optional(&self.pool)
            .await
            .map_err(backend_error)?;
        row.as_ref().map(project_from_row).transpose()
    }

    async fn project(&self, id: Uuid) -> Result<Option<Project>, StoreError> {
        let row =
            sqlx::query("SELECT id, org_id, slug, name, created_at FROM projects WHERE id = $1")
                .bind(id.to_string())
                .fetch_optional(&self.pool)
                .await
                .map_err(backend_error)?;
        row.as_ref().map(project_from_row).transpose()
    }

    async fn list_projects(&self, org_id: Uuid) -> Result<Vec<Project>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, org_id, slug, name, created_at FROM projects WHERE org_id = $1",
        )
        .bind(org_id.to_string())
        .fetch_all(&self.pool)
        .await
        .map_err(backend_error)?;
        let mut projects = rows
            .iter()
            .map(project_from_row)
            .collect::<Result<Vec<_>, _>>()?;
        projects.sort_by(|a, b| a.slug.cmp(&b.slug));
        Ok(projects)
    }

    async fn create_token(&self, token: &ApiToken) -> Result<(), StoreError> {
        let scopes =
            serde_json::to_string(&token.scopes).map_err(|e| StoreError::Backend(e.to_string()))?;
        let networks: Vec<String> = token
            .allowed_networks
            .iter()
            .map(|n| format!("{}/{}", n.network, n.prefix))
            .collect();
        let networks =
            serde_json::to_string(&networks).map_err(|e| StoreError::Backend(e.to_string()))?;
        sqlx::query(&format!(
            "INSERT INTO api_tokens ({TOKEN_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
        ))
        .bind(token.id.to_string())
        .bind(token.org_id.to_string())
        .bind(token.project_id.map(|p| p.to_string()))
        .bind(token.name.clone())
        .bind(scopes)
        .bind(token.hash.clone())
        .bind(token.expires_at)
        .bind(networks)
        .bind(token.last_used_at)
        .bind(token.revoked_at)
        .bind(token.created_at)
        .execute(&self.pool)
        .await
        .map_err(|e| match backend_error(e) {
            StoreError::NotFound(_) => StoreError::NotFound(format!(
                "organisation {} or project of the token",
                token.org_id
            )),
            other => other,
        })?;
        Ok(())
    }

    async fn token(&self, id: Uuid) -> Result<Option<ApiToken>, StoreError> {
        self.token_where("id", id.to_string()).await
    }

    async fn token_by_hash(&self, hash: &str) -> Result<Option<ApiToken>, StoreError> {
        self.token_where("hash", hash.to_string()).await
    }

    async fn list_tokens(&self, org_id: Option<Uuid>) -> Result<Vec<ApiToken>, StoreError> {
        let rows = match org_id {
            Some(org) => {
                sqlx::query(&format!(
                    "SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE org_id = $1"
                ))
                .bind(org.to_string())
                .fetch_all(&self.pool)
                .await
            }
            None => {
                sqlx::query(&format!("SELECT {TOKEN_COLUMNS} FROM api_tokens"))
                    .fetch_all(&self.pool)
                    .await
            }
        }
        .map_err(backend_error)?;
        let mut tokens = rows
            .iter()
            .map(token_from_row)
            .collect::<Result<Vec<_>, _>>()?;
        tokens.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(a.id.cmp(&b.id)));
        Ok(tokens)
    }

    async fn revoke_token(&self, id: Uuid, at: Timestamp) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL",
        )
        .bind(at)
        .bind(id.to_string())
        .execute(&self.pool)
        .await
        .map_err(backend_error)?;
        Ok(done.rows_affected() > 0)
    }

    async fn touch_token(&self, id: Uuid, at: Timestamp) -> Result<(), StoreError> {
        sqlx::query("UPDATE api_tokens SET last_used_at = $1 WHERE id = $2")
            .bind(at)
            .bind(id.to_string())
            .execute(&self.pool)
            .await
            .map_err(backend_error)?;
        Ok(())
    }

    async fn put_template(&self, template: &Template) -> Result<(), StoreError> {
        let org = template
            .org_id
            .ok_or_else(|| StoreError::Backend("built-in templates are not stored".into()))?;
        let body = serde_json::to_string(&serde_json::json!({
            "variables": template.variables,
            "records": template.records,
        }))
        .map_err(|e| StoreError::Backend(e.to_string()))?;
        let mut tx = self.pool.begin().await.map_err(backend_error)?;
        sqlx::query("DELETE FROM templates WHERE id = $1")
            .bind(template.id.clone())
            .execute(&mut *tx)
            .await
            .map_err(backend_error)?;
        sqlx::query(
            "INSERT INTO templates (id, org_id, name, description, body, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(template.id.clone())
        .bind(org.to_string())
        .bind(template.name.clone())
        .bind(template.description.clone())
        .bind(body)
        .bind(template.created_at)
        .bind(template.updated_at)
        .execute(&mut *tx)
        .await
        .map_err(backend_error)?;
        tx.commit().await.map_err(backend_error)?;
        Ok(())
    }

    async fn template(&self, id: &str) -> Result<Option<Template>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {TEMPLATE_COLUMNS} FROM templates WHERE id = $1"
        ))
        .bind(id.to_string())
        .fetch_optional(&self.pool)
        .await
        .map_err(backend_error)?;
        row.as_ref().map(template_from_row).transpose()
    }

    async fn list_templates(&self, org_id: Uuid) -> Result<Vec<Template>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {TEMPLATE_COLUMNS} FROM templates WHERE org_id = $1"
        ))
        .bind(org_id.to_string())
        .fetch_all(&self.pool)
        .await
        .map_err(backend_error)?;
        let mut templates = rows
            .iter()
            .map(template_from_row)
            .collect::<Result<Vec<_>, _>>()?;
        templates.sort_by(|a, b| a.name.cmp(&b.name).then(a.id.cmp(&b.id)));
        Ok(templates)
    }

    async fn delete_template(&self, id: &str) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM templates WHERE id = $1")
            .bind(id.to_string())
            .execute(&self.pool)
            .await
            .map_err(backend_error)?;
        Ok(done.rows_affected() > 0)
    }

    async fn claim_idempotency_key(
        &self,
        key: &str,
        fingerprint: &str,
        now: Timestamp,
        stale_before: Timestamp,
        expire_before: Timestamp,
    ) -> Result<IdempotencyClaim, StoreError> {
        let mut tx = self.pool.begin().await.map_err(backend_error)?;
        sqlx::query(
            "DELETE FROM idempotency_keys WHERE created_at < $1 OR (status = 0 AND created_at < $2)",
        )
        .bind(expire_before)
        .bind(stale_before)
        .execute(&mut *tx)
        .await
        .map_err(backend_error)?;
        let existing =
            sqlx::query("SELECT fingerprint, status, body FROM idempotency_keys WHERE key = $1")
                .bind(key.to_string())
                .fetch_optional(&mut *tx)
                .await
                .map_err(backend_error)?;
        let claim = match existing {
            Some(row) => {
                let fingerprint: String = sqlx::Row::try_get(&row, "fingerprint")
                    .map_err(|e| StoreError::Corrupt(e.to_string()))?;
                let status: i64 = sqlx::Row::try_get(&row, "status")
                    .map_err(|e| StoreError::Corrupt(e.to_string()))?;
                if status == 0 {
                    IdempotencyClaim::InProgress { fingerprint }
                } else {
                    IdempotencyClaim::Done {
                        fingerprint,
                        status: u16::try_from(status)
                            .map_err(|e| StoreError::Corrupt(e.to_string()))?,
                        body: sqlx::Row::try_get(&row, "body")
                            .map_err(|e| StoreError::Corrupt(e.to_string()))?,
                    }
                }
            }
            None => {
                let inserted = sqlx::query(
                    "INSERT INTO idempotency_keys (key, fingerprint, status, body, created_at) VALUES ($1, $2, 0, '', $3)",
                )
                .bind(key.to_string())
                .bind(fingerprint.to_string())
                .bind(now)
                .execute(&mut *tx)
                .await
                .map_err(backend_error);
                match inserted {
                    Ok(_) => IdempotencyClaim::Claimed,
                    // Another request claimed it between our read and write.
                    Err(StoreError::Duplicate(_)) => {
                        return Ok(IdempotencyClaim::InProgress {
                            fingerprint: fingerprint.to_string(),
                        });
                    }
                    Err(e) => return Err(e),
                }
            }
        };
        tx.commit().await.map_err(backend_error)?;
        Ok(claim)
    }

    async fn complete_idempotency_key(
        &self,
        key: &str,
        status: u16,
        body: &str,
    ) -> Result<(), StoreError> {
        sqlx::query("UPDATE idempotency_keys SET status = $1, body = $2 WHERE key = $3")
            .bind(i64::from(status))
            .bind(body.to_string())
            .bind(key.to_string())
            .execute(&self.pool)
            .await
            .map_err(backend_error)?;
        Ok(())
    }

    async fn release_idempotency_key(&self, key: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM idempotency_keys WHERE key = $1 AND status = 0")
            .bind(key.to_string())
            .execute(&self.pool)
            .await
            .map_err(backend_error)?;
        Ok(())
    }

    async fn create_grant(&self, grant: &AccessGrant) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO access_grants (id, zone_id, org_id, role, created_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(grant.id.to_string())
        .bind(grant.zone_id.to_string())
        .bind(grant.org_id.to_string())
        .bind(grant.role.as_str())
        .bind(grant.created_at)
        .execute(&self.pool)
        .await
        .map_err(|e| match backend_error(e) {
            StoreError::Duplicate(_) => {
                StoreError::Duplicate("a grant for that organisation on this zone".into())
            }
            other => other,
        })?;
        Ok(())
    }

    async fn zone_grants(&self, zone_id: Uuid) -> Result<Vec<AccessGrant>, StoreError> {
        self.grants_where("zone_id", zone_id).await
    }

    async fn org_grants(&self, org_id: Uuid) -> Result<Vec<AccessGrant>, StoreError> {
        self.grants_where("org_id", org_id).await
    }

    async fn delete_grant(&self, id: Uuid) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM access_grants WHERE id = $1")
            .bind(id.to_string())
            .execute(&self.pool)
            .await
            .map_err(backend_error)?;
        Ok(done.rows_affected() > 0)
    }

    async fn zone(&self, id: Uuid) -> Result<Option<Zone>, StoreError> {
        let row = sqlx::query(&format!("SELECT {ZONE_COLUMNS} FROM zones WHERE id = $1"))
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await
            .map_err(backend_error)?;
        row.as_ref().map(zone_from_row).transpose()
    }

    async fn list_zones(&self, filter: &ZoneFilter) -> Result<Vec<Zone>, StoreError> {
        let mut sql = format!("SELECT {ZONE_COLUMNS} FROM zones WHERE 1 = 1");
        let mut binds: Vec<String> = Vec::new();
        let mut add = |sql: &mut String, column: &str, value: String| {
            binds.push(value);
            sql.push_str(&format!(" AND {column} = ${}", binds.len()));
        };
        if let Some(org) = filter.org_id {
            add(&mut sql, "org_id", org.to_string());
        }
        if let Some(project) = filter.project_id {
            add(&mut sql, "project_id", project.to_string());
        }
        if let Some(name) = &filter.name {
            add(&mut sql, "name", name.to_string());
        }
        if let Some(status) = filter.status {
            add(&mut sql, "status", status.as_str().to_string());
        }
        if let Some(kind) = filter.kind {
            add(&mut sql, "kind", kind.as_str().to_string());
        }
        if !filter.include_deleted && filter.status.is_none() {
            sql.push_str(" AND status <> 'deleted'");
        }
        sql.push_str(" ORDER BY name, id");
        let mut query = sqlx::query(&sql);
        for b in binds {
            query = query.bind(b);
        }
        let rows = query.fetch_all(&self.pool).await.map_err(backend_error)?;
        let mut zones = rows
            .iter()
            .map(zone_from_row)
            .collect::<Result<Vec<_>, _>>()?;
        // See `sort_records`.
        zones.sort_by(|a, b| (a.name.as_str(), a.id).cmp(&(b.name.as_str(), b.id)));
        Ok(zones)
    }

    async fn records(&self, zone_id: Uuid) -> Result<Vec<Record>, StoreError> {
        if self.backend == Backend::Sqlite {
            return self.sqlite_zone_records(zone_id).await.map(sort_records);
        }
        self.fetch_records(
            &format!(
                "SELECT {RECORD_COLUMNS} FROM records WHERE zone_id = $1 ORDER BY name, rtype, id"
            ),
            vec![zone_id.to_string()],
        )
        .await
        .map(sort_records)
    }

    async fn records_chunked(
        &self,
        zone_id: Uuid,
        sink: &mut (dyn FnMut(Vec<Record>) + Send),
    ) -> Result<(), StoreError> {
        if self.backend == Backend::Sqlite {
            return self.sqlite_zone_records_chunked(zone_id, sink).await;
        }
        // PostgreSQL streams the rows; they are handed on in chunks, never
        // all at once.
        let sql = format!("SELECT {RECORD_COLUMNS} FROM records WHERE zone_id = $1");
        let mut rows = sqlx::query(&sql)
            .bind(zone_id.to_string())
            .fetch(&self.pool);
        let mut chunk = Vec::with_capacity(READ_CHUNK as usize);
        while let Some(row) = rows.try_next().await.map_err(backend_error)? {
            chunk.push(record_from_row(&row)?);
            if chunk.len() == READ_CHUNK as usize {
                sink(std::mem::take(&mut chunk));
            }
        }
        if !chunk.is_empty() {
            sink(chunk);
        }
        Ok(())
    }

    async fn records_page(
        &self,
        zone_id: Uuid,
        filter: &RecordFilter,
        offset: u64,
        limit: u64,
    ) -> Result<(Vec<Record>, u64), StoreError> {
        let mut conditions = String::from("zone_id = $1");
        let mut n = 1;
        if filter.name.is_some() {
            n += 1;
            conditions.push_str(&format!(" AND name = ${n}"));
        }
        if filter.rtype.is_some() {
            n += 1;
            conditions.push_str(&format!(" AND rtype = ${n}"));
        }
        let pattern = filter.search.as_deref().map(|s| {
            let escaped = s
                .to_lowercase()
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_");
            format!("%{escaped}%")
        });
        if pattern.is_some() {
            n += 1;
            conditions.push_str(&format!(
                " AND (name LIKE ${n} ESCAPE '\\' OR LOWER(rdata) LIKE ${n} ESCAPE '\\')"
            ));
        }
        let count_sql = format!("SELECT COUNT(*) AS n FROM records WHERE {conditions}");
        let total: i64 = sqlx::Row::try_get(
            &bind_filter(&count_sql, zone_id, filter, &pattern)
                .fetch_one(&self.pool)
                .await
                .map_err(backend_error)?,
            "n",
        )
        .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        // Byte order on both engines (PostgreSQL's database collation may
        // be a language's), so pages are the same everywhere.
        let order = match self.backend {
            Backend::Sqlite => "name, rtype, id",
            Backend::Postgres => "name COLLATE \"C\", rtype, id COLLATE \"C\"",
        };
        let page_sql = format!(
            "SELECT {RECORD_COLUMNS} FROM records WHERE {conditions} ORDER BY {order} LIMIT {} OFFSET {}",
            limit.min(i64::MAX as u64),
            offset.min(i64::MAX as u64)
        );
        let rows = bind_filter(&page_sql, zone_id, filter, &pattern)
            .fetch_all(&self.pool)
            .await
            .map_err(backend_error)?;
        let records = rows
            .iter()
            .map(record_from_row)
            .collect::<Result<Vec<_>, _>>()?;
        Ok((records, u64::try_from(total).unwrap_or(0)))
    }

    async fn records_at(&self, zone_id: Uuid, names: &[Name]) -> Result<Vec<Record>, StoreError> {
        self.records_where_in(zone_id, "name", names.iter().map(Name::to_string).collect())
            .await
    }

    async fn records_below(&self, zone_id: Uuid, name: &Name) -> Result<Vec<Record>, StoreError> {
        // LIKE may over-match (`_` in names is a wildcard there); the exact
        // test is done on the parsed names.
        let pattern = if name.is_root() {
            "%".to_string()
        } else {
            format!("%.{}", name.as_str())
        };
        let candidates = self
            .fetch_records(
                &format!(
                    "SELECT {RECORD_COLUMNS} FROM records WHERE zone_id = $1 AND name LIKE $2 ORDER BY name, rtype, id"
                ),
                vec![zone_id.to_string(), pattern],
            )
            .await?;
        Ok(sort_records(
            candidates
                .into_iter()
                .filter(|r| &r.name != name && r.name.is_subdomain_of(name))
                .collect(),
        ))
    }

    async fn records_by_id(&self, zone_id: Uuid, ids: &[Uuid]) -> Result<Vec<Record>, StoreError> {
        self.records_where_in(zone_id, "id", ids.iter().map(Uuid::to_string).collect())
            .await
    }

    async fn record_zone(&self, record_id: Uuid) -> Result<Option<Uuid>, StoreError> {
        let zone: Option<String> = sqlx::query_scalar("SELECT zone_id FROM records WHERE id = $1")
            .bind(record_id.to_string())
            .fetch_optional(&self.pool)
            .await
            .map_err(backend_error)?;
        zone.map(|z| Uuid::parse_str(&z).map_err(|e| StoreError::Corrupt(e.to_string())))
            .transpose()
    }

    async fn record_count(&self, zone_id: Uuid) -> Result<u64, StoreError> {
        let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM records WHERE zone_id = $1")
            .bind(zone_id.to_string())
            .fetch_one(&self.pool)
            .await
            .map_err(backend_error)?;
        Ok(u64::try_from(count).unwrap_or(0))
    }

    async fn create_zone(&self, zone: &Zone, journal: &JournalEntry) -> Result<i64, StoreError> {
        check_one_zone(zone.id, Some(zone), journal)?;
        let (_writer, mut tx) = self.begin().await?;
        Self::write_zone_row(&mut tx, zone, None).await?;
        let records: Vec<&Record> = journal.added.iter().collect();
        self.insert_records(&mut tx, &records).await?;
        let seq = self.append_journal(&mut tx, journal).await?;
        tx.commit().await.map_err(backend_error)?;
        Ok(seq)
    }

    async fn commit(&self, commit: &Commit) -> Result<i64, StoreError> {
        check_one_zone(commit.zone_id, Some(&commit.zone), &commit.journal)?;
        let (_writer, mut tx) = self.begin().await?;
        // The zone row is written first, and only if its serial is still the
        // one the change was planned on: that write takes the lock (SQLite:
        // the database's; PostgreSQL: the row's) and is the serial check in
        // one statement. Only a refused write asks why.
        if Self::write_zone_row(&mut tx, &commit.zone, Some(commit.expected_serial)).await? != 1 {
            let current: Option<i64> = sqlx::query_scalar("SELECT serial FROM zones WHERE id = $1")
                .bind(commit.zone_id.to_string())
                .fetch_optional(&mut *tx)
                .await
                .map_err(backend_error)?;
            let current =
                current.ok_or_else(|| StoreError::NotFound(format!("zone {}", commit.zone_id)))?;
            let current = u32::try_from(current)
                .map_err(|_| StoreError::Corrupt(format!("serial {current}")))?;
            return Err(StoreError::SerialMismatch {
                expected: commit.expected_serial,
                current,
            });
        }
        let journal = &commit.journal;
        let added_ids: HashSet<Uuid> = journal.added.iter().map(|r| r.id).collect();
        let removed_ids: HashSet<Uuid> = journal.removed.iter().map(|r| r.id).collect();
        let delete_ids: Vec<Uuid> = journal
            .removed
            .iter()
            .map(|r| r.id)
            .filter(|id| !added_ids.contains(id))
            .collect();
        let (updates, inserts): (Vec<&Record>, Vec<&Record>) = journal
            .added
            .iter()
            .partition(|r| removed_ids.contains(&r.id));
        for chunk in delete_ids.chunks(ID_CHUNK) {
            let sql = format!(
                "DELETE FROM records WHERE zone_id = {} AND id IN ({})",
                placeholders(self.backend, 0, 1),
                placeholders(self.backend, 1, chunk.len())
            );
            let mut query = sqlx::query(&sql).bind(commit.zone_id.to_string());
            for id in chunk {
                query = query.bind(id.to_string());
            }
            query.execute(&mut *tx).await.map_err(backend_error)?;
        }
        for r in updates {
            let done = sqlx::query(
                "UPDATE records SET name = $3, rtype = $4, ttl = $5, rdata = $6, description = $7, \
                 updated_at = $8, version = $9 WHERE id = $1 AND zone_id = $2",
            )
            .bind(r.id.to_string())
            .bind(commit.zone_id.to_string())
            .bind(r.name.to_string())
            .bind(i64::from(r.rtype.0))
            .bind(r.ttl.map(i64::from))
            .bind(r.rdata.to_string())
            .bind(r.description.clone())
            .bind(r.updated_at)
            .bind(i64::from(r.version))
            .execute(&mut *tx)
            .await
            .map_err(backend_error)?;
            if done.rows_affected() != 1 {
                return Err(StoreError::NotFound(format!("record {}", r.id)));
            }
        }
        self.insert_records(&mut tx, &inserts).await?;
        let seq = self.append_journal(&mut tx, &commit.journal).await?;
        tx.commit().await.map_err(backend_error)?;
        Ok(seq)
    }

    async fn purge_zone(&self, zone_id: Uuid, journal: &JournalEntry) -> Result<i64, StoreError> {
        check_one_zone(zone_id, None, journal)?;
        let (_writer, mut tx) = self.begin().await?;
        let id = zone_id.to_string();
        let found: Option<i64> = sqlx::query_scalar(self.zone_lock_sql())
            .bind(id.clone())
            .fetch_optional(&mut *tx)
            .await
            .map_err(backend_error)?;
        if found.is_none() {
            return Err(StoreError::NotFound(format!("zone {zone_id}")));
        }
        // The final entry is appended before the zone's history goes: the
        // zone may hold the newest entry, and `MAX(seq) + 1` computed after
        // deleting it would hand out a seq that followers have already
        // passed, so they would never learn that the zone is gone.
        let seq = self.append_journal(&mut tx, journal).await?;
        sqlx::query(
            "DELETE FROM journal_parts WHERE seq IN (SELECT seq FROM journal WHERE zone_id = $1 AND seq < $2)",
        )
        .bind(id.clone())
        .bind(seq)
        .execute(&mut *tx)
        .await
        .map_err(backend_error)?;
        sqlx::query("DELETE FROM journal WHERE zone_id = $1 AND seq < $2")
            .bind(id.clone())
            .bind(seq)
            .execute(&mut *tx)
            .await
            .map_err(backend_error)?;
        for sql in [
            "DELETE FROM records WHERE zone_id = $1",
            "DELETE FROM access_grants WHERE zone_id = $1",
            "DELETE FROM zones WHERE id = $1",
        ] {
            sqlx::query(sql)
                .bind(id.clone())
                .execute(&mut *tx)
                .await
                .map_err(backend_error)?;
        }
        tx.commit().await.map_err(backend_error)?;
        Ok(seq)
    }

    async fn journal_head(&self) -> Result<i64, StoreError> {
        let head: Option<i64> = sqlx::query_scalar("SELECT MAX(seq) FROM journal")
            .fetch_one(&self.pool)
            .await
            .map_err(backend_error)?;
        Ok(head.unwrap_or(0))
    }

    async fn journal_since(&self, after: i64, limit: u32) -> Result<Vec<JournalEntry>, StoreError> {
        journal_since(&self.pool, self.backend, after, limit).await
    }

    async fn zone_journal(
        &self,
        zone_id: Uuid,
        offset: u32,
        limit: u32,
    ) -> Result<Vec<JournalEntry>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {JOURNAL_COLUMNS} FROM journal WHERE zone_id = $1 ORDER BY seq DESC LIMIT $2 OFFSET $3"
        ))
        .bind(zone_id.to_string())
        .bind(i64::from(limit))
        .bind(i64::from(offset))
        .fetch_all(&self.pool)
        .await
        .map_err(backend_error)?;
        let entries = rows
            .iter()
            .map(journal_from_row)
            .collect::<Result<Vec<_>, _>>()?;
        attach_parts(&self.pool, self.backend, entries).await
    }

    async fn tsig_keys(&self) -> Result<Vec<TsigKey>, StoreError> {
        let rows =
            sqlx::query("SELECT name, algorithm, secret, created_at FROM tsig_keys ORDER BY name")
                .fetch_all(&self.pool)
                .await
                .map_err(backend_error)?;
        rows.iter().map(tsig_key_from_row).collect()
    }

    async fn create_tsig_key(&self, key: &TsigKey) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO tsig_keys (name, algorithm, secret, created_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(key.name.as_str().to_string())
        .bind(key.algorithm.as_str())
        .bind(key.secret_base64())
        .bind(key.created_at)
        .execute(&self.pool)
        .await
        .map_err(|e| match backend_error(e) {
            StoreError::Duplicate(_) => StoreError::Duplicate(format!("TSIG key '{}'", key.name)),
            other => other,
        })?;
        Ok(())
    }

    async fn delete_tsig_key(&self, name: &Name) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM tsig_keys WHERE name = $1")
            .bind(name.as_str().to_string())
            .execute(&self.pool)
            .await
            .map_err(backend_error)?;
        Ok(done.rows_affected() > 0)
    }
}

async fn journal_since(
    pool: &AnyPool,
    backend: Backend,
    after: i64,
    limit: u32,
) -> Result<Vec<JournalEntry>, StoreError> {
    let rows = sqlx::query(&format!(
        "SELECT {JOURNAL_COLUMNS} FROM journal WHERE seq > $1 ORDER BY seq LIMIT $2"
    ))
    .bind(after)
    .bind(i64::from(limit))
    .fetch_all(pool)
    .await
    .map_err(backend_error)?;
    let entries = rows
        .iter()
        .map(journal_from_row)
        .collect::<Result<Vec<_>, _>>()?;
    attach_parts(pool, backend, entries).await
}

/// Reads the records of `entries` from their stored parts, in order.
async fn attach_parts(
    pool: &AnyPool,
    backend: Backend,
    mut entries: Vec<JournalEntry>,
) -> Result<Vec<JournalEntry>, StoreError> {
    let index: std::collections::HashMap<i64, usize> = entries
        .iter()
        .enumerate()
        .map(|(i, e)| (e.seq, i))
        .collect();
    let seqs: Vec<i64> = entries.iter().map(|e| e.seq).collect();
    for chunk in seqs.chunks(ID_CHUNK) {
        let sql = format!(
            "SELECT seq, payload FROM journal_parts WHERE seq IN ({}) ORDER BY seq, part",
            placeholders(backend, 0, chunk.len())
        );
        let mut query = sqlx::query(&sql);
        for seq in chunk {
            query = query.bind(*seq);
        }
        let mut rows = query.fetch(pool);
        while let Some(row) = rows.try_next().await.map_err(backend_error)? {
            let seq: i64 =
                sqlx::Row::try_get(&row, "seq").map_err(|e| StoreError::Corrupt(e.to_string()))?;
            let payload: String = sqlx::Row::try_get(&row, "payload")
                .map_err(|e| StoreError::Corrupt(e.to_string()))?;
            if let Some(&i) = index.get(&seq) {
                rows::extend_with_part(&mut entries[i], &payload)?;
            }
        }
    }
    Ok(entries)
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
