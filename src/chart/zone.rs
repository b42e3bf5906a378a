//! The zone of agreement of `enclave solve`: each region's participation
//! probability P(NPV ≥ outside option), and the joint one, against the one free
//! parameter of a formula, with the range where every region's probability is at
//! least P shaded.
//!
//! Unlike the other charts, it is drawn from a solve's candidates rather than
//! from a results folder.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::style::{DrawResult, GREY, err, header, region_colour, text, tick};
use super::{ChartError, WIDTH, encode_png, register_font, scale_font_sizes, svg_font_scale};
use crate::scenario::Scenario;

/// File name of the chart (SVG).
pub const ZONE_FILE: &str = "zone.svg";
/// File name of the chart as PNG.
pub const ZONE_PNG: &str = "zone.png";

/// What the zone of agreement shows.
#[derive(Debug, Clone, PartialEq)]
pub struct Zone {
    /// Chart title.
    pub title: String,
    /// What the x axis is.
    pub x_label: String,
    /// The parameter values, increasing.
    pub xs: Vec<f64>,
    /// Each region's participation probability at each x (`[region][i]`).
    pub participation: Vec<Vec<f64>>,
    /// The joint participation probability at each x, when known.
    pub joint: Option<Vec<f64>>,
    /// The probability every region must reach for the range to be shaded.
    pub threshold: f64,
    /// The x of the candidate shown: the solution, or the closest candidate when
    /// the target is not met.
    pub solution: f64,
    /// Whether the target is met (the vertical line is then the solution, else
    /// the closest candidate, which the note says).
    pub met: bool,
    /// The language of the axis label and note (the title and x label are
    /// given in it).
    pub lang: crate::i18n::Lang,
}

impl Zone {
    /// Whether every region reaches the threshold at point `i`.
    pub fn feasible(&self, i: usize) -> bool {
        self.margin(i) >= 0.0
    }

    /// The smallest participation probability at point `i` less the threshold.
    fn margin(&self, i: usize) -> f64 {
        self.participation
            .iter()
            .map(|p| p[i])
            .fold(f64::INFINITY, f64::min)
            - self.threshold
    }

    /// The ranges of x where every region reaches the threshold: between two
    /// feasible points the whole segment, between a feasible and an infeasible one
    /// up to where the smallest probability, interpolated linearly, crosses it.
    pub fn feasible_ranges(&self) -> Vec<(f64, f64)> {
        let mut out: Vec<(f64, f64)> = Vec::new();
        let mut add = |lo: f64, hi: f64| match out.last_mut() {
            Some(last) if last.1 >= lo => last.1 = last.1.max(hi),
            _ => out.push((lo, hi)),
        };
        let n = self.xs.len();
        for i in 0..n {
            if self.feasible(i) {
                add(self.xs[i], self.xs[i]);
            }
            if i + 1 < n {
                let (a, b) = (self.xs[i], self.xs[i + 1]);
                let (fa, fb) = (self.margin(i), self.margin(i + 1));
                let cross = || a + (b - a) * fa / (fa - fb);
                match (fa >= 0.0, fb >= 0.0) {
                    (true, true) => add(a, b),
                    (true, false) => add(a, cross()),
                    (false, true) => add(cross(), b),
                    (false, false) => {}
                }
            }
        }
        out
    }
}

/// Chart height in pixels.
const HEIGHT: u32 = 640;

/// The zone of agreement as an SVG document.
///
/// # Errors
/// If plotters fails to draw.
pub fn render_svg(zone: &Zone, scn: &Scenario) -> Result<String, ChartError> {
    register_font();
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, HEIGHT)).into_drawing_area();
        draw(zone, scn, &root).map_err(|message| ChartError::Draw {
            chart: "zone".into(),
            message,
        })?;
    }
    Ok(scale_font_sizes(&svg, svg_font_scale()))
}

/// The zone of agreement as PNG bytes.
///
/// # Errors
/// If plotters fails to draw or the PNG cannot be encoded.
pub fn render_png(zone: &Zone, scn: &Scenario) -> Result<Vec<u8>, ChartError> {
    register_font();
    let mut rgb = vec![0u8; (WIDTH * HEIGHT * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut rgb, (WIDTH, HEIGHT)).into_drawing_area();
        draw(zone, scn, &root).map_err(|message| ChartError::Draw {
            chart: "zone".into(),
            message,
        })?;
    }
    encode_png(&rgb, (WIDTH, HEIGHT), "zone")
}

