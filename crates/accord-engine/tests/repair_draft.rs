//! Repair of a deadlocked draft (minimal number of changed issues, Nash
//! tie-break) and the per-provision blocking report.

#![allow(clippy::unwrap_used)] // test code: a panic is a failed test

mod compile_support;

use accord_core::{Position, Role};
use accord_engine::EngineError;
use accord_engine::compile::compile;
use accord_engine::repair::{
    BlockKind, RepairOptions, RepairOutcome, UNBOUND_ISSUES, below_reservation, blocking, repair, repair_with,
};
use compile_support::*;
use proptest::prelude::*;

/// Signatories a, b; consulted c. Issues x (3), y (2), w (2, bound by no provision).
/// Draft: x0, y0, w0. art-1 binds x, art-2 binds x and y, art-3 is fixed text.
fn base() -> accord_core::Negotiation {
    let mut neg = negotiation(
        vec![
            party("m", Role::Mediator),
            party("a", Role::Signatory),
            party("b", Role::Signatory),
            party("c", Role::Consulted),
        ],
        vec![discrete("x", &["x0", "x1", "x2"]), discrete("y", &["y0", "y1"]), discrete("w", &["w0", "w1"])],
        vec![provision("art-1", &["x"]), provision("art-2", &["x", "y"]), provision("art-3", &[])],
    );
    let pa = profile(&neg, "a", &[2.0, 1.0, 1.0], &[&[1.0, 0.5, 0.0], &[0.0, 1.0], &[0.5, 0.5]], 0.0);
    let pb = profile(&neg, "b", &[2.0, 1.0, 1.0], &[&[0.0, 0.5, 1.0], &[1.0, 0.0], &[0.5, 0.5]], 0.0);
    let pc = profile(&neg, "c", &[1.0, 1.0, 1.0], &[&[1.0, 1.0, 1.0], &[1.0, 1.0], &[1.0, 1.0]], 0.5);
    neg.profiles = vec![pa, pb, pc];
    neg
}

fn repaired(outcome: RepairOutcome) -> accord_engine::repair::Repair {
    match outcome {
        RepairOutcome::Repaired(r) => r,
        RepairOutcome::Unrepairable { reason } => panic!("unrepairable: {reason}"),
    }
}

#[test]
fn a_working_draft_needs_no_change() {
    let neg = base();
    let problem = compile(&neg).unwrap();
    let draft = neg.draft_package().0;
    let r = repaired(repair(&problem, &draft).unwrap());
    assert!(r.changes.is_empty());
    assert_eq!(r.package, draft);
    assert_eq!(r.utilities, problem.utilities(&draft));
    assert!(blocking(&neg, &problem, &draft).is_empty());
    assert!(below_reservation(&problem, &draft).is_empty());
}

#[test]
fn one_change_fixes_a_vetoed_reading_and_ties_go_to_nash() {
    let mut neg = base();
    // b vetoes art-1 as drafted (x0). Changing x to x1 or x2 both work;
    // x1 splits the issue evenly, so it has the higher Nash product.
    neg.stances.push(stance("b", "art-1", Position::Unacceptable, Some("we lose everything")));
    let problem = compile(&neg).unwrap();
    let draft = neg.draft_package().0;
    let r = repaired(repair(&problem, &draft).unwrap());
    assert_eq!(r.changes.len(), 1);
    assert_eq!((r.changes[0].issue_id.as_str(), r.changes[0].from, r.changes[0].to), ("x", 0, 1));
    assert_eq!(r.package, vec![1, 0, 0]);
    let expected: f64 = problem.utilities(&r.package).iter().product();
    assert_eq!(r.nash_product, expected);
    assert_eq!(r.active_rules, Vec::<String>::new(), "the veto's reading no longer applies");
}

