//! Chapter 4.1's latency against offered load (`mapbench http-open`): the open-loop
//! sweep of `go-reference/cmd/ch4-load -rates`, whose latencies count from each
//! request's intended start (queueing included), beside the closed-loop sweep of the
//! same servers on the same CPUs, whose latencies are service times.
//!
//! The inputs are what `scripts/ch4_http_open.sh` writes: the open-loop CSV (one row per
//! step, each naming the step's `.hlog`), the `.hlog` files (tag `lat`: from the intended
//! start; tag `service`: from the actual send), and the closed-loop CSV
//! ([`crate::chapters::httpknee`]'s format), whose knee sets the offered rates
//! ([`offered_rates`]). Percentiles are read from the merged histograms of a step's
//! repeats, never as medians of percentiles. Output is byte-identical for the same
//! inputs.

use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result, bail};
use hdrhistogram::Histogram;
use plotters::coord::ranged1d::Ranged;
use plotters::prelude::*;

use crate::chapters::httpknee::{self, Series, Sweep, dist_name, lang_name};
use crate::chart::{self, Area, Chart, Frame, INK, err, fmt_num, font};
use crate::report::Knee;
use crate::results;

/// The open-loop CSV's columns, in order (`openCSVHeader` in `go-reference/cmd/ch4-load`).
pub const OPEN_HEADER: [&str; 20] = [
    "lang",
    "map",
    "distribution",
    "offered_rps",
    "conns",
    "repeat",
    "requests",
    "errors",
    "misses",
    "unsent",
    "seconds",
    "achieved_rps",
    "p50_us",
    "p90_us",
    "p99_us",
    "p999_us",
    "max_us",
    "service_p50_us",
    "service_p99_us",
    "hlog",
];

/// What to rerun to regenerate the inputs, the table and the figure.
pub const REGENERATE: &str = "scripts/ch4_http_open.sh";

/// One open-loop step as the CSV has it (the percentiles are re-read from its `.hlog`).
#[derive(Debug, Clone, PartialEq)]
pub struct OpenRow {
    pub lang: String,
    pub map: String,
    pub distribution: String,
    pub offered_rps: f64,
    pub conns: u32,
    pub repeat: u32,
    pub requests: u64,
    pub errors: u64,
    /// Requests scheduled inside the window that could not be sent before the drain
    /// limit (recorded at the latency they had reached).
    pub unsent: u64,
    pub seconds: f64,
    pub achieved_rps: f64,
    /// The step's `.hlog`, relative to the hlog directory.
    pub hlog: String,
}

/// An open-loop CSV: its rows and its `#` comment lines (without the `#`).
#[derive(Debug, Clone, PartialEq)]
pub struct OpenSweep {
    pub rows: Vec<OpenRow>,
    pub comments: Vec<String>,
}

/// Parses the open-loop CSV; errors name the file, the line and the field.
pub fn parse_open_csv(text: &str, path: &Path) -> Result<OpenSweep> {
    let (records, comments) = httpknee::records(text, path, &OPEN_HEADER)?;
    let mut rows = Vec::new();
    for r in &records {
        r.lang(0)?;
        let offered_rps = r.num(3)?;
        if offered_rps <= 0.0 {
            return Err(r.bad(3, "a rate > 0"));
        }
        let seconds = r.num(10)?;
        if seconds <= 0.0 {
            return Err(r.bad(10, "a duration > 0"));
        }
        let hlog = r.f[19];
        if hlog.is_empty() || hlog.contains('/') || !hlog.ends_with(".hlog") {
            return Err(r.bad(19, "the step's .hlog file name (ch4-load -hlog-dir)"));
        }
        rows.push(OpenRow {
            lang: r.f[0].to_owned(),
            map: r.f[1].to_owned(),
            distribution: r.f[2].to_owned(),
            offered_rps,
            conns: r.positive(4)?,
            repeat: r.positive(5)?,
            requests: r.int(6)?,
            errors: r.int(7)?,
            unsent: r.int(9)?,
            seconds,
            achieved_rps: r.num(11)?,
            hlog: hlog.to_owned(),
        });
    }
    Ok(OpenSweep { rows, comments })
}

