//! The figures of chapters 2 and 3, drawn from the files their generators already
//! write (`mapbench chapter-figure NAME INPUT... --out DIR`):
//!
//! - `reclamation`: chapter 2.3's live heap per round (`ch02/reclamation.csv`);
//! - `resize-latency`: chapter 2.4's latency percentiles per map (`ch02/resize-latency.md`);
//! - `false-sharing`: chapter 3.2's 2-thread ns/op of the counter layouts
//!   (`ch03/contention-go.md`, `ch03/contention-rust.md`);
//! - `deletes`: chapter 3.3's live heap before and after deleting every key
//!   (`ch03/deletes-go.md`, `ch03/deletes-rust.md`).
//!
//! The markdown inputs are generated tables; they are read by their column names, and a
//! table that lacks a column or holds a value that is not a number with a unit is an
//! error naming the file, the line and the column. The chart code is two functions,
//! `hbars` and `lines`, shared by all four figures; output is byte-identical across
//! renders (the bundled font, fixed order, fixed formatting).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result, anyhow, bail};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::tables::{Table, median};
use crate::chart::{self, Area, Frame, INK, err, fmt_bytes, fmt_num, font};

const WIDTH: u32 = 900;
/// Go blue, Rust orange, then two more mid-lightness hues (readable on light and dark).
const PALETTE: [RGBColor; 4] = [
    RGBColor(0x3b, 0x82, 0xc4),
    RGBColor(0xe0, 0x7b, 0x39),
    RGBColor(0x4f, 0xa8, 0x6b),
    RGBColor(0xa0, 0x6c, 0xc8),
];

/// The figures this module draws, by name.
pub const NAMES: [&str; 4] = ["reclamation", "resize-latency", "false-sharing", "deletes"];

/// Draws figure `name` from `inputs` into `out_dir/NAME.svg` (a temporary file, then a
/// rename) and returns its path. Bad input (a missing file, a table without the
/// expected column, a value that is not a number) is an error naming file and field.
pub fn write_figure(name: &str, inputs: &[PathBuf], out_dir: &Path) -> Result<PathBuf> {
    chart::write_figure(out_dir, name, &render(name, inputs)?)
}

/// The SVG of figure `name`; the inputs are read first, so bad input writes nothing.
pub fn render(name: &str, inputs: &[PathBuf]) -> Result<String> {
    let want = match name {
        "reclamation" | "resize-latency" => 1,
        "false-sharing" | "deletes" => 2,
        _ => bail!(
            "unknown figure {name:?}: expected one of {}",
            NAMES.join(", ")
        ),
    };
    if inputs.len() != want {
        bail!(
            "figure {name} reads {want} input file(s), got {}",
            inputs.len()
        );
    }
    match name {
        "reclamation" => reclamation(&inputs[0]),
        "resize-latency" => resize_latency(&inputs[0]),
        "false-sharing" => false_sharing(&inputs[0], &inputs[1]),
        _ => deletes(&inputs[0], &inputs[1]),
    }
}

// ---------------------------------------------------------------------------
// inputs

// ---------------------------------------------------------------------------
// the four figures

