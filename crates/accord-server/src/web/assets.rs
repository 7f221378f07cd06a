//! The files under `static/`, embedded at build time (see build.rs).

use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/static_files.rs"));
}

pub(crate) fn content_type(path: &str) -> &'static str {
    let extension = path.rsplit_once('.').map_or("", |(_, e)| e);
    match extension.to_ascii_lowercase().as_str() {
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "svg" => "image/svg+xml",
        "json" | "map" => "application/json",
        "wasm" => "application/wasm",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        "txt" => "text/plain; charset=utf-8",
        "html" => "text/html; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// The embedded file at `path` (relative to `static/`).
pub(crate) fn file(path: &str) -> Option<&'static [u8]> {
    embedded::FILES.iter().find(|(name, _)| *name == path).map(|(_, bytes)| *bytes)
}

pub(crate) async fn static_file(Path(path): Path<String>) -> Response {
    match file(&path) {
        Some(bytes) => (
            [
                (header::CONTENT_TYPE, content_type(&path)),
                // Not fingerprinted, so browsers revalidate rather than keep a stale script.
                (header::CACHE_CONTROL, "no-cache"),
                (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            ],
            bytes,
        )
            .into_response(),
        None => (StatusCode::NOT_FOUND, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], "no such file")
            .into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stylesheet_is_embedded_and_typed() {
        assert!(file("css/site.css").is_some_and(|b| !b.is_empty()));
        assert_eq!(content_type("css/site.css"), "text/css; charset=utf-8");
        assert_eq!(content_type("js/live.js"), "text/javascript; charset=utf-8");
        assert_eq!(content_type("vendor/x.WASM"), "application/wasm");
        assert!(file("../Cargo.toml").is_none());
    }
}
