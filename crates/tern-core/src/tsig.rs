//! TSIG keys (RFC 8945) as the platform stores them: a name, an HMAC
//! algorithm and a shared secret. Validated here so the CLI and the API
//! refuse bad keys the same way; the nameserver turns them into signing keys.

use std::fmt;
use std::str::FromStr;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::{Deserialize, Serialize};

use crate::model::Timestamp;
use crate::name::Name;

/// The HMAC algorithms Tern signs and verifies with. HMAC-MD5 is left out on
/// purpose (RFC 8945 §6 deprecates it); SHA-1 stays for old secondaries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum TsigAlgorithm {
    #[serde(rename = "hmac-sha1")]
    HmacSha1,
    #[serde(rename = "hmac-sha256")]
    HmacSha256,
    #[serde(rename = "hmac-sha384")]
    HmacSha384,
    #[serde(rename = "hmac-sha512")]
    HmacSha512,
}

impl TsigAlgorithm {
    pub const ALL: [TsigAlgorithm; 4] = [
        TsigAlgorithm::HmacSha1,
        TsigAlgorithm::HmacSha256,
        TsigAlgorithm::HmacSha384,
        TsigAlgorithm::HmacSha512,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TsigAlgorithm::HmacSha1 => "hmac-sha1",
            TsigAlgorithm::HmacSha256 => "hmac-sha256",
            TsigAlgorithm::HmacSha384 => "hmac-sha384",
            TsigAlgorithm::HmacSha512 => "hmac-sha512",
        }
    }

    /// The hash's output length: the secret length generated keys get
    /// (RFC 8945 §6 recommends a secret as long as the hash output).
    pub fn output_len(self) -> usize {
        match self {
            TsigAlgorithm::HmacSha1 => 20,
            TsigAlgorithm::HmacSha256 => 32,
            TsigAlgorithm::HmacSha384 => 48,
            TsigAlgorithm::HmacSha512 => 64,
        }
    }
}

impl fmt::Display for TsigAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for TsigAlgorithm {
    type Err = String;

    /// Accepts the BIND names and the RFC 8945 algorithm names
    /// (`hmac-sha256.`), case-insensitively.
    fn from_str(text: &str) -> Result<Self, String> {
        let wanted = text.trim().trim_end_matches('.').to_ascii_lowercase();
        TsigAlgorithm::ALL
            .into_iter()
            .find(|a| a.as_str() == wanted)
            .ok_or_else(|| {
                format!(
                    "unsupported TSIG algorithm '{text}'; use one of {}",
                    TsigAlgorithm::ALL.map(|a| a.as_str()).join(", ")
                )
            })
    }
}

/// A stored TSIG key.
#[derive(Clone, PartialEq, Eq)]
pub struct TsigKey {
    pub name: Name,
    pub algorithm: TsigAlgorithm,
    pub secret: Vec<u8>,
    pub created_at: Timestamp,
}

/// A key that cannot be stored: the field and the reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct TsigKeyError {
    pub field: &'static str,
    pub reason: String,
}

/// Shortest secret accepted: RFC 8945 §6 asks for at least half the hash
/// length; 16 octets is the floor for every supported algorithm.
const MIN_SECRET_LEN: usize = 16;

impl TsigKey {
    /// Validates a key given as text (the name as typed, the secret in
    /// base64, as BIND and Knot configurations write it).
    pub fn new(
        name: &str,
        algorithm: &str,
        secret_base64: &str,
        created_at: Timestamp,
    ) -> Result<TsigKey, TsigKeyError> {
        let secret = BASE64
            .decode(secret_base64.trim())
            .map_err(|e| TsigKeyError {
                field: "secret",
                reason: format!("not valid base64: {e}"),
            })?;
        TsigKey::with_secret(name, algorithm, secret, created_at)
    }

    /// Validates a key whose secret is given as octets (a generated one).
    pub fn with_secret(
        name: &str,
        algorithm: &str,
        secret: Vec<u8>,
        created_at: Timestamp,
    ) -> Result<TsigKey, TsigKeyError> {
        let error = |field, reason: String| TsigKeyError { field, reason };
        let name =
            Name::parse_owner(name, &Name::root()).map_err(|e| error("name", e.to_string()))?;
        if name.is_root() {
            return Err(error("name", "a key name cannot be the root".into()));
        }
        let algorithm = algorithm.parse().map_err(|e| error("algorithm", e))?;
        if secret.len() < MIN_SECRET_LEN {
            return Err(error(
                "secret",
                format!(
                    "{} octets is too short; at least {MIN_SECRET_LEN} are required",
                    secret.len()
                ),
            ));
        }
        Ok(TsigKey {
            name,
            algorithm,
            secret,
            created_at,
        })
    }

    pub fn secret_base64(&self) -> String {
        BASE64.encode(&self.secret)
    }

    /// The key as a BIND `key` statement (named.conf).
    pub fn bind_clause(&self) -> String {
        format!(
            "key \"{}\" {{\n\talgorithm {};\n\tsecret \"{}\";\n}};",
            self.bare_name(),
            self.algorithm,
            self.secret_base64()
        )
    }

    /// The key as an NSD `key:` clause (nsd.conf).
    pub fn nsd_clause(&self) -> String {
        format!(
            "key:\n\tname: \"{}\"\n\talgorithm: {}\n\tsecret: \"{}\"",
            self.bare_name(),
            self.algorithm,
            self.secret_base64()
        )
    }

    /// The key as a Knot `key:` section (knot.conf, YAML).
    pub fn knot_clause(&self) -> String {
        format!(
            "key:\n  - id: {}\n    algorithm: {}\n    secret: {}",
            self.bare_name(),
            self.algorithm,
            self.secret_base64()
        )
    }

    /// The name without its trailing dot, as the three configurations
    /// write key names.
    fn bare_name(&self) -> &str {
        self.name.as_str().trim_end_matches('.')
    }
}

/// Secrets never reach logs through `{:?}`.
impl fmt::Debug for TsigKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TsigKey")
            .field("name", &self.name)
            .field("algorithm", &self.algorithm)
            .field("secret", &"<redacted>")
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0IQ==";

    #[test]
    fn keys_are_validated_field_by_field() {
        let key = TsigKey::new("Transfer.Example.", "HMAC-SHA256.", SECRET, 0).unwrap();
        assert_eq!(key.name.as_str(), "transfer.example.");
        assert_eq!(key.algorithm, TsigAlgorithm::HmacSha256);
        assert_eq!(key.secret_base64(), SECRET);
        assert!(key.bind_clause().contains("algorithm hmac-sha256;"));
        assert!(!format!("{key:?}").contains(SECRET));

        let err = TsigKey::new("bad..name", "hmac-sha256", SECRET, 0).unwrap_err();
        assert_eq!(err.field, "name");
        let err = TsigKey::new("k", "hmac-md5", SECRET, 0).unwrap_err();
        assert_eq!(err.field, "algorithm");
        assert!(err.reason.contains("hmac-sha512"), "{}", err.reason);
        let err = TsigKey::new("k", "hmac-sha256", "not base64!", 0).unwrap_err();
        assert_eq!(err.field, "secret");
        let err = TsigKey::new("k", "hmac-sha256", "c2hvcnQ=", 0).unwrap_err();
        assert!(err.reason.contains("too short"), "{}", err.reason);
    }
}
