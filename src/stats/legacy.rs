//! Legacy streaming accumulator (Welford + DDSketch), kept until the engine switches
//! to [`RecordStats`](super::RecordStats).
//!
//! An [`Accumulator`] summarises any number of values in bounded memory: the
//! mean and variance are updated with Welford's algorithm and combined with the
//! parallel formula of Chan et al.; quantiles are exact while at most
//! [`EXACT_LIMIT`] values have been seen and come from a DDSketch with relative
//! accuracy [`RELATIVE_ACCURACY`] afterwards. Accumulators built on separate
//! threads can be merged; for a fixed order of pushes and merges the result is
//! deterministic.

use sketches_ddsketch::{Config, DDSketch};
use std::fmt;

/// Largest number of values whose quantiles are computed exactly.
pub const EXACT_LIMIT: usize = 1024;

/// Relative accuracy of the quantile sketch used beyond [`EXACT_LIMIT`] values.
pub const RELATIVE_ACCURACY: f64 = 0.005;

/// Maximum number of bins per sign in the quantile sketch (bounds its memory).
const MAX_BINS: u32 = 4096;

/// Values with an absolute value at or below this are counted as zero by the sketch.
const SKETCH_MIN_VALUE: f64 = 1e-9;

/// Quantile state: exact values while few, a sketch afterwards.
#[derive(Clone)]
enum Quantiles {
    /// All values seen so far (at most [`EXACT_LIMIT`]), in arrival order.
    Exact(Vec<f64>),
    /// Sketch of all values seen so far.
    Sketch(Box<DDSketch>),
}

/// A new empty sketch with the module's configuration.
fn new_sketch() -> DDSketch {
    DDSketch::new(Config::new(RELATIVE_ACCURACY, MAX_BINS, SKETCH_MIN_VALUE))
}

/// Exact quantile of sorted values by linear interpolation (Hyndman–Fan type 7).
///
/// # Formula
///
/// `h = (n − 1) q`, `Q = x[⌊h⌋] + (h − ⌊h⌋)(x[⌊h⌋ + 1] − x[⌊h⌋])`.
fn type7(sorted: &[f64], q: f64) -> f64 {
    let n = sorted.len();
    if n == 0 || q.is_nan() {
        return f64::NAN;
    }
    let h = (n - 1) as f64 * q.clamp(0.0, 1.0);
    let lo = (h.floor() as usize).min(n - 1);
    let hi = (lo + 1).min(n - 1);
    sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
}

/// Streaming accumulator of count, mean, variance, extremes and quantiles.
///
/// Non-finite values (NaN, meaning "undefined on this path", and ±inf) are not
/// used: they are only counted in [`Accumulator::undefined`].
#[derive(Clone)]
pub struct Accumulator {
    /// Number of values used.
    n: u64,
    /// Number of values skipped because they were not finite.
    undefined: u64,
    /// Running mean.
    mean: f64,
    /// Running sum of squared deviations from the mean.
    m2: f64,
    /// Smallest and largest value used.
    min: f64,
    max: f64,
    /// Quantile state.
    quantiles: Quantiles,
}

/// Summary of an [`Accumulator`]; every float is NaN when no value was used.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Summary {
    /// Number of values used (undefined values excluded).
    pub n: u64,
    /// Sample mean.
    pub mean: f64,
    /// Sample standard deviation, `√(M2 / (n − 1))`; 0 when `n = 1`.
    pub sd: f64,
    /// Standard error of the mean, `sd / √n`.
    pub se: f64,
    /// 5th percentile.
    pub p05: f64,
    /// 25th percentile.
    pub p25: f64,
    /// Median.
    pub p50: f64,
    /// 75th percentile.
    pub p75: f64,
    /// 95th percentile.
    pub p95: f64,
}

