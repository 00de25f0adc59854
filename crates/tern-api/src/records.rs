//! Records of a zone: one by one (`/records`), as RRsets
//! (`/rrsets/{name}/{type}`), as an atomic ordered batch (`/changes`), and
//! the zone's history from the journal (`GET /changes`, revert). Every
//! write is one `ChangeSet` through `ZoneService`.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use serde::Deserialize;
use serde_json::{Value, json};
use tern_core::{
    Change, ChangeSet, CommitOutcome, JournalEntry, NewRecord, Record, RecordType, RecordUpdate,
    Scope, Zone,
};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::ApiState;
use crate::access::{actor, may_edit, visible_zone, zone_to_edit};
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiQuery};
use crate::views::{
    Page, RecordView, iso, owner_name, paging, rdata_from_api, record_type, relative_name,
    required, same_type,
};

pub fn routes() -> OpenApiRouter<ApiState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(detail, patch, put, delete))
        .routes(routes!(rrset, replace_rrset, delete_rrset))
        .routes(routes!(history, batch))
        .routes(routes!(revert))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct ListQuery {
    page: Option<usize>,
    page_size: Option<usize>,
    name: Option<String>,
    #[serde(rename = "type")]
    rtype: Option<String>,
    search: Option<String>,
}

#[utoipa::path(
    get,
    path = "/api/v1/domains/{domain_id}/records",
    tag = "records",
    summary = "List records",
    params(("domain_id" = String, Path, description = "zone id"), ListQuery),
    responses((status = 200, description = "OK", body = Page<RecordView>), crate::openapi::StandardErrors)
)]
async fn list(
    State(state): State<ApiState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiQuery(query): ApiQuery<ListQuery>,
) -> ApiResult<Json<Page<RecordView>>> {
    let zone = visible_zone(&state, &caller, &id).await?;
    caller.dns(Scope::DnsRead)?;
    let (page, page_size) = paging(query.page, query.page_size)?;
    let name = query
        .name
        .as_deref()
        .map(|n| owner_name(n, &zone.name, "name"))
        .transpose()?;
    let rtype = query
        .rtype
        .as_deref()
        .map(|t| record_type(t, "type"))
        .transpose()?;
    let filter = tern_core::RecordFilter {
        name,
        rtype,
        search: query.search.filter(|s| !s.is_empty()),
    };
    let offset = ((page - 1) as u64).saturating_mul(page_size as u64);
    let (records, total) = state
        .service
        .store()
        .records_page(zone.id, &filter, offset, page_size as u64)
        .await?;
    let total = usize::try_from(total).unwrap_or(usize::MAX);
    Ok(Json(Page {
        data: records.iter().map(|r| RecordView::of(r, &zone)).collect(),
        total,
        page,
        page_size,
        total_pages: total.div_ceil(page_size),
    }))
}

/// A record as the API takes it. For PATCH every field is optional; `ttl`
/// null means "inherit the zone default".
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct RecordInput {
    name: Option<String>,
    #[serde(rename = "type")]
    rtype: Option<String>,
    content: Option<String>,
    #[serde(default, with = "crate::extract::double_option")]
    ttl: Option<Option<u32>>,
    priority: Option<u32>,
    #[serde(default, with = "crate::extract::double_option")]
    description: Option<Option<String>>,
}

/// A new record from input; `prefix` locates errors inside a batch.
fn new_record(zone: &Zone, input: &RecordInput, prefix: &str) -> ApiResult<NewRecord> {
    let rtype = record_type(
        required(&input.rtype, &format!("{prefix}type"))?,
        &format!("{prefix}type"),
    )?;
    let name = owner_name(
        input.name.as_deref().unwrap_or("@"),
        &zone.name,
        &format!("{prefix}name"),
    )?;
    let content = required(&input.content, &format!("{prefix}content"))?;
    Ok(NewRecord {
        name,
        ttl: input.ttl.flatten(),
        rdata: rdata_from_api(rtype, content, input.priority, &zone.name, prefix)?,
        description: input.description.clone().flatten(),
    })
}

