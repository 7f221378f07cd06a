//! Post-settlement improvement against brute force.

#![allow(clippy::unwrap_used)]

mod frontier_support;

use accord_engine::bargain::{Method, SolveOptions};
use accord_engine::improve::{Improvement, improve, improve_with};
use accord_engine::{EngineError, TOL};
use frontier_support::*;
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig { cases: 250, ..ProptestConfig::default() })]

    #[test]
    fn improvement_matches_brute_force(
        parties in 2usize..=5,
        issues in 1usize..=7,
        kind in 0usize..3,
        fuse in 0.0f64..0.4,
        remove in 0.0f64..0.6,
        seed in any::<u64>(),
        on_frontier in any::<bool>(),
        search in any::<bool>(),
    ) {
        let values = [Values::Random, Values::Tenths, Values::Quarters][kind];
        let spec = Spec { parties, issues, max_values: 3, values, fuse, remove, zero_issue: 0.15 };
        let mut rng = SeedRng::new(seed);
        let problem = random_problem(&spec, &mut rng);
        let packages = all_packages(&problem);
        prop_assume!(!packages.is_empty());
        let baseline = if on_frontier {
            let front = brute_frontier(&problem, &vec![f64::NEG_INFINITY; parties]);
            front[rng.below(front.len())].2[0].clone()
        } else {
            packages[rng.below(packages.len())].0.clone()
        };
        let b = problem.utilities(&baseline);
        let d: Vec<f64> = problem.parties.iter().zip(&b).map(|(p, u)| p.reservation.min(*u)).collect();
        let weakly: Vec<&Vec<f64>> = packages.iter().map(|(_, u)| u).filter(|u| at_least(u, &b)).collect();
        let strictly: Vec<&Vec<f64>> =
            weakly.iter().copied().filter(|u| u.iter().zip(&b).any(|(x, y)| *x > y + TOL)).collect();

        let method = if search { Method::Search } else { Method::Auto };
        let got = improve_with(&problem, &baseline, &SolveOptions { method, ..SolveOptions::default() }).unwrap();
        match got {
            Improvement::Better { solution } => {
                prop_assert!(!strictly.is_empty(), "claimed an improvement that does not exist");
                prop_assert!(problem.is_feasible(&solution.package));
                prop_assert_eq!(&solution.utilities, &problem.utilities(&solution.package));
                prop_assert!(at_least(&solution.utilities, &b), "someone is worse off");
                prop_assert!(solution.utilities.iter().zip(&b).any(|(x, y)| *x > y + TOL), "nobody is better off");
                let best = strictly.iter().map(|u| nash_product(u, &d)).fold(f64::NEG_INFINITY, f64::max);
                prop_assert!((solution.objective - best).abs() <= 1e-9 * best.abs().max(1.0),
                    "objective {} vs brute force {}", solution.objective, best);
                prop_assert!((solution.objective - nash_product(&solution.utilities, &d)).abs() <= 1e-12);
                prop_assert_eq!(solution.gap, 0.0);
            }
            Improvement::ParetoOptimal { baseline_welfare, max_welfare } => {
                prop_assert!(strictly.is_empty(), "missed an improvement: {:?}", strictly.first());
                prop_assert_eq!(baseline_welfare, b.iter().sum::<f64>());
                let want = weakly.iter().map(|u| u.iter().sum::<f64>()).fold(f64::NEG_INFINITY, f64::max);
                if weakly.is_empty() {
                    prop_assert_eq!(max_welfare, baseline_welfare);
                } else {
                    prop_assert!((max_welfare - want).abs() <= 1e-9 * want.abs().max(1.0));
                }
                prop_assert!(max_welfare <= baseline_welfare + parties as f64 * TOL);
            }
        }
    }
}

#[test]
fn a_bad_baseline_is_an_error() {
    let spec =
        Spec { parties: 2, issues: 3, max_values: 3, values: Values::Random, fuse: 0.0, remove: 0.0, zero_issue: 0.0 };
    let problem = random_problem(&spec, &mut SeedRng::new(5));
    assert!(matches!(improve(&problem, &[0, 0]), Err(EngineError::Invalid(_))));
    assert!(matches!(improve(&problem, &[0, 0, 99]), Err(EngineError::Invalid(_))));
}

#[test]
fn the_worst_package_is_improved_and_a_frontier_package_is_not() {
    let spec =
        Spec { parties: 3, issues: 5, max_values: 3, values: Values::Random, fuse: 0.0, remove: 0.0, zero_issue: 0.0 };
    let problem = random_problem(&spec, &mut SeedRng::new(9));
    let packages = all_packages(&problem);
    let worst = packages.iter().min_by(|a, b| a.1.iter().sum::<f64>().total_cmp(&b.1.iter().sum::<f64>())).unwrap();
    assert!(matches!(improve(&problem, &worst.0).unwrap(), Improvement::Better { .. }));
    let best = packages.iter().max_by(|a, b| a.1.iter().sum::<f64>().total_cmp(&b.1.iter().sum::<f64>())).unwrap();
    match improve(&problem, &best.0).unwrap() {
        Improvement::ParetoOptimal { baseline_welfare, max_welfare } => assert_eq!(baseline_welfare, max_welfare),
        other => panic!("the welfare maximum is Pareto-optimal, got {other:?}"),
    }
}

/// Every product ties at 0 (the baseline sits at the disagreement point) and
/// the welfare maximum (B) raises two parties by less than the tolerance each:
/// only C, which raises one party by more than the tolerance, is an improvement.
#[test]
fn an_improvement_smaller_than_the_welfare_gain_elsewhere_is_found() {
    let tables = vec![vec![vec![0.0, 0.6e-9, 0.0]], vec![vec![0.0, 0.6e-9, 0.0]], vec![vec![0.0, 0.0, 1.1e-9]]];
    let problem = problem_from_tables(tables, &[1.0, 1.0, 1.0]);
    for method in [Method::Auto, Method::Search, Method::Frontier] {
        match improve_with(&problem, &[0], &SolveOptions { method, ..SolveOptions::default() }).unwrap() {
            Improvement::Better { solution } => assert_eq!(solution.package, vec![2], "{method:?}"),
            other => panic!("{method:?}: expected package C, got {other:?}"),
        }
    }
}
