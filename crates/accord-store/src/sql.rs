//! The SQL both backends run, in one place: the statements, the rows they
//! read (as [`sqlx::FromRow`] types) and the queries with their parameters
//! bound, so a column or a placeholder changes once for both.
//!
//! Placeholders are `$1`, `$2`, …, which PostgreSQL requires and sqlx's
//! SQLite driver binds by number as well (SQLite itself reads `$NNN` as a
//! named parameter; sqlx maps the name's number to the argument), so one
//! text serves both. `TRUE`/`FALSE` are keywords in both (SQLite stores them
//! as 1/0). What only one backend runs (SQLite's `BEGIN IMMEDIATE`,
//! PostgreSQL's advisory lock, `LOCK TABLE` and `pg_notify`) stays in that
//! backend's module.
//!
//! Each query is built by [`Sql`] for a database type and executed by the
//! backend on its own pool or transaction, so each backend keeps its own
//! transaction and locking code.

use std::marker::PhantomData;

use chrono::{DateTime, Utc};
use sqlx::query::{Query, QueryAs};
use sqlx::{Database, Encode, FromRow, Type};

use crate::batch::{Batch, EncodedEvent};
use crate::{Account, Hash, OutboxMessage, StoreError, StoredEvent, TokenKind, decode_event, email_key};

const LEAVES: &str = "SELECT position, leaf_hash FROM events WHERE negotiation = $1 ORDER BY position";
const LEAVES_BELOW: &str =
    "SELECT position, leaf_hash FROM events WHERE negotiation = $1 AND position < $2 ORDER BY position";
const EVENTS: &str = "SELECT position, bytes, leaf_hash FROM events \
     WHERE negotiation = $1 AND position >= $2 AND position < $3 ORDER BY position";
const LOG_SIZE: &str = "SELECT COALESCE(MAX(position) + 1, 0) FROM events WHERE negotiation = $1";
const NEGOTIATIONS: &str = "SELECT id FROM negotiations ORDER BY created_at, id";
const COUNT_NEGOTIATIONS: &str = "SELECT COUNT(*) FROM negotiations";
const INSERT_NEGOTIATION: &str = "INSERT INTO negotiations (id, created_at) VALUES ($1, $2)";
const INSERT_EVENT: &str =
    "INSERT INTO events (negotiation, position, at, actor, bytes, leaf_hash) VALUES ($1, $2, $3, $4, $5, $6)";

const LOG_SIZES: &str = "SELECT negotiation, MAX(position) + 1 FROM events GROUP BY negotiation ORDER BY negotiation";

/// The columns an [`OutboxMessage`] is read from.
macro_rules! outbox_columns {
    () => {
        "id, negotiation, body, attempts, next_attempt_ms, last_error, given_up"
    };
}
const INSERT_OUTBOX: &str =
    "INSERT INTO outbox (negotiation, body, attempts, next_attempt_ms, given_up) VALUES ($1, $2, 0, 0, FALSE)";
const OUTBOX_DUE: &str = concat!(
    "SELECT ",
    outbox_columns!(),
    " FROM outbox WHERE given_up = FALSE AND next_attempt_ms <= $1 ORDER BY next_attempt_ms, id LIMIT $2"
);
/// A claim succeeds only if nobody moved the message since it was read.
const CLAIM_OUTBOX: &str =
    "UPDATE outbox SET next_attempt_ms = $1 WHERE id = $2 AND next_attempt_ms = $3 AND given_up = FALSE";
const OUTBOX_DELIVERED: &str = "DELETE FROM outbox WHERE id = $1";
const OUTBOX_FAILED: &str =
    "UPDATE outbox SET attempts = attempts + 1, last_error = $2, next_attempt_ms = $3, given_up = $4 WHERE id = $1";
const OUTBOX_ALL: &str = concat!("SELECT ", outbox_columns!(), " FROM outbox ORDER BY id LIMIT $1");

