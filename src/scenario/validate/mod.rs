//! Second stage of input: checks a [`ScenarioFile`] and builds the typed [`Scenario`]
//! (the first stage, text to `ScenarioFile`, is in `read`).
//!
//! A [`Checker`] walks the file, records every problem with its field path and
//! keeps going, so a user sees all of them at once. Uncertain inputs are checked
//! by their distribution's support (a rate drawn from an untruncated normal could
//! leave [0, 1], so it is rejected with advice to truncate) and registered in the
//! scenario's [`ParamSet`](crate::sampling::ParamSet).
//!
//! One function per scenario table, in one file per MODEL.md section:
//! `actors` (`[scenario]`, `[simulation]`, `[[regions]]`, `[park]`), `company`
//! (`[[contributions]]`, `[costs]`, `[company]`), `firms` (`[firms]`, `[macro]`),
//! `taxes`, `formulas` (`[[sharing]]`) and `outcome` (`[outcome]`); the checks they
//! share are in `check`.
//! [`validate_at`] runs them in file order: the order in which uncertain inputs are
//! registered is part of the results (their field paths key their random streams).

mod actors;
mod changes;
mod check;
mod company;
mod correlation;
mod firms;
mod formulas;
mod initial;
mod outcome;
mod pool;
mod taxes;

use super::file::ScenarioFile;
use super::limits::MAX_ARRIVALS_PER_YEAR;
use super::read::NotWhole;
use super::{Problem, Scenario};
use check::Checker;

/// Second stage: every check, all problems together; the data files of
/// `empirical` inputs are read relative to `dir` (refused when `None`).
/// `not_whole` are the fields the first stage read as the whole part of a number
/// that is not whole: each is reported, with its range where one is checked.
pub fn validate_at(
    raw: ScenarioFile,
    not_whole: Vec<NotWhole>,
    dir: Option<&std::path::Path>,
) -> Result<Scenario, Vec<Problem>> {
    let meta = &raw.scenario;
    // Out of range (a problem below), the start year still dates the rest.
    let start_year = i32::try_from(meta.start_year).unwrap_or(if meta.start_year < 0 {
        i32::MIN
    } else {
        i32::MAX
    });
    let mut c = Checker::new(start_year);
    c.not_whole = not_whole;
    c.data_dir = dir.map(std::path::Path::to_path_buf);
    let (money_unit, yuan_per_unit) = actors::meta(&mut c, meta);
    let simulation = actors::simulation(&mut c, &raw.simulation);
    let actors::Regions {
        regions,
        host,
        sources,
    } = actors::regions(&mut c, &raw.regions);
    let park = actors::park(&mut c, &raw.park);
    let contributions = company::contributions(&mut c, &raw.contributions);
    let costs = company::costs(&mut c, &raw.costs, host);
    let company = company::company(&mut c, &raw.company, !raw.contributions.is_empty());
    let firms = firms::firms(&mut c, &raw.firms, &sources, company.land_price_per_mu);
    let macro_shock = firms::macro_shock(&mut c, &raw.macro_shock);
    let taxes = taxes::taxes(&mut c, &raw.taxes);
    let alternatives = formulas::alternatives(&mut c, &raw.sharing, host, firms.origin);
    let outcome = outcome::outcome(&mut c, &raw.outcome);
    outcome::continuation_settles(&mut c, &outcome, &alternatives);
    outcome::delivery_after_horizon(&mut c, &outcome, &alternatives);
    let initial = initial::initial(
        &mut c,
        &raw.initial,
        &park,
        &firms.sectors,
        company.loan_years,
    );
    firms::fit_the_park(&mut c, &park, &initial, &firms.sectors);
    let prices = outcome::prices(&mut c, &raw.prices);
    // Last, so that the base tables' inputs keep their registration order.
    let changes = changes::changes(
        &mut c,
        &raw.changes,
        &changes::Base {
            taxes: &taxes,
            sectors: &firms.sectors,
            costs: &costs,
        },
    );
    // After every input is registered: it names them.
    correlation::correlation(&mut c, raw.correlation.as_ref(), &firms.sectors);
    c.report_not_whole();

    if !c.problems.is_empty() {
        return Err(c.problems);
    }
    let scenario = Scenario {
        id: meta.id.clone(),
        name: meta.name.clone(),
        description: meta.description.clone(),
        start_year,
        money_unit,
        yuan_per_unit,
        lang: meta.lang.unwrap_or_default(),
        simulation,
        regions,
        host,
        park,
        contributions,
        costs,
        company,
        firms,
        macro_shock,
        taxes,
        alternatives,
        params: c.params,
        sha256: String::new(),
        source: String::new(),
        outcome,
        prices,
        changes,
        initial,
        data: c.data,
        data_dir: None,
    };
    if let Some(p) = arrivals_problem(&scenario, scenario.simulation.horizon) {
        return Err(vec![p]);
    }
    Ok(scenario)
}

