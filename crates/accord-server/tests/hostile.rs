//! Hostile users, in process: each test sends what an attacker would and
//! asserts the defence (issue: hostile users and hostile input). The same
//! attacks run against a real `accord serve` in `scripts/hostile`.
#![allow(clippy::unwrap_used)]

mod common;

use accord_server::Config;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use common::{Auth, PASSWORD, harness, harness_with};
use serde_json::json;

fn form_post(path: &str, body: &str, headers: &[(&str, &str)]) -> Request<Body> {
    let mut builder =
        Request::builder().method(Method::POST).uri(path).header("content-type", "application/x-www-form-urlencoded");
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    builder.body(Body::from(body.to_string())).unwrap()
}

fn json_post(path: &str, body: serde_json::Value, headers: &[(&str, &str)]) -> Request<Body> {
    let mut builder = Request::builder().method(Method::POST).uri(path).header("content-type", "application/json");
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    builder.body(Body::from(body.to_string())).unwrap()
}

/// Finding 6: a cross-site form posting to /signin (or a script to
/// /api/sessions) would sign the victim's browser into the attacker's account.
#[tokio::test]
async fn cross_site_sign_in_and_sign_up_are_refused() {
    let h = harness().await;
    h.account("attacker@example.org").await;
    let credentials = format!("email=attacker%40example.org&password={}&next=%2F", PASSWORD.replace(' ', "+"));
    for headers in [[("origin", "https://evil.example")], [("sec-fetch-site", "cross-site")], [("origin", "null")]] {
        let r = h.raw(form_post("/signin", &credentials, &headers)).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{headers:?}: {}", r.text);
        assert!(r.headers.get("set-cookie").is_none(), "no session for a forged sign-in");
        assert_eq!(r.headers["content-type"], "application/problem+json");
    }
    let api = json_post(
        "/api/sessions",
        json!({"email": "attacker@example.org", "password": PASSWORD}),
        &[("origin", "https://evil.example")],
    );
    assert_eq!(h.raw(api).await.status, StatusCode::FORBIDDEN);
    let sign_up = form_post(
        "/signup",
        "email=victim%40example.org&password=long+enough+password&display_name=v&next=%2F",
        &[("origin", "https://evil.example"), ("host", "127.0.0.1")],
    );
    assert_eq!(h.raw(sign_up).await.status, StatusCode::FORBIDDEN);

    // The server's own page posting to itself still signs in.
    let same = form_post("/signin", &credentials, &[("origin", "http://127.0.0.1:8080"), ("host", "127.0.0.1:8080")]);
    let r = h.raw(same).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    assert!(r.headers.get("set-cookie").is_some());
}

/// Finding 7: `next=/%09/evil.example` came back as `Location: /\t/evil.example`.
#[tokio::test]
async fn sign_in_only_redirects_to_plain_local_paths() {
    let h = harness().await;
    h.account("someone@example.org").await;
    for (next, expected) in [
        ("%2F%09%2Fevil.example", "/"),
        ("%2F%2Fevil.example", "/"),
        ("https%3A%2F%2Fevil.example", "/"),
        ("%2F%5Cevil.example", "/"),
        ("%2Fn%2Fsome-negotiation%2Ftext", "/n/some-negotiation/text"),
    ] {
        let body = format!("email=someone%40example.org&password={}&next={next}", PASSWORD.replace(' ', "+"));
        let r = h.raw(form_post("/signin", &body, &[])).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{next}: {}", r.text);
        assert_eq!(r.headers["location"], expected, "{next}");
    }
    let newline = h.get("/signin?next=%0A", &Auth::None).await;
    assert_eq!(newline.status, StatusCode::OK);
}

