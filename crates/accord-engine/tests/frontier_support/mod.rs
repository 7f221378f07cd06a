//! Test-only problem builder and brute-force references for the frontier,
//! bargaining and improvement tests. Shared through `mod frontier_support;`.
#![allow(dead_code, clippy::unwrap_used)]

use accord_engine::problem::{AnalysisParty, Group, IssueInfo, IssueTest, Rule};
use accord_engine::{Problem, TOL};

/// SplitMix64: small, seedable, good enough to draw test problems.
#[derive(Debug, Clone)]
pub struct SeedRng(u64);

impl SeedRng {
    pub fn new(seed: u64) -> Self {
        SeedRng(seed ^ 0x9e37_79b9_7f4a_7c15)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }
}

/// How table entries are drawn; the coarse kinds make exact and noise-level ties.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Values {
    /// Uniform in [0, 1) times a random weight.
    Random,
    /// Multiples of 0.1 (sums tie up to float noise).
    Tenths,
    /// Multiples of 0.25 (sums tie exactly).
    Quarters,
}

#[derive(Debug, Clone)]
pub struct Spec {
    pub parties: usize,
    pub issues: usize,
    pub max_values: usize,
    pub values: Values,
    /// Chance that an issue is fused with the previous group.
    pub fuse: f64,
    /// Chance that one assignment of a group is removed (red line or rule).
    pub remove: f64,
    /// Chance that a party's table for an issue is all zeros.
    pub zero_issue: f64,
}

/// Builds a separable problem directly: tables, groups (some fused, some with
/// removed assignments), utilities summed in issue order, reservation values
/// that are 0, a random level, or exactly some package's utility.
pub fn random_problem(spec: &Spec, rng: &mut SeedRng) -> Problem {
    let n = spec.parties;
    let sizes: Vec<usize> = (0..spec.issues).map(|_| 2 + rng.below(spec.max_values - 1)).collect();
    let tables: Vec<Vec<Vec<f64>>> = (0..n)
        .map(|_| {
            sizes
                .iter()
                .map(|&s| {
                    let zero = rng.chance(spec.zero_issue);
                    let weight = 0.2 + rng.unit();
                    (0..s)
                        .map(|_| {
                            if zero {
                                return 0.0;
                            }
                            match spec.values {
                                Values::Random => weight * rng.unit(),
                                Values::Tenths => rng.below(11) as f64 * 0.1,
                                Values::Quarters => rng.below(5) as f64 * 0.25,
                            }
                        })
                        .collect()
                })
                .collect()
        })
        .collect();

    // Partition the issues into groups; a fused group may skip issues.
    let mut members: Vec<Vec<usize>> = Vec::new();
    for issue in 0..spec.issues {
        if !members.is_empty() && rng.chance(spec.fuse) {
            let g = rng.below(members.len());
            if members[g].len() < 3 {
                members[g].push(issue);
                continue;
            }
        }
        members.push(vec![issue]);
    }
    let mut groups = Vec::new();
    let mut rules = Vec::new();
    for issues in members {
        let mut assignments = vec![vec![]];
        for &i in &issues {
            assignments = assignments
                .into_iter()
                .flat_map(|a: Vec<usize>| {
                    (0..sizes[i]).map(move |v| {
                        let mut b = a.clone();
                        b.push(v);
                        b
                    })
                })
                .collect();
        }
        if assignments.len() > 1 && rng.chance(spec.remove) {
            let gone = rng.below(assignments.len());
            let removed = assignments.remove(gone);
            // Record it as a rule so active-rule reporting has something to find.
            rules.push(Rule {
                source: format!("test rule on issues {issues:?}"),
                when: issues
                    .iter()
                    .zip(&removed)
                    .take(issues.len().max(2) - 1)
                    .map(|(&i, &v)| IssueTest { issue: i, allowed: (0..sizes[i]).map(|x| x == v).collect() })
                    .collect(),
                then: issues
                    .iter()
                    .zip(&removed)
                    .skip(issues.len().max(2) - 1)
                    .map(|(&i, &v)| IssueTest { issue: i, allowed: (0..sizes[i]).map(|x| x != v).collect() })
                    .collect(),
            });
        }
        let utilities = assignments
            .iter()
            .map(|a| (0..n).map(|p| issues.iter().zip(a).fold(0.0, |acc, (&i, &v)| acc + tables[p][i][v])).collect())
            .collect();
        groups.push(Group { issues, assignments, utilities });
    }
    let issues = sizes
        .iter()
        .enumerate()
        .map(|(i, &s)| IssueInfo {
            id: format!("i{i}"),
            title: format!("issue {i}"),
            values: (0..s).map(|v| accord_core::Value::Number(v as f64)).collect(),
        })
        .collect();
    let mut problem = Problem {
        parties: (0..n)
            .map(|p| AnalysisParty { id: format!("p{p}"), name: format!("party {p}"), reservation: 0.0 })
            .collect(),
        issues,
        groups,
        rules,
        tables,
    };
    // Reservation values: sometimes exactly at some package's utility (the boundary case).
    let sample: Vec<usize> = problem.groups.iter().map(|g| rng.below(g.assignments.len().max(1))).collect();
    let at = if problem.groups.iter().all(|g| !g.assignments.is_empty()) {
        problem.utilities(&problem.package_of(&sample))
    } else {
        vec![0.0; n]
    };
    for (p, &level) in at.iter().enumerate() {
        problem.parties[p].reservation = match rng.below(4) {
            0 => 0.0,
            1 => level,
            _ => {
                let max: f64 = problem.tables[p].iter().map(|t| t.iter().copied().fold(0.0, f64::max)).sum();
                0.6 * max * rng.unit()
            }
        };
    }
    problem
}

