//! The Pareto frontier of the individually rational set.
//!
//! # Method
//!
//! The problem is separable (one choice per [`Group`](crate::problem::Group),
//! utilities add up), so the frontier is built group by group without ever
//! enumerating the outcome space: a *layer* holds the non-dominated partial
//! sums of the groups seen so far, each with the exact number of partial
//! packages behind it. The next group's options are added to every partial
//! (a Minkowski sum), partials that can no longer reach a floor even with the
//! best remaining contributions are dropped, and so are partials dominated by
//! a margin. Every layer keeps, per partial, the (parent, option) edges it came
//! from, so the packages behind a final point can be listed (up to a cap) by
//! walking the edges back, and counted exactly by adding counts forward.
//!
//! # Tolerance without losing exactness at the reservation values
//!
//! Vectors within [`TOL`] of each other in every coordinate are one point, and
//! a point dominates another when it is at least as good up to `TOL` in every
//! coordinate and better by more than `TOL` in one. Applying that literally to
//! partials would be wrong exactly where GENIUS is strict: a partial lying
//! 1e-12 below another in one coordinate could be the only one whose
//! completions reach a reservation value of, say, 0.5 (`u ≥ rv` is tested on the
//! exact float sum). So a partial is only pruned by tolerance in a coordinate
//! where every completion clears the floor with room to spare ("safe"); in
//! the other coordinates the dominating partial must be at least as large
//! bit for bit. For the same reason, partials that differ only by float noise
//! are fused into one (counts add) only when they are safe in every
//! coordinate; otherwise they are kept apart and judged separately at the end.
//!
//! Partial sums are accumulated group by group in group order, starting from
//! `0.0`. When every group is a single issue that is exactly the issue-order
//! sum of [`Problem::utility`], so the final `u ≥ rv` test is bit-for-bit the
//! GENIUS one. Groups fused by rules sum in a different order; the difference
//! is bounded (a few ulps per issue), and final points that fall within that
//! bound of a floor are settled package by package with [`Problem::utility`]
//! (up to 2^20 packages behind one point; past that, the group-order sum decides).
//!
//! Two parties use an O(N log N) sweep per layer (sort by the first utility,
//! prefix maxima of the second), three a sweep over a staircase of the other
//! two (O(N log N)); more parties compare each candidate, in descending order
//! of its utility sum, against the kept ones, and give up with
//! [`EngineError::TooLarge`] when a layer would need more than 2500 ×
//! `max_points` comparisons.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

use crate::{EngineError, Problem, TOL};

/// Limits and reporting for [`pareto_frontier`].
#[derive(Clone, Copy)]
pub struct FrontierOptions<'a> {
    /// Most partial or final points held at once before giving up with [`EngineError::TooLarge`].
    pub max_points: usize,
    /// Most packages kept behind each frontier point (all are counted).
    pub packages_cap: usize,
    /// Called with (steps done, total steps) as the computation advances.
    pub progress: Option<&'a (dyn Fn(usize, usize) + Sync)>,
}

impl std::fmt::Debug for FrontierOptions<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FrontierOptions")
            .field("max_points", &self.max_points)
            .field("packages_cap", &self.packages_cap)
            .finish_non_exhaustive()
    }
}

impl Default for FrontierOptions<'_> {
    fn default() -> Self {
        FrontierOptions { max_points: 4_000_000, packages_cap: 50, progress: None }
    }
}

/// One point of the frontier and the packages behind it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FrontierPoint {
    /// One utility per analysis party.
    pub utilities: Vec<f64>,
    /// Up to `packages_cap` packages (value index per issue) with these utilities (within 1e-9).
    pub packages: Vec<Vec<usize>>,
    /// How many packages there are behind the point, exactly.
    pub n_packages: u128,
}

/// The frontier, sorted by the first party's utility, descending.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Frontier {
    pub points: Vec<FrontierPoint>,
}

/// The exact Pareto frontier of the individually rational, feasible packages.
///
/// Counts saturate at `u128::MAX` (more than 10^38 packages behind one point).
pub fn pareto_frontier(problem: &Problem, options: &FrontierOptions<'_>) -> Result<Frontier, EngineError> {
    let floors: Vec<f64> = problem.parties.iter().map(|p| p.reservation).collect();
    frontier_above(problem, &floors, options)
}

/// The Pareto frontier of the feasible packages with `u_p ≥ floors[p]` for
/// every party (the reservation values give [`pareto_frontier`]).
pub fn frontier_above(
    problem: &Problem,
    floors: &[f64],
    options: &FrontierOptions<'_>,
) -> Result<Frontier, EngineError> {
    let model = Model::new(problem, floors)?;
    model.run(options)
}

