use proptest::prelude::*;

use super::*;

fn markdown(source: &str) -> ImportedText {
    read(source.as_bytes(), DocumentFormat::Markdown).unwrap()
}

fn plain(source: &str) -> ImportedText {
    read(source.as_bytes(), DocumentFormat::PlainText).unwrap()
}

#[test]
fn numbers_are_read_as_printed() {
    for (text, number, rest) in [
        ("5. Text", "5", "Text"),
        ("5) Text", "5", "Text"),
        ("12a. Inserted", "12a", "Inserted"),
        ("5.2 Sub", "5.2", "Sub"),
        ("5.2. Sub", "5.2", "Sub"),
        ("Article 7 — Guarantees", "7", "Guarantees"),
        ("ARTICLE 7: Guarantees", "7", "Guarantees"),
        ("Art. 3. Scope", "3", "Scope"),
        ("§ 4 Definitions", "4", "Definitions"),
        ("Point 9", "9", ""),
    ] {
        let (n, r) = leading_number(text).unwrap_or_else(|| panic!("{text}"));
        assert_eq!((n.as_str(), r), (number, rest), "{text}");
    }
    for text in ["2026 was a hard year.", "5", "5.Text", "Articles of faith", "12345. Too long", "a) sub-point", ""] {
        assert!(leading_number(text).is_none(), "{text}");
    }
}

#[test]
fn the_example_plan_has_twenty_eight_points_with_headings() {
    let source = include_str!("../../../../examples/peace-plan-28.md");
    let text = markdown(source);
    assert_eq!(text.title.as_deref(), Some("Framework Plan for Peace: Draft of Twenty-Eight Points"));
    assert_eq!(text.provisions.len(), 28, "{:#?}", text.provisions.iter().map(|p| &p.number).collect::<Vec<_>>());
    let numbers: Vec<String> = text.provisions.iter().map(|p| p.number.clone()).collect();
    let expected: Vec<String> = (1..=28).map(|n| n.to_string()).collect();
    assert_eq!(numbers, expected);
    assert_eq!(text.provisions[0].id, "p-1");
    assert_eq!(text.provisions[0].heading, "Sovereignty");
    assert!(
        text.provisions[0].body.starts_with("The sovereignty of Ukraine is confirmed."),
        "{}",
        text.provisions[0].body
    );
    assert_eq!(text.provisions[27].heading, "Entry into force");
    // Sub-points stay with their point, each on a line.
    let territory = &text.provisions[20];
    assert_eq!(territory.heading, "Territory");
    assert!(territory.body.contains("\n- the line of contact is not changed by force;"), "{}", territory.body);
    assert!(text.description.contains("Nothing in this plan is agreed until everything is agreed."));
    assert!(text.notes.is_empty(), "{:?}", text.notes);
}

#[test]
fn the_imported_plan_is_a_valid_scenario_once_it_has_parties() {
    use accord_core::{Party, Role};
    let source = include_str!("../../../../examples/peace-plan-28.md");
    let parties = vec![
        Party { id: "mediator".into(), name: "Mediator".into(), role: Role::Mediator },
        Party { id: "a".into(), name: "Party A".into(), role: Role::Signatory },
        Party { id: "b".into(), name: "Party B".into(), role: Role::Signatory },
    ];
    let negotiation = markdown(source).into_negotiation("plan", "plan", parties);
    let toml = crate::scenario::to_toml(&negotiation);
    let back = crate::scenario::parse(&toml, "plan.toml").unwrap_or_else(|e| panic!("{}\n{toml}", e.report()));
    assert_eq!(back, negotiation);
}

#[test]
fn plain_text_joins_wrapped_lines_and_keeps_sub_points() {
    let text = plain(
        "A Plan\n\nThe parties agree:\n\n1. First point,\nwrapped here.\n2. Second point:\na) one;\nb) two.\n\nMore of the second point.\n3. Third.\n",
    );
    assert_eq!(text.title.as_deref(), Some("A Plan"));
    assert_eq!(text.description, "The parties agree:");
    let bodies: Vec<&str> = text.provisions.iter().map(|p| p.body.as_str()).collect();
    assert_eq!(
        bodies,
        ["First point, wrapped here.", "Second point:\na) one;\nb) two.\n\nMore of the second point.", "Third."]
    );
}