/// Every package of the problem (one choice per group), with its utilities.
pub fn all_packages(problem: &Problem) -> Vec<(Vec<usize>, Vec<f64>)> {
    let mut out = Vec::new();
    let mut choice = vec![0usize; problem.groups.len()];
    if problem.groups.iter().any(|g| g.assignments.is_empty()) {
        return out;
    }
    loop {
        let package = problem.package_of(&choice);
        let u = problem.utilities(&package);
        out.push((package, u));
        let mut g = 0;
        loop {
            if g == choice.len() {
                return out;
            }
            choice[g] += 1;
            if choice[g] < problem.groups[g].assignments.len() {
                break;
            }
            choice[g] = 0;
            g += 1;
        }
    }
}

pub fn at_least(u: &[f64], floors: &[f64]) -> bool {
    u.iter().zip(floors).all(|(x, f)| x >= f)
}

pub fn close(a: &[f64], b: &[f64]) -> bool {
    a.iter().zip(b).all(|(x, y)| (x - y).abs() <= TOL)
}

pub fn dominates(u: &[f64], v: &[f64]) -> bool {
    u.iter().zip(v).all(|(a, b)| *a >= b - TOL) && u.iter().zip(v).any(|(a, b)| *a > b + TOL)
}

/// Brute-force frontier of packages with u ≥ floors: (vector, count, packages).
pub fn brute_frontier(problem: &Problem, floors: &[f64]) -> Vec<(Vec<f64>, u128, Vec<Vec<usize>>)> {
    let mut rational: Vec<(Vec<usize>, Vec<f64>)> =
        all_packages(problem).into_iter().filter(|(_, u)| at_least(u, floors)).collect();
    rational.sort_by(|a, b| b.1.partial_cmp(&a.1).unwrap());
    let mut clusters: Vec<(Vec<f64>, u128, Vec<Vec<usize>>)> = Vec::new();
    for (package, u) in rational {
        match clusters.iter_mut().find(|(v, _, _)| close(v, &u)) {
            Some(c) => {
                c.1 += 1;
                c.2.push(package);
            }
            None => clusters.push((u, 1, vec![package])),
        }
    }
    let vectors: Vec<Vec<f64>> = clusters.iter().map(|c| c.0.clone()).collect();
    clusters.into_iter().filter(|(v, _, _)| !vectors.iter().any(|w| dominates(w, v))).collect()
}

pub fn nash_product(u: &[f64], d: &[f64]) -> f64 {
    u.iter().zip(d).map(|(x, y)| x - y).product()
}

pub fn reservations(problem: &Problem) -> Vec<f64> {
    problem.parties.iter().map(|p| p.reservation).collect()
}

/// A problem with singleton groups from tables `tables[p][i][v]`.
pub fn problem_from_tables(tables: Vec<Vec<Vec<f64>>>, reservations: &[f64]) -> Problem {
    let n = tables.len();
    let sizes: Vec<usize> = tables.first().map_or_else(Vec::new, |t| t.iter().map(Vec::len).collect());
    Problem {
        parties: reservations
            .iter()
            .enumerate()
            .map(|(p, &r)| AnalysisParty { id: format!("p{p}"), name: format!("party {p}"), reservation: r })
            .collect(),
        issues: sizes
            .iter()
            .enumerate()
            .map(|(i, &s)| IssueInfo {
                id: format!("i{i}"),
                title: format!("issue {i}"),
                values: (0..s).map(|v| accord_core::Value::Number(v as f64)).collect(),
            })
            .collect(),
        groups: sizes
            .iter()
            .enumerate()
            .map(|(i, &s)| Group {
                issues: vec![i],
                assignments: (0..s).map(|v| vec![v]).collect(),
                utilities: (0..s).map(|v| (0..n).map(|p| 0.0 + tables[p][i][v]).collect()).collect(),
            })
            .collect(),
        rules: Vec::new(),
        tables,
    }
}

pub mod genius;
