//! The PostgreSQL backend: one database shared by any number of Accord
//! servers.
//!
//! Durability: every connection runs with `synchronous_commit = on` (the
//! PostgreSQL default, forced per connection so a server-wide or URL setting
//! cannot weaken it). A commit then returns only after its WAL record has been
//! flushed to disk, so an append that returned `Ok` survives a crash of the
//! database server and a power loss, provided the server runs with
//! `fsync = on` (also the default; `scripts/with-postgres` keeps it on).
//! `off` would acknowledge commits that a crash can still drop.
//!
//! Concurrency: an append first takes a transaction-scoped advisory lock on
//! the negotiation id (`pg_advisory_xact_lock`), then reads the log size. All
//! appends to one negotiation, from every connection of every server, thus
//! run one after the other, and the second of two racing appends sees the
//! first's event and gets `Conflict`. Appends to different negotiations do
//! not wait for each other (unless their ids' hashes collide, which only costs
//! a short wait). The `(negotiation, position)` primary key stays the
//! backstop: should two writers ever both pass the size check, the second
//! insert fails with a unique violation, reported as `Conflict`.
//!
//! Announcements: an append also runs `pg_notify` on [`CHANNEL`] inside its
//! transaction, so the notification goes out exactly when the event is
//! committed (never for a rolled-back append). Every store keeps one
//! `LISTEN` connection and forwards what it hears to its subscribers, so
//! clients of one server hear of appends made through another. While that
//! connection is being re-made notifications can be missed; subscribers
//! re-read log sizes now and then (see [`crate::Store::subscribe`]).
//!
//! Timestamps are `TIMESTAMPTZ`, which keeps microseconds: an account's
//! `created_at` or a token's `expires_at` given in nanoseconds comes back
//! truncated to the microsecond (a token may die up to 1 µs early). An event's
//! `at` is exact, since events are read back from their stored bytes.

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use accord_core::event::Event;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::Postgres;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use tokio::sync::broadcast;

use crate::batch::Batch;
use crate::sql::{self, AccountKey, backend};
use crate::{Account, Appended, Hash, LogGrew, OutboxMessage, StoreError, StoredEvent, TokenKind};

mod import;

/// The shared queries, for PostgreSQL.
type Sql = sql::Sql<Postgres>;

/// The `NOTIFY` channel of appends; the payload is `SIZE NEGOTIATION`.
pub const CHANNEL: &str = "accord_log_grew";

const MAX_CONNECTIONS: u32 = 10;
/// How long a request waits for a free connection before failing.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(30);
/// The first key of the appends' advisory locks (the second is the hash of
/// the negotiation id), so they cannot meet locks taken for other purposes:
/// two-key advisory locks live apart from the one-key locks of the migrator.
const APPEND_LOCK_CLASS: i32 = 0x4163_6364; // "Accd"

/// The store in one PostgreSQL database. Cheap to clone (a pool handle).
#[derive(Debug, Clone)]
pub struct PostgresStore {
    pool: PgPool,
    announcer: broadcast::Sender<LogGrew>,
    /// Stops the `LISTEN` task when the last clone of the store is dropped.
    _listener: Arc<ListenerTask>,
}

#[derive(Debug)]
struct ListenerTask(tokio::task::AbortHandle);

impl Drop for ListenerTask {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Forwards every append announced on [`CHANNEL`] by any server to this
/// store's subscribers. `PgListener` re-connects by itself after a lost
/// connection; after a failure it reports, a fresh listener is made.
async fn listen(pool: PgPool, announcer: broadcast::Sender<LogGrew>, mut listener: sqlx::postgres::PgListener) {
    loop {
        match listener.recv().await {
            Ok(notification) => {
                if let Some(grew) = parse_announcement(notification.payload()) {
                    let _ = announcer.send(grew);
                }
            }
            Err(_) if pool.is_closed() => return,
            Err(_) => {
                tokio::time::sleep(Duration::from_secs(1)).await;
                // Make a fresh listener; keep the old one until that succeeds.
                if let Ok(fresh) = start_listening(&pool).await {
                    listener = fresh;
                }
            }
        }
    }
}

/// A connection that has run `LISTEN` on [`CHANNEL`].
async fn start_listening(pool: &PgPool) -> Result<sqlx::postgres::PgListener, sqlx::Error> {
    let mut listener = sqlx::postgres::PgListener::connect_with(pool).await?;
    listener.listen(CHANNEL).await?;
    Ok(listener)
}

fn parse_announcement(payload: &str) -> Option<LogGrew> {
    let (size, negotiation) = payload.split_once(' ')?;
    Some(LogGrew { negotiation: negotiation.to_string(), size: size.parse().ok()? })
}

impl PostgresStore {
    /// Connects to a `postgres://` or `postgresql://` URL (any libpq-style
    /// parameters sqlx accepts) and brings the schema up to date. Several
    /// servers may open the same database at once: the migrator holds an
    /// advisory lock while it works.
    pub async fn open(url: &str) -> Result<Self, StoreError> {
        let options = PgConnectOptions::from_str(url)
            .map_err(|e| StoreError::Invalid { reason: format!("bad database URL {}: {e}", crate::redact(url)) })?;
        Self::open_with(options).await
    }

