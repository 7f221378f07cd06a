//! The SVG writer every chart uses. Every attribute value and every text node
//! goes through [`escape`], so no caller can forget it.

/// Text and line colours chosen for WCAG AA on the white chart background:
/// `INK` is 15.8:1, `MUTED` 5.9:1 (text); `ACCENT` 5.2:1 and `ACCENT_DARK` 7.6:1
/// (graphics, which need 3:1).
pub(crate) const INK: &str = "#1f2328";
pub(crate) const MUTED: &str = "#57606a";
pub(crate) const ACCENT: &str = "#0969da";
pub(crate) const ACCENT_DARK: &str = "#0550ae";
pub(crate) const GRID: &str = "#d0d7de";
pub(crate) const PAPER: &str = "#ffffff";

pub(crate) const FONT_SIZE: f64 = 14.0;
/// A generous average glyph width at [`FONT_SIZE`], used to keep labels inside the
/// viewBox and apart from each other (there is no font metrics table in a pure crate).
pub(crate) const CHAR_WIDTH: f64 = 7.8;

/// Escapes the five XML special characters, for text nodes and attribute values alike.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            // XML 1.0 forbids most control characters even when escaped.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => out.push(' '),
            '\u{FFFE}' | '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// A coordinate with one decimal; non-finite values never reach the output.
pub(crate) fn num(value: f64) -> String {
    let value = if value.is_finite() { value } else { 0.0 };
    // Adding 0.0 turns -0.0 into 0.0, so "-0.0" never appears.
    format!("{:.1}", (value * 10.0).round() / 10.0 + 0.0)
}

/// A value in 0..1 (or -1..1) as people read it: two decimals.
pub(crate) fn value2(value: f64) -> String {
    format!("{:.2}", (value * 100.0).round() / 100.0 + 0.0)
}

/// A signed value with an explicit sign, the minus a real minus sign.
pub(crate) fn signed2(value: f64) -> String {
    let rounded = (value * 100.0).round() / 100.0 + 0.0;
    if rounded > 0.0 {
        format!("+{rounded:.2}")
    } else if rounded < 0.0 {
        format!("\u{2212}{:.2}", -rounded)
    } else {
        "0.00".to_string()
    }
}

/// Keeps a DOM id to `[A-Za-z0-9_-]`, starting with a letter, so it is safe in
/// `id`, `aria-labelledby` and `url(#…)` references.
pub(crate) fn dom_id(requested: &str, fallback: &str) -> String {
    let cleaned: String = requested.chars().filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_')).collect();
    match cleaned.chars().next() {
        None => fallback.to_string(),
        Some(c) if c.is_ascii_alphabetic() => cleaned,
        Some(_) => format!("{fallback}-{cleaned}"),
    }
}

pub(crate) fn text_width(text: &str) -> f64 {
    text.chars().count() as f64 * CHAR_WIDTH
}

/// Shortens a label to fit `max_width`, with an ellipsis; the full text stays in
/// the `<title>`/`<desc>` and `data-*` attributes.
pub(crate) fn fit(text: &str, max_width: f64) -> String {
    let max_chars = (max_width / CHAR_WIDTH).floor().max(2.0) as usize;
    if text.chars().count() <= max_chars {
        return text.to_string();
    }
    let mut short: String = text.chars().take(max_chars - 1).collect();
    short.push('\u{2026}');
    short
}

/// Where a label anchored at `x` should hang so that it stays inside `0..width`.
pub(crate) fn anchor_inside(x: f64, label: &str, width: f64, margin: f64) -> (&'static str, f64) {
    let w = text_width(label);
    if x - w / 2.0 < margin {
        ("start", x.max(margin))
    } else if x + w / 2.0 > width - margin {
        ("end", x.min(width - margin))
    } else {
        ("middle", x)
    }
}

#[derive(Debug)]
pub(crate) struct Svg {
    buf: String,
    pub(crate) id: String,
}

