//! Chapter 4.4's figure: simulated cache misses per get, drawn from the CSV that
//! `rust-impl/chapters/examples/ch4_cachesim.rs` writes (`mapbench cachesim-figure`).
//!
//! Two panels of horizontal bars, D1 and LL misses per get, one group of bars per map
//! (Go blues, Rust oranges), one bar per key-space size (darker = larger). Byte-identical
//! for the same CSV: the bundled DejaVu Sans measures the text (as in [`crate::figures`]),
//! bars follow the CSV's order, and every number goes through [`fmt_num`].

use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result, anyhow, bail};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::chart::{self, Area, Frame, err, fmt_num, fmt_thousands, font};

const WIDTH: u32 = 900;
/// Pixels per bar, and the left strip that holds the map names.
const BAR_PX: u32 = 13;
const NAMES_PX: u32 = 175;
const LEGEND_PX: u32 = 56;

/// The CSV's columns, in order.
pub const CSV_HEADER: [&str; 9] = [
    "lang",
    "map",
    "keys",
    "gets",
    "instructions_per_get",
    "d1_misses_per_get",
    "ll_misses_per_get",
    "d1_miss_rate",
    "ll_miss_rate",
];

/// One configuration of the experiment: a map on one side at one key-space size.
#[derive(Debug, Clone, PartialEq)]
pub struct CacheRow {
    /// `go` or `rust`.
    pub lang: String,
    pub map: String,
    pub keys: u64,
    pub gets: u64,
    pub instructions_per_get: f64,
    pub d1_misses_per_get: f64,
    pub ll_misses_per_get: f64,
    /// Empty in the CSV (`None`) when undefined: no LL references when the loop makes
    /// no D1 misses.
    pub d1_miss_rate: Option<f64>,
    pub ll_miss_rate: Option<f64>,
}

/// A map's name in the figure: `Go sync.Map`, `Rust DashMap`.
fn group_label(lang: &str, map: &str) -> String {
    let lang = if lang == "go" { "Go" } else { "Rust" };
    format!("{lang} {map}")
}

/// Reads the CSV at `path`. Lines starting with `#` are comments (the generated-file
/// header). Every error names the file, the line and the field.
pub fn read_csv(path: &Path) -> Result<Vec<CacheRow>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("{}: cannot read", path.display()))?;
    parse_csv(&text, path)
}

/// Parses the CSV's text; `path` is only for the error messages.
pub fn parse_csv(text: &str, path: &Path) -> Result<Vec<CacheRow>> {
    let file = path.display();
    let mut lines = text
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l))
        .filter(|(_, l)| !l.starts_with('#') && !l.trim().is_empty());
    let (n, header) = lines
        .next()
        .ok_or_else(|| anyhow!("{file}: no header line (want {})", CSV_HEADER.join(",")))?;
    if header.split(',').ne(CSV_HEADER) {
        bail!(
            "{file}:{n}: header: want `{}`, got `{header}`",
            CSV_HEADER.join(",")
        );
    }
    let mut rows = Vec::new();
    for (n, line) in lines {
        let f: Vec<&str> = line.split(',').collect();
        if f.len() != CSV_HEADER.len() {
            bail!(
                "{file}:{n}: want {} fields ({}), got {}",
                CSV_HEADER.len(),
                CSV_HEADER.join(","),
                f.len()
            );
        }
        let int = |i: usize| -> Result<u64> {
            f[i].parse().map_err(|_| {
                anyhow!(
                    "{file}:{n}: field `{}`: want a non-negative integer, got {:?}",
                    CSV_HEADER[i],
                    f[i]
                )
            })
        };
        let num = |i: usize| -> Result<f64> {
            match f[i].parse::<f64>() {
                Ok(v) if v.is_finite() => Ok(v),
                _ => Err(anyhow!(
                    "{file}:{n}: field `{}`: want a finite number, got {:?}",
                    CSV_HEADER[i],
                    f[i]
                )),
            }
        };
        let rate = |i: usize| -> Result<Option<f64>> {
            if f[i].is_empty() {
                Ok(None)
            } else {
                num(i).map(Some)
            }
        };
        if f[0] != "go" && f[0] != "rust" {
            bail!("{file}:{n}: field `lang`: want go or rust, got {:?}", f[0]);
        }
        if f[1].is_empty() {
            bail!("{file}:{n}: field `map`: empty");
        }
        rows.push(CacheRow {
            lang: f[0].to_owned(),
            map: f[1].to_owned(),
            keys: int(2)?,
            gets: int(3)?,
            instructions_per_get: num(4)?,
            d1_misses_per_get: num(5)?,
            ll_misses_per_get: num(6)?,
            d1_miss_rate: rate(7)?,
            ll_miss_rate: rate(8)?,
        });
    }
    if rows.is_empty() {
        bail!("{file}: no data rows after the header");
    }
    Ok(rows)
}

