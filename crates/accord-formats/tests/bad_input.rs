//! One defect per scenario: each test checks the exact place and wording of
//! the diagnostic, because a message that points to the wrong line is a bug.

#![allow(clippy::unwrap_used)]

use accord_formats::scenario::{self, Diagnostic, ReadError, ScenarioErrors};

/// A valid scenario; line numbers below refer to it.
const BASE: &str = r#"[negotiation]
id = "base"
title = "Base"

[[party]]
id = "med"
name = "Mediator"
role = "mediator"

[[party]]
id = "a"
name = "A"
role = "signatory"

[[party]]
id = "b"
name = "B"
role = "signatory"

[[issue]]
id = "territory"
title = "Territory"
options = [{ id = "withdraw", label = "Withdraw" }, { id = "freeze", label = "Freeze" }]

[[issue]]
id = "army-cap"
title = "Army ceiling"
range = { min = 400000, max = 1000000, step = 50000, unit = "troops" }
draft = 600000

[[provision]]
id = "art-1"
number = "1"
heading = "Territory"
text = "{territory}"

[provision.wording.territory]
withdraw = "Forces withdraw."
freeze = "The line is frozen."

[[provision]]
id = "art-2"
number = "2"
heading = "Armed forces"
text = "The army shall not exceed {army-cap}."

[provision.wording.army-cap]
template = "{value} {unit}"

[[phase]]
id = "talks"
name = "Talks"
kind = "drafting"
start = 2025-11-21T09:00:00Z
end = 2025-11-23T18:00:00Z

[[phase]]
id = "signing"
name = "Signing"
kind = "signing"
start = 2025-11-24T09:00:00Z
end = 2025-11-24T12:00:00Z

[profile.a]
reservation = 0.3
red_lines = [{ issue = "territory", is = ["withdraw"] }]

[profile.a.weights]
territory = 2
army-cap = 1

[profile.a.ratings.territory]
withdraw = 0.0
freeze = 1.0

[profile.a.ratings.army-cap]
points = [[400000, 0.0], [1000000, 1.0]]

[[stance]]
party = "a"
provision = "art-2"
position = "acceptable_if"
conditions = [{ issue = "army-cap", at_least = 600000 }]
reason = "Only with a high ceiling."
"#;

/// BASE with `from` replaced by `to` (exactly one occurrence, so a typo in a
/// test cannot leave the file valid by accident).
fn with(edits: &[(&str, &str)]) -> String {
    let mut text = BASE.to_string();
    for (from, to) in edits {
        assert_eq!(text.matches(from).count(), 1, "{from:?} must occur exactly once");
        text = text.replace(from, to);
    }
    text
}

fn errors(source: &str) -> ScenarioErrors {
    scenario::parse(source, "bad.toml").unwrap_err()
}

/// The file has exactly one problem, printed exactly like this.
#[track_caller]
fn one_error(source: &str, expected: &str) {
    let errors = errors(source);
    let printed: Vec<String> = errors.diagnostics.iter().map(Diagnostic::to_string).collect();
    assert_eq!(printed, vec![expected.to_string()]);
}

#[test]
fn base_is_valid() {
    let n = scenario::parse(BASE, "base.toml").unwrap();
    assert_eq!(n.issues.len(), 2);
}

#[test]
fn undefined_issue_in_a_slot() {
    one_error(
        &with(&[("text = \"{territory}\"", "text = \"{territory} Guarantees: {guarantees}.\"")]),
        "error: bad.toml:35:8: provision \"art-1\" uses issue \"guarantees\", which is not defined; \
         defined issues: territory, army-cap",
    );
}

#[test]
fn duplicate_provision_id() {
    one_error(
        &with(&[("id = \"art-2\"", "id = \"art-1\""), ("provision = \"art-2\"", "provision = \"art-1\"")]),
        "error: bad.toml:42:6: provision id \"art-1\" is used twice\n  help: provisions 1 and 2 both use it; ids must be unique",
    );
}

#[test]
fn phase_ending_before_it_starts() {
    one_error(
        &with(&[("end = 2025-11-24T12:00:00Z", "end = 2025-11-24T08:00:00Z")]),
        "error: bad.toml:62:7: phase \"signing\" ends at 2025-11-24T08:00:00Z but starts at 2025-11-24T09:00:00Z\n  \
         help: a phase must end after it starts",
    );
}

