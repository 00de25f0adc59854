//! Signing keys: the two algorithms Tern signs with, key generation and
//! PKCS#8 import with `ring`, the public key in DNSKEY form, raw signatures
//! in RRSIG form, and verification of such a signature.

use std::fmt;
use std::str::FromStr;

use ring::rand::SystemRandom;
use ring::signature::{
    self, ECDSA_P256_SHA256_FIXED, ECDSA_P256_SHA256_FIXED_SIGNING, ED25519, EcdsaKeyPair,
    Ed25519KeyPair, KeyPair, UnparsedPublicKey,
};

use crate::DnssecError;

/// The leading octet of an uncompressed SEC1 point, which `ring` produces and
/// expects and DNSKEY leaves out (RFC 6605 §4).
const SEC1_UNCOMPRESSED: u8 = 0x04;

/// A DNSSEC signing algorithm Tern can sign with (IANA "DNS Security
/// Algorithm Numbers").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Algorithm {
    /// 13, RFC 6605.
    EcdsaP256Sha256,
    /// 15, RFC 8080.
    Ed25519,
}

impl Algorithm {
    pub const ALL: [Algorithm; 2] = [Algorithm::EcdsaP256Sha256, Algorithm::Ed25519];

    pub const fn number(self) -> u8 {
        match self {
            Algorithm::EcdsaP256Sha256 => 13,
            Algorithm::Ed25519 => 15,
        }
    }

    pub fn from_number(number: u8) -> Option<Algorithm> {
        Algorithm::ALL.into_iter().find(|a| a.number() == number)
    }

    /// The IANA mnemonic, as zone files and key files write it.
    pub const fn mnemonic(self) -> &'static str {
        match self {
            Algorithm::EcdsaP256Sha256 => "ECDSAP256SHA256",
            Algorithm::Ed25519 => "ED25519",
        }
    }

    /// Accepts the mnemonic in any case or the number.
    pub fn parse(text: &str) -> Result<Algorithm, DnssecError> {
        let text = text.trim();
        let found = match text.parse::<u8>() {
            Ok(number) => Algorithm::from_number(number),
            Err(_) => Algorithm::ALL
                .into_iter()
                .find(|a| a.mnemonic().eq_ignore_ascii_case(text)),
        };
        found.ok_or_else(|| DnssecError::UnknownAlgorithm(text.to_string()))
    }

    /// Octets of the public key in a DNSKEY record.
    pub const fn public_key_len(self) -> usize {
        match self {
            Algorithm::EcdsaP256Sha256 => 64,
            Algorithm::Ed25519 => 32,
        }
    }

    /// Octets of a signature in an RRSIG record.
    pub const fn signature_len(self) -> usize {
        64
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.mnemonic())
    }
}

impl FromStr for Algorithm {
    type Err = DnssecError;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Algorithm::parse(text)
    }
}

enum KeyPairKind {
    Ecdsa(EcdsaKeyPair),
    Ed25519(Ed25519KeyPair),
}

/// A private signing key. The PKCS#8 document is the secret to store (only
/// ever sealed under the key-encryption key); `Debug` never shows it.
pub struct SigningKey {
    algorithm: Algorithm,
    pkcs8: Vec<u8>,
    pair: KeyPairKind,
    rng: SystemRandom,
}

impl SigningKey {
    pub fn generate(algorithm: Algorithm) -> Result<SigningKey, DnssecError> {
        let rng = SystemRandom::new();
        let document = match algorithm {
            Algorithm::EcdsaP256Sha256 => {
                EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
            }
            Algorithm::Ed25519 => Ed25519KeyPair::generate_pkcs8(&rng),
        }
        .map_err(|_| DnssecError::KeyGeneration(algorithm))?;
        SigningKey::from_pkcs8(algorithm, document.as_ref())
    }

