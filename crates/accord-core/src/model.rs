//! The negotiation model: plain data, validated by [`crate::validate`].
//!
//! Identifiers are plain strings (`art-7`, `army-cap`, `ua`). They are stable:
//! the text, stances, comments and the event log refer to them, so renaming one
//! is a new entity, never an edit.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A whole negotiation: the public text and process, plus the parties' private
/// profiles and stances. Whoever holds a `Negotiation` value holds secrets;
/// what may be shown to whom is decided by the policy module of the service,
/// never by this type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Negotiation {
    pub id: String,
    pub title: String,
    pub description: String,
    pub parties: Vec<Party>,
    pub issues: Vec<Issue>,
    pub provisions: Vec<Provision>,
    pub constraints: Vec<Constraint>,
    pub timetable: Timetable,
    pub profiles: Vec<Profile>,
    pub stances: Vec<Stance>,
    /// The confidentiality settings chosen at creation. Absent from the
    /// bytes when default, so logs written before the field fold unchanged
    /// and keep their exact bytes.
    #[serde(default, skip_serializing_if = "Privacy::is_default")]
    pub privacy: Privacy,
}

/// How much of the parties' private inputs others may see, beyond what roles
/// decide. Chosen at creation (it travels in the `created` event); only
/// `parties_see_working_draft` may change later, by the mediator's
/// `working_draft_sharing_set` event. The policy crate enforces it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Privacy {
    /// Blind mediation: the mediator sees only the engine's outputs (ZOPA,
    /// repair, suggested packages, normalised gains) and stance counts, never
    /// a profile, a reservation history, a stance reason or another party's
    /// stance position.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub blind_mediation: bool,
    /// Stance counts are shown to a viewer only when the parties whose
    /// positions it cannot see number at least this many and do not all
    /// hold the same position; otherwise they are withheld. Below 2 the
    /// rule is off (counts always shown). Default 2.
    #[serde(default = "Privacy::default_count_threshold", skip_serializing_if = "Privacy::is_default_count_threshold")]
    pub count_threshold: u32,
    /// Parties (other than observers) may watch the mediator's working draft
    /// as it is edited, labelled "working draft, not released". Off by
    /// default: parties see the released text, the text as of the last
    /// published version (or as created, before any).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub parties_see_working_draft: bool,
}

impl Privacy {
    pub const DEFAULT_COUNT_THRESHOLD: u32 = 2;

    fn default_count_threshold() -> u32 {
        Self::DEFAULT_COUNT_THRESHOLD
    }

    fn is_default_count_threshold(threshold: &u32) -> bool {
        *threshold == Self::DEFAULT_COUNT_THRESHOLD
    }

    pub fn is_default(&self) -> bool {
        *self == Privacy::default()
    }
}

impl Default for Privacy {
    fn default() -> Self {
        Privacy {
            blind_mediation: false,
            count_threshold: Self::DEFAULT_COUNT_THRESHOLD,
            parties_see_working_draft: false,
        }
    }
}

/// What a released text is, in the vocabulary of mediation practice. Each
/// published version carries one; parties read it next to the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
pub enum TextStatus {
    /// The mediator's own proposal, committing no party.
    MediatorsNonPaper,
    /// The parties' proposals gathered side by side.
    CompilationOfProposals,
    /// The single text the parties negotiate on (what versions were before
    /// the status existed).
    #[default]
    NegotiatingText,
    /// The clean text the parties agreed, ready for signature.
    AgreedCleanText,
}

impl TextStatus {
    pub const ALL: [TextStatus; 4] = [
        TextStatus::MediatorsNonPaper,
        TextStatus::CompilationOfProposals,
        TextStatus::NegotiatingText,
        TextStatus::AgreedCleanText,
    ];

    pub fn is_default(&self) -> bool {
        *self == TextStatus::default()
    }

