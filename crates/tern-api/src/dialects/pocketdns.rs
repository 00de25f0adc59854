//! PocketDNS's DNS Records API (seed 004), base
//! `/api/v1/domains/{domain_id}/dns` (the domain id is the zone id of the
//! native API). Records as `type`/`name`/`content`/`ttl` (default 300)/
//! `priority`; MX takes its priority separately (required), SRV carries
//! `priority weight port target` in `content`. Its promises beyond the zone
//! rules — types A, AAAA, CNAME, MX, TXT, SRV, NS; TTL 60–86400; TXT
//! strings ≤ 255; no name label starting or ending with a hyphen — are
//! core rules (`tern_core::policy`). Bulk creation reports each
//! refused record and commits the rest as one change; templates apply as
//! one change too.

use std::collections::BTreeMap;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};
use tern_core::policy::{RecordPolicy, no_hyphen_at_label_edges};
use tern_core::{
    Change, ChangeSet, CoreError, Name, NewRecord, Rdata, Record, RecordType, RecordUpdate, Scope,
    Zone,
};

use super::actor;
use crate::ApiState;
use crate::access::{find_template, visible_zone, zone_to_edit};
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::extract::ApiJson;
use crate::views::{iso, owner_name, record_type, relative_name, required, same_type};

const DIALECT: &str = "pocketdns";
const DEFAULT_TTL: u32 = 300;

fn policy() -> RecordPolicy {
    RecordPolicy {
        types: Some(vec![
            RecordType::A,
            RecordType::AAAA,
            RecordType::CNAME,
            RecordType::MX,
            RecordType::TXT,
            RecordType::SRV,
            RecordType::NS,
        ]),
        ttl_range: Some((60, 86_400)),
        priority_required: true,
        txt_string_max: Some(255),
    }
}

pub fn routes() -> Router<ApiState> {
    Router::new()
        .route("/api/v1/domains/{domain_id}/dns", get(list).post(create))
        .route("/api/v1/domains/{domain_id}/dns/bulk", post(bulk))
        .route("/api/v1/domains/{domain_id}/dns/template", post(template))
        .route(
            "/api/v1/domains/{domain_id}/dns/{record_id}",
            put(update).delete(delete),
        )
}

fn record_view(record: &Record, zone: &Zone) -> Value {
    // SRV shows its whole RDATA (priority included), as the seed writes it.
    let content = match &record.rdata {
        Rdata::Txt(_) => super::plain_value(&record.rdata),
        rdata if rdata.rtype() == RecordType::SRV => rdata.to_string(),
        rdata => crate::views::split_priority(rdata).1,
    };
    json!({
        "id": record.id,
        "type": record.rtype.to_string(),
        "name": relative_name(&record.name, &zone.name),
        "content": content,
        "ttl": record.effective_ttl(zone.default_ttl),
        "priority": crate::views::split_priority(&record.rdata).0,
        "created_at": iso(record.created_at),
        "updated_at": iso(record.updated_at),
    })
}

#[derive(Deserialize, Clone, serde::Serialize)]
struct RecordBody {
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    rtype: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    content: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    ttl: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    priority: Option<u32>,
}

/// RDATA from `content` (+ `priority`) under the core's API content rule
/// (unquoted TXT is one string; the policy holds it to 255); SRV may carry
/// its priority in `content`.
fn rdata(
    rtype: RecordType,
    content: &str,
    priority: Option<u32>,
    zone: &Name,
) -> ApiResult<(Rdata, bool)> {
    let content = content.trim();
    if rtype == RecordType::SRV && content.split_whitespace().count() == 4 {
        if priority.is_some() {
            return Err(ApiError::validation(
                "priority",
                "give the SRV priority in content (priority weight port target) or in priority, not both",
            ));
        }
        return crate::views::rdata_from_api(rtype, content, None, zone, "").map(|r| (r, true));
    }
    crate::views::rdata_from_api(rtype, content, priority, zone, "")
        .map(|r| (r, priority.is_some()))
}

/// An owner name as the seed allows it: no label starting or ending with a
/// hyphen.
fn record_name(text: &str, zone: &Zone) -> ApiResult<Name> {
    let name = owner_name(text, &zone.name, "name")?;
    no_hyphen_at_label_edges(&name, &zone.name)?;
    Ok(name)
}

