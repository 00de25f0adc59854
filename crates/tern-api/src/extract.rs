//! Request extractors that fail with the uniform error body: JSON bodies
//! (the error names the field that did not deserialize, by path, or the
//! line and column where the JSON broke) and query strings.

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use crate::error::ApiError;

/// A JSON body; a malformed one is a 400 naming the offending field.
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        let bytes = axum::body::Bytes::from_request(request, state)
            .await
            .map_err(|e| {
                if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                    ApiError::new(e.status(), "payload_too_large", e.body_text())
                } else {
                    ApiError::validation("body", e.body_text())
                }
            })?;
        parse_json(&bytes).map(ApiJson)
    }
}

/// Parses a JSON document into `T`; the error names the field by its path.
/// Broken JSON is reported at its line and column. A number that is an
/// exact integer (`4522.0`, `1e1`) counts as that integer, as JSON does not
/// tell the two apart; `4522.5` for an integer field is refused by name.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    if bytes.is_empty() {
        return Err(ApiError::validation("body", "a JSON body is required"));
    }
    let mut value: serde_json::Value = serde_json::from_slice(bytes).map_err(syntax_error)?;
    integral_numbers(&mut value);
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let message = e.into_inner().to_string();
        ApiError::validation(field_of(&path, &message), message)
    })
}

/// JSON that does not parse: where it broke, for people; no field, since
/// no field was read.
fn syntax_error(error: serde_json::Error) -> ApiError {
    let message = error.to_string();
    let reason = message
        .rsplit_once(" at line ")
        .map_or(message.as_str(), |(reason, _)| reason);
    ApiError::new(
        StatusCode::BAD_REQUEST,
        "validation_error",
        format!(
            "the body is not valid JSON: {reason} at line {} column {}",
            error.line(),
            error.column()
        ),
    )
}

/// The field a deserialization error is about. serde reports an unknown
/// field at its own path and a missing one at its parent's.
fn field_of(path: &str, message: &str) -> String {
    let path = (path != "." && !path.is_empty()).then_some(path);
    let missing = message
        .strip_prefix("missing field `")
        .and_then(|rest| rest.split('`').next());
    match (path, missing) {
        (Some(parent), Some(name)) => format!("{parent}.{name}"),
        (None, Some(name)) => name.to_string(),
        (Some(path), None) => path.to_string(),
        (None, None) => "body".to_string(),
    }
}

/// Turns every float that is an exact integer into that integer, so integer
/// fields take it; floats with a fraction stay and are refused there.
fn integral_numbers(value: &mut serde_json::Value) {
    use serde_json::Value;
    match value {
        Value::Number(n) if n.is_f64() => {
            if let Some(f) = n.as_f64()
                && f.fract() == 0.0
            {
                // Beyond ±2^63 a float is no integer any field could take.
                if (0.0..1.8e19).contains(&f) {
                    *n = serde_json::Number::from(f as u64);
                } else if (-9.2e18..0.0).contains(&f) {
                    *n = serde_json::Number::from(f as i64);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(integral_numbers),
        Value::Object(map) => map.values_mut().for_each(integral_numbers),
        _ => {}
    }
}

/// A query string; a bad parameter is a 400 naming it.
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        let query = parts.uri.query().unwrap_or_default();
        let deserializer =
            serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
        serde_path_to_error::deserialize(deserializer)
            .map(ApiQuery)
            .map_err(|e| {
                let field = e.path().to_string();
                ApiError::validation(field, e.into_inner().to_string())
            })
    }
}

/// Tells a missing field (`None`) from an explicit null (`Some(None)`).
pub mod double_option {
    use serde::{Deserialize, Deserializer};

    pub fn deserialize<'de, T: Deserialize<'de>, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<Option<T>>, D::Error> {
        Option::<T>::deserialize(d).map(Some)
    }
}
