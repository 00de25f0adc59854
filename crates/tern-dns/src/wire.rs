//! The DNS wire codec of the answer path: the header and question of a
//! query (and its EDNS OPT and TSIG position), skipping records, and
//! encoding a response from sections of pre-encoded records, with the
//! question name written once and pointed to. No zone data here: `answer`
//! decides what goes into a response, this module how it is written.

use tern_core::Name;

pub(crate) const HEADER_LEN: usize = 12;
/// Responses without EDNS fit the classic UDP limit.
pub(crate) const CLASSIC_UDP: usize = 512;

pub(crate) const TYPE_OPT: u16 = 41;
pub(crate) const TYPE_TSIG: u16 = 250;
pub(crate) const TYPE_RRSIG: u16 = 46;
pub(crate) const OPCODE_NOTIFY: u8 = 4;
pub(crate) const TYPE_ANY: u16 = 255;
pub(crate) const TYPE_AXFR: u16 = 252;
pub(crate) const TYPE_IXFR: u16 = 251;
pub(crate) const CLASS_IN: u16 = 1;

pub mod rcode {
    pub const NOERROR: u8 = 0;
    pub const FORMERR: u8 = 1;
    pub const SERVFAIL: u8 = 2;
    pub const NXDOMAIN: u8 = 3;
    pub const NOTIMP: u8 = 4;
    pub const REFUSED: u8 = 5;
    pub const YXDOMAIN: u8 = 6;
}

pub(crate) const CLASS_CH: u16 = 3;
pub(crate) const TYPE_TXT: u16 = 16;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    Udp,
    Tcp,
}

/// What the parser learned from a query.
pub(crate) struct Query<'a> {
    pub(crate) id: u16,
    pub(crate) flags: u16,
    /// The question exactly as sent (name in the client's case, type, class).
    pub(crate) question: &'a [u8],
    pub(crate) qname: Name,
    pub(crate) qtype: u16,
    pub(crate) qclass: u16,
    pub(crate) edns: Option<Edns>,
    /// Offset of the authority section (IXFR carries the client's SOA there).
    pub(crate) authority_at: usize,
    /// Offset of the TSIG record, when the query is signed (it is always the
    /// last record, RFC 8945 §5.1).
    pub(crate) tsig_at: Option<usize>,
}

#[derive(Clone, Copy)]
pub(crate) struct Edns {
    pub(crate) payload: u16,
    pub(crate) version: u8,
    pub(crate) dnssec_ok: bool,
}

/// The query type, for counting (0 when the question cannot be read).
/// Walks the label lengths only: counting must not allocate on the hot path.
pub(crate) fn question_type(message: &[u8]) -> u16 {
    let mut pos = HEADER_LEN;
    loop {
        match message.get(pos) {
            Some(0) => break,
            Some(&len) if len <= 63 => pos += 1 + usize::from(len),
            _ => return 0,
        }
    }
    message
        .get(pos + 1..pos + 3)
        .map_or(0, |t| u16::from_be_bytes([t[0], t[1]]))
}

pub(crate) fn parse_query(message: &[u8], id: u16, flags: u16) -> Result<Query<'_>, ()> {
    let count = |i: usize| u16::from_be_bytes([message[i], message[i + 1]]);
    if count(4) != 1 || count(6) != 0 {
        return Err(());
    }
    let (qname, end) = read_question_name(message, HEADER_LEN)?;
    let fixed = message.get(end..end + 4).ok_or(())?;
    let qtype = u16::from_be_bytes([fixed[0], fixed[1]]);
    let qclass = u16::from_be_bytes([fixed[2], fixed[3]]);
    let question = &message[HEADER_LEN..end + 4];
    let authority_at = end + 4;
    let mut pos = end + 4;
    // Authority records in a query are unusual but legal; skip them.
    for _ in 0..count(8) {
        pos = skip_rr(message, pos)?.1;
    }
    let mut edns = None;
    let mut tsig_at = None;
    let additional = count(10);
    for n in 0..additional {
        let (rtype, next) = skip_rr(message, pos)?;
        if rtype == TYPE_TSIG {
            if n + 1 != additional {
                return Err(()); // TSIG anywhere but last: FORMERR (RFC 8945 §5.2)
            }
            tsig_at = Some(pos);
        }
        if rtype == TYPE_OPT {
            if edns.is_some() {
                return Err(()); // more than one OPT: FORMERR (RFC 6891 §6.1.1)
            }
            // The OPT owner must be the root (one zero octet).
            if message.get(pos) != Some(&0) {
                return Err(());
            }
            let f = message.get(pos + 1..pos + 9).ok_or(())?;
            edns = Some(Edns {
                payload: u16::from_be_bytes([f[2], f[3]]),
                version: f[5],
                dnssec_ok: f[6] & 0x80 != 0,
            });
        }
        pos = next;
    }
    Ok(Query {
        id,
        flags,
        question,
        qname,
        qtype,
        qclass,
        edns,
        authority_at,
        tsig_at,
    })
}

