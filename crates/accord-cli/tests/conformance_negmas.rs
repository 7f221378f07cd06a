//! Conformance against NegMAS 0.16.0 on the shared GENIUS domains.
//!
//! For every domain in `../shared/domains` with an oracle file in
//! `../shared/oracle` (or under `ACCORD_SHARED_DIR`):
//!
//! * import: the sample outcomes' utilities, summed from the imported
//!   profiles' utility tables in issue order, equal `utilities_genius` bit
//!   for bit (the oracle is read with serde_json's `float_roundtrip`);
//! * frontier: the engine's Pareto frontier of the individually rational set
//!   matches `genius.pareto_rounded_1e-9` point for point within 1e-9 in both
//!   directions, with the same number of packages behind each point and, when
//!   the oracle lists them all (at most 50), the same packages;
//! * bargaining: the Nash product Π(u_i − rv_i), the egalitarian min(u_i − rv_i)
//!   and the welfare Σ u_i the engine reaches equal the best value of the same
//!   objective over the oracle's frontier (recomputed here with Accord's
//!   disagreement point d_i = rv_i; NegMAS's own solutions use another), within 1e-9.
//!
//! No domain is enumerated here: the large ones (10^7 outcomes) go through the
//! engine. Run in release mode (`scripts/conformance`); timings per domain are
//! printed with `--nocapture`.
#![allow(clippy::unwrap_used)] // test code: a panic is a failed test

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Instant;

use accord_core::utility::UtilityTables;
use accord_core::{IssueKind, Negotiation, Package};
use accord_engine::bargain;
use accord_engine::compile::compile;
use accord_engine::frontier::{FrontierOptions, pareto_frontier};
use accord_formats::genius;
use serde_json::Value as Json;

const SAMPLE_TOLERANCE: f64 = 1e-12;
const FRONTIER_TOLERANCE: f64 = 1e-9;
const OBJECTIVE_TOLERANCE: f64 = 1e-9;

fn shared_dir() -> PathBuf {
    match std::env::var_os("ACCORD_SHARED_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared"),
    }
}

/// One shared domain with its oracle, imported.
struct Case {
    name: String,
    negotiation: Negotiation,
    oracle: Json,
    /// `tables[k]`: the utility tables of the oracle's k-th profile.
    tables: Vec<UtilityTables>,
    /// `reservations[k]`: the reservation value of the oracle's k-th profile.
    reservations: Vec<f64>,
}

/// Every domain with an oracle, or `None` with a visible message when `../shared` is absent.
fn cases() -> Option<Vec<Case>> {
    let shared = shared_dir();
    let (domains, oracles) = (shared.join("domains"), shared.join("oracle"));
    let Ok(entries) = std::fs::read_dir(&domains) else {
        println!("skipped: ../shared not found ({} is absent)", domains.display());
        return None;
    };
    let mut dirs: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.is_dir()).collect();
    dirs.sort();
    let mut out = Vec::new();
    for dir in dirs {
        let name = dir.file_name().unwrap().to_string_lossy().to_string();
        let oracle_path = oracles.join(format!("{name}.json"));
        let Ok(text) = std::fs::read_to_string(&oracle_path) else {
            println!("skipped {name}: no oracle file {}", oracle_path.display());
            continue;
        };
        let oracle: Json = serde_json::from_str(&text).unwrap();
        let negotiation = genius::import_dir(&dir).unwrap_or_else(|e| panic!("{name}: {e}"));
        let mut tables = Vec::new();
        let mut reservations = Vec::new();
        for profile in oracle["profiles"].as_array().unwrap() {
            let file = profile["file"].as_str().unwrap();
            let stem = file.strip_suffix(".xml").unwrap_or(file);
            let party = negotiation.parties.iter().find(|p| p.name == stem).unwrap_or_else(|| panic!("{name}: {file}"));
            let accord_profile = negotiation.profile(&party.id).unwrap();
            tables.push(UtilityTables::new(&negotiation, accord_profile));
            reservations.push(accord_profile.reservation);
        }
        out.push(Case { name, negotiation, oracle, tables, reservations });
    }
    Some(out)
}

