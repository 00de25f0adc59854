//! Organisations' own zone templates (built-ins live in tern-core).

use tern_core::store::StoreError;
use tern_core::template::Template;
use uuid::Uuid;

use crate::rows::{TEMPLATE_COLUMNS, template_from_row};
use crate::{Database, backend_error};

impl Database {
    pub(crate) async fn put_template(&self, template: &Template) -> Result<(), StoreError> {
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

    pub(crate) async fn template(&self, id: &str) -> Result<Option<Template>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {TEMPLATE_COLUMNS} FROM templates WHERE id = $1"
        ))
        .bind(id.to_string())
        .fetch_optional(&self.pool)
        .await
        .map_err(backend_error)?;
        row.as_ref().map(template_from_row).transpose()
    }

    pub(crate) async fn list_templates(&self, org_id: Uuid) -> Result<Vec<Template>, StoreError> {
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

    pub(crate) async fn delete_template(&self, id: &str) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM templates WHERE id = $1")
            .bind(id.to_string())
            .execute(&self.pool)
            .await
            .map_err(backend_error)?;
        Ok(done.rows_affected() > 0)
    }
}
