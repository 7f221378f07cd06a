//! The Accord HTTP API.
//!
//! [`router`] builds the axum router from the single route table
//! [`routes`]; the OpenAPI document and the permission-matrix test are built
//! from the same table, so a route cannot exist without both. Every handler
//! asks `accord_policy::decide` and passes what it returns through the
//! policy's filters; no handler checks roles itself.
//!
//! State lives in the event log ([`accord_store::Store`]); a per-negotiation
//! cache of the folded [`accord_core::event::State`], bounded in bytes, is
//! keyed by log size and brought up to date from the log whenever it grew.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use accord_core::event::State as Folded;
use accord_store::Store;
use axum::Router;
use axum::http::Method;
use axum::routing::{MethodFilter, MethodRouter, on};
use chrono::{DateTime, Utc};

pub mod api;
pub mod auth;
pub mod demo;
pub mod error;
mod extract;
pub mod guard;
mod handlers;
pub mod notify;
pub mod openapi;
pub mod ops;
pub mod web;

pub use accord_api::ErrorCode;
pub use error::ApiError;
pub use handlers::clock::RESCAN_EVERY;
pub use handlers::delivery::{Delivery, SEND_TIMEOUT, backoff};

/// Where time comes from; tests control it.
pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> DateTime<Utc>;
}

#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that stands still until told to move.
#[derive(Debug)]
pub struct ManualClock(Mutex<DateTime<Utc>>);

impl ManualClock {
    pub fn new(at: DateTime<Utc>) -> Self {
        ManualClock(Mutex::new(at))
    }

    pub fn set(&self, at: DateTime<Utc>) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = at;
    }

    pub fn advance(&self, by: chrono::Duration) {
        let mut now = self.0.lock().unwrap_or_else(|e| e.into_inner());
        *now += by;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Tunables; the defaults are the production values.
#[derive(Debug, Clone)]
pub struct Config {
    /// argon2id memory (KiB) and passes. Tests lower them; production keeps the argon2 defaults.
    pub argon2_memory_kib: u32,
    pub argon2_passes: u32,
    pub session_ttl: chrono::Duration,
    pub api_token_ttl: chrono::Duration,
    pub invitation_ttl: chrono::Duration,
    pub body_limit: usize,
    /// Sign-in attempts per account: burst and seconds per refill.
    pub sign_in_per_account: (u32, u32),
    /// Sign-in attempts per client IP: burst and seconds per refill.
    pub sign_in_per_ip: (u32, u32),
    /// Sign-ups per client IP: burst and seconds per refill.
    pub sign_up_per_ip: (u32, u32),
    /// Sign-ups from everyone together: burst and seconds per refill.
    pub sign_up_overall: (u32, u32),
    /// Mark cookies `Secure` (behind HTTPS). Implied by an `https` [`Config::public_url`].
    pub secure_cookies: bool,
    /// The address people reach the server at (`--public-url`). An `https`
    /// URL makes cookies `Secure` and `__Host-`, adds HSTS, and is the
    /// origin cross-site checks compare with behind a proxy; reminders link to it.
    pub public_url: Option<url::Url>,
    /// The bearer token `/metrics` asks for; without one `/metrics` is off
    /// (its counters would tell an outsider when a party acted).
    pub metrics_token: Option<String>,
    /// Proxies whose `X-Forwarded-For` is believed: the client address is
    /// the last one in the header that is not one of them.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// Negotiations one account may create; beyond, 429 `quota_exceeded`.
    pub negotiations_per_account: usize,
    /// Events a negotiation's log may hold; a write that would go beyond is
    /// answered 429 `quota_exceeded`. The clock's own transitions (a phase
    /// entered, the agreement closed or lapsed) are never refused, so a full
    /// log still reaches its end.
    pub events_per_negotiation: u64,
    /// Work budgets of every analysis and Pareto frontier the server computes
    /// (`accord_engine::analyse::Budgets::SERVER` by default).
    pub budgets: accord_engine::analyse::Budgets,
    /// Analyses and frontiers computed at once; a request that finds them
    /// all busy for [`ENGINE_WAIT`] is answered 503 with `Retry-After`.
    pub analyses_at_once: usize,
    /// Bytes of memory the folded negotiations may hold (estimated from
    /// their logs' size); the least recently used are dropped and folded
    /// again when asked for.
    pub fold_cache_bytes: u64,
    /// Bytes the analysis and frontier caches may hold together (least
    /// recently used entries go first).
    pub analysis_cache_bytes: u64,
    /// Longest time a request may take to answer (headers; server-sent
    /// event streams run on after their headers).
    pub request_timeout: std::time::Duration,
    /// Where deadline reminders go; `None` sends none.
    pub notifier: Option<Arc<dyn notify::Notifier>>,
    /// How long before a phase's deadline the parties that still owe an
    /// acknowledgement or a signature are reminded.
    pub reminder_lead: chrono::Duration,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            argon2_memory_kib: argon2::Params::DEFAULT_M_COST,
            argon2_passes: argon2::Params::DEFAULT_T_COST,
            session_ttl: chrono::Duration::days(7),
            api_token_ttl: chrono::Duration::days(90),
            invitation_ttl: chrono::Duration::days(7),
            body_limit: 1024 * 1024,
            sign_in_per_account: (5, 60),
            sign_in_per_ip: (30, 2),
            sign_up_per_ip: (10, 60),
            sign_up_overall: (60, 1),
            secure_cookies: false,
            public_url: None,
            metrics_token: None,
            trusted_proxies: Vec::new(),
            request_timeout: std::time::Duration::from_secs(60),
            negotiations_per_account: 100,
            events_per_negotiation: 100_000,
            budgets: accord_engine::analyse::Budgets::SERVER,
            analyses_at_once: std::thread::available_parallelism().map_or(2, usize::from),
            analysis_cache_bytes: 64 * 1024 * 1024,
            fold_cache_bytes: 256 * 1024 * 1024,
            notifier: None,
            reminder_lead: chrono::Duration::hours(24),
        }
    }
}

