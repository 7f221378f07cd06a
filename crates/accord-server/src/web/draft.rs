//! `/n/{id}/draft`: the mediator's drafting workspace. Every control is a
//! plain form posting to `/n/{id}/draft` with an `op` field, the draft's
//! `base` (the log size the page was read at) and the CSRF token; the post
//! calls the API's write handlers, so it passes the same policy, phase gate
//! and validation as an API call. A form read before the draft moved is
//! refused (409) with a link to reload; a refused edit re-renders the page
//! with each problem next to the field it names.

use accord_core::drafting::{BracketOption, DraftEdit};
use accord_core::{IssueKind, Provision, Value, WordingText};
use accord_policy::{Action, Resource};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;

use super::load::{Loaded, load};
use super::{FieldProblem, Form, Layout, PageError, api_write, form_status, render, require_account, see_other};
use crate::AppState;
use crate::ErrorCode;
use crate::api::DraftEditsInput;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::extract::{ApiJson, NegotiationPath};
use crate::handlers;

/// One alternative of a bracket as the workspace shows it.
#[derive(Debug, Clone)]
pub(crate) struct AlternativeRow {
    pub option: String,
    pub label: String,
    pub wording: String,
    pub chosen: bool,
}

/// A bracket: a slot of a provision bound to an issue.
#[derive(Debug, Clone)]
pub(crate) struct BracketRow {
    pub issue: String,
    pub title: String,
    /// Per-option wordings; empty for a numeric issue's template.
    pub alternatives: Vec<AlternativeRow>,
    /// A numeric issue's template wording.
    pub template: Option<String>,
}

/// A provision with every control the workspace offers on it.
#[derive(Debug, Clone)]
pub(crate) struct DraftBlock {
    pub id: String,
    pub number: String,
    pub heading: String,
    /// The body as written, with `{issue}` slots.
    pub body: String,
    /// The body as the draft reads, slots filled.
    pub reads: String,
    pub brackets: Vec<BracketRow>,
    /// Where "move up" puts it: after this provision ("" = at the start); none for the first.
    pub up_after: Option<String>,
    /// Where "move down" puts it: after the next provision; none for the last.
    pub down_after: Option<String>,
    /// The next provision, which "merge with the next" merges into this one.
    pub next: Option<(String, String)>,
    /// Problems of a failed post about this provision (its fields, its split, merge or bracket).
    pub problems: Vec<FieldProblem>,
    /// What a failed post typed, kept for the form it came from.
    pub kept: KeptFields,
}

/// Fields of a failed form, so nothing typed is lost.
#[derive(Debug, Clone, Default)]
pub(crate) struct KeptFields {
    pub op: String,
    pub values: Vec<(String, String)>,
}

impl KeptFields {
    /// The typed value of `field` if the failed form was `op`.
    pub(crate) fn of(&self, op: &str, field: &str) -> String {
        if self.op != op {
            return String::new();
        }
        self.values.iter().find(|(k, _)| k == field).map(|(_, v)| v.clone()).unwrap_or_default()
    }
}

impl DraftBlock {
    /// The problem with `field` of the form `op`, if that form failed here.
    pub(crate) fn problem_in(&self, op: &str, field: &str) -> Option<&str> {
        if self.kept.op != op {
            return None;
        }
        self.problems.iter().find(|p| p.field == field).map(|p| p.message.as_str())
    }
}

/// One issue's draft value control.
#[derive(Debug, Clone)]
pub(crate) struct ValueRow {
    pub issue: String,
    pub title: String,
    /// `(value, label, selected)` for a discrete issue.
    pub options: Vec<(String, String, bool)>,
    /// For a numeric issue: the current value and its domain in words.
    pub numeric: Option<(String, String)>,
    pub problem: Option<String>,
}

#[derive(askama::Template)]
#[template(path = "draft.html")]
struct DraftPage {
    layout: Layout,
    id: String,
    base: u64,
    render_error: Option<String>,
    provisions: Vec<DraftBlock>,
    values: Vec<ValueRow>,
    /// `issue-id: title` lines, for the slot help.
    issues: Vec<(String, String)>,
    /// Problems of a failed post that belong to no provision (renumber, add at the start).
    page_problems: Vec<FieldProblem>,
    kept: KeptFields,
    /// The draft moved under the form: what to tell the mediator.
    stale: bool,
}

