//! A server in-process on a temporary SQLite database (or, with
//! `ACCORD_TEST_BACKEND=postgres` and `DATABASE_URL`, a scratch PostgreSQL
//! database), and the peace-framework negotiation with every role seated.
#![allow(dead_code, clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::sync::Arc;

use accord_server::{AppState, Config, ManualClock, router};
use accord_store::testing::ScratchDatabase;
use accord_store::{SqliteStore, Store};
use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode};
use chrono::TimeZone;
use serde_json::{Value, json};
use tower::ServiceExt;

pub const PASSWORD: &str = "correct horse battery";

pub struct Harness {
    pub app: Router,
    pub state: AppState,
    pub clock: Arc<ManualClock>,
    _scratch: Scratch,
}

/// What keeps a test's database alive while its harness lives.
pub enum Scratch {
    Sqlite(tempfile::TempDir),
    Postgres(ScratchDatabase),
    /// A second server on a database another harness keeps.
    Shared,
}

/// A fresh, empty store on the backend the environment asks for.
pub async fn fresh_store() -> (Arc<dyn Store>, Scratch) {
    if std::env::var("ACCORD_TEST_BACKEND").as_deref() == Ok("postgres") {
        // Asked for PostgreSQL and given none: fail rather than quietly test SQLite.
        let admin = std::env::var("DATABASE_URL")
            .expect("ACCORD_TEST_BACKEND=postgres needs DATABASE_URL (run through scripts/with-postgres)");
        let database = ScratchDatabase::create(&admin).await.unwrap();
        let store = accord_store::open(database.url()).await.unwrap();
        return (store, Scratch::Postgres(database));
    }
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open_path(dir.path().join("accord.db")).await.unwrap();
    (Arc::new(store), Scratch::Sqlite(dir))
}

#[derive(Debug, Clone)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub text: String,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or(Value::Null)
    }
}

pub async fn harness_with(config: Config) -> Harness {
    let (store, scratch) = fresh_store().await;
    harness_on(store, scratch, config)
}

/// A server on a given store.
pub fn harness_on(store: Arc<dyn Store>, scratch: Scratch, config: Config) -> Harness {
    let clock = Arc::new(ManualClock::new(chrono::Utc.with_ymd_and_hms(2025, 11, 1, 9, 0, 0).unwrap()));
    let state = AppState::new(store, clock.clone(), config);
    Harness { app: router(state.clone()), state, clock, _scratch: scratch }
}

pub fn test_config() -> Config {
    Config { sign_in_per_account: (1000, 1), sign_in_per_ip: (1000, 1), ..Config::for_tests() }
}

pub async fn harness() -> Harness {
    harness_with(test_config()).await
}

/// How a request authenticates.
#[derive(Debug, Clone)]
pub enum Auth {
    None,
    Bearer(String),
    /// Session cookie and CSRF token (None: omit the header).
    Cookie(String, Option<String>),
}

impl Harness {
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        auth: &Auth,
        if_match: Option<u64>,
        body: Option<Value>,
    ) -> Reply {
        let mut builder = Request::builder().method(method).uri(path);
        match auth {
            Auth::None => {}
            Auth::Bearer(token) => builder = builder.header("authorization", format!("Bearer {token}")),
            Auth::Cookie(token, csrf) => {
                builder = builder.header("cookie", format!("accord_session={token}"));
                if let Some(csrf) = csrf {
                    builder = builder.header("x-csrf-token", csrf);
                }
            }
        }
        if let Some(position) = if_match {
            builder = builder.header("if-match", format!("\"{position}\""));
        }
        let body = match body {
            Some(value) => {
                builder = builder.header("content-type", "application/json");
                Body::from(serde_json::to_vec(&value).unwrap())
            }
            None => Body::empty(),
        };
        self.raw(builder.body(body).unwrap()).await
    }

    pub async fn raw(&self, request: Request<Body>) -> Reply {
        let response = self.app.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        if headers.get("content-type").is_some_and(|v| v.as_bytes().starts_with(b"text/event-stream")) {
            // A live stream never ends: take its first event.
            return Reply { status, headers, text: first_event(response.into_body()).await };
        }
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
        Reply { status, headers, text: String::from_utf8_lossy(&bytes).into_owned() }
    }

    pub async fn get(&self, path: &str, auth: &Auth) -> Reply {
        self.call(Method::GET, path, auth, None, None).await
    }

    /// Signs up and returns a bearer token.
    pub async fn account(&self, email: &str) -> Auth {
        let r = self
            .call(
                Method::POST,
                "/api/accounts",
                &Auth::None,
                None,
                Some(json!({"email": email, "password": PASSWORD, "display_name": email})),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        self.token(email).await
    }

    pub async fn token(&self, email: &str) -> Auth {
        let r = self
            .call(Method::POST, "/api/tokens", &Auth::None, None, Some(json!({"email": email, "password": PASSWORD})))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        Auth::Bearer(r.json()["token"].as_str().unwrap().to_string())
    }

    pub async fn size(&self, negotiation: &str, auth: &Auth) -> u64 {
        let r = self.get(&format!("/api/negotiations/{negotiation}/events"), auth).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        r.json()["log_size"].as_u64().unwrap()
    }
}

