//! What a viewer receives of the engine's answers.
//!
//! The engine works on every profile; its raw results (utilities, Nash
//! products, the rules active at a package, which name red lines) are
//! profile-derived. The filter keeps the packages, which are public text, and
//! reports each party's outcome at the level [`Resource::Utility`] allows:
//! the utility itself for the party, the normalised gain for the mediator.

use accord_core::{Negotiation, Role, StanceStanding};
use accord_engine::analyse::{Analysis, Budgets, Outcome, Part, analyse_parts};
use accord_engine::balance::PartyBalance;
use accord_engine::bargain::Solution;
use accord_engine::frontier::Frontier;
use accord_engine::improve::Improvement;
use accord_engine::repair::RepairOutcome;
use accord_engine::zopa::{Count, Zopa};
use accord_engine::{Problem, TOL};
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

/// The parts of an analysis that [`filter_analysis`] shows: the ZOPA, the
/// three fair packages, the repair and the improvement of the draft. Pass them
/// to [`accord_engine::analyse::analyse_parts`] and the result to
/// [`RawAnalysis::from_analysis`].
pub const VIEW_PARTS: [Part; 6] =
    [Part::Nash, Part::KalaiSmorodinsky, Part::Egalitarian, Part::Improvement, Part::Zopa, Part::Repair];

impl<'a> RawAnalysis<'a> {
    /// The raw answers of an [`Analysis`] of `problem` (compiled from
    /// `negotiation`) and the draft's `balance`, for [`filter_analysis`].
    ///
    /// A part whose budget ran out contributes what it established within the
    /// budget (an undecided or interval ZOPA, a solution with a positive gap),
    /// or its error when it established nothing; a part not computed is an
    /// error that says so (the ZOPA: undecided, between 0 and every package).
    pub fn from_analysis(
        negotiation: &'a Negotiation,
        problem: &'a Problem,
        analysis: &Analysis,
        balance: Vec<PartyBalance>,
    ) -> RawAnalysis<'a> {
        fn answer<T: Clone>(outcome: &Option<Outcome<T>>, part: Part) -> Result<T, String> {
            match outcome {
                Some(outcome) => outcome.result().cloned().map_err(|e| e.to_string()),
                None => Err(format!("the {} part of the analysis was not computed", part.name())),
            }
        }
        let zopa = analysis.zopa.as_ref().and_then(|z| z.result().ok().cloned()).unwrap_or(Zopa {
            exists: false,
            count: Count::Bounds { at_least: 0, at_most: u128::MAX },
            witness: None,
        });
        let solutions = [
            ("nash", &analysis.nash, Part::Nash),
            ("kalai_smorodinsky", &analysis.kalai_smorodinsky, Part::KalaiSmorodinsky),
            ("egalitarian", &analysis.egalitarian, Part::Egalitarian),
        ]
        .into_iter()
        .map(|(name, outcome, part)| (name, answer(outcome, part)))
        .collect();
        RawAnalysis {
            negotiation,
            problem,
            zopa,
            solutions,
            repair: answer(&analysis.repair, Part::Repair),
            improvement: answer(&analysis.improvement, Part::Improvement),
            balance,
        }
    }
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
    /// Per party, the inputs the analysis used that the mediator entered for
    /// the party (from a scenario) and the party has not confirmed: a ZOPA
    /// found on them rests on words put in the parties' mouths. Filled by
    /// [`AnalysisView::with_unconfirmed`] from the state analysed.
    #[serde(default)]
    pub unconfirmed: Vec<crate::view::UnconfirmedInputs>,
    /// The stances the analysis left out because the wording they answer is
    /// gone (see [`accord_engine::compile::CompileReport::stale`]), those whose
    /// positions the viewer may read.
    #[serde(default)]
    pub stale: Vec<StaleStanceView>,
}

/// A stance the analysis left out: its party read a wording of `provision`
/// that the text no longer has.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct StaleStanceView {
    pub party: String,
    pub provision: String,
    /// The latest published version when the party took the stance (0 if none was).
    pub pinned_version: u32,
}

