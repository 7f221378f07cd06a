//! The HTTP side of the `accord` client commands: where the server is, which
//! token to send, and how an API problem becomes an error a person can act on.
//!
//! The request and response bodies are `accord_api`'s types (the problem
//! document still `accord_server::api`'s), so the client and the server
//! cannot drift apart silently.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use accord_server::api::Problem;
use anyhow::{Context, anyhow, bail};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// What `accord login` remembers between commands.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientConfig {
    /// The server's base URL, e.g. `http://127.0.0.1:8080`.
    pub server: Option<String>,
    /// A bearer API token (`accord_…`).
    pub token: Option<String>,
    /// The account the token belongs to, for display.
    pub email: Option<String>,
    /// The last log checkpoint seen per negotiation (size and hex root), so a
    /// later checkpoint that does not extend it (a split view) is detected.
    #[serde(default)]
    pub checkpoints: BTreeMap<String, SeenCheckpoint>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeenCheckpoint {
    pub size: u64,
    pub root: String,
}

/// Where the client configuration lives: `$ACCORD_CONFIG`, else
/// `$XDG_CONFIG_HOME/accord/client.toml`, else `~/.config/accord/client.toml`.
pub fn config_path() -> anyhow::Result<PathBuf> {
    if let Some(path) = std::env::var_os("ACCORD_CONFIG") {
        return Ok(PathBuf::from(path));
    }
    let base = match std::env::var_os("XDG_CONFIG_HOME") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => match std::env::var_os("HOME") {
            Some(home) => PathBuf::from(home).join(".config"),
            None => bail!("cannot find a place for the client configuration: set ACCORD_CONFIG or HOME"),
        },
    };
    Ok(base.join("accord").join("client.toml"))
}

impl ClientConfig {
    pub fn load(path: &Path) -> anyhow::Result<ClientConfig> {
        match std::fs::read_to_string(path) {
            Ok(text) => toml::from_str(&text)
                .with_context(|| format!("reading {} (delete it and run `accord login` again)", path.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(ClientConfig::default()),
            Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
        }
    }

    /// Writes the file readable by its owner only: it holds a bearer token.
    pub fn save(&self, path: &Path) -> anyhow::Result<()> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        }
        let text = toml::to_string(self).context("encoding the client configuration")?;
        let temporary = path.with_extension("toml.tmp");
        write_private(&temporary, text.as_bytes()).with_context(|| format!("writing {}", temporary.display()))?;
        std::fs::rename(&temporary, path).with_context(|| format!("writing {}", path.display()))?;
        Ok(())
    }
}

#[cfg(unix)]
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

#[cfg(not(unix))]
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    std::fs::write(path, bytes)
}

/// A connection to one Accord server, with or without a token.
#[derive(Debug)]
pub struct Client {
    base: String,
    token: Option<String>,
    agent: ureq::Agent,
}

