//! Deadline reminders from the clock's tick: logged once per (phase,
//! deadline), then sent to the parties that still owe the latest version an
//! acknowledgement, and never again for the same deadline.

#![allow(clippy::unwrap_used)] // test code: a panic is a failed test

mod common;

use std::sync::Arc;

use accord_evidence::SigningKey;
use accord_evidence::statement::{Statement, sign_statement_hex};
use accord_server::notify::{MemoryNotifier, Notification, Notifier, NotifyError};
use accord_server::{Config, Delivery, backoff};
use axum::http::{Method, StatusCode};
use chrono::{DateTime, TimeZone, Utc};
use common::{Seated, harness_with, seat, test_config};
use serde_json::{Value, json};

fn utc(day: u32, hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 11, day, hour, 0, 0).unwrap()
}

fn hash(text: &str) -> [u8; 32] {
    hex::decode(text).unwrap().try_into().unwrap()
}

async fn post(s: &Seated, role: &str, path: &str, body: Value) -> Value {
    send(s, Method::POST, role, path, body).await
}

async fn send(s: &Seated, method: Method, role: &str, path: &str, body: Value) -> Value {
    let size = s.h.size(&s.id, &s.auth["mediator"]).await;
    let r =
        s.h.call(method, &format!("/api/negotiations/{}/{path}", s.id), &s.auth[role], Some(size), Some(body)).await;
    assert!(r.status == StatusCode::OK || r.status == StatusCode::CREATED, "{path}: {}", r.text);
    r.json()
}

/// Registers `party`'s key and acknowledges version 1 with it, as `accord ack` does.
async fn acknowledge(s: &Seated, party: &'static str, seed: u8) {
    let key = SigningKey::from_bytes(&[seed; 32]);
    send(
        s,
        Method::PUT,
        party,
        &format!("keys/{party}"),
        json!({
            "public_key": hex::encode(key.verifying_key().to_bytes()),
            "signature": accord_evidence::sign_key_registration(&key, &s.id, party).unwrap(),
        }),
    )
    .await;
    let base = format!("/api/negotiations/{}", s.id);
    let checkpoint = s.h.get(&format!("{base}/checkpoint"), &s.auth[party]).await.json();
    let version = s.h.get(&format!("{base}/versions/1"), &s.auth[party]).await.json();
    let root = checkpoint["root"].as_str().unwrap().to_string();
    let statement = Statement::Acknowledgement {
        negotiation: s.id.clone(),
        party: party.into(),
        version: 1,
        content_hash: hash(version["content_hash"].as_str().unwrap()),
        checkpoint: accord_merkle::Checkpoint::new(checkpoint["size"].as_u64().unwrap(), hash(&root)),
    };
    let signature = sign_statement_hex(&key, &statement).unwrap();
    let body = json!({"checkpoint_size": checkpoint["size"], "checkpoint_root": root, "signature": signature});
    post(s, party, "versions/1/acknowledgements", body).await;
}

fn recipients(sent: &[Notification]) -> Vec<(String, String)> {
    let mut to: Vec<(String, String)> = sent.iter().map(|n| (n.to_party.clone(), n.to_email.clone())).collect();
    to.sort();
    to
}

fn pairs(expected: &[(&str, &str)]) -> Vec<(String, String)> {
    expected.iter().map(|(p, e)| (p.to_string(), e.to_string())).collect()
}

/// The reminders_sent events a signatory reads in the log, as (deadline, parties).
async fn logged_reminders(s: &Seated) -> Vec<(String, Vec<String>)> {
    let r = s.h.get(&format!("/api/negotiations/{}/events", s.id), &s.auth["ru"]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.json()["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"] == "reminders_sent")
        .map(|e| {
            assert_eq!(e["redacted"], false, "reminders are public process evidence");
            let event: Value = serde_json::from_str(e["bytes"].as_str().unwrap()).unwrap();
            assert_eq!(event["actor"]["kind"], "system");
            let payload = &event["payload"];
            assert_eq!(payload["phase"], "consultation");
            assert_eq!(payload["awaited"], "acknowledge version 1");
            let parties = payload["parties"].as_array().unwrap().iter().map(|p| p.as_str().unwrap().into()).collect();
            (payload["deadline"].as_str().unwrap().to_string(), parties)
        })
        .collect()
}

