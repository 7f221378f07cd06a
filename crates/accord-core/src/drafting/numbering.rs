//! Displayed provision numbers for inserted provisions.
//!
//! A provision's id never changes; its displayed `number` is separate, and a
//! provision inserted between two others is numbered between them without
//! touching theirs, until the mediator renumbers the whole text.
//!
//! # Grammar
//!
//! A number this module understands is an integer (optionally negative)
//! followed by a suffix of lowercase letters: `5`, `5a`, `5ab`, `0`, `-1`,
//! `5za`. Numbers sort by the integer, then by the suffix, comparing the
//! suffix letter by letter in the order
//!
//! ```text
//! (end of suffix) < z < a < b < … < y
//! ```
//!
//! so `5 < 5zza < 5za < 5a < 5aa < 5ab < 5b < 6`. This is the convention of
//! UK statute numbering, where a section inserted between 5 and 5A is 5ZA:
//! `z` is the letter that goes *before* `a`. A generated suffix never ends in
//! `z` (between `5` and `5z` nothing fits), so a number always fits between
//! two different numbers.
//!
//! [`number_between`] picks the most natural number that fits: the next
//! integer when it is free (`6` after `5` at the end, or between `5` and
//! `8`), else the shortest suffix after the previous number (`5a` after `5`,
//! `5b` after `5a`, `5aa` between `5a` and `5b`, `5za` between `5` and
//! `5a`), and before the first provision the integer below it (`0` before
//! `1`, `-1` before `0`).
//!
//! Numbers outside the grammar (`IV`, `7.2`, `Preamble`) are the mediator's
//! own: a neighbour written so counts as absent, and the result is made
//! unique among the text's numbers by a `.2`, `.3`, … ending if it must be.

use std::cmp::Ordering;

/// A number of the grammar: the integer and the suffix as digits (`z` = 0,
/// `a` = 1, …, `y` = 25).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Number {
    pub integer: i64,
    suffix: Vec<u8>,
}

const LETTERS: &[u8; 26] = b"zabcdefghijklmnopqrstuvwxy";

impl Number {
    /// Parses `5`, `-1`, `5a`, `5za`; `None` outside the grammar (a suffix
    /// ending in `z` included, since it has no number before it).
    pub fn parse(text: &str) -> Option<Number> {
        let digits_end = text
            .char_indices()
            .find(|&(i, c)| !(c.is_ascii_digit() || (i == 0 && c == '-')))
            .map_or(text.len(), |(i, _)| i);
        let (integer, suffix) = text.split_at(digits_end);
        let magnitude = integer.strip_prefix('-').unwrap_or(integer);
        // One written form per number: no `-0`, no leading zeros.
        if magnitude.is_empty() || (magnitude.len() > 1 && magnitude.starts_with('0')) || integer == "-0" {
            return None;
        }
        let integer: i64 = integer.parse().ok()?;
        let suffix: Option<Vec<u8>> =
            suffix.bytes().map(|b| LETTERS.iter().position(|&l| l == b).map(|d| d as u8)).collect();
        let suffix = suffix?;
        if suffix.last() == Some(&0) {
            return None;
        }
        Some(Number { integer, suffix })
    }

    fn plain(integer: i64) -> Number {
        Number { integer, suffix: Vec::new() }
    }
}

impl std::fmt::Display for Number {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.integer)?;
        for &d in &self.suffix {
            write!(f, "{}", LETTERS[usize::from(d)] as char)?;
        }
        Ok(())
    }
}

impl Ord for Number {
    fn cmp(&self, other: &Number) -> Ordering {
        // With `z` = 0 and no suffix ending in `z`, comparing the digit
        // strings padded with zeros is the documented order.
        self.integer.cmp(&other.integer).then_with(|| {
            let len = self.suffix.len().max(other.suffix.len());
            let digit = |s: &[u8], i: usize| s.get(i).copied().unwrap_or(0);
            (0..len)
                .map(|i| digit(&self.suffix, i).cmp(&digit(&other.suffix, i)))
                .find(|o| o.is_ne())
                .unwrap_or(Ordering::Equal)
        })
    }
}

