//! The differences between two text forms of a draft as one batch of
//! drafting edits: what `accord draft edit` sends after the editor closes.
//!
//! The batch, in order: removed provisions; alternatives added to or removed
//! from a bracket, and brackets closed (an issue no longer in the file);
//! provisions added and moved, placed in the file's order; every provision
//! whose heading, body or wordings differ (or that a bracket change touched)
//! set as the file has it; draft values; and last a renumbering, when the
//! file numbers every provision 1, 2, 3, … and that is not what the draft
//! shows. Numbers otherwise are the server's: an added or moved provision is
//! numbered between its neighbours.
//!
//! What the file cannot say is refused with a reason rather than guessed: a
//! new issue (open a bracket with `accord bracket open`), a changed title or
//! option label, a numeric issue's range, a number changed by hand.

use accord_core::drafting::DraftEdit;
use accord_core::{Issue, IssueKind, Provision, Value, WordingText};
use accord_formats::draft_text::DraftText;

/// The batch turning `before` (the draft as it was written to the file,
/// read back) into `after` (the file as the editor left it), or every
/// reason it cannot.
pub fn edits(before: &DraftText, after: &DraftText) -> Result<Vec<DraftEdit>, Vec<String>> {
    let mut refused = Vec::new();
    let mut out = Vec::new();
    check_unique(&after.provisions.iter().map(|p| p.id.as_str()).collect::<Vec<_>>(), "provision", &mut refused);
    check_unique(&after.issues.iter().map(|i| i.id.as_str()).collect::<Vec<_>>(), "issue", &mut refused);

    let kept = |id: &str| after.provisions.iter().any(|p| p.id == id);
    for provision in before.provisions.iter().filter(|p| !kept(&p.id)) {
        out.push(DraftEdit::RemoveProvision { provision: provision.id.clone() });
    }

    // Issues whose bracket changed: every provision wording them is set again below.
    let mut touched_issues: Vec<&str> = Vec::new();
    for old in &before.issues {
        let Some(new) = after.issues.iter().find(|i| i.id == old.id) else {
            match close_option(old) {
                Some(option) => out.push(DraftEdit::CloseBracket { issue: old.id.clone(), option }),
                None => refused.push(format!("issue \"{}\" has no value to close its bracket on", old.id)),
            }
            touched_issues.push(&old.id);
            continue;
        };
        if new.title != old.title {
            refused
                .push(format!("issue \"{}\": its title cannot be changed here (it stays \"{}\")", old.id, old.title));
        }
        match (&old.kind, &new.kind) {
            (IssueKind::Discrete { options: was }, IssueKind::Discrete { options: now }) => {
                for option in now.iter().filter(|o| !was.iter().any(|w| w.id == o.id)) {
                    out.push(DraftEdit::AddAlternative {
                        issue: old.id.clone(),
                        option: option.id.clone(),
                        label: option.label.clone(),
                        wording: first_wording(after, &old.id, &option.id),
                    });
                    touched_issues.push(&old.id);
                }
                for option in was.iter().filter(|o| !now.iter().any(|n| n.id == o.id)) {
                    out.push(DraftEdit::RemoveAlternative { issue: old.id.clone(), option: option.id.clone() });
                    touched_issues.push(&old.id);
                }
                for option in now.iter() {
                    if let Some(w) = was.iter().find(|w| w.id == option.id && w.label != option.label) {
                        refused.push(format!(
                            "issue \"{}\", option \"{}\": its label cannot be changed here (it stays \"{}\")",
                            old.id, option.id, w.label
                        ));
                    }
                }
            }
            (old_kind, new_kind) if old_kind != new_kind => {
                refused.push(format!("issue \"{}\": its kind or range cannot be changed here", old.id))
            }
            _ => {}
        }
    }
    for issue in after.issues.iter().filter(|i| !before.issues.iter().any(|b| b.id == i.id)) {
        refused.push(format!(
            "issue \"{}\" is new: open a bracket with `accord bracket open` (it names the span, the issue and its options)",
            issue.id
        ));
    }

    out.extend(placements(before, after));

    for provision in &after.provisions {
        let old = before.provisions.iter().find(|p| p.id == provision.id);
        let touched = provision.wordings.iter().any(|w| touched_issues.contains(&w.issue.as_str()))
            || old.is_some_and(|o| o.wordings.iter().any(|w| touched_issues.contains(&w.issue.as_str())));
        match old {
            Some(old)
                if touched
                    || old.heading != provision.heading
                    || old.body != provision.body
                    || old.wordings != provision.wordings =>
            {
                out.push(DraftEdit::SetProvision {
                    provision: provision.id.clone(),
                    heading: (old.heading != provision.heading).then(|| provision.heading.clone()),
                    body: Some(provision.body.clone()),
                    wordings: Some(provision.wordings.clone()),
                });
            }
            _ => {}
        }
    }

    for new in &after.issues {
        let Some(old) = before.issues.iter().find(|i| i.id == new.id) else { continue };
        let options_removed = matches!((&old.kind, &new.kind), (IssueKind::Discrete { options: was }, IssueKind::Discrete { options: now }) if was.iter().any(|w| !now.iter().any(|n| n.id == w.id)));
        match &new.draft {
            Some(value) if Some(value) != old.draft.as_ref() || options_removed => {
                out.push(DraftEdit::SetDraftValue { issue: new.id.clone(), value: value.clone() })
            }
            None if old.draft.is_some() => {
                refused.push(format!("issue \"{}\": give it a `@draft` value (the draft always takes one)", new.id))
            }
            _ => {}
        }
    }

    let numbers_changed: Vec<&Provision> = after
        .provisions
        .iter()
        .filter(|p| before.provisions.iter().any(|b| b.id == p.id && b.number != p.number))
        .collect();
    let sequential = after.provisions.iter().enumerate().all(|(k, p)| p.number == (k + 1).to_string());
    if !numbers_changed.is_empty() {
        if sequential {
            out.push(DraftEdit::Renumber);
        } else {
            refused.extend(numbers_changed.iter().map(|p| {
                format!(
                    "provision \"{}\": its number changed; numbers change only by renumbering the whole text (number every provision 1, 2, 3, … in the file, or run `accord provision renumber`)",
                    p.id
                )
            }));
        }
    }
    if refused.is_empty() { Ok(out) } else { Err(refused) }
}

