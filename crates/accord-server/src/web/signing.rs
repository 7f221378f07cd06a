//! `/n/{id}/sign` (the final text, its hash, the signing hook) and
//! `/n/{id}/evidence` (the certificate, how to verify it, and the server's own
//! verification of it with `accord_evidence::verify_bundle`).

use accord_policy::{Action, Resource};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;

use super::dashboard::engagement_of;
use super::load::load;
use super::{Layout, PageError, api, format, render};
use crate::AppState;
use crate::api::PublishedVersionView;
use crate::auth::Caller;
use crate::extract::{NegotiationPath, VersionPath};
use crate::handlers;

#[derive(askama::Template)]
#[template(path = "sign.html")]
struct SignPage {
    layout: Layout,
    id: String,
    party: String,
    version: Option<(u32, String)>,
    provisions: Vec<(String, String, String)>,
    /// Per signatory: name and "signed …" or "not yet".
    signatures: Vec<(String, String)>,
    may_sign: bool,
    signing_open: bool,
    already_signed: Option<String>,
    phase_note: String,
}

pub(crate) async fn sign_page(
    State(app): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let loaded = load(&app, &caller, &id, &format!("/n/{id}/sign")).await?;
    let latest = loaded.view.versions.last().map(|v| v.number);
    let version: Option<PublishedVersionView> = match latest {
        Some(n) if loaded.may(Action::Read, Resource::Versions) => Some(
            api(handlers::versions::get_version(
                State(app.clone()),
                caller.clone(),
                VersionPath { id: id.clone(), number: n },
            ))
            .await?,
        ),
        _ => None,
    };
    let engagement = engagement_of(&app, &caller, &loaded).await?;
    let me = loaded.party().to_string();
    let latest_engagement = engagement.last().filter(|v| Some(v.number) == latest);
    let signatures = latest_engagement
        .map(|v| {
            v.parties
                .iter()
                .filter(|p| p.role == accord_core::Role::Signatory)
                .map(|p| {
                    let status =
                        p.signed.map_or_else(|| "not yet".to_string(), |m| format!("signed {}", format::when(m.at)));
                    (loaded.party_name(&p.party), status)
                })
                .collect()
        })
        .unwrap_or_default();
    let already_signed = latest_engagement
        .and_then(|v| v.parties.iter().find(|p| p.party == me))
        .and_then(|p| p.signed)
        .map(|m| format::when(m.at));
    let current = loaded.phase.as_ref().and_then(|p| p.current.as_ref());
    let signing_open = current.is_some_and(|c| c.kind == "signing");
    let phase_note = match (current, loaded.phase.as_ref().map(|p| p.status.as_str())) {
        (_, Some("closed")) => "The negotiation is closed: every signatory signed.".to_string(),
        (_, Some("lapsed")) => "The signing window lapsed before every signatory signed.".to_string(),
        (Some(c), _) if c.kind == "signing" => {
            format!(
                "The signing window is open until {} ({}).",
                format::when(c.deadline),
                format::relative(c.deadline, app.clock.now())
            )
        }
        (Some(c), _) => format!("Signing opens in the signing phase; now: {} ({}).", c.name, c.kind.replace('_', " ")),
        (None, _) => "The timetable has not started.".to_string(),
    };
    let layout = Layout::new(format!("Signing — {}", loaded.view.title), "sign", loaded.session.clone())
        .with_nav(loaded.nav("sign"))
        .with_scripts(&["live.js", "keys.js", "sign.js"]);
    let page = SignPage {
        layout,
        id,
        party: me.clone(),
        version: version.as_ref().map(|v| (v.number, v.content_hash.clone())),
        provisions: version
            .map(|v| v.version.provisions.into_iter().map(|p| (p.number, p.heading, p.text)).collect())
            .unwrap_or_default(),
        signatures,
        may_sign: loaded.may(Action::Write, Resource::FinalSignature { party: &me }),
        signing_open,
        already_signed,
        phase_note,
    };
    render(StatusCode::OK, &page)
}

/// The server's own verification of the bundle: passed, summary, and each
/// check as (name, passed, message).
type Verification = (bool, String, Vec<(String, bool, String)>);

#[derive(askama::Template)]
#[template(path = "evidence.html")]
struct EvidencePage {
    layout: Layout,
    id: String,
    /// The certificate's verification, when there is one to take.
    report: Option<Verification>,
    unavailable: Option<String>,
}

pub(crate) async fn evidence_page(
    State(app): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let loaded = load(&app, &caller, &id, &format!("/n/{id}/evidence")).await?;
    let answer =
        handlers::evidence::bundle(State(app.clone()), caller.clone(), NegotiationPath { id: id.clone() }).await;
    let (report, unavailable) = match answer {
        Ok(response) => {
            let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
                .await
                .map_err(crate::error::ApiError::internal)?;
            let server_key = app.server_key().verifying_key().to_bytes();
            let report = tokio::task::spawn_blocking(move || accord_evidence::verify_bundle(&bytes, Some(server_key)))
                .await
                .map_err(crate::error::ApiError::internal)?;
            let checks = report.checks.iter().map(|c| (c.name.clone(), c.passed, c.message.clone())).collect();
            (Some((report.ok(), report.summary(), checks)), None)
        }
        Err(error) => (None, Some(error.detail)),
    };
    let layout = Layout::new(format!("Evidence — {}", loaded.view.title), "evidence", loaded.session.clone())
        .with_nav(loaded.nav("evidence"))
        .with_scripts(&["live.js"]);
    render(StatusCode::OK, &EvidencePage { layout, id, report, unavailable })
}