/// Packages behind one "mixed" final partial are checked one by one only up
/// to this many; beyond it the group-order sum decides (fused groups only).
const ENUMERATION_LIMIT: u128 = 1 << 20;

/// For four or more parties, a layer may need at most this many candidate ×
/// kept-point comparisons per allowed point (1e10 with the default limit).
const WORK_PER_POINT: f64 = 2500.0;

/// Extra room used when pruning on floors, so that float error in the suffix
/// sums can never drop a partial that could still qualify.
const PRUNE_SLACK: f64 = 1e-9;

/// The compiled problem in flat arrays: `util[g][k * n + p]`.
struct Model<'p> {
    problem: &'p Problem,
    n: usize,
    util: Vec<Vec<f64>>,
    options: Vec<usize>,
    floors: Vec<f64>,
    /// Bound on |group-order sum − issue-order sum| per party; 0 when every group is one issue.
    eta: Vec<f64>,
    /// `suffix_max[g][p]`: the most groups `g..` can add to party p; likewise the least.
    suffix_max: Vec<Vec<f64>>,
    suffix_min: Vec<Vec<f64>>,
}

impl<'p> Model<'p> {
    fn new(problem: &'p Problem, floors: &[f64]) -> Result<Self, EngineError> {
        let n = problem.n_parties();
        if n == 0 {
            return Err(EngineError::Invalid("the problem has no parties".into()));
        }
        if floors.len() != n {
            return Err(EngineError::Invalid(format!("{} floors given for {} parties", floors.len(), n)));
        }
        if floors.iter().any(|f| f.is_nan()) {
            return Err(EngineError::Invalid("a floor is not a number".into()));
        }
        let mut util = Vec::with_capacity(problem.groups.len());
        let mut options = Vec::with_capacity(problem.groups.len());
        for (g, group) in problem.groups.iter().enumerate() {
            if group.utilities.len() != group.assignments.len() {
                return Err(EngineError::Invalid(format!(
                    "group {g} has utilities for a different number of assignments"
                )));
            }
            let mut flat = Vec::with_capacity(group.utilities.len() * n);
            for row in &group.utilities {
                if row.len() != n || row.iter().any(|u| !u.is_finite()) {
                    return Err(EngineError::Invalid(format!(
                        "group {g} has a utility row that is not {n} finite numbers"
                    )));
                }
                flat.extend_from_slice(row);
            }
            options.push(group.utilities.len());
            util.push(flat);
        }
        let fused = problem.groups.iter().any(|g| g.issues.len() > 1);
        let eta = (0..n)
            .map(|p| {
                if !fused {
                    return 0.0;
                }
                let mass: f64 = problem
                    .tables
                    .get(p)
                    .map(|t| t.iter().map(|row| row.iter().fold(0.0f64, |m, v| m.max(v.abs()))).sum())
                    .unwrap_or(0.0);
                4.0 * (problem.issues.len() as f64 + 2.0) * f64::EPSILON * mass
            })
            .collect();
        let groups = util.len();
        let mut suffix_max = vec![vec![0.0; n]; groups + 1];
        let mut suffix_min = vec![vec![0.0; n]; groups + 1];
        for g in (0..groups).rev() {
            for p in 0..n {
                let column = (0..options[g]).map(|k| util[g][k * n + p]);
                let hi = column.clone().fold(f64::NEG_INFINITY, f64::max);
                let lo = column.fold(f64::INFINITY, f64::min);
                suffix_max[g][p] = suffix_max[g + 1][p] + hi;
                suffix_min[g][p] = suffix_min[g + 1][p] + lo;
            }
        }
        Ok(Model { problem, n, util, options, floors: floors.to_vec(), eta, suffix_max, suffix_min })
    }

    fn run(&self, options: &FrontierOptions<'_>) -> Result<Frontier, EngineError> {
        let n = self.n;
        let groups = self.util.len();
        if self.options.contains(&0) {
            return Ok(Frontier { points: Vec::new() });
        }
        let mut atoms = Atoms { lo: vec![0.0; n], hi: vec![0.0; n], count: vec![1] };
        if !(0..n).all(|p| self.suffix_max[0][p] >= self.floors[p] - PRUNE_SLACK) {
            return Ok(Frontier { points: Vec::new() });
        }
        let mut dag: Vec<DagLayer> = Vec::with_capacity(groups);
        for g in 0..groups {
            let (next, layer) = self.step(&atoms, g, options.max_points)?;
            atoms = next;
            dag.push(layer);
            if let Some(progress) = options.progress {
                progress(g + 1, groups + 1);
            }
            if atoms.len() == 0 {
                break;
            }
        }
        let frontier = self.finish(&atoms, &dag, options)?;
        if let Some(progress) = options.progress {
            progress(groups + 1, groups + 1);
        }
        Ok(frontier)
    }

