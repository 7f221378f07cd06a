//! Events: every change to a negotiation, and the pure fold that turns a log
//! of them into the current [`State`].
//!
//! The log is the source of truth. Projections and caches are rebuilt from it
//! with [`State::apply`]. Events are never edited or deleted; a stance changed
//! three times is three events, which is the stance history.
//!
//! Events carry private data (profiles, stance reasons, private comments).
//! Whoever serves events to anyone must pass them through the policy layer.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::model::{
    Constraint, Issue, Negotiation, Party, Phase, PhaseKind, Profile, Provision, Role, Stance, TextStatus, Timetable,
    Value,
};

/// Who caused an event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Actor {
    /// A signed-in account acting as a party of this negotiation (or as its creator).
    Account { account: String, party: Option<String> },
    /// The server itself (timetable transitions, lapses).
    System,
}

/// One entry of a negotiation's log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// 0, 1, 2, … without gaps; the leaf index in the Merkle tree.
    pub position: u64,
    pub actor: Actor,
    pub at: DateTime<Utc>,
    pub payload: Payload,
    /// Random hex the server adds to every event it writes. The log API
    /// serves a redacted event's leaf hash (so its inclusion stays provable);
    /// without a salt, a low-entropy private payload (a reservation of 0.55,
    /// a stance reason of "no") could be recovered by hashing guesses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub salt: Option<String>,
}

/// What happened. Variants are only ever added, never changed in meaning,
/// because old logs must still fold.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum Payload {
    /// Always event 0. The public frame of the negotiation: parties, issues,
    /// provisions, constraints, timetable. Profiles and stances that came
    /// with a scenario file follow as their own events.
    Created {
        negotiation: Negotiation,
        creator_party: String,
    },
    /// An invitation to take up a party's seat. Only a hash of the one-time
    /// token is logged, never the token.
    PartyInvited {
        party: String,
        role: Role,
        token_hash: String,
        expires_at: DateTime<Utc>,
    },
    /// An account took up a party's seat by redeeming an invitation.
    InvitationAccepted {
        party: String,
        account: String,
        token_hash: String,
    },
    IssueSet {
        issue: Issue,
    },
    IssueRemoved {
        issue: String,
    },
    /// Inserts or replaces a provision; `index` is its place in the text.
    ProvisionSet {
        provision: Provision,
        index: usize,
    },
    ProvisionRemoved {
        provision: String,
    },
    /// The draft's current value for an issue.
    DraftValueSet {
        issue: String,
        value: Value,
    },
    ConstraintSet {
        constraint: Constraint,
    },
    ConstraintRemoved {
        constraint: String,
    },
    TimetableSet {
        timetable: Timetable,
    },
    /// A party's stance on a provision; replaces the previous one (the log keeps it).
    StanceRecorded {
        stance: Stance,
    },
    /// A comment anchored to a provision and a quoted span of its text.
    CommentAdded {
        comment: Comment,
    },
    /// A party's whole profile; replaces the previous one.
    ProfileSet {
        profile: Profile,
    },
    /// A move of a party's walk-away point, kept as its history.
    ReservationChanged {
        party: String,
        reservation: f64,
        note: Option<String>,
    },
    /// The mediator released version `number` of the text to every party at
    /// once: one event, so no party can be shown a version before the others.
    /// `content_hash` is the hex SHA-256 of the version's canonical encoding.
    /// Publishing also releases the working draft: from this event on,
    /// parties see the text as it stood here ([`State::released`]).
    /// `status` says what the text is (absent: a negotiating text, which is
    /// what every version was before the field existed).
    VersionPublished {
        number: u32,
        package: crate::model::Package,
        version: crate::text::Version,
        content_hash: String,
        #[serde(default, skip_serializing_if = "TextStatus::is_default")]
        status: TextStatus,
    },
    /// A party registered its Ed25519 public key. Once per party; later changes are KeyRotated.
    /// `signature` is the proof of possession: the NEW key's own signature over the
    /// key-registration statement (negotiation, party, key). Absent only in logs
    /// written before the server required it; such a registration is reported as
    /// unproved by the verifier, and an absent field keeps those events' bytes.
    KeyRegistered {
        party: String,
        public_key: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        signature: Option<String>,
    },
    /// The party's key changed; `signature` is by the OLD key over the key-rotation statement.
    KeyRotated {
        party: String,
        public_key: String,
        signature: String,
    },
    /// Party acknowledged version `number` (its content hash) together with the log checkpoint it was shown
    /// (size + root hex); `signature` by the party's current key over the acknowledgement statement.
    VersionAcknowledged {
        party: String,
        number: u32,
        content_hash: String,
        checkpoint_size: u64,
        checkpoint_root: String,
        signature: String,
    },
    /// A signatory signed the final text (the latest published version) during the signing window.
    FinalTextSigned {
        party: String,
        number: u32,
        content_hash: String,
        signature: String,
    },
    /// The negotiation entered timetable phase `phase` (a phase id): by the clock (actor System, reason None)
    /// or early by the mediator (reason Some).
    PhaseEntered {
        phase: String,
        reason: Option<String>,
    },
    /// The mediator moved the end of `phase` to `end`, with a reason.
    DeadlineExtended {
        phase: String,
        end: DateTime<Utc>,
        reason: String,
    },
    /// Every signatory signed version `number`: the agreement is concluded. Actor System.
    Closed {
        number: u32,
        content_hash: String,
    },
    /// The signing window ended before every signatory signed. Actor System.
    Lapsed {
        phase: String,
        unsigned: Vec<String>,
    },
    /// The server reminded `parties` that `awaited` (a short phrase: "sign
    /// version 4") is due before `deadline`, the end of `phase`. Actor System.
    /// Logged before the reminders are sent, so each (phase, deadline) is
    /// reminded once however many servers tick.
    RemindersSent {
        phase: String,
        deadline: DateTime<Utc>,
        parties: Vec<String>,
        awaited: String,
    },
    /// The mediator withdrew a pending invitation before anyone redeemed it:
    /// a link sent to the wrong person, or leaked, dies at once.
    InvitationRevoked {
        party: String,
        token_hash: String,
    },
    /// `party` confirms, as they stand, inputs someone else entered for it
    /// (a scenario's profile and stances, logged by the mediator's account):
    /// its profile when `profile`, and its stances on the provisions
    /// `stances`. From then on they are the party's own word. Only the
    /// party itself may write it (the fold checks the actor).
    InputsConfirmed {
        party: String,
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        profile: bool,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        stances: Vec<String>,
    },
    /// How a drafting batch restructured provisions ([`crate::drafting`]):
    /// one change per provision affected, in the order they happened. The
    /// provisions' text is written by the `provision_set` and
    /// `provision_removed` events around it; this event records their
    /// lineage and carries the stances and comments of a provision merged
    /// into another (or split off another) to its successor. Written after
    /// the successors exist and before a merged provision is removed.
    ProvisionsRestructured {
        changes: Vec<crate::drafting::ProvisionChange>,
    },
    /// The mediator renumbered the text: every provision's displayed number,
    /// `(provision id, number)` in text order. Ids never change.
    ProvisionsRenumbered {
        numbers: Vec<(String, String)>,
    },
    /// The mediator let parties watch the working draft live (`true`) or
    /// keep it private until the next publication (`false`):
    /// [`crate::Privacy::parties_see_working_draft`].
    WorkingDraftSharingSet {
        parties_see_working_draft: bool,
    },
    /// The mediator marked `provision` as agreed ad referendum (provisional:
    /// nothing is agreed until everything is agreed), or unmarked it. Part
    /// of the working draft: parties see the mark from the next publication.
    AdReferendumSet {
        provision: String,
        agreed: bool,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Comment {
    pub id: String,
    pub party: String,
    pub provision: String,
    /// The span of the provision's text the comment is about (may be empty for the whole provision).
    pub quote: String,
    pub text: String,
    /// Private comments reach only their author and the mediator.
    pub private: bool,
}

/// One point of a party's reservation history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
pub struct ReservationPoint {
    pub position: u64,
    pub at: DateTime<Utc>,
    pub reservation: f64,
    pub note: Option<String>,
}

/// One recorded stance with when it was recorded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StanceRecord {
    pub position: u64,
    pub at: DateTime<Utc>,
    pub stance: Stance,
}

/// An outstanding invitation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Invitation {
    pub party: String,
    pub role: Role,
    pub token_hash: String,
    pub expires_at: DateTime<Utc>,
    pub accepted_by: Option<String>,
    /// Set when a later invitation for the same seat superseded this one
    /// before it was accepted (the position of that invitation); a
    /// superseded invitation can no longer be accepted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub superseded_at: Option<u64>,
    /// Set when the mediator revoked this invitation (the position of the
    /// revocation); a revoked invitation can no longer be accepted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked_at: Option<u64>,
}

/// The text as the parties were last given it: the working draft's text as of
/// the last `version_published` (or as created, before any). The mediator's
/// edits after it stay in [`State::negotiation`] until the next publication.
/// What "the text" is: the issues (with their draft values), the provisions,
/// the constraints and the ad referendum marks. The title, description,
/// parties and timetable are not edited through the draft and are not in it.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ReleasedText {
    pub issues: Vec<Issue>,
    pub provisions: Vec<Provision>,
    pub constraints: Vec<Constraint>,
    /// The provisions marked agreed ad referendum when the text was released.
    #[serde(default)]
    pub ad_referendum: Vec<String>,
    /// The version that released it; `None`: the text as created.
    pub version: Option<u32>,
    /// The released version's status; `None` before any publication.
    pub status: Option<TextStatus>,
}

impl ReleasedText {
    /// The ids of the released provisions, in text order.
    pub fn provision_ids(&self) -> impl Iterator<Item = &str> {
        self.provisions.iter().map(|p| p.id.as_str())
    }

    /// The working draft's text of `state`, released by `version`.
    fn snapshot(state: &State, version: Option<(u32, TextStatus)>) -> ReleasedText {
        let n = &state.negotiation;
        ReleasedText {
            issues: n.issues.clone(),
            provisions: n.provisions.clone(),
            constraints: n.constraints.clone(),
            ad_referendum: state.ad_referendum.clone(),
            version: version.map(|(number, _)| number),
            status: version.map(|(_, status)| status),
        }
    }
}

/// How the working draft differs from the released text: what the mediator
/// sees as "not yet published".
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
pub struct UnreleasedChanges {
    /// Edit events (text, draft values, constraints, ad referendum marks) since the release.
    pub edits: u64,
    /// Provisions added, changed or moved since the release, in working order.
    pub provisions_changed: Vec<String>,
    /// Provisions in the released text that the working draft no longer has.
    pub provisions_removed: Vec<String>,
    /// Issues whose definition or draft value changed, added or removed.
    pub issues_changed: Vec<String>,
    /// Constraints were added, changed or removed.
    pub constraints_changed: bool,
    /// Ad referendum marks set or cleared.
    pub ad_referendum_changed: Vec<String>,
}

impl UnreleasedChanges {
    /// Whether the working draft reads exactly as the released text.
    pub fn is_empty(&self) -> bool {
        self.provisions_changed.is_empty()
            && self.provisions_removed.is_empty()
            && self.issues_changed.is_empty()
            && !self.constraints_changed
            && self.ad_referendum_changed.is_empty()
    }
}

/// The current state of a negotiation: a pure fold of its events.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct State {
    /// The negotiation as it stands: current text, profiles and latest stances.
    pub negotiation: Negotiation,
    /// Which account holds which party's seat: `(party id, account id)`.
    pub seats: Vec<(String, String)>,
    pub invitations: Vec<Invitation>,
    /// Every stance ever recorded, oldest first.
    pub stance_history: Vec<StanceRecord>,
    /// Every reservation change per party, oldest first: `(party id, point)`.
    pub reservation_history: Vec<(String, ReservationPoint)>,
    pub comments: Vec<Comment>,
    /// Every released version, oldest first (number 1, 2, …).
    pub versions: Vec<PublishedVersion>,
    /// The number of events folded so far (the next event's position).
    pub size: u64,
    /// Every key a party registered or rotated to, oldest first; a party's
    /// current key is its last. Older keys stay because acknowledgements made
    /// under them must still verify.
    #[serde(default)]
    pub keys: Vec<KeyRecord>,
    /// Every acknowledgement, oldest first. A party may acknowledge a version
    /// again (with a newer checkpoint); each one is kept.
    #[serde(default)]
    pub acknowledgements: Vec<Acknowledgement>,
    /// Every final signature, oldest first; at most one per party and version.
    #[serde(default)]
    pub signatures: Vec<FinalSignature>,
    /// Where the negotiation is in its timetable.
    #[serde(default)]
    pub phases: PhaseProgress,
    /// Every deadline reminder sent, oldest first.
    #[serde(default)]
    pub reminders: Vec<ReminderRecord>,
    #[serde(default)]
    pub status: Status,
    /// The inputs (profiles and stances) someone other than the party
    /// entered for it — a scenario's, logged by the mediator's account — that
    /// the party has neither confirmed nor replaced since, oldest first.
    #[serde(default)]
    pub entered_for: Vec<EnteredFor>,
    /// What drafting did to each provision, oldest first: every
    /// restructure, removal and renaming ([`crate::drafting::LineageRecord`]).
    /// A provision's id never changes; this is how a removed or merged id
    /// leads to the text that replaced it.
    #[serde(default)]
    pub lineage: Vec<crate::drafting::LineageRecord>,
    /// Comments lineage carried from the provision they were written on to
    /// another one (a merge, a split): the comment's `provision` in
    /// [`State::comments`] is where it is shown now; this keeps where it was
    /// written. Oldest first.
    #[serde(default)]
    pub carried_comments: Vec<crate::drafting::CarriedComment>,
    /// The log size just after the last event that changed the draft (its
    /// text, issues, draft values, constraints or timetable): a drafting
    /// batch based on a log size at least this large edited the current
    /// draft, whatever else (comments, stances) was written since.
    #[serde(default)]
    pub draft_revision: u64,
    /// The text the parties were last given (see [`ReleasedText`]).
    /// [`State::negotiation`] holds the mediator's working draft.
    #[serde(default)]
    pub released: ReleasedText,
    /// The provisions the working draft marks agreed ad referendum.
    #[serde(default)]
    pub ad_referendum: Vec<String>,
    /// Edit events folded since the last release.
    #[serde(default)]
    pub edits_since_release: u64,
}

/// One input a party did not enter itself and has not confirmed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EnteredFor {
    /// The party the input speaks for.
    pub party: String,
    pub input: EnteredInput,
    /// The party whose account entered it (`None`: the server, or an account without a seat).
    pub by: Option<String>,
    /// The event that last entered it.
    pub position: u64,
    pub at: DateTime<Utc>,
}

/// Records who wrote `party`'s `input` at `event`: the party itself (which
/// confirms it) or someone else (which makes it, again, entered for the party).
fn track_entry(entries: &mut Vec<EnteredFor>, event: &Event, party: &str, input: EnteredInput) {
    entries.retain(|e| e.party != party || e.input != input);
    if !event.actor.is_party(party) {
        entries.push(EnteredFor {
            party: party.to_string(),
            input,
            by: event.actor.party().map(str::to_string),
            position: event.position,
            at: event.at,
        });
    }
}

/// Which of a party's inputs was entered for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum EnteredInput {
    /// The whole profile (weights, ratings, red lines, reservation value).
    Profile,
    /// The stance on one provision.
    Stance { provision: String },
}

impl std::fmt::Display for EnteredInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EnteredInput::Profile => f.write_str("profile"),
            EnteredInput::Stance { provision } => write!(f, "stance on \"{provision}\""),
        }
    }
}

impl Actor {
    /// Whether this actor is `party` acting for itself: an account holding
    /// that party's seat. Anything else writing a party's input writes it
    /// *for* the party.
    pub fn is_party(&self, party: &str) -> bool {
        matches!(self, Actor::Account { party: Some(p), .. } if p == party)
    }

    /// The party this actor acts as, if any.
    pub fn party(&self) -> Option<&str> {
        match self {
            Actor::Account { party, .. } => party.as_deref(),
            Actor::System => None,
        }
    }
}

/// A public key as registered or rotated to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KeyRecord {
    pub party: String,
    /// Ed25519, 32 bytes, lowercase hex.
    pub public_key: String,
    /// The event that registered it or rotated to it.
    pub position: u64,
    pub at: DateTime<Utc>,
    /// For a rotation: the signature by the previous key over the key-rotation
    /// statement. `None` for the first registration.
    pub rotation_signature: Option<String>,
}

