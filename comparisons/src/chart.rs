//! The one chart-building module every figure of the crate draws with: the bundled
//! font, the ink and grid, text sizes, the mesh (axes, labels, grid lines), the frame a
//! chart sits in (caption, margins, label strips), the fixed number formats of the axes,
//! and writing the SVG. The report's figures ([`crate::figures`]), the Results pages'
//! ([`crate::matrix`], [`crate::which_map`]) and the chapters' ([`crate::chapters`])
//! style their axes here, in one place.
//!
//! Byte-identical output on every machine: text is measured with `ab_glyph` from the
//! bundled DejaVu Sans (`comparisons/assets/`, registered as `FAMILY`, no fontconfig),
//! and every number on an axis goes through [`fmt_num`] or [`fmt_ns`]. The SVG names
//! `sans-serif` as its font, so a browser may render the glyphs with its own sans; only
//! the layout comes from DejaVu.
//!
//! Readable on the site's light and dark themes: no background fill (transparent), text
//! and axes in a mid grey, grid lines the same grey, faint.
//!
//! `render_svg` draws a figure into a string; `write_svg` and [`write_page`] write
//! figures and a chapter's page, each atomically.

use std::path::{Path, PathBuf};
use std::sync::Once;

use anyhow::{Context as _, Result, anyhow};
use plotters::coord::Shift;
use plotters::coord::cartesian::Cartesian2d;
use plotters::coord::ranged1d::{AsRangedCoord, Ranged};
use plotters::prelude::*;
use plotters::style::{FontStyle, register_font};

/// DejaVu Sans 2.37 (Bitstream Vera licence, `assets/DejaVuSans.LICENSE.txt`).
static FONT: &[u8] = include_bytes!("../assets/DejaVuSans.ttf");
/// The family every figure of the crate draws its text in (the bundled font).
pub(crate) const FAMILY: &str = "sans-serif";

/// Registers the bundled font as [`FAMILY`]; [`render_svg`] calls it, and so must any
/// code that measures text before drawing.
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

/// The drawing area of an SVG figure.
pub(crate) type Area<'a> = DrawingArea<SVGBackend<'a>, Shift>;

/// A chart on an SVG area with the coordinates `X` and `Y` (e.g. `RangedCoordf64`, or
/// `LogCoord<f64>` for a log axis); code that draws into charts of either kind is
/// generic over `X: Ranged<ValueType = f64>`.
pub(crate) type Chart<'a, 'b, X, Y> = ChartContext<'a, SVGBackend<'b>, Cartesian2d<X, Y>>;

/// Draws `draw` on a `(width, height)` figure with the bundled font and returns the SVG.
pub(crate) fn render_svg(
    (width, height): (u32, u32),
    draw: impl FnOnce(&Area<'_>) -> Result<()>,
) -> Result<String> {
    register_bundled_font();
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (width, height)).into_drawing_area();
        draw(&root)?;
        root.present().map_err(err)?;
    }
    Ok(svg)
}

/// A page-like figure: `title` across the top, a grid of `rows` × `cols` panels below
/// it, and a legend strip of `legend_px` at the bottom. Returns the panels, row by row,
/// and the legend strip.
pub(crate) fn titled_grid<'a>(
    full: &Area<'a>,
    title: &str,
    (rows, cols): (usize, usize),
    legend_px: u32,
) -> Result<(Vec<Area<'a>>, Area<'a>)> {
    let root = full.titled(title, font(18)).map_err(err)?;
    let (grid, legend) = root.split_vertically(root.dim_in_pixel().1 - legend_px);
    Ok((grid.split_evenly((rows, cols)), legend))
}

/// One entry of a legend strip's first row: `swatch` drawn from `x` (22 px wide, on
/// the row's middle at y = 12), then `label`. Returns where the next entry starts,
/// `gap` px after the label (its width estimated at 8 px a byte).
pub(crate) fn key_entry(
    legend: &Area<'_>,
    x: i32,
    label: &str,
    gap: i32,
    swatch: impl FnOnce(i32) -> Result<()>,
) -> Result<i32> {
    swatch(x)?;
    legend
        .draw(&Text::new(label.to_owned(), (x + 28, 4), font(12)))
        .map_err(err)?;
    Ok(x + 28 + 8 * label.len() as i32 + gap)
}

