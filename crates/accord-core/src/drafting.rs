//! Drafting: the mediator's edits of the working text, as one batch.
//!
//! A [`DraftEdit`] is one thing a drafter does to the text — reword a
//! provision, insert, remove, move, split or merge provisions, renumber,
//! open a bracket on a span, add or drop an alternative, close a bracket,
//! choose the draft's value. [`plan_edits`] turns a batch of them into the
//! payloads of one write, each edit planned against the text the edits
//! before it leave; the caller hands the payloads to [`State::plan`], which
//! appends them all or none.
//!
//! Ids are permanent: a provision keeps its id whatever is done to it, and
//! an id once used is never given to another provision. The displayed
//! number is separate ([`numbering`]): an inserted provision is numbered
//! between its neighbours, and only [`DraftEdit::Renumber`] renumbers the
//! whole text. Restructures are recorded as lineage ([`lineage`]), which
//! carries stances and comments to the provisions that replace their own.

pub mod lineage;
pub mod numbering;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub use lineage::{CarriedComment, LineageChange, LineageRecord, ProvisionChange};

use crate::event::{Actor, Event, FoldError, Payload, State};
use crate::limits;
use crate::model::{Issue, IssueKind, IssueOption, Package, Provision, Value, Wording, WordingText};
use crate::text::{self, Segment};
use crate::validate;

/// One edit of the working text. Serialised with an `op` tag:
/// `{"op": "split_provision", "provision": "art-5", "at": "The parties shall"}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "op", deny_unknown_fields)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
pub enum DraftEdit {
    /// Rewrites a provision's heading, body (with `{issue}` slots) and/or
    /// wordings; what is left out stays.
    SetProvision {
        provision: String,
        #[serde(default)]
        heading: Option<String>,
        #[serde(default)]
        body: Option<String>,
        #[serde(default)]
        wordings: Option<Vec<Wording>>,
    },
    /// Inserts a provision after `after` (at the start when absent), numbered
    /// between its neighbours. Without an `id`, one is made from its number.
    AddProvision {
        #[serde(default)]
        after: Option<String>,
        #[serde(default)]
        id: Option<String>,
        heading: String,
        body: String,
        #[serde(default)]
        wordings: Vec<Wording>,
    },
    RemoveProvision {
        provision: String,
    },
    /// Moves a provision after `after` (to the start when absent); it is
    /// numbered between its new neighbours.
    MoveProvision {
        provision: String,
        #[serde(default)]
        after: Option<String>,
    },
    /// Renumbers every provision 1, 2, 3, … in text order.
    Renumber,
    /// Splits a provision in two where `at` begins (it must occur exactly
    /// once in the body). The first part keeps the provision's id; the
    /// second is a new provision (`id`, or one made from its number) with
    /// `heading` (the original's when absent). Each part keeps the wordings
    /// of its own slots.
    SplitProvision {
        provision: String,
        at: String,
        #[serde(default)]
        id: Option<String>,
        #[serde(default)]
        heading: Option<String>,
    },
    /// Merges provisions into the first: its id, number, heading and place;
    /// the bodies joined by a blank line, every wording kept.
    MergeProvisions {
        provisions: Vec<String>,
    },
    /// Brackets `span` (which must occur exactly once in the provision's
    /// body, outside slots): a new discrete issue `issue` with `options`;
    /// the span becomes the slot `{issue}`, each option's wording is its
    /// `wording` (the first option's defaults to the span itself, the others'
    /// to their label). The draft takes the first option.
    OpenBracket {
        provision: String,
        span: String,
        issue: String,
        /// The issue's title; the span when absent.
        #[serde(default)]
        title: Option<String>,
        options: Vec<BracketOption>,
    },
    /// Adds an alternative to a discrete issue's bracket, with `wording`
    /// (its label when absent) in every provision that words the issue.
    AddAlternative {
        issue: String,
        option: String,
        label: String,
        #[serde(default)]
        wording: Option<String>,
    },
    /// Drops an alternative (at least one stays); a draft on it moves to the first left.
    RemoveAlternative {
        issue: String,
        option: String,
    },
    /// Settles an issue on one option (or value): its wording is written
    /// into every body that has the slot, and the issue is removed.
    CloseBracket {
        issue: String,
        option: String,
    },
    /// The value the draft takes for an issue.
    SetDraftValue {
        issue: String,
        #[cfg_attr(feature = "utoipa", schema(value_type = crate::model::IssueValue))]
        value: Value,
    },
}

