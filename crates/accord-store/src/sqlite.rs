//! The SQLite backend.
//!
//! Durability: every connection runs in WAL mode with `synchronous = FULL`, so
//! a commit returns only after the WAL (holding the commit record) has been
//! fsynced. An append that returned `Ok` therefore survives a crash of the
//! process and a power loss. (`NORMAL` would sync only at checkpoints: a
//! power loss could drop the last acknowledged commits.)
//!
//! Concurrency: writes start with `BEGIN IMMEDIATE`, which takes SQLite's one
//! write lock before reading the log size. Two appends at the same position
//! thus run one after the other; the second sees the first's event and gets
//! `Conflict`. A deferred `BEGIN` would let both read, then fail the second's
//! lock upgrade with `SQLITE_BUSY` mid-transaction. A writer that waited out
//! `busy_timeout` (another process held the lock) retries with backoff instead
//! of failing; nothing was written by the failed attempt.

use std::future::Future;
use std::path::Path;
use std::str::FromStr;
use std::time::{Duration, Instant};

use accord_core::event::Event;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::Row;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};

use crate::{
    Account, Appended, EncodedEvent, Hash, LogGrew, StoreError, StoredEvent, TokenKind, decode_event, email_key,
    encode_batch,
};

/// How long one statement waits for another connection's write lock.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a write keeps retrying after `SQLITE_BUSY` before giving up.
const BUSY_RETRY_BUDGET: Duration = Duration::from_secs(30);
const MAX_CONNECTIONS: u32 = 8;

/// The store in one SQLite file. Cheap to clone (a pool handle).
#[derive(Debug, Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
    /// One host, one process: appends are announced in memory.
    announcer: tokio::sync::broadcast::Sender<LogGrew>,
}

impl SqliteStore {
    /// Opens (creating it if missing) the database at a `sqlite:` URL
    /// (`sqlite:accord.db`, `sqlite:///var/lib/accord.db`) or a plain file
    /// path, and brings its schema up to date.
    pub async fn open(url_or_path: &str) -> Result<Self, StoreError> {
        let options = if url_or_path.starts_with("sqlite:") {
            SqliteConnectOptions::from_str(url_or_path)
                .map_err(|e| StoreError::Invalid { reason: format!("bad database URL {url_or_path:?}: {e}") })?
        } else {
            SqliteConnectOptions::new().filename(url_or_path)
        };
        Self::open_with(options).await
    }

    /// Opens the database file at `path`, creating it if missing.
    pub async fn open_path(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        Self::open_with(SqliteConnectOptions::new().filename(path)).await
    }

    async fn open_with(options: SqliteConnectOptions) -> Result<Self, StoreError> {
        let options = options
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(BUSY_TIMEOUT)
            .foreign_keys(true);
        let pool = SqlitePoolOptions::new()
            .max_connections(MAX_CONNECTIONS)
            .connect_with(options)
            .await
            .map_err(|e| StoreError::Backend(format!("cannot open the database: {e}")))?;
        sqlx::migrate!("./migrations/sqlite")
            .run(&pool)
            .await
            .map_err(|e| StoreError::Backend(format!("cannot migrate the database: {e}")))?;
        let (announcer, _) = tokio::sync::broadcast::channel(crate::ANNOUNCEMENT_BUFFER);
        Ok(SqliteStore { pool, announcer })
    }

    /// The connection pool, for diagnostics and tests.
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// Closes every connection (checkpointing the WAL). Later calls fail.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// Runs a write transaction, retrying while another connection holds the
    /// write lock beyond `busy_timeout`.
    async fn write<T, F, Fut>(mut attempt: F) -> Result<T, StoreError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, Failure>>,
    {
        let started = Instant::now();
        let mut pause = Duration::from_millis(2);
        loop {
            match attempt().await {
                Ok(value) => return Ok(value),
                Err(Failure::Store(error)) => return Err(error),
                Err(Failure::Sql(error)) if is_busy(&error) && started.elapsed() < BUSY_RETRY_BUDGET => {
                    tokio::time::sleep(pause).await;
                    pause = (pause * 2).min(Duration::from_millis(250));
                }
                Err(Failure::Sql(error)) => return Err(backend(error)),
            }
        }
    }