#[test]
fn reservation_values_force_changes() {
    let mut neg = base();
    // Draft x0 y0: a gets 0.5+0+0.125, b gets 0+0.25+0.125. Raise b's reservation to 0.5.
    neg.profiles[1].reservation = 0.5;
    let problem = compile(&neg).unwrap();
    let draft = neg.draft_package().0;
    assert_eq!(below_reservation(&problem, &draft), vec!["b".to_string()]);
    let r = repaired(repair(&problem, &draft).unwrap());
    assert_eq!(r.changes.len(), 1);
    assert!(problem.is_rational(&r.package));
    assert!(r.utilities[1] >= 0.5);
}

#[test]
fn unacceptable_fixed_text_is_unrepairable() {
    let mut neg = base();
    neg.stances.push(stance("a", "art-3", Position::Unacceptable, None));
    let problem = compile(&neg).unwrap();
    let RepairOutcome::Unrepairable { reason } = repair(&problem, &neg.draft_package().0).unwrap() else {
        panic!("expected unrepairable")
    };
    assert!(reason.contains("fixed text") && reason.contains("stance of a on art-3"), "{reason}");
    let blocks = blocking(&neg, &problem, &neg.draft_package().0);
    assert_eq!(blocks.len(), 1);
    assert_eq!(blocks[0].provision, "art-3");
}

#[test]
fn no_rational_package_is_unrepairable() {
    let mut neg = base();
    neg.profiles[0].reservation = 0.8;
    neg.profiles[1].reservation = 0.8;
    let problem = compile(&neg).unwrap();
    let RepairOutcome::Unrepairable { reason } = repair(&problem, &neg.draft_package().0).unwrap() else {
        panic!("expected unrepairable")
    };
    assert!(reason.contains("reservation value"), "{reason}");
}

#[test]
fn malformed_drafts_are_errors() {
    let problem = compile(&base()).unwrap();
    assert!(matches!(repair(&problem, &[0, 0]), Err(EngineError::Invalid(m)) if m.contains("3 issues")));
    assert!(matches!(repair(&problem, &[0, 5, 0]), Err(EngineError::Invalid(m)) if m.contains("\"y\"")));
}

#[test]
fn a_tiny_subset_budget_is_too_large() {
    let mut neg = base();
    neg.stances.push(stance("b", "art-1", Position::Unacceptable, None));
    let problem = compile(&neg).unwrap();
    let options = RepairOptions { max_subsets: 0, ..RepairOptions::default() };
    assert!(matches!(repair_with(&problem, &neg.draft_package().0, &options), Err(EngineError::TooLarge { .. })));
}

#[test]
fn blocking_names_each_party_and_keeps_reasons_apart() {
    let mut neg = base();
    neg.stances.push(stance("a", "art-2", Position::Unacceptable, Some("a's secret")));
    neg.stances.push(stance(
        "b",
        "art-2",
        Position::AcceptableIf { conditions: vec![is("w", &["w1"]), is("y", &["y0"])] },
        Some("b's secret"),
    ));
    neg.stances.push(stance("b", "art-1", Position::AcceptableIf { conditions: vec![is("w", &["w0"])] }, None));
    neg.stances.push(stance("c", "art-1", Position::Unacceptable, Some("consulted only")));
    neg.profiles[1].red_lines = vec![is("x", &["x0"])];
    neg.profiles[0].red_lines = vec![is("w", &["w0"])];
    neg.profiles[2].red_lines = vec![is("y", &["y0"])];
    let problem = compile(&neg).unwrap();
    let draft = neg.draft_package().0;
    let blocks = blocking(&neg, &problem, &draft);
    let ids: Vec<&str> = blocks.iter().map(|b| b.provision.as_str()).collect();
    assert_eq!(ids, ["art-1", "art-2", UNBOUND_ISSUES]);

    // art-1: b's condition holds (w0), so only b's red line on x blocks; c is consulted.
    assert_eq!(blocks[0].blocked_by.len(), 1);
    assert_eq!(blocks[0].blocked_by[0].party, "b");
    assert_eq!(blocks[0].blocked_by[0].why, BlockKind::RedLine { issue: "x".into() });

    // art-2: a's veto, b's failing condition on w, b's red line on x (art-2 binds x too).
    let art2 = &blocks[1].blocked_by;
    assert_eq!(art2.len(), 3);
    assert_eq!((art2[0].party.as_str(), &art2[0].why), ("a", &BlockKind::Unacceptable));
    assert_eq!(art2[0].reason.as_deref(), Some("a's secret"));
    assert_eq!(art2[1].why, BlockKind::ConditionFails { issues: vec!["w".into()] });
    assert_eq!(art2[1].reason.as_deref(), Some("b's secret"));
    assert_eq!(art2[2].why, BlockKind::RedLine { issue: "x".into() });
    assert_eq!(art2[2].reason, None);

    // w is bound by no provision: a's red line on it is reported apart.
    assert_eq!(blocks[2].blocked_by[0].party, "a");
    assert_eq!(blocks[2].blocked_by[0].why, BlockKind::RedLine { issue: "w".into() });

    // Repairing: x must leave x0 (red line), w must leave w0 (red line); art-2's
    // veto then no longer applies. Two changes.
    let r = repaired(repair(&problem, &draft).unwrap());
    assert_eq!(r.changes.len(), 2);
    assert!(problem.is_rational(&r.package));
}

