//! VPS.org's DNS API (seed 001): `/api/v1/dns-zones/` and
//! `/api/v1/dns-records/`, with and without the trailing slash. Zones and
//! records by UUID; records as `record_type`/`name`/`value`/`ttl`
//! (default 3600)/`priority` (required for MX and SRV). The apex NS set Tern
//! manages is not a user record here: a new zone shows `record_count: 0`.
//! Errors keep the seed's `{detail, error_code, field}`; an existing zone is
//! a 400, as documented.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};
use tern_core::policy::RecordPolicy;
use tern_core::{
    Name, NewRecord, NewZone, Record, RecordType, RecordUpdate, Scope, Zone, ZoneFilter,
};
use uuid::Uuid;

use super::{actor, plain_value, rdata_from_value};
use crate::ApiState;
use crate::access::{may_edit, must_own, visible_zone, zone_to_edit};
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiQuery};
use crate::views::{iso, owner_name, record_type, relative_name, required, same_type};

const DIALECT: &str = "vps.org";
const DEFAULT_TTL: u32 = 3600;

fn policy() -> RecordPolicy {
    RecordPolicy {
        types: Some(vec![
            RecordType::A,
            RecordType::AAAA,
            RecordType::CNAME,
            RecordType::MX,
            RecordType::TXT,
            RecordType::NS,
            RecordType::SRV,
            RecordType::CAA,
        ]),
        priority_required: true,
        ..RecordPolicy::default()
    }
}

pub fn routes() -> Router<ApiState> {
    let mut router = Router::new();
    for slash in ["", "/"] {
        router = router
            .route(
                &format!("/api/v1/dns-zones{slash}"),
                get(list_zones).post(create_zone),
            )
            .route(
                &format!("/api/v1/dns-zones/{{uuid}}{slash}"),
                get(zone_detail).delete(delete_zone),
            )
            .route(
                &format!("/api/v1/dns-zones/{{uuid}}/records{slash}"),
                get(zone_records).post(create_record),
            )
            .route(&format!("/api/v1/dns-records{slash}"), get(list_records))
            .route(
                &format!("/api/v1/dns-records/{{uuid}}{slash}"),
                get(record_detail)
                    .put(replace_record)
                    .patch(patch_record)
                    .delete(delete_record),
            );
    }
    router
}

/// The seed's field names in errors (`type` is `record_type`, `content`
/// is `value`, a zone's `name` is its `domain`).
fn seed_error(mut error: ApiError) -> ApiError {
    error.field = error.field.map(|f| match f.as_str() {
        "type" => "record_type".to_string(),
        "content" => "value".to_string(),
        _ => f,
    });
    error
}

fn record_view(record: &Record, zone: &Zone) -> Value {
    json!({
        "uuid": record.id,
        "record_type": record.rtype.to_string(),
        "name": relative_name(&record.name, &zone.name),
        "value": plain_value(&record.rdata),
        "ttl": record.effective_ttl(zone.default_ttl),
        "priority": crate::views::split_priority(&record.rdata).0,
        "created_at": iso(record.created_at),
    })
}

async fn user_records(state: &ApiState, zone: &Zone) -> ApiResult<Vec<Record>> {
    Ok(state
        .service
        .store()
        .records(zone.id)
        .await?
        .into_iter()
        .filter(|r| !r.is_managed(&zone.name))
        .collect())
}

async fn zone_view(state: &ApiState, zone: &Zone, with_records: bool) -> ApiResult<Value> {
    let records = user_records(state, zone).await?;
    let mut view = json!({
        "uuid": zone.id,
        "domain": crate::views::zone_name(&zone.name),
        "created_at": iso(zone.created_at),
        "record_count": records.len(),
    });
    if with_records && let Some(map) = view.as_object_mut() {
        map.insert(
            "records".into(),
            records.iter().map(|r| record_view(r, zone)).collect(),
        );
    }
    Ok(view)
}

#[derive(Deserialize)]
struct ZoneQuery {
    domain: Option<String>,
}

async fn list_zones(
    State(state): State<ApiState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<ZoneQuery>,
) -> ApiResult<Json<Value>> {
    caller.dns(Scope::DnsList)?;
    let name = query
        .domain
        .as_deref()
        .map(|d| {
            Name::parse_absolute(d.trim())
                .map_err(|e| ApiError::validation("domain", e.to_string()))
        })
        .transpose()?;
    let zones = state
        .service
        .store()
        .list_zones(&ZoneFilter {
            org_id: (!caller.is_admin()).then_some(caller.org.id),
            project_id: caller.token.project_id,
            name,
            ..ZoneFilter::default()
        })
        .await?;
    let mut out = Vec::with_capacity(zones.len());
    for zone in &zones {
        out.push(zone_view(&state, zone, false).await?);
    }
    Ok(Json(Value::Array(out)))
}

