//! DNSSEC through the API: the native `/api/v1/domains/{id}/dnssec`
//! (status, enable and settings, disable), zones created or patched signed,
//! the Thalassa dialect on the same state, tenancy (another organisation
//! sees 404 and changes nothing), field-named validation errors, and a
//! server without a signer answering 503.

mod common;

use std::sync::Arc;

use base64::Engine as _;
use common::{Api, assert_error, each_engine};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tern_core::signing::SIGNER_OWNED_TYPES;
use tern_core::{Name, RecordType, Scope};

fn install_signer(api: &Api) {
    let kek = tern_dnssec::KeyEncryptionKey::generate().expect("kek");
    api.service
        .set_signer(Arc::new(tern_dnssec::Signer::new(Arc::new(kek))));
}

/// dns:* and dnssec:manage in `org`.
async fn manager(api: &Api, org: &tern_core::Organisation) -> String {
    api.token(org, &[Scope::DnsAll, Scope::DnssecManage], None)
        .await
}

async fn dnssec_records(api: &Api, zone_id: &str) -> Vec<tern_core::Record> {
    let id = uuid::Uuid::parse_str(zone_id).expect("uuid");
    api.service
        .store()
        .records_of_types(id, &SIGNER_OWNED_TYPES)
        .await
        .expect("records")
}

/// The DS line the parent needs, worked out here from the key the API
/// shows, to hold the API's own line against.
fn expected_ds(zone: &str, key: &Value, ttl: u32) -> String {
    let name = Name::parse_absolute(zone).expect("name");
    let public_key = base64::engine::general_purpose::STANDARD
        .decode(key["public_key"].as_str().expect("public_key"))
        .expect("base64");
    let algorithm = u8::try_from(key["algorithm"].as_u64().expect("algorithm")).expect("u8");
    let flags = tern_dnssec::ZONE_KEY_FLAG | tern_dnssec::SEP_FLAG;
    let tag = tern_dnssec::key_tag(flags, algorithm, &public_key);
    assert_eq!(key["key_tag"].as_u64(), Some(u64::from(tag)), "{key}");
    let wire = tern_dnssec::dnskey_rdata_wire(flags, algorithm, &public_key);
    let digest = tern_dnssec::ds_digest_sha256(&name, &wire);
    tern_dnssec::ds_presentation(&name, ttl, tag, algorithm, 2, &digest)
}