impl Default for Accumulator {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for Accumulator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mode = match &self.quantiles {
            Quantiles::Exact(v) => format!("exact({} values)", v.len()),
            Quantiles::Sketch(s) => format!("sketch({} bins)", s.length()),
        };
        f.debug_struct("Accumulator")
            .field("n", &self.n)
            .field("undefined", &self.undefined)
            .field("mean", &self.mean)
            .field("m2", &self.m2)
            .field("min", &self.min)
            .field("max", &self.max)
            .field("quantiles", &mode)
            .finish()
    }
}

impl Accumulator {
    /// An empty accumulator.
    pub fn new() -> Self {
        Accumulator {
            n: 0,
            undefined: 0,
            mean: 0.0,
            m2: 0.0,
            min: f64::INFINITY,
            max: f64::NEG_INFINITY,
            quantiles: Quantiles::Exact(Vec::new()),
        }
    }

    /// Adds one value. NaN (undefined on this path, e.g. no IRR) and ±inf are
    /// not used; they only increase [`Accumulator::undefined`].
    ///
    /// # Formula
    ///
    /// Welford: `n ← n + 1`, `δ = x − mean`, `mean ← mean + δ/n`,
    /// `M2 ← M2 + δ (x − mean)`.
    pub fn push(&mut self, x: f64) {
        if !x.is_finite() {
            self.undefined += 1;
            return;
        }
        self.n += 1;
        let delta = x - self.mean;
        self.mean += delta / self.n as f64;
        self.m2 += delta * (x - self.mean);
        self.min = self.min.min(x);
        self.max = self.max.max(x);
        match &mut self.quantiles {
            Quantiles::Exact(values) if values.len() < EXACT_LIMIT => values.push(x),
            Quantiles::Exact(values) => {
                let mut sketch = new_sketch();
                for v in values.iter() {
                    sketch.add(*v);
                }
                sketch.add(x);
                self.quantiles = Quantiles::Sketch(Box::new(sketch));
            }
            Quantiles::Sketch(sketch) => sketch.add(x),
        }
    }

    /// Adds everything `other` has seen, as if its values had been pushed here.
    ///
    /// # Formula
    ///
    /// Chan et al.: with `δ = mean_b − mean_a` and `n = n_a + n_b`,
    /// `mean = mean_a + δ n_b / n`, `M2 = M2_a + M2_b + δ² n_a n_b / n`.
    /// Quantile parts: exact values are concatenated while the total stays
    /// ≤ [`EXACT_LIMIT`]; otherwise both sides are combined in a sketch.
    pub fn merge(&mut self, other: &Accumulator) {
        self.undefined += other.undefined;
        if other.n == 0 {
            return;
        }
        if self.n == 0 {
            let undefined = self.undefined;
            *self = other.clone();
            self.undefined = undefined;
            return;
        }
        let (na, nb) = (self.n as f64, other.n as f64);
        let n = na + nb;
        let delta = other.mean - self.mean;
        self.mean += delta * nb / n;
        self.m2 += other.m2 + delta * delta * na * nb / n;
        self.n += other.n;
        self.min = self.min.min(other.min);
        self.max = self.max.max(other.max);

        let mine = std::mem::replace(&mut self.quantiles, Quantiles::Exact(Vec::new()));
        self.quantiles = match (mine, &other.quantiles) {
            (Quantiles::Exact(mut a), Quantiles::Exact(b)) if a.len() + b.len() <= EXACT_LIMIT => {
                a.extend_from_slice(b);
                Quantiles::Exact(a)
            }
            (Quantiles::Exact(a), Quantiles::Exact(b)) => {
                let mut sketch = new_sketch();
                for v in a.iter().chain(b) {
                    sketch.add(*v);
                }
                Quantiles::Sketch(Box::new(sketch))
            }
            (Quantiles::Exact(a), Quantiles::Sketch(b)) => {
                let mut sketch = new_sketch();
                for v in &a {
                    sketch.add(*v);
                }
                merge_sketch(&mut sketch, b);
                Quantiles::Sketch(Box::new(sketch))
            }
            (Quantiles::Sketch(mut a), Quantiles::Exact(b)) => {
                for v in b {
                    a.add(*v);
                }
                Quantiles::Sketch(a)
            }
            (Quantiles::Sketch(mut a), Quantiles::Sketch(b)) => {
                merge_sketch(&mut a, b);
                Quantiles::Sketch(a)
            }
        };
    }

