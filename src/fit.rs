//! Fitting distributions to observed values (`enclave fit`): each candidate
//! family a scenario input can take is fitted by maximum likelihood, the fits are
//! ranked by AIC, each is tested by its Kolmogorov–Smirnov statistic, and the
//! best is written as a scenario distribution table (docs/model.md §9).
//!
//! Estimators (n values `x_i`, sample mean `x̄`):
//! - normal: `μ = x̄`, `σ² = Σ (x_i − x̄)²/n`;
//! - lognormal (all `x > 0`): the normal's on `ln x`, written as `mu`/`sigma`;
//! - gamma (all `x > 0`): `k` solves `ln k − ψ(k) = ln x̄ − mean(ln x)` (Newton,
//!   from Minka's start), `θ = x̄/k`;
//! - uniform: `[min x, max x]`;
//! - triangular and PERT: ends `a = min x − r/(n − 1)`, `b = max x + r/(n − 1)`
//!   (`r` the sample range: at the sample's own ends the density is 0), then the
//!   mode by maximum likelihood (triangular: at an observation, Oliver 1972, by
//!   prefix sums; PERT: the root of the score, by bisection, as `L` is concave
//!   in the mode);
//! - beta on the same ends: `α`, `β` solve
//!   `ψ(α) − ψ(α + β) = mean ln y`, `ψ(β) − ψ(α + β) = mean ln(1 − y)` with
//!   `y = (x − a)/(b − a)` (Newton from the method of moments).
//!
//! The ends of triangular, PERT and beta are fixed from the data, not fitted: each
//! such fit counts them among its `k` parameters for AIC = `2k − 2 ln L` anyway
//! (triangular and PERT `k = 3`, beta `k = 4`).

use statrs::function::gamma::{digamma, ln_gamma};

use crate::dist::{Dist, Uncertain};
use crate::scenario::limits::MAX_INPUT_MAGNITUDE;

/// Fewest values `fit` accepts.
pub const MIN_FIT_VALUES: usize = 3;

/// One fitted family.
#[derive(Debug, Clone)]
pub struct Fit {
    /// The family's name as written in a scenario (`normal`, `gamma`, …).
    pub family: &'static str,
    /// The fitted distribution.
    pub dist: Dist,
    /// Parameters as written in the scenario table, in order.
    pub params: Vec<(&'static str, f64)>,
    /// Number of parameters counted by AIC.
    pub k: usize,
    /// Maximised log-likelihood.
    pub log_likelihood: f64,
    /// Akaike information criterion, `2k − 2 ln L`.
    pub aic: f64,
    /// Kolmogorov–Smirnov statistic `sup |F_n − F|` against the fitted CDF.
    pub ks: f64,
}

impl Fit {
    /// The fit as a scenario distribution table, `{ dist = "…", … }`, truncated
    /// below at `lower` when given; each number in the fewest digits that read
    /// back as the fitted one ([`toml_float`]), so the table is the fitted
    /// distribution, however narrow.
    pub fn table(&self, lower: Option<f64>) -> String {
        let mut params: Vec<String> = self
            .params
            .iter()
            .map(|(p, v)| format!("{p} = {}", toml_float(*v)))
            .collect();
        if let Some(l) = lower {
            params.push(format!("lower = {}", toml_float(l)));
        }
        format!("{{ dist = \"{}\", {} }}", self.family, params.join(", "))
    }

    /// The fit as a scenario line `key = { dist = "…", … }` (see [`Fit::table`]);
    /// `key` is written as given.
    pub fn snippet(&self, key: &str, lower: Option<f64>) -> String {
        format!("{key} = {}", self.table(lower))
    }

    /// The probability the fitted distribution gives to values below `x`, when
    /// its range reaches below `x` (a normal always does, a triangular, PERT or
    /// beta when its lower end does); None when it does not.
    pub fn below(&self, x: f64) -> Option<f64> {
        // The fit validated when it was made (`finish`).
        let u = Uncertain::new(self.dist.clone(), None, None).ok()?;
        (u.support().0 < x).then(|| u.cdf(x))
    }
}

/// `x` in the fewest digits that read back as `x` exactly (Rust's shortest
/// round-trip form), with an exponent where plain digits would run long
/// (|x| ≥ 1e21 or below 1e-6, as JavaScript writes numbers): `2`, `0.001`,
/// `1e-200` rather than 200 digits. `enclave fit` and `enclave sweep` (its
/// `--list` and `sweep.csv`) write numbers so.
pub fn float_text(x: f64) -> String {
    let a = x.abs();
    if a == 0.0 || !a.is_finite() || (1e-6..1e21).contains(&a) {
        x.to_string()
    } else {
        format!("{x:e}")
    }
}

/// `x` as a TOML float: [`float_text`], always with a decimal point or an
/// exponent: `2.0`, `1000000.4999999999`, `1e-7`.
pub fn toml_float(x: f64) -> String {
    let s = float_text(x);
    if s.contains(['.', 'e', 'i', 'N']) {
        s
    } else {
        format!("{s}.0")
    }
}

/// `x` rounded to `digits` significant digits, written as [`toml_float`] writes
/// it (`3.01235`, `1.5e-9`, `-3.33333e-201` rather than 200 digits): for the
/// ranking's short numbers; a table to paste uses [`toml_float`] on `x` itself.
pub fn significant(x: f64, digits: usize) -> String {
    let rounded: f64 = format!("{x:.*e}", digits.saturating_sub(1))
        .parse()
        .unwrap_or(x);
    toml_float(rounded)
}

/// Why the data cannot be fitted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FitError {
    /// Fewer than [`MIN_FIT_VALUES`] values.
    #[error("expected at least {MIN_FIT_VALUES} values to fit, found {0}")]
    TooFew(usize),
    /// Every value is the same.
    #[error("expected values that differ, found {0} copies of {1}")]
    Constant(usize, String),
}

