//! A zone's DNSSEC as every face changes it: the request that enables
//! signing or changes its settings, disabling (safely, or at once), and the
//! key manager's requests (a rollover, the parent's DS confirmed). The
//! native handlers (`/api/v1/domains/{id}/dnssec…`) live here too; the
//! Thalassa dialect calls the same `view`, `enable` and `disable`, so the
//! rules are written once.

mod view;

pub use view::{DnssecView, view};

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use serde::Deserialize;
use serde_json::Value;
use tern_core::rollover::KeyRequest;
use tern_core::{Actor, Denial, DnssecSettings, Scope, Zone, ZoneUpdate};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::ApiState;
use crate::access::{actor, must_own, visible_zone};
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::extract::parse_json;

pub fn routes() -> OpenApiRouter<ApiState> {
    OpenApiRouter::new()
        .routes(routes!(status, put, delete))
        .routes(routes!(rollover))
        .routes(routes!(ds_seen))
}

/// What a PUT may carry; every field is optional and keeps the zone's
/// current setting when left out.
#[derive(Deserialize, Default, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DnssecRequest {
    /// `false` disables signing (as DELETE does).
    pub enabled: Option<bool>,
    /// 13 / `ECDSAP256SHA256` or 15 / `ED25519`.
    #[schema(value_type = Option<Object>)]
    pub algorithm: Option<Value>,
    /// `nsec3` (RFC 9276: no extra iterations, no salt) or `nsec`.
    pub denial: Option<String>,
    /// A KSK + ZSK pair instead of one combined signing key.
    #[serde(alias = "keySplit")]
    pub key_split: Option<bool>,
    /// Seconds from a ZSK's activation to its automatic rollover; 0 never
    /// [default: 90 days].
    #[serde(alias = "zskLifetimeSecs")]
    pub zsk_lifetime_secs: Option<u32>,
    /// The same for a KSK or CSK [default: 0, never].
    #[serde(alias = "kskLifetimeSecs")]
    pub ksk_lifetime_secs: Option<u32>,
    /// Time for a change to reach every secondary and cache, on top of
    /// TTLs [default: 3600].
    #[serde(alias = "propagationDelaySecs")]
    pub propagation_delay_secs: Option<u32>,
    /// The TTL of the zone's DS at the parent [default: 86400].
    #[serde(alias = "parentDsTtlSecs")]
    pub parent_ds_ttl_secs: Option<u32>,
}

impl DnssecRequest {
    pub fn parse(body: &[u8]) -> ApiResult<DnssecRequest> {
        if body.iter().all(u8::is_ascii_whitespace) {
            return Ok(DnssecRequest::default());
        }
        parse_json(body)
    }
}

fn parse_algorithm(value: &Value) -> ApiResult<u8> {
    let bad = || {
        ApiError::validation(
            "algorithm",
            format!("algorithm {value} is not offered: use 13 (ECDSAP256SHA256) or 15 (ED25519)"),
        )
    };
    match value {
        Value::Number(n) => n
            .as_u64()
            .filter(|n| matches!(n, 13 | 15))
            .and_then(|n| u8::try_from(n).ok())
            .ok_or_else(bad),
        Value::String(s) => match s.trim().to_ascii_uppercase().replace('-', "").as_str() {
            "13" | "ECDSAP256SHA256" => Ok(13),
            "15" | "ED25519" => Ok(15),
            _ => Err(bad()),
        },
        _ => Err(bad()),
    }
}

/// The settings `request` asks for, on top of the zone's current ones.
fn wanted_settings(current: &DnssecSettings, request: &DnssecRequest) -> ApiResult<DnssecSettings> {
    let mut wanted = current.clone();
    if let Some(algorithm) = &request.algorithm {
        wanted.algorithm = parse_algorithm(algorithm)?;
    }
    if let Some(denial) = &request.denial {
        wanted.denial = match denial.trim().to_ascii_lowercase().as_str() {
            // A switch to NSEC3 takes the RFC 9276 parameters.
            "nsec3" => match &current.denial {
                d @ Denial::Nsec3 { .. } => d.clone(),
                Denial::Nsec => Denial::default(),
            },
            "nsec" => Denial::Nsec,
            _ => {
                return Err(ApiError::validation(
                    "denial",
                    format!("denial '{denial}' is not offered: use nsec3 or nsec"),
                ));
            }
        };
    }
    if let Some(split) = request.key_split {
        wanted.key_split = split;
    }
    for (value, field) in [
        (request.zsk_lifetime_secs, &mut wanted.zsk_lifetime_secs),
        (request.ksk_lifetime_secs, &mut wanted.ksk_lifetime_secs),
        (
            request.propagation_delay_secs,
            &mut wanted.propagation_delay_secs,
        ),
        (request.parent_ds_ttl_secs, &mut wanted.parent_ds_ttl_secs),
    ] {
        if let Some(value) = value {
            *field = value;
        }
    }
    wanted.validate()?;
    Ok(wanted)
}

