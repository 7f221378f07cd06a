//! `accord import genius` and `accord export genius`.

use std::process::ExitCode;

/// Bring negotiation domains in from other tools.
#[derive(Debug, clap::Subcommand)]
pub enum ImportCommand {
    /// Not implemented yet.
    Genius {},
}

/// Write negotiation domains out for other tools.
#[derive(Debug, clap::Subcommand)]
pub enum ExportCommand {
    /// Not implemented yet.
    Genius {},
}

pub fn run_import(_cmd: ImportCommand) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`accord import genius` is not implemented yet")
}

pub fn run_export(_cmd: ExportCommand) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`accord export genius` is not implemented yet")
}
