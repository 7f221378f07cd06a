//! The clock's own writes: the phase transitions nobody wrote through (run
//! by [`crate::AppState::tick`] every second), the deadline reminders put
//! into the store's outbox, and their delivery
//! ([`crate::AppState::deliver_reminders`], a task of its own).
//!
//! # Which negotiations a tick looks at
//!
//! A tick does not load every negotiation. [`ClockIndex`] keeps, per
//! negotiation, the log size it last folded and the next instant the clock
//! may owe it something (a phase to enter, a window to lapse, a reminder to
//! log; see [`next_due`]); a tick folds only the negotiations due by now.
//! An entry is recomputed when its log grows, which the tick learns from:
//!
//! - the store's announcements ([`accord_store::Store::subscribe`]): every
//!   write of this server, and on PostgreSQL every other server's too;
//! - a comparison of every log's size with the index
//!   ([`accord_store::Store::log_sizes`], one query) at the first tick and
//!   then every [`RESCAN_EVERY`], and at once after announcements were
//!   missed, so a write whose announcement was lost is seen within a minute.
//!
//! The index holds one entry (an id, a size and an instant) per negotiation,
//! so its memory grows with the number of negotiations, not with their logs.
//!
//! # Reminders are not lost
//!
//! The `reminders_sent` event and one outbox message per recipient are
//! written in one transaction ([`accord_store::Store::append_all_with_outbox`]).
//! Sending is not the tick's business: [`super::delivery::deliver`] claims due
//! messages, sends each under a timeout, and on failure counts the attempt,
//! keeps the error and retries after an exponential backoff
//! until [`accord_store::OUTBOX_MAX_ATTEMPTS`]. A slow or dead mail relay
//! thus never holds up a phase transition.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};

use accord_core::event::{Payload, State as Folded};
use accord_core::phase;
use accord_store::{LogGrew, StoreError};
use chrono::{DateTime, Utc};
use tokio::sync::broadcast::error::TryRecvError;

use super::{Result, salt_source};
use crate::AppState;
use crate::error::ApiError;
use crate::notify::Notification;

/// How often the index compares itself with every log's size, in case an
/// announcement of another server's write was lost.
pub const RESCAN_EVERY: chrono::Duration = chrono::Duration::seconds(60);

/// One negotiation in the index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Entry {
    /// The log size the entry was computed at.
    size: u64,
    /// When the clock may next owe it something; `None` until its log grows.
    due: Option<DateTime<Utc>>,
}

/// The index of next deadlines (see the module documentation).
pub struct ClockIndex {
    inner: tokio::sync::Mutex<Inner>,
    /// Negotiations folded by ticks so far: what the index saves is visible in tests.
    examined: AtomicU64,
}

struct Inner {
    entries: HashMap<String, Entry>,
    /// `(due, negotiation)` in order: a tick takes from the front.
    queue: BTreeSet<(DateTime<Utc>, String)>,
    /// Negotiations whose logs grew since their entry was computed.
    stale: HashSet<String>,
    /// When every log's size was last compared with the index; `None` forces a comparison.
    last_rescan: Option<DateTime<Utc>>,
    announcements: tokio::sync::broadcast::Receiver<LogGrew>,
}

impl std::fmt::Debug for ClockIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClockIndex").field("examined", &self.examined.load(Ordering::Relaxed)).finish_non_exhaustive()
    }
}

impl ClockIndex {
    /// An empty index that listens to `announcements` from now on; the first
    /// tick fills it from the store.
    pub fn new(announcements: tokio::sync::broadcast::Receiver<LogGrew>) -> Self {
        ClockIndex {
            inner: tokio::sync::Mutex::new(Inner {
                entries: HashMap::new(),
                queue: BTreeSet::new(),
                stale: HashSet::new(),
                last_rescan: None,
                announcements,
            }),
            examined: AtomicU64::new(0),
        }
    }

    /// How many negotiations ticks have folded so far.
    pub fn examined(&self) -> u64 {
        self.examined.load(Ordering::Relaxed)
    }
}

impl Inner {
    /// Marks every negotiation announced since the last tick as stale; a
    /// receiver that fell behind forces a comparison of every log's size.
    fn take_announcements(&mut self) {
        loop {
            match self.announcements.try_recv() {
                Ok(grew) => {
                    if self.entries.get(&grew.negotiation).is_none_or(|entry| entry.size != grew.size) {
                        self.stale.insert(grew.negotiation);
                    }
                }
                Err(TryRecvError::Lagged(_)) => self.last_rescan = None,
                Err(TryRecvError::Empty | TryRecvError::Closed) => return,
            }
        }
    }

