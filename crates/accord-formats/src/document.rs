//! Reading a numbered document (Markdown, plain text or DOCX) into the
//! provisions of a negotiation, so a mediator can start from the draft as it
//! was written rather than retype it (`accord import text`).
//!
//! Each format is first read into a flat list of [`Block`]s (headings,
//! numbered points, paragraphs), then one assembler turns the blocks into
//! provisions by the same rules whatever the format:
//!
//! - The first heading before any provision is the title.
//! - A provision starts at a numbered point (`5.`, `5)`, `5a.`, `5.2`), or at
//!   a heading or paragraph that begins with a number or with `Article 5`,
//!   `Point 5`, `Section 5`, `Clause 5` or `§ 5`. Its number is kept as
//!   printed; its id is `p-5` (made unique if a number repeats).
//! - A point that opens with a bold phrase (`**Sovereignty.** Ukraine …`)
//!   takes that phrase as its heading.
//! - Paragraphs and sub-points (`a)`, `-`) after a provision starts belong
//!   to it; text before the first provision is the description.
//! - Headings without a number after the first provision (sections) are not
//!   provisions; each one is listed in the notes, so nothing goes silently.
//!
//! Braces are doubled, since `{issue}` marks a slot in a provision's body.

use accord_core::limits::{MAX_PROVISION_TEXT_BYTES, MAX_PROVISIONS};
use accord_core::{Negotiation, Party, Role};
use accord_core::{Provision, Timetable};

/// The largest document read, in bytes (of the file as given).
pub const MAX_DOCUMENT_BYTES: usize = 8 * 1024 * 1024;

/// The most a DOCX file may unpack to: a small zip can hold gigabytes.
pub const MAX_DOCX_UNPACKED_BYTES: u64 = 64 * 1024 * 1024;

/// What a document is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocumentFormat {
    Markdown,
    PlainText,
    Docx,
}

impl DocumentFormat {
    /// The format a file name's extension says (`.md`, `.markdown`, `.txt`,
    /// `.text`, `.docx`), if any.
    pub fn from_file_name(name: &str) -> Option<DocumentFormat> {
        let extension = name.rsplit_once('.')?.1.to_ascii_lowercase();
        match extension.as_str() {
            "md" | "markdown" => Some(DocumentFormat::Markdown),
            "txt" | "text" => Some(DocumentFormat::PlainText),
            "docx" => Some(DocumentFormat::Docx),
            _ => None,
        }
    }
}

/// Why a document could not be read.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DocumentError {
    #[error("the document is {size} bytes; at most {limit} are read")]
    TooLarge { size: usize, limit: usize },
    #[error("the document is not UTF-8 text (byte {at}); save it as UTF-8, or as .docx")]
    NotUtf8 { at: usize },
    #[error("the DOCX file cannot be read: {reason}")]
    Docx { reason: String },
    #[error("no numbered points found: number each provision (`1.`, `2.` … or `Article 1`) and try again")]
    NoProvisions,
    #[error("{found} provisions found; a negotiation holds at most {limit}")]
    TooManyProvisions { found: usize, limit: usize },
    #[error("{where_}: provision {number} has {size} bytes of text; at most {limit} are allowed")]
    ProvisionTooLong { where_: String, number: String, size: usize, limit: usize },
}

/// A document read into provisions.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportedText {
    /// The first heading, if the document has one before its first provision.
    pub title: Option<String>,
    /// The text before the first provision.
    pub description: String,
    pub provisions: Vec<Provision>,
    /// What the reader did that the author may want to check: sections left
    /// out, numbers repeated or skipped.
    pub notes: Vec<String>,
}

impl ImportedText {
    /// A negotiation holding this text and `parties`, ready for
    /// [`crate::scenario::to_toml`]. No issues, profiles or timetable yet.
    pub fn into_negotiation(self, id: &str, fallback_title: &str, parties: Vec<Party>) -> Negotiation {
        Negotiation {
            id: id.to_string(),
            title: self.title.unwrap_or_else(|| fallback_title.to_string()),
            description: self.description,
            parties,
            issues: Vec::new(),
            provisions: self.provisions,
            constraints: Vec::new(),
            timetable: Timetable::default(),
            profiles: Vec::new(),
            stances: Vec::new(),
            privacy: Default::default(),
        }
    }
}