/// The change an update makes to `record` (only the given fields).
fn record_update(
    zone: &Zone,
    record: &Record,
    input: &RecordInput,
    prefix: &str,
) -> ApiResult<RecordUpdate> {
    same_type(input.rtype.as_deref(), record, &format!("{prefix}type"))?;
    let name = input
        .name
        .as_deref()
        .map(|n| owner_name(n, &zone.name, &format!("{prefix}name")))
        .transpose()?;
    let rdata = match (&input.content, input.priority) {
        (None, None) => None,
        (content, priority) => {
            // A new priority alone keeps the content, and the other way round.
            let (old_priority, old_content) = crate::views::split_priority(&record.rdata);
            let content = content.clone().unwrap_or(old_content);
            Some(rdata_from_api(
                record.rtype,
                &content,
                priority.or(old_priority),
                &zone.name,
                prefix,
            )?)
        }
    };
    Ok(RecordUpdate {
        name,
        ttl: input.ttl,
        rdata,
        description: input.description.clone(),
    })
}

/// The zone serial an `If-Match` header names (optimistic concurrency).
fn if_match(headers: &HeaderMap) -> ApiResult<Option<u32>> {
    headers
        .get(axum::http::header::IF_MATCH)
        .map(|v| {
            v.to_str()
                .ok()
                .map(|t| t.trim().trim_start_matches("W/").trim_matches('"'))
                .and_then(|t| t.parse::<u32>().ok())
                .ok_or_else(|| {
                    ApiError::validation("If-Match", "must be the zone serial, e.g. \"2026112301\"")
                })
        })
        .transpose()
}

/// Commits one change set; 412 when `If-Match` names another serial.
async fn commit(
    state: &ApiState,
    caller: &Caller,
    zone: &Zone,
    changes: Vec<Change>,
    headers: &HeaderMap,
    expected_serial: Option<u32>,
) -> ApiResult<CommitOutcome> {
    let set = ChangeSet {
        changes,
        expected_serial: if_match(headers)?.or(expected_serial),
    };
    Ok(state
        .service
        .apply_on(zone.clone(), set, &actor(caller))
        .await?)
}

#[utoipa::path(
    post,
    path = "/api/v1/domains/{domain_id}/records",
    tag = "records",
    summary = "Create a record",
    params(("domain_id" = String, Path, description = "zone id")),
    request_body = RecordInput,
    responses((status = 201, description = "Created", body = RecordView), (status = 412, description = "If-Match serial differs", body = crate::openapi::ErrorBody), (status = 422, description = "Breaks a zone rule", body = crate::openapi::ErrorBody), crate::openapi::StandardErrors)
)]
async fn create(
    State(state): State<ApiState>,
    caller: Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
    ApiJson(input): ApiJson<RecordInput>,
) -> ApiResult<(StatusCode, Json<RecordView>)> {
    let zone = zone_to_edit(&state, &caller, &id, Scope::DnsCreate).await?;
    let record = new_record(&zone, &input, "")?;
    let (zone, created) =
        crate::writes::add(&state, &zone, record, &actor(&caller), if_match(&headers)?).await?;
    Ok((StatusCode::CREATED, Json(RecordView::of(&created, &zone))))
}

#[utoipa::path(
    get,
    path = "/api/v1/domains/{domain_id}/records/{record_id}",
    tag = "records",
    summary = "Get a record",
    params(("domain_id" = String, Path, description = "zone id"), ("record_id" = String, Path, description = "record id")),
    responses((status = 200, description = "OK", body = RecordView), crate::openapi::StandardErrors)
)]
async fn detail(
    State(state): State<ApiState>,
    caller: Caller,
    Path((id, record_id)): Path<(String, String)>,
) -> ApiResult<Json<RecordView>> {
    let zone = visible_zone(&state, &caller, &id).await?;
    caller.dns(Scope::DnsRead)?;
    let record = crate::writes::record_of(&state, &zone, &record_id, false).await?;
    Ok(Json(RecordView::of(&record, &zone)))
}