/// Reads an uncompressed question name; compression in a question is not
/// legitimate (nothing precedes it) and is refused as FORMERR.
fn read_question_name(message: &[u8], start: usize) -> Result<(Name, usize), ()> {
    let mut labels: Vec<&[u8]> = Vec::new();
    let mut pos = start;
    let mut wire_len = 1;
    loop {
        let len = usize::from(*message.get(pos).ok_or(())?);
        if len == 0 {
            pos += 1;
            break;
        }
        if len > 63 {
            return Err(());
        }
        let label = message.get(pos + 1..pos + 1 + len).ok_or(())?;
        wire_len += len + 1;
        if wire_len > 255 {
            return Err(());
        }
        labels.push(label);
        pos += 1 + len;
    }
    let name = Name::from_labels(labels).map_err(|_| ())?;
    Ok((name, pos))
}

/// Skips one resource record, returning its type and the next offset.
pub(crate) fn skip_rr(message: &[u8], mut pos: usize) -> Result<(u16, usize), ()> {
    // owner: labels, possibly ending in a pointer
    let mut hops = 0;
    loop {
        let len = *message.get(pos).ok_or(())?;
        if len == 0 {
            pos += 1;
            break;
        }
        if len & 0xc0 == 0xc0 {
            pos += 2;
            break;
        }
        if len > 63 {
            return Err(());
        }
        pos += 1 + usize::from(len);
        hops += 1;
        if hops > 128 {
            return Err(());
        }
    }
    let fixed = message.get(pos..pos + 10).ok_or(())?;
    let rtype = u16::from_be_bytes([fixed[0], fixed[1]]);
    let rdlen = usize::from(u16::from_be_bytes([fixed[8], fixed[9]]));
    let end = pos + 10 + rdlen;
    if end > message.len() {
        return Err(());
    }
    Ok((rtype, end))
}

/// A response being built: sections of records, then encoded once.
pub(crate) struct Response<'q> {
    query: &'q Query<'q>,
    pub(crate) aa: bool,
    pub(crate) rcode: u8,
    pub(crate) extended_rcode: u8,
    /// The class of every record written (IN, or CH for identity answers).
    pub(crate) class: u16,
    pub(crate) answer: Vec<Rr>,
    pub(crate) authority: Vec<Rr>,
    pub(crate) additional: Vec<Rr>,
    our_payload: u16,
    /// Over TCP a response that does not fit is never truncated (`finish`).
    pub(crate) tcp: bool,
}

/// One record to write; `owner: None` means "the question name" (written as
/// a pointer to it, in the client's case).
pub(crate) struct Rr {
    pub(crate) owner: Option<Name>,
    pub(crate) rtype: u16,
    pub(crate) ttl: u32,
    pub(crate) rdata: Vec<u8>,
}

