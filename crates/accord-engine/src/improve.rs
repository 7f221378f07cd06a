//! Post-settlement improvement.
//!
//! Given the package the parties settled on, look for packages that leave
//! every party at least as well off (`u_i ≥ u_i(baseline)`, exactly, on the
//! issue-order sums) and one party better off by more than [`TOL`](crate::TOL),
//! and return the best of them by Nash product. The disagreement point of that
//! product is the reservation value, lowered to the baseline's utility for a
//! party the baseline leaves below it, so every gain is non-negative.
//!
//! The Nash solution under floors at the baseline's utilities is the answer
//! whenever it improves on the baseline. When it does not (its vector equals
//! the baseline's within the tolerance, which happens when some party's gain
//! is 0 and every product ties at 0), one search per party with that party's
//! floor raised just above `u_j(baseline) + TOL` covers every strictly
//! improving package. When none exists, the maximum welfare under the
//! baseline floors is the certificate: any strict improvement would exceed the
//! baseline's welfare by more than `TOL`.

use serde::Serialize;

use crate::bargain::{Solution, SolveOptions, max_welfare_with, nash_over};
use crate::{EngineError, Problem, TOL};

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Improvement {
    /// The best package by Nash product among those that leave every party at
    /// least as well off as the baseline and one better off.
    Better { solution: Solution },
    /// No such package exists; `max_welfare` is the certificate: the highest
    /// total utility over packages that leave nobody worse off, which equals
    /// the baseline's total within 1e-9.
    ParetoOptimal { baseline_welfare: f64, max_welfare: f64 },
}

pub fn improve(problem: &Problem, baseline: &[usize]) -> Result<Improvement, EngineError> {
    improve_with(problem, baseline, &SolveOptions::default())
}

/// [`improve`] with explicit limits. A baseline that breaks a rule is
/// allowed (improvements are always feasible); when no feasible package
/// leaves everyone as well off, `max_welfare` reports the baseline's own total.
pub fn improve_with(problem: &Problem, baseline: &[usize], options: &SolveOptions) -> Result<Improvement, EngineError> {
    improve_within(problem, baseline, options).map(|found| found.improvement)
}

/// An improvement and whether everything it reports is proven.
#[derive(Debug)]
pub(crate) struct BudgetedImprovement {
    pub improvement: Improvement,
    /// False when a search ran out of nodes: the Nash product of a `Better`
    /// solution is not proven best (its `gap` says by how much at most), or
    /// the `max_welfare` certificate of `ParetoOptimal` is a lower bound only.
    /// That no strict improvement exists is proven either way: every search
    /// that could find one finished or failed with an error.
    pub proven: bool,
}

/// [`improve_with`], reporting whether the answer is proven.
pub(crate) fn improve_within(
    problem: &Problem,
    baseline: &[usize],
    options: &SolveOptions,
) -> Result<BudgetedImprovement, EngineError> {
    if problem.n_parties() == 0 {
        return Err(EngineError::Invalid("the problem has no parties".into()));
    }
    if baseline.len() != problem.issues.len() {
        return Err(EngineError::Invalid(format!(
            "the baseline has {} values for {} issues",
            baseline.len(),
            problem.issues.len()
        )));
    }
    for (issue, (&v, info)) in baseline.iter().zip(&problem.issues).enumerate() {
        let size = problem.tables.first().map_or(info.values.len(), |t| t[issue].len());
        if v >= size {
            return Err(EngineError::Invalid(format!(
                "the baseline's value {v} is out of range for issue {}",
                info.id
            )));
        }
    }
    let floors = problem.utilities(baseline);
    let d: Vec<f64> = problem.parties.iter().zip(&floors).map(|(p, u)| p.reservation.min(*u)).collect();
    let everyone = vec![true; floors.len()];
    let improves = |s: &Solution| s.utilities.iter().zip(&floors).any(|(u, b)| *u > b + TOL);

    let better = |solution: Solution| BudgetedImprovement {
        proven: solution.gap == 0.0,
        improvement: Improvement::Better { solution },
    };
    if let Some(best) = nash_over(problem, &d, &floors, &everyone, options)?
        && improves(&best)
    {
        return Ok(better(best));
    }
    let mut best: Option<Solution> = None;
    let mut every_search_proven = true;
    for j in 0..floors.len() {
        let mut raised = floors.clone();
        raised[j] = (floors[j] + TOL).next_up();
        if let Some(s) = nash_over(problem, &d, &raised, &everyone, options)? {
            every_search_proven &= s.gap == 0.0;
            if improves(&s) && best.as_ref().is_none_or(|b| s.objective > b.objective) {
                best = Some(s);
            }
        }
    }
    if let Some(solution) = best {
        return Ok(BudgetedImprovement { improvement: Improvement::Better { solution }, proven: every_search_proven });
    }
    let baseline_welfare: f64 = floors.iter().sum();
    let certificate = max_welfare_with(problem, &floors, options)?;
    let proven = certificate.as_ref().is_none_or(|s| s.gap == 0.0);
    let max_welfare = certificate.map_or(baseline_welfare, |s| s.objective);
    Ok(BudgetedImprovement { improvement: Improvement::ParetoOptimal { baseline_welfare, max_welfare }, proven })
}
