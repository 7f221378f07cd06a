//! A small element tree over quick-xml, with line numbers, for GENIUS files.
//!
//! GENIUS files are a few kilobytes of attributes; a tree is the simplest way
//! to look elements up by index and to point at them in error messages.

use quick_xml::XmlVersion;
use quick_xml::events::{BytesStart, Event};
use quick_xml::reader::Reader;

use super::GeniusError;

/// Deeper nesting than this is not a GENIUS file, and refusing it keeps every
/// walk over the tree (and dropping it) far from the stack limit.
const MAX_DEPTH: usize = 32;

#[derive(Debug, Clone)]
pub(crate) struct Element {
    pub name: String,
    pub attrs: Vec<(String, String)>,
    pub children: Vec<Element>,
    /// 1-based line of the start tag.
    pub line: usize,
}

impl Element {
    pub fn attr(&self, key: &str) -> Option<&str> {
        self.attrs.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }

    pub fn children_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }

    pub fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }

    /// How the element is named in error messages: `<weight index="7">`.
    /// One identifying attribute is enough to find it in the file.
    pub fn describe(&self) -> String {
        let preferred: &[&str] = match self.name.as_str() {
            "issue" => &["name", "index"],
            "item" => &["value", "index"],
            _ => &["index", "name", "value"],
        };
        match preferred.iter().find_map(|k| self.attr(k).map(|v| (k, v))) {
            Some((k, v)) => format!("<{} {}=\"{}\">", self.name, k, shorten(v)),
            None => format!("<{}>", self.name),
        }
    }
}

fn shorten(text: &str) -> String {
    const MAX: usize = 60;
    if text.chars().count() <= MAX {
        text.to_string()
    } else {
        let head: String = text.chars().take(MAX).collect();
        format!("{head}…")
    }
}

/// Tracks line numbers incrementally: positions only move forward.
struct Lines<'a> {
    bytes: &'a [u8],
    pos: usize,
    line: usize,
}

impl Lines<'_> {
    fn line_at(&mut self, pos: u64) -> usize {
        let target = usize::try_from(pos).unwrap_or(usize::MAX).min(self.bytes.len());
        if target < self.pos {
            // Error positions may point back to the start of the markup.
            return 1 + self.bytes[..target].iter().filter(|&&b| b == b'\n').count();
        }
        self.line += self.bytes[self.pos..target].iter().filter(|&&b| b == b'\n').count();
        self.pos = target;
        self.line
    }
}

/// Parses `text` into its root element.
pub(crate) fn parse(file: &str, text: &str) -> Result<Element, GeniusError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = Reader::from_str(text);
    let mut lines = Lines { bytes: text.as_bytes(), pos: 0, line: 1 };
    let mut stack: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    loop {
        let before = reader.buffer_position();
        let event = match reader.read_event() {
            Ok(event) => event,
            Err(err) => {
                let line = lines.line_at(reader.error_position());
                return Err(GeniusError::at(file, line, None, format!("malformed XML: {err}")));
            }
        };
        match event {
            Event::Start(start) | Event::Empty(start) if root.is_some() && stack.is_empty() => {
                let line = lines.line_at(before);
                let name = element_name(&start);
                return Err(GeniusError::at(
                    file,
                    line,
                    None,
                    format!("a second root element <{name}>: an XML file has exactly one"),
                ));
            }
            Event::Start(start) => {
                let line = lines.line_at(before);
                if stack.len() >= MAX_DEPTH {
                    return Err(GeniusError::at(
                        file,
                        line,
                        None,
                        format!("elements nested more than {MAX_DEPTH} deep: this is not a GENIUS file"),
                    ));
                }
                stack.push(element(file, line, &start)?);
            }
            Event::Empty(start) => {
                let line = lines.line_at(before);
                let el = element(file, line, &start)?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(el),
                    None => root = Some(el),
                }
            }
            Event::End(_) => {
                // quick-xml checks that end names match their start tags.
                let Some(done) = stack.pop() else {
                    let line = lines.line_at(before);
                    return Err(GeniusError::at(
                        file,
                        line,
                        None,
                        "malformed XML: a closing tag without its opening tag",
                    ));
                };
                match stack.last_mut() {
                    Some(parent) => parent.children.push(done),
                    None => root = Some(done),
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if let Some(open) = stack.last() {
        return Err(GeniusError::at(
            file,
            open.line,
            Some(open.describe()),
            "malformed XML: the file ends before this element is closed",
        ));
    }
    root.ok_or_else(|| GeniusError::at(file, 1, None, "no XML element found: the file is empty or not XML"))
}

/// The name of the root element, reading no further than its start tag.
/// `None` when the text has no element at all.
pub(crate) fn root_name(file: &str, text: &str) -> Result<Option<String>, GeniusError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = Reader::from_str(text);
    loop {
        match reader.read_event() {
            Ok(Event::Start(start) | Event::Empty(start)) => return Ok(Some(element_name(&start))),
            Ok(Event::Eof) => return Ok(None),
            Ok(_) => {}
            Err(err) => {
                let pos = usize::try_from(reader.error_position()).unwrap_or(usize::MAX).min(text.len());
                let line = 1 + text.as_bytes()[..pos].iter().filter(|&&b| b == b'\n').count();
                return Err(GeniusError::at(file, line, None, format!("malformed XML: {err}")));
            }
        }
    }
}

fn element_name(start: &BytesStart<'_>) -> String {
    start.local_name().as_ref().to_string()
}

fn element(file: &str, line: usize, start: &BytesStart<'_>) -> Result<Element, GeniusError> {
    let name = element_name(start);
    let mut attrs = Vec::new();
    for attr in start.attributes() {
        let attr = attr.map_err(|err| {
            GeniusError::at(file, line, Some(format!("<{name}>")), format!("malformed attribute: {err}"))
        })?;
        let key = attr.key.local_name().as_ref().to_string();
        let value = attr
            .normalized_value(XmlVersion::Implicit1_0)
            .map_err(|err| GeniusError::at(file, line, Some(format!("<{name}>")), format!("attribute {key}: {err}")))?;
        attrs.push((key, value.into_owned()));
    }
    Ok(Element { name, attrs, children: Vec::new(), line })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // test code: a panic is a failed test
mod tests {
    use super::*;

    #[test]
    fn builds_a_tree_with_lines() {
        let root = parse("a.xml", "<a>\n  <b index=\"1\"/>\n  <c name=\"x &amp; y\">\n  </c>\n</a>").unwrap();
        assert_eq!(root.name, "a");
        assert_eq!(root.children.len(), 2);
        assert_eq!(root.children[0].line, 2);
        assert_eq!(root.children[1].line, 3);
        assert_eq!(root.children[1].attr("name"), Some("x & y"));
        assert_eq!(root.children[0].describe(), "<b index=\"1\">");
    }

    #[test]
    fn unclosed_and_mismatched_tags_are_errors() {
        let err = parse("a.xml", "<a>\n<b>\n").unwrap_err().to_string();
        assert!(err.starts_with("a.xml:"), "{err}");
        let err = parse("a.xml", "<a>\n<b></c></a>").unwrap_err().to_string();
        assert!(err.contains("a.xml:2"), "{err}");
        assert!(parse("a.xml", "").is_err());
        assert!(parse("a.xml", "<a/><b/>").is_err());
    }

    #[test]
    fn deep_nesting_is_refused() {
        let text = "<a>".repeat(10_000);
        let err = parse("deep.xml", &text).unwrap_err().to_string();
        assert!(err.contains("nested"), "{err}");
    }
}
