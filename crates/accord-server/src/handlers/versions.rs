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
use crate::api::{
    DiffLine, DiffRestructure, DiffSegment, ProvisionDiff, PublishInput, PublishedVersionView, VersionDiff,
};
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
    ApiJson(body): ApiJson<PublishInput>,
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
    // Publishing releases the working draft: one event, every party at once.
    let status = body.status.unwrap_or_default();
    let payload = Payload::VersionPublished { number, package, version, content_hash, status };
    let result = commit(&app, &seen, base, vec![payload]).await?;
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
        status: v.status,
        ad_referendum: if seen.state.released.version == Some(v.number) {
            seen.state.released.ad_referendum.clone()
        } else {
            Vec::new()
        },
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
    // Bounded (size caps, a deadline), but seconds of CPU on hostile text:
    // off the async threads, so other requests and the clock go on.
    // Splits, merges and moves between the two read as such (the lineage
    // names provision ids only: nothing the versions do not show).
    let lineage = seen.state.lineage.clone();
    let diff = tokio::task::spawn_blocking(move || diff_with_lineage(&from, &to, &lineage))
        .await
        .map_err(ApiError::internal)?;
    Ok(Json(diff).into_response())
}

/// The word-level diff of two versions, computed below the server
/// (`accord_formats::diff`, with its size caps and deadlines) and put in the
/// API's wire types.
pub(crate) fn diff(from: &PublishedVersionView, to: &PublishedVersionView) -> VersionDiff {
    diff_with_lineage(from, to, &[])
}

/// [`diff`], with splits, merges and moves shown as such from the drafting
/// lineage between the two versions.
pub(crate) fn diff_with_lineage(
    from: &PublishedVersionView,
    to: &PublishedVersionView,
    lineage: &[accord_core::drafting::LineageRecord],
) -> VersionDiff {
    let computed = accord_formats::diff::diff_versions_with_lineage(
        (from.number, from.position, &from.version.provisions),
        (to.number, to.position, &to.version.provisions),
        lineage,
    );
    VersionDiff {
        from: computed.from,
        to: computed.to,
        provisions: computed
            .provisions
            .into_iter()
            .map(|p| ProvisionDiff {
                id: p.id,
                change: p.change.as_str().to_string(),
                lines: p
                    .lines
                    .into_iter()
                    .map(|line| DiffLine {
                        tag: line.tag.as_str().to_string(),
                        segments: line
                            .segments
                            .into_iter()
                            .map(|s| DiffSegment { text: s.text, emphasized: s.emphasized })
                            .collect(),
                    })
                    .collect(),
                moved: p.moved,
                restructure: p.restructure.map(restructure_view),
            })
            .collect(),
    }
}

fn restructure_view(restructure: accord_formats::diff::Restructure) -> DiffRestructure {
    use accord_formats::diff::Restructure as R;
    let (kind, provisions) = match restructure {
        R::SplitInto { parts } => ("split_into", parts),
        R::SplitFrom { from } => ("split_from", vec![from]),
        R::MergedFrom { sources } => ("merged_from", sources),
        R::MergedInto { into } => ("merged_into", vec![into]),
    };
    DiffRestructure { kind: kind.to_string(), provisions }
}
