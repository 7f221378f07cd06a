//! `POST /api/negotiations/{id}/draft/edits`: a batch of drafting edits,
//! all or none, the mediator's alone, refused when the draft moved, and the
//! version diff that reads the restructures it made.
#![allow(clippy::unwrap_used)]

mod common;

use axum::http::{Method, StatusCode};
use common::{Seated, seated};
use serde_json::{Value, json};

async fn draft_base(s: &Seated) -> u64 {
    let r = s.h.get(&format!("/api/negotiations/{}/draft", s.id), &s.auth["mediator"]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let etag = r.headers.get("etag").unwrap().to_str().unwrap();
    etag.trim_matches('"').parse().unwrap()
}

async fn edit(s: &Seated, who: &str, base: u64, edits: Value) -> common::Reply {
    let path = format!("/api/negotiations/{}/draft/edits", s.id);
    s.h.call(Method::POST, &path, &s.auth[who], None, Some(json!({"base": base, "edits": edits}))).await
}

fn ids(draft: &Value) -> Vec<(String, String)> {
    draft["provisions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["id"].as_str().unwrap().to_string(), p["number"].as_str().unwrap().to_string()))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_applies_whole_and_answers_with_the_new_draft() {
    let s = seated().await;
    let base = draft_base(&s).await;
    let edits = json!([
        {"op": "split_provision", "provision": "art-2", "at": "From that hour", "heading": "No use of force"},
        {"op": "merge_provisions", "provisions": ["art-1", "art-2a"]},
        {"op": "add_provision", "after": "art-3", "heading": "Review", "body": "The Parties review this Framework yearly."},
    ]);
    let r = edit(&s, "mediator", base, edits).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let answer = r.json();
    let provisions = ids(&answer["draft"]);
    assert_eq!(provisions[0], ("art-1".to_string(), "1".to_string()));
    assert_eq!(provisions[1], ("art-2".to_string(), "2".to_string()));
    assert_eq!(provisions[3], ("art-3a".to_string(), "3a".to_string()));
    assert!(!provisions.iter().any(|(id, _)| id == "art-2a"), "merged into art-1");
    let merged = answer["draft"]["provisions"][0]["body"].as_str().unwrap();
    assert!(merged.ends_with("From that hour the Parties shall refrain from any use of force on land, at sea and in the air, including strikes on energy and other civilian infrastructure."), "{merged}");
    let size = s.h.size(&s.id, &s.auth["mediator"]).await;
    assert_eq!(answer["log_size"], size);
    assert_eq!(r.headers.get("etag").unwrap().to_str().unwrap(), format!("\"{size}\""));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_edit_writes_nothing_and_names_the_edit_and_provision() {
    let s = seated().await;
    let base = draft_base(&s).await;
    let before = s.h.size(&s.id, &s.auth["mediator"]).await;
    let edits = json!([
        {"op": "remove_provision", "provision": "art-1"},
        {"op": "move_provision", "provision": "art-1", "after": "art-3"},
    ]);
    let r = edit(&s, "mediator", base, edits).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    let problem = r.json();
    assert_eq!(problem["errors"][0]["pointer"], "/edits/1/provision");
    let message = problem["errors"][0]["message"].as_str().unwrap();
    assert!(message.contains("edit 1 (move_provision)") && message.contains("\"art-1\""), "{message}");
    assert_eq!(s.h.size(&s.id, &s.auth["mediator"]).await, before, "the first edit was not written either");

    let r = edit(&s, "mediator", base, json!([{"op": "open_bracket", "provision": "art-2", "span": "the", "issue": "x", "options": [{"id": "a", "label": "A"}]}])).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert_eq!(r.json()["errors"][0]["pointer"], "/edits/0/span");
    let r = edit(&s, "mediator", base, json!([{"op": "explode"}])).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "an unknown op is refused: {}", r.text);
    let too_many: Vec<Value> = (0..=accord_core::limits::MAX_DRAFT_EDITS).map(|_| json!({"op": "renumber"})).collect();
    let r = edit(&s, "mediator", base, Value::Array(too_many)).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert_eq!(r.json()["errors"][0]["pointer"], "/edits");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_on_a_draft_that_moved_is_refused_but_a_comment_since_does_not_count() {
    let s = seated().await;
    let base = draft_base(&s).await;
    // ua comments after the mediator opened the draft: the draft did not move.
    let size = s.h.size(&s.id, &s.auth["ua"]).await;
    let comment = json!({"provision": "art-1", "quote": "", "text": "Fine", "private": false});
    let r = s
        .h
        .call(Method::POST, &format!("/api/negotiations/{}/comments", s.id), &s.auth["ua"], Some(size), Some(comment))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let r = edit(&s, "mediator", base, json!([{"op": "renumber"}])).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    // The renumbering moved the draft: a batch made on the old one is refused.
    let r = edit(&s, "mediator", base, json!([{"op": "remove_provision", "provision": "art-1"}])).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
    let detail = r.json()["detail"].as_str().unwrap().to_string();
    assert!(
        detail.contains("the draft changed since you opened it") && detail.contains("reload and apply your edit again"),
        "{detail}"
    );
    let r = edit(&s, "mediator", 10_000, json!([{"op": "renumber"}])).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "a base ahead of the log: {}", r.text);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_mediator_drafts() {
    let s = seated().await;
    let base = draft_base(&s).await;
    for party in ["ua", "eu", "observer"] {
        let r = edit(&s, party, base, json!([{"op": "remove_provision", "provision": "art-1"}])).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{party}: {}", r.text);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_version_diff_shows_a_split_and_a_merge_as_such() {
    let s = seated().await;
    publish(&s).await;
    let base = draft_base(&s).await;
    let edits = json!([
        {"op": "split_provision", "provision": "art-2", "at": "From that hour"},
        {"op": "merge_provisions", "provisions": ["art-1", "art-3"]},
    ]);
    let r = edit(&s, "mediator", base, edits).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    publish(&s).await;
    let diff = s.h.get(&format!("/api/negotiations/{}/versions/1/diff/2", s.id), &s.auth["observer"]).await;
    assert_eq!(diff.status, StatusCode::OK, "{}", diff.text);
    let diff = diff.json();
    let of = |id: &str| diff["provisions"].as_array().unwrap().iter().find(|p| p["id"] == id).cloned().unwrap();
    assert_eq!(of("art-2")["restructure"], json!({"kind": "split_into", "provisions": ["art-2", "art-2a"]}));
    assert_eq!(of("art-2a")["restructure"], json!({"kind": "split_from", "provisions": ["art-2"]}));
    assert_eq!(of("art-1")["restructure"], json!({"kind": "merged_from", "provisions": ["art-1", "art-3"]}));
    assert_eq!(of("art-3")["restructure"], json!({"kind": "merged_into", "provisions": ["art-1"]}));
    assert_eq!(of("art-3")["lines"], json!([]));
}

async fn publish(s: &Seated) {
    let path = format!("/api/negotiations/{}/versions", s.id);
    let size = s.h.size(&s.id, &s.auth["mediator"]).await;
    let r = s.h.call(Method::POST, &path, &s.auth["mediator"], Some(size), Some(json!({}))).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
}
