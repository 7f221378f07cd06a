//! One analysis under budgets: under the default budgets it gives what each
//! engine function gives on its own; a budget changes no exact answer; an
//! answer whose budget ran out says which one, and what it holds is within its
//! own certificate of the exact answer.

#![allow(clippy::unwrap_used)] // test code: a panic is a failed test

mod frontier_support;

use accord_engine::analyse::{Budget, Budgets, Outcome, Part, Progress, analyse, analyse_parts};
use accord_engine::bargain::{self, Solution};
use accord_engine::improve::{self, Improvement};
use accord_engine::repair::{self, RepairOutcome};
use accord_engine::zopa::{self, Count};
use accord_engine::{EngineError, Problem, frontier};
use frontier_support::*;
use proptest::prelude::*;

fn problem(parties: usize, issues: usize, max_values: usize, seed: u64) -> Problem {
    let spec = Spec { parties, issues, max_values, values: Values::Random, fuse: 0.2, remove: 0.2, zero_issue: 0.1 };
    random_problem(&spec, &mut SeedRng::new(seed))
}

/// A package drawn over every value, so it may break a rule or a red line.
fn any_draft(problem: &Problem, rng: &mut SeedRng) -> Vec<usize> {
    problem.issues.iter().map(|issue| rng.below(issue.values.len())).collect()
}

fn exact<T: std::fmt::Debug>(outcome: &Option<Outcome<T>>) -> &T {
    match outcome {
        Some(Outcome::Exact(value)) => value,
        other => panic!("expected an exact outcome, got {other:?}"),
    }
}

const TINY: Budgets = Budgets {
    zopa_nodes: 0,
    zopa_memo: 0,
    frontier_points: 0,
    packages_cap: 1,
    solve_nodes: 0,
    solve_frontier_points: 0,
    repair_subsets: 0,
    repair_search_nodes: 0,
    repair_search_memo: 0,
};

#[test]
fn the_default_analysis_is_what_each_function_gives_on_its_own() {
    for seed in 0..20 {
        let problem = problem(2 + (seed as usize % 3), 5, 3, seed);
        let draft = any_draft(&problem, &mut SeedRng::new(seed + 100));
        let floors: Vec<f64> = problem.parties.iter().map(|p| p.reservation).collect();
        let analysis = analyse(&problem, &draft, &Budgets::default());
        assert!(analysis.exhausted().is_empty(), "{:?}", analysis.exhausted());
        let options = frontier::FrontierOptions::default();
        assert_eq!(exact(&analysis.frontier), &frontier::pareto_frontier(&problem, &options).unwrap());
        assert_eq!(exact(&analysis.nash), &bargain::nash(&problem, &floors).unwrap());
        assert_eq!(exact(&analysis.kalai_smorodinsky), &bargain::kalai_smorodinsky(&problem).unwrap());
        assert_eq!(exact(&analysis.egalitarian), &bargain::egalitarian(&problem).unwrap());
        assert_eq!(exact(&analysis.max_welfare), &bargain::max_welfare(&problem, &floors).unwrap());
        assert_eq!(exact(&analysis.improvement), &improve::improve(&problem, &draft).unwrap());
        assert_eq!(exact(&analysis.zopa), &zopa::zopa(&problem));
        assert_eq!(exact(&analysis.repair), &repair::repair(&problem, &draft).unwrap());
    }
}

#[test]
fn the_server_budgets_are_the_limits_the_server_used() {
    let server = Budgets::server_default();
    assert_eq!(server.zopa_options(), zopa::ZopaOptions { max_nodes: 2_000_000, max_memo: 200_000 });
    assert_eq!(
        server.repair_options(),
        repair::RepairOptions {
            max_subsets: 200_000,
            search: zopa::ZopaOptions { max_nodes: 200_000, max_memo: 50_000 }
        }
    );
    assert_eq!((server.frontier_points, server.packages_cap), (200_000, 1));
    assert_eq!(server.solve_options(), bargain::SolveOptions::default());
    let default = Budgets::default();
    assert_eq!(default.zopa_options(), zopa::ZopaOptions::default());
    assert_eq!(default.repair_options(), repair::RepairOptions::default());
    assert_eq!(default.solve_options(), bargain::SolveOptions::default());
    let frontier = frontier::FrontierOptions::default();
    let ours = default.frontier_options(None);
    assert_eq!((ours.max_points, ours.packages_cap), (frontier.max_points, frontier.packages_cap));
}

