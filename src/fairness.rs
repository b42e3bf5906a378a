//! The regions' cooperative game (MODEL.md §8): Shapley values from the values of
//! coalitions, and the Nash bargaining product with outside options as the
//! disagreement point.
//!
//! A game of n ≤ [`MAX_REGIONS`] players is given by its coalition values `v`,
//! indexed by coalition as a bit mask (bit r set when region r is in it), so `v` has
//! 2^n entries and `v[0]` is the empty coalition's. Everything here is evaluated
//! once per path and alternative, so nothing allocates.

use crate::engine::{Layout, RunState};
use crate::scenario::Scenario;
use crate::schema::{AltMetric, Measure, PairMetric, RegionMetric};
use crate::sharing::MAX_REGIONS;
use crate::stats::RecordStats;

/// The Shapley weights of an n-player game.
///
/// # Formula
/// φ_i = Σ_{S ⊆ N∖{i}} w_|S| (v(S ∪ {i}) − v(S)) with w_s = s! (n − s − 1)! / n!,
/// the probability that, in a uniformly random order of the players, exactly the
/// members of S come before i.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Shapley {
    n: usize,
    /// w_s for s = 0 … n − 1.
    weights: [f64; MAX_REGIONS],
}

impl Shapley {
    /// The weights of an `n`-player game.
    ///
    /// # Errors
    /// [`GameError::Players`] unless 1 ≤ n ≤ [`MAX_REGIONS`].
    pub fn new(n: usize) -> Result<Shapley, GameError> {
        if !(1..=MAX_REGIONS).contains(&n) {
            return Err(GameError::Players(n));
        }
        // w_s = s! (n − s − 1)! / n! = 1 / (n · C(n − 1, s)), built from the binomial
        // row, exact in f64 for n ≤ 8.
        let mut weights = [0.0; MAX_REGIONS];
        let mut binomial = 1.0;
        for (s, w) in weights.iter_mut().enumerate().take(n) {
            *w = 1.0 / (n as f64 * binomial);
            binomial = binomial * (n - 1 - s) as f64 / (s + 1) as f64;
        }
        Ok(Shapley { n, weights })
    }

    /// Number of players.
    pub fn players(&self) -> usize {
        self.n
    }

    /// Each player's Shapley value of the game `v` (2^n coalition values by bit mask)
    /// into `phi` (n values). The values add up to v(N) − v(∅) (efficiency).
    ///
    /// # Panics
    /// If `v` does not have 2^n entries or `phi` n: a caller's bug, not input.
    pub fn values(&self, v: &[f64], phi: &mut [f64]) {
        let n = self.n;
        assert_eq!(
            v.len(),
            1 << n,
            "a game of {n} players has 2^{n} coalitions"
        );
        assert_eq!(phi.len(), n, "one value per player");
        for (i, p) in phi.iter_mut().enumerate() {
            let bit = 1usize << i;
            let mut sum = 0.0;
            for s in 0..v.len() {
                if s & bit == 0 {
                    let size = s.count_ones() as usize;
                    sum += self.weights[size] * (v[s | bit] - v[s]);
                }
            }
            *p = sum;
        }
    }
}

/// Why a game cannot be set up.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GameError {
    /// Too few or too many players.
    #[error("expected a game of 1 to {MAX_REGIONS} players, found {0}")]
    Players(usize),
}

/// The Nash bargaining product of the players' gains over their disagreement
/// points, or `None` when a player gets less than its disagreement point (it would
/// not agree, so there is no bargain to rate).
///
/// # Formula
/// Π_r (x_r − d_r), defined when x_r ≥ d_r for every r.
pub fn nash_product(outcomes: &[f64], disagreement: &[f64]) -> Option<f64> {
    debug_assert_eq!(outcomes.len(), disagreement.len());
    let mut product = 1.0;
    for (x, d) in outcomes.iter().zip(disagreement) {
        let gain = x - d;
        if gain.is_nan() || gain < 0.0 {
            return None;
        }
        product *= gain;
    }
    Some(product)
}

