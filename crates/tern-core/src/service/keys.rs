//! Running the key manager for a signed zone: gather what `rollover`
//! decides on (keys, TTLs, the signing clock, the parent's DS), commit its
//! step with the signer's records, and re-sign what is due. Also the key
//! set every signed commit hands the signer: first keys when signing is
//! turned on, all keys removed when it goes off.

use crate::dnssec_key::{DnssecKey, KeyState, KeyTransition};
use crate::error::CoreError;
use crate::model::{Timestamp, Zone, ZoneStatus};
use crate::rollover::{self, KeyFacts, KeyRequest};
use crate::signing::{DnssecSettings, ParentDs, ZoneSigner};
use crate::store::StoreError;

use super::ordering::Backoff;
use super::plan::Plan;
use super::{Actor, CommitOutcome, ZoneService};
use uuid::Uuid;

impl ZoneService {
    /// One key-manager pass over a signed zone: key steps that are due (or
    /// `request`ed), then signatures that are due (near expiry, or made by
    /// a key no longer active). One commit with the next serial when
    /// anything changes, none otherwise. Several nodes may run it on one
    /// database: the serial guard lets one commit, and the others find
    /// nothing left to do (keys are written in the commit, so a losing
    /// node leaves no key behind).
    pub async fn maintain_signing(
        &self,
        zone_id: Uuid,
        request: KeyRequest,
        actor: &Actor,
    ) -> Result<Option<CommitOutcome>, CoreError> {
        let mut backoff = Backoff::new(self.config.conflict_deadline);
        loop {
            match self.maintain_once(zone_id, request, actor).await {
                // Another node committed to the zone first: decide again on
                // the zone as it is now (a step it took is no longer due; a
                // rollover it started makes this request a conflict).
                Err(CoreError::Store(StoreError::SerialMismatch { .. })) => {
                    if !backoff.wait().await {
                        return Err(self.kept_changing(zone_id));
                    }
                }
                other => return other,
            }
        }
    }

    async fn maintain_once(
        &self,
        zone_id: Uuid,
        request: KeyRequest,
        actor: &Actor,
    ) -> Result<Option<CommitOutcome>, CoreError> {
        let Some(signer) = self.signer.get().cloned() else {
            return match request {
                KeyRequest::Maintain => Ok(None),
                _ => Err(CoreError::Unavailable {
                    message: "this server has no DNSSEC signer (no key-encryption key); nothing was changed".into(),
                }),
            };
        };
        let mut turn = self.locks.turn(zone_id).await;
        let zone = self.zone(zone_id).await?;
        turn.serial = Some(zone.serial);
        if !zone.dnssec_enabled || zone.status == ZoneStatus::Deleted {
            return match request {
                KeyRequest::Maintain => Ok(None),
                _ => Err(CoreError::conflict(
                    None,
                    format!("zone {} is not signed", zone.name),
                )),
            };
        }
        let settings = DnssecSettings::of(&zone)?;
        let keys = self.live_keys(zone.id).await?;
        let now = key_clock(signer.as_ref());
        let max_ttl = self.max_ttl(&zone).await?;
        let parent = self.parent_view(&zone, &settings, &keys, request).await;
        let parent_has = |key: Option<&DnssecKey>| -> Option<bool> {
            let ds = parent.as_ref()?;
            Some(match key {
                None => !ds.rdatas.is_empty(),
                Some(key) => parent_serves(signer.as_ref(), &zone, key, ds),
            })
        };
        let facts = KeyFacts {
            zone: &zone,
            settings: &settings,
            keys: &keys,
            now,
            max_ttl,
            parent_has: &parent_has,
            request,
        };
        let step = rollover::next_step(&facts)?;
        let mut plan = Plan::resign(zone.clone());
        if !step.is_empty() {
            plan.keys = step.changed;
            plan.transitions = step.transitions;
            for role in step.new_keys {
                let taken: Vec<u16> = keys.iter().chain(&plan.keys).map(|k| k.key_tag).collect();
                let mut key = fresh_key(signer.as_ref(), &zone, role, settings.algorithm, &taken)?;
                key.state = KeyState::Published;
                key.published_at = Some(now);
                plan.transitions.push(KeyTransition {
                    key_id: key.id,
                    role,
                    key_tag: key.key_tag,
                    state: KeyState::Published,
                    reason: match request {
                        KeyRequest::Rollover(_) => "rollover asked for".into(),
                        _ => "the active key's lifetime is over: rollover".into(),
                    },
                });
                plan.keys.push(key);
            }
            if let Some(unsigning) = step.unsigning {
                let mut new_settings = settings.clone();
                new_settings.unsigning = unsigning;
                plan.zone.settings = with_dnssec_settings(&zone.settings, &new_settings)?;
            }
            if step.unsign {
                let mut new_settings = settings.clone();
                new_settings.unsigning = None;
                plan.zone.settings = with_dnssec_settings(&zone.settings, &new_settings)?;
                plan.zone.dnssec_enabled = false;
            }
        } else {
            // Nothing can be due before the time the last whole-zone pass
            // found (unless the settings changed since).
            let clock = signer.now();
            if self.resign_known_until(&zone, &settings) > clock {
                return Ok(None);
            }
            // Asked with the zone and keys unchanged, the signer returns
            // only what is due.
            let due = signer
                .sign(self.store.as_ref(), &zone, &zone, &keys, &[], &[])
                .await?;
            if due.added.is_empty() && due.removed.is_empty() {
                self.remember_resign(&zone, &settings, clock, due.next_due);
                return Ok(None);
            }
        }
        let outcome = self.commit_plan(zone, plan, actor).await?;
        turn.serial = Some(outcome.serial_after);
        Ok(Some(outcome))
    }

