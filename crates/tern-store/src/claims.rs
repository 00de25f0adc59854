//! Zone names and zone quotas inside the transactions that create, restore,
//! delete or purge a zone: the claim a live zone holds on its name (table
//! `zone_name_claims`, migration 0009) and the count of an organisation's
//! live zones, taken under the lock that serialises that organisation's
//! zone creation. Checking either before the transaction lets parallel
//! requests all pass the check; inside it, the database decides.

use sqlx::{Any, Transaction};
use tern_core::store::StoreError;
use tern_core::{Name, Zone};
use uuid::Uuid;

use crate::{Backend, Database, backend_error};

impl Database {
    /// Locks the organisation's row for the rest of the transaction and
    /// refuses a further live zone beyond its `max_zones`; `except` is a zone
    /// already counted that is the one being brought back. SQLite: a write,
    /// so that as the first statement of a create it takes the database's
    /// write lock before anything is read (another process's transaction
    /// then waits for it, instead of both counting and one failing to
    /// upgrade). PostgreSQL: `FOR NO KEY UPDATE`, which serialises zone
    /// creations of one organisation but not the foreign-key checks of
    /// other writes that refer to it.
    pub(crate) async fn lock_zone_quota(
        &self,
        tx: &mut Transaction<'static, Any>,
        org_id: Uuid,
        except: Option<Uuid>,
    ) -> Result<(), StoreError> {
        let sql = match self.backend {
            Backend::Sqlite => {
                "UPDATE organisations SET max_zones = max_zones WHERE id = $1 RETURNING slug, max_zones"
            }
            Backend::Postgres => {
                "SELECT slug, max_zones FROM organisations WHERE id = $1 FOR NO KEY UPDATE"
            }
        };
        let row: Option<(String, Option<i64>)> = sqlx::query_as(sql)
            .bind(org_id.to_string())
            .fetch_optional(&mut **tx)
            .await
            .map_err(backend_error)?;
        let (slug, max) =
            row.ok_or_else(|| StoreError::NotFound(format!("organisation {org_id}")))?;
        let Some(max) = max else {
            return Ok(());
        };
        let count: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM zones WHERE org_id = $1 AND status <> 'deleted' AND id <> $2",
        )
        .bind(org_id.to_string())
        .bind(except.map(|z| z.to_string()).unwrap_or_default())
        .fetch_one(&mut **tx)
        .await
        .map_err(backend_error)?;
        if count >= max {
            return Err(StoreError::ZoneQuota {
                org: slug,
                max: u32::try_from(max).unwrap_or(u32::MAX),
                count: u64::try_from(count).unwrap_or(0),
            });
        }
        Ok(())
    }

    /// The live `zone` claims its name. When another zone holds it, that is
    /// `NameTaken`, or with `shared` names the zone stays unclaimed. On
    /// PostgreSQL a concurrent transaction's uncommitted claim makes this
    /// wait for its outcome; on SQLite the write lock has serialised us.
    pub(crate) async fn take_name_claim(
        tx: &mut Transaction<'static, Any>,
        zone: &Zone,
        shared: bool,
    ) -> Result<(), StoreError> {
        let done = sqlx::query(
            "INSERT INTO zone_name_claims (name, zone_id) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
        )
        .bind(zone.name.to_string())
        .bind(zone.id.to_string())
        .execute(&mut **tx)
        .await
        .map_err(backend_error)?;
        if done.rows_affected() == 0 && !shared {
            return Err(StoreError::NameTaken(zone.name.to_string()));
        }
        Ok(())
    }

    /// The zone gives up its name's claim, if it holds it; the oldest other
    /// live zone of the name, if any, takes it over. Only the claims table
    /// changes: no other zone's row is written.
    pub(crate) async fn release_name_claim(
        tx: &mut Transaction<'static, Any>,
        zone_id: Uuid,
        name: &Name,
    ) -> Result<(), StoreError> {
        let released = sqlx::query("DELETE FROM zone_name_claims WHERE zone_id = $1")
            .bind(zone_id.to_string())
            .execute(&mut **tx)
            .await
            .map_err(backend_error)?;
        if released.rows_affected() == 0 {
            return Ok(());
        }
        sqlx::query(
            "INSERT INTO zone_name_claims (name, zone_id) \
             SELECT name, id FROM zones WHERE name = $1 AND status <> 'deleted' AND id <> $2 \
             ORDER BY created_at, id LIMIT 1 \
             ON CONFLICT (name) DO NOTHING",
        )
        .bind(name.to_string())
        .bind(zone_id.to_string())
        .execute(&mut **tx)
        .await
        .map_err(backend_error)?;
        Ok(())
    }
}
