//! Sensitivity analysis (MODEL.md §9, issue 11 point 5): which uncertain input
//! drives each result, by four methods (docs/sensitivity.md).
//!
//! - **tornado**: each input at its P10 and at its P90, every other input at its
//!   base (its median, `u = 0.5`); the swing is the paired difference of the two.
//! - **spider**: each input over its range ([`SPIDER_LEVELS`]), the others at base.
//! - **rank**: from one plain Monte Carlo run of the scenario as written, the
//!   Spearman rank correlation of each input with the output and the standardised
//!   regression coefficients (SRC, least squares), with R².
//! - **sobol**: variance-based first-order and total indices from Saltelli's
//!   design with Jansen's estimators, with bootstrap confidence intervals.
//!
//! The inputs are the scenario's path-level uncertain inputs ([`ParamSet`]): one
//! uniform each per path. Every evaluation at chosen inputs is one engine run whose
//! scenario carries a table of uniforms ([`ParamSet::set_table`]): process noise
//! (arrivals, shocks, exits) keeps its named streams, so path `j` of every run
//! shares its noise with path `j` of the others (common random numbers), and a
//! difference between two runs is the inputs', path by path.
//!
//! The estimators ([`sobol_indices`], [`spearman`], [`src`], [`mean_ci`]) are pure
//! functions of numbers, tested on functions with known answers; [`analyse`] runs
//! the engine and applies them to every output of [`outputs`].
//!
//! [`ParamSet`]: crate::sampling::ParamSet
//! [`ParamSet::set_table`]: crate::sampling::ParamSet::set_table

use std::collections::BTreeMap;
use std::sync::Arc;

use nalgebra::{DMatrix, DVector};
use serde::{Deserialize, Serialize};

use crate::engine::{self, EngineError, Layout, Observe, RunConfig};
use crate::output::{ALL_ALTERNATIVES, PARK, SET_PARK_METRICS};
use crate::sampling::{TableError, open_unit};
use crate::scenario::Scenario;
use crate::schema::{Measure, RegionMetric};
use crate::streams;

/// The quantile every input other than the one varied is held at (its median).
pub const BASE_U: f64 = 0.5;
/// The tornado's low end of an input: its P10.
pub const TORNADO_LOW: f64 = 0.1;
/// The tornado's high end of an input: its P90.
pub const TORNADO_HIGH: f64 = 0.9;
/// The quantiles each input takes in the spider (0.1, 0.5 and 0.9 are the tornado's
/// and the base's runs, computed once).
pub const SPIDER_LEVELS: [f64; 7] = [0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95];
/// Bootstrap resamples of the Sobol indices' confidence intervals.
pub const BOOTSTRAP_RESAMPLES: usize = 1000;
/// Fewest bootstrap resamples of a Sobol index's interval. A percentile
/// interval at [`LEVEL`] leaves `(1 − LEVEL)/2 = 2.5%` of the B resamples out
/// at each end, but the smallest resample is never above the lower end (nor the
/// largest below the upper): each end leaves out at least 1/B of them, and
/// `1/B ≤ 2.5%` needs `B ≥ 40`. With fewer the "95%" interval spans less than
/// the middle 95% of the resamples; with 1 it is that resample, of width 0,
/// which need not contain the estimate. (The default, [`BOOTSTRAP_RESAMPLES`],
/// makes the ends vary less from seed to seed.)
pub const MIN_BOOTSTRAP_RESAMPLES: usize = 40;
/// Paths per evaluated point (and rows of Saltelli's matrices, and paths of the
/// rank run) when `--paths` is not given.
pub const DEFAULT_PATHS: u64 = 256;
/// Confidence level of every interval.
pub const LEVEL: f64 = 0.95;
/// The standard normal quantile at 0.975.
const Z95: f64 = 1.959_963_984_540_054;
/// Name of the stream of Saltelli's matrix A (stream = row).
pub const STREAM_A: &str = "sensitivity:A";
/// Name of the stream of Saltelli's matrix B (stream = row).
pub const STREAM_B: &str = "sensitivity:B";
/// Name of the stream of the bootstrap's resamples (stream = resample).
pub const STREAM_BOOTSTRAP: &str = "sensitivity:bootstrap";
/// Name of the stream whose first word is the seed of matrix B's process noise.
pub const STREAM_B_NOISE: &str = "sensitivity:B-noise";
/// Header of `sensitivity.csv`.
pub const HEADER: [&str; 12] = [
    "scenario",
    "alternative",
    "region",
    "metric",
    "input",
    "method",
    "value",
    "ci_low",
    "ci_high",
    "point",
    "input_value",
    "n",
];
/// File name of the table.
pub const CSV_FILE: &str = "sensitivity.csv";
/// File name of the analysis's record.
pub const RECORD_FILE: &str = "sensitivity.json";
/// The `input` cell of rows about every input at once (the tornado's base, R²).
pub const ALL_INPUTS: &str = "(all)";
/// The `input` cell of the Sobol indices of the process noise (arrivals, firms'
/// draws and shocks, the macro shock) taken as one more input.
pub const NOISE_INPUT: &str = "(process noise)";

/// An analysis method, as `--method` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Method {
    /// Each input at P10 and P90, the others at base.
    Tornado,
    /// Each input over its range, the others at base.
    Spider,
    /// Spearman rank correlation and standardised regression coefficients.
    Rank,
    /// Sobol first-order and total indices.
    Sobol,
}

impl Method {
    /// Every method, in the order of the table.
    pub const ALL: [Method; 4] = [Method::Tornado, Method::Spider, Method::Rank, Method::Sobol];

    /// The name `--method` takes.
    pub fn name(self) -> &'static str {
        match self {
            Method::Tornado => "tornado",
            Method::Spider => "spider",
            Method::Rank => "rank",
            Method::Sobol => "sobol",
        }
    }

    /// The fewest paths (rows of Saltelli's design, for Sobol) whose estimates are
    /// all defined, with `inputs` inputs:
    ///
    /// - tornado, spider: 2, as an interval, mean ± 1.96 sd/√N, needs a spread;
    /// - rank: k + 2, and at least 4: the regression on k inputs leaves N − k − 1
    ///   degrees of freedom for its standard errors, and Spearman's interval (se =
    ///   1.06/√(N − 3)) needs N ≥ 4;
    /// - sobol: 2, as the bootstrap of one row resamples that row alone, which
    ///   gives every index an interval of width 0.
    pub fn min_paths(self, inputs: usize) -> u64 {
        match self {
            Method::Tornado | Method::Spider | Method::Sobol => 2,
            Method::Rank => (inputs as u64 + 2).max(4),
        }
    }

    /// Why [`Method::min_paths`] is what it is, in words.
    fn min_paths_reason(self, inputs: usize) -> String {
        match self {
            Method::Tornado | Method::Spider => {
                "one path gives a mean without an interval: mean ± 1.96 sd/√N needs a spread"
                    .into()
            }
            Method::Rank => format!(
                "the regression on {inputs} input{} needs N − {} ≥ 1 degrees of freedom for its standard errors, and Spearman's interval needs N ≥ 4",
                if inputs == 1 { "" } else { "s" },
                inputs + 1
            ),
            Method::Sobol => {
                "the bootstrap of one row of the design can resample only that row, so every interval would have width 0"
                    .into()
            }
        }
    }

    /// Whether the method sets every input's uniform itself (a table,
    /// [`crate::sampling::ParamSet::set_table`]), so that no copula applies and
    /// the inputs are treated as independent: tornado, spider and sobol. Rank runs
    /// the scenario as written, `[correlation]` included.
    pub fn treats_inputs_as_independent(self) -> bool {
        !matches!(self, Method::Rank)
    }

    /// The methods a `--method` list names (`all` for every one), in table order.
    ///
    /// # Errors
    /// An unknown name, with the names known.
    pub fn parse_list(text: &str) -> Result<Vec<Method>, String> {
        let mut out = Vec::new();
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            if part == "all" {
                out.extend(Method::ALL);
                continue;
            }
            match Method::ALL.iter().find(|m| m.name() == part) {
                Some(m) => out.push(*m),
                None => {
                    return Err(format!(
                        "unknown method `{part}`, expected tornado, spider, rank, sobol or all"
                    ));
                }
            }
        }
        if out.is_empty() {
            return Err("no method given, expected tornado, spider, rank, sobol or all".into());
        }
        out.sort();
        out.dedup();
        Ok(out)
    }
}

