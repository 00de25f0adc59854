//! The one error body of every HTTP face: `{"error_code", "detail", "field"}`
//! with the status the seeds give each code. `CoreError` is mapped here once.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use tern_core::{CoreError, StoreError};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub detail: String,
    pub field: Option<String>,
}

#[derive(Serialize)]
struct Body<'a> {
    error_code: &'a str,
    detail: &'a str,
    field: Option<&'a str>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, detail: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            detail: detail.into(),
            field: None,
        }
    }

    pub fn with_field(mut self, field: impl Into<String>) -> ApiError {
        self.field = Some(field.into());
        self
    }

    pub fn validation(field: impl Into<String>, detail: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, "validation_error", detail).with_field(field)
    }

    pub fn unauthorized(detail: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", detail)
    }

    pub fn forbidden(detail: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::FORBIDDEN, "forbidden", detail)
    }

    pub fn not_found(what: impl std::fmt::Display) -> ApiError {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("{what} not found"),
        )
    }

    pub fn conflict(detail: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::CONFLICT, "conflict", detail)
    }

    pub fn internal() -> ApiError {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            "internal error; the server log has the details",
        )
    }
}

impl From<CoreError> for ApiError {
    fn from(error: CoreError) -> ApiError {
        match error {
            CoreError::Validation { field, message } => ApiError::validation(field, message),
            CoreError::NotFound { what } => ApiError::not_found(what),
            CoreError::Conflict { field, message } => ApiError {
                field,
                ..ApiError::conflict(message)
            },
            CoreError::Quota { field, message } => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "unprocessable_entity",
                message,
            )
            .with_field(field),
            e @ CoreError::SerialMismatch { .. } => ApiError::new(
                StatusCode::PRECONDITION_FAILED,
                "precondition_failed",
                e.to_string(),
            ),
            CoreError::Rules(violations) => {
                // A rule is about a name and what else lives there, or
                // about the size of the RRset the content would make.
                let field = Some(violations.first().map_or("name", |v| v.field).to_string());
                let detail = violations
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("; ");
                ApiError {
                    field,
                    ..ApiError::new(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        "unprocessable_entity",
                        detail,
                    )
                }
            }
            e @ CoreError::Import(_) => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "unprocessable_entity",
                e.to_string(),
            )
            .with_field("zone_file"),
            CoreError::Unavailable { message } => {
                ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", message)
            }
            CoreError::Store(StoreError::SerialMismatch { expected, current }) => ApiError::new(
                StatusCode::PRECONDITION_FAILED,
                "precondition_failed",
                format!("zone serial is {current}, the change expected {expected}"),
            ),
            CoreError::Store(StoreError::Duplicate(what)) => {
                ApiError::conflict(format!("{what} already exists"))
            }
            CoreError::Store(StoreError::NotFound(what)) => ApiError::not_found(what),
            CoreError::Store(e) => {
                tracing::error!(error = %e, "store error");
                ApiError::internal()
            }
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> ApiError {
        ApiError::from(CoreError::Store(error))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = Body {
            error_code: self.code,
            detail: &self.detail,
            field: self.field.as_deref(),
        };
        (self.status, Json(body)).into_response()
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