    async fn try_append(pool: &SqlitePool, negotiation: &str, batch: &[EncodedEvent<'_>]) -> Result<Appended, Failure> {
        let (Some(first), Some(last)) = (batch.first(), batch.last()) else {
            return Err(Failure::Store(StoreError::Invalid { reason: "a write of no events".into() }));
        };
        let expected = first.event.position;
        let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
        let rows = sqlx::query("SELECT position, leaf_hash FROM events WHERE negotiation = ? ORDER BY position")
            .bind(negotiation)
            .fetch_all(&mut *tx)
            .await?;
        let mut leaves = leaves_from_rows(negotiation, &rows)?;
        let size = leaves.len() as u64;
        if size != expected {
            // Dropping `tx` rolls back; nothing was written.
            return Err(Failure::Store(StoreError::Conflict {
                negotiation: negotiation.to_string(),
                expected,
                actual: size,
            }));
        }
        if expected == 0 {
            sqlx::query("INSERT INTO negotiations (id, created_at) VALUES (?, ?)")
                .bind(negotiation)
                .bind(first.event.at)
                .execute(&mut *tx)
                .await?;
        }
        for encoded in batch {
            sqlx::query(
                "INSERT INTO events (negotiation, position, at, actor, bytes, leaf_hash) VALUES (?, ?, ?, ?, ?, ?)",
            )
            .bind(negotiation)
            .bind(to_i64(encoded.event.position)?)
            .bind(encoded.event.at)
            .bind(encoded.actor.as_str())
            .bind(encoded.bytes.as_slice())
            .bind(encoded.leaf_hash.as_slice())
            .execute(&mut *tx)
            .await?;
            leaves.push(encoded.leaf_hash);
        }
        let size = last.event.position + 1;
        let root = accord_merkle::root_at(leaves.as_slice(), size)
            .map_err(|e| Failure::Store(StoreError::Backend(e.to_string())))?;
        tx.commit().await?;
        Ok(Appended { position: last.event.position, leaf_hash: last.leaf_hash, size, root })
    }

    async fn try_create_account(pool: &SqlitePool, account: &Account) -> Result<(), Failure> {
        let key = email_key(&account.email);
        let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
        let id_taken =
            sqlx::query("SELECT 1 FROM accounts WHERE id = ?").bind(&account.id).fetch_optional(&mut *tx).await?;
        if id_taken.is_some() {
            return Err(Failure::Store(StoreError::Duplicate { what: format!("account {}", account.id) }));
        }
        let email_taken =
            sqlx::query("SELECT 1 FROM accounts WHERE email_key = ?").bind(&key).fetch_optional(&mut *tx).await?;
        if email_taken.is_some() {
            return Err(Failure::Store(StoreError::Duplicate {
                what: format!("an account with email {}", account.email.trim()),
            }));
        }
        sqlx::query(
            "INSERT INTO accounts (id, email, email_key, display_name, password_hash, created_at) VALUES (?, ?, ?, ?, ?, ?)",
        )
        .bind(&account.id)
        .bind(&account.email)
        .bind(&key)
        .bind(&account.display_name)
        .bind(&account.password_hash)
        .bind(account.created_at)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn try_create_token(
        pool: &SqlitePool,
        token_hash: &str,
        account: &str,
        kind: TokenKind,
        expires_at: DateTime<Utc>,
    ) -> Result<(), Failure> {
        let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
        let known = sqlx::query("SELECT 1 FROM accounts WHERE id = ?").bind(account).fetch_optional(&mut *tx).await?;
        if known.is_none() {
            return Err(Failure::Store(StoreError::NotFound { what: format!("account {account}") }));
        }
        let taken =
            sqlx::query("SELECT 1 FROM tokens WHERE token_hash = ?").bind(token_hash).fetch_optional(&mut *tx).await?;
        if taken.is_some() {
            return Err(Failure::Store(StoreError::Duplicate { what: "a token with this hash".into() }));
        }
        sqlx::query("INSERT INTO tokens (token_hash, account, kind, expires_at, revoked) VALUES (?, ?, ?, ?, 0)")
            .bind(token_hash)
            .bind(account)
            .bind(kind.as_str())
            .bind(expires_at)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn try_revoke_token(pool: &SqlitePool, token_hash: &str) -> Result<(), Failure> {
        let done =
            sqlx::query("UPDATE tokens SET revoked = 1 WHERE token_hash = ?").bind(token_hash).execute(pool).await?;
        if done.rows_affected() == 0 {
            return Err(Failure::Store(StoreError::NotFound { what: "a token with this hash".into() }));
        }
        Ok(())
    }

    async fn account_where(&self, column: &str, value: &str) -> Result<Option<Account>, StoreError> {
        // `column` is one of two literals chosen below, never input.
        let sql = format!("SELECT id, email, display_name, password_hash, created_at FROM accounts WHERE {column} = ?");
        let row =
            sqlx::query(sqlx::AssertSqlSafe(sql)).bind(value).fetch_optional(&self.pool).await.map_err(backend)?;
        row.map(|row| account_from_row(&row)).transpose()
    }
}

/// Why one attempt at a write failed: a final answer, or an SQL error that
/// may be worth retrying.
enum Failure {
    Store(StoreError),
    Sql(sqlx::Error),
}

impl From<sqlx::Error> for Failure {
    fn from(error: sqlx::Error) -> Self {
        // A unique violation means a racing writer got there first; every
        // write checks first under the write lock, so this is a backstop.
        if let sqlx::Error::Database(db) = &error
            && db.is_unique_violation()
        {
            return Failure::Store(StoreError::Duplicate { what: db.message().to_string() });
        }
        Failure::Sql(error)
    }
}

impl From<StoreError> for Failure {
    fn from(error: StoreError) -> Self {
        Failure::Store(error)
    }
}

fn is_busy(error: &sqlx::Error) -> bool {
    const SQLITE_BUSY: i32 = 5;
    const SQLITE_LOCKED: i32 = 6;
    match error {
        sqlx::Error::Database(db) => db
            .code()
            .and_then(|code| code.parse::<i32>().ok())
            // Extended codes (SQLITE_BUSY_SNAPSHOT = 517, …) carry the primary code in the low byte.
            .is_some_and(|code| matches!(code & 0xff, SQLITE_BUSY | SQLITE_LOCKED)),
        _ => false,
    }
}

fn backend(error: sqlx::Error) -> StoreError {
    StoreError::Backend(error.to_string())
}

fn to_i64(value: u64) -> Result<i64, StoreError> {
    i64::try_from(value)
        .map_err(|_| StoreError::Invalid { reason: format!("{value} is beyond the largest log position") })
}

/// Positions and sizes beyond `i64::MAX` cannot exist in the table; clamping
/// them keeps range queries meaningful ("to the end").
fn clamp_i64(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

fn leaves_from_rows(negotiation: &str, rows: &[sqlx::sqlite::SqliteRow]) -> Result<Vec<Hash>, StoreError> {
    rows.iter()
        .enumerate()
        .map(|(index, row)| {
            let position: i64 = row.try_get("position").map_err(backend)?;
            if position != index as i64 {
                return Err(StoreError::Backend(format!(
                    "the log of negotiation {negotiation} has position {position} where {index} was due"
                )));
            }
            let bytes: Vec<u8> = row.try_get("leaf_hash").map_err(backend)?;
            Hash::try_from(bytes.as_slice()).map_err(|_| {
                StoreError::Backend(format!("event {index} of negotiation {negotiation} has a malformed leaf hash"))
            })
        })
        .collect()
}

fn account_from_row(row: &sqlx::sqlite::SqliteRow) -> Result<Account, StoreError> {
    Ok(Account {
        id: row.try_get("id").map_err(backend)?,
        email: row.try_get("email").map_err(backend)?,
        display_name: row.try_get("display_name").map_err(backend)?,
        password_hash: row.try_get("password_hash").map_err(backend)?,
        created_at: row.try_get("created_at").map_err(backend)?,
    })
}

#[async_trait]
impl crate::Store for SqliteStore {
    async fn append_all(
        &self,
        negotiation: &str,
        expected_position: u64,
        events: &[Event],
    ) -> Result<Appended, StoreError> {
        let batch = encode_batch(expected_position, events)?;
        let pool = &self.pool;
        let batch = batch.as_slice();
        let outcome = Self::write(move || Self::try_append(pool, negotiation, batch)).await;
        match outcome {
            // The backstop fired: someone committed this position first.
            Err(StoreError::Duplicate { .. }) => Err(StoreError::Conflict {
                negotiation: negotiation.to_string(),
                expected: expected_position,
                actual: self.log_size_inner(negotiation).await?,
            }),
            Ok(appended) => {
                // No receiver is not an error: nobody is watching.
                let _ = self.announcer.send(LogGrew { negotiation: negotiation.to_string(), size: appended.size });
                Ok(appended)
            }
            other => other,
        }
    }

    fn subscribe(&self) -> tokio::sync::broadcast::Receiver<LogGrew> {
        self.announcer.subscribe()
    }

    async fn events(&self, negotiation: &str, from: u64, to: Option<u64>) -> Result<Vec<StoredEvent>, StoreError> {
        let to = to.map_or(i64::MAX, clamp_i64);
        let rows = sqlx::query(
            "SELECT position, bytes, leaf_hash FROM events \
             WHERE negotiation = ? AND position >= ? AND position < ? ORDER BY position",
        )
        .bind(negotiation)
        .bind(clamp_i64(from))
        .bind(to)
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        rows.into_iter()
            .map(|row| {
                let position: i64 = row.try_get("position").map_err(backend)?;
                let bytes: Vec<u8> = row.try_get("bytes").map_err(backend)?;
                let leaf_hash: Vec<u8> = row.try_get("leaf_hash").map_err(backend)?;
                let position = u64::try_from(position)
                    .map_err(|_| StoreError::Backend(format!("negative position {position} in {negotiation}")))?;
                decode_event(negotiation, position, bytes, &leaf_hash)
            })
            .collect()
    }

    async fn log_size(&self, negotiation: &str) -> Result<u64, StoreError> {
        self.log_size_inner(negotiation).await
    }

    async fn leaf_hashes(&self, negotiation: &str, size: u64) -> Result<Vec<Hash>, StoreError> {
        let rows = sqlx::query(
            "SELECT position, leaf_hash FROM events WHERE negotiation = ? AND position < ? ORDER BY position",
        )
        .bind(negotiation)
        .bind(clamp_i64(size))
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        let leaves = leaves_from_rows(negotiation, &rows)?;
        if (leaves.len() as u64) < size {
            return Err(StoreError::NotFound {
                what: format!(
                    "size {size} of the log of negotiation {negotiation}, which holds {} events",
                    leaves.len()
                ),
            });
        }
        Ok(leaves)
    }

    async fn negotiations(&self) -> Result<Vec<String>, StoreError> {
        let rows = sqlx::query("SELECT id FROM negotiations ORDER BY created_at, id")
            .fetch_all(&self.pool)
            .await
            .map_err(backend)?;
        rows.iter().map(|row| row.try_get("id").map_err(backend)).collect()
    }

    async fn create_account(&self, account: &Account) -> Result<(), StoreError> {
        let pool = &self.pool;
        Self::write(move || Self::try_create_account(pool, account)).await
    }

    async fn account_by_email(&self, email: &str) -> Result<Option<Account>, StoreError> {
        self.account_where("email_key", &email_key(email)).await
    }

    async fn account_by_id(&self, id: &str) -> Result<Option<Account>, StoreError> {
        self.account_where("id", id).await
    }

    async fn create_token(
        &self,
        token_hash: &str,
        account: &str,
        kind: TokenKind,
        expires_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let pool = &self.pool;
        Self::write(move || Self::try_create_token(pool, token_hash, account, kind, expires_at)).await
    }

    async fn account_for_token(
        &self,
        token_hash: &str,
        kind: TokenKind,
        now: DateTime<Utc>,
    ) -> Result<Option<Account>, StoreError> {
        let row = sqlx::query(
            "SELECT t.kind, t.expires_at, t.revoked, a.id, a.email, a.display_name, a.password_hash, a.created_at \
             FROM tokens t JOIN accounts a ON a.id = t.account WHERE t.token_hash = ?",
        )
        .bind(token_hash)
        .fetch_optional(&self.pool)
        .await
        .map_err(backend)?;
        let Some(row) = row else { return Ok(None) };
        let stored_kind: String = row.try_get("kind").map_err(backend)?;
        let expires_at: DateTime<Utc> = row.try_get("expires_at").map_err(backend)?;
        let revoked: bool = row.try_get("revoked").map_err(backend)?;
        // Compared here rather than in SQL: the rule is the same for every
        // backend and does not depend on how each one orders timestamps.
        let live = TokenKind::parse(&stored_kind) == Some(kind) && !revoked && now < expires_at;
        if !live {
            return Ok(None);
        }
        account_from_row(&row).map(Some)
    }

    async fn revoke_token(&self, token_hash: &str) -> Result<(), StoreError> {
        let pool = &self.pool;
        Self::write(move || Self::try_revoke_token(pool, token_hash)).await
    }

    async fn accounts(&self) -> Result<Vec<Account>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, email, display_name, password_hash, created_at FROM accounts ORDER BY created_at, id",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        rows.iter().map(account_from_row).collect()
    }

    async fn import(&self) -> Result<Box<dyn crate::backup::Import>, StoreError> {
        crate::import::SqliteImport::begin(&self.pool).await
    }
}

impl SqliteStore {
    async fn log_size_inner(&self, negotiation: &str) -> Result<u64, StoreError> {
        let size: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(position) + 1, 0) FROM events WHERE negotiation = ?")
            .bind(negotiation)
            .fetch_one(&self.pool)
            .await
            .map_err(backend)?;
        u64::try_from(size).map_err(|_| StoreError::Backend(format!("negative log size {size} for {negotiation}")))
    }
}
