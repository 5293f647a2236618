//! The report's figures: SVG files drawn with plotters.
//!
//! Byte-identical output on every machine: text is measured with `ab_glyph` from the
//! bundled DejaVu Sans; series are drawn in a fixed order; every number on an axis goes through a fixed
//! formatter ([`crate::chart`], which also owns the look: ink, grid, text sizes, frames).
//!
//! Figures a reader can read: a figure about many maps is drawn as small multiples, one
//! panel per map family ([`panels`]: at most [`MAX_SERIES_PER_PANEL`] lines each, every
//! panel on the same axes), and its lines are labelled at their right end instead of in
//! a legend. Colour follows the design, not the language ([`design_of`]): Go's mutex map
//! and Rust's `Mutex<HashMap>` share a hue; Go is drawn solid with circles, Rust dashed
//! with triangles. Figures about runs over time (pauses, memory) have one panel per run.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::Result;
use hdrhistogram::Histogram;
use plotters::coord::ranged1d::{Ranged, ValueFormatter};
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::chart::{self, Area, Chart, FIT_INK, Frame, INK, err, font};
// The report's tables format their numbers as the figures' axes do.
pub use crate::chart::{fmt_ns, fmt_num};
use crate::results::{Lang, RunFile};

/// Figure size in pixels; a single-panel figure's legend takes the right-hand strip.
const WIDTH: u32 = 900;
const MIN_HEIGHT: u32 = 460;
const LEGEND_WIDTH: u32 = 250;
/// Legend row height: the 13 px font plus spacing.
const LEGEND_ROW: u32 = 18;
/// Small multiples: the title and key strip above the panels, and one panel's height.
const HEADER_PX: u32 = 62;
const PANEL_PX: u32 = 270;
/// Direct labels: text size and the least vertical distance between two labels.
const LABEL_PX: u32 = 11;
const LABEL_GAP: i32 = 13;

/// At most this many lines share one panel of a small-multiples figure.
pub const MAX_SERIES_PER_PANEL: usize = 8;

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

    /// The label drawn beside a line: `Go mutex-map`, `Rust dashmap-foldhash`.
    pub fn display(&self) -> String {
        format!("{} {}", lang_title(self.lang), self.map)
    }
}

fn lang_title(lang: Lang) -> &'static str {
    match lang {
        Lang::Go => "Go",
        Lang::Rust => "Rust",
    }
}

/// A family of map designs: one panel of a small-multiples figure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Family {
    OneLock,
    Sharded,
    ReadOptimised,
    LockFree,
    Unsynchronised,
    Other,
}

impl Family {
    pub fn title(self) -> &'static str {
        match self {
            Family::OneLock => "one lock (Mutex, RwLock)",
            Family::Sharded => "sharded locks",
            Family::ReadOptimised => "read-optimised (sync.Map's design, evmap)",
            Family::LockFree => "lock-free and epoch-based",
            Family::Unsynchronised => "no synchronisation (one thread only)",
            Family::Other => "other maps",
        }
    }
}

/// A design both languages may implement, with its hue (degrees).
struct DesignDef {
    name: &'static str,
    family: Family,
    hue: f64,
    /// Go maps of this design, by exact name.
    go: &'static [&'static str],
    /// Rust maps of this design, by name prefix.
    rust: &'static [&'static str],
    /// The Rust map drawn in exactly the Go map's colour (its `go_counterpart`, or the
    /// port of the same design); the design's other Rust maps get lighter or darker
    /// shades of the hue.
    rust_canonical: &'static str,
}

/// Hues are chosen to differ within each family; mid lightness reads on both themes.
const DESIGNS: &[DesignDef] = &[
    DesignDef {
        name: "mutex",
        family: Family::OneLock,
        hue: 212.0,
        go: &["mutex-map"],
        rust: &["mutex-"],
        rust_canonical: "mutex-std-foldhash",
    },
    DesignDef {
        name: "rwlock",
        family: Family::OneLock,
        hue: 28.0,
        go: &["rwmutex-map"],
        rust: &["rwlock-"],
        rust_canonical: "rwlock-std-foldhash",
    },
    DesignDef {
        name: "sharded",
        family: Family::Sharded,
        hue: 145.0,
        go: &["sharded-rwmutex-map"],
        rust: &["sharded-"],
        rust_canonical: "sharded-rwlock-foldhash",
    },
    DesignDef {
        name: "sharded library",
        family: Family::Sharded,
        hue: 285.0,
        go: &["orcaman-concurrent-map"],
        rust: &["dashmap"],
        rust_canonical: "dashmap-foldhash",
    },
    DesignDef {
        name: "sync.Map",
        family: Family::ReadOptimised,
        hue: 350.0,
        go: &["sync-map"],
        rust: &["gosyncmap"],
        rust_canonical: "gosyncmap-foldhash",
    },
    DesignDef {
        name: "evmap",
        family: Family::ReadOptimised,
        hue: 45.0,
        go: &[],
        rust: &["evmap"],
        rust_canonical: "",
    },
    DesignDef {
        name: "xsync",
        family: Family::LockFree,
        hue: 190.0,
        go: &["xsync-map"],
        rust: &[],
        rust_canonical: "",
    },
    DesignDef {
        name: "haxmap",
        family: Family::LockFree,
        hue: 320.0,
        go: &["haxmap"],
        rust: &[],
        rust_canonical: "",
    },
    DesignDef {
        name: "papaya",
        family: Family::LockFree,
        hue: 100.0,
        go: &[],
        rust: &["papaya"],
        rust_canonical: "",
    },
    DesignDef {
        name: "flurry",
        family: Family::LockFree,
        hue: 15.0,
        go: &[],
        rust: &["flurry"],
        rust_canonical: "",
    },
    DesignDef {
        name: "scc",
        family: Family::LockFree,
        hue: 240.0,
        go: &[],
        rust: &["scc"],
        rust_canonical: "",
    },
    DesignDef {
        name: "unsynchronised",
        family: Family::Unsynchronised,
        hue: 170.0,
        go: &["unsync-map"],
        rust: &["unsync"],
        rust_canonical: "unsync-std-foldhash",
    },
];

/// What a map is, for grouping and colour.
#[derive(Debug, Clone, PartialEq)]
pub struct Design {
    /// The design's name (a map of no known design is its own design, named after it).
    pub name: String,
    pub family: Family,
    /// Position in the design table (unknown maps last), for a fixed order.
    pub order: usize,
    /// The design's hue, `None` for a map of no known design.
    hue: Option<f64>,
    /// The Rust map that gets exactly the Go map's colour.
    rust_canonical: &'static str,
}

