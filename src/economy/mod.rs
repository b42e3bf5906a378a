//! One simulated future of the park (MODEL.md §2–§6): equity, costs and their
//! bearers, the park development company, stochastic firms and their taxes.
//!
//! [`simulate_path`] fills an [`EconomyPath`] — the yearly series every sharing
//! alternative is then evaluated on — from the scenario, the path's parameter
//! draws and its random stream. Nothing here depends on the sharing formulas, which
//! is what makes all alternatives see the same futures (common random numbers).
//!
//! All buffers live in a [`Workspace`] that is reused from path to path: after the
//! first few paths nothing in here allocates.

mod company;
mod costs;
mod effects;
mod eras;
mod firm_log;
mod firms;
mod poisson;
mod taxes;
mod trace;

use rand::Rng;
use rand_distr::{Distribution, StandardNormal};

use crate::scenario::{
    Continuation, ContributionKind, ContributionMeasure, LandOnExit, Prices, Scenario, TaxKind,
    TaxPool,
};
use crate::sharing::MAX_REGIONS;
use crate::streams::{self, Streams, unit_from_u64};
use company::{Books, Company};
use costs::CostLedger;
use effects::Effects;
use eras::Eras;
pub use firm_log::{FirmLog, Share};
use firms::{Arrivals, FirmPool, Land, Market, SectorParams};
use taxes::TaxParams;
pub use trace::{FirmYearDetail, NoTrace, Trace};

/// Longest loss carry-forward a sector may have.
pub const MAX_LOSS_CARRY: usize = 10;

/// Square metres per mu.
pub const M2_PER_MU: f64 = 10_000.0 / 15.0;

/// Year-index sentinel for "never".
const NEVER: u32 = u32::MAX;

/// The yearly results of one path, indexed `[t]` for park series and `[r * H + t]`
/// for region series (H = horizon, r = region index).
#[derive(Debug, Clone, Default)]
pub struct EconomyPath {
    /// Horizon H.
    pub horizon: usize,
    /// Number of regions.
    pub regions: usize,
    /// Equity share of each region before any dated change (the `[company]`
    /// equity, fixed or from contributions); see [`EconomyPath::equity_at`].
    pub equity: Vec<f64>,
    /// Equity share of each region in force each year, year-major (`[t * regions
    /// + r]`): the last dated change's equity, else `equity`.
    pub equity_by_year: Vec<f64>,
    /// Discount rate of each region on this path.
    pub discount_rate: Vec<f64>,
    /// Outside option of each region on this path.
    pub outside_option: Vec<f64>,

    /// Cash contributions paid (region × year).
    pub cash_contributions: Vec<f64>,
    /// In-kind contribution values credited (region × year).
    pub in_kind: Vec<f64>,
    /// Opportunity costs of in-kind contributions (region × year).
    pub opportunity_costs: Vec<f64>,
    /// Costs borne directly (region × year).
    pub costs_borne: Vec<f64>,
    /// Capital calls paid (region × year).
    pub capital_calls: Vec<f64>,
    /// Dividends received (region × year).
    pub dividends: Vec<f64>,
    /// Terminal value received (region × year; only the last year is non-zero).
    pub terminal: Vec<f64>,
    /// Local taxes lost to displacement (region × year).
    pub displaced: Vec<f64>,
    /// Each region's contribution C_r to date, for the `contribution` formula
    /// (region × year; MODEL.md §7).
    pub cumulative_contributions: Vec<f64>,
    /// Cash contributions plus capital calls to date (region × year).
    pub invested_capital: Vec<f64>,

    /// Local retained tax pool LR_t.
    pub tax_pool: Vec<f64>,
    /// Land revenue going to governments.
    pub land_pool: Vec<f64>,
    /// Park value added (GDP).
    pub gdp: Vec<f64>,
    /// Firms in the park at year end.
    pub firms: Vec<f64>,
    /// Occupied share of the open saleable land.
    pub occupancy: Vec<f64>,
    /// Total tax, all levels.
    pub tax_total: Vec<f64>,
    /// Central government's part.
    pub tax_central: Vec<f64>,
    /// Local part, before the provincial take and rebates.
    pub tax_local: Vec<f64>,
    /// Rebates paid to firms.
    pub rebates: Vec<f64>,
    /// Jobs (wage bill / average wage).
    pub jobs: Vec<f64>,
    /// The firms' revenue (产值).
    pub revenue: Vec<f64>,
    /// Mu of land occupied by firms.
    pub occupied_mu: Vec<f64>,
    /// Land sales, whoever receives them.
    pub land_sales: Vec<f64>,
    /// Shareholders' net cash flow with the PDC (dividends + terminal − cash contributions − calls).
    pub pdc_flow: Vec<f64>,
    /// Prospective firms turned away for lack of land, whole path.
    pub turned_away: u64,
    /// Firm-years simulated on this path.
    pub firm_years: u64,
    /// The provincial take received by `[taxes.province] to` (region × year; all 0
    /// without a recipient).
    pub provincial: Vec<f64>,
    /// The provincial take, whoever receives it.
    pub tax_provincial: Vec<f64>,
    /// Paid to buy back exiting firms' land (收储), by whoever receives land sales.
    pub land_buybacks: Vec<f64>,
    /// Mu of land the park sold (land transferred between firms is not).
    pub land_sold_mu: Vec<f64>,
    /// Mu of land bought back from exiting firms.
    pub land_bought_back_mu: Vec<f64>,
    /// Saleable mu open to firms (all phases opened so far).
    pub land_open_mu: Vec<f64>,
    /// How each region's share of the pool after the horizon is valued.
    pub continuation: Continuation,
    /// The part of `costs_borne` that is land acquisition (region × year).
    pub land_costs_borne: Vec<f64>,
    /// The path's draws of each alternative's delivery risk, by
    /// [`crate::scenario::Delivery::slot`].
    pub delivery: Vec<DeliveryDraw>,
    /// One uniform per year from the `delivery` stream (empty when no alternative
    /// has a delivery risk): year t is a default year under a rule whose
    /// probability exceeds it, so every alternative sees the same bad years.
    pub delivery_uniform: Vec<f64>,
    /// The pool LR_t by firm group and tax kind, each net of its part of the
    /// rebates: `[(g × KINDS + k) × H + t]` with g = 0 for the firms not relocated,
    /// 1 for the relocated ones, k = [`TaxKind::index`]. Σ over g, k = `tax_pool`
    /// up to rounding. Summed only when some alternative restricts its pool (all 0
    /// otherwise, as is `pre_move_by_kind`).
    pub pool_by_kind: Vec<f64>,
    /// The retained taxes by kind that the relocated firms arriving in year t paid
    /// at home in one year before their move: `[k × H + t]`.
    pub pre_move_by_kind: Vec<f64>,
}

