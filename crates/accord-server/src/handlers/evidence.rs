//! The process evidence: server-signed checkpoints, acknowledgements and
//! final signatures (verified against the party's registered key before
//! anything is appended), the certificate bundle, the full log export and
//! the server's public key.

use accord_core::event::Payload;
use accord_evidence::statement::{Statement, verify_statement_hex};
use accord_evidence::{Bundle, LogEntry, LogExport, sign_checkpoint};
use accord_merkle::Checkpoint;
use accord_policy::{Action, Resource};
use axum::Json;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};

use super::keys::{bad_signature, current_key, parse_hash};
use super::versions::find_version;
use super::{Result, commit, seen, written};
use crate::AppState;
use crate::ErrorCode;
use crate::api::{AcknowledgeInput, ServerKeyView, SignInput, SignedCheckpointView};
use crate::auth::Caller;
use crate::error::ApiError;
use crate::extract::{ApiJson, IfMatch, IntQuery, NegotiationPath, VersionPath};

pub async fn signed_checkpoint(
    State(app): State<AppState>,
    caller: Caller,
    NegotiationPath { id }: NegotiationPath,
    q: IntQuery,
) -> Result<Response> {
    let seen = seen(&app, &caller, &id).await?;
    seen.require(Action::Read, Resource::Evidence)?;
    let size = q.get("size").unwrap_or(seen.state.size);
    if size == 0 || size > seen.state.size {
        return Err(ApiError::new(
            ErrorCode::InvalidParameter,
            format!("`size` must be between 1 and the log's size, {}", seen.state.size),
        ));
    }
    let checkpoint = app.store.checkpoint(&seen.id, size).await?;
    let signed = sign_checkpoint(app.server_key(), &seen.id, checkpoint, app.clock.now())
        .map_err(|e| ApiError::internal(format!("signing a checkpoint: {e}")))?;
    Ok(Json(SignedCheckpointView {
        negotiation: seen.id.clone(),
        size: signed.size,
        root: signed.root.to_string(),
        at: signed.at.format(accord_evidence::statement::TIME_FORMAT).to_string(),
        signature: hex::encode(signed.signature.0),
        server_key: hex::encode(app.server_key().verifying_key().to_bytes()),
    })
    .into_response())
}

pub async fn acknowledge(
    State(app): State<AppState>,
    caller: Caller,
    VersionPath { id, number }: VersionPath,
    if_match: IfMatch,
    ApiJson(body): ApiJson<AcknowledgeInput>,
) -> Result<Response> {
    let seen = seen(&app, &caller, &id).await?;
    let party = seen.party().unwrap_or_default().to_string();
    seen.require(Action::Write, Resource::Acknowledgement { party: &party })?;
    let base = seen.base(if_match)?;
    let version = find_version(&seen, number)?;
    let root = parse_hash("/checkpoint_root", &body.checkpoint_root)?;
    if body.checkpoint_size <= version.position || body.checkpoint_size > seen.state.size {
        return Err(ApiError::field(
            "/checkpoint_size",
            format!(
                "the checkpoint must include version {number} (event {}) and be no larger than the log ({} events)",
                version.position, seen.state.size
            ),
        ));
    }
    let actual = app.store.root(&seen.id, body.checkpoint_size).await?;
    if actual != root {
        return Err(ApiError::field(
            "/checkpoint_root",
            format!("this is not the log's root at size {}: split view or a typo", body.checkpoint_size),
        ));
    }
    let key = current_key(&seen.state, &party)
        .ok_or_else(|| ApiError::field("/signature", format!("party {party} has no key: register one first")))?;
    let statement = Statement::Acknowledgement {
        negotiation: seen.id.clone(),
        party: party.clone(),
        version: number,
        content_hash: parse_hash("", &version.content_hash)?,
        checkpoint: Checkpoint::new(body.checkpoint_size, root),
    };
    verify_statement_hex(key, &statement, &body.signature)
        .map_err(|e| bad_signature(&format!("party {party}'s acknowledgement of version {number}"), e))?;
    let payload = Payload::VersionAcknowledged {
        party,
        number,
        content_hash: version.content_hash,
        checkpoint_size: body.checkpoint_size,
        checkpoint_root: body.checkpoint_root,
        signature: body.signature,
    };
    Ok(written(commit(&app, &seen, base, vec![payload]).await?))
}

