//! `/api/v1/domains`: zones of the caller's organisation (ScaiDNS's Domains
//! reference): list with paging and filters, create, detail, metadata
//! update, soft and hard delete, restore, structured SOA, export and import.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;
use serde_json::{Value, json};
use tern_core::{
    ChangeSource, ImportMode, ImportOptions, NewZone, Scope, Zone, ZoneFilter, ZoneKind,
    ZoneStatus, ZoneUpdate,
};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::ApiState;
use crate::access::{actor, find_template, must_own, visible_zone};
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiQuery, parse_json};
use crate::views::{Page, SoaView, ZoneDetailView, ZoneView, paging, zone_name};

pub fn routes() -> OpenApiRouter<ApiState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(detail, update, delete))
        .routes(routes!(restore))
        .routes(routes!(soa))
        .routes(routes!(export))
        .routes(routes!(import))
        .route("/api/v1/domains/", get(list).post(create))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct ListQuery {
    page: Option<usize>,
    page_size: Option<usize>,
    status: Option<String>,
    domain_type: Option<String>,
    dnssec_enabled: Option<bool>,
    search: Option<String>,
    include_deleted: Option<bool>,
    /// Tern extension: also zones other organisations shared with this one.
    include_shared: Option<bool>,
}

#[utoipa::path(
    get,
    path = "/api/v1/domains",
    tag = "domains",
    summary = "List zones",
    params(ListQuery),
    responses((status = 200, description = "OK", body = Page<ZoneView>), crate::openapi::StandardErrors)
)]
async fn list(
    State(state): State<ApiState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<ListQuery>,
) -> ApiResult<Json<Page<ZoneView>>> {
    caller.dns(Scope::DnsList)?;
    let (page, page_size) = paging(query.page, query.page_size)?;
    let status = query
        .status
        .as_deref()
        .map(|s| {
            ZoneStatus::parse(s).ok_or_else(|| {
                ApiError::validation(
                    "status",
                    "must be one of pending_validation, active, inactive, deleted",
                )
            })
        })
        .transpose()?;
    let kind = query
        .domain_type
        .as_deref()
        .map(|k| {
            ZoneKind::parse(k).ok_or_else(|| {
                ApiError::validation(
                    "domain_type",
                    "must be one of primary, secondary, reverse_ipv4, reverse_ipv6",
                )
            })
        })
        .transpose()?;
    let filter = ZoneFilter {
        org_id: (!caller.is_admin()).then_some(caller.org.id),
        project_id: caller.token.project_id,
        status,
        kind,
        include_deleted: query.include_deleted.unwrap_or(false)
            || status == Some(ZoneStatus::Deleted),
        ..ZoneFilter::default()
    };
    let search = query.search.map(|s| s.trim().to_ascii_lowercase());
    let mut zones = state.service.store().list_zones(&filter).await?;
    if query.include_shared.unwrap_or(false) && caller.token.project_id.is_none() {
        for grant in state.service.store().org_grants(caller.org.id).await? {
            if let Some(zone) = state.service.store().zone(grant.zone_id).await?
                && (filter.include_deleted || zone.status != ZoneStatus::Deleted)
                && status.is_none_or(|s| zone.status == s)
                && kind.is_none_or(|k| zone.kind == k)
            {
                zones.push(zone);
            }
        }
        zones.sort_by(|a, b| a.name.cmp(&b.name).then(a.id.cmp(&b.id)));
    }
    let zones: Vec<Zone> = zones
        .into_iter()
        .filter(|z| query.dnssec_enabled.is_none_or(|d| z.dnssec_enabled == d))
        .filter(|z| {
            search
                .as_deref()
                .is_none_or(|s| z.name.as_str().contains(s))
        })
        .collect();
    let served = crate::views::served(
        state.service.store().as_ref(),
        crate::views::page_items(&zones, page, page_size),
    )
    .await?;
    Ok(Json(Page::of(zones, page, page_size, |z| {
        ZoneView::of(&z, served.contains(&z.id))
    })))
}

