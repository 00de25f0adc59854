//! Thalassa Cloud's DNS API (seed 000), base `/v1/dns`. Every call names
//! its organisation in `X-Organisation-Identity` (id or slug; it must be the
//! token's own unless the token is admin) and may name a project in
//! `X-Project-Identity`. Zones are addressed by name (with or without the
//! final dot), records as RRsets by `{name}/{type}` with `ttl` and
//! `values`. Imports merge by default (`replaceExisting: true` removes what
//! the file lacks) and take only A, AAAA, CNAME, NS, MX, TXT, CAA and SRV;
//! the rest is reported as skipped. DNSSEC status, enabling and disabling
//! (after the `dns` and `kms` feature gates) are the native calls'.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};
use tern_core::{
    Change, ChangeSet, ImportMode, ImportOptions, Name, NewZone, Organisation, Project, Rdata,
    Record, RecordType, Scope, Zone, ZoneFilter,
};

use super::actor;
use crate::ApiState;
use crate::access::{may_edit, must_own};
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::extract::parse_json;
use crate::views::{iso, owner_name, record_type, relative_name, zone_name};

const DIALECT: &str = "thalassa";
const IMPORT_TYPES: [RecordType; 8] = [
    RecordType::A,
    RecordType::AAAA,
    RecordType::CNAME,
    RecordType::NS,
    RecordType::MX,
    RecordType::TXT,
    RecordType::CAA,
    RecordType::SRV,
];

pub fn routes() -> Router<ApiState> {
    Router::new()
        .route("/v1/dns/zones", get(list_zones).post(create_zone))
        .route("/v1/dns/zones/{zone}", get(zone_detail).delete(delete_zone))
        .route("/v1/dns/zones/{zone}/export", get(export))
        .route("/v1/dns/zones/{zone}/import", axum::routing::post(import))
        .route(
            "/v1/dns/zones/{zone}/records",
            get(list_records).post(create_record),
        )
        .route(
            "/v1/dns/zones/{zone}/records/{name}/{rtype}",
            get(get_rrset).patch(patch_rrset).delete(delete_rrset),
        )
        .route(
            "/v1/dns/zones/{zone}/dnssec",
            get(dnssec_status).put(dnssec_put).delete(dnssec_delete),
        )
}

/// The caller with the organisation and project its headers name.
struct Context {
    caller: Caller,
    org: Organisation,
    project: Option<Project>,
}

async fn context(state: &ApiState, caller: Caller, headers: &HeaderMap) -> ApiResult<Context> {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .filter(|v| !v.is_empty())
    };
    let org_ref = header("x-organisation-identity").ok_or_else(|| {
        ApiError::validation(
            "X-Organisation-Identity",
            "the X-Organisation-Identity header (organisation id or slug) is required",
        )
    })?;
    let store = state.service.store();
    let org = match uuid::Uuid::parse_str(org_ref) {
        Ok(id) => store.organisation(id).await?,
        Err(_) => store.organisation_by_slug(org_ref).await?,
    };
    let org = org.filter(|o| caller.in_org(o.id)).ok_or_else(|| {
        ApiError::forbidden(format!(
            "this token does not belong to organisation '{org_ref}'"
        ))
        .with_field("X-Organisation-Identity")
    })?;
    let project = match header("x-project-identity") {
        None => None,
        Some(project_ref) => {
            let project = match uuid::Uuid::parse_str(project_ref) {
                Ok(id) => store.project(id).await?.filter(|p| p.org_id == org.id),
                Err(_) => store.project_by_slug(org.id, project_ref).await?,
            };
            // A token bound to another project learns nothing about this one.
            let project = project
                .filter(|p| caller.token.project_id.is_none_or(|bound| bound == p.id))
                .ok_or_else(|| {
                    ApiError::not_found(format!("project {project_ref}"))
                        .with_field("X-Project-Identity")
                })?;
            Some(project)
        }
    };
    // An admin acting for another organisation acts as it.
    let mut caller = caller;
    if caller.is_admin() {
        caller.org = org.clone();
    }
    caller.require_feature("dns")?;
    Ok(Context {
        caller,
        org,
        project,
    })
}

impl Context {
    fn project_id(&self) -> Option<uuid::Uuid> {
        self.project
            .as_ref()
            .map(|p| p.id)
            .or(self.caller.token.project_id)
    }

