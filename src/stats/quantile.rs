//! Mergeable quantiles whose error is bounded relative to the spread.
//!
//! A [`QuantileState`] keeps the values themselves while there are at most
//! [`EXACT_CAP`] of them (quantiles are then exact); beyond that it counts them in
//! a histogram on a [`Grid`] fixed before the run from a deterministic pilot:
//!
//! - the *core*: `K` equal bins covering `center ± 10 s`, where `center` is the
//!   pilot median and `s` the pilot's robust spread (IQR / 1.349);
//! - the *tails*: sparse bins beyond the core edges keyed by
//!   `⌊64 log2(1 + d / w)⌋`, `d` the distance beyond the edge and `w` the core bin
//!   width, so a tail bin is about 1.1 % of its distance from the core wide.
//!
//! A quantile is the type-7 rank `h = (n − 1) q` located in its bin and
//! interpolated linearly inside it, then clamped into `[min, max]`; so its error
//! is at most one bin: `20 s / K` in the core. Counts are integers, so merging
//! adds them exactly and the state depends only on the multiset of values.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use super::{float_from_text, float_text};

/// Largest number of values a [`QuantileState`] keeps exactly.
pub const EXACT_CAP: usize = 1024;

/// Half-width of the histogram core in units of the pilot's robust spread.
pub const CORE_HALF_WIDTH: f64 = 10.0;

/// Tail bins per doubling of the distance beyond the core (resolution `2^(1/64) − 1 ≈ 1.1 %`).
pub const TAIL_STEPS_PER_OCTAVE: f64 = 64.0;

/// Ratio of the interquartile range to the standard deviation of a normal law.
const IQR_PER_SD: f64 = 1.349;

/// Histogram bins fixed before a run; identical on every worker.
///
/// The core is `[lo, lo + bins · width)`, split into `bins` bins of `width`.
/// For integer-valued measures `width` is a whole number ≥ 1 and `lo` sits half a
/// unit below an integer, so every bin holds exactly `width` integers.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(into = "GridRepr", try_from = "GridRepr")]
pub struct Grid {
    /// Lower edge of the core.
    lo: f64,
    /// Width of a core bin (> 0).
    width: f64,
    /// `1 / width`, so that binning needs no division.
    inv_width: f64,
    /// Number of core bins (≥ 1).
    bins: usize,
    /// Whether the measure is integer-valued.
    integer: bool,
}

impl PartialEq for Grid {
    /// Bitwise equality (grids are compared to check that two states can merge).
    fn eq(&self, other: &Self) -> bool {
        self.lo.to_bits() == other.lo.to_bits()
            && self.width.to_bits() == other.width.to_bits()
            && self.bins == other.bins
            && self.integer == other.integer
    }
}

impl Grid {
    /// The grid for one position from the pilot's values of it (the first
    /// `min(1024, N)` paths); non-finite pilot values are ignored.
    ///
    /// # Formula
    ///
    /// `center` = pilot median (type 7); `s = IQR / 1.349`, or the pilot standard
    /// deviation if the IQR is 0, or `max(|center|, 1) · 10⁻⁹` if that is 0 too;
    /// core `center ± 10 s` in `bins` equal bins (`bins` at least 1). Integer
    /// measures: `width = max(1, ⌈20 s / bins⌉)` and `lo = round(center) −
    /// ⌊bins / 2⌋ width − ½`.
    pub fn from_pilot(values: &[f64], bins: usize, integer: bool) -> Grid {
        let bins = bins.max(1);
        let mut finite: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
        // Order-statistic selections (linear time) give the same type-7 values as a
        // sort would.
        let (center, mut s) = match quartiles_by_selection(&mut finite) {
            Some([q25, q50, q75]) => (q50, (q75 - q25) / IQR_PER_SD),
            None => (0.0, 0.0),
        };
        if !(s > 0.0 && s.is_finite()) {
            // Rare (a pilot with no spread between its quartiles): sorted first, so the
            // sum runs in one order whatever the selections left.
            finite.sort_unstable_by(f64::total_cmp);
            s = sample_sd(&finite);
        }
        if !(s > 0.0 && s.is_finite()) {
            s = center.abs().max(1.0) * 1e-9;
        }
        // Keeps the core edges finite for any finite center.
        let s = s.min(1e300);
        let span = 2.0 * CORE_HALF_WIDTH * s;
        let (lo, width) = if integer {
            let width = (span / bins as f64).ceil().max(1.0);
            (center.round() - (bins / 2) as f64 * width - 0.5, width)
        } else {
            (center - CORE_HALF_WIDTH * s, span / bins as f64)
        };
        Grid::new(lo, width, bins, integer)
    }

    /// A grid from its parts (checked by the callers).
    fn new(lo: f64, width: f64, bins: usize, integer: bool) -> Grid {
        Grid {
            lo,
            width,
            inv_width: 1.0 / width,
            bins,
            integer,
        }
    }

    /// Lower edge of the core and `1 / width` (the binning parameters).
    pub(crate) fn binning(&self) -> (f64, f64) {
        (self.lo, self.inv_width)
    }

    /// Width of a core bin.
    pub fn width(&self) -> f64 {
        self.width
    }

    /// Lower and upper edges of the core.
    pub fn core(&self) -> (f64, f64) {
        (self.lo, self.lo + self.bins as f64 * self.width)
    }

    /// Number of core bins.
    pub fn bins(&self) -> usize {
        self.bins
    }

    /// Whether the grid is aligned to integers.
    pub fn integer(&self) -> bool {
        self.integer
    }

