//! The mediator's analysis (ZOPA, fair packages, repair, improvement,
//! balance), filtered for the viewer and cached per log size, and a party's
//! own balance at the draft.

use std::sync::Arc;

use accord_core::Negotiation;
use accord_core::event::State as Folded;
use accord_engine::analyse::Budgets;
use accord_policy::{Action, Resource, Viewer};
use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};

use super::{Result, Seen, denied, etag, seen};
use crate::AppState;
use crate::ErrorCode;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::extract::NegotiationPath;

fn run_analysis(viewer: &Viewer, state: &Folded, budgets: &Budgets) -> Result<serde_json::Value> {
    // The text the viewer reads: a party's own figures never come from the
    // mediator's unreleased working draft.
    let text = accord_policy::view::visible_text(viewer, state);
    let negotiation: &Negotiation = &text.negotiation;
    use accord_policy::analysis::{RawAnalysis, VIEW_PARTS, filter_analysis};
    let unavailable = |e: accord_engine::EngineError| ApiError::new(ErrorCode::AnalysisUnavailable, e.to_string());
    let problem = accord_engine::compile::compile(negotiation).map_err(unavailable)?;
    let draft = negotiation.draft_package();
    // The same orchestration as `accord analyze`, under the server's budgets.
    let analysis = accord_engine::analyse::analyse_parts(&problem, &draft.0, budgets, &VIEW_PARTS, &|_| {});
    let balance = accord_engine::balance::balance(negotiation, &draft);
    let raw = RawAnalysis::from_analysis(negotiation, &problem, &analysis, balance);
    // Which of the inputs it ran on the parties never confirmed.
    let view = filter_analysis(viewer, &raw).ok_or_else(|| denied(viewer))?.with_unconfirmed(viewer, state);
    serde_json::to_value(view).map_err(ApiError::internal)
}

pub async fn analysis(
    State(app): State<AppState>,
    caller: Caller,
    NegotiationPath { id }: NegotiationPath,
) -> Result<Response> {
    let seen = seen(&app, &caller, &id).await?;
    seen.require(Action::Read, Resource::Analysis)?;
    let value = analysis_value(&app, &seen).await?;
    Ok((etag(seen.state.size), Json((*value).clone())).into_response())
}

/// The analysis as `seen`'s viewer may see it, from the cache or computed
/// (off the async threads). The caller has checked `Resource::Analysis`.
pub(super) async fn analysis_value(app: &AppState, seen: &Seen) -> Result<Arc<serde_json::Value>> {
    let key = (seen.id.clone(), seen.state.size, seen.party().unwrap_or_default().to_string());
    let viewer = seen.viewer.clone();
    let state = seen.state.clone();
    let (app_for_work, budgets) = (app.clone(), app.config.budgets);
    // Computed once per key however many ask at the same time (moka's
    // single-flight); a failure is shared by the waiters and not cached.
    app.analysis_cache
        .try_get_with(key, async move {
            let _slot = app_for_work.engine_slot().await?;
            let started = std::time::Instant::now();
            let value = tokio::task::spawn_blocking(move || run_analysis(&viewer, &state, &budgets))
                .await
                .map_err(ApiError::internal)??;
            app_for_work.metrics.analysed(started.elapsed().as_secs_f64());
            Ok::<_, ApiError>(Arc::new(value))
        })
        .await
        .map_err(|e| (*e).clone())
}

pub async fn balance(
    State(app): State<AppState>,
    caller: Caller,
    NegotiationPath { id }: NegotiationPath,
) -> Result<Response> {
    let seen = seen(&app, &caller, &id).await?;
    let party = seen.party().unwrap_or_default().to_string();
    seen.require(Action::Read, Resource::Balance { party: &party })?;
    // A party's balance is at the draft of the text it reads, never at the
    // mediator's unreleased working draft.
    let text = accord_policy::view::visible_text(&seen.viewer, &seen.state);
    let n: &Negotiation = &text.negotiation;
    if n.profile(&party).is_none() {
        return Err(ApiError::not_found("your profile (set it first, then ask for your balance)"));
    }
    let all = accord_engine::balance::balance(n, &n.draft_package());
    let mine: Vec<_> =
        accord_policy::analysis::filter_balance(&seen.viewer, &all).into_iter().filter(|b| b.party == party).collect();
    Ok(Json(mine).into_response())
}