    /// What the zone's keys are waiting for, for status views: each
    /// waiting key's next state and when it is due (a `Ready` key waits
    /// for the parent, with no time).
    pub async fn key_schedule(
        &self,
        zone: &Zone,
    ) -> Result<Vec<(Uuid, Option<(KeyState, Timestamp)>)>, CoreError> {
        let settings = DnssecSettings::of(zone)?;
        let keys = self.live_keys(zone.id).await?;
        let max_ttl = self.max_ttl(zone).await?;
        let facts = KeyFacts {
            zone,
            settings: &settings,
            keys: &keys,
            now: 0,
            max_ttl,
            parent_has: &|_| None,
            request: KeyRequest::Maintain,
        };
        Ok(keys
            .iter()
            .map(|k| (k.id, rollover::next_step_at(&facts, k)))
            .collect())
    }

    /// The keys a signed commit signs with, as it leaves them; `written`
    /// (the keys the commit stores) gains the first keys of a zone being
    /// signed, or every key's removal when signing goes off.
    pub(super) async fn keys_for_commit(
        &self,
        signer: &dyn ZoneSigner,
        before: &Zone,
        after: &Zone,
        written: &mut Vec<DnssecKey>,
        transitions: &mut Vec<KeyTransition>,
    ) -> Result<Vec<DnssecKey>, CoreError> {
        let mut keys = self.live_keys(before.id).await?;
        for key in written.iter() {
            match keys.iter_mut().find(|k| k.id == key.id) {
                Some(stored) => *stored = key.clone(),
                None => keys.push(key.clone()),
            }
        }
        keys.retain(|k| k.state != KeyState::Removed);
        let now = key_clock(signer);
        if !after.dnssec_enabled {
            for mut key in keys.drain(..) {
                key.state = KeyState::Removed;
                key.removed_at = Some(now);
                transitions.push(transition(&key, "signing turned off"));
                written.push(key);
            }
        } else if keys.is_empty() {
            let settings = DnssecSettings::of(after)?;
            for role in rollover::roles_of(&settings) {
                let taken: Vec<u16> = keys.iter().map(|k| k.key_tag).collect();
                let mut key = fresh_key(signer, after, *role, settings.algorithm, &taken)?;
                key.state = KeyState::Active;
                key.published_at = Some(now);
                key.active_at = Some(now);
                transitions.push(transition(&key, "signing turned on"));
                written.push(key.clone());
                keys.push(key);
            }
        }
        Ok(keys)
    }

