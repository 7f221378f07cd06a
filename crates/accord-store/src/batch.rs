//! What every backend decides the same way before an event goes into its
//! log: an append's batch (checked, encoded, and placed after the log it
//! extends) and a restore's next event (checked against the backup's
//! positions). The backends only run the SQL, each inside its own
//! transaction and lock.

use std::collections::HashMap;

use accord_core::event::Event;
use chrono::{DateTime, Utc};

use crate::sql::{self, LeafRow};
use crate::{Appended, Hash, StoreError, decode_event, encode_event};

/// One event as a backend writes it: its row's columns, and its position
/// both as the log counts it and as the table stores it (checked to fit).
#[derive(Debug)]
pub(crate) struct EncodedEvent {
    pub position: u64,
    pub row_position: i64,
    pub at: DateTime<Utc>,
    /// The event's actor as JSON (a column for queries; the bytes are authoritative).
    pub actor: String,
    /// The bytes the leaf hash is computed over, stored verbatim.
    pub bytes: Vec<u8>,
    pub leaf_hash: Hash,
}

impl EncodedEvent {
    /// The row of `event` stored as `bytes` (whose leaf hash is `leaf_hash`).
    fn new(event: &Event, bytes: Vec<u8>, leaf_hash: Hash) -> Result<EncodedEvent, StoreError> {
        let position = event.position;
        let row_position = i64::try_from(position)
            .map_err(|_| StoreError::Invalid { reason: format!("{position} is beyond the largest log position") })?;
        let actor = serde_json::to_string(&event.actor)
            .map_err(|e| StoreError::Invalid { reason: format!("the actor cannot be encoded: {e}") })?;
        Ok(EncodedEvent { position, row_position, at: event.at, actor, bytes, leaf_hash })
    }
}

/// The events of one [`crate::Store::append_all`], checked and encoded:
/// at least one, at consecutive positions from `expected`.
#[derive(Debug)]
pub(crate) struct Batch {
    expected: u64,
    events: Vec<EncodedEvent>,
}

impl Batch {
    /// Checks a batch (non-empty, consecutive positions from
    /// `expected_position`, each fits the table) and encodes it.
    pub(crate) fn encode(expected_position: u64, events: &[Event]) -> Result<Batch, StoreError> {
        if events.is_empty() {
            return Err(StoreError::Invalid { reason: "a write of no events".into() });
        }
        let events = events
            .iter()
            .zip(expected_position..)
            .map(|(event, position)| {
                if event.position != position {
                    return Err(StoreError::Invalid {
                        reason: format!(
                            "an event claiming position {} cannot be appended at position {position}",
                            event.position
                        ),
                    });
                }
                let (bytes, leaf_hash) = encode_event(event)?;
                EncodedEvent::new(event, bytes, leaf_hash)
            })
            .collect::<Result<_, _>>()?;
        Ok(Batch { expected: expected_position, events })
    }

    pub(crate) fn events(&self) -> &[EncodedEvent] {
        &self.events
    }

    /// The first event when the batch starts a new log: the negotiation's
    /// row is written with it.
    pub(crate) fn creates_negotiation(&self) -> Option<&EncodedEvent> {
        self.events.first().filter(|first| first.position == 0)
    }

    /// The log after this batch, given the log's leaves as read inside the
    /// append's transaction (after its lock): `Conflict`, and nothing is to
    /// be written, unless the log ends where the batch starts.
    pub(crate) fn appended_to(&self, negotiation: &str, log: Vec<LeafRow>) -> Result<Appended, StoreError> {
        let mut leaves = sql::leaves(negotiation, log)?;
        let actual = leaves.len() as u64;
        if actual != self.expected {
            return Err(self.conflict(negotiation, actual));
        }
        let last = self.events.last().ok_or_else(|| StoreError::Invalid { reason: "a write of no events".into() })?;
        leaves.extend(self.events.iter().map(|event| event.leaf_hash));
        let size = last.position + 1;
        let root = accord_merkle::root_at(leaves.as_slice(), size).map_err(|e| StoreError::Backend(e.to_string()))?;
        Ok(Appended { position: last.position, leaf_hash: last.leaf_hash, size, root })
    }

    /// The answer when the log is at `actual`, not where the batch starts:
    /// found under the lock, or after losing a race on the primary key.
    pub(crate) fn conflict(&self, negotiation: &str, actual: u64) -> StoreError {
        StoreError::Conflict { negotiation: negotiation.to_string(), expected: self.expected, actual }
    }
}

/// The positions a restore has reached, per negotiation: what both
/// backends check before an event of a backup goes in.
#[derive(Debug, Default)]
pub(crate) struct RestoredPositions {
    next: HashMap<String, u64>,
}

impl RestoredPositions {
    /// The row of the event a backup holds at `position`, if that is the
    /// negotiation's next position and the bytes are that event, unaltered
    /// (they hash to `leaf_hash` and parse as an event claiming `position`).
    pub(crate) fn next_event(
        &mut self,
        negotiation: &str,
        position: u64,
        bytes: &[u8],
        leaf_hash: Hash,
    ) -> Result<EncodedEvent, StoreError> {
        let due = self.next.get(negotiation).copied().unwrap_or(0);
        if position != due {
            return Err(StoreError::Invalid {
                reason: format!(
                    "event {position} of negotiation {negotiation} cannot be imported: position {due} is next"
                ),
            });
        }
        // decode_event reports a mismatch as a backend fault (it reads rows);
        // here it is bad input.
        let stored = decode_event(negotiation, position, bytes.to_vec(), &leaf_hash).map_err(|e| match e {
            StoreError::Backend(reason) => StoreError::Invalid { reason },
            other => other,
        })?;
        let encoded = EncodedEvent::new(&stored.event, stored.bytes, stored.leaf_hash)?;
        self.next.insert(negotiation.to_string(), due + 1);
        Ok(encoded)
    }
}