fn reclamation(csv: &Path) -> Result<String> {
    let text =
        std::fs::read_to_string(csv).with_context(|| format!("{}: cannot read", csv.display()))?;
    let mut lines_iter = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.starts_with('#') && !l.trim().is_empty());
    let (_, head) = lines_iter
        .next()
        .ok_or_else(|| anyhow!("{}: empty", csv.display()))?;
    if head.trim() != "map,phase,round,live_bytes" {
        bail!(
            "{}: header {head:?}, expected \"map,phase,round,live_bytes\"",
            csv.display()
        );
    }
    let mut series: Vec<(String, Vec<(f64, f64)>)> = Vec::new();
    let mut phases: Vec<String> = Vec::new();
    for (n, l) in lines_iter {
        let f: Vec<&str> = l.split(',').collect();
        if f.len() != 4 {
            bail!(
                "{}:{}: expected 4 fields, got {}",
                csv.display(),
                n + 1,
                f.len()
            );
        }
        let bytes: f64 = f[3].parse().map_err(|_| {
            anyhow!(
                "{}:{}: field live_bytes: expected a number, got {:?}",
                csv.display(),
                n + 1,
                f[3]
            )
        })?;
        if !phases.iter().any(|p| p == f[1]) {
            phases.push(f[1].to_owned());
        }
        if series.last().map(|s| s.0.as_str()) != Some(f[0]) {
            series.push((f[0].to_owned(), Vec::new()));
        }
        let s = &mut series.last_mut().expect("pushed above").1;
        let x = s.len() as f64 + 1.0;
        s.push((x, bytes / (1024.0 * 1024.0)));
    }
    if series.is_empty() {
        bail!("{}: no rows", csv.display());
    }
    let rounds = series[0].1.len() / phases.len().max(1);
    let bands: Vec<(f64, f64, String)> = phases
        .iter()
        .enumerate()
        .map(|(i, p)| {
            (
                (i * rounds) as f64 + 0.5,
                ((i + 1) * rounds) as f64 + 0.5,
                p.clone(),
            )
        })
        .collect();
    lines(
        "Live heap while values are replaced, per round",
        "round (6 per phase)",
        "live heap (MiB)",
        &series,
        &bands,
    )
}

fn resize_latency(md: &Path) -> Result<String> {
    let t = Table::read(md, "map")?;
    let cols = ["p50", "p99", "p99.9", "max"];
    let idx: Vec<usize> = cols.iter().map(|c| t.col(c)).collect::<Result<_>>()?;
    let mut per_map: BTreeMap<String, Vec<Vec<f64>>> = BTreeMap::new();
    for (line, row) in &t.rows {
        let vals = idx
            .iter()
            .map(|&c| t.value(*line, row, c))
            .collect::<Result<Vec<_>>>()?;
        per_map
            .entry(row[0].trim_matches('`').to_owned())
            .or_default()
            .push(vals);
    }
    let mut bars = Vec::new();
    for (map, runs) in &per_map {
        for (k, c) in cols.iter().enumerate() {
            bars.push(Bar {
                group: map.clone(),
                label: (*c).to_owned(),
                value: median(runs.iter().map(|r| r[k]).collect()),
                colour: k,
            });
        }
    }
    hbars(
        "Latency of one insert while the map grows (median of the runs)",
        "latency per operation (log scale)",
        true,
        &bars,
        &cols
            .iter()
            .enumerate()
            .map(|(k, c)| ((*c).to_owned(), k))
            .collect::<Vec<_>>(),
        crate::chart::fmt_ns,
    )
}

fn false_sharing(go: &Path, rust: &Path) -> Result<String> {
    let cases = [
        ("add-private", "own padded counter"),
        ("add-padded", "padded array (128 B each)"),
        ("add-adjacent", "adjacent (8 B apart)"),
        ("add-aligned-array", "aligned array, unpadded"),
        ("add-shared", "one shared counter"),
    ];
    let mut bars = Vec::new();
    for (lang, (path, colour)) in [("Go", (go, 0)), ("Rust", (rust, 1))] {
        let t = Table::read(path, "case")?;
        let c = t.col("2 threads: ns/op")?;
        for (case, label) in cases {
            let (line, row) = t
                .rows
                .iter()
                .find(|(_, r)| r[0].trim_matches('`') == case)
                .ok_or_else(|| anyhow!("{}: no row for case {case:?}", path.display()))?;
            bars.push(Bar {
                group: label.to_owned(),
                label: lang.to_owned(),
                value: t.value(*line, row, c)?,
                colour,
            });
        }
    }
    hbars(
        "One atomic add per op on 2 threads: where the two counters sit",
        "CPU ns per operation per thread (median of repeats)",
        false,
        &bars,
        &[("Go".to_owned(), 0), ("Rust".to_owned(), 1)],
        |v| format!("{} ns", fmt_num(v)),
    )
}

