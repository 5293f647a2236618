//! The report's figures: SVG files drawn with plotters.
//!
//! Byte-identical output on every machine: text is measured with `ab_glyph` from the
//! bundled DejaVu Sans (`comparisons/assets/`, registered as `sans-serif`, no fontconfig);
//! series are drawn in a fixed order (sorted language, map, threads); every number on an
//! axis goes through a fixed formatter. The SVG names `sans-serif` as its font, so a
//! browser may render the glyphs with its own sans; only the layout comes from DejaVu.
//!
//! Readable on the site's light and dark themes: no background fill (transparent), text
//! and axes in a mid grey, series colours at mid lightness. Go series are blues/greens,
//! dashed, with circles; Rust series are oranges/reds/purples, solid, with triangles.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::Once;

use anyhow::{Context as _, Result, anyhow};
use hdrhistogram::Histogram;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::{FontStyle, register_font};

use crate::results::{Lang, RunFile};

/// DejaVu Sans 2.37 (Bitstream Vera licence, `assets/DejaVuSans.LICENSE.txt`).
static FONT: &[u8] = include_bytes!("../assets/DejaVuSans.ttf");
/// The family every figure of the crate draws its text in (the bundled font).
pub(crate) const FAMILY: &str = "sans-serif";

/// Mid grey: about 3.5:1 against white and 5:1 against mdBook's dark themes.
const INK: RGBColor = RGBColor(0x86, 0x86, 0x86);
/// Fitted models: a mid grey-blue that stands out from the series on both themes.
const FIT_INK: RGBColor = RGBColor(0x4a, 0x6f, 0xa5);
const GRID: RGBColor = RGBColor(0x86, 0x86, 0x86);
/// Figure size in pixels; the legend takes the right-hand strip.
const WIDTH: u32 = 900;
const MIN_HEIGHT: u32 = 460;
const LEGEND_WIDTH: u32 = 250;
/// Legend row height: the 13 px font plus spacing.
const LEGEND_ROW: u32 = 18;

/// Registers the bundled font as [`FAMILY`]; every module that draws calls this first.
pub(crate) fn register_bundled_font() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let registered = register_font(FAMILY, FontStyle::Normal, FONT);
        assert!(
            registered.is_ok(),
            "the bundled DejaVu Sans is a valid TrueType font"
        );
    });
}

fn font(size: u32) -> TextStyle<'static> {
    (FAMILY, size).into_font().color(&INK)
}

/// One line in a figure: a map on one side.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SeriesKey {
    pub lang: Lang,
    pub map: String,
}

impl SeriesKey {
    pub fn label(&self) -> String {
        format!("{} {}", self.lang, self.map)
    }
}

/// Colours and markers for every series of a report, fixed once so a map looks the same
/// in every figure.
#[derive(Debug, Clone)]
pub struct Palette {
    colours: BTreeMap<SeriesKey, RGBColor>,
}

impl Palette {
    /// Spreads each language's maps over its own hue range (Go 150–250°, Rust 350–60° and
    /// 270–330°), at mid lightness.
    pub fn new<'a>(keys: impl IntoIterator<Item = &'a SeriesKey>) -> Palette {
        let mut by_lang: BTreeMap<Lang, Vec<&SeriesKey>> = BTreeMap::new();
        for k in keys {
            let v = by_lang.entry(k.lang).or_default();
            if !v.contains(&k) {
                v.push(k);
            }
        }
        let mut colours = BTreeMap::new();
        for (lang, mut ks) in by_lang {
            ks.sort();
            let n = ks.len().max(1);
            for (i, k) in ks.into_iter().enumerate() {
                let f = i as f64 / n as f64;
                // Alternate lightness so neighbours in hue still differ.
                let light = if i % 2 == 0 { 0.50 } else { 0.42 };
                let hue = match lang {
                    Lang::Go => 150.0 + 100.0 * f,
                    // 350° → 60°, then purples: avoids Go's greens and blues.
                    Lang::Rust => {
                        let h = f * 130.0;
                        if h < 70.0 {
                            (350.0 + h) % 360.0
                        } else {
                            270.0 + (h - 70.0)
                        }
                    }
                };
                colours.insert(k.clone(), hsl(hue, 0.70, light));
            }
        }
        Palette { colours }
    }

    fn colour(&self, k: &SeriesKey) -> RGBColor {
        self.colours.get(k).copied().unwrap_or(INK)
    }
}

