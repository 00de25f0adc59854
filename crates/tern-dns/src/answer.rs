//! The answer path: query bytes in, response bytes out, from the in-memory
//! index only (no database, no locks beyond one atomic load). Hand-written
//! rather than built with a general DNS library because this is the hot path:
//! RRsets are already in wire form and are copied, not encoded.

use tern_core::{Name, RecordType};

use crate::denial::Denial;
use crate::index::ZoneIndex;
use crate::rrsig::RRSIG;
use crate::signatures::{Signing, push_set, push_sigs, rrsig_answer};
use crate::snapshot::{RrSet, ZoneSnapshot};
use crate::tsig::Verified;
use crate::wire::{
    CLASS_CH, CLASS_IN, CLASSIC_UDP, HEADER_LEN, OPCODE_NOTIFY, Query, Response, Rr, TYPE_ANY,
    TYPE_AXFR, TYPE_IXFR, TYPE_OPT, TYPE_TXT, Transport, error_response, parse_query,
    question_type, rcode,
};

/// CNAME records one answer follows (RFC 1034 §4.3.2 sets no limit). Five,
/// as Knot: enough for real chains (CDN hand-offs take two or three), and
/// a bound on the work and the size of one answer; past it the answer ends
/// with the last CNAME and the resolver asks again for its target.
/// `crates/tern-dns/tests/differential.rs` holds Tern to Knot on a longer
/// chain.
pub const MAX_CNAME_CHAIN: usize = 5;

/// Server-side answer settings.
#[derive(Debug, Clone)]
pub struct AnswerConfig {
    /// The largest UDP payload we offer and accept (RFC 6891; 1232 avoids
    /// fragmentation on common paths).
    pub max_udp_payload: u16,
    /// Networks allowed to transfer every zone, besides each zone's own
    /// `transfer_allow` setting. Transfers are refused by default.
    pub transfer_allow: Vec<tern_core::transfer::Cidr>,
    /// TSIG keys allowed to transfer every zone, besides each zone's own
    /// `transfer_keys` (same rule as there: see `tern_core::transfer`).
    pub transfer_keys: Vec<Name>,
    /// Answers to CHAOS TXT `id.server`/`hostname.bind` and
    /// `version.server`/`version.bind` (RFC 4892); `None` (the default)
    /// refuses them, as the server's identity is nobody's business.
    pub chaos: Option<ChaosIdentity>,
}

#[derive(Debug, Clone)]
pub struct ChaosIdentity {
    pub id: String,
    pub version: String,
}

impl Default for AnswerConfig {
    fn default() -> Self {
        AnswerConfig {
            max_udp_payload: 1232,
            transfer_allow: Vec::new(),
            transfer_keys: Vec::new(),
            chaos: None,
        }
    }
}

/// Answers one DNS message. `None` means "send nothing" (the message was
/// not a query we may answer, e.g. too short to carry an id, or a response).
pub fn answer(
    index: &ZoneIndex,
    message: &[u8],
    transport: Transport,
    config: &AnswerConfig,
) -> Option<Vec<u8>> {
    let response = respond(index, message, transport, config, 0);
    let metrics = index.metrics();
    match &response {
        Some(r) if r.len() >= HEADER_LEN => metrics.query(
            transport == Transport::Tcp,
            question_type(message),
            r[3] & 0x0f,
            r[2] & 0x02 != 0,
        ),
        _ => metrics.dropped(),
    }
    response
}

/// A TSIG-signed query (RFC 8945): checked, answered as if unsigned, and
/// the answer signed with the same key. The answer leaves room for the TSIG
/// record, so over UDP a large one comes back truncated and signed.
fn signed_answer(
    index: &ZoneIndex,
    message: &[u8],
    tsig_at: usize,
    transport: Transport,
    config: &AnswerConfig,
) -> Vec<u8> {
    let id = u16::from_be_bytes([message[0], message[1]]);
    let flags = u16::from_be_bytes([message[2], message[3]]);
    match index.tsig().verify(message, tsig_at) {
        Verified::Rejected(response) => {
            response.unwrap_or_else(|| error_response(id, flags, rcode::FORMERR))
        }
        Verified::Signed {
            mut sequence,
            request,
        } => {
            let reserve = usize::from(sequence.key().compose_len());
            respond(index, &request, transport, config, reserve)
                .and_then(|response| crate::tsig::sign(&mut sequence, &response))
                .unwrap_or_else(|| error_response(id, flags, rcode::SERVFAIL))
        }
    }
}

