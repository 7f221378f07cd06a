use proptest::prelude::*;

use super::*;

fn sample() -> DraftText {
    DraftText {
        provisions: vec![
            Provision {
                id: "art-1".into(),
                number: "1".into(),
                heading: "Ceasefire".into(),
                body: "The parties agree to a ceasefire along {territory}.\n\n@ and # are not directives here.".into(),
                wordings: vec![Wording {
                    issue: "territory".into(),
                    text: WordingText::PerOption(vec![
                        ("withdraw".into(), "the line of 1991".into()),
                        ("freeze".into(), "the \"current\" line".into()),
                    ]),
                }],
            },
            Provision {
                id: "art-1a".into(),
                number: "1a".into(),
                heading: String::new(),
                body: "The armed forces shall not exceed {army-cap}.".into(),
                wordings: vec![Wording {
                    issue: "army-cap".into(),
                    text: WordingText::Template("{value} {unit}".into()),
                }],
            },
        ],
        issues: vec![
            Issue {
                id: "territory".into(),
                title: "Territory".into(),
                kind: IssueKind::Discrete {
                    options: vec![
                        IssueOption { id: "withdraw".into(), label: "Withdrawal".into() },
                        IssueOption { id: "freeze".into(), label: "Freeze".into() },
                    ],
                },
                draft: Some(Value::Option("freeze".into())),
            },
            Issue {
                id: "army-cap".into(),
                title: "Army cap".into(),
                kind: IssueKind::Numeric(NumericRange {
                    min: 400_000.0,
                    max: 1_000_000.0,
                    step: 100_000.0,
                    integer: true,
                    unit: Some("troops".into()),
                }),
                draft: Some(Value::Number(600_000.0)),
            },
        ],
    }
}