#[test]
fn overlapping_phases() {
    one_error(
        &with(&[("start = 2025-11-24T09:00:00Z", "start = 2025-11-23T17:00:00Z")]),
        "error: bad.toml:61:9: phase \"signing\" starts at 2025-11-23T17:00:00Z, before phase \"talks\" ends at \
         2025-11-23T18:00:00Z\n  help: phases may not overlap: end the earlier one sooner or start the later one later",
    );
}

#[test]
fn phases_out_of_order() {
    one_error(
        &with(&[(
            "start = 2025-11-24T09:00:00Z\nend = 2025-11-24T12:00:00Z",
            "start = 2025-11-20T09:00:00Z\nend = 2025-11-20T12:00:00Z",
        )]),
        "error: bad.toml:61:9: phase \"signing\" starts before phase \"talks\", which is listed before it\n  \
         help: list the phases in the order they happen",
    );
}

#[test]
fn unknown_key_names_the_allowed_keys() {
    one_error(
        &with(&[("heading = \"Armed forces\"", "headline = \"Armed forces\"")]),
        "error: bad.toml:44:1: unknown key `headline`\n  help: did you mean `heading`? allowed keys here: id, number, \
         heading, text, wording",
    );
}

#[test]
fn wording_missing_an_option() {
    one_error(
        &with(&[("withdraw = \"Forces withdraw.\"\n", "")]),
        "error: bad.toml:37:20: the wording of provision \"art-1\" for issue \"territory\" misses option withdraw\n  \
         help: every option needs a wording; add withdraw = \"…\"",
    );
}

#[test]
fn negative_weight() {
    one_error(
        &with(&[("army-cap = 1\n", "army-cap = -1\n")]),
        "error: bad.toml:70:12: the profile of \"a\" gives issue \"army-cap\" a negative weight (-1)\n  \
         help: weights are ≥ 0: how much the issue matters, not whether the party likes it",
    );
}

#[test]
fn all_zero_weights() {
    one_error(
        &with(&[("territory = 2\narmy-cap = 1\n", "territory = 0\narmy-cap = 0\n")]),
        "error: bad.toml:68:12: the profile of \"a\" gives every issue zero weight\n  \
         help: weights are divided by their sum; give at least one issue a positive weight",
    );
}

#[test]
fn step_not_dividing_the_range() {
    one_error(
        &with(&[("step = 50000", "step = 70000")]),
        "error: bad.toml:28:47: the step 70000 of issue \"army-cap\" does not divide its range 400000 to 1000000\n  \
         help: use step = 60000 or 75000 (divides the range 600000), or keep step = 70000 with max = 960000 or 1030000",
    );
}

#[test]
fn inverted_range() {
    one_error(
        &with(&[
            ("min = 400000, max = 1000000", "min = 1000000, max = 400000"),
            ("draft = 600000\n", ""),
            ("points = [[400000, 0.0], [1000000, 1.0]]", "points = [[400000, 0.0]]"),
            (
                "conditions = [{ issue = \"army-cap\", at_least = 600000 }]",
                "conditions = [{ issue = \"territory\", is = \"freeze\" }]",
            ),
        ]),
        "error: bad.toml:28:32: the range of issue \"army-cap\" is inverted: max 400000 is below min 1000000\n  \
         help: swap them: min = 400000, max = 1000000",
    );
}

#[test]
fn rating_above_one() {
    one_error(
        &with(&[("freeze = 1.0", "freeze = 1.5")]),
        "error: bad.toml:74:10: the rating of issue \"territory\" by \"a\" for option \"freeze\" is 1.5, outside 0–1\n  \
         help: ratings run from 0 (worst) to 1 (best)",
    );
}

#[test]
fn red_line_with_unknown_option() {
    one_error(
        &with(&[("is = [\"withdraw\"]", "is = [\"withdrawal\"]")]),
        "error: bad.toml:66:43: a red line of \"a\" names option \"withdrawal\" of issue \"territory\", which has no such \
         option; options: withdraw, freeze\n  help: did you mean \"withdraw\"?",
    );
}