/// A point estimate with its confidence interval (bounds NaN when there is none).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Estimate {
    /// The estimate.
    pub value: f64,
    /// Lower bound.
    pub low: f64,
    /// Upper bound.
    pub high: f64,
}

impl Estimate {
    fn bare(value: f64) -> Estimate {
        Estimate {
            value,
            low: f64::NAN,
            high: f64::NAN,
        }
    }

    /// Width of the interval.
    pub fn width(&self) -> f64 {
        self.high - self.low
    }

    /// Whether `x` is inside the interval.
    pub fn contains(&self, x: f64) -> bool {
        self.low <= x && x <= self.high
    }
}

// ---------------------------------------------------------------------------
// Estimators: pure functions of numbers.
// ---------------------------------------------------------------------------

/// The mean of `x` with its normal-theory 95% interval, mean ± 1.96 · sd/√n (no
/// interval for fewer than two values).
pub fn mean_ci(x: &[f64]) -> Estimate {
    let n = x.len() as f64;
    if x.is_empty() {
        return Estimate::bare(f64::NAN);
    }
    let mean = x.iter().sum::<f64>() / n;
    if x.len() < 2 {
        return Estimate::bare(mean);
    }
    let var = x.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0);
    let half = Z95 * (var / n).sqrt();
    Estimate {
        value: mean,
        low: mean - half,
        high: mean + half,
    }
}

/// Saltelli's matrices A and B: `n` rows of `k` uniforms each, row-major, row `j`
/// of A from stream `j` of [`STREAM_A`] and of B from [`STREAM_B`] (both keyed by
/// `seed`), so a row does not depend on `n`.
pub fn saltelli_matrices(seed: u64, n: usize, k: usize) -> (Vec<f64>, Vec<f64>) {
    let fill = |name: &str| {
        let key = streams::key(seed, name);
        let mut m = Vec::with_capacity(n * k);
        for j in 0..n {
            let mut rng = streams::open(&key, j as u64);
            m.extend((0..k).map(|_| open_unit(&mut rng)));
        }
        m
    };
    (fill(STREAM_A), fill(STREAM_B))
}

/// Matrix AB_i: A with column `i` taken from B (`k` columns, row-major).
pub fn ab_matrix(a: &[f64], b: &[f64], k: usize, i: usize) -> Vec<f64> {
    let mut m = a.to_vec();
    for (row, brow) in m.chunks_exact_mut(k).zip(b.chunks_exact(k)) {
        row[i] = brow[i];
    }
    m
}

/// First-order and total Sobol indices of every input, with bootstrap intervals.
#[derive(Debug, Clone, PartialEq)]
pub struct SobolIndices {
    /// First-order index S_i of each input.
    pub first: Vec<Estimate>,
    /// Total index ST_i of each input.
    pub total: Vec<Estimate>,
}

/// Per row of the design, what Jansen's estimators sum: f(A), f(B), and for each
/// input (f(B) − f(AB_i))² and (f(A) − f(AB_i))², computed once for the point
/// estimate and every bootstrap resample.
struct Terms<'a> {
    fa: &'a [f64],
    fb: &'a [f64],
    /// `[input][row]`.
    first: Vec<Vec<f64>>,
    /// `[input][row]`.
    total: Vec<Vec<f64>>,
}

impl<'a> Terms<'a> {
    fn new(fa: &'a [f64], fb: &'a [f64], fab: &[Vec<f64>]) -> Terms<'a> {
        let sq = |x: &[f64], f: &[f64]| x.iter().zip(f).map(|(a, b)| (a - b) * (a - b)).collect();
        Terms {
            fa,
            fb,
            first: fab.iter().map(|f| sq(fb, f)).collect(),
            total: fab.iter().map(|f| sq(fa, f)).collect(),
        }
    }

    /// Jansen's estimators over the rows `rows` (with repeats, for a resample):
    /// each input's first-order and total index, written into `first` and `total`.
    fn estimate(&self, rows: &[usize], first: &mut [f64], total: &mut [f64]) {
        let n = rows.len() as f64;
        let (fa, fb) = (self.fa, self.fb);
        let mean = rows.iter().map(|&j| fa[j] + fb[j]).sum::<f64>() / (2.0 * n);
        let var = rows
            .iter()
            .map(|&j| (fa[j] - mean).powi(2) + (fb[j] - mean).powi(2))
            .sum::<f64>()
            / (2.0 * n - 1.0);
        for i in 0..self.first.len() {
            let (df, dt) = (&self.first[i], &self.total[i]);
            let (mut d_first, mut d_total) = (0.0, 0.0);
            for &j in rows {
                d_first += df[j];
                d_total += dt[j];
            }
            if var > 0.0 {
                first[i] = (var - d_first / (2.0 * n)) / var;
                total[i] = d_total / (2.0 * n) / var;
            } else {
                first[i] = f64::NAN;
                total[i] = f64::NAN;
            }
        }
    }
}

/// The `q` quantile (type 7) of sorted values.
fn quantile_sorted(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let h = (sorted.len() - 1) as f64 * q;
    let (lo, frac) = (h.floor() as usize, h - h.floor());
    let hi = (lo + 1).min(sorted.len() - 1);
    sorted[lo] + frac * (sorted[hi] - sorted[lo])
}

