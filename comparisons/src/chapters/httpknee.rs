//! Chapter 4.1's table and figure: HTTP throughput against connections per server, map
//! and key distribution, with the knee of each sweep (`mapbench http-knee`).
//!
//! The input is the CSV that `go-reference/cmd/ch4-load` appends to, one row per
//! measured step; `scripts/ch4_http_knee.sh` writes it with `#` comment lines naming the
//! command, the machine and each server. The knee is [`report::knee`] (the rule `mapbench
//! report` applies to thread sweeps) on the median throughput over repeats at each
//! connection count. Output is byte-identical for the same CSV: groups and distributions
//! keep the CSV's order, every number is formatted explicitly, and the figure's text is
//! measured with the bundled DejaVu Sans (as in [`crate::figures`]).

use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result, anyhow, bail};
use plotters::coord::ranged1d::Ranged;
use plotters::prelude::*;

use crate::chart::{self, Area, Chart, Frame, INK, err, fmt_num, font};
use crate::report::{self, KNEE_GAIN_FRACTION, Knee};

const WIDTH: u32 = 900;
const PANEL_HEIGHT: u32 = 290;
const TITLE_PX: u32 = 40;
const LEGEND_PX: u32 = 56;
/// One colour per distribution, in the CSV's order (blue, vermilion, bluish green:
/// distinguishable with the common colour-vision deficiencies).
const DIST_COLOURS: [RGBColor; 5] = [
    RGBColor(0x00, 0x72, 0xb2),
    RGBColor(0xd5, 0x5e, 0x00),
    RGBColor(0x00, 0x9e, 0x73),
    RGBColor(0xcc, 0x79, 0xa7),
    RGBColor(0xe6, 0x9f, 0x00),
];

/// The CSV's columns, in order (`csvHeader` in `go-reference/cmd/ch4-load`).
pub const CSV_HEADER: [&str; 15] = [
    "lang",
    "map",
    "distribution",
    "conns",
    "repeat",
    "requests",
    "errors",
    "misses",
    "seconds",
    "rps",
    "p50_us",
    "p90_us",
    "p99_us",
    "p999_us",
    "max_us",
];

/// What to rerun to regenerate the CSV, the table and the figure.
pub const REGENERATE: &str = "scripts/ch4_http_knee.sh";

/// One measured step: a server with one map, one key distribution, one connection count,
/// one repeat.
#[derive(Debug, Clone, PartialEq)]
pub struct StepRow {
    /// `go` or `rust`.
    pub lang: String,
    pub map: String,
    /// The trace's workload name, e.g. `http-hotkey`.
    pub distribution: String,
    pub conns: u32,
    pub repeat: u32,
    pub requests: u64,
    pub errors: u64,
    /// GETs answered 404 (the key was not cached yet).
    pub misses: u64,
    pub seconds: f64,
    /// Requests completed per second of the measuring window.
    pub rps: f64,
    pub p50_us: f64,
    pub p90_us: f64,
    pub p99_us: f64,
    pub p999_us: f64,
    pub max_us: f64,
}

/// A parsed CSV: its rows and its comment lines (without the leading `# `).
#[derive(Debug, Clone, PartialEq)]
pub struct Sweep {
    pub rows: Vec<StepRow>,
    pub comments: Vec<String>,
}

/// Reads the CSV at `path`; every error names the file, the line and the field.
pub fn read_csv(path: &Path) -> Result<Sweep> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("{}: cannot read", path.display()))?;
    parse_csv(&text, path)
}

/// Parses the CSV's text; `path` is only for the error messages. Lines starting with
/// `#` anywhere are comments (`ch4-load` writes one per server it measured).
pub fn parse_csv(text: &str, path: &Path) -> Result<Sweep> {
    let (records, comments) = records(text, path, &CSV_HEADER)?;
    let mut rows = Vec::new();
    for r in &records {
        r.lang(0)?;
        for i in [1, 2] {
            if r.f[i].is_empty() {
                return Err(r.bad(i, "a name"));
            }
        }
        let seconds = r.num(8)?;
        if seconds == 0.0 {
            return Err(r.bad(8, "a positive duration"));
        }
        rows.push(StepRow {
            lang: r.f[0].to_owned(),
            map: r.f[1].to_owned(),
            distribution: r.f[2].to_owned(),
            conns: r.positive(3)?,
            repeat: r.positive(4)?,
            requests: r.int(5)?,
            errors: r.int(6)?,
            misses: r.int(7)?,
            seconds,
            rps: r.num(9)?,
            p50_us: r.num(10)?,
            p90_us: r.num(11)?,
            p99_us: r.num(12)?,
            p999_us: r.num(13)?,
            max_us: r.num(14)?,
        });
    }
    Ok(Sweep { rows, comments })
}