impl Config {
    /// Cheap password hashing for tests (still argon2id).
    pub fn for_tests() -> Self {
        Config {
            argon2_memory_kib: 64,
            argon2_passes: 1,
            sign_up_per_ip: (10_000, 1),
            sign_up_overall: (10_000, 1),
            ..Config::default()
        }
    }

    /// Whether people reach the server over HTTPS (its public URL says so).
    pub fn is_https(&self) -> bool {
        self.public_url.as_ref().is_some_and(|url| url.scheme() == "https")
    }

    /// Whether the session cookie is `Secure`.
    pub fn cookies_secure(&self) -> bool {
        self.secure_cookies || self.is_https()
    }

    /// The session cookie's name: `__Host-` prefixed when it is `Secure`.
    pub fn session_cookie_name(&self) -> &'static str {
        if self.cookies_secure() { auth::SECURE_SESSION_COOKIE } else { auth::SESSION_COOKIE }
    }
}

/// (negotiation, log size, viewing party): the analysis a viewer saw at a log size.
type AnalysisKey = (String, u64, String);

/// How long a request waits for an analysis slot before it is answered 503.
pub const ENGINE_WAIT: std::time::Duration = std::time::Duration::from_secs(20);

/// Everything a handler needs. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub clock: Arc<dyn Clock>,
    pub config: Arc<Config>,
    /// Per negotiation: its log folded at some size, bounded by
    /// `Config::fold_cache_bytes` (least recently used go first; an evicted
    /// negotiation is folded again from its log on its next request).
    folds: moka::sync::Cache<String, CachedFold>,
    analysis_cache: moka::future::Cache<AnalysisKey, Arc<serde_json::Value>>,
    /// Per negotiation and log size: the Pareto frontier in gains.
    frontier_cache: moka::future::Cache<(String, u64), Arc<accord_policy::analysis::FrontierGains>>,
    /// Slots for engine work (analyses, frontiers), so a crowd of requests
    /// queues instead of running every computation at once.
    engine_slots: Arc<tokio::sync::Semaphore>,
    limiter: Arc<auth::RateLimiter>,
    /// A password hash with the configured parameters, verified against when
    /// an email has no account, so both answers take the same time.
    decoy_hash: Arc<tokio::sync::OnceCell<String>>,
    /// Signs log checkpoints. Kept outside the log and the database
    /// (`accord serve --server-key`); a fresh random key unless one is given.
    server_key: Arc<accord_evidence::SigningKey>,
    /// Request, append and analysis counters for `/metrics`, and the
    /// draining flag `/readyz` reports.
    pub metrics: Arc<ops::Metrics>,
    /// The clock's index of next deadlines: a tick folds only the
    /// negotiations that are due (see `handlers::clock`).
    clock_index: Arc<handlers::clock::ClockIndex>,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState").field("config", &self.config).finish_non_exhaustive()
    }
}

