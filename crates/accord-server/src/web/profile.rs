//! `/n/{id}/profile`: my weights (with their normalised shares), a rating per
//! option, red lines, my reservation value and its history, what the draft
//! gives me, and my balance per provision. Only the viewer's own profile: the
//! API refuses anyone else's to a party.

use accord_core::{Condition, Issue, IssueKind, Profile, Rating, Test, Weighting};
use accord_policy::analysis::BalanceView;
use accord_policy::view::{ProfileView, ReservationEntry};
use accord_policy::{Action, Resource};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;

use super::load::{Loaded, load};
use super::{
    FieldProblem, Form, Layout, PageError, api, api_write, form_status, format, problems, render, require_account,
    see_other,
};
use crate::AppState;
use crate::ErrorCode;
use crate::api::{ConfirmInput, ProfileInput, ReservationInput};
use crate::auth::Caller;
use crate::error::ApiError;
use crate::extract::{ApiJson, IfMatch, NegotiationPath, PartyPath};
use crate::handlers;

#[derive(Debug, Clone)]
pub(crate) struct OptionRow {
    pub index: usize,
    pub label: String,
    pub rating: String,
    pub red_line: bool,
}

#[derive(Debug, Clone)]
pub(crate) struct IssueRow {
    pub id: String,
    pub title: String,
    /// 0–100 on the slider.
    pub weight: u32,
    /// The weight's normalised share, "23 %".
    pub share: String,
    /// Discrete issues: a rating and a red-line box per option.
    pub options: Vec<OptionRow>,
    /// Numeric issues: how the rating reads (kept as it is; the form does not edit it).
    pub numeric: Option<String>,
    /// A problem with this issue's fields from the last post.
    pub problem: Option<String>,
}

#[derive(Debug, Clone)]
pub(crate) struct HistoryRow {
    pub at: String,
    pub value: String,
    pub note: String,
}

#[derive(askama::Template)]
#[template(path = "profile.html")]
struct ProfilePage {
    layout: Layout,
    id: String,
    base: u64,
    may_edit: bool,
    has_profile: bool,
    illustrative: bool,
    issues: Vec<IssueRow>,
    reservation: String,
    history: Vec<HistoryRow>,
    history_chart: String,
    draft_bar: String,
    draft_utility: Option<String>,
    balance_chart: String,
    balance: Vec<(String, String)>,
    /// The mediator entered this profile for the viewer and it has not
    /// confirmed or replaced it: shown as a proposal to confirm or change.
    entered_by_mediator: bool,
}

fn weight_of(profile: Option<&Profile>, issue: &str) -> f64 {
    profile.and_then(|p| p.weights.iter().find(|(i, _)| i == issue)).map_or(0.0, |(_, w)| *w)
}

fn rating_of(profile: Option<&Profile>, issue: &Issue, index: usize) -> Option<f64> {
    let rating = &profile?.ratings.iter().find(|(i, _)| i == &issue.id)?.1;
    match (rating, &issue.kind) {
        (Rating::Table(table), IssueKind::Discrete { options }) => {
            let id = &options.get(index)?.id;
            Some(table.iter().find(|(o, _)| o == id).map_or(0.0, |(_, r)| *r))
        }
        _ => None,
    }
}

fn is_red_line(profile: Option<&Profile>, issue: &Issue, index: usize) -> bool {
    profile.is_some_and(|p| p.red_lines.iter().any(|c| c.issue == issue.id && c.matches(issue, index)))
}

fn describe_numeric(profile: Option<&Profile>, issue: &Issue) -> String {
    match profile.and_then(|p| p.ratings.iter().find(|(i, _)| i == &issue.id)).map(|(_, r)| r) {
        Some(Rating::Piecewise(points)) => {
            points.iter().map(|(x, r)| format!("{x} → {r:.2}")).collect::<Vec<_>>().join(", ")
        }
        Some(Rating::Linear { offset, slope, origin }) => {
            format!("{offset} + {slope} × (value − {origin}), within 0..1")
        }
        Some(Rating::Table(_)) | None => "not rated".to_string(),
    }
}

fn percent(x: f64) -> String {
    format!("{:.0} %", x * 100.0)
}

