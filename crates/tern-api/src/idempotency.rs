//! `Idempotency-Key` on writes: the first request with a key is handled and
//! its response kept (in the store, so every node and a restarted process
//! see it) for 24 hours; a retry with the same key and the same request gets
//! that response again instead of applying the change twice. The same key
//! with a different request is 422; while the first is still running, 409.
//! The first caller always gets the whole answer; a body over 4 MiB is not
//! kept, and its replay has the first status and headers, a small JSON body
//! saying so and `Idempotent-Body-Omitted: too-large` (every replay carries
//! `Idempotent-Replayed: true`, as Stripe's do).
//! Keys are per token: two callers cannot collide; a token that is no
//! longer valid gets nothing back; answers carrying secrets are not kept.

use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::json;
use tern_core::auth::token_hash;
use tern_core::{IdempotencyClaim, now_millis};

use crate::ApiState;
use crate::error::ApiError;

const KEEP_MS: i64 = 24 * 3600 * 1000;
/// A claim not completed after this long belongs to a request that died.
const STALE_MS: i64 = 5 * 60 * 1000;
/// Bodies larger than this are not kept, only the status and headers
/// (exports are reads anyway).
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
        Ok(IdempotencyClaim::Done { status, body, .. }) => return replay(status, &body),
        Ok(IdempotencyClaim::Claimed) => {}
    }
    let response = next
        .run(Request::from_parts(parts, Body::from(bytes)))
        .await;
    let (parts, body) = response.into_parts();
    // The first caller gets the whole answer, whatever its size: it is in
    // memory already (handlers answer with buffered JSON).
    let bytes = match to_bytes(body, usize::MAX).await {
        Ok(bytes) => bytes,
        Err(e) => {
            tracing::error!(error = %e, "reading a response to keep for Idempotency-Key");
            if let Err(e) = store.release_idempotency_key(&stored_key).await {
                tracing::warn!(error = %e, "releasing an idempotency key");
            }
            return ApiError::internal().into_response();
        }
    };
    // Server-side failures are not kept: a retry may succeed.
    let kept = if parts.status.is_server_error() {
        store.release_idempotency_key(&stored_key).await
    } else {
        store
            .complete_idempotency_key(
                &stored_key,
                parts.status.as_u16(),
                &kept_form(&parts.headers, &bytes),
            )
            .await
    };
    if let Err(e) = kept {
        tracing::warn!(error = %e, "recording an idempotent response");
    }
    Response::from_parts(parts, Body::from(bytes))
}

/// Marks a kept answer stored by this code (answers kept before it are the
/// bare body).
const KEPT_PREFIX: &str = "tern-idempotency/1 ";

/// What is kept of an answer, beside its status: its headers and, when it
/// is text no larger than `MAX_KEPT`, its body.
#[derive(Debug, Serialize, Deserialize, PartialEq)]
struct Kept {
    headers: Vec<(String, String)>,
    body_bytes: usize,
    /// Why the body was not kept (`too-large`, `not-text`); `None` when it
    /// follows.
    omitted: Option<String>,
}

/// The stored form of an answer: `KEPT_PREFIX`, the `Kept` JSON on one
/// line, then the body when it is kept. A body over `MAX_KEPT` is not kept
/// (the claim stays, so a retry is still not applied twice).
fn kept_form(headers: &HeaderMap, body: &[u8]) -> String {
    let text = std::str::from_utf8(body).ok();
    let omitted = match text {
        _ if body.len() > MAX_KEPT => Some("too-large"),
        None => Some("not-text"),
        Some(_) => None,
    };
    let kept = Kept {
        headers: headers
            .iter()
            .filter(|(name, _)| !UNKEPT_HEADERS.contains(&name.as_str()))
            .filter_map(|(name, value)| Some((name.to_string(), value.to_str().ok()?.to_string())))
            .collect(),
        body_bytes: body.len(),
        omitted: omitted.map(str::to_string),
    };
    let meta = serde_json::to_string(&kept).unwrap_or_else(|_| "{}".into());
    match (omitted, text) {
        (None, Some(text)) => format!("{KEPT_PREFIX}{meta}\n{text}"),
        _ => format!("{KEPT_PREFIX}{meta}\n"),
    }
}

