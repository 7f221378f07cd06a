//! The process evidence: the timetable's phases and the clock's transitions,
//! party keys, acknowledgements, final signatures, signed checkpoints, the
//! certificate bundle and the full log export.
//!
//! Signatures are checked here, before anything is appended; the fold in
//! `accord-core` checks shapes and order, and `accord-evidence` re-checks
//! everything offline. Party private keys never reach the server: it only
//! ever sees public keys and signatures.

use accord_core::phase;
use accord_evidence::statement::{Statement, verify_statement_hex};
use accord_evidence::{Bundle, LogEntry, LogExport, sign_checkpoint};
use accord_merkle::{Checkpoint, HexHash};

use super::*;

fn parse_hash(pointer: &str, text: &str) -> Result<accord_merkle::Hash> {
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

fn current_key<'a>(state: &'a Folded, party: &str) -> Option<&'a str> {
    state.keys.iter().rev().find(|k| k.party == party).map(|k| k.public_key.as_str())
}

fn bad_signature(what: &str, e: impl std::fmt::Display) -> ApiError {
    ApiError::field("/signature", format!("the signature does not verify as {what}: {e}"))
}

pub async fn phase_status(State(app): State<AppState>, caller: Caller, p: PathParams) -> Result<Response> {
    let seen = seen(&app, &caller, param(&p, 0)?).await?;
    seen.require(Action::Read, Resource::Evidence)?;
    Ok(Json(phase_view(&seen.state, app.clock.now())).into_response())
}

pub(crate) fn phase_view(state: &Folded, now: chrono::DateTime<chrono::Utc>) -> PhaseView {
    let entered_at = |id: &str| state.phases.entered.iter().find(|e| e.phase == id).map(|e| e.at);
    let status_of = |p: &accord_core::Phase| PhaseStatus {
        id: p.id.clone(),
        name: p.name.clone(),
        kind: p.kind.as_str().to_string(),
        start: p.start,
        deadline: phase::deadline(state, &p.id).unwrap_or(p.end),
        entered_at: entered_at(&p.id),
    };
    let status = match &state.status {
        accord_core::event::Status::Open => "open",
        accord_core::event::Status::Closed { .. } => "closed",
        accord_core::event::Status::Lapsed { .. } => "lapsed",
    };
    PhaseView {
        status: status.to_string(),
        current: phase::current(state).map(|c| status_of(c.phase)),
        timetable: state.negotiation.timetable.phases.iter().map(status_of).collect(),
        now,
    }
}

pub async fn advance_phase(
    State(app): State<AppState>,
    caller: Caller,
    p: PathParams,
    if_match: IfMatch,
    ApiJson(body): ApiJson<AdvanceInput>,
) -> Result<Response> {
    let seen = seen(&app, &caller, param(&p, 0)?).await?;
    seen.require(Action::Write, Resource::Timetable)?;
    let base = seen.base(if_match)?;
    if body.reason.trim().is_empty() {
        return Err(ApiError::field("/reason", "say why the phase ends early; the reason is logged"));
    }
    let phases = &seen.state.negotiation.timetable.phases;
    let next = match phase::current(&seen.state) {
        None => phases.first(),
        Some(current) => phases.get(current.index + 1),
    }
    .ok_or_else(|| ApiError::field("", "there is no later phase to advance to"))?;
    let payload = Payload::PhaseEntered { phase: next.id.clone(), reason: Some(body.reason) };
    Ok(written(commit(&app, &seen, base, vec![payload]).await?))
}

pub async fn extend_deadline(
    State(app): State<AppState>,
    caller: Caller,
    p: PathParams,
    if_match: IfMatch,
    ApiJson(body): ApiJson<ExtendInput>,
) -> Result<Response> {
    let seen = seen(&app, &caller, param(&p, 0)?).await?;
    seen.require(Action::Write, Resource::Timetable)?;
    let base = seen.base(if_match)?;
    if body.reason.trim().is_empty() {
        return Err(ApiError::field("/reason", "say why the deadline moves; the reason is logged"));
    }
    let phase = match body.phase {
        Some(phase) => phase,
        None => phase::current(&seen.state)
            .map(|c| c.phase.id.clone())
            .ok_or_else(|| ApiError::field("/phase", "no phase has begun yet; name the phase to extend"))?,
    };
    if !seen.state.negotiation.timetable.phases.iter().any(|p| p.id == phase) {
        return Err(ApiError::field("/phase", format!("no phase \"{phase}\" in the timetable")));
    }
    if body.end <= app.clock.now() {
        return Err(ApiError::field("/end", "the new deadline must be in the future"));
    }
    let payload = Payload::DeadlineExtended { phase, end: body.end, reason: body.reason };
    Ok(written(commit(&app, &seen, base, vec![payload]).await?))
}

pub async fn engagement(State(app): State<AppState>, caller: Caller, p: PathParams) -> Result<Response> {
    let seen = seen(&app, &caller, param(&p, 0)?).await?;
    seen.require(Action::Read, Resource::Evidence)?;
    Ok(Json(phase::engagement(&seen.state)).into_response())
}