/// An oracle outcome (one JSON value per issue) as value indices.
fn package_of(n: &Negotiation, outcome: &Json) -> Vec<usize> {
    let values = outcome.as_array().unwrap();
    assert_eq!(values.len(), n.issues.len());
    n.issues
        .iter()
        .zip(values)
        .map(|(issue, value)| match &issue.kind {
            IssueKind::Discrete { options } => {
                let text = value.as_str().map_or_else(|| value.to_string(), str::to_string);
                options.iter().position(|o| o.label == text).unwrap_or_else(|| panic!("{}: no value {text}", issue.id))
            }
            IssueKind::Numeric(range) => range.index_of(value.as_f64().unwrap()).unwrap(),
        })
        .collect()
}

fn utilities(case: &Case, package: &[usize]) -> Vec<f64> {
    let package = Package(package.to_vec());
    case.tables.iter().map(|t| t.utility(&package)).collect()
}

fn floats(v: &Json) -> Vec<f64> {
    v.as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).collect()
}

fn max_diff(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0, f64::max)
}

#[test]
fn sample_utilities_match_negmas() {
    let Some(cases) = cases() else { return };
    let mut failures = Vec::new();
    for case in &cases {
        let started = Instant::now();
        let n = &case.negotiation;
        let oracle_issues = case.oracle["issues"].as_array().unwrap();
        assert_eq!(oracle_issues.len(), n.issues.len(), "{}", case.name);
        for (issue, oracle_issue) in n.issues.iter().zip(oracle_issues) {
            assert_eq!(issue.title, oracle_issue["name"].as_str().unwrap(), "{}", case.name);
            assert_eq!(issue.value_count(), oracle_issue["values"].as_array().unwrap().len(), "{}", case.name);
        }
        let sizes: Vec<usize> = n.issues.iter().map(|i| i.value_count()).collect();
        let mut exact = 0;
        let samples = case.oracle["sample_outcomes"].as_array().unwrap();
        for sample in samples {
            let package = package_of(n, &sample["outcome"]);
            // The enumeration index is mixed-radix with the last issue varying fastest.
            let index = package.iter().zip(&sizes).fold(0u64, |acc, (&v, &size)| acc * size as u64 + v as u64);
            assert_eq!(index, sample["index"].as_u64().unwrap(), "{}: outcome index", case.name);
            let ours = utilities(case, &package);
            let theirs = floats(&sample["utilities_genius"]);
            if max_diff(&ours, &theirs) > SAMPLE_TOLERANCE {
                failures
                    .push(format!("{}: outcome {}: Accord {ours:?}, NegMAS {theirs:?}", case.name, sample["index"]));
            }
            if ours.iter().zip(&theirs).all(|(x, y)| x.to_bits() == y.to_bits()) {
                exact += 1;
            } else {
                // Summing the tables in issue order is the GENIUS sum: any difference is a bug.
                failures.push(format!(
                    "{}: outcome {}: Accord {ours:?} and NegMAS {theirs:?} differ in the last bits",
                    case.name, sample["index"]
                ));
            }
        }
        println!(
            "{:<34} samples: {exact}/{} bit for bit ({:.3} s)",
            case.name,
            samples.len(),
            started.elapsed().as_secs_f64()
        );
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Finds, for each point of `a`, a point of `b` within the tolerance in every coordinate.
fn unmatched(a: &[Vec<f64>], b: &[Vec<f64>]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..b.len()).collect();
    order.sort_by(|&i, &j| b[i][0].total_cmp(&b[j][0]));
    let firsts: Vec<f64> = order.iter().map(|&i| b[i][0]).collect();
    (0..a.len())
        .filter(|&k| {
            let lo = firsts.partition_point(|&x| x < a[k][0] - FRONTIER_TOLERANCE);
            !order[lo..]
                .iter()
                .take_while(|&&i| b[i][0] <= a[k][0] + FRONTIER_TOLERANCE)
                .any(|&i| max_diff(&a[k], &b[i]) <= FRONTIER_TOLERANCE)
        })
        .collect()
}

/// The oracle's k-th profile as the engine's party index.
fn engine_order(case: &Case, problem: &accord_engine::Problem) -> Vec<usize> {
    case.oracle["profiles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            let stem = p["file"].as_str().unwrap().trim_end_matches(".xml");
            let party = case.negotiation.parties.iter().find(|q| q.name == stem).unwrap();
            problem.parties.iter().position(|q| q.id == party.id).unwrap()
        })
        .collect()
}

