//! `Idempotency-Key` on writes: the first request with a key is handled and
//! its response kept (in the store, so every node and a restarted process
//! see it) for 24 hours; a retry with the same key and the same request gets
//! that response again instead of applying the change twice. The same key
//! with a different request is 422; while the first is still running, 409.
//! Keys are per token: two callers cannot collide; a token that is no
//! longer valid gets nothing back; answers carrying secrets are not kept.

use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tern_core::auth::token_hash;
use tern_core::{IdempotencyClaim, now_millis};

use crate::ApiState;
use crate::error::ApiError;

const KEEP_MS: i64 = 24 * 3600 * 1000;
/// A claim not completed after this long belongs to a request that died.
const STALE_MS: i64 = 5 * 60 * 1000;
/// Responses larger than this are not kept (exports are reads anyway).
const MAX_KEPT: usize = 4 * 1024 * 1024;

pub async fn idempotency(State(state): State<ApiState>, request: Request, next: Next) -> Response {
    let Some(key) = request
        .headers()
        .get("idempotency-key")
        .and_then(|k| k.to_str().ok())
        .map(str::to_string)
    else {
        return next.run(request).await;
    };
    if matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    ) {
        return next.run(request).await;
    }
    if key.is_empty() || key.len() > 255 {
        return ApiError::validation("Idempotency-Key", "must be 1-255 characters").into_response();
    }
    // Answers that carry a secret (a new token, a new TSIG key) are never
    // kept: secrets are stored nowhere.
    let path = request.uri().path();
    if path.starts_with("/api/v1/tokens") || path.starts_with("/api/v1/tsig-keys") {
        return next.run(request).await;
    }
    // Only a caller that may act now gets a kept answer back (a revoked
    // token must not); others go on to the handler, which refuses them.
    let peer = request
        .extensions()
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0.ip());
    if crate::auth::authenticate(&state, request.headers(), peer)
        .await
        .is_err()
    {
        return next.run(request).await;
    }
    let caller = crate::auth::bearer_secret(request.headers())
        .map(token_hash)
        .unwrap_or_default();
    let (parts, body) = request.into_parts();
    let Ok(bytes) = to_bytes(body, state.import_limit).await else {
        return ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            "the request body is too large",
        )
        .into_response();
    };
    let fingerprint = token_hash(&format!(
        "{} {}\n{}",
        parts.method,
        parts.uri,
        String::from_utf8_lossy(&bytes)
    ));
    let stored_key = token_hash(&format!("{caller}\n{key}"));
    let now = now_millis();
    let store = state.service.store();
    let claim = store
        .claim_idempotency_key(
            &stored_key,
            &fingerprint,
            now,
            now - STALE_MS,
            now - KEEP_MS,
        )
        .await;
    match claim {
        Err(e) => return ApiError::from(e).into_response(),
        Ok(
            IdempotencyClaim::InProgress { fingerprint: f }
            | IdempotencyClaim::Done { fingerprint: f, .. },
        ) if f != fingerprint => {
            return ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "unprocessable_entity",
                "this Idempotency-Key was used for a different request",
            )
            .with_field("Idempotency-Key")
            .into_response();
        }
        Ok(IdempotencyClaim::InProgress { .. }) => {
            return ApiError::conflict(
                "a request with this Idempotency-Key is still being handled",
            )
            .with_field("Idempotency-Key")
            .into_response();
        }
        Ok(IdempotencyClaim::Done { status, body, .. }) => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
            let mut response = (status, body).into_response();
            let headers = response.headers_mut();
            headers.insert(
                axum::http::header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            headers.insert("idempotent-replayed", HeaderValue::from_static("true"));
            return response;
        }
        Ok(IdempotencyClaim::Claimed) => {}
    }
    let response = next
        .run(Request::from_parts(parts, Body::from(bytes)))
        .await;
    let (parts, body) = response.into_parts();
    let bytes = to_bytes(body, MAX_KEPT).await.unwrap_or_default();
    // Server-side failures are not kept: a retry may succeed.
    let kept = if parts.status.is_server_error() {
        store.release_idempotency_key(&stored_key).await
    } else {
        store
            .complete_idempotency_key(
                &stored_key,
                parts.status.as_u16(),
                &String::from_utf8_lossy(&bytes),
            )
            .await
    };
    if let Err(e) = kept {
        tracing::warn!(error = %e, "recording an idempotent response");
    }
    Response::from_parts(parts, Body::from(bytes))
}