/// The stale stances of `negotiation` whose positions `viewer` may read: a
/// party its own, the mediator every party's unless blind mediation hides
/// positions. Decided with the engine's own test
/// ([`accord_core::Negotiation::stance_standing`]).
pub fn stale_stances(viewer: &Viewer, negotiation: &Negotiation) -> Vec<StaleStanceView> {
    negotiation
        .stances
        .iter()
        .filter(|s| decide(viewer, Action::Read, &Resource::StancePosition { party: &s.party }).allowed())
        .filter(|s| negotiation.stance_standing(s) == StanceStanding::Stale)
        .map(|s| StaleStanceView {
            party: s.party.clone(),
            provision: s.provision.clone(),
            pinned_version: s.pin.as_ref().map_or(0, |pin| pin.version),
        })
        .collect()
}

impl AnalysisView {
    /// The view with the unconfirmed inputs of `state` (the state the
    /// analysis was computed from) that `viewer` may know of.
    pub fn with_unconfirmed(mut self, viewer: &Viewer, state: &accord_core::event::State) -> AnalysisView {
        self.unconfirmed = crate::view::unconfirmed_inputs(viewer, state);
        self
    }
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
            RepairOutcome::Unrepairable { reason } => RepairView::Unrepairable {
                reason: if sees_every_position(viewer, raw.negotiation) {
                    reason
                } else {
                    // The engine's reason may name the stance that blocks, and so whose it is.
                    UNREPAIRABLE_WITHOUT_NAMES.to_string()
                },
            },
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
        unconfirmed: Vec::new(),
        stale: stale_stances(viewer, raw.negotiation)
            .into_iter()
            .filter(|s| problem.parties.iter().any(|p| p.id == s.party))
            .collect(),
    })
}

/// Why a draft cannot be repaired, told to a viewer who may not read every
/// party's stance positions (a mediator under blind mediation).
pub const UNREPAIRABLE_WITHOUT_NAMES: &str = "no change of values makes the draft acceptable to every signatory: \
     a hard rule (a red line, a stance or a constraint) or a reservation value blocks every package; the text \
     itself, or a party's stance, must change";

/// Whether `viewer` may read every stakeholder's stance positions.
fn sees_every_position(viewer: &Viewer, negotiation: &Negotiation) -> bool {
    negotiation
        .parties
        .iter()
        .filter(|p| matches!(p.role, Role::Signatory | Role::Consulted))
        .all(|p| decide(viewer, Action::Read, &Resource::StancePosition { party: &p.id }).allowed())
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

// ---------------------------------------------------------------- the frontier in gains

/// Two parties' normalised gains at one package: `(u − d) / (ideal − d)`,
/// 0 at the reservation value, 1 at the party's ideal, negative below the
/// reservation value (the scale the analysis reports).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct GainPair {
    pub a: f64,
    pub b: f64,
}

/// A suggested package of the analysis, placed on the pair's axes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ParetoSuggestion {
    /// `nash`, `kalai_smorodinsky`, `egalitarian`, `repair` or `improvement`.
    pub kind: String,
    pub a: f64,
    pub b: f64,
}

/// The Pareto frontier of the individually rational packages, in normalised
/// gains of every analysis party, and the draft's gains: what every pair's
/// chart is cut from. It holds the gains of every party, so it is never
/// handed out whole: [`project`] cuts the two columns the policy allows.
#[derive(Debug, Clone, PartialEq)]
pub struct FrontierGains {
    /// The analysis parties' ids, in the problem's order.
    pub parties: Vec<String>,
    /// One gain per party at each frontier point, in the frontier's order.
    pub points: Vec<Vec<f64>>,
    /// One gain per party at the draft (which may break a red line).
    pub draft: Vec<f64>,
}

impl FrontierGains {
    /// The gains of an already computed `frontier` of `problem`, and of `draft`.
    pub fn from_frontier(problem: &Problem, frontier: &Frontier, draft: &[usize]) -> FrontierGains {
        let ideals = ideals(problem);
        let gains = |utilities: &[f64]| -> Vec<f64> {
            problem
                .parties
                .iter()
                .zip(&ideals)
                .zip(utilities)
                .map(|((party, &ideal), &utility)| normalised_gain(utility, party.reservation, ideal))
                .collect()
        };
        FrontierGains {
            parties: problem.parties.iter().map(|p| p.id.clone()).collect(),
            points: frontier.points.iter().map(|p| gains(&p.utilities)).collect(),
            draft: gains(&problem.utilities(draft)),
        }
    }