async fn profile_view(
    app: &AppState,
    caller: &Caller,
    id: &str,
    problems: Vec<FieldProblem>,
) -> Result<ProfilePage, PageError> {
    let loaded: Loaded = load(app, caller, id, &format!("/n/{id}/profile")).await?;
    let me = loaded.party().to_string();
    let path = || PartyPath { id: id.to_string(), party: me.clone() };
    let may_read = !me.is_empty() && loaded.may(Action::Read, Resource::Profile { party: &me });
    let profile: Option<ProfileView> = if may_read {
        match api::<ProfileView>(handlers::profiles::get_profile(State(app.clone()), caller.clone(), path())).await {
            Ok(profile) => Some(profile),
            Err(error) if error.code == ErrorCode::NotFound => None,
            Err(error) => return Err(error.into()),
        }
    } else {
        None
    };
    let entered_by_mediator = profile.as_ref().is_some_and(|p| p.entered_by_mediator);
    let profile: Option<Profile> = profile.map(|p| p.profile);
    let issues_source: Vec<Issue> = loaded.view.draft.as_ref().map(|d| d.issues.clone()).unwrap_or_default();
    let total: f64 = issues_source.iter().map(|i| weight_of(profile.as_ref(), &i.id)).sum();
    let max = issues_source.iter().map(|i| weight_of(profile.as_ref(), &i.id)).fold(0.0f64, f64::max);
    let issues = issues_source
        .iter()
        .map(|issue| {
            let w = weight_of(profile.as_ref(), &issue.id);
            IssueRow {
                id: issue.id.clone(),
                title: issue.title.clone(),
                weight: if max > 0.0 { (w / max * 100.0).round() as u32 } else { 50 },
                share: if total > 0.0 { percent(w / total) } else { "—".into() },
                options: match &issue.kind {
                    IssueKind::Discrete { options } => options
                        .iter()
                        .enumerate()
                        .map(|(index, o)| OptionRow {
                            index,
                            label: o.label.clone(),
                            rating: rating_of(profile.as_ref(), issue, index)
                                .map_or_else(String::new, |r| format!("{r}")),
                            red_line: is_red_line(profile.as_ref(), issue, index),
                        })
                        .collect(),
                    IssueKind::Numeric(_) => Vec::new(),
                },
                numeric: matches!(issue.kind, IssueKind::Numeric(_)).then(|| describe_numeric(profile.as_ref(), issue)),
                problem: problems
                    .iter()
                    .find(|p| {
                        p.field.starts_with(&format!("weight.{}", issue.id))
                            || p.field.starts_with(&format!("rating.{}.", issue.id))
                    })
                    .map(|p| p.message.clone()),
            }
        })
        .collect();
    let history_entries: Vec<ReservationEntry> = if may_read && profile.is_some() {
        api(handlers::profiles::get_reservations(State(app.clone()), caller.clone(), path())).await?
    } else {
        Vec::new()
    };
    let party_name = loaded.party_name(&me);
    let history_chart = if history_entries.is_empty() {
        String::new()
    } else {
        accord_charts::reservation_history(&accord_charts::ReservationHistoryChart {
            id: "reservation-history".into(),
            party: party_name.clone(),
            changes: history_entries
                .iter()
                .map(|e| accord_charts::ReservationChange { at: e.point.at, value: e.point.reservation })
                .collect(),
            now: Some(app.clock.now()),
        })
    };
    let history = history_entries
        .iter()
        .rev()
        .map(|e| HistoryRow {
            at: format::when(e.point.at),
            value: format!("{:.2}", e.point.reservation),
            note: e.point.note.clone().unwrap_or_default(),
        })
        .collect();
    let mine: Vec<BalanceView> = if profile.is_some() && loaded.may(Action::Read, Resource::Balance { party: &me }) {
        api(handlers::analysis::balance(State(app.clone()), caller.clone(), NegotiationPath { id: id.to_string() }))
            .await?
    } else {
        Vec::new()
    };
    let my_balance = mine.into_iter().find(|b| b.party == me);
    let draft_utility = my_balance.as_ref().and_then(|b| b.utility);
    let draft_bar = match (&profile, draft_utility) {
        (Some(p), Some(u)) => accord_charts::utility_bar(&accord_charts::UtilityBarChart {
            id: "draft-gives-me".into(),
            party: party_name.clone(),
            subject: "the current draft".into(),
            utility: Some(u),
            reservation: Some(p.reservation),
        }),
        _ => String::new(),
    };
    let balance_rows: Vec<(String, f64)> = my_balance
        .as_ref()
        .map(|b| b.per_provision.iter().map(|s| (s.provision.clone(), s.normalised)).collect())
        .unwrap_or_default();
    let balance_chart = match &my_balance {
        Some(b) if !b.per_provision.is_empty() => accord_charts::balance(&accord_charts::BalanceChart {
            id: "my-balance".into(),
            party: party_name,
            provisions: b
                .per_provision
                .iter()
                .map(|s| accord_charts::ProvisionBalance {
                    provision: s.provision.clone(),
                    score: s.normalised * 2.0 - 1.0,
                })
                .collect(),
        }),
        _ => String::new(),
    };
    let mut layout = Layout::new(format!("My profile — {}", loaded.view.title), "profile", loaded.session.clone())
        .with_nav(loaded.nav("profile"))
        .with_scripts(&["live.js", "charts.js", "profile.js"]);
    layout.problems = problems;
    Ok(ProfilePage {
        layout,
        id: id.to_string(),
        base: loaded.view.log_size,
        may_edit: !me.is_empty() && loaded.may(Action::Write, Resource::Profile { party: &me }),
        has_profile: profile.is_some(),
        illustrative: profile.as_ref().is_some_and(|p| p.illustrative),
        issues,
        reservation: profile.as_ref().map_or_else(|| "0.5".into(), |p| format!("{}", p.reservation)),
        history,
        history_chart,
        draft_bar,
        draft_utility: draft_utility.map(|u| format!("{u:.2}")),
        balance_chart,
        balance: balance_rows.into_iter().map(|(p, n)| (p, percent(n))).collect(),
        entered_by_mediator,
    })
}

