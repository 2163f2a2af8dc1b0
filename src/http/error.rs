//! The one place errors become HTTP responses.
//!
//! Policy: a handler returns `Result<_, ApiError>`. Client mistakes carry a message meant for the
//! caller; internal failures answer a generic message and are logged once here, with their cause.
//! Every error body is `{ "error": { "code": "snake_case", "message": "…" } }` (docs/service.md).

use axum::Json;
use axum::extract::FromRequest;
use axum::extract::rejection::JsonRejection;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("this route does not take that method")]
    MethodNotAllowed,
    #[error("request body is larger than {0} bytes")]
    TooLarge(usize),
    /// Well-formed but invalid: names the field.
    #[error("{0}")]
    Invalid(String),
    #[error("too many requests")]
    RateLimited { retry_after_secs: u64 },
    /// A feature whose secret or configuration is missing.
    #[error("{0}")]
    NotConfigured(String),
    /// The store did not answer: callers (Meta, inboxes) should retry.
    #[error("storage is unavailable, try again")]
    Unavailable(String),
    #[error("internal error")]
    Internal(#[from] anyhow::Error),
}

impl ApiError {
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::NotConfigured(_) | ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            ApiError::BadRequest(_) => "bad_request",
            ApiError::Unauthorized(_) => "unauthorized",
            ApiError::Forbidden(_) => "forbidden",
            ApiError::NotFound(_) => "not_found",
            ApiError::Conflict(_) => "conflict",
            ApiError::MethodNotAllowed => "method_not_allowed",
            ApiError::TooLarge(_) => "payload_too_large",
            ApiError::Invalid(_) => "invalid",
            ApiError::RateLimited { .. } => "rate_limited",
            ApiError::NotConfigured(_) => "not_configured",
            ApiError::Unavailable(_) => "unavailable",
            ApiError::Internal(_) => "internal",
        }
    }
}

impl From<crate::store::StoreError> for ApiError {
    fn from(e: crate::store::StoreError) -> Self {
        ApiError::Unavailable(e.to_string())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        match &self {
            ApiError::Internal(e) => tracing::error!(error = ?e, "internal error"),
            ApiError::Unavailable(e) => tracing::warn!(error = %e, "store unavailable"),
            _ => {}
        }
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code(),
                message: self.to_string(),
            },
        };
        let mut resp = (status, Json(body)).into_response();
        if let ApiError::RateLimited { retry_after_secs } = self
            && let Ok(v) = HeaderValue::from_str(&retry_after_secs.to_string())
        {
            resp.headers_mut().insert(header::RETRY_AFTER, v);
        }
        resp
    }
}

/// Every error's body.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    /// Stable, snake_case: `bad_request`, `unauthorized`, `forbidden`, `not_found`, `conflict`,
    /// `method_not_allowed`, `payload_too_large`, `invalid`, `rate_limited`, `not_configured`,
    /// `unavailable`, `internal`.
    #[schema(example = "invalid")]
    pub code: &'static str,
    /// Meant for the caller; names the field when one is wrong.
    pub message: String,
}

/// The errors any `/v1/companies/{company}/…` route may answer (OpenAPI).
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)]
pub enum TenantErrors {
    /// Malformed: not JSON, a bad id, a bad query.
    #[response(status = 400)]
    BadRequest(ErrorBody),
    /// No token, or one no company knows.
    #[response(status = 401)]
    Unauthorized(ErrorBody),
    /// A token of another company.
    #[response(status = 403)]
    Forbidden(ErrorBody),
    /// No such company (or contact, where the route names one).
    #[response(status = 404)]
    NotFound(ErrorBody),
    /// Larger than the server's body limit.
    #[response(status = 413)]
    TooLarge(ErrorBody),
    /// Well-formed but invalid; the message names the field.
    #[response(status = 422)]
    Invalid(ErrorBody),
    /// The store did not answer; retry.
    #[response(status = 503)]
    Unavailable(ErrorBody),
}

/// `Json` whose rejections use the error format above (400 bad JSON, 413, 415, 422 wrong shape).
#[derive(Debug, Clone, Copy, Default, FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub struct AppJson<T>(pub T);

impl From<JsonRejection> for ApiError {
    fn from(r: JsonRejection) -> Self {
        match r {
            JsonRejection::JsonDataError(e) => ApiError::Invalid(e.body_text()),
            JsonRejection::JsonSyntaxError(e) => ApiError::BadRequest(e.body_text()),
            JsonRejection::MissingJsonContentType(_) => {
                ApiError::BadRequest("expected Content-Type: application/json".into())
            }
            JsonRejection::BytesRejection(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => ApiError::TooLarge(0),
            other => ApiError::BadRequest(other.body_text()),
        }
    }
}

impl<T: serde::Serialize> IntoResponse for AppJson<T> {
    fn into_response(self) -> Response {
        Json(self.0).into_response()
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
