//! Compilation: each kind of hard rule, the error messages, and (proptest) that
//! the groups' choices are exactly the feasible packages of the model with the
//! model's utilities.

#![allow(clippy::unwrap_used)] // test code: a panic is a failed test

mod compile_support;

use std::collections::BTreeSet;

use accord_core::{Position, Role};
use accord_engine::EngineError;
use accord_engine::compile::{CompileOptions, compile, compile_with, consulted_tables};
use accord_engine::problem::Problem;
use compile_support::*;
use proptest::prelude::*;

/// Every package the compiled groups allow, in choice order.
fn group_packages(problem: &Problem) -> Vec<Vec<usize>> {
    let mut out = Vec::new();
    if problem.groups.iter().any(|g| g.assignments.is_empty()) {
        return out;
    }
    let mut choice = vec![0; problem.groups.len()];
    loop {
        out.push(problem.package_of(&choice));
        let mut pos = choice.len();
        loop {
            if pos == 0 {
                return out;
            }
            pos -= 1;
            choice[pos] += 1;
            if choice[pos] < problem.groups[pos].assignments.len() {
                break;
            }
            choice[pos] = 0;
        }
    }
}

fn feasible_set(problem: &Problem) -> BTreeSet<Vec<usize>> {
    group_packages(problem).into_iter().collect()
}

/// Two signatories (a, b), a consulted party (c), a mediator; issues x (3 options), y (2), z (numeric 10..40).
fn base() -> accord_core::Negotiation {
    let mut neg = negotiation(
        vec![
            party("m", Role::Mediator),
            party("a", Role::Signatory),
            party("b", Role::Signatory),
            party("c", Role::Consulted),
        ],
        vec![
            with_draft(discrete("x", &["x0", "x1", "x2"]), "x1"),
            discrete("y", &["y0", "y1"]),
            numeric("z", 10.0, 40.0, 10.0),
        ],
        vec![provision("art-1", &["x"]), provision("art-2", &["x", "y"]), provision("art-3", &[])],
    );
    let pa = profile(&neg, "a", &[2.0, 1.0, 1.0], &[&[1.0, 0.5, 0.0], &[0.0, 1.0], &[0.0, 0.2, 0.8, 1.0]], 0.3);
    let pb = profile(&neg, "b", &[1.0, 1.0, 2.0], &[&[0.0, 0.5, 1.0], &[1.0, 0.0], &[1.0, 0.5, 0.25, 0.0]], 0.2);
    let pc = profile(&neg, "c", &[1.0, 0.0, 0.0], &[&[0.3, 0.3, 0.9], &[0.0, 0.0], &[0.0; 4]], 0.9);
    neg.profiles = vec![pa, pb, pc];
    neg
}

#[test]
fn analysis_parties_are_signatories_with_profiles_in_party_order() {
    let problem = compile(&base()).unwrap();
    let ids: Vec<&str> = problem.parties.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(ids, ["a", "b"]);
    assert_eq!(problem.parties[0].reservation, 0.3);
    assert_eq!(problem.parties[1].name, "B");
    assert_eq!(problem.issues[2].values.len(), 4);
    // No rules: three free single-issue groups with every value.
    assert_eq!(problem.groups.len(), 3);
    assert_eq!(feasible_set(&problem).len(), 24);
    let consulted = consulted_tables(&base());
    assert_eq!(consulted.len(), 1);
    assert_eq!(consulted[0].0, "c");
    assert!((consulted[0].1.tables[0][2] - 0.9).abs() < 1e-15);
}

