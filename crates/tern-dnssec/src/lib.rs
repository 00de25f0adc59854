//! tern-dnssec: the cryptographic primitives the zone signer is built from —
//! signing keys, DNSKEY/DS, RRSIG over canonical RRsets, signature validity,
//! NSEC3 hashing and the key-encryption key that seals private keys at rest.
//!
//! Everything works on plain values (`Name`, `RecordType`, TTLs) and canonical
//! RDATA wire bytes, so the signer can build typed records from the results
//! without this crate knowing how `tern-core` types DNSSEC records.

pub mod dnskey;
pub mod kek;
pub mod keys;
pub mod nsec3;
pub mod rrsig;
pub mod rtypes;
pub mod signer;
pub mod validity;

pub use dnskey::{
    DIGEST_SHA256, PROTOCOL, SEP_FLAG, ZONE_KEY_FLAG, dnskey_presentation, dnskey_rdata_text,
    dnskey_rdata_wire, ds_digest_sha256, ds_presentation, ds_rdata_text, ds_rdata_wire, key_flags,
    key_tag,
};
pub use kek::{KEK_LEN, KekError, KeyEncryptionKey};
pub use keys::{Algorithm, SigningKey, verify};
pub use nsec3::{NSEC3_HASH_LEN, base32hex_decode, base32hex_encode, hashed_owner, nsec3_hash};
pub use rrsig::{
    CLASS_IN, RrsigHeader, header_wire, labels_for, rrsig_rdata_text, rrsig_rdata_wire, sign_rrset,
    signed_data, verify_rrset,
};
pub use signer::Signer;
pub use validity::{Validity, ValidityPolicy, format_rrsig_time, rrset_jitter_seed, rrsig_time};

/// Everything that can go wrong in this crate; the key-encryption key's own
/// `KekError` converts into it.
#[derive(Debug, thiserror::Error)]
pub enum DnssecError {
    #[error("unknown DNSSEC algorithm '{0}': Tern signs with ECDSAP256SHA256 (13) or ED25519 (15)")]
    UnknownAlgorithm(String),
    #[error("private key for {algorithm} rejected: {reason}")]
    KeyRejected {
        algorithm: Algorithm,
        reason: String,
    },
    #[error("generating a {0} key failed (no system randomness?)")]
    KeyGeneration(Algorithm),
    #[error("signing with the {0} key failed (no system randomness?)")]
    Signing(Algorithm),
    #[error("the RRSIG says algorithm {header} but the key is {key}")]
    AlgorithmMismatch { key: Algorithm, header: u8 },
    #[error("RDATA of {0} octets does not fit a resource record (at most 65,535)")]
    RdataTooLong(usize),
    #[error("NSEC3 salt of {0} octets is too long (at most 255)")]
    SaltTooLong(usize),
    #[error("NSEC3 hashing failed: {0}")]
    Nsec3Hash(String),
    #[error("'{0}' is not base32hex (RFC 4648 §7, no padding)")]
    Base32Hex(String),
    #[error("hashed owner name under '{zone}' is not a valid name: {source}")]
    HashedOwner {
        zone: tern_core::Name,
        source: tern_core::NameError,
    },
    #[error(transparent)]
    Kek(#[from] KekError),
}