fn hsl(h: f64, s: f64, l: f64) -> RGBColor {
    let c = (1.0 - (2.0 * l - 1.0).abs()) * s;
    let hp = h / 60.0;
    let x = c * (1.0 - (hp % 2.0 - 1.0).abs());
    let (r, g, b) = match hp as u32 {
        0 => (c, x, 0.0),
        1 => (x, c, 0.0),
        2 => (0.0, c, x),
        3 => (0.0, x, c),
        4 => (x, 0.0, c),
        _ => (c, 0.0, x),
    };
    let m = l - c / 2.0;
    let to = |v: f64| ((v + m) * 255.0).round().clamp(0.0, 255.0) as u8;
    RGBColor(to(r), to(g), to(b))
}

/// A series' points in data coordinates.
pub struct Series {
    pub key: SeriesKey,
    pub points: Vec<(f64, f64)>,
}

/// Median with min and max, for one x.
#[derive(Debug, Clone, Copy)]
pub struct Spread {
    pub x: f64,
    pub median: f64,
    pub min: f64,
    pub max: f64,
}

fn err<E: std::fmt::Debug>(e: E) -> anyhow::Error {
    anyhow!("drawing: {e:?}")
}

fn height_for(legend_rows: usize) -> u32 {
    MIN_HEIGHT.max(60 + LEGEND_ROW * legend_rows as u32)
}

/// Draws `draw` into an SVG string of the given height and writes it to `path`.
fn write_svg(
    path: &Path,
    height: u32,
    draw: impl FnOnce(&DrawingArea<SVGBackend<'_>, Shift>) -> Result<()>,
) -> Result<()> {
    register_bundled_font();
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, height)).into_drawing_area();
        draw(&root)?;
        root.present().map_err(err)?;
    }
    std::fs::write(path, svg).with_context(|| format!("{}: cannot write", path.display()))
}

/// A legend entry: the line sample (dashed for Go) and the marker, then the label.
enum Swatch {
    Series(SeriesKey),
    Band(RGBColor),
    Dots(RGBColor),
    Line(RGBColor, bool),
}

fn draw_legend(
    area: &DrawingArea<SVGBackend<'_>, Shift>,
    palette: &Palette,
    entries: &[(Swatch, String)],
) -> Result<()> {
    let style = font(13);
    for (i, (swatch, label)) in entries.iter().enumerate() {
        let y = 40 + (i as i32) * LEGEND_ROW as i32;
        match swatch {
            Swatch::Series(k) => {
                let c = palette.colour(k);
                draw_sample_line(area, y, c, k.lang == Lang::Go)?;
                draw_marker(area, (18, y), k.lang, c)?;
            }
            Swatch::Band(c) => {
                area.draw(&Rectangle::new(
                    [(4, y - 6), (32, y + 6)],
                    c.mix(0.25).filled(),
                ))
                .map_err(err)?;
            }
            Swatch::Dots(c) => {
                area.draw(&Circle::new((18, y), 4, c.filled()))
                    .map_err(err)?;
            }
            Swatch::Line(c, dashed) => draw_sample_line(area, y, *c, *dashed)?,
        }
        area.draw(&Text::new(label.clone(), (40, y - 7), style.clone()))
            .map_err(err)?;
    }
    Ok(())
}

fn draw_sample_line(
    area: &DrawingArea<SVGBackend<'_>, Shift>,
    y: i32,
    c: RGBColor,
    dashed: bool,
) -> Result<()> {
    let style = c.stroke_width(2);
    if dashed {
        for x in [4, 14, 24] {
            area.draw(&PathElement::new(vec![(x, y), (x + 6, y)], style))
                .map_err(err)?;
        }
    } else {
        area.draw(&PathElement::new(vec![(4, y), (32, y)], style))
            .map_err(err)?;
    }
    Ok(())
}

fn draw_marker(
    area: &DrawingArea<SVGBackend<'_>, Shift>,
    at: (i32, i32),
    lang: Lang,
    c: RGBColor,
) -> Result<()> {
    match lang {
        Lang::Go => area.draw(&Circle::new(at, 4, c.filled())).map_err(err),
        Lang::Rust => area
            .draw(&TriangleMarker::new(at, 5, c.filled()))
            .map_err(err),
    }
}

/// Draws a line through `$pts` for one series: dashed for Go, solid for Rust.
macro_rules! draw_line {
    ($chart:expr, $pts:expr, $lang:expr, $c:expr) => {{
        let style = $c.stroke_width(2);
        match $lang {
            Lang::Go => $chart
                .draw_series(DashedLineSeries::new($pts, 6, 4, style))
                .map(|_| ()),
            Lang::Rust => $chart.draw_series(LineSeries::new($pts, style)).map(|_| ()),
        }
        .map_err(err)?;
    }};
}

