//! Depth-first branch-and-bound over groups, for any number of parties.
//!
//! Groups are branched on in decreasing order of their spread. Every bound
//! decomposes by group, so a suffix table per depth makes most of them O(n):
//!
//! * per-party suffix maxima, which also prune on the floors;
//! * linear objectives: Σ over the remaining groups of the best weighted option;
//! * max-min: the Lagrangian bound `min_p h_p ≤ Σ_p λ_p h_p` for λ in the
//!   simplex, separable by group; λ is fixed once by mirror descent at the root;
//! * Nash (Σ log of gains): the tangent bound `log g ≤ log g0 + (g − g0)/g0`,
//!   separable with weights `1/g0`; `g0` is taken both from the root's
//!   Frank–Wolfe solution of the convex relaxation (precomputed suffixes) and,
//!   per node, from the node's optimistic gains (an O(groups·options·n) pass).
//!
//! Leaves are judged on the issue-order sums of [`Problem::utility`], so floors
//! hold exactly as `is_rational` tests them. The search stops after a node
//! budget and then reports the largest bound left unexplored.

// Loops over parties and depths index several parallel arrays at once; the
// index form reads like the formulas above.
#![allow(clippy::needless_range_loop)]

use crate::Problem;

/// What to maximise. Gains are `u_p − d_p`.
#[derive(Debug, Clone)]
pub(crate) enum Goal {
    /// Σ over `mask` of log(gain); only packages with every masked gain > 0 count.
    Nash { mask: Vec<bool> },
    /// Σ w_p u_p, with w ≥ 0.
    Linear { weights: Vec<f64> },
    /// min over parties with `scale_p > 0` of `scale_p · gain_p`.
    MaxMin { scale: Vec<f64> },
}

#[derive(Debug, Clone)]
pub(crate) struct Found {
    /// One choice per group, in group order.
    pub choice: Vec<usize>,
    /// Issue-order utilities of the package.
    pub utilities: Vec<f64>,
    /// The objective in search units (log-product for Nash).
    pub value: f64,
}

#[derive(Debug, Clone)]
pub(crate) struct Outcome {
    pub best: Option<Found>,
    /// Largest bound (search units) over nodes left unexplored; `None` when the search completed.
    pub open_bound: Option<f64>,
}

/// Shift that pruning allows: a node is cut when its bound does not beat the
/// incumbent by more than this (relative), so float noise in the bounds
/// cannot make the search chase ties forever.
const PRUNE_EPS: f64 = 1e-12;

pub(crate) struct Tree<'a> {
    problem: &'a Problem,
    n: usize,
    goal: Goal,
    d: Vec<f64>,
    floors: Vec<f64>,
    /// depth → group index.
    order: Vec<usize>,
    /// depth → kept options (indices into the group's assignments).
    options: Vec<Vec<usize>>,
    /// depth → flat `options × n` utilities.
    util: Vec<Vec<f64>>,
    /// `(depth) × n`: most the groups at `depth..` add per party.
    suffix_max: Vec<f64>,
    /// Fixed weight vectors and, per depth, Σ over remaining groups of the best weighted option.
    fixed: Vec<(Vec<f64>, Vec<f64>)>,
    /// Only packages whose max-min value (`scale`, vs `threshold`) stays at
    /// least the threshold qualify; `gate_fixed` holds its Lagrangian weights.
    gate: Option<(Vec<f64>, f64)>,
    gate_fixed: Vec<(Vec<f64>, Vec<f64>)>,
    incumbent: Option<Found>,
    nodes: u64,
    budget: u64,
    open_bound: Option<f64>,
    /// Scratch: one partial-sum vector per depth.
    partial: Vec<f64>,
    choice: Vec<usize>,
}

impl std::fmt::Debug for Tree<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tree").field("goal", &self.goal).field("nodes", &self.nodes).finish_non_exhaustive()
    }
}

