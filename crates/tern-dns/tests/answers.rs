//! The nameserver over real sockets: zones imported through `ZoneService`
//! into a real SQLite store, answered by `DnsServer` on loopback, queried by
//! a small client here (and by `dig` where installed). Covers authoritative
//! semantics, EDNS and errors, TCP, and read-your-writes after a commit.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tern_core::{
    Actor, Change, ChangeSet, ChangeSource, Name, NewRecord, Organisation, Rdata, RecordType,
    ZoneService, ZoneStatus, ZoneUpdate,
};
use tern_dns::AnswerConfig;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

mod common;

use common::{Reply, parse, query, tcp, udp};

struct Fixture {
    service: Arc<ZoneService>,
    addr: SocketAddr,
    org: Organisation,
    _core: common::Core,
}

impl Fixture {
    async fn zone(&self, name: &str) -> tern_core::Zone {
        self.service
            .zone_by_name(
                Some(self.org.id),
                &Name::parse_absolute(name).expect("name"),
            )
            .await
            .expect("zone")
    }
}

async fn fixture(zones: &[&str]) -> Fixture {
    fixture_with(zones, AnswerConfig::default()).await
}

async fn fixture_with(zones: &[&str], config: AnswerConfig) -> Fixture {
    let core = common::core().await;
    // Some zones exist before the server starts (loaded at start), the
    // rest are created while it runs (applied from commits).
    let (before, after) = zones.split_at(zones.len() / 2);
    for zone in before {
        core.import(zone).await;
    }
    let addr = core.serve(config).await;
    for zone in after {
        core.import(zone).await;
    }
    Fixture {
        service: core.service.clone(),
        addr,
        org: core.org.clone(),
        _core: core,
    }
}

async fn ask(addr: SocketAddr, name: &str, qtype: RecordType) -> Reply {
    parse(
        &udp(addr, &query(name, qtype.0, Some((1232, 0))))
            .await
            .expect("an answer"),
    )
}

