//! Thalassa Cloud's documented calls (seed 000) against Tern: organisation
//! and project headers, zones by name, RRsets by name/type, BIND import
//! (merge, replaceExisting, only the documented types) and export, DNSSEC
//! status behind its feature gates (signing itself: tests/dnssec.rs).

mod common;

use common::each_engine;
use reqwest::Method;
use serde_json::{Value, json};

async fn call(
    api: &common::Api,
    method: Method,
    path: &str,
    org: Option<&str>,
    body: Option<Value>,
) -> (u16, Value) {
    let mut request = api
        .client
        .request(method, format!("{}{path}", api.base))
        .bearer_auth(&api.acme_token);
    if let Some(org) = org {
        request = request.header("X-Organisation-Identity", org);
    }
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thalassa_zones_records_import_export() {
    each_engine(|api| async move {
        let org = Some("acme");
        let (s, b) = call(&api, Method::GET, "/v1/dns/zones", None, None).await;
        assert_eq!(s, 400, "{b}");
        assert_eq!(b["field"], "X-Organisation-Identity");
        let (s, b) = call(&api, Method::GET, "/v1/dns/zones", Some("beta"), None).await;
        assert_eq!(s, 403, "another organisation's header: {b}");

        let (s, zone) = call(&api, Method::POST, "/v1/dns/zones", org, Some(json!({"name": "thalassa.test."}))).await;
        assert_eq!(s, 201, "{zone}");
        assert_eq!(zone["name"], "thalassa.test");
        let id = api.acme.id.to_string();
        let (s, zones) = call(&api, Method::GET, "/v1/dns/zones", Some(&id), None).await;
        assert_eq!((s, zones.as_array().map(Vec::len)), (200, Some(1)), "org by id works too");

        let (s, set) = call(
            &api,
            Method::POST,
            "/v1/dns/zones/thalassa.test/records",
            org,
            Some(json!({"name": "www", "type": "A", "ttl": 300, "values": ["192.0.2.1", "192.0.2.2"]})),
        )
        .await;
        assert_eq!(s, 201, "{set}");
        assert_eq!(set["values"].as_array().map(Vec::len), Some(2));
        let (s, b) = call(&api, Method::POST, "/v1/dns/zones/thalassa.test/records", org, Some(json!({"name": "www", "type": "A", "values": ["192.0.2.3"]}))).await;
        assert_eq!(s, 409, "{b}");
        let (s, patched) = call(&api, Method::PATCH, "/v1/dns/zones/thalassa.test./records/www/A", org, Some(json!({"ttl": 600}))).await;
        assert_eq!((s, patched["ttl"].as_u64(), patched["values"].as_array().map(Vec::len)), (200, Some(600), Some(2)), "{patched}");
        let (s, patched) = call(&api, Method::PATCH, "/v1/dns/zones/thalassa.test/records/www/A", org, Some(json!({"values": ["192.0.2.9"]}))).await;
        assert_eq!((s, patched["values"][0].as_str(), patched["ttl"].as_u64()), (200, Some("192.0.2.9"), Some(600)), "{patched}");
        let (s, b) = call(&api, Method::PATCH, "/v1/dns/zones/thalassa.test/records/www/A", org, Some(json!({"values": ["nope"]}))).await;
        assert_eq!((s, b["field"].as_str()), (400, Some("values[0]")), "{b}");

        // Import: merge by default, only the documented types.
        let file = "$ORIGIN thalassa.test.\n@ 3600 IN SOA ns1 h 1 2 3 4 5\nmail 300 IN A 192.0.2.25\n@ 300 IN MX 10 mail\n1 300 IN PTR host.example.\n";
        let response = api
            .client
            .post(format!("{}/v1/dns/zones/thalassa.test/import", api.base))
            .bearer_auth(&api.acme_token)
            .header("X-Organisation-Identity", "acme")
            .json(&json!({"zone": file}))
            .send()
            .await
            .expect("import");
        assert_eq!(response.status(), 200);
        let report: Value = response.json().await.expect("json");
        assert_eq!(report["created"], 2, "{report}");
        assert!(report["skipped"].to_string().contains("PTR"), "{report}");
        let (_, sets) = call(&api, Method::GET, "/v1/dns/zones/thalassa.test/records", org, None).await;
        assert!(sets.to_string().contains("192.0.2.9"), "merge kept www: {sets}");

        // replaceExisting removes what the file lacks.
        let response = api
            .client
            .post(format!("{}/v1/dns/zones/thalassa.test/import", api.base))
            .bearer_auth(&api.acme_token)
            .header("X-Organisation-Identity", "acme")
            .json(&json!({"zone": file, "replaceExisting": true}))
            .send()
            .await
            .expect("import");
        let report: Value = response.json().await.expect("json");
        assert!(report["deleted"].as_u64().is_some_and(|d| d >= 1), "{report}");
        let (s, _) = call(&api, Method::GET, "/v1/dns/zones/thalassa.test/records/www/A", org, None).await;
        assert_eq!(s, 404);

        let export = api
            .client
            .get(format!("{}/v1/dns/zones/thalassa.test/export", api.base))
            .bearer_auth(&api.acme_token)
            .header("X-Organisation-Identity", "acme")
            .send()
            .await
            .expect("export")
            .text()
            .await
            .expect("text");
        assert!(export.contains("mail\t300\tIN\tA\t192.0.2.25"), "{export}");

        // DNSSEC status is a read (dns:read); changing it needs dnssec:manage.
        let (s, b) = call(&api, Method::GET, "/v1/dns/zones/thalassa.test/dnssec", org, None).await;
        assert_eq!((s, b["status"].as_str()), (200, Some("unsigned")), "{b}");
        let (s, b) = call(&api, Method::PUT, "/v1/dns/zones/thalassa.test/dnssec", org, Some(json!({"enabled": true}))).await;
        assert_eq!(s, 403, "the dns:* token lacks dnssec:manage: {b}");
        assert_eq!(call(&api, Method::DELETE, "/v1/dns/zones/thalassa.test/records/mail/A", org, None).await.0, 204);
        assert_eq!(call(&api, Method::DELETE, "/v1/dns/zones/thalassa.test", org, None).await.0, 204);
        assert_eq!(call(&api, Method::GET, "/v1/dns/zones/thalassa.test", org, None).await.0, 404);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thalassa_dnssec_gates() {
    each_engine(|api| async move {
        api.zone("sec.test", &api.acme_token).await;
        api.zone("sec-beta.test", &api.beta_token).await;
        let dnssec = |token: String, org: &'static str| {
            let api = api.clone();
            let zone = if org == "acme" {
                "sec.test"
            } else {
                "sec-beta.test"
            };
            async move {
                let response = api
                    .client
                    .get(format!("{}/v1/dns/zones/{zone}/dnssec", api.base))
                    .bearer_auth(token)
                    .header("X-Organisation-Identity", org)
                    .send()
                    .await
                    .expect("request");
                (
                    response.status().as_u16(),
                    response.json::<Value>().await.expect("json"),
                )
            }
        };
        let scopes = [tern_core::Scope::DnsAll, tern_core::Scope::DnssecManage];
        // acme has the kms feature: the status of its unsigned zone.
        let (s, b) = dnssec(api.token(&api.acme, &scopes, None).await, "acme").await;
        assert_eq!(
            (s, b["status"].as_str(), &b["dsRecords"]),
            (200, Some("unsigned"), &json!([])),
            "{b}"
        );
        // beta has dns only: 403 naming the kms gate.
        let (s, b) = dnssec(api.token(&api.beta, &scopes, None).await, "beta").await;
        assert!(
            s == 403 && b["detail"].as_str().is_some_and(|d| d.contains("'kms'")),
            "{b}"
        );
    })
    .await;
}
