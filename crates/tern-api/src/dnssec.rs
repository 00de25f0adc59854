//! A zone's DNSSEC as every face shows and changes it: the status view
//! (settings, keys, the DS lines for the parent, the DNSKEY lines), the
//! request that enables signing or changes its settings, and disabling.
//! The native handlers (`/api/v1/domains/{id}/dnssec`) live here too; the
//! Thalassa dialect calls the same `view`, `enable` and `disable`, so the
//! rules are written once.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tern_core::signing::SIGNER_OWNED_TYPES;
use tern_core::{
    Actor, Denial, DnssecKey, DnssecSettings, KeyRole, RecordType, Scope, Zone, ZoneUpdate,
};
use tern_dnssec::{
    DIGEST_SHA256, SEP_FLAG, ZONE_KEY_FLAG, dnskey_presentation, dnskey_rdata_wire,
    ds_digest_sha256, ds_presentation,
};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::ApiState;
use crate::access::{actor, must_own, visible_zone};
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::extract::parse_json;
use crate::views::iso;

/// DNSKEY, CDS: the stored records the view reads (their TTL, whether CDS
/// is published).
const DNSKEY: RecordType = RecordType(48);
const CDS: RecordType = RecordType(59);

pub fn routes() -> OpenApiRouter<ApiState> {
    OpenApiRouter::new().routes(routes!(status, put, delete))
}

/// One signing key, without its (sealed) private half.
#[derive(Serialize, utoipa::ToSchema)]
pub struct KeyView {
    pub id: uuid::Uuid,
    /// `csk`, `ksk` or `zsk`.
    pub role: &'static str,
    pub algorithm: u8,
    pub key_tag: u16,
    /// `created`, `published`, `active`, `retired` or `removed`.
    pub state: &'static str,
    /// The DNSKEY public key field, base64.
    pub public_key: String,
    pub created_at: String,
    pub published_at: Option<String>,
    pub active_at: Option<String>,
    pub retire_at: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Nsec3View {
    pub iterations: u16,
    /// Hex; empty for no salt.
    pub salt: String,
}

/// A zone's DNSSEC status.
#[derive(Serialize, utoipa::ToSchema)]
pub struct DnssecView {
    pub enabled: bool,
    /// `signed` or `unsigned`.
    pub status: &'static str,
    pub algorithm: u8,
    /// `nsec3` or `nsec`.
    pub denial: &'static str,
    pub nsec3: Option<Nsec3View>,
    /// Keys still in the zone's life: removed keys are left out.
    pub keys: Vec<KeyView>,
    /// What to give the parent zone: one SHA-256 DS per published
    /// key-signing key, in presentation form.
    pub ds_records: Vec<String>,
    pub dnskey_records: Vec<String>,
    /// Whether CDS/CDNSKEY are published (RFC 7344), for parents that
    /// pick the DS up themselves.
    pub cds_published: bool,
}

fn key_flags(role: KeyRole) -> u16 {
    if role.signs_keys() {
        ZONE_KEY_FLAG | SEP_FLAG
    } else {
        ZONE_KEY_FLAG
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}

/// The status of `zone`, read from its settings, its keys and the DNSSEC
/// records the signer stored.
pub async fn view(state: &ApiState, zone: &Zone) -> ApiResult<DnssecView> {
    let settings = DnssecSettings::of(zone)?;
    let store = state.service.store();
    let mut keys: Vec<DnssecKey> = store
        .dnssec_keys(zone.id)
        .await?
        .into_iter()
        .filter(|k| k.state != tern_core::KeyState::Removed)
        .collect();
    keys.sort_by_key(|k| (k.created_at, k.id));
    let stored = if zone.dnssec_enabled {
        store.records_of_types(zone.id, &SIGNER_OWNED_TYPES).await?
    } else {
        Vec::new()
    };
    // The parent's DS should carry the TTL the DNSKEY RRset is served with.
    let dnskey_ttl = stored
        .iter()
        .find(|r| r.rtype == DNSKEY)
        .and_then(|r| r.ttl)
        .unwrap_or(zone.default_ttl);
    let published: Vec<&DnssecKey> = keys
        .iter()
        .filter(|k| zone.dnssec_enabled && k.state.is_published())
        .collect();
    let dnskey_records = published
        .iter()
        .map(|k| {
            dnskey_presentation(
                &zone.name,
                dnskey_ttl,
                key_flags(k.role),
                k.algorithm,
                &k.public_key,
            )
        })
        .collect();
    let ds_records = published
        .iter()
        .filter(|k| k.role.signs_keys())
        .map(|k| {
            let wire = dnskey_rdata_wire(key_flags(k.role), k.algorithm, &k.public_key);
            let digest = ds_digest_sha256(&zone.name, &wire);
            ds_presentation(
                &zone.name,
                dnskey_ttl,
                k.key_tag,
                k.algorithm,
                DIGEST_SHA256,
                &digest,
            )
        })
        .collect();
    let (denial, nsec3) = match &settings.denial {
        Denial::Nsec3 { iterations, salt } => (
            "nsec3",
            Some(Nsec3View {
                iterations: *iterations,
                salt: hex(salt),
            }),
        ),
        Denial::Nsec => ("nsec", None),
    };
    let b64 = base64::engine::general_purpose::STANDARD;
    Ok(DnssecView {
        enabled: zone.dnssec_enabled,
        status: if zone.dnssec_enabled {
            "signed"
        } else {
            "unsigned"
        },
        algorithm: settings.algorithm,
        denial,
        nsec3,
        keys: keys
            .iter()
            .map(|k| KeyView {
                id: k.id,
                role: k.role.as_str(),
                algorithm: k.algorithm,
                key_tag: k.key_tag,
                state: k.state.as_str(),
                public_key: b64.encode(&k.public_key),
                created_at: iso(k.created_at),
                published_at: k.published_at.map(iso),
                active_at: k.active_at.map(iso),
                retire_at: k.retire_at.map(iso),
            })
            .collect(),
        ds_records,
        dnskey_records,
        cds_published: stored.iter().any(|r| r.rtype == CDS),
    })
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
        return disable(state, zone, actor).await;
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

/// Turns signing off: the signer removes every DNSSEC record in the same
/// commit and marks the keys removed. The settings stay for next time.
pub async fn disable(state: &ApiState, zone: &Zone, actor: &Actor) -> ApiResult<Zone> {
    if !zone.dnssec_enabled {
        return Ok(zone.clone());
    }
    let outcome = state
        .service
        .apply_zone_update(
            zone.id,
            ZoneUpdate {
                dnssec_enabled: Some(false),
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

#[utoipa::path(
    delete,
    path = "/api/v1/domains/{domain_id}/dnssec",
    tag = "dnssec",
    summary = "Disable signing",
    params(("domain_id" = String, Path, description = "zone id")),
    responses((status = 200, description = "OK", body = DnssecView), crate::openapi::StandardErrors)
)]
async fn delete(
    State(state): State<ApiState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<DnssecView>> {
    let zone = zone_to_manage(&state, &caller, &id).await?;
    let zone = disable(&state, &zone, &actor(&caller)).await?;
    Ok(Json(view(&state, &zone).await?))
}