/// The fields a PATCH may carry (any other field is refused).
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
struct ZonePatch {
    description: Option<String>,
    default_ttl: Option<u32>,
    #[schema(value_type = Option<Object>)]
    settings: Option<Value>,
    /// Turns signing on or off with the zone's DNSSEC settings (see
    /// `/api/v1/domains/{domain_id}/dnssec` to choose them).
    dnssec_enabled: Option<bool>,
}

async fn detail_view(state: &ApiState, zone: Zone) -> ApiResult<ZoneDetailView> {
    let record_count = state.service.store().record_count(zone.id).await?;
    let served = crate::views::served(state.service.store().as_ref(), std::slice::from_ref(&zone))
        .await?
        .contains(&zone.id);
    Ok(ZoneDetailView {
        pdns_zone_id: zone.name.to_string(),
        settings: zone.settings.clone(),
        record_count,
        current_validation: crate::validation::validation_view(&zone, &state.validation),
        zone: ZoneView::of(&zone, served),
    })
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct CreateZone {
    name: String,
    domain_type: String,
    default_ttl: Option<u32>,
    description: Option<String>,
    cidr: Option<String>,
    template_id: Option<String>,
    #[schema(value_type = Option<Object>)]
    template_variables: Option<Value>,
    /// Tern extension: the project the zone belongs to.
    project_id: Option<Uuid>,
    /// Tern extension: initial settings (transfer ACLs, …).
    #[schema(value_type = Option<Object>)]
    settings: Option<Value>,
    /// Sign the zone from its first serial (default settings: ECDSA
    /// P-256, NSEC3, one combined key; `settings.dnssec` overrides them).
    dnssec_enabled: Option<bool>,
}

#[utoipa::path(
    post,
    path = "/api/v1/domains",
    tag = "domains",
    summary = "Create a zone",
    request_body = CreateZone,
    responses((status = 201, description = "Created", body = ZoneDetailView), (status = 409, description = "Name taken", body = crate::openapi::ErrorBody), crate::openapi::StandardErrors)
)]
async fn create(
    State(state): State<ApiState>,
    caller: Caller,
    ApiJson(body): ApiJson<CreateZone>,
) -> ApiResult<(StatusCode, Json<ZoneDetailView>)> {
    caller.dns(Scope::DnsCreate)?;
    let name = crate::views::hosted_zone_name(&body.name, "name")?;
    let kind = ZoneKind::parse(&body.domain_type).ok_or_else(|| {
        ApiError::validation(
            "domain_type",
            "must be one of primary, secondary, reverse_ipv4, reverse_ipv6",
        )
    })?;
    match kind {
        ZoneKind::Secondary => {
            return Err(ApiError::validation(
                "domain_type",
                "secondary zones (transferred in from another primary) are not supported yet",
            ));
        }
        ZoneKind::ReverseIpv4 | ZoneKind::ReverseIpv6 if ZoneKind::for_name(&name) != kind => {
            return Err(ApiError::validation(
                "name",
                format!(
                    "a {} zone must be named under {}",
                    kind.as_str(),
                    if kind == ZoneKind::ReverseIpv4 {
                        "in-addr.arpa"
                    } else {
                        "ip6.arpa"
                    }
                ),
            ));
        }
        _ => {}
    }
    if let Some(cidr) = &body.cidr {
        if !matches!(kind, ZoneKind::ReverseIpv4 | ZoneKind::ReverseIpv6) {
            return Err(ApiError::validation(
                "cidr",
                "only reverse zones take a cidr",
            ));
        }
        tern_core::transfer::Cidr::parse(cidr).map_err(|e| ApiError::validation("cidr", e))?;
    }
    // A template is checked and rendered before the zone exists, so bad
    // variables create nothing.
    let template = match &body.template_id {
        Some(id) => {
            let template = find_template(&state, &caller, id)
                .await
                .map_err(|e| e.with_field("template_id"))?;
            let variables =
                crate::templates::variables_of(body.template_variables, "template_variables")?;
            crate::templates::render_for_zone(&template, &variables, &name, None)?;
            Some((template, variables))
        }
        None if body.template_variables.is_some() => {
            return Err(ApiError::validation(
                "template_variables",
                "template_variables need a template_id",
            ));
        }
        None => None,
    };
    let project_id = match (body.project_id, caller.token.project_id) {
        (Some(wanted), Some(bound)) if wanted != bound => {
            return Err(ApiError::forbidden(
                "this token is bound to another project",
            ));
        }
        (Some(wanted), _) => {
            let project = state.service.store().project(wanted).await?;
            if project.is_none_or(|p| p.org_id != caller.org.id) {
                return Err(ApiError::validation("project_id", "no such project"));
            }
            Some(wanted)
        }
        (None, bound) => bound,
    };
    let mut new = NewZone::new(name, caller.org.id);
    new.kind = kind;
    new.project_id = project_id;
    new.default_ttl = body.default_ttl;
    new.description = body.description;
    if let Some(settings) = body.settings {
        new.settings = settings;
    }
    new.dnssec_enabled = body.dnssec_enabled.unwrap_or(false);
    if new.dnssec_enabled {
        caller.require(Scope::DnssecManage)?;
    }
    let mut zone = state.service.create_zone(new, &actor(&caller)).await?;
    if let Some((template, variables)) = template {
        match crate::templates::apply_template(&state, &caller, &zone, &template, &variables).await
        {
            Ok((after, _)) => zone = after,
            Err(e) => {
                // The template clashed with the new zone's own records: the
                // request fails as a whole, so the zone goes again.
                if let Err(undo) = state
                    .service
                    .delete_zone(zone.id, true, &actor(&caller))
                    .await
                {
                    tracing::error!(zone = %zone.name, error = %undo, "removing a zone whose template failed");
                }
                return Err(e);
            }
        }
    }
    Ok((StatusCode::CREATED, Json(detail_view(&state, zone).await?)))
}

