//! Tenancy endpoints: `/api/v1/me`, organisations and their projects, and
//! API tokens (`/api/v1/tokens`). Also the token issuing the CLI and the
//! first start use, so every token is made the same way.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};
use tern_core::auth::{token_from_random, token_hash};
use tern_core::transfer::Cidr;
use tern_core::{ApiToken, Organisation, Project, Scope, Store, new_id, now_millis, tenancy};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::ApiState;
use crate::access::visible_org;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::extract::ApiJson;
use crate::views::iso;

pub fn routes() -> OpenApiRouter<ApiState> {
    OpenApiRouter::new()
        .routes(routes!(me))
        .routes(routes!(list_organisations, create_organisation))
        .routes(routes!(organisation, update_organisation))
        .routes(routes!(list_projects, create_project))
        .routes(routes!(list_tokens, create_token))
        .routes(routes!(token, revoke_token))
}

/// What to issue a token for.
pub struct TokenRequest {
    pub org_id: Uuid,
    pub project_id: Option<Uuid>,
    pub name: String,
    pub scopes: Vec<Scope>,
    pub expires_in_secs: Option<u64>,
    pub allowed_networks: Vec<Cidr>,
}

/// Makes and stores a token; returns it with its secret, which exists only
/// here (the store keeps the hash).
pub async fn issue_token(
    store: &dyn Store,
    request: TokenRequest,
    secret: Option<String>,
) -> ApiResult<(ApiToken, String)> {
    if request.name.trim().is_empty() {
        return Err(ApiError::validation("name", "must not be empty"));
    }
    if request.scopes.is_empty() {
        return Err(ApiError::validation(
            "scopes",
            "at least one scope is required",
        ));
    }
    let secret = match secret {
        Some(secret) => {
            if secret.len() < 20 {
                return Err(ApiError::validation(
                    "token",
                    "a chosen token must be at least 20 characters",
                ));
            }
            secret
        }
        None => {
            let mut random = [0u8; 32];
            getrandom::fill(&mut random).map_err(|e| {
                tracing::error!(error = %e, "no randomness for a token");
                ApiError::internal()
            })?;
            token_from_random(&random)
        }
    };
    let now = now_millis();
    let token = ApiToken {
        id: new_id(),
        org_id: request.org_id,
        project_id: request.project_id,
        name: request.name.trim().to_string(),
        scopes: request.scopes,
        hash: token_hash(&secret),
        expires_at: request
            .expires_in_secs
            .map(|s| now.saturating_add(i64::try_from(s.saturating_mul(1000)).unwrap_or(i64::MAX))),
        allowed_networks: request.allowed_networks,
        last_used_at: None,
        revoked_at: None,
        created_at: now,
    };
    store.create_token(&token).await?;
    Ok((token, secret))
}

/// `30d`, `12h`, `90m`, `3600s`, `2w` or plain seconds.
pub fn parse_duration(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let (number, unit) = text.split_at(
        text.find(|c: char| !c.is_ascii_digit())
            .unwrap_or(text.len()),
    );
    let number: u64 = number
        .parse()
        .map_err(|_| format!("'{text}' is not a duration like 30d, 12h or 3600s"))?;
    let factor = match unit {
        "" | "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        "w" => 604_800,
        _ => return Err(format!("'{text}': the unit must be s, m, h, d or w")),
    };
    number
        .checked_mul(factor)
        .filter(|s| *s > 0)
        .ok_or_else(|| format!("'{text}' is not a usable duration"))
}

pub fn token_view(token: &ApiToken) -> Value {
    json!({
        "id": token.id,
        "name": token.name,
        "organisation_id": token.org_id,
        "project_id": token.project_id,
        "scopes": token.scopes,
        "expires_at": token.expires_at.map(iso),
        "allowed_networks": token.allowed_networks.iter().map(|n| format!("{}/{}", n.network, n.prefix)).collect::<Vec<_>>(),
        "last_used_at": token.last_used_at.map(iso),
        "revoked_at": token.revoked_at.map(iso),
        "created_at": iso(token.created_at),
    })
}

fn organisation_view(org: &Organisation) -> Value {
    json!({
        "id": org.id,
        "slug": org.slug,
        "name": org.name,
        "features": org.features,
        "max_zones": org.max_zones,
        "max_records_per_zone": org.max_records_per_zone,
        "created_at": iso(org.created_at),
    })
}

