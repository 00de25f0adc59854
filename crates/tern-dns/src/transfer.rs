//! Outgoing zone transfers over TCP (RFC 5936 AXFR; RFC 1995 IXFR answered
//! with the whole zone, which RFC 1995 §4 allows when no increments are
//! offered). Access per zone and server-wide by network and TSIG key
//! (`may_transfer`); refused by default.

use std::net::IpAddr;

use tern_core::serial::serial_gt;
use tern_core::{JournalEntry, Name, RecordType};

use crate::answer::AnswerConfig;
use crate::index::ZoneIndex;
use crate::snapshot::ZoneSnapshot;
use crate::tsig::Verified;
use crate::wire::{
    HEADER_LEN, Query, TYPE_AXFR, TYPE_IXFR, error_response, parse_query, rcode, skip_rr,
};

/// Messages are filled up to this size (RFC 5936 §2.2 leaves it open;
/// 16 KiB is what BIND and Knot use).
const MESSAGE_TARGET: usize = 16 * 1024;
const CLASS_IN: u16 = 1;

/// Whether a TCP message asks for a zone transfer.
pub fn is_transfer(message: &[u8]) -> bool {
    if message.len() < HEADER_LEN || message[2] & 0x80 != 0 {
        return false;
    }
    let id = u16::from_be_bytes([message[0], message[1]]);
    let flags = u16::from_be_bytes([message[2], message[3]]);
    parse_query(message, id, flags).is_ok_and(|q| matches!(q.qtype, TYPE_AXFR | TYPE_IXFR))
}

/// The response messages for a transfer request from `peer`; every one
/// TSIG-signed when the request was.
pub async fn transfer(
    index: &ZoneIndex,
    message: &[u8],
    peer: IpAddr,
    config: &AnswerConfig,
) -> Vec<Vec<u8>> {
    let id = u16::from_be_bytes([message[0], message[1]]);
    let flags = u16::from_be_bytes([message[2], message[3]]);
    let Ok(query) = parse_query(message, id, flags) else {
        return vec![error_response(id, flags, rcode::FORMERR)];
    };
    let Some(tsig_at) = query.tsig_at else {
        return transfer_messages(index, message, &query, peer, None, config).await;
    };
    let (mut sequence, request) = match index.tsig().verify(message, tsig_at) {
        Verified::Signed { sequence, request } => (sequence, request),
        Verified::Rejected(response) => {
            tracing::info!(%peer, zone = %query.qname, "zone transfer refused: TSIG check failed");
            return vec![response.unwrap_or_else(|| error_response(id, flags, rcode::FORMERR))];
        }
    };
    let Ok(query) = parse_query(&request, id, flags) else {
        return vec![error_response(id, flags, rcode::FORMERR)];
    };
    let key = sequence.wrapped_key().name().clone();
    let messages = transfer_messages(index, &request, &query, peer, Some(&key), config).await;
    let mut signed = Vec::with_capacity(messages.len());
    for message in &messages {
        match crate::tsig::sign(&mut sequence, message) {
            Some(message) => signed.push(message),
            None => return vec![error_response(id, flags, rcode::SERVFAIL)],
        }
    }
    signed
}

/// Whether `peer`, signed with `key` (if at all), may transfer `zone`: the
/// rule of `tern_core::transfer`, over the zone's and the server's lists.
fn may_transfer(
    zone: &ZoneSnapshot,
    peer: IpAddr,
    key: Option<&Name>,
    config: &AnswerConfig,
) -> bool {
    let mut networks = zone
        .transfer
        .allow
        .iter()
        .chain(&config.transfer_allow)
        .peekable();
    let mut keys = zone
        .transfer
        .keys
        .iter()
        .chain(&config.transfer_keys)
        .peekable();
    let network_ok = networks.peek().is_some() && networks.any(|net| net.contains(peer));
    if keys.peek().is_none() {
        return network_ok;
    }
    let key_ok = key.is_some_and(|key| keys.any(|k| k == key));
    let networks_set = !zone.transfer.allow.is_empty() || !config.transfer_allow.is_empty();
    key_ok && (network_ok || !networks_set)
}