    /// Until when (signing clock) no signature of `zone` can fall due, as
    /// the last pass that found nothing due worked out; 0 if unknown.
    fn resign_known_until(&self, zone: &Zone, settings: &DnssecSettings) -> u64 {
        self.resign_after
            .lock()
            .ok()
            .and_then(|known| {
                known
                    .get(&zone.id)
                    .filter(|(held, _)| held == settings)
                    .map(|(_, until)| *until)
            })
            .unwrap_or(0)
    }

    /// After a pass at `now` found nothing due: nothing is due before the
    /// earliest stored signature's time (`next_due`), nor before what any
    /// signature made from now on can need, since each is made valid for
    /// `signature_validity_secs` less at most `jitter_secs`. Saves the
    /// whole-zone pass (every record read, the denial chain rebuilt) every
    /// tick on zones at rest.
    fn remember_resign(
        &self,
        zone: &Zone,
        settings: &DnssecSettings,
        now: u64,
        next_due: Option<u64>,
    ) {
        let fresh = now
            + u64::from(
                settings
                    .signature_validity_secs
                    .saturating_sub(settings.jitter_secs)
                    .saturating_sub(settings.refresh_before_secs),
            );
        let until = next_due.map_or(fresh, |due| due.min(fresh));
        if let Ok(mut known) = self.resign_after.lock() {
            known.insert(zone.id, (settings.clone(), until));
        }
    }

    async fn live_keys(&self, zone_id: Uuid) -> Result<Vec<DnssecKey>, CoreError> {
        Ok(self
            .store
            .dnssec_keys(zone_id)
            .await?
            .into_iter()
            .filter(|k| k.state != KeyState::Removed)
            .collect())
    }

    /// How long a resolver may hold anything of the zone: its records'
    /// TTLs, the default they inherit, the SOA's (denial records are
    /// capped by it).
    async fn max_ttl(&self, zone: &Zone) -> Result<u32, CoreError> {
        let records = self.store.max_record_ttl(zone.id).await?.unwrap_or(0);
        Ok(records.max(zone.default_ttl).max(zone.soa.ttl))
    }

    /// The parent's DS, asked only when a step waits for it and no
    /// operator confirmed it.
    async fn parent_view(
        &self,
        zone: &Zone,
        settings: &DnssecSettings,
        keys: &[DnssecKey],
        request: KeyRequest,
    ) -> Option<ParentDs> {
        if request == KeyRequest::ParentDsConfirmed {
            return None;
        }
        let waiting = match &settings.unsigning {
            Some(unsigning) => unsigning.ds_gone_at.is_none(),
            None => keys.iter().any(|k| k.state == KeyState::Ready),
        };
        if !waiting {
            return None;
        }
        let lookup = self.parent_ds.get()?;
        match lookup.lookup(&zone.name).await {
            Ok(ds) => Some(ds),
            Err(e) => {
                tracing::warn!(zone = %zone.name, error = %e, "asking the parent for the zone's DS; the key step waits for the next check");
                None
            }
        }
    }
}

/// Whether the parent's DS set names `key`: its SHA-256 DS exactly, or a
/// DS of another digest type with its key tag and algorithm (a parent
/// that made the DS from CDNSKEY may have chosen SHA-384).
fn parent_serves(signer: &dyn ZoneSigner, zone: &Zone, key: &DnssecKey, ds: &ParentDs) -> bool {
    let ours = signer.ds_rdata(&zone.name, key);
    ds.rdatas.iter().any(|rdata| {
        *rdata == ours || (rdata.len() > 4 && rdata[..3] == ours[..3] && rdata[3] != 2)
    })
}

