//! `accord man`: the manual pages, generated from the same command tree as
//! `--help` (flags, their environment variables, examples).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;

/// Write the manual pages: accord.1, and accord-COMMAND.1 for every command.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  accord man -o target/man && man -l target/man/accord-serve.1
  sudo accord man -o /usr/local/share/man/man1")]
pub struct Args {
    /// The directory to write them into (made if missing).
    #[arg(short, long, value_name = "DIR")]
    pub output: PathBuf,
}

pub fn run(args: Args, command: clap::Command) -> anyhow::Result<ExitCode> {
    std::fs::create_dir_all(&args.output).with_context(|| format!("creating {}", args.output.display()))?;
    clap_mangen::generate_to(command, &args.output)
        .with_context(|| format!("writing the manual pages into {}", args.output.display()))?;
    println!(
        "Wrote the manual pages into {} (read one with: man -l {}/accord.1)",
        args.output.display(),
        args.output.display()
    );
    Ok(ExitCode::SUCCESS)
}