#[test]
fn headings_with_numbers_start_provisions_and_others_are_reported() {
    let text = markdown(
        "# Agreement\n\nPreamble.\n\n## Article 1 — Scope\n\nIt applies.\n\n## Part Two\n\n## Article 2 — Term\n\nIt runs {for a year}.\n",
    );
    assert_eq!(text.provisions.len(), 2);
    assert_eq!((text.provisions[0].number.as_str(), text.provisions[0].heading.as_str()), ("1", "Scope"));
    assert_eq!(text.provisions[0].body, "It applies.");
    // Braces are text, not slots.
    assert_eq!(text.provisions[1].body, "It runs {{for a year}}.");
    assert_eq!(text.notes.len(), 1, "{:?}", text.notes);
    assert!(text.notes[0].contains("Part Two") && text.notes[0].starts_with("line 9"), "{:?}", text.notes);
}

#[test]
fn repeated_and_skipped_numbers_are_noted_and_ids_stay_unique() {
    let text = plain("1. One.\n2. Two.\n2. Two again.\n5. Five.\n");
    let ids: Vec<&str> = text.provisions.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(ids, ["p-1", "p-2", "p-2-2", "p-5"]);
    assert_eq!(text.notes.len(), 2, "{:?}", text.notes);
    assert!(text.notes.iter().any(|n| n.contains("used twice")));
    assert!(text.notes.iter().any(|n| n.contains("point 5 follows point 2")));
}

#[test]
fn refusals_say_what_to_do() {
    assert_eq!(read(b"Just prose.\n\nNo numbers.", DocumentFormat::PlainText), Err(DocumentError::NoProvisions));
    assert!(matches!(read(&[0x31, 0x2e, 0x20, 0xff], DocumentFormat::Markdown), Err(DocumentError::NotUtf8 { at: 3 })));
    let huge = vec![b'a'; MAX_DOCUMENT_BYTES + 1];
    assert!(matches!(read(&huge, DocumentFormat::PlainText), Err(DocumentError::TooLarge { .. })));
    let long = format!("1. {}\n", "word ".repeat(MAX_PROVISION_TEXT_BYTES / 4));
    let error = read(long.as_bytes(), DocumentFormat::PlainText).unwrap_err();
    assert!(error.to_string().starts_with("line 1: provision 1 has"), "{error}");
    assert!(matches!(read(b"not a zip", DocumentFormat::Docx), Err(DocumentError::Docx { .. })));
    let many: String = (1..=MAX_PROVISIONS + 1).map(|n| format!("{n}. P.\n")).collect();
    assert!(matches!(read(many.as_bytes(), DocumentFormat::PlainText), Err(DocumentError::TooManyProvisions { .. })));
}

#[test]
fn formats_come_from_extensions() {
    assert_eq!(DocumentFormat::from_file_name("plan.MD"), Some(DocumentFormat::Markdown));
    assert_eq!(DocumentFormat::from_file_name("plan.txt"), Some(DocumentFormat::PlainText));
    assert_eq!(DocumentFormat::from_file_name("dir.v2/plan.docx"), Some(DocumentFormat::Docx));
    assert_eq!(DocumentFormat::from_file_name("plan.pdf"), None);
    assert_eq!(DocumentFormat::from_file_name("plan"), None);
}

proptest! {
    /// Whatever the text, reading never panics, and every provision it
    /// returns has a unique id and a body that parses as slot-free text.
    #[test]
    fn any_text_reads_to_well_formed_provisions(source in "(?s)[0-9a-z .)\\-#*{}\n§]{0,400}") {
        for format in [DocumentFormat::Markdown, DocumentFormat::PlainText] {
            if let Ok(text) = read(source.as_bytes(), format) {
                let mut ids: Vec<&str> = text.provisions.iter().map(|p| p.id.as_str()).collect();
                ids.sort_unstable();
                ids.dedup();
                prop_assert_eq!(ids.len(), text.provisions.len());
                for provision in &text.provisions {
                    let segments = accord_core::text::parse_body(&provision.body);
                    prop_assert!(segments.is_ok(), "{:?}", provision.body);
                    prop_assert!(segments.unwrap().iter().all(|s| matches!(s, accord_core::text::Segment::Text(_))));
                }
            }
        }
    }

    /// Numbered points written in plain text come back in order, with their numbers.
    #[test]
    fn numbered_points_round_trip(bodies in proptest::collection::vec("[A-Za-z][a-z ,]{0,40}[a-z.]", 1..30)) {
        let source: String = bodies.iter().enumerate().map(|(i, b)| format!("{}. {b}\n", i + 1)).collect();
        let text = read(source.as_bytes(), DocumentFormat::PlainText).unwrap();
        let numbers: Vec<String> = text.provisions.iter().map(|p| p.number.clone()).collect();
        let expected: Vec<String> = (1..=bodies.len()).map(|n| n.to_string()).collect();
        prop_assert_eq!(numbers, expected);
        let got: Vec<String> = text.provisions.iter().map(|p| p.body.clone()).collect();
        let want: Vec<String> = bodies.iter().map(|b| b.trim().to_string()).collect();
        prop_assert_eq!(got, want);
    }
}