/// One alternative of a bracket being opened.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
pub struct BracketOption {
    pub id: String,
    pub label: String,
    #[serde(default)]
    pub wording: Option<String>,
}

impl DraftEdit {
    /// The `op` tag the edit serialises with.
    pub fn op(&self) -> &'static str {
        match self {
            DraftEdit::SetProvision { .. } => "set_provision",
            DraftEdit::AddProvision { .. } => "add_provision",
            DraftEdit::RemoveProvision { .. } => "remove_provision",
            DraftEdit::MoveProvision { .. } => "move_provision",
            DraftEdit::Renumber => "renumber",
            DraftEdit::SplitProvision { .. } => "split_provision",
            DraftEdit::MergeProvisions { .. } => "merge_provisions",
            DraftEdit::OpenBracket { .. } => "open_bracket",
            DraftEdit::AddAlternative { .. } => "add_alternative",
            DraftEdit::RemoveAlternative { .. } => "remove_alternative",
            DraftEdit::CloseBracket { .. } => "close_bracket",
            DraftEdit::SetDraftValue { .. } => "set_draft_value",
        }
    }

    /// The provision the edit is about, if it is about one.
    pub fn provision(&self) -> Option<&str> {
        match self {
            DraftEdit::SetProvision { provision, .. }
            | DraftEdit::RemoveProvision { provision }
            | DraftEdit::MoveProvision { provision, .. }
            | DraftEdit::SplitProvision { provision, .. }
            | DraftEdit::OpenBracket { provision, .. } => Some(provision),
            DraftEdit::MergeProvisions { provisions } => provisions.first().map(String::as_str),
            DraftEdit::AddProvision { id, .. } => id.as_deref(),
            _ => None,
        }
    }
}

/// Why a batch of edits cannot be planned. Nothing is written in any case.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DraftError {
    #[error("a batch holds at most {max} edits; this one holds {count}")]
    TooManyEdits { count: usize, max: usize },
    #[error("a batch with no edits")]
    NoEdits,
    /// One edit does not fit the text the edits before it leave.
    #[error("edit {index} ({op}){}, {field}: {message}", provision.as_deref().map(|p| format!(" on provision \"{p}\"")).unwrap_or_default())]
    Edit {
        /// The edit's place in the batch, from 0.
        index: usize,
        op: &'static str,
        provision: Option<String>,
        /// The edit's field at fault (`span`, `after`, `options/1/id`).
        field: String,
        message: String,
    },
}

/// An edit's complaint before the batch position is known.
struct Refusal {
    field: String,
    message: String,
    provision: Option<String>,
}

fn refuse(field: impl Into<String>, message: impl Into<String>) -> Refusal {
    Refusal { field: field.into(), message: message.into(), provision: None }
}

type Planned = Result<Vec<Payload>, Refusal>;

/// Turns a batch of edits into the payloads of one write, each edit planned
/// against the text the edits before it leave (folded into a copy of
/// `state`). Errors name the edit, its provision and its field. The payloads
/// still go through [`State::plan`] (phase gate, validation), all or none.
pub fn plan_edits(state: &State, edits: &[DraftEdit]) -> Result<Vec<Payload>, DraftError> {
    if edits.is_empty() {
        return Err(DraftError::NoEdits);
    }
    if edits.len() > limits::MAX_DRAFT_EDITS {
        return Err(DraftError::TooManyEdits { count: edits.len(), max: limits::MAX_DRAFT_EDITS });
    }
    let mut work = state.clone();
    let mut payloads = Vec::new();
    for (index, edit) in edits.iter().enumerate() {
        let fail = |refusal: Refusal| DraftError::Edit {
            index,
            op: edit.op(),
            provision: refusal.provision.or_else(|| edit.provision().map(str::to_string)),
            field: refusal.field,
            message: refusal.message,
        };
        let planned = plan_one(&work, edit).map_err(fail)?;
        for payload in &planned {
            let event = Event {
                position: work.size,
                actor: Actor::System,
                at: DateTime::<Utc>::default(),
                payload: payload.clone(),
                salt: None,
            };
            work.apply(&event).map_err(|e| fail(folded(e)))?;
        }
        payloads.extend(planned);
    }
    Ok(payloads)
}

