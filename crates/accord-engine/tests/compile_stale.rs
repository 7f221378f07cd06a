//! Stances pinned to the wording their party read: they apply at the pinned
//! values wherever the draft has moved since, and once that wording is gone
//! they are stale: they make no rule and the report lists them.

#![allow(clippy::unwrap_used)] // test code: a panic is a failed test

mod compile_support;

use accord_core::{Negotiation, Position, Role, Stance, Wording, WordingText};
use accord_engine::compile::{CompileOptions, StaleStance, compile_with};
use compile_support::*;
use proptest::prelude::*;

const OPTIONS: [&str; 3] = ["x", "y", "z"];

/// Two signatories with profiles; art-1 binds `t` (three options, each its
/// own wording), art-2 binds `u`; the draft picks x and p.
fn sample() -> Negotiation {
    let mut issues = vec![discrete("t", &OPTIONS), discrete("u", &["p", "q"])];
    issues[0] = with_draft(issues[0].clone(), "x");
    issues[1] = with_draft(issues[1].clone(), "p");
    let mut art1 = provision("art-1", &["t"]);
    art1.wordings = vec![Wording {
        issue: "t".into(),
        text: WordingText::PerOption(OPTIONS.iter().map(|o| ((*o).into(), format!("Wording {o}."))).collect()),
    }];
    let mut art2 = provision("art-2", &["u"]);
    art2.wordings = vec![Wording {
        issue: "u".into(),
        text: WordingText::PerOption(vec![("p".into(), "P.".into()), ("q".into(), "Q.".into())]),
    }];
    let mut n = negotiation(
        vec![party("m", Role::Mediator), party("a", Role::Signatory), party("b", Role::Signatory)],
        issues,
        vec![art1, art2],
    );
    let a = profile(&n, "a", &[1.0, 1.0], &[&[1.0, 0.5, 0.0], &[1.0, 0.0]], 0.0);
    let b = profile(&n, "b", &[1.0, 1.0], &[&[0.0, 0.5, 1.0], &[0.0, 1.0]], 0.0);
    n.profiles = vec![a, b];
    n
}

/// `party`'s stance on art-1, pinned to the wording the draft shows now.
fn pinned(n: &Negotiation, party: &str, position: Position) -> Stance {
    Stance { pin: n.stance_pin("art-1", 3), ..stance(party, "art-1", position, None) }
}

fn set_draft(n: &mut Negotiation, option: &str) {
    n.issues[0] = with_draft(n.issues[0].clone(), option);
}

fn set_wording(n: &mut Negotiation, option: &str, text: &str) {
    if let WordingText::PerOption(alternatives) = &mut n.provisions[0].wordings[0].text {
        for (id, wording) in alternatives.iter_mut() {
            if id == option {
                *wording = text.to_string();
            }
        }
    }
}

/// The feasible packages, as `t`'s option per package (u is free throughout).
fn feasible_t(n: &Negotiation) -> Vec<usize> {
    let (problem, _) = compile_with(n, &CompileOptions::default()).unwrap();
    let mut out: Vec<usize> = all_packages(n).into_iter().filter(|p| problem.is_feasible(p)).map(|p| p[0]).collect();
    out.dedup();
    out
}

#[test]
fn a_pinned_stance_applies_at_the_pinned_values_after_the_draft_moves() {
    let mut n = sample();
    n.stances = vec![pinned(&n, "a", Position::Unacceptable)];
    assert_eq!(feasible_t(&n), [1, 2], "the wording a refused (x) is out");
    set_draft(&mut n, "y");
    assert_eq!(feasible_t(&n), [1, 2], "still x that a refused, not the draft's new y");

    // An unpinned (legacy) stance follows the draft, as before pins.
    let mut legacy = n.clone();
    legacy.stances = vec![stance("a", "art-1", Position::Unacceptable, None)];
    assert_eq!(feasible_t(&legacy), [0, 2]);
}

