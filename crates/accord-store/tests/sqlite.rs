//! The conformance suite on SQLite, each property on a fresh temporary file,
//! plus what only a file-backed store can show: data survives reopening, an
//! acknowledged append is visible to another pool and survives the death of
//! the process that wrote it, and every connection runs with the durability
//! settings the documentation promises.

#![allow(clippy::unwrap_used)]

use accord_core::event::{Actor, Event, Payload};
use accord_core::model::{Negotiation, Party, Role, Timetable};
use accord_store::{SqliteStore, Store, StoreError, conformance};
use chrono::{TimeZone, Utc};
use sqlx::Row;
use tempfile::TempDir;

/// A fresh database in its own temporary directory (kept alive by the guard:
/// the WAL and shared-memory files live beside the database).
async fn fresh() -> (SqliteStore, TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open_path(dir.path().join("accord.db")).await.unwrap();
    (store, dir)
}

macro_rules! conformance_tests {
    ($($name:ident),* $(,)?) => {$(
        #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
        async fn $name() {
            let (store, _dir) = fresh().await;
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
    let dirs = std::sync::Mutex::new(Vec::new());
    conformance::run_all(|| async {
        let (store, dir) = fresh().await;
        dirs.lock().unwrap().push(dir);
        store
    })
    .await;
    assert_eq!(dirs.lock().unwrap().len(), 17, "run_all runs each property on its own store");
}

fn genesis(id: &str) -> Event {
    let party = |id: &str, role| Party { id: id.into(), name: id.into(), role };
    Event {
        position: 0,
        actor: Actor::System,
        at: Utc.with_ymd_and_hms(2026, 3, 1, 9, 0, 0).unwrap(),
        payload: Payload::Created {
            negotiation: Negotiation {
                id: id.into(),
                title: "Durability".into(),
                description: String::new(),
                parties: vec![party("un", Role::Mediator), party("north", Role::Signatory)],
                issues: Vec::new(),
                provisions: Vec::new(),
                constraints: Vec::new(),
                timetable: Timetable::default(),
                profiles: Vec::new(),
                stances: Vec::new(),
                privacy: Default::default(),
            },
            creator_party: "un".into(),
        },
        salt: None,
    }
}

fn timetable_event(position: u64) -> Event {
    Event { payload: Payload::TimetableSet { timetable: Timetable::default() }, position, ..genesis("x") }
}

#[tokio::test]
async fn data_survives_closing_and_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("reopen.db");
    let url = format!("sqlite:{}", path.display());
    let store = SqliteStore::open(&url).await.unwrap();
    let mut roots = Vec::new();
    for event in [genesis("n1"), timetable_event(1), timetable_event(2)] {
        roots.push(store.append("n1", event.position, &event).await.unwrap().root);
    }
    conformance_account(&store).await;
    let before = store.events("n1", 0, None).await.unwrap();
    store.close().await;
    drop(store);

    // Reopening runs the migrations again: they must be a no-op on a current schema.
    let store = SqliteStore::open_path(&path).await.unwrap();
    assert_eq!(store.events("n1", 0, None).await.unwrap(), before);
    assert_eq!(store.root("n1", 3).await.unwrap(), roots[2]);
    assert_eq!(store.negotiations().await.unwrap(), vec!["n1".to_string()]);
    assert!(store.account_by_email("kept@example.org").await.unwrap().is_some());
    store.append("n1", 3, &timetable_event(3)).await.unwrap();
    assert!(matches!(store.append("n1", 3, &timetable_event(3)).await, Err(StoreError::Conflict { actual: 4, .. })));
}

async fn conformance_account(store: &SqliteStore) {
    let account = accord_store::Account {
        id: "acc-kept".into(),
        email: "kept@example.org".into(),
        display_name: "Kept".into(),
        password_hash: "$argon2id$placeholder".into(),
        created_at: Utc.with_ymd_and_hms(2026, 3, 1, 9, 0, 0).unwrap(),
    };
    store.create_account(&account).await.unwrap();
}

#[tokio::test]
async fn open_creates_a_missing_file_and_accepts_urls_and_paths() {
    let dir = tempfile::tempdir().unwrap();
    for (name, spec) in [
        ("plain.db", dir.path().join("plain.db").display().to_string()),
        ("url.db", format!("sqlite:{}", dir.path().join("url.db").display())),
        ("url2.db", format!("sqlite://{}", dir.path().join("url2.db").display())),
    ] {
        let store = SqliteStore::open(&spec).await.unwrap();
        assert!(dir.path().join(name).exists(), "{spec} did not create {name}");
        assert_eq!(store.log_size("none").await.unwrap(), 0);
        store.close().await;
    }
    let missing_dir = dir.path().join("no-such-dir").join("x.db");
    assert!(matches!(SqliteStore::open_path(&missing_dir).await, Err(StoreError::Backend(_))));
}

#[tokio::test]
async fn every_connection_is_durable_wal_with_foreign_keys() {
    let (store, _dir) = fresh().await;
    // Hold several connections at once so the pool has to open more than one.
    let mut held = Vec::new();
    for _ in 0..4 {
        held.push(store.pool().acquire().await.unwrap());
    }
    for conn in &mut held {
        let journal: String = sqlx::query_scalar("PRAGMA journal_mode").fetch_one(&mut **conn).await.unwrap();
        let synchronous: i64 = sqlx::query_scalar("PRAGMA synchronous").fetch_one(&mut **conn).await.unwrap();
        let foreign_keys: i64 = sqlx::query_scalar("PRAGMA foreign_keys").fetch_one(&mut **conn).await.unwrap();
        let busy_timeout: i64 = sqlx::query_scalar("PRAGMA busy_timeout").fetch_one(&mut **conn).await.unwrap();
        assert_eq!(journal, "wal");
        assert_eq!(synchronous, 2, "synchronous must be FULL (2)");
        assert_eq!(foreign_keys, 1);
        assert!(busy_timeout >= 1000, "busy_timeout is {busy_timeout} ms");
    }
}

#[tokio::test]
async fn an_acknowledged_append_is_visible_to_another_pool() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("shared.db");
    let writer = SqliteStore::open_path(&path).await.unwrap();
    let reader = SqliteStore::open_path(&path).await.unwrap();
    let appended = writer.append("n", 0, &genesis("n")).await.unwrap();

    // A raw connection with none of the store's settings reads it straight from the file.
    let mut raw = sqlx::SqliteConnection::connect(&format!("sqlite:{}", path.display())).await.unwrap();
    let row = sqlx::query("SELECT position, leaf_hash FROM events WHERE negotiation = 'n'")
        .fetch_one(&mut raw)
        .await
        .unwrap();
    assert_eq!(row.get::<i64, _>("position"), 0);
    assert_eq!(row.get::<Vec<u8>, _>("leaf_hash"), appended.leaf_hash.to_vec());

    assert_eq!(reader.events("n", 0, None).await.unwrap()[0].event, genesis("n"));
    // The second pool also takes part in the conflict rule.
    assert!(matches!(reader.append("n", 0, &genesis("n")).await, Err(StoreError::Conflict { actual: 1, .. })));
}

use sqlx::Connection;

const CHILD_DB: &str = "ACCORD_STORE_TEST_CHILD_DB";

/// Runs only as the child of `an_append_survives_the_death_of_its_process`:
/// appends, reports the acknowledgement, and dies without closing anything.
#[tokio::test]
async fn child_appends_then_aborts() {
    let Ok(path) = std::env::var(CHILD_DB) else { return };
    let store = SqliteStore::open_path(&path).await.unwrap();
    store.append("crash", 0, &genesis("crash")).await.unwrap();
    let appended = store.append("crash", 1, &timetable_event(1)).await.unwrap();
    println!("ACKNOWLEDGED {}", hex(&appended.root));
    use std::io::Write;
    std::io::stdout().flush().unwrap();
    // No destructors, no pool close, no WAL checkpoint: what the OS sees if
    // the server is killed right after answering.
    std::process::abort();
}

#[tokio::test]
async fn an_append_survives_the_death_of_its_process() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("crash.db");
    let output = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "child_appends_then_aborts", "--nocapture", "--test-threads=1"])
        .env(CHILD_DB, &path)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(!output.status.success(), "the child must die by abort");
    let acknowledged = stdout
        .lines()
        .find_map(|line| line.split_once("ACKNOWLEDGED ").map(|(_, root)| root.trim()))
        .unwrap_or_else(|| panic!("the child never acknowledged; stdout: {stdout}"));

    let store = SqliteStore::open_path(&path).await.unwrap();
    assert_eq!(store.log_size("crash").await.unwrap(), 2);
    assert_eq!(hex(&store.root("crash", 2).await.unwrap()), acknowledged);
    assert_eq!(store.events("crash", 1, None).await.unwrap()[0].event, timetable_event(1));
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