    /// Connects with explicit options; `synchronous_commit` is forced on.
    pub async fn open_with(options: PgConnectOptions) -> Result<Self, StoreError> {
        // Appended after any options from the URL; the last `-c` wins.
        let options = options.options([("synchronous_commit", "on")]);
        let pool = PgPoolOptions::new()
            .max_connections(MAX_CONNECTIONS)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect_with(options)
            .await
            .map_err(|e| StoreError::Backend(format!("cannot open the database: {e}")))?;
        sqlx::migrate!("./migrations/postgres")
            .run(&pool)
            .await
            .map_err(|e| StoreError::Backend(format!("cannot migrate the database: {e}")))?;
        let (announcer, _) = broadcast::channel(crate::ANNOUNCEMENT_BUFFER);
        // Listening before `open` returns: no append after it goes unheard.
        let listener = start_listening(&pool)
            .await
            .map_err(|e| StoreError::Backend(format!("cannot LISTEN for other servers' appends: {e}")))?;
        let task = tokio::spawn(listen(pool.clone(), announcer.clone(), listener));
        Ok(PostgresStore { pool, announcer, _listener: Arc::new(ListenerTask(task.abort_handle())) })
    }

    /// The connection pool, for diagnostics and tests.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Closes every connection. Later calls fail.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// An append: the negotiation's advisory lock first, then the log's
    /// end is checked and the batch written and announced.
    async fn try_append(&self, negotiation: &str, batch: &Batch, outbox: &[String]) -> Result<Appended, AppendFailure> {
        let mut tx = self.pool.begin().await.map_err(backend)?;
        sqlx::query("SELECT pg_advisory_xact_lock($1, hashtext($2))")
            .bind(APPEND_LOCK_CLASS)
            .bind(negotiation)
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        // Read committed: this statement's snapshot is taken after the lock
        // was granted, so it sees every append committed before.
        let log = Sql::leaves(negotiation).fetch_all(&mut *tx).await.map_err(backend)?;
        // On `Conflict`, dropping `tx` rolls back; nothing was written.
        let appended = batch.appended_to(negotiation, log)?;
        for insert in Sql::insert_batch(negotiation, batch) {
            insert.execute(&mut *tx).await?;
        }
        for body in outbox {
            Sql::insert_outbox(negotiation, body).execute(&mut *tx).await?;
        }
        // Delivered to listeners at commit, and only if the commit succeeds.
        sqlx::query("SELECT pg_notify($1, $2)")
            .bind(CHANNEL)
            .bind(format!("{} {negotiation}", appended.size))
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        // This server's subscribers hear it at once; the notification's echo
        // repeats it, which subscribers tolerate.
        let _ = self.announcer.send(LogGrew { negotiation: negotiation.to_string(), size: appended.size });
        Ok(appended)
    }

    async fn account(&self, key: AccountKey<'_>) -> Result<Option<Account>, StoreError> {
        Sql::account(&key).fetch_optional(&self.pool).await.map_err(backend)
    }

