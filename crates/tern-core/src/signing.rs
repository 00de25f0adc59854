//! What the write path knows of DNSSEC: a zone's signing settings, its keys
//! as stored, which record types only the signer writes, and the
//! `ZoneSigner` that `ZoneService` calls before every commit of a signed
//! zone. The cryptography lives behind that trait (crate `tern-dnssec`), so
//! the core stays free of it.

use serde::{Deserialize, Serialize};

use crate::dnssec_key::{DnssecKey, KeyRole};
use crate::error::CoreError;
use crate::model::{Record, Timestamp, Zone};
use crate::name::Name;
use crate::rdata::RecordType;
use crate::store::Store;

/// RRSIG, NSEC, DNSKEY, NSEC3, NSEC3PARAM, CDS, CDNSKEY: records that the
/// signer derives from the zone. No API face, import or update writes them,
/// listings and the default export leave them out, and the zone rules
/// (CNAME exclusivity) do not count them.
pub fn is_signer_owned(rtype: RecordType) -> bool {
    rtype.is_dnssec()
}

/// The record types `is_signer_owned` accepts, for store queries.
pub const SIGNER_OWNED_TYPES: [RecordType; 7] = [
    RecordType::RRSIG,
    RecordType::NSEC,
    RecordType::DNSKEY,
    RecordType::NSEC3,
    RecordType::NSEC3PARAM,
    RecordType::CDS,
    RecordType::CDNSKEY,
];

/// How a zone proves that names and types do not exist.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase", tag = "denial")]
pub enum Denial {
    /// RFC 5155 hashed denial; RFC 9276 asks for no extra iterations and
    /// no salt, and that is the default.
    Nsec3 {
        iterations: u16,
        salt: Vec<u8>,
    },
    Nsec,
}

impl Default for Denial {
    fn default() -> Self {
        Denial::Nsec3 {
            iterations: 0,
            salt: Vec::new(),
        }
    }
}

/// A zone's DNSSEC settings, kept in its `settings` under `"dnssec"`.
/// Settings stored before a field existed read it as its default.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct DnssecSettings {
    /// DNSKEY algorithm number: 13 (ECDSA P-256/SHA-256) or 15 (Ed25519).
    pub algorithm: u8,
    #[serde(flatten)]
    pub denial: Denial,
    /// A KSK + ZSK pair instead of one combined signing key.
    pub key_split: bool,
    /// How long a new signature is valid.
    pub signature_validity_secs: u32,
    /// Signatures are remade when less than this is left of them.
    pub refresh_before_secs: u32,
    /// Expirations are spread over this window, so that a zone's
    /// signatures do not all run out in the same second.
    pub jitter_secs: u32,
    /// A ZSK is rolled (pre-publication) this long after it became active;
    /// 0 never.
    pub zsk_lifetime_secs: u32,
    /// The same for a KSK or CSK (double-DS); 0 never, the default, since
    /// each such rollover needs the parent's DS to change.
    pub ksk_lifetime_secs: u32,
    /// How long a change takes to reach every secondary and every
    /// resolver's view, on top of the TTLs (RFC 7583's Dprp).
    pub propagation_delay_secs: u32,
    /// The TTL the parent serves the zone's DS with, when the parent's
    /// resolver does not tell (RFC 7583's TTLds): how long resolvers may
    /// hold a DS set that has changed at the parent.
    pub parent_ds_ttl_secs: u32,
    /// Signing is being turned off (RFC 8078 §4): CDS/CDNSKEY ask the
    /// parent to delete the DS, and the zone is unsigned only once the
    /// parent's DS is gone and resolvers' copies of it have expired.
    /// Written by the key manager only.
    pub unsigning: Option<Unsigning>,
}

/// Where turning signing off stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unsigning {
    pub requested_at: Timestamp,
    /// When the parent was first seen serving no DS for the zone.
    pub ds_gone_at: Option<Timestamp>,
}

