//! The difference between two versions of a text, provision by provision:
//! a line diff with the changed words of a changed line emphasised.
//!
//! Provisions are matched by id. Each provision reads as `"{number}
//! {heading}\n{text}\n"`; the provisions of the newer version come first, in
//! its order, then those only the older one has.
//!
//! With the drafting lineage between the two versions
//! ([`diff_versions_with_lineage`]), restructures read as such rather than as
//! unrelated deletions and insertions: a provision that moved is marked
//! `moved`; a split provision is compared with all its parts together (the
//! new parts say `split_from` and carry no lines of their own); a merged
//! provision is compared with all its sources together (the sources say
//! `merged_into` and carry no lines of their own).
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

use accord_core::drafting::{LineageChange, LineageRecord};
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
    /// Its place among the provisions both versions have changed.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub moved: bool,
    /// How drafting restructured it between the two versions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restructure: Option<Restructure>,
}

/// A split or merge between two versions, as the diff shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Restructure {
    /// Split: this provision's old text now reads across `parts` (itself first);
    /// its lines compare the old text with all the parts.
    SplitInto { parts: Vec<String> },
    /// A new part split off `from`; its text is in `from`'s lines.
    SplitFrom { from: String },
    /// The old texts of `sources` (itself first) were merged into this one;
    /// its lines compare them all with the merged text.
    MergedFrom { sources: Vec<String> },
    /// Merged into `into`; its text is in `into`'s lines.
    MergedInto { into: String },
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

/// Compares version `from` (numbered `from_number`) with version `to`,
/// provision by provision, without lineage: every id on its own.
pub fn diff_versions(
    from_number: u32,
    from: &[RenderedProvision],
    to_number: u32,
    to: &[RenderedProvision],
) -> VersionDiff {
    compare(from_number, from, to_number, to, &Restructures::default())
}

/// Compares version `from` with version `to` as [`diff_versions`] does, and
/// shows moves, splits and merges as such. `lineage` is the negotiation's
/// ([`accord_core::event::State::lineage`]); the records logged after
/// `from_position` and up to `to_position` (the two versions' log
/// positions) are the drafting between them; when `from` is the newer,
/// only moves are shown.
pub fn diff_versions_with_lineage(
    (from_number, from_position, from): (u32, u64, &[RenderedProvision]),
    (to_number, to_position, to): (u32, u64, &[RenderedProvision]),
    lineage: &[LineageRecord],
) -> VersionDiff {
    let (old, new) = (by_id(from), by_id(to));
    let mut restructures = Restructures { moved: moved(from, to), ..Restructures::default() };
    // Read backwards (a newer version against an older one), a split would
    // be a merge: the lineage is only read forwards; moves hold both ways.
    for record in lineage.iter().filter(|r| r.position > from_position && r.position <= to_position) {
        let id = record.provision.as_str();
        match &record.change {
            LineageChange::SplitInto { parts } if old.contains_key(id) && new.contains_key(id) => {
                let parts: Vec<String> = parts
                    .iter()
                    .filter(|p| p.as_str() == id || (new.contains_key(p.as_str()) && !old.contains_key(p.as_str())))
                    .cloned()
                    .collect();
                for part in parts.iter().skip(1) {
                    restructures.of.insert(part.clone(), Restructure::SplitFrom { from: id.to_string() });
                }
                if parts.len() > 1 {
                    restructures.of.insert(id.to_string(), Restructure::SplitInto { parts });
                }
            }
            LineageChange::MergedFrom { sources } if old.contains_key(id) && new.contains_key(id) => {
                let sources: Vec<String> = sources
                    .iter()
                    .filter(|s| s.as_str() == id || (old.contains_key(s.as_str()) && !new.contains_key(s.as_str())))
                    .cloned()
                    .collect();
                for source in sources.iter().skip(1) {
                    restructures.of.insert(source.clone(), Restructure::MergedInto { into: id.to_string() });
                }
                if sources.len() > 1 {
                    restructures.of.insert(id.to_string(), Restructure::MergedFrom { sources });
                }
            }
            _ => {}
        }
    }
    compare(from_number, from, to_number, to, &restructures)
}

