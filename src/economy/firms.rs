//! The stochastic economy of firms (MODEL.md §5): sector parameters resolved for the
//! path, the pool of firms, the year's exits and arrivals, and the firm-years with
//! their revenue and taxes.
//!
//! Each prospective firm reads its own block of the `firms` stream
//! ([`streams::firm_word_pos`]) and carries its own generator of yearly shocks, so
//! its whole life depends only on the path, its arrival year and its order among
//! that year's arrivals (docs/model.md §10).

use rand::Rng;
use rand::rngs::{ChaCha8Rng, Xoshiro256PlusPlus};
use rand_distr::{Distribution, StandardNormal};

use super::firm_log::{FirmYear, Prospect, Share, UNLOGGED};
use super::taxes::{self, LossRing, TaxBase, TaxParams};
use super::trace::{FirmYearDetail, Trace};
use super::{MAX_LOSS_CARRY, NEVER, ramp};
use crate::mathlib;
use crate::scenario::{FirmLand, InitialFirms, LandOnExit, LandRevenue, Scenario, Sector, TaxKind};
use crate::streams::{self, FIRM_WORDS, firm_slot, unit_from_u64};

/// A sector's parameters resolved for one path.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct SectorParams {
    pub(super) revenue_per_mu: f64,
    /// g − σ²/2.
    pub(super) drift: f64,
    /// σβ: loading of the macro innovation.
    pub(super) macro_load: f64,
    /// σ sqrt(1 − β²): loading of the firm's own innovation.
    pub(super) own_load: f64,
    pub(super) exit_hazard: f64,
    /// ln(1 − exit_hazard), for [`exit_year`].
    pub(super) ln_survival: f64,
    pub(super) value_added_ratio: f64,
    pub(super) profit_margin: f64,
    pub(super) fixed_cost_per_mu: f64,
    pub(super) wage_share: f64,
    pub(super) property_tax_per_mu: f64,
    pub(super) vat_rate: f64,
    pub(super) cit_rate: f64,
    pub(super) ramp_years: u32,
    pub(super) cit_free_years: u32,
    pub(super) cit_half_years: u32,
    pub(super) loss_carry_years: u32,
    /// drift + macro_load × ε^macro of the current year.
    pub(super) year_shift: f64,
}

impl SectorParams {
    /// The path's values of sector `s`, with property tax at `property_rate` of its
    /// building value.
    pub(super) fn resolve(s: &Sector, d: &[f64], property_rate: f64) -> SectorParams {
        let sigma = s.volatility.get(d);
        let beta = s.macro_beta.get(d);
        let exit_hazard = s.exit_hazard.get(d);
        SectorParams {
            revenue_per_mu: s.revenue_per_mu.get(d),
            drift: s.growth.get(d) - 0.5 * sigma * sigma,
            macro_load: sigma * beta,
            own_load: sigma * (1.0 - beta * beta).max(0.0).sqrt(),
            exit_hazard,
            ln_survival: (1.0 - exit_hazard).ln(),
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
        }
    }
}

/// One firm of the path.
#[derive(Debug, Clone)]
pub(super) struct Firm {
    pub(super) land: f64,
    /// land × revenue_per_mu.
    pub(super) base_revenue: f64,
    /// X_{i,t}: the log of the firm's revenue shock.
    pub(super) log_shock: f64,
    pub(super) loss_total: f64,
    pub(super) arrival: u32,
    /// Years the firm was in the park before year 0 (`[initial]` firms; 0 for the
    /// others): its age in year t is t − arrival + age0.
    pub(super) age0: u32,
    pub(super) exit_year: u32,
    pub(super) sector: u32,
    /// Year taxable profit first appeared (start of the CIT holiday).
    pub(super) holiday_start: u32,
    /// Where the firm's firm-years start in the path's [`super::FirmLog`] (its
    /// arrival year's), or [`UNLOGGED`].
    pub(super) log_at: u32,
    /// The firm's number on the path, in order of settling (for `--replay`).
    pub(super) id: u32,
    pub(super) displaced: bool,
    /// Relocated from the origin region (displaced firms are relocated ones).
    pub(super) relocated: bool,
    /// The firm's own generator of yearly shocks ε_{i,t}.
    pub(super) shocks: Xoshiro256PlusPlus,
    pub(super) losses: LossRing,
}

impl Firm {
    /// A firm arriving in year `arrival` after `age0` years in the park, with no
    /// shock, losses or holiday yet.
    #[allow(clippy::too_many_arguments)]
    fn new(
        land: f64,
        base_revenue: f64,
        arrival: u32,
        age0: u32,
        exit_year: u32,
        sector: u32,
        relocated: bool,
        displaced: bool,
        shocks: Xoshiro256PlusPlus,
    ) -> Firm {
        Firm {
            land,
            base_revenue,
            log_shock: 0.0,
            loss_total: 0.0,
            arrival,
            age0,
            exit_year,
            sector,
            holiday_start: NEVER,
            log_at: UNLOGGED,
            id: 0,
            displaced,
            relocated,
            shocks,
            losses: [0.0; MAX_LOSS_CARRY + 1],
        }
    }
}

/// Firms of the path, one record each: the year's loop reads nearly every field
/// of a firm, so a firm's fields sit together (one pointer, one bounds check and
/// one push or removal a firm rather than one per field).
#[derive(Debug, Clone, Default)]
pub(super) struct FirmPool {
    pub(super) firms: Vec<Firm>,
    /// Firms settled on the path so far: the next one's id.
    pub(super) settled: u32,
}

impl FirmPool {
    pub(super) fn clear(&mut self) {
        self.firms.clear();
        self.settled = 0;
    }

    /// The next firm's id.
    fn next_id(&mut self) -> u32 {
        self.settled += 1;
        self.settled - 1
    }

    pub(super) fn len(&self) -> usize {
        self.firms.len()
    }

