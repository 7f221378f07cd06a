//! The statements parties and the server sign, byte for byte.
//!
//! A statement is a few `key=value` lines of UTF-8 text after a tag line, each
//! line ending in `\n`. Plain lines rather than JSON so that a browser (WebCrypto
//! Ed25519) or a shell script can rebuild the exact bytes without a JSON
//! canonicaliser:
//!
//! ```text
//! accord/ack/v1\nnegotiation=<id>\nparty=<id>\nversion=<n>\ncontent=<hex>\ncheckpoint=<size>:<root hex>\n
//! accord/sign/v1\nnegotiation=<id>\nparty=<id>\nversion=<n>\ncontent=<hex>\n
//! accord/key-rotation/v1\nnegotiation=<id>\nparty=<id>\nold=<hex>\nnew=<hex>\n
//! accord/key-registration/v1\nnegotiation=<id>\nparty=<id>\nkey=<hex>\n
//! accord/bundle-index/v1\nnegotiation=<id>\nsize=<n>\nroot=<hex>\nevidence=<position>,<position>,…\n
//! accord/checkpoint/v1\nnegotiation=<id>\nsize=<n>\nroot=<hex>\nat=<YYYY-MM-DDTHH:MM:SSZ>\n
//! ```
//!
//! Hex is lowercase, numbers are decimal without leading zeros, times are UTC
//! to the second. The tag names the statement, so a signature over one kind can
//! never be replayed as another.

use accord_merkle::{Checkpoint, Hash};
use chrono::{DateTime, SubsecRound, Utc};
use ed25519_dalek::{Signature, Signer, SigningKey};

/// The first line of an acknowledgement of a version.
pub const ACK_TAG: &str = "accord/ack/v1";
/// The first line of a signature of the final text.
pub const SIGN_TAG: &str = "accord/sign/v1";
/// The first line of a key rotation, signed by the old key.
pub const KEY_ROTATION_TAG: &str = "accord/key-rotation/v1";
/// The first line of a first key registration, signed by the new key itself.
pub const KEY_REGISTRATION_TAG: &str = "accord/key-registration/v1";
/// The first line of a bundle's evidence index, signed by the server.
pub const BUNDLE_INDEX_TAG: &str = "accord/bundle-index/v1";
/// The first line of a checkpoint attested by the server.
pub const CHECKPOINT_TAG: &str = "accord/checkpoint/v1";

/// The `at=` format of a checkpoint statement (RFC 3339, UTC, whole seconds).
pub const TIME_FORMAT: &str = "%Y-%m-%dT%H:%M:%SZ";

/// What a party or the server signs. Build one, then [`Statement::to_bytes`],
/// [`sign_statement`] or [`verify_statement`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Statement {
    /// Party `party` saw version `version` (whose content hash is `content_hash`)
    /// in the log as of `checkpoint`.
    Acknowledgement { negotiation: String, party: String, version: u32, content_hash: Hash, checkpoint: Checkpoint },
    /// Signatory `party` signs version `version`, the final text.
    FinalSignature { negotiation: String, party: String, version: u32, content_hash: Hash },
    /// Party `party` replaces key `old` by `new`; signed by `old`.
    KeyRotation { negotiation: String, party: String, old: [u8; 32], new: [u8; 32] },
    /// Party `party` registers its first key `key`; signed by `key` itself
    /// (proof of possession). No checkpoint: the statement binds the key to one
    /// seat of one negotiation, which is all a first registration claims, and a
    /// party can make it before it has seen anything of the log.
    KeyRegistration { negotiation: String, party: String, key: [u8; 32] },
    /// The server attests that, of the `checkpoint.size` events of the log of
    /// `negotiation`, the evidence events are exactly those at `evidence`
    /// (ascending positions): a bundle's completeness claim.
    BundleIndex { negotiation: String, checkpoint: Checkpoint, evidence: Vec<u64> },
    /// The server attests that the log of `negotiation` had `checkpoint` at time `at`.
    Checkpoint { negotiation: String, checkpoint: Checkpoint, at: DateTime<Utc> },
}