/// Reads one step's `.hlog` ([`results::read_hlog`]): its `lat` and `service`
/// histograms (nanoseconds).
pub fn read_step_hlog(path: &Path) -> Result<(Histogram<u64>, Histogram<u64>)> {
    let hlog = results::read_hlog(path, false)?;
    let tagged = |tag: &str| {
        hlog.intervals
            .iter()
            .find(|i| i.tag.as_deref() == Some(tag))
            .map(|i| i.histogram.clone())
    };
    match (tagged("lat"), tagged("service")) {
        (Some(l), Some(s)) => Ok((l, s)),
        _ => bail!(
            "{}: want two histograms tagged `lat` and `service` (ch4-load -hlog-dir)",
            path.display()
        ),
    }
}

/// The closed-loop throughput the offered rates are fractions of: the median
/// throughput at the knee, or the sweep's highest median when it has no knee.
pub fn knee_rps(s: &Series) -> f64 {
    let peak = s.steps.iter().map(|st| st.rps_median).fold(0.0, f64::max);
    match s.knee {
        Knee::At { load, .. } => s
            .steps
            .iter()
            .find(|st| (f64::from(st.conns) - load).abs() < 1e-9)
            .map_or(peak, |st| st.rps_median),
        _ => peak,
    }
}

/// The offered rates for one server and distribution: `fractions` of its closed-loop
/// [`knee_rps`], rounded to whole requests per second. Errors name the field.
pub fn offered_rates(
    closed: &Sweep,
    lang: &str,
    map: &str,
    distribution: &str,
    fractions: &[f64],
) -> Result<Vec<f64>> {
    if fractions.is_empty() {
        bail!("--fractions: want at least one fraction of the knee");
    }
    if let Some(f) = fractions
        .iter()
        .find(|f| !(f.is_finite() && **f > 0.0 && **f <= 10.0))
    {
        bail!("--fractions: want fractions of the knee in (0, 10], got {f}");
    }
    let series = httpknee::summarise(&closed.rows);
    let Some(s) = series
        .iter()
        .find(|s| s.lang == lang && s.map == map && s.distribution == distribution)
    else {
        let have: Vec<String> = series
            .iter()
            .map(|s| format!("{}:{} {}", s.lang, s.map, s.distribution))
            .collect();
        bail!(
            "--lang/--map/--distribution: no closed-loop sweep for {lang}:{map} {distribution} (the CSV has: {})",
            have.join(", ")
        );
    };
    let knee = knee_rps(s);
    Ok(fractions
        .iter()
        .map(|f| (f * knee).round().max(1.0))
        .collect())
}

/// One offered rate of one curve, over its repeats (histograms merged).
#[derive(Debug, Clone, PartialEq)]
pub struct Point {
    pub offered_rps: f64,
    pub achieved_rps: f64,
    pub repeats: usize,
    pub requests: u64,
    pub unsent: u64,
    pub errors: u64,
    pub p50_us: f64,
    pub p99_us: f64,
    pub p999_us: f64,
    pub service_p50_us: f64,
    pub service_p99_us: f64,
}

/// One server under one key distribution: its knee and its open-loop points.
#[derive(Debug, Clone, PartialEq)]
pub struct Curve {
    pub lang: String,
    pub map: String,
    pub distribution: String,
    /// The closed-loop [`knee_rps`] (0 when the closed-loop CSV lacks this sweep).
    pub knee_rps: f64,
    /// Ascending offered rates.
    pub points: Vec<Point>,
}

fn us(h: &Histogram<u64>, q: f64) -> f64 {
    h.value_at_quantile(q) as f64 / 1e3
}

