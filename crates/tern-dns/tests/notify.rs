//! NOTIFY out against a fake secondary (a UDP socket in the test): only
//! NOERROR acknowledges, an error RCODE is retried with back-off, logged at
//! warn with the code and counted in `/metrics`; with only the server-wide
//! transfer key configured the NOTIFY is signed, and `domain` verifies the
//! signature with the key.

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use domain::base::Message;
use domain::rdata::tsig::Time48;
use domain::tsig::{Algorithm, Key, KeyName, ServerTransaction};
use tern_core::{
    Actor, Change, ChangeSet, ChangeSource, Name, NewRecord, Rdata, RecordType, TsigKey,
};
use tern_dns::AnswerConfig;
use tern_dns::notify::NotifyDefaults;
use tokio::net::UdpSocket;

const SECRET: &str = "qpRmVv4Ck2+b4SVzbxRg4v4RbX0aRDsOyn0wxvb8S0E=";

/// Receives one NOTIFY (skipping nothing else: only the server sends here).
async fn receive(secondary: &UdpSocket) -> (Vec<u8>, SocketAddr) {
    let mut buf = vec![0u8; 2048];
    let (n, from) = tokio::time::timeout(Duration::from_secs(10), secondary.recv_from(&mut buf))
        .await
        .expect("a NOTIFY within 10 s")
        .expect("recv");
    buf.truncate(n);
    (buf, from)
}

/// The reply to `notify`: same id, QR set, `rcode`, no records.
fn reply(notify: &[u8], rcode: u8) -> Vec<u8> {
    let mut out = notify[..12].to_vec();
    out[2] |= 0x80;
    out[3] = (out[3] & 0xf0) | rcode;
    out[6..12].copy_from_slice(&[0; 6]);
    out[4..6].copy_from_slice(&[0, 0]);
    out
}

async fn add_record(core: &common::Core, zone: &tern_core::Zone, label: &str) {
    core.service
        .apply(
            zone.id,
            ChangeSet::new(vec![Change::Add(NewRecord {
                name: Name::parse_absolute(&format!("{label}.{}", zone.name)).expect("name"),
                ttl: Some(60),
                rdata: Rdata::parse_text(RecordType::A, "192.0.2.7").expect("rdata"),
                description: None,
            })]),
            &Actor::new("test", ChangeSource::Api),
        )
        .await
        .expect("commit");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_error_reply_is_retried_logged_and_counted() {
    let logs = common::logs::capture();
    let secondary = UdpSocket::bind("127.0.0.1:0").await.expect("bind");
    let core = common::core().await;
    let zone = core
        .import_text("notify.test", "$TTL 300\nwww A 192.0.2.1\n")
        .await;
    core.index.set_notify(NotifyDefaults {
        targets: vec![secondary.local_addr().expect("addr")],
        keys: Vec::new(),
    });
    core.serve(AnswerConfig::default()).await;
    add_record(&core, &zone, "new").await;

    let (first, from) = receive(&secondary).await;
    assert_eq!(first[2] >> 3 & 0x0f, 4, "opcode NOTIFY");
    secondary
        .send_to(&reply(&first, 5), from)
        .await
        .expect("REFUSED");
    let (second, from) = receive(&secondary).await;
    assert_ne!(first[..2], second[..2], "a retry carries a fresh id");
    secondary
        .send_to(&reply(&second, 0), from)
        .await
        .expect("NOERROR");

    let warned = logs
        .wait_for(
            &[
                "WARN",
                "NOTIFY answered with an error",
                "REFUSED",
                "notify.test",
            ],
            5,
        )
        .await;
    assert!(warned.is_some(), "no warning in:\n{}", logs.text());
    let mut metrics = String::new();
    for _ in 0..50 {
        metrics = core.index.render_metrics();
        if metrics.contains("tern_dns_notify_replies_total{rcode=\"NOERROR\"} 1") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        metrics.contains("tern_dns_notify_replies_total{rcode=\"REFUSED\"} 1")
            && metrics.contains("tern_dns_notify_replies_total{rcode=\"NOERROR\"} 1"),
        "{metrics}"
    );
    // Acknowledged: nothing more is sent.
    let mut buf = [0u8; 512];
    let more = tokio::time::timeout(Duration::from_secs(3), secondary.recv_from(&mut buf)).await;
    assert!(more.is_err(), "a NOTIFY was sent after NOERROR");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn notify_is_signed_with_the_server_wide_transfer_key() {
    let secondary = UdpSocket::bind("127.0.0.1:0").await.expect("bind");
    let core = common::core().await;
    let stored = TsigKey::new("xfr.notify.test", "hmac-sha256", SECRET, 0).expect("key");
    core.store
        .create_tsig_key(&stored)
        .await
        .expect("store key");
    let zone = core
        .import_text("signed.test", "$TTL 300\nwww A 192.0.2.1\n")
        .await;
    // The zone names no key; only the server's --allow-transfer-key does.
    core.index.set_notify(NotifyDefaults {
        targets: vec![secondary.local_addr().expect("addr")],
        keys: vec![Name::parse_absolute("xfr.notify.test").expect("name")],
    });
    core.serve(AnswerConfig::default()).await;
    add_record(&core, &zone, "new").await;

    let (notify, from) = receive(&secondary).await;
    let mut message = Message::from_octets(notify.clone()).expect("a DNS message");
    let key = Key::new(
        Algorithm::Sha256,
        &stored.secret,
        KeyName::from_chars("xfr.notify.test.".chars()).expect("key name"),
        None,
        None,
    )
    .expect("key");
    let verified = ServerTransaction::request(&key, &mut message, Time48::now());
    assert!(
        matches!(verified, Ok(Some(_))),
        "the NOTIFY is not signed with xfr.notify.test: {:?}",
        verified.err().map(|e| e.to_string())
    );
    secondary
        .send_to(&reply(&notify, 0), from)
        .await
        .expect("NOERROR");
}
