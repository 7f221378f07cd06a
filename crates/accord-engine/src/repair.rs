//! Deadlock repair of a draft: the fewest issues to change so that every hard
//! rule holds and every analysis party reaches its reservation value, and what
//! blocks the draft today.
//!
//! [`repair`] deepens iteratively over the number of changed issues `k`. For a
//! set of free issues (the rest fixed at the draft's values) it first applies
//! cheap certificates that no package can qualify (an issue-by-issue upper
//! bound per party; a group whose fixed issues break a rule), then restricts
//! the problem and searches for a rational package. At the smallest `k` that
//! works, every qualifying set is solved for the Nash bargaining solution
//! ([`crate::bargain::nash`] with the reservation values as floors) and the
//! highest Nash product wins; equal products go to the set whose issues come
//! first in issue order.

use accord_core::{Negotiation, Position, StanceStanding};
use serde::Serialize;

use crate::analyse::Budget;
use crate::bargain::SolveOptions;
use crate::zopa::{Existence, ZopaOptions, find_rational};
use crate::{EngineError, Problem};

/// Limits of [`repair_with`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RepairOptions {
    /// Most sets of free issues examined in all.
    pub max_subsets: u64,
    /// Budget of each search for a rational package.
    pub search: ZopaOptions,
}

impl Default for RepairOptions {
    fn default() -> Self {
        RepairOptions { max_subsets: 2_000_000, search: ZopaOptions { max_nodes: 2_000_000, max_memo: 200_000 } }
    }
}

/// One changed issue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    pub issue: usize,
    pub issue_id: String,
    /// Value index in the draft.
    pub from: usize,
    /// Value index in the repaired package.
    pub to: usize,
}

/// A minimal repair.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Repair {
    /// In issue order; empty when the draft already works.
    pub changes: Vec<Change>,
    /// Value index per issue.
    pub package: Vec<usize>,
    /// One per analysis party.
    pub utilities: Vec<f64>,
    /// Π(u_i − d_i) over the analysis parties, d_i the reservation value.
    pub nash_product: f64,
    /// The sources of the rules active at `package`.
    pub active_rules: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum RepairOutcome {
    Repaired(Repair),
    /// No package works, whatever is changed.
    Unrepairable {
        reason: String,
    },
}

/// Repairs with the default limits.
pub fn repair(problem: &Problem, draft: &[usize]) -> Result<RepairOutcome, EngineError> {
    repair_with(problem, draft, &RepairOptions::default())
}

pub fn repair_with(problem: &Problem, draft: &[usize], options: &RepairOptions) -> Result<RepairOutcome, EngineError> {
    repair_within(problem, draft, options, &SolveOptions::default())
        .map(|found| found.outcome)
        .map_err(|stop| stop.error)
}

/// A repair and whether every Nash solution behind it was proven optimal.
#[derive(Debug)]
pub(crate) struct BudgetedRepair {
    pub outcome: RepairOutcome,
    /// False when some Nash search among the qualifying sets ran out of
    /// nodes: the change set is still minimal, but the tie-break by Nash
    /// product is not proven.
    pub nash_proven: bool,
}

/// Why a repair stopped short of an answer: a budget (which one) or bad input.
#[derive(Debug)]
pub(crate) struct RepairStop {
    pub budget: Option<Budget>,
    pub error: EngineError,
}

impl From<EngineError> for RepairStop {
    fn from(error: EngineError) -> Self {
        RepairStop { budget: None, error }
    }
}

