//! GENIUS import: the hand-written fixture in detail, every error path, and
//! every shared ANAC/GENIUS domain.
#![allow(clippy::unwrap_used)] // test code: a panic is a failed test

mod genius_support;

use accord_core::utility::UtilityTables;
use accord_core::{IssueKind, Package, Rating, Role, Weighting, WordingText};
use accord_formats::genius::{self, GeniusError};
use genius_support::{fixture_dir, fixture_texts, shared_domains};

fn rating<'a>(n: &'a accord_core::Negotiation, party: &str, issue: &str) -> &'a Rating {
    let profile = n.profile(party).unwrap();
    &profile.ratings.iter().find(|(id, _)| id == issue).unwrap().1
}

#[test]
fn fixture_issues_keep_names_as_titles_and_labels() {
    let n = genius::import_dir(&fixture_dir()).unwrap();
    assert_eq!(n.title, "holiday-domain");
    assert_eq!(n.id, "holiday-domain");
    let ids: Vec<&str> = n.issues.iter().map(|i| i.id.as_str()).collect();
    assert_eq!(ids, ["destination-city", "nights", "budget-share"]);
    assert_eq!(n.issues[0].title, "Destination (city)");
    let IssueKind::Discrete { options } = &n.issues[0].kind else { panic!("discrete expected") };
    let pairs: Vec<(&str, &str)> = options.iter().map(|o| (o.id.as_str(), o.label.as_str())).collect();
    assert_eq!(pairs, [("lisbon", "Lisbon"), ("krak-w", "Kraków"), ("st.-ives-penzance", "St. Ives & Penzance")]);

    let IssueKind::Numeric(nights) = &n.issues[1].kind else { panic!("numeric expected") };
    assert_eq!((nights.min, nights.max, nights.step, nights.integer), (2.0, 7.0, 1.0, true));
    assert_eq!(nights.len(), Some(6));

    // Real issues: NegMAS's default grid of 10 values, both bounds included.
    let IssueKind::Numeric(budget) = &n.issues[2].kind else { panic!("numeric expected") };
    assert_eq!((budget.min, budget.max, budget.step, budget.integer), (0.0, 0.9, 0.9 / 9.0, false));
    assert_eq!(budget.len(), Some(genius::REAL_ISSUE_POINTS));
    assert!(n.description.contains("discretised into 10"), "{}", n.description);
}

#[test]
fn fixture_parties_are_the_profiles_plus_a_mediator() {
    let n = genius::import_dir(&fixture_dir()).unwrap();
    let parties: Vec<(&str, &str, Role)> = n.parties.iter().map(|p| (p.id.as_str(), p.name.as_str(), p.role)).collect();
    assert_eq!(
        parties,
        [
            ("mediator", "Mediator (added on import)", Role::Mediator),
            ("alex", "alex", Role::Signatory),
            ("sam", "sam", Role::Signatory)
        ]
    );
    assert!(n.constraints.is_empty() && n.stances.is_empty() && n.timetable.phases.is_empty());
}

#[test]
fn fixture_profiles_follow_the_genius_rules() {
    let n = genius::import_dir(&fixture_dir()).unwrap();
    let alex = n.profile("alex").unwrap();
    assert_eq!(alex.weighting, Weighting::AsWritten);
    assert!(!alex.illustrative);
    // Bound by index 3, 4, 5; the weight on the objective (index 1) is not an issue's.
    assert_eq!(
        alex.weights,
        [("destination-city".to_string(), 0.5), ("nights".to_string(), 0.3), ("budget-share".to_string(), 0.2)]
    );
    assert_eq!((alex.reservation, alex.discount_factor), (0.4, Some(0.9)));
    // 4 and 2 over a maximum of 4; the value the profile leaves out rates 0.
    assert_eq!(
        rating(&n, "alex", "destination-city"),
        &Rating::Table(vec![("lisbon".into(), 1.0), ("krak-w".into(), 0.5), ("st.-ives-penzance".into(), 0.0)])
    );
    assert_eq!(rating(&n, "alex", "nights"), &Rating::Linear { offset: 0.2, slope: 0.2, origin: 2.0 });
    assert_eq!(rating(&n, "alex", "budget-share"), &Rating::Linear { offset: 1.0, slope: -1.0, origin: 0.0 });

    let sam = n.profile("sam").unwrap();
    // No weight for the budget: it weighs 0. No reservation: 0. No discount factor: none.
    assert_eq!(sam.weights[2], ("budget-share".to_string(), 0.0));
    assert_eq!(sam.weights[0], ("destination-city".to_string(), 0.6));
    assert_eq!((sam.reservation, sam.discount_factor), (0.0, None));
    // The origin of an integer evaluator is the lower bound written in the profile (0), not the domain's (2).
    assert_eq!(rating(&n, "sam", "nights"), &Rating::Linear { offset: 1.0, slope: -0.1, origin: 0.0 });
    assert_eq!(rating(&n, "sam", "budget-share"), &Rating::Piecewise(vec![(0.0, 0.0), (0.3, 1.0), (0.9, 0.0)]));
    assert_eq!(
        rating(&n, "sam", "destination-city"),
        &Rating::Table(vec![
            ("lisbon".into(), 1.0 / 6.0),
            ("krak-w".into(), 3.0 / 6.0),
            ("st.-ives-penzance".into(), 1.0)
        ])
    );
}

