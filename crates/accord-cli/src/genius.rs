//! `accord import genius` and `accord export genius`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use accord_core::{Negotiation, Role};
use accord_formats::{genius, scenario};
use anyhow::{Context, bail};

/// Bring negotiation domains in from other tools.
#[derive(Debug, clap::Subcommand)]
pub enum ImportCommand {
    /// Turn a GENIUS domain directory into a scenario file.
    ///
    /// The directory holds one domain file (root element <negotiation_template>)
    /// and one profile per party (root element <utility_space>); other files are
    /// ignored. Parties come in profile file-name order, each a signatory named
    /// after its file; a mediator party is added. Utilities follow the GENIUS
    /// rules exactly (weights as written, bound by issue index; discrete
    /// evaluations divided by their maximum; linear integer evaluators), so the
    /// analysis reproduces GENIUS and NegMAS figures bit for bit. Real
    /// (continuous) issues are analysed on 10 evenly spaced values, as NegMAS
    /// does. Each issue becomes a provision whose text is the chosen value.
    #[command(after_help = "\
Examples:
  accord import genius anac/2012/Fitness -o fitness.toml
  accord import genius anac/2012/Fitness > fitness.toml
  accord check fitness.toml && accord analyze fitness.toml")]
    Genius(ImportArgs),
    /// Turn a numbered document (Markdown, plain text or DOCX) into a scenario file.
    ///
    /// Each numbered point (`1.`, `2)`, `5a.`, `Article 7`, `§ 3`) becomes a
    /// provision with a stable id (`p-7`) and its number as printed; a bold
    /// phrase opening a point (`**Sovereignty.** …`) becomes its heading; the
    /// first heading is the title and the text before the first point the
    /// description. Sub-points stay with their point. Headings without a
    /// number, repeated or skipped numbers are listed as notes. DOCX lists
    /// are numbered 1, 2, 3… in order, as Word keeps their numbers outside
    /// the text. The scenario has the text only: add issues, brackets and
    /// the timetable afterwards.
    #[command(after_help = "\
Examples:
  accord import text examples/peace-plan-28.md -o plan.toml
  accord import text plan.docx --party un:mediator:'UN Envoy' \\
      --party ua:signatory:Ukraine --party ru:signatory:Russia -o plan.toml
  accord check plan.toml && accord render plan.toml")]
    Text(crate::import_text::TextImportArgs),
}

#[derive(Debug, clap::Args)]
pub struct ImportArgs {
    /// The GENIUS domain directory.
    pub dir: PathBuf,
    /// Where to write the scenario (TOML); without it, the scenario goes to stdout.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Replace the output file if it exists.
    #[arg(long)]
    pub force: bool,
}

/// Write negotiation domains out for other tools.
#[derive(Debug, clap::Subcommand)]
pub enum ExportCommand {
    /// Write a scenario as a GENIUS domain directory.
    ///
    /// Writes the domain file and one profile per signatory that has a
    /// profile. What GENIUS cannot express is left out and listed as a note:
    /// red lines, constraints, stances, the text, drafts, units, consulted
    /// parties. Numeric issues that are not a step-1 integer range with linear
    /// ratings become discrete issues of their grid values. Utilities survive
    /// the trip bit for bit whenever each discrete rating table peaks at 1 (as
    /// GENIUS requires); otherwise the peak moves into the weight and a note
    /// gives the largest difference, a matter of float rounding.
    #[command(after_help = "\
Examples:
  accord export genius examples/labour-agreement.toml -o labour-genius
  accord export genius fitness.toml -o fitness-genius --force")]
    Genius(ExportArgs),
    /// Write a live negotiation, as you may see it, as a scenario file.
    ///
    /// Fetches the negotiation from the server you are signed in to and
    /// writes its working draft (parties, issues, provisions, constraints,
    /// timetable) with every profile and stance your seat may read in full.
    /// A mediator's export holds the parties' profiles; keep it as private
    /// as they are. `accord check` reads the file offline, and a new
    /// negotiation can be created from it to replay the state.
    #[command(after_help = "\
Examples:
  accord export scenario peace-framework -o saved.toml
  accord check saved.toml && accord analyze saved.toml")]
    Scenario(crate::export_scenario::ScenarioExportArgs),
}

