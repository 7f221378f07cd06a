//! A party's confidential profile (weights, ratings, red lines, reservation
//! value) and the history of its reservation value; and the party's
//! confirmation of the profile and stances the mediator entered for it.

use accord_core::Profile;
use accord_core::event::{EnteredInput, Payload};
use accord_policy::{Action, Resource};
use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};

use super::{Result, commit, etag, seen, written};
use crate::AppState;
use crate::api::{ConfirmInput, ProfileInput, ReservationEntry, ReservationInput};
use crate::auth::Caller;
use crate::error::ApiError;
use crate::extract::{ApiJson, IfMatch, PartyPath};

pub async fn get_profile(
    State(app): State<AppState>,
    caller: Caller,
    PartyPath { id, party }: PartyPath,
) -> Result<Response> {
    let seen = seen(&app, &caller, &id).await?;
    let party = party.as_str();
    seen.require(Action::Read, Resource::Profile { party })?;
    let profile = accord_policy::view::profile_view(&seen.viewer, &seen.state, party)
        .ok_or_else(|| ApiError::not_found(format!("a profile of \"{party}\"")))?;
    Ok((etag(seen.state.size), Json(profile)).into_response())
}

fn check_unit(value: f64, pointer: &str) -> Result<()> {
    if value.is_finite() && (0.0..=1.0).contains(&value) {
        Ok(())
    } else {
        Err(ApiError::field(pointer, "must be a number from 0 to 1"))
    }
}

pub async fn set_profile(
    State(app): State<AppState>,
    caller: Caller,
    PartyPath { id, party }: PartyPath,
    if_match: IfMatch,
    ApiJson(body): ApiJson<ProfileInput>,
) -> Result<Response> {
    let seen = seen(&app, &caller, &id).await?;
    seen.require(Action::Write, Resource::Profile { party: &party })?;
    let base = seen.base(if_match)?;
    check_unit(body.reservation, "/reservation")?;
    for (i, (_, weight)) in body.weights.iter().enumerate() {
        if !weight.is_finite() || *weight < 0.0 {
            return Err(ApiError::field(format!("/weights/{i}/1"), "must be a finite number of at least 0"));
        }
    }
    let profile = Profile {
        party,
        illustrative: body.illustrative,
        weighting: body.weighting,
        weights: body.weights,
        ratings: body.ratings,
        red_lines: body.red_lines,
        reservation: body.reservation,
        discount_factor: body.discount_factor,
    };
    Ok(written(commit(&app, &seen, base, vec![Payload::ProfileSet { profile }]).await?))
}

pub async fn get_reservations(
    State(app): State<AppState>,
    caller: Caller,
    PartyPath { id, party }: PartyPath,
) -> Result<Response> {
    let seen = seen(&app, &caller, &id).await?;
    let party = party.as_str();
    seen.require(Action::Read, Resource::ReservationHistory { party })?;
    let history: Vec<ReservationEntry> =
        seen.view()?.reservation_history.into_iter().filter(|e| e.party == party).collect();
    Ok(Json(history).into_response())
}

pub async fn change_reservation(
    State(app): State<AppState>,
    caller: Caller,
    PartyPath { id, party }: PartyPath,
    if_match: IfMatch,
    ApiJson(body): ApiJson<ReservationInput>,
) -> Result<Response> {
    let seen = seen(&app, &caller, &id).await?;
    seen.require(Action::Write, Resource::ReservationHistory { party: &party })?;
    let base = seen.base(if_match)?;
    check_unit(body.reservation, "/reservation")?;
    if body.note.as_ref().is_some_and(|n| n.chars().count() > 2000) {
        return Err(ApiError::field("/note", "at most 2,000 characters"));
    }
    if seen.state.negotiation.profile(&party).is_none() {
        return Err(ApiError::field("/reservation", "set your profile first (PUT …/profiles/{party})"));
    }
    let payload = Payload::ReservationChanged { party, reservation: body.reservation, note: body.note };
    Ok(written(commit(&app, &seen, base, vec![payload]).await?))
}

/// `POST …/inputs/{party}/confirm`: the party confirms, as they stand, the
/// profile and stances the mediator entered for it. Only the party itself may
/// (the policy, and the fold again); each input named must be unconfirmed.
pub async fn confirm_inputs(
    State(app): State<AppState>,
    caller: Caller,
    PartyPath { id, party }: PartyPath,
    if_match: IfMatch,
    ApiJson(body): ApiJson<ConfirmInput>,
) -> Result<Response> {
    let seen = seen(&app, &caller, &id).await?;
    seen.require(Action::Write, Resource::EnteredFor { party: &party })?;
    let base = seen.base(if_match)?;
    if !body.profile && body.stances.is_empty() {
        return Err(ApiError::field("", "name what you confirm: `profile`, `stances`, or both"));
    }
    // Each provision at most once, so no list is longer than the text.
    if body.stances.len() > seen.state.negotiation.provisions.len() {
        return Err(ApiError::field("/stances", "more stances than the text has provisions"));
    }
    let pending = |input: &EnteredInput| seen.state.entered_for_party(&party).any(|e| &e.input == input);
    if body.profile && !pending(&EnteredInput::Profile) {
        return Err(ApiError::field("/profile", "your profile was not entered for you, or you already confirmed it"));
    }
    for (i, provision) in body.stances.iter().enumerate() {
        let input = EnteredInput::Stance { provision: provision.clone() };
        if !pending(&input) || body.stances[..i].contains(provision) {
            return Err(ApiError::field(
                format!("/stances/{i}"),
                "this stance was not entered for you, you already confirmed it, or it is named twice",
            ));
        }
    }
    let payload = Payload::InputsConfirmed { party, profile: body.profile, stances: body.stances };
    Ok(written(commit(&app, &seen, base, vec![payload]).await?))
}
