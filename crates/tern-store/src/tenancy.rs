//! Tenancy: organisations, projects, API tokens and access grants.

use tern_core::store::StoreError;
use tern_core::{AccessGrant, ApiToken, Organisation, Project, Timestamp};
use uuid::Uuid;

use crate::rows::{
    ORG_COLUMNS, TOKEN_COLUMNS, grant_from_row, org_from_row, project_from_row, token_from_row,
};
use crate::{Database, backend_error};

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

    pub(crate) async fn create_organisation(&self, org: &Organisation) -> Result<(), StoreError> {
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

    pub(crate) async fn organisation(&self, id: Uuid) -> Result<Option<Organisation>, StoreError> {
        self.organisation_where("id", id.to_string()).await
    }

    pub(crate) async fn organisation_by_slug(
        &self,
        slug: &str,
    ) -> Result<Option<Organisation>, StoreError> {
        self.organisation_where("slug", slug.to_string()).await
    }

    pub(crate) async fn update_organisation(&self, org: &Organisation) -> Result<(), StoreError> {
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

    pub(crate) async fn list_organisations(&self) -> Result<Vec<Organisation>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {ORG_COLUMNS} FROM organisations ORDER BY slug"
        ))
        .fetch_all(&self.pool)
        .await
        .map_err(backend_error)?;
        rows.iter().map(org_from_row).collect()
    }

    pub(crate) async fn create_project(&self, project: &Project) -> Result<(), StoreError> {
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

    pub(crate) async fn project_by_slug(
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

    pub(crate) async fn project(&self, id: Uuid) -> Result<Option<Project>, StoreError> {
        let row =
            sqlx::query("SELECT id, org_id, slug, name, created_at FROM projects WHERE id = $1")
                .bind(id.to_string())
                .fetch_optional(&self.pool)
                .await
                .map_err(backend_error)?;
        row.as_ref().map(project_from_row).transpose()
    }

    pub(crate) async fn list_projects(&self, org_id: Uuid) -> Result<Vec<Project>, StoreError> {
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

    pub(crate) async fn create_token(&self, token: &ApiToken) -> Result<(), StoreError> {
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

    pub(crate) async fn token(&self, id: Uuid) -> Result<Option<ApiToken>, StoreError> {
        self.token_where("id", id.to_string()).await
    }

    pub(crate) async fn token_by_hash(&self, hash: &str) -> Result<Option<ApiToken>, StoreError> {
        self.token_where("hash", hash.to_string()).await
    }

    pub(crate) async fn list_tokens(
        &self,
        org_id: Option<Uuid>,
    ) -> Result<Vec<ApiToken>, StoreError> {
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

    pub(crate) async fn revoke_token(&self, id: Uuid, at: Timestamp) -> Result<bool, StoreError> {
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

    pub(crate) async fn touch_token(&self, id: Uuid, at: Timestamp) -> Result<(), StoreError> {
        sqlx::query("UPDATE api_tokens SET last_used_at = $1 WHERE id = $2")
            .bind(at)
            .bind(id.to_string())
            .execute(&self.pool)
            .await
            .map_err(backend_error)?;
        Ok(())
    }

    pub(crate) async fn create_grant(&self, grant: &AccessGrant) -> Result<(), StoreError> {
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

    pub(crate) async fn zone_grants(&self, zone_id: Uuid) -> Result<Vec<AccessGrant>, StoreError> {
        self.grants_where("zone_id", zone_id).await
    }

    pub(crate) async fn org_grants(&self, org_id: Uuid) -> Result<Vec<AccessGrant>, StoreError> {
        self.grants_where("org_id", org_id).await
    }

    pub(crate) async fn delete_grant(&self, id: Uuid) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM access_grants WHERE id = $1")
            .bind(id.to_string())
            .execute(&self.pool)
            .await
            .map_err(backend_error)?;
        Ok(done.rows_affected() > 0)
    }
}