/// Turns signing on with the settings `request` asks for, or changes the
/// settings of a signed zone; `enabled: false` turns it off. Returns the
/// zone as it is afterwards.
pub async fn enable(
    state: &ApiState,
    zone: &Zone,
    request: &DnssecRequest,
    actor: &Actor,
) -> ApiResult<Zone> {
    if request.enabled == Some(false) {
        return disable(state, zone, false, actor).await;
    }
    let current = DnssecSettings::of(zone)?;
    let wanted = wanted_settings(&current, request)?;
    // What may change is ZoneService's rule (`check_signing_change`);
    // asking for what is in place changes nothing.
    if zone.dnssec_enabled && wanted == current {
        return Ok(zone.clone());
    }
    let mut settings = zone.settings.clone();
    let encoded = serde_json::to_value(&wanted).map_err(|e| {
        tracing::error!(error = %e, "encoding DNSSEC settings");
        ApiError::internal()
    })?;
    match settings.as_object_mut() {
        Some(map) => {
            map.insert(DnssecSettings::SETTINGS_KEY.to_string(), encoded);
        }
        None => {
            settings = serde_json::json!({ DnssecSettings::SETTINGS_KEY: encoded });
        }
    }
    let outcome = state
        .service
        .apply_zone_update(
            zone.id,
            ZoneUpdate {
                settings: Some(settings),
                dnssec_enabled: Some(true),
                ..ZoneUpdate::default()
            },
            actor,
        )
        .await?;
    Ok(outcome.zone)
}

/// Turns signing off: safely (CDS delete, and the zone is unsigned once the
/// parent's DS is gone), or `now` (every DNSSEC record goes in this commit:
/// only for a zone whose parent never held its DS). The settings stay for
/// next time.
pub async fn disable(state: &ApiState, zone: &Zone, now: bool, actor: &Actor) -> ApiResult<Zone> {
    if !zone.dnssec_enabled {
        return Ok(zone.clone());
    }
    let outcome = state
        .service
        .apply_zone_update(
            zone.id,
            ZoneUpdate {
                dnssec_enabled: Some(false),
                dnssec_unsign_now: now,
                ..ZoneUpdate::default()
            },
            actor,
        )
        .await?;
    Ok(outcome.zone)
}

/// The zone `id` for a change of its signing: visible (404 otherwise, also
/// for another organisation's), `dnssec:manage`, and owned — like the
/// zone's other settings, an editor grant does not reach it.
async fn zone_to_manage(state: &ApiState, caller: &Caller, id: &str) -> ApiResult<Zone> {
    let zone = visible_zone(state, caller, id).await?;
    caller.require_feature("dns")?;
    caller.require(Scope::DnssecManage)?;
    must_own(caller, &zone)?;
    Ok(zone)
}

#[utoipa::path(
    get,
    path = "/api/v1/domains/{domain_id}/dnssec",
    tag = "dnssec",
    summary = "DNSSEC status, keys and DS records",
    params(("domain_id" = String, Path, description = "zone id")),
    responses((status = 200, description = "OK", body = DnssecView), crate::openapi::StandardErrors)
)]
async fn status(
    State(state): State<ApiState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<DnssecView>> {
    let zone = visible_zone(&state, &caller, &id).await?;
    caller.dns(Scope::DnsRead)?;
    Ok(Json(view(&state, &zone).await?))
}

#[utoipa::path(
    put,
    path = "/api/v1/domains/{domain_id}/dnssec",
    tag = "dnssec",
    summary = "Enable signing or change its settings",
    params(("domain_id" = String, Path, description = "zone id")),
    request_body = DnssecRequest,
    responses(
        (status = 200, description = "OK", body = DnssecView),
        (status = 409, description = "The change needs a key rollover", body = crate::openapi::ErrorBody),
        (status = 503, description = "No DNSSEC signer (key-encryption key) on this server", body = crate::openapi::ErrorBody),
        crate::openapi::StandardErrors
    )
)]
async fn put(
    State(state): State<ApiState>,
    caller: Caller,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult<Json<DnssecView>> {
    let zone = zone_to_manage(&state, &caller, &id).await?;
    let request = DnssecRequest::parse(&body)?;
    let zone = enable(&state, &zone, &request, &actor(&caller)).await?;
    Ok(Json(view(&state, &zone).await?))
}

#[derive(Deserialize, Default, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DisableParams {
    /// Unsign at once instead of waiting for the parent's DS to go: only
    /// for a zone whose parent never held its DS (otherwise it goes bogus).
    #[serde(default)]
    pub now: bool,
}