/// Headers that describe one transfer of the body, not the answer.
const UNKEPT_HEADERS: [&str; 4] = ["content-length", "transfer-encoding", "connection", "date"];

/// The answer a retry gets: the first one's status, headers and body, or,
/// when the body was not kept, a small JSON body saying so (and the
/// `Idempotent-Body-Omitted` header with the reason).
fn replay(status: u16, stored: &str) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    let parsed = stored.strip_prefix(KEPT_PREFIX).and_then(|rest| {
        let (meta, body) = rest.split_once('\n')?;
        Some((serde_json::from_str::<Kept>(meta).ok()?, body))
    });
    let mut response = match parsed {
        Some((kept, body)) => {
            let mut response = match &kept.omitted {
                None => (status, body.to_string()).into_response(),
                Some(reason) => (
                    status,
                    axum::Json(json!({
                        "detail": format!(
                            "this is a replay; the original answer's body ({} bytes) was not kept ({reason}; at most {MAX_KEPT} bytes of text are), only its status and headers",
                            kept.body_bytes
                        ),
                        "body_kept": false,
                        "body_bytes": kept.body_bytes,
                    })),
                )
                    .into_response(),
            };
            let headers = response.headers_mut();
            for (name, value) in &kept.headers {
                if kept.omitted.is_some() && name == "content-type" {
                    continue;
                }
                if let (Ok(name), Ok(value)) = (
                    HeaderName::from_bytes(name.as_bytes()),
                    HeaderValue::from_str(value),
                ) {
                    headers.insert(name, value);
                }
            }
            if let Some(reason) = kept
                .omitted
                .as_deref()
                .and_then(|r| HeaderValue::from_str(r).ok())
            {
                headers.insert("idempotent-body-omitted", reason);
            }
            response
        }
        // Kept before headers were: the body alone, and it was JSON.
        None => {
            let mut response = (status, stored.to_string()).into_response();
            response.headers_mut().insert(
                axum::http::header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            response
        }
    };
    response
        .headers_mut()
        .insert("idempotent-replayed", HeaderValue::from_static("true"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json_headers() -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert("content-type", HeaderValue::from_static("application/json"));
        headers.insert("content-length", HeaderValue::from_static("7"));
        headers.insert("location", HeaderValue::from_static("/api/v1/x"));
        headers
    }

    async fn body_of(response: Response) -> String {
        let bytes = to_bytes(response.into_body(), usize::MAX)
            .await
            .expect("body");
        String::from_utf8(bytes.to_vec()).expect("text")
    }

    #[tokio::test]
    async fn a_kept_answer_replays_with_its_headers_and_body() {
        let stored = kept_form(&json_headers(), br#"{"a":1}"#);
        let response = replay(201, &stored);
        assert_eq!(response.status(), 201);
        let headers = response.headers().clone();
        assert_eq!(headers["idempotent-replayed"], "true");
        assert_eq!(headers["location"], "/api/v1/x");
        assert_eq!(headers["content-type"], "application/json");
        assert!(!headers.contains_key("idempotent-body-omitted"));
        assert_eq!(body_of(response).await, r#"{"a":1}"#);
    }

    #[tokio::test]
    async fn a_body_too_large_is_not_kept_and_the_replay_says_so() {
        let body = vec![b'x'; MAX_KEPT + 1];
        let stored = kept_form(&json_headers(), &body);
        assert!(stored.len() < 1024, "only the headers are kept");
        let response = replay(200, &stored);
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["idempotent-body-omitted"], "too-large");
        assert_eq!(response.headers()["location"], "/api/v1/x");
        let replay: serde_json::Value =
            serde_json::from_str(&body_of(response).await).expect("json");
        assert_eq!(replay["body_kept"], false);
        assert_eq!(replay["body_bytes"], MAX_KEPT + 1);
    }

    #[tokio::test]
    async fn answers_kept_before_headers_were_still_replay() {
        let response = replay(200, r#"{"old":true}"#);
        assert_eq!(response.headers()["content-type"], "application/json");
        assert_eq!(body_of(response).await, r#"{"old":true}"#);
    }
}
