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

use accord_core::event::{Actor, FoldError, Payload, State as Folded};
use accord_core::plan::{PlanError, SaltError};
use accord_core::validate::PathSeg;
use accord_policy::view::{self, NegotiationView};
use accord_policy::{Action, Decision, Resource, Viewer, decide};
use accord_store::Account;
use axum::Json;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::AppState;
use crate::ErrorCode;
use crate::api::WriteResult;
use crate::auth::{self, Caller};
use crate::error::{ApiError, FieldError};
use crate::extract::IfMatch;

pub mod accounts;
pub mod analysis;
pub mod clock;
pub mod comments;
pub mod delivery;
pub mod drafting;
pub mod evidence;
pub mod invitations;
pub mod keys;
pub mod log;
pub mod meta;
pub mod negotiations;
pub mod pareto;
pub mod phases;
pub mod profiles;
pub mod revision;
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

/// A fresh salt for an event (see [`accord_core::event::Event::salt`]): 16 random bytes, hex.
fn salt() -> Result<String> {
    auth::random_id(16)
}

/// Appends `payloads` as `seen`'s account, based on log position `base`:
/// the write is planned in core ([`Folded::plan`]: the clock's transitions,
/// the phase gate, the fold and validation) and its events are appended as
/// one batch, all or nothing.
async fn commit(app: &AppState, seen: &Seen, base: u64, payloads: Vec<Payload>) -> Result<WriteResult> {
    let actor = Actor::Account { account: seen.account.id.clone(), party: seen.party().map(str::to_string) };
    seen.check_base(base)?;
    let plan = seen.state.plan(&actor, payloads, app.clock.now(), &mut salt_source()).map_err(plan_error)?;
    check_event_quota(app, seen.state.size, plan.events().len())?;
    let appended = app.store.append_all(&seen.id, plan.base(), plan.events()).await?;
    app.metrics.appended(plan.events().len() as u64);
    Ok(WriteResult { position: appended.position, log_size: appended.size, root: hex::encode(appended.root) })
}

/// Anyone invited may write, so one party must not be able to grow a log
/// without end (a comment a second): past `Config::events_per_negotiation`
/// writes are refused. Reads, exports and the clock go on as before.
fn check_event_quota(app: &AppState, size: u64, adding: usize) -> Result<()> {
    let quota = app.config.events_per_negotiation;
    if size.saturating_add(adding as u64) > quota {
        return Err(ApiError::new(
            ErrorCode::QuotaExceeded,
            format!("this negotiation's log holds {size} events and may hold {quota}; ask the operator for more"),
        ));
    }
    Ok(())
}

/// Each event's salt: 16 random bytes from the operating system, hex.
fn salt_source() -> impl FnMut() -> std::result::Result<String, SaltError> {
    || salt().map_err(|e| SaltError(e.detail))
}

/// A write core refused, as the API answers it.
fn plan_error(error: PlanError) -> ApiError {
    match error {
        PlanError::WrongPhase(refusal) => ApiError::new(ErrorCode::WrongPhase, refusal.to_string()),
        // One holder per seat: a second accept conflicts with the first.
        // The fold's own message names the holder's account; the caller
        // holds no seat here, so it learns only that the seat is taken.
        PlanError::Fold(FoldError::SeatTaken { party, .. }) => {
            ApiError::new(ErrorCode::SeatTaken, format!("the seat of {party} already has a holder; ask the mediator"))
        }
        PlanError::Fold(FoldError::InvitationSuperseded { .. }) => ApiError::new(
            ErrorCode::SeatTaken,
            "a newer invitation for this seat replaced this one; use the newest, or ask the mediator",
        ),
        PlanError::Fold(e) => ApiError::field("", e.to_string()),
        PlanError::Invalid(problems) => ApiError::validation(
            problems.iter().map(|p| FieldError { pointer: pointer_of(&p.path), message: p.to_string() }).collect(),
        ),
        PlanError::Empty => ApiError::internal("a write with no events"),
        PlanError::Salt(e) => ApiError::internal(e),
    }
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
