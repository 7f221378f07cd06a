//! Turning GENIUS names (free text) into Accord identifiers.

use std::collections::HashSet;

/// The longest identifier the scenario format accepts.
const MAX_ID_LEN: usize = 64;

/// Lowercase ASCII letters, digits, `.`, `_` and `-`, starting with a letter or
/// digit, at most 64 characters. Runs of other characters become one `-`; a
/// leading minus sign before a digit becomes `minus-` so that "-5" and "5" stay
/// apart. An empty result falls back to `fallback`.
pub(crate) fn sanitise(text: &str, fallback: &str) -> String {
    let trimmed = text.trim();
    let mut out = String::new();
    if trimmed.starts_with('-') && trimmed[1..].starts_with(|c: char| c.is_ascii_digit()) {
        out.push_str("minus-");
    }
    for ch in trimmed.chars().flat_map(char::to_lowercase) {
        if ch.is_ascii_lowercase() || ch.is_ascii_digit() || matches!(ch, '.' | '_') {
            out.push(ch);
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    let start = out.find(|c: char| c.is_ascii_alphanumeric()).unwrap_or(out.len());
    let mut id: String = out[start..].chars().take(MAX_ID_LEN).collect();
    while id.ends_with('-') {
        id.pop();
    }
    if id.is_empty() { fallback.to_string() } else { id }
}

/// Hands out identifiers that are unique within one namespace.
#[derive(Debug, Default)]
pub(crate) struct IdSet {
    taken: HashSet<String>,
}

impl IdSet {
    pub fn reserve(&mut self, id: &str) {
        self.taken.insert(id.to_string());
    }

    /// `base`, or `base-2`, `base-3`, … if taken (shortened to stay within 64 characters).
    pub fn unique(&mut self, base: String) -> String {
        if self.taken.insert(base.clone()) {
            return base;
        }
        for n in 2usize.. {
            let suffix = format!("-{n}");
            let keep = MAX_ID_LEN.saturating_sub(suffix.len()).min(base.len());
            let candidate = format!("{}{suffix}", &base[..keep]);
            if self.taken.insert(candidate.clone()) {
                return candidate;
            }
        }
        unreachable!("an unbounded counter always finds a free identifier")
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // test code: a panic is a failed test
mod tests {
    use super::*;

    #[test]
    fn names_become_identifiers() {
        assert_eq!(sanitise("0:00-2:59 prices [cents/kWh]", "x"), "0-00-2-59-prices-cents-kwh");
        assert_eq!(sanitise("Price($)", "x"), "price");
        assert_eq!(sanitise("~1km", "x"), "1km");
        assert_eq!(sanitise("19'' LCD", "x"), "19-lcd");
        assert_eq!(sanitise("travel_chox", "x"), "travel_chox");
        assert_eq!(sanitise("-5", "x"), "minus-5");
        assert_eq!(sanitise("0.5", "x"), "0.5");
        assert_eq!(sanitise("$$$", "value-1"), "value-1");
        assert_eq!(sanitise("Ärger", "x"), "rger");
        assert_eq!(sanitise(&"a".repeat(100), "x").len(), 64);
    }

    #[test]
    fn duplicates_get_suffixes() {
        let mut ids = IdSet::default();
        ids.reserve("mediator");
        assert_eq!(ids.unique("mediator".into()), "mediator-2");
        assert_eq!(ids.unique("a".into()), "a");
        assert_eq!(ids.unique("a".into()), "a-2");
        assert_eq!(ids.unique("a".into()), "a-3");
        let long = "b".repeat(64);
        assert_eq!(ids.unique(long.clone()), long);
        let second = ids.unique(long);
        assert_eq!(second.len(), 64);
        assert!(second.ends_with("-2"));
    }
}
