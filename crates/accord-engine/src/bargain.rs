//! Bargaining solutions: Nash, Kalai–Smorodinsky, egalitarian, maximum welfare.
//!
//! The disagreement point is the reservation value: `d_i = rv_i` (GENIUS and
//! the textbook; NegMAS substitutes a party's minimum utility when `rv_i` is
//! below it). Every solution is exact: `gap` is 0 unless a search ran out of
//! its node budget, in which case it is a certified upper bound minus the
//! objective.
//!
//! # Definitions
//!
//! * **Nash**: max Π(u_i − d_i) over packages with `u_i ≥ max(floor_i, d_i)`.
//!   When no package gives every party a positive gain the optimum is 0 and
//!   any qualifying package is returned.
//! * **Kalai–Smorodinsky**: with `ideal_i` the best utility party i reaches in
//!   the rational set, max `min_i (u_i − d_i)/(ideal_i − d_i)` over parties with
//!   `ideal_i > d_i`. This is the max-min normalised-gain form: it is the
//!   discrete counterpart of the classical definition (the point on the segment
//!   from d to the ideal point, i.e. equal normalised gains, pushed as far as
//!   possible), it is well defined for any number of parties, and it never
//!   prefers a package that is worse for everybody. NegMAS instead minimises
//!   `max a_i − min a_i` and GENIUS the sum of pairwise differences of the
//!   normalised gains `a_i`; both reward equality for its own sake and can pick
//!   a dominated package (equal but small gains).
//! * **Egalitarian**: max `min_i (u_i − d_i)` over the rational set.
//! * KS and egalitarian break ties (within 1e-9) by the larger Nash product over
//!   the parties they normalise.
//! * **Maximum welfare**: max Σ u_i over packages with `u_i ≥ floor_i`.
//!
//! # Method
//!
//! Two parties: all four optima lie on the Pareto frontier of the qualifying
//! set, which [`frontier_above`] computes exactly and fast, so the objective is
//! evaluated on its points. More parties (or a frontier over the point limit):
//! depth-first branch-and-bound over groups with bounds that decompose by group
//! (see `search`). On random 4-party problems with 28 issues of 4 options it
//! proves Nash optima in about a millisecond and egalitarian ones in tens of
//! milliseconds. A MILP through `good_lp`/microlp was not tried: the Nash
//! product is not linear (a MILP would only approximate its logarithm
//! piecewise, so it could not certify the optimum by itself), and the search
//! already meets its targets by a wide margin.

mod search;

use serde::Serialize;

use crate::frontier::{FrontierOptions, frontier_above};
use crate::{EngineError, Problem, TOL};
use search::{Found, Goal, Outcome, Tree};

/// An optimal package with its certificate.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Solution {
    /// Value index per issue.
    pub package: Vec<usize>,
    /// One utility per analysis party.
    pub utilities: Vec<f64>,
    /// The objective value at `package`.
    pub objective: f64,
    /// Upper bound on the optimum minus `objective`; 0 when proven optimal.
    pub gap: f64,
    /// The `source` of every rule that was active at `package`.
    pub active_rules: Vec<String>,
}

/// How a solution is computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Method {
    /// The frontier for two parties (falling back to search when it is too
    /// large), branch-and-bound otherwise.
    #[default]
    Auto,
    /// Always through the frontier (any number of parties; may fail with `TooLarge`).
    Frontier,
    /// Always branch-and-bound.
    Search,
}

/// Limits of the exact computations.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SolveOptions {
    pub method: Method,
    /// Most branch-and-bound nodes per search; past it the incumbent is
    /// returned with its certified gap.
    pub node_budget: u64,
    /// Most points the two-party frontier may hold before falling back to search.
    pub frontier_max_points: usize,
}

impl Default for SolveOptions {
    fn default() -> Self {
        SolveOptions { method: Method::Auto, node_budget: 50_000_000, frontier_max_points: 1_000_000 }
    }
}