    fn rescan_due(&self, now: DateTime<Utc>) -> bool {
        // A clock set back (tests, a corrected host clock) rescans too.
        self.last_rescan.is_none_or(|last| now - last >= RESCAN_EVERY || now < last)
    }

    /// Marks as stale every log whose size differs from its entry's.
    fn compare(&mut self, sizes: Vec<(String, u64)>) {
        for (negotiation, size) in sizes {
            if self.entries.get(&negotiation).is_none_or(|entry| entry.size != size) {
                self.stale.insert(negotiation);
            }
        }
    }

    fn set(&mut self, negotiation: &str, entry: Entry) {
        if let Some(old) = self.entries.insert(negotiation.to_string(), entry)
            && let Some(due) = old.due
        {
            self.queue.remove(&(due, negotiation.to_string()));
        }
        if let Some(due) = entry.due {
            self.queue.insert((due, negotiation.to_string()));
        }
    }

    /// Takes the negotiations due by `now` out of the queue (their entries
    /// stay, without a due instant, until the tick sets them again).
    fn take_due(&mut self, now: DateTime<Utc>) -> Vec<String> {
        let mut due = Vec::new();
        while let Some(first) = self.queue.first()
            && first.0 <= now
        {
            if let Some((_, negotiation)) = self.queue.pop_first() {
                if let Some(entry) = self.entries.get_mut(&negotiation) {
                    entry.due = None;
                }
                due.push(negotiation);
            }
        }
        due
    }
}

/// The next instant at or after `now` at which the clock may owe `state` a
/// write, or `None` when only a write to its log can change that: a phase
/// to enter (the first one's start, then the current one's deadline), a
/// window to lapse, and with reminders on (`lead`), the moment the current
/// deadline comes within `lead`. Never later than the truth, so no
/// transition is late; it may be early (the tick then finds nothing to do).
pub fn next_due(state: &Folded, now: DateTime<Utc>, lead: Option<chrono::Duration>) -> Option<DateTime<Utc>> {
    if !state.status.is_open() {
        return None;
    }
    if !phase::due(state, now).is_empty() {
        return Some(now);
    }
    let current = phase::current(state);
    let transition = match &current {
        Some(current) => Some(current.deadline),
        None => state.negotiation.timetable.phases.first().map(|first| first.start),
    };
    let reminder = match (lead, &current) {
        (Some(lead), Some(current)) if current.deadline > now => {
            let opens = current.deadline - lead;
            if opens > now {
                Some(opens)
            } else if phase::reminders_due(state, now, lead).is_some() {
                Some(now)
            } else {
                // Everyone owing has been reminded for this deadline; an
                // acknowledgement, a seat taken or a new deadline is a write,
                // which re-indexes the negotiation.
                None
            }
        }
        _ => None,
    };
    [transition, reminder].into_iter().flatten().min()
}

/// Appends the transitions the clock owes the negotiations due by now
/// (phases entered, a signing window lapsed) as system events, then, when a
/// notifier is configured, logs the deadline reminders due and queues them
/// in the outbox. Returns how many events were appended. Another server
/// instance doing the same at the same moment loses the append race
/// harmlessly: its events would be based on a log position that no longer exists.
pub async fn tick(app: &AppState) -> Result<usize> {
    let now = app.clock.now();
    let lead = app.config.notifier.as_ref().map(|_| app.config.reminder_lead);
    let index = &app.clock_index;
    let mut inner = index.inner.lock().await;
    inner.take_announcements();
    if inner.rescan_due(now) {
        let sizes = app.store.log_sizes().await?;
        inner.compare(sizes);
        inner.last_rescan = Some(now);
    }
    let stale: Vec<String> = inner.stale.iter().cloned().collect();
    for negotiation in stale {
        // On an error the negotiation stays stale, for the next tick.
        let entry = match app.state(&negotiation).await? {
            Some(state) => {
                index.examined.fetch_add(1, Ordering::Relaxed);
                Entry { size: state.size, due: next_due(&state, now, lead) }
            }
            None => Entry { size: 0, due: None },
        };
        inner.set(&negotiation, entry);
        inner.stale.remove(&negotiation);
    }
    let mut appended = 0;
    let due = inner.take_due(now);
    for (done, negotiation) in due.iter().enumerate() {
        match clock_work(app, negotiation, now).await {
            Ok((count, state)) => {
                appended += count;
                let entry = match state {
                    Some(state) => Entry { size: state.size, due: next_due(&state, now, lead) },
                    None => Entry { size: 0, due: None },
                };
                inner.set(negotiation, entry);
            }
            Err(error) => {
                // This one and those not reached yet are looked at again by the next tick.
                inner.stale.extend(due[done..].iter().cloned());
                return Err(error);
            }
        }
    }
    Ok(appended)
}

