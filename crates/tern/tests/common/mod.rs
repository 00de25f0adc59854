//! Test support: every service test runs on SQLite (a temp dir) and on
//! PostgreSQL (a fresh database on TERN_TEST_POSTGRES_URL). PostgreSQL is
//! mandatory in CI (`CI=true`); elsewhere its absence prints SKIP. The tests
//! that drive the binary itself use `node` (real `tern serve` processes) and
//! `dns` (queries over UDP).

#![allow(dead_code)]

pub mod binary;
pub mod dns;
pub mod node;
pub mod process;

use std::path::PathBuf;
use std::sync::Arc;

use tern_core::{
    Actor, ChangeSource, Name, Organisation, ServiceConfig, Store, ZoneService, new_id, now_millis,
};
use tern_store::Database;
use tern_store::testing::FreshPostgres;

pub struct Engine {
    pub label: &'static str,
    pub url: String,
    pub service: Arc<ZoneService>,
    pub database: Arc<Database>,
    pub org: Organisation,
    _dir: Option<tempfile::TempDir>,
    pg: Option<FreshPostgres>,
}

impl Engine {
    pub fn actor(&self) -> Actor {
        Actor::new("test", ChangeSource::Api)
    }

    /// Drops the per-test PostgreSQL database.
    pub async fn finish(self) {
        if let Some(fresh) = self.pg {
            drop(self.service);
            self.database.close().await;
            fresh.drop_database().await;
        }
    }
}

pub fn fixtures_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tern-core/tests/fixtures/zones")
}

pub fn config() -> ServiceConfig {
    ServiceConfig {
        nameservers: vec![
            Name::parse_absolute("ns1.tern.test").expect("ns"),
            Name::parse_absolute("ns2.tern.test").expect("ns"),
        ],
        ..ServiceConfig::default()
    }
}

async fn engine(
    label: &'static str,
    url: String,
    dir: Option<tempfile::TempDir>,
    pg: Option<FreshPostgres>,
) -> Engine {
    let database = Arc::new(
        Database::connect(&url)
            .await
            .unwrap_or_else(|e| panic!("{label}: {e}")),
    );
    let store: Arc<dyn Store> = database.clone();
    let service = Arc::new(ZoneService::new(store, config()));
    let org = Organisation {
        id: new_id(),
        slug: "acme".into(),
        name: "Acme".into(),
        features: vec!["dns".into()],
        created_at: now_millis(),
        max_zones: None,
        max_records_per_zone: None,
    };
    service
        .store()
        .create_organisation(&org)
        .await
        .expect("organisation");
    Engine {
        label,
        url,
        service,
        database,
        org,
        _dir: dir,
        pg,
    }
}

pub async fn sqlite() -> Engine {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = tern_store::sqlite_url_for_dir(dir.path());
    engine("sqlite", url, Some(dir), None).await
}

/// A fresh PostgreSQL database, or `None` (after printing SKIP) when no
/// server is reachable outside CI.
pub async fn postgres() -> Option<Engine> {
    let fresh = FreshPostgres::create("tern_t").await?;
    let url = fresh.url.clone();
    Some(engine("postgres", url, None, Some(fresh)).await)
}

/// SQLite always, PostgreSQL when reachable (always in CI).
pub async fn engines() -> Vec<Engine> {
    let mut out = vec![sqlite().await];
    if let Some(pg) = postgres().await {
        out.push(pg);
    }
    out
}