/// One data line of a CSV that `go-reference/cmd/ch4-load` writes, split into fields;
/// its accessors' errors name the file, the line and the field.
pub(crate) struct Record<'a> {
    file: String,
    line: usize,
    header: &'a [&'a str],
    pub f: Vec<&'a str>,
}

impl Record<'_> {
    /// The error for field `i`: what was wanted, and what is there.
    pub(crate) fn bad(&self, i: usize, want: &str) -> anyhow::Error {
        anyhow!(
            "{}:{}: field `{}`: want {want}, got {:?}",
            self.file,
            self.line,
            self.header[i],
            self.f[i]
        )
    }
    pub(crate) fn int(&self, i: usize) -> Result<u64> {
        self.f[i]
            .parse()
            .map_err(|_| self.bad(i, "a non-negative integer"))
    }
    pub(crate) fn positive(&self, i: usize) -> Result<u32> {
        match self.f[i].parse::<u32>() {
            Ok(v) if v > 0 => Ok(v),
            _ => Err(self.bad(i, "a positive integer")),
        }
    }
    pub(crate) fn num(&self, i: usize) -> Result<f64> {
        match self.f[i].parse::<f64>() {
            Ok(v) if v.is_finite() && v >= 0.0 => Ok(v),
            _ => Err(self.bad(i, "a finite non-negative number")),
        }
    }
    /// Field `i` must be `go` or `rust`.
    pub(crate) fn lang(&self, i: usize) -> Result<()> {
        if self.f[i] == "go" || self.f[i] == "rust" {
            Ok(())
        } else {
            Err(self.bad(i, "go or rust"))
        }
    }
}

/// Splits a ch4-load CSV: `#` comment lines (anywhere; returned without the `#`), one
/// header line that must be `header`, then rows of exactly its fields. Errors for a
/// wrong header, a short row (a truncated file), no header or no rows.
pub(crate) fn records<'a>(
    text: &'a str,
    path: &Path,
    header: &'a [&'a str],
) -> Result<(Vec<Record<'a>>, Vec<String>)> {
    let file = path.display().to_string();
    let mut comments = Vec::new();
    let mut header_seen = false;
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate().map(|(i, l)| (i + 1, l)) {
        if let Some(c) = line.strip_prefix('#') {
            comments.push(c.trim().to_owned());
            continue;
        }
        if line.trim().is_empty() {
            continue;
        }
        if !header_seen {
            if line.split(',').ne(header.iter().copied()) {
                bail!(
                    "{file}:{n}: header: want `{}`, got `{line}`",
                    header.join(",")
                );
            }
            header_seen = true;
            continue;
        }
        let f: Vec<&str> = line.split(',').collect();
        if f.len() != header.len() {
            bail!(
                "{file}:{n}: want {} fields ({}), got {} (a truncated file?)",
                header.len(),
                header.join(","),
                f.len()
            );
        }
        out.push(Record {
            file: file.clone(),
            line: n,
            header,
            f,
        });
    }
    if !header_seen {
        bail!("{file}: no header line (want {})", header.join(","));
    }
    if out.is_empty() {
        bail!("{file}: no data rows after the header");
    }
    Ok((out, comments))
}

/// One connection count of one sweep, over its repeats.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    pub conns: u32,
    pub repeats: usize,
    pub rps_median: f64,
    pub rps_min: f64,
    pub rps_max: f64,
    /// Median over the repeats of each repeat's percentile (the histograms are not in
    /// the CSV, so they cannot be merged).
    pub p50_us: f64,
    pub p99_us: f64,
    pub misses: u64,
    pub errors: u64,
}

/// One sweep: a server (language and map) under one key distribution.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub lang: String,
    pub map: String,
    pub distribution: String,
    /// Ascending connection counts.
    pub steps: Vec<Step>,
    pub knee: Knee,
}

