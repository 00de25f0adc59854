//! OpenStack Designate's v1 API (seed 003), base `/v1/domains`: domains
//! (`name` FQDN with the dot, `email`, `ttl`) as Designate v1 served them,
//! so the records API has ids to use, and records with FQDN `name`, `type`,
//! `data`, `priority` (MX and SRV; SRV `data` is `weight port target`),
//! `ttl` (null inherits the domain's), `description`. Creates answer 200
//! with a `Location` header, deletes 200 with an empty body, as documented.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};
use tern_core::policy::RecordPolicy;
use tern_core::{
    Name, NewRecord, NewZone, Record, RecordType, RecordUpdate, Scope, Zone, ZoneFilter, ZoneUpdate,
};

use super::{actor, plain_value, rdata_from_value};
use crate::ApiState;
use crate::access::{must_own, visible_zone, zone_to_edit};
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::extract::ApiJson;

const DIALECT: &str = "designate-v1";

fn policy() -> RecordPolicy {
    RecordPolicy {
        types: Some(vec![
            RecordType::A,
            RecordType::AAAA,
            RecordType::MX,
            RecordType::CNAME,
            RecordType::TXT,
            RecordType::SRV,
            RecordType::NS,
            RecordType::PTR,
            RecordType::SPF,
            RecordType::SSHFP,
        ]),
        priority_required: true,
        ..RecordPolicy::default()
    }
}

pub fn routes() -> Router<ApiState> {
    Router::new()
        .route("/v1/domains", get(list_domains).post(create_domain))
        .route(
            "/v1/domains/{domain_id}",
            get(domain).put(update_domain).delete(delete_domain),
        )
        .route(
            "/v1/domains/{domain_id}/records",
            get(list_records).post(create_record),
        )
        .route(
            "/v1/domains/{domain_id}/records/{record_id}",
            get(record).put(update_record).delete(delete_record),
        )
}

/// Designate's timestamps: no zone suffix, microseconds.
fn stamp(at: i64) -> String {
    jiff::Timestamp::from_millisecond(at)
        .map(|t| t.strftime("%Y-%m-%dT%H:%M:%S%.6f").to_string())
        .unwrap_or_default()
}

/// `hostmaster@example.com` ⇄ the SOA RNAME `hostmaster.example.com.`.
fn email_of(rname: &Name) -> String {
    let text = rname.as_str().trim_end_matches('.');
    match text.split_once('.') {
        Some((user, domain)) => format!("{}@{domain}", user.replace("\\.", ".")),
        None => text.to_string(),
    }
}

fn rname_of(email: &str) -> ApiResult<Name> {
    let (user, domain) = email.trim().split_once('@').ok_or_else(|| {
        ApiError::validation("email", "must be an address like hostmaster@example.com")
    })?;
    Name::parse_absolute(&format!("{}.{domain}", user.replace('.', "\\.")))
        .map_err(|e| ApiError::validation("email", e.to_string()))
}

fn domain_view(zone: &Zone) -> Value {
    json!({
        "id": zone.id,
        "name": zone.name.to_string(),
        "email": email_of(&zone.soa.rname),
        "ttl": zone.default_ttl,
        "serial": zone.serial,
        "description": zone.description,
        "created_at": stamp(zone.created_at),
        "updated_at": (zone.updated_at != zone.created_at).then(|| stamp(zone.updated_at)),
    })
}

async fn list_domains(State(state): State<ApiState>, caller: Caller) -> ApiResult<Json<Value>> {
    caller.dns(Scope::DnsList)?;
    let zones = state
        .service
        .store()
        .list_zones(&ZoneFilter {
            org_id: (!caller.is_admin()).then_some(caller.org.id),
            project_id: caller.token.project_id,
            ..ZoneFilter::default()
        })
        .await?;
    Ok(Json(
        json!({"domains": zones.iter().map(domain_view).collect::<Vec<_>>()}),
    ))
}

#[derive(Deserialize)]
struct DomainBody {
    name: Option<String>,
    email: Option<String>,
    ttl: Option<u32>,
    description: Option<String>,
}