pub(crate) async fn profile_page(
    State(app): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let page = profile_view(&app, &caller, &id, Vec::new()).await?;
    render(StatusCode::OK, &page)
}

fn number(form: &Form, name: &str, pointer_field: &str) -> Result<Option<f64>, ApiError> {
    let text = form.text(name);
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    text.parse::<f64>()
        .ok()
        .filter(|x| x.is_finite())
        .map(Some)
        .ok_or_else(|| ApiError::field(format!("/{pointer_field}"), format!("\"{text}\" is not a number")))
}

/// The profile the form describes, on top of the current one (numeric ratings,
/// numeric red lines and the discount factor are kept as they are).
fn profile_from_form(form: &Form, issues: &[Issue], current: Option<&Profile>) -> Result<ProfileInput, ApiError> {
    let mut weights = Vec::new();
    let mut ratings = Vec::new();
    let mut red_lines: Vec<Condition> = current
        .map(|p| p.red_lines.iter().filter(|c| matches!(c.test, Test::Range { .. })).cloned().collect())
        .unwrap_or_default();
    for issue in issues {
        let weight = number(form, &format!("weight.{}", issue.id), &format!("weight.{}", issue.id))?.unwrap_or(0.0);
        weights.push((issue.id.clone(), weight / 100.0));
        match &issue.kind {
            IssueKind::Discrete { options } => {
                let mut table = Vec::new();
                let mut forbidden = Vec::new();
                for (index, option) in options.iter().enumerate() {
                    let field = format!("rating.{}.{index}", issue.id);
                    if let Some(r) = number(form, &field, &field)? {
                        if !(0.0..=1.0).contains(&r) {
                            return Err(ApiError::field(format!("/{field}"), "a rating is from 0 to 1"));
                        }
                        table.push((option.id.clone(), r));
                    }
                    if form.checked(&format!("redline.{}.{index}", issue.id)) {
                        forbidden.push(option.id.clone());
                    }
                }
                ratings.push((issue.id.clone(), Rating::Table(table)));
                if !forbidden.is_empty() {
                    red_lines.push(Condition { issue: issue.id.clone(), test: Test::OneOf(forbidden) });
                }
            }
            IssueKind::Numeric(_) => {
                if let Some((_, rating)) = current.and_then(|p| p.ratings.iter().find(|(i, _)| i == &issue.id)) {
                    ratings.push((issue.id.clone(), rating.clone()));
                }
            }
        }
    }
    let reservation = match number(form, "reservation", "reservation")? {
        Some(r) => r,
        None => current.map_or(0.5, |p| p.reservation),
    };
    Ok(ProfileInput {
        illustrative: current.is_some_and(|p| p.illustrative),
        // The form edits shares, so the weights are read as shares.
        weighting: Weighting::Normalised,
        weights,
        ratings,
        red_lines,
        reservation,
        discount_factor: current.and_then(|p| p.discount_factor),
    })
}