/// Sobol first-order and total indices from the outputs of Saltelli's design,
/// with Jansen's estimators (Saltelli et al. 2010, table 2):
///
/// # Formula
/// V = variance of the 2N outputs f(A) and f(B);
/// S_i = (V − (1/2N) Σ_j (f(B)_j − f(AB_i)_j)²) / V;
/// ST_i = (1/2N) Σ_j (f(A)_j − f(AB_i)_j)² / V.
///
/// Intervals: `resamples` bootstrap resamples of the N rows (with replacement;
/// resample r's rows from stream r of [`STREAM_BOOTSTRAP`] keyed by `seed`), the
/// 2.5% and 97.5% percentiles of the resampled estimates.
///
/// `fa`, `fb` hold f at A's and B's rows; `fab[i]` f at AB_i's rows.
pub fn sobol_indices(
    fa: &[f64],
    fb: &[f64],
    fab: &[Vec<f64>],
    resamples: usize,
    seed: u64,
) -> SobolIndices {
    let n = fa.len();
    let k = fab.len();
    let terms = Terms::new(fa, fb, fab);
    let all: Vec<usize> = (0..n).collect();
    let (mut first, mut total) = (vec![0.0; k], vec![0.0; k]);
    terms.estimate(&all, &mut first, &mut total);
    let (mut f, mut t) = (vec![0.0; k], vec![0.0; k]);
    let mut boot_first: Vec<Vec<f64>> = (0..k).map(|_| Vec::with_capacity(resamples)).collect();
    let mut boot_total: Vec<Vec<f64>> = (0..k).map(|_| Vec::with_capacity(resamples)).collect();
    let key = streams::key(seed, STREAM_BOOTSTRAP);
    let mut rows = vec![0; n];
    for r in 0..resamples {
        let mut rng = streams::open(&key, r as u64);
        for slot in &mut rows {
            // Multiply-shift: a row in 0..n from one word (bias below n / 2^64).
            *slot = ((u128::from(rand::Rng::next_u64(&mut rng)) * n as u128) >> 64) as usize;
        }
        terms.estimate(&rows, &mut f, &mut t);
        for i in 0..k {
            boot_first[i].push(f[i]);
            boot_total[i].push(t[i]);
        }
    }
    let interval = |value: f64, mut boot: Vec<f64>| {
        boot.retain(|x| x.is_finite());
        if boot.is_empty() || !value.is_finite() {
            return Estimate::bare(value);
        }
        boot.sort_by(f64::total_cmp);
        Estimate {
            value,
            low: quantile_sorted(&boot, (1.0 - LEVEL) / 2.0),
            high: quantile_sorted(&boot, (1.0 + LEVEL) / 2.0),
        }
    };
    SobolIndices {
        first: first
            .into_iter()
            .zip(boot_first)
            .map(|(v, b)| interval(v, b))
            .collect(),
        total: total
            .into_iter()
            .zip(boot_total)
            .map(|(v, b)| interval(v, b))
            .collect(),
    }
}

/// Sobol indices of `f` over `k` independent uniforms on (0, 1), from `n` rows of
/// Saltelli's design ([`saltelli_matrices`] with `seed`): `f` is evaluated
/// `n (k + 2)` times.
pub fn sobol_of(
    f: impl Fn(&[f64]) -> f64,
    k: usize,
    n: usize,
    seed: u64,
    resamples: usize,
) -> SobolIndices {
    let (a, b) = saltelli_matrices(seed, n, k);
    let eval = |m: &[f64]| m.chunks_exact(k).map(&f).collect::<Vec<f64>>();
    let fab: Vec<Vec<f64>> = (0..k).map(|i| eval(&ab_matrix(&a, &b, k, i))).collect();
    sobol_indices(&eval(&a), &eval(&b), &fab, resamples, seed)
}

/// Ranks of `x` from 1, ties given their average rank.
pub fn ranks(x: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..x.len()).collect();
    order.sort_by(|&i, &j| x[i].total_cmp(&x[j]));
    let mut r = vec![0.0; x.len()];
    let mut start = 0;
    while start < order.len() {
        let mut end = start + 1;
        while end < order.len() && x[order[end]].total_cmp(&x[order[start]]).is_eq() {
            end += 1;
        }
        // Positions start..end (0-based) share ranks start+1 ..= end.
        let rank = (start + end + 1) as f64 / 2.0;
        for &i in &order[start..end] {
            r[i] = rank;
        }
        start = end;
    }
    r
}

/// Pearson's correlation of `x` and `y` (NaN when either is constant).
pub fn pearson(x: &[f64], y: &[f64]) -> f64 {
    let n = x.len() as f64;
    let (mx, my) = (x.iter().sum::<f64>() / n, y.iter().sum::<f64>() / n);
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (a, b) in x.iter().zip(y) {
        sxy += (a - mx) * (b - my);
        sxx += (a - mx).powi(2);
        syy += (b - my).powi(2);
    }
    if sxx > 0.0 && syy > 0.0 {
        (sxy / (sxx * syy).sqrt()).clamp(-1.0, 1.0)
    } else {
        f64::NAN
    }
}

/// Spearman's rank correlation of `x` and `y` with its 95% interval by Fisher's
/// z transform.
///
/// # Formula
/// ρ = Pearson correlation of the ranks; z = atanh ρ, se = 1.06 / √(n − 3)
/// (Fieller, Hartley & Pearson 1957); interval tanh(z ± 1.96 se).
pub fn spearman(x: &[f64], y: &[f64]) -> Estimate {
    let rho = pearson(&ranks(x), &ranks(y));
    if x.len() < 4 || !rho.is_finite() {
        return Estimate::bare(rho);
    }
    let z = rho.clamp(-1.0 + 1e-15, 1.0 - 1e-15).atanh();
    let se = 1.06 / ((x.len() - 3) as f64).sqrt();
    Estimate {
        value: rho,
        low: (z - Z95 * se).tanh(),
        high: (z + Z95 * se).tanh(),
    }
}

/// Standardised regression coefficients of a least-squares fit, with R².
#[derive(Debug, Clone, PartialEq)]
pub struct Regression {
    /// Each input's coefficient (NaN for a constant input, left out of the fit).
    pub coefficients: Vec<Estimate>,
    /// Share of the output's variance the linear fit explains.
    pub r2: f64,
}

/// Standardised regression coefficients of `y` on the columns `x` (each input's
/// values over the same paths), by least squares (nalgebra's SVD).
///
/// # Formula
/// Each column and `y` standardised (mean 0, sd 1); β = argmin ‖y − Xβ‖²;
/// s² = RSS / (n − m − 1) for m fitted inputs; se(β_i) = s √((XᵀX)⁻¹)_ii;
/// interval β_i ± t_{0.975, n−m−1} se(β_i); R² = 1 − RSS / Σ y².
///
/// `None` when `y` is constant or there are too few rows for an error estimate.
pub fn src(x: &[Vec<f64>], y: &[f64]) -> Option<Regression> {
    use statrs::distribution::{ContinuousCDF, StudentsT};
    let n = y.len();
    let standard = |v: &[f64]| -> Option<Vec<f64>> {
        // The mean as the first value plus the mean deviation from it: a constant
        // column's deviations are then exactly 0. (Σ v / n of 100 copies of 0.65
        // is not 0.65; deviations of 1e-16 gave a constant input an SRC of 4e-14
        // with an interval, and counted it among the regression's inputs.)
        let c = *v.first()?;
        let m = c + v.iter().map(|a| a - c).sum::<f64>() / n as f64;
        let sd = (v.iter().map(|a| (a - m).powi(2)).sum::<f64>() / (n as f64 - 1.0)).sqrt();
        (sd > 0.0 && sd.is_finite()).then(|| v.iter().map(|a| (a - m) / sd).collect())
    };
    let ys = standard(y)?;
    let cols: Vec<(usize, Vec<f64>)> = x
        .iter()
        .enumerate()
        .filter_map(|(i, c)| standard(c).map(|s| (i, s)))
        .collect();
    let m = cols.len();
    if n < m + 2 {
        return None;
    }
    let xm = DMatrix::from_fn(n, m, |r, c| cols[c].1[r]);
    let yv = DVector::from_column_slice(&ys);
    let xtx = xm.transpose() * &xm;
    let inv = xtx.clone().pseudo_inverse(1e-12).ok()?;
    let beta = &inv * (xm.transpose() * &yv);
    let resid = &yv - &xm * &beta;
    let rss = resid.norm_squared();
    let tss = yv.norm_squared();
    let df = (n - m - 1) as f64;
    let s2 = rss / df;
    let t = StudentsT::new(0.0, 1.0, df)
        .map(|d| d.inverse_cdf((1.0 + LEVEL) / 2.0))
        .unwrap_or(Z95);
    let mut coefficients = vec![Estimate::bare(f64::NAN); x.len()];
    for (c, (i, _)) in cols.iter().enumerate() {
        let se = (s2 * inv[(c, c)]).max(0.0).sqrt();
        coefficients[*i] = Estimate {
            value: beta[c],
            low: beta[c] - t * se,
            high: beta[c] + t * se,
        };
    }
    Some(Regression {
        coefficients,
        r2: 1.0 - rss / tss,
    })
}