async fn create_domain(
    State(state): State<ApiState>,
    caller: Caller,
    ApiJson(body): ApiJson<DomainBody>,
) -> ApiResult<Response> {
    caller.dns(Scope::DnsCreate)?;
    let name = body
        .name
        .as_deref()
        .ok_or_else(|| ApiError::validation("name", "is required"))?;
    if !name.trim().ends_with('.') {
        return Err(ApiError::validation(
            "name",
            "must be a fully qualified name ending in '.'",
        ));
    }
    let name = crate::views::hosted_zone_name(name, "name")?;
    let rname = body
        .email
        .as_deref()
        .ok_or_else(|| ApiError::validation("email", "is required"))
        .and_then(rname_of)?;
    let mut new = NewZone::new(name, caller.org.id);
    new.project_id = caller.token.project_id;
    new.default_ttl = body.ttl;
    new.description = body.description;
    let zone = state
        .service
        .create_zone(new, &actor(&caller, DIALECT))
        .await?;
    let mut soa = zone.soa.clone();
    soa.rname = rname;
    let zone = state
        .service
        .apply_zone_update(
            zone.id,
            ZoneUpdate {
                soa: Some(soa),
                ..ZoneUpdate::default()
            },
            &actor(&caller, DIALECT),
        )
        .await?
        .zone;
    Ok(located(
        &format!("/v1/domains/{}", zone.id),
        domain_view(&zone),
    ))
}

/// 200 with the created thing and where it lives, as Designate v1 answered.
fn located(path: &str, body: Value) -> Response {
    let mut response = (StatusCode::OK, Json(body)).into_response();
    if let Ok(value) = HeaderValue::from_str(path) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
}

async fn domain(
    State(state): State<ApiState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let zone = visible_zone(&state, &caller, &id).await?;
    caller.dns(Scope::DnsRead)?;
    Ok(Json(domain_view(&zone)))
}

async fn update_domain(
    State(state): State<ApiState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<DomainBody>,
) -> ApiResult<Json<Value>> {
    let zone = visible_zone(&state, &caller, &id).await?;
    caller.dns(Scope::DnsUpdate)?;
    must_own(&caller, &zone)?;
    if let Some(name) = &body.name
        && Name::parse_absolute(name.trim()).ok().as_ref() != Some(&zone.name)
    {
        return Err(ApiError::validation("name", "a domain cannot be renamed"));
    }
    let soa = match &body.email {
        Some(email) => {
            let mut soa = zone.soa.clone();
            soa.rname = rname_of(email)?;
            Some(soa)
        }
        None => None,
    };
    let update = ZoneUpdate {
        default_ttl: body.ttl,
        description: body.description.map(Some),
        soa,
        ..ZoneUpdate::default()
    };
    let zone = state
        .service
        .apply_zone_update(zone.id, update, &actor(&caller, DIALECT))
        .await?
        .zone;
    Ok(Json(domain_view(&zone)))
}

async fn delete_domain(
    State(state): State<ApiState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    let zone = visible_zone(&state, &caller, &id).await?;
    caller.dns(Scope::DnsDelete)?;
    must_own(&caller, &zone)?;
    state
        .service
        .delete_zone(zone.id, true, &actor(&caller, DIALECT))
        .await?;
    Ok(StatusCode::OK)
}

fn record_view(record: &Record, zone: &Zone) -> Value {
    json!({
        "id": record.id,
        "name": record.name.to_string(),
        "type": record.rtype.to_string(),
        "ttl": record.ttl,
        "created_at": stamp(record.created_at),
        "updated_at": (record.updated_at != record.created_at).then(|| stamp(record.updated_at)),
        "data": plain_value(&record.rdata),
        "domain_id": zone.id,
        "tenant_id": zone.org_id,
        "priority": crate::views::split_priority(&record.rdata).0,
        "description": record.description,
        "version": record.version,
    })
}

/// Designate writes the apex as `.example.com.` in its examples.
fn record_name(text: &str) -> ApiResult<Name> {
    let text = text.trim();
    let text = text.strip_prefix('.').unwrap_or(text);
    // A name outside the domain is the core's zone rules' to refuse.
    Name::parse_absolute(text).map_err(|e| ApiError::validation("name", e.to_string()))
}