pub async fn list_keys(State(app): State<AppState>, caller: Caller, p: PathParams) -> Result<Response> {
    let seen = seen(&app, &caller, param(&p, 0)?).await?;
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

pub async fn register_key(
    State(app): State<AppState>,
    caller: Caller,
    p: PathParams,
    if_match: IfMatch,
    ApiJson(body): ApiJson<KeyInput>,
) -> Result<Response> {
    let seen = seen(&app, &caller, param(&p, 0)?).await?;
    let party = param(&p, 1)?.to_string();
    seen.require(Action::Write, Resource::Key { party: &party })?;
    let base = seen.base(if_match)?;
    parse_hash("/public_key", &body.public_key)?;
    if let Some(existing) = current_key(&seen.state, &party) {
        return Err(ApiError::new(
            "conflict",
            format!(
                "party {party} already registered key {existing}; replace it with a rotation signed by that key (`accord key rotate`)"
            ),
        ));
    }
    let payload = Payload::KeyRegistered { party, public_key: body.public_key };
    Ok(written(commit(&app, &seen, base, vec![payload]).await?))
}

pub async fn rotate_key(
    State(app): State<AppState>,
    caller: Caller,
    p: PathParams,
    if_match: IfMatch,
    ApiJson(body): ApiJson<RotateKeyInput>,
) -> Result<Response> {
    let seen = seen(&app, &caller, param(&p, 0)?).await?;
    let party = param(&p, 1)?.to_string();
    seen.require(Action::Write, Resource::Key { party: &party })?;
    let base = seen.base(if_match)?;
    let new = parse_hash("/public_key", &body.public_key)?;
    let old_hex = current_key(&seen.state, &party)
        .ok_or_else(|| ApiError::field("/public_key", format!("party {party} has no key yet; register one first")))?;
    let old = parse_hash("", old_hex)?;
    let statement = Statement::KeyRotation { negotiation: seen.id.clone(), party: party.clone(), old, new };
    verify_statement_hex(old_hex, &statement, &body.signature)
        .map_err(|e| bad_signature("a key rotation by the current key", e))?;
    let payload = Payload::KeyRotated { party, public_key: body.public_key, signature: body.signature };
    Ok(written(commit(&app, &seen, base, vec![payload]).await?))
}

pub async fn signed_checkpoint(
    State(app): State<AppState>,
    caller: Caller,
    p: PathParams,
    q: IntQuery,
) -> Result<Response> {
    let seen = seen(&app, &caller, param(&p, 0)?).await?;
    seen.require(Action::Read, Resource::Evidence)?;
    let size = q.get("size").unwrap_or(seen.state.size);
    if size == 0 || size > seen.state.size {
        return Err(ApiError::new(
            "invalid_parameter",
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
    p: PathParams,
    if_match: IfMatch,
    ApiJson(body): ApiJson<AcknowledgeInput>,
) -> Result<Response> {
    let seen = seen(&app, &caller, param(&p, 0)?).await?;
    let party = seen.party().unwrap_or_default().to_string();
    seen.require(Action::Write, Resource::Acknowledgement { party: &party })?;
    let number = number_param(&p, 1, "number")?;
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
    p: PathParams,
    if_match: IfMatch,
    ApiJson(body): ApiJson<SignInput>,
) -> Result<Response> {
    let seen = seen(&app, &caller, param(&p, 0)?).await?;
    let party = seen.party().unwrap_or_default().to_string();
    seen.require(Action::Write, Resource::FinalSignature { party: &party })?;
    let number = number_param(&p, 1, "number")?;
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

pub async fn bundle(State(app): State<AppState>, caller: Caller, p: PathParams) -> Result<Response> {
    let seen = seen(&app, &caller, param(&p, 0)?).await?;
    seen.require(Action::Read, Resource::Evidence)?;
    // The bundle carries the `created` and `timetable_set` events, which hold
    // the working draft's frame (issues, brackets): only those who may read
    // the draft may take it. Observers see released text only.
    seen.require(Action::Read, Resource::Draft)?;
    let log = log_entries(&app, &seen.id).await?;
    let bundle = Bundle::build(&seen.id, &log, app.server_key(), app.clock.now(), &[]).map_err(|e| match e {
        accord_evidence::BuildError::NotConcluded => ApiError::new(
            "wrong_phase",
            "the certificate exists once the negotiation has closed (every signatory signed) or lapsed",
        ),
        other => ApiError::internal(format!("building the bundle: {other}")),
    })?;
    Ok(([(header::CONTENT_TYPE, "application/json")], bundle.to_bytes()).into_response())
}

pub async fn export_log(State(app): State<AppState>, caller: Caller, p: PathParams) -> Result<Response> {
    let seen = seen(&app, &caller, param(&p, 0)?).await?;
    seen.require(Action::Read, Resource::LogExport)?;
    let log = log_entries(&app, &seen.id).await?;
    let export = LogExport::build(&seen.id, &log, app.server_key(), app.clock.now(), &[])
        .map_err(|e| ApiError::internal(format!("exporting the log: {e}")))?;
    Ok(([(header::CONTENT_TYPE, "application/json")], export.to_bytes()).into_response())
}

pub async fn server_key(State(app): State<AppState>) -> Result<Response> {
    Ok(Json(ServerKeyView { public_key: hex::encode(app.server_key().verifying_key().to_bytes()) }).into_response())
}

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