/// Draws the series' markers at `$pts`: circles for Go, triangles for Rust.
macro_rules! draw_markers {
    ($chart:expr, $pts:expr, $lang:expr, $c:expr) => {{
        let c = $c;
        match $lang {
            Lang::Go => $chart
                .draw_series($pts.into_iter().map(|p| Circle::new(p, 4, c.filled())))
                .map(|_| ()),
            Lang::Rust => $chart
                .draw_series(
                    $pts.into_iter()
                        .map(|p| TriangleMarker::new(p, 5, c.filled())),
                )
                .map(|_| ()),
        }
        .map_err(err)?;
    }};
}

/// The mesh with both axes' numbers in [`fmt_num`].
macro_rules! mesh {
    ($chart:expr, $x_desc:expr, $y_desc:expr) => {{
        $chart
            .configure_mesh()
            .x_desc($x_desc)
            .y_desc($y_desc)
            .x_label_formatter(&|v| fmt_num(*v))
            .y_label_formatter(&|v| fmt_num(*v))
            .label_style(font(12))
            .axis_desc_style(font(13))
            .axis_style(INK)
            .bold_line_style(GRID.mix(0.25))
            .light_line_style(GRID.mix(0.08))
            .draw()
            .map_err(err)?;
    }};
}

/// Fixed formatting for axis numbers: up to 3 significant digits, no exponent.
pub fn fmt_num(v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return "0".into();
    }
    let a = v.abs();
    let s = if a >= 100.0 {
        format!("{v:.0}")
    } else if a >= 10.0 {
        format!("{v:.1}")
    } else if a >= 1.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.3}")
    };
    // 2.50 → 2.5, 3.0 → 3
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        s
    }
}

/// Nanoseconds as a short duration label (1 ns … 10 s).
pub fn fmt_ns(v: f64) -> String {
    if v >= 1e9 {
        format!("{} s", fmt_num(v / 1e9))
    } else if v >= 1e6 {
        format!("{} ms", fmt_num(v / 1e6))
    } else if v >= 1e3 {
        format!("{} µs", fmt_num(v / 1e3))
    } else {
        format!("{} ns", fmt_num(v))
    }
}

fn log_bounds(lo: f64, hi: f64) -> (f64, f64) {
    let lo = lo.max(1.0);
    let hi = hi.max(lo * 10.0);
    (
        10f64.powf(lo.log10().floor()),
        10f64.powf(hi.log10().ceil()),
    )
}

/// Throughput against threads for one workload: per map the median over repeats, with a
/// min–max whisker.
pub fn throughput_vs_threads(
    path: &Path,
    workload: &str,
    palette: &Palette,
    series: &[(SeriesKey, Vec<Spread>)],
) -> Result<()> {
    let xs: Vec<f64> = series
        .iter()
        .flat_map(|(_, s)| s.iter().map(|p| p.x))
        .collect();
    let ys: Vec<f64> = series
        .iter()
        .flat_map(|(_, s)| s.iter().map(|p| p.max / 1e6))
        .collect();
    let x_max = xs.iter().copied().fold(1.0, f64::max);
    let y_max = ys.iter().copied().fold(0.0, f64::max) * 1.08;
    let height = height_for(series.len());
    write_svg(path, height, |root| {
        let (plot, legend) = root.split_horizontally(WIDTH - LEGEND_WIDTH);
        let mut chart = ChartBuilder::on(&plot)
            .caption(format!("{workload}: throughput vs threads"), font(18))
            .margin(12)
            .x_label_area_size(44)
            .y_label_area_size(64)
            .build_cartesian_2d(0.5..x_max + 0.5, 0.0..y_max.max(1e-3))
            .map_err(err)?;
        let ticks = x_max as usize;
        chart
            .configure_mesh()
            .x_desc("threads (workers)")
            .y_desc("throughput (million ops/s)")
            .x_labels(ticks.clamp(1, 16) + 1)
            .x_label_formatter(&|v| {
                if (v - v.round()).abs() < 1e-9 && *v >= 1.0 {
                    format!("{}", v.round() as i64)
                } else {
                    String::new()
                }
            })
            .y_label_formatter(&|v| fmt_num(*v))
            .label_style(font(12))
            .axis_desc_style(font(13))
            .axis_style(INK)
            .bold_line_style(GRID.mix(0.25))
            .light_line_style(GRID.mix(0.08))
            .draw()
            .map_err(err)?;
        for (key, spreads) in series {
            let c = palette.colour(key);
            let pts: Vec<(f64, f64)> = spreads.iter().map(|s| (s.x, s.median / 1e6)).collect();
            draw_line!(chart, pts.clone(), key.lang, c);
            chart
                .draw_series(spreads.iter().map(|s| {
                    ErrorBar::new_vertical(s.x, s.min / 1e6, s.median / 1e6, s.max / 1e6, c, 8)
                }))
                .map_err(err)?;
            draw_markers!(chart, pts, key.lang, c);
        }
        let entries: Vec<(Swatch, String)> = series
            .iter()
            .map(|(k, _)| (Swatch::Series(k.clone()), k.label()))
            .collect();
        draw_legend(&legend, palette, &entries)
    })
}

