//! Count, mean, variance and extremes of one position, exact across batches.
//!
//! While a batch runs, [`Batch`] keeps shifted sums: with `c` the first value of
//! the batch (0 if that is not finite), `s1 = Σ (x − c)`, `s2 = Σ (x − c)²` over
//! the finite values and `nb` their count (no division per value). At the end of the batch [`Moments::fold`] adds the
//! batch's power sums to exact accumulators,
//!
//! `Σ x = nb c + s1`, `Σ x² = nb c² + 2 c s1 + s2`,
//!
//! each product split into doubles by [`two_prod`], so the accumulators hold
//! the *exact* sums of per-batch numbers and merging batches in any grouping or
//! order gives the same state to the bit. The shift keeps `s1` and `s2` accurate
//! (they see only deviations from `c`), and the final centring is done exactly
//! (see [`Moments::summary`]).

use serde::{Deserialize, Serialize};

use super::exact::{ExactSum, two_prod};
use super::{PositionSummary, float_from_text, float_text};

/// Shifted sums of one position over the current batch.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Batch {
    /// Shift: the batch's first value, or 0 if that value is not finite.
    pub c: f64,
    /// `Σ (x − c)` over the finite values.
    pub s1: f64,
    /// `Σ (x − c)²` over the finite values.
    pub s2: f64,
    /// Smallest and largest finite value of the batch (+inf and −inf while
    /// `nb = 0`); between −0 and +0 the one seen first.
    pub min: f64,
    pub max: f64,
    /// Number of finite values.
    pub nb: u64,
    /// Number of NaN values.
    pub undefined: u64,
    /// Number of ±inf values.
    pub non_finite: u64,
}

impl Batch {
    /// An empty batch.
    pub const EMPTY: Batch = Batch {
        c: 0.0,
        s1: 0.0,
        s2: 0.0,
        min: f64::INFINITY,
        max: f64::NEG_INFINITY,
        nb: 0,
        undefined: 0,
        non_finite: 0,
    };

    /// Records one value; the batch's first value fixes the shift (as
    /// [`Batches::push`] does for a whole record).
    #[cfg(test)]
    pub fn push(&mut self, x: f64) {
        if self.is_empty() {
            self.start(x);
        }
        self.add(x);
    }

    /// Sets the shift from the batch's first value `x` (0 if `x` is not finite).
    #[inline(always)]
    fn start(&mut self, x: f64) {
        self.c = if x.is_finite() { x } else { 0.0 };
    }

    /// Records one value of a batch whose shift is set.
    #[inline(always)]
    fn add(&mut self, x: f64) {
        if x.is_finite() {
            let d = x - self.c;
            self.s1 += d;
            self.s2 += d * d;
            self.nb += 1;
            // Explicit comparisons, not f64::min/max (whose choice between −0
            // and +0 is unspecified): a tie keeps the earlier value.
            if x < self.min {
                self.min = x;
            }
            if x > self.max {
                self.max = x;
            }
        } else if x.is_nan() {
            self.undefined += 1;
        } else {
            self.non_finite += 1;
        }
    }

    /// Whether nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.nb == 0 && self.undefined == 0 && self.non_finite == 0
    }
}

/// The open batch of every position of a record, one [`Batch`] (one cache line)
/// per position in position order, so a path's update streams through memory once.
#[derive(Clone, Debug, Default)]
pub(crate) struct Batches {
    lanes: Vec<Batch>,
    /// Whether a record was added since the last [`clear`](Batches::clear).
    started: bool,
}

impl Batches {
    /// Empty sums for `len` positions.
    pub fn new(len: usize) -> Self {
        Batches {
            lanes: vec![Batch::EMPTY; len],
            started: false,
        }
    }

    /// Number of positions.
    pub fn len(&self) -> usize {
        self.lanes.len()
    }

    /// Adds one path's record: value `j` to position `j`. The batch's first
    /// record sets every position's shift in a pass of its own, so the pass of
    /// every record has no first-value test.
    #[inline]
    pub fn push(&mut self, record: &[f64]) {
        if !self.started {
            self.started = true;
            for (lane, &x) in self.lanes.iter_mut().zip(record) {
                lane.start(x);
            }
        }
        for (lane, &x) in self.lanes.iter_mut().zip(record) {
            lane.add(x);
        }
    }

    /// The open batch of position `j`.
    pub fn get(&self, j: usize) -> Batch {
        self.lanes[j]
    }

    /// Folds every position's open batch into `moments` (one per position) and
    /// clears the batch: how a closed batch joins the exact sums.
    pub fn fold_into(&mut self, moments: &mut [Moments]) {
        for (j, m) in moments.iter_mut().enumerate() {
            let b = self.get(j);
            if !b.is_empty() {
                m.fold(&b);
            }
        }
        self.clear();
    }

