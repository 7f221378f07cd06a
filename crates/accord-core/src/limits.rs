//! Size limits of a negotiation, enforced below any transport.
//!
//! Accord runs where anyone may submit a scenario, so every size that makes
//! some later step allocate or loop in proportion to it is bounded here, once:
//! [`crate::validate::validate`] reports each limit exceeded (with the path and
//! the limit), `accord_engine::compile` refuses an issue whose tables would be
//! too large before allocating them, and the file formats report them with a
//! line. The figures are far above every example in `examples/` and every
//! GENIUS domain Accord is tested on (at most 9 parties, 8 issues, 1,001 values
//! per issue), and far below what takes a process down.
//!
//! The limits cap the per-issue tables, not the outcome space: 30 issues of 10
//! values each (10³⁰ packages) are 300 table entries per party, well inside
//! them, and the exact engine handles such separable problems.
//!
//! Counting values never allocates per value: a numeric range's size is
//! computed from its bounds and step ([`issue_value_count`]).

use crate::model::{Issue, IssueKind, NumericRange};

/// The most values one issue may take (options of a discrete issue, grid
/// points of a numeric one). Every engine table has one entry per value.
pub const MAX_VALUES_PER_ISSUE: u64 = 100_000;

/// The most values all issues together may take: the length of one party's
/// utility tables, summed over issues.
pub const MAX_TOTAL_VALUES: u64 = 1_000_000;

/// The most issues in one negotiation.
pub const MAX_ISSUES: usize = 1_000;

/// The most parties in one negotiation (all roles).
pub const MAX_PARTIES: usize = 100;

/// The most provisions in one text.
pub const MAX_PROVISIONS: usize = 2_000;

/// The most wordings (bracketed slots, one per issue) in one provision.
pub const MAX_WORDINGS_PER_PROVISION: usize = 100;

/// The most bytes of UTF-8 in one provision's body, and in each of its
/// wordings (each alternative of a discrete wording, or a numeric template).
pub const MAX_PROVISION_TEXT_BYTES: usize = 100_000;

/// The most edits in one drafting batch (`POST …/draft/edits`): a batch is
/// planned and folded as one write, so it is bounded like any input.
pub const MAX_DRAFT_EDITS: usize = 200;

/// The most constraints of the scenario.
pub const MAX_CONSTRAINTS: usize = 10_000;

/// How many values `issue` takes, computed without allocating. A numeric
/// range whose step does not divide it is counted as its whole steps plus one
/// (`validate` reports the step separately); a range that is not finite or is
/// inverted counts 0. The count saturates at `u64::MAX`.
pub fn issue_value_count(issue: &Issue) -> u64 {
    match &issue.kind {
        IssueKind::Discrete { options } => options.len() as u64,
        IssueKind::Numeric(range) => numeric_value_count(range),
    }
}

/// How many grid points `range` spans, from its bounds and step alone.
pub fn numeric_value_count(range: &NumericRange) -> u64 {
    if !(range.min.is_finite() && range.max.is_finite() && range.step.is_finite()) {
        return 0;
    }
    if range.step <= 0.0 || range.max < range.min {
        return 0;
    }
    let steps = ((range.max - range.min) / range.step).round();
    // `as` saturates for floats beyond u64 (and maps NaN, impossible here, to 0).
    (steps as u64).saturating_add(1)
}

/// Formats a count with thousands separators ("4,000,000,001"), for messages.
pub fn format_count(count: u64) -> String {
    let digits = count.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (k, c) in digits.chars().enumerate() {
        if k > 0 && (digits.len() - k).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(min: f64, max: f64, step: f64) -> NumericRange {
        NumericRange { min, max, step, integer: true, unit: None }
    }

    #[test]
    fn numeric_counts_are_arithmetic() {
        assert_eq!(numeric_value_count(&range(400_000.0, 1_000_000.0, 50_000.0)), 13);
        assert_eq!(numeric_value_count(&range(0.0, 4_000_000_000.0, 1.0)), 4_000_000_001);
        assert_eq!(numeric_value_count(&range(0.0, 1e300, 1e-300)), u64::MAX);
        assert_eq!(numeric_value_count(&range(5.0, 1.0, 1.0)), 0);
        assert_eq!(numeric_value_count(&range(0.0, 1.0, 0.0)), 0);
        assert_eq!(numeric_value_count(&range(0.0, f64::INFINITY, 1.0)), 0);
    }

    #[test]
    fn counts_are_formatted_with_separators() {
        assert_eq!(format_count(0), "0");
        assert_eq!(format_count(999), "999");
        assert_eq!(format_count(1_000), "1,000");
        assert_eq!(format_count(4_000_000_001), "4,000,000,001");
    }
}
