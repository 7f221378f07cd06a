//! Extractors whose every failure is a problem document, never axum's plain-text rejections.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use crate::ErrorCode;
use crate::error::{ApiError, FieldError};

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

/// The route's path parameters by name, percent-decoded; axum's own
/// rejection would be plain text.
async fn path_params(parts: &mut Parts) -> Result<Vec<(String, String)>, ApiError> {
    let raw = axum::extract::RawPathParams::from_request_parts(parts, &())
        .await
        .map_err(|e| ApiError::new(ErrorCode::InvalidParameter, format!("the path could not be read: {e}")))?;
    Ok(raw.iter().map(|(name, value)| (name.to_string(), value.to_string())).collect())
}

/// The value of the path parameter `name`; only a route table that names
/// no such parameter lacks it.
fn path_param(params: &[(String, String)], name: &str) -> Result<String, ApiError> {
    params
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, value)| value.clone())
        .ok_or_else(|| ApiError::new(ErrorCode::InvalidParameter, "missing path parameter"))
}

/// A version number given as path parameter `name`.
pub fn version_number(name: &str, text: &str) -> Result<u32, ApiError> {
    text.parse()
        .map_err(|_| ApiError::new(ErrorCode::InvalidParameter, format!("`{name}` must be a version number (1, 2, …)")))
}

/// Declares a path extractor whose parameters are all text, each read by
/// the name the route table gives it.
macro_rules! text_path {
    ($(#[$doc:meta])* $name:ident { $($field:ident),+ }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub struct $name {
            $(pub $field: String,)+
        }

        impl<S: Send + Sync> FromRequestParts<S> for $name {
            type Rejection = ApiError;

            async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
                let params = path_params(parts).await?;
                Ok($name { $($field: path_param(&params, stringify!($field))?,)+ })
            }
        }
    };
}

text_path! {
    /// `…/negotiations/{id}`.
    NegotiationPath { id }
}

text_path! {
    /// `…/negotiations/{id}/…/{provision}`.
    ProvisionPath { id, provision }
}

text_path! {
    /// `…/negotiations/{id}/…/{issue}`.
    IssuePath { id, issue }
}

text_path! {
    /// `…/negotiations/{id}/…/{party}`.
    PartyPath { id, party }
}

text_path! {
    /// `…/negotiations/{id}/invitations/{invitation}`: an invitation's id
    /// (as the invitation list shows it) or its whole token hash.
    InvitationPath { id, invitation }
}

/// `…/negotiations/{id}/versions/{number}…`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionPath {
    pub id: String,
    pub number: u32,
}

impl VersionPath {
    /// The path from its text, as a web page receives it; a bad number is
    /// refused as the API route refuses it.
    pub fn parse(id: &str, number: &str) -> Result<Self, ApiError> {
        Ok(VersionPath { id: id.to_string(), number: version_number("number", number)? })
    }
}

impl<S: Send + Sync> FromRequestParts<S> for VersionPath {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let params = path_params(parts).await?;
        VersionPath::parse(&path_param(&params, "id")?, &path_param(&params, "number")?)
    }
}

/// `…/negotiations/{id}/versions/{number}/diff/{other}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiffPath {
    pub id: String,
    pub number: u32,
    pub other: u32,
}

impl DiffPath {
    /// The path from its text, as a web page receives it; a bad number is
    /// refused as the API route refuses it.
    pub fn parse(id: &str, number: &str, other: &str) -> Result<Self, ApiError> {
        Ok(DiffPath {
            id: id.to_string(),
            number: version_number("number", number)?,
            other: version_number("other", other)?,
        })
    }
}

impl<S: Send + Sync> FromRequestParts<S> for DiffPath {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let params = path_params(parts).await?;
        DiffPath::parse(&path_param(&params, "id")?, &path_param(&params, "number")?, &path_param(&params, "other")?)
    }
}

#[cfg(test)]
mod tests {
    use axum::Router;
    use axum::body::Body;
    use axum::http::{Request, StatusCode};
    use axum::routing::get;
    use tower::ServiceExt;

    use super::{DiffPath, NegotiationPath, PartyPath, VersionPath};

    fn router() -> Router {
        Router::new()
            .route("/n/{id}", get(|p: PartyPath| async move { p.party }))
            .route("/n/{id}/m", get(|p: NegotiationPath| async move { p.id }))
            .route("/n/{id}/p/{party}", get(|p: PartyPath| async move { format!("{}|{}", p.id, p.party) }))
            .route("/n/{id}/v/{number}", get(|p: VersionPath| async move { format!("{}|{}", p.id, p.number) }))
            .route(
                "/n/{id}/v/{number}/diff/{other}",
                get(|p: DiffPath| async move { format!("{}|{}|{}", p.id, p.number, p.other) }),
            )
    }

    async fn get_text(uri: &str) -> (StatusCode, String, String) {
        let request = Request::get(uri).body(Body::empty()).unwrap();
        let response = router().oneshot(request).await.unwrap();
        let status = response.status();
        let content_type = response
            .headers()
            .get(axum::http::header::CONTENT_TYPE)
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default();
        let body = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
        (status, content_type, String::from_utf8(body.to_vec()).unwrap())
    }

    async fn problem(uri: &str) -> serde_json::Value {
        let (status, content_type, body) = get_text(uri).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{uri}: {body}");
        assert_eq!(content_type, "application/problem+json");
        let problem: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(problem["code"], "invalid_parameter");
        problem
    }

    #[tokio::test]
    async fn typed_paths_read_their_parameters_by_name_percent_decoded() {
        assert_eq!(get_text("/n/a%20b/m").await.2, "a b");
        assert_eq!(get_text("/n/talks/p/ua").await.2, "talks|ua");
        assert_eq!(get_text("/n/talks/v/3").await.2, "talks|3");
        assert_eq!(get_text("/n/talks/v/2/diff/5").await.2, "talks|2|5");
    }

    #[tokio::test]
    async fn a_bad_version_number_is_a_problem_naming_the_parameter() {
        assert_eq!(problem("/n/talks/v/abc").await["detail"], "`number` must be a version number (1, 2, …)");
        assert_eq!(problem("/n/talks/v/-1/diff/2").await["detail"], "`number` must be a version number (1, 2, …)");
        assert_eq!(problem("/n/talks/v/1/diff/x").await["detail"], "`other` must be a version number (1, 2, …)");
    }

    #[tokio::test]
    async fn a_parameter_the_route_lacks_is_a_problem() {
        assert_eq!(problem("/n/talks").await["detail"], "missing path parameter");
    }

    #[tokio::test]
    async fn a_path_that_is_not_utf8_is_a_problem() {
        let detail = problem("/n/%FF/m").await["detail"].as_str().unwrap().to_string();
        assert!(detail.starts_with("the path could not be read: "), "{detail}");
    }

    #[test]
    fn pages_parse_numbers_as_the_routes_do() {
        assert_eq!(VersionPath::parse("talks", "7").unwrap(), VersionPath { id: "talks".into(), number: 7 });
        assert_eq!(
            VersionPath::parse("talks", "seven").unwrap_err().detail,
            "`number` must be a version number (1, 2, …)"
        );
        assert_eq!(DiffPath::parse("talks", "1", "").unwrap_err().detail, "`other` must be a version number (1, 2, …)");
    }
}