async fn transfer_messages(
    index: &ZoneIndex,
    message: &[u8],
    query: &Query<'_>,
    peer: IpAddr,
    key: Option<&Name>,
    config: &AnswerConfig,
) -> Vec<Vec<u8>> {
    let refuse = |code: u8| vec![header_only(query, code)];
    // Transfers are of whole zones: the question must be a served apex.
    let Some(zone) = index.zone_at(&query.qname) else {
        return refuse(rcode::REFUSED);
    };
    if query.qclass != CLASS_IN || !may_transfer(&zone, peer, key, config) {
        tracing::info!(%peer, zone = %zone.name, key = ?key.map(Name::as_str), "zone transfer refused");
        return refuse(rcode::REFUSED);
    }
    if query.qtype == TYPE_IXFR
        && let Some(client_serial) = ixfr_serial(message, query)
    {
        if !serial_gt(zone.serial, client_serial) {
            // The client is current: one SOA says so (RFC 1995 §4).
            let mut builder = Builder::new(query);
            builder.soa(&zone);
            return builder.finish();
        }
        if let Some(chain) = journal_chain(index, &zone, client_serial).await {
            tracing::info!(%peer, zone = %zone.name, from = client_serial, to = zone.serial, "incremental transfer");
            return incremental(query, &zone, &chain);
        }
    }
    let zone = &*zone;
    let mut builder = Builder::new(query);
    builder.soa(zone);
    for (owner, set) in zone.all_rrsets() {
        for rdata in &set.rdatas {
            let mut owner_wire = Vec::with_capacity(owner.wire_len());
            owner.to_wire(&mut owner_wire);
            builder.record(&owner_wire, set.rtype.0, zone.ttl_of(set), rdata);
        }
    }
    builder.soa(zone);
    tracing::info!(%peer, zone = %zone.name, serial = zone.serial, "zone transferred");
    builder.finish()
}

/// Most journal entries an incremental transfer reads before falling back
/// to the whole zone.
const MAX_INCREMENTS: u32 = 1000;

/// The journal entries leading from `from` to the snapshot's serial, oldest
/// first; `None` when the journal no longer reaches back that far (or has a
/// gap), in which case the whole zone is sent.
async fn journal_chain(
    index: &ZoneIndex,
    zone: &ZoneSnapshot,
    from: u32,
) -> Option<Vec<JournalEntry>> {
    let entries = index
        .store()
        .zone_journal(zone.zone_id, 0, MAX_INCREMENTS)
        .await
        .map_err(|e| tracing::warn!(zone = %zone.name, error = %e, "reading the journal for IXFR"))
        .ok()?;
    let mut chain = Vec::new();
    let mut expected = zone.serial;
    // Entries newer than the snapshot (a commit being applied) are skipped.
    for entry in entries
        .into_iter()
        .skip_while(|e| e.serial_after != zone.serial)
    {
        if entry.serial_after != expected || entry.serial_before == 0 {
            return None;
        }
        expected = entry.serial_before;
        let reached = entry.serial_before == from;
        chain.push(entry);
        if reached {
            chain.reverse();
            return Some(chain);
        }
    }
    None
}

/// RFC 1995 §4: the current SOA, then per change the old SOA with the
/// records removed and the new SOA with the records added, then the current
/// SOA again.
fn incremental(query: &Query<'_>, zone: &ZoneSnapshot, chain: &[JournalEntry]) -> Vec<Vec<u8>> {
    let mut builder = Builder::new(query);
    let mut apex = Vec::with_capacity(zone.name.wire_len());
    zone.name.to_wire(&mut apex);
    let soa_at = |serial: u32| {
        let mut rdata = zone.soa_rdata.clone();
        let at = rdata.len() - 20;
        rdata[at..at + 4].copy_from_slice(&serial.to_be_bytes());
        rdata
    };
    builder.soa(zone);
    for entry in chain {
        let default_ttl = entry
            .zone_after
            .as_ref()
            .map_or(zone.default_ttl, |z| z.default_ttl);
        for (serial, records) in [
            (entry.serial_before, &entry.removed),
            (entry.serial_after, &entry.added),
        ] {
            builder.record(&apex, RecordType::SOA.0, zone.soa_ttl, &soa_at(serial));
            for record in records.iter() {
                let mut owner = Vec::with_capacity(record.name.wire_len());
                record.name.to_wire(&mut owner);
                builder.record(
                    &owner,
                    record.rtype.0,
                    record.effective_ttl(default_ttl),
                    &record.rdata.wire(),
                );
            }
        }
    }
    builder.soa(zone);
    builder.finish()
}

