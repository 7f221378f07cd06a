//! `application/problem+json` responses. The vocabulary ([`ErrorCode`]) and
//! the problem document ([`Problem`]) live in the wire-type crate; this module
//! turns them into HTTP responses and maps store errors onto them.

pub use accord_api::{ErrorCode, FieldError, Problem};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    pub code: ErrorCode,
    pub detail: String,
    pub errors: Vec<FieldError>,
    /// Seconds to wait, for `rate_limited`.
    pub retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(code: ErrorCode, detail: impl Into<String>) -> Self {
        ApiError { code, detail: detail.into(), errors: Vec::new(), retry_after: None }
    }

    pub fn status(&self) -> StatusCode {
        StatusCode::from_u16(self.code.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    pub fn validation(errors: Vec<FieldError>) -> Self {
        let detail = match errors.as_slice() {
            [one] => format!("{}: {}", display_pointer(&one.pointer), one.message),
            many => format!("{} fields are invalid; see `errors`", many.len()),
        };
        ApiError { code: ErrorCode::ValidationFailed, detail, errors, retry_after: None }
    }

    pub fn field(pointer: impl Into<String>, message: impl Into<String>) -> Self {
        Self::validation(vec![FieldError { pointer: pointer.into(), message: message.into() }])
    }

    pub fn not_found(what: impl std::fmt::Display) -> Self {
        Self::new(ErrorCode::NotFound, format!("{what} does not exist, or you may not see it"))
    }

    pub fn internal(what: impl std::fmt::Display) -> Self {
        Self::new(ErrorCode::Internal, format!("the server failed: {what}"))
    }

    pub fn problem(&self) -> Problem {
        let status = self.status();
        Problem {
            kind: format!("https://accord.invalid/problems/{}", self.code),
            title: self.code.title().to_string(),
            status: status.as_u16(),
            code: self.code.as_str().to_string(),
            detail: self.detail.clone(),
            errors: self.errors.clone(),
        }
    }
}

fn display_pointer(pointer: &str) -> &str {
    if pointer.is_empty() { "the body" } else { pointer }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        if status.is_server_error() {
            // The same words the client is sent, which name no private data.
            tracing::error!(target: "accord::http", code = self.code.as_str(), detail = %self.detail, "server error");
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
                ErrorCode::Conflict,
                format!(
                    "the log is now at position {actual}; re-read, re-apply your change and send If-Match: \"{actual}\""
                ),
            ),
            E::Duplicate { what } => ApiError::new(ErrorCode::Conflict, format!("{what} already exists")),
            E::NotFound { what } => ApiError::not_found(what),
            E::Invalid { reason } => ApiError::new(ErrorCode::InvalidParameter, reason),
            E::Backend(reason) => ApiError::internal(reason),
        }
    }
}
