//! Deadline reminders from the clock's tick: logged once per (phase,
//! deadline), then sent to the parties that still owe the latest version an
//! acknowledgement, and never again for the same deadline.

#![allow(clippy::unwrap_used)] // test code: a panic is a failed test

mod common;

use std::sync::Arc;

use accord_evidence::SigningKey;
use accord_evidence::statement::{Statement, sign_statement_hex};
use accord_server::Config;
use accord_server::notify::{MemoryNotifier, Notification};
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
