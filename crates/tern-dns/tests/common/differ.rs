//! Signed answers compared with Knot's: a corpus of questions for the zone
//! of `signed.rs`, each asked with DO over UDP and TCP and without DO over
//! UDP, and answers compared record for record (RCODE, AA, TC, and each
//! section as a multiset of owner, type and RDATA: both servers serve the
//! same signed records, so even the signatures must be the same).

use std::net::SocketAddr;

use super::signed::{covered, with_do};
use super::{Reply, parse, query, tcp, udp};

/// The questions; `{nsec3}` stands for an NSEC3 owner of the zone.
pub const CORPUS: &[(&str, u16)] = &[
    // positive, at the apex and below, with additional-section addresses
    ("signed.test.", 1),
    ("signed.test.", 2),
    ("signed.test.", 6),
    ("signed.test.", 15),
    ("www.signed.test.", 1),
    ("www.signed.test.", 28),
    ("new.signed.test.", 1),
    ("new.signed.test.", 28),
    ("txt.signed.test.", 16),
    ("mx3.signed.test.", 15),
    ("_sip._tcp.signed.test.", 33),
    ("ns1.signed.test.", 28),
    // DNSSEC data at the apex
    ("signed.test.", 48),
    ("signed.test.", 59),
    ("signed.test.", 60),
    ("signed.test.", 51),
    // NXDOMAIN: below the apex, deeper, below an empty non-terminal
    ("nope.signed.test.", 1),
    ("a.b.nope.signed.test.", 1),
    ("c.ent.signed.test.", 1),
    ("z.b.ent.signed.test.", 28),
    ("zzzz.signed.test.", 16),
    // NODATA
    ("www.signed.test.", 16),
    ("txt.signed.test.", 1),
    ("signed.test.", 28),
    ("mail.signed.test.", 15),
    // empty non-terminals
    ("ent.signed.test.", 1),
    ("b.ent.signed.test.", 16),
    ("_tcp.signed.test.", 33),
    // wildcard answers, wildcard NODATA, the wildcard itself
    ("x.wild.signed.test.", 1),
    ("x.wild.signed.test.", 16),
    ("a.b.wild.signed.test.", 1),
    ("x.wild.signed.test.", 28),
    ("x.wild.signed.test.", 15),
    ("*.wild.signed.test.", 1),
    ("*.wild.signed.test.", 28),
    ("wild.signed.test.", 1),
    // CNAME chains: to data, to NODATA, to NXDOMAIN, into the wildcard
    ("alias.signed.test.", 1),
    ("alias.signed.test.", 5),
    ("alias.signed.test.", 16),
    ("chain1.signed.test.", 28),
    ("deadend.signed.test.", 1),
    ("wildalias.signed.test.", 1),
    ("wildalias.signed.test.", 28),
    // DNAME into the wildcard
    ("q.dname.signed.test.", 1),
    ("dname.signed.test.", 39),
    // DS: signed, at an insecure cut, at a name that is no cut, missing
    ("secure.signed.test.", 43),
    ("insecure.signed.test.", 43),
    ("www.signed.test.", 43),
    ("signed.test.", 43),
    ("nope.signed.test.", 43),
    ("ns.secure.signed.test.", 43),
    // a child served beside its parent: DS from the parent, the rest
    // from the child
    ("child.signed.test.", 43),
    ("child.signed.test.", 6),
    ("www.child.signed.test.", 1),
    ("nope.child.signed.test.", 1),
    // referrals, secure and insecure, and glue names
    ("secure.signed.test.", 1),
    ("host.secure.signed.test.", 1),
    ("ns.secure.signed.test.", 1),
    ("insecure.signed.test.", 2),
    ("x.insecure.signed.test.", 28),
    ("ns.insecure.signed.test.", 1),
    // RRSIG and NSEC3 questions, NSEC3 owners as names
    ("www.signed.test.", 46),
    ("signed.test.", 46),
    ("x.wild.signed.test.", 46),
    ("nope.signed.test.", 46),
    ("ent.signed.test.", 46),
    ("{nsec3}", 50),
    ("{nsec3}", 1),
    ("www.signed.test.", 47),
    ("signed.test.", 47),
    ("nope.signed.test.", 47),
    // ANY (one RRset over UDP, all over TCP)
    ("www.signed.test.", 255),
    ("signed.test.", 255),
];