    /// Number of values used (undefined values excluded).
    pub fn n(&self) -> u64 {
        self.n
    }

    /// Number of values skipped as undefined (NaN or infinite).
    pub fn undefined(&self) -> u64 {
        self.undefined
    }

    /// Mean of the values used; NaN if there are none.
    pub fn mean(&self) -> f64 {
        if self.n == 0 { f64::NAN } else { self.mean }
    }

    /// Quantile `q` in `[0, 1]` (clamped) of the values used; NaN if there are none.
    ///
    /// Exact (type 7 interpolation, see [`Accumulator::summary`]) while
    /// `n ≤ EXACT_LIMIT`; afterwards from the sketch, within relative accuracy
    /// [`RELATIVE_ACCURACY`] of an order statistic, and clamped into the
    /// `[min, max]` seen (so a constant stream returns the constant exactly).
    ///
    /// # Formula
    ///
    /// Exact mode on sorted values `x[0..n]`: `h = (n − 1) q`,
    /// `Q = x[⌊h⌋] + (h − ⌊h⌋)(x[⌊h⌋ + 1] − x[⌊h⌋])`.
    pub fn quantile(&self, q: f64) -> f64 {
        match &self.quantiles {
            Quantiles::Exact(values) => type7(&sorted(values), q),
            Quantiles::Sketch(sketch) => self.sketch_quantile(sketch, q),
        }
    }

    /// Several quantiles at once (the exact values are sorted once); NaN where
    /// there is no value, as in [`Accumulator::quantile`].
    pub fn quantiles(&self, qs: &[f64]) -> Vec<f64> {
        match &self.quantiles {
            Quantiles::Exact(values) => {
                let sorted = sorted(values);
                qs.iter().map(|&q| type7(&sorted, q)).collect()
            }
            Quantiles::Sketch(sketch) => qs
                .iter()
                .map(|&q| self.sketch_quantile(sketch, q))
                .collect(),
        }
    }

    /// Quantile from the sketch, clamped into `[min, max]`.
    fn sketch_quantile(&self, sketch: &DDSketch, q: f64) -> f64 {
        if self.n == 0 || q.is_nan() {
            return f64::NAN;
        }
        // With q in [0, 1] and a non-empty sketch the call returns Ok(Some(_)).
        sketch
            .quantile(q.clamp(0.0, 1.0))
            .ok()
            .flatten()
            .map_or(f64::NAN, |v| v.clamp(self.min, self.max))
    }

    /// Count, mean, sample standard deviation, standard error and the 5th, 25th,
    /// 50th, 75th and 95th percentiles. All floats are NaN when `n = 0`.
    ///
    /// # Formula
    ///
    /// `sd = √(M2 / (n − 1))` (0 when `n = 1`), `se = sd / √n`; percentiles as in
    /// [`Accumulator::quantile`].
    pub fn summary(&self) -> Summary {
        let p = self.quantiles(&[0.05, 0.25, 0.5, 0.75, 0.95]);
        let (sd, se) = match self.n {
            0 => (f64::NAN, f64::NAN),
            1 => (0.0, 0.0),
            n => {
                let sd = (self.m2.max(0.0) / (n - 1) as f64).sqrt();
                (sd, sd / (n as f64).sqrt())
            }
        };
        Summary {
            n: self.n,
            mean: self.mean(),
            sd,
            se,
            p05: p[0],
            p25: p[1],
            p50: p[2],
            p75: p[3],
            p95: p[4],
        }
    }

    /// Number of exactly stored values, `None` once the sketch has taken over.
    #[cfg(test)]
    pub(crate) fn exact_len(&self) -> Option<usize> {
        match &self.quantiles {
            Quantiles::Exact(v) => Some(v.len()),
            Quantiles::Sketch(_) => None,
        }
    }