/// What the lineage says about the provisions of a diff.
#[derive(Default)]
struct Restructures {
    of: HashMap<String, Restructure>,
    moved: HashSet<String>,
}

/// The ids both versions have whose order among the others changed: those
/// outside a longest common subsequence of the shared ids. Quadratic in the
/// number of provisions (at most `accord_core::limits::MAX_PROVISIONS`).
fn moved(from: &[RenderedProvision], to: &[RenderedProvision]) -> HashSet<String> {
    let in_to: HashSet<&str> = to.iter().map(|p| p.id.as_str()).collect();
    let in_from: HashSet<&str> = from.iter().map(|p| p.id.as_str()).collect();
    let a: Vec<&str> = from.iter().map(|p| p.id.as_str()).filter(|id| in_to.contains(id)).collect();
    let b: Vec<&str> = to.iter().map(|p| p.id.as_str()).filter(|id| in_from.contains(id)).collect();
    let (n, m) = (a.len(), b.len());
    let mut table = vec![0u32; (n + 1) * (m + 1)];
    let at = |i: usize, j: usize| i * (m + 1) + j;
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            table[at(i, j)] =
                if a[i] == b[j] { table[at(i + 1, j + 1)] + 1 } else { table[at(i + 1, j)].max(table[at(i, j + 1)]) };
        }
    }
    let mut kept = HashSet::new();
    let (mut i, mut j) = (0, 0);
    while i < n && j < m {
        if a[i] == b[j] {
            kept.insert(a[i]);
            i += 1;
            j += 1;
        } else if table[at(i + 1, j)] >= table[at(i, j + 1)] {
            i += 1;
        } else {
            j += 1;
        }
    }
    a.into_iter().filter(|id| !kept.contains(id)).map(str::to_string).collect()
}

fn compare(
    from_number: u32,
    from: &[RenderedProvision],
    to_number: u32,
    to: &[RenderedProvision],
    restructures: &Restructures,
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
    let joined = |side: &HashMap<&str, &RenderedProvision>, ids: &[String]| -> String {
        ids.iter().filter_map(|id| side.get(id.as_str()).map(|p| reading(p))).collect()
    };
    let mut budget = MAX_TOTAL_BYTES;
    let provisions = ids
        .into_iter()
        .map(|id| {
            let restructure = restructures.of.get(id).cloned();
            let mut before = old.get(id).map(|p| reading(p)).unwrap_or_default();
            let mut after = new.get(id).map(|p| reading(p)).unwrap_or_default();
            let change = match (before.is_empty(), after.is_empty()) {
                (true, _) => Change::Added,
                (_, true) => Change::Removed,
                _ if before == after => Change::Same,
                _ => Change::Changed,
            };
            // A split or merge is read whole on the provision that keeps the
            // id; the parts and the sources point to it and show no lines.
            match &restructure {
                Some(Restructure::SplitInto { parts }) => after = joined(&new, parts),
                Some(Restructure::MergedFrom { sources }) => before = joined(&old, sources),
                Some(Restructure::SplitFrom { .. } | Restructure::MergedInto { .. }) => {
                    let moved = restructures.moved.contains(id);
                    return ProvisionDiff {
                        id: id.to_string(),
                        change,
                        lines: Vec::new(),
                        whole_block: false,
                        moved,
                        restructure,
                    };
                }
                None => {}
            }
            let change = if restructure.is_some() { Change::Changed } else { change };
            let size = before.len() + after.len();
            let comparable = within_caps(&before) && within_caps(&after) && size <= budget;
            let (lines, whole_block) = if before == after {
                // Identical sides need no comparison, whatever their size.
                (whole(&before, LineTag::Equal).collect(), false)
            } else if comparable {
                budget -= size;
                let deadline = (Instant::now() + PROVISION_DEADLINE).min(version_deadline);
                (line_diff(&before, &after, deadline), false)
            } else {
                (whole(&before, LineTag::Delete).chain(whole(&after, LineTag::Insert)).collect(), true)
            };
            let moved = restructures.moved.contains(id);
            ProvisionDiff { id: id.to_string(), change, lines, whole_block, moved, restructure }
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