impl PartialOrd for Number {
    fn partial_cmp(&self, other: &Number) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// The most natural number strictly between `after` and `before` (either may
/// be absent: the start or the end of the text); `None` when `after` is not
/// below `before`. See the [module documentation](self).
pub fn between(after: Option<&Number>, before: Option<&Number>) -> Option<Number> {
    if let (Some(a), Some(b)) = (after, before)
        && a >= b
    {
        return None;
    }
    let fits = |n: &Number| after.is_none_or(|a| n > a) && before.is_none_or(|b| n < b);
    match after {
        None => {
            // Before the first: the integer below it (or its own integer,
            // when it carries a suffix). An empty text starts at 1.
            let Some(b) = before else {
                return Some(Number::plain(1));
            };
            let own = Number::plain(b.integer);
            if fits(&own) {
                return Some(own);
            }
            b.integer.checked_sub(1).map(Number::plain)
        }
        Some(a) => {
            if let Some(next) = a.integer.checked_add(1).map(Number::plain)
                && fits(&next)
            {
                return Some(next);
            }
            // The same integer: the shortest suffix above `a`'s, below
            // `before`'s when `before` shares the integer.
            let ceiling = before.filter(|b| b.integer == a.integer).map(|b| b.suffix.as_slice());
            let longest = a.suffix.len() + ceiling.map_or(0, <[u8]>::len) + 2;
            (1..=longest).find_map(|len| {
                let candidate = Number { integer: a.integer, suffix: smallest_above(&a.suffix, len)? };
                fits(&candidate).then_some(candidate)
            })
        }
    }
}

/// The smallest suffix of at most `len` digits, not ending in `z`, above `suffix`.
fn smallest_above(suffix: &[u8], len: usize) -> Option<Vec<u8>> {
    let mut digits: Vec<u8> = (0..len).map(|i| suffix.get(i).copied().unwrap_or(0)).collect();
    // Truncated (or padded) to `len` digits it is at most `suffix`; one more
    // in the last digit is the smallest `len`-digit suffix above it.
    let mut i = len;
    loop {
        i = i.checked_sub(1)?;
        if digits[i] < 25 {
            digits[i] += 1;
            break;
        }
        digits[i] = 0;
    }
    while digits.last() == Some(&0) {
        digits.pop();
    }
    Some(digits)
}

/// The number for a provision inserted between the provisions numbered
/// `after` and `before` (absent at the start or end of the text), unique
/// among `taken` (every number of the text). See the [module documentation](self).
pub fn number_between(after: Option<&str>, before: Option<&str>, taken: &[&str]) -> String {
    let parsed_after = after.and_then(Number::parse);
    let parsed_before = before.and_then(Number::parse);
    let generated = between(parsed_after.as_ref(), parsed_before.as_ref())
        .or_else(|| between(parsed_after.as_ref(), None))
        .or_else(|| between(None, parsed_before.as_ref()))
        .map(|n| n.to_string());
    let stem = generated.clone().or_else(|| after.map(str::to_string)).unwrap_or_else(|| "1".to_string());
    if let Some(number) = generated
        && !taken.contains(&number.as_str())
    {
        return number;
    }
    (2u64..).map(|k| format!("{stem}.{k}")).find(|candidate| !taken.contains(&candidate.as_str())).unwrap_or(stem)
}

/// The numbers of a renumbered text of `count` provisions: `1` to `count`.
pub fn renumbered(count: usize) -> Vec<String> {
    (1..=count).map(|i| i.to_string()).collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn between_text(after: Option<&str>, before: Option<&str>) -> String {
        number_between(after, before, &[])
    }

    #[test]
    fn inserted_numbers_read_naturally() {
        assert_eq!(between_text(Some("5"), None), "6");
        assert_eq!(between_text(Some("5"), Some("8")), "6");
        assert_eq!(between_text(Some("5"), Some("6")), "5a");
        assert_eq!(between_text(Some("5a"), Some("6")), "5b");
        assert_eq!(between_text(Some("5a"), Some("5b")), "5aa");
        assert_eq!(between_text(Some("5"), Some("5a")), "5za");
        assert_eq!(between_text(Some("5"), Some("5za")), "5zza");
        assert_eq!(between_text(Some("5y"), Some("6")), "5ya");
        assert_eq!(between_text(None, Some("1")), "0");
        assert_eq!(between_text(None, Some("0")), "-1");
        assert_eq!(between_text(None, Some("1a")), "1");
        assert_eq!(between_text(None, None), "1");
    }

    #[test]
    fn the_order_is_the_documented_one() {
        let order = ["-1", "0", "5", "5zza", "5za", "5a", "5aa", "5ab", "5b", "6"];
        let parsed: Vec<Number> = order.iter().map(|n| Number::parse(n).unwrap()).collect();
        assert!(parsed.windows(2).all(|w| w[0] < w[1]), "{parsed:?}");
        for text in order {
            assert_eq!(Number::parse(text).unwrap().to_string(), text);
        }
        for outside in ["IV", "7.2", "", "-", "5z", "5A", "05", "a5"] {
            assert_eq!(Number::parse(outside), None, "{outside}");
        }
    }

    #[test]
    fn numbers_outside_the_grammar_get_a_unique_number() {
        assert_eq!(number_between(Some("IV"), Some("V"), &["IV", "V"]), "1");
        assert_eq!(number_between(Some("IV"), Some("V"), &["IV", "V", "1"]), "1.2");
        assert_eq!(number_between(Some("Preamble"), Some("1"), &["Preamble", "1"]), "0");
        // Neighbours out of order (a number typed by hand): still unique.
        assert_eq!(number_between(Some("7"), Some("3"), &["7", "3", "8"]), "8.2");
    }

    fn number() -> impl Strategy<Value = Number> {
        (-3i64..12, proptest::collection::vec(0u8..26, 0..4)).prop_map(|(integer, mut suffix)| {
            while suffix.last() == Some(&0) {
                suffix.pop();
            }
            Number { integer, suffix }
        })
    }

    proptest! {
        /// Inserting anywhere in a sorted, unique text gives a number of the
        /// grammar that sorts strictly between its neighbours, so the text
        /// stays sorted and unique.
        #[test]
        fn generated_numbers_sort_between_their_neighbours(mut numbers in proptest::collection::vec(number(), 0..8), at in 0usize..9) {
            numbers.sort();
            numbers.dedup();
            let at = at.min(numbers.len());
            let texts: Vec<String> = numbers.iter().map(ToString::to_string).collect();
            let taken: Vec<&str> = texts.iter().map(String::as_str).collect();
            let after = at.checked_sub(1).map(|i| texts[i].as_str());
            let before = texts.get(at).map(String::as_str);
            let generated = number_between(after, before, &taken);
            let parsed = Number::parse(&generated);
            prop_assert!(parsed.is_some(), "{generated} is outside the grammar");
            let parsed = parsed.unwrap();
            prop_assert_eq!(parsed.to_string(), generated.clone());
            if at > 0 { prop_assert!(parsed > numbers[at - 1], "{} after {}", generated, texts[at - 1]); }
            if at < numbers.len() { prop_assert!(parsed < numbers[at], "{} before {}", generated, texts[at]); }
            prop_assert!(!taken.contains(&generated.as_str()));
        }

        #[test]
        fn parse_and_display_agree(n in number()) {
            prop_assert_eq!(Number::parse(&n.to_string()), Some(n));
        }
    }
}
