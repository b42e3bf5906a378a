//! Charts of a run's results, as PNG and SVG (plotters; no system font library).
//!
//! Every chart is drawn from [`Results`] — the CSV files a run leaves behind — so
//! `enclave report` redraws exactly what `enclave run` drew. A chart is one
//! [`ChartKind`] variant with its drawing function (one file per kind in this
//! folder) and one line in [`charts`], which lists what a results folder gets; the
//! report shows them in that order with their titles and reading notes.
//!
//! Text is drawn with a bundled Noto Sans SC subset (Latin and the common Chinese
//! characters), registered with plotters' `ab_glyph` backend under the CSS
//! font-family list that the SVG files carry ([`FONT_FAMILY`]).

mod distribution;
pub mod fan;
pub mod set;
pub mod spider;
mod style;
pub mod tornado;
pub mod zone;

use std::path::Path;
use std::sync::Once;

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::output::{OutputError, write_atomic};
use crate::results::Results;

pub use style::{FONT_FAMILY, region_colour};

/// The bundled font: a subset of Noto Sans SC Regular (SIL OFL 1.1, assets/fonts/).
pub const FONT: &[u8] = include_bytes!("../../assets/fonts/NotoSansSC-Subset.ttf");

/// Chart width in pixels; heights vary with the content.
pub const WIDTH: u32 = 1200;

/// Why a chart could not be drawn or written.
#[derive(Debug, thiserror::Error)]
pub enum ChartError {
    /// Plotters reported a drawing error.
    #[error("cannot draw chart {chart}: {message}")]
    Draw {
        /// The chart's file stem.
        chart: String,
        /// What plotters said.
        message: String,
    },
    /// The PNG could not be encoded.
    #[error("cannot encode {chart}.png")]
    Png {
        /// The chart's file stem.
        chart: String,
        /// Cause.
        #[source]
        source: image::ImageError,
    },
    /// A file could not be written.
    #[error(transparent)]
    Output(#[from] OutputError),
}

/// Which formats to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Formats {
    /// No charts.
    None,
    /// PNG only.
    Png,
    /// SVG only.
    Svg,
    /// PNG and SVG.
    #[default]
    Both,
}

impl Formats {
    /// Whether PNG files are written.
    pub fn png(self) -> bool {
        matches!(self, Formats::Png | Formats::Both)
    }
    /// Whether SVG files are written.
    pub fn svg(self) -> bool {
        matches!(self, Formats::Svg | Formats::Both)
    }
}

/// The kinds of chart, each drawn by its own function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChartKind {
    /// Each region's NPV distribution under each alternative (violins).
    NpvDistribution,
    /// Expected NPV with 90% intervals, and P(NPV < 0), per alternative and region.
    Alternatives,
    /// Expected NPV against the Shapley value, and participation, per alternative
    /// and region.
    Fairness,
    /// Cumulative cash flow fans of every region under one alternative (its index).
    CashFlowFan(usize),
    /// The park: firms, occupancy and the local retained tax pool over the years.
    Park,
    /// The park's performance as planners judge it: tax and output per mu, jobs and
    /// all taxes, over the years.
    ParkPerformance,
}

/// One chart of a results folder.
#[derive(Debug, Clone, PartialEq)]
pub struct Chart {
    /// What to draw.
    pub kind: ChartKind,
    /// File name without extension.
    pub stem: String,
    /// Title shown on the chart and in the report.
    pub title: String,
    /// How to read it, in plain words, for the report.
    pub how_to_read: String,
    /// Size in pixels.
    pub size: (u32, u32),
}

/// The charts of a results folder, in report order.
pub fn charts(res: &Results) -> Vec<Chart> {
    let scn = &res.scenario;
    let tx = res.lang.texts();
    let unit = &money_unit(res);
    let n_alt = scn.alternatives.len() as u32;
    let n_reg = scn.regions.len() as u32;
    let band = 36 * n_reg.max(2);
    let mut out = vec![
        Chart {
            kind: ChartKind::NpvDistribution,
            stem: "npv-distribution".into(),
            title: tx.f("chart.npv.title", &[("unit", unit)]),
            how_to_read: tx.t("chart.npv.read").into(),
            size: (WIDTH, 160 + n_alt * band),
        },
        Chart {
            kind: ChartKind::Alternatives,
            stem: "alternatives".into(),
            title: tx.f("chart.alternatives.title", &[("unit", unit)]),
            how_to_read: tx.t("chart.alternatives.read").into(),
            size: (WIDTH, 160 + n_alt * band),
        },
        Chart {
            kind: ChartKind::Fairness,
            stem: "fairness".into(),
            // Without coalitions (--fairness off) only the NPVs are drawn: the
            // title named Shapley values it did not show (exploratory test).
            title: if res.run.coalitions {
                tx.f("chart.fairness.title", &[("unit", unit)])
            } else {
                tx.f("chart.fairness.title_off", &[("unit", unit)])
            },
            how_to_read: tx.t("chart.fairness.read").into(),
            size: (WIDTH, 160 + n_alt * band),
        },
    ];
    for (a, alt) in scn.alternatives.iter().enumerate() {
        // The reading note once, on the first fan; each fan says what is its own.
        let how = tx.t(if a == 0 {
            "chart.fan.read_first"
        } else {
            "chart.fan.read_other"
        });
        out.push(Chart {
            kind: ChartKind::CashFlowFan(a),
            stem: format!("cash-flow-{:02}-{}", a + 1, slug(&alt.name)),
            title: tx.f("chart.fan.title", &[("alt", &alt.name), ("unit", unit)]),
            how_to_read: format!("{how}{}", fan_ending(res, a)),
            size: (WIDTH, 150 + 300 * n_reg.div_ceil(2)),
        });
    }
    out.push(Chart {
        kind: ChartKind::Park,
        stem: "park".into(),
        title: tx.t("chart.park.title").into(),
        how_to_read: tx.f("chart.park.read", &[("unit", unit)]),
        size: (WIDTH, 420),
    });
    out.push(Chart {
        kind: ChartKind::ParkPerformance,
        stem: "park-performance".into(),
        title: tx.t("chart.performance.title").into(),
        how_to_read: tx.f("chart.performance.read", &[("unit", unit)]),
        size: (WIDTH, 720),
    });
    out
}