/// What a failed post leaves for the page: where it belongs (a provision id,
/// an issue as `issue:ID`, or `page`), its problems and the typed fields.
struct Failed {
    scope: String,
    problems: Vec<FieldProblem>,
    form: Form,
    stale: bool,
}

fn bracket_rows(loaded: &Loaded, provision: &Provision) -> Vec<BracketRow> {
    let Some(draft) = &loaded.view.draft else { return Vec::new() };
    provision
        .wordings
        .iter()
        .map(|wording| {
            let issue = draft.issues.iter().find(|i| i.id == wording.issue);
            let chosen = issue.map(|i| i.draft_index());
            let (alternatives, template) = match (&wording.text, issue.map(|i| &i.kind)) {
                (WordingText::PerOption(texts), Some(IssueKind::Discrete { options })) => (
                    options
                        .iter()
                        .enumerate()
                        .map(|(k, o)| AlternativeRow {
                            option: o.id.clone(),
                            label: o.label.clone(),
                            wording: texts
                                .iter()
                                .find(|(id, _)| id == &o.id)
                                .map(|(_, t)| t.clone())
                                .unwrap_or_default(),
                            chosen: chosen == Some(k),
                        })
                        .collect(),
                    None,
                ),
                (WordingText::PerOption(texts), _) => (
                    texts
                        .iter()
                        .map(|(id, t)| AlternativeRow {
                            option: id.clone(),
                            label: id.clone(),
                            wording: t.clone(),
                            chosen: false,
                        })
                        .collect(),
                    None,
                ),
                (WordingText::Template(template), _) => (Vec::new(), Some(template.clone())),
            };
            BracketRow {
                issue: wording.issue.clone(),
                title: issue.map_or_else(|| wording.issue.clone(), |i| i.title.clone()),
                alternatives,
                template,
            }
        })
        .collect()
}

async fn draft_view(app: &AppState, caller: &Caller, id: &str, failed: Option<Failed>) -> Result<DraftPage, PageError> {
    let loaded = load(app, caller, id, &format!("/n/{id}/draft")).await?;
    if !loaded.may(Action::Write, Resource::Draft) {
        return Err(ApiError::new(ErrorCode::Forbidden, "only the mediator drafts the text").into());
    }
    let Some(draft) = loaded.view.draft.as_ref() else {
        return Err(ApiError::new(ErrorCode::Forbidden, "the working draft is not shown to your seat").into());
    };
    let kept = failed.as_ref().map_or_else(KeptFields::default, |f| KeptFields {
        op: f.form.text("op"),
        values: f.form.0.iter().filter(|(k, _)| k != "csrf").cloned().collect(),
    });
    let mut provisions: Vec<DraftBlock> = draft
        .provisions
        .iter()
        .enumerate()
        .map(|(k, p)| DraftBlock {
            id: p.id.clone(),
            number: p.number.clone(),
            heading: p.heading.clone(),
            body: p.body.clone(),
            reads: draft
                .text
                .as_ref()
                .and_then(|t| t.provisions.iter().find(|r| r.id == p.id))
                .map_or_else(String::new, |r| r.text.clone()),
            brackets: bracket_rows(&loaded, p),
            up_after: k.checked_sub(1).map(|up| {
                up.checked_sub(1).and_then(|i| draft.provisions.get(i)).map_or_else(String::new, |p| p.id.clone())
            }),
            down_after: draft.provisions.get(k + 1).map(|next| next.id.clone()),
            next: draft.provisions.get(k + 1).map(|next| (next.id.clone(), next.number.clone())),
            problems: Vec::new(),
            kept: KeptFields::default(),
        })
        .collect();
    let mut values: Vec<ValueRow> = draft
        .issues
        .iter()
        .map(|issue| ValueRow {
            issue: issue.id.clone(),
            title: issue.title.clone(),
            options: match &issue.kind {
                IssueKind::Discrete { options } => options
                    .iter()
                    .enumerate()
                    .map(|(k, o)| (o.id.clone(), o.label.clone(), issue.draft_index() == k))
                    .collect(),
                IssueKind::Numeric(_) => Vec::new(),
            },
            numeric: match &issue.kind {
                IssueKind::Numeric(_) => Some((
                    issue.value_at(issue.draft_index()).map(|v| v.to_string()).unwrap_or_default(),
                    accord_core::describe_domain(issue),
                )),
                IssueKind::Discrete { .. } => None,
            },
            problem: None,
        })
        .collect();
    let mut page_problems = Vec::new();
    let mut layout = Layout::new(format!("Draft — {}", loaded.view.title), "draft", loaded.session.clone())
        .with_nav(loaded.nav("draft"))
        .with_scripts(&["draft.js"]);
    let mut stale = false;
    if let Some(failed) = failed {
        stale = failed.stale;
        layout.field_prefix = format!("f-{}-{}-", failed.scope, kept.op);
        layout.problems = failed.problems.clone();
        if let Some(issue) = failed.scope.strip_prefix("issue-") {
            let message = failed.problems.iter().map(|p| p.message.clone()).collect::<Vec<_>>().join("; ");
            if let Some(row) = values.iter_mut().find(|v| v.issue == issue) {
                row.problem = Some(message);
            }
        } else if let Some(block) = provisions.iter_mut().find(|b| b.id == failed.scope) {
            block.problems = failed.problems;
            block.kept = kept.clone();
        } else {
            page_problems = failed.problems;
        }
    }
    Ok(DraftPage {
        layout,
        id: id.to_string(),
        base: loaded.view.log_size,
        render_error: draft.render_error.clone(),
        provisions,
        values,
        issues: draft.issues.iter().map(|i| (i.id.clone(), i.title.clone())).collect(),
        page_problems,
        kept,
        stale,
    })
}

