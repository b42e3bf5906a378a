//! `[outcome]`: how the regions' outcomes are valued (MODEL.md §8).

use super::super::file::{ContinuationFile, Num, OutcomeFile, PriceBasisFile, PricesFile};
use super::super::limits::MAX_CONTINUATION_SETTLE_YEAR;
use super::super::{Alternative, Continuation, ContributionMeasure, Outcome, Prices};
use super::check::{Checker, Rule};

/// `[outcome]`; the continuation's growth and rate are checked only for a
/// perpetuity, which needs ρ > g to be finite.
pub(super) fn outcome(c: &mut Checker, o: &OutcomeFile) -> Outcome {
    let continuation = match o.continuation {
        ContinuationFile::None => Continuation::None,
        ContinuationFile::Perpetuity => {
            let (growth, rate) = super::company::perpetuity(
                c,
                ("outcome.continuation_growth", o.continuation_growth),
                (
                    "outcome.continuation_discount_rate",
                    o.continuation_discount_rate,
                ),
                "continuation",
            );
            Continuation::Perpetuity {
                growth,
                discount_rate: rate,
            }
        }
    };
    Outcome {
        continuation,
        contribution: contribution(c, o),
    }
}

/// With a continuation, every alternative's `tax` formula must settle by
/// [`MAX_CONTINUATION_SETTLE_YEAR`]: the years before it are valued one by one.
///
/// A guarantee that never ends pays its return forever, whatever the pool: its
/// value is finite only at a continuation discount rate above 0.
pub(super) fn continuation_settles(c: &mut Checker, o: &Outcome, alternatives: &[Alternative]) {
    let Continuation::Perpetuity { discount_rate, .. } = o.continuation else {
        return;
    };
    for (i, alt) in alternatives.iter().enumerate() {
        if discount_rate <= 0.0 && alt.tax.guarantees_forever() {
            c.problem(
                "outcome.continuation_discount_rate",
                format!(
                    "expected a rate above 0 with `continuation = \"perpetuity\"`: \
                     sharing[{i}].tax guarantees a return that never ends (no `last_year`), \
                     which paid forever has no finite value at {discount_rate}; set a rate above \
                     0 or end the guarantee"
                ),
            );
        }
        let settles = alt.tax.settles_at();
        if settles > MAX_CONTINUATION_SETTLE_YEAR {
            c.problem(
                format!("sharing[{i}].tax"),
                format!(
                    "expected a formula that stays the same from year {MAX_CONTINUATION_SETTLE_YEAR} \
                     of cooperation at the latest, as `[outcome] continuation` values each year \
                     before that one by one; this one changes until year {settles} (end a \
                     guarantee's term or a schedule's periods earlier)"
                ),
            );
        }
    }
}

/// Most yearly inflation a scenario may set, and the least (deflation).
const INFLATION_RANGE: (f64, f64) = (-0.5, 1.0);

/// `[prices]`: inflation in [−0.5, 1] (a distribution's support too), and only with
/// `basis = "nominal"`: constant prices have no inflation to apply.
pub(super) fn prices(c: &mut Checker, p: &PricesFile) -> Prices {
    let (lo, hi) = INFLATION_RANGE;
    match (p.basis, &p.inflation) {
        (PriceBasisFile::Real, None) => Prices::Real,
        (PriceBasisFile::Real, Some(_)) => {
            c.problem(
                "prices.inflation",
                "expected no inflation with `basis = \"real\"` (money in constant prices of the \
                 start year is not inflated); set `basis = \"nominal\"` to inflate it",
            );
            Prices::Real
        }
        (PriceBasisFile::Nominal, inflation) => {
            let none = Num::Number(0.0);
            Prices::Nominal {
                inflation: c.num(
                    "prices.inflation",
                    inflation.as_ref().unwrap_or(&none),
                    Rule::Between(lo, hi),
                ),
            }
        }
    }
}

/// With a continuation, no alternative may have a renegotiation year: the years
/// after the horizon are valued at the share the collector pays on average, which
/// a renegotiation (a year drawn per path, possibly after the horizon) would end.
pub(super) fn delivery_after_horizon(c: &mut Checker, o: &Outcome, alternatives: &[Alternative]) {
    if o.continuation == Continuation::None {
        return;
    }
    for (i, alt) in alternatives.iter().enumerate() {
        if alt
            .delivery
            .as_ref()
            .is_some_and(|d| d.renegotiation_year.is_some())
        {
            c.problem(
                format!("sharing[{i}].delivery.renegotiation_year"),
                "expected no renegotiation year with `[outcome] continuation = \"perpetuity\"` \
                 (the years after the horizon are valued at the share the collector pays on \
                 average, which a renegotiation would end); remove one of them",
            );
        }
    }
}

/// The names `contribution_counts` may list.
const COUNTS: [&str; 5] = [
    "cash",
    "in_kind",
    "costs",
    "capital_calls",
    "opportunity_costs",
];

