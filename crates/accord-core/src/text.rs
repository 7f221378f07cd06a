//! Provision bodies with slots, and versions of the text.
//!
//! A body is text in which `{issue-id}` marks a slot; `{{` and `}}` stand for
//! literal braces. Rendering a [`Package`] replaces every slot by the wording the
//! provision gives for that issue's value, producing a [`Version`]: the ordered
//! provisions with their final wording, and a content hash over a canonical
//! encoding (see [`Version::canonical_bytes`]).

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::model::{IssueKind, Negotiation, Package, Provision, WordingText, format_number};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    Text(String),
    Slot(String),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BodyError {
    #[error("unclosed slot starting at character {at}: write `{{{{` for a literal brace")]
    Unclosed { at: usize },
    #[error("empty slot `{{}}` at character {at}: name an issue inside the braces")]
    Empty { at: usize },
    #[error("stray `}}` at character {at}: write `}}}}` for a literal brace")]
    StrayClose { at: usize },
}

/// Splits a body into text and slots.
pub fn parse_body(body: &str) -> Result<Vec<Segment>, BodyError> {
    let mut out = Vec::new();
    let mut text = String::new();
    let mut chars = body.char_indices().peekable();
    while let Some((at, ch)) = chars.next() {
        match ch {
            '{' if chars.peek().map(|&(_, c)| c) == Some('{') => {
                chars.next();
                text.push('{');
            }
            '}' if chars.peek().map(|&(_, c)| c) == Some('}') => {
                chars.next();
                text.push('}');
            }
            '}' => return Err(BodyError::StrayClose { at }),
            '{' => {
                let mut name = String::new();
                let mut closed = false;
                for (_, c) in chars.by_ref() {
                    if c == '}' {
                        closed = true;
                        break;
                    }
                    name.push(c);
                }
                if !closed {
                    return Err(BodyError::Unclosed { at });
                }
                let name = name.trim().to_string();
                if name.is_empty() {
                    return Err(BodyError::Empty { at });
                }
                if !text.is_empty() {
                    out.push(Segment::Text(std::mem::take(&mut text)));
                }
                out.push(Segment::Slot(name));
            }
            _ => text.push(ch),
        }
    }
    if !text.is_empty() {
        out.push(Segment::Text(text));
    }
    Ok(out)
}

/// One provision as it reads in a version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
pub struct RenderedProvision {
    pub id: String,
    pub number: String,
    pub heading: String,
    pub text: String,
}

/// An immutable text: the ordered provisions with their wording.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
pub struct Version {
    pub title: String,
    pub provisions: Vec<RenderedProvision>,
}

/// The domain-separation tag that starts every canonical encoding. A change of
/// encoding gets a new tag, so old hashes never collide with new ones.
pub const VERSION_ENCODING_TAG: &[u8] = b"accord/version/v1\n";

impl Version {
    /// The canonical encoding hashed by [`Version::content_hash`]:
    ///
    /// ```text
    /// tag  = "accord/version/v1\n"
    /// str  = u64 big-endian byte length, then the UTF-8 bytes
    /// body = tag, str(title), u64 BE provision count,
    ///        then per provision: str(id) str(number) str(heading) str(text)
    /// ```
    ///
    /// Line endings are normalised to `\n` before encoding, so a text typed on
    /// Windows and one typed on Linux hash the same. No other normalisation
    /// happens: two texts that differ in any character differ in hash.
    pub fn canonical_bytes(&self) -> Vec<u8> {
        fn put(out: &mut Vec<u8>, s: &str) {
            let s = normalise_newlines(s);
            out.extend_from_slice(&(s.len() as u64).to_be_bytes());
            out.extend_from_slice(s.as_bytes());
        }
        let mut out = Vec::with_capacity(256);
        out.extend_from_slice(VERSION_ENCODING_TAG);
        put(&mut out, &self.title);
        out.extend_from_slice(&(self.provisions.len() as u64).to_be_bytes());
        for p in &self.provisions {
            put(&mut out, &p.id);
            put(&mut out, &p.number);
            put(&mut out, &p.heading);
            put(&mut out, &p.text);
        }
        out
    }

    /// SHA-256 of [`Version::canonical_bytes`].
    pub fn content_hash(&self) -> [u8; 32] {
        Sha256::digest(self.canonical_bytes()).into()
    }

    pub fn content_hash_hex(&self) -> String {
        hex::encode(self.content_hash())
    }
}

/// The domain-separation tag of [`wording_hash`]; a change of encoding gets a
/// new tag.
pub const WORDING_ENCODING_TAG: &[u8] = b"accord/wording/v1\n";