/// A section as comparable records: owner, type and RDATA, sorted.
pub fn records(reply: &Reply, section: usize) -> Vec<(String, u16, Vec<u8>)> {
    let listed = [&reply.answer, &reply.authority, &reply.additional][section];
    let mut out: Vec<_> = listed
        .iter()
        .zip(&reply.rdata[section])
        .map(|((owner, rtype, _), rdata)| (owner.clone(), *rtype, rdata.clone()))
        .collect();
    out.sort();
    out
}

/// One line per record: `owner TYPE`, RRSIGs by the type they cover.
fn shown(records: &[(String, u16, Vec<u8>)]) -> Vec<String> {
    records
        .iter()
        .map(|(owner, rtype, rdata)| match rtype {
            46 => format!("{owner} RRSIG({})", tern_core::RecordType(covered(rdata))),
            _ => format!("{owner} {}", tern_core::RecordType(*rtype)),
        })
        .collect()
}

/// The differences between two answers, empty when they agree.
fn compare(label: &str, qtype: u16, dnssec_ok: bool, knot: &Reply, tern: &Reply) -> Vec<String> {
    let mut out = Vec::new();
    if (knot.rcode, knot.aa, knot.tc) != (tern.rcode, tern.aa, tern.tc) {
        out.push(format!(
            "{label}: rcode/aa/tc knot {:?} tern {:?}",
            (knot.rcode, knot.aa, knot.tc),
            (tern.rcode, tern.aa, tern.tc)
        ));
    }
    if qtype == 255 {
        // RFC 8482 lets a server choose: Knot 3.2 answers ANY with one
        // RRset over UDP and TCP alike, Tern with one over UDP (the SOA at
        // the apex, where Knot takes the lowest type) and all over TCP. Both
        // must sign what they send.
        out.extend(unsigned_rrsets(label, dnssec_ok, tern));
        return out;
    }
    for (section, title) in ["answer", "authority", "additional"].iter().enumerate() {
        let (k, t) = (records(knot, section), records(tern, section));
        if k != t {
            out.push(format!(
                "{label}: {title}\n    knot {:?}\n    tern {:?}",
                shown(&k),
                shown(&t)
            ));
        }
    }
    out
}

/// For an answer to ANY: each RRset with its RRSIGs under DO, and no
/// RRSIG without.
fn unsigned_rrsets(label: &str, dnssec_ok: bool, reply: &Reply) -> Vec<String> {
    let answer = records(reply, 0);
    let signed: Vec<u16> = answer
        .iter()
        .filter(|(_, rtype, _)| *rtype == 46)
        .map(|(_, _, rdata)| covered(rdata))
        .collect();
    let mut out = Vec::new();
    if !dnssec_ok && !signed.is_empty() {
        out.push(format!("{label}: RRSIGs without DO"));
    }
    for (owner, rtype, _) in &answer {
        if dnssec_ok && *rtype != 46 && !signed.contains(rtype) {
            out.push(format!("{label}: {owner} {rtype} unsigned"));
        }
    }
    out
}

/// Asks both servers every question of the corpus; the differences (empty
/// when all agree) and how many answers were compared. `nsec3_owner`
/// stands in for `{nsec3}` (questions with it are left out without one).
pub async fn against_knot(
    knot: SocketAddr,
    tern: SocketAddr,
    nsec3_owner: Option<&str>,
) -> (Vec<String>, usize) {
    let mut differences = Vec::new();
    let mut asked = 0;
    for (name, qtype) in CORPUS {
        let name = match (*name, nsec3_owner) {
            ("{nsec3}", Some(owner)) => owner,
            ("{nsec3}", None) => continue,
            (name, _) => name,
        };
        let plain = query(name, *qtype, Some((4096, 0)));
        let dnssec = with_do(plain.clone());
        for (form, message, dnssec_ok) in [("DO/udp", &dnssec, true), ("udp", &plain, false)] {
            let k = udp(knot, message).await.expect("knot answers");
            let t = udp(tern, message).await.expect("tern answers");
            let label = format!("{name} {qtype} {form}");
            differences.extend(compare(&label, *qtype, dnssec_ok, &parse(&k), &parse(&t)));
            asked += 1;
        }
        let k = tcp(knot, std::slice::from_ref(&dnssec)).await;
        let t = tcp(tern, std::slice::from_ref(&dnssec)).await;
        let label = format!("{name} {qtype} DO/tcp");
        differences.extend(compare(&label, *qtype, true, &parse(&k[0]), &parse(&t[0])));
        asked += 1;
    }
    (differences, asked)
}
