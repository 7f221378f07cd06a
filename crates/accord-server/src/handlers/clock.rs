//! The clock's own writes: the phase transitions nobody wrote through (run
//! by [`crate::AppState::tick`] every second) and the deadline reminders.

use accord_core::event::{Actor, Event, Payload, State as Folded};
use accord_core::phase;

use super::{Result, salt};
use crate::AppState;
use crate::error::ApiError;

/// Appends the transitions the clock has made in every negotiation (phases
/// entered, a signing window lapsed) as system events, then, when a notifier
/// is configured, the deadline reminders due. Returns how many events were
/// appended. Another server instance doing the same at the same moment loses
/// the append race harmlessly: its events would be based on a log position
/// that no longer exists.
pub async fn tick(app: &AppState) -> Result<usize> {
    let now = app.clock.now();
    let mut appended = 0;
    for id in app.store.negotiations().await? {
        let Some(state) = app.state(&id).await? else { continue };
        let mut next = (*state).clone();
        let mut events = Vec::new();
        for payload in phase::due(&state, now) {
            let event = Event { position: next.size, actor: Actor::System, at: now, payload, salt: Some(salt()?) };
            next.apply(&event).map_err(|e| ApiError::internal(format!("a clock transition does not fold: {e}")))?;
            events.push(event);
        }
        let mut lost_race = false;
        if let Some(first) = events.first() {
            match app.store.append_all(&id, first.position, &events).await {
                Ok(_) => {
                    appended += events.len();
                    app.metrics.appended(events.len() as u64);
                }
                Err(accord_store::StoreError::Conflict { .. }) => lost_race = true,
                Err(e) => return Err(e.into()),
            }
        }
        // After a lost race `next` is not the log; the next tick looks again.
        if !lost_race && let Some(notifier) = &app.config.notifier {
            appended += remind(app, notifier.as_ref(), &id, &next, now).await?;
        }
    }
    Ok(appended)
}

/// Logs the reminder due in negotiation `id` and then sends it, one message
/// per party. Logging first makes each reminder go out at most once across
/// ticks, restarts and server instances; a send that fails is not retried.
async fn remind(
    app: &AppState,
    notifier: &dyn crate::notify::Notifier,
    id: &str,
    state: &Folded,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<usize> {
    let Some(payload) = phase::reminders_due(state, now, app.config.reminder_lead) else { return Ok(0) };
    let (Some(current), Some(latest)) = (phase::current(state), state.latest_version()) else { return Ok(0) };
    let Payload::RemindersSent { parties, deadline, .. } = &payload else {
        return Err(ApiError::internal("reminders_due returned another kind of event"));
    };
    let (parties, deadline) = (parties.clone(), *deadline);
    let version = u64::from(latest.number);
    let awaited = if current.phase.kind == accord_core::model::PhaseKind::Signing {
        crate::notify::Awaited::Sign { version }
    } else {
        crate::notify::Awaited::Acknowledge { version }
    };
    let event = Event { position: state.size, actor: Actor::System, at: now, payload, salt: Some(salt()?) };
    let mut folded = state.clone();
    folded.apply(&event).map_err(|e| ApiError::internal(format!("a reminder does not fold: {e}")))?;
    match app.store.append(id, event.position, &event).await {
        Ok(_) => app.metrics.appended(1),
        // Another instance logged (and so sends) it, or the log moved on; the next tick looks again.
        Err(accord_store::StoreError::Conflict { .. }) => return Ok(0),
        Err(e) => return Err(e.into()),
    }
    for party in &parties {
        for account in state.accounts_of_party(party) {
            let email = match app.store.account_by_id(account).await {
                Ok(Some(holder)) => holder.email,
                Ok(None) => {
                    tracing::warn!(%party, negotiation = %id, "reminder not sent: the seat's account no longer exists");
                    continue;
                }
                Err(e) => {
                    tracing::warn!(%party, negotiation = %id, error = %e, "reminder not sent: reading the seat's account failed");
                    continue;
                }
            };
            let facts = crate::notify::ReminderFacts {
                to_email: &email,
                party,
                negotiation: id,
                negotiation_title: &state.negotiation.title,
                phase_id: &current.phase.id,
                phase_name: &current.phase.name,
                phase_kind: current.phase.kind,
                deadline,
                awaited: &[awaited],
                server_url: None,
            };
            let Some(notification) = crate::notify::Notification::reminder(&facts) else { continue };
            // The error may name the address; the log line names only the party.
            if notifier.send(&notification).await.is_err() {
                tracing::warn!(%party, negotiation = %id, phase = %current.phase.id, "reminder could not be sent");
            }
        }
    }
    Ok(1)
}