fn draw<DB: DrawingBackend>(
    zone: &Zone,
    scn: &Scenario,
    root: &DrawingArea<DB, Shift>,
) -> DrawResult {
    root.fill(&WHITE).map_err(err)?;
    let area = header(root, &zone.title, scn)?;
    let (w, h) = area.dim_in_pixel();
    let n = zone.xs.len();
    if n == 0 {
        return Err("no candidates to draw".into());
    }
    let (x0, x1) = (zone.xs[0], zone.xs[n - 1]);
    if !(x0.is_finite() && x1.is_finite()) {
        return Err("a parameter value is not finite".into());
    }
    let x1 = if x1 > x0 { x1 } else { x0 + 1.0 };
    let mut chart = ChartBuilder::on(&area.margin(0, 40, 0, 0))
        .margin(12)
        .margin_right(28)
        .x_label_area_size(48)
        .y_label_area_size(72)
        .build_cartesian_2d(x0..x1, 0.0..1.0)
        .map_err(err)?;
    chart
        .configure_mesh()
        .x_labels(10)
        .x_label_formatter(&|v| tick(*v))
        .y_labels(6)
        .y_label_formatter(&|v: &f64| tick((100.0 * v).round()) + "%")
        .x_desc(zone.x_label.as_str())
        .y_desc(zone.lang.texts().t("solve.zone.y"))
        .label_style(text(14))
        .axis_desc_style(text(15))
        .light_line_style(RGBColor(250, 250, 250))
        .draw()
        .map_err(err)?;
    for (lo, hi) in zone.feasible_ranges() {
        chart
            .draw_series(std::iter::once(Rectangle::new(
                [(lo, 0.0), (hi, 1.0)],
                RGBColor(0, 158, 115).mix(0.15).filled(),
            )))
            .map_err(err)?;
    }
    chart
        .draw_series(std::iter::once(PathElement::new(
            vec![(x0, zone.threshold), (x1, zone.threshold)],
            GREY.stroke_width(1),
        )))
        .map_err(err)?;
    for (r, p) in zone.participation.iter().enumerate() {
        let pts: Vec<(f64, f64)> = zone.xs.iter().copied().zip(p.iter().copied()).collect();
        chart
            .draw_series(LineSeries::new(pts, region_colour(r).stroke_width(3)))
            .map_err(err)?;
    }
    if let Some(joint) = &zone.joint {
        let pts: Vec<(f64, f64)> = zone.xs.iter().copied().zip(joint.iter().copied()).collect();
        chart
            .draw_series(LineSeries::new(pts, BLACK.stroke_width(2)))
            .map_err(err)?;
    }
    chart
        .draw_series(std::iter::once(PathElement::new(
            vec![(zone.solution, 0.0), (zone.solution, 1.0)],
            BLACK.stroke_width(1),
        )))
        .map_err(err)?;
    let tx = zone.lang.texts();
    let note = tx.f(
        "solve.zone.note",
        &[
            ("p", &crate::solve::percent(zone.threshold)),
            (
                "line",
                &tx.t(if zone.met {
                    "solve.zone.line_solution"
                } else {
                    "solve.zone.line_closest"
                }),
            ),
            (
                "joint",
                &if zone.joint.is_some() {
                    tx.t("solve.zone.note_joint")
                } else {
                    ""
                },
            ),
        ],
    );
    area.draw(&Text::new(
        note,
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
    fn the_feasible_range_ends_where_the_smallest_probability_crosses_the_threshold() {
        // a rises 0 → 1 over x = 0 … 1, b falls 1 → 0 from x = 1 to 2: with a
        // threshold of 0.5, both reach it from x = 0.5 (a) to 1.5 (b).
        let zone = Zone {
            title: String::new(),
            x_label: String::new(),
            xs: vec![0.0, 1.0, 2.0],
            participation: vec![vec![0.0, 1.0, 1.0], vec![1.0, 1.0, 0.0]],
            joint: None,
            threshold: 0.5,
            solution: 1.0,
            met: true,
            lang: crate::i18n::Lang::En,
        };
        assert_eq!(zone.feasible_ranges(), vec![(0.5, 1.5)]);
        let nowhere = Zone {
            threshold: 1.5,
            ..zone.clone()
        };
        assert!(nowhere.feasible_ranges().is_empty());
        let single = Zone {
            xs: vec![3.0],
            participation: vec![vec![1.0], vec![1.0]],
            ..zone
        };
        assert_eq!(single.feasible_ranges(), vec![(3.0, 3.0)]);
    }
}
