//! Re-signing a change set without reading the zone: the signatures of the
//! RRsets it touched, the SOA's, and the NSEC3 records whose content moves —
//! the names that entered or left the chain or changed types, and the
//! chain neighbours whose next-hash field now points elsewhere, found with
//! the store's owner-order lookups (`record_of_type_beside`).
//!
//! Changes whose effect is not local fall back to signing the whole zone
//! (`None`): the first signing, new settings or keys, a change of the
//! default TTL or of the SOA's TTL/minimum (every denial TTL moves), a
//! delegation appearing or going (what it occludes changes), and NSEC
//! zones (their chain is in canonical order, which the store cannot seek).

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use tern_core::{
    CoreError, Denial, DnssecSettings, Name, Record, RecordType, SignedDelta, Store, Zone,
};
use uuid::Uuid;

use super::keyring::KeyRing;
use super::signatures::Signing;
use super::zone::{Canonical, ZoneData};
use crate::nsec3::{base32hex_decode, nsec3_hash};
use crate::rtypes::{CDNSKEY, CDS, DNSKEY, NSEC3, NSEC3PARAM, RRSIG};

type Hash = [u8; 20];

/// What the store holds for one NSEC3 owner.
struct StoredNsec3 {
    record: Record,
    next: Hash,
    /// The type bitmap, as stored.
    bitmap: Vec<u8>,
}

