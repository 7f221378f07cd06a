//! Validation of a [`Negotiation`]: unique ids, resolvable references, sane
//! ranges, a consistent timetable. All problems are collected, not just the
//! first, each with a [`Path`] into the model that a file format maps back to
//! a line and column.
//!
//! Roles decide who may hold private inputs: profiles and stances belong to
//! signatories and consulted parties. A mediator drafts the text and an
//! observer only reads it, so a profile or stance for either is reported.

use std::collections::{HashMap, HashSet};

use crate::limits::{self, format_count, issue_value_count, numeric_value_count};
use crate::model::{
    Condition, IssueKind, Negotiation, NumericRange, Position, Profile, Rating, Role, Test, Value, Weighting,
    WordingText, describe_domain, format_plain_number,
};
use crate::text::{Segment, parse_body};

/// One step of a path into the model, named as the scenario file names it:
/// `provision[3].wording.army-cap` is `[Key("provision"), Index(3), Key("wording"), Key("army-cap")]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathSeg {
    Key(String),
    Index(usize),
}

pub type Path = Vec<PathSeg>;

/// Formats a path as `provision[3].wording.army-cap`, for reports that have no file to point into.
pub fn display_path(path: &[PathSeg]) -> String {
    let mut out = String::new();
    for seg in path {
        match seg {
            PathSeg::Key(k) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(k);
            }
            PathSeg::Index(i) => out.push_str(&format!("[{i}]")),
        }
    }
    out
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Where the problem is.
    pub path: Path,
    /// What is wrong, naming the entity ("provision \"art-9\" uses issue \"army-cap\", which is not defined").
    pub message: String,
    /// How to fix it, when there is something useful to say ("defined issues: territory, guarantees").
    pub hint: Option<String>,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", display_path(&self.path), self.message)?;
        if let Some(hint) = &self.hint {
            write!(f, " ({hint})")?;
        }
        Ok(())
    }
}

/// The longest identifier accepted.
pub const MAX_ID_LEN: usize = 64;

/// Whether `id` is 1–64 characters of `[a-z0-9._-]`, starting with a letter or digit.
pub fn is_valid_id(id: &str) -> bool {
    let mut chars = id.chars();
    let Some(first) = chars.next() else { return false };
    id.len() <= MAX_ID_LEN
        && (first.is_ascii_lowercase() || first.is_ascii_digit())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '_' | '.'))
}

/// A valid identifier close to `raw` ("North Korea" → "north-korea"), if one can be made.
pub fn suggest_id(raw: &str) -> Option<String> {
    let mut out = String::new();
    for c in raw.trim().chars() {
        let c = c.to_ascii_lowercase();
        if c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '_' | '.') {
            out.push(c);
        } else if (c.is_whitespace() || c == '/') && !out.ends_with('-') {
            out.push('-');
        }
    }
    let trimmed: String = out.trim_start_matches(['-', '_', '.']).chars().take(MAX_ID_LEN).collect();
    let trimmed = trimmed.trim_end_matches('-').to_string();
    is_valid_id(&trimmed).then_some(trimmed)
}

/// Checks every rule; an empty result means the negotiation is valid.
///
/// A negotiation with more issues, parties, provisions or constraints than
/// [`limits`] allows is reported for that alone: checking the rest would cost
/// time in proportion to the very sizes the limits bound.
pub fn validate(negotiation: &Negotiation) -> Vec<Problem> {
    let mut v = Validator { n: negotiation, problems: Vec::new() };
    if !v.counts_within_limits() {
        return v.problems;
    }
    v.negotiation();
    v.parties();
    v.issues();
    v.provisions();
    v.constraints();
    v.phases();
    v.profiles();
    v.stances();
    v.problems
}

fn key(s: &str) -> PathSeg {
    PathSeg::Key(s.to_string())
}

fn idx(i: usize) -> PathSeg {
    PathSeg::Index(i)
}

fn join<S: AsRef<str>>(items: impl IntoIterator<Item = S>) -> String {
    items.into_iter().map(|s| s.as_ref().to_string()).collect::<Vec<_>>().join(", ")
}

fn quoted_list<S: AsRef<str>>(items: impl IntoIterator<Item = S>) -> String {
    join(items.into_iter().map(|s| format!("\"{}\"", s.as_ref())))
}

/// Edit distance, for "did you mean" hints on misspelt ids.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(ca != *cb)).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

/// The closest known id to a misspelt one, when it is close enough to be a likely typo.
///
/// Ids that differ only in their digits ("art-9", "art-1") are distinct
/// entities, not typos of each other, and long inputs are not compared at all.
pub fn closest<'a>(wanted: &str, known: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    if wanted.len() > 2 * MAX_ID_LEN {
        return None;
    }
    let without_digits = |s: &str| s.chars().filter(|c| !c.is_ascii_digit()).collect::<String>();
    let wanted_letters = without_digits(wanted);
    known
        .into_iter()
        .filter(|k| k.len() <= 2 * MAX_ID_LEN && without_digits(k) != wanted_letters)
        .map(|k| (edit_distance(wanted, k), k))
        .filter(|&(d, k)| d > 0 && d <= (wanted.len().max(k.len()) / 3).max(1))
        .min_by_key(|&(d, _)| d)
        .map(|(_, k)| k)
}

fn did_you_mean<'a>(wanted: &str, known: impl IntoIterator<Item = &'a str>) -> Option<String> {
    closest(wanted, known).map(|k| format!("did you mean \"{k}\"?"))
}

/// A rating or share on the 0–1 scale.
fn in_unit_interval(x: f64) -> bool {
    (0.0..=1.0).contains(&x)
}

/// The divisors of `span` closest to `step`, below and above, for ranges up to 10^12.
fn nearest_divisors(span: u64, step: u64) -> (Option<u64>, Option<u64>) {
    if span == 0 || span > 1_000_000_000_000 {
        return (None, None);
    }
    let mut below = None;
    let mut above = None;
    let mut d = 1u64;
    while d * d <= span {
        if span.is_multiple_of(d) {
            for candidate in [d, span / d] {
                if candidate < step && below.is_none_or(|b| candidate > b) {
                    below = Some(candidate);
                }
                if candidate > step && above.is_none_or(|a| candidate < a) {
                    above = Some(candidate);
                }
            }
        }
        d += 1;
    }
    (below, above)
}

/// Decimal places needed to write `x` exactly as Rust prints it (at most 9).
fn places(x: f64) -> u32 {
    let text = format!("{x}");
    text.split_once('.').map_or(0, |(_, frac)| frac.len().min(9) as u32)
}

/// A hint for a step that does not divide its range: steps that do, and the
/// maxima that would fit the written step.
fn step_hint(range: &NumericRange) -> String {
    let scale_places = places(range.min).max(places(range.max)).max(places(range.step));
    let scale = 10f64.powi(scale_places as i32);
    let span = ((range.max - range.min) * scale).round();
    let step = (range.step * scale).round();
    let fmt = |x: f64| format_plain_number(x / scale);
    let mut options = Vec::new();
    if span > 0.0 && step > 0.0 && span < 1e12 {
        let (below, above) = nearest_divisors(span as u64, step as u64);
        let steps: Vec<String> = [below, above].into_iter().flatten().map(|d| fmt(d as f64)).collect();
        if !steps.is_empty() {
            options.push(format!("use step = {} (divides the range {})", steps.join(" or "), fmt(span)));
        }
        let lower_max = range.min + (span / step).floor() * range.step;
        let upper_max = range.min + (span / step).ceil() * range.step;
        let lower_max = (lower_max * scale).round() / scale;
        let upper_max = (upper_max * scale).round() / scale;
        if lower_max > range.min {
            options.push(format!(
                "keep step = {} with max = {} or {}",
                format_plain_number(range.step),
                format_plain_number(lower_max),
                format_plain_number(upper_max)
            ));
        } else {
            options.push(format!(
                "keep step = {} with max = {}",
                format_plain_number(range.step),
                format_plain_number(upper_max)
            ));
        }
    }
    if options.is_empty() { "choose a step that divides max − min".to_string() } else { options.join(", or ") }
}

struct Validator<'a> {
    n: &'a Negotiation,
    problems: Vec<Problem>,
}

impl<'a> Validator<'a> {
    fn report(&mut self, path: Path, message: impl Into<String>, hint: Option<String>) {
        self.problems.push(Problem { path, message: message.into(), hint });
    }

    fn issue_ids(&self) -> String {
        join(self.n.issues.iter().map(|i| i.id.as_str()))
    }

    fn party_ids(&self) -> String {
        join(self.n.parties.iter().map(|p| p.id.as_str()))
    }

