//! A zone transfer client for the tests: one AXFR or IXFR over TCP, read
//! to its closing SOA, as comparable records with their TTLs. Used against
//! Tern and against peers (Knot as a secondary), so both sides of a
//! comparison are decoded by the same code.

use std::net::SocketAddr;

use tern_core::RecordType;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// One record as a secondary holds it: owner, type, RDATA (presentation).
pub type Key = (String, u16, String);

async fn read_message(stream: &mut TcpStream) -> Vec<u8> {
    let mut len = [0u8; 2];
    stream.read_exact(&mut len).await.expect("length");
    let mut message = vec![0u8; usize::from(u16::from_be_bytes(len))];
    stream.read_exact(&mut message).await.expect("message");
    message
}

/// Every answer record of a transfer (AXFR or IXFR), with its TTL, read
/// until the closing SOA (or a lone SOA: the client is current).
pub async fn transfer(addr: SocketAddr, request: Vec<u8>) -> Vec<(Key, u32)> {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    let len = u16::try_from(request.len()).expect("request length");
    stream.write_all(&len.to_be_bytes()).await.expect("write");
    stream.write_all(&request).await.expect("write");
    let mut records: Vec<(Key, u32)> = Vec::new();
    let mut soas = 0;
    loop {
        let reply = super::parse(&read_message(&mut stream).await);
        assert_eq!(reply.rcode, 0, "transfer refused or failed: {reply:?}");
        for (rr, ttl) in reply.answer.into_iter().zip(reply.ttls[0].iter().copied()) {
            if rr.1 == RecordType::SOA.0 {
                soas += 1;
            }
            records.push((rr, ttl));
        }
        let first_serial = records.first().map(|r| soa_serial(&r.0.2));
        let last = records.last().map(|r| (r.0.1, soa_serial(&r.0.2)));
        // Done: a closing SOA with the opening serial (AXFR or IXFR), or a
        // single SOA with nothing after it (the client is current).
        if records.len() > 1 && last.is_some_and(|(t, s)| t == 6 && Some(s) == first_serial) {
            return records;
        }
        if soas == 1 && records.len() == 1 {
            return records;
        }
    }
}

/// The serial of SOA RDATA in presentation form.
pub fn soa_serial(rdata: &str) -> u32 {
    rdata
        .split_whitespace()
        .nth(2)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

pub fn axfr_request(zone: &str) -> Vec<u8> {
    super::query(zone, 252, None)
}

/// The zone as a secondary holds it, with each record's TTL (SOA apart).
pub type Held = std::collections::BTreeMap<Key, u32>;

/// The SOA, with its TTL, that the zone's AXFR showed at each serial the
/// test saw.
pub type SoaHistory = std::collections::BTreeMap<u32, (Key, u32)>;

/// An AXFR as the zone a secondary holds: the records, and the SOA apart.
pub fn as_zone(records: &[(Key, u32)]) -> (Held, (Key, u32)) {
    let soa = records.first().cloned().expect("an SOA first");
    let body = &records[1..records.len() - 1];
    (body.iter().cloned().collect(), soa)
}

/// Applies an incremental IXFR to `zone` as RFC 1995 describes; the IXFR
/// must be incremental (not the whole zone), delete only what is there,
/// with the TTL it was served with, and open each difference sequence with
/// the SOA the zone had at that serial (RFC 1995 §4: "the older SOA", then
/// the newer one), where `history` knows it. Returns the IXFR's first SOA.
pub fn apply_ixfr(
    zone: &mut Held,
    records: &[(Key, u32)],
    history: &SoaHistory,
) -> Result<(Key, u32), String> {
    let soa = records.first().cloned().ok_or("empty IXFR")?;
    if records.len() == 1 {
        return Ok(soa);
    }
    if records.get(1).is_some_and(|r| r.0.1 != 6) {
        return Err(format!("IXFR came back as the whole zone: {records:?}"));
    }
    let mut deleting = false;
    for (key, ttl) in &records[1..records.len() - 1] {
        if key.1 == 6 {
            deleting = !deleting;
            let serial = soa_serial(&key.2);
            if let Some(was) = history.get(&serial)
                && *was != (key.clone(), *ttl)
            {
                return Err(format!(
                    "IXFR gives serial {serial} the SOA {key:?} TTL {ttl}; the zone's SOA at \
                     that serial was {was:?}"
                ));
            }
            continue;
        }
        if deleting {
            match zone.remove(key) {
                Some(held) if held == *ttl => {}
                Some(held) => {
                    return Err(format!(
                        "IXFR deletes {key:?} with TTL {ttl}, the secondary holds it with {held}"
                    ));
                }
                None => return Err(format!("IXFR deletes {key:?}, which the secondary lacks")),
            }
        } else {
            zone.insert(key.clone(), *ttl);
        }
    }
    Ok(soa)
}