fn project_view(project: &Project) -> Value {
    json!({
        "id": project.id,
        "organisation_id": project.org_id,
        "slug": project.slug,
        "name": project.name,
        "created_at": iso(project.created_at),
    })
}

#[utoipa::path(
    get,
    path = "/api/v1/me",
    tag = "tenancy",
    summary = "The calling token",
    responses((status = 200, description = "OK", body = serde_json::Value), crate::openapi::StandardErrors)
)]
async fn me(caller: Caller) -> Json<Value> {
    let mut view = token_view(&caller.token);
    if let Some(map) = view.as_object_mut() {
        map.insert("organisation".into(), organisation_view(&caller.org));
    }
    Json(view)
}

#[utoipa::path(
    get,
    path = "/api/v1/organisations",
    tag = "tenancy",
    summary = "Organisations the token sees",
    responses((status = 200, description = "OK", body = serde_json::Value), crate::openapi::StandardErrors)
)]
async fn list_organisations(
    State(state): State<ApiState>,
    caller: Caller,
) -> ApiResult<Json<Value>> {
    let orgs = if caller.is_admin() {
        state.service.store().list_organisations().await?
    } else {
        vec![caller.org.clone()]
    };
    Ok(Json(
        json!({"data": orgs.iter().map(organisation_view).collect::<Vec<_>>()}),
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct NewOrganisation {
    slug: String,
    name: String,
    features: Option<Vec<String>>,
    max_zones: Option<u32>,
    max_records_per_zone: Option<u32>,
}

/// What an admin may change on an organisation.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct OrganisationPatch {
    name: Option<String>,
    features: Option<Vec<String>>,
    /// null removes the quota.
    #[serde(default, with = "crate::extract::double_option")]
    max_zones: Option<Option<u32>>,
    #[serde(default, with = "crate::extract::double_option")]
    max_records_per_zone: Option<Option<u32>>,
}

#[utoipa::path(
    post,
    path = "/api/v1/organisations",
    tag = "tenancy",
    summary = "Create an organisation (admin)",
    request_body = NewOrganisation,
    responses((status = 201, description = "Created", body = serde_json::Value), (status = 409, description = "Slug taken", body = crate::openapi::ErrorBody), crate::openapi::StandardErrors)
)]
async fn create_organisation(
    State(state): State<ApiState>,
    caller: Caller,
    ApiJson(body): ApiJson<NewOrganisation>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    caller.require(Scope::Admin)?;
    let org = tenancy::NewOrganisation {
        slug: body.slug,
        name: body.name,
        features: body.features,
        max_zones: body.max_zones,
        max_records_per_zone: body.max_records_per_zone,
    }
    .build()?;
    state.service.store().create_organisation(&org).await?;
    Ok((StatusCode::CREATED, Json(organisation_view(&org))))
}

#[utoipa::path(
    get,
    path = "/api/v1/organisations/{org_id}",
    tag = "tenancy",
    summary = "Get an organisation",
    params(("org_id" = String, Path)),
    responses((status = 200, description = "OK", body = serde_json::Value), crate::openapi::StandardErrors)
)]
async fn organisation(
    State(state): State<ApiState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    Ok(Json(organisation_view(
        &visible_org(&state, &caller, &id).await?,
    )))
}

#[utoipa::path(
    patch,
    path = "/api/v1/organisations/{org_id}",
    tag = "tenancy",
    summary = "Change an organisation's name, features or quotas (admin)",
    params(("org_id" = String, Path)),
    request_body = OrganisationPatch,
    responses((status = 200, description = "OK", body = serde_json::Value), crate::openapi::StandardErrors)
)]
async fn update_organisation(
    State(state): State<ApiState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<OrganisationPatch>,
) -> ApiResult<Json<Value>> {
    let mut org = visible_org(&state, &caller, &id).await?;
    caller.require(Scope::Admin)?;
    if let Some(name) = body.name {
        org.name = name;
    }
    if let Some(features) = body.features {
        tenancy::check_features("features", &features)?;
        org.features = features;
    }
    if let Some(max) = body.max_zones {
        org.max_zones = max;
    }
    if let Some(max) = body.max_records_per_zone {
        org.max_records_per_zone = max;
    }
    state.service.store().update_organisation(&org).await?;
    Ok(Json(organisation_view(&org)))
}