/// [`repair_with`], with the node budget of the Nash searches made explicit
/// and the budget that ran out, if one did, named.
pub(crate) fn repair_within(
    problem: &Problem,
    draft: &[usize],
    options: &RepairOptions,
    solve: &SolveOptions,
) -> Result<BudgetedRepair, RepairStop> {
    check_package(problem, draft)?;
    if problem.is_rational(draft) {
        return Ok(BudgetedRepair {
            outcome: RepairOutcome::Repaired(finish(problem, draft, draft)),
            nash_proven: true,
        });
    }
    if let Some(reason) = unrepairable_reason(problem, options)? {
        return Ok(BudgetedRepair { outcome: RepairOutcome::Unrepairable { reason }, nash_proven: true });
    }

    let n_issues = problem.issues.len();
    let parties = problem.n_parties();
    let reservations: Vec<f64> = problem.parties.iter().map(|p| p.reservation).collect();
    // Per issue and party: the draft value's table entry and the best entry
    // among the values that survive in the issue's group.
    let mut at_draft = vec![vec![0.0; parties]; n_issues];
    let mut best = vec![vec![f64::NEG_INFINITY; parties]; n_issues];
    let mut surviving = vec![Vec::new(); n_issues];
    for group in &problem.groups {
        for (slot, &issue) in group.issues.iter().enumerate() {
            let mut values: Vec<usize> = group.assignments.iter().map(|a| a[slot]).collect();
            values.sort_unstable();
            values.dedup();
            surviving[issue] = values;
        }
    }
    for issue in 0..n_issues {
        for p in 0..parties {
            let table = &problem.tables[p][issue];
            at_draft[issue][p] = table[draft[issue]];
            best[issue][p] = surviving[issue].iter().map(|&v| table[v]).fold(f64::NEG_INFINITY, f64::max);
        }
    }
    let margin = 1e-9 * problem.tables.iter().flatten().flatten().fold(1.0f64, |m, x| m.max(x.abs())) * n_issues as f64;
    // Issues of the groups whose draft assignment breaks a rule or a red line:
    // every repair must free at least one issue of each.
    let broken: Vec<&[usize]> = problem
        .groups
        .iter()
        .filter(|g| !g.assignments.iter().any(|a| g.issues.iter().zip(a).all(|(&i, &v)| draft[i] == v)))
        .map(|g| g.issues.as_slice())
        .collect();

    let mut examined: u64 = 0;
    let mut nash_proven = true;
    for k in 1..=n_issues {
        let mut best_found: Option<(f64, Vec<usize>)> = None;
        let mut free: Vec<usize> = (0..k).collect();
        loop {
            examined += 1;
            if examined > options.max_subsets {
                return Err(RepairStop {
                    budget: Some(Budget::RepairSubsets),
                    error: EngineError::TooLarge {
                        what: format!("the sets of {k} issues to change"),
                        limit: options.max_subsets.into(),
                        hint: "the draft is far from any package every party accepts; fix some issues by hand (e.g. \
                               adopt a bargaining solution's values) and repair again"
                            .into(),
                    },
                });
            }
            if could_work(&free, &broken, &at_draft, &best, &reservations, margin)
                && let Some(found) = solve_subset(problem, draft, &free, &reservations, options, solve)?
            {
                nash_proven &= found.nash_proven;
                if best_found.as_ref().is_none_or(|(b, _)| found.product > *b + crate::TOL) {
                    best_found = Some((found.product, found.package));
                }
            }
            if !next_subset(&mut free, n_issues) {
                break;
            }
        }
        if let Some((_, package)) = best_found {
            return Ok(BudgetedRepair {
                outcome: RepairOutcome::Repaired(finish(problem, draft, &package)),
                nash_proven,
            });
        }
    }
    // Unreachable when a rational package exists (freeing every issue finds it),
    // but a wrong answer is worse than an error.
    Err(EngineError::Invalid("repair found no package although a rational package exists".into()).into())
}

/// What blocks one provision of the draft.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProvisionBlock {
    /// The provision id, or [`UNBOUND_ISSUES`] for red lines hit on issues no provision binds.
    pub provision: String,
    pub blocked_by: Vec<Block>,
}

/// The pseudo-provision for issues that no provision binds.
pub const UNBOUND_ISSUES: &str = "(unbound issues)";

/// One party blocking a provision.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Block {
    pub party: String,
    pub why: BlockKind,
    /// The stance's own reason, as the party wrote it. Private: the caller's
    /// policy decides whether to show it.
    pub reason: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum BlockKind {
    /// An `unacceptable` stance.
    Unacceptable,
    /// An `acceptable_if` stance whose conditions fail under the draft: the
    /// issues of the failing conditions.
    ConditionFails { issues: Vec<String> },
    /// The draft gives an issue the provision binds a value the party's red line forbids.
    RedLine { issue: String },
}

