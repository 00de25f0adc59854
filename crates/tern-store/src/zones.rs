//! Zone rows and the transactions that write a zone: create, commit (the
//! serial compare-and-set) and purge.

use std::collections::HashSet;

use sqlx::{Any, Transaction};
use tern_core::store::{Commit, NameClaim, StoreError, ZoneFilter};
use tern_core::{JournalEntry, Name, Record, Zone, ZoneStatus};
use uuid::Uuid;

use crate::rows::zone_from_row;
use crate::{Backend, Database, ID_CHUNK, backend_error, placeholders};

const ZONE_COLUMNS: &str = "id, org_id, project_id, name, kind, status, prior_status, default_ttl, description, \
    settings, dnssec_enabled, serial, soa, created_at, updated_at, deleted_at";

impl Database {
    /// Locks a zone for the rest of the transaction and returns its serial
    /// and name (no row: no such zone). SQLite: a write as the first statement takes
    /// the database's write lock before anything is read, so the transaction
    /// never has to upgrade a read lock (which fails with SQLITE_BUSY instead
    /// of waiting); PostgreSQL: the row lock.
    fn zone_lock_sql(&self) -> &'static str {
        match self.backend {
            Backend::Sqlite => {
                "UPDATE zones SET serial = serial WHERE id = $1 RETURNING serial, name"
            }
            Backend::Postgres => "SELECT serial, name FROM zones WHERE id = $1 FOR UPDATE",
        }
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

    pub(crate) async fn zone(&self, id: Uuid) -> Result<Option<Zone>, StoreError> {
        let row = sqlx::query(&format!("SELECT {ZONE_COLUMNS} FROM zones WHERE id = $1"))
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await
            .map_err(backend_error)?;
        row.as_ref().map(zone_from_row).transpose()
    }

    pub(crate) async fn list_zones(&self, filter: &ZoneFilter) -> Result<Vec<Zone>, StoreError> {
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

    pub(crate) async fn active_zones_named(&self, names: &[Name]) -> Result<Vec<Zone>, StoreError> {
        let mut zones = Vec::new();
        for chunk in names.chunks(ID_CHUNK) {
            let sql = format!(
                "SELECT {ZONE_COLUMNS} FROM zones WHERE status = 'active' AND name IN ({})",
                placeholders(self.backend, 0, chunk.len())
            );
            let mut query = sqlx::query(&sql);
            for name in chunk {
                query = query.bind(name.to_string());
            }
            let rows = query.fetch_all(&self.pool).await.map_err(backend_error)?;
            for row in &rows {
                zones.push(zone_from_row(row)?);
            }
        }
        zones.sort_by(|a, b| (a.name.as_str(), a.id).cmp(&(b.name.as_str(), b.id)));
        Ok(zones)
    }

    pub(crate) async fn create_zone(
        &self,
        zone: &Zone,
        journal: &JournalEntry,
        shared_names: bool,
    ) -> Result<i64, StoreError> {
        check_one_zone(zone.id, Some(zone), journal)?;
        let (_writer, mut tx) = self.begin().await?;
        // The organisation's lock comes first: it serialises the
        // organisation's zone creations (the quota count) and, on SQLite,
        // takes the write lock before anything is read.
        self.lock_zone_quota(&mut tx, zone.org_id, None).await?;
        Self::write_zone_row(&mut tx, zone, None).await?;
        if zone.status != ZoneStatus::Deleted {
            Self::take_name_claim(&mut tx, zone, shared_names).await?;
        }
        let records: Vec<&Record> = journal.added.iter().collect();
        self.insert_records(&mut tx, &records).await?;
        let seq = self.append_journal(&mut tx, journal).await?;
        tx.commit().await.map_err(backend_error)?;
        Ok(seq)
    }

    pub(crate) async fn commit(&self, commit: &Commit) -> Result<i64, StoreError> {
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
        match commit.claim {
            NameClaim::Keep => {}
            NameClaim::Take { shared } => {
                self.lock_zone_quota(&mut tx, commit.zone.org_id, Some(commit.zone_id))
                    .await?;
                Self::take_name_claim(&mut tx, &commit.zone, shared).await?;
            }
            NameClaim::Release => {
                Self::release_name_claim(&mut tx, commit.zone_id, &commit.zone.name).await?;
            }
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
        for key in &commit.keys {
            Self::write_dnssec_key(&mut tx, key).await?;
        }
        let seq = self.append_journal(&mut tx, &commit.journal).await?;
        tx.commit().await.map_err(backend_error)?;
        Ok(seq)
    }

    pub(crate) async fn purge_zone(
        &self,
        zone_id: Uuid,
        journal: &JournalEntry,
    ) -> Result<i64, StoreError> {
        check_one_zone(zone_id, None, journal)?;
        let (_writer, mut tx) = self.begin().await?;
        let id = zone_id.to_string();
        let found: Option<(i64, String)> = sqlx::query_as(self.zone_lock_sql())
            .bind(id.clone())
            .fetch_optional(&mut *tx)
            .await
            .map_err(backend_error)?;
        let Some((_, name)) = found else {
            return Err(StoreError::NotFound(format!("zone {zone_id}")));
        };
        let name = Name::parse_absolute(&name).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        Self::release_name_claim(&mut tx, zone_id, &name).await?;
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
            "DELETE FROM dnssec_keys WHERE zone_id = $1",
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
