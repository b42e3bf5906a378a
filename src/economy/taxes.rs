//! Taxes under the tax-sharing system (MODEL.md §6): the path's resolved rates and
//! shares, the loss carry-forward and CIT holiday that shape taxable profit, and one
//! firm-year's taxes split into total, local, retained and rebated.

use super::{M2_PER_MU, MAX_LOSS_CARRY};
use crate::scenario::{IitSchedule, Scenario, TaxKind, Taxes};

/// The tax parameters resolved for one path.
#[derive(Debug, Clone, Copy)]
pub(super) struct TaxParams {
    pub(super) vat_local: f64,
    pub(super) cit_local: f64,
    /// Effective IIT rate on the wage bill: the flat rate, or the schedule's tax at
    /// the average wage over that wage.
    pub(super) iit_rate: f64,
    pub(super) iit_local: f64,
    /// Urban maintenance + education + local education, as a rate on VAT.
    pub(super) surcharge_rate: f64,
    /// Land use tax per mu, in money units.
    pub(super) land_use_per_mu: f64,
    /// Property tax rate on building value, after the deduction.
    pub(super) property_rate: f64,
    pub(super) rebate_share: f64,
    pub(super) rebate_years: u32,
    /// Multiplier on the arrival rate (1 when no rebate is offered).
    pub(super) rebate_attractiveness: f64,
    /// Statutory CIT rate: a holiday's half rate is at most half of it.
    pub(super) cit_statutory: f64,
    /// The province's share of each tax's local part.
    pub(super) take: Take,
    /// The IIT schedule, the average wage in yuan and the social insurance share
    /// the schedule is applied to; `None` with a flat rate.
    pub(super) iit_schedule: Option<(IitSchedule, f64, f64)>,
}

/// The province's share of the local part of each tax kind.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Take {
    pub(super) vat: f64,
    pub(super) cit: f64,
    pub(super) iit: f64,
    pub(super) surcharges: f64,
    pub(super) land_use: f64,
    pub(super) property: f64,
}

/// Standard deduction of the IIT on comprehensive income since 2019, yuan a year.
pub const IIT_STANDARD_DEDUCTION: f64 = 60_000.0;

/// The annual IIT schedule on comprehensive income (综合所得) since 2019: (upper bound
/// of taxable income, rate, quick deduction), in yuan.
const IIT_BRACKETS: [(f64, f64, f64); 7] = [
    (36_000.0, 0.03, 0.0),
    (144_000.0, 0.10, 2_520.0),
    (300_000.0, 0.20, 16_920.0),
    (420_000.0, 0.25, 31_920.0),
    (660_000.0, 0.30, 52_920.0),
    (960_000.0, 0.35, 85_920.0),
    (f64::INFINITY, 0.45, 181_920.0),
];

/// IIT of one worker with `wage` yuan a year, paying `social_insurance` of it in
/// social insurance contributions.
///
/// # Formula
/// taxable = wage × (1 − social insurance) − 60 000; IIT = taxable × rate − quick
/// deduction of taxable's bracket (3% … 45%), 0 when taxable ≤ 0.
pub fn iit_yuan(wage: f64, social_insurance: f64) -> f64 {
    let taxable = wage * (1.0 - social_insurance) - IIT_STANDARD_DEDUCTION;
    bracket_tax(taxable, &IIT_BRACKETS)
}

/// Monthly standard deduction of the IIT on wages from 1 September 2011 to 2018,
/// yuan.
pub const IIT_2011_MONTHLY_DEDUCTION: f64 = 3_500.0;

/// The monthly IIT schedule on wages of 1 September 2011 – 2018 (个人所得税法 as
/// amended 30 June 2011): (upper bound of monthly taxable income, rate, quick
/// deduction), in yuan.
const IIT_2011_BRACKETS: [(f64, f64, f64); 7] = [
    (1_500.0, 0.03, 0.0),
    (4_500.0, 0.10, 105.0),
    (9_000.0, 0.20, 555.0),
    (35_000.0, 0.25, 1_005.0),
    (55_000.0, 0.30, 2_755.0),
    (80_000.0, 0.35, 5_505.0),
    (f64::INFINITY, 0.45, 13_505.0),
];

