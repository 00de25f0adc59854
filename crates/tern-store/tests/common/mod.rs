//! Test support for the store suites: every test body runs once on SQLite (a
//! temp dir) and once on PostgreSQL (a fresh database per test, created via
//! TERN_TEST_POSTGRES_URL and dropped afterwards, so tests run in parallel and
//! repeatedly). PostgreSQL is mandatory when CI=true; elsewhere its absence
//! prints a SKIP line and only the SQLite half runs.

#![allow(dead_code)]

use std::future::Future;
use std::sync::Arc;

use tern_core::{
    ChangeSource, JournalEntry, Name, Organisation, Principal, Rdata, Record, RecordType,
    SoaSettings, Zone, ZoneKind, ZoneStatus, new_id, now_millis,
};
use tern_store::Database;
use tern_store::testing::FreshPostgres;
use uuid::Uuid;

/// One engine's database for one test.
pub struct Env {
    pub label: &'static str,
    /// URL of this test's database, to open a second `Database` on it.
    pub url: String,
    pub db: Database,
}

struct Cleanup {
    _dir: Option<tempfile::TempDir>,
    pg: Option<FreshPostgres>,
}

async fn sqlite_env() -> (Env, Cleanup) {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = tern_store::sqlite_url_for_dir(dir.path());
    let db = Database::connect(&url).await.expect("open sqlite");
    (
        Env {
            label: "sqlite",
            url,
            db,
        },
        Cleanup {
            _dir: Some(dir),
            pg: None,
        },
    )
}

async fn postgres_env() -> Option<(Env, Cleanup)> {
    let fresh = FreshPostgres::create("tern_st").await?;
    let url = fresh.url.clone();
    let db = Database::connect(&url).await.expect("open postgres");
    Some((
        Env {
            label: "postgres",
            url,
            db,
        },
        Cleanup {
            _dir: None,
            pg: Some(fresh),
        },
    ))
}

async fn cleanup(env: Arc<Env>, cleanup: Cleanup) {
    env.db.close().await;
    drop(env);
    if let Some(fresh) = cleanup.pg {
        fresh.drop_database().await;
    }
}

/// Runs `body` on SQLite, then on PostgreSQL. The body runs in its own task so
/// a failing assertion still drops the PostgreSQL database before the panic
/// is passed on.
pub async fn each_engine<F, Fut>(body: F)
where
    F: Fn(Arc<Env>) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let mut envs = vec![sqlite_env().await];
    if let Some(pg) = postgres_env().await {
        envs.push(pg);
    }
    for (env, clean) in envs {
        let env = Arc::new(env);
        let label = env.label;
        let result = tokio::spawn(body(env.clone())).await;
        cleanup(env, clean).await;
        if let Err(e) = result {
            eprintln!("test failed on {label}");
            match e.try_into_panic() {
                Ok(panic) => std::panic::resume_unwind(panic),
                Err(e) => panic!("{label}: test task failed: {e}"),
            }
        }
    }
}

// ---------------------------------------------------------------- fixtures

pub fn name(text: &str) -> Name {
    Name::parse_absolute(text).expect("name")
}

pub fn rdata(rtype: RecordType, text: &str) -> Rdata {
    Rdata::parse_text(rtype, text).unwrap_or_else(|e| panic!("{rtype} {text}: {e}"))
}

pub async fn org(db: &Database, slug: &str) -> Organisation {
    let org = Organisation {
        id: new_id(),
        slug: slug.into(),
        name: format!("Org {slug}"),
        features: vec!["dns".into(), "dnssec".into()],
        created_at: now_millis(),
        max_zones: None,
        max_records_per_zone: None,
    };
    tern_core::Store::create_organisation(db, &org)
        .await
        .expect("create organisation");
    org
}

pub fn zone(org_id: Uuid, zone_name: &str) -> Zone {
    let now = now_millis();
    Zone {
        id: new_id(),
        name: name(zone_name),
        kind: ZoneKind::Primary,
        status: ZoneStatus::Active,
        prior_status: None,
        default_ttl: 3600,
        description: Some("a test zone".into()),
        settings: serde_json::json!({"soa_edit": "increase", "nested": {"n": 1}}),
        dnssec_enabled: false,
        serial: 2024010101,
        soa: SoaSettings {
            mname: name("ns1.tern.test"),
            rname: name("hostmaster.tern.test"),
            refresh: 10800,
            retry: 3600,
            expire: 604800,
            minimum: 300,
            ttl: 3600,
        },
        org_id,
        project_id: None,
        created_at: now,
        updated_at: now,
        deleted_at: None,
    }
}