    /// Removes the firms that exit at the start of year `t`; returns the land they
    /// free and its residual term for rights of `term` years.
    ///
    /// # Formula
    /// A firm that arrived in year a has held its right t − a years (plus its years
    /// before year 0 for an `[initial]` firm); its residual is land × max(0, term −
    /// held) / term mu-equivalents.
    pub(super) fn remove_exits(&mut self, t: u32, term: u32) -> Freed {
        let mut freed = Freed::default();
        let mut i = 0;
        while let Some(f) = self.firms.get(i) {
            if f.exit_year <= t {
                let held = t - f.arrival + f.age0;
                let left = term.saturating_sub(held);
                freed.mu += f.land;
                freed.residual_mu += f.land * f64::from(left) / f64::from(term.max(1));
                self.firms.swap_remove(i);
            } else {
                i += 1;
            }
        }
        freed
    }
}

/// Land freed by the year's exits.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(super) struct Freed {
    /// Mu freed.
    pub(super) mu: f64,
    /// Σ land × remaining term / term: the mu a buyback pays the full price for.
    pub(super) residual_mu: f64,
}

/// The park's saleable land that is open, the part of it that is free, and the part
/// of the free land whose right a departed firm still holds (to be transferred).
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Land {
    pub(super) open: f64,
    pub(super) free: f64,
    /// Free mu whose right was not bought back: the next firm to take land takes it
    /// first, from its holder, and pays the park nothing for it.
    pub(super) vacated: f64,
}

impl Land {
    /// Frees the land of the year's exits under rule `on_exit`: transferred land
    /// stays in private hands (vacated), bought-back land is the park's to sell again.
    pub(super) fn free_exits(&mut self, freed: Freed, on_exit: LandOnExit) {
        self.free += freed.mu;
        if on_exit == LandOnExit::Transfer {
            self.vacated += freed.mu;
        }
    }

    /// A firm takes `taken` mu of free land (`taken` ≤ free): vacated land first.
    /// Returns the mu the park sells it (the rest it takes over from a departed firm).
    pub(super) fn take(&mut self, taken: f64) -> f64 {
        let transferred = taken.min(self.vacated);
        self.vacated -= transferred;
        self.free -= taken;
        taken - transferred
    }
}

/// The path's values of what governs arrivals and where land sales go.
#[derive(Debug, Clone, Copy)]
pub(super) struct Market {
    /// Base arrival rate, times the rebate's attractiveness.
    pub(super) arrival_rate: f64,
    pub(super) crowding: f64,
    pub(super) relocated_share: f64,
    pub(super) displacement: f64,
    pub(super) origin: Option<usize>,
    pub(super) land_price: f64,
    pub(super) land_to_company: bool,
    pub(super) land_term_years: u32,
    pub(super) land_on_exit: LandOnExit,
    /// Value per mu of the land a displaced firm frees at home.
    pub(super) freed_land_value: f64,
}

impl Market {
    pub(super) fn resolve(scn: &Scenario, d: &[f64], rebate_attractiveness: f64) -> Market {
        let firms = &scn.firms;
        Market {
            arrival_rate: firms.arrival_rate.get(d) * firms.outlook.get(d) * rebate_attractiveness,
            crowding: firms.crowding,
            relocated_share: firms.relocated_share.get(d),
            displacement: firms.displacement.get(d),
            origin: firms.origin,
            land_price: scn.company.land_price_per_mu.get(d),
            land_to_company: scn.company.land_revenue == LandRevenue::Company,
            land_term_years: scn.company.land_term_years,
            land_on_exit: scn.company.land_on_exit,
            freed_land_value: firms.freed_land_value_per_mu.get(d),
        }
    }

    /// The market of a year whose price level is `price`: land sells, is bought
    /// back and is freed at home at inflated prices (docs/model.md §11).
    pub(super) fn at_price(self, price: f64) -> Market {
        Market {
            land_price: self.land_price * price,
            freed_land_value: self.freed_land_value * price,
            ..self
        }
    }

    /// What the recipient of land sales pays to buy back the land of the year's
    /// exits: nothing under `transfer`.
    ///
    /// # Formula
    /// buyback = land_price × Σ land × max(0, term − years held) / term.
    pub(super) fn buyback(&self, freed: Freed) -> f64 {
        match self.land_on_exit {
            LandOnExit::Transfer => 0.0,
            LandOnExit::Buyback => self.land_price * freed.residual_mu,
        }
    }

    /// The year's arrival rate.
    ///
    /// # Formula
    /// λ_t = rate × A_t × exp(m_t) × (free / open)^crowding; 0 while no land is open.
    pub(super) fn lambda(&self, attractiveness: f64, macro_level: f64, land: Land) -> f64 {
        let base = self.arrival_rate * attractiveness;
        if !(land.open > 0.0 && base > 0.0) {
            return 0.0;
        }
        let free_factor = if self.crowding == 0.0 {
            1.0
        } else {
            (land.free / land.open).max(0.0).powf(self.crowding)
        };
        base * mathlib::exp(macro_level) * free_factor
    }
}

/// Year of exit of a firm arriving in year `t` with exit uniform `u`.
///
/// # Formula
/// Years survived after arrival G ~ Geometric(hazard), P(G = g) = (1 − h)^g h, by
/// inversion G = ⌊ln(1 − u) / ln(1 − h)⌋; the firm exits at the start of year
/// t + 1 + G. Never for h = 0 (or beyond `u32`), the year after arrival for h = 1.
/// `ln_survival` is ln(1 − hazard), which a sector computes once a path
/// ([`SectorParams::ln_survival`]).
#[inline]
pub(super) fn exit_year(u: f64, hazard: f64, ln_survival: f64, t: u32) -> u32 {
    if hazard <= 0.0 {
        NEVER
    } else if hazard >= 1.0 {
        t + 1
    } else {
        let g = ((1.0 - u).ln() / ln_survival).floor();
        if g >= (NEVER - t - 2) as f64 {
            NEVER
        } else {
            t + 1 + g as u32
        }
    }
}

