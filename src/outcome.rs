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
//!        + provincial take received_r,t − cash contributions_r,t − capital calls_r,t − costs borne_r,t
//!        − displaced taxes_r,t − opportunity costs_r,t (+ continuation_r at t = H−1),
//! with cash flows at year end: NPV_r = Σ_t CF_r,t (1 + δ_r)^−(t+1).
//! With `[outcome] continuation = "perpetuity"` the last year's cash flow also
//! holds the region's continuation value (see the private `continuation` function).
//! `tax` and `land` are the formulas' shares before guarantee transfers; the
//! transfers (receipts positive, payments negative) are the `guarantee` term,
//! which also holds a guarantee contract's principal repaid and the stake income
//! it hands to the guarantor ([`crate::sharing::Formula::contract_flows`]).

use crate::economy::EconomyPath;
use crate::finance;
use crate::scenario::limits::MAX_CONTINUATION_SETTLE_YEAR;
use crate::scenario::{Alternative, CapAmount, Continuation, TaxPool};
use crate::schema::{ParkMetric, ParkSeries, RegionMetric, RegionSeries};
use crate::sharing::{Ahead, Formula, MAX_REGIONS, ShareContext, Stake};

/// Reusable buffers for [`evaluate`].
#[derive(Debug, Clone, Default)]
pub struct OutcomeScratch {
    tax: Vec<f64>,
    land: Vec<f64>,
    guarantee: Vec<f64>,
    gdp: Vec<f64>,
    /// Owed by the collector but not paid (negative for the regions owed, positive
    /// for the collector).
    withheld: Vec<f64>,
    cash_flow: Vec<f64>,
    discount: Vec<f64>,
    /// [`evaluate`]'s path values.
    path_values: PathValues,
    /// [`npv`]'s table of the path's years.
    years: YearTable,
}

impl OutcomeScratch {
    /// Region `r`'s allocations in year `t` of a path of `horizon` years under
    /// the alternative [`evaluate`] last evaluated: tax share, land share,
    /// guarantee transfer, withheld (negative when owed and not paid) and GDP
    /// credit; for `enclave run --replay`.
    pub fn allocations(&self, horizon: usize, r: usize, t: usize) -> [f64; 5] {
        let i = r * horizon + t;
        let at = |v: &[f64]| v.get(i).copied().unwrap_or(0.0);
        [
            at(&self.tax),
            at(&self.land),
            at(&self.guarantee),
            at(&self.withheld),
            at(&self.gdp),
        ]
    }
}

/// Zeroes `v` at length `len`, for a buffer that is added into.
fn reset(v: &mut Vec<f64>, len: usize) {
    v.clear();
    v.resize(len, 0.0);
}

/// Sets the length of `v` to `len`, for a buffer whose every element is written
/// before it is read (zeroing it first would be wasted).
fn fit(v: &mut Vec<f64>, len: usize) {
    v.resize(len, 0.0);
}

/// What the formulas read of a path each year besides the pools, by year
/// (`[t * n + r]`, region r in year t), where the path holds it by region: the year
/// loop of [`allocate_years`] takes a year as one slice of each, where it gathered
/// it region by region for every alternative.
#[derive(Debug, Clone, Default)]
struct YearTable {
    /// Cumulative contributions to the end of year t.
    cumulative: Vec<f64>,
    /// Invested capital paid in by the end of year t − 1 (0 in year 0): capital
    /// paid in at the end of year t earns from year t + 1.
    invested: Vec<f64>,
    /// Invested capital paid in by the end of year t.
    invested_to_date: Vec<f64>,
    /// Dividends and terminal value received in year t.
    income: Vec<f64>,
    /// Capital calls paid in year t.
    calls: Vec<f64>,
}

impl YearTable {
    /// The table of path `econ` (reusing the buffers).
    fn fill(&mut self, econ: &EconomyPath) {
        let (n, h) = (econ.regions, econ.horizon);
        for v in [
            &mut self.cumulative,
            &mut self.invested,
            &mut self.invested_to_date,
            &mut self.income,
            &mut self.calls,
        ] {
            fit(v, n * h);
        }
        for r in 0..n {
            let mut before = 0.0;
            for t in 0..h {
                let (i, j) = (r * h + t, t * n + r);
                self.cumulative[j] = econ.cumulative_contributions[i];
                self.invested[j] = before;
                before = econ.invested_capital[i];
                self.invested_to_date[j] = before;
                self.income[j] = econ.dividends[i] + econ.terminal[i];
                self.calls[j] = econ.capital_calls[i];
            }
        }
    }

    /// The last year's row of `v` (one of the table's fields), by region; 0
    /// without years.
    fn last(v: &[f64], n: usize) -> [f64; MAX_REGIONS] {
        let mut out = [0.0; MAX_REGIONS];
        if let Some(year) = v.len().checked_sub(n).map(|start| &v[start..]) {
            out[..n].copy_from_slice(year);
        }
        out
    }
}

/// What every alternative of a path reads alike: each region's discount factors
/// and the present values of the path's own flows (dividends, terminal value,
/// provincial take, contributions, calls, costs, displaced taxes, opportunity
/// costs, in-kind values). [`evaluate_with`] takes them from here, so a path's
/// alternatives compute them once.
#[derive(Debug, Clone, Default)]
pub struct PathValues {
    /// Discount factors of region r in `[r * H .. (r + 1) * H]`.
    discount: Vec<f64>,
    /// The present values of region r, in the order of [`PathValues::fill`].
    pv: Vec<[f64; PATH_PVS]>,
    /// The path's years as the formulas read them.
    years: YearTable,
    /// The GDP credit split by equity shares, the default GDP formula, which the
    /// alternatives that keep it would each split alike: region r's years in
    /// `[r * H .. (r + 1) * H]`.
    gdp_by_equity: Vec<f64>,
}

/// Number of present values of a region in [`PathValues`].
const PATH_PVS: usize = 9;

impl PathValues {
    /// The values of path `econ` (reusing the buffers).
    pub fn fill(&mut self, econ: &EconomyPath) {
        let (n, h) = (econ.regions, econ.horizon);
        reset(&mut self.discount, n * h);
        self.pv.clear();
        for r in 0..n {
            let rr = r * h..(r + 1) * h;
            let discount = &mut self.discount[rr.clone()];
            discount_factors(econ.discount_rate[r], discount);
            let pv = |v: &[f64]| -> f64 {
                v[rr.clone()]
                    .iter()
                    .zip(&*discount)
                    .map(|(x, d)| x * d)
                    .sum()
            };
            self.pv.push([
                pv(&econ.dividends),
                pv(&econ.terminal),
                pv(&econ.provincial),
                pv(&econ.cash_contributions),
                pv(&econ.capital_calls),
                pv(&econ.costs_borne),
                pv(&econ.displaced),
                pv(&econ.opportunity_costs),
                pv(&econ.in_kind),
            ]);
        }
        self.years.fill(econ);
        fit(&mut self.gdp_by_equity, n * h);
        for t in 0..h {
            let mut gdp = [0.0; MAX_REGIONS];
            Formula::Equity.allocate(
                0,
                econ.gdp[t],
                &ShareContext {
                    equity: econ.equity_at(t),
                    cumulative_contributions: &[],
                    invested_capital: &[],
                },
                &mut gdp[..n],
                &mut [0.0; MAX_REGIONS][..n],
            );
            for (r, x) in gdp[..n].iter().enumerate() {
                self.gdp_by_equity[r * h + t] = *x;
            }
        }
    }
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
    let mut values = std::mem::take(&mut scratch.path_values);
    values.fill(econ);
    evaluate_with(econ, &values, alt, scratch, metrics, series);
    scratch.path_values = values;
}