/// The parties a document gets when its importer names none: a mediator and
/// two stand-in signatories, so the result is a valid negotiation at once and
/// the author renames them later.
pub fn stand_in_parties() -> Vec<Party> {
    vec![
        Party { id: "mediator".into(), name: "Mediator".into(), role: Role::Mediator },
        Party { id: "party-a".into(), name: "Party A".into(), role: Role::Signatory },
        Party { id: "party-b".into(), name: "Party B".into(), role: Role::Signatory },
    ]
}

/// Text as an id: lower-case ASCII letters, digits and single dashes, at most
/// 40 bytes; `fallback` when nothing is left.
pub fn slug(text: &str, fallback: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
        if out.len() >= 40 {
            break;
        }
    }
    let out = out.trim_end_matches('-').to_string();
    if out.is_empty() { fallback.to_string() } else { out }
}

/// Why a list of parties written as lines could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PartyLinesError {
    #[error("line {line}: write `role: name` (roles: mediator, signatory, consulted, observer)")]
    Shape { line: usize },
    #[error("line {line}: \"{role}\" is not a role; use mediator, signatory, consulted or observer")]
    UnknownRole { line: usize, role: String },
    #[error("line {line}: the name is empty")]
    EmptyName { line: usize },
    #[error("at most {limit} parties")]
    TooMany { limit: usize },
}

/// Reads parties written one per line as `role: name` ("signatory: Party A").
/// Ids are made from the names, unique within the list. Blank lines are
/// skipped; no line at all gives [`stand_in_parties`].
pub fn parse_party_lines(text: &str) -> Result<Vec<Party>, PartyLinesError> {
    let mut parties: Vec<Party> = Vec::new();
    for (index, raw) in text.lines().enumerate() {
        let line = index + 1;
        if raw.trim().is_empty() {
            continue;
        }
        let (role, name) = raw.split_once(':').ok_or(PartyLinesError::Shape { line })?;
        let role_text = role.trim().to_ascii_lowercase();
        let role = Role::ALL
            .into_iter()
            .find(|r| r.as_str() == role_text)
            .ok_or_else(|| PartyLinesError::UnknownRole { line, role: role.trim().to_string() })?;
        let name = name.trim();
        if name.is_empty() {
            return Err(PartyLinesError::EmptyName { line });
        }
        if parties.len() >= accord_core::limits::MAX_PARTIES {
            return Err(PartyLinesError::TooMany { limit: accord_core::limits::MAX_PARTIES });
        }
        let base = slug(name, "party");
        let mut id = base.clone();
        let mut n = 2;
        while parties.iter().any(|p| p.id == id) {
            id = format!("{base}-{n}");
            n += 1;
        }
        parties.push(Party { id, name: name.to_string(), role });
    }
    if parties.is_empty() { Ok(stand_in_parties()) } else { Ok(parties) }
}

/// Reads a document of `format` from its bytes.
pub fn read(bytes: &[u8], format: DocumentFormat) -> Result<ImportedText, DocumentError> {
    if bytes.len() > MAX_DOCUMENT_BYTES {
        return Err(DocumentError::TooLarge { size: bytes.len(), limit: MAX_DOCUMENT_BYTES });
    }
    let blocks = match format {
        DocumentFormat::Markdown => markdown::blocks(utf8(bytes)?),
        DocumentFormat::PlainText => plain::blocks(utf8(bytes)?),
        DocumentFormat::Docx => docx::blocks(bytes)?,
    };
    assemble(blocks)
}

fn utf8(bytes: &[u8]) -> Result<&str, DocumentError> {
    let text = std::str::from_utf8(bytes).map_err(|e| DocumentError::NotUtf8 { at: e.valid_up_to() })?;
    Ok(text.strip_prefix('\u{feff}').unwrap_or(text))
}

/// One unit of a document, whatever its format. `place` says where it is,
/// for notes and errors ("line 12", "paragraph 30").
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Block {
    Heading {
        level: u8,
        text: String,
        place: String,
    },
    /// A numbered point; `number` is `None` where the format numbers it
    /// itself (a DOCX list), and `lead` is an opening bold phrase.
    Point {
        number: Option<String>,
        lead: Option<String>,
        text: String,
        place: String,
    },
    Paragraph {
        text: String,
        place: String,
    },
}