/// The signer's work for a change, or `None` when only a whole-zone pass
/// can do it.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn sign_change(
    store: &dyn Store,
    before: &Zone,
    after: &Zone,
    removed: &[Record],
    added: &[Record],
    keys: &KeyRing,
    settings: &DnssecSettings,
    signing: &Signing<'_>,
) -> Result<Option<SignedDelta>, CoreError> {
    let Denial::Nsec3 { iterations, salt } = &settings.denial else {
        return Ok(None);
    };
    let settings_before = DnssecSettings::of(before).ok();
    if !before.dnssec_enabled
        || settings_before.as_ref() != Some(settings)
        || before.default_ttl != after.default_ttl
        || before.soa.ttl != after.soa.ttl
        || before.soa.minimum != after.soa.minimum
        || removed
            .iter()
            .chain(added)
            .any(|r| r.rtype == RecordType::NS && r.name != after.name)
    {
        return Ok(None);
    }
    let apex = &after.name;
    let failed = |e: crate::DnssecError| CoreError::Unavailable {
        message: format!("signing zone {}: {e}; nothing was changed", after.name),
    };

    // The names the change touched, and their ancestors up to the apex.
    let touched: HashSet<(Name, RecordType)> = removed
        .iter()
        .chain(added)
        .map(|r| (r.name.clone(), r.rtype))
        .collect();
    let owners: BTreeSet<Canonical> = touched.iter().map(|(n, _)| Canonical(n.clone())).collect();
    let mut around: BTreeSet<Canonical> = owners.clone();
    for owner in &owners {
        let mut current = owner.0.parent();
        while let Some(ancestor) = current {
            if !ancestor.is_subdomain_of(apex) {
                break;
            }
            around.insert(Canonical(ancestor.clone()));
            if &ancestor == apex {
                break;
            }
            current = ancestor.parent();
        }
    }
    around.insert(Canonical(apex.clone()));
    let names: Vec<Name> = around.iter().map(|n| n.0.clone()).collect();
    // Everything at those names in one read: the user's records there,
    // and the signer's (the apex's DNSKEYs, the signatures that go).
    let mut dnssec = DnssecAt::default();
    let mut local: Vec<Record> = Vec::new();
    for record in store.all_records_at(after.id, &names).await? {
        if tern_core::is_signer_owned(record.rtype) {
            dnssec.add(record);
        } else {
            local.push(record);
        }
    }
    dnssec.read.extend(names.iter().cloned());

    // The apex's DNSSEC records: a key set that moved needs the whole zone.
    let mut stored_dnskeys: Vec<Vec<u8>> = dnssec
        .at(apex)
        .filter(|r| r.rtype == DNSKEY)
        .map(wire)
        .collect();
    stored_dnskeys.sort_unstable();
    let mut wanted_dnskeys: Vec<Vec<u8>> = keys.keys.iter().map(|k| k.dnskey_wire()).collect();
    wanted_dnskeys.sort_unstable();
    if stored_dnskeys != wanted_dnskeys {
        return Ok(None);
    }

    let removed_ids: HashSet<Uuid> = removed.iter().map(|r| r.id).collect();
    local.retain(|r| !removed_ids.contains(&r.id));
    local.extend(added.iter().cloned());
    let data = ZoneData::new(after, &local);

    let mut delta = SignedDelta::default();
    let mut signatures_at: Vec<Name> = owners.iter().map(|n| n.0.clone()).collect();
    signatures_at.push(apex.clone());

    // Signatures of the touched RRsets and the SOA's.
    let mut resign: Vec<(Name, RecordType)> = touched
        .iter()
        .filter(|(n, t)| !data.is_occluded(n) && (!data.is_cut(n) || *t == RecordType::DS))
        .cloned()
        .collect();
    if before.serial != after.serial || before.soa != after.soa {
        resign.push((apex.clone(), RecordType::SOA));
    }

    // The NSEC3 side: which chain members change.
    let hashed = |name: &Name| nsec3_hash(name, salt, *iterations).map_err(failed);
    let owner_of = |hash: &Hash| -> Result<Name, CoreError> {
        let label = crate::nsec3::base32hex_encode(hash);
        let labels: Vec<Vec<u8>> = std::iter::once(label.into_bytes())
            .chain(apex.labels())
            .collect();
        Name::from_labels(labels.iter().map(Vec::as_slice))
            .map_err(|e| CoreError::validation("name", e.to_string()))
    };
    let mut wanted: BTreeMap<Hash, Option<BTreeSet<RecordType>>> = BTreeMap::new();
    for name in around.iter().rev() {
        let name = &name.0;
        if data.is_occluded(name) {
            continue;
        }
        let own: BTreeSet<RecordType> = data
            .nodes
            .get(&Canonical(name.clone()))
            .map(|types| types.keys().copied().collect())
            .unwrap_or_default();
        let in_chain = if !own.is_empty() {
            true
        } else {
            // Without data of its own a name stays in the chain only as
            // an empty non-terminal: something below it must remain.
            has_descendants(store, after.id, name, &removed_ids, added).await?
        };
        let types = in_chain.then(|| bitmap_types(&data, name, own, apex));
        wanted.insert(hashed(name)?, types);
    }

    // The stored chain entries involved, and their neighbours.
    let mut stored: HashMap<Hash, StoredNsec3> = HashMap::new();
    let hashed_owners = wanted
        .keys()
        .map(&owner_of)
        .collect::<Result<Vec<_>, _>>()?;
    for record in store.dnssec_records_at(after.id, &hashed_owners).await? {
        if record.rtype == NSEC3
            && let Some(entry) = parse_nsec3(record.clone())
        {
            stored.insert(entry_hash(&entry, apex)?, entry);
        }
        dnssec.add(record);
    }
    dnssec.read.extend(hashed_owners.iter().cloned());
    let leaving: HashSet<Hash> = wanted
        .iter()
        .filter(|(h, t)| t.is_none() && stored.contains_key(*h))
        .map(|(h, _)| *h)
        .collect();
    let entering: BTreeSet<Hash> = wanted
        .iter()
        .filter(|(h, t)| t.is_some() && !stored.contains_key(*h))
        .map(|(h, _)| *h)
        .collect();
    // Entries whose next field may move: the predecessors (in the chain as
    // it stays) of every hash that enters or leaves; and where the stored
    // chain continues after each entering hash.
    let mut predecessors: BTreeSet<Hash> = BTreeSet::new();
    let mut successors: HashMap<Hash, Hash> = HashMap::new();
    for hash in entering.iter().chain(leaving.iter()) {
        let owner = owner_of(hash)?;
        if let Some(p) = neighbour(
            store,
            after.id,
            apex,
            hash,
            &owner,
            false,
            &leaving,
            &mut stored,
        )
        .await?
        {
            predecessors.insert(p);
        }
        if entering.contains(hash)
            && let Some(n) = neighbour(
                store,
                after.id,
                apex,
                hash,
                &owner,
                true,
                &leaving,
                &mut stored,
            )
            .await?
        {
            successors.insert(*hash, n);
        }
    }

    // Where each changed entry points now: the nearest hash after it,
    // cyclically, among those entering and its stored next (skipping
    // those leaving).
    let next_after = |from: &Hash, stored_next: Option<Hash>| -> Hash {
        let mut candidates: Vec<Hash> = entering.iter().copied().filter(|h| h != from).collect();
        if let Some(mut next) = stored_next {
            let mut guard = 0;
            while leaving.contains(&next) && guard < stored.len() + 1 {
                match stored.get(&next) {
                    Some(entry) => next = entry.next,
                    None => break,
                }
                guard += 1;
            }
            if !leaving.contains(&next) && next != *from {
                candidates.push(next);
            }
        }
        candidates
            .into_iter()
            .min_by_key(|h| (h <= from, *h))
            .unwrap_or(*from)
    };
    let negative_ttl = after.soa.ttl.min(after.soa.minimum);
    let mut rewritten: Vec<(Hash, Vec<u8>)> = Vec::new();
    for (hash, types) in &wanted {
        match (types, stored.get(hash)) {
            (None, Some(entry)) => {
                delta.removed.push(entry.record.clone());
                signatures_at.push(entry.record.name.clone());
                resign.push((entry.record.name.clone(), NSEC3));
            }
            (None, None) => {}
            (Some(types), existing) => {
                let stored_next = existing
                    .map(|e| e.next)
                    .or_else(|| successors.get(hash).copied());
                let rdata = nsec3_rdata(
                    *iterations,
                    salt,
                    &next_after(hash, stored_next),
                    &super::denial::type_bitmap(types),
                );
                if existing.map(|e| wire(&e.record)) != Some(rdata.clone()) {
                    rewritten.push((*hash, rdata));
                }
            }
        }
    }
    for hash in &predecessors {
        if wanted.contains_key(hash) {
            continue;
        }
        let Some(entry) = stored.get(hash) else {
            continue;
        };
        let rdata = nsec3_rdata(
            *iterations,
            salt,
            &next_after(hash, Some(entry.next)),
            &entry.bitmap,
        );
        if wire(&entry.record) != rdata {
            rewritten.push((*hash, rdata));
        }
    }
    for (hash, rdata) in rewritten {
        let owner = owner_of(&hash)?;
        if let Some(entry) = stored.get(&hash) {
            delta.removed.push(entry.record.clone());
        }
        signatures_at.push(owner.clone());
        delta
            .added
            .push(new_record(after, &owner, NSEC3, negative_ttl, rdata));
        resign.push((owner, NSEC3));
    }

    // Old signatures of everything re-signed go; new ones come. Only the
    // chain entries found beside the change are not read yet.
    let unread: Vec<Name> = signatures_at
        .iter()
        .filter(|n| !dnssec.read.contains(*n))
        .cloned()
        .collect::<BTreeSet<Name>>()
        .into_iter()
        .collect();
    if !unread.is_empty() {
        for record in store.dnssec_records_at(after.id, &unread).await? {
            dnssec.add(record);
        }
    }
    let signature_owners: BTreeSet<&Name> = signatures_at.iter().collect();
    let old_signatures: Vec<&Record> = signature_owners
        .into_iter()
        .flat_map(|n| dnssec.at(n))
        .collect();
    let resigned: HashSet<(Name, RecordType)> = resign.iter().cloned().collect();
    for record in old_signatures.into_iter().filter(|r| r.rtype == RRSIG) {
        let covered = super::signatures::StoredSignature::parse(&wire(record)).map(|(t, _)| t);
        if covered.is_some_and(|t| resigned.contains(&(record.name.clone(), t))) {
            delta.removed.push((*record).clone());
        }
    }
    let added_nsec3: HashMap<&Name, &Record> = delta
        .added
        .iter()
        .filter(|r| r.rtype == NSEC3)
        .map(|r| (&r.name, r))
        .collect();
    let mut new_signatures = Vec::new();
    for (owner, rtype) in resigned {
        let (ttl, rdatas) = if rtype == NSEC3 {
            match added_nsec3.get(&owner) {
                Some(record) => (negative_ttl, vec![wire(record)]),
                None => continue, // left the chain: no signature
            }
        } else {
            match data
                .nodes
                .get(&Canonical(owner.clone()))
                .and_then(|t| t.get(&rtype))
            {
                Some(rrset) => (rrset.ttl, rrset.rdatas.clone()),
                None => continue, // the RRset is gone
            }
        };
        for rdata in signing
            .rrsigs(&owner, rtype, ttl, &rdatas, true)
            .map_err(failed)?
        {
            new_signatures.push(new_record(after, &owner, RRSIG, ttl, rdata));
        }
    }
    delta.added.extend(new_signatures);
    Ok(Some(delta))
}

