//! ZOPA on spaces far too large for brute force, checked against an
//! independent count: with 16 equally weighted issues and ratings in quarters,
//! every utility is an exact multiple of 1/64, so a dynamic programme over
//! integer score pairs counts the rational packages exactly.

#![allow(clippy::unwrap_used)] // test code: a panic is a failed test

mod compile_support;

use std::time::Instant;

use accord_core::Role;
use accord_engine::compile::compile;
use accord_engine::zopa::{Count, zopa};
use compile_support::*;

const ISSUES: usize = 16;
const VALUES: usize = 5;

/// Quarter ratings per (party, issue, value), from a fixed pseudo-random sequence.
fn quarters(seed: u64) -> Vec<Vec<Vec<u32>>> {
    let mut state = seed;
    let mut next = move || {
        state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        ((state >> 33) % 5) as u32
    };
    (0..2).map(|_| (0..ISSUES).map(|_| (0..VALUES).map(|_| next()).collect()).collect()).collect()
}

fn dp_count(scores: &[Vec<Vec<u32>>], threshold: [u32; 2]) -> u128 {
    // counts[a][b]: packages of the issues so far with integer scores a, b (in quarters).
    let max = 4 * ISSUES;
    let mut counts = vec![vec![0u128; max + 1]; max + 1];
    counts[0][0] = 1;
    for (party_a, party_b) in scores[0].iter().zip(&scores[1]) {
        let mut next = vec![vec![0u128; max + 1]; max + 1];
        for (a, row) in counts.iter().enumerate() {
            for (b, &count) in row.iter().enumerate().filter(|(_, c)| **c > 0) {
                for (&da, &db) in party_a.iter().zip(party_b) {
                    next[a + da as usize][b + db as usize] += count;
                }
            }
        }
        counts = next;
    }
    let (ta, tb) = (threshold[0] as usize, threshold[1] as usize);
    counts.iter().skip(ta).flat_map(|row| row.iter().skip(tb)).sum()
}

#[test]
fn a_hundred_billion_packages_are_counted_exactly() {
    let options: Vec<String> = (0..VALUES).map(|v| format!("v{v}")).collect();
    let refs: Vec<&str> = options.iter().map(String::as_str).collect();
    let issues = (0..ISSUES).map(|i| discrete(&format!("i{i}"), &refs)).collect();
    let mut neg = negotiation(vec![party("a", Role::Signatory), party("b", Role::Signatory)], issues, Vec::new());
    let scores = quarters(7);
    // Thresholds in quarters, as reservation values: 0.5 and 0.5625 of the 0–1 scale.
    let thresholds = [32u32, 36];
    for (p, id) in ["a", "b"].iter().enumerate() {
        let ratings: Vec<Vec<f64>> =
            scores[p].iter().map(|issue| issue.iter().map(|&q| f64::from(q) / 4.0).collect()).collect();
        let refs: Vec<&[f64]> = ratings.iter().map(Vec::as_slice).collect();
        let rv = f64::from(thresholds[p]) / 64.0;
        neg.profiles.push(profile(&neg, id, &[1.0; ISSUES], &refs, rv));
    }
    let problem = compile(&neg).unwrap();
    let expected = dp_count(&scores, thresholds);
    assert!(expected > 0 && expected < (VALUES as u128).pow(ISSUES as u32));
    let started = Instant::now();
    let z = zopa(&problem);
    println!("zopa over 5^16 packages: {:?} in {:?}", z.count, started.elapsed());
    assert_eq!(z.count, Count::Exact(expected));
    assert!(problem.is_rational(z.witness.as_ref().unwrap()));
}
