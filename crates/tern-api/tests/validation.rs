//! Zone validation against a real nameserver: a second Tern core (store,
//! index, DNS server on a loopback port) plays the world's DNS that the
//! validation resolver asks. A zone created with `--zone-validation dns`
//! stays `pending_validation` (not served) until the challenge TXT is
//! published there, then `verify` activates it.

mod common;

use std::sync::Arc;

use common::{Setup, assert_error, each_engine_with};
use serde_json::json;
use tern_core::{
    Actor, Change, ChangeSet, ChangeSource, Name, NewZone, Organisation, Rdata, RecordType,
    ZoneService, new_id, now_millis,
};

/// The "public DNS": serves `val.test` from its own store.
struct World {
    _dir: tempfile::TempDir,
    service: Arc<ZoneService>,
    zone: uuid::Uuid,
    addr: std::net::SocketAddr,
}

async fn world() -> World {
    let dir = tempfile::tempdir().expect("tempdir");
    let store: Arc<dyn tern_core::Store> = Arc::new(
        tern_store::Database::connect(&tern_store::sqlite_url_for_dir(dir.path()))
            .await
            .expect("db"),
    );
    let service = Arc::new(ZoneService::new(
        store.clone(),
        tern_core::ServiceConfig::default(),
    ));
    let org = Organisation {
        id: new_id(),
        slug: "world".into(),
        name: "World".into(),
        features: vec!["dns".into()],
        created_at: now_millis(),
        max_zones: None,
        max_records_per_zone: None,
    };
    store.create_organisation(&org).await.expect("org");
    let index = tern_dns::ZoneIndex::new(store.clone());
    service.add_listener(Arc::new(tern_dns::IndexListener(index.clone())));
    let zone = service
        .create_zone(
            NewZone::new(Name::parse_absolute("val.test").expect("name"), org.id),
            &Actor::new("test", ChangeSource::Api),
        )
        .await
        .expect("zone");
    index.load_all().await.expect("load");
    let server = tern_dns::DnsServer::bind(&["127.0.0.1:0".parse().expect("addr")])
        .await
        .expect("bind");
    let addr = server.local_addrs()[0];
    server
        .spawn(index, tern_dns::AnswerConfig::default())
        .expect("serve");
    World {
        _dir: dir,
        service,
        zone: zone.id,
        addr,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn zones_wait_for_validation() {
    let world = Arc::new(world().await);
    let setup = Setup {
        validation: tern_api::validation::ValidationConfig {
            required: true,
            resolver: Some(world.addr),
            nameservers: vec![Name::parse_absolute("ns1.tern.example").expect("name")],
        },
        ..Default::default()
    };
    each_engine_with(setup, move |api| {
        let world = world.clone();
        async move {
            let (s, zone) = api
                .post(
                    "/api/v1/domains",
                    &api.acme_token,
                    json!({"name": "val.test", "domain_type": "primary"}),
                )
                .await;
            assert_eq!(s, 201, "{zone}");
            assert_eq!(zone["status"], "pending_validation");
            let challenge = &zone["current_validation"]["txt_record"];
            assert_eq!(challenge["name"], "_tern-challenge.val.test.");
            let value = challenge["value"].as_str().expect("value").to_string();
            let id = zone["id"].as_str().expect("id");

            // Not published yet: 422 saying what was seen and what to do.
            let (s, b) = api
                .post(
                    &format!("/api/v1/domains/{id}/validation/verify"),
                    &api.acme_token,
                    json!({}),
                )
                .await;
            assert_error(s, &b, 422, "unprocessable_entity", Some("validation"));
            assert!(
                b["detail"].as_str().is_some_and(|d| d.contains(&value)),
                "{b}"
            );

            // Published at the world's DNS: verified and active.
            world
                .service
                .apply(
                    world.zone,
                    ChangeSet::new(vec![Change::ReplaceRrset {
                        name: Name::parse_absolute("_tern-challenge.val.test").expect("name"),
                        rtype: RecordType::TXT,
                        ttl: Some(60),
                        records: vec![(
                            Rdata::parse_text(RecordType::TXT, &format!("\"{value}\""))
                                .expect("txt"),
                            None,
                        )],
                    }]),
                    &Actor::new("test", ChangeSource::Api),
                )
                .await
                .expect("publish");
            let (s, verified) = api
                .post(
                    &format!("/api/v1/domains/{id}/validation/verify"),
                    &api.acme_token,
                    json!({}),
                )
                .await;
            assert_eq!(s, 200, "{verified}");
            assert_eq!(
                (verified["status"].as_str(), verified["method"].as_str()),
                (Some("verified"), Some("txt"))
            );
            let (_, zone) = api
                .get(&format!("/api/v1/domains/{id}"), &api.acme_token)
                .await;
            assert_eq!(zone["status"], "active");
            assert!(zone["current_validation"].is_null());
        }
    })
    .await;
}
