//! "What this draft gives me" (one bar against the reservation value) and the
//! normalised gains of a package, one small bar per party.

use crate::scale::Linear;
use crate::svg::{ACCENT, ACCENT_DARK, GRID, INK, PAPER, Svg, anchor_inside, fit, no_data, num, signed2, value2};

/// Input of [`utility_bar`].
#[derive(Debug, Clone, PartialEq)]
pub struct UtilityBarChart {
    pub id: String,
    /// Whose utility ("me", a party name).
    pub party: String,
    /// What is measured, e.g. "Version 3".
    pub subject: String,
    /// 0..1 (clamped); `None` when it cannot be computed yet (no profile), which draws "no data".
    pub utility: Option<f64>,
    /// 0..1, marked on the bar when set.
    pub reservation: Option<f64>,
}

const WIDTH: f64 = 480.0;
const MARGIN: f64 = 16.0;

/// Renders one utility bar with the reservation marker.
pub fn utility_bar(chart: &UtilityBarChart) -> String {
    const KIND: &str = "utility-bar";
    let title = format!("What {} gives {}", chart.subject, chart.party);
    let Some(utility) = chart.utility.filter(|u| u.is_finite()).map(|u| u.clamp(0.0, 1.0)) else {
        return no_data(KIND, &chart.id, &title, "No utility to show: the profile is not complete.");
    };
    let reservation = chart.reservation.filter(|r| r.is_finite()).map(|r| r.clamp(0.0, 1.0));
    let verdict = match reservation {
        Some(r) if utility >= r => format!("{} above the reservation value {}", value2(utility - r), value2(r)),
        Some(r) => format!("{} below the reservation value {}", value2(r - utility), value2(r)),
        None => "no reservation value set".to_string(),
    };
    let desc = format!("Utility {} on a scale from 0 to 1, {verdict}.", value2(utility));
    let height = 104.0;
    let mut svg = Svg::new(KIND, &chart.id, WIDTH, height, &title, &desc);
    let scale = Linear::new((0.0, 1.0), (MARGIN, WIDTH - MARGIN));
    let headline = format!("{} \u{00B7} {verdict}", value2(utility));
    svg.text(MARGIN, 18.0, "start", "headline label-strong", &fit(&headline, WIDTH - 2.0 * MARGIN));

    let (track_top, track_height) = (50.0, 24.0);
    svg.empty(
        "rect",
        &[
            ("class", "utility-track"),
            ("x", &num(MARGIN)),
            ("y", &num(track_top)),
            ("width", &num(WIDTH - 2.0 * MARGIN)),
            ("height", &num(track_height)),
            ("fill", PAPER),
            ("stroke", INK),
        ],
    );
    let below = reservation.is_some_and(|r| utility < r);
    // Below the reservation the bar is hatched as well as coloured, so the
    // verdict never rests on colour alone.
    let fill = if below { svg.hatch_pattern("below", ACCENT_DARK) } else { ACCENT.to_string() };
    svg.start(
        "rect",
        &[
            ("class", if below { "utility-bar is-below-reservation" } else { "utility-bar" }),
            ("x", &num(MARGIN)),
            ("y", &num(track_top)),
            ("width", &num(scale.map(utility) - MARGIN)),
            ("height", &num(track_height)),
            ("fill", &fill),
            ("stroke", INK),
            ("data-value", &value2(utility)),
        ],
    );
    svg.tooltip(&format!("Utility {}", value2(utility)));
    svg.end("rect");

    for tick in [0.0, 0.5, 1.0] {
        let x = scale.map(tick);
        svg.line((x, track_top + track_height), (x, track_top + track_height + 5.0), "tick", INK, &[]);
        let label = value2(tick);
        let (anchor, lx) = anchor_inside(x, &label, WIDTH, 2.0);
        svg.text(lx, 96.0, anchor, "tick-label muted", &label);
    }

    if let Some(r) = reservation {
        let x = scale.map(r);
        svg.start("g", &[("class", "reservation-marker"), ("data-value", &value2(r))]);
        svg.line((x, 44.0), (x, track_top + track_height + 6.0), "reservation-line", INK, &[("stroke-width", "3")]);
        let triangle =
            format!("{},{} {},{} {},{}", num(x - 6.0), num(38.0), num(x + 6.0), num(38.0), num(x), num(46.0));
        svg.empty("polygon", &[("class", "reservation-mark"), ("points", &triangle), ("fill", INK)]);
        let label = format!("reservation {}", value2(r));
        let (anchor, lx) = anchor_inside(x, &label, WIDTH, 2.0);
        svg.text(lx, 34.0, anchor, "reservation-label", &label);
        svg.end("g");
    }
    svg.finish()
}

/// One party's normalised gain under a package.
#[derive(Debug, Clone, PartialEq)]
pub struct PartyGain {
    pub party: String,
    /// 0 at the disagreement point, 1 at the party's ideal; below 0 drawn to the left of a zero line.
    pub gain: f64,
}

/// Input of [`package_gains`].
#[derive(Debug, Clone, PartialEq)]
pub struct PackageGainsChart {
    pub id: String,
    /// The package's name, e.g. "Nash".
    pub package: String,
    pub gains: Vec<PartyGain>,
}

