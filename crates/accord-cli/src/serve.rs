//! `accord serve`: the negotiation service over HTTP.

use std::net::SocketAddr;
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
  accord serve --database postgres://accord@db.internal:5432/accord --bind 0.0.0.0:8080")]
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
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
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
    let state = AppState::new(store, Arc::new(SystemClock), Config::default());
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
    println!("Accord is serving {url}/api/ (OpenAPI: {url}/api/openapi.json); Ctrl-C stops it.");
    let app = router(state).into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
        .context("serving")?;
    Ok(ExitCode::SUCCESS)
}
