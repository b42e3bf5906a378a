//! The tornado chart of `enclave sensitivity`: for one region, how far its NPV
//! moves from the base when one input goes to its P10 or its P90 (the others at
//! their medians), input by input, the largest swing on top, one bar per
//! alternative.
//!
//! Like the zone of agreement ([`super::zone`]) it is drawn from the analysis,
//! not from a results folder.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::style::{DrawResult, GREY, axis_range, err, text, tick};
use super::{ChartError, WIDTH, encode_png, register_font, scale_font_sizes, svg_font_scale};
use crate::scenario::Scenario;
use crate::sensitivity::{ALL_INPUTS, Analysis};

/// Most inputs drawn (the largest swings).
pub const MAX_INPUTS: usize = 20;
/// Longest input name drawn, in columns (a Chinese character takes two).
const MAX_NAME: usize = 44;

/// Colours of the alternatives (the regions' palette is for regions).
pub(super) const ALT_COLOURS: [RGBColor; 8] = [
    RGBColor(0, 114, 178),
    RGBColor(213, 94, 0),
    RGBColor(0, 158, 115),
    RGBColor(204, 121, 167),
    RGBColor(230, 159, 0),
    RGBColor(85, 85, 85),
    RGBColor(86, 180, 233),
    RGBColor(140, 86, 75),
];

/// One input's bars: for each alternative, the output at its P10 and at its P90
/// less the base.
#[derive(Debug, Clone, PartialEq)]
pub struct Bar {
    /// The input's field path.
    pub input: String,
    /// The input as the chart names it, in the scenario's language: its words
    /// ([`crate::i18n::inputs::label`]), with the path when two inputs have the
    /// same words; the path when it has none.
    pub label: String,
    /// `(P10 − base, P90 − base)` per alternative.
    pub ends: Vec<(f64, f64)>,
}

/// What a tornado chart shows.
#[derive(Debug, Clone, PartialEq)]
pub struct Tornado {
    /// Chart title.
    pub title: String,
    /// The x axis's label.
    pub x_label: String,
    /// How to read the bars, under the chart.
    pub note: String,
    /// Alternative names.
    pub alternatives: Vec<String>,
    /// The inputs, the largest swing (over the alternatives) first.
    pub bars: Vec<Bar>,
}

impl Tornado {
    /// The tornado of region `r`'s NPV from an analysis that ran the tornado
    /// method; `None` when it did not.
    pub fn of_region(analysis: &Analysis, scn: &Scenario, r: usize) -> Option<Tornado> {
        let n_alt = scn.alternatives.len();
        let mut base = vec![f64::NAN; n_alt];
        let mut bars: Vec<Bar> = analysis
            .inputs
            .iter()
            .map(|input| Bar {
                input: input.clone(),
                label: input.clone(),
                ends: vec![(f64::NAN, f64::NAN); n_alt],
            })
            .collect();
        for (bar, label) in bars.iter_mut().zip(labels(scn, &analysis.inputs)) {
            bar.label = label;
        }
        let mut any = false;
        for row in analysis.rows.iter().filter(|row| row.method == "tornado") {
            let o = &analysis.outputs[row.output];
            let (Some(a), Some(region)) = (o.alternative_index, o.region_index) else {
                continue;
            };
            if region != r {
                continue;
            }
            any = true;
            let v = row.estimate.value;
            if row.input == ALL_INPUTS {
                base[a] = v;
            } else if let Some(i) = analysis.inputs.iter().position(|x| *x == row.input) {
                match row.point.as_str() {
                    "p10" => bars[i].ends[a].0 = v,
                    "p90" => bars[i].ends[a].1 = v,
                    _ => {}
                }
            }
        }
        if !any {
            return None;
        }
        for bar in &mut bars {
            for (a, e) in bar.ends.iter_mut().enumerate() {
                *e = (e.0 - base[a], e.1 - base[a]);
            }
        }
        let swing = |b: &Bar| {
            b.ends
                .iter()
                .map(|(l, h)| (h - l).abs())
                .filter(|s| s.is_finite())
                .fold(0.0, f64::max)
        };
        // Largest swing first; ties in the scenario's order (a stable sort).
        bars.sort_by(|x, y| swing(y).total_cmp(&swing(x)));
        bars.truncate(MAX_INPUTS);
        let region = &scn.regions[r].name;
        let tx = scn.lang.texts();
        let unit = crate::i18n::money_unit(scn.lang, &scn.money_unit, scn.yuan_per_unit);
        Some(Tornado {
            title: tx.f("sensitivity.tornado.title", &[("region", region)]),
            x_label: tx.f(
                "sensitivity.tornado.axis",
                &[("region", region), ("unit", &unit)],
            ),
            note: tx.t("sensitivity.tornado.note").to_owned(),
            alternatives: scn.alternatives.iter().map(|a| a.name.clone()).collect(),
            bars,
        })
    }

    /// Chart height in pixels.
    fn height(&self) -> u32 {
        let band = 16 * self.alternatives.len().max(1) as u32 + 16;
        200 + band * self.bars.len().max(1) as u32
    }
}

/// The inputs as a chart names them, in the scenario's language: each by its
/// words ([`crate::i18n::inputs::label`]), with its path when another input has
/// the same words (two sectors' revenue per mu read alike); by its path when it
/// has none. Shared by the tornado and the spider, so both name an input alike.
pub(super) fn labels(scn: &Scenario, inputs: &[String]) -> Vec<String> {
    let words: Vec<Option<String>> = inputs
        .iter()
        .map(|input| crate::i18n::inputs::label(scn, input, scn.lang))
        .collect();
    inputs
        .iter()
        .zip(&words)
        .map(|(input, w)| match w {
            Some(w) if words.iter().filter(|x| x.as_ref() == Some(w)).count() > 1 => {
                crate::i18n::inputs::named(scn, input, scn.lang)
            }
            Some(w) => w.clone(),
            None => input.clone(),
        })
        .collect()
}