#[test]
fn the_sample_reads_as_documented() {
    let text = write(&sample(), &["The working draft of a test.".into()]);
    insta::assert_snapshot!(text, @r#"
    @accord-draft 1
    # The working draft of a test.

    @provision art-1 1 "Ceasefire"
    The parties agree to a ceasefire along {territory}.

    \@ and # are not directives here.
    @wording territory withdraw "the line of 1991"
    @wording territory freeze "the \"current\" line"

    @provision art-1a 1a ""
    The armed forces shall not exceed {army-cap}.
    @template army-cap "{value} {unit}"

    @issue territory "Territory"
    @option withdraw "Withdrawal"
    @option freeze "Freeze"
    @draft freeze

    @issue army-cap "Army cap"
    @range 400000 1000000 100000 integer unit "troops"
    @draft 600000
    "#);
    assert_eq!(parse(&text).unwrap(), sample());
}

#[test]
fn hand_written_files_are_read_leniently_where_it_is_unambiguous() {
    let text = "# a comment before the header\n\n@accord-draft 1\n@provision p-1 \"5 a\" Heading\n\n  Body line one.\n# a comment inside the body is dropped\n\\# kept\n\n\n@issue x \"X\"\n@range 0 1 0.5\n@draft 0.5\n";
    let draft = parse(text).unwrap();
    assert_eq!(draft.provisions[0].number, "5 a");
    assert_eq!(draft.provisions[0].heading, "Heading");
    assert_eq!(draft.provisions[0].body, "  Body line one.\n# kept");
    assert_eq!(draft.issues[0].draft, Some(Value::Number(0.5)));
}

#[test]
fn every_error_names_its_line() {
    let cases: &[(&str, &str)] = &[
        ("", "line 1: the file must start with `@accord-draft 1`"),
        ("hello", "line 1: the file must start"),
        ("@accord-draft 1\nstray text", "line 2: text outside a provision"),
        ("@accord-draft 1\n@provision a 1", "line 2: expected `@provision ID NUMBER HEADING`"),
        ("@accord-draft 1\n@provision a 1 \"open", "line 2: a quoted string is not closed"),
        ("@accord-draft 1\n@provision a 1 \"x\\q\"", "line 2: unknown escape \\q"),
        ("@accord-draft 1\n@provision a 1 \"x\"y", "line 2: put a space after a quoted string"),
        ("@accord-draft 1\n@wording x y z", "line 2: `@wording` belongs under a `@provision`"),
        ("@accord-draft 1\n@option x y", "line 2: `@option` belongs under an `@issue`"),
        ("@accord-draft 1\n@provision a 1 h\nbody\n@wording x o t\nmore body", "line 5: text outside"),
        ("@accord-draft 1\n@issue x t\n@range 0 1 x", "line 3: the step \"x\" is not a finite number"),
        ("@accord-draft 1\n@issue x t\n@range 0 1 1 inf", "line 3: unexpected \"inf\""),
        (
            "@accord-draft 1\n@issue x t\n@option a b\n@range 0 1 1",
            "line 4: an issue has either `@option`s or one `@range`",
        ),
        ("@accord-draft 1\n@issue x t\n@range 0 1 1\n@draft many", "line 4: the draft value \"many\""),
        ("@accord-draft 1\n@issue x t\n@draft a\n@draft b", "line 4: an issue has at most one `@draft`"),
        ("@accord-draft 1\n@frobnicate", "line 2: unknown directive `@frobnicate`"),
        ("@accord-draft 1\n@accord-draft 1", "line 2: the header appears twice"),
    ];
    for (text, expected) in cases {
        let error = parse(text).unwrap_err().to_string();
        assert!(error.contains(expected), "{text:?}: {error:?} lacks {expected:?}");
    }
    let huge = "x".repeat(MAX_DRAFT_TEXT_BYTES + 1);
    assert!(matches!(parse(&huge), Err(DraftTextError::TooLarge { .. })));
}

fn any_text() -> impl Strategy<Value = String> {
    // Quotes, backslashes, escapes' letters, directive sigils, spaces and line breaks: the characters the format treats specially.
    proptest::string::string_regex("[a-z0-9 \"\\\\@#{}\\n\\r\\tnrt.é-]{0,24}").unwrap()
}

fn any_id() -> impl Strategy<Value = String> {
    proptest::string::string_regex("[a-z0-9][a-z0-9._-]{0,10}").unwrap()
}

fn any_number() -> impl Strategy<Value = f64> {
    prop_oneof![(-1_000_000i64..1_000_000).prop_map(|x| x as f64), -1e12f64..1e12, Just(0.1), Just(-0.0)]
}

fn any_wording() -> impl Strategy<Value = Wording> {
    (
        any_id(),
        prop_oneof![
            proptest::collection::vec((any_id(), any_text()), 0..4).prop_map(WordingText::PerOption),
            any_text().prop_map(WordingText::Template),
        ],
    )
        .prop_map(|(issue, text)| Wording { issue, text })
}

fn any_provision() -> impl Strategy<Value = Provision> {
    (
        any_id(),
        any_text(),
        any_text(),
        proptest::collection::vec(any_text(), 0..5),
        proptest::collection::vec(any_wording(), 0..4),
    )
        .prop_map(|(id, number, heading, lines, wordings)| Provision {
            id,
            number,
            heading,
            body: lines.join("\n"),
            wordings,
        })
}

fn any_issue() -> impl Strategy<Value = Issue> {
    let discrete = proptest::collection::vec((any_id(), any_text()), 0..5)
        .prop_map(|options| IssueKind::Discrete {
            options: options.into_iter().map(|(id, label)| IssueOption { id, label }).collect(),
        })
        .boxed();
    let numeric = (any_number(), any_number(), any_number(), any::<bool>(), proptest::option::of(any_text()))
        .prop_map(|(min, max, step, integer, unit)| IssueKind::Numeric(NumericRange { min, max, step, integer, unit }))
        .boxed();
    (any_id(), any_text(), prop_oneof![discrete, numeric], any::<bool>(), any_id(), any_number()).prop_map(
        |(id, title, kind, has_draft, option, x)| {
            let value = match &kind {
                IssueKind::Discrete { .. } => Value::Option(option),
                IssueKind::Numeric(_) => Value::Number(x),
            };
            let draft = has_draft.then_some(value);
            Issue { id, title, kind, draft }
        },
    )
}

fn any_draft() -> impl Strategy<Value = DraftText> {
    (proptest::collection::vec(any_provision(), 0..6), proptest::collection::vec(any_issue(), 0..4))
        .prop_map(|(provisions, issues)| DraftText { provisions, issues })
}

proptest! {
    /// Whatever the draft, its text form reads back as the draft (normalised as documented),
    /// and a normalised draft reads back exactly.
    #[test]
    fn the_text_form_round_trips(draft in any_draft(), comments in proptest::collection::vec(any_text(), 0..3)) {
        let text = write(&draft, &comments);
        let read = parse(&text).map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
        prop_assert_eq!(&read, &normalise(&draft), "{}", text);
        prop_assert_eq!(write(&read, &comments), text);
        prop_assert_eq!(normalise(&read), read);
    }

    /// Arbitrary text never panics the reader.
    #[test]
    fn any_text_is_read_or_refused(text in "(@accord-draft 1\n)?[ -~\n\"\\\\@#]{0,200}") {
        let _ = parse(&text);
    }
}
