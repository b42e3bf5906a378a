//! `[taxes]`, `[taxes.rebate]` and `[taxes.province]`: rates, local shares, the
//! provincial take and its recipient, and rebates to firms (MODEL.md §6).

use super::super::file::{D_IIT_SOCIAL_INSURANCE, Num, ProvinceFile, TaxesFile};
use super::super::limits::MAX_REBATE_YEARS;
use super::super::{IitSchedule, ProvincialTake, Taxes};
use super::check::{Checker, Rule};
use crate::sampling::Value;

/// `[taxes]`: every rate and share in [0, 1], the land use tax ≥ 0, rebates of 0
/// to [`MAX_REBATE_YEARS`] years with an attractiveness ≥ 0; a flat `iit_rate`
/// and the schedule's `iit_social_insurance_share` exclude each other; the
/// provincial take's recipient is a region.
pub(super) fn taxes(c: &mut Checker, tx: &TaxesFile) -> Taxes {
    let mut taxes = Taxes {
        vat_local_share: c.num("taxes.vat_local_share", &tx.vat_local_share, Rule::Share),
        cit_local_share: c.num("taxes.cit_local_share", &tx.cit_local_share, Rule::Share),
        iit_rate: tx
            .iit_rate
            .as_ref()
            .map(|n| c.num("taxes.iit_rate", n, Rule::Share)),
        iit_local_share: c.num("taxes.iit_local_share", &tx.iit_local_share, Rule::Share),
        urban_maintenance_rate: c.num(
            "taxes.urban_maintenance_rate",
            &tx.urban_maintenance_rate,
            Rule::Share,
        ),
        education_rate: c.num("taxes.education_rate", &tx.education_rate, Rule::Share),
        local_education_rate: c.num(
            "taxes.local_education_rate",
            &tx.local_education_rate,
            Rule::Share,
        ),
        land_use_tax_per_m2: c.num(
            "taxes.land_use_tax_per_m2",
            &tx.land_use_tax_per_m2,
            Rule::NonNegative,
        ),
        property_tax_rate: c.num(
            "taxes.property_tax_rate",
            &tx.property_tax_rate,
            Rule::Share,
        ),
        property_tax_deduction: c.num(
            "taxes.property_tax_deduction",
            &tx.property_tax_deduction,
            Rule::Share,
        ),
        provincial_take: c.num("taxes.provincial_take", &tx.provincial_take, Rule::Share),
        rebate_share: c.num("taxes.rebate.share", &tx.rebate.share, Rule::Share),
        rebate_years: c.int("taxes.rebate.years", tx.rebate.years, 0, MAX_REBATE_YEARS),
        rebate_attractiveness: c.num(
            "taxes.rebate.attractiveness",
            &tx.rebate.attractiveness,
            Rule::NonNegative,
        ),
        cit_statutory_rate: c.num(
            "taxes.cit_statutory_rate",
            &tx.cit_statutory_rate,
            Rule::Share,
        ),
        iit_social_insurance_share: Value::Fixed(D_IIT_SOCIAL_INSURANCE),
        provincial: ProvincialTake::NONE,
        iit_schedule: tx
            .iit_schedule
            .map_or(IitSchedule::Y2019, super::changes::schedule),
    };
    if tx.iit_schedule.is_some() && taxes.iit_rate.is_some() {
        c.problem(
            "taxes.iit_schedule",
            "expected no IIT schedule with a flat `iit_rate` (the flat rate replaces the \
             schedule); remove one of them",
        );
    }
    if let Some(n) = &tx.iit_social_insurance_share {
        if taxes.iit_rate.is_some() {
            c.problem(
                "taxes.iit_social_insurance_share",
                "expected no social insurance share with a flat `iit_rate` (it applies only \
                 to the progressive schedule, which `iit_rate` replaces); remove one of them",
            );
        }
        taxes.iit_social_insurance_share =
            c.num("taxes.iit_social_insurance_share", n, Rule::Share);
    }
    taxes.provincial = province(c, &tx.province, taxes.provincial_take);
    taxes
}

