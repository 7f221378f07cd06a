//! [`Import`] for both backends: a restore as one transaction on a store
//! that is empty when it begins.
//!
//! SQLite takes its one write lock (`BEGIN IMMEDIATE`) for the whole restore;
//! PostgreSQL locks the four tables against writers (`EXCLUSIVE` mode still
//! lets others read). Either way the emptiness check and every insert belong
//! to the same transaction, so no other writer can slip in between, and a
//! restore that fails or is abandoned leaves the store as empty as it was.

use std::collections::HashMap;

use async_trait::async_trait;
use sqlx::{Postgres, Sqlite, Transaction};

use crate::backup::{Import, not_empty};
use crate::{Account, Hash, StoreError, decode_event, email_key};

/// What both backends check before an event goes in: the bytes are the
/// event at its next position, unaltered. Returns the event's `at` and its
/// actor as JSON, the two columns derived from the bytes.
struct Positions {
    next: HashMap<String, u64>,
}

impl Positions {
    fn new() -> Self {
        Positions { next: HashMap::new() }
    }

    fn check(
        &mut self,
        negotiation: &str,
        position: u64,
        bytes: &[u8],
        leaf_hash: Hash,
    ) -> Result<(chrono::DateTime<chrono::Utc>, String, i64), StoreError> {
        let due = self.next.get(negotiation).copied().unwrap_or(0);
        if position != due {
            return Err(StoreError::Invalid {
                reason: format!(
                    "event {position} of negotiation {negotiation} cannot be imported: position {due} is next"
                ),
            });
        }
        // decode_event reports a mismatch as a backend fault (it reads rows);
        // here it is bad input.
        let stored = decode_event(negotiation, position, bytes.to_vec(), &leaf_hash).map_err(|e| match e {
            StoreError::Backend(reason) => StoreError::Invalid { reason },
            other => other,
        })?;
        let actor = serde_json::to_string(&stored.event.actor)
            .map_err(|e| StoreError::Invalid { reason: format!("the actor cannot be encoded: {e}") })?;
        let position_i64 = i64::try_from(position)
            .map_err(|_| StoreError::Invalid { reason: format!("{position} is beyond the largest log position") })?;
        self.next.insert(negotiation.to_string(), due + 1);
        Ok((stored.event.at, actor, position_i64))
    }
}

fn backend(error: sqlx::Error) -> StoreError {
    match &error {
        sqlx::Error::Database(db) if db.is_unique_violation() => {
            StoreError::Duplicate { what: db.message().to_string() }
        }
        _ => StoreError::Backend(error.to_string()),
    }
}

pub(crate) struct SqliteImport {
    tx: Transaction<'static, Sqlite>,
    positions: Positions,
}

impl SqliteImport {
    pub(crate) async fn begin(pool: &sqlx::SqlitePool) -> Result<Box<dyn Import>, StoreError> {
        let mut tx = pool.begin_with("BEGIN IMMEDIATE").await.map_err(backend)?;
        let negotiations: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM negotiations").fetch_one(&mut *tx).await.map_err(backend)?;
        let accounts: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM accounts").fetch_one(&mut *tx).await.map_err(backend)?;
        if negotiations > 0 || accounts > 0 {
            return Err(not_empty(negotiations.unsigned_abs(), accounts.unsigned_abs()));
        }
        Ok(Box::new(SqliteImport { tx, positions: Positions::new() }))
    }
}

#[async_trait]
impl Import for SqliteImport {
    async fn account(&mut self, account: &Account) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO accounts (id, email, email_key, display_name, password_hash, created_at) VALUES (?, ?, ?, ?, ?, ?)",
        )
        .bind(&account.id)
        .bind(&account.email)
        .bind(email_key(&account.email))
        .bind(&account.display_name)
        .bind(&account.password_hash)
        .bind(account.created_at)
        .execute(&mut *self.tx)
        .await
        .map_err(backend)?;
        Ok(())
    }

    async fn event(
        &mut self,
        negotiation: &str,
        position: u64,
        bytes: &[u8],
        leaf_hash: Hash,
    ) -> Result<(), StoreError> {
        let (at, actor, position_i64) = self.positions.check(negotiation, position, bytes, leaf_hash)?;
        if position == 0 {
            sqlx::query("INSERT INTO negotiations (id, created_at) VALUES (?, ?)")
                .bind(negotiation)
                .bind(at)
                .execute(&mut *self.tx)
                .await
                .map_err(backend)?;
        }
        sqlx::query(
            "INSERT INTO events (negotiation, position, at, actor, bytes, leaf_hash) VALUES (?, ?, ?, ?, ?, ?)",
        )
        .bind(negotiation)
        .bind(position_i64)
        .bind(at)
        .bind(actor)
        .bind(bytes)
        .bind(leaf_hash.as_slice())
        .execute(&mut *self.tx)
        .await
        .map_err(backend)?;
        Ok(())
    }

    async fn commit(self: Box<Self>) -> Result<(), StoreError> {
        self.tx.commit().await.map_err(backend)
    }
}

pub(crate) struct PostgresImport {
    tx: Transaction<'static, Postgres>,
    positions: Positions,
}

impl PostgresImport {
    pub(crate) async fn begin(pool: &sqlx::PgPool) -> Result<Box<dyn Import>, StoreError> {
        let mut tx = pool.begin().await.map_err(backend)?;
        // Blocks every writer (appends, sign-ups, tokens) until the commit;
        // readers go on seeing the empty store.
        sqlx::query("LOCK TABLE negotiations, events, accounts, tokens IN EXCLUSIVE MODE")
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        let negotiations: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM negotiations").fetch_one(&mut *tx).await.map_err(backend)?;
        let accounts: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM accounts").fetch_one(&mut *tx).await.map_err(backend)?;
        if negotiations > 0 || accounts > 0 {
            return Err(not_empty(negotiations.unsigned_abs(), accounts.unsigned_abs()));
        }
        Ok(Box::new(PostgresImport { tx, positions: Positions::new() }))
    }
}

#[async_trait]
impl Import for PostgresImport {
    async fn account(&mut self, account: &Account) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO accounts (id, email, email_key, display_name, password_hash, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&account.id)
        .bind(&account.email)
        .bind(email_key(&account.email))
        .bind(&account.display_name)
        .bind(&account.password_hash)
        .bind(account.created_at)
        .execute(&mut *self.tx)
        .await
        .map_err(backend)?;
        Ok(())
    }

    async fn event(
        &mut self,
        negotiation: &str,
        position: u64,
        bytes: &[u8],
        leaf_hash: Hash,
    ) -> Result<(), StoreError> {
        let (at, actor, position_i64) = self.positions.check(negotiation, position, bytes, leaf_hash)?;
        if position == 0 {
            sqlx::query("INSERT INTO negotiations (id, created_at) VALUES ($1, $2)")
                .bind(negotiation)
                .bind(at)
                .execute(&mut *self.tx)
                .await
                .map_err(backend)?;
        }
        sqlx::query(
            "INSERT INTO events (negotiation, position, at, actor, bytes, leaf_hash) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(negotiation)
        .bind(position_i64)
        .bind(at)
        .bind(actor)
        .bind(bytes)
        .bind(leaf_hash.as_slice())
        .execute(&mut *self.tx)
        .await
        .map_err(backend)?;
        Ok(())
    }

    async fn commit(self: Box<Self>) -> Result<(), StoreError> {
        self.tx.commit().await.map_err(backend)
    }
}