pub fn peace_framework() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/peace-framework.toml")).unwrap()
}

/// The roles of the permission matrix, in a fixed order.
pub const ROLES: [&str; 7] = ["mediator", "ua", "ru", "eu", "observer", "stranger", "anonymous"];

/// The peace framework with every seat taken: role name → auth, plus the negotiation id.
pub struct Seated {
    pub h: Harness,
    pub id: String,
    pub auth: BTreeMap<&'static str, Auth>,
    pub email: BTreeMap<&'static str, String>,
}

pub async fn seated() -> Seated {
    seat(harness().await).await
}

/// Seats every role on the peace framework, created through `h`.
pub async fn seat(h: Harness) -> Seated {
    seat_scenario(h, peace_framework()).await
}

/// The peace framework under blind mediation, every seat taken.
#[allow(dead_code)] // not every test binary that shares this module uses it
pub async fn seated_blind() -> Seated {
    let scenario = format!("{}\n[privacy]\nblind_mediation = true\n", peace_framework());
    seat_scenario(harness().await, scenario).await
}

/// Seats every role on `scenario` (which must have the peace framework's parties), created through `h`.
pub async fn seat_scenario(h: Harness, scenario: String) -> Seated {
    let mut auth = BTreeMap::new();
    let mut email = BTreeMap::new();
    for role in ROLES {
        if role == "anonymous" {
            auth.insert(role, Auth::None);
            continue;
        }
        let address = format!("{role}@example.org");
        auth.insert(role, h.account(&address).await);
        email.insert(role, address);
    }
    let r = h
        .call(Method::POST, "/api/negotiations", &auth["mediator"], None, Some(json!({"scenario_toml": scenario})))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let id = r.json()["id"].as_str().unwrap().to_string();
    for (role, party) in [("ua", "ua"), ("ru", "ru"), ("eu", "eu"), ("observer", "un")] {
        let size = h.size(&id, &auth["mediator"]).await;
        let r = h
            .call(
                Method::POST,
                &format!("/api/negotiations/{id}/invitations"),
                &auth["mediator"],
                Some(size),
                Some(json!({"party": party})),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        let token = r.json()["token"].as_str().unwrap().to_string();
        let r = h
            .call(
                Method::POST,
                &format!("/api/negotiations/{id}/invitations/accept"),
                &auth[role],
                None,
                Some(json!({"token": token})),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    }
    Seated { h, id, auth, email }
}

/// The first server-sent event of a stream (up to its blank line), waiting at most 10 s.
pub async fn first_event(body: Body) -> String {
    use futures_util::StreamExt;
    let mut chunks = body.into_data_stream();
    let mut text = String::new();
    while !text.contains("\n\n") {
        match tokio::time::timeout(std::time::Duration::from_secs(10), chunks.next()).await {
            Ok(Some(Ok(chunk))) => text.push_str(&String::from_utf8_lossy(&chunk)),
            Ok(other) => panic!("the event stream ended or failed before its first event: {other:?}"),
            Err(_) => panic!("no event within 10 s; got {text:?}"),
        }
    }
    text
}

/// A live event stream, read one server-sent event at a time.
pub struct EventReader {
    chunks: axum::body::BodyDataStream,
    buffer: String,
}

impl EventReader {
    /// Opens `GET path` as `auth`; panics unless it answers 200 with an event stream.
    pub async fn open(h: &Harness, path: &str, auth: &Auth) -> EventReader {
        let mut builder = Request::builder().method(Method::GET).uri(path);
        match auth {
            Auth::None => {}
            Auth::Bearer(token) => builder = builder.header("authorization", format!("Bearer {token}")),
            Auth::Cookie(token, _) => builder = builder.header("cookie", format!("accord_session={token}")),
        }
        let response = h.app.clone().oneshot(builder.body(Body::empty()).unwrap()).await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let content_type = response.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("");
        assert!(content_type.starts_with("text/event-stream"), "{content_type}");
        EventReader { chunks: response.into_body().into_data_stream(), buffer: String::new() }
    }

    /// The next event's text (keep-alive comments skipped), waiting at most 10 s.
    pub async fn next(&mut self) -> String {
        use futures_util::StreamExt;
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let event: String = self.buffer.drain(..end + 2).collect();
                if event.lines().all(|line| line.starts_with(':')) {
                    continue;
                }
                return event;
            }
            match tokio::time::timeout(std::time::Duration::from_secs(10), self.chunks.next()).await {
                Ok(Some(Ok(chunk))) => self.buffer.push_str(&String::from_utf8_lossy(&chunk)),
                Ok(other) => panic!("the event stream ended or failed: {other:?}"),
                Err(_) => panic!("no event within 10 s; buffered {:?}", self.buffer),
            }
        }
    }

    /// The log size the next `log` event announces.
    pub async fn next_size(&mut self) -> u64 {
        let event = self.next().await;
        assert!(event.lines().any(|l| l == "event: log"), "{event}");
        let data = event.lines().find_map(|l| l.strip_prefix("data: ")).unwrap();
        let value: Value = serde_json::from_str(data).unwrap();
        value["size"].as_u64().unwrap()
    }
}

