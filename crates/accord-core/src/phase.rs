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
                // The negotiation lapsed at the deadline, however late the
                // server noticed.
                let index = phases.iter().position(|p| &p.id == phase);
                let at = index.map_or(*at, |i| state.phase_deadline(&phases[i]));
                Stage::Lapsed { phase: index.unwrap_or(0), at }
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

/// The deadline reminder owed at `now`, as the `RemindersSent` payload to log
/// (actor System) before sending it: `None` unless the current phase's
/// deadline is in the future and no more than `lead` away, and some seated
/// party still owes the latest version something. In a signing phase that is
/// a signature from each signatory that has not signed it; otherwise an
/// acknowledgement from each party but observers. A party is reminded once
/// per (phase, deadline), so an extension earns a new reminder. A party
/// whose seat nobody holds has nobody to remind, so it is left out until
/// someone takes the seat.
///
/// Call it on a state with the transitions [`due`] at `now` already logged.
pub fn reminders_due(state: &State, now: DateTime<Utc>, lead: chrono::Duration) -> Option<Payload> {
    if !state.status.is_open() {
        return None;
    }
    let current = current(state)?;
    if current.deadline <= now || current.deadline - now > lead {
        return None;
    }
    let latest = state.latest_version()?;
    let (owing, awaited): (Vec<String>, String) = if current.phase.kind == PhaseKind::Signing {
        (state.unsigned_signatories(), format!("sign version {}", latest.number))
    } else {
        let owing = state
            .negotiation
            .parties
            .iter()
            .filter(|p| p.role != Role::Observer)
            .filter(|p| !state.acknowledgements.iter().any(|a| a.party == p.id && a.number == latest.number))
            .map(|p| p.id.clone())
            .collect();
        (owing, format!("acknowledge version {}", latest.number))
    };
    let already_reminded = |party: &str| {
        state.reminders.iter().any(|r| {
            r.phase == current.phase.id && r.deadline == current.deadline && r.parties.iter().any(|p| p == party)
        })
    };
    let parties: Vec<String> = owing
        .into_iter()
        .filter(|party| state.accounts_of_party(party).next().is_some())
        .filter(|party| !already_reminded(party))
        .collect();
    if parties.is_empty() {
        return None;
    }
    Some(Payload::RemindersSent { phase: current.phase.id.clone(), deadline: current.deadline, parties, awaited })
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
                Status::Lapsed { phase, unsigned, .. } => {
                    Ending::Lapsed { at, phase: phase.clone(), unsigned: unsigned.clone() }
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
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
pub struct Moment {
    pub position: u64,
    pub at: DateTime<Utc>,
}

/// One party's response to one version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
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
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
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

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use chrono::{Duration, TimeZone};
    use proptest::prelude::*;

    use super::*;
    use crate::event::{Actor, Event};
    use crate::model::{Negotiation, Package, Party, Position, Provision, Stance, Timetable};

    fn utc(day: u32, hour: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, day, hour, 0, 0).single().unwrap()
    }

    fn phase(id: &str, kind: PhaseKind, start: DateTime<Utc>, end: DateTime<Utc>) -> Phase {
        Phase { id: id.into(), name: id.to_uppercase(), kind, start, end }
    }

    /// A peace framework's timetable: consultation, two drafting rounds, a
    /// final session, a signing window.
    fn timetable() -> Timetable {
        Timetable {
            phases: vec![
                phase("consultation", PhaseKind::Consultation, utc(2, 9), utc(6, 18)),
                phase("round-1", PhaseKind::Drafting, utc(7, 9), utc(10, 18)),
                phase("round-2", PhaseKind::Drafting, utc(11, 9), utc(14, 18)),
                phase("final-session", PhaseKind::FinalSession, utc(16, 9), utc(17, 18)),
                phase("signing", PhaseKind::Signing, utc(18, 9), utc(20, 18)),
            ],
        }
    }

    fn negotiation(timetable: Timetable) -> Negotiation {
        let party = |id: &str, role| Party { id: id.into(), name: id.to_uppercase(), role };
        Negotiation {
            id: "peace".into(),
            title: "Peace framework".into(),
            description: String::new(),
            parties: vec![
                party("un", Role::Mediator),
                party("ua", Role::Signatory),
                party("ru", Role::Signatory),
                party("eu", Role::Consulted),
                party("press", Role::Observer),
            ],
            issues: Vec::new(),
            provisions: vec![Provision {
                id: "art-1".into(),
                number: "1".into(),
                heading: "Ceasefire".into(),
                body: "Hostilities cease.".into(),
                wordings: Vec::new(),
            }],
            constraints: Vec::new(),
            timetable,
            profiles: Vec::new(),
            stances: Vec::new(),
            privacy: Default::default(),
        }
    }

    const SIGNATORIES: [&str; 2] = ["ua", "ru"];

    /// A log being written the way the server writes it: the clock's due
    /// transitions first, then the action, then whatever the action made due.
    struct Log {
        events: Vec<Event>,
        state: State,
    }

    impl Log {
        fn new(timetable: Timetable) -> Log {
            let created = Event {
                position: 0,
                actor: Actor::System,
                at: utc(1, 9),
                payload: Payload::Created { negotiation: negotiation(timetable), creator_party: "un".into() },
                salt: None,
            };
            let state = State::genesis(&created).unwrap();
            Log { events: vec![created], state }
        }

        fn append(&mut self, actor: Actor, payload: Payload, at: DateTime<Utc>) {
            let event = Event { position: self.state.size, actor, at, payload, salt: None };
            self.state.apply(&event).unwrap_or_else(|e| panic!("{e}"));
            self.events.push(event);
        }

        fn tick(&mut self, now: DateTime<Utc>) -> Vec<Payload> {
            let due = due(&self.state, now);
            for payload in &due {
                self.append(Actor::System, payload.clone(), now);
            }
            due
        }

        fn act(&mut self, payload: Payload, now: DateTime<Utc>) {
            self.tick(now);
            self.append(Actor::System, payload, now);
            self.tick(now);
        }

        fn publish(&mut self, now: DateTime<Utc>) {
            let version = crate::text::render(&self.state.negotiation, &Package(Vec::new())).unwrap();
            let number = self.state.versions.len() as u32 + 1;
            let payload = Payload::VersionPublished {
                status: Default::default(),
                number,
                package: Package(Vec::new()),
                content_hash: version.content_hash_hex(),
                version,
            };
            self.act(payload, now);
        }

        fn register_keys(&mut self, now: DateTime<Utc>) {
            for (i, party) in SIGNATORIES.iter().enumerate() {
                let public_key = format!("{:02x}", i + 1).repeat(32);
                self.act(Payload::KeyRegistered { party: (*party).into(), public_key, signature: None }, now);
            }
        }

        fn sign(&mut self, party: &str, now: DateTime<Utc>) {
            let latest = self.state.latest_version().unwrap();
            let payload = Payload::FinalTextSigned {
                party: party.into(),
                number: latest.number,
                content_hash: latest.content_hash.clone(),
                signature: "ab".repeat(64),
            };
            self.act(payload, now);
        }

        /// The log up to the moment the signing window opens, version 1 published.
        fn ready_to_sign() -> Log {
            let mut log = Log::new(timetable());
            log.register_keys(utc(1, 10));
            log.publish(utc(12, 9));
            log.tick(utc(18, 9));
            log
        }
    }

    fn phase_of(state: &State) -> Option<&str> {
        current(state).map(|c| c.phase.id.as_str())
    }

    fn entered_phases(payloads: &[Payload]) -> Vec<String> {
        payloads
            .iter()
            .map(|p| match p {
                Payload::PhaseEntered { phase, reason: None } => format!("enter {phase}"),
                Payload::Lapsed { phase, unsigned } => format!("lapse {phase} {unsigned:?}"),
                Payload::Closed { number, .. } => format!("close {number}"),
                other => format!("unexpected {}", other.kind()),
            })
            .collect()
    }

    #[test]
    fn the_clock_starts_the_first_phase_at_its_start_and_not_before() {
        let mut log = Log::new(timetable());
        assert!(due(&log.state, utc(2, 8)).is_empty());
        assert_eq!(phase_of(&log.state), None);
        assert_eq!(entered_phases(&log.tick(utc(2, 9))), ["enter consultation"]);
        assert_eq!(phase_of(&log.state), Some("consultation"));
        let now = current(&log.state).unwrap();
        assert_eq!((now.index, now.deadline, now.entered_at), (0, utc(6, 18), utc(2, 9)));
        assert!(due(&log.state, utc(6, 17)).is_empty());
    }

    #[test]
    fn a_server_down_across_deadlines_owes_every_transition_in_order() {
        let mut log = Log::new(timetable());
        log.tick(utc(2, 9));
        let owed = log.tick(utc(16, 12));
        assert_eq!(entered_phases(&owed), ["enter round-1", "enter round-2", "enter final-session"]);
        assert!(due(&log.state, utc(16, 12)).is_empty(), "due is empty once appended");
        // Down from before the start until after the end: it lapses, nobody having signed.
        let mut log = Log::new(timetable());
        let owed = log.tick(utc(25, 0));
        assert_eq!(
            entered_phases(&owed),
            [
                "enter consultation",
                "enter round-1",
                "enter round-2",
                "enter final-session",
                "enter signing",
                "lapse signing [\"ua\", \"ru\"]"
            ]
        );
        assert!(matches!(log.state.status, Status::Lapsed { .. }));
        assert!(due(&log.state, utc(28, 0)).is_empty());
    }

    #[test]
    fn a_deadline_passing_enters_the_next_phase_at_once_and_extensions_postpone_it() {
        let mut log = Log::new(timetable());
        log.tick(utc(2, 9));
        // The gap before round-1's own start belongs to round-1.
        assert_eq!(entered_phases(&due(&log.state, utc(6, 18))), ["enter round-1"]);
        let extension = Payload::DeadlineExtended { phase: "consultation".into(), end: utc(7, 12), reason: "r".into() };
        log.act(extension, utc(6, 12));
        assert_eq!(deadline(&log.state, "consultation"), Some(utc(7, 12)));
        assert_eq!(current(&log.state).unwrap().deadline, utc(7, 12));
        assert!(due(&log.state, utc(7, 11)).is_empty());
        assert_eq!(entered_phases(&due(&log.state, utc(7, 12))), ["enter round-1"]);
        assert_eq!(deadline(&log.state, "nowhere"), None);
    }

    #[test]
    fn the_last_signature_closes_the_negotiation_even_if_noticed_late() {
        let mut log = Log::ready_to_sign();
        assert_eq!(phase_of(&log.state), Some("signing"));
        log.sign("ua", utc(19, 9));
        assert!(log.state.status.is_open());
        // The server appends the close with the last signature.
        log.sign("ru", utc(19, 10));
        assert!(
            matches!(log.state.status, Status::Closed { number: 1, position, .. } if position + 1 == log.state.size)
        );
        assert!(due(&log.state, utc(30, 0)).is_empty());

        // A state folded only up to the last signature still owes the close, past the deadline too.
        let unclosed = State::from_events(&log.events[..log.events.len() - 1]).unwrap();
        assert_eq!(entered_phases(&due(&unclosed, utc(25, 0))), ["close 1"]);
    }

    #[test]
    fn a_last_phase_that_is_not_a_signing_window_lapses_too() {
        let mut short = timetable();
        short.phases.truncate(2);
        let mut log = Log::new(short);
        assert_eq!(
            entered_phases(&log.tick(utc(10, 18))),
            ["enter consultation", "enter round-1", "lapse round-1 [\"ua\", \"ru\"]"]
        );
    }

    #[test]
    fn without_a_timetable_nothing_moves_and_nothing_but_signing_is_gated() {
        let mut log = Log::new(Timetable::default());
        log.publish(utc(2, 9));
        assert!(due(&log.state, utc(28, 0)).is_empty());
        for action in Action::ALL {
            let result = allowed(&log.state, action, utc(28, 0));
            match action {
                Action::SignFinal => assert_eq!(
                    result.unwrap_err().to_string(),
                    "signatures need a signing phase, and the timetable has none; the negotiation has no timetable"
                ),
                Action::AdvancePhase | Action::ExtendDeadline => {
                    assert_eq!(result, Err(PhaseRefusal::NoTimetable { action }))
                }
                _ => assert_eq!(result, Ok(()), "{action:?}"),
            }
        }
    }

    /// Which actions each phase allows, written out: a change of the rules is
    /// a visible change of this table.
    #[test]
    fn each_phase_allows_what_the_design_says() {
        use Action as A;
        let drafting = [A::EditDraft, A::Publish, A::RecordStance, A::Comment, A::SetProfile, A::ChangeReservation];
        let always = [A::Invite, A::RegisterKey, A::RotateKey, A::Acknowledge, A::ExtendDeadline];
        let check = |log: &Log, now, expect_open: &[A], label: &str| {
            for action in Action::ALL {
                let open = allowed(&log.state, action, now).is_ok();
                assert_eq!(open, expect_open.contains(&action), "{action:?} at {label}");
            }
        };
        let mut log = Log::new(timetable());
        log.publish(utc(1, 12));
        let before: Vec<A> = drafting.iter().chain(&always).chain(&[A::AdvancePhase]).copied().collect();
        check(&log, utc(1, 12), &before, "not started");
        for (day, label) in [(3, "consultation"), (8, "round-1"), (12, "round-2"), (17, "final-session")] {
            log.tick(utc(day, 12));
            assert_eq!(phase_of(&log.state), Some(label));
            check(&log, utc(day, 12), &before, label);
        }
        log.tick(utc(19, 12));
        let signing: Vec<A> = always.iter().chain(&[A::SignFinal]).copied().collect();
        check(&log, utc(19, 12), &signing, "signing");
        log.tick(utc(21, 0));
        check(&log, utc(21, 0), &[], "lapsed");
    }

    #[test]
    fn refusals_name_the_phase_its_deadline_and_when_the_action_opens() {
        let mut log = Log::new(timetable());
        log.publish(utc(1, 12));
        log.tick(utc(12, 9));
        assert_eq!(
            allowed(&log.state, Action::SignFinal, utc(12, 9)),
            Err(PhaseRefusal::OutOfPhase {
                action: Action::SignFinal,
                standing: Standing::In {
                    phase: PhaseSummary { id: "round-2".into(), kind: PhaseKind::Drafting, deadline: utc(14, 18) }
                },
                opening: Opening::Later { phase: "signing".into(), kind: PhaseKind::Signing, from: utc(18, 9) },
            })
        );
        log.tick(utc(18, 10));
        assert_eq!(
            allowed(&log.state, Action::RecordStance, utc(18, 10)),
            Err(PhaseRefusal::OutOfPhase {
                action: Action::RecordStance,
                standing: Standing::In {
                    phase: PhaseSummary { id: "signing".into(), kind: PhaseKind::Signing, deadline: utc(20, 18) }
                },
                opening: Opening::Earlier { phase: "final-session".into() },
            })
        );
        assert!(matches!(
            allowed(&log.state, Action::AdvancePhase, utc(18, 10)),
            Err(PhaseRefusal::NoNextPhase { phase: PhaseSummary { kind: PhaseKind::Signing, .. }, .. })
        ));
    }

    #[test]
    fn an_extension_moves_when_later_phases_open() {
        let mut log = Log::new(timetable());
        log.tick(utc(16, 12));
        let extension =
            Payload::DeadlineExtended { phase: "final-session".into(), end: utc(18, 18), reason: "r".into() };
        log.act(extension, utc(16, 12));
        let refusal = allowed(&log.state, Action::SignFinal, utc(16, 12)).unwrap_err();
        assert!(
            matches!(refusal, PhaseRefusal::OutOfPhase { opening: Opening::Later { from, .. }, .. } if from == utc(18, 18))
        );
    }

    #[test]
    fn signing_needs_a_published_version() {
        let mut log = Log::new(timetable());
        log.tick(utc(19, 0));
        assert_eq!(
            allowed(&log.state, Action::SignFinal, utc(19, 0)),
            Err(PhaseRefusal::NothingToSign { action: Action::SignFinal })
        );
    }

    #[test]
    fn the_last_non_signing_phase_cannot_be_advanced() {
        let mut short = timetable();
        short.phases.truncate(2);
        let mut log = Log::new(short);
        log.tick(utc(8, 0));
        let refusal = allowed(&log.state, Action::AdvancePhase, utc(8, 0)).unwrap_err();
        assert!(matches!(refusal, PhaseRefusal::NoNextPhase { ref phase, .. } if phase.id == "round-1"), "{refusal}");
        log.tick(utc(1, 0) + Duration::days(40));
        assert!(matches!(
            allowed(&log.state, Action::Invite, utc(28, 0)),
            Err(PhaseRefusal::Ended { ending: Ending::Lapsed { .. }, .. })
        ));
    }

    #[test]
    fn a_stale_state_is_judged_as_if_the_due_transitions_were_logged() {
        let mut log = Log::ready_to_sign();
        log.sign("ua", utc(19, 9));
        let stale = log.state.clone();
        log.tick(utc(21, 0));
        for action in Action::ALL {
            let logged = allowed(&log.state, action, utc(21, 0));
            assert_eq!(allowed(&stale, action, utc(21, 0)), logged, "{action:?}");
            assert_eq!(
                logged,
                Err(PhaseRefusal::Ended {
                    action,
                    ending: Ending::Lapsed { at: utc(20, 18), phase: "signing".into(), unsigned: vec!["ru".into()] }
                })
            );
        }
    }

    #[test]
    fn refusal_messages_read_as_sentences() {
        let mut lines = Vec::new();
        let mut say = |label: &str, log: &Log, action: Action, now: DateTime<Utc>| {
            let refusal = allowed(&log.state, action, now).unwrap_err();
            lines.push(format!("{label}:\n  {refusal}"));
        };
        let mut log = Log::new(timetable());
        say("a signature before the start", &log, Action::SignFinal, utc(1, 12));
        log.register_keys(utc(1, 12));
        log.publish(utc(12, 9));
        say("a signature in round 2", &log, Action::SignFinal, utc(12, 9));
        log.tick(utc(18, 10));
        say("a stance in the signing window", &log, Action::RecordStance, utc(18, 10));
        say("a new version in the signing window", &log, Action::Publish, utc(18, 10));
        say("advancing the signing window", &log, Action::AdvancePhase, utc(18, 10));
        let mut lapsing = Log { events: log.events.clone(), state: log.state.clone() };
        lapsing.sign("ua", utc(19, 9));
        say("a comment after the window lapsed", &lapsing, Action::Comment, utc(21, 0));
        log.sign("ua", utc(19, 9));
        log.sign("ru", utc(19, 10));
        say("a key rotation after the close", &log, Action::RotateKey, utc(19, 11));
        let mut signing_only = timetable();
        signing_only.phases.drain(..4);
        let mut log = Log::new(signing_only);
        log.tick(utc(19, 0));
        say("a draft edit when the timetable is only a signing window", &log, Action::EditDraft, utc(19, 0));
        let mut no_signing = timetable();
        no_signing.phases.truncate(4);
        let mut log = Log::new(no_signing);
        log.tick(utc(12, 0));
        say("a signature when the timetable has no signing window", &log, Action::SignFinal, utc(12, 0));
        say("advancing without a timetable", &Log::new(Timetable { phases: vec![] }), Action::AdvancePhase, utc(1, 0));
        insta::assert_snapshot!("refusals", lines.join("\n"));
    }

    #[test]
    fn the_engagement_record_says_who_acknowledged_and_signed_which_version_when() {
        let mut log = Log::ready_to_sign();
        let v1 = log.state.version(1).unwrap().clone();
        let ack = Payload::VersionAcknowledged {
            party: "ua".into(),
            number: 1,
            content_hash: v1.content_hash.clone(),
            checkpoint_size: log.state.size,
            checkpoint_root: "cd".repeat(32),
            signature: "ef".repeat(64),
        };
        log.act(ack.clone(), utc(18, 12));
        let ack_position = log.state.size - 1;
        log.act(ack, utc(18, 13));
        log.sign("ua", utc(19, 9));
        let record = engagement(&log.state);
        assert_eq!(record.len(), 1);
        assert_eq!((record[0].number, record[0].published), (1, Moment { position: v1.position, at: utc(12, 9) }));
        let by_party: Vec<(&str, Option<Moment>, Option<Moment>)> =
            record[0].parties.iter().map(|p| (p.party.as_str(), p.acknowledged, p.signed)).collect();
        let ack_moment = Some(Moment { position: ack_position, at: utc(18, 12) });
        let sign_moment = Some(Moment { position: log.state.size - 1, at: utc(19, 9) });
        assert_eq!(
            by_party,
            vec![
                ("un", None, None),
                ("ua", ack_moment, sign_moment),
                ("ru", None, None),
                ("eu", None, None),
                ("press", None, None)
            ]
        );
        assert!(engagement(&Log::new(timetable()).state).is_empty());
    }

    impl Log {
        fn seat(&mut self, party: &str, now: DateTime<Utc>) {
            let role = self.state.negotiation.party(party).unwrap().role;
            let token_hash = format!("token-{party}");
            let expires_at = now + Duration::days(1);
            self.act(
                Payload::PartyInvited { party: party.into(), role, token_hash: token_hash.clone(), expires_at },
                now,
            );
            self.act(
                Payload::InvitationAccepted { party: party.into(), account: format!("acc-{party}"), token_hash },
                now,
            );
        }

        fn acknowledge(&mut self, party: &str, now: DateTime<Utc>) {
            let latest = self.state.latest_version().unwrap();
            let payload = Payload::VersionAcknowledged {
                party: party.into(),
                number: latest.number,
                content_hash: latest.content_hash.clone(),
                checkpoint_size: self.state.size,
                checkpoint_root: "cd".repeat(32),
                signature: "ef".repeat(64),
            };
            self.act(payload, now);
        }

        /// Logs the reminder due at `now`, as the server does before sending it.
        fn remind(&mut self, now: DateTime<Utc>) -> Option<(Vec<String>, String)> {
            let payload = reminders_due(&self.state, now, Duration::hours(24))?;
            let Payload::RemindersSent { parties, awaited, .. } = &payload else {
                panic!("unexpected {}", payload.kind());
            };
            let shown = (parties.clone(), awaited.clone());
            self.append(Actor::System, payload, now);
            Some(shown)
        }
    }

    fn reminded(parties: &[&str], awaited: &str) -> Option<(Vec<String>, String)> {
        Some((parties.iter().map(|p| p.to_string()).collect(), awaited.to_string()))
    }

    #[test]
    fn a_reminder_goes_once_per_deadline_to_seated_parties_that_have_not_acknowledged() {
        let mut log = Log::new(timetable());
        let lead = Duration::hours(24);
        for party in ["un", "ua", "eu", "press"] {
            log.seat(party, utc(1, 9));
        }
        log.register_keys(utc(1, 10));
        log.tick(utc(2, 9));
        assert_eq!(reminders_due(&log.state, utc(5, 18), lead), None, "nothing is published: nothing is awaited");
        log.publish(utc(3, 9));
        log.acknowledge("ua", utc(3, 10));
        // The consultation ends at 6 March 18:00.
        assert_eq!(reminders_due(&log.state, utc(5, 17), lead), None, "25 hours before the deadline");
        let due = reminders_due(&log.state, utc(5, 18), lead).unwrap();
        assert_eq!(
            due,
            Payload::RemindersSent {
                phase: "consultation".into(),
                deadline: utc(6, 18),
                parties: vec!["un".into(), "eu".into()],
                awaited: "acknowledge version 1".into(),
            },
            "ua acknowledged, ru's seat is empty, press observes"
        );
        assert_eq!(log.remind(utc(5, 18)), reminded(&["un", "eu"], "acknowledge version 1"));
        assert_eq!(reminders_due(&log.state, utc(6, 0), lead), None, "each party is reminded once");
        assert_eq!(log.state.reminders.len(), 1);

        // A seat taken after the reminder went out earns its own.
        log.seat("ru", utc(6, 1));
        assert_eq!(log.remind(utc(6, 1)), reminded(&["ru"], "acknowledge version 1"));
        assert_eq!(reminders_due(&log.state, utc(6, 2), lead), None);
        assert_eq!(reminders_due(&log.state, utc(6, 18), lead), None, "the deadline has passed");

        // An extension is a new deadline, and a new reminder for whoever still owes.
        let extension = Payload::DeadlineExtended { phase: "consultation".into(), end: utc(7, 0), reason: "r".into() };
        log.act(extension, utc(6, 2));
        log.act(Payload::KeyRegistered { party: "eu".into(), public_key: "0e".repeat(32), signature: None }, utc(6, 3));
        log.acknowledge("eu", utc(6, 3));
        assert_eq!(log.remind(utc(6, 4)), reminded(&["un", "ru"], "acknowledge version 1"));
        assert_eq!(reminders_due(&log.state, utc(6, 5), lead), None);
        assert_eq!(log.state.reminders.last().unwrap().deadline, utc(7, 0));
    }

    #[test]
    fn in_the_signing_window_only_signatories_that_have_not_signed_are_reminded() {
        let mut log = Log::new(timetable());
        let lead = Duration::hours(24);
        for party in ["un", "ua", "ru", "eu", "press"] {
            log.seat(party, utc(1, 9));
        }
        log.register_keys(utc(1, 10));
        log.publish(utc(12, 9));
        log.tick(utc(18, 9));
        log.sign("ua", utc(19, 9));
        // The window ends at 20 March 18:00; eu never acknowledged, but it does not sign.
        assert_eq!(reminders_due(&log.state, utc(19, 17), lead), None);
        assert_eq!(log.remind(utc(19, 18)), reminded(&["ru"], "sign version 1"));
        assert_eq!(reminders_due(&log.state, utc(20, 17), lead), None);
        log.sign("ru", utc(20, 17));
        assert!(!log.state.status.is_open());
        assert_eq!(reminders_due(&log.state, utc(20, 17), lead), None, "a closed negotiation awaits nothing");
    }

    #[derive(Debug, Clone)]
    enum Step {
        /// The clock moves on by this many minutes.
        Wait(u32),
        /// The mediator ends the current phase early.
        Advance,
        /// The mediator extends the current (or the next, if `true`) phase by minutes.
        Extend(u32, bool),
        Sign(usize),
        Publish,
        Stance,
    }

    fn steps() -> impl Strategy<Value = Vec<Step>> {
        let step = prop_oneof![
            3 => (0u32..400).prop_map(Step::Wait),
            1 => Just(Step::Advance),
            1 => (1u32..300, any::<bool>()).prop_map(|(m, next)| Step::Extend(m, next)),
            3 => (0usize..2).prop_map(Step::Sign),
            1 => Just(Step::Publish),
            1 => Just(Step::Stance),
        ];
        proptest::collection::vec(step, 0..80)
    }

    fn timetables() -> impl Strategy<Value = Timetable> {
        let kind = prop_oneof![
            Just(PhaseKind::Consultation),
            Just(PhaseKind::Drafting),
            Just(PhaseKind::FinalSession),
            Just(PhaseKind::Signing),
        ];
        let phases = proptest::collection::vec((kind, 0u32..60, 1u32..300), 1..6);
        (phases, any::<bool>()).prop_map(|(phases, last_signs)| {
            let mut start = utc(2, 9);
            let count = phases.len();
            let phases = phases
                .into_iter()
                .enumerate()
                .map(|(i, (kind, gap, length))| {
                    start += Duration::minutes(i64::from(gap));
                    let end = start + Duration::minutes(i64::from(length));
                    let kind = if i + 1 == count && last_signs { PhaseKind::Signing } else { kind };
                    let phase = phase(&format!("p{i}"), kind, start, end);
                    start = end;
                    phase
                })
                .collect();
            Timetable { phases }
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]
        #[test]
        fn a_random_run_moves_forward_keeps_its_deadlines_and_ends_closed_iff_all_signed_in_the_window(
            timetable in timetables(),
            steps in steps(),
        ) {
            let phases = timetable.phases.clone();
            let mut log = Log::new(timetable);
            let mut now = utc(2, 8);
            log.register_keys(now);
            log.publish(now);
            let mut entered = 0;
            // The test's own record of accepted signatures: (party, version, at).
            let mut signatures: Vec<(String, u32, DateTime<Utc>)> = Vec::new();
            for step in steps {
                if let Step::Wait(minutes) = step {
                    now += Duration::minutes(i64::from(minutes));
                }
                let stale = log.state.clone();
                log.tick(now);
                prop_assert!(due(&log.state, now).is_empty(), "due is idempotent");
                for action in Action::ALL {
                    prop_assert_eq!(allowed(&stale, action, now), allowed(&log.state, action, now));
                }
                // Forward only, and no phase outstays its deadline.
                prop_assert!(log.state.phases.entered.len() >= entered);
                entered = log.state.phases.entered.len();
                if log.state.status.is_open() {
                    match current(&log.state) {
                        Some(c) => prop_assert!(c.deadline > now, "{} outstayed {}", c.phase.id, c.deadline),
                        None => prop_assert!(phases[0].start > now),
                    }
                }
                let kind = current(&log.state).map(|c| c.phase.kind);
                let open = log.state.status.is_open();
                match step {
                    Step::Wait(_) => {}
                    Step::Advance => {
                        let next = current(&log.state).map_or(0, |c| c.index + 1);
                        let expected = open && kind != Some(PhaseKind::Signing) && next < phases.len();
                        let verdict = allowed(&log.state, Action::AdvancePhase, now);
                        prop_assert_eq!(verdict.is_ok(), expected, "{:?}", verdict);
                        if expected {
                            let payload = Payload::PhaseEntered { phase: phases[next].id.clone(), reason: Some("early".into()) };
                            log.act(payload, now);
                        }
                    }
                    Step::Extend(minutes, ahead) => {
                        let verdict = allowed(&log.state, Action::ExtendDeadline, now);
                        prop_assert_eq!(verdict.is_ok(), open);
                        let index = current(&log.state).map_or(0, |c| c.index) + usize::from(ahead);
                        if open && let Some(target) = phases.get(index) {
                            let end = deadline(&log.state, &target.id).unwrap() + Duration::minutes(i64::from(minutes));
                            log.act(Payload::DeadlineExtended { phase: target.id.clone(), end, reason: "time".into() }, now);
                        }
                    }
                    Step::Sign(who) => {
                        let party = SIGNATORIES[who];
                        let verdict = allowed(&log.state, Action::SignFinal, now);
                        prop_assert_eq!(verdict.is_ok(), open && kind == Some(PhaseKind::Signing), "{:?}", verdict);
                        let number = log.state.latest_version().unwrap().number;
                        let again = signatures.iter().any(|(p, n, _)| p == party && *n == number);
                        if verdict.is_ok() && !again {
                            log.sign(party, now);
                            signatures.push((party.to_string(), number, now));
                        }
                    }
                    Step::Publish => {
                        let verdict = allowed(&log.state, Action::Publish, now);
                        prop_assert_eq!(verdict.is_ok(), open && kind != Some(PhaseKind::Signing));
                        if verdict.is_ok() {
                            log.publish(now);
                        }
                    }
                    Step::Stance => {
                        let verdict = allowed(&log.state, Action::RecordStance, now);
                        prop_assert_eq!(verdict.is_ok(), open && kind != Some(PhaseKind::Signing));
                        if verdict.is_ok() {
                            let stance = Stance {
                                party: "ua".into(),
                                provision: "art-1".into(),
                                position: Position::Acceptable,
                                reason: None,
                                pin: None,
                            };
                            log.act(Payload::StanceRecorded { stance }, now);
                        }
                    }
                }
            }
            // Long after every deadline the run has ended one way or the other.
            now += Duration::days(365);
            log.tick(now);
            prop_assert!(!log.state.status.is_open());
            prop_assert_eq!(&State::from_events(&log.events).unwrap(), &log.state);

            // The signing window as the log records it: entered, and its deadline as extended.
            let window = log.events.iter().find_map(|e| match &e.payload {
                Payload::PhaseEntered { phase, .. }
                    if phases.iter().any(|p| &p.id == phase && p.kind == PhaseKind::Signing) =>
                {
                    let end = log.events.iter().rev().find_map(|x| match &x.payload {
                        Payload::DeadlineExtended { phase: extended, end, .. } if extended == phase => Some(*end),
                        _ => None,
                    });
                    let planned = phases.iter().find(|p| &p.id == phase).map(|p| p.end);
                    Some((e.at, end.or(planned).unwrap()))
                }
                _ => None,
            });
            let latest = log.state.latest_version().unwrap().number;
            let all_signed_in_window = window.is_some_and(|(from, until)| {
                SIGNATORIES.iter().all(|party| {
                    signatures.iter().any(|(p, n, at)| p == party && *n == latest && from <= *at && *at < until)
                })
            });
            let closed = matches!(log.state.status, Status::Closed { .. });
            prop_assert_eq!(closed, all_signed_in_window, "{:?}", log.state.status);
            for (_, _, at) in &signatures {
                let (from, until) = window.unwrap();
                prop_assert!(from <= *at && *at < until);
            }
        }
    }
}
