//! Sizes of signed answers over UDP: a DO answer that does not fit the
//! client's EDNS payload is truncated (TC, retried over TCP, where it comes
//! whole), except that RRSIGs of the additional section are left out
//! rather than truncate an answer (RFC 4035 §3.1.1).

mod common;

use common::signed::{
    Denial, ORIGIN, ZONE, load_signed, read_signed, sign, signing_tools, with_do,
};
use common::{parse, query, tcp, udp};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signed_answers_fit_or_truncate() {
    if !signing_tools("signed_sizes") {
        return;
    }
    let zone = sign(ORIGIN, ZONE, Denial::Nsec3);
    let core = common::core().await;
    load_signed(&core, ORIGIN, &read_signed(ORIGIN, &zone.path)).await;
    let tern = core.serve(tern_dns::AnswerConfig::default()).await;

    // NXDOMAIN with its SOA, three NSEC3 and four RRSIGs: past 512 octets.
    let small = with_do(query("nope.signed.test.", 1, Some((512, 0))));
    let reply = udp(tern, &small).await.expect("answer");
    assert!(reply.len() <= 512);
    let truncated = parse(&reply);
    assert!(truncated.tc, "{truncated:?}");
    assert_eq!(truncated.authority.len(), 0, "no partial answer");
    let whole = parse(&tcp(tern, &[small]).await[0]);
    assert!(!whole.tc);
    assert_eq!(whole.rcode, 3);
    assert_eq!(
        whole.authority.iter().filter(|r| r.1 == 50).count(),
        3,
        "{whole:?}"
    );
    let big = with_do(query("nope.signed.test.", 1, Some((1232, 0))));
    let fits = parse(&udp(tern, &big).await.expect("answer"));
    assert!(!fits.tc && fits.authority.len() == whole.authority.len());

    // Three MX targets: their addresses fit 512 octets, their RRSIGs not.
    let full = udp(
        tern,
        &with_do(query("mx3.signed.test.", 15, Some((1232, 0)))),
    )
    .await
    .expect("answer");
    assert!(full.len() > 512, "the test needs an answer past 512 octets");
    let full = parse(&full);
    assert!(full.additional.iter().any(|r| r.1 == 46));
    let reply = udp(
        tern,
        &with_do(query("mx3.signed.test.", 15, Some((512, 0)))),
    )
    .await
    .expect("answer");
    assert!(reply.len() <= 512);
    let reply = parse(&reply);
    assert!(!reply.tc, "no TC for additional RRSIGs alone");
    assert_eq!(reply.answer, full.answer, "the answer and its RRSIGs stay");
    let addresses: Vec<_> = full.additional.iter().filter(|r| r.1 != 46).collect();
    assert_eq!(reply.additional.iter().collect::<Vec<_>>(), addresses);
}
