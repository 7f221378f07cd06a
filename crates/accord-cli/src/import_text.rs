//! `accord import text`: a numbered document (Markdown, plain text, DOCX)
//! into a scenario file, so the mediator starts from the draft as written.

use std::path::PathBuf;
use std::process::ExitCode;

use accord_core::{Party, Role};
use accord_formats::document::{self, DocumentFormat};
use anyhow::{Context, bail};

#[derive(Debug, clap::Args)]
pub struct TextImportArgs {
    /// The document: `.md`, `.txt` or `.docx` (or say which with --format).
    pub file: PathBuf,
    /// Where to write the scenario (TOML); without it, the scenario goes to stdout.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Replace the output file if it exists.
    #[arg(long)]
    pub force: bool,
    /// What the document is written in, when its extension does not say.
    #[arg(long, value_enum)]
    pub format: Option<FormatArg>,
    /// The negotiation's id (default: from the file name).
    #[arg(long, value_name = "ID")]
    pub id: Option<String>,
    /// A party, as `id:role:name` (role: mediator, signatory, consulted or
    /// observer). Repeat for each party. Without any, a mediator and two
    /// signatories named `party-a` and `party-b` stand in, to be renamed.
    #[arg(long = "party", value_name = "ID:ROLE:NAME", value_parser = parse_party)]
    pub parties: Vec<Party>,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum FormatArg {
    Markdown,
    Text,
    Docx,
}

fn parse_party(spec: &str) -> Result<Party, String> {
    let mut parts = spec.splitn(3, ':');
    let (Some(id), Some(role), Some(name)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(format!("`{spec}` is not id:role:name, e.g. ua:signatory:Ukraine"));
    };
    let role = Role::ALL
        .into_iter()
        .find(|r| r.as_str() == role.trim())
        .ok_or_else(|| format!("`{role}` is not a role: mediator, signatory, consulted or observer"))?;
    if id.trim().is_empty() || name.trim().is_empty() {
        return Err(format!("`{spec}`: the id and the name must not be empty"));
    }
    Ok(Party { id: id.trim().to_string(), name: name.trim().to_string(), role })
}

pub fn run(args: TextImportArgs) -> anyhow::Result<ExitCode> {
    let name = args.file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let format = match args.format {
        Some(FormatArg::Markdown) => DocumentFormat::Markdown,
        Some(FormatArg::Text) => DocumentFormat::PlainText,
        Some(FormatArg::Docx) => DocumentFormat::Docx,
        None => match DocumentFormat::from_file_name(&name) {
            Some(format) => format,
            None => bail!("cannot tell the format of {name} from its extension; pass --format markdown, text or docx"),
        },
    };
    let size = std::fs::metadata(&args.file).with_context(|| format!("cannot read {}", args.file.display()))?.len();
    if size > document::MAX_DOCUMENT_BYTES as u64 {
        bail!("{} is {size} bytes; at most {} are read", args.file.display(), document::MAX_DOCUMENT_BYTES);
    }
    let bytes = std::fs::read(&args.file).with_context(|| format!("cannot read {}", args.file.display()))?;
    let text = document::read(&bytes, format).with_context(|| format!("cannot import {}", args.file.display()))?;
    let stem = name.rsplit_once('.').map_or(name.as_str(), |(stem, _)| stem).to_string();
    let id = args.id.unwrap_or_else(|| document::slug(&stem, "imported"));
    let parties = if args.parties.is_empty() { document::stand_in_parties() } else { args.parties };
    let notes = text.notes.clone();
    let negotiation = text.into_negotiation(&id, &stem, parties);
    let summary = format!("{} provisions", negotiation.provisions.len());
    crate::scenario_out::write(&negotiation, "Imported", &summary, args.output.as_deref(), args.force)?;
    for note in &notes {
        eprintln!("note: {note}");
    }
    Ok(crate::scenario_out::validation_status(&negotiation))
}
