//! `/n/{id}/analysis`: the mediator's stance matrix, ZOPA status, suggested
//! packages with their normalised gains, the Pareto frontier for a chosen pair
//! of parties, and "draft the next version from this package" (preview with
//! the diff, then confirm).

use accord_core::{Issue, Negotiation, Package, Role, Value};
use accord_policy::analysis::{AnalysisView, ImprovementView, PackageView, RepairView};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;

use super::load::{Loaded, load};
use super::versions::{ProvisionChange, as_version, changes};
use super::{Form, Layout, PageError, api, render, require_account, see_other};
use crate::AppState;
use crate::ErrorCode;
use crate::api::{DraftValueInput, GainPair, ParetoView, PublishInput, WriteResult};
use crate::auth::Caller;
use crate::error::ApiError;
use crate::extract::{ApiJson, IfMatch, IssuePath, NegotiationPath, TextQuery};
use crate::handlers;

/// The suggestion kinds, in the order the page lists them.
const KINDS: [(&str, &str); 5] = [
    ("nash", "Nash bargaining solution"),
    ("kalai_smorodinsky", "Kalai–Smorodinsky solution"),
    ("egalitarian", "Egalitarian solution"),
    ("repair", "Repair of the draft (fewest changes that make it acceptable to all)"),
    ("improvement", "Post-settlement improvement of the draft"),
];

/// The short name a chart labels a suggestion with.
fn short_name(kind: &str) -> String {
    match kind {
        "nash" => "Nash".into(),
        "kalai_smorodinsky" => "Kalai–Smorodinsky".into(),
        "egalitarian" => "Egalitarian".into(),
        "repair" => "Repair".into(),
        "improvement" => "Improvement".into(),
        other => other.replace('_', " "),
    }
}

#[derive(Debug, Clone)]
pub(crate) struct MatrixRow {
    pub provision: String,
    pub label: String,
    /// Per party, in `parties` order.
    pub cells: Vec<MatrixCell>,
    pub blocked: bool,
}

#[derive(Debug, Clone)]
pub(crate) struct MatrixCell {
    /// The position's name; empty when the party has no stance here.
    pub position: String,
    pub label: &'static str,
    /// Only where the policy shows it.
    pub reason: Option<String>,
    /// The stance answers a wording the provision no longer has: it binds nothing.
    pub stale: bool,
    /// For `acceptable if…` seen in detail: whether its conditions hold at the draft.
    pub conditions_hold: Option<bool>,
}

#[derive(Debug, Clone)]
pub(crate) struct Suggestion {
    pub kind: &'static str,
    pub title: &'static str,
    /// The package, or why there is none.
    pub package: Result<PackageView, String>,
    /// For the repair: what changes.
    pub changes: Vec<String>,
    pub gains_chart: String,
    /// Each analysis party's name and normalised gain.
    pub gains: Vec<(String, f64)>,
    /// The title of an earlier suggestion with the very same package (often
    /// Nash, Kalai–Smorodinsky and egalitarian coincide): shown once, not again.
    pub same_as: Option<&'static str>,
}

#[derive(askama::Template)]
#[template(path = "analysis.html")]
struct AnalysisPage {
    layout: Layout,
    id: String,
    parties: Vec<(String, String)>,
    matrix: Vec<MatrixRow>,
    zopa: String,
    zopa_exists: bool,
    suggestions: Vec<Suggestion>,
    pair: (String, String),
    analysis_parties: Vec<(String, String)>,
    pareto_chart: String,
    pareto_error: Option<String>,
    /// Per party (its name), what the analysis used that the mediator entered
    /// for it and it has not confirmed: `(party, "its profile; its stances on …")`.
    unconfirmed: Vec<(String, String)>,
}

/// The analysis for this caller, as the API serves it.
async fn analysis_of(app: &AppState, caller: &Caller, id: &str) -> Result<AnalysisView, ApiError> {
    api(handlers::analysis::analysis(State(app.clone()), caller.clone(), NegotiationPath { id: id.to_string() })).await
}

