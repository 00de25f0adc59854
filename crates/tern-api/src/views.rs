//! JSON shapes of the native API (ScaiDNS's, extended) and the helpers that
//! derive presentation forms from canonical data: ISO 8601 times, names
//! relative to their zone (`@` for the apex), content without the priority.

use std::collections::HashSet;

use serde::Serialize;
use serde_json::Value;
use tern_core::{Name, Rdata, Record, RecordType, Store, Timestamp, Zone};
use uuid::Uuid;

use crate::error::ApiError;

/// RFC 3339 / ISO 8601 in UTC, seconds precision ("2026-04-01T10:00:00Z").
pub fn iso(at: Timestamp) -> String {
    tern_core::model::iso_time(at)
}

/// The zone name as users write it: no trailing dot.
pub fn zone_name(name: &Name) -> String {
    name.as_str().trim_end_matches('.').to_string()
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ZoneView {
    pub id: Uuid,
    pub name: String,
    pub domain_type: &'static str,
    pub status: &'static str,
    pub default_ttl: u32,
    pub description: Option<String>,
    pub dnssec_enabled: bool,
    pub tenant_id: Uuid,
    pub project_id: Option<Uuid>,
    pub serial: u32,
    /// Whether the nameserver answers for this zone: it is active and, where
    /// organisations share zone names, no older active zone of its name
    /// exists (the oldest active zone of a name is served; the others wait).
    pub served: bool,
    pub created_at: String,
    pub updated_at: String,
    pub deleted_at: Option<String>,
}

/// The ids of `zones` that are served (`tern_core::serving`), judged against
/// every organisation's zones of those names.
pub async fn served(store: &dyn Store, zones: &[Zone]) -> Result<HashSet<Uuid>, ApiError> {
    Ok(tern_core::serving::served_zones(store, zones).await?)
}

impl ZoneView {
    /// `served`: see `served` above.
    pub fn of(zone: &Zone, served: bool) -> ZoneView {
        ZoneView {
            id: zone.id,
            name: zone_name(&zone.name),
            domain_type: zone.kind.as_str(),
            status: zone.status.as_str(),
            default_ttl: zone.default_ttl,
            description: zone.description.clone(),
            dnssec_enabled: zone.dnssec_enabled,
            tenant_id: zone.org_id,
            project_id: zone.project_id,
            serial: zone.serial,
            served,
            created_at: iso(zone.created_at),
            updated_at: iso(zone.updated_at),
            deleted_at: zone.deleted_at.map(iso),
        }
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ZoneDetailView {
    #[serde(flatten)]
    pub zone: ZoneView,
    /// The zone as PowerDNS names it (FQDN with the dot): scripts written
    /// against ScaiDNS read it.
    pub pdns_zone_id: String,
    #[schema(value_type = Object)]
    pub settings: Value,
    pub record_count: u64,
    #[schema(value_type = Option<Object>)]
    pub current_validation: Option<Value>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct SoaView {
    pub primary_ns: String,
    pub hostmaster: String,
    pub serial: u32,
    pub refresh: u32,
    pub retry: u32,
    pub expire: u32,
    pub minimum: u32,
    pub ttl: u32,
}

impl SoaView {
    pub fn of(zone: &Zone) -> SoaView {
        SoaView {
            primary_ns: zone.soa.mname.to_string(),
            hostmaster: zone.soa.rname.to_string(),
            serial: zone.serial,
            refresh: zone.soa.refresh,
            retry: zone.soa.retry,
            expire: zone.soa.expire,
            minimum: zone.soa.minimum,
            ttl: zone.soa.ttl,
        }
    }
}

/// A record as the native API shows it.
#[derive(Serialize, utoipa::ToSchema)]
pub struct RecordView {
    pub id: Uuid,
    pub name: String,
    pub fqdn: String,
    #[serde(rename = "type")]
    pub rtype: String,
    pub ttl: u32,
    /// Whether the TTL is the zone default (no TTL of its own).
    pub ttl_inherited: bool,
    pub content: String,
    pub priority: Option<u32>,
    pub description: Option<String>,
    /// Records Tern manages for the zone (the apex NS set).
    pub managed: bool,
    pub created_at: String,
    pub updated_at: String,
}

impl RecordView {
    pub fn of(record: &Record, zone: &Zone) -> RecordView {
        let (priority, content) = split_priority(&record.rdata);
        RecordView {
            id: record.id,
            name: relative_name(&record.name, &zone.name),
            fqdn: record.name.to_string(),
            rtype: record.rtype.to_string(),
            ttl: record.effective_ttl(zone.default_ttl),
            ttl_inherited: record.ttl.is_none(),
            content,
            priority,
            description: record.description.clone(),
            managed: record.is_managed(&zone.name),
            created_at: iso(record.created_at),
            updated_at: iso(record.updated_at),
        }
    }
}

/// `@` for the apex, else the labels below the zone.
pub fn relative_name(name: &Name, zone: &Name) -> String {
    name.relative_to(zone)
}

/// Types whose first RDATA field the APIs carry as a separate `priority`.
pub fn has_priority(rtype: RecordType) -> bool {
    matches!(rtype, RecordType::MX | RecordType::SRV)
}

/// The presentation RDATA split into (priority, the rest) for MX and SRV.
pub fn split_priority(rdata: &Rdata) -> (Option<u32>, String) {
    let text = rdata.to_string();
    if has_priority(rdata.rtype())
        && let Some((first, rest)) = text.split_once(' ')
        && let Ok(priority) = first.parse::<u32>()
    {
        return (Some(priority), rest.to_string());
    }
    (None, text)
}

/// RDATA from API fields for a record in `zone`: `content` plus, for MX and
/// SRV, `priority`, under the core's one rule for API content
/// (`Rdata::parse_api_content`). `field_prefix` locates errors (e.g.
/// `changes[2].`).
pub fn rdata_from_api(
    rtype: RecordType,
    content: &str,
    priority: Option<u32>,
    zone: &Name,
    field_prefix: &str,
) -> Result<Rdata, ApiError> {
    Rdata::parse_api_content(rtype, content, priority, zone)
        .map_err(|e| ApiError::validation(format!("{field_prefix}{}", e.field), e.message))
}

/// A record type from the API (`type`), upper or lower case.
pub fn record_type(text: &str, field: &str) -> Result<RecordType, ApiError> {
    RecordType::parse(&text.trim().to_ascii_uppercase())
        .map_err(|e| ApiError::validation(field, e.to_string()))
}

/// The name of a zone a tenant creates through any face: a valid name, and
/// not the root (the root zone is an operator's, loaded with the CLI).
pub fn hosted_zone_name(text: &str, field: &str) -> Result<Name, ApiError> {
    let name = Name::parse_absolute(text.trim())
        .map_err(|e| ApiError::validation(field, format!("invalid zone name: {e}")))?;
    if name.is_root() {
        return Err(ApiError::validation(
            field,
            "the root zone cannot be hosted here",
        ));
    }
    Ok(name)
}

/// A field every face requires: given and not blank.
pub fn required<'a>(value: &'a Option<String>, field: &str) -> Result<&'a str, ApiError> {
    value
        .as_deref()
        .filter(|v| !v.trim().is_empty())
        .ok_or_else(|| ApiError::validation(field, "is required"))
}

/// An update naming a type must name the record's own: a record's type is
/// what it is (another type is another record).
pub fn same_type(given: Option<&str>, record: &Record, field: &str) -> Result<(), ApiError> {
    if let Some(text) = given
        && record_type(text, field)? != record.rtype
    {
        return Err(ApiError::validation(
            field,
            "a record's type cannot change; delete it and create a new one",
        ));
    }
    Ok(())
}

/// An owner name from the API: `@`, relative to the zone, or a FQDN inside it.
pub fn owner_name(text: &str, zone: &Name, field: &str) -> Result<Name, ApiError> {
    Name::parse_owner(text, zone).map_err(|e| ApiError::validation(field, e.to_string()))
}

/// The standard page envelope.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Page<T> {
    pub data: Vec<T>,
    pub total: usize,
    pub page: usize,
    pub page_size: usize,
    pub total_pages: usize,
}

/// The items of page `page` (1-based) of `page_size`.
pub fn page_items<S>(items: &[S], page: usize, page_size: usize) -> &[S] {
    let start = (page - 1).saturating_mul(page_size).min(items.len());
    &items[start..(start.saturating_add(page_size)).min(items.len())]
}

impl<T> Page<T> {
    /// Cuts page `page` (1-based) of `page_size` out of `items`.
    pub fn of<S>(items: Vec<S>, page: usize, page_size: usize, view: impl Fn(S) -> T) -> Page<T> {
        let total = items.len();
        let data = items
            .into_iter()
            .skip((page - 1).saturating_mul(page_size))
            .take(page_size)
            .map(view)
            .collect();
        Page {
            data,
            total,
            page,
            page_size,
            total_pages: total.div_ceil(page_size),
        }
    }
}

/// Checks `page` (≥ 1) and `page_size` (1–100, default 50).
pub fn paging(page: Option<usize>, page_size: Option<usize>) -> Result<(usize, usize), ApiError> {
    let page = page.unwrap_or(1);
    if page == 0 {
        return Err(ApiError::validation("page", "pages are numbered from 1"));
    }
    let page_size = page_size.unwrap_or(50);
    if !(1..=100).contains(&page_size) {
        return Err(ApiError::validation(
            "page_size",
            "must be between 1 and 100",
        ));
    }
    Ok((page, page_size))
}
