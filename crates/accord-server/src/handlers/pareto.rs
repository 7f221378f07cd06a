//! The Pareto chart's data: the frontier of the individually rational
//! packages on two parties' normalised gains, with the draft and the
//! analysis's suggestions on the same axes.

use std::sync::Arc;

use accord_policy::{Action, Decision, Resource, decide};
use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::analysis::analysis_value;
use super::{Result, Seen, denied, etag, seen};
use crate::AppState;
use accord_policy::analysis::{FrontierGains, project, suggestions_on};

use crate::ErrorCode;
use crate::api::{GainPair, ParetoView};
use crate::auth::Caller;
use crate::error::ApiError;
use crate::extract::{NegotiationPath, TextQuery};

/// The frontier at the negotiation's current log size, in every analysis
/// party's gains (computed in `accord-policy`, under the server's budgets).
/// One per negotiation and log size is cached, so switching the pair on the
/// page does not recompute it.
async fn frontier_of(app: &AppState, seen: &Seen) -> Result<Arc<FrontierGains>> {
    let key = (seen.id.clone(), seen.state.size);
    let state = seen.state.clone();
    let (app_for_work, budgets) = (app.clone(), app.config.budgets);
    app.frontier_cache
        .try_get_with(key, async move {
            let _slot = app_for_work.engine_slot().await?;
            let gains = tokio::task::spawn_blocking(move || {
                let unavailable =
                    |e: accord_engine::EngineError| ApiError::new(ErrorCode::AnalysisUnavailable, e.to_string());
                let negotiation = &state.negotiation;
                let problem = accord_engine::compile::compile(negotiation).map_err(unavailable)?;
                FrontierGains::compute(&problem, &negotiation.draft_package().0, &budgets)
                    .into_result()
                    .map_err(unavailable)
            })
            .await
            .map_err(ApiError::internal)??;
            Ok::<_, ApiError>(Arc::new(gains))
        })
        .await
        .map_err(|e| (*e).clone())
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