/// A suggestion's package, by kind.
fn package_of(analysis: &AnalysisView, kind: &str) -> Result<(PackageView, Vec<String>), String> {
    match kind {
        "repair" => match (&analysis.repair.result, &analysis.repair.error) {
            (Some(RepairView::Repaired { changes, package }), _) => {
                Ok((package.clone(), changes.iter().map(|c| format!("{}: {} → {}", c.issue, c.from, c.to)).collect()))
            }
            (Some(RepairView::Unrepairable { reason }), _) => Err(reason.clone()),
            (None, error) => Err(error.clone().unwrap_or_else(|| "not computed".into())),
        },
        "improvement" => match (&analysis.improvement.result, &analysis.improvement.error) {
            (Some(ImprovementView::Better { package }), _) => Ok((package.clone(), Vec::new())),
            (Some(ImprovementView::ParetoOptimal), _) => {
                Err("the draft is already Pareto-optimal: no package is better for someone and worse for no one".into())
            }
            (None, error) => Err(error.clone().unwrap_or_else(|| "not computed".into())),
        },
        name => {
            let solution = analysis.solutions.iter().find(|s| s.name == name).ok_or("not computed")?;
            // JSON cannot tell `Some(None)` from `None`: a section that ran
            // (no error) without a package arrives as `(None, None)`.
            match (&solution.package.result, &solution.package.error) {
                (Some(Some(package)), _) => Ok((package.clone(), Vec::new())),
                (_, Some(error)) => Err(error.clone()),
                (_, None) => Err("no package satisfies every party's reservation value and red lines".into()),
            }
        }
    }
}

