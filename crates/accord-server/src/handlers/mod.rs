//! The route handlers, one module per resource. Each one: who is asking
//! ([`Caller`]) → which seat ([`Viewer`]) → may they ([`decide`]) → what do
//! they receive (the policy's filters). Writes are checked against
//! `If-Match`, validated on a copy of the state, and appended through
//! [`commit`]; nothing is written when any check fails.
//!
//! This module holds only what every resource shares: the caller's view of a
//! negotiation ([`Seen`]), the refusal a denied viewer gets, the one write
//! path ([`commit`]) and the ETag of an answer.

use std::sync::Arc;

use accord_core::event::{Actor, Event, Payload, State as Folded};
use accord_core::validate::{self, PathSeg};
use accord_policy::view::{self, NegotiationView};
use accord_policy::{Action, Decision, Resource, Viewer, decide};
use accord_store::Account;
use axum::Json;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::AppState;
use crate::api::WriteResult;
use crate::auth::{self, Caller};
use crate::error::{ApiError, FieldError};
use crate::error_code::ErrorCode;
use crate::extract::IfMatch;

pub mod accounts;
pub mod analysis;
pub mod clock;
pub mod comments;
pub mod evidence;
pub mod invitations;
pub mod keys;
pub mod log;
pub mod meta;
pub mod negotiations;
pub mod pareto;
pub mod phases;
pub mod profiles;
pub mod stances;
pub mod stream;
pub mod text;
pub mod versions;

pub(crate) type Result<T, E = ApiError> = std::result::Result<T, E>;

/// The error a denied viewer gets: who you are decides what you learn.
fn denied(viewer: &Viewer) -> ApiError {
    match viewer {
        Viewer::Anonymous => ApiError::new(ErrorCode::Unauthenticated, "sign in first"),
        // A stranger is not told whether the negotiation exists.
        Viewer::Stranger { .. } => ApiError::not_found("this negotiation"),
        Viewer::Party { role, .. } => {
            ApiError::new(ErrorCode::Forbidden, format!("a {role} may not do this under the negotiation's policy"))
        }
    }
}

/// A negotiation as seen by the caller.
struct Seen {
    id: String,
    state: Arc<Folded>,
    viewer: Viewer,
    account: Account,
}

impl Seen {
    fn require(&self, action: Action, resource: Resource<'_>) -> Result<()> {
        match decide(&self.viewer, action, &resource) {
            Decision::Allow => Ok(()),
            _ => Err(denied(&self.viewer)),
        }
    }

    fn view(&self) -> Result<NegotiationView> {
        view::view_state(&self.viewer, &self.state).ok_or_else(|| denied(&self.viewer))
    }

    /// The base of a write: `If-Match` must name the current log size.
    fn base(&self, if_match: IfMatch) -> Result<u64> {
        let base = if_match.required()?;
        self.check_base(base)
    }

    fn check_base(&self, base: u64) -> Result<u64> {
        if base != self.state.size {
            return Err(ApiError::new(
                ErrorCode::Conflict,
                format!(
                    "your change is based on log position {base}, but the log is at {}; re-read, re-apply and send If-Match: \"{}\"",
                    self.state.size, self.state.size
                ),
            ));
        }
        Ok(base)
    }

    fn party(&self) -> Option<&str> {
        self.viewer.party()
    }
}

async fn seen(app: &AppState, caller: &Caller, id: &str) -> Result<Seen> {
    let account = caller.require()?.clone();
    let state = app.state(id).await?.ok_or_else(|| ApiError::not_found("this negotiation"))?;
    let viewer = Viewer::in_negotiation(&state, Some(&account.id));
    Ok(Seen { id: id.to_string(), state, viewer, account })
}

fn pointer_of(path: &[PathSeg]) -> String {
    let mut out = String::from("/negotiation");
    for seg in path {
        match seg {
            PathSeg::Key(k) => out.push_str(&format!("/{}", crate::extract::escape(k))),
            PathSeg::Index(i) => out.push_str(&format!("/{i}")),
        }
    }
    out
}

/// A fresh salt for an event (see [`Event::salt`]): 16 random bytes, hex.
fn salt() -> Result<String> {
    auth::random_id(16)
}

