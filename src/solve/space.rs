//! The free parameters of a formula's outermost kind, and the precision they are
//! written with.

use super::SolveError;
use crate::sharing::Formula;

/// The free parameters of a formula: a point of the space is a `Vec<f64>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Space {
    /// `fixed`: the n shares (a point holds all n, summing to 1).
    Shares {
        /// Regions.
        n: usize,
    },
    /// `guaranteed_return`: the rate, in [0, 1].
    Rate,
    /// `incremental`: the base, ≥ 0.
    Base,
    /// `schedule`: the year of cooperation in which the last period starts, in
    /// `lo..=hi` (after the previous period's first year, within the horizon or
    /// up to where it starts now, if later).
    Switch {
        /// Earliest.
        lo: u32,
        /// Latest.
        hi: u32,
    },
    /// `tiered`: the m thresholds, increasing and > 0.
    Bounds {
        /// Thresholds (tranches − 1).
        m: usize,
    },
}

impl Space {
    /// The free parameters of `formula` over a run of `horizon` years.
    ///
    /// # Errors
    /// [`SolveError::NoFreeParameter`] for `equity`, `contribution`, a schedule
    /// of one period (or whose last period cannot move within the horizon), a
    /// tiered formula of one tranche and a `fixed` formula of one region.
    pub fn of(alternative: &str, formula: &Formula, horizon: u32) -> Result<Space, SolveError> {
        let none = |why: &str| SolveError::NoFreeParameter {
            alternative: alternative.to_owned(),
            why: why.to_owned(),
        };
        match formula {
            Formula::Fixed { shares } if shares.len() >= 2 => Ok(Space::Shares { n: shares.len() }),
            Formula::Fixed { .. } => Err(none("has a single region's share")),
            Formula::Equity => Err(none("is `equity`, which has no parameter")),
            Formula::Contribution => Err(none("is `contribution`, which has no parameter")),
            Formula::GuaranteedReturn { .. } => Ok(Space::Rate),
            Formula::Incremental { .. } => Ok(Space::Base),
            Formula::Tiered { tranches } if tranches.len() >= 2 => Ok(Space::Bounds {
                m: tranches.len() - 1,
            }),
            Formula::Tiered { .. } => Err(none(
                "is `tiered` with a single tranche, which has no threshold",
            )),
            Formula::Schedule { periods } if periods.len() >= 2 => {
                let lo = periods[periods.len() - 2].first + 1;
                // Up to the horizon, or to where the last period starts now.
                let hi = horizon.max(periods[periods.len() - 1].first);
                if lo >= hi {
                    return Err(none(&format!(
                        "is a `schedule` whose last period cannot start anywhere but year {lo} within the {horizon}-year horizon"
                    )));
                }
                Ok(Space::Switch { lo, hi })
            }
            Formula::Schedule { .. } => Err(none(
                "is a `schedule` of one period, which has no switch year",
            )),
        }
    }

    /// Number of free dimensions.
    pub fn dims(&self) -> usize {
        match self {
            Space::Shares { n } => n - 1,
            Space::Rate | Space::Base | Space::Switch { .. } => 1,
            Space::Bounds { m } => *m,
        }
    }

    /// The CSV column names of a point's coordinates (`region_ids` in order).
    pub fn columns(&self, region_ids: &[String]) -> Vec<String> {
        match self {
            Space::Shares { .. } => region_ids.iter().map(|r| format!("share_{r}")).collect(),
            Space::Rate => vec!["rate".into()],
            Space::Base => vec!["base".into()],
            Space::Switch { .. } => vec!["switch_year".into()],
            Space::Bounds { m } => (1..=*m).map(|j| format!("up_to_{j}")).collect(),
        }
    }

