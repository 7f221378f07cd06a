//! Operations: `/healthz`, `/readyz`, Prometheus metrics at `/metrics`, and
//! one structured log line per request.
//!
//! Nothing here sees a request's body or a response's content: the metrics
//! and the request log carry the route's template (`/api/negotiations/{id}`),
//! never the concrete path, so no id, party or text reaches them, and the
//! confidentiality policy has nothing to filter.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use crate::AppState;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: String,
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    method: String,
    route: String,
}

/// 0.25 ms to ≈8 s, doubling.
fn latency_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.000_25, 2.0, 16))
}

/// The server's counters. Cheap to update from any task.
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RouteLabels, Histogram>,
    in_flight: Gauge,
    appends: Counter,
    analysis: Histogram,
    /// Set when shutdown begins: `/readyz` then answers 503 so a load
    /// balancer stops sending new requests while the in-flight ones drain.
    draining: AtomicBool,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("accord");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register("http_requests", "HTTP requests answered, by route template and status", requests.clone());
        let latency = Family::<RouteLabels, Histogram>::new_with_constructor(latency_histogram as fn() -> Histogram);
        registry.register("http_request_duration_seconds", "Time to answer, by route template", latency.clone());
        let in_flight = Gauge::default();
        registry.register("http_requests_in_flight", "Requests being answered now", in_flight.clone());
        let appends = Counter::default();
        registry.register("log_appends", "Events appended to negotiation logs by this server", appends.clone());
        let analysis = Histogram::new(exponential_buckets(0.000_25, 2.0, 18));
        registry.register(
            "analysis_duration_seconds",
            "Time to compute an analysis (cache misses only)",
            analysis.clone(),
        );
        Metrics { registry, requests, latency, in_flight, appends, analysis, draining: AtomicBool::new(false) }
    }
}

impl Metrics {
    pub fn appended(&self, events: u64) {
        self.appends.inc_by(events);
    }

    pub fn analysed(&self, seconds: f64) {
        self.analysis.observe(seconds);
    }

    /// From now on `/readyz` reports 503.
    pub fn start_draining(&self) {
        self.draining.store(true, Ordering::SeqCst);
    }

    pub fn draining(&self) -> bool {
        self.draining.load(Ordering::SeqCst)
    }

    /// The Prometheus text exposition.
    pub fn render(&self) -> String {
        let mut out = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }
}

/// `/healthz`, `/readyz` and `/metrics`, outside the API's route table: they
/// need no account and say nothing about any negotiation.
pub fn router() -> axum::Router<AppState> {
    axum::Router::new().route("/healthz", get(healthz)).route("/readyz", get(readyz)).route("/metrics", get(metrics))
}

/// The process is up and answering.
async fn healthz() -> &'static str {
    "ok\n"
}

/// Ready for traffic: the database answers and shutdown has not begun.
async fn readyz(State(app): State<AppState>) -> Response {
    if app.metrics.draining() {
        return (StatusCode::SERVICE_UNAVAILABLE, "draining: shutting down\n").into_response();
    }
    match app.store.negotiations().await {
        Ok(_) => "ready\n".into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "readiness check: the database does not answer");
            (StatusCode::SERVICE_UNAVAILABLE, "the database does not answer\n").into_response()
        }
    }
}

/// `/metrics` answers only with the configured bearer token: its counters
/// (appends, analyses, requests by route) would tell an outsider when a
/// party moved its reservation value or signed. Without a token the route
/// is off and answers 404, like any path that does not exist.
async fn metrics(State(app): State<AppState>, headers: axum::http::HeaderMap) -> Response {
    let Some(expected) = app.config.metrics_token.as_deref() else {
        return crate::error::ApiError::not_found(
            "this page (start the server with --metrics-token to turn /metrics on)",
        )
        .into_response();
    };
    let sent = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    let matches: bool = subtle::ConstantTimeEq::ct_eq(sent.as_bytes(), expected.as_bytes()).into();
    if !matches {
        return crate::error::ApiError::new(
            crate::ErrorCode::Unauthenticated,
            "/metrics needs Authorization: Bearer <metrics token>",
        )
        .into_response();
    }
    let mut response = app.metrics.render().into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/openmetrics-text; version=1.0.0; charset=utf-8"),
    );
    response
}

/// The method as a metrics label: the standard methods by name, anything
/// else as `OTHER`, so a client cannot mint label values (one time series each).
fn method_label(method: &axum::http::Method) -> &'static str {
    use axum::http::Method as M;
    match *method {
        M::GET => "GET",
        M::HEAD => "HEAD",
        M::POST => "POST",
        M::PUT => "PUT",
        M::PATCH => "PATCH",
        M::DELETE => "DELETE",
        M::OPTIONS => "OPTIONS",
        _ => "OTHER",
    }
}

/// One request in flight, for as long as this value lives.
struct InFlight<'a>(&'a Gauge);

impl<'a> InFlight<'a> {
    fn enter(gauge: &'a Gauge) -> Self {
        gauge.inc();
        InFlight(gauge)
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.dec();
    }
}

/// Counts and times every routed request and logs one line for it.
pub async fn track(State(metrics): State<Arc<Metrics>>, request: Request, next: Next) -> Response {
    let route =
        request.extensions().get::<MatchedPath>().map_or_else(|| "(no route)".to_string(), |m| m.as_str().to_string());
    let method = method_label(request.method()).to_string();
    let started = Instant::now();
    // Decremented on drop: a client that disconnects mid-request drops this
    // future, and the gauge must not stay high.
    let in_flight = InFlight::enter(&metrics.in_flight);
    let response = next.run(request).await;
    drop(in_flight);
    let elapsed = started.elapsed();
    let status = response.status().as_u16();
    metrics.requests.get_or_create(&RequestLabels { method: method.clone(), route: route.clone(), status }).inc();
    metrics
        .latency
        .get_or_create(&RouteLabels { method: method.clone(), route: route.clone() })
        .observe(elapsed.as_secs_f64());
    let micros = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX);
    if status >= 500 {
        tracing::error!(target: "accord::http", %method, %route, status, micros, "request failed");
    } else {
        tracing::info!(target: "accord::http", %method, %route, status, micros, "request");
    }
    response
}
