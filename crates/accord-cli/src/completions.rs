//! `accord completions`: tab completion for the shells, generated from the
//! same command tree as `--help`, so it never lags behind a new flag.

use std::process::ExitCode;

use clap_complete::Shell;

/// Print the tab-completion script for a shell.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Install (the script goes to standard output):
  bash: accord completions bash > ~/.local/share/bash-completion/completions/accord
  zsh:  accord completions zsh > ~/.zfunc/_accord   (with fpath+=(~/.zfunc) before compinit in ~/.zshrc)
  fish: accord completions fish > ~/.config/fish/completions/accord.fish")]
pub struct Args {
    /// The shell.
    #[arg(value_enum)]
    pub shell: Shell,
}

pub fn run(args: Args, mut command: clap::Command) -> anyhow::Result<ExitCode> {
    let name = command.get_name().to_string();
    clap_complete::generate(args.shell, &mut command, name, &mut std::io::stdout());
    Ok(ExitCode::SUCCESS)
}
