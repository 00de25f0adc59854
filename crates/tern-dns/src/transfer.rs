//! Outgoing zone transfers over TCP (RFC 5936 AXFR; RFC 1995 IXFR from the
//! journal, or the whole zone when it has no increments to offer). Each
//! message is built, signed (when the request was) and written before the
//! next is built, so a transfer holds one message, not the zone, whatever the
//! zone's size; a peer that stops reading is cut off by the write timeout.
//! Access per zone and server-wide by network and TSIG key
//! (`transfer_access`); refused by default.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use domain::tsig::ServerSequence;
use tern_core::serial::serial_gt;
use tern_core::{JournalEntry, Name, RecordType, Zone};
use tokio::io::AsyncWrite;

use crate::answer::AnswerConfig;
use crate::index::ZoneIndex;
use crate::snapshot::ZoneSnapshot;
use crate::tsig::{SigningKey, Verified};
use crate::wire::{
    HEADER_LEN, Query, TYPE_AXFR, TYPE_IXFR, error_response, parse_query, rcode, skip_rr,
};
use crate::xfr_message::{Builder, Unframeable};

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

/// Answers a transfer request from `peer` on `stream`, every message
/// TSIG-signed when the request was. An error is the connection's (the peer
/// went away or stopped reading): the caller closes it.
pub(crate) async fn transfer<W: AsyncWrite + Unpin>(
    index: &ZoneIndex,
    message: &[u8],
    peer: IpAddr,
    config: &AnswerConfig,
    stream: &mut W,
    io_timeout: Duration,
) -> std::io::Result<()> {
    let id = u16::from_be_bytes([message[0], message[1]]);
    let flags = u16::from_be_bytes([message[2], message[3]]);
    let mut out = Out {
        stream,
        timeout: io_timeout,
        sequence: None,
    };
    let Ok(query) = parse_query(message, id, flags) else {
        return out.send_io(error_response(id, flags, rcode::FORMERR)).await;
    };
    let Some(tsig_at) = query.tsig_at else {
        return finish(
            &query,
            serve(index, message, &query, peer, None, config, &mut out).await,
            &mut out,
        )
        .await;
    };
    let (sequence, request) = match index.tsig().verify(message, tsig_at) {
        Verified::Signed { sequence, request } => (sequence, request),
        Verified::Rejected(response) => {
            tracing::info!(%peer, zone = %query.qname, "zone transfer refused: TSIG check failed");
            let response = response.unwrap_or_else(|| error_response(id, flags, rcode::FORMERR));
            return out.send_io(response).await;
        }
    };
    let Ok(query) = parse_query(&request, id, flags) else {
        return out.send_io(error_response(id, flags, rcode::FORMERR)).await;
    };
    let key = sequence.wrapped_key().name().clone();
    out.sequence = Some(sequence);
    let served = serve(index, &request, &query, peer, Some(&key), config, &mut out).await;
    finish(&query, served, &mut out).await
}

/// Why a transfer stopped before its last message.
enum Stop {
    /// Writing failed or timed out: the connection is done.
    Io(std::io::Error),
    /// A stored record cannot be put in any message (data from before the
    /// zone rules refused such records).
    Unframeable(Name, Unframeable),
    /// A message could not be signed (logged by `tsig`).
    Sign,
}

async fn finish<W: AsyncWrite + Unpin>(
    query: &Query<'_>,
    served: Result<(), Stop>,
    out: &mut Out<'_, W>,
) -> std::io::Result<()> {
    let failed = match served {
        Ok(()) => return Ok(()),
        Err(Stop::Io(e)) => return Err(e),
        Err(Stop::Unframeable(owner, record)) => {
            tracing::error!(
                zone = %query.qname,
                %owner,
                rtype = %crate::xfr_message::type_name(record.rtype),
                rdata_octets = record.len,
                "zone transfer stopped: this record cannot be sent in a DNS message; \
                 the zone rules refuse such records now, change or delete it"
            );
            error_response(query.id, query.flags, rcode::SERVFAIL)
        }
        Err(Stop::Sign) => error_response(query.id, query.flags, rcode::SERVFAIL),
    };
    // The SERVFAIL is best effort: a secondary aborts on it (RFC 5936 §2.2).
    out.sequence = None;
    out.send_io(failed).await
}

/// Where a transfer's messages go.
struct Out<'s, W> {
    stream: &'s mut W,
    timeout: Duration,
    sequence: Option<Box<ServerSequence<SigningKey>>>,
}