#[tokio::test]
async fn each_party_that_owes_an_acknowledgement_is_reminded_once_per_deadline() {
    let memory = Arc::new(MemoryNotifier::new());
    let config = Config { notifier: Some(memory.clone()), ..test_config() };
    let s = seat(harness_with(config).await).await;
    post(&s, "mediator", "versions", json!({})).await;
    acknowledge(&s, "ua", 7).await;

    // 1 November: the consultation (ending 23 November 18:00) has not begun.
    assert_eq!(s.h.state.tick().await.unwrap(), 0);
    s.h.clock.set(utc(22, 17));
    // 25 hours before the deadline: the phase begins, nobody is reminded yet.
    assert_eq!(s.h.state.tick().await.unwrap(), 1);
    assert!(memory.sent().is_empty());

    s.h.clock.set(utc(22, 20));
    assert_eq!(s.h.state.tick().await.unwrap(), 1, "one reminders_sent event");
    assert!(memory.sent().is_empty(), "the tick only queues; the outbox's own task sends");
    assert_eq!(s.h.state.deliver_reminders().await.unwrap().delivered, 3);
    let sent = memory.sent();
    // ua acknowledged; un's seat is the observer's, who owes nothing.
    let owing = pairs(&[("eu", "eu@example.org"), ("ru", "ru@example.org"), ("us", "mediator@example.org")]);
    assert_eq!(recipients(&sent), owing);
    for n in &sent {
        assert!(n.subject.contains("Acknowledge version 1 before 2025-11-23 18:00:00 UTC"), "{}", n.subject);
        assert!(n.body.contains("ends at 2025-11-23 18:00:00 UTC"), "{}", n.body);
        assert!(n.body.contains(&format!("Party {},", n.to_party)), "{}", n.body);
    }

    s.h.clock.set(utc(23, 9));
    assert_eq!(s.h.state.tick().await.unwrap(), 0, "nothing more is logged for the same deadline");
    assert_eq!(s.h.state.deliver_reminders().await.unwrap(), Delivery::default(), "nothing more is queued");
    assert_eq!(memory.sent().len(), 3, "no reminder twice");
    assert_eq!(
        logged_reminders(&s).await,
        vec![("2025-11-23T18:00:00Z".to_string(), vec!["us".into(), "ru".into(), "eu".into()])]
    );

    // ru acts; the mediator moves the deadline: whoever still owes is reminded again, before the new one.
    acknowledge(&s, "ru", 9).await;
    post(&s, "mediator", "phase/extend", json!({"end": "2025-11-24T12:00:00Z", "reason": "delegations travel"})).await;
    assert_eq!(s.h.state.tick().await.unwrap(), 0, "27 hours before the new deadline");
    s.h.clock.set(utc(23, 13));
    assert_eq!(s.h.state.tick().await.unwrap(), 1);
    assert_eq!(s.h.state.tick().await.unwrap(), 0);
    s.h.state.deliver_reminders().await.unwrap();
    let sent = memory.sent();
    assert_eq!(sent.len(), 5);
    assert_eq!(recipients(&sent[3..]), pairs(&[("eu", "eu@example.org"), ("us", "mediator@example.org")]));
    assert!(sent[3..].iter().all(|n| n.subject.contains("before 2025-11-24 12:00:00 UTC")));
    assert_eq!(logged_reminders(&s).await[1], ("2025-11-24T12:00:00Z".to_string(), vec!["us".into(), "eu".into()]));

    let state = s.h.state.state(&s.id).await.unwrap().unwrap();
    assert_eq!(state.reminders.len(), 2);
}

#[tokio::test]
async fn without_a_notifier_nothing_is_logged() {
    let s = seat(harness_with(test_config()).await).await;
    post(&s, "mediator", "versions", json!({})).await;
    s.h.clock.set(utc(22, 20));
    assert_eq!(s.h.state.tick().await.unwrap(), 1, "the phase begins; no reminder is logged that nobody sends");
    assert!(s.h.state.state(&s.id).await.unwrap().unwrap().reminders.is_empty());
}

