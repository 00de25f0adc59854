//! PocketDNS's documented calls (seed 004) against Tern: records under
//! `/api/v1/domains/{id}/dns`, defaults and validation rules, partial PUT,
//! bulk creation with per-record errors, templates.

mod common;

use common::{assert_error, each_engine};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pocketdns_records_bulk_and_templates() {
    each_engine(|api| async move {
        let t = &api.acme_token;
        let zone = api.zone("pocket.test", t).await;
        let dns = format!("/api/v1/domains/{zone}/dns");
        let (s, list) = api.get(&dns, t).await;
        assert_eq!((s.as_u16(), list["total"].as_u64()), (200, Some(0)), "{list}");

        let (s, a) = api.post(&dns, t, json!({"type": "A", "name": "www", "content": "192.0.2.1"})).await;
        assert_eq!(s, 201, "{a}");
        assert_eq!((a["ttl"].as_u64(), a["priority"].is_null()), (Some(300), true), "default TTL 300: {a}");
        let (s, mx) = api.post(&dns, t, json!({"type": "MX", "name": "@", "content": "mail.pocket.test", "ttl": 3600, "priority": 10})).await;
        assert_eq!(s, 201, "{mx}");
        assert_eq!((mx["content"].as_str(), mx["priority"].as_u64()), (Some("mail.pocket.test."), Some(10)));
        let (s, srv) = api.post(&dns, t, json!({"type": "SRV", "name": "_sip._tcp", "content": "10 60 5060 sip.pocket.test", "ttl": 300})).await;
        assert_eq!(s, 201, "{srv}");
        assert_eq!((srv["content"].as_str(), srv["priority"].as_u64()), (Some("10 60 5060 sip.pocket.test."), Some(10)));
        let (s, txt) = api.post(&dns, t, json!({"type": "TXT", "name": "@", "content": "v=spf1 include:_spf.google.com ~all"})).await;
        assert_eq!((s.as_u16(), txt["content"].as_str()), (201, Some("v=spf1 include:_spf.google.com ~all")), "{txt}");

        // The documented validation rules.
        let (s, b) = api.post(&dns, t, json!({"type": "A", "name": "x", "content": "192.0.2.1", "ttl": 30})).await;
        assert_error(s, &b, 400, "validation_error", Some("ttl"));
        let (s, b) = api.post(&dns, t, json!({"type": "A", "name": "x", "content": "192.0.2.1", "ttl": 90000})).await;
        assert_error(s, &b, 400, "validation_error", Some("ttl"));
        let (s, b) = api.post(&dns, t, json!({"type": "TXT", "name": "x", "content": "a".repeat(256)})).await;
        assert_error(s, &b, 400, "validation_error", Some("content"));
        let (s, b) = api.post(&dns, t, json!({"type": "CAA", "name": "x", "content": "0 issue \"ca.test\""})).await;
        assert_error(s, &b, 400, "validation_error", Some("type"));
        let (s, b) = api.post(&dns, t, json!({"type": "CNAME", "name": "@", "content": "example.com"})).await;
        assert_eq!(s, 422, "no CNAME at the apex: {b}");
        let (s, b) = api.post(&dns, t, json!({"type": "A", "name": "www", "content": "192.0.2.1"})).await;
        assert_error(s, &b, 409, "conflict", None);

        // PUT changes only what it carries.
        let rid = a["id"].as_str().expect("id");
        let (s, put) = api.put(&format!("{dns}/{rid}"), t, json!({"content": "192.0.2.2", "ttl": 600})).await;
        assert_eq!((s.as_u16(), put["content"].as_str(), put["ttl"].as_u64(), put["name"].as_str()), (200, Some("192.0.2.2"), Some(600), Some("www")), "{put}");
        let (s, put) = api.put(&format!("{dns}/{rid}"), t, json!({"content": "192.0.2.100"})).await;
        assert_eq!((s.as_u16(), put["ttl"].as_u64()), (200, Some(600)), "{put}");

        // Bulk: the good ones in one change, the bad ones reported.
        let (_, before) = api.get(&format!("/api/v1/domains/{zone}"), t).await;
        let (s, bulk) = api
            .post(&format!("{dns}/bulk"), t, json!({"records": [
                {"type": "A", "name": "@", "content": "192.0.2.1", "ttl": 300},
                {"type": "A", "name": "api", "content": "192.0.2.1", "ttl": 300},
                {"type": "MX", "name": "@", "content": "mail2.pocket.test", "ttl": 3600},
                {"type": "CNAME", "name": "api", "content": "elsewhere.example"},
            ]}))
            .await;
        assert_eq!(s, 200, "{bulk}");
        // Created: both A records; refused: the MX without priority and the
        // CNAME beside the new A at api (the rules name it, the A stays).
        assert_eq!(bulk["created"].as_array().map(Vec::len), Some(2), "{bulk}");
        assert_eq!(bulk["errors"].as_array().map(Vec::len), Some(2), "{bulk}");
        assert!(bulk["errors"].to_string().contains("Priority is required for MX records"), "{bulk}");
        assert!(bulk["errors"].to_string().contains("CNAME"), "{bulk}");
        let (_, after) = api.get(&format!("/api/v1/domains/{zone}"), t).await;
        assert_eq!(after["serial"].as_u64().zip(before["serial"].as_u64()).map(|(a, b)| a > b), Some(true));
        let (_, history) = api.get(&format!("/api/v1/domains/{zone}/changes?page_size=1"), t).await;
        assert_eq!(history["data"][0]["added"].as_array().map(Vec::len), Some(2), "one journal entry: {history}");
        assert_eq!(history["data"][0]["source"], "dialect:pocketdns");

        // Templates, as documented.
        let other = api.zone("tpl.test", t).await;
        let (s, applied) = api
            .post(&format!("/api/v1/domains/{other}/dns/template"), t, json!({"template_id": "tpl_website_basic", "variables": {"ip_address": "192.0.2.1"}}))
            .await;
        assert_eq!(s, 200, "{applied}");
        assert_eq!(applied["template_id"], "tpl_website_basic");
        assert_eq!(applied["records_created"].as_array().map(Vec::len), Some(2));
        assert_eq!(applied["records_created"][1]["name"], "www");

        assert_eq!(api.delete(&format!("{dns}/{rid}"), t).await.0, 204);
        assert_eq!(api.delete(&format!("{dns}/{rid}"), t).await.0, 404);
        assert_eq!(api.get(&dns, &api.beta_token).await.0, 404);
    })
    .await;
}
