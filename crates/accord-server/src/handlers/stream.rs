//! Live updates: `GET /api/negotiations/{id}/stream`, server-sent events.
//!
//! The stream says only that the log grew (`event: log`, data `{"size":N}`);
//! a client then reads through the ordinary routes what the policy lets it
//! see. So the stream needs no filter of its own: the size is what every
//! member already learns from an ETag. Announcements come from
//! [`accord_store::Store::subscribe`] — on PostgreSQL, from every server
//! sharing the database — and the handler also re-reads the log size every
//! [`RECHECK`], which covers announcements missed while a `LISTEN`
//! connection was being re-made, or dropped because this client lagged.

use std::time::Duration;

use accord_policy::{Action, Resource};
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use tokio::sync::broadcast::error::RecvError;

use super::{Result, seen};
use crate::AppState;
use crate::auth::Caller;
use crate::extract::NegotiationPath;

/// How often the stream re-reads the log size without being told.
pub const RECHECK: Duration = Duration::from_secs(15);

struct Follower {
    app: AppState,
    negotiation: String,
    announcements: tokio::sync::broadcast::Receiver<accord_store::LogGrew>,
    /// The last size sent; `None` before the first event.
    sent: Option<u64>,
}

impl Follower {
    /// Waits until the log is larger than what was last sent and returns its
    /// size. Store errors end the stream: the client reconnects.
    async fn next_size(&mut self) -> Option<u64> {
        let Some(sent) = self.sent else {
            return self.app.store.log_size(&self.negotiation).await.ok();
        };
        loop {
            let heard = tokio::time::timeout(RECHECK, self.announcements.recv()).await;
            let size = match heard {
                Ok(Ok(grew)) if grew.negotiation == self.negotiation => grew.size,
                Ok(Ok(_)) => continue,
                Ok(Err(RecvError::Closed)) => return None,
                // Lagged, or nothing heard for a while: ask the store.
                Ok(Err(RecvError::Lagged(_))) | Err(_) => self.app.store.log_size(&self.negotiation).await.ok()?,
            };
            if size > sent {
                return Some(size);
            }
        }
    }
}

pub async fn stream(
    State(app): State<AppState>,
    caller: Caller,
    NegotiationPath { id }: NegotiationPath,
) -> Result<Response> {
    // Subscribe before reading the size, so no append falls between the two.
    let announcements = app.store.subscribe();
    let seen = seen(&app, &caller, &id).await?;
    seen.require(Action::Read, Resource::EventLog)?;
    let follower = Follower { app, negotiation: seen.id.clone(), announcements, sent: None };
    let events = futures_util::stream::unfold(follower, |mut follower| async move {
        let size = follower.next_size().await?;
        follower.sent = Some(size);
        let event = SseEvent::default().event("log").id(size.to_string()).data(format!("{{\"size\":{size}}}"));
        Some((Ok::<_, std::convert::Infallible>(event), follower))
    });
    let mut response = Sse::new(events).keep_alive(KeepAlive::new().interval(RECHECK)).into_response();
    // Proxies must not buffer or cache a live stream.
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response.headers_mut().insert("x-accel-buffering", HeaderValue::from_static("no"));
    Ok(response)
}
