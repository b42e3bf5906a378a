//! What each region gains and loses on one path under one alternative (MODEL.md §8).
//!
//! [`evaluate`] applies an alternative's three formulas to the pools of an
//! [`EconomyPath`] year by year, builds each region's cash flow and reduces it to
//! the metrics [`RegionMetric`] and the yearly series [`RegionSeries`] declared in
//! [`crate::schema`].
//! [`park_metrics`] and [`park_series`] report the park itself, which does not
//! depend on the alternative.
//!
//! # Formula
//! CF_r,t = tax_r,t + land_r,t + guarantee_r,t + dividends_r,t + terminal_r,t
//!        − cash contributions_r,t − capital calls_r,t − costs borne_r,t
//!        − displaced taxes_r,t − opportunity costs_r,t,
//! with cash flows at year end: NPV_r = Σ_t CF_r,t (1 + δ_r)^−(t+1).
//! `tax` and `land` are the formulas' shares before guarantee transfers; the
//! transfers (receipts positive, payments negative) are the `guarantee` term,
//! which also holds a guarantee contract's principal repaid and the stake income
//! it hands to the guarantor ([`crate::sharing::Formula::contract_flows`]).

use crate::economy::EconomyPath;
use crate::finance;
use crate::scenario::Alternative;
use crate::schema::{ParkMetric, ParkSeries, RegionMetric, RegionSeries};
use crate::sharing::{MAX_REGIONS, ShareContext, Stake};

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
/// `metrics[r * RegionMetric::COUNT + m]` and
/// `series[(r * RegionSeries::COUNT + s) * H + t]`. Undefined values (IRR,
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
    let mut invested_to_date = [0.0; MAX_REGIONS];
    let mut income = [0.0; MAX_REGIONS];
    let mut calls = [0.0; MAX_REGIONS];
    for t in 0..h {
        for r in 0..n {
            let i = r * h + t;
            cumulative[r] = econ.cumulative_contributions[i];
            // Capital paid in at the end of year t earns from year t + 1.
            invested[r] = invested_to_date[r];
            invested_to_date[r] = econ.invested_capital[i];
            income[r] = econ.dividends[i] + econ.terminal[i];
            calls[r] = econ.capital_calls[i];
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
        // Principal repaid and stake income handed over (validation allows them
        // in one of the two cash formulas only).
        let stake = Stake {
            invested_to_date: &invested_to_date[..n],
            income: &income[..n],
            calls: &calls[..n],
        };
        let mut contract = [0.0; MAX_REGIONS];
        alt.tax.contract_flows(k, &stake, &mut contract[..n]);
        alt.land.contract_flows(k, &stake, &mut contract[..n]);
        // GDP credit is statistics, not cash: a guarantee on it moves credit only.
        alt.gdp
            .allocate(k, econ.gdp[t], &ctx, &mut gdp[..n], &mut g_gdp[..n]);
        for r in 0..n {
            let i = r * h + t;
            scratch.tax[i] = tax[r] - g_tax[r];
            scratch.land[i] = land[r] - g_land[r];
            scratch.guarantee[i] = g_tax[r] + g_land[r] + contract[r];
            scratch.gdp[i] = gdp[r];
        }
    }

    let m_len = RegionMetric::COUNT;
    let s_len = RegionSeries::COUNT;
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
            series[base + RegionSeries::CashFlow.index() * h + t] = cf;
            series[base + RegionSeries::CumulativeCashFlow.index() * h + t] = cum;
            series[base + RegionSeries::TaxAllocation.index() * h + t] = scratch.tax[i];
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
        use RegionMetric as M;
        for (m, value) in [
            (M::Npv, npv),
            (M::NpvNegative, f64::from(u8::from(npv < 0.0))),
            (
                M::Participates,
                f64::from(u8::from(npv >= econ.outside_option[r])),
            ),
            (M::PvTax, pv_tax),
            (M::PvLand, pv_land),
            (M::PvGuarantee, pv_guarantee),
            (M::PvDividends, pv_dividends),
            (M::PvTerminal, pv_terminal),
            (M::PvCashContributions, pv_cash),
            (M::PvCapitalCalls, pv_calls),
            (M::PvCosts, pv_costs),
            (M::PvDisplaced, pv_displaced),
            (M::PvOpportunityCosts, pv_opportunity),
            (M::Irr, irr),
            (M::PaybackYears, payback),
            (M::GdpCredit, gdp_credit),
        ] {
            out[m.index()] = value;
        }
    }
}

