//! Extractors whose every failure is a problem document, never axum's plain-text rejections.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use crate::error::{ApiError, FieldError};
use crate::error_code::ErrorCode;

/// A JSON body: `application/json`, within the body limit, no unknown fields
/// (the request types deny them), errors pointing at the offending field.
/// An empty body reads as `{}`.
#[derive(Debug)]
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let content_type = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).map(str::to_string);
        let bytes = Bytes::from_request(req, state).await.map_err(|rejection| {
            if rejection.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::new(ErrorCode::PayloadTooLarge, "the body exceeds the size limit")
            } else {
                ApiError::new(ErrorCode::MalformedRequest, format!("the body could not be read: {rejection}"))
            }
        })?;
        let bytes: &[u8] = if bytes.iter().all(u8::is_ascii_whitespace) { b"{}" } else { &bytes };
        if bytes != b"{}" {
            let is_json = content_type.as_deref().is_some_and(|ct| {
                let essence = ct.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
                essence == "application/json" || essence.ends_with("+json")
            });
            if !is_json {
                return Err(ApiError::new(
                    ErrorCode::UnsupportedMediaType,
                    "send the body as Content-Type: application/json",
                ));
            }
        }
        parse_json(bytes).map(ApiJson)
    }
}

/// Parses JSON, reporting where it fails as a JSON pointer.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let result: Result<T, _> = serde_path_to_error::deserialize(&mut deserializer);
    let value = result.map_err(|e| {
        let inner = e.inner();
        let mut pointer = pointer_of(e.path());
        let message = inner.to_string();
        if inner.is_syntax() || inner.is_eof() {
            return ApiError::new(ErrorCode::MalformedRequest, format!("the body is not valid JSON: {message}"));
        }
        // Some serde errors name an unknown field in the message while the path stops at its parent.
        if let Some(rest) = message.strip_prefix("unknown field `")
            && let Some((name, _)) = rest.split_once('`')
        {
            let last = format!("/{}", escape(name));
            if !pointer.ends_with(&last) {
                pointer.push_str(&last);
            }
        }
        ApiError::validation(vec![FieldError { pointer, message: strip_position(&message) }])
    })?;
    deserializer
        .end()
        .map_err(|e| ApiError::new(ErrorCode::MalformedRequest, format!("trailing data after the JSON body: {e}")))?;
    Ok(value)
}

fn pointer_of(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut out = String::new();
    for segment in path.iter() {
        match segment {
            Segment::Seq { index } => out.push_str(&format!("/{index}")),
            Segment::Map { key } => out.push_str(&format!("/{}", escape(key))),
            Segment::Enum { .. } | Segment::Unknown => {}
        }
    }
    out
}

/// RFC 6901 escaping of one reference token.
pub fn escape(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(index) => message[..index].to_string(),
        None => message.to_string(),
    }
}

/// The log position a write was based on: `If-Match: "12"` (or `12`, or `W/"12"`).
#[derive(Debug, Clone, Copy)]
pub struct IfMatch(pub Option<u64>);

impl<S: Send + Sync> FromRequestParts<S> for IfMatch {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let Some(value) = parts.headers.get(header::IF_MATCH) else { return Ok(IfMatch(None)) };
        let text = value.to_str().unwrap_or("").trim();
        let text = text.strip_prefix("W/").unwrap_or(text).trim_matches('"');
        text.parse::<u64>().map(|n| IfMatch(Some(n))).map_err(|_| {
            ApiError::new(
                ErrorCode::InvalidParameter,
                "If-Match must be the log position your change is based on, e.g. If-Match: \"12\" (the ETag of the GET)",
            )
        })
    }
}

impl IfMatch {
    pub fn required(self) -> Result<u64, ApiError> {
        self.0.ok_or_else(|| {
            ApiError::new(
                ErrorCode::PreconditionRequired,
                "send If-Match with the log position you read (the ETag of GET /api/negotiations/{id}), e.g. If-Match: \"12\"",
            )
        })
    }
}

/// Integer query parameters, each optional; junk is a 400 naming the parameter.
#[derive(Debug, Default)]
pub struct IntQuery(pub std::collections::HashMap<String, u64>);

impl<S: Send + Sync> FromRequestParts<S> for IntQuery {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let mut out = std::collections::HashMap::new();
        for pair in parts.uri.query().unwrap_or("").split('&').filter(|p| !p.is_empty()) {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            let parsed = value.parse::<u64>().map_err(|_| {
                ApiError::new(
                    ErrorCode::InvalidParameter,
                    format!("query parameter `{key}` must be a non-negative integer"),
                )
            })?;
            out.insert(key.to_string(), parsed);
        }
        Ok(IntQuery(out))
    }
}

impl IntQuery {
    pub fn get(&self, key: &str) -> Option<u64> {
        self.0.get(key).copied()
    }
}

/// Text query parameters, percent-decoded; the first of a repeated name counts.
#[derive(Debug, Default)]
pub struct TextQuery(pub std::collections::HashMap<String, String>);

impl<S: Send + Sync> FromRequestParts<S> for TextQuery {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(TextQuery::parse(parts.uri.query().unwrap_or("")))
    }
}

impl TextQuery {
    pub fn parse(query: &str) -> Self {
        let mut out = std::collections::HashMap::new();
        for (key, value) in url::form_urlencoded::parse(query.as_bytes()) {
            out.entry(key.into_owned()).or_insert_with(|| value.into_owned());
        }
        TextQuery(out)
    }

    /// The non-empty value of `key`, or a validation error pointing at `/query/{key}`.
    pub fn required(&self, key: &str, what: &str) -> Result<&str, ApiError> {
        match self.0.get(key).map(String::as_str) {
            Some(value) if !value.is_empty() => Ok(value),
            _ => Err(ApiError::field(format!("/query/{}", escape(key)), format!("give `{key}`, {what}"))),
        }
    }
}

/// Path parameters as strings; axum's own rejection would be plain text.
#[derive(Debug)]
pub struct PathParams(pub Vec<String>);

impl<S: Send + Sync> FromRequestParts<S> for PathParams {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let raw = axum::extract::RawPathParams::from_request_parts(parts, state)
            .await
            .map_err(|e| ApiError::new(ErrorCode::InvalidParameter, format!("the path could not be read: {e}")))?;
        Ok(PathParams(raw.iter().map(|(_, v)| v.to_string()).collect()))
    }
}
