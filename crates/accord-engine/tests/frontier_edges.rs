//! Degenerate problems: no issues, no feasible assignment, one party, no parties.

#![allow(clippy::unwrap_used)]

mod frontier_support;

use accord_engine::EngineError;
use accord_engine::bargain::{egalitarian, kalai_smorodinsky, max_welfare, nash};
use accord_engine::frontier::{FrontierOptions, pareto_frontier};
use accord_engine::improve::{Improvement, improve};
use frontier_support::*;

#[test]
fn no_issues_means_one_empty_package() {
    let problem = problem_from_tables(vec![vec![], vec![]], &[0.0, 0.0]);
    let frontier = pareto_frontier(&problem, &FrontierOptions::default()).unwrap();
    assert_eq!(frontier.points.len(), 1);
    assert_eq!(frontier.points[0].n_packages, 1);
    assert_eq!(frontier.points[0].packages, vec![Vec::<usize>::new()]);
    let solution = nash(&problem, &[0.0, 0.0]).unwrap().unwrap();
    assert_eq!(solution.objective, 0.0);
    assert!(matches!(improve(&problem, &[]).unwrap(), Improvement::ParetoOptimal { .. }));
}

#[test]
fn a_group_without_assignments_leaves_nothing() {
    let mut problem = problem_from_tables(vec![vec![vec![0.5, 1.0]]; 3], &[0.0; 3]);
    problem.groups[0].assignments.clear();
    problem.groups[0].utilities.clear();
    assert!(pareto_frontier(&problem, &FrontierOptions::default()).unwrap().points.is_empty());
    assert!(nash(&problem, &[0.0; 3]).unwrap().is_none());
    assert!(egalitarian(&problem).unwrap().is_none());
    assert!(kalai_smorodinsky(&problem).unwrap().is_none());
    assert!(max_welfare(&problem, &[0.0; 3]).unwrap().is_none());
}

#[test]
fn one_party_gets_its_best_packages() {
    let problem = problem_from_tables(vec![vec![vec![0.2, 0.7, 0.7], vec![0.1, 0.0]]], &[0.0]);
    let frontier = pareto_frontier(&problem, &FrontierOptions::default()).unwrap();
    assert_eq!(frontier.points.len(), 1);
    assert_eq!(frontier.points[0].n_packages, 2);
    assert!((frontier.points[0].utilities[0] - 0.8).abs() < 1e-12);
    assert!((nash(&problem, &[0.0]).unwrap().unwrap().objective - 0.8).abs() < 1e-12);
    assert!((egalitarian(&problem).unwrap().unwrap().objective - 0.8).abs() < 1e-12);
    assert!((kalai_smorodinsky(&problem).unwrap().unwrap().objective - 1.0).abs() < 1e-12);
}

#[test]
fn no_parties_is_an_error() {
    let problem = problem_from_tables(vec![], &[]);
    assert!(matches!(pareto_frontier(&problem, &FrontierOptions::default()), Err(EngineError::Invalid(_))));
    assert!(matches!(nash(&problem, &[]), Err(EngineError::Invalid(_))));
    assert!(matches!(egalitarian(&problem), Err(EngineError::Invalid(_))));
    assert!(matches!(improve(&problem, &[]), Err(EngineError::Invalid(_))));
}

#[test]
fn floors_of_the_wrong_length_are_an_error() {
    let problem = problem_from_tables(vec![vec![vec![0.5, 1.0]]; 2], &[0.0; 2]);
    assert!(matches!(nash(&problem, &[0.0]), Err(EngineError::Invalid(_))));
    assert!(matches!(max_welfare(&problem, &[0.0, f64::NAN]), Err(EngineError::Invalid(_))));
}
