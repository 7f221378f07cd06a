//! The frontier against brute force on small random problems.

#![allow(clippy::unwrap_used)]

mod frontier_support;

use accord_engine::frontier::{FrontierOptions, frontier_above, pareto_frontier};
use accord_engine::{EngineError, Problem};
use frontier_support::*;
use proptest::prelude::*;

fn check_frontier(problem: &Problem, floors: &[f64], cap: usize) -> Result<(), TestCaseError> {
    let options = FrontierOptions { packages_cap: cap, ..FrontierOptions::default() };
    let got = frontier_above(problem, floors, &options).map_err(|e| TestCaseError::fail(e.to_string()))?;
    let want = brute_frontier(problem, floors);
    prop_assert_eq!(got.points.len(), want.len(), "number of points; got {:?}", got.points);
    for (v, count, _) in &want {
        let matched: Vec<_> = got.points.iter().filter(|p| close(&p.utilities, v)).collect();
        prop_assert_eq!(matched.len(), 1, "point {:?} matched {} times", v, matched.len());
        prop_assert_eq!(matched[0].n_packages, *count, "count at {:?}", v);
    }
    for point in &got.points {
        prop_assert!(want.iter().any(|(v, _, _)| close(v, &point.utilities)), "extra point {:?}", point.utilities);
        prop_assert_eq!(point.packages.len() as u128, point.n_packages.min(cap as u128));
        let mut distinct = point.packages.clone();
        distinct.sort();
        distinct.dedup();
        prop_assert_eq!(distinct.len(), point.packages.len(), "listed packages repeat");
        for package in &point.packages {
            prop_assert!(problem.is_feasible(package));
            let u = problem.utilities(package);
            prop_assert!(at_least(&u, floors), "listed package below a floor: {:?}", u);
            prop_assert!(close(&u, &point.utilities), "package {:?} has {:?}, point {:?}", package, u, point.utilities);
        }
    }
    for pair in got.points.windows(2) {
        prop_assert!(pair[0].utilities[0] >= pair[1].utilities[0], "not sorted by the first utility");
    }
    Ok(())
}

fn spec_strategy(max_parties: usize) -> impl Strategy<Value = (Spec, u64)> {
    (2..=max_parties, 1usize..=8, 2usize..=4, 0usize..3, 0.0f64..0.5, 0.0f64..0.8, 0.0f64..0.4, any::<u64>()).prop_map(
        |(parties, issues, max_values, kind, fuse, remove, zero_issue, seed)| {
            let values = [Values::Random, Values::Tenths, Values::Quarters][kind];
            (Spec { parties, issues, max_values, values, fuse, remove, zero_issue }, seed)
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn frontier_matches_brute_force((spec, seed) in spec_strategy(5), cap in 1usize..4) {
        let problem = random_problem(&spec, &mut SeedRng::new(seed));
        check_frontier(&problem, &reservations(&problem), cap)?;
    }

    #[test]
    fn frontier_above_raised_floors_matches_brute_force((spec, seed) in spec_strategy(4)) {
        let mut rng = SeedRng::new(seed);
        let problem = random_problem(&spec, &mut rng);
        let packages = all_packages(&problem);
        prop_assume!(!packages.is_empty());
        // Floors exactly at some package's utilities: the boundary must be inclusive.
        let floors = packages[rng.below(packages.len())].1.iter().map(|u| u - 0.3 * rng.unit() * u.abs()).collect::<Vec<_>>();
        check_frontier(&problem, &floors, 2)?;
        let exact = packages[rng.below(packages.len())].1.clone();
        check_frontier(&problem, &exact, 2)?;
    }
}

#[test]
fn pareto_frontier_uses_the_reservation_values() {
    let spec =
        Spec { parties: 3, issues: 5, max_values: 3, values: Values::Tenths, fuse: 0.2, remove: 0.3, zero_issue: 0.0 };
    for seed in 0..20 {
        let problem = random_problem(&spec, &mut SeedRng::new(seed));
        let got = pareto_frontier(&problem, &FrontierOptions::default()).unwrap();
        let want = brute_frontier(&problem, &reservations(&problem));
        assert_eq!(got.points.len(), want.len(), "seed {seed}");
    }
}

#[test]
fn too_many_points_is_an_error_not_a_panic() {
    let spec =
        Spec { parties: 4, issues: 8, max_values: 4, values: Values::Random, fuse: 0.0, remove: 0.0, zero_issue: 0.0 };
    let mut problem = random_problem(&spec, &mut SeedRng::new(7));
    for party in &mut problem.parties {
        party.reservation = 0.0;
    }
    let options = FrontierOptions { max_points: 5, ..FrontierOptions::default() };
    match pareto_frontier(&problem, &options) {
        Err(EngineError::TooLarge { limit, what, .. }) => {
            assert_eq!(limit, 5);
            assert!(what.contains("4 parties"), "{what}");
        }
        other => panic!("expected TooLarge, got {other:?}"),
    }
}

#[test]
fn unreachable_floors_give_an_empty_frontier() {
    let spec =
        Spec { parties: 2, issues: 4, max_values: 3, values: Values::Random, fuse: 0.0, remove: 0.0, zero_issue: 0.0 };
    let problem = random_problem(&spec, &mut SeedRng::new(3));
    let got = frontier_above(&problem, &[100.0, 0.0], &FrontierOptions::default()).unwrap();
    assert!(got.points.is_empty());
}

/// Four parties, 30 issues whose option p gives 1 to party p alone: every
/// partial sum is a composition of the issues so far, and all of them are
/// Pareto-optimal, so the layers grow as C(t + 3, 3).
#[test]
fn four_party_skyline_work_is_bounded() {
    let tables: Vec<Vec<Vec<f64>>> =
        (0..4).map(|p| (0..30).map(|_| (0..4).map(|v| if v == p { 1.0 } else { 0.0 }).collect()).collect()).collect();
    let problem = problem_from_tables(tables, &[0.0; 4]);
    // 5000 points would be enough, but the comparisons run out first (layer 27: 4060 × 3654).
    let options = FrontierOptions { max_points: 5000, ..FrontierOptions::default() };
    match pareto_frontier(&problem, &options) {
        Err(EngineError::TooLarge { what, .. }) => assert!(what.contains("4-party frontier"), "{what}"),
        Err(other) => panic!("expected TooLarge, got {other}"),
        Ok(f) => panic!("expected TooLarge, got {} points", f.points.len()),
    }
    let frontier = pareto_frontier(&problem, &FrontierOptions::default()).unwrap();
    assert_eq!(frontier.points.len(), 5456, "C(33, 3) compositions of 30 into 4 parts");
    assert_eq!(frontier.points.iter().map(|p| p.n_packages).sum::<u128>(), 4u128.pow(30));
}
