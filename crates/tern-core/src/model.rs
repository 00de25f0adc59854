//! Zones, records, SOA settings, organisations and projects: the data the store
//! persists and the service reasons about.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::name::Name;
use crate::rdata::{Rdata, RecordType};

/// The one time representation in the core (`timestamp.rs`).
pub use crate::timestamp::Timestamp;

/// A timestamp as RFC 3339 UTC, for messages and views.
pub fn iso_time(at: Timestamp) -> String {
    jiff::Timestamp::from_millisecond(at)
        .map(|t| t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_default()
}

pub fn now_millis() -> Timestamp {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

pub fn new_id() -> Uuid {
    Uuid::now_v7()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ZoneKind {
    Primary,
    Secondary,
    ReverseIpv4,
    ReverseIpv6,
}

impl ZoneKind {
    /// Reverse zones are recognised by name; everything else is primary.
    pub fn for_name(name: &Name) -> ZoneKind {
        if name.as_str().ends_with(".in-addr.arpa.") {
            ZoneKind::ReverseIpv4
        } else if name.as_str().ends_with(".ip6.arpa.") {
            ZoneKind::ReverseIpv6
        } else {
            ZoneKind::Primary
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ZoneKind::Primary => "primary",
            ZoneKind::Secondary => "secondary",
            ZoneKind::ReverseIpv4 => "reverse_ipv4",
            ZoneKind::ReverseIpv6 => "reverse_ipv6",
        }
    }

    pub fn parse(text: &str) -> Option<ZoneKind> {
        Some(match text {
            "primary" => ZoneKind::Primary,
            "secondary" => ZoneKind::Secondary,
            "reverse_ipv4" => ZoneKind::ReverseIpv4,
            "reverse_ipv6" => ZoneKind::ReverseIpv6,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ZoneStatus {
    PendingValidation,
    Active,
    Inactive,
    Deleted,
}

impl ZoneStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ZoneStatus::PendingValidation => "pending_validation",
            ZoneStatus::Active => "active",
            ZoneStatus::Inactive => "inactive",
            ZoneStatus::Deleted => "deleted",
        }
    }

    pub fn parse(text: &str) -> Option<ZoneStatus> {
        Some(match text {
            "pending_validation" => ZoneStatus::PendingValidation,
            "active" => ZoneStatus::Active,
            "inactive" => ZoneStatus::Inactive,
            "deleted" => ZoneStatus::Deleted,
            _ => return None,
        })
    }
}

/// The SOA fields Tern keeps per zone; the serial lives on the zone itself
/// because the service owns it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SoaSettings {
    pub mname: Name,
    pub rname: Name,
    pub refresh: u32,
    pub retry: u32,
    pub expire: u32,
    pub minimum: u32,
    pub ttl: u32,
}

impl SoaSettings {
    /// The settings and serial carried by SOA RDATA (e.g. from a zone file)
    /// with that record's TTL; `None` for any other type.
    pub fn from_rdata(rdata: &Rdata, ttl: u32) -> Option<(SoaSettings, u32)> {
        match rdata {
            Rdata::Soa {
                mname,
                rname,
                serial,
                refresh,
                retry,
                expire,
                minimum,
            } => Some((
                SoaSettings {
                    mname: mname.clone(),
                    rname: rname.clone(),
                    refresh: *refresh,
                    retry: *retry,
                    expire: *expire,
                    minimum: *minimum,
                    ttl,
                },
                *serial,
            )),
            _ => None,
        }
    }

    pub fn to_rdata(&self, serial: u32) -> Rdata {
        Rdata::Soa {
            mname: self.mname.clone(),
            rname: self.rname.clone(),
            serial,
            refresh: self.refresh,
            retry: self.retry,
            expire: self.expire,
            minimum: self.minimum,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Zone {
    pub id: Uuid,
    pub name: Name,
    pub kind: ZoneKind,
    pub status: ZoneStatus,
    /// Status to return to when a soft-deleted zone is restored.
    pub prior_status: Option<ZoneStatus>,
    pub default_ttl: u32,
    pub description: Option<String>,
    pub settings: serde_json::Value,
    pub dnssec_enabled: bool,
    pub serial: u32,
    pub soa: SoaSettings,
    pub org_id: Uuid,
    pub project_id: Option<Uuid>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub deleted_at: Option<Timestamp>,
}

impl Zone {
    pub fn soa_rdata(&self) -> Rdata {
        self.soa.to_rdata(self.serial)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    pub id: Uuid,
    pub zone_id: Uuid,
    pub name: Name,
    pub rtype: RecordType,
    /// `None` inherits the zone's default TTL.
    pub ttl: Option<u32>,
    pub rdata: Rdata,
    pub description: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub version: u32,
}

impl Record {
    pub fn effective_ttl(&self, zone_default: u32) -> u32 {
        self.ttl.unwrap_or(zone_default)
    }

    /// Records Tern itself manages for a zone: the apex NS set. (The SOA is
    /// generated from zone settings and never stored as a record.)
    pub fn is_managed(&self, zone_name: &Name) -> bool {
        self.rtype == RecordType::NS && &self.name == zone_name
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Organisation {
    pub id: Uuid,
    pub slug: String,
    pub name: String,
    pub features: Vec<String>,
    pub created_at: Timestamp,
    /// Quotas; `None` is unlimited.
    #[serde(default)]
    pub max_zones: Option<u32>,
    #[serde(default)]
    pub max_records_per_zone: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Project {
    pub id: Uuid,
    pub org_id: Uuid,
    pub slug: String,
    pub name: String,
    pub created_at: Timestamp,
}

/// Who made a change, for the journal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Principal(pub String);

/// Where a change came from, for the journal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeSource {
    Api,
    Dialect(String),
    DnsUpdate,
    Import,
    Transfer,
    Cli,
    /// The signer on its own: signatures refreshed before they expire.
    Dnssec,
}

impl std::fmt::Display for ChangeSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ChangeSource::Api => f.write_str("api"),
            ChangeSource::Dialect(name) => write!(f, "dialect:{name}"),
            ChangeSource::DnsUpdate => f.write_str("dns_update"),
            ChangeSource::Import => f.write_str("import"),
            ChangeSource::Transfer => f.write_str("transfer"),
            ChangeSource::Cli => f.write_str("cli"),
            ChangeSource::Dnssec => f.write_str("dnssec"),
        }
    }
}

impl ChangeSource {
    pub fn parse(text: &str) -> ChangeSource {
        match text {
            "api" => ChangeSource::Api,
            "dns_update" => ChangeSource::DnsUpdate,
            "import" => ChangeSource::Import,
            "transfer" => ChangeSource::Transfer,
            "cli" => ChangeSource::Cli,
            "dnssec" => ChangeSource::Dnssec,
            other => {
                ChangeSource::Dialect(other.strip_prefix("dialect:").unwrap_or(other).to_string())
            }
        }
    }
}

/// One committed change, as the journal keeps it. Updated records appear in
/// both lists (old version removed, new version added, same id).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JournalEntry {
    /// Global, gap-free commit order across all zones; followers resume from it.
    pub seq: i64,
    pub zone_id: Uuid,
    pub zone_name: Name,
    pub serial_before: u32,
    pub serial_after: u32,
    pub removed: Vec<Record>,
    pub added: Vec<Record>,
    /// Zone metadata after the change, when the change touched it (status,
    /// TTL, SOA settings, creation, deletion).
    pub zone_after: Option<Zone>,
    pub principal: Principal,
    pub source: ChangeSource,
    pub at: Timestamp,
    /// The DNSSEC key steps this change made (the records they changed are
    /// in `removed`/`added`).
    pub key_transitions: Vec<crate::dnssec_key::KeyTransition>,
}

/// A signed primary zone named `name`, for unit tests across the core.
#[cfg(test)]
pub(crate) fn test_zone(name: &str) -> Zone {
    let parse = |n: &str| crate::name::Name::parse_absolute(n).expect("test name");
    Zone {
        id: new_id(),
        name: parse(name),
        kind: ZoneKind::Primary,
        status: ZoneStatus::Active,
        prior_status: None,
        default_ttl: 3600,
        description: None,
        settings: serde_json::json!({}),
        dnssec_enabled: true,
        serial: 1,
        soa: SoaSettings {
            mname: parse(&format!("ns1.{name}")),
            rname: parse(&format!("hostmaster.{name}")),
            refresh: 3600,
            retry: 600,
            expire: 604_800,
            minimum: 600,
            ttl: 3600,
        },
        org_id: new_id(),
        project_id: None,
        created_at: 0,
        updated_at: 0,
        deleted_at: None,
    }
}