    /// Number of bins in use by the sketch, `None` in exact mode.
    #[cfg(test)]
    pub(crate) fn sketch_bins(&self) -> Option<usize> {
        match &self.quantiles {
            Quantiles::Exact(_) => None,
            Quantiles::Sketch(s) => Some(s.length()),
        }
    }
}

/// A sorted copy of `values`.
fn sorted(values: &[f64]) -> Vec<f64> {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    v
}

/// Merges sketch `b` into `a`.
fn merge_sketch(a: &mut DDSketch, b: &DDSketch) {
    // Every sketch here is built by `new_sketch`, so the configurations are equal
    // and the merge cannot fail; the result is ignored on that ground.
    let merged = a.merge(b);
    debug_assert!(merged.is_ok(), "sketch configurations differ");
}

#[cfg(test)]
mod tests {
    use super::*;
    use statrs::distribution::{ContinuousCDF, Normal};

    fn assert_close(a: f64, b: f64, tol: f64) {
        assert!(
            (a - b).abs() <= tol * b.abs().max(1.0),
            "{a} vs {b} (tol {tol})"
        );
    }

    fn rel_close(a: f64, b: f64, rel: f64) {
        assert!((a - b).abs() <= rel * b.abs(), "{a} vs {b} (rel {rel})");
    }

    fn from(values: impl IntoIterator<Item = f64>) -> Accumulator {
        let mut acc = Accumulator::new();
        for v in values {
            acc.push(v);
        }
        acc
    }

    /// A deterministic, irregular test sequence.
    fn wiggly(i: usize) -> f64 {
        let x = i as f64;
        1000.0 * (x * 0.7).sin() + 0.01 * x + 50.0
    }

    fn two_pass(values: &[f64]) -> (f64, f64) {
        let n = values.len() as f64;
        let mean = values.iter().sum::<f64>() / n;
        let ss: f64 = values.iter().map(|v| (v - mean) * (v - mean)).sum();
        (mean, (ss / (n - 1.0)).sqrt())
    }

    #[test]
    fn exact_quantiles_match_hand_values() {
        let acc = from((1..=5).map(f64::from));
        let s = acc.summary();
        assert_eq!(s.n, 5);
        assert_close(s.mean, 3.0, 1e-15);
        assert_close(s.sd, 2.5_f64.sqrt(), 1e-15);
        assert_close(s.se, 0.5_f64.sqrt(), 1e-15);
        assert_close(s.p05, 1.2, 1e-15);
        assert_close(s.p25, 2.0, 1e-15);
        assert_close(s.p50, 3.0, 1e-15);
        assert_close(s.p75, 4.0, 1e-15);
        assert_close(s.p95, 4.8, 1e-15);
        assert_close(acc.quantile(0.0), 1.0, 0.0);
        assert_close(acc.quantile(1.0), 5.0, 0.0);
        assert_close(acc.quantile(0.1), 1.4, 1e-15);
        // Order of arrival does not matter.
        let acc = from([10.0, -2.0, 4.0, 7.0]);
        // sorted [-2, 4, 7, 10]; h = 3 q: q = 0.5 → 4 + 0.5·3 = 5.5.
        assert_close(acc.quantile(0.5), 5.5, 1e-15);
        assert_close(acc.quantile(0.9), 7.0 + 0.7 * 3.0, 1e-15);
    }

    #[test]
    fn empty_and_single() {
        let acc = Accumulator::default();
        let s = acc.summary();
        assert_eq!(s.n, 0);
        assert!(s.mean.is_nan() && s.sd.is_nan() && s.se.is_nan() && s.p50.is_nan());
        assert!(acc.mean().is_nan() && acc.quantile(0.5).is_nan());
        let s = from([42.0]).summary();
        assert_eq!(s.n, 1);
        assert_close(s.mean, 42.0, 0.0);
        assert_close(s.sd, 0.0, 0.0);
        assert_close(s.se, 0.0, 0.0);
        assert_close(s.p05, 42.0, 0.0);
        assert_close(s.p95, 42.0, 0.0);
    }