impl AppState {
    pub fn new(store: Arc<dyn Store>, clock: Arc<dyn Clock>, config: Config) -> Self {
        let limiter = Arc::new(auth::RateLimiter::new(&config, clock.clone()));
        let (cache_bytes, engine_slots) = (config.analysis_cache_bytes, config.analyses_at_once.max(1));
        let fold_cache_bytes = config.fold_cache_bytes;
        AppState {
            store: store.clone(),
            clock,
            config: Arc::new(config),
            folds: moka::sync::Cache::builder()
                .max_capacity(fold_cache_bytes)
                .weigher(|negotiation: &String, fold: &CachedFold| {
                    weight(negotiation.len() + fold.log_bytes.saturating_mul(FOLD_BYTES_PER_LOG_BYTE))
                })
                .build(),
            analysis_cache: moka::future::Cache::builder()
                .max_capacity(cache_bytes / 2)
                .weigher(|key: &AnalysisKey, value: &Arc<serde_json::Value>| weight(key.0.len() + json_size(value)))
                .build(),
            frontier_cache: moka::future::Cache::builder()
                .max_capacity(cache_bytes / 2)
                .weigher(|key: &(String, u64), gains: &Arc<accord_policy::analysis::FrontierGains>| {
                    weight(key.0.len() + (gains.points.len() + 1) * gains.parties.len() * 8)
                })
                .build(),
            engine_slots: Arc::new(tokio::sync::Semaphore::new(engine_slots)),
            limiter,
            decoy_hash: Arc::default(),
            server_key: Arc::new(random_server_key()),
            metrics: Arc::default(),
            clock_index: Arc::new(handlers::clock::ClockIndex::new(store.subscribe())),
        }
    }

    /// The same state signing checkpoints with `key`.
    pub fn with_server_key(mut self, key: accord_evidence::SigningKey) -> Self {
        self.server_key = Arc::new(key);
        self
    }

    pub fn server_key(&self) -> &accord_evidence::SigningKey {
        &self.server_key
    }

    /// Appends the transitions the clock has made (phases entered, windows
    /// lapsed) in the negotiations due, and logs and queues the reminders
    /// due; `accord serve` calls it every second and
    /// tests call it after moving a [`ManualClock`]. Returns the number of events appended.
    pub async fn tick(&self) -> Result<usize, ApiError> {
        handlers::clock::tick(self).await
    }

    /// Sends the deadline reminders waiting in the outbox, retrying failed
    /// ones with backoff; `accord serve` runs it in a task of its own, apart
    /// from [`AppState::tick`], so a slow mail relay never holds up a phase
    /// transition. Tests call it after a tick.
    pub async fn deliver_reminders(&self) -> Result<Delivery, ApiError> {
        handlers::delivery::deliver(self).await
    }

    /// How many negotiations the clock's ticks have folded so far: a tick
    /// folds only those with something due (and those whose logs grew).
    pub fn clock_examined(&self) -> u64 {
        self.clock_index.examined()
    }