    /// Edges of tail bin `key` at `u = d / w` units beyond the core edge.
    fn tail_span(key: i32) -> (f64, f64) {
        let at = |k: i32| (f64::from(k) / TAIL_STEPS_PER_OCTAVE).exp2() - 1.0;
        (at(key), at(key.saturating_add(1)))
    }
}

/// Sample standard deviation (two-pass); 0 for fewer than two values.
fn sample_sd(values: &[f64]) -> f64 {
    if values.len() < 2 {
        return 0.0;
    }
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    (values.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / (n - 1.0)).sqrt()
}

/// Serialised grid: floats as shortest round-trip text.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct GridRepr {
    lo: String,
    width: String,
    bins: usize,
    integer: bool,
}

impl From<Grid> for GridRepr {
    fn from(g: Grid) -> Self {
        GridRepr {
            lo: float_text(g.lo),
            width: float_text(g.width),
            bins: g.bins,
            integer: g.integer,
        }
    }
}

impl TryFrom<GridRepr> for Grid {
    type Error = String;

    fn try_from(r: GridRepr) -> Result<Self, String> {
        let lo = float_from_text(&r.lo)?;
        let width = float_from_text(&r.width)?;
        if width <= 0.0 || r.bins == 0 {
            return Err(format!(
                "grid needs width > 0 and bins ≥ 1, got {width} and {}",
                r.bins
            ));
        }
        if r.integer && width.fract() != 0.0 {
            return Err(format!("integer grid needs a whole width, got {width}"));
        }
        Ok(Grid::new(lo, width, r.bins, r.integer))
    }
}

/// Where a finite value falls on a grid: `Ok(core bin)` or `Err((above, tail key))`.
///
/// The one binning rule, shared by [`Histogram`] and the flat tables of
/// [`super::RecordStats`]: `t = (x − lo) / width` (as a product with the
/// reciprocal), core bin `⌊t⌋` for `0 ≤ t < bins`, else a tail.
#[inline]
pub(crate) fn locate(x: f64, lo: f64, inv_width: f64, bins: f64) -> Result<usize, (bool, i32)> {
    let t = (x - lo) * inv_width;
    if t >= 0.0 && t < bins {
        // t ≥ 0, so the truncation is the floor.
        Ok(t as usize)
    } else if t < 0.0 {
        Err((false, tail_key(-t)))
    } else {
        Err((true, tail_key(t - bins)))
    }
}

/// Tail key of a value `u = d / w ≥ 0` core-bin widths beyond the core edge.
#[inline]
fn tail_key(u: f64) -> i32 {
    // Saturating float-to-int conversion: u = inf gives i32::MAX.
    (TAIL_STEPS_PER_OCTAVE * u.ln_1p() * std::f64::consts::LOG2_E).floor() as i32
}

/// Counts on a [`Grid`]: dense core, sparse tails.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Histogram {
    /// Counts of the core bins.
    core: Vec<u64>,
    /// Counts below the core by tail key (larger key = farther below).
    below: BTreeMap<i32, u64>,
    /// Counts above the core by tail key (larger key = farther above).
    above: BTreeMap<i32, u64>,
}

impl Histogram {
    /// An empty histogram on `grid`.
    fn new(grid: &Grid) -> Self {
        Histogram {
            core: vec![0; grid.bins],
            below: BTreeMap::new(),
            above: BTreeMap::new(),
        }
    }

    /// Counts the finite value `x`.
    #[inline]
    fn add(&mut self, x: f64, grid: &Grid) {
        match locate(x, grid.lo, grid.inv_width, grid.bins as f64) {
            Ok(i) => self.core[i] += 1,
            Err((false, key)) => *self.below.entry(key).or_insert(0) += 1,
            Err((true, key)) => *self.above.entry(key).or_insert(0) += 1,
        }
    }

    /// A histogram from its parts: core counts (one per core bin) and tails.
    pub(crate) fn from_parts(
        core: Vec<u64>,
        below: BTreeMap<i32, u64>,
        above: BTreeMap<i32, u64>,
    ) -> Self {
        Histogram { core, below, above }
    }

    /// Adds the counts of `other` (on the same grid).
    fn merge(&mut self, other: &Histogram) {
        for (a, b) in self.core.iter_mut().zip(&other.core) {
            *a += b;
        }
        for (k, c) in &other.below {
            *self.below.entry(*k).or_insert(0) += c;
        }
        for (k, c) in &other.above {
            *self.above.entry(*k).or_insert(0) += c;
        }
    }

    /// Number of values counted.
    fn total(&self) -> u64 {
        self.core.iter().sum::<u64>()
            + self.below.values().sum::<u64>()
            + self.above.values().sum::<u64>()
    }

    /// Non-empty bins in ascending order of value: `(count, low edge, high edge)`.
    fn ascending(&self, grid: &Grid) -> Vec<(u64, f64, f64)> {
        let (core_lo, core_hi) = grid.core();
        let w = grid.width;
        let mut out = Vec::new();
        for (&k, &c) in self.below.iter().rev() {
            let (u0, u1) = Grid::tail_span(k);
            out.push((c, core_lo - w * u1, core_lo - w * u0));
        }
        for (i, &c) in self.core.iter().enumerate() {
            if c > 0 {
                let a = grid.lo + i as f64 * w;
                out.push((c, a, a + w));
            }
        }
        for (&k, &c) in &self.above {
            let (u0, u1) = Grid::tail_span(k);
            out.push((c, core_hi + w * u0, core_hi + w * u1));
        }
        out
    }
}