#[test]
fn fewer_than_two_signatories() {
    one_error(
        &with(&[("name = \"B\"\nrole = \"signatory\"", "name = \"B\"\nrole = \"consulted\"")]),
        "error: bad.toml:5:3: the negotiation has one signatory (\"a\"); at least two are needed\n  \
         help: set role = \"signatory\" on each party whose consent the agreement needs",
    );
}

#[test]
fn no_mediator() {
    one_error(
        &with(&[("role = \"mediator\"", "role = \"observer\"")]),
        "error: bad.toml:5:3: the negotiation has no mediator\n  \
         help: add a [[party]] with role = \"mediator\": the mediator keeps the single negotiating text",
    );
}

#[test]
fn stance_for_unknown_provision() {
    one_error(
        &with(&[("provision = \"art-2\"", "provision = \"art-9\"")]),
        "error: bad.toml:81:13: stance 1 is on provision \"art-9\", which is not defined; defined provisions: art-1, art-2",
    );
}

#[test]
fn toml_syntax_error() {
    one_error(
        &with(&[("heading = \"Armed forces\"", "heading = \"Armed forces")]),
        "error: bad.toml:44:24: invalid TOML: invalid basic string, expected `\"`",
    );
}

#[test]
fn wrong_type() {
    one_error(
        &with(&[("reservation = 0.3", "reservation = \"low\"")]),
        "error: bad.toml:65:15: wrong type: expected a number, found string \"low\"",
    );
}

#[test]
fn unknown_role() {
    one_error(
        &with(&[("role = \"mediator\"", "role = \"mediatior\"")]),
        "error: bad.toml:8:8: unknown value \"mediatior\"\n  \
         help: did you mean \"mediator\"? expected one of: mediator, signatory, consulted, observer",
    );
}

#[test]
fn missing_required_key() {
    one_error(&with(&[("title = \"Army ceiling\"\n", "")]), "error: bad.toml:25:1: missing key `title` in [[issue]]");
}

#[test]
fn time_without_a_time_zone() {
    one_error(
        &with(&[("start = 2025-11-21T09:00:00Z", "start = 2025-11-21T09:00:00")]),
        "error: bad.toml:54:9: 2025-11-21T09:00:00 is not a full date and time with a time zone\n  \
         help: write e.g. 2025-11-21T09:00:00Z (UTC) or 2025-11-21T09:00:00+01:00",
    );
}

#[test]
fn time_outside_the_writable_years() {
    let source = with(&[("start = 2025-11-21T09:00:00Z", "start = 0000-01-01T00:30:00+01:00")]);
    one_error(
        &source,
        "error: bad.toml:54:9: 0000-01-01T00:30:00+01:00 is -0001-12-31T23:30:00Z in UTC, outside the years 0000–9999",
    );
}

#[test]
fn draft_outside_the_grid() {
    one_error(
        &with(&[("draft = 600000", "draft = 625000")]),
        "error: bad.toml:29:9: the draft of issue \"army-cap\" is 625000, which is not one of its values\n  \
         help: values: 400000 to 1000000 in steps of 50000",
    );
}

#[test]
fn invalid_identifier() {
    one_error(
        &with(&[("id = \"b\"", "id = \"Party B\"")]),
        "error: bad.toml:16:6: party 3 has id \"Party B\", which is not a valid identifier\n  \
         help: ids are 1–64 characters of lowercase letters, digits, '-', '_' and '.', starting with a letter or \
         digit; for example \"party-b\"",
    );
}

#[test]
fn acceptable_if_without_conditions() {
    one_error(
        &with(&[("conditions = [{ issue = \"army-cap\", at_least = 600000 }]\n", "")]),
        "error: bad.toml:79:1: the stance of \"a\" on \"art-2\" is acceptable_if, but lists no conditions\n  \
         help: add conditions = [{ issue = …, is = [...] }], or use position = \"acceptable\"",
    );
}

#[test]
fn bound_on_a_discrete_issue() {
    one_error(
        &with(&[("{ issue = \"territory\", is = [\"withdraw\"] }", "{ issue = \"territory\", at_least = 1 }")]),
        "error: bad.toml:66:48: a red line of \"a\" uses at_least/at_most on issue \"territory\", which is discrete\n  \
         help: name the options instead: is = [\"withdraw\", \"freeze\"]",
    );
}