#[test]
fn an_issue_of_four_billion_values_is_refused_before_any_table_is_built() {
    let mut neg = base();
    neg.issues[2] = numeric("z", 0.0, 4_000_000_000.0, 1.0);
    let err = compile(&neg).unwrap_err();
    let EngineError::TooLarge { what, limit, hint } = &err else { panic!("{err:?}") };
    assert_eq!(what, "issue \"z\" with 4,000,000,001 values");
    assert_eq!(*limit, 100_000);
    assert!(hint.contains("limits::MAX_VALUES_PER_ISSUE"), "{hint}");
    assert!(consulted_tables(&neg).is_empty(), "no table is built for a negotiation compile refuses");

    // Each issue within its limit, too many values together.
    let mut neg = base();
    for k in 0..11 {
        neg.issues.push(numeric(&format!("w{k}"), 1.0, 100_000.0, 1.0));
    }
    let err = compile(&neg).unwrap_err();
    let EngineError::TooLarge { what, limit, .. } = &err else { panic!("{err:?}") };
    assert_eq!((what.as_str(), *limit), ("the issues' 1,100,009 values together", 1_000_000));

    // At the per-issue limit, compilation goes ahead.
    let mut neg = base();
    neg.issues.push(numeric("w", 1.0, 100_000.0, 1.0));
    assert_eq!(compile(&neg).unwrap().issues[3].values.len(), 100_000);
}

#[test]
fn tables_are_the_core_utility_definition() {
    let neg = base();
    let problem = compile(&neg).unwrap();
    for (p, id) in ["a", "b"].iter().enumerate() {
        let tables = accord_core::utility::UtilityTables::new(&neg, neg.profile(id).unwrap());
        assert_eq!(problem.tables[p], tables.tables);
    }
    // Group utilities are the party's table entries.
    let g = &problem.groups[0];
    assert_eq!(g.utilities[0], vec![problem.tables[0][0][0], problem.tables[1][0][0]]);
}

#[test]
fn red_lines_remove_values_and_consulted_red_lines_do_not() {
    let mut neg = base();
    neg.profiles[0].red_lines = vec![is("x", &["x0"]), between("z", Some(35.0), None)];
    neg.profiles[2].red_lines = vec![is("y", &["y0"])];
    let (problem, report) = compile_with(&neg, &CompileOptions::default()).unwrap();
    assert!(problem.rules.is_empty(), "red lines are domain filters, not rules");
    assert_eq!(problem.groups[0].assignments, vec![vec![1], vec![2]]);
    assert_eq!(problem.groups[1].assignments.len(), 2, "a consulted party's red line does not bind");
    assert_eq!(problem.groups[2].assignments, vec![vec![0], vec![1], vec![2]]);
    assert_eq!(report.red_lines.len(), 2);
    assert_eq!((report.red_lines[0].party.as_str(), report.red_lines[0].issue), ("a", 0));
    assert_eq!(report.red_lines[0].removed, vec![0]);
    assert_eq!(report.red_lines[1].removed, vec![3]);
    assert!(report.infeasible.is_empty());
}

#[test]
fn constraints_link_issues_into_one_group() {
    let mut neg = base();
    neg.constraints.push(constraint("c1", vec![is("x", &["x2"])], vec![between("z", None, Some(20.0))]));
    let problem = compile(&neg).unwrap();
    assert_eq!(problem.rules.len(), 1);
    assert_eq!(problem.rules[0].source, "constraint \"c1\"");
    assert_eq!(problem.groups.len(), 2);
    assert_eq!(problem.groups[0].issues, vec![0, 2]);
    assert_eq!(problem.groups[1].issues, vec![1]);
    // x0, x1 with any z (8), x2 with z in {10, 20} (2); lexicographic, last issue fastest.
    let g = &problem.groups[0];
    assert_eq!(g.assignments.len(), 10);
    assert_eq!(g.assignments[0], vec![0, 0]);
    assert_eq!(g.assignments[4], vec![1, 0]);
    assert_eq!(g.assignments[8..], [vec![2, 0], vec![2, 1]]);
    let u = &g.utilities[9];
    assert_eq!(u[0], 0.0 + problem.tables[0][0][2] + problem.tables[0][2][1]);
}

#[test]
fn single_issue_rules_filter_without_linking() {
    let mut neg = base();
    neg.constraints.push(constraint("c1", vec![], vec![is("y", &["y1"])]));
    neg.constraints.push(constraint("c2", vec![is("x", &["x0"])], vec![is("x", &["x1"])]));
    let problem = compile(&neg).unwrap();
    assert_eq!(problem.groups.len(), 3);
    assert_eq!(problem.groups[0].assignments, vec![vec![1], vec![2]]);
    assert_eq!(problem.groups[1].assignments, vec![vec![1]]);
}

