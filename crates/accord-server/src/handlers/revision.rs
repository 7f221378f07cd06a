//! Revisions, not keystrokes: who may watch the mediator's working draft,
//! and the provisions the working draft marks agreed ad referendum (both
//! released to the parties with the next published version).

use accord_core::event::Payload;
use accord_policy::{Action, Resource};
use axum::extract::State;
use axum::response::Response;

use super::{Result, commit, seen, written};
use crate::AppState;
use crate::api::{AdReferendumInput, WorkingDraftSharingInput};
use crate::auth::Caller;
use crate::error::ApiError;
use crate::extract::{ApiJson, IfMatch, NegotiationPath, ProvisionPath};

pub async fn set_working_draft_sharing(
    State(app): State<AppState>,
    caller: Caller,
    NegotiationPath { id }: NegotiationPath,
    if_match: IfMatch,
    ApiJson(body): ApiJson<WorkingDraftSharingInput>,
) -> Result<Response> {
    let seen = seen(&app, &caller, &id).await?;
    seen.require(Action::Write, Resource::Draft)?;
    let base = seen.base(if_match)?;
    let payload = Payload::WorkingDraftSharingSet { parties_see_working_draft: body.parties_see_working_draft };
    Ok(written(commit(&app, &seen, base, vec![payload]).await?))
}

pub async fn set_ad_referendum(
    State(app): State<AppState>,
    caller: Caller,
    ProvisionPath { id, provision }: ProvisionPath,
    if_match: IfMatch,
    ApiJson(body): ApiJson<AdReferendumInput>,
) -> Result<Response> {
    let seen = seen(&app, &caller, &id).await?;
    seen.require(Action::Write, Resource::Draft)?;
    if seen.state.negotiation.provision(&provision).is_none() {
        return Err(ApiError::not_found(format!("provision \"{provision}\" in the working draft")));
    }
    let base = seen.base(if_match)?;
    Ok(written(commit(&app, &seen, base, vec![Payload::AdReferendumSet { provision, agreed: body.agreed }]).await?))
}