impl Svg {
    /// Opens the root element with its accessible name and description and
    /// paints the background (so the contrast holds on a dark page too).
    pub(crate) fn new(kind: &str, id: &str, width: f64, height: f64, title: &str, desc: &str) -> Svg {
        let id = dom_id(id, &format!("chart-{kind}"));
        let mut svg = Svg { buf: String::new(), id };
        let labelled_by = format!("{0}-title {0}-desc", svg.id);
        let class = format!("accord-chart accord-chart-{kind}");
        let view_box = format!("0 0 {} {}", num(width), num(height));
        // Fills its container, but stops at 1.5× the design width so text never
        // grows past ~20 px on a wide screen.
        let style = format!("width:100%;max-width:{}px;height:auto", num(width * 1.5));
        svg.buf.push_str("<svg xmlns=\"http://www.w3.org/2000/svg\"");
        svg.attrs(&[
            ("id", &svg.id.clone()),
            ("class", &class),
            ("data-chart", kind),
            ("viewBox", &view_box),
            ("preserveAspectRatio", "xMidYMid meet"),
            ("role", "img"),
            ("aria-labelledby", &labelled_by),
            ("font-family", "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif"),
            ("font-size", &num(FONT_SIZE)),
            ("style", &style),
        ]);
        svg.buf.push('>');
        let title_id = format!("{}-title", svg.id);
        let desc_id = format!("{}-desc", svg.id);
        svg.element("title", &[("id", &title_id)], title);
        svg.element("desc", &[("id", &desc_id)], desc);
        svg.empty(
            "rect",
            &[
                ("class", "chart-bg"),
                ("x", "0"),
                ("y", "0"),
                ("width", &num(width)),
                ("height", &num(height)),
                ("fill", PAPER),
            ],
        );
        svg
    }

    fn attrs(&mut self, attrs: &[(&str, &str)]) {
        for (name, value) in attrs {
            self.buf.push(' ');
            self.buf.push_str(name);
            self.buf.push_str("=\"");
            self.buf.push_str(&escape(value));
            self.buf.push('"');
        }
    }

    pub(crate) fn start(&mut self, tag: &str, attrs: &[(&str, &str)]) {
        self.buf.push('<');
        self.buf.push_str(tag);
        self.attrs(attrs);
        self.buf.push('>');
    }

    pub(crate) fn end(&mut self, tag: &str) {
        self.buf.push_str("</");
        self.buf.push_str(tag);
        self.buf.push('>');
    }

    pub(crate) fn empty(&mut self, tag: &str, attrs: &[(&str, &str)]) {
        self.buf.push('<');
        self.buf.push_str(tag);
        self.attrs(attrs);
        self.buf.push_str("/>");
    }

    /// An element whose only content is `text`, escaped.
    pub(crate) fn element(&mut self, tag: &str, attrs: &[(&str, &str)], text: &str) {
        self.start(tag, attrs);
        self.buf.push_str(&escape(text));
        self.end(tag);
    }

    /// A native tooltip for the element just opened: browsers show a child
    /// `<title>` on hover without any script.
    pub(crate) fn tooltip(&mut self, text: &str) {
        self.element("title", &[], text);
    }

    pub(crate) fn text(&mut self, x: f64, y: f64, anchor: &str, class: &str, text: &str) {
        let fill = if class.contains("muted") { MUTED } else { INK };
        // A halo in the background colour keeps text legible where a grid or the
        // "now" line crosses it.
        self.element(
            "text",
            &[
                ("class", class),
                ("x", &num(x)),
                ("y", &num(y)),
                ("text-anchor", anchor),
                ("fill", fill),
                ("font-weight", if class.contains("label-strong") { "700" } else { "400" }),
                ("stroke", PAPER),
                ("stroke-width", "3"),
                ("paint-order", "stroke"),
            ],
            text,
        );
    }

    pub(crate) fn line(
        &mut self,
        (x1, y1): (f64, f64),
        (x2, y2): (f64, f64),
        class: &str,
        stroke: &str,
        extra: &[(&str, &str)],
    ) {
        let mut attrs: Vec<(&str, &str)> = Vec::with_capacity(8 + extra.len());
        let (x1, y1, x2, y2) = (num(x1), num(y1), num(x2), num(y2));
        attrs.extend([("class", class), ("x1", &x1), ("y1", &y1), ("x2", &x2), ("y2", &y2), ("stroke", stroke)]);
        attrs.extend_from_slice(extra);
        self.empty("line", &attrs);
    }

