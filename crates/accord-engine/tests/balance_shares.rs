//! Balance: per-provision shares of each party's utility.

#![allow(clippy::unwrap_used)] // test code: a panic is a failed test

mod compile_support;

use accord_core::utility::UtilityTables;
use accord_core::{Package, Role};
use accord_engine::balance::{UNBOUND_ISSUES, balance};
use compile_support::*;
use proptest::prelude::*;

#[test]
fn shares_follow_the_provisions_that_bind_each_issue() {
    let mut neg = negotiation(
        vec![party("m", Role::Mediator), party("a", Role::Signatory), party("c", Role::Consulted)],
        vec![discrete("x", &["x0", "x1"]), discrete("y", &["y0", "y1", "y2"]), discrete("w", &["w0", "w1"])],
        // art-2 binds y and x; x is already attributed to art-1. art-3 is fixed text.
        vec![provision("art-1", &["x"]), provision("art-2", &["y", "x"]), provision("art-3", &[])],
    );
    let pa = profile(&neg, "a", &[1.0, 2.0, 1.0], &[&[0.0, 1.0], &[0.5, 1.0, 0.0], &[1.0, 0.0]], 0.2);
    let pc = profile(&neg, "c", &[1.0, 1.0, 0.0], &[&[1.0, 0.0], &[0.0, 0.0, 1.0], &[0.0, 0.0]], 0.0);
    neg.profiles = vec![pc, pa];
    let package = Package(vec![1, 0, 1]);
    let result = balance(&neg, &package);

    // Parties in party order, whatever their role, if they have a profile.
    let ids: Vec<&str> = result.iter().map(|b| b.party.as_str()).collect();
    assert_eq!(ids, ["a", "c"]);

    let a = &result[0];
    assert_eq!(a.utility, 0.25 + 0.25 + 0.0);
    let rows: Vec<(&str, Vec<&str>)> =
        a.per_provision.iter().map(|s| (s.provision.as_str(), s.issues.iter().map(String::as_str).collect())).collect();
    assert_eq!(rows, [("art-1", vec!["x"]), ("art-2", vec!["y"]), (UNBOUND_ISSUES, vec!["w"])]);
    let art1 = &a.per_provision[0];
    assert_eq!((art1.contribution, art1.best, art1.worst), (0.25, 0.25, 0.0));
    let art2 = &a.per_provision[1];
    assert_eq!((art2.contribution, art2.best, art2.worst), (0.25, 0.5, 0.0));
    let unbound = &a.per_provision[2];
    assert_eq!((unbound.contribution, unbound.best, unbound.worst), (0.0, 0.25, 0.0));

    let c = &result[1];
    assert_eq!(c.utility, 0.0);
    assert_eq!(c.per_provision[0].best, 0.5);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn shares_add_up_to_the_utility(neg in small_negotiation(), seed in any::<usize>()) {
        let packages = all_packages(&neg);
        let package = Package(packages[seed % packages.len()].clone());
        let result = balance(&neg, &package);
        let with_profile: Vec<&str> =
            neg.parties.iter().filter(|p| neg.profile(&p.id).is_some()).map(|p| p.id.as_str()).collect();
        prop_assert_eq!(result.iter().map(|b| b.party.as_str()).collect::<Vec<_>>(), with_profile);
        for b in &result {
            let tables = UtilityTables::new(&neg, neg.profile(&b.party).unwrap());
            prop_assert_eq!(b.utility, tables.utility(&package));
            let summed: f64 = b.per_provision.iter().map(|s| s.contribution).sum();
            prop_assert!((summed - b.utility).abs() < 1e-12);
            // Every issue is attributed exactly once.
            let mut issues: Vec<&str> = b.per_provision.iter().flat_map(|s| s.issues.iter().map(String::as_str)).collect();
            issues.sort_unstable();
            let mut all: Vec<&str> = neg.issues.iter().map(|i| i.id.as_str()).collect();
            all.sort_unstable();
            prop_assert_eq!(issues, all);
            for s in &b.per_provision {
                prop_assert!(s.worst - 1e-12 <= s.contribution && s.contribution <= s.best + 1e-12);
            }
            let best: f64 = b.per_provision.iter().map(|s| s.best).sum();
            let max_utility = packages.iter().map(|p| tables.utility(&Package(p.clone()))).fold(f64::MIN, f64::max);
            prop_assert!((best - max_utility).abs() < 1e-12, "best shares add up to the best package");
        }
    }
}
