//! One HTTP/1.1 keep-alive connection per simulated client.
//!
//! A pool would hide what the benchmark is about (how many connections the
//! server holds at once), so each worker owns exactly one connection and
//! reconnects only after a failure.

use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::{self, SendRequest};
use hyper::header::{AUTHORIZATION, CONTENT_TYPE, ETAG, HOST, IF_MATCH};
use hyper::{Method, Request};
use hyper_util::rt::TokioIo;
use serde::Serialize;
use serde::de::DeserializeOwned;

/// A request that ended without an HTTP answer: the server may or may not
/// have acted on it (the crash test counts these as unacknowledged).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct NoAnswer(pub String);

#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    /// The log size in the ETag (`"12"`), when there is one.
    pub etag: Option<u64>,
    pub body: Bytes,
}

impl Reply {
    pub fn ok(&self) -> bool {
        (200..300).contains(&self.status)
    }

    pub fn json<T: DeserializeOwned>(&self) -> anyhow::Result<T> {
        serde_json::from_slice(&self.body).map_err(|e| {
            anyhow::anyhow!(
                "unexpected body ({e}) with status {}: {}",
                self.status,
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    /// Fails with the server's problem document unless the status is 2xx.
    pub fn expect_ok(self, what: &str) -> anyhow::Result<Reply> {
        if self.ok() {
            Ok(self)
        } else {
            anyhow::bail!("{what}: HTTP {}: {}", self.status, String::from_utf8_lossy(&self.body))
        }
    }
}

/// Where the server listens: `host:port`, from a URL such as `http://127.0.0.1:8080/api/`.
pub fn authority(server: &str) -> anyhow::Result<String> {
    let rest = server.strip_prefix("http://").ok_or_else(|| {
        anyhow::anyhow!("--server must be an http:// URL such as http://127.0.0.1:8080 (TLS is not supported)")
    })?;
    let authority = rest.split('/').next().unwrap_or_default();
    if authority.is_empty() {
        anyhow::bail!("--server {server:?} names no host");
    }
    Ok(authority.to_string())
}

#[derive(Debug)]
pub struct Conn {
    authority: String,
    timeout: Duration,
    sender: Option<SendRequest<Full<Bytes>>>,
}

impl Conn {
    pub fn new(authority: &str, timeout: Duration) -> Conn {
        Conn { authority: authority.to_string(), timeout, sender: None }
    }

    async fn connect(&self) -> Result<SendRequest<Full<Bytes>>, NoAnswer> {
        let stream = tokio::net::TcpStream::connect(&self.authority)
            .await
            .map_err(|e| NoAnswer(format!("connecting to {}: {e}", self.authority)))?;
        // Requests are small and latency is what is measured: no Nagle delay.
        stream.set_nodelay(true).map_err(|e| NoAnswer(format!("TCP_NODELAY: {e}")))?;
        let (sender, connection) =
            http1::handshake(TokioIo::new(stream)).await.map_err(|e| NoAnswer(format!("HTTP handshake: {e}")))?;
        tokio::spawn(async move {
            // The connection ends when the sender is dropped or the server goes away;
            // the failed request reports the latter.
            let _ = connection.await;
        });
        Ok(sender)
    }

    /// Sends one request and reads the whole answer. After a failure the
    /// connection is dropped and the next call opens a new one.
    pub async fn send(
        &mut self,
        method: Method,
        path: &str,
        token: Option<&str>,
        if_match: Option<u64>,
        body: Option<Vec<u8>>,
    ) -> Result<Reply, NoAnswer> {
        let outcome = tokio::time::timeout(self.timeout, self.send_inner(method, path, token, if_match, body)).await;
        let result = match outcome {
            Ok(result) => result,
            Err(_) => Err(NoAnswer(format!("no answer within {:?}", self.timeout))),
        };
        if result.is_err() {
            self.sender = None;
        }
        result
    }

    async fn send_inner(
        &mut self,
        method: Method,
        path: &str,
        token: Option<&str>,
        if_match: Option<u64>,
        body: Option<Vec<u8>>,
    ) -> Result<Reply, NoAnswer> {
        if self.sender.as_ref().is_none_or(|s| s.is_closed()) {
            self.sender = Some(self.connect().await?);
        }
        let Some(sender) = self.sender.as_mut() else { return Err(NoAnswer("not connected".into())) };
        sender.ready().await.map_err(|e| NoAnswer(format!("connection lost: {e}")))?;
        let mut request = Request::builder().method(method).uri(path).header(HOST, &self.authority);
        if let Some(token) = token {
            request = request.header(AUTHORIZATION, format!("Bearer {token}"));
        }
        if let Some(size) = if_match {
            request = request.header(IF_MATCH, format!("\"{size}\""));
        }
        let has_body = body.is_some();
        if has_body {
            request = request.header(CONTENT_TYPE, "application/json");
        }
        let request = request
            .body(Full::new(Bytes::from(body.unwrap_or_default())))
            .map_err(|e| NoAnswer(format!("building the request: {e}")))?;
        let response = sender.send_request(request).await.map_err(|e| NoAnswer(format!("{path}: {e}")))?;
        let status = response.status().as_u16();
        let etag = response
            .headers()
            .get(ETAG)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim_start_matches("W/").trim_matches('"').parse().ok());
        let body = response
            .into_body()
            .collect()
            .await
            .map_err(|e| NoAnswer(format!("{path}: reading the body: {e}")))?
            .to_bytes();
        Ok(Reply { status, etag, body })
    }

    pub async fn get(&mut self, path: &str, token: &str) -> Result<Reply, NoAnswer> {
        self.send(Method::GET, path, Some(token), None, None).await
    }

    pub async fn write<T: Serialize>(
        &mut self,
        method: Method,
        path: &str,
        token: Option<&str>,
        if_match: Option<u64>,
        body: &T,
    ) -> Result<Reply, NoAnswer> {
        let bytes = serde_json::to_vec(body).map_err(|e| NoAnswer(format!("encoding the body: {e}")))?;
        self.send(method, path, token, if_match, Some(bytes)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn authority_accepts_the_url_accord_serve_prints() {
        assert_eq!(authority("http://127.0.0.1:8080/api/").unwrap(), "127.0.0.1:8080");
        assert_eq!(authority("http://localhost:9").unwrap(), "localhost:9");
        assert!(authority("https://example.org").is_err());
        assert!(authority("http:///api").is_err());
    }
}
