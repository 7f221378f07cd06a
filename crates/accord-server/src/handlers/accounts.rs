//! Accounts and sign-in: creating an account, sessions (cookie and CSRF
//! token), bearer API tokens, signing out, and who the caller is.

use accord_store::{Account, TokenKind};
use axum::Json;
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::Result;
use crate::AppState;
use crate::ErrorCode;
use crate::api::{AccountView, SessionView, SignIn, SignUp, TokenView};
use crate::auth::{self, Caller, Via};
use crate::error::{ApiError, FieldError};
use crate::extract::ApiJson;

/// The client IP, for the sign-in rate limit.
#[derive(Debug)]
pub struct ClientIp(String);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self> {
        Ok(ClientIp(auth::client_ip(&parts.extensions)))
    }
}

fn account_view(account: &Account) -> AccountView {
    AccountView { id: account.id.clone(), email: account.email.clone(), display_name: account.display_name.clone() }
}

pub async fn sign_up(State(app): State<AppState>, ApiJson(body): ApiJson<SignUp>) -> Result<Response> {
    let mut errors = Vec::new();
    let email = body.email.trim().to_string();
    if email.len() > 254 || email.chars().any(char::is_whitespace) || !email.contains('@') || email.starts_with('@') {
        errors.push(FieldError { pointer: "/email".into(), message: "must be an email address".into() });
    }
    let password_len = body.password.chars().count();
    if !(8..=1024).contains(&password_len) {
        errors.push(FieldError { pointer: "/password".into(), message: "must be 8 to 1024 characters".into() });
    }
    let display_name = body.display_name.trim().to_string();
    if display_name.is_empty() || display_name.chars().count() > 100 {
        errors.push(FieldError { pointer: "/display_name".into(), message: "must be 1 to 100 characters".into() });
    }
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    if app.store.account_by_email(&email).await?.is_some() {
        return Err(ApiError::new(ErrorCode::EmailTaken, "an account with this email exists; sign in instead"));
    }
    let account = Account {
        id: format!("acct-{}", auth::random_id(8)?),
        email,
        display_name,
        password_hash: auth::hash_password(&app.config, body.password).await?,
        created_at: app.clock.now(),
    };
    match app.store.create_account(&account).await {
        Ok(()) => {}
        Err(accord_store::StoreError::Duplicate { .. }) => {
            return Err(ApiError::new(ErrorCode::EmailTaken, "an account with this email exists; sign in instead"));
        }
        Err(e) => return Err(e.into()),
    }
    Ok((StatusCode::CREATED, Json(account_view(&account))).into_response())
}

async fn check_password(app: &AppState, ip: &str, body: &SignIn) -> Result<Account> {
    app.limit_sign_in(&body.email, ip)?;
    let account = app.store.account_by_email(&body.email).await?;
    let wrong = || ApiError::new(ErrorCode::InvalidCredentials, "wrong email or password");
    let Some(account) = account else {
        // Spend the same argon2 work as for a real account, so the answer's
        // timing does not reveal which emails have accounts.
        let decoy = app.decoy_hash().await?;
        auth::verify_password(&app.config, body.password.clone(), decoy).await?;
        return Err(wrong());
    };
    if auth::verify_password(&app.config, body.password.clone(), account.password_hash.clone()).await? {
        Ok(account)
    } else {
        Err(wrong())
    }
}

pub async fn sign_in(
    State(app): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiJson(body): ApiJson<SignIn>,
) -> Result<Response> {
    let account = check_password(&app, &ip, &body).await?;
    let token = auth::random_token()?;
    let expires = app.clock.now() + app.config.session_ttl;
    app.store.create_token(&auth::token_hash(&token), &account.id, TokenKind::Session, expires).await?;
    let mut headers = HeaderMap::new();
    if let Ok(cookie) = HeaderValue::from_str(&auth::session_cookie(&token, &app.config)) {
        headers.insert(header::SET_COOKIE, cookie);
    }
    let body = SessionView { account: account_view(&account), csrf_token: Some(auth::csrf_token(&token)) };
    Ok((StatusCode::OK, headers, Json(body)).into_response())
}

pub async fn create_token(
    State(app): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiJson(body): ApiJson<SignIn>,
) -> Result<Response> {
    let account = check_password(&app, &ip, &body).await?;
    let token = format!("accord_{}", auth::random_token()?);
    let expires_at = app.clock.now() + app.config.api_token_ttl;
    app.store.create_token(&auth::token_hash(&token), &account.id, TokenKind::Api, expires_at).await?;
    Ok((StatusCode::CREATED, Json(TokenView { token, expires_at })).into_response())
}

pub async fn sign_out(State(app): State<AppState>, caller: Caller) -> Result<Response> {
    caller.require()?;
    match &caller.via {
        Via::Session { token } | Via::Bearer { token } => app.store.revoke_token(&auth::token_hash(token)).await?,
        Via::None => {}
    }
    let mut headers = HeaderMap::new();
    if let Ok(cookie) = HeaderValue::from_str(&auth::clear_cookie(&app.config)) {
        headers.insert(header::SET_COOKIE, cookie);
    }
    Ok((StatusCode::NO_CONTENT, headers).into_response())
}

pub async fn me(caller: Caller) -> Result<Response> {
    let account = caller.require()?;
    let csrf_token = match &caller.via {
        Via::Session { token } => Some(auth::csrf_token(token)),
        _ => None,
    };
    Ok(Json(SessionView { account: account_view(account), csrf_token }).into_response())
}
