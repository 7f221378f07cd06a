//! What a viewer receives of the engine's answers.
//!
//! The engine works on every profile; its raw results (utilities, Nash
//! products, the rules active at a package, which name red lines) are
//! profile-derived. The filter keeps the packages, which are public text, and
//! reports each party's outcome at the level [`Resource::Utility`] allows:
//! the utility itself for the party, the normalised gain for the mediator.

use accord_core::Negotiation;
use accord_engine::Problem;
use accord_engine::balance::PartyBalance;
use accord_engine::bargain::Solution;
use accord_engine::improve::Improvement;
use accord_engine::repair::RepairOutcome;
use accord_engine::zopa::{Count, Zopa};
use serde::{Deserialize, Serialize};

use crate::{Action, Decision, Resource, Viewer, decide};

/// The engine's raw answers for one negotiation, computed by the caller.
/// Each is a `Result` so one failing analysis does not hide the others.
#[derive(Debug)]
pub struct RawAnalysis<'a> {
    pub negotiation: &'a Negotiation,
    pub problem: &'a Problem,
    pub zopa: Zopa,
    /// `(name, result)` for `nash`, `kalai_smorodinsky`, `egalitarian`.
    pub solutions: Vec<(&'static str, Result<Option<Solution>, String>)>,
    pub repair: Result<RepairOutcome, String>,
    pub improvement: Result<Improvement, String>,
    pub balance: Vec<PartyBalance>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AnalysisView {
    /// The parties the analysis is over (signatories with a profile).
    pub parties: Vec<String>,
    pub zopa: ZopaView,
    pub solutions: Vec<SolutionView>,
    pub repair: Section<RepairView>,
    pub improvement: Section<ImprovementView>,
    pub balance: Vec<BalanceView>,
}

/// An analysis that ran (`result`) or could not (`error`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Section<T> {
    pub result: Option<T>,
    pub error: Option<String>,
}

