//! The conformance suite on PostgreSQL, each property in a database of its
//! own, plus what only a shared server can show: two stores (two Accord
//! servers) on one database never fork a log, the unique key catches a writer
//! that skipped the lock, migrations run once however many servers start at
//! once, and every connection commits synchronously.
//!
//! Needs `DATABASE_URL` (a postgres:// URL of a user who may create
//! databases); without it every test prints a skip line and passes. Run it
//! through `scripts/with-postgres cargo test -p accord-store --test postgres`.

#![allow(clippy::unwrap_used)]

use std::sync::atomic::{AtomicUsize, Ordering};

use accord_core::event::Event;
use accord_store::testing::{ScratchDatabase, postgres_url};
use accord_store::{
    Account, Appended, Hash, OutboxMessage, PostgresStore, Store, StoreError, StoredEvent, TokenKind, conformance,
};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde_json::json;
use sqlx::Connection;

/// A fresh database and a store on it; `None` (after the skip line) without PostgreSQL.
async fn fresh() -> Option<(PostgresStore, ScratchDatabase)> {
    let admin = postgres_url()?;
    let database = ScratchDatabase::create(&admin).await.unwrap();
    let store = PostgresStore::open(database.url()).await.unwrap();
    Some((store, database))
}

macro_rules! conformance_tests {
    ($($name:ident),* $(,)?) => {$(
        #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
        async fn $name() {
            let Some((store, _database)) = fresh().await else { return };
            conformance::$name(store).await;
        }
    )*};
}

conformance_tests!(
    appends,
    events_round_trip,
    rejected_appends_write_nothing,
    reads_at_a_version,
    concurrent_appends_at_one_position,
    no_lost_updates_under_concurrent_writers,
    inclusion_proofs_verify,
    consistency_proofs_verify,
    accounts,
    tokens,
    accounts_are_listed,
    imports_keep_bytes_verbatim,
    imports_need_an_empty_store,
    failed_imports_leave_nothing,
    appends_are_announced,
    batches_are_all_or_nothing,
    the_outbox_is_written_with_its_events_and_drained_once,
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_all_covers_every_property() {
    let Some(admin) = postgres_url() else { return };
    let databases = std::sync::Mutex::new(Vec::new());
    conformance::run_all(|| async {
        let database = ScratchDatabase::create(&admin).await.unwrap();
        let store = PostgresStore::open(database.url()).await.unwrap();
        databases.lock().unwrap().push(database);
        store
    })
    .await;
    assert_eq!(databases.lock().unwrap().len(), 17, "run_all runs each property on its own store");
}

/// Two stores on one database, as two servers would hold: each call goes to
/// the next of them in turn, so concurrent callers race across pools.
struct TwoServers {
    stores: [PostgresStore; 2],
    next: AtomicUsize,
}

impl TwoServers {
    fn pick(&self) -> &PostgresStore {
        &self.stores[self.next.fetch_add(1, Ordering::Relaxed) % 2]
    }
}

#[async_trait]
impl Store for TwoServers {
    async fn append_all_with_outbox(
        &self,
        negotiation: &str,
        expected: u64,
        events: &[Event],
        outbox: &[String],
    ) -> Result<Appended, StoreError> {
        self.pick().append_all_with_outbox(negotiation, expected, events, outbox).await
    }
    async fn claim_outbox(
        &self,
        now_ms: i64,
        lease_until_ms: i64,
        limit: usize,
    ) -> Result<Vec<OutboxMessage>, StoreError> {
        self.pick().claim_outbox(now_ms, lease_until_ms, limit).await
    }
    async fn outbox_delivered(&self, id: i64) -> Result<(), StoreError> {
        self.pick().outbox_delivered(id).await
    }
    async fn outbox_failed(&self, id: i64, error: &str, retry_at_ms: Option<i64>) -> Result<(), StoreError> {
        self.pick().outbox_failed(id, error, retry_at_ms).await
    }
    async fn outbox(&self) -> Result<Vec<OutboxMessage>, StoreError> {
        self.pick().outbox().await
    }
    async fn events(&self, negotiation: &str, from: u64, to: Option<u64>) -> Result<Vec<StoredEvent>, StoreError> {
        self.pick().events(negotiation, from, to).await
    }
    async fn log_size(&self, negotiation: &str) -> Result<u64, StoreError> {
        self.pick().log_size(negotiation).await
    }
    async fn leaf_hashes(&self, negotiation: &str, size: u64) -> Result<Vec<Hash>, StoreError> {
        self.pick().leaf_hashes(negotiation, size).await
    }
    async fn negotiations(&self) -> Result<Vec<String>, StoreError> {
        self.pick().negotiations().await
    }
    async fn create_account(&self, account: &Account) -> Result<(), StoreError> {
        self.pick().create_account(account).await
    }
    async fn account_by_email(&self, email: &str) -> Result<Option<Account>, StoreError> {
        self.pick().account_by_email(email).await
    }
    async fn account_by_id(&self, id: &str) -> Result<Option<Account>, StoreError> {
        self.pick().account_by_id(id).await
    }
    async fn create_token(
        &self,
        token_hash: &str,
        account: &str,
        kind: TokenKind,
        expires_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.pick().create_token(token_hash, account, kind, expires_at).await
    }
    async fn account_for_token(
        &self,
        token_hash: &str,
        kind: TokenKind,
        now: DateTime<Utc>,
    ) -> Result<Option<Account>, StoreError> {
        self.pick().account_for_token(token_hash, kind, now).await
    }
    async fn revoke_token(&self, token_hash: &str) -> Result<(), StoreError> {
        self.pick().revoke_token(token_hash).await
    }
    async fn accounts(&self) -> Result<Vec<Account>, StoreError> {
        self.pick().accounts().await
    }
    async fn import(&self) -> Result<Box<dyn accord_store::backup::Import>, StoreError> {
        self.pick().import().await
    }
    /// Only the first server's subscribers: appends made through the second
    /// reach them by NOTIFY alone.
    fn subscribe(&self) -> tokio::sync::broadcast::Receiver<accord_store::LogGrew> {
        self.stores[0].subscribe()
    }
}

async fn two_servers(database: &ScratchDatabase) -> TwoServers {
    let (a, b) = tokio::join!(PostgresStore::open(database.url()), PostgresStore::open(database.url()));
    TwoServers { stores: [a.unwrap(), b.unwrap()], next: AtomicUsize::new(0) }
}

/// The suite's race properties again, with the racers split over two
/// servers' pools: the lock and the key hold across servers, not just
/// within one pool.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_servers_never_fork_a_log() {
    let Some(admin) = postgres_url() else { return };
    let database = ScratchDatabase::create(&admin).await.unwrap();
    conformance::concurrent_appends_at_one_position(two_servers(&database).await).await;
    let database = ScratchDatabase::create(&admin).await.unwrap();
    conformance::no_lost_updates_under_concurrent_writers(two_servers(&database).await).await;
    let database = ScratchDatabase::create(&admin).await.unwrap();
    conformance::accounts(two_servers(&database).await).await;
}

