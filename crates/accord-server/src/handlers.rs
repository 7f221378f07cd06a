//! The route handlers. Each one: who is asking ([`Caller`]) → which seat
//! ([`Viewer`]) → may they ([`decide`]) → what do they receive (the policy's
//! filters). Writes are checked against `If-Match`, validated on a copy of the
//! state, and appended; nothing is written when any check fails.

use std::sync::Arc;

use accord_core::event::{Actor, Comment, Event, Payload, State as Folded};
use accord_core::validate::{self, PathSeg};
use accord_core::{Issue, Negotiation, Party, Position, Profile, Provision, Role, Stance, text};
use accord_policy::view::{self, NegotiationView};
use accord_policy::{Action, Decision, Resource, Viewer, decide};
use accord_store::{Account, TokenKind};
use axum::Json;
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use crate::AppState;
use crate::api::*;
use crate::auth::{self, Caller, Via};
use crate::error::{ApiError, FieldError};
use crate::extract::{ApiJson, IfMatch, IntQuery, PathParams, TextQuery};

pub mod process;
pub mod stream;

type Result<T, E = ApiError> = std::result::Result<T, E>;

/// The client IP, for the sign-in rate limit.
#[derive(Debug)]
pub struct ClientIp(String);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self> {
        Ok(ClientIp(auth::client_ip(&parts.extensions)))
    }
}

fn param(params: &PathParams, index: usize) -> Result<&str> {
    params.0.get(index).map(String::as_str).ok_or_else(|| ApiError::new("invalid_parameter", "missing path parameter"))
}

fn number_param(params: &PathParams, index: usize, name: &str) -> Result<u32> {
    param(params, index)?
        .parse()
        .map_err(|_| ApiError::new("invalid_parameter", format!("`{name}` must be a version number (1, 2, …)")))
}

