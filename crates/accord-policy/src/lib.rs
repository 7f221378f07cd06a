//! The confidentiality policy of a negotiation: the one place that decides who
//! may see or do what, and the filters that turn the full [`State`] of a
//! negotiation, its events and its analysis into what one viewer receives.
//!
//! Nothing else checks roles. A handler asks [`decide`] before it acts and
//! passes everything it returns through [`view::view_state`],
//! [`view::filter_event`] or [`analysis::filter_analysis`], so a route cannot
//! leak what the policy withholds even if it forgets to ask.
//!
//! # The default policy
//!
//! - A party's profile, reservation history, stance reasons and private
//!   comments: that party and the mediator.
//! - Stance positions: that party and the mediator; other signatories and
//!   consulted parties learn only, per provision, how many parties have
//!   reservations ([`Decision::Redact`]).
//! - The text, the stance counts and public comments: mediator, signatories,
//!   consulted parties. Observers see released versions only.
//! - Revisions, not keystrokes: the mediator edits a private working draft;
//!   signatories and consulted parties read the *released text*, the text as
//!   of the last published version (or as created), and the mediator's edit
//!   events reach them redacted, until the mediator lets them watch the
//!   working draft ([`accord_core::Privacy::parties_see_working_draft`]).
//!   Which text a viewer reads is decided in one place,
//!   [`view::visible_text`]; every party-facing view starts from it.
//! - Analysis: the mediator, who sees each party's normalised gain rather than
//!   its utility; each party sees its own utility and balance.
//! - Blind mediation ([`accord_core::Privacy::blind_mediation`], chosen at
//!   creation): the mediator loses every party's profile, reservation
//!   history, stance reasons and positions (it gets the stance counts, under
//!   the same threshold as a party), the per-provision balance and the full
//!   log export. It keeps the analysis in normalised gains and the filtered
//!   log.
//! - Stance counts are withheld from a viewer when they would identify a
//!   party's position ([`view::stance_counts`]); a redacted log entry's time
//!   is coarsened to the hour ([`view::filter_event`]).
//! - Writes: the mediator drafts, invites and publishes; a signatory or
//!   consulted party records its own stances and edits its own profile;
//!   every participant comments as itself.
//! - Inputs entered for a party (a scenario's profiles and stances, logged
//!   by the mediator's account): the party and the mediator see that they
//!   are unconfirmed; only the party confirms them.

use accord_core::event::{Event, Payload, State};
use accord_core::{Privacy, Role};

pub mod analysis;
pub mod view;

/// Who is asking, as far as one negotiation is concerned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Viewer {
    /// No account.
    Anonymous,
    /// Signed in, holding no seat in this negotiation.
    Stranger { account: String },
    /// Signed in and holding `party`'s seat, in a negotiation with these
    /// `privacy` settings. The settings ride on the viewer so that every
    /// `decide` call sees them without a second argument: a handler cannot
    /// forget to pass them, and the call sites did not change.
    Party { account: String, party: String, role: Role, privacy: Privacy },
}

impl Viewer {
    /// The viewer an account (or no account) is in the negotiation `state`.
    pub fn in_negotiation(state: &State, account: Option<&str>) -> Viewer {
        let Some(account) = account else { return Viewer::Anonymous };
        match state.party_of_account(account) {
            Some(party) => Viewer::Party {
                account: account.to_string(),
                party: party.id.clone(),
                role: party.role,
                privacy: state.negotiation.privacy,
            },
            None => Viewer::Stranger { account: account.to_string() },
        }
    }

    /// A viewer outside any negotiation (for account-level resources).
    pub fn outside(account: Option<&str>) -> Viewer {
        match account {
            Some(account) => Viewer::Stranger { account: account.to_string() },
            None => Viewer::Anonymous,
        }
    }

    pub fn party(&self) -> Option<&str> {
        match self {
            Viewer::Party { party, .. } => Some(party),
            _ => None,
        }
    }

    pub fn role(&self) -> Option<Role> {
        match self {
            Viewer::Party { role, .. } => Some(*role),
            _ => None,
        }
    }

    /// The negotiation's privacy settings as this viewer is bound by them
    /// (the defaults for a viewer without a seat, who sees nothing private).
    pub fn privacy(&self) -> Privacy {
        match self {
            Viewer::Party { privacy, .. } => *privacy,
            _ => Privacy::default(),
        }
    }

