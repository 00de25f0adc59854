//! The API over a real socket: each test body runs against `tern-api`
//! served on a free loopback port, once on SQLite and once on PostgreSQL
//! (a fresh database; mandatory when CI=true, SKIP elsewhere), with two
//! organisations and tokens of each kind already issued.

#![allow(dead_code)]

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use reqwest::{Method, StatusCode};
use serde_json::Value;
use tern_api::admin::{TokenRequest, issue_token};
use tern_api::limits::RateLimits;
use tern_core::{Organisation, Scope, Store, ZoneService, new_id, now_millis};
use tern_store::Database;
use tern_store::testing::FreshPostgres;

pub struct Api {
    pub label: &'static str,
    pub base: String,
    pub client: reqwest::Client,
    pub service: Arc<ZoneService>,
    pub acme: Organisation,
    pub beta: Organisation,
    /// admin scope, organisation acme
    pub admin: String,
    /// dns:* + tokens:manage in acme
    pub acme_token: String,
    /// dns:* + tokens:manage in beta
    pub beta_token: String,
    /// dns:list + dns:read in acme
    pub acme_reader: String,
}

impl Api {
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut request = self.client.request(method, format!("{}{path}", self.base));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("request");
        let status = response.status();
        let text = response.text().await.expect("body");
        let value = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        (status, value)
    }

    pub async fn get(&self, path: &str, token: &str) -> (StatusCode, Value) {
        self.call(Method::GET, path, Some(token), None).await
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::POST, path, Some(token), Some(body)).await
    }

    pub async fn patch(&self, path: &str, token: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::PATCH, path, Some(token), Some(body))
            .await
    }

    pub async fn put(&self, path: &str, token: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::PUT, path, Some(token), Some(body)).await
    }

    pub async fn delete(&self, path: &str, token: &str) -> (StatusCode, Value) {
        self.call(Method::DELETE, path, Some(token), None).await
    }

    /// Creates a primary zone as `token`; returns its id.
    pub async fn zone(&self, name: &str, token: &str) -> String {
        let (status, body) = self
            .post(
                "/api/v1/domains",
                token,
                serde_json::json!({"name": name, "domain_type": "primary"}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        body["id"].as_str().expect("id").to_string()
    }

    pub async fn token(
        &self,
        org: &Organisation,
        scopes: &[Scope],
        project: Option<uuid::Uuid>,
    ) -> String {
        issue_token(
            self.service.store().as_ref(),
            TokenRequest {
                org_id: org.id,
                project_id: project,
                name: "test".into(),
                scopes: scopes.to_vec(),
                expires_in_secs: None,
                allowed_networks: Vec::new(),
            },
            None,
        )
        .await
        .expect("token")
        .1
    }
}

/// Asserts the uniform error body.
pub fn assert_error(
    status: StatusCode,
    body: &Value,
    want_status: u16,
    code: &str,
    field: Option<&str>,
) {
    assert_eq!(status.as_u16(), want_status, "{body}");
    assert_eq!(body["error_code"], code, "{body}");
    assert!(
        body["detail"].as_str().is_some_and(|d| !d.is_empty()),
        "{body}"
    );
    if let Some(field) = field {
        assert_eq!(body["field"], field, "{body}");
    }
}

async fn org(store: &dyn Store, slug: &str, features: &[&str]) -> Organisation {
    let org = Organisation {
        id: new_id(),
        slug: slug.into(),
        name: slug.to_uppercase(),
        features: features.iter().map(|f| f.to_string()).collect(),
        created_at: now_millis(),
        max_zones: None,
        max_records_per_zone: None,
    };
    store.create_organisation(&org).await.expect("org");
    org
}

/// How the server under test is configured.
#[derive(Default, Clone)]
pub struct Setup {
    pub limits: RateLimits,
    pub validation: tern_api::validation::ValidationConfig,
    pub service: tern_core::ServiceConfig,
    /// `--allow-shared-zone-names` (overrides `service`'s).
    pub shared_zone_names: bool,
}

async fn start(label: &'static str, url: &str, setup: Setup) -> (Api, Arc<Database>) {
    let database = Arc::new(Database::connect(url).await.expect("database"));
    let store: Arc<dyn Store> = database.clone();
    let service = Arc::new(ZoneService::new(
        store.clone(),
        tern_core::ServiceConfig {
            allow_shared_zone_names: setup.shared_zone_names
                || setup.service.allow_shared_zone_names,
            ..setup.service.clone()
        },
    ));
    let acme = org(store.as_ref(), "acme", &["dns", "kms"]).await;
    let beta = org(store.as_ref(), "beta", &["dns"]).await;
    let app = tern_api::router(
        tern_api::ApiState::new(service.clone(), Arc::new(String::new))
            .with_limits(setup.limits)
            .with_validation(setup.validation),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await;
    });
    let mut api = Api {
        label,
        base: format!("http://{addr}"),
        client: reqwest::Client::new(),
        service,
        acme: acme.clone(),
        beta: beta.clone(),
        admin: String::new(),
        acme_token: String::new(),
        beta_token: String::new(),
        acme_reader: String::new(),
    };
    api.admin = api.token(&acme, &[Scope::Admin], None).await;
    api.acme_token = api
        .token(&acme, &[Scope::DnsAll, Scope::TokensManage], None)
        .await;
    api.beta_token = api
        .token(&beta, &[Scope::DnsAll, Scope::TokensManage], None)
        .await;
    api.acme_reader = api
        .token(&acme, &[Scope::DnsList, Scope::DnsRead], None)
        .await;
    (api, database)
}

/// Runs `body` against SQLite, then PostgreSQL.
pub async fn each_engine<F, Fut>(body: F)
where
    F: Fn(Arc<Api>) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    each_engine_with(Setup::default(), body).await;
}

/// `each_engine` with the server configured by `setup`.
pub async fn each_engine_with<F, Fut>(setup: Setup, body: F)
where
    F: Fn(Arc<Api>) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let dir = tempfile::tempdir().expect("tempdir");
    let mut runs = vec![("sqlite", tern_store::sqlite_url_for_dir(dir.path()), None)];
    if let Some(pg) = FreshPostgres::create("tern_api").await {
        runs.push(("postgres", pg.url.clone(), Some(pg)));
    }
    for (label, url, pg) in runs {
        let (api, database) = start(label, &url, setup.clone()).await;
        let result = tokio::spawn(body(Arc::new(api))).await;
        database.close().await;
        if let Some(pg) = pg {
            pg.drop_database().await;
        }
        if let Err(e) = result {
            eprintln!("test failed on {label}");
            match e.try_into_panic() {
                Ok(panic) => std::panic::resume_unwind(panic),
                Err(e) => panic!("{label}: test task failed: {e}"),
            }
        }
    }
}
