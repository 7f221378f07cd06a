//! The clean text of a package, as Markdown or as a standalone HTML page.
//!
//! The rendered text is public: it shows the title, the version's content
//! hash and every provision, and nothing of the parties' profiles or stances
//! (not even that illustrative ones exist; that note belongs to analyses).

use accord_core::model::{AD_REFERENDUM_RULE, Negotiation, Package, TextStatus};
use accord_core::text::{self, Version};

pub use accord_core::text::RenderError;

/// The text of `package` as Markdown.
pub fn markdown(negotiation: &Negotiation, package: &Package) -> Result<String, RenderError> {
    Ok(markdown_version(&text::render(negotiation, package)?))
}

/// The text of `package` as a complete HTML document.
pub fn html(negotiation: &Negotiation, package: &Package) -> Result<String, RenderError> {
    Ok(html_version(&text::render(negotiation, package)?))
}

/// "Article 7 — Armed forces", or "Article 7" when there is no heading.
pub fn article_heading(number: &str, heading: &str) -> String {
    if heading.trim().is_empty() { format!("Article {number}") } else { format!("Article {number} — {heading}") }
}

/// Paragraphs are separated by blank lines; single line breaks stay inside a paragraph.
fn paragraphs(text: &str) -> impl Iterator<Item = &str> {
    text.split("\n\n").map(str::trim).filter(|p| !p.is_empty())
}

/// What a released version is: its status and the provisions it marks
/// agreed ad referendum. Printed with the text in every export of it.
#[derive(Debug, Clone, Copy)]
pub struct Release<'a> {
    pub status: TextStatus,
    pub ad_referendum: &'a [String],
}

/// Renders an already computed version as Markdown.
pub fn markdown_version(version: &Version) -> String {
    markdown_with(version, None)
}

/// Renders a released version as Markdown, with its status and its
/// provisions agreed ad referendum marked provisional.
pub fn markdown_released(version: &Version, release: Release<'_>) -> String {
    markdown_with(version, Some(release))
}

fn markdown_with(version: &Version, release: Option<Release<'_>>) -> String {
    let mut out = String::new();
    out.push_str(&format!("# {}\n\n", escape_markdown(&version.title)));
    if let Some(release) = release {
        out.push_str(&format!("*{}*\n\n", escape_markdown(release.status.label())));
    }
    out.push_str(&format!("Version `{}`\n", version.content_hash_hex()));
    let marked = |id: &str| release.is_some_and(|r| r.ad_referendum.iter().any(|m| m == id));
    if version.provisions.iter().any(|p| marked(&p.id)) {
        out.push_str(&format!("\n**{}**\n", escape_markdown(AD_REFERENDUM_RULE)));
    }
    for p in &version.provisions {
        out.push_str(&format!("\n## {}\n", escape_markdown(&article_heading(&p.number, &p.heading))));
        if marked(&p.id) {
            out.push_str("\n*Agreed ad referendum (provisional)*\n");
        }
        for paragraph in paragraphs(&p.text) {
            // A trailing backslash is Markdown's hard line break.
            let lines: Vec<String> = paragraph.lines().map(|l| escape_markdown(l.trim_end())).collect();
            out.push('\n');
            out.push_str(&lines.join("\\\n"));
            out.push('\n');
        }
    }
    out
}

/// Escapes characters that Markdown would read as markup, so the text shows
/// exactly as written.
pub fn escape_markdown(line: &str) -> String {
    let mut out = String::with_capacity(line.len() + 8);
    for c in line.chars() {
        if matches!(c, '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '#' | '|' | '~' | '&') {
            out.push('\\');
        }
        out.push(c);
    }
    // A line that starts like a list item ("1. ", "- ", "+ ") would become one.
    let starts_list = {
        let trimmed = out.trim_start();
        let digits = trimmed.chars().take_while(char::is_ascii_digit).count();
        (digits > 0 && matches!(trimmed[digits..].chars().next(), Some('.' | ')')))
            || trimmed.starts_with("- ")
            || trimmed.starts_with("+ ")
            || trimmed == "-"
            || trimmed == "+"
    };
    if starts_list {
        let indent = out.len() - out.trim_start().len();
        let trimmed = out.trim_start();
        let digits = trimmed.chars().take_while(char::is_ascii_digit).count();
        let split = indent + if digits > 0 { digits } else { 0 };
        out.insert(split, '\\');
    }
    out
}