#[utoipa::path(
    get,
    path = "/api/v1/domains/{domain_id}",
    tag = "domains",
    summary = "Get a zone",
    params(("domain_id" = String, Path, description = "zone id")),
    responses((status = 200, description = "OK", body = ZoneDetailView), crate::openapi::StandardErrors)
)]
async fn detail(
    State(state): State<ApiState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<ZoneDetailView>> {
    let zone = visible_zone(&state, &caller, &id).await?;
    caller.dns(Scope::DnsRead)?;
    Ok(Json(detail_view(&state, zone).await?))
}

#[utoipa::path(
    patch,
    path = "/api/v1/domains/{domain_id}",
    tag = "domains",
    summary = "Update description, default_ttl or settings",
    params(("domain_id" = String, Path, description = "zone id")),
    request_body = ZonePatch,
    responses((status = 200, description = "OK", body = ZoneDetailView), crate::openapi::StandardErrors)
)]
async fn update(
    State(state): State<ApiState>,
    caller: Caller,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult<Json<ZoneDetailView>> {
    let zone = visible_zone(&state, &caller, &id).await?;
    caller.dns(Scope::DnsUpdate)?;
    must_own(&caller, &zone)?;
    let fields: serde_json::Map<String, Value> = parse_json(&body)?;
    let mut update = ZoneUpdate::default();
    for (key, value) in fields {
        match key.as_str() {
            "description" => {
                update.description = Some(match value {
                    Value::Null => None,
                    Value::String(s) => Some(s),
                    _ => {
                        return Err(ApiError::validation(
                            "description",
                            "must be a string or null",
                        ));
                    }
                });
            }
            "default_ttl" => {
                let ttl = value
                    .as_u64()
                    .and_then(|t| u32::try_from(t).ok())
                    .ok_or_else(|| {
                        ApiError::validation("default_ttl", "must be a whole number of seconds")
                    })?;
                update.default_ttl = Some(ttl);
            }
            "settings" => {
                let Value::Object(settings) = value else {
                    return Err(ApiError::validation("settings", "must be an object"));
                };
                update.settings = Some(Value::Object(settings));
            }
            "dnssec_enabled" => {
                let enabled = value.as_bool().ok_or_else(|| {
                    ApiError::validation("dnssec_enabled", "must be true or false")
                })?;
                caller.require(Scope::DnssecManage)?;
                update.dnssec_enabled = Some(enabled);
            }
            other => {
                return Err(ApiError::validation(
                    other,
                    "cannot be changed here; only description, default_ttl, settings and dnssec_enabled are editable",
                ));
            }
        }
    }
    let outcome = state
        .service
        .apply_zone_update(zone.id, update, &actor(&caller))
        .await?;
    Ok(Json(detail_view(&state, outcome.zone).await?))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct DeleteQuery {
    hard: Option<bool>,
}

#[utoipa::path(
    delete,
    path = "/api/v1/domains/{domain_id}",
    tag = "domains",
    summary = "Delete a zone (soft; hard=true for good)",
    params(("domain_id" = String, Path, description = "zone id"), DeleteQuery),
    responses((status = 204, description = "Deleted"), crate::openapi::StandardErrors)
)]
async fn delete(
    State(state): State<ApiState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiQuery(query): ApiQuery<DeleteQuery>,
) -> ApiResult<StatusCode> {
    let zone = visible_zone(&state, &caller, &id).await?;
    caller.dns(Scope::DnsDelete)?;
    must_own(&caller, &zone)?;
    state
        .service
        .delete_zone(zone.id, query.hard.unwrap_or(false), &actor(&caller))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(
    post,
    path = "/api/v1/domains/{domain_id}/restore",
    tag = "domains",
    summary = "Restore a soft-deleted zone",
    params(("domain_id" = String, Path, description = "zone id")),
    responses((status = 200, description = "OK", body = ZoneDetailView), crate::openapi::StandardErrors)
)]
async fn restore(
    State(state): State<ApiState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<ZoneDetailView>> {
    let zone = visible_zone(&state, &caller, &id).await?;
    caller.dns(Scope::DnsUpdate)?;
    must_own(&caller, &zone)?;
    let zone = state.service.restore_zone(zone.id, &actor(&caller)).await?;
    Ok(Json(detail_view(&state, zone).await?))
}

#[utoipa::path(
    get,
    path = "/api/v1/domains/{domain_id}/soa",
    tag = "domains",
    summary = "The SOA, structured",
    params(("domain_id" = String, Path, description = "zone id")),
    responses((status = 200, description = "OK", body = SoaView), crate::openapi::StandardErrors)
)]
async fn soa(
    State(state): State<ApiState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<SoaView>> {
    let zone = visible_zone(&state, &caller, &id).await?;
    caller.dns(Scope::DnsRead)?;
    Ok(Json(SoaView::of(&zone)))
}

#[derive(Deserialize, Default, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct ExportQuery {
    /// Tern extension: the signed zone (with its DNSSEC records), as served.
    signed: Option<bool>,
}