/// Maximises Π(u_i − d_i) with d_i the reservation value, over feasible packages
/// with u_i ≥ floors[i] for every i (pass the reservation values for the
/// textbook solution; a floor below d_i counts as d_i). `None` when no package
/// qualifies.
pub fn nash(problem: &Problem, floors: &[f64]) -> Result<Option<Solution>, EngineError> {
    nash_with(problem, floors, &SolveOptions::default())
}

/// Kalai–Smorodinsky over the rational set.
pub fn kalai_smorodinsky(problem: &Problem) -> Result<Option<Solution>, EngineError> {
    kalai_smorodinsky_with(problem, &SolveOptions::default())
}

/// Maximises min_i (u_i − d_i) over the rational set.
pub fn egalitarian(problem: &Problem) -> Result<Option<Solution>, EngineError> {
    egalitarian_with(problem, &SolveOptions::default())
}

/// Maximises Σ u_i over feasible packages with u_i ≥ floors[i].
pub fn max_welfare(problem: &Problem, floors: &[f64]) -> Result<Option<Solution>, EngineError> {
    max_welfare_with(problem, floors, &SolveOptions::default())
}

/// [`nash`] with explicit limits.
pub fn nash_with(problem: &Problem, floors: &[f64], options: &SolveOptions) -> Result<Option<Solution>, EngineError> {
    let d = disagreement(problem);
    check_floors(problem, floors)?;
    let floors: Vec<f64> = floors.iter().zip(&d).map(|(f, d)| f.max(*d)).collect();
    nash_over(problem, &d, &floors, &vec![true; d.len()], options)
}

/// [`max_welfare`] with explicit limits.
pub fn max_welfare_with(
    problem: &Problem,
    floors: &[f64],
    options: &SolveOptions,
) -> Result<Option<Solution>, EngineError> {
    check_floors(problem, floors)?;
    let n = problem.n_parties();
    let welfare = |u: &[f64]| u.iter().sum::<f64>();
    if let Some(points) = frontier_points(problem, floors, options)? {
        return Ok(best_on(&points, welfare, |_| 0.0).map(|(package, u)| solution(problem, package, u, welfare)));
    }
    let outcome =
        Tree::new(problem, Goal::Linear { weights: vec![1.0; n] }, &vec![0.0; n], floors, options.node_budget).run();
    finish_linear(problem, outcome, "maximum welfare", options, welfare)
}

/// [`egalitarian`] with explicit limits.
pub fn egalitarian_with(problem: &Problem, options: &SolveOptions) -> Result<Option<Solution>, EngineError> {
    let d = disagreement(problem);
    check_floors(problem, &d)?;
    let scale = vec![1.0; d.len()];
    max_min(problem, &d, &scale, options, "egalitarian")
}

/// [`kalai_smorodinsky`] with explicit limits.
pub fn kalai_smorodinsky_with(problem: &Problem, options: &SolveOptions) -> Result<Option<Solution>, EngineError> {
    let d = disagreement(problem);
    check_floors(problem, &d)?;
    let n = d.len();
    let ideal: Vec<f64> = if let Some(points) = frontier_points(problem, &d, options)? {
        if points.is_empty() {
            return Ok(None);
        }
        (0..n).map(|p| points.iter().map(|(_, u)| u[p]).fold(f64::NEG_INFINITY, f64::max)).collect()
    } else {
        let mut ideal = Vec::with_capacity(n);
        for p in 0..n {
            let weights: Vec<f64> = (0..n).map(|q| if q == p { 1.0 } else { 0.0 }).collect();
            let outcome = Tree::new(problem, Goal::Linear { weights }, &d, &d, options.node_budget).run();
            if outcome.open_bound.is_some() {
                return Err(budget_exhausted("the ideal point of Kalai–Smorodinsky", options));
            }
            match outcome.best {
                Some(found) => ideal.push(found.utilities[p]),
                None => return Ok(None),
            }
        }
        ideal
    };
    let scale: Vec<f64> = (0..n).map(|p| if ideal[p] > d[p] { 1.0 / (ideal[p] - d[p]) } else { 0.0 }).collect();
    max_min(problem, &d, &scale, options, "Kalai–Smorodinsky")
}