    pub fn account(&self) -> Option<&str> {
        match self {
            Viewer::Anonymous => None,
            Viewer::Stranger { account } | Viewer::Party { account, .. } => Some(account),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    Read,
    /// Create, change or run: anything that appends to the log or spends the server's effort on the viewer's behalf.
    Write,
}

/// What is being read or written. Party-owned resources name their owner.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Resource<'a> {
    /// The list of negotiations the viewer takes part in.
    NegotiationList,
    /// Read: the summary (title, parties, log size). Write: create a negotiation.
    Negotiation,
    /// The text: issues, provisions, brackets, constraints, draft values, its
    /// text — for a party, the text [`view::visible_text`] gives it.
    /// Write: edit the working draft.
    Draft,
    /// The mediator's working draft as it is being edited, before release:
    /// the mediator's, and the parties' only when the negotiation lets them
    /// watch it. Read only; writing is [`Resource::Draft`].
    WorkingDraft,
    /// Released versions of the text. Write: publish one.
    Versions,
    /// A party's position on provisions (and its history).
    StancePosition {
        party: &'a str,
    },
    /// Why a party holds its positions (reasons and conditions are one private unit).
    StanceReason {
        party: &'a str,
    },
    /// Per provision, how many parties have reservations.
    StanceCounts,
    Profile {
        party: &'a str,
    },
    ReservationHistory {
        party: &'a str,
    },
    Comment {
        author: &'a str,
        private: bool,
    },
    /// The event log, checkpoints and proofs (each event is filtered on its own).
    EventLog,
    /// The mediator's analysis (ZOPA, solutions, repair, improvement, balance).
    Analysis,
    /// A party's utility for a package. Redact: only its normalised gain.
    Utility {
        party: &'a str,
    },
    /// A party's balance per provision. Redact: normalised shares only.
    Balance {
        party: &'a str,
    },
    Invitations,
    /// Write: take up a seat by redeeming an invitation.
    Seat,
    /// Who holds which seat.
    Members,
    /// The process evidence everyone seated may see: the timetable's phase,
    /// the engagement record, public keys, signed checkpoints, the bundle.
    Evidence,
    /// Write: advance a phase early or extend a deadline.
    Timetable,
    /// Write: register or rotate a party's public key.
    Key {
        party: &'a str,
    },
    /// Write: acknowledge a released version with the party's key.
    Acknowledgement {
        party: &'a str,
    },
    /// Write: sign the final text with the party's key.
    FinalSignature {
        party: &'a str,
    },
    /// The whole log with every private payload, for verification and backup.
    LogExport,
    /// Which of a party's inputs (profile, stances) someone else entered for
    /// it and it has not confirmed. Write: confirm them as they stand.
    EnteredFor {
        party: &'a str,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Decision {
    Allow,
    Deny,
    /// The viewer learns that the thing exists, or an aggregate of it, but not its content.
    Redact,
}

impl Decision {
    pub fn allowed(self) -> bool {
        self == Decision::Allow
    }

    fn from_bool(allow: bool) -> Decision {
        if allow { Decision::Allow } else { Decision::Deny }
    }
}

/// The one decision function.
pub fn decide(viewer: &Viewer, action: Action, resource: &Resource<'_>) -> Decision {
    use Action::{Read, Write};
    use Decision::{Allow, Deny, Redact};
    use Resource as R;

    let (me, role) = match viewer {
        Viewer::Anonymous => return Deny,
        Viewer::Stranger { .. } => {
            return Decision::from_bool(matches!(
                (action, resource),
                (Read, R::NegotiationList) | (Write, R::Negotiation) | (Write, R::Seat)
            ));
        }
        Viewer::Party { party, role, .. } => (party.as_str(), *role),
    };
    let mediator = role == Role::Mediator;
    // The mediator reads the parties' private inputs, unless the negotiation
    // is under blind mediation: then it sees what the engine makes of them.
    let sighted_mediator = mediator && !viewer.privacy().blind_mediation;
    // Those who work on the text: everyone but observers.
    let participant = role != Role::Observer;
    // Those whose preferences the negotiation records.
    let stakeholder = matches!(role, Role::Signatory | Role::Consulted);
    let own = |party: &str| party == me;

    match (action, resource) {
        (Read, R::NegotiationList) | (Write, R::Negotiation) | (Read, R::Negotiation) => Allow,
        (Write, R::NegotiationList) => Deny,
        (Read, R::Draft) => Decision::from_bool(participant),
        (Write, R::Draft) => Decision::from_bool(mediator),
        (Read, R::WorkingDraft) => {
            Decision::from_bool(mediator || (participant && viewer.privacy().parties_see_working_draft))
        }
        (Write, R::WorkingDraft) => Deny,
        (Read, R::Versions) => Allow,
        (Write, R::Versions) => Decision::from_bool(mediator),
        (Read, R::StancePosition { party }) => {
            if sighted_mediator || own(party) {
                Allow
            } else if stakeholder || mediator {
                Redact
            } else {
                Deny
            }
        }
        (Read, R::StanceReason { party }) => Decision::from_bool(sighted_mediator || own(party)),
        (Write, R::StancePosition { party } | R::StanceReason { party }) => {
            Decision::from_bool(stakeholder && own(party))
        }
        (Read, R::StanceCounts) => Decision::from_bool(participant),
        (Write, R::StanceCounts) => Deny,
        (Read, R::Profile { party } | R::ReservationHistory { party }) => {
            Decision::from_bool(sighted_mediator || own(party))
        }
        (Write, R::Profile { party } | R::ReservationHistory { party }) => {
            Decision::from_bool(stakeholder && own(party))
        }
        (Read, R::Comment { author, private }) => {
            Decision::from_bool(if *private { mediator || own(author) } else { participant })
        }
        (Write, R::Comment { author, .. }) => Decision::from_bool(participant && own(author)),
        (Read, R::EventLog) => Allow,
        (Write, R::EventLog) => Deny,
        (Read, R::Analysis) => Decision::from_bool(mediator),
        (Write, R::Analysis) => Deny,
        (Read, R::Utility { party }) => {
            if stakeholder && own(party) {
                Allow
            } else if mediator {
                Redact
            } else {
                Deny
            }
        }
        (Read, R::Balance { party }) => {
            if stakeholder && own(party) {
                Allow
            } else if sighted_mediator {
                // Per-provision shares map a party's preferences issue by
                // issue: not an output a blind mediator gets.
                Redact
            } else {
                Deny
            }
        }
        (Write, R::Utility { .. } | R::Balance { .. }) => Deny,
        (Read | Write, R::Invitations) => Decision::from_bool(mediator),
        // One seat per account: a seated account cannot take another.
        (Read | Write, R::Seat) => Deny,
        (Read, R::Members) => Decision::from_bool(participant),
        (Write, R::Members) => Deny,
        (Read, R::Evidence) => Allow,
        (Write, R::Evidence) => Deny,
        (Read, R::Timetable) => Allow,
        (Write, R::Timetable) => Decision::from_bool(mediator),
        // Everyone who works on the text acknowledges what they were shown.
        (Write, R::Key { party } | R::Acknowledgement { party }) => Decision::from_bool(participant && own(party)),
        // Only signatories sign; consulted parties and observers do not.
        (Write, R::FinalSignature { party }) => Decision::from_bool(role == Role::Signatory && own(party)),
        (Read, R::Key { .. } | R::Acknowledgement { .. } | R::FinalSignature { .. }) => Allow,
        // The export holds every private payload: under blind mediation it is
        // nobody's; the filtered log and the bundle verify the process.
        (Read, R::LogExport) => Decision::from_bool(sighted_mediator),
        (Write, R::LogExport) => Deny,
        // The mediator knows what it entered; the party is asked to confirm it.
        // Only the party itself confirms: nobody may say "yes" for it.
        (Read, R::EnteredFor { party }) => Decision::from_bool(mediator || own(party)),
        (Write, R::EnteredFor { party }) => Decision::from_bool(stakeholder && own(party)),
    }
}

/// The resources an event's payload discloses. A viewer sees the event in
/// full only when every one of them is allowed.
pub fn event_resources(event: &Event) -> Vec<Resource<'_>> {
    match &event.payload {
        Payload::Created { .. } | Payload::TimetableSet { .. } | Payload::WorkingDraftSharingSet { .. } => {
            vec![Resource::Draft]
        }
        // An edit of the text (`Payload::edits_text`) is a keystroke of the
        // working draft: who may not watch it learns that an edit happened
        // (the log's shape shows it), not what it was. Publishing releases
        // the result.
        Payload::IssueSet { .. }
        | Payload::IssueRemoved { .. }
        | Payload::ProvisionSet { .. }
        | Payload::ProvisionRemoved { .. }
        | Payload::DraftValueSet { .. }
        | Payload::ConstraintSet { .. }
        | Payload::ConstraintRemoved { .. }
        | Payload::AdReferendumSet { .. }
        | Payload::ProvisionsRestructured { .. }
        | Payload::ProvisionsRenumbered { .. } => vec![Resource::Draft, Resource::WorkingDraft],
        Payload::PartyInvited { .. } | Payload::InvitationRevoked { .. } => vec![Resource::Invitations],
        Payload::InvitationAccepted { .. } => vec![Resource::Members],
        Payload::StanceRecorded { stance } => {
            vec![Resource::StancePosition { party: &stance.party }, Resource::StanceReason { party: &stance.party }]
        }
        Payload::CommentAdded { comment } => {
            vec![Resource::Comment { author: &comment.party, private: comment.private }]
        }
        Payload::ProfileSet { profile } => vec![Resource::Profile { party: &profile.party }],
        Payload::ReservationChanged { party, .. } => vec![Resource::ReservationHistory { party }],
        Payload::VersionPublished { .. } => vec![Resource::Versions],
        // The evidence of the process is public to everyone seated, observers
        // included: that is what lets any party show it saw what the others saw.
        Payload::KeyRegistered { .. }
        | Payload::KeyRotated { .. }
        | Payload::VersionAcknowledged { .. }
        | Payload::FinalTextSigned { .. }
        | Payload::PhaseEntered { .. }
        | Payload::DeadlineExtended { .. }
        | Payload::Closed { .. }
        | Payload::Lapsed { .. }
        | Payload::RemindersSent { .. } => vec![Resource::EventLog],
        Payload::InputsConfirmed { party, .. } => vec![Resource::EnteredFor { party }],
    }
}

/// Whether `viewer` may read `event` in full.
pub fn may_read_event(viewer: &Viewer, event: &Event) -> bool {
    event_resources(event).iter().all(|r| decide(viewer, Action::Read, r).allowed())
}

#[cfg(test)]
mod tests;
