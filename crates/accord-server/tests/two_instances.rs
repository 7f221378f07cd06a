//! Two Accord servers on one PostgreSQL database, as two `accord serve`
//! processes behind a load balancer: each has its own store (connection
//! pool), caches and rate limits, and they serve the same negotiation.
//! Concurrent writes through both, each with `If-Match`, never fork or
//! duplicate a log position: every write gets 2xx or 409, the log runs
//! 0..n without a gap, each acknowledged write is in it exactly once, and the
//! log verifies against the checkpoint both servers give.
//!
//! Needs `DATABASE_URL`; skips with a message without it.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeMap;
use std::sync::Arc;

use accord_core::event::{Event, Payload, State};
use accord_merkle::{Checkpoint, MerkleTree, leaf_hash};
use accord_server::notify::MemoryNotifier;
use accord_server::{Clock, Config};
use accord_store::testing::{ScratchDatabase, postgres_url};
use axum::http::{Method, StatusCode};
use chrono::{TimeZone, Utc};
use common::{Auth, EventReader, Harness, Scratch, Seated, harness_on, seat, test_config};
use serde_json::json;
use tokio::sync::Barrier;

/// The two servers: the first holds the seated negotiation (and the
/// scratch database), the second only shares the database.
struct TwoServers {
    seated: Seated,
    second: Harness,
}

impl TwoServers {
    fn server(&self, k: usize) -> &Harness {
        if k.is_multiple_of(2) { &self.seated.h } else { &self.second }
    }

    fn auth(&self, role: &str) -> &Auth {
        &self.seated.auth[role]
    }
}

/// Which writes were acknowledged, and how many 409s were seen.
#[derive(Default)]
struct Outcome {
    acknowledged: Vec<String>,
    conflicts: usize,
}

