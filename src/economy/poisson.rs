//! The inverse CDF of the Poisson law (MODEL.md §5, §10): the number of prospective
//! firms of a year is the Poisson(λ_t) quantile at that year's uniform from the
//! `arrivals` stream, so on a fixed path it never decreases when λ_t increases.

use crate::mathlib;
use statrs::function::erf::erfc_inv;
use statrs::function::gamma::{gamma_lr, gamma_ur, ln_gamma};

/// Up to this rate the quantile is found by summing the pmf from 0.
const SEQUENTIAL_MAX: f64 = 30.0;

/// The smallest k with P(X ≤ k) ≥ u for X ~ Poisson(λ); 0 when λ ≤ 0 or λ is not
/// finite.
///
/// # Formula
/// For λ ≤ 30, P(X ≤ k) is summed from k = 0 with pmf(k) = pmf(k−1) λ / k.
/// For larger λ the search starts next to the Cornish–Fisher estimate
/// λ + z√λ + (z² − 1)/6 (z the standard normal quantile of u), takes one exact tail
/// probability there (regularized incomplete gamma: P(X ≤ k) = Q(k+1, λ),
/// P(X > k) = P(k+1, λ)) and walks towards the answer adding the pmf, in the tail
/// that u lies in (the lower tail for u ≤ ½, the upper one otherwise), so the sums
/// only ever add probability and stay accurate far into either tail. That takes
/// O(√λ) work for the incomplete gamma and O(1) steps.
///
/// Rounding cannot stall it: each walk ends at 0, at the median, or when the pmf
/// underflows.
pub fn quantile(lambda: f64, u: f64) -> u64 {
    if !(lambda > 0.0 && lambda.is_finite()) {
        return 0;
    }
    if lambda <= SEQUENTIAL_MAX {
        sequential(lambda, u)
    } else {
        from_estimate(lambda, u)
    }
}

/// Sums the pmf from 0 until the CDF reaches u.
fn sequential(lambda: f64, u: f64) -> u64 {
    let mut p = mathlib::exp(-lambda);
    let mut cdf = p;
    let mut k = 0u64;
    while cdf < u {
        k += 1;
        p *= lambda / k as f64;
        let next = cdf + p;
        // Past the mode the terms shrink; once adding one no longer moves the sum,
        // the CDF has reached 1 in floating point and u lies within rounding of it.
        if next <= cdf && k as f64 > lambda {
            break;
        }
        cdf = next;
    }
    k
}

/// pmf(k) = exp(k ln λ − λ − ln Γ(k + 1)).
fn pmf(lambda: f64, k: u64) -> f64 {
    let k = k as f64;
    (k * lambda.ln() - lambda - ln_gamma(k + 1.0)).exp()
}

