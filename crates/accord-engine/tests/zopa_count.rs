//! ZOPA: existence, the exact count against brute force, certified bounds
//! when the budget runs out, and rational witnesses.

#![allow(clippy::unwrap_used)] // test code: a panic is a failed test

mod compile_support;

use accord_core::Role;
use accord_engine::compile::compile;
use accord_engine::zopa::{Count, Existence, ZopaOptions, find_rational, zopa, zopa_with};
use compile_support::*;
use proptest::prelude::*;

fn brute_count(neg: &accord_core::Negotiation) -> u128 {
    let reference = Reference::new(neg);
    all_packages(neg).iter().filter(|p| reference.rational(p)).count() as u128
}

/// `n` issues of `k` options; two signatories with opposed ratings.
fn opposed(n: usize, k: usize, rv: f64) -> accord_core::Negotiation {
    let options: Vec<String> = (0..k).map(|v| format!("v{v}")).collect();
    let refs: Vec<&str> = options.iter().map(String::as_str).collect();
    let issues = (0..n).map(|i| discrete(&format!("i{i}"), &refs)).collect();
    let mut neg = negotiation(vec![party("a", Role::Signatory), party("b", Role::Signatory)], issues, Vec::new());
    let up: Vec<f64> = (0..k).map(|v| v as f64 / (k - 1) as f64).collect();
    let down: Vec<f64> = up.iter().rev().copied().collect();
    let weights: Vec<f64> = (0..n).map(|i| 1.0 + (i % 3) as f64).collect();
    let pa = profile(&neg, "a", &weights, &vec![up.as_slice(); n], rv);
    let pb = profile(&neg, "b", &weights, &vec![down.as_slice(); n], rv);
    neg.profiles = vec![pa, pb];
    neg
}

#[test]
fn everything_is_rational_at_zero_reservation() {
    let neg = opposed(6, 3, 0.0);
    let z = zopa(&compile(&neg).unwrap());
    assert!(z.exists && z.is_decided());
    assert_eq!(z.count, Count::Exact(729));
}

#[test]
fn nothing_is_rational_when_both_want_more_than_half() {
    let neg = opposed(4, 3, 0.51);
    let z = zopa(&compile(&neg).unwrap());
    assert!(!z.exists && z.is_decided());
    assert_eq!(z.count, Count::Exact(0));
    assert_eq!(z.witness, None);
    assert_eq!(find_rational(&compile(&neg).unwrap(), &ZopaOptions::default()), Existence::None);
}

#[test]
fn the_boundary_is_inclusive() {
    // Exactly half each: the packages where both get 0.5 count, as `u >= rv`.
    let neg = opposed(2, 3, 0.5);
    let problem = compile(&neg).unwrap();
    let z = zopa(&problem);
    assert_eq!(z.count, Count::Exact(brute_count(&neg)));
    assert!(z.count.at_least() > 0);
    let witness = z.witness.unwrap();
    assert!(problem.is_rational(&witness));
}

#[test]
fn an_infeasible_problem_has_no_zopa() {
    let mut neg = opposed(3, 2, 0.0);
    neg.constraints.push(constraint("never", vec![], vec![is("i1", &[])]));
    let z = zopa(&compile(&neg).unwrap());
    assert_eq!(z, accord_engine::zopa::Zopa { exists: false, count: Count::Exact(0), witness: None });
}

#[test]
fn a_larger_space_is_counted_exactly() {
    // 4^8 = 65,536 packages, with a linkage fusing two issues.
    let mut neg = opposed(8, 4, 0.42);
    neg.constraints.push(constraint("link", vec![is("i0", &["v3"])], vec![is("i5", &["v0", "v1"])]));
    let expected = brute_count(&neg);
    assert!(expected > 0 && expected < 65_536);
    let z = zopa(&compile(&neg).unwrap());
    assert_eq!(z.count, Count::Exact(expected));
}

#[test]
fn an_exhausted_budget_gives_certified_bounds() {
    let neg = opposed(8, 4, 0.45);
    let expected = brute_count(&neg);
    let problem = compile(&neg).unwrap();
    let z = zopa_with(&problem, &ZopaOptions { max_nodes: 50, max_memo: 0 });
    let Count::Bounds { at_least, at_most } = z.count else { panic!("expected bounds, got {:?}", z.count) };
    assert!(at_least <= expected && expected <= at_most, "{at_least} <= {expected} <= {at_most}");
    assert!(at_most < 65_536, "bounds must use the pruning, not just the space size");
    assert!(z.exists, "a witness is found even on a small budget");
    assert!(problem.is_rational(z.witness.as_ref().unwrap()));
}

#[test]
fn the_witness_balances_the_parties() {
    // The most balanced packages give each party about half; the witness must
    // not be an extreme rational package.
    let neg = opposed(6, 3, 0.3);
    let problem = compile(&neg).unwrap();
    let witness = zopa(&problem).witness.unwrap();
    let u = problem.utilities(&witness);
    assert!(u.iter().all(|&x| x >= 0.4), "{u:?}");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn count_is_exact_against_brute_force(neg in small_negotiation()) {
        let problem = compile(&neg).unwrap();
        let expected = brute_count(&neg);
        let z = zopa(&problem);
        prop_assert_eq!(z.count, Count::Exact(expected));
        prop_assert_eq!(z.exists, expected > 0);
        prop_assert!(z.is_decided());
        let unmemoised = zopa_with(&problem, &ZopaOptions { max_memo: 0, ..ZopaOptions::default() });
        prop_assert_eq!(unmemoised.count, Count::Exact(expected));
        if let Some(w) = &z.witness {
            prop_assert!(rational(&neg, w));
        }
        match find_rational(&problem, &ZopaOptions::default()) {
            Existence::Found(p) => prop_assert!(expected > 0 && rational(&neg, &p)),
            Existence::None => prop_assert_eq!(expected, 0),
            Existence::Undecided => prop_assert!(false, "undecided on a tiny problem"),
        }
    }

    #[test]
    fn bounds_are_certified_on_any_budget(neg in small_negotiation(), budget in 0u64..6) {
        let problem = compile(&neg).unwrap();
        let expected = brute_count(&neg);
        let z = zopa_with(&problem, &ZopaOptions { max_nodes: budget, max_memo: 4 });
        prop_assert!(z.count.at_least() <= expected && expected <= z.count.at_most(), "{:?} vs {}", z.count, expected);
        if z.exists {
            prop_assert!(rational(&neg, z.witness.as_ref().unwrap()));
        } else if z.is_decided() {
            prop_assert_eq!(expected, 0);
        }
    }
}
