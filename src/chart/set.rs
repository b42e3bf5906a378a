//! Charts of a set's page (`DIR/set/report.html`, [`crate::set_report`]): each
//! headline measure against a swept input. Drawn from what the set page reads out
//! of `DIR/set/summary.csv` and `DIR/set/sweep.csv`, not from a results folder, so
//! they take their data as [`SweepChart`] rather than [`crate::results::Results`].

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::style::{DrawResult, GREY, axis_range, err, text, tick};
use super::{ChartError, WIDTH, register_font, scale_font_sizes, svg_font_scale};

/// Above this many points a panel draws its line without markers and the mean's
/// ± 1.96 se as a thin band instead of error bars, so that a sweep of thousands
/// of values stays legible (and its SVG small).
pub const MARKED_POINTS: usize = 200;

/// The scenarios of a sweep at one value of the swept input, for one measure.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SweepPoint {
    /// The input's value.
    pub x: f64,
    /// The mean over the futures (averaged over the scenarios at `x`).
    pub mean: f64,
    /// The mean less and plus 1.96 standard errors (`None` when a standard error
    /// is undefined: a scenario of one path).
    pub ci: Option<(f64, f64)>,
    /// P5 and P95 over the futures (averaged over the scenarios at `x`), for
    /// measures with quantiles.
    pub band: Option<(f64, f64)>,
    /// The lowest and highest scenario mean at `x`, when several scenarios share
    /// it (a sweep of several inputs).
    pub spread: Option<(f64, f64)>,
}

/// One panel: one measure against the input.
#[derive(Debug, Clone, PartialEq)]
pub struct SweepPanel {
    /// Title above the panel.
    pub title: String,
    /// Label of the y axis.
    pub y_desc: String,
    /// Colour of the line, markers and bands.
    pub colour: RGBColor,
    /// Whether the values are shares, shown as percentages.
    pub percent: bool,
    /// The points, in increasing `x`.
    pub points: Vec<SweepPoint>,
}

/// A chart of one swept input: a grid of panels, up to three a row.
#[derive(Debug, Clone, PartialEq)]
pub struct SweepChart {
    /// Identifier in the page (and file stem).
    pub stem: String,
    /// Title drawn on the chart and shown in the page.
    pub title: String,
    /// Label of the x axis: the input's field path.
    pub x_desc: String,
    /// How to read it, for the page.
    pub how_to_read: String,
    /// The panels.
    pub panels: Vec<SweepPanel>,
}

impl SweepChart {
    /// Panels a row: up to three.
    pub fn columns(&self) -> usize {
        self.panels.len().clamp(1, 3)
    }

    /// Size in pixels: [`SweepChart::columns`] panels a row, 340 pixels high.
    pub fn size(&self) -> (u32, u32) {
        let rows = self.panels.len().div_ceil(self.columns()).max(1);
        (
            WIDTH,
            60 + 340 * u32::try_from(rows).unwrap_or(u32::MAX / 400),
        )
    }
}

/// The chart as an SVG document.
///
/// # Errors
/// If plotters fails to draw, or a value is beyond what a run writes.
pub fn sweep_svg(chart: &SweepChart) -> Result<String, ChartError> {
    register_font();
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, chart.size()).into_drawing_area();
        draw(chart, &root).map_err(|message| ChartError::Draw {
            chart: chart.stem.clone(),
            message,
        })?;
    }
    Ok(scale_font_sizes(&svg, svg_font_scale()))
}

fn draw<DB: DrawingBackend>(chart: &SweepChart, root: &DrawingArea<DB, Shift>) -> DrawResult {
    root.fill(&WHITE).map_err(err)?;
    let (w, _) = root.dim_in_pixel();
    root.draw(&Text::new(
        chart.title.clone(),
        (w as i32 / 2, 24),
        text(24).pos(Pos::new(HPos::Center, VPos::Center)),
    ))
    .map_err(err)?;
    let area = root.margin(50, 0, 0, 0);
    let columns = chart.columns();
    let rows = chart.panels.len().div_ceil(columns).max(1);
    let cells = area.split_evenly((rows, columns));
    for (panel, cell) in chart.panels.iter().zip(&cells) {
        draw_panel(cell, panel, &chart.x_desc)?;
    }
    root.present().map_err(err)
}

/// The x range of `points`, padded so end points are not on the frame; a single
/// value gets a range around it.
fn x_range(points: &[SweepPoint]) -> (f64, f64) {
    let lo = points.iter().map(|p| p.x).fold(f64::INFINITY, f64::min);
    let hi = points.iter().map(|p| p.x).fold(f64::NEG_INFINITY, f64::max);
    if !lo.is_finite() || !hi.is_finite() {
        return (0.0, 1.0);
    }
    let span = hi - lo;
    let pad = if span > 0.0 {
        span * 0.04
    } else {
        (lo.abs() * 0.1).max(0.5)
    };
    (lo - pad, hi + pad)
}

