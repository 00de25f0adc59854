//! Edges of the native API and PocketDNS found by probing a running server
//! (issue 9): idempotent replays of responses too large to keep, JSON
//! errors that name the right field (or, for broken JSON, the position),
//! integers written as `4522.0`, the history's list envelope, PocketDNS
//! names with hyphens at their edges, and query parameters the OpenAPI
//! document must not declare as path parameters.

mod common;

use common::{Api, assert_error, each_engine};
use serde_json::{Value, json};

/// Sends `body` as raw JSON text (it may be broken on purpose).
async fn post_raw(api: &Api, path: &str, body: &str) -> (u16, Value) {
    let response = api
        .client
        .post(format!("{}{path}", api.base))
        .bearer_auth(&api.acme_token)
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .expect("request");
    let status = response.status().as_u16();
    (status, response.json().await.expect("json"))
}

/// A zone file of `count` TXT records of about 4,000 characters each: its
/// import's answer (every record added, with its content) is well over
/// 4 MiB.
fn large_zone_file(count: usize) -> String {
    let strings = vec![format!("\"{}\"", "x".repeat(250)); 16].join(" ");
    let mut text = String::with_capacity(count * 4_200);
    for i in 0..count {
        text.push_str(&format!("r{i:05} 300 IN TXT {strings}\n"));
    }
    text
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idempotent_answer_too_large_to_keep_is_whole_first_and_marked_on_replay() {
    each_engine(|api| async move {
        let zone = api.zone("big-idem.test", &api.acme_token).await;
        let url = format!("{}/api/v1/domains/{zone}/import", api.base);
        let file = large_zone_file(1_500);
        let send = || async {
            let response = api
                .client
                .post(&url)
                .bearer_auth(&api.acme_token)
                .header("Idempotency-Key", "big-import-1")
                .header("content-type", "text/dns")
                .body(file.clone())
                .send()
                .await
                .expect("request");
            let status = response.status().as_u16();
            let headers = response.headers().clone();
            let text = response.text().await.expect("body");
            (status, headers, text)
        };
        let (status, headers, text) = send().await;
        assert_eq!(status, 200, "{}", &text[..text.len().min(300)]);
        assert!(
            text.len() > 4 * 1024 * 1024,
            "the first caller gets the whole answer, {} bytes",
            text.len()
        );
        let first: Value = serde_json::from_str(&text).expect("the first answer is JSON");
        assert_eq!(first["added"].as_array().map(Vec::len), Some(1_500));
        assert!(headers.get("idempotent-replayed").is_none());

        let (status, headers, text) = send().await;
        assert_eq!(status, 200, "a replay keeps the original status: {text}");
        assert_eq!(
            headers.get("idempotent-replayed").map(|v| v.as_bytes()),
            Some(&b"true"[..])
        );
        assert_eq!(
            headers.get("idempotent-body-omitted").map(|v| v.as_bytes()),
            Some(&b"too-large"[..]),
            "the replay says the original body was not kept"
        );
        let replay: Value =
            serde_json::from_str(&text).expect("the replay explains itself in JSON");
        assert_eq!(replay["body_kept"], false, "{replay}");
        assert!(
            replay["body_bytes"]
                .as_u64()
                .is_some_and(|n| n > 4 * 1024 * 1024),
            "{replay}"
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idempotent_replay_keeps_the_headers_of_the_first_answer() {
    each_engine(|api| async move {
        let zone = api.zone("idem-headers.test", &api.acme_token).await;
        let url = format!("{}/api/v1/domains/{zone}/records", api.base);
        let send = || async {
            let response = api
                .client
                .post(&url)
                .bearer_auth(&api.acme_token)
                .header("Idempotency-Key", "small-1")
                .json(&json!({"name": "www", "type": "A", "content": "192.0.2.1"}))
                .send()
                .await
                .expect("request");
            let headers = response.headers().clone();
            (
                response.status().as_u16(),
                headers,
                response.text().await.expect("body"),
            )
        };
        let (s1, h1, b1) = send().await;
        let (s2, h2, b2) = send().await;
        assert_eq!((s1, s2), (201, 201));
        assert_eq!(b1, b2, "a small answer is replayed whole");
        assert_eq!(h1.get("content-type"), h2.get("content-type"));
        assert!(h2.get("idempotent-body-omitted").is_none());
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broken_json_reports_where_it_broke() {
    each_engine(|api| async move {
        let (s, body) = post_raw(
            &api,
            "/api/v1/domains",
            "{\"name\": \"broken.test\",\n \"domain_type\": primary}",
        )
        .await;
        assert_eq!(s, 400, "{body}");
        assert_eq!(body["error_code"], "validation_error", "{body}");
        assert!(
            body["field"].is_null() || body["field"] == "domain_type",
            "no bogus field: {body}"
        );
        let detail = body["detail"].as_str().unwrap_or_default();
        assert!(
            detail.contains("line 2") && detail.contains("column"),
            "the detail gives the position: {body}"
        );
        let (s, body) = post_raw(&api, "/api/v1/domains", "{\"name\": \"cut.test\"").await;
        assert_eq!(s, 400, "{body}");
        assert_ne!(body["field"], "?", "{body}");
        assert!(
            body["detail"]
                .as_str()
                .is_some_and(|d| d.contains("line 1")),
            "{body}"
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_fields_are_named_once() {
    each_engine(|api| async move {
        let (s, body) = api
            .post(
                "/api/v1/tokens",
                &api.acme_token,
                json!({"name": "t", "scopes": ["dns:read"], "organisation": "acme"}),
            )
            .await;
        assert_error(s, &body, 400, "validation_error", Some("organisation"));
        let zone = api.zone("unknown-field.test", &api.acme_token).await;
        let (s, body) = api
            .post(
                &format!("/api/v1/domains/{zone}/changes"),
                &api.acme_token,
                json!({"changes": [{"op": "create", "name": "a", "type": "A", "content": "192.0.2.1", "colour": "red"}]}),
            )
            .await;
        assert_error(s, &body, 400, "validation_error", Some("changes[0].colour"));
        // A missing field is still named below its parent.
        let (s, body) = api
            .put(
                &format!("/api/v1/domains/{zone}/rrsets/www/A"),
                &api.acme_token,
                json!({"records": [{"priority": 1}]}),
            )
            .await;
        assert_error(s, &body, 400, "validation_error", Some("records[0].content"));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn integers_written_as_floats_are_integers() {
    each_engine(|api| async move {
        let t = &api.acme_token;
        let zone = api.zone("floats.test", t).await;
        let records = format!("/api/v1/domains/{zone}/records");
        let (s, a) = post_raw(
            &api,
            &records,
            r#"{"name": "www", "type": "A", "content": "192.0.2.1", "ttl": 4522.0}"#,
        )
        .await;
        assert_eq!((s, a["ttl"].as_u64()), (201, Some(4522)), "{a}");
        let (s, mx) = post_raw(
            &api,
            &records,
            r#"{"name": "@", "type": "MX", "content": "mail.floats.test.", "priority": 1e1}"#,
        )
        .await;
        assert_eq!((s, mx["priority"].as_u64()), (201, Some(10)), "{mx}");
        let (s, b) = post_raw(
            &api,
            &records,
            r#"{"name": "w2", "type": "A", "content": "192.0.2.2", "ttl": 4522.5}"#,
        )
        .await;
        assert_eq!((s, b["field"].as_str()), (400, Some("ttl")), "{b}");
        let (s, b) = post_raw(
            &api,
            &records,
            r#"{"name": "w3", "type": "A", "content": "192.0.2.3", "ttl": -1.0}"#,
        )
        .await;
        assert_eq!((s, b["field"].as_str()), (400, Some("ttl")), "{b}");
        let response = api
            .client
            .patch(format!("{}/api/v1/domains/{zone}", api.base))
            .bearer_auth(t)
            .header("content-type", "application/json")
            .body(r#"{"default_ttl": 600.0}"#)
            .send()
            .await
            .expect("request");
        let status = response.status().as_u16();
        let patched: Value = response.json().await.expect("json");
        assert_eq!(
            (status, patched["default_ttl"].as_u64()),
            (200, Some(600)),
            "{patched}"
        );
        let (s, p) = post_raw(
            &api,
            &format!("/api/v1/domains/{zone}/dns"),
            r#"{"type": "A", "name": "pocket", "content": "192.0.2.9", "ttl": 300.0}"#,
        )
        .await;
        assert_eq!((s, p["ttl"].as_u64()), (201, Some(300)), "{p}");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn history_has_the_list_envelope() {
    each_engine(|api| async move {
        let t = &api.acme_token;
        let zone = api.zone("history-page.test", t).await;
        for i in 0..4 {
            let (s, b) = api
                .post(
                    &format!("/api/v1/domains/{zone}/records"),
                    t,
                    json!({"name": format!("h{i}"), "type": "A", "content": "192.0.2.1"}),
                )
                .await;
            assert_eq!(s, 201, "{b}");
        }
        // The creation of the zone and four records: five entries.
        let (s, page) = api
            .get(
                &format!("/api/v1/domains/{zone}/changes?page=2&page_size=2"),
                t,
            )
            .await;
        assert_eq!(s, 200, "{page}");
        assert_eq!(
            (
                page["total"].as_u64(),
                page["total_pages"].as_u64(),
                page["page"].as_u64(),
                page["data"].as_array().map(Vec::len)
            ),
            (Some(5), Some(3), Some(2), Some(2)),
            "{page}"
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pocketdns_names_cannot_start_or_end_with_a_hyphen() {
    each_engine(|api| async move {
        let t = &api.acme_token;
        let zone = api.zone("hyphen-pocket.test", t).await;
        let dns = format!("/api/v1/domains/{zone}/dns");
        for name in ["-www", "www-", "a.-b", "b-.c", "-"] {
            let (s, b) = api
                .post(
                    &dns,
                    t,
                    json!({"type": "A", "name": name, "content": "192.0.2.1"}),
                )
                .await;
            assert_error(s, &b, 400, "validation_error", Some("name"));
        }
        let (s, b) = api
            .post(
                &dns,
                t,
                json!({"type": "A", "name": "my-host", "content": "192.0.2.1"}),
            )
            .await;
        assert_eq!(s, 201, "a hyphen inside a label is fine: {b}");
        let rid = b["id"].as_str().expect("id").to_string();
        let (s, b) = api
            .put(&format!("{dns}/{rid}"), t, json!({"name": "host-"}))
            .await;
        assert_error(s, &b, 400, "validation_error", Some("name"));
        let (s, b) = api
            .post(
                &format!("{dns}/bulk"),
                t,
                json!({"records": [
                    {"type": "A", "name": "ok", "content": "192.0.2.1"},
                    {"type": "A", "name": "-bad", "content": "192.0.2.1"},
                ]}),
            )
            .await;
        assert_eq!(s, 200, "{b}");
        assert_eq!(
            (
                b["created"].as_array().map(Vec::len),
                b["errors"].as_array().map(Vec::len)
            ),
            (Some(1), Some(1)),
            "{b}"
        );
        // The native API keeps DNS's own rules (any octet in a label).
        let (s, b) = api
            .post(
                &format!("/api/v1/domains/{zone}/records"),
                t,
                json!({"name": "-native", "type": "A", "content": "192.0.2.1"}),
            )
            .await;
        assert_eq!(s, 201, "{b}");
    })
    .await;
}

/// `{name}` segments of an OpenAPI path template.
fn template_names(path: &str) -> Vec<String> {
    path.split('/')
        .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
        .map(str::to_string)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openapi_path_parameters_are_in_their_paths() {
    each_engine(|api| async move {
        let (s, doc) = api
            .call(reqwest::Method::GET, "/api/v1/openapi.json", None, None)
            .await;
        assert_eq!(s, 200);
        let mut wrong = Vec::new();
        let mut queries = 0;
        for (path, item) in doc["paths"].as_object().expect("paths") {
            let in_template = template_names(path);
            for (method, operation) in item.as_object().expect("path item") {
                let params = operation["parameters"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default();
                let declared: Vec<(String, String)> = params
                    .iter()
                    .map(|p| {
                        (
                            p["name"].as_str().unwrap_or_default().to_string(),
                            p["in"].as_str().unwrap_or_default().to_string(),
                        )
                    })
                    .collect();
                for (name, place) in &declared {
                    if place == "path" && !in_template.contains(name) {
                        wrong.push(format!("{method} {path}: '{name}' is not in the path"));
                    }
                    queries += usize::from(place == "query");
                }
                for name in &in_template {
                    if !declared.iter().any(|(n, p)| n == name && p == "path") {
                        wrong.push(format!("{method} {path}: {{{name}}} is not declared"));
                    }
                }
            }
        }
        assert!(wrong.is_empty(), "{}", wrong.join("\n"));
        assert!(
            queries >= 19,
            "the query parameters are declared: {queries}"
        );
        let list = &doc["paths"]["/api/v1/domains"]["get"]["parameters"];
        assert!(
            list.as_array()
                .is_some_and(|ps| ps.iter().any(|p| p["name"] == "page" && p["in"] == "query")),
            "{list}"
        );
    })
    .await;
}