/// Refused queries are logged, a few a second at most: a flood must not
/// fill the disk.
static REFUSED_LOG: crate::log_budget::LogBudget = crate::log_budget::LogBudget::new(10);

fn log_refused(query: &Query<'_>, transport: Transport, reason: &'static str) {
    if let Some(dropped) = REFUSED_LOG.allow() {
        tracing::info!(
            qname = %query.qname,
            qtype = query.qtype,
            qclass = query.qclass,
            ?transport,
            reason,
            suppressed_before = dropped,
            "query refused"
        );
    }
}

/// `reserve`: octets to leave free below the UDP size limit (room for a
/// TSIG record added afterwards).
fn respond(
    index: &ZoneIndex,
    message: &[u8],
    transport: Transport,
    config: &AnswerConfig,
    reserve: usize,
) -> Option<Vec<u8>> {
    if message.len() < HEADER_LEN {
        return None;
    }
    let id = u16::from_be_bytes([message[0], message[1]]);
    let flags = u16::from_be_bytes([message[2], message[3]]);
    if flags & 0x8000 != 0 {
        return None; // a response: never answer it (reflection loops)
    }
    let opcode = ((flags >> 11) & 0x0f) as u8;
    let query = match parse_query(message, id, flags) {
        Ok(q) => q,
        Err(()) => return Some(error_response(id, flags, rcode::FORMERR)),
    };
    if let Some(tsig_at) = query.tsig_at {
        return Some(signed_answer(index, message, tsig_at, transport, config));
    }
    let limit = match (transport, query.edns) {
        (Transport::Tcp, _) => u16::MAX as usize,
        (Transport::Udp, Some(e)) => usize::from(e.payload.clamp(512, config.max_udp_payload)),
        (Transport::Udp, None) => CLASSIC_UDP,
    }
    .saturating_sub(reserve);
    let mut response = Response::new(&query, config.max_udp_payload);
    response.tcp = transport == Transport::Tcp;
    if opcode == OPCODE_NOTIFY {
        // Tern is primary for every zone it serves: a NOTIFY cannot make it
        // refresh anything. REFUSED (as BIND and Knot answer a NOTIFY for a
        // zone they are not secondary for), not NOTIMP: NOTIFY is understood.
        tracing::debug!(zone = %query.qname, "NOTIFY refused: not a secondary zone");
        response.rcode = rcode::REFUSED;
        return Some(response.finish(limit));
    }
    if opcode != 0 {
        response.rcode = rcode::NOTIMP;
        return Some(response.finish(limit));
    }
    if let Some(edns) = query.edns
        && edns.version > 0
    {
        response.extended_rcode = 1; // BADVERS (RFC 6891 §6.1.3)
        return Some(response.finish(limit));
    }
    if query.qclass == CLASS_CH
        && let Some(identity) = &config.chaos
        && matches!(query.qtype, TYPE_TXT | TYPE_ANY)
    {
        let text = match query.qname.as_str() {
            "id.server." | "hostname.bind." => Some(&identity.id),
            "version.server." | "version.bind." => Some(&identity.version),
            _ => None,
        };
        if let Some(text) = text {
            let mut rdata = Vec::new();
            for chunk in text.as_bytes().chunks(255) {
                rdata.push(chunk.len() as u8);
                rdata.extend_from_slice(chunk);
            }
            response.class = CLASS_CH;
            response.aa = true;
            response.answer.push(Rr {
                owner: None,
                rtype: TYPE_TXT,
                ttl: 0,
                rdata,
            });
            return Some(response.finish(limit));
        }
    }
    if query.qclass != CLASS_IN || matches!(query.qtype, TYPE_OPT | TYPE_AXFR | TYPE_IXFR) {
        // Other classes are not served; transfers happen over TCP only
        // (transfer.rs); OPT is not a question.
        response.rcode = if query.qtype == TYPE_OPT {
            rcode::FORMERR
        } else {
            log_refused(
                &query,
                transport,
                "class or type not served over this transport",
            );
            rcode::REFUSED
        };
        return Some(response.finish(limit));
    }
    let snapshot = if query.qtype == RecordType::DS.0 {
        index.find_for_ds(&query.qname)
    } else {
        index.find(&query.qname)
    };
    let Some(zone) = snapshot.as_deref().and_then(Option::as_deref) else {
        log_refused(&query, transport, "no served zone holds the name");
        response.rcode = rcode::REFUSED;
        return Some(response.finish(limit));
    };
    resolve(zone, &query, transport, &mut response);
    Some(response.finish(limit))
}

