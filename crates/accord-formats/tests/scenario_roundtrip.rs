//! `parse(to_toml(n)) == n` for random valid negotiations, and for the
//! examples shipped with the repository.

#![allow(clippy::unwrap_used)]

use accord_core::model::*;
use accord_core::validate::validate;
use accord_formats::scenario;
use chrono::{DateTime, Duration, Utc};
use proptest::prelude::*;

/// Draws values from the pools proptest generated, in order, cycling.
#[derive(Debug)]
struct Draw {
    texts: Vec<String>,
    ids: Vec<String>,
    units: Vec<f64>,
    choices: Vec<u32>,
    next: [usize; 4],
}

impl Draw {
    fn pick(&mut self, n: usize) -> usize {
        let c = self.choices[self.next[0] % self.choices.len()];
        self.next[0] += 1;
        c as usize % n.max(1)
    }
    fn between(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.pick(hi - lo + 1)
    }
    fn flip(&mut self) -> bool {
        self.pick(2) == 1
    }
    fn text(&mut self) -> String {
        let t = self.texts[self.next[1] % self.texts.len()].clone();
        self.next[1] += 1;
        t
    }
    fn non_empty_text(&mut self) -> String {
        let t = self.text();
        if t.trim().is_empty() { format!("T{t}x") } else { t }
    }
    /// A fresh id: a random stem made unique with a counter.
    fn id(&mut self) -> String {
        let stem = self.ids[self.next[2] % self.ids.len()].clone();
        self.next[2] += 1;
        format!("{stem}{}", self.next[2])
    }
    /// Keeps each item with probability ½.
    fn some<T, U>(&mut self, items: impl IntoIterator<Item = T>, mut f: impl FnMut(&mut Self, T) -> U) -> Vec<U> {
        let mut out = Vec::new();
        for item in items {
            if self.flip() {
                out.push(f(self, item));
            }
        }
        out
    }
    fn unit(&mut self) -> f64 {
        let x = self.units[self.next[3] % self.units.len()];
        self.next[3] += 1;
        x
    }
}