/// The chart as an SVG document.
///
/// # Errors
/// If plotters fails to draw.
pub fn render_svg(t: &Tornado) -> Result<String, ChartError> {
    register_font();
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, t.height())).into_drawing_area();
        draw(t, &root).map_err(|message| ChartError::Draw {
            chart: "tornado".into(),
            message,
        })?;
    }
    Ok(scale_font_sizes(&svg, svg_font_scale()))
}

/// The chart as PNG bytes.
///
/// # Errors
/// If plotters fails to draw or the PNG cannot be encoded.
pub fn render_png(t: &Tornado) -> Result<Vec<u8>, ChartError> {
    register_font();
    let size = (WIDTH, t.height());
    let mut rgb = vec![0u8; (size.0 * size.1 * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut rgb, size).into_drawing_area();
        draw(t, &root).map_err(|message| ChartError::Draw {
            chart: "tornado".into(),
            message,
        })?;
    }
    encode_png(&rgb, size, "tornado")
}

/// `name` within [`MAX_NAME`] columns (a Chinese character takes two), its
/// end kept after an ellipsis when longer.
pub(super) fn short(name: &str) -> String {
    let columns = |c: char| if c.is_ascii() { 1 } else { 2 };
    if name.chars().map(columns).sum::<usize>() <= MAX_NAME {
        return name.to_owned();
    }
    let mut tail = Vec::new();
    let mut used = 1;
    for c in name.chars().rev() {
        used += columns(c);
        if used > MAX_NAME {
            break;
        }
        tail.push(c);
    }
    format!("…{}", tail.iter().rev().collect::<String>())
}

fn draw<DB: DrawingBackend>(t: &Tornado, root: &DrawingArea<DB, Shift>) -> DrawResult {
    root.fill(&WHITE).map_err(err)?;
    let (w, h) = root.dim_in_pixel();
    root.draw(&Text::new(
        t.title.clone(),
        (w as i32 / 2, 22),
        text(24).pos(Pos::new(HPos::Center, VPos::Center)),
    ))
    .map_err(err)?;
    // Legend: one swatch per alternative.
    let mut x = 40;
    for (a, name) in t.alternatives.iter().enumerate() {
        let c = ALT_COLOURS[a % ALT_COLOURS.len()];
        root.draw(&Rectangle::new([(x, 52), (x + 22, 68)], c.filled()))
            .map_err(err)?;
        root.draw(&Text::new(
            name.clone(),
            (x + 30, 60),
            text(16).pos(Pos::new(HPos::Left, VPos::Center)),
        ))
        .map_err(err)?;
        x += root
            .estimate_text_size(name, &text(16))
            .map_or(120, |(tw, _)| tw as i32)
            + 60;
    }
    let (mut lo, mut hi) = (0.0f64, 0.0f64);
    for bar in &t.bars {
        for &(l, u) in &bar.ends {
            for v in [l, u].into_iter().filter(|v| v.is_finite()) {
                lo = lo.min(v);
                hi = hi.max(v);
            }
        }
    }
    let (x0, x1) = axis_range(lo, hi, 1e-9, 0.08)?;
    let n = t.bars.len().max(1) as f64;
    let area = root.margin(84, 40, 0, 0);
    let mut chart = ChartBuilder::on(&area)
        .margin(12)
        .margin_left(340)
        .margin_right(28)
        .x_label_area_size(48)
        .build_cartesian_2d(x0..x1, 0.0..n)
        .map_err(err)?;
    chart
        .configure_mesh()
        .x_labels(10)
        .x_label_formatter(&|v| tick(*v))
        .disable_y_mesh()
        .y_labels(0)
        .x_desc(t.x_label.as_str())
        .label_style(text(14))
        .axis_desc_style(text(15))
        .light_line_style(RGBColor(245, 245, 245))
        .draw()
        .map_err(err)?;
    let n_alt = t.alternatives.len().max(1) as f64;
    for (i, bar) in t.bars.iter().enumerate() {
        // Input i's band, from the top: [n − i − 1, n − i].
        let top = n - i as f64;
        let (px, py) = chart.backend_coord(&(x0, top - 0.5));
        root.draw(&Text::new(
            short(&bar.label),
            (px - 10, py),
            text(14).pos(Pos::new(HPos::Right, VPos::Center)),
        ))
        .map_err(err)?;
        for (a, &(l, u)) in bar.ends.iter().enumerate() {
            let c = ALT_COLOURS[a % ALT_COLOURS.len()];
            let y_hi = top - 0.1 - 0.8 * a as f64 / n_alt;
            let y_lo = y_hi - 0.8 / n_alt * 0.85;
            // P10 end light, P90 end full colour.
            for (v, style) in [(l, c.mix(0.4).filled()), (u, c.filled())] {
                if v.is_finite() {
                    chart
                        .draw_series(std::iter::once(Rectangle::new(
                            [(0.0, y_lo), (v, y_hi)],
                            style,
                        )))
                        .map_err(err)?;
                }
            }
        }
    }
    chart
        .draw_series(std::iter::once(PathElement::new(
            vec![(0.0, 0.0), (0.0, n)],
            GREY.stroke_width(1),
        )))
        .map_err(err)?;
    root.draw(&Text::new(
        t.note.clone(),
        (w as i32 / 2, h as i32 - 16),
        text(15).pos(Pos::new(HPos::Center, VPos::Center)),
    ))
    .map_err(err)?;
    root.present().map_err(err)
}