async fn updated(
    state: &ApiState,
    caller: &Caller,
    zone: &Zone,
    record: &Record,
    update: RecordUpdate,
    headers: &HeaderMap,
) -> ApiResult<Json<RecordView>> {
    let (zone, after) = crate::writes::update(
        state,
        zone,
        record.clone(),
        update,
        &actor(caller),
        if_match(headers)?,
    )
    .await?;
    Ok(Json(RecordView::of(&after, &zone)))
}

#[utoipa::path(
    patch,
    path = "/api/v1/domains/{domain_id}/records/{record_id}",
    tag = "records",
    summary = "Change some fields of a record",
    params(("domain_id" = String, Path, description = "zone id"), ("record_id" = String, Path, description = "record id")),
    request_body = RecordInput,
    responses((status = 200, description = "OK", body = RecordView), (status = 422, description = "Breaks a zone rule", body = crate::openapi::ErrorBody), crate::openapi::StandardErrors)
)]
async fn patch(
    State(state): State<ApiState>,
    caller: Caller,
    Path((id, record_id)): Path<(String, String)>,
    headers: HeaderMap,
    ApiJson(input): ApiJson<RecordInput>,
) -> ApiResult<Json<RecordView>> {
    let zone = zone_to_edit(&state, &caller, &id, Scope::DnsUpdate).await?;
    let record = crate::writes::record_of(&state, &zone, &record_id, false).await?;
    let update = record_update(&zone, &record, &input, "")?;
    updated(&state, &caller, &zone, &record, update, &headers).await
}

/// PUT replaces the record: what is not given returns to its default (TTL
/// inherited, no description).
#[utoipa::path(
    put,
    path = "/api/v1/domains/{domain_id}/records/{record_id}",
    tag = "records",
    summary = "Replace a record",
    params(("domain_id" = String, Path, description = "zone id"), ("record_id" = String, Path, description = "record id")),
    request_body = RecordInput,
    responses((status = 200, description = "OK", body = RecordView), (status = 422, description = "Breaks a zone rule", body = crate::openapi::ErrorBody), crate::openapi::StandardErrors)
)]
async fn put(
    State(state): State<ApiState>,
    caller: Caller,
    Path((id, record_id)): Path<(String, String)>,
    headers: HeaderMap,
    ApiJson(input): ApiJson<RecordInput>,
) -> ApiResult<Json<RecordView>> {
    let zone = zone_to_edit(&state, &caller, &id, Scope::DnsUpdate).await?;
    let record = crate::writes::record_of(&state, &zone, &record_id, false).await?;
    required(&input.content, "content")?;
    let mut update = record_update(&zone, &record, &input, "")?;
    update.name = Some(owner_name(
        input.name.as_deref().unwrap_or("@"),
        &zone.name,
        "name",
    )?);
    update.ttl = Some(input.ttl.flatten());
    update.description = Some(input.description.clone().flatten());
    updated(&state, &caller, &zone, &record, update, &headers).await
}

