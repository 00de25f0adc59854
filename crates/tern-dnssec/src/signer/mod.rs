//! The zone signer: `ZoneService` hands it every commit of a signed zone,
//! and it returns the DNSSEC records that make the zone after the commit
//! signed — DNSKEY, CDS and CDNSKEY at the apex, the denial chain, and an
//! RRSIG for every authoritative RRset, the SOA included — as the records
//! to remove and to add beside the user's change.
//!
//! A record change is signed from the change alone (`incremental`): the
//! touched RRsets, the SOA and the NSEC3 records that move. Everything
//! else — the first signing, refreshes, new settings or keys, TTL changes,
//! delegations, NSEC zones — works out the whole zone's DNSSEC records and
//! changes only what differs: signatures of untouched RRsets stay until
//! they are due, so each journal entry holds just what was invalidated.

mod denial;
mod incremental;
mod keyring;
mod signatures;
mod zone;

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use tern_core::signing::SIGNER_OWNED_TYPES;
use tern_core::{
    CoreError, Denial, DnssecKey, DnssecSettings, KeyRole, Name, Rdata, Record, RecordType,
    SignedDelta, Store, Zone, ZoneSigner, new_id, now_millis,
};
use uuid::Uuid;

use crate::dnskey::{DIGEST_SHA256, ds_digest_sha256, ds_rdata_wire};
use crate::kek::KeyEncryptionKey;
use crate::rtypes::{CDNSKEY, CDS, DNSKEY, NSEC3PARAM, RRSIG};
use crate::validity::ValidityPolicy;
use keyring::KeyRing;
use signatures::{Signing, StoredSignature};
use zone::ZoneData;

/// Signs with keys sealed under `kek`; `clock` gives Unix seconds (a fake
/// clock lets tests move through validity periods without waiting).
pub struct Signer {
    kek: Arc<KeyEncryptionKey>,
    clock: Arc<dyn Fn() -> u64 + Send + Sync>,
    opened: keyring::OpenedKeys,
}

impl Signer {
    pub fn new(kek: Arc<KeyEncryptionKey>) -> Signer {
        Signer::with_clock(
            kek,
            Arc::new(|| {
                SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .map_or(0, |d| d.as_secs())
            }),
        )
    }

    pub fn with_clock(
        kek: Arc<KeyEncryptionKey>,
        clock: Arc<dyn Fn() -> u64 + Send + Sync>,
    ) -> Signer {
        Signer {
            kek,
            clock,
            opened: keyring::OpenedKeys::default(),
        }
    }
}

/// A DNSSEC RRset the zone should hold, before its signatures.
struct Wanted {
    owner: Name,
    rtype: RecordType,
    ttl: u32,
    rdatas: Vec<Vec<u8>>,
}

fn failed(zone: &Zone, e: impl std::fmt::Display) -> CoreError {
    CoreError::Unavailable {
        message: format!("signing zone {}: {e}; nothing was changed", zone.name),
    }
}