    /// A slot for engine work, or 503 `busy` once [`ENGINE_WAIT`] has passed.
    pub(crate) async fn engine_slot(&self) -> Result<tokio::sync::OwnedSemaphorePermit, ApiError> {
        match tokio::time::timeout(ENGINE_WAIT, self.engine_slots.clone().acquire_owned()).await {
            Ok(Ok(permit)) => Ok(permit),
            Ok(Err(closed)) => Err(ApiError::internal(closed)),
            Err(_) => {
                let mut error =
                    ApiError::new(ErrorCode::Busy, "every analysis slot is busy; try again in a few seconds");
                error.retry_after = Some(10);
                Err(error)
            }
        }
    }

    pub(crate) async fn decoy_hash(&self) -> Result<String, ApiError> {
        let config = self.config.clone();
        self.decoy_hash
            .get_or_try_init(|| auth::hash_password(&config, "accord decoy password".to_string()))
            .await
            .cloned()
    }

    /// The folded state of a negotiation at its current log size; `None` for
    /// an unknown negotiation. Only the events appended since the cached fold
    /// are read.
    pub async fn state(&self, negotiation: &str) -> Result<Option<Arc<Folded>>, ApiError> {
        let size = self.store.log_size(negotiation).await?;
        if size == 0 {
            return Ok(None);
        }
        let cached = self.folds.get(negotiation);
        if let Some(fold) = &cached
            && fold.state.size == size
        {
            return Ok(Some(fold.state.clone()));
        }
        let (mut state, mut log_bytes, from) = match cached {
            Some(fold) if fold.state.size < size => {
                let from = fold.state.size;
                (Some((*fold.state).clone()), fold.log_bytes, from)
            }
            _ => (None, 0, 0),
        };
        let events = self.store.events(negotiation, from, Some(size)).await?;
        let corrupt = |e: accord_core::event::FoldError| {
            ApiError::internal(format!("the log of {negotiation} does not fold: {e}"))
        };
        for stored in &events {
            log_bytes = log_bytes.saturating_add(stored.bytes.len());
            if let Some(folded) = state.as_mut() {
                folded.apply(&stored.event).map_err(corrupt)?;
            } else {
                state = Some(Folded::genesis(&stored.event).map_err(corrupt)?);
            }
        }
        let Some(state) = state else { return Ok(None) };
        let fold = CachedFold { state: Arc::new(state), log_bytes };
        let answer = fold.state.clone();
        // Keep whichever fold is newer: a concurrent request may have folded further.
        self.folds.entry(negotiation.to_string()).and_compute_with(|current| match current {
            Some(current) if current.value().state.size >= fold.state.size => moka::ops::compute::Op::Nop,
            _ => moka::ops::compute::Op::Put(fold),
        });
        Ok(Some(answer))
    }
}

/// A negotiation's folded state with the bytes of the log it was folded
/// from, which stand in for its size in memory (see [`FOLD_BYTES_PER_LOG_BYTE`]).
#[derive(Clone)]
struct CachedFold {
    state: Arc<Folded>,
    log_bytes: usize,
}

/// How many bytes of memory a fold is counted as per byte of its log's
/// canonical JSON. The fold keeps most of what the log says (the text, every
/// stance and profile, their histories) in structures a little larger than
/// the JSON, so its weight is over-counted rather than under.
const FOLD_BYTES_PER_LOG_BYTE: usize = 2;

/// A cache weight: bytes, saturated to what moka counts in.
fn weight(bytes: usize) -> u32 {
    u32::try_from(bytes).unwrap_or(u32::MAX)
}

