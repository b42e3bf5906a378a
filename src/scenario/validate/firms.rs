//! `[firms]`, `[[firms.sectors]]` and `[macro]`: arrivals, relocation, sectors and
//! the macro shock they share (MODEL.md §5).

use super::super::file::{FirmsFile, MacroFile, Num, SectorFile};
use super::super::limits::{
    MAX_CIT_HOLIDAY_YEARS, MAX_LOSS_CARRY_YEARS, MAX_RAMP_YEARS, MAX_SECTORS,
};
use super::super::{FirmLand, Firms, Initial, MacroShock, Park, Sector};
use super::check::{Checker, Rule, positive_support, support_text};
use crate::sampling::Value;

/// `[firms]`: an origin for relocated firms when some relocate, at least one
/// sector, rates in range. `sources` are the indices of the source regions.
///
/// Uncertain inputs are registered in this order: `relocated_share`, the sectors',
/// then `arrival_rate`, `displacement`, `average_wage`, `freed_land_value_per_mu`
/// and `outlook` (their field paths key their random streams, so the order is kept
/// as it always was and new inputs come last). `land_price` is
/// `company.land_price_per_mu`, the default value of freed land.
pub(super) fn firms(
    c: &mut Checker,
    fi: &FirmsFile,
    sources: &[usize],
    land_price: Value,
) -> Firms {
    let relocated_share = c.num("firms.relocated_share", &fi.relocated_share, Rule::Share);
    let origin = match &fi.origin {
        Some(id) => Some(c.region("firms.origin", id)),
        None => match sources {
            [] => None,
            [only] => Some(*only),
            _ => {
                c.problem("firms.origin", "expected `origin`: there are several source regions, so name the one relocated firms come from");
                None
            }
        },
    };
    if sources.is_empty() && fi.origin.is_none() && relocated_share != Value::Fixed(0.0) {
        c.problem(
            "firms.relocated_share",
            "expected 0: there is no source region for relocated firms to come from",
        );
    }
    if fi.sectors.is_empty() {
        c.problem("firms.sectors", "expected at least one sector");
    }
    let raw_sectors = c.at_most("firms.sectors", &fi.sectors, MAX_SECTORS, "sectors");
    let weight_sum: f64 = raw_sectors.iter().map(|s| s.weight.max(0.0)).sum();
    let sectors = raw_sectors
        .iter()
        .enumerate()
        .map(|(i, s)| sector(c, i, s, weight_sum))
        .collect();
    Firms {
        arrival_rate: c.num("firms.arrival_rate", &fi.arrival_rate, Rule::NonNegative),
        crowding: c.check_fixed("firms.crowding", fi.crowding, Rule::Between(0.0, 10.0)),
        relocated_share,
        displacement: c.num("firms.displacement", &fi.displacement, Rule::Share),
        origin,
        average_wage: c.num("firms.average_wage", &fi.average_wage, Rule::Positive),
        sectors,
        freed_land_value_per_mu: match &fi.freed_land_value_per_mu {
            Some(v) => c.num("firms.freed_land_value_per_mu", v, Rule::NonNegative),
            None => land_price,
        },
        outlook: c.num("firms.outlook", &fi.outlook, Rule::Share),
    }
}

