//! `accord serve`: the negotiation service over HTTP.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use accord_server::demo::{DEMO_ACCOUNTS, DEMO_PASSWORD, ensure_demo};
use accord_server::{AppState, Config, SystemClock, router};
use anyhow::Context;

/// Run the Accord service: the HTTP API under /api/ (OpenAPI at /api/openapi.json).
///
/// Every change is an event in the negotiation's log, stored durably in
/// SQLite (one host) or PostgreSQL (several servers sharing one database);
/// each party sees only what the confidentiality policy allows.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  accord serve --demo
  accord serve --database sqlite:/var/lib/accord/accord.db --bind 0.0.0.0:8080
  accord serve --database postgres://accord@db.internal:5432/accord --bind 0.0.0.0:8080
  accord serve --notify outbox:./accord-outbox.jsonl
  accord serve --notify smtp://localhost:25?from=accord@example.org")]
pub struct Args {
    /// The database: `sqlite:PATH` or a file path (default `sqlite:./accord.db`; with --demo,
    /// `sqlite:./accord-demo.db`), or `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE`, which any
    /// number of servers may share. Migrations run at start.
    #[arg(long)]
    pub database: Option<String>,

    /// The address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
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
    #[arg(long, default_value = "none", value_name = "URL")]
    pub notify: String,

    /// The file holding the server's Ed25519 key, which signs log checkpoints
    /// (default: next to a SQLite database, `PATH.server-key`; with PostgreSQL,
    /// `./accord-server.key`). Made on first start, readable by its owner only.
    /// Every server sharing a database must use the same key file.
    #[arg(long, value_name = "PATH")]
    pub server_key: Option<PathBuf>,

    /// How the request log is written to standard error: `json`, one object
    /// per line for a log collector, or `text` for a person. Which lines
    /// appear is set by RUST_LOG (default `info`; e.g. `RUST_LOG=warn`).
    /// Log lines carry route templates, statuses and timings, never a
    /// negotiation's content.
    #[arg(long, default_value = "json", value_parser = ["json", "text"])]
    pub log_format: String,

    /// On SIGTERM or Ctrl-C, stop accepting connections, report not ready on
    /// /readyz, and give requests already in flight this many seconds to
    /// finish before exiting.
    #[arg(long, default_value_t = 30, value_name = "SECONDS")]
    pub drain_timeout: u64,

    /// Mark the session cookie `Secure`, so browsers send it over HTTPS only.
    /// Use it whenever users reach Accord through TLS (see docs/deploy.md).
    #[arg(long)]
    pub secure_cookies: bool,
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

fn init_logging(format: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    // A second initialisation (tests running `serve` twice in one process) keeps the first.
    let _ = if format == "json" { builder.json().try_init() } else { builder.try_init() };
}

/// Resolves when the process is asked to stop: Ctrl-C, or SIGTERM (what
/// service managers and container runtimes send).
async fn stop_requested() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    init_logging(&args.log_format);
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
        Config { notifier, secure_cookies: args.secure_cookies, ..Config::default() },
    )
    .with_server_key(server_key);
    spawn_clock(state.clone());
    let listener =
        tokio::net::TcpListener::bind(args.bind).await.with_context(|| format!("listening on {}", args.bind))?;
    let address = listener.local_addr().context("reading the bound address")?;
    let url = format!("http://{address}");
    if args.demo {
        let demo = ensure_demo(&state).await.context("setting up the demo")?;
        let verb = if demo.created { "created" } else { "reused" };
        println!("Demo negotiation {} ({verb}) in {shown}", demo.negotiation);
        println!("Sign in with any of these (password for all: {DEMO_PASSWORD}):");
        for (role, party, email) in DEMO_ACCOUNTS {
            println!("  {email:<32} {party:<3} {role}");
        }
        println!("Then, in another terminal:");
        println!("  accord login --server {url} --email {}", DEMO_ACCOUNTS[1].2);
        println!("  accord negotiation list");
        println!("  accord draft show {}", demo.negotiation);
    }
    if args.notify != "none" {
        println!("Deadline reminders go to {}", accord_server::notify::redact(&args.notify));
    }
    println!("Accord is serving {url}/api/ (OpenAPI: {url}/api/openapi.json); Ctrl-C stops it.");
    let metrics = state.metrics.clone();
    let app = router(state).into_make_service_with_connect_info::<SocketAddr>();
    let (stopping_tx, stopping_rx) = tokio::sync::oneshot::channel::<()>();
    let server = axum::serve(listener, app).with_graceful_shutdown(async move {
        stop_requested().await;
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