/// Quantile state of one position: exact values or a histogram.
#[derive(Clone, Debug, PartialEq)]
pub enum QuantileState {
    /// The values themselves (at most [`EXACT_CAP`] unless no grid was given).
    Exact(Vec<f64>),
    /// Counts on the position's grid.
    Histogram(Histogram),
}

impl Default for QuantileState {
    fn default() -> Self {
        QuantileState::Exact(Vec::new())
    }
}

impl QuantileState {
    /// Records the finite value `x`. Beyond [`EXACT_CAP`] values the state turns
    /// into a histogram on `grid`; the engine must then supply a grid (without
    /// one the values are kept exactly — a precondition violation checked in
    /// debug builds, reported by merge and parsing as [`super::StatsError::NoGrid`]).
    #[inline]
    pub fn push(&mut self, x: f64, grid: Option<&Grid>) {
        match self {
            QuantileState::Exact(values) => {
                if values.len() < EXACT_CAP {
                    values.push(x);
                } else if let Some(grid) = grid {
                    let mut h = Histogram::new(grid);
                    for &v in values.iter() {
                        h.add(v, grid);
                    }
                    h.add(x, grid);
                    *self = QuantileState::Histogram(h);
                } else {
                    debug_assert!(
                        false,
                        "more than {EXACT_CAP} quantile values without a grid"
                    );
                    values.push(x);
                }
            }
            QuantileState::Histogram(h) => match grid {
                Some(grid) => h.add(x, grid),
                None => unreachable!("a histogram exists only with a grid"),
            },
        }
    }

    /// Number of values recorded.
    pub fn count(&self) -> u64 {
        match self {
            QuantileState::Exact(v) => v.len() as u64,
            QuantileState::Histogram(h) => h.total(),
        }
    }

    /// Whether merging `other` into this state needs a grid.
    pub fn merge_needs_grid(&self, other: &QuantileState) -> bool {
        match (self, other) {
            (QuantileState::Exact(a), QuantileState::Exact(b)) => a.len() + b.len() > EXACT_CAP,
            _ => true,
        }
    }

    /// Adds everything `other` recorded. The caller checks
    /// [`QuantileState::merge_needs_grid`] first: `grid` must then be `Some`.
    pub fn merge(&mut self, other: &QuantileState, grid: Option<&Grid>) {
        if let (QuantileState::Exact(a), QuantileState::Exact(b)) = (&mut *self, other) {
            if a.len() + b.len() <= EXACT_CAP {
                a.extend_from_slice(b);
                return;
            }
        }
        let Some(grid) = grid else {
            unreachable!("merge_needs_grid was checked by the caller");
        };
        if let QuantileState::Exact(values) = self {
            let mut h = Histogram::new(grid);
            for &v in values.iter() {
                h.add(v, grid);
            }
            *self = QuantileState::Histogram(h);
        }
        let QuantileState::Histogram(h) = self else {
            unreachable!("converted just above");
        };
        match other {
            QuantileState::Exact(values) => values.iter().for_each(|&v| h.add(v, grid)),
            QuantileState::Histogram(o) => h.merge(o),
        }
    }

    /// Quantiles `qs` (each clamped into `[0, 1]`; NaN gives NaN), NaN when no
    /// value was recorded. `min`/`max` are the extremes of the recorded values.
    ///
    /// # Formula
    ///
    /// Type 7, `h = (n − 1) q`: exactly `x[⌊h⌋] + (h − ⌊h⌋)(x[⌊h⌋+1] − x[⌊h⌋])`
    /// on the sorted values; on a histogram the bin holding rank `h`, with
    /// `C` values before it and `k` in it over `[a, b)`, gives
    /// `a + (h − C + ½)(b − a) / k` (kept inside `[a, b]`), clamped into `[min, max]`.
    /// Integer measures use the lower rank `r = ⌊h⌋`: exactly `x[r]`; on a
    /// histogram the same interpolation at `r`, rounded to the nearest integer
    /// inside the bin (exact when the bin width is 1). The extreme ranks give `min`
    /// and `max` exactly. Integer results are never `−0` (`+0` instead).
    pub fn quantiles(
        &self,
        qs: &[f64],
        integer: bool,
        grid: Option<&Grid>,
        min: f64,
        max: f64,
    ) -> Vec<f64> {
        match self {
            QuantileState::Exact(values) => {
                let sorted = sorted_total(values);
                qs.iter()
                    .map(|&q| {
                        if integer {
                            // + 0.0 turns −0 into +0 (and changes nothing else).
                            lower(&sorted, q) + 0.0
                        } else {
                            type7(&sorted, q)
                        }
                    })
                    .collect()
            }
            QuantileState::Histogram(h) => {
                let Some(grid) = grid else {
                    unreachable!("a histogram exists only with a grid");
                };
                let bins = h.ascending(grid);
                let n = h.total();
                qs.iter()
                    .map(|&q| {
                        let x = histogram_quantile(&bins, n, q, integer, min, max);
                        // Integer results are never −0 (+ 0.0 changes nothing else).
                        if integer { x + 0.0 } else { x }
                    })
                    .collect()
            }
        }
    }

