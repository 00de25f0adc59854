//! Concurrent API clients writing one zone over real sockets: a write without
//! `If-Match` is never refused with 412 because another client wrote first;
//! a write with a stale `If-Match` still is.

mod common;

use std::sync::Arc;

use common::{Api, Setup, assert_error, each_engine, each_engine_with};
use reqwest::StatusCode;
use serde_json::json;

const CLIENTS: usize = 16;
const WRITES_EACH: usize = 4;
const ROUNDS: usize = 5;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_plain_creates_never_get_412() {
    // Enough create budget for every round: this test is about serials.
    let mut setup = Setup::default();
    setup.limits.create = 10_000;
    each_engine_with(setup, |api: Arc<Api>| async move {
        let id = api.zone("busy.test", &api.acme_token).await;
        let records = format!("/api/v1/domains/{id}/records");
        for round in 0..ROUNDS {
            let start = Arc::new(tokio::sync::Barrier::new(CLIENTS));
            let clients: Vec<_> = (0..CLIENTS)
                .map(|c| {
                    let api = api.clone();
                    let records = records.clone();
                    let start = start.clone();
                    tokio::spawn(async move {
                        start.wait().await;
                        let mut refused = Vec::new();
                        for i in 0..WRITES_EACH {
                            let body = json!({
                                "name": format!("r{round}-c{c}-{i}"),
                                "type": "A",
                                "content": format!("192.0.2.{}", 1 + c * WRITES_EACH + i),
                            });
                            let (status, body) = api.post(&records, &api.acme_token, body).await;
                            if status != StatusCode::CREATED {
                                refused.push(format!("{status} {body}"));
                            }
                        }
                        refused
                    })
                })
                .collect();
            let mut refused = Vec::new();
            for client in clients {
                refused.extend(client.await.expect("client task"));
            }
            assert!(
                refused.is_empty(),
                "{}: round {round}: {} of {} creates without If-Match refused, first: {}",
                api.label,
                refused.len(),
                CLIENTS * WRITES_EACH,
                refused[0]
            );
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_stale_if_match_is_still_412() {
    each_engine(|api: Arc<Api>| async move {
        let t = &api.acme_token;
        let id = api.zone("ifmatch.test", t).await;
        let (_, zone) = api.get(&format!("/api/v1/domains/{id}"), t).await;
        let serial = zone["serial"].as_u64().expect("serial");
        let records = format!("/api/v1/domains/{id}/records");
        let (s, b) = api
            .post(
                &records,
                t,
                json!({"name": "a", "type": "A", "content": "192.0.2.1"}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
        let response = api
            .client
            .post(format!("{}{records}", api.base))
            .bearer_auth(t)
            .header("If-Match", format!("\"{serial}\""))
            .json(&json!({"name": "b", "type": "A", "content": "192.0.2.2"}))
            .send()
            .await
            .expect("request");
        let status = response.status();
        let body: serde_json::Value = response.json().await.expect("body");
        assert_error(status, &body, 412, "precondition_failed", None);
    })
    .await;
}