    fn check_id(&mut self, path: Path, what: &str, id: &str) {
        if is_valid_id(id) {
            return;
        }
        let shown = if id.is_empty() { "an empty id".to_string() } else { format!("id \"{id}\"") };
        let mut hint = "ids are 1–64 characters of lowercase letters, digits, '-', '_' and '.', starting with a \
                        letter or digit"
            .to_string();
        if let Some(s) = suggest_id(id).filter(|s| s != id) {
            hint = format!("{hint}; for example \"{s}\"");
        }
        self.report(path, format!("{what} has {shown}, which is not a valid identifier"), Some(hint));
    }

    /// Reports each id used a second time, pointing at the later use.
    fn check_unique<'s>(&mut self, table: &str, what: &str, ids: impl IntoIterator<Item = &'s str>) {
        let mut seen: HashMap<&str, usize> = HashMap::new();
        for (i, id) in ids.into_iter().enumerate() {
            if let Some(first) = seen.get(id) {
                self.report(
                    vec![key(table), idx(i), key("id")],
                    format!("{what} id \"{id}\" is used twice"),
                    Some(format!("{what}s {} and {} both use it; ids must be unique", first + 1, i + 1)),
                );
            } else {
                seen.insert(id, i);
            }
        }
    }

    fn check_finite(&mut self, path: Path, what: &str, x: f64) -> bool {
        if x.is_finite() {
            return true;
        }
        self.report(path, format!("{what} is {x}, which is not a number that can be used"), None);
        false
    }

    /// Reports every collection longer than its limit; false when any is.
    fn counts_within_limits(&mut self) -> bool {
        let n = self.n;
        let counts = [
            ("party", "parties", n.parties.len(), limits::MAX_PARTIES, "MAX_PARTIES"),
            ("issue", "issues", n.issues.len(), limits::MAX_ISSUES, "MAX_ISSUES"),
            ("provision", "provisions", n.provisions.len(), limits::MAX_PROVISIONS, "MAX_PROVISIONS"),
            ("constraint", "constraints", n.constraints.len(), limits::MAX_CONSTRAINTS, "MAX_CONSTRAINTS"),
        ];
        let mut within = true;
        for (table, what, count, limit, name) in counts {
            if count > limit {
                within = false;
                self.report(
                    vec![key(table)],
                    format!(
                        "the negotiation has {} {what}, more than the limit of {} (limits::{name})",
                        format_count(count as u64),
                        format_count(limit as u64)
                    ),
                    Some("split it into smaller negotiations; nothing else was checked".into()),
                );
            }
        }
        within
    }

    /// Reports the sum of all issues' values beyond [`limits::MAX_TOTAL_VALUES`]
    /// (each issue within its own limit can still add up to too much). An issue
    /// over its own limit is reported on its own and not counted here.
    fn total_values(&mut self) {
        let total = self
            .n
            .issues
            .iter()
            .map(issue_value_count)
            .filter(|&count| count <= limits::MAX_VALUES_PER_ISSUE)
            .fold(0u64, u64::saturating_add);
        if total > limits::MAX_TOTAL_VALUES {
            self.report(
                vec![key("issue")],
                format!(
                    "the issues take {} values together, more than the limit of {} (limits::MAX_TOTAL_VALUES)",
                    format_count(total),
                    format_count(limits::MAX_TOTAL_VALUES)
                ),
                Some("use larger steps or fewer options".into()),
            );
        }
    }

    fn negotiation(&mut self) {
        self.check_id(vec![key("negotiation"), key("id")], "the negotiation", &self.n.id);
        if self.n.title.trim().is_empty() {
            self.report(
                vec![key("negotiation"), key("title")],
                "the negotiation has an empty title",
                Some("give the agreement's title, e.g. title = \"Framework for Peace\"".into()),
            );
        }
    }

    fn parties(&mut self) {
        for (i, party) in self.n.parties.iter().enumerate() {
            self.check_id(vec![key("party"), idx(i), key("id")], &format!("party {}", i + 1), &party.id);
            if party.name.trim().is_empty() {
                self.report(
                    vec![key("party"), idx(i), key("name")],
                    format!("party \"{}\" has an empty name", party.id),
                    None,
                );
            }
        }
        self.check_unique("party", "party", self.n.parties.iter().map(|p| p.id.as_str()));
        let signatories: Vec<&str> = self.n.parties_with_role(Role::Signatory).map(|p| p.id.as_str()).collect();
        if signatories.len() < 2 {
            let have = match signatories.as_slice() {
                [] => "no signatory".to_string(),
                [one] => format!("one signatory (\"{one}\")"),
                more => format!("{} signatories", more.len()),
            };
            self.report(
                vec![key("party")],
                format!("the negotiation has {have}; at least two are needed"),
                Some("set role = \"signatory\" on each party whose consent the agreement needs".into()),
            );
        }
        if self.n.parties_with_role(Role::Mediator).next().is_none() {
            self.report(
                vec![key("party")],
                "the negotiation has no mediator",
                Some("add a [[party]] with role = \"mediator\": the mediator keeps the single negotiating text".into()),
            );
        }
    }

    fn issues(&mut self) {
        for (i, issue) in self.n.issues.iter().enumerate() {
            let at = |rest: &[&str]| {
                let mut p = vec![key("issue"), idx(i)];
                p.extend(rest.iter().map(|k| key(k)));
                p
            };
            self.check_id(at(&["id"]), &format!("issue {}", i + 1), &issue.id);
            match &issue.kind {
                IssueKind::Discrete { options } => {
                    if options.is_empty() {
                        self.report(
                            at(&["options"]),
                            format!("issue \"{}\" has no options", issue.id),
                            Some("list its options in order: options = [{ id = \"a\", label = \"…\" }, …]".into()),
                        );
                    }
                    if options.len() as u64 > limits::MAX_VALUES_PER_ISSUE {
                        self.report(
                            at(&["options"]),
                            format!(
                                "issue \"{}\" has {} options, more than the limit of {} per issue \
                                 (limits::MAX_VALUES_PER_ISSUE)",
                                issue.id,
                                format_count(options.len() as u64),
                                format_count(limits::MAX_VALUES_PER_ISSUE)
                            ),
                            None,
                        );
                        continue;
                    }
                    let mut seen: HashMap<&str, usize> = HashMap::new();
                    for (k, option) in options.iter().enumerate() {
                        let path = vec![key("issue"), idx(i), key("options"), idx(k), key("id")];
                        self.check_id(path.clone(), &format!("option {} of issue \"{}\"", k + 1, issue.id), &option.id);
                        if let Some(first) = seen.get(option.id.as_str()) {
                            self.report(
                                path,
                                format!("issue \"{}\" lists option \"{}\" twice", issue.id, option.id),
                                Some(format!(
                                    "options {} and {} both use it; option ids must be unique",
                                    first + 1,
                                    k + 1
                                )),
                            );
                        } else {
                            seen.insert(&option.id, k);
                        }
                    }
                }
                IssueKind::Numeric(range) => self.range(i, &issue.id, range),
            }
            if let Some(draft) = &issue.draft {
                let finite = match draft {
                    Value::Number(x) => {
                        self.check_finite(at(&["draft"]), &format!("the draft of issue \"{}\"", issue.id), *x)
                    }
                    Value::Option(_) => true,
                };
                if finite && issue.value_count() > 0 && issue.index_of(draft).is_none() {
                    let what = match issue.kind {
                        IssueKind::Discrete { .. } => "options",
                        IssueKind::Numeric(_) => "values",
                    };
                    self.report(
                        at(&["draft"]),
                        format!("the draft of issue \"{}\" is {draft}, which is not one of its {what}", issue.id),
                        Some(format!("{what}: {}", describe_domain(issue))),
                    );
                }
            }
        }
        self.check_unique("issue", "issue", self.n.issues.iter().map(|i| i.id.as_str()));
        self.total_values();
    }

    fn range(&mut self, i: usize, id: &str, range: &NumericRange) {
        let at = |k: &str| vec![key("issue"), idx(i), key("range"), key(k)];
        let mut finite = true;
        for (name, x) in [("min", range.min), ("max", range.max), ("step", range.step)] {
            finite &= self.check_finite(at(name), &format!("the {name} of issue \"{id}\""), x);
        }
        if !finite {
            return;
        }
        if range.integer {
            for (name, x) in [("min", range.min), ("max", range.max), ("step", range.step)] {
                if x.fract() != 0.0 {
                    self.report(
                        at(name),
                        format!("issue \"{id}\" has an integer range but its {name} is {x}"),
                        Some("write every bound of a decimal range with a decimal point (0.5, 10.0)".into()),
                    );
                    return;
                }
            }
        }
        if range.max < range.min {
            self.report(
                at("max"),
                format!(
                    "the range of issue \"{id}\" is inverted: max {} is below min {}",
                    format_plain_number(range.max),
                    format_plain_number(range.min)
                ),
                Some(format!(
                    "swap them: min = {}, max = {}",
                    format_plain_number(range.max),
                    format_plain_number(range.min)
                )),
            );
            return;
        }
        if range.max == range.min {
            self.report(
                at("max"),
                format!(
                    "the range of issue \"{id}\" is empty: min and max are both {}",
                    format_plain_number(range.min)
                ),
                Some("a numeric issue needs max > min; a value that cannot change belongs in fixed text".into()),
            );
            return;
        }
        if range.step <= 0.0 {
            self.report(
                at("step"),
                format!("the step of issue \"{id}\" is {}, but it must be positive", format_plain_number(range.step)),
                None,
            );
            return;
        }
        let count = numeric_value_count(range);
        if count > limits::MAX_VALUES_PER_ISSUE {
            // The smallest step that keeps the grid within the limit, rounded
            // up to two significant digits so the hint reads as a number to use.
            let smallest = (range.max - range.min) / (limits::MAX_VALUES_PER_ISSUE - 1) as f64;
            let scale = 10f64.powf(smallest.log10().floor() - 1.0);
            let smallest = (smallest / scale).ceil() * scale;
            self.report(
                at("step"),
                format!(
                    "issue \"{id}\" would have {} values ({} to {} in steps of {}), more than the limit of {} \
                     per issue (limits::MAX_VALUES_PER_ISSUE)",
                    format_count(count),
                    format_plain_number(range.min),
                    format_plain_number(range.max),
                    format_plain_number(range.step),
                    format_count(limits::MAX_VALUES_PER_ISSUE)
                ),
                Some(format!("use a step of at least {}", format_plain_number(smallest))),
            );
            return;
        }
        if range.len().is_none() {
            self.report(
                at("step"),
                format!(
                    "the step {} of issue \"{id}\" does not divide its range {} to {}",
                    format_plain_number(range.step),
                    format_plain_number(range.min),
                    format_plain_number(range.max)
                ),
                Some(step_hint(range)),
            );
        }
    }

    /// Reports a provision whose text or wordings exceed [`limits`]; false
    /// when any does (its other checks are then skipped: they cost time in
    /// proportion to the text).
    fn provision_within_limits(&mut self, i: usize, provision: &crate::model::Provision) -> bool {
        let mut within = true;
        if provision.body.len() > limits::MAX_PROVISION_TEXT_BYTES {
            within = false;
            self.report(
                vec![key("provision"), idx(i), key("text")],
                format!(
                    "the text of provision \"{}\" is {} bytes, more than the limit of {} \
                     (limits::MAX_PROVISION_TEXT_BYTES)",
                    provision.id,
                    format_count(provision.body.len() as u64),
                    format_count(limits::MAX_PROVISION_TEXT_BYTES as u64)
                ),
                Some("split it into several provisions".into()),
            );
        }
        if provision.wordings.len() > limits::MAX_WORDINGS_PER_PROVISION {
            within = false;
            self.report(
                vec![key("provision"), idx(i), key("wording")],
                format!(
                    "provision \"{}\" has {} wordings, more than the limit of {} (limits::MAX_WORDINGS_PER_PROVISION)",
                    provision.id,
                    format_count(provision.wordings.len() as u64),
                    format_count(limits::MAX_WORDINGS_PER_PROVISION as u64)
                ),
                Some("split it into several provisions".into()),
            );
            return within;
        }
        for wording in &provision.wordings {
            let longest = match &wording.text {
                WordingText::PerOption(texts) => texts.iter().map(|(_, text)| text.len()).max().unwrap_or(0),
                WordingText::Template(template) => template.len(),
            };
            if longest > limits::MAX_PROVISION_TEXT_BYTES {
                within = false;
                self.report(
                    vec![key("provision"), idx(i), key("wording"), key(&wording.issue)],
                    format!(
                        "a wording of provision \"{}\" for issue \"{}\" is {} bytes, more than the limit of {} \
                         (limits::MAX_PROVISION_TEXT_BYTES)",
                        provision.id,
                        wording.issue,
                        format_count(longest as u64),
                        format_count(limits::MAX_PROVISION_TEXT_BYTES as u64)
                    ),
                    None,
                );
            }
        }
        within
    }

    fn provisions(&mut self) {
        let n = self.n;
        for (i, provision) in n.provisions.iter().enumerate() {
            let at = |rest: &[&str]| {
                let mut p = vec![key("provision"), idx(i)];
                p.extend(rest.iter().map(|k| key(k)));
                p
            };
            self.check_id(at(&["id"]), &format!("provision {}", i + 1), &provision.id);
            if !self.provision_within_limits(i, provision) {
                continue;
            }
            let mut slots: Vec<String> = Vec::new();
            let mut slot_set: HashSet<String> = HashSet::new();
            match parse_body(&provision.body) {
                Ok(segments) => {
                    for seg in segments {
                        if let Segment::Slot(s) = seg
                            && slot_set.insert(s.clone())
                        {
                            slots.push(s);
                        }
                    }
                }
                Err(e) => self.report(at(&["text"]), format!("provision \"{}\": {e}", provision.id), None),
            }
            for slot in &slots {
                if n.issue_index(slot).is_none() {
                    self.report(
                        at(&["text"]),
                        format!(
                            "provision \"{}\" uses issue \"{slot}\", which is not defined; defined issues: {}",
                            provision.id,
                            self.issue_ids()
                        ),
                        did_you_mean(slot, n.issues.iter().map(|i| i.id.as_str())),
                    );
                } else if !provision.wordings.iter().any(|w| &w.issue == slot) {
                    let example = match n.issue_index(slot).map(|k| &n.issues[k].kind) {
                        Some(IssueKind::Numeric(_)) => "template = \"{value} {unit}\"".to_string(),
                        _ => "one wording per option".to_string(),
                    };
                    self.report(
                        at(&["text"]),
                        format!("provision \"{}\" has a slot {{{slot}}} but no wording for it", provision.id),
                        Some(format!("add a [provision.wording.{slot}] table after this provision, with {example}")),
                    );
                }
            }
            let mut seen = HashSet::new();
            for wording in &provision.wordings {
                let path = at(&["wording", &wording.issue]);
                if !seen.insert(wording.issue.as_str()) {
                    self.report(
                        path.clone(),
                        format!("provision \"{}\" has two wordings for issue \"{}\"", provision.id, wording.issue),
                        None,
                    );
                    continue;
                }
                let Some(issue_index) = n.issue_index(&wording.issue) else {
                    self.report(
                        path,
                        format!(
                            "provision \"{}\" has a wording for issue \"{}\", which is not defined; defined issues: {}",
                            provision.id,
                            wording.issue,
                            self.issue_ids()
                        ),
                        did_you_mean(&wording.issue, n.issues.iter().map(|i| i.id.as_str())),
                    );
                    continue;
                };
                if !slots.contains(&wording.issue) {
                    self.report(
                        path.clone(),
                        format!(
                            "provision \"{}\" has a wording for issue \"{}\" but its text has no {{{}}} slot",
                            provision.id, wording.issue, wording.issue
                        ),
                        Some(format!(
                            "put {{{}}} in the text where the wording belongs, or remove the wording",
                            wording.issue
                        )),
                    );
                }
                let issue = &n.issues[issue_index];
                match (&issue.kind, &wording.text) {
                    (IssueKind::Discrete { options }, WordingText::PerOption(texts)) => {
                        let mut given = HashSet::new();
                        for (option, _) in texts {
                            if !given.insert(option.as_str()) {
                                self.report(
                                    path.clone(),
                                    format!(
                                        "provision \"{}\" gives two wordings for option \"{option}\" of issue \"{}\"",
                                        provision.id, issue.id
                                    ),
                                    None,
                                );
                            } else if !options.iter().any(|o| &o.id == option) {
                                let mut p = path.clone();
                                p.push(key(option));
                                self.report(
                                    p,
                                    format!(
                                        "provision \"{}\" gives a wording for option \"{option}\", which issue \"{}\" does not have; options: {}",
                                        provision.id,
                                        issue.id,
                                        describe_domain(issue)
                                    ),
                                    did_you_mean(option, options.iter().map(|o| o.id.as_str())),
                                );
                            }
                        }
                        let missing: Vec<&str> =
                            options.iter().filter(|o| !given.contains(o.id.as_str())).map(|o| o.id.as_str()).collect();
                        if !missing.is_empty() {
                            let noun = if missing.len() == 1 { "option" } else { "options" };
                            self.report(
                                path.clone(),
                                format!(
                                    "the wording of provision \"{}\" for issue \"{}\" misses {noun} {}",
                                    provision.id,
                                    issue.id,
                                    join(&missing)
                                ),
                                Some(format!(
                                    "every option needs a wording; add {}",
                                    join(missing.iter().map(|m| format!("{m} = \"…\"")))
                                )),
                            );
                        }
                    }
                    (IssueKind::Discrete { options }, WordingText::Template(_)) => self.report(
                        path,
                        format!(
                            "provision \"{}\" gives a template for issue \"{}\", which is discrete",
                            provision.id, issue.id
                        ),
                        Some(format!(
                            "give one wording per option instead: {}",
                            join(options.iter().map(|o| format!("{} = \"…\"", o.id)))
                        )),
                    ),
                    (IssueKind::Numeric(_), WordingText::PerOption(_)) => self.report(
                        path,
                        format!(
                            "provision \"{}\" needs a template for issue \"{}\", which is numeric",
                            provision.id, issue.id
                        ),
                        Some("write template = \"{value} {unit}\"; {value} becomes the formatted number".into()),
                    ),
                    (IssueKind::Numeric(_), WordingText::Template(template)) => {
                        let mut template_path = path.clone();
                        template_path.push(key("template"));
                        self.template(template_path, &provision.id, &issue.id, template);
                    }
                }
            }
        }
        self.check_unique("provision", "provision", n.provisions.iter().map(|p| p.id.as_str()));
    }

    /// A template is literal text in which `{value}` and `{unit}` are replaced.
    /// Other braces stay as written, but `{word}` made of a placeholder's
    /// characters is almost certainly a misspelt placeholder.
    fn template(&mut self, path: Path, provision: &str, issue: &str, template: &str) {
        let has_value = template.contains("{value}");
        for (open, _) in template.match_indices('{') {
            let after = &template[open + 1..];
            let name_len = after.find(|c: char| !(c.is_ascii_lowercase() || c == '_')).unwrap_or(after.len());
            let (name, rest) = after.split_at(name_len);
            if name.is_empty() || !rest.starts_with('}') || name == "value" || name == "unit" {
                continue;
            }
            self.report(
                path.clone(),
                format!(
                    "the template of provision \"{provision}\" for issue \"{issue}\" has an unknown placeholder {{{name}}}"
                ),
                Some("a template may use {value} and {unit}".into()),
            );
            return;
        }
        if !has_value {
            self.report(
                path,
                format!("the template of provision \"{provision}\" for issue \"{issue}\" has no {{value}}"),
                Some("write where the number goes, e.g. template = \"{value} {unit}\"".into()),
            );
        }
    }

    /// Checks one condition. `owner` names where it sits ("constraint \"c1\"").
    fn condition(&mut self, path: Path, owner: &str, condition: &Condition) {
        let n = self.n;
        let at = |k: &str| {
            let mut p = path.clone();
            p.push(key(k));
            p
        };
        let Some(issue_index) = n.issue_index(&condition.issue) else {
            self.report(
                at("issue"),
                format!(
                    "{owner} tests issue \"{}\", which is not defined; defined issues: {}",
                    condition.issue,
                    self.issue_ids()
                ),
                did_you_mean(&condition.issue, n.issues.iter().map(|i| i.id.as_str())),
            );
            return;
        };
        let issue = &n.issues[issue_index];
        match &condition.test {
            Test::OneOf(values) => {
                if values.is_empty() {
                    self.report(
                        at("is"),
                        format!("{owner} tests issue \"{}\" against an empty list", issue.id),
                        Some(format!("name at least one value: {}", describe_domain(issue))),
                    );
                }
                if issue.value_count() == 0 {
                    return;
                }
                for (k, value) in values.iter().enumerate() {
                    if issue.index_of(&Value::Option(value.clone())).is_none() {
                        let mut p = at("is");
                        p.push(idx(k));
                        let (noun, known) = match &issue.kind {
                            IssueKind::Discrete { options } => {
                                ("option", options.iter().map(|o| o.id.as_str()).collect())
                            }
                            IssueKind::Numeric(_) => ("value", Vec::new()),
                        };
                        self.report(
                            p,
                            format!(
                                "{owner} names {noun} \"{value}\" of issue \"{}\", which has no such {noun}; {noun}s: {}",
                                issue.id,
                                describe_domain(issue)
                            ),
                            did_you_mean(value, known),
                        );
                    }
                }
            }
            Test::Range { min, max } => {
                if let IssueKind::Discrete { options } = &issue.kind {
                    self.report(
                        at(if min.is_some() { "at_least" } else { "at_most" }),
                        format!("{owner} uses at_least/at_most on issue \"{}\", which is discrete", issue.id),
                        Some(format!(
                            "name the options instead: is = [{}]",
                            quoted_list(options.iter().map(|o| &o.id))
                        )),
                    );
                    return;
                }
                if min.is_none() && max.is_none() {
                    self.report(
                        path.clone(),
                        format!("{owner} tests issue \"{}\" without a bound", issue.id),
                        Some("give at_least, at_most or both".into()),
                    );
                }
                let mut finite = true;
                for (name, bound) in [("at_least", min), ("at_most", max)] {
                    if let Some(x) = bound {
                        finite &= self.check_finite(at(name), &format!("{name} in {owner}"), *x);
                    }
                }
                if let (true, Some(lo), Some(hi)) = (finite, min, max)
                    && lo > hi
                {
                    self.report(
                        at("at_most"),
                        format!(
                            "{owner} asks for issue \"{}\" at least {} and at most {}, which no value can meet",
                            issue.id,
                            format_plain_number(*lo),
                            format_plain_number(*hi)
                        ),
                        None,
                    );
                }
            }
        }
    }

    fn constraints(&mut self) {
        for (i, constraint) in self.n.constraints.iter().enumerate() {
            self.check_id(vec![key("constraint"), idx(i), key("id")], &format!("constraint {}", i + 1), &constraint.id);
            let owner = format!("constraint \"{}\"", constraint.id);
            if constraint.then.is_empty() {
                self.report(
                    vec![key("constraint"), idx(i), key("then")],
                    format!("{owner} has no `then` conditions"),
                    Some("say what must hold, e.g. then = [{ issue = \"army-cap\", at_least = 800000 }]".into()),
                );
            }
            for (part, conditions) in [("when", &constraint.when), ("then", &constraint.then)] {
                for (k, condition) in conditions.iter().enumerate() {
                    self.condition(vec![key("constraint"), idx(i), key(part), idx(k)], &owner, condition);
                }
            }
        }
        self.check_unique("constraint", "constraint", self.n.constraints.iter().map(|c| c.id.as_str()));
    }

    fn phases(&mut self) {
        let phases = &self.n.timetable.phases;
        for (i, phase) in phases.iter().enumerate() {
            self.check_id(vec![key("phase"), idx(i), key("id")], &format!("phase {}", i + 1), &phase.id);
            if phase.end <= phase.start {
                self.report(
                    vec![key("phase"), idx(i), key("end")],
                    format!(
                        "phase \"{}\" ends at {} but starts at {}",
                        phase.id,
                        phase.end.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
                        phase.start.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
                    ),
                    Some("a phase must end after it starts".into()),
                );
            }
        }
        for (i, pair) in phases.windows(2).enumerate() {
            let (before, after) = (&pair[0], &pair[1]);
            let path = vec![key("phase"), idx(i + 1), key("start")];
            if after.start < before.start {
                self.report(
                    path,
                    format!("phase \"{}\" starts before phase \"{}\", which is listed before it", after.id, before.id),
                    Some("list the phases in the order they happen".into()),
                );
            } else if after.start < before.end {
                self.report(
                    path,
                    format!(
                        "phase \"{}\" starts at {}, before phase \"{}\" ends at {}",
                        after.id,
                        after.start.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
                        before.id,
                        before.end.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
                    ),
                    Some("phases may not overlap: end the earlier one sooner or start the later one later".into()),
                );
            }
        }
        self.check_unique("phase", "phase", phases.iter().map(|p| p.id.as_str()));
    }

    /// Profiles and stances belong to parties that negotiate: signatories and consulted parties.
    fn check_holder(&mut self, path: Path, what: &str, party_id: &str) -> bool {
        match self.n.party(party_id) {
            None => {
                self.report(
                    path,
                    format!("{what} party \"{party_id}\", which is not defined; defined parties: {}", self.party_ids()),
                    did_you_mean(party_id, self.n.parties.iter().map(|p| p.id.as_str())),
                );
                false
            }
            Some(party) if matches!(party.role, Role::Mediator | Role::Observer) => {
                self.report(
                    path,
                    format!("{what} party \"{party_id}\", which is {} {}", article(party.role), party.role),
                    Some("only signatories and consulted parties hold profiles and stances".into()),
                );
                false
            }
            Some(_) => true,
        }
    }

    fn profiles(&mut self) {
        let mut seen = HashSet::new();
        for profile in &self.n.profiles {
            let base = vec![key("profile"), key(&profile.party)];
            if !seen.insert(profile.party.as_str()) {
                self.report(base.clone(), format!("party \"{}\" has two profiles", profile.party), None);
                continue;
            }
            self.check_holder(base.clone(), "there is a profile for", &profile.party);
            self.profile(base, profile);
        }
    }

    fn profile(&mut self, base: Path, profile: &Profile) {
        let n = self.n;
        let party = &profile.party;
        let at = |rest: &[&str]| {
            let mut p = base.clone();
            p.extend(rest.iter().map(|k| key(k)));
            p
        };
        if self.check_finite(at(&["reservation"]), &format!("the reservation of \"{party}\""), profile.reservation)
            && !in_unit_interval(profile.reservation)
        {
            self.report(
                at(&["reservation"]),
                format!("the reservation of \"{party}\" is {}, outside 0–1", format_plain_number(profile.reservation)),
                Some("the reservation is the walk-away utility on the 0–1 scale".into()),
            );
        }
        if let Some(d) = profile.discount_factor
            && self.check_finite(at(&["discount_factor"]), &format!("the discount factor of \"{party}\""), d)
            && !in_unit_interval(d)
        {
            self.report(
                at(&["discount_factor"]),
                format!("the discount factor of \"{party}\" is {}, outside 0–1", format_plain_number(d)),
                None,
            );
        }

        let mut seen = HashSet::new();
        let mut total = 0.0;
        let mut all_finite = true;
        for (issue_id, weight) in &profile.weights {
            let path = at(&["weights", issue_id]);
            if !seen.insert(issue_id.as_str()) {
                self.report(path, format!("the profile of \"{party}\" weighs issue \"{issue_id}\" twice"), None);
                continue;
            }
            if n.issue_index(issue_id).is_none() {
                self.report(
                    path.clone(),
                    format!(
                        "the profile of \"{party}\" weighs issue \"{issue_id}\", which is not defined; defined issues: {}",
                        self.issue_ids()
                    ),
                    did_you_mean(issue_id, n.issues.iter().map(|i| i.id.as_str())),
                );
            }
            if !self.check_finite(path.clone(), &format!("the weight of \"{issue_id}\" for \"{party}\""), *weight) {
                all_finite = false;
                continue;
            }
            if *weight < 0.0 {
                self.report(
                    path,
                    format!(
                        "the profile of \"{party}\" gives issue \"{issue_id}\" a negative weight ({})",
                        format_plain_number(*weight)
                    ),
                    Some("weights are ≥ 0: how much the issue matters, not whether the party likes it".into()),
                );
                all_finite = false;
            } else {
                total += weight;
            }
        }
        if all_finite && total == 0.0 {
            let scheme = match profile.weighting {
                Weighting::Normalised => "weights are divided by their sum",
                Weighting::AsWritten => "every share would be 0",
            };
            self.report(
                at(&["weights"]),
                format!("the profile of \"{party}\" gives every issue zero weight"),
                Some(format!("{scheme}; give at least one issue a positive weight")),
            );
        }

        let mut rated = HashSet::new();
        for (issue_id, rating) in &profile.ratings {
            let path = at(&["ratings", issue_id]);
            if !rated.insert(issue_id.as_str()) {
                self.report(path, format!("the profile of \"{party}\" rates issue \"{issue_id}\" twice"), None);
                continue;
            }
            let Some(issue_index) = n.issue_index(issue_id) else {
                self.report(
                    path,
                    format!(
                        "the profile of \"{party}\" rates issue \"{issue_id}\", which is not defined; defined issues: {}",
                        self.issue_ids()
                    ),
                    did_you_mean(issue_id, n.issues.iter().map(|i| i.id.as_str())),
                );
                continue;
            };
            self.rating(path, party, issue_index, rating);
        }

        for (k, condition) in profile.red_lines.iter().enumerate() {
            let mut p = at(&["red_lines"]);
            p.push(idx(k));
            self.condition(p, &format!("a red line of \"{party}\""), condition);
        }
    }

    fn rating(&mut self, path: Path, party: &str, issue_index: usize, rating: &Rating) {
        let issue = &self.n.issues[issue_index];
        let owner = format!("the rating of issue \"{}\" by \"{party}\"", issue.id);
        let check_value = |v: &mut Self, p: Path, what: String, r: f64| {
            if v.check_finite(p.clone(), &what, r) && !in_unit_interval(r) {
                v.report(
                    p,
                    format!("{what} is {}, outside 0–1", format_plain_number(r)),
                    Some("ratings run from 0 (worst) to 1 (best)".into()),
                );
            }
        };
        match (&issue.kind, rating) {
            (IssueKind::Discrete { options }, Rating::Table(entries)) => {
                let mut seen = HashSet::new();
                for (option, r) in entries {
                    let mut p = path.clone();
                    p.push(key(option));
                    if !seen.insert(option.as_str()) {
                        self.report(p, format!("{owner} rates option \"{option}\" twice"), None);
                        continue;
                    }
                    if !options.iter().any(|o| &o.id == option) {
                        self.report(
                            p.clone(),
                            format!(
                                "{owner} names option \"{option}\", which the issue does not have; options: {}",
                                describe_domain(issue)
                            ),
                            did_you_mean(option, options.iter().map(|o| o.id.as_str())),
                        );
                    }
                    check_value(self, p, format!("{owner} for option \"{option}\""), *r);
                }
            }
            (IssueKind::Numeric(_), Rating::Table(entries)) => {
                let mut seen = HashSet::new();
                for (written, r) in entries {
                    let mut p = path.clone();
                    p.push(key(written));
                    let grid_index = issue.index_of(&Value::Option(written.clone()));
                    if grid_index.is_none() {
                        self.report(
                            p.clone(),
                            format!("{owner} names value \"{written}\", which is not on the issue's grid"),
                            Some(format!("values: {}", describe_domain(issue))),
                        );
                    } else if !seen.insert(grid_index) {
                        self.report(p.clone(), format!("{owner} rates value {written} twice"), None);
                    }
                    check_value(self, p, format!("{owner} for value {written}"), *r);
                }
            }
            (IssueKind::Numeric(_), Rating::Piecewise(points)) => {
                let mut p = path.clone();
                p.push(key("points"));
                if points.is_empty() {
                    self.report(
                        p.clone(),
                        format!("{owner} has no points"),
                        Some("give at least one [value, rating] pair".into()),
                    );
                }
                for (k, &(x, r)) in points.iter().enumerate() {
                    let mut pk = p.clone();
                    pk.push(idx(k));
                    if self.check_finite(pk.clone(), &format!("point {} of {owner}", k + 1), x) {
                        check_value(self, pk.clone(), format!("the rating at point {} of {owner}", k + 1), r);
                    }
                    if k > 0 && x < points[k - 1].0 {
                        self.report(
                            pk,
                            format!(
                                "the points of {owner} are not sorted by value: {} comes after {}",
                                format_plain_number(x),
                                format_plain_number(points[k - 1].0)
                            ),
                            Some("list the points from the lowest value to the highest".into()),
                        );
                    }
                }
            }
            (IssueKind::Numeric(_), Rating::Linear { offset, slope, origin }) => {
                let mut p = path.clone();
                p.push(key("linear"));
                for (name, x) in [("offset", offset), ("slope", slope), ("origin", origin)] {
                    let mut pk = p.clone();
                    pk.push(key(name));
                    self.check_finite(pk, &format!("the {name} of {owner}"), *x);
                }
            }
            (IssueKind::Discrete { options }, Rating::Piecewise(_) | Rating::Linear { .. }) => {
                let kind = if matches!(rating, Rating::Linear { .. }) { "a linear rating" } else { "points" };
                self.report(
                    path,
                    format!("{owner} uses {kind}, but the issue is discrete"),
                    Some(format!(
                        "rate each option instead: {}",
                        join(options.iter().map(|o| format!("{} = 0.5", o.id)))
                    )),
                );
            }
        }
    }

    fn stances(&mut self) {
        let mut seen: HashMap<(&str, &str), usize> = HashMap::new();
        for (i, stance) in self.n.stances.iter().enumerate() {
            let at = |k: &str| vec![key("stance"), idx(i), key(k)];
            let owner = format!("the stance of \"{}\" on \"{}\"", stance.party, stance.provision);
            self.check_holder(at("party"), &format!("stance {} is by", i + 1), &stance.party);
            if self.n.provision(&stance.provision).is_none() {
                self.report(
                    at("provision"),
                    format!(
                        "stance {} is on provision \"{}\", which is not defined; defined provisions: {}",
                        i + 1,
                        stance.provision,
                        join(self.n.provisions.iter().map(|p| p.id.as_str()))
                    ),
                    did_you_mean(&stance.provision, self.n.provisions.iter().map(|p| p.id.as_str())),
                );
            }
            if let Some(first) = seen.get(&(stance.party.as_str(), stance.provision.as_str())) {
                self.report(
                    at("provision"),
                    format!("party \"{}\" has two stances on provision \"{}\"", stance.party, stance.provision),
                    Some(format!("stances {} and {} overlap; keep one", first + 1, i + 1)),
                );
            } else {
                seen.insert((&stance.party, &stance.provision), i);
            }
            if let Position::AcceptableIf { conditions } = &stance.position {
                if conditions.is_empty() {
                    self.report(
                        at("conditions"),
                        format!("{owner} is acceptable_if, but lists no conditions"),
                        Some("add conditions = [{ issue = …, is = [...] }], or use position = \"acceptable\"".into()),
                    );
                }
                for (k, condition) in conditions.iter().enumerate() {
                    self.condition(vec![key("stance"), idx(i), key("conditions"), idx(k)], &owner, condition);
                }
            }
        }
    }
}

