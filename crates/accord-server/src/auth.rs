//! Accounts, sessions, API tokens, CSRF and the sign-in rate limit.
//!
//! Tokens are 32 random bytes in hex; only their SHA-256 is stored. A session
//! travels as the `accord_session` cookie (HttpOnly, SameSite=Lax); every
//! state-changing request made with it must carry `X-CSRF-Token`, a value
//! derived from the session token that a page on another origin cannot read.
//! Bearer tokens (`Authorization: Bearer …`) need no CSRF token: a browser
//! never attaches them by itself.

use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::LazyLock;
use std::sync::atomic::{AtomicU64, Ordering};

use governor::Quota;
use governor::clock::Clock as _;
use governor::middleware::NoOpMiddleware;
use governor::nanos::Nanos;
use governor::state::keyed::DefaultKeyedStateStore;
use governor::state::{InMemoryState, NotKeyed};
use tokio::sync::Semaphore;

use accord_store::{Account, TokenKind};
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, Version};
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, header};
use sha2::{Digest, Sha256};

use crate::ErrorCode;
use crate::error::ApiError;
use crate::{AppState, Config};

pub const SESSION_COOKIE: &str = "accord_session";
/// The session cookie's name when it is `Secure`: the `__Host-` prefix makes
/// browsers refuse it unless it is Secure, host-only and for `/`, so a
/// sibling subdomain cannot plant one.
pub const SECURE_SESSION_COOKIE: &str = "__Host-accord_session";
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

/// Password hashes computed at once, process-wide. Each Argon2id hash holds
/// its memory cost (19 MiB by default) while it runs, so a burst of sign-ups
/// or sign-ins must queue rather than exhaust memory. A process-wide static
/// because the resource it bounds — the process's memory and cores — is
/// process-wide, whatever number of `AppState`s share it.
static HASHING: LazyLock<Semaphore> = LazyLock::new(|| {
    let cores = std::thread::available_parallelism().map_or(2, usize::from);
    Semaphore::new(cores.max(2))
});

/// How long a request waits for a hashing slot before it is told to come back.
const HASHING_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

async fn hashing_slot() -> Result<tokio::sync::SemaphorePermit<'static>, ApiError> {
    match tokio::time::timeout(HASHING_WAIT, HASHING.acquire()).await {
        Ok(Ok(permit)) => Ok(permit),
        Ok(Err(closed)) => Err(ApiError::internal(closed)),
        Err(_) => {
            let mut error =
                ApiError::new(ErrorCode::Busy, "the server is busy checking passwords; try again in a few seconds");
            error.retry_after = Some(5);
            Err(error)
        }
    }
}

/// An argon2id PHC string. Runs off the async workers: it is meant to be slow.
pub async fn hash_password(config: &Config, password: String) -> Result<String, ApiError> {
    let hasher = argon2(config)?;
    let _slot = hashing_slot().await?;
    tokio::task::spawn_blocking(move || {
        hasher.hash_password(password.as_bytes()).map(|h| h.to_string()).map_err(ApiError::internal)
    })
    .await
    .map_err(ApiError::internal)?
}

pub async fn verify_password(config: &Config, password: String, phc: String) -> Result<bool, ApiError> {
    let verifier = argon2(config)?;
    let _slot = hashing_slot().await?;
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
        if let Some(token) = cookie_value(&parts.headers, app.config.session_cookie_name()) {
            let account = app.store.account_for_token(&token_hash(&token), TokenKind::Session, now).await?;
            // A stale cookie is no identity at all, not an error: the browser simply signs in again.
            let Some(account) = account else { return Ok(Caller { account: None, via: Via::None }) };
            let safe = matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
            if !safe {
                let sent = parts.headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok()).unwrap_or("");
                // Constant time: the comparison must not tell how much of a guess was right.
                let matches: bool =
                    subtle::ConstantTimeEq::ct_eq(sent.as_bytes(), csrf_token(&token).as_bytes()).into();
                if !matches {
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

/// The client's address once [`crate::guard::client_address`] has looked
/// past the configured trusted proxies.
#[derive(Debug, Clone, Copy)]
pub struct ClientAddress(pub IpAddr);

/// The client's IP: past trusted proxies when the guard resolved it, else as
/// the connection saw it ("unknown" in-process).
pub fn client_ip(parts_extensions: &axum::http::Extensions) -> String {
    if let Some(ClientAddress(ip)) = parts_extensions.get::<ClientAddress>() {
        return ip.to_string();
    }
    parts_extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map_or_else(|| "unknown".to_string(), |ConnectInfo(addr)| addr.ip().to_string())
}

/// Keyed token buckets (governor): sign-in attempts by account and by client
/// address, sign-ups by client address, and one bucket for all sign-ups.
/// Idle keys are pruned as the maps grow, so a stream of fresh addresses or
/// emails cannot grow them without bound.
#[derive(Debug)]
pub struct RateLimiter {
    clock: ServerClock,
    sign_in_account: KeyedLimiter,
    sign_in_ip: KeyedLimiter,
    sign_up_ip: KeyedLimiter,
    sign_up_all: governor::RateLimiter<NotKeyed, InMemoryState, ServerClock, NoOpMiddleware<Nanos>>,
    /// Calls since the last pruning.
    calls: AtomicU64,
}

type KeyedLimiter = governor::RateLimiter<String, DefaultKeyedStateStore<String>, ServerClock, NoOpMiddleware<Nanos>>;

/// The server's [`crate::Clock`] as governor's clock, so that the limits
/// follow the same time as everything else (tests move it by hand).
#[derive(Clone)]
struct ServerClock(std::sync::Arc<dyn crate::Clock>);

impl std::fmt::Debug for ServerClock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ServerClock")
    }
}

impl governor::clock::Clock for ServerClock {
    type Instant = Nanos;

    fn now(&self) -> Nanos {
        // Nanoseconds since 1970 fit in a u64 until 2554; the clock never runs backwards past 1970.
        let nanos = self.0.now().timestamp_nanos_opt().unwrap_or(i64::MAX);
        Nanos::from(u64::try_from(nanos).unwrap_or(0))
    }
}

/// Prune idle keys every this many checks.
const PRUNE_EVERY: u64 = 1024;

fn quota((burst, per_seconds): (u32, u32)) -> Quota {
    let period = std::time::Duration::from_secs(u64::from(per_seconds.max(1)));
    let burst = NonZeroU32::new(burst.max(1)).unwrap_or(NonZeroU32::MIN);
    Quota::with_period(period).unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN)).allow_burst(burst)
}

