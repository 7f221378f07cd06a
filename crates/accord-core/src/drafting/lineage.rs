//! Lineage: what drafting did to each provision, kept in [`State::lineage`],
//! and the carrying of stances and comments to a provision's successors.
//!
//! A provision's id never changes and is never reused. When drafting merges
//! provisions, splits one, or removes one, the lineage says where its text
//! went, so a comment or a stance on it is never lost: a comment on a
//! provision merged into another is shown on the merged provision (the
//! original anchor is kept in [`State::carried_comments`]); a stance on a
//! merged or split provision is carried to its successor(s). Whether a
//! carried stance still holds for the new wording is not decided here: the
//! stance's wording pin (when it has one) makes it stale.

use serde::{Deserialize, Serialize};

use crate::event::{EnteredFor, EnteredInput, FoldError, State};
use crate::model::{Negotiation, Position, Stance};

/// One provision's change in a [`crate::event::Payload::ProvisionsRestructured`] event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
pub struct ProvisionChange {
    pub provision: String,
    pub change: LineageChange,
}

/// What happened to a provision.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
pub enum LineageChange {
    /// Added to the text (inserted, or split off another: see `split_from`).
    Added {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        split_from: Option<String>,
    },
    /// Reworded in place: same id, same heading.
    Kept,
    /// Its heading changed (from `from`).
    Renamed { from: String },
    /// Moved to another place in the text.
    Moved,
    /// Split: its text now reads across `parts` (itself first, then the new provisions).
    SplitInto { parts: Vec<String> },
    /// The provisions `sources` (itself first) were merged into it.
    MergedFrom { sources: Vec<String> },
    /// Merged into `into`, then removed from the text.
    MergedInto { into: String },
    /// Removed from the text. Recorded by the removal itself, never written
    /// in a restructure event.
    Removed,
}

impl LineageChange {
    pub fn as_str(&self) -> &'static str {
        match self {
            LineageChange::Added { .. } => "added",
            LineageChange::Kept => "kept",
            LineageChange::Renamed { .. } => "renamed",
            LineageChange::Moved => "moved",
            LineageChange::SplitInto { .. } => "split_into",
            LineageChange::MergedFrom { .. } => "merged_from",
            LineageChange::MergedInto { .. } => "merged_into",
            LineageChange::Removed => "removed",
        }
    }
}

/// One entry of [`State::lineage`]: a change, the event that made it and
/// the version it first appears in (the next version to be published then).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
pub struct LineageRecord {
    pub provision: String,
    pub change: LineageChange,
    pub position: u64,
    pub version: u32,
}

/// A comment that lineage carried away from the provision it was written on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
pub struct CarriedComment {
    pub comment: String,
    /// The provision the comment was written on (its quote is from that text).
    pub written_on: String,
    /// Where it is shown now.
    pub shown_on: String,
    pub position: u64,
}

impl State {
    /// The lineage of one provision id, oldest first.
    pub fn lineage_of<'a>(&'a self, provision: &'a str) -> impl DoubleEndedIterator<Item = &'a LineageRecord> + 'a {
        self.lineage.iter().filter(move |r| r.provision == provision)
    }

    /// The provisions of the current text that `provision`'s text lives on
    /// in: itself while it is in the text, else what it was merged into
    /// (followed on); empty when it was removed outright.
    pub fn successors(&self, provision: &str) -> Vec<String> {
        let mut current = provision.to_string();
        // Each step follows a merge recorded later than the last, so the
        // walk ends; the bound only guards a log that says otherwise.
        for _ in 0..=self.lineage.len() {
            if self.negotiation.provision(&current).is_some() {
                return vec![current];
            }
            let next = self.lineage_of(&current).rev().find_map(|r| match &r.change {
                LineageChange::MergedInto { into } => Some(into.clone()),
                _ => None,
            });
            match next {
                Some(into) => current = into,
                None => return Vec::new(),
            }
        }
        Vec::new()
    }

    /// Whether `provision` was ever in the text and is now removed (merged
    /// away or removed outright), according to the lineage.
    pub fn is_retired(&self, provision: &str) -> bool {
        self.negotiation.provision(provision).is_none()
            && self
                .lineage_of(provision)
                .any(|r| matches!(r.change, LineageChange::Removed | LineageChange::MergedInto { .. }))
    }

    /// The next version to be published: the one a change made now first appears in.
    fn next_version(&self) -> u32 {
        self.versions.last().map_or(1, |v| v.number.saturating_add(1))
    }

    fn record(&mut self, provision: &str, change: LineageChange, position: u64) {
        let version = self.next_version();
        self.lineage.push(LineageRecord { provision: provision.to_string(), change, position, version });
    }
}

/// Records the removal of `provision` (before the fold removes it), unless
/// a restructure at the same position or before already merged it away.
pub(crate) fn record_removal(state: &mut State, provision: &str, position: u64) {
    let merged_away =
        state.lineage_of(provision).last().is_some_and(|r| matches!(r.change, LineageChange::MergedInto { .. }));
    if !merged_away {
        state.record(provision, LineageChange::Removed, position);
    }
}

