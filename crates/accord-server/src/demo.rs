//! The demo: the peace-framework example with an account in every seat,
//! created through the API itself (so it exercises the same checks), or
//! reused when the database already holds it.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use serde_json::{Value, json};
use tower::ServiceExt;

use crate::{AppState, router};

/// The example scenario, embedded so the demo works from any directory.
pub const PEACE_FRAMEWORK: &str = include_str!("../../../examples/peace-framework.toml");

pub const DEMO_PASSWORD: &str = "accord-demo";

/// `(role label, party id, email)` of every demo account.
pub const DEMO_ACCOUNTS: [(&str, &str, &str); 5] = [
    ("mediator", "us", "mediator@demo.accord.invalid"),
    ("signatory", "ua", "ua@demo.accord.invalid"),
    ("signatory", "ru", "ru@demo.accord.invalid"),
    ("consulted", "eu", "eu@demo.accord.invalid"),
    ("observer", "un", "observer@demo.accord.invalid"),
];

#[derive(Debug, Clone)]
pub struct Demo {
    pub negotiation: String,
    /// Whether this run created it (false: reused from the database).
    pub created: bool,
}

#[derive(Debug, thiserror::Error)]
#[error("setting up the demo failed at {step}: {status} {body}")]
pub struct DemoError {
    step: String,
    status: StatusCode,
    body: String,
}

async fn call(
    app: &axum::Router,
    step: &str,
    method: Method,
    path: &str,
    token: Option<&str>,
    if_match: Option<u64>,
    body: Value,
) -> Result<(StatusCode, Value), DemoError> {
    let mut builder = Request::builder().method(method).uri(path).header("content-type", "application/json");
    if let Some(token) = token {
        builder = builder.header("authorization", format!("Bearer {token}"));
    }
    if let Some(position) = if_match {
        builder = builder.header("if-match", format!("\"{position}\""));
    }
    let fail = |status, body: String| DemoError { step: step.to_string(), status, body };
    let request =
        builder.body(Body::from(body.to_string())).map_err(|e| fail(StatusCode::BAD_REQUEST, e.to_string()))?;
    let response =
        app.clone().oneshot(request).await.map_err(|e| fail(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
    let status = response.status();
    let bytes =
        axum::body::to_bytes(response.into_body(), usize::MAX).await.map_err(|e| fail(status, e.to_string()))?;
    let value: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    if status.is_client_error() || status.is_server_error() {
        return Err(fail(status, String::from_utf8_lossy(&bytes).into_owned()));
    }
    Ok((status, value))
}

/// Creates the demo accounts and negotiation, or finds them.
pub async fn ensure_demo(state: &AppState) -> Result<Demo, DemoError> {
    let app = router(state.clone());
    let mut tokens = Vec::new();
    for (_, _, email) in DEMO_ACCOUNTS {
        let exists = state.store.account_by_email(email).await.map_err(|e| DemoError {
            step: "looking up accounts".into(),
            status: StatusCode::INTERNAL_SERVER_ERROR,
            body: e.to_string(),
        })?;
        if exists.is_none() {
            let body = json!({"email": email, "password": DEMO_PASSWORD, "display_name": email.split('@').next().unwrap_or(email)});
            call(&app, "sign-up", Method::POST, "/api/accounts", None, None, body).await?;
        }
        let (_, token) = call(
            &app,
            "token",
            Method::POST,
            "/api/tokens",
            None,
            None,
            json!({"email": email, "password": DEMO_PASSWORD}),
        )
        .await?;
        tokens.push(token["token"].as_str().unwrap_or_default().to_string());
    }
    let outcome = populate(&app, &tokens, state.clock.now()).await;
    // The tokens were only for setting up; a restart must not pile up live ones.
    for token in &tokens {
        call(&app, "revoke", Method::DELETE, "/api/sessions/current", Some(token), None, Value::Null).await?;
    }
    outcome
}

async fn populate(
    app: &axum::Router,
    tokens: &[String],
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Demo, DemoError> {
    let mediator = tokens[0].clone();
    let (_, list) = call(app, "list", Method::GET, "/api/negotiations", Some(&mediator), None, Value::Null).await?;
    if let Some(existing) = list.as_array().and_then(|l| l.iter().find(|n| n["party"] == "us")) {
        return Ok(Demo { negotiation: existing["id"].as_str().unwrap_or_default().to_string(), created: false });
    }
    let (_, created) = call(
        app,
        "create",
        Method::POST,
        "/api/negotiations",
        Some(&mediator),
        None,
        // The example's dates are history; the demo's timetable starts today.
        json!({"scenario_toml": PEACE_FRAMEWORK, "timetable_from": now}),
    )
    .await?;
    let id = created["id"].as_str().unwrap_or_default().to_string();
    let mut size = created["log_size"].as_u64().unwrap_or(0);
    for ((_, party, _), token) in DEMO_ACCOUNTS.iter().zip(tokens).skip(1) {
        let (_, invitation) = call(
            app,
            "invite",
            Method::POST,
            &format!("/api/negotiations/{id}/invitations"),
            Some(&mediator),
            Some(size),
            json!({"party": party}),
        )
        .await?;
        let (_, accepted) = call(
            app,
            "accept",
            Method::POST,
            &format!("/api/negotiations/{id}/invitations/accept"),
            Some(token),
            None,
            json!({"token": invitation["token"]}),
        )
        .await?;
        size = accepted["log_size"].as_u64().unwrap_or(size);
    }
    // Two released versions, so the versions, diff, acknowledgement and
    // engagement pages have something to show: the draft as the example sets
    // it, then the draft the analysis's repair suggests.
    let versions = format!("/api/negotiations/{id}/versions");
    let (_, published) = call(app, "publish", Method::POST, &versions, Some(&mediator), Some(size), json!({})).await?;
    size = published["log_size"].as_u64().unwrap_or(size);
    let analysis = format!("/api/negotiations/{id}/analysis");
    let (_, analysis) = call(app, "analysis", Method::GET, &analysis, Some(&mediator), None, Value::Null).await?;
    let repair = &analysis["repair"]["result"];
    if repair["kind"] == "repaired" {
        let values = repair["package"]["values"].as_array().cloned().unwrap_or_default();
        for change in repair["changes"].as_array().cloned().unwrap_or_default() {
            let Some(issue) = change["issue"].as_str() else { continue };
            let Some(value) = values.iter().find(|v| v["issue"] == issue).map(|v| v["value"].clone()) else { continue };
            let path = format!("/api/negotiations/{id}/draft-values/{issue}");
            let (_, written) =
                call(app, "repair", Method::PUT, &path, Some(&mediator), Some(size), json!({"value": value})).await?;
            size = written["log_size"].as_u64().unwrap_or(size);
        }
        call(app, "publish", Method::POST, &versions, Some(&mediator), Some(size), json!({})).await?;
    }
    Ok(Demo { negotiation: id, created: true })
}
