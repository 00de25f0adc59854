//! `/api/v1/templates` (built-ins plus the organisation's own) and applying
//! one to a zone (`POST /api/v1/domains/{id}/apply-template`, or
//! `template_id` at zone creation): the rendered records go in as one batch.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use serde::Deserialize;
use serde_json::{Value, json};
use tern_core::template::{Template, TemplateRecord, TemplateVariable, builtin_templates};
use tern_core::{Change, ChangeSet, NewRecord, Scope, Zone, now_millis};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::ApiState;
use crate::access::{actor, find_template, may_change_templates, own_template, zone_to_edit};
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::extract::ApiJson;
use crate::views::{RecordView, iso, owner_name, rdata_from_api, record_type};

pub fn routes() -> OpenApiRouter<ApiState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(detail, replace, delete))
        .routes(routes!(apply))
}

fn view(template: &Template) -> Value {
    json!({
        "id": template.id,
        "name": template.name,
        "description": template.description,
        "builtin": template.org_id.is_none(),
        "variables": template.variables,
        "records": template.records,
        "created_at": template.org_id.map(|_| iso(template.created_at)),
        "updated_at": template.org_id.map(|_| iso(template.updated_at)),
    })
}

/// The records a template gives for `zone`, checked like any API input;
/// `field` names where the template came from in errors.
pub fn render_for_zone(
    template: &Template,
    variables: &BTreeMap<String, String>,
    zone: &tern_core::Name,
    default_ttl: Option<u32>,
) -> ApiResult<Vec<NewRecord>> {
    let rendered = template.render(variables)?;
    rendered
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let prefix = format!("template.records[{i}].");
            let rtype = record_type(&r.rtype, &format!("{prefix}type"))?;
            Ok(NewRecord {
                name: owner_name(&r.name, zone, &format!("{prefix}name"))?,
                ttl: r.ttl.or(default_ttl),
                rdata: rdata_from_api(rtype, &r.content, r.priority, zone, &prefix)?,
                description: Some(format!("template {}", template.id)),
            })
        })
        .collect()
}

/// Template variables as strings (numbers and booleans are accepted and
/// written as text).
pub fn variables_of(value: Option<Value>, field: &str) -> ApiResult<BTreeMap<String, String>> {
    let Some(value) = value else {
        return Ok(BTreeMap::new());
    };
    let Value::Object(map) = value else {
        return Err(ApiError::validation(
            field,
            "must be an object of variable values",
        ));
    };
    map.into_iter()
        .map(|(k, v)| {
            let text = match v {
                Value::String(s) => s,
                Value::Number(n) => n.to_string(),
                Value::Bool(b) => b.to_string(),
                _ => {
                    return Err(ApiError::validation(
                        format!("{field}.{k}"),
                        "must be a string",
                    ));
                }
            };
            Ok((k, text))
        })
        .collect()
}

#[utoipa::path(
    get,
    path = "/api/v1/templates",
    tag = "templates",
    summary = "Templates (built-in and own)",
    responses((status = 200, description = "OK", body = serde_json::Value), crate::openapi::StandardErrors)
)]
async fn list(State(state): State<ApiState>, caller: Caller) -> ApiResult<Json<Value>> {
    caller.dns(Scope::DnsRead)?;
    let mut templates = builtin_templates();
    templates.extend(state.service.store().list_templates(caller.org.id).await?);
    Ok(Json(
        json!({"data": templates.iter().map(view).collect::<Vec<_>>()}),
    ))
}

