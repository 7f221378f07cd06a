//! The zone of possible agreement: does some package satisfy every hard rule
//! and give every analysis party at least its reservation value, and how many
//! such packages are there?
//!
//! The count is exact when the work budget suffices, a certified interval
//! otherwise. Depth-first over the groups, each partial choice is classified
//! with per-party bounds on what the remaining groups can add: *dead* when some
//! party cannot reach its reservation value even with the remaining maxima,
//! *settled* when every party reaches it even with the remaining minima (then
//! all its completions count at once, as a product of group sizes). Only the
//! partial choices in between are expanded.
//!
//! Exactness. The search sums group contributions group by group, while the
//! reference test ([`Problem::is_rational`]) sums table entries in issue order;
//! the two can differ in the last bits. Classification therefore keeps a margin
//! far above any rounding error, and a complete package within that margin of
//! some reservation value is decided by the reference test itself. The result
//! is thus exactly the number of packages `is_rational` accepts.
//!
//! The result reveals no profile: only yes/no, a count and a witness package.

use std::collections::HashMap;

use serde::Serialize;

use crate::Problem;

/// Limits of [`zopa_with`] and [`find_rational`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ZopaOptions {
    /// Most partial choices expanded while counting; beyond it the count
    /// becomes an interval. Deciding existence may take ten times as many.
    pub max_nodes: u64,
    /// Most subtree counts remembered (identical partial utility vectors at
    /// the same depth have identical subtrees).
    pub max_memo: usize,
}

impl Default for ZopaOptions {
    fn default() -> Self {
        ZopaOptions { max_nodes: 20_000_000, max_memo: 2_000_000 }
    }
}

/// How many rational packages there are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Count {
    Exact(u128),
    /// The budget ran out: the true count lies in `[at_least, at_most]`.
    Bounds {
        at_least: u128,
        at_most: u128,
    },
}

impl Count {
    /// The largest number the count can be.
    pub fn at_most(&self) -> u128 {
        match *self {
            Count::Exact(n) => n,
            Count::Bounds { at_most, .. } => at_most,
        }
    }

    /// The smallest number the count can be.
    pub fn at_least(&self) -> u128 {
        match *self {
            Count::Exact(n) => n,
            Count::Bounds { at_least, .. } => at_least,
        }
    }
}

/// The zone of possible agreement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Zopa {
    /// A rational package is known to exist (then `witness` is one). When
    /// false, `count` says whether that is proven (`at_most() == 0`) or the
    /// budget ran out before deciding (`at_most() > 0`).
    pub exists: bool,
    pub count: Count,
    /// A rational package (value index per issue): among the first
    /// rational packages met during the search (assignments are tried in an
    /// order that favours balanced contributions), the one whose worst-off
    /// party is furthest above its reservation value. Not the Nash solution:
    /// the ZOPA does not depend on the bargaining code; ask
    /// [`crate::bargain::nash`] for that.
    pub witness: Option<Vec<usize>>,
}

impl Zopa {
    /// Whether `exists` is a proven answer rather than a budget running out.
    pub fn is_decided(&self) -> bool {
        self.exists || self.count.at_most() == 0
    }
}

/// The outcome of [`find_rational`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Existence {
    Found(Vec<usize>),
    None,
    /// The budget ran out first.
    Undecided,
}

/// The ZOPA with the default limits.
pub fn zopa(problem: &Problem) -> Zopa {
    zopa_with(problem, &ZopaOptions::default())
}

pub fn zopa_with(problem: &Problem, options: &ZopaOptions) -> Zopa {
    let Some(mut search) = Search::new(problem, options, false) else {
        return Zopa { exists: false, count: Count::Exact(0), witness: None };
    };
    let counted = search.run();
    let mut count = if counted.lo == counted.hi {
        Count::Exact(counted.lo)
    } else {
        Count::Bounds { at_least: counted.lo, at_most: counted.hi }
    };
    if search.witness.is_none() && counted.hi > 0 {
        // Counting ran out of budget before meeting any rational package;
        // deciding existence alone is cheaper: stop at the first one.
        search.stop_at_first = true;
        search.nodes = 0;
        search.max_nodes = options.max_nodes.saturating_mul(10);
        let decided = search.run();
        if search.witness.is_some() {
            count = Count::Bounds { at_least: counted.lo.max(1), at_most: counted.hi };
        } else if decided.hi == 0 {
            count = Count::Exact(0);
        } else {
            count = Count::Bounds { at_least: 0, at_most: counted.hi.min(decided.hi) };
        }
    }
    let witness = search.witness.map(|(_, choice)| problem.package_of(&choice));
    Zopa { exists: witness.is_some(), count, witness }
}