/// The median of `v`; 0 for no values.
fn median(v: Vec<f64>) -> f64 {
    crate::stats::median(&v).unwrap_or(0.0)
}

/// Groups the rows into sweeps (in the CSV's order) and finds each one's knee.
pub fn summarise(rows: &[StepRow]) -> Vec<Series> {
    let mut keys: Vec<(&str, &str, &str)> = Vec::new();
    for r in rows {
        let k = (r.lang.as_str(), r.map.as_str(), r.distribution.as_str());
        if !keys.contains(&k) {
            keys.push(k);
        }
    }
    keys.into_iter()
        .map(|(lang, map, dist)| {
            let mine: Vec<&StepRow> = rows
                .iter()
                .filter(|r| r.lang == lang && r.map == map && r.distribution == dist)
                .collect();
            let mut conns: Vec<u32> = mine.iter().map(|r| r.conns).collect();
            conns.sort_unstable();
            conns.dedup();
            let steps: Vec<Step> = conns
                .into_iter()
                .map(|c| {
                    let at: Vec<&&StepRow> = mine.iter().filter(|r| r.conns == c).collect();
                    let rps: Vec<f64> = at.iter().map(|r| r.rps).collect();
                    Step {
                        conns: c,
                        repeats: at.len(),
                        rps_min: rps.iter().copied().fold(f64::INFINITY, f64::min),
                        rps_max: rps.iter().copied().fold(0.0, f64::max),
                        rps_median: median(rps),
                        p50_us: median(at.iter().map(|r| r.p50_us).collect()),
                        p99_us: median(at.iter().map(|r| r.p99_us).collect()),
                        misses: at.iter().map(|r| r.misses).sum(),
                        errors: at.iter().map(|r| r.errors).sum(),
                    }
                })
                .collect();
            let points: Vec<(f64, f64)> = steps
                .iter()
                .map(|s| (f64::from(s.conns), s.rps_median))
                .collect();
            Series {
                lang: lang.to_owned(),
                map: map.to_owned(),
                distribution: dist.to_owned(),
                knee: report::knee(&points),
                steps,
            }
        })
        .collect()
}

pub(crate) fn lang_name(lang: &str) -> &'static str {
    if lang == "go" { "Go" } else { "Rust" }
}

/// `http-hotkey` → `hotkey`.
pub(crate) fn dist_name(d: &str) -> &str {
    d.strip_prefix("http-").unwrap_or(d)
}

/// Requests per second, grouped by thousands: `12,345`.
fn fmt_rps(v: f64) -> String {
    chart::group_digits(&format!("{:.0}", v.max(0.0)))
}

fn knee_cell(k: &Knee) -> String {
    match k {
        Knee::TooFewPoints(n) => format!("— ({n} points)"),
        Knee::NoKnee { last } => format!("none up to {}", fmt_num(*last)),
        Knee::At {
            load,
            gain_fraction,
        } => format!(
            "**{}** (next step: {:.0}% of ideal)",
            fmt_num(*load),
            gain_fraction * 100.0
        ),
    }
}

fn knee_load(k: &Knee) -> Option<f64> {
    match k {
        Knee::At { load, .. } => Some(*load),
        _ => None,
    }
}