/// The size of a JSON value as text, without writing it out.
fn json_size(value: &serde_json::Value) -> usize {
    struct Counter(usize);
    impl std::io::Write for Counter {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0 += bytes.len();
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut counter = Counter(0);
    // Writing into a counter cannot fail.
    let _ = serde_json::to_writer(&mut counter, value);
    counter.0
}

fn random_server_key() -> accord_evidence::SigningKey {
    let mut seed = [0u8; 32];
    // Without randomness there is no safe key; a process that cannot get 32
    // random bytes at start cannot do anything else securely either.
    #[allow(clippy::expect_used)]
    getrandom::fill(&mut seed).expect("the operating system's random number generator failed");
    accord_evidence::SigningKey::from_bytes(&seed)
}

/// Every route of the API, by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RouteId {
    OpenApi,
    SignUp,
    SignIn,
    SignOut,
    CreateToken,
    Me,
    ListNegotiations,
    CreateNegotiation,
    GetNegotiation,
    GetDraft,
    SetProvision,
    RemoveProvision,
    SetIssue,
    RemoveIssue,
    SetDraftValue,
    ListStances,
    SetStance,
    StanceHistory,
    ListComments,
    AddComment,
    GetProfile,
    SetProfile,
    GetReservations,
    ChangeReservation,
    ListInvitations,
    Invite,
    AcceptInvitation,
    RevokeInvitation,
    Members,
    ListVersions,
    PublishVersion,
    GetVersion,
    DiffVersions,
    Analysis,
    Pareto,
    Balance,
    Events,
    Checkpoint,
    InclusionProof,
    ConsistencyProof,
    ServerKey,
    PhaseStatus,
    AdvancePhase,
    ExtendDeadline,
    Engagement,
    ListKeys,
    RegisterKey,
    RotateKey,
    SignedCheckpoint,
    Acknowledge,
    SignFinal,
    Bundle,
    ExportLog,
    Stream,
    ConfirmInputs,
    DraftEdits,
    SetWorkingDraftSharing,
    SetAdReferendum,
}

/// One row of the route table.
#[derive(Debug, Clone)]
pub struct Route {
    pub id: RouteId,
    pub method: Method,
    pub path: &'static str,
    pub summary: &'static str,
    pub query: &'static [QueryParam],
}

/// A query parameter of a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueryParam {
    /// An optional non-negative integer.
    Integer(&'static str),
    /// A required party id.
    Party(&'static str),
}

impl QueryParam {
    pub fn name(self) -> &'static str {
        match self {
            QueryParam::Integer(name) | QueryParam::Party(name) => name,
        }
    }
}

