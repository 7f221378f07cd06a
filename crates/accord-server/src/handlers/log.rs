//! The event log as the viewer may see it, its Merkle checkpoints, and
//! inclusion and consistency proofs.

use accord_policy::view;
use accord_policy::{Action, Resource};
use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};

use super::{Result, etag, seen};
use crate::AppState;
use crate::ErrorCode;
use crate::api::EventsView;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::extract::{IntQuery, NegotiationPath};

/// The most events one `GET …/events` answers with.
pub const EVENTS_PAGE: u64 = 5_000;

pub async fn events(
    State(app): State<AppState>,
    caller: Caller,
    NegotiationPath { id }: NegotiationPath,
    q: IntQuery,
) -> Result<Response> {
    let seen = seen(&app, &caller, &id).await?;
    seen.require(Action::Read, Resource::EventLog)?;
    let size = seen.state.size;
    let from = q.get("from").unwrap_or(0).min(size);
    // One page at most: a log can be long, and every entry is read, filtered
    // and serialised; `log_size` tells the client where to continue.
    let to = q.get("to").unwrap_or(size).min(size).min(from.saturating_add(EVENTS_PAGE));
    let stored = if from < to { app.store.events(&seen.id, from, Some(to)).await? } else { Vec::new() };
    let entries =
        stored.iter().filter_map(|s| view::filter_event(&seen.viewer, &s.event, &s.bytes, &s.leaf_hash)).collect();
    Ok((etag(size), Json(EventsView { log_size: size, entries })).into_response())
}

pub async fn checkpoint(
    State(app): State<AppState>,
    caller: Caller,
    NegotiationPath { id }: NegotiationPath,
    q: IntQuery,
) -> Result<Response> {
    let seen = seen(&app, &caller, &id).await?;
    seen.require(Action::Read, Resource::EventLog)?;
    let size = q.get("size").unwrap_or(seen.state.size);
    if size > seen.state.size {
        return Err(ApiError::new(
            ErrorCode::InvalidParameter,
            format!("`size` is beyond the log, which holds {} events", seen.state.size),
        ));
    }
    Ok(Json(app.store.checkpoint(&seen.id, size).await?).into_response())
}

pub async fn inclusion_proof(
    State(app): State<AppState>,
    caller: Caller,
    NegotiationPath { id }: NegotiationPath,
    q: IntQuery,
) -> Result<Response> {
    let seen = seen(&app, &caller, &id).await?;
    seen.require(Action::Read, Resource::EventLog)?;
    let index = q
        .get("index")
        .ok_or_else(|| ApiError::new(ErrorCode::InvalidParameter, "give `index`, the event's position"))?;
    let size = q.get("size").unwrap_or(seen.state.size);
    if size > seen.state.size || index >= size {
        return Err(ApiError::new(
            ErrorCode::InvalidParameter,
            format!("need index < size <= {} (the log size); got index {index}, size {size}", seen.state.size),
        ));
    }
    Ok(Json(app.store.inclusion_proof(&seen.id, index, size).await?).into_response())
}

pub async fn consistency_proof(
    State(app): State<AppState>,
    caller: Caller,
    NegotiationPath { id }: NegotiationPath,
    q: IntQuery,
) -> Result<Response> {
    let seen = seen(&app, &caller, &id).await?;
    seen.require(Action::Read, Resource::EventLog)?;
    let from =
        q.get("from").ok_or_else(|| ApiError::new(ErrorCode::InvalidParameter, "give `from`, the older size"))?;
    let to = q.get("to").unwrap_or(seen.state.size);
    if to > seen.state.size || from > to {
        return Err(ApiError::new(
            ErrorCode::InvalidParameter,
            format!("need from <= to <= {} (the log size); got from {from}, to {to}", seen.state.size),
        ));
    }
    Ok(Json(app.store.consistency_proof(&seen.id, from, to).await?).into_response())
}
