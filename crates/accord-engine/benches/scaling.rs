//! Scaling of the exact core on seeded random problems (release: `cargo bench -p accord-engine`).

#![allow(clippy::unwrap_used)]

use accord_engine::Problem;
use accord_engine::frontier::{FrontierOptions, pareto_frontier};
use accord_engine::problem::{AnalysisParty, Group, IssueInfo};

fn main() {
    divan::main();
}

/// SplitMix64, so every run sees the same problems.
struct SeedRng(u64);

impl SeedRng {
    fn unit(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Random weights per party (normalised) times random ratings in [0, 1);
/// every issue free; reservation values 0.
fn random_problem(parties: usize, issues: usize, options: usize, seed: u64) -> Problem {
    let mut rng = SeedRng(seed);
    let tables: Vec<Vec<Vec<f64>>> = (0..parties)
        .map(|_| {
            let weights: Vec<f64> = (0..issues).map(|_| rng.unit()).collect();
            let total: f64 = weights.iter().sum();
            weights.iter().map(|w| (0..options).map(|_| w / total * rng.unit()).collect()).collect()
        })
        .collect();
    Problem {
        parties: (0..parties)
            .map(|p| AnalysisParty { id: format!("p{p}"), name: format!("party {p}"), reservation: 0.0 })
            .collect(),
        issues: (0..issues)
            .map(|i| IssueInfo {
                id: format!("i{i}"),
                title: format!("issue {i}"),
                values: (0..options).map(|v| accord_core::Value::Number(v as f64)).collect(),
            })
            .collect(),
        groups: (0..issues)
            .map(|i| Group {
                issues: vec![i],
                assignments: (0..options).map(|v| vec![v]).collect(),
                utilities: (0..options).map(|v| (0..parties).map(|p| 0.0 + tables[p][i][v]).collect()).collect(),
            })
            .collect(),
        rules: Vec::new(),
        tables,
    }
}

#[divan::bench(args = [10, 20, 40])]
fn frontier_2p_x5(bencher: divan::Bencher, issues: usize) {
    let problem = random_problem(2, issues, 5, 1);
    bencher.bench(|| pareto_frontier(divan::black_box(&problem), &FrontierOptions::default()).unwrap().points.len());
}

#[divan::bench(args = [12, 20, 28])]
fn nash_4p_x4(bencher: divan::Bencher, issues: usize) {
    let problem = random_problem(4, issues, 4, 2);
    let floors = vec![0.0; 4];
    bencher.bench(|| accord_engine::bargain::nash(divan::black_box(&problem), &floors).unwrap().unwrap().objective);
}

#[divan::bench(args = [12, 20, 28])]
fn egalitarian_4p_x4(bencher: divan::Bencher, issues: usize) {
    let problem = random_problem(4, issues, 4, 3);
    bencher.bench(|| accord_engine::bargain::egalitarian(divan::black_box(&problem)).unwrap().unwrap().objective);
}

#[divan::bench(args = [12, 24])]
fn frontier_3p_x5(bencher: divan::Bencher, issues: usize) {
    let problem = random_problem(3, issues, 5, 4);
    bencher.bench(|| pareto_frontier(divan::black_box(&problem), &FrontierOptions::default()).unwrap().points.len());
}