/// Folds a [`crate::event::Payload::ProvisionsRestructured`] event: checks
/// every change against the text, then records it and carries stances and
/// comments. On error nothing has changed.
pub(crate) fn fold_restructure(state: &mut State, changes: &[ProvisionChange], position: u64) -> Result<(), FoldError> {
    let n = &state.negotiation;
    let bad =
        |provision: &str, reason: String| FoldError::BadLineage { position, provision: provision.to_string(), reason };
    let present = |id: &str| n.provision(id).is_some();
    for ProvisionChange { provision, change } in changes {
        if !present(provision) {
            return Err(bad(provision, "it is not in the text".into()));
        }
        match change {
            LineageChange::Removed => {
                return Err(bad(provision, "a removal is recorded by `provision_removed` itself".into()));
            }
            LineageChange::Added { split_from: Some(from) } if !present(from) => {
                return Err(bad(provision, format!("it is split from \"{from}\", which is not in the text")));
            }
            LineageChange::SplitInto { parts } if parts.first() != Some(provision) || parts.len() < 2 => {
                return Err(bad(
                    provision,
                    "a split names the provision itself first, then at least one new part".into(),
                ));
            }
            LineageChange::MergedFrom { sources } if sources.first() != Some(provision) || sources.len() < 2 => {
                return Err(bad(
                    provision,
                    "a merge names the merged provision itself first, then at least one more".into(),
                ));
            }
            LineageChange::SplitInto { parts: ids } | LineageChange::MergedFrom { sources: ids } => {
                if let Some(missing) = ids.iter().find(|id| !present(id)) {
                    return Err(bad(provision, format!("\"{missing}\" is not in the text")));
                }
            }
            LineageChange::MergedInto { into } if into == provision || !present(into) => {
                return Err(bad(provision, format!("it cannot be merged into \"{into}\"")));
            }
            _ => {}
        }
    }
    for ProvisionChange { provision, change } in changes {
        match change {
            LineageChange::MergedInto { into } => carry(state, provision, into, position, CarryComments::All),
            LineageChange::SplitInto { parts } => {
                for part in &parts[1..] {
                    carry(state, provision, part, position, CarryComments::QuotedOnlyThere);
                }
            }
            _ => {}
        }
        state.record(provision, change.clone(), position);
    }
    Ok(())
}

enum CarryComments {
    /// Every comment on the source is now shown on the successor (a merge).
    All,
    /// A comment moves only when its quote is no longer in the source's
    /// body but is in the successor's (a split: it quoted the part that left).
    QuotedOnlyThere,
}

/// Carries the stances (and, as said, the comments) on `from` to `to`.
fn carry(state: &mut State, from: &str, to: &str, position: u64, comments: CarryComments) {
    let n = &mut state.negotiation;
    let carried: Vec<Stance> = n.stances.iter().filter(|s| s.provision == from).cloned().collect();
    for stance in carried {
        let successor = Stance { provision: to.to_string(), ..stance.clone() };
        match n.stances.iter_mut().find(|s| s.provision == to && s.party == stance.party) {
            // The party spoke on both: the less favourable stance stands
            // for the merged text, so a merge never hides an objection.
            Some(existing) if severity(&successor.position) > severity(&existing.position) => *existing = successor,
            Some(_) => continue,
            None => n.stances.push(successor),
        }
        // A stance someone else entered for the party stays unconfirmed on its successor.
        let entered = state
            .entered_for
            .iter()
            .find(|e| e.party == stance.party && e.input == EnteredInput::Stance { provision: from.to_string() })
            .cloned();
        let target = EnteredInput::Stance { provision: to.to_string() };
        state.entered_for.retain(|e| !(e.party == stance.party && e.input == target));
        if let Some(entry) = entered {
            state.entered_for.push(EnteredFor { input: target, ..entry });
        }
    }
    let body_of = |n: &Negotiation, id: &str| n.provision(id).map(|p| p.body.clone()).unwrap_or_default();
    let (from_body, to_body) = (body_of(n, from), body_of(n, to));
    for comment in state.comments.iter_mut().filter(|c| c.provision == from) {
        let moves = match comments {
            CarryComments::All => true,
            CarryComments::QuotedOnlyThere => {
                !comment.quote.is_empty() && !from_body.contains(&comment.quote) && to_body.contains(&comment.quote)
            }
        };
        if moves {
            let written_on = state
                .carried_comments
                .iter()
                .rev()
                .find(|c| c.comment == comment.id)
                .map_or_else(|| from.to_string(), |c| c.written_on.clone());
            comment.provision = to.to_string();
            state.carried_comments.push(CarriedComment {
                comment: comment.id.clone(),
                written_on,
                shown_on: to.to_string(),
                position,
            });
        }
    }
}

fn severity(position: &Position) -> u8 {
    match position {
        Position::Acceptable => 0,
        Position::AcceptableIf { .. } => 1,
        Position::Unacceptable => 2,
    }
}

/// Folds a [`crate::event::Payload::ProvisionsRenumbered`] event: it names
/// every provision once, in text order, with distinct non-empty numbers.
pub(crate) fn fold_renumber(n: &mut Negotiation, numbers: &[(String, String)], position: u64) -> Result<(), FoldError> {
    let bad = |reason: String| FoldError::BadRenumbering { position, reason };
    if numbers.len() != n.provisions.len() {
        return Err(bad(format!("it numbers {} provisions, the text has {}", numbers.len(), n.provisions.len())));
    }
    for ((id, number), provision) in numbers.iter().zip(&n.provisions) {
        if id != &provision.id {
            return Err(bad(format!("it names \"{id}\" where the text has \"{}\"", provision.id)));
        }
        if number.trim().is_empty() {
            return Err(bad(format!("it gives \"{id}\" an empty number")));
        }
    }
    let mut seen: Vec<&str> = numbers.iter().map(|(_, number)| number.as_str()).collect();
    seen.sort_unstable();
    if let Some(pair) = seen.windows(2).find(|w| w[0] == w[1]) {
        return Err(bad(format!("number \"{}\" is given twice", pair[0])));
    }
    for (provision, (_, number)) in n.provisions.iter_mut().zip(numbers) {
        provision.number = number.clone();
    }
    Ok(())
}