    /// The frontier of `problem` under `budgets` (its `frontier_points`; one
    /// package per point is enough), in gains, with the `draft`'s gains. When
    /// the frontier is over its budget the outcome says so and holds nothing.
    pub fn compute(problem: &Problem, draft: &[usize], budgets: &Budgets) -> Outcome<FrontierGains> {
        let budgets = Budgets { packages_cap: 1, ..*budgets };
        let analysis = analyse_parts(problem, draft, &budgets, &[Part::Frontier], &|_| {});
        match analysis.frontier {
            Some(outcome) => outcome.map(|frontier| FrontierGains::from_frontier(problem, &frontier, draft)),
            // analyse_parts computes every part it is asked for.
            None => Outcome::Failed(accord_engine::EngineError::Invalid("the frontier was not computed".into())),
        }
    }
}

/// The N-party frontier seen on two axes: the pairs (gains of parties `a` and
/// `b`) that no other pair beats on both by more than the engine's tolerance,
/// ascending in `a`. Points without an `a` or `b` column are skipped.
pub fn project(points: &[Vec<f64>], a: usize, b: usize) -> Vec<GainPair> {
    let mut pairs: Vec<(f64, f64)> = points.iter().filter_map(|gains| Some((*gains.get(a)?, *gains.get(b)?))).collect();
    pairs.sort_by(|x, y| y.0.total_cmp(&x.0).then(y.1.total_cmp(&x.1)));
    let mut kept: Vec<GainPair> = Vec::new();
    // Descending in a, so a pair survives only if it beats every kept pair on b.
    for (a, b) in pairs {
        // A kept pair only TOL ahead on a and behind on b is beaten by this one.
        while kept.last().is_some_and(|last| last.a - a <= TOL && b > last.b + TOL) {
            kept.pop();
        }
        if kept.last().is_none_or(|last| b > last.b + TOL) {
            kept.push(GainPair { a, b });
        }
    }
    kept.reverse();
    kept
}

