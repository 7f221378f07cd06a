//! Negotiations as a whole: the caller's list, creation (from a scenario or
//! empty, as one batch of events) and the negotiation as the caller may see it.

use accord_core::event::{Actor, State as Folded};
use accord_core::plan::PlanError;
use accord_core::{Negotiation, Party, Role};
use accord_policy::view;
use accord_policy::{Action, Resource, Viewer, decide};
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::{Result, check_event_quota, denied, etag, plan_error, salt_source, seen};
use crate::AppState;
use crate::ErrorCode;
use crate::api::{CreateNegotiation, NegotiationListItem};
use crate::auth::{self, Caller};
use crate::error::{ApiError, FieldError};
use crate::extract::{ApiJson, NegotiationPath};

pub async fn list_negotiations(State(app): State<AppState>, caller: Caller) -> Result<Response> {
    let account = caller.require()?;
    if !decide(&Viewer::outside(Some(&account.id)), Action::Read, &Resource::NegotiationList).allowed() {
        return Err(denied(&Viewer::outside(Some(&account.id))));
    }
    let mut out = Vec::new();
    for id in app.store.negotiations().await? {
        let Some(state) = app.state(&id).await? else { continue };
        if let Viewer::Party { party, role, .. } = Viewer::in_negotiation(&state, Some(&account.id)) {
            out.push(NegotiationListItem {
                id,
                title: state.negotiation.title.clone(),
                party,
                role,
                log_size: state.size,
            });
        }
    }
    Ok(Json(out).into_response())
}

/// Anyone can sign up, so one account must not be able to fill the store:
/// it may mediate at most `Config::negotiations_per_account` negotiations.
async fn check_quota(app: &AppState, account: &str) -> Result<()> {
    let quota = app.config.negotiations_per_account;
    let mut mediated = 0;
    for id in app.store.negotiations().await? {
        let Some(state) = app.state(&id).await? else { continue };
        if matches!(Viewer::in_negotiation(&state, Some(account)), Viewer::Party { role: Role::Mediator, .. }) {
            mediated += 1;
        }
        if mediated >= quota {
            return Err(ApiError::new(
                ErrorCode::QuotaExceeded,
                format!("your account already mediates {quota} negotiations, its quota; ask the operator for more"),
            ));
        }
    }
    Ok(())
}

fn slug(text: &str) -> String {
    accord_formats::document::slug(text, "negotiation")
}

pub async fn create_negotiation(
    State(app): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<CreateNegotiation>,
) -> Result<Response> {
    let account = caller.require()?.clone();
    let outsider = Viewer::outside(Some(&account.id));
    if !decide(&outsider, Action::Write, &Resource::Negotiation).allowed() {
        return Err(denied(&outsider));
    }
    check_quota(&app, &account.id).await?;
    let mut negotiation = match (&body.scenario_toml, &body.title) {
        (Some(source), _) => accord_formats::scenario::parse(source, "scenario.toml").map_err(|errors| {
            ApiError::validation(
                errors
                    .diagnostics
                    .iter()
                    .map(|d| FieldError {
                        pointer: "/scenario_toml".into(),
                        message: format!(
                            "line {}, column {}: {}{}",
                            d.line,
                            d.column,
                            d.message,
                            d.hint.as_ref().map(|h| format!(" ({h})")).unwrap_or_default()
                        ),
                    })
                    .collect(),
            )
        })?,
        (None, Some(title)) => {
            let title = title.trim();
            if title.is_empty() || title.chars().count() > 200 {
                return Err(ApiError::field("/title", "must be 1 to 200 characters"));
            }
            Negotiation {
                id: String::new(),
                title: title.to_string(),
                description: String::new(),
                parties: vec![Party {
                    id: "mediator".into(),
                    name: account.display_name.clone(),
                    role: Role::Mediator,
                }],
                issues: Vec::new(),
                provisions: Vec::new(),
                constraints: Vec::new(),
                timetable: Default::default(),
                profiles: Vec::new(),
                stances: Vec::new(),
                privacy: Default::default(),
            }
        }
        (None, None) => {
            return Err(ApiError::field(
                "/scenario_toml",
                "give the scenario file's text, or a `title` for an empty negotiation",
            ));
        }
    };
    if let Some(sharing) = body.parties_see_working_draft {
        negotiation.privacy.parties_see_working_draft = sharing;
    }
    let phases = &mut negotiation.timetable.phases;
    if let (Some(start), Some(first)) = (body.timetable_from, phases.first().map(|p| p.start)) {
        let shift = start - first;
        for phase in phases.iter_mut() {
            phase.start += shift;
            phase.end += shift;
        }
    }
    if let Some(last) = phases.last().filter(|p| p.end <= app.clock.now()) {
        return Err(ApiError::field(
            if body.timetable_from.is_some() { "/timetable_from" } else { "/scenario_toml" },
            format!(
                "the timetable is over: its last phase, \"{}\", ended at {}; move its dates, or send `timetable_from` \
                 to start the first phase then (e.g. now)",
                last.id,
                last.end.format("%Y-%m-%d %H:%M UTC")
            ),
        ));
    }
    let creator_party = match &body.creator_party {
        Some(party) => match negotiation.party(party) {
            Some(p) if p.role == Role::Mediator => party.clone(),
            Some(_) => {
                return Err(ApiError::field(
                    "/creator_party",
                    "the creator takes a mediator's seat; this party is not a mediator",
                ));
            }
            None => return Err(ApiError::field("/creator_party", "no such party in the scenario")),
        },
        None => match negotiation.parties_with_role(Role::Mediator).next() {
            Some(p) => p.id.clone(),
            None => {
                return Err(ApiError::field("/scenario_toml", "the scenario has no mediator party for you to take"));
            }
        },
    };
    let base = if negotiation.id.is_empty() { slug(&negotiation.title) } else { slug(&negotiation.id) };
    let id = format!("{base}-{}", auth::random_id(3)?);
    negotiation.id = id.clone();
    let actor = Actor::Account { account: account.id.clone(), party: Some(creator_party.clone()) };
    let plan = Folded::plan_creation(&actor, negotiation, creator_party, app.clock.now(), &mut salt_source()).map_err(
        |e| match e {
            PlanError::Fold(e) => ApiError::field("/scenario_toml", e.to_string()),
            other => plan_error(other),
        },
    )?;
    check_event_quota(&app, 0, plan.events().len())?;
    // One batch: the negotiation exists, for every reader and for the clock
    // of every server instance, only once all its creation events are in.
    app.store.append_all(&id, 0, plan.events()).await?;
    app.metrics.appended(plan.events().len() as u64);
    let state = plan.state();
    let viewer = Viewer::in_negotiation(state, Some(&account.id));
    let view =
        view::view_state(&viewer, state).ok_or_else(|| ApiError::internal("the creator cannot see the negotiation"))?;
    let mut headers = etag(state.size);
    if let Ok(location) = HeaderValue::from_str(&format!("/api/negotiations/{id}")) {
        headers.insert(header::LOCATION, location);
    }
    Ok((StatusCode::CREATED, headers, Json(view)).into_response())
}

pub async fn get_negotiation(
    State(app): State<AppState>,
    caller: Caller,
    NegotiationPath { id }: NegotiationPath,
) -> Result<Response> {
    let seen = seen(&app, &caller, &id).await?;
    let view = seen.view()?;
    Ok((etag(seen.state.size), Json(view)).into_response())
}