/// The route table: the router, the OpenAPI document and the permission
/// matrix are all built from it.
pub fn routes() -> Vec<Route> {
    use QueryParam::{Integer, Party};
    use RouteId::*;
    let r = |id, method, path: &'static str, summary, query| Route { id, method, path, summary, query };
    vec![
        r(OpenApi, Method::GET, "/api/openapi.json", "This OpenAPI document", &[]),
        r(SignUp, Method::POST, "/api/accounts", "Create an account", &[]),
        r(SignIn, Method::POST, "/api/sessions", "Sign in: sets the session cookie, returns the CSRF token", &[]),
        r(SignOut, Method::DELETE, "/api/sessions/current", "Sign out", &[]),
        r(CreateToken, Method::POST, "/api/tokens", "Exchange email and password for a bearer API token", &[]),
        r(Me, Method::GET, "/api/me", "The signed-in account (and its CSRF token)", &[]),
        r(ListNegotiations, Method::GET, "/api/negotiations", "Negotiations you hold a seat in", &[]),
        r(CreateNegotiation, Method::POST, "/api/negotiations", "Create a negotiation from a scenario or empty", &[]),
        r(GetNegotiation, Method::GET, "/api/negotiations/{id}", "The negotiation as you may see it", &[]),
        r(GetDraft, Method::GET, "/api/negotiations/{id}/draft", "The working draft and its text", &[]),
        r(
            SetProvision,
            Method::PUT,
            "/api/negotiations/{id}/provisions/{provision}",
            "Insert or replace a provision",
            &[],
        ),
        r(RemoveProvision, Method::DELETE, "/api/negotiations/{id}/provisions/{provision}", "Remove a provision", &[]),
        r(SetIssue, Method::PUT, "/api/negotiations/{id}/issues/{issue}", "Insert or replace an issue", &[]),
        r(RemoveIssue, Method::DELETE, "/api/negotiations/{id}/issues/{issue}", "Remove an issue", &[]),
        r(
            SetDraftValue,
            Method::PUT,
            "/api/negotiations/{id}/draft-values/{issue}",
            "Set the draft's value for an issue",
            &[],
        ),
        r(
            ListStances,
            Method::GET,
            "/api/negotiations/{id}/stances",
            "Stances you may see, and per-provision counts",
            &[],
        ),
        r(
            SetStance,
            Method::PUT,
            "/api/negotiations/{id}/stances/{provision}",
            "Record your stance on a provision",
            &[],
        ),
        r(StanceHistory, Method::GET, "/api/negotiations/{id}/stances/history", "Stance history you may see", &[]),
        r(ListComments, Method::GET, "/api/negotiations/{id}/comments", "Comments you may see", &[]),
        r(AddComment, Method::POST, "/api/negotiations/{id}/comments", "Comment on a quoted span of a provision", &[]),
        r(GetProfile, Method::GET, "/api/negotiations/{id}/profiles/{party}", "A party's profile", &[]),
        r(SetProfile, Method::PUT, "/api/negotiations/{id}/profiles/{party}", "Replace your profile", &[]),
        r(
            GetReservations,
            Method::GET,
            "/api/negotiations/{id}/profiles/{party}/reservations",
            "A party's reservation history",
            &[],
        ),
        r(
            ChangeReservation,
            Method::POST,
            "/api/negotiations/{id}/profiles/{party}/reservations",
            "Move your reservation value",
            &[],
        ),
        r(ListInvitations, Method::GET, "/api/negotiations/{id}/invitations", "Invitations issued", &[]),
        r(Invite, Method::POST, "/api/negotiations/{id}/invitations", "Invite someone to take a party's seat", &[]),
        r(AcceptInvitation, Method::POST, "/api/negotiations/{id}/invitations/accept", "Redeem an invitation", &[]),
        r(
            RevokeInvitation,
            Method::DELETE,
            "/api/negotiations/{id}/invitations/{invitation}",
            "Revoke a pending invitation (by its id from the invitation list)",
            &[],
        ),
        r(Members, Method::GET, "/api/negotiations/{id}/members", "Who holds which seat", &[]),
        r(ListVersions, Method::GET, "/api/negotiations/{id}/versions", "Released versions", &[]),
        r(
            PublishVersion,
            Method::POST,
            "/api/negotiations/{id}/versions",
            "Release the current draft as the next version",
            &[],
        ),
        r(GetVersion, Method::GET, "/api/negotiations/{id}/versions/{number}", "One released version", &[]),
        r(
            DiffVersions,
            Method::GET,
            "/api/negotiations/{id}/versions/{number}/diff/{other}",
            "Word-level diff between two versions",
            &[],
        ),
        r(
            Analysis,
            Method::GET,
            "/api/negotiations/{id}/analysis",
            "ZOPA, solutions, repair, improvement, balance",
            &[],
        ),
        r(
            Pareto,
            Method::GET,
            "/api/negotiations/{id}/analysis/pareto",
            "The Pareto frontier on two parties' normalised gains, with the draft and the suggestions",
            &[Party("a"), Party("b")],
        ),
        r(Balance, Method::GET, "/api/negotiations/{id}/balance", "Your own balance at the draft", &[]),
        r(
            Events,
            Method::GET,
            "/api/negotiations/{id}/events",
            "The event log, filtered",
            &[Integer("from"), Integer("to")],
        ),
        r(
            Checkpoint,
            Method::GET,
            "/api/negotiations/{id}/checkpoint",
            "The Merkle root at a size",
            &[Integer("size")],
        ),
        r(
            InclusionProof,
            Method::GET,
            "/api/negotiations/{id}/proofs/inclusion",
            "Inclusion proof of an event",
            &[Integer("index"), Integer("size")],
        ),
        r(
            ConsistencyProof,
            Method::GET,
            "/api/negotiations/{id}/proofs/consistency",
            "Consistency proof between two sizes",
            &[Integer("from"), Integer("to")],
        ),
        r(ServerKey, Method::GET, "/api/server-key", "The server's public key, which signs checkpoints", &[]),
        r(PhaseStatus, Method::GET, "/api/negotiations/{id}/phase", "The timetable and the current phase", &[]),
        r(AdvancePhase, Method::POST, "/api/negotiations/{id}/phase/advance", "End the phase early", &[]),
        r(ExtendDeadline, Method::POST, "/api/negotiations/{id}/phase/extend", "Move a phase's deadline", &[]),
        r(Engagement, Method::GET, "/api/negotiations/{id}/engagement", "Who acknowledged which version, when", &[]),
        r(ListKeys, Method::GET, "/api/negotiations/{id}/keys", "Parties' public keys, with rotations", &[]),
        r(RegisterKey, Method::PUT, "/api/negotiations/{id}/keys/{party}", "Register your public key", &[]),
        r(
            RotateKey,
            Method::POST,
            "/api/negotiations/{id}/keys/{party}/rotate",
            "Replace your key (signed by the old one)",
            &[],
        ),
        r(
            SignedCheckpoint,
            Method::GET,
            "/api/negotiations/{id}/checkpoint/signed",
            "A checkpoint signed by the server",
            &[Integer("size")],
        ),
        r(
            Acknowledge,
            Method::POST,
            "/api/negotiations/{id}/versions/{number}/acknowledgements",
            "Acknowledge a version with your key",
            &[],
        ),
        r(
            SignFinal,
            Method::POST,
            "/api/negotiations/{id}/versions/{number}/signatures",
            "Sign the final text with your key",
            &[],
        ),
        r(Bundle, Method::GET, "/api/negotiations/{id}/bundle", "The certificate of completion (evidence bundle)", &[]),
        r(ExportLog, Method::GET, "/api/negotiations/{id}/export", "The whole log, for accord verify-log", &[]),
        r(
            Stream,
            Method::GET,
            "/api/negotiations/{id}/stream",
            "Live updates: server-sent events whenever the log grows",
            &[],
        ),
        r(
            ConfirmInputs,
            Method::POST,
            "/api/negotiations/{id}/inputs/{party}/confirm",
            "Confirm the profile and stances the mediator entered for you",
            &[],
        ),
        r(
            DraftEdits,
            Method::POST,
            "/api/negotiations/{id}/draft/edits",
            "Apply a batch of drafting edits to the draft, all or none",
            &[],
        ),
        r(
            SetWorkingDraftSharing,
            Method::PUT,
            "/api/negotiations/{id}/settings/working-draft",
            "Let parties watch the working draft, or only read the released text",
            &[],
        ),
        r(
            SetAdReferendum,
            Method::PUT,
            "/api/negotiations/{id}/provisions/{provision}/ad-referendum",
            "Mark or unmark a provision as agreed ad referendum (released with the next version)",
            &[],
        ),
    ]
}