impl<'a> Tree<'a> {
    pub(crate) fn new(problem: &'a Problem, goal: Goal, d: &[f64], floors: &[f64], budget: u64) -> Self {
        let n = problem.n_parties();
        let groups = &problem.groups;
        // Options that another option of a single-issue group beats or equals in
        // every coordinate can never be needed: the objectives are monotone and
        // float addition is monotone, so the issue-order sums only improve.
        let kept: Vec<Vec<usize>> = groups
            .iter()
            .map(|g| {
                let all: Vec<usize> = (0..g.utilities.len()).collect();
                if g.issues.len() != 1 {
                    return all;
                }
                all.iter()
                    .copied()
                    .filter(|&k| {
                        !all.iter().any(|&j| {
                            j != k
                                && g.utilities[j].iter().zip(&g.utilities[k]).all(|(a, b)| a >= b)
                                && (g.utilities[j] != g.utilities[k] || j < k)
                        })
                    })
                    .collect()
            })
            .collect();
        let mut range = vec![0.0f64; n];
        let spread = |g: usize, p: usize| {
            let column = kept[g].iter().map(|&k| groups[g].utilities[k][p]);
            column.clone().fold(f64::NEG_INFINITY, f64::max) - column.fold(f64::INFINITY, f64::min)
        };
        for g in 0..groups.len() {
            for (p, r) in range.iter_mut().enumerate() {
                *r += spread(g, p);
            }
        }
        let mut order: Vec<usize> = (0..groups.len()).collect();
        let weight =
            |g: usize| -> f64 { (0..n).map(|p| if range[p] > 0.0 { spread(g, p) / range[p] } else { 0.0 }).sum() };
        let weights: Vec<f64> = (0..groups.len()).map(weight).collect();
        order.sort_by(|&x, &y| weights[y].total_cmp(&weights[x]));
        let options: Vec<Vec<usize>> = order.iter().map(|&g| kept[g].clone()).collect();
        let util: Vec<Vec<f64>> = order
            .iter()
            .zip(&options)
            .map(|(&g, opts)| opts.iter().flat_map(|&k| groups[g].utilities[k].iter().copied()).collect())
            .collect();
        let depth = order.len();
        let mut suffix_max = vec![0.0; (depth + 1) * n];
        for t in (0..depth).rev() {
            for p in 0..n {
                let best = util[t].chunks_exact(n).map(|row| row[p]).fold(f64::NEG_INFINITY, f64::max);
                suffix_max[t * n + p] = suffix_max[(t + 1) * n + p] + best;
            }
        }
        Tree {
            problem,
            n,
            goal,
            d: d.to_vec(),
            floors: floors.to_vec(),
            order,
            options,
            util,
            suffix_max,
            fixed: Vec::new(),
            gate: None,
            gate_fixed: Vec::new(),
            incumbent: None,
            nodes: 0,
            budget,
            open_bound: None,
            partial: vec![0.0; (depth + 1) * n],
            choice: vec![0; depth],
        }
    }

    /// Restricts the search to packages with min over parties with `scale > 0`
    /// of `scale·gain` at least `threshold` (the ties of a max-min optimum).
    pub(crate) fn with_gate(mut self, scale: &[f64], threshold: f64) -> Self {
        self.gate = Some((scale.to_vec(), threshold));
        self
    }

    fn depth(&self) -> usize {
        self.order.len()
    }

    /// Σ over groups at `depth..` of max over options of w·u, for every depth.
    fn weighted_suffix(&self, w: &[f64]) -> Vec<f64> {
        let depth = self.depth();
        let mut s = vec![0.0; depth + 1];
        for t in (0..depth).rev() {
            let best = self.util[t]
                .chunks_exact(self.n)
                .map(|row| row.iter().zip(w).map(|(u, w)| u * w).sum::<f64>())
                .fold(f64::NEG_INFINITY, f64::max);
            s[t] = s[t + 1] + best;
        }
        s
    }

    /// Per remaining group, the option maximising w·u (a complete assignment from `from`).
    fn best_completion(&self, w: &[f64], from: usize, out: &mut [usize]) {
        for t in from..self.depth() {
            let mut best = (f64::NEG_INFINITY, 0);
            for (k, row) in self.util[t].chunks_exact(self.n).enumerate() {
                let v: f64 = row.iter().zip(w).map(|(u, w)| u * w).sum();
                if v > best.0 {
                    best = (v, k);
                }
            }
            out[t] = best.1;
        }
    }

    /// Group-order sums of a depth-ordered choice.
    fn sums(&self, choice: &[usize]) -> Vec<f64> {
        let n = self.n;
        let mut u = vec![0.0; n];
        for (t, &k) in choice.iter().enumerate() {
            for p in 0..n {
                u[p] += self.util[t][k * n + p];
            }
        }
        u
    }

