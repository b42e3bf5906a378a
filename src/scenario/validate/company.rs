//! `[[contributions]]`, `[costs]` and `[company]`: equity from contributions, who
//! pays which cost, and the park development company (MODEL.md §2, §3, §4).

use super::super::file::{
    CompanyFile, ContributionFile, ContributionKindFile, CostsFile, LandOnExitFile,
    LandRevenueFile, TerminalFile,
};
use super::super::limits::{MAX_CONTRIBUTIONS, MAX_LAND_TERM_YEARS, MAX_LOAN_YEARS};
use super::super::{
    Bearer, Capex, Company, Contribution, ContributionKind, Costs, LandOnExit, LandRevenue,
    Operations, Terminal,
};
use super::check::{Checker, Rule};

/// `[[contributions]]`: a known region, values, costs and effects ≥ 0, a year in
/// range.
pub(super) fn contributions(c: &mut Checker, raw: &[ContributionFile]) -> Vec<Contribution> {
    let mut contributions = Vec::new();
    let raw = c.at_most("contributions", raw, MAX_CONTRIBUTIONS, "contributions");
    for (i, k) in raw.iter().enumerate() {
        let f = format!("contributions[{i}]");
        let kind = match k.kind {
            ContributionKindFile::Cash => ContributionKind::Cash,
            ContributionKindFile::Land => ContributionKind::Land,
            ContributionKindFile::Technology => ContributionKind::Technology,
            ContributionKindFile::Brand => ContributionKind::Brand,
            ContributionKindFile::Management => ContributionKind::Management,
        };
        contributions.push(Contribution {
            region: c.region(&format!("{f}.region"), &k.region),
            kind,
            value: c.num(&format!("{f}.value"), &k.value, Rule::NonNegative),
            year: c.year(&format!("{f}.year"), k.year),
            opportunity_cost: c.num(
                &format!("{f}.opportunity_cost"),
                &k.opportunity_cost,
                Rule::NonNegative,
            ),
            attractiveness: c.num(
                &format!("{f}.effects.attractiveness"),
                &k.effects.attractiveness,
                Rule::NonNegative,
            ),
            cost: c.num(
                &format!("{f}.effects.cost"),
                &k.effects.cost,
                Rule::NonNegative,
            ),
            revenue: c.num(
                &format!("{f}.effects.revenue"),
                &k.effects.revenue,
                Rule::NonNegative,
            ),
        });
    }
    contributions
}

/// `[costs]`: amounts ≥ 0 and a valid bearer per category; land acquisition falls
/// on the `host` by default, the rest on the company.
pub(super) fn costs(c: &mut Checker, rc: &CostsFile, host: usize) -> Costs {
    Costs {
        land_acquisition: Capex {
            per_mu: c.num(
                "costs.land_acquisition.per_mu",
                &rc.land_acquisition.per_mu,
                Rule::NonNegative,
            ),
            bearer: c.bearer(
                "costs.land_acquisition",
                rc.land_acquisition.bearer.as_deref(),
                rc.land_acquisition.shares.as_ref(),
                Bearer::Region(host),
            ),
        },
        infrastructure: Capex {
            per_mu: c.num(
                "costs.infrastructure.per_mu",
                &rc.infrastructure.per_mu,
                Rule::NonNegative,
            ),
            bearer: c.bearer(
                "costs.infrastructure",
                rc.infrastructure.bearer.as_deref(),
                rc.infrastructure.shares.as_ref(),
                Bearer::Company,
            ),
        },
        operations: Operations {
            per_year: c.num(
                "costs.operations.per_year",
                &rc.operations.per_year,
                Rule::NonNegative,
            ),
            per_mu: c.num(
                "costs.operations.per_mu",
                &rc.operations.per_mu,
                Rule::NonNegative,
            ),
            bearer: c.bearer(
                "costs.operations",
                rc.operations.bearer.as_deref(),
                rc.operations.shares.as_ref(),
                Bearer::Company,
            ),
        },
    }
}