    /// Adds group `g` to every partial and keeps what can still matter.
    fn step(&self, atoms: &Atoms, g: usize, max_points: usize) -> Result<(Atoms, DagLayer), EngineError> {
        let n = self.n;
        let k_count = self.options[g];
        let util = &self.util[g];
        let reach = &self.suffix_max[g + 1];

        // Candidates: every partial plus every option, unless it cannot reach a floor.
        let capacity = atoms.len().saturating_mul(k_count);
        let mut cand = Atoms::with_capacity(n, capacity.min(1 << 24));
        let mut cand_edge: Vec<Edge> = Vec::with_capacity(capacity.min(1 << 24));
        // Option-major order: each block is the (sorted) previous layer shifted
        // by one option, so the sort below only has to merge K sorted runs.
        for k in 0..k_count {
            let row = &util[k * n..(k + 1) * n];
            'atom: for a in 0..atoms.len() {
                let (alo, ahi) = (atoms.lo_of(a, n), atoms.hi_of(a, n));
                for p in 0..n {
                    if ahi[p] + row[p] + reach[p] < self.floors[p] - PRUNE_SLACK {
                        continue 'atom;
                    }
                }
                cand.lo.extend(alo.iter().zip(row).map(|(x, u)| x + u));
                cand.hi.extend(ahi.iter().zip(row).map(|(x, u)| x + u));
                cand.count.push(atoms.count[a]);
                cand_edge.push(Edge { parent: a as u32, option: k as u32 });
            }
        }

        // Sort by lo, lexicographically descending, and merge bit-identical candidates.
        let mut order: Vec<u32> = (0..cand.len() as u32).collect();
        // Stable sort on purpose: it detects the K presorted runs and merges them.
        order.sort_by(|&x, &y| cand.cmp_desc(x as usize, y as usize, n));
        let mut merged = Atoms::with_capacity(n, order.len());
        // Merged partial `a` holds candidates `order[runs[a]..runs[a + 1]]`.
        let mut runs: Vec<usize> = vec![0];
        let mut i = 0;
        while i < order.len() {
            let first = order[i] as usize;
            let mut count = 0u128;
            let mut j = i;
            while j < order.len() && cand.same(first, order[j] as usize, n) {
                count = count.saturating_add(cand.count[order[j] as usize]);
                j += 1;
            }
            merged.push_from(&cand, first, n, count);
            runs.push(j);
            i = j;
        }
        drop(cand);

        // Dominance thresholds per partial: the dominator needs lo ≥ need in
        // every coordinate and lo > beat in one.
        let sufmin = &self.suffix_min[g + 1];
        let m = merged.len();
        let mut need = vec![0.0; m * n];
        let mut beat = vec![0.0; m * n];
        let mut safe_all = vec![true; m];
        for a in 0..m {
            for p in 0..n {
                let hi = merged.hi[a * n + p];
                let safe = merged.lo[a * n + p] + sufmin[p] >= self.floors[p] + 2.0 * TOL + self.eta[p];
                need[a * n + p] = if safe { hi - TOL } else { hi + 2.0 * self.eta[p] };
                beat[a * n + p] = hi + TOL;
                safe_all[a] &= safe;
            }
        }
        // Four or more parties compare each candidate with the kept points:
        // refuse a layer whose comparisons would run for minutes.
        let work = m as f64 * atoms.len() as f64;
        if n > 3 && work > WORK_PER_POINT * max_points as f64 {
            return Err(EngineError::TooLarge {
                what: format!(
                    "one layer of the {n}-party frontier ({m} candidates against {} kept points)",
                    atoms.len()
                ),
                limit: (WORK_PER_POINT * max_points as f64) as u128,
                hint: "the comparisons this exact frontier needs exceed the limit (2500 × the point limit); analyse \
                       fewer parties or issues (bargaining solutions do not need the frontier)"
                    .into(),
            });
        }
        let keep = skyline(&merged.lo, &need, &beat, n);
        drop(need);
        drop(beat);

        // Fuse partials that are one point and safe everywhere; keep the rest apart.
        let mut next = Atoms::with_capacity(n, m);
        let mut target: Vec<u32> = vec![u32::MAX; m];
        let mut cell_owner: HashMap<u64, usize> = HashMap::new();
        for a in 0..m {
            if !keep[a] {
                continue;
            }
            if safe_all[a] {
                let cell = cell_key(merged.lo_of(a, n));
                if let Some(&owner) = cell_owner.get(&cell)
                    && next.can_absorb(owner, &merged, a, n)
                {
                    next.absorb(owner, &merged, a, n);
                    target[a] = owner as u32;
                    continue;
                }
                cell_owner.insert(cell, next.len());
            }
            target[a] = next.len() as u32;
            next.push_from(&merged, a, n, merged.count[a]);
        }
        if next.len() > max_points {
            return Err(too_large(next.len(), max_points, n));
        }

