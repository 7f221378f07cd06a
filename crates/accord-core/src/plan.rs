//! Planning a write: the one place that turns what a person (or the clock)
//! wants written into the events to append.
//!
//! Every writer of a log — a person's command, the creation of a
//! negotiation, the clock's tick, a deadline reminder — asks for a [`Plan`]
//! and appends its events as one batch at [`Plan::base`]. A plan holds the
//! rules of a write that are domain rules, not storage or HTTP:
//!
//! - the clock's transitions that are due come first (actor
//!   [`Actor::System`]), so a write is judged in the phase it happens in;
//! - each payload a person writes passes the phase gate
//!   ([`Payload::phase_action`], [`phase::allowed`]) against the state the
//!   payloads before it leave;
//! - every event folds ([`State::apply`]), one after the other;
//! - the transitions a write makes due come last (the last signature closes);
//! - the write leaves no validation problem the state did not already have.
//!
//! Planning is pure: time and randomness (each event's salt) come from the
//! caller. A plan is all or nothing: on any error no event is returned.

use std::collections::HashSet;

use chrono::{DateTime, Utc};

use crate::event::{Actor, Event, FoldError, Payload, ReminderRecord, State};
use crate::model::Negotiation;
use crate::phase::{self, PhaseRefusal};
use crate::validate::{self, Problem};

/// The caller's source of randomness failed to give an event its salt.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("no randomness for an event's salt: {0}")]
pub struct SaltError(pub String);

/// Where each event's salt ([`Event::salt`]) comes from: randomness the
/// caller owns, since core has none. Called once per planned event, in order.
pub type SaltSource<'a> = &'a mut dyn FnMut() -> Result<String, SaltError>;

/// Why a write cannot be planned. Nothing is appended in any case.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PlanError {
    /// The timetable refuses one of the payloads now; the refusal names the
    /// phase, its deadline and when the action opens.
    #[error("{0}")]
    WrongPhase(PhaseRefusal),
    /// An event does not fold onto the state before it.
    #[error("{0}")]
    Fold(FoldError),
    /// The write would leave validation problems the state did not have;
    /// these are the new ones, each with its path into the negotiation.
    #[error("the write leaves {} new problem(s): {}", .0.len(), .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    Invalid(Vec<Problem>),
    /// Nothing to append: no payload, and no transition due.
    #[error("a write with no events")]
    Empty,
    #[error(transparent)]
    Salt(#[from] SaltError),
}

impl From<FoldError> for PlanError {
    fn from(error: FoldError) -> Self {
        PlanError::Fold(error)
    }
}

impl From<PhaseRefusal> for PlanError {
    fn from(refusal: PhaseRefusal) -> Self {
        PlanError::WrongPhase(refusal)
    }
}

/// The events of one write and the state they lead to. Never empty: a write
/// with nothing to append is [`PlanError::Empty`] (or `None` for the clock).
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    events: Vec<Event>,
    state: State,
}

impl Plan {
    /// The events to append, in order, at consecutive positions from [`Plan::base`].
    pub fn events(&self) -> &[Event] {
        &self.events
    }

    /// The position of the first event: the log size the write is based on,
    /// which a store's append must find.
    pub fn base(&self) -> u64 {
        self.events.first().map_or(self.state.size, |e| e.position)
    }

    /// The state once the events are appended.
    pub fn state(&self) -> &State {
        &self.state
    }

    pub fn into_parts(self) -> (Vec<Event>, State) {
        (self.events, self.state)
    }

    /// The deadline reminder this plan logs, if it logs one: whom to remind
    /// once the events are appended.
    pub fn reminder(&self) -> Option<&ReminderRecord> {
        let base = self.base();
        self.state.reminders.last().filter(|r| r.position >= base)
    }
}

/// A plan being built: a copy of the state with the events so far folded in.
struct Draft<'a> {
    next: State,
    events: Vec<Event>,
    now: DateTime<Utc>,
    salt: SaltSource<'a>,
}