/// CVaR's tail: the worst 5 % of the paths.
pub const CVAR_ALPHA: f64 = 0.05;

/// A mean and its standard error over the paths where the quantity is defined.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Estimate {
    /// The mean (NaN when undefined on every path, or undefined as a whole, like a
    /// Nash product when a region is below its outside option).
    pub mean: f64,
    /// Its standard error (NaN when it cannot be computed).
    pub se: f64,
    /// Paths it covers.
    pub n: u64,
}

impl Estimate {
    /// Undefined on every path, or as a whole.
    pub const UNDEFINED: Estimate = Estimate {
        mean: f64::NAN,
        se: f64::NAN,
        n: 0,
    };
}

/// The fairness measures of `fairness.csv` (MODEL.md §8, docs/model.md §13).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Metric {
    /// The mean NPV of the region.
    Npv,
    /// The mean of NPV − outside option.
    Surplus,
    /// The expected Shapley value.
    Shapley,
    /// The mean NPV less the mean Shapley value.
    ShapleyGap,
    /// P(NPV_r ≥ outside option_r).
    Participation,
    /// Contribution share (of all contributions C).
    ContributionShare,
    /// Benefit share.
    BenefitShare,
    /// Benefit share ÷ contribution share.
    BenefitToContribution,
    /// P(NPV_r < 0).
    NpvNegative,
    /// Mean NPV over the worst 5 % of the paths.
    Cvar5,
    /// P(every region participates) (the alternative as a whole).
    JointParticipation,
    /// The product over regions of the mean NPV − outside option, when every
    /// factor is ≥ 0 (the alternative as a whole).
    NashProduct,
    /// The sum of the regions' mean NPVs, v(N) (the alternative as a whole).
    NpvTotal,
    /// P(every region participates) under the alternative less under the one
    /// ranked next below it ([`ranking`]), the difference taken on the same
    /// paths, so that its standard error says whether their order is noise;
    /// undefined for the last (the alternative as a whole).
    JointParticipationOverNext,
}

impl Metric {
    /// Per region, in `fairness.csv` order.
    pub const REGION: [Metric; 10] = [
        Metric::Npv,
        Metric::Surplus,
        Metric::Shapley,
        Metric::ShapleyGap,
        Metric::Participation,
        Metric::ContributionShare,
        Metric::BenefitShare,
        Metric::BenefitToContribution,
        Metric::NpvNegative,
        Metric::Cvar5,
    ];
    /// Per alternative, in `fairness.csv` order.
    pub const ALTERNATIVE: [Metric; 4] = [
        Metric::JointParticipation,
        Metric::NashProduct,
        Metric::NpvTotal,
        Metric::JointParticipationOverNext,
    ];

    /// Name in `fairness.csv`.
    pub fn name(self) -> &'static str {
        match self {
            Metric::Npv => "npv",
            Metric::Surplus => "surplus",
            Metric::Shapley => "shapley",
            Metric::ShapleyGap => "shapley_gap",
            Metric::Participation => "participation",
            Metric::ContributionShare => "contribution_share",
            Metric::BenefitShare => "benefit_share",
            Metric::BenefitToContribution => "benefit_to_contribution",
            Metric::NpvNegative => "npv_negative",
            Metric::Cvar5 => "cvar_5",
            Metric::JointParticipation => "joint_participation",
            Metric::NashProduct => "nash_product",
            Metric::NpvTotal => "npv_total",
            Metric::JointParticipationOverNext => "joint_participation_over_next",
        }
    }

    /// The record measure it is the mean of (`None` for CVaR, the Nash product
    /// and the lead over the next alternative, which are computed from the
    /// statistics).
    fn source(self) -> Option<Measure> {
        use RegionMetric as R;
        Some(match self {
            Metric::Npv => Measure::Region(R::Npv),
            Metric::Surplus => Measure::Region(R::Surplus),
            Metric::Shapley => Measure::Region(R::Shapley),
            Metric::ShapleyGap => Measure::Region(R::ShapleyGap),
            Metric::Participation => Measure::Region(R::Participates),
            Metric::ContributionShare => Measure::Region(R::ContributionShare),
            Metric::BenefitShare => Measure::Region(R::BenefitShare),
            Metric::BenefitToContribution => Measure::Region(R::BenefitToContribution),
            Metric::NpvNegative => Measure::Region(R::NpvNegative),
            Metric::JointParticipation => Measure::Alt(AltMetric::JointParticipation),
            Metric::NpvTotal => Measure::Alt(AltMetric::NpvTotal),
            Metric::Cvar5 | Metric::NashProduct | Metric::JointParticipationOverNext => {
                return None;
            }
        })
    }
}

