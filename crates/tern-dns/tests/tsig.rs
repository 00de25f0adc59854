//! TSIG (RFC 8945) against a real peer: kdig signs its queries and checks
//! every signature of the answers, so a multi-message AXFR, a signed SOA
//! query over UDP and the refusals (no key, unknown key, wrong secret, a key
//! the zone does not allow) are checked by an independent implementation.
//! Required in CI; SKIP elsewhere without kdig.

mod common;

use std::net::SocketAddr;
use std::process::Command;

use common::tool_available;
use tern_core::{
    Actor, Change, ChangeSet, ChangeSource, Name, NewRecord, NewZone, Rdata, RecordType, TsigKey,
    ZoneUpdate,
};
use tern_dns::AnswerConfig;

const SECRET_512: &str =
    "V5+Kc3ZSVbvFP6nuw/3ip1ZtnvjlsDzAbmoAsFM0uafhXwnLHBlHNlFuNWzFJ8E4AVmG4Pn9zW8E0ZLiKxe5cw==";
const SECRET_256: &str = "qpRmVv4Ck2+b4SVzbxRg4v4RbX0aRDsOyn0wxvb8S0E=";
/// Enough records that the AXFR spans several 16 KiB messages, each of
/// which must carry its own TSIG (RFC 8945 §5.3.1).
const RECORDS: usize = 3000;

struct Kdig {
    server: SocketAddr,
}

impl Kdig {
    /// Runs kdig with `args`; returns its whole output.
    fn run(&self, args: &[&str]) -> String {
        let output = Command::new("kdig")
            .arg(format!("@{}", self.server.ip()))
            .arg("-p")
            .arg(self.server.port().to_string())
            .args(["+nocrypto", "+time=5", "+retry=0"])
            .args(args)
            .output()
            .expect("run kdig");
        format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    }
}

fn status(output: &str) -> &str {
    output
        .split("status: ")
        .nth(1)
        .and_then(|rest| rest.split([',', ';']).next())
        .unwrap_or("<none>")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kdig_checks_signed_transfers_and_queries() {
    if !tool_available("kdig", "-V", "TSIG test") {
        return;
    }
    let core = common::core().await;
    let actor = Actor::new("test", ChangeSource::Api);
    for (name, algorithm, secret) in [
        ("xfr.tsig.test", "hmac-sha512", SECRET_512),
        ("other.tsig.test", "hmac-sha256", SECRET_256),
    ] {
        let key = TsigKey::new(name, algorithm, secret, 0).expect("key");
        core.store.create_tsig_key(&key).await.expect("store key");
    }
    let zone = core
        .service
        .create_zone(
            NewZone::new(
                Name::parse_absolute("tsig.test").expect("name"),
                core.org.id,
            ),
            &actor,
        )
        .await
        .expect("zone");
    let records = (0..RECORDS)
        .map(|n| {
            Change::Add(NewRecord {
                name: Name::parse_absolute(&format!("host-{n}.tsig.test")).expect("name"),
                ttl: Some(300),
                rdata: Rdata::parse_text(RecordType::A, &format!("10.0.{}.{}", n / 250, n % 250))
                    .expect("rdata"),
                description: None,
            })
        })
        .collect();
    core.service
        .apply(zone.id, ChangeSet::new(records), &actor)
        .await
        .expect("records");
    core.service
        .apply_zone_update(
            zone.id,
            ZoneUpdate {
                settings: Some(serde_json::json!({"transfer_keys": ["xfr.tsig.test"]})),
                ..ZoneUpdate::default()
            },
            &actor,
        )
        .await
        .expect("transfer settings");
    let kdig = Kdig {
        server: core.serve(AnswerConfig::default()).await,
    };
    let allowed = format!("hmac-sha512:xfr.tsig.test:{SECRET_512}");

    // A signed AXFR: every message verified by kdig, every record there.
    let axfr = kdig.run(&["-y", &allowed, "AXFR", "tsig.test"]);
    assert!(
        !axfr.contains("WARNING") && !axfr.contains("failed"),
        "{axfr}"
    );
    let messages = axfr
        .lines()
        .find_map(|l| l.strip_prefix(";; Received "))
        .unwrap_or_default();
    let a_records = axfr.lines().filter(|l| l.contains("\tA\t")).count();
    assert_eq!(a_records, RECORDS, "{messages}");
    let message_count: usize = messages
        .split(" (")
        .nth(1)
        .and_then(|m| m.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    assert!(
        message_count > 1,
        "expected a multi-message AXFR: {messages}"
    );

    // A signed SOA query over UDP gets a signed answer (what a secondary's
    // refresh check sends).
    let soa = kdig.run(&["-y", &allowed, "SOA", "tsig.test"]);
    assert_eq!(status(&soa), "NOERROR", "{soa}");
    assert!(soa.contains("TSIG PSEUDOSECTION"), "{soa}");
    assert!(!soa.contains("WARNING"), "{soa}");

    // Unsigned: the zone wants a key.
    let unsigned = kdig.run(&["AXFR", "tsig.test"]);
    assert!(unsigned.contains("REFUSED"), "{unsigned}");
    // A key the server knows, but not one this zone allows.
    let other = kdig.run(&[
        "-y",
        &format!("hmac-sha256:other.tsig.test:{SECRET_256}"),
        "AXFR",
        "tsig.test",
    ]);
    assert!(other.contains("REFUSED"), "{other}");
    assert!(
        !other.contains("WARNING"),
        "refusal must be signed: {other}"
    );
    // Right name, wrong secret; and a key nobody configured. kdig shows the
    // TSIG error in place of the header's NOTAUTH.
    let wrong_secret = kdig.run(&[
        "-y",
        &format!("hmac-sha512:xfr.tsig.test:{SECRET_256}"),
        "SOA",
        "tsig.test",
    ]);
    assert_eq!(status(&wrong_secret), "BADSIG", "{wrong_secret}");
    let unknown = kdig.run(&[
        "-y",
        &format!("hmac-sha256:nobody.tsig.test:{SECRET_256}"),
        "SOA",
        "tsig.test",
    ]);
    assert_eq!(status(&unknown), "BADKEY", "{unknown}");

    // Unsigned queries are unaffected.
    let plain = kdig.run(&["A", "host-7.tsig.test"]);
    assert_eq!(status(&plain), "NOERROR", "{plain}");
    assert!(plain.contains("10.0.0.7"), "{plain}");
}
