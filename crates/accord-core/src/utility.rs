//! The one definition of a party's utility.
//!
//! `u(package) = 0.0 + t[0][v0] + t[1][v1] + …`, summed left to right in issue
//! order, where `t[i][v] = share_i * rating_i(v)`:
//!
//! * `share_i` is the weight divided by the sum of weights
//!   ([`Weighting::Normalised`], the default) or the weight as written
//!   ([`Weighting::AsWritten`], GENIUS semantics);
//! * `rating_i(v)` is the table entry (discrete), the piecewise-linear
//!   interpolation (numeric), or `clamp(offset + slope*(x - origin), 0, 1)`.
//!
//! Building the tables once and summing them is both the fast path for the
//! engine and the reference semantics: summing in issue order reproduces the
//! GENIUS figures bit for bit.

use crate::model::{Issue, IssueKind, Negotiation, Package, Profile, Rating, Weighting};

/// Per-issue contribution tables of one profile: `tables[i][v]`.
#[derive(Debug, Clone, PartialEq)]
pub struct UtilityTables {
    pub tables: Vec<Vec<f64>>,
}

impl UtilityTables {
    pub fn new(negotiation: &Negotiation, profile: &Profile) -> Self {
        let total: f64 = profile.weights.iter().map(|(_, w)| *w).sum();
        let tables = negotiation
            .issues
            .iter()
            .map(|issue| {
                let weight = profile.weights.iter().find(|(id, _)| id == &issue.id).map_or(0.0, |(_, w)| *w);
                let share = match profile.weighting {
                    Weighting::AsWritten => weight,
                    Weighting::Normalised if total > 0.0 => weight / total,
                    Weighting::Normalised => 0.0,
                };
                let rating = profile.ratings.iter().find(|(id, _)| id == &issue.id).map(|(_, r)| r);
                (0..issue.value_count()).map(|v| share * rating.map_or(0.0, |r| rate(issue, r, v))).collect()
            })
            .collect();
        UtilityTables { tables }
    }

    /// The utility of a package. Indices out of range contribute 0.
    pub fn utility(&self, package: &Package) -> f64 {
        self.tables.iter().zip(&package.0).fold(0.0, |acc, (table, &v)| acc + table.get(v).copied().unwrap_or(0.0))
    }

    /// The best and worst contribution an issue can make.
    pub fn issue_range(&self, issue: usize) -> (f64, f64) {
        let t = &self.tables[issue];
        let lo = t.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = t.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        (lo, hi)
    }
}

/// The rating (0–1 scale) of value index `v` of `issue`.
pub fn rate(issue: &Issue, rating: &Rating, v: usize) -> f64 {
    match (&issue.kind, rating) {
        (IssueKind::Discrete { options }, Rating::Table(entries)) => {
            options.get(v).and_then(|o| entries.iter().find(|(id, _)| id == &o.id)).map_or(0.0, |(_, r)| *r)
        }
        (IssueKind::Numeric(range), Rating::Piecewise(points)) => piecewise(points, range.value_at(v)),
        (IssueKind::Numeric(range), Rating::Linear { offset, slope, origin }) => {
            (offset + slope * (range.value_at(v) - origin)).clamp(0.0, 1.0)
        }
        // A table for a numeric issue rates values by their written form.
        (IssueKind::Numeric(range), Rating::Table(entries)) => {
            let written = crate::model::format_plain_number(range.value_at(v));
            entries.iter().find(|(id, _)| *id == written).map_or(0.0, |(_, r)| *r)
        }
        // Functions over a discrete issue are a validation error.
        (IssueKind::Discrete { .. }, _) => 0.0,
    }
}

/// Linear interpolation between sorted breakpoints, flat beyond the ends.
pub fn piecewise(points: &[(f64, f64)], x: f64) -> f64 {
    let Some(&(x0, y0)) = points.first() else { return 0.0 };
    if x <= x0 {
        return y0;
    }
    for pair in points.windows(2) {
        let ((xa, ya), (xb, yb)) = (pair[0], pair[1]);
        if x <= xb {
            if xb == xa {
                return yb;
            }
            return ya + (yb - ya) * (x - xa) / (xb - xa);
        }
    }
    points.last().map_or(0.0, |&(_, y)| y)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn piecewise_interpolates_and_clamps_to_ends() {
        let pts = [(400_000.0, 1.0), (800_000.0, 0.2), (1_000_000.0, 0.0)];
        assert_eq!(piecewise(&pts, 300_000.0), 1.0);
        assert!((piecewise(&pts, 600_000.0) - 0.6).abs() < 1e-12);
        assert_eq!(piecewise(&pts, 1_200_000.0), 0.0);
        assert_eq!(piecewise(&[], 1.0), 0.0);
    }
}
