//! The API about itself: its OpenAPI document, and the answers for a path
//! no route serves or a method a route does not take.

use axum::Json;
use axum::response::{IntoResponse, Response};

use crate::ErrorCode;
use crate::error::ApiError;

/// An unknown path: a JSON problem under `/api/`, a page a person can read elsewhere.
pub async fn no_such_route(uri: axum::http::Uri) -> Response {
    if uri.path().starts_with("/api/") {
        ApiError::new(ErrorCode::NotFound, "no such route; see /api/openapi.json").into_response()
    } else {
        crate::web::page_not_found()
    }
}

pub async fn method_not_allowed() -> ApiError {
    ApiError::new(ErrorCode::MethodNotAllowed, "this route does not take that method; see /api/openapi.json")
}

pub async fn openapi() -> Response {
    Json(crate::openapi::document()).into_response()
}
