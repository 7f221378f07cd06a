//! The timetable: one row per phase (its name above its bar, so the chart reads
//! at 390 px as well as at 1280 px), a shared time axis, the current moment as a
//! vertical line, extensions hatched and deadlines labelled.

use chrono::{DateTime, Utc};

use crate::scale::{Time, instant, rfc3339};
use crate::svg::{ACCENT, ACCENT_DARK, GRID, INK, MUTED, PAPER, Svg, fit, no_data, num};

/// One phase as the timetable chart draws it.
#[derive(Debug, Clone, PartialEq)]
pub struct TimetablePhase {
    /// The phase id (goes to `data-phase`).
    pub id: String,
    /// The name people read.
    pub name: String,
    /// The phase kind as people read it ("negotiation", "signing", …).
    pub kind: String,
    pub start: DateTime<Utc>,
    /// The end the timetable set.
    pub end: DateTime<Utc>,
    /// When it ends, extensions included (equal to `end` when never extended).
    pub deadline: DateTime<Utc>,
    /// The phase the negotiation is in.
    pub current: bool,
}

/// Input of [`timetable`].
#[derive(Debug, Clone, PartialEq)]
pub struct TimetableChart {
    /// DOM id of the `<svg>` (sanitised; ids of its title, desc and patterns derive from it).
    pub id: String,
    pub phases: Vec<TimetablePhase>,
    /// The current moment, drawn as a line; `None` draws no line and no phase status.
    pub now: Option<DateTime<Utc>>,
}

const WIDTH: f64 = 480.0;
const MARGIN: f64 = 12.0;
const TOP: f64 = 30.0;
const ROW: f64 = 62.0;
const AXIS: f64 = 40.0;

fn status(phase: &TimetablePhase, now: Option<DateTime<Utc>>) -> &'static str {
    match now {
        _ if phase.current => "current",
        Some(now) if phase.deadline.max(phase.end) <= now => "ended",
        Some(now) if phase.start > now => "upcoming",
        Some(_) => "not entered",
        None => "scheduled",
    }
}

fn duration_words(seconds: i64) -> String {
    let hours = seconds / 3600;
    if hours >= 48 {
        format!("{} days", (hours as f64 / 24.0 * 10.0).round() / 10.0)
    } else if hours >= 1 {
        format!("{hours} h")
    } else {
        format!("{} min", (seconds / 60).max(1))
    }
}