/// A family that was not fitted, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct LeftOut {
    /// The family's name as written in a scenario.
    pub family: &'static str,
    /// Why, e.g. `it needs every value > 0, and the smallest is -1`.
    pub why: String,
}

/// The fits of every family that applies, and the families left out.
#[derive(Debug, Clone)]
pub struct Fits {
    /// Best (lowest AIC) first.
    pub ranked: Vec<Fit>,
    /// In the order the families are tried: normal, lognormal, gamma, uniform,
    /// triangular, PERT, beta.
    pub left_out: Vec<LeftOut>,
}

/// Every family fitted to `data`, best (lowest AIC) first, and the families left
/// out with the reason: lognormal and gamma unless every value is > 0, a fit that
/// a scenario would refuse whatever the field (a gamma shape above 1e6,
/// `MAX_GAMMA_SHAPE`: nearly normal data; draws beyond ±1e12,
/// [`MAX_INPUT_MAGNITUDE`]), a fit whose likelihood is not finite, and one whose CDF is not
/// a finite number at some value (no KS statistic, [`ks_statistic`]).
///
/// # Errors
/// Fewer than [`MIN_FIT_VALUES`] values, or all equal.
pub fn fit_all(data: &[f64]) -> Result<Fits, FitError> {
    fit_with(data, true)
}

/// Why a scenario would refuse `fit` of data whose smallest value is `min`
/// whatever the field: its draws beyond ±[`MAX_INPUT_MAGNITUDE`], of the table as
/// `enclave fit` prints it (truncated at 0 when every value is ≥ 0 and the fit
/// reaches below, [`Fit::below`]).
fn beyond_limits(fit: &Fit, min: f64) -> Option<String> {
    // The fit validated when it was made (`finish`).
    let u = Uncertain::new(fit.dist.clone(), None, None).ok()?;
    let lower = (min >= 0.0 && u.support().0 < 0.0).then_some(0.0);
    // Truncation at 0 keeps the draws in [0, the largest].
    let first = lower.map_or(u.quantile(0.0), |l| u.quantile(0.0).max(l));
    let last = u.quantile(1.0);
    // A NaN end counts as beyond.
    if ![first, last].iter().all(|x| x.abs() <= MAX_INPUT_MAGNITUDE) {
        // Six digits, unless they round an end beyond the limit to one within
        // it ("[9e11, 1e12], beyond ±1e12": exploratory test): then every digit.
        let shown = |x: f64| {
            let short = significant(x, 6);
            let within = |t: &str| {
                t.parse::<f64>()
                    .is_ok_and(|v| v.abs() <= MAX_INPUT_MAGNITUDE)
            };
            if x.abs() > MAX_INPUT_MAGNITUDE && within(&short) {
                format!("{x:e}")
            } else {
                short
            }
        };
        return Some(format!(
            "a scenario would refuse its fit: its draws range over [{}, {}], beyond ±{MAX_INPUT_MAGNITUDE:e}, which every input must stay within",
            shown(first),
            shown(last)
        ));
    }
    // The table as printed, with `lower = 0.0`.
    let errors = Uncertain::new(fit.dist.clone(), lower, None).err()?;
    let list: Vec<String> = errors.iter().map(ToString::to_string).collect();
    Some(format!(
        "a scenario would refuse its fit truncated at 0 (every value is ≥ 0): {}",
        list.join("; ")
    ))
}

