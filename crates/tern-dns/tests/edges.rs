//! Edges of resolution that Knot and the RFCs pin down (issue 9, defects
//! 12 and 13): a wildcard that exists only as an empty non-terminal
//! (RFC 4592 §4.9) and the length of the CNAME chains an answer follows.
//! Real sockets; `differential.rs` holds the same cases against Knot.

use tern_dns::AnswerConfig;

mod common;

use common::{parse, query, udp};

const STAR: &str = r#"$ORIGIN star.test.
$TTL 300
@          SOA   ns1 hostmaster 1 3600 600 86400 120
@          NS    ns1
ns1        A     192.0.2.1
host.*.s   A     192.0.2.9
"#;

#[tokio::test]
async fn a_wildcard_that_is_an_empty_non_terminal_answers_nodata() {
    let core = common::core().await;
    core.import_text("star.test", STAR).await;
    let addr = core.serve(AnswerConfig::default()).await;
    // `*.s.star.test` exists (it has `host.*.s` below it) but holds no
    // data: names it would synthesize get NOERROR with no answer and the
    // SOA, not NXDOMAIN (RFC 4592 §4.9), as Knot answers.
    for name in [
        "x.s.star.test",
        "host.x.s.star.test",
        "a.b.s.star.test",
        "*.s.star.test",
    ] {
        let reply = parse(&udp(addr, &query(name, 1, None)).await.expect("reply"));
        assert_eq!(reply.rcode, 0, "{name}: NOERROR, got {reply:?}");
        assert!(reply.answer.is_empty(), "{name}: no answer, got {reply:?}");
        assert_eq!(
            reply.authority.first().map(|r| r.1),
            Some(6),
            "{name}: the SOA says NODATA"
        );
    }
    // The literal name below the wildcard label is ordinary data.
    let reply = parse(
        &udp(addr, &query("host.*.s.star.test", 1, None))
            .await
            .expect("reply"),
    );
    assert_eq!(reply.answer.len(), 1, "{reply:?}");
    // Outside the wildcard's reach it is still NXDOMAIN.
    let reply = parse(
        &udp(addr, &query("x.other.star.test", 1, None))
            .await
            .expect("reply"),
    );
    assert_eq!(reply.rcode, 3, "{reply:?}");
}

const CHAIN: &str = r#"$ORIGIN chain.test.
$TTL 300
@    SOA   ns1 hostmaster 1 3600 600 86400 120
@    NS    ns1
ns1  A     192.0.2.1
c1   CNAME c2
c2   CNAME c3
c3   CNAME c4
c4   CNAME c5
c5   CNAME c6
c6   CNAME c7
c7   CNAME c8
c8   CNAME c9
c9   CNAME www
www  A     192.0.2.10
"#;

#[tokio::test]
async fn cname_chains_stop_after_five_cnames() {
    let core = common::core().await;
    core.import_text("chain.test", CHAIN).await;
    let addr = core.serve(AnswerConfig::default()).await;
    let ask = |name: &'static str| async move {
        parse(&udp(addr, &query(name, 1, None)).await.expect("reply"))
    };
    // Five CNAMEs and the address they lead to: answered in full.
    let reply = ask("c5.chain.test").await;
    let types: Vec<u16> = reply.answer.iter().map(|r| r.1).collect();
    assert_eq!(types, [5, 5, 5, 5, 5, 1], "{reply:?}");
    // Nine: the first five, then the answer stops (NOERROR, as Knot
    // answers; the resolver asks again for the last target).
    let reply = ask("c1.chain.test").await;
    assert_eq!(reply.rcode, 0);
    let owners: Vec<&str> = reply.answer.iter().map(|r| r.0.as_str()).collect();
    assert_eq!(
        owners,
        [
            "c1.chain.test.",
            "c2.chain.test.",
            "c3.chain.test.",
            "c4.chain.test.",
            "c5.chain.test."
        ],
        "{reply:?}"
    );
    assert!(reply.answer.iter().all(|r| r.1 == 5), "{reply:?}");
}