/// The signer's records read so far, by owner, and the owners read.
#[derive(Default)]
struct DnssecAt {
    by_owner: HashMap<Name, Vec<Record>>,
    read: HashSet<Name>,
}

impl DnssecAt {
    fn add(&mut self, record: Record) {
        let held = self.by_owner.entry(record.name.clone()).or_default();
        if !held.iter().any(|r| r.id == record.id) {
            held.push(record);
        }
    }

    fn at<'a>(&'a self, owner: &Name) -> impl Iterator<Item = &'a Record> + 'a {
        self.by_owner.get(owner).into_iter().flatten()
    }
}

/// The stored chain entry nearest before (or after) `hash`, cyclically,
/// passing over entries that leave the chain (they are kept in `stored`,
/// since their next fields tell where the chain went on). `None` when no
/// other entry stays.
#[allow(clippy::too_many_arguments)]
async fn neighbour(
    store: &dyn Store,
    zone_id: Uuid,
    apex: &Name,
    hash: &Hash,
    owner: &Name,
    after: bool,
    leaving: &HashSet<Hash>,
    stored: &mut HashMap<Hash, StoredNsec3>,
) -> Result<Option<Hash>, CoreError> {
    let mut at = owner.clone();
    for _ in 0..=leaving.len() + 1 {
        let found = match beside(store, zone_id, Some(&at), after).await? {
            Some(entry) => Some(entry),
            None => beside(store, zone_id, None, after).await?,
        };
        let Some(entry) = found else { return Ok(None) };
        let h = entry_hash(&entry, apex)?;
        if h == *hash {
            return Ok(None);
        }
        at = entry.record.name.clone();
        stored.entry(h).or_insert(entry);
        if !leaving.contains(&h) {
            return Ok(Some(h));
        }
    }
    Ok(None)
}

