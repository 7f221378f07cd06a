//! Behaviour of the API beyond permissions: concurrency, bad input, the
//! scripted session of the issue, proofs checked offline, versions and diffs,
//! comments carried forward, the sign-in rate limit, the error vocabulary.
#![allow(clippy::unwrap_used)]

mod common;

use accord_merkle::{Checkpoint, InclusionProof, leaf_hash};
use accord_server::Config;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use common::{Auth, PASSWORD, seated};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stale_write_gets_409_and_changes_nothing() {
    let s = seated().await;
    let path = format!("/api/negotiations/{}/stances/art-1", s.id);
    let size = s.h.size(&s.id, &s.auth["ua"]).await;
    let ok = s.h.call(Method::PUT, &path, &s.auth["ua"], Some(size), Some(json!({"position": "acceptable"}))).await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.text);
    let stale =
        s.h.call(Method::PUT, &path, &s.auth["ru"], Some(size), Some(json!({"position": "unacceptable"}))).await;
    assert_eq!(stale.status, StatusCode::CONFLICT);
    assert_eq!(stale.json()["code"], "conflict");
    assert_eq!(s.h.size(&s.id, &s.auth["ua"]).await, size + 1, "the stale write must not append");
    let missing = s.h.call(Method::PUT, &path, &s.auth["ru"], None, Some(json!({"position": "unacceptable"}))).await;
    assert_eq!(missing.status.as_u16(), 428);
    assert_eq!(missing.json()["code"], "precondition_required");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_is_a_4xx_with_a_pointer_and_writes_nothing() {
    let s = seated().await;
    let base = format!("/api/negotiations/{}", s.id);
    let size = s.h.size(&s.id, &s.auth["ua"]).await;
    let cases = [
        (format!("{base}/stances/art-1"), json!({"position": "acceptable_if"}), "/conditions"),
        (format!("{base}/stances/art-1"), json!({"position": "maybe"}), "/position"),
        (format!("{base}/stances/art-1"), json!({"position": "acceptable", "colour": "red"}), "/colour"),
        (format!("{base}/profiles/ua/reservations"), json!({"reservation": 7}), "/reservation"),
        (format!("{base}/profiles/ua/reservations"), json!({"reservation": "high"}), "/reservation"),
    ];
    for (path, body, pointer) in cases {
        let method = if path.contains("reservations") { Method::POST } else { Method::PUT };
        let r = s.h.call(method, &path, &s.auth["ua"], Some(size), Some(body.clone())).await;
        assert_eq!(r.status.as_u16(), 422, "{path} {body}: {}", r.text);
        let problem = r.json();
        assert_eq!(problem["code"], "validation_failed");
        assert_eq!(problem["errors"][0]["pointer"], pointer, "{}", r.text);
        assert_eq!(r.headers["content-type"], "application/problem+json");
    }
    // Not JSON, wrong media type, too large.
    let raw = Request::builder()
        .method(Method::PUT)
        .uri(format!("{base}/stances/art-1"))
        .header(
            "authorization",
            match &s.auth["ua"] {
                Auth::Bearer(t) => format!("Bearer {t}"),
                _ => unreachable!(),
            },
        )
        .header("if-match", size.to_string())
        .header("content-type", "application/json")
        .body(Body::from("{\"position\": "))
        .unwrap();
    assert_eq!(s.h.raw(raw).await.status, StatusCode::BAD_REQUEST);
    let huge = json!({"position": "acceptable", "reason": "x".repeat(2 * 1024 * 1024)});
    let r = s.h.call(Method::PUT, &format!("{base}/stances/art-1"), &s.auth["ua"], Some(size), Some(huge)).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", r.text);
    let r = s.h.get(&format!("{base}/proofs/inclusion?index=abc"), &s.auth["ua"]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = s.h.get(&format!("{base}/proofs/inclusion?index=999"), &s.auth["ua"]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = s.h.call(Method::PATCH, &base, &s.auth["ua"], None, None).await;
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
    let r = s.h.get("/api/nowhere", &Auth::None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.json()["code"], "not_found");
    assert_eq!(s.h.size(&s.id, &s.auth["ua"]).await, size, "a failed request wrote");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_writers_lose_no_update() {
    let s = std::sync::Arc::new(seated().await);
    let start = s.h.size(&s.id, &s.auth["ua"]).await;
    let writers = 12;
    let mut tasks = Vec::new();
    for k in 0..writers {
        let s = s.clone();
        tasks.push(tokio::spawn(async move {
            let role = ["ua", "ru", "eu"][k % 3];
            let path = format!("/api/negotiations/{}/comments", s.id);
            let mut conflicts = 0;
            loop {
                let size = s.h.size(&s.id, &s.auth[role]).await;
                let body = json!({"provision": "art-1", "text": format!("writer {k}")});
                let r = s.h.call(Method::POST, &path, &s.auth[role], Some(size), Some(body)).await;
                match r.status {
                    StatusCode::CREATED => return conflicts,
                    StatusCode::CONFLICT => conflicts += 1,
                    other => panic!("writer {k}: {other} {}", r.text),
                }
            }
        }));
    }
    let mut conflicts = 0;
    for task in tasks {
        conflicts += task.await.unwrap();
    }
    assert_eq!(s.h.size(&s.id, &s.auth["ua"]).await, start + writers as u64);
    let comments = s.h.get(&format!("/api/negotiations/{}/comments", s.id), &s.auth["mediator"]).await.json();
    for k in 0..writers {
        assert!(comments.as_array().unwrap().iter().any(|c| c["text"] == format!("writer {k}")), "writer {k} lost");
    }
    println!("{writers} writers, {conflicts} conflicts retried");
}

/// The scripted session of the issue: the mediator creates the negotiation
/// from the example and invites two signatories and an ally; each records
/// stances, one unacceptable; the mediator asks for a repair and gets one;
/// the last event's inclusion is verified offline from the API's answers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scripted_session_ends_with_a_verified_inclusion_proof() {
    let s = seated().await;
    let base = format!("/api/negotiations/{}", s.id);
    for (role, provision, body) in [
        ("ru", "art-4", json!({"position": "acceptable"})),
        ("eu", "art-4", json!({"position": "acceptable"})),
        ("ua", "art-4", json!({"position": "unacceptable", "reason": "No."})),
    ] {
        let size = s.h.size(&s.id, &s.auth[role]).await;
        let r =
            s.h.call(Method::PUT, &format!("{base}/stances/{provision}"), &s.auth[role], Some(size), Some(body)).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    }
    // Counts, not positions, for the other parties.
    let ru_view = s.h.get(&format!("{base}/stances"), &s.auth["ru"]).await.json();
    let art4 = ru_view["counts"].as_array().unwrap().iter().find(|c| c["provision"] == "art-4").unwrap().clone();
    assert!(art4["with_reservations"].as_u64().unwrap() >= 1);
    assert!(ru_view["stances"].as_array().unwrap().iter().all(|st| st["party"] == "ru"));

    let analysis = s.h.get(&format!("{base}/analysis"), &s.auth["mediator"]).await;
    assert_eq!(analysis.status, StatusCode::OK, "{}", analysis.text);
    let analysis = analysis.json();
    let repair = analysis["repair"]["result"].as_object().unwrap_or_else(|| panic!("no repair: {analysis}"));
    assert_eq!(repair["kind"], "repaired", "{analysis}");
    assert!(repair["changes"].as_array().is_some_and(|c| !c.is_empty()), "the draft needed a change: {analysis}");
    for outcome in repair["package"]["outcomes"].as_array().unwrap() {
        assert!(outcome["utility"].is_null(), "the mediator sees gains, not utilities: {outcome}");
    }

    // Offline verification: bytes → leaf hash → inclusion proof → checkpoint.
    let events = s.h.get(&format!("{base}/events"), &s.auth["ua"]).await.json();
    let size = events["log_size"].as_u64().unwrap();
    let last = events["entries"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["position"].as_u64().unwrap(), size - 1);
    let bytes = last["bytes"].as_str().expect("ua may read its own stance event");
    let leaf = leaf_hash(bytes.as_bytes());
    assert_eq!(hex::encode(leaf), last["leaf_hash"]);
    let checkpoint: Checkpoint =
        serde_json::from_str(&s.h.get(&format!("{base}/checkpoint?size={size}"), &s.auth["ua"]).await.text).unwrap();
    let proof: InclusionProof = serde_json::from_str(
        &s.h.get(&format!("{base}/proofs/inclusion?index={}&size={size}", size - 1), &s.auth["ua"]).await.text,
    )
    .unwrap();
    proof.verify(&leaf, &checkpoint).unwrap();
    // A redacted entry (ru's stance, seen by ua) still proves its place by its leaf hash.
    let redacted = events["entries"].as_array().unwrap().iter().find(|e| e["redacted"] == true).unwrap().clone();
    assert!(redacted["bytes"].is_null());
    let index = redacted["position"].as_u64().unwrap();
    let proof: InclusionProof = serde_json::from_str(
        &s.h.get(&format!("{base}/proofs/inclusion?index={index}&size={size}"), &s.auth["ua"]).await.text,
    )
    .unwrap();
    let leaf: [u8; 32] = hex::decode(redacted["leaf_hash"].as_str().unwrap()).unwrap().try_into().unwrap();
    proof.verify(&leaf, &checkpoint).unwrap();
    // And the log only grows: consistency from an older checkpoint.
    let old: Checkpoint =
        serde_json::from_str(&s.h.get(&format!("{base}/checkpoint?size=3"), &s.auth["ua"]).await.text).unwrap();
    let consistency: accord_merkle::ConsistencyProof = serde_json::from_str(
        &s.h.get(&format!("{base}/proofs/consistency?from=3&to={size}"), &s.auth["ua"]).await.text,
    )
    .unwrap();
    consistency.verify(&old, &checkpoint).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn versions_are_released_to_observers_and_diffed_by_word() {
    let s = seated().await;
    let base = format!("/api/negotiations/{}", s.id);
    let m = &s.auth["mediator"];
    assert_eq!(s.h.get(&format!("{base}/draft"), &s.auth["observer"]).await.status, StatusCode::FORBIDDEN);
    let publish = async |expected: StatusCode| {
        let size = s.h.size(&s.id, m).await;
        let r = s.h.call(Method::POST, &format!("{base}/versions"), m, Some(size), None).await;
        assert_eq!(r.status, expected, "{}", r.text);
    };
    publish(StatusCode::CREATED).await;
    let size = s.h.size(&s.id, m).await;
    let draft = s.h.get(&format!("{base}/draft"), m).await.json();
    let territory = draft["issues"].as_array().unwrap().iter().find(|i| i["id"] == "territory").unwrap().clone();
    let current =
        draft["values"].as_array().unwrap().iter().find(|v| v["issue"] == "territory").unwrap()["value"].clone();
    let other = territory["kind"]["options"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["id"].clone())
        .find(|o| *o != current)
        .unwrap();
    let r =
        s.h.call(Method::PUT, &format!("{base}/draft-values/territory"), m, Some(size), Some(json!({"value": other})))
            .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    publish(StatusCode::CREATED).await;
    let versions = s.h.get(&format!("{base}/versions"), &s.auth["observer"]).await.json();
    assert_eq!(versions.as_array().unwrap().len(), 2);
    let diff = s.h.get(&format!("{base}/versions/1/diff/2"), &s.auth["observer"]).await;
    assert_eq!(diff.status, StatusCode::OK, "{}", diff.text);
    let diff = diff.json();
    let changed: Vec<_> = diff["provisions"].as_array().unwrap().iter().filter(|p| p["change"] == "changed").collect();
    assert!(!changed.is_empty(), "{diff}");
    let emphasized = changed[0]["lines"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|l| l["segments"].as_array().unwrap().clone())
        .any(|seg| seg["emphasized"] == true);
    assert!(emphasized, "{diff}");
    // Observers see released text, not the draft or its stances.
    let view = s.h.get(&base, &s.auth["observer"]).await.json();
    assert!(
        view["draft"].is_null() && view["stances"].as_array().unwrap().is_empty() && view["stance_counts"].is_null()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stance_answers_the_wording_read_and_goes_stale_when_it_changes() {
    let s = seated().await;
    let base = format!("/api/negotiations/{}", s.id);
    let (m, ua, ru) = (&s.auth["mediator"], &s.auth["ua"], &s.auth["ru"]);
    let put_provision = |body: &'static str| json!({"number": "X", "heading": "Test", "body": body});
    let size = s.h.size(&s.id, m).await;
    let r =
        s.h.call(Method::PUT, &format!("{base}/provisions/art-x"), m, Some(size), Some(put_provision("Meet monthly.")))
            .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    // Parties answer the released text: each edit reaches them when published.
    let publish = || async {
        let size = s.h.size(&s.id, m).await;
        let r = s.h.call(Method::POST, &format!("{base}/versions"), m, Some(size), Some(json!({}))).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    };
    publish().await;
    let hash_read = |draft: serde_json::Value| {
        let hashes = draft["wording_hashes"].as_array().unwrap().clone();
        hashes.iter().find(|h| h["provision"] == "art-x").unwrap()["wording_hash"].as_str().unwrap().to_string()
    };
    let read = hash_read(s.h.get(&format!("{base}/draft"), ua).await.json());
    let stance_path = format!("{base}/stances/art-x");
    let answer = |hash: &str| json!({"position": "unacceptable", "reason": "too often", "wording_hash": hash});

    // A wording the party never read is refused, and nothing is written.
    let size = s.h.size(&s.id, ua).await;
    let r = s.h.call(Method::PUT, &stance_path, ua, Some(size), Some(answer("00"))).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
    assert_eq!(r.json()["code"], "text_changed");
    assert!(r.json()["detail"].as_str().unwrap().contains("the text of provision \"art-x\" changed since you read it"));
    assert_eq!(s.h.size(&s.id, ua).await, size);

    // The wording read: the stance is pinned to it.
    let r = s.h.call(Method::PUT, &stance_path, ua, Some(size), Some(answer(&read))).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let mine = |stances: serde_json::Value| {
        stances["stances"].as_array().unwrap().iter().find(|v| v["party"] == "ua" && v["provision"] == "art-x").cloned()
    };
    let stance = mine(s.h.get(&format!("{base}/stances"), ua).await.json()).unwrap();
    assert_eq!(stance["stale"], false, "{stance}");
    assert_eq!(stance["detail"]["pin"]["wording_hash"], read.as_str(), "{stance}");
    assert_eq!(stance["detail"]["pin"]["version"], 1, "the version read: {stance}");
    let stale_in = |analysis: serde_json::Value| analysis["stale"].as_array().unwrap().clone();
    assert!(stale_in(s.h.get(&format!("{base}/analysis"), m).await.json()).is_empty());

    // The mediator changes the wording: the stance is stale, for its party and the mediator only.
    let size = s.h.size(&s.id, m).await;
    let r =
        s.h.call(Method::PUT, &format!("{base}/provisions/art-x"), m, Some(size), Some(put_provision("Meet weekly.")))
            .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    // Until published, ua still reads the wording it answered.
    assert_eq!(mine(s.h.get(&format!("{base}/stances"), ua).await.json()).unwrap()["stale"], false);
    publish().await;
    assert_eq!(mine(s.h.get(&format!("{base}/stances"), ua).await.json()).unwrap()["stale"], true);
    assert_eq!(mine(s.h.get(&format!("{base}/stances"), m).await.json()).unwrap()["stale"], true);
    assert!(mine(s.h.get(&format!("{base}/stances"), ru).await.json()).is_none(), "ru never reads ua's stance");
    let expected = json!([{"party": "ua", "provision": "art-x", "pinned_version": 1}]);
    assert_eq!(json!(stale_in(s.h.get(&format!("{base}/analysis"), m).await.json())), expected);
    let ru_analysis = s.h.get(&format!("{base}/analysis"), ru).await;
    if ru_analysis.status == StatusCode::OK {
        assert!(stale_in(ru_analysis.json()).is_empty(), "ru sees no other party's stale stance");
    }

    // Answering the old wording again is refused; answering the new one pins it.
    let size = s.h.size(&s.id, ua).await;
    let r = s.h.call(Method::PUT, &stance_path, ua, Some(size), Some(answer(&read))).await;
    assert_eq!(r.json()["code"], "text_changed", "{}", r.text);
    let reread = hash_read(s.h.get(&format!("{base}/draft"), ua).await.json());
    assert_ne!(reread, read);
    let r = s.h.call(Method::PUT, &stance_path, ua, Some(size), Some(answer(&reread))).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(mine(s.h.get(&format!("{base}/stances"), ua).await.json()).unwrap()["stale"], false);

    // An older client that names no wording answers the current one.
    let size = s.h.size(&s.id, ua).await;
    let r = s.h.call(Method::PUT, &stance_path, ua, Some(size), Some(json!({"position": "acceptable"}))).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let stance = mine(s.h.get(&format!("{base}/stances"), ua).await.json()).unwrap();
    assert_eq!(stance["detail"]["pin"]["wording_hash"], reread.as_str(), "{stance}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_comment_is_carried_forward_and_marked_outdated_when_its_quote_goes() {
    let s = seated().await;
    let base = format!("/api/negotiations/{}", s.id);
    let m = &s.auth["mediator"];
    let size = s.h.size(&s.id, m).await;
    let r =
        s.h.call(
            Method::PUT,
            &format!("{base}/provisions/art-x"),
            m,
            Some(size),
            Some(json!({"number": "X", "heading": "Test", "body": "The parties shall meet monthly."})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    // Parties comment on the text they read: the provision is released first.
    let size = s.h.size(&s.id, m).await;
    let r = s.h.call(Method::POST, &format!("{base}/versions"), m, Some(size), Some(json!({}))).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let size = s.h.size(&s.id, &s.auth["ua"]).await;
    let r =
        s.h.call(
            Method::POST,
            &format!("{base}/comments"),
            &s.auth["ua"],
            Some(size),
            Some(json!({"provision": "art-x", "quote": "meet monthly", "text": "Too often"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let comment =
        |v: serde_json::Value| v.as_array().unwrap().iter().find(|c| c["provision"] == "art-x").unwrap().clone();
    assert_eq!(comment(s.h.get(&format!("{base}/comments"), m).await.json())["outdated"], false);
    let size = s.h.size(&s.id, m).await;
    let r =
        s.h.call(
            Method::PUT,
            &format!("{base}/provisions/art-x"),
            m,
            Some(size),
            Some(json!({"number": "X", "heading": "Test", "body": "The parties shall meet quarterly."})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(comment(s.h.get(&format!("{base}/comments"), m).await.json())["outdated"], true);
    // ua reads the released text, where the quote still stands.
    assert_eq!(comment(s.h.get(&format!("{base}/comments"), &s.auth["ua"]).await.json())["outdated"], false);
}

#[tokio::test]
async fn sign_in_is_rate_limited_per_account() {
    let h = common::harness_with(Config { sign_in_per_account: (3, 60), ..Config::for_tests() }).await;
    h.account("a@example.org").await; // one token request: one attempt used
    let wrong = json!({"email": "a@example.org", "password": "not the password"});
    for _ in 0..2 {
        let r = h.call(Method::POST, "/api/sessions", &Auth::None, None, Some(wrong.clone())).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    }
    let r = h
        .call(
            Method::POST,
            "/api/sessions",
            &Auth::None,
            None,
            Some(json!({"email": "a@example.org", "password": PASSWORD})),
        )
        .await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(r.headers.contains_key("retry-after"));
    h.clock.advance(chrono::Duration::seconds(61));
    let r = h
        .call(
            Method::POST,
            "/api/sessions",
            &Auth::None,
            None,
            Some(json!({"email": "a@example.org", "password": PASSWORD})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invitations_are_one_time_and_expire() {
    let h = common::harness().await;
    let mediator = h.account("m@example.org").await;
    let a = h.account("a@example.org").await;
    let b = h.account("b@example.org").await;
    let r = h
        .call(
            Method::POST,
            "/api/negotiations",
            &mediator,
            None,
            Some(json!({"scenario_toml": common::peace_framework()})),
        )
        .await;
    let id = r.json()["id"].as_str().unwrap().to_string();
    let invite = async |party: &str| {
        let size = h.size(&id, &mediator).await;
        let r = h
            .call(
                Method::POST,
                &format!("/api/negotiations/{id}/invitations"),
                &mediator,
                Some(size),
                Some(json!({"party": party})),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        r.json()["token"].as_str().unwrap().to_string()
    };
    let accept = format!("/api/negotiations/{id}/invitations/accept");
    let token = invite("ua").await;
    assert_eq!(h.call(Method::POST, &accept, &a, None, Some(json!({"token": token}))).await.status, StatusCode::OK);
    let again = h.call(Method::POST, &accept, &b, None, Some(json!({"token": token}))).await;
    assert_eq!(again.status, StatusCode::GONE, "{}", again.text);
    let late = invite("ru").await;
    h.clock.advance(chrono::Duration::days(8));
    let r = h.call(Method::POST, &accept, &b, None, Some(json!({"token": late}))).await;
    assert_eq!(r.status, StatusCode::GONE);
    assert_eq!(r.json()["code"], "invitation_unusable");
}

/// Finding 3 of issue #14: an invitation could not be taken back. The
/// mediator revokes a pending one; redeeming it then answers 410, and the
/// invitation list says it was revoked.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_invitation_cannot_be_redeemed() {
    let h = common::harness().await;
    let mediator = h.account("m@example.org").await;
    let intruder = h.account("x@example.org").await;
    let r = h
        .call(
            Method::POST,
            "/api/negotiations",
            &mediator,
            None,
            Some(json!({"scenario_toml": common::peace_framework()})),
        )
        .await;
    let id = r.json()["id"].as_str().unwrap().to_string();
    let size = h.size(&id, &mediator).await;
    let r = h
        .call(
            Method::POST,
            &format!("/api/negotiations/{id}/invitations"),
            &mediator,
            Some(size),
            Some(json!({"party": "ua"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let token = r.json()["token"].as_str().unwrap().to_string();
    let list = h.get(&format!("/api/negotiations/{id}/invitations"), &mediator).await.json();
    let invitation = list[0]["id"].as_str().unwrap().to_string();
    assert_eq!(list[0]["revoked"], false, "{list}");

    let revoke = format!("/api/negotiations/{id}/invitations/{invitation}");
    let size = h.size(&id, &mediator).await;
    // Only the mediator revokes; a stranger is not told the negotiation exists.
    let r = h.call(Method::DELETE, &revoke, &intruder, Some(size), None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text);
    let r = h.call(Method::DELETE, &revoke, &mediator, Some(size), None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let list = h.get(&format!("/api/negotiations/{id}/invitations"), &mediator).await.json();
    assert_eq!(list[0]["revoked"], true, "{list}");

    let accept = format!("/api/negotiations/{id}/invitations/accept");
    let r = h.call(Method::POST, &accept, &intruder, None, Some(json!({"token": token}))).await;
    assert_eq!(r.status, StatusCode::GONE, "{}", r.text);
    assert_eq!(r.json()["code"], "invitation_unusable");
    let members = h.get(&format!("/api/negotiations/{id}/members"), &mediator).await.json();
    assert!(members.as_array().unwrap().iter().all(|seat| seat["party"] != "ua" || seat["account"].is_null()));

    // Revoking twice is refused, and so is a reference that is not an invitation id.
    let size = h.size(&id, &mediator).await;
    let r = h.call(Method::DELETE, &revoke, &mediator, Some(size), None).await;
    assert_eq!(r.status, StatusCode::GONE, "{}", r.text);
    let r = h.call(Method::DELETE, &format!("{accept}x"), &mediator, Some(size), None).await;
    assert!(r.status.is_client_error(), "{}", r.text);
    let r =
        h.call(Method::DELETE, &format!("/api/negotiations/{id}/invitations/zz"), &mediator, Some(size), None).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text);
}

/// Every `ErrorCode` is documented in docs/api-errors.md with its status,
/// in the enum's order, every documented code is an `ErrorCode`, and every
/// code is used by the server.
#[test]
fn every_error_code_is_documented_and_used() {
    use accord_server::ErrorCode;
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
    let doc = std::fs::read_to_string(format!("{root}/docs/api-errors.md")).unwrap();
    let documented: Vec<String> = doc
        .lines()
        .filter_map(|l| l.strip_prefix("| `"))
        .filter_map(|l| l.split_once('`').map(|(code, _)| code.to_string()))
        .collect();
    let codes: Vec<&str> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
    assert_eq!(documented, codes, "docs/api-errors.md and ErrorCode::ALL disagree");
    for code in ErrorCode::ALL {
        assert!(doc.contains(&format!("| `{code}` | {} |", code.status())), "{code} documented with another status");
    }
    // A code is used when some source outside its definition names its variant.
    let mut source = String::new();
    let mut dirs = vec![std::path::PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/src"))];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else {
                source.push_str(&std::fs::read_to_string(path).unwrap());
            }
        }
    }
    for code in ErrorCode::ALL {
        assert!(source.contains(&format!("ErrorCode::{code:?}")), "code {code} is never used");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redacted_private_event_cannot_be_recovered_by_hashing_guesses() {
    let s = seated().await;
    let size = s.h.size(&s.id, &s.auth["ua"]).await;
    let path = format!("/api/negotiations/{}/profiles/ua/reservations", s.id);
    let r = s.h.call(Method::POST, &path, &s.auth["ua"], Some(size), Some(json!({"reservation": 0.55}))).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let position = r.json()["position"].as_u64().unwrap();

    let events = format!("/api/negotiations/{}/events?from={position}", s.id);
    let seen_by_ru = s.h.get(&events, &s.auth["ru"]).await.json();
    let redacted = &seen_by_ru["entries"][0];
    assert_eq!(redacted["redacted"], true, "{seen_by_ru}");
    let seen_by_ua = s.h.get(&events, &s.auth["ua"]).await.json();
    let bytes = seen_by_ua["entries"][0]["bytes"].as_str().unwrap().to_string();
    let mut event: accord_core::event::Event = serde_json::from_str(&bytes).unwrap();
    assert_eq!(serde_json::to_string(&event).unwrap(), bytes, "the typed event re-serialises to its stored bytes");
    assert_eq!(hex::encode(leaf_hash(bytes.as_bytes())), redacted["leaf_hash"], "the owner's bytes are the leaf");

    // An attacker who knows everything but the salt (actor, time, position,
    // even the exact value) cannot reproduce the leaf hash.
    let salt = event.salt.take().unwrap();
    assert_eq!(salt.len(), 32, "16 random bytes of salt");
    let guess = serde_json::to_vec(&event).unwrap();
    assert_ne!(hex::encode(leaf_hash(&guess)), redacted["leaf_hash"]);
}

/// `(a, b)` gains from a list of `{"a": …, "b": …}` objects.
fn gain_pairs(list: &serde_json::Value) -> Vec<(f64, f64)> {
    list.as_array().unwrap().iter().map(|p| (p["a"].as_f64().unwrap(), p["b"].as_f64().unwrap())).collect()
}

/// Whether `p` is at least as good as `q` on both axes and better on one (beyond the engine's tolerance).
fn dominates(p: (f64, f64), q: (f64, f64)) -> bool {
    let tol = 1e-9;
    p.0 >= q.0 - tol && p.1 >= q.1 - tol && (p.0 > q.0 + tol || p.1 > q.1 + tol)
}

/// Whether some frontier point is at least as good as `q` on both axes.
fn covered(frontier: &[(f64, f64)], q: (f64, f64)) -> bool {
    frontier.iter().any(|p| p.0 >= q.0 - 1e-9 && p.1 >= q.1 - 1e-9)
}

/// The analysis's packages by kind, with their normalised gains for ua and ru.
fn analysis_packages(analysis: &serde_json::Value) -> Vec<(String, serde_json::Value, (f64, f64))> {
    let mut packages: Vec<(String, serde_json::Value)> = analysis["solutions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["package"]["result"].is_object())
        .map(|s| (s["name"].as_str().unwrap().to_string(), s["package"]["result"].clone()))
        .collect();
    for (section, kind) in [("repair", "repaired"), ("improvement", "better")] {
        if analysis[section]["result"]["kind"] == kind {
            packages.push((section.to_string(), analysis[section]["result"]["package"].clone()));
        }
    }
    packages
        .into_iter()
        .map(|(kind, package)| {
            let gain = |party: &str| {
                package["outcomes"].as_array().unwrap().iter().find(|o| o["party"] == party).unwrap()["normalised_gain"]
                    .as_f64()
                    .unwrap()
            };
            let gains = (gain("ua"), gain("ru"));
            (kind, package, gains)
        })
        .collect()
}

/// The Pareto route: the frontier on a pair is non-dominated, ascending in
/// `a`, on the analysis's scale (the suggestions are the analysis's packages
/// at the very gains the analysis reports); the draft is placed on the same
/// scale. While the draft breaks a red line it may beat frontier points; once
/// the repair is adopted, the frontier covers it and it beats none.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pareto_frontier_of_a_pair_is_on_the_analysis_scale() {
    let s = seated().await;
    let base = format!("/api/negotiations/{}", s.id);
    let mediator = &s.auth["mediator"];
    let analysis = s.h.get(&format!("{base}/analysis"), mediator).await.json();
    assert_eq!(analysis["parties"], json!(["ua", "ru"]), "{analysis}");
    let reply = s.h.get(&format!("{base}/analysis/pareto?a=ua&b=ru"), mediator).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    let pareto = reply.json();
    assert_eq!((pareto["a"].as_str(), pareto["b"].as_str()), (Some("ua"), Some("ru")));
    let frontier = gain_pairs(&pareto["frontier"]);
    assert!(frontier.len() >= 2, "{pareto}");
    // Two analysis parties: the projection is the whole frontier.
    assert_eq!(pareto["points_considered"].as_u64().unwrap() as usize, frontier.len(), "{pareto}");
    for pair in frontier.windows(2) {
        assert!(pair[0].0 < pair[1].0 && pair[0].1 > pair[1].1, "not a descending staircase: {pair:?}");
    }
    for (i, p) in frontier.iter().enumerate() {
        assert!(frontier.iter().all(|q| !dominates(*q, *p)), "point {i} {p:?} is dominated");
        // Every party accepts a frontier package: at or above its reservation value, at most its ideal.
        assert!((-1e-9..=1.0 + 1e-9).contains(&p.0) && (-1e-9..=1.0 + 1e-9).contains(&p.1), "{p:?}");
    }

    // The suggestions are the analysis's packages, at the gains the analysis reports.
    let packages = analysis_packages(&analysis);
    let suggestions: Vec<(String, (f64, f64))> = pareto["suggestions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["kind"].as_str().unwrap().to_string(), (s["a"].as_f64().unwrap(), s["b"].as_f64().unwrap())))
        .collect();
    let expected: Vec<(String, (f64, f64))> = packages.iter().map(|(k, _, g)| (k.clone(), *g)).collect();
    assert_eq!(suggestions, expected, "{pareto}");
    assert!(suggestions.iter().any(|(kind, _)| kind == "nash"), "{analysis}");
    for (kind, gains) in suggestions.iter().filter(|(kind, _)| kind != "improvement") {
        // Bargaining solutions and the repair are acceptable to every party: on or under the frontier.
        assert!(covered(&frontier, *gains), "{kind} {gains:?} lies beyond the frontier");
        assert!(frontier.iter().all(|p| !dominates(*gains, *p)), "{kind} {gains:?} beats a frontier point");
    }

    // The draft breaks ua's red line (the repair changes it), so it is no package of the frontier's set.
    let draft = (pareto["draft"]["a"].as_f64().unwrap(), pareto["draft"]["b"].as_f64().unwrap());
    let changes = analysis["repair"]["result"]["changes"].as_array().unwrap();
    assert!(!changes.is_empty(), "{analysis}");
    // Gains are not clamped: below ua's reservation value, ua's is negative.
    assert!(draft.0 < 0.0, "{pareto}");
    let beaten = frontier.iter().filter(|p| dominates(draft, **p)).count();
    println!("the blocked draft at {draft:?} beats {beaten} of {} frontier points", frontier.len());

    // The other order mirrors the frontier.
    let mirrored = s.h.get(&format!("{base}/analysis/pareto?a=ru&b=ua"), mediator).await.json();
    let mut swapped: Vec<(f64, f64)> = gain_pairs(&mirrored["frontier"]).into_iter().map(|(x, y)| (y, x)).collect();
    swapped.reverse();
    assert_eq!(swapped, frontier);
    assert_eq!((mirrored["draft"]["a"].clone(), mirrored["draft"]["b"].clone()), (json!(draft.1), json!(draft.0)));

    // The scenario's stances are unpinned, so they follow the draft as it reads. With the signatories'
    // objections withdrawn (now pinned to the wording each read) and the repair adopted, the draft is acceptable to all: the analysis
    // reports its gains (a repair that changes nothing), the route puts the draft there, the frontier covers it
    // and it beats no frontier point.
    let provisions = s.h.get(&format!("{base}/draft"), mediator).await.json()["provisions"].clone();
    for role in ["ua", "ru"] {
        for provision in provisions.as_array().unwrap() {
            let path = format!("{base}/stances/{}", provision["id"].as_str().unwrap());
            let size = s.h.size(&s.id, &s.auth[role]).await;
            let body = json!({"position": "acceptable"});
            let r = s.h.call(Method::PUT, &path, &s.auth[role], Some(size), Some(body)).await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        }
    }
    let analysis = s.h.get(&format!("{base}/analysis"), mediator).await.json();
    let (_, repaired, repaired_gains) =
        analysis_packages(&analysis).into_iter().find(|(kind, _, _)| kind == "repair").unwrap();
    for change in analysis["repair"]["result"]["changes"].as_array().unwrap() {
        let issue = change["issue"].as_str().unwrap();
        let value = repaired["values"].as_array().unwrap().iter().find(|v| v["issue"] == issue).unwrap()["value"]
            .as_str()
            .unwrap()
            .to_string();
        let value = serde_json::from_str::<serde_json::Value>(&value).unwrap_or(json!(value));
        let size = s.h.size(&s.id, mediator).await;
        let path = format!("{base}/draft-values/{issue}");
        let r = s.h.call(Method::PUT, &path, mediator, Some(size), Some(json!({"value": value}))).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    }
    let analysis = s.h.get(&format!("{base}/analysis"), mediator).await.json();
    assert_eq!(analysis["repair"]["result"]["changes"], json!([]), "the draft is still blocked: {analysis}");
    let (_, _, draft_gains) = analysis_packages(&analysis).into_iter().find(|(kind, _, _)| kind == "repair").unwrap();
    assert_eq!(draft_gains, repaired_gains);
    let after = s.h.get(&format!("{base}/analysis/pareto?a=ua&b=ru"), mediator).await.json();
    let draft = (after["draft"]["a"].as_f64().unwrap(), after["draft"]["b"].as_f64().unwrap());
    assert_eq!(draft, draft_gains, "{after}");
    let frontier = gain_pairs(&after["frontier"]);
    assert!(covered(&frontier, draft), "the acceptable draft {draft:?} lies beyond the frontier {frontier:?}");
    assert!(frontier.iter().all(|p| !dominates(draft, *p)), "the acceptable draft {draft:?} beats a frontier point");

    // Bad pairs: 422 naming the query parameter.
    for (query, pointer) in [
        ("a=eu&b=ru", "/query/a"),
        ("a=nobody&b=ru", "/query/a"),
        ("b=ru", "/query/a"),
        ("a=ua", "/query/b"),
        ("a=ua&b=", "/query/b"),
        ("a=ua&b=ua", "/query/b"),
        ("a=ua&b=un", "/query/b"),
    ] {
        let r = s.h.get(&format!("{base}/analysis/pareto?{query}"), mediator).await;
        assert_eq!(r.status.as_u16(), 422, "{query}: {}", r.text);
        let problem = r.json();
        assert_eq!(problem["code"], "validation_failed", "{query}");
        assert_eq!(problem["errors"][0]["pointer"], pointer, "{query}: {}", r.text);
        assert_eq!(r.headers["content-type"], "application/problem+json");
    }
    // A party asking learns nothing of the pair, whatever the pair.
    let r = s.h.get(&format!("{base}/analysis/pareto?a=nobody&b=ru"), &s.auth["ru"]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_first_key_registration_needs_the_new_keys_proof_of_possession() {
    use accord_evidence::{SigningKey, sign_key_registration};
    let s = seated().await;
    let path = format!("/api/negotiations/{}/keys/ua", s.id);
    let key = SigningKey::from_bytes(&[21; 32]);
    let public_key = hex::encode(key.verifying_key().to_bytes());
    let size = s.h.size(&s.id, &s.auth["ua"]).await;
    let other = SigningKey::from_bytes(&[22; 32]);
    let refused = [
        ("no proof", json!({"public_key": public_key})),
        // A key the server (or anyone) chose, "proved" by another key.
        (
            "another key's proof",
            json!({"public_key": public_key, "signature": sign_key_registration(&other, &s.id, "ua").unwrap()}),
        ),
        (
            "a proof for another seat",
            json!({"public_key": public_key, "signature": sign_key_registration(&key, &s.id, "ru").unwrap()}),
        ),
        (
            "a proof for another negotiation",
            json!({"public_key": public_key, "signature": sign_key_registration(&key, "elsewhere", "ua").unwrap()}),
        ),
        ("a malformed proof", json!({"public_key": public_key, "signature": "zz"})),
    ];
    for (what, body) in refused {
        let r = s.h.call(Method::PUT, &path, &s.auth["ua"], Some(size), Some(body)).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{what}: {}", r.text);
        let problem = r.json();
        assert_eq!(problem["errors"][0]["pointer"], "/signature", "{what}: {problem}");
    }
    assert_eq!(s.h.size(&s.id, &s.auth["ua"]).await, size, "nothing was written");
    let proof = sign_key_registration(&key, &s.id, "ua").unwrap();
    let ok =
        s.h.call(
            Method::PUT,
            &path,
            &s.auth["ua"],
            Some(size),
            Some(json!({"public_key": public_key, "signature": proof})),
        )
        .await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.text);
    // The proof is in the log, where the verifier reads it.
    let events = s.h.get(&format!("/api/negotiations/{}/events", s.id), &s.auth["ua"]).await.json();
    let logged = events.to_string();
    assert!(logged.contains(&proof), "{logged}");
}
