//! The key manager's rules: given a signed zone's keys, its TTLs, the time
//! and what the parent serves, which keys move to their next state now
//! (RFC 7583). No I/O and no cryptography: `ZoneService` gathers the facts,
//! runs `next_step`, and commits what it returns with the signer's records
//! in one transaction, so a key's state and the zone that shows it never
//! disagree.
//!
//! ZSK: pre-publication (§3.2.1). The new key's DNSKEY is published, and
//! once every cache that holds the DNSKEY RRset has it (DNSKEY TTL plus
//! propagation delay) it takes over the signing; the old key's DNSKEY
//! stays until the signatures it made have expired from caches (the
//! zone's largest TTL plus propagation delay).
//!
//! KSK and CSK: double-DS (§3.3.2) with the new DNSKEY published first.
//! The new key signs the DNSKEY RRset from its publication; once its
//! DNSKEY has propagated it is `Ready` and CDS/CDNSKEY list both keys, so
//! the parent holds both DS. When the parent serves the new DS (seen
//! through `--dnssec-parent-resolver`, or confirmed by hand), the new key
//! becomes the active one (a CSK then signs the whole zone) and CDS lists
//! it alone. The old key keeps signing the DNSKEY RRset until it is
//! removed, which waits for the parent's DS TTL (resolvers that still
//! hold the old DS set) and, for a CSK, for the old signatures to expire.

use crate::dnssec_key::{DnssecKey, KeyRole, KeyState, KeyTransition};
use crate::error::CoreError;
use crate::model::{Timestamp, Zone};
use crate::signing::{DnssecSettings, Unsigning};

/// What the key manager was asked to do besides the timed steps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyRequest {
    /// Only what is due.
    Maintain,
    /// Start a rollover of the role's active key now.
    Rollover(KeyRole),
    /// An operator confirms that the parent now serves the DS that CDS
    /// asks for (the new key's, or none while signing is turned off).
    ParentDsConfirmed,
}

/// The facts a step is decided on.
pub struct KeyFacts<'a> {
    pub zone: &'a Zone,
    pub settings: &'a DnssecSettings,
    /// The zone's keys that are not removed.
    pub keys: &'a [DnssecKey],
    pub now: Timestamp,
    /// The largest TTL of any RRset in the zone (signatures carry the
    /// TTL of what they cover).
    pub max_ttl: u32,
    /// For each key that waits for the parent, whether the parent serves
    /// its DS; `None` when unknown. While unsigning: whether the parent
    /// serves any DS for the zone.
    pub parent_has: &'a (dyn Fn(Option<&DnssecKey>) -> Option<bool> + Sync),
    pub request: KeyRequest,
}

/// What the step changes.
#[derive(Debug, Default)]
pub struct KeyStep {
    /// Keys whose state moves, as they are after the step.
    pub changed: Vec<DnssecKey>,
    /// Roles that get a new key (published now: a rollover starts).
    pub new_keys: Vec<KeyRole>,
    pub transitions: Vec<KeyTransition>,
    /// The zone's new unsigning state, when it changes.
    pub unsigning: Option<Option<Unsigning>>,
    /// The parent's DS is gone and resolvers have forgotten it: unsign.
    pub unsign: bool,
}

impl KeyStep {
    pub fn is_empty(&self) -> bool {
        self.changed.is_empty()
            && self.new_keys.is_empty()
            && self.unsigning.is_none()
            && !self.unsign
    }

    fn moved(&mut self, key: &DnssecKey, state: KeyState, at: Timestamp, reason: String) {
        let mut key = key.clone();
        key.state = state;
        match state {
            KeyState::Published => key.published_at = Some(at),
            KeyState::Active => key.active_at = Some(at),
            KeyState::Retired => key.retire_at = Some(at),
            KeyState::Removed => key.removed_at = Some(at),
            KeyState::Created | KeyState::Ready => {}
        }
        self.transitions.push(KeyTransition {
            key_id: key.id,
            role: key.role,
            key_tag: key.key_tag,
            state,
            reason,
        });
        self.changed.push(key);
    }
}

fn secs(s: u32) -> i64 {
    i64::from(s) * 1000
}