fn disagreement(problem: &Problem) -> Vec<f64> {
    problem.parties.iter().map(|p| p.reservation).collect()
}

fn check_floors(problem: &Problem, floors: &[f64]) -> Result<(), EngineError> {
    if problem.n_parties() == 0 {
        return Err(EngineError::Invalid("the problem has no parties".into()));
    }
    if floors.len() != problem.n_parties() {
        return Err(EngineError::Invalid(format!("{} floors given for {} parties", floors.len(), problem.n_parties())));
    }
    if floors.iter().any(|f| f.is_nan()) {
        return Err(EngineError::Invalid("a floor is not a number".into()));
    }
    Ok(())
}

fn budget_exhausted(what: &str, options: &SolveOptions) -> EngineError {
    EngineError::TooLarge {
        what: format!("the branch-and-bound search for {what}"),
        limit: options.node_budget as u128,
        hint: "no qualifying package was found within the node budget; raise the budget".into(),
    }
}

/// Frontier points (package, issue-order utilities) of the packages above
/// `floors` when the frontier route applies; `None` to search instead.
#[allow(clippy::type_complexity)]
fn frontier_points(
    problem: &Problem,
    floors: &[f64],
    options: &SolveOptions,
) -> Result<Option<Vec<(Vec<usize>, Vec<f64>)>>, EngineError> {
    let use_frontier = match options.method {
        Method::Frontier => true,
        Method::Search => false,
        Method::Auto => problem.n_parties() == 2,
    };
    if !use_frontier {
        return Ok(None);
    }
    let frontier_options = FrontierOptions { max_points: options.frontier_max_points, packages_cap: 1, progress: None };
    match frontier_above(problem, floors, &frontier_options) {
        Ok(frontier) => Ok(Some(
            frontier
                .points
                .into_iter()
                .filter_map(|p| p.packages.into_iter().next().map(|package| (package, p.utilities)))
                .collect(),
        )),
        Err(EngineError::TooLarge { .. }) if options.method == Method::Auto => Ok(None),
        Err(e) => Err(e),
    }
}

/// The point maximising `primary`; among those within `TOL` of the best, the
/// one maximising `secondary`.
fn best_on(
    points: &[(Vec<usize>, Vec<f64>)],
    primary: impl Fn(&[f64]) -> f64,
    secondary: impl Fn(&[f64]) -> f64,
) -> Option<(Vec<usize>, Vec<f64>)> {
    let top = points.iter().map(|(_, u)| primary(u)).fold(f64::NEG_INFINITY, f64::max);
    points
        .iter()
        .filter(|(_, u)| primary(u) >= top - TOL)
        .max_by(|(_, a), (_, b)| secondary(a).total_cmp(&secondary(b)).then(primary(a).total_cmp(&primary(b))))
        .cloned()
}

fn solution(
    problem: &Problem,
    package: Vec<usize>,
    utilities: Vec<f64>,
    objective: impl Fn(&[f64]) -> f64,
) -> Solution {
    let active_rules = problem.rules.iter().filter(|r| r.is_active(&package)).map(|r| r.source.clone()).collect();
    Solution { objective: objective(&utilities), package, utilities, gap: 0.0, active_rules }
}

fn package_of(problem: &Problem, found: &Found) -> Vec<usize> {
    problem.package_of(&found.choice)
}

fn finish_linear(
    problem: &Problem,
    outcome: Outcome,
    what: &str,
    options: &SolveOptions,
    objective: impl Fn(&[f64]) -> f64,
) -> Result<Option<Solution>, EngineError> {
    match outcome.best {
        None if outcome.open_bound.is_some() => Err(budget_exhausted(what, options)),
        None => Ok(None),
        Some(found) => {
            let mut s = solution(problem, package_of(problem, &found), found.utilities.clone(), objective);
            if let Some(open) = outcome.open_bound {
                s.gap = (open - found.value).max(0.0);
            }
            Ok(Some(s))
        }
    }
}

fn nash_product(u: &[f64], d: &[f64], mask: &[bool]) -> f64 {
    u.iter().zip(d).zip(mask).filter(|(_, m)| **m).map(|((u, d), _)| u - d).product()
}

