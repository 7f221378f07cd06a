//! One analysis of a negotiation under explicit budgets: the ZOPA, the
//! frontier, the bargaining solutions, the repair and the improvement of a
//! draft, computed the same way for `accord analyze` and for the server.
//!
//! # Budgets
//!
//! The engine is pure and reads no clock, so a budget is a count of work, not
//! a duration: nodes expanded by a search, points held by a frontier, sets of
//! issues tried by the repair. Each count bounds both the time and the memory
//! of its computation deterministically, so the same input gives the same
//! answer on every machine. [`Budgets::default`] is what `accord analyze` uses
//! (generous: a mediator waits for an exact answer at the desk);
//! [`Budgets::SERVER`] is what a shared server uses, an order of magnitude
//! smaller where the default would let one request occupy a worker for long.
//!
//! Measured once, with `accord analyze --json` (debug build, on the shared
//! 2-core development machine under a load average of about 16, so an upper
//! figure): under [`Budgets::default`], the largest example by outcomes,
//! `examples/peace-framework.toml` (3,752,892 packages, 2 parties), takes
//! 129 ms in all (the ZOPA count 84 ms); `examples/labour-agreement.toml`
//! (60,750 packages, 3 parties, branch-and-bound) 1.7 s, mostly
//! Kalai–Smorodinsky (0.64 s), egalitarian (0.53 s) and the improvement
//! (0.37 s). No part comes near its budget on the examples: the answers are
//! exact and the same under [`Budgets::SERVER`], whose budgets differ only
//! where the examples stay far below both. The budgets are there for hostile
//! or very large input; how long a whole budget takes was not measured.
//!
//! # Exhausted budgets
//!
//! Every part reports, in its [`Outcome`], whether it is proven
//! ([`Outcome::Exact`]) or a budget ran out first
//! ([`Outcome::BudgetExhausted`], naming the [`Budget`]). What was established
//! within the budget is kept as `partial`, with its own certificate (a count
//! interval, a positive `gap`); it is never presented as exact.

use serde::Serialize;

use crate::bargain::{self, Method, Solution, SolveOptions};
use crate::frontier::{self, Frontier, FrontierOptions};
use crate::improve::{self, Improvement};
use crate::repair::{self, RepairOptions, RepairOutcome};
use crate::zopa::{self, Count, Zopa, ZopaOptions};
use crate::{EngineError, Problem};

/// Every limit of an analysis, as counts of work.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budgets {
    /// Most partial choices the ZOPA count expands; past it the count becomes
    /// an interval. Deciding existence afterwards may take ten times as many.
    pub zopa_nodes: u64,
    /// Most subtree counts the ZOPA search remembers (memory only; it never
    /// makes an answer inexact).
    pub zopa_memo: usize,
    /// Most points the Pareto frontier may hold at once (and, for three or
    /// more parties, 2500 comparisons per point); past it the frontier is not
    /// computed.
    pub frontier_points: usize,
    /// Most packages kept behind each frontier point (all are counted).
    pub packages_cap: usize,
    /// Most branch-and-bound nodes per search of a bargaining solution, of the
    /// improvement, and of the Nash solution of each repair candidate; past it
    /// the best package found is returned with its certified gap.
    pub solve_nodes: u64,
    /// Most points of the two-party frontier the bargaining solutions are read
    /// from; past it they fall back to branch-and-bound (still exact).
    pub solve_frontier_points: usize,
    /// Most sets of issues the repair tries in all.
    pub repair_subsets: u64,
    /// Nodes of each repair search for an acceptable package (ten times this
    /// many when deciding existence).
    pub repair_search_nodes: u64,
    /// Memo entries of each repair search.
    pub repair_search_memo: usize,
}

impl Budgets {
    /// The engine's own defaults, used by `accord analyze`: exact answers on
    /// every GENIUS domain of the conformance suite and on problems with
    /// 10³⁰ outcomes as separable issues.
    pub const DEFAULT: Budgets = Budgets {
        zopa_nodes: 20_000_000,
        zopa_memo: 2_000_000,
        frontier_points: 4_000_000,
        packages_cap: 50,
        solve_nodes: 50_000_000,
        solve_frontier_points: 1_000_000,
        repair_subsets: 2_000_000,
        repair_search_nodes: 2_000_000,
        repair_search_memo: 200_000,
    };