/// A number at the start of `text`: `5.`, `5)`, `5a.`, `5.2`, `Article 5`,
/// `Art. 5:`, `Point 5 -`, `§ 5`. Returns the number as printed and the rest.
pub(crate) fn leading_number(text: &str) -> Option<(String, &str)> {
    let trimmed = text.trim_start();
    let mut rest = trimmed;
    let mut named = false;
    for word in ["article", "art.", "point", "section", "clause", "§"] {
        if rest.len() >= word.len()
            && rest.is_char_boundary(word.len())
            && rest[..word.len()].eq_ignore_ascii_case(word)
        {
            rest = rest[word.len()..].trim_start();
            named = true;
            break;
        }
    }
    let digits = rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_digit()).len();
    if digits == 0 || digits > 4 {
        return None;
    }
    let mut end = digits;
    let bytes = rest.as_bytes();
    // Sub-numbers (5.2, 5.2.1) and one letter (5a).
    while end + 1 < bytes.len() && bytes[end] == b'.' && bytes[end + 1].is_ascii_digit() {
        end += 1;
        while end < bytes.len() && bytes[end].is_ascii_digit() {
            end += 1;
        }
    }
    if end < bytes.len()
        && bytes[end].is_ascii_lowercase()
        && bytes.get(end + 1).is_none_or(|b| !b.is_ascii_alphabetic())
    {
        end += 1;
    }
    let number = rest[..end].to_string();
    let after = &rest[end..];
    // A bare number must be followed by its punctuation ("5." or "5)"), so a
    // paragraph opening with "2026 was…" is not a provision; a sub-number
    // ("5.2") or a named one ("Article 5") may stand alone or be followed by
    // a separator.
    let after = if let Some(stripped) = after.strip_prefix(['.', ')', ':']) {
        stripped
    } else if named || number.contains('.') {
        after.trim_start().strip_prefix(['-', '–', '—', ':', '.']).unwrap_or(after)
    } else {
        return None;
    };
    if !(after.is_empty() || after.starts_with(char::is_whitespace)) {
        return None;
    }
    Some((number, after.trim()))
}

/// Doubles braces so a document's text is never read as a slot.
fn escape_braces(text: &str) -> String {
    text.replace('{', "{{").replace('}', "}}")
}

/// A provision id from its printed number: `p-5`, `p-5a`, `p-5-2`.
fn id_for(number: &str) -> String {
    let mut id = String::from("p-");
    for c in number.chars() {
        if c.is_ascii_alphanumeric() {
            id.push(c.to_ascii_lowercase());
        } else if !id.ends_with('-') {
            id.push('-');
        }
    }
    id.trim_end_matches('-').to_string()
}

struct Draft {
    number: String,
    heading: String,
    paragraphs: Vec<String>,
    place: String,
}

fn assemble(blocks: Vec<Block>) -> Result<ImportedText, DocumentError> {
    let mut title = None;
    let mut description = Vec::new();
    let mut drafts: Vec<Draft> = Vec::new();
    let mut notes = Vec::new();
    let mut counted = 0usize;
    for block in blocks {
        let start = |number: String, heading: String, body: &str, place: String| Draft {
            number,
            heading,
            paragraphs: if body.is_empty() { Vec::new() } else { vec![body.to_string()] },
            place,
        };
        match block {
            Block::Heading { level, text, place } => {
                if let Some((number, rest)) = leading_number(&text) {
                    drafts.push(start(number, rest.to_string(), "", place));
                } else if drafts.is_empty() && title.is_none() && level <= 2 {
                    title = Some(text);
                } else if drafts.is_empty() {
                    description.push(text);
                } else {
                    notes.push(format!(
                        "{place}: the heading \"{text}\" has no number, so it is not a provision; it was left out"
                    ));
                }
            }
            Block::Point { number, lead, text, place } => {
                let (number, text) = match number {
                    Some(number) => (number, text),
                    None => match leading_number(&text) {
                        Some((number, rest)) => (number, rest.to_string()),
                        None => {
                            counted += 1;
                            (counted.to_string(), text)
                        }
                    },
                };
                let heading = lead.map(|lead| lead.trim().trim_end_matches(['.', ':']).trim().to_string());
                drafts.push(start(number, heading.unwrap_or_default(), &text, place));
            }
            Block::Paragraph { text, place } => {
                if let Some((number, rest)) = leading_number(&text) {
                    drafts.push(start(number, String::new(), rest, place));
                } else if let Some(current) = drafts.last_mut() {
                    // A sub-point line joins the paragraph it follows.
                    match current.paragraphs.last_mut() {
                        Some(last) if text.starts_with("- ") => {
                            last.push('\n');
                            last.push_str(&text);
                        }
                        _ => current.paragraphs.push(text),
                    }
                } else {
                    description.push(text);
                }
            }
        }
    }
    if drafts.is_empty() {
        return Err(DocumentError::NoProvisions);
    }
    if drafts.len() > MAX_PROVISIONS {
        return Err(DocumentError::TooManyProvisions { found: drafts.len(), limit: MAX_PROVISIONS });
    }
    let mut provisions: Vec<Provision> = Vec::with_capacity(drafts.len());
    let mut previous: Option<u64> = None;
    for draft in drafts {
        let body = escape_braces(&draft.paragraphs.join("\n\n"));
        if body.len() > MAX_PROVISION_TEXT_BYTES {
            return Err(DocumentError::ProvisionTooLong {
                where_: draft.place,
                number: draft.number,
                size: body.len(),
                limit: MAX_PROVISION_TEXT_BYTES,
            });
        }
        if let Ok(whole) = draft.number.parse::<u64>() {
            if let Some(before) = previous
                && whole != before + 1
                && whole > before
            {
                notes.push(format!("{}: point {whole} follows point {before}; check for a missing point", draft.place));
            }
            previous = Some(whole);
        }
        let mut id = id_for(&draft.number);
        if provisions.iter().any(|p| p.id == id) {
            let base = id.clone();
            let mut n = 2;
            while provisions.iter().any(|p| p.id == id) {
                id = format!("{base}-{n}");
                n += 1;
            }
            notes.push(format!("{}: the number {} is used twice; this one is `{id}`", draft.place, draft.number));
        }
        provisions.push(Provision {
            id,
            number: draft.number,
            heading: escape_braces(&draft.heading),
            body,
            wordings: Vec::new(),
        });
    }
    Ok(ImportedText {
        title: title.map(|t| t.trim().to_string()).filter(|t| !t.is_empty()),
        description: description.join("\n\n"),
        provisions,
        notes,
    })
}