/// The types an NSEC3 bitmap lists for a name in the chain.
fn bitmap_types(
    data: &ZoneData,
    name: &Name,
    mut types: BTreeSet<RecordType>,
    apex: &Name,
) -> BTreeSet<RecordType> {
    if name == apex {
        types.extend([DNSKEY, CDS, CDNSKEY, NSEC3PARAM]);
    }
    let signed = if data.is_cut(name) {
        types.contains(&RecordType::DS)
    } else {
        !types.is_empty()
    };
    if signed {
        types.insert(RRSIG);
    }
    types
}

/// Whether any user record lies strictly below `name` once the change is
/// applied.
async fn has_descendants(
    store: &dyn Store,
    zone_id: Uuid,
    name: &Name,
    removed_ids: &HashSet<Uuid>,
    added: &[Record],
) -> Result<bool, CoreError> {
    if added
        .iter()
        .any(|r| &r.name != name && r.name.is_subdomain_of(name))
    {
        return Ok(true);
    }
    Ok(store
        .records_below(zone_id, name)
        .await?
        .iter()
        .any(|r| !removed_ids.contains(&r.id)))
}

async fn beside(
    store: &dyn Store,
    zone_id: Uuid,
    owner: Option<&Name>,
    after: bool,
) -> Result<Option<StoredNsec3>, CoreError> {
    Ok(store
        .record_of_type_beside(zone_id, NSEC3, owner, after)
        .await?
        .and_then(parse_nsec3))
}

fn parse_nsec3(record: Record) -> Option<StoredNsec3> {
    let rdata = wire(&record);
    let salt_len = usize::from(*rdata.get(4)?);
    let hash_at = 5 + salt_len;
    let hash_len = usize::from(*rdata.get(hash_at)?);
    let next: Hash = rdata
        .get(hash_at + 1..hash_at + 1 + hash_len)?
        .try_into()
        .ok()?;
    let bitmap = rdata.get(hash_at + 1 + hash_len..)?.to_vec();
    Some(StoredNsec3 {
        record,
        next,
        bitmap,
    })
}

fn entry_hash(entry: &StoredNsec3, apex: &Name) -> Result<Hash, CoreError> {
    let label = entry
        .record
        .name
        .labels()
        .into_iter()
        .next()
        .filter(|_| entry.record.name.parent().as_ref() == Some(apex))
        .ok_or_else(|| {
            CoreError::validation(
                "name",
                format!("{} is not an NSEC3 owner", entry.record.name),
            )
        })?;
    let text = String::from_utf8_lossy(&label).to_string();
    base32hex_decode(&text)
        .ok()
        .and_then(|bytes| Hash::try_from(bytes.as_slice()).ok())
        .ok_or_else(|| {
            CoreError::validation(
                "name",
                format!("{} is not an NSEC3 owner", entry.record.name),
            )
        })
}

fn nsec3_rdata(iterations: u16, salt: &[u8], next: &Hash, bitmap: &[u8]) -> Vec<u8> {
    let mut rdata = vec![1, 0];
    rdata.extend_from_slice(&iterations.to_be_bytes());
    rdata.push(salt.len() as u8);
    rdata.extend_from_slice(salt);
    rdata.push(next.len() as u8);
    rdata.extend_from_slice(next);
    rdata.extend_from_slice(bitmap);
    rdata
}

fn wire(record: &Record) -> Vec<u8> {
    let mut out = Vec::new();
    record.rdata.to_wire(&mut out);
    out
}

fn new_record(zone: &Zone, owner: &Name, rtype: RecordType, ttl: u32, rdata: Vec<u8>) -> Record {
    let now = tern_core::now_millis();
    Record {
        id: tern_core::new_id(),
        zone_id: zone.id,
        name: owner.clone(),
        rtype,
        ttl: Some(ttl),
        rdata: tern_core::Rdata::from_wire(rtype, &rdata)
            .unwrap_or(tern_core::Rdata::Unknown { rtype, data: rdata }),
        description: None,
        created_at: now,
        updated_at: now,
        version: 1,
    }
}
