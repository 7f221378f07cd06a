//! Sign in, sign up, sign out, and accepting an invitation.

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::{
    Form, Layout, PageError, Session, api_write, form_status, format, problems, render, require_account, see_other,
};
use crate::AppState;
use crate::ErrorCode;
use crate::api::{AcceptInput, SignIn, SignUp};
use crate::auth::Caller;
use crate::extract::{ApiJson, IfMatch, NegotiationPath};
use crate::handlers::{self, accounts::ClientIp};

#[derive(Debug, Default, Deserialize)]
pub(crate) struct NextQuery {
    #[serde(default)]
    next: String,
}

#[derive(askama::Template)]
#[template(path = "signin.html")]
struct SignInPage {
    layout: Layout,
    next: String,
    email: String,
}

#[derive(askama::Template)]
#[template(path = "signup.html")]
struct SignUpPage {
    layout: Layout,
    next: String,
    email: String,
    display_name: String,
}

pub(crate) async fn sign_in_page(caller: Caller, Query(q): Query<NextQuery>) -> Result<Response, PageError> {
    let layout = Layout::new("Sign in", "signin", Session::of(&caller));
    render(StatusCode::OK, &SignInPage { layout, next: format::safe_next(&q.next), email: String::new() })
}

/// The session cookie an API sign-in answered with, on a redirect to `to`.
fn signed_in_redirect(answer: &Response, to: &str) -> Response {
    let mut headers = HeaderMap::new();
    if let Some(cookie) = answer.headers().get(header::SET_COOKIE) {
        headers.insert(header::SET_COOKIE, cookie.clone());
    }
    (headers, see_other(to)).into_response()
}

pub(crate) async fn sign_in(State(app): State<AppState>, ip: ClientIp, form: Form) -> Result<Response, PageError> {
    let next = format::safe_next(form.get("next").unwrap_or("/"));
    let body = SignIn { email: form.text("email").trim().to_string(), password: form.text("password") };
    let email = body.email.clone();
    match handlers::accounts::sign_in(State(app), ip, ApiJson(body)).await {
        Ok(answer) => Ok(signed_in_redirect(&answer, &next)),
        Err(error) => {
            let mut layout = Layout::new("Sign in", "signin", Session::default());
            layout.problems = problems(&error, &[("/email", "email"), ("/password", "password")]);
            render(form_status(&error), &SignInPage { layout, next, email })
        }
    }
}

pub(crate) async fn sign_up_page(caller: Caller, Query(q): Query<NextQuery>) -> Result<Response, PageError> {
    let layout = Layout::new("Create an account", "signup", Session::of(&caller));
    let page =
        SignUpPage { layout, next: format::safe_next(&q.next), email: String::new(), display_name: String::new() };
    render(StatusCode::OK, &page)
}

pub(crate) async fn sign_up(State(app): State<AppState>, ip: ClientIp, form: Form) -> Result<Response, PageError> {
    let next = format::safe_next(form.get("next").unwrap_or("/"));
    let body = SignUp {
        email: form.text("email").trim().to_string(),
        password: form.text("password"),
        display_name: form.text("display_name"),
    };
    let (email, password, display_name) = (body.email.clone(), body.password.clone(), body.display_name.clone());
    let signed_up = match handlers::accounts::sign_up(State(app.clone()), ApiJson(body)).await {
        Ok(_) => handlers::accounts::sign_in(State(app), ip, ApiJson(SignIn { email: email.clone(), password })).await,
        Err(error) => Err(error),
    };
    match signed_up {
        Ok(answer) => Ok(signed_in_redirect(&answer, &next)),
        Err(error) => {
            let mut layout = Layout::new("Create an account", "signup", Session::default());
            layout.problems =
                problems(&error, &[("/email", "email"), ("/password", "password"), ("/display_name", "display_name")]);
            render(form_status(&error), &SignUpPage { layout, next, email, display_name })
        }
    }
}

pub(crate) async fn sign_out(State(app): State<AppState>, caller: Caller) -> Result<Response, PageError> {
    if caller.account.is_none() {
        return Ok(see_other("/signin"));
    }
    let answer = handlers::accounts::sign_out(State(app), caller).await?;
    let mut headers = HeaderMap::new();
    if let Some(cookie) = answer.headers().get(header::SET_COOKIE) {
        headers.insert(header::SET_COOKIE, cookie.clone());
    }
    Ok((headers, see_other("/signin")).into_response())
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct JoinQuery {
    #[serde(default)]
    n: String,
    #[serde(default)]
    token: String,
}

#[derive(askama::Template)]
#[template(path = "join.html")]
struct JoinPage {
    layout: Layout,
    negotiation: String,
    token: String,
    signed_in: bool,
    here: String,
}

fn join_here(negotiation: &str, token: &str) -> String {
    format!("/join?n={}&token={}", format::url_encode(negotiation), format::url_encode(token))
}

pub(crate) async fn join_page(caller: Caller, Query(q): Query<JoinQuery>) -> Result<Response, PageError> {
    let layout = Layout::new("Accept an invitation", "join", Session::of(&caller));
    let here = join_here(&q.n, &q.token);
    let page = JoinPage { layout, negotiation: q.n, token: q.token, signed_in: caller.account.is_some(), here };
    render(StatusCode::OK, &page)
}

pub(crate) async fn join(State(app): State<AppState>, caller: Caller, form: Form) -> Result<Response, PageError> {
    let negotiation = form.text("negotiation").trim().to_string();
    let token = form.text("token").trim().to_string();
    require_account(&caller, &join_here(&negotiation, &token))?;
    let session = Session::of(&caller);
    let accepted = api_write(handlers::invitations::accept_invitation(
        State(app),
        caller,
        NegotiationPath { id: negotiation.clone() },
        IfMatch(None),
        ApiJson(AcceptInput { token: token.clone() }),
    ))
    .await;
    match accepted {
        Ok(()) => Ok(see_other(&format!("/n/{negotiation}"))),
        Err(error) => {
            let mut layout = Layout::new("Accept an invitation", "join", session);
            layout.problems = problems(&error, &[("/token", "token")]);
            if error.code == ErrorCode::NotFound {
                layout.problems = vec![super::FieldProblem {
                    field: "token".into(),
                    message: "no such invitation in this negotiation: check the negotiation id and the code".into(),
                }];
            }
            let here = join_here(&negotiation, &token);
            render(form_status(&error), &JoinPage { layout, negotiation, token, signed_in: true, here })
        }
    }
}
