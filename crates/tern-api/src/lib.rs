//! tern-api: the HTTP face of Tern. The native API (`/api/v1/…`: tenancy
//! in `admin`, zones in `domains`, records in `records`), authenticated by
//! bearer tokens (`auth`), who may do what in `access`, with one error body
//! (`error`); plus the health endpoints a supervisor or load balancer
//! probes and `/metrics`.

mod access;
pub mod admin;
pub mod auth;
mod dialects;
mod dnssec;
mod domains;
pub mod error;
mod extract;
mod grants;
mod idempotency;
pub mod limits;
pub mod openapi;
mod records;
mod reverse_zones;
mod templates;
mod tsig_keys;
pub mod validation;
mod views;
mod writes;

/// Timestamps as every face shows them (the CLI's listings too).
pub use views::iso;

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use tern_core::ZoneService;

/// Renders the Prometheus text the server's parts expose (the nameserver's
/// counters, for now); tern-api does not depend on them directly.
pub type MetricsSource = Arc<dyn Fn() -> String + Send + Sync>;

#[derive(Clone)]
pub struct ApiState {
    pub service: Arc<ZoneService>,
    pub metrics: MetricsSource,
    pub touched: Arc<auth::TouchLog>,
    pub tokens: Arc<auth::TokenCache>,
    pub limits: limits::RateLimits,
    pub limiter: Arc<limits::Limiter>,
    pub validation: Arc<validation::ValidationConfig>,
    /// Largest zone file an import accepts (`--import-limit-mb`).
    pub import_limit: usize,
}

impl ApiState {
    pub fn new(service: Arc<ZoneService>, metrics: MetricsSource) -> ApiState {
        ApiState {
            service,
            metrics,
            touched: Arc::default(),
            tokens: Arc::default(),
            limits: limits::RateLimits::default(),
            limiter: Arc::default(),
            validation: Arc::default(),
            import_limit: DEFAULT_IMPORT_LIMIT,
        }
    }

    pub fn with_import_limit(mut self, bytes: usize) -> ApiState {
        self.import_limit = bytes;
        self
    }

    pub fn with_validation(mut self, validation: validation::ValidationConfig) -> ApiState {
        self.validation = Arc::new(validation);
        self
    }

    pub fn with_limits(mut self, limits: limits::RateLimits) -> ApiState {
        self.limits = limits;
        self
    }
}

/// Largest request body accepted; zone imports have their own limit.
const BODY_LIMIT: usize = 1024 * 1024;
/// Largest zone file an import accepts, unless configured otherwise.
pub const DEFAULT_IMPORT_LIMIT: usize = 64 * 1024 * 1024;

pub fn router(state: ApiState) -> Router {
    let (api, openapi) = utoipa_axum::router::OpenApiRouter::with_openapi(
        <openapi::ApiDoc as utoipa::OpenApi>::openapi(),
    )
    .merge(admin::routes())
    .merge(domains::routes())
    .merge(dnssec::routes())
    .merge(grants::routes())
    .merge(records::routes())
    .merge(reverse_zones::routes())
    .merge(templates::routes())
    .merge(tsig_keys::routes())
    .merge(validation::routes())
    .split_for_parts();
    let openapi = Arc::new(openapi);
    api.merge(dialects::vpsorg::routes())
        .merge(dialects::thalassa::routes())
        .merge(dialects::pocketdns::routes())
        .merge(dialects::designate::routes())
        .route(
            "/api/v1/openapi.json",
            get(move || {
                let openapi = openapi.clone();
                async move { axum::Json(openapi.as_ref().clone()) }
            }),
        )
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::extract::DefaultBodyLimit::max(BODY_LIMIT))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            idempotency::idempotency,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            limits::rate_limit,
        ))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .with_state(state)
}

async fn method_not_allowed() -> error::ApiError {
    error::ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "this endpoint does not take that method",
    )
}

async fn not_found() -> error::ApiError {
    error::ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such endpoint")
}

/// The process is up and serving HTTP.
async fn healthz() -> &'static str {
    "ok\n"
}

async fn metrics(
    State(state): State<ApiState>,
) -> ([(axum::http::HeaderName, &'static str); 1], String) {
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4",
        )],
        (state.metrics)(),
    )
}

/// The process can reach its database, so writes and reads can succeed.
async fn readyz(State(state): State<ApiState>) -> (StatusCode, String) {
    match state.service.store().journal_head().await {
        Ok(_) => (StatusCode::OK, "ready\n".to_string()),
        Err(e) => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("database unavailable: {e}\n"),
        ),
    }
}