/// [`evaluate`] with the path's [`PathValues`] (filled from `econ`) computed
/// once for all its alternatives; the same numbers bit for bit.
pub fn evaluate_with(
    econ: &EconomyPath,
    values: &PathValues,
    alt: &Alternative,
    scratch: &mut OutcomeScratch,
    metrics: &mut [f64],
    series: &mut [f64],
) {
    let n = econ.regions;
    let h = econ.horizon;
    let Allocated {
        cumulative,
        invested_to_date,
        cap,
        continued,
    } = allocate_years(
        econ,
        alt,
        &values.years,
        Some(&values.gdp_by_equity),
        scratch,
    );

    // The last year's C_r as shares (the last year's equity shares if nothing was
    // contributed, as the contribution formula falls back to).
    let mut contribution_share = [0.0; MAX_REGIONS];
    Formula::Contribution.allocate(
        u32::try_from(h).unwrap_or(u32::MAX),
        1.0,
        &ShareContext {
            equity: econ.equity_at(h.saturating_sub(1)),
            cumulative_contributions: &cumulative[..n],
            invested_capital: &invested_to_date[..n],
        },
        &mut contribution_share[..n],
        &mut [0.0; MAX_REGIONS][..n],
    );

    let m_len = RegionMetric::COUNT;
    let s_len = RegionSeries::COUNT;
    let mut benefit = [0.0; MAX_REGIONS];
    for r in 0..n {
        let rr = r * h..(r + 1) * h;
        let discount = &values.discount[rr.clone()];
        // The present values of the allocations and the undiscounted GDP credit,
        // in one pass over the years: each is summed year by year from −0, in the
        // order of (and so bit for bit) `Iterator::sum`.
        let [mut pv_tax, mut pv_land, mut pv_guarantee, mut pv_withheld] = [-0.0; 4];
        let mut gdp_credit = -0.0;
        for (((((tax, land), guarantee), withheld), gdp), d) in scratch.tax[rr.clone()]
            .iter()
            .zip(&scratch.land[rr.clone()])
            .zip(&scratch.guarantee[rr.clone()])
            .zip(&scratch.withheld[rr.clone()])
            .zip(&scratch.gdp[rr.clone()])
            .zip(discount)
        {
            pv_tax += tax * d;
            pv_land += land * d;
            pv_guarantee += guarantee * d;
            pv_withheld += withheld * d;
            gdp_credit += gdp;
        }
        let [
            pv_dividends,
            pv_terminal,
            pv_provincial,
            pv_cash,
            pv_calls,
            pv_costs,
            pv_displaced,
            pv_opportunity,
            pv_in_kind,
        ] = values.pv[r];
        // The continuation falls at the end of the last year, like the terminal value.
        let pv_continuation = continued[r] * discount.last().copied().unwrap_or(1.0);
        // MODEL.md §8: what the region gets from the park (GDP credit is not cash).
        benefit[r] = pv_tax
            + pv_land
            + pv_guarantee
            + pv_withheld
            + pv_provincial
            + pv_dividends
            + pv_terminal
            + pv_continuation;

        cash_flows(econ, scratch, r, continued[r]);
        let base = r * s_len * h;
        let at = |s: RegionSeries| base + s.index() * h..base + (s.index() + 1) * h;
        series[at(RegionSeries::CashFlow)].copy_from_slice(&scratch.cash_flow[..h]);
        series[at(RegionSeries::TaxAllocation)].copy_from_slice(&scratch.tax[rr.clone()]);
        let mut cum = 0.0;
        // Whether there was anything to pay back: payback_years is undefined both
        // where there was not and where it was not paid back by the horizon.
        let mut payback_needed = false;
        // The NPV in the same pass, summed from −0 as `Iterator::sum` does.
        let mut npv = -0.0;
        for ((c, cf), d) in series[at(RegionSeries::CumulativeCashFlow)]
            .iter_mut()
            .zip(&scratch.cash_flow)
            .zip(discount)
        {
            cum += cf;
            *c = cum;
            payback_needed |= cum < 0.0;
            npv += cf * d;
        }
        let irr = finance::irr(&scratch.cash_flow).unwrap_or(f64::NAN);
        let payback =
            finance::payback_index(&scratch.cash_flow).map_or(f64::NAN, |i| (i + 1) as f64);
        let out = &mut metrics[r * m_len..(r + 1) * m_len];
        use RegionMetric as M;
        for (m, value) in [
            (M::Npv, npv),
            (M::NpvNegative, f64::from(u8::from(npv < 0.0))),
            (
                M::Participates,
                f64::from(u8::from(npv >= econ.outside_option[r])),
            ),
            (M::Surplus, npv - econ.outside_option[r]),
            // The regions' game needs every coalition's park: the engine fills
            // these in (crate::engine::run_path).
            (M::Shapley, f64::NAN),
            (M::ShapleyGap, f64::NAN),
            (M::PvTax, pv_tax),
            (M::PvLand, pv_land),
            (M::PvGuarantee, pv_guarantee),
            (M::PvDividends, pv_dividends),
            (M::PvTerminal, pv_terminal),
            (M::PvProvincial, pv_provincial),
            (M::PvCashContributions, pv_cash),
            (M::PvCapitalCalls, pv_calls),
            (M::PvCosts, pv_costs),
            (M::PvDisplaced, pv_displaced),
            (M::PvOpportunityCosts, pv_opportunity),
            (M::Irr, irr),
            (M::PaybackYears, payback),
            (M::PaybackNeeded, f64::from(u8::from(payback_needed))),
            (M::GdpCredit, gdp_credit),
            (M::PvContinuation, pv_continuation),
            (M::PvInKind, pv_in_kind),
            (M::ContributionShare, contribution_share[r]),
            (M::PvWithheld, pv_withheld),
            (
                M::CapReached,
                f64::from(u8::from(cap.first_bound(r).is_some())),
            ),
            (
                M::CapReachedYear,
                cap.first_bound(r).map_or(f64::NAN, f64::from),
            ),
        ] {
            out[m.index()] = value;
        }
    }
    benefit_shares(
        &benefit[..n],
        &contribution_share[..n],
        &mut metrics[..n * m_len],
    );
}

/// A path's pools allocated under an alternative, year by year, into the scratch
/// buffers (`tax`, `land`, `guarantee`, `withheld`, and `gdp` when asked), with the
/// running totals at the horizon and each region's continuation value.
struct Allocated {
    cumulative: [f64; MAX_REGIONS],
    invested_to_date: [f64; MAX_REGIONS],
    cap: CapState,
    continued: [f64; MAX_REGIONS],
}

/// Allocates the path's pools under `alt`, reading the path's years from `years`
/// (filled from `econ`), and the GDP credit too when `gdp_by_equity` is given (the
/// path's GDP credit split by equity shares, which an alternative with the default
/// GDP formula takes as it is).
fn allocate_years(
    econ: &EconomyPath,
    alt: &Alternative,
    years: &YearTable,
    gdp_by_equity: Option<&[f64]>,
    scratch: &mut OutcomeScratch,
) -> Allocated {
    let n = econ.regions;
    let h = econ.horizon;
    // Every year of every region is written below: no need to zero them first.
    for v in [&mut scratch.tax, &mut scratch.land, &mut scratch.guarantee] {
        fit(v, n * h);
    }
    // The GDP credit split by equity shares is the path's; any other is split in
    // the years below; without GDP it is left at 0.
    let gdp_by_year = match gdp_by_equity {
        Some(split) if matches!(alt.gdp, Formula::Equity) => {
            scratch.gdp.clear();
            scratch.gdp.extend_from_slice(split);
            false
        }
        Some(_) => {
            fit(&mut scratch.gdp, n * h);
            true
        }
        None => {
            reset(&mut scratch.gdp, n * h);
            false
        }
    };
    // Added into where the collector withholds.
    reset(&mut scratch.withheld, n * h);
    let delivery = alt
        .delivery
        .as_ref()
        .and_then(|rule| econ.delivery.get(rule.slot));
    debug_assert!(
        alt.delivery.is_none() || delivery.is_some(),
        "a path without the draws of the alternative's delivery risk"
    );
    // Written in full by `cash_flows` and `discount_factors`.
    fit(&mut scratch.cash_flow, h);
    fit(&mut scratch.discount, h);

    // A cooperation that began before the start year: what the capped region
    // took before it counts against its cap.
    let mut cap = CapState {
        taken: alt
            .pool
            .as_ref()
            .and_then(|p| p.cap)
            .map_or(0.0, |c| c.taken_to_date),
        ..CapState::default()
    };
    for t in 0..h {
        let year = t * n..(t + 1) * n;
        let ctx = ShareContext {
            equity: econ.equity_at(t),
            cumulative_contributions: &years.cumulative[year.clone()],
            invested_capital: &years.invested[year.clone()],
        };
        let k = t as u32 + 1;
        let mut tax = [0.0; MAX_REGIONS];
        let mut land = [0.0; MAX_REGIONS];
        let mut g_tax = [0.0; MAX_REGIONS];
        let mut g_land = [0.0; MAX_REGIONS];
        match &alt.pool {
            None => alt
                .tax
                .allocate(k, econ.tax_pool[t], &ctx, &mut tax[..n], &mut g_tax[..n]),
            Some(rule) => {
                let restricted = econ.restricted_pool(rule, t);
                alt.tax
                    .allocate(k, restricted, &ctx, &mut tax[..n], &mut g_tax[..n]);
                cap.year(econ, rule, t, &mut tax[..n]);
                tax[rule.rest_to] += econ.tax_pool[t] - restricted;
            }
        }
        // A split by shares adds ±0 to each region's +0 when the pool is 0, which
        // leaves +0: skipped (the land pool is 0 in every year when land sales
        // go to the company).
        if !(econ.land_pool[t] == 0.0 && splits_by_shares(&alt.land)) {
            let pool = econ.land_pool[t];
            alt.land
                .allocate(k, pool, &ctx, &mut land[..n], &mut g_land[..n]);
        }
        // Principal repaid and stake income handed over (validation allows them
        // in one of the two cash formulas only).
        let stake = Stake {
            invested_to_date: &years.invested_to_date[year.clone()],
            income: &years.income[year.clone()],
            calls: &years.calls[year],
        };
        let mut contract = [0.0; MAX_REGIONS];
        alt.tax.contract_flows(k, &stake, &mut contract[..n]);
        alt.land.contract_flows(k, &stake, &mut contract[..n]);
        // GDP credit is statistics, not cash: a guarantee on it moves credit only.
        if gdp_by_year {
            let mut gdp = [0.0; MAX_REGIONS];
            alt.gdp.allocate(
                k,
                econ.gdp[t],
                &ctx,
                &mut gdp[..n],
                &mut [0.0; MAX_REGIONS][..n],
            );
            for (r, x) in gdp[..n].iter().enumerate() {
                scratch.gdp[r * h + t] = *x;
            }
        }
        for r in 0..n {
            let i = r * h + t;
            scratch.tax[i] = tax[r] - g_tax[r];
            scratch.land[i] = land[r] - g_land[r];
            scratch.guarantee[i] = g_tax[r] + g_land[r] + contract[r];
        }
        if let Some(rule) = delivery {
            let u = econ.delivery_uniform.get(t).copied().unwrap_or(1.0);
            let unpaid = 1.0 - rule.paid_share(t, u);
            let owed: [f64; MAX_REGIONS] = std::array::from_fn(|r| tax[r] + land[r]);
            withhold(
                &mut scratch.withheld,
                h,
                t,
                rule.collector,
                unpaid,
                &owed[..n],
            );
        }
    }

    // The running totals at the horizon.
    let cumulative = YearTable::last(&years.cumulative, n);
    let invested_to_date = YearTable::last(&years.invested_to_date, n);

    let mut continued = [0.0; MAX_REGIONS];
    continuation(
        econ,
        alt,
        &cap,
        &cumulative[..n],
        &invested_to_date[..n],
        &mut continued[..n],
    );
    // After the horizon the collector pays, on average, (1 − p)(1 − haircut) of
    // what it owes (validation rules out a renegotiation with a continuation).
    if let (Some(rule), Some(last)) = (delivery, h.checked_sub(1)) {
        let unpaid = 1.0 - (1.0 - rule.default_probability) * (1.0 - rule.haircut);
        withhold(
            &mut scratch.withheld,
            h,
            last,
            rule.collector,
            unpaid,
            &continued[..n],
        );
    }

    Allocated {
        cumulative,
        invested_to_date,
        cap,
        continued,
    }
}