    /// Empties every position.
    pub fn clear(&mut self) {
        self.lanes.fill(Batch::EMPTY);
        self.started = false;
    }
}

/// Exact moments of one position over all folded batches.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(into = "MomentsRepr", try_from = "MomentsRepr")]
pub(crate) struct Moments {
    /// Number of finite values.
    pub n: u64,
    /// Number of NaN values ("undefined on this path").
    pub undefined: u64,
    /// Number of ±inf values.
    pub non_finite: u64,
    /// Smallest and largest finite value (`None` while `n = 0`).
    pub min: Option<f64>,
    pub max: Option<f64>,
    /// Exact `Σ x` over batches, as `Σ_b (nb c + s1)`.
    pub sum: ExactSum,
    /// Exact `Σ x²` over batches, as `Σ_b (nb c² + 2 c s1 + s2)`.
    pub sum_sq: ExactSum,
    /// Whether a batch's terms overflowed the double range (values beyond ~1e154):
    /// then the sums are incomplete and the mean and sd are NaN.
    pub overflow: bool,
}

/// Smaller of two optional values by total order (so −0 < +0, independent of order).
fn min_total(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(if b.total_cmp(&a).is_lt() { b } else { a }),
        (a, None) => a,
        (None, b) => b,
    }
}

/// Larger of two optional values by total order.
fn max_total(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(if b.total_cmp(&a).is_gt() { b } else { a }),
        (a, None) => a,
        (None, b) => b,
    }
}

impl Moments {
    /// Adds a finished batch.
    ///
    /// # Formula
    ///
    /// `Σ x += nb c + s1`, `Σ x² += nb c² + 2 c s1 + s2`, every product added as
    /// its exact two-double split (`nb c²` as `nb · (c² hi)` and `nb · (c² lo)`).
    pub fn fold(&mut self, b: &Batch) {
        self.undefined += b.undefined;
        self.non_finite += b.non_finite;
        if b.nb == 0 {
            return;
        }
        self.n += b.nb;
        self.min = min_total(self.min, Some(b.min));
        self.max = max_total(self.max, Some(b.max));
        let nb = b.nb as f64;
        let (p, pe) = two_prod(nb, b.c);
        let (cc, cce) = two_prod(b.c, b.c);
        let (q, qe) = two_prod(nb, cc);
        let (r, re) = two_prod(nb, cce);
        let (t, te) = two_prod(2.0 * b.c, b.s1);
        let linear = [p, pe, b.s1];
        let square = [q, qe, r, re, t, te, b.s2];
        if linear.iter().chain(&square).all(|v| v.is_finite()) {
            linear.iter().for_each(|&v| self.sum.add(v));
            square.iter().for_each(|&v| self.sum_sq.add(v));
        } else {
            self.overflow = true;
        }
    }

    /// Adds everything `other` has folded.
    pub fn merge(&mut self, other: &Moments) {
        self.n += other.n;
        self.undefined += other.undefined;
        self.non_finite += other.non_finite;
        self.min = min_total(self.min, other.min);
        self.max = max_total(self.max, other.max);
        self.sum.merge(&other.sum);
        self.sum_sq.merge(&other.sum_sq);
        self.overflow |= other.overflow;
    }

