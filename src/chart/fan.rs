//! Fan charts over the years: each region's cumulative cash flow under one
//! alternative, and the park's firms, occupancy and tax pool. A line marks the
//! median future, a dark band P25–P75 and a light band P5–P95.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::Chart;
use super::style::{
    DrawResult, GREY, axis_range, err, header, money_label, region_colour, text, tick,
};
use crate::results::{Results, SeriesRow};
use crate::schema::{ParkSeries, RegionSeries};

/// The range `[lo, hi]` (always including 0) of the P5, P50 and P95 of `rows`.
fn data_range<'a>(rows: impl IntoIterator<Item = &'a SeriesRow>) -> (f64, f64) {
    rows.into_iter()
        .flat_map(|r| [r.p05, r.p50, r.p95])
        .flatten()
        .fold((0.0f64, 0.0f64), |(lo, hi), v| (lo.min(v), hi.max(v)))
}

/// One panel: the fan of `rows` in `colour`, titled `title`, y axis `y_desc`;
/// `range` fixes the vertical scale's data range (else the rows' own).
fn fan_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    rows: &[&SeriesRow],
    colour: RGBColor,
    title: &str,
    y_desc: &str,
    percent: bool,
    range: Option<(f64, f64)>,
) -> DrawResult {
    let pts = |f: fn(&SeriesRow) -> Option<f64>| -> Vec<(f64, f64)> {
        rows.iter()
            .filter_map(|r| f(r).map(|v| (f64::from(r.year), v)))
            .collect()
    };
    let (p05, p25, p50, p75, p95) = (
        pts(|r| r.p05),
        pts(|r| r.p25),
        pts(|r| r.p50),
        pts(|r| r.p75),
        pts(|r| r.p95),
    );
    let years: Vec<f64> = rows.iter().map(|r| f64::from(r.year)).collect();
    let (y0, y1) = (
        years.first().copied().unwrap_or(0.0),
        years.last().copied().unwrap_or(1.0),
    );
    let (lo, hi) = range.unwrap_or_else(|| data_range(rows.iter().copied()));
    let (lo, hi) = axis_range(lo, hi, if percent { 0.01 } else { 1.0 }, 0.05)?;
    let mut chart = ChartBuilder::on(area)
        .margin(12)
        .margin_right(28)
        .margin_top(36)
        .x_label_area_size(36)
        .y_label_area_size(72)
        .build_cartesian_2d(y0..y1.max(y0 + 1.0), lo..hi)
        .map_err(err)?;
    let y_fmt = |v: &f64| {
        if percent {
            tick((100.0 * v).round()) + "%"
        } else {
            tick(*v)
        }
    };
    chart
        .configure_mesh()
        .x_labels(8)
        .x_label_formatter(&|v| format!("{v:.0}"))
        .y_labels(6)
        .y_label_formatter(&y_fmt)
        .y_desc(y_desc)
        .label_style(text(14))
        .axis_desc_style(text(15))
        .light_line_style(RGBColor(250, 250, 250))
        .draw()
        .map_err(err)?;
    let band = |lower: &[(f64, f64)], upper: &[(f64, f64)]| -> Vec<(f64, f64)> {
        upper
            .iter()
            .copied()
            .chain(lower.iter().rev().copied())
            .collect()
    };
    chart
        .draw_series(std::iter::once(Polygon::new(
            band(&p05, &p95),
            colour.mix(0.18).filled(),
        )))
        .map_err(err)?;
    chart
        .draw_series(std::iter::once(Polygon::new(
            band(&p25, &p75),
            colour.mix(0.38).filled(),
        )))
        .map_err(err)?;
    if lo < 0.0 && hi > 0.0 {
        chart
            .draw_series(std::iter::once(PathElement::new(
                vec![(y0, 0.0), (y1, 0.0)],
                GREY.stroke_width(1),
            )))
            .map_err(err)?;
    }
    chart
        .draw_series(LineSeries::new(p50, colour.stroke_width(3)))
        .map_err(err)?;
    let (w, _) = area.dim_in_pixel();
    area.draw(&Text::new(
        title.to_owned(),
        (w as i32 / 2, 16),
        text(18).pos(Pos::new(HPos::Center, VPos::Center)),
    ))
    .map_err(err)?;
    Ok(())
}

/// Each region's cumulative cash flow under alternative `a`, one panel per region.
/// A region's panel has the same vertical scale in every alternative's chart (the
/// range of its P5–P95 under all of them), so the charts compare by eye.
pub fn cash_flow<DB: DrawingBackend>(
    chart_def: &Chart,
    res: &Results,
    a: usize,
    root: &DrawingArea<DB, Shift>,
) -> DrawResult {
    let scn = &res.scenario;
    let alt = &scn.alternatives[a].name;
    let area = header(root, &chart_def.title, scn)?;
    let rows = scn.regions.len().div_ceil(2);
    let panels = area.split_evenly((rows, 2));
    let unit = money_label(res);
    let tx = res.lang.texts();
    for (r, region) in scn.regions.iter().enumerate() {
        let series = res.series(alt, &region.id, RegionSeries::CumulativeCashFlow);
        let shared = data_range(scn.alternatives.iter().flat_map(|other| {
            res.series(&other.name, &region.id, RegionSeries::CumulativeCashFlow)
        }));
        fan_panel(
            &panels[r],
            &series,
            region_colour(r),
            &region.name,
            &tx.f("chart.fan.axis", &[("unit", &unit)]),
            false,
            Some(shared),
        )?;
    }
    Ok(())
}

