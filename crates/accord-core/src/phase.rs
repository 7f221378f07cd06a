//! The timetable in motion: which phase a negotiation is in, which
//! transitions the clock owes it, which actions the phase allows, and who
//! engaged with which version.
//!
//! Everything here is a pure function of a folded [`State`] and a time `now`
//! that the caller supplies, so a test drives a whole timetable by moving a
//! number instead of sleeping.
//!
//! # How phases move
//!
//! - Before the first `phase_entered` the negotiation has not started. It
//!   enters the first phase at that phase's start.
//! - The current phase is the last one entered. It ends at its deadline: its
//!   timetable `end`, or the latest `deadline_extended` for it. When the
//!   deadline passes, the next phase is entered at once (a gap before the
//!   next phase's own start belongs to the next phase). After a signing
//!   phase, or after the last phase, the negotiation lapses instead.
//! - When every signatory has signed the latest version during a signing
//!   phase, the negotiation closes.
//! - A timetable without phases never moves: nothing is gated by phase,
//!   except that nobody can sign, so such a negotiation never closes by itself.
//!
//! [`allowed`] judges an action against the state as it will be once the
//! transitions [`due`] at `now` are appended, so a caller that has not
//! appended them yet still gets the right answer.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::event::{Payload, State, Status};
use crate::model::{Phase, PhaseKind, Role};

/// The actions whose availability depends on the phase. Who may perform them
/// is the policy's business; this module only says when.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Issues, provisions, draft values, constraints, the timetable's future phases.
    EditDraft,
    Publish,
    RecordStance,
    Comment,
    SetProfile,
    ChangeReservation,
    Invite,
    RegisterKey,
    RotateKey,
    Acknowledge,
    SignFinal,
    AdvancePhase,
    ExtendDeadline,
}

impl Action {
    pub const ALL: [Action; 13] = [
        Action::EditDraft,
        Action::Publish,
        Action::RecordStance,
        Action::Comment,
        Action::SetProfile,
        Action::ChangeReservation,
        Action::Invite,
        Action::RegisterKey,
        Action::RotateKey,
        Action::Acknowledge,
        Action::SignFinal,
        Action::AdvancePhase,
        Action::ExtendDeadline,
    ];

    /// The action as a plural noun, the subject of a refusal ("stances are closed").
    pub fn noun(self) -> &'static str {
        match self {
            Action::EditDraft => "draft edits",
            Action::Publish => "new versions",
            Action::RecordStance => "stances",
            Action::Comment => "comments",
            Action::SetProfile => "profile edits",
            Action::ChangeReservation => "reservation changes",
            Action::Invite => "invitations",
            Action::RegisterKey => "key registrations",
            Action::RotateKey => "key rotations",
            Action::Acknowledge => "acknowledgements",
            Action::SignFinal => "signatures",
            Action::AdvancePhase => "phase advances",
            Action::ExtendDeadline => "deadline extensions",
        }
    }

    /// Whether a phase of this kind allows the action (`None`: before the first phase).
    fn open_in(self, kind: Option<PhaseKind>) -> bool {
        match self {
            Action::EditDraft
            | Action::Publish
            | Action::RecordStance
            | Action::Comment
            | Action::SetProfile
            | Action::ChangeReservation => kind != Some(PhaseKind::Signing),
            Action::SignFinal => kind == Some(PhaseKind::Signing),
            Action::Invite
            | Action::RegisterKey
            | Action::RotateKey
            | Action::Acknowledge
            | Action::AdvancePhase
            | Action::ExtendDeadline => true,
        }
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.noun())
    }
}

/// The phase a negotiation is in, as logged.
#[derive(Debug, Clone, PartialEq)]
pub struct CurrentPhase<'a> {
    pub index: usize,
    pub phase: &'a Phase,
    /// When it ends, extensions included.
    pub deadline: DateTime<Utc>,
    pub entered_at: DateTime<Utc>,
    pub entered_position: u64,
}

/// The phase `state` is in according to its log (transitions not yet
/// appended are not counted; see [`due`]).
pub fn current(state: &State) -> Option<CurrentPhase<'_>> {
    let (index, phase) = state.current_phase()?;
    let entry = state.phases.current()?;
    Some(CurrentPhase {
        index,
        phase,
        deadline: state.phase_deadline(phase),
        entered_at: entry.at,
        entered_position: entry.position,
    })
}

/// When phase `phase` (an id) ends, extensions included.
pub fn deadline(state: &State, phase: &str) -> Option<DateTime<Utc>> {
    let phase = state.negotiation.timetable.phases.iter().find(|p| p.id == phase)?;
    Some(state.phase_deadline(phase))
}