/// Appends made through either server are announced to the first server's
/// subscribers: half of them only through LISTEN/NOTIFY.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn appends_through_another_server_are_announced() {
    let Some(admin) = postgres_url() else { return };
    let database = ScratchDatabase::create(&admin).await.unwrap();
    conformance::appends_are_announced(two_servers(&database).await).await;
}

fn event(position: u64) -> Event {
    serde_json::from_value(json!({
        "position": position,
        "actor": {"kind": "system"},
        "at": format!("2026-03-01T09:00:{:02}.123456789Z", position % 60),
        "payload": {"type": "timetable_set", "timetable": {"phases": []}},
    }))
    .unwrap()
}

/// A writer that bypasses the advisory lock (a bug, or an old server) and
/// takes the position while an append is under way: the append loses on the
/// primary key and reports `Conflict` with the real size; the log stays whole.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_primary_key_catches_a_writer_that_skipped_the_lock() {
    let Some((store, database)) = fresh().await else { return };
    store.append("n", 0, &event(0)).await.unwrap();

    let intruder = event(1);
    let (bytes, leaf) = accord_store::encode_event(&intruder).unwrap();
    let mut raw = sqlx::PgConnection::connect(database.url()).await.unwrap();
    let mut tx = raw.begin().await.unwrap();
    sqlx::query(
        "INSERT INTO events (negotiation, position, at, actor, bytes, leaf_hash) VALUES ('n', 1, now(), '{}', $1, $2)",
    )
    .bind(&bytes)
    .bind(leaf.as_slice())
    .execute(&mut *tx)
    .await
    .unwrap();
    // The append cannot see the uncommitted row, passes its size check and
    // then waits on the intruder's key; the intruder commits; the append fails.
    let racer = {
        let store = store.clone();
        tokio::spawn(async move {
            let mut mine = event(1);
            mine.at += chrono::Duration::seconds(5);
            store.append("n", 1, &mine).await
        })
    };
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(!racer.is_finished(), "the append should be waiting on the intruder's uncommitted key");
    tx.commit().await.unwrap();
    match racer.await.unwrap() {
        Err(StoreError::Conflict { expected: 1, actual: 2, .. }) => {}
        other => panic!("the append must lose on the key with Conflict {{ expected: 1, actual: 2 }}, got {other:?}"),
    }
    let log = store.events("n", 0, None).await.unwrap();
    assert_eq!(log.iter().map(|e| e.event.position).collect::<Vec<_>>(), vec![0, 1]);
    assert_eq!(log[1].event, intruder);
}