/// The error a denied viewer gets: who you are decides what you learn.
fn denied(viewer: &Viewer) -> ApiError {
    match viewer {
        Viewer::Anonymous => ApiError::new("unauthenticated", "sign in first"),
        // A stranger is not told whether the negotiation exists.
        Viewer::Stranger { .. } => ApiError::not_found("this negotiation"),
        Viewer::Party { role, .. } => {
            ApiError::new("forbidden", format!("a {role} may not do this under the negotiation's policy"))
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
                "conflict",
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
            accord_core::phase::allowed(&next, action, now).map_err(|e| ApiError::new("wrong_phase", e.to_string()))?;
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

// ---------------------------------------------------------------- fallbacks

/// An unknown path: a JSON problem under `/api/`, a page a person can read elsewhere.
pub async fn no_such_route(uri: axum::http::Uri) -> Response {
    if uri.path().starts_with("/api/") {
        ApiError::new("not_found", "no such route; see /api/openapi.json").into_response()
    } else {
        crate::web::page_not_found()
    }
}

pub async fn method_not_allowed() -> ApiError {
    ApiError::new("method_not_allowed", "this route does not take that method; see /api/openapi.json")
}

pub async fn openapi() -> Response {
    Json(crate::openapi::document()).into_response()
}

// ---------------------------------------------------------------- accounts

fn account_view(account: &Account) -> AccountView {
    AccountView { id: account.id.clone(), email: account.email.clone(), display_name: account.display_name.clone() }
}

pub async fn sign_up(State(app): State<AppState>, ApiJson(body): ApiJson<SignUp>) -> Result<Response> {
    let mut errors = Vec::new();
    let email = body.email.trim().to_string();
    if email.len() > 254 || email.chars().any(char::is_whitespace) || !email.contains('@') || email.starts_with('@') {
        errors.push(FieldError { pointer: "/email".into(), message: "must be an email address".into() });
    }
    let password_len = body.password.chars().count();
    if !(8..=1024).contains(&password_len) {
        errors.push(FieldError { pointer: "/password".into(), message: "must be 8 to 1024 characters".into() });
    }
    let display_name = body.display_name.trim().to_string();
    if display_name.is_empty() || display_name.chars().count() > 100 {
        errors.push(FieldError { pointer: "/display_name".into(), message: "must be 1 to 100 characters".into() });
    }
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    if app.store.account_by_email(&email).await?.is_some() {
        return Err(ApiError::new("email_taken", "an account with this email exists; sign in instead"));
    }
    let account = Account {
        id: format!("acct-{}", auth::random_id(8)?),
        email,
        display_name,
        password_hash: auth::hash_password(&app.config, body.password).await?,
        created_at: app.clock.now(),
    };
    match app.store.create_account(&account).await {
        Ok(()) => {}
        Err(accord_store::StoreError::Duplicate { .. }) => {
            return Err(ApiError::new("email_taken", "an account with this email exists; sign in instead"));
        }
        Err(e) => return Err(e.into()),
    }
    Ok((StatusCode::CREATED, Json(account_view(&account))).into_response())
}

async fn check_password(app: &AppState, ip: &str, body: &SignIn) -> Result<Account> {
    app.limit_sign_in(&body.email, ip)?;
    let account = app.store.account_by_email(&body.email).await?;
    let wrong = || ApiError::new("invalid_credentials", "wrong email or password");
    let Some(account) = account else {
        // Spend the same argon2 work as for a real account, so the answer's
        // timing does not reveal which emails have accounts.
        let decoy = app.decoy_hash().await?;
        auth::verify_password(&app.config, body.password.clone(), decoy).await?;
        return Err(wrong());
    };
    if auth::verify_password(&app.config, body.password.clone(), account.password_hash.clone()).await? {
        Ok(account)
    } else {
        Err(wrong())
    }
}

pub async fn sign_in(
    State(app): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiJson(body): ApiJson<SignIn>,
) -> Result<Response> {
    let account = check_password(&app, &ip, &body).await?;
    let token = auth::random_token()?;
    let expires = app.clock.now() + app.config.session_ttl;
    app.store.create_token(&auth::token_hash(&token), &account.id, TokenKind::Session, expires).await?;
    let mut headers = HeaderMap::new();
    if let Ok(cookie) = HeaderValue::from_str(&auth::session_cookie(&token, &app.config)) {
        headers.insert(header::SET_COOKIE, cookie);
    }
    let body = SessionView { account: account_view(&account), csrf_token: Some(auth::csrf_token(&token)) };
    Ok((StatusCode::OK, headers, Json(body)).into_response())
}

pub async fn create_token(
    State(app): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiJson(body): ApiJson<SignIn>,
) -> Result<Response> {
    let account = check_password(&app, &ip, &body).await?;
    let token = format!("accord_{}", auth::random_token()?);
    let expires_at = app.clock.now() + app.config.api_token_ttl;
    app.store.create_token(&auth::token_hash(&token), &account.id, TokenKind::Api, expires_at).await?;
    Ok((StatusCode::CREATED, Json(TokenView { token, expires_at })).into_response())
}

pub async fn sign_out(State(app): State<AppState>, caller: Caller) -> Result<Response> {
    caller.require()?;
    match &caller.via {
        Via::Session { token } | Via::Bearer { token } => app.store.revoke_token(&auth::token_hash(token)).await?,
        Via::None => {}
    }
    let mut headers = HeaderMap::new();
    if let Ok(cookie) = HeaderValue::from_str(&auth::clear_cookie(&app.config)) {
        headers.insert(header::SET_COOKIE, cookie);
    }
    Ok((StatusCode::NO_CONTENT, headers).into_response())
}

pub async fn me(caller: Caller) -> Result<Response> {
    let account = caller.require()?;
    let csrf_token = match &caller.via {
        Via::Session { token } => Some(auth::csrf_token(token)),
        _ => None,
    };
    Ok(Json(SessionView { account: account_view(account), csrf_token }).into_response())
}

// ---------------------------------------------------------------- negotiations

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

fn slug(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
        if out.len() >= 40 {
            break;
        }
    }
    let out = out.trim_end_matches('-').to_string();
    if out.is_empty() { "negotiation".into() } else { out }
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
            }
        }
        (None, None) => {
            return Err(ApiError::field(
                "/scenario_toml",
                "give the scenario file's text, or a `title` for an empty negotiation",
            ));
        }
    };
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
    let profiles = std::mem::take(&mut negotiation.profiles);
    let stances = std::mem::take(&mut negotiation.stances);
    let actor = Actor::Account { account: account.id.clone(), party: Some(creator_party.clone()) };
    let now = app.clock.now();
    let mut payloads = vec![Payload::Created { negotiation, creator_party }];
    payloads.extend(profiles.into_iter().map(|profile| Payload::ProfileSet { profile }));
    payloads.extend(stances.into_iter().map(|stance| Payload::StanceRecorded { stance }));
    let events: Vec<Event> = payloads
        .into_iter()
        .enumerate()
        .map(|(i, payload)| {
            Ok(Event { position: i as u64, actor: actor.clone(), at: now, payload, salt: Some(salt()?) })
        })
        .collect::<Result<_>>()?;
    let state = Folded::from_events(&events).map_err(|e| ApiError::field("/scenario_toml", e.to_string()))?;
    // One batch: the negotiation exists, for every reader and for the clock
    // of every server instance, only once all its creation events are in.
    app.store.append_all(&id, 0, &events).await?;
    app.metrics.appended(events.len() as u64);
    let viewer = Viewer::in_negotiation(&state, Some(&account.id));
    let view = view::view_state(&viewer, &state)
        .ok_or_else(|| ApiError::internal("the creator cannot see the negotiation"))?;
    let mut headers = etag(state.size);
    if let Ok(location) = HeaderValue::from_str(&format!("/api/negotiations/{id}")) {
        headers.insert(header::LOCATION, location);
    }
    Ok((StatusCode::CREATED, headers, Json(view)).into_response())
}

pub async fn get_negotiation(State(app): State<AppState>, caller: Caller, p: PathParams) -> Result<Response> {
    let seen = seen(&app, &caller, param(&p, 0)?).await?;
    let view = seen.view()?;
    Ok((etag(seen.state.size), Json(view)).into_response())
}