#[utoipa::path(
    get,
    path = "/api/v1/organisations/{org_id}/projects",
    tag = "tenancy",
    summary = "Projects of an organisation",
    params(("org_id" = String, Path)),
    responses((status = 200, description = "OK", body = serde_json::Value), crate::openapi::StandardErrors)
)]
async fn list_projects(
    State(state): State<ApiState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let org = visible_org(&state, &caller, &id).await?;
    let projects = state.service.store().list_projects(org.id).await?;
    let projects = projects
        .iter()
        .filter(|p| caller.token.project_id.is_none_or(|bound| bound == p.id))
        .map(project_view)
        .collect::<Vec<_>>();
    Ok(Json(json!({"data": projects})))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct NewProject {
    slug: String,
    name: String,
}

#[utoipa::path(
    post,
    path = "/api/v1/organisations/{org_id}/projects",
    tag = "tenancy",
    summary = "Create a project",
    params(("org_id" = String, Path)),
    request_body = NewProject,
    responses((status = 201, description = "Created", body = serde_json::Value), (status = 409, description = "Slug taken", body = crate::openapi::ErrorBody), crate::openapi::StandardErrors)
)]
async fn create_project(
    State(state): State<ApiState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<NewProject>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let org = visible_org(&state, &caller, &id).await?;
    caller.require(Scope::TokensManage)?;
    if caller.token.project_id.is_some() {
        return Err(ApiError::forbidden(
            "a project-bound token cannot create projects",
        ));
    }
    let project = tenancy::new_project(org.id, body.slug, body.name)?;
    state.service.store().create_project(&project).await?;
    Ok((StatusCode::CREATED, Json(project_view(&project))))
}