/// A party's signed statement that it saw version `number` with content hash
/// `content_hash` in the log whose checkpoint it was shown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Acknowledgement {
    pub party: String,
    pub number: u32,
    pub content_hash: String,
    pub checkpoint_size: u64,
    pub checkpoint_root: String,
    pub signature: String,
    pub position: u64,
    pub at: DateTime<Utc>,
}

/// A signatory's signature of the final text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FinalSignature {
    pub party: String,
    pub number: u32,
    pub content_hash: String,
    pub signature: String,
    pub position: u64,
    pub at: DateTime<Utc>,
}

/// One `PhaseEntered` event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PhaseEntry {
    pub phase: String,
    /// `None` when the clock moved the phase, the mediator's reason otherwise.
    pub reason: Option<String>,
    pub position: u64,
    pub at: DateTime<Utc>,
}

/// One `RemindersSent` event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReminderRecord {
    pub phase: String,
    pub deadline: DateTime<Utc>,
    pub parties: Vec<String>,
    pub awaited: String,
    pub position: u64,
    pub at: DateTime<Utc>,
}

/// One `DeadlineExtended` event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeadlineExtension {
    pub phase: String,
    pub end: DateTime<Utc>,
    pub reason: String,
    pub position: u64,
    pub at: DateTime<Utc>,
}

/// The timetable as lived: which phases were entered, and which deadlines moved.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct PhaseProgress {
    /// Every phase entered, oldest first. Phases are entered one after the
    /// other in timetable order, so entry `i` is timetable phase `i`.
    pub entered: Vec<PhaseEntry>,
    /// Every deadline extension, oldest first; the latest per phase counts.
    pub extensions: Vec<DeadlineExtension>,
}

impl PhaseProgress {
    /// The phase the negotiation is in; `None` before the first phase began.
    pub fn current(&self) -> Option<&PhaseEntry> {
        self.entered.last()
    }

    /// The end of `phase` as last extended, if it ever was.
    pub fn extended_end(&self, phase: &str) -> Option<DateTime<Utc>> {
        self.extensions.iter().rev().find(|e| e.phase == phase).map(|e| e.end)
    }
}

/// Whether the negotiation still runs. Closed and lapsed are terminal: no
/// event may follow them.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "status")]
pub enum Status {
    #[default]
    Open,
    /// Every signatory signed version `number`.
    Closed { number: u32, content_hash: String, position: u64, at: DateTime<Utc> },
    /// `phase` ended before `unsigned` signed.
    Lapsed { phase: String, unsigned: Vec<String>, position: u64, at: DateTime<Utc> },
}

impl Status {
    pub fn is_open(&self) -> bool {
        matches!(self, Status::Open)
    }
}

/// A version as released.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PublishedVersion {
    pub number: u32,
    pub position: u64,
    pub at: DateTime<Utc>,
    pub package: crate::model::Package,
    pub version: crate::text::Version,
    pub content_hash: String,
    #[serde(default)]
    pub status: TextStatus,
}

impl Payload {
    /// The snake_case tag the payload serialises with (`"stance_recorded"`).
    pub fn kind(&self) -> &'static str {
        match self {
            Payload::Created { .. } => "created",
            Payload::PartyInvited { .. } => "party_invited",
            Payload::InvitationAccepted { .. } => "invitation_accepted",
            Payload::IssueSet { .. } => "issue_set",
            Payload::IssueRemoved { .. } => "issue_removed",
            Payload::ProvisionSet { .. } => "provision_set",
            Payload::ProvisionRemoved { .. } => "provision_removed",
            Payload::DraftValueSet { .. } => "draft_value_set",
            Payload::ConstraintSet { .. } => "constraint_set",
            Payload::ConstraintRemoved { .. } => "constraint_removed",
            Payload::TimetableSet { .. } => "timetable_set",
            Payload::StanceRecorded { .. } => "stance_recorded",
            Payload::CommentAdded { .. } => "comment_added",
            Payload::ProfileSet { .. } => "profile_set",
            Payload::ReservationChanged { .. } => "reservation_changed",
            Payload::VersionPublished { .. } => "version_published",
            Payload::KeyRegistered { .. } => "key_registered",
            Payload::KeyRotated { .. } => "key_rotated",
            Payload::VersionAcknowledged { .. } => "version_acknowledged",
            Payload::FinalTextSigned { .. } => "final_text_signed",
            Payload::PhaseEntered { .. } => "phase_entered",
            Payload::DeadlineExtended { .. } => "deadline_extended",
            Payload::Closed { .. } => "closed",
            Payload::Lapsed { .. } => "lapsed",
            Payload::RemindersSent { .. } => "reminders_sent",
            Payload::InvitationRevoked { .. } => "invitation_revoked",
            Payload::InputsConfirmed { .. } => "inputs_confirmed",
            Payload::ProvisionsRestructured { .. } => "provisions_restructured",
            Payload::ProvisionsRenumbered { .. } => "provisions_renumbered",
            Payload::WorkingDraftSharingSet { .. } => "working_draft_sharing_set",
            Payload::AdReferendumSet { .. } => "ad_referendum_set",
        }
    }

    /// Whether this payload edits the working draft's text (what a
    /// publication releases): issues, draft values, provisions, constraints,
    /// ad referendum marks. The timetable and settings are not the text.
    pub fn edits_text(&self) -> bool {
        matches!(
            self,
            Payload::IssueSet { .. }
                | Payload::IssueRemoved { .. }
                | Payload::ProvisionSet { .. }
                | Payload::ProvisionRemoved { .. }
                | Payload::DraftValueSet { .. }
                | Payload::ConstraintSet { .. }
                | Payload::ConstraintRemoved { .. }
                | Payload::AdReferendumSet { .. }
                | Payload::ProvisionsRestructured { .. }
                | Payload::ProvisionsRenumbered { .. }
        )
    }

    /// Which phase-gated action writing this payload is, for [`crate::phase::allowed`].
    /// `None` for what only the server writes (the creation, the clock's
    /// transitions and reminders): those are never judged by phase.
    pub fn phase_action(&self) -> Option<crate::phase::Action> {
        use crate::phase::Action;
        Some(match self {
            Payload::Created { .. }
            | Payload::Closed { .. }
            | Payload::Lapsed { .. }
            | Payload::RemindersSent { .. } => {
                return None;
            }
            Payload::IssueSet { .. }
            | Payload::IssueRemoved { .. }
            | Payload::ProvisionSet { .. }
            | Payload::ProvisionRemoved { .. }
            | Payload::DraftValueSet { .. }
            | Payload::ConstraintSet { .. }
            | Payload::ConstraintRemoved { .. }
            | Payload::TimetableSet { .. }
            | Payload::ProvisionsRestructured { .. }
            | Payload::ProvisionsRenumbered { .. }
            | Payload::AdReferendumSet { .. }
            // Who watches the draft matters while it is edited; it is gated with the edits.
            | Payload::WorkingDraftSharingSet { .. } => Action::EditDraft,
            Payload::VersionPublished { .. } => Action::Publish,
            Payload::StanceRecorded { .. } => Action::RecordStance,
            Payload::CommentAdded { .. } => Action::Comment,
            Payload::ProfileSet { .. } => Action::SetProfile,
            Payload::ReservationChanged { .. } => Action::ChangeReservation,
            Payload::PartyInvited { .. } | Payload::InvitationAccepted { .. } | Payload::InvitationRevoked { .. } => {
                Action::Invite
            }
            Payload::KeyRegistered { .. } => Action::RegisterKey,
            Payload::KeyRotated { .. } => Action::RotateKey,
            Payload::VersionAcknowledged { .. } => Action::Acknowledge,
            Payload::FinalTextSigned { .. } => Action::SignFinal,
            Payload::PhaseEntered { .. } => Action::AdvancePhase,
            Payload::DeadlineExtended { .. } => Action::ExtendDeadline,
            // Confirming is judged as the edit it stands for.
            Payload::InputsConfirmed { profile: true, .. } => Action::SetProfile,
            Payload::InputsConfirmed { profile: false, .. } => Action::RecordStance,
        })
    }
}

/// An event that cannot follow the log folded so far. The service validates
/// commands before appending, so a `FoldError` while reading a log means the
/// log is corrupt or was written by a buggy server — never bad user input.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FoldError {
    #[error("the log is empty: a negotiation starts with a `created` event")]
    EmptyLog,
    #[error("event at position {found} arrived where position {expected} was due")]
    WrongPosition { expected: u64, found: u64 },
    #[error("event {position} is `{kind}`, but a log must start with `created`")]
    NotCreatedFirst { position: u64, kind: &'static str },
    #[error("event {position} is a second `created`; only event 0 may create the negotiation")]
    CreatedAgain { position: u64 },
    #[error(
        "event {position} creates the negotiation with {what} inside; they must follow as their own events so their history and policy apply"
    )]
    PrivateDataInCreated { position: u64, what: &'static str },
    #[error("event {position} refers to party \"{party}\", which the negotiation does not have")]
    UnknownParty { position: u64, party: String },
    #[error("event {position} refers to issue \"{issue}\", which the negotiation does not have")]
    UnknownIssue { position: u64, issue: String },
    #[error("event {position} refers to provision \"{provision}\", which the negotiation does not have")]
    UnknownProvision { position: u64, provision: String },
    #[error("event {position} refers to constraint \"{constraint}\", which the negotiation does not have")]
    UnknownConstraint { position: u64, constraint: String },
    #[error("event {position} sets issue \"{issue}\" to \"{value}\", which is not one of its values")]
    ValueOutOfDomain { position: u64, issue: String, value: String },
    #[error("event {position} places provision \"{provision}\" at index {index}, but the text has only {len} others")]
    ProvisionIndexOutOfRange { position: u64, provision: String, index: usize, len: usize },
    #[error("event {position} invites party \"{party}\" as {invited}, but that party is a {actual}")]
    RoleMismatch { position: u64, party: String, invited: Role, actual: Role },
    #[error("event {position} logs invitation {token_hash} a second time")]
    DuplicateInvitation { position: u64, token_hash: String },
    #[error("event {position} accepts invitation {token_hash} for \"{party}\", which was never issued for that party")]
    UnknownInvitation { position: u64, party: String, token_hash: String },
    #[error("event {position} accepts invitation {token_hash}, which account \"{accepted_by}\" already redeemed")]
    InvitationAlreadyAccepted { position: u64, token_hash: String, accepted_by: String },
    #[error("event {position} accepts invitation {token_hash} at {at}, after it expired at {expires_at}")]
    InvitationExpired { position: u64, token_hash: String, at: DateTime<Utc>, expires_at: DateTime<Utc> },
    #[error(
        "event {position} seats account \"{account}\" as \"{party}\", but it already holds the seat of \"{holds}\""
    )]
    AccountAlreadySeated { position: u64, account: String, party: String, holds: String },
    #[error(
        "event {position} seats account \"{account}\" as \"{party}\", but account \"{holder}\" already holds that seat"
    )]
    SeatTaken { position: u64, account: String, party: String, holder: String },
    #[error(
        "event {position} accepts invitation {token_hash}, which the invitation at position {superseded_at} superseded"
    )]
    InvitationSuperseded { position: u64, token_hash: String, superseded_at: u64 },
    #[error("event {position} accepts invitation {token_hash}, which the mediator revoked at position {revoked_at}")]
    InvitationRevoked { position: u64, token_hash: String, revoked_at: u64 },
    #[error("event {position} revokes invitation {token_hash} for \"{party}\", which was never issued for that party")]
    RevokedUnknownInvitation { position: u64, party: String, token_hash: String },
    #[error("event {position} revokes invitation {token_hash}, which can no longer be used: it was {why}")]
    RevokedUnusableInvitation { position: u64, token_hash: String, why: &'static str },
    #[error("event {position} adds comment \"{comment}\" a second time")]
    DuplicateComment { position: u64, comment: String },
    #[error("event {position} changes the reservation of \"{party}\", which has no profile yet")]
    NoProfile { position: u64, party: String },
    #[error("event {position} publishes version {found}, but version {expected} was due")]
    VersionOutOfOrder { position: u64, expected: u32, found: u32 },
    #[error(
        "event {position} publishes version {number} with content hash {logged}, but its text hashes to {computed}"
    )]
    ContentHashMismatch { position: u64, number: u32, logged: String, computed: String },
    #[error("event {position} (`{kind}`) follows the end of the negotiation: it {ended} at event {ended_at}")]
    AfterEnd { position: u64, kind: &'static str, ended: &'static str, ended_at: u64 },
    #[error("event {position} has a malformed {field}: expected {expected} lowercase hex characters, got \"{found}\"")]
    MalformedHex { position: u64, field: &'static str, expected: usize, found: String },
    #[error("event {position} registers a key for \"{party}\", which already has one; a new key is a `key_rotated`")]
    KeyAlreadyRegistered { position: u64, party: String },
    #[error("event {position} (`{kind}`) is by \"{party}\", which has registered no key")]
    NoKey { position: u64, kind: &'static str, party: String },
    #[error("event {position} refers to version {number}, but only {published} versions have been published")]
    UnknownVersion { position: u64, number: u32, published: u32 },
    #[error("event {position} gives version {number} the content hash {logged}, but it was published with {published}")]
    PublishedHashMismatch { position: u64, number: u32, logged: String, published: String },
    #[error(
        "event {position} acknowledges version {number} with a checkpoint of size {size}; a checkpoint that shows the version and precedes the acknowledgement has a size from {min} to {max}"
    )]
    CheckpointOutOfRange { position: u64, number: u32, size: u64, min: u64, max: u64 },
    #[error("event {position} is a final signature by \"{party}\", which is a {role}; only signatories sign")]
    NotASignatory { position: u64, party: String, role: Role },
    #[error("event {position} (`{kind}`) is about version {number}, but the latest published version is {latest}")]
    NotLatestVersion { position: u64, kind: &'static str, number: u32, latest: u32 },
    #[error("event {position} signs version {number} for \"{party}\" a second time")]
    AlreadySigned { position: u64, party: String, number: u32 },
    #[error("event {position} (`{kind}`) happens outside a signing phase (current phase: {})", phase.as_deref().unwrap_or("none"))]
    NotInSigningPhase { position: u64, kind: &'static str, phase: Option<String> },
    #[error("event {position} signs at {at}, but the signing window closed at {deadline}")]
    SignedAfterDeadline { position: u64, at: DateTime<Utc>, deadline: DateTime<Utc> },
    #[error("event {position} refers to phase \"{phase}\", which the timetable does not have")]
    UnknownPhase { position: u64, phase: String },
    #[error(
        "event {position} enters phase \"{phase}\", but phases follow the timetable and the next one is {}",
        expected.as_deref().map_or_else(|| "none".to_string(), |e| format!("\"{e}\""))
    )]
    PhaseOutOfOrder { position: u64, phase: String, expected: Option<String> },
    #[error("event {position} extends phase \"{phase}\", which ended when \"{current}\" began")]
    PhaseAlreadyOver { position: u64, phase: String, current: String },
    #[error("event {position} moves the end of phase \"{phase}\" to {end}, which is not later than {deadline}")]
    DeadlineNotLater { position: u64, phase: String, deadline: DateTime<Utc>, end: DateTime<Utc> },
    #[error("event {position} (`{kind}`) is by the clock at {at}, but it was not due until {due}")]
    TransitionBeforeDue { position: u64, kind: &'static str, at: DateTime<Utc>, due: DateTime<Utc> },
    #[error(
        "event {position} lapses phase \"{phase}\", but the negotiation is in phase {}",
        current.as_deref().map_or_else(|| "none".to_string(), |c| format!("\"{c}\""))
    )]
    NotCurrentPhase { position: u64, phase: String, current: Option<String> },
    #[error("event {position} lapses the negotiation at the end of phase \"{phase}\", but phase \"{next}\" follows it")]
    LapseBeforeLastPhase { position: u64, phase: String, next: String },
    #[error("event {position} lists {logged:?} as unsigned, but the signatories without a signature are {actual:?}")]
    UnsignedMismatch { position: u64, logged: Vec<String>, actual: Vec<String> },
    #[error("event {position} closes the negotiation, but {unsigned:?} have not signed")]
    NotAllSigned { position: u64, unsigned: Vec<String> },
    #[error("event {position} sets a timetable that changes phase \"{phase}\", which has already begun")]
    TimetableRewritesPast { position: u64, phase: String },
    #[error(
        "event {position} confirms inputs of \"{party}\", but it is written by {}; only the party itself confirms what was entered for it",
        actor.as_deref().map_or_else(|| "no party".to_string(), |a| format!("\"{a}\""))
    )]
    ConfirmedByOther { position: u64, party: String, actor: Option<String> },
    #[error(
        "event {position} confirms the {input} of \"{party}\", which nobody else entered for it or which it already confirmed"
    )]
    NothingToConfirm { position: u64, party: String, input: String },
    #[error("event {position} confirms nothing: it names neither the profile nor a stance")]
    EmptyConfirmation { position: u64 },
    #[error("event {position} records a restructure of provision \"{provision}\" that does not fit the text: {reason}")]
    BadLineage { position: u64, provision: String, reason: String },
    #[error("event {position} renumbers the text wrongly: {reason}")]
    BadRenumbering { position: u64, reason: String },
}