fn gains_chart(loaded: &Loaded, kind: &str, package: &PackageView) -> String {
    accord_charts::package_gains(&accord_charts::PackageGainsChart {
        id: format!("gains-{kind}"),
        package: kind.replace('_', " "),
        gains: package
            .outcomes
            .iter()
            .map(|o| accord_charts::PartyGain { party: loaded.party_name(&o.party), gain: o.normalised_gain })
            .collect(),
    })
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct PairQuery {
    a: Option<String>,
    b: Option<String>,
}

/// The Pareto frontier for the pair, as the API serves it.
async fn pareto_of(app: &AppState, caller: &Caller, id: &str, a: &str, b: &str) -> Result<ParetoView, ApiError> {
    let query = TextQuery([("a", a), ("b", b)].into_iter().map(|(k, v)| (k.to_string(), v.to_string())).collect());
    api(handlers::pareto::pareto(State(app.clone()), caller.clone(), NegotiationPath { id: id.to_string() }, query))
        .await
}

fn suggestion_kind(kind: &str) -> Option<accord_charts::SuggestionKind> {
    use accord_charts::SuggestionKind as K;
    Some(match kind {
        "nash" => K::Nash,
        "kalai_smorodinsky" => K::KalaiSmorodinsky,
        "egalitarian" => K::Egalitarian,
        "repair" => K::Repair,
        "improvement" => K::Improvement,
        _ => return None,
    })
}

pub(crate) async fn analysis_page(
    State(app): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Query(q): Query<PairQuery>,
) -> Result<Response, PageError> {
    let loaded = load(&app, &caller, &id, &format!("/n/{id}/analysis")).await?;
    let analysis = analysis_of(&app, &caller, &id).await?;
    let view = &loaded.view;
    // The matrix's columns: the seats that hold stances (the mediator and observers never do).
    let parties: Vec<(String, String)> = view
        .parties
        .iter()
        .filter(|p| matches!(p.role, Role::Signatory | Role::Consulted))
        .map(|p| (p.id.clone(), p.name.clone()))
        .collect();
    let matrix = view
        .draft
        .iter()
        .flat_map(|d| d.provisions.iter())
        .map(|p| {
            let cells: Vec<MatrixCell> = parties
                .iter()
                .map(|(party, _)| match view.stances.iter().find(|s| &s.party == party && s.provision == p.id) {
                    Some(s) => MatrixCell {
                        position: s.position.clone(),
                        label: super::text::position_label(&s.position),
                        reason: s.detail.as_ref().and_then(|d| d.reason.clone()),
                        stale: s.stale,
                        conditions_hold: s.conditions_hold,
                    },
                    None => MatrixCell {
                        position: String::new(),
                        label: "—",
                        reason: None,
                        stale: false,
                        conditions_hold: None,
                    },
                })
                .collect();
            MatrixRow {
                provision: p.id.clone(),
                label: format!("{} {}", p.number, p.heading),
                // A stale stance blocks nothing: it answers a wording that is gone.
                blocked: cells.iter().any(|c| c.position == "unacceptable" && !c.stale),
                cells,
            }
        })
        .collect();
    let zopa = &analysis.zopa;
    let zopa_text = match (zopa.exists, zopa.decided) {
        (true, _) if zopa.count_at_least == zopa.count_at_most => {
            format!(
                "A zone of possible agreement exists: {} packages are acceptable to every party.",
                zopa.count_at_least
            )
        }
        (true, _) => format!(
            "A zone of possible agreement exists: between {} and {} packages are acceptable to every party.",
            zopa.count_at_least, zopa.count_at_most
        ),
        (false, true) => {
            "No zone of possible agreement: no package meets every party's reservation value and red lines.".to_string()
        }
        (false, false) => "Undecided: the search ran out of budget before finding an acceptable package.".to_string(),
    };
    let suggestions: Vec<Suggestion> = KINDS
        .iter()
        .map(|&(kind, title)| {
            let found = package_of(&analysis, kind);
            let (package, changes) = match found {
                Ok((package, changes)) => (Ok(package), changes),
                Err(e) => (Err(e), Vec::new()),
            };
            let gains_chart = package.as_ref().map(|p| gains_chart(&loaded, kind, p)).unwrap_or_default();
            let gains = package
                .as_ref()
                .map(|p| p.outcomes.iter().map(|o| (loaded.party_name(&o.party), o.normalised_gain)).collect())
                .unwrap_or_default();
            Suggestion { kind, title, package, changes, gains_chart, gains, same_as: None }
        })
        .collect();
    let mut suggestions = suggestions;
    for later in 1..suggestions.len() {
        let (earlier, rest) = suggestions.split_at_mut(later);
        let this = &mut rest[0];
        if let Ok(package) = &this.package {
            this.same_as = earlier
                .iter()
                .find(|e| e.same_as.is_none() && e.package.as_ref().is_ok_and(|p| p.values == package.values))
                .map(|e| e.title);
        }
    }
    let analysis_parties: Vec<(String, String)> =
        analysis.parties.iter().map(|p| (p.clone(), loaded.party_name(p))).collect();
    let a =
        q.a.filter(|a| analysis.parties.contains(a)).or_else(|| analysis.parties.first().cloned()).unwrap_or_default();
    let b =
        q.b.filter(|b| analysis.parties.contains(b) && b != &a)
            .or_else(|| analysis.parties.iter().find(|p| **p != a).cloned())
            .unwrap_or_default();
    let (pareto_chart, pareto_error) = if a.is_empty() || b.is_empty() {
        (String::new(), Some("the analysis needs two parties with a profile".to_string()))
    } else {
        match pareto_of(&app, &caller, &id, &a, &b).await {
            Ok(pareto) => {
                let at = |p: GainPair| accord_charts::UtilityPair { x: p.a, y: p.b };
                let marked = pareto
                    .suggestions
                    .iter()
                    .filter_map(|s| {
                        Some(accord_charts::Suggestion {
                            kind: suggestion_kind(&s.kind)?,
                            label: short_name(&s.kind),
                            at: accord_charts::UtilityPair { x: s.a, y: s.b },
                        })
                    })
                    .collect();
                let chart = accord_charts::pareto(&accord_charts::ParetoChart {
                    id: format!("pareto-{a}-{b}"),
                    party_x: loaded.party_name(&a),
                    party_y: loaded.party_name(&b),
                    frontier: pareto.frontier.into_iter().map(at).collect(),
                    draft: Some(at(pareto.draft)),
                    suggestions: marked,
                    disagreement: Some(accord_charts::UtilityPair { x: 0.0, y: 0.0 }),
                });
                (chart, None)
            }
            Err(e) => (String::new(), Some(e.detail)),
        }
    };
    let unconfirmed = analysis
        .unconfirmed
        .iter()
        .map(|u| {
            let mut what = Vec::new();
            if u.profile {
                what.push("its profile".to_string());
            }
            if !u.stances.is_empty() {
                what.push(format!("its stances on {}", u.stances.join(", ")));
            }
            (loaded.party_name(&u.party), what.join("; "))
        })
        .collect();
    let layout = Layout::new(format!("Analysis — {}", view.title), "analysis", loaded.session.clone())
        .with_nav(loaded.nav("analysis"))
        .with_scripts(&["live.js", "charts.js"]);
    let page = AnalysisPage {
        layout,
        id,
        parties,
        matrix,
        zopa: zopa_text,
        zopa_exists: zopa.exists,
        suggestions,
        pair: (a, b),
        analysis_parties,
        pareto_chart,
        pareto_error,
        unconfirmed,
    };
    render(StatusCode::OK, &page)
}

// ---------------------------------------------------------------- preview and adopt

#[derive(Debug, Deserialize)]
pub(crate) struct PackageQuery {
    package: String,
}

/// The draft as a negotiation again (issues with their draft values, provisions), enough to render its text.
fn draft_negotiation(loaded: &Loaded) -> Option<Negotiation> {
    let draft = loaded.view.draft.as_ref()?;
    Some(Negotiation {
        id: loaded.id.clone(),
        title: loaded.view.title.clone(),
        description: loaded.view.description.clone(),
        parties: loaded.view.parties.clone(),
        issues: draft.issues.clone(),
        provisions: draft.provisions.clone(),
        constraints: draft.constraints.clone(),
        timetable: draft.timetable.clone(),
        profiles: Vec::new(),
        stances: Vec::new(),
        privacy: Default::default(),
    })
}

fn package_indices(issues: &[Issue], package: &PackageView) -> Package {
    Package(
        issues
            .iter()
            .map(|issue| {
                package
                    .values
                    .iter()
                    .find(|v| v.issue == issue.id)
                    .and_then(|v| issue.index_of(&Value::Option(v.value.clone())))
                    .unwrap_or_else(|| issue.draft_index())
            })
            .collect(),
    )
}

#[derive(askama::Template)]
#[template(path = "preview.html")]
struct PreviewPage {
    layout: Layout,
    id: String,
    kind: String,
    title: String,
    base: u64,
    values: Vec<(String, String, bool)>,
    changes: Vec<ProvisionChange>,
    next_number: u32,
}

pub(crate) async fn preview(
    State(app): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Query(q): Query<PackageQuery>,
) -> Result<Response, PageError> {
    let loaded = load(&app, &caller, &id, &format!("/n/{id}/analysis/preview?package={}", q.package)).await?;
    let analysis = analysis_of(&app, &caller, &id).await?;
    let (package, _) =
        package_of(&analysis, &q.package).map_err(|e| ApiError::new(ErrorCode::AnalysisUnavailable, e))?;
    let negotiation = draft_negotiation(&loaded)
        .ok_or_else(|| ApiError::new(ErrorCode::Forbidden, "your seat may not read the draft"))?;
    let proposed = package_indices(&negotiation.issues, &package);
    let render_text = |p: &Package| {
        accord_core::text::render(&negotiation, p)
            .map_err(|e| ApiError::new(ErrorCode::AnalysisUnavailable, format!("the text cannot be rendered: {e}")))
    };
    let current = match loaded.view.draft.as_ref().and_then(|d| d.text.clone()) {
        Some(text) => text,
        None => accord_core::text::Version { title: negotiation.title.clone(), provisions: Vec::new() },
    };
    let after = render_text(&proposed)?;
    let next_number = loaded.view.versions.last().map_or(1, |v| v.number + 1);
    let diff = handlers::versions::diff(&as_version(0, current), &as_version(next_number, after));
    let values = negotiation
        .issues
        .iter()
        .zip(&proposed.0)
        .map(|(issue, &index)| (issue.title.clone(), issue.label_at(index), index != issue.draft_index()))
        .collect();
    let title = KINDS.iter().find(|(k, _)| *k == q.package).map_or("Package", |(_, t)| t).to_string();
    let layout = Layout::new(format!("Preview — {}", loaded.view.title), "preview", loaded.session.clone())
        .with_nav(loaded.nav("preview"))
        .with_scripts(&["live.js"]);
    let page = PreviewPage {
        layout,
        id,
        kind: q.package,
        title,
        base: loaded.view.log_size,
        values,
        changes: changes(diff),
        next_number,
    };
    render(StatusCode::OK, &page)
}

pub(crate) async fn adopt(
    State(app): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    form: Form,
) -> Result<Response, PageError> {
    require_account(&caller, &format!("/n/{id}/analysis"))?;
    let mut base = form.base()?;
    let kind = form.text("package");
    let loaded = load(&app, &caller, &id, &format!("/n/{id}/analysis")).await?;
    if loaded.view.log_size != base {
        return Err(ApiError::new(
            ErrorCode::Conflict,
            "the negotiation changed since you opened the preview; open the analysis again and re-check the package",
        )
        .into());
    }
    let analysis = analysis_of(&app, &caller, &id).await?;
    let (package, _) = package_of(&analysis, &kind).map_err(|e| ApiError::new(ErrorCode::AnalysisUnavailable, e))?;
    let issues = loaded.view.draft.as_ref().map(|d| d.issues.clone()).unwrap_or_default();
    let proposed = package_indices(&issues, &package);
    for (issue, &index) in issues.iter().zip(&proposed.0) {
        if issue.draft.is_some() && index == issue.draft_index() {
            continue;
        }
        let Some(value) = issue.value_at(index) else { continue };
        let written: WriteResult = api(handlers::text::set_draft_value(
            State(app.clone()),
            caller.clone(),
            IssuePath { id: id.clone(), issue: issue.id.clone() },
            IfMatch(Some(base)),
            ApiJson(DraftValueInput { value }),
        ))
        .await?;
        base = written.log_size;
    }
    if form.checked("publish") {
        handlers::versions::publish_version(
            State(app.clone()),
            caller,
            NegotiationPath { id: id.clone() },
            IfMatch(Some(base)),
            ApiJson(PublishInput { status: super::versions::publish_status(&form)? }),
        )
        .await?;
        return Ok(see_other(&format!("/n/{id}/versions")));
    }
    Ok(see_other(&format!("/n/{id}/text")))
}
