//! A zone's DNSSEC status as every face shows it: settings, every key with
//! its state, dates and next step, the DS lines for the parent, the DNSKEY
//! lines, and where a rollover or an unsigning stands.

use base64::Engine as _;
use serde::Serialize;
use tern_core::signing::SIGNER_OWNED_TYPES;
use tern_core::{Denial, DnssecKey, DnssecSettings, KeyState, RecordType, Zone};
use tern_dnssec::{
    DIGEST_SHA256, dnskey_presentation, dnskey_rdata_wire, ds_digest_sha256, ds_presentation,
    key_flags,
};

use crate::ApiState;
use crate::error::ApiResult;
use crate::views::iso;

/// DNSKEY, CDS: the stored records the view reads (their TTL, whether CDS
/// is published).
const DNSKEY: RecordType = RecordType(48);
const CDS: RecordType = RecordType(59);

/// One signing key, without its (sealed) private half.
#[derive(Serialize, utoipa::ToSchema)]
pub struct KeyView {
    pub id: uuid::Uuid,
    /// `csk`, `ksk` or `zsk`.
    pub role: &'static str,
    pub algorithm: u8,
    pub key_tag: u16,
    /// `created`, `published`, `ready` (its DS may go to the parent),
    /// `active`, `retired` or `removed`.
    pub state: &'static str,
    /// The DNSKEY public key field, base64.
    pub public_key: String,
    pub created_at: String,
    pub published_at: Option<String>,
    pub active_at: Option<String>,
    pub retire_at: Option<String>,
    pub removed_at: Option<String>,
    /// The state it moves to next, when a step is planned.
    pub next_state: Option<&'static str>,
    /// When that step is due; absent for a key that waits for the parent.
    pub next_state_at: Option<String>,
    /// What the next step waits for, in words.
    pub waiting_for: Option<&'static str>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Nsec3View {
    pub iterations: u16,
    /// Hex; empty for no salt.
    pub salt: String,
}

/// Where turning signing off stands.
#[derive(Serialize, utoipa::ToSchema)]
pub struct UnsigningView {
    pub requested_at: String,
    /// When the parent was first seen without a DS for the zone.
    pub ds_gone_at: Option<String>,
    /// When the zone goes unsigned (resolvers have forgotten the DS).
    pub unsign_at: Option<String>,
}

/// A zone's DNSSEC status.
#[derive(Serialize, utoipa::ToSchema)]
pub struct DnssecView {
    pub enabled: bool,
    /// `unsigned`, `signed`, `rolling` (a key rollover is under way) or
    /// `unsigning` (waiting for the parent's DS to go).
    pub status: &'static str,
    pub algorithm: u8,
    /// `nsec3` or `nsec`.
    pub denial: &'static str,
    pub nsec3: Option<Nsec3View>,
    pub key_split: bool,
    pub zsk_lifetime_secs: u32,
    pub ksk_lifetime_secs: u32,
    pub propagation_delay_secs: u32,
    pub parent_ds_ttl_secs: u32,
    /// Every key the zone has had, oldest first.
    pub keys: Vec<KeyView>,
    /// What the parent zone should hold: one SHA-256 DS per key-signing
    /// key that is active or ready, in presentation form.
    pub ds_records: Vec<String>,
    pub dnskey_records: Vec<String>,
    /// Whether CDS/CDNSKEY are published (RFC 7344), for parents that
    /// pick the DS up themselves; while unsigning, the delete form.
    pub cds_published: bool,
    pub unsigning: Option<UnsigningView>,
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}