impl Client {
    pub fn new(base: &str, token: Option<String>) -> anyhow::Result<Client> {
        let base = base.trim_end_matches('/').to_string();
        if !(base.starts_with("http://") || base.starts_with("https://")) {
            bail!("the server address must start with http:// or https://, got {base:?}");
        }
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(std::time::Duration::from_secs(120)))
            .build()
            .into();
        Ok(Client { base, token, agent })
    }

    /// The client for the signed-in account: the server and token from the
    /// configuration, overridden by `ACCORD_SERVER` / `ACCORD_TOKEN`.
    pub fn from_config(config: &ClientConfig) -> anyhow::Result<Client> {
        let server = std::env::var("ACCORD_SERVER").ok().or_else(|| config.server.clone()).ok_or_else(|| {
            anyhow!("no server: run `accord login --server http://HOST:PORT --email YOU` first (or set ACCORD_SERVER)")
        })?;
        let token = std::env::var("ACCORD_TOKEN").ok().or_else(|| config.token.clone());
        if token.is_none() {
            bail!("not signed in: run `accord login --server {server} --email YOU` first (or set ACCORD_TOKEN)");
        }
        Client::new(&server, token)
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    pub fn get<T: DeserializeOwned>(&self, path: &str) -> anyhow::Result<T> {
        self.send(Method::Get, path, None, None::<&()>)
    }

    /// A GET whose answer is kept byte for byte (a bundle, a log export).
    pub fn get_bytes(&self, path: &str) -> anyhow::Result<Vec<u8>> {
        self.exchange(Method::Get, path, None, None::<&()>)
    }

    /// A write. `if_match` is the log size the decision was based on; the
    /// server refuses the write with a conflict if the log has moved since.
    pub fn send<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        if_match: Option<u64>,
        body: Option<&impl Serialize>,
    ) -> anyhow::Result<T> {
        let bytes = self.exchange(method, path, if_match, body)?;
        let bytes: &[u8] = if bytes.iter().all(u8::is_ascii_whitespace) { b"null" } else { &bytes };
        serde_json::from_slice(bytes).with_context(|| {
            format!("the server's answer to {} {path} is not what this client expects", method.as_str())
        })
    }

    fn exchange(
        &self,
        method: Method,
        path: &str,
        if_match: Option<u64>,
        body: Option<&impl Serialize>,
    ) -> anyhow::Result<Vec<u8>> {
        let url = format!("{}{path}", self.base);
        let authorization = self.token.as_ref().map(|t| format!("Bearer {t}"));
        let if_match = if_match.map(|size| format!("\"{size}\""));
        macro_rules! headers {
            ($request:expr) => {{
                let mut request = $request.header("accept", "application/json");
                if let Some(value) = &authorization {
                    request = request.header("authorization", value);
                }
                if let Some(value) = &if_match {
                    request = request.header("if-match", value);
                }
                request
            }};
        }
        let json = match body {
            Some(body) => Some(serde_json::to_vec(body).context("encoding the request")?),
            None => None,
        };
        let result = match (method, json) {
            (Method::Get, _) => headers!(self.agent.get(&url)).call(),
            (Method::Delete, _) => headers!(self.agent.delete(&url)).call(),
            (Method::Post, body) => {
                headers!(self.agent.post(&url)).content_type("application/json").send(body.unwrap_or_default())
            }
            (Method::Put, body) => {
                headers!(self.agent.put(&url)).content_type("application/json").send(body.unwrap_or_default())
            }
        };
        let mut response = result.map_err(|e| match e {
            ureq::Error::Io(io) => anyhow!("cannot reach the Accord server at {}: {io}", self.base),
            ureq::Error::ConnectionFailed | ureq::Error::HostNotFound => {
                anyhow!("cannot reach the Accord server at {} (is `accord serve` running there?)", self.base)
            }
            other => anyhow!("request to {url} failed: {other}"),
        })?;
        let status = response.status().as_u16();
        let mut bytes = Vec::new();
        response
            .body_mut()
            .as_reader()
            .take(256 << 20)
            .read_to_end(&mut bytes)
            .with_context(|| format!("reading the answer to {} {path}", method.as_str()))?;
        if (200..300).contains(&status) {
            return Ok(bytes);
        }
        Err(match serde_json::from_slice::<Problem>(&bytes) {
            Ok(problem) => ApiFailure { status, problem }.into(),
            Err(_) => anyhow!("{} {path}: HTTP {status}: {}", method.as_str(), String::from_utf8_lossy(&bytes).trim()),
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
    Put,
    Delete,
}

impl Method {
    fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Delete => "DELETE",
        }
    }
}

/// An `application/problem+json` answer, shown as the server's message, its
/// stable code, and every field it names.
#[derive(Debug)]
pub struct ApiFailure {
    pub status: u16,
    pub problem: Problem,
}

impl std::fmt::Display for ApiFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let problem = &self.problem;
        write!(f, "{} (HTTP {}, code {})", problem.detail, self.status, problem.code)?;
        for error in &problem.errors {
            let field = if error.pointer.is_empty() { "(body)" } else { error.pointer.as_str() };
            write!(f, "\n  {field}: {}", error.message)?;
        }
        if problem.code == accord_server::ErrorCode::Conflict.as_str() {
            write!(f, "\n  someone changed the negotiation after you read it: look again, then repeat the command")?;
        }
        Ok(())
    }
}

impl std::error::Error for ApiFailure {}