/// Percentiles plotted in the HDR convention: x = log10(1/(1−p)).
const SPECTRUM_TICKS: [(f64, &str); 6] = [
    (0.0, "0%"),
    (0.5, "50%"),
    (0.9, "90%"),
    (0.99, "99%"),
    (0.999, "99.9%"),
    (0.9999, "99.99%"),
];
/// Highest x drawn: 99.99%.
const SPECTRUM_X_MAX: f64 = 4.0;

/// The latency at each percentile from a merged histogram, x = log10(1/(1−p)) from 0 to
/// 4 (p = 99.99%) in steps of 0.05, then the maximum at the right edge.
pub fn spectrum_points(h: &Histogram<u64>) -> Vec<(f64, f64)> {
    let mut pts = Vec::new();
    for i in 0..=80u32 {
        let x = f64::from(i) * 0.05;
        // libm, not the platform's pow: the same bits on every machine.
        let p = 1.0 - libm::pow(10.0, -x);
        pts.push((x, h.value_at_quantile(p).max(1) as f64));
    }
    pts
}

/// The latency percentile spectrum of one cell (workload × threads): one line per map,
/// each from the histograms of all its repeats merged.
pub fn latency_spectrum(
    path: &Path,
    title: &str,
    palette: &Palette,
    cells: &[(SeriesKey, &Histogram<u64>)],
) -> Result<()> {
    let series: Vec<(SeriesKey, Vec<(f64, f64)>)> = cells
        .iter()
        .map(|(k, h)| (k.clone(), spectrum_points(h)))
        .collect();
    let lo = series
        .iter()
        .flat_map(|(_, p)| p.iter().map(|q| q.1))
        .fold(f64::INFINITY, f64::min);
    let hi = series
        .iter()
        .flat_map(|(_, p)| p.iter().map(|q| q.1))
        .fold(1.0, f64::max);
    let (lo, hi) = log_bounds(if lo.is_finite() { lo } else { 1.0 }, hi);
    write_svg(path, height_for(series.len()), |root| {
        let (plot, legend) = root.split_horizontally(WIDTH - LEGEND_WIDTH);
        let mut chart = ChartBuilder::on(&plot)
            .caption(title, font(18))
            .margin(12)
            .x_label_area_size(44)
            .y_label_area_size(64)
            .build_cartesian_2d(0.0..SPECTRUM_X_MAX, (lo..hi).log_scale())
            .map_err(err)?;
        chart
            .configure_mesh()
            .x_desc("percentile (axis by 1/(1−p), log)")
            .y_desc("latency (log)")
            .x_labels(0)
            .disable_x_mesh()
            .y_label_formatter(&|v| fmt_ns(*v))
            .label_style(font(12))
            .axis_desc_style(font(13))
            .axis_style(INK)
            .bold_line_style(GRID.mix(0.25))
            .light_line_style(GRID.mix(0.08))
            .draw()
            .map_err(err)?;
        // The percentile ticks, by hand: plotters places ticks on round x values.
        for (p, label) in SPECTRUM_TICKS {
            let x = libm::log10(1.0 / (1.0 - p));
            chart
                .draw_series(std::iter::once(PathElement::new(
                    vec![(x, lo), (x, hi)],
                    GRID.mix(0.25),
                )))
                .map_err(err)?;
            let (px, py) = chart.backend_coord(&(x, lo));
            let (ox, oy) = plot.get_base_pixel();
            plot.draw(&Text::new(
                label.to_owned(),
                (px - ox - 14, py - oy + 8),
                font(12),
            ))
            .map_err(err)?;
        }
        for (key, pts) in &series {
            let c = palette.colour(key);
            draw_line!(chart, pts.clone(), key.lang, c);
        }
        let entries: Vec<(Swatch, String)> = series
            .iter()
            .map(|(k, _)| (Swatch::Series(k.clone()), k.label()))
            .collect();
        draw_legend(&legend, palette, &entries)
    })
}

