//! Taxes under the tax-sharing system (MODEL.md §6): the path's resolved rates and
//! shares, the loss carry-forward and CIT holiday that shape taxable profit, and one
//! firm-year's taxes split into total, local, retained and rebated.

use super::{M2_PER_MU, MAX_LOSS_CARRY};
use crate::scenario::Scenario;

/// The tax parameters resolved for one path.
#[derive(Debug, Clone, Copy)]
pub(super) struct TaxParams {
    pub(super) vat_local: f64,
    pub(super) cit_local: f64,
    pub(super) iit_rate: f64,
    pub(super) iit_local: f64,
    /// Urban maintenance + education + local education, as a rate on VAT.
    pub(super) surcharge_rate: f64,
    /// Land use tax per mu, in money units.
    pub(super) land_use_per_mu: f64,
    /// Property tax rate on building value, after the deduction.
    pub(super) property_rate: f64,
    /// 1 − provincial take.
    pub(super) keep: f64,
    pub(super) rebate_share: f64,
    pub(super) rebate_years: u32,
    /// Multiplier on the arrival rate (1 when no rebate is offered).
    pub(super) rebate_attractiveness: f64,
}

impl TaxParams {
    /// Reads the path's values of the scenario's tax parameters.
    ///
    /// # Formula
    /// surcharges = urban maintenance + education + local education rates;
    /// land use per mu = rate per m² × 10 000/15 m² / yuan per money unit;
    /// property rate = rate × (1 − deduction); keep = 1 − provincial take.
    pub(super) fn resolve(scn: &Scenario, d: &[f64]) -> TaxParams {
        let taxes = &scn.taxes;
        let rebate_share = taxes.rebate_share.get(d);
        let rebate_years = taxes.rebate_years;
        TaxParams {
            vat_local: taxes.vat_local_share.get(d),
            cit_local: taxes.cit_local_share.get(d),
            iit_rate: taxes.iit_rate.get(d),
            iit_local: taxes.iit_local_share.get(d),
            surcharge_rate: taxes.urban_maintenance_rate.get(d)
                + taxes.education_rate.get(d)
                + taxes.local_education_rate.get(d),
            land_use_per_mu: taxes.land_use_tax_per_m2.get(d) * M2_PER_MU / scn.yuan_per_unit,
            property_rate: taxes.property_tax_rate.get(d)
                * (1.0 - taxes.property_tax_deduction.get(d)),
            keep: 1.0 - taxes.provincial_take.get(d),
            rebate_share,
            rebate_years,
            rebate_attractiveness: if rebate_share > 0.0 && rebate_years > 0 {
                taxes.rebate_attractiveness.get(d)
            } else {
                1.0
            },
        }
    }
}

/// A firm's unused losses: slot age mod (carry + 1) holds the loss of that age.
pub(super) type LossRing = [f64; MAX_LOSS_CARRY + 1];

/// Taxable profit of a firm of age `age` with `profit`, after the loss carry-forward
/// over `carry` years; updates the firm's ring of losses and their total.
///
/// # Formula
/// A loss of age a offsets profits of ages a+1 ..= a+carry, oldest first; the loss of
/// age − carry − 1 expires this year.
#[inline]
pub(super) fn carry_losses(
    losses: &mut LossRing,
    loss_total: &mut f64,
    age: u32,
    carry: u32,
    profit: f64,
) -> f64 {
    let mut taxable = profit.max(0.0);
    if carry == 0 {
        return taxable;
    }
    let ring = carry as usize + 1;
    let slot = age as usize % ring;
    *loss_total -= losses[slot];
    losses[slot] = 0.0;
    if profit < 0.0 {
        losses[slot] = -profit;
        *loss_total += -profit;
    } else if *loss_total > 0.0 {
        let mut used_total = 0.0;
        for j in 1..ring {
            let idx = (age as usize + j) % ring;
            let used = losses[idx].min(taxable);
            losses[idx] -= used;
            taxable -= used;
            used_total += used;
        }
        *loss_total = (*loss_total - used_total).max(0.0);
    }
    taxable
}

/// CIT rate multiplier `years_since` years after the holiday began (the first year of
/// taxable profit): 0 for `free` years, ½ for `half` years, then 1.
#[inline]
pub(super) fn holiday_factor(years_since: u32, free: u32, half: u32) -> f64 {
    if years_since < free {
        0.0
    } else if years_since < free + half {
        0.5
    } else {
        1.0
    }
}

/// One firm-year's taxes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct FirmTaxes {
    /// All levels.
    pub(super) total: f64,
    /// Local part before the provincial take and rebates.
    pub(super) local: f64,
    /// Local part kept after the provincial take.
    pub(super) retained: f64,
    /// Rebated to the firm out of `retained`.
    pub(super) rebate: f64,
}

/// One firm-year's base: what its taxes are levied on.
#[derive(Debug, Clone, Copy)]
pub(super) struct TaxBase {
    /// VAT due.
    pub(super) vat: f64,
    /// CIT due after the holiday.
    pub(super) cit: f64,
    pub(super) wage_bill: f64,
    pub(super) land: f64,
    pub(super) property_tax_per_mu: f64,
    pub(super) age: u32,
}