pub(crate) async fn draft_page(
    State(app): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let page = draft_view(&app, &caller, &id, None).await?;
    render(StatusCode::OK, &page)
}

/// Maps an API error's JSON pointers to the workspace's field names: an
/// edit's own field (`/edits/0/span` is `span`, `/edits/0/options/1/id` is
/// `options`), a form field (`/at`), or for a validation problem of the
/// draft the edit would leave, the provision's field it is about
/// (`/negotiation/provision/3/text` is `body`).
fn draft_problems(error: &ApiError) -> Vec<FieldProblem> {
    if error.errors.is_empty() {
        return vec![FieldProblem { field: "form".into(), message: error.detail.clone() }];
    }
    error
        .errors
        .iter()
        .map(|e| {
            let segments: Vec<&str> = e.pointer.split('/').filter(|s| !s.is_empty()).collect();
            let field = match segments.as_slice() {
                ["edits", _, "options", ..] => "options",
                ["edits", _, field, ..] => field,
                // The draft the edit would leave breaks a rule of the model: the provision's text or its wordings.
                ["negotiation", "provision", _, "text" | "wording" | "body", ..] => "body",
                ["negotiation", "provision", _, "heading", ..] => "heading",
                [field] => field,
                _ => "form",
            };
            let field = match field {
                f @ ("heading" | "body" | "after" | "id" | "at" | "span" | "issue" | "title" | "options" | "option"
                | "label" | "wording" | "value" | "provisions" | "provision") => f,
                _ => "form",
            };
            FieldProblem { field: field.to_string(), message: e.message.clone() }
        })
        .collect()
}

/// The form's `field`, required.
fn required(form: &Form, field: &str) -> Result<String, ApiError> {
    let value = form.text(field).trim().to_string();
    if value.is_empty() { Err(ApiError::field(format!("/{field}"), "this field is required")) } else { Ok(value) }
}

/// The form's `field`, or `None` when left empty.
fn optional(form: &Form, field: &str) -> Option<String> {
    Some(form.text(field).trim().to_string()).filter(|v| !v.is_empty())
}

/// A textarea's text with the browser's `\r\n` line ends made `\n`.
fn multiline(form: &Form, field: &str) -> String {
    form.text(field).replace("\r\n", "\n")
}

