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
            resolver: Some(world.addr),
            nameservers: vec![Name::parse_absolute("ns1.tern.example").expect("name")],
        },
        service: validating(),
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

fn validating() -> tern_core::ServiceConfig {
    tern_core::ServiceConfig {
        require_zone_validation: true,
        ..Default::default()
    }
}

/// A nameserver over the API's own service, wired as `tern serve` wires it.
async fn serve_dns(service: &Arc<ZoneService>) -> std::net::SocketAddr {
    let index = tern_dns::ZoneIndex::new(service.store().clone());
    service.add_listener(Arc::new(tern_dns::IndexListener(index.clone())));
    index.load_all().await.expect("load");
    let server = tern_dns::DnsServer::bind(&["127.0.0.1:0".parse().expect("addr")])
        .await
        .expect("bind");
    let addr = server.local_addrs()[0];
    server
        .spawn(index, tern_dns::AnswerConfig::default())
        .expect("serve");
    addr
}

/// The RCODE of an SOA query for `zone`, sent over UDP.
async fn soa_rcode(server: std::net::SocketAddr, zone: &str) -> u8 {
    let mut query = vec![0x7e, 0x57, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0];
    for label in zone.trim_end_matches('.').split('.') {
        query.push(u8::try_from(label.len()).expect("label"));
        query.extend(label.as_bytes());
    }
    query.extend([0, 0, 6, 0, 1]);
    let socket = tokio::net::UdpSocket::bind("127.0.0.1:0")
        .await
        .expect("bind");
    socket.send_to(&query, server).await.expect("send");
    let mut reply = [0u8; 4096];
    let (len, _) = tokio::time::timeout(
        std::time::Duration::from_secs(10),
        socket.recv_from(&mut reply),
    )
    .await
    .expect("an answer")
    .expect("recv");
    assert!(len >= 12 && reply[..2] == [0x7e, 0x57], "not our answer");
    reply[3] & 0x0f
}

const NOERROR: u8 = 0;
const REFUSED: u8 = 5;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_face_creates_pending_zones_under_dns_validation() {
    let setup = Setup {
        service: validating(),
        ..Default::default()
    };
    each_engine_with(setup, |api| async move {
        let dns = serve_dns(&api.service).await;
        let t = &api.acme_token;
        let creates = [
            (
                "native",
                "/api/v1/domains",
                json!({"name": "native.test", "domain_type": "primary"}),
                "native.test.",
            ),
            (
                "designate",
                "/v1/domains",
                json!({"name": "designate.test.", "email": "hostmaster@designate.test"}),
                "designate.test.",
            ),
            (
                "vpsorg",
                "/api/v1/dns-zones/",
                json!({"domain": "vpsorg.test"}),
                "vpsorg.test.",
            ),
            (
                "reverse",
                "/api/v1/reverse-zones",
                json!({"cidr": "192.0.2.0/24"}),
                "2.0.192.in-addr.arpa.",
            ),
        ];
        let mut created = Vec::new();
        for (face, path, body, zone) in creates {
            let (s, b) = api.post(path, t, body).await;
            assert!(s.is_success(), "{}: {face}: {s} {b}", api.label);
            created.push((face, zone));
        }
        let response = api
            .client
            .post(format!("{}/v1/dns/zones", api.base))
            .bearer_auth(t)
            .header("X-Organisation-Identity", "acme")
            .json(&json!({"name": "thalassa.test."}))
            .send()
            .await
            .expect("request");
        assert!(
            response.status().is_success(),
            "thalassa: {}",
            response.status()
        );
        created.push(("thalassa", "thalassa.test."));
        // A zone file given to the service (the CLI's path) without the
        // operator's flag is held to the policy too.
        let actor = Actor::new("test", ChangeSource::Cli);
        let file = "$ORIGIN file.test.\n@ 3600 IN NS ns1.file.test.\n";
        api.service
            .create_zone_from_file(
                NewZone::new(
                    Name::parse_absolute("file.test").expect("name"),
                    api.acme.id,
                ),
                file.as_bytes(),
                &tern_core::ImportOptions::default(),
                &actor,
            )
            .await
            .expect("create from file");
        created.push(("zone file", "file.test."));

        for (face, zone) in created {
            let stored = api
                .service
                .zone_by_name(
                    Some(api.acme.id),
                    &Name::parse_absolute(zone).expect("name"),
                )
                .await
                .expect("zone");
            assert_eq!(
                stored.status,
                tern_core::ZoneStatus::PendingValidation,
                "{}: a zone created through {face} must wait for validation",
                api.label
            );
            assert_eq!(
                soa_rcode(dns, zone).await,
                REFUSED,
                "{}: {zone} ({face}) is answered before validation",
                api.label
            );
        }

        // The operator's explicit skip: active and answered at once.
        let operator = api
            .service
            .create_zone_from_file(
                NewZone::operator(
                    Name::parse_absolute("operator.test").expect("name"),
                    api.acme.id,
                ),
                "$ORIGIN operator.test.\n@ 3600 IN NS ns1.operator.test.\n".as_bytes(),
                &tern_core::ImportOptions::default(),
                &actor,
            )
            .await
            .expect("operator import");
        assert_eq!(operator.zone.status, tern_core::ZoneStatus::Active);
        assert_eq!(soa_rcode(dns, "operator.test.").await, NOERROR);
    })
    .await;
}