#[derive(Deserialize)]
struct NewZoneBody {
    domain: String,
}

async fn create_zone(
    State(state): State<ApiState>,
    caller: Caller,
    ApiJson(body): ApiJson<NewZoneBody>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    caller.dns(Scope::DnsCreate)?;
    let name = crate::views::hosted_zone_name(&body.domain, "domain")?;
    let mut new = NewZone::new(name, caller.org.id);
    new.project_id = caller.token.project_id;
    let zone = state
        .service
        .create_zone(new, &actor(&caller, DIALECT))
        .await
        .map_err(|e| {
            // The seed answers an existing zone with 400, and calls the
            // zone's name `domain`.
            let e = ApiError::from(e);
            if e.status == StatusCode::CONFLICT || e.field.as_deref() == Some("name") {
                ApiError::validation("domain", e.detail)
            } else {
                e
            }
        })?;
    Ok((
        StatusCode::CREATED,
        Json(zone_view(&state, &zone, true).await?),
    ))
}

async fn zone_detail(
    State(state): State<ApiState>,
    caller: Caller,
    Path(uuid): Path<String>,
) -> ApiResult<Json<Value>> {
    let zone = visible_zone(&state, &caller, &uuid).await?;
    caller.dns(Scope::DnsRead)?;
    Ok(Json(zone_view(&state, &zone, true).await?))
}