fn check_unique(ids: &[&str], what: &str, refused: &mut Vec<String>) {
    for (k, id) in ids.iter().enumerate() {
        if ids[..k].contains(id) {
            refused.push(format!("{what} \"{id}\" appears twice in the file"));
        }
    }
}

/// The option a bracket is closed on: the draft's value, else the first.
fn close_option(issue: &Issue) -> Option<String> {
    let index = issue.draft_index();
    match issue.value_at(index)? {
        Value::Option(id) => Some(id),
        Value::Number(x) => Some(x.to_string()),
    }
}

/// The wording a new option has in the first provision of `after` that gives it one.
fn first_wording(after: &DraftText, issue: &str, option: &str) -> Option<String> {
    after.provisions.iter().flat_map(|p| &p.wordings).filter(|w| w.issue == issue).find_map(|w| match &w.text {
        WordingText::PerOption(texts) => texts.iter().find(|(id, _)| id == option).map(|(_, t)| t.clone()),
        WordingText::Template(_) => None,
    })
}

/// Adds and moves that put the provisions in `after`'s order. The longest
/// run of provisions already in order stays; every other one (new or moved)
/// is placed right after its predecessor in the file, in file order, so each
/// lands where the file has it.
fn placements(before: &DraftText, after: &DraftText) -> Vec<DraftEdit> {
    let old: Vec<&str> = before
        .provisions
        .iter()
        .map(|p| p.id.as_str())
        .filter(|id| after.provisions.iter().any(|p| p.id == *id))
        .collect();
    let new: Vec<&str> = after.provisions.iter().map(|p| p.id.as_str()).filter(|id| old.contains(id)).collect();
    let stay = longest_common_subsequence(&old, &new);
    let mut out = Vec::new();
    let mut previous: Option<&str> = None;
    for provision in &after.provisions {
        let id = provision.id.as_str();
        let placed_after = previous.map(str::to_string);
        if !old.contains(&id) {
            out.push(DraftEdit::AddProvision {
                after: placed_after,
                id: Some(provision.id.clone()),
                heading: provision.heading.clone(),
                body: provision.body.clone(),
                wordings: provision.wordings.clone(),
            });
        } else if !stay.contains(&id) {
            out.push(DraftEdit::MoveProvision { provision: provision.id.clone(), after: placed_after });
        }
        previous = Some(id);
    }
    out
}

