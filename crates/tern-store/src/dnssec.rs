//! DNSSEC: the zones' signing keys, and the record reads the signer needs
//! (a zone's DNSSEC records by type, an NSEC3 owner's neighbours).

use sqlx::AnyConnection;
use tern_core::store::StoreError;
use tern_core::text::hex_encode;
use tern_core::{DnssecKey, Name, Record, RecordType};
use uuid::Uuid;

use crate::rows::{DNSSEC_KEY_COLUMNS, dnssec_key_from_row};
use crate::{Backend, Database, backend_error, placeholders};

impl Database {
    pub(crate) async fn dnssec_keys(&self, zone_id: Uuid) -> Result<Vec<DnssecKey>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {DNSSEC_KEY_COLUMNS} FROM dnssec_keys WHERE zone_id = $1 ORDER BY created_at, id"
        ))
        .bind(zone_id.to_string())
        .fetch_all(&self.pool)
        .await
        .map_err(backend_error)?;
        rows.iter().map(dnssec_key_from_row).collect()
    }

    pub(crate) async fn put_dnssec_key(&self, key: &DnssecKey) -> Result<(), StoreError> {
        let mut conn = self.pool.acquire().await.map_err(backend_error)?;
        Self::write_dnssec_key(&mut conn, key).await
    }

    /// Upserts `key` on `conn` (a pool connection, or a commit's
    /// transaction).
    pub(crate) async fn write_dnssec_key(
        conn: &mut AnyConnection,
        key: &DnssecKey,
    ) -> Result<(), StoreError> {
        sqlx::query(&format!(
            "INSERT INTO dnssec_keys ({DNSSEC_KEY_COLUMNS}) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) \
             ON CONFLICT (id) DO UPDATE SET state = excluded.state, \
             published_at = excluded.published_at, active_at = excluded.active_at, \
             retire_at = excluded.retire_at, removed_at = excluded.removed_at"
        ))
        .bind(key.id.to_string())
        .bind(key.zone_id.to_string())
        .bind(key.role.as_str())
        .bind(i64::from(key.algorithm))
        .bind(i64::from(key.key_tag))
        .bind(hex_encode(&key.public_key))
        .bind(hex_encode(&key.sealed_private_key))
        .bind(key.state.as_str())
        .bind(key.created_at)
        .bind(key.published_at)
        .bind(key.active_at)
        .bind(key.retire_at)
        .bind(key.removed_at)
        .execute(&mut *conn)
        .await
        .map_err(backend_error)?;
        Ok(())
    }

    pub(crate) async fn max_record_ttl(&self, zone_id: Uuid) -> Result<Option<u32>, StoreError> {
        let ttl: Option<i64> =
            sqlx::query_scalar("SELECT MAX(ttl) FROM records WHERE zone_id = $1")
                .bind(zone_id.to_string())
                .fetch_one(&self.pool)
                .await
                .map_err(backend_error)?;
        Ok(ttl.and_then(|t| u32::try_from(t).ok()))
    }

    pub(crate) async fn records_of_types(
        &self,
        zone_id: Uuid,
        types: &[RecordType],
    ) -> Result<Vec<Record>, StoreError> {
        if types.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT {} FROM records WHERE zone_id = {} AND rtype IN ({}) ORDER BY name, rtype, id",
            crate::records::RECORD_COLUMNS,
            placeholders(self.backend, 0, 1),
            placeholders(self.backend, 1, types.len())
        );
        let mut query = sqlx::query(&sql).bind(zone_id.to_string());
        for t in types {
            query = query.bind(i64::from(t.0));
        }
        let rows = query.fetch_all(&self.pool).await.map_err(backend_error)?;
        rows.iter().map(crate::rows::record_from_row).collect()
    }

    pub(crate) async fn record_of_type_beside(
        &self,
        zone_id: Uuid,
        rtype: RecordType,
        name: Option<&Name>,
        after: bool,
    ) -> Result<Option<Record>, StoreError> {
        // Byte order on both engines; PostgreSQL's default collation could
        // order text by locale rules instead.
        let order_by = match self.backend {
            Backend::Sqlite => "name",
            Backend::Postgres => "name COLLATE \"C\"",
        };
        let (compare, direction) = if after { (">", "ASC") } else { ("<", "DESC") };
        let bound = match name {
            Some(_) => format!(" AND {order_by} {compare} $3"),
            None => String::new(),
        };
        let sql = format!(
            "SELECT {} FROM records WHERE zone_id = $1 AND rtype = $2{bound} \
             ORDER BY {order_by} {direction}, id {direction} LIMIT 1",
            crate::records::RECORD_COLUMNS
        );
        let mut query = sqlx::query(&sql)
            .bind(zone_id.to_string())
            .bind(i64::from(rtype.0));
        if let Some(name) = name {
            query = query.bind(name.to_string());
        }
        let row = query
            .fetch_optional(&self.pool)
            .await
            .map_err(backend_error)?;
        row.as_ref().map(crate::rows::record_from_row).transpose()
    }
}
