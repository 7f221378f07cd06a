//! A party's balance per provision as a diverging bar: right of the centre line
//! the provision leans toward the party's best choice, left toward its worst.

use crate::scale::Linear;
use crate::svg::{ACCENT, ACCENT_DARK, GRID, INK, PAPER, Svg, fit, no_data, num, signed2, text_width, value2};

/// One provision's score for the party.
#[derive(Debug, Clone, PartialEq)]
pub struct ProvisionBalance {
    /// The provision as people read it.
    pub provision: String,
    /// −1 (the party's worst choice for this provision's issues) .. +1 (its best); clamped.
    pub score: f64,
}

impl ProvisionBalance {
    /// The score from an engine `ProvisionShare`'s contribution, best and worst: where
    /// the contribution sits between worst (−1) and best (+1); 0 when they are equal.
    pub fn from_share(provision: impl Into<String>, contribution: f64, best: f64, worst: f64) -> ProvisionBalance {
        let span = best - worst;
        let score = if span.is_finite() && span > 1e-12 { 2.0 * (contribution - worst) / span - 1.0 } else { 0.0 };
        let score = if score.is_finite() { score.clamp(-1.0, 1.0) } else { 0.0 };
        ProvisionBalance { provision: provision.into(), score }
    }
}

/// Input of [`balance`].
#[derive(Debug, Clone, PartialEq)]
pub struct BalanceChart {
    pub id: String,
    pub party: String,
    pub provisions: Vec<ProvisionBalance>,
}

const WIDTH: f64 = 480.0;
const MARGIN: f64 = 12.0;
const ROW: f64 = 42.0;
const TOP: f64 = 24.0;

/// Renders the diverging bars; no provision gives a "no data" chart.
pub fn balance(chart: &BalanceChart) -> String {
    const KIND: &str = "balance";
    let title = format!("Balance per provision for {}", chart.party);
    let rows: Vec<(&str, f64)> = chart
        .provisions
        .iter()
        .map(|p| (p.provision.as_str(), if p.score.is_finite() { p.score.clamp(-1.0, 1.0) } else { 0.0 }))
        .collect();
    if rows.is_empty() {
        return no_data(KIND, &chart.id, &title, "No provision has issues to balance.");
    }
    let desc = format!(
        "From \u{2212}1 (worst choice for {0}) to +1 (best choice for {0}). {1}",
        chart.party,
        rows.iter().map(|(name, score)| format!("{name}: {}.", signed2(*score))).collect::<Vec<_>>().join(" ")
    );
    let height = TOP + ROW * rows.len() as f64 + 8.0;
    let mut svg = Svg::new(KIND, &chart.id, WIDTH, height, &title, &desc);
    let hatch = svg.hatch_pattern("against", ACCENT_DARK);
    let scale = Linear::new((-1.0, 1.0), (MARGIN, WIDTH - MARGIN));
    let centre = scale.map(0.0);
    svg.text(MARGIN, 16.0, "start", "end-label muted", "\u{2190} worst for me");
    svg.text(WIDTH - MARGIN, 16.0, "end", "end-label muted", "best for me \u{2192}");
    for (index, (name, score)) in rows.iter().enumerate() {
        let top = TOP + ROW * index as f64;
        let leaning = if *score > 0.0 {
            "toward best"
        } else if *score < 0.0 {
            "toward worst"
        } else {
            "even"
        };
        svg.start(
            "g",
            &[
                ("class", if *score < 0.0 { "provision is-against" } else { "provision" }),
                ("data-provision", name),
                // ASCII, for parseFloat; the visible text has the real minus sign.
                ("data-value", &value2(*score)),
            ],
        );
        let value = format!("{} {leaning}", signed2(*score));
        svg.tooltip(&format!("{name}: {value}"));
        svg.text(
            MARGIN,
            top + 13.0,
            "start",
            "provision-label",
            &fit(name, WIDTH - 2.0 * MARGIN - text_width(&value) - 10.0),
        );
        svg.text(WIDTH - MARGIN, top + 13.0, "end", "value-label label-strong", &value);
        svg.empty(
            "rect",
            &[
                ("class", "balance-track"),
                ("x", &num(MARGIN)),
                ("y", &num(top + 18.0)),
                ("width", &num(WIDTH - 2.0 * MARGIN)),
                ("height", "14"),
                ("fill", PAPER),
                ("stroke", GRID),
            ],
        );
        let end = scale.map(*score);
        let (x0, x1) = if end < centre { (end, centre) } else { (centre, end) };
        let fill = if *score < 0.0 { hatch.clone() } else { ACCENT.to_string() };
        svg.empty(
            "rect",
            &[
                ("class", "balance-bar"),
                ("x", &num(x0)),
                ("y", &num(top + 18.0)),
                ("width", &num(x1 - x0)),
                ("height", "14"),
                ("fill", &fill),
                ("stroke", INK),
            ],
        );
        svg.line((centre, top + 15.0), (centre, top + 35.0), "zero-line", INK, &[("stroke-width", "2")]);
        svg.end("g");
    }
    svg.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_come_from_the_share_between_worst_and_best() {
        assert_eq!(ProvisionBalance::from_share("p", 0.3, 0.3, 0.1).score, 1.0);
        assert_eq!(ProvisionBalance::from_share("p", 0.1, 0.3, 0.1).score, -1.0);
        assert!((ProvisionBalance::from_share("p", 0.2, 0.3, 0.1).score).abs() < 1e-12);
        assert_eq!(ProvisionBalance::from_share("p", 0.2, 0.2, 0.2).score, 0.0);
        assert_eq!(ProvisionBalance::from_share("p", f64::NAN, 0.3, 0.1).score, 0.0);
    }

    #[test]
    fn negative_scores_are_hatched_and_signed() {
        let svg = balance(&BalanceChart {
            id: "b".into(),
            party: "me".into(),
            provisions: vec![
                ProvisionBalance { provision: "Ceasefire".into(), score: -0.5 },
                ProvisionBalance { provision: "Elections".into(), score: 0.25 },
            ],
        });
        assert!(svg.contains("class=\"provision is-against\" data-provision=\"Ceasefire\""), "{svg}");
        assert!(svg.contains("\u{2212}0.50 toward worst"));
        assert!(svg.contains("+0.25 toward best"));
        assert_eq!(svg.matches("fill=\"url(#b-against)\"").count(), 1);
    }
}