/// The bar colour: Go blues, Rust oranges, from light (smallest key space) to dark.
fn colour(lang: &str, size_index: usize, sizes: usize) -> RGBColor {
    let (light, dark) = if lang == "go" {
        ((0x9c, 0xc3, 0xe6), (0x1f, 0x4e, 0x8c))
    } else {
        ((0xf6, 0xb7, 0x84), (0xa3, 0x3d, 0x0b))
    };
    let t = if sizes > 1 {
        size_index as f64 / (sizes - 1) as f64
    } else {
        0.5
    };
    let mix = |a: u8, b: u8| (a as f64 + (b as f64 - a as f64) * t).round() as u8;
    RGBColor(
        mix(light.0, dark.0),
        mix(light.1, dark.1),
        mix(light.2, dark.2),
    )
}

/// Where each bar goes: groups (one per map) in the CSV's order, key-space sizes
/// ascending, and one slot per bar counted from the top (a group's bars, then one
/// empty slot).
struct Layout {
    groups: Vec<(String, String)>,
    sizes: Vec<u64>,
    slots: usize,
}

impl Layout {
    fn of(rows: &[CacheRow]) -> Layout {
        let mut groups: Vec<(String, String)> = Vec::new();
        for r in rows {
            let g = (r.lang.clone(), r.map.clone());
            if !groups.contains(&g) {
                groups.push(g);
            }
        }
        let mut sizes: Vec<u64> = rows.iter().map(|r| r.keys).collect();
        sizes.sort_unstable();
        sizes.dedup();
        let slots = groups.len() * (sizes.len() + 1) - 1;
        Layout {
            groups,
            sizes,
            slots,
        }
    }

    fn size_index(&self, r: &CacheRow) -> usize {
        self.sizes.binary_search(&r.keys).unwrap_or(0)
    }

    fn slot_of(&self, r: &CacheRow) -> usize {
        let g = self
            .groups
            .iter()
            .position(|g| g.0 == r.lang && g.1 == r.map)
            .unwrap_or(0);
        g * (self.sizes.len() + 1) + self.size_index(r)
    }

    /// y grows upwards: slot k from the top spans [slots - k - 1, slots - k].
    fn top(&self, slot: usize) -> f64 {
        (self.slots - slot) as f64
    }
}

/// Draws the figure as an SVG document.
pub fn render_svg(rows: &[CacheRow]) -> Result<String> {
    let layout = Layout::of(rows);
    let height = 120 + LEGEND_PX + BAR_PX * layout.slots as u32;
    chart::render_svg((WIDTH, height), |full| {
        let root = full
            .titled(
                "Simulated cache misses per get (cachegrind, one thread)",
                font(18),
            )
            .map_err(err)?;
        let (charts, legend) = root.split_vertically(root.dim_in_pixel().1 - LEGEND_PX);
        let (left, right) = charts.split_horizontally(NAMES_PX + (WIDTH - NAMES_PX) / 2);
        draw_panel(full, &left, rows, &layout, true)?;
        draw_panel(full, &right, rows, &layout, false)?;
        draw_legend(&legend, &layout)
    })
}

/// One panel of bars: D1 misses per get (with the map names left of it) or LL misses.
fn draw_panel(
    full: &Area<'_>,
    panel: &Area<'_>,
    rows: &[CacheRow],
    layout: &Layout,
    is_d1: bool,
) -> Result<()> {
    let value = |r: &CacheRow| {
        if is_d1 {
            r.d1_misses_per_get
        } else {
            r.ll_misses_per_get
        }
    };
    let lo = rows.iter().map(value).fold(0.0, f64::min);
    let hi = rows.iter().map(value).fold(0.0, f64::max);
    let hi = if hi > 0.0 { hi * 1.18 } else { 1.0 };
    let frame = Frame::new(8, 40, if is_d1 { NAMES_PX } else { 4 }).right(24);
    let mut chart = frame.build(panel, lo..hi, 0.0..layout.slots as f64)?;
    chart::styled(&mut chart.configure_mesh(), chart::STANDARD)
        .x_desc(if is_d1 {
            "D1 data misses per get"
        } else {
            "LL data misses per get"
        })
        .x_labels(6)
        .x_label_formatter(&|v| fmt_num(*v))
        .y_labels(0)
        .disable_y_mesh()
        .draw()
        .map_err(err)?;
    let sizes = layout.sizes.len();
    chart
        .draw_series(rows.iter().map(|r| {
            let top = layout.top(layout.slot_of(r));
            let mut bar = Rectangle::new(
                [(0.0, top), (value(r), top - 1.0)],
                colour(&r.lang, layout.size_index(r), sizes).filled(),
            );
            bar.set_margin(1, 1, 0, 0);
            bar
        }))
        .map_err(err)?;
    chart
        .draw_series(rows.iter().map(|r| {
            Text::new(
                format!(" {}", bar_label(value(r))),
                (value(r).max(0.0), layout.top(layout.slot_of(r)) - 0.5),
                font(10).pos(Pos::new(HPos::Left, VPos::Center)),
            )
        }))
        .map_err(err)?;
    if is_d1 {
        // The map names, centred on their group, in the strip left of the axis.
        for (g, (lang, map)) in layout.groups.iter().enumerate() {
            let first = g * (sizes + 1);
            let mid = layout.top(first) - sizes as f64 / 2.0;
            let (_, y) = chart.backend_coord(&(lo, mid));
            full.draw(&Text::new(group_label(lang, map), (12, y - 7), font(13)))
                .map_err(err)?;
        }
    }
    Ok(())
}

