//! NSEC3 (RFC 5155) in the snapshot: hashing names, the parameters read
//! from NSEC3 and NSEC3PARAM wire RDATA, and a zone's NSEC3 records kept
//! in hash order with their signatures, one chain per parameter set (a
//! zone changing its parameters has two for a while). The NSEC3 owners are
//! not names of the zone: they live here, not among the snapshot's nodes,
//! so they never exist for a query.

use std::collections::HashMap;
use std::sync::Arc;

use tern_core::Name;

use crate::chain::SortedChain;
use crate::rrsig::Signatures;

/// SHA-1, the only NSEC3 hash algorithm (RFC 5155 §11).
const SHA1: u8 = 1;
pub(crate) const HASH_LEN: usize = 20;
pub(crate) type Hash = [u8; HASH_LEN];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Nsec3Params {
    pub algorithm: u8,
    pub iterations: u16,
    pub salt: Vec<u8>,
}

impl Nsec3Params {
    /// The parameters of NSEC3 RDATA, or of NSEC3PARAM RDATA (whose fields
    /// start the same way); `None` when it is too short.
    fn read(rdata: &[u8]) -> Option<(Nsec3Params, u8)> {
        let [algorithm, flags, i1, i2, salt_len, rest @ ..] = rdata else {
            return None;
        };
        let salt = rest.get(..usize::from(*salt_len))?;
        Some((
            Nsec3Params {
                algorithm: *algorithm,
                iterations: u16::from_be_bytes([*i1, *i2]),
                salt: salt.to_vec(),
            },
            *flags,
        ))
    }

    pub(crate) fn from_nsec3(rdata: &[u8]) -> Option<Nsec3Params> {
        Nsec3Params::read(rdata).map(|(params, _)| params)
    }

    /// The parameters an NSEC3PARAM record tells the server to use: flags
    /// must be zero (RFC 5155 §4.1.2) and the algorithm one we can compute.
    pub(crate) fn from_nsec3param(rdata: &[u8]) -> Option<Nsec3Params> {
        let (params, flags) = Nsec3Params::read(rdata)?;
        (flags == 0 && params.algorithm == SHA1).then_some(params)
    }

    /// RFC 5155 §5: IH(salt, x, 0) = H(x || salt), then `iterations` more
    /// rounds of H(previous || salt), over the canonical wire name.
    pub(crate) fn hash(&self, name: &Name) -> Option<Hash> {
        if self.algorithm != SHA1 {
            return None;
        }
        let mut wire = Vec::with_capacity(name.wire_len());
        name.to_wire(&mut wire);
        let round = |input: &[u8]| {
            let mut context = ring::digest::Context::new(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY);
            context.update(input);
            context.update(&self.salt);
            let mut out = [0u8; HASH_LEN];
            out.copy_from_slice(context.finish().as_ref());
            out
        };
        let mut digest = round(&wire);
        for _ in 0..self.iterations {
            digest = round(&digest);
        }
        Some(digest)
    }
}

/// The hash an NSEC3 owner stands for: its first label in base32hex
/// (RFC 4648 §7), directly below the apex. `None` for any other name.
pub(crate) fn owner_hash(owner: &str, apex: &Name) -> Option<Hash> {
    let (label, parent) = owner.split_once('.')?;
    if parent != apex.as_str() && !(parent.is_empty() && apex.is_root()) {
        return None;
    }
    decode_base32hex(label)
}

fn decode_base32hex(text: &str) -> Option<Hash> {
    let bytes = text.as_bytes();
    if bytes.len() != HASH_LEN * 8 / 5 {
        return None;
    }
    let mut out = [0u8; HASH_LEN];
    for (group, chunk) in bytes.chunks(8).enumerate() {
        let mut bits: u64 = 0;
        for &c in chunk {
            let value = match c {
                b'0'..=b'9' => c - b'0',
                b'a'..=b'v' => c - b'a' + 10,
                b'A'..=b'V' => c - b'A' + 10,
                _ => return None,
            };
            bits = (bits << 5) | u64::from(value);
        }
        out[group * 5..group * 5 + 5].copy_from_slice(&bits.to_be_bytes()[3..]);
    }
    Some(out)
}

/// One NSEC3 owner: its record (normally one) and the RRSIGs over it.
#[derive(Debug, Clone)]
pub struct Nsec3Entry {
    pub owner: Name,
    pub ttl: Option<u32>,
    pub rdatas: Vec<Vec<u8>>,
    pub sigs: Signatures,
}