#[test]
fn each_exhausted_budget_is_named() {
    // Four parties: the bargaining solutions search instead of reading a two-party frontier.
    let problem = problem(4, 16, 4, 7);
    let draft = any_draft(&problem, &mut SeedRng::new(1));
    let analysis = analyse(&problem, &draft, &TINY);
    assert_eq!(analysis.frontier.as_ref().and_then(Outcome::exhausted), Some(Budget::FrontierPoints));
    // Maximum welfare is not in the list: a linear objective whose floors do not bind is proven at the root.
    for solution in [&analysis.nash, &analysis.kalai_smorodinsky, &analysis.egalitarian] {
        assert_eq!(solution.as_ref().and_then(Outcome::exhausted), Some(Budget::SolveNodes), "{solution:?}");
    }
    match analysis.zopa.as_ref().unwrap() {
        Outcome::BudgetExhausted { which: Budget::ZopaNodes, partial: Some(zopa), .. } => {
            assert!(matches!(zopa.count, Count::Bounds { .. }), "{zopa:?}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn the_repair_names_its_two_budgets() {
    let problem = problem(3, 8, 3, 7);
    // A draft that needs a change (a draft that works needs no search at all).
    let needs_repair = (0..200)
        .map(|seed| any_draft(&problem, &mut SeedRng::new(seed)))
        .find(
            |draft| matches!(repair::repair(&problem, draft), Ok(RepairOutcome::Repaired(r)) if !r.changes.is_empty()),
        )
        .unwrap();
    let repair_with =
        |budgets: Budgets| analyse_parts(&problem, &needs_repair, &budgets, &[Part::Repair], &|_| {}).repair.unwrap();
    let no_search = repair_with(Budgets { repair_search_nodes: 0, ..Budgets::default() });
    assert_eq!(no_search.exhausted(), Some(Budget::RepairSearchNodes), "{no_search:?}");
    let no_subsets = repair_with(Budgets { repair_subsets: 0, ..Budgets::default() });
    assert_eq!(no_subsets.exhausted(), Some(Budget::RepairSubsets), "{no_subsets:?}");
    assert!(matches!(no_subsets.result(), Err(EngineError::TooLarge { .. })));
    assert!(repair_with(Budgets::default()).is_exact());
}

#[test]
fn a_malformed_draft_fails_the_draft_parts_only() {
    let problem = problem(2, 3, 3, 11);
    let analysis = analyse(&problem, &[0], &Budgets::default());
    assert!(matches!(analysis.repair, Some(Outcome::Failed(EngineError::Invalid(_)))));
    assert!(matches!(analysis.improvement, Some(Outcome::Failed(EngineError::Invalid(_)))));
    assert!(analysis.zopa.as_ref().is_some_and(Outcome::is_exact));
    assert!(analysis.nash.as_ref().is_some_and(Outcome::is_exact));
}

#[test]
fn only_the_parts_asked_for_run_in_order_and_progress_says_so() {
    let problem = problem(2, 4, 3, 3);
    let draft = vec![0; problem.issues.len()];
    let events = std::sync::Mutex::new(Vec::new());
    let record = |event: Progress| {
        if !matches!(event, Progress::Frontier { .. }) {
            events.lock().unwrap().push(event);
        }
    };
    let analysis = analyse_parts(&problem, &draft, &Budgets::default(), &[Part::Zopa, Part::Frontier], &record);
    assert!(analysis.frontier.is_some() && analysis.zopa.is_some());
    assert!(analysis.nash.is_none() && analysis.repair.is_none() && analysis.improvement.is_none());
    assert_eq!(
        events.into_inner().unwrap(),
        vec![
            Progress::Started(Part::Frontier),
            Progress::Finished(Part::Frontier),
            Progress::Started(Part::Zopa),
            Progress::Finished(Part::Zopa),
        ]
    );
}

fn objective(solution: &Option<Solution>) -> Option<f64> {
    solution.as_ref().map(|s| s.objective)
}

/// A solution found under a small budget against the proven one.
fn check_solution(name: &str, small: &Outcome<Option<Solution>>, full: &Option<Solution>) -> Result<(), TestCaseError> {
    match small {
        Outcome::Exact(s) => {
            prop_assert_eq!(s.is_some(), full.is_some(), "{}", name);
            if let (Some(s), Some(f)) = (s, full) {
                prop_assert_eq!(s.gap, 0.0);
                prop_assert!((s.objective - f.objective).abs() <= 1e-9 * f.objective.abs().max(1.0), "{}", name);
            }
        }
        Outcome::BudgetExhausted { which, partial, .. } => {
            prop_assert_eq!(*which, Budget::SolveNodes, "{}", name);
            if let Some(Some(s)) = partial {
                // Its certificate brackets the optimum.
                let best = objective(full).unwrap();
                prop_assert!(s.gap > 0.0, "{}: a partial answer with no gap", name);
                prop_assert!(s.objective <= best + 1e-9 * best.abs().max(1.0), "{}", name);
                prop_assert!(s.objective + s.gap >= best - 1e-9 * best.abs().max(1.0), "{}", name);
            }
        }
        Outcome::Failed(e) => prop_assert!(false, "{}: {}", name, e),
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 120, ..ProptestConfig::default() })]

    /// Whatever the budgets, an exact answer is the answer, and a partial one
    /// is within its own certificate of it.
    #[test]
    fn budgets_never_change_an_exact_answer(
        parties in 2usize..=4,
        issues in 1usize..=6,
        seed in any::<u64>(),
        zopa_nodes in 0u64..40,
        frontier_points in 0usize..12,
        solve_nodes in 0u64..60,
        solve_frontier_points in 0usize..12,
        repair_subsets in 0u64..8,
        repair_search_nodes in 0u64..8,
    ) {
        let problem = problem(parties, issues, 3, seed);
        let draft = any_draft(&problem, &mut SeedRng::new(seed.wrapping_add(1)));
        let small = Budgets {
            zopa_nodes,
            zopa_memo: 16,
            frontier_points,
            packages_cap: 50,
            solve_nodes,
            solve_frontier_points,
            repair_subsets,
            repair_search_nodes,
            repair_search_memo: 16,
        };
        let small = analyse(&problem, &draft, &small);
        let full = analyse(&problem, &draft, &Budgets::default());
        prop_assert!(full.exhausted().is_empty());

        match small.frontier.as_ref().unwrap() {
            Outcome::Exact(f) => prop_assert_eq!(f, exact(&full.frontier)),
            Outcome::BudgetExhausted { which, partial, .. } => {
                prop_assert_eq!(*which, Budget::FrontierPoints);
                prop_assert!(partial.is_none());
            }
            Outcome::Failed(e) => prop_assert!(false, "{}", e),
        }
        check_solution("nash", small.nash.as_ref().unwrap(), exact(&full.nash))?;
        check_solution("ks", small.kalai_smorodinsky.as_ref().unwrap(), exact(&full.kalai_smorodinsky))?;
        check_solution("egalitarian", small.egalitarian.as_ref().unwrap(), exact(&full.egalitarian))?;
        check_solution("welfare", small.max_welfare.as_ref().unwrap(), exact(&full.max_welfare))?;

        let zopa_full = exact(&full.zopa);
        let Count::Exact(n) = zopa_full.count else { panic!("the default budget left {zopa_full:?}") };
        match small.zopa.as_ref().unwrap() {
            Outcome::Exact(z) => prop_assert_eq!((z.exists, z.count), (zopa_full.exists, zopa_full.count)),
            Outcome::BudgetExhausted { which, partial: Some(z), .. } => {
                prop_assert_eq!(*which, Budget::ZopaNodes);
                prop_assert!(z.count.at_least() <= n && n <= z.count.at_most(), "{:?} vs {}", z.count, n);
                prop_assert!(!z.exists || zopa_full.exists);
                if z.is_decided() {
                    prop_assert_eq!(z.exists, zopa_full.exists);
                }
            }
            other => prop_assert!(false, "{:?}", other),
        }

        let repair_full = exact(&full.repair);
        match small.repair.as_ref().unwrap() {
            Outcome::Exact(r) | Outcome::BudgetExhausted { partial: Some(r), .. } => match (r, repair_full) {
                (RepairOutcome::Repaired(a), RepairOutcome::Repaired(b)) => {
                    prop_assert_eq!(a.changes.len(), b.changes.len());
                    prop_assert!(problem.is_rational(&a.package));
                }
                (RepairOutcome::Unrepairable { .. }, RepairOutcome::Unrepairable { .. }) => {}
                (a, b) => prop_assert!(false, "{:?} vs {:?}", a, b),
            },
            Outcome::BudgetExhausted { which, partial: None, .. } => prop_assert!(
                [Budget::RepairSubsets, Budget::RepairSearchNodes, Budget::SolveNodes].contains(which)
            ),
            Outcome::Failed(e) => prop_assert!(false, "{}", e),
        }
        if let Some(Outcome::Exact(r)) = &small.repair {
            // Exact: the Nash tie-break is proven too.
            if let (RepairOutcome::Repaired(a), RepairOutcome::Repaired(b)) = (r, repair_full) {
                prop_assert!((a.nash_product - b.nash_product).abs() <= 1e-9 * b.nash_product.abs().max(1.0));
            }
        }

        let improvement_full = exact(&full.improvement);
        match small.improvement.as_ref().unwrap() {
            Outcome::Exact(i) | Outcome::BudgetExhausted { partial: Some(i), .. } => {
                prop_assert_eq!(
                    matches!(i, Improvement::Better { .. }),
                    matches!(improvement_full, Improvement::Better { .. })
                );
            }
            Outcome::BudgetExhausted { which, partial: None, .. } => prop_assert_eq!(*which, Budget::SolveNodes),
            Outcome::Failed(e) => prop_assert!(false, "{}", e),
        }
    }
}