/// [`fit_all`], with the field-independent limits ([`beyond_limits`]) applied or
/// not (the fitting itself is checked on data of any scale).
fn fit_with(data: &[f64], limits: bool) -> Result<Fits, FitError> {
    if data.len() < MIN_FIT_VALUES {
        return Err(FitError::TooFew(data.len()));
    }
    let mut x = data.to_vec();
    x.sort_by(f64::total_cmp);
    let n = x.len();
    if x[0] >= x[n - 1] {
        return Err(FitError::Constant(n, x[0].to_string()));
    }
    let positive = |family: &'static str, fit: fn(&[f64]) -> Result<Fit, String>| {
        if x[0] > 0.0 {
            (family, fit(&x))
        } else {
            (
                family,
                Err(format!(
                    "it needs every value > 0, and the smallest is {}",
                    x[0]
                )),
            )
        }
    };
    let tried = [
        ("normal", normal(&x)),
        positive("lognormal", lognormal),
        positive("gamma", gamma),
        ("uniform", uniform(&x)),
        ("triangular", triangular(&x)),
        ("pert", pert(&x)),
        ("beta", beta(&x)),
    ];
    let mut ranked = Vec::new();
    let mut left_out = Vec::new();
    for (family, fit) in tried {
        match fit {
            Ok(f) if f.aic.is_finite() => match beyond_limits(&f, x[0]).filter(|_| limits) {
                None => ranked.push(f),
                Some(why) => left_out.push(LeftOut { family, why }),
            },
            Ok(f) => left_out.push(LeftOut {
                family,
                why: format!("its log-likelihood is not finite ({})", f.log_likelihood),
            }),
            Err(why) => left_out.push(LeftOut { family, why }),
        }
    }
    ranked.sort_by(|a, b| a.aic.total_cmp(&b.aic));
    Ok(Fits { ranked, left_out })
}

/// A CDF that is not a finite number at a value: its Kolmogorov–Smirnov
/// statistic cannot be computed.
#[derive(Debug, Clone, Copy, PartialEq, thiserror::Error)]
#[error(
    "its CDF is {} at {}, so its Kolmogorov–Smirnov statistic cannot be computed",
    .cdf,
    float_text(*.x)
)]
pub struct CdfNotFinite {
    /// The value.
    pub x: f64,
    /// The CDF there.
    pub cdf: f64,
}

/// `sup |F_n − F|` of sorted values against the CDF `cdf`.
///
/// # Errors
/// The first value at which `cdf` is not a finite number: a maximum that passed
/// over it (as `f64::max` passes over NaN) would understate D, down to 0.
pub fn ks_statistic(sorted: &[f64], cdf: impl Fn(f64) -> f64) -> Result<f64, CdfNotFinite> {
    let n = sorted.len() as f64;
    let mut d = 0.0_f64;
    for (i, &x) in sorted.iter().enumerate() {
        let f = cdf(x);
        if !f.is_finite() {
            return Err(CdfNotFinite { x, cdf: f });
        }
        d = d
            .max((f - i as f64 / n).abs())
            .max(((i + 1) as f64 / n - f).abs());
    }
    Ok(d)
}