// ---------------------------------------------------------------------------
// The analysis of a scenario.
// ---------------------------------------------------------------------------

/// One output analysed: where it sits in a path's record and how the table labels it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Output {
    /// Alternative name (`all` for a park metric).
    pub alternative: String,
    /// Region id, as in `summary.csv` (`park` for a park metric).
    pub region: String,
    /// Region index, for a region metric.
    pub region_index: Option<usize>,
    /// Alternative index, for a region metric.
    pub alternative_index: Option<usize>,
    /// Metric name.
    pub metric: &'static str,
    /// Position in the record.
    pub position: usize,
}

/// The outputs analysed: each region's NPV under each alternative, then the
/// park's headline metrics (those of the set summary that are always defined).
pub fn outputs(scn: &Scenario, layout: &Layout) -> Vec<Output> {
    let mut out = Vec::new();
    for (a, alt) in scn.alternatives.iter().enumerate() {
        for (r, region) in scn.regions.iter().enumerate() {
            out.push(Output {
                alternative: alt.name.clone(),
                region: region.id.clone(),
                region_index: Some(r),
                alternative_index: Some(a),
                metric: RegionMetric::Npv.name(),
                position: layout.region_metric(a, r, RegionMetric::Npv),
            });
        }
    }
    for m in SET_PARK_METRICS {
        if Measure::Park(m).may_be_undefined() {
            continue;
        }
        out.push(Output {
            alternative: ALL_ALTERNATIVES.to_owned(),
            region: PARK.to_owned(),
            region_index: None,
            alternative_index: None,
            metric: m.name(),
            position: layout.park_metric(m),
        });
    }
    out
}

/// Settings of an analysis.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// Paths per evaluated point, rows of Saltelli's matrices, paths of the rank run.
    pub paths: u64,
    /// Seed (of the process noise, of Saltelli's matrices and of the bootstrap).
    pub seed: u64,
    /// Years simulated.
    pub horizon: u32,
    /// Worker threads (0: one per core); they change no result.
    pub threads: usize,
    /// The methods, in table order.
    pub methods: Vec<Method>,
    /// Bootstrap resamples of the Sobol indices.
    pub resamples: usize,
}

/// One row of `sensitivity.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// Index into [`Analysis::outputs`].
    pub output: usize,
    /// The input's field path, or [`ALL_INPUTS`].
    pub input: String,
    /// `tornado`, `spider`, `spearman`, `src`, `src_r2`, `sobol_first`, `sobol_total`.
    pub method: &'static str,
    /// The estimate with its interval.
    pub estimate: Estimate,
    /// For tornado and spider rows: which point (`base`, `p10`, `p90`, `swing`, `q0.25`, …).
    pub point: String,
    /// For tornado and spider rows at one point: the input's value there.
    pub input_value: f64,
    /// Paths (or rows of the design) the estimate is computed from.
    pub n: u64,
}

/// A finished analysis.
#[derive(Debug, Clone)]
pub struct Analysis {
    /// The methods run, in table order.
    pub methods: Vec<Method>,
    /// The outputs analysed.
    pub outputs: Vec<Output>,
    /// The inputs' field paths, in the scenario's order.
    pub inputs: Vec<String>,
    /// Every row, by output, then method, then input.
    pub rows: Vec<Row>,
    /// Engine runs made.
    pub runs: usize,
    /// Paths simulated over all runs.
    pub paths_simulated: u64,
    /// Firm-years simulated over all runs.
    pub firm_years: u64,
    /// Per output, whether it took more than one value over the paths of every
    /// run: an output that does not vary has no driver to name.
    pub varies: Vec<bool>,
}

/// Why an analysis could not be made.
#[derive(Debug, thiserror::Error)]
pub enum SensitivityError {
    /// The scenario has no path-level uncertain input.
    #[error(
        "the scenario has no uncertain input drawn per path, so there is nothing to analyse; give an input as a distribution (e.g. arrival_rate = {{ dist = \"triangular\", min = 5, mode = 9, max = 14 }}); per-firm draws are not path inputs"
    )]
    NoInputs,
    /// Fewer paths than some method needs for its estimates to be defined.
    #[error("{}", too_few_paths(*paths, *inputs, short))]
    TooFewPaths {
        /// The paths asked for.
        paths: u64,
        /// The number of inputs.
        inputs: usize,
        /// The methods that need more, each with the paths it needs.
        short: Vec<(Method, u64)>,
    },
    /// Fewer bootstrap resamples than [`MIN_BOOTSTRAP_RESAMPLES`] for Sobol's intervals.
    #[error(
        "--resamples {0} is too few: sobol's 95% intervals need at least {MIN_BOOTSTRAP_RESAMPLES} bootstrap resamples (a percentile interval leaves 2.5% of the B resamples out at each end, and at least one of them, 1/B, so it needs 1/B ≤ 2.5%; with fewer it spans less than the middle 95% of them, and with 1 it is that one resample, of width 0); give --resamples {MIN_BOOTSTRAP_RESAMPLES} or more (the default is {BOOTSTRAP_RESAMPLES}), or leave sobol out of --method"
    )]
    TooFewResamples(usize),
    /// A run failed.
    #[error(transparent)]
    Engine(#[from] EngineError),
    /// A table of uniforms was refused (a bug: the tables are built in (0, 1)).
    #[error(transparent)]
    Table(#[from] TableError),
}

impl SensitivityError {
    /// Whether the error is the user's input (exit status 2) rather than a failure.
    pub fn is_bad_input(&self) -> bool {
        matches!(
            self,
            SensitivityError::NoInputs
                | SensitivityError::TooFewPaths { .. }
                | SensitivityError::TooFewResamples(_)
        )
    }
}

/// The message of [`SensitivityError::TooFewPaths`].
fn too_few_paths(paths: u64, inputs: usize, short: &[(Method, u64)]) -> String {
    let needs: Vec<String> = short
        .iter()
        .map(|(m, n)| {
            format!(
                "{} needs at least {n} ({})",
                m.name(),
                m.min_paths_reason(inputs)
            )
        })
        .collect();
    let most = short.iter().map(|(_, n)| *n).max().unwrap_or(paths);
    format!(
        "--paths {paths} is too few with {inputs} input{}: {}; give --paths {most} or more, or leave {} out of --method",
        if inputs == 1 { "" } else { "s" },
        needs.join("; "),
        if short.len() == 1 {
            "that method"
        } else {
            "those methods"
        }
    )
}

/// Every output's values path by path, `[output][path]`.
type Values = Vec<Vec<f64>>;

/// Runs the engine, keeping each output's value on each path (and, when `inputs`,
/// each path's input values).
struct Runner<'a> {
    scn: &'a Scenario,
    cfg: RunConfig,
    outputs: &'a [Output],
    runs: usize,
    paths: u64,
    firm_years: u64,
    /// One-row tables already run, by the bits of their uniforms.
    cache: BTreeMap<Vec<u64>, Arc<Values>>,
    /// Per output, the smallest and largest value over every path of every run.
    extremes: Vec<(f64, f64)>,
}