#[derive(Debug, clap::Args)]
pub struct ExportArgs {
    /// The scenario file (`.toml`), or a GENIUS domain directory to rewrite.
    pub scenario: PathBuf,
    /// The directory to write the GENIUS files into (created if needed).
    #[arg(short, long, value_name = "DIR")]
    pub output: PathBuf,
    /// Replace files of the same names in the output directory.
    #[arg(long)]
    pub force: bool,
}

pub fn run_import(cmd: ImportCommand) -> anyhow::Result<ExitCode> {
    let args = match cmd {
        ImportCommand::Genius(args) => args,
        ImportCommand::Text(args) => return crate::import_text::run(args),
    };
    let negotiation = genius::import_dir(&args.dir)
        .with_context(|| format!("cannot import the GENIUS domain in {}", args.dir.display()))?;
    let summary = summary(&negotiation);
    crate::scenario_out::write(&negotiation, "Imported", &summary, args.output.as_deref(), args.force)?;
    Ok(crate::scenario_out::validation_status(&negotiation))
}

pub fn run_export(cmd: ExportCommand) -> anyhow::Result<ExitCode> {
    let args = match cmd {
        ExportCommand::Genius(args) => args,
        ExportCommand::Scenario(args) => return crate::export_scenario::run(args),
    };
    let negotiation = read_negotiation(&args.scenario)?;
    let exported = genius::export_with_notes(&negotiation)
        .with_context(|| format!("cannot export {}", args.scenario.display()))?;
    if !args.force {
        let clashes: Vec<&str> = exported
            .files
            .iter()
            .filter(|(name, _)| args.output.join(name).exists())
            .map(|(name, _)| name.as_str())
            .collect();
        if !clashes.is_empty() {
            bail!("{} already holds {}; pass --force to replace them", args.output.display(), clashes.join(", "));
        }
    }
    std::fs::create_dir_all(&args.output).with_context(|| format!("cannot create {}", args.output.display()))?;
    for (name, text) in &exported.files {
        let path = args.output.join(name);
        std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?;
    }
    for note in &exported.notes {
        eprintln!("note: {note}");
    }
    let (domain, profiles) = exported.files.split_first().map_or(("", &[][..]), |(d, p)| (d.0.as_str(), p));
    println!(
        "Exported {}: {} → {} ({domain} and {} profile(s): {})",
        negotiation.title,
        summary(&negotiation),
        args.output.display(),
        profiles.len(),
        profiles.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>().join(", ")
    );
    Ok(ExitCode::SUCCESS)
}

fn read_negotiation(path: &Path) -> anyhow::Result<Negotiation> {
    if path.is_dir() {
        return genius::import_dir(path)
            .with_context(|| format!("cannot import the GENIUS domain in {}", path.display()));
    }
    scenario::read_file(path).map_err(|e| anyhow::anyhow!("{e}"))
}

/// "3 issues, 2 signatories (+1 other party), 3,520 outcomes".
fn summary(n: &Negotiation) -> String {
    let signatories = n.parties_with_role(Role::Signatory).count();
    let others = n.parties.len() - signatories;
    let outcomes = n.outcome_count().map_or_else(|| "more than 2^128".to_string(), crate::report::group_digits);
    format!(
        "{} issue{}, {signatories} signator{} (+{others} other part{}), {outcomes} outcomes",
        n.issues.len(),
        if n.issues.len() == 1 { "" } else { "s" },
        if signatories == 1 { "y" } else { "ies" },
        if others == 1 { "y" } else { "ies" },
    )
}