/// Where the year's land sales went.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct LandSales {
    /// All sales.
    pub(super) total: f64,
    /// The part received by the PDC (the rest goes to the governments' land pool).
    pub(super) to_company: f64,
    /// Prospective firms turned away for lack of land.
    pub(super) turned_away: u64,
    /// Mu sold by the park (land taken over from a departed firm is not).
    pub(super) sold_mu: f64,
    /// Mu the year's displaced arrivals freed at home.
    pub(super) freed_at_home_mu: f64,
}

/// Everything a year's arrivals need that does not change during the path.
pub(super) struct Arrivals<'a> {
    pub(super) defs: &'a [Sector],
    pub(super) sectors: &'a [SectorParams],
    /// Cumulative sector weights.
    pub(super) cdf: &'a [f64],
    pub(super) market: Market,
    /// XORed into every word of the `firms` and `initial_firms` streams
    /// ([`streams::Noise::mask`]: 0, or `!0` on an antithetic pair's odd path).
    pub(super) mask: u64,
}

impl Arrivals<'_> {
    /// Lets `n` prospective firms arrive in year `t`, each reading its own
    /// [`FIRM_WORDS`] words of the `firms` stream in order (turned away or not).
    /// Under [`Share::Replay`] a prospective firm the log holds takes its draws from
    /// the log instead; under [`Share::Record`] each goes into the log.
    pub(super) fn arrive(
        &self,
        n: u64,
        t: u32,
        rng: &mut ChaCha8Rng,
        land: &mut Land,
        pool: &mut FirmPool,
        share: &mut Share<'_>,
    ) -> LandSales {
        let mut sales = LandSales::default();
        let known = match *share {
            Share::Replay(log) => log.prospects_of(t as usize),
            Share::Record(ref mut log) => {
                log.year_start.push(log.prospects.len());
                &[]
            }
            Share::Off => &[],
        };
        if n == 0 {
            return sales;
        }
        // The prospective firm the generator's position is at, if any.
        let mut next = None;
        for i in 0..n {
            let decided;
            let prospect = match known.get(i as usize) {
                Some(p) => p,
                None => {
                    if next != Some(i) {
                        let i = u32::try_from(i).unwrap_or(u32::MAX);
                        rng.set_word_pos(streams::firm_word_pos(t, i));
                    }
                    let mut words = [0u64; FIRM_WORDS as usize];
                    for w in &mut words {
                        *w = rng.next_u64() ^ self.mask;
                    }
                    next = Some(i + 1);
                    decided = self.decide(t, &words);
                    &decided
                }
            };
            let admitted = self.admit(t, prospect, land, pool);
            if let Share::Record(log) = share {
                let mut at = UNLOGGED;
                if admitted.is_some() {
                    at = log.reserve(t, prospect.exit_year);
                    if let Some(last) = pool.firms.last_mut() {
                        last.log_at = at;
                    }
                }
                log.prospects.push(Prospect {
                    at,
                    ..prospect.clone()
                });
            }
            match admitted {
                Some(Admitted {
                    sold,
                    freed_at_home,
                }) => {
                    sales.freed_at_home_mu += freed_at_home;
                    sales.sold_mu += sold;
                    let sale = sold * self.market.land_price;
                    sales.total += sale;
                    if self.market.land_to_company {
                        sales.to_company += sale;
                    }
                }
                None => sales.turned_away += 1,
            }
        }
        sales
    }

    /// What the words of a prospective firm of year `t` decide: sector, land,
    /// origin, exit year and shock generator.
    fn decide(&self, t: u32, words: &[u64; FIRM_WORDS as usize]) -> Prospect {
        let unit = |slot: usize| unit_from_u64(words[slot]);
        let total_weight = self.cdf.last().copied().unwrap_or(1.0);
        let u = unit(firm_slot::SECTOR) * total_weight;
        // The cumulative weights rise, so the count below u is the partition
        // point; counted without branches (a binary search over a few sectors
        // mispredicts about every other prospective firm).
        let k = self
            .cdf
            .iter()
            .map(|&c| usize::from(c < u))
            .sum::<usize>()
            .min(self.sectors.len() - 1);
        let taken = match &self.defs[k].land_per_firm_mu {
            FirmLand::Fixed(x) => *x,
            FirmLand::PerFirm(dist) => dist.quantile(unit(firm_slot::LAND)),
        };
        let sp = &self.sectors[k];
        let m = &self.market;
        let relocated = m.origin.is_some() && unit(firm_slot::RELOCATED) < m.relocated_share;
        Prospect {
            sector: k as u32,
            taken,
            relocated,
            displaced: relocated && unit(firm_slot::DISPLACES) < m.displacement,
            exit_year: exit_year(unit(firm_slot::EXIT), sp.exit_hazard, sp.ln_survival, t),
            // The partner's generator (mask undone): its normals are negated
            // through the sector's own loading instead.
            shocks: streams::firm_shock_rng(words[firm_slot::SHOCKS] ^ self.mask),
            at: UNLOGGED,
        }
    }

    /// A prospective firm of year `t` settles if free land fits it. Returns the land
    /// the park sells it (vacated land it takes over is not sold) and the land it
    /// freed at home, or `None` when no free land fits it.
    fn admit(
        &self,
        t: u32,
        prospect: &Prospect,
        land: &mut Land,
        pool: &mut FirmPool,
    ) -> Option<Admitted> {
        let taken = prospect.taken;
        if taken > land.free {
            return None;
        }
        let sold = land.take(taken);
        let sp = &self.sectors[prospect.sector as usize];
        let id = pool.next_id();
        pool.firms.push(Firm {
            log_at: prospect.at,
            id,
            ..Firm::new(
                taken,
                taken * sp.revenue_per_mu,
                t,
                0,
                prospect.exit_year,
                prospect.sector,
                prospect.relocated,
                prospect.displaced,
                prospect.shocks.clone(),
            )
        });
        Some(Admitted {
            sold,
            freed_at_home: if prospect.displaced { taken } else { 0.0 },
        })
    }
}

