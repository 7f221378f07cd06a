//! The Pareto chart's data: the frontier of the individually rational
//! packages on two parties' normalised gains, with the draft and the
//! analysis's suggestions on the same axes.

use std::sync::Arc;

use accord_core::Negotiation;
use accord_policy::{Action, Decision, Resource, decide};
use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::analysis::analysis_value;
use super::{Result, Seen, denied, etag, seen};
use crate::AppState;
use crate::api::{GainPair, ParetoSuggestion, ParetoView};
use crate::auth::Caller;
use crate::error::ApiError;
use crate::error_code::ErrorCode;
use crate::extract::{NegotiationPath, TextQuery};

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
    let unavailable = |e: accord_engine::EngineError| ApiError::new(ErrorCode::AnalysisUnavailable, e.to_string());
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

pub async fn pareto(
    State(app): State<AppState>,
    caller: Caller,
    NegotiationPath { id }: NegotiationPath,
    q: TextQuery,
) -> Result<Response> {
    let seen = seen(&app, &caller, &id).await?;
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
