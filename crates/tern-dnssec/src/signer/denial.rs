//! The denial-of-existence records a signed zone must hold: the NSEC3
//! chain (hashed owners in hash order, each naming the next, with the
//! types at its name) or the NSEC chain (names in canonical order).

use std::collections::{BTreeMap, BTreeSet};

use tern_core::{Denial, Name, RecordType};

use super::zone::{Canonical, ZoneData};
use crate::DnssecError;
use crate::nsec3::{base32hex_encode, nsec3_hash};
use crate::rtypes::{NSEC, NSEC3, RRSIG};

const SHA1: u8 = 1;

/// One denial record to be in the zone.
pub(crate) struct DenialRecord {
    pub(crate) owner: Name,
    pub(crate) rtype: RecordType,
    pub(crate) rdata: Vec<u8>,
}

/// The chain for the zone. `apex_types` are the DNSSEC types the signer
/// adds at the apex (DNSKEY, NSEC3PARAM, CDS, CDNSKEY), which the apex's
/// bitmap lists too.
pub(crate) fn chain(
    data: &ZoneData,
    denial: &Denial,
    apex_types: &[RecordType],
) -> Result<Vec<DenialRecord>, DnssecError> {
    let mut names = data.chain_names();
    if let Some(apex) = names.get_mut(&Canonical(data.apex.clone())) {
        apex.extend(apex_types.iter().copied());
    }
    // A name with a signed RRset lists RRSIG: every authoritative name
    // with data, and a cut only when it has a DS.
    for (name, types) in names.iter_mut() {
        let signed = if data.is_cut(&name.0) {
            types.contains(&RecordType::DS)
        } else {
            !types.is_empty()
        };
        if signed {
            types.insert(RRSIG);
        }
    }
    match denial {
        Denial::Nsec3 { iterations, salt } => nsec3_chain(data, names, salt, *iterations),
        Denial::Nsec => Ok(nsec_chain(names)),
    }
}

fn nsec3_chain(
    data: &ZoneData,
    names: BTreeMap<Canonical, BTreeSet<RecordType>>,
    salt: &[u8],
    iterations: u16,
) -> Result<Vec<DenialRecord>, DnssecError> {
    let mut hashed: Vec<([u8; 20], BTreeSet<RecordType>)> = Vec::with_capacity(names.len());
    for (name, types) in names {
        hashed.push((nsec3_hash(&name.0, salt, iterations)?, types));
    }
    hashed.sort_by_key(|(hash, _)| *hash);
    let mut out = Vec::with_capacity(hashed.len());
    for (i, (hash, types)) in hashed.iter().enumerate() {
        let next = &hashed[(i + 1) % hashed.len()].0;
        let mut rdata = vec![SHA1, 0];
        rdata.extend_from_slice(&iterations.to_be_bytes());
        rdata.push(salt.len() as u8);
        rdata.extend_from_slice(salt);
        rdata.push(next.len() as u8);
        rdata.extend_from_slice(next);
        rdata.extend(type_bitmap(types));
        let label = base32hex_encode(hash);
        let labels = std::iter::once(label.as_bytes().to_vec()).chain(data.apex.labels());
        let owner = Name::from_labels(labels.collect::<Vec<_>>().iter().map(Vec::as_slice))
            .map_err(|source| DnssecError::HashedOwner {
                zone: data.apex.clone(),
                source,
            })?;
        out.push(DenialRecord {
            owner,
            rtype: NSEC3,
            rdata,
        });
    }
    Ok(out)
}

/// NSEC has no empty non-terminals: only names with data are in it. Each
/// name's NSEC is signed there, so its bitmap lists RRSIG even at an
/// insecure delegation (unlike NSEC3, whose signature lives at the hash).
fn nsec_chain(names: BTreeMap<Canonical, BTreeSet<RecordType>>) -> Vec<DenialRecord> {
    let with_data: Vec<(Name, BTreeSet<RecordType>)> = names
        .into_iter()
        .filter(|(_, types)| !types.is_empty())
        .map(|(name, mut types)| {
            types.insert(NSEC);
            types.insert(RRSIG);
            (name.0, types)
        })
        .collect();
    let mut out = Vec::with_capacity(with_data.len());
    for (i, (name, types)) in with_data.iter().enumerate() {
        let next = &with_data[(i + 1) % with_data.len()].0;
        let mut rdata = Vec::new();
        next.to_wire(&mut rdata);
        rdata.extend(type_bitmap(types));
        out.push(DenialRecord {
            owner: name.clone(),
            rtype: NSEC,
            rdata,
        });
    }
    out
}

/// RFC 4034 §4.1.2's window blocks, as tern-core's `TypeBitmap` writes them.
pub(crate) fn type_bitmap(types: &BTreeSet<RecordType>) -> Vec<u8> {
    let mut out = Vec::new();
    tern_core::TypeBitmap::new(types.iter().copied()).to_wire(&mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bitmaps_follow_rfc_4034() {
        // RFC 4034 §4.3's example: A MX RRSIG NSEC TYPE1234.
        let types: BTreeSet<RecordType> =
            [1, 15, 46, 47, 1234].into_iter().map(RecordType).collect();
        let mut expected = vec![0x00, 0x06, 0x40, 0x01, 0x00, 0x00, 0x00, 0x03, 0x04, 0x1b];
        expected.extend([0u8; 26]);
        expected.push(0x20);
        assert_eq!(type_bitmap(&types), expected);
        assert!(type_bitmap(&BTreeSet::new()).is_empty());
    }
}