/// Maps the API's pointers into a profile body back to the form's field names.
fn profile_fields(error: &ApiError, issues: &[Issue]) -> Vec<FieldProblem> {
    let mut found = problems(error, &[("/reservation", "reservation")]);
    for (problem, api) in found.iter_mut().zip(error.errors.iter()) {
        if let Some(rest) = api.pointer.strip_prefix("/weights/")
            && let Some(issue) =
                rest.split('/').next().and_then(|i| i.parse::<usize>().ok()).and_then(|i| issues.get(i))
        {
            problem.field = format!("weight.{}", issue.id);
        } else if api.pointer.starts_with("/weight.") || api.pointer.starts_with("/rating.") {
            problem.field = api.pointer.trim_start_matches('/').to_string();
        }
    }
    found
}

pub(crate) async fn save_profile(
    State(app): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    form: Form,
) -> Result<Response, PageError> {
    require_account(&caller, &format!("/n/{id}/profile"))?;
    let base = form.base()?;
    let loaded = load(&app, &caller, &id, &format!("/n/{id}/profile")).await?;
    let me = loaded.party().to_string();
    let issues: Vec<Issue> = loaded.view.draft.as_ref().map(|d| d.issues.clone()).unwrap_or_default();
    let path = || PartyPath { id: id.clone(), party: me.clone() };
    let current =
        match api::<Profile>(handlers::profiles::get_profile(State(app.clone()), caller.clone(), path())).await {
            Ok(p) => Some(p),
            Err(e) if e.code == ErrorCode::NotFound => None,
            Err(e) => return Err(e.into()),
        };
    let written = match profile_from_form(&form, &issues, current.as_ref()) {
        Ok(body) => {
            api_write(handlers::profiles::set_profile(
                State(app.clone()),
                caller.clone(),
                path(),
                IfMatch(Some(base)),
                ApiJson(body),
            ))
            .await
        }
        Err(error) => Err(error),
    };
    match written {
        Ok(()) => Ok(see_other(&format!("/n/{id}/profile"))),
        Err(error) => {
            let found = profile_fields(&error, &issues);
            let page = profile_view(&app, &caller, &id, found).await?;
            render(form_status(&error), &page)
        }
    }
}

pub(crate) async fn move_reservation(
    State(app): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    form: Form,
) -> Result<Response, PageError> {
    require_account(&caller, &format!("/n/{id}/profile"))?;
    let base = form.base()?;
    let loaded = load(&app, &caller, &id, &format!("/n/{id}/profile")).await?;
    let me = loaded.party().to_string();
    let note = Some(form.text("note")).filter(|n| !n.trim().is_empty());
    let written = match number(&form, "reservation", "reservation") {
        Ok(Some(reservation)) => {
            api_write(handlers::profiles::change_reservation(
                State(app.clone()),
                caller.clone(),
                PartyPath { id: id.clone(), party: me },
                IfMatch(Some(base)),
                ApiJson(ReservationInput { reservation, note }),
            ))
            .await
        }
        Ok(None) => Err(ApiError::field("/reservation", "give a number from 0 to 1")),
        Err(error) => Err(error),
    };
    match written {
        Ok(()) => Ok(see_other(&format!("/n/{id}/profile"))),
        Err(error) => {
            let found = problems(&error, &[("/reservation", "reservation"), ("/note", "note")]);
            let page = profile_view(&app, &caller, &id, found).await?;
            render(form_status(&error), &page)
        }
    }
}

/// `POST /n/{id}/confirm`: the party confirms, as they stand, what the
/// mediator entered for it — its profile (`profile=on`) and the stances named
/// by `stance` fields — then goes back to the page it came from (`back`:
/// `profile` or `text`).
pub(crate) async fn confirm_inputs(
    State(app): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    form: Form,
) -> Result<Response, PageError> {
    let back = if form.get("back") == Some("text") { "text" } else { "profile" };
    let here = format!("/n/{id}/{back}");
    require_account(&caller, &here)?;
    let base = form.base()?;
    let loaded = load(&app, &caller, &id, &here).await?;
    let me = loaded.party().to_string();
    let stances: Vec<String> = form.0.iter().filter(|(k, _)| k == "stance").map(|(_, v)| v.clone()).collect();
    let body = ConfirmInput { profile: form.checked("profile"), stances };
    api_write(handlers::profiles::confirm_inputs(
        State(app.clone()),
        caller.clone(),
        PartyPath { id: id.clone(), party: me },
        IfMatch(Some(base)),
        ApiJson(body),
    ))
    .await?;
    Ok(see_other(&here))
}
