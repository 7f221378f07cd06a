//! Accounts, sessions, API tokens, CSRF and the sign-in rate limit.
//!
//! Tokens are 32 random bytes in hex; only their SHA-256 is stored. A session
//! travels as the `accord_session` cookie (HttpOnly, SameSite=Lax); every
//! state-changing request made with it must carry `X-CSRF-Token`, a value
//! derived from the session token that a page on another origin cannot read.
//! Bearer tokens (`Authorization: Bearer …`) need no CSRF token: a browser
//! never attaches them by itself.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Mutex;

use accord_store::{Account, TokenKind};
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, Version};
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, header};
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use crate::error::ApiError;
use crate::error_code::ErrorCode;
use crate::{AppState, Config};

pub const SESSION_COOKIE: &str = "accord_session";
pub const CSRF_HEADER: &str = "x-csrf-token";

/// 32 random bytes, hex.
pub fn random_token() -> Result<String, ApiError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| ApiError::internal(format!("no randomness: {e}")))?;
    Ok(hex::encode(bytes))
}

/// Short random hex, for ids.
pub fn random_id(bytes: usize) -> Result<String, ApiError> {
    let mut buf = vec![0u8; bytes];
    getrandom::fill(&mut buf).map_err(|e| ApiError::internal(format!("no randomness: {e}")))?;
    Ok(hex::encode(buf))
}

pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// The CSRF token bound to a session token.
pub fn csrf_token(session_token: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(b"accord/csrf/v1\0");
    hasher.update(session_token.as_bytes());
    hex::encode(hasher.finalize())
}

fn argon2(config: &Config) -> Result<Argon2<'static>, ApiError> {
    let params = Params::new(config.argon2_memory_kib, config.argon2_passes, 1, None)
        .map_err(|e| ApiError::internal(format!("argon2 parameters: {e}")))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// An argon2id PHC string. Runs off the async workers: it is meant to be slow.
pub async fn hash_password(config: &Config, password: String) -> Result<String, ApiError> {
    let hasher = argon2(config)?;
    tokio::task::spawn_blocking(move || {
        hasher.hash_password(password.as_bytes()).map(|h| h.to_string()).map_err(ApiError::internal)
    })
    .await
    .map_err(ApiError::internal)?
}

pub async fn verify_password(config: &Config, password: String, phc: String) -> Result<bool, ApiError> {
    let verifier = argon2(config)?;
    tokio::task::spawn_blocking(move || {
        let Ok(parsed) = PasswordHash::new(&phc) else { return false };
        verifier.verify_password(password.as_bytes(), &parsed).is_ok()
    })
    .await
    .map_err(ApiError::internal)
}

/// How the caller authenticated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Via {
    None,
    Session { token: String },
    Bearer { token: String },
}

/// The account behind a request, if any.
#[derive(Debug, Clone)]
pub struct Caller {
    pub account: Option<Account>,
    pub via: Via,
}

impl Caller {
    pub fn account_id(&self) -> Option<&str> {
        self.account.as_ref().map(|a| a.id.as_str())
    }

    pub fn require(&self) -> Result<&Account, ApiError> {
        self.account.as_ref().ok_or_else(|| {
            ApiError::new(
                ErrorCode::Unauthenticated,
                "sign in (POST /api/sessions) or send Authorization: Bearer <token>",
            )
        })
    }
}

pub fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    headers.get_all(header::COOKIE).iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(';')).find_map(|pair| {
        let (key, value) = pair.trim().split_once('=')?;
        (key == name).then(|| value.to_string())
    })
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &AppState) -> Result<Self, Self::Rejection> {
        let now = app.clock.now();
        let bearer = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer ").map(|t| t.trim().to_string()));
        if let Some(token) = bearer {
            let account = app.store.account_for_token(&token_hash(&token), TokenKind::Api, now).await?;
            return match account {
                Some(account) => Ok(Caller { account: Some(account), via: Via::Bearer { token } }),
                None => {
                    Err(ApiError::new(ErrorCode::Unauthenticated, "the bearer token is unknown, expired or revoked"))
                }
            };
        }
        if let Some(token) = cookie_value(&parts.headers, SESSION_COOKIE) {
            let account = app.store.account_for_token(&token_hash(&token), TokenKind::Session, now).await?;
            // A stale cookie is no identity at all, not an error: the browser simply signs in again.
            let Some(account) = account else { return Ok(Caller { account: None, via: Via::None }) };
            let safe = matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
            if !safe {
                let sent = parts.headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok()).unwrap_or("");
                if sent != csrf_token(&token) {
                    return Err(ApiError::new(
                        ErrorCode::CsrfFailed,
                        "a write made with the session cookie needs the X-CSRF-Token header from sign-in or GET /api/me",
                    ));
                }
            }
            return Ok(Caller { account: Some(account), via: Via::Session { token } });
        }
        Ok(Caller { account: None, via: Via::None })
    }
}

/// The client's IP as the connection saw it ("unknown" in-process).
pub fn client_ip(parts_extensions: &axum::http::Extensions) -> String {
    parts_extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map_or_else(|| "unknown".to_string(), |ConnectInfo(addr)| addr.ip().to_string())
}

/// Token buckets for sign-in attempts, keyed by account email and by IP.
#[derive(Debug, Default)]
pub struct RateLimiter {
    buckets: Mutex<HashMap<String, (f64, DateTime<Utc>)>>,
}

impl RateLimiter {
    /// Takes one attempt from the bucket `key` (burst, seconds per refill);
    /// `Err(seconds to wait)` when it is empty.
    pub fn take(&self, key: &str, (burst, per): (u32, u32), now: DateTime<Utc>) -> Result<(), u64> {
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        let (tokens, since) = buckets.entry(key.to_string()).or_insert((f64::from(burst), now));
        let elapsed = (now - *since).num_milliseconds().max(0) as f64 / 1000.0;
        *tokens = (*tokens + elapsed / f64::from(per.max(1))).min(f64::from(burst));
        *since = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            Ok(())
        } else {
            Err(((1.0 - *tokens) * f64::from(per.max(1))).ceil() as u64)
        }
    }
}

impl AppState {
    pub(crate) fn limit_sign_in(&self, email: &str, ip: &str) -> Result<(), ApiError> {
        let now = self.clock.now();
        let account = self.limiter.take(
            &format!("account:{}", accord_store::email_key(email)),
            self.config.sign_in_per_account,
            now,
        );
        let ip = self.limiter.take(&format!("ip:{ip}"), self.config.sign_in_per_ip, now);
        match (account, ip) {
            (Ok(()), Ok(())) => Ok(()),
            (Err(wait), _) | (_, Err(wait)) => {
                let mut error =
                    ApiError::new(ErrorCode::RateLimited, format!("too many sign-in attempts; try again in {wait} s"));
                error.retry_after = Some(wait);
                Err(error)
            }
        }
    }
}

/// The `Set-Cookie` value for a session.
pub fn session_cookie(token: &str, config: &Config) -> String {
    let secure = if config.secure_cookies { "; Secure" } else { "" };
    format!(
        "{SESSION_COOKIE}={token}; HttpOnly; SameSite=Lax; Path=/; Max-Age={}{secure}",
        config.session_ttl.num_seconds()
    )
}

pub fn clear_cookie() -> String {
    format!("{SESSION_COOKIE}=; HttpOnly; SameSite=Lax; Path=/; Max-Age=0")
}
