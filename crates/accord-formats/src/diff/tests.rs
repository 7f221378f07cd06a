#![allow(clippy::unwrap_used)]

use proptest::prelude::*;
use serde_json::{Value, json};

use super::*;

fn provision(id: &str, number: &str, heading: &str, text: &str) -> RenderedProvision {
    RenderedProvision { id: id.into(), number: number.into(), heading: heading.into(), text: text.into() }
}

/// The diff as the server computed it before it moved here (handlers.rs,
/// `diff`), kept as the reference for the wire format: same JSON on every
/// input the limits do not touch.
fn reference(from_number: u32, old: &[RenderedProvision], to_number: u32, new: &[RenderedProvision]) -> Value {
    use similar::{ChangeTag, TextDiff};
    let render = |p: &RenderedProvision| format!("{} {}\n{}\n", p.number, p.heading, p.text);
    let mut ids: Vec<&str> = new.iter().map(|p| p.id.as_str()).collect();
    for p in old {
        if !ids.contains(&p.id.as_str()) {
            ids.push(&p.id);
        }
    }
    let provisions: Vec<Value> = ids
        .into_iter()
        .map(|id| {
            let before = old.iter().find(|p| p.id == id).map(render).unwrap_or_default();
            let after = new.iter().find(|p| p.id == id).map(render).unwrap_or_default();
            let change = match (before.is_empty(), after.is_empty()) {
                (true, _) => "added",
                (_, true) => "removed",
                _ if before == after => "same",
                _ => "changed",
            };
            let text_diff = TextDiff::from_lines(&before, &after);
            let mut lines = Vec::new();
            for op in text_diff.ops() {
                for change in text_diff.iter_inline_changes(op) {
                    let tag = match change.tag() {
                        ChangeTag::Equal => "equal",
                        ChangeTag::Delete => "delete",
                        ChangeTag::Insert => "insert",
                    };
                    let segments: Vec<Value> = change
                        .iter_strings_lossy()
                        .map(|(emphasized, text)| json!({ "text": text.into_owned(), "emphasized": emphasized }))
                        .collect();
                    lines.push(json!({ "tag": tag, "segments": segments }));
                }
            }
            json!({ "id": id, "change": change, "lines": lines })
        })
        .collect();
    json!({ "from": from_number, "to": to_number, "provisions": provisions })
}

#[test]
fn a_changed_word_is_emphasised_and_the_rest_of_the_text_is_kept() {
    let old = [
        provision("art-1", "1", "Ceasefire", "Hostilities cease within 72 hours."),
        provision("art-2", "2", "Prisoners", "All prisoners are exchanged."),
        provision("art-3", "3", "Monitoring", "A mission monitors the line."),
    ];
    let new = [
        provision("art-1", "1", "Ceasefire", "Hostilities cease within 24 hours."),
        provision("art-0", "0", "Preamble", "The parties agree."),
        provision("art-2", "2", "Prisoners", "All prisoners are exchanged."),
    ];
    let diff = diff_versions(1, &old, 2, &new);
    let summary: Vec<(&str, Change)> = diff.provisions.iter().map(|p| (p.id.as_str(), p.change)).collect();
    assert_eq!(
        summary,
        [("art-1", Change::Changed), ("art-0", Change::Added), ("art-2", Change::Same), ("art-3", Change::Removed)]
    );
    let changed = &diff.provisions[0].lines;
    let tags: Vec<LineTag> = changed.iter().map(|l| l.tag).collect();
    assert_eq!(tags, [LineTag::Equal, LineTag::Delete, LineTag::Insert]);
    let emphasised = |line: &DiffLine| -> Vec<String> {
        line.segments.iter().filter(|s| s.emphasized).map(|s| s.text.clone()).collect()
    };
    assert_eq!(emphasised(&changed[1]), ["72"]);
    assert_eq!(emphasised(&changed[2]), ["24"]);
    assert!(diff.provisions.iter().all(|p| !p.whole_block));
    assert_eq!(serde_json::to_value(&diff).unwrap(), reference(1, &old, 2, &new));
    let round_trip: VersionDiff = serde_json::from_value(serde_json::to_value(&diff).unwrap()).unwrap();
    assert_eq!(round_trip, diff);
}