fn interval_mid_ms(i: &crate::results::Interval) -> f64 {
    (i.t_start_ns as f64 + i.t_end_ns as f64) / 2.0 / 1e6
}

fn run_key(r: &RunFile) -> SeriesKey {
    SeriesKey {
        lang: r.start.lang,
        map: r.start.map.clone(),
    }
}

/// Throughput per interval against time for each of `runs` (one line each); a run's
/// untimed warm-up, if it had one, is shaded left of t = 0.
pub fn throughput_over_time(
    path: &Path,
    title: &str,
    palette: &Palette,
    runs: &[&RunFile],
) -> Result<()> {
    let series: Vec<(SeriesKey, Vec<(f64, f64)>)> = runs
        .iter()
        .map(|r| {
            let pts = r
                .intervals
                .iter()
                .filter(|i| i.t_end_ns > i.t_start_ns)
                .map(|i| {
                    let secs = (i.t_end_ns - i.t_start_ns) as f64 / 1e9;
                    (interval_mid_ms(i), i.ops.total as f64 / secs / 1e6)
                })
                .collect();
            (run_key(r), pts)
        })
        .collect();
    let warmup_ms = runs.iter().filter_map(|r| warmup_ns(r)).fold(0.0, f64::max) / 1e6;
    let t_max = runs
        .iter()
        .flat_map(|r| r.intervals.iter().map(|i| i.t_end_ns as f64 / 1e6))
        .fold(1.0, f64::max);
    let y_max = series
        .iter()
        .flat_map(|(_, p)| p.iter().map(|q| q.1))
        .fold(0.0, f64::max)
        * 1.1;
    let mut entries: Vec<(Swatch, String)> = series
        .iter()
        .zip(runs)
        .map(|((k, _), r)| {
            (
                Swatch::Series(k.clone()),
                format!("{} ({}t)", k.label(), r.start.threads),
            )
        })
        .collect();
    if warmup_ms > 0.0 {
        entries.push((Swatch::Band(INK), "warm-up (untimed)".into()));
    }
    write_svg(path, height_for(entries.len()), |root| {
        let (plot, legend) = root.split_horizontally(WIDTH - LEGEND_WIDTH);
        let mut chart = ChartBuilder::on(&plot)
            .caption(title, font(18))
            .margin(12)
            .x_label_area_size(44)
            .y_label_area_size(64)
            .build_cartesian_2d(-warmup_ms..t_max, 0.0..y_max.max(1e-3))
            .map_err(err)?;
        mesh!(
            chart,
            "time since the measured phase began (ms)",
            "throughput (million ops/s)"
        );
        if warmup_ms > 0.0 {
            chart
                .draw_series(std::iter::once(Rectangle::new(
                    [(-warmup_ms, 0.0), (0.0, y_max)],
                    INK.mix(0.15).filled(),
                )))
                .map_err(err)?;
        }
        for (key, pts) in &series {
            let c = palette.colour(key);
            draw_line!(chart, pts.clone(), key.lang, c);
            draw_markers!(chart, pts.clone(), key.lang, c);
        }
        draw_legend(&legend, palette, &entries)
    })
}