#[utoipa::path(
    delete,
    path = "/api/v1/domains/{domain_id}/records/{record_id}",
    tag = "records",
    summary = "Delete a record",
    params(("domain_id" = String, Path, description = "zone id"), ("record_id" = String, Path, description = "record id")),
    responses((status = 204, description = "Deleted"), crate::openapi::StandardErrors)
)]
async fn delete(
    State(state): State<ApiState>,
    caller: Caller,
    Path((id, record_id)): Path<(String, String)>,
    headers: HeaderMap,
) -> ApiResult<StatusCode> {
    let zone = zone_to_edit(&state, &caller, &id, Scope::DnsDelete).await?;
    let record = crate::writes::record_of(&state, &zone, &record_id, false).await?;
    crate::writes::delete(&state, &zone, &record, &actor(&caller), if_match(&headers)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn rrset_records(
    state: &ApiState,
    zone: &Zone,
    name: &str,
    rtype: &str,
) -> ApiResult<(tern_core::Name, RecordType, Vec<Record>)> {
    let name = owner_name(name, &zone.name, "name")?;
    let rtype = record_type(rtype, "type")?;
    let records = state
        .service
        .store()
        .records_at(zone.id, std::slice::from_ref(&name))
        .await?
        .into_iter()
        .filter(|r| r.rtype == rtype)
        .collect();
    Ok((name, rtype, records))
}

fn rrset_view(zone: &Zone, name: &tern_core::Name, rtype: RecordType, records: &[Record]) -> Value {
    json!({
        "name": relative_name(name, &zone.name),
        "fqdn": name.to_string(),
        "type": rtype.to_string(),
        "ttl": records.first().map(|r| r.effective_ttl(zone.default_ttl)),
        "records": records.iter().map(|r| RecordView::of(r, zone)).collect::<Vec<_>>(),
    })
}

#[utoipa::path(
    get,
    path = "/api/v1/domains/{domain_id}/rrsets/{name}/{rtype}",
    tag = "records",
    summary = "Get an RRset",
    params(("domain_id" = String, Path, description = "zone id"), ("name" = String, Path, description = "owner, @ for the apex"), ("rtype" = String, Path, description = "record type")),
    responses((status = 200, description = "OK", body = serde_json::Value), crate::openapi::StandardErrors)
)]
async fn rrset(
    State(state): State<ApiState>,
    caller: Caller,
    Path((id, name, rtype)): Path<(String, String, String)>,
) -> ApiResult<Json<Value>> {
    let zone = visible_zone(&state, &caller, &id).await?;
    caller.dns(Scope::DnsRead)?;
    let (name, rtype, records) = rrset_records(&state, &zone, &name, &rtype).await?;
    if records.is_empty() {
        return Err(ApiError::not_found(format!("RRset {name} {rtype}")));
    }
    Ok(Json(rrset_view(&zone, &name, rtype, &records)))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct RrsetInput {
    ttl: Option<u32>,
    records: Vec<RrsetRecord>,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct RrsetRecord {
    content: String,
    priority: Option<u32>,
    description: Option<String>,
}

#[utoipa::path(
    put,
    path = "/api/v1/domains/{domain_id}/rrsets/{name}/{rtype}",
    tag = "records",
    summary = "Replace an RRset",
    params(("domain_id" = String, Path, description = "zone id"), ("name" = String, Path), ("rtype" = String, Path)),
    request_body = RrsetInput,
    responses((status = 200, description = "OK", body = serde_json::Value), (status = 422, description = "Breaks a zone rule", body = crate::openapi::ErrorBody), crate::openapi::StandardErrors)
)]
async fn replace_rrset(
    State(state): State<ApiState>,
    caller: Caller,
    Path((id, name, rtype)): Path<(String, String, String)>,
    headers: HeaderMap,
    ApiJson(input): ApiJson<RrsetInput>,
) -> ApiResult<Json<Value>> {
    let zone = zone_to_edit(&state, &caller, &id, Scope::DnsUpdate).await?;
    let name = owner_name(&name, &zone.name, "name")?;
    let rtype = record_type(&rtype, "type")?;
    let records = input
        .records
        .iter()
        .enumerate()
        .map(|(i, r)| {
            Ok((
                rdata_from_api(
                    rtype,
                    &r.content,
                    r.priority,
                    &zone.name,
                    &format!("records[{i}]."),
                )?,
                r.description.clone(),
            ))
        })
        .collect::<ApiResult<Vec<_>>>()?;
    let change = Change::ReplaceRrset {
        name: name.clone(),
        rtype,
        ttl: input.ttl,
        records,
    };
    let outcome = commit(&state, &caller, &zone, vec![change], &headers, None).await?;
    let (_, _, now) =
        rrset_records(&state, &outcome.zone, name.as_str(), &rtype.to_string()).await?;
    Ok(Json(rrset_view(&outcome.zone, &name, rtype, &now)))
}

