//! Test support: every service test runs on SQLite (a temp dir) and on
//! PostgreSQL (a fresh database on TERN_TEST_POSTGRES_URL). PostgreSQL is
//! mandatory in CI (`CI=true`); elsewhere its absence prints SKIP.

#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::Arc;

use sqlx::Connection;
use tern_core::{
    Actor, ChangeSource, Name, Organisation, ServiceConfig, Store, ZoneService, new_id, now_millis,
};
use tern_store::Database;

pub const DEFAULT_PG: &str = "postgres://postgres@127.0.0.1:5432/test";

pub struct Engine {
    pub label: &'static str,
    pub url: String,
    pub service: Arc<ZoneService>,
    pub database: Arc<Database>,
    pub org: Organisation,
    _dir: Option<tempfile::TempDir>,
    pg_cleanup: Option<(String, String)>,
}

impl Engine {
    pub fn actor(&self) -> Actor {
        Actor::new("test", ChangeSource::Api)
    }

    /// Drops the per-test PostgreSQL database.
    pub async fn finish(self) {
        if let Some((admin_url, db)) = &self.pg_cleanup {
            drop(self.service);
            if let Ok(db) = Arc::try_unwrap(self.database) {
                db.close().await;
            }
            if let Ok(mut conn) = sqlx::PgConnection::connect(admin_url).await {
                let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"))
                    .execute(&mut conn)
                    .await;
            }
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
    pg_cleanup: Option<(String, String)>,
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
        pg_cleanup,
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
    let admin_url =
        std::env::var("TERN_TEST_POSTGRES_URL").unwrap_or_else(|_| DEFAULT_PG.to_string());
    let mut conn = match sqlx::PgConnection::connect(&admin_url).await {
        Ok(c) => c,
        Err(e) => {
            if std::env::var("CI").as_deref() == Ok("true") {
                panic!("PostgreSQL is required in CI but {admin_url} is not reachable: {e}");
            }
            eprintln!(
                "SKIP: PostgreSQL not reachable at {admin_url} ({e}); PostgreSQL half of this test skipped"
            );
            return None;
        }
    };
    let db = format!("tern_t_{}", uuid::Uuid::now_v7().simple());
    sqlx::query(&format!("CREATE DATABASE {db}"))
        .execute(&mut conn)
        .await
        .expect("create test database");
    let url = match admin_url.rfind('/') {
        Some(i) if admin_url[..i].contains("://") && i > admin_url.find("://").unwrap_or(0) + 2 => {
            format!("{}/{db}", &admin_url[..i])
        }
        _ => format!("{admin_url}/{db}"),
    };
    Some(engine("postgres", url, None, Some((admin_url, db))).await)
}

/// SQLite always, PostgreSQL when reachable (always in CI).
pub async fn engines() -> Vec<Engine> {
    let mut out = vec![sqlite().await];
    if let Some(pg) = postgres().await {
        out.push(pg);
    }
    out
}
