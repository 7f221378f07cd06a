//! What one viewer receives of a negotiation's state and of its log.

use std::borrow::Cow;

use accord_core::event::{EnteredInput, Event, Invitation, ReservationPoint, State, UnreleasedChanges};
use accord_core::text::{self, Version};
use accord_core::{
    Constraint, Issue, Negotiation, Party, Position, Privacy, Profile, Provision, Role, Stance, StanceStanding,
    TextStatus, Timetable, Value,
};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::{Action, Decision, Resource, Viewer, decide, may_read_event};

/// A negotiation as one viewer may see it. Every field the viewer may not see
/// is absent or empty; nothing is computed from data the policy withholds
/// except the aggregates it allows (the stance counts).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct NegotiationView {
    pub id: String,
    pub title: String,
    pub description: String,
    pub parties: Vec<Party>,
    /// The confidentiality settings chosen at creation (public to everyone seated).
    pub privacy: Privacy,
    /// The log size this view was folded from (the value for `If-Match`).
    pub log_size: u64,
    /// The viewer's own seat, if any.
    pub you: Option<SeatView>,
    pub versions: Vec<VersionSummary>,
    pub draft: Option<DraftView>,
    /// The stances the viewer may see; `reason` and conditions are present only where the policy allows.
    pub stances: Vec<StanceView>,
    pub stance_counts: Option<Vec<StanceCount>>,
    pub stance_history: Vec<StanceHistoryEntry>,
    pub comments: Vec<CommentView>,
    pub profiles: Vec<Profile>,
    pub reservation_history: Vec<ReservationEntry>,
    pub members: Option<Vec<SeatView>>,
    pub invitations: Option<Vec<InvitationView>>,
    /// Per party, the inputs the mediator entered for it (from a scenario)
    /// that it has not confirmed or replaced: the viewer's own, or every
    /// party's for the mediator.
    #[serde(default)]
    pub unconfirmed: Vec<UnconfirmedInputs>,
}

/// A party's inputs that someone else (the mediator, creating the
/// negotiation from a scenario) entered for it, and that it has neither
/// confirmed nor replaced: words put in its mouth until it says otherwise.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct UnconfirmedInputs {
    pub party: String,
    /// Its profile (weights, ratings, red lines, reservation value).
    pub profile: bool,
    /// The provisions its stance on which was entered for it.
    pub stances: Vec<String>,
}

/// A party's profile with whether it is the party's own word.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ProfileView {
    #[serde(flatten)]
    pub profile: Profile,
    /// The mediator entered this profile for the party (from a scenario) and
    /// the party has not confirmed or replaced it yet.
    pub entered_by_mediator: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SeatView {
    pub party: String,
    pub role: Role,
    pub account: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct VersionSummary {
    pub number: u32,
    pub position: u64,
    pub at: DateTime<Utc>,
    pub content_hash: String,
    /// What the released text is (a non-paper, a negotiating text, …).
    #[serde(default)]
    pub status: TextStatus,
}

/// Which text a viewer reads: see [`visible_text`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TextKind {
    /// The mediator's working draft, edits not yet published included.
    Working,
    /// The working draft, watched by a party the negotiation lets watch it:
    /// "working draft, not released".
    WorkingNotReleased,
    /// The text as last released: as of the last published version, or as
    /// created before any.
    Released,
}

impl TextKind {
    /// How the text is labelled where it is shown.
    pub fn label(self) -> &'static str {
        match self {
            TextKind::Working => "working draft",
            TextKind::WorkingNotReleased => "working draft, not released",
            TextKind::Released => "released text",
        }
    }
}

/// The text one viewer reads, with what it is.
#[derive(Debug, Clone)]
pub struct VisibleText<'a> {
    /// The negotiation with this text in it (issues with their draft values,
    /// provisions, constraints); everything else as it stands.
    pub negotiation: Cow<'a, Negotiation>,
    pub kind: TextKind,
    /// The provisions this text marks agreed ad referendum.
    pub ad_referendum: &'a [String],
}