    /// The limits `accord serve` has always used: a tenth of the default ZOPA
    /// and repair budgets, a frontier of at most 200,000 points with one
    /// package per point (the chart needs no more). The bargaining searches
    /// keep the default node budget, which they need to stay exact on the
    /// examples. Meant as the server configuration's default.
    pub const SERVER: Budgets = Budgets {
        zopa_nodes: 2_000_000,
        zopa_memo: 200_000,
        frontier_points: 200_000,
        packages_cap: 1,
        solve_nodes: 50_000_000,
        solve_frontier_points: 1_000_000,
        repair_subsets: 200_000,
        repair_search_nodes: 200_000,
        repair_search_memo: 50_000,
    };

    /// [`Budgets::SERVER`], for a `Config` field's default.
    pub const fn server_default() -> Budgets {
        Budgets::SERVER
    }

    pub fn zopa_options(&self) -> ZopaOptions {
        ZopaOptions { max_nodes: self.zopa_nodes, max_memo: self.zopa_memo }
    }

    pub fn solve_options(&self) -> SolveOptions {
        SolveOptions {
            method: Method::Auto,
            node_budget: self.solve_nodes,
            frontier_max_points: self.solve_frontier_points,
        }
    }

    pub fn repair_options(&self) -> RepairOptions {
        RepairOptions {
            max_subsets: self.repair_subsets,
            search: ZopaOptions { max_nodes: self.repair_search_nodes, max_memo: self.repair_search_memo },
        }
    }

    /// The frontier's options, reporting progress to `progress` if given.
    pub fn frontier_options<'a>(&self, progress: Option<&'a (dyn Fn(usize, usize) + Sync)>) -> FrontierOptions<'a> {
        FrontierOptions { max_points: self.frontier_points, packages_cap: self.packages_cap, progress }
    }
}

impl Default for Budgets {
    /// [`Budgets::DEFAULT`].
    fn default() -> Self {
        Budgets::DEFAULT
    }
}

/// Which budget ran out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Budget {
    /// [`Budgets::zopa_nodes`].
    ZopaNodes,
    /// [`Budgets::frontier_points`].
    FrontierPoints,
    /// [`Budgets::solve_nodes`].
    SolveNodes,
    /// [`Budgets::repair_subsets`].
    RepairSubsets,
    /// [`Budgets::repair_search_nodes`].
    RepairSearchNodes,
}

impl Budget {
    /// The snake-case name, as in JSON.
    pub fn name(self) -> &'static str {
        match self {
            Budget::ZopaNodes => "zopa_nodes",
            Budget::FrontierPoints => "frontier_points",
            Budget::SolveNodes => "solve_nodes",
            Budget::RepairSubsets => "repair_subsets",
            Budget::RepairSearchNodes => "repair_search_nodes",
        }
    }
}

/// One part's answer.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome<T> {
    /// Proven: an exact count, a gap of 0, a certified verdict.
    Exact(T),
    /// `which` ran out before the answer was proven. `partial` is what was
    /// established within the budget, carrying its own certificate (a count
    /// interval, a positive gap), or `None` when nothing usable was;
    /// `error` says in words what ran out and what to do.
    BudgetExhausted { which: Budget, partial: Option<T>, error: EngineError },
    /// The part cannot be computed for this input (e.g. a malformed draft).
    Failed(EngineError),
}

impl<T> Outcome<T> {
    /// The answer as the engine's functions return it: the exact or partial
    /// value, or the error when there is none. A partial value's own
    /// certificate (interval, gap) tells it is not exact.
    pub fn result(&self) -> Result<&T, &EngineError> {
        match self {
            Outcome::Exact(value) | Outcome::BudgetExhausted { partial: Some(value), .. } => Ok(value),
            Outcome::BudgetExhausted { partial: None, error, .. } | Outcome::Failed(error) => Err(error),
        }
    }

    /// [`Outcome::result`], by value.
    pub fn into_result(self) -> Result<T, EngineError> {
        match self {
            Outcome::Exact(value) | Outcome::BudgetExhausted { partial: Some(value), .. } => Ok(value),
            Outcome::BudgetExhausted { partial: None, error, .. } | Outcome::Failed(error) => Err(error),
        }
    }

