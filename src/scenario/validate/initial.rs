//! `[initial]`: an existing park's state at the start year (docs/model.md §12).

use super::super::file::InitialFile;
use super::super::limits::{MAX_INITIAL_AGE, MAX_INITIAL_FIRMS, MAX_LOAN_YEARS};
use super::super::{FirmLand, Initial, InitialFirms, Park, Sector};
use super::check::{Checker, Rule};
use crate::sampling::Value;

/// `x` mu to one decimal, for messages.
fn round_mu(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// `[initial]`: amounts finite and ≥ 0, developed land within the park beside its
/// phases, land sold within the land developed, sectors that exist, counts and ages
/// within their limits. `loan_years` is the default of `debt_years`.
pub(super) fn initial(
    c: &mut Checker,
    raw: &InitialFile,
    park: &Park,
    sectors: &[Sector],
    loan_years: u32,
) -> Initial {
    let developed_mu = c.check_fixed("initial.developed_mu", raw.developed_mu, Rule::NonNegative);
    let phases: f64 = park.phases.iter().map(|p| p.area_mu).sum();
    // Without land developed before, the phases alone are checked by `[park]`.
    if developed_mu > 0.0 && developed_mu + phases > park.area_mu * (1.0 + 1e-12) {
        c.problem(
            "initial.developed_mu",
            format!(
                "expected the land developed before the start year and the phases to add up to at most the park's {} mu, found {developed_mu} + {phases}",
                park.area_mu
            ),
        );
    }
    let land_sold_mu = c.check_fixed("initial.land_sold_mu", raw.land_sold_mu, Rule::NonNegative);
    if land_sold_mu > developed_mu {
        c.problem(
            "initial.land_sold_mu",
            format!(
                "expected at most the land developed before the start year (initial.developed_mu = {developed_mu} mu), found {land_sold_mu}"
            ),
        );
    }
    let debt = c.check_fixed("initial.debt", raw.debt, Rule::NonNegative);
    let debt_years = match raw.debt_years {
        Some(y) => c.int("initial.debt_years", y, 1, MAX_LOAN_YEARS),
        None => loan_years,
    };
    let cash = c.check_fixed("initial.cash", raw.cash, Rule::NonNegative);
    let contributions = if raw.contributions.is_empty() {
        Vec::new()
    } else {
        let mut v = vec![0.0; c.region_ids.len()];
        for (id, x) in &raw.contributions {
            let f = format!("initial.contributions.{id}");
            let r = c.region(&f, id);
            let x = c.check_fixed(&f, *x, Rule::NonNegative);
            if let Some(slot) = v.get_mut(r) {
                *slot = x;
            }
        }
        v
    };
    let mut firms = Vec::new();
    let mut total: u64 = 0;
    let mut listed_land = 0.0;
    // The mean land of the firms whose land is drawn, firm by firm.
    let mut drawn_land = 0.0;
    for (i, g) in raw.firms.iter().enumerate() {
        let f = format!("initial.firms[{i}]");
        let sector = sectors.iter().position(|s| s.name == g.sector);
        if sector.is_none() {
            let names: Vec<&str> = sectors.iter().map(|s| s.name.as_str()).collect();
            c.problem(
                format!("{f}.sector"),
                format!(
                    "expected the name of a sector in [[firms.sectors]] ({}), found {:?}",
                    names.join(", "),
                    g.sector
                ),
            );
        }
        let count = c.int(&format!("{f}.count"), g.count, 0, MAX_INITIAL_FIRMS);
        total += u64::from(count);
        let age = c.int(&format!("{f}.age"), g.age, 0, MAX_INITIAL_AGE);
        let land = g
            .land_per_firm_mu
            .map(|x| c.check_fixed(&format!("{f}.land_per_firm_mu"), x, Rule::Positive));
        if let Some(k) = sector {
            let per_firm = match (land, &sectors[k].land_per_firm_mu) {
                (Some(x), _) => Some(x),
                (None, FirmLand::Fixed(x)) => Some(*x),
                (None, FirmLand::PerFirm(_)) => None,
            };
            match (per_firm, &sectors[k].land_per_firm_mu) {
                (Some(x), _) => listed_land += x * f64::from(count),
                (None, FirmLand::PerFirm(dist)) => {
                    drawn_land += dist.rough_mean() * f64::from(count);
                }
                (None, FirmLand::Fixed(_)) => {}
            }
            firms.push(InitialFirms {
                sector: k,
                count,
                age,
                land_per_firm_mu: land,
                relocated: g.relocated,
            });
        }
    }
    if total > u64::from(MAX_INITIAL_FIRMS) {
        c.problem(
            "initial.firms",
            format!("expected at most {MAX_INITIAL_FIRMS} firms in all, found {total}"),
        );
    }
    // The firms stand on saleable land: developed_mu × saleable_share, taken at its
    // largest (1) when the share is uncertain. Drawn land counts at its mean: on a
    // path where it does not fit, no land is free (docs/scenario.md), but firms
    // expected to hold more land than there is are a scenario that cannot be.
    let saleable_share = match park.saleable_share {
        Value::Fixed(x) => x,
        Value::Drawn(_) => 1.0,
    };
    let saleable = developed_mu * saleable_share;
    let held = listed_land + drawn_land;
    if !raw.firms.is_empty() && held > saleable * (1.0 + 1e-12) {
        let found = match (listed_land > 0.0, drawn_land > 0.0) {
            (true, false) => format!("{listed_land} mu of fixed land"),
            (false, _) => format!("{} mu of drawn land on average", round_mu(drawn_land)),
            (true, true) => format!(
                "{listed_land} mu of fixed land and {} mu of drawn land on average",
                round_mu(drawn_land)
            ),
        };
        let of = if saleable_share >= 1.0 {
            format!("initial.developed_mu = {developed_mu} mu")
        } else {
            format!(
                "initial.developed_mu × park.saleable_share = {developed_mu} × {saleable_share} = {} mu",
                round_mu(saleable)
            )
        };
        c.problem(
            "initial.firms",
            format!(
                "expected firms holding at most the saleable land developed before the start year ({of}), found {found}"
            ),
        );
    }
    Initial {
        developed_mu,
        land_sold_mu,
        debt,
        debt_years,
        cash,
        contributions,
        firms,
    }
}
