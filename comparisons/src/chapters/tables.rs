//! Reading the book's generated markdown tables: a table found by its first column,
//! its columns by name, and cells that are numbers with units. The chapters' figures
//! ([`super::chapter_figures`]) and the "which map, when" page ([`crate::which_map`])
//! read the pages other commands generated through it; a table without the expected
//! column, or a cell that is not a number, is an error naming the file, line and column.

use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result, anyhow, bail};

/// A generated markdown table: its header and rows, with the line of each row.
pub(crate) struct Table {
    pub(crate) path: PathBuf,
    pub(crate) header: Vec<String>,
    pub(crate) rows: Vec<(usize, Vec<String>)>,
}

impl Table {
    /// The first table of the file whose header has `first_col` as its first column.
    pub(crate) fn read(path: &Path, first_col: &str) -> Result<Table> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("{}: cannot read", path.display()))?;
        let cells = |l: &str| -> Vec<String> {
            l.trim()
                .trim_matches('|')
                .split('|')
                .map(|c| c.trim().to_owned())
                .collect()
        };
        let lines: Vec<&str> = text.lines().collect();
        for (i, l) in lines.iter().enumerate() {
            if !l.starts_with('|') || cells(l).first().map(String::as_str) != Some(first_col) {
                continue;
            }
            let header = cells(l);
            let rows = lines
                .iter()
                .enumerate()
                .skip(i + 2)
                .take_while(|(_, r)| r.starts_with('|'))
                .map(|(n, r)| (n + 1, cells(r)))
                .collect();
            return Ok(Table {
                path: path.to_owned(),
                header,
                rows,
            });
        }
        bail!(
            "{}: no table whose first column is {first_col:?}",
            path.display()
        )
    }

    pub(crate) fn col(&self, name: &str) -> Result<usize> {
        self.header.iter().position(|h| h == name).ok_or_else(|| {
            anyhow!(
                "{}: the table has no column {name:?} (columns: {})",
                self.path.display(),
                self.header.join(", ")
            )
        })
    }

    /// The number at the start of a cell ("33.7 (29.5–38.0)", "2.1 µs", "-152 B",
    /// "20833 KiB – 20841 KiB": the midpoint of a range), in the unit's base (ns, bytes).
    pub(crate) fn value(&self, line: usize, row: &[String], col: usize) -> Result<f64> {
        let cell = row.get(col).map(String::as_str).unwrap_or("");
        parse_value(cell).ok_or_else(|| {
            anyhow!(
                "{}:{line}: column {:?}: expected a number with an optional unit \
                 (ns, µs, ms, s, B, KiB, MiB), got {cell:?}",
                self.path.display(),
                self.header[col]
            )
        })
    }
}

pub(crate) fn parse_value(cell: &str) -> Option<f64> {
    let one = |s: &str| -> Option<f64> {
        let s = s.trim().replace(',', "");
        let split = s
            .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '-'))
            .unwrap_or(s.len());
        let (num, unit) = s.split_at(split);
        let v: f64 = num.parse().ok()?;
        let unit = unit.split_whitespace().next().unwrap_or("");
        let scale = match unit {
            "" | "ns" | "B" => 1.0,
            "µs" | "us" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "KiB" => 1024.0,
            "MiB" => 1024.0 * 1024.0,
            _ if unit.starts_with('(') => 1.0,
            _ => return None,
        };
        Some(v * scale)
    };
    let cell = cell.trim();
    match cell.split_once(" – ") {
        Some((a, b)) if !a.contains('(') => Some((one(a)? + one(b)?) / 2.0),
        _ => one(cell),
    }
}

/// The median of `v`, which must not be empty (the tables always have a value).
pub(crate) fn median(v: Vec<f64>) -> f64 {
    crate::stats::median(&v).expect("median of no values")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_with_units_and_ranges() {
        assert_eq!(parse_value("33.7 (29.5–38.0)"), Some(33.7));
        assert_eq!(parse_value("2.1 µs"), Some(2100.0));
        assert_eq!(parse_value("4.6 ms"), Some(4.6e6));
        assert_eq!(parse_value("-152 B"), Some(-152.0));
        assert_eq!(parse_value("1 KiB – 3 KiB"), Some(2048.0));
        assert_eq!(parse_value("2,000,000"), Some(2e6));
        assert_eq!(parse_value("fast"), None);
        assert_eq!(parse_value("3 parsecs"), None);
    }
}