/// When each waiting key may take its next step, for the status views.
pub fn next_step_at(facts: &KeyFacts<'_>, key: &DnssecKey) -> Option<(KeyState, Timestamp)> {
    let settings = facts.settings;
    let prop = secs(settings.propagation_delay_secs);
    let dnskey_ttl = secs(facts.zone.default_ttl);
    match key.state {
        KeyState::Published => {
            let next = if key.role == KeyRole::Zsk {
                KeyState::Active
            } else {
                KeyState::Ready
            };
            Some((next, key.published_at? + dnskey_ttl + prop))
        }
        KeyState::Retired => {
            let ds_ttl = secs(settings.parent_ds_ttl_secs);
            let wait = match key.role {
                KeyRole::Zsk => secs(facts.max_ttl),
                KeyRole::Csk => secs(facts.max_ttl).max(ds_ttl),
                KeyRole::Ksk => dnskey_ttl.max(ds_ttl),
            };
            Some((KeyState::Removed, key.retire_at? + wait + prop))
        }
        KeyState::Active => {
            let lifetime = match key.role {
                KeyRole::Zsk => settings.zsk_lifetime_secs,
                KeyRole::Ksk | KeyRole::Csk => settings.ksk_lifetime_secs,
            };
            (lifetime > 0).then_some((KeyState::Retired, key.active_at? + secs(lifetime)))
        }
        KeyState::Created | KeyState::Ready | KeyState::Removed => None,
    }
}

/// Whether a rollover of `role` is under way: a successor waits, or the
/// predecessor's DNSKEY is still published.
fn rolling(keys: &[DnssecKey], role: KeyRole) -> bool {
    keys.iter().any(|k| {
        k.role == role
            && matches!(
                k.state,
                KeyState::Published | KeyState::Ready | KeyState::Retired
            )
    })
}

/// Whether any key's rollover is under way (the status `rolling`).
pub fn is_rolling(keys: &[DnssecKey]) -> bool {
    [KeyRole::Csk, KeyRole::Ksk, KeyRole::Zsk]
        .into_iter()
        .any(|role| rolling(keys, role))
}

/// A zone's signing status as every face shows it: `unsigned`,
/// `unsigning` (waiting for the parent's DS to go), `rolling` (a key
/// rollover is under way) or `signed`. `keys` are the zone's keys.
pub fn signing_status(zone: &Zone, settings: &DnssecSettings, keys: &[DnssecKey]) -> &'static str {
    let live: Vec<DnssecKey> = keys
        .iter()
        .filter(|k| k.state != KeyState::Removed)
        .cloned()
        .collect();
    if !zone.dnssec_enabled {
        "unsigned"
    } else if settings.unsigning.is_some() {
        "unsigning"
    } else if is_rolling(&live) {
        "rolling"
    } else {
        "signed"
    }
}

/// The role a rollover request rolls: the one it names (the error names
/// the field), or by default the zone's CSK, or its ZSK when keys are split.
pub fn role_to_roll(settings: &DnssecSettings, asked: Option<&str>) -> Result<KeyRole, CoreError> {
    let Some(text) = asked else {
        return Ok(if settings.key_split {
            KeyRole::Zsk
        } else {
            KeyRole::Csk
        });
    };
    KeyRole::parse(&text.trim().to_ascii_lowercase()).ok_or_else(|| {
        CoreError::validation(
            "role",
            format!("'{text}' is not a key role: use csk, ksk or zsk"),
        )
    })
}

/// The roles a zone's settings give it keys for.
pub fn roles_of(settings: &DnssecSettings) -> &'static [KeyRole] {
    if settings.key_split {
        &[KeyRole::Ksk, KeyRole::Zsk]
    } else {
        &[KeyRole::Csk]
    }
}

