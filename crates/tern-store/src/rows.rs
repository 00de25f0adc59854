//! Row ↔ model conversions. Stored data that does not parse is reported as
//! `StoreError::Corrupt`, never unwrapped.

use serde::{Deserialize, Serialize};
use sqlx::Row;
use sqlx::any::AnyRow;
use tern_core::store::StoreError;
use tern_core::template::{Template, TemplateRecord, TemplateVariable};
use tern_core::transfer::Cidr;
use tern_core::{
    AccessGrant, ApiToken, ChangeSource, DnssecKey, GrantRole, JournalEntry, KeyRole, KeyState,
    KeyTransition, Name, Organisation, Principal, Project, Rdata, Record, RecordType, SoaSettings,
    TsigKey, Zone, ZoneKind, ZoneStatus,
};
use uuid::Uuid;

/// The JSON body of a journal row: the zone's metadata after the change.
/// The records live in `journal_parts` (see `JournalPart`).
#[derive(Serialize)]
pub(crate) struct JournalHeader<'a> {
    pub zone_after: Option<&'a Zone>,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    pub key_transitions: &'a [KeyTransition],
}

/// One bounded slice of an entry's records. Records are compact arrays
/// (`[id, name, type, ttl, rdata, description, created, updated, version]`;
/// the zone id is the entry's).
#[derive(Serialize)]
pub(crate) struct JournalPart<'a> {
    pub removed: CompactRecords<'a>,
    pub added: CompactRecords<'a>,
}

pub(crate) struct CompactRecords<'a>(pub &'a [Record]);

impl Serialize for CompactRecords<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeSeq;
        let mut seq = serializer.serialize_seq(Some(self.0.len()))?;
        for r in self.0 {
            seq.serialize_element(&(
                r.id,
                r.name.as_str(),
                r.rtype.0,
                r.ttl,
                r.rdata.to_string(),
                &r.description,
                r.created_at,
                r.updated_at,
                r.version,
            ))?;
        }
        seq.end()
    }
}

pub(crate) type CompactRecord = (
    Uuid,
    String,
    u16,
    Option<u32>,
    String,
    Option<String>,
    i64,
    i64,
    u32,
);

#[derive(Deserialize)]
struct OwnedHeader {
    zone_after: Option<Zone>,
    #[serde(default)]
    key_transitions: Vec<KeyTransition>,
}

#[derive(Deserialize)]
struct OwnedPart {
    #[serde(default)]
    removed: Vec<CompactRecord>,
    #[serde(default)]
    added: Vec<CompactRecord>,
}

/// Appends one stored part's records to its entry.
pub(crate) fn extend_with_part(entry: &mut JournalEntry, payload: &str) -> Result<(), StoreError> {
    let part: OwnedPart = serde_json::from_str(payload).map_err(|e| corrupt("journal part", e))?;
    entry.removed.extend(expand(entry.zone_id, part.removed)?);
    entry.added.extend(expand(entry.zone_id, part.added)?);
    Ok(())
}

pub(crate) fn expand(
    zone_id: Uuid,
    compact: Vec<CompactRecord>,
) -> Result<Vec<Record>, StoreError> {
    compact
        .into_iter()
        .map(
            |(id, name, rtype, ttl, rdata, description, created_at, updated_at, version)| {
                let rtype = RecordType(rtype);
                Ok(Record {
                    id,
                    zone_id,
                    name: Name::parse_absolute(&name)
                        .map_err(|e| corrupt("journal record name", e))?,
                    rtype,
                    ttl,
                    rdata: Rdata::parse_canonical(rtype, &rdata)
                        .map_err(|e| corrupt("journal record rdata", e))?,
                    description,
                    created_at,
                    updated_at,
                    version,
                })
            },
        )
        .collect()
}

fn corrupt(what: &str, detail: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("{what}: {detail}"))
}

fn get<'r, T>(row: &'r AnyRow, column: &str) -> Result<T, StoreError>
where
    T: sqlx::Decode<'r, sqlx::Any> + sqlx::Type<sqlx::Any>,
{
    row.try_get(column).map_err(|e| corrupt(column, e))
}

fn uuid(row: &AnyRow, column: &str) -> Result<Uuid, StoreError> {
    let text: String = get(row, column)?;
    Uuid::parse_str(&text).map_err(|e| corrupt(column, e))
}

fn opt_uuid(row: &AnyRow, column: &str) -> Result<Option<Uuid>, StoreError> {
    let text: Option<String> = get(row, column)?;
    text.map(|t| Uuid::parse_str(&t).map_err(|e| corrupt(column, e)))
        .transpose()
}

fn opt_u32(row: &AnyRow, column: &str) -> Result<Option<u32>, StoreError> {
    let value: Option<i64> = get(row, column)?;
    value
        .map(|v| u32::try_from(v).map_err(|e| corrupt(column, e)))
        .transpose()
}

