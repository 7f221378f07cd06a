//! The working draft: its text, provisions, issues and the draft's value
//! for each issue.

use accord_core::event::Payload;
use accord_core::validate;
use accord_core::{Issue, Provision};
use accord_policy::{Action, Resource};
use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};

use super::{Result, commit, denied, etag, seen, written};
use crate::AppState;
use crate::ErrorCode;
use crate::api::{DraftValueInput, IssueInput, ProvisionInput};
use crate::auth::Caller;
use crate::error::ApiError;
use crate::extract::{ApiJson, IfMatch, IssuePath, NegotiationPath, ProvisionPath};

pub async fn get_draft(
    State(app): State<AppState>,
    caller: Caller,
    NegotiationPath { id }: NegotiationPath,
) -> Result<Response> {
    let seen = seen(&app, &caller, &id).await?;
    seen.require(Action::Read, Resource::Draft)?;
    let draft = seen.view()?.draft.ok_or_else(|| denied(&seen.viewer))?;
    Ok((etag(seen.state.size), Json(draft)).into_response())
}

fn check_id(id: &str, what: &str) -> Result<()> {
    if validate::is_valid_id(id) {
        Ok(())
    } else {
        Err(ApiError::new(
            ErrorCode::InvalidParameter,
            format!(
                "the {what} id must be 1–64 characters of a–z, 0–9, '.', '_' or '-', starting with a letter or digit"
            ),
        ))
    }
}

pub async fn set_provision(
    State(app): State<AppState>,
    caller: Caller,
    ProvisionPath { id, provision }: ProvisionPath,
    if_match: IfMatch,
    ApiJson(body): ApiJson<ProvisionInput>,
) -> Result<Response> {
    let seen = seen(&app, &caller, &id).await?;
    seen.require(Action::Write, Resource::Draft)?;
    let provision_id = provision.as_str();
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
    ProvisionPath { id, provision }: ProvisionPath,
    if_match: IfMatch,
) -> Result<Response> {
    let seen = seen(&app, &caller, &id).await?;
    seen.require(Action::Write, Resource::Draft)?;
    if seen.state.negotiation.provision(&provision).is_none() {
        return Err(ApiError::not_found(format!("provision \"{provision}\"")));
    }
    let base = seen.base(if_match)?;
    Ok(written(commit(&app, &seen, base, vec![Payload::ProvisionRemoved { provision }]).await?))
}

pub async fn set_issue(
    State(app): State<AppState>,
    caller: Caller,
    IssuePath { id, issue }: IssuePath,
    if_match: IfMatch,
    ApiJson(body): ApiJson<IssueInput>,
) -> Result<Response> {
    let seen = seen(&app, &caller, &id).await?;
    seen.require(Action::Write, Resource::Draft)?;
    let issue_id = issue.as_str();
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
    IssuePath { id, issue }: IssuePath,
    if_match: IfMatch,
) -> Result<Response> {
    let seen = seen(&app, &caller, &id).await?;
    seen.require(Action::Write, Resource::Draft)?;
    if seen.state.negotiation.issue_index(&issue).is_none() {
        return Err(ApiError::not_found(format!("issue \"{issue}\"")));
    }
    let base = seen.base(if_match)?;
    Ok(written(commit(&app, &seen, base, vec![Payload::IssueRemoved { issue }]).await?))
}

pub async fn set_draft_value(
    State(app): State<AppState>,
    caller: Caller,
    IssuePath { id, issue }: IssuePath,
    if_match: IfMatch,
    ApiJson(body): ApiJson<DraftValueInput>,
) -> Result<Response> {
    let seen = seen(&app, &caller, &id).await?;
    seen.require(Action::Write, Resource::Draft)?;
    let issue_id = issue;
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
