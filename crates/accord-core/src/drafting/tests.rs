#![allow(clippy::unwrap_used)]

use chrono::TimeZone;
use proptest::prelude::*;

use super::*;
use crate::event::Comment;
use crate::model::{Negotiation, Party, Position, Role, Stance, Timetable};

fn provision(id: &str, number: &str, body: &str) -> Provision {
    Provision {
        id: id.into(),
        number: number.into(),
        heading: format!("Heading {id}"),
        body: body.into(),
        wordings: Vec::new(),
    }
}

fn army_wording() -> Wording {
    Wording {
        issue: "army".into(),
        text: WordingText::PerOption(vec![
            ("small".into(), "a small army".into()),
            ("large".into(), "a large army".into()),
        ]),
    }
}

/// A text of three provisions, one bracketed; ua's stances and comments on it.
fn state() -> State {
    let negotiation = Negotiation {
        id: "peace".into(),
        title: "Peace".into(),
        description: String::new(),
        parties: vec![
            Party { id: "un".into(), name: "UN".into(), role: Role::Mediator },
            Party { id: "ua".into(), name: "UA".into(), role: Role::Signatory },
            Party { id: "ru".into(), name: "RU".into(), role: Role::Signatory },
        ],
        issues: vec![Issue {
            id: "army".into(),
            title: "Army".into(),
            kind: IssueKind::Discrete {
                options: vec![
                    IssueOption { id: "small".into(), label: "Small".into() },
                    IssueOption { id: "large".into(), label: "Large".into() },
                ],
            },
            draft: None,
        }],
        provisions: vec![
            provision("art-1", "1", "All hostilities cease. The parties withdraw their forces."),
            Provision {
                wordings: vec![army_wording()],
                ..provision("art-2", "2", "Each party keeps {army}. No more.")
            },
            provision("art-3", "3", "Elections are held within a year."),
        ],
        constraints: Vec::new(),
        timetable: Timetable::default(),
        profiles: Vec::new(),
        stances: Vec::new(),
        privacy: Default::default(),
    };
    let mut state = State::genesis(&event(0, Payload::Created { negotiation, creator_party: "un".into() })).unwrap();
    for payload in [
        Payload::StanceRecorded { stance: stance("ua", "art-1", Position::Acceptable) },
        Payload::StanceRecorded { stance: stance("ua", "art-3", Position::Unacceptable) },
        Payload::StanceRecorded { stance: stance("ru", "art-3", Position::Acceptable) },
        Payload::CommentAdded { comment: comment("c1", "art-1", "The parties withdraw") },
        Payload::CommentAdded { comment: comment("c2", "art-3", "within a year") },
    ] {
        state.apply(&event(state.size, payload)).unwrap();
    }
    state
}

fn stance(party: &str, provision: &str, position: Position) -> Stance {
    Stance { party: party.into(), provision: provision.into(), position, reason: None, pin: None }
}

fn comment(id: &str, provision: &str, quote: &str) -> Comment {
    Comment {
        id: id.into(),
        party: "ua".into(),
        provision: provision.into(),
        quote: quote.into(),
        text: "note".into(),
        private: false,
    }
}

fn event(position: u64, payload: Payload) -> Event {
    let at = Utc.with_ymd_and_hms(2026, 3, 1, 9, 0, 0).single().unwrap();
    Event {
        position,
        actor: Actor::Account { account: "acc".into(), party: Some("un".into()) },
        at,
        payload,
        salt: None,
    }
}

/// Plans `edits` and writes them through [`State::plan`], as the server does.
fn edited(state: &State, edits: &[DraftEdit]) -> Result<State, String> {
    let payloads = plan_edits(state, edits).map_err(|e| e.to_string())?;
    let actor = Actor::Account { account: "acc".into(), party: Some("un".into()) };
    let now = Utc.with_ymd_and_hms(2026, 3, 1, 10, 0, 0).single().unwrap();
    let mut salt = || Ok("00".to_string());
    let plan = state.plan(&actor, payloads, now, &mut salt).map_err(|e| e.to_string())?;
    Ok(plan.state().clone())
}

fn ids(state: &State) -> Vec<(&str, &str)> {
    state.negotiation.provisions.iter().map(|p| (p.id.as_str(), p.number.as_str())).collect()
}

fn body<'a>(state: &'a State, id: &str) -> &'a str {
    &state.negotiation.provision(id).unwrap().body
}