    /// The objective on (approximate or exact) utilities; `None` when a floor
    /// fails or (Nash) a masked gain is not positive.
    fn value_of(&self, u: &[f64]) -> Option<f64> {
        if u.iter().zip(&self.floors).any(|(x, f)| x < f) {
            return None;
        }
        if let Some((scale, threshold)) = &self.gate {
            let value = (0..self.n)
                .filter(|&p| scale[p] > 0.0)
                .map(|p| scale[p] * (u[p] - self.d[p]))
                .fold(f64::INFINITY, f64::min);
            if value < *threshold {
                return None;
            }
        }
        match &self.goal {
            Goal::Nash { mask } => {
                let mut total = 0.0;
                for p in 0..self.n {
                    if mask[p] {
                        let g = u[p] - self.d[p];
                        if g <= 0.0 {
                            return None;
                        }
                        total += g.ln();
                    }
                }
                Some(total)
            }
            Goal::Linear { weights } => Some(u.iter().zip(weights).map(|(x, w)| x * w).sum()),
            Goal::MaxMin { scale } => Some(
                (0..self.n)
                    .filter(|&p| scale[p] > 0.0)
                    .map(|p| scale[p] * (u[p] - self.d[p]))
                    .fold(f64::INFINITY, f64::min),
            ),
        }
    }

    /// Judges a complete depth-ordered choice exactly and keeps it if it is the best so far.
    fn offer(&mut self, choice: &[usize]) {
        let mut by_group = vec![0usize; self.depth()];
        for (t, &k) in choice.iter().enumerate() {
            by_group[self.order[t]] = self.options[t][k];
        }
        let package = self.problem.package_of(&by_group);
        let utilities = self.problem.utilities(&package);
        let Some(value) = self.value_of(&utilities) else { return };
        if self.incumbent.as_ref().is_none_or(|best| value > best.value) {
            self.incumbent = Some(Found { choice: by_group, utilities, value });
        }
    }

    fn beats_incumbent(&self, bound: f64) -> bool {
        match &self.incumbent {
            None => bound > f64::NEG_INFINITY,
            Some(best) => bound > best.value + PRUNE_EPS * best.value.abs().max(1.0),
        }
    }

    /// Root work: a relaxation-based weight vector for the fixed bounds, and
    /// good first incumbents (each relaxation step visits an integer package).
    fn prepare(&mut self) {
        let n = self.n;
        let depth = self.depth();
        let mut completion = vec![0usize; depth];
        if let Some((scale, _)) = self.gate.clone()
            && let Some(fixed) = self.max_min_weights(&scale)
        {
            self.gate_fixed.push(fixed);
        }
        match self.goal.clone() {
            Goal::Linear { weights } => {
                let s = self.weighted_suffix(&weights);
                self.fixed.push((weights.clone(), s));
                self.best_completion(&weights, 0, &mut completion);
                self.offer(&completion.clone());
                self.local_search(completion);
            }
            Goal::MaxMin { scale } => {
                if let Some(fixed) = self.max_min_weights(&scale) {
                    self.fixed.push(fixed);
                }
                if let Some(found) = &self.incumbent {
                    let start = self.depth_choice(&found.choice);
                    self.local_search(start);
                }
            }
            Goal::Nash { mask } => {
                // Frank–Wolfe on max Σ log g over the relaxation; the tangent at
                // each iterate is an upper bound, keep the lowest.
                let d = self.d.clone();
                let gains = |u: &[f64]| -> Vec<f64> { (0..n).map(|p| u[p] - d[p]).collect() };
                let mut x: Vec<f64> = (0..n).map(|p| self.suffix_max[p] - self.d[p]).collect();
                if (0..n).any(|p| mask[p] && x[p] <= 0.0) {
                    return;
                }
                let mut best: Option<(f64, Vec<f64>)> = None;
                for iteration in 0..200 {
                    let w: Vec<f64> = (0..n).map(|p| if mask[p] { 1.0 / x[p] } else { 0.0 }).collect();
                    self.best_completion(&w, 0, &mut completion);
                    let s = gains(&self.sums(&completion));
                    self.offer(&completion.clone());
                    let bound: f64 =
                        (0..n).filter(|&p| mask[p]).map(|p| x[p].ln() - 1.0 - self.d[p] * w[p]).sum::<f64>()
                            + self.weighted_suffix_root(&w);
                    if best.as_ref().is_none_or(|(b, _)| bound < *b) {
                        best = Some((bound, w.clone()));
                    }
                    let gamma = 2.0 / (iteration as f64 + 3.0);
                    let mut next = x.clone();
                    for p in 0..n {
                        next[p] = x[p] + gamma * (s[p] - x[p]);
                    }
                    if (0..n).any(|p| mask[p] && next[p] <= 0.0) {
                        break;
                    }
                    x = next;
                }
                if let Some((_, w)) = best {
                    let s = self.weighted_suffix(&w);
                    self.fixed.push((w, s));
                }
                if let Some(found) = &self.incumbent {
                    let start = self.depth_choice(&found.choice);
                    self.local_search(start);
                }
            }
        }
    }