/// A new key whose tag no other key of the zone has: signatures name
/// their key by tag, and two keys under one tag make validators (and the
/// signer's reuse of stored signatures) try the wrong one.
fn fresh_key(
    signer: &dyn ZoneSigner,
    zone: &Zone,
    role: crate::dnssec_key::KeyRole,
    algorithm: u8,
    taken: &[u16],
) -> Result<DnssecKey, CoreError> {
    for _ in 0..16 {
        let key = signer.new_key(zone, role, algorithm)?;
        if !taken.contains(&key.key_tag) {
            return Ok(key);
        }
    }
    Err(CoreError::Unavailable {
        message: format!(
            "zone {}: no new key with an unused key tag after 16 tries; nothing was changed",
            zone.name
        ),
    })
}

/// The signing clock in milliseconds, as key times are kept.
fn key_clock(signer: &dyn ZoneSigner) -> Timestamp {
    i64::try_from(signer.now()).unwrap_or(i64::MAX / 1000) * 1000
}

fn transition(key: &DnssecKey, reason: &str) -> KeyTransition {
    KeyTransition {
        key_id: key.id,
        role: key.role,
        key_tag: key.key_tag,
        state: key.state,
        reason: reason.into(),
    }
}

/// `settings` with its DNSSEC part replaced.
pub(super) fn with_dnssec_settings(
    settings: &serde_json::Value,
    dnssec: &DnssecSettings,
) -> Result<serde_json::Value, CoreError> {
    let mut out = if settings.is_object() {
        settings.clone()
    } else {
        serde_json::json!({})
    };
    let value = serde_json::to_value(dnssec)
        .map_err(|e| CoreError::validation("settings.dnssec", e.to_string()))?;
    out[DnssecSettings::SETTINGS_KEY] = value;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;
    use crate::dnssec_key::KeyRole;
    use crate::model::Record;
    use crate::name::Name;
    use crate::signing::SignedDelta;
    use crate::store::Store;

    /// Hands out keys whose tags come from a list.
    struct Tags(Mutex<Vec<u16>>);

    #[async_trait::async_trait]
    impl ZoneSigner for Tags {
        async fn sign(
            &self,
            _: &dyn Store,
            _: &Zone,
            _: &Zone,
            _: &[DnssecKey],
            _: &[Record],
            _: &[Record],
        ) -> Result<SignedDelta, CoreError> {
            Ok(SignedDelta::default())
        }

        fn new_key(
            &self,
            zone: &Zone,
            role: KeyRole,
            algorithm: u8,
        ) -> Result<DnssecKey, CoreError> {
            let tag = self
                .0
                .lock()
                .map_err(|_| CoreError::Unavailable {
                    message: "poisoned".into(),
                })?
                .remove(0);
            Ok(DnssecKey {
                id: crate::model::new_id(),
                zone_id: zone.id,
                role,
                algorithm,
                key_tag: tag,
                public_key: vec![],
                sealed_private_key: vec![],
                state: KeyState::Created,
                created_at: 0,
                published_at: None,
                active_at: None,
                retire_at: None,
                removed_at: None,
            })
        }

        fn ds_rdata(&self, _: &Name, _: &DnssecKey) -> Vec<u8> {
            Vec::new()
        }

        fn now(&self) -> u64 {
            0
        }
    }

    #[test]
    fn a_new_key_never_shares_a_tag() {
        let signer = Tags(Mutex::new(vec![5, 9, 5, 7]));
        let zone = crate::model::test_zone("tags.test");
        let key = fresh_key(&signer, &zone, KeyRole::Zsk, 13, &[5, 9]).expect("key");
        assert_eq!(key.key_tag, 7);
        let signer = Tags(Mutex::new(vec![5; 16]));
        assert!(fresh_key(&signer, &zone, KeyRole::Zsk, 13, &[5]).is_err());
    }
}