fn longest_common_subsequence<'a>(a: &[&'a str], b: &[&'a str]) -> Vec<&'a str> {
    // lengths[i][j]: the LCS length of a[i..] and b[j..]. Drafts hold at most
    // a few thousand provisions, so the table stays small.
    let mut lengths = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            lengths[i][j] =
                if a[i] == b[j] { lengths[i + 1][j + 1] + 1 } else { lengths[i + 1][j].max(lengths[i][j + 1]) };
        }
    }
    let (mut i, mut j, mut out) = (0, 0, Vec::new());
    while i < a.len() && j < b.len() {
        if a[i] == b[j] {
            out.push(a[i]);
            i += 1;
            j += 1;
        } else if lengths[i + 1][j] >= lengths[i][j + 1] {
            i += 1;
        } else {
            j += 1;
        }
    }
    out
}

/// One line per edit, for the summary shown before sending.
pub fn describe(edit: &DraftEdit) -> String {
    let after = |a: &Option<String>| a.as_ref().map_or_else(|| "at the start".to_string(), |a| format!("after {a}"));
    match edit {
        DraftEdit::SetProvision { provision, heading, body, wordings } => {
            let mut what = Vec::new();
            if heading.is_some() {
                what.push("heading");
            }
            if body.is_some() {
                what.push("body");
            }
            if wordings.is_some() {
                what.push("wordings");
            }
            format!("set {provision}: {}", what.join(", "))
        }
        DraftEdit::AddProvision { after: a, id, heading, .. } => {
            format!("add {} \"{heading}\" {}", id.as_deref().unwrap_or("(new id)"), after(a))
        }
        DraftEdit::RemoveProvision { provision } => format!("remove {provision}"),
        DraftEdit::MoveProvision { provision, after: a } => format!("move {provision} {}", after(a)),
        DraftEdit::Renumber => "renumber the whole text 1, 2, 3, …".to_string(),
        DraftEdit::SplitProvision { provision, at, .. } => format!("split {provision} at \"{at}\""),
        DraftEdit::MergeProvisions { provisions } => format!("merge {}", provisions.join(" + ")),
        DraftEdit::OpenBracket { provision, span, issue, options, .. } => {
            format!("open bracket {issue} on \"{span}\" in {provision} ({} options)", options.len())
        }
        DraftEdit::AddAlternative { issue, option, .. } => format!("add alternative {option} to {issue}"),
        DraftEdit::RemoveAlternative { issue, option } => format!("remove alternative {option} from {issue}"),
        DraftEdit::CloseBracket { issue, option } => format!("close bracket {issue} on {option}"),
        DraftEdit::SetDraftValue { issue, value } => format!("set the draft value of {issue} to {value}"),
    }
}

#[cfg(test)]
mod tests {
    use accord_core::{IssueOption, Wording};

    use super::*;

    fn provision(id: &str, number: &str, body: &str) -> Provision {
        Provision {
            id: id.into(),
            number: number.into(),
            heading: format!("H {id}"),
            body: body.into(),
            wordings: Vec::new(),
        }
    }

    fn draft(ids: &[&str]) -> DraftText {
        DraftText {
            provisions: ids.iter().enumerate().map(|(k, id)| provision(id, &(k + 1).to_string(), "b")).collect(),
            issues: Vec::new(),
        }
    }

    /// The order the provisions end up in when the adds and moves are applied as the server does.
    fn apply_order(before: &[&str], edits: &[DraftEdit]) -> Vec<String> {
        let mut order: Vec<String> = before.iter().map(|s| s.to_string()).collect();
        for edit in edits {
            let (id, after) = match edit {
                DraftEdit::RemoveProvision { provision } => {
                    order.retain(|p| p != provision);
                    continue;
                }
                DraftEdit::AddProvision { id, after, .. } => (id.clone().unwrap(), after.clone()),
                DraftEdit::MoveProvision { provision, after } => (provision.clone(), after.clone()),
                _ => continue,
            };
            order.retain(|p| *p != id);
            let at = after.map_or(0, |a| order.iter().position(|p| *p == a).unwrap() + 1);
            order.insert(at, id);
        }
        order
    }

    #[test]
    fn unchanged_text_sends_nothing() {
        assert_eq!(edits(&draft(&["a", "b"]), &draft(&["a", "b"])), Ok(Vec::new()));
    }