/// Puts the `[initial]` firms in the pool at year 0 and returns the land they hold.
///
/// Firm i of group g reads its own [`FIRM_WORDS`] words at
/// [`streams::firm_word_pos`]`(g, i)` of the `initial_firms` stream, in the slots
/// arrivals use (land, displacement, exit, shocks; its sector and whether it
/// relocated are given), so each firm's draws depend only on (path, g, i).
///
/// # Formula
/// A firm of age a in year 0 has arrival 0 and age0 = a: its age in year t is t + a
/// (ramp-up, rebates and the land right's term run on); its CIT holiday is taken to
/// run from its arrival when a ≥ 1; it leaves at the start of year 1 + G, G ~
/// Geometric(hazard) (survival is memoryless, so its past does not matter); its
/// revenue shock X is 0 in year 0.
pub(super) fn settle_initial(
    groups: &[InitialFirms],
    arrivals: &Arrivals<'_>,
    rng: &mut ChaCha8Rng,
    pool: &mut FirmPool,
) -> f64 {
    let mut held = 0.0;
    let m = &arrivals.market;
    for (g, group) in groups.iter().enumerate() {
        let k = group.sector;
        let sp = &arrivals.sectors[k];
        let g = u32::try_from(g).unwrap_or(u32::MAX);
        rng.set_word_pos(streams::firm_word_pos(g, 0));
        for _ in 0..group.count {
            let mut words = [0u64; FIRM_WORDS as usize];
            for w in &mut words {
                *w = rng.next_u64() ^ arrivals.mask;
            }
            let unit = |slot: usize| unit_from_u64(words[slot]);
            let land = match (group.land_per_firm_mu, &arrivals.defs[k].land_per_firm_mu) {
                (Some(x), _) => x,
                (None, FirmLand::Fixed(x)) => *x,
                (None, FirmLand::PerFirm(dist)) => dist.quantile(unit(firm_slot::LAND)),
            };
            held += land;
            let displaced = group.relocated
                && m.origin.is_some()
                && unit(firm_slot::DISPLACES) < m.displacement;
            let exit = exit_year(unit(firm_slot::EXIT), sp.exit_hazard, sp.ln_survival, 0);
            let id = pool.next_id();
            pool.firms.push(Firm {
                holiday_start: if group.age > 0 { 0 } else { NEVER },
                id,
                ..Firm::new(
                    land,
                    land * sp.revenue_per_mu,
                    0,
                    group.age,
                    exit,
                    k as u32,
                    group.relocated,
                    displaced,
                    streams::firm_shock_rng(words[firm_slot::SHOCKS] ^ arrivals.mask),
                )
            });
        }
    }
    held
}

/// What a firm that settles buys from the park and frees at home.
struct Admitted {
    /// Mu the park sells it.
    sold: f64,
    /// Mu it freed at home: its land in the park when displaced (it is taken to have
    /// used as much at home), else 0.
    freed_at_home: f64,
}

/// The park's sums over one year's firm-years. A park taking logged firm-years
/// ([`Share::Replay`]: a coalition's, whose value is its NPV) sums only what the
/// NPV reads, `pool`, `revenue`, `occupied`, `displaced_tax` and `provincial`, and
/// leaves the others 0.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct YearTotals {
    /// Local retained taxes net of rebates (the pool LR_t).
    pub(super) pool: f64,
    pub(super) total: f64,
    pub(super) local: f64,
    pub(super) rebates: f64,
    pub(super) gdp: f64,
    pub(super) wages: f64,
    pub(super) revenue: f64,
    pub(super) occupied: f64,
    /// Retained taxes the firms displaced from the origin would have paid at home.
    pub(super) displaced_tax: f64,
    /// The provincial take.
    pub(super) provincial: f64,
    /// The pool by firm group (0: the other firms, 1: relocated firms) and tax
    /// kind ([`TaxKind::index`]), each kind net of its part of the rebates.
    pub(super) by_kind: [[f64; TaxKind::COUNT]; 2],
    /// The retained taxes by kind that the year's relocated arrivals paid at home
    /// in a year before their move.
    pub(super) pre_move: [f64; TaxKind::COUNT],
}

/// Runs year `t` of every firm in the pool: its own shock, revenue, profit, taxes.
///
/// # Formula
/// X_{i,t} = X_{i,t−1} + (g − σ²/2) + σβ ε^macro_t + σ sqrt(1 − β²) ε_{i,t} after
/// the firm's first year in the pool (X = 0 in its arrival year, or in year 0 for an
/// `[initial]` firm, whose revenue is known then); age = t − arrival + age0;
/// R = land × revenue_per_mu × revenue effect ×
/// ramp(age) × exp(X); value added = ratio × R; VAT = rate × value added; profit =
/// margin × R − fixed cost × land − deductible taxes (surcharges, land use, property);
/// CIT = holiday rate × taxable profit after the loss carry-forward; wages = share × R.
/// In current prices R and the fixed cost carry the year's price level P_t and the
/// property tax the price level of the firm's arrival year (its building's original
/// value); `price` holds P by year, all 1 in constant prices (docs/model.md §11).
/// The pool by firm group and kind and the pre-move taxes are summed only when
/// `by_kind` (some alternative restricts its pool; they are 0 otherwise), which
/// keeps their cost out of the runs that never read them.
///
/// Under [`Share::Replay`] only the totals a coalition's value reads are summed
/// (see [`YearTotals`]); the loop is compiled once for each way of sharing, so no
/// firm-year tests which way it is.
#[allow(clippy::too_many_arguments)]
pub(super) fn firm_years<O: Trace>(
    pool: &mut FirmPool,
    sectors: &[SectorParams],
    tax: &TaxParams,
    t: u32,
    revenue_mult: f64,
    price: &[f64],
    by_kind: bool,
    share: &mut Share<'_>,
    trace: &mut O,
) -> YearTotals {
    let year = Year {
        sectors,
        tax,
        t,
        revenue_mult,
        price,
        by_kind,
    };
    // Firm-years written to the log, or taken from it (never with `by_kind`,
    // whose sums the log does not hold).
    match share {
        Share::Record(log) => year.run::<O, RECORD>(pool, &mut log.years, &[], trace),
        Share::Replay(log) if !by_kind => year.run::<O, REPLAY>(pool, &mut [], &log.years, trace),
        _ => year.run::<O, ALONE>(pool, &mut [], &[], trace),
    }
}

