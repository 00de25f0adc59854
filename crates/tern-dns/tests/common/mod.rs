//! A small DNS client for the tests: builds queries, sends them over UDP and
//! decodes responses (with compression pointers) into comparable records.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::time::Duration;

use tern_core::{Rdata, RecordType};
use tokio::net::UdpSocket;

pub fn query(name: &str, qtype: u16, edns: Option<(u16, u8)>) -> Vec<u8> {
    let mut q = vec![
        0x12,
        0x34,
        0x00,
        0x00,
        0,
        1,
        0,
        0,
        0,
        0,
        0,
        u8::from(edns.is_some()),
    ];
    for label in name.trim_end_matches('.').split('.') {
        q.push(label.len() as u8);
        q.extend_from_slice(label.as_bytes());
    }
    q.push(0);
    q.extend_from_slice(&qtype.to_be_bytes());
    q.extend_from_slice(&1u16.to_be_bytes());
    if let Some((size, version)) = edns {
        q.push(0);
        q.extend_from_slice(&41u16.to_be_bytes());
        q.extend_from_slice(&size.to_be_bytes());
        q.extend_from_slice(&[0, version, 0, 0, 0, 0]);
    }
    q
}

#[derive(Debug)]
pub struct Reply {
    pub rcode: u8,
    pub aa: bool,
    pub tc: bool,
    pub answer: Vec<(String, u16, String)>,
    pub authority: Vec<(String, u16, String)>,
    pub additional: Vec<(String, u16, String)>,
    pub question_bytes: Vec<u8>,
    pub opt_rcode_high: Option<u8>,
    /// TTLs of the answer, authority and additional records, in order.
    pub ttls: [Vec<u32>; 3],
}

fn read_name(msg: &[u8], mut pos: usize) -> (String, usize) {
    let mut out = String::new();
    let mut end = None;
    let mut jumps = 0;
    loop {
        let len = msg[pos] as usize;
        if len == 0 {
            pos += 1;
            break;
        }
        if len & 0xc0 == 0xc0 {
            end.get_or_insert(pos + 2);
            pos = ((len & 0x3f) << 8) | msg[pos + 1] as usize;
            jumps += 1;
            assert!(jumps < 20, "pointer loop");
            continue;
        }
        out.push_str(&String::from_utf8_lossy(&msg[pos + 1..pos + 1 + len]));
        out.push('.');
        pos += 1 + len;
    }
    if out.is_empty() {
        out.push('.');
    }
    (out, end.unwrap_or(pos))
}

/// RDATA with compression pointers expanded (peers compress the names of
/// the RFC 1035 types), so it can be decoded on its own.
fn uncompressed_rdata(msg: &[u8], start: usize, rtype: u16, raw: &[u8]) -> Vec<u8> {
    let name_at = |pos: usize, out: &mut Vec<u8>| -> usize {
        let (name, next) = read_name(msg, pos);
        if name != "." {
            for label in name.trim_end_matches('.').split('.') {
                out.push(label.len() as u8);
                out.extend_from_slice(label.as_bytes());
            }
        }
        out.push(0);
        next
    };
    let mut out = Vec::new();
    match rtype {
        2 | 5 | 12 | 39 => {
            name_at(start, &mut out);
        }
        15 => {
            out.extend_from_slice(&raw[..2]);
            name_at(start + 2, &mut out);
        }
        6 => {
            let next = name_at(start, &mut out);
            let next = name_at(next, &mut out);
            out.extend_from_slice(&msg[next..next + 20]);
        }
        17 => {
            let next = name_at(start, &mut out);
            name_at(next, &mut out);
        }
        _ => out.extend_from_slice(raw),
    }
    out
}

pub fn parse(msg: &[u8]) -> Reply {
    let count = |i: usize| u16::from_be_bytes([msg[i], msg[i + 1]]) as usize;
    // Messages after the first of a zone transfer carry no question.
    let mut pos = 12;
    if count(4) > 0 {
        pos = read_name(msg, 12).1 + 4;
    }
    let question_bytes = msg[12..pos].to_vec();
    let mut sections = vec![Vec::new(), Vec::new(), Vec::new()];
    let mut opt_rcode_high = None;
    let mut ttls: [Vec<u32>; 3] = [Vec::new(), Vec::new(), Vec::new()];
    for (section, n) in [count(6), count(8), count(10)].into_iter().enumerate() {
        for _ in 0..n {
            let (owner, p) = read_name(msg, pos);
            let rtype = u16::from_be_bytes([msg[p], msg[p + 1]]);
            let rdlen = u16::from_be_bytes([msg[p + 8], msg[p + 9]]) as usize;
            let rdata = &msg[p + 10..p + 10 + rdlen];
            if rtype == 41 {
                opt_rcode_high = Some(msg[p + 4]);
            } else {
                ttls[section].push(u32::from_be_bytes([
                    msg[p + 4],
                    msg[p + 5],
                    msg[p + 6],
                    msg[p + 7],
                ]));
                let rdata = uncompressed_rdata(msg, p + 10, rtype, rdata);
                let shown = Rdata::from_wire(RecordType(rtype), &rdata)
                    .map(|r| r.to_string())
                    .unwrap_or_else(|e| format!("undecodable: {e}"));
                sections[section].push((owner.to_ascii_lowercase(), rtype, shown));
            }
            pos = p + 10 + rdlen;
        }
    }
    let additional = sections.pop().unwrap_or_default();
    let authority = sections.pop().unwrap_or_default();
    let answer = sections.pop().unwrap_or_default();
    Reply {
        rcode: msg[3] & 0x0f,
        aa: msg[2] & 0x04 != 0,
        tc: msg[2] & 0x02 != 0,
        answer,
        authority,
        additional,
        question_bytes,
        opt_rcode_high,
        ttls,
    }
}

pub async fn udp(addr: SocketAddr, msg: &[u8]) -> Option<Vec<u8>> {
    let socket = UdpSocket::bind("127.0.0.1:0").await.expect("bind");
    socket.send_to(msg, addr).await.expect("send");
    let mut buf = vec![0u8; 65535];
    match tokio::time::timeout(Duration::from_secs(2), socket.recv(&mut buf)).await {
        Ok(Ok(n)) => Some(buf[..n].to_vec()),
        _ => None,
    }
}
