//! Comments on a quoted span of a provision, public or private to the
//! author's party and the mediator.

use accord_core::event::{Comment, Payload};
use accord_policy::view;
use accord_policy::{Action, Resource};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::{Result, commit, etag, seen};
use crate::AppState;
use crate::api::CommentInput;
use crate::auth::{self, Caller};
use crate::error::ApiError;
use crate::extract::{ApiJson, IfMatch, NegotiationPath};

pub async fn list_comments(
    State(app): State<AppState>,
    caller: Caller,
    NegotiationPath { id }: NegotiationPath,
) -> Result<Response> {
    let seen = seen(&app, &caller, &id).await?;
    let me = seen.party().unwrap_or_default().to_string();
    seen.require(Action::Read, Resource::Comment { author: &me, private: false })?;
    Ok(Json(seen.view()?.comments).into_response())
}

pub async fn add_comment(
    State(app): State<AppState>,
    caller: Caller,
    NegotiationPath { id }: NegotiationPath,
    if_match: IfMatch,
    ApiJson(body): ApiJson<CommentInput>,
) -> Result<Response> {
    let seen = seen(&app, &caller, &id).await?;
    let party = seen.party().unwrap_or_default().to_string();
    seen.require(Action::Write, Resource::Comment { author: &party, private: body.private })?;
    let base = seen.base(if_match)?;
    // A comment is on the text its author reads.
    view::check_in_visible_text(&seen.viewer, &seen.state, &body.provision)
        .map_err(|refused| ApiError::field("/provision", refused.to_string()))?;
    if view::is_outdated(&view::visible_text(&seen.viewer, &seen.state).negotiation, &body.provision, &body.quote) {
        return Err(ApiError::field("/quote", "the quote must appear in the provision's current text"));
    }
    let length = body.text.trim().chars().count();
    if length == 0 || length > 10_000 {
        return Err(ApiError::field("/text", "must be 1 to 10,000 characters"));
    }
    let comment = Comment {
        id: format!("c-{}", auth::random_id(6)?),
        party,
        provision: body.provision,
        quote: body.quote,
        text: body.text,
        private: body.private,
    };
    let result = commit(&app, &seen, base, vec![Payload::CommentAdded { comment }]).await?;
    Ok((StatusCode::CREATED, etag(result.log_size), Json(result)).into_response())
}