/// The scenario's money unit in the results' language (百万元 for million yuan in
/// Chinese).
pub fn money_unit(res: &Results) -> String {
    crate::i18n::money_unit(
        res.lang,
        &res.scenario.money_unit,
        res.scenario.yuan_per_unit,
    )
}

/// What is specific to alternative `a`'s cash-flow fan: where each region's
/// cumulative cash flow ends the horizon (median and P5–P95).
fn fan_ending(res: &Results, a: usize) -> String {
    let scn = &res.scenario;
    let tx = res.lang.texts();
    let alt = &scn.alternatives[a].name;
    let unit = &money_unit(res);
    let parts: Vec<String> = scn
        .regions
        .iter()
        .filter_map(|region| {
            let series = res.series(
                alt,
                &region.id,
                crate::schema::RegionSeries::CumulativeCashFlow,
            );
            let last = series.last()?;
            Some(tx.f(
                "chart.fan.ending",
                &[
                    ("region", &region.name),
                    ("year", &last.year),
                    ("p50", &style::tick(last.p50?)),
                    ("unit", unit),
                    ("p05", &style::tick(last.p05?)),
                    ("p95", &style::tick(last.p95?)),
                ],
            ))
        })
        .collect();
    if parts.is_empty() {
        tx.f("chart.fan.under_empty", &[("alt", alt)])
    } else {
        let parts = parts.join(tx.t("chart.fan.separator"));
        tx.f("chart.fan.under", &[("alt", alt), ("parts", &parts)])
    }
}

/// Longest slug in a chart's file name, so that any alternative name gives a
/// file name far below the usual 255-byte limit.
const MAX_SLUG: usize = 48;

/// An ASCII file-name fragment for a name that may be Chinese, at most
/// [`MAX_SLUG`] bytes (the chart's number keeps truncated names apart).
fn slug(name: &str) -> String {
    let mut s = String::new();
    for c in name.chars() {
        if s.len() >= MAX_SLUG {
            break;
        }
        if c.is_ascii_alphanumeric() {
            s.push(c.to_ascii_lowercase());
        } else if !s.ends_with('-') && !s.is_empty() {
            s.push('-');
        }
    }
    let s = s.trim_end_matches('-').to_owned();
    if s.is_empty() {
        "alternative".into()
    } else {
        s
    }
}

/// Registers the bundled font with plotters (once per process).
pub fn register_font() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // The font is compiled in and checked by the tests, so registration cannot fail.
        let _ = plotters::style::register_font(FONT_FAMILY, FontStyle::Normal, FONT);
    });
}

fn draw<DB: DrawingBackend>(
    chart: &Chart,
    res: &Results,
    root: &DrawingArea<DB, Shift>,
) -> Result<(), String> {
    root.fill(&WHITE).map_err(|e| e.to_string())?;
    match chart.kind {
        ChartKind::NpvDistribution => distribution::npv_distribution(chart, res, root),
        ChartKind::Alternatives => distribution::alternatives(chart, res, root),
        ChartKind::Fairness => distribution::fairness(chart, res, root),
        ChartKind::CashFlowFan(a) => fan::cash_flow(chart, res, a, root),
        ChartKind::Park => fan::park(chart, res, root),
        ChartKind::ParkPerformance => fan::park_performance(chart, res, root),
    }
    .map_err(|e| e.to_string())?;
    root.present().map_err(|e| e.to_string())
}

/// The chart as an SVG document.
///
/// # Errors
/// If plotters fails to draw.
pub fn render_svg(chart: &Chart, res: &Results) -> Result<String, ChartError> {
    register_font();
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, chart.size).into_drawing_area();
        draw(chart, res, &root).map_err(|message| ChartError::Draw {
            chart: chart.stem.clone(),
            message,
        })?;
    }
    Ok(scale_font_sizes(&svg, svg_font_scale()))
}

