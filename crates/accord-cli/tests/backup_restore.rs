//! `accord backup` and `accord restore` end to end: a real negotiation made
//! through the server (the demo), backed up by the binary while the server
//! holds the database open, restored into a fresh SQLite file and (with
//! `DATABASE_URL`) a fresh PostgreSQL database. On each restored copy a new
//! server serves the same log: the mediator's export passes
//! `accord verify-log`, a party signs in with its old password and sees the
//! same draft and checkpoint, and old tokens are dead. A backup with one byte
//! of an event changed, and a restore into a non-empty database, are refused
//! and change nothing.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::{Command, Output};
use std::sync::Arc;
use std::time::Instant;

use accord_server::demo::{DEMO_PASSWORD, ensure_demo};
use accord_server::{AppState, Config, ManualClock, router};
use accord_store::testing::{ScratchDatabase, postgres_url};
use accord_store::{SqliteStore, Store};
use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use chrono::TimeZone;
use serde_json::{Value, json};
use tower::ServiceExt;

const UA: &str = "ua@demo.accord.invalid";
const MEDIATOR: &str = "mediator@demo.accord.invalid";

fn accord(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_accord")).args(args).output().unwrap()
}

fn accord_ok(args: &[&str]) -> String {
    let out = accord(args);
    assert!(
        out.status.success(),
        "accord {args:?} failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn accord_refused(args: &[&str]) -> String {
    let out = accord(args);
    assert!(!out.status.success(), "accord {args:?} should fail:\n{}", String::from_utf8_lossy(&out.stdout));
    String::from_utf8(out.stderr).unwrap()
}

fn state_on(store: Arc<dyn Store>) -> AppState {
    let clock = Arc::new(ManualClock::new(chrono::Utc.with_ymd_and_hms(2026, 3, 1, 9, 0, 0).unwrap()));
    AppState::new(store, clock, Config::for_tests())
}

async fn call(
    state: &AppState,
    method: Method,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> (StatusCode, Vec<u8>) {
    let mut request = Request::builder().method(method).uri(path);
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    let body = match body {
        Some(value) => {
            request = request.header("content-type", "application/json");
            Body::from(value.to_string())
        }
        None => Body::empty(),
    };
    let response = router(state.clone()).oneshot(request.body(body).unwrap()).await.unwrap();
    let status = response.status();
    (status, axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap().to_vec())
}

async fn sign_in(state: &AppState, email: &str) -> String {
    let (status, body) =
        call(state, Method::POST, "/api/tokens", None, Some(json!({"email": email, "password": DEMO_PASSWORD}))).await;
    assert_eq!(status, StatusCode::CREATED, "{email} signs in: {}", String::from_utf8_lossy(&body));
    let body: Value = serde_json::from_slice(&body).unwrap();
    body["token"].as_str().unwrap().to_string()
}

async fn get_json(state: &AppState, path: &str, token: &str) -> Value {
    let (status, body) = call(state, Method::GET, path, Some(token), None).await;
    assert_eq!(status, StatusCode::OK, "GET {path}: {}", String::from_utf8_lossy(&body));
    serde_json::from_slice(&body).unwrap()
}

/// What a party sees that a restore must keep: the draft and the checkpoint.
#[derive(Debug, PartialEq)]
struct Seen {
    draft: Value,
    checkpoint: Value,
}

async fn seen_by_ua(state: &AppState, id: &str) -> Seen {
    let token = sign_in(state, UA).await;
    Seen {
        draft: get_json(state, &format!("/api/negotiations/{id}/draft"), &token).await,
        checkpoint: get_json(state, &format!("/api/negotiations/{id}/checkpoint"), &token).await,
    }
}

/// The mediator's full log export, checked offline by `accord verify-log`.
async fn export_verifies(state: &AppState, id: &str, dir: &Path, label: &str) {
    let token = sign_in(state, MEDIATOR).await;
    let (status, body) = call(state, Method::GET, &format!("/api/negotiations/{id}/export"), Some(&token), None).await;
    assert_eq!(status, StatusCode::OK, "{label}: export: {}", String::from_utf8_lossy(&body));
    let file = dir.join(format!("{label}.log.json"));
    std::fs::write(&file, body).unwrap();
    let report = accord_ok(&["verify-log", file.to_str().unwrap()]);
    assert!(report.contains("VERIFIED"), "{label}: {report}");
}

/// Every log byte for byte, and every account, as the store holds them.
/// Every negotiation's event bytes, and the accounts.
type Contents = (Vec<(String, Vec<Vec<u8>>)>, Vec<accord_store::Account>);

async fn contents(store: &dyn Store) -> Contents {
    let mut logs = Vec::new();
    for id in store.negotiations().await.unwrap() {
        let events = store.events(&id, 0, None).await.unwrap();
        logs.push((id, events.into_iter().map(|e| e.bytes).collect()));
    }
    (logs, store.accounts().await.unwrap())
}

/// Checks a restored store against the original, through a new server on it.
async fn check_restored(
    store: Arc<dyn Store>,
    original: &Contents,
    id: &str,
    before: &Seen,
    old_token: &str,
    dir: &Path,
    label: &str,
) {
    let restored = contents(store.as_ref()).await;
    assert_eq!(restored.0, original.0, "{label}: every event's bytes, in order");
    assert_eq!(restored.1.len(), original.1.len(), "{label}: accounts");
    for (got, want) in restored.1.iter().zip(&original.1) {
        assert_eq!((&got.id, &got.email, &got.password_hash), (&want.id, &want.email, &want.password_hash));
        // PostgreSQL keeps microseconds.
        assert!((got.created_at - want.created_at).num_microseconds().unwrap().abs() < 1, "{label}: created_at");
    }
    let state = state_on(store);
    assert_eq!(&seen_by_ua(&state, id).await, before, "{label}: ua sees the same draft and checkpoint");
    let (status, _) = call(&state, Method::GET, &format!("/api/negotiations/{id}/draft"), Some(old_token), None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{label}: tokens are not restored");
    export_verifies(&state, id, dir, label).await;
}

#[test]
fn a_backup_restores_into_sqlite_and_postgres_and_still_verifies() {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let source_path = dir.path().join("source.db");
    let source_url = format!("sqlite:{}", source_path.display());

    // The source: the demo negotiation, made through the API, plus a draft edit.
    let (source, id, before, old_token) = runtime.block_on(async {
        let store: Arc<dyn Store> = Arc::new(SqliteStore::open_path(&source_path).await.unwrap());
        let state = state_on(store.clone());
        let demo = ensure_demo(&state).await.unwrap();
        let before = seen_by_ua(&state, &demo.negotiation).await;
        export_verifies(&state, &demo.negotiation, dir.path(), "source").await;
        let old_token = sign_in(&state, UA).await;
        (store, demo.negotiation, before, old_token)
    });
    let original = runtime.block_on(contents(source.as_ref()));
    assert!(original.0[0].1.len() >= 9, "the demo log holds creation, invitations and acceptances");
    assert_eq!(original.1.len(), 5, "the five demo accounts");

    // Backed up while the "server" keeps the database open.
    let backup = dir.path().join("accord.backup");
    let started = Instant::now();
    let said = accord_ok(&["backup", "--database", &source_url, "-o", backup.to_str().unwrap()]);
    eprintln!("backup took {:?}", started.elapsed());
    let events = original.0[0].1.len();
    assert!(said.contains(&format!("Backed up 1 negotiation ({events} events) and 5 accounts")), "{said}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&backup).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "the backup holds password hashes");
    }
    let text = std::fs::read_to_string(&backup).unwrap();
    assert!(said.contains(&format!("({} bytes)", text.len())), "{said}");
    assert_eq!(text.lines().count(), 1 + 5 + events + 1, "header, accounts, events, end");
    let again = accord_refused(&["backup", "--database", &source_url, "-o", backup.to_str().unwrap()]);
    assert!(again.contains("--force"), "{again}");

    // (a) Into a fresh SQLite file.
    let restored_path = dir.path().join("restored.db");
    let started = Instant::now();
    let said = accord_ok(&["restore", "--database", restored_path.to_str().unwrap(), backup.to_str().unwrap()]);
    eprintln!("restore into SQLite took {:?}", started.elapsed());
    assert!(said.contains(&format!("Restored 1 negotiation ({events} events) and 5 accounts")), "{said}");
    assert!(said.contains("signs in again"), "{said}");
    runtime.block_on(async {
        let store: Arc<dyn Store> = Arc::new(SqliteStore::open_path(&restored_path).await.unwrap());
        check_restored(store, &original, &id, &before, &old_token, dir.path(), "sqlite").await;
    });

    // (b) Into a fresh PostgreSQL database.
    match postgres_url() {
        None => eprintln!("skipped: the PostgreSQL restore (DATABASE_URL not set; run through scripts/with-postgres)"),
        Some(admin) => runtime.block_on(async {
            let database = ScratchDatabase::create(&admin).await.unwrap();
            let started = Instant::now();
            let said = accord_ok(&["restore", "--database", database.url(), backup.to_str().unwrap()]);
            eprintln!("restore into PostgreSQL took {:?}", started.elapsed());
            assert!(said.contains(&format!("Restored 1 negotiation ({events} events)")), "{said}");
            assert!(said.contains(&accord_store::redact(database.url())), "the URL, password hidden: {said}");
            let store = accord_store::open(database.url()).await.unwrap();
            check_restored(store.clone(), &original, &id, &before, &old_token, dir.path(), "postgres").await;
            // A second restore into it is refused.
            let refused = accord_refused(&["restore", "--database", database.url(), backup.to_str().unwrap()]);
            assert!(refused.contains("already holds 1 negotiation and 5 accounts"), "{refused}");
        }),
    }

    // One byte of one event changed: refused, naming the line; nothing restored.
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let target = 1 + 5 + 3; // the fourth event
    let mut line: Value = serde_json::from_str(&lines[target]).unwrap();
    let mut bytes = BASE64.decode(line["bytes"].as_str().unwrap()).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] = if bytes[middle] == b'a' { b'b' } else { b'a' };
    line["bytes"] = Value::String(BASE64.encode(&bytes));
    lines[target] = line.to_string();
    let tampered = dir.path().join("tampered.backup");
    std::fs::write(&tampered, lines.iter().map(|l| format!("{l}\n")).collect::<String>()).unwrap();
    let tampered_db = dir.path().join("tampered.db");
    let refused = accord_refused(&["restore", "--database", tampered_db.to_str().unwrap(), tampered.to_str().unwrap()]);
    assert!(refused.contains(&format!("line {}:", target + 1)), "{refused}");
    assert!(refused.contains("do not hash to its leaf hash"), "{refused}");
    assert!(refused.contains("nothing was restored"), "{refused}");
    runtime.block_on(async {
        let store = SqliteStore::open_path(&tampered_db).await.unwrap();
        assert!(store.negotiations().await.unwrap().is_empty(), "no log from a refused backup");
        assert!(store.accounts().await.unwrap().is_empty(), "no account from a refused backup");
    });

    // Into a database that holds data: refused, and the database is unchanged.
    let refused = accord_refused(&["restore", "--database", &source_url, backup.to_str().unwrap()]);
    assert!(
        refused.contains("already holds 1 negotiation and 5 accounts; restore into an empty database"),
        "{refused}"
    );
    let after = runtime.block_on(contents(source.as_ref()));
    assert_eq!(after, original, "a refused restore changes nothing");
}
