//! `/api/v1/tsig-keys`: the server's TSIG keys for zone transfers (the
//! nameserver re-reads them within seconds). Keys are server-wide, so only
//! admin tokens manage them; zones name the ones they accept in their
//! `transfer_keys` setting.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};
use tern_core::{Name, Scope, TsigAlgorithm, TsigKey, now_millis};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::ApiState;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::extract::ApiJson;
use crate::views::iso;

pub fn routes() -> OpenApiRouter<ApiState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(detail, delete))
}

fn view(key: &TsigKey) -> Value {
    json!({
        "name": key.name.to_string(),
        "algorithm": key.algorithm.as_str(),
        "created_at": iso(key.created_at),
    })
}

#[utoipa::path(
    get,
    path = "/api/v1/tsig-keys",
    tag = "tsig",
    summary = "TSIG keys (admin)",
    responses((status = 200, description = "OK", body = serde_json::Value), crate::openapi::StandardErrors)
)]
async fn list(State(state): State<ApiState>, caller: Caller) -> ApiResult<Json<Value>> {
    caller.require(Scope::Admin)?;
    let keys = state.service.store().tsig_keys().await?;
    Ok(Json(
        json!({"data": keys.iter().map(view).collect::<Vec<_>>()}),
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct NewKey {
    name: String,
    algorithm: Option<String>,
    /// Base64; generated when absent.
    secret: Option<String>,
}

#[utoipa::path(
    post,
    path = "/api/v1/tsig-keys",
    tag = "tsig",
    summary = "Create a TSIG key (admin)",
    request_body = NewKey,
    responses((status = 201, description = "Created", body = serde_json::Value), (status = 409, description = "Name taken", body = crate::openapi::ErrorBody), crate::openapi::StandardErrors)
)]
async fn create(
    State(state): State<ApiState>,
    caller: Caller,
    ApiJson(body): ApiJson<NewKey>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    caller.require(Scope::Admin)?;
    let algorithm = body.algorithm.as_deref().unwrap_or("hmac-sha256");
    let key = match body.secret {
        Some(secret) => TsigKey::new(&body.name, algorithm, &secret, now_millis()),
        None => {
            let length = algorithm
                .parse::<TsigAlgorithm>()
                .map_err(|e| ApiError::validation("algorithm", e))?
                .output_len();
            let mut secret = vec![0u8; length];
            getrandom::fill(&mut secret).map_err(|e| {
                tracing::error!(error = %e, "no randomness for a TSIG secret");
                ApiError::internal()
            })?;
            TsigKey::with_secret(&body.name, algorithm, secret, now_millis())
        }
    }
    .map_err(|e| ApiError::validation(e.field, e.reason))?;
    state.service.store().create_tsig_key(&key).await?;
    let mut view = view(&key);
    if let Some(map) = view.as_object_mut() {
        map.insert("secret".into(), Value::String(key.secret_base64()));
        map.insert("config".into(), Value::String(key.bind_clause()));
    }
    Ok((StatusCode::CREATED, Json(view)))
}

async fn find(state: &ApiState, name: &str) -> ApiResult<TsigKey> {
    let not_found = || ApiError::not_found(format!("TSIG key {name}"));
    let wanted = Name::parse_owner(name, &Name::root()).map_err(|_| not_found())?;
    state
        .service
        .store()
        .tsig_keys()
        .await?
        .into_iter()
        .find(|k| k.name == wanted)
        .ok_or_else(not_found)
}

#[utoipa::path(
    get,
    path = "/api/v1/tsig-keys/{name}",
    tag = "tsig",
    summary = "Get a TSIG key (admin)",
    params(("name" = String, Path)),
    responses((status = 200, description = "OK", body = serde_json::Value), crate::openapi::StandardErrors)
)]
async fn detail(
    State(state): State<ApiState>,
    caller: Caller,
    Path(name): Path<String>,
) -> ApiResult<Json<Value>> {
    caller.require(Scope::Admin)?;
    Ok(Json(view(&find(&state, &name).await?)))
}

#[utoipa::path(
    delete,
    path = "/api/v1/tsig-keys/{name}",
    tag = "tsig",
    summary = "Delete a TSIG key (admin)",
    params(("name" = String, Path)),
    responses((status = 204, description = "Deleted"), crate::openapi::StandardErrors)
)]
async fn delete(
    State(state): State<ApiState>,
    caller: Caller,
    Path(name): Path<String>,
) -> ApiResult<StatusCode> {
    caller.require(Scope::Admin)?;
    let key = find(&state, &name).await?;
    state.service.store().delete_tsig_key(&key.name).await?;
    Ok(StatusCode::NO_CONTENT)
}
