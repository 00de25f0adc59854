//! OpenStack Designate v1's documented calls (seed 003) against Tern:
//! domains, then records of every documented type with FQDN names, `data`,
//! separate `priority`, `ttl: null` inheriting, `Location` on create.

mod common;

use common::{assert_error, each_engine};
use reqwest::Method;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn designate_domains_and_records() {
    each_engine(|api| async move {
        let t = &api.acme_token;
        let (s, b) = api.post("/v1/domains", t, json!({"name": "example.org", "email": "hostmaster@example.org"})).await;
        assert_error(s, &b, 400, "validation_error", Some("name"));
        let (s, domain) = api
            .post("/v1/domains", t, json!({"name": "example.org.", "email": "hostmaster@example.org", "ttl": 3600}))
            .await;
        assert_eq!(s, 200, "{domain}");
        assert_eq!((domain["name"].as_str(), domain["email"].as_str(), domain["ttl"].as_u64()), (Some("example.org."), Some("hostmaster@example.org"), Some(3600)));
        let id = domain["id"].as_str().expect("id").to_string();
        let (_, listed) = api.get("/v1/domains", t).await;
        assert_eq!(listed["domains"].as_array().map(Vec::len), Some(1));
        let (_, soa) = api.get(&format!("/api/v1/domains/{id}/soa"), t).await;
        assert_eq!(soa["hostmaster"], "hostmaster.example.org.");

        let records = format!("/v1/domains/{id}/records");
        let response = api
            .client
            .post(format!("{}{records}", api.base))
            .bearer_auth(t)
            .json(&json!({"name": "www.example.org.", "type": "A", "data": "192.0.2.3"}))
            .send()
            .await
            .expect("create");
        assert_eq!(response.status(), 200);
        let location = response.headers()["location"].to_str().expect("location").to_string();
        let a: serde_json::Value = response.json().await.expect("json");
        assert!(location.ends_with(a["id"].as_str().expect("id")), "{location}");
        assert!(a["ttl"].is_null() && a["priority"].is_null() && a["updated_at"].is_null(), "{a}");
        assert_eq!(a["domain_id"], id);

        for (body, data) in [
            (json!({"name": "example.org.", "type": "MX", "data": "mail.example.org.", "priority": 10}), "mail.example.org."),
            (json!({"name": "web.example.org.", "type": "CNAME", "data": "www.example.org."}), "www.example.org."),
            (json!({"name": "txt.example.org.", "type": "TXT", "data": "This is a TXT record"}), "This is a TXT record"),
            (json!({"name": "_sip._tcp.example.org.", "type": "SRV", "data": "0 5060 sip.example.org.", "priority": 30}), "0 5060 sip.example.org."),
            (json!({"name": ".example.org.", "type": "NS", "data": "ns2.example.org."}), "ns2.example.org."),
            (json!({"name": ".example.org.", "type": "SPF", "data": "v=spf1 +mx a:colo.example.org/28 -all"}), "v=spf1 +mx a:colo.example.org/28 -all"),
            (json!({"name": "www.example.org.", "type": "SSHFP", "data": "2 1 6c3c958af43d953f91f40e0d84157f4fe7b4a898"}), "2 1 6c3c958af43d953f91f40e0d84157f4fe7b4a898"),
        ] {
            let (s, r) = api.post(&records, t, body.clone()).await;
            assert_eq!(s, 200, "{body} -> {r}");
            assert_eq!(r["data"], data, "{r}");
        }
        let (s, b) = api.post(&records, t, json!({"name": "x.example.org.", "type": "A", "data": "192.0.2.9", "priority": 5})).await;
        assert_error(s, &b, 400, "validation_error", Some("priority"));
        let (s, b) = api.post(&records, t, json!({"name": "x.example.com.", "type": "A", "data": "192.0.2.9"})).await;
        assert_error(s, &b, 400, "validation_error", Some("name"));
        let (s, b) = api.post(&records, t, json!({"name": "x.example.org.", "type": "MX", "data": "mail.example.org."})).await;
        assert_error(s, &b, 400, "validation_error", Some("priority"));

        let (_, list) = api.get(&records, t).await;
        assert!(list["records"].as_array().is_some_and(|r| r.len() >= 8), "{list}");
        assert_eq!(list["records"][0]["version"], 1);

        let rid = a["id"].as_str().expect("id");
        let (s, updated) = api.put(&format!("{records}/{rid}"), t, json!({"name": "www.example.org.", "type": "A", "data": "192.0.2.5"})).await;
        assert_eq!((s.as_u16(), updated["data"].as_str()), (200, Some("192.0.2.5")), "{updated}");
        assert!(updated["updated_at"].is_string());
        let (s, updated) = api.put(&format!("{records}/{rid}"), t, json!({"ttl": 600})).await;
        assert_eq!((s.as_u16(), updated["ttl"].as_u64(), updated["data"].as_str()), (200, Some(600), Some("192.0.2.5")));
        let (s, updated) = api.put(&format!("{records}/{rid}"), t, json!({"ttl": null})).await;
        assert_eq!((s.as_u16(), updated["ttl"].is_null()), (200, true), "null inherits again: {updated}");

        let (s, body) = api.call(Method::DELETE, &format!("{records}/{rid}"), Some(t), None).await;
        assert_eq!((s.as_u16(), body.is_null()), (200, true));
        assert_eq!(api.get(&format!("{records}/{rid}"), t).await.0, 404);
        assert_eq!(api.get(&records, &api.beta_token).await.0, 404);
        let (s, _) = api.call(Method::DELETE, &format!("/v1/domains/{id}"), Some(t), None).await;
        assert_eq!(s, 200);
        assert_eq!(api.get(&format!("/v1/domains/{id}"), t).await.0, 404);
    })
    .await;
}