fn hamming(a: &[usize], b: &[usize]) -> usize {
    a.iter().zip(b).filter(|(x, y)| x != y).count()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    /// Needs `bargain::nash`.
    #[test]
    fn repair_is_minimal_and_nash_best(neg in small_negotiation(), use_random_draft in any::<bool>(), seed in any::<usize>()) {
        let problem = compile(&neg).unwrap();
        let packages = all_packages(&neg);
        let draft = if use_random_draft { packages[seed % packages.len()].clone() } else { neg.draft_package().0 };
        let rational_packages: Vec<&Vec<usize>> = packages.iter().filter(|p| rational(&neg, p)).collect();
        let outcome = repair(&problem, &draft).unwrap();
        match outcome {
            RepairOutcome::Unrepairable { .. } => prop_assert!(rational_packages.is_empty()),
            RepairOutcome::Repaired(r) => {
                prop_assert!(rational(&neg, &r.package));
                let k = rational_packages.iter().map(|p| hamming(p, &draft)).min().unwrap();
                prop_assert_eq!(r.changes.len(), k);
                prop_assert_eq!(hamming(&r.package, &draft), k);
                for c in &r.changes {
                    prop_assert_eq!((draft[c.issue], r.package[c.issue]), (c.from, c.to));
                }
                let best = rational_packages
                    .iter()
                    .filter(|p| hamming(p, &draft) == k)
                    .map(|p| nash_product(&neg, p))
                    .fold(f64::NEG_INFINITY, f64::max);
                prop_assert!((r.nash_product - best).abs() <= 1e-9, "{} vs best {}", r.nash_product, best);
                prop_assert_eq!(r.nash_product, nash_product(&neg, &r.package));
                prop_assert_eq!(r.utilities, utilities(&neg, &r.package));
            }
        }
    }

    #[test]
    fn below_reservation_matches_the_model(neg in small_negotiation()) {
        let problem = compile(&neg).unwrap();
        let draft = neg.draft_package().0;
        let expected: Vec<String> = binding_parties(&neg)
            .iter()
            .zip(utilities(&neg, &draft))
            .filter(|((_, p), u)| *u < p.reservation)
            .map(|((id, _), _)| id.clone())
            .collect();
        prop_assert_eq!(below_reservation(&problem, &draft), expected);
        // A draft nobody blocks, that breaks no constraint and leaves nobody below, is rational.
        let blocked = !blocking(&neg, &problem, &draft).is_empty();
        let breaks_constraint = problem.violated_rules(&draft).iter().any(|s| s.starts_with("constraint"));
        if !blocked && !breaks_constraint && below_reservation(&problem, &draft).is_empty() {
            prop_assert!(rational(&neg, &draft));
        }
        if rational(&neg, &draft) {
            prop_assert!(!blocked);
        }
    }
}