    /// The mean of the lowest share `alpha` of the values (the expected shortfall,
    /// CVaR) and its standard error; `None` when no value was recorded or `alpha`
    /// is not in (0, 1].
    ///
    /// # Formula
    /// With the values sorted, k = α n of them form the tail (the last one with
    /// weight k − ⌊k⌋): CVaR = Σ w_i x_i / k. Its standard error is the
    /// asymptotic one of the estimator, √((V + (1 − α)(q − CVaR)²) / (α n)), with
    /// V the variance of the tail values and q the α-quantile (the tail's largest
    /// value). On a histogram each bin stands for its midpoint (clamped into
    /// `[min, max]`), so the error is at most one bin width, as for quantiles.
    /// With at most 1/α values (k ≤ 1: 20 paths for the 5% tail) the tail is
    /// one value or a part of one, whose spread the formula reads as 0: the
    /// standard error is then NaN (undefined), as a mean's is with one value.
    pub fn lower_tail(
        &self,
        alpha: f64,
        grid: Option<&Grid>,
        min: f64,
        max: f64,
    ) -> Option<(f64, f64)> {
        let n = self.count();
        if n == 0 || !(alpha > 0.0 && alpha <= 1.0) {
            return None;
        }
        // Ascending (count, value) pieces.
        let pieces: Vec<(f64, f64)> = match self {
            QuantileState::Exact(values) => {
                sorted_total(values).into_iter().map(|x| (1.0, x)).collect()
            }
            QuantileState::Histogram(h) => {
                let grid = grid?;
                h.ascending(grid)
                    .into_iter()
                    .map(|(c, a, b)| (c as f64, (0.5 * (a + b)).clamp(min, max)))
                    .collect()
            }
        };
        let k = alpha * n as f64;
        let (mut taken, mut sum, mut sum_sq, mut q) = (0.0, 0.0, 0.0, f64::NAN);
        for (c, x) in pieces {
            let w = c.min(k - taken);
            if w <= 0.0 {
                break;
            }
            taken += w;
            sum += w * x;
            sum_sq += w * x * x;
            q = x;
        }
        let cvar = sum / taken;
        let variance = (sum_sq / taken - cvar * cvar).max(0.0);
        let se = if k <= 1.0 {
            f64::NAN
        } else {
            ((variance + (1.0 - alpha) * (q - cvar).powi(2)) / k).sqrt()
        };
        Some((cvar, se))
    }

    /// Canonical form: exact values sorted (by total order).
    pub fn canonicalise(&mut self) {
        if let QuantileState::Exact(v) = self {
            *v = sorted_total(v);
        }
    }
}

/// One quantile from ascending bins; see [`QuantileState::quantiles`].
fn histogram_quantile(
    bins: &[(u64, f64, f64)],
    n: u64,
    q: f64,
    integer: bool,
    min: f64,
    max: f64,
) -> f64 {
    if n == 0 || q.is_nan() {
        return f64::NAN;
    }
    let mut h = (n - 1) as f64 * q.clamp(0.0, 1.0);
    if integer {
        h = h.floor();
    }
    // The extreme ranks are known exactly.
    if h <= 0.0 {
        return min;
    }
    if h >= (n - 1) as f64 {
        return max;
    }
    let mut before = 0u64;
    for &(k, a, b) in bins {
        if h < (before + k) as f64 {
            let x = (a + (h - before as f64 + 0.5) / k as f64 * (b - a)).clamp(a, b);
            let x = if integer {
                x.round()
                    .clamp((a + 0.5).ceil(), (b - 0.5).floor().max((a + 0.5).ceil()))
            } else {
                x
            };
            return x.clamp(min, max);
        }
        before += k;
    }
    max
}

/// `values` sorted in [`f64::total_cmp`]'s order, the same bits as
/// `sort_unstable_by(f64::total_cmp)` in about half its time: each value's bits
/// become the signed integer that `total_cmp` compares (its very definition), the
/// integers are sorted, and turned back (the map is its own inverse).
pub fn sorted_total(values: &[f64]) -> Vec<f64> {
    // Negative values get every bit but the sign flipped; others stay.
    let flip = |b: i64| b ^ ((((b >> 63) as u64) >> 1) as i64);
    let mut keys: Vec<i64> = values.iter().map(|x| flip(x.to_bits() as i64)).collect();
    keys.sort_unstable();
    keys.into_iter()
        .map(|k| f64::from_bits(flip(k) as u64))
        .collect()
}

/// [`type7`] of `values` (in any order, reordered in place) without sorting them:
/// the two order statistics it needs, by selection.
fn type7_by_selection(values: &mut [f64], q: f64) -> f64 {
    let n = values.len();
    let h = (n - 1) as f64 * q.clamp(0.0, 1.0);
    let lo = (h.floor() as usize).min(n - 1);
    let (_, &mut a, rest) = values.select_nth_unstable_by(lo, f64::total_cmp);
    let b = rest.iter().copied().min_by(f64::total_cmp).unwrap_or(a);
    a + (h - lo as f64) * (b - a)
}

