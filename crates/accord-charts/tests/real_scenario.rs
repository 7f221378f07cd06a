//! The charts fed the way the pages feed them: the engine's frontier and
//! bargaining solutions for the example peace framework, and its timetable.

#![allow(clippy::unwrap_used)]

use accord_charts::*;
use accord_engine::bargain::{egalitarian, kalai_smorodinsky, nash};
use accord_engine::compile::compile;
use accord_engine::frontier::{FrontierOptions, pareto_frontier};

fn peace_framework() -> accord_core::model::Negotiation {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/peace-framework.toml");
    accord_formats::scenario::read_file(path).unwrap()
}

fn count(svg: &str, needle: &str) -> usize {
    svg.matches(needle).count()
}

#[test]
fn the_example_frontier_and_suggestions_render_inside_the_chart() {
    let negotiation = peace_framework();
    let problem = compile(&negotiation).unwrap();
    assert_eq!(problem.n_parties(), 2, "the example has two signatories");
    let frontier = pareto_frontier(&problem, &FrontierOptions::default()).unwrap();
    assert!(!frontier.points.is_empty());
    let pair = |u: &[f64]| UtilityPair { x: u[0], y: u[1] };
    let floors: Vec<f64> = problem.parties.iter().map(|p| p.reservation).collect();
    let mut suggestions = Vec::new();
    for (kind, label, solution) in [
        (SuggestionKind::Nash, "Nash", nash(&problem, &floors).unwrap()),
        (SuggestionKind::KalaiSmorodinsky, "Kalai–Smorodinsky", kalai_smorodinsky(&problem).unwrap()),
        (SuggestionKind::Egalitarian, "Egalitarian", egalitarian(&problem).unwrap()),
    ] {
        let solution = solution.unwrap();
        suggestions.push(Suggestion { kind, label: label.into(), at: pair(&solution.utilities) });
    }
    let chart = ParetoChart {
        id: "pareto".into(),
        party_x: problem.parties[0].name.clone(),
        party_y: problem.parties[1].name.clone(),
        frontier: frontier.points.iter().map(|p| pair(&p.utilities)).collect(),
        draft: None,
        suggestions,
        disagreement: Some(pair(&floors)),
    };
    let svg = pareto(&chart);
    if let Ok(dir) = std::env::var("ACCORD_CHARTS_PREVIEW") {
        let page = format!("<!doctype html><meta charset=utf-8><div style=\"width:390px\">{svg}</div>{svg}");
        std::fs::write(std::path::Path::new(&dir).join("peace-framework-pareto.html"), page).unwrap();
    }
    assert_eq!(count(&svg, "class=\"frontier-point\""), frontier.points.len());
    assert_eq!(count(&svg, "class=\"suggestion suggestion-"), 3);
    assert!(svg.contains(&format!("data-party=\"{}\"", problem.parties[0].name)));
    // Every frontier point lies inside the plot: the scale clamps, but real
    // utilities must not need clamping.
    for p in &frontier.points {
        assert!(p.utilities.iter().all(|u| (0.0..=1.0).contains(u)), "{:?}", p.utilities);
    }
    // The frontier is printed sorted by the first party's utility, so its line never doubles back.
    let xs: Vec<f64> = svg
        .split("class=\"frontier-point\"")
        .skip(1)
        .map(|rest| rest.split("cx=\"").nth(1).unwrap().split('"').next().unwrap().parse().unwrap())
        .collect();
    assert!(xs.windows(2).all(|w| w[0] <= w[1]), "{xs:?}");
}

#[test]
fn the_example_timetable_renders_every_phase() {
    let negotiation = peace_framework();
    let phases: Vec<TimetablePhase> = negotiation
        .timetable
        .phases
        .iter()
        .enumerate()
        .map(|(index, phase)| TimetablePhase {
            id: phase.id.clone(),
            name: phase.name.clone(),
            kind: phase.kind.as_str().replace('_', " "),
            start: phase.start,
            end: phase.end,
            deadline: phase.end,
            current: index == 1,
        })
        .collect();
    assert!(phases.len() >= 2);
    let now = phases[1].start + (phases[1].end - phases[1].start) / 2;
    let svg = timetable(&TimetableChart { id: "timetable".into(), phases: phases.clone(), now: Some(now) });
    assert_eq!(count(&svg, "<g class=\"phase"), phases.len());
    assert_eq!(count(&svg, "class=\"phase is-current\""), 1);
    assert_eq!(count(&svg, "data-status=\"ended\""), 1);
    assert_eq!(count(&svg, "data-status=\"upcoming\""), phases.len() - 2);
    for phase in &phases {
        assert!(svg.contains(&format!("data-phase=\"{}\"", escape(&phase.id))));
    }
}