/// Authoritative resolution inside one zone (RFC 1034 §4.3.2 with RFC 4592
/// wildcards and RFC 2308 negative answers), with RRSIGs and denial proofs
/// for DO queries (RFC 4035 §3.1, RFC 5155 §7.2).
fn resolve(
    zone: &ZoneSnapshot,
    query: &Query<'_>,
    transport: Transport,
    response: &mut Response<'_>,
) {
    let qtype = RecordType(query.qtype);
    let dnssec_ok = query.edns.is_some_and(|e| e.dnssec_ok);
    let sign = Signing { zone, dnssec_ok };
    let mut denial = Denial::new(zone, dnssec_ok);
    let mut name = query.qname.clone();
    let mut owner: Option<Name> = None; // None: the question name
    // The question's name, then one name per CNAME (or DNAME) followed.
    for hop in 0..=MAX_CNAME_CHAIN {
        let above = above(zone, &name, qtype);
        if let Some(Above::Cut(cut)) = above {
            // Straight to a cut: a referral. Reached through a CNAME: the
            // authoritative CNAME chain plus the referral (RFC 1034 §4.3.2).
            let aa = !response.answer.is_empty();
            referral(sign, &mut denial, &cut, response);
            response.aa = aa;
            return;
        }
        response.aa = true;
        // RFC 6672: a DNAME above the name rewrites its suffix; the DNAME and
        // a synthesized CNAME are answered and the new name is followed.
        if let Some(Above::Dname(dname_owner, dname)) = above {
            if hop == MAX_CNAME_CHAIN {
                return;
            }
            let ttl = zone.ttl_of(dname);
            sign.push(
                &mut response.answer,
                Some(dname_owner.clone()),
                dname_owner.as_str(),
                dname,
            );
            let Some(target) = dname.targets.first() else {
                return;
            };
            let Ok(rewritten) = Name::parse_zone_file(&name.relative_to(&dname_owner), target)
            else {
                // The rewritten name is too long (RFC 6672 §2.2).
                response.rcode = rcode::YXDOMAIN;
                return;
            };
            // The synthesized CNAME has no signature: the DNAME's proves it.
            response.answer.push(Rr {
                owner: owner.clone(),
                rtype: RecordType::CNAME.0,
                ttl,
                rdata: rewritten_wire(&rewritten),
            });
            if !rewritten.is_subdomain_of(&zone.name) {
                return;
            }
            owner = Some(rewritten.clone());
            name = rewritten;
            continue;
        }
        if name == zone.name && (qtype == RecordType::SOA || query.qtype == TYPE_ANY) {
            // The SOA is generated from the zone's settings, not stored.
            response.answer.push(Rr {
                owner: owner.clone(),
                rtype: RecordType::SOA.0,
                ttl: zone.soa_ttl,
                rdata: zone.soa_rdata.clone(),
            });
            sign.push_sigs_of(
                &mut response.answer,
                owner.clone(),
                zone.name.as_str(),
                RecordType::SOA,
                Some(zone.soa_ttl),
            );
            if qtype == RecordType::SOA || transport == Transport::Udp {
                return;
            }
        }
        // The node whose data answers: the name itself, or the wildcard
        // that synthesizes it (owner stays the question's name).
        let (node_name, encloser) = if zone.rrsets(name.as_str()).is_some() {
            (name.clone(), None)
        } else if zone.exists(name.as_str()) {
            nodata(sign, &mut denial, &name, response);
            return;
        } else {
            let encloser = closest_encloser(zone, &name);
            match wildcard_for(zone, &encloser) {
                Some(source) => (source, Some(encloser)),
                None => {
                    // Also at the end of a CNAME/DNAME chain: the RCODE is
                    // the last name's (RFC 6604 §2.1).
                    response.rcode = rcode::NXDOMAIN;
                    negative(sign, response);
                    denial.nxdomain(&mut response.authority, &name, &encloser);
                    return;
                }
            }
        };
        // A wildcard answer proves the name itself does not exist.
        let synthesized = |denial: &mut Denial<'_>, response: &mut Response<'_>| {
            if let Some(encloser) = &encloser {
                denial.wildcard_answer(&mut response.authority, &name, encloser);
            }
        };
        let Some(rrsets) = zone.rrsets(node_name.as_str()) else {
            // A wildcard that is an empty non-terminal (RFC 4592 §4.9).
            negative(sign, response);
            if let Some(encloser) = &encloser {
                denial.wildcard_nodata(&mut response.authority, &name, encloser, &node_name);
            }
            return;
        };
        if query.qtype == TYPE_ANY {
            // RFC 8482: over UDP one RRset is enough; TCP gets them all.
            let chosen: Vec<&RrSet> = match transport {
                Transport::Udp => rrsets.iter().take(1).collect(),
                Transport::Tcp => rrsets.iter().collect(),
            };
            for set in &chosen {
                sign.push(&mut response.answer, owner.clone(), node_name.as_str(), set);
            }
            additional(sign, &chosen, response);
            synthesized(&mut denial, response);
            return;
        }
        if let Some(set) = rrsets.iter().find(|s| s.rtype == qtype) {
            sign.push(&mut response.answer, owner.clone(), node_name.as_str(), set);
            additional(sign, &[set], response);
            synthesized(&mut denial, response);
            return;
        }
        if qtype == RRSIG
            && let Some(sigs) = zone.node(node_name.as_str()).and_then(rrsig_answer)
        {
            push_sigs(
                &mut response.answer,
                owner.clone(),
                &sigs.sigs,
                zone.ttl_of_sigs(&sigs.sigs),
            );
            synthesized(&mut denial, response);
            return;
        }
        if let Some(cname) = rrsets.iter().find(|s| s.rtype == RecordType::CNAME) {
            if hop == MAX_CNAME_CHAIN {
                return;
            }
            sign.push(
                &mut response.answer,
                owner.clone(),
                node_name.as_str(),
                cname,
            );
            synthesized(&mut denial, response);
            // Follow the chain inside this zone only: another zone may belong
            // to another tenant (Knot and NSD stop at the zone edge too).
            let Some(target) = cname.targets.first().cloned() else {
                return;
            };
            if !target.is_subdomain_of(&zone.name) || target == name {
                return;
            }
            owner = Some(target.clone());
            name = target;
            continue;
        }
        match &encloser {
            Some(encloser) => {
                negative(sign, response);
                denial.wildcard_nodata(&mut response.authority, &name, encloser, &node_name);
            }
            None => nodata(sign, &mut denial, &name, response),
        }
        return;
    }
}