impl Runner<'_> {
    /// Runs `n` paths of the scenario with `table` (None: as written) and process
    /// noise from `seed`; returns the outputs and the input values by path.
    fn run(
        &mut self,
        table: Option<Vec<f64>>,
        n: u64,
        seed: u64,
    ) -> Result<(Values, Vec<f64>), SensitivityError> {
        let mut scn = self.scn.clone();
        if let Some(t) = table {
            scn.params.set_table(Arc::from(t))?;
        }
        let cfg = RunConfig {
            paths: n,
            seed,
            ..self.cfg
        };
        let mut values: Values = (0..self.outputs.len())
            .map(|_| Vec::with_capacity(n as usize))
            .collect();
        let mut inputs = Vec::new();
        let outputs = self.outputs;
        let what = Observe {
            records: true,
            ..Observe::default()
        };
        let state = engine::run(&scn, &cfg, what, &mut |batch| {
            let len = batch.layout.len();
            for record in batch.records.chunks_exact(len) {
                for (v, o) in values.iter_mut().zip(outputs) {
                    v.push(record[o.position]);
                }
            }
            inputs.extend_from_slice(batch.inputs);
        })?;
        self.runs += 1;
        self.paths += state.paths();
        self.firm_years += state.firm_years;
        for ((lo, hi), v) in self.extremes.iter_mut().zip(&values) {
            for &x in v {
                *lo = lo.min(x);
                *hi = hi.max(x);
            }
        }
        Ok((values, inputs))
    }

    /// The outputs with every input pinned at the uniforms `row` on every path.
    fn pinned(&mut self, row: Vec<f64>) -> Result<Arc<Values>, SensitivityError> {
        let bits: Vec<u64> = row.iter().map(|u| u.to_bits()).collect();
        if let Some(v) = self.cache.get(&bits) {
            return Ok(Arc::clone(v));
        }
        let (values, _) = self.run(Some(row), self.cfg.paths, self.cfg.seed)?;
        let v = Arc::new(values);
        self.cache.insert(bits, Arc::clone(&v));
        Ok(v)
    }
}

/// The label of a quantile level in the `point` column: `q0.05`, `q0.5`, ….
fn level_label(u: f64) -> String {
    format!("q{u}")
}

/// The engine runs [`analyse`] makes for `inputs` uncertain inputs by `methods`,
/// each of `Settings::paths` paths: for tornado and spider one at the base point
/// and one at each input's distinct quantile levels (a point both methods
/// evaluate runs once), one for rank, and k + 3 for Sobol (A, B, each A_B^i and
/// A with B's process noise). For the work budget, before anything runs.
pub fn planned_runs(inputs: usize, methods: &[Method]) -> usize {
    let mut levels: Vec<u64> = Vec::new();
    for m in methods {
        let at: &[f64] = match m {
            Method::Tornado => &[TORNADO_LOW, TORNADO_HIGH],
            Method::Spider => &SPIDER_LEVELS,
            Method::Rank | Method::Sobol => &[],
        };
        levels.extend(at.iter().filter(|&&u| u != BASE_U).map(|u| u.to_bits()));
    }
    levels.sort_unstable();
    levels.dedup();
    let pinned = methods
        .iter()
        .any(|m| matches!(m, Method::Tornado | Method::Spider));
    let mut runs = if pinned { 1 + inputs * levels.len() } else { 0 };
    for m in methods {
        runs += match m {
            Method::Rank => 1,
            Method::Sobol => inputs + 3,
            Method::Tornado | Method::Spider => 0,
        };
    }
    runs
}

/// Checks that `scn` can be analysed under `settings` before anything runs
/// ([`analyse`] checks it too).
///
/// # Errors
/// [`SensitivityError::NoInputs`] for a scenario without path-level uncertain
/// inputs; [`SensitivityError::TooFewPaths`] for fewer paths than a method needs
/// ([`Method::min_paths`]); [`SensitivityError::TooFewResamples`] for Sobol with
/// fewer than [`MIN_BOOTSTRAP_RESAMPLES`]: below these, estimates come out empty
/// (an SRC) or degenerate (a Sobol interval of width 0) and would read as results.
pub fn check(scn: &Scenario, settings: &Settings) -> Result<(), SensitivityError> {
    let k = scn.params.len();
    if k == 0 {
        return Err(SensitivityError::NoInputs);
    }
    let short: Vec<(Method, u64)> = settings
        .methods
        .iter()
        .map(|&m| (m, m.min_paths(k)))
        .filter(|&(_, n)| settings.paths < n)
        .collect();
    if !short.is_empty() {
        return Err(SensitivityError::TooFewPaths {
            paths: settings.paths,
            inputs: k,
            short,
        });
    }
    if settings.methods.contains(&Method::Sobol) && settings.resamples < MIN_BOOTSTRAP_RESAMPLES {
        return Err(SensitivityError::TooFewResamples(settings.resamples));
    }
    Ok(())
}

