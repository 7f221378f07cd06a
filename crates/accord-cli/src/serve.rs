//! `accord serve`: the negotiation service over HTTP.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use accord_server::demo::{DEMO_ACCOUNTS, DEMO_PASSWORD, ensure_demo};
use accord_server::{AppState, Config, SystemClock, router};
use anyhow::Context;

use crate::report::Table;

/// Run the Accord service: the HTTP API under /api/ (OpenAPI at /api/openapi.json).
///
/// Every change is an event in the negotiation's log, stored durably in
/// SQLite (one host) or PostgreSQL (several servers sharing one database);
/// each party sees only what the confidentiality policy allows.
///
/// Every setting can also come from the environment (ACCORD_DATABASE,
/// ACCORD_BIND, …, named under each flag), so a database or SMTP password
/// need not appear on a command line, where `ps` shows it to every user; a
/// flag wins over its variable.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  accord serve --demo
  accord serve --database sqlite:/var/lib/accord/accord.db --bind 0.0.0.0:8080
  ACCORD_DATABASE=postgres://accord:PASSWORD@db.internal:5432/accord accord serve --bind 0.0.0.0:8080
  accord serve --notify outbox:./accord-outbox.jsonl
  accord serve --notify smtp://localhost:25?from=accord@example.org

A hardened systemd unit that reads these variables from a file: deploy/accord.service (docs/deploy.md).")]
pub struct Args {
    /// The database: `sqlite:PATH` or a file path (default `sqlite:./accord.db`; with --demo,
    /// `sqlite:./accord-demo.db`), or `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE`, which any
    /// number of servers may share. Migrations run at start.
    // hide_env_values: --help must not print a password it found in the environment.
    #[arg(long, env = "ACCORD_DATABASE", hide_env_values = true)]
    pub database: Option<String>,

    /// The address to listen on.
    #[arg(long, env = "ACCORD_BIND", default_value = "127.0.0.1:8080")]
    pub bind: SocketAddr,

    /// Load the peace-framework example with a demo account for every party
    /// (created on first run, reused afterwards) and print how to sign in.
    #[arg(long)]
    pub demo: bool,

    /// Where deadline reminders go: `none`; `outbox:PATH`, one JSON line per
    /// reminder, synced before it counts as sent, for an operator or a mail
    /// relay to drain; or an SMTP relay,
    /// `smtp://[USER:PASSWORD@]HOST[:PORT]?from=ADDRESS[&tls=required|opportunistic|none]`
    /// (plain text to a loopback relay, STARTTLS required elsewhere unless tls= says
    /// otherwise) or `smtps://…` (TLS from the start).
    #[arg(long, env = "ACCORD_NOTIFY", hide_env_values = true, default_value = "none", value_name = "URL")]
    pub notify: String,

    /// The file holding the server's Ed25519 key, which signs log checkpoints
    /// (default: next to a SQLite database, `PATH.server-key`; with PostgreSQL,
    /// `./accord-server.key`). Made on first start, readable by its owner only.
    /// Every server sharing a database must use the same key file.
    #[arg(long, env = "ACCORD_SERVER_KEY", value_name = "PATH")]
    pub server_key: Option<PathBuf>,

    /// How the request log is written to standard error: `json`, one object
    /// per line for a log collector; `text` for a person; `auto` (the
    /// default), text when standard error is a terminal and JSON otherwise.
    /// Which lines appear is set by RUST_LOG (default `info`; e.g.
    /// `RUST_LOG=warn`). Log lines carry route templates, statuses and
    /// timings, never a negotiation's content.
    #[arg(long, env = "ACCORD_LOG_FORMAT", value_enum, default_value_t = LogFormat::Auto)]
    pub log_format: LogFormat,

    /// On SIGTERM or Ctrl-C, stop accepting connections, report not ready on
    /// /readyz, and give requests already in flight this many seconds to
    /// finish before exiting.
    #[arg(long, env = "ACCORD_DRAIN_TIMEOUT", default_value_t = 30, value_name = "SECONDS")]
    pub drain_timeout: u64,

