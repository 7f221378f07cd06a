//! Seats: invitations to take a party's seat, redeeming one, and who holds
//! which seat.

use accord_core::event::Payload;
use accord_policy::{Action, Resource, Viewer};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::{Result, commit, seen, written};
use crate::AppState;
use crate::ErrorCode;
use crate::api::{AcceptInput, InvitationCreated, InviteInput};
use crate::auth::{self, Caller};
use crate::error::ApiError;
use crate::extract::{ApiJson, IfMatch, InvitationPath, NegotiationPath};

pub async fn list_invitations(
    State(app): State<AppState>,
    caller: Caller,
    NegotiationPath { id }: NegotiationPath,
) -> Result<Response> {
    let seen = seen(&app, &caller, &id).await?;
    seen.require(Action::Read, Resource::Invitations)?;
    Ok(Json(seen.view()?.invitations.unwrap_or_default()).into_response())
}

pub async fn invite(
    State(app): State<AppState>,
    caller: Caller,
    NegotiationPath { id }: NegotiationPath,
    if_match: IfMatch,
    ApiJson(body): ApiJson<InviteInput>,
) -> Result<Response> {
    let seen = seen(&app, &caller, &id).await?;
    seen.require(Action::Write, Resource::Invitations)?;
    let base = seen.base(if_match)?;
    let party = seen.state.negotiation.party(&body.party).ok_or_else(|| ApiError::field("/party", "no such party"))?;
    if seen.state.accounts_of_party(&party.id).next().is_some() {
        return Err(ApiError::field("/party", "this party's seat is already taken"));
    }
    let token = auth::random_token()?;
    let expires_at = app.clock.now() + app.config.invitation_ttl;
    let payload = Payload::PartyInvited {
        party: party.id.clone(),
        role: party.role,
        token_hash: auth::token_hash(&token),
        expires_at,
    };
    let role = party.role;
    let party_id = party.id.clone();
    commit(&app, &seen, base, vec![payload]).await?;
    let created = InvitationCreated {
        token,
        party: party_id,
        role,
        expires_at,
        accept_path: format!("/api/negotiations/{}/invitations/accept", seen.id),
    };
    Ok((StatusCode::CREATED, Json(created)).into_response())
}

/// `If-Match` is optional here: the invitee cannot read the log before taking its seat.
pub async fn accept_invitation(
    State(app): State<AppState>,
    caller: Caller,
    NegotiationPath { id }: NegotiationPath,
    if_match: IfMatch,
    ApiJson(body): ApiJson<AcceptInput>,
) -> Result<Response> {
    let seen = seen(&app, &caller, &id).await?;
    if let Viewer::Party { party, .. } = &seen.viewer {
        return Err(ApiError::new(
            ErrorCode::AlreadySeated,
            format!("you already hold the seat of \"{party}\"; one seat per account"),
        ));
    }
    let hash = auth::token_hash(body.token.trim());
    let Some(invitation) = seen.state.invitation(&hash) else {
        // Same answer as for a negotiation that does not exist: a guessed token learns nothing.
        return Err(ApiError::not_found("this invitation"));
    };
    seen.require(Action::Write, Resource::Seat)?;
    if invitation.accepted_by.is_some() {
        return Err(ApiError::new(ErrorCode::InvitationUnusable, "this invitation was already used"));
    }
    if invitation.revoked_at.is_some() {
        return Err(ApiError::new(
            ErrorCode::InvitationUnusable,
            "the mediator revoked this invitation; ask the mediator for a new one",
        ));
    }
    if app.clock.now() > invitation.expires_at {
        return Err(ApiError::new(
            ErrorCode::InvitationUnusable,
            "this invitation has expired; ask the mediator for a new one",
        ));
    }
    let base = match if_match.0 {
        Some(base) => seen.check_base(base)?,
        None => seen.state.size,
    };
    let payload = Payload::InvitationAccepted {
        party: invitation.party.clone(),
        account: seen.account.id.clone(),
        token_hash: hash,
    };
    Ok(written(commit(&app, &seen, base, vec![payload]).await?))
}

/// The longest invitation reference a path may carry: a whole token hash.
const INVITATION_REF_MAX: usize = 64;
/// The shortest: the id the invitation list shows.
const INVITATION_REF_MIN: usize = 16;

/// Revokes a pending invitation: its link stops working at once. The
/// invitation is named by the id the invitation list shows (the first 16
/// hex digits of its token hash) or by its whole token hash.
pub async fn revoke_invitation(
    State(app): State<AppState>,
    caller: Caller,
    InvitationPath { id, invitation }: InvitationPath,
    if_match: IfMatch,
) -> Result<Response> {
    let seen = seen(&app, &caller, &id).await?;
    seen.require(Action::Write, Resource::Invitations)?;
    let base = seen.base(if_match)?;
    let reference = invitation.trim().to_ascii_lowercase();
    if !(INVITATION_REF_MIN..=INVITATION_REF_MAX).contains(&reference.len())
        || !reference.bytes().all(|b| b.is_ascii_hexdigit())
    {
        return Err(ApiError::new(
            ErrorCode::InvalidParameter,
            format!(
                "`invitation` must be an invitation's id ({INVITATION_REF_MIN} to {INVITATION_REF_MAX} hex digits of its token hash)"
            ),
        ));
    }
    let mut matching = seen.state.invitations.iter().filter(|i| i.token_hash.starts_with(&reference));
    let (Some(found), None) = (matching.next(), matching.next()) else {
        return Err(ApiError::not_found("this invitation"));
    };
    let unusable = |why: &str| Err(ApiError::new(ErrorCode::InvitationUnusable, format!("this invitation {why}")));
    if found.accepted_by.is_some() {
        return unusable("was already used; its seat is held");
    }
    if found.superseded_at.is_some() {
        return unusable("was already replaced by a newer one");
    }
    if found.revoked_at.is_some() {
        return unusable("was already revoked");
    }
    let payload = Payload::InvitationRevoked { party: found.party.clone(), token_hash: found.token_hash.clone() };
    Ok(written(commit(&app, &seen, base, vec![payload]).await?))
}

pub async fn members(
    State(app): State<AppState>,
    caller: Caller,
    NegotiationPath { id }: NegotiationPath,
) -> Result<Response> {
    let seen = seen(&app, &caller, &id).await?;
    seen.require(Action::Read, Resource::Members)?;
    Ok(Json(seen.view()?.members.unwrap_or_default()).into_response())
}