/// `plan.docx` was written by python-docx (`tests/data/make-plan-docx.py`),
/// with Word's list numbering held in the styles, as Word itself does.
#[test]
fn a_docx_written_by_another_tool_reads_into_points() {
    let bytes = include_bytes!("../../tests/data/plan.docx");
    let text = read(bytes, DocumentFormat::Docx).unwrap();
    assert_eq!(text.title.as_deref(), Some("Framework Plan for Peace"));
    assert_eq!(text.description, "The parties accept the following points as the basis of a final agreement.");
    let bodies: Vec<(&str, &str)> = text.provisions.iter().map(|p| (p.number.as_str(), p.body.as_str())).collect();
    assert_eq!(
        bodies,
        [
            ("1", "The sovereignty of Ukraine is confirmed."),
            ("2", "All hostilities cease within 72 hours of signature."),
            ("3", "An international mission monitors the {{cessation}} of hostilities."),
            (
                "4",
                "Pending a settlement:\n- the line of contact is not changed by force;\n- no change of territory made by force is recognised."
            ),
            ("5", "This plan enters into force on signature."),
        ]
    );
    assert_eq!(text.notes.len(), 1, "{:?}", text.notes);
    assert!(text.notes[0].contains("Final provisions"), "{:?}", text.notes);
}

#[test]
fn a_docx_that_would_unpack_to_too_much_is_refused_before_reading() {
    use std::io::Write as _;
    let mut zipped = Vec::new();
    {
        let mut writer = zip::ZipWriter::new(std::io::Cursor::new(&mut zipped));
        let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
        writer.start_file("word/document.xml", options).unwrap();
        let zeros = vec![0u8; 1024 * 1024];
        for _ in 0..(MAX_DOCX_UNPACKED_BYTES / (1024 * 1024) + 1) {
            writer.write_all(&zeros).unwrap();
        }
        writer.finish().unwrap();
    }
    assert!(zipped.len() < 1024 * 1024, "a small file: {} bytes", zipped.len());
    let error = read(&zipped, DocumentFormat::Docx).unwrap_err();
    assert!(error.to_string().contains("would unpack to"), "{error}");
}

#[test]
fn party_lines_read_roles_and_make_unique_ids() {
    let parties = parse_party_lines(
        "mediator: UN Envoy\n\nsignatory: Republic of A\nSignatory : Republic of A\nconsulted: Allies",
    )
    .unwrap();
    let ids: Vec<&str> = parties.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(ids, ["un-envoy", "republic-of-a", "republic-of-a-2", "allies"]);
    assert_eq!(parties[1].role, Role::Signatory);
    assert_eq!(parties[3].role, Role::Consulted);
    assert_eq!(parties[0].name, "UN Envoy");
}

#[test]
fn party_lines_name_the_line_at_fault() {
    assert_eq!(parse_party_lines("mediator: M\nParty B"), Err(PartyLinesError::Shape { line: 2 }));
    assert_eq!(parse_party_lines("king: X"), Err(PartyLinesError::UnknownRole { line: 1, role: "king".into() }));
    assert_eq!(parse_party_lines("\nsignatory:  "), Err(PartyLinesError::EmptyName { line: 2 }));
    let many: String = (0..=accord_core::limits::MAX_PARTIES).map(|i| format!("observer: P{i}\n")).collect();
    assert!(matches!(parse_party_lines(&many), Err(PartyLinesError::TooMany { .. })));
}

#[test]
fn no_party_lines_give_the_stand_ins() {
    assert_eq!(parse_party_lines(" \n\n").unwrap(), stand_in_parties());
}

#[test]
fn slugs_are_short_lowercase_ids() {
    assert_eq!(slug("Peace Plan (28 points)", "x"), "peace-plan-28-points");
    assert_eq!(slug("—", "fallback"), "fallback");
    assert!(slug(&"a".repeat(100), "x").len() <= 40);
}