/// The SOA serial an IXFR request carries in its authority section.
fn ixfr_serial(message: &[u8], query: &Query<'_>) -> Option<u32> {
    let nscount = u16::from_be_bytes([message[8], message[9]]);
    if nscount == 0 {
        return None;
    }
    let (rtype, end) = skip_rr(message, query.authority_at).ok()?;
    if rtype != RecordType::SOA.0 || end < 20 {
        return None;
    }
    // The serial is the first of the five 32-bit fields at the end of the SOA.
    let serial = message.get(end - 20..end - 16)?;
    Some(u32::from_be_bytes([
        serial[0], serial[1], serial[2], serial[3],
    ]))
}

fn header_only(query: &Query<'_>, code: u8) -> Vec<u8> {
    let mut builder = Builder::new(query);
    builder.rcode = code;
    builder.finish().into_iter().next().unwrap_or_default()
}

/// Packs records into a sequence of messages; the question goes in the first.
struct Builder<'q> {
    id: u16,
    flags: u16,
    question: &'q [u8],
    rcode: u8,
    messages: Vec<Vec<u8>>,
    current: Vec<u8>,
    count: u16,
}

impl<'q> Builder<'q> {
    fn new(query: &'q Query<'q>) -> Builder<'q> {
        let mut builder = Builder {
            id: query.id,
            flags: query.flags,
            question: query.question,
            rcode: 0,
            messages: Vec::new(),
            current: Vec::new(),
            count: 0,
        };
        builder.start(true);
        builder
    }

    fn start(&mut self, with_question: bool) {
        self.current = Vec::with_capacity(MESSAGE_TARGET + 512);
        self.current.extend_from_slice(&self.id.to_be_bytes());
        self.current.extend_from_slice(&[0, 0]); // flags, written at the end
        self.current
            .extend_from_slice(&u16::from(with_question).to_be_bytes());
        self.current.extend_from_slice(&[0, 0, 0, 0, 0, 0]);
        if with_question {
            self.current.extend_from_slice(self.question);
        }
        self.count = 0;
    }

    fn soa(&mut self, zone: &ZoneSnapshot) {
        let mut owner = Vec::with_capacity(zone.name.wire_len());
        zone.name.to_wire(&mut owner);
        self.record(&owner, RecordType::SOA.0, zone.soa_ttl, &zone.soa_rdata);
    }

    fn record(&mut self, owner: &[u8], rtype: u16, ttl: u32, rdata: &[u8]) {
        if self.current.len() + owner.len() + 10 + rdata.len() > MESSAGE_TARGET && self.count > 0 {
            self.seal();
            self.start(false);
        }
        self.current.extend_from_slice(owner);
        self.current.extend_from_slice(&rtype.to_be_bytes());
        self.current.extend_from_slice(&CLASS_IN.to_be_bytes());
        self.current.extend_from_slice(&ttl.to_be_bytes());
        self.current
            .extend_from_slice(&(rdata.len() as u16).to_be_bytes());
        self.current.extend_from_slice(rdata);
        self.count += 1;
    }

    fn seal(&mut self) {
        // QR, AA, opcode and RD as asked.
        let flags: u16 =
            0x8400 | (self.flags & 0x7800) | (self.flags & 0x0100) | u16::from(self.rcode);
        self.current[2..4].copy_from_slice(&flags.to_be_bytes());
        self.current[6..8].copy_from_slice(&self.count.to_be_bytes());
        self.messages.push(std::mem::take(&mut self.current));
    }

    fn finish(mut self) -> Vec<Vec<u8>> {
        self.seal();
        self.messages
    }
}
