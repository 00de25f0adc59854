//! A zone's DNSSEC signing keys as the store keeps them: role, state
//! through RFC 7583's life, and the private key only in its sealed form.
//! Its own module so that the store and the signing interface both use it
//! without depending on each other.

use std::fmt;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::timestamp::Timestamp;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum KeyRole {
    /// Combined signing key: signs everything, its DS goes to the parent.
    Csk,
    Ksk,
    Zsk,
}

impl KeyRole {
    pub fn as_str(self) -> &'static str {
        match self {
            KeyRole::Csk => "csk",
            KeyRole::Ksk => "ksk",
            KeyRole::Zsk => "zsk",
        }
    }

    pub fn parse(text: &str) -> Option<KeyRole> {
        Some(match text {
            "csk" => KeyRole::Csk,
            "ksk" => KeyRole::Ksk,
            "zsk" => KeyRole::Zsk,
            _ => return None,
        })
    }

    /// Whether its DNSKEY carries the SEP flag and signs the DNSKEY RRset.
    pub fn signs_keys(self) -> bool {
        matches!(self, KeyRole::Csk | KeyRole::Ksk)
    }

    /// Whether it signs the zone's other RRsets.
    pub fn signs_zone(self) -> bool {
        matches!(self, KeyRole::Csk | KeyRole::Zsk)
    }
}

impl fmt::Display for KeyRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// RFC 7583's life of a key. `Ready` is a key-signing key whose DNSKEY
/// has been published long enough for its DS to go to the parent (CDS
/// lists it); it turns active once the parent serves that DS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum KeyState {
    Created,
    Published,
    Ready,
    Active,
    Retired,
    Removed,
}

impl KeyState {
    pub fn as_str(self) -> &'static str {
        match self {
            KeyState::Created => "created",
            KeyState::Published => "published",
            KeyState::Ready => "ready",
            KeyState::Active => "active",
            KeyState::Retired => "retired",
            KeyState::Removed => "removed",
        }
    }

    pub fn parse(text: &str) -> Option<KeyState> {
        Some(match text {
            "created" => KeyState::Created,
            "published" => KeyState::Published,
            "ready" => KeyState::Ready,
            "active" => KeyState::Active,
            "retired" => KeyState::Retired,
            "removed" => KeyState::Removed,
            _ => return None,
        })
    }

    /// Whether its DNSKEY is in the zone.
    pub fn is_published(self) -> bool {
        matches!(
            self,
            KeyState::Published | KeyState::Ready | KeyState::Active | KeyState::Retired
        )
    }
}

impl fmt::Display for KeyState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A signing key as stored. The private key is only ever held sealed
/// (AES-256-GCM under the key-encryption key, bound to zone and key id);
/// the store never sees it in the clear.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DnssecKey {
    pub id: Uuid,
    pub zone_id: Uuid,
    pub role: KeyRole,
    pub algorithm: u8,
    pub key_tag: u16,
    /// DNSKEY public key field (RFC 6605 / RFC 8080 form).
    pub public_key: Vec<u8>,
    pub sealed_private_key: Vec<u8>,
    pub state: KeyState,
    pub created_at: Timestamp,
    pub published_at: Option<Timestamp>,
    pub active_at: Option<Timestamp>,
    pub retire_at: Option<Timestamp>,
    pub removed_at: Option<Timestamp>,
}

impl DnssecKey {
    /// Whether it signs the DNSKEY, CDS and CDNSKEY RRsets: every
    /// key-signing key whose DNSKEY is in the zone. A new one signs from
    /// its publication and a retired one until its removal, so that every
    /// DNSKEY RRset a resolver may hold during a rollover validates with
    /// whichever DS it holds.
    pub fn signs_key_set(&self) -> bool {
        self.role.signs_keys() && self.state.is_published()
    }

    /// Whether it signs the zone's other RRsets: only the active ZSK/CSK.
    pub fn signs_data(&self) -> bool {
        self.role.signs_zone() && self.state == KeyState::Active
    }

    /// Whether CDS/CDNSKEY (and the DS shown for the parent) name it.
    pub fn wants_ds(&self) -> bool {
        self.role.signs_keys() && matches!(self.state, KeyState::Ready | KeyState::Active)
    }
}

/// One step in a key's life, as the journal records it beside the records
/// the step changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyTransition {
    pub key_id: uuid::Uuid,
    pub role: KeyRole,
    pub key_tag: u16,
    pub state: KeyState,
    /// Why, in words (`lifetime reached`, `DS seen at the parent`, …).
    pub reason: String,
}