/// Per provision (in text order; only those that block someone), which
/// analysis parties it blocks under `draft`. Unpinned stances are about the
/// text as the draft reads, so they block as written; a pinned stance blocks
/// only where `draft` gives its pinned values, and a stale one never. Consulted parties have no veto and
/// are not listed. See [`below_reservation`] for parties the draft as a whole
/// leaves below their walk-away utility.
pub fn blocking(negotiation: &Negotiation, problem: &Problem, draft: &[usize]) -> Vec<ProvisionBlock> {
    let analysis = |id: &str| problem.parties.iter().any(|p| p.id == id);
    let value_of = |issue: usize| draft.get(issue).copied();
    let mut out = Vec::new();
    let mut bound_somewhere = vec![false; negotiation.issues.len()];
    for provision in &negotiation.provisions {
        let bound = negotiation.provision_issues(provision);
        let mut blocked_by = Vec::new();
        for stance in negotiation.stances.iter().filter(|s| s.provision == provision.id && analysis(&s.party)) {
            // A pinned stance answers its pinned wording only; a stale one answers nothing.
            match negotiation.stance_standing(stance) {
                StanceStanding::Unpinned => {}
                StanceStanding::Current(at) if at.iter().all(|&(i, v)| value_of(i) == Some(v)) => {}
                StanceStanding::Current(_) | StanceStanding::Stale => continue,
            }
            let why = match &stance.position {
                Position::Acceptable => None,
                Position::Unacceptable => Some(BlockKind::Unacceptable),
                Position::AcceptableIf { conditions } => {
                    let failing: Vec<String> = conditions
                        .iter()
                        .filter(|c| {
                            let issue = negotiation.issue_index(&c.issue);
                            !matches!((issue, issue.and_then(value_of)), (Some(i), Some(v)) if c.matches(&negotiation.issues[i], v))
                        })
                        .map(|c| c.issue.clone())
                        .collect();
                    (!failing.is_empty()).then_some(BlockKind::ConditionFails { issues: failing })
                }
            };
            if let Some(why) = why {
                blocked_by.push(Block { party: stance.party.clone(), why, reason: stance.reason.clone() });
            }
        }
        for &issue in &bound {
            bound_somewhere[issue] = true;
        }
        blocked_by.extend(red_line_hits(negotiation, problem, draft, &bound));
        if !blocked_by.is_empty() {
            out.push(ProvisionBlock { provision: provision.id.clone(), blocked_by });
        }
    }
    let unbound: Vec<usize> = (0..negotiation.issues.len()).filter(|&i| !bound_somewhere[i]).collect();
    let hits = red_line_hits(negotiation, problem, draft, &unbound);
    if !hits.is_empty() {
        out.push(ProvisionBlock { provision: UNBOUND_ISSUES.to_string(), blocked_by: hits });
    }
    out
}

/// The analysis parties (ids, in order) whose utility under `draft` is below
/// their reservation value.
pub fn below_reservation(problem: &Problem, draft: &[usize]) -> Vec<String> {
    if draft.len() != problem.issues.len() {
        return Vec::new();
    }
    problem
        .parties
        .iter()
        .enumerate()
        .filter(|(p, party)| problem.utility(*p, draft) < party.reservation)
        .map(|(_, party)| party.id.clone())
        .collect()
}

fn red_line_hits(negotiation: &Negotiation, problem: &Problem, draft: &[usize], issues: &[usize]) -> Vec<Block> {
    let mut hits = Vec::new();
    for party in &problem.parties {
        let Some(profile) = negotiation.profile(&party.id) else { continue };
        for line in &profile.red_lines {
            let Some(i) = negotiation.issue_index(&line.issue) else { continue };
            if issues.contains(&i) && draft.get(i).is_some_and(|&v| line.matches(&negotiation.issues[i], v)) {
                hits.push(Block {
                    party: party.id.clone(),
                    why: BlockKind::RedLine { issue: line.issue.clone() },
                    reason: None,
                });
            }
        }
    }
    hits
}

fn check_package(problem: &Problem, package: &[usize]) -> Result<(), EngineError> {
    if package.len() != problem.issues.len() {
        return Err(EngineError::Invalid(format!(
            "the draft gives {} values but the negotiation has {} issues",
            package.len(),
            problem.issues.len()
        )));
    }
    for (issue, &v) in problem.issues.iter().zip(package) {
        if v >= issue.values.len() {
            return Err(EngineError::Invalid(format!(
                "the draft's value index {v} for issue \"{}\" is out of range (it has {} values)",
                issue.id,
                issue.values.len()
            )));
        }
    }
    Ok(())
}

/// Why no change of the draft can work, if none can.
fn unrepairable_reason(problem: &Problem, options: &RepairOptions) -> Result<Option<String>, RepairStop> {
    let fixed_text: Vec<&str> = problem
        .rules
        .iter()
        .filter(|r| r.when.is_empty() && r.then.iter().any(|t| t.allowed.iter().all(|a| !a)))
        .map(|r| r.source.as_str())
        .collect();
    if !fixed_text.is_empty() {
        return Ok(Some(format!(
            "fixed text (a provision without slots) is found unacceptable ({}); no choice of values changes it, so \
             the text itself or the stance must change",
            fixed_text.join("; ")
        )));
    }
    if !problem.has_feasible_package() {
        return Ok(Some(
            "no package satisfies the hard rules (red lines, constraints and stances) together".to_string(),
        ));
    }
    match find_rational(problem, &options.search) {
        Existence::Found(_) => Ok(None),
        Existence::None => {
            Ok(Some("no package that satisfies the hard rules gives every signatory its reservation value".to_string()))
        }
        Existence::Undecided => Err(search_exhausted(options)),
    }
}