    /// Mark the session cookie `Secure`, so browsers send it over HTTPS only.
    /// Use it whenever users reach Accord through TLS (see docs/deploy.md).
    /// From the environment: ACCORD_SECURE_COOKIES=true.
    #[arg(long, env = "ACCORD_SECURE_COOKIES")]
    pub secure_cookies: bool,

    /// The address people reach this server at, e.g.
    /// `https://accord.example.org`. An https URL makes the session cookie
    /// `Secure` (with the `__Host-` prefix) and adds HSTS; behind a proxy it
    /// is the origin that cross-site checks compare with; reminders link to it.
    #[arg(long, env = "ACCORD_PUBLIC_URL", value_name = "URL")]
    pub public_url: Option<url::Url>,

    /// Turn on /metrics for requests that send `Authorization: Bearer TOKEN`.
    /// Without it /metrics answers 404: its counters would tell an outsider
    /// when a party acted. Prefer the environment (ACCORD_METRICS_TOKEN), so
    /// the token stays out of `ps`.
    #[arg(long, env = "ACCORD_METRICS_TOKEN", value_name = "TOKEN", hide_env_values = true)]
    pub metrics_token: Option<String>,

    /// A proxy (load balancer) whose X-Forwarded-For is believed; repeat for
    /// several. Rate limits then count the client's address, not the proxy's.
    #[arg(long = "trusted-proxy", env = "ACCORD_TRUSTED_PROXIES", value_delimiter = ',', value_name = "IP")]
    pub trusted_proxies: Vec<std::net::IpAddr>,

    /// Sign-ups one client address may make at once, then one per
    /// `--sign-up-refill` seconds (each costs a slow password hash).
    #[arg(long, env = "ACCORD_SIGN_UP_BURST", default_value_t = 10, value_name = "N")]
    pub sign_up_burst: u32,

    /// Seconds until a client address may sign up once more.
    #[arg(long, env = "ACCORD_SIGN_UP_REFILL", default_value_t = 60, value_name = "SECONDS")]
    pub sign_up_refill: u32,

    /// Negotiations one account may create (429 `quota_exceeded` beyond).
    #[arg(long, env = "ACCORD_NEGOTIATIONS_PER_ACCOUNT", default_value_t = 100, value_name = "N")]
    pub negotiations_per_account: usize,

    /// Events one negotiation's log may hold (429 `quota_exceeded` beyond;
    /// the clock's own transitions are never refused).
    #[arg(long, env = "ACCORD_EVENTS_PER_NEGOTIATION", default_value_t = 100_000, value_name = "N")]
    pub events_per_negotiation: u64,
}

/// The shape of the log lines on standard error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// Text for a person when standard error is a terminal, JSON otherwise.
    Auto,
    /// One JSON object per line, for a log collector.
    Json,
    /// Plain text for a person.
    Text,
}

impl LogFormat {
    /// Whether lines are JSON, given whether standard error is a terminal.
    fn is_json(self, stderr_is_terminal: bool) -> bool {
        match self {
            LogFormat::Auto => !stderr_is_terminal,
            LogFormat::Json => true,
            LogFormat::Text => false,
        }
    }
}

fn default_key_path(database: &str) -> PathBuf {
    match database.strip_prefix("sqlite:") {
        Some(path) => PathBuf::from(format!("{}.server-key", path.trim_start_matches("//"))),
        None if !database.contains("://") => PathBuf::from(format!("{database}.server-key")),
        None => PathBuf::from("accord-server.key"),
    }
}

/// The server's checkpoint-signing key: a 32-byte seed as hex in a file of
/// its own, so it is never in the database or the log.
fn load_or_create_server_key(path: &Path) -> anyhow::Result<accord_evidence::SigningKey> {
    match std::fs::read_to_string(path) {
        Ok(text) => {
            let seed = accord_evidence::statement::parse_hex::<32>("server key", text.trim())
                .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
            Ok(accord_evidence::SigningKey::from_bytes(&seed))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let mut seed = [0u8; 32];
            getrandom::fill(&mut seed).map_err(|e| anyhow::anyhow!("no randomness for the server key: {e}"))?;
            write_private(path, format!("{}\n", hex::encode(seed)).as_bytes())
                .with_context(|| format!("writing the server key {}", path.display()))?;
            let key = accord_evidence::SigningKey::from_bytes(&seed);
            println!(
                "Made the server key {} (public key {})",
                path.display(),
                hex::encode(key.verifying_key().to_bytes())
            );
            Ok(key)
        }
        Err(e) => Err(e).with_context(|| format!("reading the server key {}", path.display())),
    }
}