    /// The wire name (`negotiating_text`).
    pub fn as_str(self) -> &'static str {
        match self {
            TextStatus::MediatorsNonPaper => "mediators_non_paper",
            TextStatus::CompilationOfProposals => "compilation_of_proposals",
            TextStatus::NegotiatingText => "negotiating_text",
            TextStatus::AgreedCleanText => "agreed_clean_text",
        }
    }

    /// How the status reads on a page or in an export.
    pub fn label(self) -> &'static str {
        match self {
            TextStatus::MediatorsNonPaper => "Mediator's non-paper",
            TextStatus::CompilationOfProposals => "Compilation of proposals",
            TextStatus::NegotiatingText => "Negotiating text",
            TextStatus::AgreedCleanText => "Agreed clean text",
        }
    }

    /// The status named `name` (its wire name).
    pub fn parse(name: &str) -> Option<TextStatus> {
        TextStatus::ALL.into_iter().find(|s| s.as_str() == name)
    }
}

impl std::fmt::Display for TextStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.label())
    }
}

/// The rule printed wherever provisions are shown as agreed ad referendum.
pub const AD_REFERENDUM_RULE: &str =
    "Nothing is agreed until everything is agreed: only signature of the whole text binds.";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
pub enum Role {
    /// Owns the single negotiating text; drafts and publishes versions.
    Mediator,
    /// Accepts or vetoes; its red lines and reservation value bind the analysis.
    Signatory,
    /// Gives input (stances, a profile) but has no veto.
    Consulted,
    /// Reads what the policy allows.
    Observer,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Mediator, Role::Signatory, Role::Consulted, Role::Observer];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Mediator => "mediator",
            Role::Signatory => "signatory",
            Role::Consulted => "consulted",
            Role::Observer => "observer",
        }
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
pub struct Party {
    pub id: String,
    pub name: String,
    pub role: Role,
}

/// A question the agreement must answer: which option (discrete) or which value
/// (numeric) it settles on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
pub struct Issue {
    pub id: String,
    pub title: String,
    pub kind: IssueKind,
    /// The value the current draft takes, if the mediator has chosen one.
    /// When `None`, the draft takes the first value.
    #[cfg_attr(feature = "utoipa", schema(value_type = Option<IssueValue>))]
    pub draft: Option<Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
pub enum IssueKind {
    /// Ordered options, each with a stable id and a label.
    Discrete { options: Vec<IssueOption> },
    /// A grid `min, min+step, …, max`.
    Numeric(NumericRange),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
pub struct IssueOption {
    pub id: String,
    pub label: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
pub struct NumericRange {
    pub min: f64,
    pub max: f64,
    pub step: f64,
    /// Integer ranges hold whole numbers only and are formatted without decimals.
    pub integer: bool,
    pub unit: Option<String>,
}

/// Tolerance for "does the step divide the range" and for matching a written
/// number to a grid point. Grids are at most millions of points, so relative
/// errors of this size cannot make two grid points collide.
pub const GRID_TOLERANCE: f64 = 1e-9;

impl NumericRange {
    /// Number of grid points, or `None` when the range is empty, inverted, the
    /// step is not positive or does not divide the range.
    #[allow(clippy::len_without_is_empty)] // `None` is the empty case: a valid grid has at least one point.
    pub fn len(&self) -> Option<usize> {
        if !(self.min.is_finite() && self.max.is_finite() && self.step.is_finite()) {
            return None;
        }
        if self.step <= 0.0 || self.max < self.min {
            return None;
        }
        let steps = (self.max - self.min) / self.step;
        let rounded = steps.round();
        if (steps - rounded).abs() > GRID_TOLERANCE * steps.max(1.0) {
            return None;
        }
        // Bounded by construction: a grid of more than 2^32 points is not a
        // negotiable issue, and rejecting it keeps every index a `u32`.
        if rounded >= u32::MAX as f64 {
            return None;
        }
        Some(rounded as usize + 1)
    }

    /// The `k`-th grid point. Computed as `min + k*step` (not by repeated
    /// addition) so every platform gets the same bits.
    pub fn value_at(&self, k: usize) -> f64 {
        if self.integer { (self.min + k as f64 * self.step).round() } else { self.min + k as f64 * self.step }
    }

