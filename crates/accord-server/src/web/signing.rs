//! `/n/{id}/sign` (the final text, its hash, the way to sign),
//! `/n/{id}/sign/{number}` (the confirmation step: nothing signs in one click)
//! and `/n/{id}/evidence` (the certificate, how to verify it, and the server's
//! own verification of it with `accord_evidence::verify_bundle`).

use accord_policy::{Action, Resource};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;

use super::dashboard::engagement_of;
use super::load::load;
use super::{
    FieldProblem, Form, Layout, PageError, api, api_write, form_status, format, problems, render, require_account,
    see_other,
};
use crate::AppState;
use crate::api::{PublishedVersionView, SignInput};
use crate::auth::Caller;
use crate::extract::{ApiJson, IfMatch, NegotiationPath, VersionPath};
use crate::handlers;

#[derive(askama::Template)]
#[template(path = "sign.html")]
struct SignPage {
    layout: Layout,
    id: String,
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

#[derive(askama::Template)]
#[template(path = "sign_confirm.html")]
struct ConfirmPage {
    layout: Layout,
    id: String,
    number: u32,
    content_hash: String,
    /// The signatory's id and name.
    party: String,
    party_name: String,
    /// The exact bytes the key signs, as text.
    statement: String,
    /// Whether a signature can be given now (a signatory, the window open, not signed yet);
    /// otherwise `refusal` says why not.
    may_sign: bool,
    refusal: String,
    /// The log size the form writes at (`If-Match`).
    base: u64,
    /// The form was posted without its confirmation: nothing was signed.
    unconfirmed: bool,
}

/// The confirmation page for signing version `number`: it names the version,
/// its content hash, the signatory and what signing means, and holds the one
/// form that signs (which needs its confirmation box ticked).
async fn confirm_view(
    app: &AppState,
    caller: &Caller,
    id: &str,
    number: &str,
    found: Vec<FieldProblem>,
    unconfirmed: bool,
) -> Result<(ConfirmPage, VersionPath), PageError> {
    let here = format!("/n/{id}/sign/{number}");
    let loaded = load(app, caller, id, &here).await?;
    let path = VersionPath::parse(id, number)?;
    let version: PublishedVersionView =
        api(handlers::versions::get_version(State(app.clone()), caller.clone(), path.clone())).await?;
    let me = loaded.party().to_string();
    let latest = loaded.view.versions.last().map(|v| v.number);
    let engagement = engagement_of(app, caller, &loaded).await?;
    let already_signed = engagement
        .iter()
        .find(|v| v.number == path.number)
        .and_then(|v| v.parties.iter().find(|p| p.party == me))
        .and_then(|p| p.signed)
        .map(|m| format::when(m.at));
    let current = loaded.phase.as_ref().and_then(|p| p.current.as_ref());
    let refusal = if !loaded.may(Action::Write, Resource::FinalSignature { party: &me }) {
        "Only a signatory signs the final text.".to_string()
    } else if let Some(at) = already_signed {
        format!("You signed version {} on {at}.", path.number)
    } else if latest != Some(path.number) {
        format!("Version {} is not the latest version; only the latest is signed.", path.number)
    } else if current.is_none_or(|c| c.kind != "signing") {
        "Signing opens in the signing phase.".to_string()
    } else {
        String::new()
    };
    let statement = accord_evidence::statement::Statement::FinalSignature {
        negotiation: loaded.view.id.clone(),
        party: me.clone(),
        version: path.number,
        content_hash: handlers::keys::parse_hash("/content_hash", &version.content_hash)?,
    };
    let statement = statement.to_bytes().ok().and_then(|bytes| String::from_utf8(bytes).ok()).unwrap_or_default();
    let mut layout =
        Layout::new(format!("Sign version {} — {}", path.number, loaded.view.title), "sign", loaded.session.clone())
            .with_nav(loaded.nav("sign"))
            .with_scripts(&["live.js", "keys.js", "sign.js"]);
    layout.problems = found;
    let page = ConfirmPage {
        layout,
        id: id.to_string(),
        number: path.number,
        content_hash: version.content_hash,
        party_name: loaded.party_name(&me),
        party: me,
        statement,
        may_sign: refusal.is_empty(),
        refusal,
        base: loaded.view.log_size,
        unconfirmed,
    };
    Ok((page, path))
}

/// `GET /n/{id}/sign/{number}`: the confirmation step; it writes nothing.
pub(crate) async fn confirm_page(
    State(app): State<AppState>,
    caller: Caller,
    Path((id, number)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let (page, _) = confirm_view(&app, &caller, &id, &number, Vec::new(), false).await?;
    render(StatusCode::OK, &page)
}

/// `POST /n/{id}/sign/{number}`: signs only with the confirmation box ticked
/// (`confirm=yes`) and the key's signature over the statement the page shows
/// (made offline: pages without script cannot reach the browser's key). A
/// post without the confirmation shows the confirmation page again and signs
/// nothing, so no single click, and no cross-site form, signs.
pub(crate) async fn confirm_sign(
    State(app): State<AppState>,
    caller: Caller,
    Path((id, number)): Path<(String, String)>,
    form: Form,
) -> Result<Response, PageError> {
    require_account(&caller, &format!("/n/{id}/sign/{number}"))?;
    if form.get("confirm") != Some("yes") {
        let found = vec![FieldProblem {
            field: "confirm".into(),
            message: "Nothing was signed: tick the box to confirm that you sign this exact text.".into(),
        }];
        let (page, _) = confirm_view(&app, &caller, &id, &number, found, true).await?;
        return render(StatusCode::OK, &page);
    }
    let base = form.base()?;
    let path = VersionPath::parse(&id, &number)?;
    let signature = form.text("signature").trim().to_ascii_lowercase();
    let written = api_write(handlers::evidence::sign_final(
        State(app.clone()),
        caller.clone(),
        path,
        IfMatch(Some(base)),
        ApiJson(SignInput { signature }),
    ))
    .await;
    match written {
        Ok(()) => Ok(see_other(&format!("/n/{id}/sign"))),
        Err(error) => {
            let found = problems(&error, &[("/signature", "signature")]);
            let (page, _) = confirm_view(&app, &caller, &id, &number, found, false).await?;
            render(form_status(&error), &page)
        }
    }
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