/// Markdown through `pulldown-cmark`: headings, ordered lists (a top-level
/// item is a point), paragraphs; nested lists become sub-point lines.
mod markdown {
    use pulldown_cmark::{Event, HeadingLevel, Parser, Tag, TagEnd};

    use super::Block;

    pub(super) fn blocks(source: &str) -> Vec<Block> {
        let line_of = |offset: usize| source[..offset.min(source.len())].matches('\n').count() + 1;
        let mut out = Vec::new();
        // Open containers: each list with its next number (None: bullets).
        let mut lists: Vec<Option<u64>> = Vec::new();
        let mut text = String::new();
        let mut lead: Option<String> = None;
        let mut in_strong_lead = false;
        let mut item_number: Option<String> = None;
        let mut item_place = String::new();
        let mut heading: Option<(u8, String)> = None;
        let mut paragraph_place: Option<String> = None;
        for (event, range) in Parser::new(source).into_offset_iter() {
            match event {
                Event::Start(Tag::Heading { level, .. }) => {
                    text.clear();
                    heading = Some((heading_level(level), format!("line {}", line_of(range.start))));
                }
                Event::End(TagEnd::Heading(_)) => {
                    if let Some((level, place)) = heading.take() {
                        out.push(Block::Heading { level, text: collapse(&text), place });
                    }
                    text.clear();
                }
                Event::Start(Tag::List(start)) => {
                    if lists.len() == 1 && item_number.is_some() {
                        // A list inside a point: its items are sub-point lines.
                        text.push('\n');
                    }
                    lists.push(start);
                }
                Event::End(TagEnd::List(_)) => {
                    lists.pop();
                }
                Event::Start(Tag::Item) => match lists.len() {
                    1 => {
                        if let Some(Some(next)) = lists.last_mut() {
                            item_number = Some(next.to_string());
                            *next += 1;
                        } else {
                            item_number = None;
                        }
                        item_place = format!("line {}", line_of(range.start));
                        text.clear();
                        lead = None;
                        if item_number.is_none() {
                            text.push_str("- ");
                        }
                    }
                    depth => {
                        if !text.ends_with('\n') && !text.is_empty() {
                            text.push('\n');
                        }
                        text.push_str(&"  ".repeat(depth.saturating_sub(2)));
                        match lists.last_mut() {
                            Some(Some(next)) => {
                                text.push_str(&format!("{next}. "));
                                *next += 1;
                            }
                            _ => text.push_str("- "),
                        }
                    }
                },
                Event::End(TagEnd::Item) if lists.len() == 1 => {
                    let body = text.trim().to_string();
                    match item_number.take() {
                        Some(number) => out.push(Block::Point {
                            number: Some(number),
                            lead: lead.take(),
                            text: body,
                            place: item_place.clone(),
                        }),
                        None => out.push(Block::Paragraph { text: body, place: item_place.clone() }),
                    }
                    text.clear();
                }
                Event::Start(Tag::Paragraph) => {
                    if lists.is_empty() {
                        text.clear();
                        paragraph_place = Some(format!("line {}", line_of(range.start)));
                    } else if !text.is_empty() && !text.ends_with('\n') && !text.ends_with("- ") {
                        text.push_str("\n\n");
                    }
                }
                Event::End(TagEnd::Paragraph) => {
                    if let Some(place) = paragraph_place.take() {
                        out.push(Block::Paragraph { text: collapse(&text), place });
                        text.clear();
                    }
                }
                Event::Start(Tag::Strong) => {
                    // A bold phrase that opens a top-level point is its heading.
                    in_strong_lead =
                        lists.len() == 1 && item_number.is_some() && text.trim().is_empty() && lead.is_none();
                }
                Event::End(TagEnd::Strong) if in_strong_lead => {
                    lead = Some(std::mem::take(&mut text).trim().to_string());
                    in_strong_lead = false;
                }
                Event::Text(t) | Event::Code(t) => text.push_str(&t),
                Event::SoftBreak => text.push(' '),
                Event::HardBreak => text.push('\n'),
                _ => {}
            }
        }
        out
    }