/// Runs the analysis of `scn`: every method of `settings` on every output of
/// [`outputs`].
///
/// # Errors
/// [`SensitivityError::NoInputs`] for a scenario without path-level uncertain
/// inputs; [`SensitivityError::TooFewPaths`] for fewer paths than a method needs
/// ([`Method::min_paths`]); [`SensitivityError::TooFewResamples`] (see [`check`]);
/// an engine error of any run.
pub fn analyse(scn: &Scenario, settings: &Settings) -> Result<Analysis, SensitivityError> {
    check(scn, settings)?;
    let k = scn.params.len();
    // Its estimators and bootstraps take independent paths: a scenario's
    // antithetic pairs are switched off here (docs/model.md §9).
    let plain;
    let scn = if scn.simulation.sampler.antithetic {
        let mut s = scn.clone();
        s.simulation.sampler.antithetic = false;
        plain = s;
        &plain
    } else {
        scn
    };
    let params = scn.params.params();
    let cfg = RunConfig {
        paths: settings.paths,
        seed: settings.seed,
        horizon: settings.horizon,
        threads: settings.threads,
    };
    let layout = Layout::new(scn, cfg.horizon);
    let outs = outputs(scn, &layout);
    let mut runner = Runner {
        scn,
        cfg,
        outputs: &outs,
        runs: 0,
        paths: 0,
        firm_years: 0,
        cache: BTreeMap::new(),
        extremes: vec![(f64::INFINITY, f64::NEG_INFINITY); outs.len()],
    };
    let n = settings.paths;
    // rows[method][output]: each method's rows per output, joined in the end.
    let mut by_output: Vec<Vec<Row>> = vec![Vec::new(); outs.len()];
    let at = |i: usize, u: f64| {
        let mut row = vec![BASE_U; k];
        row[i] = u;
        row
    };
    for &method in &settings.methods {
        match method {
            Method::Tornado => {
                let base = runner.pinned(vec![BASE_U; k])?;
                let mut ends = Vec::with_capacity(k);
                for i in 0..k {
                    ends.push((
                        runner.pinned(at(i, TORNADO_LOW))?,
                        runner.pinned(at(i, TORNADO_HIGH))?,
                    ));
                }
                for (o, rows) in by_output.iter_mut().enumerate() {
                    rows.push(Row {
                        output: o,
                        input: ALL_INPUTS.to_owned(),
                        method: "tornado",
                        estimate: mean_ci(&base[o]),
                        point: "base".to_owned(),
                        input_value: f64::NAN,
                        n,
                    });
                    for (i, (low, high)) in ends.iter().enumerate() {
                        let name = &params[i].name;
                        let diff: Vec<f64> =
                            high[o].iter().zip(&low[o]).map(|(h, l)| h - l).collect();
                        for (point, u, values) in [
                            ("p10", TORNADO_LOW, &low[o]),
                            ("p90", TORNADO_HIGH, &high[o]),
                        ] {
                            rows.push(Row {
                                output: o,
                                input: name.clone(),
                                method: "tornado",
                                estimate: mean_ci(values),
                                point: point.to_owned(),
                                input_value: params[i].dist.quantile(u),
                                n,
                            });
                        }
                        rows.push(Row {
                            output: o,
                            input: name.clone(),
                            method: "tornado",
                            estimate: mean_ci(&diff),
                            point: "swing".to_owned(),
                            input_value: f64::NAN,
                            n,
                        });
                    }
                }
            }
            Method::Spider => {
                let mut grid = Vec::with_capacity(k);
                for i in 0..k {
                    let mut line = Vec::with_capacity(SPIDER_LEVELS.len());
                    for u in SPIDER_LEVELS {
                        line.push(runner.pinned(at(i, u))?);
                    }
                    grid.push(line);
                }
                for (o, rows) in by_output.iter_mut().enumerate() {
                    for (i, line) in grid.iter().enumerate() {
                        for (u, values) in SPIDER_LEVELS.iter().zip(line) {
                            rows.push(Row {
                                output: o,
                                input: params[i].name.clone(),
                                method: "spider",
                                estimate: mean_ci(&values[o]),
                                point: level_label(*u),
                                input_value: params[i].dist.quantile(*u),
                                n,
                            });
                        }
                    }
                }
            }
            Method::Rank => {
                let (values, inputs) = runner.run(None, n, cfg.seed)?;
                let columns: Vec<Vec<f64>> = (0..k)
                    .map(|i| inputs.chunks_exact(k).map(|p| p[i]).collect())
                    .collect();
                for (o, rows) in by_output.iter_mut().enumerate() {
                    let y = &values[o];
                    for (i, c) in columns.iter().enumerate() {
                        rows.push(Row {
                            output: o,
                            input: params[i].name.clone(),
                            method: "spearman",
                            estimate: spearman(c, y),
                            point: String::new(),
                            input_value: f64::NAN,
                            n,
                        });
                    }
                    let fit = src(&columns, y);
                    for i in 0..k {
                        rows.push(Row {
                            output: o,
                            input: params[i].name.clone(),
                            method: "src",
                            estimate: fit
                                .as_ref()
                                .map_or(Estimate::bare(f64::NAN), |f| f.coefficients[i]),
                            point: String::new(),
                            input_value: f64::NAN,
                            n,
                        });
                    }
                    rows.push(Row {
                        output: o,
                        input: ALL_INPUTS.to_owned(),
                        method: "src_r2",
                        estimate: Estimate::bare(fit.as_ref().map_or(f64::NAN, |f| f.r2)),
                        point: String::new(),
                        input_value: f64::NAN,
                        n,
                    });
                }
            }
            Method::Sobol => {
                let rows_n = n as usize;
                let (a, b) = saltelli_matrices(cfg.seed, rows_n, k);
                // B's process noise is independent of A's (another seed), so that
                // f(B) and f(AB_i) share input i alone; AB_i shares A's noise, so
                // f(A) and f(AB_i) differ by input i alone (docs/sensitivity.md).
                let noise_b = {
                    let key = streams::key(cfg.seed, STREAM_B_NOISE);
                    rand::Rng::next_u64(&mut streams::open(&key, 0))
                };
                let (fa, _) = runner.run(Some(a.clone()), n, cfg.seed)?;
                let (fb, _) = runner.run(Some(b.clone()), n, noise_b)?;
                let mut fab = Vec::with_capacity(k + 1);
                for i in 0..k {
                    fab.push(runner.run(Some(ab_matrix(&a, &b, k, i)), n, cfg.seed)?.0);
                }
                // The noise as input k + 1: A's inputs on B's noise shares the noise
                // alone with B and everything but the noise with A.
                fab.push(runner.run(Some(a.clone()), n, noise_b)?.0);
                // An input that takes one value on every row of A and B (a
                // range of no width) is left out, as the rank methods leave it:
                // its first-order estimate is sampling noise around 0 (a tester
                // saw −0.12 with an interval).
                let constant: Vec<bool> = (0..k)
                    .map(|i| {
                        let q = |row: &[f64]| params[i].dist.quantile(row[i]);
                        let mut rows = a.chunks_exact(k).chain(b.chunks_exact(k));
                        let first = rows.next().map(q);
                        rows.all(|row| Some(q(row)) == first)
                    })
                    .collect();
                for (o, rows) in by_output.iter_mut().enumerate() {
                    let ab: Vec<Vec<f64>> = fab.iter().map(|f| f[o].clone()).collect();
                    let s = sobol_indices(&fa[o], &fb[o], &ab, settings.resamples, cfg.seed);
                    for (method, est) in [("sobol_first", &s.first), ("sobol_total", &s.total)] {
                        for (i, e) in est.iter().enumerate() {
                            let estimate = if constant.get(i).copied().unwrap_or(false) {
                                Estimate::bare(f64::NAN)
                            } else {
                                *e
                            };
                            rows.push(Row {
                                output: o,
                                input: params.get(i).map_or(NOISE_INPUT, |p| &p.name).to_owned(),
                                method,
                                estimate,
                                point: String::new(),
                                input_value: f64::NAN,
                                n,
                            });
                        }
                    }
                }
            }
        }
    }
    let (runs, paths_simulated, firm_years) = (runner.runs, runner.paths, runner.firm_years);
    let varies = runner.extremes.iter().map(|(lo, hi)| hi > lo).collect();
    drop(runner);
    Ok(Analysis {
        methods: settings.methods.clone(),
        inputs: params.iter().map(|p| p.name.clone()).collect(),
        rows: by_output.into_iter().flatten().collect(),
        outputs: outs,
        runs,
        paths_simulated,
        firm_years,
        varies,
    })
}