/// Escapes text for HTML element content and attribute values.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "\
body { margin: 0; background: #f6f5f2; color: #1d1d1f; font: 17px/1.6 Georgia, 'Times New Roman', serif; }
main { max-width: 44rem; margin: 0 auto; padding: 3rem 1.5rem 4rem; background: #fff; }
h1 { font-size: 1.8rem; line-height: 1.25; margin: 0 0 0.5rem; }
h2 { font-size: 1.15rem; margin: 2rem 0 0.5rem; }
.version { margin: 0 0 2rem; color: #5f5f66; font-size: 0.85rem; }
.version code { font-family: ui-monospace, Menlo, Consolas, monospace; word-break: break-all; }
.provision p { margin: 0 0 0.75rem; }
@media print { body { background: #fff; } main { padding: 0; } }";

/// Renders an already computed version as a standalone HTML page.
pub fn html_version(version: &Version) -> String {
    html_with(version, None)
}

/// Renders a released version as a standalone HTML page, with its status
/// and its provisions agreed ad referendum marked provisional.
pub fn html_released(version: &Version, release: Release<'_>) -> String {
    html_with(version, Some(release))
}

fn html_with(version: &Version, release: Option<Release<'_>>) -> String {
    let marked = |id: &str| release.is_some_and(|r| r.ad_referendum.iter().any(|m| m == id));
    let title = escape_html(&version.title);
    let mut out = String::new();
    out.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    out.push_str(&format!("<title>{title}</title>\n<style>\n{STYLE}\n</style>\n</head>\n<body>\n<main>\n"));
    out.push_str(&format!("<h1>{title}</h1>\n"));
    if let Some(release) = release {
        out.push_str(&format!("<p class=\"status\"><em>{}</em></p>\n", escape_html(release.status.label())));
    }
    out.push_str(&format!("<p class=\"version\">Version <code>{}</code></p>\n", version.content_hash_hex()));
    if version.provisions.iter().any(|p| marked(&p.id)) {
        out.push_str(&format!("<p class=\"rule\"><strong>{}</strong></p>\n", escape_html(AD_REFERENDUM_RULE)));
    }
    for p in &version.provisions {
        out.push_str(&format!("<section class=\"provision\" id=\"provision-{}\">\n", escape_html(&p.id)));
        out.push_str(&format!("<h2>{}</h2>\n", escape_html(&article_heading(&p.number, &p.heading))));
        if marked(&p.id) {
            out.push_str("<p class=\"provisional\"><em>Agreed ad referendum (provisional)</em></p>\n");
        }
        for paragraph in paragraphs(&p.text) {
            let lines: Vec<String> = paragraph.lines().map(|l| escape_html(l.trim_end())).collect();
            out.push_str(&format!("<p>{}</p>\n", lines.join("<br>\n")));
        }
        out.push_str("</section>\n");
    }
    out.push_str("</main>\n</body>\n</html>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_released_version_shows_its_status_and_its_provisional_agreements() {
        let version = Version {
            title: "Talks".into(),
            provisions: vec![
                accord_core::text::RenderedProvision {
                    id: "art-1".into(),
                    number: "1".into(),
                    heading: "One".into(),
                    text: "Agreed words.".into(),
                },
                accord_core::text::RenderedProvision {
                    id: "art-2".into(),
                    number: "2".into(),
                    heading: "Two".into(),
                    text: "Open words.".into(),
                },
            ],
        };
        let marks = vec!["art-1".to_string()];
        let release = Release { status: TextStatus::MediatorsNonPaper, ad_referendum: &marks };
        let markdown = markdown_released(&version, release);
        assert!(markdown.contains("*Mediator's non-paper*"), "{markdown}");
        assert!(markdown.contains("Nothing is agreed until everything is agreed"), "{markdown}");
        assert_eq!(markdown.matches("Agreed ad referendum (provisional)").count(), 1, "{markdown}");
        let html = html_released(&version, release);
        assert!(html.contains("Mediator&#39;s non-paper") || html.contains("Mediator's non-paper"), "{html}");
        assert_eq!(html.matches("Agreed ad referendum (provisional)").count(), 1, "{html}");
        // Without a release, the text is as it always was.
        assert!(!markdown_version(&version).contains("provisional"));
        let none = Release { status: TextStatus::NegotiatingText, ad_referendum: &[] };
        assert!(!markdown_released(&version, none).contains("Nothing is agreed"));
    }

    #[test]
    fn markdown_markup_is_escaped() {
        assert_eq!(escape_markdown("a *b* _c_ [d](e) <f>"), "a \\*b\\* \\_c\\_ \\[d\\](e) \\<f\\>");
        assert_eq!(escape_markdown("# not a heading"), "\\# not a heading");
        assert_eq!(escape_markdown("1. not a list"), "1\\. not a list");
        assert_eq!(escape_markdown("- not a list"), "\\- not a list");
        assert_eq!(escape_markdown("2025 was a year."), "2025 was a year.");
    }

    #[test]
    fn html_is_escaped() {
        assert_eq!(
            escape_html("<script>alert('x') & \"y\"</script>"),
            "&lt;script&gt;alert(&#39;x&#39;) &amp; &quot;y&quot;&lt;/script&gt;"
        );
    }

    #[test]
    fn headings_without_a_title_show_the_number_only() {
        assert_eq!(article_heading("7", "Armed forces"), "Article 7 — Armed forces");
        assert_eq!(article_heading("IV", " "), "Article IV");
    }
}
