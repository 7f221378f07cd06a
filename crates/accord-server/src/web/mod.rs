//! The server-rendered web UI. Every page reads through the same handler
//! functions the JSON API routes to (so through the same policy decisions and
//! filters), deserialises what they answer and renders it with askama
//! templates; every form posts to a web route that calls the matching API
//! handler with the form's values. Nothing here reads the store or the folded
//! state around the policy.
//!
//! Forms carry the CSRF token as a hidden `csrf` field; [`lift_form_csrf`]
//! moves it into the `X-CSRF-Token` header before the [`Caller`] extractor
//! runs, so the one check in `auth.rs` covers forms and API calls alike.

use std::future::Future;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::de::DeserializeOwned;

use crate::AppState;
use crate::ErrorCode;
use crate::auth::{self, Caller, Via};
use crate::error::ApiError;

mod account;
mod analysis;
mod assets;
mod create;
mod dashboard;
mod draft;
mod format;
mod load;
mod negotiation;
mod profile;
mod signing;
mod text;
mod versions;

/// The web pages and their form actions.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/static/{*path}", get(assets::static_file))
        .route("/signin", get(account::sign_in_page).post(account::sign_in))
        .route("/signup", get(account::sign_up_page).post(account::sign_up))
        .route("/signout", post(account::sign_out))
        .route("/join", get(account::join_page).post(account::join))
        .route("/", get(dashboard::dashboard))
        .route("/n/new", get(create::new_page).post(create::create))
        .route("/n/new/document", post(create::create_from_document))
        .route("/n/{id}", get(negotiation::home))
        .route("/n/{id}/phase/advance", post(negotiation::advance))
        .route("/n/{id}/members", get(negotiation::members))
        .route("/n/{id}/invitations", post(negotiation::invite))
        .route("/n/{id}/settings/working-draft", post(negotiation::set_working_draft_sharing))
        .route("/n/{id}/invitations/{invitation}/revoke", post(negotiation::revoke_invitation))
        .route("/n/{id}/text", get(text::text_page))
        .route("/n/{id}/draft", get(draft::draft_page).post(draft::edit))
        .route("/n/{id}/stances/{provision}", post(text::set_stance))
        .route("/n/{id}/comments", post(text::add_comment))
        .route("/n/{id}/versions", get(versions::list).post(versions::publish))
        .route("/n/{id}/versions/next", get(versions::next_version))
        .route("/n/{id}/diff", get(versions::pick_diff))
        .route("/n/{id}/versions/{number}", get(versions::one))
        .route("/n/{id}/versions/{number}/diff/{other}", get(versions::diff))
        .route("/n/{id}/profile", get(profile::profile_page).post(profile::save_profile))
        .route("/n/{id}/reservation", post(profile::move_reservation))
        .route("/n/{id}/confirm", post(profile::confirm_inputs))
        .route("/n/{id}/analysis", get(analysis::analysis_page))
        .route("/n/{id}/analysis/preview", get(analysis::preview))
        .route("/n/{id}/analysis/adopt", post(analysis::adopt))
        .route("/n/{id}/sign", get(signing::sign_page))
        .route("/n/{id}/sign/{number}", get(signing::confirm_page).post(signing::confirm_sign))
        .route("/n/{id}/evidence", get(signing::evidence_page))
        .layer(middleware::from_fn(lift_form_csrf))
}

/// For a form POST, copies the `csrf` field into the CSRF header the
/// [`Caller`] extractor checks. The body is put back untouched.
async fn lift_form_csrf(request: Request, next: Next) -> Response {
    let is_form = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if request.method() != Method::POST || !is_form {
        return next.run(request).await;
    }
    let (mut parts, body) = request.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, 1024 * 1024).await else {
        return error_page(None, StatusCode::PAYLOAD_TOO_LARGE, "The form is too large.").into_response();
    };
    let token = form_pairs(&bytes).into_iter().find(|(k, _)| k == "csrf").map(|(_, v)| v);
    if let Some(value) = token.and_then(|t| HeaderValue::from_str(&t).ok()) {
        parts.headers.insert(auth::CSRF_HEADER, value);
    }
    next.run(Request::from_parts(parts, Body::from(bytes))).await
}

/// `application/x-www-form-urlencoded` as (name, value) pairs in order.
pub(crate) fn form_pairs(bytes: &Bytes) -> Vec<(String, String)> {
    url::form_urlencoded::parse(bytes).into_owned().collect()
}

