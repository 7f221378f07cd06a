//! Plain-text building blocks of the terminal reports: aligned tables,
//! package descriptions, and a scatter chart of the frontier.

use accord_core::Negotiation;

/// A left-aligned text table under an indented header and rule, columns two
/// spaces apart. Widths are display widths (comfy-table measures them with
/// Unicode's width tables), so Cyrillic or CJK party names line up; on a
/// terminal, long cells wrap to fit its width.
#[derive(Debug)]
pub struct Table {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

/// The indentation of every line, as in the rest of the reports.
const TABLE_INDENT: &str = "  ";

/// The table drawing: no borders, one space of padding after each column
/// plus a space junction (two spaces between columns), and an unbroken rule
/// under the header.
const TABLE_STYLE: comfy_table::TableStyle = comfy_table::TableStyle::new()
    .header_lines(comfy_table::ContentLineStyle::none().junction(' '))
    .header_separator(comfy_table::LineStyle::none().fill('-').junction('-'))
    .content_lines(comfy_table::ContentLineStyle::none().junction(' '));

impl Table {
    pub fn new(header: Vec<String>) -> Self {
        Table { header, rows: Vec::new() }
    }

    pub fn row(&mut self, row: Vec<String>) {
        self.rows.push(row);
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The table for standard output: wrapped to the terminal's width when
    /// standard output is a terminal, unwrapped otherwise (a pipe or a file
    /// gets whole cells).
    pub fn render(&self) -> String {
        let terminal = self.layout(None).width();
        self.render_within(terminal)
    }

    /// The table wrapped to `width` columns (indentation included), or
    /// unwrapped with `None`.
    pub fn render_within(&self, width: Option<u16>) -> String {
        let table = self.layout(width.map(|w| w.saturating_sub(TABLE_INDENT.len() as u16)));
        table.lines().map(|line| format!("{TABLE_INDENT}{}\n", line.trim_end())).collect()
    }

    fn layout(&self, width: Option<u16>) -> comfy_table::Table {
        let mut table = comfy_table::Table::new();
        table.load_style(TABLE_STYLE).set_content_arrangement(comfy_table::ContentArrangement::Dynamic);
        if let Some(width) = width {
            table.set_width(width);
        }
        table.set_header(self.header.clone());
        for row in &self.rows {
            table.add_row(row.iter().take(self.header.len()).cloned().collect::<Vec<_>>());
        }
        let last = self.header.len().saturating_sub(1);
        for (i, column) in table.column_iter_mut().enumerate() {
            // The last column needs no space after it: the rule stops at its widest cell.
            column.set_padding((0, if i == last { 0 } else { 1 }));
        }
        table
    }
}

/// `12345678` as `12,345,678`.
pub fn group_digits(n: u128) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

/// The issues where `package` differs from `draft`, as `issue: old → new`.
pub fn describe_changes(negotiation: &Negotiation, draft: &[usize], package: &[usize]) -> String {
    let changes: Vec<String> = negotiation
        .issues
        .iter()
        .enumerate()
        .filter(|(i, _)| draft.get(*i) != package.get(*i))
        .map(|(i, issue)| {
            format!("{}: {} → {}", issue.id, short_label(issue, draft[i]), short_label(issue, package[i]))
        })
        .collect();
    if changes.is_empty() { "(the draft itself)".into() } else { changes.join("; ") }
}

/// An option's id (short and meaningful by design) or a formatted number.
pub fn short_label(issue: &accord_core::Issue, value: usize) -> String {
    match &issue.kind {
        accord_core::IssueKind::Discrete { options } => options.get(value).map(|o| o.id.clone()).unwrap_or_default(),
        accord_core::IssueKind::Numeric(_) => issue.label_at(value),
    }
}

pub fn describe_utilities(names: &[&str], utilities: &[f64]) -> String {
    names.iter().zip(utilities).map(|(n, u)| format!("{n} {u:.4}")).collect::<Vec<_>>().join(", ")
}

const CHART_WIDTH: usize = 61;
const CHART_HEIGHT: usize = 17;

/// A scatter chart of the first two parties' utilities: `·` frontier points,
/// letters for marked packages (later marks win a shared cell).
pub fn frontier_chart(points: &[Vec<f64>], marks: &[(char, &str, Vec<f64>)], axes: (&str, &str)) -> String {
    let xs = points.iter().map(|p| p[0]).chain(marks.iter().map(|m| m.2[0]));
    let ys = points.iter().map(|p| p[1]).chain(marks.iter().map(|m| m.2[1]));
    let (x_lo, x_hi) = bounds(xs);
    let (y_lo, y_hi) = bounds(ys);
    let mut grid = vec![vec![' '; CHART_WIDTH]; CHART_HEIGHT];
    let cell = |x: f64, y: f64| -> (usize, usize) {
        let col = ((x - x_lo) / (x_hi - x_lo) * (CHART_WIDTH - 1) as f64).round() as usize;
        let row = ((y_hi - y) / (y_hi - y_lo) * (CHART_HEIGHT - 1) as f64).round() as usize;
        (row.min(CHART_HEIGHT - 1), col.min(CHART_WIDTH - 1))
    };
    for p in points {
        let (r, c) = cell(p[0], p[1]);
        grid[r][c] = '·';
    }
    for (mark, _, u) in marks {
        let (r, c) = cell(u[0], u[1]);
        grid[r][c] = *mark;
    }
    let mut out = format!("  {} (up) against {} (right)\n", axes.1, axes.0);
    for (i, row) in grid.iter().enumerate() {
        let label = match i {
            0 => format!("{y_hi:6.3}"),
            i if i == CHART_HEIGHT - 1 => format!("{y_lo:6.3}"),
            _ => " ".repeat(6),
        };
        out += &format!("  {label} |{}\n", row.iter().collect::<String>().trim_end());
    }
    out += &format!("         +{}\n", "-".repeat(CHART_WIDTH));
    out += &format!("          {x_lo:<6.3}{:>w$.3}\n", x_hi, w = CHART_WIDTH - 6);
    out += &format!(
        "  · frontier   {}\n",
        marks.iter().map(|(m, label, _)| format!("{m} {label}")).collect::<Vec<_>>().join("   ")
    );
    out
}

fn bounds(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (lo, hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| (lo.min(v), hi.max(v)));
    if !lo.is_finite() || !hi.is_finite() {
        return (0.0, 1.0);
    }
    if hi - lo < 1e-9 { (lo - 0.5, hi + 0.5) } else { (lo, hi) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digits_are_grouped() {
        assert_eq!(group_digits(0), "0");
        assert_eq!(group_digits(1234), "1,234");
        assert_eq!(group_digits(10_000_000), "10,000,000");
    }

    #[test]
    fn table_aligns_columns() {
        let mut t = Table::new(vec!["a".into(), "bb".into()]);
        t.row(vec!["long".into(), "x".into()]);
        assert_eq!(t.render_within(None), "  a     bb\n  --------\n  long  x\n");
    }

    /// Display width, not bytes or chars: Cyrillic letters are two bytes and
    /// one column, CJK ideographs one char and two columns.
    #[test]
    fn table_aligns_cyrillic_and_wide_characters_by_display_width() {
        let mut t = Table::new(vec!["party".into(), "role".into()]);
        t.row(vec!["Україна".into(), "signatory".into()]);
        t.row(vec!["Россия".into(), "signatory".into()]);
        t.row(vec!["中国".into(), "observer".into()]);
        let rendered = t.render_within(None);
        assert_eq!(
            rendered,
            "  party    role\n  ------------------\n  Україна  signatory\n  Россия   signatory\n  中国     observer\n"
        );
    }

    #[test]
    fn long_cells_wrap_within_the_width() {
        let mut t = Table::new(vec!["provision".into(), "reason".into()]);
        let reason = "no withdrawal without a referendum in the affected regions";
        t.row(vec!["art-2".into(), reason.into()]);
        let rendered = t.render_within(Some(30));
        let lines: Vec<&str> = rendered.lines().collect();
        assert!(lines.len() > 3, "the reason wraps onto several lines:\n{rendered}");
        assert!(lines.iter().all(|line| line.chars().count() <= 30), "every line fits:\n{rendered}");
        let words: Vec<&str> = lines[2..].iter().flat_map(|line| line.split_whitespace()).collect();
        assert_eq!(words.join(" "), format!("art-2 {reason}"), "no word is lost:\n{rendered}");
        assert!(lines[3..].iter().all(|line| line.starts_with("         ")), "continuations stay in their column");
        assert_eq!(t.render_within(None).lines().count(), 3, "unwrapped without a width");
    }

    #[test]
    fn chart_places_extremes_in_corners() {
        let chart = frontier_chart(&[vec![0.0, 1.0], vec![1.0, 0.0]], &[('N', "Nash", vec![0.5, 0.5])], ("A", "B"));
        let rows: Vec<&str> = chart.lines().collect();
        assert!(rows[1].ends_with("|·"), "top-left is (0, 1): {chart}");
        assert!(rows[CHART_HEIGHT].ends_with('·'), "bottom-right is (1, 0): {chart}");
        assert!(chart.contains('N'));
    }
}
