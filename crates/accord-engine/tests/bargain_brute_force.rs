//! Bargaining solutions against brute force, through both the frontier and the search.

#![allow(clippy::unwrap_used)]

mod frontier_support;

use accord_engine::Problem;
use accord_engine::bargain::{
    Method, Solution, SolveOptions, egalitarian_with, kalai_smorodinsky_with, max_welfare_with, nash_with,
};
use frontier_support::*;
use proptest::prelude::*;

fn near(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}

/// The brute-force optimum of `primary` over packages meeting `floors`, and
/// the best `secondary` among those within 1e-9 of it.
fn brute(
    problem: &Problem,
    floors: &[f64],
    primary: &dyn Fn(&[f64]) -> f64,
    secondary: &dyn Fn(&[f64]) -> f64,
) -> Option<(f64, f64)> {
    let qualifying: Vec<Vec<f64>> =
        all_packages(problem).into_iter().map(|(_, u)| u).filter(|u| at_least(u, floors)).collect();
    if qualifying.is_empty() {
        return None;
    }
    let top = qualifying.iter().map(|u| primary(u)).fold(f64::NEG_INFINITY, f64::max);
    let tie =
        qualifying.iter().filter(|u| primary(u) >= top - 1e-9).map(|u| secondary(u)).fold(f64::NEG_INFINITY, f64::max);
    Some((top, tie))
}

fn check(
    problem: &Problem,
    floors: &[f64],
    got: Option<Solution>,
    want: Option<(f64, f64)>,
    primary: &dyn Fn(&[f64]) -> f64,
    secondary: &dyn Fn(&[f64]) -> f64,
    what: &str,
) -> Result<(), TestCaseError> {
    match (got, want) {
        (None, None) => Ok(()),
        (Some(s), Some((top, tie))) => {
            prop_assert!(problem.is_feasible(&s.package), "{what}: infeasible package");
            prop_assert_eq!(&s.utilities, &problem.utilities(&s.package), "{}: utilities", what);
            prop_assert!(at_least(&s.utilities, floors), "{what}: below a floor {:?} < {:?}", s.utilities, floors);
            prop_assert!(near(s.objective, primary(&s.utilities)), "{what}: objective is not the package's");
            prop_assert!(near(s.objective, top), "{what}: objective {} but the optimum is {}", s.objective, top);
            prop_assert!(
                secondary(&s.utilities) >= tie - 1e-9 * tie.abs().max(1.0),
                "{what}: tie-break {} < {}",
                secondary(&s.utilities),
                tie
            );
            prop_assert_eq!(s.gap, 0.0, "{}: gap", what);
            let active: Vec<String> =
                problem.rules.iter().filter(|r| r.is_active(&s.package)).map(|r| r.source.clone()).collect();
            prop_assert_eq!(&s.active_rules, &active, "{}: active rules", what);
            Ok(())
        }
        (got, want) => Err(TestCaseError::fail(format!("{what}: got {got:?}, brute force {want:?}"))),
    }
}

fn spec_strategy() -> impl Strategy<Value = (Spec, u64)> {
    (2usize..=5, 1usize..=7, 2usize..=4, 0usize..3, 0.0f64..0.5, 0.0f64..0.8, 0.0f64..0.3, any::<u64>()).prop_map(
        |(parties, issues, max_values, kind, fuse, remove, zero_issue, seed)| {
            let values = [Values::Random, Values::Tenths, Values::Quarters][kind];
            (Spec { parties, issues, max_values, values, fuse, remove, zero_issue }, seed)
        },
    )
}

