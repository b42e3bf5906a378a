//! `[taxes]` and `[taxes.rebate]`: rates, local shares, the provincial take and
//! rebates to firms (MODEL.md §6).

use super::super::Taxes;
use super::super::file::TaxesFile;
use super::super::limits::MAX_REBATE_YEARS;
use super::check::{Checker, Rule};

/// `[taxes]`: every rate and share in [0, 1], the land use tax ≥ 0, rebates of 0
/// to [`MAX_REBATE_YEARS`] years with an attractiveness ≥ 0.
pub(super) fn taxes(c: &mut Checker, tx: &TaxesFile) -> Taxes {
    Taxes {
        vat_local_share: c.num("taxes.vat_local_share", &tx.vat_local_share, Rule::Share),
        cit_local_share: c.num("taxes.cit_local_share", &tx.cit_local_share, Rule::Share),
        iit_rate: c.num("taxes.iit_rate", &tx.iit_rate, Rule::Share),
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
