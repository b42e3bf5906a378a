//! What each region gains and loses on one path under one alternative (MODEL.md §8).
//!
//! [`evaluate`] applies an alternative's three formulas to the pools of an
//! [`EconomyPath`] year by year, builds each region's cash flow and reduces it to
//! the metrics in [`REGION_METRICS`] and the yearly series in [`REGION_SERIES`].
//! [`park_metrics`] and [`park_series`] report the park itself, which does not
//! depend on the alternative.
//!
//! # Formula
//! CF_r,t = tax_r,t + land_r,t + guarantee_r,t + dividends_r,t + terminal_r,t
//!        − cash contributions_r,t − capital calls_r,t − costs borne_r,t
//!        − displaced taxes_r,t − opportunity costs_r,t,
//! with cash flows at year end: NPV_r = Σ_t CF_r,t (1 + δ_r)^−(t+1).
//! `tax` and `land` are the formulas' shares before guarantee transfers; the
//! transfers (receipts positive, payments negative) are the `guarantee` term.

use crate::economy::EconomyPath;
use crate::finance;
use crate::scenario::Alternative;
use crate::sharing::{MAX_REGIONS, ShareContext};

/// Per-region metrics, in record order. `payback_years` counts years of cooperation
/// until the cumulative cash flow turns non-negative for good (year k = t + 1).
/// `npv_negative` and `participates` are indicators (1 or 0) of NPV < 0 and
/// NPV ≥ the outside option: their means are the probabilities.
pub const REGION_METRICS: [&str; 16] = [
    "npv",
    "npv_negative",
    "participates",
    "pv_tax",
    "pv_land",
    "pv_guarantee",
    "pv_dividends",
    "pv_terminal",
    "pv_cash_contributions",
    "pv_capital_calls",
    "pv_costs",
    "pv_displaced",
    "pv_opportunity_costs",
    "irr",
    "payback_years",
    "gdp_credit",
];

/// Index of `npv` in [`REGION_METRICS`].
pub const NPV: usize = 0;
/// Index of `npv_negative` in [`REGION_METRICS`].
pub const NPV_NEGATIVE: usize = 1;

/// Index of a region metric by name.
pub fn region_metric_index(name: &str) -> Option<usize> {
    REGION_METRICS.iter().position(|m| *m == name)
}

/// Per-region yearly series, in record order.
pub const REGION_SERIES: [&str; 3] = ["cash_flow", "cumulative_cash_flow", "tax_allocation"];

/// Park-level metrics (the same under every alternative), in record order.
pub const PARK_METRICS: [&str; 13] = [
    "firms_final",
    "firm_years",
    "occupancy_final",
    "tax_total",
    "tax_central",
    "tax_local",
    "tax_pool",
    "rebates",
    "land_sales",
    "gdp",
    "jobs_final",
    "turned_away",
    "pdc_irr",
];

/// Park-level yearly series, in record order.
pub const PARK_SERIES: [&str; 7] = [
    "firms",
    "occupancy",
    "tax_pool",
    "tax_total",
    "tax_local",
    "gdp",
    "land_pool",
];

/// Reusable buffers for [`evaluate`].
#[derive(Debug, Clone, Default)]
pub struct OutcomeScratch {
    tax: Vec<f64>,
    land: Vec<f64>,
    guarantee: Vec<f64>,
    gdp: Vec<f64>,
    cash_flow: Vec<f64>,
    discount: Vec<f64>,
}

fn reset(v: &mut Vec<f64>, len: usize) {
    v.clear();
    v.resize(len, 0.0);
}