/// `[company]`: equity shares (fixed, or derived when there are contributions),
/// prices and rates in range, a loan of 1 to [`MAX_LOAN_YEARS`] years, and a
/// perpetuity whose discount rate exceeds its growth.
pub(super) fn company(c: &mut Checker, co: &CompanyFile, has_contributions: bool) -> Company {
    let equity = co.equity.as_ref().map(|m| c.shares("company.equity", m));
    if equity.is_none() && !has_contributions {
        c.problem(
            "company.equity",
            "expected fixed equity shares, or contributions to derive them from",
        );
    }
    let terminal = terminal(c, co);
    Company {
        equity,
        land_price_per_mu: c.num(
            "company.land_price_per_mu",
            &co.land_price_per_mu,
            Rule::NonNegative,
        ),
        land_revenue: match co.land_revenue {
            LandRevenueFile::Company => LandRevenue::Company,
            LandRevenueFile::Governments => LandRevenue::Governments,
        },
        service_fee_rate: c.num(
            "company.service_fee_rate",
            &co.service_fee_rate,
            Rule::Share,
        ),
        rent_per_mu: c.num("company.rent_per_mu", &co.rent_per_mu, Rule::NonNegative),
        debt_share: c.num("company.debt_share", &co.debt_share, Rule::Share),
        interest_rate: c.num(
            "company.interest_rate",
            &co.interest_rate,
            Rule::Between(0.0, 1.0),
        ),
        loan_years: c.int("company.loan_years", co.loan_years, 1, MAX_LOAN_YEARS),
        payout_ratio: c.num("company.payout_ratio", &co.payout_ratio, Rule::Share),
        terminal,
        land_term_years: c.int(
            "company.land_term_years",
            co.land_term_years,
            1,
            MAX_LAND_TERM_YEARS,
        ),
        land_on_exit: match co.land_on_exit {
            LandOnExitFile::Transfer => LandOnExit::Transfer,
            LandOnExitFile::Buyback => LandOnExit::Buyback,
        },
    }
}

/// A growing perpetuity's growth g in [−0.5, 0.5] and discount rate ρ in
/// [−0.5, 1], with ρ > g so that its value is finite; each given as (field, value),
/// `what` naming the growth in the message.
pub(super) fn perpetuity(
    c: &mut Checker,
    growth: (&str, f64),
    rate: (&str, f64),
    what: &str,
) -> (f64, f64) {
    let g = c.check_fixed(growth.0, growth.1, Rule::Between(-0.5, 0.5));
    let r = c.check_fixed(rate.0, rate.1, Rule::Between(-0.5, 1.0));
    if r <= g {
        c.problem(
            rate.0,
            format!("expected a discount rate above the {what} growth {g}, found {r}"),
        );
    }
    (g, r)
}