/// Appends `payloads` after checking that they fold onto the state and leave
/// no validation problem the state did not already have.
async fn commit(app: &AppState, seen: &Seen, base: u64, payloads: Vec<Payload>) -> Result<WriteResult> {
    let actor = Actor::Account { account: seen.account.id.clone(), party: seen.party().map(str::to_string) };
    let now = app.clock.now();
    let mut next = (*seen.state).clone();
    seen.check_base(base)?;
    let before: Vec<String> = validate::validate(&next.negotiation).iter().map(|p| p.to_string()).collect();
    let mut events = Vec::new();
    let mut push = |next: &mut Folded, actor: &Actor, payload: Payload| -> Result<()> {
        let event = Event { position: next.size, actor: actor.clone(), at: now, payload, salt: Some(salt()?) };
        next.apply(&event).map_err(|e| ApiError::field("", e.to_string()))?;
        events.push(event);
        Ok(())
    };
    // Transitions the clock has made but the background task has not yet
    // logged come first, so the write is judged in the phase it happens in.
    for payload in accord_core::phase::due(&next, now) {
        push(&mut next, &Actor::System, payload)?;
    }
    for payload in payloads {
        if let Some(action) = phase_action(&payload) {
            accord_core::phase::allowed(&next, action, now)
                .map_err(|e| ApiError::new(ErrorCode::WrongPhase, e.to_string()))?;
        }
        push(&mut next, &actor, payload)?;
    }
    // A write can complete the process (the last signature closes it).
    for payload in accord_core::phase::due(&next, now) {
        push(&mut next, &Actor::System, payload)?;
    }
    let problems: Vec<FieldError> = validate::validate(&next.negotiation)
        .into_iter()
        .filter(|p| !before.contains(&p.to_string()))
        .map(|p| FieldError { pointer: pointer_of(&p.path), message: p.to_string() })
        .collect();
    if !problems.is_empty() {
        return Err(ApiError::validation(problems));
    }
    if events.is_empty() {
        return Err(ApiError::internal("a write with no events"));
    }
    // All of a write's events (with the clock's transitions before and after it) or none.
    let appended = app.store.append_all(&seen.id, base_position(&events), &events).await?;
    app.metrics.appended(events.len() as u64);
    Ok(WriteResult { position: appended.position, log_size: appended.size, root: hex::encode(appended.root) })
}

fn base_position(events: &[Event]) -> u64 {
    events.first().map_or(0, |e| e.position)
}

/// Which phase-gated action a payload written by a person is.
fn phase_action(payload: &Payload) -> Option<accord_core::phase::Action> {
    use accord_core::phase::Action as A;
    Some(match payload {
        Payload::Created { .. } | Payload::Closed { .. } | Payload::Lapsed { .. } | Payload::RemindersSent { .. } => {
            return None;
        }
        Payload::IssueSet { .. }
        | Payload::IssueRemoved { .. }
        | Payload::ProvisionSet { .. }
        | Payload::ProvisionRemoved { .. }
        | Payload::DraftValueSet { .. }
        | Payload::ConstraintSet { .. }
        | Payload::ConstraintRemoved { .. }
        | Payload::TimetableSet { .. } => A::EditDraft,
        Payload::VersionPublished { .. } => A::Publish,
        Payload::StanceRecorded { .. } => A::RecordStance,
        Payload::CommentAdded { .. } => A::Comment,
        Payload::ProfileSet { .. } => A::SetProfile,
        Payload::ReservationChanged { .. } => A::ChangeReservation,
        Payload::PartyInvited { .. } | Payload::InvitationAccepted { .. } => A::Invite,
        Payload::KeyRegistered { .. } => A::RegisterKey,
        Payload::KeyRotated { .. } => A::RotateKey,
        Payload::VersionAcknowledged { .. } => A::Acknowledge,
        Payload::FinalTextSigned { .. } => A::SignFinal,
        Payload::PhaseEntered { .. } => A::AdvancePhase,
        Payload::DeadlineExtended { .. } => A::ExtendDeadline,
    })
}

fn etag(size: u64) -> HeaderMap {
    let mut headers = HeaderMap::new();
    if let Ok(value) = HeaderValue::from_str(&format!("\"{size}\"")) {
        headers.insert(header::ETAG, value);
    }
    headers
}

fn written(result: WriteResult) -> Response {
    (StatusCode::OK, etag(result.log_size), Json(result)).into_response()
}