/// Nash over the parties in `mask`, with floors already at or above `d`.
pub(crate) fn nash_over(
    problem: &Problem,
    d: &[f64],
    floors: &[f64],
    mask: &[bool],
    options: &SolveOptions,
) -> Result<Option<Solution>, EngineError> {
    let product = |u: &[f64]| nash_product(u, d, mask);
    if let Some(points) = frontier_points(problem, floors, options)? {
        return Ok(best_on(&points, product, |_| 0.0).map(|(package, u)| solution(problem, package, u, product)));
    }
    let outcome = Tree::new(problem, Goal::Nash { mask: mask.to_vec() }, d, floors, options.node_budget).run();
    match outcome.best {
        Some(found) => {
            let mut s = solution(problem, package_of(problem, &found), found.utilities.clone(), product);
            if let Some(open) = outcome.open_bound {
                s.gap = (open.exp() - s.objective).max(0.0);
            }
            Ok(Some(s))
        }
        None if outcome.open_bound.is_some() => Err(budget_exhausted("the Nash solution", options)),
        None => {
            // No package gives every party a positive gain: the optimum is 0,
            // reached by any package that meets the floors.
            let n = d.len();
            let any = Tree::new(problem, Goal::Linear { weights: vec![1.0; n] }, d, floors, options.node_budget).run();
            match any.best {
                Some(found) => {
                    Ok(Some(solution(problem, package_of(problem, &found), found.utilities.clone(), product)))
                }
                None if any.open_bound.is_some() => Err(budget_exhausted("the Nash solution", options)),
                None => Ok(None),
            }
        }
    }
}

/// max min over parties with `scale > 0` of `scale·(u − d)` over the rational
/// set, ties broken by the Nash product over the same parties.
fn max_min(
    problem: &Problem,
    d: &[f64],
    scale: &[f64],
    options: &SolveOptions,
    what: &str,
) -> Result<Option<Solution>, EngineError> {
    let n = d.len();
    let mask: Vec<bool> = scale.iter().map(|s| *s > 0.0).collect();
    let min_gain = |u: &[f64]| -> f64 {
        let m = (0..n).filter(|&p| mask[p]).map(|p| scale[p] * (u[p] - d[p])).fold(f64::INFINITY, f64::min);
        if m.is_finite() { m } else { 0.0 }
    };
    if let Some(points) = frontier_points(problem, d, options)? {
        let product = |u: &[f64]| nash_product(u, d, &mask);
        return Ok(best_on(&points, min_gain, product).map(|(package, u)| solution(problem, package, u, min_gain)));
    }
    if !mask.iter().any(|m| *m) {
        // Nobody can gain: every rational package is equally good.
        let outcome = Tree::new(problem, Goal::Linear { weights: vec![1.0; n] }, d, d, options.node_budget).run();
        return finish_linear(problem, outcome, what, options, min_gain);
    }
    let outcome = Tree::new(problem, Goal::MaxMin { scale: scale.to_vec() }, d, d, options.node_budget).run();
    let first = match finish_linear(problem, outcome, what, options, min_gain)? {
        Some(s) => s,
        None => return Ok(None),
    };
    // Ties: the best Nash product among packages within TOL of the optimum.
    let top = first.objective;
    let floors: Vec<f64> =
        (0..n).map(|p| if mask[p] { d[p].max(d[p] + (top - TOL) / scale[p]) } else { d[p] }).collect();
    // The gate prunes every subtree whose max-min bound falls below the
    // optimum, so this search only explores the neighbourhood of the ties.
    let tie_break = Tree::new(problem, Goal::Nash { mask: mask.clone() }, d, &floors, options.node_budget)
        .with_gate(scale, top - TOL)
        .run();
    match tie_break.best {
        Some(better) if min_gain(&better.utilities) >= top - TOL => {
            let gap = first.gap;
            let mut s = solution(problem, package_of(problem, &better), better.utilities.clone(), min_gain);
            s.gap = gap;
            Ok(Some(s))
        }
        _ => Ok(Some(first)),
    }
}