    fn heading_level(level: HeadingLevel) -> u8 {
        match level {
            HeadingLevel::H1 => 1,
            HeadingLevel::H2 => 2,
            HeadingLevel::H3 => 3,
            HeadingLevel::H4 => 4,
            HeadingLevel::H5 => 5,
            HeadingLevel::H6 => 6,
        }
    }

    /// One line: runs of white space become one space.
    fn collapse(text: &str) -> String {
        text.split_whitespace().collect::<Vec<_>>().join(" ")
    }
}

/// Plain text: paragraphs are separated by blank lines; a line that opens
/// with a number starts a point; wrapped lines are joined; sub-points
/// (`a)`, `-`, `•`) keep a line of their own.
mod plain {
    use super::{Block, leading_number};

    pub(super) fn blocks(source: &str) -> Vec<Block> {
        let mut out = Vec::new();
        let mut current: Option<(bool, String, String)> = None; // (is point, text, place)
        let mut seen_any = false;
        let flush = |current: &mut Option<(bool, String, String)>, out: &mut Vec<Block>| {
            if let Some((point, text, place)) = current.take() {
                let text = text.trim().to_string();
                if text.is_empty() {
                    return;
                }
                out.push(if point {
                    Block::Point { number: None, lead: None, text, place }
                } else {
                    Block::Paragraph { text, place }
                });
            }
        };
        for (index, line) in source.lines().enumerate() {
            let place = format!("line {}", index + 1);
            let trimmed = line.trim();
            if trimmed.is_empty() {
                flush(&mut current, &mut out);
                continue;
            }
            if leading_number(trimmed).is_some() {
                flush(&mut current, &mut out);
                current = Some((true, trimmed.to_string(), place));
                seen_any = true;
                continue;
            }
            if !seen_any && current.is_none() && out.is_empty() {
                // The first line of the document, unnumbered: its title.
                out.push(Block::Heading { level: 1, text: trimmed.to_string(), place });
                seen_any = true;
                continue;
            }
            seen_any = true;
            match &mut current {
                Some((_, text, _)) => {
                    if is_sub_point(trimmed) {
                        text.push('\n');
                    } else {
                        text.push(' ');
                    }
                    text.push_str(trimmed);
                }
                None => current = Some((false, trimmed.to_string(), place)),
            }
        }
        flush(&mut current, &mut out);
        out
    }

    fn is_sub_point(line: &str) -> bool {
        let mut chars = line.chars();
        match (chars.next(), chars.next(), chars.next()) {
            (Some('-' | '*' | '•' | '–'), Some(' '), _) => true,
            (Some(c), Some(')' | '.'), Some(' ')) => c.is_alphabetic() && c.is_lowercase(),
            (Some('('), Some(c), Some(')')) => c.is_alphabetic() || c.is_ascii_digit(),
            _ => false,
        }
    }
}