    #[test]
    fn any_reordering_with_adds_and_removals_lands_in_the_files_order() {
        let cases: &[(&[&str], &[&str])] = &[
            (&["a", "b", "c"], &["c", "a", "b"]),
            (&["a", "b", "c", "d"], &["d", "c", "b", "a"]),
            (&["a", "b", "c"], &["x", "b", "y", "a"]),
            (&["a", "b"], &[]),
            (&[], &["x", "y"]),
            (&["a", "b", "c", "d", "e"], &["b", "e", "n", "a", "d"]),
        ];
        for (was, now) in cases {
            let mut after = draft(now);
            // Keep the old numbers, so no renumbering is asked for.
            for p in &mut after.provisions {
                if let Some(k) = was.iter().position(|w| *w == p.id) {
                    p.number = (k + 1).to_string();
                }
            }
            let batch = edits(&draft(was), &after).unwrap();
            assert_eq!(apply_order(was, &batch), now.iter().map(|s| s.to_string()).collect::<Vec<_>>(), "{batch:?}");
            let moves = batch.iter().filter(|e| matches!(e, DraftEdit::MoveProvision { .. })).count();
            assert!(moves < was.len().max(1), "{was:?} → {now:?}: {moves} moves");
        }
    }

    #[test]
    fn rewording_sets_only_the_changed_provision() {
        let before = draft(&["a", "b"]);
        let mut after = before.clone();
        after.provisions[1].body = "new body".into();
        assert_eq!(
            edits(&before, &after),
            Ok(vec![DraftEdit::SetProvision {
                provision: "b".into(),
                heading: None,
                body: Some("new body".into()),
                wordings: Some(Vec::new()),
            }])
        );
    }

    #[test]
    fn brackets_change_through_their_alternatives_and_a_removed_issue_is_closed() {
        let issue = |options: &[&str], draft: &str| Issue {
            id: "t".into(),
            title: "T".into(),
            kind: IssueKind::Discrete {
                options: options.iter().map(|o| IssueOption { id: o.to_string(), label: o.to_uppercase() }).collect(),
            },
            draft: Some(Value::Option(draft.into())),
        };
        let worded = |options: &[&str]| {
            let mut p = provision("a", "1", "x {t} y");
            p.wordings = vec![Wording {
                issue: "t".into(),
                text: WordingText::PerOption(options.iter().map(|o| (o.to_string(), format!("w-{o}"))).collect()),
            }];
            p
        };
        let before = DraftText { provisions: vec![worded(&["p", "q"])], issues: vec![issue(&["p", "q"], "q")] };
        let after = DraftText { provisions: vec![worded(&["p", "r"])], issues: vec![issue(&["p", "r"], "r")] };
        let batch = edits(&before, &after).unwrap();
        let ops: Vec<&str> = batch.iter().map(DraftEdit::op).collect();
        assert_eq!(ops, ["add_alternative", "remove_alternative", "set_provision", "set_draft_value"]);
        assert!(
            matches!(&batch[0], DraftEdit::AddAlternative { option, wording: Some(w), label, .. } if option == "r" && w == "w-r" && label == "R")
        );

        let mut closed = DraftText { provisions: vec![provision("a", "1", "x w-q y")], issues: Vec::new() };
        closed.provisions[0].heading = "H a".into();
        let batch = edits(&before, &closed).unwrap();
        assert_eq!(batch[0], DraftEdit::CloseBracket { issue: "t".into(), option: "q".into() });
        assert!(
            matches!(&batch[1], DraftEdit::SetProvision { body: Some(b), wordings: Some(w), .. } if b == "x w-q y" && w.is_empty())
        );
    }

    #[test]
    fn what_the_file_cannot_say_is_refused_with_reasons() {
        let before = draft(&["a", "b"]);
        let mut after = before.clone();
        after.provisions[0].number = "7".into();
        after.issues.push(Issue {
            id: "new".into(),
            title: "N".into(),
            kind: IssueKind::Discrete { options: Vec::new() },
            draft: None,
        });
        after.provisions.push(provision("a", "9", "dup"));
        let refused = edits(&before, &after).unwrap_err();
        let all = refused.join("\n");
        assert!(all.contains("provision \"a\" appears twice"), "{all}");
        assert!(all.contains("issue \"new\" is new"), "{all}");
        assert!(all.contains("numbers change only by renumbering"), "{all}");
    }

    #[test]
    fn numbering_the_file_one_to_n_renumbers() {
        let mut before = draft(&["a", "b", "c"]);
        before.provisions[1].number = "1a".into();
        before.provisions[2].number = "2".into();
        let after = draft(&["a", "b", "c"]);
        assert_eq!(edits(&before, &after), Ok(vec![DraftEdit::Renumber]));
    }
}