/// The JSON wrapper of the seed, or the zone file itself for
/// `Accept: text/dns` (or `text/plain`).
#[utoipa::path(
    get,
    path = "/api/v1/domains/{domain_id}/export",
    tag = "domains",
    summary = "Export as BIND (JSON wrapper, or text/dns with Accept: text/dns)",
    params(("domain_id" = String, Path, description = "zone id"), ExportQuery),
    responses((status = 200, description = "OK", body = serde_json::Value), crate::openapi::StandardErrors)
)]
async fn export(
    State(state): State<ApiState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiQuery(query): ApiQuery<ExportQuery>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let zone = visible_zone(&state, &caller, &id).await?;
    caller.dns(Scope::DnsRead)?;
    let text = state
        .service
        .export_with(zone.id, query.signed.unwrap_or(false))
        .await?;
    let accept = headers
        .get(header::ACCEPT)
        .and_then(|a| a.to_str().ok())
        .unwrap_or_default();
    if accept.contains("text/dns") || accept.contains("text/plain") {
        let content_type = if accept.contains("text/dns") {
            "text/dns"
        } else {
            "text/plain; charset=utf-8"
        };
        return Ok(([(header::CONTENT_TYPE, content_type)], text).into_response());
    }
    Ok(Json(json!({
        "domain_id": zone.id,
        "domain_name": zone_name(&zone.name),
        "format": "bind",
        "zone_file": text,
    }))
    .into_response())
}

