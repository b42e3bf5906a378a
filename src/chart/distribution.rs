//! Charts that compare alternatives across regions: NPV distributions (violins)
//! and the alternatives side by side (expected NPV with intervals, risk of loss).
//!
//! Alternatives are rows, top to bottom in scenario order; within a row each
//! region has its own lane in its colour.

use plotters::coord::Shift;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::Chart;
use super::style::{
    DrawResult, GREY, axis_range, err, header, money_label, region_colour, text, tick,
};
use crate::results::Results;
use crate::schema::RegionMetric;

/// Width of the label column holding alternative names.
const NAMES: u32 = 250;

/// Row geometry: the y centre of region `r`'s lane in alternative `a`'s row, and
/// the lane's half height, on a y axis running from 0 (bottom) to `n_alt` (top).
fn lane(a: usize, r: usize, n_alt: usize, n_reg: usize) -> (f64, f64) {
    let top = (n_alt - a) as f64 - 0.1;
    let lane = 0.8 / n_reg as f64;
    (top - (r as f64 + 0.5) * lane, lane * 0.45)
}

/// Axes with alternatives as rows (no y labels; names are written by
/// [`row_names`]), `x` horizontally, grey separators between rows and, when `x`
/// spans zero, a zero line.
fn row_axes<'a, DB: DrawingBackend>(
    area: &'a DrawingArea<DB, Shift>,
    x: (f64, f64),
    rows: usize,
    margins: (u32, u32),
    x_labels: usize,
    x_fmt: &dyn Fn(&f64) -> String,
    x_desc: &str,
) -> Result<ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>, String> {
    let (x0, x1) = x;
    let mut chart = ChartBuilder::on(area)
        .margin_left(margins.0)
        .margin_right(margins.1)
        .x_label_area_size(60)
        .build_cartesian_2d(x0..x1, 0.0..rows as f64)
        .map_err(err)?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .y_labels(0)
        .x_labels(x_labels)
        .x_label_formatter(x_fmt)
        .x_desc(x_desc)
        .label_style(text(16))
        .axis_desc_style(text(18))
        .light_line_style(RGBColor(250, 250, 250))
        .draw()
        .map_err(err)?;
    let separators = (1..rows).map(|a| {
        PathElement::new(
            vec![(x0, a as f64), (x1, a as f64)],
            RGBColor(225, 225, 225),
        )
    });
    chart.draw_series(separators).map_err(err)?;
    if x0 < 0.0 && x1 > 0.0 {
        let zero = PathElement::new(vec![(0.0, 0.0), (0.0, rows as f64)], GREY.stroke_width(2));
        chart.draw_series(std::iter::once(zero)).map_err(err)?;
    }
    Ok(chart)
}

/// Writes alternative names left of each row, at the row's centre.
fn row_names<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    chart: &ChartContext<'_, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>,
    res: &Results,
    x_left: f64,
) -> DrawResult {
    let n_alt = res.scenario.alternatives.len();
    let (bx, by) = root.get_base_pixel();
    for (a, alt) in res.scenario.alternatives.iter().enumerate() {
        let (px, py) = chart.backend_coord(&(x_left, (n_alt - a) as f64 - 0.5));
        root.draw(&Text::new(
            alt.name.clone(),
            (px - bx - 12, py - by),
            text(17).pos(Pos::new(HPos::Right, VPos::Center)),
        ))
        .map_err(err)?;
    }
    Ok(())
}

