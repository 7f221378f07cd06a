//! Defences at the HTTP edge that every route shares: cross-site writes are
//! refused before any handler runs (login CSRF included), every response
//! carries the security headers, and the target of a redirect after sign-in
//! is parsed strictly.
//!
//! Why here and not per handler: a defence a new route can forget is no
//! defence. The session's CSRF token (`auth`) still guards writes made with
//! the cookie; this layer adds what the token cannot: a sign-in or sign-up
//! POST has no session yet, so only the browser's `Origin` and
//! `Sec-Fetch-Site` headers tell a forged one apart.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::AppState;
use crate::ErrorCode;
use crate::auth::ClientAddress;
use crate::error::ApiError;

/// The content-security policy of every response. Scripts only from this
/// origin (`wasm-unsafe-eval` lets the browser compile hash-wasm's Argon2id
/// for key files, and allows no JavaScript `eval`); inline `style`
/// attributes stay allowed because the SVG charts size themselves with one;
/// no page may be framed (clickjacking of the Sign button), no form may post
/// elsewhere, no plugin loads.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; \
     style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; object-src 'none'; \
     base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// Adds the security headers a response does not set itself.
pub async fn security_headers(State(app): State<AppState>, request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    let mut set = |name: header::HeaderName, value: &'static str| {
        if !headers.contains_key(&name) {
            headers.insert(name, HeaderValue::from_static(value));
        }
    };
    set(header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY);
    set(header::X_FRAME_OPTIONS, "DENY");
    set(header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(header::REFERRER_POLICY, "same-origin");
    if app.config.is_https() {
        set(header::STRICT_TRANSPORT_SECURITY, "max-age=31536000");
    }
    response
}

/// Refuses a state-changing request that a browser sent on behalf of another
/// site. Requests without the headers (the command-line client, scripts)
/// pass: they carry no ambient credentials a third site could borrow.
pub async fn same_origin_writes(State(app): State<AppState>, request: Request, next: Next) -> Response {
    if is_safe(request.method()) {
        return next.run(request).await;
    }
    match cross_site(request.headers(), app.config.public_url.as_ref()) {
        Some(reason) => ApiError::new(
            ErrorCode::CsrfFailed,
            format!("{reason}: a form or script on another site may not write here; use this server's own pages"),
        )
        .into_response(),
        None => next.run(request).await,
    }
}

/// Sign-ups (`POST /api/accounts`, `POST /signup`) are limited per client
/// address and overall, before the handler spends a password hash on them.
pub async fn throttle_sign_up(State(app): State<AppState>, request: Request, next: Next) -> Response {
    let route = request.extensions().get::<MatchedPath>().map(MatchedPath::as_str);
    if request.method() == Method::POST && matches!(route, Some("/api/accounts" | "/signup")) {
        let ip = crate::auth::client_ip(request.extensions());
        if let Err(error) = app.limit_sign_up(&ip) {
            return error.into_response();
        }
    }
    next.run(request).await
}

/// Resolves the client's address once for every later reader (rate limits,
/// logs): the connection's peer, or — when the peer is a configured trusted
/// proxy — the last address in `X-Forwarded-For` that is not a trusted proxy.
pub async fn client_address(State(app): State<AppState>, mut request: Request, next: Next) -> Response {
    let peer = request.extensions().get::<ConnectInfo<SocketAddr>>().map(|ConnectInfo(addr)| addr.ip());
    if let Some(peer) = peer {
        let trusted = &app.config.trusted_proxies;
        let client =
            if trusted.contains(&peer) { forwarded_client(request.headers(), trusted).unwrap_or(peer) } else { peer };
        request.extensions_mut().insert(ClientAddress(client));
    }
    next.run(request).await
}

fn forwarded_client(headers: &HeaderMap, trusted: &[IpAddr]) -> Option<IpAddr> {
    let chain: Vec<IpAddr> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(|hop| hop.trim().parse::<IpAddr>())
        .collect::<Result<_, _>>()
        .ok()?;
    // Right to left: the hops our own proxies added, then the first one they
    // did not — everything left of it the client may have made up.
    chain.into_iter().rev().find(|hop| !trusted.contains(hop))
}

/// A handler that panicked answers 500 like any other internal error, and
/// the process goes on serving.
pub fn panic_response(panic: Box<dyn std::any::Any + Send + 'static>) -> Response {
    let what = panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| panic.downcast_ref::<&str>().copied())
        .unwrap_or("a panic");
    tracing::error!(target: "accord::http", panic = %what, "a handler panicked (a bug)");
    ApiError::internal("the server hit a bug answering this request; it has been logged").into_response()
}

fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// Why a request comes from another site, or `None` when it does not.
fn cross_site(headers: &HeaderMap, public_url: Option<&url::Url>) -> Option<&'static str> {
    // Fetch metadata, sent by every current browser: `same-origin` or `none`
    // (typed or bookmarked) are ours; `same-site` may be a sibling subdomain
    // someone else controls.
    if let Some(site) = headers.get("sec-fetch-site") {
        match site.to_str().unwrap_or("") {
            "same-origin" | "none" => {}
            _ => return Some("the request comes from another site (Sec-Fetch-Site)"),
        }
    }
    let origin = headers.get(header::ORIGIN)?;
    let Ok(origin) = origin.to_str() else { return Some("the Origin header is not readable") };
    // An opaque origin (sandboxed frame, `data:` URL) belongs to no site.
    let Ok(origin) = url::Url::parse(origin) else { return Some("the request has an opaque Origin") };
    let ours = match public_url {
        Some(public) => same_origin(&origin, public),
        None => headers
            .get(header::HOST)
            .and_then(|host| host.to_str().ok())
            .is_some_and(|host| authority(&origin).eq_ignore_ascii_case(host)),
    };
    (!ours).then_some("the request's Origin is another site")
}

fn same_origin(a: &url::Url, b: &url::Url) -> bool {
    a.scheme() == b.scheme() && a.host_str() == b.host_str() && a.port_or_known_default() == b.port_or_known_default()
}

/// `host[:port]` of an origin, as a browser puts it in `Host`.
fn authority(origin: &url::Url) -> String {
    let host = origin.host_str().unwrap_or_default();
    match origin.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_string(),
    }
}

/// The local path a sign-in may send the browser on to, or `None`.
///
/// Strict on purpose: an absolute path of unreserved characters and `/`,
/// with an optional query of the same plus `=` and `&`. Anything else —
/// `//host`, `/\host`, a tab or newline (browsers drop them, so
/// `/\t/evil.example` becomes `//evil.example`), percent-escapes, a scheme
/// — is refused rather than cleaned, since every way of cleaning it has
/// been a bypass somewhere.
pub fn local_path(next: &str) -> Option<&str> {
    let (path, query) = match next.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (next, None),
    };
    let unreserved = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_' | '~');
    let path_ok = path.starts_with('/')
        && !path.starts_with("//")
        && path.chars().all(|c| unreserved(c) || c == '/')
        && path.len() <= 2048;
    let query_ok = query.is_none_or(|q| q.chars().all(|c| unreserved(c) || matches!(c, '=' | '&')));
    (path_ok && query_ok).then_some(next)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_accepts_only_plain_local_paths() {
        for good in ["/", "/n/peace-2025/text", "/n/x/versions/2?from=1&to=2", "/n/a_b-c.d~e"] {
            assert_eq!(local_path(good), Some(good), "{good:?}");
        }
        for bad in [
            "//evil.example/",
            "/\t/evil.example",
            "/\n",
            "/\r\nSet-Cookie: x=y",
            "/\\evil",
            "https://evil.example/",
            "evil.example",
            "",
            "/%2F%2Fevil.example",
            "/%09/evil.example",
            "/n/x?next=//evil",
            "/ü",
            "/ /",
        ] {
            assert_eq!(local_path(bad), None, "{bad:?}");
        }
    }

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_static(value));
        }
        map
    }

    #[test]
    fn forwarded_for_is_read_right_to_left_past_trusted_proxies() {
        let proxy: IpAddr = [10, 0, 0, 1].into();
        let spoofed = headers(&[("x-forwarded-for", "6.6.6.6, 203.0.113.7, 10.0.0.1")]);
        assert_eq!(forwarded_client(&spoofed, &[proxy]), Some([203, 0, 113, 7].into()));
        assert_eq!(forwarded_client(&headers(&[("x-forwarded-for", "junk")]), &[proxy]), None);
    }

    #[test]
    fn cross_site_writes_are_told_apart() {
        let ours = headers(&[("host", "127.0.0.1:8080"), ("origin", "http://127.0.0.1:8080")]);
        assert_eq!(cross_site(&ours, None), None);
        // No browser headers at all: the CLI, curl.
        assert_eq!(cross_site(&headers(&[("host", "127.0.0.1:8080")]), None), None);
        let forged = headers(&[("host", "127.0.0.1:8080"), ("origin", "https://evil.example")]);
        assert!(cross_site(&forged, None).is_some());
        let null = headers(&[("host", "127.0.0.1:8080"), ("origin", "null")]);
        assert!(cross_site(&null, None).is_some());
        let fetch_meta = headers(&[("host", "a.example"), ("sec-fetch-site", "cross-site")]);
        assert!(cross_site(&fetch_meta, None).is_some());
        let sibling = headers(&[("host", "a.example"), ("sec-fetch-site", "same-site")]);
        assert!(cross_site(&sibling, None).is_some());
        let typed = headers(&[("host", "a.example"), ("sec-fetch-site", "none")]);
        assert_eq!(cross_site(&typed, None), None);
        // Behind a proxy that rewrites Host, the configured public URL decides.
        let public = url::Url::parse("https://accord.example").ok();
        let proxied = headers(&[("host", "10.0.0.5:8080"), ("origin", "https://accord.example")]);
        assert_eq!(cross_site(&proxied, public.as_ref()), None);
        let other_port = headers(&[("host", "10.0.0.5:8080"), ("origin", "https://accord.example:8443")]);
        assert!(cross_site(&other_port, public.as_ref()).is_some());
    }
}
