//! A party's reservation value over time: a step line (the value holds until
//! the next change), a point at each change, the latest value labelled.

use chrono::{DateTime, Utc};

use crate::scale::{Linear, Time, instant, rfc3339};
use crate::svg::{ACCENT_DARK, GRID, INK, PAPER, Svg, anchor_inside, fit, no_data, num, value2};

/// One change of the reservation value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ReservationChange {
    pub at: DateTime<Utc>,
    /// The new value, 0..1 (clamped; a non-finite value is left out).
    pub value: f64,
}

/// Input of [`reservation_history`].
#[derive(Debug, Clone, PartialEq)]
pub struct ReservationHistoryChart {
    pub id: String,
    /// Whose reservation value (for the title).
    pub party: String,
    /// In any order; drawn oldest first.
    pub changes: Vec<ReservationChange>,
    /// Where the last step ends; without it, at the last change.
    pub now: Option<DateTime<Utc>>,
}

const WIDTH: f64 = 480.0;
const HEIGHT: f64 = 240.0;
const LEFT: f64 = 44.0;
const RIGHT: f64 = 20.0;
const TOP: f64 = 16.0;
const BOTTOM: f64 = 40.0;

/// Renders the history; no (finite) change gives a "no data" chart.
pub fn reservation_history(chart: &ReservationHistoryChart) -> String {
    const KIND: &str = "reservation-history";
    let title = format!("Reservation value of {} over time", chart.party);
    let mut changes: Vec<ReservationChange> = chart
        .changes
        .iter()
        .filter(|c| c.value.is_finite())
        .map(|c| ReservationChange { at: c.at, value: c.value.clamp(0.0, 1.0) })
        .collect();
    changes.sort_by_key(|c| c.at);
    let (Some(first), Some(last)) = (changes.first().copied(), changes.last().copied()) else {
        return no_data(KIND, &chart.id, &title, "No reservation value has been set yet.");
    };
    let end = chart.now.map_or(last.at, |now| now.max(last.at));

    let mut desc = format!("{} changes.", changes.len());
    for change in &changes {
        desc.push_str(&format!(" {}: {}.", instant(change.at), value2(change.value)));
    }
    desc.push_str(&format!(" Current value {}.", value2(last.value)));

    let x = Time::new(first.at, end, (LEFT, WIDTH - RIGHT));
    let y = Linear::new((0.0, 1.0), (HEIGHT - BOTTOM, TOP));
    let mut svg = Svg::new(KIND, &chart.id, WIDTH, HEIGHT, &title, &desc);

    svg.start("g", &[("class", "axis axis-value"), ("aria-hidden", "true")]);
    for tick in [0.0, 0.25, 0.5, 0.75, 1.0] {
        let ty = y.map(tick);
        svg.line((LEFT, ty), (WIDTH - RIGHT, ty), "grid", GRID, &[]);
        svg.text(LEFT - 6.0, ty + 4.5, "end", "tick-label muted", &value2(tick));
    }
    svg.end("g");
    svg.start("g", &[("class", "axis axis-time"), ("aria-hidden", "true")]);
    let axis_y = HEIGHT - BOTTOM;
    svg.line((LEFT, axis_y), (WIDTH - RIGHT, axis_y), "axis-line", INK, &[]);
    let (ticks, format) = x.ticks(4);
    for tick in ticks {
        let tx = x.map(tick);
        svg.line((tx, axis_y), (tx, axis_y + 5.0), "tick", INK, &[]);
        let label = tick.format(format).to_string();
        let (anchor, lx) = anchor_inside(tx, &label, WIDTH, 2.0);
        svg.text(lx, axis_y + 20.0, anchor, "tick-label muted", &label);
    }
    svg.end("g");

    let mut path = format!("M {} {}", num(x.map(first.at)), num(y.map(first.value)));
    for pair in changes.windows(2) {
        let tx = num(x.map(pair[1].at));
        path.push_str(&format!(" L {tx} {} L {tx} {}", num(y.map(pair[0].value)), num(y.map(pair[1].value))));
    }
    path.push_str(&format!(" L {} {}", num(x.map(end)), num(y.map(last.value))));
    svg.empty(
        "path",
        &[
            ("class", "reservation-line"),
            ("d", &path),
            ("fill", "none"),
            ("stroke", ACCENT_DARK),
            ("stroke-width", "2.5"),
        ],
    );

    svg.start("g", &[("class", "reservation-points"), ("data-party", &chart.party)]);
    for (index, change) in changes.iter().enumerate() {
        svg.start(
            "circle",
            &[
                ("class", "reservation-point"),
                ("cx", &num(x.map(change.at))),
                ("cy", &num(y.map(change.value))),
                ("r", "4.5"),
                ("fill", PAPER),
                ("stroke", INK),
                ("stroke-width", "2"),
                ("data-index", &index.to_string()),
                ("data-at", &rfc3339(change.at)),
                ("data-value", &value2(change.value)),
            ],
        );
        svg.tooltip(&format!("{}: {}", instant(change.at), value2(change.value)));
        svg.end("circle");
    }
    svg.end("g");

    let label = fit(&format!("now {}", value2(last.value)), 120.0);
    let ly = y.map(last.value);
    // Above the line unless that would leave the plot.
    let ly = if ly - 8.0 < TOP + 10.0 { ly + 18.0 } else { ly - 8.0 };
    let (anchor, lx) = anchor_inside(x.map(end), &label, WIDTH, 2.0);
    svg.text(lx, ly, anchor, "value-label label-strong", &label);
    svg.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(day: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, day, 12, 0, 0).single().unwrap()
    }

    #[test]
    fn steps_hold_the_old_value_until_the_change() {
        let chart = ReservationHistoryChart {
            id: "r".into(),
            party: "north".into(),
            // Out of order on purpose; the chart sorts.
            changes: vec![ReservationChange { at: at(5), value: 0.8 }, ReservationChange { at: at(1), value: 0.2 }],
            now: None,
        };
        let svg = reservation_history(&chart);
        let x = Time::new(at(1), at(5), (LEFT, WIDTH - RIGHT));
        let y = Linear::new((0.0, 1.0), (HEIGHT - BOTTOM, TOP));
        let step = format!(
            "M {} {} L {} {} L {} {}",
            num(x.map(at(1))),
            num(y.map(0.2)),
            num(x.map(at(5))),
            num(y.map(0.2)),
            num(x.map(at(5))),
            num(y.map(0.8))
        );
        assert!(svg.contains(&step), "{svg}");
        assert_eq!(svg.matches("class=\"reservation-point\"").count(), 2);
        assert!(svg.contains("data-index=\"0\" data-at=\"2026-11-01T12:00:00Z\" data-value=\"0.20\""));
    }

    #[test]
    fn non_finite_values_are_left_out_and_all_gone_means_no_data() {
        let chart = ReservationHistoryChart {
            id: "r".into(),
            party: "p".into(),
            changes: vec![ReservationChange { at: at(1), value: f64::NAN }],
            now: None,
        };
        assert!(reservation_history(&chart).contains("data-empty=\"true\""));
    }
}
