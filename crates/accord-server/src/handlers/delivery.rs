//! Delivery of the reminders the clock put into the store's outbox
//! ([`crate::AppState::deliver_reminders`], a task of its own in `accord
//! serve`): each message is claimed under a lease, so one server sends it,
//! sent under [`SEND_TIMEOUT`], and on failure retried after [`backoff`]
//! until [`OUTBOX_MAX_ATTEMPTS`], its last error kept.

use accord_store::{OUTBOX_MAX_ATTEMPTS, OUTBOX_PAGE};
use chrono::{DateTime, Utc};

use super::Result;
use crate::AppState;
use crate::notify::Notification;

/// How long one send may take before it counts as a failed attempt.
pub const SEND_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// How long a claimed message is kept from other deliverers (on this server
/// or another): longer than a send may take, so a message is sent by one at a time.
const CLAIM_LEASE: chrono::Duration = chrono::Duration::minutes(5);

/// The wait before retrying a message that failed `attempts` times before:
/// 30 seconds, doubling, at most an hour.
pub fn backoff(attempts: u32) -> chrono::Duration {
    let seconds = 30_i64.saturating_mul(1_i64 << attempts.min(7));
    chrono::Duration::seconds(seconds.min(3_600))
}

/// What one [`deliver`] round did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Delivery {
    pub delivered: usize,
    /// Failed attempts that will be retried.
    pub retrying: usize,
    /// Messages that failed for the last time.
    pub given_up: usize,
}

fn millis(at: DateTime<Utc>) -> i64 {
    at.timestamp_millis()
}

/// Sends the outbox messages due now, at most a page of them: each under
/// [`SEND_TIMEOUT`]; a delivered message leaves the outbox, a failed one is
/// retried after [`backoff`] until [`OUTBOX_MAX_ATTEMPTS`], its last error
/// kept. Without a notifier, nothing is sent (and nothing was queued).
pub async fn deliver(app: &AppState) -> Result<Delivery> {
    let mut round = Delivery::default();
    let Some(notifier) = app.config.notifier.clone() else { return Ok(round) };
    let now = app.clock.now();
    let claimed = app.store.claim_outbox(millis(now), millis(now + CLAIM_LEASE), OUTBOX_PAGE).await?;
    for message in claimed {
        let outcome = match serde_json::from_str::<Notification>(&message.body) {
            Ok(notification) => match tokio::time::timeout(SEND_TIMEOUT, notifier.send(&notification)).await {
                Ok(Ok(())) => Ok(()),
                Ok(Err(e)) => Err(e.to_string()),
                Err(_) => Err(format!("no answer within {} seconds", SEND_TIMEOUT.as_secs())),
            },
            Err(e) => Err(format!("the message cannot be read: {e}")),
        };
        match outcome {
            Ok(()) => {
                app.store.outbox_delivered(message.id).await?;
                round.delivered += 1;
            }
            Err(error) => {
                let attempts = message.attempts.saturating_add(1);
                let retry_at =
                    (attempts < OUTBOX_MAX_ATTEMPTS).then(|| millis(app.clock.now() + backoff(message.attempts)));
                app.store.outbox_failed(message.id, &error, retry_at).await?;
                // The error may name the address; the log line names only the negotiation.
                tracing::warn!(negotiation = %message.negotiation, attempts, retrying = retry_at.is_some(), "a reminder could not be sent");
                if retry_at.is_some() {
                    round.retrying += 1;
                } else {
                    round.given_up += 1;
                }
            }
        }
    }
    Ok(round)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_thirty_seconds_to_an_hour() {
        let waits: Vec<i64> = (0..10).map(|attempts| backoff(attempts).num_seconds()).collect();
        assert_eq!(waits, [30, 60, 120, 240, 480, 960, 1920, 3600, 3600, 3600]);
        assert_eq!(backoff(u32::MAX).num_seconds(), 3600);
    }
}