impl EconomyPath {
    fn reset(&mut self, regions: usize, horizon: usize) {
        self.horizon = horizon;
        self.regions = regions;
        for v in [
            &mut self.equity,
            &mut self.discount_rate,
            &mut self.outside_option,
        ] {
            v.clear();
            v.resize(regions, 0.0);
        }
        for v in [
            &mut self.cash_contributions,
            &mut self.in_kind,
            &mut self.opportunity_costs,
            &mut self.costs_borne,
            &mut self.capital_calls,
            &mut self.dividends,
            &mut self.terminal,
            &mut self.displaced,
            &mut self.cumulative_contributions,
            &mut self.invested_capital,
            &mut self.provincial,
            &mut self.land_costs_borne,
        ] {
            v.clear();
            v.resize(regions * horizon, 0.0);
        }
        self.equity_by_year.clear();
        self.equity_by_year.resize(regions * horizon, 0.0);
        for v in [
            &mut self.tax_pool,
            &mut self.land_pool,
            &mut self.gdp,
            &mut self.firms,
            &mut self.occupancy,
            &mut self.tax_total,
            &mut self.tax_central,
            &mut self.tax_local,
            &mut self.rebates,
            &mut self.jobs,
            &mut self.revenue,
            &mut self.occupied_mu,
            &mut self.land_sales,
            &mut self.pdc_flow,
            &mut self.tax_provincial,
            &mut self.land_buybacks,
            &mut self.land_sold_mu,
            &mut self.land_bought_back_mu,
            &mut self.land_open_mu,
        ] {
            v.clear();
            v.resize(horizon, 0.0);
        }
        self.pool_by_kind.clear();
        self.pool_by_kind.resize(2 * TaxKind::COUNT * horizon, 0.0);
        self.pre_move_by_kind.clear();
        self.pre_move_by_kind.resize(TaxKind::COUNT * horizon, 0.0);
        self.turned_away = 0;
        self.firm_years = 0;
    }

    /// Equity shares in force in year `t` (the base `equity` when the yearly
    /// shares are not filled in, as in a path built by hand).
    #[inline]
    pub fn equity_at(&self, t: usize) -> &[f64] {
        let n = self.regions;
        self.equity_by_year
            .get(t * n..(t + 1) * n)
            .unwrap_or(&self.equity)
    }

    /// The part of year t's pool that `rule` restricts the formula to; the whole
    /// pool, exactly, when the rule holds every firm and kind.
    ///
    /// # Formula
    /// restricted_t = Σ over the rule's firm groups g and kinds k of pool_g,k,t.
    pub fn restricted_pool(&self, rule: &TaxPool, t: usize) -> f64 {
        if rule.is_whole() {
            return self.tax_pool[t];
        }
        let h = self.horizon;
        let mut sum = 0.0;
        for g in 0..2 {
            if !rule.holds_group(g == 1) {
                continue;
            }
            for k in TaxKind::ALL {
                if rule.taxes[k.index()] {
                    sum += self.pool_by_kind[(g * TaxKind::COUNT + k.index()) * h + t];
                }
            }
        }
        sum
    }

    /// The relocated firms' pre-move taxes of the kinds `rule` holds, of the firms
    /// arriving in year t.
    pub fn pre_move(&self, rule: &TaxPool, t: usize) -> f64 {
        let h = self.horizon;
        TaxKind::ALL
            .iter()
            .filter(|k| rule.taxes[k.index()])
            .map(|k| self.pre_move_by_kind[k.index() * h + t])
            .sum()
    }

    /// Region series `r` of a region × year vector.
    #[inline]
    pub fn row<'a>(&self, v: &'a [f64], r: usize) -> &'a [f64] {
        &v[r * self.horizon..(r + 1) * self.horizon]
    }
}

/// One path's draws of an alternative's delivery risk (`[sharing.delivery]`).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct DeliveryDraw {
    /// The region that collects the pools.
    pub collector: usize,
    /// Each year's probability that nothing owed is paid.
    pub default_probability: f64,
    /// Share of what is owed that is not paid in the other years.
    pub haircut: f64,
    /// Year index from which the collector keeps everything (`u32::MAX`: never).
    pub renegotiation: u32,
}

impl DeliveryDraw {
    /// The share of what the collector owes in year t that it pays, given the
    /// year's uniform `u`.
    ///
    /// # Formula
    /// 0 from the renegotiation year on or when u < default probability, else
    /// 1 − haircut.
    pub fn paid_share(&self, t: usize, u: f64) -> f64 {
        if t >= self.renegotiation as usize || u < self.default_probability {
            0.0
        } else {
            1.0 - self.haircut
        }
    }
}

