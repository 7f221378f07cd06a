//! Linear and time scales. Both clamp to their range, so a value outside the
//! domain (or a NaN) can never put a mark outside the viewBox.

use chrono::{DateTime, TimeZone, Utc};

/// Maps a numeric domain onto a pixel range, clamped.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Linear {
    domain: (f64, f64),
    range: (f64, f64),
}

impl Linear {
    /// A degenerate or non-finite domain is widened to `lo..lo+1`, so the map stays defined.
    pub(crate) fn new(domain: (f64, f64), range: (f64, f64)) -> Linear {
        let (mut lo, mut hi) = domain;
        if !lo.is_finite() {
            lo = 0.0;
        }
        if !hi.is_finite() || hi <= lo {
            hi = lo + 1.0;
        }
        Linear { domain: (lo, hi), range }
    }

    pub(crate) fn map(&self, value: f64) -> f64 {
        let (lo, hi) = self.domain;
        let t = if value.is_finite() { ((value - lo) / (hi - lo)).clamp(0.0, 1.0) } else { 0.0 };
        self.range.0 + t * (self.range.1 - self.range.0)
    }
}

/// Maps instants onto a pixel range, clamped; ticks at round UTC steps.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Time {
    linear: Linear,
    start: i64,
    end: i64,
}

const MINUTE: i64 = 60;
const HOUR: i64 = 60 * MINUTE;
const DAY: i64 = 24 * HOUR;

/// Candidate tick steps, smallest first; the first that gives few enough ticks wins.
const STEPS: [i64; 14] = [
    15 * MINUTE,
    30 * MINUTE,
    HOUR,
    3 * HOUR,
    6 * HOUR,
    12 * HOUR,
    DAY,
    2 * DAY,
    7 * DAY,
    14 * DAY,
    28 * DAY,
    91 * DAY,
    182 * DAY,
    364 * DAY,
];

impl Time {
    /// The span `start..end`, widened to at least an hour so a single instant has room.
    pub(crate) fn new(start: DateTime<Utc>, end: DateTime<Utc>, range: (f64, f64)) -> Time {
        let start = start.timestamp();
        let end = end.timestamp().max(start + HOUR);
        Time { linear: Linear::new((start as f64, end as f64), range), start, end }
    }

    pub(crate) fn map(&self, at: DateTime<Utc>) -> f64 {
        self.linear.map(at.timestamp() as f64)
    }

    /// Round instants inside the span, at most `max_ticks`, with a label format to match the step.
    pub(crate) fn ticks(&self, max_ticks: usize) -> (Vec<DateTime<Utc>>, &'static str) {
        let span = self.end - self.start;
        let max_ticks = max_ticks.max(2) as i64;
        let step = STEPS.iter().copied().find(|step| span / step < max_ticks).unwrap_or(span / max_ticks + 1);
        let format = if step < DAY { "%-d %b %H:%M" } else { "%-d %b" };
        let first = self.start.div_euclid(step) * step + if self.start.rem_euclid(step) == 0 { 0 } else { step };
        let mut ticks = Vec::new();
        let mut at = first;
        while at <= self.end {
            if let Some(instant) = Utc.timestamp_opt(at, 0).single() {
                ticks.push(instant);
            }
            at += step;
        }
        (ticks, format)
    }
}

/// A short instant as the charts print it.
pub(crate) fn instant(at: DateTime<Utc>) -> String {
    at.format("%-d %b %Y %H:%M UTC").to_string()
}

pub(crate) fn rfc3339(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn t(secs: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(secs, 0).single().unwrap()
    }

    #[test]
    fn linear_maps_ends_to_ends_and_clamps() {
        let s = Linear::new((0.0, 1.0), (10.0, 110.0));
        assert_eq!(s.map(0.0), 10.0);
        assert_eq!(s.map(1.0), 110.0);
        assert_eq!(s.map(0.5), 60.0);
        assert_eq!(s.map(-3.0), 10.0);
        assert_eq!(s.map(7.0), 110.0);
        assert_eq!(s.map(f64::NAN), 10.0);
        let inverted = Linear::new((0.0, 1.0), (400.0, 20.0));
        assert_eq!(inverted.map(1.0), 20.0);
    }

    #[test]
    fn degenerate_domains_stay_defined() {
        let s = Linear::new((0.5, 0.5), (0.0, 100.0));
        assert!(s.map(0.5).is_finite());
        let s = Linear::new((f64::NAN, f64::INFINITY), (0.0, 100.0));
        assert!(s.map(0.3).is_finite());
    }

    #[test]
    fn time_ticks_are_round_ordered_and_inside() {
        let start = t(1_780_000_123);
        let scale = Time::new(start, start + chrono::Duration::days(20), (0.0, 400.0));
        let (ticks, format) = scale.ticks(6);
        assert_eq!(format, "%-d %b");
        assert!(ticks.len() >= 2 && ticks.len() <= 6, "{ticks:?}");
        assert!(ticks.windows(2).all(|w| w[0] < w[1]));
        assert!(ticks.iter().all(|tick| tick.timestamp() % DAY == 0));
        assert!(ticks.iter().all(|tick| (0.0..=400.0).contains(&scale.map(*tick))));
    }

    proptest! {
        #[test]
        fn linear_is_monotone(lo in -10.0f64..10.0, width in 0.0f64..10.0, a in -30.0f64..30.0, b in -30.0f64..30.0) {
            let up = Linear::new((lo, lo + width), (5.0, 500.0));
            let down = Linear::new((lo, lo + width), (500.0, 5.0));
            let (a, b) = if a <= b { (a, b) } else { (b, a) };
            prop_assert!(up.map(a) <= up.map(b));
            prop_assert!(down.map(a) >= down.map(b));
            prop_assert!((5.0..=500.0).contains(&up.map(a)));
        }

        #[test]
        fn time_is_monotone(start in 0i64..4_000_000_000, span in 0i64..400_000_000, a in 0i64..5_000_000_000, b in 0i64..5_000_000_000) {
            let scale = Time::new(t(start), t(start + span), (0.0, 480.0));
            let (a, b) = if a <= b { (a, b) } else { (b, a) };
            prop_assert!(scale.map(t(a)) <= scale.map(t(b)));
            let (ticks, _) = scale.ticks(5);
            prop_assert!(ticks.len() <= 6);
        }
    }
}
