//! The mediator's analysis (ZOPA, fair packages, repair, improvement,
//! balance), filtered for the viewer and cached per log size, and a party's
//! own balance at the draft.

use std::sync::Arc;

use accord_core::Negotiation;
use accord_policy::{Action, Resource, Viewer};
use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};

use super::{Result, Seen, denied, etag, seen};
use crate::AppState;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::error_code::ErrorCode;
use crate::extract::NegotiationPath;

fn run_analysis(viewer: &Viewer, negotiation: &Negotiation) -> Result<serde_json::Value> {
    use accord_engine::{balance, bargain, compile, improve, repair, zopa};
    let unavailable = |e: accord_engine::EngineError| ApiError::new(ErrorCode::AnalysisUnavailable, e.to_string());
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

pub async fn balance(
    State(app): State<AppState>,
    caller: Caller,
    NegotiationPath { id }: NegotiationPath,
) -> Result<Response> {
    let seen = seen(&app, &caller, &id).await?;
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