#[cfg(unix)]
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

#[cfg(not(unix))]
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    std::fs::write(path, bytes)
}

/// The timetable's transitions happen by themselves: once a second the
/// server logs every phase whose start has come and every window that has
/// lapsed. Writes also apply due transitions first, so a slow tick never
/// lets an action slip into a closed phase.
fn spawn_clock(state: AppState) {
    tokio::spawn(async move {
        let mut interval = tokio::time::interval(std::time::Duration::from_secs(1));
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            interval.tick().await;
            if let Err(e) = state.tick().await {
                tracing::warn!(error = %e.detail, "the timetable clock could not log a transition");
            }
        }
    });
}

/// Deadline reminders leave from the store's outbox, in a task apart from
/// the clock's: a mail relay that is slow or down delays only reminders,
/// which are retried with backoff, never a phase transition.
fn spawn_outbox(state: AppState) {
    if state.config.notifier.is_none() {
        return;
    }
    tokio::spawn(async move {
        let mut interval = tokio::time::interval(std::time::Duration::from_secs(5));
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            interval.tick().await;
            if let Err(e) = state.deliver_reminders().await {
                tracing::warn!(error = %e.detail, "the outbox of reminders could not be read or updated");
            }
        }
    });
}

fn init_logging(format: LogFormat) {
    use std::io::IsTerminal;
    let json = format.is_json(std::io::stderr().is_terminal());
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    // A second initialisation (tests running `serve` twice in one process) keeps the first.
    let _ = if json { builder.json().try_init() } else { builder.try_init() };
}

/// The browser's Argon2id module (npm's hash-wasm), which the key panel loads
/// to open and seal `accord keygen` key files. It is embedded only when
/// scripts/web-deps ran before the build, since third-party JavaScript is not
/// kept in the repository.
const BROWSER_ARGON2_MODULE: &str = "/static/vendor/hash-wasm/index.esm.min.js";

/// Whether this build serves the browser's key-file support: the router is
/// asked in-process, so the answer is exactly what a browser would get.
async fn serves_browser_key_files(app: axum::Router) -> bool {
    use tower::ServiceExt;
    match axum::http::Request::get(BROWSER_ARGON2_MODULE).body(axum::body::Body::empty()) {
        Ok(request) => app.oneshot(request).await.is_ok_and(|response| response.status().is_success()),
        Err(_) => false,
    }
}

/// Resolves when the process is asked to stop: Ctrl-C, or SIGTERM (what
/// service managers and container runtimes send). The handlers are
/// installed when this is called, not when the future is first polled, so a
/// signal sent as soon as the banner is out is never missed.
fn stop_requested() -> std::io::Result<impl std::future::Future<Output = ()>> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut term = signal(SignalKind::terminate())?;
        let mut interrupt = signal(SignalKind::interrupt())?;
        Ok(async move {
            tokio::select! {
                _ = term.recv() => {}
                _ = interrupt.recv() => {}
            }
        })
    }
    #[cfg(not(unix))]
    {
        Ok(async {
            let _ = tokio::signal::ctrl_c().await;
        })
    }
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    init_logging(args.log_format);
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().context("starting the runtime")?;
    runtime.block_on(serve(args))
}