#[test]
fn fixture_utilities_are_the_genius_sums() {
    let n = genius::import_dir(&fixture_dir()).unwrap();
    // Lisbon, 7 nights, budget share 0.
    let package = Package(vec![0, 5, 0]);
    let alex = UtilityTables::new(&n, n.profile("alex").unwrap()).utility(&package);
    let sam = UtilityTables::new(&n, n.profile("sam").unwrap()).utility(&package);
    let clamp = |x: f64| x.clamp(0.0, 1.0);
    assert_eq!(alex, 0.0 + 0.5 * 1.0 + 0.3 * clamp(0.2 + 0.2 * (7.0 - 2.0)) + 0.2 * clamp(1.0 - 0.0));
    assert_eq!(sam, 0.0 + 0.6 * (1.0 / 6.0) + 0.4 * clamp(1.0 + -0.1 * (7.0 - 0.0)) + 0.0 * 0.0);
}

#[test]
fn fixture_text_renders_each_issue_as_a_provision() {
    let n = genius::import_dir(&fixture_dir()).unwrap();
    assert_eq!(n.provisions.len(), 3);
    let first = &n.provisions[0];
    assert_eq!(
        (first.number.as_str(), first.heading.as_str(), first.body.as_str()),
        ("1", "Destination (city)", "{destination-city}")
    );
    let WordingText::PerOption(wordings) = &first.wordings[0].text else { panic!("per-option wording expected") };
    assert_eq!(wordings[1], ("krak-w".to_string(), "Kraków".to_string()));
    assert_eq!(n.provisions[1].wordings[0].text, WordingText::Template("{value}".into()));
    assert_eq!(n.provision_issues(&n.provisions[2]), vec![2]);
}

#[test]
fn fixture_passes_validation() {
    let n = genius::import_dir(&fixture_dir()).unwrap();
    let problems = accord_core::validate::validate(&n);
    assert!(problems.is_empty(), "{problems:#?}");
}

// ---------------------------------------------------------------------------
// Errors

fn import_with(domain: &str, profile_a: &str, profile_b: &str) -> Result<accord_core::Negotiation, GeniusError> {
    genius::import(("dom.xml", domain), &[("a.xml", profile_a), ("b.xml", profile_b)])
}

fn fixture_error(edit: impl Fn(&str, &str, &str) -> (String, String, String)) -> String {
    let (_, domain, profiles) = fixture_texts();
    let (d, a, b) = edit(&domain, &profiles[0].1, &profiles[1].1);
    import_with(&d, &a, &b).unwrap_err().to_string()
}