    /// Count, mean, sd, se and extremes; floats NaN when undefined.
    ///
    /// # Formula
    ///
    /// With `A = Σ x`, `Q = Σ x²` (exact) and `m₀ = fl(A / n)`:
    /// `D = A − n m₀` and `Q' = Q − 2 m₀ A + n m₀² = Σ (x − m₀)²` are formed
    /// exactly (A enters through its three-term expansion, which leaves less than
    /// `2⁻¹⁵⁹ |A|` out); then `mean = m₀ + D / n`, `M2 = max(0, Q' − D² / n)`,
    /// `sd = √(M2 / (n − 1))`, `se = sd / √n`. This evaluates `M2 = Q − A² / n`
    /// without cancellation: `Q'` is already centred.
    ///
    /// With `n = 1`, `sd` and `se` are NaN (undefined), not 0: one value says
    /// nothing about the spread, and a 0 would read as a mean known exactly. The
    /// files write them as empty cells (summary.csv, timeseries.csv,
    /// fairness.csv, a set's summary.csv), the report and terminal say why, and a
    /// `--precision` target is not met by them (a NaN half-width is never within
    /// it). A merge gives the same, as it merges the sums before this is taken.
    pub fn summary(&self) -> PositionSummary {
        let mut s = PositionSummary {
            n: self.n,
            undefined: self.undefined,
            non_finite: self.non_finite,
            mean: f64::NAN,
            sd: f64::NAN,
            se: f64::NAN,
            min: self.min.unwrap_or(f64::NAN),
            max: self.max.unwrap_or(f64::NAN),
        };
        if self.n == 0 || self.overflow {
            return s;
        }
        let n = self.n as f64;
        let m0 = self.sum.to_f64() / n;
        let mut d = self.sum.clone();
        let mut centred = self.sum_sq.clone();
        let (p, pe) = two_prod(n, m0);
        let (mm, mme) = two_prod(m0, m0);
        let (q, qe) = two_prod(n, mm);
        let (r, re) = two_prod(n, mme);
        let mut ok = [p, pe, q, qe, r, re].iter().all(|v| v.is_finite());
        if ok {
            d.add(-p);
            d.add(-pe);
            for v in [q, qe, r, re] {
                centred.add(v);
            }
            for a in self.sum.expansion::<3>() {
                let (t, te) = two_prod(-2.0 * m0, a);
                ok &= t.is_finite() && te.is_finite();
                if ok {
                    centred.add(t);
                    centred.add(te);
                }
            }
        }
        if !ok {
            return s;
        }
        let d = d.to_f64();
        s.mean = m0 + d / n;
        if self.n > 1 {
            let m2 = (centred.to_f64() - d * d / n).max(0.0);
            s.sd = (m2 / (n - 1.0)).sqrt();
            s.se = s.sd / n.sqrt();
        }
        s
    }
}

/// Serialised moments: extremes as shortest round-trip text.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct MomentsRepr {
    n: u64,
    undefined: u64,
    non_finite: u64,
    min: Option<String>,
    max: Option<String>,
    sum: ExactSum,
    sum_sq: ExactSum,
    overflow: bool,
}

impl From<Moments> for MomentsRepr {
    fn from(m: Moments) -> Self {
        MomentsRepr {
            n: m.n,
            undefined: m.undefined,
            non_finite: m.non_finite,
            min: m.min.map(float_text),
            max: m.max.map(float_text),
            sum: m.sum,
            sum_sq: m.sum_sq,
            overflow: m.overflow,
        }
    }
}

impl TryFrom<MomentsRepr> for Moments {
    type Error = String;

