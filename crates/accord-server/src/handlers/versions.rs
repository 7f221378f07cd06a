//! Released versions: publishing the draft as the next version, one
//! version's text, and the word-level diff between two.

use accord_core::event::Payload;
use accord_core::text;
use accord_policy::{Action, Resource};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::{Result, Seen, commit, etag, seen};
use crate::AppState;
use crate::api::{DiffLine, DiffSegment, ProvisionDiff, PublishInput, PublishedVersionView, VersionDiff};
use crate::auth::Caller;
use crate::error::ApiError;
use crate::extract::{ApiJson, DiffPath, IfMatch, NegotiationPath, VersionPath};

pub async fn list_versions(
    State(app): State<AppState>,
    caller: Caller,
    NegotiationPath { id }: NegotiationPath,
) -> Result<Response> {
    let seen = seen(&app, &caller, &id).await?;
    seen.require(Action::Read, Resource::Versions)?;
    Ok(Json(seen.view()?.versions).into_response())
}

pub async fn publish_version(
    State(app): State<AppState>,
    caller: Caller,
    NegotiationPath { id }: NegotiationPath,
    if_match: IfMatch,
    ApiJson(_): ApiJson<PublishInput>,
) -> Result<Response> {
    let seen = seen(&app, &caller, &id).await?;
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

pub(super) fn find_version(seen: &Seen, number: u32) -> Result<PublishedVersionView> {
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

pub async fn get_version(
    State(app): State<AppState>,
    caller: Caller,
    VersionPath { id, number }: VersionPath,
) -> Result<Response> {
    let seen = seen(&app, &caller, &id).await?;
    seen.require(Action::Read, Resource::Versions)?;
    Ok(Json(find_version(&seen, number)?).into_response())
}

pub async fn diff_versions(
    State(app): State<AppState>,
    caller: Caller,
    DiffPath { id, number, other }: DiffPath,
) -> Result<Response> {
    let seen = seen(&app, &caller, &id).await?;
    seen.require(Action::Read, Resource::Versions)?;
    let from = find_version(&seen, number)?;
    let to = find_version(&seen, other)?;
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
