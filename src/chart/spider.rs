//! The spider chart of `enclave sensitivity`: for one region's NPV under one
//! alternative, the mean NPV as each input goes through its quantiles
//! ([`SPIDER_LEVELS`], 0.05 … 0.95), the others at their medians: one line per
//! input, the base (every input at its median) marked.
//!
//! The tornado ([`super::tornado`]) shows two points of each line, P10 and P90;
//! the spider shows the whole line, so an input whose effect flattens, steepens
//! or turns over its range reads as such, not as one swing. Like the tornado it
//! is drawn from the analysis, not from a results folder.

use plotters::coord::Shift;
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::style::{DrawResult, GREY, axis_range, err, text, tick};
use super::tornado::{ALT_COLOURS, labels, short};
use super::{ChartError, WIDTH, encode_png, register_font, scale_font_sizes, svg_font_scale};
use crate::scenario::Scenario;
use crate::sensitivity::{Analysis, BASE_U, SPIDER_LEVELS};

/// Most inputs drawn (those whose line spans most); the page's table lists them
/// all. Three marker shapes of the eight colours tell this many apart.
pub const MAX_INPUTS: usize = 20;

/// One input's line.
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    /// The input's field path.
    pub input: String,
    /// The input as the chart names it, as the tornado names it.
    pub label: String,
    /// Per level of [`Spider::levels`]: the input's value there and the mean
    /// output (NaN where the analysis has no row).
    pub points: Vec<(f64, f64)>,
}

impl Line {
    /// How far the output moves over the line: its largest less its smallest
    /// finite point (0 without two).
    pub fn span(&self) -> f64 {
        let finite = || self.points.iter().map(|p| p.1).filter(|v| v.is_finite());
        let lo = finite().fold(f64::INFINITY, f64::min);
        let hi = finite().fold(f64::NEG_INFINITY, f64::max);
        if hi >= lo { hi - lo } else { 0.0 }
    }
}

/// What a spider chart shows.
#[derive(Debug, Clone, PartialEq)]
pub struct Spider {
    /// The region's index in the scenario.
    pub region: usize,
    /// The alternative's index in the scenario.
    pub alternative: usize,
    /// Chart title.
    pub title: String,
    /// The x axis's label.
    pub x_label: String,
    /// The y axis's label.
    pub y_label: String,
    /// The base's entry in the legend.
    pub base_label: String,
    /// How to read the lines, under the chart.
    pub note: String,
    /// The quantile levels, in order (the x of every line's points).
    pub levels: Vec<f64>,
    /// The output with every input at its median (NaN when unknown).
    pub base: f64,
    /// Every input with spider rows, the widest span first (ties in the
    /// scenario's order); the chart draws the first [`MAX_INPUTS`].
    pub lines: Vec<Line>,
}

impl Spider {
    /// The spider of region `r`'s NPV under alternative `a` from an analysis
    /// that ran the spider method; `None` when it has no spider row of that
    /// output.
    pub fn of_output(analysis: &Analysis, scn: &Scenario, r: usize, a: usize) -> Option<Spider> {
        let o = analysis
            .outputs
            .iter()
            .position(|o| o.region_index == Some(r) && o.alternative_index == Some(a))?;
        let levels = SPIDER_LEVELS.to_vec();
        let mut lines: Vec<Line> = analysis
            .inputs
            .iter()
            .zip(labels(scn, &analysis.inputs))
            .map(|(input, label)| Line {
                input: input.clone(),
                label,
                points: vec![(f64::NAN, f64::NAN); levels.len()],
            })
            .collect();
        let mut seen = vec![false; lines.len()];
        for row in analysis
            .rows
            .iter()
            .filter(|row| row.output == o && row.method == "spider")
        {
            // The point is `q` and the level as sensitivity.csv writes it.
            let Some(level) = row
                .point
                .strip_prefix('q')
                .and_then(|u| u.parse::<f64>().ok())
            else {
                continue;
            };
            let Some(l) = levels.iter().position(|u| u.to_bits() == level.to_bits()) else {
                continue;
            };
            let Some(i) = analysis.inputs.iter().position(|x| *x == row.input) else {
                continue;
            };
            lines[i].points[l] = (row.input_value, row.estimate.value);
            seen[i] = true;
        }
        if !seen.iter().any(|&s| s) {
            return None;
        }
        let mut lines: Vec<Line> = lines
            .drain(..)
            .zip(seen)
            .filter_map(|(line, s)| s.then_some(line))
            .collect();
        // Every input's median point is the same run, every input at its median.
        let median = levels.iter().position(|u| u.to_bits() == BASE_U.to_bits());
        let base = median
            .and_then(|m| {
                lines
                    .iter()
                    .map(|line| line.points[m].1)
                    .find(|v| v.is_finite())
            })
            .unwrap_or(f64::NAN);
        // Widest first; ties in the scenario's order (a stable sort).
        lines.sort_by(|x, y| y.span().total_cmp(&x.span()));
        let region = &scn.regions[r].name;
        let alt = &scn.alternatives[a].name;
        let tx = scn.lang.texts();
        let unit = crate::i18n::money_unit(scn.lang, &scn.money_unit, scn.yuan_per_unit);
        Some(Spider {
            region: r,
            alternative: a,
            title: tx.f(
                "sensitivity.spider.title",
                &[("region", region), ("alt", alt)],
            ),
            x_label: tx.t("sensitivity.spider.axis_x").to_owned(),
            y_label: tx.f(
                "sensitivity.spider.axis_y",
                &[("region", region), ("unit", &unit)],
            ),
            base_label: tx.t("sensitivity.spider.base").to_owned(),
            note: tx.t("sensitivity.spider.note").to_owned(),
            levels,
            base,
            lines,
        })
    }