/// The columns an [`Account`] is read from, in every account query.
macro_rules! account_columns {
    () => {
        "id, email, display_name, password_hash, created_at"
    };
}
const ACCOUNT_BY_ID: &str = concat!("SELECT ", account_columns!(), " FROM accounts WHERE id = $1");
const ACCOUNT_BY_EMAIL_KEY: &str = concat!("SELECT ", account_columns!(), " FROM accounts WHERE email_key = $1");
const ACCOUNTS: &str = concat!("SELECT ", account_columns!(), " FROM accounts ORDER BY created_at, id");
const ACCOUNT_EXISTS: &str = "SELECT id FROM accounts WHERE id = $1";
const EMAIL_KEY_TAKEN: &str = "SELECT id FROM accounts WHERE email_key = $1";
const COUNT_ACCOUNTS: &str = "SELECT COUNT(*) FROM accounts";
const INSERT_ACCOUNT: &str = "INSERT INTO accounts (id, email, email_key, display_name, password_hash, created_at) \
     VALUES ($1, $2, $3, $4, $5, $6)";

const TOKEN_WITH_ACCOUNT: &str = "SELECT t.kind, t.expires_at, t.revoked, \
     a.id, a.email, a.display_name, a.password_hash, a.created_at \
     FROM tokens t JOIN accounts a ON a.id = t.account WHERE t.token_hash = $1";
const TOKEN_EXISTS: &str = "SELECT token_hash FROM tokens WHERE token_hash = $1";
const INSERT_TOKEN: &str =
    "INSERT INTO tokens (token_hash, account, kind, expires_at, revoked) VALUES ($1, $2, $3, $4, FALSE)";
const REVOKE_TOKEN: &str = "UPDATE tokens SET revoked = TRUE WHERE token_hash = $1";

/// Which account to look up: the column is chosen by the variant, so no
/// column name is ever spliced into SQL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum AccountKey<'a> {
    Id(&'a str),
    /// An email in the form it is unique in (see [`email_key`]).
    EmailKey(String),
}

impl<'a> AccountKey<'a> {
    /// The key of an email as someone typed it: trimmed, case-insensitive.
    pub(crate) fn email(email: &str) -> AccountKey<'a> {
        AccountKey::EmailKey(email_key(email))
    }

    fn statement(&self) -> &'static str {
        match self {
            AccountKey::Id(_) => ACCOUNT_BY_ID,
            AccountKey::EmailKey(_) => ACCOUNT_BY_EMAIL_KEY,
        }
    }

    fn value(&self) -> &str {
        match self {
            AccountKey::Id(id) => id,
            AccountKey::EmailKey(key) => key,
        }
    }
}

/// A leaf of a log as stored: its position (checked against its place) and hash.
#[derive(Debug, FromRow)]
pub(crate) struct LeafRow {
    position: i64,
    leaf_hash: Vec<u8>,
}

/// The leaf hashes of a log read in position order, checking that the
/// positions run 0, 1, 2, … and every hash has 32 bytes.
pub(crate) fn leaves(negotiation: &str, rows: Vec<LeafRow>) -> Result<Vec<Hash>, StoreError> {
    rows.into_iter()
        .zip(0_i64..)
        .map(|(row, due)| {
            if row.position != due {
                return Err(StoreError::Backend(format!(
                    "the log of negotiation {negotiation} has position {} where {due} was due",
                    row.position
                )));
            }
            Hash::try_from(row.leaf_hash.as_slice()).map_err(|_| {
                StoreError::Backend(format!("event {due} of negotiation {negotiation} has a malformed leaf hash"))
            })
        })
        .collect()
}

/// The leaves of the first `size` events, or `NotFound` if the log is shorter.
pub(crate) fn leaves_up_to(negotiation: &str, size: u64, rows: Vec<LeafRow>) -> Result<Vec<Hash>, StoreError> {
    let leaves = leaves(negotiation, rows)?;
    if (leaves.len() as u64) < size {
        return Err(StoreError::NotFound {
            what: format!("size {size} of the log of negotiation {negotiation}, which holds {} events", leaves.len()),
        });
    }
    Ok(leaves)
}

/// An event as stored, before its bytes are checked.
#[derive(Debug, FromRow)]
pub(crate) struct EventRow {
    position: i64,
    bytes: Vec<u8>,
    leaf_hash: Vec<u8>,
}