fn build(d: &mut Draw) -> Negotiation {
    let party_count = d.between(3, 5);
    let parties: Vec<Party> = (0..party_count)
        .map(|i| {
            let role = match i {
                0 => Role::Mediator,
                1 | 2 => Role::Signatory,
                _ => Role::ALL[d.pick(4)],
            };
            Party { id: d.id(), name: d.non_empty_text(), role }
        })
        .collect();

    let issue_count = d.between(1, 5);
    let issues: Vec<Issue> = (0..issue_count)
        .map(|_| {
            let kind = match d.pick(3) {
                0 => IssueKind::Discrete {
                    options: (0..d.between(1, 4)).map(|_| IssueOption { id: d.id(), label: d.text() }).collect(),
                },
                1 => {
                    let step = d.between(1, 100) as f64;
                    let min = d.between(0, 2000) as f64 - 1000.0;
                    let max = min + d.between(1, 20) as f64 * step;
                    let unit = d.flip().then(|| d.text());
                    IssueKind::Numeric(NumericRange { min, max, step, integer: true, unit })
                }
                _ => {
                    let step = [0.1, 0.25, 0.5, 1.5, 2.0][d.pick(5)];
                    let min = (d.between(0, 40) as f64 - 20.0) / 10.0;
                    let max = min + d.between(1, 20) as f64 * step;
                    let unit = d.flip().then(|| d.text());
                    IssueKind::Numeric(NumericRange { min, max, step, integer: false, unit })
                }
            };
            let mut issue = Issue { id: d.id(), title: d.non_empty_text(), kind, draft: None };
            if d.flip() {
                let index = d.pick(issue.value_count());
                issue.draft = issue.value_at(index);
            }
            issue
        })
        .collect();

    let provisions: Vec<Provision> = (0..d.between(1, 5))
        .map(|_| {
            let mut body = d.text().replace('{', "{{").replace('}', "}}");
            let mut wordings = Vec::new();
            for issue in &issues {
                if !d.flip() {
                    continue;
                }
                body.push_str(&format!("{{{}}}{}", issue.id, d.text().replace('{', "{{").replace('}', "}}")));
                let text = match &issue.kind {
                    IssueKind::Discrete { options } => {
                        let mut texts: Vec<(String, String)> =
                            options.iter().map(|o| (o.id.clone(), d.text())).collect();
                        if d.flip() {
                            texts.reverse();
                        }
                        WordingText::PerOption(texts)
                    }
                    IssueKind::Numeric(_) => {
                        WordingText::Template(format!("{}{{value}} {{unit}}", d.text().replace(['{', '}'], "")))
                    }
                };
                wordings.push(Wording { issue: issue.id.clone(), text });
            }
            let heading = if d.flip() { String::new() } else { d.text() };
            Provision { id: d.id(), number: format!("{}", d.between(1, 99)), heading, body, wordings }
        })
        .collect();

    let condition = |d: &mut Draw| {
        let issue = &issues[d.pick(issues.len())];
        let test = match &issue.kind {
            IssueKind::Discrete { options } => {
                let mut ids: Vec<String> = d.some(options, |_, o| o.id.clone());
                if ids.is_empty() {
                    ids.push(options[d.pick(options.len())].id.clone());
                }
                Test::OneOf(ids)
            }
            IssueKind::Numeric(range) => {
                let n = range.len().unwrap();
                match d.pick(3) {
                    0 => Test::OneOf(vec![format_plain_number(range.value_at(d.pick(n)))]),
                    1 => Test::Range { min: Some(range.value_at(d.pick(n))), max: None },
                    _ => {
                        let a = d.pick(n);
                        let b = a + d.pick(n - a);
                        Test::Range { min: Some(range.value_at(a)), max: Some(range.value_at(b)) }
                    }
                }
            }
        };
        Condition { issue: issue.id.clone(), test }
    };

    let constraints: Vec<Constraint> = (0..d.between(0, 2))
        .map(|_| Constraint {
            id: d.id(),
            description: d.flip().then(|| d.text()),
            when: (0..d.between(0, 2)).map(|_| condition(d)).collect(),
            then: (0..d.between(1, 2)).map(|_| condition(d)).collect(),
        })
        .collect();

    let mut clock: DateTime<Utc> = DateTime::from_timestamp(1_760_000_000, 0).unwrap();
    let phases: Vec<Phase> = (0..d.between(0, 3))
        .map(|_| {
            clock += Duration::milliseconds(d.between(0, 5_000_000) as i64);
            let start = clock;
            clock += Duration::milliseconds(d.between(1, 90_000_000) as i64);
            let kinds = [PhaseKind::Consultation, PhaseKind::Drafting, PhaseKind::FinalSession, PhaseKind::Signing];
            Phase { id: d.id(), name: d.non_empty_text(), kind: kinds[d.pick(4)], start, end: clock }
        })
        .collect();

    let holders: Vec<String> =
        parties.iter().filter(|p| matches!(p.role, Role::Signatory | Role::Consulted)).map(|p| p.id.clone()).collect();
    let profiles: Vec<Profile> = d.some(&holders, |d, party| {
        let mut weights: Vec<(String, f64)> =
            d.some(&issues, |d, i| (i.id.clone(), [0.0, 1.0, 2.5, 30.0, 0.125][d.pick(5)]));
        if weights.iter().all(|(_, w)| *w == 0.0) {
            let positive = 1.0 + d.unit();
            match weights.iter_mut().find(|(id, _)| *id == issues[0].id) {
                Some(entry) => entry.1 = positive,
                None => weights.push((issues[0].id.clone(), positive)),
            }
        }
        let ratings = d.some(&issues, |d, issue| {
            let rating = match &issue.kind {
                IssueKind::Discrete { options } => Rating::Table(d.some(options, |d, o| (o.id.clone(), d.unit()))),
                IssueKind::Numeric(range) => {
                    let n = range.len().unwrap();
                    match d.pick(3) {
                        0 => {
                            let mut xs: Vec<f64> = (0..d.between(1, 3)).map(|_| range.value_at(d.pick(n))).collect();
                            xs.sort_by(f64::total_cmp);
                            Rating::Piecewise(xs.into_iter().map(|x| (x, d.unit())).collect())
                        }
                        1 => Rating::Linear {
                            offset: d.unit(),
                            slope: d.unit() - 0.5,
                            origin: range.value_at(d.pick(n)),
                        },
                        _ => Rating::Table(d.some(0..n, |d, k| (format_plain_number(range.value_at(k)), d.unit()))),
                    }
                }
            };
            (issue.id.clone(), rating)
        });
        Profile {
            party: party.clone(),
            illustrative: d.flip(),
            weighting: if d.flip() { Weighting::Normalised } else { Weighting::AsWritten },
            weights,
            ratings,
            red_lines: (0..d.between(0, 2)).map(|_| condition(d)).collect(),
            reservation: d.unit(),
            discount_factor: d.flip().then(|| d.unit()),
        }
    });

    let mut stances = Vec::new();
    for party in &holders {
        for provision in &provisions {
            if d.pick(3) != 0 {
                continue;
            }
            let position = match d.pick(3) {
                0 => Position::Acceptable,
                1 => Position::Unacceptable,
                _ => Position::AcceptableIf { conditions: (0..d.between(1, 2)).map(|_| condition(d)).collect() },
            };
            stances.push(Stance {
                party: party.clone(),
                provision: provision.id.clone(),
                position,
                reason: d.flip().then(|| d.text()),
                pin: None,
            });
        }
    }

    Negotiation {
        id: d.id(),
        title: d.non_empty_text(),
        description: if d.flip() { String::new() } else { d.text() },
        parties,
        issues,
        provisions,
        constraints,
        timetable: Timetable { phases },
        profiles,
        stances,
        privacy: Default::default(),
    }
}