pub async fn get_draft(State(app): State<AppState>, caller: Caller, p: PathParams) -> Result<Response> {
    let seen = seen(&app, &caller, param(&p, 0)?).await?;
    seen.require(Action::Read, Resource::Draft)?;
    let draft = seen.view()?.draft.ok_or_else(|| denied(&seen.viewer))?;
    Ok((etag(seen.state.size), Json(draft)).into_response())
}

fn check_id(id: &str, what: &str) -> Result<()> {
    if validate::is_valid_id(id) {
        Ok(())
    } else {
        Err(ApiError::new(
            "invalid_parameter",
            format!(
                "the {what} id must be 1–64 characters of a–z, 0–9, '.', '_' or '-', starting with a letter or digit"
            ),
        ))
    }
}

pub async fn set_provision(
    State(app): State<AppState>,
    caller: Caller,
    p: PathParams,
    if_match: IfMatch,
    ApiJson(body): ApiJson<ProvisionInput>,
) -> Result<Response> {
    let seen = seen(&app, &caller, param(&p, 0)?).await?;
    seen.require(Action::Write, Resource::Draft)?;
    let provision_id = param(&p, 1)?;
    check_id(provision_id, "provision")?;
    let base = seen.base(if_match)?;
    let n = &seen.state.negotiation;
    let others = n.provisions.iter().filter(|x| x.id != provision_id).count();
    let index = body.index.unwrap_or_else(|| n.provisions.iter().position(|x| x.id == provision_id).unwrap_or(others));
    if index > others {
        return Err(ApiError::field("/index", format!("must be at most {others} (the number of other provisions)")));
    }
    let provision = Provision {
        id: provision_id.to_string(),
        number: body.number,
        heading: body.heading,
        body: body.body,
        wordings: body.wordings,
    };
    Ok(written(commit(&app, &seen, base, vec![Payload::ProvisionSet { provision, index }]).await?))
}

pub async fn remove_provision(
    State(app): State<AppState>,
    caller: Caller,
    p: PathParams,
    if_match: IfMatch,
) -> Result<Response> {
    let seen = seen(&app, &caller, param(&p, 0)?).await?;
    seen.require(Action::Write, Resource::Draft)?;
    let provision = param(&p, 1)?.to_string();
    if seen.state.negotiation.provision(&provision).is_none() {
        return Err(ApiError::not_found(format!("provision \"{provision}\"")));
    }
    let base = seen.base(if_match)?;
    Ok(written(commit(&app, &seen, base, vec![Payload::ProvisionRemoved { provision }]).await?))
}

pub async fn set_issue(
    State(app): State<AppState>,
    caller: Caller,
    p: PathParams,
    if_match: IfMatch,
    ApiJson(body): ApiJson<IssueInput>,
) -> Result<Response> {
    let seen = seen(&app, &caller, param(&p, 0)?).await?;
    seen.require(Action::Write, Resource::Draft)?;
    let issue_id = param(&p, 1)?;
    check_id(issue_id, "issue")?;
    let base = seen.base(if_match)?;
    let issue = Issue { id: issue_id.to_string(), title: body.title, kind: body.kind, draft: body.draft };
    if issue.value_count() == 0 {
        return Err(ApiError::field(
            "/kind",
            "the issue has no values (no options, or a range whose step does not divide it)",
        ));
    }
    if let Some(value) = &issue.draft
        && issue.index_of(value).is_none()
    {
        return Err(ApiError::field("/draft", "not one of the issue's values"));
    }
    Ok(written(commit(&app, &seen, base, vec![Payload::IssueSet { issue }]).await?))
}

pub async fn remove_issue(
    State(app): State<AppState>,
    caller: Caller,
    p: PathParams,
    if_match: IfMatch,
) -> Result<Response> {
    let seen = seen(&app, &caller, param(&p, 0)?).await?;
    seen.require(Action::Write, Resource::Draft)?;
    let issue = param(&p, 1)?.to_string();
    if seen.state.negotiation.issue_index(&issue).is_none() {
        return Err(ApiError::not_found(format!("issue \"{issue}\"")));
    }
    let base = seen.base(if_match)?;
    Ok(written(commit(&app, &seen, base, vec![Payload::IssueRemoved { issue }]).await?))
}

pub async fn set_draft_value(
    State(app): State<AppState>,
    caller: Caller,
    p: PathParams,
    if_match: IfMatch,
    ApiJson(body): ApiJson<DraftValueInput>,
) -> Result<Response> {
    let seen = seen(&app, &caller, param(&p, 0)?).await?;
    seen.require(Action::Write, Resource::Draft)?;
    let issue_id = param(&p, 1)?.to_string();
    let n = &seen.state.negotiation;
    let issue = n
        .issue_index(&issue_id)
        .map(|i| &n.issues[i])
        .ok_or_else(|| ApiError::not_found(format!("issue \"{issue_id}\"")))?;
    // Store the value in its canonical written form, so the fold and the text agree on it.
    let index = issue.index_of(&body.value).ok_or_else(|| {
        ApiError::field("/value", format!("not a value of this issue; valid: {}", accord_core::describe_domain(issue)))
    })?;
    let value = issue.value_at(index).ok_or_else(|| ApiError::field("/value", "not a value of this issue"))?;
    let base = seen.base(if_match)?;
    Ok(written(commit(&app, &seen, base, vec![Payload::DraftValueSet { issue: issue_id, value }]).await?))
}