    /// Diagonal hatching, the second channel (besides colour) for extensions and losses.
    pub(crate) fn hatch_pattern(&mut self, name: &str, stroke: &str) -> String {
        let id = format!("{}-{name}", self.id);
        self.start("defs", &[]);
        self.start(
            "pattern",
            &[
                ("id", &id),
                ("patternUnits", "userSpaceOnUse"),
                ("width", "6"),
                ("height", "6"),
                ("patternTransform", "rotate(45)"),
            ],
        );
        self.empty("rect", &[("x", "0"), ("y", "0"), ("width", "6"), ("height", "6"), ("fill", PAPER)]);
        self.empty(
            "line",
            &[("x1", "1"), ("y1", "0"), ("x2", "1"), ("y2", "6"), ("stroke", stroke), ("stroke-width", "2.5")],
        );
        self.end("pattern");
        self.end("defs");
        format!("url(#{id})")
    }

    pub(crate) fn finish(mut self) -> String {
        self.end("svg");
        self.buf
    }
}

/// The chart shown when there is nothing to plot: same root, same accessible
/// name, and a visible sentence instead of empty axes.
pub(crate) fn no_data(kind: &str, id: &str, title: &str, message: &str) -> String {
    let width = 480.0;
    let height = 64.0;
    let mut svg = Svg::new(kind, id, width, height, title, message);
    svg.start("g", &[("class", "no-data"), ("data-empty", "true")]);
    svg.empty(
        "rect",
        &[
            ("x", "0.5"),
            ("y", "0.5"),
            ("width", &num(width - 1.0)),
            ("height", &num(height - 1.0)),
            ("fill", "none"),
            ("stroke", GRID),
            ("stroke-dasharray", "4 3"),
        ],
    );
    svg.text(width / 2.0, height / 2.0 + 4.5, "middle", "label muted", &fit(message, width - 16.0));
    svg.end("g");
    svg.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_covers_the_xml_specials_and_keeps_the_rest() {
        assert_eq!(escape(r#"<script>&"'x"#), "&lt;script&gt;&amp;&quot;&#39;x");
        assert_eq!(escape("Partie à l’accord"), "Partie à l’accord");
        assert_eq!(escape("a\u{1}b"), "a b");
    }

    #[test]
    fn text_and_attributes_are_escaped_by_the_writer() {
        let mut svg = Svg::new("t", "x", 10.0, 10.0, "<b>", "a&b");
        svg.element("text", &[("data-label", "\"><script>")], "<script>alert(1)</script>");
        let out = svg.finish();
        assert!(!out.contains("<script>"), "{out}");
        assert!(!out.contains("<b>"), "{out}");
        assert!(out.contains("data-label=\"&quot;&gt;&lt;script&gt;\""), "{out}");
        assert!(out.contains("&lt;script&gt;alert(1)&lt;/script&gt;"), "{out}");
    }

    #[test]
    fn numbers_are_finite_and_never_negative_zero() {
        assert_eq!(num(f64::NAN), "0.0");
        assert_eq!(num(f64::INFINITY), "0.0");
        assert_eq!(num(-0.01), "0.0");
        assert_eq!(num(12.345), "12.3");
        assert_eq!(signed2(-0.004), "0.00");
        assert_eq!(signed2(0.4), "+0.40");
        assert_eq!(signed2(-0.3), "\u{2212}0.30");
    }

    #[test]
    fn dom_ids_are_sanitised() {
        assert_eq!(dom_id("pareto-a_b", "f"), "pareto-a_b");
        assert_eq!(dom_id("\"><x", "f"), "x");
        assert_eq!(dom_id("9lives", "f"), "f-9lives");
        assert_eq!(dom_id("<>", "f"), "f");
    }

    #[test]
    fn long_labels_are_shortened_with_an_ellipsis() {
        assert_eq!(fit("short", 100.0), "short");
        let short = fit("a very long provision name indeed", 10.0 * CHAR_WIDTH);
        assert_eq!(short.chars().count(), 10);
        assert!(short.ends_with('\u{2026}'));
    }
}