#[derive(Deserialize)]
struct RecordBody {
    name: Option<String>,
    #[serde(rename = "type")]
    rtype: Option<String>,
    data: Option<String>,
    priority: Option<u32>,
    #[serde(default, with = "crate::extract::double_option")]
    ttl: Option<Option<u32>>,
    #[serde(default, with = "crate::extract::double_option")]
    description: Option<Option<String>>,
}

async fn list_records(
    State(state): State<ApiState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let zone = visible_zone(&state, &caller, &id).await?;
    caller.dns(Scope::DnsRead)?;
    let records = state.service.store().records(zone.id).await?;
    Ok(Json(json!({
        "records": records.iter().map(|r| record_view(r, &zone)).collect::<Vec<_>>(),
    })))
}

async fn create_record(
    State(state): State<ApiState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<RecordBody>,
) -> ApiResult<Response> {
    let zone = zone_to_edit(&state, &caller, &id, Scope::DnsCreate).await?;
    let rtype = crate::views::record_type(
        body.rtype
            .as_deref()
            .ok_or_else(|| ApiError::validation("type", "is required"))?,
        "type",
    )?;
    let ttl = body.ttl.flatten();
    policy().check(rtype, ttl, body.priority.is_some(), None)?;
    let name = record_name(
        body.name
            .as_deref()
            .ok_or_else(|| ApiError::validation("name", "is required"))?,
    )?;
    let data = body
        .data
        .as_deref()
        .ok_or_else(|| ApiError::validation("data", "is required"))?;
    let record = NewRecord {
        name,
        ttl,
        rdata: rdata_from_value(rtype, data, body.priority, &zone.name, "data")?,
        description: body.description.flatten(),
    };
    let (zone, created) =
        crate::writes::add(&state, &zone, record, &actor(&caller, DIALECT), None).await?;
    Ok(located(
        &format!("/v1/domains/{}/records/{}", zone.id, created.id),
        record_view(&created, &zone),
    ))
}

async fn record(
    State(state): State<ApiState>,
    caller: Caller,
    Path((id, record_id)): Path<(String, String)>,
) -> ApiResult<Json<Value>> {
    let zone = visible_zone(&state, &caller, &id).await?;
    caller.dns(Scope::DnsRead)?;
    Ok(Json(record_view(
        &crate::writes::record_of(&state, &zone, &record_id, false).await?,
        &zone,
    )))
}

/// Fields left out keep their value; `ttl: null` goes back to inheriting.
async fn update_record(
    State(state): State<ApiState>,
    caller: Caller,
    Path((id, record_id)): Path<(String, String)>,
    _headers: HeaderMap,
    ApiJson(body): ApiJson<RecordBody>,
) -> ApiResult<Json<Value>> {
    let zone = zone_to_edit(&state, &caller, &id, Scope::DnsUpdate).await?;
    let record = crate::writes::record_of(&state, &zone, &record_id, false).await?;
    crate::views::same_type(body.rtype.as_deref(), &record, "type")?;
    let rdata = if body.data.is_some() || body.priority.is_some() {
        let (old_priority, _) = crate::views::split_priority(&record.rdata);
        let data = body
            .data
            .clone()
            .unwrap_or_else(|| plain_value(&record.rdata));
        Some(rdata_from_value(
            record.rtype,
            &data,
            body.priority.or(old_priority),
            &zone.name,
            "data",
        )?)
    } else {
        None
    };
    let update = RecordUpdate {
        name: body.name.as_deref().map(record_name).transpose()?,
        ttl: body.ttl,
        rdata,
        description: body.description.clone(),
    };
    let (zone, after) = crate::writes::update(
        &state,
        &zone,
        record,
        update,
        &actor(&caller, DIALECT),
        None,
    )
    .await?;
    Ok(Json(record_view(&after, &zone)))
}

async fn delete_record(
    State(state): State<ApiState>,
    caller: Caller,
    Path((id, record_id)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    let zone = zone_to_edit(&state, &caller, &id, Scope::DnsDelete).await?;
    let record = crate::writes::record_of(&state, &zone, &record_id, false).await?;
    crate::writes::delete(&state, &zone, &record, &actor(&caller, DIALECT), None).await?;
    Ok(StatusCode::OK)
}