fn u32_of(row: &AnyRow, column: &str) -> Result<u32, StoreError> {
    let value: i64 = get(row, column)?;
    u32::try_from(value).map_err(|e| corrupt(column, e))
}

fn name(row: &AnyRow, column: &str) -> Result<Name, StoreError> {
    let text: String = get(row, column)?;
    Name::parse_absolute(&text).map_err(|e| corrupt(column, e))
}

pub(crate) const ORG_COLUMNS: &str =
    "id, slug, name, features, created_at, max_zones, max_records_per_zone";

pub(crate) fn org_from_row(row: &AnyRow) -> Result<Organisation, StoreError> {
    let features: String = get(row, "features")?;
    Ok(Organisation {
        id: uuid(row, "id")?,
        slug: get(row, "slug")?,
        name: get(row, "name")?,
        features: serde_json::from_str(&features).map_err(|e| corrupt("features", e))?,
        created_at: get(row, "created_at")?,
        max_zones: opt_u32(row, "max_zones")?,
        max_records_per_zone: opt_u32(row, "max_records_per_zone")?,
    })
}

pub(crate) fn tsig_key_from_row(row: &AnyRow) -> Result<TsigKey, StoreError> {
    let name: String = get(row, "name")?;
    let algorithm: String = get(row, "algorithm")?;
    let secret: String = get(row, "secret")?;
    TsigKey::new(&name, &algorithm, &secret, get(row, "created_at")?)
        .map_err(|e| corrupt("tsig_keys", e))
}

pub(crate) fn grant_from_row(row: &AnyRow) -> Result<AccessGrant, StoreError> {
    let role: String = get(row, "role")?;
    Ok(AccessGrant {
        id: uuid(row, "id")?,
        zone_id: uuid(row, "zone_id")?,
        org_id: uuid(row, "org_id")?,
        role: GrantRole::parse(&role).ok_or_else(|| corrupt("role", &role))?,
        created_at: get(row, "created_at")?,
    })
}

pub(crate) const TEMPLATE_COLUMNS: &str =
    "id, org_id, name, description, body, created_at, updated_at";

pub(crate) fn template_from_row(row: &AnyRow) -> Result<Template, StoreError> {
    #[derive(Deserialize)]
    struct Body {
        variables: Vec<TemplateVariable>,
        records: Vec<TemplateRecord>,
    }
    let body: String = get(row, "body")?;
    let body: Body = serde_json::from_str(&body).map_err(|e| corrupt("templates.body", e))?;
    Ok(Template {
        id: get(row, "id")?,
        org_id: Some(uuid(row, "org_id")?),
        name: get(row, "name")?,
        description: get(row, "description")?,
        variables: body.variables,
        records: body.records,
        created_at: get(row, "created_at")?,
        updated_at: get(row, "updated_at")?,
    })
}

pub(crate) const TOKEN_COLUMNS: &str = "id, org_id, project_id, name, scopes, hash, expires_at, allowed_networks, last_used_at, revoked_at, created_at";

pub(crate) fn token_from_row(row: &AnyRow) -> Result<ApiToken, StoreError> {
    let scopes: String = get(row, "scopes")?;
    let networks: String = get(row, "allowed_networks")?;
    let networks: Vec<String> =
        serde_json::from_str(&networks).map_err(|e| corrupt("allowed_networks", e))?;
    Ok(ApiToken {
        id: uuid(row, "id")?,
        org_id: uuid(row, "org_id")?,
        project_id: opt_uuid(row, "project_id")?,
        name: get(row, "name")?,
        scopes: serde_json::from_str(&scopes).map_err(|e| corrupt("scopes", e))?,
        hash: get(row, "hash")?,
        expires_at: get(row, "expires_at")?,
        allowed_networks: networks
            .iter()
            .map(|n| Cidr::parse(n).map_err(|e| corrupt("allowed_networks", e)))
            .collect::<Result<_, _>>()?,
        last_used_at: get(row, "last_used_at")?,
        revoked_at: get(row, "revoked_at")?,
        created_at: get(row, "created_at")?,
    })
}

pub(crate) fn project_from_row(row: &AnyRow) -> Result<Project, StoreError> {
    Ok(Project {
        id: uuid(row, "id")?,
        org_id: uuid(row, "org_id")?,
        slug: get(row, "slug")?,
        name: get(row, "name")?,
        created_at: get(row, "created_at")?,
    })
}

