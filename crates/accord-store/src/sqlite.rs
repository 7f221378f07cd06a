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
use sqlx::Sqlite;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};

use crate::batch::Batch;
use crate::sql::outbox_found;
use crate::sql::{self, AccountKey, backend};
use crate::{Account, Appended, Hash, LogGrew, OutboxMessage, StoreError, StoredEvent, TokenKind};

mod import;

/// The shared queries, for SQLite.
type Sql = sql::Sql<Sqlite>;

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

    /// One attempt at an append: the write lock first, then the log's end
    /// is checked and the batch written.
    async fn try_append(
        pool: &SqlitePool,
        negotiation: &str,
        batch: &Batch,
        outbox: &[String],
    ) -> Result<Appended, Failure> {
        let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
        let log = Sql::leaves(negotiation).fetch_all(&mut *tx).await?;
        // On `Conflict`, dropping `tx` rolls back; nothing was written.
        let appended = batch.appended_to(negotiation, log)?;
        for insert in Sql::insert_batch(negotiation, batch) {
            insert.execute(&mut *tx).await?;
        }
        for body in outbox {
            Sql::insert_outbox(negotiation, body).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(appended)
    }

    async fn try_create_account(pool: &SqlitePool, account: &Account) -> Result<(), Failure> {
        let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
        if Sql::account_exists(&account.id).fetch_optional(&mut *tx).await?.is_some() {
            return Err(Failure::Store(StoreError::Duplicate { what: format!("account {}", account.id) }));
        }
        let key = crate::email_key(&account.email);
        if Sql::email_key_taken(&key).fetch_optional(&mut *tx).await?.is_some() {
            return Err(Failure::Store(StoreError::Duplicate {
                what: format!("an account with email {}", account.email.trim()),
            }));
        }
        Sql::insert_account(account).execute(&mut *tx).await?;
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
        if Sql::account_exists(account).fetch_optional(&mut *tx).await?.is_none() {
            return Err(Failure::Store(StoreError::NotFound { what: format!("account {account}") }));
        }
        if Sql::token_exists(token_hash).fetch_optional(&mut *tx).await?.is_some() {
            return Err(Failure::Store(StoreError::Duplicate { what: "a token with this hash".into() }));
        }
        Sql::insert_token(token_hash, account, kind, expires_at).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn try_revoke_token(pool: &SqlitePool, token_hash: &str) -> Result<(), Failure> {
        let done = Sql::revoke_token(token_hash).execute(pool).await?;
        if done.rows_affected() == 0 {
            return Err(Failure::Store(StoreError::NotFound { what: "a token with this hash".into() }));
        }
        Ok(())
    }

    async fn account(&self, key: AccountKey<'_>) -> Result<Option<Account>, StoreError> {
        Sql::account(&key).fetch_optional(&self.pool).await.map_err(backend)
    }

    async fn log_size_inner(&self, negotiation: &str) -> Result<u64, StoreError> {
        let (size,) = Sql::log_size(negotiation).fetch_one(&self.pool).await.map_err(backend)?;
        sql::log_size(negotiation, size)
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

#[async_trait]
impl crate::Store for SqliteStore {
    async fn append_all_with_outbox(
        &self,
        negotiation: &str,
        expected_position: u64,
        events: &[Event],
        outbox: &[String],
    ) -> Result<Appended, StoreError> {
        let batch = Batch::encode(expected_position, events)?;
        let pool = &self.pool;
        let batch = &batch;
        match Self::write(move || Self::try_append(pool, negotiation, batch, outbox)).await {
            // The backstop fired: someone committed this position first.
            Err(StoreError::Duplicate { .. }) => {
                Err(batch.conflict(negotiation, self.log_size_inner(negotiation).await?))
            }
            Ok(appended) => {
                // No receiver is not an error: nobody is watching.
                let _ = self.announcer.send(LogGrew { negotiation: negotiation.to_string(), size: appended.size });
                Ok(appended)
            }
            Err(other) => Err(other),
        }
    }

    fn subscribe(&self) -> tokio::sync::broadcast::Receiver<LogGrew> {
        self.announcer.subscribe()
    }

    async fn claim_outbox(
        &self,
        now_ms: i64,
        lease_until_ms: i64,
        limit: usize,
    ) -> Result<Vec<OutboxMessage>, StoreError> {
        let due = sql::outbox_messages(Sql::outbox_due(now_ms, limit).fetch_all(&self.pool).await.map_err(backend)?);
        let mut claimed = Vec::with_capacity(due.len());
        for mut message in due {
            let pool = &self.pool;
            let (id, seen) = (message.id, message.next_attempt_ms);
            let done = Self::write(move || async move {
                Ok::<_, Failure>(Sql::claim_outbox(id, seen, lease_until_ms).execute(pool).await?.rows_affected())
            })
            .await?;
            if done == 1 {
                message.next_attempt_ms = lease_until_ms;
                claimed.push(message);
            }
        }
        Ok(claimed)
    }

    async fn outbox_delivered(&self, id: i64) -> Result<(), StoreError> {
        let pool = &self.pool;
        let done = Self::write(move || async move {
            Ok::<_, Failure>(Sql::outbox_delivered(id).execute(pool).await?.rows_affected())
        })
        .await?;
        outbox_found(id, done)
    }

    async fn outbox_failed(&self, id: i64, error: &str, retry_at_ms: Option<i64>) -> Result<(), StoreError> {
        let pool = &self.pool;
        let done = Self::write(move || async move {
            Ok::<_, Failure>(Sql::outbox_failed(id, error, retry_at_ms).execute(pool).await?.rows_affected())
        })
        .await?;
        outbox_found(id, done)
    }

    async fn outbox(&self) -> Result<Vec<OutboxMessage>, StoreError> {
        Ok(sql::outbox_messages(Sql::outbox_all().fetch_all(&self.pool).await.map_err(backend)?))
    }

    async fn log_sizes(&self) -> Result<Vec<(String, u64)>, StoreError> {
        sql::log_sizes(Sql::log_sizes().fetch_all(&self.pool).await.map_err(backend)?)
    }

    async fn events(&self, negotiation: &str, from: u64, to: Option<u64>) -> Result<Vec<StoredEvent>, StoreError> {
        let rows = Sql::events(negotiation, from, to).fetch_all(&self.pool).await.map_err(backend)?;
        sql::events(negotiation, rows)
    }

    async fn log_size(&self, negotiation: &str) -> Result<u64, StoreError> {
        self.log_size_inner(negotiation).await
    }

    async fn leaf_hashes(&self, negotiation: &str, size: u64) -> Result<Vec<Hash>, StoreError> {
        let rows = Sql::leaves_below(negotiation, size).fetch_all(&self.pool).await.map_err(backend)?;
        sql::leaves_up_to(negotiation, size, rows)
    }

    async fn negotiations(&self) -> Result<Vec<String>, StoreError> {
        let rows = Sql::negotiations().fetch_all(&self.pool).await.map_err(backend)?;
        Ok(rows.into_iter().map(|(id,)| id).collect())
    }

    async fn create_account(&self, account: &Account) -> Result<(), StoreError> {
        let pool = &self.pool;
        Self::write(move || Self::try_create_account(pool, account)).await
    }

    async fn account_by_email(&self, email: &str) -> Result<Option<Account>, StoreError> {
        self.account(AccountKey::email(email)).await
    }

    async fn account_by_id(&self, id: &str) -> Result<Option<Account>, StoreError> {
        self.account(AccountKey::Id(id)).await
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
        let row = Sql::token_with_account(token_hash).fetch_optional(&self.pool).await.map_err(backend)?;
        Ok(sql::live_token_account(row, kind, now))
    }

    async fn revoke_token(&self, token_hash: &str) -> Result<(), StoreError> {
        let pool = &self.pool;
        Self::write(move || Self::try_revoke_token(pool, token_hash)).await
    }

    async fn accounts(&self) -> Result<Vec<Account>, StoreError> {
        Sql::accounts().fetch_all(&self.pool).await.map_err(backend)
    }

    async fn import(&self) -> Result<Box<dyn crate::backup::Import>, StoreError> {
        import::SqliteImport::begin(&self.pool).await
    }
}