fn draw_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    panel: &SweepPanel,
    x_desc: &str,
) -> DrawResult {
    let pts = &panel.points;
    let (x0, x1) = x_range(pts);
    let ys = pts.iter().flat_map(|p| {
        [
            Some(p.mean),
            p.ci.map(|c| c.0),
            p.ci.map(|c| c.1),
            p.band.map(|b| b.0),
            p.band.map(|b| b.1),
            p.spread.map(|s| s.0),
            p.spread.map(|s| s.1),
        ]
        .into_iter()
        .flatten()
    });
    // Shares run from 0 to 100%, so that panels of probabilities compare at a glance.
    let start = (0.0f64, if panel.percent { 1.0f64 } else { 0.0 });
    let (lo, hi) = ys.fold(start, |(lo, hi), v| (lo.min(v), hi.max(v)));
    let (lo, hi) = axis_range(lo, hi, if panel.percent { 0.01 } else { 1.0 }, 0.05)?;
    let mut chart = ChartBuilder::on(area)
        .margin(12)
        .margin_right(28)
        .margin_top(36)
        .x_label_area_size(48)
        .y_label_area_size(72)
        .build_cartesian_2d(x0..x1, lo..hi)
        .map_err(err)?;
    let y_fmt = |v: &f64| {
        if panel.percent {
            tick((100.0 * v).round()) + "%"
        } else {
            tick(*v)
        }
    };
    chart
        .configure_mesh()
        .x_labels(6)
        .x_label_formatter(&|v| tick(*v))
        .x_desc(x_desc)
        .y_labels(6)
        .y_label_formatter(&y_fmt)
        .y_desc(panel.y_desc.as_str())
        .label_style(text(14))
        .axis_desc_style(text(15))
        .light_line_style(RGBColor(250, 250, 250))
        .draw()
        .map_err(err)?;
    let colour = panel.colour;
    let polygon = |lower: Vec<(f64, f64)>, upper: Vec<(f64, f64)>| -> Vec<(f64, f64)> {
        upper.into_iter().chain(lower.into_iter().rev()).collect()
    };
    // The 90% band of futures.
    let banded: Vec<(f64, (f64, f64))> = pts
        .iter()
        .filter_map(|p| p.band.map(|b| (p.x, b)))
        .collect();
    if !banded.is_empty() {
        chart
            .draw_series(std::iter::once(Polygon::new(
                polygon(
                    banded.iter().map(|(x, b)| (*x, b.0)).collect(),
                    banded.iter().map(|(x, b)| (*x, b.1)).collect(),
                ),
                colour.mix(0.16).filled(),
            )))
            .map_err(err)?;
    }
    if lo < 0.0 && hi > 0.0 {
        chart
            .draw_series(std::iter::once(PathElement::new(
                vec![(x0, 0.0), (x1, 0.0)],
                GREY.stroke_width(1),
            )))
            .map_err(err)?;
    }
    let marked = pts.len() <= MARKED_POINTS;
    // The mean's ± 1.96 se: error bars, or a thin band when there are many points.
    if marked {
        let cap = (x1 - x0) * 0.006;
        chart
            .draw_series(pts.iter().filter_map(|p| {
                let (lo, hi) = p.ci?;
                Some(PathElement::new(
                    vec![
                        (p.x - cap, lo),
                        (p.x + cap, lo),
                        (p.x, lo),
                        (p.x, hi),
                        (p.x - cap, hi),
                        (p.x + cap, hi),
                    ],
                    colour.stroke_width(1),
                ))
            }))
            .map_err(err)?;
    } else if let Some(ci) = pts.iter().map(|p| p.ci).collect::<Option<Vec<_>>>() {
        // A band only where every point has its interval.
        chart
            .draw_series(std::iter::once(Polygon::new(
                polygon(
                    pts.iter().zip(&ci).map(|(p, c)| (p.x, c.0)).collect(),
                    pts.iter().zip(&ci).map(|(p, c)| (p.x, c.1)).collect(),
                ),
                colour.mix(0.45).filled(),
            )))
            .map_err(err)?;
    }
    // The other inputs' spread: the lowest and highest scenario mean at each x.
    chart
        .draw_series(
            pts.iter()
                .filter_map(|p| p.spread.map(|s| (p.x, s)))
                .flat_map(|(x, (a, b))| {
                    [a, b].map(|y| Circle::new((x, y), 3, GREY.stroke_width(1)))
                }),
        )
        .map_err(err)?;
    chart
        .draw_series(LineSeries::new(
            pts.iter().map(|p| (p.x, p.mean)),
            colour.stroke_width(2),
        ))
        .map_err(err)?;
    if marked {
        chart
            .draw_series(
                pts.iter()
                    .map(|p| Circle::new((p.x, p.mean), 4, colour.filled())),
            )
            .map_err(err)?;
    }
    let (w, _) = area.dim_in_pixel();
    area.draw(&Text::new(
        panel.title.clone(),
        (w as i32 / 2, 16),
        text(18).pos(Pos::new(HPos::Center, VPos::Center)),
    ))
    .map_err(err)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_single_value_gets_a_range_around_it() {
        let p = |x| SweepPoint {
            x,
            mean: 0.0,
            ci: Some((0.0, 0.0)),
            band: None,
            spread: None,
        };
        assert_eq!(x_range(&[p(10.0)]), (9.0, 11.0));
        assert_eq!(x_range(&[p(0.0)]), (-0.5, 0.5));
        let (a, b) = x_range(&[p(0.0), p(100.0)]);
        assert!((a + 4.0).abs() < 1e-12 && (b - 104.0).abs() < 1e-12);
    }
}