/// Kernel density of the percentile values `qs` on 80 points from the first to
/// the last.
///
/// # Formula
/// f(x) = 1/(n h) Σ_i φ((x − v_i)/h), h = 0.9 min(sd, IQR/1.34) n^(−1/5).
fn kernel_density(qs: &[(f64, f64)]) -> Vec<(f64, f64)> {
    let v: Vec<f64> = qs.iter().map(|q| q.1).collect();
    let n = v.len() as f64;
    let mean = v.iter().sum::<f64>() / n;
    let sd = (v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
    let iqr = v[(3 * v.len()) / 4] - v[v.len() / 4];
    let spread = if iqr > 0.0 { sd.min(iqr / 1.34) } else { sd };
    let h = 0.9 * spread * n.powf(-0.2);
    let (lo, hi) = (v[0], v[v.len() - 1]);
    if h <= 0.0 || hi <= lo {
        return vec![(lo, 1.0), (hi, 1.0)];
    }
    (0..80)
        .map(|i| {
            let x = lo + (hi - lo) * f64::from(i) / 79.0;
            let d = v
                .iter()
                .map(|vi| (-0.5 * ((x - vi) / h).powi(2)).exp())
                .sum::<f64>();
            (x, d)
        })
        .collect()
}

/// Violins of each region's NPV under each alternative, P5/P50/P95 marked.
pub fn npv_distribution<DB: DrawingBackend>(
    chart_def: &Chart,
    res: &Results,
    root: &DrawingArea<DB, Shift>,
) -> DrawResult {
    let scn = &res.scenario;
    let (n_alt, n_reg) = (scn.alternatives.len(), scn.regions.len());
    let quantiles: Vec<Vec<Vec<(f64, f64)>>> = scn
        .alternatives
        .iter()
        .map(|alt| {
            scn.regions
                .iter()
                .map(|reg| res.quantiles(&alt.name, &reg.id, RegionMetric::Npv))
                .collect()
        })
        .collect();
    let values = quantiles.iter().flatten().flatten().map(|&(_, v)| v);
    let (lo, hi) = values.fold((0.0f64, 0.0f64), |(lo, hi), v| (lo.min(v), hi.max(v)));
    let (x0, x1) = axis_range(lo, hi, 1.0, 0.04)?;

    let area = header(root, &chart_def.title, scn)?;
    let mut chart = row_axes(
        &area,
        (x0, x1),
        n_alt,
        (NAMES, 30),
        10,
        &|v| tick(*v),
        &res.lang
            .texts()
            .f("chart.npv.axis", &[("unit", &money_label(res))]),
    )?;

    for (a, per_region) in quantiles.iter().enumerate() {
        for (r, qs) in per_region.iter().enumerate() {
            if qs.len() < 3 {
                continue;
            }
            let colour = region_colour(r);
            let (y, half) = lane(a, r, n_alt, n_reg);
            // Density: a Gaussian kernel over the 99 percentiles (an equal-weight
            // sample of the distribution), Silverman's bandwidth, from P1 to P99.
            let density = kernel_density(qs);
            let peak = density.iter().map(|d| d.1).fold(0.0f64, f64::max);
            let scale = |d: f64| if peak > 0.0 { half * d / peak } else { half };
            let (first, last) = (qs[0].1, qs[qs.len() - 1].1);
            let mids: Vec<(f64, f64)> = density;
            let mut outline = vec![(first, y)];
            outline.extend(mids.iter().map(|&(v, d)| (v, y + scale(d))));
            outline.push((last, y));
            outline.extend(mids.iter().rev().map(|&(v, d)| (v, y - scale(d))));
            chart
                .draw_series(std::iter::once(Polygon::new(
                    outline.clone(),
                    colour.mix(0.35).filled(),
                )))
                .map_err(err)?;
            chart
                .draw_series(std::iter::once(PathElement::new(
                    outline,
                    colour.stroke_width(1),
                )))
                .map_err(err)?;
            let at = |q: f64| {
                qs.iter()
                    .min_by(|a, b| (a.0 - q).abs().total_cmp(&(b.0 - q).abs()))
                    .map_or(f64::NAN, |p| p.1)
            };
            for q in [0.05, 0.95] {
                let v = at(q);
                chart
                    .draw_series(std::iter::once(PathElement::new(
                        vec![(v, y - half * 0.9), (v, y + half * 0.9)],
                        colour.stroke_width(3),
                    )))
                    .map_err(err)?;
            }
            chart
                .draw_series(std::iter::once(Circle::new(
                    (at(0.5), y),
                    5,
                    BLACK.filled(),
                )))
                .map_err(err)?;
        }
    }
    row_names(root, &chart, res, x0)
}

/// The axes of a comparison panel: alternatives as rows.
type RowAxes<'a, DB> = ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

/// A comparison chart: under the title and legend, a money panel (`x`, 68% of the
/// width, alternatives named on its left) and a percentage panel, which `draw`
/// fills.
fn money_and_percent<DB: DrawingBackend>(
    chart_def: &Chart,
    res: &Results,
    root: &DrawingArea<DB, Shift>,
    x: (f64, f64),
    descriptions: (&str, &str),
    draw: impl FnOnce(&mut RowAxes<'_, DB>, &mut RowAxes<'_, DB>) -> DrawResult,
) -> DrawResult {
    let n_alt = res.scenario.alternatives.len();
    let area = header(root, &chart_def.title, &res.scenario)?;
    let (w, _) = area.dim_in_pixel();
    let (left, right) = area.split_horizontally(w * 68 / 100);
    let mut money = row_axes(
        &left,
        x,
        n_alt,
        (NAMES, 20),
        8,
        &|v| tick(*v),
        descriptions.0,
    )?;
    let mut percent = row_axes(
        &right,
        (0.0, 100.0),
        n_alt,
        (10, 30),
        6,
        &|v| format!("{v:.0}%"),
        descriptions.1,
    )?;
    draw(&mut money, &mut percent)?;
    row_names(root, &money, res, x.0)
}

/// A region's bar of probability `p` in its lane (`y` ± `half`), labelled. The
/// probability is clamped into [0, 1] so that no value, however it was edited in a
/// CSV file, maps outside the drawing (plotters' pixel arithmetic overflows).
fn probability_bar<DB: DrawingBackend>(
    chart: &mut RowAxes<'_, DB>,
    (y, half): (f64, f64),
    p: f64,
    colour: RGBColor,
) -> DrawResult {
    let p = p.clamp(0.0, 1.0);
    chart
        .draw_series(std::iter::once(Rectangle::new(
            [(0.0, y - half), (100.0 * p, y + half)],
            colour.mix(0.8).filled(),
        )))
        .map_err(err)?;
    chart
        .draw_series(std::iter::once(Text::new(
            format!("{:.0}%", 100.0 * p),
            ((100.0 * p + 1.5).min(88.0), y),
            text(14).pos(Pos::new(HPos::Left, VPos::Center)),
        )))
        .map_err(err)?;
    Ok(())
}

/// Expected NPV with its 90% interval (left) and P(NPV < 0) (right), per
/// alternative and region.
pub fn alternatives<DB: DrawingBackend>(
    chart_def: &Chart,
    res: &Results,
    root: &DrawingArea<DB, Shift>,
) -> DrawResult {
    let scn = &res.scenario;
    let (n_alt, n_reg) = (scn.alternatives.len(), scn.regions.len());
    let get = |a: usize, r: usize, m: RegionMetric| {
        res.summary(&scn.alternatives[a].name, &scn.regions[r].id, m)
    };
    let mut lo = 0.0f64;
    let mut hi = 0.0f64;
    for a in 0..n_alt {
        for r in 0..n_reg {
            if let Some(s) = get(a, r, RegionMetric::Npv) {
                for v in [s.p05, s.p95, s.mean].into_iter().flatten() {
                    lo = lo.min(v);
                    hi = hi.max(v);
                }
            }
        }
    }
    let x = axis_range(lo, hi, 1.0, 0.04)?;
    let tx = res.lang.texts();
    let npv_desc = tx.f(
        "chart.alternatives.axis_npv",
        &[("unit", &money_label(res))],
    );
    money_and_percent(
        chart_def,
        res,
        root,
        x,
        (&npv_desc, tx.t("chart.alternatives.axis_loss")),
        |npv, risk| {
            for a in 0..n_alt {
                for r in 0..n_reg {
                    let colour = region_colour(r);
                    let (y, half) = lane(a, r, n_alt, n_reg);
                    if let Some(s) = get(a, r, RegionMetric::Npv) {
                        if let (Some(p05), Some(p95)) = (s.p05, s.p95) {
                            npv.draw_series(std::iter::once(PathElement::new(
                                vec![(p05, y), (p95, y)],
                                colour.stroke_width(3),
                            )))
                            .map_err(err)?;
                            for v in [p05, p95] {
                                npv.draw_series(std::iter::once(PathElement::new(
                                    vec![(v, y - half * 0.6), (v, y + half * 0.6)],
                                    colour.stroke_width(2),
                                )))
                                .map_err(err)?;
                            }
                        }
                        if let Some(mean) = s.mean {
                            npv.draw_series(std::iter::once(Circle::new(
                                (mean, y),
                                6,
                                colour.filled(),
                            )))
                            .map_err(err)?;
                        }
                    }
                    if let Some(p) = get(a, r, RegionMetric::NpvNegative).and_then(|s| s.mean) {
                        probability_bar(risk, (y, half), p, colour)?;
                    }
                }
            }
            Ok(())
        },
    )
}

/// Each region's expected NPV (filled dot) against its Shapley value (ring), joined
/// by the gap, and the probability that it participates (bars) with the
/// probability that every region does (a black mark across the row).
pub fn fairness<DB: DrawingBackend>(
    chart_def: &Chart,
    res: &Results,
    root: &DrawingArea<DB, Shift>,
) -> DrawResult {
    use crate::fairness::Metric;
    let scn = &res.scenario;
    let (n_alt, n_reg) = (scn.alternatives.len(), scn.regions.len());
    let get = |a: usize, region: &str, m: Metric| {
        res.fairness(&scn.alternatives[a].name, region, m)
            .and_then(|row| row.mean)
    };
    let mut lo = 0.0f64;
    let mut hi = 0.0f64;
    for a in 0..n_alt {
        for region in &scn.regions {
            for m in [Metric::Npv, Metric::Shapley] {
                if let Some(v) = get(a, &region.id, m) {
                    lo = lo.min(v);
                    hi = hi.max(v);
                }
            }
        }
    }
    let x = axis_range(lo, hi, 1.0, 0.06)?;
    let tx = res.lang.texts();
    let values_key = if res.run.coalitions {
        "chart.fairness.axis_values"
    } else {
        "chart.fairness.axis_values_off"
    };
    let values_desc = tx.f(values_key, &[("unit", &money_label(res))]);
    let descriptions = (values_desc.as_str(), tx.t("chart.fairness.axis_sign"));
    money_and_percent(chart_def, res, root, x, descriptions, |values, sign| {
        for a in 0..n_alt {
            for (r, region) in scn.regions.iter().enumerate() {
                let colour = region_colour(r);
                let (y, half) = lane(a, r, n_alt, n_reg);
                let npv = get(a, &region.id, Metric::Npv);
                let shapley = get(a, &region.id, Metric::Shapley);
                if let (Some(x), Some(phi)) = (npv, shapley) {
                    values
                        .draw_series(std::iter::once(PathElement::new(
                            vec![(x, y), (phi, y)],
                            colour.stroke_width(3),
                        )))
                        .map_err(err)?;
                }
                if let Some(phi) = shapley {
                    values
                        .draw_series(std::iter::once(Circle::new(
                            (phi, y),
                            7,
                            colour.stroke_width(2),
                        )))
                        .map_err(err)?;
                }
                if let Some(x) = npv {
                    values
                        .draw_series(std::iter::once(Circle::new((x, y), 6, colour.filled())))
                        .map_err(err)?;
                }
                if let Some(p) = get(a, &region.id, Metric::Participation) {
                    probability_bar(sign, (y, half), p, colour)?;
                }
            }
            let joint = get(a, crate::output::ALL_REGIONS, Metric::JointParticipation);
            if let Some(p) = joint.map(|p| p.clamp(0.0, 1.0)) {
                let top = (n_alt - a) as f64 - 0.08;
                let bottom = (n_alt - a - 1) as f64 + 0.08;
                sign.draw_series(std::iter::once(PathElement::new(
                    vec![(100.0 * p, bottom), (100.0 * p, top)],
                    BLACK.stroke_width(3),
                )))
                .map_err(err)?;
            }
        }
        Ok(())
    })
}