/// The stored events of a range, each re-checked against its row.
pub(crate) fn events(negotiation: &str, rows: Vec<EventRow>) -> Result<Vec<StoredEvent>, StoreError> {
    rows.into_iter()
        .map(|row| {
            let position = u64::try_from(row.position)
                .map_err(|_| StoreError::Backend(format!("negative position {} in {negotiation}", row.position)))?;
            decode_event(negotiation, position, row.bytes, &row.leaf_hash)
        })
        .collect()
}

/// The log size `LOG_SIZE` counted, which cannot be negative in a sound table.
pub(crate) fn log_size(negotiation: &str, size: i64) -> Result<u64, StoreError> {
    u64::try_from(size).map_err(|_| StoreError::Backend(format!("negative log size {size} for {negotiation}")))
}

/// An outbox message as stored.
#[derive(Debug, FromRow)]
pub(crate) struct OutboxRow {
    id: i64,
    negotiation: String,
    body: String,
    attempts: i64,
    next_attempt_ms: i64,
    last_error: Option<String>,
    given_up: bool,
}

pub(crate) fn outbox_messages(rows: Vec<OutboxRow>) -> Vec<OutboxMessage> {
    rows.into_iter()
        .map(|row| OutboxMessage {
            id: row.id,
            negotiation: row.negotiation,
            body: row.body,
            attempts: u32::try_from(row.attempts).unwrap_or(u32::MAX),
            next_attempt_ms: row.next_attempt_ms,
            last_error: row.last_error,
            given_up: row.given_up,
        })
        .collect()
}

/// The sizes `LOG_SIZES` counted.
pub(crate) fn log_sizes(rows: Vec<(String, i64)>) -> Result<Vec<(String, u64)>, StoreError> {
    rows.into_iter()
        .map(|(negotiation, size)| {
            let size = log_size(&negotiation, size)?;
            Ok((negotiation, size))
        })
        .collect()
}

/// `NotFound` unless the outbox statement touched its message.
pub(crate) fn outbox_found(id: i64, rows_affected: u64) -> Result<(), StoreError> {
    if rows_affected == 0 {
        return Err(StoreError::NotFound { what: format!("outbox message {id}") });
    }
    Ok(())
}

/// A page size as bound to `LIMIT`: never more than [`crate::OUTBOX_PAGE`].
pub(crate) fn outbox_limit(limit: usize) -> i64 {
    i64::try_from(limit.min(crate::OUTBOX_PAGE)).unwrap_or(0)
}

/// A token with the account it belongs to.
#[derive(Debug, FromRow)]
pub(crate) struct TokenRow {
    kind: String,
    expires_at: DateTime<Utc>,
    revoked: bool,
    #[sqlx(flatten)]
    account: Account,
}

/// The account of a token if the token is live: of this kind, not revoked,
/// and `now < expires_at`. Compared here rather than in SQL: the rule is the
/// same for every backend and does not depend on how each orders timestamps.
pub(crate) fn live_token_account(row: Option<TokenRow>, kind: TokenKind, now: DateTime<Utc>) -> Option<Account> {
    let row = row?;
    let live = TokenKind::parse(&row.kind) == Some(kind) && !row.revoked && now < row.expires_at;
    live.then_some(row.account)
}

/// A database error as the store reports it: a backend fault.
pub(crate) fn backend(error: sqlx::Error) -> StoreError {
    StoreError::Backend(error.to_string())
}

/// A database error where a unique violation means the row was there
/// already (a restore's duplicate account or event): `Duplicate`.
pub(crate) fn duplicate_or_backend(error: sqlx::Error) -> StoreError {
    match &error {
        sqlx::Error::Database(db) if db.is_unique_violation() => {
            StoreError::Duplicate { what: db.message().to_string() }
        }
        _ => backend(error),
    }
}