/// Every fairness measure of a run, per alternative and region (and per
/// alternative as a whole), computed from its mergeable statistics.
#[derive(Debug, Clone)]
pub struct Table {
    regions: usize,
    /// `[alternative][region][Metric::REGION]`.
    by_region: Vec<Estimate>,
    /// `[alternative][Metric::ALTERNATIVE]`.
    by_alternative: Vec<Estimate>,
    /// Whether the run computed the coalitions (else Shapley values are undefined).
    pub coalitions: bool,
}

impl Table {
    /// The measures of a run of `scn` from its state.
    pub fn from_run(scn: &Scenario, state: &RunState) -> Table {
        let layout = state.layout;
        let stats = &state.stats;
        let n = layout.regions;
        let mean_of = |j: usize| {
            let s = stats.summary(j);
            if s.n == 0 {
                Estimate::UNDEFINED
            } else {
                Estimate {
                    mean: s.mean,
                    se: s.se,
                    n: s.n,
                }
            }
        };
        let mut by_region = Vec::with_capacity(layout.alternatives * n * Metric::REGION.len());
        let mut by_alternative =
            Vec::with_capacity(layout.alternatives * Metric::ALTERNATIVE.len());
        for a in 0..layout.alternatives {
            for r in 0..n {
                for m in Metric::REGION {
                    by_region.push(match m.source() {
                        Some(Measure::Region(rm)) => mean_of(layout.region_metric(a, r, rm)),
                        _ => {
                            let j = layout.region_metric(a, r, RegionMetric::Npv);
                            stats.lower_tail(j, CVAR_ALPHA).map_or(
                                Estimate::UNDEFINED,
                                |(mean, se)| Estimate {
                                    mean,
                                    se,
                                    n: stats.summary(j).n,
                                },
                            )
                        }
                    });
                }
            }
            for m in Metric::ALTERNATIVE {
                by_alternative.push(match m.source() {
                    Some(Measure::Alt(am)) => mean_of(layout.alt_metric(a, am)),
                    _ if m == Metric::NashProduct => nash(&layout, stats, a),
                    // Set below, once the ranking is known.
                    _ => Estimate::UNDEFINED,
                });
            }
        }
        let mut table = Table {
            regions: n,
            by_region,
            by_alternative,
            coalitions: scn.fairness(),
        };
        let mean = |a: usize, m: Metric| table.get(a, None, m).map_or(f64::NAN, |e| e.mean);
        let order = ranking(
            layout.alternatives,
            |a| mean(a, Metric::JointParticipation),
            |a| mean(a, Metric::NashProduct),
        );
        let k = Metric::ALTERNATIVE.len();
        let lead = Metric::ALTERNATIVE
            .iter()
            .position(|&m| m == Metric::JointParticipationOverNext)
            .unwrap_or(k - 1);
        for w in order.windows(2) {
            table.by_alternative[w[0] * k + lead] = joint_difference(&layout, stats, w[0], w[1]);
        }
        table
    }

    /// The estimate of `metric` for alternative `alternative` and region `region`
    /// (`None`: the alternative as a whole); `None` when the metric is not of that
    /// scope or the indices are out of range.
    pub fn get(
        &self,
        alternative: usize,
        region: Option<usize>,
        metric: Metric,
    ) -> Option<Estimate> {
        match region {
            Some(r) if r < self.regions => {
                let m = Metric::REGION.iter().position(|&x| x == metric)?;
                let k = Metric::REGION.len();
                self.by_region
                    .get((alternative * self.regions + r) * k + m)
                    .copied()
            }
            Some(_) => None,
            None => {
                let m = Metric::ALTERNATIVE.iter().position(|&x| x == metric)?;
                self.by_alternative
                    .get(alternative * Metric::ALTERNATIVE.len() + m)
                    .copied()
            }
        }
    }
}