/// The legend: one swatch per language and size, and what was simulated.
fn draw_legend(legend: &Area<'_>, layout: &Layout) -> Result<()> {
    let mut x = 12;
    for lang in ["go", "rust"] {
        if !layout.groups.iter().any(|g| g.0 == lang) {
            continue;
        }
        let name = if lang == "go" { "Go" } else { "Rust" };
        legend
            .draw(&Text::new(name.to_owned(), (x, 8), font(13)))
            .map_err(err)?;
        x += 44;
        for (i, k) in layout.sizes.iter().enumerate() {
            legend
                .draw(&Rectangle::new(
                    [(x, 8), (x + 14, 22)],
                    colour(lang, i, layout.sizes.len()).filled(),
                ))
                .map_err(err)?;
            let text = format!("{} keys", fmt_thousands(*k));
            legend
                .draw(&Text::new(text.clone(), (x + 19, 8), font(12)))
                .map_err(err)?;
            x += 19 + 8 * text.len() as i32 + 10;
        }
        x += 16;
    }
    legend
        .draw(&Text::new(
            "simulated I1/D1 + LL caches; misses per get of the measured loop only".to_owned(),
            (12, 32),
            font(11),
        ))
        .map_err(err)?;
    Ok(())
}

/// A bar's value: [`fmt_num`], with no "-0" for the few misses below zero that the
/// subtraction of two runs can leave.
fn bar_label(v: f64) -> String {
    if v.abs() < 0.0005 {
        "0".to_owned()
    } else {
        fmt_num(v)
    }
}

/// Draws `rows` into `out_dir/cachesim.svg` (atomically: a temporary file, then a
/// rename) and returns its path.
pub fn write_figure(rows: &[CacheRow], out_dir: &Path) -> Result<PathBuf> {
    chart::write_figure(out_dir, "cachesim", &render_svg(rows)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    const CSV: &str = "# Generated by a test\n\
lang,map,keys,gets,instructions_per_get,d1_misses_per_get,ll_misses_per_get,d1_miss_rate,ll_miss_rate\n\
go,map,256,1000,120.5,0.0100,0.0010,0.00020,0.10000\n\
go,map,524288,1000,150.0,3.2000,2.1000,0.05000,0.65000\n\
rust,RwLock<HashMap>,256,1000,60.0,0.0000,0.0000,0.00000,\n\
rust,RwLock<HashMap>,524288,1000,80.0,2.9000,1.9000,0.06000,0.66000\n";

    #[test]
    fn cachesim_reads_the_generated_csv() {
        let rows = parse_csv(CSV, Path::new("c.csv")).unwrap();
        assert_eq!(rows.len(), 4);
        assert_eq!(rows[2].map, "RwLock<HashMap>");
        assert_eq!(rows[3].keys, 524_288);
        assert_eq!(rows[1].ll_misses_per_get, 2.1);
        assert_eq!(rows[1].ll_miss_rate, Some(0.65));
        assert_eq!(rows[2].ll_miss_rate, None, "an empty rate is undefined");
    }

    #[test]
    fn cachesim_malformed_csv_names_file_line_and_field() {
        let cases = [
            (
                CSV.replace("go,map,256,1000,120.5", "go,map,256,1000,lots"),
                "c.csv:3",
                "instructions_per_get",
            ),
            (
                CSV.replace("rust,RwLock<HashMap>,256", "rust,RwLock<HashMap>,-256"),
                "c.csv:5",
                "`keys`",
            ),
            (
                CSV.replace("go,map,524288", "java,map,524288"),
                "c.csv:4",
                "`lang`",
            ),
            (CSV.replace(",0.65000\n", "\n"), "c.csv:4", "want 9 fields"),
            (CSV.replace("ll_miss_rate", "ll_rate"), "c.csv:2", "header"),
            (
                CSV.replace(",2.1000,", ",NaN,"),
                "c.csv:4",
                "ll_misses_per_get",
            ),
            ("# only a comment\n".to_owned(), "c.csv", "no header"),
        ];
        crate::chapters::assert_each_error_names(&cases, |text| {
            parse_csv(text, Path::new("c.csv"))
        });
    }

    #[test]
    fn cachesim_figure_is_byte_identical_across_renders() {
        let rows = parse_csv(CSV, Path::new("c.csv")).unwrap();
        let a = render_svg(&rows).unwrap();
        let b = render_svg(&rows).unwrap();
        assert_eq!(a, b);
        assert!(a.starts_with("<svg"), "{}", &a[..a.len().min(80)]);
        for text in [
            "Go map",
            "Rust RwLock&lt;HashMap&gt;",
            "524,288 keys",
            "LL data misses per get",
        ] {
            assert!(a.contains(text), "the SVG lacks {text:?}");
        }
        let dir = std::env::temp_dir().join(format!("cachesim-figure-{}", std::process::id()));
        let path = write_figure(&rows, &dir).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), a);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