    fn try_from(r: MomentsRepr) -> Result<Self, String> {
        let min = r.min.as_deref().map(float_from_text).transpose()?;
        let max = r.max.as_deref().map(float_from_text).transpose()?;
        match (min, max) {
            (None, None) if r.n == 0 => {}
            (Some(a), Some(b)) if r.n > 0 && a.total_cmp(&b).is_le() => {}
            _ => return Err(format!("min/max inconsistent with n = {}", r.n)),
        }
        Ok(Moments {
            n: r.n,
            undefined: r.undefined,
            non_finite: r.non_finite,
            min,
            max,
            sum: r.sum,
            sum_sq: r.sum_sq,
            overflow: r.overflow,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A deterministic, irregular test sequence.
    fn wiggly(i: usize) -> f64 {
        let x = i as f64;
        1000.0 * (x * 0.7).sin() + 0.01 * x + 50.0
    }

    /// Mean and sd by two passes, the mean from an exact sum.
    fn two_pass(values: &[f64]) -> (f64, f64) {
        let n = values.len() as f64;
        let mut s = ExactSum::new();
        values.iter().for_each(|&v| s.add(v));
        let mean = s.to_f64() / n;
        let ss: f64 = values.iter().map(|v| (v - mean) * (v - mean)).sum();
        (mean, (ss / (n - 1.0)).sqrt())
    }

    /// Moments of `values` in batches of `b`, one `Moments` per batch.
    fn batches(values: &[f64], b: usize) -> Vec<Moments> {
        values
            .chunks(b)
            .map(|chunk| {
                let mut batch = Batch::EMPTY;
                chunk.iter().for_each(|&x| batch.push(x));
                let mut m = Moments::default();
                m.fold(&batch);
                m
            })
            .collect()
    }

    fn merged<'a>(parts: impl IntoIterator<Item = &'a Moments>) -> Moments {
        let mut total = Moments::default();
        parts.into_iter().for_each(|p| total.merge(p));
        total
    }

    fn rel_close(a: f64, b: f64, rel: f64) {
        assert!((a - b).abs() <= rel * b.abs(), "{a} vs {b} (rel {rel})");
    }

    #[test]
    fn mean_and_sd_match_two_pass() {
        for n in [2, 10, 1000, 5000] {
            let values: Vec<f64> = (0..n).map(wiggly).collect();
            let (mean, sd) = two_pass(&values);
            for b in [1, 7, 64, 10_000] {
                let s = merged(&batches(&values, b)).summary();
                assert_eq!(s.n, n as u64);
                rel_close(s.mean, mean, 1e-12);
                rel_close(s.sd, sd, 1e-12);
                rel_close(s.se, sd / (n as f64).sqrt(), 1e-12);
            }
        }
    }

    #[test]
    // Exact values: one value's mean is itself, and √2/√2 is 1.
    #[allow(clippy::float_cmp)]
    fn one_value_has_a_mean_but_no_spread() {
        // sd and se of one value are undefined (NaN), not 0: a 0 would read as a
        // mean known exactly. Merged from an empty part, the same.
        let one = merged(&batches(&[163.5], 1));
        let s = one.summary();
        assert_eq!((s.n, s.mean), (1, 163.5));
        assert!(s.sd.is_nan() && s.se.is_nan(), "{s:?}");
        let s = merged([&Moments::default(), &one]).summary();
        assert!(s.mean == 163.5 && s.sd.is_nan() && s.se.is_nan(), "{s:?}");
        // Two values have both.
        let s = merged(&batches(&[1.0, 3.0], 1)).summary();
        assert_eq!((s.sd, s.se), (2f64.sqrt(), 1.0));
    }

    #[test]
    fn large_level_small_noise() {
        // 1e9 + noise of sd ~1e-3: the hard case for Σx² − (Σx)²/n.
        let values: Vec<f64> = (0..100_000)
            .map(|i| 1e9 + 1.4e-3 * ((i as f64) * 0.618_033_988_7).sin())
            .collect();
        let (mean, sd) = two_pass(&values);
        assert!((sd - 1e-3).abs() < 1e-4, "reference sd {sd}");
        for b in [1, 64, 1000] {
            let s = merged(&batches(&values, b)).summary();
            rel_close(s.mean, mean, 1e-15);
            rel_close(s.sd, sd, 1e-6);
        }
        // Batches whose shift is far from the global mean.
        let values: Vec<f64> = (0..10_000)
            .map(|i| 1e9 + if i % 100 == 0 { 1.0 } else { 0.0 } + 1e-3 * (i as f64).cos())
            .collect();
        let (mean, sd) = two_pass(&values);
        let s = merged(&batches(&values, 100)).summary();
        rel_close(s.mean, mean, 1e-15);
        rel_close(s.sd, sd, 1e-9);
    }

    #[test]
    fn any_grouping_is_bit_identical() {
        let values: Vec<f64> = (0..6400).map(|i| wiggly(i) * 1e6 + 1e9).collect();
        let parts = batches(&values, 64);
        let forward = merged(&parts);
        let backward = merged(parts.iter().rev());
        // A tree: pairs merged, then the pairs merged in a scrambled order.
        let pairs: Vec<Moments> = parts.chunks(2).map(merged).collect();
        let mut order: Vec<usize> = (0..pairs.len()).collect();
        order.sort_by_key(|&i| (i * 37) % pairs.len());
        let tree = merged(order.iter().map(|&i| &pairs[i]));
        for m in [&backward, &tree] {
            assert_eq!(m, &forward);
            let (a, b) = (m.summary(), forward.summary());
            assert_eq!(a.mean.to_bits(), b.mean.to_bits());
            assert_eq!(a.sd.to_bits(), b.sd.to_bits());
            assert_eq!(
                serde_json::to_string(m).expect("serialise"),
                serde_json::to_string(&forward).expect("serialise")
            );
        }
    }

    #[test]
    fn a_record_updates_each_position_on_its_own() {
        // Three records over three positions, values worked out by hand: position 0
        // shifts by its first value 10, position 1 by 0 (its first value is NaN),
        // position 2 holds only non-finite values.
        let mut b = Batches::new(3);
        for record in [
            [10.0, f64::NAN, f64::INFINITY],
            [12.0, 1e300, f64::NAN],
            [7.0, -1e300, f64::NEG_INFINITY],
        ] {
            b.push(&record);
        }
        let p0 = b.get(0);
        assert_eq!(p0.c.to_bits(), 10f64.to_bits());
        assert_eq!(p0.s1.to_bits(), (-1f64).to_bits()); // 0 + 2 − 3
        assert_eq!(p0.s2.to_bits(), 13f64.to_bits()); // 0 + 4 + 9
        assert_eq!((p0.min, p0.max, p0.nb), (7.0f64, 12.0f64, 3));
        let p1 = b.get(1);
        assert_eq!(
            (p1.c.to_bits(), p1.nb, p1.undefined),
            (0f64.to_bits(), 2, 1)
        );
        assert_eq!(p1.s1.to_bits(), 0f64.to_bits()); // 1e300 − 1e300
        assert_eq!(
            (p1.min.to_bits(), p1.max.to_bits()),
            ((-1e300f64).to_bits(), 1e300f64.to_bits())
        );
        let p2 = b.get(2);
        assert_eq!((p2.nb, p2.undefined, p2.non_finite), (0, 1, 2));
        b.clear();
        assert!((0..3).all(|j| b.get(j).is_empty()));
        // Alternating zeros: a tie keeps the zero seen first (here −0).
        let mut b = Batches::new(1);
        for x in [-0.0, 0.0, -0.0, 0.0, f64::NAN, 0.0] {
            b.push(&[x]);
        }
        assert_eq!(b.get(0).min.to_bits(), (-0.0f64).to_bits());
        assert_eq!(b.get(0).max.to_bits(), (-0.0f64).to_bits());
    }

    #[test]
    fn counts_extremes_and_degenerate_cases() {
        let mut batch = Batch::EMPTY;
        for x in [
            f64::NAN,
            2.0,
            f64::INFINITY,
            -0.0,
            f64::NEG_INFINITY,
            0.0,
            f64::NAN,
            5.0,
        ] {
            batch.push(x);
        }
        let mut m = Moments::default();
        m.fold(&batch);
        let s = m.summary();
        assert_eq!((s.n, s.undefined, s.non_finite), (4, 2, 2));
        assert_eq!(s.min.to_bits(), (-0.0f64).to_bits());
        assert_eq!(s.max.to_bits(), 5.0f64.to_bits());
        assert_eq!(s.mean.to_bits(), 1.75f64.to_bits());

        let empty = Moments::default().summary();
        assert_eq!(empty.n, 0);
        assert!(
            [empty.mean, empty.sd, empty.se, empty.min, empty.max]
                .iter()
                .all(|v| v.is_nan())
        );
        let mut only_nan = Batch::EMPTY;
        only_nan.push(f64::NAN);
        let mut m = Moments::default();
        m.fold(&only_nan);
        assert_eq!((m.summary().n, m.summary().undefined), (0, 1));
        assert!(m.summary().mean.is_nan());

        // One value: a mean, but sd and se undefined (one_value_has_…).
        let one = merged(&batches(&[42.5], 1)).summary();
        assert_eq!((one.n, one.mean.to_bits()), (1, 42.5f64.to_bits()));
        assert!(one.sd.is_nan() && one.se.is_nan());
        // Constant values: sd exactly 0.
        let c = merged(&batches(&[0.1; 999], 10)).summary();
        assert_eq!(c.mean.to_bits(), 0.1f64.to_bits());
        assert_eq!(c.sd.to_bits(), 0);
        // Squares beyond the double range: mean and sd undefined, extremes kept
        // (the engine never lets such values through: see the next test).
        let huge = merged(&batches(&[1e200, -1e200], 2)).summary();
        assert!(huge.mean.is_nan() && huge.sd.is_nan());
        assert_eq!(huge.max.to_bits(), 1e200f64.to_bits());
    }

    #[test]
    fn values_up_to_the_engines_result_limit_keep_their_mean_and_sd() {
        // The engine refuses results beyond ±1e100 (MAX_RESULT_MAGNITUDE) so that the
        // sums of squares never overflow: batches of 256 values of ±1e100 (the worst
        // case), 4,096 batches merged, give a finite mean and sd, exactly.
        let limit = crate::engine::MAX_RESULT_MAGNITUDE;
        let values: Vec<f64> = (0..256)
            .map(|i| if i % 2 == 0 { limit } else { -limit })
            .collect();
        let one = merged(&batches(&values, 256));
        let mut total = Moments::default();
        for _ in 0..4096 {
            total.merge(&one);
        }
        let s = total.summary();
        assert!(!total.overflow);
        // Within a batch, sums are in floating point: the mean is 0 to rounding.
        assert!(s.mean.abs() <= 1e-15 * limit, "{}", s.mean);
        // n/(n − 1) · 1e200, n = 2²⁰.
        let n = (256 * 4096) as f64;
        rel_close(s.sd, limit * (n / (n - 1.0)).sqrt(), 1e-15);
        // All of one sign: the largest sums.
        let same = merged(&batches(&[limit; 256], 256)).summary();
        assert_eq!(
            (same.mean.to_bits(), same.sd.to_bits()),
            (limit.to_bits(), 0f64.to_bits())
        );
    }
}