/// The markdown page: environment, one knee row per sweep, then every step.
pub fn render_markdown(sweep: &Sweep) -> String {
    let series = summarise(&sweep.rows);
    let mut md = format!(
        "<!-- Generated by mapbench http-knee from {REGENERATE}'s CSV; do not edit. Regenerate with:\n     {REGENERATE} -->\n\n"
    );
    let env: Vec<&String> = sweep
        .comments
        .iter()
        .filter(|c| !c.starts_with("Generated by") && !c.is_empty())
        .collect();
    if !env.is_empty() {
        md.push_str("Where and how it was measured:\n\n");
        for c in env {
            md.push_str(&format!("- {}\n", c.replace('|', "\\|")));
        }
        md.push('\n');
    }
    md.push_str(&format!(
        "The knee is the last connection count before the first step that added less than \
         {:.0}% of the ideal linear gain (the rule of `mapbench report`), applied to the \
         median throughput over the repeats.\n\n",
        KNEE_GAIN_FRACTION * 100.0
    ));
    md.push_str(
        "| server | map | keys | req/s, 1 connection | peak req/s (connections) | knee (connections) | p99 at the knee |\n\
         |---|---|---|---:|---:|---|---:|\n",
    );
    for s in &series {
        let first = s.steps.first();
        let peak = s.steps.iter().fold(None::<&Step>, |best, st| match best {
            Some(b) if b.rps_median >= st.rps_median => Some(b),
            _ => Some(st),
        });
        let at_knee = knee_load(&s.knee)
            .and_then(|l| s.steps.iter().find(|st| f64::from(st.conns) == l))
            .map_or("–".to_owned(), |st| format!("{} µs", fmt_num(st.p99_us)));
        md.push_str(&format!(
            "| {} | {} | {} | {} | {} ({}) | {} | {} |\n",
            lang_name(&s.lang),
            s.map,
            dist_name(&s.distribution),
            first.map_or("–".to_owned(), |f| if f.conns == 1 {
                fmt_rps(f.rps_median)
            } else {
                "–".to_owned()
            }),
            peak.map_or("–".to_owned(), |p| fmt_rps(p.rps_median)),
            peak.map_or("–".to_owned(), |p| p.conns.to_string()),
            knee_cell(&s.knee),
            at_knee
        ));
    }
    md.push_str(
        "\n<details><summary>Every step: median req/s over the repeats (min–max), median p50 and p99</summary>\n\n\
         | server | map | keys | connections | repeats | req/s | min–max | p50 | p99 | GET misses | errors |\n\
         |---|---|---|---:|---:|---:|---|---:|---:|---:|---:|\n",
    );
    for s in &series {
        for st in &s.steps {
            md.push_str(&format!(
                "| {} | {} | {} | {} | {} | {} | {}–{} | {} µs | {} µs | {} | {} |\n",
                lang_name(&s.lang),
                s.map,
                dist_name(&s.distribution),
                st.conns,
                st.repeats,
                fmt_rps(st.rps_median),
                fmt_rps(st.rps_min),
                fmt_rps(st.rps_max),
                fmt_num(st.p50_us),
                fmt_num(st.p99_us),
                st.misses,
                st.errors
            ));
        }
    }
    md.push_str("\n</details>\n");
    md
}

/// The figure: one panel per server (language and map), one line per key distribution,
/// x = connections on a log₂ axis, y = median requests per second; the knee is a ring.
pub fn render_svg(sweep: &Sweep) -> Result<String> {
    let series = summarise(&sweep.rows);
    let mut servers: Vec<(&str, &str)> = Vec::new();
    let mut dists: Vec<&str> = Vec::new();
    for s in &series {
        if !servers.contains(&(s.lang.as_str(), s.map.as_str())) {
            servers.push((&s.lang, &s.map));
        }
        if !dists.contains(&s.distribution.as_str()) {
            dists.push(&s.distribution);
        }
    }
    let colour = |d: &str| {
        let i = dists.iter().position(|x| *x == d).unwrap_or(0);
        DIST_COLOURS[i % DIST_COLOURS.len()]
    };
    let max_conns = series
        .iter()
        .flat_map(|s| s.steps.iter().map(|st| st.conns))
        .max()
        .unwrap_or(1);
    let x_max = f64::from(max_conns).log2().max(1.0);
    let y_max = series
        .iter()
        .flat_map(|s| s.steps.iter().map(|st| st.rps_max))
        .fold(0.0, f64::max)
        / 1e3
        * 1.1;
    let cols = if servers.len() > 1 { 2 } else { 1 };
    let rows = servers.len().div_ceil(cols);
    let height = TITLE_PX + PANEL_HEIGHT * rows as u32 + LEGEND_PX;
    chart::render_svg((WIDTH, height), |full| {
        let (panels, legend) = chart::titled_grid(
            full,
            "HTTP cache: throughput vs connections, per server and key distribution",
            (rows, cols),
            LEGEND_PX,
        )?;
        for ((lang, map), panel) in servers.iter().zip(panels.iter()) {
            let caption = format!("{} {map}", lang_name(lang));
            let frame = Frame::new(8, 38, 58).right(18).caption(&caption, 14);
            let mut chart = frame.build(panel, -0.25..x_max + 0.25, 0.0..y_max.max(1e-3))?;
            chart::styled(&mut chart.configure_mesh(), chart::SMALL)
                .x_desc("connections (closed loop, log scale)")
                .y_desc("thousand requests/s")
                .x_labels(x_max as usize + 2)
                .x_label_formatter(&|v| {
                    if (v - v.round()).abs() < 1e-6 && *v >= -1e-6 {
                        format!("{}", 2u64.pow(v.round() as u32))
                    } else {
                        String::new()
                    }
                })
                .y_labels(6)
                .y_label_formatter(&|v| fmt_num(*v))
                .draw()
                .map_err(err)?;
            for s in series.iter().filter(|s| s.lang == *lang && s.map == *map) {
                draw_series(&mut chart, s, colour(&s.distribution))?;
            }
        }
        draw_legend(&legend, &dists, colour)
    })
}