#[test]
fn template_on_a_discrete_issue() {
    one_error(
        &with(&[("withdraw = \"Forces withdraw.\"\nfreeze = \"The line is frozen.\"", "template = \"{value}\"")]),
        "error: bad.toml:37:20: provision \"art-1\" gives a template for issue \"territory\", which is discrete\n  \
         help: give one wording per option instead: withdraw = \"…\", freeze = \"…\"",
    );
}

#[test]
fn three_defects_are_all_reported_in_file_order() {
    let source = with(&[
        ("role = \"mediator\"", "role = \"observer\""),
        ("freeze = 1.0", "freeze = 1.5"),
        ("text = \"{territory}\"", "text = \"{territory} {guarantees}\""),
    ]);
    let places: Vec<(usize, usize)> = errors(&source).diagnostics.iter().map(|d| (d.line, d.column)).collect();
    assert_eq!(places, vec![(5, 3), (35, 8), (74, 10)]);
}

#[test]
fn many_defects_are_capped_in_the_report() {
    let mut source = BASE.to_string();
    for i in 0..25 {
        source.push_str(&format!("\n[[stance]]\nparty = \"a\"\nprovision = \"art-x{i}\"\nposition = \"acceptable\"\n"));
    }
    let errors = errors(&source);
    assert_eq!(errors.diagnostics.len(), 25);
    let report = errors.report();
    assert_eq!(report.lines().filter(|l| l.starts_with("error: ")).count(), scenario::MAX_SHOWN);
    assert!(report.ends_with("… and 5 more\n"));
    let shown = errors.to_string();
    assert!(shown.starts_with("bad.toml:88:13: stance 2 is on provision \"art-x0\""), "{shown}");
}

#[test]
fn read_file_names_the_path_and_reports_missing_files() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("draft.toml");
    std::fs::write(&path, with(&[("freeze = 1.0", "freeze = 1.5")])).unwrap();
    match scenario::read_file(&path) {
        Err(ReadError::Invalid(errors)) => {
            assert_eq!(errors.diagnostics[0].file, path.display().to_string());
            assert_eq!((errors.diagnostics[0].line, errors.diagnostics[0].column), (74, 10));
        }
        other => panic!("expected diagnostics, got {other:?}"),
    }
    let missing = dir.path().join("missing.toml");
    let err = scenario::read_file(&missing).unwrap_err();
    assert!(matches!(err, ReadError::Io { .. }));
    assert!(err.to_string().starts_with(&format!("cannot read {}: ", missing.display())));
}

#[test]
fn an_issue_of_four_billion_values_names_the_limit_and_its_line() {
    one_error(
        &with(&[
            (
                "range = { min = 400000, max = 1000000, step = 50000, unit = \"troops\" }",
                "range = { min = 0, max = 4000000000, step = 1 }",
            ),
            ("draft = 600000\n", ""),
            ("points = [[400000, 0.0], [1000000, 1.0]]", "points = [[0, 0.0], [4000000000, 1.0]]"),
            ("at_least = 600000", "at_least = 6"),
        ]),
        "error: bad.toml:28:45: issue \"army-cap\" would have 4,000,000,001 values (0 to 4000000000 in steps of 1), \
         more than the limit of 100,000 per issue (limits::MAX_VALUES_PER_ISSUE)\n  help: use a step of at least 41000",
    );
}

#[test]
fn ten_thousand_issues_are_refused_with_the_limit() {
    let mut source = BASE.to_string();
    for k in 0..10_000 {
        source.push_str(&format!(
            "\n[[issue]]\nid = \"extra-{k}\"\ntitle = \"Extra {k}\"\noptions = [{{ id = \"a\", label = \"A\" }}, {{ id = \"b\", label = \"B\" }}]\n"
        ));
    }
    let errors = errors(&source);
    let printed: Vec<String> = errors.diagnostics.iter().map(Diagnostic::to_string).collect();
    assert_eq!(
        printed,
        vec![
            "error: bad.toml:20:3: the negotiation has 10,002 issues, more than the limit of 1,000 \
             (limits::MAX_ISSUES)\n  help: split it into smaller negotiations; nothing else was checked"
                .to_string()
        ]
    );
}