/// How [`firm_years`] shares a year's firm-years: simulating them alone, recording
/// them in the log, or taking the logged ones from it.
const ALONE: u8 = 0;
const RECORD: u8 = 1;
const REPLAY: u8 = 2;

/// What every firm-year of year `t` reads.
struct Year<'a> {
    sectors: &'a [SectorParams],
    tax: &'a TaxParams,
    t: u32,
    revenue_mult: f64,
    price: &'a [f64],
    by_kind: bool,
}

impl Year<'_> {
    /// [`firm_years`] for one way of sharing, `SHARE`: under [`RECORD`] every
    /// logged firm's firm-year goes into `record`, under [`REPLAY`] a logged
    /// firm's firm-year is taken from `replay`.
    fn run<O: Trace, const SHARE: u8>(
        &self,
        pool: &mut FirmPool,
        record: &mut [FirmYear],
        replay: &[FirmYear],
        trace: &mut O,
    ) -> YearTotals {
        let &Year {
            sectors,
            tax,
            t,
            revenue_mult,
            price,
            by_kind,
        } = self;
        let p_t = price[t as usize];
        let mut y = YearTotals::default();
        for firm in &mut pool.firms {
            let arrived = firm.arrival;
            let land = firm.land;
            let logged = (firm.log_at != UNLOGGED).then(|| (firm.log_at + (t - arrived)) as usize);
            if SHARE == REPLAY {
                if let Some(j) = logged {
                    y.add_replayed(&replay[j], land, firm.displaced);
                    continue;
                }
            }
            let sp = &sectors[firm.sector as usize];
            let (fy, f) = {
                let age = t - arrived + firm.age0;
                if t > arrived {
                    // On an antithetic pair's odd path `own_load` carries the
                    // sign −1 (ε → −ε; set per path in `simulate_path_traced`).
                    let eps: f64 = StandardNormal.sample(&mut firm.shocks);
                    firm.log_shock += sp.year_shift + sp.own_load * eps;
                }
                // exp(X) once: the home taxes of a displaced firm read the same factor.
                let shock = mathlib::exp(firm.log_shock);
                let revenue =
                    firm.base_revenue * revenue_mult * ramp(age, sp.ramp_years) * shock * p_t;
                let property_tax_per_mu = sp.property_tax_per_mu * price[arrived as usize];
                let value_added = sp.value_added_ratio * revenue;
                let vat = sp.vat_rate * value_added;
                let profit = sp.profit_margin * revenue
                    - sp.fixed_cost_per_mu * p_t * land
                    - tax.deductible(vat, land, property_tax_per_mu);
                let taxable = taxes::carry_losses(
                    &mut firm.losses,
                    &mut firm.loss_total,
                    age,
                    sp.loss_carry_years,
                    profit,
                );
                let mut cit = 0.0;
                if taxable > 0.0 {
                    if firm.holiday_start == NEVER {
                        firm.holiday_start = t;
                    }
                    // An `[initial]` firm's holiday runs from its arrival: it starts
                    // at 0 with its years before year 0 added.
                    let since = t - firm.holiday_start + firm.age0;
                    let (free, half) = (sp.cit_free_years, sp.cit_half_years);
                    cit = taxes::holiday_rate(since, free, half, sp.cit_rate, tax.cit_statutory)
                        * taxable;
                }
                let base = TaxBase {
                    vat,
                    cit,
                    wage_bill: sp.wage_share * revenue,
                    land,
                    property_tax_per_mu,
                    age,
                };
                let f = tax.firm_year(&base);
                if by_kind {
                    // The rebate is a share of the retained taxes: each kind keeps
                    // 1 − share.
                    let kept = if age < tax.rebate_years {
                        1.0 - tax.rebate_share
                    } else {
                        1.0
                    };
                    let group = &mut y.by_kind[usize::from(firm.relocated)];
                    for (g, r) in group.iter_mut().zip(&f.retained_by_kind) {
                        *g += kept * r;
                    }
                    // A relocated firm's arrival year (year 0 for an `[initial]`
                    // firm, which has arrived too): its shock is still 0, so its
                    // home taxes are those of its last years at home.
                    if firm.relocated && t == arrived {
                        let home = home_taxes(sp, tax, land, firm.base_revenue * p_t, 1.0, p_t);
                        for (p, r) in y.pre_move.iter_mut().zip(&home.retained_by_kind) {
                            *p += r;
                        }
                    }
                }
                let fy = FirmYear {
                    pool: f.retained - f.rebate,
                    provincial: f.provincial,
                    revenue,
                    displaced_tax: if firm.displaced {
                        home_taxes(sp, tax, land, firm.base_revenue * p_t, shock, p_t).retained
                    } else {
                        0.0
                    },
                };
                // Never built for the engine's `NoTrace`.
                if O::ACTIVE {
                    trace.firm_year(&FirmYearDetail {
                        id: firm.id,
                        sector: firm.sector,
                        arrival: arrived,
                        age0: firm.age0,
                        exit_year: firm.exit_year,
                        relocated: firm.relocated,
                        displaced: firm.displaced,
                        year: t,
                        age,
                        land,
                        revenue,
                        value_added,
                        wage_bill: base.wage_bill,
                        profit,
                        taxable,
                        by_kind: tax.by_kind(&base),
                        total: f.total,
                        local: f.local,
                        provincial: f.provincial,
                        retained: f.retained,
                        rebate: f.rebate,
                        pool: fy.pool,
                        displaced_tax: fy.displaced_tax,
                    });
                }
                (fy, f)
            };
            if SHARE == RECORD {
                if let Some(j) = logged {
                    record[j] = fy;
                }
            }
            if SHARE == REPLAY {
                y.add_replayed(&fy, land, firm.displaced);
                continue;
            }
            y.pool += fy.pool;
            y.total += f.total;
            y.local += f.local;
            y.rebates += f.rebate;
            y.gdp += sp.value_added_ratio * fy.revenue;
            y.wages += sp.wage_share * fy.revenue;
            y.revenue += fy.revenue;
            y.occupied += land;
            if firm.displaced {
                y.displaced_tax += fy.displaced_tax;
            }
            y.provincial += fy.provincial;
        }
        y
    }
}

