//! tern-api: the HTTP face of Tern. For now the health endpoints a process
//! supervisor or load balancer probes; the native API and the seed dialects
//! are built on the same router by the API issues.

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use tern_core::ZoneService;

#[derive(Clone)]
pub struct ApiState {
    pub service: Arc<ZoneService>,
}

pub fn router(state: ApiState) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .with_state(state)
}

/// The process is up and serving HTTP.
async fn healthz() -> &'static str {
    "ok\n"
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