/// Allocates the path's pools under `alt` and writes, for each region r,
/// `metrics[r * REGION_METRICS.len() + m]` and
/// `series[(r * REGION_SERIES.len() + s) * H + t]`. Undefined values (IRR,
/// payback) are NaN.
pub fn evaluate(
    econ: &EconomyPath,
    alt: &Alternative,
    scratch: &mut OutcomeScratch,
    metrics: &mut [f64],
    series: &mut [f64],
) {
    let n = econ.regions;
    let h = econ.horizon;
    for v in [
        &mut scratch.tax,
        &mut scratch.land,
        &mut scratch.guarantee,
        &mut scratch.gdp,
    ] {
        reset(v, n * h);
    }
    reset(&mut scratch.cash_flow, h);
    reset(&mut scratch.discount, h);

    let mut cumulative = [0.0; MAX_REGIONS];
    let mut invested = [0.0; MAX_REGIONS];
    for t in 0..h {
        for r in 0..n {
            cumulative[r] = econ.cumulative_contributions[r * h + t];
            invested[r] = econ.invested_capital[r * h + t];
        }
        let ctx = ShareContext {
            equity: &econ.equity,
            cumulative_contributions: &cumulative[..n],
            invested_capital: &invested[..n],
        };
        let k = t as u32 + 1;
        let mut tax = [0.0; MAX_REGIONS];
        let mut land = [0.0; MAX_REGIONS];
        let mut gdp = [0.0; MAX_REGIONS];
        let mut g_tax = [0.0; MAX_REGIONS];
        let mut g_land = [0.0; MAX_REGIONS];
        let mut g_gdp = [0.0; MAX_REGIONS];
        alt.tax
            .allocate(k, econ.tax_pool[t], &ctx, &mut tax[..n], &mut g_tax[..n]);
        alt.land
            .allocate(k, econ.land_pool[t], &ctx, &mut land[..n], &mut g_land[..n]);
        // GDP credit is statistics, not cash: a guarantee on it moves credit only.
        alt.gdp
            .allocate(k, econ.gdp[t], &ctx, &mut gdp[..n], &mut g_gdp[..n]);
        for r in 0..n {
            let i = r * h + t;
            scratch.tax[i] = tax[r] - g_tax[r];
            scratch.land[i] = land[r] - g_land[r];
            scratch.guarantee[i] = g_tax[r] + g_land[r];
            scratch.gdp[i] = gdp[r];
        }
    }

    let m_len = REGION_METRICS.len();
    let s_len = REGION_SERIES.len();
    for r in 0..n {
        let rr = r * h..(r + 1) * h;
        let delta = econ.discount_rate[r];
        let mut df = 1.0;
        for t in 0..h {
            df /= 1.0 + delta;
            scratch.discount[t] = df;
        }
        let pv = |v: &[f64]| -> f64 {
            v[rr.clone()]
                .iter()
                .zip(&scratch.discount)
                .map(|(x, d)| x * d)
                .sum()
        };
        let pv_tax = pv(&scratch.tax);
        let pv_land = pv(&scratch.land);
        let pv_guarantee = pv(&scratch.guarantee);
        let pv_dividends = pv(&econ.dividends);
        let pv_terminal = pv(&econ.terminal);
        let pv_cash = pv(&econ.cash_contributions);
        let pv_calls = pv(&econ.capital_calls);
        let pv_costs = pv(&econ.costs_borne);
        let pv_displaced = pv(&econ.displaced);
        let pv_opportunity = pv(&econ.opportunity_costs);

        let mut cum = 0.0;
        let base = r * s_len * h;
        for t in 0..h {
            let i = r * h + t;
            let cf = scratch.tax[i]
                + scratch.land[i]
                + scratch.guarantee[i]
                + econ.dividends[i]
                + econ.terminal[i]
                - econ.cash_contributions[i]
                - econ.capital_calls[i]
                - econ.costs_borne[i]
                - econ.displaced[i]
                - econ.opportunity_costs[i];
            scratch.cash_flow[t] = cf;
            cum += cf;
            series[base + t] = cf;
            series[base + h + t] = cum;
            series[base + 2 * h + t] = scratch.tax[i];
        }
        let npv: f64 = scratch
            .cash_flow
            .iter()
            .zip(&scratch.discount)
            .map(|(x, d)| x * d)
            .sum();
        let irr = finance::irr(&scratch.cash_flow).unwrap_or(f64::NAN);
        let payback =
            finance::payback_index(&scratch.cash_flow).map_or(f64::NAN, |i| (i + 1) as f64);
        let gdp_credit: f64 = scratch.gdp[rr.clone()].iter().sum();
        let out = &mut metrics[r * m_len..(r + 1) * m_len];
        out.copy_from_slice(&[
            npv,
            f64::from(u8::from(npv < 0.0)),
            f64::from(u8::from(npv >= econ.outside_option[r])),
            pv_tax,
            pv_land,
            pv_guarantee,
            pv_dividends,
            pv_terminal,
            pv_cash,
            pv_calls,
            pv_costs,
            pv_displaced,
            pv_opportunity,
            irr,
            payback,
            gdp_credit,
        ]);
    }
}

/// Writes the [`PARK_METRICS`] of a path into `out` (sums are undiscounted totals
/// over the horizon; `_final` values are those of the last year).
pub fn park_metrics(econ: &EconomyPath, out: &mut [f64]) {
    let h = econ.horizon;
    let last = |v: &[f64]| v.get(h.wrapping_sub(1)).copied().unwrap_or(0.0);
    let sum = |v: &[f64]| v.iter().sum::<f64>();
    out.copy_from_slice(&[
        last(&econ.firms),
        econ.firm_years as f64,
        last(&econ.occupancy),
        sum(&econ.tax_total),
        sum(&econ.tax_central),
        sum(&econ.tax_local),
        sum(&econ.tax_pool),
        sum(&econ.rebates),
        sum(&econ.land_sales),
        sum(&econ.gdp),
        last(&econ.jobs),
        econ.turned_away as f64,
        finance::irr(&econ.pdc_flow).unwrap_or(f64::NAN),
    ]);
}

/// Writes the [`PARK_SERIES`] of a path into `out[s * H + t]`.
pub fn park_series(econ: &EconomyPath, out: &mut [f64]) {
    let h = econ.horizon;
    for (s, v) in [
        &econ.firms,
        &econ.occupancy,
        &econ.tax_pool,
        &econ.tax_total,
        &econ.tax_local,
        &econ.gdp,
        &econ.land_pool,
    ]
    .into_iter()
    .enumerate()
    {
        out[s * h..(s + 1) * h].copy_from_slice(v);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metric_indices_name_their_metrics() {
        assert_eq!(REGION_METRICS[NPV], "npv");
        assert_eq!(REGION_METRICS[NPV_NEGATIVE], "npv_negative");
        assert_eq!(region_metric_index("irr"), Some(REGION_METRICS.len() - 3));
        assert_eq!(region_metric_index("nothing"), None);
    }
}
