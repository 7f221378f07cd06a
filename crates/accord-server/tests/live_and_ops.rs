//! Live updates (server-sent events) and the operations endpoints:
//! `/healthz`, `/readyz` and `/metrics`.
#![allow(clippy::unwrap_used)]

mod common;

use accord_server::Config;
use axum::http::{Method, StatusCode};
use common::{Auth, EventReader, harness, seat};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_member_hears_the_log_grow_and_learns_nothing_else() {
    let s = seat(harness().await).await;
    let path = format!("/api/negotiations/{}/stream", s.id);
    let mut ally = EventReader::open(&s.h, &path, &s.auth["eu"]).await;
    let mut observer = EventReader::open(&s.h, &path, &s.auth["observer"]).await;
    let size = s.h.size(&s.id, &s.auth["mediator"]).await;
    assert_eq!(ally.next_size().await, size, "the first event gives the current size");
    assert_eq!(observer.next_size().await, size);

    // ua records a private stance: the others hear that the log grew, not what it holds.
    let r =
        s.h.call(
            Method::PUT,
            &format!("/api/negotiations/{}/stances/art-1", s.id),
            &s.auth["ua"],
            Some(size),
            Some(json!({"position": "unacceptable", "reason": "stream canary 7c1e"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let event = ally.next().await;
    assert!(event.contains(&format!("data: {{\"size\":{}}}", size + 1)), "{event}");
    assert!(!event.contains("canary") && !event.contains("stance"), "{event}");
    assert_eq!(observer.next_size().await, size + 1);

    // Several writes in a row: sizes only grow, and the last one is heard.
    for k in 0..3 {
        let at = s.h.size(&s.id, &s.auth["mediator"]).await;
        let r =
            s.h.call(
                Method::POST,
                &format!("/api/negotiations/{}/comments", s.id),
                &s.auth["ru"],
                Some(at),
                Some(json!({"provision": "art-1", "text": format!("comment {k}")})),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    }
    let last = s.h.size(&s.id, &s.auth["mediator"]).await;
    let mut heard = size + 1;
    while heard < last {
        let next = ally.next_size().await;
        assert!(next > heard, "sizes only grow: {next} after {heard}");
        heard = next;
    }
    assert_eq!(heard, last);
}

#[tokio::test]
async fn strangers_and_the_anonymous_get_no_stream() {
    let s = seat(harness().await).await;
    let path = format!("/api/negotiations/{}/stream", s.id);
    assert_eq!(s.h.get(&path, &Auth::None).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(s.h.get(&path, &s.auth["stranger"]).await.status, StatusCode::NOT_FOUND);
    assert_eq!(s.h.get("/api/negotiations/no-such-thing/stream", &s.auth["ua"]).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn health_readiness_and_draining() {
    let h = harness().await;
    let r = h.get("/healthz", &Auth::None).await;
    assert_eq!((r.status, r.text.as_str()), (StatusCode::OK, "ok\n"));
    assert_eq!(h.get("/readyz", &Auth::None).await.status, StatusCode::OK);
    h.state.metrics.start_draining();
    let r = h.get("/readyz", &Auth::None).await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(r.text.contains("draining"), "{}", r.text);
    assert_eq!(h.get("/healthz", &Auth::None).await.status, StatusCode::OK, "alive while draining");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_count_requests_appends_and_analyses_by_route_template() {
    let config = Config { metrics_token: Some("metrics-secret".into()), ..Config::for_tests() };
    let s = seat(common::harness_with(config).await).await;
    let metrics = Auth::Bearer("metrics-secret".into());
    let before = s.h.get("/metrics", &metrics).await;
    assert_eq!(before.status, StatusCode::OK);
    let appends_before = counter(&before.text, "accord_log_appends_total");

    let draft = format!("/api/negotiations/{}/draft", s.id);
    for _ in 0..3 {
        assert_eq!(s.h.get(&draft, &s.auth["ua"]).await.status, StatusCode::OK);
    }
    let analysis = s.h.get(&format!("/api/negotiations/{}/analysis", s.id), &s.auth["mediator"]).await;
    assert_eq!(analysis.status, StatusCode::OK, "{}", analysis.text);
    let size = s.h.size(&s.id, &s.auth["mediator"]).await;
    let r =
        s.h.call(
            Method::POST,
            &format!("/api/negotiations/{}/comments", s.id),
            &s.auth["ru"],
            Some(size),
            Some(json!({"provision": "art-1", "text": "metrics"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);

    let text = s.h.get("/metrics", &metrics).await.text;
    let draft_line = "accord_http_requests_total{method=\"GET\",route=\"/api/negotiations/{id}/draft\",status=\"200\"}";
    assert!(counter(&text, draft_line) >= 3.0, "{text}");
    assert_eq!(counter(&text, "accord_log_appends_total"), appends_before + 1.0);
    assert!(counter(&text, "accord_analysis_duration_seconds_count") >= 1.0, "{text}");
    assert!(text.contains("accord_http_request_duration_seconds_bucket"), "{text}");
    // Templates, never concrete paths: no negotiation id, party or account in the metrics.
    assert!(!text.contains(&s.id), "the negotiation id leaked into /metrics");
    assert!(!text.contains("example.org"));
    assert!(text.trim_end().ends_with("# EOF"), "OpenMetrics ends with # EOF");
}

/// `/metrics` tells when parties act, so it is off without a token and
/// answers only to the token; made-up methods share one label.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_need_the_configured_token_and_bound_their_labels() {
    let off = harness().await;
    assert_eq!(off.get("/metrics", &Auth::None).await.status, StatusCode::NOT_FOUND);
    assert_eq!(off.get("/metrics", &Auth::Bearer("guess".into())).await.status, StatusCode::NOT_FOUND);

    let config = Config { metrics_token: Some("metrics-secret".into()), ..Config::for_tests() };
    let h = common::harness_with(config).await;
    assert_eq!(h.get("/metrics", &Auth::None).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(h.get("/metrics", &Auth::Bearer("metrics-secre".into())).await.status, StatusCode::UNAUTHORIZED);
    for i in 0..20 {
        let method = Method::from_bytes(format!("X{i}").as_bytes()).unwrap();
        let r = h.call(method, "/api/negotiations", &Auth::None, None, None).await;
        assert!(r.status.is_client_error(), "{}", r.status);
    }
    let text = h.get("/metrics", &Auth::Bearer("metrics-secret".into())).await.text;
    let methods: std::collections::BTreeSet<&str> =
        text.lines().filter_map(|line| line.split("method=\"").nth(1)?.split('"').next()).collect();
    assert!(methods.len() <= 8, "{methods:?}");
    assert!(methods.contains("OTHER"), "{methods:?}");
}

/// The value of the first sample whose line starts with `name` (0 if absent).
fn counter(text: &str, name: &str) -> f64 {
    text.lines()
        .find(|line| line.starts_with(name) && line[name.len()..].starts_with([' ', '{']))
        .and_then(|line| line.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0)
}