/// A posted form, looked up by field name.
#[derive(Debug, Default)]
pub(crate) struct Form(pub Vec<(String, String)>);

impl Form {
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    pub(crate) fn text(&self, name: &str) -> String {
        self.get(name).unwrap_or_default().to_string()
    }

    pub(crate) fn checked(&self, name: &str) -> bool {
        self.get(name).is_some_and(|v| !v.is_empty())
    }

    pub(crate) fn base(&self) -> Result<u64, PageError> {
        self.get("base").and_then(|b| b.trim().parse().ok()).ok_or_else(|| {
            PageError::Api(ApiError::new(
                ErrorCode::MalformedRequest,
                "the form lacks its `base` (log position); reload the page",
            ))
        })
    }
}

impl<S: Send + Sync> axum::extract::FromRequest<S> for Form {
    type Rejection = PageError;

    async fn from_request(request: Request, _: &S) -> Result<Self, PageError> {
        let bytes = axum::body::to_bytes(request.into_body(), 1024 * 1024)
            .await
            .map_err(|_| PageError::Api(ApiError::new(ErrorCode::PayloadTooLarge, "the form is too large")))?;
        Ok(Form(form_pairs(&bytes)))
    }
}

/// Who is looking, as the layout needs it.
#[derive(Debug, Clone, Default)]
pub(crate) struct Session {
    pub display_name: Option<String>,
    pub csrf: String,
}

impl Session {
    pub(crate) fn of(caller: &Caller) -> Session {
        Session {
            display_name: caller.account.as_ref().map(|a| a.display_name.clone()),
            csrf: match &caller.via {
                Via::Session { token } => auth::csrf_token(token),
                _ => String::new(),
            },
        }
    }
}

/// What a page handler fails with: sign in first, or a page saying what went wrong.
#[derive(Debug)]
pub(crate) enum PageError {
    SignIn { next: String },
    Api(ApiError),
}

impl From<ApiError> for PageError {
    fn from(error: ApiError) -> Self {
        PageError::Api(error)
    }
}

impl From<askama::Error> for PageError {
    fn from(error: askama::Error) -> Self {
        PageError::Api(ApiError::internal(format!("rendering the page failed: {error}")))
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        match self {
            PageError::SignIn { next } => {
                Redirect::to(&format!("/signin?next={}", format::url_encode(&next))).into_response()
            }
            PageError::Api(error) => {
                let status = error.status();
                let mut message = error.detail.clone();
                for field in &error.errors {
                    message.push_str(&format!(" — {}: {}", field.pointer.trim_start_matches('/'), field.message));
                }
                error_page(None, status, &message).into_response()
            }
        }
    }
}

/// The caller's account, or a redirect to sign in and come back to `here`.
pub(crate) fn require_account<'c>(caller: &'c Caller, here: &str) -> Result<&'c accord_store::Account, PageError> {
    caller.account.as_ref().ok_or_else(|| PageError::SignIn { next: here.to_string() })
}

/// Runs an API handler and reads its JSON answer as `T`: pages see exactly
/// what the API would have served this caller.
pub(crate) async fn api<T: DeserializeOwned>(
    call: impl Future<Output = Result<Response, ApiError>>,
) -> Result<T, ApiError> {
    let response = call.await?;
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.map_err(ApiError::internal)?;
    serde_json::from_slice(&bytes).map_err(|e| ApiError::internal(format!("reading the API's answer: {e}")))
}

/// Runs an API handler for its effect.
pub(crate) async fn api_write(call: impl Future<Output = Result<Response, ApiError>>) -> Result<(), ApiError> {
    call.await.map(|_| ())
}

pub(crate) fn see_other(to: &str) -> Response {
    Redirect::to(to).into_response()
}

/// An HTML page with a status.
pub(crate) fn html(status: StatusCode, body: String) -> Response {
    (status, [(header::CONTENT_TYPE, "text/html; charset=utf-8"), (header::CACHE_CONTROL, "no-store")], body)
        .into_response()
}

pub(crate) fn render(status: StatusCode, page: &impl askama::Template) -> Result<Response, PageError> {
    Ok(html(status, page.render()?))
}

#[derive(askama::Template)]
#[template(path = "error.html")]
struct ErrorPage {
    layout: Layout,
    status: u16,
    message: String,
}

