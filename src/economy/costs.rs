//! Costs by year and bearer (MODEL.md §3): land acquisition and infrastructure while a
//! phase is built, operations once it is open, each booked to whoever bears it.

use crate::scenario::{Bearer, Scenario};

/// Whether a cost is capital spending (financed in part by loans) or operating.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Spend {
    Capex,
    Opex,
}

/// Where the year's costs go, by bearer rule.
pub(super) struct CostLedger<'a> {
    pub(super) horizon: usize,
    /// Number of regions.
    pub(super) regions: usize,
    /// Equity share of each region in force each year, year-major (`[t * regions + r]`).
    pub(super) equity: &'a [f64],
    /// Costs borne directly (region × year).
    pub(super) costs_borne: &'a mut [f64],
    /// The PDC's capital spending by year.
    pub(super) pdc_capex: &'a mut [f64],
    /// The PDC's operating spending by year.
    pub(super) pdc_opex: &'a mut [f64],
    /// The part of `costs_borne` that is land acquisition (region × year).
    pub(super) land_costs_borne: &'a mut [f64],
}

impl CostLedger<'_> {
    /// Books `amount` of year `t` to `bearer`.
    pub(super) fn bear(&mut self, bearer: &Bearer, t: usize, amount: f64, spend: Spend) {
        self.book(bearer, t, amount, spend, false);
    }

    /// Books land acquisition like [`CostLedger::bear`], the regions' part also into
    /// `land_costs_borne` (the contribution measure counts a region's land once).
    pub(super) fn bear_land(&mut self, bearer: &Bearer, t: usize, amount: f64) {
        self.book(bearer, t, amount, Spend::Capex, true);
    }

    fn book(&mut self, bearer: &Bearer, t: usize, amount: f64, spend: Spend, land: bool) {
        let h = self.horizon;
        match bearer {
            Bearer::Company if spend == Spend::Capex => self.pdc_capex[t] += amount,
            Bearer::Company => self.pdc_opex[t] += amount,
            Bearer::Equity => {
                let n = self.regions;
                for r in 0..n {
                    self.regional(r * h + t, self.equity[t * n + r] * amount, land);
                }
            }
            Bearer::Shares(shares) => {
                for (r, s) in shares.iter().enumerate() {
                    self.regional(r * h + t, s * amount, land);
                }
            }
            Bearer::Region(r) => self.regional(r * h + t, amount, land),
        }
    }

    fn regional(&mut self, i: usize, amount: f64, land: bool) {
        self.costs_borne[i] += amount;
        if land {
            self.land_costs_borne[i] += amount;
        }
    }
}

/// Books every cost of the park over the horizon, each year's to the bearer in
/// force that year (a dated change moves it from its year on).
///
/// # Formula
/// In each build year of a phase: land acquisition and infrastructure per mu × area /
/// build years × cost multiplier; from its opening year: operations per mu × area ×
/// cost multiplier; from the first opening on: operations per year × cost multiplier.
/// The land of a park that exists at the start (`[initial]`) is open from year 0:
/// its development costs are history, its operations are not.
pub(super) fn bear_costs(scn: &Scenario, d: &[f64], cost_mult: &[f64], ledger: &mut CostLedger) {
    let h = ledger.horizon;
    let costs = &scn.costs;
    let land_acq = costs.land_acquisition.per_mu.get(d);
    let infra = costs.infrastructure.per_mu.get(d);
    let ops_per_mu = costs.operations.per_mu.get(d);
    let ops_per_year = costs.operations.per_year.get(d);
    let initial = &scn.initial;
    let mut first_open = h;
    if initial.is_open() {
        first_open = 0;
        for t in 0..h {
            let amount = ops_per_mu * initial.developed_mu * cost_mult[t];
            ledger.bear(scn.bearers_at(t as u32)[2], t, amount, Spend::Opex);
        }
    }
    for phase in &scn.park.phases {
        let per_year = phase.area_mu / phase.build_years as f64;
        let build = phase.start as usize..(phase.start + phase.build_years) as usize;
        for t in build.filter(|&t| t < h) {
            let k = cost_mult[t];
            let [land, works_bearer, _] = scn.bearers_at(t as u32);
            let acquisition = land_acq * per_year * k;
            ledger.bear_land(land, t, acquisition);
            let works = infra * per_year * k;
            ledger.bear(works_bearer, t, works, Spend::Capex);
        }
        let open = (phase.start + phase.build_years) as usize;
        first_open = first_open.min(open);
        for t in open..h {
            let amount = ops_per_mu * phase.area_mu * cost_mult[t];
            ledger.bear(scn.bearers_at(t as u32)[2], t, amount, Spend::Opex);
        }
    }
    for t in first_open..h {
        let amount = ops_per_year * cost_mult[t];
        ledger.bear(scn.bearers_at(t as u32)[2], t, amount, Spend::Opex);
    }
}