/// The alternatives `0 … count − 1` best first: by the probability that every region
/// participates, then by the Nash product (an undefined one, NaN, ranks below
/// every defined one), then in file order.
pub fn ranking(
    count: usize,
    joint: impl Fn(usize) -> f64,
    nash: impl Fn(usize) -> f64,
) -> Vec<usize> {
    let key = |x: f64| if x.is_nan() { f64::NEG_INFINITY } else { x };
    let mut order: Vec<usize> = (0..count).collect();
    order.sort_by(|&a, &b| {
        key(joint(b))
            .total_cmp(&key(joint(a)))
            .then(key(nash(b)).total_cmp(&key(nash(a))))
            .then(a.cmp(&b))
    });
    order
}

/// The decimals of the mantissa (`{:.N$e}`) that show Nash products `products`
/// apart: at least 3, more while two different finite products would read the
/// same (a ranking decided by the 5th digit must show it), at most 16.
pub fn product_decimals(products: &[f64]) -> usize {
    let finite: Vec<f64> = products.iter().copied().filter(|x| x.is_finite()).collect();
    (3..=16)
        .find(|&d| {
            finite.iter().enumerate().all(|(i, a)| {
                finite[i + 1..].iter().all(|b| {
                    a.to_bits() == b.to_bits() || format!("{a:.d$e}") != format!("{b:.d$e}")
                })
            })
        })
        .unwrap_or(16)
}

/// Whether an alternative's lead on the next in the ranking
/// ([`Metric::JointParticipationOverNext`]) is within noise: |lead| ≤ 1.96 se
/// of the difference on the same paths, with se > 0, so that these paths do not
/// establish the two alternatives' order. A lead of 0 on every path (se 0) is
/// not noise but a tie ([`tied`]): a deterministic run was told "more paths may
/// reverse it" of alternatives equal on every path (exploratory test). `None`
/// when the lead or its se is undefined (the last alternative, or a single
/// path).
pub fn within_noise(mean: f64, se: f64) -> Option<bool> {
    (mean.is_finite() && se.is_finite())
        .then(|| !tied(mean, se) && mean.abs() <= crate::convergence::Z95 * se)
}

/// Whether an alternative's lead on the next is a tie: 0 on every one of these
/// paths (mean 0, se 0), every region signing on exactly the same paths under
/// both. Their order is then the Nash product's (then the file's), which no
/// sampling noise in P(all) can reverse.
pub fn tied(mean: f64, se: f64) -> bool {
    mean == 0.0 && se == 0.0
}

/// What orders two alternatives [`tied`] on P(all), as [`ranking`] breaks the
/// tie, for the note under the ranking.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TieBreak {
    /// Nash products with standard error 0 (each the same on every path): their
    /// order is not noise either.
    Exact,
    /// Neither has a Nash product: the file's order, which says nothing of them.
    FileOrder,
    /// Nash products with a margin: the run keeps no standard error of their
    /// difference on the same paths, so each is read with its own.
    Margins,
}

/// How the Nash products `a` and `b` of two tied alternatives order them.
pub fn tie_break(a: Estimate, b: Estimate) -> TieBreak {
    if a.mean.is_nan() && b.mean.is_nan() {
        TieBreak::FileOrder
    } else if a.se == 0.0 && b.se == 0.0 {
        TieBreak::Exact
    } else {
        TieBreak::Margins
    }
}