/// The analysis's suggested packages (the bargaining solutions, the repair,
/// the improvement, in that order) on the axes of parties `a` and `b`; a
/// package without an outcome for either party is left out.
pub fn suggestions_on(analysis: &AnalysisView, a: &str, b: &str) -> Vec<ParetoSuggestion> {
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // test code: a panic is a failed test

    use proptest::prelude::*;

    use super::*;

    fn pairs(projected: &[GainPair]) -> Vec<(f64, f64)> {
        projected.iter().map(|p| (p.a, p.b)).collect()
    }

    #[test]
    fn two_columns_of_a_three_party_frontier_keep_the_staircase() {
        let points = vec![
            vec![0.0, 1.0, 0.5],
            vec![0.5, 0.5, 0.9],
            // Beaten on (a, b) by the point above; on the third party's axis it is not.
            vec![0.4, 0.4, 1.0],
            vec![1.0, 0.0, 0.0],
            // Within the tolerance of (0.5, 0.5) on b: one point.
            vec![0.5, 0.5 + TOL / 2.0, 0.1],
        ];
        assert_eq!(pairs(&project(&points, 0, 1)), vec![(0.0, 1.0), (0.5, 0.5 + TOL / 2.0), (1.0, 0.0)]);
        // Swapping the axes mirrors the staircase.
        assert_eq!(pairs(&project(&points, 1, 0)), vec![(0.0, 1.0), (0.5 + TOL / 2.0, 0.5), (1.0, 0.0)]);
        assert_eq!(pairs(&project(&points, 0, 2)), vec![(0.4, 1.0), (0.5, 0.9), (1.0, 0.0)]);
    }

    #[test]
    fn missing_columns_and_no_points_project_to_nothing() {
        assert!(project(&[], 0, 1).is_empty());
        assert!(project(&[vec![0.3]], 0, 1).is_empty());
        assert_eq!(pairs(&project(&[vec![0.3, 0.2]], 0, 1)), vec![(0.3, 0.2)]);
    }

    #[test]
    fn gains_of_a_frontier_are_on_the_analysis_scale() {
        use accord_engine::frontier::FrontierPoint;
        use accord_engine::problem::{AnalysisParty, IssueInfo};
        let party = |id: &str, reservation| AnalysisParty { id: id.into(), name: id.into(), reservation };
        let problem = Problem {
            parties: vec![party("a", 0.25), party("b", 0.0)],
            issues: vec![IssueInfo { id: "x".into(), title: "X".into(), values: Vec::new() }],
            groups: Vec::new(),
            rules: Vec::new(),
            // a: 0, 0.5, 1; b: 1, 0.5, 0.
            tables: vec![vec![vec![0.0, 0.5, 1.0]], vec![vec![1.0, 0.5, 0.0]]],
        };
        let point = |u: [f64; 2]| FrontierPoint { utilities: u.to_vec(), packages: Vec::new(), n_packages: 1 };
        let frontier = Frontier { points: vec![point([1.0, 0.0]), point([0.5, 0.5])] };
        let gains = FrontierGains::from_frontier(&problem, &frontier, &[0]);
        assert_eq!(gains.parties, vec!["a", "b"]);
        // a: (u − 0.25) / (1 − 0.25); b: u / 1.
        assert_eq!(gains.points, vec![vec![1.0, 0.0], vec![1.0 / 3.0, 0.5]]);
        // The draft leaves a below its reservation value: negative, not clamped.
        assert_eq!(gains.draft, vec![-1.0 / 3.0, 1.0]);
    }

    /// The pairs no other pair beats on both axes, by brute force, ascending
    /// in `a`, one per cluster of pairs within the tolerance.
    fn brute_force(pairs: &[(f64, f64)]) -> Vec<(f64, f64)> {
        let beats =
            |p: (f64, f64), q: (f64, f64)| p.0 >= q.0 - TOL && p.1 >= q.1 - TOL && (p.0 > q.0 + TOL || p.1 > q.1 + TOL);
        let mut kept: Vec<(f64, f64)> =
            pairs.iter().copied().filter(|&q| !pairs.iter().any(|&p| beats(p, q))).collect();
        kept.sort_by(|x, y| x.0.total_cmp(&y.0).then(x.1.total_cmp(&y.1)));
        kept
    }

    proptest! {
        /// On a grid coarser than the tolerance, where "within the tolerance"
        /// means "equal", `project` keeps exactly the non-dominated pairs,
        /// each once, ascending in `a`.
        #[test]
        fn project_keeps_exactly_the_non_dominated_pairs(
            grid in prop::collection::vec(prop::collection::vec(-4i32..=8, 3), 0..40),
            a in 0usize..3,
            b in 0usize..3,
        ) {
            prop_assume!(a != b);
            let points: Vec<Vec<f64>> =
                grid.iter().map(|p| p.iter().map(|&x| f64::from(x) / 8.0).collect()).collect();
            let projected = pairs(&project(&points, a, b));
            let all: Vec<(f64, f64)> = points.iter().map(|p| (p[a], p[b])).collect();
            let mut expected = brute_force(&all);
            expected.dedup();
            prop_assert_eq!(&projected, &expected);
            for step in projected.windows(2) {
                prop_assert!(step[0].0 < step[1].0 && step[0].1 > step[1].1, "not a staircase: {:?}", step);
            }
        }

        /// With noise below the tolerance, every kept pair is one no other pair
        /// beats, and every pair is covered by a kept one within the tolerance.
        #[test]
        fn project_is_sound_and_covers_every_pair_under_noise(
            raw in prop::collection::vec((0.0f64..1.0, 0.0f64..1.0, -1.0f64..1.0, -1.0f64..1.0), 0..60),
        ) {
            let points: Vec<Vec<f64>> =
                raw.iter().map(|&(a, b, na, nb)| vec![(a * 8.0).round() / 8.0 + na * TOL / 4.0,
                                                      (b * 8.0).round() / 8.0 + nb * TOL / 4.0]).collect();
            let projected = pairs(&project(&points, 0, 1));
            let all: Vec<(f64, f64)> = points.iter().map(|p| (p[0], p[1])).collect();
            let beats = |p: (f64, f64), q: (f64, f64)| p.0 > q.0 + TOL && p.1 >= q.1 - TOL
                || p.1 > q.1 + TOL && p.0 >= q.0 - TOL;
            for &kept in &projected {
                prop_assert!(all.iter().all(|&p| !beats(p, kept)), "{:?} is beaten", kept);
            }
            for &p in &all {
                prop_assert!(projected.iter().any(|&k| k.0 >= p.0 - TOL && k.1 >= p.1 - TOL), "{:?} uncovered", p);
            }
            for step in projected.windows(2) {
                prop_assert!(step[0].0 <= step[1].0, "not ascending in a: {:?}", step);
            }
        }
    }
}
