//! `/api/v1/domains/{id}/access-grants`: the owning organisation shares a
//! zone with another one as `viewer` (read) or `editor` (also change its
//! records); list and revoke. The grantee sees the zone with
//! `include_shared=true` and by id.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};
use tern_core::{AccessGrant, GrantRole, Organisation, Scope, new_id, now_millis};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::ApiState;
use crate::access::{must_own, visible_zone};
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::extract::ApiJson;
use crate::views::iso;

pub fn routes() -> OpenApiRouter<ApiState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(revoke))
}

fn view(grant: &AccessGrant, org: Option<&Organisation>) -> Value {
    json!({
        "id": grant.id,
        "domain_id": grant.zone_id,
        "organisation_id": grant.org_id,
        "organisation": org.map(|o| o.slug.clone()),
        "role": grant.role.as_str(),
        "created_at": iso(grant.created_at),
    })
}

#[utoipa::path(
    get,
    path = "/api/v1/domains/{domain_id}/access-grants",
    tag = "access grants",
    summary = "Grants on a zone",
    params(("domain_id" = String, Path, description = "zone id")),
    responses((status = 200, description = "OK", body = serde_json::Value), crate::openapi::StandardErrors)
)]
async fn list(
    State(state): State<ApiState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let zone = visible_zone(&state, &caller, &id).await?;
    caller.dns(Scope::DnsRead)?;
    must_own(&caller, &zone)?;
    let store = state.service.store();
    let mut data = Vec::new();
    for grant in store.zone_grants(zone.id).await? {
        let org = store.organisation(grant.org_id).await?;
        data.push(view(&grant, org.as_ref()));
    }
    Ok(Json(json!({"data": data})))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct NewGrant {
    /// The organisation's id, or its slug in `organisation`.
    organisation_id: Option<Uuid>,
    organisation: Option<String>,
    role: String,
}

#[utoipa::path(
    post,
    path = "/api/v1/domains/{domain_id}/access-grants",
    tag = "access grants",
    summary = "Share a zone with an organisation",
    params(("domain_id" = String, Path, description = "zone id")),
    request_body = NewGrant,
    responses((status = 201, description = "Created", body = serde_json::Value), (status = 409, description = "Already granted", body = crate::openapi::ErrorBody), crate::openapi::StandardErrors)
)]
async fn create(
    State(state): State<ApiState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<NewGrant>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let zone = visible_zone(&state, &caller, &id).await?;
    caller.dns(Scope::DnsUpdate)?;
    must_own(&caller, &zone)?;
    let role = GrantRole::parse(&body.role)
        .ok_or_else(|| ApiError::validation("role", "must be viewer or editor"))?;
    let store = state.service.store();
    let org = match (body.organisation_id, body.organisation.as_deref()) {
        (Some(id), _) => store.organisation(id).await?,
        (None, Some(slug)) => store.organisation_by_slug(slug).await?,
        (None, None) => {
            return Err(ApiError::validation(
                "organisation_id",
                "name the organisation by organisation_id or organisation (slug)",
            ));
        }
    }
    .ok_or_else(|| ApiError::validation("organisation_id", "no such organisation"))?;
    if org.id == zone.org_id {
        return Err(ApiError::validation(
            "organisation_id",
            "the zone already belongs to that organisation",
        ));
    }
    let grant = AccessGrant {
        id: new_id(),
        zone_id: zone.id,
        org_id: org.id,
        role,
        created_at: now_millis(),
    };
    store.create_grant(&grant).await?;
    Ok((StatusCode::CREATED, Json(view(&grant, Some(&org)))))
}

#[utoipa::path(
    delete,
    path = "/api/v1/domains/{domain_id}/access-grants/{grant_id}",
    tag = "access grants",
    summary = "Revoke a grant",
    params(("domain_id" = String, Path, description = "zone id"), ("grant_id" = String, Path)),
    responses((status = 204, description = "Revoked"), crate::openapi::StandardErrors)
)]
async fn revoke(
    State(state): State<ApiState>,
    caller: Caller,
    Path((id, grant_id)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    let zone = visible_zone(&state, &caller, &id).await?;
    caller.dns(Scope::DnsUpdate)?;
    must_own(&caller, &zone)?;
    let not_found = || ApiError::not_found(format!("access grant {grant_id}"));
    let grant_id = Uuid::parse_str(&grant_id).map_err(|_| not_found())?;
    let store = state.service.store();
    if !store
        .zone_grants(zone.id)
        .await?
        .iter()
        .any(|g| g.id == grant_id)
    {
        return Err(not_found());
    }
    store.delete_grant(grant_id).await?;
    Ok(StatusCode::NO_CONTENT)
}