impl<W: AsyncWrite + Unpin> Out<'_, W> {
    /// Octets each message must leave free for its TSIG record.
    fn reserve(&self) -> usize {
        self.sequence
            .as_ref()
            .map_or(0, |s| usize::from(s.key().compose_len()))
    }

    async fn send(&mut self, message: Vec<u8>) -> Result<(), Stop> {
        let message = match &mut self.sequence {
            Some(sequence) => crate::tsig::sign(sequence, &message).ok_or(Stop::Sign)?,
            None => message,
        };
        crate::tcp_io::write_framed(self.stream, &message, self.timeout)
            .await
            .map_err(Stop::Io)
    }

    async fn send_io(&mut self, message: Vec<u8>) -> std::io::Result<()> {
        match self.send(message).await {
            Err(Stop::Io(e)) => Err(e),
            _ => Ok(()),
        }
    }
}

/// Adds a record, sending the message it closed, if any.
async fn put<W: AsyncWrite + Unpin>(
    builder: &mut Builder<'_>,
    out: &mut Out<'_, W>,
    owner: &[u8],
    rtype: u16,
    ttl: u32,
    rdata: &[u8],
) -> Result<(), Placed> {
    match builder.record(owner, rtype, ttl, rdata) {
        Ok(Some(closed)) => out.send(closed).await.map_err(Placed::Stop),
        Ok(None) => Ok(()),
        Err(record) => Err(Placed::Unframeable(record)),
    }
}

/// `put`'s error, before the caller names the record's owner.
enum Placed {
    Stop(Stop),
    Unframeable(Unframeable),
}

impl Placed {
    fn at(self, owner: &Name) -> Stop {
        match self {
            Placed::Stop(stop) => stop,
            Placed::Unframeable(record) => Stop::Unframeable(owner.clone(), record),
        }
    }
}

async fn serve<W: AsyncWrite + Unpin>(
    index: &ZoneIndex,
    message: &[u8],
    query: &Query<'_>,
    peer: IpAddr,
    key: Option<&Name>,
    config: &AnswerConfig,
    out: &mut Out<'_, W>,
) -> Result<(), Stop> {
    // Transfers are of whole zones: the question must be a served apex.
    let Some(zone) = index.zone_at(&query.qname) else {
        tracing::info!(%peer, zone = %query.qname, "zone transfer refused: no zone of that name is served");
        return out.send(header_only(query, rcode::REFUSED)).await;
    };
    if query.qclass != CLASS_IN {
        return out.send(header_only(query, rcode::REFUSED)).await;
    }
    if let Err(denial) = crate::transfer_access::may_transfer(&zone, peer, key, config) {
        tracing::info!(
            %peer,
            zone = %zone.name,
            key = ?key.map(Name::as_str),
            reason = denial.reason(),
            hint = denial.hint(),
            "zone transfer refused"
        );
        return out.send(header_only(query, rcode::REFUSED)).await;
    }
    if query.qtype == TYPE_IXFR
        && let Some(client_serial) = ixfr_serial(message, query)
    {
        if !serial_gt(zone.serial, client_serial) {
            // The client is current: one SOA says so (RFC 1995 §4).
            let mut builder = Builder::new(query, out.reserve());
            soa(&mut builder, out, &zone, zone.serial).await?;
            return out.send(builder.finish()).await;
        }
        if let Some((chain, from)) = journal_chain(index, &zone, client_serial).await {
            tracing::info!(%peer, zone = %zone.name, from = client_serial, to = zone.serial, "incremental transfer");
            return incremental(query, &zone, &chain, from, out).await;
        }
    }
    axfr(query, zone, out).await?;
    tracing::info!(%peer, zone = %query.qname, "zone transferred");
    Ok(())
}

/// The whole zone: the SOA, every RRset of the snapshot, the SOA again.
async fn axfr<W: AsyncWrite + Unpin>(
    query: &Query<'_>,
    zone: Arc<ZoneSnapshot>,
    out: &mut Out<'_, W>,
) -> Result<(), Stop> {
    let mut builder = Builder::new(query, out.reserve());
    soa(&mut builder, out, &zone, zone.serial).await?;
    let mut owner_wire = Vec::with_capacity(255);
    for set in zone.all_rrsets() {
        owner_wire.clear();
        set.owner.to_wire(&mut owner_wire);
        let ttl = set.ttl.unwrap_or(zone.default_ttl);
        for rdata in set.rdatas {
            put(&mut builder, out, &owner_wire, set.rtype.0, ttl, rdata)
                .await
                .map_err(|e| e.at(set.owner))?;
        }
    }
    soa(&mut builder, out, &zone, zone.serial).await?;
    out.send(builder.finish()).await
}

/// Most journal entries an incremental transfer reads before falling back
/// to the whole zone.
const MAX_INCREMENTS: u32 = 1000;

/// What an IXFR needs of the zone at one version: its SOA (the serial is
/// set per use) and the default TTL its inheriting records had.
#[derive(Clone)]
struct Version {
    soa_ttl: u32,
    soa_rdata: Vec<u8>,
    default_ttl: u32,
}

impl Version {
    fn of(zone: &Zone) -> Version {
        let mut soa_rdata = Vec::new();
        zone.soa_rdata().to_wire(&mut soa_rdata);
        Version {
            soa_ttl: zone.soa.ttl,
            soa_rdata,
            default_ttl: zone.default_ttl,
        }
    }
}

