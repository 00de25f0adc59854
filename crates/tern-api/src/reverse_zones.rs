//! `/api/v1/reverse-zones`: a reverse zone from a network (the zone name is
//! derived: `in-addr.arpa` on octet boundaries, RFC 2317 classless zones
//! for /25–/31, `ip6.arpa` nibbles), and `/ptr`: the PTR record for one
//! address, put in the caller's most specific reverse zone that holds it.

use std::net::IpAddr;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use serde::Deserialize;
use serde_json::{Value, json};
use tern_core::reverse::{ptr_name, reverse_zone};
use tern_core::{
    Change, ChangeSet, Name, NewRecord, NewZone, Rdata, RecordType, Scope, Zone, ZoneFilter,
};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::ApiState;
use crate::access::actor;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::extract::ApiJson;
use crate::views::{RecordView, ZoneView};

pub fn routes() -> OpenApiRouter<ApiState> {
    OpenApiRouter::new()
        .routes(routes!(create))
        .routes(routes!(ptr))
        .route("/api/v1/reverse-zones/", post(create))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct NewReverseZone {
    cidr: String,
    default_ttl: Option<u32>,
    description: Option<String>,
    project_id: Option<Uuid>,
}

/// The caller's live zones (its project's, for a bound token).
async fn own_zones(state: &ApiState, caller: &Caller) -> ApiResult<Vec<Zone>> {
    Ok(state
        .service
        .store()
        .list_zones(&ZoneFilter {
            org_id: Some(caller.org.id),
            project_id: caller.token.project_id,
            ..ZoneFilter::default()
        })
        .await?)
}

#[utoipa::path(
    post,
    path = "/api/v1/reverse-zones",
    tag = "reverse zones",
    summary = "Create a reverse zone from a CIDR",
    request_body = NewReverseZone,
    responses((status = 201, description = "Created", body = serde_json::Value), (status = 409, description = "Zone exists", body = crate::openapi::ErrorBody), crate::openapi::StandardErrors)
)]
async fn create(
    State(state): State<ApiState>,
    caller: Caller,
    ApiJson(body): ApiJson<NewReverseZone>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    caller.dns(Scope::DnsCreate)?;
    let reverse = reverse_zone(&body.cidr).map_err(|e| ApiError::validation("cidr", e))?;
    if body
        .project_id
        .is_some_and(|p| caller.token.project_id.is_some_and(|b| b != p))
    {
        return Err(ApiError::forbidden(
            "this token is bound to another project",
        ));
    }
    if let Some(project) = body.project_id {
        let found = state.service.store().project(project).await?;
        if found.is_none_or(|p| p.org_id != caller.org.id) {
            return Err(ApiError::validation("project_id", "no such project"));
        }
    }
    let mut new = NewZone::new(reverse.name.clone(), caller.org.id);
    new.project_id = body.project_id.or(caller.token.project_id);
    new.default_ttl = body.default_ttl;
    new.description = body.description;
    new.settings = json!({"cidr": body.cidr});
    let zone = state.service.create_zone(new, &actor(&caller)).await?;

    // RFC 2317: the /24 parent points each address at the child zone
    // (`N CNAME N.<label>`) and delegates the label to the child's servers.
    let mut parent_records = Vec::new();
    let mut parent_updated = None;
    if let Some(classless) = &reverse.classless {
        let servers: Vec<Name> = state
            .service
            .store()
            .records_at(zone.id, std::slice::from_ref(&zone.name))
            .await?
            .into_iter()
            .filter_map(|r| match r.rdata {
                Rdata::Ns(ns) => Some(ns),
                _ => None,
            })
            .collect();
        let label_name = reverse.name.clone();
        let mut changes: Vec<Change> = servers
            .iter()
            .map(|ns| {
                Change::Add(NewRecord {
                    name: label_name.clone(),
                    ttl: None,
                    rdata: Rdata::Ns(ns.clone()),
                    description: Some("RFC 2317 delegation".into()),
                })
            })
            .collect();
        for octet in classless.first..=classless.last {
            let owner = Name::parse_zone_file(&octet.to_string(), &classless.parent)
                .map_err(|e| ApiError::validation("cidr", e.to_string()))?;
            let target = Name::parse_zone_file(&octet.to_string(), &label_name)
                .map_err(|e| ApiError::validation("cidr", e.to_string()))?;
            changes.push(Change::Add(NewRecord {
                name: owner,
                ttl: None,
                rdata: Rdata::Cname(target),
                description: Some("RFC 2317 delegation".into()),
            }));
        }
        for change in &changes {
            if let Change::Add(r) = change {
                parent_records.push(json!({
                    "name": r.name.to_string(),
                    "type": r.rdata.rtype().to_string(),
                    "content": r.rdata.to_string(),
                }));
            }
        }
        let parent = own_zones(&state, &caller)
            .await?
            .into_iter()
            .find(|z| z.name == classless.parent);
        if let Some(parent) = parent {
            state
                .service
                .apply(parent.id, ChangeSet::new(changes), &actor(&caller))
                .await?;
            parent_updated = Some(parent.id);
        }
    }
    let served = crate::views::served(state.service.store().as_ref(), std::slice::from_ref(&zone))
        .await?
        .contains(&zone.id);
    Ok((
        StatusCode::CREATED,
        Json(json!({
            "zone": ZoneView::of(&zone, served),
            "cidr": body.cidr,
            "classless": reverse.classless.is_some(),
            "parent_zone": reverse.classless.as_ref().map(|c| c.parent.to_string()),
            "parent_zone_id": parent_updated,
            // What the /24 needs; already added when the caller hosts it here.
            "parent_records": parent_records,
        })),
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct PtrInput {
    address: String,
    target: String,
    ttl: Option<u32>,
}

/// Where `address`'s PTR lives among `zones`: the most specific zone that
/// holds its name, looking through RFC 2317 CNAMEs into classless children.
fn ptr_home(zones: &[Zone], address: IpAddr) -> Option<(Zone, Name)> {
    let owner = ptr_name(address);
    let mut candidates: Vec<(Zone, Name)> = Vec::new();
    for zone in zones {
        if owner.is_subdomain_of(&zone.name) {
            candidates.push((zone.clone(), owner.clone()));
        }
        // A classless child `64/26.2.0.192.in-addr.arpa.` holds
        // `<last octet>.64/26.…` for the addresses it covers.
        if let (IpAddr::V4(v4), Some(cidr)) =
            (address, zone.settings.get("cidr").and_then(Value::as_str))
            && let Ok(net) = tern_core::transfer::Cidr::parse(cidr)
            && net.prefix > 24
            && net.contains(address)
            && let Ok(name) = Name::parse_zone_file(&v4.octets()[3].to_string(), &zone.name)
        {
            candidates.push((zone.clone(), name));
        }
    }
    candidates
        .into_iter()
        .max_by_key(|(zone, _)| zone.name.label_count())
}

#[utoipa::path(
    post,
    path = "/api/v1/reverse-zones/ptr",
    tag = "reverse zones",
    summary = "Set the PTR of an address",
    request_body = PtrInput,
    responses((status = 201, description = "Created", body = serde_json::Value), crate::openapi::StandardErrors)
)]
async fn ptr(
    State(state): State<ApiState>,
    caller: Caller,
    ApiJson(body): ApiJson<PtrInput>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    caller.dns(Scope::DnsCreate)?;
    let address: IpAddr = body
        .address
        .trim()
        .parse()
        .map_err(|_| ApiError::validation("address", "not an IPv4 or IPv6 address"))?;
    let target = Name::parse_absolute(body.target.trim())
        .map_err(|e| ApiError::validation("target", e.to_string()))?;
    let zones = own_zones(&state, &caller).await?;
    let (zone, owner) = ptr_home(&zones, address).ok_or_else(|| {
        ApiError::not_found(format!(
            "reverse zone holding {address} (create it with POST /api/v1/reverse-zones)"
        ))
        .with_field("address")
    })?;
    let outcome = state
        .service
        .apply(
            zone.id,
            ChangeSet::new(vec![Change::ReplaceRrset {
                name: owner.clone(),
                rtype: RecordType::PTR,
                ttl: body.ttl,
                records: vec![(Rdata::Ptr(target), None)],
            }]),
            &actor(&caller),
        )
        .await?;
    let record = state
        .service
        .store()
        .records_at(zone.id, std::slice::from_ref(&owner))
        .await?
        .into_iter()
        .find(|r| r.rtype == RecordType::PTR)
        .ok_or_else(ApiError::internal)?;
    Ok((
        StatusCode::CREATED,
        Json(json!({
            "domain_id": zone.id,
            "record": RecordView::of(&record, &outcome.zone),
        })),
    ))
}