#[async_trait::async_trait]
impl ZoneSigner for Signer {
    async fn sign(
        &self,
        store: &dyn Store,
        before: &Zone,
        after: &Zone,
        zone_keys: &[DnssecKey],
        removed: &[Record],
        added: &[Record],
    ) -> Result<SignedDelta, CoreError> {
        if !after.dnssec_enabled {
            // Unsigning: the DNSSEC records go (the keys' removal is the
            // key manager's, in the same commit).
            let stored = store
                .records_of_types(after.id, &SIGNER_OWNED_TYPES)
                .await?;
            return Ok(SignedDelta {
                removed: stored,
                ..SignedDelta::default()
            });
        }
        // Validated on the way in (`check_signing_change`).
        let settings = DnssecSettings::of(after)?;
        let keys = KeyRing::new(
            &self.kek,
            &self.opened,
            zone_keys,
            settings.unsigning.is_some(),
        )?;
        let policy = ValidityPolicy {
            lifetime: settings.signature_validity_secs,
            jitter: settings.jitter_secs,
            inception_backdate: 3600,
        };
        let now = (self.clock)();
        let local = Signing {
            keys: &keys,
            apex: &after.name,
            policy,
            now,
            refresh_before: settings.refresh_before_secs,
            stored: HashMap::new(),
        };
        // A record change: only what it touched.
        if (!removed.is_empty() || !added.is_empty())
            && let Some(delta) = incremental::sign_change(
                store, before, after, removed, added, &keys, &settings, &local,
            )
            .await?
        {
            return Ok(delta);
        }
        let stored = store
            .records_of_types(after.id, &SIGNER_OWNED_TYPES)
            .await?;

        // The user's records as the commit leaves them.
        let removed_ids: HashSet<Uuid> = removed.iter().map(|r| r.id).collect();
        let mut records: Vec<Record> = store
            .records(after.id)
            .await?
            .into_iter()
            .filter(|r| !removed_ids.contains(&r.id))
            .collect();
        records.extend(
            added
                .iter()
                .filter(|r| !tern_core::is_signer_owned(r.rtype))
                .cloned(),
        );
        let data = ZoneData::new(after, &records);
        // RRsets whose content the change touched: their signatures go. A
        // first signing (or a change of the zone's TTLs) touches them all.
        let mut touched: HashSet<(Name, RecordType)> = removed
            .iter()
            .chain(added)
            .map(|r| (r.name.clone(), r.rtype))
            .collect();
        if before.serial != after.serial || before.soa != after.soa {
            touched.insert((after.name.clone(), RecordType::SOA));
        }
        let resign_all = !before.dnssec_enabled || before.default_ttl != after.default_ttl;

        let mut stored_sets: HashMap<(Name, RecordType), Vec<Vec<u8>>> = HashMap::new();
        let mut stored_sigs: HashMap<(Name, RecordType), Vec<StoredSignature>> = HashMap::new();
        for record in &stored {
            let mut wire = Vec::new();
            record.rdata.to_wire(&mut wire);
            if record.rtype == RRSIG {
                if let Some((covered, sig)) = StoredSignature::parse(&wire) {
                    stored_sigs
                        .entry((record.name.clone(), covered))
                        .or_default()
                        .push(sig);
                }
            } else {
                stored_sets
                    .entry((record.name.clone(), record.rtype))
                    .or_default()
                    .push(wire);
            }
        }
        let signing = Signing {
            stored: stored_sigs,
            ..local
        };

        // The zone's own RRsets are signed while the denial chain (which
        // they do not depend on) is worked out on a thread of its own; the
        // chain's records are signed once it is there.
        let data_jobs: Vec<SignJob<'_>> = data
            .signed_rrsets()
            .map(|(owner, rtype, rrset)| SignJob {
                owner,
                rtype,
                ttl: rrset.ttl,
                rdatas: &rrset.rdatas,
                changed: resign_all || touched.contains(&(owner.clone(), rtype)),
            })
            .collect();
        let (wanted, data_signatures) = std::thread::scope(|scope| {
            let chain = scope.spawn(|| wanted_dnssec_rrsets(after, &data, &keys, &settings));
            let signed = sign_all(&signing, &data_jobs);
            match chain.join() {
                Ok(wanted) => (wanted, signed),
                Err(panic) => std::panic::resume_unwind(panic),
            }
        });
        let wanted = wanted.map_err(|e| failed(after, e))?;
        // Every record the zone's DNSSEC side should hold, as
        // (owner, type, TTL, RDATA).
        let mut want: Vec<WantedRecord> = data_signatures.map_err(|e| failed(after, e))?;
        let mut chain_jobs: Vec<SignJob<'_>> = Vec::with_capacity(wanted.len());
        for set in &wanted {
            let mut current = stored_sets
                .get(&(set.owner.clone(), set.rtype))
                .cloned()
                .unwrap_or_default();
            current.sort_unstable();
            chain_jobs.push(SignJob {
                owner: &set.owner,
                rtype: set.rtype,
                ttl: set.ttl,
                rdatas: &set.rdatas,
                changed: resign_all || current != set.rdatas,
            });
            for rdata in &set.rdatas {
                want.push((set.owner.clone(), set.rtype, set.ttl, rdata.clone()));
            }
        }
        want.extend(sign_all(&signing, &chain_jobs).map_err(|e| failed(after, e))?);
        let next_due = next_due(&want, now, settings.refresh_before_secs);
        let mut delta = diff(after, stored, want)?;
        delta.next_due = next_due;
        Ok(delta)
    }

    fn new_key(&self, zone: &Zone, role: KeyRole, algorithm: u8) -> Result<DnssecKey, CoreError> {
        keyring::new_key(&self.kek, zone.id, role, algorithm)
    }