/// One distribution's line in a server's panel, its points, and a ring at the knee.
fn draw_series<X, Y>(chart: &mut Chart<'_, '_, X, Y>, s: &Series, c: RGBColor) -> Result<()>
where
    X: Ranged<ValueType = f64>,
    Y: Ranged<ValueType = f64>,
{
    let pts: Vec<(f64, f64)> = s
        .steps
        .iter()
        .map(|st| (f64::from(st.conns).log2(), st.rps_median / 1e3))
        .collect();
    chart
        .draw_series(LineSeries::new(pts.clone(), c.stroke_width(2)))
        .map_err(err)?;
    chart
        .draw_series(pts.iter().map(|p| Circle::new(*p, 3, c.filled())))
        .map_err(err)?;
    if let Some(load) = knee_load(&s.knee)
        && let Some(p) = pts.iter().find(|p| (p.0 - load.log2()).abs() < 1e-9)
    {
        chart
            .draw_series(std::iter::once(Circle::new(*p, 8, c.stroke_width(2))))
            .map_err(err)?;
    }
    Ok(())
}

/// The legend: a swatch per distribution, the knee's ring, what the lines are.
fn draw_legend(legend: &Area<'_>, dists: &[&str], colour: impl Fn(&str) -> RGBColor) -> Result<()> {
    let mut x = 12;
    for d in dists {
        let c = colour(d);
        x = chart::key_entry(legend, x, &format!("{} keys", dist_name(d)), 18, |x| {
            legend
                .draw(&Rectangle::new([(x, 10), (x + 22, 13)], c.filled()))
                .map_err(err)
        })?;
    }
    legend
        .draw(&Circle::new((x + 8, 12), 7, INK.stroke_width(2)))
        .map_err(err)?;
    legend
        .draw(&Text::new(
            "knee (mapbench report's rule)".to_owned(),
            (x + 22, 4),
            font(12),
        ))
        .map_err(err)?;
    legend
        .draw(&Text::new(
            "median over repeats; load generator and server share the same CPUs".to_owned(),
            (12, 30),
            font(11),
        ))
        .map_err(err)?;
    Ok(())
}

