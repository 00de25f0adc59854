//! Aligned text tables for the CLI's listings: each column as wide as its
//! widest cell, so ids and long zone names never push the others out of line.

use std::io::Write;

pub struct Table {
    header: Vec<&'static str>,
    /// Columns aligned to the right (numbers).
    right: Vec<bool>,
    rows: Vec<Vec<String>>,
}

impl Table {
    /// A column whose name starts with `>` is right-aligned (the `>` is not
    /// printed).
    pub fn new(columns: &[&'static str]) -> Table {
        Table {
            header: columns.iter().map(|c| c.trim_start_matches('>')).collect(),
            right: columns.iter().map(|c| c.starts_with('>')).collect(),
            rows: Vec::new(),
        }
    }

    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    /// The table as text, one line per row, no trailing blanks.
    pub fn render(&self) -> String {
        let mut widths: Vec<usize> = self.header.iter().map(|h| h.chars().count()).collect();
        for row in &self.rows {
            for (i, cell) in row.iter().enumerate() {
                if let Some(w) = widths.get_mut(i) {
                    *w = (*w).max(cell.chars().count());
                }
            }
        }
        let header: Vec<String> = self.header.iter().map(|h| h.to_string()).collect();
        let mut out = String::new();
        for row in std::iter::once(&header).chain(&self.rows) {
            let mut line = String::new();
            for (i, cell) in row.iter().enumerate() {
                let width = widths.get(i).copied().unwrap_or(0);
                if i > 0 {
                    line.push_str("  ");
                }
                let pad = " ".repeat(width.saturating_sub(cell.chars().count()));
                if self.right.get(i).copied().unwrap_or(false) {
                    line.push_str(&pad);
                    line.push_str(cell);
                } else {
                    line.push_str(cell);
                    line.push_str(&pad);
                }
            }
            out.push_str(line.trim_end());
            out.push('\n');
        }
        out
    }

    pub fn print(&self) -> std::io::Result<()> {
        let mut out = std::io::stdout().lock();
        out.write_all(self.render().as_bytes())?;
        out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::Table;

    #[test]
    fn columns_line_up_whatever_the_cell_widths() {
        let mut table = Table::new(&["NAME", ">SERIAL", "ORG"]);
        table.row(vec![
            "a-very-long-zone-name.example.".into(),
            "1".into(),
            "default".into(),
        ]);
        table.row(vec!["b.".into(), "2026120301".into(), "acme".into()]);
        let text = table.render();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 3);
        let org_at: Vec<usize> = lines.iter().map(|l| l.rfind(' ').unwrap_or(0)).collect();
        assert!(org_at.windows(2).all(|w| w[0] == w[1]), "{text}");
        // Numbers end in the same column.
        let serial_end = |l: &str| l.find("  default").or(l.find("  acme")).or(l.find("  ORG"));
        let ends: Vec<Option<usize>> = lines.iter().map(|l| serial_end(l)).collect();
        assert!(ends.windows(2).all(|w| w[0] == w[1]), "{text}");
    }
}
