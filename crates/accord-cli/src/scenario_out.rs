//! Writing a scenario that a command made (`import genius`, `import text`,
//! `export scenario`): to a file or to stdout, and the warnings when it does
//! not validate. One place, so the three commands answer alike.

use std::io::Write as _;
use std::path::Path;
use std::process::ExitCode;

use accord_core::Negotiation;
use accord_formats::scenario;
use anyhow::{Context, bail};

/// Writes `negotiation` as a scenario to `output` (never over an existing
/// file unless `force`) or to stdout, then says `"{done} {title}: {summary}"`
/// (on stderr when the scenario itself went to stdout).
pub fn write(
    negotiation: &Negotiation,
    done: &str,
    summary: &str,
    output: Option<&Path>,
    force: bool,
) -> anyhow::Result<()> {
    let toml = scenario::to_toml(negotiation);
    match output {
        Some(path) => {
            if path.exists() && !force {
                bail!("{} exists; pass --force to replace it", path.display());
            }
            std::fs::write(path, &toml).with_context(|| format!("cannot write {}", path.display()))?;
            println!("{done} {}: {summary} → {}", negotiation.title, path.display());
        }
        None => {
            std::io::stdout().write_all(toml.as_bytes()).context("cannot write the scenario to stdout")?;
            eprintln!("{done} {}: {summary}", negotiation.title);
        }
    }
    Ok(())
}

/// Success when the written scenario validates; otherwise each problem as a
/// warning with its hint, and failure, since the file needs fixing first.
pub fn validation_status(negotiation: &Negotiation) -> ExitCode {
    let problems = accord_core::validate::validate(negotiation);
    if problems.is_empty() {
        return ExitCode::SUCCESS;
    }
    for problem in &problems {
        eprintln!("warning: {}", problem.message);
        if let Some(hint) = &problem.hint {
            eprintln!("  help: {hint}");
        }
    }
    eprintln!(
        "warning: the scenario was written but does not validate; fix the problems above, then run `accord check`"
    );
    ExitCode::FAILURE
}