/// What a scenario's `[correlation]` means for an analysis by `methods`, in
/// `lang`: the correlated inputs, and that tornado, spider and sobol treat the
/// inputs as independent (a table of uniforms takes no copula, docs/model.md §9),
/// so that their swings and variance shares are those of the model with
/// independent inputs, not of the file's. None without a copula, or when only rank
/// runs (it runs the scenario as written, correlation included).
///
/// The analysis does not try to allow for the dependence: the standard Sobol
/// indices are defined for independent inputs only (a share of the variance due
/// to one input is not defined when the inputs move together), and a tornado moves
/// one input with the others at their medians by construction.
pub fn independence_note(
    scn: &Scenario,
    methods: &[Method],
    lang: crate::i18n::Lang,
) -> Option<String> {
    let correlation = scn.params.correlation()?;
    let independent: Vec<&str> = methods
        .iter()
        .filter(|m| m.treats_inputs_as_independent())
        .map(|m| m.name())
        .collect();
    if independent.is_empty() {
        return None;
    }
    let tx = lang.texts();
    let list = |items: &[&str]| match items {
        [] => String::new(),
        [one] => (*one).to_owned(),
        [rest @ .., last] => format!(
            "{}{}{last}",
            rest.join(tx.t("sensitivity.independent.comma")),
            tx.t("sensitivity.independent.and")
        ),
    };
    let names: Vec<&str> = correlation.names.iter().map(String::as_str).collect();
    let rank = if methods.contains(&Method::Rank) {
        "sensitivity.independent.rank_ran"
    } else {
        "sensitivity.independent.rank_not_run"
    };
    Some(tx.f(
        "sensitivity.independent.text",
        &[
            ("inputs", &list(&names)),
            ("methods", &list(&independent)),
            ("rank", &tx.t(rank)),
        ],
    ))
}

/// `sensitivity.csv`'s bytes: [`HEADER`], then every row (numbers in shortest
/// round-trip form, undefined ones empty).
///
/// # Errors
/// If a row cannot be written (never, into memory).
pub fn csv_bytes(scn: &Scenario, analysis: &Analysis) -> Result<Vec<u8>, csv::Error> {
    use crate::output::cell;
    let mut buf = Vec::new();
    {
        let mut w = csv::Writer::from_writer(&mut buf);
        w.write_record(HEADER)?;
        for row in &analysis.rows {
            let o = &analysis.outputs[row.output];
            w.write_record([
                scn.id.as_str(),
                &o.alternative,
                &o.region,
                o.metric,
                &row.input,
                row.method,
                &cell(row.estimate.value),
                &cell(row.estimate.low),
                &cell(row.estimate.high),
                &row.point,
                &cell(row.input_value),
                &row.n.to_string(),
            ])?;
        }
        w.flush()?;
    }
    Ok(buf)
}

/// The record of an analysis, `sensitivity.json`: what it was computed from and how.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// Engine name and version.
    pub engine: String,
    /// Scenario id.
    pub scenario_id: String,
    /// Scenario file as given.
    pub scenario_file: String,
    /// SHA-256 of the scenario file's bytes.
    pub scenario_sha256: String,
    /// Seed.
    pub seed: u64,
    /// Paths per point, rows of Saltelli's matrices, paths of the rank run.
    pub paths: u64,
    /// Horizon in years.
    pub horizon: u32,
    /// Worker threads (they change no result).
    pub threads: usize,
    /// Methods run.
    pub methods: Vec<Method>,
    /// The uncertain inputs analysed (field paths).
    pub inputs: Vec<String>,
    /// The quantile the other inputs are held at.
    pub base_quantile: f64,
    /// The tornado's two quantiles.
    pub tornado_quantiles: [f64; 2],
    /// The spider's quantiles.
    pub spider_quantiles: Vec<f64>,
    /// Bootstrap resamples of the Sobol indices' intervals.
    pub bootstrap_resamples: usize,
    /// Confidence level of every interval.
    pub confidence_level: f64,
    /// How the design's uniforms and the bootstrap are drawn.
    pub streams: String,
    /// The generator and how streams are keyed.
    pub prng: String,
    /// Engine runs made.
    pub runs: usize,
    /// Paths simulated over all runs.
    pub paths_simulated: u64,
    /// Firm-years simulated over all runs.
    pub firm_years: u64,
    /// What to keep in mind reading the results: that tornado, spider and sobol
    /// treat the inputs of a `[correlation]` as independent
    /// ([`independence_note`]). Absent when there is nothing to say.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// How an analysis of `paths` paths per point draws its design's uniforms and its
/// bootstrap, in `lang`: sensitivity.json's `streams` (in English) and the
/// report's reproducibility table (in its language).
pub fn streams_text(lang: crate::i18n::Lang, paths: u64) -> String {
    lang.texts().f(
        "sensitivity.page.streams_text",
        &[
            ("paths", &paths),
            ("a", &STREAM_A),
            ("b", &STREAM_B),
            ("b_noise", &STREAM_B_NOISE),
            ("bootstrap", &STREAM_BOOTSTRAP),
        ],
    )
}