impl State {
    /// The state after event 0, which must be `Created` at position 0.
    ///
    /// The creating account (if the actor is an account) takes the seat of
    /// `creator_party`.
    pub fn genesis(event: &Event) -> Result<State, FoldError> {
        if event.position != 0 {
            return Err(FoldError::WrongPosition { expected: 0, found: event.position });
        }
        let Payload::Created { negotiation, creator_party } = &event.payload else {
            return Err(FoldError::NotCreatedFirst { position: 0, kind: event.payload.kind() });
        };
        if !negotiation.profiles.is_empty() {
            return Err(FoldError::PrivateDataInCreated { position: 0, what: "profiles" });
        }
        if !negotiation.stances.is_empty() {
            return Err(FoldError::PrivateDataInCreated { position: 0, what: "stances" });
        }
        if negotiation.party(creator_party).is_none() {
            return Err(FoldError::UnknownParty { position: 0, party: creator_party.clone() });
        }
        let seats = match &event.actor {
            Actor::Account { account, .. } => vec![(creator_party.clone(), account.clone())],
            Actor::System => Vec::new(),
        };
        Ok(State {
            negotiation: negotiation.clone(),
            seats,
            invitations: Vec::new(),
            stance_history: Vec::new(),
            reservation_history: Vec::new(),
            comments: Vec::new(),
            versions: Vec::new(),
            size: 1,
            keys: Vec::new(),
            acknowledgements: Vec::new(),
            signatures: Vec::new(),
            phases: PhaseProgress::default(),
            reminders: Vec::new(),
            status: Status::Open,
            entered_for: Vec::new(),
            lineage: Vec::new(),
            carried_comments: Vec::new(),
            draft_revision: 1,
            released: ReleasedText::default(),
            ad_referendum: Vec::new(),
            edits_since_release: 0,
        })
        .map(|mut state| {
            // As created, the text is released: every party starts from it.
            state.released = ReleasedText::snapshot(&state, None);
            state
        })
    }

    /// Folds a whole log. The first event must be `Created`.
    pub fn from_events(events: &[Event]) -> Result<State, FoldError> {
        let (first, rest) = events.split_first().ok_or(FoldError::EmptyLog)?;
        let mut state = State::genesis(first)?;
        for event in rest {
            state.apply(event)?;
        }
        Ok(state)
    }

    /// Folds one more event. On error the state is unchanged: every check runs
    /// before the first mutation.
    ///
    /// Signatures (key rotations, acknowledgements, final signatures) are
    /// checked for shape only, never verified: this crate has no crypto. The
    /// server verifies each one before appending it, and the offline verifier
    /// verifies them all again from the log; the fold keeps what they need
    /// (every key a party ever held and the event it took effect at).
    pub fn apply(&mut self, event: &Event) -> Result<(), FoldError> {
        let position = event.position;
        if position != self.size {
            return Err(FoldError::WrongPosition { expected: self.size, found: position });
        }
        let ended = match &self.status {
            Status::Open => None,
            Status::Closed { position, .. } => Some(("closed", *position)),
            Status::Lapsed { position, .. } => Some(("lapsed", *position)),
        };
        if let Some((ended, ended_at)) = ended {
            return Err(FoldError::AfterEnd { position, kind: event.payload.kind(), ended, ended_at });
        }
        let n = &mut self.negotiation;
        match &event.payload {
            Payload::Created { .. } => return Err(FoldError::CreatedAgain { position }),
            Payload::PartyInvited { party, role, token_hash, expires_at } => {
                let actual = n.party(party).ok_or_else(|| unknown_party(position, party))?.role;
                if actual != *role {
                    return Err(FoldError::RoleMismatch { position, party: party.clone(), invited: *role, actual });
                }
                if self.invitations.iter().any(|i| &i.token_hash == token_hash) {
                    return Err(FoldError::DuplicateInvitation { position, token_hash: token_hash.clone() });
                }
                // One pending invitation per seat: a new one supersedes the
                // old, so a leaked or mistaken link dies when the mediator
                // sends a fresh one.
                for pending in self.invitations.iter_mut().filter(|i| &i.party == party) {
                    if pending.accepted_by.is_none() && pending.superseded_at.is_none() {
                        pending.superseded_at = Some(position);
                    }
                }
                self.invitations.push(Invitation {
                    party: party.clone(),
                    role: *role,
                    token_hash: token_hash.clone(),
                    expires_at: *expires_at,
                    accepted_by: None,
                    superseded_at: None,
                    revoked_at: None,
                });
            }
            Payload::InvitationAccepted { party, account, token_hash } => {
                let invitation =
                    self.invitations.iter_mut().find(|i| &i.token_hash == token_hash && &i.party == party).ok_or_else(
                        || FoldError::UnknownInvitation {
                            position,
                            party: party.clone(),
                            token_hash: token_hash.clone(),
                        },
                    )?;
                if let Some(accepted_by) = &invitation.accepted_by {
                    return Err(FoldError::InvitationAlreadyAccepted {
                        position,
                        token_hash: token_hash.clone(),
                        accepted_by: accepted_by.clone(),
                    });
                }
                if let Some(superseded_at) = invitation.superseded_at {
                    return Err(FoldError::InvitationSuperseded {
                        position,
                        token_hash: token_hash.clone(),
                        superseded_at,
                    });
                }
                if let Some(revoked_at) = invitation.revoked_at {
                    return Err(FoldError::InvitationRevoked { position, token_hash: token_hash.clone(), revoked_at });
                }
                if event.at > invitation.expires_at {
                    return Err(FoldError::InvitationExpired {
                        position,
                        token_hash: token_hash.clone(),
                        at: event.at,
                        expires_at: invitation.expires_at,
                    });
                }
                // One seat per account: the policy derives an account's role
                // from the one party it holds.
                if let Some((holds, _)) = self.seats.iter().find(|(_, a)| a == account) {
                    return Err(FoldError::AccountAlreadySeated {
                        position,
                        account: account.clone(),
                        party: party.clone(),
                        holds: holds.clone(),
                    });
                }
                // One holder per seat (until delegations exist): a second
                // holder could read the party's private data and register
                // its signing key first.
                if let Some((_, holder)) = self.seats.iter().find(|(p, _)| p == party) {
                    return Err(FoldError::SeatTaken {
                        position,
                        account: account.clone(),
                        party: party.clone(),
                        holder: holder.clone(),
                    });
                }
                invitation.accepted_by = Some(account.clone());
                self.seats.push((party.clone(), account.clone()));
            }
            Payload::IssueSet { issue } => upsert(&mut n.issues, issue.clone(), |i| &i.id),
            Payload::IssueRemoved { issue } => {
                let index = n.issue_index(issue).ok_or_else(|| unknown_issue(position, issue))?;
                n.issues.remove(index);
            }
            Payload::ProvisionSet { provision, index } => {
                let others = n.provisions.iter().filter(|p| p.id != provision.id).count();
                if *index > others {
                    return Err(FoldError::ProvisionIndexOutOfRange {
                        position,
                        provision: provision.id.clone(),
                        index: *index,
                        len: others,
                    });
                }
                n.provisions.retain(|p| p.id != provision.id);
                n.provisions.insert(*index, provision.clone());
            }
            Payload::ProvisionRemoved { provision } => {
                if n.provision(provision).is_none() {
                    return Err(unknown_provision(position, provision));
                }
                crate::drafting::lineage::record_removal(self, provision, position);
                let n = &mut self.negotiation;
                n.provisions.retain(|p| &p.id != provision);
                self.ad_referendum.retain(|p| p != provision);
                // A stance on text that no longer exists is moot; the history
                // keeps it, the current negotiation must stay valid.
                n.stances.retain(|s| &s.provision != provision);
                self.entered_for
                    .retain(|e| !matches!(&e.input, EnteredInput::Stance { provision: p } if p == provision));
            }
            Payload::DraftValueSet { issue, value } => {
                let index = n.issue_index(issue).ok_or_else(|| unknown_issue(position, issue))?;
                let target = &mut n.issues[index];
                if target.index_of(value).is_none() {
                    return Err(FoldError::ValueOutOfDomain {
                        position,
                        issue: issue.clone(),
                        value: value.to_string(),
                    });
                }
                target.draft = Some(value.clone());
            }
            Payload::ConstraintSet { constraint } => upsert(&mut n.constraints, constraint.clone(), |c| &c.id),
            Payload::ConstraintRemoved { constraint } => {
                let index = n
                    .constraints
                    .iter()
                    .position(|c| &c.id == constraint)
                    .ok_or_else(|| FoldError::UnknownConstraint { position, constraint: constraint.clone() })?;
                n.constraints.remove(index);
            }
            Payload::TimetableSet { timetable } => {
                // The phases already entered are history: their recorded
                // deadlines are what signatures and transitions were checked
                // against. Only phases still ahead may change.
                for (i, entered) in self.phases.entered.iter().enumerate() {
                    if timetable.phases.get(i) != n.timetable.phases.get(i) {
                        return Err(FoldError::TimetableRewritesPast { position, phase: entered.phase.clone() });
                    }
                }
                n.timetable = timetable.clone();
            }
            Payload::StanceRecorded { stance } => {
                if n.party(&stance.party).is_none() {
                    return Err(unknown_party(position, &stance.party));
                }
                if n.provision(&stance.provision).is_none() {
                    return Err(unknown_provision(position, &stance.provision));
                }
                match n.stances.iter_mut().find(|s| s.party == stance.party && s.provision == stance.provision) {
                    Some(current) => *current = stance.clone(),
                    None => n.stances.push(stance.clone()),
                }
                self.stance_history.push(StanceRecord { position, at: event.at, stance: stance.clone() });
                let input = EnteredInput::Stance { provision: stance.provision.clone() };
                track_entry(&mut self.entered_for, event, &stance.party, input);
            }
            Payload::CommentAdded { comment } => {
                if n.party(&comment.party).is_none() {
                    return Err(unknown_party(position, &comment.party));
                }
                if n.provision(&comment.provision).is_none() {
                    return Err(unknown_provision(position, &comment.provision));
                }
                if self.comments.iter().any(|c| c.id == comment.id) {
                    return Err(FoldError::DuplicateComment { position, comment: comment.id.clone() });
                }
                self.comments.push(comment.clone());
            }
            Payload::ProvisionsRestructured { changes } => {
                crate::drafting::lineage::fold_restructure(self, changes, position)?;
            }
            Payload::ProvisionsRenumbered { numbers } => {
                crate::drafting::lineage::fold_renumber(n, numbers, position)?;
            }
            Payload::ProfileSet { profile } => {
                if n.party(&profile.party).is_none() {
                    return Err(unknown_party(position, &profile.party));
                }
                // A whole-profile edit can move the walk-away point too; it
                // enters the reservation history like any other move, or the
                // history would have holes.
                let moved = n.profile(&profile.party).is_none_or(|old| old.reservation != profile.reservation);
                upsert(&mut n.profiles, profile.clone(), |p| &p.party);
                if moved {
                    self.reservation_history.push((
                        profile.party.clone(),
                        ReservationPoint { position, at: event.at, reservation: profile.reservation, note: None },
                    ));
                }
                track_entry(&mut self.entered_for, event, &profile.party, EnteredInput::Profile);
            }
            Payload::ReservationChanged { party, reservation, note } => {
                if n.party(party).is_none() {
                    return Err(unknown_party(position, party));
                }
                let profile = n
                    .profiles
                    .iter_mut()
                    .find(|p| &p.party == party)
                    .ok_or_else(|| FoldError::NoProfile { position, party: party.clone() })?;
                profile.reservation = *reservation;
                self.reservation_history.push((
                    party.clone(),
                    ReservationPoint { position, at: event.at, reservation: *reservation, note: note.clone() },
                ));
                // A walk-away point moved for the party makes the profile
                // someone else's word again; the party moving its own leaves
                // the rest of the profile as it was (entered for it or not).
                if !event.actor.is_party(party) {
                    track_entry(&mut self.entered_for, event, party, EnteredInput::Profile);
                }
            }
            Payload::VersionPublished { number, package, version, content_hash, status } => {
                let expected = self.versions.last().map_or(1, |v| v.number.saturating_add(1));
                if *number != expected {
                    return Err(FoldError::VersionOutOfOrder { position, expected, found: *number });
                }
                let computed = version.content_hash_hex();
                if !computed.eq_ignore_ascii_case(content_hash) {
                    return Err(FoldError::ContentHashMismatch {
                        position,
                        number: *number,
                        logged: content_hash.clone(),
                        computed,
                    });
                }
                self.versions.push(PublishedVersion {
                    number: *number,
                    position,
                    at: event.at,
                    package: package.clone(),
                    version: version.clone(),
                    content_hash: content_hash.clone(),
                    status: *status,
                });
                // One event releases the working draft to every party at once.
                self.released = ReleasedText::snapshot(self, Some((*number, *status)));
                self.edits_since_release = 0;
            }
            Payload::KeyRegistered { party, public_key, signature } => {
                self.known_party(position, party)?;
                check_hex(position, "public key", public_key, KEY_HEX_LEN)?;
                if let Some(signature) = signature {
                    check_hex(position, "signature", signature, SIGNATURE_HEX_LEN)?;
                }
                if self.current_key(party).is_some() {
                    return Err(FoldError::KeyAlreadyRegistered { position, party: party.clone() });
                }
                self.keys.push(KeyRecord {
                    party: party.clone(),
                    public_key: public_key.clone(),
                    position,
                    at: event.at,
                    rotation_signature: None,
                });
            }
            Payload::KeyRotated { party, public_key, signature } => {
                self.known_party(position, party)?;
                check_hex(position, "public key", public_key, KEY_HEX_LEN)?;
                check_hex(position, "signature", signature, SIGNATURE_HEX_LEN)?;
                self.keyed(position, event, party)?;
                self.keys.push(KeyRecord {
                    party: party.clone(),
                    public_key: public_key.clone(),
                    position,
                    at: event.at,
                    rotation_signature: Some(signature.clone()),
                });
            }
            Payload::VersionAcknowledged {
                party,
                number,
                content_hash,
                checkpoint_size,
                checkpoint_root,
                signature,
            } => {
                self.known_party(position, party)?;
                check_hex(position, "content hash", content_hash, HASH_HEX_LEN)?;
                check_hex(position, "checkpoint root", checkpoint_root, HASH_HEX_LEN)?;
                check_hex(position, "signature", signature, SIGNATURE_HEX_LEN)?;
                self.keyed(position, event, party)?;
                let version = self.published(position, *number, content_hash)?;
                // The checkpoint the party was shown must contain the version
                // and cannot be ahead of the log the acknowledgement joins.
                let (min, max) = (version.position + 1, position);
                if !(min..=max).contains(checkpoint_size) {
                    return Err(FoldError::CheckpointOutOfRange {
                        position,
                        number: *number,
                        size: *checkpoint_size,
                        min,
                        max,
                    });
                }
                self.acknowledgements.push(Acknowledgement {
                    party: party.clone(),
                    number: *number,
                    content_hash: content_hash.clone(),
                    checkpoint_size: *checkpoint_size,
                    checkpoint_root: checkpoint_root.clone(),
                    signature: signature.clone(),
                    position,
                    at: event.at,
                });
            }
            Payload::FinalTextSigned { party, number, content_hash, signature } => {
                let role = self.known_party(position, party)?.role;
                if role != Role::Signatory {
                    return Err(FoldError::NotASignatory { position, party: party.clone(), role });
                }
                check_hex(position, "content hash", content_hash, HASH_HEX_LEN)?;
                check_hex(position, "signature", signature, SIGNATURE_HEX_LEN)?;
                self.keyed(position, event, party)?;
                self.latest(position, event, *number, content_hash)?;
                let deadline = self.signing_deadline(position, event)?;
                if event.at >= deadline {
                    return Err(FoldError::SignedAfterDeadline { position, at: event.at, deadline });
                }
                if self.signatures.iter().any(|s| &s.party == party && s.number == *number) {
                    return Err(FoldError::AlreadySigned { position, party: party.clone(), number: *number });
                }
                self.signatures.push(FinalSignature {
                    party: party.clone(),
                    number: *number,
                    content_hash: content_hash.clone(),
                    signature: signature.clone(),
                    position,
                    at: event.at,
                });
            }
            Payload::PhaseEntered { phase, reason } => {
                let index = self.phase_index(position, phase)?;
                let phases = &self.negotiation.timetable.phases;
                let expected = match self.current_phase() {
                    None => Some(0),
                    // A signing window ends the negotiation one way or the other.
                    Some((_, current)) if current.kind == PhaseKind::Signing => None,
                    Some((i, _)) => Some(i + 1).filter(|next| *next < phases.len()),
                };
                if expected != Some(index) {
                    return Err(FoldError::PhaseOutOfOrder {
                        position,
                        phase: phase.clone(),
                        expected: expected.and_then(|e| phases.get(e)).map(|p| p.id.clone()),
                    });
                }
                if reason.is_none() {
                    let due = match self.current_phase() {
                        None => phases[index].start,
                        Some((_, current)) => self.phase_deadline(current),
                    };
                    if event.at < due {
                        return Err(FoldError::TransitionBeforeDue {
                            position,
                            kind: "phase_entered",
                            at: event.at,
                            due,
                        });
                    }
                }
                self.phases.entered.push(PhaseEntry {
                    phase: phase.clone(),
                    reason: reason.clone(),
                    position,
                    at: event.at,
                });
            }
            Payload::DeadlineExtended { phase, end, reason } => {
                let index = self.phase_index(position, phase)?;
                if let Some((current_index, current)) = self.current_phase()
                    && index < current_index
                {
                    return Err(FoldError::PhaseAlreadyOver {
                        position,
                        phase: phase.clone(),
                        current: current.id.clone(),
                    });
                }
                let deadline = self.phase_deadline(&self.negotiation.timetable.phases[index]);
                if *end <= deadline {
                    return Err(FoldError::DeadlineNotLater { position, phase: phase.clone(), deadline, end: *end });
                }
                self.phases.extensions.push(DeadlineExtension {
                    phase: phase.clone(),
                    end: *end,
                    reason: reason.clone(),
                    position,
                    at: event.at,
                });
            }
            Payload::Closed { number, content_hash } => {
                self.latest(position, event, *number, content_hash)?;
                self.signing_deadline(position, event)?;
                let unsigned = self.unsigned_signatories();
                if !unsigned.is_empty() {
                    return Err(FoldError::NotAllSigned { position, unsigned });
                }
                self.status =
                    Status::Closed { number: *number, content_hash: content_hash.clone(), position, at: event.at };
            }
            Payload::Lapsed { phase, unsigned } => {
                let phases = &self.negotiation.timetable.phases;
                let (index, current) = match self.current_phase() {
                    Some((index, current)) if &current.id == phase => (index, current),
                    other => {
                        return Err(FoldError::NotCurrentPhase {
                            position,
                            phase: phase.clone(),
                            current: other.map(|(_, p)| p.id.clone()),
                        });
                    }
                };
                if current.kind != PhaseKind::Signing
                    && let Some(next) = phases.get(index + 1)
                {
                    return Err(FoldError::LapseBeforeLastPhase {
                        position,
                        phase: phase.clone(),
                        next: next.id.clone(),
                    });
                }
                let due = self.phase_deadline(current);
                if event.at < due {
                    return Err(FoldError::TransitionBeforeDue { position, kind: "lapsed", at: event.at, due });
                }
                let actual = self.unsigned_signatories();
                let mut logged = unsigned.clone();
                logged.sort();
                let mut expected = actual.clone();
                expected.sort();
                if logged != expected {
                    return Err(FoldError::UnsignedMismatch { position, logged: unsigned.clone(), actual });
                }
                self.status =
                    Status::Lapsed { phase: phase.clone(), unsigned: unsigned.clone(), position, at: event.at };
            }
            Payload::RemindersSent { phase, deadline, parties, awaited } => {
                self.phase_index(position, phase)?;
                for party in parties {
                    self.known_party(position, party)?;
                }
                self.reminders.push(ReminderRecord {
                    phase: phase.clone(),
                    deadline: *deadline,
                    parties: parties.clone(),
                    awaited: awaited.clone(),
                    position,
                    at: event.at,
                });
            }
            Payload::InvitationRevoked { party, token_hash } => {
                let invitation =
                    self.invitations.iter_mut().find(|i| &i.token_hash == token_hash && &i.party == party).ok_or_else(
                        || FoldError::RevokedUnknownInvitation {
                            position,
                            party: party.clone(),
                            token_hash: token_hash.clone(),
                        },
                    )?;
                // Only a pending invitation can be revoked: a used one seated
                // someone (a seat is not taken back by revoking its link), and
                // a replaced or revoked one is dead already.
                let why = if invitation.accepted_by.is_some() {
                    Some("accepted")
                } else if invitation.superseded_at.is_some() {
                    Some("superseded")
                } else if invitation.revoked_at.is_some() {
                    Some("revoked")
                } else {
                    None
                };
                if let Some(why) = why {
                    return Err(FoldError::RevokedUnusableInvitation { position, token_hash: token_hash.clone(), why });
                }
                invitation.revoked_at = Some(position);
            }
            Payload::InputsConfirmed { party, profile, stances } => {
                self.known_party(position, party)?;
                if !event.actor.is_party(party) {
                    return Err(FoldError::ConfirmedByOther {
                        position,
                        party: party.clone(),
                        actor: event.actor.party().map(str::to_string),
                    });
                }
                if !*profile && stances.is_empty() {
                    return Err(FoldError::EmptyConfirmation { position });
                }
                let mut confirmed: Vec<EnteredInput> =
                    stances.iter().map(|provision| EnteredInput::Stance { provision: provision.clone() }).collect();
                if *profile {
                    confirmed.insert(0, EnteredInput::Profile);
                }
                for (i, input) in confirmed.iter().enumerate() {
                    // Named twice, or not pending: either way nothing to confirm.
                    let pending = self.entered_for.iter().any(|e| &e.party == party && &e.input == input);
                    if !pending || confirmed[..i].contains(input) {
                        return Err(FoldError::NothingToConfirm {
                            position,
                            party: party.clone(),
                            input: input.to_string(),
                        });
                    }
                }
                self.entered_for.retain(|e| &e.party != party || !confirmed.contains(&e.input));
            }
            Payload::WorkingDraftSharingSet { parties_see_working_draft } => {
                n.privacy.parties_see_working_draft = *parties_see_working_draft;
            }
            Payload::AdReferendumSet { provision, agreed } => {
                if n.provision(provision).is_none() {
                    return Err(unknown_provision(position, provision));
                }
                self.ad_referendum.retain(|p| p != provision);
                if *agreed {
                    self.ad_referendum.push(provision.clone());
                }
            }
        }
        if event.payload.edits_text() {
            self.edits_since_release = self.edits_since_release.saturating_add(1);
        }
        if event.payload.phase_action() == Some(crate::phase::Action::EditDraft) {
            self.draft_revision = position + 1;
        }
        self.size += 1;
        Ok(())
    }