/// `[[firms.sectors]]` number `i`: a positive weight (normalised by `weight_sum`),
/// positive land per firm (a distribution is drawn per firm, so it is not
/// registered), rates in range, and year counts within their limits.
fn sector(c: &mut Checker, i: usize, s: &SectorFile, weight_sum: f64) -> Sector {
    let f = format!("firms.sectors[{i}]");
    let p = |name: &str| format!("{f}.{name}");
    let weight = c.check_fixed(&p("weight"), s.weight, Rule::Positive);
    let land = match &s.land_per_firm_mu {
        Num::Number(x) => {
            FirmLand::Fixed(c.check_fixed(&p("land_per_firm_mu"), *x, Rule::Positive))
        }
        Num::Dist(d) => match c.uncertain(&p("land_per_firm_mu"), d) {
            Some(u) => {
                let (lo, hi) = positive_support(&u);
                if !Rule::Positive.holds(lo, hi) {
                    c.problem(p("land_per_firm_mu"), format!("expected a distribution whose values are all > 0, but it ranges over {}; truncate it with `lower`/`upper`", support_text(&u)));
                }
                FirmLand::PerFirm(u)
            }
            None => FirmLand::Fixed(1.0),
        },
    };
    let [free, half] = s.cit_holiday;
    Sector {
        name: s.name.clone(),
        weight: if weight_sum > 0.0 {
            weight / weight_sum
        } else {
            0.0
        },
        land_per_firm_mu: land,
        revenue_per_mu: c.num(&p("revenue_per_mu"), &s.revenue_per_mu, Rule::NonNegative),
        ramp_years: c.int(&p("ramp_years"), s.ramp_years, 0, MAX_RAMP_YEARS),
        growth: c.num(&p("growth"), &s.growth, Rule::Between(-1.0, 1.0)),
        volatility: c.num(&p("volatility"), &s.volatility, Rule::Between(0.0, 2.0)),
        macro_beta: c.num(&p("macro_beta"), &s.macro_beta, Rule::Between(-1.0, 1.0)),
        exit_hazard: c.num(&p("exit_hazard"), &s.exit_hazard, Rule::Share),
        value_added_ratio: c.num(&p("value_added_ratio"), &s.value_added_ratio, Rule::Share),
        profit_margin: c.num(
            &p("profit_margin"),
            &s.profit_margin,
            Rule::Between(-1.0, 1.0),
        ),
        fixed_cost_per_mu: c.num(
            &p("fixed_cost_per_mu"),
            &s.fixed_cost_per_mu,
            Rule::NonNegative,
        ),
        wage_share: c.num(&p("wage_share"), &s.wage_share, Rule::Share),
        building_value_per_mu: c.num(
            &p("building_value_per_mu"),
            &s.building_value_per_mu,
            Rule::NonNegative,
        ),
        vat_rate: c.num(&p("vat_rate"), &s.vat_rate, Rule::Share),
        cit_rate: c.num(&p("cit_rate"), &s.cit_rate, Rule::Share),
        cit_free_years: c.int(&p("cit_holiday[0]"), free, 0, MAX_CIT_HOLIDAY_YEARS),
        cit_half_years: c.int(&p("cit_holiday[1]"), half, 0, MAX_CIT_HOLIDAY_YEARS),
        loss_carry_years: c.int(
            &p("loss_carry_years"),
            s.loss_carry_years,
            0,
            MAX_LOSS_CARRY_YEARS,
        ),
    }
}

/// `[macro]`: persistence φ in [−1, 1] and volatility σ_m in [0, 2].
pub(super) fn macro_shock(c: &mut Checker, raw: &MacroFile) -> MacroShock {
    MacroShock {
        persistence: c.num(
            "macro.persistence",
            &raw.persistence,
            Rule::Between(-1.0, 1.0),
        ),
        volatility: c.num("macro.volatility", &raw.volatility, Rule::Between(0.0, 2.0)),
    }
}