/// Where the timetable stands, possibly ahead of the log.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Stage {
    NotStarted,
    In(usize),
    Closed { at: DateTime<Utc> },
    Lapsed { phase: usize, at: DateTime<Utc> },
}

/// A walk along the timetable from the logged state, one clock transition at a time.
struct Cursor<'a> {
    state: &'a State,
    stage: Stage,
}

impl<'a> Cursor<'a> {
    fn new(state: &'a State) -> Cursor<'a> {
        let phases = &state.negotiation.timetable.phases;
        let stage = match &state.status {
            Status::Closed { at, .. } => Stage::Closed { at: *at },
            Status::Lapsed { phase, at, .. } => {
                Stage::Lapsed { phase: phases.iter().position(|p| &p.id == phase).unwrap_or(0), at: *at }
            }
            Status::Open => match state.current_phase() {
                Some((index, _)) => Stage::In(index),
                None => Stage::NotStarted,
            },
        };
        Cursor { state, stage }
    }

    fn phases(&self) -> &'a [Phase] {
        &self.state.negotiation.timetable.phases
    }

    fn deadline(&self, index: usize) -> DateTime<Utc> {
        self.state.phase_deadline(&self.phases()[index])
    }

    /// The next transition due at `now`, applied to the cursor.
    fn step(&mut self, now: DateTime<Utc>) -> Option<Payload> {
        let phases = self.phases();
        match self.stage {
            Stage::Closed { .. } | Stage::Lapsed { .. } => None,
            Stage::NotStarted => {
                let first = phases.first().filter(|first| first.start <= now)?;
                self.stage = Stage::In(0);
                Some(Payload::PhaseEntered { phase: first.id.clone(), reason: None })
            }
            Stage::In(index) => {
                let phase = &phases[index];
                let signatories = self.state.negotiation.parties_with_role(Role::Signatory).count();
                // Signatures are only ever logged before the deadline, so a
                // complete set closes the negotiation even when the server
                // notices after the deadline.
                if phase.kind == PhaseKind::Signing
                    && signatories > 0
                    && let Some(latest) = self.state.latest_version()
                    && self.state.unsigned_signatories().is_empty()
                {
                    let at = self.state.signatures.last().map_or(now, |s| s.at);
                    self.stage = Stage::Closed { at };
                    return Some(Payload::Closed { number: latest.number, content_hash: latest.content_hash.clone() });
                }
                let deadline = self.deadline(index);
                if deadline > now {
                    return None;
                }
                match phases.get(index + 1) {
                    Some(next) if phase.kind != PhaseKind::Signing => {
                        self.stage = Stage::In(index + 1);
                        Some(Payload::PhaseEntered { phase: next.id.clone(), reason: None })
                    }
                    _ => {
                        self.stage = Stage::Lapsed { phase: index, at: deadline };
                        Some(Payload::Lapsed { phase: phase.id.clone(), unsigned: self.state.unsigned_signatories() })
                    }
                }
            }
        }
    }

    fn run(&mut self, now: DateTime<Utc>) -> Vec<Payload> {
        std::iter::from_fn(|| self.step(now)).collect()
    }
}

/// The transitions the clock owes the negotiation at `now`, in the order
/// they must be appended (actor System, at `now`): possibly several when the
/// server was down across deadlines. Empty once they are appended.
pub fn due(state: &State, now: DateTime<Utc>) -> Vec<Payload> {
    Cursor::new(state).run(now)
}

/// A phase as a refusal names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhaseSummary {
    pub id: String,
    pub kind: PhaseKind,
    /// When it ends (extensions included).
    pub deadline: DateTime<Utc>,
}

