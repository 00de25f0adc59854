//! Tern's signed answers through a validating resolver: unbound, with the
//! zone's DS as its only trust anchor and every zone stubbed to Tern, must
//! mark positive, NXDOMAIN, NODATA, wildcard, CNAME/DNAME-chain, empty
//! non-terminal and DS answers authenticated (AD), resolve an insecure
//! child (no AD, but no SERVFAIL: the parent proved it has no DS), and
//! answer SERVFAIL when a signature was tampered with or the trust anchor
//! is another key's. For NSEC3 (RFC 9276), NSEC3 with opt-out, and NSEC.

mod common;

use std::net::SocketAddr;

use common::signed::{
    CHILD_ORIGIN, CHILD_ZONE, Denial, ORIGIN, SignedRecords, ZONE, ds_of, keygen, load_signed,
    read_signed, sign, signing_tools, tamper,
};
use common::tool_available;
use common::unbound::{resolve, start_unbound};

const NOERROR: u8 = 0;
const SERVFAIL: u8 = 2;
const NXDOMAIN: u8 = 3;

/// Question, expected RCODE, AD and whether the answer section holds
/// records; last, whether the proof rests on an NSEC3 covering the next
/// closer name, which an opt-out zone cannot authenticate (RFC 5155 §9.2:
/// an insecure delegation may lie in an opt-out span), so AD is not set
/// there.
const SECURE: &[(&str, u16, u8, bool, bool, bool)] = &[
    ("www.signed.test.", 1, NOERROR, true, true, false),
    ("signed.test.", 15, NOERROR, true, true, false),
    ("signed.test.", 48, NOERROR, true, true, false),
    ("signed.test.", 59, NOERROR, true, true, false),
    ("_sip._tcp.signed.test.", 33, NOERROR, true, true, false),
    ("nope.signed.test.", 1, NXDOMAIN, true, false, true),
    ("a.b.nope.signed.test.", 28, NXDOMAIN, true, false, true),
    ("c.ent.signed.test.", 1, NXDOMAIN, true, false, true),
    ("www.signed.test.", 16, NOERROR, true, false, false),
    ("b.ent.signed.test.", 1, NOERROR, true, false, false),
    ("x.wild.signed.test.", 1, NOERROR, true, true, true),
    ("a.b.wild.signed.test.", 16, NOERROR, true, true, true),
    ("x.wild.signed.test.", 28, NOERROR, true, false, true),
    ("alias.signed.test.", 1, NOERROR, true, true, false),
    ("alias.signed.test.", 16, NOERROR, true, true, false),
    ("deadend.signed.test.", 1, NXDOMAIN, true, true, true),
    ("wildalias.signed.test.", 1, NOERROR, true, true, true),
    ("q.dname.signed.test.", 1, NOERROR, true, true, true),
    ("secure.signed.test.", 43, NOERROR, true, true, false),
    ("insecure.signed.test.", 43, NOERROR, true, false, true),
    ("child.signed.test.", 43, NOERROR, true, false, true),
    // The insecure child: resolved, not authenticated.
    ("www.child.signed.test.", 1, NOERROR, false, true, false),
    ("nope.child.signed.test.", 1, NXDOMAIN, false, false, false),
];

/// A Tern server with `signed` and the unsigned child loaded.
async fn serve(signed: &SignedRecords) -> (common::Core, SocketAddr) {
    let core = common::core().await;
    load_signed(&core, ORIGIN, signed).await;
    core.import_text(CHILD_ORIGIN, CHILD_ZONE).await;
    let addr = core.serve(tern_dns::AnswerConfig::default()).await;
    (core, addr)
}

fn check(
    failures: &mut Vec<String>,
    label: &str,
    reply: &common::Reply,
    rcode: u8,
    ad: bool,
    data: bool,
) {
    let got = (reply.rcode, reply.ad, !reply.answer.is_empty());
    if got != (rcode, ad, data) {
        failures.push(format!(
            "{label}: rcode/ad/data {got:?}, expected {:?}",
            (rcode, ad, data)
        ));
    }
}

async fn validate(denial: Denial) {
    let test = "validation";
    if !signing_tools(test) || !tool_available("unbound", "-V", test) {
        return;
    }
    let zone = sign(ORIGIN, ZONE, denial);
    let signed = read_signed(ORIGIN, &zone.path);
    let zones = [ORIGIN, CHILD_ORIGIN];
    let mut failures = Vec::new();

    let (_core, tern) = serve(&signed).await;
    let resolver_dir = tempfile::tempdir().expect("tempdir");
    let resolver = start_unbound(resolver_dir.path(), tern, &zone.ds, &zones).await;
    for (name, qtype, rcode, ad, data, by_cover) in SECURE {
        let opted_out = denial == Denial::Nsec3OptOut && *by_cover;
        let reply = resolve(resolver.addr, name, *qtype).await;
        let label = format!("{name} {qtype}");
        check(
            &mut failures,
            &label,
            &reply,
            *rcode,
            *ad && !opted_out,
            *data,
        );
    }

    // One signature byte flipped: that answer fails, the others stand.
    let (_tampered_core, tampered) = serve(&tamper(&signed, "www.signed.test.", 1)).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let resolver = start_unbound(dir.path(), tampered, &zone.ds, &zones).await;
    let reply = resolve(resolver.addr, "www.signed.test.", 1).await;
    check(
        &mut failures,
        "tampered www A",
        &reply,
        SERVFAIL,
        false,
        false,
    );
    let reply = resolve(resolver.addr, "txt.signed.test.", 16).await;
    check(
        &mut failures,
        "untampered txt TXT",
        &reply,
        NOERROR,
        true,
        true,
    );

    // A broken denial: the signature over the SOA of every negative answer.
    let (_soa_core, broken) = serve(&tamper(&signed, ORIGIN, 6)).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let resolver = start_unbound(dir.path(), broken, &zone.ds, &zones).await;
    let reply = resolve(resolver.addr, "nope.signed.test.", 1).await;
    check(
        &mut failures,
        "NXDOMAIN with a bad SOA signature",
        &reply,
        SERVFAIL,
        false,
        false,
    );

    // The trust anchor of another key: nothing validates.
    let other = tempfile::tempdir().expect("tempdir");
    let other_ds = ds_of(other.path(), &keygen(other.path(), ORIGIN));
    let dir = tempfile::tempdir().expect("tempdir");
    let resolver = start_unbound(dir.path(), tern, &other_ds, &zones).await;
    let reply = resolve(resolver.addr, "www.signed.test.", 1).await;
    check(
        &mut failures,
        "www A under another key",
        &reply,
        SERVFAIL,
        false,
        false,
    );

    assert!(
        failures.is_empty(),
        "{denial:?}: unbound disagrees:\n{}\nunbound log:\n{}",
        failures.join("\n"),
        std::fs::read_to_string(resolver_dir.path().join("unbound.log")).unwrap_or_default()
    );
    eprintln!(
        "{denial:?}: {} answers validated as expected",
        SECURE.len() + 4
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nsec3_answers_validate() {
    validate(Denial::Nsec3).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nsec3_opt_out_answers_validate() {
    validate(Denial::Nsec3OptOut).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nsec_answers_validate() {
    validate(Denial::Nsec).await;
}
