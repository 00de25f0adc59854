//! Who is calling: the bearer token is looked up by its hash and checked
//! (revoked, expired, source network); the organisation's feature gates and
//! the token's scopes decide what it may do. Anything of another
//! organisation is "not found", never "forbidden": a caller learns nothing
//! about what it may not see.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use tern_core::auth::token_hash;
use tern_core::{ApiToken, Organisation, Scope, Zone, now_millis};
use uuid::Uuid;

use crate::ApiState;
use crate::error::ApiError;

/// `last_used_at` is written at most this often per token, so reads do not
/// turn into writes.
const TOUCH_EVERY_MS: i64 = 60_000;

/// Tokens whose `last_used_at` was written recently, and when.
#[derive(Default)]
pub struct TouchLog(Mutex<HashMap<Uuid, i64>>);

impl TouchLog {
    fn due(&self, token: Uuid, now: i64) -> bool {
        let Ok(mut seen) = self.0.lock() else {
            return false;
        };
        match seen.get(&token) {
            Some(&at) if now - at < TOUCH_EVERY_MS => false,
            _ => {
                seen.insert(token, now);
                true
            }
        }
    }
}

/// How long a looked-up token (and its organisation) is trusted without
/// asking the store again. A revocation through this process takes effect
/// at once; one made on another node within this time.
const CACHE_FOR: std::time::Duration = std::time::Duration::from_secs(5);

/// Recently seen tokens by hash, so a burst of requests costs one lookup.
#[derive(Default)]
pub struct TokenCache(Mutex<HashMap<String, (std::time::Instant, ApiToken, Organisation)>>);

impl TokenCache {
    fn get(&self, hash: &str) -> Option<(ApiToken, Organisation)> {
        let cache = self.0.lock().ok()?;
        let (at, token, org) = cache.get(hash)?;
        (at.elapsed() < CACHE_FOR).then(|| (token.clone(), org.clone()))
    }

    fn put(&self, hash: String, token: ApiToken, org: Organisation) {
        if let Ok(mut cache) = self.0.lock() {
            if cache.len() > 10_000 {
                cache.retain(|_, (at, _, _)| at.elapsed() < CACHE_FOR);
            }
            cache.insert(hash, (std::time::Instant::now(), token, org));
        }
    }

    /// Drops a token (revoked here) so the next request asks the store.
    pub fn forget(&self, token_id: Uuid) {
        if let Ok(mut cache) = self.0.lock() {
            cache.retain(|_, (_, token, _)| token.id != token_id);
        }
    }
}

/// The authenticated caller of a request.
#[derive(Debug, Clone)]
pub struct Caller {
    pub token: ApiToken,
    pub org: Organisation,
}

impl Caller {
    pub fn principal(&self) -> String {
        format!("token:{}", self.token.id)
    }

    pub fn is_admin(&self) -> bool {
        self.token.is_admin()
    }

    /// 403 naming the scope when the token lacks it.
    pub fn require(&self, scope: Scope) -> Result<(), ApiError> {
        if self.token.allows(scope) {
            Ok(())
        } else {
            Err(ApiError::forbidden(format!(
                "this token lacks the '{scope}' permission"
            )))
        }
    }

    /// 403 when the organisation has the feature switched off.
    pub fn require_feature(&self, feature: &str) -> Result<(), ApiError> {
        if self.is_admin() || self.org.features.iter().any(|f| f == feature) {
            Ok(())
        } else {
            Err(ApiError::forbidden(format!(
                "the '{feature}' feature is not enabled for organisation '{}'",
                self.org.slug
            )))
        }
    }

    /// DNS calls need the `dns` feature and `scope`.
    pub fn dns(&self, scope: Scope) -> Result<(), ApiError> {
        self.require_feature("dns")?;
        self.require(scope)
    }

    /// Whether the caller may see `zone` at all (organisation, project).
    pub fn sees(&self, zone: &Zone) -> bool {
        if self.is_admin() {
            return true;
        }
        zone.org_id == self.org.id
            && self
                .token
                .project_id
                .is_none_or(|p| zone.project_id == Some(p))
    }

    /// Whether the caller may act inside organisation `org_id`.
    pub fn in_org(&self, org_id: Uuid) -> bool {
        self.is_admin() || self.org.id == org_id
    }
}

impl FromRequestParts<ApiState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &ApiState) -> Result<Caller, ApiError> {
        let peer: Option<IpAddr> = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip());
        authenticate(state, &parts.headers, peer).await
    }
}

/// The token of an `Authorization: Bearer …` header (scheme in any case).
pub fn bearer_secret(headers: &axum::http::HeaderMap) -> Result<&str, ApiError> {
    let header = headers
        .get(axum::http::header::AUTHORIZATION)
        .ok_or_else(|| ApiError::unauthorized("missing Authorization header (Bearer token)"))?;
    header
        .to_str()
        .ok()
        .and_then(|h| h.trim().split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim())
        .filter(|t| !t.is_empty())
        .ok_or_else(|| ApiError::unauthorized("the Authorization header must be 'Bearer <token>'"))
}

/// The caller a request's headers authenticate, from `peer`.
pub async fn authenticate(
    state: &ApiState,
    headers: &axum::http::HeaderMap,
    peer: Option<IpAddr>,
) -> Result<Caller, ApiError> {
    {
        let secret = bearer_secret(headers)?;
        let store = state.service.store();
        let invalid = || ApiError::unauthorized("invalid, expired or revoked token");
        let hash = token_hash(secret);
        let (token, org) = match state.tokens.get(&hash) {
            Some(found) => found,
            None => {
                let token = store.token_by_hash(&hash).await?.ok_or_else(invalid)?;
                let org = store
                    .organisation(token.org_id)
                    .await?
                    .ok_or_else(invalid)?;
                state.tokens.put(hash, token.clone(), org.clone());
                (token, org)
            }
        };
        let now = now_millis();
        token.check(now, peer).map_err(|_| invalid())?;
        if state.touched.due(token.id, now)
            && let Err(e) = store.touch_token(token.id, now).await
        {
            tracing::warn!(error = %e, "recording token use");
        }
        Ok(Caller { token, org })
    }
}