#[test]
fn a_weight_for_an_unknown_index_names_file_line_and_element() {
    let msg = fixture_error(|d, a, b| (d.into(), a.replace(r#"<weight index="5""#, r#"<weight index="7""#), b.into()));
    assert_eq!(msg, r#"a.xml:15: <weight index="7">: no issue has index 7"#);
}

#[test]
fn an_unsupported_value_type_is_named() {
    let msg = fixture_error(|d, a, b| (d.replace(r#"vtype="integer""#, r#"vtype="foo""#), a.into(), b.into()));
    assert_eq!(
        msg,
        r#"dom.xml:12: <issue name="Nights">: vtype "foo" is not supported (expected discrete, integer or real)"#
    );
}

#[test]
fn malformed_xml_is_an_error_with_a_line() {
    let msg = fixture_error(|d, a, b| (d.into(), a.replace("</issue>", "</isue>"), b.into()));
    assert!(msg.starts_with("a.xml:"), "{msg}");
    assert!(msg.contains("malformed XML"), "{msg}");

    let msg = fixture_error(|d, a, b| (d.into(), a.into(), b[..b.len() / 2].to_string()));
    assert!(msg.starts_with("b.xml:"), "{msg}");
}

#[test]
fn missing_attributes_and_bad_numbers_are_errors() {
    let msg = fixture_error(|d, a, b| (d.into(), a.replace(r#" evaluation="2""#, ""), b.into()));
    assert_eq!(msg, r#"a.xml:5: <item value="Kraków">: missing attribute evaluation"#);

    let msg = fixture_error(|d, a, b| (d.into(), a.replace(r#"value="0.3""#, r#"value="0,3""#), b.into()));
    assert_eq!(msg, r#"a.xml:14: <weight index="4">: value="0,3" is not a finite number"#);

    let msg = fixture_error(|d, a, b| (d.into(), a.replace(r#"value="0.3""#, r#"value="NaN""#), b.into()));
    assert!(msg.contains("is not a finite number"), "{msg}");

    let msg = fixture_error(|d, a, b| (d.replace(r#"upperbound="7""#, r#"upperbound="7.5""#), a.into(), b.into()));
    assert_eq!(msg, r#"dom.xml:12: <issue name="Nights">: upperbound="7.5" is not an integer"#);

    let msg = fixture_error(|d, a, b| (d.replace(r#"upperbound="7""#, r#"upperbound="1""#), a.into(), b.into()));
    assert!(msg.contains("upperbound 1 is below lowerbound 2"), "{msg}");

    let msg = fixture_error(|d, a, b| (d.replace(r#"upperbound="7""#, r#"upperbound="99999999""#), a.into(), b.into()));
    assert_eq!(
        msg,
        r#"dom.xml:12: <issue name="Nights">: the range 2..99999999 has 99999998 values; Accord takes at most 100,000 per issue (limits::MAX_VALUES_PER_ISSUE)"#
    );
}

#[test]
fn an_issue_of_four_billion_values_is_refused_with_its_line() {
    let msg =
        fixture_error(|d, a, b| (d.replace(r#"upperbound="7""#, r#"upperbound="4000000000""#), a.into(), b.into()));
    assert!(
        msg.starts_with(r#"dom.xml:12: <issue name="Nights">: the range 2..4000000000 has 3999999999 values"#),
        "{msg}"
    );
}

#[test]
fn a_discrete_issue_with_too_many_items_is_refused_at_the_first_item_over() {
    let items: String = (0..=accord_core::limits::MAX_VALUES_PER_ISSUE)
        .map(|k| format!("<item index=\"{k}\" value=\"v{k}\"/>\n"))
        .collect();
    let domain = format!(
        "<negotiation_template><utility_space><objective index=\"0\" name=\"root\">\n\
         <issue index=\"1\" name=\"Many\" type=\"discrete\" etype=\"discrete\" vtype=\"discrete\">\n{items}</issue>\n\
         </objective></utility_space></negotiation_template>\n"
    );
    let err = genius::import(("many.xml", &domain), &[]).unwrap_err().to_string();
    assert_eq!(
        err,
        r#"many.xml:100003: <item value="v100000">: issue "Many" has more than 100,000 values, the limit per issue (limits::MAX_VALUES_PER_ISSUE)"#
    );
}

#[test]
fn duplicate_issue_indices_are_errors() {
    let msg = fixture_error(|d, a, b| {
        (d.replace(r#"index="4" name="Nights""#, r#"index="3" name="Nights""#), a.into(), b.into())
    });
    assert_eq!(
        msg,
        r#"dom.xml:12: <issue name="Nights">: issue index 3 is already used by issue "Destination (city)": every issue needs its own index"#
    );
}

#[test]
fn profile_issues_and_values_must_exist_in_the_domain() {
    let msg = fixture_error(|d, a, b| (d.into(), a.replace(r#"<issue index="4""#, r#"<issue index="9""#), b.into()));
    assert_eq!(msg, r#"a.xml:7: <issue name="Nights">: no issue has index 9 in the domain file"#);

    let msg = fixture_error(|d, a, b| (d.into(), a.replace(r#"value="Lisbon""#, r#"value="Porto""#), b.into()));
    assert_eq!(msg, r#"a.xml:4: <item value="Porto">: the domain's issue "Destination (city)" has no value "Porto""#);

    let msg = fixture_error(|d, a, b| (d.into(), a.replace(r#"name="Nights""#, r#"name="Days""#), b.into()));
    assert!(msg.contains(r#"is named "Days" here but "Nights" in the domain file"#), "{msg}");

    let msg = fixture_error(|d, a, b| (d.into(), a.replace(r#"vtype="integer""#, r#"vtype="discrete""#), b.into()));
    assert!(msg.contains("the issue is discrete here but integer in the domain file"), "{msg}");
}

#[test]
fn unsupported_evaluators_are_named() {
    let msg = fixture_error(|d, a, b| {
        (d.into(), a.replace(r#"ftype="linear" offset="0.2""#, r#"ftype="exp" offset="0.2""#), b.into())
    });
    assert_eq!(msg, r#"a.xml:8: <evaluator>: ftype "exp" is not supported for an integer issue (expected linear)"#);
}

#[test]
fn wrong_roots_and_too_few_profiles_are_errors() {
    let (_, domain, profiles) = fixture_texts();
    let err = genius::import(("x.xml", &profiles[0].1), &[("a.xml", &profiles[0].1), ("b.xml", &profiles[1].1)]);
    assert!(err.unwrap_err().to_string().contains("should be <negotiation_template>"));
    let err = genius::import(("d.xml", &domain), &[("a.xml", &domain), ("b.xml", &profiles[1].1)]);
    assert!(err.unwrap_err().to_string().starts_with("a.xml:"));
    let err = genius::import(("d.xml", &domain), &[("a.xml", &profiles[0].1)]).unwrap_err();
    assert!(err.to_string().contains("at least two"), "{err}");
    let err = genius::import(("d.xml", "<negotiation_template/>"), &[]).unwrap_err();
    assert_eq!(err.file(), Some("d.xml"));
}

#[test]
fn a_directory_without_a_domain_file_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.xml"), "<utility_space/>").unwrap();
    let err = genius::import_dir(dir.path()).unwrap_err().to_string();
    assert!(err.contains("no GENIUS domain file"), "{err}");
    std::fs::write(dir.path().join("d1.xml"), "<negotiation_template/>").unwrap();
    std::fs::write(dir.path().join("d2.xml"), "<negotiation_template/>").unwrap();
    let err = genius::import_dir(dir.path()).unwrap_err().to_string();
    assert!(err.contains("more than one GENIUS domain file (d1.xml, d2.xml)"), "{err}");
    let err = genius::import_dir(&dir.path().join("missing")).unwrap_err();
    assert!(matches!(err, GeniusError::Io { .. }), "{err}");
}

// ---------------------------------------------------------------------------
// The shared ANAC and GENIUS domains

#[test]
fn every_shared_domain_imports_and_validates() {
    let Some(dirs) = shared_domains() else { return };
    assert!(!dirs.is_empty());
    for dir in dirs {
        let name = dir.file_name().unwrap().to_string_lossy().to_string();
        let n = genius::import_dir(&dir).unwrap_or_else(|e| panic!("{name}: {e}"));
        let problems = accord_core::validate::validate(&n);
        assert!(problems.is_empty(), "{name}: {problems:#?}");
        assert!(n.parties_with_role(Role::Signatory).count() >= 2, "{name}");
        assert_eq!(n.profiles.len(), n.parties.len() - 1, "{name}");
        assert_eq!(n.provisions.len(), n.issues.len(), "{name}");
        for profile in &n.profiles {
            let tables = UtilityTables::new(&n, profile);
            for (issue, table) in n.issues.iter().zip(&tables.tables) {
                assert_eq!(table.len(), issue.value_count(), "{name}/{}", issue.id);
                assert!(table.iter().all(|x| x.is_finite()), "{name}/{}", issue.id);
            }
        }
    }
}

#[test]
fn fitness_weights_are_bound_by_index_not_position() {
    let Some(dirs) = shared_domains() else { return };
    let Some(dir) = dirs.iter().find(|d| d.ends_with("anac2012_FitnessA")) else {
        println!("skipped: anac2012_FitnessA not in the shared domains");
        return;
    };
    let n = genius::import_dir(dir).unwrap();
    let profile = n.profile("fitness-a-prof1").unwrap();
    // <weight index="2" value="0.15354168265071755"/> is the first issue's (its index is 2).
    assert_eq!(profile.weights[0], ("kind-of-fitness".to_string(), 0.15354168265071755));
    assert_eq!(profile.weights[4].1, 0.20422131467603144);
    assert_eq!(profile.reservation, 0.5);
}
