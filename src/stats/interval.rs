//! Distribution-free confidence intervals of quantiles (summary.csv's
//! `p05_ci_low` … `p95_ci_high`).
//!
//! # Formula
//! With n values and B ~ Binomial(n, q) the number of them below the true
//! q-quantile ξ, the order statistics x₍l₎ ≤ x₍u₎ (ranks from 1) bracket ξ with
//! probability P(l ≤ B ≤ u − 1) = F(u − 1) − F(l − 1), whatever the distribution
//! (a continuous one; ties only widen the interval). l is the largest rank with
//! F(l − 1) ≤ (1 − level)/2 and u the smallest with F(u − 1) ≥ (1 + level)/2, so
//! the coverage is at least `level` (exactly so up to the binomial's steps). When
//! no rank qualifies (too few values for the level, e.g. l below 1 for P5 with
//! fewer than 59 values) that end is undefined.
//!
//! While every value is kept (at most [`super::EXACT_CAP`]) the ends are the
//! order statistics themselves. On a histogram the same ranks are read off the
//! histogram as quantiles at levels (r − 1)/(n − 1), interpolated within their
//! bin like every binned quantile: each end is then within one bin width of the
//! order statistic (about 1/50 of a robust sd for metrics; see
//! [`super::quantile`]), small next to the interval itself for any n the
//! histogram serves (n > 1024).

use statrs::distribution::{Binomial, DiscreteCDF};

use super::quantile::{Grid, QuantileState, lower, type7};

/// Level of the intervals written to summary.csv.
pub const LEVEL: f64 = 0.95;

/// Ranks (from 1) `(l, u)` of the order statistics that bracket the q-quantile of
/// `n` values with probability at least `level`; `None` for an end no rank gives.
pub fn order_ranks(n: u64, q: f64, level: f64) -> (Option<u64>, Option<u64>) {
    // summary.csv asks for the same few (n, q) at every position: remember them.
    thread_local! {
        static SEEN: std::cell::RefCell<Vec<(RankKey, Ranks)>> =
            const { std::cell::RefCell::new(Vec::new()) };
    }
    let key = (n, q.to_bits(), level.to_bits());
    if let Some(r) = SEEN.with(|s| s.borrow().iter().find(|(k, _)| *k == key).map(|(_, r)| *r)) {
        return r;
    }
    let r = ranks(n, q, level);
    SEEN.with(|s| {
        let mut s = s.borrow_mut();
        if s.len() >= 64 {
            s.clear();
        }
        s.push((key, r));
    });
    r
}

/// Lower and upper ranks, as [`order_ranks`] gives them.
type Ranks = (Option<u64>, Option<u64>);

/// n and the bits of q and the level.
type RankKey = (u64, u64, u64);

/// [`order_ranks`], computed.
fn ranks(n: u64, q: f64, level: f64) -> Ranks {
    if n == 0 || !(0.0..=1.0).contains(&q) || !(0.0..1.0).contains(&level) {
        return (None, None);
    }
    let Ok(b) = Binomial::new(q, n) else {
        return (None, None);
    };
    let tail = (1.0 - level) / 2.0;
    // The largest k in 0..=n with F(k) ≤ tail: l = k + 1.
    let lower_rank = if b.cdf(0) > tail {
        None
    } else {
        let (mut lo, mut hi) = (0u64, n);
        while lo < hi {
            let mid = lo + (hi - lo).div_ceil(2);
            if b.cdf(mid) <= tail {
                lo = mid
            } else {
                hi = mid - 1
            }
        }
        (lo < n).then_some(lo + 1)
    };
    // The smallest k in 0..=n with F(k) ≥ 1 − tail: u = k + 1.
    let upper_rank = {
        let (mut lo, mut hi) = (0u64, n);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if b.cdf(mid) >= 1.0 - tail {
                hi = mid
            } else {
                lo = mid + 1
            }
        }
        (lo < n).then_some(lo + 1)
    };
    (lower_rank, upper_rank)
}

