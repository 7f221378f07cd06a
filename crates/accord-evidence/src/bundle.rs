//! The certificate of completion: one canonical JSON file that proves, offline,
//! how a negotiation concluded.
//!
//! See `docs/bundle-format.md` for the format. In short (`accord-bundle/v2`):
//! one final checkpoint signed by the server; every position of the log up to
//! it, either as the raw stored bytes of an evidence event (a JSON string: it is
//! JSON text) or, for any other event, as its leaf hash only, so the verifier
//! recomputes the Merkle root over every leaf and sees every evidence event at
//! its position; the server's signed index of which positions are evidence
//! events; the earlier checkpoints that acknowledgements named, signed (their
//! roots are recomputed from the same leaves); and, for people reading the
//! file, the final text and the version chain, which the verifier checks
//! against the proven events.

use accord_core::event::{Event, Payload};
use accord_core::text::Version;
use accord_merkle::{Hash, HexHash, root_at};
use chrono::{DateTime, Utc};
use ed25519_dalek::SigningKey;
use serde::{Deserialize, Serialize};

use crate::statement::{Sig, SignedCheckpoint, Statement, StatementError, sign_checkpoint, sign_statement};

/// The `format` tag of a bundle.
pub const BUNDLE_FORMAT: &str = "accord-bundle/v2";

/// The `format` tag of the first bundles, which proved that the events they
/// carried were in the log but not that they carried all of them. The verifier
/// refuses them, naming the reason.
pub const BUNDLE_FORMAT_V1: &str = "accord-bundle/v1";

/// One event of the log as the store keeps it: its exact bytes (the Merkle leaf
/// data) and its leaf hash. A log is a slice of these, position = index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogEntry {
    pub bytes: Vec<u8>,
    pub leaf_hash: Hash,
}

impl LogEntry {
    /// An entry whose leaf hash is computed from its bytes.
    pub fn new(bytes: Vec<u8>) -> Self {
        let leaf_hash = accord_merkle::leaf_hash(&bytes);
        LogEntry { bytes, leaf_hash }
    }
}

/// An Ed25519 public key that serialises as 64 lowercase hex digits (and refuses uppercase).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct PublicKeyHex(pub [u8; 32]);

impl std::fmt::Debug for PublicKeyHex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PublicKeyHex({})", hex::encode(self.0))
    }
}

impl Serialize for PublicKeyHex {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&hex::encode(self.0))
    }
}

impl<'de> Deserialize<'de> for PublicKeyHex {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        crate::statement::parse_hex("public key", &text).map(PublicKeyHex).map_err(serde::de::Error::custom)
    }
}

/// The OpenAPI form: a string of 64 lowercase hex digits, as [`Serialize`] writes it.
#[cfg(feature = "utoipa")]
impl utoipa::PartialSchema for PublicKeyHex {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::Type::String)
            .pattern(Some("^[0-9a-f]{64}$"))
            .description(Some("An Ed25519 public key, 64 lowercase hex digits."))
            .into()
    }
}

#[cfg(feature = "utoipa")]
impl utoipa::ToSchema for PublicKeyHex {}

