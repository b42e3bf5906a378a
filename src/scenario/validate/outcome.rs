//! `[outcome]`: how the regions' outcomes are valued (MODEL.md §8).

use super::super::file::{ContinuationFile, OutcomeFile};
use super::super::{Continuation, Outcome};
use super::check::{Checker, Rule};

/// `[outcome]`; the continuation's growth and rate are checked only for a
/// perpetuity, which needs ρ > g to be finite.
pub(super) fn outcome(c: &mut Checker, o: &OutcomeFile) -> Outcome {
    let continuation = match o.continuation {
        ContinuationFile::None => Continuation::None,
        ContinuationFile::Perpetuity => {
            let growth = c.check_fixed(
                "outcome.continuation_growth",
                o.continuation_growth,
                Rule::Between(-0.5, 0.5),
            );
            let rate = c.check_fixed(
                "outcome.continuation_discount_rate",
                o.continuation_discount_rate,
                Rule::Between(-0.5, 1.0),
            );
            if rate <= growth {
                c.problem(
                    "outcome.continuation_discount_rate",
                    format!(
                        "expected a discount rate above the continuation growth {growth}, found {rate}"
                    ),
                );
            }
            Continuation::Perpetuity {
                growth,
                discount_rate: rate,
            }
        }
    };
    Outcome { continuation }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{checker, problems, table};
    use super::*;

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
}
