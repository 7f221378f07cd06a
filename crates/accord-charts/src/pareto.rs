//! The Pareto frontier for a pair of parties, with the current draft, the
//! suggested packages (one shape each, labelled) and the reservation point.

use crate::scale::Linear;
use crate::svg::{ACCENT, ACCENT_DARK, GRID, INK, MUTED, PAPER, Svg, fit, no_data, num, text_width, value2};

/// Two normalised gains, one per party of the pair: `x` for [`ParetoChart::party_x`], `y` for `party_y`.
/// 0 is the party's reservation value, 1 its ideal; a package below a party's
/// reservation value has a negative gain (drawn down to −1, clamped beyond).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct UtilityPair {
    pub x: f64,
    pub y: f64,
}

/// Which suggestion a point is; each kind has its own marker shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SuggestionKind {
    /// Square.
    Nash,
    /// Triangle pointing up.
    KalaiSmorodinsky,
    /// Triangle pointing down.
    Egalitarian,
    /// Diamond.
    Repair,
    /// Five-pointed star.
    Improvement,
}

impl SuggestionKind {
    /// The value of `data-kind`.
    pub fn slug(self) -> &'static str {
        match self {
            SuggestionKind::Nash => "nash",
            SuggestionKind::KalaiSmorodinsky => "kalai-smorodinsky",
            SuggestionKind::Egalitarian => "egalitarian",
            SuggestionKind::Repair => "repair",
            SuggestionKind::Improvement => "improvement",
        }
    }

    fn shape(self) -> Shape {
        match self {
            SuggestionKind::Nash => Shape::Square,
            SuggestionKind::KalaiSmorodinsky => Shape::TriangleUp,
            SuggestionKind::Egalitarian => Shape::TriangleDown,
            SuggestionKind::Repair => Shape::Diamond,
            SuggestionKind::Improvement => Shape::Star,
        }
    }
}

/// A named suggestion point.
#[derive(Debug, Clone, PartialEq)]
pub struct Suggestion {
    pub kind: SuggestionKind,
    /// The label drawn next to the point, e.g. "Nash".
    pub label: String,
    pub at: UtilityPair,
}

/// Input of [`pareto`].
#[derive(Debug, Clone, PartialEq)]
pub struct ParetoChart {
    pub id: String,
    /// The party on the horizontal axis.
    pub party_x: String,
    /// The party on the vertical axis.
    pub party_y: String,
    /// The frontier points, any order (drawn sorted by `x`).
    pub frontier: Vec<UtilityPair>,
    pub draft: Option<UtilityPair>,
    pub suggestions: Vec<Suggestion>,
    /// The disagreement point: both reservation values.
    pub disagreement: Option<UtilityPair>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    Square,
    TriangleUp,
    TriangleDown,
    Diamond,
    Star,
}

fn polygon(points: &[(f64, f64)]) -> String {
    points.iter().map(|(x, y)| format!("{},{}", num(*x), num(*y))).collect::<Vec<_>>().join(" ")
}

/// Draws `shape` centred on `(x, y)` with half-size `r`, carrying `attrs`.
fn mark(svg: &mut Svg, shape: Shape, (x, y): (f64, f64), r: f64, attrs: &[(&str, &str)], tooltip: &str) {
    let outline: Vec<(f64, f64)> = match shape {
        Shape::Square => vec![(x - r, y - r), (x + r, y - r), (x + r, y + r), (x - r, y + r)],
        Shape::TriangleUp => vec![(x, y - r * 1.2), (x + r * 1.1, y + r * 0.8), (x - r * 1.1, y + r * 0.8)],
        Shape::TriangleDown => vec![(x, y + r * 1.2), (x + r * 1.1, y - r * 0.8), (x - r * 1.1, y - r * 0.8)],
        Shape::Diamond => vec![(x, y - r * 1.3), (x + r * 1.3, y), (x, y + r * 1.3), (x - r * 1.3, y)],
        Shape::Star => (0..10)
            .map(|i| {
                let angle = std::f64::consts::PI * (i as f64) / 5.0 - std::f64::consts::FRAC_PI_2;
                let radius = if i % 2 == 0 { r * 1.5 } else { r * 0.65 };
                (x + radius * angle.cos(), y + radius * angle.sin())
            })
            .collect(),
    };
    let points = polygon(&outline);
    let mut all: Vec<(&str, &str)> = vec![("points", &points)];
    all.extend_from_slice(attrs);
    svg.start("polygon", &all);
    svg.tooltip(tooltip);
    svg.end("polygon");
}