    /// How the working draft differs from the released text.
    pub fn unreleased_changes(&self) -> UnreleasedChanges {
        let n = &self.negotiation;
        let released = &self.released;
        let provisions_changed = n
            .provisions
            .iter()
            .enumerate()
            .filter(|(i, p)| released.provisions.get(*i) != Some(*p))
            .map(|(_, p)| p.id.clone())
            .collect();
        let provisions_removed =
            released.provisions.iter().filter(|p| n.provision(&p.id).is_none()).map(|p| p.id.clone()).collect();
        let mut issues_changed: Vec<String> =
            n.issues.iter().filter(|i| !released.issues.contains(i)).map(|i| i.id.clone()).collect();
        issues_changed.extend(released.issues.iter().filter(|i| n.issue_index(&i.id).is_none()).map(|i| i.id.clone()));
        let mut ad_referendum_changed: Vec<String> =
            self.ad_referendum.iter().filter(|p| !released.ad_referendum.contains(p)).cloned().collect();
        ad_referendum_changed
            .extend(released.ad_referendum.iter().filter(|p| !self.ad_referendum.contains(p)).cloned());
        UnreleasedChanges {
            edits: self.edits_since_release,
            provisions_changed,
            provisions_removed,
            issues_changed,
            constraints_changed: n.constraints != released.constraints,
            ad_referendum_changed,
        }
    }

    /// The negotiation with its text as released ([`State::released`]) in
    /// place of the working draft: what a party who may not watch the
    /// working draft reads. Everything that is not the text (parties,
    /// timetable, settings, profiles, stances) is as it stands.
    pub fn released_negotiation(&self) -> Negotiation {
        let mut n = self.negotiation.clone();
        n.issues = self.released.issues.clone();
        n.provisions = self.released.provisions.clone();
        n.constraints = self.released.constraints.clone();
        n
    }

    /// The inputs entered for `party` that it has not confirmed, oldest first.
    pub fn entered_for_party<'a>(&'a self, party: &'a str) -> impl Iterator<Item = &'a EnteredFor> + 'a {
        self.entered_for.iter().filter(move |e| e.party == party)
    }

    fn known_party(&self, position: u64, party: &str) -> Result<&Party, FoldError> {
        self.negotiation.party(party).ok_or_else(|| unknown_party(position, party))
    }

    fn keyed(&self, position: u64, event: &Event, party: &str) -> Result<&KeyRecord, FoldError> {
        self.current_key(party).ok_or_else(|| FoldError::NoKey {
            position,
            kind: event.payload.kind(),
            party: party.to_string(),
        })
    }

    /// Version `number` as published, if `content_hash` is the hash it was published with.
    fn published(&self, position: u64, number: u32, content_hash: &str) -> Result<&PublishedVersion, FoldError> {
        let version = self.version(number).ok_or(FoldError::UnknownVersion {
            position,
            number,
            published: self.versions.last().map_or(0, |v| v.number),
        })?;
        if !version.content_hash.eq_ignore_ascii_case(content_hash) {
            return Err(FoldError::PublishedHashMismatch {
                position,
                number,
                logged: content_hash.to_string(),
                published: version.content_hash.clone(),
            });
        }
        Ok(version)
    }

    /// Like [`Self::published`], and the version must be the latest.
    fn latest(&self, position: u64, event: &Event, number: u32, content_hash: &str) -> Result<(), FoldError> {
        let version = self.published(position, number, content_hash)?;
        let latest = self.versions.last().map_or(0, |v| v.number);
        if version.number != latest {
            return Err(FoldError::NotLatestVersion { position, kind: event.payload.kind(), number, latest });
        }
        Ok(())
    }

    /// The deadline of the current phase, which must be a signing phase.
    fn signing_deadline(&self, position: u64, event: &Event) -> Result<DateTime<Utc>, FoldError> {
        match self.current_phase() {
            Some((_, phase)) if phase.kind == PhaseKind::Signing => Ok(self.phase_deadline(phase)),
            other => Err(FoldError::NotInSigningPhase {
                position,
                kind: event.payload.kind(),
                phase: other.map(|(_, p)| p.id.clone()),
            }),
        }
    }

    fn phase_index(&self, position: u64, phase: &str) -> Result<usize, FoldError> {
        self.negotiation
            .timetable
            .phases
            .iter()
            .position(|p| p.id == phase)
            .ok_or_else(|| FoldError::UnknownPhase { position, phase: phase.to_string() })
    }

    /// The timetable phase the negotiation is in, with its index; `None`
    /// before the first `phase_entered`.
    pub fn current_phase(&self) -> Option<(usize, &Phase)> {
        // Entered phases are a prefix of the timetable, which no later
        // timetable may rewrite, so entry `i` is phase `i`.
        let index = self.phases.entered.len().checked_sub(1)?;
        self.negotiation.timetable.phases.get(index).map(|phase| (index, phase))
    }

    /// When `phase` ends: its timetable end, or its latest extension.
    pub fn phase_deadline(&self, phase: &Phase) -> DateTime<Utc> {
        self.phases.extended_end(&phase.id).unwrap_or(phase.end)
    }

    /// The released version `number`.
    pub fn version(&self, number: u32) -> Option<&PublishedVersion> {
        self.versions.iter().find(|v| v.number == number)
    }

    /// The latest released version: the one signatories sign.
    pub fn latest_version(&self) -> Option<&PublishedVersion> {
        self.versions.last()
    }

    /// The pin of a stance on `provision` recorded now by a party reading
    /// `text` (the released text, or the working draft if the party may watch
    /// it: `accord_policy::view::visible_text` decides): the wording it is
    /// shown, and the latest version number released.
    pub fn stance_pin(&self, text: &Negotiation, provision: &str) -> Option<crate::model::StancePin> {
        text.stance_pin(provision, self.latest_version().map_or(0, |v| v.number))
    }

    /// The key `party` holds now.
    pub fn current_key(&self, party: &str) -> Option<&KeyRecord> {
        self.keys.iter().rev().find(|k| k.party == party)
    }

    /// The key `party` held when the event at `position` was appended: the
    /// one an acknowledgement or signature at that position must verify under.
    pub fn key_at(&self, party: &str, position: u64) -> Option<&KeyRecord> {
        self.keys.iter().rev().find(|k| k.party == party && k.position < position)
    }

    /// Every key `party` held, oldest first.
    pub fn key_history<'a>(&'a self, party: &'a str) -> impl Iterator<Item = &'a KeyRecord> + 'a {
        self.keys.iter().filter(move |k| k.party == party)
    }

    /// The signatories (in party order) that have not signed the latest
    /// version; all of them while nothing is published.
    pub fn unsigned_signatories(&self) -> Vec<String> {
        let latest = self.latest_version().map(|v| v.number);
        self.negotiation
            .parties_with_role(Role::Signatory)
            .filter(|p| !self.signatures.iter().any(|s| s.party == p.id && Some(s.number) == latest))
            .map(|p| p.id.clone())
            .collect()
    }

    /// The party whose seat `account` holds, if any.
    pub fn party_of_account(&self, account: &str) -> Option<&Party> {
        let (party, _) = self.seats.iter().find(|(_, a)| a == account)?;
        self.negotiation.party(party)
    }

    /// The accounts holding `party`'s seat.
    pub fn accounts_of_party<'a>(&'a self, party: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.seats.iter().filter(move |(p, _)| p == party).map(|(_, a)| a.as_str())
    }

    /// The invitation with this token hash, accepted or not.
    pub fn invitation(&self, token_hash: &str) -> Option<&Invitation> {
        self.invitations.iter().find(|i| i.token_hash == token_hash)
    }
}

/// Replaces the item with the same key in place (keeping its place in the
/// order) or appends it.
fn upsert<T, K: PartialEq + ?Sized>(items: &mut Vec<T>, item: T, key: impl Fn(&T) -> &K) {
    match items.iter().position(|existing| key(existing) == key(&item)) {
        Some(index) => items[index] = item,
        None => items.push(item),
    }
}

/// Ed25519 public keys and SHA-256 hashes: 32 bytes.
const KEY_HEX_LEN: usize = 64;
const HASH_HEX_LEN: usize = 64;
/// Ed25519 signatures: 64 bytes.
const SIGNATURE_HEX_LEN: usize = 128;

/// A cheap shape check: the right length of lowercase hex. Whether a key is
/// a valid curve point or a signature verifies is for the crypto layers.
fn check_hex(position: u64, field: &'static str, value: &str, expected: usize) -> Result<(), FoldError> {
    let lower_hex = |c: u8| c.is_ascii_digit() || (b'a'..=b'f').contains(&c);
    if value.len() == expected && value.bytes().all(lower_hex) {
        return Ok(());
    }
    // A corrupt log may hold anything here; an error message needs only a glimpse.
    let found = match value.char_indices().nth(20) {
        Some((cut, _)) => format!("{}…", &value[..cut]),
        None => value.to_string(),
    };
    Err(FoldError::MalformedHex { position, field, expected, found })
}