/// Several servers starting at once on an empty database: the migrator's
/// lock lets exactly one create the schema; all of them work; data survives
/// closing every pool and opening again (migrations are then a no-op).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn servers_starting_together_migrate_once_and_data_survives_reopening() {
    let Some(admin) = postgres_url() else { return };
    let database = ScratchDatabase::create(&admin).await.unwrap();
    let url = database.url().to_string();
    let mut opening = tokio::task::JoinSet::new();
    for _ in 0..4 {
        let url = url.clone();
        opening.spawn(async move { PostgresStore::open(&url).await });
    }
    let mut stores = Vec::new();
    while let Some(opened) = opening.join_next().await {
        stores.push(opened.unwrap().unwrap());
    }
    let mut roots = Vec::new();
    for (k, position) in (0..6).enumerate() {
        roots.push(stores[k % stores.len()].append("n1", position, &event(position)).await.unwrap().root);
    }
    let before = stores[3].events("n1", 0, None).await.unwrap();
    for store in &stores {
        store.close().await;
    }
    drop(stores);

    let store = accord_store::open(&url).await.unwrap();
    assert_eq!(store.events("n1", 0, None).await.unwrap(), before);
    assert_eq!(store.root("n1", 6).await.unwrap(), roots[5]);
    assert!(matches!(store.append("n1", 5, &event(5)).await, Err(StoreError::Conflict { actual: 6, .. })));
    let mut raw = sqlx::PgConnection::connect(&url).await.unwrap();
    let (recorded, distinct): (i64, i64) =
        sqlx::query_as("SELECT count(*), count(DISTINCT version) FROM _sqlx_migrations")
            .fetch_one(&mut raw)
            .await
            .unwrap();
    let files = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/postgres"))
        .unwrap()
        .filter(|entry| entry.as_ref().unwrap().path().extension().is_some_and(|e| e == "sql"))
        .count();
    assert_eq!((recorded, distinct), (files as i64, files as i64), "each migration is recorded once");
}

/// `synchronous_commit` is on for every pooled connection, even when the
/// URL asks for off; and the server syncs at all (`fsync`), without which
/// no setting makes a commit durable.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_connection_commits_synchronously() {
    let Some(admin) = postgres_url() else { return };
    let database = ScratchDatabase::create(&admin).await.unwrap();
    let weakened = format!("{}?options[synchronous_commit]=off", database.url());
    let store = PostgresStore::open(&weakened).await.unwrap();
    let mut held = Vec::new();
    for _ in 0..4 {
        held.push(store.pool().acquire().await.unwrap());
    }
    for conn in &mut held {
        let synchronous: String = sqlx::query_scalar("SHOW synchronous_commit").fetch_one(&mut **conn).await.unwrap();
        assert_eq!(synchronous, "on");
        let fsync: String = sqlx::query_scalar("SHOW fsync").fetch_one(&mut **conn).await.unwrap();
        assert_eq!(fsync, "on", "the test cluster must sync; scripts/with-postgres keeps fsync on");
    }
}

/// The URL dispatch reaches PostgreSQL, and what one store acknowledges a
/// second pool reads at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn open_dispatches_postgres_urls() {
    let Some(admin) = postgres_url() else { return };
    let database = ScratchDatabase::create(&admin).await.unwrap();
    let postgresql = database.url().replacen("postgres://", "postgresql://", 1);
    let writer = accord_store::open(database.url()).await.unwrap();
    let reader = accord_store::open(&postgresql).await.unwrap();
    let appended = writer.append("n", 0, &event(0)).await.unwrap();
    assert_eq!(reader.leaf_hashes("n", 1).await.unwrap(), vec![appended.leaf_hash]);
    assert_eq!(reader.events("n", 0, None).await.unwrap()[0].event, event(0));
}