async fn serve(args: Args) -> anyhow::Result<ExitCode> {
    let database = args.database.clone().unwrap_or_else(|| {
        if args.demo { "sqlite:./accord-demo.db".to_string() } else { "sqlite:./accord.db".to_string() }
    });
    // Printed and put in errors without its password.
    let shown = accord_store::redact(&database);
    let store = accord_store::open(&database).await.with_context(|| format!("opening the database {shown}"))?;
    let notifier = accord_server::notify::notifier_from_url(&args.notify).context("reading --notify")?;
    let key_path = args.server_key.clone().unwrap_or_else(|| default_key_path(&database));
    let server_key = load_or_create_server_key(&key_path)?;
    let state = AppState::new(
        store,
        Arc::new(SystemClock),
        Config {
            notifier,
            secure_cookies: args.secure_cookies,
            public_url: args.public_url.clone(),
            metrics_token: args.metrics_token.clone(),
            trusted_proxies: args.trusted_proxies.clone(),
            sign_up_per_ip: (args.sign_up_burst, args.sign_up_refill),
            negotiations_per_account: args.negotiations_per_account,
            events_per_negotiation: args.events_per_negotiation,
            ..Config::default()
        },
    )
    .with_server_key(server_key);
    spawn_clock(state.clone());
    spawn_outbox(state.clone());
    let listener =
        tokio::net::TcpListener::bind(args.bind).await.with_context(|| format!("listening on {}", args.bind))?;
    let address = listener.local_addr().context("reading the bound address")?;
    let url = format!("http://{address}");
    if args.demo {
        let demo = ensure_demo(&state).await.context("setting up the demo")?;
        let verb = if demo.created { "created" } else { "reused" };
        println!("Demo negotiation {} ({verb}) in {shown}", demo.negotiation);
        println!("Sign in with any of these (password for all: {DEMO_PASSWORD}):");
        let mut accounts = Table::new(vec!["email".into(), "party".into(), "role".into()]);
        for (role, party, email) in DEMO_ACCOUNTS {
            accounts.row(vec![email.to_string(), party.to_string(), role.to_string()]);
        }
        print!("{}", accounts.render());
        println!("Then, in another terminal:");
        println!("  accord login --server {url} --email {}", DEMO_ACCOUNTS[1].2);
        println!("  accord negotiation list");
        println!("  accord draft show {}", demo.negotiation);
    }
    if args.notify != "none" {
        println!("Deadline reminders go to {}", accord_server::notify::redact(&args.notify));
    }
    if !serves_browser_key_files(router(state.clone())).await {
        tracing::warn!(
            module = BROWSER_ARGON2_MODULE,
            "this build has no browser key files: the web pages cannot export or import `accord keygen` key files; \
             run scripts/web-deps (npm) before cargo build to include them"
        );
    }
    let stop = stop_requested().context("listening for SIGTERM and Ctrl-C")?;
    println!("Accord is serving {url}/api/ (OpenAPI: {url}/api/openapi.json); Ctrl-C stops it.");
    let metrics = state.metrics.clone();
    let app = router(state).into_make_service_with_connect_info::<SocketAddr>();
    let (stopping_tx, stopping_rx) = tokio::sync::oneshot::channel::<()>();
    let server = axum::serve(listener, app).with_graceful_shutdown(async move {
        stop.await;
        metrics.start_draining();
        tracing::info!("shutting down: no new connections; draining requests in flight");
        let _ = stopping_tx.send(());
    });
    let drain = std::time::Duration::from_secs(args.drain_timeout);
    let deadline = async move {
        if stopping_rx.await.is_ok() {
            tokio::time::sleep(drain).await;
        } else {
            std::future::pending::<()>().await;
        }
    };
    tokio::select! {
        served = server => {
            served.context("serving")?;
            tracing::info!("stopped: every request answered");
            Ok(ExitCode::SUCCESS)
        }
        () = deadline => {
            tracing::warn!(seconds = args.drain_timeout, "stopped with requests still in flight after the drain timeout");
            Ok(ExitCode::FAILURE)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::LogFormat;

    #[test]
    fn auto_logs_text_to_a_terminal_and_json_elsewhere() {
        assert!(!LogFormat::Auto.is_json(true), "a person at a terminal reads text");
        assert!(LogFormat::Auto.is_json(false), "a pipe, a file or a journal gets JSON");
        assert!(LogFormat::Json.is_json(true) && LogFormat::Json.is_json(false));
        assert!(!LogFormat::Text.is_json(true) && !LogFormat::Text.is_json(false));
    }
}