/// Reusable buffers for simulating paths; one per worker thread.
#[derive(Debug, Clone, Default)]
pub struct Workspace {
    /// The path's draws of the scenario's uncertain inputs.
    pub draws: Vec<f64>,
    sectors: Vec<SectorParams>,
    /// Cumulative sector weights.
    sector_cdf: Vec<f64>,
    firms: FirmPool,
    books: Books,
    /// Saleable land opening each year.
    open_saleable_added: Vec<f64>,
    /// Price level P_t of each year relative to the start year (all 1 in constant
    /// prices).
    price: Vec<f64>,
    effects: Effects,
    /// The tax parameters and sector rates of each era of dated changes.
    eras: Eras,
    /// The path's results.
    pub out: EconomyPath,
}

/// Ramp-up factor of a firm of age `age` (0 in its arrival year).
///
/// # Formula
/// ramp(a) = min(1, (a + 1) / ramp_years); 1 when ramp_years = 0.
#[inline]
pub fn ramp(age: u32, ramp_years: u32) -> f64 {
    // (a + 1) / ramp_years ≥ 1 exactly when a + 1 ≥ ramp_years (both are small
    // integers, exact in a double, and division rounds monotonically), so a mature
    // firm skips the division and gets the same 1.
    if age >= ramp_years.saturating_sub(1) {
        1.0
    } else {
        ((age + 1) as f64 / ramp_years as f64).min(1.0)
    }
}

/// Simulates path `p` into `ws.out`: draws the uncertain inputs into `ws.draws`
/// from their named streams, then the park's future from the process streams
/// `macro`, `arrivals` and `firms` (MODEL.md §10, [`crate::streams`]).
pub fn simulate_path(scn: &Scenario, horizon: u32, streams: &Streams, p: u64, ws: &mut Workspace) {
    simulate_path_shared(scn, horizon, streams, p, ws, Share::Off);
}

/// [`simulate_path`], sharing the path's firms with another park's simulation of
/// the same path: recording this park's ([`Share::Record`]) or taking the recorded
/// park's ([`Share::Replay`]; see [`FirmLog`] for when that is exact). The results
/// are bit for bit those of [`simulate_path`], except that a park replaying the log
/// (a coalition's, whose value is its NPV) leaves 0 the yearly totals no NPV reads:
/// all taxes, local and central taxes, rebates, GDP and jobs.
pub fn simulate_path_shared(
    scn: &Scenario,
    horizon: u32,
    streams: &Streams,
    p: u64,
    ws: &mut Workspace,
    share: Share<'_>,
) {
    simulate_path_traced(scn, horizon, streams, p, ws, share, &mut NoTrace);
}