fn deletes(go: &Path, rust: &Path) -> Result<String> {
    let mut bars = Vec::new();
    for path in [go, rust] {
        let t = Table::read(path, "map")?;
        let stage = t.col("stage")?;
        let heap = t
            .col("live heap above baseline (median)")
            .or_else(|_| t.col("live heap above baseline"))?;
        let mut seen: Vec<String> = Vec::new();
        for (line, row) in &t.rows {
            let map = row[0].replace('`', "");
            let st = &row[stage];
            let first = !seen.contains(&map);
            let after = st == "after deleting them, after GC"
                || st == "after removing them all"
                || st == "after deleting them all";
            if first {
                seen.push(map.clone());
            }
            if first || after {
                bars.push(Bar {
                    group: map,
                    label: if first { "full" } else { "after deletes" }.to_owned(),
                    value: t.value(*line, row, heap)?,
                    colour: if first { 0 } else { 1 },
                });
            }
        }
    }
    hbars(
        "Live heap with n keys, then after deleting all of them",
        "live heap above the baseline",
        false,
        &bars,
        &[
            ("with n keys".to_owned(), 0),
            ("after deleting every key (Go: after a GC)".to_owned(), 1),
        ],
        fmt_bytes,
    )
}

// ---------------------------------------------------------------------------
// the two chart shapes

/// One bar: `group` names a block of bars, `label` the bar within it.
struct Bar {
    group: String,
    label: String,
    value: f64,
    colour: usize,
}

/// The rows of [`hbars`] from the top: each group's bars (in first-seen group order),
/// then a gap. Returns `(bar index, row)` per bar and the number of rows.
fn bar_rows(bars: &[Bar]) -> (Vec<(usize, usize)>, usize) {
    let mut groups: Vec<&str> = Vec::new();
    for b in bars {
        if !groups.contains(&b.group.as_str()) {
            groups.push(&b.group);
        }
    }
    let mut slot = Vec::with_capacity(bars.len());
    let mut row = 0usize;
    for g in &groups {
        for (i, b) in bars.iter().enumerate() {
            if b.group == *g {
                slot.push((i, row));
                row += 1;
            }
        }
        row += 1;
    }
    (slot, row.max(1))
}

/// The figure's head: its title, then a key of swatches, each drawn by `swatch` at
/// `x` and followed by its label.
fn draw_head<'l>(
    head: &Area<'_>,
    title: &str,
    key: impl IntoIterator<Item = (&'l str, RGBColor)>,
    mut swatch: impl FnMut(i32, RGBColor) -> Result<i32>,
) -> Result<()> {
    head.draw(&Text::new(title.to_owned(), (12, 6), font(15)))
        .map_err(err)?;
    let mut x = 12;
    for (label, c) in key {
        let w = swatch(x, c)?;
        head.draw(&Text::new(label.to_owned(), (x + w, 32), font(12)))
            .map_err(err)?;
        x += w + 7 * label.chars().count() as i32 + 18;
    }
    Ok(())
}