/// Rust's reclamation backlog over time (schema 2, `interval.reclaim`): values
/// retired and not yet freed at each interval's end, one line per run that counts
/// them. Go has no such series (its collector frees by tracing, not by retirement),
/// so its runs are left out; their pauses are on the pause timeline.
pub fn reclaim_backlog(
    path: &Path,
    title: &str,
    palette: &Palette,
    runs: &[&RunFile],
) -> Result<()> {
    let series: Vec<(SeriesKey, Vec<(f64, f64)>)> = runs
        .iter()
        .filter_map(|r| {
            let pts: Vec<(f64, f64)> = r
                .intervals
                .iter()
                .filter_map(|i| {
                    let rc = i.reclaim.as_ref()?;
                    Some((i.t_end_ns as f64 / 1e6, rc.backlog_values as f64))
                })
                .collect();
            (!pts.is_empty()).then(|| (run_key(r), pts))
        })
        .collect();
    let t_max = runs
        .iter()
        .flat_map(|r| r.intervals.iter().map(|i| i.t_end_ns as f64 / 1e6))
        .fold(1.0, f64::max);
    let y_max = series
        .iter()
        .flat_map(|(_, p)| p.iter().map(|q| q.1))
        .fold(1.0, f64::max)
        * 1.1;
    let mut entries: Vec<(Swatch, String)> = series
        .iter()
        .map(|(k, _)| {
            (
                Swatch::Series(k.clone()),
                format!("{}: retired, not yet freed", k.label()),
            )
        })
        .collect();
    if series.is_empty() {
        entries.push((Swatch::Line(INK, false), "no run counts its backlog".into()));
    }
    write_svg(path, height_for(entries.len()), |root| {
        let (plot, legend) = root.split_horizontally(WIDTH - LEGEND_WIDTH);
        let mut chart = ChartBuilder::on(&plot)
            .caption(title, font(18))
            .margin(12)
            .x_label_area_size(44)
            .y_label_area_size(64)
            .build_cartesian_2d(0.0..t_max, 0.0..y_max)
            .map_err(err)?;
        mesh!(
            chart,
            "time since the measured phase began (ms)",
            "reclamation backlog (values)"
        );
        for (key, pts) in &series {
            let c = palette.colour(key);
            draw_line!(chart, pts.clone(), key.lang, c);
            draw_markers!(chart, pts.clone(), key.lang, c);
        }
        draw_legend(&legend, palette, &entries)
    })
}

fn warmup_ns(r: &RunFile) -> Option<f64> {
    r.end
        .as_ref()
        .and_then(|e| e.extra.get("warmup_ns"))
        .and_then(serde_json::Value::as_f64)
        .filter(|_| r.start.warmup_ops.unwrap_or(0) > 0)
}

/// Pauses on one time axis: Go's GC pauses (each interval's `gc.pauses_ns`, drawn at the
/// interval's end since the log does not say when in the interval they happened) and
/// every run's per-interval maximum op latency (which includes any pause a worker sat
/// through; the Rust side has no collector: its reclamation stalls, `reclaim.stalls`
/// from schema 2, are drawn at their start times).
pub fn pause_timeline(
    path: &Path,
    title: &str,
    palette: &Palette,
    runs: &[&RunFile],
) -> Result<()> {
    let mut max_lat: Vec<(SeriesKey, Vec<(f64, f64)>)> = Vec::new();
    let mut pauses: Vec<(SeriesKey, Vec<(f64, f64)>)> = Vec::new();
    for r in runs {
        let key = run_key(r);
        let pts = r
            .intervals
            .iter()
            .filter_map(|i| {
                let lat = i.lat_ns.as_ref().filter(|l| l.count > 0)?;
                let m = lat.max?;
                Some((interval_mid_ms(i), m.max(1) as f64))
            })
            .collect();
        max_lat.push((key.clone(), pts));
        let mut p = Vec::new();
        for i in &r.intervals {
            let t = i.t_end_ns as f64 / 1e6;
            if let Some(gc) = &i.gc {
                p.extend(gc.pauses_ns.iter().map(|&ns| (t, ns.max(1) as f64)));
            }
            // Rust (schema 2): ops that ran destructors of retired values, at their
            // own start times.
            if let Some(rc) = &i.reclaim {
                p.extend(
                    rc.stalls
                        .iter()
                        .map(|&[at, ns]| (at as f64 / 1e6, ns.max(1) as f64)),
                );
            }
        }
        if !p.is_empty() {
            pauses.push((key, p));
        }
    }
    let all = max_lat
        .iter()
        .chain(&pauses)
        .flat_map(|(_, p)| p.iter().map(|q| q.1));
    let (lo, hi) = all.fold((f64::INFINITY, 1.0f64), |(lo, hi), v| {
        (lo.min(v), hi.max(v))
    });
    let (lo, hi) = log_bounds(if lo.is_finite() { lo } else { 1.0 }, hi);
    let t_max = runs
        .iter()
        .flat_map(|r| r.intervals.iter().map(|i| i.t_end_ns as f64 / 1e6))
        .fold(1.0, f64::max);
    let mut entries: Vec<(Swatch, String)> = max_lat
        .iter()
        .map(|(k, _)| {
            (
                Swatch::Series(k.clone()),
                format!("{}: max op latency", k.label()),
            )
        })
        .collect();
    for (k, _) in &pauses {
        let what = if k.lang == Lang::Go {
            "GC pauses"
        } else {
            "reclamation"
        };
        entries.push((
            Swatch::Dots(pause_colour(palette, k)),
            format!("{}: {what}", k.label()),
        ));
    }
    if pauses.is_empty() {
        entries.push((Swatch::Line(INK, false), "no GC pause recorded".into()));
    }
    write_svg(path, height_for(entries.len()), |root| {
        let (plot, legend) = root.split_horizontally(WIDTH - LEGEND_WIDTH);
        let mut chart = ChartBuilder::on(&plot)
            .caption(title, font(18))
            .margin(12)
            .x_label_area_size(44)
            .y_label_area_size(64)
            .build_cartesian_2d(0.0..t_max, (lo..hi).log_scale())
            .map_err(err)?;
        chart
            .configure_mesh()
            .x_desc("time since the measured phase began (ms)")
            .y_desc("duration (log)")
            .x_label_formatter(&|v| fmt_num(*v))
            .y_label_formatter(&|v| fmt_ns(*v))
            .label_style(font(12))
            .axis_desc_style(font(13))
            .axis_style(INK)
            .bold_line_style(GRID.mix(0.25))
            .light_line_style(GRID.mix(0.08))
            .draw()
            .map_err(err)?;
        for (key, pts) in &max_lat {
            let c = palette.colour(key);
            draw_line!(chart, pts.clone(), key.lang, c);
            draw_markers!(chart, pts.clone(), key.lang, c);
        }
        for (key, pts) in &pauses {
            let c = pause_colour(palette, key);
            chart
                .draw_series(pts.iter().map(|&p| Circle::new(p, 4, c.filled())))
                .map_err(err)?;
        }
        draw_legend(&legend, palette, &entries)
    })
}