/// Positions and sizes beyond `i64::MAX` cannot exist in the table; clamping
/// them keeps range queries meaningful ("to the end").
pub(crate) fn clamp_i64(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

/// The queries of [`Sql`], with their parameters bound, for database `DB`.
#[derive(Debug)]
pub(crate) struct Sql<DB>(PhantomData<DB>);

/// Every query's bounds in one place: the parameter types each backend
/// encodes and the rows it decodes (both backends meet them).
impl<DB> Sql<DB>
where
    DB: Database,
    for<'t> &'t str: Encode<'t, DB> + Type<DB>,
    for<'t> &'t [u8]: Encode<'t, DB> + Type<DB>,
    i64: for<'t> Encode<'t, DB> + Type<DB>,
    bool: for<'t> Encode<'t, DB> + Type<DB>,
    (String, i64): for<'r> FromRow<'r, DB::Row>,
    OutboxRow: for<'r> FromRow<'r, DB::Row>,
    DateTime<Utc>: for<'t> Encode<'t, DB> + Type<DB>,
    (i64,): for<'r> FromRow<'r, DB::Row>,
    (String,): for<'r> FromRow<'r, DB::Row>,
    LeafRow: for<'r> FromRow<'r, DB::Row>,
    EventRow: for<'r> FromRow<'r, DB::Row>,
    TokenRow: for<'r> FromRow<'r, DB::Row>,
    Account: for<'r> FromRow<'r, DB::Row>,
{
    /// The whole log's leaves, in position order.
    pub(crate) fn leaves(negotiation: &str) -> QueryAs<'_, DB, LeafRow, DB::Arguments> {
        sqlx::query_as(LEAVES).bind(negotiation)
    }

    /// The leaves below position `size`, in position order.
    pub(crate) fn leaves_below(negotiation: &str, size: u64) -> QueryAs<'_, DB, LeafRow, DB::Arguments> {
        sqlx::query_as(LEAVES_BELOW).bind(negotiation).bind(clamp_i64(size))
    }

    /// Events `from..to` (to the end when `to` is `None`), in position order.
    pub(crate) fn events(negotiation: &str, from: u64, to: Option<u64>) -> QueryAs<'_, DB, EventRow, DB::Arguments> {
        sqlx::query_as(EVENTS).bind(negotiation).bind(clamp_i64(from)).bind(to.map_or(i64::MAX, clamp_i64))
    }

    /// The log size, as one `(i64,)` row.
    pub(crate) fn log_size(negotiation: &str) -> QueryAs<'_, DB, (i64,), DB::Arguments> {
        sqlx::query_as(LOG_SIZE).bind(negotiation)
    }

    /// Every negotiation id, oldest first.
    pub(crate) fn negotiations() -> QueryAs<'static, DB, (String,), DB::Arguments> {
        sqlx::query_as(NEGOTIATIONS)
    }

    pub(crate) fn count_negotiations() -> QueryAs<'static, DB, (i64,), DB::Arguments> {
        sqlx::query_as(COUNT_NEGOTIATIONS)
    }

    /// The negotiation's row, written with its first event (whose `at` it keeps).
    pub(crate) fn insert_negotiation(negotiation: &str, first: &EncodedEvent) -> Query<'static, DB, DB::Arguments> {
        sqlx::query(INSERT_NEGOTIATION).bind(negotiation).bind(first.at)
    }

    pub(crate) fn insert_event(negotiation: &str, event: &EncodedEvent) -> Query<'static, DB, DB::Arguments> {
        sqlx::query(INSERT_EVENT)
            .bind(negotiation)
            .bind(event.row_position)
            .bind(event.at)
            .bind(event.actor.as_str())
            .bind(event.bytes.as_slice())
            .bind(event.leaf_hash.as_slice())
    }

    /// The rows an append writes, in order: the negotiation's, when the
    /// batch starts its log, then each event's.
    pub(crate) fn insert_batch(negotiation: &str, batch: &Batch) -> Vec<Query<'static, DB, DB::Arguments>> {
        let negotiation_row = batch.creates_negotiation().map(|first| Self::insert_negotiation(negotiation, first));
        negotiation_row
            .into_iter()
            .chain(batch.events().iter().map(|event| Self::insert_event(negotiation, event)))
            .collect()
    }

    /// Every negotiation's log size, as `(id, size)` rows.
    pub(crate) fn log_sizes() -> QueryAs<'static, DB, (String, i64), DB::Arguments> {
        sqlx::query_as(LOG_SIZES)
    }

    /// One outbox message, due at once; run in the transaction of its append.
    pub(crate) fn insert_outbox<'a>(negotiation: &'a str, body: &'a str) -> Query<'a, DB, DB::Arguments> {
        sqlx::query(INSERT_OUTBOX).bind(negotiation).bind(body)
    }

    pub(crate) fn outbox_due(now_ms: i64, limit: usize) -> QueryAs<'static, DB, OutboxRow, DB::Arguments> {
        sqlx::query_as(OUTBOX_DUE).bind(now_ms).bind(outbox_limit(limit))
    }

    pub(crate) fn claim_outbox(id: i64, seen_due_ms: i64, lease_until_ms: i64) -> Query<'static, DB, DB::Arguments> {
        sqlx::query(CLAIM_OUTBOX).bind(lease_until_ms).bind(id).bind(seen_due_ms)
    }

    pub(crate) fn outbox_delivered(id: i64) -> Query<'static, DB, DB::Arguments> {
        sqlx::query(OUTBOX_DELIVERED).bind(id)
    }

    pub(crate) fn outbox_failed<'a>(id: i64, error: &'a str, retry_at_ms: Option<i64>) -> Query<'a, DB, DB::Arguments> {
        sqlx::query(OUTBOX_FAILED).bind(id).bind(error).bind(retry_at_ms.unwrap_or(0)).bind(retry_at_ms.is_none())
    }

    pub(crate) fn outbox_all() -> QueryAs<'static, DB, OutboxRow, DB::Arguments> {
        sqlx::query_as(OUTBOX_ALL).bind(outbox_limit(crate::OUTBOX_PAGE))
    }

    pub(crate) fn account<'a>(key: &'a AccountKey<'_>) -> QueryAs<'a, DB, Account, DB::Arguments> {
        sqlx::query_as(key.statement()).bind(key.value())
    }

    /// Every account, oldest first, then by id.
    pub(crate) fn accounts() -> QueryAs<'static, DB, Account, DB::Arguments> {
        sqlx::query_as(ACCOUNTS)
    }

    /// A row if an account has this id.
    pub(crate) fn account_exists(id: &str) -> QueryAs<'_, DB, (String,), DB::Arguments> {
        sqlx::query_as(ACCOUNT_EXISTS).bind(id)
    }

    /// A row if an account has this email key.
    pub(crate) fn email_key_taken(key: &str) -> QueryAs<'_, DB, (String,), DB::Arguments> {
        sqlx::query_as(EMAIL_KEY_TAKEN).bind(key)
    }

    pub(crate) fn count_accounts() -> QueryAs<'static, DB, (i64,), DB::Arguments> {
        sqlx::query_as(COUNT_ACCOUNTS)
    }

    /// The account as it is, its email key derived from its email.
    pub(crate) fn insert_account(account: &Account) -> Query<'static, DB, DB::Arguments> {
        sqlx::query(INSERT_ACCOUNT)
            .bind(account.id.as_str())
            .bind(account.email.as_str())
            .bind(email_key(&account.email).as_str())
            .bind(account.display_name.as_str())
            .bind(account.password_hash.as_str())
            .bind(account.created_at)
    }

    pub(crate) fn token_with_account(token_hash: &str) -> QueryAs<'_, DB, TokenRow, DB::Arguments> {
        sqlx::query_as(TOKEN_WITH_ACCOUNT).bind(token_hash)
    }

    /// A row if a token has this hash.
    pub(crate) fn token_exists(token_hash: &str) -> QueryAs<'_, DB, (String,), DB::Arguments> {
        sqlx::query_as(TOKEN_EXISTS).bind(token_hash)
    }

    /// A live token (not revoked).
    pub(crate) fn insert_token(
        token_hash: &str,
        account: &str,
        kind: TokenKind,
        expires_at: DateTime<Utc>,
    ) -> Query<'static, DB, DB::Arguments> {
        sqlx::query(INSERT_TOKEN).bind(token_hash).bind(account).bind(kind.as_str()).bind(expires_at)
    }

    pub(crate) fn revoke_token(token_hash: &str) -> Query<'static, DB, DB::Arguments> {
        sqlx::query(REVOKE_TOKEN).bind(token_hash)
    }
}
