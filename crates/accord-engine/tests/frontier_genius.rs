//! The frontier against NegMAS's `pareto_rounded_1e-9` on the GENIUS domains
//! (both with the reservation values and with them ignored).

#![allow(clippy::unwrap_used)]

mod frontier_support;

use accord_engine::frontier::{FrontierOptions, frontier_above};
use frontier_support::genius::{load_all, oracle_dir};

#[test]
fn utilities_match_the_oracle_bit_for_bit() {
    let Some(dir) = oracle_dir() else { return };
    for oracle in load_all(&dir) {
        for sample in oracle.json["sample_outcomes"].as_array().unwrap() {
            let package = oracle.package(&sample["outcome"]);
            let want: Vec<f64> =
                sample["utilities_genius"].as_array().unwrap().iter().map(|u| u.as_f64().unwrap()).collect();
            assert_eq!(oracle.problem.utilities(&package), want, "{} {:?}", oracle.name, package);
        }
    }
}

#[test]
fn frontier_matches_negmas_rounded_frontier() {
    let Some(dir) = oracle_dir() else { return };
    let oracles = load_all(&dir);
    assert!(oracles.len() >= 20, "expected the GENIUS oracle files, found {}", oracles.len());
    for oracle in &oracles {
        for mode in ["genius", "genius_rv_ignored"] {
            // The largest domains only have the GENIUS mode.
            if oracle.json.get(mode).is_none() {
                continue;
            }
            let floors = oracle.floors(mode);
            let reference = &oracle.json[mode]["pareto_rounded_1e-9"];
            let options = FrontierOptions { packages_cap: 50, ..FrontierOptions::default() };
            let started = std::time::Instant::now();
            let got = frontier_above(&oracle.problem, &floors, &options).unwrap();
            let elapsed = started.elapsed();
            let want: Vec<Vec<f64>> = reference["utilities"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_array().unwrap().iter().map(|u| u.as_f64().unwrap()).collect())
                .collect();
            let counts: Vec<u128> =
                reference["counts"].as_array().unwrap().iter().map(|c| c.as_u64().unwrap() as u128).collect();
            let outcomes = reference["outcomes"].as_array().unwrap();
            let name = &oracle.name;
            println!("{name} {mode}: {} points in {elapsed:?}", got.points.len());
            assert_eq!(got.points.len(), want.len(), "{name} {mode}: number of points");
            let close = |a: &[f64], b: &[f64]| a.iter().zip(b).all(|(x, y)| (x - y).abs() <= 1e-9);
            for (i, v) in want.iter().enumerate() {
                let point = got
                    .points
                    .iter()
                    .find(|p| close(&p.utilities, v))
                    .unwrap_or_else(|| panic!("{name} {mode}: oracle point {v:?} missing"));
                assert_eq!(point.n_packages, counts[i], "{name} {mode}: count at {v:?}");
                if counts[i] <= 50 {
                    let mut mine = point.packages.clone();
                    let mut theirs: Vec<Vec<usize>> =
                        outcomes[i].as_array().unwrap().iter().map(|o| oracle.package(o)).collect();
                    mine.sort();
                    theirs.sort();
                    assert_eq!(mine, theirs, "{name} {mode}: packages at {v:?}");
                }
            }
            for point in &got.points {
                assert!(
                    want.iter().any(|v| close(v, &point.utilities)),
                    "{name} {mode}: extra point {:?}",
                    point.utilities
                );
            }
        }
    }
}