#[cfg(test)]
// The expected values are worked by hand so that each is the exactly rounded result
// of the same one or two operations.
#[allow(clippy::float_cmp)]
mod tests {
    use super::*;
    use crate::economy::testing::{parse, scenario};

    #[test]
    fn bearers_split_as_written() {
        let (mut borne, mut capex, mut opex) = ([0.0; 4], [0.0; 2], [0.0; 2]);
        let mut land = [0.0; 4];
        let mut ledger = CostLedger {
            horizon: 2,
            regions: 2,
            equity: &[0.75, 0.25, 0.75, 0.25],
            costs_borne: &mut borne,
            pdc_capex: &mut capex,
            pdc_opex: &mut opex,
            land_costs_borne: &mut land,
        };
        ledger.bear(&Bearer::Company, 0, 4.0, Spend::Capex);
        ledger.bear(&Bearer::Company, 1, 3.0, Spend::Opex);
        ledger.bear(&Bearer::Equity, 1, 8.0, Spend::Opex);
        ledger.bear(&Bearer::Shares(vec![0.5, 0.5]), 0, 2.0, Spend::Capex);
        ledger.bear(&Bearer::Region(1), 0, 1.0, Spend::Capex);
        ledger.bear_land(&Bearer::Equity, 0, 4.0);
        assert_eq!(capex, [4.0, 0.0]);
        assert_eq!(opex, [0.0, 3.0]);
        assert_eq!(borne, [4.0, 6.0, 3.0, 2.0]);
        assert_eq!(land, [3.0, 0.0, 1.0, 0.0]);
    }

    #[test]
    fn costs_by_phase_year_and_bearer() {
        // Two phases: 100 mu built in 2020–2021, 50 mu in 2021; land 0.1/mu borne by b,
        // infrastructure 0.2/mu by the company, operations 0.01/mu + 1/year by equity.
        let scn = parse(&scenario(
            "",
            r#"
[costs.operations]
per_mu = 0.01
per_year = 1
bearer = "equity"
"#,
        ));
        let h = 4;
        let (mut borne, mut capex, mut opex) = ([0.0; 8], [0.0; 4], [0.0; 4]);
        let mut land = [0.0; 8];
        let mut ledger = CostLedger {
            horizon: h,
            regions: 2,
            equity: &[0.6, 0.4, 0.6, 0.4, 0.6, 0.4, 0.6, 0.4],
            costs_borne: &mut borne,
            pdc_capex: &mut capex,
            pdc_opex: &mut opex,
            land_costs_borne: &mut land,
        };
        bear_costs(&scn, &[], &[1.0, 1.0, 2.0, 1.0], &mut ledger);
        // Capex: 2020 100/2 × 0.2 = 10; 2021 (50 + 50) × 0.2 = 20.
        assert_eq!(capex, [10.0, 20.0, 0.0, 0.0]);
        assert_eq!(opex, [0.0; 4]);
        // b's land: 5, 10; operations from 2022 (both phases open): 150 × 0.01 + 1 =
        // 2.5, doubled by the cost multiplier in 2022.
        let ops = [0.0, 0.0, 5.0, 2.5];
        for t in 0..h {
            assert!((borne[t] - 0.6 * ops[t]).abs() < 1e-12);
            let land = [5.0, 10.0, 0.0, 0.0][t];
            assert!((borne[h + t] - land - 0.4 * ops[t]).abs() < 1e-12);
        }
        assert_eq!(land, [0.0, 0.0, 0.0, 0.0, 5.0, 10.0, 0.0, 0.0]);
    }
}