#[utoipa::path(
    delete,
    path = "/api/v1/domains/{domain_id}/rrsets/{name}/{rtype}",
    tag = "records",
    summary = "Delete an RRset",
    params(("domain_id" = String, Path, description = "zone id"), ("name" = String, Path), ("rtype" = String, Path)),
    responses((status = 204, description = "Deleted"), crate::openapi::StandardErrors)
)]
async fn delete_rrset(
    State(state): State<ApiState>,
    caller: Caller,
    Path((id, name, rtype)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> ApiResult<StatusCode> {
    let zone = zone_to_edit(&state, &caller, &id, Scope::DnsDelete).await?;
    let (name, rtype, records) = rrset_records(&state, &zone, &name, &rtype).await?;
    if records.is_empty() {
        return Err(ApiError::not_found(format!("RRset {name} {rtype}")));
    }
    commit(
        &state,
        &caller,
        &zone,
        vec![Change::DeleteRrset { name, rtype }],
        &headers,
        None,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct BatchInput {
    changes: Vec<BatchOp>,
    expected_serial: Option<u32>,
}

/// One operation of a batch: `{"op": "create", …record}`,
/// `{"op": "update", "id", …fields}`, `{"op": "delete", "id"}`,
/// `{"op": "replace", "name", "type", "ttl", "records"}`.
#[derive(Deserialize, utoipa::ToSchema)]
struct BatchOp {
    op: String,
    id: Option<Uuid>,
    #[serde(flatten)]
    #[schema(value_type = Object)]
    fields: serde_json::Map<String, Value>,
}

#[utoipa::path(
    post,
    path = "/api/v1/domains/{domain_id}/changes",
    tag = "records",
    summary = "Apply an ordered batch, all or nothing",
    params(("domain_id" = String, Path, description = "zone id")),
    request_body = BatchInput,
    responses((status = 200, description = "OK", body = serde_json::Value), (status = 412, description = "If-Match serial differs", body = crate::openapi::ErrorBody), (status = 422, description = "Breaks a zone rule", body = crate::openapi::ErrorBody), crate::openapi::StandardErrors)
)]
async fn batch(
    State(state): State<ApiState>,
    caller: Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
    ApiJson(input): ApiJson<BatchInput>,
) -> ApiResult<Json<Value>> {
    let zone = visible_zone(&state, &caller, &id).await?;
    caller.require_feature("dns")?;
    may_edit(&state, &caller, &zone).await?;
    if input.changes.is_empty() {
        return Err(ApiError::validation(
            "changes",
            "at least one change is required",
        ));
    }
    let ids: Vec<Uuid> = input.changes.iter().filter_map(|c| c.id).collect();
    let existing = state.service.store().records_by_id(zone.id, &ids).await?;
    let mut changes = Vec::with_capacity(input.changes.len());
    for (i, op) in input.changes.iter().enumerate() {
        let prefix = format!("changes[{i}].");
        let fields = || -> ApiResult<RecordInput> {
            crate::extract::parse_json(&serde_json::to_vec(&op.fields).unwrap_or_default()).map_err(
                |e| ApiError {
                    field: e.field.map(|f| format!("{prefix}{f}")),
                    ..e
                },
            )
        };
        let record_of = |id: Option<Uuid>| -> ApiResult<&Record> {
            let id =
                id.ok_or_else(|| ApiError::validation(format!("{prefix}id"), "is required"))?;
            existing
                .iter()
                .find(|r| r.id == id)
                .ok_or_else(|| ApiError::not_found(format!("record {id} ({prefix}id)")))
        };
        changes.push(match op.op.as_str() {
            "create" => {
                caller.require(Scope::DnsCreate)?;
                Change::Add(new_record(&zone, &fields()?, &prefix)?)
            }
            "update" => {
                caller.require(Scope::DnsUpdate)?;
                let record = record_of(op.id)?;
                Change::Update {
                    id: record.id,
                    update: record_update(&zone, record, &fields()?, &prefix)?,
                }
            }
            "delete" => {
                caller.require(Scope::DnsDelete)?;
                Change::Delete {
                    id: record_of(op.id)?.id,
                }
            }
            "replace" => {
                caller.require(Scope::DnsUpdate)?;
                let rrset: ReplaceOp =
                    crate::extract::parse_json(&serde_json::to_vec(&op.fields).unwrap_or_default())
                        .map_err(|e| ApiError {
                            field: e.field.map(|f| format!("{prefix}{f}")),
                            ..e
                        })?;
                let rtype = record_type(&rrset.rtype, &format!("{prefix}type"))?;
                let records = rrset
                    .records
                    .iter()
                    .enumerate()
                    .map(|(j, r)| {
                        Ok((
                            rdata_from_api(
                                rtype,
                                &r.content,
                                r.priority,
                                &zone.name,
                                &format!("{prefix}records[{j}]."),
                            )?,
                            r.description.clone(),
                        ))
                    })
                    .collect::<ApiResult<Vec<_>>>()?;
                Change::ReplaceRrset {
                    name: owner_name(&rrset.name, &zone.name, &format!("{prefix}name"))?,
                    rtype,
                    ttl: rrset.ttl,
                    records,
                }
            }
            other => {
                return Err(ApiError::validation(
                    format!("{prefix}op"),
                    format!("unknown operation '{other}'; use create, update, delete or replace"),
                ));
            }
        });
    }
    let outcome = commit(
        &state,
        &caller,
        &zone,
        changes,
        &headers,
        input.expected_serial,
    )
    .await?;
    Ok(Json(json!({
        "domain_id": zone.id,
        "changed": outcome.changed,
        "serial_before": outcome.serial_before,
        "serial_after": outcome.serial_after,
        "added": outcome.added().iter().map(|r| RecordView::of(r, &outcome.zone)).collect::<Vec<_>>(),
        "removed": outcome.removed().iter().map(|r| RecordView::of(r, &outcome.zone)).collect::<Vec<_>>(),
        "warnings": outcome.warnings,
    })))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct ReplaceOp {
    name: String,
    #[serde(rename = "type")]
    rtype: String,
    ttl: Option<u32>,
    records: Vec<RrsetRecord>,
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct HistoryQuery {
    page: Option<usize>,
    page_size: Option<usize>,
}

/// One journal entry: the user's records it changed, and what the signer
/// did beside them (how many DNSSEC records came and went, and each key
/// step, with its reason), as listings leave DNSSEC records out.
fn entry_view(entry: &JournalEntry, zone: &Zone) -> Value {
    let user = |records: &[tern_core::Record]| -> Vec<RecordView> {
        records
            .iter()
            .filter(|r| !tern_core::is_signer_owned(r.rtype))
            .map(|r| RecordView::of(r, zone))
            .collect()
    };
    let signer = |records: &[tern_core::Record]| {
        records
            .iter()
            .filter(|r| tern_core::is_signer_owned(r.rtype))
            .count()
    };
    json!({
        "seq": entry.seq,
        "serial_before": entry.serial_before,
        "serial_after": entry.serial_after,
        "principal": entry.principal.0,
        "source": entry.source.to_string(),
        "at": iso(entry.at),
        "added": user(&entry.added),
        "removed": user(&entry.removed),
        "dnssec": {
            "records_added": signer(&entry.added),
            "records_removed": signer(&entry.removed),
            "key_transitions": entry.key_transitions.iter().map(|t| json!({
                "key_id": t.key_id,
                "role": t.role.as_str(),
                "key_tag": t.key_tag,
                "state": t.state.as_str(),
                "reason": t.reason,
            })).collect::<Vec<_>>(),
        },
    })
}

/// The zone's journal, newest first.
#[utoipa::path(
    get,
    path = "/api/v1/domains/{domain_id}/changes",
    tag = "records",
    summary = "The zone history (journal), newest first",
    params(("domain_id" = String, Path, description = "zone id"), HistoryQuery),
    responses((status = 200, description = "OK", body = serde_json::Value), crate::openapi::StandardErrors)
)]
async fn history(
    State(state): State<ApiState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiQuery(query): ApiQuery<HistoryQuery>,
) -> ApiResult<Json<Page<Value>>> {
    let zone = visible_zone(&state, &caller, &id).await?;
    caller.dns(Scope::DnsRead)?;
    let (page, page_size) = paging(query.page, query.page_size)?;
    let offset = u32::try_from((page - 1).saturating_mul(page_size)).unwrap_or(u32::MAX);
    let store = state.service.store();
    let entries = store
        .zone_journal(zone.id, offset, page_size as u32)
        .await?;
    let total = usize::try_from(store.zone_journal_count(zone.id).await?).unwrap_or(usize::MAX);
    Ok(Json(Page {
        data: entries.iter().map(|e| entry_view(e, &zone)).collect(),
        total,
        page,
        page_size,
        total_pages: total.div_ceil(page_size),
    }))
}

/// Applies the inverse of the change that produced `serial`: what it added
/// is removed, what it removed is put back (records updated in place go
/// back to their old content).
#[utoipa::path(
    post,
    path = "/api/v1/domains/{domain_id}/changes/{serial}/revert",
    tag = "records",
    summary = "Revert one change",
    params(("domain_id" = String, Path, description = "zone id"), ("serial" = u32, Path, description = "serial the change produced")),
    responses((status = 200, description = "OK", body = serde_json::Value), crate::openapi::StandardErrors)
)]
async fn revert(
    State(state): State<ApiState>,
    caller: Caller,
    Path((id, serial)): Path<(String, String)>,
    headers: HeaderMap,
) -> ApiResult<Json<Value>> {
    let zone = zone_to_edit(&state, &caller, &id, Scope::DnsUpdate).await?;
    let serial: u32 = serial
        .parse()
        .map_err(|_| ApiError::validation("serial", "must be a zone serial"))?;
    let mut offset = 0;
    let entry = loop {
        let page = state
            .service
            .store()
            .zone_journal(zone.id, offset, 200)
            .await?;
        if page.is_empty() {
            return Err(ApiError::not_found(format!("change to serial {serial}")));
        }
        if let Some(entry) = page.iter().find(|e| e.serial_after == serial) {
            break entry.clone();
        }
        offset += 200;
    };
    let mut changes = Vec::new();
    for removed in &entry.removed {
        if entry.added.iter().any(|a| a.id == removed.id) {
            changes.push(Change::Update {
                id: removed.id,
                update: RecordUpdate {
                    name: Some(removed.name.clone()),
                    ttl: Some(removed.ttl),
                    rdata: Some(removed.rdata.clone()),
                    description: Some(removed.description.clone()),
                },
            });
        } else {
            changes.push(Change::Add(NewRecord {
                name: removed.name.clone(),
                ttl: removed.ttl,
                rdata: removed.rdata.clone(),
                description: removed.description.clone(),
            }));
        }
    }
    for added in &entry.added {
        if !entry.removed.iter().any(|r| r.id == added.id) {
            changes.push(Change::Delete { id: added.id });
        }
    }
    if changes.is_empty() {
        return Err(ApiError::validation(
            "serial",
            "that change touched no records (zone settings are changed back with PATCH)",
        ));
    }
    // Undoing creates deletes, undoing deletes creates: the same scopes.
    if changes.iter().any(|c| matches!(c, Change::Add(_))) {
        caller.require(Scope::DnsCreate)?;
    }
    if changes.iter().any(|c| matches!(c, Change::Delete { .. })) {
        caller.require(Scope::DnsDelete)?;
    }
    let outcome = commit(&state, &caller, &zone, changes, &headers, None).await?;
    Ok(Json(json!({
        "domain_id": zone.id,
        "reverted_serial": serial,
        "serial_before": outcome.serial_before,
        "serial_after": outcome.serial_after,
    })))
}