impl RateLimiter {
    pub fn new(config: &Config, clock: std::sync::Arc<dyn crate::Clock>) -> Self {
        let clock = ServerClock(clock);
        let keyed = |limit| governor::RateLimiter::new(quota(limit), DefaultKeyedStateStore::default(), clock.clone());
        RateLimiter {
            sign_in_account: keyed(config.sign_in_per_account),
            sign_in_ip: keyed(config.sign_in_per_ip),
            sign_up_ip: keyed(config.sign_up_per_ip),
            sign_up_all: governor::RateLimiter::direct_with_clock(quota(config.sign_up_overall), clock.clone()),
            clock,
            calls: AtomicU64::new(0),
        }
    }

    fn prune_now_and_then(&self) {
        if self.calls.fetch_add(1, Ordering::Relaxed) % PRUNE_EVERY == PRUNE_EVERY - 1 {
            for limiter in [&self.sign_in_account, &self.sign_in_ip, &self.sign_up_ip] {
                limiter.retain_recent();
                limiter.shrink_to_fit();
            }
        }
    }

    /// Takes one attempt from each of `checks`; the seconds to wait when one is empty.
    fn take(&self, checks: &[(&KeyedLimiter, &str)]) -> Result<(), u64> {
        self.prune_now_and_then();
        for (limiter, key) in checks {
            if let Err(not_until) = limiter.check_key(&key.to_string()) {
                return Err(not_until.wait_time_from(self.clock.now()).as_secs().max(1));
            }
        }
        Ok(())
    }

    fn take_sign_up(&self, ip: &str) -> Result<(), u64> {
        self.take(&[(&self.sign_up_ip, ip)])?;
        self.sign_up_all.check().map_err(|not_until| not_until.wait_time_from(self.clock.now()).as_secs().max(1))
    }
}

fn rate_limited(what: &str, wait: u64) -> ApiError {
    let mut error = ApiError::new(ErrorCode::RateLimited, format!("too many {what}; try again in {wait} s"));
    error.retry_after = Some(wait);
    error
}

impl AppState {
    pub(crate) fn limit_sign_in(&self, email: &str, ip: &str) -> Result<(), ApiError> {
        let account = format!("account:{}", accord_store::email_key(email));
        let limits = &self.limiter;
        limits
            .take(&[(&limits.sign_in_account, &account), (&limits.sign_in_ip, ip)])
            .map_err(|wait| rate_limited("sign-in attempts", wait))
    }

    /// Sign-ups from one address, and from everyone together: each costs a
    /// slow password hash, and a flood of them would also make probing for
    /// known addresses cheap.
    pub(crate) fn limit_sign_up(&self, ip: &str) -> Result<(), ApiError> {
        self.limiter.take_sign_up(ip).map_err(|wait| rate_limited("sign-ups", wait))
    }
}

/// The `Set-Cookie` value for a session.
pub fn session_cookie(token: &str, config: &Config) -> String {
    let secure = if config.cookies_secure() { "; Secure" } else { "" };
    format!(
        "{}={token}; HttpOnly; SameSite=Lax; Path=/; Max-Age={}{secure}",
        config.session_cookie_name(),
        config.session_ttl.num_seconds()
    )
}

pub fn clear_cookie(config: &Config) -> String {
    let secure = if config.cookies_secure() { "; Secure" } else { "" };
    format!("{}=; HttpOnly; SameSite=Lax; Path=/; Max-Age=0{secure}", config.session_cookie_name())
}