    /// Mirror descent on λ for min_λ Σ_p λ_p s_p (Σ_g u_gp − d_p), the
    /// separable dual of the max-min relaxation: returns the weights `λ·s`
    /// with their suffix table. Every step visits an integer package.
    fn max_min_weights(&mut self, scale: &[f64]) -> Option<(Vec<f64>, Vec<f64>)> {
        let n = self.n;
        let active: Vec<usize> = (0..n).filter(|&p| scale[p] > 0.0).collect();
        if active.is_empty() {
            return None;
        }
        let mut completion = vec![0usize; self.depth()];
        let mut lambda = vec![0.0; n];
        for &p in &active {
            lambda[p] = 1.0 / active.len() as f64;
        }
        let mut best = (f64::INFINITY, lambda.clone());
        let mut step = 1.0;
        for _ in 0..300 {
            let w: Vec<f64> = (0..n).map(|p| lambda[p] * scale[p]).collect();
            self.best_completion(&w, 0, &mut completion);
            let u = self.sums(&completion);
            let h: Vec<f64> = (0..n).map(|p| scale[p] * (u[p] - self.d[p])).collect();
            let dual: f64 = active.iter().map(|&p| lambda[p] * h[p]).sum();
            if dual < best.0 {
                best = (dual, lambda.clone());
            }
            self.offer(&completion.clone());
            let spread = active.iter().map(|&p| h[p].abs()).fold(1e-12, f64::max);
            let mut total = 0.0;
            for &p in &active {
                lambda[p] *= (-step * h[p] / spread).exp();
                lambda[p] = lambda[p].max(1e-12);
                total += lambda[p];
            }
            for &p in &active {
                lambda[p] /= total;
            }
            step *= 0.985;
        }
        let w: Vec<f64> = (0..n).map(|p| best.1[p] * scale[p]).collect();
        let s = self.weighted_suffix(&w);
        Some((w, s))
    }

    /// Upper bound on min over parties with `scale > 0` of `scale·gain` below a node.
    fn max_min_bound(&self, scale: &[f64], fixed: &[(Vec<f64>, Vec<f64>)], depth: usize, partial: &[f64]) -> f64 {
        let n = self.n;
        let reach = &self.suffix_max[depth * n..(depth + 1) * n];
        let mut bound = f64::INFINITY;
        for p in 0..n {
            if scale[p] > 0.0 {
                bound = bound.min(scale[p] * (partial[p] + reach[p] - self.d[p]));
            }
        }
        for (w, s) in fixed {
            let lagrangian: f64 = (0..n).map(|p| w[p] * (partial[p] - self.d[p])).sum::<f64>() + s[depth];
            bound = bound.min(lagrangian);
        }
        bound
    }

    fn weighted_suffix_root(&self, w: &[f64]) -> f64 {
        (0..self.depth())
            .map(|t| {
                self.util[t]
                    .chunks_exact(self.n)
                    .map(|row| row.iter().zip(w).map(|(u, w)| u * w).sum::<f64>())
                    .fold(f64::NEG_INFINITY, f64::max)
            })
            .sum()
    }

    /// Group-ordered choice (assignment indices) back to depth order (option positions).
    fn depth_choice(&self, by_group: &[usize]) -> Vec<usize> {
        (0..self.depth())
            .map(|t| self.options[t].iter().position(|&k| k == by_group[self.order[t]]).unwrap_or(0))
            .collect()
    }

    /// Changes one group at a time while that improves the objective.
    fn local_search(&mut self, mut choice: Vec<usize>) {
        let n = self.n;
        let mut u = self.sums(&choice);
        let mut current = self.value_of(&u).unwrap_or(f64::NEG_INFINITY);
        for _ in 0..50 {
            let mut improved = false;
            for t in 0..self.depth() {
                let here = choice[t];
                for k in 0..self.options[t].len() {
                    if k == here {
                        continue;
                    }
                    let trial: Vec<f64> =
                        (0..n).map(|p| u[p] - self.util[t][here * n + p] + self.util[t][k * n + p]).collect();
                    if let Some(v) = self.value_of(&trial)
                        && v > current + 1e-15 * current.abs().max(1.0)
                    {
                        choice[t] = k;
                        u = trial;
                        current = v;
                        improved = true;
                        break;
                    }
                }
            }
            if !improved {
                break;
            }
        }
        self.offer(&choice);
    }