/// A light grey for the region below a reservation value (decorative: the axes and the description say it too).
const BELOW_RESERVATION: &str = "#eef0f3";
const WIDTH: f64 = 480.0;
const LEFT: f64 = 60.0;
const RIGHT: f64 = 20.0;
const TOP: f64 = 20.0;
const PLOT: f64 = WIDTH - LEFT - RIGHT;
const LEGEND_TOP: f64 = TOP + PLOT + 64.0;

fn finite(p: UtilityPair) -> Option<UtilityPair> {
    (p.x.is_finite() && p.y.is_finite()).then(|| UtilityPair { x: p.x.clamp(-1.0, 1.0), y: p.y.clamp(-1.0, 1.0) })
}

/// Where an axis starts: 0, or lower in steps of 0.2 when some point lies
/// below a party's reservation value, so such a point is drawn where it is
/// instead of being pressed onto the axis (where it would look acceptable).
fn axis_start(values: impl Iterator<Item = f64>) -> f64 {
    let lowest = values.fold(0.0f64, f64::min).max(-1.0);
    if lowest >= 0.0 { 0.0 } else { (lowest / 0.2 + 1e-9).floor() * 0.2 }
}

/// A label box, for keeping labels apart.
#[derive(Debug, Clone, Copy)]
struct Placed {
    x0: f64,
    y0: f64,
    x1: f64,
    y1: f64,
}

impl Placed {
    fn overlaps(&self, other: &Placed) -> bool {
        self.x0 < other.x1 && other.x0 < self.x1 && self.y0 < other.y1 && other.y0 < self.y1
    }
}