impl TaxParams {
    /// The taxes of one firm-year.
    ///
    /// # Formula
    /// total = VAT + CIT + IIT + surcharges + land use + property, with IIT = rate ×
    /// wages and surcharges = rate × VAT; local = shares of VAT, CIT and IIT plus the
    /// rest in full; retained = keep × local; rebate = rebate share × retained in the
    /// firm's first `rebate_years`.
    #[inline]
    pub(super) fn firm_year(&self, b: &TaxBase) -> FirmTaxes {
        let surcharges = self.surcharge_rate * b.vat;
        let iit = self.iit_rate * b.wage_bill;
        let land_use = self.land_use_per_mu * b.land;
        let property = b.property_tax_per_mu * b.land;
        let total = b.vat + b.cit + iit + surcharges + land_use + property;
        let local = self.vat_local * b.vat
            + self.cit_local * b.cit
            + self.iit_local * iit
            + surcharges
            + land_use
            + property;
        let retained = self.keep * local;
        let rebate = if b.age < self.rebate_years {
            self.rebate_share * retained
        } else {
            0.0
        };
        FirmTaxes {
            total,
            local,
            retained,
            rebate,
        }
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
    fn resolved_rates_by_hand() {
        let scn = parse(&scenario(
            "",
            r#"
[taxes]
land_use_tax_per_m2 = 3
provincial_take = 0.2
property_tax_rate = 0.012
property_tax_deduction = 0.3
[taxes.rebate]
share = 0.5
years = 3
attractiveness = 1.4
"#,
        ));
        let t = TaxParams::resolve(&scn, &[]);
        assert!((t.surcharge_rate - 0.12).abs() < 1e-15);
        assert!((t.land_use_per_mu - 3.0 * M2_PER_MU / scn.yuan_per_unit).abs() < 1e-12);
        assert!((t.property_rate - 0.012 * 0.7).abs() < 1e-15);
        assert!((t.keep - 0.8).abs() < 1e-15);
        assert_eq!((t.rebate_share, t.rebate_years), (0.5, 3));
        assert_eq!(t.rebate_attractiveness, 1.4);
    }

    #[test]
    fn one_firm_year_by_hand() {
        let t = TaxParams {
            vat_local: 0.5,
            cit_local: 0.4,
            iit_rate: 0.03,
            iit_local: 0.4,
            surcharge_rate: 0.12,
            land_use_per_mu: 0.01,
            property_rate: 0.0,
            keep: 0.8,
            rebate_share: 0.5,
            rebate_years: 2,
            rebate_attractiveness: 1.0,
        };
        let mut b = TaxBase {
            vat: 5.0,
            cit: 5.0,
            wage_bill: 10.0,
            land: 100.0,
            property_tax_per_mu: 0.02,
            age: 1,
        };
        // IIT 0.3, surcharges 0.6, land use 1, property 2.
        let local = 2.5 + 2.0 + 0.12 + 0.6 + 1.0 + 2.0;
        let f = t.firm_year(&b);
        assert!((f.total - (5.0 + 5.0 + 0.3 + 0.6 + 1.0 + 2.0)).abs() < 1e-12);
        assert!((f.local - local).abs() < 1e-12);
        assert!((f.retained - 0.8 * local).abs() < 1e-12);
        assert!((f.rebate - 0.4 * local).abs() < 1e-12);
        b.age = 2;
        assert_eq!(t.firm_year(&b).rebate, 0.0);
    }

    #[test]
    fn losses_offset_later_profits_oldest_first_and_expire() {
        let (mut ring, mut total) = ([0.0; MAX_LOSS_CARRY + 1], 0.0);
        // Carry 2: losses 10 (age 0) and 5 (age 1); profit 12 at age 2 uses 10 then 2.
        assert_eq!(carry_losses(&mut ring, &mut total, 0, 2, -10.0), 0.0);
        assert_eq!(carry_losses(&mut ring, &mut total, 1, 2, -5.0), 0.0);
        assert_eq!(carry_losses(&mut ring, &mut total, 2, 2, 12.0), 0.0);
        assert_eq!(total, 3.0);
        // Age 3: the age-1 loss (3 left) is still usable, age 4 it has expired.
        assert_eq!(carry_losses(&mut ring, &mut total, 3, 2, 1.0), 0.0);
        assert_eq!(total, 2.0);
        assert_eq!(carry_losses(&mut ring, &mut total, 4, 2, 7.0), 7.0);
        assert_eq!(total, 0.0);
        // No carry: taxable is the profit, floored at 0.
        assert_eq!(carry_losses(&mut ring, &mut total, 0, 0, -4.0), 0.0);
        assert_eq!(carry_losses(&mut ring, &mut total, 1, 0, 4.0), 4.0);
    }

    #[test]
    fn holiday_two_free_three_half() {
        let f: Vec<f64> = (0..7).map(|y| holiday_factor(y, 2, 3)).collect();
        assert_eq!(f, [0.0, 0.0, 0.5, 0.5, 0.5, 1.0, 1.0]);
    }
}