/// How much larger SVG `font-size` must be than what plotters writes for SVG text
/// to match the PNG.
///
/// plotters' SVG backend writes `font-size = size / 1.24`, while its ab_glyph
/// backend draws `size` as the font's ascent − descent, so one em is
/// `size × units_per_em / (ascent − descent)` pixels in the PNG.
///
/// # Formula
/// factor = 1.24 × units_per_em / (ascent − descent)
fn svg_font_scale() -> f64 {
    use ab_glyph::Font;
    match ab_glyph::FontRef::try_from_slice(FONT) {
        Ok(font) => {
            let em = f64::from(font.units_per_em().unwrap_or(1000.0));
            1.24 * em / f64::from(font.height_unscaled())
        }
        // The bundled font always parses (tested); keep plotters' size otherwise.
        Err(_) => 1.0,
    }
}

/// Multiplies every `font-size="…"` in an SVG document by `factor`.
fn scale_font_sizes(svg: &str, factor: f64) -> String {
    const KEY: &str = "font-size=\"";
    let mut out = String::with_capacity(svg.len());
    let mut rest = svg;
    while let Some(i) = rest.find(KEY) {
        let (head, tail) = rest.split_at(i + KEY.len());
        out.push_str(head);
        let end = tail.find('"').unwrap_or(tail.len());
        match tail[..end].parse::<f64>() {
            Ok(size) => out.push_str(&format!("{:.2}", size * factor)),
            Err(_) => out.push_str(&tail[..end]),
        }
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}

/// The chart as PNG bytes.
///
/// # Errors
/// If plotters fails to draw or the PNG cannot be encoded.
pub fn render_png(chart: &Chart, res: &Results) -> Result<Vec<u8>, ChartError> {
    register_font();
    let (w, h) = chart.size;
    let mut rgb = vec![0u8; (w * h * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut rgb, chart.size).into_drawing_area();
        draw(chart, res, &root).map_err(|message| ChartError::Draw {
            chart: chart.stem.clone(),
            message,
        })?;
    }
    encode_png(&rgb, chart.size, &chart.stem)
}

/// RGB pixels of a `size` chart named `stem` as PNG bytes.
fn encode_png(rgb: &[u8], size: (u32, u32), stem: &str) -> Result<Vec<u8>, ChartError> {
    let mut png = Vec::new();
    image::ImageEncoder::write_image(
        image::codecs::png::PngEncoder::new(&mut png),
        rgb,
        size.0,
        size.1,
        image::ColorType::Rgb8,
    )
    .map_err(|source| ChartError::Png {
        chart: stem.to_owned(),
        source,
    })?;
    Ok(png)
}

/// Draws every chart of `res` into `dir/charts/` in the requested formats and
/// returns the charts with their SVG text (for the report), in order.
///
/// # Errors
/// If a chart cannot be drawn or written.
pub fn write_all(
    res: &Results,
    dir: &Path,
    formats: Formats,
) -> Result<Vec<(Chart, String)>, ChartError> {
    let charts_dir = dir.join("charts");
    if formats != Formats::None {
        std::fs::create_dir_all(&charts_dir).map_err(|source| OutputError::Io {
            path: charts_dir.display().to_string(),
            source,
        })?;
    }
    let mut out = Vec::new();
    for chart in charts(res) {
        let svg = render_svg(&chart, res)?;
        if formats.svg() {
            write_atomic(
                &charts_dir.join(format!("{}.svg", chart.stem)),
                svg.as_bytes(),
            )?;
        }
        if formats.png() {
            write_atomic(
                &charts_dir.join(format!("{}.png", chart.stem)),
                &render_png(&chart, res)?,
            )?;
        }
        out.push((chart, svg));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn font_sizes_are_scaled() {
        assert_eq!(
            scale_font_sizes(
                r#"<text font-size="10" x="1">a</text><text font-size="3.5">b</text>"#,
                1.5
            ),
            r#"<text font-size="15.00" x="1">a</text><text font-size="5.25">b</text>"#
        );
        let f = svg_font_scale();
        assert!((0.7..1.0).contains(&f), "{f}");
    }

    #[test]
    fn slugs_are_ascii_file_names() {
        assert_eq!(slug("fixed 50:50"), "fixed-50-50");
        assert_eq!(slug("京津冀 50:50 then host"), "50-50-then-host");
        assert_eq!(slug("基数返还"), "alternative");
        assert_eq!(
            slug(&"ab ".repeat(200)),
            "ab-".repeat(16).trim_end_matches('-')
        );
        assert!(slug(&"x".repeat(300)).len() == MAX_SLUG);
    }

    #[test]
    fn the_bundled_font_loads_and_has_chinese() {
        use ab_glyph::Font;
        let font = ab_glyph::FontRef::try_from_slice(FONT).expect("font parses");
        for c in ['浙', '吉', '林', '深', '汕', 'A', '€'] {
            assert_ne!(font.glyph_id(c).0, 0, "no glyph for {c}");
        }
    }
}