#[test]
fn a_stance_is_stale_once_its_wording_changes_and_then_blocks_nothing() {
    let mut n = sample();
    n.stances = vec![pinned(&n, "a", Position::Unacceptable)];
    set_wording(&mut n, "y", "Another wording of y.");
    let (_, report) = compile_with(&n, &CompileOptions::default()).unwrap();
    assert!(report.stale.is_empty(), "editing a wording the party did not answer changes nothing");

    set_wording(&mut n, "x", "Wording x, amended.");
    let (_, report) = compile_with(&n, &CompileOptions::default()).unwrap();
    assert_eq!(report.stale, [StaleStance { party: "a".into(), provision: "art-1".into(), pinned_version: 3 }]);
    assert_eq!(feasible_t(&n), [0, 1, 2], "a stale stance blocks nothing");

    // Editing the heading changes what the party read, too.
    let mut renamed = sample();
    renamed.stances = vec![pinned(&renamed, "a", Position::Unacceptable)];
    renamed.provisions[0].heading = "Renamed".into();
    assert_eq!(compile_with(&renamed, &CompileOptions::default()).unwrap().1.stale.len(), 1);
}

#[test]
fn a_stale_conditional_stance_neither_blocks_nor_accepts() {
    let mut n = sample();
    n.stances = vec![pinned(&n, "b", Position::AcceptableIf { conditions: vec![is("u", &["q"])] })];
    let (problem, report) = compile_with(&n, &CompileOptions::default()).unwrap();
    assert!(report.stale.is_empty());
    assert!(!problem.is_feasible(&[0, 0]) && problem.is_feasible(&[0, 1]) && problem.is_feasible(&[1, 0]));
    set_wording(&mut n, "x", "Changed.");
    let (problem, report) = compile_with(&n, &CompileOptions::default()).unwrap();
    assert_eq!(report.stale.len(), 1);
    assert!(all_packages(&n).iter().all(|p| problem.is_feasible(p)));
}

#[test]
fn a_pinned_value_that_no_longer_exists_makes_the_stance_stale() {
    let mut n = sample();
    n.stances = vec![pinned(&n, "a", Position::Unacceptable)];
    n.issues[0] = discrete("t", &["y", "z"]);
    n.provisions[0].wordings[0].text =
        WordingText::PerOption(vec![("y".into(), "Wording y.".into()), ("z".into(), "Wording z.".into())]);
    let (_, report) = compile_with(&n, &CompileOptions::default()).unwrap();
    assert_eq!(report.stale.len(), 1);
}

#[derive(Debug, Clone)]
enum Edit {
    Nothing,
    Wording { option: usize, text: String },
    Heading(String),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        Just(Edit::Nothing),
        (0..3usize, "[a-z ]{0,6}").prop_map(|(option, text)| Edit::Wording { option, text }),
        "[a-z ]{0,6}".prop_map(Edit::Heading),
    ]
}

proptest! {
    /// For random drafts, stances and wording edits: a pinned stance is stale
    /// exactly when the wording it pinned changed, and a stale stance never
    /// removes a package (the feasible set is the one without the stance).
    #[test]
    fn a_stale_stance_never_removes_a_package(
        draft in 0..3usize,
        moved_to in 0..3usize,
        unacceptable in any::<bool>(),
        condition_on in 0..2usize,
        edit in edit(),
    ) {
        let mut n = sample();
        set_draft(&mut n, OPTIONS[draft]);
        let position = if unacceptable {
            Position::Unacceptable
        } else {
            Position::AcceptableIf { conditions: vec![is("u", &[["p", "q"][condition_on]])] }
        };
        let stance = pinned(&n, "a", position);
        n.stances = vec![stance];
        set_draft(&mut n, OPTIONS[moved_to]);
        let changed = match &edit {
            Edit::Nothing => false,
            Edit::Wording { option, text } => {
                set_wording(&mut n, OPTIONS[*option], text);
                *option == draft && text != &format!("Wording {}.", OPTIONS[draft])
            }
            Edit::Heading(heading) => {
                n.provisions[0].heading = heading.clone();
                heading != "art-1"
            }
        };
        let (problem, report) = compile_with(&n, &CompileOptions::default()).unwrap();
        prop_assert_eq!(report.stale.len(), usize::from(changed));
        let mut without = n.clone();
        without.stances.clear();
        let (free, _) = compile_with(&without, &CompileOptions::default()).unwrap();
        for package in all_packages(&n) {
            if changed {
                prop_assert_eq!(problem.is_feasible(&package), free.is_feasible(&package));
            } else if package[0] != draft {
                // A current stance binds only where t takes its pinned value.
                prop_assert_eq!(problem.is_feasible(&package), free.is_feasible(&package));
            }
        }
    }
}