/// The design of a map, by its registry name on its side.
pub fn design_of(key: &SeriesKey) -> Design {
    let found = DESIGNS.iter().enumerate().find(|(_, d)| match key.lang {
        Lang::Go => d.go.contains(&key.map.as_str()),
        Lang::Rust => d.rust.iter().any(|p| key.map.starts_with(p)),
    });
    match found {
        Some((i, d)) => Design {
            name: d.name.to_owned(),
            family: d.family,
            order: i,
            hue: Some(d.hue),
            rust_canonical: d.rust_canonical,
        },
        None => Design {
            name: key.map.clone(),
            family: Family::Other,
            order: DESIGNS.len(),
            hue: None,
            rust_canonical: "",
        },
    }
}

impl Design {
    /// The Rust map of this design that ports the Go map (empty when there is none).
    pub fn rust_canonical(&self) -> &'static str {
        self.rust_canonical
    }
}

/// The order series are drawn and labelled in: by design, Go before Rust, the canonical
/// Rust map first, then by name.
fn sort_key(k: &SeriesKey) -> (usize, String, u8, bool, String) {
    let d = design_of(k);
    let lang = match k.lang {
        Lang::Go => 0,
        Lang::Rust => 1,
    };
    (
        d.order,
        d.name,
        lang,
        k.map != d.rust_canonical,
        k.map.clone(),
    )
}

/// One panel of a small-multiples figure.
#[derive(Debug, Clone, PartialEq)]
pub struct Panel {
    pub title: String,
    pub keys: Vec<SeriesKey>,
}

/// Groups series into panels by [`Family`], in the family order; a family with more than
/// [`MAX_SERIES_PER_PANEL`] series is split into as few panels as that allows, of
/// nearly equal size, keeping a design's maps together where the split allows.
pub fn panels(keys: &[SeriesKey]) -> Vec<Panel> {
    let mut by_family: BTreeMap<Family, Vec<SeriesKey>> = BTreeMap::new();
    for k in keys {
        let v = by_family.entry(design_of(k).family).or_default();
        if !v.contains(k) {
            v.push(k.clone());
        }
    }
    let mut out = Vec::new();
    for (family, mut ks) in by_family {
        ks.sort_by_key(sort_key);
        let parts = ks.len().div_ceil(MAX_SERIES_PER_PANEL);
        let size = ks.len().div_ceil(parts);
        for (i, chunk) in ks.chunks(size).enumerate() {
            let title = if parts == 1 {
                family.title().to_owned()
            } else {
                format!("{} ({}/{parts})", family.title(), i + 1)
            };
            out.push(Panel {
                title,
                keys: chunk.to_vec(),
            });
        }
    }
    out
}

/// Colours for every series of a report, fixed once so a map looks the same in every
/// figure: one hue per design ([`design_of`]); the Go map and the design's canonical
/// Rust map get the same colour, further maps of the design on a side lighter or darker
/// shades of it. Maps of no known design get hues spread by the golden angle.
#[derive(Debug, Clone)]
pub struct Palette {
    colours: BTreeMap<SeriesKey, RGBColor>,
}

/// Lightness of a design's maps on one side, the first (canonical) map first.
const SHADES: [f64; 5] = [0.50, 0.36, 0.64, 0.28, 0.72];