    /// Imports a PKCS#8 private key (as `pkcs8` returns it). Ed25519 accepts
    /// v1 documents (seed only) as well as v2 (seed and public key, checked).
    pub fn from_pkcs8(algorithm: Algorithm, pkcs8: &[u8]) -> Result<SigningKey, DnssecError> {
        let rng = SystemRandom::new();
        let rejected = |e: ring::error::KeyRejected| DnssecError::KeyRejected {
            algorithm,
            reason: e.to_string(),
        };
        let pair = match algorithm {
            Algorithm::EcdsaP256Sha256 => KeyPairKind::Ecdsa(
                EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8, &rng)
                    .map_err(rejected)?,
            ),
            Algorithm::Ed25519 => KeyPairKind::Ed25519(
                Ed25519KeyPair::from_pkcs8_maybe_unchecked(pkcs8).map_err(rejected)?,
            ),
        };
        Ok(SigningKey {
            algorithm,
            pkcs8: pkcs8.to_vec(),
            pair,
            rng,
        })
    }

    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// The private key as PKCS#8: the secret to seal and store.
    pub fn pkcs8(&self) -> &[u8] {
        &self.pkcs8
    }

    /// The public key as a DNSKEY record carries it: X || Y for P-256
    /// (RFC 6605 §4), the 32-octet key for Ed25519 (RFC 8080 §3).
    pub fn public_key(&self) -> Vec<u8> {
        match &self.pair {
            KeyPairKind::Ecdsa(pair) => dnskey_from_sec1(pair.public_key().as_ref()),
            KeyPairKind::Ed25519(pair) => pair.public_key().as_ref().to_vec(),
        }
    }

    /// A signature in RRSIG form over `data`: r || s for P-256 (RFC 6605
    /// §4), the 64-octet signature for Ed25519 (RFC 8080 §4). Fails only
    /// when the system's randomness does (ECDSA needs a nonce).
    pub fn sign(&self, data: &[u8]) -> Result<Vec<u8>, DnssecError> {
        match &self.pair {
            KeyPairKind::Ecdsa(pair) => pair
                .sign(&self.rng, data)
                .map(|s| s.as_ref().to_vec())
                .map_err(|_| DnssecError::Signing(self.algorithm)),
            KeyPairKind::Ed25519(pair) => Ok(pair.sign(data).as_ref().to_vec()),
        }
    }
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("algorithm", &self.algorithm)
            .field("public_key", &self.public_key())
            .finish_non_exhaustive()
    }
}

fn dnskey_from_sec1(point: &[u8]) -> Vec<u8> {
    match point.split_first() {
        Some((&SEC1_UNCOMPRESSED, coordinates)) => coordinates.to_vec(),
        _ => point.to_vec(),
    }
}

/// Whether `signature` (RRSIG form) over `data` verifies under `public_key`
/// (DNSKEY form). Any malformed input is simply `false`.
pub fn verify(algorithm: Algorithm, public_key: &[u8], data: &[u8], signature: &[u8]) -> bool {
    if public_key.len() != algorithm.public_key_len() {
        return false;
    }
    match algorithm {
        Algorithm::EcdsaP256Sha256 => {
            let mut point = Vec::with_capacity(1 + public_key.len());
            point.push(SEC1_UNCOMPRESSED);
            point.extend_from_slice(public_key);
            verify_with(&ECDSA_P256_SHA256_FIXED, &point, data, signature)
        }
        Algorithm::Ed25519 => verify_with(&ED25519, public_key, data, signature),
    }
}

