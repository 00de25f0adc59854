//! Who may do what through the API: scopes, API tokens and the access
//! checks every face (native API, dialects, CLI) applies the same way.
//! A token's secret is never stored: only its SHA-256 hash, which is what
//! a presented token is looked up by.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::model::Timestamp;
use crate::transfer::Cidr;

/// A permission a token carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scope {
    DnsList,
    DnsRead,
    DnsCreate,
    DnsUpdate,
    DnsDelete,
    /// Every `dns:` scope (the seeds' `domains:*` means the same).
    DnsAll,
    DnssecManage,
    TokensManage,
    /// Everything, in every organisation.
    Admin,
}

impl Scope {
    pub const ALL: [Scope; 9] = [
        Scope::DnsList,
        Scope::DnsRead,
        Scope::DnsCreate,
        Scope::DnsUpdate,
        Scope::DnsDelete,
        Scope::DnsAll,
        Scope::DnssecManage,
        Scope::TokensManage,
        Scope::Admin,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::DnsList => "dns:list",
            Scope::DnsRead => "dns:read",
            Scope::DnsCreate => "dns:create",
            Scope::DnsUpdate => "dns:update",
            Scope::DnsDelete => "dns:delete",
            Scope::DnsAll => "dns:*",
            Scope::DnssecManage => "dnssec:manage",
            Scope::TokensManage => "tokens:manage",
            Scope::Admin => "admin",
        }
    }

    /// Whether holding `self` grants `wanted`.
    pub fn grants(self, wanted: Scope) -> bool {
        self == wanted
            || self == Scope::Admin
            || (self == Scope::DnsAll
                && matches!(
                    wanted,
                    Scope::DnsList
                        | Scope::DnsRead
                        | Scope::DnsCreate
                        | Scope::DnsUpdate
                        | Scope::DnsDelete
                ))
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Scope {
    type Err = String;

    fn from_str(text: &str) -> Result<Scope, String> {
        let text = text.trim();
        if text == "domains:*" {
            return Ok(Scope::DnsAll);
        }
        Scope::ALL
            .into_iter()
            .find(|s| s.as_str() == text)
            .ok_or_else(|| {
                format!(
                    "unknown scope '{text}'; scopes are {} (and domains:*, an alias of dns:*)",
                    Scope::ALL.map(Scope::as_str).join(", ")
                )
            })
    }
}

impl Serialize for Scope {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Scope {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Scope, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// An API token as stored: everything but the secret.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiToken {
    pub id: Uuid,
    pub org_id: Uuid,
    /// A token bound to a project sees only that project's zones.
    pub project_id: Option<Uuid>,
    pub name: String,
    pub scopes: Vec<Scope>,
    /// `token_hash(secret)`.
    pub hash: String,
    pub expires_at: Option<Timestamp>,
    /// When set, the token is only accepted from these networks.
    pub allowed_networks: Vec<Cidr>,
    pub last_used_at: Option<Timestamp>,
    pub revoked_at: Option<Timestamp>,
    pub created_at: Timestamp,
}

/// Why a presented token is not accepted (all are 401 to the caller, who
/// learns no more than "unauthorized").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenRejection {
    Revoked,
    Expired,
    Network,
}

impl ApiToken {
    pub fn allows(&self, wanted: Scope) -> bool {
        self.scopes.iter().any(|s| s.grants(wanted))
    }

    pub fn is_admin(&self) -> bool {
        self.scopes.contains(&Scope::Admin)
    }

    /// Whether the token may be used now, from `peer`.
    pub fn check(&self, now: Timestamp, peer: Option<IpAddr>) -> Result<(), TokenRejection> {
        if self.revoked_at.is_some() {
            return Err(TokenRejection::Revoked);
        }
        if self.expires_at.is_some_and(|at| at <= now) {
            return Err(TokenRejection::Expired);
        }
        if !self.allowed_networks.is_empty()
            && !peer.is_some_and(|ip| self.allowed_networks.iter().any(|n| n.contains(ip)))
        {
            return Err(TokenRejection::Network);
        }
        Ok(())
    }
}

/// What a grant lets another organisation do with a zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GrantRole {
    /// Read the zone and its records.
    Viewer,
    /// Also change its records (not the zone itself, nor its grants).
    Editor,
}

