//! The timetable in motion: the current phase and its deadline, ending a
//! phase early, extending a deadline, and who acknowledged and signed what.

use accord_core::event::{Payload, State as Folded};
use accord_core::phase;
use accord_policy::{Action, Resource};
use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};

use super::{Result, commit, seen, written};
use crate::AppState;
use crate::api::{AdvanceInput, ExtendInput, PhaseStatus, PhaseView};
use crate::auth::Caller;
use crate::error::ApiError;
use crate::extract::{ApiJson, IfMatch, NegotiationPath};

pub async fn phase_status(
    State(app): State<AppState>,
    caller: Caller,
    NegotiationPath { id }: NegotiationPath,
) -> Result<Response> {
    let seen = seen(&app, &caller, &id).await?;
    seen.require(Action::Read, Resource::Evidence)?;
    Ok(Json(phase_view(&seen.state, app.clock.now())).into_response())
}

pub(crate) fn phase_view(state: &Folded, now: chrono::DateTime<chrono::Utc>) -> PhaseView {
    let entered_at = |id: &str| state.phases.entered.iter().find(|e| e.phase == id).map(|e| e.at);
    let status_of = |p: &accord_core::Phase| PhaseStatus {
        id: p.id.clone(),
        name: p.name.clone(),
        kind: p.kind.as_str().to_string(),
        start: p.start,
        deadline: phase::deadline(state, &p.id).unwrap_or(p.end),
        entered_at: entered_at(&p.id),
    };
    let status = match &state.status {
        accord_core::event::Status::Open => "open",
        accord_core::event::Status::Closed { .. } => "closed",
        accord_core::event::Status::Lapsed { .. } => "lapsed",
    };
    PhaseView {
        status: status.to_string(),
        current: phase::current(state).map(|c| status_of(c.phase)),
        timetable: state.negotiation.timetable.phases.iter().map(status_of).collect(),
        now,
    }
}

pub async fn advance_phase(
    State(app): State<AppState>,
    caller: Caller,
    NegotiationPath { id }: NegotiationPath,
    if_match: IfMatch,
    ApiJson(body): ApiJson<AdvanceInput>,
) -> Result<Response> {
    let seen = seen(&app, &caller, &id).await?;
    seen.require(Action::Write, Resource::Timetable)?;
    let base = seen.base(if_match)?;
    if body.reason.trim().is_empty() {
        return Err(ApiError::field("/reason", "say why the phase ends early; the reason is logged"));
    }
    let phases = &seen.state.negotiation.timetable.phases;
    let next = match phase::current(&seen.state) {
        None => phases.first(),
        Some(current) => phases.get(current.index + 1),
    }
    .ok_or_else(|| ApiError::field("", "there is no later phase to advance to"))?;
    let payload = Payload::PhaseEntered { phase: next.id.clone(), reason: Some(body.reason) };
    Ok(written(commit(&app, &seen, base, vec![payload]).await?))
}

pub async fn extend_deadline(
    State(app): State<AppState>,
    caller: Caller,
    NegotiationPath { id }: NegotiationPath,
    if_match: IfMatch,
    ApiJson(body): ApiJson<ExtendInput>,
) -> Result<Response> {
    let seen = seen(&app, &caller, &id).await?;
    seen.require(Action::Write, Resource::Timetable)?;
    let base = seen.base(if_match)?;
    if body.reason.trim().is_empty() {
        return Err(ApiError::field("/reason", "say why the deadline moves; the reason is logged"));
    }
    let phase = match body.phase {
        Some(phase) => phase,
        None => phase::current(&seen.state)
            .map(|c| c.phase.id.clone())
            .ok_or_else(|| ApiError::field("/phase", "no phase has begun yet; name the phase to extend"))?,
    };
    if !seen.state.negotiation.timetable.phases.iter().any(|p| p.id == phase) {
        return Err(ApiError::field("/phase", format!("no phase \"{phase}\" in the timetable")));
    }
    if body.end <= app.clock.now() {
        return Err(ApiError::field("/end", "the new deadline must be in the future"));
    }
    let payload = Payload::DeadlineExtended { phase, end: body.end, reason: body.reason };
    Ok(written(commit(&app, &seen, base, vec![payload]).await?))
}

pub async fn engagement(
    State(app): State<AppState>,
    caller: Caller,
    NegotiationPath { id }: NegotiationPath,
) -> Result<Response> {
    let seen = seen(&app, &caller, &id).await?;
    seen.require(Action::Read, Resource::Evidence)?;
    Ok(Json(phase::engagement(&seen.state)).into_response())
}