impl QuantileState {
    /// The `level` confidence interval of the q-quantile (see the
    /// [module documentation](self)); NaN for an undefined end. `integer`, `grid`,
    /// `min` and `max` as for [`QuantileState::quantiles`].
    pub fn quantile_interval(
        &self,
        q: f64,
        level: f64,
        integer: bool,
        grid: Option<&Grid>,
        min: f64,
        max: f64,
    ) -> (f64, f64) {
        self.quantile_intervals(&[q], level, integer, grid, min, max)[0]
    }

    /// [`QuantileState::quantile_interval`] of each of `qs` (the values sorted once).
    pub fn quantile_intervals(
        &self,
        qs: &[f64],
        level: f64,
        integer: bool,
        grid: Option<&Grid>,
        min: f64,
        max: f64,
    ) -> Vec<(f64, f64)> {
        match self {
            QuantileState::Exact(values) => {
                let sorted = super::quantile::sorted_total(values);
                let at = |r: Option<u64>| r.map_or(f64::NAN, |r| sorted[(r - 1) as usize] + 0.0);
                qs.iter()
                    .map(|&q| {
                        let (l, u) = order_ranks(sorted.len() as u64, q, level);
                        (at(l), at(u))
                    })
                    .collect()
            }
            QuantileState::Histogram(_) => {
                let n = self.count();
                let at = |r: Option<u64>| {
                    r.filter(|_| n > 1).map_or(f64::NAN, |r| {
                        let p = (r - 1) as f64 / (n - 1) as f64;
                        self.quantiles(&[p], integer, grid, min, max)[0]
                    })
                };
                qs.iter()
                    .map(|&q| {
                        let (l, u) = order_ranks(n, q, level);
                        (at(l), at(u))
                    })
                    .collect()
            }
        }
    }
}

/// The order-statistic interval of `sorted` values directly (for tests and
/// callers holding the values), with the sample quantile it brackets.
pub fn interval_of_sorted(sorted: &[f64], q: f64, level: f64, integer: bool) -> (f64, f64, f64) {
    let (l, u) = order_ranks(sorted.len() as u64, q, level);
    let at = |r: Option<u64>| r.map_or(f64::NAN, |r| sorted[(r - 1) as usize]);
    let point = if integer {
        lower(sorted, q)
    } else {
        type7(sorted, q)
    };
    (at(l), point, at(u))
}

/// The Clopper–Pearson `level` interval of a probability seen `k` times in `n`
/// trials (exact: its coverage is at least `level` for every true probability).
///
/// # Formula
/// low = B⁻¹((1 − level)/2; k, n − k + 1) (0 when k = 0), high =
/// B⁻¹((1 + level)/2; k + 1, n − k) (1 when k = n), B the beta distribution.
pub fn binomial_interval(k: u64, n: u64, level: f64) -> (f64, f64) {
    use statrs::distribution::{Beta, ContinuousCDF};
    if n == 0 || k > n {
        return (f64::NAN, f64::NAN);
    }
    let tail = (1.0 - level) / 2.0;
    let (kf, nf) = (k as f64, n as f64);
    let low = if k == 0 {
        0.0
    } else {
        Beta::new(kf, nf - kf + 1.0).map_or(f64::NAN, |b| b.inverse_cdf(tail))
    };
    let high = if k == n {
        1.0
    } else {
        Beta::new(kf + 1.0, nf - kf).map_or(f64::NAN, |b| b.inverse_cdf(1.0 - tail))
    };
    (low, high)
}

/// A probability as the paths saw it: `k` of `n` independent paths, with its
/// Clopper–Pearson interval at [`LEVEL`]. The one way the terminal's notes and
/// `report.html` say how sure a probability is: at 0 or 1 (no path on one side)
/// ± 1.96 standard errors is ± 0, while this interval still says how far the
/// paths leave it open (0 of 50: up to 7.1%).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Proportion {
    /// Paths where the event happened.
    pub k: u64,
    /// Paths.
    pub n: u64,
    /// Low end of the interval.
    pub low: f64,
    /// High end of the interval.
    pub high: f64,
}