        // Group the surviving candidates' edges by the partial they now belong to.
        let mut edge_start = vec![0u32; next.len() + 1];
        for a in 0..m {
            if target[a] != u32::MAX {
                edge_start[target[a] as usize + 1] += (runs[a + 1] - runs[a]) as u32;
            }
        }
        for t in 0..next.len() {
            edge_start[t + 1] += edge_start[t];
        }
        let mut fill = edge_start.clone();
        let mut edges = vec![Edge { parent: 0, option: 0 }; edge_start[next.len()] as usize];
        for a in 0..m {
            if target[a] == u32::MAX {
                continue;
            }
            let slot = &mut fill[target[a] as usize];
            for &c in &order[runs[a]..runs[a + 1]] {
                edges[*slot as usize] = cand_edge[c as usize];
                *slot += 1;
            }
        }
        Ok((next, DagLayer { edge_start, edges }))
    }

    /// Settles rationality exactly, takes the final skyline with the
    /// tolerance, fuses points within `TOL`, and lists packages.
    fn finish(&self, atoms: &Atoms, dag: &[DagLayer], options: &FrontierOptions<'_>) -> Result<Frontier, EngineError> {
        let n = self.n;
        let mut finals: Vec<FinalAtom> = Vec::new();
        for a in 0..atoms.len() {
            let (lo, hi) = (atoms.lo_of(a, n), atoms.hi_of(a, n));
            let surely = (0..n).all(|p| lo[p] - self.eta[p] >= self.floors[p]);
            let never = (0..n).any(|p| hi[p] + self.eta[p] < self.floors[p]);
            if never {
                continue;
            }
            if surely || atoms.count[a] > ENUMERATION_LIMIT {
                if surely || (0..n).all(|p| lo[p] >= self.floors[p]) {
                    finals.push(FinalAtom {
                        lo: lo.to_vec(),
                        hi: hi.to_vec(),
                        count: atoms.count[a],
                        source: Source::Dag(a),
                    });
                }
                continue;
            }
            // Near a floor with fused groups: judge every package by its issue-order sum.
            let mut by_vector: Vec<(Vec<f64>, Vec<Vec<usize>>)> = Vec::new();
            self.walk(dag, a, usize::MAX, &mut |choice| {
                let package = self.problem.package_of(choice);
                let u = self.problem.utilities(&package);
                if u.iter().zip(&self.floors).all(|(x, f)| x >= f) {
                    match by_vector.iter_mut().find(|(v, _)| v == &u) {
                        Some((_, list)) => list.push(package),
                        None => by_vector.push((u, vec![package])),
                    }
                }
            });
            for (u, packages) in by_vector {
                finals.push(FinalAtom {
                    lo: u.clone(),
                    hi: u,
                    count: packages.len() as u128,
                    source: Source::Listed(packages),
                });
            }
        }

        // Final skyline with the plain tolerance rule: rationality is settled.
        finals.sort_by(|x, y| cmp_lex_desc(&x.lo, &y.lo));
        let lo: Vec<f64> = finals.iter().flat_map(|f| f.lo.iter().copied()).collect();
        let need: Vec<f64> = finals.iter().flat_map(|f| f.hi.iter().map(|h| h - TOL)).collect();
        let beat: Vec<f64> = finals.iter().flat_map(|f| f.hi.iter().map(|h| h + TOL)).collect();
        let keep = skyline(&lo, &need, &beat, n);
        let mut survivors: Vec<FinalAtom> = finals.into_iter().zip(keep).filter_map(|(f, k)| k.then_some(f)).collect();
        if n > 3 {
            survivors = recheck_near_ties(survivors, n);
        }

        // Points within TOL in every coordinate are one point. Survivors are
        // sorted by their first coordinate, so only recent clusters can be close.
        let mut clusters: Vec<Vec<usize>> = Vec::new();
        let mut cluster_lo: Vec<Vec<f64>> = Vec::new();
        let mut cluster_hi: Vec<Vec<f64>> = Vec::new();
        'atom: for (i, s) in survivors.iter().enumerate() {
            for c in (0..clusters.len()).rev() {
                if cluster_hi[c][0] - s.lo[0] > 2.0 * TOL {
                    break;
                }
                let fits = (0..n).all(|p| cluster_hi[c][p].max(s.hi[p]) - cluster_lo[c][p].min(s.lo[p]) <= TOL);
                if fits {
                    clusters[c].push(i);
                    for p in 0..n {
                        cluster_lo[c][p] = cluster_lo[c][p].min(s.lo[p]);
                        cluster_hi[c][p] = cluster_hi[c][p].max(s.hi[p]);
                    }
                    continue 'atom;
                }
            }
            clusters.push(vec![i]);
            cluster_lo.push(s.lo.clone());
            cluster_hi.push(s.hi.clone());
        }

        let cap = options.packages_cap;
        let mut points = Vec::with_capacity(clusters.len());
        for members in clusters {
            let mut count = 0u128;
            let mut packages: Vec<Vec<usize>> = Vec::new();
            // The reported vector is a real package's issue-order utilities, so
            // at least one package is always listed.
            let want = cap.max(1);
            for &i in &members {
                let s = &survivors[i];
                count = count.saturating_add(s.count);
                if packages.len() < want {
                    let room = want - packages.len();
                    match &s.source {
                        Source::Listed(list) => packages.extend(list.iter().take(room).cloned()),
                        Source::Dag(a) => {
                            self.walk(dag, *a, room, &mut |choice| packages.push(self.problem.package_of(choice)))
                        }
                    }
                }
            }
            let utilities = match packages.first() {
                Some(p) => self.problem.utilities(p),
                None => survivors[members[0]].lo.clone(),
            };
            packages.truncate(cap);
            points.push(FrontierPoint { utilities, packages, n_packages: count });
        }
        points.sort_by(|x, y| cmp_lex_desc(&x.utilities, &y.utilities));
        Ok(Frontier { points })
    }

    /// Calls `visit` with the group choices of up to `limit` packages behind
    /// final partial `atom`.
    fn walk(&self, dag: &[DagLayer], atom: usize, limit: usize, visit: &mut dyn FnMut(&[usize])) {
        let mut choice = vec![0usize; self.util.len()];
        let mut done = 0usize;
        if dag.len() < self.util.len() {
            return;
        }
        walk_rec(dag, dag.len(), atom, &mut choice, &mut done, limit, visit);
    }
}

