//! Support for test suites that need a real database on each engine: a
//! fresh PostgreSQL database per test (created on TERN_TEST_POSTGRES_URL and
//! dropped afterwards, so suites run in parallel and repeatedly), mandatory
//! when CI=true and skipped with a visible line otherwise.

use std::io::Write;

use sqlx::Connection;

pub const DEFAULT_POSTGRES_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

/// The server tests create their databases on.
pub fn postgres_admin_url() -> String {
    std::env::var("TERN_TEST_POSTGRES_URL").unwrap_or_else(|_| DEFAULT_POSTGRES_URL.to_string())
}

/// `url` with its database name replaced by `db`.
pub fn with_database(url: &str, db: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let host_start = base.find("://").map(|i| i + 3).unwrap_or(0);
    let prefix = match base[host_start..].find('/') {
        Some(i) => &base[..host_start + i],
        None => base,
    };
    match query {
        Some(q) => format!("{prefix}/{db}?{q}"),
        None => format!("{prefix}/{db}"),
    }
}

/// A database created for one test; `drop_database` removes it.
pub struct FreshPostgres {
    pub url: String,
    admin: String,
    name: String,
}

impl FreshPostgres {
    /// Creates a database named `<prefix>_<uuid>`, with an ICU en-US
    /// collation where the server has one (production databases are often
    /// en_US, whose text order differs from SQLite's byte order). `None`
    /// after printing SKIP when no server is reachable outside CI; in CI
    /// (`CI=true`) an unreachable server panics.
    pub async fn create(prefix: &str) -> Option<FreshPostgres> {
        let admin = postgres_admin_url();
        let mut conn = match sqlx::PgConnection::connect(&admin).await {
            Ok(c) => c,
            Err(e) => {
                if std::env::var("CI").as_deref() == Ok("true") {
                    panic!("PostgreSQL is required in CI but {admin} is not reachable: {e}");
                }
                // Straight to the process's stderr: libtest captures
                // `eprintln!` of passing tests, and a skip must be seen.
                let _ = writeln!(
                    std::io::stderr(),
                    "SKIP: PostgreSQL not reachable at {admin} ({e}); only SQLite was tested"
                );
                return None;
            }
        };
        let name = format!("{prefix}_{}", uuid::Uuid::now_v7().simple());
        let icu = format!(
            "CREATE DATABASE {name} TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C.UTF-8'"
        );
        if sqlx::query(&icu).execute(&mut conn).await.is_err()
            && let Err(e) = sqlx::query(&format!("CREATE DATABASE {name}"))
                .execute(&mut conn)
                .await
        {
            panic!("creating test database {name}: {e}");
        }
        let _ = conn.close().await;
        Some(FreshPostgres {
            url: with_database(&admin, &name),
            admin,
            name,
        })
    }

    pub async fn drop_database(self) {
        if let Ok(mut conn) = sqlx::PgConnection::connect(&self.admin).await {
            let _ = sqlx::query(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ))
            .execute(&mut conn)
            .await;
            let _ = conn.close().await;
        }
    }
}