impl<T> Section<T> {
    fn from_result(result: Result<T, String>) -> Self {
        match result {
            Ok(value) => Section { result: Some(value), error: None },
            Err(error) => Section { result: None, error: Some(error) },
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ZopaView {
    pub exists: bool,
    /// Whether `exists` is proven (rather than the search budget running out).
    pub decided: bool,
    pub count_at_least: String,
    pub count_at_most: String,
    pub witness: Option<PackageView>,
}

/// A package, by issue, with each party's outcome as far as the viewer may see it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PackageView {
    pub values: Vec<IssueValue>,
    pub outcomes: Vec<PartyOutcome>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct IssueValue {
    pub issue: String,
    pub value: String,
    pub label: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PartyOutcome {
    pub party: String,
    /// The party's utility: shown to the party itself only.
    pub utility: Option<f64>,
    /// `(u − d) / (ideal − d)`: 0 at the reservation value, 1 at the party's
    /// ideal (best value on every issue), negative below the reservation value.
    pub normalised_gain: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SolutionView {
    pub name: String,
    pub package: Section<Option<PackageView>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum RepairView {
    Repaired { changes: Vec<ChangeView>, package: PackageView },
    Unrepairable { reason: String },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ChangeView {
    pub issue: String,
    pub from: String,
    pub to: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum ImprovementView {
    Better { package: PackageView },
    ParetoOptimal,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct BalanceView {
    pub party: String,
    /// The party's utility at the draft; only for the party itself.
    pub utility: Option<f64>,
    pub per_provision: Vec<ShareView>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ShareView {
    pub provision: String,
    pub issues: Vec<String>,
    /// Where the draft puts the party between its worst (0) and best (1) for these issues.
    pub normalised: f64,
    /// Raw contribution, best and worst: only for the party itself.
    pub contribution: Option<f64>,
    pub best: Option<f64>,
    pub worst: Option<f64>,
}

struct Scale<'a> {
    negotiation: &'a Negotiation,
    problem: &'a Problem,
    ideals: Vec<f64>,
}

impl Scale<'_> {
    fn package(&self, viewer: &Viewer, package: &[usize], utilities: &[f64]) -> PackageView {
        let values = self
            .negotiation
            .issues
            .iter()
            .zip(package)
            .map(|(issue, &v)| IssueValue {
                issue: issue.id.clone(),
                value: issue.value_at(v).map(|x| x.to_string()).unwrap_or_default(),
                label: issue.label_at(v),
            })
            .collect();
        let outcomes = self
            .problem
            .parties
            .iter()
            .enumerate()
            .filter_map(|(i, party)| {
                let decision = decide(viewer, Action::Read, &Resource::Utility { party: &party.id });
                if decision == Decision::Deny {
                    return None;
                }
                let u = utilities.get(i).copied().unwrap_or(0.0);
                let gain = normalised_gain(u, party.reservation, self.ideals[i]);
                Some(PartyOutcome {
                    party: party.id.clone(),
                    utility: (decision == Decision::Allow).then_some(u),
                    normalised_gain: gain,
                })
            })
            .collect();
        PackageView { values, outcomes }
    }
}

/// Each analysis party's ideal utility: its best value on every issue, summed.
pub fn ideals(problem: &Problem) -> Vec<f64> {
    problem
        .tables
        .iter()
        .map(|per_issue| per_issue.iter().map(|values| values.iter().copied().fold(0.0f64, f64::max)).sum())
        .collect()
}

/// `(u − d) / (ideal − d)`: the scale on which the mediator sees every
/// party's outcome. Not clamped: below the reservation value it is negative.
/// A party whose ideal is its reservation value has nothing to gain: 0.
pub fn normalised_gain(utility: f64, reservation: f64, ideal: f64) -> f64 {
    let span = ideal - reservation;
    if span > 1e-12 { (utility - reservation) / span } else { 0.0 }
}

/// The analysis as `viewer` may see it; `None` when the viewer may not see the analysis at all.
pub fn filter_analysis(viewer: &Viewer, raw: &RawAnalysis<'_>) -> Option<AnalysisView> {
    if !decide(viewer, Action::Read, &Resource::Analysis).allowed() {
        return None;
    }
    let problem = raw.problem;
    let ideals = ideals(problem);
    let scale = Scale { negotiation: raw.negotiation, problem, ideals };
    let count = |c: u128| c.to_string();
    let zopa = ZopaView {
        exists: raw.zopa.exists,
        decided: raw.zopa.is_decided(),
        count_at_least: count(match raw.zopa.count {
            Count::Exact(n) => n,
            Count::Bounds { at_least, .. } => at_least,
        }),
        count_at_most: count(raw.zopa.count.at_most()),
        witness: raw.zopa.witness.as_ref().map(|p| scale.package(viewer, p, &problem.utilities(p))),
    };
    let solutions = raw
        .solutions
        .iter()
        .map(|(name, result)| SolutionView {
            name: name.to_string(),
            package: Section::from_result(
                result.clone().map(|s| s.map(|s| scale.package(viewer, &s.package, &s.utilities))),
            ),
        })
        .collect();
    let repair = Section::from_result(raw.repair.clone().map(|outcome| {
        match outcome {
            RepairOutcome::Repaired(r) => RepairView::Repaired {
                changes: r
                    .changes
                    .iter()
                    .map(|c| {
                        let issue = raw.negotiation.issues.get(c.issue);
                        let label = |v: usize| issue.map(|i| i.label_at(v)).unwrap_or_default();
                        ChangeView { issue: c.issue_id.clone(), from: label(c.from), to: label(c.to) }
                    })
                    .collect(),
                package: scale.package(viewer, &r.package, &r.utilities),
            },
            RepairOutcome::Unrepairable { reason } => RepairView::Unrepairable { reason },
        }
    }));
    let improvement = Section::from_result(raw.improvement.clone().map(|i| match i {
        Improvement::Better { solution } => {
            ImprovementView::Better { package: scale.package(viewer, &solution.package, &solution.utilities) }
        }
        Improvement::ParetoOptimal { .. } => ImprovementView::ParetoOptimal,
    }));
    Some(AnalysisView {
        parties: problem.parties.iter().map(|p| p.id.clone()).collect(),
        zopa,
        solutions,
        repair,
        improvement,
        balance: filter_balance(viewer, &raw.balance),
    })
}

/// The balances `viewer` may see: in full for its own party, normalised for the mediator.
pub fn filter_balance(viewer: &Viewer, balances: &[PartyBalance]) -> Vec<BalanceView> {
    balances
        .iter()
        .filter_map(|b| {
            let decision = decide(viewer, Action::Read, &Resource::Balance { party: &b.party });
            if decision == Decision::Deny {
                return None;
            }
            let full = decision == Decision::Allow;
            Some(BalanceView {
                party: b.party.clone(),
                utility: full.then_some(b.utility),
                per_provision: b
                    .per_provision
                    .iter()
                    .map(|s| {
                        let span = s.best - s.worst;
                        ShareView {
                            provision: s.provision.clone(),
                            issues: s.issues.clone(),
                            normalised: if span > 1e-12 { (s.contribution - s.worst) / span } else { 1.0 },
                            contribution: full.then_some(s.contribution),
                            best: full.then_some(s.best),
                            worst: full.then_some(s.worst),
                        }
                    })
                    .collect(),
            })
        })
        .collect()
}