async fn comment(server: &Harness, id: &str, auth: &Auth, size: u64, text: &str) -> StatusCode {
    let body = json!({"provision": "art-1", "text": text});
    let r = server.call(Method::POST, &format!("/api/negotiations/{id}/comments"), auth, Some(size), Some(body)).await;
    assert!(
        r.status == StatusCode::CREATED || r.status == StatusCode::CONFLICT,
        "a write must be acknowledged or refused as stale, got {}: {}",
        r.status,
        r.text
    );
    if r.status == StatusCode::CONFLICT {
        assert_eq!(r.json()["code"], "conflict", "{}", r.text);
    }
    r.status
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_servers_on_one_database_never_fork_a_log() {
    let Some(admin) = postgres_url() else { return };
    let database = ScratchDatabase::create(&admin).await.unwrap();
    let url = database.url().to_string();
    let first = harness_on(accord_store::open(&url).await.unwrap(), Scratch::Postgres(database), test_config());
    let second = harness_on(accord_store::open(&url).await.unwrap(), Scratch::Shared, test_config());
    // Accounts, the negotiation and the seats are made through the first
    // server; the second knows them only from the database.
    let seated = seat(first).await;
    let id = seated.id.clone();
    let two = Arc::new(TwoServers { seated, second });
    let writers = ["ua", "ru", "eu", "mediator"];

    // Round after round, writers on both servers all write at the same
    // position at once: exactly one may win each round.
    const ROUNDS: usize = 8;
    const CONTENDERS: usize = 8;
    let mut outcome = Outcome::default();
    for round in 0..ROUNDS {
        let size = two.server(round).size(&id, two.auth("mediator")).await;
        let barrier = Arc::new(Barrier::new(CONTENDERS));
        let mut tasks = tokio::task::JoinSet::new();
        for k in 0..CONTENDERS {
            let (two, barrier, id) = (two.clone(), barrier.clone(), id.clone());
            tasks.spawn(async move {
                let text = format!("race {round}-{k}");
                let auth = two.auth(writers[k % writers.len()]);
                barrier.wait().await;
                (comment(two.server(k), &id, auth, size, &text).await, text)
            });
        }
        let mut won = 0;
        while let Some(joined) = tasks.join_next().await {
            let (status, text) = joined.unwrap();
            if status == StatusCode::CREATED {
                won += 1;
                outcome.acknowledged.push(text);
            } else {
                outcome.conflicts += 1;
            }
        }
        assert_eq!(won, 1, "round {round}: exactly one of {CONTENDERS} writes at position {size} may win");
    }

    // Writers that retry on 409, each reading the size from one server and
    // writing through the other: every write lands exactly once.
    const WRITES: usize = 6;
    let barrier = Arc::new(Barrier::new(2 * writers.len()));
    let mut tasks = tokio::task::JoinSet::new();
    for k in 0..2 * writers.len() {
        let (two, barrier, id) = (two.clone(), barrier.clone(), id.clone());
        tasks.spawn(async move {
            let auth = two.auth(writers[k % writers.len()]);
            let (reader, writer) = (two.server(k), two.server(k + 1));
            let mut outcome = Outcome::default();
            barrier.wait().await;
            for write in 0..WRITES {
                let text = format!("writer {k}-{write}");
                loop {
                    let size = reader.size(&id, auth).await;
                    if comment(writer, &id, auth, size, &text).await == StatusCode::CREATED {
                        outcome.acknowledged.push(text);
                        break;
                    }
                    outcome.conflicts += 1;
                }
            }
            outcome
        });
    }
    while let Some(joined) = tasks.join_next().await {
        let writer = joined.unwrap();
        outcome.acknowledged.extend(writer.acknowledged);
        outcome.conflicts += writer.conflicts;
    }
    assert_eq!(outcome.acknowledged.len(), ROUNDS + 2 * writers.len() * WRITES);

    // The log as stored, read through each server's own pool.
    let log = two.server(0).state.store.events(&id, 0, None).await.unwrap();
    assert_eq!(log, two.server(1).state.store.events(&id, 0, None).await.unwrap(), "both servers read one log");
    let n = log.len() as u64;
    let positions: Vec<u64> = log.iter().map(|e| e.event.position).collect();
    assert_eq!(positions, (0..n).collect::<Vec<_>>(), "the log has a gap or a duplicated position");
    let mut in_log: BTreeMap<String, usize> = BTreeMap::new();
    for stored in &log {
        if let Payload::CommentAdded { comment } = &stored.event.payload {
            *in_log.entry(comment.text.clone()).or_default() += 1;
        }
    }
    let acknowledged: BTreeMap<String, usize> = outcome.acknowledged.iter().map(|t| (t.clone(), 1)).collect();
    assert_eq!(acknowledged.len(), outcome.acknowledged.len(), "a write was acknowledged twice");
    assert_eq!(in_log, acknowledged, "the log must hold each acknowledged write once, and nothing refused");

    // Verify from the bytes alone: re-hash every stored event, rebuild the
    // tree, and compare with the checkpoint each server serves.
    let mut tree = MerkleTree::new();
    for stored in &log {
        tree.push(leaf_hash(&stored.bytes));
    }
    let expected = Checkpoint::new(n, tree.current_root());
    for k in 0..2 {
        let server = two.server(k);
        assert_eq!(server.state.store.checkpoint(&id, n).await.unwrap(), expected, "store checkpoint of server {k}");
        let r = server.get(&format!("/api/negotiations/{id}/checkpoint?size={n}"), two.auth("ua")).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let served: Checkpoint = serde_json::from_str(&r.text).unwrap();
        assert_eq!(served, expected, "the checkpoint server {k} serves");
        assert_eq!(server.size(&id, two.auth("ua")).await, n);
    }
    let events: Vec<Event> = log.into_iter().map(|e| e.event).collect();
    let state = State::from_events(&events).unwrap();
    assert_eq!(state.comments.len(), outcome.acknowledged.len());
    println!("{n} events, {} acknowledged writes, {} conflicts", outcome.acknowledged.len(), outcome.conflicts);
}

/// Live updates cross servers through `LISTEN/NOTIFY`, and the clock's work
/// (a phase transition and its reminders) happens once however many servers
/// tick at the same moment.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn live_updates_reach_the_other_server_and_clock_work_happens_once() {
    let Some(admin) = postgres_url() else { return };
    let database = ScratchDatabase::create(&admin).await.unwrap();
    let url = database.url().to_string();
    let (memory_a, memory_b) = (Arc::new(MemoryNotifier::new()), Arc::new(MemoryNotifier::new()));
    let config = |memory: &Arc<MemoryNotifier>| Config { notifier: Some(memory.clone()), ..test_config() };
    let first = harness_on(accord_store::open(&url).await.unwrap(), Scratch::Postgres(database), config(&memory_a));
    let second = harness_on(accord_store::open(&url).await.unwrap(), Scratch::Shared, config(&memory_b));
    let s = seat(first).await;

    // ru watches through the second server; the mediator publishes through the first.
    let mut stream = EventReader::open(&second, &format!("/api/negotiations/{}/stream", s.id), &s.auth["ru"]).await;
    let size = stream.next_size().await;
    assert_eq!(size, s.h.size(&s.id, &s.auth["mediator"]).await);
    let r =
        s.h.call(
            Method::POST,
            &format!("/api/negotiations/{}/versions", s.id),
            &s.auth["mediator"],
            Some(size),
            Some(json!({})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(stream.next_size().await, size + 1, "the second server's client hears the first server's write");

    // Both servers' clocks reach 22 November 20:00 together: the
    // consultation has begun and its deadline is under 24 hours away.
    let at = Utc.with_ymd_and_hms(2025, 11, 22, 20, 0, 0).unwrap();
    s.h.clock.set(at);
    second.clock.set(at);
    for _ in 0..3 {
        let (a, b) = tokio::join!(s.h.state.tick(), second.state.tick());
        a.unwrap();
        b.unwrap();
    }
    let log = second.state.store.events(&s.id, 0, None).await.unwrap();
    let count = |kind: &str| log.iter().filter(|e| e.event.payload.kind() == kind).count();
    assert_eq!(count("phase_entered"), 1, "one server logs the transition");
    assert_eq!(count("reminders_sent"), 1, "one server logs the reminders");
    // Both servers drain the shared outbox at once; a claim gives each message to one of them.
    let (a, b) = tokio::join!(s.h.state.deliver_reminders(), second.state.deliver_reminders());
    assert_eq!(a.unwrap().delivered + b.unwrap().delivered, 4);
    let mut sent: Vec<String> = memory_a.sent().into_iter().chain(memory_b.sent()).map(|n| n.to_party).collect();
    sent.sort();
    assert_eq!(sent, ["eu", "ru", "ua", "us"], "each party that owes an acknowledgement is reminded once");
}

/// A negotiation is created in one batch: the other server's clock, ticking
/// all the while, never sees it half made. (Created with its first phase due
/// at once, so a tick that saw it after its first event would log the phase
/// change in the middle of the creation and make it fail.)
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_other_servers_clock_never_sees_a_negotiation_half_created() {
    let Some(admin) = postgres_url() else { return };
    let database = ScratchDatabase::create(&admin).await.unwrap();
    let url = database.url().to_string();
    let first = harness_on(accord_store::open(&url).await.unwrap(), Scratch::Postgres(database), test_config());
    let second = Arc::new(harness_on(accord_store::open(&url).await.unwrap(), Scratch::Shared, test_config()));
    let mediator = first.account("creator@example.org").await;
    let now = first.clock.now();
    second.clock.set(now);

    let ticking = Arc::new(std::sync::atomic::AtomicBool::new(true));
    let ticker = {
        let (second, ticking) = (second.clone(), ticking.clone());
        tokio::spawn(async move {
            let mut ticks = 0usize;
            while ticking.load(std::sync::atomic::Ordering::Relaxed) {
                second.state.tick().await.unwrap();
                ticks += 1;
            }
            ticks
        })
    };
    let creations = 12;
    let mut created = Vec::new();
    for _ in 0..creations {
        let body = json!({"scenario_toml": common::peace_framework(), "timetable_from": now});
        let r = first.call(Method::POST, "/api/negotiations", &mediator, None, Some(body)).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        created.push((r.json()["id"].as_str().unwrap().to_string(), r.json()["log_size"].as_u64().unwrap()));
    }
    ticking.store(false, std::sync::atomic::Ordering::Relaxed);
    let ticks = ticker.await.unwrap();
    assert!(ticks > 0, "the second server never ticked");
    for (id, creation_size) in created {
        // The second server learns of a new negotiation from the store's
        // announcement, which may arrive after the ticker stopped: tick until
        // its clock has logged the phase change (bounded).
        let mut events: Vec<Event> = Vec::new();
        for _ in 0..100 {
            second.state.tick().await.unwrap();
            let log = first.state.store.events(&id, 0, None).await.unwrap();
            events = log.into_iter().map(|e| e.event).collect();
            if events.iter().any(|e| e.actor == accord_core::event::Actor::System) {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        // The creation's events come first, unbroken; the clock's phase change follows them.
        let first_system = events.iter().position(|e| e.actor == accord_core::event::Actor::System).unwrap();
        assert_eq!(first_system as u64, creation_size, "{id}: a clock event inside the creation");
        assert!(matches!(events[first_system].payload, Payload::PhaseEntered { .. }), "{id}");
        State::from_events(&events).unwrap();
    }
}
