//! The one engine analysis, filtered, is what the server's own orchestration
//! of the engine gave every viewer: switching the server to
//! `accord_engine::analyse` under `Budgets::SERVER` changes no response.

#![allow(clippy::unwrap_used)] // test code: a panic is a failed test

use accord_core::{Negotiation, Role};
use accord_engine::analyse::{Budgets, Outcome, analyse, analyse_parts};
use accord_engine::{balance, bargain, compile, frontier, improve, repair, zopa};
use accord_policy::Viewer;
use accord_policy::analysis::{
    AnalysisView, FrontierGains, RawAnalysis, VIEW_PARTS, filter_analysis, project, suggestions_on,
};

fn example(name: &str) -> Negotiation {
    let path = format!("{}/../../examples/{name}.toml", env!("CARGO_MANIFEST_DIR"));
    accord_formats::scenario::read_file(path).unwrap()
}

/// What `accord-server`'s `run_analysis` computed before it called `analyse`.
fn legacy_view(viewer: &Viewer, negotiation: &Negotiation) -> Option<AnalysisView> {
    let problem = compile::compile(negotiation).unwrap();
    let floors: Vec<f64> = problem.parties.iter().map(|p| p.reservation).collect();
    let zopa = zopa::zopa_with(&problem, &zopa::ZopaOptions { max_nodes: 2_000_000, max_memo: 200_000 });
    let solutions = vec![
        ("nash", bargain::nash(&problem, &floors).map_err(|e| e.to_string())),
        ("kalai_smorodinsky", bargain::kalai_smorodinsky(&problem).map_err(|e| e.to_string())),
        ("egalitarian", bargain::egalitarian(&problem).map_err(|e| e.to_string())),
    ];
    let package = negotiation.draft_package();
    let options = repair::RepairOptions {
        max_subsets: 200_000,
        search: zopa::ZopaOptions { max_nodes: 200_000, max_memo: 50_000 },
    };
    let repair = repair::repair_with(&problem, &package.0, &options).map_err(|e| e.to_string());
    let improvement = improve::improve(&problem, &package.0).map_err(|e| e.to_string());
    let balance = balance::balance(negotiation, &package);
    let raw = RawAnalysis { negotiation, problem: &problem, zopa, solutions, repair, improvement, balance };
    filter_analysis(viewer, &raw)
}

fn viewers(negotiation: &Negotiation) -> Vec<Viewer> {
    let mut viewers = vec![Viewer::Anonymous, Viewer::Stranger { account: "x".into() }];
    viewers.extend(negotiation.parties.iter().map(|p| Viewer::Party {
        account: format!("acct-{}", p.id),
        party: p.id.clone(),
        role: p.role,
        privacy: negotiation.privacy,
    }));
    viewers
}

#[test]
fn the_filtered_analysis_is_what_the_server_showed_every_viewer() {
    for name in ["peace-framework", "labour-agreement"] {
        let negotiation = example(name);
        let problem = compile::compile(&negotiation).unwrap();
        let draft = negotiation.draft_package();
        let analysis = analyse_parts(&problem, &draft.0, &Budgets::SERVER, &VIEW_PARTS, &|_| {});
        assert!(analysis.exhausted().is_empty(), "{name}: {:?}", analysis.exhausted());
        assert!(analysis.frontier.is_none() && analysis.max_welfare.is_none(), "{name}: only the parts shown");
        let raw = RawAnalysis::from_analysis(&negotiation, &problem, &analysis, balance::balance(&negotiation, &draft));
        let mut shown = 0;
        for viewer in viewers(&negotiation) {
            let view = filter_analysis(&viewer, &raw);
            assert_eq!(view, legacy_view(&viewer, &negotiation), "{name} as {viewer:?}");
            shown += usize::from(view.is_some());
        }
        assert!(shown > 0, "{name}: nobody sees the analysis");
    }
}