    /// The key of [`Space::describe`]'s text in the strings of a language
    /// ([`crate::i18n`], `solve.space.*`).
    pub fn describe_key(&self) -> &'static str {
        match self {
            Space::Shares { .. } => "solve.space.shares",
            Space::Rate => "solve.space.rate",
            Space::Base => "solve.space.base",
            Space::Switch { .. } => "solve.space.switch",
            Space::Bounds { .. } => "solve.space.bounds",
        }
    }

    /// The i18n key of what one candidate of this space is called (a split, a
    /// guaranteed rate, ...), as the terminal names it when none meets the target.
    pub fn choice_key(&self) -> &'static str {
        match self {
            Space::Shares { .. } => "solve.choice.shares",
            Space::Rate => "solve.choice.rate",
            Space::Base => "solve.choice.base",
            Space::Switch { .. } => "solve.choice.switch",
            Space::Bounds { .. } => "solve.choice.bounds",
        }
    }

    /// A human description of what is varied, in English (as the solved
    /// alternative's description has it).
    pub fn describe(&self) -> &'static str {
        match self {
            Space::Shares { .. } => "the shares of the fixed formula",
            Space::Rate => "the guaranteed rate",
            Space::Base => "the base kept by the owner",
            Space::Switch { .. } => {
                "the year of cooperation in which the schedule's last period starts"
            }
            Space::Bounds { .. } => "the tranche thresholds",
        }
    }

    /// The point `formula` is at (it must be of this space's kind).
    pub fn point_of(&self, formula: &Formula) -> Vec<f64> {
        match formula {
            Formula::Fixed { shares } => shares.clone(),
            Formula::GuaranteedReturn { rate, .. } => vec![*rate],
            Formula::Incremental { base, .. } => vec![*base],
            Formula::Schedule { periods } => {
                vec![f64::from(periods.last().map_or(1, |p| p.first))]
            }
            Formula::Tiered { tranches } => tranches
                .iter()
                .take(tranches.len().saturating_sub(1))
                .map(|t| t.upper)
                .collect(),
            Formula::Equity | Formula::Contribution => Vec::new(),
        }
    }

    /// `formula` with its free parameters set to `point` (already rounded).
    pub fn apply(&self, formula: &Formula, point: &[f64]) -> Formula {
        let mut f = formula.clone();
        match &mut f {
            Formula::Fixed { shares } => shares.copy_from_slice(point),
            Formula::GuaranteedReturn { rate, .. } => *rate = point[0],
            Formula::Incremental { base, .. } => *base = point[0],
            Formula::Schedule { periods } => {
                let start = point[0] as u32;
                let k = periods.len();
                periods[k - 2].last = start - 1;
                periods[k - 1].first = start;
                periods[k - 1].last = periods[k - 1].last.max(start);
            }
            Formula::Tiered { tranches } => {
                for (t, u) in tranches.iter_mut().zip(point) {
                    t.upper = *u;
                }
            }
            Formula::Equity | Formula::Contribution => {}
        }
        f
    }

    /// The range a one-parameter space searches, `(lo, hi)`, where it has a
    /// closed end the formula does not let it pass: a rate in [0, 1], the first
    /// share of two in [0, 1], a switch year in `lo..=hi`, a base ≥ 0 (its top
    /// is extended while the best point is there, so it is open). None for
    /// several parameters, and for a single threshold (> 0, extended upwards).
    pub fn closed_range(&self) -> Option<(f64, f64)> {
        match self {
            Space::Rate | Space::Shares { n: 2 } => Some((0.0, 1.0)),
            Space::Switch { lo, hi } => Some((f64::from(*lo), f64::from(*hi))),
            Space::Base => Some((0.0, f64::INFINITY)),
            Space::Shares { .. } | Space::Bounds { .. } => None,
        }
    }

    /// Whether the rounded `point` of a one-parameter search is at a closed end
    /// of [`Space::closed_range`]: the target may then be better met beyond it,
    /// where the formula cannot go. A guaranteed rate of 1 read as an optimum
    /// inside its range (exploratory test).
    pub fn at_closed_end(&self, point: &[f64]) -> bool {
        match (self.closed_range(), point.first()) {
            (Some((lo, hi)), Some(&x)) => x <= lo || x >= hi,
            _ => false,
        }
    }

    /// `point` rounded to the precision a formula is written with, and within
    /// the space's bounds.
    pub fn round(&self, point: &[f64]) -> Vec<f64> {
        match self {
            Space::Shares { .. } => round_shares(point),
            Space::Rate => vec![(point[0].clamp(0.0, 1.0) * 1e4).round() / 1e4],
            Space::Base => vec![significant(point[0].max(0.0))],
            Space::Switch { lo, hi } => {
                vec![point[0].round().clamp(f64::from(*lo), f64::from(*hi))]
            }
            Space::Bounds { .. } => point.iter().map(|u| significant(u.max(1e-9))).collect(),
        }
    }

    /// Whether a rounded point is allowed (thresholds strictly increasing and > 0).
    pub(super) fn valid(&self, point: &[f64]) -> bool {
        match self {
            Space::Bounds { .. } => {
                point.first().is_some_and(|u| *u > 0.0)
                    && point.windows(2).all(|w| w[1] > w[0])
                    && point.iter().all(|u| u.is_finite())
            }
            _ => point.iter().all(|x| x.is_finite()),
        }
    }
}

/// Shares rounded to multiples of 10⁻⁴ that add up to exactly 10 000 of them
/// (the largest share takes the rounding difference).
pub(super) fn round_shares(point: &[f64]) -> Vec<f64> {
    let total: f64 = point.iter().map(|s| s.max(0.0)).sum();
    let mut units: Vec<i64> = point
        .iter()
        .map(|s| {
            let s = if total > 0.0 {
                s.max(0.0) / total
            } else {
                1.0 / point.len() as f64
            };
            (s * 1e4).round() as i64
        })
        .collect();
    let diff = 10_000 - units.iter().sum::<i64>();
    if let Some(i) = (0..units.len()).max_by_key(|&i| (units[i], usize::MAX - i)) {
        units[i] += diff;
    }
    units.iter().map(|&u| u as f64 / 1e4).collect()
}

/// `x` rounded to 4 significant digits.
pub(super) fn significant(x: f64) -> f64 {
    if x == 0.0 || !x.is_finite() {
        return x;
    }
    let scale = 10f64.powi(3 - x.abs().log10().floor() as i32);
    (x * scale).round() / scale
}