/// A statement that cannot be written unambiguously.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StatementError {
    #[error("the {field} id is empty")]
    EmptyId { field: &'static str },
    #[error(
        "the {field} id {id:?} contains {what}, which would make the signed statement ambiguous (ids are single-line and have no '=')"
    )]
    AmbiguousId { field: &'static str, id: String, what: &'static str },
    #[error("checkpoint time {at} has fractions of a second; statements carry whole seconds (truncate it first)")]
    SubsecondTime { at: DateTime<Utc> },
}

impl Statement {
    /// The exact bytes that are signed.
    pub fn to_bytes(&self) -> Result<Vec<u8>, StatementError> {
        let text = match self {
            Statement::Acknowledgement { negotiation, party, version, content_hash, checkpoint } => format!(
                "{ACK_TAG}\nnegotiation={}\nparty={}\nversion={version}\ncontent={}\ncheckpoint={}:{}\n",
                id("negotiation", negotiation)?,
                id("party", party)?,
                hex::encode(content_hash),
                checkpoint.size,
                checkpoint.root,
            ),
            Statement::FinalSignature { negotiation, party, version, content_hash } => format!(
                "{SIGN_TAG}\nnegotiation={}\nparty={}\nversion={version}\ncontent={}\n",
                id("negotiation", negotiation)?,
                id("party", party)?,
                hex::encode(content_hash),
            ),
            Statement::KeyRotation { negotiation, party, old, new } => format!(
                "{KEY_ROTATION_TAG}\nnegotiation={}\nparty={}\nold={}\nnew={}\n",
                id("negotiation", negotiation)?,
                id("party", party)?,
                hex::encode(old),
                hex::encode(new),
            ),
            Statement::KeyRegistration { negotiation, party, key } => format!(
                "{KEY_REGISTRATION_TAG}\nnegotiation={}\nparty={}\nkey={}\n",
                id("negotiation", negotiation)?,
                id("party", party)?,
                hex::encode(key),
            ),
            Statement::BundleIndex { negotiation, checkpoint, evidence } => {
                let positions: Vec<String> = evidence.iter().map(u64::to_string).collect();
                format!(
                    "{BUNDLE_INDEX_TAG}\nnegotiation={}\nsize={}\nroot={}\nevidence={}\n",
                    id("negotiation", negotiation)?,
                    checkpoint.size,
                    checkpoint.root,
                    positions.join(","),
                )
            }
            Statement::Checkpoint { negotiation, checkpoint, at } => {
                if at.trunc_subsecs(0) != *at {
                    return Err(StatementError::SubsecondTime { at: *at });
                }
                format!(
                    "{CHECKPOINT_TAG}\nnegotiation={}\nsize={}\nroot={}\nat={}\n",
                    id("negotiation", negotiation)?,
                    checkpoint.size,
                    checkpoint.root,
                    at.format(TIME_FORMAT),
                )
            }
        };
        Ok(text.into_bytes())
    }

    /// A short description for error messages: "acknowledgement of version 3 by party ua".
    pub fn describe(&self) -> String {
        match self {
            Statement::Acknowledgement { party, version, .. } => {
                format!("acknowledgement of version {version} by party {party}")
            }
            Statement::FinalSignature { party, version, .. } => {
                format!("signature of party {party} over version {version}")
            }
            Statement::KeyRotation { party, .. } => format!("key rotation of party {party}"),
            Statement::KeyRegistration { party, .. } => format!("key registration of party {party}"),
            Statement::BundleIndex { checkpoint, .. } => {
                format!("server's evidence index of checkpoint {}", checkpoint.size)
            }
            Statement::Checkpoint { checkpoint, .. } => format!("server signature over checkpoint {}", checkpoint.size),
        }
    }
}

fn id<'a>(field: &'static str, value: &'a str) -> Result<&'a str, StatementError> {
    if value.is_empty() {
        return Err(StatementError::EmptyId { field });
    }
    let what = if value.contains('\n') {
        Some("a newline")
    } else if value.chars().any(char::is_control) {
        Some("a control character")
    } else if value.contains('=') {
        Some("'='")
    } else {
        None
    };
    match what {
        Some(what) => Err(StatementError::AmbiguousId { field, id: value.to_owned(), what }),
        None => Ok(value),
    }
}