/// The bracket's options from their textarea: one per line, `id | label | wording`
/// (the wording may be left out).
fn bracket_options(text: &str) -> Result<Vec<BracketOption>, ApiError> {
    let mut options = Vec::new();
    for (n, line) in text.lines().enumerate().map(|(i, l)| (i + 1, l.trim())) {
        if line.is_empty() {
            continue;
        }
        let mut parts = line.splitn(3, '|').map(str::trim);
        let (Some(id), Some(label)) = (parts.next(), parts.next()) else {
            return Err(ApiError::field("/options", format!("line {n}: write `option-id | label | wording`")));
        };
        let wording = parts.next().filter(|w| !w.is_empty()).map(str::to_string);
        options.push(BracketOption { id: id.to_string(), label: label.to_string(), wording });
    }
    if options.is_empty() {
        return Err(ApiError::field("/options", "give at least one option, one per line"));
    }
    Ok(options)
}

/// The edit one form asks for, on the draft as `loaded` read it; and the
/// anchor on the page to go back to.
fn edit_of(loaded: &Loaded, form: &Form) -> Result<(DraftEdit, String), ApiError> {
    let provision = || form.text("provision");
    let at_provision = || format!("p-{}", form.text("provision"));
    let issue_anchor = || format!("v-{}", form.text("issue"));
    let edit = match form.get("op").unwrap_or_default() {
        "provision" => (
            DraftEdit::SetProvision {
                provision: provision(),
                heading: Some(form.text("heading").trim().to_string()),
                body: Some(multiline(form, "body")),
                wordings: None,
            },
            at_provision(),
        ),
        "remove" => (DraftEdit::RemoveProvision { provision: provision() }, "provisions".into()),
        "move" => (DraftEdit::MoveProvision { provision: provision(), after: optional(form, "after") }, at_provision()),
        "add" => {
            let id = optional(form, "id");
            let anchor = id.as_ref().map_or_else(|| "provisions".to_string(), |id| format!("p-{id}"));
            let edit = DraftEdit::AddProvision {
                after: optional(form, "after"),
                id,
                heading: form.text("heading").trim().to_string(),
                body: multiline(form, "body"),
                wordings: Vec::new(),
            };
            (edit, anchor)
        }
        "split" => (
            DraftEdit::SplitProvision {
                provision: provision(),
                at: required(form, "at")?,
                id: optional(form, "id"),
                heading: optional(form, "heading"),
            },
            at_provision(),
        ),
        "merge" => {
            let next = required(form, "next")?;
            (DraftEdit::MergeProvisions { provisions: vec![provision(), next] }, at_provision())
        }
        "renumber" => (DraftEdit::Renumber, "provisions".into()),
        "open-bracket" => (
            DraftEdit::OpenBracket {
                provision: provision(),
                span: required(form, "span")?,
                issue: required(form, "issue")?,
                title: optional(form, "title"),
                options: bracket_options(&form.text("options"))?,
            },
            at_provision(),
        ),
        "add-alternative" => (
            DraftEdit::AddAlternative {
                issue: required(form, "issue")?,
                option: required(form, "option")?,
                label: required(form, "label")?,
                wording: optional(form, "wording"),
            },
            at_provision(),
        ),
        "remove-alternative" => (
            DraftEdit::RemoveAlternative { issue: required(form, "issue")?, option: required(form, "option")? },
            at_provision(),
        ),
        "close-bracket" => (
            DraftEdit::CloseBracket { issue: required(form, "issue")?, option: required(form, "option")? },
            at_provision(),
        ),
        "value" => {
            let issue = required(form, "issue")?;
            let raw = required(form, "value")?;
            let numeric = loaded
                .view
                .draft
                .as_ref()
                .and_then(|d| d.issues.iter().find(|i| i.id == issue))
                .is_some_and(|i| matches!(i.kind, IssueKind::Numeric(_)));
            let value = if numeric {
                Value::Number(
                    raw.replace(['_', ','], "")
                        .parse()
                        .map_err(|_| ApiError::field("/value", format!("\"{raw}\" is not a number")))?,
                )
            } else {
                Value::Option(raw)
            };
            (DraftEdit::SetDraftValue { issue, value }, issue_anchor())
        }
        other => return Err(ApiError::field("/op", format!("unknown edit \"{other}\""))),
    };
    Ok(edit)
}

