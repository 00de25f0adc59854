//! Records: bulk inserts inside a commit, and every read of a zone's
//! records (whole zone, chunked, paged, by name, by id).

use futures_util::TryStreamExt;
use sqlx::any::AnyArguments;
use sqlx::{Any, Executor, Transaction};
use tern_core::store::{RecordFilter, StoreError};
use tern_core::{Name, Record, is_signer_owned};
use uuid::Uuid;

use crate::rows::{self, record_from_row};
use crate::{Backend, Database, ID_CHUNK, backend_error, placeholders};

/// Rows per multi-row INSERT: 10 columns × 500 stays far below SQLite's
/// 32,766 bound parameters and PostgreSQL's 65,535.
const INSERT_CHUNK: usize = 500;
pub(crate) const RECORD_COLUMNS: &str =
    "id, zone_id, name, rtype, ttl, rdata, description, created_at, updated_at, version";

impl Database {
    pub(crate) async fn insert_records(
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

    pub(crate) async fn records(&self, zone_id: Uuid) -> Result<Vec<Record>, StoreError> {
        if self.backend == Backend::Sqlite {
            return self
                .sqlite_zone_records(zone_id)
                .await
                .map(|records| sort_records(users_only(records)));
        }
        self.fetch_records(
            &format!(
                "SELECT {RECORD_COLUMNS} FROM records WHERE zone_id = $1{USER_TYPES} ORDER BY name, rtype, id"
            ),
            vec![zone_id.to_string()],
        )
        .await
        .map(sort_records)
    }

    pub(crate) async fn records_chunked(
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

    pub(crate) async fn records_page(
        &self,
        zone_id: Uuid,
        filter: &RecordFilter,
        offset: u64,
        limit: u64,
    ) -> Result<(Vec<Record>, u64), StoreError> {
        let mut conditions = format!("zone_id = $1{USER_TYPES}");
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

    pub(crate) async fn records_at(
        &self,
        zone_id: Uuid,
        names: &[Name],
    ) -> Result<Vec<Record>, StoreError> {
        self.all_records_at(zone_id, names).await.map(users_only)
    }

    pub(crate) async fn all_records_at(
        &self,
        zone_id: Uuid,
        names: &[Name],
    ) -> Result<Vec<Record>, StoreError> {
        self.records_where_in(zone_id, "name", names.iter().map(Name::to_string).collect())
            .await
    }

    pub(crate) async fn dnssec_records_at(
        &self,
        zone_id: Uuid,
        names: &[Name],
    ) -> Result<Vec<Record>, StoreError> {
        let mut records = self.all_records_at(zone_id, names).await?;
        records.retain(|r| is_signer_owned(r.rtype));
        Ok(records)
    }

    pub(crate) async fn records_below(
        &self,
        zone_id: Uuid,
        name: &Name,
    ) -> Result<Vec<Record>, StoreError> {
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
                .filter(|r| {
                    &r.name != name && r.name.is_subdomain_of(name) && !is_signer_owned(r.rtype)
                })
                .collect(),
        ))
    }

    pub(crate) async fn records_by_id(
        &self,
        zone_id: Uuid,
        ids: &[Uuid],
    ) -> Result<Vec<Record>, StoreError> {
        self.records_where_in(zone_id, "id", ids.iter().map(Uuid::to_string).collect())
            .await
            .map(users_only)
    }

    pub(crate) async fn record_zone(&self, record_id: Uuid) -> Result<Option<Uuid>, StoreError> {
        let zone: Option<String> = sqlx::query_scalar("SELECT zone_id FROM records WHERE id = $1")
            .bind(record_id.to_string())
            .fetch_optional(&self.pool)
            .await
            .map_err(backend_error)?;
        zone.map(|z| Uuid::parse_str(&z).map_err(|e| StoreError::Corrupt(e.to_string())))
            .transpose()
    }

    pub(crate) async fn record_count(&self, zone_id: Uuid) -> Result<u64, StoreError> {
        let count: i64 = sqlx::query_scalar(&format!(
            "SELECT COUNT(*) FROM records WHERE zone_id = $1{USER_TYPES}"
        ))
        .bind(zone_id.to_string())
        .fetch_one(&self.pool)
        .await
        .map_err(backend_error)?;
        Ok(u64::try_from(count).unwrap_or(0))
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

/// The condition that leaves out the records only the signer writes
/// (`tern_core::signing::is_signer_owned`): every read but the nameserver's
/// load and the signer's own sees the user's data alone.
const USER_TYPES: &str = " AND rtype NOT IN (46, 47, 48, 50, 51, 59, 60)";

fn users_only(mut records: Vec<Record>) -> Vec<Record> {
    records.retain(|r| !is_signer_owned(r.rtype));
    records
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

#[cfg(test)]
mod tests {
    use super::USER_TYPES;

    #[test]
    fn the_user_types_condition_names_every_signer_type() {
        for t in tern_core::signing::SIGNER_OWNED_TYPES {
            assert!(USER_TYPES.contains(&t.0.to_string()), "{t} is not excluded");
        }
        assert_eq!(
            USER_TYPES.matches(',').count() + 1,
            tern_core::signing::SIGNER_OWNED_TYPES.len()
        );
    }
}