/// What lies on the path from the apex down to a name.
enum Above<'z> {
    /// A delegation strictly below the apex, at or above the name: the
    /// answer is a referral, except a DS question at the cut itself, which
    /// the parent answers (RFC 4035 §3.1.4.1).
    Cut(Name),
    /// A DNAME strictly above the name (RFC 6672).
    Dname(Name, &'z RrSet),
}

/// The highest cut or DNAME on the way down from the apex to `name`, found
/// in one walk of the name's ancestors.
fn above<'z>(zone: &'z ZoneSnapshot, name: &Name, qtype: RecordType) -> Option<Above<'z>> {
    let mut chain: Vec<&str> = name.ancestor_strs().collect();
    chain.reverse();
    chain.push(name.as_str());
    let mut inside = false;
    for text in chain {
        let at_apex = text == zone.name.as_str();
        inside |= at_apex;
        if !inside {
            continue;
        }
        let Some(sets) = zone.rrsets(text) else {
            continue;
        };
        let is_name = text == name.as_str();
        if !at_apex
            && sets.iter().any(|s| s.rtype == RecordType::NS)
            && !(is_name && qtype == RecordType::DS)
        {
            return Some(Above::Cut(Name::parse_absolute(text).ok()?));
        }
        if !is_name && let Some(dname) = sets.iter().find(|s| s.rtype == RecordType::DNAME) {
            return Some(Above::Dname(Name::parse_absolute(text).ok()?, dname));
        }
    }
    None
}