/// Sends one edit through the API's drafting route, based on `base`.
async fn send(app: &AppState, caller: &Caller, id: &str, base: u64, edit: DraftEdit) -> Result<(), ApiError> {
    api_write(handlers::drafting::apply_edits(
        State(app.clone()),
        caller.clone(),
        NegotiationPath { id: id.to_string() },
        ApiJson(DraftEditsInput { base, edits: vec![edit] }),
    ))
    .await
}

/// Where a failed form's problems are shown: its provision, its issue, or the page.
fn scope_of(form: &Form) -> String {
    match form.get("op").unwrap_or_default() {
        "value" => format!("issue-{}", form.text("issue")),
        "add" if !form.text("after").is_empty() => form.text("after"),
        "add" | "renumber" => "page".into(),
        _ => form.text("provision"),
    }
}

/// Carries out one form: the edit it asks for, sent with the form's base.
async fn apply(
    app: &AppState,
    caller: &Caller,
    id: &str,
    loaded: &Loaded,
    base: u64,
    form: &Form,
) -> Result<String, ApiError> {
    let (edit, anchor) = edit_of(loaded, form)?;
    send(app, caller, id, base, edit).await?;
    Ok(anchor)
}

pub(crate) async fn edit(
    State(app): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    form: Form,
) -> Result<Response, PageError> {
    let here = format!("/n/{id}/draft");
    require_account(&caller, &here)?;
    let base = form.base()?;
    let loaded = load(&app, &caller, &id, &here).await?;
    // A party's post is refused before anything about the draft is read or said.
    if !loaded.may(Action::Write, Resource::Draft) {
        return Err(ApiError::new(ErrorCode::Forbidden, "only the mediator drafts the text").into());
    }
    match apply(&app, &caller, &id, &loaded, base, &form).await {
        Ok(anchor) => Ok(see_other(&format!("/n/{id}/draft#{anchor}"))),
        Err(error) if matches!(error.status(), StatusCode::FORBIDDEN | StatusCode::UNAUTHORIZED) => Err(error.into()),
        Err(error) => {
            let stale = error.code == ErrorCode::Conflict;
            let problems = if stale {
                vec![FieldProblem {
                    field: "form".into(),
                    message: "the draft changed since you opened this page, so nothing was saved; reload the page, look at the change and try again".into(),
                }]
            } else {
                draft_problems(&error)
            };
            let failed = Failed { scope: scope_of(&form), problems, form, stale };
            let page = draft_view(&app, &caller, &id, Some(failed)).await?;
            render(form_status(&error), &page)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use accord_api::FieldError;

    #[test]
    fn bracket_options_read_one_per_line() {
        let options = bracket_options("a | Option A | the a wording\r\n\n b|B \n").unwrap();
        assert_eq!(
            options,
            [
                BracketOption { id: "a".into(), label: "Option A".into(), wording: Some("the a wording".into()) },
                BracketOption { id: "b".into(), label: "B".into(), wording: None },
            ]
        );
        assert!(bracket_options("just-an-id").unwrap_err().errors[0].message.contains("line 1"));
        assert_eq!(bracket_options("  \n").unwrap_err().errors[0].pointer, "/options");
    }

    #[test]
    fn problems_name_the_workspace_fields() {
        let error = ApiError::validation(
            [
                "/edits/0/span",
                "/edits/0/options/1/id",
                "/negotiation/provision/3/text",
                "/negotiation/provision/3/wording/army-cap",
                "/at",
                "/negotiation/constraint/0/when",
            ]
            .iter()
            .map(|p| FieldError { pointer: p.to_string(), message: "m".into() })
            .collect(),
        );
        let fields: Vec<String> = draft_problems(&error).into_iter().map(|p| p.field).collect();
        assert_eq!(fields, ["span", "options", "body", "body", "at", "form"]);
        let conflict = ApiError::new(ErrorCode::Conflict, "moved");
        assert_eq!(draft_problems(&conflict)[0].field, "form");
    }
}
