//! DNS over UDP for the tests that drive the real binary: a hand-built
//! query and just enough of the response (RCODE, answer count, the serial
//! of the SOA in the answer or authority section) to say what a node serves.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU16, Ordering};
use std::time::Duration;

use tokio::net::UdpSocket;

pub const A: u16 = 1;
pub const SOA: u16 = 6;
pub const NOERROR: u8 = 0;
pub const NXDOMAIN: u8 = 3;

/// A query that got no response is retried this often (a busy node on a
/// loaded machine may be slow; a lost or late datagram is not an answer).
const ATTEMPTS: usize = 4;
const TIMEOUT: Duration = Duration::from_millis(500);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Answer {
    pub rcode: u8,
    pub answers: u16,
    /// The serial of the first SOA in the answer or authority section: what
    /// the node believes the zone's serial is (an NXDOMAIN carries it too).
    pub serial: Option<u32>,
}

impl Answer {
    /// The name exists with data of the queried type.
    pub fn answered(&self) -> bool {
        self.rcode == NOERROR && self.answers > 0
    }
}

impl std::fmt::Display for Answer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let rcode = match self.rcode {
            0 => "NOERROR".to_string(),
            2 => "SERVFAIL".to_string(),
            3 => "NXDOMAIN".to_string(),
            5 => "REFUSED".to_string(),
            n => format!("RCODE{n}"),
        };
        match self.serial {
            Some(serial) => write!(f, "{rcode}, {} answers, SOA serial {serial}", self.answers),
            None => write!(f, "{rcode}, {} answers, no SOA", self.answers),
        }
    }
}

static NEXT_ID: AtomicU16 = AtomicU16::new(1);

/// Asks `server` for `name`/`qtype`; `None` when it never responded.
pub async fn query(server: SocketAddr, name: &str, qtype: u16) -> Option<Answer> {
    let socket = UdpSocket::bind("127.0.0.1:0").await.ok()?;
    for _ in 0..ATTEMPTS {
        let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
        let packet = build_query(id, name, qtype);
        socket.send_to(&packet, server).await.ok()?;
        let mut buf = [0u8; 4096];
        let deadline = tokio::time::Instant::now() + TIMEOUT;
        // A late response to an earlier attempt carries another id: skip it.
        while let Ok(Ok(n)) = tokio::time::timeout_at(deadline, socket.recv(&mut buf)).await {
            if let Some(answer) = parse(&buf[..n], id) {
                return Some(answer);
            }
        }
    }
    None
}

fn build_query(id: u16, name: &str, qtype: u16) -> Vec<u8> {
    let mut packet = Vec::with_capacity(64);
    packet.extend_from_slice(&id.to_be_bytes());
    // RD clear (an authoritative server), one question.
    packet.extend_from_slice(&[0, 0, 0, 1, 0, 0, 0, 0, 0, 0]);
    for label in name.trim_end_matches('.').split('.') {
        packet.push(label.len() as u8);
        packet.extend_from_slice(label.as_bytes());
    }
    packet.push(0);
    packet.extend_from_slice(&qtype.to_be_bytes());
    packet.extend_from_slice(&1u16.to_be_bytes());
    packet
}

/// The response to query `id`; `None` for anything else or a packet too
/// short to read.
fn parse(packet: &[u8], id: u16) -> Option<Answer> {
    let header = packet.get(..12)?;
    if u16::from_be_bytes([header[0], header[1]]) != id || header[2] & 0x80 == 0 {
        return None;
    }
    let rcode = header[3] & 0x0f;
    let count = |i: usize| u16::from_be_bytes([header[i], header[i + 1]]);
    let (questions, answers, authority) = (count(4), count(6), count(8));
    let mut at = 12;
    for _ in 0..questions {
        at = skip_name(packet, at)? + 4;
    }
    let mut serial = None;
    for _ in 0..answers + authority {
        at = skip_name(packet, at)?;
        let fixed = packet.get(at..at + 10)?;
        let rtype = u16::from_be_bytes([fixed[0], fixed[1]]);
        let rdlen = usize::from(u16::from_be_bytes([fixed[8], fixed[9]]));
        let rdata = at + 10;
        if rtype == SOA && serial.is_none() {
            let after_names = skip_name(packet, skip_name(packet, rdata)?)?;
            let s = packet.get(after_names..after_names + 4)?;
            serial = Some(u32::from_be_bytes([s[0], s[1], s[2], s[3]]));
        }
        at = rdata + rdlen;
    }
    Some(Answer {
        rcode,
        answers,
        serial,
    })
}

/// The offset just past the (possibly compressed) name at `at`.
fn skip_name(packet: &[u8], mut at: usize) -> Option<usize> {
    loop {
        let len = *packet.get(at)?;
        match len {
            0 => return Some(at + 1),
            l if l & 0xc0 == 0xc0 => return Some(at + 2),
            l => at += 1 + usize::from(l),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_serial_of_a_compressed_soa_in_the_authority_section() {
        let mut packet = build_query(7, "x.example.test", A);
        packet[2] = 0x84;
        packet[3] = NXDOMAIN;
        packet[9] = 1; // NSCOUNT
        // example.test at offset 14 (after "x"), compressed.
        packet.extend_from_slice(&[0xc0, 14, 0, 6, 0, 1, 0, 0, 0, 60, 0, 27]);
        packet.extend_from_slice(&[2, b'n', b's', 0xc0, 14, 0xc0, 14]);
        packet.extend_from_slice(&2026120301u32.to_be_bytes());
        packet.extend_from_slice(&[0; 16]);
        let answer = parse(&packet, 7).expect("parsed");
        assert_eq!(
            answer,
            Answer {
                rcode: NXDOMAIN,
                answers: 0,
                serial: Some(2026120301)
            }
        );
        assert!(parse(&packet, 8).is_none(), "another id");
    }
}
