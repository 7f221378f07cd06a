//! `accord`: the command-line face of Accord.

use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};

mod analyze;
mod analyze_extra;
mod backup;
mod check;
mod client;
mod completions;
mod draft_diff;
mod drafting;
mod evidence;
mod export_scenario;
mod genius;
mod import_text;
mod man;
mod remote;
mod render;
mod report;
mod scenario_out;
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
  accord import genius path/to/genius-domain -o scenario.toml

With a server (accord serve --demo prints demo accounts):
  accord login --email ua@demo.accord.invalid
  accord negotiation list
  accord draft show peace-framework
  accord draft edit peace-framework
  accord provision split peace-framework art-5 --at \"The parties shall\"
  accord stance set peace-framework art-2 unacceptable --reason \"no withdrawal\"
  accord log verify peace-framework";

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
    /// Sign in to a server and keep an API token for the commands below.
    Login(remote::LoginArgs),
    /// Create an account on a server and sign in with it.
    Signup(remote::SignupArgs),
    /// Revoke the kept API token and forget it.
    Logout,
    /// Which account the kept token belongs to.
    Whoami,
    #[command(subcommand)]
    Negotiation(remote::NegotiationCommand),
    #[command(subcommand)]
    Draft(remote::DraftCommand),
    #[command(subcommand)]
    Provision(drafting::ProvisionCommand),
    #[command(subcommand)]
    Bracket(drafting::BracketCommand),
    #[command(subcommand)]
    Stance(remote::StanceCommand),
    #[command(subcommand)]
    Comment(remote::CommentCommand),
    #[command(subcommand)]
    Reservation(remote::ReservationCommand),
    #[command(subcommand)]
    Log(remote::LogCommand),
    /// Make a signing key pair, the private half sealed under a passphrase.
    Keygen(evidence::KeygenArgs),
    /// Register, rotate or list parties' public keys.
    #[command(subcommand)]
    Key(evidence::KeyCommand),
    Ack(evidence::AckArgs),
    Sign(evidence::SignArgs),
    #[command(subcommand)]
    Phase(evidence::PhaseCommand),
    /// Who acknowledged (and signed) which version, and when.
    Engagement {
        id: String,
    },
    Bundle(evidence::BundleArgs),
    Verify(evidence::VerifyArgs),
    /// Check a full log export offline: every leaf hash, the roots at each checkpoint, consistency, every signature.
    VerifyLog(evidence::VerifyArgs),
    Backup(backup::BackupArgs),
    Restore(backup::RestoreArgs),
    Completions(completions::Args),
    Man(man::Args),
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
        Command::Login(args) => remote::login(args),
        Command::Signup(args) => remote::signup(args),
        Command::Logout => remote::logout(),
        Command::Whoami => remote::whoami(),
        Command::Negotiation(cmd) => remote::negotiation(cmd),
        Command::Draft(cmd) => remote::draft(cmd),
        Command::Provision(cmd) => drafting::provision(cmd),
        Command::Bracket(cmd) => drafting::bracket(cmd),
        Command::Stance(cmd) => remote::stance(cmd),
        Command::Comment(cmd) => remote::comment(cmd),
        Command::Reservation(cmd) => remote::reservation(cmd),
        Command::Log(cmd) => remote::log(cmd),
        Command::Keygen(args) => evidence::keygen(args),
        Command::Key(cmd) => evidence::key(cmd),
        Command::Ack(args) => evidence::ack(args),
        Command::Sign(args) => evidence::sign(args),
        Command::Phase(cmd) => evidence::phase(cmd),
        Command::Engagement { id } => evidence::engagement(id),
        Command::Bundle(args) => evidence::bundle(args),
        Command::Verify(args) => evidence::verify(args),
        Command::VerifyLog(args) => evidence::verify_log_file(args),
        Command::Backup(args) => backup::backup(args),
        Command::Restore(args) => backup::restore(args),
        Command::Completions(args) => completions::run(args, Cli::command()),
        Command::Man(args) => man::run(args, Cli::command()),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    /// clap checks the command tree (unique names, valid defaults) only when
    /// a command is parsed; this checks every subcommand at once.
    #[test]
    fn the_command_line_is_well_formed() {
        super::Cli::command().debug_assert();
    }
}