impl<'q> Response<'q> {
    pub(crate) fn new(query: &'q Query<'q>, our_payload: u16) -> Response<'q> {
        Response {
            query,
            aa: false,
            rcode: rcode::NOERROR,
            extended_rcode: 0,
            class: CLASS_IN,
            answer: Vec::new(),
            authority: Vec::new(),
            additional: Vec::new(),
            our_payload,
            tcp: false,
        }
    }

    /// Encodes the response; if it does not fit `limit`, sends the header,
    /// question and OPT with TC set (RFC 2181 §9: no partial RRsets),
    /// unless leaving out the additional section's RRSIGs makes it fit. Over
    /// TCP, where a client has no bigger transport to retry on, it does what
    /// Knot and NSD do: the additional section is filled only as far as it
    /// fits (no TC: it is optional data), and an answer that cannot fit
    /// 65,535 octets at all is SERVFAIL (Knot; the zone rules refuse such
    /// RRsets on every write, so only data stored before them can do this).
    pub(crate) fn finish(mut self, limit: usize) -> Vec<u8> {
        let full = self.encode(true);
        if full.len() <= limit {
            return full;
        }
        if self.tcp {
            let additional = std::mem::take(&mut self.additional);
            let without = self.encode(true).len();
            if without > limit {
                self.rcode = rcode::SERVFAIL;
                return self.encode(false);
            }
            let mut room = limit - without;
            for rr in additional {
                let len = rr.owner.as_ref().map_or(2, Name::wire_len) + 10 + rr.rdata.len();
                if len > room {
                    break;
                }
                room -= len;
                self.additional.push(rr);
            }
            return self.encode(true);
        }
        // RFC 4035 §3.1.1: RRSIGs in the additional section that do not fit
        // are left out, never a reason for TC (the addresses stay: a
        // referral without its glue must still be truncated, RFC 9471).
        if self.additional.iter().any(|rr| rr.rtype == TYPE_RRSIG) {
            self.additional.retain(|rr| rr.rtype != TYPE_RRSIG);
            let without = self.encode(true);
            if without.len() <= limit {
                return without;
            }
        }
        let mut truncated = self.encode(false);
        truncated[2] |= 0x02; // TC
        truncated
    }

    fn encode(&self, with_records: bool) -> Vec<u8> {
        let q = self.query;
        let mut out = Vec::with_capacity(512);
        out.extend_from_slice(&q.id.to_be_bytes());
        // QR, opcode and RD from the query; AA as decided; RA never.
        let mut flags: u16 = 0x8000 | (q.flags & 0x7800) | (q.flags & 0x0100);
        if self.aa {
            flags |= 0x0400;
        }
        flags |= u16::from(self.rcode & 0x0f);
        out.extend_from_slice(&flags.to_be_bytes());
        let (an, ns, ar) = if with_records {
            (
                self.answer.len(),
                self.authority.len(),
                self.additional.len(),
            )
        } else {
            (0, 0, 0)
        };
        let opt = usize::from(q.edns.is_some());
        for count in [1, an, ns, ar + opt] {
            out.extend_from_slice(&(count as u16).to_be_bytes());
        }
        out.extend_from_slice(q.question);
        if with_records {
            for rr in self
                .answer
                .iter()
                .chain(&self.authority)
                .chain(&self.additional)
            {
                match &rr.owner {
                    None => out.extend_from_slice(&[0xc0, HEADER_LEN as u8]),
                    Some(name) => name.to_wire(&mut out),
                }
                out.extend_from_slice(&rr.rtype.to_be_bytes());
                out.extend_from_slice(&self.class.to_be_bytes());
                out.extend_from_slice(&rr.ttl.to_be_bytes());
                out.extend_from_slice(&(rr.rdata.len() as u16).to_be_bytes());
                out.extend_from_slice(&rr.rdata);
            }
        }
        if let Some(edns) = q.edns {
            out.push(0);
            out.extend_from_slice(&TYPE_OPT.to_be_bytes());
            out.extend_from_slice(&self.our_payload.to_be_bytes());
            out.push(self.extended_rcode);
            out.push(0); // version 0
            out.push(if edns.dnssec_ok { 0x80 } else { 0 });
            out.push(0);
            out.extend_from_slice(&0u16.to_be_bytes());
        }
        out
    }
}

/// A bare header, for queries too malformed to echo.
pub(crate) fn error_response(id: u16, flags: u16, code: u8) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER_LEN);
    out.extend_from_slice(&id.to_be_bytes());
    let flags: u16 = 0x8000 | (flags & 0x7800) | (flags & 0x0100) | u16::from(code);
    out.extend_from_slice(&flags.to_be_bytes());
    out.extend_from_slice(&[0; 8]);
    out
}