/// P(every region participates) under alternative `a` less under `b`, from the
/// recorded per-path differences (`joint_participation_diff`): the mean of the
/// differences on the same paths, with their standard error, which is what says
/// whether the two alternatives' order is noise (two means' own standard errors
/// ignore that the paths are shared, and overstate it).
///
/// # Formula
/// d_p = J_a,p − J_b,p; mean d̄ = P̂_a − P̂_b, se = sd(d)/√n (under antithetic
/// pairs, the pairs' se). For a > b, the a < b position negated.
pub fn joint_difference(layout: &Layout, stats: &RecordStats, a: usize, b: usize) -> Estimate {
    use crate::schema::AltPairMetric;
    if a == b || a.max(b) >= layout.alternatives {
        return Estimate::UNDEFINED;
    }
    let (lo, hi) = (a.min(b), a.max(b));
    let s = stats.summary(layout.alt_pair_metric(lo, hi, AltPairMetric::JointParticipationDiff));
    if s.n == 0 {
        return Estimate::UNDEFINED;
    }
    Estimate {
        // 0 − x, not −x: an equal pair is +0 (a CSV "-0" would read oddly).
        mean: if a < b { s.mean } else { 0.0 - s.mean },
        se: s.se,
        n: s.n,
    }
}

/// The Nash product of alternative `a` from the means of the regions' surpluses,
/// with its delta-method standard error.
///
/// # Formula
/// N = Π_r ḡ_r with ḡ_r the mean surplus (NPV − outside option) of region r,
/// undefined when some ḡ_r < 0 (or the product overflows). Var(N) ≈ Σ_r Σ_s ∂_r ∂_s Cov(ḡ_r, ḡ_s) with
/// ∂_r = Π_{q≠r} ḡ_q, Cov(ḡ_r, ḡ_r) = se_r², and for r ≠ s
/// Cov(ḡ_r, ḡ_s) = (Var(g_r + g_s) − Var g_r − Var g_s) / (2 n) from the recorded
/// pair sums; under antithetic pairs of paths, (se²(g_r + g_s) − se_r² − se_s²) / 2
/// with the pairs' standard errors.
fn nash(layout: &Layout, stats: &RecordStats, a: usize) -> Estimate {
    let n = layout.regions;
    let surplus: Vec<_> = (0..n)
        .map(|r| stats.summary(layout.region_metric(a, r, RegionMetric::Surplus)))
        .collect();
    let gains: Vec<f64> = surplus.iter().map(|s| s.mean).collect();
    let paths = surplus.iter().map(|s| s.n).min().unwrap_or(0);
    // A product beyond the doubles (regions' surpluses near the input limits) is
    // left undefined like a negative factor, never written as a number.
    let Some(product) = nash_product(&gains, &vec![0.0; n]).filter(|p| paths > 0 && p.is_finite())
    else {
        return Estimate {
            n: paths,
            ..Estimate::UNDEFINED
        };
    };
    let partial = |r: usize| -> f64 {
        (0..n)
            .filter(|&q| q != r)
            .map(|q| gains[q])
            .product::<f64>()
    };
    let mut variance = 0.0;
    for r in 0..n {
        for s in 0..n {
            let cov = if r == s {
                surplus[r].se * surplus[r].se
            } else {
                let (lo, hi) = (r.min(s), r.max(s));
                let pair = stats.summary(layout.pair_metric(a, lo, hi, PairMetric::SurplusPairSum));
                let var = |sd: f64| sd * sd;
                if stats.has_pairs() {
                    // Antithetic pairs: the same identity on the means' (pair)
                    // variances, Var(ḡ_r + ḡ_s) = se² of the pair sums' mean.
                    (var(pair.se) - var(surplus[r].se) - var(surplus[s].se)) / 2.0
                } else {
                    (var(pair.sd) - var(surplus[r].sd) - var(surplus[s].sd)) / (2.0 * paths as f64)
                }
            };
            variance += partial(r) * partial(s) * cov;
        }
    }
    Estimate {
        mean: product,
        // One path has no spread: the surpluses' standard errors are NaN, and so
        // is the variance, which `max` would have turned into an se of 0.
        se: if paths < 2 || variance.is_nan() {
            f64::NAN
        } else {
            variance.max(0.0).sqrt()
        },
        n: paths,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn ranking_puts_joint_participation_first_then_the_nash_product() {
        let joint = [0.3, 0.5, 0.5, 0.1, 0.5];
        let nash = [9.0, f64::NAN, 2.0, 100.0, 3.0];
        assert_eq!(ranking(5, |a| joint[a], |a| nash[a]), [4, 2, 1, 0, 3]);
    }

    /// A run of 100 paths of one year whose statistics are `stats`.
    fn hundred_paths(layout: Layout, stats: RecordStats) -> RunState {
        RunState {
            layout,
            config: crate::engine::RunConfig {
                paths: 100,
                seed: 0,
                horizon: 1,
                threads: 0,
            },
            ranges: std::iter::once(0..100).collect(),
            firm_years: 0,
            stats,
        }
    }

    #[test]
    fn the_nash_product_s_error_counts_the_covariance_of_the_surpluses() {
        // Two regions whose surpluses move against each other: 10 + e and 20 − e
        // with e = ±1 in turn over 100 paths. N = 10 · 20 = 200; the gradient is
        // (20, 10), so Var = (400 + 100 − 2 · 200) s² / n = 100 s² / n with
        // s² = 100 / 99: se = 10 s / 10 = √(100 / 99). Without the covariance it
        // would be √5 times that.
        let layout = Layout {
            alternatives: 1,
            regions: 2,
            horizon: 1,
        };
        let mut stats = RecordStats::new(&layout.plan(), None);
        let mut record = vec![0.0; layout.len()];
        for p in 0..100 {
            let e = if p % 2 == 0 { 1.0 } else { -1.0 };
            let (a, b) = (10.0 + e, 20.0 - e);
            record[layout.region_metric(0, 0, RegionMetric::Surplus)] = a;
            record[layout.region_metric(0, 1, RegionMetric::Surplus)] = b;
            record[layout.pair_metric(0, 0, 1, PairMetric::SurplusPairSum)] = a + b;
            stats.push(&record);
        }
        stats.end_batch();
        let state = hundred_paths(layout, stats);
        let e = nash(&state.layout, &state.stats, 0);
        assert!((e.mean - 200.0).abs() < 1e-9, "{e:?}");
        assert!((e.se - (100.0f64 / 99.0).sqrt()).abs() < 1e-9, "{e:?}");
        assert_eq!(e.n, 100);

        // A region below its outside option: no product, no error.
        let mut stats = RecordStats::new(&state.layout.plan(), None);
        record[state.layout.region_metric(0, 0, RegionMetric::Surplus)] = -1.0;
        stats.push(&record);
        stats.end_batch();
        let e = nash(&state.layout, &stats, 0);
        assert!(e.mean.is_nan() && e.se.is_nan());
    }

    #[test]
    // Exact values: means of whole numbers over 100 paths.
    #[allow(clippy::float_cmp)]
    fn the_lead_on_the_next_is_paired_on_the_same_paths() {
        // Three alternatives over 100 paths. Alternative 0 signs on paths 0..40;
        // 1 on paths 0..40 and 99, so it leads 0 by one path, 0.01, whose paired
        // se is √((1 − 0.01²·100)/99)/10 = 0.01 (one path of 100 differs): within
        // noise, although their own se are 0.049 each. Alternative 2 signs on
        // paths 50..60 only, far behind.
        use crate::schema::AltPairMetric;
        let layout = Layout {
            alternatives: 3,
            regions: 1,
            horizon: 1,
        };
        let mut stats = RecordStats::new(&layout.plan(), None);
        let mut record = vec![0.0; layout.len()];
        for p in 0..100 {
            let joint =
                [p < 40, p < 40 || p == 99, (50..60).contains(&p)].map(|x| f64::from(u8::from(x)));
            for (a, j) in joint.iter().enumerate() {
                record[layout.alt_metric(a, AltMetric::JointParticipation)] = *j;
                for b in a + 1..3 {
                    record[layout.alt_pair_metric(a, b, AltPairMetric::JointParticipationDiff)] =
                        j - joint[b];
                }
            }
            stats.push(&record);
        }
        stats.end_batch();
        let d = joint_difference(&layout, &stats, 1, 0);
        assert_eq!((d.mean, d.n), (0.01, 100));
        assert!((d.se - 0.01).abs() < 1e-12, "{d:?}");
        assert_eq!(within_noise(d.mean, d.se), Some(true));
        // The other way round, negated; an equal pair is +0, not −0.
        assert_eq!(joint_difference(&layout, &stats, 0, 1).mean, -0.01);
        let d = joint_difference(&layout, &stats, 0, 2);
        assert_eq!(d.mean, 0.3);
        assert_eq!(within_noise(d.mean, d.se), Some(false));
        // A lead of 0 on every path is a tie, not noise; a lead of 0 whose paths
        // differ is noise.
        assert_eq!(within_noise(0.0, 0.0), Some(false));
        assert!(tied(0.0, 0.0) && !tied(0.0, 0.01) && !tied(0.01, 0.0));
        assert_eq!(within_noise(0.0, 0.01), Some(true));
        // What breaks a tie: exact products, none (the file's order), or margins.
        let e = |mean, se| Estimate { mean, se, n: 4 };
        assert_eq!(tie_break(e(2.0, 0.0), e(1.0, 0.0)), TieBreak::Exact);
        assert_eq!(
            tie_break(e(f64::NAN, f64::NAN), e(f64::NAN, f64::NAN)),
            TieBreak::FileOrder
        );
        assert_eq!(tie_break(e(2.0, 0.1), e(1.0, 0.0)), TieBreak::Margins);
        assert_eq!(
            tie_break(e(2.0, 0.0), e(f64::NAN, f64::NAN)),
            TieBreak::Margins
        );
        assert_eq!(within_noise(0.01, f64::NAN), None);

        // The table: ranked 1, 0, 2; each leads the next, the last has no lead.
        let state = hundred_paths(layout, stats);
        let scn = crate::scenario::Scenario::reference().expect("bundled scenario");
        let table = Table::from_run(&scn, &state);
        let lead = |a: usize| {
            table
                .get(a, None, Metric::JointParticipationOverNext)
                .expect("an alternative metric")
        };
        assert_eq!(lead(1).mean, 0.01);
        assert_eq!(lead(0).mean, 0.3);
        assert!(lead(2).mean.is_nan());
    }

    fn shapley(v: &[f64]) -> Vec<f64> {
        let n = v.len().trailing_zeros() as usize;
        let mut phi = vec![0.0; n];
        Shapley::new(n).expect("n in range").values(v, &mut phi);
        phi
    }

    fn close(got: &[f64], want: &[f64]) {
        assert_eq!(got.len(), want.len());
        for (g, w) in got.iter().zip(want) {
            assert!((g - w).abs() < 1e-12, "got {got:?}, want {want:?}");
        }
    }

    #[test]
    fn weights_are_the_orders_in_which_a_coalition_precedes_a_player() {
        // n = 3: 1/3 (no one before), 1/6 (one given player), 1/3 (both).
        let s = Shapley::new(3).expect("3 players");
        close(&s.weights[..3], &[1.0 / 3.0, 1.0 / 6.0, 1.0 / 3.0]);
        // Each size's weights over its C(n − 1, s) coalitions add to 1/n.
        for n in 1..=MAX_REGIONS {
            let s = Shapley::new(n).expect("in range");
            let mut binomial = 1.0;
            let mut total = 0.0;
            for size in 0..n {
                total += s.weights[size] * binomial;
                binomial = binomial * (n - 1 - size) as f64 / (size + 1) as f64;
            }
            assert!((total - 1.0).abs() < 1e-12, "n = {n}: {total}");
        }
        assert_eq!(Shapley::new(0), Err(GameError::Players(0)));
        assert_eq!(Shapley::new(9), Err(GameError::Players(9)));
        assert_eq!(
            GameError::Players(9).to_string(),
            "expected a game of 1 to 8 players, found 9"
        );
    }

    #[test]
    fn two_players_split_the_surplus_evenly() {
        // v(1) = 2, v(2) = 5, v(12) = 13: each gets its own value plus half of 6.
        close(&shapley(&[0.0, 2.0, 5.0, 13.0]), &[5.0, 8.0]);
    }

    #[test]
    fn symmetric_players_get_equal_values() {
        // The three-player majority game: any two win 1.
        let v: Vec<f64> = (0..8u32)
            .map(|s| if s.count_ones() >= 2 { 1.0 } else { 0.0 })
            .collect();
        close(&shapley(&v), &[1.0 / 3.0; 3]);
    }

    #[test]
    fn the_glove_game() {
        // Player 0 holds the only left glove, players 1 and 2 a right glove each; a
        // pair is worth 1. φ = (2/3, 1/6, 1/6).
        let v: Vec<f64> = (0..8usize)
            .map(|s| if s & 1 == 1 && s & 6 != 0 { 1.0 } else { 0.0 })
            .collect();
        close(&shapley(&v), &[2.0 / 3.0, 1.0 / 6.0, 1.0 / 6.0]);
    }

    #[test]
    fn a_dummy_player_gets_its_standalone_value() {
        // Players 0–2 play the glove game; player 3 adds 0.25 to any coalition.
        let v: Vec<f64> = (0..16usize)
            .map(|s| {
                let gloves = if s & 1 == 1 && s & 6 != 0 { 1.0 } else { 0.0 };
                gloves + if s & 8 != 0 { 0.25 } else { 0.0 }
            })
            .collect();
        close(&shapley(&v), &[2.0 / 3.0, 1.0 / 6.0, 1.0 / 6.0, 0.25]);
    }

    #[test]
    fn nash_products_that_differ_are_shown_apart() {
        assert_eq!(product_decimals(&[]), 3);
        assert_eq!(product_decimals(&[1.2345e9, 2.0e9, f64::NAN]), 3);
        assert_eq!(product_decimals(&[1.2345e9, 1.2345e9]), 3);
        // 1.2345e9 and 1.2346e9 agree to 4 digits: shown with 5.
        let d = product_decimals(&[1.23451e9, 1.23459e9, 5.0e8]);
        assert_eq!(d, 4);
        assert_ne!(format!("{:.d$e}", 1.23451e9), format!("{:.d$e}", 1.23459e9));
        assert_eq!(product_decimals(&[1.0, 1.0 + f64::EPSILON]), 16);
    }

    #[test]
    fn nash_product_is_empty_when_someone_is_below_its_outside_option() {
        assert_eq!(nash_product(&[3.0, 5.0], &[1.0, 1.0]), Some(8.0));
        assert_eq!(nash_product(&[1.0, 5.0], &[1.0, 1.0]), Some(0.0));
        assert_eq!(nash_product(&[0.5, 5.0], &[1.0, 1.0]), None);
        assert_eq!(nash_product(&[f64::NAN, 5.0], &[1.0, 1.0]), None);
    }

    proptest! {
        /// Efficiency Σ φ = v(N) − v(∅), additivity over games, and an additive
        /// game's values are the players' own.
        #[test]
        fn efficiency_and_additivity(
            n in 1usize..=MAX_REGIONS,
            seed in proptest::collection::vec(-1e3f64..1e3, 1 << MAX_REGIONS),
            other in proptest::collection::vec(-1e3f64..1e3, 1 << MAX_REGIONS),
        ) {
            let m = 1usize << n;
            let v = &seed[..m];
            let phi = shapley(v);
            let total: f64 = phi.iter().sum();
            prop_assert!((total - (v[m - 1] - v[0])).abs() < 1e-9 * (1.0 + v[m - 1].abs()));

            let w = &other[..m];
            let sum: Vec<f64> = v.iter().zip(w).map(|(a, b)| a + b).collect();
            let (pv, pw, ps) = (phi, shapley(w), shapley(&sum));
            for i in 0..n {
                prop_assert!((ps[i] - pv[i] - pw[i]).abs() < 1e-9);
            }

            let own = &seed[..n];
            let additive: Vec<f64> = (0..m)
                .map(|s| (0..n).filter(|i| s >> i & 1 == 1).map(|i| own[i]).sum())
                .collect();
            let pa = shapley(&additive);
            for i in 0..n {
                prop_assert!((pa[i] - own[i]).abs() < 1e-9);
            }
        }
    }
}
