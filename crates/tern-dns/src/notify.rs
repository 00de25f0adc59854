//! NOTIFY out (RFC 1996): after a commit moves a zone's serial, each of its
//! secondaries is told, over UDP. Only a NOERROR reply acknowledges; any
//! other RCODE (REFUSED, NOTAUTH with a TSIG error such as BADKEY, …) and
//! silence are retried with back-off, logged at warn with the code, and
//! counted in `/metrics` by code, so a secondary that refuses us is seen
//! rather than left stale until its refresh timer. A NOTIFY is signed
//! whenever a transfer key applies to the zone (the zone's `transfer_keys`,
//! then the server's `--allow-transfer-key`), so secondaries that accept only
//! signed NOTIFYs (Knot's and NSD's `allow-notify … key`) act on them.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU16, Ordering};
use std::time::Duration;

use domain::base::Message;
use domain::rdata::Tsig;
use tern_core::Name;
use tokio::net::UdpSocket;

use crate::metrics::Metrics;
use crate::snapshot::ZoneSnapshot;
use crate::tsig::{SigningKey, TsigKeys};

const ATTEMPTS: u32 = 5;
const FIRST_WAIT: Duration = Duration::from_secs(1);

static NEXT_ID: AtomicU16 = AtomicU16::new(0x4e54);

/// What the server adds to every zone's NOTIFY settings.
#[derive(Debug, Clone, Default)]
pub struct NotifyDefaults {
    /// `--also-notify`: secondaries told of every zone's changes.
    pub targets: Vec<SocketAddr>,
    /// `--allow-transfer-key`: keys that apply to every zone.
    pub keys: Vec<Name>,
}

/// Sends NOTIFY for the zone's current serial to its targets and the
/// server's, in the background.
pub fn zone_changed(
    zone: &ZoneSnapshot,
    defaults: Option<&NotifyDefaults>,
    tsig: &TsigKeys,
    metrics: &Arc<Metrics>,
) {
    let defaults = defaults.cloned().unwrap_or_default();
    let targets: Vec<SocketAddr> = zone
        .transfer
        .notify
        .iter()
        .chain(&defaults.targets)
        .copied()
        .collect();
    if targets.is_empty() {
        return;
    }
    let key = zone
        .transfer
        .keys
        .iter()
        .chain(&defaults.keys)
        .find_map(|name| tsig.by_name(name));
    if key.is_none() && !(zone.transfer.keys.is_empty() && defaults.keys.is_empty()) {
        tracing::warn!(zone = %zone.name, "NOTIFY sent unsigned: none of the zone's transfer keys is in the key store");
    }
    let Ok(runtime) = tokio::runtime::Handle::try_current() else {
        return;
    };
    let message = notify_message(zone);
    for target in targets {
        let (zone, message, key, metrics) = (
            zone.name.clone(),
            message.clone(),
            key.clone(),
            metrics.clone(),
        );
        let serial = zone_serial(&message);
        runtime.spawn(async move {
            if let Err(reason) = notify_one(&zone, &message, target, key, &metrics).await {
                metrics.notify_abandoned();
                tracing::warn!(%zone, serial, %target, %reason, "NOTIFY not acknowledged; giving up");
            }
        });
    }
}

fn zone_serial(message: &[u8]) -> u32 {
    // The serial is the first of the SOA's five 32-bit fields at the end.
    message
        .len()
        .checked_sub(20)
        .and_then(|at| message.get(at..at + 4))
        .map_or(0, |s| u32::from_be_bytes([s[0], s[1], s[2], s[3]]))
}