/// Why a signature was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error(transparent)]
    Statement(#[from] StatementError),
    #[error("{what} is not {expected} hex digits: {got:?}")]
    MalformedHex { what: &'static str, expected: usize, got: String },
    #[error("the public key {key} is not a valid Ed25519 key (a canonical point of the curve, not of small order)")]
    InvalidPublicKey { key: String },
    #[error("{statement} does not verify under key {key}")]
    DoesNotVerify { statement: String, key: String },
}

/// Signs a statement with `key` (Ed25519, deterministic: the same key and
/// statement always give the same signature).
pub fn sign_statement(key: &SigningKey, statement: &Statement) -> Result<[u8; 64], StatementError> {
    Ok(key.sign(&statement.to_bytes()?).to_bytes())
}

/// [`sign_statement`], as the 128 lowercase hex digits events carry.
pub fn sign_statement_hex(key: &SigningKey, statement: &Statement) -> Result<String, StatementError> {
    sign_statement(key, statement).map(hex::encode)
}

/// Checks `signature` over `statement` under `public_key` with Ed25519's strict
/// rules (`verify_strict`: no small-order keys, no malleable signatures), so no
/// second signature over the same statement can be made from a valid one. The
/// key must pass [`crate::parse_public_key`]'s checks.
pub fn verify_statement(
    public_key: &[u8; 32],
    statement: &Statement,
    signature: &[u8; 64],
) -> Result<(), SignatureError> {
    let bytes = statement.to_bytes()?;
    let key = crate::key::public_key_from_bytes(public_key)
        .map_err(|_| SignatureError::InvalidPublicKey { key: hex::encode(public_key) })?;
    key.verify_strict(&bytes, &Signature::from_bytes(signature))
        .map_err(|_| SignatureError::DoesNotVerify { statement: statement.describe(), key: hex::encode(public_key) })
}

/// [`verify_statement`] with the key and signature as lowercase hex, as events carry them.
pub fn verify_statement_hex(public_key: &str, statement: &Statement, signature: &str) -> Result<(), SignatureError> {
    let public_key: [u8; 32] = parse_hex("public key", public_key)?;
    let signature: [u8; 64] = parse_hex("signature", signature)?;
    verify_statement(&public_key, statement, &signature)
}

/// Parses exactly `N` bytes of lowercase hex. Uppercase is refused: every hex
/// string Accord writes is lowercase, and accepting two spellings would let the
/// same evidence be written two ways.
pub fn parse_hex<const N: usize>(what: &'static str, text: &str) -> Result<[u8; N], SignatureError> {
    let malformed = || SignatureError::MalformedHex { what, expected: 2 * N, got: text.to_owned() };
    if text.len() != 2 * N || text.bytes().any(|b| b.is_ascii_uppercase()) {
        return Err(malformed());
    }
    let mut out = [0u8; N];
    hex::decode_to_slice(text, &mut out).map_err(|_| malformed())?;
    Ok(out)
}

/// Signs `checkpoint` as the server, dropping fractions of a second from `at`.
pub fn sign_checkpoint(
    server_key: &SigningKey,
    negotiation: &str,
    checkpoint: Checkpoint,
    at: DateTime<Utc>,
) -> Result<SignedCheckpoint, StatementError> {
    let at = at.trunc_subsecs(0);
    let statement = Statement::Checkpoint { negotiation: negotiation.to_owned(), checkpoint, at };
    let signature = sign_statement(server_key, &statement)?;
    Ok(SignedCheckpoint { size: checkpoint.size, root: checkpoint.root, at, signature: Sig(signature) })
}

/// A checkpoint with the server's signature over its checkpoint statement, as it
/// travels in bundles and log exports: `{"size", "root", "at", "signature"}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
pub struct SignedCheckpoint {
    pub size: u64,
    pub root: accord_merkle::HexHash,
    #[serde(with = "seconds")]
    pub at: DateTime<Utc>,
    pub signature: Sig,
}

impl SignedCheckpoint {
    /// The size and root, for the Merkle verifiers.
    pub fn checkpoint(&self) -> Checkpoint {
        Checkpoint { size: self.size, root: self.root }
    }

    /// The statement the signature is over.
    pub fn statement(&self, negotiation: &str) -> Statement {
        Statement::Checkpoint { negotiation: negotiation.to_owned(), checkpoint: self.checkpoint(), at: self.at }
    }

    /// Checks the server's signature.
    pub fn verify(&self, negotiation: &str, server_key: &[u8; 32]) -> Result<(), SignatureError> {
        verify_statement(server_key, &self.statement(negotiation), &self.signature.0)
    }
}

/// An Ed25519 signature that serialises as 128 lowercase hex digits (and refuses uppercase).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Sig(pub [u8; 64]);

impl std::fmt::Debug for Sig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Sig({})", hex::encode(self.0))
    }
}

