//! Zone names across tenants over HTTP, as an attacker would try them:
//! parallel creates of one name by two organisations, a soft-deleted copy
//! purged after another organisation took the name, and — with shared zone
//! names — which copy is `served` as copies come and go.

mod common;

use common::*;
use serde_json::{Value, json};

const ROUNDS: usize = 10;
const PER_ORG: usize = 20;

async fn served(api: &Api, id: &str, token: &str) -> Value {
    let (s, b) = api.get(&format!("/api/v1/domains/{id}"), token).await;
    assert_eq!(s, 200, "{b}");
    b["served"].clone()
}

/// `served` of zone `id` in the caller's listing.
async fn listed_served(api: &Api, id: &str, token: &str, query: &str) -> Value {
    let (s, b) = api.get(&format!("/api/v1/domains{query}"), token).await;
    assert_eq!(s, 200, "{b}");
    b["data"]
        .as_array()
        .and_then(|zones| zones.iter().find(|z| z["id"] == id))
        .map(|z| z["served"].clone())
        .unwrap_or_else(|| panic!("{id} not listed: {b}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_organisations_racing_on_one_name_over_http_one_wins() {
    each_engine(|api| async move {
        for round in 0..ROUNDS {
            let name = format!("http-race-{round}.test");
            let mut tasks = Vec::new();
            for i in 0..PER_ORG * 2 {
                let api = api.clone();
                let name = name.clone();
                tasks.push(tokio::spawn(async move {
                    let token = if i % 2 == 0 {
                        &api.acme_token
                    } else {
                        &api.beta_token
                    };
                    api.post(
                        "/api/v1/domains",
                        token,
                        json!({"name": name, "domain_type": "primary"}),
                    )
                    .await
                }));
            }
            let mut created = 0;
            for task in tasks {
                let (s, b) = task.await.expect("task");
                if s == 201 {
                    created += 1;
                } else {
                    assert_error(s, &b, 409, "conflict", Some("name"));
                }
            }
            assert_eq!(
                created, 1,
                "{} round {round}: {created} organisations got {name}",
                api.label
            );
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn purging_a_deleted_copy_leaves_the_new_owner_served() {
    each_engine(|api| async move {
        let (a, b) = (&api.acme_token, &api.beta_token);
        let a_zone = api.zone("owned.test", a).await;
        assert_eq!(served(&api, &a_zone, a).await, true);
        assert_eq!(
            api.delete(&format!("/api/v1/domains/{a_zone}"), a).await.0,
            204
        );
        assert_eq!(
            served(&api, &a_zone, a).await,
            false,
            "a deleted zone is not served"
        );
        let b_zone = api.zone("owned.test", b).await;
        let records = format!("/api/v1/domains/{b_zone}/records");
        let (s, body) = api
            .post(
                &records,
                b,
                json!({"name": "www", "type": "A", "content": "192.0.2.9"}),
            )
            .await;
        assert_eq!(s, 201, "{body}");
        // A cannot restore over B, nor create the name again.
        let (s, body) = api
            .post(&format!("/api/v1/domains/{a_zone}/restore"), a, json!({}))
            .await;
        assert_error(s, &body, 409, "conflict", Some("name"));
        let (_, before) = api.get(&records, b).await;
        assert_eq!(
            api.delete(&format!("/api/v1/domains/{a_zone}?hard=true"), a)
                .await
                .0,
            204
        );
        assert_eq!(served(&api, &b_zone, b).await, true);
        let (_, after) = api.get(&records, b).await;
        assert_eq!(before, after);
        assert_eq!(after["total"], 2, "NS and A: {after}");
        let (s, body) = api
            .post(
                "/api/v1/domains",
                a,
                json!({"name": "owned.test", "domain_type": "primary"}),
            )
            .await;
        assert_error(s, &body, 409, "conflict", Some("name"));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_shared_names_the_oldest_active_copy_is_served() {
    let setup = Setup {
        shared_zone_names: true,
        ..Setup::default()
    };
    each_engine_with(setup, |api| async move {
        let (a, b) = (&api.acme_token, &api.beta_token);
        let a_zone = api.zone("both.test", a).await;
        let b_zone = api.zone("both.test", b).await;
        assert_eq!(served(&api, &a_zone, a).await, true);
        assert_eq!(
            served(&api, &b_zone, b).await,
            false,
            "B's copy waits behind A's"
        );
        assert_eq!(listed_served(&api, &b_zone, b, "").await, false);
        assert_eq!(listed_served(&api, &a_zone, a, "").await, true);

        // A's soft delete hands serving to B, and leaves B's zone alone.
        let (_, b_before) = api.get(&format!("/api/v1/domains/{b_zone}"), b).await;
        assert_eq!(
            api.delete(&format!("/api/v1/domains/{a_zone}"), a).await.0,
            204
        );
        assert_eq!(served(&api, &b_zone, b).await, true);
        assert_eq!(listed_served(&api, &b_zone, b, "").await, true);
        assert_eq!(
            listed_served(&api, &a_zone, a, "?include_deleted=true").await,
            false
        );
        let (_, b_after) = api.get(&format!("/api/v1/domains/{b_zone}"), b).await;
        assert_eq!(b_before["serial"], b_after["serial"]);
        assert_eq!(b_before["updated_at"], b_after["updated_at"]);

        // A's restore brings back an unserved copy: B stays served.
        let (s, restored) = api
            .post(&format!("/api/v1/domains/{a_zone}/restore"), a, json!({}))
            .await;
        assert_eq!(s, 200, "{restored}");
        assert_eq!(restored["status"], "active");
        assert_eq!(restored["served"], false, "{restored}");
        assert_eq!(served(&api, &b_zone, b).await, true);

        // B's hard delete serves A again.
        assert_eq!(
            api.delete(&format!("/api/v1/domains/{b_zone}?hard=true"), b)
                .await
                .0,
            204
        );
        assert_eq!(served(&api, &a_zone, a).await, true);
    })
    .await;
}