/// Writes a figure to `path` atomically (a temporary file, then a rename).
pub(crate) fn write_svg(path: &Path, svg: &str) -> Result<()> {
    cmap_formats::files::write_atomic(path, svg)
        .with_context(|| format!("{}: cannot write", path.display()))
}

/// Where a chart sits in its area: an optional caption (text, px), the margins and the
/// sizes of the strips that hold the x and y tick labels. Every figure builds its
/// charts through [`Frame::build`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct Frame<'c> {
    pub caption: Option<(&'c str, u32)>,
    pub top: u32,
    pub bottom: u32,
    pub left: u32,
    pub right: u32,
    pub x_labels_px: u32,
    pub y_labels_px: u32,
}

impl<'c> Frame<'c> {
    /// No caption, `margin` on every side, label strips of `x_labels_px` (below the
    /// chart) and `y_labels_px` (left of it).
    pub(crate) const fn new(margin: u32, x_labels_px: u32, y_labels_px: u32) -> Self {
        Frame {
            caption: None,
            top: margin,
            bottom: margin,
            left: margin,
            right: margin,
            x_labels_px,
            y_labels_px,
        }
    }

    /// The same frame with a caption of `px` pixels above the chart.
    pub(crate) const fn caption(self, text: &'c str, px: u32) -> Self {
        Frame {
            caption: Some((text, px)),
            ..self
        }
    }

    /// The same frame with another right margin (room for labels at the lines' ends).
    pub(crate) const fn right(self, px: u32) -> Self {
        Frame { right: px, ..self }
    }

    /// The same frame with another left margin (room for bar labels left of the axis).
    pub(crate) const fn left(self, px: u32) -> Self {
        Frame { left: px, ..self }
    }

    /// The chart on `area` with the axes `x` and `y`.
    pub(crate) fn build<'a, 'b, X: AsRangedCoord, Y: AsRangedCoord>(
        &self,
        area: &'a Area<'b>,
        x: X,
        y: Y,
    ) -> Result<Chart<'a, 'b, X::CoordDescType, Y::CoordDescType>> {
        let mut builder = ChartBuilder::on(area);
        if let Some((text, px)) = self.caption {
            builder.caption(text, font(px));
        }
        builder
            .margin_top(self.top)
            .margin_bottom(self.bottom)
            .margin_left(self.left)
            .margin_right(self.right)
            .x_label_area_size(self.x_labels_px)
            .y_label_area_size(self.y_labels_px)
            .build_cartesian_2d(x, y)
            .map_err(err)
    }
}

/// Mid grey: about 3.5:1 against white and 5:1 against mdBook's dark themes.
pub(crate) const INK: RGBColor = RGBColor(0x86, 0x86, 0x86);
/// Fitted models: a mid grey-blue that stands out from the series on both themes.
pub(crate) const FIT_INK: RGBColor = RGBColor(0x4a, 0x6f, 0xa5);

/// Text in the bundled font, in [`INK`].
pub(crate) fn font(size: u32) -> TextStyle<'static> {
    (FAMILY, size).into_font().color(&INK)
}

/// A plotters error as an `anyhow` one.
pub(crate) fn err<E: std::fmt::Debug>(e: E) -> anyhow::Error {
    anyhow!("drawing: {e:?}")
}

/// The sizes of a mesh: tick labels, axis descriptions, and the grid's strength.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Mesh {
    pub label_px: u32,
    pub desc_px: u32,
    /// Opacity of the major and minor grid lines.
    pub bold: f64,
    pub light: f64,
}

/// The report's figures and the 4.x chapter figures: 12 px labels, 13 px descriptions.
pub(crate) const STANDARD: Mesh = Mesh {
    label_px: 12,
    desc_px: 13,
    bold: 0.25,
    light: 0.08,
};
/// Dense panels (the HTTP knee): one pixel smaller.
pub(crate) const SMALL: Mesh = Mesh {
    label_px: 11,
    desc_px: 12,
    ..STANDARD
};
/// Chapters 2 and 3's figures: small text, a slightly stronger grid.
pub(crate) const CHAPTER: Mesh = Mesh {
    label_px: 11,
    desc_px: 12,
    bold: 0.3,
    light: 0.15,
};

