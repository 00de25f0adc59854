//! Who may transfer a zone: the rule of `tern_core::transfer` applied to the
//! zone's settings and the server's `--allow-transfer`/`--allow-transfer-key`.
//! A refusal says why, and what an operator would change to allow it, because
//! "transfer refused" alone sends people searching.

use std::net::IpAddr;

use tern_core::Name;

use crate::answer::AnswerConfig;
use crate::snapshot::ZoneSnapshot;

/// Why a transfer was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Denial {
    /// Neither networks nor keys are configured: refused by default.
    NothingAllowed,
    /// Networks are configured and the peer is in none of them.
    Network,
    /// Keys are configured and the request was not signed.
    Unsigned,
    /// Signed, but with a key the zone and the server do not name.
    KeyNotAllowed(Name),
}

impl Denial {
    pub(crate) fn reason(&self) -> &'static str {
        match self {
            Denial::NothingAllowed => "no network or TSIG key may transfer this zone",
            Denial::Network => "the client's address is not in an allowed network",
            Denial::Unsigned => "the zone's transfers need a TSIG key and the request was unsigned",
            Denial::KeyNotAllowed(_) => {
                "the request was signed with a key not allowed for this zone"
            }
        }
    }

    pub(crate) fn hint(&self) -> &'static str {
        match self {
            Denial::NothingAllowed => {
                "allow the secondary with `tern serve --allow-transfer <cidr>` or the zone's \
                 `transfer_allow` setting, or a TSIG key with `--allow-transfer-key <key>` or \
                 `transfer_keys` (keys: `tern tsig create`)"
            }
            Denial::Network => {
                "add the client's network to `--allow-transfer` or the zone's `transfer_allow`"
            }
            Denial::Unsigned => {
                "sign the request with a key named in `--allow-transfer-key` or the zone's \
                 `transfer_keys` (e.g. `kdig -y hmac-sha256:<name>:<secret>`)"
            }
            Denial::KeyNotAllowed(_) => {
                "name the key in `--allow-transfer-key` or the zone's `transfer_keys`"
            }
        }
    }
}

/// Whether `peer`, signed with `key` (if at all), may transfer `zone`.
pub(crate) fn may_transfer(
    zone: &ZoneSnapshot,
    peer: IpAddr,
    key: Option<&Name>,
    config: &AnswerConfig,
) -> Result<(), Denial> {
    let mut networks = zone
        .transfer
        .allow
        .iter()
        .chain(&config.transfer_allow)
        .peekable();
    let networks_set = networks.peek().is_some();
    let network_ok = networks_set && networks.any(|net| net.contains(peer));
    let mut keys = zone
        .transfer
        .keys
        .iter()
        .chain(&config.transfer_keys)
        .peekable();
    if keys.peek().is_none() {
        return match (networks_set, network_ok) {
            (false, _) => Err(Denial::NothingAllowed),
            (true, false) => Err(Denial::Network),
            (true, true) => Ok(()),
        };
    }
    match key {
        None => Err(Denial::Unsigned),
        Some(key) if !keys.any(|k| k == key) => Err(Denial::KeyNotAllowed(key.clone())),
        Some(_) if networks_set && !network_ok => Err(Denial::Network),
        Some(_) => Ok(()),
    }
}