/// Large λ: start from the Cornish–Fisher estimate, walk in u's tail.
fn from_estimate(lambda: f64, u: f64) -> u64 {
    let z = -std::f64::consts::SQRT_2 * erfc_inv(2.0 * u);
    let estimate = (lambda + z * lambda.sqrt() + (z * z - 1.0) / 6.0).max(0.0);
    if u <= 0.5 {
        // Find k below the answer (P(X ≤ k) < u), then add pmf(k+1), ... until ≥ u.
        let mut step = 2.0;
        let mut k = (estimate - step).floor().max(0.0) as u64;
        let mut cdf = gamma_ur(k as f64 + 1.0, lambda);
        while cdf >= u {
            if k == 0 {
                return 0;
            }
            step *= 2.0;
            k = (k as f64 - step).max(0.0) as u64;
            cdf = gamma_ur(k as f64 + 1.0, lambda);
        }
        let mut p = pmf(lambda, k);
        while cdf < u {
            k += 1;
            p *= lambda / k as f64;
            if p == 0.0 {
                break;
            }
            cdf += p;
        }
        k
    } else {
        // Find k at or above the answer (P(X > k) ≤ 1 − u), then step down while
        // P(X > k − 1) = P(X > k) + pmf(k) stays ≤ 1 − u.
        let tail = 1.0 - u;
        let mut step = 2.0;
        let mut k = (estimate + step).ceil() as u64;
        let mut sf = gamma_lr(k as f64 + 1.0, lambda);
        while sf > tail {
            step *= 2.0;
            k = (k as f64 + step) as u64;
            sf = gamma_lr(k as f64 + 1.0, lambda);
        }
        let mut p = pmf(lambda, k);
        while k > 0 {
            let above = sf + p;
            if above > tail {
                break;
            }
            sf = above;
            p *= k as f64 / lambda;
            k -= 1;
        }
        k
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use statrs::distribution::{DiscreteCDF, Poisson};

    /// Checks that k is the smallest with P(X ≤ k) ≥ u, comparing in u's tail (the
    /// CDF for u ≤ ½, the survival function against 1 − u otherwise) with a tolerance
    /// of 1e-8 relative to that tail plus 1e-14 absolute: the rounding of the two
    /// computations, not of the answer, which moves by whole units.
    fn check(lambda: f64, u: f64) {
        let k = quantile(lambda, u);
        let law = Poisson::new(lambda).unwrap();
        let (tail, at, below) = if u <= 0.5 {
            let below = if k == 0 { 0.0 } else { law.cdf(k - 1) };
            (u, law.cdf(k), below)
        } else {
            // In survival terms: sf(k) ≤ 1 − u < sf(k − 1).
            let above = if k == 0 { 1.0 } else { law.sf(k - 1) };
            (1.0 - u, 1.0 - law.sf(k), 1.0 - above)
        };
        let tol = 1e-8 * tail + 1e-14;
        if u <= 0.5 {
            assert!(at >= u - tol, "λ {lambda} u {u}: k {k} has cdf {at} < u");
            assert!(
                below < u + tol,
                "λ {lambda} u {u}: k − 1 already has cdf {below}"
            );
        } else {
            let (sf_at, sf_below) = (1.0 - at, 1.0 - below);
            assert!(
                sf_at <= tail + tol,
                "λ {lambda} u {u}: k {k} has sf {sf_at}"
            );
            assert!(
                sf_below > tail - tol,
                "λ {lambda} u {u}: k − 1 has sf {sf_below}"
            );
        }
    }

    const LAMBDAS: [f64; 9] = [0.5, 3.0, 13.8, 30.0, 30.5, 100.0, 1234.5, 1e4, 1e6];

    fn unit_grid() -> Vec<f64> {
        let mut us = vec![
            f64::EPSILON / 4.0,
            1e-12,
            1e-6,
            0.001,
            0.5,
            1.0 - 1e-6,
            1.0 - 1e-12,
            1.0 - f64::EPSILON,
        ];
        us.extend((1..200).map(|i| i as f64 / 200.0 - 0.0013));
        us.retain(|&u| u > 0.0 && u < 1.0);
        us
    }

    #[test]
    fn agrees_with_the_statrs_cdf() {
        for lambda in LAMBDAS {
            for u in unit_grid() {
                check(lambda, u);
            }
        }
    }

    #[test]
    fn zero_or_invalid_rate_gives_zero() {
        assert_eq!(quantile(0.0, 0.999), 0);
        assert_eq!(quantile(-1.0, 0.5), 0);
        assert_eq!(quantile(f64::NAN, 0.5), 0);
        assert_eq!(quantile(0.5, 0.5), 0);
        assert_eq!(quantile(0.5, 0.7), 1);
    }

    #[test]
    fn monotone_in_the_rate() {
        for u in unit_grid() {
            let mut last = 0;
            let mut lambda = 0.01;
            while lambda < 2e5 {
                let k = quantile(lambda, u);
                assert!(k >= last, "u {u}: λ {lambda} gives {k} < {last}");
                last = k;
                lambda *= 1.07;
            }
        }
    }

    #[test]
    fn large_rate_stays_near_the_mean() {
        let k = quantile(1e6, 0.5);
        assert!((k as f64 - 1e6).abs() <= 1.0);
    }
}
