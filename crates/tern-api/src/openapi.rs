//! The OpenAPI 3.1 document of the native API, generated from the handlers'
//! `#[utoipa::path]` annotations as the router is built (so a route cannot
//! be served without being documented), plus the shared pieces: the error
//! body, the error responses every call may give, the bearer scheme.

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{IntoResponses, Modify, OpenApi, ToSchema};

/// The one error body of every endpoint.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ErrorBody {
    /// `validation_error`, `unauthorized`, `forbidden`, `not_found`,
    /// `conflict`, `precondition_failed`, `payload_too_large`,
    /// `unprocessable_entity`, `rate_limit_exceeded`, `internal_error`.
    pub error_code: String,
    /// What went wrong, for people.
    pub detail: String,
    /// The input field at fault, when there is one.
    pub field: Option<String>,
}

/// The errors any authenticated call can answer with.
#[derive(IntoResponses)]
#[allow(dead_code)]
pub enum StandardErrors {
    /// Invalid input; `field` names it.
    #[response(status = 400)]
    BadRequest(#[to_schema] ErrorBody),
    /// Missing, malformed, unknown, expired or revoked token.
    #[response(status = 401)]
    Unauthorized(ErrorBody),
    /// The token lacks a scope, or the organisation a feature.
    #[response(status = 403)]
    Forbidden(ErrorBody),
    /// Not there, or not the caller's.
    #[response(status = 404)]
    NotFound(ErrorBody),
    /// Too many requests of this class in the last minute.
    #[response(status = 429)]
    TooMany(ErrorBody),
}

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("tern_…")
                    .build(),
            ),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Tern native API",
        description = "Zones, records, templates and tenancy of a Tern server (ScaiDNS's /api/v1/domains, extended)."
    ),
    modifiers(&BearerAuth),
    security(("bearer" = [])),
    components(schemas(ErrorBody))
)]
pub struct ApiDoc;