/// The journal entries leading from `from` to the snapshot's serial, oldest
/// first, with the zone as it was at `from` (from the entry that made
/// `from`); `None` when the journal no longer reaches back that far (or
/// has a gap), in which case the whole zone is sent.
async fn journal_chain(
    index: &ZoneIndex,
    zone: &ZoneSnapshot,
    from: u32,
) -> Option<(Vec<JournalEntry>, Version)> {
    let entries = index
        .store()
        .zone_journal(zone.zone_id, 0, MAX_INCREMENTS)
        .await
        .map_err(|e| tracing::warn!(zone = %zone.name, error = %e, "reading the journal for IXFR"))
        .ok()?;
    let mut chain = Vec::new();
    let mut expected = zone.serial;
    // Entries newer than the snapshot (a commit being applied) are skipped.
    let mut older = entries
        .into_iter()
        .skip_while(|e| e.serial_after != zone.serial);
    while let Some(entry) = older.next() {
        if entry.serial_after != expected || entry.serial_before == 0 {
            return None;
        }
        expected = entry.serial_before;
        let reached = entry.serial_before == from;
        chain.push(entry);
        if reached {
            chain.reverse();
            // Without the zone at `from` the removed records' TTLs and the
            // old SOA would be guesses: then the whole zone is sent instead.
            let at_from = older
                .next()
                .filter(|e| e.serial_after == from)
                .and_then(|e| e.zone_after.as_ref().map(Version::of))?;
            return Some((chain, at_from));
        }
    }
    None
}

/// RFC 1995 §4: the current SOA, then per change the old SOA with the
/// records removed and the new SOA with the records added, then the current
/// SOA again. Each SOA is the zone's at that serial, and each record goes
/// out with the TTL it had there: removed ones with the default TTL in
/// force before their entry, added ones with the default after it.
async fn incremental<W: AsyncWrite + Unpin>(
    query: &Query<'_>,
    zone: &ZoneSnapshot,
    chain: &[JournalEntry],
    from: Version,
    out: &mut Out<'_, W>,
) -> Result<(), Stop> {
    let mut builder = Builder::new(query, out.reserve());
    soa(&mut builder, out, zone, zone.serial).await?;
    let mut apex = Vec::with_capacity(zone.name.wire_len());
    zone.name.to_wire(&mut apex);
    let mut owner = Vec::with_capacity(255);
    let mut rdata = Vec::new();
    let mut before = from;
    for entry in chain {
        // An entry without zone metadata left it as it was.
        let after = entry
            .zone_after
            .as_ref()
            .map_or_else(|| before.clone(), Version::of);
        for (serial, records, version) in [
            (entry.serial_before, &entry.removed, &before),
            (entry.serial_after, &entry.added, &after),
        ] {
            soa_record(
                &mut builder,
                out,
                &apex,
                version.soa_ttl,
                &version.soa_rdata,
                serial,
            )
            .await
            .map_err(|e| e.at(&zone.name))?;
            for record in records.iter() {
                owner.clear();
                record.name.to_wire(&mut owner);
                rdata.clear();
                record.rdata.to_wire(&mut rdata);
                let ttl = record.effective_ttl(version.default_ttl);
                put(&mut builder, out, &owner, record.rtype.0, ttl, &rdata)
                    .await
                    .map_err(|e| e.at(&record.name))?;
            }
        }
        before = after;
    }
    soa(&mut builder, out, zone, zone.serial).await?;
    out.send(builder.finish()).await
}

/// The snapshot's SOA with `serial`.
async fn soa<W: AsyncWrite + Unpin>(
    builder: &mut Builder<'_>,
    out: &mut Out<'_, W>,
    zone: &ZoneSnapshot,
    serial: u32,
) -> Result<(), Stop> {
    let mut apex = Vec::with_capacity(zone.name.wire_len());
    zone.name.to_wire(&mut apex);
    soa_record(builder, out, &apex, zone.soa_ttl, &zone.soa_rdata, serial)
        .await
        .map_err(|e| e.at(&zone.name))
}

/// An SOA at `apex` (wire form) with `rdata`'s fields and `serial`.
async fn soa_record<W: AsyncWrite + Unpin>(
    builder: &mut Builder<'_>,
    out: &mut Out<'_, W>,
    apex: &[u8],
    ttl: u32,
    rdata: &[u8],
    serial: u32,
) -> Result<(), Placed> {
    let mut rdata = rdata.to_vec();
    // The serial is the first of the five 32-bit fields at the end.
    if let Some(at) = rdata.len().checked_sub(20) {
        rdata[at..at + 4].copy_from_slice(&serial.to_be_bytes());
    }
    put(builder, out, apex, RecordType::SOA.0, ttl, &rdata).await
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
    let mut builder = Builder::new(query, 0);
    builder.rcode = code;
    builder.finish()
}
