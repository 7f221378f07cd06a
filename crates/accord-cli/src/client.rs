//! The HTTP side of the `accord` client commands: where the server is, which
//! token to send, and how an API problem becomes an error a person can act on.
//!
//! The request and response bodies are `accord_api`'s types (the problem
//! document still `accord_server::api`'s), so the client and the server
//! cannot drift apart silently.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use accord_api::Problem;
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

/// Where the client configuration lives: `$ACCORD_CONFIG`, else the
/// platform's configuration directory (`$XDG_CONFIG_HOME` or `~/.config` on
/// Linux and macOS, `%APPDATA%` on Windows) + `accord/client.toml`. A file at
/// the path earlier versions used (`$XDG_CONFIG_HOME` or `$HOME/.config`,
/// on every platform) is still read and written while the platform's path has
/// none, so an upgrade does not sign anyone out.
pub fn config_path() -> anyhow::Result<PathBuf> {
    if let Some(path) = std::env::var_os("ACCORD_CONFIG") {
        return Ok(PathBuf::from(path));
    }
    let platform = {
        use etcetera::BaseStrategy;
        etcetera::choose_base_strategy().ok().map(|dirs| config_file_under(dirs.config_dir()))
    };
    choose_config_path(platform, legacy_config_path(), |path| path.exists())
        .ok_or_else(|| anyhow!("cannot find a place for the client configuration: set ACCORD_CONFIG or HOME"))
}

/// The configuration's place under a configuration directory.
fn config_file_under(dir: PathBuf) -> PathBuf {
    dir.join("accord").join("client.toml")
}

/// The path of earlier versions: `$XDG_CONFIG_HOME` (any non-empty value)
/// or `$HOME/.config`, then `accord/client.toml`.
fn legacy_config_path() -> Option<PathBuf> {
    let base = match std::env::var_os("XDG_CONFIG_HOME") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => PathBuf::from(std::env::var_os("HOME")?).join(".config"),
    };
    Some(config_file_under(base))
}

/// The platform's path, unless only the legacy path holds a file.
fn choose_config_path(
    platform: Option<PathBuf>,
    legacy: Option<PathBuf>,
    exists: impl Fn(&Path) -> bool,
) -> Option<PathBuf> {
    match (platform, legacy) {
        (Some(platform), Some(legacy)) if !exists(&platform) && exists(&legacy) => Some(legacy),
        (Some(platform), _) => Some(platform),
        (None, legacy) => legacy,
    }
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
        let mut config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(std::time::Duration::from_secs(120)));
        if base.starts_with("https://") {
            let roots = trusted_roots(&platform_roots());
            config = config.tls_config(ureq::tls::TlsConfig::builder().root_certs(roots).build());
        }
        let agent = config.build().into();
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

/// The platform's trusted certificates (on Linux the distribution's bundle,
/// or `SSL_CERT_FILE` / `SSL_CERT_DIR`; the keychain on macOS; the Windows
/// store), where an organisation installs its internal CA. Certificates that
/// cannot be read are skipped: the bundled roots still apply.
fn platform_roots() -> Vec<ureq::tls::Certificate<'static>> {
    let found = rustls_native_certs::load_native_certs();
    found.certs.iter().map(|der| ureq::tls::Certificate::from_der(der.as_ref()).to_owned()).collect()
}

/// The roots a server's certificate may chain to: the bundled Mozilla roots
/// (so a machine with no usable store still reaches public servers) and
/// every platform root (so `accord login` works against an internal CA).
fn trusted_roots(platform: &[ureq::tls::Certificate<'static>]) -> ureq::tls::RootCerts {
    let bundled = webpki_root_certs::TLS_SERVER_ROOT_CERTS
        .iter()
        .map(|der| ureq::tls::Certificate::from_der(der.as_ref()).to_owned());
    bundled.chain(platform.iter().cloned()).into()
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_platform_path_is_used_unless_only_the_old_path_has_a_file() {
        let platform = PathBuf::from("/platform/accord/client.toml");
        let legacy = PathBuf::from("/legacy/accord/client.toml");
        let choose = |existing: &[&PathBuf]| {
            choose_config_path(Some(platform.clone()), Some(legacy.clone()), |p| existing.iter().any(|e| *e == p))
        };
        assert_eq!(choose(&[]), Some(platform.clone()), "a first login writes to the platform's place");
        assert_eq!(choose(&[&legacy]), Some(legacy.clone()), "an existing file keeps working");
        assert_eq!(choose(&[&platform, &legacy]), Some(platform.clone()), "the platform's file wins");
        assert_eq!(choose_config_path(None, Some(legacy.clone()), |_| false), Some(legacy));
        assert_eq!(choose_config_path(None, None, |_| true), None);
    }

    #[test]
    fn trusted_roots_are_the_bundled_ones_and_the_platform_ones() {
        let bundled = webpki_root_certs::TLS_SERVER_ROOT_CERTS.len();
        assert!(bundled > 100, "the Mozilla bundle is there");
        let internal_ca = ureq::tls::Certificate::from_der(b"an internal CA's DER bytes").to_owned();
        match trusted_roots(std::slice::from_ref(&internal_ca)) {
            ureq::tls::RootCerts::Specific(roots) => {
                assert_eq!(roots.len(), bundled + 1);
                assert!(roots.iter().any(|root| root.der() == internal_ca.der()), "the platform's CA is trusted");
                assert_eq!(roots[0].der(), webpki_root_certs::TLS_SERVER_ROOT_CERTS[0].as_ref());
            }
            other => panic!("expected specific roots, got {other:?}"),
        }
    }
}