fn search_exhausted(options: &RepairOptions) -> RepairStop {
    RepairStop {
        budget: Some(Budget::RepairSearchNodes),
        error: EngineError::TooLarge {
            what: "the search for a package every party accepts".into(),
            limit: options.search.max_nodes.saturating_mul(10).into(),
            hint: "raise the search budget or fix some issues by hand and repair again".into(),
        },
    }
}

/// The best rational package found with some issues fixed at the draft.
struct SubsetSolution {
    product: f64,
    package: Vec<usize>,
    /// Whether its Nash search finished (gap 0).
    nash_proven: bool,
}

/// Cheap certificate that freeing `free` (and fixing the rest at the draft) cannot work.
fn could_work(
    free: &[usize],
    broken: &[&[usize]],
    at_draft: &[Vec<f64>],
    best: &[Vec<f64>],
    reservations: &[f64],
    margin: f64,
) -> bool {
    if !broken.iter().all(|issues| issues.iter().any(|i| free.contains(i))) {
        return false;
    }
    reservations.iter().enumerate().all(|(p, &rv)| {
        let bound = (0..at_draft.len())
            .map(|i| if free.contains(&i) { best[i][p] } else { at_draft[i][p] })
            .fold(0.0, |acc, x| acc + x);
        bound >= rv - margin
    })
}

/// The Nash product and package of the best rational package with exactly the
/// issues outside `free` at their draft values, if there is one.
fn solve_subset(
    problem: &Problem,
    draft: &[usize],
    free: &[usize],
    reservations: &[f64],
    options: &RepairOptions,
    solve: &SolveOptions,
) -> Result<Option<SubsetSolution>, RepairStop> {
    let fixed: Vec<(usize, usize)> = (0..draft.len()).filter(|i| !free.contains(i)).map(|i| (i, draft[i])).collect();
    let restricted = problem.restrict(&fixed);
    let witness = match find_rational(&restricted, &options.search) {
        Existence::Found(package) => package,
        Existence::None => return Ok(None),
        Existence::Undecided => return Err(search_exhausted(options)),
    };
    let nash = crate::bargain::nash_with(&restricted, reservations, solve).map_err(|error| RepairStop {
        budget: matches!(error, EngineError::TooLarge { .. }).then_some(Budget::SolveNodes),
        error,
    })?;
    let (package, nash_proven) = match nash {
        Some(solution) if restricted.is_rational(&solution.package) => (solution.package, solution.gap == 0.0),
        // The search proved a rational package exists; keep it rather than lose the repair.
        _ => (witness, true),
    };
    Ok(Some(SubsetSolution { product: nash_product(problem, &package), package, nash_proven }))
}

fn nash_product(problem: &Problem, package: &[usize]) -> f64 {
    problem.parties.iter().enumerate().map(|(p, party)| problem.utility(p, package) - party.reservation).product()
}

fn finish(problem: &Problem, draft: &[usize], package: &[usize]) -> Repair {
    let changes = (0..draft.len())
        .filter(|&i| draft[i] != package[i])
        .map(|i| Change { issue: i, issue_id: problem.issues[i].id.clone(), from: draft[i], to: package[i] })
        .collect();
    Repair {
        changes,
        package: package.to_vec(),
        utilities: problem.utilities(package),
        nash_product: nash_product(problem, package),
        active_rules: problem.active_rules(package),
    }
}

/// Advances a strictly increasing `subset` of `0..n` to the next in
/// lexicographic order; false after the last.
fn next_subset(subset: &mut [usize], n: usize) -> bool {
    let k = subset.len();
    for pos in (0..k).rev() {
        if subset[pos] < n - k + pos {
            subset[pos] += 1;
            for later in pos + 1..k {
                subset[later] = subset[later - 1] + 1;
            }
            return true;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::next_subset;

    #[test]
    fn subsets_come_in_lexicographic_order() {
        let mut subset = vec![0, 1];
        let mut seen = vec![subset.clone()];
        while next_subset(&mut subset, 4) {
            seen.push(subset.clone());
        }
        assert_eq!(seen, vec![vec![0, 1], vec![0, 2], vec![0, 3], vec![1, 2], vec![1, 3], vec![2, 3]]);
    }
}
