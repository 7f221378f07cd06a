//! `accord check`: validate a scenario file and summarise it.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use accord_core::model::{IssueKind, Negotiation, Phase, PhaseKind, Role, format_number};
use accord_formats::scenario::{self, ReadError};

/// Check a scenario file and summarise the negotiation it describes.
///
/// Reads a scenario (TOML; see docs/scenario-format.md), checks every rule —
/// unique ids, every reference resolvable, every bracket worded for every
/// option, ranges whose step divides them, ratings within 0–1, a timetable in
/// order — and reports every problem at once, each as FILE:LINE:COLUMN with a
/// hint. A valid file gets a short summary: parties by role, issues and their
/// sizes, provisions and how many are bracketed, the timetable and signing
/// window, which profiles are present, and the exact size of the outcome space.
///
/// Exit status: 0 when the file is valid, 1 when it has problems or cannot be read.
#[derive(Debug, clap::Args)]
#[command(after_help = EXAMPLES)]
pub struct Args {
    /// The scenario file to check.
    pub file: PathBuf,
}

const EXAMPLES: &str = "\
Examples:
  accord check examples/peace-framework.toml
      Validate the file and print a summary.

  accord check draft.toml && accord render draft.toml
      Render only once the file is valid.

Problems are reported as FILE:LINE:COLUMN, with a hint where one helps:
  error: draft.toml:42:8: provision \"art-9\" uses issue \"army_cap\", which is not
  defined; defined issues: territory, army-cap
    help: did you mean \"army-cap\"?";

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let Some(negotiation) = load_or_report(&args.file)? else {
        return Ok(ExitCode::FAILURE);
    };
    print!("{}", summary(&args.file, &negotiation));
    Ok(ExitCode::SUCCESS)
}

/// Reads a scenario. An invalid one has its diagnostics printed to stderr and
/// gives `None`; a file that cannot be read is an error.
pub fn load_or_report(path: &Path) -> anyhow::Result<Option<Negotiation>> {
    match scenario::read_file(path) {
        Ok(n) => Ok(Some(n)),
        Err(ReadError::Invalid(errors)) => {
            eprint!("{}", errors.report());
            let count = errors.diagnostics.len();
            eprintln!("{}: {count} problem{}", path.display(), if count == 1 { "" } else { "s" });
            Ok(None)
        }
        Err(err @ ReadError::Io { .. }) => Err(err.into()),
    }
}

/// The summary `accord check` prints for a valid negotiation.
pub fn summary(path: &Path, n: &Negotiation) -> String {
    let mut out = String::new();
    let w = &mut out;
    let _ = writeln!(w, "{}: ok", path.display());
    let _ = writeln!(w, "{} ({})", n.title, n.id);

    let _ = writeln!(w, "\nParties ({}):", n.parties.len());
    for role in Role::ALL {
        let parties: Vec<String> = n.parties_with_role(role).map(|p| format!("{} ({})", p.id, p.name)).collect();
        if !parties.is_empty() {
            let _ = writeln!(w, "  {:<10} {}", role.as_str(), parties.join(", "));
        }
    }

    let _ = writeln!(w, "\nIssues ({}):", n.issues.len());
    let width = n.issues.iter().map(|i| i.id.chars().count()).max().unwrap_or(0);
    for issue in &n.issues {
        let size = match &issue.kind {
            IssueKind::Discrete { options } => {
                format!("{} option{}", options.len(), if options.len() == 1 { "" } else { "s" })
            }
            IssueKind::Numeric(range) => {
                let unit = range.unit.as_deref().map(|u| format!(" {u}")).unwrap_or_default();
                format!(
                    "{} values, {} to {}{unit} in steps of {}",
                    issue.value_count(),
                    format_number(range.min, range),
                    format_number(range.max, range),
                    format_number(range.step, range)
                )
            }
        };
        let _ = writeln!(w, "  {:<width$}  {size}  (draft: {})", issue.id, issue.label_at(issue.draft_index()));
    }

    let bracketed = n.provisions.iter().filter(|p| !n.provision_issues(p).is_empty()).count();
    let _ = writeln!(w, "\nProvisions: {}, of which {bracketed} bracketed", n.provisions.len());
    let _ = writeln!(w, "Constraints: {}", n.constraints.len());

    let phases = &n.timetable.phases;
    match (phases.first(), phases.last()) {
        (Some(first), Some(last)) => {
            let _ = writeln!(w, "Timetable: {} phases, {} to {}", phases.len(), start_of(first), end_of(last));
            let signing: Vec<_> = phases.iter().filter(|p| p.kind == PhaseKind::Signing).collect();
            match (signing.first(), signing.last()) {
                (Some(open), Some(close)) => {
                    let _ = writeln!(w, "  signing window: {} to {}", start_of(open), end_of(close));
                }
                _ => {
                    let _ = writeln!(w, "  no signing phase");
                }
            }
        }
        _ => {
            let _ = writeln!(w, "Timetable: none");
        }
    }

    if n.profiles.is_empty() {
        let _ = writeln!(w, "Profiles: none");
    } else {
        let profiles: Vec<String> = n
            .profiles
            .iter()
            .map(|p| if p.illustrative { format!("{} (illustrative)", p.party) } else { p.party.clone() })
            .collect();
        let _ = writeln!(w, "Profiles: {}", profiles.join(", "));
    }
    let _ = writeln!(w, "Stances: {}", n.stances.len());
    let _ = writeln!(w, "\nOutcome space: {}", outcome_space(n));
    out
}

fn start_of(phase: &Phase) -> String {
    phase.start.format("%Y-%m-%d %H:%M UTC").to_string()
}

fn end_of(phase: &Phase) -> String {
    phase.end.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// `13 × 2 × 4 = 104 packages`, exactly.
pub fn outcome_space(n: &Negotiation) -> String {
    let sizes: Vec<String> = n.issues.iter().map(|i| i.value_count().to_string()).collect();
    let total = match n.outcome_count() {
        Some(1) => "1 package".to_string(),
        Some(count) => format!("{} packages", crate::report::group_digits(count)),
        None => "more than 2^128 packages".to_string(),
    };
    match sizes.len() {
        0 | 1 => total,
        _ => format!("{} = {total}", sizes.join(" × ")),
    }
}
