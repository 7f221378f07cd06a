//! `/n/{id}/text`: the draft's provisions with their brackets, my stance per
//! provision, and the comments anchored to quoted spans.

use accord_core::{Condition, Issue, IssueKind, Position, Test, WordingText};
use accord_policy::{Action, Resource};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;

use super::load::{Loaded, load};
use super::{
    FieldProblem, Form, Layout, PageError, api_write, form_status, problems, render, require_account, see_other,
};
use crate::AppState;
use crate::api::{CommentInput, StanceInput, StancePosition};
use crate::auth::Caller;
use crate::error::ApiError;
use crate::extract::{ApiJson, IfMatch, NegotiationPath, ProvisionPath};
use crate::handlers;

#[derive(Debug, Clone)]
pub(crate) struct Alternative {
    pub label: String,
    pub wording: String,
    pub chosen: bool,
}

#[derive(Debug, Clone)]
pub(crate) struct Bracket {
    pub issue: String,
    pub title: String,
    pub alternatives: Vec<Alternative>,
    /// What the draft chooses now, as a label ("not chosen yet" when open).
    pub choice: String,
}

#[derive(Debug, Clone)]
pub(crate) struct OtherStance {
    pub party: String,
    pub position: String,
    pub label: &'static str,
    /// Only where the policy shows the reason to this viewer.
    pub reason: Option<String>,
    /// The stance answers a wording this provision no longer has.
    pub stale: bool,
    /// For `acceptable if…` seen in detail: whether its conditions hold at the draft.
    pub conditions_hold: Option<bool>,
}

#[derive(Debug, Clone)]
pub(crate) struct CommentRow {
    pub party: String,
    pub quote: String,
    pub text: String,
    pub private: bool,
    pub outdated: bool,
}

#[derive(Debug, Clone)]
pub(crate) struct ProvisionBlock {
    pub id: String,
    pub number: String,
    pub heading: String,
    pub text: String,
    pub brackets: Vec<Bracket>,
    pub my_position: String,
    pub my_conditions: String,
    pub my_reason: String,
    pub counts: Option<(usize, usize)>,
    /// The counts would tell another party's position, so the policy withheld them.
    pub counts_withheld: bool,
    pub others: Vec<OtherStance>,
    pub comments: Vec<CommentRow>,
    /// The form problems of a failed post to this provision.
    pub problems: Vec<FieldProblem>,
    /// My stance here was entered for me by the mediator and I have not confirmed or changed it.
    pub entered_by_mediator: bool,
    /// The text marks this provision agreed ad referendum (provisionally).
    pub ad_referendum: bool,
    /// The hash of the wording shown, sent back with my stance so that a
    /// stance never answers a wording I did not read.
    pub wording_hash: String,
    /// My stance answers a wording this provision no longer has.
    pub my_stale: bool,
    /// For my `acceptable if…`: whether its conditions hold at the draft.
    pub my_conditions_hold: Option<bool>,
}

/// A stance's position as people read it.
pub(crate) fn position_label(position: &str) -> &'static str {
    match position {
        "acceptable" => "acceptable",
        "acceptable_if" => "acceptable if…",
        "unacceptable" => "unacceptable",
        _ => "not recorded",
    }
}

impl ProvisionBlock {
    pub(crate) fn my_label(&self) -> &'static str {
        position_label(&self.my_position)
    }
}

#[derive(askama::Template)]
#[template(path = "text.html")]
struct TextPage {
    layout: Layout,
    id: String,
    base: u64,
    /// False for viewers who see released versions only.
    draft: bool,
    render_error: Option<String>,
    provisions: Vec<ProvisionBlock>,
    may_stance: bool,
    may_comment: bool,
    may_comment_privately: bool,
    /// `issue: option, option` help for conditions.
    condition_help: Vec<String>,
    /// My stances the mediator entered for me, unconfirmed: `(provision id, "number heading")`.
    entered_for_me: Vec<(String, String)>,
    /// Which text this is and its status ("Released text: Negotiating text, version 2").
    text_label: String,
    /// The working draft shown to a party: "working draft, not released".
    not_released: bool,
    /// For the working draft: what is not yet published, one line each.
    unreleased: Vec<String>,
    /// Printed wherever a provision is shown as agreed ad referendum.
    ad_referendum_rule: &'static str,
    any_ad_referendum: bool,
}

/// "Released text: Negotiating text, version 2", or the working draft's label.
pub(crate) fn text_label(draft: &accord_policy::view::DraftView) -> String {
    use accord_policy::view::TextKind;
    let released = match (draft.status, draft.released_version) {
        (Some(status), Some(number)) => format!("{status}, version {number}"),
        _ => "the text as created, no version released yet".to_string(),
    };
    match draft.kind {
        TextKind::Released => format!("Released text: {released}"),
        TextKind::Working => format!("Working draft (last released: {released})"),
        TextKind::WorkingNotReleased => format!("Working draft, not released (last released: {released})"),
    }
}