/// Where the negotiation stands when an action is refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "stage")]
pub enum Standing {
    NotStarted { first: Option<FirstPhase> },
    In { phase: PhaseSummary },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FirstPhase {
    pub id: String,
    pub start: DateTime<Utc>,
}

/// When a refused action is (or was) allowed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "when")]
pub enum Opening {
    /// It opens in phase `phase`, which begins no later than `from`.
    Later { phase: String, kind: PhaseKind, from: DateTime<Utc> },
    /// It was open until the end of phase `phase`.
    Earlier { phase: String },
    /// No phase of the timetable allows it.
    Never,
}

/// How a negotiation ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "ending")]
pub enum Ending {
    Closed { at: DateTime<Utc>, number: u32 },
    Lapsed { at: DateTime<Utc>, phase: String, unsigned: Vec<String> },
}

/// Why the timetable refuses an action now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(rename_all = "snake_case", tag = "refusal")]
pub enum PhaseRefusal {
    /// The current phase does not allow the action.
    #[error("{}", out_of_phase(*action, standing, opening))]
    OutOfPhase { action: Action, standing: Standing, opening: Opening },
    /// The negotiation closed or lapsed: only reads remain.
    #[error("{} are closed: {}; only reads remain", action.noun(), ended(ending))]
    Ended { action: Action, ending: Ending },
    /// The timetable has no phases to advance or extend.
    #[error("{} need a timetable, and this negotiation has none; the mediator can set one", action.noun())]
    NoTimetable { action: Action },
    /// The current phase has no successor to advance to.
    #[error("{}", no_next_phase(*action, phase))]
    NoNextPhase { action: Action, phase: PhaseSummary },
    /// Signing is open, but there is no version to sign.
    #[error("{} need a published version, and none has been published", action.noun())]
    NothingToSign { action: Action },
}

fn time(at: &DateTime<Utc>) -> String {
    if at.timestamp() % 60 == 0 {
        at.format("%Y-%m-%d %H:%M UTC").to_string()
    } else {
        at.format("%Y-%m-%d %H:%M:%S UTC").to_string()
    }
}

fn kind_label(kind: PhaseKind) -> &'static str {
    match kind {
        PhaseKind::Consultation => "consultation",
        PhaseKind::Drafting => "drafting",
        PhaseKind::FinalSession => "final session",
        PhaseKind::Signing => "signing window",
    }
}

fn in_phase(phase: &PhaseSummary) -> String {
    format!("phase \"{}\" ({}, until {})", phase.id, kind_label(phase.kind), time(&phase.deadline))
}

fn standing_text(standing: &Standing) -> String {
    match standing {
        Standing::In { phase } => format!("the negotiation is in {}", in_phase(phase)),
        Standing::NotStarted { first: Some(first) } => {
            format!("the negotiation has not started; its first phase \"{}\" begins {}", first.id, time(&first.start))
        }
        Standing::NotStarted { first: None } => "the negotiation has no timetable".to_string(),
    }
}

fn out_of_phase(action: Action, standing: &Standing, opening: &Opening) -> String {
    let noun = action.noun();
    let standing = standing_text(standing);
    match opening {
        Opening::Later { phase, from, .. } => {
            format!("{noun} open in phase \"{phase}\" (from {}); {standing}", time(from))
        }
        Opening::Earlier { phase } => {
            format!("{noun} are closed: {standing}; they were open until the end of \"{phase}\"")
        }
        Opening::Never if action == Action::SignFinal => {
            format!("{noun} need a signing phase, and the timetable has none; {standing}")
        }
        Opening::Never => format!("{noun} are closed: {standing}; no phase of the timetable allows them"),
    }
}

fn ended(ending: &Ending) -> String {
    match ending {
        Ending::Closed { at, number } => {
            format!("the negotiation closed at {} when every signatory had signed version {number}", time(at))
        }
        Ending::Lapsed { at, phase, unsigned } if unsigned.is_empty() => {
            format!("the negotiation lapsed at {} when phase \"{phase}\" ended", time(at))
        }
        Ending::Lapsed { at, phase, unsigned } => format!(
            "the negotiation lapsed at {} when phase \"{phase}\" ended without the signature of {}",
            time(at),
            unsigned.join(", ")
        ),
    }
}

fn no_next_phase(action: Action, phase: &PhaseSummary) -> String {
    let noun = action.noun();
    if phase.kind == PhaseKind::Signing {
        format!(
            "{noun} are not possible in {}: a signing window ends at its deadline or when every signatory has signed",
            in_phase(phase)
        )
    } else {
        format!("{noun} are not possible: {} is the last phase; it ends by itself at its deadline", in_phase(phase))
    }
}