    /// The index of the grid point equal to `x`, within tolerance.
    pub fn index_of(&self, x: f64) -> Option<usize> {
        let n = self.len()?;
        let k = ((x - self.min) / self.step).round();
        if k < 0.0 || k >= n as f64 {
            return None;
        }
        let k = k as usize;
        let tol = GRID_TOLERANCE * self.step.abs().max(x.abs()).max(1.0);
        ((self.value_at(k) - x).abs() <= tol).then_some(k)
    }
}

/// One issue's setting in a package, as written by people.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
pub enum Value {
    Option(String),
    Number(f64),
}

/// [`Value`] under a second name, for OpenAPI derives only: `utoipa` takes
/// any field type whose last path segment is `Value` for `serde_json::Value`
/// and documents it as "anything", so fields name this alias in
/// `#[schema(value_type = …)]` to get the real schema (a string or a number).
pub type IssueValue = Value;

impl std::fmt::Display for Value {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Value::Option(id) => f.write_str(id),
            Value::Number(x) => write!(f, "{x}"),
        }
    }
}

impl Issue {
    /// How many values the issue can take (0 for an invalid numeric range).
    pub fn value_count(&self) -> usize {
        match &self.kind {
            IssueKind::Discrete { options } => options.len(),
            IssueKind::Numeric(range) => range.len().unwrap_or(0),
        }
    }

    /// The index of a written value in this issue's domain.
    pub fn index_of(&self, value: &Value) -> Option<usize> {
        match (&self.kind, value) {
            (IssueKind::Discrete { options }, Value::Option(id)) => options.iter().position(|o| &o.id == id),
            (IssueKind::Numeric(range), Value::Number(x)) => range.index_of(*x),
            // A number written for a discrete issue may name an option whose id
            // is that number ("600"), and vice versa a numeric issue accepts "600".
            (IssueKind::Discrete { options }, Value::Number(x)) => {
                options.iter().position(|o| o.id == format_plain_number(*x))
            }
            (IssueKind::Numeric(range), Value::Option(s)) => {
                s.trim().replace(['_', ','], "").parse::<f64>().ok().and_then(|x| range.index_of(x))
            }
        }
    }

    /// The written value at an index of this issue's domain.
    pub fn value_at(&self, index: usize) -> Option<Value> {
        match &self.kind {
            IssueKind::Discrete { options } => options.get(index).map(|o| Value::Option(o.id.clone())),
            IssueKind::Numeric(range) => (index < range.len()?).then(|| Value::Number(range.value_at(index))),
        }
    }

    /// A short human label for the value at `index` ("Freeze the line", "600,000 troops").
    pub fn label_at(&self, index: usize) -> String {
        match &self.kind {
            IssueKind::Discrete { options } => options.get(index).map(|o| o.label.clone()).unwrap_or_default(),
            IssueKind::Numeric(range) => {
                let number = format_number(range.value_at(index), range);
                match &range.unit {
                    Some(unit) => format!("{number} {unit}"),
                    None => number,
                }
            }
        }
    }