fn folded(error: FoldError) -> Refusal {
    refuse("", error.to_string())
}

fn plan_one(state: &State, edit: &DraftEdit) -> Planned {
    for (field, text) in edit_texts(edit) {
        if text.len() > limits::MAX_PROVISION_TEXT_BYTES {
            return Err(refuse(field, format!("is longer than {} bytes", limits::MAX_PROVISION_TEXT_BYTES)));
        }
    }
    match edit {
        DraftEdit::SetProvision { provision, heading, body, wordings } => {
            set_provision(state, provision, heading.as_deref(), body.as_deref(), wordings.as_ref())
        }
        DraftEdit::AddProvision { after, id, heading, body, wordings } => {
            add_provision(state, after.as_deref(), id.as_deref(), heading, body, wordings)
        }
        DraftEdit::RemoveProvision { provision } => {
            find(state, provision, "provision")?;
            Ok(vec![Payload::ProvisionRemoved { provision: provision.clone() }])
        }
        DraftEdit::MoveProvision { provision, after } => move_provision(state, provision, after.as_deref()),
        DraftEdit::Renumber => {
            let n = &state.negotiation;
            let numbers = numbering::renumbered(n.provisions.len());
            Ok(vec![Payload::ProvisionsRenumbered {
                numbers: n.provisions.iter().map(|p| p.id.clone()).zip(numbers).collect(),
            }])
        }
        DraftEdit::SplitProvision { provision, at, id, heading } => {
            split_provision(state, provision, at, id.as_deref(), heading.as_deref())
        }
        DraftEdit::MergeProvisions { provisions } => merge_provisions(state, provisions),
        DraftEdit::OpenBracket { provision, span, issue, title, options } => {
            open_bracket(state, provision, span, issue, title.as_deref(), options)
        }
        DraftEdit::AddAlternative { issue, option, label, wording } => {
            add_alternative(state, issue, option, label, wording.as_deref())
        }
        DraftEdit::RemoveAlternative { issue, option } => remove_alternative(state, issue, option),
        DraftEdit::CloseBracket { issue, option } => close_bracket(state, issue, option),
        DraftEdit::SetDraftValue { issue, value } => {
            let found = issue_of(state, issue)?;
            let index = found.index_of(value).ok_or_else(|| {
                refuse("value", format!("not a value of \"{issue}\"; valid: {}", crate::model::describe_domain(found)))
            })?;
            // The canonical written form, so the fold and the text agree on it.
            let value = found.value_at(index).ok_or_else(|| refuse("value", "not a value of the issue"))?;
            Ok(vec![Payload::DraftValueSet { issue: issue.clone(), value }])
        }
    }
}

/// The free texts of an edit, each bounded by the provision text limit.
fn edit_texts(edit: &DraftEdit) -> Vec<(&'static str, &str)> {
    match edit {
        DraftEdit::SetProvision { heading, body, .. } => [("heading", heading.as_deref()), ("body", body.as_deref())]
            .into_iter()
            .filter_map(|(f, t)| Some((f, t?)))
            .collect(),
        DraftEdit::AddProvision { heading, body, .. } => vec![("heading", heading), ("body", body)],
        DraftEdit::SplitProvision { at, heading, .. } => {
            let mut out = vec![("at", at.as_str())];
            out.extend(heading.as_deref().map(|h| ("heading", h)));
            out
        }
        DraftEdit::OpenBracket { span, title, .. } => {
            let mut out = vec![("span", span.as_str())];
            out.extend(title.as_deref().map(|t| ("title", t)));
            out
        }
        DraftEdit::AddAlternative { label, wording, .. } => {
            let mut out = vec![("label", label.as_str())];
            out.extend(wording.as_deref().map(|w| ("wording", w)));
            out
        }
        _ => Vec::new(),
    }
}

