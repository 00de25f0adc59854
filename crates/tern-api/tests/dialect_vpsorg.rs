//! VPS.org's documented calls (seed 001) against Tern, on SQLite and
//! PostgreSQL: paths with and without the trailing slash, the documented
//! fields and defaults, errors as `{detail, error_code, field}`, and every
//! record visible through the native API too.

mod common;

use common::{assert_error, each_engine};
use serde_json::json;
use tern_core::Scope;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn vpsorg_zones_and_records() {
    each_engine(|api| async move {
        let t = &api.acme_token;
        let (s, zone) = api.post("/api/v1/dns-zones/", t, json!({"domain": "newdomain.com"})).await;
        assert_eq!(s, 201, "{zone}");
        assert_eq!(zone["domain"], "newdomain.com");
        assert_eq!(zone["record_count"], 0, "Tern's apex NS is not a user record here");
        assert_eq!(zone["records"], json!([]));
        let uuid = zone["uuid"].as_str().expect("uuid").to_string();

        let (s, b) = api.post("/api/v1/dns-zones/", t, json!({"domain": "newdomain.com"})).await;
        assert_error(s, &b, 400, "validation_error", Some("domain"));
        let (s, b) = api.post("/api/v1/dns-zones", t, json!({"domain": "not a domain"})).await;
        assert_error(s, &b, 400, "validation_error", Some("domain"));

        let records = format!("/api/v1/dns-zones/{uuid}/records/");
        let (s, a) = api
            .post(&records, t, json!({"record_type": "A", "name": "www", "value": "192.0.2.1", "ttl": 3600}))
            .await;
        assert_eq!(s, 201, "{a}");
        assert_eq!((a["name"].as_str(), a["value"].as_str(), a["priority"].is_null()), (Some("www"), Some("192.0.2.1"), true));
        let (s, b) = api.post(&records, t, json!({"record_type": "MX", "name": "@", "value": "mail.newdomain.com"})).await;
        assert_error(s, &b, 400, "validation_error", Some("priority"));
        assert_eq!(b["detail"], "MX records require a priority value");
        let (s, mx) = api
            .post(&records, t, json!({"record_type": "MX", "name": "@", "value": "mail.newdomain.com", "priority": 10}))
            .await;
        assert_eq!(s, 201, "{mx}");
        assert_eq!((mx["value"].as_str(), mx["priority"].as_u64(), mx["ttl"].as_u64()), (Some("mail.newdomain.com."), Some(10), Some(3600)));
        let (s, txt) = api
            .post(&records, t, json!({"record_type": "TXT", "name": "newdomain.com", "value": "v=spf1 include:_spf.google.com ~all"}))
            .await;
        assert_eq!(s, 201, "{txt}");
        assert_eq!((txt["name"].as_str(), txt["value"].as_str()), (Some("@"), Some("v=spf1 include:_spf.google.com ~all")));
        let (s, srv) = api
            .post(&records, t, json!({"record_type": "SRV", "name": "_sip._tcp", "value": "5 5060 sip.newdomain.com", "priority": 10}))
            .await;
        assert_eq!(s, 201, "{srv}");
        let (s, caa) = api.post(&records, t, json!({"record_type": "CAA", "name": "@", "value": "0 issue \"letsencrypt.org\""})).await;
        assert_eq!(s, 201, "{caa}");
        let (s, b) = api.post(&records, t, json!({"record_type": "PTR", "name": "x", "value": "a.example.com"})).await;
        assert_error(s, &b, 400, "validation_error", Some("record_type"));
        let (s, b) = api.post(&records, t, json!({"record_type": "A", "name": "bad", "value": "999.0.0.1"})).await;
        assert_error(s, &b, 400, "validation_error", Some("value"));

        let (_, detail) = api.get(&format!("/api/v1/dns-zones/{uuid}"), t).await;
        assert_eq!(detail["record_count"], 5, "{detail}");
        let (_, listed) = api.get("/api/v1/dns-zones/?domain=newdomain.com", t).await;
        assert_eq!(listed.as_array().map(Vec::len), Some(1));
        assert_eq!(listed[0]["record_count"], 5);

        // Direct record access by UUID.
        let rid = a["uuid"].as_str().expect("uuid");
        let (s, patched) = api.patch(&format!("/api/v1/dns-records/{rid}/"), t, json!({"ttl": 1800})).await;
        assert_eq!((s.as_u16(), patched["ttl"].as_u64(), patched["value"].as_str()), (200, Some(1800), Some("192.0.2.1")), "{patched}");
        let (s, put) = api
            .put(&format!("/api/v1/dns-records/{rid}"), t, json!({"record_type": "A", "name": "www", "value": "192.0.2.2"}))
            .await;
        assert_eq!((s.as_u16(), put["ttl"].as_u64()), (200, Some(3600)), "PUT resets the TTL to the default: {put}");
        let (_, filtered) = api.get(&format!("/api/v1/dns-records/?zone={uuid}&record_type=MX"), t).await;
        assert_eq!(filtered.as_array().map(Vec::len), Some(1), "{filtered}");

        // The same data through the native API and the other tenant.
        let (_, native) = api.get(&format!("/api/v1/domains/{uuid}/records?name=www"), t).await;
        assert_eq!(native["data"][0]["content"], "192.0.2.2");
        assert_eq!(api.get(&format!("/api/v1/dns-records/{rid}/"), &api.beta_token).await.0, 404);
        assert_eq!(api.get(&format!("/api/v1/dns-zones/{uuid}/"), &api.beta_token).await.0, 404);

        // Permissions are named.
        let reader = api.token(&api.acme, &[Scope::DnsRead], None).await;
        let (s, b) = api.get("/api/v1/dns-zones/", &reader).await;
        assert!(s == 403 && b["detail"].as_str().is_some_and(|d| d.contains("dns:list")), "{b}");

        assert_eq!(api.delete(&format!("/api/v1/dns-records/{rid}/"), t).await.0, 204);
        assert_eq!(api.delete(&format!("/api/v1/dns-zones/{uuid}/"), t).await.0, 204);
        assert_eq!(api.get(&format!("/api/v1/dns-zones/{uuid}/"), t).await.0, 404);
        let (_, all) = api.get("/api/v1/domains?include_deleted=true", t).await;
        assert_eq!(all["total"], 0, "deleted permanently");
    })
    .await;
}
