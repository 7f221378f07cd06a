//! `accord render`: print the clean text of a package.

use std::path::PathBuf;
use std::process::ExitCode;

use accord_core::model::Negotiation;
use accord_formats::render;
use anyhow::{Context as _, bail};

/// Print the clean text of the agreement for one package.
///
/// A package settles every bracket: one option (or value) per issue. Issues
/// you do not name with --package keep the draft's value, or the first option
/// when the scenario gives no draft. Each provision prints as
/// "Article N — Heading" followed by its text, headed by the title and the
/// version's content hash (SHA-256), which identifies this exact text.
///
/// The output is the public text only: profiles and stances never appear in it.
#[derive(Debug, clap::Args)]
#[command(after_help = EXAMPLES)]
pub struct Args {
    /// The scenario file.
    pub file: PathBuf,

    /// Settle issues: ISSUE=VALUE, comma-separated or repeated. Values are
    /// option ids for discrete issues and numbers for numeric ones (600000,
    /// 600_000 or 600,000).
    #[arg(long, short = 'p', value_name = "ISSUE=VALUE,...")]
    pub package: Vec<String>,

    /// Output format; default: html when --output ends in .html, else markdown.
    #[arg(long, short = 'f', value_enum)]
    pub format: Option<Format>,

    /// Write to this file instead of standard output.
    #[arg(long, short = 'o', value_name = "OUT")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Markdown,
    Html,
}

const EXAMPLES: &str = "\
Examples:
  accord render examples/peace-framework.toml
      The draft text, as Markdown, on standard output.

  accord render examples/peace-framework.toml --package territory=freeze,army-cap=800000
      The text with two brackets settled differently; other issues keep the draft's value.

  accord render examples/peace-framework.toml -p territory=freeze -p army-cap=800_000 -o text.html
      The same, as a standalone HTML page (the format follows the .html extension).

  accord check FILE
      Lists every issue with its options or range.";

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let Some(negotiation) = crate::check::load_or_report(&args.file)? else {
        return Ok(ExitCode::FAILURE);
    };
    let pairs = parse_package_args(&args.package)?;
    let package = negotiation
        .package_from_pairs(pairs.iter().map(|(issue, value)| (issue.as_str(), value.as_str())))
        .context("--package")?;
    let format = args.format.unwrap_or_else(|| match &args.output {
        Some(out)
            if out.extension().is_some_and(|e| e.eq_ignore_ascii_case("html") || e.eq_ignore_ascii_case("htm")) =>
        {
            Format::Html
        }
        _ => Format::Markdown,
    });
    let text = render_text(&negotiation, &package, format)?;
    match &args.output {
        Some(out) => std::fs::write(out, text).with_context(|| format!("cannot write {}", out.display()))?,
        None => print!("{text}"),
    }
    Ok(ExitCode::SUCCESS)
}

fn render_text(n: &Negotiation, package: &accord_core::model::Package, format: Format) -> anyhow::Result<String> {
    let text = match format {
        Format::Markdown => render::markdown(n, package),
        Format::Html => render::html(n, package),
    };
    text.context("cannot render the text")
}

/// Splits `--package` arguments into `(issue, value)` pairs. A comma followed
/// by exactly three digits continues a number ("army-cap=600,000") rather than
/// starting a new pair.
pub fn parse_package_args(args: &[String]) -> anyhow::Result<Vec<(String, String)>> {
    let mut pairs: Vec<(String, String)> = Vec::new();
    for arg in args {
        let mut continues_number = false;
        for item in arg.split(',') {
            let item = item.trim();
            let is_digit_group = item.len() >= 3
                && item.chars().take(3).all(|c| c.is_ascii_digit())
                && item[3..].chars().all(|c| c.is_ascii_digit() || c == '.')
                && !item[3..].starts_with(|c: char| c.is_ascii_digit());
            if continues_number && is_digit_group {
                if let Some((_, value)) = pairs.last_mut() {
                    value.push(',');
                    value.push_str(item);
                }
                continue;
            }
            if item.is_empty() {
                continue;
            }
            let Some((issue, value)) = item.split_once('=') else {
                bail!("--package: expected ISSUE=VALUE, got \"{item}\" (for example territory=freeze)");
            };
            let (issue, value) = (issue.trim(), value.trim());
            if issue.is_empty() || value.is_empty() {
                bail!("--package: expected ISSUE=VALUE, got \"{item}\" (for example territory=freeze)");
            }
            continues_number = value.chars().all(|c| c.is_ascii_digit() || c == '_' || c == '-' || c == '.');
            pairs.push((issue.to_string(), value.to_string()));
        }
    }
    Ok(pairs)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Vec<(String, String)> {
        parse_package_args(&args.iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap()
    }

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect()
    }

    #[test]
    fn comma_lists_and_repeated_flags() {
        assert_eq!(parse(&["a=x,b=y", "c=z"]), pairs(&[("a", "x"), ("b", "y"), ("c", "z")]));
        assert_eq!(parse(&[" a = x , "]), pairs(&[("a", "x")]));
    }

    #[test]
    fn thousands_separators_continue_a_number() {
        assert_eq!(
            parse(&["army-cap=600,000,territory=freeze"]),
            pairs(&[("army-cap", "600,000"), ("territory", "freeze")])
        );
        assert_eq!(parse(&["army-cap=1,200,000"]), pairs(&[("army-cap", "1,200,000")]));
        assert_eq!(parse(&["wage=1,250.5"]), pairs(&[("wage", "1,250.5")]));
        assert_eq!(parse(&["army-cap=600_000"]), pairs(&[("army-cap", "600_000")]));
    }

    #[test]
    fn items_without_an_equals_sign_are_rejected() {
        let err = parse_package_args(&["territory".to_string()]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "--package: expected ISSUE=VALUE, got \"territory\" (for example territory=freeze)"
        );
        assert!(parse_package_args(&["territory=freeze,000".to_string()]).is_err());
    }
}
