//! A zone's keys ready to sign with: the keys whose DNSKEY is published,
//! with the private keys of the ones that sign opened from their sealed
//! form (which key signs what is `DnssecKey`'s rule), and new key pairs.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tern_core::{CoreError, DnssecKey, KeyRole, KeyState, new_id, now_millis};
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
    /// Signing is being turned off: CDS/CDNSKEY take the delete form.
    pub(crate) unsigning: bool,
}

impl KeyRing {
    /// The zone's keys as the commit leaves them, those whose DNSKEY is
    /// published, with the private keys of the ones that sign opened.
    pub(crate) fn new(
        kek: &KeyEncryptionKey,
        opened: &OpenedKeys,
        keys: &[DnssecKey],
        unsigning: bool,
    ) -> Result<KeyRing, CoreError> {
        let mut ring = Vec::with_capacity(keys.len());
        for key in keys.iter().filter(|k| k.state.is_published()) {
            let signing = if key.signs_key_set() || key.signs_data() {
                Some(opened.open(kek, key)?)
            } else {
                None
            };
            ring.push(ZoneKey {
                stored: key.clone(),
                signing,
            });
        }
        Ok(KeyRing {
            keys: ring,
            unsigning,
        })
    }

    /// The keys that sign the DNSKEY, CDS and CDNSKEY RRsets.
    pub(crate) fn key_signers(&self) -> impl Iterator<Item = &ZoneKey> {
        self.keys
            .iter()
            .filter(|k| k.signing.is_some() && k.stored.signs_key_set())
    }

    /// The keys that sign every other RRset.
    pub(crate) fn zone_signers(&self) -> impl Iterator<Item = &ZoneKey> {
        self.keys
            .iter()
            .filter(|k| k.signing.is_some() && k.stored.signs_data())
    }

    /// The keys CDS/CDNSKEY name, for the parent's DS.
    pub(crate) fn ds_keys(&self) -> impl Iterator<Item = &ZoneKey> {
        self.keys.iter().filter(|k| k.stored.wants_ds())
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

/// A new key pair, sealed; `Created`, with no times but its creation.
pub(crate) fn new_key(
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
        state: KeyState::Created,
        created_at: now,
        published_at: None,
        active_at: None,
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