impl Default for DnssecSettings {
    fn default() -> Self {
        // Knot's defaults: two weeks of validity, refreshed a week before.
        DnssecSettings {
            algorithm: 13,
            denial: Denial::default(),
            key_split: false,
            signature_validity_secs: 14 * 86_400,
            refresh_before_secs: 7 * 86_400,
            jitter_secs: 86_400,
            zsk_lifetime_secs: 90 * 86_400,
            ksk_lifetime_secs: 0,
            propagation_delay_secs: 3600,
            parent_ds_ttl_secs: 86_400,
            unsigning: None,
        }
    }
}

impl DnssecSettings {
    pub const SETTINGS_KEY: &'static str = "dnssec";

    /// The zone's settings, or the defaults when it has none stored.
    pub fn of(zone: &Zone) -> Result<DnssecSettings, CoreError> {
        Self::from_settings(&zone.settings)
    }

    /// The DNSSEC part of a zone's `settings` object, or the defaults.
    pub fn from_settings(settings: &serde_json::Value) -> Result<DnssecSettings, CoreError> {
        match settings.get(Self::SETTINGS_KEY) {
            None | Some(serde_json::Value::Null) => Ok(DnssecSettings::default()),
            Some(value) => serde_json::from_value(value.clone()).map_err(|e| {
                CoreError::validation("settings.dnssec", format!("not valid DNSSEC settings: {e}"))
            }),
        }
    }

    /// Checks the choices a user can make, naming the field.
    pub fn validate(&self) -> Result<(), CoreError> {
        if !matches!(self.algorithm, 13 | 15) {
            return Err(CoreError::validation(
                "algorithm",
                format!(
                    "algorithm {} is not offered: use 13 (ECDSAP256SHA256) or 15 (ED25519)",
                    self.algorithm
                ),
            ));
        }
        if let Denial::Nsec3 { iterations, salt } = &self.denial {
            // RFC 9276 §3.1: validators may treat more than 0 as insecure.
            if *iterations > 0 {
                return Err(CoreError::validation(
                    "nsec3.iterations",
                    "must be 0 (RFC 9276: extra iterations add no protection and validators may treat them as insecure)",
                ));
            }
            if salt.len() > 255 {
                return Err(CoreError::validation(
                    "nsec3.salt",
                    "is longer than 255 octets",
                ));
            }
        }
        for (field, lifetime) in [
            ("zsk_lifetime_secs", self.zsk_lifetime_secs),
            ("ksk_lifetime_secs", self.ksk_lifetime_secs),
        ] {
            // Shorter than an hour, a key would be replaced before its own
            // rollover could have finished.
            if lifetime != 0 && lifetime < 3600 {
                return Err(CoreError::validation(
                    field,
                    "must be 0 (no automatic rollover) or at least 3600 seconds",
                ));
            }
        }
        if self.refresh_before_secs >= self.signature_validity_secs {
            return Err(CoreError::validation(
                "refresh_before_secs",
                "must be shorter than signature_validity_secs",
            ));
        }
        Ok(())
    }
}

/// What a commit may do to a signed zone's signing settings, for every face:
/// they must be valid, and on a zone that stays signed the algorithm and
/// the key split cannot change: that would need an algorithm rollover
/// (RFC 6781 §4.1.4), which Tern does not offer — key rollovers keep the
/// algorithm. The denial and the timings may change: the signer rebuilds
/// the chain, the key manager reads the timings at each step.
pub fn check_signing_change(before: &Zone, after: &Zone) -> Result<(), CoreError> {
    if !after.dnssec_enabled {
        return Ok(());
    }
    let wanted = DnssecSettings::of(after)?;
    wanted.validate()?;
    if !before.dnssec_enabled {
        return Ok(());
    }
    let current = DnssecSettings::of(before)?;
    let field = if wanted.algorithm != current.algorithm {
        "algorithm"
    } else if wanted.key_split != current.key_split {
        "key_split"
    } else {
        return Ok(());
    };
    Err(CoreError::conflict(
        Some(field),
        format!(
            "zone {} is signed with algorithm {}{}; changing the algorithm or the key split needs an algorithm rollover, which this server does not offer. Disable signing (the zone goes insecure once the parent's DS is gone) and enable it again with the new settings",
            after.name,
            current.algorithm,
            if current.key_split {
                " and a KSK + ZSK pair"
            } else {
                " and one combined key"
            }
        ),
    ))
}

