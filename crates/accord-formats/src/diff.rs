//! The difference between two versions of a text, provision by provision:
//! a line diff with the changed words of a changed line emphasised.
//!
//! Provisions are matched by id. Each provision reads as `"{number}
//! {heading}\n{text}\n"`; the provisions of the newer version come first, in
//! its order, then those only the older one has.
//!
//! # Limits
//!
//! A version's text comes from its editors, who may be hostile, and a line
//! diff costs up to the product of the two sides' lengths. So a provision is
//! compared line by line only while both its sides stay within
//! [`MAX_SIDE_BYTES`] and [`MAX_SIDE_LINES`], and while the provisions
//! compared so far stay within [`MAX_TOTAL_BYTES`]; beyond that, a changed
//! provision is reported whole: every old line deleted, then every new line
//! inserted, with no emphasis ([`ProvisionDiff::whole_block`]). Work on one
//! provision also stops at [`PROVISION_DEADLINE`] (and on the whole diff at
//! [`VERSION_DEADLINE`]); the diff is then correct but coarser. Everything
//! outside the line comparison is linear in the size of the texts.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use accord_core::text::RenderedProvision;
use serde::{Deserialize, Serialize};
use similar::{ChangeTag, TextDiff};

/// The most bytes one side of a provision may have to be compared line by line.
pub const MAX_SIDE_BYTES: usize = 128 * 1024;
/// The most lines one side of a provision may have to be compared line by line.
pub const MAX_SIDE_LINES: usize = 2_000;
/// The most bytes (both sides) compared line by line in one version diff;
/// provisions after the budget is spent are reported whole.
pub const MAX_TOTAL_BYTES: usize = 2 * 1024 * 1024;
/// How long the comparison of one provision may take before it settles for a coarser diff.
pub const PROVISION_DEADLINE: Duration = Duration::from_millis(100);
/// How long the comparisons of one version diff may take together.
pub const VERSION_DEADLINE: Duration = Duration::from_millis(1_000);

/// Version `from` against version `to`, every provision of either.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionDiff {
    pub from: u32,
    pub to: u32,
    pub provisions: Vec<ProvisionDiff>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProvisionDiff {
    pub id: String,
    pub change: Change,
    pub lines: Vec<DiffLine>,
    /// Set when the provision was too large to compare line by line and is
    /// reported as deleted and inserted whole. Not part of the wire format.
    #[serde(skip)]
    pub whole_block: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    Same,
    Changed,
    Added,
    Removed,
}

impl Change {
    pub fn as_str(self) -> &'static str {
        match self {
            Change::Same => "same",
            Change::Changed => "changed",
            Change::Added => "added",
            Change::Removed => "removed",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiffLine {
    pub tag: LineTag,
    /// The line (with its line break) in pieces; `emphasized` marks the words that changed.
    pub segments: Vec<DiffSegment>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LineTag {
    Equal,
    Delete,
    Insert,
}

impl LineTag {
    pub fn as_str(self) -> &'static str {
        match self {
            LineTag::Equal => "equal",
            LineTag::Delete => "delete",
            LineTag::Insert => "insert",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiffSegment {
    pub text: String,
    pub emphasized: bool,
}

/// How a provision reads for the diff.
fn reading(provision: &RenderedProvision) -> String {
    format!("{} {}\n{}\n", provision.number, provision.heading, provision.text)
}

/// Compares version `from` (numbered `from_number`) with version `to`.
pub fn diff_versions(
    from_number: u32,
    from: &[RenderedProvision],
    to_number: u32,
    to: &[RenderedProvision],
) -> VersionDiff {
    let version_deadline = Instant::now() + VERSION_DEADLINE;
    let (old, new) = (by_id(from), by_id(to));
    let mut ids: Vec<&str> = to.iter().map(|p| p.id.as_str()).collect();
    let mut seen: HashSet<&str> = ids.iter().copied().collect();
    for p in from {
        if seen.insert(p.id.as_str()) {
            ids.push(&p.id);
        }
    }
    let mut budget = MAX_TOTAL_BYTES;
    let provisions = ids
        .into_iter()
        .map(|id| {
            let before = old.get(id).map(|p| reading(p)).unwrap_or_default();
            let after = new.get(id).map(|p| reading(p)).unwrap_or_default();
            let change = match (before.is_empty(), after.is_empty()) {
                (true, _) => Change::Added,
                (_, true) => Change::Removed,
                _ if before == after => Change::Same,
                _ => Change::Changed,
            };
            let size = before.len() + after.len();
            let comparable = within_caps(&before) && within_caps(&after) && size <= budget;
            let (lines, whole_block) = if change == Change::Same {
                // Identical sides need no comparison, whatever their size.
                (whole(&before, LineTag::Equal).collect(), false)
            } else if comparable {
                budget -= size;
                let deadline = (Instant::now() + PROVISION_DEADLINE).min(version_deadline);
                (line_diff(&before, &after, deadline), false)
            } else {
                (whole(&before, LineTag::Delete).chain(whole(&after, LineTag::Insert)).collect(), true)
            };
            ProvisionDiff { id: id.to_string(), change, lines, whole_block }
        })
        .collect();
    VersionDiff { from: from_number, to: to_number, provisions }
}

/// The provisions by id; the first with an id is the one that counts, as in a lookup by id.
fn by_id(provisions: &[RenderedProvision]) -> HashMap<&str, &RenderedProvision> {
    let mut by_id = HashMap::new();
    for p in provisions {
        by_id.entry(p.id.as_str()).or_insert(p);
    }
    by_id
}

fn within_caps(side: &str) -> bool {
    side.len() <= MAX_SIDE_BYTES && side.bytes().filter(|b| *b == b'\n').count() <= MAX_SIDE_LINES
}

/// Every line of `side` (with its line break, as the line diff splits it) under one tag.
fn whole(side: &str, tag: LineTag) -> impl Iterator<Item = DiffLine> + '_ {
    side.split_inclusive('\n')
        .map(move |line| DiffLine { tag, segments: vec![DiffSegment { text: line.to_string(), emphasized: false }] })
}

fn line_diff(before: &str, after: &str, deadline: Instant) -> Vec<DiffLine> {
    let text_diff = TextDiff::configure().deadline(deadline).diff_lines(before, after);
    let mut lines = Vec::new();
    for op in text_diff.ops() {
        for change in text_diff.iter_inline_changes_deadline(op, Some(deadline)) {
            let tag = match change.tag() {
                ChangeTag::Equal => LineTag::Equal,
                ChangeTag::Delete => LineTag::Delete,
                ChangeTag::Insert => LineTag::Insert,
            };
            let segments = change
                .iter_strings_lossy()
                .map(|(emphasized, text)| DiffSegment { text: text.into_owned(), emphasized })
                .collect();
            lines.push(DiffLine { tag, segments });
        }
    }
    lines
}

#[cfg(test)]
mod tests;