/// [`simulate_path_shared`], telling `trace` each year and each firm-year
/// (`enclave run --replay`); with [`NoTrace`] it is the same code as without.
pub fn simulate_path_traced<O: Trace>(
    scn: &Scenario,
    horizon: u32,
    streams: &Streams,
    p: u64,
    ws: &mut Workspace,
    mut share: Share<'_>,
    trace: &mut O,
) {
    ws.draws.clear();
    ws.draws.resize(scn.params.len(), 0.0);
    // A park replaying another's firms has its uncertain inputs ([`FirmLog`]): the
    // same draws, taken rather than drawn again.
    let kept = match share {
        Share::Replay(log) => log.draws_of(p, ws.draws.len()),
        _ => None,
    };
    match kept {
        Some(d) => ws.draws.copy_from_slice(d),
        None => scn.params.draw_path(streams, p, &mut ws.draws),
    }
    if let Share::Record(log) = &mut share {
        log.keep_draws(p, &ws.draws);
    }
    let h = horizon as usize;
    let n = scn.regions.len();
    let d = &ws.draws;
    let out = &mut ws.out;
    out.reset(n, h);
    out.continuation = scn.outcome.continuation;
    // Under antithetic pairs an odd path mirrors its even partner's process noise.
    let noise = streams.noise(p);
    delivery_draws(scn, d, streams, p, h, out);
    for (r, region) in scn.regions.iter().enumerate() {
        out.discount_rate[r] = region.discount_rate.get(d);
        out.outside_option[r] = region.outside_option.get(d);
    }

    // §11 the price level; §2 equity and contribution effects.
    let inflation = match &scn.prices {
        Prices::Real => None,
        Prices::Nominal { inflation } => Some(inflation.get(d)),
    };
    price_index(inflation, h, &mut ws.price);
    let values = effects::contributions(scn, d, h, &mut ws.effects, out);
    effects::equity(scn.company.equity.as_deref(), &values, &mut out.equity);
    at_prices(&ws.price, &mut ws.effects, out);
    for t in 0..h {
        let e = scn
            .change_at(t as u32)
            .and_then(|c| c.equity.as_deref())
            .unwrap_or(&out.equity);
        out.equity_by_year[t * n..(t + 1) * n].copy_from_slice(e);
    }

    // §3 costs by bearer; §4 loans on the PDC's capex.
    ws.books.reset(h);
    costs::bear_costs(
        scn,
        d,
        &ws.effects.cost_mult,
        &mut CostLedger {
            horizon: h,
            regions: n,
            equity: &out.equity_by_year,
            costs_borne: &mut out.costs_borne,
            pdc_capex: &mut ws.books.capex,
            pdc_opex: &mut ws.books.opex,
            land_costs_borne: &mut out.land_costs_borne,
        },
    );
    let company = &scn.company;
    let rent = company.rent_per_mu.get(d);
    let initial = &scn.initial;
    let mut pdc = Company {
        fee_rate: company.service_fee_rate.get(d),
        rent,
        payout: company.payout_ratio.get(d),
        terminal: company.terminal,
        debt_outstanding: company::schedule_loans(
            company.debt_share.get(d),
            company.interest_rate.get(d),
            company.loan_years,
            &mut ws.books,
        ) + company::schedule_initial_debt(
            initial.debt,
            company.interest_rate.get(d),
            initial.debt_years,
            &mut ws.books,
        ),
        cash: initial.cash,
    };

    // §6 tax parameters; §5 sectors, land and arrivals.
    let tax = TaxParams::resolve(scn, d);
    ws.eras.resolve(scn, d, tax);
    let mut era = 0;
    ws.sectors.clear();
    ws.sector_cdf.clear();
    let mut cum = 0.0;
    for s in &scn.firms.sectors {
        ws.sectors
            .push(SectorParams::resolve(s, d, tax.property_rate));
        cum += s.weight;
        ws.sector_cdf.push(cum);
    }
    let saleable_share = scn.park.saleable_share.get(d);
    saleable_openings(scn, saleable_share, h, &mut ws.open_saleable_added);
    let market = Market::resolve(scn, d, tax.rebate_attractiveness);
    let average_wage = scn.firms.average_wage.get(d);
    let phi = scn.macro_shock.persistence.get(d);
    let sigma_m = scn.macro_shock.volatility.get(d);

    // The pool by firm group and kind is read only by restricted pools.
    let by_kind = scn.alternatives.iter().any(|a| a.pool.is_some());
    if let Share::Replay(log) = share {
        if by_kind || !log.fits(p, &ws.effects.revenue_mult) {
            share = Share::Off;
        }
    }
    if let Share::Record(log) = &mut share {
        log.start(&ws.effects.revenue_mult);
    }
    // The firm's own shocks ε → −ε on a mirrored path: the sign is folded into
    // the loading σ√(1 − β²) once per path (exactly ×1 otherwise).
    for s in ws.sectors.iter_mut() {
        s.own_load *= noise.sign;
    }
    let mut macro_rng = streams::open(&streams.macro_shock, noise.path);
    let mut arrivals_rng = streams::open(&streams.arrivals, noise.path);
    let mut firms_rng = streams::open(&streams.firms, noise.path);
    let firms = &mut ws.firms;
    firms.clear();
    let mut land = Land::default();
    if initial.is_open() {
        // docs/model.md §12: the land developed before the start is open in year 0;
        // the land sold (at least the initial firms') is not free.
        let arrivals = Arrivals {
            defs: &scn.firms.sectors,
            sectors: &ws.sectors,
            cdf: &ws.sector_cdf,
            market,
            mask: noise.mask,
        };
        let mut initial_rng = streams::open(&streams.initial_firms, noise.path);
        let held = firms::settle_initial(&initial.firms, &arrivals, &mut initial_rng, firms);
        land.open = initial.developed_mu * saleable_share;
        land.free = (land.open - held.max(initial.land_sold_mu)).max(0.0);
    }
    let mut macro_level = 0.0;
    for t in 0..h {
        let tu = t as u32;
        let p_t = ws.price[t];
        let market = market.at_price(p_t);
        pdc.rent = rent * p_t;
        // The taxes of the era in force (MODEL.md §6, dated changes), at the year's
        // price level.
        ws.eras.advance(&mut era, tu, &mut ws.sectors);
        let era_now = ws.eras.get(era);
        let tax = era_now.tax.at_price(p_t);
        // Macro shock m_t = φ m_{t−1} + σ_m ε_t, drawn every year.
        let z: f64 = StandardNormal.sample(&mut macro_rng);
        let eps_m = noise.sign * z;
        macro_level = phi * macro_level + sigma_m * eps_m;
        for s in ws.sectors.iter_mut() {
            s.year_shift = s.drift + s.macro_load * eps_m;
        }
        land.open += ws.open_saleable_added[t];
        land.free += ws.open_saleable_added[t];
        // Exits free their land at the start of the year; under `buyback` the
        // recipient of land sales buys the rights back at their residual value.
        let freed = firms.remove_exits(tu, market.land_term_years);
        land.free_exits(freed, market.land_on_exit);
        let buyback = market.buyback(freed);
        out.land_buybacks[t] = buyback;
        if market.land_on_exit == LandOnExit::Buyback {
            out.land_bought_back_mu[t] = freed.mu;
        }

        // N_t = the Poisson(λ_t) quantile at the year's uniform, drawn every year.
        let u = unit_from_u64(arrivals_rng.next_u64() ^ noise.mask);
        let lambda = market.lambda(ws.effects.attractiveness[t], macro_level, land);
        let arrivals = Arrivals {
            defs: &scn.firms.sectors,
            sectors: &ws.sectors,
            cdf: &ws.sector_cdf,
            market,
            mask: noise.mask,
        };
        let n_t = poisson::quantile(lambda, u);
        let sales = arrivals.arrive(n_t, tu, &mut firms_rng, &mut land, firms, &mut share);
        out.turned_away += sales.turned_away;
        out.land_sales[t] = sales.total;
        out.land_sold_mu[t] = sales.sold_mu;
        out.land_open_mu[t] = land.open;
        // Net of the buyback, which whoever receives land sales pays.
        if market.land_to_company {
            out.land_pool[t] = sales.total - sales.to_company;
            ws.books.land_sales[t] = sales.to_company - buyback;
        } else {
            out.land_pool[t] = sales.total - sales.to_company - buyback;
            ws.books.land_sales[t] = sales.to_company;
        }

        trace.year(tu, average_wage * p_t, ws.effects.revenue_mult[t]);
        let y = firms::firm_years(
            firms,
            &ws.sectors,
            &tax,
            tu,
            ws.effects.revenue_mult[t],
            &ws.price,
            by_kind,
            &mut share,
            trace,
        );
        out.firm_years += firms.len() as u64;
        out.tax_pool[t] = y.pool;
        out.tax_total[t] = y.total;
        out.tax_local[t] = y.local;
        out.tax_central[t] = y.total - y.local;
        out.rebates[t] = y.rebates;
        for (g, kinds) in y.by_kind.iter().enumerate() {
            for (k, x) in kinds.iter().enumerate() {
                out.pool_by_kind[(g * TaxKind::COUNT + k) * h + t] = *x;
            }
        }
        for (k, x) in y.pre_move.iter().enumerate() {
            out.pre_move_by_kind[k * h + t] = *x;
        }
        out.gdp[t] = y.gdp;
        // Whole jobs, as the docs count them (docs/model.md §10), in every year.
        out.jobs[t] = (y.wages / (average_wage * p_t)).round();
        out.revenue[t] = y.revenue;
        out.occupied_mu[t] = y.occupied;
        out.firms[t] = firms.len() as f64;
        out.occupancy[t] = if land.open > 0.0 {
            (y.occupied / land.open).min(1.0)
        } else {
            0.0
        };
        // The origin loses the displaced firms' home taxes and regains, once, the
        // land the year's displaced arrivals freed at home.
        if let Some(o) = market.origin {
            out.displaced[o * h + t] +=
                y.displaced_tax - market.freed_land_value * sales.freed_at_home_mu;
        }
        out.tax_provincial[t] = y.provincial;
        if let Some(to) = era_now.to {
            out.provincial[to * h + t] += y.provincial;
        }

        // §4 the PDC's year, shared by equity.
        let contributions: f64 = (0..n).map(|r| out.cash_contributions[r * h + t]).sum();
        let c = pdc.year(t, &ws.books, contributions, y.revenue, y.occupied);
        for r in 0..n {
            let e = out.equity_by_year[t * n + r];
            out.capital_calls[r * h + t] += e * c.call;
            out.dividends[r * h + t] += e * c.dividend;
            out.terminal[r * h + t] += e * c.terminal;
        }
        out.pdc_flow[t] = c.dividend + c.terminal - contributions - c.call;
    }
    if let Share::Record(log) = share {
        log.finish(p);
    }
    let mut land_in_kind = [false; MAX_REGIONS];
    for c in &scn.contributions {
        land_in_kind[c.region] |= c.kind == ContributionKind::Land;
    }
    running_totals(
        out,
        &scn.outcome.contribution,
        &land_in_kind,
        &scn.initial.contributions,
    );
}