fn handler(id: RouteId, filter: MethodFilter) -> MethodRouter<AppState> {
    use RouteId::*;
    use handlers::{
        accounts, analysis, comments, drafting, evidence, invitations, keys, log, meta, negotiations, pareto, phases,
        profiles, revision, stances, stream, text, versions,
    };
    match id {
        OpenApi => on(filter, meta::openapi),
        SignUp => on(filter, accounts::sign_up),
        SignIn => on(filter, accounts::sign_in),
        SignOut => on(filter, accounts::sign_out),
        CreateToken => on(filter, accounts::create_token),
        Me => on(filter, accounts::me),
        ListNegotiations => on(filter, negotiations::list_negotiations),
        CreateNegotiation => on(filter, negotiations::create_negotiation),
        GetNegotiation => on(filter, negotiations::get_negotiation),
        GetDraft => on(filter, text::get_draft),
        SetProvision => on(filter, text::set_provision),
        RemoveProvision => on(filter, text::remove_provision),
        SetIssue => on(filter, text::set_issue),
        RemoveIssue => on(filter, text::remove_issue),
        SetDraftValue => on(filter, text::set_draft_value),
        ListStances => on(filter, stances::list_stances),
        SetStance => on(filter, stances::set_stance),
        StanceHistory => on(filter, stances::stance_history),
        ListComments => on(filter, comments::list_comments),
        AddComment => on(filter, comments::add_comment),
        GetProfile => on(filter, profiles::get_profile),
        SetProfile => on(filter, profiles::set_profile),
        GetReservations => on(filter, profiles::get_reservations),
        ChangeReservation => on(filter, profiles::change_reservation),
        ListInvitations => on(filter, invitations::list_invitations),
        Invite => on(filter, invitations::invite),
        AcceptInvitation => on(filter, invitations::accept_invitation),
        RevokeInvitation => on(filter, invitations::revoke_invitation),
        Members => on(filter, invitations::members),
        ListVersions => on(filter, versions::list_versions),
        PublishVersion => on(filter, versions::publish_version),
        GetVersion => on(filter, versions::get_version),
        DiffVersions => on(filter, versions::diff_versions),
        Analysis => on(filter, analysis::analysis),
        Pareto => on(filter, pareto::pareto),
        Balance => on(filter, analysis::balance),
        Events => on(filter, log::events),
        Checkpoint => on(filter, log::checkpoint),
        InclusionProof => on(filter, log::inclusion_proof),
        ConsistencyProof => on(filter, log::consistency_proof),
        ServerKey => on(filter, evidence::server_key),
        PhaseStatus => on(filter, phases::phase_status),
        AdvancePhase => on(filter, phases::advance_phase),
        ExtendDeadline => on(filter, phases::extend_deadline),
        Engagement => on(filter, phases::engagement),
        ListKeys => on(filter, keys::list_keys),
        RegisterKey => on(filter, keys::register_key),
        RotateKey => on(filter, keys::rotate_key),
        SignedCheckpoint => on(filter, evidence::signed_checkpoint),
        Acknowledge => on(filter, evidence::acknowledge),
        SignFinal => on(filter, evidence::sign_final),
        Bundle => on(filter, evidence::bundle),
        ExportLog => on(filter, evidence::export_log),
        Stream => on(filter, stream::stream),
        ConfirmInputs => on(filter, profiles::confirm_inputs),
        DraftEdits => on(filter, drafting::apply_edits),
        SetWorkingDraftSharing => on(filter, revision::set_working_draft_sharing),
        SetAdReferendum => on(filter, revision::set_ad_referendum),
    }
}