#[derive(Deserialize, Default, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct ImportQuery {
    mode: Option<String>,
    dry_run: Option<bool>,
    skip_invalid: Option<bool>,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct ImportBody {
    zone_file: String,
    mode: Option<String>,
    dry_run: Option<bool>,
    skip_invalid: Option<bool>,
}

/// A zone file as the body (any text type), or JSON `{"zone_file", "mode",
/// "dry_run", "skip_invalid"}`; query parameters of the same names too.
#[utoipa::path(
    post,
    path = "/api/v1/domains/{domain_id}/import",
    tag = "domains",
    summary = "Import a zone file (merge or replace; dry_run shows the diff)",
    params(("domain_id" = String, Path, description = "zone id"), ImportQuery),
    request_body = ImportBody,
    responses((status = 200, description = "OK", body = serde_json::Value), (status = 422, description = "Lines refused", body = crate::openapi::ErrorBody), crate::openapi::StandardErrors)
)]
async fn import(
    State(state): State<ApiState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiQuery(query): ApiQuery<ImportQuery>,
    headers: HeaderMap,
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
    let zone = visible_zone(&state, &caller, &id).await?;
    caller.dns(Scope::DnsCreate)?;
    caller.dns(Scope::DnsUpdate)?;
    // A zone file carries the SOA (servers, contact, serial): owners only.
    must_own(&caller, &zone)?;
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|c| c.to_str().ok())
        .is_some_and(|c| c.starts_with("application/json"));
    let (text, mode, dry_run, skip_invalid) = if is_json {
        let body: ImportBody = parse_json(&body)?;
        (
            body.zone_file.into_bytes(),
            body.mode.or(query.mode),
            body.dry_run.or(query.dry_run),
            body.skip_invalid.or(query.skip_invalid),
        )
    } else {
        (body.to_vec(), query.mode, query.dry_run, query.skip_invalid)
    };
    let mode = match mode.as_deref() {
        None | Some("merge") => ImportMode::Merge,
        Some("replace") => {
            caller.require(Scope::DnsDelete)?;
            ImportMode::Replace
        }
        Some(_) => return Err(ApiError::validation("mode", "must be merge or replace")),
    };
    let dry_run = dry_run.unwrap_or(false);
    let options = ImportOptions {
        mode,
        skip_invalid: skip_invalid.unwrap_or(false),
        dry_run,
        allowed_types: None,
    };
    let mut actor = actor(&caller);
    actor.source = ChangeSource::Import;
    let report = state
        .service
        .import(zone.id, text.as_slice(), &options, &actor)
        .await?;
    let records = |list: &[tern_core::Record]| -> Vec<Value> {
        list.iter()
            .map(|r| {
                json!({
                    "name": r.name.to_string(),
                    "type": r.rtype.to_string(),
                    "ttl": r.effective_ttl(report.zone.default_ttl),
                    "content": r.rdata.to_string(),
                })
            })
            .collect()
    };
    Ok(Json(json!({
        "domain_id": zone.id,
        "dry_run": dry_run,
        "mode": if mode == ImportMode::Merge { "merge" } else { "replace" },
        "changed": report.changed,
        "serial_before": report.serial_before,
        "serial_after": report.serial_after,
        "records_in_file": report.records_in_file,
        "unchanged": report.unchanged,
        "updated": report.updated_count(),
        "added": records(report.added()),
        "removed": records(report.removed()),
        "skipped": report.skipped.iter().map(|p| json!({
            "line": p.line, "owner": p.owner, "type": p.rtype, "reason": p.reason,
        })).collect::<Vec<_>>(),
        "warnings": report.warnings,
    })))
}