/// Applies the theme to a mesh being configured: call it on `chart.configure_mesh()`,
/// add the figure's own axis descriptions and formatters, then `.draw()`.
pub(crate) fn styled<'m, 'a, 'b, X, Y, DB>(
    mesh: &'m mut plotters::chart::MeshStyle<'a, 'b, X, Y, DB>,
    m: Mesh,
) -> &'m mut plotters::chart::MeshStyle<'a, 'b, X, Y, DB>
where
    X: Ranged,
    Y: Ranged,
    DB: DrawingBackend,
{
    mesh.label_style(font(m.label_px))
        .axis_desc_style(font(m.desc_px))
        .axis_style(INK)
        .bold_line_style(INK.mix(m.bold))
        .light_line_style(INK.mix(m.light))
}

/// Writes `svg` to `out_dir/STEM.svg` atomically (creating the directory) and returns
/// its path.
pub(crate) fn write_figure(out_dir: &Path, stem: &str, svg: &str) -> Result<PathBuf> {
    std::fs::create_dir_all(out_dir)
        .with_context(|| format!("{}: cannot create", out_dir.display()))?;
    let path = out_dir.join(format!("{stem}.svg"));
    write_svg(&path, svg)?;
    Ok(path)
}

/// Writes `out_dir/STEM.md` and `out_dir/figures/STEM.svg` (creating the directories),
/// each atomically and the figure first, so a failure leaves the old page whole; returns
/// their paths.
pub fn write_page(out_dir: &Path, stem: &str, md: &str, svg: &str) -> Result<(PathBuf, PathBuf)> {
    let svg_path = write_figure(&out_dir.join("figures"), stem, svg)?;
    let md_path = out_dir.join(format!("{stem}.md"));
    cmap_formats::files::write_atomic(&md_path, md)
        .with_context(|| format!("{}: cannot write", md_path.display()))?;
    Ok((md_path, svg_path))
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

/// Bytes as B, KiB or MiB with [`fmt_num`]'s digits.
pub fn fmt_bytes(v: f64) -> String {
    let a = v.abs();
    if a >= 1024.0 * 1024.0 {
        format!("{} MiB", fmt_num(v / (1024.0 * 1024.0)))
    } else if a >= 1024.0 {
        format!("{} KiB", fmt_num(v / 1024.0))
    } else {
        format!("{} B", fmt_num(v))
    }
}

/// A count with commas between groups of three digits: `1,521,955`.
pub fn fmt_thousands(n: u64) -> String {
    group_digits(&n.to_string())
}

/// A string of decimal digits with commas between groups of three: `12345` → `12,345`.
pub(crate) fn group_digits(digits: &str) -> String {
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_frame_sets_every_margin_and_its_overrides_only_theirs() {
        let f = Frame::new(8, 38, 58).right(18).left(3).caption("c", 14);
        assert_eq!(
            (
                f.top,
                f.bottom,
                f.left,
                f.right,
                f.x_labels_px,
                f.y_labels_px
            ),
            (8, 8, 3, 18, 38, 58)
        );
        assert_eq!(f.caption, Some(("c", 14)));
    }

    #[test]
    fn render_svg_draws_text_in_the_bundled_family_and_write_page_writes_both_files() {
        let svg = render_svg((200, 100), |root| {
            let mut chart =
                Frame::new(5, 20, 30)
                    .caption("a caption", 12)
                    .build(root, 0.0..1.0, 0.0..1.0)?;
            styled(&mut chart.configure_mesh(), STANDARD)
                .draw()
                .map_err(err)
        })
        .unwrap();
        assert!(
            svg.starts_with("<svg") && svg.contains("a caption"),
            "{svg}"
        );
        assert!(svg.contains(FAMILY) && svg.contains("#868686"), "{svg}");
        let dir = std::env::temp_dir().join(format!("chart-page-{}", std::process::id()));
        let (md, fig) = write_page(&dir, "p", "# page\n", &svg).unwrap();
        assert_eq!(fig, dir.join("figures/p.svg"));
        assert_eq!(std::fs::read_to_string(&fig).unwrap(), svg);
        assert_eq!(std::fs::read_to_string(&md).unwrap(), "# page\n");
        // A directory where the figure should go: an error naming the path.
        std::fs::remove_file(&fig).unwrap();
        std::fs::create_dir(&fig).unwrap();
        let e = format!(
            "{:#}",
            write_figure(&dir.join("figures"), "p", &svg).unwrap_err()
        );
        assert!(e.contains("p.svg"), "{e}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
