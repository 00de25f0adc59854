//! tern-api: the HTTP face of Tern. For now the health endpoints a process
//! supervisor or load balancer probes and `/metrics`; the native API and the
//! seed dialects are built on the same router by the API issues.

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
}

pub fn router(state: ApiState) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .with_state(state)
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