/// The type-7 quartiles (P25, P50, P75) of `values` (reordered in place) by
/// selection, `None` if empty: the median's selection splits the values, and each
/// outer quartile is selected within its half only. The same numbers, to the bit,
/// as [`type7`] of the sorted values.
fn quartiles_by_selection(values: &mut [f64]) -> Option<[f64; 3]> {
    let n = values.len();
    if n < 4 {
        return (n > 0).then(|| [0.25, 0.5, 0.75].map(|q| type7_by_selection(values, q)));
    }
    let rank = |q: f64| {
        let h = (n - 1) as f64 * q;
        (h.floor() as usize, h - h.floor())
    };
    let interpolate = |a: f64, b: f64, frac: f64| a + frac * (b - a);
    let smallest = |v: &[f64]| v.iter().copied().min_by(f64::total_cmp);
    let ((l25, f25), (m, f50), (l75, f75)) = (rank(0.25), rank(0.5), rank(0.75));
    // For n ≥ 4, l25 < m ≤ l75.
    let (left, &mut median, right) = values.select_nth_unstable_by(m, f64::total_cmp);
    let next = smallest(right).unwrap_or(median);
    let q50 = interpolate(median, next, f50);
    let (_, &mut a, rest) = left.select_nth_unstable_by(l25, f64::total_cmp);
    let q25 = interpolate(a, smallest(rest).unwrap_or(median), f25);
    let q75 = if l75 == m {
        interpolate(median, next, f75)
    } else {
        let (_, &mut a, rest) = right.select_nth_unstable_by(l75 - m - 1, f64::total_cmp);
        interpolate(a, smallest(rest).unwrap_or(a), f75)
    };
    Some([q25, q50, q75])
}

/// Exact quantile of sorted values by linear interpolation (Hyndman–Fan type 7).
///
/// # Formula
///
/// `h = (n − 1) q`, `Q = x[⌊h⌋] + (h − ⌊h⌋)(x[⌊h⌋ + 1] − x[⌊h⌋])`.
pub fn type7(sorted: &[f64], q: f64) -> f64 {
    let n = sorted.len();
    if n == 0 || q.is_nan() {
        return f64::NAN;
    }
    let h = (n - 1) as f64 * q.clamp(0.0, 1.0);
    let lo = (h.floor() as usize).min(n - 1);
    let hi = (lo + 1).min(n - 1);
    sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
}

/// Exact lower-rank quantile of sorted values (an order statistic, for integer measures).
///
/// # Formula
///
/// `Q = x[⌊(n − 1) q⌋]`.
pub fn lower(sorted: &[f64], q: f64) -> f64 {
    let n = sorted.len();
    if n == 0 || q.is_nan() {
        return f64::NAN;
    }
    sorted[(((n - 1) as f64 * q.clamp(0.0, 1.0)).floor() as usize).min(n - 1)]
}

/// A histogram's counts as [`QuantileRepr::Histogram`] holds them, checked
/// against its grid: core bins inside the grid and ascending, tail keys
/// non-negative and ascending, no zero count, a total that fits.
pub(crate) struct Sparse {
    /// Non-zero core bins `(index, count)`, ascending.
    pub(crate) core: Vec<(usize, u64)>,
    /// Tail counts below the core by key.
    pub(crate) below: BTreeMap<i32, u64>,
    /// Tail counts above the core by key.
    pub(crate) above: BTreeMap<i32, u64>,
    /// Sum of every count.
    pub(crate) total: u64,
}

impl Sparse {
    /// The counts of a serialised histogram on `grid`, checked.
    pub(crate) fn checked(
        core: Vec<(usize, u64)>,
        below: Vec<(i32, u64)>,
        above: Vec<(i32, u64)>,
        grid: &Grid,
    ) -> Result<Sparse, String> {
        let overflow = || "histogram counts beyond 2^64".to_owned();
        let mut total = 0u64;
        let mut last = None;
        for &(i, c) in &core {
            if i >= grid.bins || c == 0 || last.is_some_and(|l| l >= i) {
                return Err(format!("bad core bin {i} (count {c})"));
            }
            total = total.checked_add(c).ok_or_else(overflow)?;
            last = Some(i);
        }
        let mut tails = [BTreeMap::new(), BTreeMap::new()];
        for (side, pairs) in tails.iter_mut().zip([below, above]) {
            let mut last = None;
            for (k, c) in pairs {
                if k < 0 || c == 0 || last.is_some_and(|l| l >= k) {
                    return Err(format!("bad tail bin {k} (count {c})"));
                }
                total = total.checked_add(c).ok_or_else(overflow)?;
                side.insert(k, c);
                last = Some(k);
            }
        }
        let [below, above] = tails;
        Ok(Sparse {
            core,
            below,
            above,
            total,
        })
    }
}

/// A position's exact values, serialised: as text in a human-readable format
/// (JSON, whose numbers serde_json reads back exactly only with a feature this
/// crate does not use), as the doubles themselves in a binary one (a partial's
/// postcard bytes: 8 bytes a value, and no formatting, where the text took about
/// 25 bytes and a few hundred instructions to write and to read).
#[derive(Clone, Debug)]
pub(crate) struct ExactValues(pub(crate) Vec<f64>);

impl Serialize for ExactValues {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if s.is_human_readable() {
            s.collect_seq(self.0.iter().map(|&x| float_text(x)))
        } else {
            s.collect_seq(&self.0)
        }
    }
}

impl<'de> Deserialize<'de> for ExactValues {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<ExactValues, D::Error> {
        if d.is_human_readable() {
            Vec::<String>::deserialize(d)?
                .iter()
                .map(|t| float_from_text(t))
                .collect::<Result<Vec<f64>, _>>()
                .map(ExactValues)
                .map_err(serde::de::Error::custom)
        } else {
            let values = Vec::<f64>::deserialize(d)?;
            match values.iter().find(|x| !x.is_finite()) {
                None => Ok(ExactValues(values)),
                Some(x) => Err(serde::de::Error::custom(format!(
                    "expected a finite number, got {x}"
                ))),
            }
        }
    }
}

