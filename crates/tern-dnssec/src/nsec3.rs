//! NSEC3 owner names: the iterated SHA-1 hash of RFC 5155 §5 (through
//! `domain`), its base32hex form (RFC 4648 §7) and the hashed owner name
//! under the zone apex.

use domain::base::iana::Nsec3HashAlgorithm;
use domain::dnssec::common::nsec3_hash as domain_nsec3_hash;
use domain::rdata::nsec3::{Nsec3Salt, OwnerHash};
use tern_core::Name;

use crate::DnssecError;

/// Octets of a SHA-1 NSEC3 hash.
pub const NSEC3_HASH_LEN: usize = 20;
/// NSEC3 hash algorithm 1, SHA-1, the only one defined.
pub const NSEC3_HASH_SHA1: u8 = 1;
/// The longest salt the NSEC3 and NSEC3PARAM records can carry.
pub const MAX_SALT_LEN: usize = 255;

/// The NSEC3 hash of `name` (RFC 5155 §5): SHA-1 over its canonical wire
/// form and the salt, then `iterations` more times over the hash and salt.
pub fn nsec3_hash(
    name: &Name,
    salt: &[u8],
    iterations: u16,
) -> Result<[u8; NSEC3_HASH_LEN], DnssecError> {
    let failed = |what: &dyn std::fmt::Display| DnssecError::Nsec3Hash(what.to_string());
    let mut wire = Vec::with_capacity(name.wire_len());
    name.to_wire(&mut wire);
    let owner = domain::base::Name::from_octets(wire).map_err(|e| failed(&e))?;
    let salt =
        Nsec3Salt::from_octets(salt.to_vec()).map_err(|_| DnssecError::SaltTooLong(salt.len()))?;
    let hash: OwnerHash<Vec<u8>> =
        domain_nsec3_hash(&owner, Nsec3HashAlgorithm::SHA1, iterations, &salt)
            .map_err(|e| failed(&e))?;
    <[u8; NSEC3_HASH_LEN]>::try_from(hash.as_slice())
        .map_err(|_| failed(&"the hash is not 20 octets"))
}

/// `<base32hex of the hash>.<zone>`, the owner of the name's NSEC3 record.
pub fn hashed_owner(
    name: &Name,
    zone: &Name,
    salt: &[u8],
    iterations: u16,
) -> Result<Name, DnssecError> {
    let label = base32hex_encode(&nsec3_hash(name, salt, iterations)?);
    let zone_labels = zone.labels();
    let labels = std::iter::once(label.as_bytes()).chain(zone_labels.iter().map(Vec::as_slice));
    Name::from_labels(labels).map_err(|source| DnssecError::HashedOwner {
        zone: zone.clone(),
        source,
    })
}

/// Base32 with the extended hex alphabet (RFC 4648 §7), lower case, no
/// padding: the form of NSEC3 owner labels and next-hashed-owner fields.
/// It keeps the octets' order, so hashed owners sort as text. (tern-core
/// owns the codec, since NSEC3 presentation needs it too.)
pub fn base32hex_encode(data: &[u8]) -> String {
    tern_core::rdata::base32hex_encode(data)
}