/// Horizontal bars in blocks (one block per group, in first-seen order), the value
/// printed at each bar's end, a legend of `(label, colour)` above the plot.
fn hbars(
    title: &str,
    x_label: &str,
    log_x: bool,
    bars: &[Bar],
    legend: &[(String, usize)],
    fmt: fn(f64) -> String,
) -> Result<String> {
    let (slot, rows) = bar_rows(bars);
    let height = (110 + 18 * rows) as u32;
    let tx = |v: f64| {
        if log_x {
            v.max(1.0).log10()
        } else {
            v.max(0.0)
        }
    };
    let hi = bars.iter().map(|b| tx(b.value)).fold(0.0, f64::max);
    let (lo, hi) = if log_x {
        let lo = bars.iter().map(|b| tx(b.value)).fold(hi, f64::min);
        (lo.floor(), hi.ceil() + 0.6)
    } else {
        (0.0, (hi * 1.25).max(1.0))
    };
    chart::render_svg((WIDTH, height), |root| {
        let (head, body) = root.split_vertically(54);
        let key = legend
            .iter()
            .map(|(label, c)| (label.as_str(), PALETTE[*c % PALETTE.len()]));
        draw_head(&head, title, key, |x, c| {
            head.draw(&Rectangle::new([(x, 32), (x + 14, 46)], c.filled()))
                .map_err(err)?;
            Ok(19)
        })?;
        let top = |r: usize| (rows - r) as f64;
        let frame = Frame::new(0, 40, 0).left(280).right(20);
        let mut chart = frame.build(&body, lo..hi, 0.0..rows as f64)?;
        chart::styled(&mut chart.configure_mesh(), chart::CHAPTER)
            .disable_y_mesh()
            .disable_y_axis()
            .x_desc(x_label)
            .x_labels(6)
            .x_label_formatter(&|v| {
                if log_x { fmt(10f64.powf(*v)) } else { fmt(*v) }
            })
            .draw()
            .map_err(err)?;
        chart
            .draw_series(slot.iter().map(|&(i, r)| {
                let b = &bars[i];
                Rectangle::new(
                    [(lo, top(r) - 0.1), (tx(b.value), top(r) - 0.9)],
                    PALETTE[b.colour % PALETTE.len()].filled(),
                )
            }))
            .map_err(err)?;
        chart
            .draw_series(slot.iter().map(|&(i, r)| {
                let b = &bars[i];
                Text::new(
                    format!(" {}", fmt(b.value)),
                    (tx(b.value).max(lo), top(r) - 0.5),
                    font(10).pos(Pos::new(HPos::Left, VPos::Center)),
                )
            }))
            .map_err(err)?;
        // Group names and bar labels in the strip left of the plot.
        let mut done: Vec<&str> = Vec::new();
        for &(i, r) in &slot {
            let b = &bars[i];
            let (x0, y) = chart.backend_coord(&(lo, top(r) - 0.5));
            let first = !done.contains(&b.group.as_str());
            if first {
                done.push(&b.group);
            }
            let text = if first {
                format!("{}  {}", b.group, b.label)
            } else {
                b.label.clone()
            };
            root.draw(&Text::new(
                text,
                (x0 - 6, y),
                font(11).pos(Pos::new(HPos::Right, VPos::Center)),
            ))
            .map_err(err)?;
        }
        Ok(())
    })
}