/// The whole bundle. Field order is the file's key order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
pub struct Bundle {
    /// [`BUNDLE_FORMAT`].
    pub format: String,
    /// The negotiation id, as in its `created` event and every signed statement.
    pub negotiation: String,
    /// The server's Ed25519 public key, which signed every checkpoint.
    pub server_key: PublicKeyHex,
    /// The version the outcome refers to (closed: the signed one; lapsed: the
    /// latest published, if any), with its text. A convenience copy: the verifier
    /// checks it against the `version_published` event.
    pub final_version: Option<FinalVersion>,
    /// Every published version, oldest first. A convenience index: the verifier
    /// checks it against the `version_published` events.
    pub versions: Vec<VersionLink>,
    /// The final checkpoint, signed by the server: the Merkle root over every
    /// leaf of [`Bundle::events`] and [`Bundle::other_leaves`] together.
    pub checkpoint: SignedCheckpoint,
    /// The checkpoints acknowledgements named (other than the final one),
    /// smallest first, each signed by the server. Their roots are recomputed
    /// from the same leaves, which proves the final log extends each.
    pub acknowledged_checkpoints: Vec<SignedCheckpoint>,
    /// Every evidence event of the log up to the final checkpoint, by position.
    pub events: Vec<EvidenceEvent>,
    /// The leaf hash of every other position up to the final checkpoint, by
    /// position: private events (stances, profiles, comments) stay out, their
    /// place in the tree does not.
    pub other_leaves: Vec<OtherLeaf>,
    /// The server's signature over the evidence index
    /// ([`Statement::BundleIndex`]: the final checkpoint and the positions of
    /// [`Bundle::events`]), its claim that no other position holds evidence.
    pub index_signature: Sig,
}

/// The final version's number, content hash and text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
pub struct FinalVersion {
    pub number: u32,
    pub content_hash: HexHash,
    pub text: Version,
}

/// One entry of the version chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
pub struct VersionLink {
    pub number: u32,
    pub content_hash: HexHash,
    /// The position of its `version_published` event.
    pub position: u64,
}

/// One evidence event: its position and exact stored bytes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
pub struct EvidenceEvent {
    pub position: u64,
    /// The stored bytes (compact JSON of the event) as a string: the leaf hash is
    /// `SHA-256(0x00 || UTF-8 bytes of this string)`.
    pub bytes: String,
}

/// A position whose event is not evidence: only its leaf hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
pub struct OtherLeaf {
    pub position: u64,
    pub leaf_hash: HexHash,
}

/// The evidence index statement of a bundle: the final checkpoint and the
/// positions of its evidence events.
pub fn index_statement(
    negotiation: &str,
    checkpoint: accord_merkle::Checkpoint,
    events: &[EvidenceEvent],
) -> Statement {
    Statement::BundleIndex {
        negotiation: negotiation.to_owned(),
        checkpoint,
        evidence: events.iter().map(|event| event.position).collect(),
    }
}

/// Why a bundle could not be built from the server's log. Each of these is a
/// server-side problem (a corrupt store or a log that is not finished), never
/// bad user input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BuildError {
    #[error("the log is empty")]
    EmptyLog,
    #[error("event {position}'s stored bytes do not hash to its stored leaf hash")]
    LeafHashMismatch { position: u64 },
    #[error("event {position}'s stored bytes are not UTF-8 JSON")]
    NotUtf8 { position: u64 },
    #[error("event {position}'s stored bytes do not parse as an event: {reason}")]
    Undecodable { position: u64, reason: String },
    #[error("event {position}'s stored bytes claim position {claimed}")]
    PositionMismatch { position: u64, claimed: u64 },
    #[error("event 0 creates negotiation {found:?}, not {expected:?}")]
    WrongNegotiation { expected: String, found: String },
    #[error("the negotiation has neither closed nor lapsed: a bundle records a concluded process")]
    NotConcluded,
    #[error(
        "event {position} acknowledges checkpoint {size} with root {claimed}, but the log's root at that size is {actual}"
    )]
    AcknowledgedRootNotInLog { position: u64, size: u64, claimed: String, actual: String },
    #[error("event {position} acknowledges checkpoint {size}, beyond the log")]
    AcknowledgedSizeBeyondLog { position: u64, size: u64 },
    #[error("a Merkle proof could not be made: {0}")]
    Proof(String),
    #[error(transparent)]
    Statement(#[from] StatementError),
}