/// Region r's cash flow of each year into `scratch.cash_flow` (`continued` is its
/// continuation value, paid at the end of the last year).
///
/// # Formula
/// CF_t = tax + land + guarantee + dividends + terminal + provincial + withheld −
/// cash contributions − capital calls − costs borne − displaced − opportunity
/// costs (+ continued in the last year), summed in this order. One pass over
/// slices of the same length, which the compiler vectorises without bounds checks.
fn cash_flows(econ: &EconomyPath, scratch: &mut OutcomeScratch, r: usize, continued: f64) {
    let h = econ.horizon;
    let rr = r * h..(r + 1) * h;
    let OutcomeScratch {
        tax,
        land,
        guarantee,
        withheld,
        cash_flow,
        ..
    } = scratch;
    let out = &mut cash_flow[..h];
    fn part(v: &[f64], rr: std::ops::Range<usize>) -> &[f64] {
        &v[rr]
    }
    let row = |v| part(v, rr.clone());
    let (tax, land, guarantee, withheld) = (row(tax), row(land), row(guarantee), row(withheld));
    let (dividends, terminal, provincial) = (
        row(&econ.dividends),
        row(&econ.terminal),
        row(&econ.provincial),
    );
    let (cash, calls, costs, displaced, opportunity) = (
        row(&econ.cash_contributions),
        row(&econ.capital_calls),
        row(&econ.costs_borne),
        row(&econ.displaced),
        row(&econ.opportunity_costs),
    );
    for t in 0..h {
        // `+ 0.0` in the other years, as the sum always had (it turns −0 into +0).
        let last = if t + 1 == h { continued } else { 0.0 };
        out[t] = tax[t]
            + land[t]
            + guarantee[t]
            + dividends[t]
            + terminal[t]
            + provincial[t]
            + withheld[t]
            - cash[t]
            - calls[t]
            - costs[t]
            - displaced[t]
            - opportunity[t]
            + last;
    }
}

/// Discount factors 1 / (1 + δ)^(t + 1) of years t = 0 … H − 1 into `out`.
fn discount_factors(delta: f64, out: &mut [f64]) {
    let mut df = 1.0;
    for d in out {
        df /= 1.0 + delta;
        *d = df;
    }
}

/// Each region's NPV under `alt` into `npv` (len n): the [`RegionMetric::Npv`] that
/// [`evaluate`] writes, bit for bit, without the other metrics and series.
pub fn npv(econ: &EconomyPath, alt: &Alternative, scratch: &mut OutcomeScratch, npv: &mut [f64]) {
    let mut years = std::mem::take(&mut scratch.years);
    years.fill(econ);
    let a = allocate_years(econ, alt, &years, None, scratch);
    scratch.years = years;
    for (r, out) in npv.iter_mut().enumerate().take(econ.regions) {
        discount_factors(econ.discount_rate[r], &mut scratch.discount);
        cash_flows(econ, scratch, r, a.continued[r]);
        *out = scratch
            .cash_flow
            .iter()
            .zip(&scratch.discount)
            .map(|(x, d)| x * d)
            .sum();
    }
}

/// Whether `formula` splits its pool by fixed or equity shares alone (finite
/// shares, no guarantee), so that a pool of 0 gives every region ±0.
fn splits_by_shares(formula: &Formula) -> bool {
    matches!(formula, Formula::Fixed { .. } | Formula::Equity)
}

/// Moves what the collector `c` does not pay in year t from the regions it owes to
/// itself: `unpaid` of each positive amount owed (a region that owes the
/// collector, as a guarantor can, is taken to pay).
///
/// # Formula
/// w_r = unpaid × max(0, owed_r) for r ≠ c; withheld_r,t −= w_r, withheld_c,t += Σ w_r.
fn withhold(withheld: &mut [f64], h: usize, t: usize, c: usize, unpaid: f64, owed: &[f64]) {
    if unpaid <= 0.0 {
        return;
    }
    for (r, x) in owed.iter().enumerate() {
        if r != c && *x > 0.0 {
            let w = unpaid * x;
            withheld[r * h + t] -= w;
            withheld[c * h + t] += w;
        }
    }
}

/// Each region's benefit share and its ratio to the contribution share (MODEL.md
/// §8), into the regions' metrics.
///
/// # Formula
/// benefit_share_r = B_r / Σ_q B_q, undefined when Σ_q B_q ≤ 0;
/// benefit_to_contribution_r = benefit_share_r / contribution_share_r, undefined
/// when the contribution share is 0 (or the benefit share undefined).
fn benefit_shares(benefit: &[f64], contribution_share: &[f64], metrics: &mut [f64]) {
    let total: f64 = benefit.iter().sum();
    for (r, (b, c)) in benefit.iter().zip(contribution_share).enumerate() {
        let share = if total > 0.0 { b / total } else { f64::NAN };
        let ratio = if *c > 0.0 { share / c } else { f64::NAN };
        let out = &mut metrics[r * RegionMetric::COUNT..(r + 1) * RegionMetric::COUNT];
        out[RegionMetric::BenefitShare.index()] = share;
        out[RegionMetric::BenefitToContribution.index()] = ratio;
    }
}

/// Relative excess over a cap that is taken as rounding, not as the cap binding.
const CAP_ROUNDING: f64 = 1e-12;

/// The part of the pool's perpetuity after the horizon that a continuation valued
/// year by year may leave to the closed form ([`continuation`]).
const CONTINUATION_TAIL: f64 = 1e-12;

/// Most years after the horizon a continuation values one by one.
const MAX_CONTINUATION_YEARS: u32 = 100_000;

/// A grown pool or a discount factor beyond this (or below its inverse) ends a
/// continuation valued year by year, before the double's range does.
const CONTINUATION_RANGE: f64 = 1e250;

/// Years after the horizon J from which the rest of a pool growing at `growth`,
/// discounted at `rate`, is at most [`CONTINUATION_TAIL`] of the whole (and so is
/// a constant amount, such as a guaranteed return): q^(J−1) ≤ tail with
/// q = max(1 + g, 1) / (1 + ρ), or (1 + g) / (1 + ρ) when ρ ≤ 0 (no constant
/// amount is then allowed: validation refuses a guarantee without end); at most
/// [`MAX_CONTINUATION_YEARS`].
fn tail_years(growth: f64, rate: f64) -> u32 {
    let lead = if rate > 0.0 {
        (1.0 + growth).max(1.0)
    } else {
        1.0 + growth
    };
    let q = lead / (1.0 + rate);
    if !(q > 0.0 && q < 1.0) {
        return MAX_CONTINUATION_YEARS;
    }
    let years = 1.0 + (CONTINUATION_TAIL.ln() / q.ln()).ceil();
    if years < f64::from(MAX_CONTINUATION_YEARS) {
        years as u32
    } else {
        MAX_CONTINUATION_YEARS
    }
}

/// The running state of an alternative's cap on one region's cumulative take of
/// its restricted pool (MODEL.md §7, docs/model.md "Restricted pools and caps").
#[derive(Debug, Clone, Copy, Default)]
struct CapState {
    /// The cap to date.
    cap: f64,
    /// What the capped region has taken of the restricted pool to date.
    taken: f64,
    /// The capped region and the first year of cooperation the cap bound.
    bound: Option<(usize, u32)>,
}

impl CapState {
    /// Applies the cap of `rule` to year t's allocation of the restricted pool
    /// (`alloc`, by region): the capped region keeps what fits under the cap, the
    /// excess goes to `rule.rest_to`.
    ///
    /// # Formula
    /// cap_t = amount, or pre-move years × Σ_{s ≤ t} pre-move taxes of the kinds
    /// held of the relocated firms arriving in year s; with a_c the capped region's
    /// allocation, excess = max(0, a_c − max(0, cap_t − taken_{t−1})); the region
    /// keeps a_c − excess, rest_to receives the excess; taken_t = taken_{t−1} +
    /// a_c − excess. The cap binds in the first year with excess > 0 (beyond
    /// rounding: more than 1e-12 of the cap).
    fn year(&mut self, econ: &EconomyPath, rule: &TaxPool, t: usize, alloc: &mut [f64]) {
        let Some(cap) = rule.cap else {
            return;
        };
        self.cap = match cap.amount {
            CapAmount::Money(x) => x,
            CapAmount::PreMoveYears(years) => self.cap + years * econ.pre_move(rule, t),
        };
        let c = cap.region;
        let headroom = (self.cap - self.taken).max(0.0);
        let excess = alloc[c] - headroom;
        // A take that meets the cap up to rounding (sums of the same amounts in
        // another order) does not bind it.
        if excess > CAP_ROUNDING * self.cap {
            alloc[c] -= excess;
            alloc[rule.rest_to] += excess;
            if self.bound.is_none() {
                // The horizon is at most a few hundred years: t + 1 fits in u32.
                self.bound = Some((c, u32::try_from(t + 1).unwrap_or(u32::MAX)));
            }
        }
        self.taken += alloc[c];
    }

    /// The first year of cooperation the cap bound, if region `r` is the capped one.
    fn first_bound(&self, r: usize) -> Option<u32> {
        self.bound.filter(|&(c, _)| c == r).map(|(_, k)| k)
    }
}