/// Renders the timetable; an empty timetable gives a "no data" chart.
pub fn timetable(chart: &TimetableChart) -> String {
    const KIND: &str = "timetable";
    let title = "Timetable";
    if chart.phases.is_empty() {
        return no_data(KIND, &chart.id, title, "No timetable has been set.");
    }
    let phases = &chart.phases;
    let mut desc = format!("{} phases.", phases.len());
    for phase in phases {
        let deadline = phase.deadline.max(phase.end);
        desc.push_str(&format!(
            " {} ({}, {}): {} to {}",
            phase.name,
            phase.kind,
            status(phase, chart.now),
            instant(phase.start),
            instant(deadline)
        ));
        if deadline > phase.end {
            desc.push_str(&format!(", extended from {}", instant(phase.end)));
        }
        desc.push('.');
    }
    if let Some(now) = chart.now {
        desc.push_str(&format!(" Now: {}.", instant(now)));
    }

    let first = phases.iter().map(|p| p.start).min().unwrap_or_default();
    let last = phases.iter().map(|p| p.deadline.max(p.end).max(p.start)).max().unwrap_or(first);
    let (first, last) = match chart.now {
        Some(now) => (first.min(now), last.max(now)),
        None => (first, last),
    };
    let scale = Time::new(first, last, (MARGIN, WIDTH - MARGIN));
    let height = TOP + ROW * phases.len() as f64 + AXIS;
    let mut svg = Svg::new(KIND, &chart.id, WIDTH, height, title, &desc);
    let hatch = svg.hatch_pattern("extension", ACCENT_DARK);

    let axis_y = TOP + ROW * phases.len() as f64;
    let (ticks, format) = scale.ticks(5);
    svg.start("g", &[("class", "axis axis-time"), ("aria-hidden", "true")]);
    svg.line((MARGIN, axis_y), (WIDTH - MARGIN, axis_y), "axis-line", INK, &[]);
    for tick in ticks {
        let x = scale.map(tick);
        svg.line((x, TOP - 4.0), (x, axis_y + 5.0), "grid", GRID, &[]);
        let label = tick.format(format).to_string();
        let (anchor, x) = crate::svg::anchor_inside(x, &label, WIDTH, 2.0);
        svg.text(x, axis_y + 20.0, anchor, "tick-label muted", &label);
    }
    svg.end("g");

    // The line runs under the rows so label halos cover it; each bar gets its own
    // short "now" mark on top (below), so the moment stays visible across bars.
    let now_x = chart.now.map(|now| scale.map(now));
    if let Some(now) = chart.now {
        let x = scale.map(now);
        svg.start("g", &[("class", "now"), ("data-at", &rfc3339(now))]);
        svg.line((x, TOP - 6.0), (x, axis_y), "now-line", INK, &[("stroke-width", "2"), ("stroke-dasharray", "5 3")]);
        let label = format!("Now \u{00B7} {}", now.format("%-d %b %H:%M UTC"));
        let (anchor, lx) = crate::svg::anchor_inside(x, &label, WIDTH, 2.0);
        // A white halo keeps the label legible where it crosses grid lines.
        svg.element(
            "text",
            &[
                ("class", "now-label"),
                ("x", &num(lx)),
                ("y", &num(TOP - 10.0)),
                ("text-anchor", anchor),
                ("fill", INK),
                ("font-weight", "700"),
                ("stroke", PAPER),
                ("stroke-width", "3"),
                ("paint-order", "stroke"),
            ],
            &label,
        );
        svg.end("g");
    }
    for (index, phase) in phases.iter().enumerate() {
        let top = TOP + ROW * index as f64;
        let end = phase.end.max(phase.start);
        let deadline = phase.deadline.max(end);
        let state = status(phase, chart.now);
        let class = if phase.current { "phase is-current" } else { "phase" };
        let extended = deadline > end;
        svg.start(
            "g",
            &[
                ("class", class),
                ("data-phase", &phase.id),
                ("data-name", &phase.name),
                ("data-kind", &phase.kind),
                ("data-status", state),
                ("data-start", &rfc3339(phase.start)),
                ("data-end", &rfc3339(end)),
                ("data-deadline", &rfc3339(deadline)),
                ("data-extended", if extended { "true" } else { "false" }),
            ],
        );
        let mut summary =
            format!("{} ({}, {state}): {} to {}", phase.name, phase.kind, instant(phase.start), instant(deadline));
        if extended {
            summary.push_str(&format!(", extended from {}", instant(end)));
        }
        svg.tooltip(&summary);
        let heading = match state {
            "current" => format!("\u{25B6} {} \u{00B7} {} \u{00B7} current", phase.name, phase.kind),
            _ => format!("{} \u{00B7} {} \u{00B7} {state}", phase.name, phase.kind),
        };
        let heading_class = if phase.current { "phase-label label-strong" } else { "phase-label" };
        svg.element(
            "text",
            &[
                ("class", heading_class),
                ("x", &num(MARGIN)),
                ("y", &num(top + 14.0)),
                ("fill", INK),
                ("font-weight", if phase.current { "700" } else { "400" }),
                ("stroke", PAPER),
                ("stroke-width", "3"),
                ("paint-order", "stroke"),
            ],
            &fit(&heading, WIDTH - 2.0 * MARGIN),
        );

        let bar_top = top + 20.0;
        let bar_height = 16.0;
        let x0 = scale.map(phase.start);
        let x1 = scale.map(end).max(x0 + 1.0).min(WIDTH - MARGIN);
        let x0 = x0.min(x1 - 1.0);
        let (fill, stroke_width) = match state {
            "current" => (ACCENT_DARK, "2.5"),
            "ended" => (MUTED, "1"),
            _ => (ACCENT, "1"),
        };
        svg.start(
            "rect",
            &[
                ("class", "phase-bar"),
                ("x", &num(x0)),
                ("y", &num(bar_top)),
                ("width", &num(x1 - x0)),
                ("height", &num(bar_height)),
                ("fill", fill),
                ("stroke", INK),
                ("stroke-width", stroke_width),
            ],
        );
        svg.tooltip(&format!("{}: {} to {}", phase.name, instant(phase.start), instant(end)));
        svg.end("rect");
        let xd = scale.map(deadline);
        if extended && xd > x1 {
            svg.start(
                "rect",
                &[
                    ("class", "phase-extension"),
                    ("x", &num(x1)),
                    ("y", &num(bar_top)),
                    ("width", &num(xd - x1)),
                    ("height", &num(bar_height)),
                    ("fill", &hatch),
                    ("stroke", INK),
                    ("stroke-width", "1"),
                ],
            );
            svg.tooltip(&format!("Extended from {} to {}", instant(end), instant(deadline)));
            svg.end("rect");
        }
        if let Some(x) = now_x {
            let attrs = [("stroke-width", "2"), ("stroke-dasharray", "3 2")];
            svg.line((x, bar_top - 4.0), (x, bar_top + bar_height + 4.0), "now-mark", INK, &attrs);
        }
        // The deadline tick sticks out of the bar so it reads without colour.
        svg.line((xd, bar_top - 3.0), (xd, bar_top + bar_height + 3.0), "deadline-mark", INK, &[("stroke-width", "2")]);
        let mut deadline_label = format!("Deadline {}", instant(deadline));
        if extended {
            deadline_label.push_str(&format!(" (extended by {})", duration_words((deadline - end).num_seconds())));
        }
        svg.text(
            MARGIN,
            bar_top + bar_height + 16.0,
            "start",
            "deadline-label muted",
            &fit(&deadline_label, WIDTH - 2.0 * MARGIN),
        );
        svg.end("g");
    }

    svg.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(day: u32, hour: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, day, hour, 0, 0).single().unwrap()
    }

    fn phase(
        id: &str,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
        deadline: DateTime<Utc>,
        current: bool,
    ) -> TimetablePhase {
        TimetablePhase {
            id: id.into(),
            name: id.to_uppercase(),
            kind: "negotiation".into(),
            start,
            end,
            deadline,
            current,
        }
    }

    #[test]
    fn the_current_phase_is_marked_in_text_and_class_and_extensions_are_labelled() {
        let chart = TimetableChart {
            id: "tt".into(),
            phases: vec![
                phase("a", at(1, 0), at(5, 0), at(5, 0), false),
                phase("b", at(5, 0), at(10, 0), at(12, 0), true),
            ],
            now: Some(at(11, 0)),
        };
        let svg = timetable(&chart);
        assert!(svg.contains("class=\"phase is-current\" data-phase=\"b\""), "{svg}");
        assert!(svg.contains("\u{25B6} B"));
        assert!(svg.contains("data-status=\"ended\""));
        assert!(svg.contains("class=\"phase-extension\""));
        assert!(svg.contains("extended by 2 days"));
        assert_eq!(svg.matches("class=\"phase-extension\"").count(), 1);
        assert!(svg.contains("class=\"now-line\""));
    }

    #[test]
    fn phases_are_ordered_left_to_right_on_the_axis() {
        let scale = Time::new(at(1, 0), at(20, 0), (MARGIN, WIDTH - MARGIN));
        assert!(scale.map(at(1, 0)) < scale.map(at(5, 0)));
        assert!(scale.map(at(5, 0)) < scale.map(at(20, 0)));
    }

    #[test]
    fn without_now_there_is_no_line_and_no_claimed_status() {
        let chart = TimetableChart {
            id: String::new(),
            phases: vec![phase("a", at(1, 0), at(2, 0), at(2, 0), false)],
            now: None,
        };
        let svg = timetable(&chart);
        assert!(!svg.contains("now-line"));
        assert!(svg.contains("data-status=\"scheduled\""));
        assert!(svg.contains("id=\"chart-timetable\""));
    }
}