impl YearTotals {
    /// Adds a firm-year of a park replaying the log (see the type's documentation).
    #[inline]
    fn add_replayed(&mut self, fy: &FirmYear, land: f64, displaced: bool) {
        self.pool += fy.pool;
        self.revenue += fy.revenue;
        self.occupied += land;
        if displaced {
            self.displaced_tax += fy.displaced_tax;
        }
        self.provincial += fy.provincial;
    }
}

/// The taxes a displaced firm would have paid at home in the year (of which the
/// origin loses the retained local part): it was mature there, so at full scale,
/// with its own shocks but none of the park's revenue effects, no CIT holiday, no
/// rebate and no losses to carry (MODEL.md §6). At `shock` 1 (X = 0) these are a
/// relocated firm's pre-move taxes, the base of a pre-move cap.
///
/// # Formula
/// R = land × revenue_per_mu × shock, shock = exp(X); VAT = rate × ratio × R; CIT = rate ×
/// max(0, margin × R − fixed cost × land − deductible taxes (surcharges, land
/// use, property)); retained = local taxes less the provincial take, the origin
/// taken to have the park's tax system. In current prices `base_revenue`, the fixed
/// cost and the property tax carry the year's price level `price`.
fn home_taxes(
    sp: &SectorParams,
    tax: &TaxParams,
    land: f64,
    base_revenue: f64,
    shock: f64,
    price: f64,
) -> taxes::FirmTaxes {
    let revenue = base_revenue * shock;
    let property_tax_per_mu = sp.property_tax_per_mu * price;
    let vat = sp.vat_rate * sp.value_added_ratio * revenue;
    let profit = sp.profit_margin * revenue
        - sp.fixed_cost_per_mu * price * land
        - tax.deductible(vat, land, property_tax_per_mu);
    tax.firm_year(&TaxBase {
        vat,
        cit: sp.cit_rate * profit.max(0.0),
        wage_bill: sp.wage_share * revenue,
        land,
        property_tax_per_mu,
        age: NEVER,
    })
}

