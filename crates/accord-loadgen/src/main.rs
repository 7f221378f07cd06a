//! `accord-loadgen`: load and crash tests against a running `accord serve`.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::{Parser, Subcommand};

mod bench;
mod crash;
mod http;
mod setup;

use bench::Scenario;
use setup::Fixture;

/// The example every run negotiates over unless --example names another scenario file.
const EXAMPLE: &str = include_str!("../../../examples/peace-framework.toml");

/// Load and crash tests for the Accord service, through its HTTP API.
///
/// The generator makes its own accounts (a mediator and one party account,
/// one API token each) and negotiations on the server it is pointed at, so
/// point it at a scratch database, never at one holding real negotiations.
/// Each connection is one HTTP/1.1 keep-alive connection driven by one task,
/// sending its next request as soon as the previous answer is read (a closed
/// loop): throughput is what C such clients achieve, latency is per request.
#[derive(Debug, Parser)]
#[command(
    name = "accord-loadgen",
    version,
    after_help = "\
Examples:
  accord serve --database sqlite:/tmp/load.db --bind 127.0.0.1:8080 &
  accord-loadgen run --server http://127.0.0.1:8080 --scenario text,stances,analysis
  accord-loadgen run --server http://127.0.0.1:8080 --scenario stances --connections 16 --negotiations 4
  accord-loadgen run --server http://127.0.0.1:8080 --scenario analysis-uncached --duration 20

  scripts/load-test [sqlite|postgres]    builds, starts a server, runs the three scenarios at 64 connections
  scripts/crash-test [sqlite|postgres]   kills the server 50 times under marked writes, then checks the log"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Set up negotiations, then run scenarios for a warm-up and a measured window each.
    ///
    /// Prints requests per second and p50/p90/p99/max latency of the 2xx
    /// answers (exact: every sample is kept), and the other answers by status
    /// ("no answer" for a connection that failed). Scenarios:
    ///   text               GET /api/negotiations/{id}/draft as a party (a read)
    ///   stances            PUT /api/negotiations/{id}/stances/{provision} as a party, a durable write;
    ///                      each connection sends the log size its last write returned as If-Match;
    ///                      a 409 (another connection on the same negotiation wrote first) is counted
    ///                      apart and the size re-read
    ///   analysis           GET /api/negotiations/{id}/analysis as the mediator; the server caches the
    ///                      analysis per log size, so this measures the cached path
    ///   analysis-uncached  a stance write, then the analysis of the new log size (computed afresh);
    ///                      the figures are the analysis requests only
    #[command(verbatim_doc_comment)]
    Run(RunArgs),
    /// The crash test's client: set up, drive marked writes, export, check.
    #[command(subcommand)]
    Crash(CrashCommand),
}

#[derive(Debug, clap::Args)]
struct RunArgs {
    /// The server, as `accord serve` prints it: http://HOST:PORT.
    #[arg(long)]
    server: String,

    /// The scenarios to run, one after the other (comma-separated).
    #[arg(long, value_enum, value_delimiter = ',', default_value = "text,stances,analysis")]
    scenario: Vec<Scenario>,

    /// Concurrent connections (each a closed loop: one request in flight at a time).
    #[arg(long, short = 'c', default_value_t = 64)]
    connections: usize,

    /// Negotiations the connections are spread over, round robin (default: one per connection,
    /// so stance writes never conflict; fewer makes connections race for the same log).
    #[arg(long)]
    negotiations: Option<usize>,

    /// Seconds measured per scenario.
    #[arg(long, short = 'd', default_value_t = 10.0)]
    duration: f64,

    /// Seconds run before measuring (connections opened, caches warm), per scenario.
    #[arg(long, default_value_t = 2.0)]
    warmup: f64,

    /// Seconds a request may take before it counts as "no answer".
    #[arg(long, default_value_t = 30.0)]
    timeout: f64,

    /// The scenario file the negotiations are made from (default: the bundled peace-framework example).
    #[arg(long, value_name = "FILE")]
    example: Option<PathBuf>,

    /// The party whose seat the load's party account takes.
    #[arg(long, default_value = "ua")]
    party: String,

    /// Also print each result as a Markdown table row (lines starting with `| `).
    #[arg(long)]
    markdown: bool,
}