/// The tax of `taxable` income under `brackets` (upper bound, rate, quick
/// deduction): 0 when taxable ≤ 0.
fn bracket_tax(taxable: f64, brackets: &[(f64, f64, f64); 7]) -> f64 {
    if taxable <= 0.0 {
        return 0.0;
    }
    let last = brackets[brackets.len() - 1];
    let (_, rate, quick) = brackets
        .iter()
        .copied()
        .find(|&(upper, _, _)| taxable <= upper)
        .unwrap_or(last);
    taxable * rate - quick
}

/// Yearly IIT of one worker with `wage` yuan a year, paying `social_insurance` of
/// it in social insurance contributions, under the 2011 schedule (the wage paid
/// evenly over 12 months).
///
/// # Formula
/// monthly taxable = wage × (1 − social insurance) / 12 − 3 500; IIT = 12 ×
/// (monthly taxable × rate − quick deduction of its bracket), 0 when taxable ≤ 0.
pub fn iit_yuan_2011(wage: f64, social_insurance: f64) -> f64 {
    let monthly = wage * (1.0 - social_insurance) / 12.0 - IIT_2011_MONTHLY_DEDUCTION;
    12.0 * bracket_tax(monthly, &IIT_2011_BRACKETS)
}

/// Yearly IIT of one worker under `schedule` ([`iit_yuan_2011`], [`iit_yuan`]).
pub fn iit_yuan_under(schedule: IitSchedule, wage: f64, social_insurance: f64) -> f64 {
    match schedule {
        IitSchedule::Y2011 => iit_yuan_2011(wage, social_insurance),
        IitSchedule::Y2019 => iit_yuan(wage, social_insurance),
    }
}

impl TaxParams {
    /// Reads the path's values of the scenario's base tax parameters (`[taxes]`).
    pub(super) fn resolve(scn: &Scenario, d: &[f64]) -> TaxParams {
        TaxParams::resolve_taxes(scn, &scn.taxes, d)
    }

    /// Reads the path's values of the tax parameters `taxes` (the base ones or
    /// those of a dated change).
    ///
    /// # Formula
    /// surcharges = urban maintenance + education + local education rates;
    /// land use per mu = rate per m² × 10 000/15 m² / yuan per money unit;
    /// property rate = rate × (1 − deduction); IIT rate = the flat rate, or
    /// IIT(w) / w at the average wage w in yuan under the schedule in force
    /// ([`iit_yuan_under`]).
    pub(super) fn resolve_taxes(scn: &Scenario, taxes: &Taxes, d: &[f64]) -> TaxParams {
        let rebate_share = taxes.rebate_share.get(d);
        let rebate_years = taxes.rebate_years;
        let (iit_rate, iit_schedule) = match taxes.iit_rate {
            Some(flat) => (flat.get(d), None),
            None => {
                let wage = scn.firms.average_wage.get(d) * scn.yuan_per_unit;
                let social_insurance = taxes.iit_social_insurance_share.get(d);
                (
                    iit_yuan_under(taxes.iit_schedule, wage, social_insurance) / wage,
                    Some((taxes.iit_schedule, wage, social_insurance)),
                )
            }
        };
        let p = &taxes.provincial;
        TaxParams {
            vat_local: taxes.vat_local_share.get(d),
            cit_local: taxes.cit_local_share.get(d),
            iit_rate,
            iit_local: taxes.iit_local_share.get(d),
            surcharge_rate: taxes.urban_maintenance_rate.get(d)
                + taxes.education_rate.get(d)
                + taxes.local_education_rate.get(d),
            land_use_per_mu: taxes.land_use_tax_per_m2.get(d) * M2_PER_MU / scn.yuan_per_unit,
            property_rate: taxes.property_tax_rate.get(d)
                * (1.0 - taxes.property_tax_deduction.get(d)),
            rebate_share,
            rebate_years,
            rebate_attractiveness: if rebate_share > 0.0 && rebate_years > 0 {
                taxes.rebate_attractiveness.get(d)
            } else {
                1.0
            },
            cit_statutory: taxes.cit_statutory_rate.get(d),
            take: Take {
                vat: p.vat.get(d),
                cit: p.cit.get(d),
                iit: p.iit.get(d),
                surcharges: p.surcharges.get(d),
                land_use: p.land_use.get(d),
                property: p.property.get(d),
            },
            iit_schedule,
        }
    }