fn ttl_of(line: &str) -> u32 {
    line.split_whitespace()
        .nth(1)
        .and_then(|t| t.parse().ok())
        .expect("ttl")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn native_enable_show_change_disable() {
    each_engine(|api| async move {
        install_signer(&api);
        let token = manager(&api, &api.acme).await;
        let id = api.zone("sec.test", &token).await;
        let path = format!("/api/v1/domains/{id}/dnssec");

        let (s, b) = api.get(&path, &api.acme_reader).await;
        assert_eq!(s, 200, "{b}");
        assert_eq!(
            (b["enabled"].as_bool(), b["status"].as_str()),
            (Some(false), Some("unsigned"))
        );
        assert_eq!(b["ds_records"], json!([]));

        // dns:* alone does not reach signing.
        let (s, b) = api
            .put(&path, &api.acme_token, json!({"enabled": true}))
            .await;
        assert_error(s, &b, 403, "forbidden", None);

        let (s, b) = api.put(&path, &token, json!({"enabled": true})).await;
        assert_eq!(s, 200, "{b}");
        let (s, shown) = api.get(&path, &api.acme_reader).await;
        assert_eq!(s, 200, "{shown}");
        assert_eq!(shown, b, "PUT answers with the status GET shows");
        assert_eq!(shown["enabled"], true);
        assert_eq!(shown["status"], "signed");
        assert_eq!(shown["algorithm"], 13);
        assert_eq!(shown["denial"], "nsec3");
        assert_eq!(shown["nsec3"], json!({"iterations": 0, "salt": ""}));
        assert_eq!(shown["cds_published"], true);
        let keys = shown["keys"].as_array().expect("keys");
        assert_eq!(keys.len(), 1, "{shown}");
        assert_eq!(
            (keys[0]["role"].as_str(), keys[0]["state"].as_str()),
            (Some("csk"), Some("active"))
        );
        let ds = shown["ds_records"].as_array().expect("ds");
        assert_eq!(ds.len(), 1, "{shown}");
        let line = ds[0].as_str().expect("line");
        assert_eq!(line, expected_ds("sec.test", &keys[0], ttl_of(line)));
        assert!(
            line.starts_with("sec.test. ") && line.contains(" IN DS "),
            "{line}"
        );
        let dnskey = shown["dnskey_records"].as_array().expect("dnskey");
        assert_eq!(dnskey.len(), 1);
        assert!(
            dnskey[0]
                .as_str()
                .is_some_and(|l| l.contains(" IN DNSKEY 257 3 13 ")),
            "{shown}"
        );

        // The store holds the signatures; no user listing shows them.
        let stored = dnssec_records(&api, &id).await;
        assert!(
            stored.iter().any(|r| r.rtype == RecordType(46)),
            "RRSIGs stored"
        );
        let (s, records) = api
            .get(&format!("/api/v1/domains/{id}/records"), &api.acme_reader)
            .await;
        assert_eq!(s, 200, "{records}");
        let text = records.to_string();
        for mnemonic in ["RRSIG", "NSEC", "DNSKEY", "CDS", "CDNSKEY"] {
            assert!(
                !text.contains(&format!("\"{mnemonic}")),
                "{mnemonic} listed: {text}"
            );
        }
        // The export is the user's zone; `?signed=true` is the served one.
        let export = |query: &'static str| {
            let path = format!("/api/v1/domains/{id}/export{query}");
            let api = &api;
            async move {
                let (s, b) = api.get(&path, &api.acme_reader).await;
                assert_eq!(s, 200, "{b}");
                b["zone_file"].as_str().expect("zone_file").to_string()
            }
        };
        let plain = export("").await;
        assert!(
            !plain.contains("\tRRSIG\t") && !plain.contains("\tDNSKEY\t"),
            "{plain}"
        );
        let signed = export("?signed=true").await;
        assert!(
            signed.contains("\tRRSIG\t") && signed.contains("\tNSEC3\t"),
            "{signed}"
        );

        // Asking again changes nothing.
        let (s, again) = api
            .put(&path, &token, json!({"enabled": true, "denial": "nsec3"}))
            .await;
        assert_eq!((s, &again), (StatusCode::OK, &shown));
        // New keys need a rollover: refused, naming what is missing.
        let (s, b) = api
            .put(&path, &token, json!({"algorithm": "ED25519"}))
            .await;
        assert_error(s, &b, 409, "conflict", Some("algorithm"));
        assert!(
            b["detail"].as_str().is_some_and(|d| d.contains("rollover")),
            "{b}"
        );
        let (s, b) = api.put(&path, &token, json!({"key_split": true})).await;
        assert_error(s, &b, 409, "conflict", Some("key_split"));
        // The rule is the write path's, not this endpoint's: new keys
        // asked for through the zone's settings are refused the same way.
        let (s, b) = api
            .patch(
                &format!("/api/v1/domains/{id}"),
                &token,
                json!({"settings": {"dnssec": {"algorithm": 15, "denial": "nsec3", "iterations": 0,
                    "salt": [], "key_split": false, "signature_validity_secs": 1209600,
                    "refresh_before_secs": 604800, "jitter_secs": 86400}}}),
            )
            .await;
        assert_error(s, &b, 409, "conflict", Some("algorithm"));
        // The denial chain can change in place.
        let (s, b) = api.put(&path, &token, json!({"denial": "nsec"})).await;
        assert_eq!(s, 200, "{b}");
        assert_eq!(
            (b["denial"].as_str(), &b["nsec3"]),
            (Some("nsec"), &Value::Null)
        );
        assert_eq!(b["ds_records"], shown["ds_records"], "same key, same DS");
        let stored = dnssec_records(&api, &id).await;
        assert!(
            stored.iter().any(|r| r.rtype == RecordType(47)),
            "NSEC chain"
        );
        assert!(
            !stored.iter().any(|r| matches!(r.rtype.0, 50 | 51)),
            "no NSEC3 left"
        );

        // A settings PATCH without "dnssec" keeps the signing settings.
        let (s, b) = api
            .patch(
                &format!("/api/v1/domains/{id}"),
                &token,
                json!({"settings": {}}),
            )
            .await;
        assert_eq!(s, 200, "{b}");
        let (_, b) = api.get(&path, &token).await;
        assert_eq!(b["denial"], "nsec", "{b}");

        // Disabling goes insecure safely: CDS/CDNSKEY delete (RFC 8078)
        // until the parent's DS is gone, confirmed here by hand.
        let (s, b) = api.delete(&path, &token).await;
        assert_eq!(s, 200, "{b}");
        assert_eq!(
            (
                b["enabled"].as_bool(),
                b["status"].as_str(),
                b["cds_published"].as_bool()
            ),
            (Some(true), Some("unsigning"), Some(true)),
            "{b}"
        );
        assert!(b["unsigning"]["ds_gone_at"].is_null(), "{b}");
        let records = dnssec_records(&api, &id).await;
        assert!(
            records
                .iter()
                .any(|r| r.rtype.0 == 59 && r.rdata.to_string() == "0 0 0 00"),
            "{records:?}"
        );
        let (s, b) = api
            .post(&format!("{path}/ds-seen"), &token, json!({}))
            .await;
        assert_eq!(s, 200, "{b}");
        assert!(b["unsigning"]["unsign_at"].is_string(), "{b}");
        let (s, b) = api
            .post(&format!("{path}/ds-seen"), &token, json!({}))
            .await;
        assert_eq!(s, 409, "nothing waits for the parent now: {b}");
        let (s, b) = api.delete(&format!("{path}?now=true"), &token).await;
        assert_eq!(s, 200, "{b}");
        assert_eq!(
            (b["enabled"].as_bool(), b["status"].as_str()),
            (Some(false), Some("unsigned"))
        );
        assert_eq!(b["ds_records"], json!([]), "{b}");
        assert!(
            b["keys"].as_array().is_some_and(|keys| !keys.is_empty()
                && keys
                    .iter()
                    .all(|k| k["state"] == "removed" && k["removed_at"].is_string())),
            "{b}"
        );
        assert!(
            dnssec_records(&api, &id).await.is_empty(),
            "unsigned zone keeps no DNSSEC record"
        );
        let (_, zone) = api.get(&format!("/api/v1/domains/{id}"), &token).await;
        assert_eq!(zone["dnssec_enabled"], false);

        // Enabled again with other settings: new keys of the new algorithm.
        let (s, b) = api
            .put(&path, &token, json!({"algorithm": 15, "key_split": true}))
            .await;
        assert_eq!(s, 200, "{b}");
        let roles: Vec<&str> = b["keys"]
            .as_array()
            .expect("keys")
            .iter()
            .filter(|k| k["state"] != "removed")
            .filter_map(|k| k["role"].as_str())
            .collect();
        assert_eq!(roles.len(), 2, "{b}");
        assert!(roles.contains(&"ksk") && roles.contains(&"zsk"), "{b}");
        assert_eq!(
            b["ds_records"].as_array().map(Vec::len),
            Some(1),
            "a DS for the KSK only: {b}"
        );
        assert_eq!(b["dnskey_records"].as_array().map(Vec::len), Some(2), "{b}");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn created_and_patched_zones_are_signed() {
    each_engine(|api| async move {
        install_signer(&api);
        let token = manager(&api, &api.acme).await;
        let body = json!({"name": "born-signed.test", "domain_type": "primary", "dnssec_enabled": true});
        let (s, b) = api.post("/api/v1/domains", &api.acme_token, body.clone()).await;
        assert_error(s, &b, 403, "forbidden", None);
        let (s, zone) = api.post("/api/v1/domains", &token, body).await;
        assert_eq!(s, 201, "{zone}");
        assert_eq!(zone["dnssec_enabled"], true);
        let id = zone["id"].as_str().expect("id");
        let (_, b) = api.get(&format!("/api/v1/domains/{id}/dnssec"), &token).await;
        assert_eq!(b["status"], "signed", "{b}");
        assert_eq!(b["ds_records"].as_array().map(Vec::len), Some(1), "{b}");
        assert!(!dnssec_records(&api, id).await.is_empty());

        // Settings given at creation are the ones used.
        let (s, zone) = api
            .post(
                "/api/v1/domains",
                &token,
                json!({"name": "ed.test", "domain_type": "primary", "dnssec_enabled": true,
                       "settings": {"dnssec": {"algorithm": 15, "denial": "nsec", "key_split": false,
                                               "signature_validity_secs": 1209600, "refresh_before_secs": 604800,
                                               "jitter_secs": 86400}}}),
            )
            .await;
        assert_eq!(s, 201, "{zone}");
        let id = zone["id"].as_str().expect("id");
        let (_, b) = api.get(&format!("/api/v1/domains/{id}/dnssec"), &token).await;
        assert_eq!((b["algorithm"].as_u64(), b["denial"].as_str()), (Some(15), Some("nsec")), "{b}");

        let id = api.zone("patched.test", &token).await;
        let (s, b) = api
            .patch(&format!("/api/v1/domains/{id}"), &token, json!({"dnssec_enabled": true}))
            .await;
        assert_eq!(s, 200, "{b}");
        assert_eq!(b["dnssec_enabled"], true);
        assert!(!dnssec_records(&api, &id).await.is_empty());
        let (s, b) = api
            .patch(&format!("/api/v1/domains/{id}"), &token, json!({"dnssec_enabled": false}))
            .await;
        // Turned off through the zone, too, it goes insecure safely: still
        // signed, until the parent's DS is gone.
        assert_eq!((s.as_u16(), &b["dnssec_enabled"]), (200, &json!(true)), "{b}");
        let (_, shown) = api.get(&format!("/api/v1/domains/{id}/dnssec"), &token).await;
        assert_eq!(shown["status"], "unsigning", "{shown}");
        // And back on: the unsigning is called off, the same keys stay.
        let (s, b) = api
            .patch(&format!("/api/v1/domains/{id}"), &token, json!({"dnssec_enabled": true}))
            .await;
        assert_eq!(s, 200, "{b}");
        // The key manager's state is not writable through the settings:
        // a forged unsigning (DS long gone) changes nothing.
        let forged = json!({"settings": {"dnssec": {"algorithm": 13, "denial": "nsec3",
            "iterations": 0, "salt": [], "key_split": false,
            "unsigning": {"requested_at": 0, "ds_gone_at": 0}}}});
        let (s, b) = api.patch(&format!("/api/v1/domains/{id}"), &token, forged.clone()).await;
        assert_eq!(s, 200, "{b}");
        // Nor on a zone signed with default settings (none stored).
        let (s, plain) = api
            .post("/api/v1/domains", &token, json!({"name": "plain.test", "domain_type": "primary", "dnssec_enabled": true}))
            .await;
        assert_eq!(s, 201, "{plain}");
        let plain_id = plain["id"].as_str().expect("id");
        let (s, b) = api.patch(&format!("/api/v1/domains/{plain_id}"), &token, forged).await;
        assert_eq!(s, 200, "{b}");
        let (_, plain_view) = api.get(&format!("/api/v1/domains/{plain_id}/dnssec"), &token).await;
        assert_eq!(plain_view["status"], "signed", "{plain_view}");
        let (_, again) = api.get(&format!("/api/v1/domains/{id}/dnssec"), &token).await;
        assert_eq!((again["status"].as_str(), &again["keys"]), (Some("signed"), &shown["keys"]), "{again}");
        let (s, b) = api
            .patch(&format!("/api/v1/domains/{id}"), &token, json!({"dnssec_enabled": "yes"}))
            .await;
        assert_error(s, &b, 400, "validation_error", Some("dnssec_enabled"));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_organisation_sees_404_and_changes_nothing() {
    each_engine(|api| async move {
        install_signer(&api);
        let token = manager(&api, &api.acme).await;
        let attacker = manager(&api, &api.beta).await;
        let signed = api.zone("victim.test", &token).await;
        let unsigned = api.zone("victim2.test", &token).await;
        let (s, before) = api
            .put(
                &format!("/api/v1/domains/{signed}/dnssec"),
                &token,
                json!({}),
            )
            .await;
        assert_eq!(s, 200, "{before}");
        let stored_before = dnssec_records(&api, &signed).await.len();

        for id in [&signed, &unsigned] {
            let path = format!("/api/v1/domains/{id}/dnssec");
            let (s, b) = api.get(&path, &attacker).await;
            assert_error(s, &b, 404, "not_found", None);
            let (s, b) = api.put(&path, &attacker, json!({"enabled": true})).await;
            assert_error(s, &b, 404, "not_found", None);
            let (s, b) = api.put(&path, &attacker, json!({"enabled": false})).await;
            assert_error(s, &b, 404, "not_found", None);
            let (s, b) = api.delete(&path, &attacker).await;
            assert_error(s, &b, 404, "not_found", None);
            let (s, b) = api.delete(&format!("{path}?now=true"), &attacker).await;
            assert_error(s, &b, 404, "not_found", None);
            for call in ["rollover", "ds-seen"] {
                let (s, b) = api
                    .post(&format!("{path}/{call}"), &attacker, json!({}))
                    .await;
                assert_error(s, &b, 404, "not_found", None);
            }
        }
        let (_, after) = api
            .get(&format!("/api/v1/domains/{signed}/dnssec"), &token)
            .await;
        assert_eq!(after, before);
        assert_eq!(dnssec_records(&api, &signed).await.len(), stored_before);
        let (_, after) = api
            .get(&format!("/api/v1/domains/{unsigned}/dnssec"), &token)
            .await;
        assert_eq!(after["status"], "unsigned");
        assert!(dnssec_records(&api, &unsigned).await.is_empty());

        // Nor through Thalassa, naming its own organisation or the victim's.
        for org in ["beta", "acme"] {
            let response = api
                .client
                .put(format!("{}/v1/dns/zones/victim2.test/dnssec", api.base))
                .bearer_auth(&attacker)
                .header("X-Organisation-Identity", org)
                .json(&json!({"enabled": true}))
                .send()
                .await
                .expect("request");
            assert!(matches!(response.status().as_u16(), 403 | 404), "{org}");
        }
        assert!(dnssec_records(&api, &unsigned).await.is_empty());
    })
    .await;
}

/// A rollover asked for through the API: the new key is published with
/// its next step and time shown, a second request is refused while it
/// runs, the parent cannot be confirmed for a key not yet ready, and the
/// zone's history shows the key step beside no DNSSEC record.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rollover_through_the_api_is_shown_and_journaled() {
    each_engine(|api| async move {
        install_signer(&api);
        let token = manager(&api, &api.acme).await;
        let id = api.zone("roll.test", &token).await;
        let path = format!("/api/v1/domains/{id}/dnssec");
        let (s, b) = api
            .put(&path, &token, json!({"zsk_lifetime_secs": 0}))
            .await;
        assert_eq!(
            (s.as_u16(), b["zsk_lifetime_secs"].as_u64()),
            (200, Some(0)),
            "{b}"
        );

        let (s, b) = api
            .post(&format!("{path}/rollover"), &token, json!({}))
            .await;
        assert_eq!(
            (s.as_u16(), b["status"].as_str()),
            (200, Some("rolling")),
            "{b}"
        );
        let keys = b["keys"].as_array().expect("keys");
        let new = keys
            .iter()
            .find(|k| k["state"] == "published")
            .expect("new key");
        assert_eq!(
            (new["role"].as_str(), new["next_state"].as_str()),
            (Some("csk"), Some("ready")),
            "{b}"
        );
        assert!(
            new["next_state_at"].is_string() && new["waiting_for"].is_string(),
            "{b}"
        );
        // The parent's DS stays the old key's until the new one is ready.
        assert_eq!(b["ds_records"].as_array().map(Vec::len), Some(1), "{b}");
        assert_eq!(b["dnskey_records"].as_array().map(Vec::len), Some(2), "{b}");

        let (s, b) = api
            .post(&format!("{path}/rollover"), &token, json!({"role": "csk"}))
            .await;
        assert_error(s, &b, 409, "conflict", Some("role"));
        let (s, b) = api
            .post(&format!("{path}/rollover"), &token, json!({"role": "zsk"}))
            .await;
        assert_error(s, &b, 400, "validation_error", Some("role"));
        let (s, b) = api
            .post(&format!("{path}/rollover"), &token, json!({"role": "big"}))
            .await;
        assert_error(s, &b, 400, "validation_error", Some("role"));
        let (s, b) = api
            .post(&format!("{path}/ds-seen"), &token, json!({}))
            .await;
        assert_eq!(s, 409, "{b}");
        assert!(
            b.to_string().contains("becomes ready for the parent"),
            "{b}"
        );

        let (s, history) = api
            .get(&format!("/api/v1/domains/{id}/changes"), &token)
            .await;
        assert_eq!(s, 200, "{history}");
        let latest = &history["data"][0];
        assert_eq!(
            latest["dnssec"]["key_transitions"][0]["state"], "published",
            "{latest}"
        );
        assert!(
            latest["dnssec"]["records_added"].as_u64() > Some(0),
            "{latest}"
        );
        assert_eq!(
            latest["added"],
            json!([]),
            "DNSSEC records stay out of the history's lists: {latest}"
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_choices_name_their_field() {
    each_engine(|api| async move {
        install_signer(&api);
        let token = manager(&api, &api.acme).await;
        let id = api.zone("bad.test", &token).await;
        let path = format!("/api/v1/domains/{id}/dnssec");
        for (body, field) in [
            (json!({"algorithm": 8}), "algorithm"),
            (json!({"algorithm": "RSASHA256"}), "algorithm"),
            (json!({"algorithm": true}), "algorithm"),
            (json!({"denial": "nsec5"}), "denial"),
            (json!({"key_split": "yes"}), "key_split"),
            (json!({"zsk_lifetime_secs": 60}), "zsk_lifetime_secs"),
            (json!({"ksk_lifetime_secs": -1}), "ksk_lifetime_secs"),
            (json!({"colour": "blue"}), "colour"),
        ] {
            let (s, b) = api.put(&path, &token, body.clone()).await;
            assert_error(s, &b, 400, "validation_error", Some(field));
        }
        let (_, b) = api.get(&path, &token).await;
        assert_eq!(b["status"], "unsigned", "nothing was signed: {b}");
        let (s, b) = api
            .post("/api/v1/domains", &token, json!({"name": "bad2.test", "domain_type": "primary",
                "dnssec_enabled": true, "settings": {"dnssec": {"algorithm": 8, "denial": "nsec", "key_split": false,
                "signature_validity_secs": 1209600, "refresh_before_secs": 604800, "jitter_secs": 86400}}}))
            .await;
        assert_error(s, &b, 400, "validation_error", Some("algorithm"));
    })
    .await;
}

async fn thalassa(
    api: &Api,
    method: Method,
    token: &str,
    org: &str,
    zone: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut request = api
        .client
        .request(method, format!("{}/v1/dns/zones/{zone}/dnssec", api.base))
        .bearer_auth(token)
        .header("X-Organisation-Identity", org);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.expect("request");
    let status = response.status().as_u16();
    let text = response.text().await.expect("body");
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thalassa_dnssec_is_the_native_state() {
    each_engine(|api| async move {
        install_signer(&api);
        let token = manager(&api, &api.acme).await;
        let id = api.zone("thal.test", &token).await;
        let native = format!("/api/v1/domains/{id}/dnssec");

        let (s, b) = thalassa(&api, Method::GET, &token, "acme", "thal.test", None).await;
        assert_eq!((s, b["status"].as_str()), (200, Some("unsigned")), "{b}");
        let (s, b) = thalassa(
            &api,
            Method::PUT,
            &api.acme_token,
            "acme",
            "thal.test",
            Some(json!({"enabled": true})),
        )
        .await;
        assert_eq!(s, 403, "dns:* lacks dnssec:manage: {b}");
        let (s, b) = thalassa(
            &api,
            Method::PUT,
            &token,
            "acme",
            "thal.test.",
            Some(json!({"enabled": true, "denial": "nsec", "keySplit": false})),
        )
        .await;
        assert_eq!(s, 200, "{b}");
        assert_eq!(
            (
                b["enabled"].as_bool(),
                b["status"].as_str(),
                b["denial"].as_str()
            ),
            (Some(true), Some("signed"), Some("nsec")),
            "{b}"
        );
        let (_, shown) = api.get(&native, &token).await;
        assert_eq!(shown["status"], "signed");
        assert_eq!(b["dsRecords"], shown["ds_records"], "{b}");
        assert_eq!(b["keys"][0]["keyTag"], shown["keys"][0]["key_tag"]);
        let (s, b) = thalassa(&api, Method::GET, &token, "acme", "thal.test", None).await;
        assert_eq!((s, &b["dsRecords"]), (200, &shown["ds_records"]), "{b}");

        let (s, b) = thalassa(
            &api,
            Method::PUT,
            &token,
            "acme",
            "thal.test",
            Some(json!({"algorithm": 8})),
        )
        .await;
        assert_eq!((s, b["field"].as_str()), (400, Some("algorithm")), "{b}");
        let (s, _) = thalassa(&api, Method::DELETE, &token, "acme", "thal.test", None).await;
        assert_eq!(s, 204);
        let (_, shown) = api.get(&native, &token).await;
        assert_eq!(shown["status"], "unsigning");
        let (s, b) = thalassa(&api, Method::GET, &token, "acme", "thal.test", None).await;
        assert_eq!((s, b["status"].as_str()), (200, Some("unsigning")), "{b}");
        assert!(b["unsigning"]["requestedAt"].is_string(), "{b}");
        let (s, _) = thalassa(&api, Method::GET, &token, "acme", "nope.test", None).await;
        assert_eq!(s, 404);

        // beta has no kms feature: 403 naming the gate, on every method.
        let beta = manager(&api, &api.beta).await;
        api.zone("thal-beta.test", &beta).await;
        for method in [Method::GET, Method::PUT, Method::DELETE] {
            let (s, b) = thalassa(
                &api,
                method,
                &beta,
                "beta",
                "thal-beta.test",
                Some(json!({})),
            )
            .await;
            assert!(
                s == 403 && b["detail"].as_str().is_some_and(|d| d.contains("'kms'")),
                "{b}"
            );
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_signer_signing_is_503() {
    each_engine(|api| async move {
        let token = manager(&api, &api.acme).await;
        let id = api.zone("nokek.test", &token).await;
        let path = format!("/api/v1/domains/{id}/dnssec");
        let (s, b) = api.put(&path, &token, json!({"enabled": true})).await;
        assert_error(s, &b, 503, "unavailable", None);
        assert!(
            b["detail"]
                .as_str()
                .is_some_and(|d| d.contains("key-encryption key")),
            "{b}"
        );
        let (s, b) = api.get(&path, &token).await;
        assert_eq!(
            (s.as_u16(), b["status"].as_str()),
            (200, Some("unsigned")),
            "{b}"
        );
        let (s, b) = api
            .patch(
                &format!("/api/v1/domains/{id}"),
                &token,
                json!({"dnssec_enabled": true}),
            )
            .await;
        assert_error(s, &b, 503, "unavailable", None);
        let (s, b) = thalassa(
            &api,
            Method::PUT,
            &token,
            "acme",
            "nokek.test",
            Some(json!({"enabled": true})),
        )
        .await;
        assert_eq!(s, 503, "{b}");
        let (s, b) = api
            .post(
                "/api/v1/domains",
                &token,
                json!({"name": "nokek2.test", "domain_type": "primary", "dnssec_enabled": true}),
            )
            .await;
        assert_error(s, &b, 503, "unavailable", None);
        let (_, list) = api.get("/api/v1/domains?search=nokek2", &token).await;
        assert_eq!(list["total"], 0, "nothing was created: {list}");
        let (_, zone) = api.get(&format!("/api/v1/domains/{id}"), &token).await;
        assert_eq!(zone["dnssec_enabled"], false);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openapi_documents_the_dnssec_calls() {
    each_engine(|api| async move {
        let (s, doc) = api
            .call(Method::GET, "/api/v1/openapi.json", None, None)
            .await;
        assert_eq!(s, 200);
        let path = &doc["paths"]["/api/v1/domains/{domain_id}/dnssec"];
        for method in ["get", "put", "delete"] {
            assert!(path[method].is_object(), "{method} missing: {path}");
        }
        for call in ["rollover", "ds-seen"] {
            let path = &doc["paths"][format!("/api/v1/domains/{{domain_id}}/dnssec/{call}")];
            assert!(path["post"].is_object(), "{call} missing: {path}");
        }
        assert!(doc["components"]["schemas"]["DnssecView"].is_object());
    })
    .await;
}
