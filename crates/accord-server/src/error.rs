//! `application/problem+json` errors with a stable `code` vocabulary
//! (documented in `docs/api-errors.md`; a test keeps the two in step).

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Every error code the API answers with, and its HTTP status.
pub const CODES: &[(&str, u16)] = &[
    ("malformed_request", 400),
    ("invalid_parameter", 400),
    ("unauthenticated", 401),
    ("invalid_credentials", 401),
    ("forbidden", 403),
    ("csrf_failed", 403),
    ("not_found", 404),
    ("method_not_allowed", 405),
    ("conflict", 409),
    ("email_taken", 409),
    ("already_seated", 409),
    ("wrong_phase", 409),
    ("invitation_unusable", 410),
    ("payload_too_large", 413),
    ("unsupported_media_type", 415),
    ("validation_failed", 422),
    ("limit_exceeded", 422),
    ("analysis_unavailable", 422),
    ("precondition_required", 428),
    ("rate_limited", 429),
    ("quota_exceeded", 429),
    ("internal", 500),
    ("busy", 503),
];

/// A field-level problem: where (RFC 6901 JSON pointer into the request body) and what.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct FieldError {
    pub pointer: String,
    pub message: String,
}

/// The problem document (RFC 9457) every error response carries.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Problem {
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub code: String,
    pub detail: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    pub code: &'static str,
    pub detail: String,
    pub errors: Vec<FieldError>,
    /// Seconds to wait, for `rate_limited`.
    pub retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(code: &'static str, detail: impl Into<String>) -> Self {
        ApiError { code, detail: detail.into(), errors: Vec::new(), retry_after: None }
    }

    pub fn status(&self) -> StatusCode {
        let status = CODES.iter().find(|(c, _)| *c == self.code).map_or(500, |(_, s)| *s);
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    pub fn validation(errors: Vec<FieldError>) -> Self {
        let detail = match errors.as_slice() {
            [one] => format!("{}: {}", display_pointer(&one.pointer), one.message),
            many => format!("{} fields are invalid; see `errors`", many.len()),
        };
        ApiError { code: "validation_failed", detail, errors, retry_after: None }
    }

    pub fn field(pointer: impl Into<String>, message: impl Into<String>) -> Self {
        Self::validation(vec![FieldError { pointer: pointer.into(), message: message.into() }])
    }

    pub fn not_found(what: impl std::fmt::Display) -> Self {
        Self::new("not_found", format!("{what} does not exist, or you may not see it"))
    }

    pub fn internal(what: impl std::fmt::Display) -> Self {
        Self::new("internal", format!("the server failed: {what}"))
    }

    pub fn problem(&self) -> Problem {
        let status = self.status();
        Problem {
            kind: format!("https://accord.invalid/problems/{}", self.code),
            title: title(self.code).to_string(),
            status: status.as_u16(),
            code: self.code.to_string(),
            detail: self.detail.clone(),
            errors: self.errors.clone(),
        }
    }
}

fn display_pointer(pointer: &str) -> &str {
    if pointer.is_empty() { "the body" } else { pointer }
}

fn title(code: &str) -> &'static str {
    match code {
        "malformed_request" => "The request could not be read",
        "invalid_parameter" => "A path or query parameter is invalid",
        "unauthenticated" => "Sign in first",
        "invalid_credentials" => "Wrong email or password",
        "forbidden" => "Your role may not do this",
        "csrf_failed" => "Missing or wrong CSRF token",
        "not_found" => "Not found",
        "method_not_allowed" => "Method not allowed here",
        "conflict" => "The log moved on since you read it",
        "email_taken" => "Email already registered",
        "already_seated" => "You already hold a seat in this negotiation",
        "invitation_unusable" => "The invitation can no longer be used",
        "payload_too_large" => "The body is too large",
        "unsupported_media_type" => "Send JSON",
        "validation_failed" => "Some fields are invalid",
        "analysis_unavailable" => "The analysis cannot be run on this negotiation",
        "precondition_required" => "Say which log position you based the write on",
        "rate_limited" => "Too many attempts",
        "limit_exceeded" => "The input is larger than the server accepts",
        "quota_exceeded" => "Your account has reached its quota",
        "busy" => "The server is busy; try again shortly",
        _ => "Internal error",
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        if status.is_server_error() {
            // The same words the client is sent, which name no private data.
            tracing::error!(target: "accord::http", code = self.code, detail = %self.detail, "server error");
        }
        let body = serde_json::to_vec(&self.problem()).unwrap_or_default();
        let mut response = (status, body).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
        if let Some(seconds) = self.retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

impl From<accord_store::StoreError> for ApiError {
    fn from(error: accord_store::StoreError) -> Self {
        use accord_store::StoreError as E;
        match error {
            E::Conflict { actual, .. } => ApiError::new(
                "conflict",
                format!(
                    "the log is now at position {actual}; re-read, re-apply your change and send If-Match: \"{actual}\""
                ),
            ),
            E::Duplicate { what } => ApiError::new("conflict", format!("{what} already exists")),
            E::NotFound { what } => ApiError::not_found(what),
            E::Invalid { reason } => ApiError::new("invalid_parameter", reason),
            E::Backend(reason) => ApiError::internal(reason),
        }
    }
}
