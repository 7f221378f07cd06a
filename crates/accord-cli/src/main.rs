//! `accord`: the command-line face of Accord.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod analyze;
mod analyze_extra;
mod check;
mod genius;
mod render;
mod report;
mod serve;

/// Accord: a workbench for mediated, multi-party negotiation of a living agreement.
///
/// A mediator keeps a single negotiating text whose contested provisions carry
/// alternative wordings ("brackets"). Parties say, in confidence, what they can
/// live with; Accord finds what is acceptable to all, the fair packages, and
/// the smallest change that unblocks a deadlock.
#[derive(Debug, Parser)]
#[command(name = "accord", version, propagate_version = true, after_help = EXAMPLES)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

const EXAMPLES: &str = "\
Examples:
  accord check examples/peace-framework.toml
  accord render examples/peace-framework.toml --package territory=freeze
  accord analyze examples/peace-framework.toml --solution repair
  accord import genius path/to/genius-domain -o scenario.toml";

#[derive(Debug, Subcommand)]
enum Command {
    Check(check::Args),
    Render(render::Args),
    Analyze(analyze::Args),
    #[command(subcommand)]
    Import(genius::ImportCommand),
    #[command(subcommand)]
    Export(genius::ExportCommand),
    Serve(serve::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Check(args) => check::run(args),
        Command::Render(args) => render::run(args),
        Command::Analyze(args) => analyze::run(args),
        Command::Import(cmd) => genius::run_import(cmd),
        Command::Export(cmd) => genius::run_export(cmd),
        Command::Serve(args) => serve::run(args),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}