/// Writes `out_dir/http-knee.md` and `out_dir/figures/http-knee.svg`, each atomically
/// (a temporary file, then a rename), and returns their paths.
pub fn write_outputs(sweep: &Sweep, out_dir: &Path) -> Result<(PathBuf, PathBuf)> {
    crate::chart::write_page(
        out_dir,
        "http-knee",
        &render_markdown(sweep),
        &render_svg(sweep)?,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two servers, two distributions, three steps, two repeats; the `go` hotkey sweep
    /// bends after 2 connections, the rest scale.
    fn csv() -> String {
        let mut s = String::from(
            "# Generated by a test\n# machine: test CPU, 2 vCPUs\n\
lang,map,distribution,conns,repeat,requests,errors,misses,seconds,rps,p50_us,p90_us,p99_us,p999_us,max_us\n\
# server: go go1.26 rwmutex-map\n",
        );
        for (lang, map) in [("go", "rwmutex-map"), ("rust", "RwLock<HashMap>")] {
            for dist in ["http-uniform", "http-hotkey"] {
                for rep in 1..=2 {
                    for (conns, rps) in [(1, 10_000.0), (2, 19_000.0), (4, 36_000.0)] {
                        let rps: f64 = if lang == "go" && dist == "http-hotkey" && conns == 4 {
                            20_000.0
                        } else {
                            rps + f64::from(rep) * 100.0
                        };
                        s.push_str(&format!(
                            "{lang},{map},{dist},{conns},{rep},{},0,0,1.000,{rps:.1},80.0,120.0,250.5,400.0,900.0\n",
                            rps as u64
                        ));
                    }
                }
            }
        }
        s
    }

    #[test]
    fn httpknee_reads_the_csv_and_finds_knees() {
        let sweep = parse_csv(&csv(), Path::new("k.csv")).unwrap();
        assert_eq!(sweep.rows.len(), 24);
        assert_eq!(
            sweep.comments,
            [
                "Generated by a test",
                "machine: test CPU, 2 vCPUs",
                "server: go go1.26 rwmutex-map"
            ]
        );
        assert_eq!(sweep.rows[1].conns, 2);
        assert_eq!(sweep.rows[1].rps, 19_100.0);
        let series = summarise(&sweep.rows);
        assert_eq!(series.len(), 4);
        assert_eq!(
            series[0].steps[0].rps_median, 10_150.0,
            "median of 2 repeats"
        );
        assert_eq!(series[0].steps[0].repeats, 2);
        assert!(matches!(series[0].knee, Knee::NoKnee { last } if last == 4.0));
        assert_eq!(series[1].distribution, "http-hotkey");
        assert!(
            matches!(series[1].knee, Knee::At { load, .. } if load == 2.0),
            "{:?}",
            series[1].knee
        );
        let md = render_markdown(&sweep);
        assert!(md.starts_with("<!-- Generated by mapbench http-knee"));
        assert!(md.contains("Regenerate with:\n     scripts/ch4_http_knee.sh -->"));
        assert!(md.contains("- machine: test CPU, 2 vCPUs\n"));
        assert!(!md.contains("- Generated by a test"));
        assert!(md.contains("| Go | rwmutex-map | hotkey | 10,150 | 20,000 (4) | **2**"));
        assert!(
            md.contains(
                "| Rust | RwLock<HashMap> | uniform | 10,150 | 36,150 (4) | none up to 4 |"
            )
        );
    }

    #[test]
    fn httpknee_malformed_csv_names_file_line_and_field() {
        let good = csv();
        // Truncated: the last row cut in the middle, as a killed writer would leave it.
        let cut = &good[..good.len() - 30];
        let cases = [
            (cut.to_owned(), "k.csv:28", "want 15 fields"),
            (
                good.replacen(",2,1,19100,", ",two,1,19100,", 1),
                "k.csv:6",
                "`conns`",
            ),
            (
                good.replacen(",0,0,1.000,", ",0,0,0,", 1),
                "k.csv:5",
                "`seconds`",
            ),
            (good.replacen(",10100.0,", ",-5,", 1), "k.csv:5", "`rps`"),
            (
                good.replacen("go,rwmutex", "java,rwmutex", 1),
                "k.csv:5",
                "`lang`",
            ),
            (good.replace("max_us", "max"), "k.csv:3", "header"),
            ("# nothing\n".to_owned(), "k.csv", "no header"),
            (
                good.lines().take(4).collect::<Vec<_>>().join("\n"),
                "k.csv",
                "no data rows",
            ),
        ];
        crate::chapters::assert_each_error_names(&cases, |text| {
            parse_csv(text, Path::new("k.csv"))
        });
    }

    #[test]
    fn httpknee_figure_is_byte_identical_across_renders() {
        let sweep = parse_csv(&csv(), Path::new("k.csv")).unwrap();
        let a = render_svg(&sweep).unwrap();
        let b = render_svg(&sweep).unwrap();
        assert_eq!(a, b);
        assert!(a.starts_with("<svg"), "{}", &a[..a.len().min(80)]);
        for text in [
            "Go rwmutex-map",
            "Rust RwLock&lt;HashMap&gt;",
            "hotkey keys",
            "connections (closed loop, log scale)",
            "thousand requests/s",
            "knee",
        ] {
            assert!(a.contains(text), "the SVG lacks {text:?}");
        }
        let dir = std::env::temp_dir().join(format!("http-knee-{}", std::process::id()));
        let (md, svg) = write_outputs(&sweep, &dir).unwrap();
        assert_eq!(std::fs::read_to_string(&svg).unwrap(), a);
        assert_eq!(
            std::fs::read_to_string(&md).unwrap(),
            render_markdown(&sweep)
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