type Chain = SortedChain<Hash, Arc<Nsec3Entry>>;

/// Every NSEC3 record of a zone, by parameter set and hash.
#[derive(Debug, Clone, Default)]
pub(crate) struct Nsec3Chains {
    chains: Vec<(Nsec3Params, Chain)>,
    /// Signatures over NSEC3 records not in a chain: a load or a journal
    /// entry may list an RRSIG before the NSEC3 it covers, or remove the
    /// NSEC3 first. Empty once a change is applied whole.
    pending: Arc<HashMap<Name, Signatures>>,
}

impl Nsec3Chains {
    /// Adds one NSEC3 record; false when it was there already (or its
    /// RDATA cannot be read).
    pub(crate) fn insert(
        &mut self,
        owner: &Name,
        hash: Hash,
        ttl: Option<u32>,
        rdata: Vec<u8>,
    ) -> bool {
        let Some(params) = Nsec3Params::from_nsec3(&rdata) else {
            return false;
        };
        let at = match self.chains.iter().position(|(p, _)| *p == params) {
            Some(at) => at,
            None => {
                self.chains.push((params, Chain::default()));
                self.chains.len() - 1
            }
        };
        let chain = &mut self.chains[at].1;
        if let Some(entry) = chain.get_mut(&hash) {
            let entry = Arc::make_mut(entry);
            entry.ttl = ttl;
            if entry.rdatas.contains(&rdata) {
                return false;
            }
            entry.rdatas.push(rdata);
            return true;
        }
        let sigs = if self.pending.contains_key(owner) {
            Arc::make_mut(&mut self.pending)
                .remove(owner)
                .unwrap_or_default()
        } else {
            Signatures::default()
        };
        chain.insert(
            hash,
            Arc::new(Nsec3Entry {
                owner: owner.clone(),
                ttl,
                rdatas: vec![rdata],
                sigs,
            }),
        );
        true
    }

    /// Removes one NSEC3 record; false when it was not there.
    pub(crate) fn remove(&mut self, owner: &Name, hash: Hash, rdata: &[u8]) -> bool {
        let Some(params) = Nsec3Params::from_nsec3(rdata) else {
            return false;
        };
        let Some(at) = self.chains.iter().position(|(p, _)| *p == params) else {
            return false;
        };
        let chain = &mut self.chains[at].1;
        let Some(entry) = chain.get_mut(&hash) else {
            return false;
        };
        let entry = Arc::make_mut(entry);
        let Some(i) = entry.rdatas.iter().position(|r| r == rdata) else {
            return false;
        };
        entry.rdatas.remove(i);
        if entry.rdatas.is_empty()
            && let Some(gone) = chain.remove(&hash)
        {
            if !gone.sigs.is_empty() {
                Arc::make_mut(&mut self.pending).insert(owner.clone(), gone.sigs.clone());
            }
            if chain.is_empty() {
                self.chains.remove(at);
            }
        }
        true
    }

    /// Adds one RRSIG over the NSEC3 record at `owner`.
    pub(crate) fn insert_sig(
        &mut self,
        owner: &Name,
        hash: Hash,
        ttl: Option<u32>,
        rdata: Vec<u8>,
    ) -> bool {
        for (_, chain) in &mut self.chains {
            if let Some(entry) = chain.get_mut(&hash) {
                return Arc::make_mut(entry).sigs.add(ttl, rdata);
            }
        }
        Arc::make_mut(&mut self.pending)
            .entry(owner.clone())
            .or_default()
            .add(ttl, rdata)
    }

    pub(crate) fn remove_sig(&mut self, owner: &Name, hash: Hash, rdata: &[u8]) -> bool {
        for (_, chain) in &mut self.chains {
            if let Some(entry) = chain.get_mut(&hash) {
                return Arc::make_mut(entry).sigs.remove(rdata);
            }
        }
        if !self.pending.contains_key(owner) {
            return false;
        }
        let pending = Arc::make_mut(&mut self.pending);
        let removed = pending
            .get_mut(owner)
            .is_some_and(|sigs| sigs.remove(rdata));
        if pending.get(owner).is_some_and(Signatures::is_empty) {
            pending.remove(owner);
        }
        removed
    }