fn draws() -> impl Strategy<Value = Draw> {
    (
        prop::collection::vec("[ -~\\n\\t\\r\"'\\\\é✓\u{7f}]{0,24}", 1..30),
        prop::collection::vec("[a-z0-9][a-z0-9._-]{0,6}", 1..20),
        prop::collection::vec(0.0f64..=1.0, 1..30),
        prop::collection::vec(any::<u32>(), 1..200),
    )
        .prop_map(|(texts, ids, units, choices)| Draw { texts, ids, units, choices, next: [0; 4] })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn written_scenarios_read_back_unchanged(mut draw in draws()) {
        let negotiation = build(&mut draw);
        let problems = validate(&negotiation);
        prop_assert!(problems.is_empty(), "the generator made an invalid negotiation: {problems:#?}");
        let written = scenario::to_toml(&negotiation);
        let read = scenario::parse(&written, "generated.toml");
        prop_assert!(read.is_ok(), "cannot read back:\n{}\n--- file ---\n{written}", read.unwrap_err().report());
        prop_assert_eq!(read.unwrap(), negotiation, "file:\n{}", written);
    }

    #[test]
    fn parsing_arbitrary_text_never_panics(text in "\\PC{0,400}") {
        let _ = scenario::parse(&text, "any.toml");
    }

    #[test]
    fn mutated_valid_files_give_located_errors_or_models(mut draw in draws(), cut in any::<prop::sample::Index>(), insert in "[\\[\\]{}=\"#\\n a-z0-9.,-]{0,6}") {
        let written = scenario::to_toml(&build(&mut draw));
        let mut at = cut.index(written.len() + 1);
        while !written.is_char_boundary(at) {
            at -= 1;
        }
        let mutated = format!("{}{insert}{}", &written[..at], &written[at..]);
        if let Err(errors) = scenario::parse(&mutated, "m.toml") {
            prop_assert!(!errors.diagnostics.is_empty());
            let lines = mutated.lines().count().max(1) + 1;
            for diagnostic in &errors.diagnostics {
                prop_assert!(diagnostic.line >= 1 && diagnostic.line <= lines, "{diagnostic} outside the file");
                prop_assert!(diagnostic.column >= 1);
            }
        }
    }
}

#[test]
fn examples_read_back_unchanged() {
    let examples = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples");
    let fixture = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/harbour.toml");
    let mut files: Vec<_> = std::fs::read_dir(&examples)
        .map(|dir| {
            dir.filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|e| e == "toml"))
                .collect()
        })
        .unwrap_or_default();
    files.push(fixture);
    for path in files {
        let negotiation = match scenario::read_file(&path) {
            Ok(n) => n,
            Err(e) => panic!("{e}"),
        };
        let again = scenario::parse(&scenario::to_toml(&negotiation), "written.toml").unwrap();
        assert_eq!(again, negotiation, "{} does not survive writing", path.display());
    }
}

#[test]
fn large_integer_ranges_stay_integer_ranges() {
    let fixture = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/harbour.toml")).unwrap();
    let source = fixture
        .replace(
            "range = { min = 2, max = 10, step = 2, unit = \"berths\" }\ndraft = 4",
            "range = { min = 10000000000000000, max = 10000000000000100, step = 20, unit = \"berths\" }",
        )
        .replace("points = [[2, 1.0], [10, 0.0]]", "points = [[10000000000000000, 1.0]]");
    let n = scenario::parse(&source, "large.toml").unwrap();
    let IssueKind::Numeric(range) = &n.issues[0].kind else { panic!("berths is numeric") };
    assert!(range.integer);
    let written = scenario::to_toml(&n);
    assert!(written.contains("range = { min = 10000000000000000, max = 10000000000000100, step = 20"), "{written}");
    assert_eq!(scenario::parse(&written, "again.toml").unwrap(), n);
}

#[test]
fn the_privacy_table_is_read_written_and_checked() {
    let fixture = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/harbour.toml")).unwrap();
    let plain = scenario::parse(&fixture, "harbour.toml").unwrap();
    assert_eq!(plain.privacy, accord_core::Privacy::default());
    assert!(!scenario::to_toml(&plain).contains("[privacy]"), "a default setting is not written");
    let blind = format!("{fixture}\n[privacy]\nblind_mediation = true\ncount_threshold = 3\n");
    let negotiation = scenario::parse(&blind, "blind.toml").unwrap();
    assert_eq!(
        negotiation.privacy,
        accord_core::Privacy { blind_mediation: true, count_threshold: 3, ..Default::default() }
    );
    let again = scenario::parse(&scenario::to_toml(&negotiation), "written.toml").unwrap();
    assert_eq!(again, negotiation);
    let misspelt = format!("{fixture}\n[privacy]\nblind = true\n");
    assert!(scenario::parse(&misspelt, "misspelt.toml").is_err(), "an unknown setting is refused");
}