fn verify_with(
    algorithm: &'static dyn signature::VerificationAlgorithm,
    public_key: &[u8],
    data: &[u8],
    signature: &[u8],
) -> bool {
    UnparsedPublicKey::new(algorithm, public_key)
        .verify(data, signature)
        .is_ok()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    #[test]
    fn algorithm_numbers_and_mnemonics() {
        assert_eq!(Algorithm::EcdsaP256Sha256.number(), 13);
        assert_eq!(Algorithm::Ed25519.number(), 15);
        assert_eq!(Algorithm::from_number(13), Some(Algorithm::EcdsaP256Sha256));
        assert_eq!(Algorithm::from_number(8), None);
        assert_eq!(
            Algorithm::parse("ecdsap256sha256").expect("mnemonic"),
            Algorithm::EcdsaP256Sha256
        );
        assert_eq!(
            Algorithm::parse(" 15 ").expect("number"),
            Algorithm::Ed25519
        );
        assert_eq!(Algorithm::Ed25519.to_string(), "ED25519");
        assert!(Algorithm::parse("RSASHA256").is_err());
        assert!(Algorithm::parse("8").is_err());
        assert!(Algorithm::parse("").is_err());
    }

    #[test]
    fn generated_keys_sign_and_verify() {
        for algorithm in Algorithm::ALL {
            let key = SigningKey::generate(algorithm).expect("generate");
            let public = key.public_key();
            assert_eq!(public.len(), algorithm.public_key_len(), "{algorithm}");
            let signature = key.sign(b"data to sign").expect("sign");
            assert_eq!(signature.len(), algorithm.signature_len(), "{algorithm}");
            assert!(verify(algorithm, &public, b"data to sign", &signature));
            assert!(!verify(algorithm, &public, b"other data", &signature));
            let mut flipped = signature.clone();
            flipped[10] ^= 1;
            assert!(!verify(algorithm, &public, b"data to sign", &flipped));
            assert!(!verify(
                algorithm,
                &public[1..],
                b"data to sign",
                &signature
            ));
            assert!(!verify(
                algorithm,
                &public,
                b"data to sign",
                &signature[1..]
            ));
        }
    }

    #[test]
    fn pkcs8_round_trips_to_the_same_key() {
        for algorithm in Algorithm::ALL {
            let key = SigningKey::generate(algorithm).expect("generate");
            let again = SigningKey::from_pkcs8(algorithm, key.pkcs8()).expect("import");
            assert_eq!(again.public_key(), key.public_key());
            let signature = again.sign(b"x").expect("sign");
            assert!(verify(algorithm, &key.public_key(), b"x", &signature));
        }
    }

    #[test]
    fn garbage_or_the_wrong_algorithm_is_rejected() {
        assert!(SigningKey::from_pkcs8(Algorithm::Ed25519, b"not a key").is_err());
        let p256 = SigningKey::generate(Algorithm::EcdsaP256Sha256).expect("generate");
        let err = SigningKey::from_pkcs8(Algorithm::Ed25519, p256.pkcs8()).expect_err("mixed");
        assert!(err.to_string().contains("ED25519"), "{err}");
    }

    #[test]
    fn ed25519_v1_pkcs8_gives_the_rfc_8080_public_key() {
        let key = rfc8080_key();
        assert_eq!(key.public_key(), base64_decode(RFC8080_PUBLIC_KEY));
    }

    #[test]
    fn debug_does_not_show_the_secret() {
        let key = SigningKey::generate(Algorithm::Ed25519).expect("generate");
        let shown = format!("{key:?}");
        assert!(shown.contains("Ed25519"));
        assert!(!shown.contains("pkcs8"));
    }

    /// RFC 8080 §6.1's example key (its seed and its DNSKEY public key).
    pub(crate) const RFC8080_SEED: &str = "ODIyNjAzODQ2MjgwODAxMjI2NDUxOTAyMDQxNDIyNjI=";
    pub(crate) const RFC8080_PUBLIC_KEY: &str = "l02Woi0iS8Aa25FQkUd9RMzZHJpBoRQwAQEX1SxZJA4=";

    /// The RFC 8080 key as a PKCS#8 v1 document: the fixed DER header of an
    /// Ed25519 private key (RFC 8410 §7) and the seed.
    pub(crate) fn rfc8080_key() -> SigningKey {
        let mut pkcs8 = vec![
            0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22,
            0x04, 0x20,
        ];
        pkcs8.extend_from_slice(&base64_decode(RFC8080_SEED));
        SigningKey::from_pkcs8(Algorithm::Ed25519, &pkcs8).expect("RFC 8080 key")
    }

    pub(crate) fn base64_decode(text: &str) -> Vec<u8> {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD
            .decode(text)
            .expect("base64")
    }
}
