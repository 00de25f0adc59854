//! Asking the parent side which DS it serves for a zone
//! (`--dnssec-parent-resolver`): one DS query to the given server (a
//! recursive resolver, or the parent's own authoritative server; RD is set
//! and either answers), over UDP with EDNS, again over TCP when the answer
//! is truncated. The key manager completes a KSK/CSK rollover, or unsigns a
//! zone, only on what this sees.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU16, Ordering};
use std::time::Duration;

use tern_core::{Name, ParentDs, ParentDsLookup};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpStream, UdpSocket};

use crate::wire::{HEADER_LEN, TYPE_OPT, rcode};

const TYPE_DS: u16 = 43;
const TIMEOUT: Duration = Duration::from_secs(3);

static NEXT_ID: AtomicU16 = AtomicU16::new(0x7d53);

pub struct ParentResolver {
    pub server: SocketAddr,
}

#[async_trait::async_trait]
impl ParentDsLookup for ParentResolver {
    async fn lookup(&self, zone: &Name) -> Result<ParentDs, String> {
        let id = NEXT_ID.fetch_add(0x9e37, Ordering::Relaxed);
        let query = ds_query(zone, id);
        let answer = tokio::time::timeout(TIMEOUT, udp_exchange(self.server, &query, id))
            .await
            .map_err(|_| format!("no answer from {} within {TIMEOUT:?}", self.server))??;
        let answer = if answer.get(2).is_some_and(|flags| flags & 0x02 != 0) {
            tokio::time::timeout(TIMEOUT, tcp_exchange(self.server, &query))
                .await
                .map_err(|_| format!("no TCP answer from {} within {TIMEOUT:?}", self.server))??
        } else {
            answer
        };
        parse_ds_answer(&answer, id)
    }
}

fn ds_query(zone: &Name, id: u16) -> Vec<u8> {
    let mut out = Vec::with_capacity(64);
    out.extend_from_slice(&id.to_be_bytes());
    // A standard query with RD; one question, one additional (OPT).
    out.extend_from_slice(&[0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 1]);
    zone.to_wire(&mut out);
    out.extend_from_slice(&TYPE_DS.to_be_bytes());
    out.extend_from_slice(&[0, 1]);
    // OPT: root owner, 1232-octet payload, no flags, no options.
    out.push(0);
    out.extend_from_slice(&TYPE_OPT.to_be_bytes());
    out.extend_from_slice(&1232u16.to_be_bytes());
    out.extend_from_slice(&[0, 0, 0, 0, 0, 0]);
    out
}

async fn udp_exchange(server: SocketAddr, query: &[u8], id: u16) -> Result<Vec<u8>, String> {
    let bind = if server.is_ipv4() {
        "0.0.0.0:0"
    } else {
        "[::]:0"
    };
    let socket = UdpSocket::bind(bind).await.map_err(|e| e.to_string())?;
    socket
        .send_to(query, server)
        .await
        .map_err(|e| format!("sending to {server}: {e}"))?;
    let mut buf = vec![0u8; 65_535];
    loop {
        let (n, from) = socket
            .recv_from(&mut buf)
            .await
            .map_err(|e| format!("reading from {server}: {e}"))?;
        if from == server && n >= HEADER_LEN && buf[..2] == id.to_be_bytes() {
            buf.truncate(n);
            return Ok(buf);
        }
    }
}

async fn tcp_exchange(server: SocketAddr, query: &[u8]) -> Result<Vec<u8>, String> {
    let mut stream = TcpStream::connect(server)
        .await
        .map_err(|e| format!("connecting to {server}: {e}"))?;
    let len = u16::try_from(query.len()).map_err(|_| "query too long".to_string())?;
    let mut framed = len.to_be_bytes().to_vec();
    framed.extend_from_slice(query);
    stream
        .write_all(&framed)
        .await
        .map_err(|e| format!("writing to {server}: {e}"))?;
    let mut len = [0u8; 2];
    stream
        .read_exact(&mut len)
        .await
        .map_err(|e| format!("reading from {server}: {e}"))?;
    let mut buf = vec![0u8; usize::from(u16::from_be_bytes(len))];
    stream
        .read_exact(&mut buf)
        .await
        .map_err(|e| format!("reading from {server}: {e}"))?;
    Ok(buf)
}

/// The DS records of the answer section; none for NXDOMAIN or NODATA.
fn parse_ds_answer(message: &[u8], id: u16) -> Result<ParentDs, String> {
    let malformed = || "malformed answer".to_string();
    if message.len() < HEADER_LEN || message[..2] != id.to_be_bytes() {
        return Err(malformed());
    }
    let code = message[3] & 0x0f;
    if code != rcode::NOERROR && code != rcode::NXDOMAIN {
        return Err(format!("the answer's RCODE is {code}"));
    }
    let count = |at: usize| usize::from(u16::from_be_bytes([message[at], message[at + 1]]));
    let (questions, answers) = (count(4), count(6));
    let mut pos = HEADER_LEN;
    for _ in 0..questions {
        pos = skip_name(message, pos).ok_or_else(malformed)? + 4;
    }
    let mut ds = ParentDs {
        rdatas: Vec::new(),
        ttl: None,
    };
    for _ in 0..answers {
        pos = skip_name(message, pos).ok_or_else(malformed)?;
        let fixed = message.get(pos..pos + 10).ok_or_else(malformed)?;
        let rtype = u16::from_be_bytes([fixed[0], fixed[1]]);
        let ttl = u32::from_be_bytes([fixed[4], fixed[5], fixed[6], fixed[7]]);
        let len = usize::from(u16::from_be_bytes([fixed[8], fixed[9]]));
        let rdata = message
            .get(pos + 10..pos + 10 + len)
            .ok_or_else(malformed)?;
        if rtype == TYPE_DS {
            ds.rdatas.push(rdata.to_vec());
            ds.ttl = Some(ds.ttl.map_or(ttl, |t: u32| t.max(ttl)));
        }
        pos += 10 + len;
    }
    Ok(ds)
}

fn skip_name(message: &[u8], mut pos: usize) -> Option<usize> {
    loop {
        let len = *message.get(pos)?;
        if len == 0 {
            return Some(pos + 1);
        }
        if len & 0xc0 == 0xc0 {
            return Some(pos + 2);
        }
        if len > 63 {
            return None;
        }
        pos += 1 + usize::from(len);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_ds_records_and_refuses_errors() {
        let zone = Name::parse_absolute("child.test").expect("name");
        let mut answer = ds_query(&zone, 7);
        answer.truncate(answer.len() - 11);
        answer[2] = 0x81;
        answer[3] = 0x80;
        answer[6..12].copy_from_slice(&[0, 1, 0, 0, 0, 0]);
        answer.extend_from_slice(&[0xc0, 12, 0, 43, 0, 1, 0, 0, 0x0e, 0x10, 0, 5]);
        answer.extend_from_slice(&[1, 2, 13, 2, 9]);
        let ds = parse_ds_answer(&answer, 7).expect("parsed");
        assert_eq!(ds.rdatas, vec![vec![1, 2, 13, 2, 9]]);
        assert_eq!(ds.ttl, Some(3600));
        assert!(parse_ds_answer(&answer, 8).is_err(), "another id");
        answer[3] = 0x82;
        assert!(parse_ds_answer(&answer, 7).unwrap_err().contains("RCODE"));
        assert!(parse_ds_answer(&answer[..20], 7).is_err());
    }
}
