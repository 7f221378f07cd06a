//! A full log export and its verification: [`LogExport`], [`verify_log`].
//!
//! Where a bundle carries the evidence events with proofs, an export carries
//! every event, so a verifier recomputes everything: each leaf hash, the root
//! at each signed checkpoint, consistency between consecutive checkpoints, the
//! fold of the whole log, and every signature. It also proves what a bundle
//! cannot: that nothing (a key rotation, a signature) was left out.

use accord_core::event::{Event, State};
use accord_merkle::{Checkpoint, Hash, HexHash, prove_consistency, root_at, verify_consistency};
use chrono::{DateTime, Utc};
use ed25519_dalek::SigningKey;
use serde::{Deserialize, Serialize};

use crate::bundle::{BuildError, LogEntry, PublicKeyHex, canonical_json, decode_log, signed_checkpoints_for};
use crate::report::{Group, Report, check_canonical, fail, pass};
use crate::statement::{SignedCheckpoint, sign_checkpoint};
use crate::verify::check_server_key;
use crate::walk::walk;

/// The `format` tag of a log export.
pub const LOG_EXPORT_FORMAT: &str = "accord-log/v1";

/// A whole log with the server's signed checkpoints. Field order is the file's key order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
pub struct LogExport {
    /// [`LOG_EXPORT_FORMAT`].
    pub format: String,
    pub negotiation: String,
    pub server_key: PublicKeyHex,
    /// Every event in order; event `i` is at position `i`.
    pub events: Vec<ExportedEvent>,
    /// Signed checkpoints by increasing size; the last covers every event.
    pub checkpoints: Vec<SignedCheckpoint>,
}

/// One event: its exact stored bytes and the leaf hash the server stored for them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
pub struct ExportedEvent {
    /// The stored bytes (compact JSON of the event) as a string.
    pub bytes: String,
    /// `SHA-256(0x00 || bytes)`, as the server stored it.
    pub leaf_hash: HexHash,
}

impl LogExport {
    /// Exports the whole stored log (`log[i]` is event `i`).
    ///
    /// The checkpoints are those in `earlier` (checkpoints the server signed
    /// before, e.g. when parties acknowledged versions) plus one at the log's
    /// size signed now with `server_key` at `at`. An earlier checkpoint whose
    /// root is not the log's root at its size is an error: it would prove a fork.
    pub fn build(
        negotiation: &str,
        log: &[LogEntry],
        server_key: &SigningKey,
        at: DateTime<Utc>,
        earlier: &[SignedCheckpoint],
    ) -> Result<LogExport, BuildError> {
        decode_log(log)?;
        let leaves: Vec<Hash> = log.iter().map(|entry| entry.leaf_hash).collect();
        let size = leaves.len() as u64;
        let mut wanted = Vec::new();
        for signed in earlier {
            let actual = root_at(leaves.as_slice(), signed.size)
                .map_err(|_| BuildError::AcknowledgedSizeBeyondLog { position: size, size: signed.size })?;
            if actual != signed.root.0 {
                return Err(BuildError::AcknowledgedRootNotInLog {
                    position: size,
                    size: signed.size,
                    claimed: signed.root.to_string(),
                    actual: hex::encode(actual),
                });
            }
            if signed.size < size && !wanted.contains(&(signed.size, actual)) {
                wanted.push((signed.size, actual));
            }
        }
        wanted.sort_unstable();
        let mut checkpoints = signed_checkpoints_for(negotiation, &wanted, earlier, server_key, at)?;
        let root = root_at(leaves.as_slice(), size).map_err(|e| BuildError::Proof(e.to_string()))?;
        checkpoints.push(sign_checkpoint(server_key, negotiation, Checkpoint::new(size, root), at)?);
        let events = log
            .iter()
            .enumerate()
            .map(|(position, entry)| {
                let bytes = String::from_utf8(entry.bytes.clone())
                    .map_err(|_| BuildError::NotUtf8 { position: position as u64 })?;
                Ok(ExportedEvent { bytes, leaf_hash: HexHash(entry.leaf_hash) })
            })
            .collect::<Result<Vec<_>, BuildError>>()?;
        Ok(LogExport {
            format: LOG_EXPORT_FORMAT.to_owned(),
            negotiation: negotiation.to_owned(),
            server_key: PublicKeyHex(server_key.verifying_key().to_bytes()),
            events,
            checkpoints,
        })
    }

    /// The canonical bytes of the file (pretty JSON and a final newline).
    pub fn to_bytes(&self) -> Vec<u8> {
        canonical_json(self)
    }

    /// Parses an export without verifying anything (see [`verify_log`]).
    pub fn from_bytes(bytes: &[u8]) -> Result<LogExport, serde_json::Error> {
        serde_json::from_slice(bytes)
    }
}