fn walk_rec(
    dag: &[DagLayer],
    depth: usize,
    atom: usize,
    choice: &mut [usize],
    done: &mut usize,
    limit: usize,
    visit: &mut dyn FnMut(&[usize]),
) {
    if *done >= limit {
        return;
    }
    if depth == 0 {
        visit(choice);
        *done += 1;
        return;
    }
    let layer = &dag[depth - 1];
    let (start, end) = (layer.edge_start[atom] as usize, layer.edge_start[atom + 1] as usize);
    for edge in &layer.edges[start..end] {
        choice[depth - 1] = edge.option as usize;
        walk_rec(dag, depth - 1, edge.parent as usize, choice, done, limit, visit);
        if *done >= limit {
            return;
        }
    }
}

fn too_large(points: usize, limit: usize, n: usize) -> EngineError {
    EngineError::TooLarge {
        what: format!("the set of non-dominated partial packages ({points} points, {n} parties)"),
        limit: limit as u128,
        hint: "the exact frontier needs more points than allowed; raise the point limit, or analyse fewer \
               parties or issues (bargaining solutions do not need the frontier)"
            .into(),
    }
}

#[derive(Debug, Clone, Copy)]
struct Edge {
    parent: u32,
    option: u32,
}

/// The edges of one layer: partial `a` came from `edges[edge_start[a]..edge_start[a + 1]]`.
#[derive(Debug)]
struct DagLayer {
    edge_start: Vec<u32>,
    edges: Vec<Edge>,
}

/// Partials as flat arrays. `lo`/`hi` bound the exact group-order sums of the
/// packages behind each partial (equal unless noise-level partials were fused).
#[derive(Debug)]
struct Atoms {
    lo: Vec<f64>,
    hi: Vec<f64>,
    count: Vec<u128>,
}

impl Atoms {
    fn with_capacity(n: usize, atoms: usize) -> Self {
        Atoms { lo: Vec::with_capacity(atoms * n), hi: Vec::with_capacity(atoms * n), count: Vec::with_capacity(atoms) }
    }

    fn len(&self) -> usize {
        self.count.len()
    }

    fn lo_of(&self, a: usize, n: usize) -> &[f64] {
        &self.lo[a * n..(a + 1) * n]
    }

    fn hi_of(&self, a: usize, n: usize) -> &[f64] {
        &self.hi[a * n..(a + 1) * n]
    }

    fn push_from(&mut self, other: &Atoms, a: usize, n: usize, count: u128) {
        self.lo.extend_from_slice(other.lo_of(a, n));
        self.hi.extend_from_slice(other.hi_of(a, n));
        self.count.push(count);
    }