fn types(rrs: &[(String, u16, String)]) -> Vec<u16> {
    rrs.iter().map(|r| r.1).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn authoritative_semantics() {
    let f = fixture(&["example.com", "test.com", "wtest.com", "dnssec-parent.com"]).await;
    let a = f.addr;

    let r = ask(a, "outpost.example.com", RecordType::A).await;
    assert!(r.aa && r.rcode == 0, "{r:?}");
    assert_eq!(
        r.answer,
        vec![("outpost.example.com.".into(), 1, "192.168.2.1".into())]
    );

    // CNAME chain inside the zone is followed.
    let r = ask(a, "www.example.com", RecordType::A).await;
    assert_eq!(types(&r.answer), vec![5, 1], "{r:?}");

    // NXDOMAIN and NODATA carry the SOA with TTL min(SOA TTL, MINIMUM).
    let r = ask(a, "nonexistent.example.com", RecordType::A).await;
    assert_eq!(r.rcode, 3);
    assert_eq!(r.authority.len(), 1);
    assert_eq!(r.authority[0].1, 6);
    let r = ask(a, "outpost.example.com", RecordType::AAAA).await;
    assert_eq!(
        (r.rcode, r.answer.len(), r.authority[0].1),
        (0, 0, 6),
        "{r:?}"
    );

    // Wildcards: a chain of synthesized CNAMEs, each owned by the name asked.
    let r = ask(a, "a.b.w1.example.com", RecordType::A).await;
    assert_eq!(types(&r.answer), vec![5, 5, 5, 5, 1], "{r:?}");
    assert_eq!(r.answer[0].0, "a.b.w1.example.com.");
    // `host.*.sub` is a literal label, not a wildcard.
    let r = ask(a, "host.*.sub.example.com", RecordType::A).await;
    assert_eq!(r.answer.len(), 1, "{r:?}");
    // It makes `*.sub` an empty non-terminal, which matches `host.x.sub`
    // and holds no data: NODATA (RFC 4592 §4.9), not NXDOMAIN.
    let r = ask(a, "host.x.sub.example.com", RecordType::A).await;
    assert_eq!(
        (r.rcode, r.answer.len()),
        (0, 0),
        "host.*.sub does not match host.x.sub: {r:?}"
    );

    // Empty non-terminal: NODATA, not NXDOMAIN.
    let r = ask(a, "auth-ent.dnssec-parent.com", RecordType::A).await;
    assert_eq!((r.rcode, r.answer.len()), (0, 0), "{r:?}");

    // Referral: no AA, NS in authority, in-bailiwick glue in additional.
    let r = ask(a, "www.delegated.dnssec-parent.com", RecordType::A).await;
    assert!(!r.aa && r.rcode == 0 && r.answer.is_empty(), "{r:?}");
    assert_eq!(types(&r.authority), vec![2, 2]);
    assert_eq!(types(&r.additional), vec![1, 1], "{r:?}");
    // DS at the cut is answered by the parent, authoritatively.
    let r = ask(a, "secure-delegated.dnssec-parent.com", RecordType::DS).await;
    assert!(r.aa && r.answer.len() == 1 && r.answer[0].1 == 43, "{r:?}");

    // MX targets inside the zone get their addresses in additional.
    let r = ask(a, "example.com", RecordType::MX).await;
    assert_eq!(r.answer.len(), 2);
    assert!(
        r.additional
            .iter()
            .any(|x| x.0 == "smtp-servers.example.com."),
        "{r:?}"
    );

    // The SOA is generated from the zone's settings.
    let r = ask(a, "example.com", RecordType::SOA).await;
    assert_eq!(r.answer.len(), 1);
    assert!(
        r.answer[0]
            .2
            .starts_with("ns1.example.com. ahu.example.com. 2847484148 "),
        "{r:?}"
    );

    // DNAME (RFC 6672): the DNAME, a synthesized CNAME, and no further
    // (the target is in another zone).
    let r = ask(a, "foo.d.test.com", RecordType::A).await;
    assert_eq!(types(&r.answer), vec![39, 5], "{r:?}");
    assert_eq!(r.answer[1].0, "foo.d.test.com.");
    assert_eq!(r.answer[1].2, "foo.d2.test2.com.");
    let r = ask(a, "d.test.com", RecordType::DNAME).await;
    assert_eq!(types(&r.answer), vec![39], "the DNAME owner itself: {r:?}");

    // Names outside every served zone: REFUSED.
    let r = ask(a, "www.example.org", RecordType::A).await;
    assert_eq!((r.rcode, r.aa), (5, false));

    // The question keeps the client's case (0x20).
    let msg = query("OutPost.ExAmple.COM", 1, None);
    let r = parse(&udp(a, &msg).await.expect("answer"));
    assert_eq!(r.question_bytes, msg[12..].to_vec());
    assert_eq!(r.answer.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn edns_errors_and_tcp() {
    let f = fixture(&["example.com", "test.com"]).await;
    let a = f.addr;

    // BADVERS for EDNS version 1.
    let r = parse(
        &udp(a, &query("example.com", 6, Some((1232, 1))))
            .await
            .expect("answer"),
    );
    assert_eq!(r.opt_rcode_high, Some(1), "{r:?}");

    // FORMERR for two questions; nothing at all for a response or a stub.
    let mut two = query("example.com", 1, None);
    two[5] = 2;
    let r = udp(a, &two).await.expect("answer");
    assert_eq!(r[3] & 0x0f, 1);
    let mut response = query("example.com", 1, None);
    response[2] |= 0x80;
    assert!(udp(a, &response).await.is_none());
    assert!(udp(a, &[1, 2, 3]).await.is_none());

    // NOTIMP for UPDATE (opcode 5); REFUSED for NOTIFY, class CH and AXFR.
    let mut update = query("example.com", 6, None);
    update[2] = 5 << 3;
    assert_eq!(udp(a, &update).await.expect("answer")[3] & 0x0f, 4);
    // NOTIFY is understood (no NOTIMP) but refused: no zone here is a
    // secondary; the answer keeps the opcode.
    let mut notify = query("example.com", 6, None);
    notify[2] = (4 << 3) | 0x04;
    let reply = udp(a, &notify).await.expect("answer");
    assert_eq!((reply[3] & 0x0f, reply[2] >> 3 & 0x0f), (5, 4));
    let mut chaos = query("version.bind", 16, None);
    let n = chaos.len();
    chaos[n - 1] = 3;
    assert_eq!(udp(a, &chaos).await.expect("answer")[3] & 0x0f, 5);
    assert_eq!(
        udp(a, &query("example.com", 252, None))
            .await
            .expect("answer")[3]
            & 0x0f,
        5
    );

    // A large RRset: truncated over plain UDP, whole over TCP.
    let big = ask(a, "example.com", RecordType::A).await; // sanity
    assert_eq!(big.rcode, 0);
    let name = "toomuchinfo-b.example.com";
    let plain = parse(&udp(a, &query(name, 1, None)).await.expect("answer"));
    let replies = tcp(
        a,
        &[query(name, 1, None), query("outpost.example.com", 1, None)],
    )
    .await;
    let whole = parse(&replies[0]);
    assert!(
        !whole.tc && whole.answer.len() > 20,
        "{}",
        whole.answer.len()
    );
    assert!(plain.tc && plain.answer.is_empty(), "{plain:?}");
    assert_eq!(
        parse(&replies[1]).answer.len(),
        1,
        "pipelined second answer"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_commit_is_answered_as_soon_as_it_returns() {
    let f = fixture(&["minimal.com", "stest.com"]).await;
    let actor = Actor::new("test", ChangeSource::Api);
    let zone = f.zone("minimal.com").await;
    for i in 0..20 {
        let name = format!("new{i}.minimal.com");
        f.service
            .apply(
                zone.id,
                ChangeSet::new(vec![Change::Add(NewRecord {
                    name: Name::parse_absolute(&name).expect("name"),
                    ttl: Some(60),
                    rdata: Rdata::parse_text(RecordType::A, &format!("192.0.2.{i}"))
                        .expect("rdata"),
                    description: None,
                })]),
                &actor,
            )
            .await
            .expect("commit");
        // No sleep, no retry: the first query after the commit sees it.
        let r = ask(f.addr, &name, RecordType::A).await;
        assert_eq!(r.answer.len(), 1, "{name}: {r:?}");
        let soa = ask(f.addr, "minimal.com", RecordType::SOA).await;
        let serial = f.service.zone(zone.id).await.expect("zone").serial;
        assert!(soa.answer[0].2.contains(&format!(" {serial} ")), "{soa:?}");
    }
    // Deactivated zones are not served; reactivated ones are again.
    let update = |status| ZoneUpdate {
        status: Some(status),
        ..ZoneUpdate::default()
    };
    f.service
        .apply_zone_update(zone.id, update(ZoneStatus::Inactive), &actor)
        .await
        .expect("deactivate");
    assert_eq!(ask(f.addr, "minimal.com", RecordType::SOA).await.rcode, 5);
    f.service
        .apply_zone_update(zone.id, update(ZoneStatus::Active), &actor)
        .await
        .expect("activate");
    let mut served = false;
    for _ in 0..100 {
        if ask(f.addr, "new3.minimal.com", RecordType::A)
            .await
            .answer
            .len()
            == 1
        {
            served = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(served, "reactivated zone is served again with its records");
    // A zone imported while the server runs is served (stest.com was).
    assert_eq!(
        ask(f.addr, "stest.com", RecordType::SOA).await.answer.len(),
        1
    );
}

/// `dig` against the server, as a user would check it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dig_sees_the_zone() {
    let has_dig = std::process::Command::new("dig").arg("-v").output().is_ok();
    if !has_dig {
        if std::env::var("CI").as_deref() == Ok("true") {
            panic!("dig (bind9-dnsutils) is required in CI");
        }
        // Straight to stderr: libtest hides `eprintln!` of passing tests.
        let _ = std::io::Write::write_all(
            &mut std::io::stderr(),
            b"SKIP: dig not installed; dig_sees_the_zone skipped\n",
        );
        return;
    }
    let f = fixture(&["example.com", "test.com"]).await;
    let port = f.addr.port().to_string();
    let addr = f.addr.ip().to_string();
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new("dig")
            .args([
                &format!("@{addr}"),
                "-p",
                &port,
                "+norec",
                "+tcp",
                "www.example.com",
                "A",
            ])
            .output()
    })
    .await
    .expect("join")
    .expect("dig runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("status: NOERROR") && text.contains("flags: qr aa"),
        "{text}"
    );
    assert!(
        text.contains("outpost.example.com.\t120\tIN\tA\t192.168.2.1"),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chaos_identity_only_when_enabled() {
    let config = AnswerConfig {
        chaos: Some(tern_dns::ChaosIdentity {
            id: "ns-test-1".into(),
            version: "tern test".into(),
        }),
        ..AnswerConfig::default()
    };
    let f = fixture_with(&["minimal.com", "stest.com"], config).await;
    let mut q = query("id.server", 16, None);
    let n = q.len();
    q[n - 1] = 3; // class CH
    let reply = udp(f.addr, &q).await.expect("answer");
    let r = parse(&reply);
    assert_eq!((r.rcode, r.answer.len()), (0, 1), "{r:?}");
    assert_eq!(r.answer[0].2, "\"ns-test-1\"");
    // The record's class is CH.
    // (rdata: 10 octets, rdlength 2, TTL 4, then the class)
    let class_at = reply.len() - 10 - 2 - 4 - 2;
    assert_eq!(&reply[class_at..class_at + 2], &[0, 3]);
    // Other CHAOS names stay refused.
    let mut q = query("authors.bind", 16, None);
    let n = q.len();
    q[n - 1] = 3;
    assert_eq!(udp(f.addr, &q).await.expect("answer")[3] & 0x0f, 5);
}

/// Reads one framed message from a TCP stream.
async fn read_framed(stream: &mut TcpStream) -> Vec<u8> {
    let mut len = [0u8; 2];
    stream.read_exact(&mut len).await.expect("length");
    let mut body = vec![0u8; u16::from_be_bytes(len) as usize];
    stream.read_exact(&mut body).await.expect("body");
    body
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn zone_transfer_needs_an_acl() {
    let f = fixture(&["example.com", "test.com"]).await;
    let axfr = query("example.com", 252, None);
    // Refused by default, over TCP and UDP.
    let mut stream = TcpStream::connect(f.addr).await.expect("connect");
    stream
        .write_all(&(axfr.len() as u16).to_be_bytes())
        .await
        .expect("write");
    stream.write_all(&axfr).await.expect("write");
    assert_eq!(read_framed(&mut stream).await[3] & 0x0f, 5);
    assert_eq!(udp(f.addr, &axfr).await.expect("answer")[3] & 0x0f, 5);

    // Allowed for loopback through the zone's settings.
    let actor = Actor::new("test", ChangeSource::Api);
    let zone = f.zone("example.com").await;
    let bad = ZoneUpdate {
        settings: Some(serde_json::json!({"transfer_allow": ["127.0.0.1/40"]})),
        ..ZoneUpdate::default()
    };
    let err = f
        .service
        .apply_zone_update(zone.id, bad, &actor)
        .await
        .expect_err("bad ACL");
    assert!(err.to_string().contains("settings.transfer_allow"), "{err}");
    let update = ZoneUpdate {
        settings: Some(serde_json::json!({"transfer_allow": ["127.0.0.0/8"]})),
        ..ZoneUpdate::default()
    };
    f.service
        .apply_zone_update(zone.id, update, &actor)
        .await
        .expect("set ACL");
    let records = f
        .service
        .store()
        .record_count(zone.id)
        .await
        .expect("count") as usize;
    let serial = f.service.zone(zone.id).await.expect("zone").serial;

    let mut stream = TcpStream::connect(f.addr).await.expect("connect");
    stream
        .write_all(&(axfr.len() as u16).to_be_bytes())
        .await
        .expect("write");
    stream.write_all(&axfr).await.expect("write");
    let mut transferred = Vec::new();
    let mut messages = 0;
    loop {
        let reply = parse(&read_framed(&mut stream).await);
        assert_eq!(reply.rcode, 0, "{reply:?}");
        messages += 1;
        transferred.extend(reply.answer);
        if transferred.len() > 1 && transferred.last().is_some_and(|r| r.1 == 6) {
            break;
        }
    }
    assert!(messages > 1, "a 20,000-record zone takes several messages");
    assert_eq!(transferred.first().map(|r| r.1), Some(6));
    assert_eq!(transferred.len(), records + 2, "SOA, every record, SOA");
    assert!(transferred[0].2.contains(&format!(" {serial} ")));

    // IXFR from the current serial: one SOA, nothing to send.
    let ixfr = common::ixfr_query("example.com", serial);
    let replies = tcp(f.addr, std::slice::from_ref(&ixfr)).await;
    let reply = parse(&replies[0]);
    assert_eq!(reply.answer.len(), 1, "{reply:?}");
    assert_eq!(reply.answer[0].1, 6);

    // After a change, IXFR from that serial sends just the difference
    // (RFC 1995 §4): SOA new, SOA old, (removed), SOA new, added, SOA new.
    f.service
        .apply(
            zone.id,
            ChangeSet::new(vec![Change::Add(NewRecord {
                name: Name::parse_absolute("ixfr-new.example.com").expect("name"),
                ttl: Some(60),
                rdata: Rdata::parse_text(RecordType::A, "192.0.2.99").expect("rdata"),
                description: None,
            })]),
            &actor,
        )
        .await
        .expect("change");
    let replies = tcp(f.addr, &[ixfr]).await;
    let reply = parse(&replies[0]);
    assert_eq!(types(&reply.answer), vec![6, 6, 6, 1, 6], "{reply:?}");
    assert!(
        reply.answer[1].2.contains(&format!(" {serial} ")),
        "old serial: {reply:?}"
    );
    assert_eq!(reply.answer[3].0, "ixfr-new.example.com.");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batched_udp_answers_bursts_and_refuses_oversize_datagrams() {
    let f = fixture(&["example.com"]).await;
    // A burst from one socket: the batched receive takes several per call
    // and every query still gets its own answer, to its own id.
    let socket = tokio::net::UdpSocket::bind("127.0.0.1:0")
        .await
        .expect("bind");
    for id in 0..64u16 {
        let mut q = query("example.com", 6, None);
        q[..2].copy_from_slice(&id.to_be_bytes());
        socket.send_to(&q, f.addr).await.expect("send");
    }
    let mut ids = std::collections::BTreeSet::new();
    let mut buf = vec![0u8; 4096];
    while ids.len() < 64 {
        let n = tokio::time::timeout(Duration::from_secs(2), socket.recv(&mut buf))
            .await
            .expect("every query answered")
            .expect("recv");
        assert_eq!(parse(&buf[..n]).rcode, 0);
        ids.insert(u16::from_be_bytes([buf[0], buf[1]]));
    }
    // Longer than any query the server reads whole: FORMERR, not silence.
    let mut huge = query("example.com", 1, None);
    huge.resize(6000, 0);
    let reply = udp(f.addr, &huge).await.expect("answer");
    assert_eq!(reply[3] & 0x0f, 1, "FORMERR");
    assert_eq!(reply[..2], huge[..2]);
}
