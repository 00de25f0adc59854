//! The journal: appending an entry (gap-free `seq`, its records in bounded
//! parts, NOTIFY on PostgreSQL) and reading entries back with their parts.

use futures_util::TryStreamExt;
use sqlx::{Any, AnyPool, Transaction};
use tern_core::JournalEntry;
use tern_core::store::StoreError;
use uuid::Uuid;

use crate::rows::{self, journal_from_row};
use crate::{Backend, Database, ID_CHUNK, backend_error, placeholders};

/// Records per stored journal part: a large change is written and read in
/// bounded pieces instead of one huge value.
const JOURNAL_PART: usize = 2000;
/// PostgreSQL advisory lock key that serialises journal appends, so `seq`
/// is gap-free and commits become visible in `seq` order.
const JOURNAL_LOCK: i64 = 0x7465_726e;
const JOURNAL_COLUMNS: &str =
    "seq, zone_id, zone_name, serial_before, serial_after, principal, source, at, payload";

impl Database {
    pub(crate) async fn append_journal(
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
            key_transitions: &entry.key_transitions,
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
        // Each part is encoded while the database writes the one before
        // (a signed zone's first signing journals hundreds of thousands of
        // records): `join!` hands the insert over first, then encodes.
        let encode = |part: rows::JournalPart<'_>| {
            serde_json::to_string(&part)
                .map_err(|e| StoreError::Backend(format!("encoding journal entry: {e}")))
        };
        let mut parts = parts.enumerate();
        let mut current = parts.next().map(|(i, p)| (i, encode(p)));
        while let Some((index, text)) = current.take() {
            let insert =
                sqlx::query("INSERT INTO journal_parts (seq, part, payload) VALUES ($1, $2, $3)")
                    .bind(seq)
                    .bind(index as i64)
                    .bind(text?)
                    .execute(&mut **tx);
            let next = parts.next();
            let (done, next_text) =
                tokio::join!(insert, async { next.map(|(i, p)| (i, encode(p))) });
            done.map_err(backend_error)?;
            current = next_text;
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

    pub(crate) async fn journal_head(&self) -> Result<i64, StoreError> {
        let head: Option<i64> = sqlx::query_scalar("SELECT MAX(seq) FROM journal")
            .fetch_one(&self.pool)
            .await
            .map_err(backend_error)?;
        Ok(head.unwrap_or(0))
    }

    pub(crate) async fn journal_since(
        &self,
        after: i64,
        limit: u32,
    ) -> Result<Vec<JournalEntry>, StoreError> {
        journal_since(&self.pool, self.backend, after, limit).await
    }

    pub(crate) async fn zone_journal(
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

    pub(crate) async fn zone_journal_count(&self, zone_id: Uuid) -> Result<u64, StoreError> {
        let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM journal WHERE zone_id = $1")
            .bind(zone_id.to_string())
            .fetch_one(&self.pool)
            .await
            .map_err(backend_error)?;
        Ok(u64::try_from(count).unwrap_or(0))
    }
}

pub(crate) async fn journal_since(
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