    /// The draft's value index: the declared draft, or the first value.
    pub fn draft_index(&self) -> usize {
        self.draft.as_ref().and_then(|v| self.index_of(v)).unwrap_or(0)
    }
}

/// Formats a grid value for the agreement text: integers with thousands
/// separators ("600,000"), decimals with as many places as the step needs.
pub fn format_number(x: f64, range: &NumericRange) -> String {
    if range.integer {
        return group_thousands(x.round() as i64);
    }
    let places = decimal_places(range.step).max(decimal_places(range.min));
    let text = format!("{:.*}", places, x);
    match text.split_once('.') {
        Some((whole, frac)) => {
            let whole_num: i64 = whole.parse().unwrap_or(0);
            let sign = if x < 0.0 && whole_num == 0 { "-" } else { "" };
            format!("{sign}{}.{frac}", group_thousands(whole_num))
        }
        None => group_thousands(text.parse().unwrap_or(0)),
    }
}

fn group_thousands(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if n < 0 {
        out.push('-');
    }
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

/// Decimal places in the shortest round-trip representation of `x`, at most 9.
fn decimal_places(x: f64) -> usize {
    let text = format!("{x}");
    match text.split_once('.') {
        Some((_, frac)) => frac.len().min(9),
        None => 0,
    }
}

/// A number written without grouping and without a trailing `.0`.
pub fn format_plain_number(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 { format!("{}", x as i64) } else { format!("{x}") }
}

/// A citable unit of the text. The body may contain slots `{issue-id}`; the
/// provision's wordings say what replaces each slot for every value. A body
/// without slots is fixed text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
pub struct Provision {
    pub id: String,
    /// The number as printed ("7", "7.2", "IV").
    pub number: String,
    pub heading: String,
    pub body: String,
    pub wordings: Vec<Wording>,
}

/// The bracketed alternatives for one slot.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
pub struct Wording {
    pub issue: String,
    pub text: WordingText,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
pub enum WordingText {
    /// One wording per option of a discrete issue: `(option id, text)`, in any order.
    PerOption(Vec<(String, String)>),
    /// For a numeric issue: a template in which `{value}` is replaced by the
    /// formatted number and `{unit}` by the issue's unit.
    Template(String),
}

/// A single-issue test, used by constraints, conditional stances and red lines.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
pub struct Condition {
    pub issue: String,
    pub test: Test,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
pub enum Test {
    /// The issue takes one of these options (discrete) or values (numeric, by
    /// their written form, e.g. "600000").
    OneOf(Vec<String>),
    /// The numeric value lies in `[min, max]`; either bound may be open.
    Range { min: Option<f64>, max: Option<f64> },
}

impl Condition {
    /// The value indices of `issue` that satisfy this condition.
    /// Unknown option ids match nothing (validation reports them).
    pub fn matches(&self, issue: &Issue, index: usize) -> bool {
        match &self.test {
            Test::OneOf(ids) => ids.iter().any(|id| issue.index_of(&Value::Option(id.clone())) == Some(index)),
            Test::Range { min, max } => match &issue.kind {
                IssueKind::Numeric(range) => {
                    let x = range.value_at(index);
                    let tol = GRID_TOLERANCE * x.abs().max(1.0);
                    min.is_none_or(|m| x >= m - tol) && max.is_none_or(|m| x <= m + tol)
                }
                IssueKind::Discrete { .. } => false,
            },
        }
    }
}

/// A linkage between issues: when every `when` condition holds, every `then`
/// condition must hold too. "If guarantees = none then army-cap = none."
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
pub struct Constraint {
    pub id: String,
    pub description: Option<String>,
    pub when: Vec<Condition>,
    pub then: Vec<Condition>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
pub enum PhaseKind {
    Consultation,
    Drafting,
    FinalSession,
    Signing,
}

impl PhaseKind {
    pub fn as_str(&self) -> &'static str {
        match self {
            PhaseKind::Consultation => "consultation",
            PhaseKind::Drafting => "drafting",
            PhaseKind::FinalSession => "final_session",
            PhaseKind::Signing => "signing",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
pub struct Phase {
    pub id: String,
    pub name: String,
    pub kind: PhaseKind,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

/// Phases in order; each ends no later than the next begins.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
pub struct Timetable {
    pub phases: Vec<Phase>,
}

/// One party's position on one provision: on the wording it was shown when
/// `pin` is set, on the provision as the draft reads when it is not (stances
/// logged before pins existed, and scenario files that give none).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
pub struct Stance {
    pub party: String,
    pub provision: String,
    pub position: Position,
    /// Why. Private to the party and the mediator under the default policy.
    pub reason: Option<String>,
    /// The exact wording the position answers. Absent in stances logged
    /// before pins existed, which keeps their bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pin: Option<StancePin>,
}

/// What a party was shown when it took a stance: the provision rendered with
/// its bound issues at `values`, whose wording hashes to `wording_hash`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
pub struct StancePin {
    /// The latest published version number at the time (0 if none was).
    pub version: u32,
    /// The value of each issue the provision binds, in order of first use.
    pub values: Vec<PinnedValue>,
    /// [`crate::text::wording_hash`] of the provision rendered at `values`.
    pub wording_hash: String,
}

/// One bound issue's value in a [`StancePin`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
pub struct PinnedValue {
    pub issue: String,
    #[cfg_attr(feature = "utoipa", schema(value_type = IssueValue))]
    pub value: Value,
}

/// Whether a stance still answers a wording of the current text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StanceStanding {
    /// No pin: the stance is about the provision as the draft reads.
    Unpinned,
    /// The pinned wording still exists: the stance applies where each bound
    /// issue takes the value at the same position here (issue index, value
    /// index), in the provision's order of bound issues.
    Current(Vec<(usize, usize)>),
    /// The pinned wording is gone (its text changed, or a pinned value or
    /// issue no longer exists): the stance answers nothing in this text.
    Stale,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "position")]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
pub enum Position {
    Acceptable,
    /// Acceptable only if every condition holds ("only if art-9 gives
    /// Article-5-like guarantees": `guarantees one_of [article-5]`).
    AcceptableIf {
        conditions: Vec<Condition>,
    },
    Unacceptable,
}

impl Position {
    /// For `acceptable_if`, whether every condition holds under `package`
    /// (a condition on an unknown issue does not); `None` for the others.
    pub fn conditions_hold(&self, negotiation: &Negotiation, package: &Package) -> Option<bool> {
        let Position::AcceptableIf { conditions } = self else { return None };
        Some(conditions.iter().all(|c| {
            negotiation
                .issue_index(&c.issue)
                .and_then(|i| package.0.get(i).map(|&v| c.matches(&negotiation.issues[i], v)))
                .unwrap_or(false)
        }))
    }

    pub fn as_str(&self) -> &'static str {
        match self {
            Position::Acceptable => "acceptable",
            Position::AcceptableIf { .. } => "acceptable_if",
            Position::Unacceptable => "unacceptable",
        }
    }
}

/// How a profile's weights turn into shares of utility.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
pub enum Weighting {
    /// Weights are divided by their sum (Accord's default: people write 3, 2, 1).
    #[default]
    Normalised,
    /// Weights are used exactly as written (GENIUS semantics).
    AsWritten,
}

/// How a party rates the values of one issue, on the 0–1 scale.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
pub enum Rating {
    /// Discrete issues: `(option id, rating)`. An option left out rates 0.
    Table(Vec<(String, f64)>),
    /// Numeric issues: breakpoints `(value, rating)` sorted by value;
    /// linear between them, flat beyond the ends.
    Piecewise(Vec<(f64, f64)>),
    /// Numeric issues, GENIUS style: `clamp(offset + slope * (x - origin), 0, 1)`.
    Linear { offset: f64, slope: f64, origin: f64 },
}

/// A party's private preferences. Confidential by default: only the party and
/// the mediator see it, and the engine reveals only derived, policy-filtered
/// figures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
pub struct Profile {
    pub party: String,
    /// Set when the numbers are invented for a demonstration, so every output
    /// that shows them can say so.
    pub illustrative: bool,
    pub weighting: Weighting,
    /// `(issue id, weight)`. An issue left out weighs 0.
    pub weights: Vec<(String, f64)>,
    /// `(issue id, rating)`. An issue left out rates 0 everywhere.
    pub ratings: Vec<(String, Rating)>,
    /// Options the party will never accept; each condition names forbidden values.
    pub red_lines: Vec<Condition>,
    /// The walk-away utility on the 0–1 scale.
    pub reservation: f64,
    /// Kept as data (GENIUS discount factors); not applied by the analysis.
    pub discount_factor: Option<f64>,
}

/// One value index per issue, in issue order.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Package(pub Vec<usize>);

impl Negotiation {
    pub fn party(&self, id: &str) -> Option<&Party> {
        self.parties.iter().find(|p| p.id == id)
    }

    pub fn issue_index(&self, id: &str) -> Option<usize> {
        self.issues.iter().position(|i| i.id == id)
    }

    pub fn provision(&self, id: &str) -> Option<&Provision> {
        self.provisions.iter().find(|p| p.id == id)
    }

    pub fn profile(&self, party: &str) -> Option<&Profile> {
        self.profiles.iter().find(|p| p.party == party)
    }

    pub fn parties_with_role(&self, role: Role) -> impl Iterator<Item = &Party> {
        self.parties.iter().filter(move |p| p.role == role)
    }

    /// The package the current draft stands for.
    pub fn draft_package(&self) -> Package {
        Package(self.issues.iter().map(Issue::draft_index).collect())
    }

    /// The pin of a stance on `provision` taken now by a party shown `version`
    /// (the latest published number, 0 if none): the bound issues' draft
    /// values and the hash of the wording they render. `None` when the
    /// provision is unknown or does not render.
    pub fn stance_pin(&self, provision: &str, version: u32) -> Option<StancePin> {
        let provision = self.provision(provision)?;
        let package = self.draft_package();
        let wording_hash = crate::text::provision_wording_hash(self, provision, &package).ok()?;
        let values = self
            .provision_issues(provision)
            .into_iter()
            .map(|i| {
                let issue = &self.issues[i];
                issue.value_at(package.0[i]).map(|value| PinnedValue { issue: issue.id.clone(), value })
            })
            .collect::<Option<Vec<_>>>()?;
        Some(StancePin { version, values, wording_hash })
    }

    /// Whether `stance` still answers a wording of this text. A pinned stance
    /// is current only when every pinned value still exists, the pin names
    /// exactly the issues the provision binds, and the provision rendered at
    /// those values (the draft elsewhere) still hashes to the pinned hash.
    pub fn stance_standing(&self, stance: &Stance) -> StanceStanding {
        let Some(pin) = &stance.pin else { return StanceStanding::Unpinned };
        let Some(provision) = self.provision(&stance.provision) else { return StanceStanding::Stale };
        let bound = self.provision_issues(provision);
        if bound.len() != pin.values.len() {
            return StanceStanding::Stale;
        }
        let mut package = self.draft_package();
        let mut at = Vec::with_capacity(bound.len());
        for (&i, pinned) in bound.iter().zip(&pin.values) {
            let issue = &self.issues[i];
            let Some(v) = (issue.id == pinned.issue).then(|| issue.index_of(&pinned.value)).flatten() else {
                return StanceStanding::Stale;
            };
            package.0[i] = v;
            at.push((i, v));
        }
        match crate::text::provision_wording_hash(self, provision, &package) {
            Ok(hash) if hash == pin.wording_hash => StanceStanding::Current(at),
            _ => StanceStanding::Stale,
        }
    }

    /// The size of the outcome space, exactly; `None` beyond 2^128.
    pub fn outcome_count(&self) -> Option<u128> {
        self.issues.iter().try_fold(1u128, |acc, issue| acc.checked_mul(issue.value_count() as u128))
    }

    /// The issues a provision's body binds through slots, in order of first use.
    pub fn provision_issues(&self, provision: &Provision) -> Vec<usize> {
        let mut out = Vec::new();
        if let Ok(segments) = crate::text::parse_body(&provision.body) {
            for seg in segments {
                if let crate::text::Segment::Slot(id) = seg
                    && let Some(i) = self.issue_index(&id)
                    && !out.contains(&i)
                {
                    out.push(i);
                }
            }
        }
        out
    }

    /// Resolves `issue=value` pairs into a package; issues not named keep the
    /// draft's value. Errors name the unknown issue or value and list the valid ones.
    pub fn package_from_pairs<'a>(
        &self,
        pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Package, PackageError> {
        let mut package = self.draft_package();
        for (issue_id, value) in pairs {
            let index = self.issue_index(issue_id).ok_or_else(|| PackageError::UnknownIssue {
                issue: issue_id.to_string(),
                known: self.issues.iter().map(|i| i.id.clone()).collect(),
            })?;
            let issue = &self.issues[index];
            let value_index =
                issue.index_of(&Value::Option(value.to_string())).ok_or_else(|| PackageError::UnknownValue {
                    issue: issue_id.to_string(),
                    value: value.to_string(),
                    known: describe_domain(issue),
                })?;
            package.0[index] = value_index;
        }
        Ok(package)
    }
}

/// A short description of an issue's domain for error messages.
pub fn describe_domain(issue: &Issue) -> String {
    match &issue.kind {
        IssueKind::Discrete { options } => options.iter().map(|o| o.id.as_str()).collect::<Vec<_>>().join(", "),
        IssueKind::Numeric(r) => format!(
            "{} to {} in steps of {}",
            format_plain_number(r.min),
            format_plain_number(r.max),
            format_plain_number(r.step)
        ),
    }
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PackageError {
    #[error("unknown issue \"{issue}\"; defined issues: {}", known.join(", "))]
    UnknownIssue { issue: String, known: Vec<String> },
    #[error("issue \"{issue}\" has no value \"{value}\"; valid values: {known}")]
    UnknownValue { issue: String, value: String, known: String },
}

#[cfg(test)]
mod tests {
    use super::*;

    fn army() -> NumericRange {
        NumericRange { min: 400_000.0, max: 1_000_000.0, step: 50_000.0, integer: true, unit: Some("troops".into()) }
    }

    /// One provision, art-7, binding a numeric ceiling; the draft sets 600,000.
    fn ceiling() -> Negotiation {
        Negotiation {
            id: "n".into(),
            title: "T".into(),
            description: String::new(),
            parties: vec![Party { id: "ua".into(), name: "UA".into(), role: Role::Signatory }],
            issues: vec![Issue {
                id: "army-cap".into(),
                title: "Army ceiling".into(),
                kind: IssueKind::Numeric(army()),
                draft: Some(Value::Number(600_000.0)),
            }],
            provisions: vec![Provision {
                id: "art-7".into(),
                number: "7".into(),
                heading: "Armed forces".into(),
                body: "The armed forces shall not exceed {army-cap}.".into(),
                wordings: vec![Wording {
                    issue: "army-cap".into(),
                    text: WordingText::Template("{value} {unit}".into()),
                }],
            }],
            constraints: Vec::new(),
            timetable: Timetable::default(),
            profiles: Vec::new(),
            stances: Vec::new(),
            privacy: Privacy::default(),
        }
    }

    #[test]
    fn a_stance_pin_names_the_values_and_wording_read_and_stays_current_until_that_wording_changes() {
        let mut n = ceiling();
        let pin = n.stance_pin("art-7", 2).unwrap();
        assert_eq!(pin.version, 2);
        assert_eq!(pin.values, [PinnedValue { issue: "army-cap".into(), value: Value::Number(600_000.0) }]);
        let rendered = crate::text::render_provision(&n, &n.provisions[0], &n.draft_package()).unwrap();
        assert_eq!(rendered.text, "The armed forces shall not exceed 600,000 troops.");
        assert_eq!(pin.wording_hash, crate::text::wording_hash(&rendered));
        assert_eq!(n.stance_pin("art-9", 2), None);

        let stance = Stance {
            party: "ua".into(),
            provision: "art-7".into(),
            position: Position::Unacceptable,
            reason: None,
            pin: Some(pin),
        };
        assert_eq!(n.stance_standing(&stance), StanceStanding::Current(vec![(0, 4)]));
        // The draft moves: the stance still answers 600,000, where it applies.
        n.issues[0].draft = Some(Value::Number(800_000.0));
        assert_eq!(n.stance_standing(&stance), StanceStanding::Current(vec![(0, 4)]));
        // The wording changes: what the party read is gone.
        n.provisions[0].body = "The armed forces shall never exceed {army-cap}.".into();
        assert_eq!(n.stance_standing(&stance), StanceStanding::Stale);
        let legacy = Stance { pin: None, ..stance };
        assert_eq!(n.stance_standing(&legacy), StanceStanding::Unpinned);
    }

    #[test]
    fn an_unpinned_stance_keeps_the_bytes_of_old_logs() {
        let old = r#"{"party":"ua","provision":"art-7","position":{"position":"acceptable"},"reason":null}"#;
        let stance: Stance = serde_json::from_str(old).unwrap();
        assert_eq!(stance.pin, None);
        assert_eq!(serde_json::to_string(&stance).unwrap(), old);
    }

    #[test]
    fn numeric_grid_has_expected_points() {
        let r = army();
        assert_eq!(r.len(), Some(13));
        assert_eq!(r.value_at(4), 600_000.0);
        assert_eq!(r.index_of(600_000.0), Some(4));
        assert_eq!(r.index_of(610_000.0), None);
    }

    #[test]
    fn step_must_divide_range() {
        let r = NumericRange { step: 70_000.0, ..army() };
        assert_eq!(r.len(), None);
        let inverted = NumericRange { min: 5.0, max: 1.0, step: 1.0, integer: true, unit: None };
        assert_eq!(inverted.len(), None);
    }

    #[test]
    fn decimal_grid_avoids_accumulated_error() {
        let r = NumericRange { min: 0.0, max: 1.0, step: 0.1, integer: false, unit: None };
        assert_eq!(r.len(), Some(11));
        assert_eq!(r.index_of(0.3), Some(3));
        assert_eq!(format_number(r.value_at(3), &r), "0.3");
    }

    #[test]
    fn numbers_are_grouped() {
        assert_eq!(format_number(600_000.0, &army()), "600,000");
        assert_eq!(group_thousands(-1_234_567), "-1,234,567");
        let pct = NumericRange { min: 0.5, max: 5.0, step: 0.25, integer: false, unit: Some("%".into()) };
        assert_eq!(format_number(2.75, &pct), "2.75");
        assert_eq!(format_number(1234.5, &pct), "1,234.50");
    }

    #[test]
    fn default_privacy_leaves_no_trace_in_the_bytes_and_old_bytes_read_as_default() {
        let privacy = |json: &str| serde_json::from_str::<Privacy>(json).map_err(|e| e.to_string());
        assert_eq!(serde_json::to_string(&Privacy::default()).ok().as_deref(), Some("{}"));
        assert_eq!(privacy("{}"), Ok(Privacy::default()));
        assert_eq!(Privacy::default().count_threshold, 2, "the threshold is on by default");
        let blind = Privacy { blind_mediation: true, count_threshold: 3, ..Privacy::default() };
        let text = serde_json::to_string(&blind).unwrap_or_default();
        assert_eq!(text, r#"{"blind_mediation":true,"count_threshold":3}"#);
        assert_eq!(privacy(&text), Ok(blind));
        let sharing = Privacy { parties_see_working_draft: true, ..Privacy::default() };
        assert_eq!(serde_json::to_string(&sharing).unwrap_or_default(), r#"{"parties_see_working_draft":true}"#);
        assert_eq!(privacy(r#"{"parties_see_working_draft":true}"#), Ok(sharing));
        assert!(privacy(r#"{"blind":true}"#).is_err(), "a misspelt setting is refused, not ignored");
        // A negotiation without the field (every log written before it) reads as the default.
        let negotiation = Negotiation {
            id: "n".into(),
            title: "T".into(),
            description: String::new(),
            parties: Vec::new(),
            issues: Vec::new(),
            provisions: Vec::new(),
            constraints: Vec::new(),
            timetable: Timetable::default(),
            profiles: Vec::new(),
            stances: Vec::new(),
            privacy: Privacy::default(),
        };
        let bytes = serde_json::to_string(&negotiation).unwrap_or_default();
        assert!(!bytes.contains("privacy"), "{bytes}");
        let back: Option<Negotiation> = serde_json::from_str(&bytes).ok();
        assert_eq!(back, Some(negotiation));
    }
}
