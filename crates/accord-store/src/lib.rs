//! Storage for Accord: one append-only event log per negotiation, whose leaves
//! form an RFC 6962 Merkle tree, plus accounts and tokens.
//!
//! [`Store`] is the one interface the service uses. Every backend passes the
//! same [`conformance`] suite: [`SqliteStore`] for one host, [`PostgresStore`]
//! for several servers sharing one database. [`open`] picks the backend from
//! a database URL.
//!
//! # The log
//!
//! An event is stored as the exact bytes `serde_json::to_vec(&event)` produced
//! when it was appended, with its leaf hash `SHA-256(0x00 || bytes)`. Bytes are
//! never re-serialised: a verifier re-hashes what was hashed. Positions run
//! 0, 1, 2, … without gaps; the event's own `position` field must equal its
//! place in the log.
//!
//! # Conflicts
//!
//! [`Store::append`] takes the log size the caller based its decision on.
//! If the log has grown (or the caller skipped ahead), nothing is written and
//! [`StoreError::Conflict`] reports the actual size: the caller re-reads,
//! re-validates and retries, or reports 409 to its client. Of several
//! concurrent appends at the same position exactly one wins; the
//! `(negotiation, position)` primary key guarantees it even if two writers
//! both saw the old size.
//!
//! # Proofs
//!
//! The provided methods [`Store::root`], [`Store::checkpoint`],
//! [`Store::inclusion_proof`] and [`Store::consistency_proof`] build
//! `accord-merkle`'s wire types from [`Store::leaf_hashes`], so a backend only
//! stores leaf hashes and every backend proves the same way.

use accord_core::event::Event;
use async_trait::async_trait;
use chrono::{DateTime, Utc};

pub use accord_merkle::{Checkpoint, ConsistencyProof, InclusionProof};

pub mod backup;
mod batch;
pub mod conformance;
mod postgres;
mod sql;
mod sqlite;
pub mod testing;

pub use postgres::PostgresStore;
pub use sqlite::SqliteStore;

/// Opens the store a database URL names, running its migrations:
/// `postgres://…` or `postgresql://…` for [`PostgresStore`]; `sqlite:PATH`,
/// `sqlite://PATH` or a bare file path for [`SqliteStore`]. Any other
/// `scheme://` is refused as `Invalid` rather than taken for a file name.
pub async fn open(database: &str) -> Result<std::sync::Arc<dyn Store>, StoreError> {
    match Backend::of(database)? {
        Backend::Postgres => Ok(std::sync::Arc::new(PostgresStore::open(database).await?)),
        Backend::Sqlite => Ok(std::sync::Arc::new(SqliteStore::open(database).await?)),
    }
}

/// The kind of database a URL names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// Which backend [`open`] would use for `database`.
    pub fn of(database: &str) -> Result<Backend, StoreError> {
        if database.starts_with("postgres://") || database.starts_with("postgresql://") {
            return Ok(Backend::Postgres);
        }
        if database.starts_with("sqlite:") {
            return Ok(Backend::Sqlite);
        }
        if let Some((scheme, _)) = database.split_once("://")
            && !scheme.is_empty()
            && scheme.chars().all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
        {
            return Err(StoreError::Invalid {
                reason: format!(
                    "unsupported database URL scheme {scheme:?}: use postgres://…, sqlite:PATH or a file path"
                ),
            });
        }
        Ok(Backend::Sqlite)
    }
}

/// The database URL fit to print or log: a password in it (`user:secret@`
/// or a `password=` parameter) is replaced by `***`.
pub fn redact(database: &str) -> String {
    let Some((scheme, rest)) = database.split_once("://") else { return database.to_string() };
    // The authority ends at the first '/', '?' or '#'; credentials end at its last '@'.
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    let authority = match authority.rfind('@') {
        Some(at) => match authority[..at].split_once(':') {
            Some((user, _password)) => format!("{user}:***{}", &authority[at..]),
            None => authority.to_string(),
        },
        None => authority.to_string(),
    };
    let tail = match tail.split_once('?') {
        Some((path, query)) => {
            let query: Vec<String> = query
                .split('&')
                .map(|pair| match pair.split_once('=') {
                    Some((key, _)) if key.eq_ignore_ascii_case("password") => format!("{key}=***"),
                    _ => pair.to_string(),
                })
                .collect();
            format!("{path}?{}", query.join("&"))
        }
        None => tail.to_string(),
    };
    format!("{scheme}://{authority}{tail}")
}