    /// The budget that ran out, if one did.
    pub fn exhausted(&self) -> Option<Budget> {
        match self {
            Outcome::BudgetExhausted { which, .. } => Some(*which),
            _ => None,
        }
    }

    pub fn is_exact(&self) -> bool {
        matches!(self, Outcome::Exact(_))
    }

    /// The same outcome of a value derived from this one's.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Outcome<U> {
        match self {
            Outcome::Exact(value) => Outcome::Exact(f(value)),
            Outcome::BudgetExhausted { which, partial, error } => {
                Outcome::BudgetExhausted { which, partial: partial.map(f), error }
            }
            Outcome::Failed(error) => Outcome::Failed(error),
        }
    }

    /// An engine result, exact when `proven`; a `TooLarge` error is `which` running out.
    fn from_result(result: Result<T, EngineError>, which: Budget, proven: impl FnOnce(&T) -> bool) -> Self {
        match result {
            Ok(value) if proven(&value) => Outcome::Exact(value),
            Ok(value) => {
                let error = not_proven(which);
                Outcome::BudgetExhausted { which, partial: Some(value), error }
            }
            Err(error @ EngineError::TooLarge { .. }) => Outcome::BudgetExhausted { which, partial: None, error },
            Err(error) => Outcome::Failed(error),
        }
    }
}

fn not_proven(which: Budget) -> EngineError {
    EngineError::TooLarge {
        what: format!("the work needed to prove this answer ({})", which.name()),
        limit: 0,
        hint: "the answer shown is the best found within the budget, with its certified bounds; raise the budget \
               for a proven one"
            .into(),
    }
}

/// A part of the analysis.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Part {
    Frontier,
    Nash,
    KalaiSmorodinsky,
    Egalitarian,
    MaxWelfare,
    Improvement,
    Zopa,
    Repair,
}

impl Part {
    /// Every part, in the order [`analyse_parts`] computes them.
    pub const ALL: [Part; 8] = [
        Part::Frontier,
        Part::Nash,
        Part::KalaiSmorodinsky,
        Part::Egalitarian,
        Part::MaxWelfare,
        Part::Improvement,
        Part::Zopa,
        Part::Repair,
    ];

    /// The name `accord analyze --json` uses for the part's timing.
    pub fn name(self) -> &'static str {
        match self {
            Part::Frontier => "frontier",
            Part::Nash => "nash",
            Part::KalaiSmorodinsky => "kalai_smorodinsky",
            Part::Egalitarian => "egalitarian",
            Part::MaxWelfare => "max_welfare",
            Part::Improvement => "improve",
            Part::Zopa => "zopa",
            Part::Repair => "repair",
        }
    }
}

/// What [`analyse_parts`] tells its caller as it goes, e.g. to draw a
/// progress bar or to time the parts (the engine reads no clock).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    Started(Part),
    /// Steps of the frontier done out of a total.
    Frontier {
        done: usize,
        total: usize,
    },
    Finished(Part),
}

/// Every part's outcome; `None` for a part that was not asked for.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Analysis {
    pub frontier: Option<Outcome<Frontier>>,
    /// `Ok(None)` inside: no package is individually rational.
    pub nash: Option<Outcome<Option<Solution>>>,
    pub kalai_smorodinsky: Option<Outcome<Option<Solution>>>,
    pub egalitarian: Option<Outcome<Option<Solution>>>,
    pub max_welfare: Option<Outcome<Option<Solution>>>,
    /// The post-settlement improvement of the draft.
    pub improvement: Option<Outcome<Improvement>>,
    pub zopa: Option<Outcome<Zopa>>,
    /// The repair of the draft.
    pub repair: Option<Outcome<RepairOutcome>>,
}

impl Analysis {
    /// The budgets that ran out, by part, in [`Part::ALL`] order.
    pub fn exhausted(&self) -> Vec<(Part, Budget)> {
        fn check<T>(part: Part, outcome: &Option<Outcome<T>>) -> Option<(Part, Budget)> {
            Some((part, outcome.as_ref()?.exhausted()?))
        }
        [
            check(Part::Frontier, &self.frontier),
            check(Part::Nash, &self.nash),
            check(Part::KalaiSmorodinsky, &self.kalai_smorodinsky),
            check(Part::Egalitarian, &self.egalitarian),
            check(Part::MaxWelfare, &self.max_welfare),
            check(Part::Improvement, &self.improvement),
            check(Part::Zopa, &self.zopa),
            check(Part::Repair, &self.repair),
        ]
        .into_iter()
        .flatten()
        .collect()
    }
}