fn unknown_party(position: u64, party: &str) -> FoldError {
    FoldError::UnknownParty { position, party: party.to_string() }
}

fn unknown_issue(position: u64, issue: &str) -> FoldError {
    FoldError::UnknownIssue { position, issue: issue.to_string() }
}

fn unknown_provision(position: u64, provision: &str) -> FoldError {
    FoldError::UnknownProvision { position, provision: provision.to_string() }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use chrono::TimeZone;
    use proptest::prelude::*;

    use super::*;
    use crate::model::{
        Condition, IssueKind, IssueOption, NumericRange, Package, Phase, PhaseKind, Position, Rating, Test, Weighting,
        Wording, WordingText,
    };

    fn at(minute: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 1, 9, 0, 0).single().unwrap() + chrono::Duration::minutes(i64::from(minute))
    }

    fn party(id: &str, role: Role) -> Party {
        Party { id: id.into(), name: id.to_uppercase(), role }
    }

    fn negotiation() -> Negotiation {
        Negotiation {
            id: "ceasefire".into(),
            title: "Ceasefire framework".into(),
            description: String::new(),
            parties: vec![
                party("un", Role::Mediator),
                party("north", Role::Signatory),
                party("south", Role::Signatory),
                party("ally", Role::Consulted),
                party("press", Role::Observer),
            ],
            issues: vec![
                Issue {
                    id: "guarantees".into(),
                    title: "Guarantees".into(),
                    kind: IssueKind::Discrete {
                        options: vec![
                            IssueOption { id: "none".into(), label: "None".into() },
                            IssueOption { id: "article-5".into(), label: "Article-5-like".into() },
                        ],
                    },
                    draft: None,
                },
                Issue {
                    id: "army-cap".into(),
                    title: "Army cap".into(),
                    kind: IssueKind::Numeric(NumericRange {
                        min: 400_000.0,
                        max: 600_000.0,
                        step: 100_000.0,
                        integer: true,
                        unit: Some("troops".into()),
                    }),
                    draft: None,
                },
            ],
            provisions: vec![provision("art-1", "Hostilities cease."), capped_provision()],
            constraints: Vec::new(),
            timetable: Timetable::default(),
            profiles: Vec::new(),
            stances: Vec::new(),
            privacy: Default::default(),
        }
    }

    fn provision(id: &str, body: &str) -> Provision {
        Provision { id: id.into(), number: id.into(), heading: id.into(), body: body.into(), wordings: Vec::new() }
    }

    fn capped_provision() -> Provision {
        Provision {
            wordings: vec![Wording { issue: "army-cap".into(), text: WordingText::Template("{value} {unit}".into()) }],
            ..provision("art-2", "The army is capped at {army-cap}.")
        }
    }

    fn profile(party: &str, reservation: f64) -> Profile {
        Profile {
            party: party.into(),
            illustrative: true,
            weighting: Weighting::Normalised,
            weights: vec![("guarantees".into(), 2.0), ("army-cap".into(), 1.0)],
            ratings: vec![("guarantees".into(), Rating::Table(vec![("article-5".into(), 1.0)]))],
            red_lines: Vec::new(),
            reservation,
            discount_factor: None,
        }
    }

    fn stance(party: &str, provision: &str, position: Position, reason: Option<&str>) -> Stance {
        Stance {
            party: party.into(),
            provision: provision.into(),
            position,
            reason: reason.map(str::to_string),
            pin: None,
        }
    }

    fn mediator() -> Actor {
        Actor::Account { account: "acc-un".into(), party: Some("un".into()) }
    }

    fn event(position: u64, payload: Payload) -> Event {
        Event { position, actor: mediator(), at: at(position as u32), payload, salt: None }
    }

    fn created() -> Event {
        event(0, Payload::Created { negotiation: negotiation(), creator_party: "un".into() })
    }

    fn invited(position: u64, party: &str, role: Role, token: &str) -> Event {
        event(
            position,
            Payload::PartyInvited { party: party.into(), role, token_hash: token.into(), expires_at: at(60) },
        )
    }

    fn accepted(position: u64, party: &str, account: &str, token: &str) -> Event {
        event(
            position,
            Payload::InvitationAccepted { party: party.into(), account: account.into(), token_hash: token.into() },
        )
    }

    fn folded(payloads: Vec<Payload>) -> Result<State, FoldError> {
        let mut events = vec![created()];
        events.extend(payloads.into_iter().enumerate().map(|(i, p)| event(i as u64 + 1, p)));
        State::from_events(&events)
    }

    /// One payload of every variant, with the phase-gated action it is.
    fn every_payload_with_its_action() -> Vec<(Payload, Option<crate::phase::Action>)> {
        use crate::phase::Action;
        let hex = |n: usize| "ab".repeat(n);
        let version = crate::text::render(&negotiation(), &Package(vec![0, 0])).unwrap();
        vec![
            (Payload::Created { negotiation: negotiation(), creator_party: "un".into() }, None),
            (
                Payload::PartyInvited {
                    party: "north".into(),
                    role: Role::Signatory,
                    token_hash: hex(32),
                    expires_at: at(9),
                },
                Some(Action::Invite),
            ),
            (
                Payload::InvitationAccepted { party: "north".into(), account: "acc-n".into(), token_hash: hex(32) },
                Some(Action::Invite),
            ),
            (Payload::IssueSet { issue: negotiation().issues[0].clone() }, Some(Action::EditDraft)),
            (Payload::IssueRemoved { issue: "guarantees".into() }, Some(Action::EditDraft)),
            (Payload::ProvisionSet { provision: provision("art-3", "Text."), index: 0 }, Some(Action::EditDraft)),
            (Payload::ProvisionRemoved { provision: "art-1".into() }, Some(Action::EditDraft)),
            (
                Payload::DraftValueSet { issue: "guarantees".into(), value: Value::Option("none".into()) },
                Some(Action::EditDraft),
            ),
            (
                Payload::ConstraintSet {
                    constraint: Constraint { id: "c".into(), description: None, when: Vec::new(), then: Vec::new() },
                },
                Some(Action::EditDraft),
            ),
            (Payload::ConstraintRemoved { constraint: "c".into() }, Some(Action::EditDraft)),
            (Payload::TimetableSet { timetable: Timetable::default() }, Some(Action::EditDraft)),
            (
                Payload::StanceRecorded { stance: stance("north", "art-1", Position::Acceptable, None) },
                Some(Action::RecordStance),
            ),
            (
                Payload::CommentAdded {
                    comment: Comment {
                        id: "c-1".into(),
                        party: "north".into(),
                        provision: "art-1".into(),
                        quote: String::new(),
                        text: "Too soon.".into(),
                        private: false,
                    },
                },
                Some(Action::Comment),
            ),
            (Payload::ProfileSet { profile: profile("north", 0.5) }, Some(Action::SetProfile)),
            (
                Payload::ReservationChanged { party: "north".into(), reservation: 0.4, note: None },
                Some(Action::ChangeReservation),
            ),
            (
                Payload::VersionPublished {
                    status: Default::default(),
                    number: 1,
                    package: Package(vec![0, 0]),
                    content_hash: version.content_hash_hex(),
                    version,
                },
                Some(Action::Publish),
            ),
            (
                Payload::KeyRegistered { party: "north".into(), public_key: hex(32), signature: None },
                Some(Action::RegisterKey),
            ),
            (
                Payload::KeyRotated { party: "north".into(), public_key: hex(32), signature: hex(64) },
                Some(Action::RotateKey),
            ),
            (
                Payload::VersionAcknowledged {
                    party: "north".into(),
                    number: 1,
                    content_hash: hex(32),
                    checkpoint_size: 2,
                    checkpoint_root: hex(32),
                    signature: hex(64),
                },
                Some(Action::Acknowledge),
            ),
            (
                Payload::FinalTextSigned {
                    party: "north".into(),
                    number: 1,
                    content_hash: hex(32),
                    signature: hex(64),
                },
                Some(Action::SignFinal),
            ),
            (Payload::PhaseEntered { phase: "p".into(), reason: Some("early".into()) }, Some(Action::AdvancePhase)),
            (
                Payload::DeadlineExtended { phase: "p".into(), end: at(90), reason: "more time".into() },
                Some(Action::ExtendDeadline),
            ),
            (Payload::Closed { number: 1, content_hash: hex(32) }, None),
            (Payload::Lapsed { phase: "p".into(), unsigned: vec!["north".into()] }, None),
            (
                Payload::RemindersSent {
                    phase: "p".into(),
                    deadline: at(90),
                    parties: vec!["north".into()],
                    awaited: "sign version 1".into(),
                },
                None,
            ),
            (Payload::WorkingDraftSharingSet { parties_see_working_draft: true }, Some(Action::EditDraft)),
            (Payload::AdReferendumSet { provision: "art-1".into(), agreed: true }, Some(Action::EditDraft)),
        ]
    }

    #[test]
    fn every_payload_a_person_writes_is_a_phase_gated_action_and_the_servers_own_are_not() {
        let cases = every_payload_with_its_action();
        let kinds: std::collections::BTreeSet<&str> = cases.iter().map(|(p, _)| p.kind()).collect();
        assert_eq!(kinds.len(), cases.len(), "one case per variant");
        assert_eq!(kinds.len(), 27, "every variant of Payload has a case");
        for (payload, action) in &cases {
            assert_eq!(payload.phase_action(), *action, "{}", payload.kind());
        }
        // Every action is reachable from some payload, so none is gated in name only.
        for action in crate::phase::Action::ALL {
            assert!(cases.iter().any(|(_, a)| *a == Some(action)), "{action:?} has no payload");
        }
    }

    #[test]
    fn genesis_seats_the_creator_and_copies_the_frame() {
        let state = State::genesis(&created()).unwrap();
        assert_eq!(state.size, 1);
        assert_eq!(state.negotiation, negotiation());
        assert_eq!(state.seats, vec![("un".to_string(), "acc-un".to_string())]);
        assert_eq!(state.party_of_account("acc-un").map(|p| p.role), Some(Role::Mediator));
        assert!(state.party_of_account("acc-north").is_none());
    }

    #[test]
    fn a_system_created_negotiation_has_no_seat() {
        let mut e = created();
        e.actor = Actor::System;
        assert!(State::genesis(&e).unwrap().seats.is_empty());
    }

    #[test]
    fn the_log_must_start_with_created_at_zero() {
        assert_eq!(State::from_events(&[]), Err(FoldError::EmptyLog));
        let stray = event(0, Payload::IssueRemoved { issue: "army-cap".into() });
        assert_eq!(State::genesis(&stray), Err(FoldError::NotCreatedFirst { position: 0, kind: "issue_removed" }));
        let mut late = created();
        late.position = 3;
        assert_eq!(State::genesis(&late), Err(FoldError::WrongPosition { expected: 0, found: 3 }));
        let mut unknown_creator = created();
        unknown_creator.payload = Payload::Created { negotiation: negotiation(), creator_party: "nobody".into() };
        assert!(matches!(State::genesis(&unknown_creator), Err(FoldError::UnknownParty { .. })));
    }

    #[test]
    fn created_may_not_smuggle_private_data() {
        let mut n = negotiation();
        n.profiles.push(profile("north", 0.4));
        let e = event(0, Payload::Created { negotiation: n, creator_party: "un".into() });
        assert_eq!(State::genesis(&e), Err(FoldError::PrivateDataInCreated { position: 0, what: "profiles" }));
    }

    #[test]
    fn positions_must_follow_without_gaps_or_repeats() {
        let mut state = State::genesis(&created()).unwrap();
        let gap = event(2, Payload::TimetableSet { timetable: Timetable::default() });
        assert_eq!(state.apply(&gap), Err(FoldError::WrongPosition { expected: 1, found: 2 }));
        let repeat = event(0, Payload::TimetableSet { timetable: Timetable::default() });
        assert_eq!(state.apply(&repeat), Err(FoldError::WrongPosition { expected: 1, found: 0 }));
        let again = event(1, Payload::Created { negotiation: negotiation(), creator_party: "un".into() });
        assert_eq!(state.apply(&again), Err(FoldError::CreatedAgain { position: 1 }));
        assert_eq!(state.size, 1);
    }

    #[test]
    fn invitations_seat_accounts_once() {
        let mut state = State::genesis(&created()).unwrap();
        state.apply(&invited(1, "north", Role::Signatory, "t-north")).unwrap();
        state.apply(&invited(2, "ally", Role::Consulted, "t-ally")).unwrap();
        assert_eq!(state.invitations.len(), 2);
        assert_eq!(state.invitation("t-north").and_then(|i| i.accepted_by.as_deref()), None);

        state.apply(&accepted(3, "north", "acc-north", "t-north")).unwrap();
        assert_eq!(state.invitation("t-north").and_then(|i| i.accepted_by.as_deref()), Some("acc-north"));
        assert_eq!(state.party_of_account("acc-north").map(|p| p.id.as_str()), Some("north"));
        assert_eq!(state.accounts_of_party("north").collect::<Vec<_>>(), vec!["acc-north"]);

        let before = state.clone();
        assert!(matches!(
            state.apply(&accepted(4, "north", "acc-other", "t-north")),
            Err(FoldError::InvitationAlreadyAccepted { .. })
        ));
        assert!(matches!(
            state.apply(&accepted(4, "ally", "acc-north", "t-ally")),
            Err(FoldError::AccountAlreadySeated { .. })
        ));
        assert!(matches!(
            state.apply(&accepted(4, "north", "acc-x", "t-ally")),
            Err(FoldError::UnknownInvitation { .. })
        ));
        assert!(matches!(
            state.apply(&invited(4, "north", Role::Signatory, "t-north")),
            Err(FoldError::DuplicateInvitation { .. })
        ));
        assert!(matches!(
            state.apply(&invited(4, "north", Role::Observer, "t-new")),
            Err(FoldError::RoleMismatch { invited: Role::Observer, actual: Role::Signatory, .. })
        ));
        assert!(matches!(
            state.apply(&invited(4, "west", Role::Signatory, "t-new")),
            Err(FoldError::UnknownParty { .. })
        ));
        assert_eq!(state, before, "a rejected event leaves the state untouched");
    }

    #[test]
    fn a_seat_has_one_holder_and_one_pending_invitation() {
        let mut state = State::genesis(&created()).unwrap();
        state.apply(&invited(1, "north", Role::Signatory, "t-first")).unwrap();
        state.apply(&invited(2, "north", Role::Signatory, "t-second")).unwrap();
        assert_eq!(state.invitation("t-first").and_then(|i| i.superseded_at), Some(2));
        assert_eq!(state.invitation("t-second").and_then(|i| i.superseded_at), None);
        let before = state.clone();
        assert!(matches!(
            state.apply(&accepted(3, "north", "acc-north", "t-first")),
            Err(FoldError::InvitationSuperseded { superseded_at: 2, .. })
        ));
        assert_eq!(state, before);
        state.apply(&accepted(3, "north", "acc-north", "t-second")).unwrap();
        // A third invitation for a held seat can be issued (and is then
        // pending) but not accepted: the seat stays with its holder.
        state.apply(&invited(4, "north", Role::Signatory, "t-third")).unwrap();
        let before = state.clone();
        assert!(matches!(
            state.apply(&accepted(5, "north", "acc-intruder", "t-third")),
            Err(FoldError::SeatTaken { ref holder, .. }) if holder == "acc-north"
        ));
        assert_eq!(state, before, "a rejected event leaves the state untouched");
        assert_eq!(state.accounts_of_party("north").collect::<Vec<_>>(), vec!["acc-north"]);
    }

    #[test]
    fn a_revoked_invitation_cannot_be_accepted_and_only_a_pending_one_is_revoked() {
        let revoked = |position, party: &str, token: &str| {
            event(position, Payload::InvitationRevoked { party: party.into(), token_hash: token.into() })
        };
        let mut state = State::genesis(&created()).unwrap();
        state.apply(&invited(1, "north", Role::Signatory, "t-north")).unwrap();
        state.apply(&revoked(2, "north", "t-north")).unwrap();
        assert_eq!(state.invitation("t-north").and_then(|i| i.revoked_at), Some(2));
        let before = state.clone();
        assert!(matches!(
            state.apply(&accepted(3, "north", "acc-north", "t-north")),
            Err(FoldError::InvitationRevoked { revoked_at: 2, .. })
        ));
        assert!(matches!(
            state.apply(&revoked(3, "north", "t-north")),
            Err(FoldError::RevokedUnusableInvitation { why: "revoked", .. })
        ));
        assert!(matches!(
            state.apply(&revoked(3, "south", "t-north")),
            Err(FoldError::RevokedUnknownInvitation { .. })
        ));
        assert!(matches!(
            state.apply(&revoked(3, "north", "t-never")),
            Err(FoldError::RevokedUnknownInvitation { .. })
        ));
        assert_eq!(state, before, "a rejected event leaves the state untouched");
        // A used invitation is not revoked (the seat is not taken back that
        // way), nor is a superseded one.
        state.apply(&invited(3, "south", Role::Signatory, "t-south-1")).unwrap();
        state.apply(&invited(4, "south", Role::Signatory, "t-south-2")).unwrap();
        assert!(matches!(
            state.apply(&revoked(5, "south", "t-south-1")),
            Err(FoldError::RevokedUnusableInvitation { why: "superseded", .. })
        ));
        state.apply(&accepted(5, "south", "acc-south", "t-south-2")).unwrap();
        assert!(matches!(
            state.apply(&revoked(6, "south", "t-south-2")),
            Err(FoldError::RevokedUnusableInvitation { why: "accepted", .. })
        ));
    }

    #[test]
    fn an_expired_invitation_cannot_be_accepted() {
        let mut state = State::genesis(&created()).unwrap();
        state.apply(&invited(1, "south", Role::Signatory, "t-south")).unwrap();
        let mut late = accepted(2, "south", "acc-south", "t-south");
        late.at = at(61);
        assert!(matches!(state.apply(&late), Err(FoldError::InvitationExpired { .. })));
        late.at = at(60);
        state.apply(&late).unwrap();
    }

    #[test]
    fn draft_edits_change_the_public_frame() {
        let new_issue = Issue {
            id: "elections".into(),
            title: "Elections".into(),
            kind: IssueKind::Discrete {
                options: vec![
                    IssueOption { id: "early".into(), label: "Early".into() },
                    IssueOption { id: "late".into(), label: "Late".into() },
                ],
            },
            draft: None,
        };
        let constraint = Constraint {
            id: "no-guarantee-no-cap".into(),
            description: None,
            when: vec![Condition { issue: "guarantees".into(), test: Test::OneOf(vec!["none".into()]) }],
            then: vec![Condition { issue: "army-cap".into(), test: Test::Range { min: None, max: Some(500_000.0) } }],
        };
        let timetable = Timetable {
            phases: vec![Phase {
                id: "talks".into(),
                name: "Talks".into(),
                kind: PhaseKind::Drafting,
                start: at(0),
                end: at(600),
            }],
        };
        let state = folded(vec![
            Payload::IssueSet { issue: new_issue.clone() },
            Payload::ProvisionSet { provision: provision("art-0", "Preamble."), index: 0 },
            Payload::ProvisionSet { provision: provision("art-1", "All hostilities cease."), index: 2 },
            Payload::DraftValueSet { issue: "army-cap".into(), value: Value::Number(500_000.0) },
            Payload::DraftValueSet { issue: "elections".into(), value: Value::Option("late".into()) },
            Payload::ConstraintSet { constraint: constraint.clone() },
            Payload::TimetableSet { timetable: timetable.clone() },
            Payload::IssueRemoved { issue: "guarantees".into() },
        ])
        .unwrap();
        let n = &state.negotiation;
        let ids: Vec<&str> = n.issues.iter().map(|i| i.id.as_str()).collect();
        assert_eq!(ids, ["army-cap", "elections"]);
        let order: Vec<&str> = n.provisions.iter().map(|p| p.id.as_str()).collect();
        assert_eq!(order, ["art-0", "art-2", "art-1"]);
        assert_eq!(n.provision("art-1").map(|p| p.body.as_str()), Some("All hostilities cease."));
        assert_eq!(n.issues[0].draft, Some(Value::Number(500_000.0)));
        assert_eq!(n.issues[1].draft, Some(Value::Option("late".into())));
        assert_eq!(n.constraints, vec![constraint]);
        assert_eq!(n.timetable, timetable);
        assert_eq!(state.size, 9);

        let state = folded(vec![Payload::ConstraintRemoved { constraint: "missing".into() }]);
        assert!(matches!(state, Err(FoldError::UnknownConstraint { .. })));
    }

    #[test]
    fn draft_edits_reject_unknown_references_and_values() {
        let cases = [
            (Payload::IssueRemoved { issue: "elections".into() }, "UnknownIssue"),
            (Payload::DraftValueSet { issue: "elections".into(), value: Value::Number(1.0) }, "UnknownIssue"),
            (Payload::DraftValueSet { issue: "army-cap".into(), value: Value::Number(450_000.0) }, "ValueOutOfDomain"),
            (
                Payload::DraftValueSet { issue: "guarantees".into(), value: Value::Option("nato".into()) },
                "ValueOutOfDomain",
            ),
            (Payload::ProvisionRemoved { provision: "art-9".into() }, "UnknownProvision"),
            (Payload::ProvisionSet { provision: provision("art-3", "x"), index: 3 }, "ProvisionIndexOutOfRange"),
            (Payload::ProvisionSet { provision: provision("art-2", "x"), index: 2 }, "ProvisionIndexOutOfRange"),
        ];
        for (payload, expected) in cases {
            let error = folded(vec![payload.clone()]).unwrap_err();
            assert!(format!("{error:?}").starts_with(expected), "{payload:?} gave {error:?}, wanted {expected}");
        }
        // Moving an existing provision to the end is in range.
        folded(vec![Payload::ProvisionSet { provision: capped_provision(), index: 1 }]).unwrap();
    }

    #[test]
    fn stances_keep_the_latest_and_the_history() {
        let state = folded(vec![
            Payload::StanceRecorded { stance: stance("north", "art-2", Position::Unacceptable, Some("too low")) },
            Payload::StanceRecorded { stance: stance("south", "art-2", Position::Acceptable, None) },
            Payload::StanceRecorded { stance: stance("north", "art-2", Position::Acceptable, Some("fine now")) },
            Payload::StanceRecorded { stance: stance("north", "art-1", Position::Acceptable, None) },
        ])
        .unwrap();
        let latest = &state.negotiation.stances;
        assert_eq!(latest.len(), 3);
        assert_eq!(latest[0], stance("north", "art-2", Position::Acceptable, Some("fine now")));
        assert_eq!(state.stance_history.len(), 4);
        assert_eq!(state.stance_history[0].position, 1);
        assert_eq!(state.stance_history[0].stance.reason.as_deref(), Some("too low"));
        assert_eq!(state.stance_history[2].at, at(3));

        let unknown_party =
            folded(vec![Payload::StanceRecorded { stance: stance("west", "art-1", Position::Acceptable, None) }]);
        assert!(matches!(unknown_party, Err(FoldError::UnknownParty { .. })));
        let unknown_provision =
            folded(vec![Payload::StanceRecorded { stance: stance("north", "art-7", Position::Acceptable, None) }]);
        assert!(matches!(unknown_provision, Err(FoldError::UnknownProvision { .. })));
    }

    #[test]
    fn removing_a_provision_drops_its_current_stances_but_not_their_history() {
        let state = folded(vec![
            Payload::StanceRecorded { stance: stance("north", "art-2", Position::Unacceptable, None) },
            Payload::StanceRecorded { stance: stance("north", "art-1", Position::Acceptable, None) },
            Payload::ProvisionRemoved { provision: "art-2".into() },
        ])
        .unwrap();
        assert_eq!(state.negotiation.stances, vec![stance("north", "art-1", Position::Acceptable, None)]);
        assert_eq!(state.stance_history.len(), 2);
    }

    #[test]
    fn comments_are_added_once_and_must_be_anchored() {
        let comment = Comment {
            id: "c1".into(),
            party: "ally".into(),
            provision: "art-2".into(),
            quote: "capped".into(),
            text: "Why a cap?".into(),
            private: true,
        };
        let state = folded(vec![Payload::CommentAdded { comment: comment.clone() }]).unwrap();
        assert_eq!(state.comments, vec![comment.clone()]);
        let twice = folded(vec![
            Payload::CommentAdded { comment: comment.clone() },
            Payload::CommentAdded { comment: comment.clone() },
        ]);
        assert!(matches!(twice, Err(FoldError::DuplicateComment { position: 2, .. })));
        let adrift = folded(vec![Payload::CommentAdded { comment: Comment { provision: "art-9".into(), ..comment } }]);
        assert!(matches!(adrift, Err(FoldError::UnknownProvision { .. })));
    }

    #[test]
    fn profiles_replace_and_reservations_keep_a_history() {
        let state = folded(vec![
            Payload::ProfileSet { profile: profile("north", 0.4) },
            Payload::ProfileSet { profile: profile("south", 0.3) },
            Payload::ReservationChanged { party: "north".into(), reservation: 0.5, note: Some("after talks".into()) },
            Payload::ProfileSet { profile: Profile { illustrative: false, ..profile("north", 0.5) } },
            Payload::ProfileSet { profile: profile("north", 0.45) },
        ])
        .unwrap();
        let n = &state.negotiation;
        assert_eq!(n.profiles.len(), 2);
        assert_eq!(n.profiles[0].party, "north", "a replaced profile keeps its place");
        assert_eq!(n.profile("north").map(|p| p.reservation), Some(0.45));
        let north: Vec<(u64, f64, Option<&str>)> = state
            .reservation_history
            .iter()
            .filter(|(party, _)| party == "north")
            .map(|(_, p)| (p.position, p.reservation, p.note.as_deref()))
            .collect();
        // Event 4 re-sent the same reservation: not a move.
        assert_eq!(north, vec![(1, 0.4, None), (3, 0.5, Some("after talks")), (5, 0.45, None)]);

        let without_profile =
            folded(vec![Payload::ReservationChanged { party: "ally".into(), reservation: 0.1, note: None }]);
        assert!(matches!(without_profile, Err(FoldError::NoProfile { .. })));
        let stranger = folded(vec![Payload::ProfileSet { profile: profile("west", 0.1) }]);
        assert!(matches!(stranger, Err(FoldError::UnknownParty { .. })));
    }

    #[test]
    fn versions_are_numbered_and_hash_checked() {
        let n = negotiation();
        let package = Package(vec![1, 2]);
        let version = crate::text::render(&n, &package).unwrap();
        let publish = |number: u32, content_hash: String| Payload::VersionPublished {
            status: Default::default(),
            number,
            package: package.clone(),
            version: version.clone(),
            content_hash,
        };
        let good = version.content_hash_hex();
        let state = folded(vec![publish(1, good.clone()), publish(2, good.clone())]).unwrap();
        assert_eq!(state.versions.iter().map(|v| (v.number, v.position)).collect::<Vec<_>>(), vec![(1, 1), (2, 2)]);
        assert_eq!(state.versions[1].version.provisions[1].text, "The army is capped at 600,000 troops.");

        assert!(matches!(
            folded(vec![publish(2, good.clone())]),
            Err(FoldError::VersionOutOfOrder { expected: 1, found: 2, .. })
        ));
        assert!(matches!(folded(vec![publish(1, "00".repeat(32))]), Err(FoldError::ContentHashMismatch { .. })));
    }

    // Evidence events. Minutes after 09:00 on 2026-03-01: the timetable runs
    // consult [0, 100), draft [100, 200), sign [200, 300).

    fn timetable() -> Timetable {
        let phase = |id: &str, kind, start, end| Phase {
            id: id.into(),
            name: id.to_uppercase(),
            kind,
            start: at(start),
            end: at(end),
        };
        Timetable {
            phases: vec![
                phase("consult", PhaseKind::Consultation, 0, 100),
                phase("draft", PhaseKind::Drafting, 100, 200),
                phase("sign", PhaseKind::Signing, 200, 300),
            ],
        }
    }

    fn key(byte: &str) -> String {
        byte.repeat(32)
    }

    fn sig(byte: &str) -> String {
        byte.repeat(64)
    }

    fn publish_draft() -> Payload {
        let n = negotiation();
        let package = Package(vec![1, 2]);
        let version = crate::text::render(&n, &package).unwrap();
        Payload::VersionPublished {
            status: Default::default(),
            number: 1,
            package,
            content_hash: version.content_hash_hex(),
            version,
        }
    }

    fn version_hash() -> String {
        match publish_draft() {
            Payload::VersionPublished { content_hash, .. } => content_hash,
            _ => unreachable!(),
        }
    }

    fn registered(party: &str, byte: &str) -> Payload {
        Payload::KeyRegistered { party: party.into(), public_key: key(byte), signature: None }
    }

    fn entered(phase: &str, reason: Option<&str>) -> Payload {
        Payload::PhaseEntered { phase: phase.into(), reason: reason.map(str::to_string) }
    }

    fn signed(party: &str) -> Payload {
        Payload::FinalTextSigned { party: party.into(), number: 1, content_hash: version_hash(), signature: sig("5a") }
    }

    fn acknowledged(party: &str, number: u32, content_hash: String, checkpoint_size: u64) -> Payload {
        Payload::VersionAcknowledged {
            party: party.into(),
            number,
            content_hash,
            checkpoint_size,
            checkpoint_root: key("c4"),
            signature: sig("0b"),
        }
    }

    /// The log after `created`, with each payload at the given minute.
    fn timed(payloads: Vec<(u32, Payload)>) -> Result<State, FoldError> {
        let mut events = vec![created()];
        for (i, (minute, payload)) in payloads.into_iter().enumerate() {
            events.push(Event { position: i as u64 + 1, actor: mediator(), at: at(minute), payload, salt: None });
        }
        State::from_events(&events)
    }

    /// Positions 1..=7: the timetable, keys for both signatories, a version,
    /// then consult, draft and sign entered by the clock on time.
    fn in_signing() -> Vec<(u32, Payload)> {
        vec![
            (0, Payload::TimetableSet { timetable: timetable() }),
            (0, registered("north", "aa")),
            (0, registered("south", "bb")),
            (0, publish_draft()),
            (0, entered("consult", None)),
            (100, entered("draft", None)),
            (200, entered("sign", None)),
        ]
    }

    fn with(mut base: Vec<(u32, Payload)>, more: Vec<(u32, Payload)>) -> Result<State, FoldError> {
        base.extend(more);
        timed(base)
    }

    #[test]
    fn keys_are_registered_once_and_rotations_keep_the_history() {
        let state = folded(vec![
            registered("north", "aa"),
            Payload::KeyRotated { party: "north".into(), public_key: key("bb"), signature: sig("01") },
            registered("ally", "cc"),
        ])
        .unwrap();
        assert_eq!(state.current_key("north").map(|k| k.public_key.clone()), Some(key("bb")));
        let history: Vec<(u64, Option<String>)> =
            state.key_history("north").map(|k| (k.position, k.rotation_signature.clone())).collect();
        assert_eq!(history, vec![(1, None), (2, Some(sig("01")))]);
        // An event at position 2 was signed under the key in force before it.
        assert_eq!(state.key_at("north", 2).map(|k| k.public_key.clone()), Some(key("aa")));
        assert_eq!(state.key_at("north", 3).map(|k| k.public_key.clone()), Some(key("bb")));
        assert!(state.key_at("north", 1).is_none());

        let twice = folded(vec![registered("north", "aa"), registered("north", "bb")]);
        assert_eq!(twice, Err(FoldError::KeyAlreadyRegistered { position: 2, party: "north".into() }));
        let keyless =
            folded(vec![Payload::KeyRotated { party: "north".into(), public_key: key("bb"), signature: sig("01") }]);
        assert_eq!(keyless, Err(FoldError::NoKey { position: 1, kind: "key_rotated", party: "north".into() }));
        assert!(matches!(folded(vec![registered("west", "aa")]), Err(FoldError::UnknownParty { position: 1, .. })));
    }

    #[test]
    fn a_key_registration_without_proof_keeps_its_old_bytes() {
        // Logs written before proofs of possession were required still fold,
        // byte for byte: the absent field is not written back.
        let old = r#"{"type":"key_registered","party":"north","public_key":"aaaa"}"#;
        let payload: Payload = serde_json::from_str(old).unwrap();
        assert_eq!(
            payload,
            Payload::KeyRegistered { party: "north".into(), public_key: "aaaa".into(), signature: None }
        );
        assert_eq!(serde_json::to_string(&payload).unwrap(), old);
        let proved =
            Payload::KeyRegistered { party: "north".into(), public_key: key("aa"), signature: Some(sig("01")) };
        let text = serde_json::to_string(&proved).unwrap();
        assert!(text.ends_with(&format!(r#","signature":"{}"}}"#, sig("01"))), "{text}");
        assert!(folded(vec![proved]).is_ok());
    }

    #[test]
    fn hex_fields_must_have_the_right_shape() {
        let upper = folded(vec![registered("north", "AA")]).unwrap_err();
        assert_eq!(
            upper.to_string(),
            "event 1 has a malformed public key: expected 64 lowercase hex characters, got \"AAAAAAAAAAAAAAAAAAAA…\""
        );
        let short =
            folded(vec![Payload::KeyRegistered { party: "north".into(), public_key: "ab".into(), signature: None }]);
        assert_eq!(
            short,
            Err(FoldError::MalformedHex { position: 1, field: "public key", expected: 64, found: "ab".into() })
        );
        let proof = folded(vec![Payload::KeyRegistered {
            party: "north".into(),
            public_key: key("aa"),
            signature: Some(key("01")),
        }]);
        assert!(matches!(proof, Err(FoldError::MalformedHex { field: "signature", expected: 128, .. })));
        let rotation = folded(vec![
            registered("north", "aa"),
            Payload::KeyRotated { party: "north".into(), public_key: key("bb"), signature: key("01") },
        ]);
        assert!(matches!(rotation, Err(FoldError::MalformedHex { field: "signature", expected: 128, .. })));
        let root = folded(vec![
            registered("north", "aa"),
            publish_draft(),
            Payload::VersionAcknowledged {
                party: "north".into(),
                number: 1,
                content_hash: version_hash(),
                checkpoint_size: 3,
                checkpoint_root: "zz".repeat(32),
                signature: sig("0b"),
            },
        ]);
        assert!(matches!(root, Err(FoldError::MalformedHex { position: 3, field: "checkpoint root", .. })));
        let content = with(
            in_signing(),
            vec![(
                210,
                Payload::FinalTextSigned {
                    party: "north".into(),
                    number: 1,
                    content_hash: "0".repeat(63),
                    signature: sig("5a"),
                },
            )],
        );
        assert!(matches!(content, Err(FoldError::MalformedHex { field: "content hash", .. })));
    }

    #[test]
    fn acknowledgements_name_a_published_version_and_a_checkpoint_that_shows_it() {
        let base = || {
            vec![registered("north", "aa"), Payload::TimetableSet { timetable: Timetable::default() }, publish_draft()]
        };
        let ack = |number, hash, size| {
            let mut payloads = base();
            payloads.push(acknowledged("north", number, hash, size));
            folded(payloads)
        };
        // Version 1 is event 3, the acknowledgement event 4: checkpoints of 4 events only.
        let state = ack(1, version_hash(), 4).unwrap();
        assert_eq!(state.acknowledgements.len(), 1);
        assert_eq!((state.acknowledgements[0].position, state.acknowledgements[0].checkpoint_size), (4, 4));

        assert_eq!(ack(2, version_hash(), 4), Err(FoldError::UnknownVersion { position: 4, number: 2, published: 1 }));
        assert_eq!(
            ack(1, key("00"), 4),
            Err(FoldError::PublishedHashMismatch {
                position: 4,
                number: 1,
                logged: key("00"),
                published: version_hash()
            })
        );
        let too_early = FoldError::CheckpointOutOfRange { position: 4, number: 1, size: 3, min: 4, max: 4 };
        assert_eq!(ack(1, version_hash(), 3), Err(too_early));
        assert!(matches!(ack(1, version_hash(), 5), Err(FoldError::CheckpointOutOfRange { size: 5, .. })));

        let keyless = folded(vec![publish_draft(), acknowledged("south", 1, version_hash(), 2)]);
        assert!(matches!(keyless, Err(FoldError::NoKey { kind: "version_acknowledged", .. })));
        let stranger = folded(vec![publish_draft(), acknowledged("west", 1, version_hash(), 2)]);
        assert!(matches!(stranger, Err(FoldError::UnknownParty { .. })));
    }

    #[test]
    fn phases_are_entered_in_order_and_the_clock_keeps_to_the_timetable() {
        let state = timed(in_signing()).unwrap();
        assert_eq!(state.current_phase().map(|(i, p)| (i, p.id.as_str())), Some((2, "sign")));
        assert_eq!(state.phases.current().map(|e| e.position), Some(7));

        let start = vec![(0, Payload::TimetableSet { timetable: timetable() })];
        assert_eq!(
            with(start.clone(), vec![(0, entered("nowhere", None))]),
            Err(FoldError::UnknownPhase { position: 2, phase: "nowhere".into() })
        );
        assert_eq!(
            with(start.clone(), vec![(150, entered("draft", None))]),
            Err(FoldError::PhaseOutOfOrder { position: 2, phase: "draft".into(), expected: Some("consult".into()) })
        );
        let backwards = with(start.clone(), vec![(0, entered("consult", None)), (100, entered("consult", None))]);
        assert!(matches!(backwards, Err(FoldError::PhaseOutOfOrder { expected: Some(ref e), .. }) if e == "draft"));
        // After the signing window nothing is entered: it closes or lapses.
        let mut longer = timetable();
        longer.phases.push(Phase {
            id: "after".into(),
            name: "After".into(),
            kind: PhaseKind::Drafting,
            start: at(300),
            end: at(400),
        });
        let mut past_signing = in_signing();
        past_signing.push((0, Payload::TimetableSet { timetable: longer }));
        past_signing.push((300, entered("after", None)));
        assert!(matches!(timed(past_signing), Err(FoldError::PhaseOutOfOrder { expected: None, .. })));

        // The clock may not start a phase early; the mediator may, with a reason.
        assert_eq!(
            with(start.clone(), vec![(0, entered("consult", None)), (99, entered("draft", None))]),
            Err(FoldError::TransitionBeforeDue { position: 3, kind: "phase_entered", at: at(99), due: at(100) })
        );
        let early = with(start.clone(), vec![(0, entered("consult", None)), (50, entered("draft", Some("agreed")))]);
        assert_eq!(early.unwrap().phases.entered[1].reason.as_deref(), Some("agreed"));
        let early_start =
            with(start, vec![(0, Payload::TimetableSet { timetable: shifted(10) }), (5, entered("consult", None))]);
        assert!(matches!(early_start, Err(FoldError::TransitionBeforeDue { due, .. }) if due == at(10)));
    }

    /// The test timetable, every time moved `minutes` later.
    fn shifted(minutes: u32) -> Timetable {
        let mut t = timetable();
        for phase in &mut t.phases {
            phase.start += chrono::Duration::minutes(i64::from(minutes));
            phase.end += chrono::Duration::minutes(i64::from(minutes));
        }
        t
    }

    #[test]
    fn deadlines_move_only_later_and_only_for_phases_not_over() {
        let start = || vec![(0, Payload::TimetableSet { timetable: timetable() }), (0, entered("consult", None))];
        let extend = |phase: &str, end: u32| Payload::DeadlineExtended {
            phase: phase.into(),
            end: at(end),
            reason: "more time".into(),
        };
        let state = with(start(), vec![(50, extend("consult", 150)), (60, extend("sign", 400))]).unwrap();
        assert_eq!(state.phase_deadline(&timetable().phases[0]), at(150));
        assert_eq!(state.phase_deadline(&timetable().phases[2]), at(400));
        assert_eq!(state.phases.extended_end("draft"), None);
        // The clock follows the extended deadline.
        let late = with(start(), vec![(50, extend("consult", 150)), (120, entered("draft", None))]);
        assert!(matches!(late, Err(FoldError::TransitionBeforeDue { due, .. }) if due == at(150)));

        assert_eq!(
            with(start(), vec![(50, extend("consult", 100))]),
            Err(FoldError::DeadlineNotLater { position: 3, phase: "consult".into(), deadline: at(100), end: at(100) })
        );
        assert_eq!(
            with(start(), vec![(50, extend("later", 900))]),
            Err(FoldError::UnknownPhase { position: 3, phase: "later".into() })
        );
        assert_eq!(
            with(start(), vec![(100, entered("draft", None)), (120, extend("consult", 900))]),
            Err(FoldError::PhaseAlreadyOver { position: 4, phase: "consult".into(), current: "draft".into() })
        );
    }

    #[test]
    fn a_timetable_may_change_only_ahead_of_the_current_phase() {
        let start = vec![(0, Payload::TimetableSet { timetable: timetable() }), (0, entered("consult", None))];
        let mut ahead = timetable();
        ahead.phases[2].end = at(500);
        let state = with(start.clone(), vec![(10, Payload::TimetableSet { timetable: ahead.clone() })]).unwrap();
        assert_eq!(state.negotiation.timetable, ahead);
        assert_eq!(
            with(start.clone(), vec![(10, Payload::TimetableSet { timetable: shifted(1) })]),
            Err(FoldError::TimetableRewritesPast { position: 3, phase: "consult".into() })
        );
        let emptied = with(start, vec![(10, Payload::TimetableSet { timetable: Timetable::default() })]);
        assert!(matches!(emptied, Err(FoldError::TimetableRewritesPast { .. })));
        // Before the first phase anything goes.
        timed(vec![
            (0, Payload::TimetableSet { timetable: timetable() }),
            (0, Payload::TimetableSet { timetable: shifted(5) }),
        ])
        .unwrap();
    }

    #[test]
    fn final_signatures_are_by_signatories_of_the_latest_version_inside_the_window() {
        let state = with(in_signing(), vec![(210, signed("north"))]).unwrap();
        assert_eq!(state.signatures.len(), 1);
        assert_eq!(state.unsigned_signatories(), vec!["south".to_string()]);

        assert_eq!(
            with(in_signing(), vec![(210, registered("ally", "cc")), (211, signed("ally"))]),
            Err(FoldError::NotASignatory { position: 9, party: "ally".into(), role: Role::Consulted })
        );
        let mut keyless = in_signing();
        keyless.remove(2);
        assert!(matches!(
            with(keyless, vec![(210, signed("south"))]),
            Err(FoldError::NoKey { kind: "final_text_signed", .. })
        ));
        // Version 2 supersedes version 1 before signing starts.
        let mut two = in_signing();
        let Payload::VersionPublished { package, version, content_hash, .. } = publish_draft() else { unreachable!() };
        two.insert(
            4,
            (0, Payload::VersionPublished { status: Default::default(), number: 2, package, version, content_hash }),
        );
        assert_eq!(
            with(two, vec![(210, signed("north"))]),
            Err(FoldError::NotLatestVersion { position: 9, kind: "final_text_signed", number: 1, latest: 2 })
        );
        let unknown = Payload::FinalTextSigned {
            party: "north".into(),
            number: 4,
            content_hash: version_hash(),
            signature: sig("5a"),
        };
        assert!(matches!(with(in_signing(), vec![(210, unknown)]), Err(FoldError::UnknownVersion { number: 4, .. })));
        let wrong_hash = Payload::FinalTextSigned {
            party: "north".into(),
            number: 1,
            content_hash: key("11"),
            signature: sig("5a"),
        };
        assert!(matches!(with(in_signing(), vec![(210, wrong_hash)]), Err(FoldError::PublishedHashMismatch { .. })));
        let mut drafting = in_signing();
        drafting.pop();
        assert_eq!(
            with(drafting, vec![(150, signed("north"))]),
            Err(FoldError::NotInSigningPhase { position: 7, kind: "final_text_signed", phase: Some("draft".into()) })
        );
        assert_eq!(
            with(in_signing(), vec![(300, signed("north"))]),
            Err(FoldError::SignedAfterDeadline { position: 8, at: at(300), deadline: at(300) })
        );
        let extended = Payload::DeadlineExtended { phase: "sign".into(), end: at(360), reason: "travel".into() };
        with(in_signing(), vec![(250, extended), (300, signed("north"))]).unwrap();
        assert_eq!(
            with(in_signing(), vec![(210, signed("north")), (220, signed("north"))]),
            Err(FoldError::AlreadySigned { position: 9, party: "north".into(), number: 1 })
        );
    }

    #[test]
    fn closing_needs_every_signature_and_ends_the_log() {
        let closed = Payload::Closed { number: 1, content_hash: version_hash() };
        let state =
            with(in_signing(), vec![(210, signed("north")), (220, signed("south")), (220, closed.clone())]).unwrap();
        assert_eq!(state.status, Status::Closed { number: 1, content_hash: version_hash(), position: 10, at: at(220) });
        assert_eq!(
            with(in_signing(), vec![(210, signed("north")), (220, closed.clone())]),
            Err(FoldError::NotAllSigned { position: 9, unsigned: vec!["south".into()] })
        );
        let stale = Payload::Closed { number: 1, content_hash: key("11") };
        assert!(matches!(with(in_signing(), vec![(210, stale)]), Err(FoldError::PublishedHashMismatch { .. })));
        let mut drafting = in_signing();
        drafting.pop();
        assert!(matches!(with(drafting, vec![(150, closed.clone())]), Err(FoldError::NotInSigningPhase { .. })));
        let nothing = timed(vec![(0, closed.clone())]);
        assert_eq!(nothing, Err(FoldError::UnknownVersion { position: 1, number: 1, published: 0 }));

        let after = with(
            in_signing(),
            vec![
                (210, signed("north")),
                (220, signed("south")),
                (220, closed),
                (
                    230,
                    Payload::CommentAdded {
                        comment: Comment {
                            id: "late".into(),
                            party: "north".into(),
                            provision: "art-1".into(),
                            quote: String::new(),
                            text: "too late".into(),
                            private: false,
                        },
                    },
                ),
            ],
        );
        assert_eq!(
            after,
            Err(FoldError::AfterEnd { position: 11, kind: "comment_added", ended: "closed", ended_at: 10 })
        );
    }

    #[test]
    fn lapsing_is_due_at_the_end_of_the_signing_window_and_lists_who_did_not_sign() {
        let lapsed = |unsigned: &[&str]| Payload::Lapsed {
            phase: "sign".into(),
            unsigned: unsigned.iter().map(|s| s.to_string()).collect(),
        };
        let state = with(in_signing(), vec![(210, signed("north")), (300, lapsed(&["south"]))]).unwrap();
        assert!(matches!(state.status, Status::Lapsed { position: 9, ref unsigned, .. } if unsigned == &["south"]));
        assert_eq!(
            with(in_signing(), vec![(210, signed("north")), (300, lapsed(&["south"])), (301, signed("south"))]),
            Err(FoldError::AfterEnd { position: 10, kind: "final_text_signed", ended: "lapsed", ended_at: 9 })
        );
        // The order of the unsigned does not matter, who is in it does.
        with(in_signing(), vec![(300, lapsed(&["south", "north"]))]).unwrap();
        assert_eq!(
            with(in_signing(), vec![(210, signed("north")), (300, lapsed(&["north", "south"]))]),
            Err(FoldError::UnsignedMismatch {
                position: 9,
                logged: vec!["north".into(), "south".into()],
                actual: vec!["south".into()]
            })
        );
        assert_eq!(
            with(in_signing(), vec![(299, lapsed(&["north", "south"]))]),
            Err(FoldError::TransitionBeforeDue { position: 8, kind: "lapsed", at: at(299), due: at(300) })
        );
        let mut drafting = in_signing();
        drafting.pop();
        assert_eq!(
            with(drafting.clone(), vec![(300, lapsed(&["north", "south"]))]),
            Err(FoldError::NotCurrentPhase { position: 7, phase: "sign".into(), current: Some("draft".into()) })
        );
        let draft_lapse = Payload::Lapsed { phase: "draft".into(), unsigned: vec!["north".into(), "south".into()] };
        assert_eq!(
            with(drafting, vec![(200, draft_lapse)]),
            Err(FoldError::LapseBeforeLastPhase { position: 7, phase: "draft".into(), next: "sign".into() })
        );
        // The last phase lapses even when it is not a signing window.
        let mut short = timetable();
        short.phases.truncate(1);
        let state = timed(vec![
            (0, Payload::TimetableSet { timetable: short }),
            (0, entered("consult", None)),
            (100, Payload::Lapsed { phase: "consult".into(), unsigned: vec!["north".into(), "south".into()] }),
        ])
        .unwrap();
        assert!(!state.status.is_open());
    }

    #[test]
    fn reminders_are_kept_and_name_a_known_phase_and_parties() {
        let reminded = |phase: &str, parties: &[&str]| Payload::RemindersSent {
            phase: phase.into(),
            deadline: at(300),
            parties: parties.iter().map(|s| s.to_string()).collect(),
            awaited: "sign version 1".into(),
        };
        let state = with(in_signing(), vec![(250, reminded("sign", &["north", "south"]))]).unwrap();
        assert_eq!(state.reminders.len(), 1);
        let record = &state.reminders[0];
        assert_eq!((record.position, record.at, record.deadline), (8, at(250), at(300)));
        assert_eq!((record.phase.as_str(), record.awaited.as_str()), ("sign", "sign version 1"));
        assert_eq!(record.parties, ["north", "south"]);
        assert_eq!(
            with(in_signing(), vec![(250, reminded("nowhere", &["north"]))]),
            Err(FoldError::UnknownPhase { position: 8, phase: "nowhere".into() })
        );
        assert_eq!(
            with(in_signing(), vec![(250, reminded("sign", &["north", "west"]))]),
            Err(FoldError::UnknownParty { position: 8, party: "west".into() })
        );
    }

    #[test]
    fn errors_name_the_position_and_the_reference() {
        let error = folded(vec![Payload::IssueRemoved { issue: "elections".into() }]).unwrap_err();
        assert_eq!(error.to_string(), "event 1 refers to issue \"elections\", which the negotiation does not have");
    }

    /// A random but valid continuation of the log: each step's seeds are
    /// mapped onto what exists at that point, so every event folds.
    fn valid_log(steps: &[(u8, u8, u8)]) -> Vec<Event> {
        let mut events = vec![created()];
        let mut state = State::genesis(&events[0]).unwrap();
        let negotiators = ["north", "south", "ally"];
        let mut versions = 0u32;
        for (k, &(kind, a, b)) in steps.iter().enumerate() {
            let position = state.size;
            let n = &state.negotiation;
            let who = negotiators[usize::from(a) % negotiators.len()];
            let payload = match kind % 12 {
                0 if !n.provisions.is_empty() => {
                    let provision = &n.provisions[usize::from(b) % n.provisions.len()];
                    let stance_position = match b % 3 {
                        0 => Position::Acceptable,
                        1 => Position::Unacceptable,
                        _ => Position::AcceptableIf {
                            conditions: vec![Condition {
                                issue: "guarantees".into(),
                                test: Test::OneOf(vec!["article-5".into()]),
                            }],
                        },
                    };
                    let reason = Some(format!("reason {k}"));
                    Payload::StanceRecorded { stance: stance(who, &provision.id, stance_position, reason.as_deref()) }
                }
                1 => Payload::ProfileSet { profile: profile(who, f64::from(b % 10) / 10.0) },
                2 if n.profile(who).is_some() => Payload::ReservationChanged {
                    party: who.into(),
                    reservation: f64::from(b) / 255.0,
                    note: (b % 2 == 0).then(|| format!("move {k}")),
                },
                3 => {
                    let id = format!("art-{}", 3 + b % 4);
                    let others = n.provisions.iter().filter(|p| p.id != id).count();
                    Payload::ProvisionSet {
                        provision: provision(&id, &format!("Text {k}.")),
                        index: usize::from(a) % (others + 1),
                    }
                }
                4 if n.provisions.len() > 1 => Payload::ProvisionRemoved {
                    provision: n.provisions[usize::from(b) % n.provisions.len()].id.clone(),
                },
                5 => {
                    let issue = &n.issues[usize::from(b) % n.issues.len()];
                    let value = issue.value_at(usize::from(a) % issue.value_count()).unwrap();
                    Payload::DraftValueSet { issue: issue.id.clone(), value }
                }
                6 if !n.provisions.is_empty() => Payload::CommentAdded {
                    comment: Comment {
                        id: format!("c{k}"),
                        party: who.into(),
                        provision: n.provisions[usize::from(b) % n.provisions.len()].id.clone(),
                        quote: String::new(),
                        text: format!("comment {k}"),
                        private: b % 2 == 0,
                    },
                },
                7 => {
                    let party = n.party(who).unwrap();
                    Payload::PartyInvited {
                        party: who.into(),
                        role: party.role,
                        token_hash: format!("token-{k}"),
                        expires_at: at(10_000),
                    }
                }
                // The newest invitation of a free seat (one holder per seat;
                // a newer invitation supersedes an older one).
                8 => match state.invitations.iter().find(|i| {
                    i.accepted_by.is_none()
                        && i.superseded_at.is_none()
                        && !state.seats.iter().any(|(party, _)| party == &i.party)
                }) {
                    Some(invitation)
                        if !state.seats.iter().any(|(_, account)| account == &format!("acc-{}", invitation.party)) =>
                    {
                        Payload::InvitationAccepted {
                            party: invitation.party.clone(),
                            account: format!("acc-{}", invitation.party),
                            token_hash: invitation.token_hash.clone(),
                        }
                    }
                    _ => Payload::TimetableSet { timetable: Timetable::default() },
                },
                9 => {
                    let package = n.draft_package();
                    match crate::text::render(n, &package) {
                        Ok(version) => {
                            versions += 1;
                            Payload::VersionPublished {
                                status: Default::default(),
                                number: versions,
                                package,
                                content_hash: version.content_hash_hex(),
                                version,
                            }
                        }
                        Err(_) => Payload::TimetableSet { timetable: Timetable::default() },
                    }
                }
                10 => match state.current_key(who) {
                    None => Payload::KeyRegistered {
                        party: who.into(),
                        public_key: format!("{b:02x}").repeat(32),
                        signature: None,
                    },
                    Some(_) => Payload::KeyRotated {
                        party: who.into(),
                        public_key: format!("{a:02x}").repeat(32),
                        signature: format!("{b:02x}").repeat(64),
                    },
                },
                11 if state.current_key(who).is_some() && !state.versions.is_empty() => {
                    let version = &state.versions[usize::from(b) % state.versions.len()];
                    Payload::VersionAcknowledged {
                        party: who.into(),
                        number: version.number,
                        content_hash: version.content_hash.clone(),
                        checkpoint_size: version.position + 1 + u64::from(a) % (position - version.position),
                        checkpoint_root: format!("{a:02x}").repeat(32),
                        signature: format!("{b:02x}").repeat(64),
                    }
                }
                _ => Payload::TimetableSet { timetable: Timetable::default() },
            };
            let event = Event { position, actor: mediator(), at: at(position as u32), payload, salt: None };
            state.apply(&event).unwrap_or_else(|e| panic!("generator produced an invalid event: {e}"));
            events.push(event);
        }
        events
    }

    /// Publishes the working draft of `state` as its next version.
    fn publish_working(state: &State, status: TextStatus) -> Payload {
        let package = state.negotiation.draft_package();
        let version = crate::text::render(&state.negotiation, &package).unwrap();
        Payload::VersionPublished {
            number: state.versions.len() as u32 + 1,
            package,
            content_hash: version.content_hash_hex(),
            version,
            status,
        }
    }

    fn fold_one(state: &mut State, payload: Payload) {
        let event = event(state.size, payload);
        state.apply(&event).unwrap_or_else(|e| panic!("{e}"));
    }

    #[test]
    fn the_text_as_created_is_released_and_edits_stay_in_the_working_draft_until_published() {
        let mut state = State::genesis(&created()).unwrap();
        assert_eq!(state.released.provisions, negotiation().provisions, "as created, the text is released");
        assert_eq!(state.released.version, None);
        assert!(state.unreleased_changes().is_empty());

        fold_one(&mut state, Payload::ProvisionSet { provision: provision("art-1", "Hostilities end."), index: 0 });
        fold_one(&mut state, Payload::ProvisionSet { provision: provision("art-3", "Prisoners go home."), index: 2 });
        fold_one(&mut state, Payload::DraftValueSet { issue: "army-cap".into(), value: Value::Number(500_000.0) });
        fold_one(&mut state, Payload::AdReferendumSet { provision: "art-2".into(), agreed: true });
        fold_one(&mut state, Payload::TimetableSet { timetable: Timetable::default() });
        assert_eq!(state.released.provisions, negotiation().provisions, "edits do not reach the released text");
        assert_eq!(state.released_negotiation().provisions, negotiation().provisions);
        assert_eq!(state.released_negotiation().issues, negotiation().issues);
        let changes = state.unreleased_changes();
        assert_eq!(changes.edits, 4, "the timetable is not the text");
        assert_eq!(changes.provisions_changed, vec!["art-1".to_string(), "art-3".to_string()]);
        assert_eq!(changes.issues_changed, vec!["army-cap".to_string()]);
        assert_eq!(changes.ad_referendum_changed, vec!["art-2".to_string()]);
        assert!(changes.provisions_removed.is_empty() && !changes.constraints_changed);

        let publish = publish_working(&state, TextStatus::MediatorsNonPaper);
        fold_one(&mut state, publish);
        assert_eq!(state.released.provisions, state.negotiation.provisions, "publishing releases the draft");
        assert_eq!(state.released.issues, state.negotiation.issues);
        assert_eq!(state.released.ad_referendum, vec!["art-2".to_string()]);
        assert_eq!((state.released.version, state.released.status), (Some(1), Some(TextStatus::MediatorsNonPaper)));
        assert_eq!(state.versions[0].status, TextStatus::MediatorsNonPaper);
        assert!(state.unreleased_changes().is_empty());
        assert_eq!(state.unreleased_changes().edits, 0);

        fold_one(&mut state, Payload::ProvisionRemoved { provision: "art-2".into() });
        assert!(state.ad_referendum.is_empty(), "a removed provision loses its mark");
        let changes = state.unreleased_changes();
        assert_eq!(changes.provisions_removed, vec!["art-2".to_string()]);
        assert_eq!(changes.ad_referendum_changed, vec!["art-2".to_string()]);
        assert!(state.released.provision_ids().any(|id| id == "art-2"), "parties still read art-2");
    }

    #[test]
    fn ad_referendum_marks_need_a_provision_and_unmark() {
        let unknown = folded(vec![Payload::AdReferendumSet { provision: "art-9".into(), agreed: true }]);
        assert!(matches!(unknown, Err(FoldError::UnknownProvision { .. })));
        let state = folded(vec![
            Payload::AdReferendumSet { provision: "art-1".into(), agreed: true },
            Payload::AdReferendumSet { provision: "art-1".into(), agreed: true },
            Payload::AdReferendumSet { provision: "art-2".into(), agreed: true },
            Payload::AdReferendumSet { provision: "art-1".into(), agreed: false },
        ])
        .unwrap();
        assert_eq!(state.ad_referendum, vec!["art-2".to_string()]);
    }

    #[test]
    fn the_sharing_setting_changes_only_that_setting() {
        let state = folded(vec![Payload::WorkingDraftSharingSet { parties_see_working_draft: true }]).unwrap();
        assert!(state.negotiation.privacy.parties_see_working_draft);
        assert_eq!(state.negotiation.privacy.count_threshold, crate::Privacy::DEFAULT_COUNT_THRESHOLD);
        let off = folded(vec![
            Payload::WorkingDraftSharingSet { parties_see_working_draft: true },
            Payload::WorkingDraftSharingSet { parties_see_working_draft: false },
        ])
        .unwrap();
        assert!(!off.negotiation.privacy.parties_see_working_draft);
    }

    #[test]
    fn a_version_without_a_status_reads_as_a_negotiating_text_and_keeps_its_bytes() {
        let state = State::genesis(&created()).unwrap();
        let payload = publish_working(&state, TextStatus::NegotiatingText);
        let json = serde_json::to_string(&payload).unwrap();
        assert!(!json.contains("status"), "the default status leaves no trace: {json}");
        assert_eq!(serde_json::from_str::<Payload>(&json).unwrap(), payload);
        let non_paper = publish_working(&state, TextStatus::MediatorsNonPaper);
        let json = serde_json::to_string(&non_paper).unwrap();
        assert!(json.ends_with(r#","status":"mediators_non_paper"}"#), "{json}");
        assert_eq!(serde_json::from_str::<Payload>(&json).unwrap(), non_paper);
        for status in TextStatus::ALL {
            assert_eq!(TextStatus::parse(status.as_str()), Some(status));
        }
    }

    /// One step of a random drafting session: an edit of the working draft or a publication.
    fn drafting_step(state: &State, (kind, a, b): (u8, u8, u8)) -> Option<Payload> {
        let ids = ["art-1", "art-2", "art-3", "art-4"];
        let id = ids[usize::from(a) % ids.len()];
        Some(match kind % 6 {
            0 => {
                let others = state.negotiation.provisions.iter().filter(|p| p.id != id).count();
                let body = format!("Text {b} of {id}.");
                Payload::ProvisionSet { provision: provision(id, &body), index: usize::from(b) % (others + 1) }
            }
            1 => {
                // Keep art-2: its slot binds army-cap, whose values the steps move.
                if id == "art-2" || state.negotiation.provision(id).is_none() {
                    return None;
                }
                Payload::ProvisionRemoved { provision: id.into() }
            }
            2 => Payload::DraftValueSet {
                issue: "army-cap".into(),
                value: Value::Number(400_000.0 + f64::from(b % 3) * 100_000.0),
            },
            3 => {
                state.negotiation.provision(id)?;
                Payload::AdReferendumSet { provision: id.into(), agreed: b % 2 == 0 }
            }
            _ => publish_working(state, TextStatus::ALL[usize::from(b) % TextStatus::ALL.len()]),
        })
    }

    proptest! {
        #[test]
        fn the_released_text_is_the_working_draft_as_of_the_last_publication(
            steps in proptest::collection::vec((any::<u8>(), any::<u8>(), any::<u8>()), 0..40),
        ) {
            let mut state = State::genesis(&created()).unwrap();
            let mut at_last_publication = (negotiation(), Vec::<String>::new());
            for step in steps {
                let Some(payload) = drafting_step(&state, step) else { continue };
                let publishes = matches!(payload, Payload::VersionPublished { .. });
                fold_one(&mut state, payload);
                if publishes {
                    at_last_publication = (state.negotiation.clone(), state.ad_referendum.clone());
                }
                let (working, marks) = &at_last_publication;
                prop_assert_eq!(&state.released.provisions, &working.provisions);
                prop_assert_eq!(&state.released.issues, &working.issues);
                prop_assert_eq!(&state.released.constraints, &working.constraints);
                prop_assert_eq!(&state.released.ad_referendum, marks);
                prop_assert_eq!(state.released.version, state.versions.last().map(|v| v.number));
                // The marker of unpublished changes is empty exactly when the working draft reads as released.
                let mut working_marks = state.ad_referendum.clone();
                let mut released_marks = marks.clone();
                working_marks.sort();
                released_marks.sort();
                let same = state.negotiation.provisions == working.provisions
                    && state.negotiation.issues == working.issues
                    && working_marks == released_marks;
                prop_assert_eq!(state.unreleased_changes().is_empty(), same);
            }
        }

        #[test]
        fn folding_is_deterministic_and_prefixes_agree(
            steps in proptest::collection::vec((any::<u8>(), any::<u8>(), any::<u8>()), 0..60),
            cut in any::<prop::sample::Index>(),
        ) {
            let events = valid_log(&steps);
            let whole = State::from_events(&events).unwrap();
            prop_assert_eq!(&State::from_events(&events).unwrap(), &whole);
            prop_assert_eq!(whole.size, events.len() as u64);

            // Incremental folding passes through exactly the prefix states.
            let mut incremental = State::genesis(&events[0]).unwrap();
            let cut = cut.index(events.len()) + 1;
            for (i, event) in events.iter().enumerate().skip(1) {
                if i == cut {
                    prop_assert_eq!(&State::from_events(&events[..cut]).unwrap(), &incremental);
                }
                incremental.apply(event).unwrap();
            }
            prop_assert_eq!(&incremental, &whole);

            // What the store keeps is JSON: the fold of the re-read log is the same.
            let reread: Vec<Event> = events
                .iter()
                .map(|e| serde_json::from_slice(&serde_json::to_vec(e).unwrap()).unwrap())
                .collect();
            prop_assert_eq!(&State::from_events(&reread).unwrap(), &whole);

            // A replayed event is rejected and changes nothing.
            if let Some(last) = events.last() {
                let mut replayed = whole.clone();
                prop_assert!(replayed.apply(last).is_err());
                prop_assert_eq!(&replayed, &whole);
            }
        }
    }
}