/// `[taxes.province]`: each share in [0, 1]; VAT, CIT and IIT default to
/// `taxes.provincial_take` (the same draw), the other kinds to 0; `to` a region id.
fn province(c: &mut Checker, p: &ProvinceFile, shared: Value) -> ProvincialTake {
    let mut kind = |name: &str, n: &Option<Num>, default: Value| match n {
        Some(n) => c.num(&format!("taxes.province.{name}"), n, Rule::Share),
        None => default,
    };
    let none = Value::Fixed(0.0);
    ProvincialTake {
        vat: kind("vat", &p.vat, shared),
        cit: kind("cit", &p.cit, shared),
        iit: kind("iit", &p.iit, shared),
        surcharges: kind("surcharges", &p.surcharges, none),
        land_use: kind("land_use", &p.land_use, none),
        property: kind("property", &p.property, none),
        to: p.to.as_ref().map(|id| c.region("taxes.province.to", id)),
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{checker, params, problems, table};
    use super::*;

    #[test]
    fn taxes_report_shares_above_one_and_a_long_rebate() {
        let mut c = checker();
        taxes(
            &mut c,
            &table(&format!(
                "vat_local_share = 1.5\nland_use_tax_per_m2 = -6\n[rebate]\nyears = {}",
                MAX_REBATE_YEARS + 1
            )),
        );
        assert_eq!(
            problems(&c),
            [
                "taxes.vat_local_share: expected a share in [0, 1], found 1.5".to_owned(),
                "taxes.land_use_tax_per_m2: expected a number ≥ 0, found -6".to_owned(),
                format!(
                    "taxes.rebate.years: expected a whole number in [0, {MAX_REBATE_YEARS}], found 101"
                ),
            ]
        );
    }

    #[test]
    fn taxes_report_a_bad_province_and_a_flat_iit_with_social_insurance() {
        let mut c = checker();
        taxes(
            &mut c,
            &table(
                "iit_rate = 0.02\niit_social_insurance_share = 0.1\ncit_statutory_rate = 2\n\
                 [province]\nland_use = 1.5\nto = \"jilinsheng\"",
            ),
        );
        assert_eq!(
            problems(&c),
            [
                "taxes.cit_statutory_rate: expected a share in [0, 1], found 2",
                "taxes.iit_social_insurance_share: expected no social insurance share with a \
                 flat `iit_rate` (it applies only to the progressive schedule, which `iit_rate` \
                 replaces); remove one of them",
                "taxes.province.land_use: expected a share in [0, 1], found 1.5",
                "taxes.province.to: expected a region id (one of zhejiang, jilin), found `jilinsheng`; did you mean `jilin`?",
            ]
        );
    }

    #[test]
    fn the_province_takes_the_shared_taxes_by_default() {
        let mut c = checker();
        let t = taxes(
            &mut c,
            &table(
                "provincial_take = { dist = \"uniform\", min = 0.1, max = 0.3 }\n[province]\niit = 0\nto = \"jilin\"",
            ),
        );
        assert_eq!(problems(&c), [] as [String; 0]);
        // One draw for VAT and CIT, which default to it; IIT is set; the rest take 0.
        assert_eq!(params(&c), ["taxes.provincial_take"]);
        let p = &t.provincial;
        assert_eq!((p.vat, p.cit), (t.provincial_take, t.provincial_take));
        assert!(matches!(p.vat, Value::Drawn(0)));
        for v in [p.iit, p.surcharges, p.land_use, p.property] {
            assert_eq!(v, Value::Fixed(0.0));
        }
        assert_eq!(p.to, Some(1));
        assert_eq!(t.iit_rate, None);
        assert_eq!(
            t.iit_social_insurance_share,
            Value::Fixed(D_IIT_SOCIAL_INSURANCE)
        );
        assert_eq!(t.cit_statutory_rate, Value::Fixed(0.25));
    }

    #[test]
    fn taxes_accept_defaults_and_a_drawn_take() {
        let mut c = checker();
        let t = taxes(
            &mut c,
            &table(&format!(
                "provincial_take = {{ dist = \"beta\", alpha = 2, beta = 5 }}\n[rebate]\nyears = {MAX_REBATE_YEARS}"
            )),
        );
        assert_eq!(problems(&c), [] as [String; 0]);
        assert_eq!(params(&c), ["taxes.provincial_take"]);
        assert_eq!(t.rebate_years, MAX_REBATE_YEARS);
    }
}