fn find<'a>(state: &'a State, id: &str, field: &str) -> Result<(usize, &'a Provision), Refusal> {
    state.negotiation.provisions.iter().enumerate().find(|(_, p)| p.id == id).ok_or_else(|| Refusal {
        provision: Some(id.to_string()),
        ..refuse(field, format!("no provision \"{id}\" in the text"))
    })
}

fn issue_of<'a>(state: &'a State, id: &str) -> Result<&'a Issue, Refusal> {
    let n = &state.negotiation;
    n.issue_index(id).map(|i| &n.issues[i]).ok_or_else(|| refuse("issue", format!("no issue \"{id}\"")))
}

fn check_body(body: &str, field: &str) -> Result<Vec<Segment>, Refusal> {
    text::parse_body(body).map_err(|e| refuse(field, e.to_string()))
}

fn slots(segments: &[Segment]) -> Vec<&str> {
    segments
        .iter()
        .filter_map(|s| match s {
            Segment::Slot(id) => Some(id.as_str()),
            Segment::Text(_) => None,
        })
        .collect()
}

/// Writes segments back as a body: literal braces doubled, slots in braces.
fn write_body(segments: &[Segment]) -> String {
    segments
        .iter()
        .map(|s| match s {
            Segment::Text(t) => escape(t),
            Segment::Slot(id) => format!("{{{id}}}"),
        })
        .collect()
}

fn escape(text: &str) -> String {
    text.replace('{', "{{").replace('}', "}}")
}

/// Every provision id the log knows: in the text, in the lineage, or named by
/// a comment or stance. A new provision never takes one of them.
fn known_ids(state: &State) -> Vec<&str> {
    let mut ids: Vec<&str> = state.negotiation.provisions.iter().map(|p| p.id.as_str()).collect();
    ids.extend(state.lineage.iter().map(|r| r.provision.as_str()));
    ids.extend(state.comments.iter().map(|c| c.provision.as_str()));
    ids.extend(state.stance_history.iter().map(|s| s.stance.provision.as_str()));
    ids.extend(state.carried_comments.iter().map(|c| c.written_on.as_str()));
    ids
}

/// The id for a new provision: `wanted` if given (valid and never used),
/// else one made from its number (`art-5a`, then `art-5a-2`, …).
fn new_id(state: &State, wanted: Option<&str>, number: &str) -> Result<String, Refusal> {
    let known = known_ids(state);
    if let Some(id) = wanted {
        if !validate::is_valid_id(id) {
            return Err(refuse(
                "id",
                "must be 1–64 characters of a–z, 0–9, '.', '_' or '-', starting with a letter or digit",
            ));
        }
        if known.contains(&id) {
            return Err(refuse("id", format!("\"{id}\" is or was a provision's id; ids are never reused")));
        }
        return Ok(id.to_string());
    }
    let slug: String = number
        .to_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '.' || c == '_' { c } else { '-' })
        .take(48)
        .collect();
    let stem = format!("art-{}", slug.trim_matches('-'));
    (1u32..)
        .map(|k| if k == 1 { stem.clone() } else { format!("{stem}-{k}") })
        .find(|candidate| validate::is_valid_id(candidate) && !known.contains(&candidate.as_str()))
        .ok_or_else(|| refuse("id", "no free id"))
}

/// The number for a provision placed at `index` of `provisions` (`moving`,
/// if given, is left out as it is the one being placed).
fn number_at(provisions: &[&Provision], index: usize) -> String {
    let after = index.checked_sub(1).and_then(|i| provisions.get(i)).map(|p| p.number.as_str());
    let before = provisions.get(index).map(|p| p.number.as_str());
    let taken: Vec<&str> = provisions.iter().map(|p| p.number.as_str()).collect();
    numbering::number_between(after, before, &taken)
}

