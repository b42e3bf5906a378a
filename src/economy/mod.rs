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

use rand::RngExt;
use rand_distr::{Distribution, Poisson, StandardNormal};

mod poisson;

use crate::finance;
use crate::scenario::{Bearer, ContributionKind, FirmLand, LandRevenue, Scenario, Terminal};

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
    /// Equity share of each region.
    pub equity: Vec<f64>,
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
    /// Cumulative contributions to date, for the `contribution` formula (region × year).
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
    /// Land sales, whoever receives them.
    pub land_sales: Vec<f64>,
    /// Shareholders' net cash flow with the PDC (dividends + terminal − cash contributions − calls).
    pub pdc_flow: Vec<f64>,
    /// Prospective firms turned away for lack of land, whole path.
    pub turned_away: u64,
    /// Firm-years simulated on this path.
    pub firm_years: u64,
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
        ] {
            v.clear();
            v.resize(regions * horizon, 0.0);
        }
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
            &mut self.land_sales,
            &mut self.pdc_flow,
        ] {
            v.clear();
            v.resize(horizon, 0.0);
        }
        self.turned_away = 0;
        self.firm_years = 0;
    }

    /// Region series `r` of a region × year vector.
    #[inline]
    pub fn row<'a>(&self, v: &'a [f64], r: usize) -> &'a [f64] {
        &v[r * self.horizon..(r + 1) * self.horizon]
    }
}

/// A sector's parameters resolved for one path.
#[derive(Debug, Clone, Copy, Default)]
struct SectorParams {
    revenue_per_mu: f64,
    /// g − σ²/2.
    drift: f64,
    /// σβ: loading of the macro innovation.
    macro_load: f64,
    /// σ sqrt(1 − β²): loading of the firm's own innovation.
    own_load: f64,
    exit_hazard: f64,
    value_added_ratio: f64,
    profit_margin: f64,
    fixed_cost_per_mu: f64,
    wage_share: f64,
    property_tax_per_mu: f64,
    vat_rate: f64,
    cit_rate: f64,
    ramp_years: u32,
    cit_free_years: u32,
    cit_half_years: u32,
    loss_carry_years: u32,
    /// drift + macro_load × ε^macro of the current year.
    year_shift: f64,
}

/// Firms of the path, stored column by column.
#[derive(Debug, Clone, Default)]
struct FirmPool {
    land: Vec<f64>,
    /// land × revenue_per_mu.
    base_revenue: Vec<f64>,
    log_shock: Vec<f64>,
    arrival: Vec<u32>,
    exit_year: Vec<u32>,
    sector: Vec<u32>,
    /// Year taxable profit first appeared (start of the CIT holiday).
    holiday_start: Vec<u32>,
    displaced: Vec<bool>,
    /// Ring of unused losses by age, slot = age mod (carry + 1).
    losses: Vec<[f64; MAX_LOSS_CARRY + 1]>,
    loss_total: Vec<f64>,
}

impl FirmPool {
    fn clear(&mut self) {
        self.land.clear();
        self.base_revenue.clear();
        self.log_shock.clear();
        self.arrival.clear();
        self.exit_year.clear();
        self.sector.clear();
        self.holiday_start.clear();
        self.displaced.clear();
        self.losses.clear();
        self.loss_total.clear();
    }

    fn len(&self) -> usize {
        self.land.len()
    }

    fn swap_remove(&mut self, i: usize) {
        self.land.swap_remove(i);
        self.base_revenue.swap_remove(i);
        self.log_shock.swap_remove(i);
        self.arrival.swap_remove(i);
        self.exit_year.swap_remove(i);
        self.sector.swap_remove(i);
        self.holiday_start.swap_remove(i);
        self.displaced.swap_remove(i);
        self.losses.swap_remove(i);
        self.loss_total.swap_remove(i);
    }
}