fn pause_colour(palette: &Palette, k: &SeriesKey) -> RGBColor {
    let RGBColor(r, g, b) = palette.colour(k);
    // Darker than the series' own colour.
    RGBColor(r / 2 + 20, g / 2 + 20, b / 2 + 20)
}

/// A fitted model drawn over a memory series: (ms since the measured phase began, MiB).
pub struct FittedCurve {
    /// What was fitted, for the legend: "live heap" or "RSS".
    pub series: &'static str,
    pub points: Vec<(f64, f64)>,
}

/// Resident set and live heap against time for each of `runs` (whatever they recorded),
/// with each `fits` curve drawn over them as a thin line.
pub fn memory_over_time(
    path: &Path,
    title: &str,
    palette: &Palette,
    runs: &[&RunFile],
    fits: &[FittedCurve],
) -> Result<()> {
    // (series, is RSS, points)
    type MemoryLine = (SeriesKey, bool, Vec<(f64, f64)>);
    let mut lines: Vec<MemoryLine> = Vec::new();
    for r in runs {
        let key = run_key(r);
        let rss: Vec<(f64, f64)> = r
            .intervals
            .iter()
            .filter_map(|i| Some((i.t_end_ns as f64 / 1e6, i.rss_bytes? as f64 / 1048576.0)))
            .collect();
        let heap: Vec<(f64, f64)> = r
            .intervals
            .iter()
            .filter_map(|i| {
                Some((
                    i.t_end_ns as f64 / 1e6,
                    i.heap_live_bytes? as f64 / 1048576.0,
                ))
            })
            .collect();
        if !rss.is_empty() {
            lines.push((key.clone(), true, rss));
        }
        if !heap.is_empty() {
            lines.push((key, false, heap));
        }
    }
    let t_max = runs
        .iter()
        .flat_map(|r| r.intervals.iter().map(|i| i.t_end_ns as f64 / 1e6))
        .fold(1.0, f64::max);
    let y_max = lines
        .iter()
        .flat_map(|(_, _, p)| p.iter().map(|q| q.1))
        .fold(0.0, f64::max)
        * 1.1;
    let mut entries: Vec<(Swatch, String)> = lines
        .iter()
        .map(|(k, is_rss, _)| {
            let what = if *is_rss { "RSS" } else { "live heap" };
            (
                Swatch::Line(memory_colour(palette, k, *is_rss), !*is_rss),
                format!("{}: {what}", k.label()),
            )
        })
        .collect();
    let fitted: BTreeSet<&str> = fits.iter().map(|f| f.series).collect();
    if !fitted.is_empty() {
        let series: Vec<&str> = fitted.into_iter().collect();
        entries.push((
            Swatch::Line(FIT_INK, false),
            format!("fitted model, lowest AIC ({})", series.join(", ")),
        ));
    }
    let y_max = fits
        .iter()
        .flat_map(|f| f.points.iter().map(|p| p.1 * 1.1))
        .filter(|v| v.is_finite())
        .fold(y_max, f64::max);
    write_svg(path, height_for(entries.len()), |root| {
        let (plot, legend) = root.split_horizontally(WIDTH - LEGEND_WIDTH);
        let mut chart = ChartBuilder::on(&plot)
            .caption(title, font(18))
            .margin(12)
            .x_label_area_size(44)
            .y_label_area_size(64)
            .build_cartesian_2d(0.0..t_max, 0.0..y_max.max(1.0))
            .map_err(err)?;
        mesh!(
            chart,
            "time since the measured phase began (ms)",
            "memory (MiB)"
        );
        for (key, is_rss, pts) in &lines {
            let c = memory_colour(palette, key, *is_rss);
            // RSS solid, live heap dashed (whatever the language).
            let lang = if *is_rss { Lang::Rust } else { Lang::Go };
            draw_line!(chart, pts.clone(), lang, c);
            draw_markers!(chart, pts.clone(), key.lang, c);
        }
        for f in fits {
            let pts: Vec<(f64, f64)> = f
                .points
                .iter()
                .copied()
                .filter(|p| p.1.is_finite())
                .collect();
            chart
                .draw_series(LineSeries::new(pts, FIT_INK.stroke_width(1)))
                .map_err(err)?;
        }
        draw_legend(&legend, palette, &entries)
    })
}