/// Each alternative's delivery risk on the path, and the year's uniforms of the
/// `delivery` stream when some alternative has one. A renegotiation year is the
/// calendar year drawn, rounded down.
fn delivery_draws(
    scn: &Scenario,
    d: &[f64],
    streams: &Streams,
    p: u64,
    h: usize,
    out: &mut EconomyPath,
) {
    out.delivery.clear();
    out.delivery_uniform.clear();
    for alt in &scn.alternatives {
        if let Some(rule) = &alt.delivery {
            let renegotiation = rule.renegotiation_year.map_or(u32::MAX, |y| {
                // Validated within [start_year, start_year + 1000].
                let years = (y.get(d).floor() - f64::from(scn.start_year)).max(0.0);
                years as u32
            });
            out.delivery.push(DeliveryDraw {
                collector: rule.collector,
                default_probability: rule.default_probability.get(d),
                haircut: rule.haircut.get(d),
                renegotiation,
            });
        }
    }
    if !out.delivery.is_empty() {
        let noise = streams.noise(p);
        let mut rng = streams::open(&streams.delivery, noise.path);
        out.delivery_uniform
            .extend((0..h).map(|_| unit_from_u64(rng.next_u64() ^ noise.mask)));
    }
}

/// The price level of each year relative to the start year: all 1 in constant
/// prices (`inflation` = None), else P_t = (1 + π)^t, built by repeated
/// multiplication so that every path and thread gets the same bits.
fn price_index(inflation: Option<f64>, h: usize, price: &mut Vec<f64>) {
    price.clear();
    price.resize(h, 1.0);
    if let Some(pi) = inflation {
        for t in 1..h {
            price[t] = price[t - 1] * (1.0 + pi);
        }
    }
}

/// Puts the amounts booked in start-year prices at the prices of their year: the
/// contributions' cash, in-kind values and opportunity costs, and (through the
/// cost multiplier, which only the costs read) every cost of the park.
fn at_prices(price: &[f64], effects: &mut Effects, out: &mut EconomyPath) {
    let h = out.horizon;
    for (t, k) in effects.cost_mult.iter_mut().enumerate() {
        *k *= price[t];
    }
    for r in 0..out.regions {
        for t in 0..h {
            let i = r * h + t;
            out.cash_contributions[i] *= price[t];
            out.in_kind[i] *= price[t];
            out.opportunity_costs[i] *= price[t];
        }
    }
}

/// Saleable land opening each year: a phase's area × saleable share, in the year after
/// its last build year (none beyond the horizon).
fn saleable_openings(scn: &Scenario, saleable_share: f64, h: usize, added: &mut Vec<f64>) {
    added.clear();
    added.resize(h, 0.0);
    for phase in &scn.park.phases {
        let open = (phase.start + phase.build_years) as usize;
        if open < h {
            added[open] += phase.area_mu * saleable_share;
        }
    }
}

/// The running totals the sharing formulas look at: each region's contribution C_r
/// as `measure` defines it, and invested capital (cash and calls) to date.
///
/// # Formula
/// C_r,t = (1 + ρ) C_r,t−1 + c_r,t (MODEL.md §7), with c_r,t the sum of the counted
/// amounts of year t: cash contributions, in-kind values, costs borne (less land
/// acquisition for a region in `land_in_kind`, whose land counts by its in-kind
/// value), capital calls, opportunity costs; C_r,−1 is the region's `[initial]`
/// contribution to date (0 when `initial` is empty).
fn running_totals(
    out: &mut EconomyPath,
    measure: &ContributionMeasure,
    land_in_kind: &[bool; MAX_REGIONS],
    initial: &[f64],
) {
    let h = out.horizon;
    let counted = |on: bool, x: f64| if on { x } else { 0.0 };
    for r in 0..out.regions {
        let mut cumulative = initial.get(r).copied().unwrap_or(0.0);
        let mut invested = 0.0;
        for t in 0..h {
            let i = r * h + t;
            let land = counted(land_in_kind[r], out.land_costs_borne[i]);
            cumulative = cumulative * (1.0 + measure.rate)
                + counted(measure.cash, out.cash_contributions[i])
                + counted(measure.in_kind, out.in_kind[i])
                + counted(measure.costs, out.costs_borne[i] - land)
                + counted(measure.capital_calls, out.capital_calls[i])
                + counted(measure.opportunity_costs, out.opportunity_costs[i]);
            invested += out.cash_contributions[i] + out.capital_calls[i];
            out.cumulative_contributions[i] = cumulative;
            out.invested_capital[i] = invested;
        }
    }
}

