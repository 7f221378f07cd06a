//! Parties' public keys: registering one, rotating it (signed by the old
//! key), and the list with rotations.
//!
//! Signatures are checked here and in [`super::evidence`], before anything
//! is appended; the fold in `accord-core` checks shapes and order, and
//! `accord-evidence` re-checks everything offline. Party private keys never
//! reach the server: it only ever sees public keys and signatures.

use accord_core::event::{Payload, State as Folded};
use accord_evidence::statement::{Statement, verify_statement_hex};
use accord_merkle::HexHash;
use accord_policy::{Action, Resource};
use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};

use super::{Result, commit, seen, written};
use crate::AppState;
use crate::ErrorCode;
use crate::api::{KeyInput, PartyKeyView, RotateKeyInput};
use crate::auth::Caller;
use crate::error::ApiError;
use crate::extract::{ApiJson, IfMatch, NegotiationPath, PartyPath};

pub(crate) fn parse_hash(pointer: &str, text: &str) -> Result<accord_merkle::Hash> {
    text.parse::<HexHash>()
        .map(|h| h.0)
        .map_err(|_| ApiError::field(pointer, "expected 64 lowercase hex digits"))
        .and_then(|hash| {
            if hex::encode(hash) == text {
                Ok(hash)
            } else {
                Err(ApiError::field(pointer, "expected 64 lowercase hex digits"))
            }
        })
}

pub(super) fn current_key<'a>(state: &'a Folded, party: &str) -> Option<&'a str> {
    state.keys.iter().rev().find(|k| k.party == party).map(|k| k.public_key.as_str())
}

pub(super) fn bad_signature(what: &str, e: impl std::fmt::Display) -> ApiError {
    ApiError::field("/signature", format!("the signature does not verify as {what}: {e}"))
}

pub async fn list_keys(
    State(app): State<AppState>,
    caller: Caller,
    NegotiationPath { id }: NegotiationPath,
) -> Result<Response> {
    let seen = seen(&app, &caller, &id).await?;
    seen.require(Action::Read, Resource::Evidence)?;
    let keys: Vec<PartyKeyView> = seen
        .state
        .keys
        .iter()
        .map(|k| PartyKeyView {
            party: k.party.clone(),
            public_key: k.public_key.clone(),
            position: k.position,
            at: k.at,
            current: current_key(&seen.state, &k.party) == Some(k.public_key.as_str()),
        })
        .collect();
    Ok(Json(keys).into_response())
}

/// A key the verifiers will accept: a point on the curve, canonically
/// encoded, not of small order. A key that is not would make every bundle
/// of the negotiation fail `accord verify`, and could never be rotated away.
fn usable_key(hex: &str) -> Result<()> {
    accord_evidence::parse_public_key(hex)
        .map(|_| ())
        .map_err(|e| ApiError::field("/public_key", format!("not a usable Ed25519 public key: {e}")))
}

pub async fn register_key(
    State(app): State<AppState>,
    caller: Caller,
    PartyPath { id, party }: PartyPath,
    if_match: IfMatch,
    ApiJson(body): ApiJson<KeyInput>,
) -> Result<Response> {
    let seen = seen(&app, &caller, &id).await?;
    seen.require(Action::Write, Resource::Key { party: &party })?;
    let base = seen.base(if_match)?;
    parse_hash("/public_key", &body.public_key)?;
    usable_key(&body.public_key)?;
    if let Some(existing) = current_key(&seen.state, &party) {
        return Err(ApiError::new(
            ErrorCode::Conflict,
            format!(
                "party {party} already registered key {existing}; replace it with a rotation signed by that key (`accord key rotate`)"
            ),
        ));
    }
    // The proof of possession: the new key signs its own registration, so the
    // log (and every bundle) shows that the party holds the key, not that the
    // server says so.
    let signature = body.signature.ok_or_else(|| {
        ApiError::field(
            "/signature",
            "a first key registration needs the new key's own signature over the key-registration statement (`accord key register` makes it)",
        )
    })?;
    accord_evidence::verify_key_registration(&seen.id, &party, &body.public_key, &signature)
        .map_err(|e| bad_signature("a key registration by the new key", e))?;
    let payload = Payload::KeyRegistered { party, public_key: body.public_key, signature: Some(signature) };
    Ok(written(commit(&app, &seen, base, vec![payload]).await?))
}

pub async fn rotate_key(
    State(app): State<AppState>,
    caller: Caller,
    PartyPath { id, party }: PartyPath,
    if_match: IfMatch,
    ApiJson(body): ApiJson<RotateKeyInput>,
) -> Result<Response> {
    let seen = seen(&app, &caller, &id).await?;
    seen.require(Action::Write, Resource::Key { party: &party })?;
    let base = seen.base(if_match)?;
    let new = parse_hash("/public_key", &body.public_key)?;
    usable_key(&body.public_key)?;
    let old_hex = current_key(&seen.state, &party)
        .ok_or_else(|| ApiError::field("/public_key", format!("party {party} has no key yet; register one first")))?;
    let old = parse_hash("", old_hex)?;
    let statement = Statement::KeyRotation { negotiation: seen.id.clone(), party: party.clone(), old, new };
    verify_statement_hex(old_hex, &statement, &body.signature)
        .map_err(|e| bad_signature("a key rotation by the current key", e))?;
    let payload = Payload::KeyRotated { party, public_key: body.public_key, signature: body.signature };
    Ok(written(commit(&app, &seen, base, vec![payload]).await?))
}