#[test]
fn unacceptable_stance_forbids_the_draft_reading() {
    let mut neg = base();
    // art-2 binds x and y; the draft reads x1, y0.
    neg.stances.push(stance("a", "art-2", Position::Unacceptable, Some("secret")));
    let problem = compile(&neg).unwrap();
    assert_eq!(problem.rules.len(), 1);
    assert_eq!(problem.rules[0].source, "stance of a on art-2");
    let feasible = feasible_set(&problem);
    assert_eq!(feasible.len(), 24 - 4);
    assert!(!feasible.iter().any(|p| p[0] == 1 && p[1] == 0));
    // A consulted party's stance does not bind.
    let mut neg = base();
    neg.stances.push(stance("c", "art-2", Position::Unacceptable, None));
    assert!(compile(&neg).unwrap().rules.is_empty());
}

#[test]
fn acceptable_if_applies_when_the_provision_reads_as_drafted() {
    let mut neg = base();
    neg.stances.push(stance(
        "b",
        "art-1",
        Position::AcceptableIf { conditions: vec![between("z", Some(30.0), None)] },
        None,
    ));
    let problem = compile(&neg).unwrap();
    let feasible = feasible_set(&problem);
    // With x at its draft x1, z must be ≥ 30; other x values are unconstrained.
    assert_eq!(feasible.len(), 24 - 4);
    assert!(feasible.iter().all(|p| p[0] != 1 || p[2] >= 2));
    assert_eq!(problem.groups[0].issues, vec![0, 2]);
}

#[test]
fn unacceptable_fixed_text_is_reported_as_infeasible() {
    let mut neg = base();
    neg.stances.push(stance("b", "art-3", Position::Unacceptable, None));
    let (problem, report) = compile_with(&neg, &CompileOptions::default()).unwrap();
    assert!(!problem.has_feasible_package());
    assert!(problem.groups.iter().any(|g| g.assignments.is_empty() && g.utilities.is_empty()));
    assert!(feasible_set(&problem).is_empty());
    assert!(report.infeasible[0].contains("stance of b on art-3"), "{:?}", report.infeasible);
    assert!(report.infeasible[0].contains("fixed text"), "{:?}", report.infeasible);
}

#[test]
fn contradictory_rules_leave_an_explained_empty_group() {
    let mut neg = base();
    neg.profiles[0].red_lines = vec![is("y", &["y1"])];
    neg.constraints.push(constraint("c1", vec![], vec![is("y", &["y1"])]));
    let (problem, report) = compile_with(&neg, &CompileOptions::default()).unwrap();
    assert_eq!(problem.groups[1].assignments.len(), 0);
    assert_eq!(report.infeasible.len(), 1);
    let why = &report.infeasible[0];
    assert!(
        why.contains("issue \"y\"") && why.contains("red line of a on y") && why.contains("constraint \"c1\""),
        "{why}"
    );
}

#[test]
fn no_signatory_with_a_profile_is_a_clear_error() {
    let mut neg = base();
    neg.profiles.retain(|p| p.party == "c");
    let err = compile(&neg).unwrap_err();
    let EngineError::Invalid(message) = err else { panic!("{err:?}") };
    assert!(message.contains("no signatory has a profile"), "{message}");
    assert!(message.contains("[profile.<id>]") && message.contains("a, b"), "{message}");
    neg.parties.retain(|p| p.role != Role::Signatory);
    let message = compile(&neg).unwrap_err().to_string();
    assert!(message.contains("no party is a signatory"), "{message}");
}

#[test]
fn unknown_references_are_errors_naming_them() {
    let mut neg = base();
    neg.constraints.push(constraint("c9", vec![is("nope", &["x"])], vec![]));
    let message = compile(&neg).unwrap_err().to_string();
    assert!(message.contains("constraint \"c9\"") && message.contains("\"nope\"") && message.contains("x, y, z"));
    let mut neg = base();
    neg.stances.push(stance("a", "art-99", Position::Unacceptable, None));
    let message = compile(&neg).unwrap_err().to_string();
    assert!(message.contains("art-99") && message.contains("art-1, art-2, art-3"), "{message}");
    let mut neg = base();
    neg.issues.clear();
    assert!(compile(&neg).unwrap_err().to_string().contains("no issues"));
}