#[test]
fn frontier_matches_negmas() {
    let Some(cases) = cases() else { return };
    let mut failures = Vec::new();
    for case in &cases {
        let started = Instant::now();
        if let Err(problem) = check_frontier(case) {
            failures.push(format!("{}: {problem}", case.name));
        }
        let oracle_seconds = case.oracle["genius"]["timings_s"]["pareto_frontier"].as_f64().unwrap_or(f64::NAN);
        println!(
            "{:<34} frontier: {:>8.3} s (NegMAS {:>8.3} s)",
            case.name,
            started.elapsed().as_secs_f64(),
            oracle_seconds
        );
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

fn check_frontier(case: &Case) -> Result<(), String> {
    let problem = compile(&case.negotiation).map_err(|e| format!("compile: {e}"))?;
    let order = engine_order(case, &problem);
    let options = FrontierOptions { packages_cap: 50, ..FrontierOptions::default() };
    let frontier = pareto_frontier(&problem, &options).map_err(|e| format!("frontier: {e}"))?;
    // Accord's points, with coordinates in the oracle's profile order.
    let ours: Vec<Vec<f64>> = frontier.points.iter().map(|p| order.iter().map(|&e| p.utilities[e]).collect()).collect();
    let oracle = &case.oracle["genius"]["pareto_rounded_1e-9"];
    let theirs: Vec<Vec<f64>> = oracle["utilities"].as_array().unwrap().iter().map(floats).collect();
    let counts: Vec<u128> = oracle["counts"].as_array().unwrap().iter().map(|c| c.as_u64().unwrap().into()).collect();
    let cap = oracle["outcomes_cap"].as_u64().unwrap_or(50) as u128;
    let n = &case.negotiation;

    let missing = unmatched(&theirs, &ours);
    if !missing.is_empty() {
        let shown: Vec<&Vec<f64>> = missing.iter().take(5).map(|&k| &theirs[k]).collect();
        return Err(format!("{} NegMAS point(s) have no Accord point within 1e-9, e.g. {shown:?}", missing.len()));
    }
    let extra = unmatched(&ours, &theirs);
    if !extra.is_empty() {
        let shown: Vec<&Vec<f64>> = extra.iter().take(5).map(|&k| &ours[k]).collect();
        return Err(format!("{} Accord point(s) are not on the NegMAS frontier, e.g. {shown:?}", extra.len()));
    }
    if ours.len() != theirs.len() {
        return Err(format!("{} Accord points, {} NegMAS points", ours.len(), theirs.len()));
    }

    for (k, point) in theirs.iter().enumerate() {
        let ours_k = (0..ours.len()).find(|&i| max_diff(&ours[i], point) <= FRONTIER_TOLERANCE).unwrap();
        let accord = &frontier.points[ours_k];
        if accord.n_packages != counts[k] {
            return Err(format!(
                "point {point:?}: {} package(s) behind it in Accord, {} in NegMAS",
                accord.n_packages, counts[k]
            ));
        }
        let listed: BTreeSet<Vec<usize>> =
            oracle["outcomes"][k].as_array().unwrap().iter().map(|o| package_of(n, o)).collect();
        for package in listed.iter().chain(&accord.packages) {
            let u = utilities(case, package);
            if max_diff(&u, point) > FRONTIER_TOLERANCE {
                return Err(format!("package {package:?} has utilities {u:?}, listed at {point:?}"));
            }
        }
        if counts[k] <= cap {
            let accord_set: BTreeSet<Vec<usize>> = accord.packages.iter().cloned().collect();
            if accord_set != listed {
                return Err(format!("point {point:?}: packages {accord_set:?} in Accord, {listed:?} in NegMAS"));
            }
        }
    }
    if case.oracle["genius"]["n_rational_outcomes"].as_u64() == Some(0) && !frontier.points.is_empty() {
        return Err("nothing is individually rational, yet the frontier has points".into());
    }
    Ok(())
}

#[test]
fn bargaining_objectives_match_negmas() {
    let Some(cases) = cases() else { return };
    let mut failures = Vec::new();
    for case in &cases {
        let started = Instant::now();
        if let Err(problem) = check_bargaining(case) {
            failures.push(format!("{}: {problem}", case.name));
        }
        println!("{:<34} bargaining: {:.3} s", case.name, started.elapsed().as_secs_f64());
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

type Objective = fn(&[f64], &[f64]) -> f64;

fn nash_product(u: &[f64], rv: &[f64]) -> f64 {
    u.iter().zip(rv).map(|(u, d)| u - d).product()
}

fn egalitarian_min(u: &[f64], rv: &[f64]) -> f64 {
    u.iter().zip(rv).map(|(u, d)| u - d).fold(f64::INFINITY, f64::min)
}

fn welfare(u: &[f64], _rv: &[f64]) -> f64 {
    u.iter().sum()
}

fn check_bargaining(case: &Case) -> Result<(), String> {
    let problem = compile(&case.negotiation).map_err(|e| format!("compile: {e}"))?;
    let order = engine_order(case, &problem);
    let floors: Vec<f64> = problem.parties.iter().map(|p| p.reservation).collect();
    let oracle = &case.oracle["genius"]["pareto_rounded_1e-9"];
    // The oracle's frontier with exact utilities: those of the first outcome behind each point.
    let points: Vec<Vec<f64>> = oracle["outcomes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|outcomes| utilities(case, &package_of(&case.negotiation, &outcomes[0])))
        .collect();

    let solutions = [
        ("nash", nash_product as Objective, bargain::nash(&problem, &floors)),
        ("egalitarian", egalitarian_min as Objective, bargain::egalitarian(&problem)),
        ("max welfare", welfare as Objective, bargain::max_welfare(&problem, &floors)),
    ];
    for (what, objective, solution) in solutions {
        let solution = solution.map_err(|e| format!("{what}: {e}"))?;
        let best = points.iter().map(|u| objective(u, &case.reservations)).fold(f64::NEG_INFINITY, f64::max);
        match solution {
            None if points.is_empty() => {}
            None => return Err(format!("{what}: no solution, but the NegMAS frontier has {} points", points.len())),
            Some(_) if points.is_empty() => {
                return Err(format!("{what}: a solution, but nothing is individually rational"));
            }
            Some(s) => {
                let u: Vec<f64> = order.iter().map(|&e| s.utilities[e]).collect();
                let recomputed = utilities(case, &s.package);
                if max_diff(&u, &recomputed) > OBJECTIVE_TOLERANCE {
                    return Err(format!("{what}: reported utilities {u:?}, package has {recomputed:?}"));
                }
                let reached = objective(&recomputed, &case.reservations);
                if (reached - best).abs() > OBJECTIVE_TOLERANCE || (s.objective - best).abs() > OBJECTIVE_TOLERANCE {
                    return Err(format!(
                        "{what}: Accord reaches {reached} (reports {}), the best over the NegMAS frontier is {best}",
                        s.objective
                    ));
                }
            }
        }
    }
    Ok(())
}