fn changes(state: &State, id: &str) -> Vec<&'static str> {
    state.lineage_of(id).map(|r| r.change.as_str()).collect()
}

fn edit_error(state: &State, edits: &[DraftEdit]) -> (usize, Option<String>, String, String) {
    match plan_edits(state, edits) {
        Err(DraftError::Edit { index, provision, field, message, .. }) => (index, provision, field, message),
        other => panic!("expected an edit error, got {other:?}"),
    }
}

#[test]
fn the_wire_form_is_tagged_by_op() {
    let edit: DraftEdit =
        serde_json::from_str(r#"{"op": "split_provision", "provision": "art-1", "at": "The parties"}"#).unwrap();
    assert_eq!(
        edit,
        DraftEdit::SplitProvision { provision: "art-1".into(), at: "The parties".into(), id: None, heading: None }
    );
    assert_eq!(serde_json::to_string(&DraftEdit::Renumber).unwrap(), r#"{"op":"renumber"}"#);
    assert!(
        serde_json::from_str::<DraftEdit>(r#"{"op": "remove_provision", "provision": "art-1", "force": true}"#)
            .is_err(),
        "unknown fields are refused"
    );
}

#[test]
fn setting_a_provision_rewords_it_and_records_a_renaming() {
    let state = state();
    let edit = DraftEdit::SetProvision {
        provision: "art-3".into(),
        heading: Some("Elections".into()),
        body: Some("Elections are held.".into()),
        wordings: None,
    };
    let after = edited(&state, &[edit]).unwrap();
    assert_eq!(body(&after, "art-3"), "Elections are held.");
    assert_eq!(changes(&after, "art-3"), ["renamed"]);
    let unchanged_heading = DraftEdit::SetProvision {
        provision: "art-1".into(),
        heading: None,
        body: Some("Peace.".into()),
        wordings: None,
    };
    assert_eq!(changes(&edited(&state, &[unchanged_heading]).unwrap(), "art-1"), ["kept"]);
    let broken = DraftEdit::SetProvision {
        provision: "art-1".into(),
        heading: None,
        body: Some("A {slot".into()),
        wordings: None,
    };
    let (index, provision, field, message) = edit_error(&state, &[broken]);
    assert_eq!((index, provision.as_deref(), field.as_str()), (0, Some("art-1"), "body"));
    assert!(message.contains("unclosed slot"), "{message}");
    let unknown_slot = DraftEdit::SetProvision {
        provision: "art-1".into(),
        heading: None,
        body: Some("A {navy}.".into()),
        wordings: None,
    };
    let refused = edited(&state, &[unknown_slot]).unwrap_err();
    assert!(refused.contains("navy"), "validation still judges the body: {refused}");
}

#[test]
fn inserted_provisions_are_numbered_between_their_neighbours() {
    let state = state();
    let add = |after: Option<&str>, id: Option<&str>| DraftEdit::AddProvision {
        after: after.map(str::to_string),
        id: id.map(str::to_string),
        heading: "New".into(),
        body: "New text.".into(),
        wordings: Vec::new(),
    };
    let after = edited(
        &state,
        &[add(Some("art-1"), None), add(Some("art-1"), None), add(None, Some("preamble")), add(Some("art-3"), None)],
    )
    .unwrap();
    assert_eq!(
        ids(&after),
        [
            ("preamble", "0"),
            ("art-1", "1"),
            ("art-1za", "1za"),
            ("art-1a", "1a"),
            ("art-2", "2"),
            ("art-3", "3"),
            ("art-4", "4")
        ]
    );
    assert_eq!(changes(&after, "art-1a"), ["added"]);
    // Ids are permanent: a removed provision's id is not given again.
    let removed = edited(&state, &[DraftEdit::RemoveProvision { provision: "art-3".into() }]).unwrap();
    let (_, _, field, message) = edit_error(&removed, &[add(Some("art-2"), Some("art-3"))]);
    assert_eq!(field, "id");
    assert!(message.contains("never reused"), "{message}");
    let regenerated = edited(&removed, &[add(Some("art-2"), None)]).unwrap();
    assert_eq!(ids(&regenerated).last(), Some(&("art-3-2", "3")));
}

#[test]
fn removing_moving_and_renumbering() {
    let state = state();
    let after = edited(&state, &[DraftEdit::RemoveProvision { provision: "art-1".into() }]).unwrap();
    assert_eq!(ids(&after), [("art-2", "2"), ("art-3", "3")]);
    assert_eq!(changes(&after, "art-1"), ["removed"]);
    assert!(after.is_retired("art-1"));
    assert_eq!(after.successors("art-1"), Vec::<String>::new());

    let moved =
        edited(&state, &[DraftEdit::MoveProvision { provision: "art-3".into(), after: Some("art-1".into()) }]).unwrap();
    assert_eq!(ids(&moved), [("art-1", "1"), ("art-3", "1a"), ("art-2", "2")]);
    assert_eq!(changes(&moved, "art-3"), ["moved"]);
    let to_start = edited(&state, &[DraftEdit::MoveProvision { provision: "art-3".into(), after: None }]).unwrap();
    assert_eq!(ids(&to_start), [("art-3", "0"), ("art-1", "1"), ("art-2", "2")]);
    let renumbered = edited(&moved, &[DraftEdit::Renumber]).unwrap();
    assert_eq!(ids(&renumbered), [("art-1", "1"), ("art-3", "2"), ("art-2", "3")]);
    let (_, _, field, _) =
        edit_error(&state, &[DraftEdit::MoveProvision { provision: "art-3".into(), after: Some("art-3".into()) }]);
    assert_eq!(field, "after");
}

#[test]
fn a_split_gives_the_second_part_a_new_id_and_carries_stances_and_comments() {
    let state = state();
    let split = DraftEdit::SplitProvision {
        provision: "art-1".into(),
        at: "The parties withdraw".into(),
        id: None,
        heading: Some("Withdrawal".into()),
    };
    let after = edited(&state, &[split]).unwrap();
    assert_eq!(ids(&after), [("art-1", "1"), ("art-1a", "1a"), ("art-2", "2"), ("art-3", "3")]);
    assert_eq!(body(&after, "art-1"), "All hostilities cease.");
    assert_eq!(body(&after, "art-1a"), "The parties withdraw their forces.");
    assert_eq!(after.negotiation.provision("art-1a").unwrap().heading, "Withdrawal");
    assert_eq!(changes(&after, "art-1"), ["split_into"]);
    assert_eq!(
        after.lineage_of("art-1a").next().unwrap().change,
        LineageChange::Added { split_from: Some("art-1".into()) }
    );
    // ua's stance on art-1 now stands on both parts.
    let on = |p: &str| after.negotiation.stances.iter().filter(|s| s.provision == p && s.party == "ua").count();
    assert_eq!((on("art-1"), on("art-1a")), (1, 1));
    // The comment quoted the part that left: it follows it, and keeps where it was written.
    let c1 = after.comments.iter().find(|c| c.id == "c1").unwrap();
    assert_eq!(c1.provision, "art-1a");
    assert_eq!(after.carried_comments[0].written_on, "art-1");

    let (_, _, field, message) = edit_error(
        &state,
        &[DraftEdit::SplitProvision { provision: "art-2".into(), at: "army}".into(), id: None, heading: None }],
    );
    assert_eq!(field, "at");
    assert!(message.contains("inside a slot"), "{message}");
    let (_, _, _, message) = edit_error(
        &state,
        &[DraftEdit::SplitProvision { provision: "art-1".into(), at: "nowhere".into(), id: None, heading: None }],
    );
    assert!(message.contains("does not occur"), "{message}");
    // The wording goes with its slot.
    let slot = edited(
        &state,
        &[DraftEdit::SplitProvision {
            provision: "art-2".into(),
            at: "No more.".into(),
            id: Some("art-2-tail".into()),
            heading: None,
        }],
    )
    .unwrap();
    assert_eq!(slot.negotiation.provision("art-2").unwrap().wordings.len(), 1);
    assert!(slot.negotiation.provision("art-2-tail").unwrap().wordings.is_empty());
}

#[test]
fn a_merge_shows_comments_on_the_merged_provision_and_keeps_the_worst_stance() {
    let state = state();
    let merge = DraftEdit::MergeProvisions { provisions: vec!["art-1".into(), "art-3".into()] };
    let after = edited(&state, &[merge]).unwrap();
    assert_eq!(ids(&after), [("art-1", "1"), ("art-2", "2")]);
    assert_eq!(
        body(&after, "art-1"),
        "All hostilities cease. The parties withdraw their forces.\n\nElections are held within a year."
    );
    assert_eq!(changes(&after, "art-1"), ["merged_from"]);
    assert_eq!(changes(&after, "art-3"), ["merged_into"], "merged, not also removed");
    assert_eq!(after.successors("art-3"), ["art-1"]);
    let c2 = after.comments.iter().find(|c| c.id == "c2").unwrap();
    assert_eq!((c2.provision.as_str(), c2.quote.as_str()), ("art-1", "within a year"));
    assert_eq!(after.carried_comments[0].written_on, "art-3");
    // ua found art-3 unacceptable and art-1 acceptable: the merged text carries the objection.
    let ua: Vec<_> = after.negotiation.stances.iter().filter(|s| s.party == "ua").collect();
    assert_eq!(ua.len(), 1);
    assert_eq!((ua[0].provision.as_str(), &ua[0].position), ("art-1", &Position::Unacceptable));
    let ru: Vec<_> = after.negotiation.stances.iter().filter(|s| s.party == "ru").collect();
    assert_eq!(ru[0].provision, "art-1", "ru's stance on art-3 is carried");

    let (_, _, field, _) = edit_error(&state, &[DraftEdit::MergeProvisions { provisions: vec!["art-1".into()] }]);
    assert_eq!(field, "provisions");
    let (_, provision, field, _) =
        edit_error(&state, &[DraftEdit::MergeProvisions { provisions: vec!["art-1".into(), "art-9".into()] }]);
    assert_eq!((provision.as_deref(), field.as_str()), (Some("art-9"), "provisions/1"));
}

fn open_bracket(span: &str) -> DraftEdit {
    open_bracket_as("election-date", span)
}

fn open_bracket_as(issue: &str, span: &str) -> DraftEdit {
    DraftEdit::OpenBracket {
        provision: "art-3".into(),
        span: span.into(),
        issue: issue.into(),
        title: Some("Election date".into()),
        options: vec![
            BracketOption { id: "year".into(), label: "Within a year".into(), wording: None },
            BracketOption {
                id: "six-months".into(),
                label: "Six months".into(),
                wording: Some("within six months".into()),
            },
        ],
    }
}

#[test]
fn brackets_open_grow_shrink_and_close() {
    let state = state();
    let opened = edited(&state, &[open_bracket("within a year")]).unwrap();
    assert_eq!(body(&opened, "art-3"), "Elections are held {election-date}.");
    let issue = &opened.negotiation.issues[1];
    assert_eq!((issue.id.as_str(), issue.draft.clone()), ("election-date", Some(Value::Option("year".into()))));
    let wording = &opened.negotiation.provision("art-3").unwrap().wordings[0];
    assert_eq!(
        wording.text,
        WordingText::PerOption(vec![
            ("year".into(), "within a year".into()),
            ("six-months".into(), "within six months".into())
        ])
    );

    let grown = edited(
        &opened,
        &[DraftEdit::AddAlternative {
            issue: "election-date".into(),
            option: "never".into(),
            label: "Never".into(),
            wording: Some("never".into()),
        }],
    )
    .unwrap();
    assert_eq!(grown.negotiation.issues[1].value_count(), 3);
    let shrunk = edited(
        &grown,
        &[
            DraftEdit::SetDraftValue { issue: "election-date".into(), value: Value::Option("never".into()) },
            DraftEdit::RemoveAlternative { issue: "election-date".into(), option: "never".into() },
        ],
    )
    .unwrap();
    assert_eq!(shrunk.negotiation.issues[1].value_count(), 2);
    assert_eq!(
        shrunk.negotiation.issues[1].draft,
        Some(Value::Option("year".into())),
        "the draft moves off a removed option"
    );

    let closed =
        edited(&opened, &[DraftEdit::CloseBracket { issue: "election-date".into(), option: "six-months".into() }])
            .unwrap();
    assert_eq!(body(&closed, "art-3"), "Elections are held within six months.");
    assert!(closed.negotiation.provision("art-3").unwrap().wordings.is_empty());
    assert_eq!(closed.negotiation.issues.len(), 1);

    let (_, _, field, message) = edit_error(&state, &[open_bracket("e")]);
    assert_eq!(field, "span");
    assert!(message.contains("more than once"), "{message}");
    let (_, _, field, _) = edit_error(&state, &[open_bracket_as("army", "within a year")]);
    assert_eq!(field, "issue");
    let (_, _, field, _) =
        edit_error(&opened, &[DraftEdit::RemoveAlternative { issue: "election-date".into(), option: "nope".into() }]);
    assert_eq!(field, "option");
    let (_, _, _, message) =
        edit_error(&state, &[DraftEdit::SetDraftValue { issue: "army".into(), value: Value::Option("huge".into()) }]);
    assert!(message.contains("small, large"), "{message}");
}

#[test]
fn closing_a_bracket_escapes_braces_in_the_wording() {
    let state = state();
    let braces = DraftEdit::AddAlternative {
        issue: "army".into(),
        option: "set".into(),
        label: "Set".into(),
        wording: Some("an army of {n}".into()),
    };
    let closed =
        edited(&state, &[braces, DraftEdit::CloseBracket { issue: "army".into(), option: "set".into() }]).unwrap();
    assert_eq!(body(&closed, "art-2"), "Each party keeps an army of {{n}}. No more.");
    let rendered = crate::text::render(&closed.negotiation, &closed.negotiation.draft_package()).unwrap();
    assert_eq!(rendered.provisions[1].text, "Each party keeps an army of {n}. No more.");
}

#[test]
fn a_batch_is_all_or_nothing_and_errors_name_the_edit() {
    let state = state();
    let batch = [
        DraftEdit::RemoveProvision { provision: "art-1".into() },
        DraftEdit::MoveProvision { provision: "art-1".into(), after: None },
    ];
    let error = plan_edits(&state, &batch).unwrap_err();
    assert_eq!(
        error.to_string(),
        "edit 1 (move_provision) on provision \"art-1\", provision: no provision \"art-1\" in the text"
    );
    assert_eq!(plan_edits(&state, &[]), Err(DraftError::NoEdits));
    let many = vec![DraftEdit::Renumber; limits::MAX_DRAFT_EDITS + 1];
    assert!(matches!(plan_edits(&state, &many), Err(DraftError::TooManyEdits { .. })));
    let long = DraftEdit::SetProvision {
        provision: "art-1".into(),
        heading: None,
        body: Some("x".repeat(limits::MAX_PROVISION_TEXT_BYTES + 1)),
        wordings: None,
    };
    assert_eq!(edit_error(&state, &[long]).2, "body");
}

#[test]
fn restructure_events_are_checked_by_the_fold() {
    let mut state = state();
    let bad = [
        ProvisionChange { provision: "art-9".into(), change: LineageChange::Kept },
        ProvisionChange { provision: "art-1".into(), change: LineageChange::Removed },
        ProvisionChange { provision: "art-1".into(), change: LineageChange::MergedInto { into: "art-1".into() } },
        ProvisionChange { provision: "art-1".into(), change: LineageChange::SplitInto { parts: vec!["art-1".into()] } },
    ];
    for change in bad {
        let payload = Payload::ProvisionsRestructured { changes: vec![change.clone()] };
        assert!(matches!(state.apply(&event(state.size, payload)), Err(FoldError::BadLineage { .. })), "{change:?}");
    }
    let twice = Payload::ProvisionsRenumbered {
        numbers: vec![("art-1".into(), "1".into()), ("art-2".into(), "1".into()), ("art-3".into(), "3".into())],
    };
    assert!(matches!(state.apply(&event(state.size, twice)), Err(FoldError::BadRenumbering { .. })));
    let old_bytes =
        serde_json::to_string(&Payload::ProvisionsRenumbered { numbers: vec![("a".into(), "1".into())] }).unwrap();
    assert_eq!(old_bytes, r#"{"type":"provisions_renumbered","numbers":[["a","1"]]}"#);
}

#[test]
fn the_draft_revision_moves_with_the_draft_only() {
    let state = state();
    assert_eq!(state.draft_revision, 1, "comments and stances do not move the draft");
    let after = edited(&state, &[DraftEdit::Renumber]).unwrap();
    assert_eq!(after.draft_revision, after.size);
}

/// A random edit, by indices into the text it applies to.
#[derive(Debug, Clone)]
enum Step {
    Add(usize),
    Remove(usize),
    Move(usize, usize),
    Split(usize),
    Merge(usize, usize),
    Renumber,
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        (0usize..8).prop_map(Step::Add),
        (0usize..8).prop_map(Step::Remove),
        (0usize..8, 0usize..8).prop_map(|(a, b)| Step::Move(a, b)),
        (0usize..8).prop_map(Step::Split),
        (0usize..8, 0usize..8).prop_map(|(a, b)| Step::Merge(a, b)),
        Just(Step::Renumber),
    ]
}

/// The text as a plain list `(id, body)`: the model the fold must agree with.
type Model = Vec<(String, String)>;

/// The edit for `step` on `state`, and what it does to the model; `None`
/// when the step does not apply (too few provisions).
fn edit_for(step: &Step, state: &State, model: &mut Model) -> Option<DraftEdit> {
    let n = model.len();
    let id = |i: usize| model[i % n].0.clone();
    Some(match *step {
        Step::Add(i) => {
            let after = (n > 0).then(|| id(i));
            let position = after.as_ref().map_or(0, |a| model.iter().position(|(p, _)| p == a).unwrap() + 1);
            let new = format!("new-{}", state.size);
            model.insert(position, (new.clone(), format!("Added {new}.")));
            DraftEdit::AddProvision {
                after,
                id: Some(new.clone()),
                heading: "New".into(),
                body: format!("Added {new}."),
                wordings: Vec::new(),
            }
        }
        Step::Remove(i) if n > 1 => {
            let gone = id(i);
            model.retain(|(p, _)| p != &gone);
            DraftEdit::RemoveProvision { provision: gone }
        }
        Step::Move(i, j) if n > 1 && i % n != j % n => {
            let (moving, after) = (id(i), id(j));
            let entry = model.remove(i % n);
            let position = model.iter().position(|(p, _)| p == &after).unwrap() + 1;
            model.insert(position, entry);
            DraftEdit::MoveProvision { provision: moving, after: Some(after) }
        }
        Step::Split(i) if n > 0 => {
            // Every body this test makes has a sentence ending ". " inside it or none.
            let (target, body) = model[i % n].clone();
            let at = body.find(". ").map(|k| k + 2)?;
            let new = format!("split-{}", state.size);
            model[i % n].1 = body[..at].trim_end().to_string();
            model.insert(i % n + 1, (new.clone(), body[at..].to_string()));
            DraftEdit::SplitProvision { provision: target, at: body[at..].to_string(), id: Some(new), heading: None }
        }
        Step::Merge(i, j) if n > 1 && i % n != j % n => {
            let (first, second) = (id(i), id(j));
            let second_body = model[j % n].1.clone();
            model[i % n].1 = format!("{}\n\n{second_body}", model[i % n].1);
            model.retain(|(p, _)| p != &second);
            DraftEdit::MergeProvisions { provisions: vec![first, second] }
        }
        Step::Renumber => DraftEdit::Renumber,
        _ => return None,
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// For random edit sequences: the text is exactly the model's fold of the
    /// edits, every comment and stance ever made is reachable on a current
    /// provision or explicitly on a retired one, and every current stance and
    /// comment stands on the text.
    #[test]
    fn lineage_never_loses_a_comment_or_a_stance(steps in proptest::collection::vec(step(), 1..12)) {
        let mut state = state();
        let mut model: Model = state.negotiation.provisions.iter().map(|p| (p.id.clone(), p.body.clone())).collect();
        for step in &steps {
            let mut next_model = model.clone();
            let Some(edit) = edit_for(step, &state, &mut next_model) else { continue };
            // Splits make the same sentence unique or not; a refused split leaves everything as it was.
            match edited(&state, std::slice::from_ref(&edit)) {
                Ok(next) => {
                    state = next;
                    model = next_model;
                }
                Err(error) => prop_assert!(matches!(edit, DraftEdit::SplitProvision { .. }), "{edit:?} refused: {error}"),
            }
            let text: Model = state.negotiation.provisions.iter().map(|p| (p.id.clone(), p.body.clone())).collect();
            prop_assert_eq!(&text, &model);
            let numbers: std::collections::BTreeSet<&str> = state.negotiation.provisions.iter().map(|p| p.number.as_str()).collect();
            prop_assert_eq!(numbers.len(), state.negotiation.provisions.len(), "numbers stay unique");
            for comment in &state.comments {
                prop_assert!(state.negotiation.provision(&comment.provision).is_some() || state.is_retired(&comment.provision), "{comment:?}");
            }
            for record in &state.stance_history {
                let provision = &record.stance.provision;
                prop_assert!(!state.successors(provision).is_empty() || state.is_retired(provision), "{record:?}");
            }
            for stance in &state.negotiation.stances {
                prop_assert!(state.negotiation.provision(&stance.provision).is_some(), "{stance:?}");
            }
            // A party that spoke on a provision speaks on each provision its text lives on.
            for record in &state.stance_history {
                for successor in state.successors(&record.stance.provision) {
                    let party = &record.stance.party;
                    prop_assert!(state.negotiation.stances.iter().any(|s| &s.party == party && s.provision == successor), "{party} on {successor}");
                }
            }
        }
    }
}