impl Record {
    /// The record of `analysis` of `scn` (from `file`) under `settings`.
    pub fn new(scn: &Scenario, file: &str, settings: &Settings, analysis: &Analysis) -> Record {
        Record {
            engine: crate::output::RunRecord::engine_name(),
            scenario_id: scn.id.clone(),
            scenario_file: file.to_owned(),
            scenario_sha256: scn.sha256.clone(),
            seed: settings.seed,
            paths: settings.paths,
            horizon: settings.horizon,
            threads: engine::resolve_threads(settings.threads),
            methods: settings.methods.clone(),
            inputs: analysis.inputs.clone(),
            base_quantile: BASE_U,
            tornado_quantiles: [TORNADO_LOW, TORNADO_HIGH],
            spider_quantiles: SPIDER_LEVELS.to_vec(),
            bootstrap_resamples: settings.resamples,
            confidence_level: LEVEL,
            streams: streams_text(crate::i18n::Lang::En, settings.paths),
            prng: engine::PRNG_NAME.to_owned(),
            runs: analysis.runs,
            paths_simulated: analysis.paths_simulated,
            firm_years: analysis.firm_years,
            notes: independence_note(scn, &analysis.methods, crate::i18n::Lang::En)
                .into_iter()
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_constant_input_is_left_out_of_the_regression() {
        // Two inputs that drive y, and a constant whose mean, summed and divided,
        // is not exactly its value: it must get no coefficient and take no degree
        // of freedom, so the others' estimates and intervals are those of the fit
        // without it.
        let n = 100;
        let a: Vec<f64> = (0..n).map(|i| ((i * 37) % 101) as f64 / 101.0).collect();
        let b: Vec<f64> = (0..n).map(|i| ((i * 53) % 97) as f64 / 97.0).collect();
        let noise = |i: usize| ((i * 71) % 89) as f64 / 89.0 - 0.5;
        let y: Vec<f64> = (0..n).map(|i| 2.0 * a[i] - b[i] + 0.3 * noise(i)).collect();
        let constant = vec![0.65; n];
        assert!(
            (constant.iter().sum::<f64>() / n as f64 - 0.65).abs() > 0.0,
            "the test wants a constant whose plain mean is off by a rounding"
        );
        let with = src(&[a.clone(), constant, b.clone()], &y).expect("a fit");
        let without = src(&[a, b], &y).expect("a fit");
        let c = with.coefficients[1];
        assert!(
            c.value.is_nan() && c.low.is_nan() && c.high.is_nan(),
            "{c:?}"
        );
        assert_eq!(with.coefficients[0], without.coefficients[0]);
        assert_eq!(with.coefficients[2], without.coefficients[1]);
        assert_eq!(with.r2.to_bits(), without.r2.to_bits());
    }

    #[test]
    fn the_planned_runs_are_the_runs_the_analysis_makes() {
        let scn = Scenario::reference().expect("the reference scenario loads");
        let k = scn.params.len();
        let methods = |list: &str| Method::parse_list(list).expect("methods");
        // Tornado's p10 and p90 are spider levels too: 1 + 6k, not 1 + 8k.
        assert_eq!(planned_runs(k, &methods("tornado")), 1 + 2 * k);
        assert_eq!(planned_runs(k, &methods("tornado,spider")), 1 + 6 * k);
        assert_eq!(planned_runs(k, &methods("rank,sobol")), 1 + k + 3);
        for list in ["tornado", "spider,rank", "all"] {
            let settings = Settings {
                paths: 16,
                seed: 1,
                horizon: 2,
                threads: 1,
                methods: methods(list),
                resamples: MIN_BOOTSTRAP_RESAMPLES,
            };
            let a = analyse(&scn, &settings).expect("the analysis runs");
            assert_eq!(planned_runs(k, &settings.methods), a.runs, "{list}");
            assert_eq!(a.paths_simulated, 16 * a.runs as u64, "{list}");
        }
    }

    #[test]
    fn ranks_average_ties() {
        assert_eq!(ranks(&[3.0, 1.0, 3.0, 2.0]), vec![3.5, 1.0, 3.5, 2.0]);
    }

    #[test]
    fn mean_ci_is_mean_plus_minus_196_standard_errors() {
        // mean 2.5, sd² = 5/3 over n = 4: se = √(5/12) ≈ 0.645497.
        let e = mean_ci(&[1.0, 2.0, 3.0, 4.0]);
        assert!((e.value - 2.5).abs() < 1e-12);
        let half = Z95 * (5.0f64 / 12.0).sqrt();
        assert!((e.high - 2.5 - half).abs() < 1e-12 && (2.5 - e.low - half).abs() < 1e-12);
    }

    #[test]
    fn methods_parse_in_table_order_and_reject_unknown_names() {
        assert_eq!(
            Method::parse_list("sobol,tornado,sobol").unwrap(),
            vec![Method::Tornado, Method::Sobol]
        );
        assert_eq!(Method::parse_list("all").unwrap(), Method::ALL.to_vec());
        assert!(
            Method::parse_list("morris")
                .unwrap_err()
                .contains("`morris`")
        );
    }

    #[test]
    fn an_additive_function_has_first_order_equal_to_total_indices() {
        // f = x1 + 2 x2 on uniforms: Var = 1/12 + 4/12, S1 = 0.2, S2 = 0.8, no
        // interaction. Jansen's first-order estimator is the noisier one (a
        // difference of two variance estimates; its sd here is about 0.02 over
        // seeds, and this seed's S1 is 1.7 sd low; with two inputs S1 + ST2 = 1
        // exactly, so ST2 is as far high): every index within 0.05, and S1 + S2 and
        // ST1 + ST2 near 1 (no interaction).
        let s = sobol_of(|u| u[0] + 2.0 * u[1], 2, 4000, 3, 200);
        for (i, want) in [0.2, 0.8].into_iter().enumerate() {
            for e in [s.first[i], s.total[i]] {
                assert!((e.value - want).abs() < 0.05, "{i}: {e:?}");
                assert!(e.width() < 0.1, "{i}: {e:?}");
            }
        }
        assert!((s.first[0].value + s.first[1].value - 1.0).abs() < 0.05);
        assert!((s.total[0].value + s.total[1].value - 1.0).abs() < 0.05);
    }

    #[test]
    fn each_method_needs_the_paths_its_estimates_are_defined_on() {
        // Rank: an SRC needs N ≥ k + 2 (src gives None below), Spearman's interval
        // N ≥ 4; the others an interval from two paths or rows.
        let data = |k: usize, n: usize| -> (Vec<Vec<f64>>, Vec<f64>) {
            let x = (0..k)
                .map(|i| {
                    (0..n)
                        .map(|j| ((7 * j + 13 * i + i * j * j) % 17) as f64)
                        .collect()
                })
                .collect();
            (x, (0..n).map(|j| (j * j) as f64).collect())
        };
        for k in [1, 2, 10] {
            let n = Method::Rank.min_paths(k) as usize;
            assert_eq!(n, (k + 2).max(4));
            let (x, y) = data(k, n);
            assert!(src(&x, &y).is_some(), "k = {k}, N = {n}");
            assert!(spearman(&x[0], &y).low.is_finite(), "k = {k}, N = {n}");
            let (x, y) = data(k, n - 1);
            assert!(
                src(&x, &y).is_none() || spearman(&x[0], &y).low.is_nan(),
                "k = {k}, N = {}: every estimate defined",
                n - 1
            );
        }
        for m in [Method::Tornado, Method::Spider, Method::Sobol] {
            assert_eq!(m.min_paths(10), 2);
        }
        assert!(mean_ci(&[1.0]).low.is_nan() && mean_ci(&[1.0, 2.0]).low.is_finite());
        let e = SensitivityError::TooFewPaths {
            paths: 1,
            inputs: 4,
            short: vec![(Method::Rank, 6), (Method::Sobol, 2)],
        };
        assert!(e.is_bad_input());
        assert_eq!(
            e.to_string(),
            "--paths 1 is too few with 4 inputs: rank needs at least 6 (the regression on 4 inputs needs N − 5 ≥ 1 degrees of freedom for its standard errors, and Spearman's interval needs N ≥ 4); sobol needs at least 2 (the bootstrap of one row of the design can resample only that row, so every interval would have width 0); give --paths 6 or more, or leave those methods out of --method"
        );
    }

    #[test]
    fn too_few_resamples_for_sobol_are_refused() {
        // The tester's --resamples 1: every Sobol interval was [x, x], which
        // need not contain its estimate (−0.24 in [−0.46, −0.46]).
        let tail = (1.0 - LEVEL) / 2.0;
        let b = MIN_BOOTSTRAP_RESAMPLES as f64;
        assert!(1.0 / b <= tail && 1.0 / (b - 1.0) > tail);
        let scn = Scenario::reference().expect("the reference scenario loads");
        let settings = |methods: &[Method], resamples: usize| Settings {
            paths: 16,
            seed: 1,
            horizon: 2,
            threads: 1,
            methods: methods.to_vec(),
            resamples,
        };
        for r in [0, 1, MIN_BOOTSTRAP_RESAMPLES - 1] {
            let e = check(&scn, &settings(&Method::ALL, r)).unwrap_err();
            assert!(e.is_bad_input());
            assert!(
                matches!(e, SensitivityError::TooFewResamples(n) if n == r),
                "{e}"
            );
        }
        assert_eq!(
            SensitivityError::TooFewResamples(1).to_string(),
            "--resamples 1 is too few: sobol's 95% intervals need at least 40 bootstrap resamples (a percentile interval leaves 2.5% of the B resamples out at each end, and at least one of them, 1/B, so it needs 1/B ≤ 2.5%; with fewer it spans less than the middle 95% of them, and with 1 it is that one resample, of width 0); give --resamples 40 or more (the default is 1000), or leave sobol out of --method"
        );
        assert!(check(&scn, &settings(&[Method::Sobol], MIN_BOOTSTRAP_RESAMPLES)).is_ok());
        // Only Sobol's intervals are bootstrapped.
        assert!(check(&scn, &settings(&[Method::Tornado, Method::Rank], 1)).is_ok());
    }

    #[test]
    fn the_bootstrap_is_reproducible() {
        let a = sobol_of(|u| u[0] * u[1], 2, 300, 9, 50);
        let b = sobol_of(|u| u[0] * u[1], 2, 300, 9, 50);
        assert_eq!(a, b);
    }
}