    fn ds_rdata(&self, apex: &Name, key: &DnssecKey) -> Vec<u8> {
        let flags = crate::dnskey::key_flags(key.role);
        let dnskey = crate::dnskey::dnskey_rdata_wire(flags, key.algorithm, &key.public_key);
        let digest = ds_digest_sha256(apex, &dnskey);
        ds_rdata_wire(key.key_tag, key.algorithm, DIGEST_SHA256, &digest)
    }

    fn now(&self) -> u64 {
        (self.clock)()
    }
}

/// When the earliest of these signatures is due to be made again: its
/// expiration (an RRSIG time, read relative to `now` in serial arithmetic)
/// less the refresh window.
fn next_due(want: &[WantedRecord], now: u64, refresh_before: u32) -> Option<u64> {
    let now_field = crate::validity::rrsig_time(now);
    want.iter()
        .filter(|(_, rtype, _, _)| *rtype == RRSIG)
        .filter_map(|(_, _, _, rdata)| rdata.get(8..12))
        .map(|field| u32::from_be_bytes([field[0], field[1], field[2], field[3]]))
        .map(|expiration| {
            let ahead = i64::from(expiration.wrapping_sub(now_field) as i32);
            (now as i64 + ahead - i64::from(refresh_before)).max(0) as u64
        })
        .min()
}

/// A record the zone's DNSSEC side should hold: owner, type, TTL, RDATA.
type WantedRecord = (Name, RecordType, u32, Vec<u8>);

/// One RRset the whole-zone pass needs signatures for.
struct SignJob<'a> {
    owner: &'a Name,
    rtype: RecordType,
    ttl: u32,
    rdatas: &'a [Vec<u8>],
    changed: bool,
}