/// Adds each region's continuation value at the end of the last year into `out`
/// (nothing unless the path's continuation is a perpetuity).
///
/// # Formula
/// With P the last year's tax pool, g and ρ the continuation's growth and rate,
/// and K = max(H + 1, the year the tax formula settles,
/// [`crate::sharing::Formula::settles_at`]): the years k = H + j < K are
/// evaluated one by one, `Σ_j (a_r(H + j, P (1 + g)^j) + contract flows_r) / (1 + ρ)^j`,
/// and from K = H + J on an allocation that grows with the pool
/// ([`crate::sharing::Formula::grows_with_pool`]) is valued in closed form,
/// `a_r(K, P (1 + g)^J) / (1 + ρ)^J × (1 + ρ) / (ρ − g)`; any other is evaluated
/// one by one up to the year where the rest is negligible ([`tail_years`]), and
/// the closed form values that rest. The formulas read
/// the last year's equity, contributions and invested capital. Under a restricted
/// pool the formula splits the restricted part and `rest_to` receives the rest,
/// both growing from their last-year values. A cap with room left at the horizon
/// keeps that room (no arrival after the horizon adds to it): the years are
/// evaluated one by one, the cap applied as within the horizon, until it is spent
/// and the formula has settled, and from then on the capped region's allocation
/// goes to `rest_to` (up to year [`MAX_CONTINUATION_SETTLE_YEAR`] of
/// cooperation, after which a cap still open is taken not to bind). Σ_r = the
/// pool's own perpetuity, so conservation across alternatives holds.
fn continuation(
    econ: &EconomyPath,
    alt: &Alternative,
    cap: &CapState,
    cumulative: &[f64],
    invested: &[f64],
    out: &mut [f64],
) {
    let Continuation::Perpetuity {
        growth,
        discount_rate,
    } = econ.continuation
    else {
        return;
    };
    let Some(&last_pool) = econ.tax_pool.last() else {
        return;
    };
    let n = out.len();
    let ctx = ShareContext {
        equity: econ.equity_at(econ.horizon.saturating_sub(1)),
        cumulative_contributions: cumulative,
        invested_capital: invested,
    };
    let zero = [0.0; MAX_REGIONS];
    let stake = Stake {
        invested_to_date: invested,
        income: &zero[..n],
        calls: &zero[..n],
    };
    // The horizon is at most a few hundred years: k fits in u32.
    let horizon = u32::try_from(econ.horizon).unwrap_or(u32::MAX);
    let settled = alt.tax.settles_at().max(horizon.saturating_add(1));
    // A restricted pool and its rest keep the last year's proportions.
    let (last_restricted, rest_to) = match &alt.pool {
        None => (last_pool, None),
        Some(rule) => (
            econ.restricted_pool(rule, econ.horizon - 1),
            Some(rule.rest_to),
        ),
    };
    // The capped region, who receives its excess, and the cap's room left.
    let capped = alt
        .pool
        .as_ref()
        .and_then(|rule| rule.cap.map(|c| (c.region, rule.rest_to)));
    let mut headroom = (cap.cap - cap.taken).max(0.0);
    let mut cap_open = capped.is_some() && headroom > CAP_ROUNDING * cap.cap;
    let limit = MAX_CONTINUATION_SETTLE_YEAR.max(settled);
    // A formula whose allocation does not grow with the pool is valued year by
    // year until what is left is negligible.
    let tail_end = if alt.tax.grows_with_pool(growth) {
        0
    } else {
        horizon.saturating_add(tail_years(growth, discount_rate))
    };
    // Year k's allocation of a restricted part and pool, with the cap's room
    // `headroom` (and the capped region's excess to `rest_to`).
    let year = |k: u32, restricted: f64, pool: f64, headroom: f64| {
        let mut alloc = [0.0; MAX_REGIONS];
        let mut transfers = [0.0; MAX_REGIONS];
        alt.tax
            .allocate(k, restricted, &ctx, &mut alloc[..n], &mut transfers[..n]);
        if let Some((c, to)) = capped {
            let excess = alloc[c] - headroom;
            if excess > CAP_ROUNDING * cap.cap {
                alloc[c] -= excess;
                alloc[to] += excess;
            }
        }
        if let Some(r) = rest_to {
            alloc[r] += pool - restricted;
        }
        alloc
    };
    let perpetuity = |rate: f64| (1.0 + discount_rate) / (discount_rate - rate);
    let (mut pool, mut restricted, mut discount) = (last_pool, last_restricted, 1.0);
    let mut k = horizon;
    loop {
        k = k.saturating_add(1);
        pool *= 1.0 + growth;
        restricted *= 1.0 + growth;
        discount /= 1.0 + discount_rate;
        // Beyond the double's range the rest is valued in closed form.
        let in_range = pool.abs() < CONTINUATION_RANGE
            && discount > 1.0 / CONTINUATION_RANGE
            && discount < CONTINUATION_RANGE;
        let settled_rule = k >= settled && !cap_open;
        // Settled: the formula no longer changes, no cap has room left and the
        // allocation grows with the pool or what is left of it is negligible.
        let settled_now = (settled_rule && k >= tail_end) || k >= limit.max(tail_end) || !in_range;
        // Or it is shares of the pool plus amounts growing at their own rate
        // from now on: valued in closed form, the two parts apart.
        let ahead = if settled_rule && !settled_now {
            alt.tax.ahead(k, restricted, growth, &ctx)
        } else {
            None
        };
        let alloc = year(k, restricted, pool, headroom);
        if let Some((c, _)) = capped {
            headroom = (headroom - alloc[c]).max(0.0);
            cap_open &= headroom > CAP_ROUNDING * cap.cap;
        }
        match ahead {
            Some(Ahead::Plus { rate, up }) if rate < discount_rate => {
                // a = s P + c: the shares' part s P from the allocation of a pool
                // scaled by `scale` (still past every threshold).
                let scale = if up { 2.0 } else { 0.5 };
                let scaled = year(k, restricted * scale, pool * scale, headroom);
                for ((o, a), b) in out.iter_mut().zip(&alloc).zip(&scaled) {
                    let shares = (b - a) / (scale - 1.0);
                    *o +=
                        discount * (shares * perpetuity(growth) + (a - shares) * perpetuity(rate));
                }
                break;
            }
            Some(Ahead::Shares) => {}
            _ if !settled_now => {
                let mut alloc = alloc;
                alt.tax.contract_flows(k, &stake, &mut alloc[..n]);
                alt.land.contract_flows(k, &stake, &mut alloc[..n]);
                for (o, a) in out.iter_mut().zip(&alloc) {
                    *o += a * discount;
                }
                continue;
            }
            _ => {}
        }
        for (o, a) in out.iter_mut().zip(&alloc) {
            *o += a * discount * perpetuity(growth);
        }
        break;
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
        (M::TaxProvincial, sum(&econ.tax_provincial)),
        (M::LandSales, sum(&econ.land_sales)),
        (M::Gdp, sum(&econ.gdp)),
        (M::JobsFinal, last(&econ.jobs)),
        (M::TurnedAway, econ.turned_away as f64),
        (M::PdcIrr, finance::irr(&econ.pdc_flow).unwrap_or(f64::NAN)),
        (M::LandBuybacks, sum(&econ.land_buybacks)),
        (
            M::TaxPerMu,
            per_mu(sum(&econ.tax_total), sum(&econ.occupied_mu)),
        ),
        (
            M::OutputPerMu,
            per_mu(sum(&econ.revenue), sum(&econ.occupied_mu)),
        ),
        (M::LandSoldMu, sum(&econ.land_sold_mu)),
    ] {
        out[m.index()] = value;
    }
}

