//! Bargaining solutions on the GENIUS domains, against objectives recomputed
//! on NegMAS's raw frontier with d = rv (NegMAS's own points use another
//! disagreement point, so only the objective values are comparable).

#![allow(clippy::unwrap_used)]

mod frontier_support;

use std::time::{Duration, Instant};

use accord_engine::bargain::{
    Method, SolveOptions, egalitarian_with, kalai_smorodinsky_with, max_welfare_with, nash_with,
};
use frontier_support::genius::{load_all, oracle_dir};

fn near(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}

#[test]
fn solutions_match_objectives_on_the_negmas_frontier() {
    let Some(dir) = oracle_dir() else { return };
    for oracle in load_all(&dir) {
        let problem = &oracle.problem;
        let name = &oracle.name;
        let n = problem.n_parties();
        let d: Vec<f64> = problem.parties.iter().map(|p| p.reservation).collect();
        let front: Vec<Vec<f64>> = oracle.json["genius"]["pareto"]["utilities"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u.as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).collect())
            .collect();
        let best = |f: &dyn Fn(&[f64]) -> f64| front.iter().map(|u| f(u)).fold(f64::NEG_INFINITY, f64::max);
        let product = |u: &[f64]| (0..n).map(|p| u[p] - d[p]).product::<f64>();
        let welfare = |u: &[f64]| u.iter().sum::<f64>();
        let min_gain = |u: &[f64]| (0..n).map(|p| u[p] - d[p]).fold(f64::INFINITY, f64::min);
        let ideal: Vec<f64> = (0..n).map(|p| front.iter().map(|u| u[p]).fold(f64::NEG_INFINITY, f64::max)).collect();
        let ks = |u: &[f64]| {
            (0..n).filter(|&p| ideal[p] > d[p]).map(|p| (u[p] - d[p]) / (ideal[p] - d[p])).fold(f64::INFINITY, f64::min)
        };
        for method in [Method::Auto, Method::Search] {
            let options = SolveOptions { method, ..SolveOptions::default() };
            let mut slowest = Duration::ZERO;
            let mut timed = |f: &mut dyn FnMut() -> Option<f64>| {
                let started = Instant::now();
                let value = f();
                slowest = slowest.max(started.elapsed());
                value
            };
            let nash = timed(&mut || nash_with(problem, &d, &options).unwrap().map(|s| s.objective));
            let welfare_got = timed(&mut || max_welfare_with(problem, &d, &options).unwrap().map(|s| s.objective));
            let egal = timed(&mut || egalitarian_with(problem, &options).unwrap().map(|s| s.objective));
            let ks_got = timed(&mut || kalai_smorodinsky_with(problem, &options).unwrap().map(|s| s.objective));
            println!("{name} {method:?}: slowest solution {slowest:?}");
            if front.is_empty() {
                assert!(nash.is_none() && welfare_got.is_none() && egal.is_none() && ks_got.is_none(), "{name}");
                continue;
            }
            assert!(near(nash.unwrap(), best(&product)), "{name} {method:?} nash {nash:?} vs {}", best(&product));
            assert!(near(welfare_got.unwrap(), best(&welfare)), "{name} {method:?} welfare");
            assert!(
                near(egal.unwrap(), best(&min_gain)),
                "{name} {method:?} egalitarian {egal:?} vs {}",
                best(&min_gain)
            );
            assert!(near(ks_got.unwrap(), best(&ks)), "{name} {method:?} KS {ks_got:?} vs {}", best(&ks));
        }
    }
}