    fn cmp_desc(&self, x: usize, y: usize, n: usize) -> std::cmp::Ordering {
        cmp_lex_desc(self.lo_of(x, n), self.lo_of(y, n)).then_with(|| cmp_lex_desc(self.hi_of(x, n), self.hi_of(y, n)))
    }

    fn same(&self, x: usize, y: usize, n: usize) -> bool {
        self.lo_of(x, n) == self.lo_of(y, n) && self.hi_of(x, n) == self.hi_of(y, n)
    }

    fn can_absorb(&self, owner: usize, other: &Atoms, a: usize, n: usize) -> bool {
        (0..n).all(|p| {
            let lo = self.lo[owner * n + p].min(other.lo[a * n + p]);
            let hi = self.hi[owner * n + p].max(other.hi[a * n + p]);
            hi - lo <= TOL
        })
    }

    fn absorb(&mut self, owner: usize, other: &Atoms, a: usize, n: usize) {
        for p in 0..n {
            self.lo[owner * n + p] = self.lo[owner * n + p].min(other.lo[a * n + p]);
            self.hi[owner * n + p] = self.hi[owner * n + p].max(other.hi[a * n + p]);
        }
        self.count[owner] = self.count[owner].saturating_add(other.count[a]);
    }
}

#[derive(Debug)]
enum Source {
    Dag(usize),
    Listed(Vec<Vec<usize>>),
}

#[derive(Debug)]
struct FinalAtom {
    lo: Vec<f64>,
    hi: Vec<f64>,
    count: u128,
    source: Source,
}

/// Descending lexicographic order (the larger vector first).
fn cmp_lex_desc(x: &[f64], y: &[f64]) -> std::cmp::Ordering {
    for (a, b) in x.iter().zip(y) {
        match b.total_cmp(a) {
            std::cmp::Ordering::Equal => continue,
            other => return other,
        }
    }
    std::cmp::Ordering::Equal
}

/// `TOL`-grid cell of a vector, hashed: noise-level twins almost always share a cell.
fn cell_key(v: &[f64]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for x in v {
        let cell = (x / TOL).round() as i64;
        h = (h ^ cell as u64).wrapping_mul(0x0000_0100_0000_01b3).rotate_left(17);
    }
    h
}

fn dominates_tol(b_lo: &[f64], a_hi: &[f64]) -> bool {
    b_lo.iter().zip(a_hi).all(|(b, a)| *b >= a - TOL) && b_lo.iter().zip(a_hi).any(|(b, a)| *b > a + TOL)
}

/// Which points survive: point a is dominated when some b has `lo_b ≥ need_a`
/// in every coordinate and `lo_b > beat_a` in one (`need ≤ beat`). `lo` must
/// be sorted by its first coordinate, descending. Exact for two and three
/// coordinates; beyond, a point may survive a dominator that comes later in
/// sum order (only within the tolerance; see [`recheck_near_ties`]).
fn skyline(lo: &[f64], need: &[f64], beat: &[f64], n: usize) -> Vec<bool> {
    match n {
        2 => skyline_2d(lo, need, beat),
        3 => skyline_3d(lo, need, beat),
        _ => skyline_nd(lo, need, beat, n),
    }
}

/// `f64` to `u64` preserving the order (no NaN here); −0 and +0 map alike.
fn ordered(x: f64) -> u64 {
    let bits = (x + 0.0).to_bits();
    if bits >> 63 == 1 { !bits } else { bits | (1 << 63) }
}

/// The 2-D maxima of a growing point set: for every x, the largest second
/// coordinate among points whose first coordinate is ≥ x (or > x).
#[derive(Debug, Default)]
struct Staircase {
    /// first coordinate (ordered bits) → second; the second falls as the first rises.
    steps: BTreeMap<u64, f64>,
}

impl Staircase {
    fn insert(&mut self, x: f64, y: f64) {
        let key = ordered(x);
        if self.steps.range(key..).next().is_some_and(|(_, &v)| v >= y) {
            return;
        }
        let covered: Vec<u64> = self.steps.range(..=key).rev().take_while(|(_, v)| **v <= y).map(|(k, _)| *k).collect();
        for k in covered {
            self.steps.remove(&k);
        }
        self.steps.insert(key, y);
    }

    fn best_at_least(&self, x: f64) -> f64 {
        self.steps.range(ordered(x)..).next().map_or(f64::NEG_INFINITY, |(_, &v)| v)
    }

    fn best_above(&self, x: f64) -> f64 {
        use std::ops::Bound::{Excluded, Unbounded};
        self.steps.range((Excluded(ordered(x)), Unbounded)).next().map_or(f64::NEG_INFINITY, |(_, &v)| v)
    }
}

