//! Rate limits per token and class of operation (PocketDNS's defaults:
//! reads 1000/min, creates, updates and deletes 300/min each, bulk 60/min),
//! in fixed one-minute windows kept in memory. Every API response carries
//! `X-RateLimit-Limit/Remaining/Reset`; over the limit it is 429
//! `rate_limit_exceeded` with `Retry-After`. Requests without a token, and
//! refused tokens, are counted per source address (at the read limit), so
//! guessing tokens is limited too.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::ApiState;
use crate::error::ApiError;

const WINDOW: Duration = Duration::from_secs(60);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OperationClass {
    Read,
    Create,
    Update,
    Delete,
    Bulk,
}

impl OperationClass {
    pub const ALL: [OperationClass; 5] = [
        OperationClass::Read,
        OperationClass::Create,
        OperationClass::Update,
        OperationClass::Delete,
        OperationClass::Bulk,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            OperationClass::Read => "read",
            OperationClass::Create => "create",
            OperationClass::Update => "update",
            OperationClass::Delete => "delete",
            OperationClass::Bulk => "bulk",
        }
    }

    /// Many records in one request: batches, imports, bulk creation,
    /// templates.
    fn of(method: &Method, path: &str) -> OperationClass {
        let bulk_path = [
            "/changes",
            "/import",
            "/bulk",
            "/apply-template",
            "/template",
        ]
        .iter()
        .any(|suffix| path.trim_end_matches('/').ends_with(suffix));
        match *method {
            Method::POST if bulk_path => OperationClass::Bulk,
            Method::POST => OperationClass::Create,
            Method::PUT | Method::PATCH => OperationClass::Update,
            Method::DELETE => OperationClass::Delete,
            _ => OperationClass::Read,
        }
    }
}

/// Requests per minute per class; 0 switches a class's limit off.
#[derive(Debug, Clone, Copy)]
pub struct RateLimits {
    pub read: u32,
    pub create: u32,
    pub update: u32,
    pub delete: u32,
    pub bulk: u32,
}

impl Default for RateLimits {
    fn default() -> Self {
        RateLimits {
            read: 1000,
            create: 300,
            update: 300,
            delete: 300,
            bulk: 60,
        }
    }
}

impl RateLimits {
    pub fn of(&self, class: OperationClass) -> u32 {
        match class {
            OperationClass::Read => self.read,
            OperationClass::Create => self.create,
            OperationClass::Update => self.update,
            OperationClass::Delete => self.delete,
            OperationClass::Bulk => self.bulk,
        }
    }

    /// Sets one class from `class=N` (the CLI and config form).
    pub fn set(&mut self, spec: &str) -> Result<(), String> {
        let (class, value) = spec
            .split_once('=')
            .ok_or_else(|| format!("'{spec}': expected CLASS=N, e.g. read=1000"))?;
        let value: u32 = value
            .trim()
            .parse()
            .map_err(|_| format!("'{spec}': the limit must be a whole number (0 = no limit)"))?;
        let slot = match class.trim() {
            "read" => &mut self.read,
            "create" => &mut self.create,
            "update" => &mut self.update,
            "delete" => &mut self.delete,
            "bulk" => &mut self.bulk,
            other => {
                return Err(format!(
                    "'{other}' is not an operation class; classes are read, create, update, delete, bulk"
                ));
            }
        };
        *slot = value;
        Ok(())
    }
}

struct Window {
    started: Instant,
    used: u32,
}

/// Counters per (caller, class).
#[derive(Default)]
pub struct Limiter {
    windows: Mutex<HashMap<(String, OperationClass), Window>>,
}

struct Verdict {
    limit: u32,
    remaining: u32,
    reset: Duration,
    allowed: bool,
}

impl Limiter {
    /// Requests counted for `caller` in its current window.
    fn used(&self, caller: &str, class: OperationClass) -> u32 {
        let Ok(windows) = self.windows.lock() else {
            return 0;
        };
        windows
            .get(&(caller.to_string(), class))
            .filter(|w| w.started.elapsed() < WINDOW)
            .map_or(0, |w| w.used)
    }

    fn reset(&self, caller: &str, class: OperationClass) -> Duration {
        let Ok(windows) = self.windows.lock() else {
            return WINDOW;
        };
        windows
            .get(&(caller.to_string(), class))
            .map_or(WINDOW, |w| WINDOW.saturating_sub(w.started.elapsed()))
    }

    fn take(&self, caller: String, class: OperationClass, limit: u32) -> Verdict {
        let now = Instant::now();
        let Ok(mut windows) = self.windows.lock() else {
            return Verdict {
                limit,
                remaining: limit,
                reset: WINDOW,
                allowed: true,
            };
        };
        // Forget windows long over, so the map stays the size of the
        // callers of the last minute.
        if windows.len() > 10_000 {
            windows.retain(|_, w| now.duration_since(w.started) < WINDOW);
        }
        let window = windows.entry((caller, class)).or_insert(Window {
            started: now,
            used: 0,
        });
        if now.duration_since(window.started) >= WINDOW {
            *window = Window {
                started: now,
                used: 0,
            };
        }
        let allowed = window.used < limit;
        if allowed {
            window.used += 1;
        }
        Verdict {
            limit,
            remaining: limit - window.used,
            reset: WINDOW.saturating_sub(now.duration_since(window.started)),
            allowed,
        }
    }
}

fn too_many(limit: u32, class: OperationClass, reset: Duration) -> Response {
    let reset_secs = reset.as_secs().max(1);
    let mut response = ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "rate_limit_exceeded",
        format!(
            "more than {limit} {} requests in a minute; retry in {reset_secs} s",
            class.as_str()
        ),
    )
    .into_response();
    response
        .headers_mut()
        .insert("retry-after", HeaderValue::from(reset_secs));
    response
}

/// Middleware: counts the request and adds the headers.
pub async fn rate_limit(State(state): State<ApiState>, request: Request, next: Next) -> Response {
    let class = OperationClass::of(request.method(), request.uri().path());
    let limit = state.limits.of(class);
    let path = request.uri().path();
    if limit == 0 || !(path.starts_with("/api/") || path.starts_with("/v1/")) {
        return next.run(request).await;
    }
    let address = format!(
        "addr:{}",
        request
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip().to_string())
            .unwrap_or_default()
    );
    // Refused tokens count against the address they come from, so guessing
    // with a new token each time is limited too.
    let failures_limit = state.limits.read;
    if failures_limit > 0 && state.limiter.used(&address, OperationClass::Read) >= failures_limit {
        return too_many(
            failures_limit,
            OperationClass::Read,
            state.limiter.reset(&address, OperationClass::Read),
        );
    }
    let caller = match crate::auth::bearer_secret(request.headers()) {
        Ok(secret) => format!("token:{}", tern_core::auth::token_hash(secret)),
        Err(_) => address.clone(),
    };
    let verdict = state.limiter.take(caller, class, limit);
    let reset_secs = verdict.reset.as_secs().max(1);
    let mut response = if verdict.allowed {
        let response = next.run(request).await;
        if failures_limit > 0 && response.status() == StatusCode::UNAUTHORIZED {
            state
                .limiter
                .take(address, OperationClass::Read, failures_limit);
        }
        response
    } else {
        too_many(verdict.limit, class, verdict.reset)
    };
    let headers = response.headers_mut();
    headers.insert("x-ratelimit-limit", HeaderValue::from(verdict.limit));
    headers.insert(
        "x-ratelimit-remaining",
        HeaderValue::from(verdict.remaining),
    );
    headers.insert("x-ratelimit-reset", HeaderValue::from(reset_secs));
    response
}