/// Serialised quantile state: exact values, or sparse histogram counts.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
pub(crate) enum QuantileRepr {
    /// Sorted values.
    Exact(ExactValues),
    /// Non-zero core bins `(index, count)` ascending, and tails `(key, count)`.
    Histogram {
        core: Vec<(usize, u64)>,
        below: Vec<(i32, u64)>,
        above: Vec<(i32, u64)>,
    },
}

impl QuantileRepr {
    /// The canonical form of `state`.
    pub(crate) fn of(state: &QuantileState) -> Self {
        match state {
            QuantileState::Exact(v) => {
                let mut v = v.clone();
                v.sort_unstable_by(f64::total_cmp);
                QuantileRepr::Exact(ExactValues(v))
            }
            QuantileState::Histogram(h) => QuantileRepr::Histogram {
                core: h
                    .core
                    .iter()
                    .copied()
                    .enumerate()
                    .filter(|p| p.1 > 0)
                    .collect(),
                below: h.below.iter().map(|(k, c)| (*k, *c)).collect(),
                above: h.above.iter().map(|(k, c)| (*k, *c)).collect(),
            },
        }
    }

    /// Exact values read back, checked to be sorted.
    pub(crate) fn exact_values(values: ExactValues) -> Result<Vec<f64>, String> {
        let ExactValues(values) = values;
        if values.is_sorted_by(|a, b| a.total_cmp(b).is_le()) {
            Ok(values)
        } else {
            Err("exact values must be sorted".into())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use statrs::distribution::{ContinuousCDF, Normal};

    /// A xorshift64 sequence from `state` (test data, not the engine's streams).
    fn xorshift(mut state: u64) -> impl FnMut() -> u64 {
        move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        }
    }

    #[test]
    fn quartiles_by_selection_are_type7_of_the_sorted_values_to_the_bit() {
        // Sizes around the small-n fallback and odd/even splits, values with ties,
        // ±0 and a wide range, each against a full sort.
        let mut next = xorshift(0x2545_f491_4f6c_dd1d);
        for n in (0..40).chain([255, 256, 1023, 1024]) {
            for _ in 0..20 {
                let mut values: Vec<f64> = (0..n)
                    .map(|_| match next() % 7 {
                        0 => 0.0,
                        1 => -0.0,
                        2 => 1.0,
                        3 => -1e300,
                        _ => (next() % 1000) as f64 / 7.0 - 50.0,
                    })
                    .collect();
                let mut sorted = values.clone();
                sorted.sort_by(f64::total_cmp);
                let got = quartiles_by_selection(&mut values);
                let want = (n > 0).then(|| [0.25, 0.5, 0.75].map(|q| type7(&sorted, q)));
                assert_eq!(
                    got.map(|q| q.map(f64::to_bits)),
                    want.map(|q| q.map(f64::to_bits)),
                    "n = {n}: {got:?} against {want:?}"
                );
            }
        }
    }

    #[test]
    fn sorted_total_is_the_total_order_sort_to_the_bit() {
        // Every class of double: ±0, subnormals, ±inf, NaNs of both signs and
        // payloads, ties, and random bit patterns.
        let mut next = xorshift(0x9e37_79b9_7f4a_7c15);
        let special = [
            0.0,
            -0.0,
            f64::MIN_POSITIVE / 4.0,
            -f64::MIN_POSITIVE / 4.0,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
            -f64::NAN,
            f64::from_bits(0x7ff0_0000_0000_0001),
            f64::MAX,
            f64::MIN,
            1.0,
            -1.0,
        ];
        for n in [0, 1, 2, 3, 20, 257, 1000, 1025] {
            let values: Vec<f64> = (0..n)
                .map(|_| match next() % 3 {
                    0 => special[(next() % special.len() as u64) as usize],
                    1 => (next() % 100) as f64 - 50.0,
                    _ => f64::from_bits(next()),
                })
                .collect();
            let mut want = values.clone();
            want.sort_unstable_by(f64::total_cmp);
            let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&sorted_total(&values)), bits(&want), "n = {n}");
        }
    }

    /// SplitMix64: a tiny portable generator for test data.
    struct SplitMix(u64);

    impl SplitMix {
        fn uniform(&mut self) -> f64 {
            self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^= z >> 31;
            ((z >> 11) as f64 + 0.5) / (1u64 << 53) as f64
        }
    }

    /// `n` standard normal draws (inverse CDF of SplitMix uniforms, seed fixed).
    fn normals(n: usize, seed: u64) -> Vec<f64> {
        let z = Normal::standard();
        let mut g = SplitMix(seed);
        (0..n).map(|_| z.inverse_cdf(g.uniform())).collect()
    }

    fn state_of(values: &[f64], grid: Option<&Grid>) -> QuantileState {
        let mut s = QuantileState::default();
        values.iter().for_each(|&v| s.push(v, grid));
        s
    }

    fn extremes(values: &[f64]) -> (f64, f64) {
        let min = values.iter().copied().fold(f64::INFINITY, f64::min);
        let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        (min, max)
    }

    const LEVELS: [f64; 5] = [0.01, 0.05, 0.5, 0.95, 0.99];

    /// Largest error of the histogram quantiles at [`LEVELS`] in units of `sd`,
    /// with the pilot the first 1024 values.
    fn max_error_in_sd(values: &[f64], bins: usize, sd: f64) -> f64 {
        let grid = Grid::from_pilot(&values[..1024], bins, false);
        let state = state_of(values, Some(&grid));
        assert!(matches!(state, QuantileState::Histogram(_)));
        let (min, max) = extremes(values);
        let got = state.quantiles(&LEVELS, false, Some(&grid), min, max);
        let mut sorted = values.to_vec();
        sorted.sort_unstable_by(f64::total_cmp);
        LEVELS
            .iter()
            .zip(&got)
            .map(|(&q, &g)| (g - type7(&sorted, q)).abs() / sd)
            .fold(0.0, f64::max)
    }

    #[test]
    fn lower_tail_is_the_mean_of_the_worst_share_with_the_asymptotic_error() {
        // 1 … 100: the worst 5 % are 1 … 5 (mean 3); 5.5 % takes half of the 6.
        let values: Vec<f64> = (1..=100).rev().map(f64::from).collect();
        let s = state_of(&values, None);
        let (cvar, se) = s.lower_tail(0.05, None, 1.0, 100.0).expect("values");
        assert!((cvar - 3.0).abs() < 1e-12);
        // Tail variance 2 (of 1 … 5), q = 5: √((2 + 0.95 · 4) / 5).
        assert!((se - ((2.0 + 0.95 * 4.0) / 5.0_f64).sqrt()).abs() < 1e-12);
        let (cvar, _) = s.lower_tail(0.055, None, 1.0, 100.0).expect("values");
        assert!((cvar - 18.0 / 5.5).abs() < 1e-12);
        assert_eq!(s.lower_tail(0.0, None, 1.0, 100.0), None);
        assert_eq!(
            QuantileState::default().lower_tail(0.05, None, 0.0, 0.0),
            None
        );
        // At most 20 values: the worst 5% is one value or a part of one, with no
        // spread to estimate (the formula would give 0).
        for n in [1, 19, 20] {
            let few: Vec<f64> = (1..=n).map(f64::from).collect();
            let (cvar, se) = state_of(&few, None)
                .lower_tail(0.05, None, 1.0, f64::from(n))
                .expect("values");
            assert!(
                (cvar - 1.0).abs() < 1e-12 && se.is_nan(),
                "{n}: {cvar} {se}"
            );
        }
        let more: Vec<f64> = (1..=21).map(f64::from).collect();
        let (_, se) = state_of(&more, None)
            .lower_tail(0.05, None, 1.0, 21.0)
            .expect("values");
        assert!(se.is_finite(), "{se}");

        // A normal sample: the histogram agrees with the exact tail within a bin,
        // and both with the normal's CVaR, −φ(z_0.05) / 0.05 = −2.0627, within 4 se.
        let z = normals(200_000, 11);
        let grid = Grid::from_pilot(&z[..1024], 1024, false);
        let (min, max) = extremes(&z);
        let exact = QuantileState::Exact(z.clone())
            .lower_tail(0.05, None, min, max)
            .expect("values");
        let binned = state_of(&z, Some(&grid));
        assert!(matches!(binned, QuantileState::Histogram(_)));
        let (cvar, se) = binned
            .lower_tail(0.05, Some(&grid), min, max)
            .expect("values");
        assert!(
            (cvar - exact.0).abs() <= grid.width(),
            "{cvar} vs {}",
            exact.0
        );
        assert!((se - exact.1).abs() <= 0.01 * exact.1);
        let normal = Normal::standard();
        let want = -statrs::distribution::Continuous::pdf(&normal, normal.inverse_cdf(0.05)) / 0.05;
        assert!((want + 2.0627).abs() < 1e-4, "{want}");
        assert!(
            (exact.0 - want).abs() <= 4.0 * exact.1,
            "{exact:?} vs {want}"
        );
    }

    #[test]
    fn exact_mode_is_type7() {
        let s = state_of(&[3.0, 1.0, 5.0, 2.0, 4.0], None);
        let got = s.quantiles(
            &[0.0, 0.05, 0.1, 0.25, 0.5, 0.95, 1.0],
            false,
            None,
            1.0,
            5.0,
        );
        let want = [1.0, 1.2, 1.4, 2.0, 3.0, 4.8, 5.0];
        for (g, w) in got.iter().zip(want) {
            assert!((g - w).abs() < 1e-15, "{got:?}");
        }
        // sorted [-2, 4, 7, 10]: q = 0.5 → 5.5, q = 0.9 → 7 + 0.7·3.
        let s = state_of(&[10.0, -2.0, 4.0, 7.0], None);
        let got = s.quantiles(&[0.5, 0.9], false, None, -2.0, 10.0);
        assert!(
            (got[0] - 5.5).abs() < 1e-15 && (got[1] - 9.1).abs() < 1e-14,
            "{got:?}"
        );
        // Integer measures: the lower rank, an order statistic.
        let got = s.quantiles(&[0.5, 0.9, 1.0], true, None, -2.0, 10.0);
        assert_eq!(got, vec![4.0, 7.0, 10.0]);
        assert!(QuantileState::default().quantiles(&[0.5], false, None, 0.0, 0.0)[0].is_nan());
    }

    #[test]
    fn same_state_from_any_grouping_or_order() {
        let values: Vec<f64> = normals(5000, 7)
            .iter()
            .map(|z| 100.0 + 10.0 * z.powi(3))
            .collect();
        let grid = Grid::from_pilot(&values[..1024], 512, false);
        let g = Some(&grid);
        let whole = state_of(&values, g);
        let mut reversed = values.clone();
        reversed.reverse();
        // Small exact parts merged (unions, then the switch to a histogram) ...
        let mut parts: Vec<QuantileState> = values.chunks(300).map(|c| state_of(c, g)).collect();
        parts.reverse();
        let mut merged = QuantileState::default();
        for p in &parts {
            merged.merge(p, g);
        }
        // ... and a histogram merged into an exact state.
        let mut small = state_of(&values[..10], g);
        small.merge(&state_of(&values[10..], g), g);
        for other in [state_of(&reversed, g), merged, small] {
            assert_eq!(other, whole);
            let (min, max) = extremes(&values);
            let a = other.quantiles(&LEVELS, false, g, min, max);
            let b = whole.quantiles(&LEVELS, false, g, min, max);
            assert_eq!(
                a.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
                b.iter().map(|v| v.to_bits()).collect::<Vec<_>>()
            );
        }
        // Exact unions: the same sorted multiset.
        let mut a = state_of(&values[..500], g);
        a.merge(&state_of(&values[500..1000], g), g);
        let mut b = state_of(&values[500..1000], g);
        b.merge(&state_of(&values[..500], g), g);
        a.canonicalise();
        b.canonicalise();
        assert_eq!(a, b);
        assert!(matches!(a, QuantileState::Exact(ref v) if v.len() == 1000));
        assert!(!a.merge_needs_grid(&state_of(&values[..24], g)));
        assert!(a.merge_needs_grid(&state_of(&values[..25], g)));
    }

    #[test]
    fn histogram_error_is_a_small_fraction_of_the_spread() {
        const N: usize = 1_000_000;
        let z = normals(N, 2024);
        let normal: Vec<f64> = z.iter().map(|z| 1e9 + 1e7 * z).collect();
        let lognormal: Vec<f64> = z.iter().map(|z| z.exp()).collect();
        let tiny: Vec<f64> = z.iter().map(|z| 1e-12 * (1.0 + 0.1 * z)).collect();
        let lognormal_sd = ((1f64.exp() - 1.0) * 1f64.exp()).sqrt();
        let errors = [
            ("N(1e9, 1e7)", max_error_in_sd(&normal, 1024, 1e7)),
            (
                "lognormal(0, 1)",
                max_error_in_sd(&lognormal, 1024, lognormal_sd),
            ),
            ("1e-12 (1 + 0.1 z)", max_error_in_sd(&tiny, 1024, 1e-13)),
            ("N(1e9, 1e7), 256 bins", max_error_in_sd(&normal, 256, 1e7)),
        ];
        for (name, e) in errors {
            println!("{name}: max error at P1, P5, P50, P95, P99 = {e:.2e} sd");
            assert!(e < 0.02, "{name}: {e} sd");
        }
    }

    #[test]
    fn integer_measures_give_integers() {
        let z = normals(20_000, 3);
        for (scale, bins) in [(3.0, 2048), (30.0, 512), (1e5, 512)] {
            let values: Vec<f64> = z.iter().map(|z| (500.0 + scale * z).round()).collect();
            let grid = Grid::from_pilot(&values[..1024], bins, true);
            assert!(grid.width() >= 1.0 && grid.width().fract() == 0.0);
            let state = state_of(&values, Some(&grid));
            let (min, max) = extremes(&values);
            let qs = [0.0, 0.01, 0.25, 0.5, 0.9, 0.99, 1.0];
            let got = state.quantiles(&qs, true, Some(&grid), min, max);
            let mut sorted = values.clone();
            sorted.sort_unstable_by(f64::total_cmp);
            for (q, g) in qs.iter().zip(&got) {
                assert!(g.fract() == 0.0, "{g}");
                let want = lower(&sorted, *q);
                if grid.width().to_bits() == 1f64.to_bits() {
                    assert_eq!(g.to_bits(), want.to_bits(), "q {q}");
                } else {
                    assert!((g - want).abs() <= grid.width(), "q {q}: {g} vs {want}");
                }
            }
        }
    }

    #[test]
    fn pilot_fallbacks_and_tails() {
        // IQR 0: the sd is used; sd 0: a tiny relative spread.
        let mostly_zero: Vec<f64> = (0..1000)
            .map(|i| if i % 10 == 0 { 5.0 } else { 0.0 })
            .collect();
        let g = Grid::from_pilot(&mostly_zero, 100, false);
        assert!(g.width() > 0.05, "{g:?}");
        let g = Grid::from_pilot(&[7.0; 50], 100, false);
        assert!((g.width() - 7.0 * 2.0 * CORE_HALF_WIDTH * 1e-9 / 100.0).abs() < 1e-20);
        let g = Grid::from_pilot(&[f64::NAN], 0, false);
        assert_eq!(g.bins(), 1);
        // Values far outside the core land in tail bins within ~1.1 % of their distance.
        let grid = Grid::from_pilot(&normals(1024, 1), 64, false);
        let far = [-1e6, -3e3, -50.0, 40.0, 1e4, 1e300];
        let mut state = state_of(&normals(2000, 9), Some(&grid));
        far.iter().for_each(|&v| state.push(v, Some(&grid)));
        let n = state.count() as f64;
        let qs = [0.0, 1.5 / (n - 1.0), 2.5 / (n - 1.0), 1.0];
        let got = state.quantiles(&qs, false, Some(&grid), -1e6, 1e300);
        assert_eq!(got[0].to_bits(), (-1e6f64).to_bits());
        assert!((got[1] + 3e3).abs() < 0.012 * 3e3, "{got:?}");
        assert!((got[2] + 50.0).abs() < 0.012 * 50.0, "{got:?}");
        assert_eq!(got[3].to_bits(), 1e300f64.to_bits());
    }
}
