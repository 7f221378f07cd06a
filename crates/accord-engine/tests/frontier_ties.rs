//! Exact ties, huge counts, float noise at a reservation value, and size.

#![allow(clippy::unwrap_used)]

mod frontier_support;

use accord_engine::frontier::{FrontierOptions, pareto_frontier};
use frontier_support::*;

#[test]
fn counts_multiply_across_forty_mostly_zero_issues() {
    for parties in [2usize, 3] {
        let mut rng = SeedRng::new(40 + parties as u64);
        let live = 3;
        let tables: Vec<Vec<Vec<f64>>> = (0..parties)
            .map(|_| {
                (0..40)
                    .map(|i| (0..5).map(|_| if i < live { rng.below(4) as f64 * 0.25 } else { 0.0 }).collect())
                    .collect()
            })
            .collect();
        let small_tables: Vec<Vec<Vec<f64>>> = tables.iter().map(|t| t[..live].to_vec()).collect();
        let zeros = vec![0.0; parties];
        let big = pareto_frontier(&problem_from_tables(tables, &zeros), &FrontierOptions::default()).unwrap();
        let small = brute_frontier(&problem_from_tables(small_tables, &zeros), &zeros);
        assert_eq!(big.points.len(), small.len());
        let free = 5u128.pow(40 - live as u32);
        for (v, count, _) in &small {
            let point = big.points.iter().find(|p| close(&p.utilities, v)).expect("every small point appears");
            assert_eq!(point.n_packages, count * free, "count at {v:?}");
            assert_eq!(point.packages.len(), 50, "the default cap lists 50 packages");
        }
    }
}

#[test]
fn all_zero_tables_give_one_point_behind_every_package() {
    let tables = vec![vec![vec![0.0; 5]; 40]; 2];
    let frontier = pareto_frontier(&problem_from_tables(tables, &[0.0, 0.0]), &FrontierOptions::default()).unwrap();
    assert_eq!(frontier.points.len(), 1);
    assert_eq!(frontier.points[0].n_packages, 5u128.pow(40));
    assert_eq!(frontier.points[0].utilities, vec![0.0, 0.0]);
}

/// Package (0,0) sums to 0.1 + 0.2 = 0.30000000000000004 for party 0 and
/// package (1,1) to 0.3 + 0.0 = 0.3, one ulp below, with much more for party 1.
/// With the reservation value at 0.30000000000000004, (1,1) is not rational,
/// so it must not hide (0,0), even though it dominates it within 1e-9.
#[test]
fn float_noise_below_a_reservation_value_does_not_hide_a_rational_point() {
    let tables = vec![vec![vec![0.1, 0.3], vec![0.2, 0.0]], vec![vec![1.0, 0.0], vec![0.0, 2.0]]];
    let rv0 = 0.1 + 0.2;
    assert!(0.3 < rv0);
    let problem = problem_from_tables(tables.clone(), &[rv0, 0.0]);
    let frontier = pareto_frontier(&problem, &FrontierOptions::default()).unwrap();
    let want = brute_frontier(&problem, &[rv0, 0.0]);
    assert_eq!(frontier.points.len(), want.len());
    assert!(frontier.points.iter().any(|p| p.packages == vec![vec![0, 0]]), "{frontier:?}");
    assert!(frontier.points.iter().all(|p| p.packages != vec![vec![1, 1]]));

    // With the reservation value one ulp lower both are rational, and they are one point.
    let problem = problem_from_tables(tables, &[0.3, 0.0]);
    let frontier = pareto_frontier(&problem, &FrontierOptions::default()).unwrap();
    assert!(frontier.points.iter().all(|p| p.packages != vec![vec![0, 0]]), "{frontier:?}");
    assert_eq!(frontier.points.len(), brute_frontier(&problem, &[0.3, 0.0]).len());
}

#[test]
fn three_party_noise_at_the_boundary() {
    let tables = vec![
        vec![vec![0.1, 0.3], vec![0.2, 0.0]],
        vec![vec![1.0, 0.0], vec![0.0, 2.0]],
        vec![vec![0.5, 0.5], vec![0.5, 0.5]],
    ];
    let rv = [0.1 + 0.2, 0.0, 1.0];
    let problem = problem_from_tables(tables, &rv);
    let frontier = pareto_frontier(&problem, &FrontierOptions::default()).unwrap();
    let want = brute_frontier(&problem, &rv);
    assert_eq!(frontier.points.len(), want.len());
    assert!(frontier.points.iter().any(|p| p.packages == vec![vec![0, 0]]), "{frontier:?}");
}

#[test]
fn forty_issues_five_options_two_parties_completes() {
    let mut rng = SeedRng::new(2024);
    let tables: Vec<Vec<Vec<f64>>> =
        (0..2).map(|_| (0..40).map(|_| (0..5).map(|_| rng.unit() / 40.0).collect()).collect()).collect();
    let problem = problem_from_tables(tables, &[0.0, 0.0]);
    let frontier = pareto_frontier(&problem, &FrontierOptions::default()).unwrap();
    assert!(frontier.points.len() > 100, "{} points", frontier.points.len());
    let total: u128 = frontier.points.iter().map(|p| p.n_packages).sum();
    assert!(total >= frontier.points.len() as u128);
    for pair in frontier.points.windows(2) {
        // Sorted by party 0 descending, so party 1 must rise along a Pareto frontier.
        assert!(pair[0].utilities[0] > pair[1].utilities[0] + 1e-9);
        assert!(pair[1].utilities[1] > pair[0].utilities[1] + 1e-9);
    }
    for point in frontier.points.iter().step_by(97) {
        for package in &point.packages {
            assert!(close(&problem.utilities(package), &point.utilities));
        }
    }
}

#[test]
fn progress_is_reported_once_per_group_and_at_the_end() {
    let tables = vec![vec![vec![0.1, 0.2, 0.3]; 6], vec![vec![0.3, 0.2, 0.1]; 6]];
    let problem = problem_from_tables(tables, &[0.0, 0.0]);
    let seen = std::sync::Mutex::new(Vec::new());
    let record = |done: usize, total: usize| seen.lock().unwrap().push((done, total));
    let options = FrontierOptions { progress: Some(&record), ..FrontierOptions::default() };
    pareto_frontier(&problem, &options).unwrap();
    let seen = seen.into_inner().unwrap();
    assert_eq!(seen, (1..=7).map(|d| (d, 7)).collect::<Vec<_>>());
}