/// A SHA-256 hash.
pub type Hash = accord_merkle::Hash;

/// An event as stored: its exact bytes (the Merkle leaf data) and leaf hash.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredEvent {
    pub event: Event,
    /// The canonical JSON the leaf hash is computed over; kept verbatim so a
    /// verifier re-hashes exactly what was hashed.
    pub bytes: Vec<u8>,
    pub leaf_hash: Hash,
}

/// The log after a successful append.
#[derive(Debug, Clone, PartialEq)]
pub struct Appended {
    pub position: u64,
    pub leaf_hash: Hash,
    /// The log size after the append (position + 1).
    pub size: u64,
    /// The Merkle root at `size`.
    pub root: Hash,
}

/// A negotiation's log grew: it now holds `size` events. Announced by
/// [`Store::subscribe`]; it carries no content, so anyone may receive it and
/// then read what the policy lets them see.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogGrew {
    pub negotiation: String,
    pub size: u64,
}

/// How many announcements a slow subscriber may fall behind before it is told
/// it lagged (and should re-read the log sizes it cares about).
pub const ANNOUNCEMENT_BUFFER: usize = 1024;

/// A message in the outbox: written in the same transaction as the event
/// that decided to send it ([`Store::append_all_with_outbox`]), so neither
/// exists without the other, then handed out by [`Store::claim_outbox`]
/// until it is delivered or has failed [`OUTBOX_MAX_ATTEMPTS`] times.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxMessage {
    pub id: i64,
    pub negotiation: String,
    /// What to send, as the writer encoded it (the server stores a
    /// notification as JSON); the store does not look inside.
    pub body: String,
    /// Failed deliveries so far.
    pub attempts: u32,
    /// Not before this instant, in milliseconds since the Unix epoch (0: at once).
    pub next_attempt_ms: i64,
    /// Why the last delivery failed.
    pub last_error: Option<String>,
    /// It failed [`OUTBOX_MAX_ATTEMPTS`] times and is no longer handed out.
    pub given_up: bool,
}

/// Deliveries of one outbox message before it is given up (and kept, with
/// its last error, for an operator to look at).
pub const OUTBOX_MAX_ATTEMPTS: u32 = 8;

/// The most messages one [`Store::claim_outbox`] or [`Store::outbox`] call returns.
pub const OUTBOX_PAGE: usize = 100;

/// An account; read from the store as a row of the `accounts` table.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Account {
    pub id: String,
    pub email: String,
    pub display_name: String,
    /// An argon2id PHC string.
    pub password_hash: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    /// A browser session (cookie).
    Session,
    /// A bearer API token (CLI).
    Api,
}