// ---------------------------------------------------------------- stances

pub async fn list_stances(State(app): State<AppState>, caller: Caller, p: PathParams) -> Result<Response> {
    let seen = seen(&app, &caller, param(&p, 0)?).await?;
    seen.require(Action::Read, Resource::StanceCounts)?;
    let view = seen.view()?;
    Ok((etag(seen.state.size), Json(StancesView { stances: view.stances, counts: view.stance_counts })).into_response())
}

pub async fn stance_history(State(app): State<AppState>, caller: Caller, p: PathParams) -> Result<Response> {
    let seen = seen(&app, &caller, param(&p, 0)?).await?;
    seen.require(Action::Read, Resource::StanceCounts)?;
    Ok(Json(seen.view()?.stance_history).into_response())
}

pub async fn set_stance(
    State(app): State<AppState>,
    caller: Caller,
    p: PathParams,
    if_match: IfMatch,
    ApiJson(body): ApiJson<StanceInput>,
) -> Result<Response> {
    let seen = seen(&app, &caller, param(&p, 0)?).await?;
    let party = seen.party().unwrap_or_default().to_string();
    seen.require(Action::Write, Resource::StancePosition { party: &party })?;
    let provision = param(&p, 1)?.to_string();
    if seen.state.negotiation.provision(&provision).is_none() {
        return Err(ApiError::not_found(format!("provision \"{provision}\"")));
    }
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
    let stance = Stance { party, provision, position, reason: body.reason };
    Ok(written(commit(&app, &seen, base, vec![Payload::StanceRecorded { stance }]).await?))
}

// ---------------------------------------------------------------- comments

pub async fn list_comments(State(app): State<AppState>, caller: Caller, p: PathParams) -> Result<Response> {
    let seen = seen(&app, &caller, param(&p, 0)?).await?;
    let me = seen.party().unwrap_or_default().to_string();
    seen.require(Action::Read, Resource::Comment { author: &me, private: false })?;
    Ok(Json(seen.view()?.comments).into_response())
}

pub async fn add_comment(
    State(app): State<AppState>,
    caller: Caller,
    p: PathParams,
    if_match: IfMatch,
    ApiJson(body): ApiJson<CommentInput>,
) -> Result<Response> {
    let seen = seen(&app, &caller, param(&p, 0)?).await?;
    let party = seen.party().unwrap_or_default().to_string();
    seen.require(Action::Write, Resource::Comment { author: &party, private: body.private })?;
    let base = seen.base(if_match)?;
    if seen.state.negotiation.provision(&body.provision).is_none() {
        return Err(ApiError::field("/provision", "no such provision"));
    }
    if view::is_outdated(&seen.state, &body.provision, &body.quote) {
        return Err(ApiError::field("/quote", "the quote must appear in the provision's current text"));
    }
    let length = body.text.trim().chars().count();
    if length == 0 || length > 10_000 {
        return Err(ApiError::field("/text", "must be 1 to 10,000 characters"));
    }
    let comment = Comment {
        id: format!("c-{}", auth::random_id(6)?),
        party,
        provision: body.provision,
        quote: body.quote,
        text: body.text,
        private: body.private,
    };
    let result = commit(&app, &seen, base, vec![Payload::CommentAdded { comment }]).await?;
    Ok((StatusCode::CREATED, etag(result.log_size), Json(result)).into_response())
}

// ---------------------------------------------------------------- profiles