impl serde::Serialize for Sig {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&hex::encode(self.0))
    }
}

impl<'de> serde::Deserialize<'de> for Sig {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        parse_hex("signature", &text).map(Sig).map_err(serde::de::Error::custom)
    }
}

/// The OpenAPI form: a string of 128 lowercase hex digits, as [`serde::Serialize`] writes it.
#[cfg(feature = "utoipa")]
impl utoipa::PartialSchema for Sig {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::Type::String)
            .pattern(Some("^[0-9a-f]{128}$"))
            .description(Some("An Ed25519 signature, 128 lowercase hex digits."))
            .into()
    }
}

#[cfg(feature = "utoipa")]
impl utoipa::ToSchema for Sig {}

/// `DateTime<Utc>` as [`TIME_FORMAT`]; anything else (offsets, fractions) is refused.
pub(crate) mod seconds {
    use chrono::{DateTime, NaiveDateTime, Utc};
    use serde::{Deserialize, Deserializer, Serializer};

    use super::TIME_FORMAT;

    pub fn serialize<S: Serializer>(at: &DateTime<Utc>, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&at.format(TIME_FORMAT))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<DateTime<Utc>, D::Error> {
        let text = String::deserialize(deserializer)?;
        let at = NaiveDateTime::parse_from_str(&text, TIME_FORMAT)
            .map_err(|e| serde::de::Error::custom(format!("time {text:?} is not YYYY-MM-DDTHH:MM:SSZ: {e}")))?
            .and_utc();
        if at.format(TIME_FORMAT).to_string() != text {
            return Err(serde::de::Error::custom(format!("time {text:?} is not in canonical form")));
        }
        Ok(at)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // test code: a panic is a failed test
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn key(seed: u8) -> SigningKey {
        SigningKey::from_bytes(&[seed; 32])
    }

    fn checkpoint() -> Checkpoint {
        Checkpoint::new(830, [0xab; 32])
    }

    fn ack() -> Statement {
        Statement::Acknowledgement {
            negotiation: "ceasefire".into(),
            party: "ua".into(),
            version: 7,
            content_hash: [0x11; 32],
            checkpoint: checkpoint(),
        }
    }

    fn at() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 1, 12, 30, 5).unwrap()
    }

    #[test]
    fn statement_bytes_are_pinned() {
        let h11 = "11".repeat(32);
        let hab = "ab".repeat(32);
        assert_eq!(
            String::from_utf8(ack().to_bytes().unwrap()).unwrap(),
            format!("accord/ack/v1\nnegotiation=ceasefire\nparty=ua\nversion=7\ncontent={h11}\ncheckpoint=830:{hab}\n")
        );
        let sign = Statement::FinalSignature {
            negotiation: "ceasefire".into(),
            party: "ua".into(),
            version: 7,
            content_hash: [0x11; 32],
        };
        assert_eq!(
            String::from_utf8(sign.to_bytes().unwrap()).unwrap(),
            format!("accord/sign/v1\nnegotiation=ceasefire\nparty=ua\nversion=7\ncontent={h11}\n")
        );
        let rotation =
            Statement::KeyRotation { negotiation: "ceasefire".into(), party: "ua".into(), old: [1; 32], new: [2; 32] };
        assert_eq!(
            String::from_utf8(rotation.to_bytes().unwrap()).unwrap(),
            format!(
                "accord/key-rotation/v1\nnegotiation=ceasefire\nparty=ua\nold={}\nnew={}\n",
                "01".repeat(32),
                "02".repeat(32)
            )
        );
        let checkpoint = Statement::Checkpoint { negotiation: "ceasefire".into(), checkpoint: checkpoint(), at: at() };
        assert_eq!(
            String::from_utf8(checkpoint.to_bytes().unwrap()).unwrap(),
            format!("accord/checkpoint/v1\nnegotiation=ceasefire\nsize=830\nroot={hab}\nat=2026-03-01T12:30:05Z\n")
        );
    }

    #[test]
    fn the_bundle_index_bytes_are_pinned() {
        let index = Statement::BundleIndex {
            negotiation: "ceasefire".into(),
            checkpoint: checkpoint(),
            evidence: vec![0, 2, 3, 829],
        };
        assert_eq!(
            String::from_utf8(index.to_bytes().unwrap()).unwrap(),
            format!(
                "accord/bundle-index/v1\nnegotiation=ceasefire\nsize=830\nroot={}\nevidence=0,2,3,829\n",
                "ab".repeat(32)
            )
        );
        let empty = Statement::BundleIndex { negotiation: "n".into(), checkpoint: checkpoint(), evidence: vec![] };
        assert!(String::from_utf8(empty.to_bytes().unwrap()).unwrap().ends_with("\nevidence=\n"));
    }

    #[test]
    fn known_answer_signature() {
        // RFC 8032 §7.1 test 1's secret key, so the public key below can be checked against the RFC;
        // the signature was cross-checked with Python's `cryptography` (OpenSSL's Ed25519).
        let seed: [u8; 32] =
            parse_hex("seed", "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60").unwrap();
        let key = SigningKey::from_bytes(&seed);
        assert_eq!(
            hex::encode(key.verifying_key().to_bytes()),
            "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
        );
        let signature = sign_statement_hex(&key, &ack()).unwrap();
        assert_eq!(
            signature,
            "154258d1c7e407e4df1f92ffffbc9927bc83e0ca69fd5c381178a5ab9016c254\
             a679682c4113d85c5375d3b281733686e88e0974e770da86783735352ccbc504"
        );
    }

    #[test]
    fn signatures_verify_and_bind_every_field() {
        let key = key(7);
        let public = key.verifying_key().to_bytes();
        let signature = sign_statement(&key, &ack()).unwrap();
        verify_statement(&public, &ack(), &signature).unwrap();

        let Statement::Acknowledgement { negotiation, party, version, content_hash, checkpoint } = ack() else {
            unreachable!()
        };
        let altered = [
            Statement::Acknowledgement {
                negotiation: "other".into(),
                party: party.clone(),
                version,
                content_hash,
                checkpoint,
            },
            Statement::Acknowledgement {
                negotiation: negotiation.clone(),
                party: "ru".into(),
                version,
                content_hash,
                checkpoint,
            },
            Statement::Acknowledgement {
                negotiation: negotiation.clone(),
                party: party.clone(),
                version: 8,
                content_hash,
                checkpoint,
            },
            Statement::Acknowledgement {
                negotiation: negotiation.clone(),
                party: party.clone(),
                version,
                content_hash: [0x12; 32],
                checkpoint,
            },
            Statement::Acknowledgement {
                negotiation: negotiation.clone(),
                party: party.clone(),
                version,
                content_hash,
                checkpoint: Checkpoint::new(831, [0xab; 32]),
            },
            // Same fields, another kind of statement: the tag keeps them apart.
            Statement::FinalSignature { negotiation, party, version, content_hash },
        ];
        for statement in altered {
            let err = verify_statement(&public, &statement, &signature).unwrap_err();
            assert!(matches!(err, SignatureError::DoesNotVerify { .. }), "{statement:?}: {err}");
        }
        let other_key = key_public(8);
        assert!(verify_statement(&other_key, &ack(), &signature).is_err());
    }

    fn key_public(seed: u8) -> [u8; 32] {
        key(seed).verifying_key().to_bytes()
    }

    #[test]
    fn messages_name_the_statement() {
        let public = key_public(1);
        let err = verify_statement(&public, &ack(), &[0; 64]).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("acknowledgement of version 7 by party ua does not verify under key {}", hex::encode(public))
        );
        let sign = Statement::FinalSignature {
            negotiation: "n".into(),
            party: "ua".into(),
            version: 7,
            content_hash: [0; 32],
        };
        let err = verify_statement(&public, &sign, &[0; 64]).unwrap_err();
        assert!(err.to_string().starts_with("signature of party ua over version 7 does not verify"), "{err}");
    }

    #[test]
    fn ambiguous_ids_are_refused() {
        let with_party = |party: &str| Statement::FinalSignature {
            negotiation: "n".into(),
            party: party.into(),
            version: 1,
            content_hash: [0; 32],
        };
        assert_eq!(with_party("").to_bytes(), Err(StatementError::EmptyId { field: "party" }));
        for (party, what) in [("ua\nversion=9", "a newline"), ("ua\r", "a control character"), ("u=a", "'='")] {
            let err = with_party(party).to_bytes().unwrap_err();
            assert_eq!(err, StatementError::AmbiguousId { field: "party", id: party.into(), what });
            assert!(matches!(sign_statement(&key(1), &with_party(party)), Err(StatementError::AmbiguousId { .. })));
        }
        let nl = Statement::Checkpoint { negotiation: "a\nb".into(), checkpoint: checkpoint(), at: at() };
        assert!(matches!(nl.to_bytes(), Err(StatementError::AmbiguousId { field: "negotiation", .. })));
    }

    #[test]
    fn checkpoint_times_are_whole_seconds() {
        let fractional = at() + chrono::Duration::milliseconds(250);
        let statement = Statement::Checkpoint { negotiation: "n".into(), checkpoint: checkpoint(), at: fractional };
        assert_eq!(statement.to_bytes(), Err(StatementError::SubsecondTime { at: fractional }));
        let server = key(9);
        let signed = sign_checkpoint(&server, "n", checkpoint(), fractional).unwrap();
        assert_eq!(signed.at, at());
        signed.verify("n", &server.verifying_key().to_bytes()).unwrap();
        assert!(signed.verify("m", &server.verifying_key().to_bytes()).is_err());

        let json = serde_json::to_string(&signed).unwrap();
        assert!(json.contains("\"at\":\"2026-03-01T12:30:05Z\""), "{json}");
        assert_eq!(serde_json::from_str::<SignedCheckpoint>(&json).unwrap(), signed);
        for bad in ["2026-03-01T12:30:05.000Z", "2026-03-01T12:30:05+00:00", "2026-3-01T12:30:05Z"] {
            let json = json.replace("2026-03-01T12:30:05Z", bad);
            assert!(serde_json::from_str::<SignedCheckpoint>(&json).is_err(), "{bad}");
        }
        let upper = json.replace(&hex::encode(signed.signature.0), &hex::encode_upper(signed.signature.0));
        assert!(serde_json::from_str::<SignedCheckpoint>(&upper).is_err());
    }

    #[test]
    fn hex_is_exact_and_lowercase() {
        assert_eq!(parse_hex::<2>("k", "abcd").unwrap(), [0xab, 0xcd]);
        for bad in ["ABCD", "abc", "abcdef", "zzzz", ""] {
            assert!(parse_hex::<2>("k", bad).is_err(), "{bad}");
        }
        let err = verify_statement_hex("00", &ack(), &"00".repeat(64)).unwrap_err();
        assert_eq!(err.to_string(), "public key is not 64 hex digits: \"00\"");
    }
}