impl GrantRole {
    pub fn as_str(self) -> &'static str {
        match self {
            GrantRole::Viewer => "viewer",
            GrantRole::Editor => "editor",
        }
    }

    pub fn parse(text: &str) -> Option<GrantRole> {
        match text {
            "viewer" => Some(GrantRole::Viewer),
            "editor" => Some(GrantRole::Editor),
            _ => None,
        }
    }
}

/// A zone shared with another organisation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessGrant {
    pub id: Uuid,
    pub zone_id: Uuid,
    pub org_id: Uuid,
    pub role: GrantRole,
    pub created_at: Timestamp,
}

/// The prefix every Tern token starts with (secret scanners look for it).
pub const TOKEN_PREFIX: &str = "tern_";

/// The stored form of a token secret: lower-case hex SHA-256.
pub fn token_hash(secret: &str) -> String {
    let digest = Sha256::digest(secret.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// A token secret from `random` octets (at least 32): `tern_` and the
/// octets in base62, so it is one word to copy and paste.
pub fn token_from_random(random: &[u8]) -> String {
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    // Base62 of the big-endian number the octets spell (repeated division).
    let mut digits: Vec<u8> = random.to_vec();
    let mut out = Vec::new();
    while digits.iter().any(|&d| d != 0) {
        let mut remainder = 0u32;
        for d in digits.iter_mut() {
            let value = (remainder << 8) | u32::from(*d);
            *d = (value / 62) as u8;
            remainder = value % 62;
        }
        out.push(ALPHABET[remainder as usize]);
    }
    out.reverse();
    format!("{TOKEN_PREFIX}{}", String::from_utf8_lossy(&out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_parse_and_grant() {
        assert_eq!("domains:*".parse::<Scope>().unwrap(), Scope::DnsAll);
        assert!(Scope::DnsAll.grants(Scope::DnsDelete));
        assert!(!Scope::DnsAll.grants(Scope::TokensManage));
        assert!(Scope::Admin.grants(Scope::DnssecManage));
        assert!(!Scope::DnsRead.grants(Scope::DnsList));
        let err = "dns:write".parse::<Scope>().unwrap_err();
        assert!(err.contains("dns:update"), "{err}");
    }

    #[test]
    fn tokens_are_checked() {
        let mut token = ApiToken {
            id: Uuid::nil(),
            org_id: Uuid::nil(),
            project_id: None,
            name: "t".into(),
            scopes: vec![Scope::DnsRead],
            hash: token_hash("x"),
            expires_at: Some(1000),
            allowed_networks: vec![Cidr::parse("10.0.0.0/8").unwrap()],
            last_used_at: None,
            revoked_at: None,
            created_at: 0,
        };
        let inside = Some("10.1.2.3".parse().unwrap());
        assert_eq!(token.check(999, inside), Ok(()));
        assert_eq!(token.check(1000, inside), Err(TokenRejection::Expired));
        assert_eq!(
            token.check(999, Some("192.0.2.1".parse().unwrap())),
            Err(TokenRejection::Network)
        );
        token.revoked_at = Some(5);
        assert_eq!(token.check(0, inside), Err(TokenRejection::Revoked));
    }

    #[test]
    fn token_text() {
        let token = token_from_random(&[0xff; 32]);
        assert!(token.starts_with("tern_"));
        // 256 bits need 43 base62 digits.
        assert_eq!(token.len(), 5 + 43);
        assert!(token[5..].bytes().all(|b| b.is_ascii_alphanumeric()));
        assert_eq!(token_hash("abc").len(), 64);
        assert_eq!(
            token_hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