fn rewritten_wire(name: &Name) -> Vec<u8> {
    let mut out = Vec::with_capacity(name.wire_len());
    name.to_wire(&mut out);
    out
}

fn referral(sign: Signing<'_>, denial: &mut Denial<'_>, cut: &Name, response: &mut Response<'_>) {
    let zone = sign.zone;
    response.aa = false;
    if let Some(ns) = zone.rrset(cut.as_str(), RecordType::NS) {
        // The NS set at a cut is the child's and is not signed here.
        push_set(
            &mut response.authority,
            Some(cut.clone()),
            ns,
            zone.ttl_of(ns),
        );
        // A DO referral says whether the child is signed: its DS set, or
        // the proof that it has none (RFC 4035 §3.1.4).
        if sign.dnssec_ok {
            match zone.rrset(cut.as_str(), RecordType::DS) {
                Some(ds) => sign.push(&mut response.authority, Some(cut.clone()), cut.as_str(), ds),
                None => denial.no_ds(&mut response.authority, cut),
            }
        }
        // Glue below the cut, and addresses of targets elsewhere in this
        // zone (sibling glue and in-zone servers, RFC 9471 §2), as Knot does.
        for target in &ns.targets {
            if target.is_subdomain_of(&zone.name) {
                glue(sign, target, response);
            }
        }
    }
}

/// The closest encloser of a name that does not exist (RFC 4592 §3.3.1):
/// its nearest existing ancestor. Walking up from a name inside the zone
/// reaches the apex, which exists.
fn closest_encloser(zone: &ZoneSnapshot, name: &Name) -> Name {
    name.ancestor_strs()
        .find(|a| zone.exists(a))
        .and_then(|a| Name::parse_absolute(a).ok())
        .unwrap_or_else(|| zone.name.clone())
}

/// RFC 4592: the source of synthesis `*.<closest encloser>`, if that
/// wildcard exists — with data, or as an empty non-terminal (it has names
/// below it, e.g. `host.*.s`), which makes the answer NODATA rather than
/// NXDOMAIN (§4.9).
fn wildcard_for(zone: &ZoneSnapshot, encloser: &Name) -> Option<Name> {
    let source = if encloser.is_root() {
        "*.".to_string()
    } else {
        format!("*.{encloser}")
    };
    if !zone.exists(&source) {
        return None;
    }
    Name::parse_absolute(&source).ok()
}

/// NODATA at a name that exists: the SOA and the name's denial records.
fn nodata(sign: Signing<'_>, denial: &mut Denial<'_>, name: &Name, response: &mut Response<'_>) {
    negative(sign, response);
    denial.nodata(&mut response.authority, name);
}

/// The SOA of a negative answer, at min(SOA TTL, MINIMUM) (RFC 2308 §3),
/// and so its signature.
fn negative(sign: Signing<'_>, response: &mut Response<'_>) {
    let zone = sign.zone;
    response.authority.push(Rr {
        owner: Some(zone.name.clone()),
        rtype: RecordType::SOA.0,
        ttl: zone.negative_ttl,
        rdata: zone.soa_rdata.clone(),
    });
    sign.push_sigs_of(
        &mut response.authority,
        Some(zone.name.clone()),
        zone.name.as_str(),
        RecordType::SOA,
        Some(zone.negative_ttl),
    );
}

/// Addresses of NS, MX and SRV targets in the answer that this zone holds
/// (signed, for DO, where the zone is authoritative for them).
fn additional(sign: Signing<'_>, rrsets: &[&RrSet], response: &mut Response<'_>) {
    let mut done: Vec<&Name> = Vec::new();
    for set in rrsets {
        if !matches!(set.rtype, RecordType::NS | RecordType::MX | RecordType::SRV) {
            continue;
        }
        for target in &set.targets {
            if target.is_subdomain_of(&sign.zone.name) && !done.contains(&target) {
                done.push(target);
                glue(sign, target, response);
            }
        }
    }
}

/// A target's addresses; glue below a cut has no signatures to add.
fn glue(sign: Signing<'_>, target: &Name, response: &mut Response<'_>) {
    for rtype in [RecordType::A, RecordType::AAAA] {
        if let Some(set) = sign.zone.rrset(target.as_str(), rtype) {
            sign.push(
                &mut response.additional,
                Some(target.clone()),
                target.as_str(),
                set,
            );
        }
    }
}
