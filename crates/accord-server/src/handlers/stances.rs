//! Stances: what each party can live with, provision by provision, their
//! history and the per-provision counts others see.

use accord_core::event::Payload;
use accord_core::{Position, Stance};
use accord_policy::{Action, Resource};
use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};

use super::{Result, commit, etag, seen, written};
use crate::AppState;
use crate::ErrorCode;
use crate::api::{StanceInput, StancePosition, StancesView};
use crate::auth::Caller;
use crate::error::ApiError;
use crate::extract::{ApiJson, IfMatch, NegotiationPath, ProvisionPath};

pub async fn list_stances(
    State(app): State<AppState>,
    caller: Caller,
    NegotiationPath { id }: NegotiationPath,
) -> Result<Response> {
    let seen = seen(&app, &caller, &id).await?;
    seen.require(Action::Read, Resource::StanceCounts)?;
    let view = seen.view()?;
    Ok((etag(seen.state.size), Json(StancesView { stances: view.stances, counts: view.stance_counts })).into_response())
}

pub async fn stance_history(
    State(app): State<AppState>,
    caller: Caller,
    NegotiationPath { id }: NegotiationPath,
) -> Result<Response> {
    let seen = seen(&app, &caller, &id).await?;
    seen.require(Action::Read, Resource::StanceCounts)?;
    Ok(Json(seen.view()?.stance_history).into_response())
}

pub async fn set_stance(
    State(app): State<AppState>,
    caller: Caller,
    ProvisionPath { id, provision }: ProvisionPath,
    if_match: IfMatch,
    ApiJson(body): ApiJson<StanceInput>,
) -> Result<Response> {
    let seen = seen(&app, &caller, &id).await?;
    let party = seen.party().unwrap_or_default().to_string();
    seen.require(Action::Write, Resource::StancePosition { party: &party })?;
    // A stance is on the text its party reads (the released text, unless
    // the party may watch the working draft).
    accord_policy::view::check_in_visible_text(&seen.viewer, &seen.state, &provision)
        .map_err(|refused| ApiError::new(crate::ErrorCode::NotFound, refused.to_string()))?;
    let base = seen.base(if_match)?;
    let position = match body.position {
        StancePosition::Acceptable | StancePosition::Unacceptable if !body.conditions.is_empty() => {
            return Err(ApiError::field("/conditions", "only an `acceptable_if` stance has conditions"));
        }
        StancePosition::AcceptableIf if body.conditions.is_empty() => {
            return Err(ApiError::field("/conditions", "an `acceptable_if` stance needs at least one condition"));
        }
        StancePosition::Acceptable => Position::Acceptable,
        StancePosition::Unacceptable => Position::Unacceptable,
        StancePosition::AcceptableIf => Position::AcceptableIf { conditions: body.conditions },
    };
    if body.reason.as_ref().is_some_and(|r| r.chars().count() > 10_000) {
        return Err(ApiError::field("/reason", "at most 10,000 characters"));
    }
    // The stance answers the wording the party read. A client that says which
    // one it read is refused when that wording is gone; one that does not (an
    // older client) answers the current wording. A provision that cannot be
    // rendered has no wording to pin: its stance follows the draft, as before pins.
    let pin = {
        let text = accord_policy::view::visible_text(&seen.viewer, &seen.state);
        seen.state.stance_pin(&text.negotiation, &provision)
    };
    if let Some(read) = &body.wording_hash
        && pin.as_ref().is_none_or(|pin| &pin.wording_hash != read)
    {
        return Err(ApiError::new(
            ErrorCode::TextChanged,
            format!("the text of provision \"{provision}\" changed since you read it: review it and answer again"),
        ));
    }
    let stance = Stance { party, provision, position, reason: body.reason, pin };
    Ok(written(commit(&app, &seen, base, vec![Payload::StanceRecorded { stance }]).await?))
}