impl Palette {
    pub fn new<'a>(keys: impl IntoIterator<Item = &'a SeriesKey>) -> Palette {
        let mut ks: Vec<&SeriesKey> = keys.into_iter().collect();
        ks.sort_by_key(|k| sort_key(k));
        ks.dedup();
        let mut shade: BTreeMap<(String, Lang), usize> = BTreeMap::new();
        let mut others = 0usize;
        let mut colours = BTreeMap::new();
        for k in ks {
            let d = design_of(k);
            let hue = d.hue.unwrap_or_else(|| {
                others += 1;
                (others as f64 * 137.508) % 360.0
            });
            let n = shade.entry((d.name, k.lang)).or_default();
            let light = SHADES[*n % SHADES.len()];
            *n += 1;
            colours.insert(k.clone(), hsl(hue, 0.65, light));
        }
        Palette { colours }
    }

    pub fn colour(&self, k: &SeriesKey) -> RGBColor {
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

/// A darker shade of `c`: pause dots over a latency line, live heap beside RSS.
fn darker(c: RGBColor) -> RGBColor {
    let RGBColor(r, g, b) = c;
    RGBColor(r / 2 + 20, g / 2 + 20, b / 2 + 20)
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

/// One run's line: its series key, its thread count and its points.
type ThreadsSeries = (SeriesKey, u32, Vec<(f64, f64)>);

fn height_for(legend_rows: usize) -> u32 {
    MIN_HEIGHT.max(60 + LEGEND_ROW * legend_rows as u32)
}

/// Draws `draw` into an SVG of the given size and writes it to `path`.
fn write_svg(
    path: &Path,
    size: (u32, u32),
    draw: impl FnOnce(&Area<'_>) -> Result<()>,
) -> Result<()> {
    chart::write_svg(path, &chart::render_svg(size, draw)?)
}

/// The frame of every chart of the report's figures: a caption of `caption_px`, 10 px
/// margins but `right` on the right (room for the lines' end labels), the standard
/// label strips.
fn frame(caption: &str, caption_px: u32, right: u32) -> Frame<'_> {
    Frame::new(10, 40, 60)
        .caption(caption, caption_px)
        .right(right)
}

/// A legend entry: the line sample (dashed for Rust) and the marker, then the label.
enum Swatch {
    Series(SeriesKey),
    Band(RGBColor),
    Dots(RGBColor),
    Line(RGBColor, bool),
}

fn draw_legend(area: &Area<'_>, palette: &Palette, entries: &[(Swatch, String)]) -> Result<()> {
    let style = font(13);
    for (i, (swatch, label)) in entries.iter().enumerate() {
        let y = 40 + (i as i32) * LEGEND_ROW as i32;
        draw_swatch(area, (4, y), palette, swatch)?;
        area.draw(&Text::new(label.clone(), (40, y - 7), style.clone()))
            .map_err(err)?;
    }
    Ok(())
}

/// A 28 px wide swatch whose left end is at `at`.
fn draw_swatch(area: &Area<'_>, at: (i32, i32), palette: &Palette, swatch: &Swatch) -> Result<()> {
    let (x, y) = at;
    match swatch {
        Swatch::Series(k) => {
            let c = palette.colour(k);
            draw_sample_line(area, (x, y), c, k.lang == Lang::Rust)?;
            draw_marker(area, (x + 14, y), k.lang, c)?;
        }
        Swatch::Band(c) => {
            area.draw(&Rectangle::new(
                [(x, y - 6), (x + 28, y + 6)],
                c.mix(0.25).filled(),
            ))
            .map_err(err)?;
        }
        Swatch::Dots(c) => {
            area.draw(&Circle::new((x + 14, y), 4, c.filled()))
                .map_err(err)?;
        }
        Swatch::Line(c, dashed) => draw_sample_line(area, (x, y), *c, *dashed)?,
    }
    Ok(())
}

fn draw_sample_line(area: &Area<'_>, (x0, y): (i32, i32), c: RGBColor, dashed: bool) -> Result<()> {
    let style = c.stroke_width(2);
    if dashed {
        for x in [x0, x0 + 10, x0 + 20] {
            area.draw(&PathElement::new(vec![(x, y), (x + 6, y)], style))
                .map_err(err)?;
        }
    } else {
        area.draw(&PathElement::new(vec![(x0, y), (x0 + 28, y)], style))
            .map_err(err)?;
    }
    Ok(())
}

fn draw_marker(area: &Area<'_>, at: (i32, i32), lang: Lang, c: RGBColor) -> Result<()> {
    match lang {
        Lang::Go => area.draw(&Circle::new(at, 4, c.filled())).map_err(err),
        Lang::Rust => area
            .draw(&TriangleMarker::new(at, 5, c.filled()))
            .map_err(err),
    }
}

/// The figure's title and, beside it on a second row, a key of swatches (the lines'
/// styles, not their maps: those are labelled where they end).
fn draw_header(
    area: &Area<'_>,
    palette: &Palette,
    title: &str,
    key: &[(Swatch, String)],
) -> Result<()> {
    area.draw(&Text::new(title.to_owned(), (12, 8), font(18)))
        .map_err(err)?;
    let mut x = 12;
    for (swatch, label) in key {
        draw_swatch(area, (x, 44), palette, swatch)?;
        let style = font(12);
        area.draw(&Text::new(
            label.clone(),
            (x + 34, 44),
            style.pos(Pos::new(HPos::Left, VPos::Center)),
        ))
        .map_err(err)?;
        let (w, _) = area.estimate_text_size(label, &font(12)).map_err(err)?;
        x += 34 + w as i32 + 22;
    }
    Ok(())
}

/// The key of a figure whose lines are maps: Go solid with circles, Rust dashed with
/// triangles.
fn language_key() -> Vec<(Swatch, String)> {
    let go = SeriesKey {
        lang: Lang::Go,
        map: String::new(),
    };
    let rust = SeriesKey {
        lang: Lang::Rust,
        map: String::new(),
    };
    vec![
        (Swatch::Series(go), "Go (solid, circles)".into()),
        (Swatch::Series(rust), "Rust (dashed, triangles)".into()),
    ]
}

/// The header strip and a grid of `n` panels below it, `cols` wide, row by row.
fn grid<'a>(root: &Area<'a>, n: usize, cols: usize) -> (Area<'a>, Vec<Area<'a>>) {
    let (header, body) = root.split_vertically(HEADER_PX);
    let rows = n.div_ceil(cols).max(1);
    let mut areas = body.split_evenly((rows, cols));
    areas.truncate(n);
    (header, areas)
}

fn grid_size(n: usize, cols: usize, panel_px: u32) -> (u32, u32) {
    (WIDTH, HEADER_PX + panel_px * n.div_ceil(cols).max(1) as u32)
}

/// The width the direct labels of a figure need: its longest label, plus the leader.
fn label_width(root: &Area<'_>, labels: impl IntoIterator<Item = String>) -> Result<u32> {
    let mut w = 0;
    for l in labels {
        w = w.max(root.estimate_text_size(&l, &font(LABEL_PX)).map_err(err)?.0);
    }
    Ok(w + 16)
}

/// Moves label positions apart so that no two are closer than `gap`, keeping each as
/// near its wish as the room between `top` and `bottom` allows. `ys` in any order; the
/// result is in the same order.
pub fn spread_labels(ys: &[i32], gap: i32, top: i32, bottom: i32) -> Vec<i32> {
    let mut order: Vec<usize> = (0..ys.len()).collect();
    order.sort_by_key(|&i| (ys[i], i));
    let mut placed: Vec<i32> = order.iter().map(|&i| ys[i]).collect();
    let n = placed.len();
    if n == 0 {
        return Vec::new();
    }
    // Down from the top: each at least `gap` below the previous.
    placed[0] = placed[0].max(top);
    for i in 1..n {
        placed[i] = placed[i].max(placed[i - 1] + gap);
    }
    // Up from the bottom, where that ran past it.
    placed[n - 1] = placed[n - 1].min(bottom);
    for i in (0..n - 1).rev() {
        placed[i] = placed[i].min(placed[i + 1] - gap);
    }
    let mut out = vec![0; n];
    for (slot, &i) in order.iter().enumerate() {
        out[i] = placed[slot];
    }
    out
}

/// A line's label at its right end: `at` is the last point in pixels.
struct EndLabel {
    text: String,
    colour: RGBColor,
    at: (i32, i32),
}

impl EndLabel {
    fn of(key: &SeriesKey, colour: RGBColor, at: (i32, i32)) -> EndLabel {
        EndLabel {
            text: key.display(),
            colour,
            at,
        }
    }
}

/// Draws the labels right of the plotting area `plot` (pixel ranges), spread apart,
/// each with a thin leader from its line's end.
fn draw_end_labels(
    root: &Area<'_>,
    plot: (std::ops::Range<i32>, std::ops::Range<i32>),
    labels: Vec<EndLabel>,
) -> Result<()> {
    let (xr, yr) = plot;
    let x = xr.end + 10;
    let wished: Vec<i32> = labels.iter().map(|l| l.at.1).collect();
    let ys = spread_labels(&wished, LABEL_GAP, yr.start + 4, yr.end - 4);
    for (l, y) in labels.iter().zip(ys) {
        root.draw(&PathElement::new(
            vec![(l.at.0 + 5, l.at.1), (x - 3, y)],
            l.colour.mix(0.6).stroke_width(1),
        ))
        .map_err(err)?;
        root.draw(&Text::new(
            l.text.clone(),
            (x, y),
            font(LABEL_PX)
                .color(&l.colour)
                .pos(Pos::new(HPos::Left, VPos::Center)),
        ))
        .map_err(err)?;
    }
    Ok(())
}

/// Draws a line through `$pts` for one series: solid for Go, dashed for Rust.
macro_rules! draw_line {
    ($chart:expr, $pts:expr, $lang:expr, $c:expr) => {{
        let style = $c.stroke_width(2);
        match $lang {
            Lang::Rust => $chart
                .draw_series(DashedLineSeries::new($pts, 6, 4, style))
                .map(|_| ()),
            Lang::Go => $chart.draw_series(LineSeries::new($pts, style)).map(|_| ()),
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

/// The mesh of one run's panel: time on x, `y_desc` on y (numbers by `y_fmt`), five
/// labels on each axis.
fn run_mesh<X, Y>(
    chart: &mut Chart<'_, '_, X, Y>,
    x_desc: &str,
    y_desc: &str,
    y_fmt: fn(f64) -> String,
) -> Result<()>
where
    X: Ranged<ValueType = f64> + ValueFormatter<f64>,
    Y: Ranged<ValueType = f64> + ValueFormatter<f64>,
{
    chart::styled(&mut chart.configure_mesh(), chart::STANDARD)
        .x_desc(x_desc)
        .y_desc(y_desc)
        .x_labels(5)
        .y_labels(5)
        .x_label_formatter(&|v| fmt_num(*v))
        .y_label_formatter(&|v| y_fmt(*v))
        .draw()
        .map_err(err)
}

/// The lines of a small-multiples panel: for each of the panel's maps that `points`
/// has, its line (solid Go, dashed Rust), then `extra` (what else the figure draws for
/// it), and its label at the line's end, right of the plot.
fn draw_labelled_lines<X, Y>(
    root: &Area<'_>,
    chart: &mut Chart<'_, '_, X, Y>,
    panel: &Panel,
    palette: &Palette,
    points: impl Fn(&SeriesKey) -> Option<Vec<(f64, f64)>>,
    mut extra: impl FnMut(&mut Chart<'_, '_, X, Y>, &SeriesKey, RGBColor, &[(f64, f64)]) -> Result<()>,
) -> Result<()>
where
    X: Ranged<ValueType = f64>,
    Y: Ranged<ValueType = f64>,
{
    let mut labels = Vec::new();
    for key in &panel.keys {
        let Some(pts) = points(key) else { continue };
        let c = palette.colour(key);
        draw_line!(chart, pts.clone(), key.lang, c);
        extra(chart, key, c, &pts)?;
        labels.extend(
            pts.last()
                .map(|p| EndLabel::of(key, c, chart.backend_coord(p))),
        );
    }
    draw_end_labels(root, chart.plotting_area().get_pixel_range(), labels)
}

fn log_bounds(lo: f64, hi: f64) -> (f64, f64) {
    let lo = lo.max(1.0);
    let hi = hi.max(lo * 10.0);
    (
        10f64.powf(lo.log10().floor()),
        10f64.powf(hi.log10().ceil()),
    )
}

/// Time axis: seconds when the runs last 10 s or more, else milliseconds.
fn time_axis(t_max_ms: f64) -> (f64, &'static str) {
    if t_max_ms >= 10_000.0 {
        (1e3, "time since the measured phase began (s)")
    } else {
        (1.0, "time since the measured phase began (ms)")
    }
}

/// Throughput against threads for one workload, as small multiples by map family
/// ([`panels`]), all on the same axes: per map the median over repeats with a min–max
/// whisker, labelled at its last point.
pub fn throughput_vs_threads(
    path: &Path,
    workload: &str,
    palette: &Palette,
    series: &[(SeriesKey, Vec<Spread>)],
) -> Result<()> {
    let x_max = series
        .iter()
        .flat_map(|(_, s)| s.iter().map(|p| p.x))
        .fold(1.0, f64::max);
    let y_max = series
        .iter()
        .flat_map(|(_, s)| s.iter().map(|p| p.max / 1e6))
        .fold(0.0, f64::max)
        * 1.08;
    let keys: Vec<SeriesKey> = series.iter().map(|(k, _)| k.clone()).collect();
    let groups = panels(&keys);
    let by_key: BTreeMap<&SeriesKey, &Vec<Spread>> = series.iter().map(|(k, s)| (k, s)).collect();
    let cols = if groups.len() > 1 { 2 } else { 1 };
    write_svg(path, grid_size(groups.len(), cols, PANEL_PX), |root| {
        let (header, areas) = grid(root, groups.len(), cols);
        let mut key = language_key();
        key.push((
            Swatch::Line(INK, false),
            "whisker: min–max over repeats".into(),
        ));
        draw_header(
            &header,
            palette,
            &format!("{workload}: throughput vs threads, by map family (same axes)"),
            &key,
        )?;
        let label_w = label_width(root, keys.iter().map(SeriesKey::display))?;
        for (area, panel) in areas.iter().zip(&groups) {
            let mut chart = frame(panel.title.as_str(), 13, label_w).build(
                area,
                0.5..x_max + 0.5,
                0.0..y_max.max(1e-3),
            )?;
            let ticks = x_max as usize;
            chart::styled(&mut chart.configure_mesh(), chart::STANDARD)
                .x_desc("threads (workers)")
                .y_desc("million ops/s")
                .x_labels(ticks.clamp(1, 16) + 1)
                .x_label_formatter(&|v| {
                    if (v - v.round()).abs() < 1e-9 && *v >= 1.0 {
                        format!("{}", v.round() as i64)
                    } else {
                        String::new()
                    }
                })
                .y_label_formatter(&|v| fmt_num(*v))
                .draw()
                .map_err(err)?;
            let medians = |key: &SeriesKey| {
                let spreads = by_key.get(key)?;
                Some(spreads.iter().map(|s| (s.x, s.median / 1e6)).collect())
            };
            draw_labelled_lines(
                root,
                &mut chart,
                panel,
                palette,
                medians,
                |chart, key, c, pts| {
                    let spreads = by_key.get(key).map_or(&[][..], |s| s.as_slice());
                    chart
                        .draw_series(spreads.iter().map(|s| {
                            ErrorBar::new_vertical(
                                s.x,
                                s.min / 1e6,
                                s.median / 1e6,
                                s.max / 1e6,
                                c,
                                8,
                            )
                        }))
                        .map_err(err)?;
                    draw_markers!(chart, pts.iter().copied(), key.lang, c);
                    Ok(())
                },
            )?;
        }
        Ok(())
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
/// each from the histograms of all its repeats merged; small multiples by map family on
/// the same axes, each line labelled at 99.99%.
pub fn latency_spectrum(
    path: &Path,
    title: &str,
    palette: &Palette,
    cells: &[(SeriesKey, &Histogram<u64>)],
) -> Result<()> {
    let series: BTreeMap<SeriesKey, Vec<(f64, f64)>> = cells
        .iter()
        .map(|(k, h)| (k.clone(), spectrum_points(h)))
        .collect();
    let lo = series
        .values()
        .flat_map(|p| p.iter().map(|q| q.1))
        .fold(f64::INFINITY, f64::min);
    let hi = series
        .values()
        .flat_map(|p| p.iter().map(|q| q.1))
        .fold(1.0, f64::max);
    let (lo, hi) = log_bounds(if lo.is_finite() { lo } else { 1.0 }, hi);
    let keys: Vec<SeriesKey> = series.keys().cloned().collect();
    let groups = panels(&keys);
    let cols = if groups.len() > 1 { 2 } else { 1 };
    write_svg(path, grid_size(groups.len(), cols, PANEL_PX), |root| {
        let (header, areas) = grid(root, groups.len(), cols);
        draw_header(&header, palette, title, &language_key())?;
        let label_w = label_width(root, keys.iter().map(SeriesKey::display))?;
        for (area, panel) in areas.iter().zip(&groups) {
            let mut chart = frame(panel.title.as_str(), 13, label_w).build(
                area,
                0.0..SPECTRUM_X_MAX,
                (lo..hi).log_scale(),
            )?;
            chart::styled(&mut chart.configure_mesh(), chart::STANDARD)
                .x_desc("percentile (axis by 1/(1−p), log)")
                .y_desc("latency (log)")
                .x_labels(0)
                .disable_x_mesh()
                .y_label_formatter(&|v| fmt_ns(*v))
                .draw()
                .map_err(err)?;
            // The percentile ticks, by hand: plotters places ticks on round x values.
            for (i, (p, label)) in SPECTRUM_TICKS.iter().enumerate() {
                let x = libm::log10(1.0 / (1.0 - p));
                chart
                    .draw_series(std::iter::once(PathElement::new(
                        vec![(x, lo), (x, hi)],
                        INK.mix(0.25),
                    )))
                    .map_err(err)?;
                // 0% would sit on 50%: the panels are narrow.
                if i > 0 {
                    let (px, py) = chart.backend_coord(&(x, lo));
                    root.draw(&Text::new(
                        (*label).to_owned(),
                        (px, py + 6),
                        font(11).pos(Pos::new(HPos::Center, VPos::Top)),
                    ))
                    .map_err(err)?;
                }
            }
            let points = |key: &SeriesKey| series.get(key).cloned();
            draw_labelled_lines(
                root,
                &mut chart,
                panel,
                palette,
                points,
                |_, _, _, _| Ok(()),
            )?;
        }
        Ok(())
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

/// Runs in the order their panels are drawn: by design, as series are, then threads
/// and run id.
fn sorted_runs<'a>(runs: &[&'a RunFile]) -> Vec<&'a RunFile> {
    let mut v = runs.to_vec();
    v.sort_by(|a, b| {
        sort_key(&run_key(a))
            .cmp(&sort_key(&run_key(b)))
            .then(a.start.threads.cmp(&b.start.threads))
            .then(a.start.run_id.cmp(&b.start.run_id))
    });
    v
}

fn run_title(r: &RunFile) -> String {
    let gogc_off = r.start.runtime.as_ref().and_then(|v| v.gogc.as_deref()) == Some("off");
    let gc = if gogc_off { ", GOGC=off" } else { "" };
    format!("{} ({}t{gc})", run_key(r).display(), r.start.threads)
}

fn t_max_ms(runs: &[&RunFile]) -> f64 {
    runs.iter()
        .flat_map(|r| r.intervals.iter().map(|i| i.t_end_ns as f64 / 1e6))
        .fold(1.0, f64::max)
}

/// Columns of a one-panel-per-run figure.
fn run_cols(n: usize) -> usize {
    match n {
        0 | 1 => 1,
        2 | 4 => 2,
        _ => 3,
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
    let t_max = t_max_ms(runs);
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
                format!("{} ({}t)", k.display(), r.start.threads),
            )
        })
        .collect();
    if warmup_ms > 0.0 {
        entries.push((Swatch::Band(INK), "warm-up (untimed)".into()));
    }
    let lines: Vec<(&SeriesKey, &[(f64, f64)])> =
        series.iter().map(|(k, p)| (k, p.as_slice())).collect();
    let axes = TimeAxes {
        x: -warmup_ms..t_max,
        y: 0.0..y_max.max(1e-3),
        y_desc: "throughput (million ops/s)",
    };
    time_figure(path, title, palette, &entries, axes, &lines, |chart| {
        if warmup_ms > 0.0 {
            chart
                .draw_series(std::iter::once(Rectangle::new(
                    [(-warmup_ms, 0.0), (0.0, y_max)],
                    INK.mix(0.15).filled(),
                )))
                .map_err(err)?;
        }
        Ok(())
    })
}

/// The axes of a one-panel figure over time: x in ms, y described by `y_desc`.
struct TimeAxes {
    x: std::ops::Range<f64>,
    y: std::ops::Range<f64>,
    y_desc: &'static str,
}

/// A one-panel figure of maps' lines over time with a legend strip at the right:
/// `under` draws first (e.g. a shaded warm-up), then each line with its markers.
fn time_figure(
    path: &Path,
    title: &str,
    palette: &Palette,
    entries: &[(Swatch, String)],
    axes: TimeAxes,
    lines: &[(&SeriesKey, &[(f64, f64)])],
    under: impl FnOnce(&mut Chart<'_, '_, RangedCoordf64, RangedCoordf64>) -> Result<()>,
) -> Result<()> {
    write_svg(path, (WIDTH, height_for(entries.len())), |root| {
        let (plot, legend) = root.split_horizontally(WIDTH - LEGEND_WIDTH);
        let mut chart = frame(title, 18, 10).build(&plot, axes.x, axes.y)?;
        chart::styled(&mut chart.configure_mesh(), chart::STANDARD)
            .x_desc("time since the measured phase began (ms)")
            .y_desc(axes.y_desc)
            .x_label_formatter(&|v| fmt_num(*v))
            .y_label_formatter(&|v| fmt_num(*v))
            .draw()
            .map_err(err)?;
        under(&mut chart)?;
        for (key, pts) in lines {
            let c = palette.colour(key);
            draw_line!(chart, pts.to_vec(), key.lang, c);
            draw_markers!(chart, pts.iter().copied(), key.lang, c);
        }
        draw_legend(&legend, palette, entries)
    })
}

/// Rust's reclamation backlog over time (schema 2, `interval.reclaim`): values retired
/// (replaced or removed) and not yet freed at each interval's end, one line per run
/// that counts them. Go has no such series (its collector frees by tracing, not by
/// retirement), so its runs are left out; their pauses are on the pause timeline.
/// Returns the peak backlog drawn, or `None` (and draws nothing) when no run counts it.
pub fn reclaim_backlog(
    path: &Path,
    title: &str,
    palette: &Palette,
    runs: &[&RunFile],
) -> Result<Option<u64>> {
    let series: Vec<ThreadsSeries> = sorted_runs(runs)
        .into_iter()
        .filter_map(|r| {
            let pts: Vec<(f64, f64)> = r
                .intervals
                .iter()
                .filter_map(|i| {
                    let rc = i.reclaim.as_ref()?;
                    Some((i.t_end_ns as f64 / 1e6, rc.backlog_values as f64))
                })
                .collect();
            (!pts.is_empty()).then(|| (run_key(r), r.start.threads, pts))
        })
        .collect();
    if series.is_empty() {
        return Ok(None);
    }
    let peak = series
        .iter()
        .flat_map(|(_, _, p)| p.iter().map(|q| q.1))
        .fold(0.0, f64::max);
    let t_max = t_max_ms(runs);
    let entries: Vec<(Swatch, String)> = series
        .iter()
        .map(|(k, threads, _)| {
            (
                Swatch::Series(k.clone()),
                format!("{} ({threads}t): retired, not yet freed", k.display()),
            )
        })
        .collect();
    let lines: Vec<(&SeriesKey, &[(f64, f64)])> =
        series.iter().map(|(k, _, p)| (k, p.as_slice())).collect();
    let axes = TimeAxes {
        x: 0.0..t_max,
        y: 0.0..(peak * 1.1).max(1.0),
        y_desc: "reclamation backlog (values)",
    };
    time_figure(path, title, palette, &entries, axes, &lines, |_| Ok(()))?;
    Ok(Some(peak as u64))
}

fn warmup_ns(r: &RunFile) -> Option<f64> {
    r.end
        .as_ref()
        .and_then(|e| e.warmup_ns)
        .map(|ns| ns as f64)
        .filter(|_| r.start.warmup_ops.unwrap_or(0) > 0)
}

/// What kind of pause a run can record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PauseKind {
    /// Go: the collector's stop-the-world pauses (`gc.pauses_ns`).
    GcPause,
    /// Rust, a map whose reclamation the runner counts: ops that ran destructors of
    /// retired values (`reclaim.stalls`, schema 2).
    ReclamationStall,
    /// Rust, a map that frees a value when it is removed: nothing is deferred.
    Immediate,
    /// Rust, a map whose reclamation is not observed (or a schema-1 file).
    NotObserved,
}

impl PauseKind {
    pub fn of(r: &RunFile) -> PauseKind {
        match r.start.lang {
            Lang::Go => PauseKind::GcPause,
            Lang::Rust => {
                let counted = r.intervals.iter().any(|i| i.reclaim.is_some());
                let mode = r.start.reclaim.as_ref().map(|i| i.mode.as_str());
                if counted {
                    PauseKind::ReclamationStall
                } else if mode == Some("immediate") {
                    PauseKind::Immediate
                } else {
                    PauseKind::NotObserved
                }
            }
        }
    }

    pub fn plural(self) -> &'static str {
        match self {
            PauseKind::GcPause => "GC pauses",
            PauseKind::ReclamationStall => "reclamation stalls",
            PauseKind::Immediate => "frees at once: no deferred reclamation",
            PauseKind::NotObserved => "reclamation not observed",
        }
    }
}

/// A run's pauses as (ms since the measured phase began, duration ns): Go's GC pauses
/// at the end of the interval they fell in (the log does not say when in it), Rust's
/// reclamation stalls at their own start times.
pub fn pauses_of(r: &RunFile) -> Vec<(f64, u64)> {
    let mut p = Vec::new();
    for i in &r.intervals {
        let t = i.t_end_ns as f64 / 1e6;
        if let Some(gc) = &i.gc {
            p.extend(gc.pauses_ns.iter().map(|&ns| (t, ns)));
        }
        if let Some(rc) = &i.reclaim {
            p.extend(rc.stalls.iter().map(|&[at, ns]| (at as f64 / 1e6, ns)));
        }
    }
    p
}

/// Pauses on one time axis, one panel per run (same axes): each run's per-interval
/// maximum op latency (which includes any pause a worker sat through) as a line, and
/// its pauses ([`pauses_of`]) as dots. Meant for runs long enough to contain pauses.
pub fn pause_timeline(
    path: &Path,
    title: &str,
    palette: &Palette,
    runs: &[&RunFile],
) -> Result<()> {
    let runs = sorted_runs(runs);
    let max_lat: Vec<Vec<(f64, f64)>> = runs
        .iter()
        .map(|r| {
            r.intervals
                .iter()
                .filter_map(|i| {
                    let lat = i.lat_ns.as_ref().filter(|l| l.count > 0)?;
                    let m = lat.max?;
                    Some((interval_mid_ms(i), m.max(1) as f64))
                })
                .collect()
        })
        .collect();
    let pauses: Vec<Vec<(f64, f64)>> = runs
        .iter()
        .map(|r| {
            pauses_of(r)
                .into_iter()
                .map(|(t, ns)| (t, ns.max(1) as f64))
                .collect()
        })
        .collect();
    let (lo, hi) = max_lat
        .iter()
        .chain(&pauses)
        .flat_map(|p| p.iter().map(|q| q.1))
        .fold((f64::INFINITY, 1.0f64), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        });
    let (lo, hi) = log_bounds(if lo.is_finite() { lo } else { 1.0 }, hi);
    let t_max = t_max_ms(&runs);
    let (unit, x_desc) = time_axis(t_max);
    let cols = run_cols(runs.len());
    write_svg(path, grid_size(runs.len(), cols, 230), |root| {
        let (header, areas) = grid(root, runs.len(), cols);
        let key = vec![
            (
                Swatch::Line(INK, false),
                "max op latency per interval".into(),
            ),
            (
                Swatch::Dots(darker(INK)),
                "Go GC pauses (at their interval's end), Rust reclamation stalls".into(),
            ),
        ];
        draw_header(&header, palette, title, &key)?;
        for (((area, r), lat), ps) in areas.iter().zip(&runs).zip(&max_lat).zip(&pauses) {
            let key = run_key(r);
            let c = palette.colour(&key);
            let mut chart = frame(&run_title(r), 12, 12).build(
                area,
                0.0..t_max / unit,
                (lo..hi).log_scale(),
            )?;
            run_mesh(&mut chart, x_desc, "duration (log)", fmt_ns)?;
            let line: Vec<(f64, f64)> = lat.iter().map(|&(t, v)| (t / unit, v)).collect();
            chart
                .draw_series(LineSeries::new(line, c.stroke_width(1)))
                .map_err(err)?;
            // Thousands of stalls: smaller, translucent dots, so the line still shows.
            let (radius, dot) = if ps.len() > 200 {
                (2, darker(c).mix(0.5))
            } else {
                (3, darker(c).mix(1.0))
            };
            chart
                .draw_series(
                    ps.iter()
                        .map(|&(t, v)| Circle::new((t / unit, v), radius, dot.filled())),
                )
                .map_err(err)?;
            let kind = PauseKind::of(r);
            let note = match (kind, ps.iter().map(|p| p.1).fold(0.0, f64::max)) {
                (PauseKind::NotObserved | PauseKind::Immediate, _) => kind.plural().to_owned(),
                (_, m) if ps.is_empty() || m <= 0.0 => format!("no {} recorded", kind.plural()),
                (_, m) => format!("{} {}, longest {}", ps.len(), kind.plural(), fmt_ns(m)),
            };
            let (xr, yr) = chart.plotting_area().get_pixel_range();
            root.draw(&Text::new(note, (xr.start + 6, yr.start + 4), font(11)))
                .map_err(err)?;
        }
        Ok(())
    })
}

/// A fitted model drawn over a memory series: (ms since the measured phase began, MiB).
pub struct FittedCurve {
    /// The run whose series was fitted.
    pub run_id: String,
    /// What was fitted, for the legend: "live heap" or "RSS".
    pub series: &'static str,
    pub points: Vec<(f64, f64)>,
}

/// Resident set and live heap against time, one panel per run (same axes), whatever the
/// runs recorded, with each run's `fits` curve drawn over its data as a thin line.
pub fn memory_over_time(
    path: &Path,
    title: &str,
    palette: &Palette,
    runs: &[&RunFile],
    fits: &[FittedCurve],
) -> Result<()> {
    let runs = sorted_runs(runs);
    let series =
        |r: &RunFile, f: fn(&crate::results::Interval) -> Option<u64>| -> Vec<(f64, f64)> {
            r.intervals
                .iter()
                .filter_map(|i| Some((i.t_end_ns as f64 / 1e6, f(i)? as f64 / 1048576.0)))
                .collect()
        };
    // (RSS, live heap) per run.
    type Lines = (Vec<(f64, f64)>, Vec<(f64, f64)>);
    let lines: Vec<Lines> = runs
        .iter()
        .map(|r| (series(r, |i| i.rss_bytes), series(r, |i| i.heap_live_bytes)))
        .collect();
    let t_max = t_max_ms(&runs);
    let y_max = lines
        .iter()
        .flat_map(|(a, b)| a.iter().chain(b).map(|q| q.1))
        .chain(
            fits.iter()
                .flat_map(|f| f.points.iter().map(|p| p.1))
                .filter(|v| v.is_finite()),
        )
        .fold(0.0, f64::max)
        * 1.1;
    let (unit, x_desc) = time_axis(t_max);
    let cols = run_cols(runs.len());
    write_svg(path, grid_size(runs.len(), cols, 230), |root| {
        let (header, areas) = grid(root, runs.len(), cols);
        let mut key = vec![
            (Swatch::Line(INK, false), "RSS".to_owned()),
            (Swatch::Line(darker(INK), true), "live heap".to_owned()),
        ];
        if !fits.is_empty() {
            key.push((
                Swatch::Line(FIT_INK, false),
                "fitted model, lowest AIC (thin)".to_owned(),
            ));
        }
        draw_header(&header, palette, title, &key)?;
        let label_w = label_width(root, ["live heap".to_owned()])?;
        for ((area, r), (rss, heap)) in areas.iter().zip(&runs).zip(&lines) {
            let c = palette.colour(&run_key(r));
            let mut chart = frame(&run_title(r), 12, label_w).build(
                area,
                0.0..t_max / unit,
                0.0..y_max.max(1.0),
            )?;
            run_mesh(&mut chart, x_desc, "MiB", fmt_num)?;
            let scale = |p: &[(f64, f64)]| -> Vec<(f64, f64)> {
                p.iter().map(|&(t, v)| (t / unit, v)).collect()
            };
            let mut labels = Vec::new();
            if !rss.is_empty() {
                let pts = scale(rss);
                chart
                    .draw_series(LineSeries::new(pts.clone(), c.stroke_width(2)))
                    .map_err(err)?;
                labels.push(EndLabel {
                    text: "RSS".into(),
                    colour: c,
                    at: chart.backend_coord(pts.last().unwrap_or(&(0.0, 0.0))),
                });
            }
            if !heap.is_empty() {
                let pts = scale(heap);
                let d = darker(c);
                chart
                    .draw_series(DashedLineSeries::new(pts.clone(), 6, 4, d.stroke_width(2)))
                    .map_err(err)?;
                labels.push(EndLabel {
                    text: "live heap".into(),
                    colour: d,
                    at: chart.backend_coord(pts.last().unwrap_or(&(0.0, 0.0))),
                });
            }
            for f in fits.iter().filter(|f| f.run_id == r.start.run_id) {
                let pts: Vec<(f64, f64)> = f
                    .points
                    .iter()
                    .filter(|p| p.1.is_finite())
                    .map(|&(t, v)| (t / unit, v))
                    .collect();
                chart
                    .draw_series(LineSeries::new(pts, FIT_INK.stroke_width(1)))
                    .map_err(err)?;
            }
            draw_end_labels(root, chart.plotting_area().get_pixel_range(), labels)?;
        }
        Ok(())
    })
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
    write_svg(path, (WIDTH, height), |root| {
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
            let names: Vec<String> = bars.iter().map(|b| b.key.display()).collect();
            let mut chart = ChartBuilder::on(panel)
                .margin(10)
                .x_label_area_size(44)
                .y_label_area_size(if bytes { 230 } else { 10 })
                // A 0..m range has m + 1 segments.
                .build_cartesian_2d(0.0..x_max, (0..n - 1).into_segmented())
                .map_err(err)?;
            chart::styled(&mut chart.configure_mesh(), chart::STANDARD)
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
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(lang: Lang, map: &str) -> SeriesKey {
        SeriesKey {
            lang,
            map: map.to_owned(),
        }
    }

    /// Every map both runners register today (`rust-runner --list`, `go-runner -list`),
    /// and two names no design knows.
    fn every_map() -> Vec<SeriesKey> {
        let rust = [
            "dashmap-foldhash",
            "dashmap-sip",
            "evmap-refresh-64-sip",
            "evmap-refresh-each-sip",
            "flurry-ahash",
            "gosyncmap-foldhash",
            "mutex-parkinglot-foldhash",
            "mutex-std-foldhash",
            "mutex-std-sip",
            "papaya-blocking-sip",
            "papaya-incremental-sip",
            "rwlock-parkinglot-foldhash",
            "rwlock-std-foldhash",
            "rwlock-std-sip",
            "scc-sip",
            "sharded-rwlock-foldhash",
            "sharded-rwlock-sip",
            "unsync-std-foldhash",
            "some-new-crate",
        ];
        let go = [
            "haxmap",
            "mutex-map",
            "orcaman-concurrent-map",
            "rwmutex-map",
            "sharded-rwmutex-map",
            "sync-map",
            "unsync-map",
            "xsync-map",
            "noop",
        ];
        rust.iter()
            .map(|m| key(Lang::Rust, m))
            .chain(go.iter().map(|m| key(Lang::Go, m)))
            .collect()
    }

    #[test]
    fn every_map_is_in_exactly_one_panel_and_no_panel_is_crowded() {
        let keys = every_map();
        let ps = panels(&keys);
        for k in &keys {
            let n = ps.iter().filter(|p| p.keys.contains(k)).count();
            assert_eq!(n, 1, "{k:?} is in {n} panels");
        }
        let total: usize = ps.iter().map(|p| p.keys.len()).sum();
        assert_eq!(total, keys.len(), "a panel holds a map twice");
        for p in &ps {
            assert!(
                !p.keys.is_empty() && p.keys.len() <= MAX_SERIES_PER_PANEL,
                "{}: {} series",
                p.title,
                p.keys.len()
            );
        }
        let titles: std::collections::BTreeSet<&str> =
            ps.iter().map(|p| p.title.as_str()).collect();
        assert_eq!(titles.len(), ps.len(), "two panels share a title");
    }

    #[test]
    fn a_family_too_large_for_one_panel_is_split_evenly() {
        let keys: Vec<SeriesKey> = (0..19)
            .map(|i| key(Lang::Rust, &format!("mutex-variant-{i:02}")))
            .collect();
        let ps = panels(&keys);
        let sizes: Vec<usize> = ps.iter().map(|p| p.keys.len()).collect();
        assert_eq!(sizes, vec![7, 7, 5]);
        assert!(ps[0].title.ends_with("(1/3)"), "{}", ps[0].title);
    }

    #[test]
    fn go_and_rust_maps_of_one_design_share_a_colour() {
        let keys = every_map();
        let palette = Palette::new(&keys);
        let c = |lang, m: &str| palette.colour(&key(lang, m));
        for (go, rust) in [
            ("mutex-map", "mutex-std-foldhash"),
            ("rwmutex-map", "rwlock-std-foldhash"),
            ("sharded-rwmutex-map", "sharded-rwlock-foldhash"),
            ("orcaman-concurrent-map", "dashmap-foldhash"),
            ("sync-map", "gosyncmap-foldhash"),
            ("unsync-map", "unsync-std-foldhash"),
        ] {
            assert_eq!(c(Lang::Go, go), c(Lang::Rust, rust), "{go} vs {rust}");
        }
        // The other Rust maps of a design: the same hue, another shade.
        assert_ne!(
            c(Lang::Rust, "mutex-std-sip"),
            c(Lang::Rust, "mutex-std-foldhash")
        );
        // Within a panel, no two series look alike.
        for p in panels(&keys) {
            let mut seen = std::collections::BTreeSet::new();
            for k in &p.keys {
                let RGBColor(r, g, b) = palette.colour(k);
                assert!(
                    seen.insert((k.lang, r, g, b)),
                    "{}: {k:?} has the colour and line style of another series",
                    p.title
                );
            }
        }
        // Different designs of one family get different colours.
        assert_ne!(c(Lang::Go, "mutex-map"), c(Lang::Go, "rwmutex-map"));
    }

    #[test]
    fn spread_labels_keeps_the_gap_and_the_order_within_the_room() {
        let ys = [100, 102, 101, 50, 199];
        let out = spread_labels(&ys, 13, 10, 200);
        let mut sorted: Vec<(i32, i32)> = ys.iter().copied().zip(out.iter().copied()).collect();
        sorted.sort();
        for w in sorted.windows(2) {
            assert!(w[1].1 - w[0].1 >= 13, "{sorted:?}");
        }
        assert!(out.iter().all(|&y| (10..=200).contains(&y)), "{out:?}");
        // A label with room keeps its place.
        assert_eq!(out[3], 50);
        // Crowded at the bottom: pushed up, not past the edge.
        let out = spread_labels(&[195, 196, 197], 13, 0, 200);
        assert_eq!(out, vec![174, 187, 200]);
    }

    #[test]
    fn the_throughput_figure_labels_every_map_and_is_byte_identical() {
        let keys = every_map();
        let palette = Palette::new(&keys);
        let series: Vec<(SeriesKey, Vec<Spread>)> = keys
            .iter()
            .enumerate()
            .map(|(i, k)| {
                let m = 1e6 * (1.0 + i as f64);
                let s = |x| Spread {
                    x,
                    median: m * x,
                    min: m * x * 0.9,
                    max: m * x * 1.1,
                };
                (k.clone(), vec![s(1.0), s(2.0)])
            })
            .collect();
        let dir = std::env::temp_dir().join(format!("figures-tvt-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let (a, b) = (dir.join("a.svg"), dir.join("b.svg"));
        throughput_vs_threads(&a, "w", &palette, &series).unwrap();
        throughput_vs_threads(&b, "w", &palette, &series).unwrap();
        let (sa, sb) = (
            std::fs::read_to_string(&a).unwrap(),
            std::fs::read_to_string(&b).unwrap(),
        );
        assert_eq!(sa, sb);
        for k in &keys {
            assert!(
                sa.contains(&format!("\n{}\n", k.display())),
                "no label for {k:?}"
            );
        }
        for p in panels(&keys) {
            assert!(
                sa.contains(&p.title.replace('\'', "&apos;")),
                "no panel {}",
                p.title
            );
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn reclaim_backlog_draws_only_runs_that_count_it() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/results-sample");
        let go = crate::results::read_run(&dir.join("quick-go-mutex-map-read-heavy-t1-r1.jsonl"))
            .unwrap();
        let mut rust = crate::results::read_run(
            &dir.join("quick-rust-dashmap-foldhash-read-heavy-t2-r1.jsonl"),
        )
        .unwrap();
        let keys = [run_key(&go), run_key(&rust)];
        let palette = Palette::new(&keys);
        let out = std::env::temp_dir().join(format!("backlog-{}", std::process::id()));
        std::fs::create_dir_all(&out).unwrap();
        let path = out.join("backlog.svg");
        // Neither run counts its reclamation: nothing is drawn.
        assert_eq!(
            reclaim_backlog(&path, "t", &palette, &[&go, &rust]).unwrap(),
            None
        );
        assert!(!path.exists());
        for (n, i) in rust.intervals.iter_mut().enumerate() {
            i.reclaim = Some(crate::results::IntervalReclaim {
                backlog_values: [3, 40, 7][n % 3],
                ..Default::default()
            });
        }
        let peak = reclaim_backlog(&path, "backlog title", &palette, &[&go, &rust]).unwrap();
        assert_eq!(peak, Some(if rust.intervals.len() > 1 { 40 } else { 3 }));
        let svg = std::fs::read_to_string(&path).unwrap();
        assert!(svg.contains("backlog title") && svg.contains("reclamation backlog (values)"));
        assert!(
            svg.contains("retired, not yet freed") && svg.contains("dashmap"),
            "the Rust run is in the legend"
        );
        assert!(
            !svg.contains("mutex-map"),
            "the Go run has no backlog series"
        );
        assert!(svg.contains("#868686"), "axes in the shared theme's ink");
        std::fs::remove_dir_all(&out).unwrap();
    }
}