/// The hex SHA-256 of the wording a reader sees of one provision: the tag
/// `"accord/wording/v1\n"`, then the heading and the rendered text, each as a
/// u64 big-endian byte length and its UTF-8 bytes, with line endings
/// normalised to `\n` as in [`Version::canonical_bytes`]. The id and number
/// are left out: moving or renumbering a provision does not change what it
/// says. A stance pins this hash ([`crate::StancePin`]) so that a change of
/// wording is noticed.
pub fn wording_hash(rendered: &RenderedProvision) -> String {
    let mut hasher = Sha256::new();
    hasher.update(WORDING_ENCODING_TAG);
    for field in [&rendered.heading, &rendered.text] {
        let field = normalise_newlines(field);
        hasher.update((field.len() as u64).to_be_bytes());
        hasher.update(field.as_bytes());
    }
    hex::encode(hasher.finalize())
}

/// [`wording_hash`] of `provision` rendered under `package`.
pub fn provision_wording_hash(
    negotiation: &Negotiation,
    provision: &Provision,
    package: &Package,
) -> Result<String, RenderError> {
    render_provision(negotiation, provision, package).map(|rendered| wording_hash(&rendered))
}

fn normalise_newlines(s: &str) -> std::borrow::Cow<'_, str> {
    if s.contains('\r') { s.replace("\r\n", "\n").replace('\r', "\n").into() } else { s.into() }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RenderError {
    #[error("package has {got} values but the negotiation has {expected} issues")]
    PackageLength { expected: usize, got: usize },
    #[error("provision \"{provision}\": {source}")]
    Body { provision: String, source: BodyError },
    #[error("provision \"{provision}\" has a slot for \"{issue}\", which is not a defined issue")]
    UnknownIssue { provision: String, issue: String },
    #[error("provision \"{provision}\" gives no wording for issue \"{issue}\"")]
    MissingWording { provision: String, issue: String },
    #[error("provision \"{provision}\" gives no wording for option \"{option}\" of issue \"{issue}\"")]
    MissingOption { provision: String, issue: String, option: String },
    #[error("issue \"{issue}\" has no value at index {index}")]
    ValueOutOfRange { issue: String, index: usize },
}

/// Renders one provision under a package.
pub fn render_provision(
    negotiation: &Negotiation,
    provision: &Provision,
    package: &Package,
) -> Result<RenderedProvision, RenderError> {
    let segments =
        parse_body(&provision.body).map_err(|source| RenderError::Body { provision: provision.id.clone(), source })?;
    let mut text = String::with_capacity(provision.body.len() + 64);
    for seg in segments {
        match seg {
            Segment::Text(t) => text.push_str(&t),
            Segment::Slot(issue_id) => text.push_str(&slot_wording(negotiation, provision, &issue_id, package)?),
        }
    }
    Ok(RenderedProvision {
        id: provision.id.clone(),
        number: provision.number.clone(),
        heading: provision.heading.clone(),
        text,
    })
}

fn slot_wording(
    negotiation: &Negotiation,
    provision: &Provision,
    issue_id: &str,
    package: &Package,
) -> Result<String, RenderError> {
    let index = negotiation
        .issue_index(issue_id)
        .ok_or_else(|| RenderError::UnknownIssue { provision: provision.id.clone(), issue: issue_id.to_string() })?;
    let issue = &negotiation.issues[index];
    let value = package.0[index];
    let wording = provision
        .wordings
        .iter()
        .find(|w| w.issue == issue_id)
        .ok_or_else(|| RenderError::MissingWording { provision: provision.id.clone(), issue: issue_id.to_string() })?;
    match (&issue.kind, &wording.text) {
        (IssueKind::Discrete { options }, WordingText::PerOption(alternatives)) => {
            let option = options
                .get(value)
                .ok_or_else(|| RenderError::ValueOutOfRange { issue: issue_id.to_string(), index: value })?;
            alternatives.iter().find(|(id, _)| id == &option.id).map(|(_, text)| text.clone()).ok_or_else(|| {
                RenderError::MissingOption {
                    provision: provision.id.clone(),
                    issue: issue_id.to_string(),
                    option: option.id.clone(),
                }
            })
        }
        (IssueKind::Numeric(range), WordingText::Template(template)) => {
            if value >= range.len().unwrap_or(0) {
                return Err(RenderError::ValueOutOfRange { issue: issue_id.to_string(), index: value });
            }
            let number = format_number(range.value_at(value), range);
            Ok(template.replace("{value}", &number).replace("{unit}", range.unit.as_deref().unwrap_or("")))
        }
        // A template for a discrete issue (or options for a numeric one) is a
        // validation error; rendering reports it as a missing wording.
        _ => Err(RenderError::MissingWording { provision: provision.id.clone(), issue: issue_id.to_string() }),
    }
}