fn restructured(changes: Vec<(&str, LineageChange)>) -> Payload {
    Payload::ProvisionsRestructured {
        changes: changes.into_iter().map(|(p, change)| ProvisionChange { provision: p.to_string(), change }).collect(),
    }
}

fn set_provision(
    state: &State,
    id: &str,
    heading: Option<&str>,
    body: Option<&str>,
    wordings: Option<&Vec<Wording>>,
) -> Planned {
    let (index, old) = find(state, id, "provision")?;
    if heading.is_none() && body.is_none() && wordings.is_none() {
        return Err(refuse("", "nothing to change: give a heading, a body or wordings"));
    }
    let mut provision = old.clone();
    if let Some(heading) = heading {
        provision.heading = heading.to_string();
    }
    if let Some(body) = body {
        check_body(body, "body")?;
        provision.body = body.to_string();
    }
    if let Some(wordings) = wordings {
        if wordings.len() > limits::MAX_WORDINGS_PER_PROVISION {
            return Err(refuse("wordings", format!("at most {} wordings", limits::MAX_WORDINGS_PER_PROVISION)));
        }
        provision.wordings = wordings.clone();
    }
    let change = if provision.heading != old.heading {
        LineageChange::Renamed { from: old.heading.clone() }
    } else {
        LineageChange::Kept
    };
    Ok(vec![Payload::ProvisionSet { provision, index }, restructured(vec![(id, change)])])
}

fn add_provision(
    state: &State,
    after: Option<&str>,
    id: Option<&str>,
    heading: &str,
    body: &str,
    wordings: &[Wording],
) -> Planned {
    let n = &state.negotiation;
    if n.provisions.len() >= limits::MAX_PROVISIONS {
        return Err(refuse("", format!("the text holds the most provisions allowed ({})", limits::MAX_PROVISIONS)));
    }
    let index = match after {
        Some(after) => find(state, after, "after")?.0 + 1,
        None => 0,
    };
    check_body(body, "body")?;
    let all: Vec<&Provision> = n.provisions.iter().collect();
    let number = number_at(&all, index);
    let id = new_id(state, id, &number)?;
    let provision = Provision {
        id: id.clone(),
        number,
        heading: heading.to_string(),
        body: body.to_string(),
        wordings: wordings.to_vec(),
    };
    Ok(vec![
        Payload::ProvisionSet { provision, index },
        restructured(vec![(&id, LineageChange::Added { split_from: None })]),
    ])
}

fn move_provision(state: &State, id: &str, after: Option<&str>) -> Planned {
    let (_, old) = find(state, id, "provision")?;
    if after == Some(id) {
        return Err(refuse("after", "a provision cannot move after itself"));
    }
    let others: Vec<&Provision> = state.negotiation.provisions.iter().filter(|p| p.id != id).collect();
    let index = match after {
        Some(after) => {
            find(state, after, "after")?;
            others.iter().position(|p| p.id == after).map_or(0, |i| i + 1)
        }
        None => 0,
    };
    let provision = Provision { number: number_at(&others, index), ..old.clone() };
    Ok(vec![Payload::ProvisionSet { provision, index }, restructured(vec![(id, LineageChange::Moved)])])
}