/// Each sector's firms must fit in the park: the least land one of its firms
/// takes (its fixed land, or the low end of its distribution) at most the most
/// saleable land the park ever has (every phase and the land developed before
/// the start, at the largest saleable share). A sector none of whose firms can
/// ever settle is turned away on every path, and a park of such sectors only
/// has taxes of 0: a slip in units (mu for m², the park's area for a firm's).
pub(super) fn fit_the_park(c: &mut Checker, park: &Park, initial: &Initial, sectors: &[Sector]) {
    let share = match park.saleable_share {
        Value::Fixed(x) => x,
        Value::Drawn(i) => c.params.params()[i].dist.support().1,
    };
    let land: f64 = park.phases.iter().map(|p| p.area_mu).sum::<f64>() + initial.developed_mu;
    let saleable = land * share.min(1.0);
    if !(saleable.is_finite() && saleable > 0.0) {
        return;
    }
    for (i, s) in sectors.iter().enumerate() {
        let least = match &s.land_per_firm_mu {
            FirmLand::Fixed(x) => *x,
            FirmLand::PerFirm(d) => d.support().0,
        };
        if s.weight > 0.0 && least > saleable * (1.0 + 1e-12) {
            c.problem(
                format!("firms.sectors[{i}].land_per_firm_mu"),
                format!(
                    "expected firms that fit in the park: each takes at least {least} mu, more than the {saleable} mu of saleable land the park ever has ({land} mu × saleable share {}), so none could ever settle",
                    share.min(1.0)
                ),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{checker, params, problems, table};
    use super::*;

    /// A sector with its required fields, followed by `extra` lines.
    fn sector_toml(extra: &str) -> String {
        format!(
            "name = \"s\"\nweight = 1\nland_per_firm_mu = 10\nrevenue_per_mu = 1\n\
             value_added_ratio = 0.3\nprofit_margin = 0.1\nwage_share = 0.2\n{extra}"
        )
    }

    #[test]
    fn firms_report_a_missing_origin_and_no_sectors() {
        let mut c = checker();
        firms(
            &mut c,
            &table("arrival_rate = 5\naverage_wage = 0\nsectors = []"),
            &[0, 1],
            Value::Fixed(0.0),
        );
        assert_eq!(
            problems(&c),
            [
                "firms.origin: expected `origin`: there are several source regions, so name the one relocated firms come from",
                "firms.sectors: expected at least one sector",
                "firms.average_wage: expected a number > 0, found 0",
            ]
        );
    }

    #[test]
    fn firms_without_a_source_cannot_relocate() {
        let mut c = checker();
        let f = firms(
            &mut c,
            &table(&format!(
                "arrival_rate = 5\naverage_wage = 1\nrelocated_share = 0.5\n[[sectors]]\n{}",
                sector_toml("")
            )),
            &[],
            Value::Fixed(0.0),
        );
        assert_eq!(
            problems(&c),
            [
                "firms.relocated_share: expected 0: there is no source region for relocated firms to come from"
            ]
        );
        assert_eq!(f.origin, None);
    }

    #[test]
    fn firms_register_inputs_in_their_historical_order() {
        let mut c = checker();
        let normal = r#"{ dist = "uniform", min = 0.1, max = 0.2 }"#;
        let f = firms(
            &mut c,
            &table(&format!(
                "arrival_rate = {normal}\naverage_wage = {normal}\nrelocated_share = {normal}\n\
                 displacement = {normal}\n[[sectors]]\n{}",
                sector_toml(&format!("growth = {normal}"))
            )),
            &[0],
            Value::Fixed(0.0),
        );
        assert_eq!(problems(&c), [] as [String; 0]);
        assert_eq!(f.origin, Some(0));
        assert_eq!(
            params(&c),
            [
                "firms.relocated_share",
                "firms.sectors[0].growth",
                "firms.arrival_rate",
                "firms.displacement",
                "firms.average_wage",
            ]
        );
    }

    #[test]
    fn firms_report_an_outlook_beyond_one_and_a_negative_freed_land_value() {
        let mut c = checker();
        firms(
            &mut c,
            &table(&format!(
                "arrival_rate = 5\naverage_wage = 1\noutlook = 1.5\n\
                 freed_land_value_per_mu = -1\n[[sectors]]\n{}",
                sector_toml("")
            )),
            &[0],
            Value::Fixed(0.2),
        );
        assert_eq!(
            problems(&c),
            [
                "firms.freed_land_value_per_mu: expected a number ≥ 0, found -1",
                "firms.outlook: expected a share in [0, 1], found 1.5",
            ]
        );
    }

    #[test]
    fn freed_land_is_valued_at_the_land_price_unless_given() {
        let mut c = checker();
        let text = format!(
            "arrival_rate = 5\naverage_wage = 1\n[[sectors]]\n{}",
            sector_toml("")
        );
        let f = firms(&mut c, &table(&text), &[0], Value::Drawn(3));
        assert_eq!(problems(&c), [] as [String; 0]);
        assert_eq!(f.freed_land_value_per_mu, Value::Drawn(3));
        assert_eq!(f.outlook, Value::Fixed(1.0));
        let f = firms(
            &mut c,
            &table(&format!("freed_land_value_per_mu = 0.5\n{text}")),
            &[0],
            Value::Drawn(3),
        );
        assert_eq!(problems(&c), [] as [String; 0]);
        assert_eq!(f.freed_land_value_per_mu, Value::Fixed(0.5));
    }

    #[test]
    fn sector_reports_weights_land_and_year_limits() {
        let mut c = checker();
        let s: SectorFile = table(
            &sector_toml(&format!(
                "cit_holiday = [{}, -1]\nloss_carry_years = {}\nramp_years = {}",
                MAX_CIT_HOLIDAY_YEARS + 1,
                MAX_LOSS_CARRY_YEARS + 1,
                MAX_RAMP_YEARS + 1
            ))
            .replace("weight = 1", "weight = 0")
            .replace(
                "land_per_firm_mu = 10",
                r#"land_per_firm_mu = { dist = "uniform", min = 0, max = 10 }"#,
            ),
        );
        sector(&mut c, 2, &s, 0.0);
        assert_eq!(
            problems(&c),
            [
                "firms.sectors[2].weight: expected a number > 0, found 0".to_owned(),
                "firms.sectors[2].land_per_firm_mu: expected a distribution whose values are all > 0, but it ranges over [0, 10]; truncate it with `lower`/`upper`".to_owned(),
                format!("firms.sectors[2].ramp_years: expected a whole number in [0, {MAX_RAMP_YEARS}], found 51"),
                format!("firms.sectors[2].cit_holiday[0]: expected a whole number in [0, {MAX_CIT_HOLIDAY_YEARS}], found 51"),
                format!("firms.sectors[2].cit_holiday[1]: expected a whole number in [0, {MAX_CIT_HOLIDAY_YEARS}], found -1"),
                format!("firms.sectors[2].loss_carry_years: expected a whole number in [0, {MAX_LOSS_CARRY_YEARS}], found 11"),
            ]
        );
    }

    #[test]
    fn sector_accepts_land_drawn_per_firm_without_registering_it() {
        let mut c = checker();
        let s: SectorFile = table(
            &sector_toml(&format!("loss_carry_years = {MAX_LOSS_CARRY_YEARS}")).replace(
                "land_per_firm_mu = 10",
                r#"land_per_firm_mu = { dist = "uniform", min = 5, max = 10 }"#,
            ),
        );
        let out = sector(&mut c, 0, &s, 4.0);
        assert_eq!(problems(&c), [] as [String; 0]);
        assert_eq!(params(&c), [] as [&str; 0]);
        assert!(matches!(out.land_per_firm_mu, FirmLand::PerFirm(_)));
        assert_eq!(out.weight.to_bits(), 0.25f64.to_bits());
        assert_eq!(out.loss_carry_years, MAX_LOSS_CARRY_YEARS);
    }

    #[test]
    fn macro_shock_reports_rates_out_of_range() {
        let mut c = checker();
        macro_shock(&mut c, &table("persistence = 1.5\nvolatility = -0.1"));
        assert_eq!(
            problems(&c),
            [
                "macro.persistence: expected a number in [-1, 1], found 1.5",
                "macro.volatility: expected a number in [0, 2], found -0.1",
            ]
        );
    }

    #[test]
    fn macro_shock_accepts_a_drawn_persistence() {
        let mut c = checker();
        macro_shock(
            &mut c,
            &table(r#"persistence = { dist = "uniform", min = -1, max = 1 }"#),
        );
        assert_eq!(problems(&c), [] as [String; 0]);
        assert_eq!(params(&c), ["macro.persistence"]);
    }
}