/// Some rational package, searched for without counting.
pub fn find_rational(problem: &Problem, options: &ZopaOptions) -> Existence {
    let Some(mut search) = Search::new(problem, options, true) else {
        return Existence::None;
    };
    search.max_nodes = options.max_nodes.saturating_mul(10);
    let result = search.run();
    match search.witness {
        Some((_, choice)) => Existence::Found(problem.package_of(&choice)),
        None if result.hi == 0 => Existence::None,
        None => Existence::Undecided,
    }
}

/// Per-party bounds on what groups `d..` can add, for `d` in `0..=n_groups`.
#[derive(Debug, Clone)]
pub(crate) struct SuffixBounds {
    /// `max[d][p]`: the sum over groups `d..` of the party's best contribution.
    pub max: Vec<Vec<f64>>,
    pub min: Vec<Vec<f64>>,
    /// `size[d]`: the number of completions of a choice for groups `..d` (saturating).
    pub size: Vec<u128>,
    /// A margin above every rounding difference between summation orders.
    pub margin: f64,
}

impl SuffixBounds {
    /// `None` when some group is empty (no feasible package).
    pub fn new(problem: &Problem) -> Option<SuffixBounds> {
        if !problem.has_feasible_package() {
            return None;
        }
        let n = problem.groups.len();
        let parties = problem.n_parties();
        let mut max = vec![vec![0.0; parties]; n + 1];
        let mut min = vec![vec![0.0; parties]; n + 1];
        let mut size = vec![1u128; n + 1];
        let mut magnitude = 0.0f64;
        for d in (0..n).rev() {
            let group = &problem.groups[d];
            for p in 0..parties {
                let (lo, hi) = group
                    .utilities
                    .iter()
                    .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), u| (lo.min(u[p]), hi.max(u[p])));
                max[d][p] = max[d + 1][p] + hi;
                min[d][p] = min[d + 1][p] + lo;
                magnitude = magnitude.max(max[d][p].abs()).max(min[d][p].abs());
            }
            size[d] = size[d + 1].saturating_mul(group.assignments.len() as u128);
        }
        let reservations = problem.parties.iter().map(|p| p.reservation.abs()).fold(0.0, f64::max);
        let margin = 1e-9 * magnitude.max(reservations).max(1.0);
        Some(SuffixBounds { max, min, size, margin })
    }
}

/// What a subtree holds: between `lo` and `hi` rational packages.
#[derive(Debug, Clone, Copy)]
struct Sub {
    lo: u128,
    hi: u128,
    /// Some package in it was decided by the reference test, so the result
    /// depends on the path, not only on the partial utility vector.
    path_dependent: bool,
}

struct Search<'a> {
    problem: &'a Problem,
    reservations: Vec<f64>,
    bounds: SuffixBounds,
    /// Per group, the order in which its assignments are tried: balanced
    /// contributions first, so the first rational packages met are good ones.
    order: Vec<Vec<usize>>,
    /// Single-issue groups in issue order sum exactly as the reference does.
    order_exact: bool,
    stop_at_first: bool,
    nodes: u64,
    max_nodes: u64,
    memo: HashMap<(usize, Vec<u64>), u128>,
    max_memo: usize,
    /// Memoising costs a hash per node; with generic real utilities partial
    /// vectors almost never repeat, so it is switched off when it does not pay.
    memo_enabled: bool,
    memo_lookups: u64,
    memo_hits: u64,
    /// The last group's assignments by the first party's contribution,
    /// descending: once that party falls short, so do all the rest.
    last_order: Vec<usize>,
    /// Partial utility vectors by depth: `stack[d * parties ..][..parties]`.
    stack: Vec<f64>,
    choice: Vec<usize>,
    witness: Option<(f64, Vec<usize>)>,
    witnesses_scored: usize,
}

/// Scoring a witness costs a package evaluation; after this many the first
/// good one is kept.
const WITNESS_CANDIDATES: usize = 10_000;

/// Memo lookups before judging whether memoising pays.
const MEMO_TRIAL: u64 = 100_000;