/// Lines with markers, one per series, over shaded, labelled bands of the x axis.
fn lines(
    title: &str,
    x_label: &str,
    y_label: &str,
    series: &[(String, Vec<(f64, f64)>)],
    bands: &[(f64, f64, String)],
) -> Result<String> {
    let x_hi = series
        .iter()
        .flat_map(|s| s.1.iter().map(|p| p.0))
        .fold(1.0, f64::max);
    let y_hi = series
        .iter()
        .flat_map(|s| s.1.iter().map(|p| p.1))
        .fold(0.0, f64::max)
        * 1.15;
    chart::render_svg((WIDTH, 420), |root| {
        let (head, body) = root.split_vertically(54);
        let key = series
            .iter()
            .enumerate()
            .map(|(k, (name, _))| (name.as_str(), PALETTE[(k + 1) % PALETTE.len()]));
        draw_head(&head, title, key, |x, c| {
            head.draw(&PathElement::new(
                vec![(x, 39), (x + 20, 39)],
                c.stroke_width(2),
            ))
            .map_err(err)?;
            Ok(25)
        })?;
        let frame = Frame::new(0, 40, 60).left(10).right(20);
        let mut chart = frame.build(&body, 0.5..x_hi + 0.5, 0.0..y_hi.max(1.0))?;
        chart::styled(&mut chart.configure_mesh(), chart::CHAPTER)
            .disable_x_mesh()
            .x_desc(x_label)
            .y_desc(y_label)
            .x_labels(x_hi as usize)
            .x_label_formatter(&|v| format!("{v:.0}"))
            .y_label_formatter(&|v| fmt_num(*v))
            .draw()
            .map_err(err)?;
        for (k, (a, b, name)) in bands.iter().enumerate() {
            chart
                .draw_series(std::iter::once(Rectangle::new(
                    [(*a, 0.0), (*b, y_hi)],
                    INK.mix(if k % 2 == 0 { 0.06 } else { 0.14 }).filled(),
                )))
                .map_err(err)?;
            chart
                .draw_series(std::iter::once(Text::new(
                    name.clone(),
                    ((a + b) / 2.0, y_hi * 0.97),
                    font(12).pos(Pos::new(HPos::Center, VPos::Top)),
                )))
                .map_err(err)?;
        }
        for (k, (_, pts)) in series.iter().enumerate() {
            let c = PALETTE[(k + 1) % PALETTE.len()];
            chart
                .draw_series(LineSeries::new(pts.iter().copied(), c.stroke_width(2)))
                .map_err(err)?;
            chart
                .draw_series(pts.iter().map(|&p| Circle::new(p, 3, c.filled())))
                .map_err(err)?;
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn generated(rel: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../book/src/generated")
            .join(rel)
    }

    #[test]
    fn every_figure_renders_from_the_committed_files_byte_identically() {
        let inputs: [(&str, Vec<PathBuf>); 4] = [
            ("reclamation", vec![generated("ch02/reclamation.csv")]),
            ("resize-latency", vec![generated("ch02/resize-latency.md")]),
            (
                "false-sharing",
                vec![
                    generated("ch03/contention-go.md"),
                    generated("ch03/contention-rust.md"),
                ],
            ),
            (
                "deletes",
                vec![
                    generated("ch03/deletes-go.md"),
                    generated("ch03/deletes-rust.md"),
                ],
            ),
        ];
        for (name, files) in inputs {
            let a = render(name, &files).unwrap();
            let b = render(name, &files).unwrap();
            assert_eq!(a, b, "{name}: two renders differ");
            // Drawn, not empty: bars or line segments, and text.
            let shapes = a.matches("<rect").count() + a.matches("<polyline").count();
            assert!(shapes >= 5, "{name}: only {shapes} shapes");
            assert!(a.matches("<text").count() >= 10, "{name}: too little text");
        }
    }

    #[test]
    fn a_table_without_its_column_is_an_error_naming_file_and_column() {
        let dir = std::env::temp_dir().join(format!("chapter-figures-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let md = dir.join("resize-latency.md");
        std::fs::write(
            &md,
            "| map | run | p50 |\n|---|---|---|\n| `x` | 1 | 3 ns |\n",
        )
        .unwrap();
        let e = render("resize-latency", std::slice::from_ref(&md))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("resize-latency.md") && e.contains("\"p99\""),
            "{e}"
        );
        std::fs::write(
            &md,
            "| map | run | p50 | p99 | p99.9 | max |\n|---|---|---|---|---|---|\n\
             | `x` | 1 | 3 ns | 4 ns | lots | 6 ns |\n",
        )
        .unwrap();
        let e = render("resize-latency", std::slice::from_ref(&md))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("resize-latency.md:3") && e.contains("p99.9") && e.contains("lots"),
            "{e}"
        );
        // Nothing is written for bad input.
        let out = dir.join("out");
        assert!(write_figure("resize-latency", &[md], &out).is_err());
        assert!(!out.join("resize-latency.svg").exists());
        std::fs::remove_dir_all(&dir).ok();
    }
}
