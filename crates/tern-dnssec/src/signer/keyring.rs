//! A zone's keys ready to sign with: the stored keys whose DNSKEY is
//! published, with the private keys of the active ones opened from their
//! sealed form, and the first keys of a zone that is being signed for the
//! first time (one CSK, or a KSK and a ZSK when the settings split them).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tern_core::{
    CoreError, DnssecKey, DnssecSettings, KeyRole, KeyState, Store, Zone, new_id, now_millis,
};
use uuid::Uuid;

use crate::dnskey::{dnskey_rdata_wire, key_flags, key_tag};
use crate::kek::KeyEncryptionKey;
use crate::keys::{Algorithm, SigningKey};

/// A key whose DNSKEY is in the zone; `signing` is present for the active
/// ones.
pub(crate) struct ZoneKey {
    pub(crate) stored: DnssecKey,
    pub(crate) signing: Option<Arc<SigningKey>>,
}

/// Keys opened before, by key id and sealed form: opening one (AES-GCM,
/// then checking the key pair) costs more than the signatures a
/// one-record change needs.
#[derive(Default)]
pub(crate) struct OpenedKeys {
    keys: Mutex<HashMap<SealedKeyId, Arc<SigningKey>>>,
}

/// A key's id and its sealed form: a key sealed again opens again.
type SealedKeyId = (Uuid, Vec<u8>);

/// Opened keys kept at most; past it the cache starts again.
const OPENED_KEYS_MAX: usize = 65_536;

impl OpenedKeys {
    fn open(&self, kek: &KeyEncryptionKey, key: &DnssecKey) -> Result<Arc<SigningKey>, CoreError> {
        let id = (key.id, key.sealed_private_key.clone());
        if let Some(opened) = self.keys.lock().ok().and_then(|k| k.get(&id).cloned()) {
            return Ok(opened);
        }
        let opened = Arc::new(open(kek, key)?);
        if let Ok(mut keys) = self.keys.lock() {
            if keys.len() >= OPENED_KEYS_MAX {
                keys.clear();
            }
            keys.insert(id, opened.clone());
        }
        Ok(opened)
    }
}

impl ZoneKey {
    pub(crate) fn flags(&self) -> u16 {
        key_flags(self.stored.role)
    }

    pub(crate) fn dnskey_wire(&self) -> Vec<u8> {
        dnskey_rdata_wire(self.flags(), self.stored.algorithm, &self.stored.public_key)
    }
}

pub(crate) struct KeyRing {
    pub(crate) keys: Vec<ZoneKey>,
}

impl KeyRing {
    /// The published keys of the zone; a zone without any gets its first
    /// keys (stored before the commit that publishes them: a failed commit
    /// leaves unused keys, never a signed zone without its keys).
    pub(crate) async fn for_zone(
        store: &dyn Store,
        kek: &KeyEncryptionKey,
        opened: &OpenedKeys,
        zone: &Zone,
        settings: &DnssecSettings,
    ) -> Result<KeyRing, CoreError> {
        let mut stored: Vec<DnssecKey> = store
            .dnssec_keys(zone.id)
            .await?
            .into_iter()
            .filter(|k| k.state.is_published())
            .collect();
        if stored.is_empty() {
            let roles: &[KeyRole] = if settings.key_split {
                &[KeyRole::Ksk, KeyRole::Zsk]
            } else {
                &[KeyRole::Csk]
            };
            for role in roles {
                let key = new_key(kek, zone.id, *role, settings.algorithm)?;
                store.put_dnssec_key(&key).await?;
                stored.push(key);
            }
        }
        let mut keys = Vec::with_capacity(stored.len());
        for key in stored {
            let signing = if key.state == KeyState::Active {
                Some(opened.open(kek, &key)?)
            } else {
                None
            };
            keys.push(ZoneKey {
                stored: key,
                signing,
            });
        }
        Ok(KeyRing { keys })
    }

    /// The active keys that sign the DNSKEY, CDS and CDNSKEY RRsets.
    pub(crate) fn key_signers(&self) -> impl Iterator<Item = &ZoneKey> {
        self.keys
            .iter()
            .filter(|k| k.signing.is_some() && k.stored.role.signs_keys())
    }

    /// The active keys that sign every other RRset.
    pub(crate) fn zone_signers(&self) -> impl Iterator<Item = &ZoneKey> {
        self.keys
            .iter()
            .filter(|k| k.signing.is_some() && k.stored.role.signs_zone())
    }
}

/// The associated data a sealed key is bound to: its zone and its id, so a
/// row copied to another zone or key does not open.
fn binding(zone_id: Uuid, key_id: Uuid) -> Vec<u8> {
    let mut out = Vec::with_capacity(32);
    out.extend_from_slice(zone_id.as_bytes());
    out.extend_from_slice(key_id.as_bytes());
    out
}

fn signing_error(zone_id: Uuid, detail: impl std::fmt::Display) -> CoreError {
    CoreError::Unavailable {
        message: format!("DNSSEC key of zone {zone_id}: {detail}; nothing was changed"),
    }
}

fn new_key(
    kek: &KeyEncryptionKey,
    zone_id: Uuid,
    role: KeyRole,
    algorithm: u8,
) -> Result<DnssecKey, CoreError> {
    let algorithm_kind = Algorithm::from_number(algorithm).ok_or_else(|| {
        CoreError::validation("algorithm", format!("algorithm {algorithm} is not offered"))
    })?;
    let signing = SigningKey::generate(algorithm_kind).map_err(|e| signing_error(zone_id, e))?;
    let id = new_id();
    let public_key = signing.public_key();
    let sealed = kek
        .seal(signing.pkcs8(), &binding(zone_id, id))
        .map_err(|e| signing_error(zone_id, e))?;
    let now = now_millis();
    Ok(DnssecKey {
        id,
        zone_id,
        role,
        algorithm,
        key_tag: key_tag(key_flags(role), algorithm, &public_key),
        public_key,
        sealed_private_key: sealed,
        state: KeyState::Active,
        created_at: now,
        published_at: Some(now),
        active_at: Some(now),
        retire_at: None,
        removed_at: None,
    })
}

fn open(kek: &KeyEncryptionKey, key: &DnssecKey) -> Result<SigningKey, CoreError> {
    let algorithm = Algorithm::from_number(key.algorithm).ok_or_else(|| {
        signing_error(key.zone_id, format!("unknown algorithm {}", key.algorithm))
    })?;
    let pkcs8 = kek
        .open(&key.sealed_private_key, &binding(key.zone_id, key.id))
        .map_err(|e| signing_error(key.zone_id, e))?;
    SigningKey::from_pkcs8(algorithm, &pkcs8).map_err(|e| signing_error(key.zone_id, e))
}
