//! Plain-text building blocks of the terminal reports: aligned tables,
//! package descriptions, and a scatter chart of the frontier.

use accord_core::Negotiation;

/// A left-aligned text table with a header rule.
#[derive(Debug)]
pub struct Table {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

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

    pub fn render(&self) -> String {
        let columns = self.header.len();
        let mut widths: Vec<usize> = self.header.iter().map(|h| h.chars().count()).collect();
        for row in &self.rows {
            for (i, cell) in row.iter().enumerate().take(columns) {
                widths[i] = widths[i].max(cell.chars().count());
            }
        }
        let line = |cells: &[String]| -> String {
            let mut s = String::from(" ");
            for (i, cell) in cells.iter().enumerate().take(columns) {
                let pad = widths[i] - cell.chars().count();
                s.push(' ');
                s.push_str(cell);
                if i + 1 < columns {
                    s.push_str(&" ".repeat(pad + 1));
                }
            }
            s.trim_end().to_string() + "\n"
        };
        let mut out = line(&self.header);
        out += &format!("  {}\n", widths.iter().map(|w| "-".repeat(*w)).collect::<Vec<_>>().join("  "));
        for row in &self.rows {
            out += &line(row);
        }
        out
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
        assert_eq!(t.render(), "  a     bb\n  ----  --\n  long  x\n");
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