/// The RRSIG records of every job. ECDSA and Ed25519 signing is most of a
/// whole-zone pass, and RRsets sign independently: the jobs are split over
/// the machine's cores (a refresh or a first signing of a large zone; an
/// ordinary change takes the incremental pass).
fn sign_all(
    signing: &Signing<'_>,
    jobs: &[SignJob<'_>],
) -> Result<Vec<WantedRecord>, crate::DnssecError> {
    let sign = |chunk: &[SignJob<'_>]| {
        let mut out = Vec::with_capacity(chunk.len());
        for job in chunk {
            for sig in signing.rrsigs(job.owner, job.rtype, job.ttl, job.rdatas, job.changed)? {
                out.push((job.owner.clone(), RRSIG, job.ttl, sig));
            }
        }
        Ok::<_, crate::DnssecError>(out)
    };
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    if threads < 2 || jobs.len() < 1024 {
        return sign(jobs);
    }
    let chunk = jobs.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let handles: Vec<_> = jobs
            .chunks(chunk)
            .map(|c| scope.spawn(move || sign(c)))
            .collect();
        let mut out = Vec::new();
        for handle in handles {
            match handle.join() {
                Ok(signed) => out.extend(signed?),
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        Ok(out)
    })
}

/// The apex's DNSSEC RRsets and the denial chain, each RDATA sorted.
fn wanted_dnssec_rrsets(
    zone: &Zone,
    data: &ZoneData,
    keys: &KeyRing,
    settings: &DnssecSettings,
) -> Result<Vec<Wanted>, crate::DnssecError> {
    let apex = &zone.name;
    let mut out = Vec::new();
    let dnskeys: Vec<Vec<u8>> = keys.keys.iter().map(|k| k.dnskey_wire()).collect();
    // RFC 7344/8078: CDS and CDNSKEY for the keys the parent's DS should
    // point to, so that registries that scan can take them; while signing
    // is turned off, the delete form (RFC 8078 §4).
    let (cds, cdnskeys): (Vec<Vec<u8>>, Vec<Vec<u8>>) = if keys.unsigning {
        (vec![vec![0, 0, 0, 0, 0]], vec![vec![0, 0, 3, 0, 0]])
    } else {
        keys.ds_keys()
            .map(|k| {
                let digest = ds_digest_sha256(apex, &k.dnskey_wire());
                let ds =
                    ds_rdata_wire(k.stored.key_tag, k.stored.algorithm, DIGEST_SHA256, &digest);
                (ds, k.dnskey_wire())
            })
            .unzip()
    };
    // RFC 9077: denial records live as long as a negative answer.
    let negative_ttl = zone.soa.ttl.min(zone.soa.minimum);
    let mut apex_types = vec![DNSKEY, CDS, CDNSKEY];
    for (rtype, rdatas) in [(DNSKEY, dnskeys), (CDS, cds), (CDNSKEY, cdnskeys)] {
        push_sorted(&mut out, apex, rtype, zone.default_ttl, rdatas);
    }
    if let Denial::Nsec3 { iterations, salt } = &settings.denial {
        let mut rdata = vec![1, 0];
        rdata.extend_from_slice(&iterations.to_be_bytes());
        rdata.push(salt.len() as u8);
        rdata.extend_from_slice(salt);
        // Cached as long as the denial records it describes, as Knot does.
        push_sorted(&mut out, apex, NSEC3PARAM, negative_ttl, vec![rdata]);
        apex_types.push(NSEC3PARAM);
    }
    for record in denial::chain(data, &settings.denial, &apex_types)? {
        push_sorted(
            &mut out,
            &record.owner,
            record.rtype,
            negative_ttl,
            vec![record.rdata],
        );
    }
    Ok(out)
}

fn push_sorted(
    out: &mut Vec<Wanted>,
    owner: &Name,
    rtype: RecordType,
    ttl: u32,
    mut rdatas: Vec<Vec<u8>>,
) {
    if rdatas.is_empty() {
        return;
    }
    rdatas.sort_unstable();
    rdatas.dedup();
    out.push(Wanted {
        owner: owner.clone(),
        rtype,
        ttl,
        rdatas,
    });
}

/// What to remove and add so the stored DNSSEC records become `want`:
/// records equal in owner, type, TTL and RDATA stay as they are. A zone
/// signed for the first time has nothing stored, and then every wanted
/// record is added without the matching (which would hash each one).
fn diff(
    zone: &Zone,
    stored: Vec<Record>,
    want: Vec<WantedRecord>,
) -> Result<SignedDelta, CoreError> {
    let now = now_millis();
    let new_record = |(name, rtype, ttl, wire): WantedRecord| -> Result<Record, CoreError> {
        let rdata = Rdata::from_wire(rtype, &wire).map_err(|e| failed(zone, e))?;
        Ok(Record {
            id: new_id(),
            zone_id: zone.id,
            name,
            rtype,
            ttl: Some(ttl),
            rdata,
            description: None,
            created_at: now,
            updated_at: now,
            version: 1,
        })
    };
    if stored.is_empty() {
        return Ok(SignedDelta {
            added: want.into_iter().map(new_record).collect::<Result<_, _>>()?,
            ..SignedDelta::default()
        });
    }
    let mut wanted: HashMap<WantedRecord, usize> = HashMap::new();
    for key in &want {
        *wanted.entry(key.clone()).or_default() += 1;
    }
    let mut removed = Vec::new();
    for record in stored {
        let mut wire = Vec::new();
        record.rdata.to_wire(&mut wire);
        let key = (
            record.name.clone(),
            record.rtype,
            record.ttl.unwrap_or(zone.default_ttl),
            wire,
        );
        match wanted.get_mut(&key) {
            Some(count) if *count > 0 => *count -= 1,
            _ => removed.push(record),
        }
    }
    let mut added = Vec::new();
    for key in want {
        let Some(count) = wanted.get_mut(&key) else {
            continue;
        };
        if *count == 0 {
            continue;
        }
        *count -= 1;
        added.push(new_record(key)?);
    }
    Ok(SignedDelta {
        removed,
        added,
        next_due: None,
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use tern_core::{SoaSettings, ZoneKind, ZoneStatus};

    use super::*;

    pub(crate) fn zone(name: &str) -> Zone {
        let now = now_millis();
        Zone {
            id: new_id(),
            name: Name::parse_absolute(name).expect("name"),
            kind: ZoneKind::Primary,
            status: ZoneStatus::Active,
            prior_status: None,
            default_ttl: 3600,
            description: None,
            settings: serde_json::json!({}),
            dnssec_enabled: true,
            serial: 1,
            soa: SoaSettings {
                mname: Name::parse_absolute(&format!("ns1.{name}")).expect("mname"),
                rname: Name::parse_absolute(&format!("hostmaster.{name}")).expect("rname"),
                refresh: 3600,
                retry: 600,
                expire: 604_800,
                minimum: 600,
                ttl: 3600,
            },
            org_id: new_id(),
            project_id: None,
            created_at: now,
            updated_at: now,
            deleted_at: None,
        }
    }
}