/// Decides the step. Requests that cannot be met are refused with the
/// reason, and change nothing.
pub fn next_step(facts: &KeyFacts<'_>) -> Result<KeyStep, CoreError> {
    let mut step = KeyStep::default();
    let now = facts.now;
    let settings = facts.settings;
    let zone = facts.zone;
    if let Some(unsigning) = &settings.unsigning {
        return unsigning_step(facts, unsigning, step);
    }
    let mut confirmed_used = false;
    for key in facts.keys {
        let due = next_step_at(facts, key).is_some_and(|(_, at)| now >= at);
        match key.state {
            KeyState::Published if due => {
                if key.role == KeyRole::Zsk {
                    step.moved(
                        key,
                        KeyState::Active,
                        now,
                        "its DNSKEY has reached every cache: it signs the zone now".into(),
                    );
                    for old in facts
                        .keys
                        .iter()
                        .filter(|k| k.role == KeyRole::Zsk && k.state == KeyState::Active)
                    {
                        step.moved(
                            old,
                            KeyState::Retired,
                            now,
                            format!("replaced by ZSK {}", key.key_tag),
                        );
                    }
                } else {
                    step.moved(
                        key,
                        KeyState::Ready,
                        now,
                        "its DNSKEY has reached every cache: CDS/CDNSKEY ask the parent for its DS"
                            .into(),
                    );
                }
            }
            KeyState::Ready => {
                let confirmed = facts.request == KeyRequest::ParentDsConfirmed;
                let seen = confirmed || (facts.parent_has)(Some(key)) == Some(true);
                if seen {
                    confirmed_used |= confirmed;
                    let reason = if confirmed {
                        "the parent's DS for it was confirmed by hand"
                    } else {
                        "the parent serves its DS"
                    };
                    step.moved(key, KeyState::Active, now, reason.into());
                    for old in facts
                        .keys
                        .iter()
                        .filter(|k| k.role == key.role && k.state == KeyState::Active)
                    {
                        step.moved(
                            old,
                            KeyState::Retired,
                            now,
                            format!(
                                "replaced by {} {}",
                                key.role.as_str().to_uppercase(),
                                key.key_tag
                            ),
                        );
                    }
                }
            }
            KeyState::Retired if due => {
                step.moved(
                    key,
                    KeyState::Removed,
                    now,
                    "no cache can still need it".into(),
                );
            }
            _ => {}
        }
    }
    if facts.request == KeyRequest::ParentDsConfirmed && !confirmed_used {
        return Err(CoreError::conflict(
            None,
            match facts
                .keys
                .iter()
                .find(|k| k.state == KeyState::Published && k.role.signs_keys())
            {
                Some(key) => format!(
                    "zone {}: no key waits for the parent's DS yet; {} {} is published and becomes ready for the parent at {}",
                    zone.name,
                    key.role.as_str().to_uppercase(),
                    key.key_tag,
                    next_step_at(facts, key)
                        .map_or_else(|| "-".into(), |(_, at)| crate::model::iso_time(at))
                ),
                None => format!("zone {}: no key waits for the parent's DS", zone.name),
            },
        ));
    }
    // Rollovers to start: asked for, or a key's lifetime is over.
    for role in roles_of(settings) {
        let asked = facts.request == KeyRequest::Rollover(*role);
        if rolling(facts.keys, *role) || step.changed.iter().any(|k| k.role == *role) {
            if asked {
                return Err(CoreError::conflict(
                    Some("role"),
                    format!(
                        "zone {}: a {} rollover is under way; it must finish first (GET …/dnssec shows its keys and when each moves on)",
                        zone.name,
                        role.as_str().to_uppercase()
                    ),
                ));
            }
            continue;
        }
        let expired = facts.keys.iter().any(|k| {
            k.role == *role
                && k.state == KeyState::Active
                && next_step_at(facts, k).is_some_and(|(_, at)| now >= at)
        });
        if asked || expired {
            step.new_keys.push(*role);
        }
    }
    if let KeyRequest::Rollover(role) = facts.request
        && !roles_of(settings).contains(&role)
    {
        return Err(CoreError::validation(
            "role",
            format!(
                "zone {} is signed with {}; there is no {} to roll",
                zone.name,
                if settings.key_split {
                    "a KSK and a ZSK"
                } else {
                    "one combined key (CSK)"
                },
                role.as_str().to_uppercase()
            ),
        ));
    }
    Ok(step)
}

fn unsigning_step(
    facts: &KeyFacts<'_>,
    unsigning: &Unsigning,
    mut step: KeyStep,
) -> Result<KeyStep, CoreError> {
    if let KeyRequest::Rollover(_) = facts.request {
        return Err(CoreError::conflict(
            Some("role"),
            format!(
                "zone {} is being unsigned; no key rolls now",
                facts.zone.name
            ),
        ));
    }
    let settings = facts.settings;
    match unsigning.ds_gone_at {
        None => {
            let gone = facts.request == KeyRequest::ParentDsConfirmed
                || (facts.parent_has)(None) == Some(false);
            if gone {
                step.unsigning = Some(Some(Unsigning {
                    ds_gone_at: Some(facts.now),
                    ..unsigning.clone()
                }));
            }
        }
        Some(gone_at) => {
            if facts.request == KeyRequest::ParentDsConfirmed {
                return Err(CoreError::conflict(
                    None,
                    format!(
                        "zone {}: the parent's DS is known to be gone; the zone is unsigned once resolvers have forgotten it",
                        facts.zone.name
                    ),
                ));
            }
            let wait = secs(settings.parent_ds_ttl_secs) + secs(settings.propagation_delay_secs);
            if facts.now >= gone_at + wait {
                step.unsign = true;
            }
        }
    }
    Ok(step)
}

/// When an unsigning zone is unsigned, once the parent's DS is gone.
pub fn unsign_at(settings: &DnssecSettings) -> Option<Timestamp> {
    let gone = settings.unsigning.as_ref()?.ds_gone_at?;
    Some(gone + secs(settings.parent_ds_ttl_secs) + secs(settings.propagation_delay_secs))
}

#[cfg(test)]
#[path = "rollover_tests.rs"]
mod tests;