fn article(role: Role) -> &'static str {
    match role {
        Role::Observer => "an",
        _ => "a",
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::*;
    use crate::model::*;

    fn party(id: &str, role: Role) -> Party {
        Party { id: id.into(), name: id.to_uppercase(), role }
    }

    fn option(id: &str) -> IssueOption {
        IssueOption { id: id.into(), label: format!("Option {id}") }
    }

    fn at(day: u32, hour: u32) -> chrono::DateTime<Utc> {
        Utc.with_ymd_and_hms(2025, 11, day, hour, 0, 0).single().unwrap()
    }

    fn condition(issue: &str, test: Test) -> Condition {
        Condition { issue: issue.into(), test }
    }

    fn one_of(ids: &[&str]) -> Test {
        Test::OneOf(ids.iter().map(|s| s.to_string()).collect())
    }

    /// A small valid negotiation that each test breaks in one place.
    fn sample() -> Negotiation {
        Negotiation {
            id: "peace".into(),
            title: "Framework for Peace".into(),
            description: String::new(),
            parties: vec![
                party("un", Role::Mediator),
                party("ua", Role::Signatory),
                party("ru", Role::Signatory),
                party("eu", Role::Consulted),
                party("press", Role::Observer),
            ],
            issues: vec![
                Issue {
                    id: "territory".into(),
                    title: "Territory".into(),
                    kind: IssueKind::Discrete {
                        options: vec![option("withdraw"), option("freeze"), option("partial")],
                    },
                    draft: Some(Value::Option("freeze".into())),
                },
                Issue {
                    id: "army-cap".into(),
                    title: "Army ceiling".into(),
                    kind: IssueKind::Numeric(NumericRange {
                        min: 400_000.0,
                        max: 1_000_000.0,
                        step: 50_000.0,
                        integer: true,
                        unit: Some("troops".into()),
                    }),
                    draft: Some(Value::Number(600_000.0)),
                },
            ],
            provisions: vec![
                Provision {
                    id: "art-3".into(),
                    number: "3".into(),
                    heading: "Territory".into(),
                    body: "{territory} Monitors verify.".into(),
                    wordings: vec![Wording {
                        issue: "territory".into(),
                        text: WordingText::PerOption(vec![
                            ("withdraw".into(), "Forces withdraw.".into()),
                            ("freeze".into(), "The line is frozen.".into()),
                            ("partial".into(), "Forces partly withdraw.".into()),
                        ]),
                    }],
                },
                Provision {
                    id: "art-7".into(),
                    number: "7".into(),
                    heading: "Armed forces".into(),
                    body: "The armed forces shall not exceed {army-cap}.".into(),
                    wordings: vec![Wording {
                        issue: "army-cap".into(),
                        text: WordingText::Template("{value} {unit}".into()),
                    }],
                },
            ],
            constraints: vec![Constraint {
                id: "link".into(),
                description: None,
                when: vec![condition("territory", one_of(&["withdraw"]))],
                then: vec![condition("army-cap", Test::Range { min: Some(800_000.0), max: None })],
            }],
            timetable: Timetable {
                phases: vec![
                    Phase {
                        id: "consult".into(),
                        name: "Consultation".into(),
                        kind: PhaseKind::Consultation,
                        start: at(21, 9),
                        end: at(23, 18),
                    },
                    Phase {
                        id: "sign".into(),
                        name: "Signing".into(),
                        kind: PhaseKind::Signing,
                        start: at(24, 9),
                        end: at(24, 12),
                    },
                ],
            },
            profiles: vec![Profile {
                party: "ua".into(),
                illustrative: true,
                weighting: Weighting::Normalised,
                weights: vec![("territory".into(), 3.0), ("army-cap".into(), 1.0)],
                ratings: vec![
                    ("territory".into(), Rating::Table(vec![("withdraw".into(), 0.0), ("freeze".into(), 0.6)])),
                    ("army-cap".into(), Rating::Piecewise(vec![(400_000.0, 0.0), (800_000.0, 1.0)])),
                ],
                red_lines: vec![condition("territory", one_of(&["withdraw"]))],
                reservation: 0.35,
                discount_factor: None,
            }],
            stances: vec![Stance {
                party: "ua".into(),
                provision: "art-7".into(),
                position: Position::AcceptableIf { conditions: vec![condition("territory", one_of(&["freeze"]))] },
                reason: None,
                pin: None,
            }],
            privacy: Default::default(),
        }
    }

    /// Short numbers are indices; longer ones (grid values like "650001") are keys.
    fn path(segs: &[&str]) -> Path {
        segs.iter()
            .map(|s| match s.parse::<usize>() {
                Ok(i) if s.len() <= 2 => PathSeg::Index(i),
                _ => key(s),
            })
            .collect()
    }

    /// Asserts that validation reports exactly one problem, with this path and message.
    #[track_caller]
    fn only(n: &Negotiation, expected_path: &[&str], message: &str) -> Problem {
        let problems = validate(n);
        assert_eq!(problems.len(), 1, "expected one problem, got {problems:#?}");
        assert_eq!(problems[0].message, message);
        assert_eq!(problems[0].path, path(expected_path), "path of {:?}", problems[0].message);
        problems[0].clone()
    }

    #[test]
    fn sample_is_valid() {
        assert_eq!(validate(&sample()), vec![]);
    }

    #[test]
    fn ids_are_checked_for_syntax() {
        assert!(is_valid_id("art-7.2_b"));
        assert!(is_valid_id("7"));
        assert!(!is_valid_id(""));
        assert!(!is_valid_id("-a"));
        assert!(!is_valid_id("Art"));
        assert!(!is_valid_id(&"a".repeat(65)));
        assert_eq!(suggest_id("North Korea"), Some("north-korea".into()));
        let mut n = sample();
        n.parties[1].id = "Ukraine Gov".into();
        n.profiles.clear();
        n.stances.clear();
        let p = only(&n, &["party", "1", "id"], "party 2 has id \"Ukraine Gov\", which is not a valid identifier");
        assert!(p.hint.unwrap().ends_with("for example \"ukraine-gov\""));
    }

    #[test]
    fn duplicate_ids_point_at_the_second_use() {
        let mut n = sample();
        n.provisions[1].id = "art-3".into();
        n.stances.clear();
        let p = only(&n, &["provision", "1", "id"], "provision id \"art-3\" is used twice");
        assert_eq!(p.hint.as_deref(), Some("provisions 1 and 2 both use it; ids must be unique"));

        let mut n = sample();
        n.phases_mut()[1].id = "consult".into();
        only(&n, &["phase", "1", "id"], "phase id \"consult\" is used twice");

        let mut n = sample();
        if let IssueKind::Discrete { options } = &mut n.issues[0].kind {
            options[2].id = "freeze".into();
        }
        let problems = validate(&n);
        assert!(problems.iter().any(|p| p.message == "issue \"territory\" lists option \"freeze\" twice"
            && p.path == path(&["issue", "0", "options", "2", "id"])));
    }

    #[test]
    fn unknown_slot_names_the_defined_issues() {
        let mut n = sample();
        n.provisions[1].body = "Not above {army_cap}.".into();
        let problems = validate(&n);
        assert_eq!(
            problems[0].message,
            "provision \"art-7\" uses issue \"army_cap\", which is not defined; defined issues: territory, army-cap"
        );
        assert_eq!(problems[0].hint.as_deref(), Some("did you mean \"army-cap\"?"));
        assert_eq!(problems[0].path, path(&["provision", "1", "text"]));
        // The now unused wording is reported too.
        assert_eq!(
            problems[1].message,
            "provision \"art-7\" has a wording for issue \"army-cap\" but its text has no {army-cap} slot"
        );
    }

    #[test]
    fn slot_without_wording_and_broken_slots() {
        let mut n = sample();
        n.provisions[1].wordings.clear();
        only(&n, &["provision", "1", "text"], "provision \"art-7\" has a slot {army-cap} but no wording for it");
        let mut n = sample();
        n.provisions[1].body = "Not above {army-cap".into();
        n.provisions[1].wordings.clear();
        only(
            &n,
            &["provision", "1", "text"],
            "provision \"art-7\": unclosed slot starting at character 10: write `{{` for a literal brace",
        );
    }

    #[test]
    fn discrete_wording_must_cover_every_option() {
        let mut n = sample();
        if let WordingText::PerOption(texts) = &mut n.provisions[0].wordings[0].text {
            texts.retain(|(id, _)| id == "freeze");
            texts.push(("withdrawal".into(), "x".into()));
        }
        let problems = validate(&n);
        assert_eq!(problems.len(), 2, "{problems:#?}");
        assert_eq!(
            problems[0].message,
            "provision \"art-3\" gives a wording for option \"withdrawal\", which issue \"territory\" does not have; \
             options: withdraw, freeze, partial"
        );
        assert_eq!(problems[0].path, path(&["provision", "0", "wording", "territory", "withdrawal"]));
        assert_eq!(
            problems[1].message,
            "the wording of provision \"art-3\" for issue \"territory\" misses options withdraw, partial"
        );
    }

    #[test]
    fn wording_kind_must_match_issue_kind() {
        let mut n = sample();
        n.provisions[0].wordings[0].text = WordingText::Template("{value}".into());
        only(
            &n,
            &["provision", "0", "wording", "territory"],
            "provision \"art-3\" gives a template for issue \"territory\", which is discrete",
        );
        let mut n = sample();
        n.provisions[1].wordings[0].text = WordingText::PerOption(vec![]);
        only(
            &n,
            &["provision", "1", "wording", "army-cap"],
            "provision \"art-7\" needs a template for issue \"army-cap\", which is numeric",
        );
        let mut n = sample();
        n.provisions[1].wordings[0].text = WordingText::Template("{amount} troops".into());
        only(
            &n,
            &["provision", "1", "wording", "army-cap", "template"],
            "the template of provision \"art-7\" for issue \"army-cap\" has an unknown placeholder {amount}",
        );
    }

    #[test]
    fn wording_for_unknown_issue() {
        let mut n = sample();
        n.provisions[0].wordings.push(Wording { issue: "ghost".into(), text: WordingText::Template("x".into()) });
        only(
            &n,
            &["provision", "0", "wording", "ghost"],
            "provision \"art-3\" has a wording for issue \"ghost\", which is not defined; defined issues: territory, army-cap",
        );
    }

    fn set_range(n: &mut Negotiation, min: f64, max: f64, step: f64) {
        n.issues[1].kind = IssueKind::Numeric(NumericRange { min, max, step, integer: true, unit: None });
        n.issues[1].draft = None;
        n.profiles[0].ratings.pop();
        n.constraints.clear();
    }

    #[test]
    fn numeric_ranges_are_checked() {
        let mut n = sample();
        set_range(&mut n, 400_000.0, 1_000_000.0, 70_000.0);
        let p = only(
            &n,
            &["issue", "1", "range", "step"],
            "the step 70000 of issue \"army-cap\" does not divide its range 400000 to 1000000",
        );
        assert_eq!(
            p.hint.as_deref(),
            Some(
                "use step = 60000 or 75000 (divides the range 600000), or keep step = 70000 with max = 960000 or 1030000"
            )
        );

        let mut n = sample();
        set_range(&mut n, 10.0, 5.0, 1.0);
        let p = only(
            &n,
            &["issue", "1", "range", "max"],
            "the range of issue \"army-cap\" is inverted: max 5 is below min 10",
        );
        assert_eq!(p.hint.as_deref(), Some("swap them: min = 5, max = 10"));

        let mut n = sample();
        set_range(&mut n, 5.0, 5.0, 1.0);
        only(&n, &["issue", "1", "range", "max"], "the range of issue \"army-cap\" is empty: min and max are both 5");

        let mut n = sample();
        set_range(&mut n, 0.0, 10.0, 0.0);
        only(&n, &["issue", "1", "range", "step"], "the step of issue \"army-cap\" is 0, but it must be positive");

        let mut n = sample();
        set_range(&mut n, 0.0, f64::NAN, 1.0);
        only(
            &n,
            &["issue", "1", "range", "max"],
            "the max of issue \"army-cap\" is NaN, which is not a number that can be used",
        );

        let mut n = sample();
        set_range(&mut n, 0.0, 1.0, 0.3);
        if let IssueKind::Numeric(r) = &mut n.issues[1].kind {
            r.integer = false;
        }
        let p = only(
            &n,
            &["issue", "1", "range", "step"],
            "the step 0.3 of issue \"army-cap\" does not divide its range 0 to 1",
        );
        assert_eq!(
            p.hint.as_deref(),
            Some("use step = 0.2 or 0.5 (divides the range 1), or keep step = 0.3 with max = 0.9 or 1.2")
        );
    }

    #[test]
    fn an_issue_of_four_billion_values_is_refused_by_arithmetic() {
        let mut n = sample();
        set_range(&mut n, 0.0, 4_000_000_000.0, 1.0);
        let p = only(
            &n,
            &["issue", "1", "range", "step"],
            "issue \"army-cap\" would have 4,000,000,001 values (0 to 4000000000 in steps of 1), more than the \
             limit of 100,000 per issue (limits::MAX_VALUES_PER_ISSUE)",
        );
        assert_eq!(p.hint.as_deref(), Some("use a step of at least 41000"));
        // Beyond u64 and beyond u32 alike: counted, never enumerated.
        set_range(&mut n, 0.0, 1e300, 1e-300);
        if let IssueKind::Numeric(r) = &mut n.issues[1].kind {
            r.integer = false;
        }
        let problems = validate(&n);
        assert!(problems[0].message.contains("18,446,744,073,709,551,615 values"), "{problems:#?}");
        // At the limit exactly, the issue is fine.
        set_range(&mut n, 0.0, (limits::MAX_VALUES_PER_ISSUE - 1) as f64, 1.0);
        assert_eq!(validate(&n), vec![]);
    }

    #[test]
    fn too_many_options_and_too_many_values_in_all_are_refused() {
        let mut n = sample();
        let many: Vec<IssueOption> = (0..=limits::MAX_VALUES_PER_ISSUE).map(|k| option(&format!("o{k}"))).collect();
        n.issues[0].kind = IssueKind::Discrete { options: many };
        let problems = validate(&n);
        assert!(
            problems.iter().any(|p| p.path == path(&["issue", "0", "options"])
                && p.message.contains("100,001 options, more than the limit of 100,000")),
            "{problems:#?}"
        );

        // Eleven issues of 100,000 values each: each within its limit, too many together.
        let mut n = sample();
        let wide = n.issues[1].clone();
        set_range(&mut n, 0.0, 99_999.0, 1.0);
        for k in 0..10 {
            let mut extra = wide.clone();
            extra.id = format!("extra-{k}");
            extra.kind = n.issues[1].kind.clone();
            extra.draft = None;
            n.issues.push(extra);
        }
        let problems = validate(&n);
        assert!(
            problems.iter().any(|p| p.path == path(&["issue"])
                && p.message
                    == "the issues take 1,100,003 values together, more than the limit of 1,000,000 \
                                 (limits::MAX_TOTAL_VALUES)"),
            "{problems:#?}"
        );
    }

    #[test]
    fn ten_thousand_issues_are_refused_alone() {
        let mut n = sample();
        let template = n.issues[0].clone();
        n.issues = (0..10_000).map(|k| Issue { id: format!("issue-{k}"), ..template.clone() }).collect();
        let p = only(
            &n,
            &["issue"],
            "the negotiation has 10,000 issues, more than the limit of 1,000 (limits::MAX_ISSUES)",
        );
        assert_eq!(p.hint.as_deref(), Some("split it into smaller negotiations; nothing else was checked"));

        let mut n = sample();
        let party = n.parties[0].clone();
        n.parties.extend((0..limits::MAX_PARTIES).map(|k| Party { id: format!("p{k}"), ..party.clone() }));
        let message = format!("the negotiation has {} parties, more than the limit of 100", n.parties.len());
        assert!(validate(&n)[0].message.starts_with(&message));
    }

    #[test]
    fn provision_texts_and_wordings_are_bounded() {
        let mut n = sample();
        n.provisions[0].body = "x".repeat(limits::MAX_PROVISION_TEXT_BYTES + 1);
        only(
            &n,
            &["provision", "0", "text"],
            &format!(
                "the text of provision \"{}\" is 100,001 bytes, more than the limit of 100,000 \
                 (limits::MAX_PROVISION_TEXT_BYTES)",
                n.provisions[0].id
            ),
        );

        let mut n = sample();
        let at = n.provisions.iter().position(|p| !p.wordings.is_empty()).expect("the sample has a wording");
        let wording = n.provisions[at].wordings[0].clone();
        n.provisions[at].wordings = vec![wording; limits::MAX_WORDINGS_PER_PROVISION + 1];
        let problems = validate(&n);
        assert!(
            problems.iter().any(|p| p.path == path(&["provision", &at.to_string(), "wording"])
                && p.message.contains("101 wordings, more than the limit of 100")),
            "{problems:#?}"
        );
    }

    #[test]
    fn draft_must_be_in_the_domain() {
        let mut n = sample();
        n.issues[1].draft = Some(Value::Number(610_000.0));
        let p = only(
            &n,
            &["issue", "1", "draft"],
            "the draft of issue \"army-cap\" is 610000, which is not one of its values",
        );
        assert_eq!(p.hint.as_deref(), Some("values: 400000 to 1000000 in steps of 50000"));
        let mut n = sample();
        n.issues[0].draft = Some(Value::Option("thaw".into()));
        only(&n, &["issue", "0", "draft"], "the draft of issue \"territory\" is thaw, which is not one of its options");
    }

    #[test]
    fn weights_must_be_non_negative_and_not_all_zero() {
        let mut n = sample();
        n.profiles[0].weights[1].1 = -1.0;
        only(
            &n,
            &["profile", "ua", "weights", "army-cap"],
            "the profile of \"ua\" gives issue \"army-cap\" a negative weight (-1)",
        );
        let mut n = sample();
        n.profiles[0].weights.iter_mut().for_each(|w| w.1 = 0.0);
        only(&n, &["profile", "ua", "weights"], "the profile of \"ua\" gives every issue zero weight");
        let mut n = sample();
        n.profiles[0].weights[0].1 = f64::INFINITY;
        only(
            &n,
            &["profile", "ua", "weights", "territory"],
            "the weight of \"territory\" for \"ua\" is inf, which is not a number that can be used",
        );
        let mut n = sample();
        n.profiles[0].weights.push(("army".into(), 1.0));
        only(
            &n,
            &["profile", "ua", "weights", "army"],
            "the profile of \"ua\" weighs issue \"army\", which is not defined; defined issues: territory, army-cap",
        );
    }

    #[test]
    fn ratings_are_checked() {
        let mut n = sample();
        n.profiles[0].ratings[0].1 = Rating::Table(vec![("freeze".into(), 1.5)]);
        only(
            &n,
            &["profile", "ua", "ratings", "territory", "freeze"],
            "the rating of issue \"territory\" by \"ua\" for option \"freeze\" is 1.5, outside 0–1",
        );
        let mut n = sample();
        n.profiles[0].ratings[0].1 = Rating::Table(vec![("thaw".into(), 0.5)]);
        only(
            &n,
            &["profile", "ua", "ratings", "territory", "thaw"],
            "the rating of issue \"territory\" by \"ua\" names option \"thaw\", which the issue does not have; \
             options: withdraw, freeze, partial",
        );
        let mut n = sample();
        n.profiles[0].ratings[1].1 = Rating::Piecewise(vec![(800_000.0, 1.0), (400_000.0, 0.0)]);
        only(
            &n,
            &["profile", "ua", "ratings", "army-cap", "points", "1"],
            "the points of the rating of issue \"army-cap\" by \"ua\" are not sorted by value: 400000 comes after 800000",
        );
        let mut n = sample();
        n.profiles[0].ratings[0].1 = Rating::Linear { offset: 0.0, slope: 1.0, origin: 0.0 };
        only(
            &n,
            &["profile", "ua", "ratings", "territory"],
            "the rating of issue \"territory\" by \"ua\" uses a linear rating, but the issue is discrete",
        );
        let mut n = sample();
        n.profiles[0].ratings[1].1 = Rating::Table(vec![("600000".into(), 0.5), ("650001".into(), 0.5)]);
        only(
            &n,
            &["profile", "ua", "ratings", "army-cap", "650001"],
            "the rating of issue \"army-cap\" by \"ua\" names value \"650001\", which is not on the issue's grid",
        );
        let mut n = sample();
        n.profiles[0].reservation = 1.2;
        only(&n, &["profile", "ua", "reservation"], "the reservation of \"ua\" is 1.2, outside 0–1");
    }

    #[test]
    fn red_lines_and_constraints_name_real_options() {
        let mut n = sample();
        n.profiles[0].red_lines[0] = condition("territory", one_of(&["withdrawl"]));
        let p = only(
            &n,
            &["profile", "ua", "red_lines", "0", "is", "0"],
            "a red line of \"ua\" names option \"withdrawl\" of issue \"territory\", which has no such option; \
             options: withdraw, freeze, partial",
        );
        assert_eq!(p.hint.as_deref(), Some("did you mean \"withdraw\"?"));
        let mut n = sample();
        n.constraints[0].then[0] = condition("army-cap", one_of(&["600000", "610000"]));
        only(
            &n,
            &["constraint", "0", "then", "0", "is", "1"],
            "constraint \"link\" names value \"610000\" of issue \"army-cap\", which has no such value; \
             values: 400000 to 1000000 in steps of 50000",
        );
        let mut n = sample();
        n.constraints[0].when[0] = condition("territory", Test::Range { min: Some(1.0), max: None });
        only(
            &n,
            &["constraint", "0", "when", "0", "at_least"],
            "constraint \"link\" uses at_least/at_most on issue \"territory\", which is discrete",
        );
        let mut n = sample();
        n.constraints[0].when[0].issue = "guarantees".into();
        only(
            &n,
            &["constraint", "0", "when", "0", "issue"],
            "constraint \"link\" tests issue \"guarantees\", which is not defined; defined issues: territory, army-cap",
        );
        let mut n = sample();
        n.constraints[0].then.clear();
        only(&n, &["constraint", "0", "then"], "constraint \"link\" has no `then` conditions");
    }

    #[test]
    fn timetable_is_checked() {
        let mut n = sample();
        n.phases_mut()[0].end = at(20, 9);
        let problems = validate(&n);
        assert_eq!(
            problems[0].message,
            "phase \"consult\" ends at 2025-11-20T09:00:00Z but starts at 2025-11-21T09:00:00Z"
        );
        assert_eq!(problems[0].path, path(&["phase", "0", "end"]));
        let mut n = sample();
        n.phases_mut()[1].start = at(23, 9);
        only(
            &n,
            &["phase", "1", "start"],
            "phase \"sign\" starts at 2025-11-23T09:00:00Z, before phase \"consult\" ends at 2025-11-23T18:00:00Z",
        );
        let mut n = sample();
        n.phases_mut()[1].start = at(20, 9);
        n.phases_mut()[1].end = at(20, 12);
        only(&n, &["phase", "1", "start"], "phase \"sign\" starts before phase \"consult\", which is listed before it");
    }

    #[test]
    fn roles_are_checked() {
        let mut n = sample();
        n.parties[2].role = Role::Consulted;
        let p = only(&n, &["party"], "the negotiation has one signatory (\"ua\"); at least two are needed");
        assert!(p.hint.is_some());
        let mut n = sample();
        n.parties[0].role = Role::Observer;
        only(&n, &["party"], "the negotiation has no mediator");
        let mut n = sample();
        n.profiles[0].party = "press".into();
        n.stances.clear();
        only(&n, &["profile", "press"], "there is a profile for party \"press\", which is an observer");
        let mut n = sample();
        n.stances[0].party = "un".into();
        only(&n, &["stance", "0", "party"], "stance 1 is by party \"un\", which is a mediator");
        let mut n = sample();
        n.stances[0].party = "eu".into();
        n.profiles[0].party = "eu".into();
        assert_eq!(validate(&n), vec![], "consulted parties may hold profiles and stances");
    }

    #[test]
    fn stances_are_checked() {
        let mut n = sample();
        n.stances[0].provision = "art-9".into();
        only(
            &n,
            &["stance", "0", "provision"],
            "stance 1 is on provision \"art-9\", which is not defined; defined provisions: art-3, art-7",
        );
        let mut n = sample();
        n.stances.push(n.stances[0].clone());
        only(&n, &["stance", "1", "provision"], "party \"ua\" has two stances on provision \"art-7\"");
        let mut n = sample();
        n.stances[0].position = Position::AcceptableIf { conditions: vec![] };
        only(
            &n,
            &["stance", "0", "conditions"],
            "the stance of \"ua\" on \"art-7\" is acceptable_if, but lists no conditions",
        );
        let mut n = sample();
        n.stances[0].position = Position::AcceptableIf {
            conditions: vec![condition("army-cap", Test::Range { min: Some(5.0), max: Some(1.0) })],
        };
        only(
            &n,
            &["stance", "0", "conditions", "0", "at_most"],
            "the stance of \"ua\" on \"art-7\" asks for issue \"army-cap\" at least 5 and at most 1, which no value can meet",
        );
    }

    #[test]
    fn several_problems_are_all_reported() {
        let mut n = sample();
        n.parties[0].role = Role::Observer;
        n.provisions[1].id = "art-3".into();
        n.profiles[0].reservation = -0.1;
        n.stances.clear();
        assert_eq!(validate(&n).len(), 3);
    }

    impl Negotiation {
        fn phases_mut(&mut self) -> &mut Vec<Phase> {
            &mut self.timetable.phases
        }
    }
}
