//! Record content rules through every API face (issue 9): unquoted TXT is
//! one character-string and quoted TXT is presentation (defect 11); RDATA
//! over 65,535 octets is refused on every write path (defect 8); single-label
//! targets without a trailing dot are refused with a hint, and an MX without
//! priority says only that (the newcomer findings).

mod common;

use common::{Api, each_engine};
use reqwest::Method;
use serde_json::{Value, json};

/// Every API face that takes record content.
const FACES: [&str; 8] = [
    "native records",
    "native rrsets",
    "native changes",
    "template",
    "thalassa values",
    "vps.org value",
    "designate data",
    "pocketdns content",
];

async fn thalassa(api: &Api, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
    let mut request = api
        .client
        .request(method, format!("{}{path}", api.base))
        .bearer_auth(&api.acme_token)
        .header("X-Organisation-Identity", "acme");
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.expect("request");
    let status = response.status().as_u16();
    let text = response.text().await.expect("body");
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

/// Writes one record `name` (relative to `zone`) of `rtype` with `content`
/// through `face`; returns the status and body.
async fn write(
    api: &Api,
    face: &str,
    (zid, zone): (&str, &str),
    name: &str,
    rtype: &str,
    content: &str,
) -> (u16, Value) {
    let t = &api.acme_token;
    // MX takes its priority separately on every face but Thalassa.
    let priority = (rtype == "MX").then_some(10);
    let (s, b) = match face {
        "native records" => {
            api.post(
                &format!("/api/v1/domains/{zid}/records"),
                t,
                json!({"name": name, "type": rtype, "content": content, "priority": priority}),
            )
            .await
        }
        "native rrsets" => {
            api.put(
                &format!("/api/v1/domains/{zid}/rrsets/{name}/{rtype}"),
                t,
                json!({"records": [{"content": content, "priority": priority}]}),
            )
            .await
        }
        "native changes" => {
            api.post(
                &format!("/api/v1/domains/{zid}/changes"),
                t,
                json!({"changes": [{"op": "create", "name": name, "type": rtype, "content": content, "priority": priority}]}),
            )
            .await
        }
        "template" => {
            let (s, tpl) = api
                .post(
                    "/api/v1/templates",
                    t,
                    json!({"name": format!("tpl {name}"), "records": [{"name": name, "type": rtype, "content": content, "priority": priority}]}),
                )
                .await;
            if s.as_u16() != 201 {
                return (s.as_u16(), tpl);
            }
            api.post(
                &format!("/api/v1/domains/{zid}/apply-template"),
                t,
                json!({"template_id": tpl["id"]}),
            )
            .await
        }
        "thalassa values" => {
            let value = match priority {
                Some(p) => format!("{p} {content}"),
                None => content.to_string(),
            };
            return thalassa(
                api,
                Method::POST,
                &format!("/v1/dns/zones/{zone}/records"),
                Some(json!({"name": name, "type": rtype, "values": [value]})),
            )
            .await;
        }
        "vps.org value" => {
            api.post(
                &format!("/api/v1/dns-zones/{zid}/records/"),
                t,
                json!({"record_type": rtype, "name": name, "value": content, "priority": priority}),
            )
            .await
        }
        "designate data" => {
            api.post(
                &format!("/v1/domains/{zid}/records"),
                t,
                json!({"name": format!("{name}.{zone}."), "type": rtype, "data": content, "priority": priority}),
            )
            .await
        }
        "pocketdns content" => {
            api.post(
                &format!("/api/v1/domains/{zid}/dns"),
                t,
                json!({"type": rtype, "name": name, "content": content, "priority": priority}),
            )
            .await
        }
        other => panic!("unknown face {other}"),
    };
    (s.as_u16(), b)
}

/// The presentation of the one `rtype` record at `name`, as the native API
/// shows it.
async fn stored(api: &Api, zid: &str, name: &str, rtype: &str) -> String {
    let (s, list) = api
        .get(
            &format!("/api/v1/domains/{zid}/records?name={name}&type={rtype}"),
            &api.acme_token,
        )
        .await;
    assert_eq!(s.as_u16(), 200, "{list}");
    let items = list["data"]
        .as_array()
        .unwrap_or_else(|| panic!("a record list: {list}"));
    assert_eq!(items.len(), 1, "{name} {rtype}: {list}");
    items[0]["content"].as_str().expect("content").to_string()
}

/// The field an error body names.
fn field(body: &Value) -> &str {
    body["field"].as_str().unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unquoted_txt_is_one_string_on_every_face() {
    each_engine(|api| async move {
        let zid = api.zone("content.test", &api.acme_token).await;
        let zone = (zid.as_str(), "content.test");
        for (i, face) in FACES.iter().enumerate() {
            let name = format!("spf{i}");
            let (s, b) = write(&api, face, zone, &name, "TXT", "v=spf1 -all").await;
            assert!(matches!(s, 200 | 201), "{face}: {s} {b}");
            assert_eq!(
                stored(&api, &zid, &name, "TXT").await,
                "\"v=spf1 -all\"",
                "{face}: unquoted content is one string"
            );
            // Quoted content is presentation: two strings, escapes honoured.
            let name = format!("two{i}");
            let (s, b) = write(&api, face, zone, &name, "TXT", r#""a b" "c\"d\065""#).await;
            assert!(matches!(s, 200 | 201), "{face}: {s} {b}");
            assert_eq!(
                stored(&api, &zid, &name, "TXT").await,
                r#""a b" "c\"dA""#,
                "{face}: quoted content is presentation"
            );
            // A long unquoted value is split at 255 octets only (PocketDNS
            // promises its users 255 at most and refuses it, naming content).
            let name = format!("long{i}");
            let long = "x".repeat(300);
            let (s, b) = write(&api, face, zone, &name, "TXT", &long).await;
            if *face == "pocketdns content" {
                assert_eq!((s, field(&b)), (400, "content"), "{face}: {b}");
                continue;
            }
            assert!(matches!(s, 200 | 201), "{face}: {s} {b}");
            assert_eq!(
                stored(&api, &zid, &name, "TXT").await,
                format!("\"{}\" \"{}\"", "x".repeat(255), "x".repeat(45)),
                "{face}"
            );
        }
        // SPF follows the same rule (Designate and the native API take it).
        let (s, b) = write(&api, "native records", zone, "spf", "SPF", "v=spf1 mx -all").await;
        assert_eq!(s, 201, "{b}");
        assert_eq!(stored(&api, &zid, "spf", "SPF").await, "\"v=spf1 mx -all\"");

        // Export → re-import keeps the one string.
        let (s, export) = api
            .get(&format!("/api/v1/domains/{zid}/export"), &api.acme_token)
            .await;
        assert_eq!(s.as_u16(), 200, "{export}");
        let file = export["zone_file"].as_str().expect("zone file").to_string();
        assert!(file.contains("\"v=spf1 -all\""), "{file}");
        let other = api.zone("reimport.test", &api.acme_token).await;
        let file = file.replace("content.test.", "reimport.test.");
        let (s, b) = api
            .post(
                &format!("/api/v1/domains/{other}/import"),
                &api.acme_token,
                json!({"zone_file": file}),
            )
            .await;
        assert_eq!(s.as_u16(), 200, "{b}");
        assert_eq!(stored(&api, &other, "spf0", "TXT").await, "\"v=spf1 -all\"");
        assert_eq!(
            stored(&api, &other, "two0", "TXT").await,
            r#""a b" "c\"dA""#
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rdata_over_65535_octets_is_refused_on_every_write_path() {
    each_engine(|api| async move {
        let t = &api.acme_token;
        let zid = api.zone("big.test", t).await;
        let zone = (zid.as_str(), "big.test");
        let huge = "y".repeat(70_000);
        for face in FACES {
            let (s, b) = write(&api, face, zone, "huge", "TXT", &huge).await;
            let want = match face {
                "thalassa values" => "values[0]",
                "vps.org value" => "value",
                "designate data" => "data",
                "template" => "template.records[0].content",
                "native rrsets" => "records[0].content",
                "native changes" => "changes[0].content",
                _ => "content",
            };
            assert_eq!((s, field(&b)), (400, want), "{face}: {b}");
        }
        // Far larger than a normal body: still a 4xx, never stored.
        let (s, b) = write(
            &api,
            "native records",
            zone,
            "huge",
            "TXT",
            &"z".repeat(2_000_000),
        )
        .await;
        assert!((400..500).contains(&s), "{s} {b}");

        // A zone-file import, strict and with skip_invalid, and the same
        // text at 2,000,000 characters.
        for size in [70_000, 2_000_000] {
            let file = format!(
                "huge 300 IN TXT \"{}\"\nok 300 IN A 192.0.2.1\n",
                "w".repeat(size)
            );
            let (s, b) = api
                .post(
                    &format!("/api/v1/domains/{zid}/import"),
                    t,
                    json!({"zone_file": file}),
                )
                .await;
            assert_eq!(s.as_u16(), 422, "{size}: {b}");
            assert!(b.to_string().contains("65535"), "{size}: {b}");
            let (s, b) = api
                .post(
                    &format!("/api/v1/domains/{zid}/import"),
                    t,
                    json!({"zone_file": file, "skip_invalid": true}),
                )
                .await;
            assert_eq!(s.as_u16(), 200, "{size}: {b}");
            assert!(
                b.to_string().contains("65535"),
                "the skipped line is reported: {b}"
            );
        }
        // Thalassa's import.
        let file = format!("huge 300 IN TXT \"{}\"\n", "v".repeat(70_000));
        let (s, b) = thalassa(
            &api,
            Method::POST,
            "/v1/dns/zones/big.test/import",
            Some(json!({"zone": file})),
        )
        .await;
        assert_eq!(s, 422, "{b}");
        let (_, list) = api
            .get(&format!("/api/v1/domains/{zid}/records?type=TXT"), t)
            .await;
        assert_eq!(list["total"], 0, "nothing oversized was stored: {list}");
        // Large but within the limit is fine.
        let fits = "f".repeat(60_000);
        let (s, b) = write(&api, "native records", zone, "fits", "TXT", &fits).await;
        assert_eq!(s, 201, "{}", b["detail"]);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn single_label_targets_are_refused_with_a_hint_on_every_face() {
    each_engine(|api| async move {
        let t = &api.acme_token;
        let zid = api.zone("label.test", t).await;
        let zone = (zid.as_str(), "label.test");
        for (i, face) in FACES.iter().enumerate() {
            for (rtype, target) in [("CNAME", "www"), ("MX", "mail")] {
                let (s, b) = write(&api, face, zone, &format!("h{i}"), rtype, target).await;
                assert_eq!(s, 400, "{face} {rtype}: {b}");
                let detail = b["detail"].as_str().unwrap_or_default();
                assert!(
                    detail.contains(&format!("did you mean {target}.label.test.?")),
                    "{face} {rtype}: {b}"
                );
            }
            // With the dot it is the top-level name the user asked for, and a
            // name of several labels stays absolute without one.
            let (s, b) = write(&api, face, zone, &format!("d{i}"), "CNAME", "localhost.").await;
            assert!(matches!(s, 200 | 201), "{face}: {s} {b}");
            let (s, b) = write(&api, face, zone, &format!("m{i}"), "MX", "mail.example.net").await;
            assert!(matches!(s, 200 | 201), "{face}: {s} {b}");
            assert_eq!(
                stored(&api, &zid, &format!("m{i}"), "MX").await,
                "mail.example.net."
            );
        }
        // Zone files keep RFC 1035 semantics: `www` is relative to $ORIGIN.
        let (s, b) = api
            .post(
                &format!("/api/v1/domains/{zid}/import"),
                t,
                json!({"zone_file": "$ORIGIN label.test.\nalias 300 IN CNAME www\n"}),
            )
            .await;
        assert_eq!(s.as_u16(), 200, "{b}");
        assert_eq!(
            stored(&api, &zid, "alias", "CNAME").await,
            "www.label.test."
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mx_without_priority_names_the_priority_alone() {
    each_engine(|api| async move {
        let t = &api.acme_token;
        let zid = api.zone("prio.test", t).await;
        let (s, b) = api
            .post(
                &format!("/api/v1/domains/{zid}/records"),
                t,
                json!({"name": "@", "type": "MX", "content": "mail.example.com."}),
            )
            .await;
        assert_eq!((s.as_u16(), field(&b)), (400, "priority"), "{b}");
        assert_eq!(b["detail"], "MX records require a priority", "{b}");
        let (s, b) = api
            .post(
                &format!("/api/v1/domains/{zid}/changes"),
                t,
                json!({"changes": [{"op": "create", "name": "@", "type": "SRV", "content": "sip.example.com."}]}),
            )
            .await;
        assert_eq!((s.as_u16(), field(&b)), (400, "changes[0].priority"), "{b}");
        assert_eq!(b["detail"], "SRV records require a priority", "{b}");
        // The whole RDATA in content is still accepted.
        let (s, b) = api
            .post(
                &format!("/api/v1/domains/{zid}/records"),
                t,
                json!({"name": "@", "type": "MX", "content": "10 mail.example.com."}),
            )
            .await;
        assert_eq!(s.as_u16(), 201, "{b}");
    })
    .await;
}

/// DNSSEC records are the signer's: every face refuses them, by name and in
/// RFC 3597 form by number, and stores nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dnssec_types_are_refused_on_every_face() {
    let samples = [
        (
            "DNSKEY",
            "257 3 13 n3CSCywavAae1PKyKPT5u3vb41I5HLO3HbMzb0maD8btQeSmKZYJwXpQtrSa9+MXtK5pMKM5zm4E4Ehor8nbUA==",
        ),
        (
            "RRSIG",
            "A 13 2 3600 20300101000000 20250101000000 37340 dnssec.test. AQID",
        ),
        ("NSEC3", "1 0 0 - 2t7b4g4vsa5smi47k61mv5bv1a22bojr A RRSIG"),
        ("TYPE48", "\\# 5 0101030d01"),
    ];
    each_engine(|api| async move {
        let zid = api.zone("dnssec.test", &api.acme_token).await;
        let zone = (zid.as_str(), "dnssec.test");
        for face in FACES {
            for (rtype, content) in samples {
                let (s, b) = write(&api, face, zone, "www", rtype, content).await;
                assert_eq!(s, 400, "{face} {rtype}: {b}");
                assert_eq!(
                    b["detail"],
                    format!("record type {rtype} is DNSSEC data that Tern generates itself"),
                    "{face} {rtype}: {b}"
                );
            }
        }
        let (s, list) = api
            .get(&format!("/api/v1/domains/{zid}/records"), &api.acme_token)
            .await;
        assert_eq!(s.as_u16(), 200, "{list}");
        for item in list["data"].as_array().expect("records") {
            assert!(
                matches!(item["type"].as_str(), Some("SOA" | "NS")),
                "{item}"
            );
        }
    })
    .await;
}