/// Reusable buffers for simulating paths; one per worker thread.
#[derive(Debug, Clone, Default)]
pub struct Workspace {
    /// The path's draws of the scenario's uncertain inputs.
    pub draws: Vec<f64>,
    sectors: Vec<SectorParams>,
    sector_cdf: Vec<f64>,
    firms: FirmPool,
    pdc_capex: Vec<f64>,
    pdc_opex: Vec<f64>,
    loan_draws: Vec<f64>,
    debt_service: Vec<f64>,
    open_saleable_added: Vec<f64>,
    pdc_cash_in: Vec<f64>,
    /// Product of the attractiveness effects in force each year.
    attractiveness: Vec<f64>,
    /// Product of the cost effects in force each year.
    cost_mult: Vec<f64>,
    /// Product of the revenue effects in force each year.
    revenue_mult: Vec<f64>,
    /// The path's results.
    pub out: EconomyPath,
}

/// Whether a cost is capital spending (financed in part by loans) or operating.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Spend {
    Capex,
    Opex,
}

/// Where the year's costs go, by bearer rule (MODEL.md §3).
struct CostLedger<'a> {
    horizon: usize,
    equity: &'a [f64],
    costs_borne: &'a mut [f64],
    pdc_capex: &'a mut [f64],
    pdc_opex: &'a mut [f64],
}

impl CostLedger<'_> {
    fn bear(&mut self, bearer: &Bearer, t: usize, amount: f64, spend: Spend) {
        let h = self.horizon;
        match bearer {
            Bearer::Company if spend == Spend::Capex => self.pdc_capex[t] += amount,
            Bearer::Company => self.pdc_opex[t] += amount,
            Bearer::Equity => {
                for (r, e) in self.equity.iter().enumerate() {
                    self.costs_borne[r * h + t] += e * amount;
                }
            }
            Bearer::Shares(shares) => {
                for (r, s) in shares.iter().enumerate() {
                    self.costs_borne[r * h + t] += s * amount;
                }
            }
            Bearer::Region(r) => self.costs_borne[r * h + t] += amount,
        }
    }
}

/// Ramp-up factor of a firm of age `age` (0 in its arrival year).
///
/// # Formula
/// ramp(a) = min(1, (a + 1) / ramp_years); 1 when ramp_years = 0.
#[inline]
pub fn ramp(age: u32, ramp_years: u32) -> f64 {
    if ramp_years == 0 {
        1.0
    } else {
        ((age + 1) as f64 / ramp_years as f64).min(1.0)
    }
}

/// CIT rate multiplier `years_since_first_profit` years after the holiday began.
#[inline]
fn holiday_factor(years_since: u32, free: u32, half: u32) -> f64 {
    if years_since < free {
        0.0
    } else if years_since < free + half {
        0.5
    } else {
        1.0
    }
}

/// Simulates path `p` into `ws.out`: draws the uncertain inputs into `ws.draws`
/// from their named streams, then the park's future from the process streams.
pub fn simulate_path(
    scn: &Scenario,
    horizon: u32,
    streams: &crate::streams::Streams,
    p: u64,
    ws: &mut Workspace,
) {
    ws.draws.clear();
    ws.draws.resize(scn.params.len(), 0.0);
    scn.params.draw_into(&streams.inputs, p, &mut ws.draws);
    let mut rng = crate::streams::open(&streams.firms, p);
    simulate_path_old(scn, horizon, ws, &mut rng);
}