/// Renders the whole text under a package.
pub fn render(negotiation: &Negotiation, package: &Package) -> Result<Version, RenderError> {
    if package.0.len() != negotiation.issues.len() {
        return Err(RenderError::PackageLength { expected: negotiation.issues.len(), got: package.0.len() });
    }
    let provisions = negotiation
        .provisions
        .iter()
        .map(|p| render_provision(negotiation, p, package))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Version { title: negotiation.title.clone(), provisions })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_slots_and_escapes() {
        let segs = parse_body("Troops {{sic}} shall {territory} by {army-cap}.").unwrap();
        assert_eq!(
            segs,
            vec![
                Segment::Text("Troops {sic} shall ".into()),
                Segment::Slot("territory".into()),
                Segment::Text(" by ".into()),
                Segment::Slot("army-cap".into()),
                Segment::Text(".".into()),
            ]
        );
    }

    #[test]
    fn rejects_broken_slots() {
        assert_eq!(parse_body("a {b"), Err(BodyError::Unclosed { at: 2 }));
        assert_eq!(parse_body("a {} b"), Err(BodyError::Empty { at: 2 }));
        assert_eq!(parse_body("a } b"), Err(BodyError::StrayClose { at: 2 }));
    }

    fn provision_read(heading: &str, text: &str) -> RenderedProvision {
        RenderedProvision { id: "art-3".into(), number: "3".into(), heading: heading.into(), text: text.into() }
    }

    #[test]
    fn wording_hash_is_stable_and_covers_heading_and_text_only() {
        let read = provision_read("Territory", "The line is frozen.\nMonitors verify.");
        // Pinned to the documented encoding: a change of encoding must change the tag.
        assert_eq!(wording_hash(&read), "09d348de80156b75f1f8cb92b399cb600859d83d6ff7202a45f8ca9cc88605d6");
        assert_eq!(
            wording_hash(&provision_read("Territory", "The line is frozen.\r\nMonitors verify.")),
            wording_hash(&read)
        );
        let moved = RenderedProvision { id: "art-9".into(), number: "9".into(), ..read.clone() };
        assert_eq!(wording_hash(&moved), wording_hash(&read), "renumbering does not change what it says");
        assert_ne!(
            wording_hash(&provision_read("Territor", "yThe line is frozen.\nMonitors verify.")),
            wording_hash(&read)
        );
        assert_ne!(wording_hash(&provision_read("Territory", "The line is frozen.")), wording_hash(&read));
    }

    fn version(text: &str) -> Version {
        Version {
            title: "T".into(),
            provisions: vec![RenderedProvision {
                id: "art-1".into(),
                number: "1".into(),
                heading: "H".into(),
                text: text.into(),
            }],
        }
    }

    #[test]
    fn hash_is_stable_and_ignores_line_ending_style() {
        let unix = version("a\nb");
        let windows = version("a\r\nb");
        assert_eq!(unix.content_hash(), windows.content_hash());
        assert_ne!(unix.content_hash(), version("a\nc").content_hash());
        // Pinned so that any change to the canonical encoding is noticed: a
        // changed encoding must come with a new tag and this value updated.
        assert_eq!(unix.content_hash_hex(), "861f79670684284486b29e580f3d58fa8964bc14ee9bc713b8282e9e6d53d03e");
        let bytes = unix.canonical_bytes();
        assert!(bytes.starts_with(VERSION_ENCODING_TAG));
        assert_eq!(&bytes[VERSION_ENCODING_TAG.len()..VERSION_ENCODING_TAG.len() + 8], &1u64.to_be_bytes());
    }

    #[test]
    fn length_prefix_prevents_field_shifting() {
        let a = Version {
            title: "T".into(),
            provisions: vec![RenderedProvision {
                id: "ab".into(),
                number: "c".into(),
                heading: String::new(),
                text: String::new(),
            }],
        };
        let b = Version {
            title: "T".into(),
            provisions: vec![RenderedProvision {
                id: "a".into(),
                number: "bc".into(),
                heading: String::new(),
                text: String::new(),
            }],
        };
        assert_ne!(a.content_hash(), b.content_hash());
    }
}