/// The company's terminal value; growth and rate are checked only for a perpetuity.
fn terminal(c: &mut Checker, co: &CompanyFile) -> Terminal {
    match co.terminal {
        TerminalFile::None => Terminal::None,
        TerminalFile::Book => Terminal::Book,
        TerminalFile::Perpetuity => {
            let (growth, rate) = perpetuity(
                c,
                ("company.terminal_growth", co.terminal_growth),
                ("company.terminal_discount_rate", co.terminal_discount_rate),
                "terminal",
            );
            Terminal::Perpetuity {
                growth,
                discount_rate: rate,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{checker, params, problems, table};
    use super::*;

    /// The `[[contributions]]` array of a TOML text.
    fn contribution_list(toml: &str) -> Vec<ContributionFile> {
        #[derive(serde::Deserialize)]
        struct List {
            contributions: Vec<ContributionFile>,
        }
        table::<List>(toml).contributions
    }

    #[test]
    fn contributions_report_unknown_regions_and_values_that_can_go_negative() {
        let mut c = checker();
        contributions(
            &mut c,
            &contribution_list(
                r#"contributions = [
                    { region = "atlantis", kind = "cash", value = -1, year = 2017 },
                    { region = "jilin", kind = "land", year = 2018,
                      value = { dist = "normal", mean = 100, sd = 10 },
                      effects = { cost = -0.5 } },
                ]"#,
            ),
        );
        assert_eq!(
            problems(&c),
            [
                "contributions[0].region: expected a region id (one of zhejiang, jilin), found `atlantis`",
                "contributions[0].value: expected a number ≥ 0, found -1",
                "contributions[0].year: expected a calendar year ≥ the start year 2018, found 2017",
                "contributions[1].value: expected a distribution whose values are all a number ≥ 0, but it ranges over (-inf, inf); truncate it with `lower`/`upper`",
                "contributions[1].effects.cost: expected a number ≥ 0, found -0.5",
            ]
        );
    }

    #[test]
    fn contributions_accept_a_truncated_value_and_register_it() {
        let mut c = checker();
        let k = contributions(
            &mut c,
            &contribution_list(
                r#"contributions = [
                    { region = "jilin", kind = "technology", year = 2020,
                      value = { dist = "normal", mean = 100, sd = 10, lower = 0 } },
                ]"#,
            ),
        );
        assert_eq!(problems(&c), [] as [String; 0]);
        assert_eq!(params(&c), ["contributions[0].value"]);
        assert_eq!(
            (k[0].region, k[0].kind, k[0].year),
            (1, ContributionKind::Technology, 2)
        );
    }

    #[test]
    fn costs_report_bad_bearers_and_shares() {
        let mut c = checker();
        costs(
            &mut c,
            &table(
                r#"land_acquisition = { per_mu = -1, bearer = "nobody" }
                   infrastructure = { bearer = "shares" }
                   operations = { bearer = "company", shares = { zhejiang = 0.5, jilin = 0.4 } }"#,
            ),
            1,
        );
        assert_eq!(
            problems(&c),
            [
                "costs.land_acquisition.per_mu: expected a number ≥ 0, found -1",
                "costs.land_acquisition.bearer: expected `company`, `equity`, `shares`, or a region id (one of zhejiang, jilin), found `nobody`",
                "costs.infrastructure.shares: expected a table of shares per region: `bearer = \"shares\"` needs `shares`",
                "costs.operations.shares: `shares` applies only with `bearer = \"shares\"`",
            ]
        );
    }

    #[test]
    fn costs_default_to_the_host_and_the_company() {
        let mut c = checker();
        let k = costs(
            &mut c,
            &table(
                r#"operations = { bearer = "shares", shares = { zhejiang = 0.25, jilin = 0.75 } }"#,
            ),
            1,
        );
        assert_eq!(problems(&c), [] as [String; 0]);
        assert_eq!(k.land_acquisition.bearer, Bearer::Region(1));
        assert_eq!(k.infrastructure.bearer, Bearer::Company);
        assert_eq!(k.operations.bearer, Bearer::Shares(vec![0.25, 0.75]));
    }

    #[test]
    fn company_reports_missing_equity_a_short_loan_and_a_bad_perpetuity() {
        let mut c = checker();
        company(
            &mut c,
            &table(
                r#"loan_years = 0
                   debt_share = 1.5
                   terminal = "perpetuity"
                   terminal_growth = 0.1
                   terminal_discount_rate = 0.05"#,
            ),
            false,
        );
        assert_eq!(
            problems(&c),
            [
                "company.equity: expected fixed equity shares, or contributions to derive them from".to_owned(),
                "company.terminal_discount_rate: expected a discount rate above the terminal growth 0.1, found 0.05".to_owned(),
                "company.debt_share: expected a share in [0, 1], found 1.5".to_owned(),
                format!("company.loan_years: expected a whole number in [1, {MAX_LOAN_YEARS}], found 0"),
            ]
        );
    }

    #[test]
    fn company_reports_equity_shares_that_do_not_sum_to_one() {
        let mut c = checker();
        company(
            &mut c,
            &table("equity = { zhejiang = 0.6, jilin = 0.6 }"),
            true,
        );
        assert_eq!(
            problems(&c),
            ["company.equity: expected shares summing to 1, found a sum of 1.2"]
        );
    }

    #[test]
    fn company_accepts_the_longest_loan_and_a_perpetuity() {
        let mut c = checker();
        let co = company(
            &mut c,
            &table(&format!(
                "loan_years = {MAX_LOAN_YEARS}\nterminal = \"perpetuity\"\nterminal_growth = 0.02"
            )),
            true,
        );
        assert_eq!(problems(&c), [] as [String; 0]);
        assert_eq!(co.loan_years, MAX_LOAN_YEARS);
        assert_eq!(
            co.terminal,
            Terminal::Perpetuity {
                growth: 0.02,
                discount_rate: 0.08
            }
        );
    }

    #[test]
    fn company_land_rights_default_to_a_50_year_transfer() {
        let mut c = checker();
        let co = company(&mut c, &table(""), true);
        assert_eq!(problems(&c), [] as [String; 0]);
        assert_eq!(
            (co.land_term_years, co.land_on_exit),
            (50, LandOnExit::Transfer)
        );
        let co = company(
            &mut c,
            &table(&format!(
                "land_term_years = {MAX_LAND_TERM_YEARS}\nland_on_exit = \"buyback\""
            )),
            true,
        );
        assert_eq!(problems(&c), [] as [String; 0]);
        assert_eq!(
            (co.land_term_years, co.land_on_exit),
            (MAX_LAND_TERM_YEARS, LandOnExit::Buyback)
        );
    }

    #[test]
    fn company_reports_a_land_term_out_of_range() {
        for term in [0, i64::from(MAX_LAND_TERM_YEARS) + 1] {
            let mut c = checker();
            company(&mut c, &table(&format!("land_term_years = {term}")), true);
            assert_eq!(
                problems(&c),
                [format!(
                    "company.land_term_years: expected a whole number in [1, {MAX_LAND_TERM_YEARS}], found {term}"
                )]
            );
        }
    }
}