/// What C_r counts: known names, at least one, and a rate in [0, 1].
fn contribution(c: &mut Checker, o: &OutcomeFile) -> ContributionMeasure {
    let mut m = ContributionMeasure {
        cash: false,
        in_kind: false,
        costs: false,
        capital_calls: false,
        opportunity_costs: false,
        rate: c.check_fixed(
            "outcome.contribution_rate",
            o.contribution_rate,
            Rule::Between(0.0, 1.0),
        ),
    };
    if o.contribution_counts.is_empty() {
        c.problem(
            "outcome.contribution_counts",
            format!("expected at least one of {}", COUNTS.join(", ")),
        );
    }
    for (i, name) in o.contribution_counts.iter().enumerate() {
        let slot = match name.as_str() {
            "cash" => &mut m.cash,
            "in_kind" => &mut m.in_kind,
            "costs" => &mut m.costs,
            "capital_calls" => &mut m.capital_calls,
            "opportunity_costs" => &mut m.opportunity_costs,
            _ => {
                c.problem(
                    format!("outcome.contribution_counts[{i}]"),
                    format!("expected one of {}, found `{name}`", COUNTS.join(", ")),
                );
                continue;
            }
        };
        *slot = true;
    }
    m
}

#[cfg(test)]
mod tests {
    use super::super::testing::{checker, params, problems, table};
    use super::*;
    use crate::sampling::Value;

    #[test]
    fn contribution_measure_defaults_and_names() {
        let mut c = checker();
        assert_eq!(
            outcome(&mut c, &OutcomeFile::default()).contribution,
            ContributionMeasure::default()
        );
        let m = outcome(
            &mut c,
            &table(
                r#"contribution_counts = ["cash", "capital_calls"]
contribution_rate = 0"#,
            ),
        )
        .contribution;
        assert_eq!(
            m,
            ContributionMeasure {
                cash: true,
                in_kind: false,
                costs: false,
                capital_calls: true,
                opportunity_costs: false,
                rate: 0.0,
            }
        );
        assert_eq!(problems(&c), [] as [String; 0]);
        outcome(
            &mut c,
            &table(
                r#"contribution_counts = ["cash", "land"]
contribution_rate = 1.5"#,
            ),
        );
        outcome(&mut c, &table("contribution_counts = []"));
        assert_eq!(
            problems(&c),
            [
                "outcome.contribution_rate: expected a number in [0, 1], found 1.5",
                "outcome.contribution_counts[1]: expected one of cash, in_kind, costs, capital_calls, opportunity_costs, found `land`",
                "outcome.contribution_counts: expected at least one of cash, in_kind, costs, capital_calls, opportunity_costs",
            ]
        );
    }

    #[test]
    fn continuation_defaults_to_none_and_a_perpetuity_needs_rate_above_growth() {
        let mut c = checker();
        assert_eq!(
            outcome(&mut c, &OutcomeFile::default()).continuation,
            Continuation::None
        );
        let ok = outcome(
            &mut c,
            &table(
                r#"continuation = "perpetuity"
continuation_growth = 0.02
continuation_discount_rate = 0.06"#,
            ),
        );
        assert_eq!(
            ok.continuation,
            Continuation::Perpetuity {
                growth: 0.02,
                discount_rate: 0.06
            }
        );
        assert_eq!(problems(&c), [] as [String; 0]);
        // The default rate is 0.08.
        let default_rate = outcome(&mut c, &table(r#"continuation = "perpetuity""#));
        assert_eq!(
            default_rate.continuation,
            Continuation::Perpetuity {
                growth: 0.0,
                discount_rate: 0.08
            }
        );
        outcome(
            &mut c,
            &table(
                r#"continuation = "perpetuity"
continuation_growth = 0.05
continuation_discount_rate = 0.05"#,
            ),
        );
        outcome(
            &mut c,
            &table(
                r#"continuation = "perpetuity"
continuation_growth = 0.7"#,
            ),
        );
        // Growth and rate are not looked at without a perpetuity.
        outcome(&mut c, &table("continuation_growth = 9.0"));
        assert_eq!(
            problems(&c),
            [
                "outcome.continuation_discount_rate: expected a discount rate above the continuation growth 0.05, found 0.05",
                "outcome.continuation_growth: expected a number in [-0.5, 0.5], found 0.7",
                "outcome.continuation_discount_rate: expected a discount rate above the continuation growth 0.7, found 0.08",
            ]
        );
    }

    #[test]
    fn prices_are_real_by_default_and_inflation_needs_nominal() {
        let mut c = checker();
        assert_eq!(prices(&mut c, &PricesFile::default()), Prices::Real);
        assert_eq!(
            prices(&mut c, &table("basis = \"nominal\"\ninflation = 0.02")),
            Prices::Nominal {
                inflation: Value::Fixed(0.02)
            }
        );
        assert_eq!(
            prices(&mut c, &table("basis = \"nominal\"")),
            Prices::Nominal {
                inflation: Value::Fixed(0.0)
            }
        );
        assert_eq!(problems(&c), [] as [String; 0]);
        // A distribution registers an uncertain input named by its field path.
        prices(
            &mut c,
            &table(
                "basis = \"nominal\"\ninflation = { dist = \"uniform\", min = 0.0, max = 0.04 }",
            ),
        );
        assert_eq!(params(&c), ["prices.inflation"]);
        prices(&mut c, &table("inflation = 0.02"));
        prices(&mut c, &table("basis = \"nominal\"\ninflation = 1.5"));
        assert_eq!(
            problems(&c),
            [
                "prices.inflation: expected no inflation with `basis = \"real\"` (money in constant prices of the start year is not inflated); set `basis = \"nominal\"` to inflate it",
                "prices.inflation: expected a number in [-0.5, 1], found 1.5",
            ]
        );
    }
}
