//! Mapping a model path back to a place in the file.

use accord_core::validate::PathSeg;
use toml::Spanned;
use toml::de::{DeTable, DeValue};

/// A 1-based line and column (columns count characters, not bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Position {
    pub line: usize,
    pub column: usize,
}

pub(crate) fn position_of(source: &str, offset: usize) -> Position {
    let mut offset = offset.min(source.len());
    while !source.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &source[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    Position { line, column: before[line_start..].chars().count() + 1 }
}

/// Where a path points: the deepest part of it that exists in the document.
/// A table (or array of tables) is shown at its key (`[profile.ua]` at `ua`),
/// any other value at the value itself.
pub(crate) fn offset_of(root: &Spanned<DeTable<'_>>, path: &[PathSeg]) -> usize {
    let mut best = root.span().start;
    let mut table: Option<&DeTable<'_>> = Some(root.get_ref());
    let mut array: Option<&[Spanned<DeValue<'_>>]> = None;
    for seg in path {
        let value = match seg {
            PathSeg::Key(k) => {
                let Some((key, value)) = table.and_then(|t| t.iter().find(|(key, _)| key.get_ref() == k)) else {
                    break;
                };
                best = match value.get_ref() {
                    DeValue::Table(_) | DeValue::Array(_) => key.span().start,
                    _ => value.span().start,
                };
                value
            }
            PathSeg::Index(i) => {
                let Some(value) = array.and_then(|a| a.get(*i)) else { break };
                best = value.span().start;
                value
            }
        };
        table = None;
        array = None;
        match value.get_ref() {
            DeValue::Table(t) => table = Some(t),
            DeValue::Array(a) => array = Some(&a[..]),
            _ => {}
        }
    }
    best
}
