//! The request and response bodies of Accord's HTTP API, shared by the server
//! (`accord-server`), its command-line client (`accord`) and the load
//! generator (`accord-loadgen`), so that none of them can drift from the
//! others silently. Plain data with serde and OpenAPI derives: no HTTP, no
//! storage, no policy decisions.
//!
//! Requests deny unknown fields. Responses are mostly the confidentiality
//! policy's views (`accord_policy::view`, `accord_policy::analysis`), the
//! core model types inside them, and the evidence formats; they are
//! re-exported here with their schemas, so a client needs this crate only.
//! Errors are problem documents ([`Problem`]) whose `code` is one of
//! [`ErrorCode`].

use accord_core::{Condition, IssueKind, Rating, Role, TextStatus, Value, Weighting, Wording};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

mod error;

pub use accord_core::Profile;
pub use accord_core::phase::VersionEngagement;
pub use accord_core::text::Version;
pub use accord_evidence::{Bundle, LogExport};
pub use accord_merkle::{Checkpoint, ConsistencyProof, InclusionProof};
pub use accord_policy::analysis::{AnalysisView, BalanceView, GainPair, ParetoSuggestion};
pub use accord_policy::view::{
    CommentView, DraftView, EventEntry, InvitationView, NegotiationView, ProfileView, ReservationEntry, SeatView,
    StanceCount, StanceHistoryEntry, StanceView, TextKind, UnconfirmedInputs, VersionSummary,
};
pub use error::{ErrorCode, FieldError, Problem};

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignUp {
    pub email: String,
    pub password: String,
    pub display_name: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignIn {
    pub email: String,
    pub password: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct AccountView {
    pub id: String,
    pub email: String,
    pub display_name: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SessionView {
    pub account: AccountView,
    /// Send as `X-CSRF-Token` on every write made with the session cookie. Absent for bearer tokens.
    pub csrf_token: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TokenView {
    /// Send as `Authorization: Bearer <token>`. Shown once; only its hash is stored.
    pub token: String,
    pub expires_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct NegotiationListItem {
    pub id: String,
    pub title: String,
    pub party: String,
    pub role: Role,
    pub log_size: u64,
}

/// Create from a scenario file (the TOML text) or empty (give a title).
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateNegotiation {
    pub scenario_toml: Option<String>,
    pub title: Option<String>,
    /// The mediator party the creator takes; defaults to the scenario's first mediator.
    pub creator_party: Option<String>,
    /// Move the whole timetable so that its first phase starts at this time
    /// (keeping every phase's length and the gaps between them).
    pub timetable_from: Option<DateTime<Utc>>,
    /// Let signatories and consulted parties watch the working draft live
    /// (overrides the scenario's `[privacy]` setting); by default they read
    /// the released text only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parties_see_working_draft: Option<bool>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProvisionInput {
    pub number: String,
    pub heading: String,
    /// Text with `{issue-id}` slots.
    pub body: String,
    /// The bracketed alternatives for each slot.
    #[serde(default)]
    pub wordings: Vec<Wording>,
    /// Place in the text (0 = first); default: where it is, or last.
    pub index: Option<usize>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IssueInput {
    pub title: String,
    pub kind: IssueKind,
    #[schema(value_type = Option<accord_core::IssueValue>)]
    pub draft: Option<Value>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DraftValueInput {
    /// An option id (discrete issue) or a number (numeric issue).
    #[schema(value_type = accord_core::IssueValue)]
    pub value: Value,
}

/// A batch of drafting edits, applied all or none
/// (`POST /api/negotiations/{id}/draft/edits`).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DraftEditsInput {
    /// The log size the draft was read at (the `ETag` of `GET …/draft`).
    /// Refused with `409 conflict` when the draft changed after it; comments
    /// and stances written since do not count.
    pub base: u64,
    /// The edits in order; each applies to the text the ones before it leave.
    pub edits: Vec<accord_core::drafting::DraftEdit>,
}

/// The answer to a batch of drafting edits: the write and the new draft.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DraftEditsResult {
    pub position: u64,
    /// The new log size: the `base` of the next batch.
    pub log_size: u64,
    /// Hex Merkle root at `log_size`.
    pub root: String,
    pub draft: DraftView,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum StancePosition {
    Acceptable,
    AcceptableIf,
    Unacceptable,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StanceInput {
    pub position: StancePosition,
    /// For `acceptable_if`: every condition that must hold.
    #[serde(default)]
    pub conditions: Vec<Condition>,
    /// Why (private to you and the mediator).
    pub reason: Option<String>,
    /// The `wording_hash` of the provision as you read it (from the text
    /// view). When it is not the current wording's, nothing is written and the
    /// answer is `text_changed`. Without it the stance answers the current
    /// wording.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wording_hash: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct StancesView {
    pub stances: Vec<StanceView>,
    /// Per provision, how many parties have reservations (null for observers).
    pub counts: Option<Vec<StanceCount>>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommentInput {
    pub provision: String,
    /// The span of the provision's text the comment is about; must appear in it now. Empty: the whole provision.
    #[serde(default)]
    pub quote: String,
    pub text: String,
    /// Private comments reach only you and the mediator.
    #[serde(default)]
    pub private: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProfileInput {
    #[serde(default)]
    pub illustrative: bool,
    #[serde(default)]
    pub weighting: Weighting,
    /// `(issue id, weight)` pairs.
    pub weights: Vec<(String, f64)>,
    /// `(issue id, rating)` pairs.
    pub ratings: Vec<(String, Rating)>,
    #[serde(default)]
    pub red_lines: Vec<Condition>,
    pub reservation: f64,
    pub discount_factor: Option<f64>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReservationInput {
    pub reservation: f64,
    pub note: Option<String>,
}

/// Confirm, as they stand, inputs the mediator entered for your party (a
/// scenario's profile and stances). Name at least one; each must be
/// unconfirmed (see `unconfirmed` of the negotiation).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConfirmInput {
    /// Confirm your profile (weights, ratings, red lines, reservation value).
    #[serde(default)]
    pub profile: bool,
    /// Confirm your stances on these provisions.
    #[serde(default)]
    pub stances: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InviteInput {
    pub party: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct InvitationCreated {
    /// One-time token for the invitee: POST it to `accept_path`. Shown once.
    pub token: String,
    pub party: String,
    pub role: Role,
    pub expires_at: DateTime<Utc>,
    pub accept_path: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AcceptInput {
    pub token: String,
}

/// Publishing releases the working draft to every party at once.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PublishInput {
    /// What the released text is; absent: a negotiating text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<TextStatus>,
}

/// Whether signatories and consulted parties may watch the working draft
/// live, or read only the released text (the default).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WorkingDraftSharingInput {
    pub parties_see_working_draft: bool,
}

/// Mark (`true`) or unmark a provision as agreed ad referendum:
/// provisionally, since nothing is agreed until everything is agreed.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AdReferendumInput {
    pub agreed: bool,
}

/// The result of a write: the new log size (the next `If-Match`).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct WriteResult {
    pub position: u64,
    pub log_size: u64,
    /// Hex Merkle root at `log_size`.
    pub root: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PublishedVersionView {
    pub number: u32,
    pub position: u64,
    pub at: DateTime<Utc>,
    pub content_hash: String,
    pub version: Version,
    /// What the released text is (a non-paper, a negotiating text, …).
    #[serde(default)]
    pub status: TextStatus,
    /// The provisions agreed ad referendum as of this version; only for the
    /// latest version, whose marks are the released ones.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ad_referendum: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct VersionDiff {
    pub from: u32,
    pub to: u32,
    pub provisions: Vec<ProvisionDiff>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ProvisionDiff {
    pub id: String,
    /// `same`, `changed`, `added` or `removed`.
    pub change: String,
    pub lines: Vec<DiffLine>,
    /// Its place among the provisions both versions have changed.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub moved: bool,
    /// How drafting split or merged it between the two versions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restructure: Option<DiffRestructure>,
}

/// A split or merge between two versions. The provision that keeps the id
/// (`split_into`, `merged_from`) compares the old text with the new one
/// across all the provisions named; the others (`split_from`,
/// `merged_into`) point to it and carry no lines of their own.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DiffRestructure {
    /// `split_into`, `split_from`, `merged_from` or `merged_into`.
    pub kind: String,
    /// The parts (`split_into`, itself first), the provision split from
    /// (`split_from`), the sources (`merged_from`, itself first) or the
    /// provision merged into (`merged_into`).
    pub provisions: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DiffLine {
    /// `equal`, `delete` or `insert`.
    pub tag: String,
    /// The line in pieces; `emphasized` marks the words that changed.
    pub segments: Vec<DiffSegment>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DiffSegment {
    pub text: String,
    pub emphasized: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct EventsView {
    pub log_size: u64,
    pub entries: Vec<EventEntry>,
}

// ------------------------------------------------------------ process evidence

/// Where the negotiation stands in its timetable.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PhaseView {
    /// `open`, `closed` or `lapsed`.
    pub status: String,
    /// The phase the log says the negotiation is in (none before the first begins).
    pub current: Option<PhaseStatus>,
    /// Every phase with its effective deadline (extensions included).
    pub timetable: Vec<PhaseStatus>,
    /// The server's clock when this was answered.
    pub now: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PhaseStatus {
    pub id: String,
    pub name: String,
    /// consultation, drafting, final_session or signing.
    pub kind: String,
    pub start: DateTime<Utc>,
    /// The end, moved by any extension.
    pub deadline: DateTime<Utc>,
    pub entered_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AdvanceInput {
    /// Why the phase ends early; logged.
    pub reason: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExtendInput {
    /// The phase id (default: the current phase).
    pub phase: Option<String>,
    pub end: DateTime<Utc>,
    /// Why; logged.
    pub reason: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct KeyInput {
    /// Ed25519 public key, 64 lowercase hex digits. The private key never leaves you.
    pub public_key: String,
    /// Proof of possession, required: the new key's own signature (128 hex
    /// digits) over the key-registration statement
    /// `accord/key-registration/v1\nnegotiation=<id>\nparty=<party>\nkey=<public_key>\n`.
    /// Optional in the schema only so that a request without it gets a 422
    /// naming `/signature`.
    #[serde(default)]
    pub signature: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RotateKeyInput {
    /// The new Ed25519 public key, hex.
    pub public_key: String,
    /// The OLD key's signature over the key-rotation statement (docs/bundle-format.md), hex.
    pub signature: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PartyKeyView {
    pub party: String,
    pub public_key: String,
    pub position: u64,
    pub at: DateTime<Utc>,
    /// Whether this is the party's key now (a rotation replaced the others).
    pub current: bool,
}

/// A checkpoint of the log signed by the server's key.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SignedCheckpointView {
    pub negotiation: String,
    pub size: u64,
    pub root: String,
    /// RFC 3339, seconds, UTC: part of what is signed.
    pub at: String,
    pub signature: String,
    pub server_key: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AcknowledgeInput {
    /// The log checkpoint you were shown (from `checkpoint/signed`), which includes the version.
    pub checkpoint_size: u64,
    pub checkpoint_root: String,
    /// Your key's signature over the acknowledgement statement, hex.
    pub signature: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignInput {
    /// Your key's signature over the final-signature statement, hex.
    pub signature: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ServerKeyView {
    /// The server's Ed25519 public key, hex: it signs log checkpoints.
    pub public_key: String,
}

/// The Pareto frontier of the packages every analysis party can accept, seen
/// on two parties' axes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ParetoView {
    pub a: String,
    pub b: String,
    /// The frontier's points projected on (a, b), keeping those no other
    /// projected point beats on both axes; ascending in `a`.
    pub frontier: Vec<GainPair>,
    /// The working draft (which may break a red line or a reservation value).
    pub draft: GainPair,
    /// The analysis's packages, in the order the analysis lists them; a kind
    /// without a package is left out.
    pub suggestions: Vec<ParetoSuggestion>,
    /// Points of the frontier over every analysis party, before projecting.
    pub points_considered: usize,
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // test code: a panic is a failed test
mod tests {
    use serde_json::{Value as Json, json};
    use utoipa::PartialSchema;

    use super::*;

    fn schema_of<T: PartialSchema>() -> Json {
        serde_json::to_value(T::schema()).unwrap()
    }

    #[test]
    fn requests_refuse_unknown_fields_and_their_schemas_say_so() {
        let extra = json!({"position": "acceptable", "mood": "sunny"});
        assert!(serde_json::from_value::<StanceInput>(extra).is_err());
        assert_eq!(schema_of::<StanceInput>()["additionalProperties"], json!(false));
    }

    #[test]
    fn profile_pairs_are_two_element_arrays_in_the_json_and_in_the_schema() {
        let body = json!({
            "weights": [["army-cap", 2.0]],
            "ratings": [["army-cap", {"piecewise": [[400000.0, 1.0], [1000000.0, 0.0]]}]],
            "reservation": 0.4
        });
        let profile: ProfileInput = serde_json::from_value(body).unwrap();
        assert_eq!(profile.weights, vec![("army-cap".to_string(), 2.0)]);
        let weights = &schema_of::<ProfileInput>()["properties"]["weights"]["items"];
        assert_eq!(weights["prefixItems"][0]["type"], "string", "{weights}");
        assert_eq!(weights["prefixItems"][1]["type"], "number", "{weights}");
        assert_eq!(weights["items"], json!(false), "a pair has exactly two items: {weights}");
    }

    #[test]
    fn defaulted_and_optional_request_fields_are_not_required() {
        let required = schema_of::<ProfileInput>()["required"].clone();
        let mut required: Vec<&str> = required.as_array().unwrap().iter().filter_map(Json::as_str).collect();
        required.sort_unstable();
        assert_eq!(required, ["ratings", "reservation", "weights"]);
        let minimal = json!({"weights": [], "ratings": [], "reservation": 0.5});
        assert!(serde_json::from_value::<ProfileInput>(minimal).is_ok());
    }

    #[test]
    fn the_wire_form_of_a_write_result_is_unchanged() {
        let result = WriteResult { position: 3, log_size: 4, root: "ab".repeat(32) };
        assert_eq!(
            serde_json::to_string(&result).unwrap(),
            format!(r#"{{"position":3,"log_size":4,"root":"{}"}}"#, "ab".repeat(32))
        );
    }
}