/// Scenarios for the unit tests of the economy.
#[cfg(test)]
pub(crate) mod testing {
    use crate::scenario::Scenario;

    /// Parses a test scenario, panicking with its problems.
    pub(crate) fn parse(text: &str) -> Scenario {
        Scenario::parse(text, "test.toml").unwrap_or_else(|e| panic!("{e}"))
    }

    /// A two-region park of two phases (100 mu built 2020–2021, 50 mu in 2021), land
    /// acquisition 0.1/mu borne by b, infrastructure 0.2/mu by the company, one sector;
    /// `extra` and `more` are appended.
    pub(crate) fn scenario(extra: &str, more: &str) -> String {
        format!(
            r#"
[scenario]
id = "unit"
name = "unit"
start_year = 2020
[simulation]
paths = 1
seed = 1
horizon = 4
[[regions]]
id = "a"
name = "A"
role = "source"
[[regions]]
id = "b"
name = "B"
role = "host"
[park]
area_mu = 150
saleable_share = 1.0
[[park.phases]]
area_mu = 100
start_year = 2020
build_years = 2
[[park.phases]]
area_mu = 50
start_year = 2021
build_years = 1
[costs.land_acquisition]
per_mu = 0.1
bearer = "b"
[costs.infrastructure]
per_mu = 0.2
bearer = "company"
[company]
equity = {{ a = 0.6, b = 0.4 }}
[firms]
arrival_rate = 5
average_wage = 1
[[firms.sectors]]
name = "s"
weight = 1
land_per_firm_mu = 1
revenue_per_mu = 2
value_added_ratio = 1
profit_margin = 0.1
wage_share = 0.1
[[sharing]]
name = "equity"
tax = {{ kind = "equity" }}
{extra}
{more}
"#
        )
    }