/// An amount per occupied mu (and year, when both are summed over the same
/// years); undefined (NaN) without occupied land.
fn per_mu(amount: f64, occupied_mu: f64) -> f64 {
    if occupied_mu > 0.0 {
        amount / occupied_mu
    } else {
        f64::NAN
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
        (S::TaxCentral, &econ.tax_central),
        (S::Rebates, &econ.rebates),
        (S::Jobs, &econ.jobs),
        (S::Output, &econ.revenue),
        (S::LandSoldMu, &econ.land_sold_mu),
    ] {
        let i = s.index();
        out[i * h..(i + 1) * h].copy_from_slice(v);
    }
    for (s, amount) in [
        (S::TaxPerMu, &econ.tax_total),
        (S::OutputPerMu, &econ.revenue),
    ] {
        let i = s.index();
        for (t, slot) in out[i * h..(i + 1) * h].iter_mut().enumerate() {
            *slot = per_mu(amount[t], econ.occupied_mu[t]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::economy::DeliveryDraw;

    /// The parts of each region's NPV in `metrics` (every region metric of
    /// `regions` regions) add up to it with their signs (schema::NPV_PARTS), as
    /// the report's and the workbook's breakdowns show them.
    fn assert_parts_add_up(metrics: &[f64], regions: usize, what: &str) {
        for r in 0..regions {
            let at = |m: RegionMetric| metrics[r * RegionMetric::COUNT + m.index()];
            let sum: f64 = crate::schema::NPV_PARTS
                .iter()
                .map(|&(m, flow)| flow.sign() * at(m))
                .sum();
            let npv = at(RegionMetric::Npv);
            let scale = crate::schema::NPV_PARTS
                .iter()
                .map(|&(m, _)| at(m).abs())
                .fold(npv.abs(), f64::max)
                .max(1.0);
            assert!(
                (sum - npv).abs() <= 1e-12 * scale,
                "{what} region {r}: parts add up to {sum}, NPV {npv}"
            );
        }
    }

    /// `npv` gives evaluate's NPVs bit for bit: every alternative of every library
    /// scenario on a few paths. Their parts add up to them (the library holds
    /// guarantees, a provincial take to a region, a collector that may not pay
    /// and continuations).
    #[test]
    fn npv_alone_is_evaluates_npv() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
        let mut checked = 0;
        for entry in std::fs::read_dir(&dir).expect("the scenario library") {
            let file = entry.expect("a library entry").path();
            if file.extension().is_none_or(|x| x != "toml") {
                continue;
            }
            let scn = crate::scenario::Scenario::load(&file).expect("a library scenario");
            let streams = crate::streams::Streams::new(scn.simulation.seed, &scn.params);
            let mut ws = crate::economy::Workspace::default();
            let h = scn.simulation.horizon;
            let n = scn.regions.len();
            let mut metrics = vec![0.0; n * RegionMetric::COUNT];
            let mut series = vec![0.0; n * RegionSeries::COUNT * h as usize];
            let (mut scratch, mut npvs) = (OutcomeScratch::default(), vec![0.0; n]);
            for p in 0..4 {
                crate::economy::simulate_path(&scn, h, &streams, p, &mut ws);
                for alt in &scn.alternatives {
                    evaluate(&ws.out, alt, &mut scratch, &mut metrics, &mut series);
                    npv(&ws.out, alt, &mut scratch, &mut npvs);
                    assert_parts_add_up(&metrics, n, &format!("{} {} path {p}", scn.id, alt.name));
                    for (r, x) in npvs.iter().enumerate() {
                        let m = metrics[r * RegionMetric::COUNT + RegionMetric::Npv.index()];
                        assert_eq!(x.to_bits(), m.to_bits(), "{} {} path {p}", scn.id, alt.name);
                    }
                    checked += 1;
                }
            }
        }
        assert!(checked > 20, "the library's alternatives");
    }
    use crate::sampling::Value;
    use crate::scenario::{Delivery, FirmGroup, PoolCap, TaxKind};
    use crate::sharing::{Formula, GuaranteeTerm, Period, Tranche};

    /// Two regions, `h` years, nothing but a constant tax pool `pool`, discount
    /// rates 10%, and the continuation `continuation`.
    fn constant_pool(h: usize, pool: f64, continuation: Continuation) -> EconomyPath {
        let zeros = vec![0.0; 2 * h];
        EconomyPath {
            horizon: h,
            regions: 2,
            equity: vec![0.5, 0.5],
            discount_rate: vec![0.1, 0.1],
            outside_option: vec![0.0, 0.0],
            cash_contributions: zeros.clone(),
            in_kind: zeros.clone(),
            opportunity_costs: zeros.clone(),
            costs_borne: zeros.clone(),
            capital_calls: zeros.clone(),
            dividends: zeros.clone(),
            terminal: zeros.clone(),
            displaced: zeros.clone(),
            cumulative_contributions: zeros.clone(),
            invested_capital: zeros.clone(),
            provincial: zeros,
            tax_pool: vec![pool; h],
            land_pool: vec![0.0; h],
            gdp: vec![0.0; h],
            continuation,
            ..EconomyPath::default()
        }
    }

    /// "50:50 for ten years, then the host (region 1) keeps all".
    fn fifty_fifty_then_host() -> Alternative {
        let fixed = |shares: [f64; 2]| Formula::Fixed {
            shares: shares.to_vec(),
        };
        Alternative {
            name: "switch".to_owned(),
            description: String::new(),
            tax: Formula::Schedule {
                periods: vec![
                    Period {
                        first: 1,
                        last: 10,
                        formula: fixed([0.5, 0.5]),
                    },
                    Period {
                        first: 11,
                        last: 30,
                        formula: fixed([0.0, 1.0]),
                    },
                ],
            },
            land: Formula::Equity,
            gdp: Formula::Equity,
            pool: None,
            delivery: None,
        }
    }

    /// Every region metric and series of `econ` under `alt`, in fresh buffers.
    fn evaluated(econ: &EconomyPath, alt: &Alternative) -> (Vec<f64>, Vec<f64>) {
        let mut metrics = vec![0.0; econ.regions * RegionMetric::COUNT];
        let mut series = vec![0.0; econ.regions * RegionSeries::COUNT * econ.horizon];
        evaluate(
            econ,
            alt,
            &mut OutcomeScratch::default(),
            &mut metrics,
            &mut series,
        );
        (metrics, series)
    }

    /// (npv, pv_continuation) of both regions.
    fn npv_and_continuation(econ: &EconomyPath, alt: &Alternative) -> [(f64, f64); 2] {
        let (metrics, _) = evaluated(econ, alt);
        let at = |r: usize, m: RegionMetric| metrics[r * RegionMetric::COUNT + m.index()];
        [0, 1].map(|r| {
            (
                at(r, RegionMetric::Npv),
                at(r, RegionMetric::PvContinuation),
            )
        })
    }

    fn assert_close(got: f64, want: f64) {
        assert!(
            (got - want).abs() <= 1e-9 * want.abs().max(1.0),
            "got {got}, want {want}"
        );
    }

    /// Every metric of both regions under `alt`.
    fn all_metrics(econ: &EconomyPath, alt: &Alternative) -> Vec<f64> {
        evaluated(econ, alt).0
    }

    fn fifty_fifty(delivery: Option<Delivery>) -> Alternative {
        Alternative {
            tax: Formula::Fixed {
                shares: vec![0.5, 0.5],
            },
            delivery,
            ..fifty_fifty_then_host()
        }
    }

    fn rule() -> Delivery {
        Delivery {
            collector: 1,
            default_probability: Value::Fixed(0.0),
            haircut: Value::Fixed(0.0),
            renegotiation_year: None,
            slot: 0,
        }
    }

    #[test]
    fn transfers_that_are_not_paid_by_hand() {
        // Pool 10 a year split 50:50, collected by region 1, no discounting. The path
        // draws p = 0.5, a haircut of 20% and a renegotiation in year 2; the year's
        // uniforms are 0.9, 0.1, 0.9. Year 0 is paid less the haircut (1 of 5
        // withheld), year 1 is a default year (5 withheld), year 2 is renegotiated
        // (5 withheld): region 0 gets 4 in all, region 1 26.
        let mut econ = constant_pool(3, 10.0, Continuation::None);
        econ.discount_rate = vec![0.0, 0.0];
        econ.delivery = vec![DeliveryDraw {
            collector: 1,
            default_probability: 0.5,
            haircut: 0.2,
            renegotiation: 2,
        }];
        econ.delivery_uniform = vec![0.9, 0.1, 0.9];
        let m = all_metrics(&econ, &fifty_fifty(Some(rule())));
        let at = |r: usize, x: RegionMetric| m[r * RegionMetric::COUNT + x.index()];
        assert_close(at(0, RegionMetric::PvWithheld), -11.0);
        assert_close(at(1, RegionMetric::PvWithheld), 11.0);
        assert_close(at(0, RegionMetric::Npv), 4.0);
        assert_close(at(1, RegionMetric::Npv), 26.0);
        // The formula's shares are still reported as allocated.
        assert_close(at(0, RegionMetric::PvTax), 15.0);
    }

    #[test]
    fn a_sure_default_is_the_collector_keeping_the_pools_and_none_is_the_formula() {
        // Tax 10 and land 4 a year, both split 50:50, collected by region 1.
        let mut econ = constant_pool(4, 10.0, Continuation::None);
        econ.land_pool = vec![4.0; 4];
        econ.delivery_uniform = vec![0.3, 0.7, 0.0, 0.999];
        let host_keeps = Alternative {
            tax: Formula::Fixed {
                shares: vec![0.0, 1.0],
            },
            land: Formula::Fixed {
                shares: vec![0.0, 1.0],
            },
            ..fifty_fifty(None)
        };
        let draw = |p: f64| DeliveryDraw {
            collector: 1,
            default_probability: p,
            haircut: 0.0,
            renegotiation: u32::MAX,
        };
        econ.delivery = vec![draw(1.0)];
        let sure = all_metrics(&econ, &fifty_fifty(Some(rule())));
        let kept = all_metrics(&econ, &host_keeps);
        let npv = RegionMetric::Npv.index();
        for r in 0..2 {
            let i = r * RegionMetric::COUNT + npv;
            assert_close(sure[i], kept[i]);
        }
        econ.delivery = vec![draw(0.0)];
        let never = all_metrics(&econ, &fifty_fifty(Some(rule())));
        let plain = all_metrics(&econ, &fifty_fifty(None));
        assert_eq!(
            never.iter().map(|x| x.to_bits()).collect::<Vec<_>>(),
            plain.iter().map(|x| x.to_bits()).collect::<Vec<_>>(),
        );
    }

    #[test]
    fn after_the_horizon_the_collector_pays_what_it_pays_on_average() {
        // Pool 10 a year forever at ρ = δ = 10%, 50:50: region 0's continuation is
        // 5 / 0.1 = 50 at the horizon. With p = 0.5 and no haircut the collector
        // pays it half on average: 25 withheld at the horizon; every year within it is
        // paid (uniforms above p).
        let perpetuity = Continuation::Perpetuity {
            growth: 0.0,
            discount_rate: 0.1,
        };
        let mut econ = constant_pool(2, 10.0, perpetuity);
        econ.delivery = vec![DeliveryDraw {
            collector: 1,
            default_probability: 0.5,
            haircut: 0.0,
            renegotiation: u32::MAX,
        }];
        econ.delivery_uniform = vec![0.9, 0.9];
        let m = all_metrics(&econ, &fifty_fifty(Some(rule())));
        let at = |r: usize, x: RegionMetric| m[r * RegionMetric::COUNT + x.index()];
        assert_close(at(0, RegionMetric::PvWithheld), -25.0 / 1.21);
        assert_close(at(1, RegionMetric::PvWithheld), 25.0 / 1.21);
        assert_close(at(0, RegionMetric::PvContinuation), 50.0 / 1.21);
        assert_parts_add_up(&m, 2, "withheld after the horizon");
    }

    #[test]
    fn benefit_shares_against_contribution_shares_by_hand() {
        // Two years, pool 10 a year split 30:70, no discounting; region 0 also gets a
        // dividend of 1. Benefits 3 + 3 + 1 = 7 and 14: shares 1/3 and 2/3. Its
        // contributions C are 3 and 1 in the last year: shares 3/4 and 1/4, so the
        // ratios are (1/3)/(3/4) = 4/9 and (2/3)/(1/4) = 8/3.
        let mut econ = constant_pool(2, 10.0, Continuation::None);
        econ.discount_rate = vec![0.0, 0.0];
        econ.dividends[0] = 1.0;
        econ.cumulative_contributions = vec![3.0, 3.0, 1.0, 1.0];
        let alt = Alternative {
            tax: Formula::Fixed {
                shares: vec![0.3, 0.7],
            },
            pool: None,
            delivery: None,
            ..fifty_fifty_then_host()
        };
        let m = all_metrics(&econ, &alt);
        let at = |r: usize, x: RegionMetric| m[r * RegionMetric::COUNT + x.index()];
        assert_close(at(0, RegionMetric::BenefitShare), 1.0 / 3.0);
        assert_close(at(1, RegionMetric::BenefitShare), 2.0 / 3.0);
        assert_close(at(0, RegionMetric::ContributionShare), 0.75);
        assert_close(at(0, RegionMetric::BenefitToContribution), 4.0 / 9.0);
        assert_close(at(1, RegionMetric::BenefitToContribution), 8.0 / 3.0);

        // Region 1 put nothing in: its ratio is undefined, region 0's is its share.
        econ.cumulative_contributions = vec![3.0, 3.0, 0.0, 0.0];
        let m = all_metrics(&econ, &alt);
        let at = |r: usize, x: RegionMetric| m[r * RegionMetric::COUNT + x.index()];
        assert_close(at(0, RegionMetric::BenefitToContribution), 1.0 / 3.0);
        assert!(at(1, RegionMetric::BenefitToContribution).is_nan());

        // Nothing to share: benefit shares are undefined.
        let empty = constant_pool(2, 0.0, Continuation::None);
        let m = all_metrics(&empty, &alt);
        for r in 0..2 {
            assert!(m[r * RegionMetric::COUNT + RegionMetric::BenefitShare.index()].is_nan());
            assert!(
                m[r * RegionMetric::COUNT + RegionMetric::BenefitToContribution.index()].is_nan()
            );
        }
    }

    #[test]
    fn continuation_of_a_switching_schedule_is_the_closed_form_perpetuity() {
        // Pool 10 a year, ρ = δ = 10%, g = 0. Horizon 5: the source still gets 5 a
        // year in years 6–10, the host 5 a year then 10 a year forever.
        let perpetuity = Continuation::Perpetuity {
            growth: 0.0,
            discount_rate: 0.1,
        };
        let alt = fifty_fifty_then_host();
        let annuity5: f64 = (1..=5).map(|j| 1.1f64.powi(-j)).sum();
        let at_5 = 1.1f64.powi(-5);
        let [source, host] = npv_and_continuation(&constant_pool(5, 10.0, perpetuity), &alt);
        let source_cv = 5.0 * annuity5;
        let host_cv = 5.0 * annuity5 + 10.0 / 0.1 * at_5;
        assert_close(source.1, source_cv * at_5);
        assert_close(host.1, host_cv * at_5);
        // Σ = the pool's perpetuity 10 / 0.1, at the horizon.
        assert_close(source_cv + host_cv, 100.0);
        // With the continuation the NPVs are those of the infinite schedule: the
        // source 5 a year for 10 years, the host the rest.
        let annuity10: f64 = (1..=10).map(|j| 1.1f64.powi(-j)).sum();
        assert_close(source.0, 5.0 * annuity10);
        assert_close(host.0, 100.0 - 5.0 * annuity10);
        // Horizon 12, past the switch: the host alone, P / ρ; the NPVs do not move.
        let [source12, host12] = npv_and_continuation(&constant_pool(12, 10.0, perpetuity), &alt);
        assert_close(source12.1, 0.0);
        assert_close(host12.1, 100.0 * 1.1f64.powi(-12));
        assert_close(source12.0, source.0);
        assert_close(host12.0, host.0);
        // Without a continuation the horizon cuts money off.
        let [cut, _] = npv_and_continuation(&constant_pool(5, 10.0, Continuation::None), &alt);
        assert_close(cut.0, 5.0 * annuity5);
        assert_close(cut.1, 0.0);
    }

    #[test]
    fn continuation_grows_with_the_pool() {
        // g = 2%, ρ = 10%: P (1 + g) / (ρ − g) = 10 × 1.02 / 0.08 = 127.5 at the
        // horizon, shared 50:50 under a settled fixed split.
        let growing = Continuation::Perpetuity {
            growth: 0.02,
            discount_rate: 0.1,
        };
        let alt = Alternative {
            tax: Formula::Fixed {
                shares: vec![0.5, 0.5],
            },
            ..fifty_fifty_then_host()
        };
        let [a, b] = npv_and_continuation(&constant_pool(3, 10.0, growing), &alt);
        assert_close(a.1, 63.75 * 1.1f64.powi(-3));
        assert_close(b.1, a.1);
        // Under the schedule the total is the same (conservation).
        let [s, h] =
            npv_and_continuation(&constant_pool(3, 10.0, growing), &fifty_fifty_then_host());
        assert_close(s.1 + h.1, 127.5 * 1.1f64.powi(-3));
    }

    /// `alt` with tax formula `tax`.
    fn with_tax(tax: Formula) -> Alternative {
        Alternative {
            tax,
            ..fifty_fifty_then_host()
        }
    }

    fn fixed2(a: f64, b: f64) -> Formula {
        Formula::Fixed { shares: vec![a, b] }
    }

    /// A perpetuity growing at `growth`, discounted at ρ = 10% (the regions' δ).
    fn perpetuity(growth: f64) -> Continuation {
        Continuation::Perpetuity {
            growth,
            discount_rate: 0.1,
        }
    }

    /// A 10% return on a's invested capital guaranteed by b without end, over a's
    /// `share` of the pool.
    fn guaranteed(share: f64) -> Formula {
        Formula::GuaranteedReturn {
            beneficiary: 0,
            guarantor: 1,
            rate: 0.1,
            inner: Box::new(fixed2(share, 1.0 - share)),
            term: GuaranteeTerm::default(),
        }
    }

    /// [`constant_pool`] of 10 over 3 years with a's invested capital 50 (b's 0).
    fn invested_pool(continuation: Continuation) -> EconomyPath {
        let mut econ = constant_pool(3, 10.0, continuation);
        econ.invested_capital = vec![50.0, 50.0, 50.0, 0.0, 0.0, 0.0];
        econ
    }

    #[test]
    fn continuation_of_tiers_follows_the_pool_across_the_threshold() {
        // Pool 10 at the horizon (3 years) growing at g = 2%, ρ = δ = 10%: the first
        // 12 a year to a, the rest to b. 10 × 1.02^j passes 12 at j = 10, after
        // which a keeps 12 a year; before it a takes the whole pool. Nothing grows
        // at g throughout, so no single year's split valued as a perpetuity is right.
        let alt = with_tax(Formula::Tiered {
            tranches: vec![
                Tranche {
                    upper: 12.0,
                    formula: fixed2(1.0, 0.0),
                },
                Tranche {
                    upper: f64::INFINITY,
                    formula: fixed2(0.0, 1.0),
                },
            ],
        });
        let q: f64 = 1.02 / 1.1;
        let a_cv = (1..=9).map(|j| 10.0 * q.powi(j)).sum::<f64>() + 12.0 * 11.0 * 1.1f64.powi(-10);
        let b_cv = 10.0 * q.powi(10) / (1.0 - q) - 12.0 * 11.0 * 1.1f64.powi(-10);
        assert_close(a_cv + b_cv, 127.5);
        let [a, b] = npv_and_continuation(&constant_pool(3, 10.0, perpetuity(0.02)), &alt);
        let at_3 = 1.1f64.powi(-3);
        assert_close(a.1, a_cv * at_3);
        assert_close(b.1, b_cv * at_3);
    }

    #[test]
    fn continuation_of_a_base_growing_faster_than_the_pool() {
        // Constant pool 10 (g = 0), ρ = δ = 10%, horizon 3: a keeps the base
        // 5 × 1.05^(k−1) of year k = 3 + j, b the rest, until the base passes the
        // pool at k = 16 (j = 13) and a keeps all of it.
        let alt = with_tax(Formula::Incremental {
            owner: 0,
            base: 5.0,
            base_growth: 0.05,
            inner: Box::new(fixed2(0.0, 1.0)),
        });
        let base = |j: i32| 5.0 * 1.05f64.powi(2 + j);
        assert!(base(12) < 10.0 && base(13) > 10.0);
        let a_cv = (1..=12).map(|j| base(j) * 1.1f64.powi(-j)).sum::<f64>()
            + 10.0 * 11.0 * 1.1f64.powi(-13);
        let [a, b] = npv_and_continuation(&constant_pool(3, 10.0, perpetuity(0.0)), &alt);
        let at_3 = 1.1f64.powi(-3);
        assert_close(a.1, a_cv * at_3);
        assert_close(b.1, (100.0 - a_cv) * at_3);
    }

    #[test]
    fn continuation_of_a_guarantee_without_end_pays_a_constant_return() {
        // a's invested capital 50 at 10%: 5 a year guaranteed by b, while a's 30%
        // of a pool of 10 growing at 2% falls short, i.e. until 3 × 1.02^j ≥ 5 at
        // j = 26; ρ = δ = 10%, horizon 3.
        let alt = with_tax(guaranteed(0.3));
        let econ = invested_pool(perpetuity(0.02));
        let q: f64 = 1.02 / 1.1;
        assert!(3.0 * 1.02f64.powi(25) < 5.0 && 3.0 * 1.02f64.powi(26) > 5.0);
        let a_cv = 5.0 * (1.0 - 1.1f64.powi(-25)) / 0.1 + 3.0 * q.powi(26) / (1.0 - q);
        let [a, b] = npv_and_continuation(&econ, &alt);
        let at_3 = 1.1f64.powi(-3);
        assert_close(a.1, a_cv * at_3);
        assert_close(b.1, (127.5 - a_cv) * at_3);
    }

    #[test]
    fn continuation_of_rules_settled_ahead_of_the_pool() {
        // ρ = δ = 10%, horizon 3, pool 10 at the horizon.
        let at_3 = 1.1f64.powi(-3);
        // A base 4 × 1.01^(k−1) kept by a, the excess split 50:50, under a pool
        // growing at 3%, which stays above it: a gets half the pool's perpetuity
        // and half the base's, Σ_j 1.01^(2+j) / 1.1^j = 1.01² x / (1 − x), x = 1.01 / 1.1.
        let alt = with_tax(Formula::Incremental {
            owner: 0,
            base: 4.0,
            base_growth: 0.01,
            inner: Box::new(fixed2(0.5, 0.5)),
        });
        let x: f64 = 1.01 / 1.1;
        let base_cv = 4.0 * 1.01f64.powi(2) * x / (1.0 - x);
        let pool_cv = 10.0 * 1.03 / 0.07;
        let [a, b] = npv_and_continuation(&constant_pool(3, 10.0, perpetuity(0.03)), &alt);
        assert_close(a.1, (0.5 * pool_cv + 0.5 * base_cv) * at_3);
        assert_close(b.1, (0.5 * pool_cv - 0.5 * base_cv) * at_3);
        // A pool shrinking at 5% (its perpetuity 10 × 0.95 / 0.15): a's 30% never
        // covers its return of 5 a year on 50, so b pays a constant 5 forever less
        // a's share.
        let alt = with_tax(guaranteed(0.3));
        let econ = invested_pool(perpetuity(-0.05));
        let shrinking_cv = 10.0 * 0.95 / 0.15;
        let [a, b] = npv_and_continuation(&econ, &alt);
        assert_close(a.1, 50.0 * at_3);
        assert_close(b.1, (shrinking_cv - 50.0) * at_3);
        // The same pool under tiers whose first holds all of it: the first's
        // formula's shares.
        let alt = with_tax(Formula::Tiered {
            tranches: vec![
                Tranche {
                    upper: 12.0,
                    formula: fixed2(0.8, 0.2),
                },
                Tranche {
                    upper: f64::INFINITY,
                    formula: fixed2(0.0, 1.0),
                },
            ],
        });
        let [a, b] = npv_and_continuation(&constant_pool(3, 10.0, perpetuity(-0.05)), &alt);
        assert_close(a.1, 0.8 * shrinking_cv * at_3);
        assert_close(b.1, 0.2 * shrinking_cv * at_3);
    }

    #[test]
    fn a_year_by_year_continuation_stops_where_the_rest_is_negligible() {
        // q^(J−1) ≤ 1e-12 < q^(J−2), q = max(1 + g, 1) / (1 + ρ) (1 + g over 1 + ρ ≤ 1).
        for (g, rho) in [
            (0.02, 0.05),
            (0.0, 0.1),
            (-0.1, 0.05),
            (0.3, 0.31),
            (-0.1, -0.05),
        ] {
            let lead = if rho > 0.0 {
                (1.0f64 + g).max(1.0)
            } else {
                1.0 + g
            };
            let q: f64 = lead / (1.0 + rho);
            let j = tail_years(g, rho);
            assert!(q.powi(j as i32 - 1) <= CONTINUATION_TAIL, "{g} {rho}: {j}");
            assert!(q.powi(j as i32 - 2) > CONTINUATION_TAIL, "{g} {rho}: {j}");
        }
        // A rate that never shrinks a constant amount, or too close to g, is capped.
        assert_eq!(tail_years(-0.1, -0.15), MAX_CONTINUATION_YEARS);
        assert_eq!(tail_years(0.0, 1e-9), MAX_CONTINUATION_YEARS);
    }

    /// A two-region path of 4 years whose pool is given by firm group and kind:
    /// relocated firms pay VAT 10 and CIT 4 and IIT 1 each year, the others VAT 20
    /// and property 5; relocated firms arriving in year 0 paid VAT 2 and CIT 1 at
    /// home in a year before their move, those of year 2 VAT 1.
    fn kinds_path() -> EconomyPath {
        let h = 4;
        let mut econ = constant_pool(h, 40.0, Continuation::None);
        econ.pool_by_kind = vec![0.0; 2 * TaxKind::COUNT * h];
        econ.pre_move_by_kind = vec![0.0; TaxKind::COUNT * h];
        let mut set = |g: usize, k: TaxKind, x: f64| {
            for t in 0..h {
                econ.pool_by_kind[(g * TaxKind::COUNT + k.index()) * h + t] = x;
            }
        };
        set(1, TaxKind::Vat, 10.0);
        set(1, TaxKind::Cit, 4.0);
        set(1, TaxKind::Iit, 1.0);
        set(0, TaxKind::Vat, 20.0);
        set(0, TaxKind::Property, 5.0);
        econ.pre_move_by_kind[TaxKind::Vat.index() * h] = 2.0;
        econ.pre_move_by_kind[TaxKind::Cit.index() * h] = 1.0;
        econ.pre_move_by_kind[TaxKind::Vat.index() * h + 2] = 1.0;
        econ
    }

    /// The relocated firms' VAT and CIT split 50:50 between the origin (0) and the
    /// host (1), the rest to the host, capped by `cap`.
    fn relocation_rule(cap: Option<CapAmount>) -> Alternative {
        let mut taxes = [false; TaxKind::COUNT];
        taxes[TaxKind::Vat.index()] = true;
        taxes[TaxKind::Cit.index()] = true;
        Alternative {
            tax: Formula::Fixed {
                shares: vec![0.5, 0.5],
            },
            pool: Some(TaxPool {
                firms: FirmGroup::Relocated,
                taxes,
                rest_to: 1,
                cap: cap.map(|amount| PoolCap {
                    region: 0,
                    amount,
                    taken_to_date: 0.0,
                }),
            }),
            ..fifty_fifty_then_host()
        }
    }

    /// (tax allocation series of both regions, cap_reached and cap_reached_year of
    /// the origin).
    // Exact: the expected values are sums and halves of small whole numbers.
    #[allow(clippy::float_cmp)]
    fn run(econ: &EconomyPath, alt: &Alternative) -> ([Vec<f64>; 2], f64, f64) {
        let h = econ.horizon;
        let (metrics, series) = evaluated(econ, alt);
        let tax = |r: usize| {
            let at = (r * RegionSeries::COUNT + RegionSeries::TaxAllocation.index()) * h;
            series[at..at + h].to_vec()
        };
        // The host is never capped.
        assert_eq!(
            metrics[RegionMetric::COUNT + RegionMetric::CapReached.index()],
            0.0
        );
        assert!(metrics[RegionMetric::COUNT + RegionMetric::CapReachedYear.index()].is_nan());
        (
            [tax(0), tax(1)],
            metrics[RegionMetric::CapReached.index()],
            metrics[RegionMetric::CapReachedYear.index()],
        )
    }

    #[test]
    // Exact: the expected values are sums and halves of small whole numbers.
    #[allow(clippy::float_cmp)]
    fn a_restricted_pool_of_two_kinds_by_hand() {
        // Restricted: relocated VAT 10 + CIT 4 = 14 a year, 7 each; the rest of the
        // pool, 40 − 14 = 26 (relocated IIT 1, others' VAT 20 and property 5), to the
        // host: 7 and 33.
        let ([origin, host], reached, year) = run(&kinds_path(), &relocation_rule(None));
        assert_eq!(origin, [7.0; 4]);
        assert_eq!(host, [33.0; 4]);
        assert_eq!(reached, 0.0);
        assert!(year.is_nan());
    }

    #[test]
    // Exact: the expected values are sums and halves of small whole numbers.
    #[allow(clippy::float_cmp)]
    fn a_cap_reached_mid_run_sends_the_excess_to_rest_to() {
        // Cap 16: the origin takes 7, 7 (14), then 2 of its 7 in year 3, the excess
        // 5 going to the host, then nothing.
        let ([origin, host], reached, year) = run(
            &kinds_path(),
            &relocation_rule(Some(CapAmount::Money(16.0))),
        );
        assert_eq!(origin, [7.0, 7.0, 2.0, 0.0]);
        assert_eq!(host, [33.0, 33.0, 38.0, 40.0]);
        assert_eq!((reached, year), (1.0, 3.0));
        // Pre-move years: 3 × (VAT 2 + CIT 1) = 9 in year 1: the origin takes 7; in
        // year 2 it keeps 2 (the cap binds); year 3 adds 3 × VAT 1 = 3 of headroom,
        // which it takes; nothing in year 4. IIT is not a shared kind.
        let ([origin, host], reached, year) = run(
            &kinds_path(),
            &relocation_rule(Some(CapAmount::PreMoveYears(3.0))),
        );
        assert_eq!(origin, [7.0, 2.0, 3.0, 0.0]);
        assert_eq!(host, [33.0, 38.0, 37.0, 40.0]);
        assert_eq!((reached, year), (1.0, 2.0));
    }

    #[test]
    // Exact: the expected values are sums and halves of small whole numbers.
    #[allow(clippy::float_cmp)]
    fn what_was_taken_before_the_start_counts_against_the_cap() {
        let taken_9 = |amount| {
            let mut alt = relocation_rule(Some(amount));
            if let Some(cap) = alt.pool.as_mut().and_then(|p| p.cap.as_mut()) {
                cap.taken_to_date = 9.0;
            }
            run(&kinds_path(), &alt)
        };
        // Cap 16 with 9 taken before the start: room 7 in year 1, none after.
        let ([origin, host], reached, year) = taken_9(CapAmount::Money(16.0));
        assert_eq!(origin, [7.0, 0.0, 0.0, 0.0]);
        assert_eq!(host, [33.0, 40.0, 40.0, 40.0]);
        assert_eq!((reached, year), (1.0, 2.0));
        // Pre-move years: 9 of room in year 1, all taken before: the cap binds
        // at once; year 3's 3 of room is taken.
        let ([origin, host], reached, year) = taken_9(CapAmount::PreMoveYears(3.0));
        assert_eq!(origin, [0.0, 0.0, 3.0, 0.0]);
        assert_eq!(host, [40.0, 40.0, 37.0, 40.0]);
        assert_eq!((reached, year), (1.0, 1.0));
    }

    #[test]
    // Exact: the expected values are sums and halves of small whole numbers.
    #[allow(clippy::float_cmp)]
    fn a_cap_never_reached_changes_nothing() {
        let (uncapped, _, _) = run(&kinds_path(), &relocation_rule(None));
        // 4 × 7 = 28 ≤ 28: the cap is met exactly but never exceeded.
        let (capped, reached, year) = run(
            &kinds_path(),
            &relocation_rule(Some(CapAmount::Money(28.0))),
        );
        assert_eq!(capped, uncapped);
        assert_eq!(reached, 0.0);
        assert!(year.is_nan());
    }

    #[test]
    // Exact: the expected values are sums and halves of small whole numbers.
    #[allow(clippy::float_cmp)]
    fn a_restriction_to_everything_is_the_whole_pool() {
        // Every firm and kind: the pool itself, not the sum of its parts.
        let mut alt = relocation_rule(None);
        if let Some(rule) = &mut alt.pool {
            rule.firms = FirmGroup::All;
            rule.taxes = [true; TaxKind::COUNT];
        }
        let mut econ = kinds_path();
        econ.tax_pool = vec![41.0; 4];
        let ([origin, host], _, _) = run(&econ, &alt);
        assert_eq!(origin, [20.5; 4]);
        assert_eq!(host, [20.5; 4]);
    }

    #[test]
    fn a_restricted_continuation_sends_the_rest_to_rest_to() {
        // Perpetuity at ρ = 10%, g = 0 of the last year: the origin's 7 / 0.1 = 70,
        // the host's 33 / 0.1 = 330, at the horizon.
        let mut econ = kinds_path();
        econ.continuation = Continuation::Perpetuity {
            growth: 0.0,
            discount_rate: 0.1,
        };
        let [origin, host] = npv_and_continuation(&econ, &relocation_rule(None));
        assert_close(origin.1, 70.0 * 1.1f64.powi(-4));
        assert_close(host.1, 330.0 * 1.1f64.powi(-4));
    }

    #[test]
    fn a_cap_with_room_at_the_horizon_is_spent_in_the_continuation() {
        // Perpetuity at ρ = 10%, g = 0 after 4 years in which the origin took 28.
        // Cap 35: room 7, taken in year 5 (7 of 7); from year 6 the host has all 40:
        // at the horizon the origin 7 / 1.1, the host (33 + 40 / 0.1) / 1.1.
        // Cap 30: room 2; year 5 the origin keeps 2, the host 38; then 40 forever.
        // Cap 20, bound within the horizon: the host has all 40 from year 5.
        let mut econ = kinds_path();
        econ.continuation = Continuation::Perpetuity {
            growth: 0.0,
            discount_rate: 0.1,
        };
        let at_4 = 1.1f64.powi(-4);
        for (cap, origin_cv, host_cv) in [
            (35.0, 7.0 / 1.1, (33.0 + 400.0) / 1.1),
            (30.0, 2.0 / 1.1, (38.0 + 400.0) / 1.1),
            (20.0, 0.0, 400.0),
        ] {
            let alt = relocation_rule(Some(CapAmount::Money(cap)));
            let [origin, host] = npv_and_continuation(&econ, &alt);
            assert_close(origin.1, origin_cv * at_4);
            assert_close(host.1, host_cv * at_4);
            assert_close(origin.1 + host.1, 400.0 * at_4);
        }
        // A cap far beyond reach: the origin's 7 a year forever, up to year 1,000 of
        // cooperation taken one by one, then a perpetuity: 7 / 0.1 in all.
        let alt = relocation_rule(Some(CapAmount::Money(1e9)));
        let [origin, host] = npv_and_continuation(&econ, &alt);
        assert_close(origin.1, 70.0 * at_4);
        assert_close(host.1, 330.0 * at_4);
    }

    /// One of the formulas whose continuation is not a plain perpetuity, picked by
    /// `kind` from the parameters.
    fn rule_of(kind: u8, threshold: f64, base_growth: f64, rate: f64) -> Formula {
        let shares = |a: f64| fixed2(a, 1.0 - a);
        match kind {
            0 => Formula::Tiered {
                tranches: vec![
                    Tranche {
                        upper: threshold,
                        formula: shares(0.9),
                    },
                    Tranche {
                        upper: f64::INFINITY,
                        formula: shares(0.2),
                    },
                ],
            },
            1 => Formula::Incremental {
                owner: 1,
                base: threshold,
                base_growth,
                inner: Box::new(shares(0.6)),
            },
            _ => Formula::GuaranteedReturn {
                beneficiary: 0,
                guarantor: 1,
                rate,
                inner: Box::new(shares(0.3)),
                term: GuaranteeTerm::default(),
            },
        }
    }

    proptest::proptest! {
        /// The continuation, closed in form once a rule has passed its last
        /// threshold for good, is the year-by-year sum of the formula's allocations
        /// of the grown pool, taken here over 3,000 years.
        #[test]
        fn continuation_is_the_sum_of_the_years(
            kind in 0u8..3,
            pool in 1.0f64..50.0,
            growth in -0.1f64..0.05,
            margin in 0.03f64..0.2,
            threshold in 0.0f64..80.0,
            base_growth in -0.05f64..0.08,
            rate in 0.0f64..0.3,
        ) {
            // A guarantee without end needs ρ > 0 (validated).
            let rho = if kind == 2 { (growth + margin).max(0.01) } else { growth + margin };
            let tax = rule_of(kind, threshold, base_growth, rate);
            let mut econ = constant_pool(3, pool, Continuation::Perpetuity {
                growth,
                discount_rate: rho,
            });
            econ.invested_capital = vec![50.0, 50.0, 50.0, 0.0, 0.0, 0.0];
            let [a, b] = npv_and_continuation(&econ, &with_tax(tax.clone()));
            let ctx = ShareContext {
                equity: &[0.5, 0.5],
                cumulative_contributions: &[0.0, 0.0],
                invested_capital: &[50.0, 0.0],
            };
            let mut want = [0.0; 2];
            for j in 1..=3000 {
                let (mut alloc, mut moved) = ([0.0; 2], [0.0; 2]);
                let grown = pool * (1.0 + growth).powi(j);
                tax.allocate(3 + j as u32, grown, &ctx, &mut alloc, &mut moved);
                for (w, x) in want.iter_mut().zip(alloc) {
                    *w += x / (1.0 + rho).powi(j);
                }
            }
            // At the regions' δ = 10% over the 3 years.
            let at_3 = 1.1f64.powi(-3);
            let scale = pool * (1.0 + growth) / margin + 50.0 * rate / rho.max(0.01);
            for (got, want) in [(a.1, want[0]), (b.1, want[1])] {
                proptest::prop_assert!(
                    (got - want * at_3).abs() <= 1e-8 * scale,
                    "{got} vs {}", want * at_3
                );
            }
        }

        /// Under any restriction and cap, the year's allocations add up to the pool.
        #[test]
        fn restricted_allocations_sum_to_the_pool(
            parts in proptest::collection::vec(0.0f64..100.0, 2 * TaxKind::COUNT),
            pre_move in proptest::collection::vec(0.0f64..10.0, TaxKind::COUNT),
            taxes in proptest::collection::vec(proptest::bool::ANY, TaxKind::COUNT),
            relocated in proptest::bool::ANY,
            share in 0.0f64..=1.0,
            cap in proptest::option::of((0usize..2, 0.0f64..200.0, proptest::bool::ANY)),
            growth in proptest::collection::vec(0.5f64..1.5, 4),
        ) {
            let h = growth.len();
            let mut econ = constant_pool(h, 0.0, Continuation::None);
            econ.pool_by_kind = vec![0.0; 2 * TaxKind::COUNT * h];
            econ.pre_move_by_kind = vec![0.0; TaxKind::COUNT * h];
            for t in 0..h {
                for (j, x) in parts.iter().enumerate() {
                    econ.pool_by_kind[j * h + t] = x * growth[t];
                }
                for (k, x) in pre_move.iter().enumerate() {
                    econ.pre_move_by_kind[k * h + t] = x * growth[t];
                }
                econ.tax_pool[t] = parts.iter().map(|x| x * growth[t]).sum();
            }
            let mut kinds = [false; TaxKind::COUNT];
            kinds.copy_from_slice(&taxes);
            let alt = Alternative {
                tax: Formula::Fixed { shares: vec![share, 1.0 - share] },
                pool: Some(TaxPool {
                    firms: if relocated { FirmGroup::Relocated } else { FirmGroup::All },
                    taxes: kinds,
                    rest_to: 1,
                    cap: cap.map(|(_, x, years)| PoolCap {
                        region: 0,
                        amount: if years { CapAmount::PreMoveYears(x / 20.0) } else { CapAmount::Money(x) },
                        taken_to_date: 0.0,
                    }),
                }),
                ..fifty_fifty_then_host()
            };
            let ([a, b], _, _) = run(&econ, &alt);
            for t in 0..h {
                let pool = econ.tax_pool[t];
                proptest::prop_assert!((a[t] + b[t] - pool).abs() <= 1e-9 * pool.max(1.0));
                proptest::prop_assert!(a[t] >= -1e-9 && b[t] >= -1e-9);
            }
            // After the horizon too: the continuations add up to the pool's perpetuity.
            econ.continuation = Continuation::Perpetuity { growth: 0.02, discount_rate: 0.08 };
            let [x, y] = npv_and_continuation(&econ, &alt);
            let whole = econ.tax_pool[h - 1] * 1.02 / 0.06 * 1.1f64.powi(-(h as i32));
            proptest::prop_assert!((x.1 + y.1 - whole).abs() <= 1e-9 * whole.max(1.0));
        }
    }

    /// 亩均税收 and 亩均产值 by hand: over the horizon, the sum of the amounts over
    /// the occupied mu-years; each year, the year's amount over its occupied mu;
    /// undefined where nothing is occupied.
    #[test]
    fn per_mu_figures_by_hand() {
        let scn = crate::scenario::Scenario::reference().expect("bundled scenario");
        let streams = crate::streams::Streams::new(1, &scn.params);
        let mut ws = crate::economy::Workspace::default();
        crate::economy::simulate_path(&scn, 3, &streams, 0, &mut ws);
        let econ = &mut ws.out;
        econ.occupied_mu = vec![0.0, 100.0, 300.0];
        econ.tax_total = vec![0.0, 5.0, 10.0];
        econ.revenue = vec![0.0, 200.0, 400.0];
        let mut park = vec![0.0; ParkMetric::COUNT];
        park_metrics(econ, &mut park);
        // (5 + 10) / (100 + 300) = 0.0375; (200 + 400) / 400 = 1.5.
        assert!((park[ParkMetric::TaxPerMu.index()] - 0.0375).abs() < 1e-15);
        assert!((park[ParkMetric::OutputPerMu.index()] - 1.5).abs() < 1e-15);
        let mut ps = vec![0.0; ParkSeries::COUNT * 3];
        park_series(econ, &mut ps);
        let tax = &ps[ParkSeries::TaxPerMu.index() * 3..][..3];
        assert!(tax[0].is_nan());
        assert!((tax[1] - 0.05).abs() < 1e-15 && (tax[2] - 10.0 / 300.0).abs() < 1e-15);
        let output = &ps[ParkSeries::OutputPerMu.index() * 3..][..3];
        assert!(output[0].is_nan() && (output[1] - 2.0).abs() < 1e-15);
        econ.occupied_mu = vec![0.0; 3];
        park_metrics(econ, &mut park);
        assert!(park[ParkMetric::TaxPerMu.index()].is_nan());
    }

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
        // Per-mu figures are undefined (NaN) in years before any land is occupied.
        assert!(ps.iter().all(|x| !x.is_infinite()));
        for s in ParkSeries::ALL {
            let allowed = crate::schema::Measure::ParkSeries(*s).may_be_undefined();
            let yearly = &ps[s.index() * 30..(s.index() + 1) * 30];
            assert!(allowed || yearly.iter().all(|x| x.is_finite()), "{s}");
        }
        // The engine writes the rest of the record (the regions' game, the
        // alternatives' own metrics): every position, and a Shapley value is a number.
        let layout = crate::engine::Layout::new(&scn, 30);
        let mut record = vec![f64::INFINITY; layout.len()];
        let mut scratch = crate::engine::PathScratch::default();
        crate::engine::run_path(&scn, 30, &streams, 0, &mut scratch, &mut record);
        assert!(record.iter().all(|x| !x.is_infinite()));
        assert!(record[layout.region_metric(0, 0, RegionMetric::Shapley)].is_finite());
    }
}
