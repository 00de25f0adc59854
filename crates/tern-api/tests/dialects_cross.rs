//! One core under every face: a record written through each seed dialect is
//! seen through every other one and the native API, and the nameserver
//! answers it as soon as the write returns.

mod common;

use std::sync::Arc;

use common::each_engine;
use reqwest::Method;
use serde_json::{Value, json};

/// Answer count for `name` A from the nameserver at `addr`.
async fn answers(addr: std::net::SocketAddr, name: &str) -> u16 {
    let mut q = vec![0x12, 0x34, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0];
    for label in name.trim_end_matches('.').split('.') {
        q.push(label.len() as u8);
        q.extend_from_slice(label.as_bytes());
    }
    q.extend_from_slice(&[0, 0, 1, 0, 1]);
    let socket = tokio::net::UdpSocket::bind("127.0.0.1:0")
        .await
        .expect("bind");
    socket.send_to(&q, addr).await.expect("send");
    let mut buf = [0u8; 1500];
    let n = tokio::time::timeout(std::time::Duration::from_secs(2), socket.recv(&mut buf))
        .await
        .expect("answer")
        .expect("recv");
    assert!(n >= 12);
    u16::from_be_bytes([buf[6], buf[7]])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_face_sees_every_write() {
    each_engine(|api| async move {
        // The nameserver follows this server's commits.
        let index = tern_dns::ZoneIndex::new(api.service.store().clone());
        api.service
            .add_listener(Arc::new(tern_dns::IndexListener(index.clone())));
        index.load_all().await.expect("load");
        let server = tern_dns::DnsServer::bind(&["127.0.0.1:0".parse().expect("addr")])
            .await
            .expect("bind");
        let dns = server.local_addrs()[0];
        server
            .spawn(index, tern_dns::AnswerConfig::default())
            .expect("serve");

        let t = &api.acme_token;
        let zone = api.zone("cross.test", t).await;
        let thalassa = |method: Method, path: String, body: Option<Value>| {
            let api = api.clone();
            async move {
                let mut request = api
                    .client
                    .request(method, format!("{}{path}", api.base))
                    .bearer_auth(&api.acme_token)
                    .header("X-Organisation-Identity", "acme");
                if let Some(body) = body {
                    request = request.json(&body);
                }
                let response = request.send().await.expect("request");
                (
                    response.status().as_u16(),
                    response.json::<Value>().await.unwrap_or(Value::Null),
                )
            }
        };

        // One write per face, each answered at once by the nameserver.
        let writes: Vec<(&str, u16)> = vec![
            (
                "native",
                api.post(
                    &format!("/api/v1/domains/{zone}/records"),
                    t,
                    json!({"name": "native", "type": "A", "content": "192.0.2.1"}),
                )
                .await
                .0
                .as_u16(),
            ),
            (
                "vps",
                api.post(
                    &format!("/api/v1/dns-zones/{zone}/records/"),
                    t,
                    json!({"record_type": "A", "name": "vps", "value": "192.0.2.2"}),
                )
                .await
                .0
                .as_u16(),
            ),
            (
                "pocket",
                api.post(
                    &format!("/api/v1/domains/{zone}/dns"),
                    t,
                    json!({"type": "A", "name": "pocket", "content": "192.0.2.3"}),
                )
                .await
                .0
                .as_u16(),
            ),
            (
                "designate",
                api.post(
                    &format!("/v1/domains/{zone}/records"),
                    t,
                    json!({"name": "designate.cross.test.", "type": "A", "data": "192.0.2.4"}),
                )
                .await
                .0
                .as_u16(),
            ),
            (
                "thalassa",
                thalassa(
                    Method::POST,
                    "/v1/dns/zones/cross.test/records".into(),
                    Some(json!({"name": "thalassa", "type": "A", "values": ["192.0.2.5"]})),
                )
                .await
                .0,
            ),
        ];
        for (label, status) in &writes {
            assert!(matches!(status, 200 | 201), "{label}: {status}");
            assert_eq!(
                answers(dns, &format!("{label}.cross.test")).await,
                1,
                "{label} answered at once"
            );
        }

        // Every face lists all five.
        let names = ["native", "vps", "pocket", "designate", "thalassa"];
        let (_, native) = api
            .get(&format!("/api/v1/domains/{zone}/records?type=A"), t)
            .await;
        let (_, vps) = api
            .get(&format!("/api/v1/dns-zones/{zone}/records/"), t)
            .await;
        let (_, pocket) = api.get(&format!("/api/v1/domains/{zone}/dns"), t).await;
        let (_, designate) = api.get(&format!("/v1/domains/{zone}/records"), t).await;
        let (_, thal) =
            thalassa(Method::GET, "/v1/dns/zones/cross.test/records".into(), None).await;
        for (face, body) in [
            ("native", &native),
            ("vps", &vps),
            ("pocket", &pocket),
            ("designate", &designate),
            ("thalassa", &thal),
        ] {
            let text = body.to_string();
            for name in names {
                assert!(text.contains(name), "{face} does not show {name}: {text}");
            }
        }
        // A change through one face is what the next face reads.
        let rid = vps
            .as_array()
            .and_then(|r| r.iter().find(|r| r["name"] == "pocket"))
            .and_then(|r| r["uuid"].as_str())
            .expect("pocket via vps")
            .to_string();
        let (s, _) = api
            .patch(
                &format!("/api/v1/dns-records/{rid}/"),
                t,
                json!({"value": "192.0.2.33"}),
            )
            .await;
        assert_eq!(s, 200);
        let (_, seen) = api
            .get(&format!("/v1/domains/{zone}/records/{rid}"), t)
            .await;
        assert_eq!(seen["data"], "192.0.2.33");
        let (s, _) = thalassa(
            Method::DELETE,
            "/v1/dns/zones/cross.test/records/pocket/A".into(),
            None,
        )
        .await;
        assert_eq!(s, 204);
        assert_eq!(answers(dns, "pocket.cross.test").await, 0);
        assert_eq!(
            api.get(&format!("/api/v1/domains/{zone}/dns/{rid}"), t)
                .await
                .0,
            405,
            "PocketDNS has no GET by id; the record is gone anyway"
        );
    })
    .await;
}
