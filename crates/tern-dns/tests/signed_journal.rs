//! A signed zone changed by a journal entry: Tern loads version 1, then
//! commits the change to version 2 (a name removed, a name added, a type
//! added to a name and to the wildcard; the signer's new RRSIGs and NSEC3
//! or NSEC records with it, old ones removed) and applies the entry to the
//! snapshot incrementally. Its answers must then equal Knot's serving
//! version 2 from the file, over the whole corpus of
//! `common/differ.rs`, and the same transfer as Knot's.

mod common;

use common::signed::{
    Denial, ORIGIN, ZONE, commit_signed, load_signed, read_signed, resign, sign, signing_tools,
};
use common::{start_knot, tool_available};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

type Key = (String, u16, u32, Vec<u8>);

/// The records of an AXFR, the SOAs left out, sorted.
async fn axfr(addr: std::net::SocketAddr, zone: &str) -> Vec<Key> {
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let request = common::query(zone, 252, None);
    stream
        .write_all(&(request.len() as u16).to_be_bytes())
        .await
        .expect("write");
    stream.write_all(&request).await.expect("write");
    let mut records = Vec::new();
    let mut soas = 0;
    while soas < 2 {
        let mut len = [0u8; 2];
        stream.read_exact(&mut len).await.expect("length");
        let mut message = vec![0u8; usize::from(u16::from_be_bytes(len))];
        stream.read_exact(&mut message).await.expect("message");
        let reply = common::parse(&message);
        assert_eq!(reply.rcode, 0, "transfer refused");
        for (((owner, rtype, _), ttl), rdata) in
            reply.answer.iter().zip(&reply.ttls[0]).zip(&reply.rdata[0])
        {
            if *rtype == 6 {
                soas += 1;
            } else {
                records.push((owner.clone(), *rtype, *ttl, rdata.clone()));
            }
        }
    }
    records.sort();
    records
}

/// Version 2: `txt` gone, `new` added, a TXT at `www`, an AAAA at the
/// wildcard (a wildcard NODATA becomes an answer).
fn next_version(signed: &str) -> String {
    let mut out: String = signed
        .lines()
        .filter(|line| !line.starts_with("txt.signed.test."))
        .map(|line| format!("{line}\n"))
        .collect();
    out.push_str("new.signed.test. 3600 IN A 192.0.2.200\n");
    out.push_str("www.signed.test. 3600 IN TXT \"now\"\n");
    out.push_str("*.wild.signed.test. 3600 IN AAAA 2001:db8::99\n");
    out
}

async fn changed(denial: Denial) {
    let test = "signed_journal";
    if !signing_tools(test) || !tool_available("knotd", "-V", test) {
        return;
    }
    let zone = sign(ORIGIN, ZONE, denial);
    let v1 = read_signed(ORIGIN, &zone.path);
    let v2_path = resign(&zone, denial, next_version);
    let v2 = read_signed(ORIGIN, &v2_path);
    assert_eq!(v2.serial, v1.serial + 1);

    let core = common::core().await;
    let (stored, records) = load_signed(&core, ORIGIN, &v1).await;
    let tern = core
        .serve(tern_dns::AnswerConfig {
            transfer_allow: vec![tern_core::transfer::Cidr::parse("127.0.0.0/8").expect("cidr")],
            ..tern_dns::AnswerConfig::default()
        })
        .await;
    let entry = commit_signed(&core, &stored, &records, &v2).await;
    let touched = |records: &[tern_core::Record], rtype: tern_core::RecordType| {
        records.iter().filter(|r| r.rtype == rtype).count()
    };
    let chain_type = match denial {
        Denial::Nsec => tern_core::RecordType::NSEC,
        _ => tern_core::RecordType::NSEC3,
    };
    assert!(
        touched(&entry.removed, chain_type) > 0 && touched(&entry.added, chain_type) > 0,
        "the change rewrites part of the chain"
    );
    assert!(touched(&entry.removed, tern_core::RecordType::RRSIG) > 0);
    assert!(
        entry.added.len() < v2.records.len() / 2,
        "an incremental change ({} records added), not a new zone",
        entry.added.len()
    );

    // The transfer holds version 2, signatures and chain included.
    let mut expected: Vec<Key> = v2
        .records
        .iter()
        .map(|(owner, ttl, rdata)| (owner.to_string(), rdata.rtype().0, *ttl, rdata.wire()))
        .collect();
    expected.sort();
    assert!(
        axfr(tern, ORIGIN).await == expected,
        "AXFR is not version 2"
    );

    let knot_dir = tempfile::tempdir().expect("tempdir");
    let knot = start_knot(
        knot_dir.path(),
        &[(ORIGIN.to_string(), v2_path.clone())],
        ORIGIN,
    )
    .await;
    let nsec3_owner = v2
        .records
        .iter()
        .find(|(_, _, rdata)| rdata.rtype() == tern_core::RecordType::NSEC3)
        .map(|(owner, _, _)| owner.to_string());
    let (differences, asked) =
        common::differ::against_knot(knot.addr, tern, nsec3_owner.as_deref()).await;
    assert!(
        differences.is_empty(),
        "{denial:?} after the change ({} removed, {} added): {} of {asked} answers differ from Knot's:\n{}",
        entry.removed.len(),
        entry.added.len(),
        differences.len(),
        differences.join("\n")
    );
    eprintln!(
        "{denial:?}: after a change of {} removed and {} added records, {asked} answers equal to Knot's",
        entry.removed.len(),
        entry.added.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nsec3_zone_changed_by_the_journal_matches_knot() {
    changed(Denial::Nsec3).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nsec3_opt_out_zone_changed_by_the_journal_matches_knot() {
    changed(Denial::Nsec3OptOut).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nsec_zone_changed_by_the_journal_matches_knot() {
    changed(Denial::Nsec).await;
}