/// A fit from its family, parameters and log-likelihood, or why a scenario
/// would refuse the distribution, or why its KS statistic cannot be computed.
fn finish(
    family: &'static str,
    dist: Dist,
    params: Vec<(&'static str, f64)>,
    k: usize,
    log_likelihood: f64,
    x: &[f64],
) -> Result<Fit, String> {
    let u = Uncertain::new(dist.clone(), None, None).map_err(|errors| {
        let list: Vec<String> = errors.iter().map(ToString::to_string).collect();
        format!("a scenario would refuse its fit: {}", list.join("; "))
    })?;
    let ks = ks_statistic(x, |v| u.cdf(v)).map_err(|e| e.to_string())?;
    Ok(Fit {
        family,
        dist,
        params,
        k,
        log_likelihood,
        aic: 2.0 * k as f64 - 2.0 * log_likelihood,
        ks,
    })
}

/// The mean and the standard deviation `√(Σ (x − x̄)²/n)`, the deviations
/// divided by a power of two `s` near the largest before they are squared, and
/// `s` multiplied back after the root: the squares of deviations near 1e-200
/// underflowed to 0 (σ = 0, a NaN likelihood), near 1e200 they overflowed.
/// Scaling by a power of two is exact, so other data give the same bits.
fn mean_sd(x: impl Iterator<Item = f64> + Clone) -> (f64, f64) {
    let (mut n, mut sum) = (0.0, 0.0);
    for v in x.clone() {
        n += 1.0;
        sum += v;
    }
    let mean = sum / n;
    let largest = x.clone().map(|v| (v - mean).abs()).fold(0.0, f64::max);
    if !(largest > 0.0 && largest.is_finite()) {
        // Equal values (σ = 0), or a sum that overflowed: nothing to scale.
        let var = x.map(|v| (v - mean).powi(2)).sum::<f64>() / n;
        return (mean, var.sqrt());
    }
    // log2 of a finite positive double is in [−1074, 1024); 2^−1022 is the
    // smallest normal power of two (powi of a lower one divides by an ∞).
    let s = 2f64.powi((largest.log2().floor() as i32).max(-1022));
    let var = x.map(|v| ((v - mean) / s).powi(2)).sum::<f64>() / n;
    (mean, var.sqrt() * s)
}

/// `ln φ` of the normal: `−ln σ − ½ ln 2π − (x − μ)²/(2σ²)`, summed.
fn normal_ll(x: impl Iterator<Item = f64>, mu: f64, sd: f64) -> f64 {
    let c = -sd.ln() - 0.5 * std::f64::consts::TAU.ln();
    x.map(|v| c - 0.5 * ((v - mu) / sd).powi(2)).sum()
}

fn normal(x: &[f64]) -> Result<Fit, String> {
    let (mean, sd) = mean_sd(x.iter().copied());
    let ll = normal_ll(x.iter().copied(), mean, sd);
    finish(
        "normal",
        Dist::Normal { mean, sd },
        vec![("mean", mean), ("sd", sd)],
        2,
        ll,
        x,
    )
}

fn lognormal(x: &[f64]) -> Result<Fit, String> {
    let (mu, sigma) = mean_sd(x.iter().map(|v| v.ln()));
    // The density of X is that of ln X divided by x.
    let ll = normal_ll(x.iter().map(|v| v.ln()), mu, sigma) - x.iter().map(|v| v.ln()).sum::<f64>();
    finish(
        "lognormal",
        Dist::LogNormalMuSigma { mu, sigma },
        vec![("mu", mu), ("sigma", sigma)],
        2,
        ll,
        x,
    )
}

/// Trigamma `ψ'(x)` for `x > 0`: the recurrence `ψ'(x) = ψ'(x + 1) + 1/x²` up to
/// `x ≥ 20` (where the series' next term, `5/(66x¹¹)`, is below 1e-15), then the
/// asymptotic series `1/x + 1/(2x²) + 1/(6x³) − 1/(30x⁵) + 1/(42x⁷) − 1/(30x⁹)`.
pub fn trigamma(mut x: f64) -> f64 {
    let mut acc = 0.0;
    while x < 20.0 {
        acc += 1.0 / (x * x);
        x += 1.0;
    }
    let x2 = 1.0 / (x * x);
    acc + 1.0 / x
        + x2 / 2.0
        + x2 / x * (1.0 / 6.0 - x2 * (1.0 / 30.0 - x2 * (1.0 / 42.0 - x2 / 30.0)))
}

/// Gamma log-likelihood: `Σ [(k − 1) ln x − x/θ] − n (ln Γ(k) + k ln θ)`.
fn gamma_ll(x: &[f64], shape: f64, scale: f64) -> f64 {
    let n = x.len() as f64;
    let s: f64 = x.iter().map(|v| (shape - 1.0) * v.ln() - v / scale).sum();
    s - n * (ln_gamma(shape) + shape * scale.ln())
}

fn gamma(x: &[f64]) -> Result<Fit, String> {
    let n = x.len() as f64;
    let mean = x.iter().sum::<f64>() / n;
    let mean_ln = x.iter().map(|v| v.ln()).sum::<f64>() / n;
    let s = mean.ln() - mean_ln;
    if s.is_nan() || s <= 0.0 {
        // ln x̄ ≥ mean ln x with equality only for equal values: here rounding
        // has made them meet.
        return Err(format!(
            "the values are too close together for its estimate: ln x̄ − mean ln x = {s:e}"
        ));
    }
    // Minka (2002) start, then Newton on ln k − ψ(k) − s = 0 (decreasing, convex).
    let mut k = (3.0 - s + ((s - 3.0).powi(2) + 24.0 * s).sqrt()) / (12.0 * s);
    for _ in 0..100 {
        let g = k.ln() - digamma(k) - s;
        let dg = 1.0 / k - trigamma(k);
        let mut next = k - g / dg;
        if !(next > 0.0 && next.is_finite()) {
            next = k / 2.0;
        }
        let done = ((next - k) / k).abs() < 1e-14;
        k = next;
        if done {
            break;
        }
    }
    let scale = mean / k;
    finish(
        "gamma",
        Dist::Gamma { shape: k, scale },
        vec![("shape", k), ("scale", scale)],
        2,
        gamma_ll(x, k, scale),
        x,
    )
}

fn uniform(x: &[f64]) -> Result<Fit, String> {
    let (min, max) = (x[0], x[x.len() - 1]);
    let ll = -(x.len() as f64) * (max - min).ln();
    finish(
        "uniform",
        Dist::Uniform { min, max },
        vec![("min", min), ("max", max)],
        2,
        ll,
        x,
    )
}

/// The ends of the bounded families: the sample range widened by one average
/// spacing `r/(n − 1)` on each side.
fn ends(x: &[f64]) -> (f64, f64) {
    let n = x.len();
    let pad = (x[n - 1] - x[0]) / (n - 1) as f64;
    (x[0] - pad, x[n - 1] + pad)
}

fn triangular(x: &[f64]) -> Result<Fit, String> {
    let (a, b) = ends(x);
    let n = x.len();
    // ln L(c) = n ln 2 − n ln(b − a) + Σ_{x<c} ln(x − a) − m ln(c − a)
    //         + Σ_{x≥c} ln(b − x) − (n − m) ln(b − c), m = #{x < c}; the maximum
    // is at an observation (Oliver 1972): c = x_m, m = 0..n−1.
    let mut below = vec![0.0; n + 1];
    for i in 0..n {
        below[i + 1] = below[i] + (x[i] - a).ln();
    }
    let mut above = vec![0.0; n + 1];
    for i in (0..n).rev() {
        above[i] = above[i + 1] + (b - x[i]).ln();
    }
    let base = n as f64 * (2f64.ln() - (b - a).ln());
    let mut best = (f64::NEG_INFINITY, x[0]);
    for m in 0..n {
        let c = x[m];
        let mut ll = base + below[m] + above[m] - (n - m) as f64 * (b - c).ln();
        if m > 0 {
            ll -= m as f64 * (c - a).ln();
        }
        if ll > best.0 {
            best = (ll, c);
        }
    }
    let (ll, mode) = best;
    finish(
        "triangular",
        Dist::Triangular {
            min: a,
            mode,
            max: b,
        },
        vec![("min", a), ("mode", mode), ("max", b)],
        3,
        ll,
        x,
    )
}

/// Beta log-likelihood of `x` on `[a, b]`:
/// `Σ [(α − 1) ln y + (β − 1) ln(1 − y)] − n [ln B(α, β) + ln(b − a)]`.
fn beta_ll(x: &[f64], alpha: f64, beta: f64, a: f64, b: f64) -> f64 {
    let n = x.len() as f64;
    let w = b - a;
    let s: f64 = x
        .iter()
        .map(|v| {
            let y = (v - a) / w;
            (alpha - 1.0) * y.ln() + (beta - 1.0) * (1.0 - y).ln()
        })
        .sum();
    s - n * (ln_gamma(alpha) + ln_gamma(beta) - ln_gamma(alpha + beta) + w.ln())
}

/// PERT: a beta on `[a, b]` with `α = 1 + 4t`, `β = 5 − 4t` for the mode
/// `c = a + t (b − a)`. With `α + β = 6` fixed, `d ln L/dt` is `4n` times
/// `g(t) = mean ln y − mean ln(1 − y) − ψ(1 + 4t) + ψ(5 − 4t)`, which decreases
/// in `t`: `L` is concave in the mode, whose maximum is at the root of `g` in
/// `[0, 1]` (or at the end where `g` keeps its sign), found by bisection to the
/// last bit. (A golden-section search on `L` itself found it only to about
/// `√ε` relative, so the same data in other units gave modes, and D, that
/// differed by 1e-8.)
fn pert(x: &[f64]) -> Result<Fit, String> {
    let (a, b) = ends(x);
    let w = b - a;
    let n = x.len() as f64;
    let (mut ln_y, mut ln_1y) = (0.0, 0.0);
    for v in x {
        let y = (v - a) / w;
        ln_y += y.ln();
        ln_1y += (1.0 - y).ln();
    }
    let l = (ln_y - ln_1y) / n;
    let g = |t: f64| l - digamma(1.0 + 4.0 * t) + digamma(5.0 - 4.0 * t);
    let t = if g(0.0) <= 0.0 {
        0.0
    } else if g(1.0) >= 0.0 {
        1.0
    } else {
        // g(lo) > 0 > g(hi); halving until no double lies between them.
        let (mut lo, mut hi) = (0.0_f64, 1.0_f64);
        loop {
            let mid = 0.5 * (lo + hi);
            if mid <= lo || mid >= hi {
                break mid;
            }
            if g(mid) > 0.0 {
                lo = mid;
            } else {
                hi = mid;
            }
        }
    };
    let mode = (a + t * w).min(b);
    finish(
        "pert",
        Dist::Pert {
            min: a,
            mode,
            max: b,
        },
        vec![("min", a), ("mode", mode), ("max", b)],
        3,
        beta_ll(x, 1.0 + 4.0 * t, 5.0 - 4.0 * t, a, b),
        x,
    )
}

fn beta(x: &[f64]) -> Result<Fit, String> {
    let (a, b) = ends(x);
    let w = b - a;
    let n = x.len() as f64;
    let ys = x.iter().map(|v| (v - a) / w);
    let l1 = ys.clone().map(f64::ln).sum::<f64>() / n;
    let l2 = ys.clone().map(|y| (1.0 - y).ln()).sum::<f64>() / n;
    let (m, sd) = mean_sd(ys);
    // Method of moments start: α + β = m(1 − m)/v − 1.
    let common = (m * (1.0 - m) / (sd * sd) - 1.0).max(0.1);
    let (mut al, mut be) = (m * common, (1.0 - m) * common);
    for _ in 0..100 {
        let (ps, ts) = (digamma(al + be), trigamma(al + be));
        let g1 = digamma(al) - ps - l1;
        let g2 = digamma(be) - ps - l2;
        let (j11, j22, j12) = (trigamma(al) - ts, trigamma(be) - ts, -ts);
        let det = j11 * j22 - j12 * j12;
        let da = (g1 * j22 - g2 * j12) / det;
        let db = (j11 * g2 - j12 * g1) / det;
        // Damped so the shapes stay positive.
        let mut t = 1.0;
        while (al - t * da <= 0.0 || be - t * db <= 0.0) && t > 1e-10 {
            t /= 2.0;
        }
        let (na, nb) = (al - t * da, be - t * db);
        let done = ((na - al) / al).abs() < 1e-13 && ((nb - be) / be).abs() < 1e-13;
        (al, be) = (na, nb);
        if done || !(al.is_finite() && be.is_finite()) {
            break;
        }
    }
    finish(
        "beta",
        Dist::Beta {
            alpha: al,
            beta: be,
            min: a,
            max: b,
        },
        vec![("alpha", al), ("beta", be), ("min", a), ("max", b)],
        4,
        beta_ll(x, al, be, a, b),
        x,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trigamma_matches_known_values() {
        // ψ'(1) = π²/6, ψ'(1/2) = π²/2, ψ'(10) = 0.10516633568168575 (mpmath).
        let pi2 = std::f64::consts::PI.powi(2);
        assert!((trigamma(1.0) - pi2 / 6.0).abs() < 1e-13);
        assert!((trigamma(0.5) - pi2 / 2.0).abs() < 1e-12);
        assert!((trigamma(10.0) - 0.10516633568168575).abs() < 1e-14);
    }

    #[test]
    fn closed_forms_on_a_tiny_sample() {
        // 1, 2, 3, 6: normal mean 3, variance (4 + 1 + 0 + 9)/4 = 3.5.
        let fits = fit_all(&[2.0, 1.0, 6.0, 3.0]).expect("fits").ranked;
        let normal = fits.iter().find(|f| f.family == "normal").expect("normal");
        assert!((normal.params[0].1 - 3.0).abs() < 1e-15);
        assert!((normal.params[1].1 - 3.5f64.sqrt()).abs() < 1e-15);
        // ln L = −4 ln σ − 2 ln 2π − 14/(2·3.5) = −2 ln 3.5 − 2 ln 2π − 2.
        let ll = -2.0 * 3.5f64.ln() - 2.0 * std::f64::consts::TAU.ln() - 2.0;
        assert!((normal.log_likelihood - ll).abs() < 1e-12);
        assert!((normal.aic - (4.0 - 2.0 * ll)).abs() < 1e-12);
        let uniform = fits
            .iter()
            .find(|f| f.family == "uniform")
            .expect("uniform");
        assert!((uniform.log_likelihood + 4.0 * 5f64.ln()).abs() < 1e-12);
        // Sorted by AIC.
        assert!(fits.windows(2).all(|w| w[0].aic <= w[1].aic));
    }

    #[test]
    fn bad_data_is_refused() {
        assert_eq!(fit_all(&[1.0, 2.0]).unwrap_err(), FitError::TooFew(2));
        assert_eq!(
            fit_all(&[2.0; 5]).unwrap_err().to_string(),
            "expected values that differ, found 5 copies of 2"
        );
    }

    /// The parameters of a table as TOML reads them back.
    fn read_back(table: &str) -> toml::Table {
        let line: toml::Table = toml::from_str(&format!("x = {table}")).expect("TOML");
        line["x"].as_table().expect("a table").clone()
    }

    #[test]
    fn a_narrow_fit_is_printed_with_every_digit_it_needs() {
        // 300 values in 1e6 + (0, 1): 6 significant digits printed the uniform
        // as min = max = 1000000.0, a constant.
        let x: Vec<f64> = (0..300)
            .map(|i| 1e6 + (f64::from(i) + 0.5) / 300.0)
            .collect();
        let fits = fit_all(&x).expect("fits");
        for fit in &fits.ranked {
            let back = read_back(&fit.table(None));
            assert_eq!(back["dist"].as_str(), Some(fit.family));
            for (name, value) in &fit.params {
                let read = back[*name].as_float().expect("a float");
                assert_eq!(read.to_bits(), value.to_bits(), "{} {name}", fit.family);
            }
        }
        let uniform = fits
            .ranked
            .iter()
            .find(|f| f.family == "uniform")
            .expect("uniform");
        assert_eq!(
            uniform.snippet("v", None),
            "v = { dist = \"uniform\", min = 1000000.0016666667, max = 1000000.9983333333 }"
        );
        assert_eq!(
            uniform.table(Some(0.0)),
            "{ dist = \"uniform\", min = 1000000.0016666667, max = 1000000.9983333333, lower = 0.0 }"
        );
    }

    #[test]
    fn toml_floats_read_back_exactly() {
        for (x, text) in [
            (2.0, "2.0"),
            (-0.0, "-0.0"),
            (0.1 + 0.2, "0.30000000000000004"),
            (1e-7, "1e-7"),
            (-2.5e-300, "-2.5e-300"),
            (1.5e21, "1.5e21"),
            (123456789.125, "123456789.125"),
        ] {
            assert_eq!(toml_float(x), text);
            let back = read_back(&format!("{{ v = {text} }}"))["v"]
                .as_float()
                .expect("a float");
            assert_eq!(back.to_bits(), x.to_bits(), "{text}");
        }
    }

    #[test]
    fn families_left_out_are_named_with_the_reason() {
        let fits = fit_all(&[-1.0, 2.0, 4.0, 5.0]).expect("fits");
        assert_eq!(
            fits.left_out,
            [
                LeftOut {
                    family: "lognormal",
                    why: "it needs every value > 0, and the smallest is -1".into()
                },
                LeftOut {
                    family: "gamma",
                    why: "it needs every value > 0, and the smallest is -1".into()
                },
            ]
        );
        assert_eq!(fits.ranked.len(), 5);
        // Nearly constant positive data: the gamma's shape is far above 1e6.
        let x: Vec<f64> = (0..300)
            .map(|i| 1e6 + (f64::from(i) + 0.5) / 300.0)
            .collect();
        let fits = fit_all(&x).expect("fits");
        assert_eq!(fits.left_out.len(), 1, "{:?}", fits.left_out);
        assert_eq!(fits.left_out[0].family, "gamma");
        assert!(
            fits.left_out[0].why.starts_with(
                "a scenario would refuse its fit: shape: expected a shape of at most 1e6 (a larger one is nearly normal; write a normal instead), found "
            ),
            "{:?}",
            fits.left_out
        );
        // Every family is either ranked or left out.
        assert_eq!(fits.ranked.len() + fits.left_out.len(), 7);
    }

    #[test]
    fn below_is_the_probability_under_a_bound_the_range_reaches() {
        let fits = fit_all(&[1.0, 2.0, 3.0, 6.0]).expect("fits").ranked;
        let get = |family: &str| fits.iter().find(|f| f.family == family).expect(family);
        // Normal(3, √3.5): Φ(−3/√3.5).
        let p = get("normal").below(0.0).expect("reaches below 0");
        assert!((p - 0.054_404_715_0).abs() < 1e-9, "{p}");
        // The triangular's ends are 1 − 5/3 < 0 and 6 + 5/3.
        assert!(get("triangular").below(0.0).is_some_and(|p| p > 0.0));
        assert_eq!(get("uniform").below(0.0), None);
        assert_eq!(get("gamma").below(0.0), None);
    }

    #[test]
    fn the_scale_of_the_data_changes_no_fit() {
        // 1, 2, 3, 5 times 1e-300, 1e-200, 1e200 and 1e300, against the same data
        // brought back near 1: the triangular's CDF was 0/0 = NaN (∞/∞) at
        // every value, and its D printed as 0; the normal's σ² underflowed to 0
        // (overflowed), and the normal was left out.
        for scale in [1e-300, 1e-200, 1e200, 1e300] {
            let x = [1.0, 2.0, 3.0, 5.0].map(|v| v * scale);
            let unit = x.map(|v| v / scale);
            let (got, want) = (
                fit_with(&x, false).expect("fits"),
                fit_with(&unit, false).expect("fits"),
            );
            assert_eq!(got.left_out, [], "{scale:e}");
            assert_eq!(got.ranked.len(), 7, "{scale:e}");
            let families = |f: &Fits| f.ranked.iter().map(|f| f.family).collect::<Vec<_>>();
            assert_eq!(families(&got), families(&want), "{scale:e}");
            for (g, w) in got.ranked.iter().zip(&want.ranked) {
                assert!(
                    (g.ks / w.ks - 1.0).abs() < 1e-12,
                    "{scale:e} {}: D {} vs {}",
                    g.family,
                    g.ks,
                    w.ks
                );
            }
        }
    }

    #[test]
    fn a_fit_whose_draws_pass_the_input_limit_is_left_out_whatever_the_field() {
        // Values near 1e13 (a column of lognormal(30, 0.3) draws): every family's
        // draws pass ±1e12, which every scenario field refuses; the best of them
        // was printed "to paste into the scenario", exit 0.
        let x: Vec<f64> = (0..50)
            .map(|i| 1.1e13 * (1.0 + 0.3 * (f64::from(i) / 49.0 - 0.5)))
            .collect();
        let fits = fit_all(&x).expect("fits");
        assert!(fits.ranked.is_empty(), "{:?}", fits.ranked);
        assert_eq!(fits.left_out.len(), 7);
        for l in &fits.left_out {
            assert!(
                l.why
                    .starts_with("a scenario would refuse its fit: its draws range over [")
                    && l.why
                        .ends_with("], beyond ±1e12, which every input must stay within"),
                "{l:?}"
            );
        }
        // An end just beyond the limit is shown with the digits that say so: it
        // read "[900000000000.0, 1000000000000.0], beyond ±1e12".
        let fits = fit_all(&[1e12, 1.000_000_000_000_1e12, 9e11]).expect("fits");
        let ranges: Vec<(&str, &str)> = fits
            .left_out
            .iter()
            .filter_map(|l| l.why.split_once("range over [")?.1.split_once(']'))
            .map(|(range, _)| range.split_once(", ").expect("two ends"))
            .collect();
        assert!(!ranges.is_empty(), "{:?}", fits.left_out);
        let beyond = |t: &str| t.parse::<f64>().expect("a number").abs() > MAX_INPUT_MAGNITUDE;
        for (low, high) in ranges {
            assert!(beyond(low) || beyond(high), "[{low}, {high}]");
        }
        // A range to 1e308: the uniform [1, 1e308] was printed; the PERT was left
        // out in statrs's words ("Shape B is NaN, infinite, zero or negative").
        let fits = fit_all(&[1.0, 2.0, 3.0, 4.0, 1e308]).expect("fits");
        assert!(fits.ranked.is_empty(), "{:?}", fits.ranked);
        let pert = fits
            .left_out
            .iter()
            .find(|l| l.family == "pert")
            .expect("the pert left out");
        assert!(
            pert.why.starts_with(
                "a scenario would refuse its fit: its draws range over [0.0, 1.25e308], beyond"
            ),
            "{pert:?}"
        );
        // Data within the limit keep every family.
        assert_eq!(
            fit_all(&[1e9, 2e9, 3e9, 5e9]).expect("fits").ranked.len(),
            7
        );
    }

    #[test]
    fn the_pert_mode_maximises_the_likelihood() {
        let x = [1.0, 2.0, 3.0, 5.0];
        let fit = pert(&x).expect("a fit");
        let (a, mode, b) = (fit.params[0].1, fit.params[1].1, fit.params[2].1);
        let ll = |c: f64| {
            beta_ll(
                &x,
                1.0 + 4.0 * (c - a) / (b - a),
                1.0 + 4.0 * (b - c) / (b - a),
                a,
                b,
            )
        };
        assert!((fit.log_likelihood - ll(mode)).abs() < 1e-12);
        for step in [1e-2, 1e-4, 1e-6] {
            assert!(
                ll(mode) > ll(mode - step) && ll(mode) > ll(mode + step),
                "{step}"
            );
        }
        // The golden-section search's mode, to its 6 digits.
        assert_eq!(significant(mode, 6), "2.67408");
    }

    #[test]
    fn a_cdf_not_finite_somewhere_gives_no_ks_statistic() {
        let x = [1.0, 2.0, 3.0, 5.0];
        let uniform = |v: f64| ((v - 1.0) / 4.0).clamp(0.0, 1.0);
        // D of the uniform on [1, 5]: 1/4 at 1 (F = 0, F_n = 1/4).
        assert_eq!(ks_statistic(&x, uniform), Ok(0.25));
        // f64::max passes over a NaN wherever it is: D was finite, 0 when
        // every value was NaN.
        for bad in x {
            for cdf in [f64::NAN, f64::INFINITY] {
                let got = ks_statistic(&x, |v| {
                    if v.to_bits() == bad.to_bits() {
                        cdf
                    } else {
                        uniform(v)
                    }
                });
                let want = CdfNotFinite { x: bad, cdf };
                assert!(
                    got.is_err_and(|e| e.x.to_bits() == want.x.to_bits()
                        && e.cdf.to_bits() == want.cdf.to_bits()),
                    "{bad} {cdf}: {got:?}"
                );
            }
        }
        assert_eq!(
            ks_statistic(&[1e-200], |_| f64::NAN)
                .unwrap_err()
                .to_string(),
            "its CDF is NaN at 1e-200, so its Kolmogorov–Smirnov statistic cannot be computed"
        );
    }

    #[test]
    fn significant_digits_read_back_as_floats() {
        assert_eq!(significant(3.0123456, 6), "3.01235");
        assert_eq!(significant(2.0, 6), "2.0");
        // 200 digits before: -0.000…000333333.
        assert_eq!(significant(-1.5e-9, 3), "-1.5e-9");
        assert_eq!(significant(-1.0 / 3.0 * 1e-200, 6), "-3.33333e-201");
        assert_eq!(significant(8.443419e199, 6), "8.44342e199");
        assert_eq!(significant(123_456_789.0, 6), "123457000.0");
    }
}