impl Proportion {
    /// The proportion whose mean over `n` paths is `mean` (an indicator's mean,
    /// so `mean · n` is a whole number up to rounding); `None` without paths or
    /// a finite mean in [0, 1].
    pub fn of_mean(mean: f64, n: u64) -> Option<Proportion> {
        if n == 0 || !(0.0..=1.0).contains(&mean) {
            return None;
        }
        // mean · n is within rounding of a whole number of at most n.
        let k = ((mean * n as f64).round() as u64).min(n);
        let (low, high) = binomial_interval(k, n, LEVEL);
        Some(Proportion { k, n, low, high })
    }

    /// `k / n`.
    pub fn share(&self) -> f64 {
        self.k as f64 / self.n as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::Xoshiro256PlusPlus;
    use rand_distr::{Distribution, StandardNormal};

    #[test]
    fn ranks_by_hand() {
        // n = 20, median: F(5) = 0.0207 ≤ 0.025 < F(6) = 0.0577, so l = 6;
        // F(13) = 0.9423 < 0.975 ≤ F(14) = 0.9793, so u = 15: [x₍₆₎, x₍₁₅₎],
        // coverage F(14) − F(5) = 0.9586 (the textbook interval).
        assert_eq!(order_ranks(20, 0.5, 0.95), (Some(6), Some(15)));
        // P5 of 58 values: F(0) = 0.95^58 = 0.0510 > 0.025, no lower end; of 72:
        // 0.95^72 = 0.0249, l = 1.
        assert_eq!(order_ranks(58, 0.05, 0.95).0, None);
        assert_eq!(order_ranks(72, 0.05, 0.95).0, Some(1));
        // P95 mirrors P5.
        let (l, u) = order_ranks(1000, 0.05, 0.95);
        let (l2, u2) = order_ranks(1000, 0.95, 0.95);
        assert_eq!((l.map(|l| 1001 - l), u.map(|u| 1001 - u)), (u2, l2));
        assert_eq!(order_ranks(0, 0.5, 0.95), (None, None));
    }

    #[test]
    // The ends at k = 0 and k = n are set, exactly 0 and 1.
    #[allow(clippy::float_cmp)]
    fn binomial_interval_by_hand() {
        // k = 0: high solves (1 − p)^n = 0.025, p = 1 − 0.025^(1/n); n = 300 gives
        // 0.012222.
        let (lo, hi) = binomial_interval(0, 300, 0.95);
        assert_eq!(lo, 0.0);
        assert!(
            (hi - (1.0 - 0.025f64.powf(1.0 / 300.0))).abs() < 1e-9,
            "{hi}"
        );
        // k = n mirrors it.
        let (lo, hi) = binomial_interval(300, 300, 0.95);
        assert!((lo - 0.025f64.powf(1.0 / 300.0)).abs() < 1e-9 && hi == 1.0);
        // k = 5 of 10: the textbook interval [0.187, 0.813].
        let (lo, hi) = binomial_interval(5, 10, 0.95);
        assert!(
            (lo - 0.187_086).abs() < 1e-5 && (hi - 0.812_914).abs() < 1e-5,
            "{lo} {hi}"
        );
    }

    #[test]
    // The ends at k = 0 and k = n are set, exactly 0 and 1.
    #[allow(clippy::float_cmp)]
    fn a_proportion_is_counted_from_its_mean_with_the_exact_interval() {
        // 0 of 50: the terminal's "95% interval 0.0% to 7.1%".
        let p = Proportion::of_mean(0.0, 50).expect("defined");
        assert_eq!((p.k, p.n, p.low), (0, 50, 0.0));
        assert!((p.high - 0.071_12).abs() < 1e-4, "{p:?}");
        // 6 of 50 as a mean that is not exactly 0.12 in binary.
        let p = Proportion::of_mean(6.0 / 50.0, 50).expect("defined");
        assert_eq!((p.k, p.share()), (6, 0.12));
        assert_eq!((p.low, p.high), binomial_interval(6, 50, LEVEL));
        assert_eq!(
            Proportion::of_mean(1.0, 1).map(|p| (p.k, p.high)),
            Some((1, 1.0))
        );
        assert_eq!(Proportion::of_mean(0.5, 0), None);
        assert_eq!(Proportion::of_mean(f64::NAN, 10), None);
    }

    /// Coverage of the true quantile of a standard normal by the intervals of
    /// repeated samples: at least 95% by construction; asserted within 3 binomial
    /// standard errors of the exact coverage over 2,000 samples (± 1.5 pp), for
    /// exact values (n = 200) and for a histogram on a pilot's grid (n = 3,000).
    #[test]
    fn quantile_intervals_cover_at_their_level() {
        let normal_quantile = |q: f64| -> f64 {
            // Bisection on the CDF (statrs), accurate far below the tolerance.
            use statrs::distribution::{ContinuousCDF, Normal};
            Normal::standard().inverse_cdf(q)
        };
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(11);
        let reps = 2000;
        for &q in &[0.05, 0.5, 0.95] {
            let xi = normal_quantile(q);
            let n = 200u64;
            let (l, u) = order_ranks(n, q, LEVEL);
            let (l, u) = (l.expect("l"), u.expect("u"));
            let b = Binomial::new(q, n).expect("binomial");
            let exact = b.cdf(u - 1) - b.cdf(l - 1);
            assert!(exact >= LEVEL);
            let mut covered = 0;
            for _ in 0..reps {
                let values: Vec<f64> = (0..n).map(|_| StandardNormal.sample(&mut rng)).collect();
                let (lo, hi) = QuantileState::Exact(values).quantile_interval(
                    q,
                    LEVEL,
                    false,
                    None,
                    f64::NEG_INFINITY,
                    f64::INFINITY,
                );
                covered += usize::from(lo <= xi && xi <= hi);
            }
            let coverage = covered as f64 / reps as f64;
            let tol = 3.0 * (exact * (1.0 - exact) / reps as f64).sqrt();
            eprintln!(
                "exact values, n = {n}, q = {q}: coverage {coverage} (exact {exact:.4} ± {tol:.4})"
            );
            assert!(
                (coverage - exact).abs() <= tol,
                "q = {q}: coverage {coverage} vs {exact} ± {tol}"
            );
        }
        // A histogram: the pilot's 1,024 values fix the grid, then 3,000 values
        // are binned; 400 samples (± 3.3 pp at 3 se).
        let reps = 400;
        let n = 3000;
        for &q in &[0.05, 0.5] {
            let xi = normal_quantile(q);
            let mut covered = 0;
            for _ in 0..reps {
                let pilot: Vec<f64> = (0..1024).map(|_| StandardNormal.sample(&mut rng)).collect();
                let grid = Grid::from_pilot(&pilot, 1024, false);
                let mut state = QuantileState::Exact(Vec::new());
                let (mut min, mut max) = (f64::INFINITY, f64::NEG_INFINITY);
                for _ in 0..n {
                    let x: f64 = StandardNormal.sample(&mut rng);
                    min = min.min(x);
                    max = max.max(x);
                    state.push(x, Some(&grid));
                }
                assert!(matches!(state, QuantileState::Histogram(_)));
                let (lo, hi) = state.quantile_interval(q, LEVEL, false, Some(&grid), min, max);
                covered += usize::from(lo <= xi && xi <= hi);
            }
            let coverage = covered as f64 / reps as f64;
            let tol = 3.0 * (LEVEL * (1.0 - LEVEL) / reps as f64).sqrt();
            eprintln!(
                "histogram, n = {n}, q = {q}: coverage {coverage} (at least {LEVEL} − {tol:.4})"
            );
            assert!(
                coverage >= LEVEL - tol && coverage <= 0.99,
                "histogram, q = {q}: coverage {coverage}"
            );
        }
    }
}