#[utoipa::path(
    delete,
    path = "/api/v1/domains/{domain_id}/dnssec",
    tag = "dnssec",
    summary = "Disable signing (status `unsigning` until the parent's DS is gone)",
    params(("domain_id" = String, Path, description = "zone id"), DisableParams),
    responses((status = 200, description = "OK", body = DnssecView), crate::openapi::StandardErrors)
)]
async fn delete(
    State(state): State<ApiState>,
    caller: Caller,
    Path(id): Path<String>,
    Query(params): Query<DisableParams>,
) -> ApiResult<Json<DnssecView>> {
    let zone = zone_to_manage(&state, &caller, &id).await?;
    let zone = disable(&state, &zone, params.now, &actor(&caller)).await?;
    Ok(Json(view(&state, &zone).await?))
}

/// Which key to roll.
#[derive(Deserialize, Default, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RolloverRequest {
    /// `csk`, `ksk` or `zsk` [default: `csk` for a zone with one combined
    /// key, `zsk` for a KSK + ZSK pair].
    pub role: Option<String>,
}

/// Runs the key manager on `zone` for `request` and returns the zone as it
/// is afterwards.
async fn key_request(
    state: &ApiState,
    zone: &Zone,
    request: KeyRequest,
    actor: &Actor,
) -> ApiResult<Zone> {
    Ok(
        match state
            .service
            .maintain_signing(zone.id, request, actor)
            .await?
        {
            Some(outcome) => outcome.zone,
            None => zone.clone(),
        },
    )
}

#[utoipa::path(
    post,
    path = "/api/v1/domains/{domain_id}/dnssec/rollover",
    tag = "dnssec",
    summary = "Start a key rollover now (ZSK: pre-publication; KSK/CSK: double-DS)",
    params(("domain_id" = String, Path, description = "zone id")),
    request_body = RolloverRequest,
    responses(
        (status = 200, description = "The rollover has started", body = DnssecView),
        (status = 409, description = "The zone is not signed, or a rollover of that role is under way", body = crate::openapi::ErrorBody),
        crate::openapi::StandardErrors
    )
)]
async fn rollover(
    State(state): State<ApiState>,
    caller: Caller,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult<Json<DnssecView>> {
    let zone = zone_to_manage(&state, &caller, &id).await?;
    let request: RolloverRequest = if body.iter().all(u8::is_ascii_whitespace) {
        RolloverRequest::default()
    } else {
        parse_json(&body)?
    };
    let settings = DnssecSettings::of(&zone)?;
    let role = tern_core::rollover::role_to_roll(&settings, request.role.as_deref())?;
    let zone = key_request(&state, &zone, KeyRequest::Rollover(role), &actor(&caller)).await?;
    Ok(Json(view(&state, &zone).await?))
}

#[utoipa::path(
    post,
    path = "/api/v1/domains/{domain_id}/dnssec/ds-seen",
    tag = "dnssec",
    summary = "Confirm that the parent now serves the DS that CDS asks for",
    description = "For a KSK/CSK rollover: the new key's DS is at the parent, so the rollover completes. While unsigning: the parent's DS is gone. Without `--dnssec-parent-resolver` this is how either step moves on.",
    params(("domain_id" = String, Path, description = "zone id")),
    responses(
        (status = 200, description = "OK", body = DnssecView),
        (status = 409, description = "Nothing waits for the parent", body = crate::openapi::ErrorBody),
        crate::openapi::StandardErrors
    )
)]
async fn ds_seen(
    State(state): State<ApiState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<DnssecView>> {
    let zone = zone_to_manage(&state, &caller, &id).await?;
    let zone = key_request(
        &state,
        &zone,
        KeyRequest::ParentDsConfirmed,
        &actor(&caller),
    )
    .await?;
    Ok(Json(view(&state, &zone).await?))
}
