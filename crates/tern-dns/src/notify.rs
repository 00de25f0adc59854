//! NOTIFY out (RFC 1996): after a commit moves a zone's serial, each of its
//! secondaries is told, over UDP, and told again with back-off until it
//! acknowledges. A zone whose transfers need a TSIG key sends its NOTIFYs
//! signed with the first of them, so secondaries that accept only signed
//! NOTIFYs (Knot's and NSD's `allow-notify … key`) act on them.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU16, Ordering};
use std::time::Duration;

use tern_core::Name;
use tokio::net::UdpSocket;

const ATTEMPTS: u32 = 5;
const FIRST_WAIT: Duration = Duration::from_secs(1);

static NEXT_ID: AtomicU16 = AtomicU16::new(0x4e54);

/// Sends NOTIFY for `zone` at `serial` to every target, in the background.
pub fn spawn_notify(
    zone: Name,
    serial: u32,
    soa_rdata: Vec<u8>,
    soa_ttl: u32,
    targets: Vec<SocketAddr>,
    key: Option<crate::tsig::SigningKey>,
) {
    let Ok(runtime) = tokio::runtime::Handle::try_current() else {
        return;
    };
    for target in targets {
        let (zone, soa, key) = (zone.clone(), soa_rdata.clone(), key.clone());
        runtime.spawn(async move {
            if let Err(reason) = notify_one(&zone, serial, &soa, soa_ttl, target, key).await {
                tracing::warn!(%zone, serial, %target, %reason, "NOTIFY not acknowledged");
            }
        });
    }
}

async fn notify_one(
    zone: &Name,
    serial: u32,
    soa: &[u8],
    soa_ttl: u32,
    target: SocketAddr,
    key: Option<crate::tsig::SigningKey>,
) -> Result<(), String> {
    let bind = if target.is_ipv4() {
        "0.0.0.0:0"
    } else {
        "[::]:0"
    };
    let socket = UdpSocket::bind(bind).await.map_err(|e| e.to_string())?;
    let id = NEXT_ID.fetch_add(0x9e37, Ordering::Relaxed);
    let mut message = notify_message(id, zone, soa, soa_ttl);
    if let Some(key) = key {
        message = crate::tsig::sign_request(key, &message)
            .ok_or_else(|| "could not sign the NOTIFY".to_string())?;
    }
    let mut wait = FIRST_WAIT;
    for _ in 0..ATTEMPTS {
        socket
            .send_to(&message, target)
            .await
            .map_err(|e| e.to_string())?;
        let mut buf = [0u8; 512];
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            match tokio::time::timeout_at(deadline, socket.recv_from(&mut buf)).await {
                Ok(Ok((n, from))) if from == target && n >= 12 => {
                    let acked = u16::from_be_bytes([buf[0], buf[1]]) == id && buf[2] & 0x80 != 0;
                    if acked {
                        tracing::debug!(%zone, serial, %target, "NOTIFY acknowledged");
                        return Ok(());
                    }
                }
                Ok(_) => {}
                Err(_) => break,
            }
        }
        wait *= 2;
    }
    Err(format!("no answer after {ATTEMPTS} attempts"))
}

/// NOTIFY: opcode 4, AA, the zone's SOA as question and as answer hint.
fn notify_message(id: u16, zone: &Name, soa: &[u8], soa_ttl: u32) -> Vec<u8> {
    let mut out = Vec::with_capacity(64 + soa.len());
    out.extend_from_slice(&id.to_be_bytes());
    out.extend_from_slice(&0x2400u16.to_be_bytes());
    out.extend_from_slice(&[0, 1, 0, 1, 0, 0, 0, 0]);
    zone.to_wire(&mut out);
    out.extend_from_slice(&[0, 6, 0, 1]);
    out.extend_from_slice(&[0xc0, 12, 0, 6, 0, 1]);
    out.extend_from_slice(&soa_ttl.to_be_bytes());
    out.extend_from_slice(&(soa.len() as u16).to_be_bytes());
    out.extend_from_slice(soa);
    out
}