/// The clock's work in one negotiation: its due transitions, then its due
/// reminder. Returns the events appended and the state after them (`None`
/// for an unknown negotiation).
async fn clock_work(app: &AppState, id: &str, now: DateTime<Utc>) -> Result<(usize, Option<std::sync::Arc<Folded>>)> {
    let Some(state) = app.state(id).await? else { return Ok((0, None)) };
    app.clock_index.examined.fetch_add(1, Ordering::Relaxed);
    let transitions = state
        .plan_clock(now, None, &mut salt_source())
        .map_err(|e| ApiError::internal(format!("a clock transition does not fold: {e}")))?;
    let mut appended = 0;
    let next = match transitions {
        None => state,
        Some(plan) => match app.store.append_all(id, plan.base(), plan.events()).await {
            Ok(_) => {
                appended += plan.events().len();
                app.metrics.appended(plan.events().len() as u64);
                std::sync::Arc::new(plan.into_parts().1)
            }
            // After a lost race the plan is not the log; the announcement of
            // the winner's write makes the next tick look again.
            Err(StoreError::Conflict { .. }) => return Ok((0, Some(state))),
            Err(e) => return Err(e.into()),
        },
    };
    if app.config.notifier.is_some() {
        appended += remind(app, id, &next, now).await?;
    }
    Ok((appended, Some(next)))
}

/// Logs the reminder due in negotiation `id` and, in the same transaction,
/// queues one message per recipient in the outbox. Logging and queueing
/// together make each reminder go out once across ticks, restarts and
/// server instances; [`deliver`] sends them, retrying failures.
async fn remind(app: &AppState, id: &str, state: &Folded, now: DateTime<Utc>) -> Result<usize> {
    let (Some(current), Some(latest)) = (phase::current(state), state.latest_version()) else { return Ok(0) };
    let planned = state
        .plan_clock(now, Some(app.config.reminder_lead), &mut salt_source())
        .map_err(|e| ApiError::internal(format!("a reminder does not fold: {e}")))?;
    let Some(plan) = planned else { return Ok(0) };
    let Some(Payload::RemindersSent { parties, deadline, .. }) = plan.events().first().map(|e| &e.payload) else {
        return Err(ApiError::internal("the clock planned something other than a reminder"));
    };
    let version = u64::from(latest.number);
    let awaited = if current.phase.kind == accord_core::model::PhaseKind::Signing {
        crate::notify::Awaited::Sign { version }
    } else {
        crate::notify::Awaited::Acknowledge { version }
    };
    let server_url = app.config.public_url.as_ref().map(|url| url.as_str().trim_end_matches('/').to_string());
    let mut outbox = Vec::new();
    for party in parties {
        for account in state.accounts_of_party(party) {
            let email = match app.store.account_by_id(account).await {
                Ok(Some(holder)) => holder.email,
                Ok(None) => {
                    tracing::warn!(%party, negotiation = %id, "no reminder queued: the seat's account no longer exists");
                    continue;
                }
                Err(e) => return Err(e.into()),
            };
            let facts = crate::notify::ReminderFacts {
                to_email: &email,
                party,
                negotiation: id,
                negotiation_title: &state.negotiation.title,
                phase_id: &current.phase.id,
                phase_name: &current.phase.name,
                phase_kind: current.phase.kind,
                deadline: *deadline,
                awaited: &[awaited],
                server_url: server_url.as_deref(),
            };
            let Some(notification) = Notification::reminder(&facts) else { continue };
            let body = serde_json::to_string(&notification)
                .map_err(|e| ApiError::internal(format!("a reminder cannot be encoded: {e}")))?;
            outbox.push(body);
        }
    }
    match app.store.append_all_with_outbox(id, plan.base(), plan.events(), &outbox).await {
        Ok(_) => {
            app.metrics.appended(1);
            Ok(1)
        }
        // Another instance logged (and queued) it, or the log moved on; the next tick looks again.
        Err(StoreError::Conflict { .. }) => Ok(0),
        Err(e) => Err(e.into()),
    }
}
