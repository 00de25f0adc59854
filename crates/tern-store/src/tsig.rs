//! TSIG keys.

use tern_core::store::StoreError;
use tern_core::{Name, TsigKey};

use crate::rows::tsig_key_from_row;
use crate::{Database, backend_error};

impl Database {
    pub(crate) async fn tsig_keys(&self) -> Result<Vec<TsigKey>, StoreError> {
        let rows =
            sqlx::query("SELECT name, algorithm, secret, created_at FROM tsig_keys ORDER BY name")
                .fetch_all(&self.pool)
                .await
                .map_err(backend_error)?;
        rows.iter().map(tsig_key_from_row).collect()
    }

    pub(crate) async fn create_tsig_key(&self, key: &TsigKey) -> Result<(), StoreError> {
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

    pub(crate) async fn delete_tsig_key(&self, name: &Name) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM tsig_keys WHERE name = $1")
            .bind(name.as_str().to_string())
            .execute(&self.pool)
            .await
            .map_err(backend_error)?;
        Ok(done.rows_affected() > 0)
    }
}