/// Event kinds a bundle carries: the frame, the text, the keys, the
/// acknowledgements and signatures, and the timetable's course.
pub fn is_evidence(payload: &Payload) -> bool {
    matches!(
        payload,
        Payload::Created { .. }
            | Payload::TimetableSet { .. }
            | Payload::VersionPublished { .. }
            | Payload::KeyRegistered { .. }
            | Payload::KeyRotated { .. }
            | Payload::VersionAcknowledged { .. }
            | Payload::FinalTextSigned { .. }
            | Payload::PhaseEntered { .. }
            | Payload::DeadlineExtended { .. }
            | Payload::Closed { .. }
            | Payload::Lapsed { .. }
    )
}

/// Decodes a whole stored log, checking each entry's leaf hash and position.
pub(crate) fn decode_log(log: &[LogEntry]) -> Result<Vec<Event>, BuildError> {
    log.iter()
        .enumerate()
        .map(|(index, entry)| {
            let position = index as u64;
            if accord_merkle::leaf_hash(&entry.bytes) != entry.leaf_hash {
                return Err(BuildError::LeafHashMismatch { position });
            }
            let event: Event = serde_json::from_slice(&entry.bytes)
                .map_err(|e| BuildError::Undecodable { position, reason: e.to_string() })?;
            if event.position != position {
                return Err(BuildError::PositionMismatch { position, claimed: event.position });
            }
            Ok(event)
        })
        .collect()
}

/// Signed checkpoints for the given `(size, root)` pairs: a matching one from
/// `earlier` when its signature holds, otherwise a fresh one signed at `at`.
pub(crate) fn signed_checkpoints_for(
    negotiation: &str,
    wanted: &[(u64, Hash)],
    earlier: &[SignedCheckpoint],
    server_key: &SigningKey,
    at: DateTime<Utc>,
) -> Result<Vec<SignedCheckpoint>, StatementError> {
    let public = server_key.verifying_key().to_bytes();
    wanted
        .iter()
        .map(|&(size, root)| {
            let kept = earlier.iter().find(|signed| {
                signed.size == size && signed.root.0 == root && signed.verify(negotiation, &public).is_ok()
            });
            match kept {
                Some(signed) => Ok(*signed),
                None => sign_checkpoint(server_key, negotiation, accord_merkle::Checkpoint::new(size, root), at),
            }
        })
        .collect()
}