/// Provision texts from a small vocabulary, so versions share lines and words.
fn text() -> impl Strategy<Value = String> {
    let word = prop::sample::select(vec!["the", "parties", "cease", "fire", "within", "72", "24", "hours", "all", ""]);
    let line = prop::collection::vec(word, 0..8).prop_map(|words| words.join(" "));
    prop::collection::vec(line, 0..5).prop_map(|lines| lines.join("\n"))
}

fn version() -> impl Strategy<Value = Vec<RenderedProvision>> {
    let id = prop::sample::select(vec!["art-1", "art-2", "art-3", "art-4"]);
    let heading = prop::sample::select(vec!["Ceasefire", "Prisoners", ""]);
    prop::collection::vec((id, heading, text()), 0..6).prop_map(|provisions| {
        provisions
            .into_iter()
            .enumerate()
            .map(|(i, (id, heading, text))| provision(id, &(i + 1).to_string(), heading, &text))
            .collect()
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn the_diff_serialises_as_the_servers_did(old in version(), new in version(), from in 1u32..9, to in 1u32..9) {
        let diff = diff_versions(from, &old, to, &new);
        prop_assert_eq!(serde_json::to_value(&diff).unwrap(), reference(from, &old, to, &new));
        prop_assert!(diff.provisions.iter().all(|p| !p.whole_block));
    }
}

fn lines(prefix: &str, count: usize) -> String {
    (0..count).map(|i| format!("{prefix} {i}")).collect::<Vec<_>>().join("\n")
}

#[test]
fn a_provision_with_hundreds_of_thousands_of_distinct_lines_is_reported_whole() {
    const COUNT: usize = 300_000;
    let old = [provision("art-1", "1", "Flood", &lines("old line", COUNT))];
    let new = [provision("art-1", "1", "Flood", &lines("new line", COUNT))];
    let diff = diff_versions(1, &old, 2, &new);
    let [only] = diff.provisions.as_slice() else { panic!("one provision") };
    assert_eq!(only.change, Change::Changed);
    assert!(only.whole_block);
    // The heading line, then every line of the text: all of the old deleted, then all of the new inserted.
    assert_eq!(only.lines.len(), 2 * (COUNT + 1));
    assert!(only.lines[..=COUNT].iter().all(|l| l.tag == LineTag::Delete));
    assert!(only.lines[COUNT + 1..].iter().all(|l| l.tag == LineTag::Insert));
    assert!(only.lines.iter().all(|l| l.segments.len() == 1 && !l.segments[0].emphasized));
    assert_eq!(only.lines[1].segments[0].text, "old line 0\n");
    assert_eq!(only.lines[2 * COUNT + 1].segments[0].text, format!("new line {}\n", COUNT - 1));
    // Read back in order, the blocks are the two texts.
    let side = |tag: LineTag| -> String {
        only.lines.iter().filter(|l| l.tag == tag).map(|l| l.segments[0].text.as_str()).collect()
    };
    assert_eq!(side(LineTag::Delete), reading(&old[0]));
    assert_eq!(side(LineTag::Insert), reading(&new[0]));
}

#[test]
fn one_line_too_many_or_one_byte_too_many_reports_a_provision_whole() {
    // The heading line counts: `MAX_SIDE_LINES - 1` text lines make exactly the cap.
    let at_cap = lines("a", MAX_SIDE_LINES - 1);
    let over = lines("a", MAX_SIDE_LINES);
    let compare = |old: &str, new: &str| {
        diff_versions(1, &[provision("p", "1", "H", old)], 2, &[provision("p", "1", "H", new)]).provisions[0]
            .whole_block
    };
    assert!(!compare(&at_cap, &format!("{at_cap} changed")));
    assert!(compare(&over, &format!("{over} changed")));
    let long = "x".repeat(MAX_SIDE_BYTES);
    assert!(compare("short", &long), "either side over the cap");
    assert!(!compare("short", &long[..MAX_SIDE_BYTES / 2]));
}

#[test]
fn identical_provisions_are_the_same_whatever_their_size() {
    let flood = [provision("art-1", "1", "Flood", &lines("line", 300_000))];
    let diff = diff_versions(1, &flood, 2, &flood);
    let only = &diff.provisions[0];
    assert_eq!((only.change, only.whole_block), (Change::Same, false));
    assert_eq!(only.lines.len(), 300_001);
    assert!(only.lines.iter().all(|l| l.tag == LineTag::Equal));
}

#[test]
fn once_the_budget_of_one_diff_is_spent_the_remaining_changes_are_reported_whole() {
    // Each provision just under the per-side cap; together well over the budget.
    let body = |c: char| (0..MAX_SIDE_BYTES / 2 / 64).map(|_| c.to_string().repeat(63)).collect::<Vec<_>>().join("\n");
    let count = MAX_TOTAL_BYTES / MAX_SIDE_BYTES + 4;
    let old: Vec<_> = (0..count).map(|i| provision(&format!("p-{i}"), "1", "H", &body('a'))).collect();
    let new: Vec<_> = (0..count).map(|i| provision(&format!("p-{i}"), "1", "H", &body('b'))).collect();
    let diff = diff_versions(1, &old, 2, &new);
    let whole: Vec<bool> = diff.provisions.iter().map(|p| p.whole_block).collect();
    let compared = whole.iter().take_while(|w| !**w).count();
    assert!(compared > 0 && compared < count, "{whole:?}");
    assert!(whole[compared..].iter().all(|w| *w), "after the budget, every changed provision is whole: {whole:?}");
    assert!(diff.provisions.iter().all(|p| p.change == Change::Changed));
}

fn record(provision: &str, change: LineageChange, position: u64) -> LineageRecord {
    LineageRecord { provision: provision.into(), change, position, version: 2 }
}

/// Version 1 has four provisions; before version 2 the drafter split art-1,
/// merged art-4 into art-3 and moved art-2 to the end.
fn restructured() -> (Vec<RenderedProvision>, Vec<RenderedProvision>, Vec<LineageRecord>) {
    let old = vec![
        provision("art-1", "1", "Ceasefire", "All hostilities cease. The parties withdraw their forces."),
        provision("art-2", "2", "Army", "Each party keeps a small army."),
        provision("art-3", "3", "Elections", "Elections are held within a year."),
        provision("art-4", "4", "Observers", "Observers watch the vote."),
    ];
    let new = vec![
        provision("art-1", "1", "Ceasefire", "All hostilities cease."),
        provision("art-1a", "1a", "Withdrawal", "The parties withdraw their forces."),
        provision("art-3", "3", "Elections", "Elections are held within a year.\n\nObservers watch the vote."),
        provision("art-2", "3a", "Army", "Each party keeps a small army."),
    ];
    let lineage = vec![
        // Before version 1: outside the window, ignored.
        record("art-2", LineageChange::Kept, 3),
        record("art-1a", LineageChange::Added { split_from: Some("art-1".into()) }, 11),
        record("art-1", LineageChange::SplitInto { parts: vec!["art-1".into(), "art-1a".into()] }, 11),
        record("art-3", LineageChange::MergedFrom { sources: vec!["art-3".into(), "art-4".into()] }, 12),
        record("art-4", LineageChange::MergedInto { into: "art-3".into() }, 12),
        record("art-2", LineageChange::Moved, 13),
    ];
    (old, new, lineage)
}

#[test]
fn splits_merges_and_moves_read_as_such() {
    let (old, new, lineage) = restructured();
    let diff = diff_versions_with_lineage((1, 10, &old), (2, 20, &new), &lineage);
    let by_id = |id: &str| diff.provisions.iter().find(|p| p.id == id).unwrap();
    assert_eq!(
        by_id("art-1").restructure,
        Some(Restructure::SplitInto { parts: vec!["art-1".into(), "art-1a".into()] })
    );
    assert_eq!(by_id("art-1a").restructure, Some(Restructure::SplitFrom { from: "art-1".into() }));
    assert!(by_id("art-1a").lines.is_empty(), "the part's text is read in art-1's lines");
    assert_eq!(by_id("art-4").restructure, Some(Restructure::MergedInto { into: "art-3".into() }));
    assert!(by_id("art-2").moved && !by_id("art-3").moved && !by_id("art-1").moved);
    // The merged text is compared with both sources: no line of art-4's text is deleted.
    let deleted: Vec<String> = by_id("art-3")
        .lines
        .iter()
        .filter(|l| l.tag == LineTag::Delete)
        .flat_map(|l| l.segments.iter().map(|s| s.text.clone()))
        .collect();
    assert!(!deleted.concat().contains("Observers watch the vote."), "{deleted:?}");
    // Without lineage, the same versions read as a deletion and insertions.
    let plain = diff_versions(1, &old, 2, &new);
    assert!(plain.provisions.iter().all(|p| p.restructure.is_none() && !p.moved));
    insta::assert_json_snapshot!("split_merge_and_move", diff);
}