/// Renders one small bar per party; several of these side by side make the small multiple.
pub fn package_gains(chart: &PackageGainsChart) -> String {
    const KIND: &str = "package-gains";
    let title = format!("Normalised gains per party: {}", chart.package);
    let gains: Vec<(&str, f64)> = chart
        .gains
        .iter()
        .filter(|g| g.gain.is_finite())
        .map(|g| (g.party.as_str(), g.gain.clamp(-1.0, 1.0)))
        .collect();
    if gains.is_empty() {
        return no_data(KIND, &chart.id, &title, "No gains to show.");
    }
    let any_loss = gains.iter().any(|(_, g)| *g < 0.0);
    let lo = if any_loss { -1.0 } else { 0.0 };
    let desc = format!(
        "Gain from 0 (disagreement) to 1 (ideal). {}",
        gains.iter().map(|(party, gain)| format!("{party}: {}.", value2(*gain))).collect::<Vec<_>>().join(" ")
    );
    let row = 40.0;
    let width = 240.0;
    let margin = 8.0;
    let height = row * gains.len() as f64 + 8.0;
    let mut svg = Svg::new(KIND, &chart.id, width, height, &title, &desc);
    let hatch = if any_loss { Some(svg.hatch_pattern("loss", ACCENT_DARK)) } else { None };
    let scale = Linear::new((lo, 1.0), (margin, width - margin));
    let zero = scale.map(0.0);
    for (index, (party, gain)) in gains.iter().enumerate() {
        let top = row * index as f64 + 4.0;
        svg.start("g", &[("class", "gain"), ("data-party", party), ("data-value", &value2(*gain))]);
        let value = if *gain < 0.0 { signed2(*gain) } else { value2(*gain) };
        svg.tooltip(&format!("{party}: gain {value}"));
        let value_width = crate::svg::text_width(&value);
        svg.text(margin, top + 13.0, "start", "party-label", &fit(party, width - 2.0 * margin - value_width - 8.0));
        svg.text(width - margin, top + 13.0, "end", "value-label label-strong", &value);
        let (x0, x1) = if *gain < 0.0 { (scale.map(*gain), zero) } else { (zero, scale.map(*gain)) };
        svg.empty(
            "rect",
            &[
                ("class", "gain-track"),
                ("x", &num(margin)),
                ("y", &num(top + 18.0)),
                ("width", &num(width - 2.0 * margin)),
                ("height", "14"),
                ("fill", PAPER),
                ("stroke", GRID),
            ],
        );
        let fill = match (&hatch, *gain < 0.0) {
            (Some(hatch), true) => hatch.clone(),
            _ => ACCENT.to_string(),
        };
        svg.empty(
            "rect",
            &[
                ("class", if *gain < 0.0 { "gain-bar is-loss" } else { "gain-bar" }),
                ("x", &num(x0)),
                ("y", &num(top + 18.0)),
                ("width", &num((x1 - x0).max(0.0))),
                ("height", "14"),
                ("fill", &fill),
                ("stroke", INK),
            ],
        );
        if any_loss {
            svg.line((zero, top + 15.0), (zero, top + 35.0), "zero-line", INK, &[("stroke-width", "2")]);
        }
        svg.end("g");
    }
    svg.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_verdict_is_written_out_not_only_coloured() {
        let above = utility_bar(&UtilityBarChart {
            id: "u".into(),
            party: "me".into(),
            subject: "Version 2".into(),
            utility: Some(0.62),
            reservation: Some(0.4),
        });
        assert!(above.contains("0.22 above the reservation value 0.40"), "{above}");
        let below = utility_bar(&UtilityBarChart {
            id: "u".into(),
            party: "me".into(),
            subject: "Version 2".into(),
            utility: Some(0.3),
            reservation: Some(0.4),
        });
        assert!(below.contains("0.10 below the reservation value 0.40"));
        assert!(below.contains("is-below-reservation"));
        assert!(below.contains("fill=\"url(#u-below)\""));
    }

    #[test]
    fn the_bar_grows_with_utility() {
        let width = |u: f64| {
            let svg = utility_bar(&UtilityBarChart {
                id: "u".into(),
                party: "me".into(),
                subject: "v".into(),
                utility: Some(u),
                reservation: None,
            });
            let start = svg.find("class=\"utility-bar\"").unwrap();
            let rest = &svg[start..];
            let w = rest.split("width=\"").nth(1).unwrap().split('"').next().unwrap();
            w.parse::<f64>().unwrap()
        };
        assert!(width(0.1) < width(0.5));
        assert!(width(0.5) < width(1.0));
        assert_eq!(width(1.0), WIDTH - 2.0 * MARGIN);
    }

    #[test]
    fn losses_go_left_of_a_zero_line() {
        let svg = package_gains(&PackageGainsChart {
            id: "g".into(),
            package: "Repair".into(),
            gains: vec![PartyGain { party: "a".into(), gain: -0.5 }, PartyGain { party: "b".into(), gain: 0.5 }],
        });
        assert!(svg.contains("gain-bar is-loss"));
        assert!(svg.contains("\u{2212}0.50"));
        assert_eq!(svg.matches("class=\"zero-line\"").count(), 2);
    }
}
