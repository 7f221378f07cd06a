//! The two example negotiations under `examples/`: they parse, their rendered
//! text is pinned by snapshots, and each bracket changes exactly the provisions
//! that bind its issue.

#![allow(clippy::unwrap_used)]

use accord_core::text;
use accord_core::{Negotiation, Package};
use accord_formats::{render, scenario};

const PEACE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/peace-framework.toml");
const LABOUR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/labour-agreement.toml");

fn load(path: &str) -> Negotiation {
    match scenario::read_file(path) {
        Ok(n) => n,
        Err(err) => panic!("{err}"),
    }
}

fn package(n: &Negotiation, pairs: &[(&str, &str)]) -> Package {
    n.package_from_pairs(pairs.iter().copied()).unwrap()
}

#[test]
fn peace_framework_draft_markdown() {
    let n = load(PEACE);
    insta::assert_snapshot!(render::markdown(&n, &n.draft_package()).unwrap());
}

#[test]
fn peace_framework_compromise_markdown() {
    let n = load(PEACE);
    let compromise = package(
        &n,
        &[
            ("territory", "dmz"),
            ("army-cap", "900000"),
            ("sanctions", "immediate"),
            ("assets", "reconstruction"),
            ("elections", "180"),
            ("amnesty", "none"),
            ("nuclear-plant", "ukrainian"),
        ],
    );
    insta::assert_snapshot!(render::markdown(&n, &compromise).unwrap());
}

#[test]
fn labour_agreement_draft_markdown() {
    let n = load(LABOUR);
    insta::assert_snapshot!(render::markdown(&n, &n.draft_package()).unwrap());
}

#[test]
fn labour_agreement_settlement_markdown() {
    let n = load(LABOUR);
    let settlement = package(
        &n,
        &[
            ("wage", "3.25"),
            ("hours", "37"),
            ("duration", "36"),
            ("pension", "improved"),
            ("remote", "right-to-request"),
            ("job-security", "no-compulsory"),
        ],
    );
    insta::assert_snapshot!(render::markdown(&n, &settlement).unwrap());
}

/// The ids of the provisions whose text differs between two packages.
fn changed_provisions(n: &Negotiation, a: &Package, b: &Package) -> Vec<String> {
    let a = text::render(n, a).unwrap();
    let b = text::render(n, b).unwrap();
    assert_eq!(a.provisions.len(), b.provisions.len());
    a.provisions
        .iter()
        .zip(&b.provisions)
        .filter_map(|(pa, pb)| {
            assert_eq!((&pa.id, &pa.number, &pa.heading), (&pb.id, &pb.number, &pb.heading));
            (pa.text != pb.text).then(|| pa.id.clone())
        })
        .collect()
}

/// For every issue and every value other than the draft's, changing just that
/// issue changes the text of exactly the provisions whose slots bind it, and
/// the version hash with it.
fn each_value_changes_exactly_its_provisions(n: &Negotiation) -> usize {
    let draft = n.draft_package();
    let draft_hash = text::render(n, &draft).unwrap().content_hash();
    let mut checked = 0;
    for (i, issue) in n.issues.iter().enumerate() {
        let binding: Vec<String> =
            n.provisions.iter().filter(|p| n.provision_issues(p).contains(&i)).map(|p| p.id.clone()).collect();
        assert!(!binding.is_empty(), "issue {:?} is bound by no provision", issue.id);
        for value in (0..issue.value_count()).filter(|&v| v != draft.0[i]) {
            let mut other = draft.clone();
            other.0[i] = value;
            assert_eq!(
                changed_provisions(n, &draft, &other),
                binding,
                "issue {:?} set to {}",
                issue.id,
                issue.label_at(value)
            );
            assert_ne!(text::render(n, &other).unwrap().content_hash(), draft_hash);
            checked += 1;
        }
    }
    checked
}

#[test]
fn peace_framework_each_issue_changes_exactly_its_provisions() {
    let n = load(PEACE);
    let checked = each_value_changes_exactly_its_provisions(&n);
    // Every value of every issue except the draft's: 52 values, 11 drafts.
    assert_eq!(checked, 52 - 11);
}

#[test]
fn labour_agreement_each_issue_changes_exactly_its_provisions() {
    let n = load(LABOUR);
    let checked = each_value_changes_exactly_its_provisions(&n);
    assert_eq!(checked, 25 + 6 + 5 + 3 + 3 + 3 + 3 - 7);
}

#[test]
fn issues_bound_by_several_provisions_change_them_together() {
    let n = load(PEACE);
    let draft = n.draft_package();
    let freeze = package(&n, &[("territory", "freeze")]);
    assert_eq!(changed_provisions(&n, &draft, &freeze), ["art-3", "art-4"]);
    let cap = package(&n, &[("army-cap", "800,000")]);
    assert_eq!(changed_provisions(&n, &draft, &cap), ["art-5", "art-16"]);
    let both = package(&n, &[("territory", "freeze"), ("army-cap", "800000")]);
    assert_eq!(changed_provisions(&n, &draft, &both), ["art-3", "art-4", "art-5", "art-16"]);

    let labour = load(LABOUR);
    let longer = package(&labour, &[("duration", "36")]);
    assert_eq!(changed_provisions(&labour, &labour.draft_package(), &longer), ["art-2", "art-8"]);
}

#[test]
fn examples_are_labelled_illustrative_and_the_text_keeps_their_secrets() {
    for path in [PEACE, LABOUR] {
        let n = load(path);
        assert!(!n.profiles.is_empty());
        assert!(n.profiles.iter().all(|p| p.illustrative), "{path}: every profile must be marked illustrative");
        assert!(n.description.contains("invented for demonstration"), "{path}: the description must say so");
        let rendered = render::markdown(&n, &n.draft_package()).unwrap();
        for reason in n.stances.iter().filter_map(|s| s.reason.as_deref()) {
            assert!(!rendered.contains(reason), "{path}: the text shows the stance reason {reason:?}");
        }
    }
}