    /// The lines drawn: the first [`MAX_INPUTS`].
    pub fn drawn(&self) -> &[Line] {
        &self.lines[..self.lines.len().min(MAX_INPUTS)]
    }

    /// Chart height in pixels: room for the plot, and for the legend beside it
    /// (one entry per line drawn and the base's).
    fn height(&self) -> u32 {
        let legend = 120 + 24 * (self.drawn().len() as u32 + 1);
        legend.max(560)
    }
}

/// The chart as an SVG document.
///
/// # Errors
/// If plotters fails to draw (an output beyond what a run writes among them).
pub fn render_svg(s: &Spider) -> Result<String, ChartError> {
    register_font();
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, s.height())).into_drawing_area();
        draw(s, &root).map_err(|message| ChartError::Draw {
            chart: "spider".into(),
            message,
        })?;
    }
    Ok(scale_font_sizes(&svg, svg_font_scale()))
}

/// The chart as PNG bytes.
///
/// # Errors
/// If plotters fails to draw or the PNG cannot be encoded.
pub fn render_png(s: &Spider) -> Result<Vec<u8>, ChartError> {
    register_font();
    let size = (WIDTH, s.height());
    let mut rgb = vec![0u8; (size.0 * size.1 * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut rgb, size).into_drawing_area();
        draw(s, &root).map_err(|message| ChartError::Draw {
            chart: "spider".into(),
            message,
        })?;
    }
    encode_png(&rgb, size, "spider")
}

/// A quantile level as the axis writes it: `0.05`, `0.5`, `0.95`.
fn level(u: f64) -> String {
    let s = format!("{u:.2}");
    let s = s.trim_end_matches('0');
    s.strip_suffix('.').unwrap_or(s).to_owned()
}

/// Line `i`'s colour and marker: eight colours, then the next shape.
fn style_of(i: usize) -> (RGBColor, usize) {
    (
        ALT_COLOURS[i % ALT_COLOURS.len()],
        (i / ALT_COLOURS.len()) % 3,
    )
}

/// Draws marker `shape` of `colour` at backend pixel `at` on `root`.
fn marker<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    at: (i32, i32),
    shape: usize,
    colour: RGBColor,
) -> DrawResult {
    match shape {
        0 => root.draw(&Circle::new(at, 4, colour.filled())),
        1 => root.draw(&TriangleMarker::new(at, 5, colour.filled())),
        _ => root.draw(&Rectangle::new(
            [(at.0 - 4, at.1 - 4), (at.0 + 4, at.1 + 4)],
            colour.filled(),
        )),
    }
    .map_err(err)
}

/// Width of the legend beside the plot, in pixels.
const LEGEND: u32 = 380;