/// The status of `zone`, read from its settings, its keys and the DNSSEC
/// records the signer stored.
pub async fn view(state: &ApiState, zone: &Zone) -> ApiResult<DnssecView> {
    let settings = DnssecSettings::of(zone)?;
    let store = state.service.store();
    let mut keys: Vec<DnssecKey> = store.dnssec_keys(zone.id).await?;
    keys.sort_by_key(|k| (k.created_at, k.id));
    let stored = if zone.dnssec_enabled {
        store.records_of_types(zone.id, &SIGNER_OWNED_TYPES).await?
    } else {
        Vec::new()
    };
    let schedule = if zone.dnssec_enabled {
        state.service.key_schedule(zone).await?
    } else {
        Vec::new()
    };
    // The parent's DS should carry the TTL the DNSKEY RRset is served with.
    let dnskey_ttl = stored
        .iter()
        .find(|r| r.rtype == DNSKEY)
        .and_then(|r| r.ttl)
        .unwrap_or(zone.default_ttl);
    let published: Vec<&DnssecKey> = keys
        .iter()
        .filter(|k| zone.dnssec_enabled && k.state.is_published())
        .collect();
    let dnskey_records = published
        .iter()
        .map(|k| {
            dnskey_presentation(
                &zone.name,
                dnskey_ttl,
                key_flags(k.role),
                k.algorithm,
                &k.public_key,
            )
        })
        .collect();
    let ds_records = published
        .iter()
        .filter(|k| k.wants_ds())
        .map(|k| {
            let wire = dnskey_rdata_wire(key_flags(k.role), k.algorithm, &k.public_key);
            let digest = ds_digest_sha256(&zone.name, &wire);
            ds_presentation(
                &zone.name,
                dnskey_ttl,
                k.key_tag,
                k.algorithm,
                DIGEST_SHA256,
                &digest,
            )
        })
        .collect();
    let (denial, nsec3) = match &settings.denial {
        Denial::Nsec3 { iterations, salt } => (
            "nsec3",
            Some(Nsec3View {
                iterations: *iterations,
                salt: hex(salt),
            }),
        ),
        Denial::Nsec => ("nsec", None),
    };
    let b64 = base64::engine::general_purpose::STANDARD;
    let status = tern_core::rollover::signing_status(zone, &settings, &keys);
    Ok(DnssecView {
        enabled: zone.dnssec_enabled,
        status,
        algorithm: settings.algorithm,
        denial,
        nsec3,
        key_split: settings.key_split,
        zsk_lifetime_secs: settings.zsk_lifetime_secs,
        ksk_lifetime_secs: settings.ksk_lifetime_secs,
        propagation_delay_secs: settings.propagation_delay_secs,
        parent_ds_ttl_secs: settings.parent_ds_ttl_secs,
        keys: keys
            .iter()
            .map(|k| {
                let next = schedule
                    .iter()
                    .find(|(id, _)| *id == k.id)
                    .and_then(|(_, next)| *next);
                let waiting_for = match (k.state, next.map(|(s, _)| s)) {
                    (KeyState::Ready, _) => Some("the parent to serve its DS"),
                    (KeyState::Published, _) => Some("its DNSKEY to reach every cache"),
                    (KeyState::Retired, _) => Some("caches to forget what it signed"),
                    (KeyState::Active, Some(_)) => {
                        Some("the end of its lifetime, when its rollover starts")
                    }
                    _ => None,
                };
                let next_state = if k.state == KeyState::Ready {
                    Some(KeyState::Active.as_str())
                } else {
                    next.map(|(s, _)| s.as_str())
                };
                KeyView {
                    id: k.id,
                    role: k.role.as_str(),
                    algorithm: k.algorithm,
                    key_tag: k.key_tag,
                    state: k.state.as_str(),
                    public_key: b64.encode(&k.public_key),
                    created_at: iso(k.created_at),
                    published_at: k.published_at.map(iso),
                    active_at: k.active_at.map(iso),
                    retire_at: k.retire_at.map(iso),
                    removed_at: k.removed_at.map(iso),
                    next_state,
                    next_state_at: next.map(|(_, at)| iso(at)),
                    waiting_for,
                }
            })
            .collect(),
        ds_records,
        dnskey_records,
        cds_published: stored.iter().any(|r| r.rtype == CDS),
        unsigning: settings.unsigning.as_ref().map(|u| UnsigningView {
            requested_at: iso(u.requested_at),
            ds_gone_at: u.ds_gone_at.map(iso),
            unsign_at: tern_core::rollover::unsign_at(&settings).map(iso),
        }),
    })
}