#[derive(Debug, Subcommand)]
enum CrashCommand {
    /// Make the accounts and negotiations; write what the other steps need to a state file.
    Setup {
        #[arg(long)]
        server: String,
        #[arg(long)]
        state: PathBuf,
        /// Negotiations the writers share (several writers per negotiation also exercises 409s).
        #[arg(long, default_value_t = 2)]
        negotiations: usize,
        #[arg(long, value_name = "FILE")]
        example: Option<PathBuf>,
    },
    /// Send marked writes (comments and stances) until --stop-file exists. A 2xx appends the
    /// marker to --acked; no answer (or a 5xx) appends it to --unacked. While the server is
    /// down, each writer waits for it to come back and re-reads the log size.
    Drive {
        #[arg(long)]
        state: PathBuf,
        #[arg(long)]
        acked: PathBuf,
        #[arg(long)]
        unacked: PathBuf,
        #[arg(long)]
        stop_file: PathBuf,
        #[arg(long, default_value_t = 4)]
        connections: usize,
    },
    /// Download each negotiation's whole log (as the mediator) into DIR/<id>.json and print the paths.
    Export {
        #[arg(long)]
        state: PathBuf,
        #[arg(long)]
        dir: PathBuf,
    },
    /// Check the exported logs against the journals: every acknowledged write exactly once, no
    /// write twice, none that nobody sent. Prints `acknowledged writes: N, lost: L`; exit 1 on any problem.
    Check {
        #[arg(long)]
        acked: PathBuf,
        #[arg(long)]
        unacked: PathBuf,
        #[arg(required = true)]
        exports: Vec<PathBuf>,
    },
}

fn example_text(path: Option<&PathBuf>) -> anyhow::Result<String> {
    match path {
        Some(path) => std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display())),
        None => Ok(EXAMPLE.to_string()),
    }
}

fn seconds(value: f64, what: &str) -> anyhow::Result<Duration> {
    Duration::try_from_secs_f64(value).map_err(|_| anyhow::anyhow!("{what} must be a non-negative number of seconds"))
}

async fn run(args: RunArgs) -> anyhow::Result<ExitCode> {
    if args.connections == 0 {
        anyhow::bail!("--connections must be at least 1");
    }
    let (duration, warmup, timeout) =
        (seconds(args.duration, "--duration")?, seconds(args.warmup, "--warmup")?, seconds(args.timeout, "--timeout")?);
    if duration.is_zero() {
        anyhow::bail!("--duration must be more than 0 seconds");
    }
    let count = args.negotiations.unwrap_or(args.connections).clamp(1, args.connections);
    let scenario = example_text(args.example.as_ref())?;
    eprintln!("setting up {count} negotiation(s) on {}", args.server);
    let fixture = Arc::new(setup::fixture(&args.server, &scenario, &args.party, count, 4).await?);
    for scenario in args.scenario {
        let outcome = bench::run(scenario, fixture.clone(), args.connections, warmup, duration, timeout).await?;
        print!("{}", outcome.report());
        if args.markdown {
            println!("{}", outcome.row());
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn read_state(path: &PathBuf) -> anyhow::Result<Fixture> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading the state file {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("{} is not a state file from `crash setup`", path.display()))
}

async fn crash(command: CrashCommand) -> anyhow::Result<ExitCode> {
    match command {
        CrashCommand::Setup { server, state, negotiations, example } => {
            let scenario = example_text(example.as_ref())?;
            let fixture = setup::fixture(&server, &scenario, "ua", negotiations.max(1), 1).await?;
            std::fs::write(&state, serde_json::to_vec_pretty(&fixture)?)
                .with_context(|| format!("writing {}", state.display()))?;
            println!("negotiations: {}", fixture.negotiations.join(" "));
        }
        CrashCommand::Drive { state, acked, unacked, stop_file, connections } => {
            let fixture = Arc::new(read_state(&state)?);
            println!("{}", crash::drive(fixture, connections, &acked, &unacked, &stop_file).await?);
        }
        CrashCommand::Export { state, dir } => {
            for file in crash::export(&read_state(&state)?, &dir).await? {
                println!("{}", file.display());
            }
        }
        CrashCommand::Check { acked, unacked, exports } => {
            let verdict = crash::check(&exports, &acked, &unacked)?;
            eprintln!(
                "unacknowledged writes: {} ({} of them committed before the crash)",
                verdict.unacknowledged, verdict.unacknowledged_committed
            );
            println!("acknowledged writes: {}, lost: {}", verdict.acknowledged, verdict.lost.len());
            if !verdict.ok() {
                eprintln!("crash check failed: {}", verdict.problems());
                return Ok(ExitCode::FAILURE);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: starting the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Run(args) => run(args).await,
            Command::Crash(command) => crash(command).await,
        }
    });
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