/// The page for a path no route serves (the router's fallback outside `/api/`).
pub(crate) fn page_not_found() -> Response {
    error_page(None, StatusCode::NOT_FOUND, "There is no such page. Start again from your dashboard.")
}

fn error_page(session: Option<&Session>, status: StatusCode, message: &str) -> Response {
    let layout = Layout::new(format!("{} — error", status.as_u16()), "error", session.cloned().unwrap_or_default());
    let page = ErrorPage { layout, status: status.as_u16(), message: message.to_string() };
    match askama::Template::render(&page) {
        Ok(body) => html(status, body),
        Err(_) => (status, message.to_string()).into_response(),
    }
}

/// One problem with a submitted form, named by the field it is about.
#[derive(Debug, Clone)]
pub(crate) struct FieldProblem {
    pub field: String,
    pub message: String,
}

/// The form problems an API error carries: its field errors (the JSON pointer
/// mapped to the form field through `fields`), or its detail as a form-wide problem.
pub(crate) fn problems(error: &ApiError, fields: &[(&str, &str)]) -> Vec<FieldProblem> {
    if error.errors.is_empty() {
        return vec![FieldProblem { field: "form".into(), message: error.detail.clone() }];
    }
    error
        .errors
        .iter()
        .map(|e| {
            let field = fields
                .iter()
                .find(|(pointer, _)| e.pointer == *pointer || e.pointer.starts_with(&format!("{pointer}/")))
                .map_or("form", |(_, field)| field);
            FieldProblem { field: field.to_string(), message: e.message.clone() }
        })
        .collect()
}

/// The status a failed form re-renders with.
pub(crate) fn form_status(error: &ApiError) -> StatusCode {
    match error.status() {
        StatusCode::UNPROCESSABLE_ENTITY | StatusCode::BAD_REQUEST => StatusCode::UNPROCESSABLE_ENTITY,
        other => other,
    }
}

/// The negotiation's navigation and the body's data attributes.
#[derive(Debug, Clone)]
pub(crate) struct NegotiationNav {
    pub id: String,
    pub title: String,
    pub party: String,
    pub role: String,
    pub log_size: u64,
    pub mediator: bool,
    pub current: &'static str,
}

impl NegotiationNav {
    pub(crate) fn links(&self) -> Vec<(String, &'static str, bool)> {
        let id = &self.id;
        let mut links = vec![
            (format!("/n/{id}"), "Overview", self.current == "home"),
            (format!("/n/{id}/text"), "Text", self.current == "text"),
            (format!("/n/{id}/versions"), "Versions", matches!(self.current, "versions" | "version" | "diff")),
            (format!("/n/{id}/members"), "Members", self.current == "members"),
            (format!("/n/{id}/profile"), "My profile", self.current == "profile"),
        ];
        if self.mediator {
            links.insert(2, (format!("/n/{id}/draft"), "Draft", self.current == "draft"));
            links.push((format!("/n/{id}/analysis"), "Analysis", matches!(self.current, "analysis" | "preview")));
        }
        links.push((format!("/n/{id}/sign"), "Signing", self.current == "sign"));
        links.push((format!("/n/{id}/evidence"), "Evidence", self.current == "evidence"));
        links
    }
}

/// What the base template needs on every page.
#[derive(Debug, Clone)]
pub(crate) struct Layout {
    pub title: String,
    pub page: &'static str,
    pub session: Session,
    pub nav: Option<NegotiationNav>,
    pub scripts: Vec<&'static str>,
    pub problems: Vec<FieldProblem>,
    /// What precedes a field's name in its control's id, for the error list's links.
    pub field_prefix: String,
}

impl Layout {
    pub(crate) fn new(title: impl Into<String>, page: &'static str, session: Session) -> Layout {
        Layout {
            title: title.into(),
            page,
            session,
            nav: None,
            scripts: Vec::new(),
            problems: Vec::new(),
            field_prefix: "f-".into(),
        }
    }

    pub(crate) fn with_nav(mut self, nav: NegotiationNav) -> Layout {
        self.nav = Some(nav);
        self
    }

    pub(crate) fn with_scripts(mut self, scripts: &[&'static str]) -> Layout {
        self.scripts.extend_from_slice(scripts);
        self
    }

    pub(crate) fn problem_for(&self, field: &str) -> Option<&str> {
        self.problems.iter().find(|p| p.field == field).map(|p| p.message.as_str())
    }
}