/// The DNSSEC records a commit adds and removes besides the user's change.
#[derive(Debug, Clone, Default)]
pub struct SignedDelta {
    pub removed: Vec<Record>,
    pub added: Vec<Record>,
    /// From a whole-zone pass: when (Unix seconds, the signer's clock) the
    /// earliest of the zone's signatures after this delta falls due.
    pub next_due: Option<u64>,
}

/// Makes a commit's DNSSEC records. `ZoneService` calls it with the zone
/// before and after the change (`after` carries the new serial and
/// `dnssec_enabled`), the zone's keys as the commit leaves them, and the
/// user records the change removes and adds: turning signing on asks for
/// the whole zone's records, off for their removal, and any other change
/// on a signed zone for what it invalidates. The store is read as it was
/// before the change.
#[async_trait::async_trait]
pub trait ZoneSigner: Send + Sync {
    #[allow(clippy::too_many_arguments)]
    async fn sign(
        &self,
        store: &dyn Store,
        before: &Zone,
        after: &Zone,
        keys: &[DnssecKey],
        removed: &[Record],
        added: &[Record],
    ) -> Result<SignedDelta, CoreError>;

    /// A new key pair for the zone, its private half sealed; state
    /// `Created`, not yet stored.
    fn new_key(&self, zone: &Zone, role: KeyRole, algorithm: u8) -> Result<DnssecKey, CoreError>;

    /// The SHA-256 DS RDATA (wire form) the parent holds for `key`.
    fn ds_rdata(&self, apex: &Name, key: &DnssecKey) -> Vec<u8>;

    /// The signing clock, Unix seconds (tests move it; key timings and
    /// signature validity both read it).
    fn now(&self) -> u64;
}

/// What the parent zone serves as the zone's DS RRset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParentDs {
    /// DS RDATA in wire form; empty when the parent has none.
    pub rdatas: Vec<Vec<u8>>,
    /// The TTL the answer carried (a resolver's may have counted down).
    pub ttl: Option<u32>,
}

/// Asks the parent side which DS it serves for a zone
/// (`--dnssec-parent-resolver`): the key manager's check before a KSK/CSK
/// rollover completes and before a zone is unsigned.
#[async_trait::async_trait]
pub trait ParentDsLookup: Send + Sync {
    /// `Err` with the reason when no answer could be had; the step then
    /// waits for the next check.
    async fn lookup(&self, zone: &Name) -> Result<ParentDs, String>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_round_trip_through_zone_settings() {
        let settings = DnssecSettings {
            denial: Denial::Nsec,
            key_split: true,
            ..DnssecSettings::default()
        };
        let value = serde_json::to_value(&settings).expect("encode");
        assert_eq!(value["denial"], "nsec");
        let back: DnssecSettings = serde_json::from_value(value).expect("decode");
        assert_eq!(back, settings);
        let nsec3 = serde_json::to_value(DnssecSettings::default()).expect("encode");
        assert_eq!(nsec3["denial"], "nsec3");
        assert_eq!(nsec3["iterations"], 0);
    }

    #[test]
    fn bad_choices_name_their_field() {
        let bad = DnssecSettings {
            algorithm: 8,
            ..DnssecSettings::default()
        };
        assert!(
            bad.validate()
                .unwrap_err()
                .to_string()
                .contains("algorithm")
        );
        let bad = DnssecSettings {
            denial: Denial::Nsec3 {
                iterations: 10,
                salt: vec![],
            },
            ..DnssecSettings::default()
        };
        assert!(
            bad.validate()
                .unwrap_err()
                .to_string()
                .contains("iterations")
        );
        assert!(DnssecSettings::default().validate().is_ok());
        let bad = DnssecSettings {
            zsk_lifetime_secs: 60,
            ..DnssecSettings::default()
        };
        assert!(
            bad.validate()
                .unwrap_err()
                .to_string()
                .contains("zsk_lifetime_secs")
        );
    }

    #[test]
    fn signer_owned_types_are_the_dnssec_ones() {
        for t in SIGNER_OWNED_TYPES {
            assert!(is_signer_owned(t));
        }
        assert!(!is_signer_owned(RecordType::DS));
        assert!(!is_signer_owned(RecordType::A));
    }
}