    /// An open park of 1e6 mu from year 1 (and room for 1,000 mu developed before,
    /// for `[initial]` firms) with lognormal land per firm (so a firm's land
    /// identifies it), exits, volatile revenue and macro shocks, a source region
    /// firms relocate from; `firms` and `taxes` are inserted in their sections.
    pub(crate) fn variant(firms: &str, taxes: &str) -> Scenario {
        parse(&format!(
            r#"
[scenario]
id = "crn"
name = "crn"
start_year = 2000
[simulation]
paths = 1
horizon = 12
seed = 11
[[regions]]
id = "a"
name = "A"
role = "source"
[[regions]]
id = "b"
name = "B"
role = "host"
[park]
area_mu = 1001000
saleable_share = 1.0
[[park.phases]]
area_mu = 1000000
start_year = 2000
build_years = 1
[company]
equity = {{ a = 0.5, b = 0.5 }}
[firms]
average_wage = 1
origin = "a"
relocated_share = 0.5
{firms}
[[firms.sectors]]
name = "s"
weight = 1
land_per_firm_mu = {{ dist = "lognormal", mean = 10, sd = 5 }}
revenue_per_mu = 2
value_added_ratio = 1
profit_margin = 0.1
wage_share = 0.1
exit_hazard = 0.15
volatility = 0.3
macro_beta = 0.5
[[firms.sectors]]
name = "t"
weight = 2
land_per_firm_mu = {{ dist = "lognormal", mean = 20, sd = 5 }}
revenue_per_mu = 1
value_added_ratio = 1
profit_margin = 0.1
wage_share = 0.1
exit_hazard = 0.05
volatility = 0.2
[macro]
volatility = 0.3
persistence = 0.5
[taxes]
{taxes}
[[sharing]]
name = "equity"
tax = {{ kind = "equity" }}
"#
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::testing::variant;
    use super::*;

    /// Every firm in the pool at the end of `horizon` years of path `p`, as
    /// (arrival, land bits) → (sector, exit year, log shock bits, displaced).
    fn survivors(
        scn: &Scenario,
        horizon: u32,
        p: u64,
    ) -> std::collections::BTreeMap<(u32, u64), (u32, u32, u64, bool)> {
        let streams = Streams::new(scn.simulation.seed, &scn.params);
        let mut ws = Workspace::default();
        simulate_path(scn, horizon, &streams, p, &mut ws);
        ws.firms
            .firms
            .iter()
            .map(|f| {
                let key = (f.arrival, f.land.to_bits());
                let draws = (f.sector, f.exit_year, f.log_shock.to_bits(), f.displaced);
                (key, draws)
            })
            .collect()
    }

    /// Firms arriving in year t = horizon − 1 of path p: all are still in the pool.
    fn arrivals_in_last_year(scn: &Scenario, horizon: u32, p: u64) -> usize {
        survivors(scn, horizon, p)
            .keys()
            .filter(|(a, _)| *a + 1 == horizon)
            .count()
    }

    /// Two regions over 3 years: a pays 100 in cash in year 0 and a call of 5 in
    /// year 1; b puts land in kind worth 50 in year 0 if `land`, bears costs 10, 20, 4
    /// of which land acquisition 10, 20, 0, and an opportunity cost of 8 in year 2.
    fn contributions(measure: &ContributionMeasure, land: bool) -> Vec<f64> {
        let mut out = EconomyPath::default();
        out.reset(2, 3);
        out.cash_contributions[0] = 100.0;
        out.capital_calls[1] = 5.0;
        if land {
            out.in_kind[3] = 50.0;
        }
        out.costs_borne[3..].copy_from_slice(&[10.0, 20.0, 4.0]);
        out.land_costs_borne[3..].copy_from_slice(&[10.0, 20.0, 0.0]);
        out.opportunity_costs[5] = 8.0;
        let mut land_in_kind = [false; MAX_REGIONS];
        land_in_kind[1] = land;
        running_totals(&mut out, measure, &land_in_kind, &[]);
        out.cumulative_contributions
    }

    fn assert_all_close(got: &[f64], want: &[f64]) {
        assert!(
            got.iter().zip(want).all(|(g, w)| (g - w).abs() < 1e-12),
            "got {got:?}, want {want:?}"
        );
    }

    #[test]
    fn contributions_count_land_once_and_carry_amounts_at_the_rate() {
        let measure = ContributionMeasure {
            rate: 0.1,
            ..ContributionMeasure::default()
        };
        // a: 100, carried at 10% (its call is rewarded by dividends, not counted).
        // b with land in kind: 50; 55; 60.5 + other costs 4 + opportunity cost 8.
        assert_all_close(
            &contributions(&measure, true),
            &[100.0, 110.0, 121.0, 50.0, 55.0, 72.5],
        );
        // b without land in kind: its land acquisition counts instead.
        // 10; 11 + 20 = 31; 34.1 + 4 + 8 = 46.1.
        assert_all_close(
            &contributions(&measure, false),
            &[100.0, 110.0, 121.0, 10.0, 31.0, 46.1],
        );
        // Everything, undiscounted (the rule before this change, plus calls and
        // opportunity costs): a 100, 105, 105; b 10, 30, 42.
        let all = ContributionMeasure {
            capital_calls: true,
            rate: 0.0,
            ..ContributionMeasure::default()
        };
        assert_all_close(
            &contributions(&all, false),
            &[100.0, 105.0, 105.0, 10.0, 30.0, 42.0],
        );
        let cash_only = ContributionMeasure {
            cash: false,
            in_kind: false,
            costs: false,
            capital_calls: true,
            opportunity_costs: false,
            rate: 0.0,
        };
        assert_all_close(
            &contributions(&cash_only, true),
            &[0.0, 5.0, 5.0, 0.0, 0.0, 0.0],
        );
    }

    /// The reference test park over 4 years, path `p`, with `prices` as its
    /// `[prices]` table and taxes that are all proportional to money (a flat IIT, no
    /// land use or property tax).
    fn priced(prices: &str, p: u64) -> EconomyPath {
        let scn = testing::parse(&testing::scenario(
            "[taxes]\nland_use_tax_per_m2 = 0\niit_rate = 0.01",
            prices,
        ));
        let streams = Streams::new(scn.simulation.seed, &scn.params);
        let mut ws = Workspace::default();
        simulate_path(&scn, 4, &streams, p, &mut ws);
        ws.out
    }

    #[test]
    fn jobs_are_whole_in_every_year() {
        // The wage bill over the average wage is rarely whole; summary.csv's
        // jobs_final and timeseries.csv's jobs count the same people.
        let mut employed = false;
        for p in 0..3 {
            let e = priced("", p);
            for (t, jobs) in e.jobs.iter().enumerate() {
                assert!(jobs.fract() == 0.0, "path {p}, year {t}: {jobs}");
                employed |= *jobs > 0.0;
            }
        }
        assert!(employed, "the test park employs someone");
    }

    #[test]
    fn current_prices_inflate_every_amount_by_the_price_level() {
        let nominal_zero = "[prices]\nbasis = \"nominal\"\ninflation = 0";
        for p in 0..3 {
            let real = priced("", p);
            // No inflation: the same bits as constant prices.
            let zero = priced(nominal_zero, p);
            assert_eq!(format!("{real:?}"), format!("{zero:?}"));
            // 10% a year: P = 1, 1.1, 1.21, 1.331; same firms, every flow × P_t.
            let nominal = priced("[prices]\nbasis = \"nominal\"\ninflation = 0.1", p);
            let level = [1.0, 1.1, 1.21, 1.331];
            let scaled = |name: &str, got: &[f64], want: &[f64]| {
                for (i, (g, w)) in got.iter().zip(want).enumerate() {
                    let expected = w * level[i % 4];
                    assert!(
                        (g - expected).abs() <= 1e-12 * expected.abs().max(1.0),
                        "path {p} {name}[{i}]: {g} vs {expected}"
                    );
                }
            };
            scaled("tax_total", &nominal.tax_total, &real.tax_total);
            scaled("tax_pool", &nominal.tax_pool, &real.tax_pool);
            scaled("gdp", &nominal.gdp, &real.gdp);
            scaled("land_sales", &nominal.land_sales, &real.land_sales);
            scaled("costs_borne", &nominal.costs_borne, &real.costs_borne);
            assert_eq!(nominal.firms, real.firms, "path {p}: the same firms");
            for (n, r) in nominal.jobs.iter().zip(&real.jobs) {
                assert!(
                    (n - r).abs() <= 1e-12 * r.max(1.0),
                    "jobs are people, not money"
                );
            }
            assert!(
                real.tax_total[3] > 0.0,
                "path {p}: the test park pays taxes"
            );
        }
    }

    #[test]
    fn unrelated_parameters_leave_every_firm_draw_unchanged() {
        // Displacement and tax rates do not touch arrivals: same firms, same lives.
        let base = variant("arrival_rate = 6\ndisplacement = 0.0", "");
        let other = variant(
            "arrival_rate = 6\ndisplacement = 1.0",
            "vat_local_share = 0.3\nprovincial_take = 0.4",
        );
        for p in 0..4 {
            let mut displaced_seen = false;
            for horizon in 1..=12 {
                let a = survivors(&base, horizon, p);
                let b = survivors(&other, horizon, p);
                assert_eq!(a.len(), b.len(), "path {p} horizon {horizon}");
                for ((ka, va), (kb, vb)) in a.iter().zip(&b) {
                    assert_eq!(ka, kb);
                    assert_eq!((va.0, va.1, va.2), (vb.0, vb.1, vb.2));
                    assert!(!va.3, "nothing is displaced at displacement 0");
                    displaced_seen |= vb.3;
                }
            }
            assert!(displaced_seen, "path {p}: displacement 1 displaces someone");
        }
    }

    #[test]
    fn dated_changes_leave_every_firm_draw_unchanged() {
        // Taxes, sector rates, equity and bearers that change from 2005 do not touch
        // arrivals or any firm's life (common random numbers).
        let base = variant("arrival_rate = 6", "");
        let changed = variant(
            "arrival_rate = 6",
            "[[changes]]\nyear = 2005\n[changes.taxes]\nvat_local_share = 0.25\n\
             [changes.sectors.s]\nvat_rate = 0.06\n[changes.company]\n\
             equity = { a = 1.0, b = 0.0 }\n[changes.costs]\noperations = { bearer = \"a\" }",
        );
        assert_eq!(changed.changes.len(), 1);
        for p in 0..4 {
            assert_eq!(
                survivors(&base, 12, p),
                survivors(&changed, 12, p),
                "path {p}"
            );
        }
    }

    #[test]
    fn the_pool_by_group_and_kind_adds_up_to_the_pool() {
        // Rebates, a provincial take, relocated firms and relocated firms already in
        // the park, and an alternative that restricts its pool (without one the
        // parts are not summed): on every path and year the parts add up to LR_t;
        // relocated firms pay and arrive with pre-move taxes.
        let scn = variant(
            "arrival_rate = 6",
            "provincial_take = 0.3\n[taxes.rebate]\nshare = 0.4\nyears = 3\n\
             [initial]\ndeveloped_mu = 1000\n[[initial.firms]]\nsector = \"s\"\ncount = 5\nage = 2\nrelocated = true\n\
             [[sharing]]\nname = \"relocated VAT\"\ntax = { kind = \"equity\" }\n\
             [sharing.tax_pool]\nfirms = \"relocated\"\ntaxes = [\"vat\"]",
        );
        let streams = Streams::new(scn.simulation.seed, &scn.params);
        let mut ws = Workspace::default();
        let k = TaxKind::COUNT;
        for p in 0..4 {
            simulate_path(&scn, 12, &streams, p, &mut ws);
            let out = &ws.out;
            let h = out.horizon;
            for t in 0..h {
                let parts: f64 = (0..2 * k).map(|j| out.pool_by_kind[j * h + t]).sum();
                let pool = out.tax_pool[t];
                assert!(
                    (parts - pool).abs() <= 1e-9 * pool.max(1.0),
                    "{parts} vs {pool}"
                );
            }
            let relocated: f64 = out.pool_by_kind[k * h..].iter().sum();
            let others: f64 = out.pool_by_kind[..k * h].iter().sum();
            let pre_move: f64 = out.pre_move_by_kind.iter().sum();
            assert!(
                relocated > 0.0 && others > 0.0 && pre_move > 0.0,
                "path {p}"
            );
        }
    }

    #[test]
    fn initial_firms_keep_their_draws_whatever_the_new_firms_do() {
        // 30 old firms of sector s (land drawn per firm, exits, shocks) on 1,000 mu
        // developed before under two arrival rates: each old firm alive in both has
        // the same land, exit year and shock history, as its draws come from
        // `initial_firms`, not `firms`.
        let initial = "[initial]\ndeveloped_mu = 1000\n[[initial.firms]]\nsector = \"s\"\ncount = 30\nage = 3";
        let low = variant("arrival_rate = 2", initial);
        let high = variant("arrival_rate = 9", initial);
        let old = |scn: &Scenario, horizon: u32, p: u64| {
            let streams = Streams::new(scn.simulation.seed, &scn.params);
            let mut ws = Workspace::default();
            simulate_path(scn, horizon, &streams, p, &mut ws);
            let mut v: Vec<(u64, u32, u64)> = (ws.firms.firms.iter())
                .filter(|f| f.age0 == 3)
                .map(|f| (f.land.to_bits(), f.exit_year, f.log_shock.to_bits()))
                .collect();
            v.sort_unstable();
            v
        };
        for p in 0..3 {
            assert_eq!(old(&low, 1, p).len(), 30);
            for horizon in 1..=12 {
                let (a, b) = (old(&low, horizon, p), old(&high, horizon, p));
                assert_eq!(a, b, "path {p} horizon {horizon}");
            }
        }
    }

    #[test]
    fn a_higher_arrival_rate_adds_firms_and_keeps_each_firms_draws() {
        let low = variant("arrival_rate = 4", "");
        let high = variant("arrival_rate = 6", "");
        for p in 0..4 {
            let mut more = 0;
            for horizon in 1..=12 {
                let (nl, nh) = (
                    arrivals_in_last_year(&low, horizon, p),
                    arrivals_in_last_year(&high, horizon, p),
                );
                assert!(nh >= nl, "path {p} year {}: {nh} < {nl}", horizon - 1);
                more += nh - nl;
            }
            assert!(more > 0, "path {p}: the higher rate brings more firms");
        }
        // Firm (t, i) of the low variant is firm (t, i) of the high one, with the same
        // land, sector, exit year and shocks; the high variant's extra firms arrive
        // after them, so the low variant's firms are a subset.
        for p in 0..4 {
            for horizon in 1..=12 {
                let a = survivors(&low, horizon, p);
                let b = survivors(&high, horizon, p);
                for (k, v) in &a {
                    assert_eq!(b.get(k), Some(v), "path {p} horizon {horizon} firm {k:?}");
                }
            }
        }
    }
}