fn split_provision(state: &State, id: &str, at: &str, new: Option<&str>, heading: Option<&str>) -> Planned {
    let (index, old) = find(state, id, "provision")?;
    let offset = only_occurrence(&old.body, at, "at")?;
    let (first, second) = old.body.split_at(offset);
    let first = first.trim_end();
    if first.trim().is_empty() {
        return Err(refuse("at", "the split point is at the start of the body: nothing would stay in the first part"));
    }
    let inside_slot = || refuse("at", "the split point falls inside a slot or a literal brace");
    let (first_segments, second_segments) =
        (text::parse_body(first).map_err(|_| inside_slot())?, text::parse_body(second).map_err(|_| inside_slot())?);
    let whole = check_body(&old.body, "provision")?;
    let (first_slots, second_slots) = (slots(&first_segments), slots(&second_segments));
    if first_slots.len() + second_slots.len() != slots(&whole).len() {
        return Err(inside_slot());
    }
    let keep =
        |used: &[&str]| old.wordings.iter().filter(|w| used.contains(&w.issue.as_str())).cloned().collect::<Vec<_>>();
    let all: Vec<&Provision> = state.negotiation.provisions.iter().collect();
    let number = number_at(&all, index + 1);
    let new_id = new_id(state, new, &number)?;
    let first_part = Provision { body: first.to_string(), wordings: keep(&first_slots), ..old.clone() };
    let second_part = Provision {
        id: new_id.clone(),
        number,
        heading: heading.map_or_else(|| old.heading.clone(), str::to_string),
        body: second.to_string(),
        wordings: keep(&second_slots),
    };
    Ok(vec![
        Payload::ProvisionSet { provision: first_part, index },
        Payload::ProvisionSet { provision: second_part, index: index + 1 },
        restructured(vec![
            (&new_id, LineageChange::Added { split_from: Some(id.to_string()) }),
            (id, LineageChange::SplitInto { parts: vec![id.to_string(), new_id.clone()] }),
        ]),
    ])
}

fn merge_provisions(state: &State, ids: &[String]) -> Planned {
    if ids.len() < 2 {
        return Err(refuse("provisions", "name at least two provisions to merge"));
    }
    let mut parts = Vec::with_capacity(ids.len());
    for (i, id) in ids.iter().enumerate() {
        if ids[..i].contains(id) {
            return Err(Refusal { provision: Some(id.clone()), ..refuse(format!("provisions/{i}"), "named twice") });
        }
        parts.push(find(state, id, &format!("provisions/{i}"))?);
    }
    let (index, first) = parts[0];
    let body = parts.iter().map(|(_, p)| p.body.as_str()).collect::<Vec<_>>().join("\n\n");
    let mut wordings: Vec<Wording> = Vec::new();
    for (_, part) in &parts {
        for wording in &part.wordings {
            // Two parts wording the same issue: the first's wording stands.
            if !wordings.iter().any(|w| w.issue == wording.issue) {
                wordings.push(wording.clone());
            }
        }
    }
    if body.len() > limits::MAX_PROVISION_TEXT_BYTES {
        return Err(refuse(
            "provisions",
            format!("the merged body would exceed {} bytes", limits::MAX_PROVISION_TEXT_BYTES),
        ));
    }
    let merged = Provision { body, wordings, ..first.clone() };
    let target = first.id.as_str();
    let mut changes = vec![(target, LineageChange::MergedFrom { sources: ids.to_vec() })];
    changes.extend(ids[1..].iter().map(|id| (id.as_str(), LineageChange::MergedInto { into: target.to_string() })));
    let mut out = vec![Payload::ProvisionSet { provision: merged, index }, restructured(changes)];
    out.extend(ids[1..].iter().map(|id| Payload::ProvisionRemoved { provision: id.clone() }));
    Ok(out)
}

/// The byte offset of the one occurrence of `needle` in `body`.
fn only_occurrence(body: &str, needle: &str, field: &str) -> Result<usize, Refusal> {
    if needle.is_empty() {
        return Err(refuse(field, "must not be empty"));
    }
    let mut found = body.match_indices(needle).map(|(i, _)| i);
    match (found.next(), found.next()) {
        (Some(offset), None) => Ok(offset),
        (None, _) => Err(refuse(field, format!("\"{needle}\" does not occur in the body"))),
        (Some(_), Some(_)) => {
            Err(refuse(field, format!("\"{needle}\" occurs more than once in the body; select a longer span")))
        }
    }
}

fn new_issue_id(state: &State, id: &str) -> Result<(), Refusal> {
    if !validate::is_valid_id(id) {
        return Err(refuse(
            "issue",
            "must be 1–64 characters of a–z, 0–9, '.', '_' or '-', starting with a letter or digit",
        ));
    }
    if state.negotiation.issue_index(id).is_some() {
        return Err(refuse("issue", format!("issue \"{id}\" exists already")));
    }
    Ok(())
}