impl VisibleText<'_> {
    /// Whether this is the working draft rather than the released text.
    pub fn is_working(&self) -> bool {
        self.kind != TextKind::Released
    }
}

/// The provision a comment is shown on to a reader of `text`. Drafting
/// carries a comment to the provision that replaced its own (a merge, a
/// split) at once in the working draft; a reader of the released text still
/// finds it where it was until that restructure is published, so the
/// comment does not reveal an unpublished edit.
fn comment_anchor<'s>(state: &'s State, text: &VisibleText<'_>, comment: &'s accord_core::event::Comment) -> &'s str {
    if text.is_working() {
        return &comment.provision;
    }
    let released_at = state
        .released
        .version
        .and_then(|number| state.versions.iter().find(|v| v.number == number))
        .map_or(0, |v| v.position);
    state
        .carried_comments
        .iter()
        .find(|carried| carried.comment == comment.id && carried.position > released_at)
        .map_or(comment.provision.as_str(), |carried| carried.written_on.as_str())
}

/// Which text `viewer` reads: THE one place that chooses. The mediator
/// reads the working draft (blind mediation hides the parties' inputs, not
/// the mediator's own text); a party reads the released text, or the
/// working draft when the negotiation lets parties watch it
/// ([`Privacy::parties_see_working_draft`]). Every party-facing view of the
/// text — the draft and text API and pages, stance counts, comments'
/// anchors, a party's own analysis, what a stance or a comment may be on —
/// starts from here.
pub fn visible_text<'a>(viewer: &Viewer, state: &'a State) -> VisibleText<'a> {
    if reads(viewer, Resource::WorkingDraft).allowed() {
        let kind = if viewer.role() == Some(Role::Mediator) { TextKind::Working } else { TextKind::WorkingNotReleased };
        return VisibleText {
            negotiation: Cow::Borrowed(&state.negotiation),
            kind,
            ad_referendum: &state.ad_referendum,
        };
    }
    VisibleText {
        negotiation: Cow::Owned(state.released_negotiation()),
        kind: TextKind::Released,
        ad_referendum: &state.released.ad_referendum,
    }
}

/// A party tried to take a stance on, or comment on, a provision that is not
/// in the text it reads (the mediator's unreleased working draft has it, or
/// nothing has).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotInVisibleText {
    pub provision: String,
    pub kind: TextKind,
}

impl std::fmt::Display for NotInVisibleText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "provision \"{}\" is not in the text you read (the {})", self.provision, self.kind.label())
    }
}

impl std::error::Error for NotInVisibleText {}

/// Stances and comments are on the text their author reads: `provision`
/// must be in `viewer`'s [`visible_text`].
pub fn check_in_visible_text(viewer: &Viewer, state: &State, provision: &str) -> Result<(), NotInVisibleText> {
    let text = visible_text(viewer, state);
    match text.negotiation.provision(provision) {
        Some(_) => Ok(()),
        None => Err(NotInVisibleText { provision: provision.to_string(), kind: text.kind }),
    }
}

/// The text a viewer reads (see [`visible_text`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DraftView {
    /// Which text this is: the working draft (the mediator's, or watched
    /// by a party: "not released") or the released text.
    pub kind: TextKind,
    /// The version that released the text parties read; absent before any.
    pub released_version: Option<u32>,
    /// That version's status; absent before any publication.
    pub status: Option<TextStatus>,
    /// The provisions this text marks agreed ad referendum (provisionally:
    /// nothing is agreed until everything is agreed).
    pub ad_referendum: Vec<String>,
    /// For the working draft: what differs from the released text.
    pub unreleased: Option<UnreleasedChanges>,
    pub issues: Vec<Issue>,
    pub provisions: Vec<Provision>,
    pub constraints: Vec<Constraint>,
    pub timetable: Timetable,
    /// The draft's value per issue, in issue order.
    pub values: Vec<DraftValue>,
    /// The draft as it reads; absent when the draft cannot be rendered (a slot without wording).
    pub text: Option<Version>,
    pub render_error: Option<String>,
    /// Per provision of `text`, the [`text::wording_hash`] of its wording: what
    /// a stance names to say which wording it answers.
    #[serde(default)]
    pub wording_hashes: Vec<WordingHash>,
}