pub async fn sign_final(
    State(app): State<AppState>,
    caller: Caller,
    VersionPath { id, number }: VersionPath,
    if_match: IfMatch,
    ApiJson(body): ApiJson<SignInput>,
) -> Result<Response> {
    let seen = seen(&app, &caller, &id).await?;
    let party = seen.party().unwrap_or_default().to_string();
    seen.require(Action::Write, Resource::FinalSignature { party: &party })?;
    let base = seen.base(if_match)?;
    let version = find_version(&seen, number)?;
    let key = current_key(&seen.state, &party)
        .ok_or_else(|| ApiError::field("/signature", format!("party {party} has no key: register one first")))?;
    let statement = Statement::FinalSignature {
        negotiation: seen.id.clone(),
        party: party.clone(),
        version: number,
        content_hash: parse_hash("", &version.content_hash)?,
    };
    verify_statement_hex(key, &statement, &body.signature)
        .map_err(|e| bad_signature(&format!("party {party}'s signature of version {number}"), e))?;
    let payload =
        Payload::FinalTextSigned { party, number, content_hash: version.content_hash, signature: body.signature };
    Ok(written(commit(&app, &seen, base, vec![payload]).await?))
}

async fn log_entries(app: &AppState, id: &str) -> Result<Vec<LogEntry>> {
    Ok(app
        .store
        .events(id, 0, None)
        .await?
        .into_iter()
        .map(|stored| LogEntry { bytes: stored.bytes, leaf_hash: stored.leaf_hash })
        .collect())
}

pub async fn bundle(
    State(app): State<AppState>,
    caller: Caller,
    NegotiationPath { id }: NegotiationPath,
) -> Result<Response> {
    let seen = seen(&app, &caller, &id).await?;
    seen.require(Action::Read, Resource::Evidence)?;
    // The bundle carries the `created` and `timetable_set` events, which hold
    // the working draft's frame (issues, brackets): only those who may read
    // the draft may take it. Observers see released text only.
    seen.require(Action::Read, Resource::Draft)?;
    let log = log_entries(&app, &seen.id).await?;
    let bundle = Bundle::build(&seen.id, &log, app.server_key(), app.clock.now(), &[]).map_err(|e| match e {
        accord_evidence::BuildError::NotConcluded => ApiError::new(
            ErrorCode::WrongPhase,
            "the certificate exists once the negotiation has closed (every signatory signed) or lapsed",
        ),
        other => ApiError::internal(format!("building the bundle: {other}")),
    })?;
    Ok(([(header::CONTENT_TYPE, "application/json")], bundle.to_bytes()).into_response())
}

pub async fn export_log(
    State(app): State<AppState>,
    caller: Caller,
    NegotiationPath { id }: NegotiationPath,
) -> Result<Response> {
    let seen = seen(&app, &caller, &id).await?;
    seen.require(Action::Read, Resource::LogExport)?;
    let log = log_entries(&app, &seen.id).await?;
    let export = LogExport::build(&seen.id, &log, app.server_key(), app.clock.now(), &[])
        .map_err(|e| ApiError::internal(format!("exporting the log: {e}")))?;
    Ok(([(header::CONTENT_TYPE, "application/json")], export.to_bytes()).into_response())
}

pub async fn server_key(State(app): State<AppState>) -> Result<Response> {
    Ok(Json(ServerKeyView { public_key: hex::encode(app.server_key().verifying_key().to_bytes()) }).into_response())
}