#[test]
fn a_part_that_ran_out_or_was_not_computed_is_an_error_not_a_silent_answer() {
    let negotiation = example("peace-framework");
    let problem = compile::compile(&negotiation).unwrap();
    let draft = negotiation.draft_package();
    let starved = Budgets { solve_nodes: 0, solve_frontier_points: 0, zopa_nodes: 0, ..Budgets::SERVER };
    let analysis = analyse(&problem, &draft.0, &starved);
    let raw = RawAnalysis::from_analysis(&negotiation, &problem, &analysis, Vec::new());
    // The ZOPA keeps what it established (an interval, or undecided when it ran out).
    match analysis.zopa.as_ref().unwrap() {
        Outcome::BudgetExhausted { partial: Some(zopa), .. } | Outcome::Exact(zopa) => assert_eq!(&raw.zopa, zopa),
        other => panic!("{other:?}"),
    }
    for ((name, result), outcome) in
        raw.solutions.iter().zip([&analysis.nash, &analysis.kalai_smorodinsky, &analysis.egalitarian])
    {
        match outcome.as_ref().unwrap() {
            Outcome::Exact(s) => assert_eq!(result.as_ref().unwrap(), s, "{name}"),
            Outcome::BudgetExhausted { partial: Some(s), .. } => {
                // The package shown carries its certified gap.
                assert!(s.as_ref().is_some_and(|s| s.gap > 0.0), "{name}");
                assert_eq!(result.as_ref().unwrap(), s, "{name}");
            }
            Outcome::BudgetExhausted { partial: None, error, .. } => {
                assert_eq!(result.as_ref().unwrap_err(), &error.to_string(), "{name}")
            }
            Outcome::Failed(e) => panic!("{name}: {e}"),
        }
    }

    let nothing = accord_engine::Analysis::default();
    let raw = RawAnalysis::from_analysis(&negotiation, &problem, &nothing, Vec::new());
    assert!(!raw.zopa.exists && !raw.zopa.is_decided());
    assert!(raw.solutions.iter().all(|(_, r)| r.as_ref().is_err_and(|e| e.contains("not computed"))));
    assert!(raw.repair.is_err() && raw.improvement.is_err());
}

#[test]
fn the_frontier_in_gains_is_what_the_pareto_route_drew() {
    let negotiation = example("peace-framework");
    let problem = compile::compile(&negotiation).unwrap();
    let draft = negotiation.draft_package();
    let Outcome::Exact(gains) = FrontierGains::compute(&problem, &draft.0, &Budgets::SERVER) else {
        panic!("the example's frontier is within the server's budget")
    };
    let options = frontier::FrontierOptions { max_points: 200_000, packages_cap: 1, progress: None };
    let legacy = frontier::pareto_frontier(&problem, &options).unwrap();
    assert_eq!(gains, FrontierGains::from_frontier(&problem, &legacy, &draft.0));
    assert_eq!(gains.parties.len(), problem.parties.len());
    assert!(gains.points.len() >= 2);

    // Two parties: the projection is the whole frontier, ascending in a.
    let projected = project(&gains.points, 0, 1);
    assert_eq!(projected.len(), gains.points.len());
    assert!(projected.windows(2).all(|w| w[0].a < w[1].a && w[0].b > w[1].b));

    let starved = Budgets { frontier_points: 0, ..Budgets::SERVER };
    assert_eq!(
        FrontierGains::compute(&problem, &draft.0, &starved).exhausted(),
        Some(accord_engine::Budget::FrontierPoints)
    );

    // The suggestions are the mediator's view of the analysis's packages, on the pair's axes.
    let analysis = analyse_parts(&problem, &draft.0, &Budgets::SERVER, &VIEW_PARTS, &|_| {});
    let raw = RawAnalysis::from_analysis(&negotiation, &problem, &analysis, Vec::new());
    let mediator = negotiation.parties.iter().find(|p| p.role == Role::Mediator).unwrap();
    let viewer = Viewer::Party {
        account: "m".into(),
        party: mediator.id.clone(),
        role: Role::Mediator,
        privacy: negotiation.privacy,
    };
    let view = filter_analysis(&viewer, &raw).unwrap();
    let (a, b) = (&gains.parties[0], &gains.parties[1]);
    let suggestions = suggestions_on(&view, a, b);
    let kinds: Vec<&str> = suggestions.iter().map(|s| s.kind.as_str()).collect();
    assert!(kinds.starts_with(&["nash", "kalai_smorodinsky", "egalitarian"]), "{kinds:?}");
    let nash = view.solutions[0].package.result.as_ref().unwrap().as_ref().unwrap();
    let gain = |party: &str| nash.outcomes.iter().find(|o| o.party == party).unwrap().normalised_gain;
    assert_eq!((suggestions[0].a, suggestions[0].b), (gain(a), gain(b)));
    // The serde shape is the server's: {"kind", "a", "b"}.
    let json = serde_json::to_value(&suggestions[0]).unwrap();
    let mut keys: Vec<&String> = json.as_object().unwrap().keys().collect();
    keys.sort();
    assert_eq!(keys, ["a", "b", "kind"]);
    // A party outside the analysis has no gains: no suggestion names it.
    assert!(suggestions_on(&view, a, "nobody").is_empty());
}
