//! Zone-transfer settings kept in a zone's `settings` object: which networks
//! may transfer the zone (AXFR/IXFR) and which secondaries are notified of
//! changes. Validated here once so every face (API, CLI) refuses bad values
//! the same way, and read by the nameserver.
//!
//! `{"transfer_allow": ["192.0.2.0/24", "2001:db8::1"], "transfer_keys": ["xfr-key."],
//!   "also_notify": ["192.0.2.53:53"]}`
//!
//! Access rule: with `transfer_keys`, a request must be TSIG-signed with one
//! of them (and come from `transfer_allow`, when that is set too); without,
//! it must come from `transfer_allow`. Neither set: refused.

use std::net::{IpAddr, SocketAddr};

use crate::name::Name;

/// An address block; a bare address is a /32 or /128.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    pub network: IpAddr,
    pub prefix: u8,
}

impl Cidr {
    pub fn parse(text: &str) -> Result<Cidr, String> {
        let (addr, prefix) = match text.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (text, None),
        };
        let network: IpAddr = addr
            .trim()
            .parse()
            .map_err(|_| format!("'{text}' is not an IP address or CIDR block"))?;
        let max = if network.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(p) => p
                .trim()
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= max)
                .ok_or_else(|| format!("'{text}': the prefix length must be 0-{max}"))?,
            None => max,
        };
        Ok(Cidr { network, prefix })
    }

    pub fn contains(&self, addr: IpAddr) -> bool {
        let addr = match addr {
            IpAddr::V6(v6) => v6
                .to_ipv4_mapped()
                .map(IpAddr::V4)
                .unwrap_or(IpAddr::V6(v6)),
            v4 => v4,
        };
        match (self.network, addr) {
            (IpAddr::V4(net), IpAddr::V4(a)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(net) & mask == u32::from(a) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(a)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(net) & mask == u128::from(a) & mask
            }
            _ => false,
        }
    }
}

/// The transfer-related part of a zone's settings.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TransferSettings {
    pub allow: Vec<Cidr>,
    /// TSIG key names (canonical); the keys themselves live in the store.
    pub keys: Vec<Name>,
    pub notify: Vec<SocketAddr>,
}

impl TransferSettings {
    /// Reads the settings object; `Err` names the key and the bad value.
    pub fn from_settings(
        settings: &serde_json::Value,
    ) -> Result<TransferSettings, (String, String)> {
        let list = |key: &str| -> Result<Vec<String>, (String, String)> {
            match settings.get(key) {
                None | Some(serde_json::Value::Null) => Ok(Vec::new()),
                Some(serde_json::Value::Array(items)) => items
                    .iter()
                    .map(|v| {
                        v.as_str().map(str::to_string).ok_or_else(|| {
                            (
                                format!("settings.{key}"),
                                "entries must be strings".to_string(),
                            )
                        })
                    })
                    .collect(),
                Some(_) => Err((
                    format!("settings.{key}"),
                    "must be a list of strings".to_string(),
                )),
            }
        };
        let allow = list("transfer_allow")?
            .iter()
            .map(|t| Cidr::parse(t).map_err(|e| ("settings.transfer_allow".to_string(), e)))
            .collect::<Result<Vec<_>, _>>()?;
        let notify = list("also_notify")?
            .iter()
            .map(|t| {
                t.parse::<SocketAddr>()
                    .or_else(|_| t.parse::<IpAddr>().map(|ip| SocketAddr::new(ip, 53)))
                    .map_err(|_| {
                        (
                            "settings.also_notify".to_string(),
                            format!("'{t}' is not an address or address:port"),
                        )
                    })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let keys = list("transfer_keys")?
            .iter()
            .map(|t| {
                Name::parse_owner(t, &Name::root())
                    .map_err(|e| ("settings.transfer_keys".to_string(), format!("'{t}': {e}")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(TransferSettings {
            allow,
            keys,
            notify,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cidr_matching() {
        let net = Cidr::parse("192.0.2.0/24").unwrap();
        assert!(net.contains("192.0.2.77".parse().unwrap()));
        assert!(!net.contains("192.0.3.1".parse().unwrap()));
        assert!(net.contains("::ffff:192.0.2.1".parse().unwrap()));
        assert!(
            Cidr::parse("2001:db8::/32")
                .unwrap()
                .contains("2001:db8::1".parse().unwrap())
        );
        assert!(
            Cidr::parse("0.0.0.0/0")
                .unwrap()
                .contains("203.0.113.9".parse().unwrap())
        );
        assert!(Cidr::parse("192.0.2.0/33").is_err());
        assert!(Cidr::parse("example.com").is_err());
    }

    #[test]
    fn settings_are_validated() {
        let ok = serde_json::json!({"transfer_allow": ["127.0.0.1", "10.0.0.0/8"], "transfer_keys": ["Xfr.Key"], "also_notify": ["127.0.0.1:5301", "::1"]});
        let t = TransferSettings::from_settings(&ok).unwrap();
        assert_eq!(t.allow.len(), 2);
        assert_eq!(t.keys[0].as_str(), "xfr.key.");
        let bad = serde_json::json!({"transfer_keys": ["a..b"]});
        assert_eq!(
            TransferSettings::from_settings(&bad).unwrap_err().0,
            "settings.transfer_keys"
        );
        assert_eq!(t.notify[1].port(), 53);
        let bad = serde_json::json!({"transfer_allow": ["10.0.0.0/99"]});
        let (field, reason) = TransferSettings::from_settings(&bad).unwrap_err();
        assert_eq!(field, "settings.transfer_allow");
        assert!(reason.contains("prefix"), "{reason}");
        assert!(TransferSettings::from_settings(&serde_json::json!({"also_notify": "x"})).is_err());
    }
}