    /// Upper bound on the objective below a node at `depth` with partial sums
    /// `partial`; `NEG_INFINITY` when no completion can qualify.
    fn bound(&self, depth: usize, partial: &[f64]) -> f64 {
        let n = self.n;
        let reach = &self.suffix_max[depth * n..(depth + 1) * n];
        for p in 0..n {
            // The slack covers float error between suffix sums and exact sums.
            if partial[p] + reach[p] < self.floors[p] - 1e-9 {
                return f64::NEG_INFINITY;
            }
        }
        if let Some((scale, threshold)) = &self.gate {
            let slack = 1e-9 * threshold.abs().max(1.0);
            if self.max_min_bound(scale, &self.gate_fixed, depth, partial) < threshold - slack {
                return f64::NEG_INFINITY;
            }
        }
        match &self.goal {
            Goal::Linear { .. } => {
                let (w, s) = &self.fixed[0];
                partial.iter().zip(w).map(|(x, w)| x * w).sum::<f64>() + s[depth]
            }
            Goal::MaxMin { scale } => self.max_min_bound(scale, &self.fixed, depth, partial),
            Goal::Nash { mask } => {
                let mut bound = 0.0;
                let mut optimistic = vec![0.0; n];
                for p in 0..n {
                    if mask[p] {
                        let g = partial[p] + reach[p] - self.d[p];
                        if g <= 0.0 {
                            return f64::NEG_INFINITY;
                        }
                        optimistic[p] = g;
                        bound += g.ln();
                    }
                }
                if !self.beats_incumbent(bound) {
                    return bound;
                }
                for (w, s) in &self.fixed {
                    let tangent: f64 = (0..n)
                        .filter(|&p| mask[p])
                        .map(|p| -w[p].ln() - 1.0 + w[p] * (partial[p] - self.d[p]))
                        .sum::<f64>()
                        + s[depth];
                    bound = bound.min(tangent);
                }
                if !self.beats_incumbent(bound) || depth == self.depth() {
                    return bound;
                }
                // Tangent at this node's optimistic gains.
                let w: Vec<f64> = (0..n).map(|p| if mask[p] { 1.0 / optimistic[p] } else { 0.0 }).collect();
                let mut rest = 0.0;
                for t in depth..self.depth() {
                    let mut best = f64::NEG_INFINITY;
                    for row in self.util[t].chunks_exact(n) {
                        let v: f64 = row.iter().zip(&w).map(|(u, w)| u * w).sum();
                        best = best.max(v);
                    }
                    rest += best;
                }
                let tangent: f64 = (0..n)
                    .filter(|&p| mask[p])
                    .map(|p| optimistic[p].ln() - 1.0 + w[p] * (partial[p] - self.d[p]))
                    .sum::<f64>()
                    + rest;
                bound.min(tangent)
            }
        }
    }

    pub(crate) fn run(mut self) -> Outcome {
        let n = self.n;
        if self.problem.groups.iter().any(|g| g.assignments.is_empty()) {
            return Outcome { best: None, open_bound: None };
        }
        self.prepare();
        let root = vec![0.0; n];
        let bound = self.bound(0, &root);
        if self.beats_incumbent(bound) {
            self.dfs(0, bound);
        }
        Outcome { best: self.incumbent, open_bound: self.open_bound }
    }

    fn dfs(&mut self, depth: usize, own_bound: f64) {
        let n = self.n;
        self.nodes += 1;
        if self.nodes > self.budget {
            self.open_bound = Some(self.open_bound.map_or(own_bound, |b| b.max(own_bound)));
            return;
        }
        if depth == self.depth() {
            let choice = self.choice.clone();
            self.offer(&choice);
            return;
        }
        let k_count = self.options[depth].len();
        let mut children: Vec<(f64, usize)> = Vec::with_capacity(k_count);
        let mut child = vec![0.0; n];
        for k in 0..k_count {
            for p in 0..n {
                child[p] = self.partial[depth * n + p] + self.util[depth][k * n + p];
            }
            let b = self.bound(depth + 1, &child);
            if self.beats_incumbent(b) {
                children.push((b, k));
            }
        }
        children.sort_by(|x, y| y.0.total_cmp(&x.0));
        for (b, k) in children {
            if !self.beats_incumbent(b) {
                continue;
            }
            if self.nodes >= self.budget {
                self.open_bound = Some(self.open_bound.map_or(b, |o| o.max(b)));
                continue;
            }
            for p in 0..n {
                self.partial[(depth + 1) * n + p] = self.partial[depth * n + p] + self.util[depth][k * n + p];
            }
            self.choice[depth] = k;
            self.dfs(depth + 1, b);
        }
    }
}
