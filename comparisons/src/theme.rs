//! The one look every figure of the crate shares: ink, grid, text sizes and the mesh
//! (axes, labels, grid lines), so the report's figures and the chapters' figures
//! (`figures`, `chapter_figures`, `cachesim`, `httpknee`, `tails`) style their axes in
//! one place.
//!
//! [`write_page`] writes a chapter's page and its figure, each atomically.
//!
//! Readable on the site's light and dark themes: no background fill (transparent), text
//! and axes in a mid grey, grid lines the same grey, faint.

use anyhow::anyhow;
use plotters::coord::ranged1d::Ranged;
use plotters::prelude::*;

use crate::figures::FAMILY;

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

/// Writes `out_dir/STEM.md` and `out_dir/figures/STEM.svg` (creating the directories),
/// each atomically and the figure first, so a failure leaves the old page whole; returns
/// their paths.
pub fn write_page(
    out_dir: &std::path::Path,
    stem: &str,
    md: &str,
    svg: &str,
) -> anyhow::Result<(std::path::PathBuf, std::path::PathBuf)> {
    use anyhow::Context as _;
    let figures = out_dir.join("figures");
    std::fs::create_dir_all(&figures)
        .with_context(|| format!("{}: cannot create", figures.display()))?;
    let md_path = out_dir.join(format!("{stem}.md"));
    let svg_path = figures.join(format!("{stem}.svg"));
    for (path, text) in [(&svg_path, svg), (&md_path, md)] {
        cmap_formats::files::write_atomic(path, text)
            .with_context(|| format!("{}: cannot write", path.display()))?;
    }
    Ok((md_path, svg_path))
}