/// The marker of unpublished changes, one line each.
pub(crate) fn unreleased_lines(draft: &accord_policy::view::DraftView) -> Vec<String> {
    let Some(changes) = &draft.unreleased else { return Vec::new() };
    let mut lines = Vec::new();
    if changes.edits > 0 {
        let s = if changes.edits == 1 { "" } else { "s" };
        lines.push(format!("{} edit{s} not yet published", changes.edits));
    }
    if !changes.provisions_changed.is_empty() {
        lines.push(format!("provisions changed since release: {}", changes.provisions_changed.join(", ")));
    }
    if !changes.provisions_removed.is_empty() {
        lines.push(format!("provisions removed since release: {}", changes.provisions_removed.join(", ")));
    }
    if !changes.issues_changed.is_empty() {
        lines.push(format!("issues or draft values changed: {}", changes.issues_changed.join(", ")));
    }
    if changes.constraints_changed {
        lines.push("constraints changed".to_string());
    }
    if !changes.ad_referendum_changed.is_empty() {
        lines.push(format!("ad referendum marks changed: {}", changes.ad_referendum_changed.join(", ")));
    }
    lines
}

fn number_text(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 { format!("{}", x as i64) } else { format!("{x}") }
}

/// A condition as one line of the form: `issue: a, b` or `issue: 10..20`.
pub(crate) fn condition_line(condition: &Condition) -> String {
    match &condition.test {
        Test::OneOf(values) => format!("{}: {}", condition.issue, values.join(", ")),
        Test::Range { min, max } => format!(
            "{}: {}..{}",
            condition.issue,
            min.map(number_text).unwrap_or_default(),
            max.map(number_text).unwrap_or_default()
        ),
    }
}

/// Reads the conditions textarea, one condition per line; the API checks the ids.
pub(crate) fn parse_conditions(text: &str) -> Result<Vec<Condition>, String> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate().map(|(i, l)| (i + 1, l.trim())) {
        if line.is_empty() {
            continue;
        }
        let Some((issue, test)) = line.split_once(':') else {
            return Err(format!("line {n}: write `issue: option, option` or `issue: min..max`"));
        };
        let (issue, test) = (issue.trim().to_string(), test.trim());
        let bound = |s: &str| -> Result<Option<f64>, String> {
            let s = s.trim();
            if s.is_empty() {
                return Ok(None);
            }
            s.replace(['_', ','], "").parse().map(Some).map_err(|_| format!("line {n}: \"{s}\" is not a number"))
        };
        let test = match test.split_once("..") {
            Some((min, max)) => Test::Range { min: bound(min)?, max: bound(max)? },
            None => {
                let values: Vec<String> =
                    test.split(',').map(|v| v.trim().to_string()).filter(|v| !v.is_empty()).collect();
                if values.is_empty() {
                    return Err(format!("line {n}: name at least one option after the colon"));
                }
                Test::OneOf(values)
            }
        };
        out.push(Condition { issue, test });
    }
    Ok(out)
}

fn brackets(loaded: &Loaded, provision: &accord_core::Provision) -> Vec<Bracket> {
    let Some(draft) = &loaded.view.draft else { return Vec::new() };
    provision
        .wordings
        .iter()
        .filter_map(|wording| {
            let issue: &Issue = draft.issues.iter().find(|i| i.id == wording.issue)?;
            let chosen = draft.values.iter().find(|v| v.issue == issue.id).and_then(|v| v.value.clone());
            let chosen_index = chosen.as_ref().and_then(|v| issue.index_of(v));
            let alternatives = match (&wording.text, &issue.kind) {
                (WordingText::PerOption(texts), IssueKind::Discrete { options }) => options
                    .iter()
                    .enumerate()
                    .map(|(i, o)| Alternative {
                        label: o.label.clone(),
                        wording: texts.iter().find(|(id, _)| id == &o.id).map(|(_, t)| t.clone()).unwrap_or_default(),
                        chosen: chosen_index == Some(i),
                    })
                    .collect(),
                (WordingText::Template(template), _) => vec![Alternative {
                    label: format!("any value, {}", accord_core::describe_domain(issue)),
                    wording: template.clone(),
                    chosen: false,
                }],
                (WordingText::PerOption(_), IssueKind::Numeric(_)) => Vec::new(),
            };
            Some(Bracket {
                issue: issue.id.clone(),
                title: issue.title.clone(),
                alternatives,
                choice: chosen_index.map_or_else(|| "not chosen yet".to_string(), |i| issue.label_at(i)),
            })
        })
        .collect()
}