impl<'a> Draft<'a> {
    fn new(next: State, now: DateTime<Utc>, salt: SaltSource<'a>) -> Draft<'a> {
        Draft { next, events: Vec::new(), now, salt }
    }

    fn push(&mut self, actor: &Actor, payload: Payload) -> Result<(), PlanError> {
        let event =
            Event { position: self.next.size, actor: actor.clone(), at: self.now, payload, salt: Some((self.salt)()?) };
        self.next.apply(&event)?;
        self.events.push(event);
        Ok(())
    }

    /// Logs the transitions the clock owes at `now` (phases entered, a lapse, the close).
    fn transitions(&mut self) -> Result<(), PlanError> {
        for payload in phase::due(&self.next, self.now) {
            self.push(&Actor::System, payload)?;
        }
        Ok(())
    }

    fn finish(self) -> Option<Plan> {
        if self.events.is_empty() { None } else { Some(Plan { events: self.events, state: self.next }) }
    }
}

impl State {
    /// Plans a write of `payloads` by `actor` at `now`: the transitions due
    /// first, each payload behind the phase gate and folded in turn, the
    /// transitions the write makes due, then the validation check (see the
    /// [module documentation](self)). With no payloads, the plan is the
    /// transitions due, and [`PlanError::Empty`] when there are none.
    pub fn plan(
        &self,
        actor: &Actor,
        payloads: Vec<Payload>,
        now: DateTime<Utc>,
        salt: SaltSource<'_>,
    ) -> Result<Plan, PlanError> {
        // Problems are compared as the reader sees them (path and message):
        // a write may keep an old problem but not add one.
        let before: HashSet<String> = validate::validate(&self.negotiation).iter().map(ToString::to_string).collect();
        let mut draft = Draft::new(self.clone(), now, salt);
        draft.transitions()?;
        for payload in payloads {
            if let Some(action) = payload.phase_action() {
                phase::allowed(&draft.next, action, now)?;
            }
            draft.push(actor, payload)?;
        }
        draft.transitions()?;
        let new: Vec<Problem> = validate::validate(&draft.next.negotiation)
            .into_iter()
            .filter(|p| !before.contains(&p.to_string()))
            .collect();
        if !new.is_empty() {
            return Err(PlanError::Invalid(new));
        }
        draft.finish().ok_or(PlanError::Empty)
    }

    /// Plans what the clock writes at `now` (actor [`Actor::System`]): the
    /// transitions due, then, when `reminder_lead` is given, the deadline
    /// reminder due on the state they lead to ([`phase::reminders_due`]).
    /// `None` when nothing is due.
    ///
    /// Called with `None` and then, on the resulting state, with the lead,
    /// it plans the transitions and the reminder as two writes.
    pub fn plan_clock(
        &self,
        now: DateTime<Utc>,
        reminder_lead: Option<chrono::Duration>,
        salt: SaltSource<'_>,
    ) -> Result<Option<Plan>, PlanError> {
        let mut draft = Draft::new(self.clone(), now, salt);
        draft.transitions()?;
        if let Some(lead) = reminder_lead
            && let Some(reminder) = phase::reminders_due(&draft.next, now, lead)
        {
            draft.push(&Actor::System, reminder)?;
        }
        Ok(draft.finish())
    }

    /// Plans the log of a new negotiation, created by `actor` at `now`:
    /// `created` with the public frame, then one `profile_set` per profile
    /// and one `stance_recorded` per stance the negotiation came with, so
    /// their history and policy apply. The creating account takes the seat
    /// of `creator_party`.
    ///
    /// Nothing is phase-gated and no transition is logged: the clock's first
    /// transition follows as its own write. The negotiation is not validated
    /// here; whoever built it (the scenario parser) did.
    pub fn plan_creation(
        actor: &Actor,
        mut negotiation: Negotiation,
        creator_party: String,
        now: DateTime<Utc>,
        salt: SaltSource<'_>,
    ) -> Result<Plan, PlanError> {
        let profiles = std::mem::take(&mut negotiation.profiles);
        let stances = std::mem::take(&mut negotiation.stances);
        let created = Event {
            position: 0,
            actor: actor.clone(),
            at: now,
            payload: Payload::Created { negotiation, creator_party },
            salt: Some(salt()?),
        };
        let state = State::genesis(&created)?;
        let mut draft = Draft::new(state, now, salt);
        draft.events.push(created);
        for profile in profiles {
            draft.push(actor, Payload::ProfileSet { profile })?;
        }
        for stance in stances {
            draft.push(actor, Payload::StanceRecorded { stance })?;
        }
        draft.finish().ok_or(PlanError::Empty)
    }
}

#[cfg(test)]
mod tests;