/// Verifies a log export's bytes. Never panics, whatever the input.
///
/// `pinned_server_key` as in [`crate::verify_bundle`]. Passing the report
/// means: every event is where the signed checkpoints say, the log was only
/// ever appended to between checkpoints, the events fold into a valid
/// negotiation, and every acknowledgement, final signature and key rotation is
/// signed by the key the log registered for that party at that point.
pub fn verify_log(bytes: &[u8], pinned_server_key: Option<[u8; 32]>) -> Report {
    let mut checks = Vec::new();
    let export = match LogExport::from_bytes(bytes) {
        Ok(export) => export,
        Err(e) => {
            fail(&mut checks, "readable", format!("the file is not an accord log export: {e}"));
            return Report { subject: "log export", checks, facts: None };
        }
    };
    pass(&mut checks, "readable", "the file parses as a log export");
    check_canonical(&mut checks, bytes, &export.to_bytes(), "log export");
    if export.format == LOG_EXPORT_FORMAT {
        pass(&mut checks, "format", format!("format {LOG_EXPORT_FORMAT}"));
    } else {
        fail(&mut checks, "format", format!("the format is {:?}, not {LOG_EXPORT_FORMAT:?}", export.format));
    }
    let negotiation = export.negotiation.as_str();
    let server_key = export.server_key.0;
    check_server_key(&mut checks, &server_key, pinned_server_key);

    // Leaf hashes, recomputed from the bytes.
    let mut leaf_group = Group::new("leaf hashes");
    let mut leaves: Vec<Hash> = Vec::with_capacity(export.events.len());
    for (position, event) in export.events.iter().enumerate() {
        let leaf = accord_merkle::leaf_hash(event.bytes.as_bytes());
        if leaf == event.leaf_hash.0 {
            leaf_group.pass();
        } else {
            leaf_group.fail(format!("the leaf hash of event {position} does not match its bytes"));
        }
        leaves.push(leaf);
    }
    leaf_group.finish(&mut checks, |n| format!("all {n} leaf hashes match their events' bytes"));
    let size = leaves.len() as u64;

    // Checkpoints: signed, roots recomputed, consecutive ones consistent.
    let mut signatures = Group::new("checkpoint signatures");
    let mut roots = Group::new("checkpoint roots");
    let mut consistency = Group::new("checkpoint consistency");
    let mut previous: Option<Checkpoint> = None;
    for signed in &export.checkpoints {
        let checkpoint = signed.checkpoint();
        let at = checkpoint.size;
        signatures.record(
            signed
                .verify(negotiation, &server_key)
                .map_err(|_| format!("server signature over checkpoint {at} does not verify")),
        );
        match root_at(leaves.as_slice(), at) {
            Ok(root) if root == checkpoint.root.0 => roots.pass(),
            Ok(_) => roots.fail(format!("checkpoint {at}'s root is not the Merkle root of the first {at} events")),
            Err(_) => roots.fail(format!("checkpoint {at} is beyond the {size} events of the export")),
        }
        if let Some(old) = previous {
            consistency.record(consistent(&leaves, old, checkpoint));
        }
        previous = Some(checkpoint);
    }
    match previous {
        Some(last) if last.size == size => {}
        Some(last) => roots.fail(format!(
            "the last checkpoint covers {} events, but the export has {size}: the rest is not attested",
            last.size
        )),
        None => roots.fail("the export has no signed checkpoint"),
    }
    signatures.finish(&mut checks, |n| format!("the server signed all {n} checkpoints"));
    roots.finish(&mut checks, |n| format!("all {n} checkpoint roots are the Merkle roots of the events"));
    consistency.finish(&mut checks, |n| format!("{n} consecutive checkpoint pairs are consistent (append-only)"));

    // Decoding and the fold.
    let mut decoding = Group::new("event decoding");
    let mut events: Vec<Event> = Vec::with_capacity(export.events.len());
    for (position, exported) in export.events.iter().enumerate() {
        match serde_json::from_str::<Event>(&exported.bytes) {
            Ok(event) if event.position == position as u64 => {
                decoding.pass();
                events.push(event);
            }
            Ok(event) => decoding.fail(format!("event {position}'s bytes claim position {}", event.position)),
            Err(e) => decoding.fail(format!("event {position} does not decode as an event: {e}")),
        }
    }
    let all_decoded = decoding.passes() == export.events.len();
    decoding.finish(&mut checks, |n| format!("all {n} events decode at their positions"));
    if all_decoded {
        match State::from_events(&events) {
            Ok(state) => pass(&mut checks, "fold", format!("the {} events fold into a valid negotiation", state.size)),
            Err(e) => fail(&mut checks, "fold", format!("the events do not fold: {e}")),
        }
    } else {
        fail(&mut checks, "fold", "the events cannot be folded: some do not decode");
    }

    let attest = |claimed: Checkpoint| match root_at(leaves.as_slice(), claimed.size) {
        Ok(root) if root == claimed.root.0 => Ok(()),
        Ok(_) => Err(format!("the log's root at size {} is not {}", claimed.size, claimed.root)),
        Err(_) => Err(format!("size {} is beyond the log", claimed.size)),
    };
    let walked = walk(negotiation, &events, &attest, &mut checks);
    let mut facts = walked.facts;
    facts.server_key = hex::encode(server_key);
    facts.server_key_pinned = pinned_server_key.is_some();
    if let Some(last) = export.checkpoints.last() {
        facts.checkpoint = Some((last.size, last.root.to_string(), last.at));
    }
    Report { subject: "log export", checks, facts: Some(facts) }
}

fn consistent(leaves: &[Hash], old: Checkpoint, new: Checkpoint) -> Result<(), String> {
    if old.size >= new.size {
        return Err(format!("checkpoint {} follows checkpoint {}: checkpoints must grow", new.size, old.size));
    }
    // Prove from the events, verify against the signed roots: the check a
    // client holding only the two checkpoints would make.
    let path = prove_consistency(leaves, old.size, new.size)
        .map_err(|_| format!("checkpoint {} is beyond the {} events of the export", new.size, leaves.len()))?;
    verify_consistency(old.size, new.size, &old.root.0, &new.root.0, &path)
        .map_err(|e| format!("checkpoints {} and {} are not consistent: {e}", old.size, new.size))
}