/// Writes the [`ParkMetric`]s of a path into `out[m.index()]` (sums are undiscounted
/// totals over the horizon; `_final` values are those of the last year; jobs are
/// rounded to whole jobs).
pub fn park_metrics(econ: &EconomyPath, out: &mut [f64]) {
    let h = econ.horizon;
    let last = |v: &[f64]| v.get(h.wrapping_sub(1)).copied().unwrap_or(0.0);
    let sum = |v: &[f64]| v.iter().sum::<f64>();
    use ParkMetric as M;
    for (m, value) in [
        (M::FirmsFinal, last(&econ.firms)),
        (M::FirmYears, econ.firm_years as f64),
        (M::OccupancyFinal, last(&econ.occupancy)),
        (M::TaxTotal, sum(&econ.tax_total)),
        (M::TaxCentral, sum(&econ.tax_central)),
        (M::TaxLocal, sum(&econ.tax_local)),
        (M::TaxPool, sum(&econ.tax_pool)),
        (M::Rebates, sum(&econ.rebates)),
        (M::LandSales, sum(&econ.land_sales)),
        (M::Gdp, sum(&econ.gdp)),
        (M::JobsFinal, last(&econ.jobs).round()),
        (M::TurnedAway, econ.turned_away as f64),
        (M::PdcIrr, finance::irr(&econ.pdc_flow).unwrap_or(f64::NAN)),
    ] {
        out[m.index()] = value;
    }
}

/// Writes the [`ParkSeries`] of a path into `out[s.index() * H + t]`.
pub fn park_series(econ: &EconomyPath, out: &mut [f64]) {
    let h = econ.horizon;
    use ParkSeries as S;
    for (s, v) in [
        (S::Firms, &econ.firms),
        (S::Occupancy, &econ.occupancy),
        (S::TaxPool, &econ.tax_pool),
        (S::TaxTotal, &econ.tax_total),
        (S::TaxLocal, &econ.tax_local),
        (S::Gdp, &econ.gdp),
        (S::LandPool, &econ.land_pool),
    ] {
        let i = s.index();
        out[i * h..(i + 1) * h].copy_from_slice(v);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every declared measure is written: a measure added to the schema without the
    /// code that computes it leaves its NaN sentinel here.
    #[test]
    fn every_declared_measure_is_computed() {
        let scn = crate::scenario::Scenario::reference().expect("bundled scenario");
        let streams = crate::streams::Streams::new(1, &scn.params);
        let mut ws = crate::economy::Workspace::default();
        crate::economy::simulate_path(&scn, 30, &streams, 0, &mut ws);
        let econ = &ws.out;
        let n = econ.regions;
        let mut metrics = vec![f64::INFINITY; n * RegionMetric::COUNT];
        let mut series = vec![f64::INFINITY; n * RegionSeries::COUNT * 30];
        evaluate(
            econ,
            &scn.alternatives[0],
            &mut OutcomeScratch::default(),
            &mut metrics,
            &mut series,
        );
        assert!(metrics.iter().all(|x| !x.is_infinite()));
        assert!(series.iter().all(|x| x.is_finite()));
        let mut park = vec![f64::INFINITY; ParkMetric::COUNT];
        park_metrics(econ, &mut park);
        assert!(park.iter().all(|x| !x.is_infinite()));
        let mut ps = vec![f64::INFINITY; ParkSeries::COUNT * 30];
        park_series(econ, &mut ps);
        assert!(ps.iter().all(|x| x.is_finite()));
    }
}