/// The hash of one provision's wording as the viewer reads it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct WordingHash {
    pub provision: String,
    pub wording_hash: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DraftValue {
    pub issue: String,
    #[schema(value_type = Option<accord_core::IssueValue>)]
    pub value: Option<Value>,
    pub label: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct StanceView {
    pub party: String,
    pub provision: String,
    /// `acceptable`, `acceptable_if` or `unacceptable`.
    pub position: String,
    /// Present when the viewer may see the party's reasons.
    pub detail: Option<Stance>,
    /// The mediator entered this stance for the party (from a scenario) and
    /// the party has not confirmed or replaced it yet.
    #[serde(default)]
    pub entered_by_mediator: bool,
    /// The stance answers a wording the text no longer has (its provision
    /// changed since the party read it): it binds nothing until the party
    /// answers again.
    #[serde(default)]
    pub stale: bool,
    /// For `acceptable_if`, whether the conditions hold at the current
    /// draft; present when the viewer may see them (with `detail`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conditions_hold: Option<bool>,
}

/// Per provision, how many parties have reservations: the aggregate a viewer
/// gets of the positions it may not read. See [`stance_counts`] for when it
/// is withheld.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct StanceCount {
    pub provision: String,
    /// Parties whose stance is `unacceptable` or `acceptable_if`; absent when withheld.
    pub with_reservations: Option<usize>,
    /// Parties that recorded any stance; absent when withheld.
    pub recorded: Option<usize>,
    /// The counts would let this viewer tell another party's position (the
    /// parties it cannot see are fewer than the negotiation's threshold, or
    /// all hold the same position), so they are not shown.
    pub withheld: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct StanceHistoryEntry {
    pub position: u64,
    pub at: DateTime<Utc>,
    pub stance: Stance,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CommentView {
    pub id: String,
    pub party: String,
    pub provision: String,
    pub quote: String,
    pub text: String,
    pub private: bool,
    /// The quoted span no longer appears in the provision (or the provision is gone).
    pub outdated: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ReservationEntry {
    pub party: String,
    #[serde(flatten)]
    pub point: ReservationPoint,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct InvitationView {
    /// The first 16 hex digits of the token hash: enough to tell invitations apart.
    pub id: String,
    pub party: String,
    pub role: Role,
    pub expires_at: DateTime<Utc>,
    pub accepted_by: Option<String>,
    /// A newer invitation for the same seat replaced this one before it was used.
    #[serde(default)]
    pub superseded: bool,
    /// The mediator revoked this invitation before it was used.
    #[serde(default)]
    pub revoked: bool,
}

fn reads(viewer: &Viewer, resource: Resource<'_>) -> Decision {
    decide(viewer, Action::Read, &resource)
}

/// The state as `viewer` may see it. A viewer who may not read the
/// negotiation at all gets `None`.
pub fn view_state(viewer: &Viewer, state: &State) -> Option<NegotiationView> {
    if !reads(viewer, Resource::Negotiation).allowed() {
        return None;
    }
    let n = &state.negotiation;
    let you = match viewer {
        Viewer::Party { account, party, role, .. } => {
            Some(SeatView { party: party.clone(), role: *role, account: Some(account.clone()) })
        }
        _ => None,
    };
    let versions = if reads(viewer, Resource::Versions).allowed() {
        state
            .versions
            .iter()
            .map(|v| VersionSummary {
                number: v.number,
                position: v.position,
                at: v.at,
                content_hash: v.content_hash.clone(),
                status: v.status,
            })
            .collect()
    } else {
        Vec::new()
    };
    let text = visible_text(viewer, state);
    let draft = reads(viewer, Resource::Draft).allowed().then(|| draft_view(state, &text));

    // Stale and conditions are judged against the text the viewer reads.
    let draft_package = text.negotiation.draft_package();
    let stances = n
        .stances
        .iter()
        .filter(|s| reads(viewer, Resource::StancePosition { party: &s.party }).allowed())
        .map(|s| {
            let detail = reads(viewer, Resource::StanceReason { party: &s.party }).allowed();
            StanceView {
                party: s.party.clone(),
                provision: s.provision.clone(),
                position: s.position.as_str().to_string(),
                detail: detail.then(|| s.clone()),
                entered_by_mediator: entered_for(viewer, state, &s.party, &stance_input(&s.provision)),
                stale: text.negotiation.stance_standing(s) == StanceStanding::Stale,
                conditions_hold: detail
                    .then(|| s.position.conditions_hold(&text.negotiation, &draft_package))
                    .flatten(),
            }
        })
        .collect();
    let stance_counts =
        reads(viewer, Resource::StanceCounts).allowed().then(|| stance_counts(viewer, &text.negotiation));
    let stance_history = state
        .stance_history
        .iter()
        .filter(|r| {
            reads(viewer, Resource::StancePosition { party: &r.stance.party }).allowed()
                && reads(viewer, Resource::StanceReason { party: &r.stance.party }).allowed()
        })
        .map(|r| StanceHistoryEntry { position: r.position, at: r.at, stance: r.stance.clone() })
        .collect();
    let comments = state
        .comments
        .iter()
        .filter(|c| reads(viewer, Resource::Comment { author: &c.party, private: c.private }).allowed())
        .map(|c| (comment_anchor(state, &text, c), c))
        // A comment on a provision only the unreleased working draft has
        // would tell a party that provision exists.
        .filter(|(anchor, _)| text.negotiation.provision(anchor).is_some() || n.provision(anchor).is_none())
        .map(|(anchor, c)| CommentView {
            id: c.id.clone(),
            party: c.party.clone(),
            provision: anchor.to_string(),
            quote: c.quote.clone(),
            text: c.text.clone(),
            private: c.private,
            outdated: is_outdated(&text.negotiation, anchor, &c.quote),
        })
        .collect();
    let profiles =
        n.profiles.iter().filter(|p| reads(viewer, Resource::Profile { party: &p.party }).allowed()).cloned().collect();
    let reservation_history = state
        .reservation_history
        .iter()
        .filter(|(party, _)| reads(viewer, Resource::ReservationHistory { party }).allowed())
        .map(|(party, point)| ReservationEntry { party: party.clone(), point: point.clone() })
        .collect();
    let members = reads(viewer, Resource::Members).allowed().then(|| members(state));
    let invitations =
        reads(viewer, Resource::Invitations).allowed().then(|| state.invitations.iter().map(invitation_view).collect());
    Some(NegotiationView {
        id: n.id.clone(),
        title: n.title.clone(),
        description: n.description.clone(),
        parties: n.parties.clone(),
        privacy: n.privacy,
        log_size: state.size,
        you,
        versions,
        draft,
        stances,
        stance_counts,
        stance_history,
        comments,
        profiles,
        reservation_history,
        members,
        invitations,
        unconfirmed: unconfirmed_inputs(viewer, state),
    })
}

fn stance_input(provision: &str) -> EnteredInput {
    EnteredInput::Stance { provision: provision.to_string() }
}

/// Whether `viewer` may know, and it is so, that `party`'s `input` was
/// entered for it and not confirmed since.
fn entered_for(viewer: &Viewer, state: &State, party: &str, input: &EnteredInput) -> bool {
    reads(viewer, Resource::EnteredFor { party }).allowed() && state.entered_for_party(party).any(|e| &e.input == input)
}

/// Per party (in party order), the unconfirmed inputs `viewer` may know of;
/// parties with none are left out.
pub fn unconfirmed_inputs(viewer: &Viewer, state: &State) -> Vec<UnconfirmedInputs> {
    state
        .negotiation
        .parties
        .iter()
        .filter(|p| reads(viewer, Resource::EnteredFor { party: &p.id }).allowed())
        .filter_map(|p| {
            let mut inputs = UnconfirmedInputs { party: p.id.clone(), profile: false, stances: Vec::new() };
            for entry in state.entered_for_party(&p.id) {
                match &entry.input {
                    EnteredInput::Profile => inputs.profile = true,
                    EnteredInput::Stance { provision } => inputs.stances.push(provision.clone()),
                }
            }
            (inputs.profile || !inputs.stances.is_empty()).then_some(inputs)
        })
        .collect()
}

/// What a stance count can tell about one party: no stance, acceptable, or
/// with reservations (`acceptable_if` and `unacceptable` count alike).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Category {
    None,
    Acceptable,
    WithReservations,
}

fn category(stance: Option<&Stance>) -> Category {
    match stance.map(|s| &s.position) {
        None => Category::None,
        Some(Position::Acceptable) => Category::Acceptable,
        Some(_) => Category::WithReservations,
    }
}

/// Per provision, the stance counts as `viewer` may see them.
///
/// The rule (aggregates that do not identify): the viewer knows the
/// positions it may read (its own, and everyone's for a mediator who is not
/// blind); subtracting them from a count leaves the *hidden group*, the
/// signatories and consulted parties whose positions it may not read. A
/// count is withheld when the hidden group is smaller than the
/// negotiation's `count_threshold`, or when every party in it falls in the
/// same category (no stance / acceptable / with reservations): in both cases
/// the count would pin down a hidden party's category. Otherwise the hidden
/// group holds at least two categories, so every hidden party could hold
/// another's category as far as the counts show. A threshold below 2 turns
/// the rule off; a viewer with no hidden group sees the counts.
pub fn stance_counts(viewer: &Viewer, n: &Negotiation) -> Vec<StanceCount> {
    let threshold = viewer.privacy().count_threshold;
    let hidden: Vec<&str> = n
        .parties
        .iter()
        .filter(|p| matches!(p.role, Role::Signatory | Role::Consulted))
        .filter(|p| !reads(viewer, Resource::StancePosition { party: &p.id }).allowed())
        .map(|p| p.id.as_str())
        .collect();
    n.provisions
        .iter()
        .map(|p| {
            let on: Vec<&Stance> = n.stances.iter().filter(|s| s.provision == p.id).collect();
            let categories: Vec<Category> =
                hidden.iter().map(|party| category(on.iter().copied().find(|s| s.party == *party))).collect();
            let identifying = threshold >= 2
                && !hidden.is_empty()
                && (hidden.len() < threshold as usize || categories.iter().all(|c| *c == categories[0]));
            StanceCount {
                provision: p.id.clone(),
                with_reservations: (!identifying)
                    .then(|| on.iter().filter(|s| !matches!(s.position, Position::Acceptable)).count()),
                recorded: (!identifying).then_some(on.len()),
                withheld: identifying,
            }
        })
        .collect()
}

/// `party`'s profile as `viewer` may see it, with whether it was entered
/// for the party; `None` when there is none or the viewer may not read it.
pub fn profile_view(viewer: &Viewer, state: &State, party: &str) -> Option<ProfileView> {
    if !reads(viewer, Resource::Profile { party }).allowed() {
        return None;
    }
    let profile = state.negotiation.profile(party)?.clone();
    Some(ProfileView { profile, entered_by_mediator: entered_for(viewer, state, party, &EnteredInput::Profile) })
}

/// Every party's seat, with the account holding it (if taken).
pub fn members(state: &State) -> Vec<SeatView> {
    state
        .negotiation
        .parties
        .iter()
        .map(|p| SeatView {
            party: p.id.clone(),
            role: p.role,
            account: state.accounts_of_party(&p.id).next().map(str::to_string),
        })
        .collect()
}

pub fn invitation_view(invitation: &Invitation) -> InvitationView {
    InvitationView {
        id: invitation.token_hash.chars().take(16).collect(),
        party: invitation.party.clone(),
        role: invitation.role,
        expires_at: invitation.expires_at,
        accepted_by: invitation.accepted_by.clone(),
        superseded: invitation.superseded_at.is_some(),
        revoked: invitation.revoked_at.is_some(),
    }
}

fn draft_view(state: &State, visible: &VisibleText<'_>) -> DraftView {
    let n: &Negotiation = &visible.negotiation;
    let package = n.draft_package();
    let (text, render_error) = match text::render(n, &package) {
        Ok(version) => (Some(version), None),
        Err(e) => (None, Some(e.to_string())),
    };
    DraftView {
        kind: visible.kind,
        released_version: state.released.version,
        status: state.released.status,
        ad_referendum: visible.ad_referendum.to_vec(),
        unreleased: visible.is_working().then(|| state.unreleased_changes()),
        issues: n.issues.clone(),
        provisions: n.provisions.clone(),
        constraints: n.constraints.clone(),
        timetable: n.timetable.clone(),
        values: n
            .issues
            .iter()
            .map(|issue| {
                let index = issue.draft_index();
                DraftValue { issue: issue.id.clone(), value: issue.value_at(index), label: issue.label_at(index) }
            })
            .collect(),
        wording_hashes: text
            .iter()
            .flat_map(|version| &version.provisions)
            .map(|p| WordingHash { provision: p.id.clone(), wording_hash: text::wording_hash(p) })
            .collect(),
        text,
        render_error,
    }
}

/// A comment is outdated when its quote appears neither in the provision's
/// body as written nor in the provision as the text `n` reads (a viewer's
/// [`visible_text`]).
pub fn is_outdated(n: &Negotiation, provision: &str, quote: &str) -> bool {
    let Some(p) = n.provision(provision) else { return true };
    if quote.is_empty() || p.body.contains(quote) || p.heading.contains(quote) {
        return false;
    }
    match text::render_provision(n, p, &n.draft_package()) {
        Ok(rendered) => !rendered.text.contains(quote),
        Err(_) => true,
    }
}

/// One entry of the event log as a viewer receives it.
///
/// A full entry carries the exact stored bytes, so the viewer re-hashes them
/// to the leaf hash and checks inclusion. A redacted entry carries the leaf
/// hash only: its place in the tree is still provable, its content is not
/// disclosed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct EventEntry {
    pub position: u64,
    /// Exact for a full entry; for a redacted one, the start of its UTC hour
    /// (a full entry's `bytes` carry the exact time, which the hash covers).
    pub at: DateTime<Utc>,
    /// The payload's type (`stance_recorded`), which the log's shape shows anyway.
    #[serde(rename = "type")]
    pub kind: String,
    /// Hex SHA-256 leaf hash (RFC 6962: over 0x00 and the bytes).
    pub leaf_hash: String,
    pub redacted: bool,
    /// The stored event JSON, exactly as hashed. Absent when redacted.
    pub bytes: Option<String>,
}

/// The event as `viewer` may see it, from its stored bytes and leaf hash.
pub fn filter_event(viewer: &Viewer, event: &Event, bytes: &[u8], leaf_hash: &[u8; 32]) -> Option<EventEntry> {
    if !reads(viewer, Resource::EventLog).allowed() {
        return None;
    }
    let full = may_read_event(viewer, event);
    let text = if full { std::str::from_utf8(bytes).ok().map(str::to_string) } else { None };
    Some(EventEntry {
        position: event.position,
        // A redacted entry's exact time would let a viewer tie the change it
        // sees in a count to whoever was active then: the hour is enough to
        // place it in the process.
        at: if text.is_some() { event.at } else { to_the_hour(event.at) },
        kind: event.payload.kind().to_string(),
        leaf_hash: hex_lower(leaf_hash),
        // Bytes that are not UTF-8 cannot be JSON; serve them as redacted rather than mangle them.
        redacted: text.is_none(),
        bytes: text,
    })
}

/// `at`, truncated to the start of its UTC hour.
pub fn to_the_hour(at: DateTime<Utc>) -> DateTime<Utc> {
    let seconds = at.timestamp().div_euclid(3600) * 3600;
    DateTime::from_timestamp(seconds, 0).unwrap_or(DateTime::UNIX_EPOCH)
}

fn hex_lower(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(DIGITS[usize::from(b >> 4)] as char);
        out.push(DIGITS[usize::from(b & 15)] as char);
    }
    out
}