// ---------------------------------------------------------------- the web pages, as a browser without script

/// A signed-in browser: its session cookie and the CSRF token its pages carry.
pub struct Browser {
    pub cookie: String,
    pub csrf: String,
}

/// A form POST as a browser without JavaScript sends it.
pub async fn form(s: &Seated, path: &str, cookie: Option<&str>, fields: &[(&str, &str)]) -> Reply {
    let body: String = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(fields).finish();
    let mut builder = axum::http::Request::builder()
        .method(axum::http::Method::POST)
        .uri(path)
        .header(axum::http::header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    if let Some(cookie) = cookie {
        builder = builder.header(axum::http::header::COOKIE, cookie);
    }
    s.h.raw(builder.body(axum::body::Body::from(body)).unwrap()).await
}

/// A page GET with the session cookie.
pub async fn page(s: &Seated, path: &str, cookie: &str) -> Reply {
    let request = axum::http::Request::builder()
        .uri(path)
        .header(axum::http::header::COOKIE, cookie)
        .body(axum::body::Body::empty())
        .unwrap();
    s.h.raw(request).await
}

/// Signs `role` in through the sign-in form and reads the CSRF token from the dashboard.
pub async fn sign_in(s: &Seated, role: &str) -> Browser {
    let email = s.email[role].clone();
    let r = form(s, "/signin", None, &[("email", &email), ("password", PASSWORD), ("next", "/")]).await;
    assert_eq!(r.status, axum::http::StatusCode::SEE_OTHER, "{}", r.text);
    assert_eq!(r.headers[axum::http::header::LOCATION], "/");
    let set = r.headers[axum::http::header::SET_COOKIE].to_str().unwrap();
    let cookie = set.split(';').next().unwrap().to_string();
    let dashboard = page(s, "/", &cookie).await;
    assert_eq!(dashboard.status, axum::http::StatusCode::OK);
    let csrf = dashboard.text.split("name=\"csrf-token\" content=\"").nth(1).unwrap().split('"').next().unwrap();
    Browser { cookie, csrf: csrf.to_string() }
}