pub(crate) fn zone_from_row(row: &AnyRow) -> Result<Zone, StoreError> {
    let kind: String = get(row, "kind")?;
    let status: String = get(row, "status")?;
    let prior: Option<String> = get(row, "prior_status")?;
    let settings: String = get(row, "settings")?;
    let soa: String = get(row, "soa")?;
    let dnssec: i64 = get(row, "dnssec_enabled")?;
    Ok(Zone {
        id: uuid(row, "id")?,
        name: name(row, "name")?,
        kind: ZoneKind::parse(&kind).ok_or_else(|| corrupt("kind", &kind))?,
        status: ZoneStatus::parse(&status).ok_or_else(|| corrupt("status", &status))?,
        prior_status: match prior {
            Some(p) => Some(ZoneStatus::parse(&p).ok_or_else(|| corrupt("prior_status", &p))?),
            None => None,
        },
        default_ttl: u32_of(row, "default_ttl")?,
        description: get(row, "description")?,
        settings: serde_json::from_str(&settings).map_err(|e| corrupt("settings", e))?,
        dnssec_enabled: dnssec != 0,
        serial: u32_of(row, "serial")?,
        soa: serde_json::from_str::<SoaSettings>(&soa).map_err(|e| corrupt("soa", e))?,
        org_id: uuid(row, "org_id")?,
        project_id: opt_uuid(row, "project_id")?,
        created_at: get(row, "created_at")?,
        updated_at: get(row, "updated_at")?,
        deleted_at: get(row, "deleted_at")?,
    })
}

pub(crate) const DNSSEC_KEY_COLUMNS: &str = "id, zone_id, role, algorithm, key_tag, public_key, \
     sealed_private_key, state, created_at, published_at, active_at, retire_at, removed_at";

pub(crate) fn dnssec_key_from_row(row: &AnyRow) -> Result<DnssecKey, StoreError> {
    let hex = |column: &str| -> Result<Vec<u8>, StoreError> {
        let text: String = get(row, column)?;
        tern_core::text::hex_decode(&text).ok_or_else(|| corrupt(column, "not hexadecimal"))
    };
    let role: String = get(row, "role")?;
    let state: String = get(row, "state")?;
    let algorithm: i64 = get(row, "algorithm")?;
    let key_tag: i64 = get(row, "key_tag")?;
    Ok(DnssecKey {
        id: uuid(row, "id")?,
        zone_id: uuid(row, "zone_id")?,
        role: KeyRole::parse(&role).ok_or_else(|| corrupt("role", &role))?,
        algorithm: u8::try_from(algorithm).map_err(|e| corrupt("algorithm", e))?,
        key_tag: u16::try_from(key_tag).map_err(|e| corrupt("key_tag", e))?,
        public_key: hex("public_key")?,
        sealed_private_key: hex("sealed_private_key")?,
        state: KeyState::parse(&state).ok_or_else(|| corrupt("state", &state))?,
        created_at: get(row, "created_at")?,
        published_at: get(row, "published_at")?,
        active_at: get(row, "active_at")?,
        retire_at: get(row, "retire_at")?,
        removed_at: get(row, "removed_at")?,
    })
}

pub(crate) fn record_from_row(row: &AnyRow) -> Result<Record, StoreError> {
    let rtype_number: i64 = get(row, "rtype")?;
    let rtype = RecordType(u16::try_from(rtype_number).map_err(|e| corrupt("rtype", e))?);
    let rdata_text: String = get(row, "rdata")?;
    let ttl: Option<i64> = get(row, "ttl")?;
    Ok(Record {
        id: uuid(row, "id")?,
        zone_id: uuid(row, "zone_id")?,
        name: name(row, "name")?,
        rtype,
        ttl: ttl
            .map(|t| u32::try_from(t).map_err(|e| corrupt("ttl", e)))
            .transpose()?,
        rdata: Rdata::parse_canonical(rtype, &rdata_text).map_err(|e| corrupt("rdata", e))?,
        description: get(row, "description")?,
        created_at: get(row, "created_at")?,
        updated_at: get(row, "updated_at")?,
        version: u32_of(row, "version")?,
    })
}

pub(crate) fn journal_from_row(row: &AnyRow) -> Result<JournalEntry, StoreError> {
    let payload: String = get(row, "payload")?;
    let header: OwnedHeader =
        serde_json::from_str(&payload).map_err(|e| corrupt("journal payload", e))?;
    let source: String = get(row, "source")?;
    let zone_id = uuid(row, "zone_id")?;
    Ok(JournalEntry {
        seq: get(row, "seq")?,
        zone_id,
        zone_name: name(row, "zone_name")?,
        serial_before: u32_of(row, "serial_before")?,
        serial_after: u32_of(row, "serial_after")?,
        removed: Vec::new(),
        added: Vec::new(),
        zone_after: header.zone_after,
        key_transitions: header.key_transitions,
        principal: Principal(get(row, "principal")?),
        source: ChangeSource::parse(&source),
        at: get(row, "at")?,
    })
}