fn memory_colour(palette: &Palette, k: &SeriesKey, is_rss: bool) -> RGBColor {
    if is_rss {
        palette.colour(k)
    } else {
        pause_colour(palette, k)
    }
}

/// One bar: a map's allocation per op (median over repeats).
pub struct Bar {
    pub key: SeriesKey,
    pub bytes_per_op: f64,
    pub allocs_per_op: f64,
}

/// Bytes and allocations per operation per map, as horizontal bars (two panels).
pub fn alloc_per_op(path: &Path, title: &str, palette: &Palette, bars: &[Bar]) -> Result<()> {
    let n = bars.len().max(1);
    let height = MIN_HEIGHT.max(90 + 20 * n as u32);
    register_bundled_font();
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, height)).into_drawing_area();
        let root = root.titled(title, font(18)).map_err(err)?;
        let (left, right) = root.split_horizontally(WIDTH / 2 + 110);
        for (panel, bytes) in [(&left, true), (&right, false)] {
            let value = |b: &Bar| {
                if bytes {
                    b.bytes_per_op
                } else {
                    b.allocs_per_op
                }
            };
            let x_max = bars.iter().map(value).fold(0.0, f64::max) * 1.15;
            let x_max = if x_max > 0.0 { x_max } else { 1.0 };
            let names: Vec<String> = bars.iter().map(|b| b.key.label()).collect();
            let mut chart = ChartBuilder::on(panel)
                .margin(10)
                .x_label_area_size(44)
                .y_label_area_size(if bytes { 230 } else { 10 })
                // A 0..m range has m + 1 segments.
                .build_cartesian_2d(0.0..x_max, (0..n - 1).into_segmented())
                .map_err(err)?;
            chart
                .configure_mesh()
                .x_desc(if bytes {
                    "bytes allocated per op"
                } else {
                    "allocations per op"
                })
                .x_label_formatter(&|v| fmt_num(*v))
                .y_labels(n)
                .y_label_formatter(&|v| match v {
                    SegmentValue::CenterOf(i) if bytes => n
                        .checked_sub(1 + *i)
                        .and_then(|j| names.get(j).cloned())
                        .unwrap_or_default(),
                    _ => String::new(),
                })
                .disable_y_mesh()
                .label_style(font(12))
                .axis_desc_style(font(13))
                .axis_style(INK)
                .bold_line_style(GRID.mix(0.25))
                .light_line_style(GRID.mix(0.08))
                .draw()
                .map_err(err)?;
            chart
                .draw_series(bars.iter().enumerate().map(|(i, b)| {
                    // First bar at the top.
                    let row = n - 1 - i;
                    let c = palette.colour(&b.key);
                    let mut r = Rectangle::new(
                        [
                            (0.0, SegmentValue::Exact(row)),
                            (value(b), SegmentValue::Exact(row + 1)),
                        ],
                        c.filled(),
                    );
                    r.set_margin(3, 3, 0, 0);
                    r
                }))
                .map_err(err)?;
        }
        root.present().map_err(err)?;
    }
    std::fs::write(path, svg).with_context(|| format!("{}: cannot write", path.display()))
}