/// Finding 10: pages could be framed and carried no content-security policy.
#[tokio::test]
async fn pages_forbid_framing_and_foreign_scripts() {
    let h = harness().await;
    for path in ["/signin", "/api/openapi.json", "/healthz"] {
        let r = h.get(path, &Auth::None).await;
        let csp = r.headers["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("frame-ancestors 'none'") && csp.contains("script-src 'self'"), "{path}: {csp}");
        assert_eq!(r.headers["x-frame-options"], "DENY", "{path}");
        assert_eq!(r.headers["x-content-type-options"], "nosniff", "{path}");
    }
}

/// Secure, `__Host-` cookies and HSTS whenever the public URL is https.
#[tokio::test]
async fn an_https_public_url_makes_the_session_cookie_secure() {
    let config = Config { public_url: Some("https://accord.example".parse().unwrap()), ..Config::for_tests() };
    let h = harness_with(config).await;
    h.account("secure@example.org").await;
    let r = h
        .call(
            Method::POST,
            "/api/sessions",
            &Auth::None,
            None,
            Some(json!({"email": "secure@example.org", "password": PASSWORD})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let cookie = r.headers["set-cookie"].to_str().unwrap();
    assert!(cookie.starts_with("__Host-accord_session=") && cookie.contains("; Secure"), "{cookie}");
    assert!(r.headers.contains_key("strict-transport-security"));
    // The cookie it set is the one it reads.
    let token = cookie.split(';').next().unwrap().split_once('=').unwrap().1;
    let me = Request::builder().uri("/api/me").header("cookie", format!("__Host-accord_session={token}"));
    assert_eq!(h.raw(me.body(Body::empty()).unwrap()).await.status, StatusCode::OK);
}

/// Finding 4: forty sign-ups in a row were all answered 201.
#[tokio::test]
async fn sign_ups_are_limited_per_address() {
    let config = Config { sign_up_per_ip: (5, 60), ..Config::for_tests() };
    let h = harness_with(config).await;
    let mut statuses = Vec::new();
    for i in 0..8 {
        let body = json!({"email": format!("flood{i}@example.org"), "password": PASSWORD, "display_name": "f"});
        let r = h.call(Method::POST, "/api/accounts", &Auth::None, None, Some(body)).await;
        if r.status == StatusCode::TOO_MANY_REQUESTS {
            assert!(r.headers.contains_key("retry-after"));
            assert_eq!(r.json()["code"], "rate_limited");
        }
        statuses.push(r.status.as_u16());
    }
    assert_eq!(statuses, [201, 201, 201, 201, 201, 429, 429, 429]);
}

/// Finding 3: two invitations for one seat could both be accepted, and the
/// second holder read and changed the party's private data.
#[tokio::test]
async fn a_seat_has_one_holder() {
    let h = harness().await;
    let mediator = h.account("mediator@example.org").await;
    let (first, second) = (h.account("first@example.org").await, h.account("second@example.org").await);
    let created = h
        .call(
            Method::POST,
            "/api/negotiations",
            &mediator,
            None,
            Some(json!({"scenario_toml": common::peace_framework()})),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    let id = created.json()["id"].as_str().unwrap().to_string();
    let write = |auth: &Auth, path: String, body: serde_json::Value| {
        let (h, auth, mediator) = (&h, auth.clone(), mediator.clone());
        let id = id.clone();
        async move {
            // Only a member reads the log; the mediator tells the size.
            let size = h.size(&id, &mediator).await;
            h.call(Method::POST, &path, &auth, Some(size), Some(body)).await
        }
    };
    let invitations = format!("/api/negotiations/{id}/invitations");
    let accept = format!("/api/negotiations/{id}/invitations/accept");
    let mut tokens = Vec::new();
    for _ in 0..2 {
        let r = write(&mediator, invitations.clone(), json!({"party": "ua"})).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        tokens.push(r.json()["token"].as_str().unwrap().to_string());
    }
    // The first invitation died when the second was sent.
    let stale = write(&first, accept.clone(), json!({"token": tokens[0]})).await;
    assert_eq!(stale.status, StatusCode::CONFLICT, "{}", stale.text);
    assert_eq!(stale.json()["code"], "seat_taken");
    let taken = write(&first, accept.clone(), json!({"token": tokens[1]})).await;
    assert_eq!(taken.status, StatusCode::OK, "{}", taken.text);
    // Neither the dead invitation nor a new one seats a second holder.
    let intruder = write(&second, accept.clone(), json!({"token": tokens[0]})).await;
    assert_eq!(intruder.status, StatusCode::CONFLICT, "{}", intruder.text);
    let fresh = write(&mediator, invitations.clone(), json!({"party": "ua"})).await;
    assert!(fresh.status.is_client_error(), "{}", fresh.text);
    let profile = h.get(&format!("/api/negotiations/{id}/profiles/ua"), &second).await;
    assert!(matches!(profile.status, StatusCode::NOT_FOUND | StatusCode::FORBIDDEN), "{}", profile.status);
}

/// Finding 8 (no quotas): one party could grow a negotiation's log without
/// end, a comment at a time. Past the quota writes are refused with 429,
/// reads go on, and a scenario larger than the quota is not created.
#[tokio::test]
async fn a_full_log_refuses_writes_and_keeps_reading() {
    let probe = harness().await;
    let mediator = probe.account("probe@example.org").await;
    let body = json!({"scenario_toml": common::peace_framework()});
    let created = probe.call(Method::POST, "/api/negotiations", &mediator, None, Some(body.clone())).await;
    let creation_events = probe.size(created.json()["id"].as_str().unwrap(), &mediator).await;

    let h = harness_with(Config { events_per_negotiation: creation_events + 2, ..Config::for_tests() }).await;
    let mediator = h.account("mediator@example.org").await;
    let created = h.call(Method::POST, "/api/negotiations", &mediator, None, Some(body)).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    let id = created.json()["id"].as_str().unwrap().to_string();
    let comments = format!("/api/negotiations/{id}/comments");
    let provision = h.get(&format!("/api/negotiations/{id}/draft"), &mediator).await.json()["provisions"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let mut statuses = Vec::new();
    for i in 0..4 {
        let size = h.size(&id, &mediator).await;
        let comment = json!({"provision": provision, "quote": "", "text": format!("comment {i}")});
        let r = h.call(Method::POST, &comments, &mediator, Some(size), Some(comment)).await;
        if r.status == StatusCode::TOO_MANY_REQUESTS {
            assert_eq!(r.json()["code"], "quota_exceeded", "{}", r.text);
        }
        statuses.push(r.status.as_u16());
    }
    assert_eq!(statuses, [201, 201, 429, 429]);
    assert_eq!(h.size(&id, &mediator).await, creation_events + 2, "nothing written past the quota");
    assert_eq!(h.get(&format!("/api/negotiations/{id}/draft"), &mediator).await.status, StatusCode::OK);

    // A scenario that alone exceeds the quota is refused whole.
    let small = harness_with(Config { events_per_negotiation: creation_events - 1, ..Config::for_tests() }).await;
    let mediator = small.account("small@example.org").await;
    let refused = small
        .call(
            Method::POST,
            "/api/negotiations",
            &mediator,
            None,
            Some(json!({"scenario_toml": common::peace_framework()})),
        )
        .await;
    assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS, "{}", refused.text);
    assert_eq!(small.get("/api/negotiations", &mediator).await.json().as_array().map(Vec::len), Some(0));
}

/// Finding 8 (the fold cache was a map never emptied): with a fold cache too
/// small to keep anything, every negotiation is folded again from its log
/// on each request, and every answer is still right.
#[tokio::test]
async fn a_fold_cache_that_keeps_nothing_still_answers_right() {
    let h = harness_with(Config { fold_cache_bytes: 1, ..Config::for_tests() }).await;
    let mediator = h.account("mediator@example.org").await;
    let mut ids = Vec::new();
    for _ in 0..3 {
        let body = json!({"scenario_toml": common::peace_framework()});
        let created = h.call(Method::POST, "/api/negotiations", &mediator, None, Some(body)).await;
        assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
        ids.push(created.json()["id"].as_str().unwrap().to_string());
    }
    let first_size = h.size(&ids[0], &mediator).await;
    let draft = h.get(&format!("/api/negotiations/{}/draft", ids[0]), &mediator).await;
    let provision = draft.json()["provisions"][0]["id"].as_str().unwrap().to_string();
    let comment = json!({"provision": provision, "quote": "", "text": "still folded right"});
    let path = format!("/api/negotiations/{}/comments", ids[0]);
    let r = h.call(Method::POST, &path, &mediator, Some(first_size), Some(comment)).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    for id in &ids {
        assert_eq!(h.get(&format!("/api/negotiations/{id}/draft"), &mediator).await.status, StatusCode::OK);
    }
    assert_eq!(h.size(&ids[0], &mediator).await, first_size + 1);
    let comments = h.get(&path, &mediator).await.json();
    assert!(comments.to_string().contains("still folded right"), "{comments}");
}