async fn text_view(
    app: &AppState,
    caller: &Caller,
    id: &str,
    failed: Option<(String, Vec<FieldProblem>, Form)>,
) -> Result<TextPage, PageError> {
    let loaded = load(app, caller, id, &format!("/n/{id}/text")).await?;
    let me = loaded.party().to_string();
    let view = &loaded.view;
    let counts = view.stance_counts.clone().unwrap_or_default();
    let block = |p: &accord_core::Provision| -> ProvisionBlock {
        let mine = view.stances.iter().find(|s| s.party == me && s.provision == p.id);
        let detail = mine.and_then(|s| s.detail.as_ref());
        let mut block = ProvisionBlock {
            id: p.id.clone(),
            number: p.number.clone(),
            heading: p.heading.clone(),
            text: view
                .draft
                .as_ref()
                .and_then(|d| d.text.as_ref())
                .and_then(|t| t.provisions.iter().find(|r| r.id == p.id))
                .map_or_else(|| p.body.clone(), |r| r.text.clone()),
            brackets: brackets(&loaded, p),
            my_position: mine.map(|s| s.position.clone()).unwrap_or_default(),
            my_conditions: match detail.map(|d| &d.position) {
                Some(Position::AcceptableIf { conditions }) => {
                    conditions.iter().map(condition_line).collect::<Vec<_>>().join("\n")
                }
                _ => String::new(),
            },
            my_reason: detail.and_then(|d| d.reason.clone()).unwrap_or_default(),
            counts: counts.iter().find(|c| c.provision == p.id).and_then(|c| Some((c.with_reservations?, c.recorded?))),
            counts_withheld: counts.iter().any(|c| c.provision == p.id && c.withheld),
            others: view
                .stances
                .iter()
                .filter(|s| s.party != me && s.provision == p.id)
                .map(|s| OtherStance {
                    party: loaded.party_name(&s.party),
                    position: s.position.clone(),
                    label: position_label(&s.position),
                    reason: s.detail.as_ref().and_then(|d| d.reason.clone()),
                    stale: s.stale,
                    conditions_hold: s.conditions_hold,
                })
                .collect(),
            comments: view
                .comments
                .iter()
                .filter(|c| c.provision == p.id)
                .map(|c| CommentRow {
                    party: loaded.party_name(&c.party),
                    quote: c.quote.clone(),
                    text: c.text.clone(),
                    private: c.private,
                    outdated: c.outdated,
                })
                .collect(),
            problems: Vec::new(),
            entered_by_mediator: mine.is_some_and(|s| s.entered_by_mediator),
            ad_referendum: view.draft.as_ref().is_some_and(|d| d.ad_referendum.contains(&p.id)),
            wording_hash: view
                .draft
                .as_ref()
                .and_then(|d| d.wording_hashes.iter().find(|w| w.provision == p.id))
                .map(|w| w.wording_hash.clone())
                .unwrap_or_default(),
            my_stale: mine.is_some_and(|s| s.stale),
            my_conditions_hold: mine.and_then(|s| s.conditions_hold),
        };
        if let Some((provision, problems, form)) = &failed
            && provision == &p.id
        {
            block.problems = problems.clone();
            if form.get("position").is_some() {
                block.my_position = form.text("position");
                block.my_conditions = form.text("conditions");
                block.my_reason = form.text("reason");
            }
        }
        block
    };
    let (draft, provisions): (bool, Vec<ProvisionBlock>) = match &view.draft {
        Some(draft) => (true, draft.provisions.iter().map(block).collect()),
        None => (false, Vec::new()),
    };
    let entered_for_me = provisions
        .iter()
        .filter(|p| p.entered_by_mediator)
        .map(|p| (p.id.clone(), format!("{} {}", p.number, p.heading)))
        .collect();
    let condition_help = view
        .draft
        .iter()
        .flat_map(|d| d.issues.iter())
        .map(|i| format!("{}: {}", i.id, accord_core::describe_domain(i)))
        .collect();
    let mut layout = Layout::new(format!("Text — {}", view.title), "text", loaded.session.clone())
        .with_nav(loaded.nav("text"))
        .with_scripts(&["live.js"]);
    if let Some((provision, problems, _)) = failed {
        layout.field_prefix = format!("f-{provision}-");
        layout.problems = problems;
    }
    let any_ad_referendum = provisions.iter().any(|p| p.ad_referendum);
    Ok(TextPage {
        layout,
        id: id.to_string(),
        base: view.log_size,
        draft,
        render_error: view.draft.as_ref().and_then(|d| d.render_error.clone()),
        provisions,
        may_stance: loaded.may(Action::Write, Resource::StancePosition { party: &me }),
        may_comment: loaded.may(Action::Write, Resource::Comment { author: &me, private: false }),
        may_comment_privately: loaded.may(Action::Write, Resource::Comment { author: &me, private: true }),
        condition_help,
        entered_for_me,
        text_label: view.draft.as_ref().map(text_label).unwrap_or_default(),
        not_released: view.draft.as_ref().is_some_and(|d| d.kind == accord_policy::view::TextKind::WorkingNotReleased),
        unreleased: view.draft.as_ref().map(unreleased_lines).unwrap_or_default(),
        ad_referendum_rule: accord_core::AD_REFERENDUM_RULE,
        any_ad_referendum,
    })
}