/// Three coordinates: sweep by the first, keeping the (second, third)
/// staircases of two growing prefixes: the points better than `beat` in the
/// first coordinate, and those at least `need`. The thresholds follow the
/// sort order up to the tolerance; where one steps back, that point is
/// checked against its exact prefix directly.
fn skyline_3d(lo: &[f64], need: &[f64], beat: &[f64]) -> Vec<bool> {
    let m = lo.len() / 3;
    let first = |a: usize| lo[3 * a];
    let (mut strict, mut tolerant) = (Staircase::default(), Staircase::default());
    let (mut strict_len, mut tolerant_len) = (0usize, 0usize);
    (0..m)
        .map(|a| {
            let (need_a, beat_a) = (&need[3 * a..3 * a + 3], &beat[3 * a..3 * a + 3]);
            while strict_len < m && first(strict_len) > beat_a[0] {
                strict.insert(lo[3 * strict_len + 1], lo[3 * strict_len + 2]);
                strict_len += 1;
            }
            while tolerant_len < m && first(tolerant_len) >= need_a[0] {
                tolerant.insert(lo[3 * tolerant_len + 1], lo[3 * tolerant_len + 2]);
                tolerant_len += 1;
            }
            let overshoot = (strict_len > 0 && first(strict_len - 1) <= beat_a[0])
                || (tolerant_len > 0 && first(tolerant_len - 1) < need_a[0]);
            if overshoot {
                let dominated = (0..m).any(|b| {
                    let b_lo = &lo[3 * b..3 * b + 3];
                    (0..3).all(|p| b_lo[p] >= need_a[p]) && (0..3).any(|p| b_lo[p] > beat_a[p])
                });
                return !dominated;
            }
            let dominated = strict.best_at_least(need_a[1]) >= need_a[2]
                || tolerant.best_above(beat_a[1]) >= need_a[2]
                || tolerant.best_at_least(need_a[1]) > beat_a[2];
            !dominated
        })
        .collect()
}

/// Two coordinates. `lo` must be sorted by its first coordinate, descending.
/// Point a is dominated when some b has `lo_b ≥ need_a` in both coordinates
/// and `lo_b > beat_a` in one; `need ≤ beat` coordinatewise.
fn skyline_2d(lo: &[f64], need: &[f64], beat: &[f64]) -> Vec<bool> {
    let m = lo.len() / 2;
    let mut prefix_max = Vec::with_capacity(m);
    let mut best = f64::NEG_INFINITY;
    for a in 0..m {
        best = best.max(lo[2 * a + 1]);
        prefix_max.push(best);
    }
    // The thresholds follow the sort order up to the tolerance, so the two
    // prefix lengths are tracked by pointers that mostly move forward.
    let first = |a: usize| lo[2 * a];
    let advance = |mut len: usize, pred: &dyn Fn(f64) -> bool| -> usize {
        while len < m && pred(first(len)) {
            len += 1;
        }
        while len > 0 && !pred(first(len - 1)) {
            len -= 1;
        }
        len
    };
    let (mut better_first, mut close_first) = (0usize, 0usize);
    (0..m)
        .map(|a| {
            let (need0, need1, beat0, beat1) = (need[2 * a], need[2 * a + 1], beat[2 * a], beat[2 * a + 1]);
            better_first = advance(better_first, &|x| x > beat0);
            if better_first > 0 && prefix_max[better_first - 1] >= need1 {
                return false;
            }
            close_first = advance(close_first, &|x| x >= need0);
            !(close_first > 0 && prefix_max[close_first - 1] > beat1)
        })
        .collect()
}

/// The n-D sweep compares each point only with points of larger sum, but a
/// dominator within the tolerance can have a sum up to `(n − 2)·TOL` smaller:
/// compare each survivor with the survivors whose sum is that close. Keeps
/// the sort by first coordinate.
fn recheck_near_ties(survivors: Vec<FinalAtom>, n: usize) -> Vec<FinalAtom> {
    let sums: Vec<f64> = survivors.iter().map(|s| s.lo.iter().sum()).collect();
    let mut by_sum: Vec<usize> = (0..survivors.len()).collect();
    by_sum.sort_unstable_by(|&x, &y| sums[y].total_cmp(&sums[x]));
    let window = 2.0 * n as f64 * TOL;
    let mut dominated = vec![false; survivors.len()];
    for (rank, &a) in by_sum.iter().enumerate() {
        for &b in &by_sum[rank + 1..] {
            if sums[b] < sums[a] - window {
                break;
            }
            dominated[a] |= dominates_tol(&survivors[b].lo, &survivors[a].hi);
            dominated[b] |= dominates_tol(&survivors[a].lo, &survivors[b].hi);
        }
    }
    survivors.into_iter().zip(dominated).filter_map(|(s, d)| (!d).then_some(s)).collect()
}