impl TokenKind {
    pub fn as_str(self) -> &'static str {
        match self {
            TokenKind::Session => "session",
            TokenKind::Api => "api",
        }
    }

    pub fn parse(text: &str) -> Option<TokenKind> {
        match text {
            "session" => Some(TokenKind::Session),
            "api" => Some(TokenKind::Api),
            _ => None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The append was based on a stale position: someone else wrote first.
    #[error("the log of negotiation {negotiation} is at position {actual}, not {expected}")]
    Conflict { negotiation: String, expected: u64, actual: u64 },
    #[error("{what} already exists")]
    Duplicate { what: String },
    #[error("{what} not found")]
    NotFound { what: String },
    /// The request cannot be met whatever the data: an event whose `position`
    /// differs from the position it is appended at, a proof for a leaf outside
    /// the tree, a consistency proof from a larger size to a smaller one. A
    /// caller bug or bad client input, never a storage fault.
    #[error("invalid request: {reason}")]
    Invalid { reason: String },
    /// The backend failed (I/O, corruption). Surfaces as a 5xx: a bug or an outage.
    #[error("storage backend error: {0}")]
    Backend(String),
}

/// The storage interface. Every method is atomic; an `Ok` from a write means
/// the write is durable (committed with the sync level in ARCHITECTURE.md).
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Appends `event` at `expected_position`, which must equal the current log
    /// size; otherwise nothing is written and `Conflict` is returned. Exactly
    /// one of several concurrent appends at the same position wins.
    /// `event.position` must equal `expected_position` (else `Invalid`).
    async fn append(&self, negotiation: &str, expected_position: u64, event: &Event) -> Result<Appended, StoreError> {
        self.append_all(negotiation, expected_position, std::slice::from_ref(event)).await
    }

    /// Appends `events`, at `expected_position`, `expected_position + 1`, …,
    /// in one transaction: all of them or, on any error, none (a crash
    /// cannot leave half of a write in the log, and nobody reads a size in
    /// between). The rules of [`Store::append`] hold for the first; each
    /// event's `position` must follow the one before (else `Invalid`), and
    /// there must be at least one. Returns the last event's `Appended`.
    async fn append_all(
        &self,
        negotiation: &str,
        expected_position: u64,
        events: &[Event],
    ) -> Result<Appended, StoreError> {
        self.append_all_with_outbox(negotiation, expected_position, events, &[]).await
    }

    /// [`Store::append_all`], and in the same transaction one outbox
    /// message per `outbox` body, due at once: the events and the messages
    /// they decided to send are written together or not at all.
    async fn append_all_with_outbox(
        &self,
        negotiation: &str,
        expected_position: u64,
        events: &[Event],
        outbox: &[String],
    ) -> Result<Appended, StoreError>;

    /// Up to `limit` (at most [`OUTBOX_PAGE`]) outbox messages due at
    /// `now_ms` (milliseconds since the Unix epoch), oldest due first, each
    /// claimed until `lease_until_ms`: no other caller, on this server or
    /// another sharing the database, is handed it before then. The claimer
    /// reports the outcome with [`Store::outbox_delivered`] or
    /// [`Store::outbox_failed`]; a claimer that vanishes lets the lease
    /// lapse and the message is handed out again.
    async fn claim_outbox(
        &self,
        now_ms: i64,
        lease_until_ms: i64,
        limit: usize,
    ) -> Result<Vec<OutboxMessage>, StoreError>;

    /// The message was delivered: it leaves the outbox. `NotFound` for an unknown id.
    async fn outbox_delivered(&self, id: i64) -> Result<(), StoreError>;

    /// A delivery failed with `error`: the attempt is counted and the
    /// message is due again at `retry_at_ms`, or, with `None`, given up.
    /// `NotFound` for an unknown id.
    async fn outbox_failed(&self, id: i64, error: &str, retry_at_ms: Option<i64>) -> Result<(), StoreError>;

    /// The messages still in the outbox (pending or given up), oldest
    /// first, at most [`OUTBOX_PAGE`]: for operators and tests.
    async fn outbox(&self) -> Result<Vec<OutboxMessage>, StoreError>;

    /// Every negotiation with its log size, in one read: what the server's
    /// clock compares with its index of deadlines to find the logs another
    /// server wrote to.
    async fn log_sizes(&self) -> Result<Vec<(String, u64)>, StoreError> {
        let mut sizes = Vec::new();
        for negotiation in self.negotiations().await? {
            let size = self.log_size(&negotiation).await?;
            sizes.push((negotiation, size));
        }
        Ok(sizes)
    }

    /// Events `from..to` (to = None: to the end), in order. A range reaching
    /// past the end is cut at the end.
    async fn events(&self, negotiation: &str, from: u64, to: Option<u64>) -> Result<Vec<StoredEvent>, StoreError>;

    /// The current log size (0 for an unknown negotiation).
    async fn log_size(&self, negotiation: &str) -> Result<u64, StoreError>;

    /// The leaf hashes of the first `size` events; `NotFound` when the log
    /// holds fewer than `size` events.
    async fn leaf_hashes(&self, negotiation: &str, size: u64) -> Result<Vec<Hash>, StoreError>;

    /// Every negotiation id, oldest first.
    async fn negotiations(&self) -> Result<Vec<String>, StoreError>;

    /// Announcements of appends: this process's, and, on PostgreSQL, those of
    /// every server sharing the database (`LISTEN/NOTIFY`). Best effort: an
    /// announcement may come twice or, while a connection is being re-made,
    /// not at all, so a subscriber also re-reads [`Store::log_size`] now and
    /// then and after `RecvError::Lagged`.
    fn subscribe(&self) -> tokio::sync::broadcast::Receiver<LogGrew>;

    /// `Duplicate` if the id or the email (trimmed, case-insensitive) is taken.
    async fn create_account(&self, account: &Account) -> Result<(), StoreError>;
    /// Looks the email up trimmed and case-insensitively.
    async fn account_by_email(&self, email: &str) -> Result<Option<Account>, StoreError>;
    async fn account_by_id(&self, id: &str) -> Result<Option<Account>, StoreError>;

    /// Stores a token by its hash (the token itself is never stored).
    /// `NotFound` for an unknown account, `Duplicate` for a hash already stored.
    async fn create_token(
        &self,
        token_hash: &str,
        account: &str,
        kind: TokenKind,
        expires_at: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    /// The account a live token belongs to: of this kind, not revoked, and
    /// `now < expires_at`.
    async fn account_for_token(
        &self,
        token_hash: &str,
        kind: TokenKind,
        now: DateTime<Utc>,
    ) -> Result<Option<Account>, StoreError>;
    /// Revokes a token for good. Revoking twice is fine; `NotFound` for a hash never stored.
    async fn revoke_token(&self, token_hash: &str) -> Result<(), StoreError>;

    /// Every account, oldest first (then by id): what a [`backup`] saves.
    async fn accounts(&self) -> Result<Vec<Account>, StoreError>;
    /// Begins a restore (see [`backup::Import`]): one transaction that
    /// writes events with their bytes verbatim. `Invalid` (saying what the
    /// store holds) unless the store has no negotiation and no account.
    async fn import(&self) -> Result<Box<dyn backup::Import>, StoreError>;

    /// The Merkle root of the first `size` events (the empty-tree root for 0).
    async fn root(&self, negotiation: &str, size: u64) -> Result<Hash, StoreError> {
        let leaves = self.leaf_hashes(negotiation, size).await?;
        accord_merkle::root_at(leaves.as_slice(), size).map_err(|e| proof_error(negotiation, e))
    }

    /// The root at `size`, paired with the size: what a client pins.
    async fn checkpoint(&self, negotiation: &str, size: u64) -> Result<Checkpoint, StoreError> {
        Ok(Checkpoint::new(size, self.root(negotiation, size).await?))
    }

    /// The audit path proving event `index` is in the log of the first `size` events.
    async fn inclusion_proof(&self, negotiation: &str, index: u64, size: u64) -> Result<InclusionProof, StoreError> {
        if index >= size {
            return Err(StoreError::Invalid {
                reason: format!("an inclusion proof needs a leaf below the size; got leaf {index} of size {size}"),
            });
        }
        let leaves = self.leaf_hashes(negotiation, size).await?;
        let path =
            accord_merkle::prove_inclusion(leaves.as_slice(), index, size).map_err(|e| proof_error(negotiation, e))?;
        Ok(InclusionProof::new(index, size, path))
    }

    /// The proof that the log at `old_size` is a prefix of the log at `new_size`.
    async fn consistency_proof(
        &self,
        negotiation: &str,
        old_size: u64,
        new_size: u64,
    ) -> Result<ConsistencyProof, StoreError> {
        if old_size > new_size {
            return Err(StoreError::Invalid {
                reason: format!(
                    "a consistency proof runs from a smaller size to a larger; got {old_size} to {new_size}"
                ),
            });
        }
        let leaves = self.leaf_hashes(negotiation, new_size).await?;
        let path = accord_merkle::prove_consistency(leaves.as_slice(), old_size, new_size)
            .map_err(|e| proof_error(negotiation, e))?;
        Ok(ConsistencyProof::new(old_size, new_size, path))
    }
}

fn proof_error(negotiation: &str, error: accord_merkle::ProofError) -> StoreError {
    match error {
        accord_merkle::ProofError::SizeBeyondLog { size, leaf_count } => StoreError::NotFound {
            what: format!("size {size} of the log of negotiation {negotiation}, which holds {leaf_count} events"),
        },
        other => StoreError::Invalid { reason: other.to_string() },
    }
}

/// The bytes an event is stored and hashed as, and their leaf hash. Every
/// backend calls this, so all of them hash the same bytes.
pub fn encode_event(event: &Event) -> Result<(Vec<u8>, Hash), StoreError> {
    let bytes = serde_json::to_vec(event)
        .map_err(|e| StoreError::Invalid { reason: format!("event {} cannot be encoded: {e}", event.position) })?;
    let leaf_hash = accord_merkle::leaf_hash(&bytes);
    Ok((bytes, leaf_hash))
}

/// Rebuilds a stored event, checking that the row is what was appended: the
/// bytes parse, name the row's position, and hash to the stored leaf hash.
pub fn decode_event(
    negotiation: &str,
    position: u64,
    bytes: Vec<u8>,
    leaf_hash: &[u8],
) -> Result<StoredEvent, StoreError> {
    let corrupt = |why: String| StoreError::Backend(format!("event {position} of negotiation {negotiation}: {why}"));
    let leaf_hash: Hash =
        leaf_hash.try_into().map_err(|_| corrupt(format!("leaf hash has {} bytes, not 32", leaf_hash.len())))?;
    if accord_merkle::leaf_hash(&bytes) != leaf_hash {
        return Err(corrupt("stored bytes do not hash to the stored leaf hash".into()));
    }
    let event: Event =
        serde_json::from_slice(&bytes).map_err(|e| corrupt(format!("stored bytes do not parse: {e}")))?;
    if event.position != position {
        return Err(corrupt(format!("stored bytes claim position {}", event.position)));
    }
    Ok(StoredEvent { event, bytes, leaf_hash })
}

/// The form an email is unique in: trimmed and lower-cased.
pub fn email_key(email: &str) -> String {
    email.trim().to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::{Backend, redact};

    #[test]
    fn urls_choose_their_backend() {
        for url in ["postgres://u@h/db", "postgresql://h:5432/db?sslmode=disable"] {
            assert_eq!(Backend::of(url).ok(), Some(Backend::Postgres), "{url}");
        }
        for url in ["sqlite:accord.db", "sqlite:///var/lib/accord.db", "./accord.db", "/tmp/a.db", "accord.db"] {
            assert_eq!(Backend::of(url).ok(), Some(Backend::Sqlite), "{url}");
        }
        for url in ["mysql://h/db", "postgre://h/db", "http://h/"] {
            assert!(Backend::of(url).is_err(), "{url} must be refused, not taken for a file");
        }
    }

    #[test]
    fn passwords_never_reach_a_printed_url() {
        for (url, shown) in [
            ("postgres://accord:s3cr%40t@db.internal:5432/accord", "postgres://accord:***@db.internal:5432/accord"),
            (
                "postgres://accord@db/accord?password=s3cret&sslmode=require",
                "postgres://accord@db/accord?password=***&sslmode=require",
            ),
            ("postgres://db/accord", "postgres://db/accord"),
            ("sqlite:./accord.db", "sqlite:./accord.db"),
            ("./accord.db", "./accord.db"),
        ] {
            assert_eq!(redact(url), shown);
            assert!(!redact(url).contains("s3c"), "{url}");
        }
    }
}