pub(crate) async fn text_page(
    State(app): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let page = text_view(&app, &caller, &id, None).await?;
    render(StatusCode::OK, &page)
}

async fn failed_post(
    app: &AppState,
    caller: &Caller,
    id: &str,
    provision: &str,
    error: &ApiError,
    fields: &[(&str, &str)],
    form: Form,
) -> Result<Response, PageError> {
    let found = problems(error, fields);
    let page = text_view(app, caller, id, Some((provision.to_string(), found, form))).await?;
    render(form_status(error), &page)
}

pub(crate) async fn set_stance(
    State(app): State<AppState>,
    caller: Caller,
    Path((id, provision)): Path<(String, String)>,
    form: Form,
) -> Result<Response, PageError> {
    require_account(&caller, &format!("/n/{id}/text"))?;
    let base = form.base()?;
    let position = match form.get("position") {
        Some("acceptable") => Ok(StancePosition::Acceptable),
        Some("acceptable_if") => Ok(StancePosition::AcceptableIf),
        Some("unacceptable") => Ok(StancePosition::Unacceptable),
        _ => Err(ApiError::field("/position", "choose acceptable, acceptable if…, or unacceptable")),
    };
    let conditions = match position {
        Ok(StancePosition::AcceptableIf) => parse_conditions(&form.text("conditions")),
        _ => Ok(Vec::new()),
    };
    let reason = Some(form.text("reason")).filter(|r| !r.trim().is_empty());
    // The page always sends the wording it showed; a form without one (a stale
    // page from before this field) answers the current wording.
    let wording_hash = Some(form.text("wording_hash")).filter(|h| !h.is_empty());
    let fields = [("/position", "position"), ("/conditions", "conditions"), ("/reason", "reason")];
    let written = match (position, conditions) {
        (Err(error), _) => Err(error),
        (_, Err(message)) => Err(ApiError::field("/conditions", message)),
        (Ok(position), Ok(conditions)) => {
            api_write(handlers::stances::set_stance(
                State(app.clone()),
                caller.clone(),
                ProvisionPath { id: id.clone(), provision: provision.clone() },
                IfMatch(Some(base)),
                ApiJson(StanceInput { position, conditions, reason, wording_hash }),
            ))
            .await
        }
    };
    match written {
        Ok(()) => Ok(see_other(&format!("/n/{id}/text#p-{provision}"))),
        Err(error) => failed_post(&app, &caller, &id, &provision, &error, &fields, form).await,
    }
}

pub(crate) async fn add_comment(
    State(app): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    form: Form,
) -> Result<Response, PageError> {
    require_account(&caller, &format!("/n/{id}/text"))?;
    let base = form.base()?;
    let provision = form.text("provision");
    let body = CommentInput {
        provision: provision.clone(),
        quote: form.text("quote").trim().to_string(),
        text: form.text("text"),
        private: form.checked("private"),
    };
    let written = api_write(handlers::comments::add_comment(
        State(app.clone()),
        caller.clone(),
        NegotiationPath { id: id.clone() },
        IfMatch(Some(base)),
        ApiJson(body),
    ))
    .await;
    let fields = [("/provision", "provision"), ("/quote", "quote"), ("/text", "text")];
    match written {
        Ok(()) => Ok(see_other(&format!("/n/{id}/text#p-{provision}"))),
        Err(error) => failed_post(&app, &caller, &id, &provision, &error, &fields, form).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conditions_round_trip_through_their_lines() {
        let parsed = parse_conditions("guarantees: article-5, bilateral\n\n army: 400000..600000\nsea: ..5").unwrap();
        assert_eq!(parsed.len(), 3);
        assert_eq!(parsed[0].test, Test::OneOf(vec!["article-5".into(), "bilateral".into()]));
        assert_eq!(parsed[1].test, Test::Range { min: Some(400_000.0), max: Some(600_000.0) });
        assert_eq!(parsed[2].test, Test::Range { min: None, max: Some(5.0) });
        let lines: Vec<String> = parsed.iter().map(condition_line).collect();
        assert_eq!(lines, ["guarantees: article-5, bilateral", "army: 400000..600000", "sea: ..5"]);
        assert!(parse_conditions("no colon").unwrap_err().contains("line 1"));
        assert!(parse_conditions("a: 1..x").unwrap_err().contains("not a number"));
        assert!(parse_conditions("a: ,").is_err());
    }
}