    async fn log_size_inner(&self, negotiation: &str) -> Result<u64, StoreError> {
        let (size,) = Sql::log_size(negotiation).fetch_one(&self.pool).await.map_err(backend)?;
        sql::log_size(negotiation, size)
    }
}

/// Why one append attempt failed.
enum AppendFailure {
    /// A unique violation: another writer committed this position (or created
    /// this negotiation) first. `append` reports it as `Conflict` with the size.
    LostRace,
    Store(StoreError),
}

impl From<StoreError> for AppendFailure {
    fn from(error: StoreError) -> Self {
        AppendFailure::Store(error)
    }
}

impl From<sqlx::Error> for AppendFailure {
    fn from(error: sqlx::Error) -> Self {
        match &error {
            sqlx::Error::Database(db) if db.is_unique_violation() => AppendFailure::LostRace,
            _ => AppendFailure::Store(backend(error)),
        }
    }
}

#[async_trait]
impl crate::Store for PostgresStore {
    async fn append_all_with_outbox(
        &self,
        negotiation: &str,
        expected_position: u64,
        events: &[Event],
        outbox: &[String],
    ) -> Result<Appended, StoreError> {
        let batch = Batch::encode(expected_position, events)?;
        match self.try_append(negotiation, &batch, outbox).await {
            Ok(appended) => Ok(appended),
            Err(AppendFailure::Store(error)) => Err(error),
            Err(AppendFailure::LostRace) => Err(batch.conflict(negotiation, self.log_size_inner(negotiation).await?)),
        }
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

    fn subscribe(&self) -> broadcast::Receiver<LogGrew> {
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
            // Of two servers claiming the same message, the second's update
            // finds `next_attempt_ms` moved and touches nothing.
            let done = Sql::claim_outbox(message.id, message.next_attempt_ms, lease_until_ms)
                .execute(&self.pool)
                .await
                .map_err(backend)?;
            if done.rows_affected() == 1 {
                message.next_attempt_ms = lease_until_ms;
                claimed.push(message);
            }
        }
        Ok(claimed)
    }

    async fn outbox_delivered(&self, id: i64) -> Result<(), StoreError> {
        let done = Sql::outbox_delivered(id).execute(&self.pool).await.map_err(backend)?;
        sql::outbox_found(id, done.rows_affected())
    }

    async fn outbox_failed(&self, id: i64, error: &str, retry_at_ms: Option<i64>) -> Result<(), StoreError> {
        let done = Sql::outbox_failed(id, error, retry_at_ms).execute(&self.pool).await.map_err(backend)?;
        sql::outbox_found(id, done.rows_affected())
    }

    async fn outbox(&self) -> Result<Vec<OutboxMessage>, StoreError> {
        Ok(sql::outbox_messages(Sql::outbox_all().fetch_all(&self.pool).await.map_err(backend)?))
    }

    async fn log_sizes(&self) -> Result<Vec<(String, u64)>, StoreError> {
        sql::log_sizes(Sql::log_sizes().fetch_all(&self.pool).await.map_err(backend)?)
    }

    async fn negotiations(&self) -> Result<Vec<String>, StoreError> {
        let rows = Sql::negotiations().fetch_all(&self.pool).await.map_err(backend)?;
        Ok(rows.into_iter().map(|(id,)| id).collect())
    }

    async fn create_account(&self, account: &Account) -> Result<(), StoreError> {
        // One statement: the id and email constraints decide, so two servers
        // creating the same account at once cannot both succeed.
        let done = Sql::insert_account(account).execute(&self.pool).await;
        match done {
            Ok(_) => Ok(()),
            Err(sqlx::Error::Database(db)) if db.is_unique_violation() => {
                let what = if db.constraint() == Some("accounts_email_key_unique") {
                    format!("an account with email {}", account.email.trim())
                } else {
                    format!("account {}", account.id)
                };
                Err(StoreError::Duplicate { what })
            }
            Err(other) => Err(backend(other)),
        }
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
        // The account is checked first so an unknown account is `NotFound`
        // even for a hash already stored, as in every backend; accounts are
        // never deleted, so the answer cannot change before the insert.
        let known = Sql::account_exists(account).fetch_optional(&self.pool).await.map_err(backend)?;
        if known.is_none() {
            return Err(StoreError::NotFound { what: format!("account {account}") });
        }
        let done = Sql::insert_token(token_hash, account, kind, expires_at).execute(&self.pool).await;
        match done {
            Ok(_) => Ok(()),
            Err(sqlx::Error::Database(db)) if db.is_unique_violation() => {
                Err(StoreError::Duplicate { what: "a token with this hash".into() })
            }
            Err(sqlx::Error::Database(db)) if db.is_foreign_key_violation() => {
                Err(StoreError::NotFound { what: format!("account {account}") })
            }
            Err(other) => Err(backend(other)),
        }
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
        let done = Sql::revoke_token(token_hash).execute(&self.pool).await.map_err(backend)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound { what: "a token with this hash".into() });
        }
        Ok(())
    }

    async fn accounts(&self) -> Result<Vec<Account>, StoreError> {
        Sql::accounts().fetch_all(&self.pool).await.map_err(backend)
    }

    async fn import(&self) -> Result<Box<dyn crate::backup::Import>, StoreError> {
        import::PostgresImport::begin(&self.pool).await
    }
}