#[utoipa::path(
    get,
    path = "/api/v1/templates/{template_id}",
    tag = "templates",
    summary = "Get a template",
    params(("template_id" = String, Path)),
    responses((status = 200, description = "OK", body = serde_json::Value), crate::openapi::StandardErrors)
)]
async fn detail(
    State(state): State<ApiState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    caller.dns(Scope::DnsRead)?;
    Ok(Json(view(&find_template(&state, &caller, &id).await?)))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct TemplateInput {
    name: String,
    description: Option<String>,
    #[serde(default)]
    #[schema(value_type = Vec<Object>)]
    variables: Vec<TemplateVariable>,
    #[schema(value_type = Vec<Object>)]
    records: Vec<TemplateRecord>,
}

fn checked(template: Template) -> ApiResult<Template> {
    template.check()?;
    // Every record must be a record once filled in: type known now.
    for (i, record) in template.records.iter().enumerate() {
        record_type(&record.rtype, &format!("records[{i}].type"))?;
    }
    Ok(template)
}

#[utoipa::path(
    post,
    path = "/api/v1/templates",
    tag = "templates",
    summary = "Create a template",
    request_body = TemplateInput,
    responses((status = 201, description = "Created", body = serde_json::Value), crate::openapi::StandardErrors)
)]
async fn create(
    State(state): State<ApiState>,
    caller: Caller,
    ApiJson(input): ApiJson<TemplateInput>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    caller.dns(Scope::DnsCreate)?;
    may_change_templates(&caller)?;
    let now = now_millis();
    let template = checked(Template {
        id: format!("tpl_{}", tern_core::new_id().simple()),
        org_id: Some(caller.org.id),
        name: input.name,
        description: input.description,
        variables: input.variables,
        records: input.records,
        created_at: now,
        updated_at: now,
    })?;
    state.service.store().put_template(&template).await?;
    Ok((StatusCode::CREATED, Json(view(&template))))
}

#[utoipa::path(
    put,
    path = "/api/v1/templates/{template_id}",
    tag = "templates",
    summary = "Replace a template",
    params(("template_id" = String, Path)),
    request_body = TemplateInput,
    responses((status = 200, description = "OK", body = serde_json::Value), crate::openapi::StandardErrors)
)]
async fn replace(
    State(state): State<ApiState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<TemplateInput>,
) -> ApiResult<Json<Value>> {
    let existing = own_template(&state, &caller, &id).await?;
    caller.dns(Scope::DnsUpdate)?;
    let template = checked(Template {
        name: input.name,
        description: input.description,
        variables: input.variables,
        records: input.records,
        updated_at: now_millis(),
        ..existing
    })?;
    state.service.store().put_template(&template).await?;
    Ok(Json(view(&template)))
}

#[utoipa::path(
    delete,
    path = "/api/v1/templates/{template_id}",
    tag = "templates",
    summary = "Delete a template",
    params(("template_id" = String, Path)),
    responses((status = 204, description = "Deleted"), crate::openapi::StandardErrors)
)]
async fn delete(
    State(state): State<ApiState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    let template = own_template(&state, &caller, &id).await?;
    caller.dns(Scope::DnsDelete)?;
    state.service.store().delete_template(&template.id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct ApplyInput {
    template_id: String,
    #[serde(alias = "template_variables")]
    #[schema(value_type = Option<Object>)]
    variables: Option<Value>,
}

/// Applies `template` to `zone` in one change set; the records created.
pub async fn apply_template(
    state: &ApiState,
    caller: &Caller,
    zone: &Zone,
    template: &Template,
    variables: &BTreeMap<String, String>,
) -> ApiResult<(Zone, Vec<tern_core::Record>)> {
    let records = render_for_zone(template, variables, &zone.name, None)?;
    let outcome = state
        .service
        .apply(
            zone.id,
            ChangeSet::new(records.into_iter().map(Change::Add).collect()),
            &actor(caller),
        )
        .await?;
    let added = outcome.added().to_vec();
    Ok((outcome.zone, added))
}

#[utoipa::path(
    post,
    path = "/api/v1/domains/{domain_id}/apply-template",
    tag = "templates",
    summary = "Apply a template to a zone",
    params(("domain_id" = String, Path, description = "zone id")),
    request_body = ApplyInput,
    responses((status = 200, description = "OK", body = serde_json::Value), (status = 422, description = "Breaks a zone rule", body = crate::openapi::ErrorBody), crate::openapi::StandardErrors)
)]
async fn apply(
    State(state): State<ApiState>,
    caller: Caller,
    Path(id): Path<String>,
    _headers: HeaderMap,
    ApiJson(input): ApiJson<ApplyInput>,
) -> ApiResult<Json<Value>> {
    let zone = zone_to_edit(&state, &caller, &id, Scope::DnsCreate).await?;
    let template = find_template(&state, &caller, &input.template_id)
        .await
        .map_err(|e| e.with_field("template_id"))?;
    let variables = variables_of(input.variables, "variables")?;
    let (zone, created) = apply_template(&state, &caller, &zone, &template, &variables).await?;
    Ok(Json(json!({
        "template_id": template.id,
        "records_created": created.iter().map(|r| RecordView::of(r, &zone)).collect::<Vec<_>>(),
    })))
}