impl<'a> Search<'a> {
    fn new(problem: &'a Problem, options: &ZopaOptions, stop_at_first: bool) -> Option<Search<'a>> {
        let bounds = SuffixBounds::new(problem)?;
        let parties = problem.n_parties();
        let order = problem
            .groups
            .iter()
            .map(|group| {
                let ranges: Vec<(f64, f64)> = (0..parties)
                    .map(|p| {
                        group
                            .utilities
                            .iter()
                            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), u| (lo.min(u[p]), hi.max(u[p])))
                    })
                    .collect();
                let score = |k: usize| -> f64 {
                    ranges
                        .iter()
                        .enumerate()
                        .map(|(p, &(lo, hi))| if hi > lo { (group.utilities[k][p] - lo) / (hi - lo) } else { 0.0 })
                        .sum()
                };
                let mut order: Vec<usize> = (0..group.assignments.len()).collect();
                order.sort_by(|&a, &b| score(b).total_cmp(&score(a)));
                order
            })
            .collect();
        let mut last_order: Vec<usize> = (0..problem.groups.last().map_or(0, |g| g.assignments.len())).collect();
        if let Some(last) = problem.groups.last()
            && parties > 0
        {
            last_order.sort_by(|&a, &b| last.utilities[b][0].total_cmp(&last.utilities[a][0]));
        }
        Some(Search {
            problem,
            reservations: problem.parties.iter().map(|p| p.reservation).collect(),
            order_exact: problem.groups.iter().all(|g| g.issues.len() == 1),
            bounds,
            order,
            stop_at_first,
            nodes: 0,
            max_nodes: options.max_nodes,
            memo: HashMap::new(),
            max_memo: options.max_memo,
            memo_enabled: options.max_memo > 0,
            memo_lookups: 0,
            memo_hits: 0,
            last_order,
            stack: vec![0.0; (problem.groups.len() + 1) * parties],
            choice: Vec::with_capacity(problem.groups.len()),
            witness: None,
            witnesses_scored: 0,
        })
    }

    fn run(&mut self) -> Sub {
        self.choice.clear();
        self.visit(0)
    }

    fn visit(&mut self, depth: usize) -> Sub {
        let parties = self.reservations.len();
        let n = self.problem.groups.len();
        let base = depth * parties;
        let margin = self.bounds.margin;
        let mut settled = true;
        for p in 0..parties {
            let partial = self.stack[base + p];
            if partial + self.bounds.max[depth][p] < self.reservations[p] - margin {
                return Sub { lo: 0, hi: 0, path_dependent: false };
            }
            if partial + self.bounds.min[depth][p] < self.reservations[p] + margin {
                settled = false;
            }
        }
        let size = self.bounds.size[depth];
        if settled {
            self.offer_witness(depth);
            return Sub { lo: size, hi: size, path_dependent: false };
        }
        if depth == n {
            let package = self.problem.package_of(&self.choice);
            let rational = (0..parties).all(|p| self.problem.utility(p, &package) >= self.reservations[p]);
            if rational {
                self.offer_witness(depth);
            }
            let count = u128::from(rational);
            return Sub { lo: count, hi: count, path_dependent: !self.order_exact };
        }
        let unexplored = Sub { lo: 0, hi: size, path_dependent: false };
        if (self.stop_at_first && self.witness.is_some()) || self.nodes >= self.max_nodes {
            return unexplored;
        }
        let key = (self.memo_enabled && depth > 0)
            .then(|| (depth, self.stack[base..base + parties].iter().map(|x| x.to_bits()).collect()));
        if let Some(key) = &key {
            self.memo_lookups += 1;
            if let Some(&count) = self.memo.get(key) {
                self.memo_hits += 1;
                return Sub { lo: count, hi: count, path_dependent: false };
            }
            if self.memo_lookups >= MEMO_TRIAL && self.memo_hits * 20 < self.memo_lookups {
                self.memo_enabled = false;
                self.memo = HashMap::new();
            }
        }
        self.nodes += 1;
        if depth + 1 == n {
            return self.last_level(depth);
        }
        let mut total = Sub { lo: 0, hi: 0, path_dependent: false };
        let problem = self.problem;
        let group = &problem.groups[depth];
        for i in 0..self.order[depth].len() {
            let k = self.order[depth][i];
            for p in 0..parties {
                self.stack[base + parties + p] = self.stack[base + p] + group.utilities[k][p];
            }
            self.choice.push(k);
            let sub = self.visit(depth + 1);
            self.choice.pop();
            total.lo = total.lo.saturating_add(sub.lo);
            total.hi = total.hi.saturating_add(sub.hi);
            total.path_dependent |= sub.path_dependent;
        }
        if let Some(key) = key
            && total.lo == total.hi
            && !total.path_dependent
            && self.memo.len() < self.max_memo
        {
            self.memo.insert(key, total.lo);
        }
        total
    }

    /// The children of a node whose children are complete packages, in one
    /// loop (the same classification as [`Search::visit`], without the calls).
    fn last_level(&mut self, depth: usize) -> Sub {
        let parties = self.reservations.len();
        let base = depth * parties;
        let margin = self.bounds.margin;
        let problem = self.problem;
        let group = &problem.groups[depth];
        let mut total = Sub { lo: 0, hi: 0, path_dependent: false };
        for i in 0..self.last_order.len() {
            let k = self.last_order[i];
            let mut settled = true;
            let mut dead_for = None;
            for p in 0..parties {
                let value = self.stack[base + p] + group.utilities[k][p];
                if value < self.reservations[p] - margin {
                    dead_for = Some(p);
                    break;
                }
                if value < self.reservations[p] + margin {
                    settled = false;
                }
            }
            match dead_for {
                // Sorted by the first party's contribution: the rest fall short too.
                Some(0) => break,
                Some(_) => continue,
                None => {}
            }
            self.choice.push(k);
            let rational = settled || {
                total.path_dependent |= !self.order_exact;
                let package = problem.package_of(&self.choice);
                (0..parties).all(|p| problem.utility(p, &package) >= self.reservations[p])
            };
            if rational {
                total.lo += 1;
                total.hi += 1;
                self.offer_witness(depth + 1);
            }
            self.choice.pop();
        }
        total
    }

    /// Offers the current choice, completed with each remaining group's first
    /// assignment in visiting order, as a witness. Only called when every
    /// completion is rational (or the complete choice was tested).
    fn offer_witness(&mut self, depth: usize) {
        if self.witness.is_some() && (self.stop_at_first || self.witnesses_scored >= WITNESS_CANDIDATES) {
            return;
        }
        self.witnesses_scored += 1;
        let mut choice = self.choice.clone();
        choice.extend(self.order[depth..].iter().map(|order| order[0]));
        let package = self.problem.package_of(&choice);
        let slack = (0..self.reservations.len())
            .map(|p| self.problem.utility(p, &package) - self.reservations[p])
            .fold(f64::INFINITY, f64::min);
        if self.witness.as_ref().is_none_or(|(best, _)| slack > *best) {
            self.witness = Some((slack, choice));
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::problem::{AnalysisParty, Group, IssueInfo};

    /// Two single-issue groups; one party rating values 0, 0.25, 0.5 on each.
    fn problem(reservation: f64) -> Problem {
        let issue = |id: &str| IssueInfo {
            id: id.into(),
            title: id.into(),
            values: (0..3).map(|v| accord_core::Value::Number(v as f64)).collect(),
        };
        let group = |i: usize| Group {
            issues: vec![i],
            assignments: vec![vec![0], vec![1], vec![2]],
            utilities: vec![vec![0.0], vec![0.25], vec![0.5]],
        };
        Problem {
            parties: vec![AnalysisParty { id: "a".into(), name: "A".into(), reservation }],
            issues: vec![issue("x"), issue("y")],
            groups: vec![group(0), group(1)],
            rules: Vec::new(),
            tables: vec![vec![vec![0.0, 0.25, 0.5]; 2]],
        }
    }

    #[test]
    fn suffix_bounds_add_group_extremes() {
        let bounds = SuffixBounds::new(&problem(0.0)).unwrap();
        assert_eq!(bounds.max, vec![vec![1.0], vec![0.5], vec![0.0]]);
        assert_eq!(bounds.min, vec![vec![0.0], vec![0.0], vec![0.0]]);
        assert_eq!(bounds.size, vec![9, 3, 1]);
    }

    #[test]
    fn counts_packages_at_or_above_the_reservation() {
        // Sums of two values in {0, .25, .5} that reach .5: (0,.5) (.25,.25) (.25,.5) (.5,*) = 6.
        let z = zopa(&problem(0.5));
        assert_eq!(z.count, Count::Exact(6));
        assert_eq!(z.count.at_least(), 6);
        assert_eq!(problem(0.5).utility(0, z.witness.as_ref().unwrap()), 0.5 + 0.5);
        assert_eq!(zopa(&problem(1.01)).count, Count::Exact(0));
    }

    #[test]
    fn a_problem_without_parties_does_not_panic() {
        let mut p = problem(0.0);
        p.parties.clear();
        p.tables.clear();
        for g in &mut p.groups {
            g.utilities = vec![Vec::new(); 3];
        }
        assert_eq!(zopa(&p).count, Count::Exact(9));
    }
}