fn open_bracket(
    state: &State,
    id: &str,
    span: &str,
    issue: &str,
    title: Option<&str>,
    options: &[BracketOption],
) -> Planned {
    let (index, old) = find(state, id, "provision")?;
    new_issue_id(state, issue)?;
    if span.contains(['{', '}']) {
        return Err(refuse("span", "a bracketed span cannot contain a slot or a brace"));
    }
    if options.is_empty() {
        return Err(refuse("options", "a bracket needs at least one option"));
    }
    if options.len() as u64 > limits::MAX_VALUES_PER_ISSUE {
        return Err(refuse("options", format!("at most {} options", limits::MAX_VALUES_PER_ISSUE)));
    }
    for (i, option) in options.iter().enumerate() {
        if !validate::is_valid_id(&option.id) {
            return Err(refuse(format!("options/{i}/id"), "must be 1–64 characters of a–z, 0–9, '.', '_' or '-'"));
        }
        if options[..i].iter().any(|o| o.id == option.id) {
            return Err(refuse(format!("options/{i}/id"), format!("option \"{}\" is named twice", option.id)));
        }
        if option.label.trim().is_empty() {
            return Err(refuse(format!("options/{i}/label"), "must not be empty"));
        }
    }
    let offset = only_occurrence(&old.body, span, "span")?;
    let before = check_body(&old.body, "provision")?;
    let body = format!("{}{{{issue}}}{}", &old.body[..offset], &old.body[offset + span.len()..]);
    // The span must lie in plain text: bracketing it adds exactly one slot.
    let after = check_body(&body, "span")?;
    if slots(&after).len() != slots(&before).len() + 1 || !slots(&after).contains(&issue) {
        return Err(refuse("span", "the span overlaps a slot or an escaped brace"));
    }
    let alternatives = options
        .iter()
        .enumerate()
        .map(|(i, o)| {
            let wording = o.wording.clone().unwrap_or_else(|| if i == 0 { span.to_string() } else { o.label.clone() });
            (o.id.clone(), wording)
        })
        .collect();
    let mut wordings = old.wordings.clone();
    wordings.push(Wording { issue: issue.to_string(), text: WordingText::PerOption(alternatives) });
    let new_issue = Issue {
        id: issue.to_string(),
        title: title.unwrap_or(span).trim().to_string(),
        kind: IssueKind::Discrete {
            options: options.iter().map(|o| IssueOption { id: o.id.clone(), label: o.label.clone() }).collect(),
        },
        draft: Some(Value::Option(options[0].id.clone())),
    };
    let provision = Provision { body, wordings, ..old.clone() };
    Ok(vec![Payload::IssueSet { issue: new_issue }, Payload::ProvisionSet { provision, index }])
}

fn discrete<'a>(issue: &'a Issue) -> Result<&'a [IssueOption], Refusal> {
    match &issue.kind {
        IssueKind::Discrete { options } => Ok(options),
        IssueKind::Numeric(_) => {
            Err(refuse("issue", format!("\"{}\" is numeric: its bracket is a template, not alternatives", issue.id)))
        }
    }
}

/// Every provision that words `issue` with one text per option, with its place.
fn worded<'a>(state: &'a State, issue: &'a str) -> impl Iterator<Item = (usize, &'a Provision)> + 'a {
    state.negotiation.provisions.iter().enumerate().filter(move |(_, p)| {
        p.wordings.iter().any(|w| w.issue == issue && matches!(w.text, WordingText::PerOption(_)))
    })
}