/// Decodes unpadded base32hex in either case; anything else is refused.
pub fn base32hex_decode(text: &str) -> Result<Vec<u8>, DnssecError> {
    tern_core::rdata::base32hex_decode(text).ok_or_else(|| DnssecError::Base32Hex(text.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(text: &str) -> Name {
        Name::parse_absolute(text).expect("name")
    }

    #[test]
    fn rfc_5155_appendix_a_hashes() {
        let salt = [0xAA, 0xBB, 0xCC, 0xDD];
        for (owner, hash) in [
            ("example.", "0p9mhaveqvm6t7vbl5lop2u3t2rp3tom"),
            ("a.example.", "35mthgpgcu1qg68fab165klnsnk3dpvl"),
            ("ai.example.", "gjeqe526plbf1g8mklp59enfd789njgi"),
            ("ns1.example.", "2t7b4g4vsa5smi47k61mv5bv1a22bojr"),
            ("ns2.example.", "q04jkcevqvmu85r014c7dkba38o0ji5r"),
            ("w.example.", "k8udemvp1j2f7eg6jebps17vp3n8i58h"),
            ("*.w.example.", "r53bq7cc2uvmubfu5ocmm6pers9tk9en"),
            ("x.w.example.", "b4um86eghhds6nea196smvmlo4ors995"),
            ("y.w.example.", "ji6neoaepv8b5o6k4ev33abha8ht9fgc"),
            ("x.y.w.example.", "2vptu5timamqttgl4luu9kg21e0aor3s"),
            ("xx.example.", "t644ebqk9bibcna874givr6joj62mlhv"),
        ] {
            let digest = nsec3_hash(&name(owner), &salt, 12).expect("hash");
            assert_eq!(base32hex_encode(&digest), hash, "{owner}");
            assert_eq!(base32hex_decode(hash).expect("decode"), digest);
            assert_eq!(
                hashed_owner(&name(owner), &name("example."), &salt, 12)
                    .expect("owner")
                    .as_str(),
                format!("{hash}.example.")
            );
        }
    }

    #[test]
    fn hash_ignores_case_and_rfc_9276_parameters_work() {
        let a = nsec3_hash(&name("WWW.Example.COM."), &[], 0).expect("hash");
        let b = nsec3_hash(&name("www.example.com."), &[], 0).expect("hash");
        assert_eq!(a, b);
        assert_ne!(
            a,
            nsec3_hash(&name("www.example.com."), &[], 1).expect("hash")
        );
        assert_ne!(
            a,
            nsec3_hash(&name("www.example.com."), &[1], 0).expect("hash")
        );
    }

    #[test]
    fn salt_longer_than_255_octets_is_refused() {
        let err = nsec3_hash(&name("example."), &[0; 256], 0).expect_err("long salt");
        assert!(matches!(err, DnssecError::SaltTooLong(256)), "{err}");
        assert!(nsec3_hash(&name("example."), &[0; 255], 0).is_ok());
    }

    #[test]
    fn hashed_owner_too_long_for_a_name_is_an_error() {
        let label = "a".repeat(63);
        let zone = name(&format!("{label}.{label}.{label}.{}.", "b".repeat(30)));
        let err = hashed_owner(&name("x.example."), &zone, &[], 0).expect_err("too long");
        assert!(matches!(err, DnssecError::HashedOwner { .. }), "{err}");
    }

    #[test]
    fn base32hex_matches_rfc_4648_vectors() {
        for (plain, encoded) in [
            ("", ""),
            ("f", "co"),
            ("fo", "cpng"),
            ("foo", "cpnmu"),
            ("foob", "cpnmuog"),
            ("fooba", "cpnmuoj1"),
            ("foobar", "cpnmuoj1e8"),
        ] {
            assert_eq!(base32hex_encode(plain.as_bytes()), encoded);
            assert_eq!(base32hex_decode(encoded).expect("decode"), plain.as_bytes());
            let upper = encoded.to_ascii_uppercase();
            assert_eq!(base32hex_decode(&upper).expect("decode"), plain.as_bytes());
        }
    }

    #[test]
    fn base32hex_refuses_bad_text() {
        for bad in ["w", "co======", "c", "cpn", "cpnmuo", "cp!g", "cp", "cq"] {
            assert!(base32hex_decode(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn base32hex_keeps_the_octet_order() {
        let mut values: Vec<Vec<u8>> = (0..=255u8).map(|b| vec![b, 255 - b, b / 3]).collect();
        values.sort();
        let encoded: Vec<String> = values.iter().map(|v| base32hex_encode(v)).collect();
        let mut sorted = encoded.clone();
        sorted.sort();
        assert_eq!(encoded, sorted);
    }
}