/// Draws a park chart's heading (its title and the scenario's name) and returns
/// the area below it.
fn park_heading<DB: DrawingBackend>(
    chart_def: &Chart,
    res: &Results,
    root: &DrawingArea<DB, Shift>,
) -> Result<DrawingArea<DB, Shift>, String> {
    let (w, _) = root.dim_in_pixel();
    root.draw(&Text::new(
        res.lang.texts().f(
            "chart.park.heading",
            &[
                ("title", &chart_def.title),
                ("scenario", &res.scenario.name),
            ],
        ),
        (w as i32 / 2, 22),
        text(24).pos(Pos::new(HPos::Center, VPos::Center)),
    ))
    .map_err(err)?;
    Ok(root.margin(44, 0, 0, 0))
}

/// The park: firms, occupancy and the local retained tax pool.
pub fn park<DB: DrawingBackend>(
    chart_def: &Chart,
    res: &Results,
    root: &DrawingArea<DB, Shift>,
) -> DrawResult {
    let area = park_heading(chart_def, res, root)?;
    let panels = area.split_evenly((1, 3));
    let colour = RGBColor(60, 60, 60);
    let unit = money_label(res);
    let tx = res.lang.texts();
    let specs = [
        (
            ParkSeries::Firms,
            tx.t("chart.park.firms"),
            tx.t("chart.park.firms_axis").to_owned(),
            false,
        ),
        (
            ParkSeries::Occupancy,
            tx.t("chart.park.occupancy"),
            tx.t("chart.park.occupancy_axis").to_owned(),
            true,
        ),
        (
            ParkSeries::TaxPool,
            tx.t("chart.park.pool"),
            tx.f("chart.park.pool_axis", &[("unit", &unit)]),
            false,
        ),
    ];
    for (panel, (metric, title, y_desc, percent)) in panels.iter().zip(specs) {
        let series = res.park_series(metric);
        fan_panel(panel, &series, colour, title, &y_desc, percent, None)?;
    }
    Ok(())
}

/// Yuan in 万元 (10,000 yuan): per-mu figures are shown in 万元 per mu, the unit
/// planners use.
pub const YUAN_PER_WAN: f64 = 1e4;

/// The park's performance: tax and output per occupied mu (in 万元 per mu), jobs
/// and all taxes, one panel each.
pub fn park_performance<DB: DrawingBackend>(
    chart_def: &Chart,
    res: &Results,
    root: &DrawingArea<DB, Shift>,
) -> DrawResult {
    let scn = &res.scenario;
    let tx = res.lang.texts();
    let area = park_heading(chart_def, res, root)?;
    let panels = area.split_evenly((2, 2));
    let colour = RGBColor(40, 90, 140);
    let unit = money_label(res);
    let wan = scn.yuan_per_unit / YUAN_PER_WAN;
    let specs = [
        (
            ParkSeries::TaxPerMu,
            tx.t("chart.performance.tax_per_mu"),
            tx.t("chart.performance.per_mu_axis").to_owned(),
            wan,
        ),
        (
            ParkSeries::OutputPerMu,
            tx.t("chart.performance.output_per_mu"),
            tx.t("chart.performance.per_mu_axis").to_owned(),
            wan,
        ),
        (
            ParkSeries::Jobs,
            tx.t("chart.performance.jobs"),
            tx.t("chart.performance.jobs_axis").to_owned(),
            1.0,
        ),
        (
            ParkSeries::TaxTotal,
            tx.t("chart.performance.tax"),
            tx.f("chart.park.pool_axis", &[("unit", &unit)]),
            1.0,
        ),
    ];
    for (panel, (metric, title, y_desc, scale)) in panels.iter().zip(specs) {
        // Years without occupied land have no per-mu figure: the fan starts later.
        let rows: Vec<SeriesRow> = res
            .park_series(metric)
            .into_iter()
            .filter(|r| r.p50.is_some())
            .map(|r| scaled(r, scale))
            .collect();
        let refs: Vec<&SeriesRow> = rows.iter().collect();
        fan_panel(panel, &refs, colour, title, &y_desc, false, None)?;
    }
    Ok(())
}

/// A yearly row with every statistic multiplied by `k`.
fn scaled(r: &SeriesRow, k: f64) -> SeriesRow {
    let m = |x: Option<f64>| x.map(|x| x * k);
    SeriesRow {
        mean: m(r.mean),
        sd: m(r.sd),
        p05: m(r.p05),
        p25: m(r.p25),
        p50: m(r.p50),
        p75: m(r.p75),
        p95: m(r.p95),
        ..r.clone()
    }
}