impl Bundle {
    /// Builds the bundle of a concluded (closed or lapsed) negotiation from its
    /// whole stored log (`log[i]` is event `i`).
    ///
    /// The final checkpoint is the log's current size, signed with `server_key`
    /// at `at`. Each checkpoint an acknowledgement named is taken from `earlier`
    /// (checkpoints the server signed when it handed them out) if there, else
    /// signed now. Every input is checked: a corrupt store fails here rather
    /// than producing a bundle that does not verify.
    pub fn build(
        negotiation: &str,
        log: &[LogEntry],
        server_key: &SigningKey,
        at: DateTime<Utc>,
        earlier: &[SignedCheckpoint],
    ) -> Result<Bundle, BuildError> {
        let events = decode_log(log)?;
        let created = events.first().ok_or(BuildError::EmptyLog)?;
        if let Payload::Created { negotiation: n, .. } = &created.payload
            && n.id != negotiation
        {
            return Err(BuildError::WrongNegotiation { expected: negotiation.to_owned(), found: n.id.clone() });
        }
        let leaves: Vec<Hash> = log.iter().map(|entry| entry.leaf_hash).collect();
        let size = leaves.len() as u64;
        // The slice holds exactly `size` leaves, so no size or index below can be out of range.
        let proof_error = |e: accord_merkle::ProofError| BuildError::Proof(e.to_string());
        let final_root = root_at(leaves.as_slice(), size).map_err(proof_error)?;

        let mut versions = Vec::new();
        let mut texts: Vec<&Version> = Vec::new();
        let mut acknowledged: Vec<(u64, Hash)> = Vec::new();
        let mut outcome_number = None;
        let mut concluded = false;
        for event in &events {
            match &event.payload {
                Payload::VersionPublished { number, version, .. } => {
                    versions.push(VersionLink {
                        number: *number,
                        content_hash: HexHash(version.content_hash()),
                        position: event.position,
                    });
                    texts.push(version);
                }
                Payload::VersionAcknowledged { checkpoint_size, checkpoint_root, .. } => {
                    let position = event.position;
                    let actual = root_at(leaves.as_slice(), *checkpoint_size)
                        .map_err(|_| BuildError::AcknowledgedSizeBeyondLog { position, size: *checkpoint_size })?;
                    if hex::encode(actual) != *checkpoint_root {
                        return Err(BuildError::AcknowledgedRootNotInLog {
                            position,
                            size: *checkpoint_size,
                            claimed: checkpoint_root.clone(),
                            actual: hex::encode(actual),
                        });
                    }
                    if *checkpoint_size != size && !acknowledged.iter().any(|(s, _)| s == checkpoint_size) {
                        acknowledged.push((*checkpoint_size, actual));
                    }
                }
                Payload::Closed { number, .. } => {
                    outcome_number = Some(*number);
                    concluded = true;
                }
                Payload::Lapsed { .. } => concluded = true,
                _ => {}
            }
        }
        if !concluded {
            return Err(BuildError::NotConcluded);
        }
        acknowledged.sort_unstable();

        let final_version = match outcome_number {
            Some(number) => versions.iter().zip(&texts).find(|(link, _)| link.number == number),
            None => versions.iter().zip(&texts).next_back(),
        }
        .map(|(link, text)| FinalVersion {
            number: link.number,
            content_hash: link.content_hash,
            text: (*text).clone(),
        });

        let checkpoint =
            sign_checkpoint(server_key, negotiation, accord_merkle::Checkpoint::new(size, final_root), at)?;
        let acknowledged_checkpoints = signed_checkpoints_for(negotiation, &acknowledged, earlier, server_key, at)?;

        let mut evidence = Vec::new();
        let mut other_leaves = Vec::new();
        for (event, entry) in events.iter().zip(log) {
            let position = event.position;
            if is_evidence(&event.payload) {
                let bytes = String::from_utf8(entry.bytes.clone()).map_err(|_| BuildError::NotUtf8 { position })?;
                evidence.push(EvidenceEvent { position, bytes });
            } else {
                other_leaves.push(OtherLeaf { position, leaf_hash: HexHash(entry.leaf_hash) });
            }
        }
        let index = index_statement(negotiation, checkpoint.checkpoint(), &evidence);
        let index_signature = Sig(sign_statement(server_key, &index)?);

        Ok(Bundle {
            format: BUNDLE_FORMAT.to_owned(),
            negotiation: negotiation.to_owned(),
            server_key: PublicKeyHex(server_key.verifying_key().to_bytes()),
            final_version,
            versions,
            checkpoint,
            acknowledged_checkpoints,
            events: evidence,
            other_leaves,
            index_signature,
        })
    }

    /// The canonical bytes of the file: pretty JSON (two-space indent, keys in
    /// field order, lowercase hex, non-ASCII as UTF-8) and a final newline.
    pub fn to_bytes(&self) -> Vec<u8> {
        canonical_json(self)
    }

    /// Parses a bundle without verifying anything (see [`crate::verify_bundle`]).
    pub fn from_bytes(bytes: &[u8]) -> Result<Bundle, serde_json::Error> {
        serde_json::from_slice(bytes)
    }
}

/// Pretty JSON plus a newline: the one form bundles and log exports are written in.
pub(crate) fn canonical_json<T: Serialize>(value: &T) -> Vec<u8> {
    // Serialising these plain structs (strings, integers, vectors) cannot fail;
    // an empty output would fail the canonical check loudly rather than panic.
    let mut bytes = serde_json::to_vec_pretty(value).unwrap_or_default();
    bytes.push(b'\n');
    bytes
}