/// DOCX through `docx-rs`: paragraph styles say headings (`Title`,
/// `Heading1`…); Word's list numbering says points (top level) and
/// sub-points (deeper levels). Word keeps a list's numbers in its numbering
/// definitions, not in the text, so points are counted 1, 2, 3… unless the
/// text itself starts with a number.
mod docx {
    use std::collections::HashMap;
    use std::io::Cursor;

    use docx_rs::{DocumentChild, NumberingProperty, Numberings, read_docx};

    use super::{Block, DocumentError, MAX_DOCX_UNPACKED_BYTES};

    pub(super) fn blocks(bytes: &[u8]) -> Result<Vec<Block>, DocumentError> {
        check_unpacked_size(bytes)?;
        // The reader is a third party's; should it panic on a malformed
        // file, that is a refusal of this file, not the end of the process.
        let docx = std::panic::catch_unwind(|| read_docx(bytes))
            .map_err(|_| DocumentError::Docx { reason: "the reader failed on this file".into() })?
            .map_err(|e| DocumentError::Docx { reason: e.to_string() })?;
        // Word writes a list either on the paragraph (`w:numPr`) or on its
        // style ("List Number"); both say which list and which level.
        let style_lists: HashMap<&str, &NumberingProperty> = docx
            .styles
            .styles
            .iter()
            .filter_map(|style| Some((style.style_id.as_str(), style.paragraph_property.numbering_property.as_ref()?)))
            .collect();
        let mut out = Vec::new();
        for (index, child) in docx.document.children.iter().enumerate() {
            let DocumentChild::Paragraph(paragraph) = child else { continue };
            let place = format!("paragraph {}", index + 1);
            let text = paragraph.raw_text().trim().to_string();
            if text.is_empty() {
                continue;
            }
            let style_id = paragraph.property.style.as_ref().map_or("", |s| s.val.as_str());
            let style = style_id.to_ascii_lowercase();
            let list = paragraph.property.numbering_property.as_ref().or_else(|| style_lists.get(style_id).copied());
            if style == "title" {
                out.push(Block::Heading { level: 1, text, place });
            } else if let Some(level) = style.strip_prefix("heading").and_then(|n| n.trim().parse::<u8>().ok()) {
                out.push(Block::Heading { level, text, place });
            } else if let Some(list) = list {
                let level = list.level.as_ref().map_or_else(|| style_level(&style), |l| l.val);
                let bullet = list.id.as_ref().is_some_and(|id| is_bullet(&docx.numberings, id.id, level));
                if level == 0 && !bullet {
                    out.push(Block::Point { number: None, lead: None, text, place });
                } else {
                    // A sub-point or a bullet: a line of the point above it.
                    out.push(Block::Paragraph { text: format!("- {text}"), place });
                }
            } else {
                out.push(Block::Paragraph { text, place });
            }
        }
        Ok(out)
    }

    /// The level a list style stands for when it names none: Word's "List
    /// Number 2" is the second level, "List Number" the first.
    fn style_level(style: &str) -> usize {
        match style.strip_prefix("list").and_then(|rest| rest.chars().last()).and_then(|c| c.to_digit(10)) {
            Some(n) if n >= 2 => n as usize - 1,
            _ => 0,
        }
    }

    /// Whether level `level` of list `num_id` is drawn with bullets, not numbers.
    fn is_bullet(numberings: &Numberings, num_id: usize, level: usize) -> bool {
        let Some(numbering) = numberings.numberings.iter().find(|n| n.id == num_id) else { return false };
        numberings
            .abstract_nums
            .iter()
            .find(|a| a.id == numbering.abstract_num_id)
            .and_then(|a| a.levels.iter().find(|l| l.level == level))
            .is_some_and(|l| l.format.val == "bullet")
    }

    /// Refuses a file whose parts would unpack to more than
    /// [`MAX_DOCX_UNPACKED_BYTES`], before the reader unpacks them.
    fn check_unpacked_size(bytes: &[u8]) -> Result<(), DocumentError> {
        let archive = zip::ZipArchive::new(Cursor::new(bytes))
            .map_err(|e| DocumentError::Docx { reason: format!("not a DOCX (zip) file: {e}") })?;
        let declared = archive.decompressed_size().map_or(u64::MAX, |size| u64::try_from(size).unwrap_or(u64::MAX));
        if declared > MAX_DOCX_UNPACKED_BYTES {
            return Err(DocumentError::Docx {
                reason: format!("it would unpack to {declared} bytes; at most {MAX_DOCX_UNPACKED_BYTES} are read"),
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