#[test]
fn oversized_groups_are_too_large_with_a_hint() {
    let mut neg = base();
    neg.constraints.push(constraint("link", vec![is("x", &["x0"])], vec![is("y", &["y0"])]));
    let options = CompileOptions { max_group_assignments: 3, ..CompileOptions::default() };
    let err = compile_with(&neg, &options).unwrap_err();
    let EngineError::TooLarge { what, limit, hint } = err else { panic!("{err:?}") };
    assert_eq!(limit, 3);
    assert!(what.contains("x, y"), "{what}");
    assert!(hint.contains("constraint \"link\""), "{hint}");
}

#[test]
fn restrict_keeps_only_matching_assignments() {
    let mut neg = base();
    neg.constraints.push(constraint("c1", vec![is("x", &["x2"])], vec![between("z", None, Some(20.0))]));
    let problem = compile(&neg).unwrap();
    let restricted = problem.restrict(&[(0, 2), (1, 1)]);
    assert_eq!(restricted.groups[0].assignments, vec![vec![2, 0], vec![2, 1]]);
    assert_eq!(restricted.groups[0].utilities.len(), 2);
    assert_eq!(restricted.groups[1].assignments, vec![vec![1]]);
    let impossible = problem.restrict(&[(0, 2), (2, 3)]);
    assert!(!impossible.has_feasible_package());
    assert_eq!(restricted.issues, problem.issues);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn groups_enumerate_exactly_the_feasible_packages(neg in small_negotiation()) {
        let problem = compile(&neg).unwrap();
        let from_groups = group_packages(&problem);
        let unique: BTreeSet<Vec<usize>> = from_groups.iter().cloned().collect();
        prop_assert_eq!(unique.len(), from_groups.len(), "a package is reachable by two choices");
        let reference: BTreeSet<Vec<usize>> =
            all_packages(&neg).into_iter().filter(|p| feasible(&neg, p)).collect();
        prop_assert_eq!(&unique, &reference);

        // Structure: groups partition the issues, ordered by first issue, assignments lexicographic.
        let mut seen: Vec<usize> = problem.groups.iter().flat_map(|g| g.issues.clone()).collect();
        seen.sort_unstable();
        prop_assert_eq!(seen, (0..neg.issues.len()).collect::<Vec<_>>());
        prop_assert!(problem.groups.windows(2).all(|w| w[0].issues[0] < w[1].issues[0]));
        for g in &problem.groups {
            prop_assert!(g.issues.windows(2).all(|w| w[0] < w[1]));
            prop_assert!(g.assignments.windows(2).all(|w| w[0] < w[1]));
            prop_assert_eq!(g.assignments.len(), g.utilities.len());
        }

        // Utilities: the group contributions add up to the model's utility, and
        // the problem's own utility is the model's bit for bit.
        let mut choice = vec![0; problem.groups.len()];
        for package in &from_groups {
            let expected = utilities(&neg, package);
            prop_assert_eq!(problem.utilities(package), expected.clone());
            for (g, group) in problem.groups.iter().enumerate() {
                choice[g] = group.assignments.iter().position(|a| group.issues.iter().zip(a).all(|(&i, &v)| package[i] == v)).unwrap();
            }
            for (p, u) in expected.iter().enumerate() {
                let summed: f64 = problem.groups.iter().zip(&choice).map(|(g, &k)| g.utilities[k][p]).sum();
                prop_assert!((summed - u).abs() < 1e-12, "{} vs {}", summed, u);
            }
            prop_assert!(problem.is_feasible(package));
        }
        for package in all_packages(&neg) {
            prop_assert_eq!(problem.is_feasible(&package), reference.contains(&package));
            prop_assert_eq!(problem.is_rational(&package), rational(&neg, &package));
        }
    }
}