fn draw<DB: DrawingBackend>(s: &Spider, root: &DrawingArea<DB, Shift>) -> DrawResult {
    root.fill(&WHITE).map_err(err)?;
    let (w, h) = root.dim_in_pixel();
    root.draw(&Text::new(
        s.title.clone(),
        (w as i32 / 2, 22),
        text(24).pos(Pos::new(HPos::Center, VPos::Center)),
    ))
    .map_err(err)?;
    let lines = s.drawn();
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for v in lines
        .iter()
        .flat_map(|line| line.points.iter().map(|p| p.1))
        .chain(std::iter::once(s.base))
        .filter(|v| v.is_finite())
    {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if lo > hi {
        // Nothing finite to draw: an empty plot around 0.
        (lo, hi) = (0.0, 0.0);
    }
    // A span of a thousandth of the values at least, so that a flat line of
    // large values keeps an axis plotters can put ticks on.
    let min_span = (lo.abs().max(hi.abs()) * 1e-3).max(1e-9);
    let (y0, y1) = axis_range(lo, hi, min_span, 0.08)?;
    let area = root.margin(48, 40, 0, LEGEND);
    let mut chart = ChartBuilder::on(&area)
        .margin(12)
        .margin_right(28)
        .x_label_area_size(48)
        .y_label_area_size(96)
        .build_cartesian_2d(0.0..1.0, y0..y1)
        .map_err(err)?;
    // The x ticks are the levels themselves, drawn below (plotters' key points
    // give an f64 axis no tick labels), so the mesh has none of its own.
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(0)
        .y_labels(8)
        .y_label_formatter(&|v| tick(*v))
        .x_desc(s.x_label.as_str())
        .y_desc(s.y_label.as_str())
        .label_style(text(14))
        .axis_desc_style(text(15))
        .light_line_style(RGBColor(245, 245, 245))
        .draw()
        .map_err(err)?;
    for &u in &s.levels {
        chart
            .draw_series(std::iter::once(PathElement::new(
                vec![(u, y0), (u, y1)],
                RGBColor(235, 235, 235).stroke_width(1),
            )))
            .map_err(err)?;
        let (px, py) = chart.backend_coord(&(u, y0));
        root.draw(&PathElement::new(
            vec![(px, py), (px, py + 5)],
            BLACK.stroke_width(1),
        ))
        .map_err(err)?;
        root.draw(&Text::new(
            level(u),
            (px, py + 8),
            text(14).pos(Pos::new(HPos::Center, VPos::Top)),
        ))
        .map_err(err)?;
    }
    // The base: every input at its median, a dashed level and its point.
    if s.base.is_finite() {
        chart
            .draw_series(std::iter::once(DashedPathElement::new(
                vec![(0.0, s.base), (1.0, s.base)],
                6,
                4,
                GREY.stroke_width(1),
            )))
            .map_err(err)?;
        chart
            .draw_series(std::iter::once(Circle::new(
                (BASE_U, s.base),
                7,
                BLACK.stroke_width(2),
            )))
            .map_err(err)?;
    }
    for (i, line) in lines.iter().enumerate() {
        let (colour, shape) = style_of(i);
        let points: Vec<(f64, f64)> = s
            .levels
            .iter()
            .zip(&line.points)
            .filter(|(_, p)| p.1.is_finite())
            .map(|(&u, p)| (u, p.1))
            .collect();
        chart
            .draw_series(LineSeries::new(points.clone(), colour.stroke_width(2)))
            .map_err(err)?;
        for p in &points {
            marker(root, chart.backend_coord(p), shape, colour)?;
        }
    }
    // Legend, beside the plot: the base, then each line in the plot's order.
    let x = w as i32 - LEGEND as i32 + 8;
    let mut y = 72;
    root.draw(&PathElement::new(
        vec![(x, y), (x + 28, y)],
        GREY.stroke_width(1),
    ))
    .map_err(err)?;
    root.draw(&Circle::new((x + 14, y), 6, BLACK.stroke_width(2)))
        .map_err(err)?;
    root.draw(&Text::new(
        s.base_label.clone(),
        (x + 38, y),
        text(14).pos(Pos::new(HPos::Left, VPos::Center)),
    ))
    .map_err(err)?;
    for (i, line) in lines.iter().enumerate() {
        y += 24;
        let (colour, shape) = style_of(i);
        root.draw(&PathElement::new(
            vec![(x, y), (x + 28, y)],
            colour.stroke_width(2),
        ))
        .map_err(err)?;
        marker(root, (x + 14, y), shape, colour)?;
        root.draw(&Text::new(
            short(&line.label),
            (x + 38, y),
            text(14).pos(Pos::new(HPos::Left, VPos::Center)),
        ))
        .map_err(err)?;
    }
    root.draw(&Text::new(
        s.note.clone(),
        (w as i32 / 2, h as i32 - 16),
        text(15).pos(Pos::new(HPos::Center, VPos::Center)),
    ))
    .map_err(err)?;
    root.present().map_err(err)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_are_written_as_the_csv_points_are() {
        let shown: Vec<String> = SPIDER_LEVELS.iter().map(|&u| level(u)).collect();
        assert_eq!(shown, ["0.05", "0.1", "0.25", "0.5", "0.75", "0.9", "0.95"]);
    }

    #[test]
    fn twenty_lines_have_twenty_styles() {
        let styles: std::collections::BTreeSet<(u8, u8, u8, usize)> = (0..MAX_INPUTS)
            .map(|i| {
                let (c, shape) = style_of(i);
                (c.0, c.1, c.2, shape)
            })
            .collect();
        assert_eq!(styles.len(), MAX_INPUTS);
    }

    #[test]
    fn a_span_is_over_the_finite_points() {
        let line = Line {
            input: "a".into(),
            label: "a".into(),
            points: vec![(1.0, 3.0), (2.0, f64::NAN), (3.0, -2.0)],
        };
        assert!((line.span() - 5.0).abs() < 1e-12);
        let empty = Line {
            points: vec![(1.0, f64::NAN)],
            ..line
        };
        assert!(empty.span().abs() < 1e-12);
    }
}
