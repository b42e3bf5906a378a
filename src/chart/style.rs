//! Colours, fonts and shared drawing helpers of every chart.
//!
//! Regions keep one colour across all charts: region i of the scenario gets
//! [`region_colour`]`(i)`, from the Okabe–Ito palette (distinguishable with the
//! common forms of colour blindness), ordered so the first colours are the most
//! distinct on white.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::engine::MAX_RESULT_MAGNITUDE;
use crate::scenario::Scenario;

/// The font family the bundled font is registered under, written as a CSS list so
/// SVG viewers fall back to a system CJK font if they lack Noto Sans SC.
pub const FONT_FAMILY: &str =
    "Noto Sans SC, Noto Sans CJK SC, Source Han Sans SC, PingFang SC, Microsoft YaHei, sans-serif";

const PALETTE: [RGBColor; 8] = [
    RGBColor(0, 114, 178),   // blue
    RGBColor(213, 94, 0),    // vermillion
    RGBColor(0, 158, 115),   // bluish green
    RGBColor(204, 121, 167), // reddish purple
    RGBColor(230, 159, 0),   // orange
    RGBColor(86, 180, 233),  // sky blue
    RGBColor(85, 85, 85),    // dark grey
    RGBColor(240, 228, 66),  // yellow
];

/// The colour of region `i` in every chart.
pub fn region_colour(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

/// Grey for axes, zero lines and neutral marks.
pub const GREY: RGBColor = RGBColor(120, 120, 120);

/// Text of `size` pixels in the bundled font.
pub fn text(size: u32) -> TextStyle<'static> {
    (FONT_FAMILY, size).into_font().color(&BLACK)
}

/// Plotters' error as a string (the backends' error types differ).
pub type DrawResult = Result<(), String>;

/// Maps a plotters error to a string.
pub fn err<E: std::fmt::Display>(e: E) -> String {
    e.to_string()
}

/// Draws the chart title at the top and the region legend under it; returns the
/// area below them.
pub fn header<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    scn: &Scenario,
) -> Result<DrawingArea<DB, Shift>, String> {
    let (w, _) = root.dim_in_pixel();
    root.draw(&Text::new(
        title.to_owned(),
        (w as i32 / 2, 22),
        text(26).pos(Pos::new(HPos::Center, VPos::Center)),
    ))
    .map_err(err)?;
    // Legend: one swatch and display name per region, centred.
    let items: Vec<(usize, String)> = scn
        .regions
        .iter()
        .enumerate()
        .map(|(i, r)| (i, r.name.clone()))
        .collect();
    let widths: Vec<i32> = items
        .iter()
        .map(|(_, name)| {
            root.estimate_text_size(name, &text(18))
                .map_or(100, |(w, _)| w as i32)
                + 48
        })
        .collect();
    let total: i32 = widths.iter().sum();
    let mut x = (w as i32 - total).max(0) / 2;
    for ((i, name), width) in items.iter().zip(&widths) {
        let c = region_colour(*i);
        root.draw(&Rectangle::new([(x, 52), (x + 22, 68)], c.filled()))
            .map_err(err)?;
        root.draw(&Text::new(
            name.clone(),
            (x + 30, 60),
            text(18).pos(Pos::new(HPos::Left, VPos::Center)),
        ))
        .map_err(err)?;
        x += width;
    }
    Ok(root.margin(80, 0, 0, 0))
}

/// Axis label for money amounts: the unit and its price basis, in the results'
/// language.
pub fn money_label(res: &crate::results::Results) -> String {
    crate::i18n::money_label(res.lang, &res.scenario.money_basis())
}

/// The padded axis range around `[lo, hi]` (which includes 0): the span is at
/// least `min_span`, and `pad` of it is added on each side.
///
/// # Errors
/// When a value is not finite or beyond ±[`MAX_RESULT_MAGNITUDE`], the largest
/// result a run writes: plotters' tick search loops forever once the span of an
/// axis overflows, so such files (edited, or not from a run) are refused.
pub fn axis_range(lo: f64, hi: f64, min_span: f64, pad: f64) -> Result<(f64, f64), String> {
    let widest = if lo.abs() > hi.abs() { lo } else { hi };
    if widest.is_nan() || widest.abs() > MAX_RESULT_MAGNITUDE {
        return Err(format!(
            "a value of {widest:e} is beyond ±{MAX_RESULT_MAGNITUDE:e}, the largest result a run writes"
        ));
    }
    let pad = (hi - lo).max(min_span) * pad;
    Ok((lo - pad, hi + pad))
}

/// A compact number for axis ticks: 1 234, 12.5, 0.25, −3 000.
pub fn tick(v: f64) -> String {
    let a = v.abs();
    let s = if a >= 1e15 {
        format!("{v:.2e}")
    } else if a >= 100.0 || v.fract() == 0.0 {
        format!("{:.0}", v)
    } else if a >= 1.0 {
        format!("{:.1}", v)
    } else {
        format!("{:.2}", v)
    };
    if s.trim_start_matches('-')
        .chars()
        .all(|c| c == '0' || c == '.')
    {
        "0".into()
    } else {
        s.replace('-', "−")
    }
}