/// The API as an axum router over `state`.
pub fn router(state: AppState) -> Router {
    let mut by_path: BTreeMap<&'static str, MethodRouter<AppState>> = BTreeMap::new();
    for route in routes() {
        let filter = MethodFilter::try_from(route.method.clone()).unwrap_or(MethodFilter::GET);
        let method_router = handler(route.id, filter);
        let merged = match by_path.remove(route.path) {
            Some(existing) => existing.merge(method_router),
            None => method_router,
        };
        by_path.insert(route.path, merged);
    }
    let mut router = Router::new().merge(web::router());
    for (path, method_router) in by_path {
        router = router.route(path, method_router.fallback(handlers::meta::method_not_allowed));
    }
    let limit = state.config.body_limit;
    let timeout = state.config.request_timeout;
    // A route layer sees the matched route's template, which is what the
    // metrics and the request log record (never the concrete path).
    let tracked = axum::middleware::from_fn_with_state(state.metrics.clone(), ops::track);
    let throttled = axum::middleware::from_fn_with_state(state.clone(), guard::throttle_sign_up);
    // Outermost last: panics become 500s, the client address is resolved
    // before anything reads it, cross-site writes stop before any handler.
    router
        .merge(ops::router())
        .route_layer(throttled)
        .route_layer(tracked)
        .fallback(handlers::meta::no_such_route)
        .layer(axum::extract::DefaultBodyLimit::max(limit))
        .layer(axum::middleware::from_fn_with_state(state.clone(), guard::same_origin_writes))
        .layer(axum::middleware::from_fn_with_state(state.clone(), guard::security_headers))
        .layer(tower_http::compression::CompressionLayer::new())
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            timeout,
        ))
        .layer(axum::middleware::from_fn_with_state(state.clone(), guard::client_address))
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(guard::panic_response))
        .with_state(state)
}