/// Finding 8 of issue #14 (the clock loaded every negotiation each second):
/// a tick folds only the negotiations with something due, and those whose
/// logs grew; an idle negotiation costs nothing.
#[tokio::test]
async fn the_tick_folds_only_the_negotiations_that_are_due() {
    let s = seat(harness_with(test_config()).await).await;
    // A second negotiation without a timetable: the clock never owes it anything.
    let r =
        s.h.call(Method::POST, "/api/negotiations", &s.auth["mediator"], None, Some(json!({"title": "Idle"}))).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let idle = r.json()["id"].as_str().unwrap().to_string();

    assert_eq!(s.h.state.tick().await.unwrap(), 0);
    let built = s.h.state.clock_examined();
    assert_eq!(built, 2, "the first tick indexes each negotiation once");
    for _ in 0..20 {
        assert_eq!(s.h.state.tick().await.unwrap(), 0);
    }
    assert_eq!(s.h.state.clock_examined(), built, "nothing is due: no tick folds anything");

    // A write re-indexes that negotiation alone.
    let size = s.h.size(&idle, &s.auth["mediator"]).await;
    let body = json!({"number": "1", "heading": "Scope", "body": "Text."});
    let r =
        s.h.call(
            Method::PUT,
            &format!("/api/negotiations/{idle}/provisions/p1"),
            &s.auth["mediator"],
            Some(size),
            Some(body),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    s.h.state.tick().await.unwrap();
    assert_eq!(s.h.state.clock_examined(), built + 1);

    // The consultation begins on 21 November at 09:00: only then is the framework folded, and the phase entered.
    s.h.clock.set(utc(21, 8));
    assert_eq!(s.h.state.tick().await.unwrap(), 0);
    assert_eq!(s.h.state.clock_examined(), built + 1, "an hour early: still nothing due");
    s.h.clock.set(utc(21, 9));
    assert_eq!(s.h.state.tick().await.unwrap(), 1, "the phase begins on time");
    assert_eq!(s.h.state.clock_examined(), built + 2, "only the negotiation that was due");
    assert_eq!(s.h.state.tick().await.unwrap(), 0);
    assert_eq!(s.h.state.clock_examined(), built + 2, "its own write does not make it stale");
}

/// A notifier whose first `failures` sends to each address fail.
#[derive(Debug)]
struct Flaky {
    failures: u32,
    attempts: std::sync::Mutex<std::collections::HashMap<String, u32>>,
    delivered: MemoryNotifier,
}

#[async_trait::async_trait]
impl Notifier for Flaky {
    async fn send(&self, notification: &Notification) -> Result<(), NotifyError> {
        let attempt = {
            let mut attempts = self.attempts.lock().unwrap();
            let count = attempts.entry(notification.to_email.clone()).or_default();
            *count += 1;
            *count
        };
        if attempt <= self.failures {
            return Err(NotifyError::Message { to: notification.to_email.clone(), reason: "relay unavailable".into() });
        }
        self.delivered.send(notification).await
    }
}

/// Reminders are not lost: a send that fails is retried from the outbox
/// with backoff, its error kept, and each reminder is delivered exactly once.
#[tokio::test]
async fn a_reminder_that_fails_twice_is_delivered_exactly_once() {
    let flaky = Arc::new(Flaky { failures: 2, attempts: Default::default(), delivered: MemoryNotifier::new() });
    let config = Config { notifier: Some(flaky.clone()), ..test_config() };
    let s = seat(harness_with(config).await).await;
    post(&s, "mediator", "versions", json!({})).await;
    s.h.clock.set(utc(22, 17));
    s.h.state.tick().await.unwrap();
    s.h.clock.set(utc(22, 20));
    assert_eq!(s.h.state.tick().await.unwrap(), 1, "one reminders_sent event");

    let owing = 4; // us, ua, ru and eu owe version 1 an acknowledgement
    let first = s.h.state.deliver_reminders().await.unwrap();
    assert_eq!(first, Delivery { delivered: 0, retrying: owing, given_up: 0 });
    let queued = s.h.state.store.outbox().await.unwrap();
    assert_eq!(queued.len(), owing);
    assert!(queued.iter().all(|m| m.attempts == 1 && m.last_error.as_deref().is_some_and(|e| e.contains("relay"))));
    assert_eq!(s.h.state.deliver_reminders().await.unwrap(), Delivery::default(), "not before the backoff");

    s.h.clock.advance(backoff(0));
    assert_eq!(s.h.state.deliver_reminders().await.unwrap().retrying, owing, "the second attempt fails too");
    s.h.clock.advance(backoff(1));
    assert_eq!(s.h.state.deliver_reminders().await.unwrap().delivered, owing, "the third succeeds");

    s.h.clock.advance(chrono::Duration::hours(2));
    assert_eq!(s.h.state.deliver_reminders().await.unwrap(), Delivery::default());
    assert!(s.h.state.store.outbox().await.unwrap().is_empty(), "delivered messages leave the outbox");
    let mut parties: Vec<String> = flaky.delivered.sent().into_iter().map(|n| n.to_party).collect();
    parties.sort();
    assert_eq!(parties, ["eu", "ru", "ua", "us"], "each reminder delivered exactly once");
}

/// A mail relay that never answers.
#[derive(Debug)]
struct Hanging;

#[async_trait::async_trait]
impl Notifier for Hanging {
    async fn send(&self, _: &Notification) -> Result<(), NotifyError> {
        std::future::pending().await
    }
}

/// A slow mail relay never stalls phase transitions: the tick only queues
/// reminders, and the delivery that hangs runs apart from it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_tick_completes_while_the_notifier_hangs() {
    let config = Config { notifier: Some(Arc::new(Hanging)), ..test_config() };
    let s = seat(harness_with(config).await).await;
    post(&s, "mediator", "versions", json!({})).await;
    let quickly = std::time::Duration::from_secs(10);
    s.h.clock.set(utc(22, 17));
    tokio::time::timeout(quickly, s.h.state.tick()).await.unwrap().unwrap();
    s.h.clock.set(utc(22, 20));
    let logged = tokio::time::timeout(quickly, s.h.state.tick()).await.unwrap().unwrap();
    assert_eq!(logged, 1, "the reminders are logged and queued");

    let delivering = {
        let state = s.h.state.clone();
        tokio::spawn(async move { state.deliver_reminders().await })
    };
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert!(!delivering.is_finished(), "the relay hangs the delivery");
    // The consultation ends while the relay hangs: the next phase begins on time.
    s.h.clock.set(utc(23, 19));
    let moved = tokio::time::timeout(quickly, s.h.state.tick()).await.expect("the tick waited for the relay").unwrap();
    assert!(moved >= 1, "the phase transition is logged");
    delivering.abort();
    assert_eq!(s.h.state.store.outbox().await.unwrap().len(), 4, "undelivered reminders stay in the outbox");
}