/// "Permanently delete a DNS zone and all associated records."
async fn delete_zone(
    State(state): State<ApiState>,
    caller: Caller,
    Path(uuid): Path<String>,
) -> ApiResult<StatusCode> {
    let zone = visible_zone(&state, &caller, &uuid).await?;
    caller.dns(Scope::DnsDelete)?;
    must_own(&caller, &zone)?;
    state
        .service
        .delete_zone(zone.id, true, &actor(&caller, DIALECT))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn zone_records(
    State(state): State<ApiState>,
    caller: Caller,
    Path(uuid): Path<String>,
) -> ApiResult<Json<Value>> {
    let zone = visible_zone(&state, &caller, &uuid).await?;
    caller.dns(Scope::DnsRead)?;
    let records = user_records(&state, &zone).await?;
    Ok(Json(
        records.iter().map(|r| record_view(r, &zone)).collect(),
    ))
}

#[derive(Deserialize)]
struct RecordBody {
    record_type: Option<String>,
    name: Option<String>,
    value: Option<String>,
    ttl: Option<u32>,
    priority: Option<u32>,
}

async fn create_record(
    State(state): State<ApiState>,
    caller: Caller,
    Path(uuid): Path<String>,
    ApiJson(body): ApiJson<RecordBody>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let zone = zone_to_edit(&state, &caller, &uuid, Scope::DnsCreate).await?;
    let record = new_record(&zone, &body).map_err(seed_error)?;
    let (zone, created) = crate::writes::add(&state, &zone, record, &actor(&caller, DIALECT), None)
        .await
        .map_err(|e| {
            if e.status == StatusCode::CONFLICT {
                ApiError::validation("value", e.detail)
            } else {
                seed_error(e)
            }
        })?;
    Ok((StatusCode::CREATED, Json(record_view(&created, &zone))))
}

fn new_record(zone: &Zone, body: &RecordBody) -> ApiResult<NewRecord> {
    let rtype = record_type(required(&body.record_type, "record_type")?, "record_type")?;
    let ttl = body.ttl.unwrap_or(DEFAULT_TTL);
    policy().check(rtype, Some(ttl), body.priority.is_some(), None)?;
    let name = owner_name(required(&body.name, "name")?, &zone.name, "name")?;
    let value = required(&body.value, "value")?;
    Ok(NewRecord {
        name,
        ttl: Some(ttl),
        rdata: rdata_from_value(rtype, value, body.priority, &zone.name, "value")?,
        description: None,
    })
}

/// A record of a zone the caller sees, by UUID alone.
async fn find_record(state: &ApiState, caller: &Caller, id: &str) -> ApiResult<(Zone, Record)> {
    let not_found = || ApiError::not_found(format!("record {id}"));
    let rid = Uuid::parse_str(id).map_err(|_| not_found())?;
    let zone_id = state
        .service
        .store()
        .record_zone(rid)
        .await?
        .ok_or_else(not_found)?;
    let zone = visible_zone(state, caller, &zone_id.to_string())
        .await
        .map_err(|_| not_found())?;
    let record = state
        .service
        .store()
        .records_by_id(zone.id, &[rid])
        .await?
        .into_iter()
        .next()
        .ok_or_else(not_found)?;
    if record.is_managed(&zone.name) {
        return Err(not_found());
    }
    Ok((zone, record))
}

#[derive(Deserialize)]
struct RecordQuery {
    zone: Option<String>,
    record_type: Option<String>,
}

async fn list_records(
    State(state): State<ApiState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<RecordQuery>,
) -> ApiResult<Json<Value>> {
    caller.dns(Scope::DnsList)?;
    let rtype = query
        .record_type
        .as_deref()
        .map(|t| record_type(t, "record_type"))
        .transpose()?;
    let zones = match &query.zone {
        Some(id) => vec![visible_zone(&state, &caller, id).await?],
        None => {
            state
                .service
                .store()
                .list_zones(&ZoneFilter {
                    org_id: (!caller.is_admin()).then_some(caller.org.id),
                    project_id: caller.token.project_id,
                    ..ZoneFilter::default()
                })
                .await?
        }
    };
    let mut out = Vec::new();
    for zone in &zones {
        for record in user_records(&state, zone).await? {
            if rtype.is_none_or(|t| record.rtype == t) {
                out.push(record_view(&record, zone));
            }
        }
    }
    Ok(Json(Value::Array(out)))
}

async fn record_detail(
    State(state): State<ApiState>,
    caller: Caller,
    Path(uuid): Path<String>,
) -> ApiResult<Json<Value>> {
    let (zone, record) = find_record(&state, &caller, &uuid).await?;
    caller.dns(Scope::DnsRead)?;
    Ok(Json(record_view(&record, &zone)))
}

/// PUT sends the whole record (TTL back to 3600 when left out); PATCH only
/// what changes.
async fn update(
    state: &ApiState,
    caller: &Caller,
    id: &str,
    body: RecordBody,
    whole: bool,
) -> ApiResult<Json<Value>> {
    let (zone, record) = find_record(state, caller, id).await?;
    caller.dns(Scope::DnsUpdate)?;
    may_edit(state, caller, &zone).await?;
    same_type(body.record_type.as_deref(), &record, "record_type")?;
    if whole {
        required(&body.name, "name")?;
        required(&body.value, "value")?;
    }
    let ttl = if whole {
        Some(body.ttl.unwrap_or(DEFAULT_TTL))
    } else {
        body.ttl
    };
    let (old_priority, old_value) = (
        crate::views::split_priority(&record.rdata).0,
        plain_value(&record.rdata),
    );
    let priority = body.priority.or(if whole { None } else { old_priority });
    policy()
        .check(record.rtype, ttl, priority.is_some(), None)
        .map_err(|e| seed_error(e.into()))?;
    let rdata = if body.value.is_some() || body.priority.is_some() || whole {
        let value = body.value.clone().unwrap_or(old_value);
        Some(
            rdata_from_value(record.rtype, &value, priority, &zone.name, "value")
                .map_err(seed_error)?,
        )
    } else {
        None
    };
    let update = RecordUpdate {
        name: body
            .name
            .as_deref()
            .map(|n| owner_name(n, &zone.name, "name"))
            .transpose()?,
        ttl: ttl.map(Some),
        rdata,
        description: None,
    };
    let (zone, after) =
        crate::writes::update(state, &zone, record, update, &actor(caller, DIALECT), None)
            .await
            .map_err(seed_error)?;
    Ok(Json(record_view(&after, &zone)))
}

async fn replace_record(
    State(state): State<ApiState>,
    caller: Caller,
    Path(uuid): Path<String>,
    ApiJson(body): ApiJson<RecordBody>,
) -> ApiResult<Json<Value>> {
    update(&state, &caller, &uuid, body, true).await
}

async fn patch_record(
    State(state): State<ApiState>,
    caller: Caller,
    Path(uuid): Path<String>,
    ApiJson(body): ApiJson<RecordBody>,
) -> ApiResult<Json<Value>> {
    update(&state, &caller, &uuid, body, false).await
}

async fn delete_record(
    State(state): State<ApiState>,
    caller: Caller,
    Path(uuid): Path<String>,
) -> ApiResult<StatusCode> {
    let (zone, record) = find_record(&state, &caller, &uuid).await?;
    caller.dns(Scope::DnsDelete)?;
    may_edit(&state, &caller, &zone).await?;
    crate::writes::delete(&state, &zone, &record, &actor(&caller, DIALECT), None).await?;
    Ok(StatusCode::NO_CONTENT)
}
