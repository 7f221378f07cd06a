//! GENIUS XML domains in and out.
//!
//! A GENIUS domain is a directory with one domain file (root element
//! `<negotiation_template>`, the issues) and one profile per party (root
//! `<utility_space>`, weights and evaluations). [`import_dir`] and the pure
//! [`import`] turn them into a [`Negotiation`]; [`export`] and [`export_dir`]
//! go the other way.
//!
//! # Import
//!
//! Utilities follow the GENIUS rules (the same NegMAS applies), so that summing
//! [`accord_core::utility::UtilityTables`] in issue order reproduces GENIUS
//! utilities bit for bit:
//!
//! * issues in domain-file order, values in file order; integer issues run
//!   from `lowerbound` to `upperbound`;
//! * profiles are bound to issues by the `index` attribute, never by position
//!   (FitnessA's indices start at 2); a weight on the index of an objective is
//!   ignored; an issue with no weight weighs 0; weights are used as written
//!   ([`Weighting::AsWritten`](accord_core::Weighting::AsWritten));
//! * a discrete value rates `evaluation / max evaluation` of that issue in that
//!   profile (all 0 when the maximum is below 1e-5; a value the profile leaves
//!   out rates 0), kept as a [`Rating::Table`](accord_core::Rating::Table);
//! * an integer issue's `<evaluator ftype="linear">` becomes
//!   [`Rating::Linear`](accord_core::Rating::Linear) with `origin` the
//!   `lowerbound` written in the profile's issue element;
//! * `<reservation value>` (absent: 0) and `<discount_factor value>` are kept;
//!   the discount factor is data only.
//!
//! **Real issues** are continuous in GENIUS. Accord analyses a grid, and uses
//! the one NegMAS uses by default (`ContinuousIssue.value_generator(n=10)`,
//! numpy's `linspace`): [`REAL_ISSUE_POINTS`] evenly spaced values including
//! both bounds, `min + k * (max - min) / 9`. Their evaluators: `linear` is
//! `clamp(offset + slope * x, 0, 1)` (attributes `offset`/`slope`, or the
//! older `parameter0`/`parameter1`), `constant` is `parameter0`, and
//! `triangular` rises from 0 at `parameter0` to 1 at `parameter2` and falls
//! back to 0 at `parameter1`.
//!
//! The model gets one signatory per profile (id from the file stem, sanitised
//! to `[a-z0-9._-]` and made unique; parties come in the order of the
//! `profiles` argument, which [`import_dir`] sorts by file name), plus a party
//! `mediator`, "Mediator (added on import)", because a negotiation needs one.
//! Issue and option ids are sanitised from the names and values, and the
//! original strings are kept as the issue titles and option labels. Each issue
//! gets a provision headed by the issue name whose text is the value itself,
//! so `accord render` works on imported domains.
//!
//! # Export
//!
//! One domain file `<negotiation-id>.xml` and one `<party-id>.xml` per
//! signatory with a profile. Every utility survives a round trip
//! (export, then import) bit for bit when:
//!
//! * every discrete rating table peaks at exactly 1 or is all zero (always so
//!   for imported domains). Otherwise GENIUS would divide by the peak, so the
//!   export writes `rating / peak` and multiplies the weight by the peak:
//!   utilities then agree up to float rounding (a few ulps), and a note says so;
//! * weights are [`AsWritten`](accord_core::Weighting::AsWritten), or
//!   `Normalised`: the export writes each share `weight / Σ weights` computed
//!   exactly as `UtilityTables` computes it, so the shares are the same floats.
//!
//! Numeric issues are written as GENIUS integer issues when they are a step-1
//! integer grid rated by [`Linear`](accord_core::Rating::Linear) functions with
//! whole-number origins, and as real issues when they are the 10-point real
//! grid above with linear ratings through the origin 0 (the shape import
//! produces). Any other numeric issue (steps other than 1, piecewise ratings:
//! GENIUS integer issues only have linear evaluators) is written as a discrete
//! issue whose values are the grid's numbers, rated point by point: utilities
//! are unchanged, the issue comes back as a discrete one. Red lines,
//! constraints, stances, drafts, units and the text have no GENIUS form and are
//! left out; [`GeniusExport::notes`] lists every such loss, and whether the
//! utilities came back exactly (the export re-imports its own files to check).
//!
//! Numbers are written with Rust's shortest round-trip formatting.

mod export;
mod ids;
mod import;
mod xml;

use std::path::{Path, PathBuf};

use accord_core::Negotiation;

/// How many evenly spaced values a real (continuous) GENIUS issue is analysed on.
pub const REAL_ISSUE_POINTS: usize = 10;

/// Why GENIUS files could not be read or written.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum GeniusError {
    /// Something wrong inside one file: its name, the line and the element.
    #[error("{}", located(file, *line, element.as_deref(), message))]
    File { file: String, line: Option<usize>, element: Option<String>, message: String },
    /// The file system refused.
    #[error("{path}: {message}")]
    Io { path: String, message: String },
    /// The set of files does not make a domain (no domain file, too few profiles).
    #[error("{0}")]
    Domain(String),
    /// The negotiation cannot be written as GENIUS files.
    #[error("cannot export to GENIUS: {0}")]
    Export(String),
}

fn located(file: &str, line: Option<usize>, element: Option<&str>, message: &str) -> String {
    let mut out = file.to_string();
    if let Some(line) = line {
        out.push_str(&format!(":{line}"));
    }
    if let Some(element) = element {
        out.push_str(&format!(": {element}"));
    }
    out.push_str(&format!(": {message}"));
    out
}