    /// The chain made with `params`, if the zone has one.
    pub(crate) fn view<'a>(&'a self, params: &'a Nsec3Params) -> Option<Nsec3View<'a>> {
        self.chains
            .iter()
            .find(|(p, _)| p == params)
            .map(|(params, chain)| Nsec3View { params, chain })
    }

    /// Every NSEC3 entry, and signatures waiting for theirs (for AXFR).
    pub(crate) fn entries(&self) -> impl Iterator<Item = &Nsec3Entry> {
        self.chains
            .iter()
            .flat_map(|(_, chain)| chain.iter().map(|(_, entry)| entry.as_ref()))
    }

    pub(crate) fn pending(&self) -> impl Iterator<Item = (&Name, &Signatures)> {
        self.pending.iter()
    }
}

/// The chain an answer uses: the one the zone's NSEC3PARAM names.
#[derive(Clone, Copy)]
pub struct Nsec3View<'a> {
    pub params: &'a Nsec3Params,
    chain: &'a Chain,
}

impl<'a> Nsec3View<'a> {
    /// The NSEC3 whose owner is the hash of `name` (the name exists).
    pub fn matching(&self, name: &Name) -> Option<&'a Nsec3Entry> {
        let hash = self.params.hash(name)?;
        self.chain.get(&hash).map(Arc::as_ref)
    }

    /// The NSEC3 whose span holds the hash of `name`, which does not exist:
    /// the owner before it in hash order, or the last one, whose next
    /// hashed owner wraps round to the first (RFC 5155 §3.1.7).
    pub fn covering(&self, name: &Name) -> Option<&'a Nsec3Entry> {
        let hash = self.params.hash(name)?;
        self.covering_hash(&hash)
    }

    pub(crate) fn covering_hash(&self, hash: &Hash) -> Option<&'a Nsec3Entry> {
        match self.chain.floor_circular(hash) {
            // An exact match is not a cover; the one before it is.
            Some((owner, _)) if owner == hash => self
                .chain
                .before(hash)
                .or_else(|| self.chain.last())
                .map(|(_, entry)| entry.as_ref()),
            found => found.map(|(_, entry)| entry.as_ref()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(text: &str) -> Name {
        Name::parse_absolute(text).expect("name")
    }

    fn base32hex(hash: &Hash) -> String {
        const ALPHABET: &[u8; 32] = b"0123456789abcdefghijklmnopqrstuv";
        let mut out = String::new();
        for chunk in hash.chunks(5) {
            let mut bits = [0u8; 8];
            bits[3..].copy_from_slice(chunk);
            let bits = u64::from_be_bytes(bits);
            for i in (0..8).rev() {
                out.push(ALPHABET[((bits >> (i * 5)) & 31) as usize] as char);
            }
        }
        out
    }

    /// RFC 5155 Appendix A: the example zone's parameters (salt aabbccdd,
    /// 12 iterations) and two of its hashed owners.
    #[test]
    fn hashes_as_rfc_5155_appendix_a() {
        let params = Nsec3Params {
            algorithm: 1,
            iterations: 12,
            salt: vec![0xaa, 0xbb, 0xcc, 0xdd],
        };
        let apex = params.hash(&name("example.")).expect("sha-1");
        assert_eq!(base32hex(&apex), "0p9mhaveqvm6t7vbl5lop2u3t2rp3tom");
        let a = params.hash(&name("a.example.")).expect("sha-1");
        assert_eq!(base32hex(&a), "35mthgpgcu1qg68fab165klnsnk3dpvl");
        assert_eq!(
            owner_hash(
                "0P9MHAVEQVM6T7VBL5LOP2U3T2RP3TOM.example.",
                &name("example.")
            ),
            Some(apex),
        );
        assert_eq!(
            owner_hash(
                "0p9mhaveqvm6t7vbl5lop2u3t2rp3tom.x.example.",
                &name("example.")
            ),
            None
        );
        assert_eq!(owner_hash("www.example.", &name("example.")), None);
    }

    /// RDATA of an NSEC3 with these parameters and no bitmap.
    fn nsec3(params: &Nsec3Params, flags: u8, next: &Hash) -> Vec<u8> {
        let mut rdata = vec![params.algorithm, flags];
        rdata.extend_from_slice(&params.iterations.to_be_bytes());
        rdata.push(params.salt.len() as u8);
        rdata.extend_from_slice(&params.salt);
        rdata.push(HASH_LEN as u8);
        rdata.extend_from_slice(next);
        rdata
    }

    fn rfc9276() -> Nsec3Params {
        Nsec3Params {
            algorithm: 1,
            iterations: 0,
            salt: Vec::new(),
        }
    }

    fn owner_of(hash: &Hash) -> Name {
        name(&format!("{}.example.", base32hex(hash)))
    }

    /// A chain over the hashes of `names`, each NSEC3 pointing at the next.
    fn chain_of(names: &[&str]) -> (Nsec3Chains, Vec<Hash>) {
        let params = rfc9276();
        let mut hashes: Vec<Hash> = names
            .iter()
            .map(|n| params.hash(&name(n)).expect("hash"))
            .collect();
        hashes.sort();
        let mut chains = Nsec3Chains::default();
        for (i, hash) in hashes.iter().enumerate() {
            let next = hashes[(i + 1) % hashes.len()];
            assert!(chains.insert(&owner_of(hash), *hash, None, nsec3(&params, 0, &next)));
        }
        (chains, hashes)
    }

    #[test]
    fn finds_matching_and_covering_records() {
        let (chains, hashes) = chain_of(&["example.", "a.example.", "b.example.", "c.example."]);
        let params = rfc9276();
        let view = chains.view(&params).expect("chain");
        let matched = view.matching(&name("b.example.")).expect("b exists");
        assert_eq!(
            matched.owner,
            owner_of(&params.hash(&name("b.example.")).expect("hash"))
        );
        for missing in ["nope.example.", "x.a.example.", "*.example.", "zz.example."] {
            let hash = params.hash(&name(missing)).expect("hash");
            let cover = view.covering(&name(missing)).expect("covered");
            let at = hashes
                .iter()
                .position(|h| owner_of(h) == cover.owner)
                .expect("in chain");
            let next = hashes[(at + 1) % hashes.len()];
            let (owner, after) = (hashes[at], next);
            // owner < hash < next, or the last record's span wrapping round
            let inside = if owner < after {
                owner < hash && hash < after
            } else {
                hash > owner || hash < after
            };
            assert!(inside, "{missing}: {} does not cover it", cover.owner);
            assert!(view.matching(&name(missing)).is_none());
        }
        // A hash that matches is covered by the record before it.
        let first = view.covering_hash(&hashes[0]).expect("cover");
        assert_eq!(first.owner, owner_of(&hashes[3]), "wraps round");
        assert!(
            chains
                .view(&Nsec3Params {
                    iterations: 1,
                    ..rfc9276()
                })
                .is_none()
        );
    }

    #[test]
    fn signatures_follow_their_record_in_any_order() {
        let params = rfc9276();
        let hash = params.hash(&name("a.example.")).expect("hash");
        let owner = owner_of(&hash);
        let record = nsec3(&params, 0, &hash);
        let mut chains = Nsec3Chains::default();
        // The RRSIG first (as a load may list it), then the record.
        assert!(chains.insert_sig(&owner, hash, Some(300), vec![0, 50, 1]));
        assert_eq!(chains.pending().count(), 1);
        assert!(chains.insert(&owner, hash, Some(300), record.clone()));
        assert_eq!(chains.pending().count(), 0);
        let view = chains.view(&params).expect("chain");
        assert_eq!(
            view.matching(&name("a.example."))
                .expect("entry")
                .sigs
                .rdatas,
            vec![vec![0, 50, 1]]
        );
        // The record removed before its signature: the signature waits.
        assert!(chains.remove(&owner, hash, &record));
        assert!(chains.view(&params).is_none(), "the chain is gone");
        assert_eq!(chains.pending().count(), 1);
        assert!(chains.remove_sig(&owner, hash, &[0, 50, 1]));
        assert_eq!(chains.pending().count(), 0);
        assert!(!chains.remove(&owner, hash, &record));
    }

    #[test]
    fn nsec3param_flags_must_be_zero() {
        let params = rfc9276();
        let mut param = nsec3(&params, 0, &[0; 20]);
        param.truncate(5);
        assert_eq!(Nsec3Params::from_nsec3param(&param), Some(params.clone()));
        param[1] = 1;
        assert_eq!(
            Nsec3Params::from_nsec3param(&param),
            None,
            "flags must be zero"
        );
        param[1] = 0;
        param[0] = 2;
        assert_eq!(Nsec3Params::from_nsec3param(&param), None, "SHA-1 only");
    }
}