/// Groups the open-loop rows into curves (in the CSV's order), merging each rate's
/// repeats' histograms read from `hlog_dir`.
pub fn curves(open: &OpenSweep, hlog_dir: &Path, closed: &Sweep) -> Result<Vec<Curve>> {
    let closed_series = httpknee::summarise(&closed.rows);
    let mut keys: Vec<(&str, &str, &str)> = Vec::new();
    for r in &open.rows {
        let k = (r.lang.as_str(), r.map.as_str(), r.distribution.as_str());
        if !keys.contains(&k) {
            keys.push(k);
        }
    }
    let mut out = Vec::new();
    for (lang, map, dist) in keys {
        let mine: Vec<&OpenRow> = open
            .rows
            .iter()
            .filter(|r| r.lang == lang && r.map == map && r.distribution == dist)
            .collect();
        let mut rates: Vec<f64> = mine.iter().map(|r| r.offered_rps).collect();
        rates.sort_by(f64::total_cmp);
        rates.dedup();
        let mut points = Vec::new();
        for rate in rates {
            let at: Vec<&&OpenRow> = mine.iter().filter(|r| r.offered_rps == rate).collect();
            let mut lats = Vec::new();
            let mut services = Vec::new();
            for r in &at {
                let (l, s) = read_step_hlog(&hlog_dir.join(&r.hlog))?;
                lats.push(l);
                services.push(s);
            }
            let (lat, service) = (results::merge(&lats), results::merge(&services));
            let secs: f64 = at.iter().map(|r| r.seconds).sum();
            let requests: u64 = at.iter().map(|r| r.requests).sum();
            points.push(Point {
                offered_rps: rate,
                achieved_rps: requests as f64 / secs,
                repeats: at.len(),
                requests,
                unsent: at.iter().map(|r| r.unsent).sum(),
                errors: at.iter().map(|r| r.errors).sum(),
                p50_us: us(&lat, 0.5),
                p99_us: us(&lat, 0.99),
                p999_us: us(&lat, 0.999),
                service_p50_us: us(&service, 0.5),
                service_p99_us: us(&service, 0.99),
            });
        }
        let knee = closed_series
            .iter()
            .find(|s| s.lang == lang && s.map == map && s.distribution == dist)
            .map_or(0.0, knee_rps);
        out.push(Curve {
            lang: lang.to_owned(),
            map: map.to_owned(),
            distribution: dist.to_owned(),
            knee_rps: knee,
            points,
        });
    }
    Ok(out)
}

fn server(lang: &str, map: &str) -> String {
    format!("{} {map}", lang_name(lang))
}

/// The page: provenance, the open-loop table, the closed-loop (service-time) table.
pub fn render_markdown(curves: &[Curve], open: &OpenSweep, closed: &Sweep) -> String {
    let mut md = format!(
        "<!-- Generated by mapbench http-open; do not edit. Regenerate with:\n     {REGENERATE} -->\n\n"
    );
    let mut seen = Vec::new();
    for c in open.comments.iter().chain(&closed.comments) {
        if c.starts_with("Generated by") || seen.contains(&c) {
            continue;
        }
        seen.push(c);
        md.push_str(&format!("- {c}\n"));
    }
    md.push_str(
        "\n#### Open loop: latency from the intended start, per offered rate\n\n\
| server | distribution | offered × knee | offered req/s | achieved req/s | unsent | p50 µs | p99 µs | p99.9 µs | service p99 µs |\n\
|---|---|---:|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    for c in curves {
        for p in &c.points {
            let frac = if c.knee_rps > 0.0 {
                format!("{:.2}", p.offered_rps / c.knee_rps)
            } else {
                "-".to_owned()
            };
            md.push_str(&format!(
                "| {} | {} | {frac} | {:.0} | {:.0} | {} | {:.1} | {:.1} | {:.1} | {:.1} |\n",
                server(&c.lang, &c.map),
                dist_name(&c.distribution),
                p.offered_rps,
                p.achieved_rps,
                p.unsent,
                p.p50_us,
                p.p99_us,
                p.p999_us,
                p.service_p99_us
            ));
        }
    }
    md.push_str(
        "\n#### Closed loop on the same CPUs: service time (no queueing counted)\n\n\
| server | distribution | connections | req/s (median) | p50 µs | p99 µs | knee |\n\
|---|---|---:|---:|---:|---:|---|\n",
    );
    for s in httpknee::summarise(&closed.rows) {
        let knee_conns = match s.knee {
            Knee::At { load, .. } => Some(load),
            _ => None,
        };
        for st in &s.steps {
            let mark = match knee_conns {
                Some(k) if (f64::from(st.conns) - k).abs() < 1e-9 => "knee",
                None if st.rps_median == knee_rps(&s) => "peak (no knee)",
                _ => "",
            };
            md.push_str(&format!(
                "| {} | {} | {} | {:.0} | {:.1} | {:.1} | {mark} |\n",
                server(&s.lang, &s.map),
                dist_name(&s.distribution),
                st.conns,
                st.rps_median,
                st.p50_us,
                st.p99_us
            ));
        }
    }
    md
}

