//! Signed answers against Knot: the same zone, signed once by
//! dnssec-signzone (NSEC3 per RFC 9276, NSEC3 with opt-out, NSEC), served
//! pre-signed by knotd (its own signing off) and by Tern (the signed
//! records loaded into a Tern zone). A corpus of questions — positive,
//! NXDOMAIN, NODATA, wildcard and wildcard NODATA, CNAME and DNAME chains,
//! DS at and below cuts, secure and insecure referrals, empty
//! non-terminals, DNSKEY/CDS/CDNSKEY/NSEC3PARAM, RRSIG and NSEC3 questions,
//! DS of an unsigned child served beside its parent — is asked with DO over UDP and TCP, and without DO, and RCODE, AA, TC
//! and the three sections must be equal record for record (the records
//! are the file's, signatures included, so they can be compared exactly).

mod common;

use common::signed::{
    CHILD_ORIGIN, CHILD_ZONE, Denial, ORIGIN, ZONE, load_signed, read_signed, sign, signing_tools,
};
use common::{start_knot, tool_available};

async fn differential(denial: Denial) {
    let test = "signed_differential";
    if !signing_tools(test) || !tool_available("knotd", "-V", test) {
        return;
    }
    let zone = sign(ORIGIN, ZONE, denial);
    let signed = read_signed(ORIGIN, &zone.path);
    let nsec3_owner = signed
        .records
        .iter()
        .find(|(_, _, rdata)| rdata.rtype().0 == 50)
        .map(|(owner, _, _)| owner.to_string());
    assert_eq!(
        nsec3_owner.is_some(),
        denial != Denial::Nsec,
        "NSEC3 records only in NSEC3 zones"
    );

    let child = zone.dir.path().join("child.zone");
    std::fs::write(&child, CHILD_ZONE).expect("child zone");
    let knot = start_knot(
        zone.dir.path(),
        &[
            (ORIGIN.to_string(), zone.path.clone()),
            (CHILD_ORIGIN.to_string(), child),
        ],
        ORIGIN,
    )
    .await;
    let core = common::core().await;
    load_signed(&core, ORIGIN, &signed).await;
    core.import_text(CHILD_ORIGIN, CHILD_ZONE).await;
    let tern = core.serve(tern_dns::AnswerConfig::default()).await;

    let (differences, asked) =
        common::differ::against_knot(knot.addr, tern, nsec3_owner.as_deref()).await;
    assert!(
        differences.is_empty(),
        "{denial:?}: {} of {asked} answers differ from Knot's:\n{}",
        differences.len(),
        differences.join("\n")
    );
    eprintln!("{denial:?}: {asked} answers equal to Knot's");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nsec3_answers_match_knot() {
    differential(Denial::Nsec3).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nsec3_opt_out_answers_match_knot() {
    differential(Denial::Nsec3OptOut).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nsec_answers_match_knot() {
    differential(Denial::Nsec).await;
}