/// The problem of a scenario whose yearly arrivals can exceed
/// [`MAX_ARRIVALS_PER_YEAR`] over `horizon` years: each prospective firm is drawn
/// one by one, so such a rate never finishes. Put at `macro.volatility` when the
/// macro shock is what takes it over the limit (the rest would be within it under
/// the default shock), else at `firms.arrival_rate`, the line a planner wrote:
/// the default shock has none, and blaming it alone hid the rate.
pub fn arrivals_problem(scn: &Scenario, horizon: u32) -> Option<Problem> {
    use super::bounds::{ArrivalBound, macro_sd};
    use super::file::{DEFAULT_MACRO_PERSISTENCE, DEFAULT_MACRO_VOLATILITY};
    let bound = scn.arrival_bound(horizon);
    if bound.within_limit() {
        return None;
    }
    let ordinary = ArrivalBound {
        macro_sd: macro_sd(DEFAULT_MACRO_PERSISTENCE, DEFAULT_MACRO_VOLATILITY, horizon),
        ..bound
    };
    let (field, advice) = if bound.base_rate() > MAX_ARRIVALS_PER_YEAR {
        (
            "firms.arrival_rate",
            "lower firms.arrival_rate or the attractiveness effects".to_owned(),
        )
    } else if ordinary.within_limit() {
        (
            "macro.volatility",
            format!(
                "a macro shock this persistent and volatile over {horizon} years makes the arrival rate explode; lower macro.persistence or macro.volatility"
            ),
        )
    } else {
        (
            "firms.arrival_rate",
            format!(
                "lower firms.arrival_rate or the attractiveness effects, or the macro shock's macro.persistence or macro.volatility (without a [macro] table, {DEFAULT_MACRO_PERSISTENCE} and {DEFAULT_MACRO_VOLATILITY}), whose multiplier grows over the {horizon} years"
            ),
        )
    };
    Some(Problem {
        line: super::locate::Locator::new(&scn.source).line_of(field),
        field: field.to_owned(),
        message: format!(
            "expected at most {MAX_ARRIVALS_PER_YEAR:.0} prospective firms a year (each is simulated one by one), found up to {:.3e} ({}); {advice}",
            bound.tail_rate(),
            bound.describe()
        ),
    })
}

/// What the section tests share: a checker over two regions and the problems it
/// recorded, as `FIELD: MESSAGE` lines.
#[cfg(test)]
mod testing {
    use serde::de::DeserializeOwned;

    use super::check::Checker;

    /// The start year the section tests use.
    pub const START: i32 = 2018;

    /// A checker whose regions are `zhejiang` (0) and `jilin` (1).
    pub fn checker() -> Checker {
        let mut c = Checker::new(START);
        c.region_ids = vec!["zhejiang".to_owned(), "jilin".to_owned()];
        c
    }

    /// A table of the scenario file, read from TOML.
    pub fn table<T: DeserializeOwned>(toml: &str) -> T {
        toml::from_str(toml).expect("test TOML is valid")
    }

    /// The problems recorded, as `FIELD: MESSAGE`.
    pub fn problems(c: &Checker) -> Vec<String> {
        c.problems
            .iter()
            .map(|p| format!("{}: {}", p.field, p.message))
            .collect()
    }

    /// The names of the registered uncertain inputs, in order.
    pub fn params(c: &Checker) -> Vec<&str> {
        c.params.params().iter().map(|p| p.name.as_str()).collect()
    }
}

#[cfg(test)]
mod tests {
    use crate::scenario::Scenario;

    /// The reference scenario's uncertain inputs, in registration order: these
    /// names key their random streams, so a rename or reordering changes results.
    #[test]
    fn reference_registers_inputs_by_field_path_in_file_order() {
        let s = Scenario::reference().expect("the reference scenario loads");
        let names: Vec<&str> = s.params.params().iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, REFERENCE_INPUTS);
    }

    const REFERENCE_INPUTS: &[&str] = &[
        "park.saleable_share",
        "contributions[1].value",
        "contributions[3].value",
        "costs.land_acquisition.per_mu",
        "costs.infrastructure.per_mu",
        "company.land_price_per_mu",
        "firms.sectors[1].revenue_per_mu",
        "firms.sectors[2].revenue_per_mu",
        "firms.arrival_rate",
        "firms.displacement",
        "firms.outlook",
    ];
}
