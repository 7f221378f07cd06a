//! The clock's own writes: the phase transitions nobody wrote through (run
//! by [`crate::AppState::tick`] every second) and the deadline reminders.

use accord_core::event::{Payload, State as Folded};
use accord_core::phase;

use super::{Result, salt_source};
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
        let transitions = state
            .plan_clock(now, None, &mut salt_source())
            .map_err(|e| ApiError::internal(format!("a clock transition does not fold: {e}")))?;
        let next = match transitions {
            None => state,
            Some(plan) => match app.store.append_all(&id, plan.base(), plan.events()).await {
                Ok(_) => {
                    appended += plan.events().len();
                    app.metrics.appended(plan.events().len() as u64);
                    std::sync::Arc::new(plan.into_parts().1)
                }
                // After a lost race the plan is not the log; the next tick looks again.
                Err(accord_store::StoreError::Conflict { .. }) => continue,
                Err(e) => return Err(e.into()),
            },
        };
        if let Some(notifier) = &app.config.notifier {
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
    let (Some(current), Some(latest)) = (phase::current(state), state.latest_version()) else { return Ok(0) };
    let planned = state
        .plan_clock(now, Some(app.config.reminder_lead), &mut salt_source())
        .map_err(|e| ApiError::internal(format!("a reminder does not fold: {e}")))?;
    let Some(plan) = planned else { return Ok(0) };
    let Some(Payload::RemindersSent { parties, deadline, .. }) = plan.events().first().map(|e| &e.payload) else {
        return Err(ApiError::internal("the clock planned something other than a reminder"));
    };
    let (parties, deadline) = (parties.clone(), *deadline);
    let version = u64::from(latest.number);
    let awaited = if current.phase.kind == accord_core::model::PhaseKind::Signing {
        crate::notify::Awaited::Sign { version }
    } else {
        crate::notify::Awaited::Acknowledge { version }
    };
    match app.store.append_all(id, plan.base(), plan.events()).await {
        Ok(_) => app.metrics.appended(1),
        // Another instance logged (and so sends) it, or the log moved on; the next tick looks again.
        Err(accord_store::StoreError::Conflict { .. }) => return Ok(0),
        Err(e) => return Err(e.into()),
    }
    let server_url = app.config.public_url.as_ref().map(|url| url.as_str().trim_end_matches('/').to_string());
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
                server_url: server_url.as_deref(),
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