pub async fn get_profile(State(app): State<AppState>, caller: Caller, p: PathParams) -> Result<Response> {
    let seen = seen(&app, &caller, param(&p, 0)?).await?;
    let party = param(&p, 1)?;
    seen.require(Action::Read, Resource::Profile { party })?;
    let profile = seen
        .state
        .negotiation
        .profile(party)
        .cloned()
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
    p: PathParams,
    if_match: IfMatch,
    ApiJson(body): ApiJson<ProfileInput>,
) -> Result<Response> {
    let seen = seen(&app, &caller, param(&p, 0)?).await?;
    let party = param(&p, 1)?.to_string();
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

pub async fn get_reservations(State(app): State<AppState>, caller: Caller, p: PathParams) -> Result<Response> {
    let seen = seen(&app, &caller, param(&p, 0)?).await?;
    let party = param(&p, 1)?;
    seen.require(Action::Read, Resource::ReservationHistory { party })?;
    let history: Vec<ReservationEntry> =
        seen.view()?.reservation_history.into_iter().filter(|e| e.party == party).collect();
    Ok(Json(history).into_response())
}

pub async fn change_reservation(
    State(app): State<AppState>,
    caller: Caller,
    p: PathParams,
    if_match: IfMatch,
    ApiJson(body): ApiJson<ReservationInput>,
) -> Result<Response> {
    let seen = seen(&app, &caller, param(&p, 0)?).await?;
    let party = param(&p, 1)?.to_string();
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

// ---------------------------------------------------------------- invitations and seats

pub async fn list_invitations(State(app): State<AppState>, caller: Caller, p: PathParams) -> Result<Response> {
    let seen = seen(&app, &caller, param(&p, 0)?).await?;
    seen.require(Action::Read, Resource::Invitations)?;
    Ok(Json(seen.view()?.invitations.unwrap_or_default()).into_response())
}

pub async fn invite(
    State(app): State<AppState>,
    caller: Caller,
    p: PathParams,
    if_match: IfMatch,
    ApiJson(body): ApiJson<InviteInput>,
) -> Result<Response> {
    let seen = seen(&app, &caller, param(&p, 0)?).await?;
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
    p: PathParams,
    if_match: IfMatch,
    ApiJson(body): ApiJson<AcceptInput>,
) -> Result<Response> {
    let seen = seen(&app, &caller, param(&p, 0)?).await?;
    if let Viewer::Party { party, .. } = &seen.viewer {
        return Err(ApiError::new(
            "already_seated",
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
        return Err(ApiError::new("invitation_unusable", "this invitation was already used"));
    }
    if app.clock.now() > invitation.expires_at {
        return Err(ApiError::new(
            "invitation_unusable",
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

pub async fn members(State(app): State<AppState>, caller: Caller, p: PathParams) -> Result<Response> {
    let seen = seen(&app, &caller, param(&p, 0)?).await?;
    seen.require(Action::Read, Resource::Members)?;
    Ok(Json(seen.view()?.members.unwrap_or_default()).into_response())
}

// ---------------------------------------------------------------- versions

pub async fn list_versions(State(app): State<AppState>, caller: Caller, p: PathParams) -> Result<Response> {
    let seen = seen(&app, &caller, param(&p, 0)?).await?;
    seen.require(Action::Read, Resource::Versions)?;
    Ok(Json(seen.view()?.versions).into_response())
}

pub async fn publish_version(
    State(app): State<AppState>,
    caller: Caller,
    p: PathParams,
    if_match: IfMatch,
    ApiJson(_): ApiJson<PublishInput>,
) -> Result<Response> {
    let seen = seen(&app, &caller, param(&p, 0)?).await?;
    seen.require(Action::Write, Resource::Versions)?;
    let base = seen.base(if_match)?;
    let n = &seen.state.negotiation;
    let package = n.draft_package();
    let version = text::render(n, &package)
        .map_err(|e| ApiError::field("/negotiation/provisions", format!("the draft cannot be rendered: {e}")))?;
    let number = seen.state.versions.last().map_or(1, |v| v.number.saturating_add(1));
    let content_hash = version.content_hash_hex();
    let result =
        commit(&app, &seen, base, vec![Payload::VersionPublished { number, package, version, content_hash }]).await?;
    Ok((StatusCode::CREATED, etag(result.log_size), Json(result)).into_response())
}

fn find_version(seen: &Seen, number: u32) -> Result<PublishedVersionView> {
    let v = seen
        .state
        .versions
        .iter()
        .find(|v| v.number == number)
        .ok_or_else(|| ApiError::not_found(format!("version {number}")))?;
    Ok(PublishedVersionView {
        number: v.number,
        position: v.position,
        at: v.at,
        content_hash: v.content_hash.clone(),
        version: v.version.clone(),
    })
}

pub async fn get_version(State(app): State<AppState>, caller: Caller, p: PathParams) -> Result<Response> {
    let seen = seen(&app, &caller, param(&p, 0)?).await?;
    seen.require(Action::Read, Resource::Versions)?;
    let number = number_param(&p, 1, "number")?;
    Ok(Json(find_version(&seen, number)?).into_response())
}

pub async fn diff_versions(State(app): State<AppState>, caller: Caller, p: PathParams) -> Result<Response> {
    let seen = seen(&app, &caller, param(&p, 0)?).await?;
    seen.require(Action::Read, Resource::Versions)?;
    let from = find_version(&seen, number_param(&p, 1, "number")?)?;
    let to = find_version(&seen, number_param(&p, 2, "other")?)?;
    Ok(Json(diff(&from, &to)).into_response())
}

pub(crate) fn diff(from: &PublishedVersionView, to: &PublishedVersionView) -> VersionDiff {
    use similar::{ChangeTag, TextDiff};
    let old = &from.version.provisions;
    let new = &to.version.provisions;
    let render = |p: &text::RenderedProvision| format!("{} {}\n{}\n", p.number, p.heading, p.text);
    let mut ids: Vec<&str> = new.iter().map(|p| p.id.as_str()).collect();
    for p in old {
        if !ids.contains(&p.id.as_str()) {
            ids.push(&p.id);
        }
    }
    let provisions = ids
        .into_iter()
        .map(|id| {
            let before = old.iter().find(|p| p.id == id).map(render).unwrap_or_default();
            let after = new.iter().find(|p| p.id == id).map(render).unwrap_or_default();
            let change = match (before.is_empty(), after.is_empty()) {
                (true, _) => "added",
                (_, true) => "removed",
                _ if before == after => "same",
                _ => "changed",
            };
            let text_diff = TextDiff::from_lines(&before, &after);
            let mut lines = Vec::new();
            for op in text_diff.ops() {
                for change in text_diff.iter_inline_changes(op) {
                    let tag = match change.tag() {
                        ChangeTag::Equal => "equal",
                        ChangeTag::Delete => "delete",
                        ChangeTag::Insert => "insert",
                    };
                    let segments = change
                        .iter_strings_lossy()
                        .map(|(emphasized, text)| DiffSegment { text: text.into_owned(), emphasized })
                        .collect();
                    lines.push(DiffLine { tag: tag.to_string(), segments });
                }
            }
            ProvisionDiff { id: id.to_string(), change: change.to_string(), lines }
        })
        .collect();
    VersionDiff { from: from.number, to: to.number, provisions }
}

// ---------------------------------------------------------------- analysis

fn run_analysis(viewer: &Viewer, negotiation: &Negotiation) -> Result<serde_json::Value> {
    use accord_engine::{balance, bargain, compile, improve, repair, zopa};
    let unavailable = |e: accord_engine::EngineError| ApiError::new("analysis_unavailable", e.to_string());
    let problem = compile::compile(negotiation).map_err(unavailable)?;
    let floors: Vec<f64> = problem.parties.iter().map(|p| p.reservation).collect();
    let search = zopa::ZopaOptions { max_nodes: 2_000_000, max_memo: 200_000 };
    let zopa = zopa::zopa_with(&problem, &search);
    let solutions = vec![
        ("nash", bargain::nash(&problem, &floors).map_err(|e| e.to_string())),
        ("kalai_smorodinsky", bargain::kalai_smorodinsky(&problem).map_err(|e| e.to_string())),
        ("egalitarian", bargain::egalitarian(&problem).map_err(|e| e.to_string())),
    ];
    let package = negotiation.draft_package();
    let options = repair::RepairOptions {
        max_subsets: 200_000,
        search: zopa::ZopaOptions { max_nodes: 200_000, max_memo: 50_000 },
    };
    let repair = repair::repair_with(&problem, &package.0, &options).map_err(|e| e.to_string());
    let improvement = improve::improve(&problem, &package.0).map_err(|e| e.to_string());
    let balance = balance::balance(negotiation, &package);
    let raw = accord_policy::analysis::RawAnalysis {
        negotiation,
        problem: &problem,
        zopa,
        solutions,
        repair,
        improvement,
        balance,
    };
    let view = accord_policy::analysis::filter_analysis(viewer, &raw).ok_or_else(|| denied(viewer))?;
    serde_json::to_value(view).map_err(ApiError::internal)
}

pub async fn analysis(State(app): State<AppState>, caller: Caller, p: PathParams) -> Result<Response> {
    let seen = seen(&app, &caller, param(&p, 0)?).await?;
    seen.require(Action::Read, Resource::Analysis)?;
    let value = analysis_value(&app, &seen).await?;
    Ok((etag(seen.state.size), Json((*value).clone())).into_response())
}

/// The analysis as `seen`'s viewer may see it, from the cache or computed
/// (off the async threads). The caller has checked `Resource::Analysis`.
async fn analysis_value(app: &AppState, seen: &Seen) -> Result<Arc<serde_json::Value>> {
    let key = (seen.id.clone(), seen.state.size, seen.party().unwrap_or_default().to_string());
    let cached = app.analysis_cache.lock().unwrap_or_else(|e| e.into_inner()).get(&key).cloned();
    if let Some(value) = cached {
        return Ok(value);
    }
    let viewer = seen.viewer.clone();
    let state = seen.state.clone();
    let started = std::time::Instant::now();
    let value = tokio::task::spawn_blocking(move || run_analysis(&viewer, &state.negotiation))
        .await
        .map_err(ApiError::internal)??;
    app.metrics.analysed(started.elapsed().as_secs_f64());
    let value = Arc::new(value);
    app.analysis_cache.lock().unwrap_or_else(|e| e.into_inner()).insert(key, value.clone());
    Ok(value)
}

/// The Pareto frontier of the individually rational packages, in normalised
/// gains of every analysis party, and the draft's gains: what every pair's
/// chart is cut from. Holds gains of every party, so it never leaves the
/// server whole; [`pareto`] hands out the two columns the policy allows.
#[derive(Debug)]
pub(crate) struct FrontierGains {
    parties: Vec<String>,
    points: Vec<Vec<f64>>,
    draft: Vec<f64>,
}

/// Most partial or final points the engine may hold while building the
/// frontier; past it the engine gives up (`TooLarge`) and the route says so
/// with 422, rather than drawing a partial frontier.
const FRONTIER_MAX_POINTS: usize = 200_000;

fn frontier_gains(negotiation: &Negotiation) -> Result<FrontierGains> {
    use accord_engine::{compile, frontier};
    use accord_policy::analysis::{ideals, normalised_gain};
    let unavailable = |e: accord_engine::EngineError| ApiError::new("analysis_unavailable", e.to_string());
    let problem = compile::compile(negotiation).map_err(unavailable)?;
    let ideals = ideals(&problem);
    let gains = |utilities: &[f64]| -> Vec<f64> {
        problem
            .parties
            .iter()
            .zip(&ideals)
            .zip(utilities)
            .map(|((party, &ideal), &utility)| normalised_gain(utility, party.reservation, ideal))
            .collect()
    };
    let options = frontier::FrontierOptions { max_points: FRONTIER_MAX_POINTS, packages_cap: 1, progress: None };
    let frontier = frontier::pareto_frontier(&problem, &options).map_err(unavailable)?;
    let draft = negotiation.draft_package();
    Ok(FrontierGains {
        parties: problem.parties.iter().map(|p| p.id.clone()).collect(),
        points: frontier.points.iter().map(|p| gains(&p.utilities)).collect(),
        draft: gains(&problem.utilities(&draft.0)),
    })
}

/// The frontier at the negotiation's current log size: one per negotiation
/// is kept, so switching the pair on the page does not recompute it.
async fn frontier_of(app: &AppState, seen: &Seen) -> Result<Arc<FrontierGains>> {
    let size = seen.state.size;
    let cached = app
        .frontier_cache
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get(&seen.id)
        .filter(|(at, _)| *at == size)
        .map(|(_, gains)| gains.clone());
    if let Some(gains) = cached {
        return Ok(gains);
    }
    let state = seen.state.clone();
    let gains =
        tokio::task::spawn_blocking(move || frontier_gains(&state.negotiation)).await.map_err(ApiError::internal)??;
    let gains = Arc::new(gains);
    let mut cache = app.frontier_cache.lock().unwrap_or_else(|e| e.into_inner());
    // Keep whichever is newer: a concurrent request may have computed a later size.
    if cache.get(&seen.id).is_none_or(|(at, _)| *at < size) {
        cache.insert(seen.id.clone(), (size, gains.clone()));
    }
    Ok(gains)
}

/// The N-party frontier seen on two axes: the pairs no other pair beats on
/// both, ascending in the first.
fn project(points: &[Vec<f64>], a: usize, b: usize) -> Vec<GainPair> {
    let mut pairs: Vec<(f64, f64)> = points.iter().filter_map(|gains| Some((*gains.get(a)?, *gains.get(b)?))).collect();
    pairs.sort_by(|x, y| y.0.total_cmp(&x.0).then(y.1.total_cmp(&x.1)));
    let mut kept: Vec<GainPair> = Vec::new();
    // Descending in a, so a pair survives only if it beats every kept pair on b.
    for (a, b) in pairs {
        if kept.last().is_none_or(|last| b > last.b + accord_engine::TOL) {
            kept.push(GainPair { a, b });
        }
    }
    kept.reverse();
    kept
}

/// The analysis's suggested packages on the pair's axes.
fn suggestions_on(analysis: &accord_policy::analysis::AnalysisView, a: &str, b: &str) -> Vec<ParetoSuggestion> {
    use accord_policy::analysis::{ImprovementView, PackageView, RepairView};
    let solutions =
        analysis.solutions.iter().filter_map(|s| Some((s.name.as_str(), s.package.result.as_ref()?.as_ref()?)));
    let repair = match &analysis.repair.result {
        Some(RepairView::Repaired { package, .. }) => Some(("repair", package)),
        _ => None,
    };
    let improvement = match &analysis.improvement.result {
        Some(ImprovementView::Better { package }) => Some(("improvement", package)),
        _ => None,
    };
    solutions
        .chain(repair)
        .chain(improvement)
        .filter_map(|(kind, package): (&str, &PackageView)| {
            let gain = |party: &str| package.outcomes.iter().find(|o| o.party == party).map(|o| o.normalised_gain);
            Some(ParetoSuggestion { kind: kind.to_string(), a: gain(a)?, b: gain(b)? })
        })
        .collect()
}

pub async fn pareto(State(app): State<AppState>, caller: Caller, p: PathParams, q: TextQuery) -> Result<Response> {
    let seen = seen(&app, &caller, param(&p, 0)?).await?;
    seen.require(Action::Read, Resource::Analysis)?;
    let a = q.required("a", "the party on the horizontal axis")?;
    let b = q.required("b", "the party on the vertical axis")?;
    // Normalised gains are all a redacted utility shows; a denied one shows nothing.
    for party in [a, b] {
        if decide(&seen.viewer, Action::Read, &Resource::Utility { party }) == Decision::Deny {
            return Err(denied(&seen.viewer));
        }
    }
    let value = analysis_value(&app, &seen).await?;
    let analysis = accord_policy::analysis::AnalysisView::deserialize(value.as_ref())
        .map_err(|e| ApiError::internal(format!("reading the analysis: {e}")))?;
    let position = |key: &str, party: &str| {
        analysis.parties.iter().position(|p| p == party).ok_or_else(|| {
            ApiError::field(
                format!("/query/{key}"),
                format!(
                    "`{party}` is not a party of the analysis (signatories with a profile: {})",
                    analysis.parties.join(", ")
                ),
            )
        })
    };
    let (ia, ib) = (position("a", a)?, position("b", b)?);
    if ia == ib {
        return Err(ApiError::field("/query/b", "`b` must be another party than `a`"));
    }
    let frontier = frontier_of(&app, &seen).await?;
    // The analysis and the frontier compile the same state, so they list the same parties.
    if frontier.parties != analysis.parties {
        return Err(ApiError::internal("the frontier and the analysis disagree on the parties"));
    }
    let draft = GainPair {
        a: frontier.draft.get(ia).copied().unwrap_or_default(),
        b: frontier.draft.get(ib).copied().unwrap_or_default(),
    };
    let view = ParetoView {
        a: a.to_string(),
        b: b.to_string(),
        frontier: project(&frontier.points, ia, ib),
        draft,
        suggestions: suggestions_on(&analysis, a, b),
        points_considered: frontier.points.len(),
    };
    Ok((etag(seen.state.size), Json(view)).into_response())
}

pub async fn balance(State(app): State<AppState>, caller: Caller, p: PathParams) -> Result<Response> {
    let seen = seen(&app, &caller, param(&p, 0)?).await?;
    let party = seen.party().unwrap_or_default().to_string();
    seen.require(Action::Read, Resource::Balance { party: &party })?;
    let n = &seen.state.negotiation;
    if n.profile(&party).is_none() {
        return Err(ApiError::not_found("your profile (set it first, then ask for your balance)"));
    }
    let all = accord_engine::balance::balance(n, &n.draft_package());
    let mine: Vec<_> =
        accord_policy::analysis::filter_balance(&seen.viewer, &all).into_iter().filter(|b| b.party == party).collect();
    Ok(Json(mine).into_response())
}

// ---------------------------------------------------------------- the log and its proofs

pub async fn events(State(app): State<AppState>, caller: Caller, p: PathParams, q: IntQuery) -> Result<Response> {
    let seen = seen(&app, &caller, param(&p, 0)?).await?;
    seen.require(Action::Read, Resource::EventLog)?;
    let size = seen.state.size;
    let from = q.get("from").unwrap_or(0).min(size);
    let to = q.get("to").unwrap_or(size).min(size);
    let stored = if from < to { app.store.events(&seen.id, from, Some(to)).await? } else { Vec::new() };
    let entries =
        stored.iter().filter_map(|s| view::filter_event(&seen.viewer, &s.event, &s.bytes, &s.leaf_hash)).collect();
    Ok((etag(size), Json(EventsView { log_size: size, entries })).into_response())
}

pub async fn checkpoint(State(app): State<AppState>, caller: Caller, p: PathParams, q: IntQuery) -> Result<Response> {
    let seen = seen(&app, &caller, param(&p, 0)?).await?;
    seen.require(Action::Read, Resource::EventLog)?;
    let size = q.get("size").unwrap_or(seen.state.size);
    if size > seen.state.size {
        return Err(ApiError::new(
            "invalid_parameter",
            format!("`size` is beyond the log, which holds {} events", seen.state.size),
        ));
    }
    Ok(Json(app.store.checkpoint(&seen.id, size).await?).into_response())
}

pub async fn inclusion_proof(
    State(app): State<AppState>,
    caller: Caller,
    p: PathParams,
    q: IntQuery,
) -> Result<Response> {
    let seen = seen(&app, &caller, param(&p, 0)?).await?;
    seen.require(Action::Read, Resource::EventLog)?;
    let index =
        q.get("index").ok_or_else(|| ApiError::new("invalid_parameter", "give `index`, the event's position"))?;
    let size = q.get("size").unwrap_or(seen.state.size);
    if size > seen.state.size || index >= size {
        return Err(ApiError::new(
            "invalid_parameter",
            format!("need index < size <= {} (the log size); got index {index}, size {size}", seen.state.size),
        ));
    }
    Ok(Json(app.store.inclusion_proof(&seen.id, index, size).await?).into_response())
}

pub async fn consistency_proof(
    State(app): State<AppState>,
    caller: Caller,
    p: PathParams,
    q: IntQuery,
) -> Result<Response> {
    let seen = seen(&app, &caller, param(&p, 0)?).await?;
    seen.require(Action::Read, Resource::EventLog)?;
    let from = q.get("from").ok_or_else(|| ApiError::new("invalid_parameter", "give `from`, the older size"))?;
    let to = q.get("to").unwrap_or(seen.state.size);
    if to > seen.state.size || from > to {
        return Err(ApiError::new(
            "invalid_parameter",
            format!("need from <= to <= {} (the log size); got from {from}, to {to}", seen.state.size),
        ));
    }
    Ok(Json(app.store.consistency_proof(&seen.id, from, to).await?).into_response())
}