fn run_all(problem: &Problem, extra_floors: &[f64], method: Method) -> Result<(), TestCaseError> {
    let options = SolveOptions { method, ..SolveOptions::default() };
    let d = reservations(problem);
    let n = d.len();
    let all = vec![true; n];
    let none = |_: &[f64]| 0.0;
    let tag = |s: &str| format!("{s} ({method:?}, {n} parties)");

    // Nash, with the reservation values and with raised floors.
    let product = |u: &[f64]| nash_product(u, &d);
    for floors in [d.clone(), extra_floors.iter().zip(&d).map(|(f, d)| f.max(*d)).collect()] {
        let got = nash_with(problem, &floors, &options).map_err(|e| TestCaseError::fail(e.to_string()))?;
        check(problem, &floors, got, brute(problem, &floors, &product, &none), &product, &none, &tag("nash"))?;
    }

    // Maximum welfare.
    let welfare = |u: &[f64]| u.iter().sum::<f64>();
    for floors in [d.clone(), extra_floors.to_vec()] {
        let got = max_welfare_with(problem, &floors, &options).map_err(|e| TestCaseError::fail(e.to_string()))?;
        check(problem, &floors, got, brute(problem, &floors, &welfare, &none), &welfare, &none, &tag("welfare"))?;
    }

    // Egalitarian, ties by the Nash product.
    let min_gain = |u: &[f64]| (0..n).map(|p| u[p] - d[p]).fold(f64::INFINITY, f64::min);
    let got = egalitarian_with(problem, &options).map_err(|e| TestCaseError::fail(e.to_string()))?;
    check(problem, &d, got, brute(problem, &d, &min_gain, &product), &min_gain, &product, &tag("egalitarian"))?;

    // Kalai–Smorodinsky over parties with room, ties by their Nash product.
    let rational: Vec<Vec<f64>> =
        all_packages(problem).into_iter().map(|(_, u)| u).filter(|u| at_least(u, &d)).collect();
    let ideal: Vec<f64> = (0..n).map(|p| rational.iter().map(|u| u[p]).fold(f64::NEG_INFINITY, f64::max)).collect();
    let _ = &all;
    let room: Vec<bool> = (0..n).map(|p| ideal[p] > d[p]).collect();
    let ks = |u: &[f64]| {
        let m = (0..n).filter(|&p| room[p]).map(|p| (u[p] - d[p]) / (ideal[p] - d[p])).fold(f64::INFINITY, f64::min);
        if m.is_finite() { m } else { 0.0 }
    };
    let room_product = |u: &[f64]| (0..n).filter(|&p| room[p]).map(|p| u[p] - d[p]).product::<f64>();
    let got = kalai_smorodinsky_with(problem, &options).map_err(|e| TestCaseError::fail(e.to_string()))?;
    check(problem, &d, got, brute(problem, &d, &ks, &room_product), &ks, &room_product, &tag("kalai-smorodinsky"))?;
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn solutions_match_brute_force((spec, seed) in spec_strategy()) {
        let mut rng = SeedRng::new(seed);
        let problem = random_problem(&spec, &mut rng);
        let packages = all_packages(&problem);
        let floors: Vec<f64> = if packages.is_empty() {
            reservations(&problem)
        } else {
            let target = &packages[rng.below(packages.len())].1;
            target.iter().map(|u| if rng.chance(0.5) { *u } else { u - rng.unit() * u.abs() }).collect()
        };
        run_all(&problem, &floors, Method::Auto)?;
        run_all(&problem, &floors, Method::Search)?;
        if spec.parties > 2 && spec.issues <= 5 {
            run_all(&problem, &floors, Method::Frontier)?;
        }
    }
}

#[test]
fn exhausted_budget_reports_a_certified_gap() {
    let spec =
        Spec { parties: 4, issues: 12, max_values: 4, values: Values::Random, fuse: 0.0, remove: 0.0, zero_issue: 0.0 };
    let mut problem = random_problem(&spec, &mut SeedRng::new(11));
    for party in &mut problem.parties {
        party.reservation = 0.0;
    }
    let d = reservations(&problem);
    let exact = nash_with(&problem, &d, &SolveOptions::default()).unwrap().unwrap();
    assert_eq!(exact.gap, 0.0);
    let tight = SolveOptions { method: Method::Search, node_budget: 3, ..SolveOptions::default() };
    let rough = nash_with(&problem, &d, &tight).unwrap().unwrap();
    assert!(rough.objective <= exact.objective + 1e-12);
    // The certificate: the optimum lies within [objective, objective + gap].
    assert!(rough.objective + rough.gap >= exact.objective - 1e-12, "{rough:?} vs {exact:?}");
}

/// Larger spaces (4^9 packages) where the search really prunes, against brute force.
#[test]
fn search_is_exact_on_larger_random_problems() {
    for (parties, seed) in [(3usize, 1u64), (4, 2), (4, 3), (5, 4)] {
        let spec = Spec {
            parties,
            issues: 9,
            max_values: 4,
            values: Values::Random,
            fuse: 0.1,
            remove: 0.3,
            zero_issue: 0.05,
        };
        let mut rng = SeedRng::new(seed);
        let mut problem = random_problem(&spec, &mut rng);
        for p in 0..parties {
            let best: f64 = problem.tables[p].iter().map(|t| t.iter().copied().fold(0.0, f64::max)).sum();
            problem.parties[p].reservation = 0.25 * best;
        }
        let floors = reservations(&problem);
        let rational = all_packages(&problem).into_iter().filter(|(_, u)| at_least(u, &floors)).count();
        assert!(rational > 1000, "only {rational} rational packages");
        run_all(&problem, &floors, Method::Search).unwrap();
    }
}