    #[test]
    fn undefined_values_are_counted_apart() {
        let acc = from([1.0, f64::NAN, 2.0, f64::INFINITY, 3.0, f64::NAN]);
        assert_eq!(acc.n(), 3);
        assert_eq!(acc.undefined(), 3);
        assert_close(acc.mean(), 2.0, 1e-15);
        assert_close(acc.quantile(1.0), 3.0, 0.0);
        let only_nan = from([f64::NAN]);
        assert_eq!((only_nan.n(), only_nan.undefined()), (0, 1));
        assert!(only_nan.mean().is_nan());
    }

    #[test]
    fn mean_and_sd_match_two_pass() {
        for n in [2, 10, 1000, 5000] {
            let values: Vec<f64> = (0..n).map(wiggly).collect();
            let (mean, sd) = two_pass(&values);
            let s = from(values.iter().copied()).summary();
            rel_close(s.mean, mean, 1e-12);
            rel_close(s.sd, sd, 1e-12);
            rel_close(s.se, sd / (n as f64).sqrt(), 1e-12);
        }
        // Large offset: Welford stays accurate where the naive sum of squares fails.
        let values: Vec<f64> = (0..1000).map(|i| 1e9 + (i % 7) as f64).collect();
        let (mean, sd) = two_pass(&values);
        let s = from(values.iter().copied()).summary();
        rel_close(s.mean, mean, 1e-14);
        rel_close(s.sd, sd, 1e-9);
    }

    #[test]
    fn exact_limit_boundary() {
        let acc = from((1..=EXACT_LIMIT).map(|i| i as f64));
        assert_eq!(acc.exact_len(), Some(EXACT_LIMIT));
        // Exact: h = 1023 · 0.5 = 511.5 → 512.5.
        assert_close(acc.quantile(0.5), 512.5, 1e-15);
        let mut acc = acc;
        acc.push(1025.0);
        assert_eq!(acc.exact_len(), None);
    }

    #[test]
    fn sketch_quantiles_within_relative_accuracy() {
        const N: usize = 100_000;
        let qs = [0.0, 0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99, 1.0];

        // Integers 1..=N, pushed in a scrambled (but fixed) order.
        let mut acc = Accumulator::new();
        for i in 0..N {
            acc.push(((i * 7919) % N + 1) as f64);
        }
        assert_eq!(acc.exact_len(), None);
        let sorted: Vec<f64> = (1..=N).map(|i| i as f64).collect();
        for q in qs {
            // The sketch answers the order statistic of rank ⌊q (n − 1)⌋ within α.
            let order_stat = sorted[(q * (N - 1) as f64).floor() as usize];
            rel_close(
                acc.quantile(q),
                order_stat,
                RELATIVE_ACCURACY * (1.0 + 1e-9),
            );
            // ... which is within α + one spacing of the type-7 quantile.
            let exact = type7(&sorted, q);
            assert!((acc.quantile(q) - exact).abs() <= RELATIVE_ACCURACY * exact + 1.0);
        }

        // Normal quantiles, N(100, 10) and its mirror image (negative values).
        let normal = Normal::new(100.0, 10.0).expect("valid normal");
        let values: Vec<f64> = (0..N)
            .map(|i| normal.inverse_cdf((i as f64 + 0.5) / N as f64))
            .collect();
        let pos = from(values.iter().copied());
        let neg = from(values.iter().rev().map(|v| -v));
        for q in qs {
            let k = (q * (N - 1) as f64).floor() as usize;
            rel_close(pos.quantile(q), values[k], RELATIVE_ACCURACY * (1.0 + 1e-9));
            let neg_sorted = -values[N - 1 - k];
            rel_close(
                neg.quantile(q),
                neg_sorted,
                RELATIVE_ACCURACY * (1.0 + 1e-9),
            );
        }
        rel_close(pos.quantile(0.5), 100.0, RELATIVE_ACCURACY);
        rel_close(pos.quantile(0.95), 116.448_536_269_514_7, RELATIVE_ACCURACY);
        assert_close(pos.quantile(0.0), values[0], 0.0);
        assert_close(pos.quantile(1.0), values[N - 1], 0.0);
    }

