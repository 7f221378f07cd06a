//! Scenario files: the TOML format described in `docs/scenario-format.md`.
//!
//! [`parse`] reads a file into a validated [`Negotiation`], or reports every
//! problem it finds, each with `file:line:column`, what is wrong and, when
//! there is something useful to say, how to fix it. [`to_toml`] writes a
//! negotiation back; `parse(to_toml(n))` gives `n` again.

mod convert;
mod dto;
mod locate;
mod write;

use std::fmt;
use std::path::{Path, PathBuf};

use accord_core::model::Negotiation;
use accord_core::validate::{self, PathSeg, Problem};
use serde::Deserialize;

pub use locate::Position;
pub use write::to_toml;

/// At most this many diagnostics are shown; the rest are counted.
pub const MAX_SHOWN: usize = 20;

/// One problem in a scenario file, at a place in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub message: String,
    pub hint: Option<String>,
}

impl fmt::Display for Diagnostic {
    /// `error: FILE:LINE:COL: MESSAGE`, then `  help: HINT` on its own line.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "error: {}:{}:{}: {}", self.file, self.line, self.column, self.message)?;
        if let Some(hint) = &self.hint {
            write!(f, "\n  help: {hint}")?;
        }
        Ok(())
    }
}

/// Every problem found in one scenario file, in file order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScenarioErrors {
    pub diagnostics: Vec<Diagnostic>,
}

impl ScenarioErrors {
    /// The full report, one `error:` line (and optional `help:` line) per
    /// problem, at most [`MAX_SHOWN`] of them, then "… and N more".
    pub fn report(&self) -> String {
        let mut out = String::new();
        for d in self.diagnostics.iter().take(MAX_SHOWN) {
            out.push_str(&d.to_string());
            out.push('\n');
        }
        if self.diagnostics.len() > MAX_SHOWN {
            out.push_str(&format!("… and {} more\n", self.diagnostics.len() - MAX_SHOWN));
        }
        out
    }
}

impl fmt::Display for ScenarioErrors {
    /// The report without its first `error: ` and final newline, so that a
    /// caller printing `error: {err}` shows every diagnostic the same way.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let report = self.report();
        let report = report.strip_prefix("error: ").unwrap_or(&report);
        f.write_str(report.trim_end_matches('\n'))
    }
}

impl std::error::Error for ScenarioErrors {}

/// Reading a scenario from disk failed.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The I/O error is part of the message (not a `source`), so that it is
    /// printed once however the caller formats the chain.
    #[error("cannot read {}: {error}", path.display())]
    Io { path: PathBuf, error: std::io::Error },
    #[error("{0}")]
    Invalid(#[from] ScenarioErrors),
}

/// Reads and parses a scenario file; diagnostics name the path as given.
pub fn read_file(path: impl AsRef<Path>) -> Result<Negotiation, ReadError> {
    let path = path.as_ref();
    let source = std::fs::read_to_string(path).map_err(|error| ReadError::Io { path: path.to_path_buf(), error })?;
    Ok(parse(&source, &path.display().to_string())?)
}

/// Parses and validates a scenario. `file_name` is used in diagnostics only.
pub fn parse(source: &str, file_name: &str) -> Result<Negotiation, ScenarioErrors> {
    let at = |offset: usize, message: String, hint: Option<String>| {
        let Position { line, column } = locate::position_of(source, offset);
        Diagnostic { file: file_name.to_string(), line, column, message, hint }
    };
    let document = toml::de::DeTable::parse(source).map_err(|e| ScenarioErrors {
        diagnostics: vec![at(
            e.span().map_or(0, |s| s.start),
            format!("invalid TOML: {}", e.message().trim_end()),
            None,
        )],
    })?;
    let file = dto::FileDto::deserialize(toml::de::Deserializer::from(document.clone())).map_err(|e| {
        let offset = e.span().map_or(0, |s| s.start);
        let (message, hint) = explain_serde_error(e.message(), source, e.span());
        ScenarioErrors { diagnostics: vec![at(offset, message, hint)] }
    })?;
    let (negotiation, conversion_problems) = convert::convert(file);
    let mut problems = conversion_problems;
    // A conversion problem leaves a placeholder in the model; validating that
    // placeholder would only repeat the problem in other words.
    let broken: Vec<Vec<PathSeg>> = problems.iter().map(|p| entity_of(&p.path).to_vec()).collect();
    problems.extend(
        validate::validate(&negotiation)
            .into_iter()
            .filter(|p| !broken.iter().any(|b| b.as_slice() == entity_of(&p.path))),
    );
    if problems.is_empty() {
        return Ok(negotiation);
    }
    let mut located: Vec<(usize, usize, Problem)> =
        problems.into_iter().enumerate().map(|(order, p)| (locate::offset_of(&document, &p.path), order, p)).collect();
    located.sort_by_key(|&(offset, order, _)| (offset, order));
    Err(ScenarioErrors {
        diagnostics: located.into_iter().map(|(offset, _, p)| at(offset, p.message, p.hint)).collect(),
    })
}

/// The entity a path is about: `[[issue]]` 3, `[profile.ua]`, ….
fn entity_of(path: &[PathSeg]) -> &[PathSeg] {
    &path[..path.len().min(2)]
}

/// Rewrites serde's wording ("unknown field", "invalid type") into the
/// scenario's vocabulary, with the allowed keys or values as a hint.
fn explain_serde_error(message: &str, source: &str, span: Option<std::ops::Range<usize>>) -> (String, Option<String>) {
    let message = message.trim_end();
    if let Some(rest) = message.strip_prefix("unknown field ") {
        let (name, allowed) = split_expected(rest);
        let mut hint = match allowed.as_slice() {
            [] => "this table takes no keys".to_string(),
            _ => format!("allowed keys here: {}", allowed.join(", ")),
        };
        if let Some(close) = validate::closest(&name, allowed.iter().map(String::as_str)) {
            hint = format!("did you mean `{close}`? {hint}");
        }
        return (format!("unknown key `{name}`"), Some(hint));
    }
    if let Some(rest) = message.strip_prefix("unknown variant ") {
        let (name, allowed) = split_expected(rest);
        let mut hint = format!("expected one of: {}", allowed.join(", "));
        if let Some(close) = validate::closest(&name, allowed.iter().map(String::as_str)) {
            hint = format!("did you mean \"{close}\"? {hint}");
        }
        return (format!("unknown value \"{name}\""), Some(hint));
    }
    if let Some(rest) = message.strip_prefix("missing field ") {
        let name = rest.trim_matches('`');
        let table = span
            .and_then(|s| source.get(s))
            .filter(|header| header.starts_with('['))
            .map(|header| format!(" in {header}"))
            .unwrap_or_default();
        return (format!("missing key `{name}`{table}"), None);
    }
    if let Some((found, expected)) = message.strip_prefix("invalid type: ").and_then(|r| r.split_once(", expected ")) {
        let expected = match expected {
            "f64" | "i64" | "u64" | "u32" | "usize" => "a number",
            other => other,
        };
        return (format!("wrong type: expected {expected}, found {found}"), None);
    }
    (message.to_string(), None)
}

/// Splits serde's "`x`, expected one of `a`, `b`" into the name and the list.
fn split_expected(rest: &str) -> (String, Vec<String>) {
    let (name, expected) = rest.split_once(", ").unwrap_or((rest, ""));
    let allowed = expected.split('`').enumerate().filter(|(i, _)| i % 2 == 1).map(|(_, s)| s.to_string()).collect();
    (name.trim_matches('`').to_string(), allowed)
}
