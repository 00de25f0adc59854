//! Idempotency keys: claiming a key, completing it with the response, and
//! releasing a claim whose request failed.

use tern_core::Timestamp;
use tern_core::store::{IdempotencyClaim, StoreError};

use crate::{Database, backend_error};

impl Database {
    pub(crate) async fn claim_idempotency_key(
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

    pub(crate) async fn complete_idempotency_key(
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

    pub(crate) async fn release_idempotency_key(&self, key: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM idempotency_keys WHERE key = $1 AND status = 0")
            .bind(key.to_string())
            .execute(&self.pool)
            .await
            .map_err(backend_error)?;
        Ok(())
    }
}