impl GeniusError {
    pub(crate) fn at(file: &str, line: usize, element: Option<String>, message: impl Into<String>) -> Self {
        GeniusError::File { file: file.to_string(), line: Some(line), element, message: message.into() }
    }

    /// The file the error is about, when it is about one.
    pub fn file(&self) -> Option<&str> {
        match self {
            GeniusError::File { file, .. } => Some(file),
            GeniusError::Io { path, .. } => Some(path),
            GeniusError::Domain(_) | GeniusError::Export(_) => None,
        }
    }
}

/// Builds a negotiation from the text of a domain file and of its profiles,
/// each given with its file name (used in errors, for the title and for the
/// party ids). Parties come in the order given.
pub fn import(domain_xml: (&str, &str), profiles: &[(&str, &str)]) -> Result<Negotiation, GeniusError> {
    import::import(domain_xml, profiles)
}

/// The files of a GENIUS domain directory, classified by their root element.
#[derive(Debug, Clone, PartialEq)]
pub struct DomainFiles {
    /// The `<negotiation_template>` file.
    pub domain: PathBuf,
    /// The `<utility_space>` files, sorted by file name.
    pub profiles: Vec<PathBuf>,
}

/// Finds the domain file and the profiles among the `.xml` files of `dir`
/// (not recursing). Other XML files are ignored.
pub fn find_files(dir: &Path) -> Result<DomainFiles, GeniusError> {
    let entries = std::fs::read_dir(dir).map_err(|e| io_error(dir, &e))?;
    let mut xml_files = Vec::new();
    for entry in entries {
        let path = entry.map_err(|e| io_error(dir, &e))?.path();
        let is_xml = path.extension().and_then(|e| e.to_str()).is_some_and(|e| e.eq_ignore_ascii_case("xml"));
        if is_xml && path.is_file() {
            xml_files.push(path);
        }
    }
    xml_files.sort();
    let mut domains = Vec::new();
    let mut profiles = Vec::new();
    for path in xml_files {
        let text = read_text(&path)?;
        match xml::root_name(&display_name(&path), &text)?.as_deref() {
            Some("negotiation_template") => domains.push(path),
            Some("utility_space") => profiles.push(path),
            _ => {}
        }
    }
    let shown = dir.display();
    match domains.len() {
        0 => Err(GeniusError::Domain(format!(
            "{shown}: no GENIUS domain file (an .xml file whose root element is <negotiation_template>)"
        ))),
        1 => Ok(DomainFiles { domain: domains.remove(0), profiles }),
        _ => Err(GeniusError::Domain(format!(
            "{shown}: more than one GENIUS domain file ({}): keep one domain per directory",
            domains.iter().map(|p| display_name(p)).collect::<Vec<_>>().join(", ")
        ))),
    }
}

/// Imports the GENIUS domain in `dir`: its domain file and every profile,
/// parties in profile file-name order.
pub fn import_dir(dir: &Path) -> Result<Negotiation, GeniusError> {
    let files = find_files(dir)?;
    let domain_text = read_text(&files.domain)?;
    let profile_texts: Vec<(String, String)> =
        files.profiles.iter().map(|p| Ok((display_name(p), read_text(p)?))).collect::<Result<_, GeniusError>>()?;
    let profiles: Vec<(&str, &str)> = profile_texts.iter().map(|(n, t)| (n.as_str(), t.as_str())).collect();
    import::import((&display_name(&files.domain), &domain_text), &profiles)
}

/// GENIUS files for a negotiation, and what did not survive the translation.
#[derive(Debug, Clone, PartialEq)]
pub struct GeniusExport {
    /// `(file name, XML text)`: the domain file first, then one profile per signatory.
    pub files: Vec<(String, String)>,
    /// Every simplification made, one sentence each (empty when the files say it all).
    pub notes: Vec<String>,
}

/// Writes a negotiation as GENIUS files: `(file name, XML text)`, domain first.
pub fn export(negotiation: &Negotiation) -> Result<Vec<(String, String)>, GeniusError> {
    Ok(export::export(negotiation)?.files)
}

/// Like [`export`], with notes on everything GENIUS cannot say.
pub fn export_with_notes(negotiation: &Negotiation) -> Result<GeniusExport, GeniusError> {
    export::export(negotiation)
}

/// Writes the files of [`export_with_notes`] into `dir`, creating it if needed.
pub fn export_dir(negotiation: &Negotiation, dir: &Path) -> Result<GeniusExport, GeniusError> {
    let exported = export::export(negotiation)?;
    std::fs::create_dir_all(dir).map_err(|e| io_error(dir, &e))?;
    for (name, text) in &exported.files {
        let path = dir.join(name);
        std::fs::write(&path, text).map_err(|e| io_error(&path, &e))?;
    }
    Ok(exported)
}

fn display_name(path: &Path) -> String {
    path.file_name().map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into_owned())
}

fn io_error(path: &Path, err: &std::io::Error) -> GeniusError {
    GeniusError::Io { path: path.display().to_string(), message: err.to_string() }
}

fn read_text(path: &Path) -> Result<String, GeniusError> {
    let bytes = std::fs::read(path).map_err(|e| io_error(path, &e))?;
    String::from_utf8(bytes).map_err(|e| GeniusError::File {
        file: display_name(path),
        line: None,
        element: None,
        message: format!("not UTF-8 text (invalid byte at offset {})", e.utf8_error().valid_up_to()),
    })
}