async fn notify_one(
    zone: &Name,
    unsigned: &[u8],
    target: SocketAddr,
    key: Option<SigningKey>,
    metrics: &Metrics,
) -> Result<(), String> {
    let serial = zone_serial(unsigned);
    let bind = if target.is_ipv4() {
        "0.0.0.0:0"
    } else {
        "[::]:0"
    };
    let socket = UdpSocket::bind(bind).await.map_err(|e| e.to_string())?;
    let mut wait = FIRST_WAIT;
    let mut last = String::from("no answer");
    for attempt in 1..=ATTEMPTS {
        // A fresh id (and signature, with its time) per attempt: a late
        // answer to an earlier attempt is not taken for this one's.
        let id = NEXT_ID.fetch_add(0x9e37, Ordering::Relaxed);
        let mut message = unsigned.to_vec();
        message[..2].copy_from_slice(&id.to_be_bytes());
        if let Some(key) = &key {
            message = crate::tsig::sign_request(key.clone(), &message)
                .ok_or_else(|| "could not sign the NOTIFY".to_string())?;
        }
        socket
            .send_to(&message, target)
            .await
            .map_err(|e| e.to_string())?;
        let deadline = tokio::time::Instant::now() + wait;
        let mut buf = [0u8; 1232];
        let reply = loop {
            match tokio::time::timeout_at(deadline, socket.recv_from(&mut buf)).await {
                Ok(Ok((n, from))) if from == target && n >= 12 => {
                    if u16::from_be_bytes([buf[0], buf[1]]) == id && buf[2] & 0x80 != 0 {
                        break Some(reply_code(&buf[..n]));
                    }
                }
                Ok(_) => {}
                Err(_) => break None,
            }
        };
        match reply {
            Some(code) if code == "NOERROR" => {
                metrics.notify_reply(code);
                tracing::debug!(%zone, serial, %target, attempt, "NOTIFY acknowledged");
                return Ok(());
            }
            Some(code) => {
                metrics.notify_reply(code);
                tracing::warn!(%zone, serial, %target, rcode = code, attempt, "NOTIFY answered with an error; retrying");
                last = format!("answered {code}");
                // Back off before the next attempt, as after silence.
                tokio::time::sleep_until(deadline).await;
            }
            None => {
                metrics.notify_reply("timeout");
                last = String::from("no answer");
            }
        }
        wait *= 2;
    }
    Err(format!("{last} after {ATTEMPTS} attempts"))
}

/// The reply's code as an operator knows it: the TSIG error (BADKEY,
/// BADSIG, BADTIME) when the reply carries one, else the RCODE.
fn reply_code(reply: &[u8]) -> &'static str {
    let tsig_error = Message::from_octets(reply)
        .ok()
        .and_then(|message| {
            message
                .additional()
                .ok()?
                .limit_to::<Tsig<_, _>>()
                .find_map(Result::ok)
                .map(|record| record.data().error().to_int())
        })
        .unwrap_or(0);
    match tsig_error {
        16 => return "BADSIG",
        17 => return "BADKEY",
        18 => return "BADTIME",
        0 => {}
        _ => return "other",
    }
    match reply[3] & 0x0f {
        0 => "NOERROR",
        1 => "FORMERR",
        2 => "SERVFAIL",
        3 => "NXDOMAIN",
        4 => "NOTIMP",
        5 => "REFUSED",
        9 => "NOTAUTH",
        _ => "other",
    }
}

/// NOTIFY: opcode 4, AA, the zone's SOA as question and as answer hint.
fn notify_message(zone: &ZoneSnapshot) -> Vec<u8> {
    let soa = &zone.soa_rdata;
    let mut out = Vec::with_capacity(64 + soa.len());
    out.extend_from_slice(&[0, 0]); // the id, set per attempt
    out.extend_from_slice(&0x2400u16.to_be_bytes());
    out.extend_from_slice(&[0, 1, 0, 1, 0, 0, 0, 0]);
    zone.name.to_wire(&mut out);
    out.extend_from_slice(&[0, 6, 0, 1]);
    out.extend_from_slice(&[0xc0, 12, 0, 6, 0, 1]);
    out.extend_from_slice(&zone.soa_ttl.to_be_bytes());
    // An SOA's RDATA is two names and 20 octets: always under 600 octets.
    out.extend_from_slice(&u16::try_from(soa.len()).unwrap_or(0).to_be_bytes());
    out.extend_from_slice(soa);
    // The snapshot's serial, whatever its SOA RDATA was built with.
    if let Some(at) = out.len().checked_sub(20) {
        out[at..at + 4].copy_from_slice(&zone.serial.to_be_bytes());
    }
    out
}