/// Any number of coordinates: candidates in descending order of their sum,
/// each compared with the points kept so far.
fn skyline_nd(lo: &[f64], need: &[f64], beat: &[f64], n: usize) -> Vec<bool> {
    let m = lo.len() / n.max(1);
    if n == 0 {
        return vec![true; m.min(1)];
    }
    let sums: Vec<f64> = (0..m).map(|a| lo[a * n..(a + 1) * n].iter().sum()).collect();
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_unstable_by(|&x, &y| sums[y].total_cmp(&sums[x]));
    let mut kept_lo: Vec<f64> = Vec::new();
    let mut keep = vec![false; m];
    for &a in &order {
        let (need_a, beat_a) = (&need[a * n..(a + 1) * n], &beat[a * n..(a + 1) * n]);
        let dominated = kept_lo.chunks_exact(n).any(|b| {
            let mut strictly = false;
            for p in 0..n {
                if b[p] < need_a[p] {
                    return false;
                }
                strictly |= b[p] > beat_a[p];
            }
            strictly
        });
        if !dominated {
            keep[a] = true;
            kept_lo.extend_from_slice(&lo[a * n..(a + 1) * n]);
        }
    }
    keep
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Naive reference: a point survives unless some other point dominates it.
    fn naive(lo: &[f64], need: &[f64], beat: &[f64], n: usize) -> Vec<bool> {
        let m = lo.len() / n;
        (0..m)
            .map(|a| {
                !(0..m).any(|b| {
                    (0..n).all(|p| lo[b * n + p] >= need[a * n + p]) && (0..n).any(|p| lo[b * n + p] > beat[a * n + p])
                })
            })
            .collect()
    }

    /// Points on a coarse grid (many exact ties), sorted as the callers sort
    /// them, with thresholds that sometimes require exact ≥ and sometimes
    /// allow the tolerance, as `step` sets them.
    fn points(seed: u64, m: usize, n: usize) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
        let mut state = seed;
        let mut next = move || {
            state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            (state >> 33) as usize
        };
        let mut rows: Vec<Vec<f64>> = (0..m)
            .map(|_| (0..n).map(|_| (next() % 6) as f64 * 0.5 + (next() % 3) as f64 * 0.4 * TOL).collect())
            .collect();
        rows.sort_by(|x, y| cmp_lex_desc(x, y));
        let lo: Vec<f64> = rows.concat();
        let mut need = Vec::with_capacity(lo.len());
        for &x in &lo {
            need.push(if next() % 2 == 0 { x - TOL } else { x });
        }
        let beat: Vec<f64> = lo.iter().map(|x| x + TOL).collect();
        (lo, need, beat)
    }

    #[test]
    fn skylines_agree_with_the_naive_definition() {
        for seed in 0..300 {
            for n in [2usize, 3, 4] {
                let m = 1 + (seed as usize * 7) % 60;
                let (lo, need, beat) = points(seed, m, n);
                let want = naive(&lo, &need, &beat, n);
                let got = skyline(&lo, &need, &beat, n);
                if n <= 3 {
                    assert_eq!(got, want, "seed {seed}, n {n}");
                } else {
                    // The n-D sweep may keep a point that only a later one dominates, never the reverse.
                    assert!(got.iter().zip(&want).all(|(g, w)| *g || !*w), "seed {seed}, n {n}");
                }
            }
        }
    }

    #[test]
    fn staircase_answers_the_best_second_coordinate_beyond_a_first() {
        let mut stairs = Staircase::default();
        let pts = [(1.0, 5.0), (2.0, 4.0), (3.0, 1.0), (2.0, 2.0), (0.5, 6.0), (3.0, 3.0)];
        for &(x, y) in &pts {
            stairs.insert(x, y);
        }
        for x in [0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5] {
            let at_least = pts.iter().filter(|p| p.0 >= x).map(|p| p.1).fold(f64::NEG_INFINITY, f64::max);
            let above = pts.iter().filter(|p| p.0 > x).map(|p| p.1).fold(f64::NEG_INFINITY, f64::max);
            assert_eq!(stairs.best_at_least(x), at_least, "x = {x}");
            assert_eq!(stairs.best_above(x), above, "x = {x}");
        }
    }

    #[test]
    fn ordered_bits_sort_like_the_floats() {
        let xs = [-3.5, -1e-300, -0.0, 0.0, 1e-300, 2.0, f64::INFINITY];
        for pair in xs.windows(2) {
            assert!(ordered(pair[0]) <= ordered(pair[1]), "{pair:?}");
        }
        assert_eq!(ordered(-0.0), ordered(0.0));
    }
}