pub fn record(zone: &Zone, owner: &str, rtype: RecordType, text: &str) -> Record {
    let now = now_millis();
    Record {
        id: new_id(),
        zone_id: zone.id,
        name: name(owner),
        rtype,
        ttl: Some(300),
        rdata: rdata(rtype, text),
        description: None,
        created_at: now,
        updated_at: now,
        version: 1,
    }
}

/// One record of every RDATA variant tern-core has, with awkward text where
/// the format allows it.
pub fn every_variant(zone: &Zone) -> Vec<Record> {
    let z = zone.name.as_str();
    let at = |label: &str| format!("{label}.{z}");
    let hex32 = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    let mut out = vec![
        record(zone, z, RecordType::A, "192.0.2.1"),
        record(zone, z, RecordType::AAAA, "2001:db8::1"),
        record(zone, &at("sub"), RecordType::NS, "ns.elsewhere.test."),
        record(zone, &at("alias"), RecordType::CNAME, "target.example.net."),
        record(zone, &at("1"), RecordType::PTR, "host.example."),
        record(zone, &at("legacy"), RecordType::DNAME, "other.example."),
        record(zone, z, RecordType::MX, "10 mail.example.com."),
        record(
            zone,
            z,
            RecordType::TXT,
            r#""v=spf1 -all" "quote \" semicolon ; backslash \\ tab\009end" """#,
        ),
        record(
            zone,
            z,
            RecordType::SPF,
            r#""v=spf1 include:_spf.example.com ~all""#,
        ),
        record(
            zone,
            &at("_sip._tcp"),
            RecordType::SRV,
            "10 20 5060 sip.example.com.",
        ),
        record(zone, z, RecordType::CAA, r#"0 issue "letsencrypt.org""#),
        record(
            zone,
            &at("host"),
            RecordType::SSHFP,
            "1 1 0123456789abcdef0123456789abcdef01234567",
        ),
        record(
            zone,
            &at("_443._tcp.www"),
            RecordType::TLSA,
            &format!("3 1 1 {hex32}"),
        ),
        record(
            zone,
            z,
            RecordType::NAPTR,
            r#"100 10 "U" "E2U+sip" "!^.*$!sip:info@example.com!" ."#,
        ),
        record(
            zone,
            &at("sub"),
            RecordType::DS,
            &format!("12345 13 2 {hex32}"),
        ),
        record(zone, &at("host"), RecordType::HINFO, r#""INTEL" "LINUX 6""#),
        record(
            zone,
            &at("geo"),
            RecordType::LOC,
            "52 22 23.000 N 4 53 32.000 E -2.00m 1m 10000m 10m",
        ),
        record(
            zone,
            z,
            RecordType::RP,
            "admin.example.com. txt.example.com.",
        ),
        record(
            zone,
            &at("svc"),
            RecordType::SVCB,
            "1 svc.example.com. alpn=h2 port=8443",
        ),
        record(zone, z, RecordType::HTTPS, "1 . alpn=h2,h3"),
        record(zone, &at("*"), RecordType::A, "192.0.2.99"),
        record(zone, &at("odd\\.label"), RecordType::A, "192.0.2.7"),
        record(zone, &at("unknown"), RecordType(65280), r"\# 4 0a000001"),
    ];
    // TTL inherited and a description, on one record each.
    out[1].ttl = None;
    out[2].description = Some("delegation — with UTF-8 ✓".into());
    out
}

pub fn entry(zone: &Zone, before: u32, removed: Vec<Record>, added: Vec<Record>) -> JournalEntry {
    JournalEntry {
        seq: 0,
        zone_id: zone.id,
        zone_name: zone.name.clone(),
        serial_before: before,
        serial_after: zone.serial,
        removed,
        added,
        zone_after: Some(zone.clone()),
        principal: Principal("tester@example.com".into()),
        source: ChangeSource::Dialect("pdns".into()),
        at: now_millis(),
        key_transitions: Vec::new(),
    }
}

/// Sorted the way `Store::records` promises: name, type, id.
pub fn sorted(mut records: Vec<Record>) -> Vec<Record> {
    records.sort_by(|a, b| {
        (a.name.as_str(), a.rtype.0, a.id).cmp(&(b.name.as_str(), b.rtype.0, b.id))
    });
    records
}