    /// The parameters of a year whose price level is `price` (docs/model.md §11): the
    /// schedule's IIT rate at the inflated wage, whose deduction and brackets stay
    /// in statutory yuan; everything else is a rate or a statutory amount and
    /// does not move. At `price` = 1 the parameters come back bit for bit.
    pub(super) fn at_price(&self, price: f64) -> TaxParams {
        match self.iit_schedule {
            Some((schedule, wage, social_insurance)) => {
                let wage = wage * price;
                TaxParams {
                    iit_rate: iit_yuan_under(schedule, wage, social_insurance) / wage,
                    ..*self
                }
            }
            _ => *self,
        }
    }

    /// Taxes deductible in the CIT base (企业所得税法实施条例 第31条): the VAT
    /// surcharges, land use tax and property tax of a firm-year with `vat` due on
    /// `land` mu.
    #[inline]
    pub(super) fn deductible(&self, vat: f64, land: f64, property_tax_per_mu: f64) -> f64 {
        self.surcharge_rate * vat + (self.land_use_per_mu + property_tax_per_mu) * land
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
    // One 32-bit remainder a firm-year; the older slots follow by wrapping, which
    // visits them in the order (age + j) mod ring does.
    let ring = (carry + 1) as usize;
    let slot = (age % (carry + 1)) as usize;
    let losses = &mut losses[..ring];
    *loss_total -= losses[slot];
    losses[slot] = 0.0;
    if profit < 0.0 {
        losses[slot] = -profit;
        *loss_total += -profit;
    } else if *loss_total > 0.0 {
        let mut used_total = 0.0;
        let (newer, older) = losses.split_at_mut(slot + 1);
        // Oldest first: slots slot + 1 .. ring, then 0 .. slot.
        for loss in older.iter_mut().chain(&mut newer[..slot]) {
            let used = loss.min(taxable);
            *loss -= used;
            taxable -= used;
            used_total += used;
        }
        *loss_total = (*loss_total - used_total).max(0.0);
    }
    taxable
}

/// CIT rate `years_since` years after the holiday began (the first year of taxable
/// profit), for a firm whose rate is `rate` (preferential or not) where the
/// statutory rate is `statutory`.
///
/// # Formula
/// 0 for `free` years; min(rate, statutory / 2) for `half` years; then `rate`.
/// Incentives do not stack (国发〔2007〕39号, 国税函〔2010〕157号): a 15% high-tech
/// firm pays 12.5% in its half years, never 7.5%.
#[inline]
pub(super) fn holiday_rate(
    years_since: u32,
    free: u32,
    half: u32,
    rate: f64,
    statutory: f64,
) -> f64 {
    if years_since < free {
        0.0
    } else if years_since < free + half {
        rate.min(0.5 * statutory)
    } else {
        rate
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
    /// The provincial take: local − retained.
    pub(super) provincial: f64,
    /// `retained` by kind ([`TaxKind::index`]): each kind's local part less the
    /// take on it, before rebates (their sum is `retained` up to rounding).
    pub(super) retained_by_kind: [f64; TaxKind::COUNT],
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
    /// rest in full; provincial = Σ over kinds of the take × the kind's local part;
    /// retained = local − provincial, and by kind the kind's local part × (1 −
    /// its take); rebate = rebate share × retained in the firm's first
    /// `rebate_years`.
    #[inline]
    pub(super) fn firm_year(&self, b: &TaxBase) -> FirmTaxes {
        let surcharges = self.surcharge_rate * b.vat;
        let iit = self.iit_rate * b.wage_bill;
        let land_use = self.land_use_per_mu * b.land;
        let property = b.property_tax_per_mu * b.land;
        let total = b.vat + b.cit + iit + surcharges + land_use + property;
        let (vat_local, cit_local, iit_local) = (
            self.vat_local * b.vat,
            self.cit_local * b.cit,
            self.iit_local * iit,
        );
        let local = vat_local + cit_local + iit_local + surcharges + land_use + property;
        let t = &self.take;
        let provincial = t.vat * vat_local
            + t.cit * cit_local
            + t.iit * iit_local
            + t.surcharges * surcharges
            + t.land_use * land_use
            + t.property * property;
        let retained = local - provincial;
        let retained_by_kind = [
            vat_local - t.vat * vat_local,
            cit_local - t.cit * cit_local,
            iit_local - t.iit * iit_local,
            surcharges - t.surcharges * surcharges,
            land_use - t.land_use * land_use,
            property - t.property * property,
        ];
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
            provincial,
            retained_by_kind,
        }
    }
}

impl TaxParams {
    /// Each tax kind's amount of one firm-year, all levels ([`TaxKind::index`]
    /// order), as [`TaxParams::firm_year`] computes them: for `--replay`'s trace.
    #[inline]
    pub(super) fn by_kind(&self, b: &TaxBase) -> [f64; TaxKind::COUNT] {
        [
            b.vat,
            b.cit,
            self.iit_rate * b.wage_bill,
            self.surcharge_rate * b.vat,
            self.land_use_per_mu * b.land,
            b.property_tax_per_mu * b.land,
        ]
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
cit_statutory_rate = 0.3
[taxes.rebate]
share = 0.5
years = 3
attractiveness = 1.4
[taxes.province]
cit = 0.1
land_use = 0.5
to = "a"
"#,
        ));
        let t = TaxParams::resolve(&scn, &[]);
        assert!((t.surcharge_rate - 0.12).abs() < 1e-15);
        assert!((t.land_use_per_mu - 3.0 * M2_PER_MU / scn.yuan_per_unit).abs() < 1e-12);
        assert!((t.property_rate - 0.012 * 0.7).abs() < 1e-15);
        assert_eq!((t.rebate_share, t.rebate_years), (0.5, 3));
        assert_eq!(t.rebate_attractiveness, 1.4);
        assert_eq!(t.cit_statutory, 0.3);
        // `provincial_take` is the default of the shared taxes only; a kind given in
        // [taxes.province] replaces it; the others take nothing.
        let k = t.take;
        assert_eq!((k.vat, k.cit, k.iit), (0.2, 0.1, 0.2));
        assert_eq!((k.surcharges, k.land_use, k.property), (0.0, 0.5, 0.0));
        assert_eq!(scn.taxes.provincial.to, Some(0));
        // The schedule at the test's average wage of 1 million yuan: taxable
        // 1e6 × 0.895 − 60 000 = 835 000, in the 35% bracket: 292 250 − 85 920.
        assert!((t.iit_rate - 206_330.0 / 1e6).abs() < 1e-15);
        // A flat rate replaces the schedule.
        let flat = parse(&scenario("", "[taxes]\niit_rate = 0.03"));
        assert_eq!(TaxParams::resolve(&flat, &[]).iit_rate, 0.03);
        // Defaults: the statutory rate is 25%, no take, no recipient.
        let plain = parse(&scenario("", ""));
        let t = TaxParams::resolve(&plain, &[]);
        assert_eq!(t.cit_statutory, 0.25);
        let k = t.take;
        let all = [k.vat, k.cit, k.iit, k.surcharges, k.land_use, k.property];
        assert_eq!(all, [0.0; 6]);
        assert_eq!(plain.taxes.provincial.to, None);
    }

    #[test]
    fn inflation_moves_the_wage_through_fixed_brackets() {
        // 100 000 yuan, no social insurance: taxable 40 000 → 4 000 − 2 520 = 1 480,
        // 1.48%. At price level 1.5 the wage is 150 000: taxable 90 000 → 9 000 −
        // 2 520 = 6 480, 4.32% (the deduction and brackets are statutory yuan).
        let base = TaxParams {
            iit_rate: 0.0148,
            iit_schedule: Some((IitSchedule::Y2019, 100_000.0, 0.0)),
            ..params(Take::default())
        };
        assert!((base.at_price(1.0).iit_rate - 0.0148).abs() < 1e-15);
        assert!((base.at_price(1.5).iit_rate - 0.0432).abs() < 1e-15);
        // A flat rate does not move.
        assert!((params(Take::default()).at_price(1.5).iit_rate - 0.03).abs() < 1e-15);
    }

    #[test]
    fn iit_follows_the_2019_schedule() {
        // 70 000 yuan with 10.5% social insurance: taxable 62 650 − 60 000 = 2 650 at 3%.
        assert!((iit_yuan(70_000.0, 0.105) - 79.5).abs() < 1e-9);
        // Effective 0.11% of the wage, against the old flat 3%.
        assert!(iit_yuan(70_000.0, 0.105) / 70_000.0 < 0.0012);
        // 300 000 yuan: taxable 268 500 − 60 000 = 208 500, in the 20% bracket.
        assert!((iit_yuan(300_000.0, 0.105) - (208_500.0 * 0.2 - 16_920.0)).abs() < 1e-9);
        // At or below the deduction nothing is due; the brackets join continuously
        // (the quick deductions are the official ones); the top rate is 45%.
        assert_eq!(iit_yuan(60_000.0, 0.0), 0.0);
        assert_eq!(iit_yuan(50_000.0, 0.105), 0.0);
        for (upper, _, _) in &IIT_BRACKETS[..6] {
            let below = iit_yuan(IIT_STANDARD_DEDUCTION + upper, 0.0);
            let above = iit_yuan(IIT_STANDARD_DEDUCTION + upper + 1e-6, 0.0);
            assert!((above - below).abs() < 1e-3, "{upper}: {below} vs {above}");
        }
        let top = iit_yuan(2_060_000.0, 0.0);
        assert!((top - (2_000_000.0 * 0.45 - 181_920.0)).abs() < 1e-9);
    }

    #[test]
    fn iit_follows_the_2011_schedule() {
        // 100 000 yuan with 10.5% social insurance: 7 458.33 a month − 3 500 =
        // 3 958.33 at 10% less 105 = 290.83 a month, 3 490 a year.
        assert!((iit_yuan_2011(100_000.0, 0.105) - 3_490.0).abs() < 1e-9);
        // At or below 3 500 a month nothing is due.
        assert_eq!(iit_yuan_2011(42_000.0, 0.0), 0.0);
        // The brackets join continuously (the quick deductions are the official ones).
        for (upper, _, _) in &IIT_2011_BRACKETS[..6] {
            let wage = 12.0 * (IIT_2011_MONTHLY_DEDUCTION + upper);
            let (below, above) = (iit_yuan_2011(wage, 0.0), iit_yuan_2011(wage + 1e-6, 0.0));
            assert!((above - below).abs() < 1e-3, "{upper}: {below} vs {above}");
        }
        // The schedule is chosen by name.
        let w = 300_000.0;
        assert_eq!(
            iit_yuan_under(IitSchedule::Y2011, w, 0.1),
            iit_yuan_2011(w, 0.1)
        );
        assert_eq!(iit_yuan_under(IitSchedule::Y2019, w, 0.1), iit_yuan(w, 0.1));
    }

    fn params(take: Take) -> TaxParams {
        TaxParams {
            vat_local: 0.5,
            cit_local: 0.4,
            iit_rate: 0.03,
            iit_local: 0.4,
            surcharge_rate: 0.12,
            land_use_per_mu: 0.01,
            property_rate: 0.0,
            rebate_share: 0.5,
            rebate_years: 2,
            rebate_attractiveness: 1.0,
            cit_statutory: 0.25,
            take,
            iit_schedule: None,
        }
    }

    #[test]
    fn one_firm_year_by_hand() {
        // A take of 20% on the shared taxes' local parts only.
        let t = params(Take {
            vat: 0.2,
            cit: 0.2,
            iit: 0.2,
            ..Take::default()
        });
        let mut b = TaxBase {
            vat: 5.0,
            cit: 5.0,
            wage_bill: 10.0,
            land: 100.0,
            property_tax_per_mu: 0.02,
            age: 1,
        };
        // IIT 0.3, surcharges 0.6, land use 1, property 2; local shares of VAT, CIT
        // and IIT 2.5, 2 and 0.12, of which the province takes 20% = 0.924.
        let local = 2.5 + 2.0 + 0.12 + 0.6 + 1.0 + 2.0;
        let provincial = 0.2 * (2.5 + 2.0 + 0.12);
        let f = t.firm_year(&b);
        assert!((f.total - (5.0 + 5.0 + 0.3 + 0.6 + 1.0 + 2.0)).abs() < 1e-12);
        assert!((f.local - local).abs() < 1e-12);
        assert!((f.provincial - provincial).abs() < 1e-12);
        assert!((f.retained - (local - provincial)).abs() < 1e-12);
        assert!((f.rebate - 0.5 * (local - provincial)).abs() < 1e-12);
        b.age = 2;
        assert_eq!(t.firm_year(&b).rebate, 0.0);
    }

    #[test]
    fn the_take_applies_per_tax_kind() {
        let b = TaxBase {
            vat: 5.0,
            cit: 5.0,
            wage_bill: 10.0,
            land: 100.0,
            property_tax_per_mu: 0.02,
            age: 5,
        };
        // Local parts: VAT 2.5, CIT 2, IIT 0.12, surcharges 0.6, land use 1, property 2.
        for (take, expected) in [
            (
                Take {
                    vat: 1.0,
                    ..Take::default()
                },
                2.5,
            ),
            (
                Take {
                    cit: 1.0,
                    ..Take::default()
                },
                2.0,
            ),
            (
                Take {
                    iit: 1.0,
                    ..Take::default()
                },
                0.12,
            ),
            (
                Take {
                    surcharges: 1.0,
                    ..Take::default()
                },
                0.6,
            ),
            (
                Take {
                    land_use: 1.0,
                    ..Take::default()
                },
                1.0,
            ),
            (
                Take {
                    property: 0.5,
                    ..Take::default()
                },
                1.0,
            ),
            (Take::default(), 0.0),
        ] {
            let f = params(take).firm_year(&b);
            assert!(
                (f.provincial - expected).abs() < 1e-12,
                "{take:?}: {}",
                f.provincial
            );
            assert!((f.retained + f.provincial - f.local).abs() < 1e-12);
        }
    }

    #[test]
    fn taxes_paid_are_deductible_in_the_cit_base() {
        // VAT 5 → surcharges 0.6; 100 mu → land use 1 and property 2.
        let t = params(Take::default());
        assert!((t.deductible(5.0, 100.0, 0.02) - 3.6).abs() < 1e-12);
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
        let f: Vec<f64> = (0..7).map(|y| holiday_rate(y, 2, 3, 0.25, 0.25)).collect();
        assert_eq!(f, [0.0, 0.0, 0.125, 0.125, 0.125, 0.25, 0.25]);
    }

    #[test]
    fn holiday_and_preferential_rate_do_not_stack() {
        // A 15% high-tech firm in 两免三减半 pays half the statutory 25%, 12.5%, in its
        // half years (not 7.5%), then its own 15%.
        let f: Vec<f64> = (0..7).map(|y| holiday_rate(y, 2, 3, 0.15, 0.25)).collect();
        assert_eq!(f, [0.0, 0.0, 0.125, 0.125, 0.125, 0.15, 0.15]);
        // A rate below half the statutory one is kept in the half years: 10% < 12.5%.
        assert_eq!(holiday_rate(2, 2, 3, 0.10, 0.25), 0.10);
    }
}