fn new_record(zone: &Zone, body: &RecordBody) -> ApiResult<NewRecord> {
    let rtype = record_type(required(&body.rtype, "type")?, "type")?;
    let name = record_name(required(&body.name, "name")?, zone)?;
    let ttl = body.ttl.unwrap_or(DEFAULT_TTL);
    let content = required(&body.content, "content")?;
    let priority_given = body.priority.is_some()
        || (rtype == RecordType::SRV && content.split_whitespace().count() == 4);
    policy()
        .check(rtype, Some(ttl), priority_given, None)
        .map_err(|e| match e {
            // The seed's own words for this one.
            CoreError::Validation { field, .. } if field == "priority" => ApiError::validation(
                "priority",
                format!("Priority is required for {rtype} records"),
            ),
            other => other.into(),
        })?;
    policy().check(rtype, Some(ttl), true, Some(content))?;
    let (rdata, _) = rdata(rtype, content, body.priority, &zone.name)?;
    Ok(NewRecord {
        name,
        ttl: Some(ttl),
        rdata,
        description: None,
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

async fn list(
    State(state): State<ApiState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let zone = visible_zone(&state, &caller, &id).await?;
    caller.dns(Scope::DnsRead)?;
    let records = user_records(&state, &zone).await?;
    Ok(Json(json!({
        "records": records.iter().map(|r| record_view(r, &zone)).collect::<Vec<_>>(),
        "total": records.len(),
    })))
}

async fn create(
    State(state): State<ApiState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<RecordBody>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let zone = zone_to_edit(&state, &caller, &id, Scope::DnsCreate).await?;
    let record = new_record(&zone, &body)?;
    let (zone, created) =
        crate::writes::add(&state, &zone, record, &actor(&caller, DIALECT), None).await?;
    Ok((StatusCode::CREATED, Json(record_view(&created, &zone))))
}

/// PUT is partial here: "only provided fields will be updated".
async fn update(
    State(state): State<ApiState>,
    caller: Caller,
    Path((id, record_id)): Path<(String, String)>,
    ApiJson(body): ApiJson<RecordBody>,
) -> ApiResult<Json<Value>> {
    let zone = zone_to_edit(&state, &caller, &id, Scope::DnsUpdate).await?;
    let record = crate::writes::record_of(&state, &zone, &record_id, true).await?;
    same_type(body.rtype.as_deref(), &record, "type")?;
    policy().check(record.rtype, body.ttl, true, None)?;
    let rdata = match (&body.content, body.priority) {
        (None, None) => None,
        (content, priority) => {
            let (old_priority, old_content) = crate::views::split_priority(&record.rdata);
            let content = content
                .clone()
                .unwrap_or(if record.rtype == RecordType::TXT {
                    super::plain_value(&record.rdata)
                } else {
                    old_content
                });
            let priority = if record.rtype == RecordType::SRV && body.content.is_some() {
                priority
            } else {
                priority.or(old_priority)
            };
            policy().check(record.rtype, None, true, Some(&content))?;
            let (rdata, given) = rdata(record.rtype, &content, priority, &zone.name)?;
            policy().check(record.rtype, None, given, None)?;
            Some(rdata)
        }
    };
    let update = RecordUpdate {
        name: body
            .name
            .as_deref()
            .map(|n| record_name(n, &zone))
            .transpose()?,
        ttl: body.ttl.map(Some),
        rdata,
        description: None,
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

async fn delete(
    State(state): State<ApiState>,
    caller: Caller,
    Path((id, record_id)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    let zone = zone_to_edit(&state, &caller, &id, Scope::DnsDelete).await?;
    let record = crate::writes::record_of(&state, &zone, &record_id, true).await?;
    crate::writes::delete(&state, &zone, &record, &actor(&caller, DIALECT), None).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
struct BulkBody {
    records: Vec<Value>,
}

/// Each record is checked alone; those that pass are committed together.
/// When the zone rules refuse some of them (a CNAME beside data, …), those
/// move to `errors` and the rest is committed: one journal entry for what
/// was created.
async fn bulk(
    State(state): State<ApiState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<BulkBody>,
) -> ApiResult<Json<Value>> {
    let zone = zone_to_edit(&state, &caller, &id, Scope::DnsCreate).await?;
    if body.records.is_empty() {
        return Err(ApiError::validation(
            "records",
            "at least one record is required",
        ));
    }
    let mut errors = Vec::new();
    let mut pending: Vec<(Value, NewRecord)> = Vec::new();
    for raw in body.records {
        let parsed = serde_json::from_value::<RecordBody>(raw.clone())
            .map_err(|e| ApiError::validation("records", e.to_string()))
            .and_then(|b| new_record(&zone, &b));
        match parsed {
            Ok(record) => pending.push((raw, record)),
            Err(e) => errors.push(json!({"record": raw, "error": e.detail})),
        }
    }
    let mut created = Vec::new();
    let mut zone_after = zone.clone();
    while !pending.is_empty() {
        let changes = pending
            .iter()
            .map(|(_, r)| Change::Add(r.clone()))
            .collect();
        match state
            .service
            .apply(zone.id, ChangeSet::new(changes), &actor(&caller, DIALECT))
            .await
        {
            Ok(outcome) => {
                zone_after = outcome.zone.clone();
                created = outcome.added().to_vec();
                break;
            }
            Err(CoreError::Rules(violations)) => {
                // Take out the records the rules name, then try the rest.
                let before = pending.len();
                pending.retain(|(raw, record)| {
                    let hit = violations
                        .iter()
                        .find(|v| v.name == record.name && v.rtype == record.rdata.rtype());
                    if let Some(v) = hit {
                        errors.push(json!({"record": raw, "error": v.reason}));
                        false
                    } else {
                        true
                    }
                });
                if pending.len() == before {
                    return Err(CoreError::Rules(violations).into());
                }
            }
            Err(e) => return Err(e.into()),
        }
    }
    Ok(Json(json!({
        "created": created.iter().map(|r| record_view(r, &zone_after)).collect::<Vec<_>>(),
        "errors": errors,
    })))
}

#[derive(Deserialize)]
struct TemplateBody {
    template_id: String,
    variables: Option<Value>,
}

async fn template(
    State(state): State<ApiState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<TemplateBody>,
) -> ApiResult<Json<Value>> {
    let zone = zone_to_edit(&state, &caller, &id, Scope::DnsCreate).await?;
    let template = find_template(&state, &caller, &body.template_id)
        .await
        .map_err(|e| e.with_field("template_id"))?;
    let variables: BTreeMap<String, String> =
        crate::templates::variables_of(body.variables, "variables")?;
    let (zone, created) =
        crate::templates::apply_template(&state, &caller, &zone, &template, &variables).await?;
    Ok(Json(json!({
        "template_id": template.id,
        "records_created": created.iter().map(|r| json!({
            "id": r.id,
            "type": r.rtype.to_string(),
            "name": relative_name(&r.name, &zone.name),
            "content": crate::views::split_priority(&r.rdata).1,
        })).collect::<Vec<_>>(),
    })))
}