    #[test]
    fn constant_stream_gives_the_constant() {
        let acc = from(std::iter::repeat_n(3.7, 5000));
        assert_eq!(acc.exact_len(), None);
        let s = acc.summary();
        for p in [s.p05, s.p25, s.p50, s.p75, s.p95, acc.quantile(0.0)] {
            assert_eq!(p.to_bits(), 3.7_f64.to_bits());
        }
        assert_close(s.mean, 3.7, 1e-15);
        assert!(s.sd.abs() < 1e-12);
        let acc = from(std::iter::repeat_n(-0.25, 3000));
        assert_eq!(acc.quantile(0.5).to_bits(), (-0.25_f64).to_bits());
    }

    #[test]
    fn merge_equals_sequential_push() {
        for (len_a, len_b) in [
            (0, 10),
            (10, 0),
            (300, 500),
            (600, 600),
            (100, 5000),
            (5000, 100),
            (20_000, 30_000),
        ] {
            let values: Vec<f64> = (0..len_a + len_b).map(wiggly).collect();
            let whole = from(values.iter().copied());
            let mut a = from(values[..len_a].iter().copied());
            let b = from(values[len_a..].iter().copied());
            a.merge(&b);
            let (sa, sw) = (a.summary(), whole.summary());
            assert_eq!(sa.n, sw.n);
            assert_eq!(a.exact_len(), whole.exact_len(), "{len_a} + {len_b}");
            rel_close(sa.mean, sw.mean, 1e-12);
            rel_close(sa.sd, sw.sd, 1e-12);
            for (x, y) in [
                (sa.p05, sw.p05),
                (sa.p25, sw.p25),
                (sa.p50, sw.p50),
                (sa.p75, sw.p75),
                (sa.p95, sw.p95),
            ] {
                // Both within α of the same order statistic.
                assert!((x - y).abs() <= 2.0 * RELATIVE_ACCURACY * y.abs() + 1e-12);
            }
            assert_close(a.quantile(0.0), whole.quantile(0.0), 0.0);
            assert_close(a.quantile(1.0), whole.quantile(1.0), 0.0);
        }
    }

    #[test]
    fn merge_is_deterministic_and_keeps_undefined() {
        let build = || {
            let mut parts: Vec<Accumulator> = (0..4)
                .map(|p| {
                    let mut acc = from((0..3000).map(|i| wiggly(p * 3000 + i)));
                    acc.push(f64::NAN);
                    acc
                })
                .collect();
            let mut total = Accumulator::new();
            for part in parts.drain(..) {
                total.merge(&part);
            }
            total
        };
        let (x, y) = (build(), build());
        assert_eq!(x.undefined(), 4);
        assert_eq!(x.n(), 12_000);
        let (sx, sy) = (x.summary(), y.summary());
        assert_eq!(sx.mean.to_bits(), sy.mean.to_bits());
        assert_eq!(sx.sd.to_bits(), sy.sd.to_bits());
        assert_eq!(sx.p50.to_bits(), sy.p50.to_bits());
        // Merging into an empty accumulator keeps its own undefined count.
        let mut e = from([f64::NAN, f64::NAN]);
        e.merge(&x);
        assert_eq!((e.n(), e.undefined()), (12_000, 6));
    }

    #[test]
    fn memory_is_bounded() {
        let mut acc = Accumulator::new();
        for i in 0..1_000_000 {
            acc.push(wiggly(i) * 1e3 + (i as f64).powi(2));
        }
        assert_eq!(acc.n(), 1_000_000);
        assert_eq!(acc.exact_len(), None);
        let bins = acc.sketch_bins().expect("sketch mode");
        assert!(bins <= 2 * MAX_BINS as usize, "{bins} bins");
        assert!(format!("{acc:?}").contains("sketch("));
    }
}