/// Every part of the analysis of `problem` and its `draft` (value index per
/// issue), under `budgets`.
pub fn analyse(problem: &Problem, draft: &[usize], budgets: &Budgets) -> Analysis {
    analyse_parts(problem, draft, budgets, &Part::ALL, &|_| {})
}

/// The `parts` asked for (in [`Part::ALL`] order whatever the order given),
/// telling `progress` as each starts and finishes.
pub fn analyse_parts(
    problem: &Problem,
    draft: &[usize],
    budgets: &Budgets,
    parts: &[Part],
    progress: &(dyn Fn(Progress) + Sync),
) -> Analysis {
    let solve = budgets.solve_options();
    let floors: Vec<f64> = problem.parties.iter().map(|p| p.reservation).collect();
    let solution_proven = |s: &Option<Solution>| s.as_ref().is_none_or(|s| s.gap == 0.0);
    let mut analysis = Analysis::default();
    for part in Part::ALL.into_iter().filter(|p| parts.contains(p)) {
        progress(Progress::Started(part));
        match part {
            Part::Frontier => {
                let report = |done: usize, total: usize| progress(Progress::Frontier { done, total });
                let options = budgets.frontier_options(Some(&report));
                analysis.frontier = Some(Outcome::from_result(
                    frontier::pareto_frontier(problem, &options),
                    Budget::FrontierPoints,
                    |_| true,
                ));
            }
            Part::Nash => {
                let result = bargain::nash_with(problem, &floors, &solve);
                analysis.nash = Some(Outcome::from_result(result, Budget::SolveNodes, solution_proven));
            }
            Part::KalaiSmorodinsky => {
                let result = bargain::kalai_smorodinsky_with(problem, &solve);
                analysis.kalai_smorodinsky = Some(Outcome::from_result(result, Budget::SolveNodes, solution_proven));
            }
            Part::Egalitarian => {
                let result = bargain::egalitarian_with(problem, &solve);
                analysis.egalitarian = Some(Outcome::from_result(result, Budget::SolveNodes, solution_proven));
            }
            Part::MaxWelfare => {
                let result = bargain::max_welfare_with(problem, &floors, &solve);
                analysis.max_welfare = Some(Outcome::from_result(result, Budget::SolveNodes, solution_proven));
            }
            Part::Improvement => {
                analysis.improvement = Some(match improve::improve_within(problem, draft, &solve) {
                    Ok(found) if found.proven => Outcome::Exact(found.improvement),
                    Ok(found) => Outcome::BudgetExhausted {
                        which: Budget::SolveNodes,
                        partial: Some(found.improvement),
                        error: not_proven(Budget::SolveNodes),
                    },
                    Err(error @ EngineError::TooLarge { .. }) => {
                        Outcome::BudgetExhausted { which: Budget::SolveNodes, partial: None, error }
                    }
                    Err(error) => Outcome::Failed(error),
                });
            }
            Part::Zopa => {
                let found = zopa::zopa_with(problem, &budgets.zopa_options());
                analysis.zopa = Some(if matches!(found.count, Count::Exact(_)) {
                    Outcome::Exact(found)
                } else {
                    Outcome::BudgetExhausted {
                        which: Budget::ZopaNodes,
                        partial: Some(found),
                        error: not_proven(Budget::ZopaNodes),
                    }
                });
            }
            Part::Repair => {
                let result = repair::repair_within(problem, draft, &budgets.repair_options(), &solve);
                analysis.repair = Some(match result {
                    Ok(found) if found.nash_proven => Outcome::Exact(found.outcome),
                    Ok(found) => Outcome::BudgetExhausted {
                        which: Budget::SolveNodes,
                        partial: Some(found.outcome),
                        error: not_proven(Budget::SolveNodes),
                    },
                    Err(stop) => match stop.budget {
                        Some(which) => Outcome::BudgetExhausted { which, partial: None, error: stop.error },
                        None => Outcome::Failed(stop.error),
                    },
                });
            }
        }
        progress(Progress::Finished(part));
    }
    analysis
}