const WIDTH: u32 = 900;
const PANEL_HEIGHT: u32 = 300;
const TITLE_PX: u32 = 40;
const LEGEND_PX: u32 = 70;
/// One hue per server, in the CSV's order (blue, vermilion: distinguishable with the
/// common colour-vision deficiencies).
const SERVER_COLOURS: [RGBColor; 4] = [
    RGBColor(0x00, 0x72, 0xb2),
    RGBColor(0xd5, 0x5e, 0x00),
    RGBColor(0x00, 0x9e, 0x73),
    RGBColor(0xcc, 0x79, 0xa7),
];

/// What the panels of [`render_svg`] share: the servers and distributions in the CSV's
/// order, the closed-loop series, and the axes' extents.
struct Axes<'c> {
    servers: Vec<(&'c str, &'c str)>,
    dists: Vec<&'c str>,
    closed_series: Vec<Series>,
    x_max: f64,
    y_min: f64,
    y_max: f64,
}

impl<'c> Axes<'c> {
    fn of(curves: &'c [Curve], closed: &Sweep) -> Axes<'c> {
        let mut servers: Vec<(&str, &str)> = Vec::new();
        let mut dists: Vec<&str> = Vec::new();
        for c in curves {
            if !servers.contains(&(c.lang.as_str(), c.map.as_str())) {
                servers.push((&c.lang, &c.map));
            }
            if !dists.contains(&c.distribution.as_str()) {
                dists.push(&c.distribution);
            }
        }
        let mut axes = Axes {
            servers,
            dists,
            closed_series: httpknee::summarise(&closed.rows),
            x_max: 0.0,
            y_min: 0.0,
            y_max: 0.0,
        };
        axes.x_max = curves
            .iter()
            .flat_map(|c| c.points.iter().map(|p| p.offered_rps.max(p.achieved_rps)))
            .chain(
                curves
                    .iter()
                    .filter_map(|c| axes.closed_of(c))
                    .flat_map(|s| s.steps.iter().map(|st| st.rps_median)),
            )
            .fold(0.0, f64::max)
            / 1e3
            * 1.05;
        let lats = || {
            curves
                .iter()
                .flat_map(|c| {
                    c.points
                        .iter()
                        .flat_map(|p| [p.p50_us, p.p99_us, p.p999_us])
                })
                .chain(
                    curves
                        .iter()
                        .filter_map(|c| axes.closed_of(c))
                        .flat_map(|s| s.steps.iter().map(|st| st.p99_us)),
                )
                .filter(|v| *v > 0.0)
        };
        let y_min = lats().fold(f64::INFINITY, f64::min).min(1e9) / 1.5;
        let y_max = lats().fold(0.0, f64::max).max(y_min * 10.0) * 1.5;
        axes.y_min = y_min;
        axes.y_max = y_max;
        axes
    }

    fn colour(&self, lang: &str, map: &str) -> RGBColor {
        let i = self
            .servers
            .iter()
            .position(|s| *s == (lang, map))
            .unwrap_or(0);
        SERVER_COLOURS[i % SERVER_COLOURS.len()]
    }

    /// The closed-loop series of the curve's server and distribution.
    fn closed_of(&self, c: &Curve) -> Option<&Series> {
        self.closed_series
            .iter()
            .find(|s| s.lang == c.lang && s.map == c.map && s.distribution == c.distribution)
    }
}

/// The figure: one panel per distribution; x = offered rate (thousand req/s), y =
/// latency on a log axis; per server p50 (thin), p99 (thick) and p99.9 (dashed) from the
/// intended start, the closed-loop p99 at each connection count as hollow squares
/// (service time), and the closed-loop knee as a vertical rule.
pub fn render_svg(curves: &[Curve], closed: &Sweep) -> Result<String> {
    let axes = Axes::of(curves, closed);
    let height = TITLE_PX + PANEL_HEIGHT * axes.dists.len() as u32 + LEGEND_PX;
    chart::render_svg((WIDTH, height), |full| {
        let (panels, legend) = chart::titled_grid(
            full,
            "HTTP cache: latency vs offered load (open loop), per key distribution",
            (axes.dists.len().max(1), 1),
            LEGEND_PX,
        )?;
        for (d, panel) in axes.dists.iter().zip(panels.iter()) {
            let caption = format!("{} keys", dist_name(d));
            let frame = Frame::new(8, 38, 64).right(18).caption(&caption, 14);
            let mut chart = frame.build(
                panel,
                0.0..axes.x_max.max(1e-3),
                (axes.y_min.max(1e-3)..axes.y_max).log_scale(),
            )?;
            chart::styled(&mut chart.configure_mesh(), chart::STANDARD)
                .x_desc("offered load, thousand requests/s")
                .y_desc("latency, µs (log scale)")
                .x_labels(8)
                .x_label_formatter(&|v| fmt_num(*v))
                .y_label_formatter(&|v| fmt_num(*v))
                .draw()
                .map_err(err)?;
            for c in curves.iter().filter(|c| c.distribution == *d) {
                draw_curve(&mut chart, &axes, c)?;
            }
        }
        draw_legend(&legend, &axes)
    })
}

/// One server's curves in a distribution's panel: p50, p99, p99.9 with their points,
/// the closed-loop p99 squares and the knee's rule.
fn draw_curve<X, Y>(chart: &mut Chart<'_, '_, X, Y>, axes: &Axes<'_>, c: &Curve) -> Result<()>
where
    X: Ranged<ValueType = f64>,
    Y: Ranged<ValueType = f64>,
{
    let (y_min, y_max) = (axes.y_min, axes.y_max);
    let col = axes.colour(&c.lang, &c.map);
    let at = |f: fn(&Point) -> f64| -> Vec<(f64, f64)> {
        c.points
            .iter()
            .map(|p| (p.offered_rps / 1e3, f(p).max(y_min)))
            .collect()
    };
    chart
        .draw_series(LineSeries::new(at(|p| p.p50_us), col.stroke_width(1)))
        .map_err(err)?;
    chart
        .draw_series(LineSeries::new(at(|p| p.p99_us), col.stroke_width(3)))
        .map_err(err)?;
    chart
        .draw_series(DashedLineSeries::new(
            at(|p| p.p999_us),
            6,
            4,
            col.stroke_width(2),
        ))
        .map_err(err)?;
    for f in [
        (|p: &Point| p.p50_us) as fn(&Point) -> f64,
        |p| p.p99_us,
        |p| p.p999_us,
    ] {
        chart
            .draw_series(at(f).into_iter().map(|p| Circle::new(p, 2, col.filled())))
            .map_err(err)?;
    }
    if let Some(s) = axes.closed_of(c) {
        chart
            .draw_series(s.steps.iter().map(|st| {
                let p = (st.rps_median / 1e3, st.p99_us.max(y_min));
                EmptyElement::at(p) + Rectangle::new([(-4, -4), (4, 4)], col.stroke_width(2))
            }))
            .map_err(err)?;
    }
    if c.knee_rps > 0.0 {
        let x = c.knee_rps / 1e3;
        chart
            .draw_series(std::iter::once(PathElement::new(
                vec![(x, y_min), (x, y_max)],
                col.mix(0.5).stroke_width(1),
            )))
            .map_err(err)?;
    }
    Ok(())
}

/// The legend: a swatch per server, the three percentiles' strokes, and two lines on
/// what the squares, rules and curves measure.
fn draw_legend(legend: &Area<'_>, axes: &Axes<'_>) -> Result<()> {
    let mut x = 12;
    for (lang, map) in &axes.servers {
        let c = axes.colour(lang, map);
        x = chart::key_entry(legend, x, &server(lang, map), 18, |x| {
            legend
                .draw(&Rectangle::new([(x, 10), (x + 22, 13)], c.filled()))
                .map_err(err)
        })?;
    }
    let keys: [(&str, u32); 3] = [("p50", 1), ("p99", 3), ("p99.9 (dashed)", 2)];
    for (label, w) in keys {
        x = chart::key_entry(legend, x, label, 14, |x| {
            legend
                .draw(&PathElement::new(
                    vec![(x, 12), (x + 22, 12)],
                    INK.stroke_width(w),
                ))
                .map_err(err)
        })?;
    }
    legend
        .draw(&Rectangle::new([(12, 30), (20, 38)], INK.stroke_width(2)))
        .map_err(err)?;
    legend
        .draw(&Text::new(
            "closed-loop p99 at each connection count: service time, queueing not counted; vertical rule: closed-loop knee"
                .to_owned(),
            (28, 28),
            font(11),
        ))
        .map_err(err)?;
    legend
        .draw(&Text::new(
            "open loop: latency from each request's intended start (coordinated omission corrected), repeats' histograms merged"
                .to_owned(),
            (12, 48),
            font(11),
        ))
        .map_err(err)?;
    Ok(())
}

/// Reads the inputs: the open-loop CSV, its `.hlog` files in `hlog_dir`, the
/// closed-loop CSV. Every error names the file (and line and field).
pub fn load(
    open_csv: &Path,
    hlog_dir: &Path,
    closed_csv: &Path,
) -> Result<(Vec<Curve>, OpenSweep, Sweep)> {
    let text = std::fs::read_to_string(open_csv)
        .with_context(|| format!("{}: cannot read", open_csv.display()))?;
    let open = parse_open_csv(&text, open_csv)?;
    let closed = httpknee::read_csv(closed_csv)?;
    let curves = curves(&open, hlog_dir, &closed)?;
    Ok((curves, open, closed))
}

/// Writes `out_dir/http-open.md` and `out_dir/figures/http-open.svg`, each atomically,
/// and returns their paths.
pub fn write_outputs(
    curves: &[Curve],
    open: &OpenSweep,
    closed: &Sweep,
    out_dir: &Path,
) -> Result<(PathBuf, PathBuf)> {
    let svg = render_svg(curves, closed)?;
    crate::chart::write_page(
        out_dir,
        "http-open",
        &render_markdown(curves, open, closed),
        &svg,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use hdrhistogram::serialization::{Serializer as _, V2DeflateSerializer};

    /// A closed-loop CSV: `go` scales to 4 connections then stops (knee at 4, 40,000
    /// req/s); `rust` keeps scaling (no knee; peak 30,000 at 4).
    fn closed_csv() -> String {
        let mut s = String::from(
            "# machine: test CPU\n\
lang,map,distribution,conns,repeat,requests,errors,misses,seconds,rps,p50_us,p90_us,p99_us,p999_us,max_us\n",
        );
        for (lang, map, steps) in [
            (
                "go",
                "sync-map",
                &[(1, 12_000.0), (2, 24_000.0), (4, 40_000.0), (8, 40_500.0)][..],
            ),
            (
                "rust",
                "dashmap",
                &[(1, 8_000.0), (2, 16_000.0), (4, 30_000.0)][..],
            ),
        ] {
            for &(conns, rps) in steps {
                s.push_str(&format!(
                    "{lang},{map},http-uniform,{conns},1,{rps:.0},0,0,1.000,{rps:.1},60.0,90.0,200.0,400.0,900.0\n"
                ));
            }
        }
        s
    }

    fn hist(values_ns: &[u64]) -> Histogram<u64> {
        let mut h = results::latency_histogram();
        for v in values_ns {
            h.record(*v).unwrap();
        }
        h
    }

    /// An interval log as ch4-load writes it: `lat`, then `service`.
    fn hlog(lat: &[u64], service: &[u64]) -> String {
        let mut s = String::from(
            "#[Histogram log format version 1.3]\n#[StartTime: 1700000000 (seconds since epoch)]\n\
\"StartTimestamp\",\"Interval_Length\",\"Interval_Max\",\"Interval_Compressed_Histogram\"\n",
        );
        for (tag, v) in [("lat", lat), ("service", service)] {
            let mut buf = Vec::new();
            V2DeflateSerializer::new()
                .serialize(&hist(v), &mut buf)
                .unwrap();
            let b64 = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, &buf);
            s.push_str(&format!("Tag={tag},1700000000.000,1.000,0.0,{b64}\n"));
        }
        s
    }

    const OPEN: &str = "lang,map,distribution,offered_rps,conns,repeat,requests,errors,misses,unsent,seconds,achieved_rps,p50_us,p90_us,p99_us,p999_us,max_us,service_p50_us,service_p99_us,hlog";

    /// Two rates for `go` (the higher one repeated twice), one for `rust`, and their logs.
    fn fixture(dir: &Path) -> (OpenSweep, Sweep) {
        std::fs::create_dir_all(dir).unwrap();
        let logs: [(&str, &[u64], &[u64]); 4] = [
            (
                "a.hlog",
                &[100_000, 110_000, 120_000],
                &[90_000, 95_000, 99_000],
            ),
            (
                "b1.hlog",
                &[200_000, 200_000, 200_000],
                &[100_000, 100_000, 100_000],
            ),
            ("b2.hlog", &[50_000_000], &[150_000]),
            ("c.hlog", &[300_000], &[250_000]),
        ];
        for (name, lat, service) in logs {
            std::fs::write(dir.join(name), hlog(lat, service)).unwrap();
        }
        let csv = format!(
            "# open loop: test\n{OPEN}\n\
go,sync-map,http-uniform,10000,8,1,3,0,0,0,1.000,3.0,0,0,0,0,0,0,0,a.hlog\n\
go,sync-map,http-uniform,60000,8,1,3,0,0,0,1.000,3.0,0,0,0,0,0,0,0,b1.hlog\n\
go,sync-map,http-uniform,60000,8,2,1,0,0,2,1.000,1.0,0,0,0,0,0,0,0,b2.hlog\n\
rust,dashmap,http-uniform,7500,8,1,1,0,0,0,1.000,1.0,0,0,0,0,0,0,0,c.hlog\n"
        );
        let open = parse_open_csv(&csv, Path::new("open.csv")).unwrap();
        let closed = httpknee::parse_csv(&closed_csv(), Path::new("closed.csv")).unwrap();
        (open, closed)
    }

    #[test]
    fn httpopen_rates_are_fractions_of_the_knee_or_the_peak() {
        let closed = httpknee::parse_csv(&closed_csv(), Path::new("closed.csv")).unwrap();
        let go =
            offered_rates(&closed, "go", "sync-map", "http-uniform", &[0.25, 1.0, 1.5]).unwrap();
        assert_eq!(
            go,
            [10_000.0, 40_000.0, 60_000.0],
            "the knee at 4 connections"
        );
        let rust = offered_rates(&closed, "rust", "dashmap", "http-uniform", &[0.5]).unwrap();
        assert_eq!(rust, [15_000.0], "no knee: the peak");
        for (fractions, want) in [
            (&[][..], "--fractions"),
            (&[0.0][..], "--fractions"),
            (&[11.0][..], "(0, 10]"),
        ] {
            let e = offered_rates(&closed, "go", "sync-map", "http-uniform", fractions)
                .unwrap_err()
                .to_string();
            assert!(e.contains(want), "{e}");
        }
        let e = offered_rates(&closed, "go", "nope", "http-uniform", &[1.0])
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("--map") && e.contains("go:nope") && e.contains("go:sync-map http-uniform"),
            "{e}"
        );
    }

    #[test]
    fn httpopen_merges_the_repeats_histograms() {
        let dir = std::env::temp_dir().join(format!("http-open-merge-{}", std::process::id()));
        let (open, closed) = fixture(&dir);
        let curves = curves(&open, &dir, &closed).unwrap();
        assert_eq!(curves.len(), 2);
        let go = &curves[0];
        assert_eq!(go.knee_rps, 40_000.0);
        assert_eq!(go.points.len(), 2);
        let hi = &go.points[1];
        assert_eq!(
            (hi.offered_rps, hi.repeats, hi.requests, hi.unsent),
            (60_000.0, 2, 4, 2)
        );
        // Merged: three samples at 200 µs and one at 50 ms. A median of the two repeats'
        // p50s would be about 25 ms; the merged p50 is 200 µs and the p99 50 ms.
        assert!((hi.p50_us - 200.0).abs() < 1.0, "{hi:?}");
        assert!((hi.p99_us - 50_000.0).abs() < 50.0, "{hi:?}");
        assert!((hi.service_p99_us - 150.0).abs() < 1.0, "{hi:?}");
        assert_eq!(hi.achieved_rps, 2.0, "4 requests over 2 seconds of windows");
        let md = render_markdown(&curves, &open, &closed);
        assert!(
            md.contains("| Go sync-map | uniform | 1.50 | 60000 | 2 | 2 | 200.1 | 50004.0 |"),
            "{md}"
        );
        assert!(
            md.contains("| Go sync-map | uniform | 4 | 40000 | 60.0 | 200.0 | knee |"),
            "{md}"
        );
        assert!(
            md.contains("| Rust dashmap | uniform | 4 | 30000 | 60.0 | 200.0 | peak (no knee) |"),
            "{md}"
        );
        assert!(md.contains("- machine: test CPU\n") && md.contains("- open loop: test\n"));
        // A missing log names itself.
        std::fs::remove_file(dir.join("c.hlog")).unwrap();
        let e = curves_err(&open, &dir, &closed);
        assert!(e.contains("c.hlog"), "{e}");
        std::fs::write(
            dir.join("c.hlog"),
            "#[StartTime: 1 (seconds since epoch)]\n",
        )
        .unwrap();
        let e = curves_err(&open, &dir, &closed);
        assert!(
            e.contains("c.hlog") && e.contains("`lat` and `service`"),
            "{e}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    fn curves_err(open: &OpenSweep, dir: &Path, closed: &Sweep) -> String {
        format!("{:#}", curves(open, dir, closed).unwrap_err())
    }

    #[test]
    fn httpopen_malformed_csv_names_file_line_and_field() {
        let good = format!(
            "# c\n{OPEN}\ngo,m,http-uniform,100,8,1,3,0,0,0,1.000,3.0,0,0,0,0,0,0,0,a.hlog\n"
        );
        assert!(parse_open_csv(&good, Path::new("o.csv")).is_ok());
        let cases = [
            (good.replace(",a.hlog", ""), "o.csv:3", "want 20 fields"),
            (good.replace("go,m", "java,m"), "o.csv:3", "`lang`"),
            (good.replace(",100,8,", ",0,8,"), "o.csv:3", "`offered_rps`"),
            (good.replace(",100,8,", ",x,8,"), "o.csv:3", "`offered_rps`"),
            (good.replace(",8,1,3,", ",8,one,3,"), "o.csv:3", "`repeat`"),
            (good.replace(",1.000,", ",0,"), "o.csv:3", "`seconds`"),
            (good.replace(",a.hlog", ",../a.hlog"), "o.csv:3", "`hlog`"),
            (good.replace(",a.hlog", ","), "o.csv:3", "`hlog`"),
            (good.replace("service_p99_us", "p99"), "o.csv:2", "header"),
            ("# nothing\n".to_owned(), "o.csv", "no header"),
            (format!("{OPEN}\n"), "o.csv", "no data rows"),
        ];
        crate::chapters::assert_each_error_names(&cases, |text| {
            parse_open_csv(text, Path::new("o.csv"))
        });
    }

    #[test]
    fn httpopen_figure_is_byte_identical_across_renders() {
        let dir = std::env::temp_dir().join(format!("http-open-fig-{}", std::process::id()));
        let (open, closed) = fixture(&dir);
        let curves = curves(&open, &dir, &closed).unwrap();
        let a = render_svg(&curves, &closed).unwrap();
        assert_eq!(a, render_svg(&curves, &closed).unwrap());
        for text in [
            "uniform keys",
            "Go sync-map",
            "Rust dashmap",
            "offered load",
            "latency, µs",
            "p99.9",
            "service time",
        ] {
            assert!(a.contains(text), "the SVG lacks {text:?}");
        }
        let out = dir.join("out");
        let (md, svg) = write_outputs(&curves, &open, &closed, &out).unwrap();
        assert_eq!(std::fs::read_to_string(svg).unwrap(), a);
        assert!(
            std::fs::read_to_string(md)
                .unwrap()
                .starts_with("<!-- Generated by mapbench http-open")
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
