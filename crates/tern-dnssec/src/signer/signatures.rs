//! RRSIGs for the zone's RRsets: a stored signature is kept while it still
//! covers the RRset as it is (untouched by the change, same TTL, made by a
//! key that is still active) and is not due for refresh; otherwise each
//! active key of the right role signs the RRset anew.

use std::collections::HashMap;

use tern_core::{Name, RecordType};

use super::keyring::{KeyRing, ZoneKey};
use crate::DnssecError;
use crate::rrsig::{RrsigHeader, header_wire, labels_for, sign_rrset};
use crate::rtypes::{CDNSKEY, CDS, DNSKEY};
use crate::validity::{Validity, ValidityPolicy, rrset_jitter_seed};

/// The fields of a stored RRSIG that decide whether it can stay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StoredSignature {
    pub(crate) algorithm: u8,
    pub(crate) labels: u8,
    pub(crate) original_ttl: u32,
    pub(crate) expiration: u32,
    pub(crate) inception: u32,
    pub(crate) key_tag: u16,
    pub(crate) rdata: Vec<u8>,
}

impl StoredSignature {
    /// Reads the fixed fields of RRSIG RDATA (RFC 4034 §3.1); `None` for
    /// RDATA too short to be one. Returns the type covered too.
    pub(crate) fn parse(rdata: &[u8]) -> Option<(RecordType, StoredSignature)> {
        let field = |at: usize| -> Option<u32> {
            Some(u32::from_be_bytes(rdata.get(at..at + 4)?.try_into().ok()?))
        };
        let covered = u16::from_be_bytes(rdata.get(0..2)?.try_into().ok()?);
        Some((
            RecordType(covered),
            StoredSignature {
                algorithm: *rdata.get(2)?,
                labels: *rdata.get(3)?,
                original_ttl: field(4)?,
                expiration: field(8)?,
                inception: field(12)?,
                key_tag: u16::from_be_bytes(rdata.get(16..18)?.try_into().ok()?),
                rdata: rdata.to_vec(),
            },
        ))
    }
}

pub(crate) struct Signing<'a> {
    pub(crate) keys: &'a KeyRing,
    pub(crate) apex: &'a Name,
    pub(crate) policy: ValidityPolicy,
    /// Unix seconds.
    pub(crate) now: u64,
    /// A signature with less than this left is made again.
    pub(crate) refresh_before: u32,
    /// The zone's RRSIGs as stored, by owner and type covered.
    pub(crate) stored: HashMap<(Name, RecordType), Vec<StoredSignature>>,
}

impl Signing<'_> {
    /// The RRSIG RDATA the RRset should carry. `changed`: the change
    /// touched the RRset, so no stored signature of it can stay.
    pub(crate) fn rrsigs(
        &self,
        owner: &Name,
        rtype: RecordType,
        ttl: u32,
        rdatas: &[Vec<u8>],
        changed: bool,
    ) -> Result<Vec<Vec<u8>>, DnssecError> {
        let signs_keys = matches!(rtype, DNSKEY | CDS | CDNSKEY);
        let signers: Vec<&ZoneKey> = if signs_keys {
            self.keys.key_signers().collect()
        } else {
            self.keys.zone_signers().collect()
        };
        let labels = labels_for(owner);
        let stored = self.stored.get(&(owner.clone(), rtype));
        let mut out = Vec::with_capacity(signers.len());
        for key in signers {
            let kept = stored.filter(|_| !changed).and_then(|sigs| {
                sigs.iter().find(|s| {
                    s.key_tag == key.stored.key_tag
                        && s.algorithm == key.stored.algorithm
                        && s.labels == labels
                        && s.original_ttl == ttl
                        && !self.due(s)
                })
            });
            if let Some(signature) = kept {
                out.push(signature.rdata.clone());
                continue;
            }
            let Some(signing_key) = &key.signing else {
                continue;
            };
            let validity = Validity::new(self.now, &self.policy, rrset_jitter_seed(owner, rtype));
            let header = RrsigHeader {
                type_covered: rtype,
                algorithm: key.stored.algorithm,
                labels,
                original_ttl: ttl,
                expiration: validity.expiration,
                inception: validity.inception,
                key_tag: key.stored.key_tag,
                signer: self.apex.clone(),
            };
            let signature = sign_rrset(signing_key, &header, owner, rdatas)?;
            let mut rdata = header_wire(&header);
            rdata.extend_from_slice(&signature);
            out.push(rdata);
        }
        Ok(out)
    }

    fn due(&self, signature: &StoredSignature) -> bool {
        let validity = Validity {
            inception: signature.inception,
            expiration: signature.expiration,
        };
        !validity.is_valid_at(self.now) || validity.expires_within(self.now, self.refresh_before)
    }
}