/// Temporary: the process noise from one stream, until the named process streams land.
fn simulate_path_old<R: rand::Rng + ?Sized>(
    scn: &Scenario,
    horizon: u32,
    ws: &mut Workspace,
    rng: &mut R,
) {
    let h = horizon as usize;
    let n = scn.regions.len();
    let d = &ws.draws;
    let out = &mut ws.out;
    out.reset(n, h);

    for (r, region) in scn.regions.iter().enumerate() {
        out.discount_rate[r] = region.discount_rate.get(d);
        out.outside_option[r] = region.outside_option.get(d);
    }

    // §2 Equity and contribution effects; an effect applies from its contribution's year.
    for v in [
        &mut ws.attractiveness,
        &mut ws.cost_mult,
        &mut ws.revenue_mult,
    ] {
        v.clear();
        v.resize(h, 1.0);
    }
    let mut values = [0.0; crate::sharing::MAX_REGIONS];
    for c in &scn.contributions {
        let v = c.value.get(d);
        values[c.region] += v;
        let (a, k, q) = (c.attractiveness.get(d), c.cost.get(d), c.revenue.get(d));
        for t in (c.year as usize).min(h)..h {
            ws.attractiveness[t] *= a;
            ws.cost_mult[t] *= k;
            ws.revenue_mult[t] *= q;
        }
        let t = c.year as usize;
        if t < h {
            let i = c.region * h + t;
            match c.kind {
                ContributionKind::Cash => out.cash_contributions[i] += v,
                _ => out.in_kind[i] += v,
            }
            out.opportunity_costs[i] += c.opportunity_cost.get(d);
        }
    }
    match &scn.company.equity {
        Some(shares) => out.equity.copy_from_slice(shares),
        None => {
            let total: f64 = values[..n].iter().sum();
            for r in 0..n {
                out.equity[r] = if total > 0.0 {
                    values[r] / total
                } else {
                    1.0 / n as f64
                };
            }
        }
    }

    // §3 Costs, by year and bearer; §4 loans on the PDC's capex.
    let reset = |v: &mut Vec<f64>| {
        v.clear();
        v.resize(h, 0.0);
    };
    reset(&mut ws.pdc_capex);
    reset(&mut ws.pdc_opex);
    reset(&mut ws.loan_draws);
    reset(&mut ws.debt_service);
    reset(&mut ws.open_saleable_added);
    reset(&mut ws.pdc_cash_in);
    let saleable_share = scn.park.saleable_share.get(d);
    let land_acq = scn.costs.land_acquisition.per_mu.get(d);
    let infra = scn.costs.infrastructure.per_mu.get(d);
    let ops_per_mu = scn.costs.operations.per_mu.get(d);
    let ops_per_year = scn.costs.operations.per_year.get(d);
    let mut first_open = NEVER;
    let mut ledger = CostLedger {
        horizon: h,
        equity: &out.equity,
        costs_borne: &mut out.costs_borne,
        pdc_capex: &mut ws.pdc_capex,
        pdc_opex: &mut ws.pdc_opex,
    };
    for phase in &scn.park.phases {
        let per_year = phase.area_mu / phase.build_years as f64;
        let build = phase.start as usize..(phase.start + phase.build_years) as usize;
        for t in build.filter(|&t| t < h) {
            let k = ws.cost_mult[t];
            ledger.bear(
                &scn.costs.land_acquisition.bearer,
                t,
                land_acq * per_year * k,
                Spend::Capex,
            );
            ledger.bear(
                &scn.costs.infrastructure.bearer,
                t,
                infra * per_year * k,
                Spend::Capex,
            );
        }
        let open = (phase.start + phase.build_years) as usize;
        if open < h {
            ws.open_saleable_added[open] += phase.area_mu * saleable_share;
            first_open = first_open.min(open as u32);
            for t in open..h {
                let amount = ops_per_mu * phase.area_mu * ws.cost_mult[t];
                ledger.bear(&scn.costs.operations.bearer, t, amount, Spend::Opex);
            }
        }
    }
    for t in (first_open as usize)..h {
        ledger.bear(
            &scn.costs.operations.bearer,
            t,
            ops_per_year * ws.cost_mult[t],
            Spend::Opex,
        );
    }
    let debt_share = scn.company.debt_share.get(d);
    let interest = scn.company.interest_rate.get(d);
    let loan_years = scn.company.loan_years;
    let mut debt_outstanding = 0.0;
    for t in 0..h {
        let principal = debt_share * ws.pdc_capex[t];
        if principal <= 0.0 {
            continue;
        }
        ws.loan_draws[t] = principal;
        let payment = finance::annuity_payment(principal, interest, loan_years);
        for s in t + 1..(t + 1 + loan_years as usize).min(h) {
            ws.debt_service[s] += payment;
        }
        let paid = (h - 1 - t).min(loan_years as usize) as u32;
        debt_outstanding += finance::annuity_balance(principal, interest, loan_years, paid);
    }

    // §5–§6 resolved sector and tax parameters.
    let taxes = &scn.taxes;
    let vat_local = taxes.vat_local_share.get(d);
    let cit_local = taxes.cit_local_share.get(d);
    let iit_rate = taxes.iit_rate.get(d);
    let iit_local = taxes.iit_local_share.get(d);
    let surcharge_rate = taxes.urban_maintenance_rate.get(d)
        + taxes.education_rate.get(d)
        + taxes.local_education_rate.get(d);
    let land_use_per_mu = taxes.land_use_tax_per_m2.get(d) * M2_PER_MU / scn.yuan_per_unit;
    let property_rate =
        taxes.property_tax_rate.get(d) * (1.0 - taxes.property_tax_deduction.get(d));
    let keep = 1.0 - taxes.provincial_take.get(d);
    let rebate_share = taxes.rebate_share.get(d);
    let rebate_years = taxes.rebate_years;
    let rebate_attractiveness = if rebate_share > 0.0 && rebate_years > 0 {
        taxes.rebate_attractiveness.get(d)
    } else {
        1.0
    };
    ws.sectors.clear();
    ws.sector_cdf.clear();
    let mut cum = 0.0;
    for s in &scn.firms.sectors {
        let sigma = s.volatility.get(d);
        let beta = s.macro_beta.get(d);
        ws.sectors.push(SectorParams {
            revenue_per_mu: s.revenue_per_mu.get(d),
            drift: s.growth.get(d) - 0.5 * sigma * sigma,
            macro_load: sigma * beta,
            own_load: sigma * (1.0 - beta * beta).max(0.0).sqrt(),
            exit_hazard: s.exit_hazard.get(d),
            value_added_ratio: s.value_added_ratio.get(d),
            profit_margin: s.profit_margin.get(d),
            fixed_cost_per_mu: s.fixed_cost_per_mu.get(d),
            wage_share: s.wage_share.get(d),
            property_tax_per_mu: property_rate * s.building_value_per_mu.get(d),
            vat_rate: s.vat_rate.get(d),
            cit_rate: s.cit_rate.get(d),
            ramp_years: s.ramp_years,
            cit_free_years: s.cit_free_years,
            cit_half_years: s.cit_half_years,
            loss_carry_years: s.loss_carry_years,
            year_shift: 0.0,
        });
        cum += s.weight;
        ws.sector_cdf.push(cum);
    }
    let arrival_rate = scn.firms.arrival_rate.get(d) * rebate_attractiveness;
    let crowding = scn.firms.crowding;
    let relocated_share = scn.firms.relocated_share.get(d);
    let displacement = scn.firms.displacement.get(d);
    let origin = scn.firms.origin;
    let average_wage = scn.firms.average_wage.get(d);
    let land_price = scn.company.land_price_per_mu.get(d);
    let land_to_company = scn.company.land_revenue == LandRevenue::Company;
    let fee_rate = scn.company.service_fee_rate.get(d);
    let rent = scn.company.rent_per_mu.get(d);
    let payout = scn.company.payout_ratio.get(d);
    let phi = scn.macro_shock.persistence.get(d);
    let sigma_m = scn.macro_shock.volatility.get(d);

    let firms = &mut ws.firms;
    firms.clear();
    let mut macro_level = 0.0;
    let mut free_land = 0.0;
    let mut open_saleable = 0.0;
    let mut cash = 0.0;

    for t in 0..h {
        let tu = t as u32;
        // Macro shock m_t = φ m_{t−1} + σ_m ε_t.
        let eps_m: f64 = rng.sample(StandardNormal);
        macro_level = phi * macro_level + sigma_m * eps_m;
        for s in ws.sectors.iter_mut() {
            s.year_shift = s.drift + s.macro_load * eps_m;
        }
        open_saleable += ws.open_saleable_added[t];
        free_land += ws.open_saleable_added[t];

        // Exits free their land at the start of the year.
        let mut i = 0;
        while i < firms.len() {
            if firms.exit_year[i] <= tu {
                free_land += firms.land[i];
                firms.swap_remove(i);
            } else {
                i += 1;
            }
        }

        // Arrivals: N_t ~ Poisson(λ_t), λ_t = rate × A × exp(m_t) × f(free land).
        if open_saleable > 0.0 && arrival_rate * ws.attractiveness[t] > 0.0 {
            let free_factor = if crowding == 0.0 {
                1.0
            } else {
                (free_land / open_saleable).max(0.0).powf(crowding)
            };
            let lambda = arrival_rate * ws.attractiveness[t] * macro_level.exp() * free_factor;
            let arrivals = match Poisson::new(lambda) {
                Ok(p) if lambda > 0.0 => p.sample(rng) as u64,
                _ => 0,
            };
            for _ in 0..arrivals {
                let u: f64 = rng.random();
                let k = ws
                    .sector_cdf
                    .partition_point(|&c| c < u * cum)
                    .min(ws.sectors.len() - 1);
                let sector_def = &scn.firms.sectors[k];
                let land = match &sector_def.land_per_firm_mu {
                    FirmLand::Fixed(x) => *x,
                    FirmLand::PerFirm(dist) => dist.quantile(crate::sampling::open_unit(rng)),
                };
                let u_reloc: f64 = rng.random();
                let u_disp: f64 = rng.random();
                let u_exit: f64 = rng.random();
                if land > free_land {
                    out.turned_away += 1;
                    continue;
                }
                free_land -= land;
                let sale = land * land_price;
                out.land_sales[t] += sale;
                if land_to_company {
                    ws.pdc_cash_in[t] += sale;
                } else {
                    out.land_pool[t] += sale;
                }
                let sp = &ws.sectors[k];
                // Years survived after arrival ~ Geometric(hazard): exit at the start of
                // year arrival + 1 + G with P(G = g) = (1 − h)^g h.
                let exit_year = if sp.exit_hazard <= 0.0 {
                    NEVER
                } else if sp.exit_hazard >= 1.0 {
                    tu + 1
                } else {
                    let g = ((1.0 - u_exit).ln() / (1.0 - sp.exit_hazard).ln()).floor();
                    if g >= (NEVER - tu - 2) as f64 {
                        NEVER
                    } else {
                        tu + 1 + g as u32
                    }
                };
                let relocated = origin.is_some() && u_reloc < relocated_share;
                firms.land.push(land);
                firms.base_revenue.push(land * sp.revenue_per_mu);
                firms.log_shock.push(0.0);
                firms.arrival.push(tu);
                firms.exit_year.push(exit_year);
                firms.sector.push(k as u32);
                firms.holiday_start.push(NEVER);
                firms.displaced.push(relocated && u_disp < displacement);
                firms.losses.push([0.0; MAX_LOSS_CARRY + 1]);
                firms.loss_total.push(0.0);
            }
        }

        // Firm-years: revenue, taxes, fees.
        let mut pool = 0.0;
        let mut total = 0.0;
        let mut local = 0.0;
        let mut rebates = 0.0;
        let mut gdp = 0.0;
        let mut wages = 0.0;
        let mut revenue_sum = 0.0;
        let mut occupied = 0.0;
        let mut displaced_tax = 0.0;
        let revenue_mult = ws.revenue_mult[t];
        for i in 0..firms.len() {
            let sp = &ws.sectors[firms.sector[i] as usize];
            let age = tu - firms.arrival[i];
            if age > 0 {
                let eps: f64 = rng.sample(StandardNormal);
                firms.log_shock[i] += sp.year_shift + sp.own_load * eps;
            }
            let land = firms.land[i];
            let revenue = firms.base_revenue[i]
                * revenue_mult
                * ramp(age, sp.ramp_years)
                * firms.log_shock[i].exp();
            let value_added = sp.value_added_ratio * revenue;
            let vat = sp.vat_rate * value_added;
            let surcharges = surcharge_rate * vat;
            let profit = sp.profit_margin * revenue - sp.fixed_cost_per_mu * land;

            // Loss carry-forward: a loss of age a offsets profits of ages a+1 ..= a+carry,
            // oldest first. Slot age mod (carry + 1) holds the loss of that age; the
            // loss it held before, of age − carry − 1, has just expired.
            let mut taxable = profit.max(0.0);
            let carry = sp.loss_carry_years as usize;
            if carry > 0 {
                let losses = &mut firms.losses[i];
                let ring = carry + 1;
                let slot = age as usize % ring;
                firms.loss_total[i] -= losses[slot];
                losses[slot] = 0.0;
                if profit < 0.0 {
                    losses[slot] = -profit;
                    firms.loss_total[i] += -profit;
                } else if firms.loss_total[i] > 0.0 {
                    let mut used_total = 0.0;
                    for j in 1..ring {
                        let idx = (age as usize + j) % ring;
                        let used = losses[idx].min(taxable);
                        losses[idx] -= used;
                        taxable -= used;
                        used_total += used;
                    }
                    firms.loss_total[i] = (firms.loss_total[i] - used_total).max(0.0);
                }
            }
            let mut cit = 0.0;
            if taxable > 0.0 {
                if firms.holiday_start[i] == NEVER {
                    firms.holiday_start[i] = tu;
                }
                let factor = holiday_factor(
                    tu - firms.holiday_start[i],
                    sp.cit_free_years,
                    sp.cit_half_years,
                );
                cit = sp.cit_rate * factor * taxable;
            }
            let wage_bill = sp.wage_share * revenue;
            let iit = iit_rate * wage_bill;
            let land_use = land_use_per_mu * land;
            let property = sp.property_tax_per_mu * land;
            let firm_total = vat + cit + iit + surcharges + land_use + property;
            let firm_local = vat_local * vat
                + cit_local * cit
                + iit_local * iit
                + surcharges
                + land_use
                + property;
            let retained = keep * firm_local;
            let rebate = if age < rebate_years {
                rebate_share * retained
            } else {
                0.0
            };
            pool += retained - rebate;
            total += firm_total;
            local += firm_local;
            rebates += rebate;
            gdp += value_added;
            wages += wage_bill;
            revenue_sum += revenue;
            occupied += land;
            if firms.displaced[i] {
                displaced_tax += retained;
            }
        }
        out.firm_years += firms.len() as u64;
        out.tax_pool[t] = pool;
        out.tax_total[t] = total;
        out.tax_local[t] = local;
        out.tax_central[t] = total - local;
        out.rebates[t] = rebates;
        out.gdp[t] = gdp;
        out.jobs[t] = wages / average_wage;
        out.firms[t] = firms.len() as f64;
        out.occupancy[t] = if open_saleable > 0.0 {
            (occupied / open_saleable).min(1.0)
        } else {
            0.0
        };
        if let Some(o) = origin {
            out.displaced[o * h + t] += displaced_tax;
        }

        // §4 The PDC's year.
        let contributions: f64 = (0..n).map(|r| out.cash_contributions[r * h + t]).sum();
        let operating_in = ws.pdc_cash_in[t] + fee_rate * revenue_sum + rent * occupied;
        let net = contributions + ws.loan_draws[t] + operating_in
            - ws.pdc_capex[t]
            - ws.pdc_opex[t]
            - ws.debt_service[t];
        cash += net;
        let mut call = 0.0;
        if cash < 0.0 {
            call = -cash;
            cash = 0.0;
        }
        let free_cash_flow = net - contributions - ws.loan_draws[t];
        let mut dividend = 0.0;
        if free_cash_flow > 0.0 {
            dividend = (payout * free_cash_flow).min(cash);
            cash -= dividend;
        }
        let mut terminal = 0.0;
        if t + 1 == h {
            let book = cash - debt_outstanding;
            terminal = match scn.company.terminal {
                Terminal::None => 0.0,
                Terminal::Book => book,
                Terminal::Perpetuity {
                    growth,
                    discount_rate,
                } => book + dividend * (1.0 + growth) / (discount_rate - growth),
            };
        }
        for r in 0..n {
            let e = out.equity[r];
            out.capital_calls[r * h + t] += e * call;
            out.dividends[r * h + t] += e * dividend;
            out.terminal[r * h + t] += e * terminal;
        }
        out.pdc_flow[t] = dividend + terminal - contributions - call;
    }

    // Running totals the sharing formulas look at.
    for r in 0..n {
        let mut cumulative = 0.0;
        let mut invested = 0.0;
        for t in 0..h {
            let i = r * h + t;
            cumulative += out.cash_contributions[i]
                + out.in_kind[i]
                + out.costs_borne[i]
                + out.capital_calls[i];
            invested += out.cash_contributions[i] + out.capital_calls[i];
            out.cumulative_contributions[i] = cumulative;
            out.invested_capital[i] = invested;
        }
    }
}