fn add_alternative(state: &State, issue_id: &str, option: &str, label: &str, wording: Option<&str>) -> Planned {
    let issue = issue_of(state, issue_id)?;
    let options = discrete(issue)?;
    if !validate::is_valid_id(option) {
        return Err(refuse("option", "must be 1–64 characters of a–z, 0–9, '.', '_' or '-'"));
    }
    if options.iter().any(|o| o.id == option) {
        return Err(refuse("option", format!("\"{issue_id}\" has an option \"{option}\" already")));
    }
    if label.trim().is_empty() {
        return Err(refuse("label", "must not be empty"));
    }
    if options.len() as u64 >= limits::MAX_VALUES_PER_ISSUE {
        return Err(refuse("option", format!("at most {} options", limits::MAX_VALUES_PER_ISSUE)));
    }
    let mut grown = options.to_vec();
    grown.push(IssueOption { id: option.to_string(), label: label.to_string() });
    let mut out =
        vec![Payload::IssueSet { issue: Issue { kind: IssueKind::Discrete { options: grown }, ..issue.clone() } }];
    for (index, provision) in worded(state, issue_id) {
        let mut provision = provision.clone();
        for w in provision.wordings.iter_mut().filter(|w| w.issue == issue_id) {
            if let WordingText::PerOption(alternatives) = &mut w.text {
                alternatives.push((option.to_string(), wording.unwrap_or(label).to_string()));
            }
        }
        out.push(Payload::ProvisionSet { provision, index });
    }
    Ok(out)
}

fn remove_alternative(state: &State, issue_id: &str, option: &str) -> Planned {
    let issue = issue_of(state, issue_id)?;
    let options = discrete(issue)?;
    if !options.iter().any(|o| o.id == option) {
        return Err(refuse("option", format!("\"{issue_id}\" has no option \"{option}\"")));
    }
    let left: Vec<IssueOption> = options.iter().filter(|o| o.id != option).cloned().collect();
    let Some(first_left) = left.first() else {
        return Err(refuse("option", "the last alternative cannot be removed: close the bracket instead"));
    };
    let draft = match &issue.draft {
        Some(Value::Option(id)) if id == option => Some(Value::Option(first_left.id.clone())),
        other => other.clone(),
    };
    let mut out = vec![Payload::IssueSet {
        issue: Issue { kind: IssueKind::Discrete { options: left }, draft, ..issue.clone() },
    }];
    for (index, provision) in worded(state, issue_id) {
        let mut provision = provision.clone();
        for w in provision.wordings.iter_mut().filter(|w| w.issue == issue_id) {
            if let WordingText::PerOption(alternatives) = &mut w.text {
                alternatives.retain(|(id, _)| id != option);
            }
        }
        out.push(Payload::ProvisionSet { provision, index });
    }
    Ok(out)
}

fn close_bracket(state: &State, issue_id: &str, option: &str) -> Planned {
    let n = &state.negotiation;
    let issue = issue_of(state, issue_id)?;
    let issue_index = n.issue_index(issue_id).ok_or_else(|| refuse("issue", format!("no issue \"{issue_id}\"")))?;
    let value = issue.index_of(&Value::Option(option.to_string())).ok_or_else(|| {
        refuse("option", format!("not a value of \"{issue_id}\"; valid: {}", crate::model::describe_domain(issue)))
    })?;
    let mut package: Package = n.draft_package();
    package.0[issue_index] = value;
    let mut out = Vec::new();
    for (index, provision) in n.provisions.iter().enumerate() {
        let segments = text::parse_body(&provision.body).unwrap_or_default();
        let has_slot = slots(&segments).contains(&issue_id);
        let has_wording = provision.wordings.iter().any(|w| w.issue == issue_id);
        if !has_slot && !has_wording {
            continue;
        }
        let mut closed = provision.clone();
        if has_slot {
            // The slot's wording for the chosen value, rendered on its own.
            let slot_only = Provision { body: format!("{{{issue_id}}}"), ..provision.clone() };
            let wording = text::render_provision(n, &slot_only, &package)
                .map_err(|e| Refusal { provision: Some(provision.id.clone()), ..refuse("option", e.to_string()) })?;
            let segments: Vec<Segment> = segments
                .into_iter()
                .map(|s| match s {
                    Segment::Slot(id) if id == issue_id => Segment::Text(wording.text.clone()),
                    other => other,
                })
                .collect();
            closed.body = write_body(&segments);
        }
        closed.wordings.retain(|w| w.issue != issue_id);
        out.push(Payload::ProvisionSet { provision: closed, index });
    }
    out.push(Payload::IssueRemoved { issue: issue_id.to_string() });
    Ok(out)
}

#[cfg(test)]
mod tests;