/// Whether the timetable allows `action` at `now`. The phase is the one the
/// negotiation is in once the transitions [`due`] at `now` are appended.
pub fn allowed(state: &State, action: Action, now: DateTime<Utc>) -> Result<(), PhaseRefusal> {
    let mut cursor = Cursor::new(state);
    cursor.run(now);
    let phases = cursor.phases();
    let index = match cursor.stage {
        Stage::Closed { at } => {
            let number = match &state.status {
                Status::Closed { number, .. } => *number,
                _ => state.latest_version().map_or(0, |v| v.number),
            };
            return Err(PhaseRefusal::Ended { action, ending: Ending::Closed { at, number } });
        }
        Stage::Lapsed { phase, at } => {
            let ending = match &state.status {
                Status::Lapsed { phase, unsigned, at, .. } => {
                    Ending::Lapsed { at: *at, phase: phase.clone(), unsigned: unsigned.clone() }
                }
                _ => Ending::Lapsed {
                    at,
                    phase: phases.get(phase).map(|p| p.id.clone()).unwrap_or_default(),
                    unsigned: state.unsigned_signatories(),
                },
            };
            return Err(PhaseRefusal::Ended { action, ending });
        }
        Stage::NotStarted => None,
        Stage::In(index) => Some(index),
    };
    if phases.is_empty() && matches!(action, Action::AdvancePhase | Action::ExtendDeadline) {
        return Err(PhaseRefusal::NoTimetable { action });
    }
    let summary =
        |i: usize| PhaseSummary { id: phases[i].id.clone(), kind: phases[i].kind, deadline: cursor.deadline(i) };
    if action == Action::AdvancePhase
        && let Some(i) = index
        && (phases[i].kind == PhaseKind::Signing || i + 1 == phases.len())
    {
        return Err(PhaseRefusal::NoNextPhase { action, phase: summary(i) });
    }
    if action.open_in(index.map(|i| phases[i].kind)) {
        if action == Action::SignFinal && state.latest_version().is_none() {
            return Err(PhaseRefusal::NothingToSign { action });
        }
        return Ok(());
    }
    let standing = match index {
        Some(i) => Standing::In { phase: summary(i) },
        None => Standing::NotStarted { first: phases.first().map(|p| FirstPhase { id: p.id.clone(), start: p.start }) },
    };
    let opening = opening(&cursor, index, action);
    Err(PhaseRefusal::OutOfPhase { action, standing, opening })
}

/// The nearest phase that allows `action`: a reachable later one, else the
/// last earlier one.
fn opening(cursor: &Cursor<'_>, index: Option<usize>, action: Action) -> Opening {
    let phases = cursor.phases();
    let ahead = index.map_or(0, |i| i + 1);
    // Entering phase j waits for every deadline before it, and for nothing
    // else; the phase's own start is a promise the timetable made, so the
    // later of the two is a time by which it is certainly open.
    let mut opens_by = match index {
        Some(i) => cursor.deadline(i),
        None => phases.first().map_or(DateTime::<Utc>::MIN_UTC, |p| p.start),
    };
    for (j, phase) in phases.iter().enumerate().skip(ahead) {
        if action.open_in(Some(phase.kind)) {
            return Opening::Later { phase: phase.id.clone(), kind: phase.kind, from: opens_by.max(phase.start) };
        }
        // Nothing follows a signing window.
        if phase.kind == PhaseKind::Signing {
            break;
        }
        opens_by = opens_by.max(cursor.deadline(j));
    }
    let earlier = phases[..index.unwrap_or(0)].iter().rev().find(|p| action.open_in(Some(p.kind)));
    match earlier {
        Some(phase) => Opening::Earlier { phase: phase.id.clone() },
        None => Opening::Never,
    }
}

/// A point in the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Moment {
    pub position: u64,
    pub at: DateTime<Utc>,
}

/// One party's response to one version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartyEngagement {
    pub party: String,
    pub role: Role,
    /// Its first acknowledgement of the version.
    pub acknowledged: Option<Moment>,
    /// Its final signature of the version (signatories only).
    pub signed: Option<Moment>,
}

/// Who responded to one published version, and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionEngagement {
    pub number: u32,
    pub content_hash: String,
    pub published: Moment,
    /// Every party of the negotiation, in party order.
    pub parties: Vec<PartyEngagement>,
}

/// The engagement record: per published version (oldest first), per party,
/// when it acknowledged (and signed) the version, if it did.
pub fn engagement(state: &State) -> Vec<VersionEngagement> {
    state
        .versions
        .iter()
        .map(|version| VersionEngagement {
            number: version.number,
            content_hash: version.content_hash.clone(),
            published: Moment { position: version.position, at: version.at },
            parties: state
                .negotiation
                .parties
                .iter()
                .map(|party| PartyEngagement {
                    party: party.id.clone(),
                    role: party.role,
                    acknowledged: state
                        .acknowledgements
                        .iter()
                        .find(|a| a.party == party.id && a.number == version.number)
                        .map(|a| Moment { position: a.position, at: a.at }),
                    signed: state
                        .signatures
                        .iter()
                        .find(|s| s.party == party.id && s.number == version.number)
                        .map(|s| Moment { position: s.position, at: s.at }),
                })
                .collect(),
        })
        .collect()
}