#[utoipa::path(
    get,
    path = "/api/v1/tokens",
    tag = "tenancy",
    summary = "Tokens of the organisation",
    responses((status = 200, description = "OK", body = serde_json::Value), crate::openapi::StandardErrors)
)]
async fn list_tokens(State(state): State<ApiState>, caller: Caller) -> ApiResult<Json<Value>> {
    caller.require(Scope::TokensManage)?;
    let tokens: Vec<ApiToken> = state
        .service
        .store()
        .list_tokens((!caller.is_admin()).then_some(caller.org.id))
        .await?
        .into_iter()
        .filter(|t| {
            caller
                .token
                .project_id
                .is_none_or(|bound| t.project_id == Some(bound))
        })
        .collect();
    Ok(Json(
        json!({"data": tokens.iter().map(token_view).collect::<Vec<_>>()}),
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct NewToken {
    name: String,
    #[schema(value_type = Vec<String>)]
    scopes: Vec<Scope>,
    project_id: Option<Uuid>,
    /// Another organisation (admin tokens only).
    organisation_id: Option<Uuid>,
    expires_in: Option<String>,
    allowed_networks: Option<Vec<String>>,
}

#[utoipa::path(
    post,
    path = "/api/v1/tokens",
    tag = "tenancy",
    summary = "Create a token (its secret is in the answer, once)",
    request_body = NewToken,
    responses((status = 201, description = "Created", body = serde_json::Value), crate::openapi::StandardErrors)
)]
async fn create_token(
    State(state): State<ApiState>,
    caller: Caller,
    ApiJson(body): ApiJson<NewToken>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    caller.require(Scope::TokensManage)?;
    // No escalation: a token can only hand out what it holds itself.
    if let Some(scope) = body.scopes.iter().find(|s| !caller.token.allows(**s)) {
        return Err(ApiError::forbidden(format!(
            "cannot grant '{scope}', which this token does not hold"
        )));
    }
    let org_id = match body.organisation_id {
        Some(org) if !caller.in_org(org) => {
            return Err(ApiError::not_found(format!("organisation {org}")));
        }
        Some(org) => org,
        None => caller.org.id,
    };
    let project_id = match (body.project_id, caller.token.project_id) {
        (Some(p), Some(bound)) if p != bound => {
            return Err(ApiError::forbidden(
                "this token is bound to another project",
            ));
        }
        (None, Some(bound)) => Some(bound),
        (project, _) => project,
    };
    if let Some(project) = project_id {
        let found = state.service.store().project(project).await?;
        if found.is_none_or(|p| p.org_id != org_id) {
            return Err(ApiError::validation(
                "project_id",
                "no such project in the organisation",
            ));
        }
    }
    let expires_in_secs = body
        .expires_in
        .as_deref()
        .map(parse_duration)
        .transpose()
        .map_err(|e| ApiError::validation("expires_in", e))?;
    let mut allowed_networks = body
        .allowed_networks
        .unwrap_or_default()
        .iter()
        .map(|n| Cidr::parse(n).map_err(|e| ApiError::validation("allowed_networks", e)))
        .collect::<ApiResult<Vec<_>>>()?;
    // A new token is never less restricted than the one making it: the
    // creator's networks and expiry carry over.
    let limits = &caller.token.allowed_networks;
    if !limits.is_empty() {
        if allowed_networks.is_empty() {
            allowed_networks = limits.clone();
        } else if let Some(outside) = allowed_networks.iter().find(|n| {
            !limits
                .iter()
                .any(|l| l.prefix <= n.prefix && l.contains(n.network))
        }) {
            return Err(ApiError::validation(
                "allowed_networks",
                format!(
                    "{}/{} is outside the networks this token may be used from",
                    outside.network, outside.prefix
                ),
            ));
        }
    }
    let expires_in_secs = match (expires_in_secs, caller.token.expires_at) {
        (wanted, Some(until)) => {
            let left = u64::try_from((until - now_millis()) / 1000)
                .unwrap_or(0)
                .max(1);
            Some(wanted.map_or(left, |w| w.min(left)))
        }
        (wanted, None) => wanted,
    };
    let (token, secret) = issue_token(
        state.service.store().as_ref(),
        TokenRequest {
            org_id,
            project_id,
            name: body.name,
            scopes: body.scopes,
            expires_in_secs,
            allowed_networks,
        },
        None,
    )
    .await?;
    let mut view = token_view(&token);
    if let Some(map) = view.as_object_mut() {
        map.insert("token".into(), Value::String(secret));
    }
    Ok((StatusCode::CREATED, Json(view)))
}

async fn visible_token(state: &ApiState, caller: &Caller, id: &str) -> ApiResult<ApiToken> {
    let not_found = || ApiError::not_found(format!("token {id}"));
    let id = Uuid::parse_str(id).map_err(|_| not_found())?;
    let token = state
        .service
        .store()
        .token(id)
        .await?
        .ok_or_else(not_found)?;
    let in_project = caller
        .token
        .project_id
        .is_none_or(|bound| token.project_id == Some(bound));
    if caller.in_org(token.org_id) && in_project {
        Ok(token)
    } else {
        Err(not_found())
    }
}

#[utoipa::path(
    get,
    path = "/api/v1/tokens/{token_id}",
    tag = "tenancy",
    summary = "Get a token",
    params(("token_id" = String, Path)),
    responses((status = 200, description = "OK", body = serde_json::Value), crate::openapi::StandardErrors)
)]
async fn token(
    State(state): State<ApiState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    caller.require(Scope::TokensManage)?;
    Ok(Json(token_view(
        &visible_token(&state, &caller, &id).await?,
    )))
}

#[utoipa::path(
    delete,
    path = "/api/v1/tokens/{token_id}",
    tag = "tenancy",
    summary = "Revoke a token",
    params(("token_id" = String, Path)),
    responses((status = 204, description = "Revoked"), crate::openapi::StandardErrors)
)]
async fn revoke_token(
    State(state): State<ApiState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    // Any token may revoke itself; others need tokens:manage.
    let token = visible_token(&state, &caller, &id).await?;
    if token.id != caller.token.id {
        caller.require(Scope::TokensManage)?;
        // No revoking of tokens more powerful than the caller's own.
        if let Some(scope) = token.scopes.iter().find(|s| !caller.token.allows(**s)) {
            return Err(ApiError::forbidden(format!(
                "cannot revoke a token holding '{scope}', which this token does not hold"
            )));
        }
    }
    state
        .service
        .store()
        .revoke_token(token.id, now_millis())
        .await?;
    state.tokens.forget(token.id);
    Ok(StatusCode::NO_CONTENT)
}
