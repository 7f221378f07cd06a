//! A negotiation as one caller may see it, read through the API handlers.

use accord_core::Role;
use accord_policy::view::NegotiationView;
use accord_policy::{Action, Resource, Viewer, decide};
use axum::extract::State;

use super::{NegotiationNav, PageError, Session, api, require_account};
use crate::AppState;
use crate::api::PhaseView;
use crate::auth::Caller;
use crate::extract::NegotiationPath;
use crate::handlers;

/// What every negotiation page starts from.
#[derive(Debug, Clone)]
pub(crate) struct Loaded {
    pub id: String,
    pub view: NegotiationView,
    /// The caller as the policy sees them in this negotiation.
    pub viewer: Viewer,
    pub session: Session,
    /// The timetable and current phase, when the policy shows it.
    pub phase: Option<PhaseView>,
}

impl Loaded {
    pub(crate) fn may(&self, action: Action, resource: Resource<'_>) -> bool {
        decide(&self.viewer, action, &resource).allowed()
    }

    pub(crate) fn party(&self) -> &str {
        self.viewer.party().unwrap_or_default()
    }

    pub(crate) fn role(&self) -> Option<Role> {
        self.viewer.role()
    }

    pub(crate) fn party_name(&self, party: &str) -> String {
        self.view.parties.iter().find(|p| p.id == party).map_or_else(|| party.to_string(), |p| p.name.clone())
    }

    pub(crate) fn nav(&self, current: &'static str) -> NegotiationNav {
        NegotiationNav {
            id: self.id.clone(),
            title: self.view.title.clone(),
            party: self.party().to_string(),
            role: self.role().map(|r| r.to_string()).unwrap_or_default(),
            log_size: self.view.log_size,
            mediator: self.may(Action::Read, Resource::Analysis),
            current,
        }
    }
}

/// Loads negotiation `id` for `caller`, or fails as the API would (sign in, 404 to strangers).
pub(crate) async fn load(app: &AppState, caller: &Caller, id: &str, here: &str) -> Result<Loaded, PageError> {
    let account = require_account(caller, here)?.clone();
    let path = || NegotiationPath { id: id.to_string() };
    let view: NegotiationView =
        api(handlers::negotiations::get_negotiation(State(app.clone()), caller.clone(), path())).await?;
    let viewer = match &view.you {
        Some(seat) => Viewer::Party {
            account: account.id.clone(),
            party: seat.party.clone(),
            role: seat.role,
            privacy: view.privacy,
        },
        None => Viewer::outside(Some(&account.id)),
    };
    let phase = if decide(&viewer, Action::Read, &Resource::Evidence).allowed() {
        Some(api(handlers::phases::phase_status(State(app.clone()), caller.clone(), path())).await?)
    } else {
        None
    };
    Ok(Loaded { id: id.to_string(), view, viewer, session: Session::of(caller), phase })
}