#[cfg(test)]
// The expected values are worked by hand so that each is the exactly rounded result
// of the same one or two operations.
#[allow(clippy::float_cmp)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    /// A firm put into a pool by hand (sector 0, no shock, no losses, no holiday yet).
    struct Hand {
        land: f64,
        base_revenue: f64,
        arrival: u32,
        exit_year: u32,
        displaced: bool,
        relocated: bool,
    }

    impl Default for Hand {
        fn default() -> Self {
            Hand {
                land: 1.0,
                base_revenue: 0.0,
                arrival: 0,
                exit_year: NEVER,
                displaced: false,
                relocated: false,
            }
        }
    }

    fn push_firm(pool: &mut FirmPool, f: Hand) {
        pool.firms.push(Firm::new(
            f.land,
            f.base_revenue,
            f.arrival,
            0,
            f.exit_year,
            0,
            f.relocated,
            f.displaced,
            Xoshiro256PlusPlus::seed_from_u64(0),
        ));
    }

    /// VAT half local, CIT 40% local, nothing else: no IIT, surcharges, land use or
    /// property tax, rebate or take.
    fn plain_tax() -> TaxParams {
        TaxParams {
            vat_local: 0.5,
            cit_local: 0.4,
            iit_rate: 0.0,
            iit_local: 0.0,
            surcharge_rate: 0.0,
            land_use_per_mu: 0.0,
            property_rate: 0.0,
            rebate_share: 0.0,
            rebate_years: 0,
            rebate_attractiveness: 1.0,
            cit_statutory: 0.25,
            take: taxes::Take::default(),
            iit_schedule: None,
        }
    }

    #[test]
    fn exit_year_inverts_the_geometric_law() {
        let exit = |u: f64, h: f64, t: u32| exit_year(u, h, (1.0 - h).ln(), t);
        assert_eq!(exit(0.99, 0.0, 3), NEVER);
        assert_eq!(exit(0.01, 1.0, 3), 4);
        // h = ½: G = ⌊ln(1 − u) / ln ½⌋ is 0 for u < ½, 1 for u in [½, ¾), ...
        assert_eq!(exit(0.4, 0.5, 3), 4);
        assert_eq!(exit(0.6, 0.5, 3), 5);
        assert_eq!(exit(0.8, 0.5, 3), 6);
    }

    #[test]
    fn arrival_rate_by_hand() {
        let m = Market {
            arrival_rate: 10.0,
            crowding: 2.0,
            relocated_share: 0.0,
            displacement: 0.0,
            origin: None,
            land_price: 0.0,
            land_to_company: false,
            land_term_years: 50,
            land_on_exit: LandOnExit::Transfer,
            freed_land_value: 0.0,
        };
        let land = Land {
            open: 100.0,
            free: 50.0,
            vacated: 0.0,
        };
        assert!((m.lambda(1.5, 0.0, land) - 10.0 * 1.5 * 0.25).abs() < 1e-12);
        assert!((m.lambda(1.0, 1.0, land) - 10.0 * 1f64.exp() * 0.25).abs() < 1e-12);
        assert_eq!(m.lambda(1.0, 0.0, Land::default()), 0.0);
    }

    #[test]
    fn exits_free_their_land() {
        let mut pool = FirmPool::default();
        for (land, exit_year) in [(1.0, 3), (2.0, 5), (4.0, 3)] {
            push_firm(
                &mut pool,
                Hand {
                    land,
                    exit_year,
                    ..Hand::default()
                },
            );
        }
        assert_eq!(pool.remove_exits(2, 10), Freed::default());
        // Both leavers arrived in year 0 and held their 10-year rights 3 years.
        assert_eq!(
            pool.remove_exits(3, 10),
            Freed {
                mu: 5.0,
                residual_mu: 1.0 * 0.7 + 4.0 * 0.7
            }
        );
        assert_eq!(pool.firms.iter().map(|f| f.land).collect::<Vec<_>>(), [2.0]);
        // A right held past its term has no residual value.
        assert_eq!(
            pool.remove_exits(5, 4),
            Freed {
                mu: 2.0,
                residual_mu: 0.0
            }
        );
    }

    #[test]
    fn transferred_land_is_taken_first_and_not_sold_again() {
        let freed = Freed {
            mu: 30.0,
            residual_mu: 18.0,
        };
        let mut land = Land {
            open: 100.0,
            free: 10.0,
            vacated: 0.0,
        };
        land.free_exits(freed, LandOnExit::Transfer);
        assert_eq!((land.free, land.vacated), (40.0, 30.0));
        // 35 mu: 30 taken over from the departed firm, 5 sold by the park.
        assert_eq!(land.take(35.0), 5.0);
        assert_eq!((land.free, land.vacated), (5.0, 0.0));
        assert_eq!(land.take(5.0), 5.0);

        let mut land = Land {
            open: 100.0,
            free: 10.0,
            vacated: 0.0,
        };
        land.free_exits(freed, LandOnExit::Buyback);
        assert_eq!((land.free, land.vacated), (40.0, 0.0));
        assert_eq!(land.take(35.0), 35.0);
    }

    #[test]
    fn a_buyback_pays_the_residual_term_at_the_land_price() {
        let mut m = Market {
            arrival_rate: 0.0,
            crowding: 0.0,
            relocated_share: 0.0,
            displacement: 0.0,
            origin: None,
            land_price: 0.2,
            land_to_company: true,
            land_term_years: 50,
            land_on_exit: LandOnExit::Buyback,
            freed_land_value: 0.0,
        };
        // 40 mu held 10 of 50 years: 0.2 × 40 × 40/50 = 6.4.
        let mut pool = FirmPool::default();
        push_firm(
            &mut pool,
            Hand {
                land: 40.0,
                base_revenue: 0.0,
                arrival: 2,
                exit_year: 12,
                displaced: false,
                relocated: false,
            },
        );
        let freed = pool.remove_exits(12, m.land_term_years);
        assert_eq!(freed.mu, 40.0);
        assert!((m.buyback(freed) - 6.4).abs() < 1e-12);
        m.land_on_exit = LandOnExit::Transfer;
        assert_eq!(m.buyback(freed), 0.0);
    }

    /// A displaced firm of 10 mu at 2/mu arrived in year 0, in a sector on a
    /// 4-year ramp without volatility, and the pool holding it.
    fn ramping_firm() -> (SectorParams, FirmPool) {
        let sp = SectorParams {
            revenue_per_mu: 2.0,
            value_added_ratio: 0.5,
            profit_margin: 0.2,
            fixed_cost_per_mu: 0.05,
            wage_share: 0.1,
            vat_rate: 0.1,
            cit_rate: 0.25,
            ramp_years: 4,
            ..SectorParams::default()
        };
        let mut pool = FirmPool::default();
        push_firm(
            &mut pool,
            Hand {
                land: 10.0,
                base_revenue: 20.0,
                displaced: true,
                ..Hand::default()
            },
        );
        (sp, pool)
    }

    #[test]
    fn one_firm_year_by_hand() {
        // A firm of 10 mu at 2/mu, age 1 of a 4-year ramp, no volatility: revenue
        // 20 × ½ = 10, VAT 10% of VA 5 = 0.5, profit 2 − 0.5 = 1.5 → CIT 25% = 0.375,
        // wages 1.
        let (sp, mut pool) = ramping_firm();
        let tax = plain_tax();
        let y = firm_years(
            &mut pool,
            &[sp],
            &tax,
            1,
            1.0,
            &[1.0, 1.0],
            false,
            &mut Share::Off,
            &mut crate::economy::NoTrace,
        );
        assert!((y.revenue - 10.0).abs() < 1e-12);
        assert!((y.gdp - 5.0).abs() < 1e-12);
        assert!((y.total - 0.875).abs() < 1e-12);
        assert!((y.local - (0.25 + 0.15)).abs() < 1e-12);
        // At home the firm was mature: revenue 20, VAT 1, profit 4 − 0.5 = 3.5 → CIT
        // 0.875, local 0.5 + 0.35 = 0.85 (not the ramping park firm's 0.4).
        assert!((y.displaced_tax - 0.85).abs() < 1e-12);
        assert_eq!((y.wages, y.occupied), (1.0, 10.0));
        assert_eq!(pool.firms[0].holiday_start, 1);
    }

    #[test]
    fn one_firm_year_in_current_prices_by_hand() {
        // The firm above, arrived in year 0 at price level 1, in year 1 at price level
        // 1.5, with a building taxed 0.01/mu at its original value. Revenue 20 × ½ ×
        // 1.5 = 15, VA 7.5, VAT 0.75; fixed cost 0.05 × 1.5 × 10 = 0.75; property tax
        // 0.01 × 1 × 10 = 0.1 (the arrival year's prices); profit 3 − 0.75 − 0.1 =
        // 2.15 → CIT 0.5375; total 0.75 + 0.5375 + 0.1 = 1.3875; local 0.375 + 0.215
        // + 0.1 = 0.69; wages 1.5.
        let (sp, mut pool) = ramping_firm();
        let sp = SectorParams {
            property_tax_per_mu: 0.01,
            ..sp
        };
        let tax = plain_tax();
        let y = firm_years(
            &mut pool,
            &[sp],
            &tax,
            1,
            1.0,
            &[1.0, 1.5],
            false,
            &mut Share::Off,
            &mut crate::economy::NoTrace,
        );
        assert!((y.revenue - 15.0).abs() < 1e-12);
        assert!((y.gdp - 7.5).abs() < 1e-12);
        assert!((y.total - 1.3875).abs() < 1e-12, "{}", y.total);
        assert!((y.local - 0.69).abs() < 1e-12, "{}", y.local);
        assert!((y.wages - 1.5).abs() < 1e-12);
        // At home, mature, all at this year's prices: revenue 30, VAT 1.5, property
        // 0.15, profit 6 − 0.75 − 0.15 = 5.1 → CIT 1.275; retained 0.75 + 0.51 + 0.15.
        assert!(
            (y.displaced_tax - 1.41).abs() < 1e-12,
            "{}",
            y.displaced_tax
        );
    }

    /// A relocated firm's sector (2/mu, all value added, 30% margin, 10% VAT,
    /// 25% CIT, a 2-year ramp) and taxes (VAT half local, CIT 40%, surcharges 10%,
    /// a rebate of half in the first year, the province taking 20% of the VAT's
    /// local part).
    fn relocated_case() -> (SectorParams, TaxParams) {
        let sp = SectorParams {
            revenue_per_mu: 2.0,
            value_added_ratio: 1.0,
            profit_margin: 0.3,
            vat_rate: 0.1,
            cit_rate: 0.25,
            ramp_years: 2,
            ..SectorParams::default()
        };
        let tax = TaxParams {
            vat_local: 0.5,
            cit_local: 0.4,
            iit_rate: 0.0,
            iit_local: 0.0,
            surcharge_rate: 0.1,
            land_use_per_mu: 0.0,
            property_rate: 0.0,
            rebate_share: 0.5,
            rebate_years: 1,
            rebate_attractiveness: 1.0,
            cit_statutory: 0.25,
            take: taxes::Take {
                vat: 0.2,
                ..taxes::Take::default()
            },
            iit_schedule: None,
        };
        (sp, tax)
    }

    #[test]
    fn a_relocated_arrival_by_kind_with_its_pre_move_taxes() {
        // A relocated firm of 10 mu at 2/mu arriving this year (age 0) of a 2-year
        // ramp: revenue 10, VAT 10% of 10 = 1, surcharges 10% of VAT = 0.1, profit
        // 3 − 0.1 = 2.9 → CIT 25% = 0.725. Local: VAT 0.5, CIT 0.29, surcharges 0.1;
        // the province takes 20% of the VAT's: retained VAT 0.4. A rebate of half
        // in its first year leaves each kind half: VAT 0.2, CIT 0.145, surcharges 0.05.
        let (sp, tax) = relocated_case();
        let mut pool = FirmPool::default();
        push_firm(
            &mut pool,
            Hand {
                land: 10.0,
                base_revenue: 20.0,
                arrival: 3,
                relocated: true,
                ..Hand::default()
            },
        );
        let y = firm_years(
            &mut pool,
            &[sp],
            &tax,
            3,
            1.0,
            &[1.0; 5],
            true,
            &mut Share::Off,
            &mut crate::economy::NoTrace,
        );
        let want = [0.2, 0.145, 0.0, 0.05, 0.0, 0.0];
        for (k, (got, want)) in y.by_kind[1].iter().zip(want).enumerate() {
            assert!((got - want).abs() < 1e-12, "kind {k}: {got} vs {want}");
        }
        assert_eq!(y.by_kind[0], [0.0; TaxKind::COUNT]);
        let parts: f64 = y.by_kind[1].iter().sum();
        assert!((parts - y.pool).abs() < 1e-12, "{parts} vs {}", y.pool);
        // At home it was mature: revenue 20, VAT 2 (local 1, retained 0.8),
        // surcharges 0.2, profit 6 − 0.2 = 5.8 → CIT 1.45 (local 0.58), no rebate.
        let want = [0.8, 0.58, 0.0, 0.2, 0.0, 0.0];
        for (k, (got, want)) in y.pre_move.iter().zip(want).enumerate() {
            assert!((got - want).abs() < 1e-12, "kind {k}: {got} vs {want}");
        }
        // The next year it is no longer an arrival: no pre-move taxes; no rebate.
        let y = firm_years(
            &mut pool,
            &[sp],
            &tax,
            4,
            1.0,
            &[1.0; 5],
            true,
            &mut Share::Off,
            &mut crate::economy::NoTrace,
        );
        assert_eq!(y.pre_move, [0.0; TaxKind::COUNT]);
        let parts: f64 = y.by_kind[1].iter().sum();
        assert!((parts - y.pool).abs() < 1e-12, "{parts} vs {}", y.pool);
    }

    /// An `[initial]` relocated firm has arrived too: its pre-move taxes count in
    /// year 0, its arrival year (a tester's cap gave them no room: they were
    /// counted at age 0 only, which an old firm never has).
    #[test]
    fn an_initial_relocated_firm_has_its_pre_move_taxes_in_year_0() {
        let (sp, tax) = relocated_case();
        let mut pool = FirmPool::default();
        push_firm(
            &mut pool,
            Hand {
                land: 10.0,
                base_revenue: 20.0,
                relocated: true,
                ..Hand::default()
            },
        );
        pool.firms[0].age0 = 5;
        let year = |pool: &mut FirmPool, t: u32| {
            firm_years(
                pool,
                &[sp],
                &tax,
                t,
                1.0,
                &[1.0; 5],
                true,
                &mut Share::Off,
                &mut crate::economy::NoTrace,
            )
        };
        // At home as in `a_relocated_arrival_by_kind_with_its_pre_move_taxes`.
        let want = [0.8, 0.58, 0.0, 0.2, 0.0, 0.0];
        let y = year(&mut pool, 0);
        for (k, (got, want)) in y.pre_move.iter().zip(want).enumerate() {
            assert!((got - want).abs() < 1e-12, "kind {k}: {got} vs {want}");
        }
        assert_eq!(year(&mut pool, 1).pre_move, [0.0; TaxKind::COUNT]);
    }
}