    /// The zone `name` of this organisation (and project, when one is set).
    async fn zone(&self, state: &ApiState, name: &str) -> ApiResult<Zone> {
        let not_found = || ApiError::not_found(format!("zone {name}"));
        let parsed = Name::parse_absolute(name.trim()).map_err(|_| not_found())?;
        let zones = state
            .service
            .store()
            .list_zones(&ZoneFilter {
                org_id: Some(self.org.id),
                project_id: self.project_id(),
                name: Some(parsed),
                ..ZoneFilter::default()
            })
            .await?;
        zones.into_iter().next().ok_or_else(not_found)
    }
}

fn zone_view(zone: &Zone, record_count: u64) -> Value {
    json!({
        "identity": zone.id,
        "name": zone_name(&zone.name),
        "fqdn": zone.name.to_string(),
        "ttl": zone.default_ttl,
        "description": zone.description,
        "projectIdentity": zone.project_id,
        "dnssecEnabled": zone.dnssec_enabled,
        "status": zone.status.as_str(),
        "serial": zone.serial,
        "recordCount": record_count,
        "createdAt": iso(zone.created_at),
        "updatedAt": iso(zone.updated_at),
    })
}

async fn list_zones(
    State(state): State<ApiState>,
    caller: Caller,
    headers: HeaderMap,
) -> ApiResult<Json<Value>> {
    let cx = context(&state, caller, &headers).await?;
    cx.caller.require(Scope::DnsList)?;
    let zones = state
        .service
        .store()
        .list_zones(&ZoneFilter {
            org_id: Some(cx.org.id),
            project_id: cx.project_id(),
            ..ZoneFilter::default()
        })
        .await?;
    let mut out = Vec::new();
    for zone in &zones {
        out.push(zone_view(
            zone,
            state.service.store().record_count(zone.id).await?,
        ));
    }
    Ok(Json(Value::Array(out)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct NewZoneBody {
    name: String,
    ttl: Option<u32>,
    description: Option<String>,
}

async fn create_zone(
    State(state): State<ApiState>,
    caller: Caller,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let cx = context(&state, caller, &headers).await?;
    cx.caller.require(Scope::DnsCreate)?;
    let body: NewZoneBody = parse_json(&body)?;
    let name = crate::views::hosted_zone_name(&body.name, "name")?;
    let mut new = NewZone::new(name, cx.org.id);
    new.project_id = cx.project_id();
    new.default_ttl = body.ttl;
    new.description = body.description;
    let zone = state
        .service
        .create_zone(new, &actor(&cx.caller, DIALECT))
        .await?;
    let count = state.service.store().record_count(zone.id).await?;
    Ok((StatusCode::CREATED, Json(zone_view(&zone, count))))
}

async fn zone_detail(
    State(state): State<ApiState>,
    caller: Caller,
    headers: HeaderMap,
    Path(zone): Path<String>,
) -> ApiResult<Json<Value>> {
    let cx = context(&state, caller, &headers).await?;
    cx.caller.require(Scope::DnsRead)?;
    let zone = cx.zone(&state, &zone).await?;
    let count = state.service.store().record_count(zone.id).await?;
    Ok(Json(zone_view(&zone, count)))
}

/// "Delete a zone and all records": permanently.
async fn delete_zone(
    State(state): State<ApiState>,
    caller: Caller,
    headers: HeaderMap,
    Path(zone): Path<String>,
) -> ApiResult<StatusCode> {
    let cx = context(&state, caller, &headers).await?;
    cx.caller.require(Scope::DnsDelete)?;
    let zone = cx.zone(&state, &zone).await?;
    must_own(&cx.caller, &zone)?;
    state
        .service
        .delete_zone(zone.id, true, &actor(&cx.caller, DIALECT))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn export(
    State(state): State<ApiState>,
    caller: Caller,
    headers: HeaderMap,
    Path(zone): Path<String>,
) -> ApiResult<Response> {
    let cx = context(&state, caller, &headers).await?;
    cx.caller.require(Scope::DnsRead)?;
    let zone = cx.zone(&state, &zone).await?;
    let text = state.service.export(zone.id).await?;
    Ok(([(header::CONTENT_TYPE, "text/dns")], text).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct ImportBody {
    #[serde(alias = "zoneFile", alias = "content", alias = "zone_file")]
    zone: String,
    #[serde(default)]
    replace_existing: bool,
}

async fn import(
    State(state): State<ApiState>,
    caller: Caller,
    headers: HeaderMap,
    Path(zone): Path<String>,
    body: axum::body::Body,
) -> ApiResult<Json<Value>> {
    // Zone files have their own size limit, above the other bodies'.
    let body = axum::body::to_bytes(body, state.import_limit)
        .await
        .map_err(|_| {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                format!("zone files are limited to {} MiB", state.import_limit >> 20),
            )
        })?;
    let cx = context(&state, caller, &headers).await?;
    cx.caller.require(Scope::DnsCreate)?;
    cx.caller.require(Scope::DnsUpdate)?;
    let zone = cx.zone(&state, &zone).await?;
    may_edit(&state, &cx.caller, &zone).await?;
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|c| c.to_str().ok())
        .is_some_and(|c| c.starts_with("application/json"));
    let (text, replace) = if is_json {
        let body: ImportBody = parse_json(&body)?;
        (body.zone.into_bytes(), body.replace_existing)
    } else {
        let replace = headers
            .get("x-replace-existing")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.eq_ignore_ascii_case("true"));
        (body.to_vec(), replace)
    };
    let options = ImportOptions {
        mode: if replace {
            ImportMode::Replace
        } else {
            ImportMode::Merge
        },
        skip_invalid: false,
        dry_run: false,
        allowed_types: Some(IMPORT_TYPES.to_vec()),
    };
    let report = state
        .service
        .import(
            zone.id,
            text.as_slice(),
            &options,
            &actor(&cx.caller, DIALECT),
        )
        .await?;
    let updated = report.updated_count();
    Ok(Json(json!({
        "zone": zone_name(&zone.name),
        "replaceExisting": replace,
        "created": report.added().len() - updated,
        "updated": updated,
        "deleted": report.removed().len() - updated,
        "unchanged": report.unchanged,
        "skipped": report.skipped.iter().map(|p| json!({
            "line": p.line, "name": p.owner, "type": p.rtype, "reason": p.reason,
        })).collect::<Vec<_>>(),
        "serial": report.serial_after,
    })))
}

/// The zone's records as RRsets.
fn rrsets(zone: &Zone, records: &[Record]) -> Vec<Value> {
    let mut sets: Vec<(Name, RecordType, Vec<&Record>)> = Vec::new();
    for record in records {
        match sets
            .iter_mut()
            .find(|(n, t, _)| *n == record.name && *t == record.rtype)
        {
            Some((_, _, members)) => members.push(record),
            None => sets.push((record.name.clone(), record.rtype, vec![record])),
        }
    }
    sets.iter()
        .map(|(name, rtype, members)| rrset_view(zone, name, *rtype, members))
        .collect()
}

fn rrset_view(zone: &Zone, name: &Name, rtype: RecordType, members: &[&Record]) -> Value {
    json!({
        "name": relative_name(name, &zone.name),
        "fqdn": name.to_string(),
        "type": rtype.to_string(),
        "ttl": members.first().map(|r| r.effective_ttl(zone.default_ttl)),
        "values": members.iter().map(|r| r.rdata.to_string()).collect::<Vec<_>>(),
    })
}

async fn list_records(
    State(state): State<ApiState>,
    caller: Caller,
    headers: HeaderMap,
    Path(zone): Path<String>,
) -> ApiResult<Json<Value>> {
    let cx = context(&state, caller, &headers).await?;
    cx.caller.require(Scope::DnsRead)?;
    let zone = cx.zone(&state, &zone).await?;
    let records = state.service.store().records(zone.id).await?;
    Ok(Json(Value::Array(rrsets(&zone, &records))))
}

/// RDATA from a `values` entry for a record in `zone`, under the core's API
/// content rule (TXT may be given without quotes; MX and SRV carry their
/// priority at the head of the value).
fn parse_values(
    rtype: RecordType,
    values: &[String],
    zone: &Name,
) -> ApiResult<Vec<(Rdata, Option<String>)>> {
    if values.is_empty() {
        return Err(ApiError::validation(
            "values",
            "at least one value is required",
        ));
    }
    values
        .iter()
        .enumerate()
        .map(|(i, v)| {
            Rdata::parse_api_content(rtype, v, None, zone)
                .map(|r| (r, None))
                .map_err(|e| ApiError::validation(format!("values[{i}]"), e.message))
        })
        .collect()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RrsetBody {
    name: Option<String>,
    #[serde(rename = "type")]
    rtype: Option<String>,
    ttl: Option<u32>,
    values: Option<Vec<String>>,
}

async fn set_rrset(
    state: &ApiState,
    cx: &Context,
    zone: &Zone,
    name: Name,
    rtype: RecordType,
    ttl: Option<u32>,
    records: Vec<(Rdata, Option<String>)>,
) -> ApiResult<Value> {
    let outcome = state
        .service
        .apply(
            zone.id,
            ChangeSet::new(vec![Change::ReplaceRrset {
                name: name.clone(),
                rtype,
                ttl,
                records,
            }]),
            &actor(&cx.caller, DIALECT),
        )
        .await?;
    let now: Vec<Record> = state
        .service
        .store()
        .records_at(zone.id, std::slice::from_ref(&name))
        .await?
        .into_iter()
        .filter(|r| r.rtype == rtype)
        .collect();
    Ok(rrset_view(
        &outcome.zone,
        &name,
        rtype,
        &now.iter().collect::<Vec<_>>(),
    ))
}

async fn create_record(
    State(state): State<ApiState>,
    caller: Caller,
    headers: HeaderMap,
    Path(zone): Path<String>,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let cx = context(&state, caller, &headers).await?;
    cx.caller.require(Scope::DnsCreate)?;
    let zone = cx.zone(&state, &zone).await?;
    may_edit(&state, &cx.caller, &zone).await?;
    let body: RrsetBody = parse_json(&body)?;
    let name = owner_name(body.name.as_deref().unwrap_or("@"), &zone.name, "name")?;
    let rtype = record_type(
        body.rtype
            .as_deref()
            .ok_or_else(|| ApiError::validation("type", "is required"))?,
        "type",
    )?;
    let records = parse_values(
        rtype,
        body.values.as_deref().unwrap_or_default(),
        &zone.name,
    )?;
    let existing = state
        .service
        .store()
        .records_at(zone.id, std::slice::from_ref(&name))
        .await?;
    if existing.iter().any(|r| r.rtype == rtype) {
        return Err(ApiError::conflict(format!(
            "{name} {rtype} already exists; PATCH it to change values or TTL"
        )));
    }
    let view = set_rrset(&state, &cx, &zone, name, rtype, body.ttl, records).await?;
    Ok((StatusCode::CREATED, Json(view)))
}

async fn rrset_of(
    state: &ApiState,
    zone: &Zone,
    name: &str,
    rtype: &str,
) -> ApiResult<(Name, RecordType, Vec<Record>)> {
    let name = owner_name(name, &zone.name, "name")?;
    let rtype = record_type(rtype, "type")?;
    let records: Vec<Record> = state
        .service
        .store()
        .records_at(zone.id, std::slice::from_ref(&name))
        .await?
        .into_iter()
        .filter(|r| r.rtype == rtype)
        .collect();
    if records.is_empty() {
        return Err(ApiError::not_found(format!("{name} {rtype}")));
    }
    Ok((name, rtype, records))
}

async fn get_rrset(
    State(state): State<ApiState>,
    caller: Caller,
    headers: HeaderMap,
    Path((zone, name, rtype)): Path<(String, String, String)>,
) -> ApiResult<Json<Value>> {
    let cx = context(&state, caller, &headers).await?;
    cx.caller.require(Scope::DnsRead)?;
    let zone = cx.zone(&state, &zone).await?;
    let (name, rtype, records) = rrset_of(&state, &zone, &name, &rtype).await?;
    Ok(Json(rrset_view(
        &zone,
        &name,
        rtype,
        &records.iter().collect::<Vec<_>>(),
    )))
}

/// "Update TTL or values": what is not given stays.
async fn patch_rrset(
    State(state): State<ApiState>,
    caller: Caller,
    headers: HeaderMap,
    Path((zone, name, rtype)): Path<(String, String, String)>,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    let cx = context(&state, caller, &headers).await?;
    cx.caller.require(Scope::DnsUpdate)?;
    let zone = cx.zone(&state, &zone).await?;
    may_edit(&state, &cx.caller, &zone).await?;
    let (name, rtype, current) = rrset_of(&state, &zone, &name, &rtype).await?;
    let body: RrsetBody = parse_json(&body)?;
    if body.name.is_some() || body.rtype.is_some() {
        return Err(ApiError::validation(
            if body.name.is_some() { "name" } else { "type" },
            "an RRset's name and type are its address; only ttl and values change",
        ));
    }
    let records = match &body.values {
        Some(values) => parse_values(rtype, values, &zone.name)?,
        None => current
            .iter()
            .map(|r| (r.rdata.clone(), r.description.clone()))
            .collect(),
    };
    let ttl = body.ttl.or(current.first().and_then(|r| r.ttl));
    Ok(Json(
        set_rrset(&state, &cx, &zone, name, rtype, ttl, records).await?,
    ))
}

async fn delete_rrset(
    State(state): State<ApiState>,
    caller: Caller,
    headers: HeaderMap,
    Path((zone, name, rtype)): Path<(String, String, String)>,
) -> ApiResult<StatusCode> {
    let cx = context(&state, caller, &headers).await?;
    cx.caller.require(Scope::DnsDelete)?;
    let zone = cx.zone(&state, &zone).await?;
    may_edit(&state, &cx.caller, &zone).await?;
    let (name, rtype, _) = rrset_of(&state, &zone, &name, &rtype).await?;
    state
        .service
        .apply(
            zone.id,
            ChangeSet::new(vec![Change::DeleteRrset { name, rtype }]),
            &actor(&cx.caller, DIALECT),
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// DNSSEC needs the `kms` feature too. Status and changes are the native
/// ones (`crate::dnssec`), shown in this dialect's camelCase.
fn dnssec_view(zone: &Zone, view: crate::dnssec::DnssecView) -> Value {
    let keys: Vec<Value> = view
        .keys
        .into_iter()
        .map(|k| {
            json!({
                "identity": k.id,
                "role": k.role,
                "algorithm": k.algorithm,
                "keyTag": k.key_tag,
                "state": k.state,
                "publicKey": k.public_key,
                "createdAt": k.created_at,
                "publishedAt": k.published_at,
                "activeAt": k.active_at,
                "retireAt": k.retire_at,
                "removedAt": k.removed_at,
                "nextState": k.next_state,
                "nextStateAt": k.next_state_at,
                "waitingFor": k.waiting_for,
            })
        })
        .collect();
    json!({
        "zone": zone_name(&zone.name),
        "enabled": view.enabled,
        "status": view.status,
        "algorithm": view.algorithm,
        "denial": view.denial,
        "nsec3": view.nsec3.map(|n| json!({"iterations": n.iterations, "salt": n.salt})),
        "keys": keys,
        "dsRecords": view.ds_records,
        "dnskeyRecords": view.dnskey_records,
        "cdsPublished": view.cds_published,
        "keySplit": view.key_split,
        "zskLifetimeSecs": view.zsk_lifetime_secs,
        "kskLifetimeSecs": view.ksk_lifetime_secs,
        "propagationDelaySecs": view.propagation_delay_secs,
        "parentDsTtlSecs": view.parent_ds_ttl_secs,
        "unsigning": view.unsigning.map(|u| json!({
            "requestedAt": u.requested_at,
            "dsGoneAt": u.ds_gone_at,
            "unsignAt": u.unsign_at,
        })),
    })
}

async fn dnssec_status(
    State(state): State<ApiState>,
    caller: Caller,
    headers: HeaderMap,
    Path(zone): Path<String>,
) -> ApiResult<Json<Value>> {
    let cx = context(&state, caller, &headers).await?;
    cx.caller.require_feature("kms")?;
    cx.caller.require(Scope::DnsRead)?;
    let zone = cx.zone(&state, &zone).await?;
    let view = crate::dnssec::view(&state, &zone).await?;
    Ok(Json(dnssec_view(&zone, view)))
}

async fn dnssec_put(
    State(state): State<ApiState>,
    caller: Caller,
    headers: HeaderMap,
    Path(zone): Path<String>,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    let cx = context(&state, caller, &headers).await?;
    cx.caller.require_feature("kms")?;
    cx.caller.require(Scope::DnssecManage)?;
    let zone = cx.zone(&state, &zone).await?;
    must_own(&cx.caller, &zone)?;
    let request = crate::dnssec::DnssecRequest::parse(&body)?;
    let zone = crate::dnssec::enable(&state, &zone, &request, &actor(&cx.caller, DIALECT)).await?;
    let view = crate::dnssec::view(&state, &zone).await?;
    Ok(Json(dnssec_view(&zone, view)))
}

async fn dnssec_delete(
    State(state): State<ApiState>,
    caller: Caller,
    headers: HeaderMap,
    Path(zone): Path<String>,
) -> ApiResult<StatusCode> {
    let cx = context(&state, caller, &headers).await?;
    cx.caller.require_feature("kms")?;
    cx.caller.require(Scope::DnssecManage)?;
    let zone = cx.zone(&state, &zone).await?;
    must_own(&cx.caller, &zone)?;
    crate::dnssec::disable(&state, &zone, false, &actor(&cx.caller, DIALECT)).await?;
    Ok(StatusCode::NO_CONTENT)
}
