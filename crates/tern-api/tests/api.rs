//! The native API end to end over HTTP: authentication, zones, records,
//! RRsets, batches, history, import/export, and the tenancy rules (another
//! organisation's things are 404, missing scopes 403 naming the scope).

mod common;

use common::{Api, assert_error, each_engine};
use reqwest::Method;
use serde_json::{Value, json};
use tern_core::Scope;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn authentication_is_required_and_checked() {
    each_engine(|api| async move {
        let (s, b) = api.call(Method::GET, "/api/v1/domains", None, None).await;
        assert_error(s, &b, 401, "unauthorized", None);
        let (s, b) = api
            .call(
                Method::GET,
                "/api/v1/domains",
                Some("tern_not-a-token-at-all"),
                None,
            )
            .await;
        assert_error(s, &b, 401, "unauthorized", None);
        let response = api
            .client
            .get(format!("{}/api/v1/domains", api.base))
            .header("Authorization", "Basic Zm9vOmJhcg==")
            .send()
            .await
            .expect("request");
        assert_eq!(response.status(), 401);

        let (s, me) = api.get("/api/v1/me", &api.acme_token).await;
        assert_eq!(s, 200, "{me}");
        assert_eq!(me["organisation"]["slug"], "acme");
        assert_eq!(me["scopes"], json!(["dns:*", "tokens:manage"]));

        // A token created through the API works, and stops working once
        // revoked; an expired one never works.
        let (s, created) = api
            .post(
                "/api/v1/tokens",
                &api.acme_token,
                json!({"name": "ci", "scopes": ["dns:read", "dns:list"], "expires_in": "1d"}),
            )
            .await;
        assert_eq!(s, 201, "{created}");
        let secret = created["token"].as_str().expect("token").to_string();
        assert!(
            secret.starts_with("tern_") && secret.len() >= 48,
            "{secret}"
        );
        assert_eq!(api.get("/api/v1/domains", &secret).await.0, 200);
        let id = created["id"].as_str().expect("id");
        let (s, listed) = api.get("/api/v1/tokens", &api.acme_token).await;
        assert_eq!(s, 200);
        assert!(listed.to_string().contains(id) && !listed.to_string().contains(&secret));
        assert_eq!(
            api.delete(&format!("/api/v1/tokens/{id}"), &api.acme_token)
                .await
                .0,
            204
        );
        let (s, b) = api.get("/api/v1/domains", &secret).await;
        assert_error(s, &b, 401, "unauthorized", None);

        let expired = tern_api::admin::issue_token(
            api.service.store().as_ref(),
            tern_api::admin::TokenRequest {
                org_id: api.acme.id,
                project_id: None,
                name: "old".into(),
                scopes: vec![Scope::DnsAll],
                expires_in_secs: Some(1),
                allowed_networks: Vec::new(),
            },
            None,
        )
        .await
        .expect("token")
        .1;
        tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
        assert_eq!(api.get("/api/v1/domains", &expired).await.0, 401);

        // No escalation: a dns token cannot mint an admin one.
        let (s, b) = api
            .post(
                "/api/v1/tokens",
                &api.acme_token,
                json!({"name": "x", "scopes": ["admin"]}),
            )
            .await;
        assert_error(s, &b, 403, "forbidden", None);
        let (s, b) = api
            .post(
                "/api/v1/tokens",
                &api.acme_token,
                json!({"name": "x", "scopes": ["dns:write"]}),
            )
            .await;
        assert_error(s, &b, 400, "validation_error", Some("scopes[0]"));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn zones_lifecycle() {
    each_engine(|api| async move {
        let t = &api.acme_token;
        let (s, zone) = api
            .post(
                "/api/v1/domains/",
                t,
                json!({"name": "Example.COM", "domain_type": "primary", "default_ttl": 600, "description": "main"}),
            )
            .await;
        assert_eq!(s, 201, "{zone}");
        assert_eq!(zone["name"], "example.com");
        assert_eq!(zone["pdns_zone_id"], "example.com.");
        assert_eq!(zone["status"], "active");
        assert_eq!(zone["default_ttl"], 600);
        assert_eq!(zone["tenant_id"], api.acme.id.to_string());
        assert_eq!(zone["record_count"], 1, "the apex NS set (one server by default): {zone}");
        assert!(zone["created_at"].as_str().is_some_and(|t| t.ends_with('Z')));
        let id = zone["id"].as_str().expect("id").to_string();

        let (s, b) = api
            .post("/api/v1/domains", t, json!({"name": "example.com", "domain_type": "primary"}))
            .await;
        assert_error(s, &b, 409, "conflict", Some("name"));
        let (s, b) = api
            .post("/api/v1/domains", t, json!({"name": "bad..name", "domain_type": "primary"}))
            .await;
        assert_error(s, &b, 400, "validation_error", Some("name"));
        let (s, b) = api
            .post("/api/v1/domains", t, json!({"name": "my shop.com", "domain_type": "primary"}))
            .await;
        assert_error(s, &b, 400, "validation_error", Some("name"));
        let (s, b) = api
            .post("/api/v1/domains", t, json!({"name": ".", "domain_type": "primary"}))
            .await;
        assert_error(s, &b, 400, "validation_error", Some("name"));
        let (s, b) = api.post("/api/v1/domains", t, json!({"name": "x.com"})).await;
        assert_error(s, &b, 400, "validation_error", Some("domain_type"));
        let (s, b) = api
            .post("/api/v1/domains", t, json!({"name": "x.com", "domain_type": "primary", "default_ttl": -5}))
            .await;
        assert_error(s, &b, 400, "validation_error", Some("default_ttl"));
        let (s, b) = api
            .post("/api/v1/domains", t, json!({"name": "x.com", "domain_type": "reverse_ipv4"}))
            .await;
        assert_error(s, &b, 400, "validation_error", Some("name"));

        api.zone("second.org", t).await;
        api.zone("third.net", t).await;
        let (s, page) = api.get("/api/v1/domains?page=1&page_size=2", t).await;
        assert_eq!(s, 200);
        assert_eq!((page["total"].as_u64(), page["total_pages"].as_u64()), (Some(3), Some(2)));
        assert_eq!(page["data"].as_array().map(Vec::len), Some(2));
        let (_, found) = api.get("/api/v1/domains?search=econd", t).await;
        assert_eq!(found["data"][0]["name"], "second.org", "{found}");
        let (s, b) = api.get("/api/v1/domains?page_size=101", t).await;
        assert_error(s, &b, 400, "validation_error", Some("page_size"));
        let (s, b) = api.get("/api/v1/domains?status=bogus", t).await;
        assert_error(s, &b, 400, "validation_error", Some("status"));

        let path = format!("/api/v1/domains/{id}");
        let (s, patched) = api
            .patch(&path, t, json!({"description": "changed", "default_ttl": 1200}))
            .await;
        assert_eq!(s, 200, "{patched}");
        assert_eq!((patched["description"].as_str(), patched["default_ttl"].as_u64()), (Some("changed"), Some(1200)));
        let (s, b) = api.patch(&path, t, json!({"name": "other.com"})).await;
        assert_error(s, &b, 400, "validation_error", Some("name"));

        let (s, soa) = api.get(&format!("{path}/soa"), t).await;
        assert_eq!(s, 200);
        assert_eq!(soa["hostmaster"], "hostmaster.example.com.");
        assert!(soa["serial"].as_u64().is_some_and(|s| s > 2026000000), "{soa}");

        // Import: dry run changes nothing; merge adds; replace removes.
        let file = "$ORIGIN example.com.\n@ 3600 IN SOA ns1.example.com. hostmaster.example.com. 1 3600 600 604800 600\nwww 300 IN A 192.0.2.1\nmail 300 IN A 192.0.2.2\n@ 300 IN MX 10 mail.example.com.\n";
        let import = |query: &'static str| {
            let api = api.clone();
            let id = id.clone();
            async move {
                let response = api
                    .client
                    .post(format!("{}/api/v1/domains/{id}/import{query}", api.base))
                    .bearer_auth(&api.acme_token)
                    .header("Content-Type", "text/dns")
                    .body(file)
                    .send()
                    .await
                    .expect("import");
                (response.status(), response.json::<Value>().await.expect("json"))
            }
        };
        let (s, dry) = import("?dry_run=true").await;
        assert_eq!(s, 200, "{dry}");
        assert_eq!(dry["added"].as_array().map(Vec::len), Some(3), "{dry}");
        let (_, detail) = api.get(&path, t).await;
        assert_eq!(detail["record_count"], 1, "dry run changed nothing");
        let (s, merged) = import("").await;
        assert_eq!(s, 200, "{merged}");
        assert!(merged["serial_after"].as_u64() > merged["serial_before"].as_u64());
        let (_, detail) = api.get(&path, t).await;
        assert_eq!(detail["record_count"], 4);

        let (s, export) = api.get(&format!("{path}/export"), t).await;
        assert_eq!(s, 200);
        assert_eq!((export["format"].as_str(), export["domain_name"].as_str()), (Some("bind"), Some("example.com")));
        assert!(export["zone_file"].as_str().is_some_and(|z| z.contains("192.0.2.2")), "{export}");
        let text = api
            .client
            .get(format!("{}{path}/export", api.base))
            .bearer_auth(t)
            .header("Accept", "text/dns")
            .send()
            .await
            .expect("export");
        assert_eq!(text.headers()["content-type"], "text/dns");
        assert!(text.text().await.expect("text").contains("MX\t10 mail.example.com."));

        let bad = api
            .client
            .post(format!("{}{path}/import", api.base))
            .bearer_auth(t)
            .body("www IN A 999.1.1.1\n")
            .send()
            .await
            .expect("import");
        assert_eq!(bad.status(), 422);
        let body: Value = bad.json().await.expect("json");
        assert!(body["detail"].as_str().is_some_and(|d| d.contains("line 1")), "{body}");

        // Soft delete hides the zone; restore brings it back; hard delete ends it.
        assert_eq!(api.delete(&path, t).await.0, 204);
        let (_, listed) = api.get("/api/v1/domains", t).await;
        assert_eq!(listed["total"], 2);
        let (_, with_deleted) = api.get("/api/v1/domains?include_deleted=true", t).await;
        assert_eq!(with_deleted["total"], 3);
        let (s, restored) = api.post(&format!("{path}/restore"), t, json!({})).await;
        assert_eq!((s.as_u16(), restored["status"].as_str()), (200, Some("active")), "{restored}");
        assert_eq!(api.delete(&format!("{path}?hard=true"), t).await.0, 204);
        let (s, b) = api.get(&path, t).await;
        assert_error(s, &b, 404, "not_found", None);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn records_rrsets_batches_and_history() {
    each_engine(|api| async move {
        let t = &api.acme_token;
        let id = api.zone("rec.test", t).await;
        let records = format!("/api/v1/domains/{id}/records");

        let (s, www) = api
            .post(&records, t, json!({"name": "www", "type": "A", "content": "192.0.2.10", "ttl": 300}))
            .await;
        assert_eq!(s, 201, "{www}");
        assert_eq!((www["name"].as_str(), www["fqdn"].as_str()), (Some("www"), Some("www.rec.test.")));
        assert_eq!(www["ttl"], 300);
        let (s, mx) = api
            .post(&records, t, json!({"name": "@", "type": "MX", "content": "mail.rec.test", "priority": 10}))
            .await;
        assert_eq!(s, 201, "{mx}");
        assert_eq!((mx["priority"].as_u64(), mx["content"].as_str()), (Some(10), Some("mail.rec.test.")));
        assert_eq!(mx["ttl"], 3600, "inherits the zone default: {mx}");

        let (s, b) = api.post(&records, t, json!({"name": "x", "type": "MX", "content": "mail.rec.test"})).await;
        assert_error(s, &b, 400, "validation_error", Some("priority"));
        let (s, b) = api.post(&records, t, json!({"name": "x", "type": "A", "content": "300.1.1.1"})).await;
        assert_error(s, &b, 400, "validation_error", Some("content"));
        let (s, b) = api.post(&records, t, json!({"name": "x", "type": "BOGUS", "content": "1"})).await;
        assert_error(s, &b, 400, "validation_error", Some("type"));
        let (s, b) = api.post(&records, t, json!({"name": "www", "type": "CNAME", "content": "other.test"})).await;
        assert_error(s, &b, 422, "unprocessable_entity", None);
        let (s, b) = api.post(&records, t, json!({"name": "x", "type": "A", "content": "192.0.2.1", "colour": "red"})).await;
        assert_error(s, &b, 400, "validation_error", None);
        let (s, b) = api.post(&records, t, json!({"name": "x", "type": "A", "content": "192.0.2.1", "ttl": "ten"})).await;
        assert_error(s, &b, 400, "validation_error", Some("ttl"));

        let (_, list) = api.get(&format!("{records}?type=A"), t).await;
        assert_eq!(list["total"], 1, "{list}");
        let (_, list) = api.get(&format!("{records}?name=@"), t).await;
        assert_eq!(list["total"], 2, "apex NS + MX: {list}");

        let rid = www["id"].as_str().expect("id");
        let record = format!("{records}/{rid}");
        let (s, patched) = api.patch(&record, t, json!({"content": "192.0.2.11"})).await;
        assert_eq!((s.as_u16(), patched["content"].as_str(), patched["ttl"].as_u64()), (200, Some("192.0.2.11"), Some(300)), "{patched}");
        let (s, put) = api.put(&record, t, json!({"name": "www", "type": "A", "content": "192.0.2.12"})).await;
        assert_eq!((s.as_u16(), put["ttl_inherited"].as_bool()), (200, Some(true)), "{put}");
        assert_eq!(api.get(&record, t).await.1["content"], "192.0.2.12");

        // RRset view.
        let rrset = format!("/api/v1/domains/{id}/rrsets/api/TXT");
        let (s, set) = api
            .put(&rrset, t, json!({"ttl": 120, "records": [{"content": "\"a\""}, {"content": "\"b\""}]}))
            .await;
        assert_eq!(s, 200, "{set}");
        assert_eq!(set["records"].as_array().map(Vec::len), Some(2));
        assert_eq!(set["ttl"], 120);
        assert_eq!(api.get(&rrset, t).await.0, 200);
        assert_eq!(api.delete(&rrset, t).await.0, 204);
        assert_eq!(api.get(&rrset, t).await.0, 404);

        // A batch is all or nothing; the failing operation is named.
        let changes = format!("/api/v1/domains/{id}/changes");
        let (_, zone) = api.get(&format!("/api/v1/domains/{id}"), t).await;
        let serial = zone["serial"].as_u64().expect("serial");
        let (s, b) = api
            .post(&changes, t, json!({"changes": [
                {"op": "create", "name": "b1", "type": "A", "content": "192.0.2.20"},
                {"op": "create", "name": "b2", "type": "A", "content": "not-an-ip"},
            ]}))
            .await;
        assert_error(s, &b, 400, "validation_error", Some("changes[1].content"));
        assert_eq!(api.get(&format!("{records}?name=b1"), t).await.1["total"], 0);
        // If-Match with a stale serial: 412, nothing applied.
        let stale = api
            .client
            .post(format!("{}{changes}", api.base))
            .bearer_auth(t)
            .header("If-Match", format!("\"{}\"", serial - 1))
            .json(&json!({"changes": [{"op": "create", "name": "b1", "type": "A", "content": "192.0.2.20"}]}))
            .send()
            .await
            .expect("batch");
        assert_eq!(stale.status(), 412);
        let (s, done) = api
            .post(&changes, t, json!({"expected_serial": serial, "changes": [
                {"op": "create", "name": "b1", "type": "A", "content": "192.0.2.20"},
                {"op": "update", "id": rid, "content": "192.0.2.13"},
                {"op": "replace", "name": "mx2", "type": "MX", "ttl": 60, "records": [{"content": "mx.rec.test", "priority": 5}]},
            ]}))
            .await;
        assert_eq!(s, 200, "{done}");
        let after = done["serial_after"].as_u64().expect("serial");
        assert!(after > serial);

        // History lists it; reverting it undoes exactly that change.
        let (s, history) = api.get(&changes, t).await;
        assert_eq!(s, 200);
        assert_eq!(history["data"][0]["serial_after"].as_u64(), Some(after), "{history}");
        assert_eq!(history["data"][0]["source"], "api");
        let (s, reverted) = api.post(&format!("{changes}/{after}/revert"), t, json!({})).await;
        assert_eq!(s, 200, "{reverted}");
        assert_eq!(api.get(&format!("{records}?name=b1"), t).await.1["total"], 0);
        assert_eq!(api.get(&record, t).await.1["content"], "192.0.2.12");
        assert_eq!(api.get(&format!("{records}?name=mx2"), t).await.1["total"], 0);

        assert_eq!(api.delete(&record, t).await.0, 204);
        assert_eq!(api.get(&record, t).await.0, 404);
    })
    .await;
}

/// Every call on another organisation's zone, record or token is 404 and
/// changes nothing; scopes and feature gates are 403 naming what is missing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tenants_are_isolated() {
    each_engine(|api| async move {
        let zone = api.zone("acme.test", &api.acme_token).await;
        let (_, record) = api
            .post(
                &format!("/api/v1/domains/{zone}/records"),
                &api.acme_token,
                json!({"name": "www", "type": "A", "content": "192.0.2.1"}),
            )
            .await;
        let rid = record["id"].as_str().expect("id").to_string();
        let b = &api.beta_token;
        let zp = format!("/api/v1/domains/{zone}");
        let rp = format!("{zp}/records/{rid}");
        let probes: Vec<(Method, String, Option<Value>)> = vec![
            (Method::GET, zp.clone(), None),
            (
                Method::PATCH,
                zp.clone(),
                Some(json!({"description": "pwned"})),
            ),
            (Method::DELETE, zp.clone(), None),
            (Method::POST, format!("{zp}/restore"), Some(json!({}))),
            (Method::GET, format!("{zp}/soa"), None),
            (Method::GET, format!("{zp}/export"), None),
            (Method::GET, format!("{zp}/records"), None),
            (
                Method::POST,
                format!("{zp}/records"),
                Some(json!({"name": "x", "type": "A", "content": "192.0.2.9"})),
            ),
            (Method::GET, rp.clone(), None),
            (
                Method::PATCH,
                rp.clone(),
                Some(json!({"content": "192.0.2.66"})),
            ),
            (
                Method::PUT,
                rp.clone(),
                Some(json!({"name": "www", "type": "A", "content": "192.0.2.66"})),
            ),
            (Method::DELETE, rp.clone(), None),
            (Method::GET, format!("{zp}/rrsets/www/A"), None),
            (Method::DELETE, format!("{zp}/rrsets/www/A"), None),
            (Method::GET, format!("{zp}/changes"), None),
            (
                Method::POST,
                format!("{zp}/changes"),
                Some(json!({"changes": [{"op": "delete", "id": rid}]})),
            ),
            (
                Method::GET,
                format!("/api/v1/organisations/{}", api.acme.id),
                None,
            ),
            (
                Method::GET,
                format!("/api/v1/organisations/{}/projects", api.acme.id),
                None,
            ),
        ];
        for (method, path, body) in probes {
            let (s, b) = api.call(method, &path, Some(b), body).await;
            assert_error(s, &b, 404, "not_found", None);
        }
        let (_, listed) = api.get("/api/v1/domains", b).await;
        assert_eq!(listed["total"], 0);
        // Nothing changed.
        let (_, after) = api.get(&rp, &api.acme_token).await;
        assert_eq!(after["content"], "192.0.2.1");
        let (_, zone_after) = api.get(&zp, &api.acme_token).await;
        assert_eq!(
            (
                zone_after["status"].as_str(),
                zone_after["description"].as_str()
            ),
            (Some("active"), None)
        );

        // The admin sees everything.
        assert_eq!(api.get(&zp, &api.admin).await.0, 200);

        // Scopes: a read-only token reads but cannot write, told which scope.
        let r = &api.acme_reader;
        assert_eq!(api.get(&zp, r).await.0, 200);
        let (s, body) = api
            .post(
                &format!("{zp}/records"),
                r,
                json!({"name": "y", "type": "A", "content": "192.0.2.3"}),
            )
            .await;
        assert_error(s, &body, 403, "forbidden", None);
        assert!(
            body["detail"]
                .as_str()
                .is_some_and(|d| d.contains("dns:create")),
            "{body}"
        );
        let (s, body) = api.delete(&zp, r).await;
        assert!(
            s == 403
                && body["detail"]
                    .as_str()
                    .is_some_and(|d| d.contains("dns:delete")),
            "{body}"
        );

        // Feature gate: an organisation without `dns`.
        let (s, org) = api
            .post(
                "/api/v1/organisations",
                &api.admin,
                json!({"slug": "nodns", "name": "No DNS", "features": ["kms"]}),
            )
            .await;
        assert_eq!(s, 201, "{org}");
        let nodns: tern_core::Organisation = tern_core::Organisation {
            id: org["id"].as_str().and_then(|i| i.parse().ok()).expect("id"),
            slug: "nodns".into(),
            name: "No DNS".into(),
            features: vec!["kms".into()],
            created_at: 0,
            max_zones: None,
            max_records_per_zone: None,
        };
        let token = api.token(&nodns, &[Scope::DnsAll], None).await;
        let (s, body) = api.get("/api/v1/domains", &token).await;
        assert!(
            s == 403
                && body["detail"]
                    .as_str()
                    .is_some_and(|d| d.contains("'dns' feature")),
            "{body}"
        );

        // A project-bound token sees only its project's zones.
        let (s, project) = api
            .post(
                &format!("/api/v1/organisations/{}/projects", api.acme.id),
                &api.acme_token,
                json!({"slug": "web", "name": "Web"}),
            )
            .await;
        assert_eq!(s, 201, "{project}");
        let project_id: uuid::Uuid = project["id"]
            .as_str()
            .and_then(|p| p.parse().ok())
            .expect("id");
        let bound = api
            .token(&api.acme, &[Scope::DnsAll], Some(project_id))
            .await;
        assert_eq!(
            api.get(&zp, &bound).await.0,
            404,
            "zone outside the project"
        );
        let inside = api.zone("web.acme.test", &bound).await;
        let (_, listed) = api.get("/api/v1/domains", &bound).await;
        assert_eq!(listed["total"], 1, "{listed}");
        assert_eq!(listed["data"][0]["id"].as_str(), Some(inside.as_str()));
        assert_eq!(
            listed["data"][0]["project_id"].as_str(),
            Some(project_id.to_string().as_str())
        );
        let (_, all) = api.get("/api/v1/domains", &api.acme_token).await;
        assert_eq!(all["total"], 2);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_have_one_shape() {
    each_engine(|api: std::sync::Arc<Api>| async move {
        let (s, b) = api.get("/api/v1/nothing-here", &api.acme_token).await;
        assert_error(s, &b, 404, "not_found", None);
        let response = api
            .client
            .post(format!("{}/api/v1/domains", api.base))
            .bearer_auth(&api.acme_token)
            .header("Content-Type", "application/json")
            .body("{not json")
            .send()
            .await
            .expect("request");
        assert_eq!(response.status(), 400);
        let body: Value = response.json().await.expect("json");
        assert_eq!(body["error_code"], "validation_error");
        let (s, b) = api.get("/api/v1/domains/not-a-uuid", &api.acme_token).await;
        assert_error(s, &b, 404, "not_found", None);
        let big = "x".repeat(2 * 1024 * 1024);
        let response = api
            .client
            .post(format!("{}/api/v1/domains", api.base))
            .bearer_auth(&api.acme_token)
            .header("Content-Type", "application/json")
            .body(big)
            .send()
            .await
            .expect("request");
        assert_eq!(response.status(), 413);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn templates_at_creation_and_later() {
    each_engine(|api| async move {
        let t = &api.acme_token;
        let (s, list) = api.get("/api/v1/templates", t).await;
        assert_eq!(s, 200);
        assert!(list.to_string().contains("tpl_website_basic"), "{list}");

        // At creation: the zone comes with the template's records.
        let (s, zone) = api
            .post(
                "/api/v1/domains",
                t,
                json!({"name": "site.test", "domain_type": "primary", "template_id": "tpl_website_basic",
                       "template_variables": {"ip_address": "192.0.2.1", "mail_server": "mail.site.test"}}),
            )
            .await;
        assert_eq!(s, 201, "{zone}");
        assert_eq!(zone["record_count"], 4, "NS + @ A + www A + MX: {zone}");
        // Bad variables create nothing, and say which variable.
        let (s, b) = api
            .post(
                "/api/v1/domains",
                t,
                json!({"name": "bad.test", "domain_type": "primary", "template_id": "tpl_website_basic",
                       "template_variables": {"ip_address": "not-an-ip"}}),
            )
            .await;
        assert_error(s, &b, 400, "validation_error", Some("template.records[0].content"));
        let (s, b) = api
            .post("/api/v1/domains", t, json!({"name": "bad.test", "domain_type": "primary", "template_id": "tpl_website_basic"}))
            .await;
        assert_error(s, &b, 400, "validation_error", Some("variables.ip_address"));
        let (s, b) = api
            .post("/api/v1/domains", t, json!({"name": "bad.test", "domain_type": "primary", "template_id": "tpl_nope"}))
            .await;
        assert_error(s, &b, 404, "not_found", Some("template_id"));
        let (_, listed) = api.get("/api/v1/domains?search=bad", t).await;
        assert_eq!(listed["total"], 0);

        // An organisation's own template, applied later in one batch.
        let (s, own) = api
            .post(
                "/api/v1/templates",
                t,
                json!({"name": "api host", "variables": [{"name": "target", "required": true}],
                       "records": [{"name": "api", "type": "CNAME", "content": "{{target}}"},
                                   {"name": "_acme-challenge.api", "type": "TXT", "content": "\"x\"", "ttl": 60}]}),
            )
            .await;
        assert_eq!(s, 201, "{own}");
        let tid = own["id"].as_str().expect("id");
        let zid = zone["id"].as_str().expect("id");
        let (s, applied) = api
            .post(&format!("/api/v1/domains/{zid}/apply-template"), t, json!({"template_id": tid, "variables": {"target": "lb.example.net"}}))
            .await;
        assert_eq!(s, 200, "{applied}");
        assert_eq!(applied["records_created"].as_array().map(Vec::len), Some(2), "{applied}");
        // Other organisations cannot see or use it; built-ins are read-only.
        assert_eq!(api.get(&format!("/api/v1/templates/{tid}"), &api.beta_token).await.0, 404);
        let (s, b) = api.delete("/api/v1/templates/tpl_website_basic", t).await;
        assert_error(s, &b, 403, "forbidden", None);
        let (s, b) = api
            .post("/api/v1/templates", t, json!({"name": "x", "records": [{"name": "@", "type": "A", "content": "{{ip}}"}]}))
            .await;
        assert_error(s, &b, 400, "validation_error", Some("records[0].content"));
        assert_eq!(api.delete(&format!("/api/v1/templates/{tid}"), t).await.0, 204);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limits_per_token_and_class() {
    let limits = tern_api::limits::RateLimits {
        read: 3,
        create: 2,
        ..Default::default()
    };
    let setup = common::Setup {
        limits,
        ..Default::default()
    };
    common::each_engine_with(setup, |api| async move {
        for remaining in [2, 1, 0] {
            let response = api
                .client
                .get(format!("{}/api/v1/domains", api.base))
                .bearer_auth(&api.acme_token)
                .send()
                .await
                .expect("request");
            assert_eq!(response.status(), 200);
            assert_eq!(response.headers()["x-ratelimit-limit"], "3");
            assert_eq!(
                response.headers()["x-ratelimit-remaining"],
                remaining.to_string().as_str()
            );
        }
        let response = api
            .client
            .get(format!("{}/api/v1/domains", api.base))
            .bearer_auth(&api.acme_token)
            .send()
            .await
            .expect("request");
        assert_eq!(response.status(), 429);
        let retry: u64 = response.headers()["retry-after"]
            .to_str()
            .ok()
            .and_then(|r| r.parse().ok())
            .expect("Retry-After");
        assert!((1..=60).contains(&retry));
        let body: Value = response.json().await.expect("json");
        assert_eq!(body["error_code"], "rate_limit_exceeded");
        // Another token, and another class of the same token, have their own budget.
        assert_eq!(api.get("/api/v1/domains", &api.beta_token).await.0, 200);
        api.zone("limited.test", &api.acme_token).await;
        // Guessing with a new token each time is counted per address.
        for n in 0..3 {
            let (s, _) = api.get("/api/v1/domains", &format!("tern_guess{n}")).await;
            assert_eq!(s, 401);
        }
        let (s, b) = api.get("/api/v1/domains", "tern_guess4").await;
        assert_eq!(
            (s.as_u16(), b["error_code"].as_str()),
            (429, Some("rate_limit_exceeded")),
            "{b}"
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idempotency_keys_make_retries_safe() {
    each_engine(|api| async move {
        let zone = api.zone("idem.test", &api.acme_token).await;
        let records = format!("{}/api/v1/domains/{zone}/records", api.base);
        let send = |key: &'static str, content: &'static str| {
            let api = api.clone();
            let records = records.clone();
            async move {
                let response = api
                    .client
                    .post(&records)
                    .bearer_auth(&api.acme_token)
                    .header("Idempotency-Key", key)
                    .json(&json!({"name": "www", "type": "A", "content": content}))
                    .send()
                    .await
                    .expect("request");
                let replayed = response.headers().contains_key("idempotent-replayed");
                (
                    response.status().as_u16(),
                    replayed,
                    response.json::<Value>().await.expect("json"),
                )
            }
        };
        let (s1, replayed1, first) = send("create-www-1", "192.0.2.1").await;
        let (s2, replayed2, second) = send("create-www-1", "192.0.2.1").await;
        assert_eq!((s1, replayed1, s2, replayed2), (201, false, 201, true));
        assert_eq!(first["id"], second["id"], "the same record, created once");
        let (_, list) = api
            .get(
                &format!("/api/v1/domains/{zone}/records?name=www"),
                &api.acme_token,
            )
            .await;
        assert_eq!(list["total"], 1);
        let (s3, _, body) = send("create-www-1", "192.0.2.2").await;
        assert_eq!(s3, 422, "{body}");
        assert_eq!(body["field"], "Idempotency-Key");
        // Another token's key of the same text is its own.
        let response = api
            .client
            .post(&records)
            .bearer_auth(&api.beta_token)
            .header("Idempotency-Key", "create-www-1")
            .json(&json!({"name": "www", "type": "A", "content": "192.0.2.1"}))
            .send()
            .await
            .expect("request");
        assert_eq!(
            response.status(),
            404,
            "beta cannot see the zone, and gets no replay"
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tsig_keys_are_admin_only() {
    each_engine(|api| async move {
        let (s, key) = api
            .post(
                "/api/v1/tsig-keys",
                &api.admin,
                json!({"name": "xfr.example.net", "algorithm": "hmac-sha512"}),
            )
            .await;
        assert_eq!(s, 201, "{key}");
        assert_eq!(key["name"], "xfr.example.net.");
        assert!(
            key["secret"].as_str().is_some_and(|s| s.len() == 88),
            "{key}"
        );
        assert!(
            key["config"]
                .as_str()
                .is_some_and(|c| c.contains("algorithm hmac-sha512;"))
        );
        let (s, list) = api.get("/api/v1/tsig-keys", &api.admin).await;
        assert_eq!(s, 200);
        assert!(
            !list
                .to_string()
                .contains(key["secret"].as_str().unwrap_or("-")),
            "secrets are shown once"
        );
        let (s, b) = api
            .post(
                "/api/v1/tsig-keys",
                &api.admin,
                json!({"name": "xfr.example.net"}),
            )
            .await;
        assert_error(s, &b, 409, "conflict", None);
        let (s, b) = api
            .post(
                "/api/v1/tsig-keys",
                &api.admin,
                json!({"name": "k", "algorithm": "hmac-md5"}),
            )
            .await;
        assert_error(s, &b, 400, "validation_error", Some("algorithm"));
        let (s, b) = api.get("/api/v1/tsig-keys", &api.acme_token).await;
        assert!(
            s == 403 && b["detail"].as_str().is_some_and(|d| d.contains("admin")),
            "{b}"
        );
        assert_eq!(
            api.delete("/api/v1/tsig-keys/xfr.example.net", &api.admin)
                .await
                .0,
            204
        );
        assert_eq!(
            api.get("/api/v1/tsig-keys/xfr.example.net", &api.admin)
                .await
                .0,
            404
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reverse_zones_and_ptr_records() {
    each_engine(|api| async move {
        let t = &api.acme_token;
        let (s, z) = api
            .post("/api/v1/reverse-zones/", t, json!({"cidr": "192.0.2.0/24"}))
            .await;
        assert_eq!(s, 201, "{z}");
        assert_eq!(
            (
                z["zone"]["name"].as_str(),
                z["zone"]["domain_type"].as_str()
            ),
            (Some("2.0.192.in-addr.arpa"), Some("reverse_ipv4"))
        );
        let (s, v6) = api
            .post("/api/v1/reverse-zones", t, json!({"cidr": "2001:db8::/48"}))
            .await;
        assert_eq!(s, 201, "{v6}");
        assert_eq!(v6["zone"]["name"], "0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa");
        let (s, b) = api
            .post("/api/v1/reverse-zones", t, json!({"cidr": "192.0.16.0/20"}))
            .await;
        assert_error(s, &b, 400, "validation_error", Some("cidr"));

        // RFC 2317: the /24 above is ours, so it gets the CNAMEs and NS.
        let (s, classless) = api
            .post("/api/v1/reverse-zones", t, json!({"cidr": "192.0.2.64/26"}))
            .await;
        assert_eq!(s, 201, "{classless}");
        assert_eq!(
            classless["parent_records"].as_array().map(Vec::len),
            Some(65),
            "1 NS + 64 CNAMEs: {classless}"
        );
        assert!(classless["parent_zone_id"].is_string());

        // PTRs land in the most specific zone: the classless child for .70.
        let (s, ptr) = api
            .post(
                "/api/v1/reverse-zones/ptr",
                t,
                json!({"address": "192.0.2.70", "target": "host70.example.com"}),
            )
            .await;
        assert_eq!(s, 201, "{ptr}");
        assert_eq!(ptr["domain_id"], classless["zone"]["id"]);
        assert_eq!(ptr["record"]["content"], "host70.example.com.");
        let (s, ptr) = api
            .post(
                "/api/v1/reverse-zones/ptr",
                t,
                json!({"address": "192.0.2.5", "target": "host5.example.com"}),
            )
            .await;
        assert_eq!(s, 201, "{ptr}");
        assert_eq!(ptr["record"]["fqdn"], "5.2.0.192.in-addr.arpa.");
        let (s, ptr) = api
            .post(
                "/api/v1/reverse-zones/ptr",
                t,
                json!({"address": "2001:db8::1", "target": "v6.example.com"}),
            )
            .await;
        assert_eq!(s, 201, "{ptr}");
        let (s, b) = api
            .post(
                "/api/v1/reverse-zones/ptr",
                t,
                json!({"address": "198.51.100.1", "target": "x.example.com"}),
            )
            .await;
        assert_error(s, &b, 404, "not_found", Some("address"));
        let (s, b) = api
            .post(
                "/api/v1/reverse-zones/ptr",
                t,
                json!({"address": "nope", "target": "x.example.com"}),
            )
            .await;
        assert_error(s, &b, 400, "validation_error", Some("address"));
        // Another organisation's reverse zones are not a home for its PTRs.
        let (s, _) = api
            .post(
                "/api/v1/reverse-zones/ptr",
                &api.beta_token,
                json!({"address": "192.0.2.9", "target": "x.example.com"}),
            )
            .await;
        assert_eq!(s, 404);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn access_grants_share_a_zone() {
    each_engine(|api| async move {
        let zone = api.zone("shared.test", &api.acme_token).await;
        let zp = format!("/api/v1/domains/{zone}");
        let records = format!("{zp}/records");
        let b = &api.beta_token;
        assert_eq!(api.get(&zp, b).await.0, 404, "not shared yet");

        let (s, grant) = api
            .post(
                &format!("{zp}/access-grants"),
                &api.acme_token,
                json!({"organisation": "beta", "role": "viewer"}),
            )
            .await;
        assert_eq!(s, 201, "{grant}");
        assert_eq!(api.get(&zp, b).await.0, 200);
        assert_eq!(api.get(&records, b).await.0, 200);
        let (s, body) = api
            .post(
                &records,
                b,
                json!({"name": "x", "type": "A", "content": "192.0.2.1"}),
            )
            .await;
        assert!(
            s == 403
                && body["detail"]
                    .as_str()
                    .is_some_and(|d| d.contains("viewer")),
            "{body}"
        );
        let (_, listed) = api.get("/api/v1/domains?include_shared=true", b).await;
        assert_eq!(listed["total"], 1, "{listed}");
        assert_eq!(
            api.get("/api/v1/domains", b).await.1["total"],
            0,
            "own zones only by default"
        );

        // Upgrade to editor: records may change, the zone itself may not.
        let gid = grant["id"].as_str().expect("id");
        assert_eq!(
            api.delete(&format!("{zp}/access-grants/{gid}"), &api.acme_token)
                .await
                .0,
            204
        );
        let (s, grant) = api
            .post(
                &format!("{zp}/access-grants"),
                &api.acme_token,
                json!({"organisation_id": api.beta.id, "role": "editor"}),
            )
            .await;
        assert_eq!(s, 201, "{grant}");
        let (s, created) = api
            .post(
                &records,
                b,
                json!({"name": "x", "type": "A", "content": "192.0.2.1"}),
            )
            .await;
        assert_eq!(s, 201, "{created}");
        let (s, body) = api.delete(&zp, b).await;
        assert!(
            s == 403 && body["detail"].as_str().is_some_and(|d| d.contains("owns")),
            "{body}"
        );
        let (s, body) = api.get(&format!("{zp}/access-grants"), b).await;
        assert_eq!(s, 403, "{body}");
        let (s, body) = api
            .post(
                &format!("{zp}/access-grants"),
                &api.acme_token,
                json!({"organisation": "beta", "role": "viewer"}),
            )
            .await;
        assert_error(s, &body, 409, "conflict", None);
        let (s, body) = api
            .post(
                &format!("{zp}/access-grants"),
                &api.acme_token,
                json!({"organisation": "acme", "role": "viewer"}),
            )
            .await;
        assert_error(s, &body, 400, "validation_error", Some("organisation_id"));
        let (_, list) = api
            .get(&format!("{zp}/access-grants"), &api.acme_token)
            .await;
        assert_eq!(list["data"][0]["organisation"], "beta");
        // Revoked: gone again.
        let gid = grant["id"].as_str().expect("id");
        assert_eq!(
            api.delete(&format!("{zp}/access-grants/{gid}"), &api.acme_token)
                .await
                .0,
            204
        );
        assert_eq!(api.get(&zp, b).await.0, 404);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openapi_document_covers_the_api() {
    each_engine(|api| async move {
        let (s, doc) = api
            .call(Method::GET, "/api/v1/openapi.json", None, None)
            .await;
        assert_eq!(s, 200);
        assert!(
            doc["openapi"]
                .as_str()
                .is_some_and(|v| v.starts_with("3.1")),
            "{}",
            doc["openapi"]
        );
        assert_eq!(
            doc["components"]["securitySchemes"]["bearer"]["scheme"],
            "bearer"
        );
        let paths = doc["paths"].as_object().expect("paths");
        for path in [
            "/api/v1/me",
            "/api/v1/organisations",
            "/api/v1/organisations/{org_id}/projects",
            "/api/v1/tokens",
            "/api/v1/tokens/{token_id}",
            "/api/v1/domains",
            "/api/v1/domains/{domain_id}",
            "/api/v1/domains/{domain_id}/restore",
            "/api/v1/domains/{domain_id}/soa",
            "/api/v1/domains/{domain_id}/export",
            "/api/v1/domains/{domain_id}/import",
            "/api/v1/domains/{domain_id}/records",
            "/api/v1/domains/{domain_id}/records/{record_id}",
            "/api/v1/domains/{domain_id}/rrsets/{name}/{rtype}",
            "/api/v1/domains/{domain_id}/changes",
            "/api/v1/domains/{domain_id}/changes/{serial}/revert",
            "/api/v1/domains/{domain_id}/access-grants",
            "/api/v1/domains/{domain_id}/validation/verify",
            "/api/v1/domains/{domain_id}/apply-template",
            "/api/v1/templates/{template_id}",
            "/api/v1/reverse-zones",
            "/api/v1/reverse-zones/ptr",
            "/api/v1/tsig-keys/{name}",
        ] {
            assert!(
                paths.contains_key(path),
                "{path} missing from the OpenAPI document"
            );
        }
        let record = &doc["components"]["schemas"]["RecordView"]["properties"];
        assert!(
            record["content"].is_object() && record["priority"].is_object(),
            "{record}"
        );
        let create = &paths["/api/v1/domains"]["post"];
        assert!(
            create["responses"]["401"].is_object() && create["responses"]["201"].is_object(),
            "{create}"
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn organisation_quotas() {
    each_engine(|api| async move {
        let path = format!("/api/v1/organisations/{}", api.beta.id);
        let (s, b) = api
            .patch(&path, &api.beta_token, json!({"max_zones": 1}))
            .await;
        assert!(
            s == 403 && b["detail"].as_str().is_some_and(|d| d.contains("admin")),
            "{b}"
        );
        let (s, org) = api
            .patch(
                &path,
                &api.admin,
                json!({"max_zones": 1, "max_records_per_zone": 3}),
            )
            .await;
        assert_eq!(s, 200, "{org}");
        assert_eq!(
            (
                org["max_zones"].as_u64(),
                org["max_records_per_zone"].as_u64()
            ),
            (Some(1), Some(3))
        );

        let zone = api.zone("quota.test", &api.beta_token).await;
        let (s, b) = api
            .post(
                "/api/v1/domains",
                &api.beta_token,
                json!({"name": "second.test", "domain_type": "primary"}),
            )
            .await;
        assert_error(s, &b, 422, "unprocessable_entity", Some("name"));
        assert!(
            b["detail"]
                .as_str()
                .is_some_and(|d| d.contains("at most 1 zones")),
            "{b}"
        );

        // NS (1) + 2 more fit; the fourth does not, and a batch that would
        // cross the line changes nothing.
        let records = format!("/api/v1/domains/{zone}/records");
        for n in 1..=2 {
            let (s, b) = api
                .post(
                    &records,
                    &api.beta_token,
                    json!({"name": format!("h{n}"), "type": "A", "content": "192.0.2.1"}),
                )
                .await;
            assert_eq!(s, 201, "{b}");
        }
        let (s, b) = api
            .post(
                &records,
                &api.beta_token,
                json!({"name": "h3", "type": "A", "content": "192.0.2.1"}),
            )
            .await;
        assert_error(s, &b, 422, "unprocessable_entity", Some("records"));
        let (_, list) = api.get(&records, &api.beta_token).await;
        assert_eq!(list["total"], 3);

        // Lifting the quota (null) lets it grow again.
        let (s, _) = api
            .patch(&path, &api.admin, json!({"max_records_per_zone": null}))
            .await;
        assert_eq!(s, 200);
        let (s, b) = api
            .post(
                &records,
                &api.beta_token,
                json!({"name": "h3", "type": "A", "content": "192.0.2.1"}),
            )
            .await;
        assert_eq!(s, 201, "{b}");
    })
    .await;
}

/// The holes a security review found, each shut.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn review_findings_stay_fixed() {
    each_engine(|api| async move {
        let t = &api.acme_token;
        let (_, project) = api
            .post(&format!("/api/v1/organisations/{}/projects", api.acme.id), t, json!({"slug": "p1", "name": "P1"}))
            .await;
        let p1: uuid::Uuid = project["id"].as_str().and_then(|p| p.parse().ok()).expect("project");
        let bound = api.token(&api.acme, &[Scope::DnsAll, Scope::TokensManage], Some(p1)).await;

        // Project-bound tokens see and revoke only their project's tokens.
        let (_, tokens) = api.get("/api/v1/tokens", &bound).await;
        assert!(tokens["data"].as_array().is_some_and(|d| d.iter().all(|t| t["project_id"] == p1.to_string())), "{tokens}");
        let (_, me) = api.get("/api/v1/me", t).await;
        let org_token = me["id"].as_str().expect("id");
        assert_eq!(api.delete(&format!("/api/v1/tokens/{org_token}"), &bound).await.0, 404);
        // No revoking a more powerful token.
        let (_, admin_me) = api.get("/api/v1/me", &api.admin).await;
        let (s, b) = api.delete(&format!("/api/v1/tokens/{}", admin_me["id"].as_str().expect("id")), t).await;
        assert!(s == 403 && b["detail"].as_str().is_some_and(|d| d.contains("admin")), "{b}");

        // Project-bound tokens use templates but do not change them.
        let (s, b) = api
            .post("/api/v1/templates", &bound, json!({"name": "x", "records": [{"name": "@", "type": "A", "content": "192.0.2.1"}]}))
            .await;
        assert_error(s, &b, 403, "forbidden", None);

        // A reverse zone cannot go into another organisation's project.
        let (_, beta_project) = api
            .post(&format!("/api/v1/organisations/{}/projects", api.beta.id), &api.beta_token, json!({"slug": "bp", "name": "BP"}))
            .await;
        let (s, b) = api
            .post("/api/v1/reverse-zones", t, json!({"cidr": "198.51.100.0/24", "project_id": beta_project["id"]}))
            .await;
        assert_error(s, &b, 400, "validation_error", Some("project_id"));

        // Editors change records, not the SOA: no imports for grantees.
        let zone = api.zone("review.test", t).await;
        api.post(&format!("/api/v1/domains/{zone}/access-grants"), t, json!({"organisation": "beta", "role": "editor"})).await;
        let response = api
            .client
            .post(format!("{}/api/v1/domains/{zone}/import", api.base))
            .bearer_auth(&api.beta_token)
            .body("@ 3600 IN SOA evil.example. pwned.evil.example. 4000000000 1 1 1 1\n")
            .send()
            .await
            .expect("import");
        assert_eq!(response.status(), 403);

        // Revert needs the scopes of what it does.
        let records = format!("/api/v1/domains/{zone}/records");
        let (_, created) = api.post(&records, t, json!({"name": "r", "type": "A", "content": "192.0.2.1"})).await;
        let (_, zone_now) = api.get(&format!("/api/v1/domains/{zone}"), t).await;
        let serial = zone_now["serial"].as_u64().expect("serial");
        let updater = api.token(&api.acme, &[Scope::DnsRead, Scope::DnsUpdate], None).await;
        let (s, b) = api.post(&format!("/api/v1/domains/{zone}/changes/{serial}/revert"), &updater, json!({})).await;
        assert!(s == 403 && b["detail"].as_str().is_some_and(|d| d.contains("dns:delete")), "{b}");
        assert_eq!(api.get(&format!("{records}/{}", created["id"].as_str().expect("id")), t).await.0, 200);

        // New tokens keep the creator's limits.
        let limited = tern_api::admin::issue_token(
            api.service.store().as_ref(),
            tern_api::admin::TokenRequest {
                org_id: api.acme.id,
                project_id: None,
                name: "limited".into(),
                scopes: vec![Scope::DnsAll, Scope::TokensManage],
                expires_in_secs: Some(3600),
                allowed_networks: vec![tern_core::transfer::Cidr::parse("127.0.0.0/8").expect("cidr")],
            },
            None,
        )
        .await
        .expect("token")
        .1;
        let (s, child) = api.post("/api/v1/tokens", &limited, json!({"name": "child", "scopes": ["dns:read"]})).await;
        assert_eq!(s, 201, "{child}");
        assert_eq!(child["allowed_networks"], json!(["127.0.0.0/8"]));
        assert!(child["expires_at"].is_string(), "{child}");
        let (s, b) = api
            .post("/api/v1/tokens", &limited, json!({"name": "wide", "scopes": ["dns:read"], "allowed_networks": ["0.0.0.0/0"]}))
            .await;
        assert_error(s, &b, 400, "validation_error", Some("allowed_networks"));

        // Huge page numbers are not an overflow.
        let (s, _) = api.get(&format!("/api/v1/domains/{zone}/changes?page=18446744073709551615"), t).await;
        assert!(s.is_success() || s == 400, "{s}");

        // A revoked token gets no kept answer back.
        let short = api.token(&api.acme, &[Scope::DnsAll, Scope::TokensManage], None).await;
        let send = |token: String| {
            let api = api.clone();
            let records = records.clone();
            async move {
                api.client
                    .post(format!("{}{records}", api.base))
                    .bearer_auth(token)
                    .header("Idempotency-Key", "once")
                    .json(&json!({"name": "idem", "type": "A", "content": "192.0.2.1"}))
                    .send()
                    .await
                    .expect("request")
                    .status()
                    .as_u16()
            }
        };
        assert_eq!(send(short.clone()).await, 201);
        let (_, short_me) = api.get("/api/v1/me", &short).await;
        assert_eq!(api.delete(&format!("/api/v1/tokens/{}", short_me["id"].as_str().expect("id")), &short).await.0, 204);
        assert_eq!(send(short).await, 401);
    })
    .await;
}

/// Record listings page in the store: the same order on both engines,
/// filters applied before paging, `total` over all matches.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn record_listing_pages_in_the_store() {
    each_engine(|api| async move {
        let t = &api.acme_token;
        let zone = api.zone("pages.test", t).await;
        let changes: Vec<serde_json::Value> = (0..25)
            .map(|i| json!({"op": "create", "name": format!("h{i:02}"), "type": "A", "content": format!("192.0.2.{i}")}))
            .chain((0..5).map(|i| json!({"op": "create", "name": format!("Mail{i}"), "type": "TXT", "content": format!("\"v=spf1 ip4:198.51.100.{i} -all\"")})))
            .collect();
        let (s, b) = api.post(&format!("/api/v1/domains/{zone}/changes"), t, json!({"changes": changes})).await;
        assert_eq!(s, 200, "{b}");
        let records = format!("/api/v1/domains/{zone}/records");
        let (_, p1) = api.get(&format!("{records}?type=A&page_size=10"), t).await;
        let (_, p3) = api.get(&format!("{records}?type=A&page_size=10&page=3"), t).await;
        assert_eq!((p1["total"].as_u64(), p1["total_pages"].as_u64()), (Some(25), Some(3)), "{p1}");
        assert_eq!(p1["data"][0]["name"], "h00");
        assert_eq!(p3["data"].as_array().map(Vec::len), Some(5));
        assert_eq!(p3["data"][4]["name"], "h24");
        // Search: owner or content, any case; LIKE wildcards are literal.
        let (_, found) = api.get(&format!("{records}?search=198.51.100.3"), t).await;
        assert_eq!(found["total"], 1, "{found}");
        let (_, found) = api.get(&format!("{records}?search=MAIL"), t).await;
        assert_eq!(found["total"], 5, "{found}");
        let (_, found) = api.get(&format!("{records}?search=%25"), t).await;
        assert_eq!(found["total"], 0, "% is not a wildcard: {found}");
        let (_, found) = api.get(&format!("{records}?name=mail2&type=TXT"), t).await;
        assert_eq!(found["total"], 1, "{found}");
        let (_, beyond) = api.get(&format!("{records}?page=99"), t).await;
        assert_eq!((beyond["total"].as_u64(), beyond["data"].as_array().map(Vec::len)), (Some(31), Some(0)));
    })
    .await;
}