/// Picks the first candidate position (right, left, above, below, then further
/// out) whose box stays in the plot and clears every label placed so far.
fn place_label(text: &str, (x, y): (f64, f64), placed: &mut Vec<Placed>) -> (&'static str, f64, f64) {
    let w = text_width(text);
    let h = 14.0;
    let mut candidates: Vec<(&'static str, f64, f64)> = Vec::new();
    for distance in [12.0, 24.0, 38.0] {
        candidates.push(("start", x + distance, y + 4.5));
        candidates.push(("end", x - distance, y + 4.5));
        candidates.push(("middle", x, y - distance));
        candidates.push(("middle", x, y + distance + 9.0));
        candidates.push(("start", x + distance, y - distance));
        candidates.push(("end", x - distance, y + distance + 9.0));
    }
    let boxed = |(anchor, lx, ly): (&'static str, f64, f64)| {
        let x0 = match anchor {
            "start" => lx,
            "end" => lx - w,
            _ => lx - w / 2.0,
        };
        Placed { x0, y0: ly - h + 3.0, x1: x0 + w, y1: ly + 3.0 }
    };
    let inside =
        |b: &Placed| b.x0 >= LEFT + 2.0 && b.x1 <= WIDTH - 2.0 && b.y0 >= TOP - 12.0 && b.y1 <= TOP + PLOT - 2.0;
    let chosen = candidates
        .iter()
        .copied()
        .find(|c| {
            let b = boxed(*c);
            inside(&b) && !placed.iter().any(|p| p.overlaps(&b))
        })
        .or_else(|| candidates.iter().copied().find(|c| inside(&boxed(*c))))
        .unwrap_or(("middle", LEFT + PLOT / 2.0, TOP + PLOT / 2.0));
    placed.push(boxed(chosen));
    chosen
}

/// Renders the frontier chart; nothing at all to plot gives a "no data" chart.
pub fn pareto(chart: &ParetoChart) -> String {
    const KIND: &str = "pareto";
    let title = format!("Pareto frontier: {} and {}", chart.party_x, chart.party_y);
    let mut frontier: Vec<UtilityPair> = chart.frontier.iter().copied().filter_map(finite).collect();
    frontier.sort_by(|a, b| a.x.total_cmp(&b.x).then(b.y.total_cmp(&a.y)));
    let draft = chart.draft.and_then(finite);
    let disagreement = chart.disagreement.and_then(finite);
    let suggestions: Vec<(SuggestionKind, &str, UtilityPair)> =
        chart.suggestions.iter().filter_map(|s| finite(s.at).map(|at| (s.kind, s.label.as_str(), at))).collect();
    if frontier.is_empty() && draft.is_none() && suggestions.is_empty() {
        return no_data(KIND, &chart.id, &title, "No frontier: no package satisfies every party's red lines.");
    }

    let pair = |p: UtilityPair| format!("{} {}, {} {}", chart.party_x, value2(p.x), chart.party_y, value2(p.y));
    let points =
        || frontier.iter().chain(draft.iter()).chain(disagreement.iter()).chain(suggestions.iter().map(|s| &s.2));
    let (x_start, y_start) = (axis_start(points().map(|p| p.x)), axis_start(points().map(|p| p.y)));
    let mut desc = format!(
        "Normalised gain of {} across, of {} up: 0 at each party's reservation value, 1 at its ideal{}. The frontier has {} points",
        chart.party_x,
        chart.party_y,
        if x_start < 0.0 || y_start < 0.0 {
            "; below 0 a package is worse for that party than walking away"
        } else {
            ""
        },
        frontier.len()
    );
    if let (Some(first), Some(last)) = (frontier.first(), frontier.last()) {
        desc.push_str(&format!(", from {} to {}", pair(*first), pair(*last)));
    }
    desc.push('.');
    if let Some(d) = draft {
        desc.push_str(&format!(" Current draft: {}.", pair(d)));
    }
    for (_, label, at) in &suggestions {
        desc.push_str(&format!(" {label}: {}.", pair(*at)));
    }
    if let Some(d) = disagreement {
        desc.push_str(&format!(" Reservation values: {}.", pair(d)));
    }

    // Legend entries: what is present, in a fixed order.
    let mut legend: Vec<(&str, String)> = vec![];
    if !frontier.is_empty() {
        legend.push(("frontier", "Frontier".into()));
    }
    if draft.is_some() {
        legend.push(("draft", "Current draft".into()));
    }
    for (kind, label, _) in &suggestions {
        if !legend.iter().any(|(slug, _)| *slug == kind.slug()) {
            legend.push((kind.slug(), (*label).to_string()));
        }
    }
    if disagreement.is_some() {
        legend.push(("reservation", "Reservation values".into()));
    }
    let mut legend_rows = 1;
    let mut cursor = 8.0;
    let mut legend_at = Vec::with_capacity(legend.len());
    for (_, label) in &legend {
        let label = fit(label, 180.0);
        let w = 22.0 + text_width(&label) + 14.0;
        if cursor + w > WIDTH - 8.0 && cursor > 8.0 {
            legend_rows += 1;
            cursor = 8.0;
        }
        legend_at.push((cursor, LEGEND_TOP + 20.0 * (legend_rows - 1) as f64, label));
        cursor += w;
    }
    let height = LEGEND_TOP + 20.0 * legend_rows as f64 + 4.0;

    let mut svg = Svg::new(KIND, &chart.id, WIDTH, height, &title, &desc);
    let x = Linear::new((x_start, 1.0), (LEFT, LEFT + PLOT));
    let y = Linear::new((y_start, 1.0), (TOP + PLOT, TOP));
    let at = |p: UtilityPair| (x.map(p.x), y.map(p.y));

    svg.start("g", &[("class", "axes"), ("aria-hidden", "true")]);
    // Below a reservation value: shaded, so a point there does not pass for an agreement.
    for (x0, y0, x1, y1) in
        [(x.map(x_start), TOP, x.map(0.0), TOP + PLOT), (LEFT, y.map(0.0), LEFT + PLOT, y.map(y_start))]
    {
        if x1 - x0 > 0.5 && y1 - y0 > 0.5 {
            svg.empty(
                "rect",
                &[
                    ("class", "below-reservation"),
                    ("x", &num(x0)),
                    ("y", &num(y0)),
                    ("width", &num(x1 - x0)),
                    ("height", &num(y1 - y0)),
                    ("fill", BELOW_RESERVATION),
                ],
            );
        }
    }
    // Ticks every 0.2 from each axis' start; 0 (the reservation value) is always one of them.
    let ticks = |start: f64| (0..=10).map(|i| start + 0.2 * i as f64).filter(|v| *v <= 1.0 + 1e-9).collect::<Vec<_>>();
    let label = |v: f64| if v.abs() < 1e-9 { "0.0".to_string() } else { format!("{v:.1}").replace('-', "\u{2212}") };
    for v in ticks(x_start) {
        let gx = x.map(v);
        svg.line((gx, TOP), (gx, TOP + PLOT), "grid", GRID, &[]);
        svg.text(gx, TOP + PLOT + 18.0, "middle", "tick-label muted", &label(v));
    }
    for v in ticks(y_start) {
        let gy = y.map(v);
        svg.line((LEFT, gy), (LEFT + PLOT, gy), "grid", GRID, &[]);
        svg.text(LEFT - 8.0, gy + 4.5, "end", "tick-label muted", &label(v));
    }
    svg.line((LEFT, TOP + PLOT), (LEFT + PLOT, TOP + PLOT), "axis-line", INK, &[]);
    svg.line((LEFT, TOP), (LEFT, TOP + PLOT), "axis-line", INK, &[]);
    svg.end("g");
    let x_label = fit(&format!("{} \u{2192}", chart.party_x), PLOT);
    svg.element(
        "text",
        &[
            ("class", "axis-label axis-label-x"),
            ("x", &num(LEFT + PLOT / 2.0)),
            ("y", &num(TOP + PLOT + 40.0)),
            ("text-anchor", "middle"),
            ("fill", INK),
            ("font-weight", "700"),
            ("data-party", &chart.party_x),
        ],
        &x_label,
    );
    let y_label = fit(&format!("{} \u{2192}", chart.party_y), PLOT);
    let (ylx, yly) = (18.0, TOP + PLOT / 2.0);
    svg.element(
        "text",
        &[
            ("class", "axis-label axis-label-y"),
            ("x", &num(ylx)),
            ("y", &num(yly)),
            ("text-anchor", "middle"),
            ("fill", INK),
            ("font-weight", "700"),
            ("transform", &format!("rotate(-90 {} {})", num(ylx), num(yly))),
            ("data-party", &chart.party_y),
        ],
        &y_label,
    );

    if let Some(d) = disagreement {
        let (dx, dy) = at(d);
        svg.start("g", &[("class", "reservation"), ("data-x", &value2(d.x)), ("data-y", &value2(d.y))]);
        svg.tooltip(&format!("Reservation values: {}", pair(d)));
        let dashed = [("stroke-width", "1.5"), ("stroke-dasharray", "6 4")];
        svg.line((dx, TOP), (dx, TOP + PLOT), "reservation-line reservation-line-x", MUTED, &dashed);
        svg.line((LEFT, dy), (LEFT + PLOT, dy), "reservation-line reservation-line-y", MUTED, &dashed);
        svg.start("g", &[("class", "reservation-point")]);
        svg.line((dx - 6.0, dy - 6.0), (dx + 6.0, dy + 6.0), "cross", INK, &[("stroke-width", "2.5")]);
        svg.line((dx - 6.0, dy + 6.0), (dx + 6.0, dy - 6.0), "cross", INK, &[("stroke-width", "2.5")]);
        svg.end("g");
        svg.end("g");
    }

    if !frontier.is_empty() {
        svg.start("g", &[("class", "frontier")]);
        if frontier.len() > 1 {
            let points = polygon(&frontier.iter().map(|p| at(*p)).collect::<Vec<_>>());
            svg.empty(
                "polyline",
                &[
                    ("class", "frontier-line"),
                    ("points", &points),
                    ("fill", "none"),
                    ("stroke", ACCENT),
                    ("stroke-width", "2"),
                ],
            );
        }
        for (index, p) in frontier.iter().enumerate() {
            let (px, py) = at(*p);
            svg.start(
                "circle",
                &[
                    ("class", "frontier-point"),
                    ("cx", &num(px)),
                    ("cy", &num(py)),
                    ("r", "3.5"),
                    ("fill", ACCENT_DARK),
                    ("data-index", &index.to_string()),
                    ("data-x", &value2(p.x)),
                    ("data-y", &value2(p.y)),
                ],
            );
            svg.tooltip(&format!("Frontier point: {}", pair(*p)));
            svg.end("circle");
        }
        svg.end("g");
    }

    // Labels for points at the same place are merged ("Nash, KS"), so they never overprint.
    let mut groups: Vec<(UtilityPair, Vec<String>)> = Vec::new();
    let mut add_label = |p: UtilityPair, label: &str| {
        let near = |q: &UtilityPair| (q.x - p.x).abs() < 0.005 && (q.y - p.y).abs() < 0.005;
        match groups.iter_mut().find(|(q, _)| near(q)) {
            Some((_, labels)) => labels.push(label.to_string()),
            None => groups.push((p, vec![label.to_string()])),
        }
    };
    if let Some(d) = draft {
        add_label(d, "Draft");
    }
    for (_, label, p) in &suggestions {
        add_label(*p, label);
    }

    svg.start("g", &[("class", "suggestions")]);
    for (kind, label, p) in &suggestions {
        mark(
            &mut svg,
            kind.shape(),
            at(*p),
            6.0,
            &[
                ("class", &format!("suggestion suggestion-{}", kind.slug())),
                ("fill", PAPER),
                ("stroke", INK),
                ("stroke-width", "2"),
                ("data-kind", kind.slug()),
                ("data-label", label),
                ("data-x", &value2(p.x)),
                ("data-y", &value2(p.y)),
            ],
            &format!("{label}: {}", pair(*p)),
        );
    }
    svg.end("g");

    if let Some(d) = draft {
        let (px, py) = at(d);
        svg.start("g", &[("class", "draft-point"), ("data-x", &value2(d.x)), ("data-y", &value2(d.y))]);
        svg.tooltip(&format!("Current draft: {}", pair(d)));
        svg.empty(
            "circle",
            &[
                ("cx", &num(px)),
                ("cy", &num(py)),
                ("r", "8"),
                ("fill", "none"),
                ("stroke", INK),
                ("stroke-width", "2.5"),
            ],
        );
        svg.empty("circle", &[("cx", &num(px)), ("cy", &num(py)), ("r", "2.5"), ("fill", INK)]);
        svg.end("g");
    }

    svg.start("g", &[("class", "point-labels")]);
    let mut placed = Vec::new();
    if let Some(d) = disagreement {
        // Reserve the cross's own box so no label covers it.
        let (dx, dy) = at(d);
        placed.push(Placed { x0: dx - 7.0, y0: dy - 7.0, x1: dx + 7.0, y1: dy + 7.0 });
    }
    for (p, _) in &groups {
        let (px, py) = at(*p);
        placed.push(Placed { x0: px - 8.0, y0: py - 8.0, x1: px + 8.0, y1: py + 8.0 });
    }
    for (p, labels) in &groups {
        let text = fit(&labels.join(", "), PLOT / 2.0);
        let (anchor, lx, ly) = place_label(&text, at(*p), &mut placed);
        svg.element(
            "text",
            &[
                ("class", "point-label"),
                ("x", &num(lx)),
                ("y", &num(ly)),
                ("text-anchor", anchor),
                ("fill", INK),
                ("font-weight", "700"),
                ("stroke", PAPER),
                ("stroke-width", "3"),
                ("paint-order", "stroke"),
            ],
            &text,
        );
    }
    svg.end("g");

    svg.start("g", &[("class", "legend")]);
    for ((slug, _), (lx, ly, label)) in legend.iter().zip(legend_at) {
        svg.start("g", &[("class", "legend-item"), ("data-kind", slug)]);
        let centre = (lx + 8.0, ly - 4.5);
        match *slug {
            "frontier" => {
                svg.line((lx, centre.1), (lx + 16.0, centre.1), "frontier-line", ACCENT, &[("stroke-width", "2")]);
                svg.empty(
                    "circle",
                    &[("cx", &num(centre.0)), ("cy", &num(centre.1)), ("r", "3.5"), ("fill", ACCENT_DARK)],
                );
            }
            "draft" => {
                let (cx, cy) = (num(centre.0), num(centre.1));
                svg.empty(
                    "circle",
                    &[("cx", &cx), ("cy", &cy), ("r", "6"), ("fill", "none"), ("stroke", INK), ("stroke-width", "2")],
                );
                svg.empty("circle", &[("cx", &cx), ("cy", &cy), ("r", "2"), ("fill", INK)]);
            }
            "reservation" => {
                let (cx, cy) = centre;
                svg.line((cx - 5.0, cy - 5.0), (cx + 5.0, cy + 5.0), "cross", INK, &[("stroke-width", "2.5")]);
                svg.line((cx - 5.0, cy + 5.0), (cx + 5.0, cy - 5.0), "cross", INK, &[("stroke-width", "2.5")]);
            }
            _ => {
                if let Some((kind, _, _)) = suggestions.iter().find(|(kind, _, _)| kind.slug() == *slug) {
                    let attrs = [("fill", PAPER), ("stroke", INK), ("stroke-width", "2")];
                    mark(&mut svg, kind.shape(), centre, 5.0, &attrs, &label);
                }
            }
        }
        svg.text(lx + 22.0, ly, "start", "legend-label", &label);
        svg.end("g");
    }
    svg.end("g");
    svg.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(x: f64, y: f64) -> UtilityPair {
        UtilityPair { x, y }
    }

    fn chart() -> ParetoChart {
        ParetoChart {
            id: "pf".into(),
            party_x: "North".into(),
            party_y: "South".into(),
            frontier: vec![p(1.0, 0.2), p(0.2, 0.9), p(0.6, 0.7)],
            draft: Some(p(0.4, 0.4)),
            suggestions: vec![
                Suggestion { kind: SuggestionKind::Nash, label: "Nash".into(), at: p(0.6, 0.7) },
                Suggestion { kind: SuggestionKind::KalaiSmorodinsky, label: "KS".into(), at: p(0.6, 0.7) },
                Suggestion { kind: SuggestionKind::Repair, label: "Repair".into(), at: p(0.2, 0.9) },
            ],
            disagreement: Some(p(0.3, 0.3)),
        }
    }

    #[test]
    fn the_frontier_line_runs_left_to_right() {
        let svg = pareto(&chart());
        let x = Linear::new((0.0, 1.0), (LEFT, LEFT + PLOT));
        let y = Linear::new((0.0, 1.0), (TOP + PLOT, TOP));
        let expected = format!("{},{} {},{}", num(x.map(0.2)), num(y.map(0.9)), num(x.map(0.6)), num(y.map(0.7)));
        assert!(svg.contains(&expected), "{svg}");
    }

    #[test]
    fn each_suggestion_has_its_own_shape_and_coincident_labels_merge() {
        let svg = pareto(&chart());
        assert!(svg.contains("data-kind=\"nash\""));
        assert!(svg.contains("data-kind=\"kalai-smorodinsky\""));
        assert!(svg.contains(">Nash, KS</text>"), "{svg}");
        let shapes: std::collections::HashSet<_> = [
            SuggestionKind::Nash,
            SuggestionKind::KalaiSmorodinsky,
            SuggestionKind::Egalitarian,
            SuggestionKind::Repair,
            SuggestionKind::Improvement,
        ]
        .iter()
        .map(|k| format!("{:?}", k.shape()))
        .collect();
        assert_eq!(shapes.len(), 5);
    }

    #[test]
    fn labels_do_not_overlap_each_other() {
        let mut placed = Vec::new();
        let a = place_label("Egalitarian", (200.0, 200.0), &mut placed);
        let b = place_label("Improvement", (202.0, 201.0), &mut placed);
        assert_ne!(a, b);
        assert!(!placed[0].overlaps(&placed[1]));
    }

    #[test]
    fn a_draft_alone_still_draws() {
        let svg = pareto(&ParetoChart {
            id: "x".into(),
            party_x: "a".into(),
            party_y: "b".into(),
            frontier: vec![],
            draft: Some(p(0.5, 0.5)),
            suggestions: vec![],
            disagreement: None,
        });
        assert!(svg.contains("class=\"draft-point\""));
        assert!(!svg.contains("data-empty"));
    }

    #[test]
    fn a_draft_below_a_reservation_value_is_drawn_below_zero_not_on_the_axis() {
        let mut c = chart();
        c.draft = Some(p(-0.3, 0.86));
        let svg = pareto(&c);
        // The horizontal axis now starts at −0.4, and the draft sits left of the 0 line.
        assert!(svg.contains(">\u{2212}0.4</text>"), "{svg}");
        let x = Linear::new((-0.4, 1.0), (LEFT, LEFT + PLOT));
        let draft = svg.split("class=\"draft-point\"").nth(1).unwrap_or_default();
        assert!(draft.contains(&format!("cx=\"{}\"", num(x.map(-0.3)))), "{draft}");
        assert!(x.map(-0.3) < x.map(0.0));
        assert!(svg.contains("class=\"below-reservation\""));
        assert!(svg.contains("worse for that party than walking away"));
        // The vertical axis keeps its 0 start: nothing lies below the other party's reservation value.
        assert_eq!(svg.matches("class=\"below-reservation\"").count(), 1);
    }

    #[test]
    fn axes_start_at_zero_unless_a_point_lies_below_it() {
        assert_eq!(axis_start([0.0, 0.5].into_iter()), 0.0);
        assert!((axis_start([-0.01, 0.5].into_iter()) + 0.2).abs() < 1e-12);
        assert!((axis_start([-0.2, 0.5].into_iter()) + 0.2).abs() < 1e-12);
        assert!((axis_start([-7.0].into_iter()) + 1.0).abs() < 1e-12);
    }
}
