//! Differential suite: the corpus zones are imported into Tern, exported, and
//! served by NSD from those exported files; every query of a generated set
//! (each owner name and type in the zones, plus names below, beside and
//! under wildcards and delegations) must get the same RCODE, AA flag, answer
//! section and authority section from both. NSD is a real peer: required in
//! CI, skipped with a visible line elsewhere when not installed.

mod common;

use std::collections::BTreeSet;
use std::io::Write;

use common::{Reply, nsd_available, parse, query, start_nsd, udp};
use tern_core::{Name, RecordType};
use tern_dns::AnswerConfig;

/// Zones of the corpus both servers load. Child zones of these
/// (`*.dnssec-parent.com` below the parent) are left out: NSD would follow
/// CNAMEs from parent into child, which Tern deliberately does not (another
/// zone may be another tenant's). `root.zone` is left to the dedicated tests.
const ZONES: &[&str] = &[
    "example.com",
    "test.com",
    "wtest.com",
    "minimal.com",
    "stest.com",
    "nztest.com",
    "addzone.com",
    "tsig.com",
    "2.0.192.in-addr.arpa",
    "dnssec-parent.com",
];

const TYPES: &[RecordType] = &[
    RecordType::A,
    RecordType::AAAA,
    RecordType::NS,
    RecordType::CNAME,
    RecordType::SOA,
    RecordType::MX,
    RecordType::TXT,
    RecordType::SRV,
    RecordType::DS,
    RecordType::PTR,
    RecordType::DNAME,
    RecordType::NAPTR,
    RecordType(65534),
];

/// What both servers must agree on. Additional sections differ legitimately
/// between implementations (which glue and in what order), so they are not
/// compared.
fn comparable(reply: &Reply) -> (u8, bool, BTreeSet<String>, BTreeSet<String>) {
    let section = |rrs: &[(String, u16, String)], ttls: &[u32]| -> BTreeSet<String> {
        rrs.iter()
            .zip(ttls)
            .map(|((owner, rtype, rdata), ttl)| {
                format!("{owner} {ttl} {} {rdata}", RecordType(*rtype))
            })
            .collect()
    };
    (
        reply.rcode,
        reply.aa,
        section(&reply.answer, &reply.ttls[0]),
        section(&reply.authority, &reply.ttls[1]),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tern_answers_like_nsd() {
    if !nsd_available("differential suite") {
        return;
    }
    let core = common::core().await;
    let (store, dir) = (&core.store, &core.dir);

    // Import into Tern; NSD serves exactly what Tern exports.
    let mut nsd_zones = String::new();
    let mut queries: BTreeSet<(String, u16)> = BTreeSet::new();
    for zone in ZONES {
        let imported = core.import(zone).await;
        let exported = core.service.export(imported.id).await.expect("export");
        std::fs::write(dir.path().join(format!("{zone}.zone")), &exported).expect("write zone");
        nsd_zones.push_str(&format!(
            "zone:\n  name: \"{zone}\"\n  zonefile: \"{zone}.zone\"\n"
        ));
        // Every owner of the small zones; a spread sample of the large one.
        let records = store.records(imported.id).await.expect("records");
        let step = (records.len() / 400).max(1);
        for record in records.iter().step_by(step) {
            let owner = record.name.without_dot().to_string();
            for rtype in TYPES {
                queries.insert((owner.clone(), rtype.0));
            }
            // Below, and a sibling of, every name: NXDOMAIN, wildcard
            // synthesis, referrals under cuts, DNAME rewriting.
            let below = format!(
                "nx-{}.{owner}",
                record.id.simple().to_string().get(..6).unwrap_or("x")
            );
            queries.insert((below.clone(), RecordType::A.0));
            queries.insert((below, RecordType::TXT.0));
            if let Some(parent) = record.name.parent() {
                queries.insert((
                    format!("sibling-x.{}", parent.without_dot()),
                    RecordType::A.0,
                ));
            }
        }
    }
    queries.insert(("outside-every-zone.example".into(), RecordType::A.0));

    let nsd = start_nsd(dir.path(), &nsd_zones, "example.com").await;
    let nsd_addr = nsd.addr;

    let tern_addr = core.serve(AnswerConfig::default()).await;

    let zone_names: Vec<Name> = ZONES
        .iter()
        .map(|z| Name::parse_absolute(z).expect("zone name"))
        .collect();
    let mut differences = Vec::new();
    let mut crossed = 0;
    for (name, qtype) in &queries {
        let msg = query(name, *qtype, Some((4096, 0)));
        let (Some(ours), Some(theirs)) = (udp(tern_addr, &msg).await, udp(nsd_addr, &msg).await)
        else {
            differences.push(format!(
                "{name} {}: no answer from one side",
                RecordType(*qtype)
            ));
            continue;
        };
        let (ours_reply, theirs_reply) = (parse(&ours), parse(&theirs));
        let (ours, theirs) = (comparable(&ours_reply), comparable(&theirs_reply));
        if ours != theirs && leaves_the_zone(&ours_reply, &theirs_reply, &zone_names) {
            // The documented deviation: NSD follows a CNAME into another zone
            // it serves; Tern stops at the zone's edge (another zone may be
            // another tenant's), like Knot. Tern's answer must then be the
            // start of NSD's.
            crossed += 1;
            continue;
        }
        if ours != theirs {
            differences.push(format!(
                "{name} {}:\n  tern: {ours:?}\n  nsd:  {theirs:?}",
                RecordType(*qtype)
            ));
        }
    }
    drop(nsd);
    assert!(
        differences.is_empty(),
        "{} of {} queries differ from NSD; first ones:\n{}",
        differences.len(),
        queries.len(),
        differences
            .iter()
            .take(15)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
    let _ = writeln!(
        std::io::stderr(),
        "differential: {} queries equal to NSD; {crossed} stop at a zone edge where NSD follows a CNAME into another zone",
        queries.len() - crossed
    );
}

/// Whether Tern's answer is NSD's cut short at a CNAME whose target lies in
/// another zone both serve.
fn leaves_the_zone(ours: &Reply, theirs: &Reply, zones: &[Name]) -> bool {
    let Some((owner, rtype, target)) = ours.answer.last() else {
        return false;
    };
    if *rtype != RecordType::CNAME.0 || !ours.authority.is_empty() || ours.rcode != 0 {
        return false;
    }
    let zone_of = |name: &str| -> Option<&Name> {
        let name = Name::parse_absolute(name).ok()?;
        zones
            .iter()
            .filter(|z| name.is_subdomain_of(z))
            .max_by_key(|z| z.label_count())
    };
    let crosses = match (zone_of(owner), zone_of(target)) {
        (Some(a), Some(b)) => a != b,
        _ => false,
    };
    crosses && ours.answer.iter().all(|rr| theirs.answer.contains(rr))
}
