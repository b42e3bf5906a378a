//! Probability distributions for the uncertain inputs of a simulation.
//!
//! A [`Dist`] is the raw description read from a scenario file; an [`Uncertain`]
//! is a validated distribution, optionally truncated to `[lower, upper]`, that is
//! sampled by inverse transform: a uniform number `u` in `[0, 1]` is mapped
//! through the quantile function (inverse CDF) of the truncated distribution.
//! Sampling by quantile keeps every draw a deterministic function of `u`, which
//! makes common random numbers and Latin hypercube designs straightforward.

use crate::mathlib::{self, normal_quantile};
use statrs::distribution::{Beta, ContinuousCDF, Normal};
use statrs::function::gamma::{gamma_lr, gamma_ur, ln_gamma};

/// Probabilities are kept inside `[NORMAL_P_MIN, 1 - NORMAL_P_MIN]` for the
/// unbounded normal and lognormal tails (and below `1 - NORMAL_P_MIN` for the
/// gamma's upper tail) so that quantiles stay finite.
const NORMAL_P_MIN: f64 = 1e-12;

/// Standardised bound from which a normal truncated to one tail (or a lognormal
/// whose logarithm is) is sampled by [`tail_quantile`]: beyond it `F(lower)` is so
/// close to 1 that `F⁻¹(F(lower) + u (1 − F(lower)))` loses its digits, and beyond
/// about 7 sd every draw collapsed onto the bound.
const TAIL_Z: f64 = 5.0;

/// Depth of the continued fraction of the Mills ratio in [`ln_survival`]: enough
/// for double precision from [`TAIL_Z`] on.
const MILLS_TERMS: u32 = 40;

/// Newton steps of [`tail_quantile`] (from its start, three reach double precision).
const TAIL_NEWTON_STEPS: usize = 4;

/// `ln Q(x)` and the Mills ratio `R(x) = Q(x) / φ(x)`, where `Q = 1 − Φ` is the
/// standard normal survival function, for `x ≥ TAIL_Z` (finite in log space far
/// beyond the point where `Q(x)` underflows, x ≈ 38).
///
/// # Formula
///
/// `R(x) = 1/(x + 1/(x + 2/(x + 3/(x + …))))`, evaluated backward from depth
/// [`MILLS_TERMS`]; `ln Q(x) = −x²/2 − ln √(2π) + ln R(x)`.
fn ln_survival(x: f64) -> (f64, f64) {
    let mut t = x;
    for k in (1..=MILLS_TERMS).rev() {
        t = x + f64::from(k) / t;
    }
    let mills = t.recip();
    (
        -0.5 * x * x - 0.5 * std::f64::consts::TAU.ln() + mills.ln(),
        mills,
    )
}

/// Quantile at `u` of the standard normal truncated to `[za, zb]`, with
/// `TAIL_Z ≤ za < zb ≤ ∞`, computed in log space.
///
/// # Formula
///
/// The quantile x solves `Q(x) = Q(za) − u (Q(za) − Q(zb))`, i.e.
/// `ln Q(x) = t = ln Q(za) + ln(1 − u (1 − Q(zb)/Q(za)))`. Start from
/// `x₀ = √(za² − 2 (t − ln Q(za)))` (exact for the tail `x e^(−x²/2)`), then take
/// [`TAIL_NEWTON_STEPS`] Newton steps on `ln Q(x) − t`, whose derivative is
/// `−1/R(x)`: `x ← x + (ln Q(x) − t) R(x)`; clamped into `[za, zb]`.
fn tail_quantile(za: f64, zb: f64, u: f64) -> f64 {
    let (la, _) = ln_survival(za);
    let ratio = if zb.is_finite() {
        (ln_survival(zb).0 - la).exp()
    } else {
        0.0
    };
    let t = la + (-u * (1.0 - ratio)).ln_1p();
    let mut x = (za * za - 2.0 * (t - la)).sqrt();
    for _ in 0..TAIL_NEWTON_STEPS {
        let (l, r) = ln_survival(x);
        x += (l - t) * r;
    }
    x.clamp(za, zb)
}

/// A normal (or a lognormal's logarithm) truncated to one far tail: the standard
/// normal on `[za, zb]`, reflected (`x ↦ −x`) for a lower tail.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Tail {
    za: f64,
    zb: f64,
    reflect: bool,
}

impl Tail {
    /// The tail of a normal(`mean`, `sd`) truncated to `[lo, hi]`, if the range
    /// lies beyond [`TAIL_Z`] standard deviations on one side.
    fn of(mean: f64, sd: f64, lo: f64, hi: f64) -> Option<Tail> {
        let (za, zb) = ((lo - mean) / sd, (hi - mean) / sd);
        if za >= TAIL_Z && za < zb {
            Some(Tail {
                za,
                zb,
                reflect: false,
            })
        } else if zb <= -TAIL_Z && za < zb {
            Some(Tail {
                za: -zb,
                zb: -za,
                reflect: true,
            })
        } else {
            None
        }
    }

    /// The CDF at the standardised value `z` of the truncated standard normal.
    fn cdf(&self, z: f64) -> f64 {
        let (la, _) = ln_survival(self.za);
        let rb = if self.zb.is_finite() {
            (ln_survival(self.zb).0 - la).exp()
        } else {
            0.0
        };
        // Q(w)/Q(za) for w in [za, zb].
        let ratio = |w: f64| (ln_survival(w.clamp(self.za, self.zb)).0 - la).exp();
        let p = if self.reflect {
            (ratio(-z) - rb) / (1.0 - rb)
        } else {
            (1.0 - ratio(z)) / (1.0 - rb)
        };
        p.clamp(0.0, 1.0)
    }

    /// The standardised quantile at `u` in `[0, 1]` (finite: `u` stays below
    /// `1 − NORMAL_P_MIN` on an unbounded side).
    fn quantile(&self, u: f64) -> f64 {
        let top = if self.zb.is_finite() {
            1.0
        } else {
            1.0 - NORMAL_P_MIN
        };
        if self.reflect {
            -tail_quantile(self.za, self.zb, (1.0 - u).min(top))
        } else {
            tail_quantile(self.za, self.zb, u.min(top))
        }
    }
}

/// Largest share of a lognormal's mean that may lie beyond its largest draw (at
/// probability `1 − NORMAL_P_MIN`): it refuses sd/mean above about 2,300.
const LOGNORMAL_MAX_CUT_MEAN: f64 = 1e-3;

/// Largest shape parameter of a `beta` distribution. statrs's beta quantile does
/// not return for some shapes ≥ 1e7; a beta with shapes of 1e6 already has a
/// standard deviation below 0.1% of its range, so larger shapes add nothing a
/// plain number would not.
pub const MAX_BETA_SHAPE: f64 = 1e6;

/// Number of midpoints used to compute the mean of a truncated continuous distribution.
const MEAN_GRID: usize = 20_000;

/// Number of midpoints of [`Uncertain::rough_mean`]: 40 times fewer inverse CDFs
/// than [`MEAN_GRID`], for checks that need a mean to a few digits only.
const ROUGH_MEAN_GRID: usize = 500;

/// Description of a probability distribution, as written in a scenario file.
#[derive(Debug, Clone, PartialEq)]
pub enum Dist {
    /// Normal (Gaussian) distribution.
    ///
    /// # Formula
    ///
    /// `X = mean + sd · Φ⁻¹(u)`, where `Φ` is the standard normal CDF.
    Normal {
        /// Mean of the variable.
        mean: f64,
        /// Standard deviation of the variable (`sd = 0` gives the constant `mean`).
        sd: f64,
    },
    /// Lognormal distribution, parameterised by the mean and standard deviation
    /// of the variable itself (not of its logarithm).
    ///
    /// # Formula
    ///
    /// With `m = mean` and `s = sd`:
    /// `σ² = ln(1 + s²/m²)`, `μ = ln(m) − σ²/2`, and `X = exp(μ + σ · Φ⁻¹(u))`,
    /// so that `E[X] = m` and `SD[X] = s`.
    LogNormal {
        /// Mean of the variable (must be > 0).
        mean: f64,
        /// Standard deviation of the variable (`sd = 0` gives the constant `mean`).
        sd: f64,
    },
    /// Continuous uniform distribution on `[min, max]`.
    ///
    /// # Formula
    ///
    /// `X = min + u (max − min)`, mean `(min + max) / 2`.
    Uniform {
        /// Lower end.
        min: f64,
        /// Upper end (`min = max` gives a constant).
        max: f64,
    },
    /// Triangular distribution on `[min, max]` with peak at `mode`.
    ///
    /// # Formula
    ///
    /// With `a = min`, `c = mode`, `b = max` and `F_c = (c − a)/(b − a)`:
    /// `X = a + √(u (b − a)(c − a))` for `u < F_c`, else `X = b − √((1 − u)(b − a)(b − c))`.
    /// Mean `(a + c + b) / 3`.
    Triangular {
        /// Lower end.
        min: f64,
        /// Most likely value.
        mode: f64,
        /// Upper end.
        max: f64,
    },
    /// Beta-PERT distribution with `λ = 4`: a beta distribution on `[min, max]`.
    ///
    /// # Formula
    ///
    /// `α = 1 + 4 (mode − min)/(max − min)`, `β = 1 + 4 (max − mode)/(max − min)`,
    /// `X = min + (max − min) · B⁻¹(u; α, β)`. Mean `(min + 4 mode + max) / 6`.
    Pert {
        /// Lower end.
        min: f64,
        /// Most likely value.
        mode: f64,
        /// Upper end.
        max: f64,
    },
    /// Beta distribution scaled to `[min, max]`.
    ///
    /// # Formula
    ///
    /// `X = min + (max − min) · B⁻¹(u; α, β)`, mean `min + (max − min) α/(α + β)`.
    Beta {
        /// First shape parameter (> 0).
        alpha: f64,
        /// Second shape parameter (> 0).
        beta: f64,
        /// Lower end.
        min: f64,
        /// Upper end (> min).
        max: f64,
    },
    /// Discrete distribution over a finite set of values.
    ///
    /// # Formula
    ///
    /// `P(X = values[i]) = weights[i] / Σ_j weights[j]`; the quantile at `u` is the
    /// smallest value whose cumulative probability is ≥ `u`.
    Discrete {
        /// Possible values (any order; sorted internally).
        values: Vec<f64>,
        /// Positive weights, one per value, normalised internally.
        weights: Vec<f64>,
    },
    /// Lognormal distribution given by the mean `mu` and standard deviation
    /// `sigma` of its logarithm.
    ///
    /// # Formula
    ///
    /// `X = exp(μ + σ · Φ⁻¹(u))`; `E[X] = exp(μ + σ²/2)`.
    LogNormalMuSigma {
        /// Mean of `ln X` (finite).
        mu: f64,
        /// Standard deviation of `ln X` (`sigma = 0` gives the constant `exp(mu)`).
        sigma: f64,
    },
    /// Gamma distribution by shape `k` and scale `θ`.
    ///
    /// # Formula
    ///
    /// Density `x^(k−1) e^(−x/θ) / (Γ(k) θ^k)` on `x > 0`; CDF `P(k, x/θ)`, the
    /// regularised lower incomplete gamma function; `X = θ · P⁻¹(k, u)`
    /// ([`gamma_std_quantile`]). Mean `kθ`, variance `kθ²`.
    Gamma {
        /// Shape `k` (> 0).
        shape: f64,
        /// Scale `θ` (> 0).
        scale: f64,
    },
    /// Gamma distribution given by its mean and standard deviation.
    ///
    /// # Formula
    ///
    /// `k = (mean/sd)²`, `θ = sd²/mean`, then as [`Dist::Gamma`].
    GammaMeanSd {
        /// Mean (> 0).
        mean: f64,
        /// Standard deviation (`sd = 0` gives the constant `mean`).
        sd: f64,
    },
    /// Empirical distribution of observed values (read from a CSV column when
    /// the scenario is loaded).
    ///
    /// # Formula
    ///
    /// With the `n` values sorted, `x₀ ≤ … ≤ x_{n−1}`:
    /// [`EmpiricalMethod::Resample`] gives each value probability `1/n` (a
    /// discrete distribution); [`EmpiricalMethod::Interpolate`] is the
    /// piecewise-linear inverse of the empirical CDF, `h = u (n − 1)`,
    /// `k = ⌊h⌋`, `X = x_k + (h − k)(x_{k+1} − x_k)`, from `x₀` to `x_{n−1}`
    /// (mean `(Σ x_i − (x₀ + x_{n−1})/2) / (n − 1)`).
    Empirical {
        /// Where the values came from, as shown in messages (e.g. `revenue of data.csv`).
        source: String,
        /// How the values are turned into a distribution.
        method: EmpiricalMethod,
        /// The observed values, in file order.
        values: Vec<f64>,
    },
}

/// How an [`Dist::Empirical`] distribution draws from its observed values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmpiricalMethod {
    /// Each observed value with equal probability (a discrete distribution).
    Resample,
    /// The piecewise-linear inverse of the empirical CDF between the smallest and
    /// largest value (a continuous distribution).
    Interpolate,
}

impl EmpiricalMethod {
    /// The name written in a scenario file (`resample` or `interpolate`).
    pub fn name(self) -> &'static str {
        match self {
            EmpiricalMethod::Resample => "resample",
            EmpiricalMethod::Interpolate => "interpolate",
        }
    }
}

/// Fewest values an empirical distribution accepts.
pub const MIN_EMPIRICAL_VALUES: usize = 2;

/// Largest shape of a gamma distribution: beyond it the distribution is nearly
/// normal with a standard deviation below 0.1% of its mean (write a normal, or a
/// number, instead), and the incomplete gamma function loses accuracy.
pub const MAX_GAMMA_SHAPE: f64 = 1e6;

/// Smallest shape of a gamma distribution: below it most of the probability
/// lies below the smallest positive double and draws are 0.
pub const MIN_GAMMA_SHAPE: f64 = 1e-2;

/// Newton steps allowed in [`gamma_std_quantile`] (bisection-safeguarded; a
/// handful reach double precision from the Wilson–Hilferty start).
const GAMMA_MAX_STEPS: usize = 200;

/// Quantile at probability `p` of the standard gamma distribution with shape
/// `a` (scale 1), given `ln Γ(a)`.
///
/// # Formula
///
/// Solves `P(a, x) = p` (or `Q(a, x) = 1 − p` above the median, where the upper
/// function keeps its digits) by Newton's method in `t = ln x`,
/// `t ← t − (P(a, x) − p) / (x f(x))` with the density
/// `f(x) = exp((a − 1) ln x − x − ln Γ(a))`, inside a bracket that every
/// evaluation narrows; a step that leaves the bracket is replaced by a geometric
/// bisection. Start: Wilson–Hilferty, `x₀ = a (1 − 1/(9a) + z/(3√a))³` with
/// `z = Φ⁻¹(p)`, or `(p Γ(a + 1))^(1/a)` (the small-`x` limit) when that is not
/// positive.
pub fn gamma_std_quantile(a: f64, ln_gamma_a: f64, p: f64) -> f64 {
    gamma_std_inverse(a, ln_gamma_a, p, 1.0 - p)
}

/// [`gamma_std_quantile`] given both `p` and `q = 1 − p`: above the median only
/// `q` is used, so a tail probability far below 1e-16 keeps its digits.
fn gamma_std_inverse(a: f64, ln_gamma_a: f64, p: f64, q: f64) -> f64 {
    if p.is_nan() || q.is_nan() {
        return f64::NAN;
    }
    if p <= 0.0 {
        return 0.0;
    }
    if q <= 0.0 {
        return f64::INFINITY;
    }
    let upper = q < 0.5;
    // statrs's incomplete gamma functions panic outside (0, ∞).
    let g = |x: f64| {
        if x <= 0.0 {
            -p
        } else if x.is_infinite() {
            q
        } else if upper {
            q - gamma_ur(a, x)
        } else {
            gamma_lr(a, x) - p
        }
    };
    let z = if upper {
        -normal_quantile(q)
    } else {
        normal_quantile(p)
    };
    let wh = a * (1.0 - 1.0 / (9.0 * a) + z / (3.0 * a.sqrt())).powi(3);
    let small = ((p.ln() + ln_gamma(a + 1.0)) / a).exp();
    let mut x = if wh.is_finite() && wh > 0.0 && (a >= 1.0 || p > 0.1) {
        wh
    } else {
        small
    };
    if !(x.is_finite() && x > 0.0) {
        x = a.max(1.0);
    }
    let (mut lo, mut hi) = (0.0f64, f64::INFINITY);
    for _ in 0..GAMMA_MAX_STEPS {
        let gx = g(x);
        if gx == 0.0 {
            return x;
        }
        if gx < 0.0 {
            lo = x;
        } else {
            hi = x;
        }
        let x_pdf = (a * x.ln() - x - ln_gamma_a).exp();
        let mut next = x * (-gx / x_pdf).exp();
        if !(next.is_finite() && next > lo && next < hi) {
            next = if hi.is_infinite() {
                4.0 * x
            } else if lo == 0.0 {
                0.25 * hi
            } else {
                (lo * hi).sqrt()
            };
        }
        if (next / x).ln().abs() < 4.0 * f64::EPSILON
            || (hi.is_finite() && hi - lo <= 4.0 * f64::EPSILON * hi)
        {
            return next;
        }
        x = next;
    }
    x
}

/// One problem found while validating a distribution.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{field}: expected {expected}, found {found}")]
pub struct DistError {
    /// Name of the offending field, as written in the scenario file.
    pub field: &'static str,
    /// What the field should have been.
    pub expected: String,
    /// What was found instead.
    pub found: String,
}

impl DistError {
    fn new(field: &'static str, expected: &str, found: String) -> Self {
        DistError {
            field,
            expected: expected.to_owned(),
            found,
        }
    }
}

/// Validated internal form of a distribution, before truncation.
#[derive(Debug, Clone)]
enum Kind {
    /// All mass at one value (degenerate parameters).
    Point(f64),
    /// Normal with `sd > 0`.
    Normal { mean: f64, sd: f64 },
    /// Lognormal with log-scale parameters, `sigma > 0`.
    LogNormal { mu: f64, sigma: f64 },
    /// Uniform with `min < max`.
    Uniform { min: f64, max: f64 },
    /// Triangular with `min < max`.
    Triangular { min: f64, mode: f64, max: f64 },
    /// Beta scaled to `[min, max]`, `min < max` (also used for PERT).
    Beta { beta: Beta, min: f64, max: f64 },
    /// Discrete, values sorted ascending and cumulative probabilities (last = 1).
    Discrete { values: Vec<f64>, cum: Vec<f64> },
    /// Gamma with shape and scale > 0, and `ln Γ(shape)`.
    Gamma {
        shape: f64,
        scale: f64,
        ln_gamma_shape: f64,
    },
    /// Piecewise-linear inverse of an empirical CDF: values sorted ascending,
    /// at least two, first < last.
    Interpolated { xs: Vec<f64> },
}

impl Kind {
    /// Natural support of the untruncated distribution.
    fn support(&self) -> (f64, f64) {
        match self {
            Kind::Point(c) => (*c, *c),
            Kind::Normal { .. } => (f64::NEG_INFINITY, f64::INFINITY),
            Kind::LogNormal { .. } => (0.0, f64::INFINITY),
            Kind::Uniform { min, max }
            | Kind::Triangular { min, max, .. }
            | Kind::Beta { min, max, .. } => (*min, *max),
            Kind::Discrete { values, .. } | Kind::Interpolated { xs: values } => (
                values.first().copied().unwrap_or(f64::NAN),
                values.last().copied().unwrap_or(f64::NAN),
            ),
            Kind::Gamma { .. } => (0.0, f64::INFINITY),
        }
    }

    /// CDF of a continuous kind (`Point` and `Discrete` are handled separately).
    fn cdf(&self, x: f64) -> f64 {
        let std_normal = Normal::standard();
        match self {
            Kind::Point(c) => {
                if x >= *c {
                    1.0
                } else {
                    0.0
                }
            }
            Kind::Normal { mean, sd } => std_normal.cdf((x - mean) / sd),
            Kind::LogNormal { mu, sigma } => {
                if x <= 0.0 {
                    0.0
                } else {
                    std_normal.cdf((x.ln() - mu) / sigma)
                }
            }
            Kind::Uniform { min, max } => ((x - min) / (max - min)).clamp(0.0, 1.0),
            Kind::Triangular { min, mode, max } => {
                if x <= *min {
                    0.0
                } else if x >= *max {
                    1.0
                } else if x <= *mode {
                    // min < x <= mode, hence mode > min. As a product of two
                    // ratios in [0, 1]: (x − min)² / ((max − min)(mode − min))
                    // underflowed to 0/0 = NaN for widths near 1e-200 (and
                    // overflowed to ∞/∞ near 1e200).
                    ((x - min) / (max - min)) * ((x - min) / (mode - min))
                } else {
                    // mode < x < max, hence max > mode.
                    1.0 - ((max - x) / (max - min)) * ((max - x) / (max - mode))
                }
            }
            Kind::Beta { beta, min, max } => beta.cdf(((x - min) / (max - min)).clamp(0.0, 1.0)),
            Kind::Discrete { values, cum } => {
                let k = values.partition_point(|v| *v <= x);
                if k == 0 { 0.0 } else { cum[k - 1] }
            }
            Kind::Gamma { shape, scale, .. } => {
                let z = x / scale;
                if z <= 0.0 {
                    0.0
                } else if z.is_infinite() {
                    1.0
                } else {
                    gamma_lr(*shape, z)
                }
            }
            Kind::Interpolated { xs } => {
                let n = xs.len();
                if x <= xs[0] {
                    0.0
                } else if x >= xs[n - 1] {
                    1.0
                } else {
                    // xs[0] < x < xs[n − 1]: k in [0, n − 2] and xs[k] ≤ x < xs[k + 1].
                    let k = xs.partition_point(|v| *v <= x) - 1;
                    let frac = (x - xs[k]) / (xs[k + 1] - xs[k]);
                    (k as f64 + frac) / (n - 1) as f64
                }
            }
        }
    }

    /// Inverse CDF of a continuous kind at probability `p` in `[0, 1]`.
    fn inverse_cdf(&self, p: f64) -> f64 {
        match self {
            Kind::Point(c) => *c,
            Kind::Normal { mean, sd } => {
                mean + sd * normal_quantile(p.clamp(NORMAL_P_MIN, 1.0 - NORMAL_P_MIN))
            }
            Kind::LogNormal { mu, sigma } => mathlib::exp(
                mu + sigma * normal_quantile(p.clamp(NORMAL_P_MIN, 1.0 - NORMAL_P_MIN)),
            ),
            // The width overflows beyond ±~9e307; then each end is weighted apart.
            Kind::Uniform { min, max } if (max - min).is_finite() => min + p * (max - min),
            Kind::Uniform { min, max } => (1.0 - p) * min + p * max,
            Kind::Triangular { min, mode, max } => {
                let width = max - min;
                let f_mode = (mode - min) / width;
                if p < f_mode {
                    min + (p * width * (mode - min)).sqrt()
                } else {
                    max - ((1.0 - p) * width * (max - mode)).sqrt()
                }
            }
            Kind::Beta { beta, min, max } => {
                min + (max - min) * beta.inverse_cdf(p.clamp(0.0, 1.0))
            }
            Kind::Discrete { values, cum } => {
                // `values` is never empty (checked when the kind is built), and the last
                // cumulative probability is exactly 1, so `k` is always a valid index.
                let k = cum
                    .partition_point(|c| *c < p)
                    .min(values.len().saturating_sub(1));
                values[k]
            }
            Kind::Gamma {
                shape,
                scale,
                ln_gamma_shape,
            } => scale * gamma_std_quantile(*shape, *ln_gamma_shape, p.min(1.0 - NORMAL_P_MIN)),
            Kind::Interpolated { xs } => {
                let n = xs.len();
                let h = p.clamp(0.0, 1.0) * (n - 1) as f64;
                // In [0, n − 2] (n ≥ 2), so k + 1 is a valid index.
                let k = (h.floor() as usize).min(n - 2);
                xs[k] + (h - k as f64) * (xs[k + 1] - xs[k])
            }
        }
    }

    /// Mean of the untruncated distribution.
    fn mean(&self) -> f64 {
        match self {
            Kind::Point(c) => *c,
            Kind::Normal { mean, .. } => *mean,
            Kind::LogNormal { mu, sigma } => (mu + 0.5 * sigma * sigma).exp(),
            Kind::Uniform { min, max } => 0.5 * (min + max),
            // Each in the form of old, but by the thirds (the share) where the sum
            // (the range × α) overflows though the mean, inside the range, does not.
            Kind::Triangular { min, mode, max } => {
                let m = (min + mode + max) / 3.0;
                if m.is_finite() {
                    m
                } else {
                    min / 3.0 + mode / 3.0 + max / 3.0
                }
            }
            Kind::Beta { beta, min, max } => {
                let (a, b) = (beta.shape_a(), beta.shape_b());
                let m = min + (max - min) * a / (a + b);
                if m.is_finite() {
                    m
                } else {
                    min + (max - min) * (a / (a + b))
                }
            }
            Kind::Discrete { values, cum } => {
                let mut prev = 0.0;
                let mut sum = 0.0;
                for (v, c) in values.iter().zip(cum) {
                    sum += v * (c - prev);
                    prev = *c;
                }
                sum
            }
            Kind::Gamma { shape, scale, .. } => shape * scale,
            Kind::Interpolated { xs } => {
                let n = xs.len();
                let sum: f64 = xs.iter().sum();
                (sum - 0.5 * (xs[0] + xs[n - 1])) / (n - 1) as f64
            }
        }
    }
}

/// A validated distribution with optional truncation, sampled by inverse CDF.
///
/// # Formula
///
/// For a truncation range `[L, U]` and CDF `F`, the quantile at `u` is
/// `F⁻¹(F(L) + u (F(U) − F(L)))`, clamped into `[L, U]`.
#[derive(Debug, Clone)]
pub struct Uncertain {
    /// Description as given by the user.
    dist: Dist,
    /// Validated internal form; for a discrete distribution the values outside
    /// the truncation range are already removed.
    kind: Kind,
    /// Truncation bounds (infinite when absent).
    lower: f64,
    upper: f64,
    /// `F(lower)` and `F(upper)` of the untruncated continuous distribution.
    f_lower: f64,
    f_upper: f64,
    /// The far tail a normal or lognormal is truncated to, sampled in log space.
    tail: Option<Tail>,
    /// For a gamma truncated above its median, `Q(lower)` and `Q(upper)` of the
    /// upper regularised incomplete gamma function: it is sampled in survival
    /// space, `Q⁻¹(Q(lower) − u (Q(lower) − Q(upper)))`, where `F(lower)` would
    /// round to 1.
    gamma_tail: Option<(f64, f64)>,
    /// Support after truncation.
    support: (f64, f64),
    /// Whether a continuous distribution is truncated: its mean is then the
    /// midpoint rule's, computed when asked ([`Uncertain::mean`]).
    truncated: bool,
}

/// Pushes an error unless `x` is finite.
fn check_finite(errors: &mut Vec<DistError>, field: &'static str, x: f64) -> bool {
    if x.is_finite() {
        true
    } else {
        errors.push(DistError::new(field, "a finite number", x.to_string()));
        false
    }
}

/// Pushes an error unless `x` is a finite number ≥ 0.
fn check_non_negative(errors: &mut Vec<DistError>, field: &'static str, x: f64) -> bool {
    if !check_finite(errors, field, x) {
        false
    } else if x < 0.0 {
        errors.push(DistError::new(field, "a number ≥ 0", x.to_string()));
        false
    } else {
        true
    }
}

/// Pushes an error unless `x` is a finite number > 0.
fn check_positive(errors: &mut Vec<DistError>, field: &'static str, x: f64) -> bool {
    if !check_finite(errors, field, x) {
        false
    } else if x <= 0.0 {
        errors.push(DistError::new(field, "a number > 0", x.to_string()));
        false
    } else {
        true
    }
}

/// Validates `min ≤ mode ≤ max` (all finite) for the triangular and PERT kinds.
fn check_min_mode_max(errors: &mut Vec<DistError>, min: f64, mode: f64, max: f64) -> bool {
    let finite = check_finite(errors, "min", min)
        & check_finite(errors, "mode", mode)
        & check_finite(errors, "max", max);
    if !finite {
        return false;
    }
    let mut ok = true;
    if min > max {
        errors.push(DistError::new(
            "max",
            "min ≤ max",
            format!("min = {min}, max = {max}"),
        ));
        ok = false;
    }
    if mode < min || mode > max {
        errors.push(DistError::new(
            "mode",
            "min ≤ mode ≤ max",
            format!("min = {min}, mode = {mode}, max = {max}"),
        ));
        ok = false;
    }
    ok
}

/// Validates the parameters of `dist`, returning its internal form or pushing errors.
fn validate_kind(dist: &Dist, errors: &mut Vec<DistError>) -> Option<Kind> {
    match dist {
        Dist::Normal { mean, sd } => {
            let ok = check_finite(errors, "mean", *mean) & check_non_negative(errors, "sd", *sd);
            ok.then_some(if *sd > 0.0 {
                Kind::Normal {
                    mean: *mean,
                    sd: *sd,
                }
            } else {
                Kind::Point(*mean)
            })
        }
        Dist::LogNormal { mean, sd } => {
            let mut ok = check_finite(errors, "mean", *mean);
            if ok && *mean <= 0.0 {
                errors.push(DistError::new(
                    "mean",
                    "a number > 0 (lognormal needs a positive mean)",
                    mean.to_string(),
                ));
                ok = false;
            }
            ok &= check_non_negative(errors, "sd", *sd);
            if !ok {
                return None;
            }
            {
                let cv = sd / mean;
                // ln(1 + cv²), written as 2 ln cv + ln(1 + cv⁻²) once cv² overflows.
                let sigma2 = if (cv * cv).is_finite() {
                    (cv * cv).ln_1p()
                } else {
                    2.0 * cv.ln() + (cv * cv).recip().ln_1p()
                };
                // Draws are cut at probability 1 − NORMAL_P_MIN; past some σ the
                // cut-off tail carries much of the mean and the draws misstate it.
                let z_max = normal_quantile(1.0 - NORMAL_P_MIN);
                let cut = Normal::standard().cdf(sigma2.sqrt() - z_max);
                if cut > LOGNORMAL_MAX_CUT_MEAN {
                    errors.push(DistError::new(
                        "sd",
                        "an sd whose draws keep the mean (the largest draw is at probability 1 − 1e-12)",
                        format!(
                            "sd = {sd:e}, {}, whose draws would miss {:.1}% of the mean",
                            if cv.is_finite() {
                                format!("{cv:.2e} × the mean")
                            } else {
                                // A mean near zero (e.g. 5e-310) makes the ratio overflow.
                                format!("for a mean of {mean:e}")
                            },
                            100.0 * cut
                        ),
                    ));
                    return None;
                }
                Some(if sigma2 > 0.0 {
                    Kind::LogNormal {
                        mu: mean.ln() - 0.5 * sigma2,
                        sigma: sigma2.sqrt(),
                    }
                } else {
                    Kind::Point(*mean)
                })
            }
        }
        Dist::Uniform { min, max } => {
            let mut ok = check_finite(errors, "min", *min) & check_finite(errors, "max", *max);
            if ok && min > max {
                errors.push(DistError::new(
                    "max",
                    "min ≤ max",
                    format!("min = {min}, max = {max}"),
                ));
                ok = false;
            }
            ok.then(|| {
                if min < max {
                    Kind::Uniform {
                        min: *min,
                        max: *max,
                    }
                } else {
                    Kind::Point(*min)
                }
            })
        }
        Dist::Triangular { min, mode, max } => {
            check_min_mode_max(errors, *min, *mode, *max).then(|| {
                if min < max {
                    Kind::Triangular {
                        min: *min,
                        mode: *mode,
                        max: *max,
                    }
                } else {
                    Kind::Point(*min)
                }
            })
        }
        Dist::Pert { min, mode, max } => {
            if !check_min_mode_max(errors, *min, *mode, *max) {
                return None;
            }
            if min >= max {
                return Some(Kind::Point(*min));
            }
            let width = max - min;
            // The share of the range first, then × 4 (exact): 4 (max − mode)
            // overflowed for a range near the largest double, giving β = inf.
            let alpha = 1.0 + (mode - min) / width * 4.0;
            let beta = 1.0 + (max - mode) / width * 4.0;
            match Beta::new(alpha, beta) {
                Ok(beta) => Some(Kind::Beta {
                    beta,
                    min: *min,
                    max: *max,
                }),
                // Unreachable for finite min ≤ mode ≤ max of a finite range (both
                // shapes are in [1, 5]); reported in the file's terms rather than
                // assumed (or left to the library's words).
                Err(_) => {
                    errors.push(DistError::new(
                        "mode",
                        "min, mode and max giving the shapes α = 1 + 4 (mode − min)/(max − min) and β = 1 + 4 (max − mode)/(max − min) as finite numbers ≥ 1 (a range max − min within the largest number)",
                        format!("min = {min}, mode = {mode}, max = {max}: α = {alpha}, β = {beta}"),
                    ));
                    None
                }
            }
        }
        Dist::Beta {
            alpha,
            beta,
            min,
            max,
        } => {
            let mut ok =
                check_positive(errors, "alpha", *alpha) & check_positive(errors, "beta", *beta);
            for (field, shape) in [("alpha", *alpha), ("beta", *beta)] {
                if shape > MAX_BETA_SHAPE {
                    errors.push(DistError::new(
                        field,
                        &format!(
                            "a shape of at most {MAX_BETA_SHAPE:e} (a larger one is nearly a constant; write the number instead)"
                        ),
                        shape.to_string(),
                    ));
                    ok = false;
                }
            }
            let range_ok = check_finite(errors, "min", *min) & check_finite(errors, "max", *max);
            if range_ok && min >= max {
                errors.push(DistError::new(
                    "max",
                    "min < max",
                    format!("min = {min}, max = {max}"),
                ));
                ok = false;
            }
            if !(ok && range_ok) {
                return None;
            }
            match Beta::new(*alpha, *beta) {
                Ok(b) => Some(Kind::Beta {
                    beta: b,
                    min: *min,
                    max: *max,
                }),
                // Unreachable: both shapes were checked to be finite and > 0.
                Err(e) => {
                    errors.push(DistError::new("alpha", "valid beta shapes", e.to_string()));
                    None
                }
            }
        }
        Dist::Discrete { values, weights } => {
            let mut ok = true;
            if values.is_empty() {
                errors.push(DistError::new(
                    "values",
                    "at least one value",
                    "an empty list".to_owned(),
                ));
                ok = false;
            }
            for (i, v) in values.iter().enumerate() {
                if !v.is_finite() {
                    errors.push(DistError::new(
                        "values",
                        "finite numbers",
                        format!("{v} at index {i}"),
                    ));
                    ok = false;
                }
            }
            if weights.len() != values.len() {
                errors.push(DistError::new(
                    "weights",
                    "as many weights as values",
                    format!("{} weights for {} values", weights.len(), values.len()),
                ));
                ok = false;
            }
            for (i, w) in weights.iter().enumerate() {
                if !(w.is_finite() && *w > 0.0) {
                    errors.push(DistError::new(
                        "weights",
                        "finite numbers > 0",
                        format!("{w} at index {i}"),
                    ));
                    ok = false;
                }
            }
            ok.then(|| discrete_kind(values, weights, f64::NEG_INFINITY, f64::INFINITY))
                .flatten()
        }
        Dist::LogNormalMuSigma { mu, sigma } => {
            let ok = check_finite(errors, "mu", *mu) & check_non_negative(errors, "sigma", *sigma);
            if !ok {
                return None;
            }
            if *sigma == 0.0 {
                return Some(Kind::Point(mu.exp()));
            }
            // As for mean and sd: the largest draw is at probability 1 − 1e-12, and
            // past some σ the tail beyond it carries much of the mean.
            let z_max = normal_quantile(1.0 - NORMAL_P_MIN);
            let cut = Normal::standard().cdf(sigma - z_max);
            if cut > LOGNORMAL_MAX_CUT_MEAN {
                errors.push(DistError::new(
                    "sigma",
                    "a sigma whose draws keep the mean (the largest draw is at probability 1 − 1e-12)",
                    format!(
                        "sigma = {sigma}, whose draws would miss {:.1}% of the mean",
                        100.0 * cut
                    ),
                ));
                return None;
            }
            Some(Kind::LogNormal {
                mu: *mu,
                sigma: *sigma,
            })
        }
        Dist::Gamma { shape, scale } => {
            let ok = check_positive(errors, "shape", *shape)
                & check_gamma_shape(errors, "shape", *shape)
                & check_positive(errors, "scale", *scale);
            ok.then(|| gamma_kind(*shape, *scale))
        }
        Dist::GammaMeanSd { mean, sd } => {
            let ok = check_positive(errors, "mean", *mean) & check_non_negative(errors, "sd", *sd);
            if !ok {
                return None;
            }
            if *sd == 0.0 {
                return Some(Kind::Point(*mean));
            }
            let cv = sd / mean;
            let shape = (cv * cv).recip();
            let mut ok = true;
            if !(shape.is_finite() && shape >= MIN_GAMMA_SHAPE) {
                errors.push(DistError::new(
                    "sd",
                    &format!(
                        "an sd of at most {} × the mean (a gamma shape (mean/sd)² ≥ {MIN_GAMMA_SHAPE})",
                        MIN_GAMMA_SHAPE.sqrt().recip()
                    ),
                    format!("sd = {sd}, {cv:.3e} × the mean"),
                ));
                ok = false;
            }
            if shape > MAX_GAMMA_SHAPE {
                errors.push(DistError::new(
                    "sd",
                    &format!(
                        "an sd of at least {} × the mean (a gamma shape (mean/sd)² ≤ {MAX_GAMMA_SHAPE:e}; a narrower one is nearly normal: write a normal)",
                        MAX_GAMMA_SHAPE.sqrt().recip()
                    ),
                    format!("sd = {sd}, {cv:.3e} × the mean"),
                ));
                ok = false;
            }
            let scale = sd * cv;
            if ok && !(scale.is_finite() && scale > 0.0) {
                errors.push(DistError::new(
                    "sd",
                    "a mean and sd whose scale sd²/mean is a positive finite number",
                    format!("sd²/mean = {scale}"),
                ));
                ok = false;
            }
            ok.then(|| gamma_kind(shape, scale))
        }
        Dist::Empirical { values, method, .. } => {
            let mut ok = true;
            if values.len() < MIN_EMPIRICAL_VALUES {
                errors.push(DistError::new(
                    "column",
                    &format!("at least {MIN_EMPIRICAL_VALUES} values"),
                    values.len().to_string(),
                ));
                ok = false;
            }
            if let Some((i, v)) = values.iter().enumerate().find(|(_, v)| !v.is_finite()) {
                errors.push(DistError::new(
                    "column",
                    "finite numbers",
                    format!("{v} at index {i}"),
                ));
                ok = false;
            }
            if !ok {
                return None;
            }
            match method {
                EmpiricalMethod::Resample => discrete_kind(
                    values,
                    &vec![1.0; values.len()],
                    f64::NEG_INFINITY,
                    f64::INFINITY,
                ),
                EmpiricalMethod::Interpolate => {
                    let mut xs = values.clone();
                    xs.sort_by(f64::total_cmp);
                    if xs[0] < xs[xs.len() - 1] {
                        Some(Kind::Interpolated { xs })
                    } else {
                        Some(Kind::Point(xs[0]))
                    }
                }
            }
        }
    }
}

/// Pushes an error unless a gamma shape lies in `[MIN_GAMMA_SHAPE, MAX_GAMMA_SHAPE]`
/// (a non-finite or non-positive one is reported by [`check_positive`]).
fn check_gamma_shape(errors: &mut Vec<DistError>, field: &'static str, shape: f64) -> bool {
    if !(shape.is_finite() && shape > 0.0) {
        return true;
    }
    if shape < MIN_GAMMA_SHAPE {
        errors.push(DistError::new(
            field,
            &format!("a shape of at least {MIN_GAMMA_SHAPE} (below it most draws underflow to 0)"),
            shape.to_string(),
        ));
        return false;
    }
    if shape > MAX_GAMMA_SHAPE {
        errors.push(DistError::new(
            field,
            &format!(
                "a shape of at most {MAX_GAMMA_SHAPE:e} (a larger one is nearly normal; write a normal instead)"
            ),
            shape.to_string(),
        ));
        return false;
    }
    true
}

/// A gamma kind from checked parameters.
fn gamma_kind(shape: f64, scale: f64) -> Kind {
    Kind::Gamma {
        shape,
        scale,
        ln_gamma_shape: ln_gamma(shape),
    }
}

/// Builds a discrete kind from the pairs with `lower ≤ value ≤ upper`, sorted by
/// value; `None` when no pair is left. Inputs must be validated.
fn discrete_kind(values: &[f64], weights: &[f64], lower: f64, upper: f64) -> Option<Kind> {
    let mut pairs: Vec<(f64, f64)> = values
        .iter()
        .zip(weights)
        .filter(|(v, _)| (lower..=upper).contains(*v))
        .map(|(v, w)| (*v, *w))
        .collect();
    if pairs.is_empty() {
        return None;
    }
    pairs.sort_by(|a, b| a.0.total_cmp(&b.0));
    let total: f64 = pairs.iter().map(|p| p.1).sum();
    let mut acc = 0.0;
    let mut cum: Vec<f64> = pairs
        .iter()
        .map(|p| {
            acc += p.1;
            acc / total
        })
        .collect();
    if let Some(last) = cum.last_mut() {
        // Guard against rounding: the last cumulative probability is exactly 1.
        *last = 1.0;
    }
    Some(Kind::Discrete {
        values: pairs.iter().map(|p| p.0).collect(),
        cum,
    })
}

/// Midpoint rule over a truncated distribution's quantile function:
/// `E[X] = ∫₀¹ Q(u) du ≈ (1/N) Σ Q((i + ½)/N)` with `N` = [`MEAN_GRID`].
fn truncated_mean(d: &Uncertain) -> f64 {
    midpoint_mean(d, MEAN_GRID)
}

/// `(1/N) Σ Q((i + ½)/N)` over `points` = N midpoints.
fn midpoint_mean(d: &Uncertain, points: usize) -> f64 {
    let n = points as f64;
    (0..points)
        .map(|i| d.quantile((i as f64 + 0.5) / n))
        .sum::<f64>()
        / n
}

impl Uncertain {
    /// Validates every parameter and returns all problems at once (not just the first).
    ///
    /// `lower` and `upper` truncate the distribution to `[lower, upper]`; they must be
    /// finite, `lower < upper` when both are given, and the range must hold some
    /// probability. A truncated discrete distribution keeps the values inside the
    /// range, with their weights renormalised.
    pub fn new(
        dist: Dist,
        lower: Option<f64>,
        upper: Option<f64>,
    ) -> Result<Uncertain, Vec<DistError>> {
        let mut errors = Vec::new();
        let kind = validate_kind(&dist, &mut errors);
        let mut bounds_ok = true;
        if let Some(l) = lower {
            bounds_ok &= check_finite(&mut errors, "lower", l);
        }
        if let Some(u) = upper {
            bounds_ok &= check_finite(&mut errors, "upper", u);
        }
        if let (Some(l), Some(u)) = (lower, upper)
            && bounds_ok
            && l >= u
        {
            errors.push(DistError::new(
                "upper",
                "lower < upper",
                format!("lower = {l}, upper = {u}"),
            ));
            bounds_ok = false;
        }
        let (Some(kind), true) = (kind, bounds_ok) else {
            return Err(errors);
        };

        let lo = lower.unwrap_or(f64::NEG_INFINITY);
        let hi = upper.unwrap_or(f64::INFINITY);
        let empty_range = || {
            let field = if lower.is_some() { "lower" } else { "upper" };
            vec![DistError::new(
                field,
                "a truncation range that holds some probability",
                format!("[{lo}, {hi}]"),
            )]
        };

        let kind = match (&kind, &dist) {
            (Kind::Discrete { .. }, Dist::Discrete { values, weights }) => {
                discrete_kind(values, weights, lo, hi).ok_or_else(empty_range)?
            }
            (
                Kind::Discrete { .. },
                Dist::Empirical {
                    values,
                    method: EmpiricalMethod::Resample,
                    ..
                },
            ) => discrete_kind(values, &vec![1.0; values.len()], lo, hi).ok_or_else(empty_range)?,
            (Kind::Point(c), _) if !(lo..=hi).contains(c) => return Err(empty_range()),
            _ => kind,
        };

        let tail = match kind {
            Kind::Normal { mean, sd } => Tail::of(mean, sd, lo, hi),
            // lo > 0 for a lower tail (za ≥ TAIL_Z needs ln lo > −∞).
            Kind::LogNormal { mu, sigma } if lo > 0.0 || hi > 0.0 => {
                Tail::of(mu, sigma, lo.max(0.0).ln(), hi.ln())
            }
            _ => None,
        };
        let gamma_tail = match kind {
            Kind::Gamma { shape, scale, .. }
                if (lo / scale).is_finite() && lo > 0.0 && kind.cdf(lo) > 0.5 =>
            {
                let s_lo = gamma_ur(shape, lo / scale);
                let s_hi = if (hi / scale).is_finite() {
                    gamma_ur(shape, hi / scale)
                } else {
                    0.0
                };
                if s_lo <= s_hi {
                    return Err(empty_range());
                }
                Some((s_lo, s_hi))
            }
            _ => None,
        };
        let (f_lower, f_upper, truncated) = match kind {
            Kind::Point(_) | Kind::Discrete { .. } => (0.0, 1.0, false),
            // A range beyond TAIL_Z sd holds probability, though F may round it away.
            _ if tail.is_some() || gamma_tail.is_some() => (0.0, 1.0, true),
            _ => {
                let f_lower = if lo.is_finite() { kind.cdf(lo) } else { 0.0 };
                let f_upper = if hi.is_finite() { kind.cdf(hi) } else { 1.0 };
                if f_upper <= f_lower {
                    return Err(empty_range());
                }
                (f_lower, f_upper, f_lower > 0.0 || f_upper < 1.0)
            }
        };

        let natural = kind.support();
        let support = (natural.0.max(lo), natural.1.min(hi));
        let result = Uncertain {
            dist,
            kind,
            lower: lo,
            upper: hi,
            f_lower,
            f_upper,
            tail,
            gamma_tail,
            support,
            truncated,
        };
        // Parameters near the end of the double range (normal(1e308, 1e308),
        // uniform(−1e308, 1e308)) give draws that overflow to ±inf or NaN.
        let ends = [result.quantile(0.0), result.quantile(1.0)];
        let inside = [1e-12, 0.5, 1.0 - 1e-12].map(|u| result.quantile(u));
        if !ends.iter().chain(&inside).all(|x| x.is_finite()) {
            let field = match result.dist {
                Dist::Normal { .. } | Dist::LogNormal { .. } | Dist::GammaMeanSd { .. } => "sd",
                Dist::LogNormalMuSigma { .. } => "sigma",
                Dist::Gamma { .. } => "scale",
                Dist::Empirical { .. } => "column",
                _ => "max",
            };
            return Err(vec![DistError::new(
                field,
                "parameters whose draws stay finite",
                format!("draws from {} to {}", ends[0], ends[1]),
            )]);
        }
        // A truncated mean's midpoint terms lie between the ends, which are
        // finite, so their sum is finite unless the ends come within a factor
        // MEAN_GRID of the largest double: only then is it computed here
        // (validation would otherwise spend 20,000 inverse CDFs on every
        // truncated input of every scenario of a set).
        let near_overflow = ends.iter().any(|x| x.abs() > f64::MAX / MEAN_GRID as f64);
        if !truncated || near_overflow {
            let mean = result.mean();
            if !mean.is_finite() {
                return Err(vec![DistError::new(
                    "max",
                    "parameters whose mean is finite",
                    mean.to_string(),
                )]);
            }
        }
        Ok(result)
    }

    /// Inverse CDF of the (truncated) distribution at `u` in `[0, 1]`.
    ///
    /// `u` is clamped into `[0, 1]`; at `u = 0` or `u = 1` the finite end of the
    /// support is returned. For the unbounded normal and lognormal tails the
    /// probability is clamped into `[1e-12, 1 − 1e-12]` so the result stays finite.
    /// A NaN `u` gives NaN.
    ///
    /// # Formula
    ///
    /// `Q(u) = F⁻¹(F(lower) + u (F(upper) − F(lower)))`, clamped into the support.
    /// Discrete: the smallest value whose cumulative probability is ≥ `u`
    /// (the smallest value at `u = 0`).
    pub fn quantile(&self, u: f64) -> f64 {
        if u.is_nan() {
            return f64::NAN;
        }
        let u = u.clamp(0.0, 1.0);
        match &self.kind {
            Kind::Point(c) => *c,
            Kind::Discrete { .. } => self.kind.inverse_cdf(u),
            kind => {
                let (lo, hi) = self.support;
                if u <= 0.0 && lo.is_finite() {
                    return lo;
                }
                if u >= 1.0 && hi.is_finite() {
                    return hi;
                }
                if let Some(tail) = &self.tail {
                    let z = tail.quantile(u);
                    let x = match kind {
                        Kind::Normal { mean, sd } => mean + sd * z,
                        Kind::LogNormal { mu, sigma } => mathlib::exp(mu + sigma * z),
                        _ => unreachable!("only normal and lognormal kinds have a tail"),
                    };
                    return x.clamp(lo, hi);
                }
                if let (
                    Some((s_lo, s_hi)),
                    Kind::Gamma {
                        shape,
                        scale,
                        ln_gamma_shape,
                    },
                ) = (self.gamma_tail, kind)
                {
                    // Unbounded above: cut at 1 − 1e-12 of the range, as elsewhere.
                    let u = if hi.is_finite() {
                        u
                    } else {
                        u.min(1.0 - NORMAL_P_MIN)
                    };
                    let q = s_lo - u * (s_lo - s_hi);
                    let x = scale * gamma_std_inverse(*shape, *ln_gamma_shape, 1.0 - q, q);
                    return x.clamp(lo, hi);
                }
                let p = self.f_lower + u * (self.f_upper - self.f_lower);
                kind.inverse_cdf(p).clamp(lo, hi)
            }
        }
    }

    /// CDF of the (truncated) distribution: `P(X ≤ x)`. NaN for a NaN `x`.
    ///
    /// # Formula
    ///
    /// `(F(x) − F(lower)) / (F(upper) − F(lower))` for `x` inside the support, 0
    /// below it and 1 from its upper end on; a normal (or a lognormal's logarithm)
    /// truncated to a far tail is computed in log space,
    /// `(1 − Q(z)/Q(za)) / (1 − Q(zb)/Q(za))`. Discrete (and empirical
    /// `resample`): the cumulative probability of the values ≤ `x`.
    pub fn cdf(&self, x: f64) -> f64 {
        if x.is_nan() {
            return f64::NAN;
        }
        match &self.kind {
            Kind::Point(c) => {
                if x >= *c {
                    1.0
                } else {
                    0.0
                }
            }
            Kind::Discrete { .. } => self.kind.cdf(x),
            kind => {
                let (lo, hi) = self.support;
                if x < lo {
                    return 0.0;
                }
                if x >= hi {
                    return 1.0;
                }
                if let Some(tail) = &self.tail {
                    let z = match kind {
                        Kind::Normal { mean, sd } => (x - mean) / sd,
                        Kind::LogNormal { mu, sigma } => (x.ln() - mu) / sigma,
                        _ => unreachable!("only normal and lognormal kinds have a tail"),
                    };
                    return tail.cdf(z);
                }
                if let (Some((s_lo, s_hi)), Kind::Gamma { shape, scale, .. }) =
                    (self.gamma_tail, kind)
                {
                    // lo > 0 ≤ x < hi, so x/scale is positive and finite.
                    let s = gamma_ur(*shape, x / scale);
                    return ((s_lo - s) / (s_lo - s_hi)).clamp(0.0, 1.0);
                }
                ((kind.cdf(x) - self.f_lower) / (self.f_upper - self.f_lower)).clamp(0.0, 1.0)
            }
        }
    }

    /// Smallest and largest value the distribution can produce (after truncation).
    ///
    /// `(-inf, inf)` for an untruncated normal, `(0, inf)` for an untruncated lognormal.
    pub fn support(&self) -> (f64, f64) {
        self.support
    }

    /// Mean of the distribution (of the truncated one when truncated).
    ///
    /// # Formula
    ///
    /// Untruncated: the analytic mean given on each [`Dist`] variant. Discrete
    /// (truncated or not): `Σ p_i v_i` over the values kept. Truncated continuous:
    /// midpoint rule on `E[X] = ∫₀¹ Q(u) du` with `N = 20 000` points,
    /// `E[X] ≈ (1/N) Σ_{i=0}^{N−1} Q((i + ½)/N)`, computed at each call (it is not
    /// needed to simulate).
    pub fn mean(&self) -> f64 {
        if self.truncated {
            truncated_mean(self)
        } else {
            self.kind.mean()
        }
    }

    /// The mean to a few significant digits, for plausibility checks that run on
    /// every scenario of a set (the guardrails): exact when not truncated, else
    /// the midpoint rule of [`Uncertain::mean`] on 500 points instead of 20,000
    /// (within 0.5% of it even for an open heavy tail; a test checks).
    pub fn rough_mean(&self) -> f64 {
        if self.truncated {
            midpoint_mean(self, ROUGH_MEAN_GRID)
        } else {
            self.kind.mean()
        }
    }

    /// The distribution as described by the user.
    pub fn dist(&self) -> &Dist {
        &self.dist
    }

    /// Truncation bounds, infinite where absent.
    pub fn bounds(&self) -> (f64, f64) {
        (self.lower, self.upper)
    }
}

impl Dist {
    /// The distribution in `lang`, as a scenario author would write it, e.g.
    /// `triangular(min 5, mode 9, max 14)`: the names and words of its strings
    /// (`dist.*`), the numbers as Rust prints them in every language.
    pub fn describe_in(&self, lang: crate::i18n::Lang) -> String {
        let tx = lang.texts();
        let f =
            |key: &str, args: &[(&str, &dyn std::fmt::Display)]| tx.f(&format!("dist.{key}"), args);
        match self {
            Dist::Normal { mean, sd } => f("normal", &[("mean", mean), ("sd", sd)]),
            Dist::LogNormal { mean, sd } => f("lognormal", &[("mean", mean), ("sd", sd)]),
            Dist::Uniform { min, max } => f("uniform", &[("min", min), ("max", max)]),
            Dist::Triangular { min, mode, max } => {
                f("triangular", &[("min", min), ("mode", mode), ("max", max)])
            }
            Dist::Pert { min, mode, max } => {
                f("pert", &[("min", min), ("mode", mode), ("max", max)])
            }
            Dist::Beta {
                alpha,
                beta,
                min,
                max,
            } => f(
                "beta",
                &[("alpha", alpha), ("beta", beta), ("min", min), ("max", max)],
            ),
            Dist::Discrete { values, weights } => {
                // Each value with its probability: unequal weights are part of the
                // input (a reader assumes equal ones otherwise).
                let total: f64 = weights.iter().sum();
                let v: Vec<String> = values
                    .iter()
                    .enumerate()
                    .map(|(i, x)| {
                        let p = match weights.get(i) {
                            Some(w) if weights.len() == values.len() && total > 0.0 => w / total,
                            _ => 1.0 / values.len() as f64,
                        };
                        let p = format!("{:.1}", 100.0 * p);
                        let p = p.strip_suffix(".0").unwrap_or(&p);
                        tx.f("dist.discrete_item", &[("value", x), ("p", &p)])
                    })
                    .collect();
                f(
                    "discrete",
                    &[("values", &v.join(tx.t("dist.discrete_sep")))],
                )
            }
            Dist::LogNormalMuSigma { mu, sigma } => {
                f("lognormal_mu_sigma", &[("mu", mu), ("sigma", sigma)])
            }
            Dist::Gamma { shape, scale } => f("gamma", &[("shape", shape), ("scale", scale)]),
            Dist::GammaMeanSd { mean, sd } => f("gamma_mean_sd", &[("mean", mean), ("sd", sd)]),
            Dist::Empirical {
                source,
                method,
                values,
            } => f(
                "empirical",
                &[
                    ("source", source),
                    ("n", &values.len()),
                    ("method", &method.name()),
                ],
            ),
        }
    }
}

impl std::fmt::Display for Dist {
    /// In English ([`Dist::describe_in`]).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.describe_in(crate::i18n::Lang::En))
    }
}

impl Uncertain {
    /// The distribution in `lang` ([`Dist::describe_in`]), with its truncation
    /// (`dist.truncated*`).
    pub fn describe_in(&self, lang: crate::i18n::Lang) -> String {
        let tx = lang.texts();
        let mut text = self.dist().describe_in(lang);
        let (lo, hi) = self.bounds();
        match (lo.is_finite(), hi.is_finite()) {
            (true, true) => text.push_str(&tx.f("dist.truncated", &[("lo", &lo), ("hi", &hi)])),
            (true, false) => text.push_str(&tx.f("dist.truncated_below", &[("lo", &lo)])),
            (false, true) => text.push_str(&tx.f("dist.truncated_above", &[("hi", &hi)])),
            (false, false) => {}
        }
        text
    }
}

impl std::fmt::Display for Uncertain {
    /// In English ([`Uncertain::describe_in`]).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.describe_in(crate::i18n::Lang::En))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use statrs::distribution::Continuous;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol * (1.0 + b.abs())
    }

    fn assert_close(a: f64, b: f64, tol: f64) {
        assert!(close(a, b, tol), "{a} vs {b} (tol {tol})");
    }

    fn make(dist: Dist) -> Uncertain {
        Uncertain::new(dist, None, None).expect("valid distribution")
    }

    /// Midpoint-rule average of the quantile function over `n` points.
    fn grid_mean(d: &Uncertain, n: usize) -> f64 {
        (0..n)
            .map(|i| d.quantile((i as f64 + 0.5) / n as f64))
            .sum::<f64>()
            / n as f64
    }

    #[test]
    fn normal_quantiles() {
        let d = make(Dist::Normal {
            mean: 10.0,
            sd: 2.0,
        });
        assert_close(d.quantile(0.5), 10.0, 1e-12);
        assert_close(d.quantile(0.975), 10.0 + 2.0 * 1.959_963_984_540_054, 1e-9);
        assert_close(d.quantile(0.025), 10.0 - 2.0 * 1.959_963_984_540_054, 1e-9);
        assert_close(d.quantile(0.841_344_746_068_542_9), 12.0, 1e-9);
        // Ends clamp to 1e-12 tail probability: z(1e-12) = -7.034483825301132.
        assert_close(d.quantile(0.0), 10.0 - 2.0 * 7.034_483_825_301_132, 1e-12);
        // 1 − 1e-12 is only represented to ~1e-4 relative in its tail, hence the looser check.
        assert_close(d.quantile(1.0), 10.0 + 2.0 * 7.034_483_825_301_132, 1e-5);
        assert_close(d.quantile(-3.0), d.quantile(0.0), 0.0);
        assert!(d.quantile(f64::NAN).is_nan());
        assert_eq!(d.support(), (f64::NEG_INFINITY, f64::INFINITY));
        assert_close(d.mean(), 10.0, 0.0);
    }

    #[test]
    fn lognormal_quantiles_and_mean() {
        let (m, s) = (100.0_f64, 30.0_f64);
        let d = make(Dist::LogNormal { mean: m, sd: s });
        let sigma2 = (1.0 + (s / m).powi(2)).ln();
        let mu = m.ln() - sigma2 / 2.0;
        // Median is exp(mu) = m / sqrt(1 + cv²) = 100 / sqrt(1.09).
        assert_close(d.quantile(0.5), 100.0 / 1.09_f64.sqrt(), 1e-12);
        assert_close(
            d.quantile(0.975),
            (mu + sigma2.sqrt() * 1.959_963_984_540_054).exp(),
            1e-9,
        );
        assert_close(d.quantile(0.0), 0.0, 0.0);
        assert!(d.quantile(1.0).is_finite());
        assert_eq!(d.support(), (0.0, f64::INFINITY));
        assert_close(d.mean(), 100.0, 1e-12);
        assert_close(grid_mean(&d, 200_000), 100.0, 1e-4);
    }

    #[test]
    fn uniform_quantiles() {
        let d = make(Dist::Uniform { min: 2.0, max: 6.0 });
        assert_close(d.quantile(0.0), 2.0, 0.0);
        assert_close(d.quantile(0.25), 3.0, 1e-15);
        assert_close(d.quantile(0.5), 4.0, 1e-15);
        assert_close(d.quantile(1.0), 6.0, 0.0);
        assert_close(d.quantile(7.0), 6.0, 0.0);
        assert_eq!(d.support(), (2.0, 6.0));
        assert_close(d.mean(), 4.0, 1e-15);
        assert_close(grid_mean(&d, 10_000), 4.0, 1e-12);
    }

    #[test]
    fn triangular_quantiles() {
        let d = make(Dist::Triangular {
            min: 1.0,
            mode: 3.0,
            max: 7.0,
        });
        // F(mode) = 2/6 = 1/3.
        assert_close(d.quantile(0.0), 1.0, 0.0);
        assert_close(d.quantile(1.0 / 6.0), 1.0 + 2.0_f64.sqrt(), 1e-12);
        assert_close(d.quantile(1.0 / 3.0), 3.0, 1e-12);
        assert_close(d.quantile(0.5), 7.0 - 12.0_f64.sqrt(), 1e-12);
        assert_close(d.quantile(1.0), 7.0, 0.0);
        assert_close(d.mean(), 11.0 / 3.0, 1e-12);
        assert_close(grid_mean(&d, 100_000), 11.0 / 3.0, 1e-8);

        // Mode at an end.
        let d = make(Dist::Triangular {
            min: 0.0,
            mode: 0.0,
            max: 1.0,
        });
        assert_close(d.quantile(0.75), 0.5, 1e-12);
        assert_close(grid_mean(&d, 100_000), 1.0 / 3.0, 1e-8);
    }

    #[test]
    fn triangular_cdf_does_not_depend_on_the_scale() {
        // (x − min)² underflowed for widths near 1e-200 (and overflowed near
        // 1e200): the CDF was 0/0 = NaN (∞/∞) at every point inside.
        let at = |scale: f64| {
            let d = make(Dist::Triangular {
                min: -scale / 3.0,
                mode: 2.0 * scale,
                max: 19.0 * scale / 3.0,
            });
            [1.0, 2.0, 3.0, 5.0].map(|x| d.cdf(x * scale))
        };
        let unit = at(1.0);
        for scale in [1e-300, 1e-200, 1e200, 1e300] {
            for (got, want) in at(scale).into_iter().zip(unit) {
                assert_close(got, want, 1e-12);
            }
        }
    }

    #[test]
    fn pert_quantiles_and_mean() {
        // mode = min: alpha = 1, beta = 5, F(x) = 1 - (1 - x/10)^5.
        let d = make(Dist::Pert {
            min: 0.0,
            mode: 0.0,
            max: 10.0,
        });
        assert_close(d.quantile(0.5), 10.0 * (1.0 - 0.5_f64.powf(0.2)), 1e-9);
        assert_close(d.quantile(0.9), 10.0 * (1.0 - 0.1_f64.powf(0.2)), 1e-9);
        assert_close(d.mean(), 10.0 / 6.0, 1e-12);
        // Symmetric: alpha = beta = 3, median = mode.
        let d = make(Dist::Pert {
            min: 0.0,
            mode: 50.0,
            max: 100.0,
        });
        assert_close(d.quantile(0.5), 50.0, 1e-9);
        let d = make(Dist::Pert {
            min: 2.0,
            mode: 3.0,
            max: 10.0,
        });
        let analytic = (2.0 + 4.0 * 3.0 + 10.0) / 6.0;
        assert_close(d.mean(), analytic, 1e-12);
        // The midpoint rule converges slowly near the endpoint singularities of Q.
        assert_close(grid_mean(&d, 20_000), analytic, 1e-5);
        assert_close(grid_mean(&d, 200_000), analytic, 1e-6);
    }

    #[test]
    fn beta_quantiles_and_mean() {
        // Beta(2, 1): F(x) = x², Q(u) = √u; scaled to [10, 20].
        let d = make(Dist::Beta {
            alpha: 2.0,
            beta: 1.0,
            min: 10.0,
            max: 20.0,
        });
        for u in [0.01, 0.25, 0.5, 0.81] {
            assert_close(d.quantile(u), 10.0 + 10.0 * u.sqrt(), 1e-9);
        }
        // Beta(1, 2): Q(u) = 1 - √(1 - u).
        let d = make(Dist::Beta {
            alpha: 1.0,
            beta: 2.0,
            min: 0.0,
            max: 1.0,
        });
        assert_close(d.quantile(0.75), 0.5, 1e-9);
        let d = make(Dist::Beta {
            alpha: 2.5,
            beta: 4.0,
            min: -1.0,
            max: 3.0,
        });
        let analytic = -1.0 + 4.0 * 2.5 / 6.5;
        assert_close(d.mean(), analytic, 1e-12);
        assert_close(grid_mean(&d, 20_000), analytic, 1e-5);
        assert_close(grid_mean(&d, 200_000), analytic, 1e-6);
        assert_eq!(d.support(), (-1.0, 3.0));
    }

    #[test]
    fn discrete_quantiles_and_mean() {
        // Unsorted input; sorted: values [1, 2, 5], probabilities [1/4, 1/4, 1/2].
        let d = make(Dist::Discrete {
            values: vec![5.0, 1.0, 2.0],
            weights: vec![2.0, 1.0, 1.0],
        });
        let cases = [
            (0.0, 1.0),
            (0.1, 1.0),
            (0.25, 1.0),
            (0.250_001, 2.0),
            (0.5, 2.0),
            (0.7, 5.0),
            (1.0, 5.0),
        ];
        for (u, want) in cases {
            assert_close(d.quantile(u), want, 0.0);
        }
        assert_close(d.mean(), 3.25, 1e-15);
        assert_close(grid_mean(&d, 1_000), 3.25, 1e-12);
        assert_eq!(d.support(), (1.0, 5.0));
    }

    #[test]
    fn degenerate_cases_return_the_point() {
        let cases = [
            Dist::Normal { mean: 4.0, sd: 0.0 },
            Dist::LogNormal { mean: 4.0, sd: 0.0 },
            Dist::Uniform { min: 4.0, max: 4.0 },
            Dist::Triangular {
                min: 4.0,
                mode: 4.0,
                max: 4.0,
            },
            Dist::Pert {
                min: 4.0,
                mode: 4.0,
                max: 4.0,
            },
            Dist::Discrete {
                values: vec![4.0],
                weights: vec![0.3],
            },
        ];
        for dist in cases {
            let d = make(dist.clone());
            for u in [0.0, 0.3, 0.5, 1.0] {
                assert_close(d.quantile(u), 4.0, 0.0);
            }
            assert_eq!(d.support(), (4.0, 4.0), "{dist:?}");
            assert_close(d.mean(), 4.0, 0.0);
        }
    }

    #[test]
    fn truncated_normal_stays_inside_and_has_the_analytic_mean() {
        let d = Uncertain::new(Dist::Normal { mean: 0.0, sd: 1.0 }, Some(-1.0), Some(2.0))
            .expect("valid");
        assert_eq!(d.support(), (-1.0, 2.0));
        assert_close(d.quantile(0.0), -1.0, 0.0);
        assert_close(d.quantile(1.0), 2.0, 0.0);
        for i in 0..=1000 {
            let x = d.quantile(i as f64 / 1000.0);
            assert!((-1.0..=2.0).contains(&x), "{x}");
        }
        // E[X | a ≤ X ≤ b] = (φ(a) − φ(b)) / (Φ(b) − Φ(a)).
        let n = Normal::standard();
        let want = (n.pdf(-1.0) - n.pdf(2.0)) / (n.cdf(2.0) - n.cdf(-1.0));
        assert_close(d.mean(), want, 1e-8);
        // Median of the truncated distribution: Φ⁻¹((Φ(a) + Φ(b)) / 2).
        assert_close(
            d.quantile(0.5),
            n.inverse_cdf(0.5 * (n.cdf(-1.0) + n.cdf(2.0))),
            1e-12,
        );
    }

    #[test]
    fn rough_mean_is_the_mean_to_half_a_percent() {
        let cases = [
            // The bundled scenarios' land per firm.
            (
                Dist::LogNormal {
                    mean: 40.0,
                    sd: 25.0,
                },
                Some(5.0),
                Some(300.0),
            ),
            (
                Dist::LogNormal {
                    mean: 25.0,
                    sd: 15.0,
                },
                Some(3.0),
                Some(150.0),
            ),
            // One-sided, with the tail left open.
            (Dist::Normal { mean: 1.0, sd: 0.4 }, Some(0.2), None),
            (
                Dist::LogNormal {
                    mean: 10.0,
                    sd: 8.0,
                },
                Some(1.0),
                None,
            ),
            (
                Dist::Beta {
                    alpha: 2.0,
                    beta: 5.0,
                    min: 0.0,
                    max: 1.0,
                },
                Some(0.1),
                Some(0.9),
            ),
        ];
        for (dist, lower, upper) in cases {
            let d = Uncertain::new(dist.clone(), lower, upper).expect("valid");
            let (rough, mean) = (d.rough_mean(), d.mean());
            assert!(
                ((rough - mean) / mean).abs() < 5e-3,
                "{dist}: rough {rough} vs mean {mean}"
            );
        }
        let plain = Uncertain::new(Dist::Normal { mean: 3.0, sd: 1.0 }, None, None).expect("valid");
        assert_close(plain.rough_mean(), 3.0, 0.0);
    }

    #[test]
    fn one_sided_truncation() {
        let d = Uncertain::new(
            Dist::LogNormal {
                mean: 10.0,
                sd: 5.0,
            },
            None,
            Some(12.0),
        )
        .expect("valid");
        assert_eq!(d.support(), (0.0, 12.0));
        for i in 0..=100 {
            let x = d.quantile(i as f64 / 100.0);
            assert!((0.0..=12.0).contains(&x));
        }
        assert!(d.mean() < 10.0);
        let d = Uncertain::new(
            Dist::Uniform {
                min: 0.0,
                max: 10.0,
            },
            Some(4.0),
            None,
        )
        .expect("valid");
        assert_eq!(d.support(), (4.0, 10.0));
        assert_close(d.quantile(0.5), 7.0, 1e-12);
        assert_close(d.mean(), 7.0, 1e-9);
    }

    #[test]
    fn truncation_that_does_not_bite_changes_nothing() {
        let d = Uncertain::new(
            Dist::Triangular {
                min: 1.0,
                mode: 3.0,
                max: 7.0,
            },
            Some(0.0),
            Some(100.0),
        )
        .expect("valid");
        assert_eq!(d.support(), (1.0, 7.0));
        assert_close(d.quantile(0.5), 7.0 - 12.0_f64.sqrt(), 1e-12);
        assert_close(d.mean(), 11.0 / 3.0, 1e-12);
    }

    #[test]
    fn truncated_discrete_renormalises() {
        let d = Uncertain::new(
            Dist::Discrete {
                values: vec![1.0, 2.0, 5.0],
                weights: vec![1.0, 1.0, 2.0],
            },
            Some(1.5),
            None,
        )
        .expect("valid");
        assert_eq!(d.support(), (2.0, 5.0));
        assert_close(d.quantile(0.0), 2.0, 0.0);
        assert_close(d.quantile(1.0 / 3.0), 2.0, 0.0);
        assert_close(d.quantile(0.34), 5.0, 0.0);
        assert_close(d.mean(), 4.0, 1e-15);
    }

    #[test]
    fn truncation_errors() {
        let uniform = Dist::Uniform { min: 0.0, max: 1.0 };
        let err = Uncertain::new(uniform.clone(), Some(2.0), None).expect_err("empty range");
        assert_eq!(err.len(), 1);
        assert_eq!(err[0].field, "lower");
        assert_eq!(
            err[0].expected,
            "a truncation range that holds some probability"
        );
        let err = Uncertain::new(uniform.clone(), Some(0.5), Some(0.5)).expect_err("lower = upper");
        assert_eq!(
            err,
            vec![DistError {
                field: "upper",
                expected: "lower < upper".into(),
                found: "lower = 0.5, upper = 0.5".into(),
            }]
        );
        let err = Uncertain::new(uniform, Some(f64::NAN), Some(f64::INFINITY)).expect_err("nan");
        let fields: Vec<_> = err.iter().map(|e| e.field).collect();
        assert_eq!(fields, ["lower", "upper"]);
        let err = Uncertain::new(Dist::Normal { mean: 3.0, sd: 0.0 }, None, Some(2.0))
            .expect_err("point outside");
        assert_eq!(err[0].field, "upper");
        let err = Uncertain::new(
            Dist::Discrete {
                values: vec![1.0, 2.0],
                weights: vec![1.0, 1.0],
            },
            Some(3.0),
            Some(4.0),
        )
        .expect_err("no value left");
        assert_eq!(err.len(), 1);
    }

    #[test]
    fn all_errors_are_reported_at_once() {
        let err = Uncertain::new(
            Dist::Triangular {
                min: 3.0,
                mode: 5.0,
                max: 1.0,
            },
            Some(2.0),
            Some(1.0),
        )
        .expect_err("invalid");
        assert_eq!(
            err,
            vec![
                DistError {
                    field: "max",
                    expected: "min ≤ max".into(),
                    found: "min = 3, max = 1".into(),
                },
                DistError {
                    field: "mode",
                    expected: "min ≤ mode ≤ max".into(),
                    found: "min = 3, mode = 5, max = 1".into(),
                },
                DistError {
                    field: "upper",
                    expected: "lower < upper".into(),
                    found: "lower = 2, upper = 1".into(),
                },
            ]
        );
        assert_eq!(
            err[0].to_string(),
            "max: expected min ≤ max, found min = 3, max = 1"
        );

        let err = Uncertain::new(
            Dist::Normal {
                mean: f64::NAN,
                sd: -1.0,
            },
            None,
            None,
        )
        .expect_err("invalid");
        assert_eq!(
            err,
            vec![
                DistError {
                    field: "mean",
                    expected: "a finite number".into(),
                    found: "NaN".into(),
                },
                DistError {
                    field: "sd",
                    expected: "a number ≥ 0".into(),
                    found: "-1".into(),
                },
            ]
        );

        let err = Uncertain::new(
            Dist::LogNormal {
                mean: -2.0,
                sd: f64::INFINITY,
            },
            None,
            None,
        )
        .expect_err("invalid");
        assert_eq!(
            err,
            vec![
                DistError {
                    field: "mean",
                    expected: "a number > 0 (lognormal needs a positive mean)".into(),
                    found: "-2".into(),
                },
                DistError {
                    field: "sd",
                    expected: "a finite number".into(),
                    found: "inf".into(),
                },
            ]
        );

        let err = Uncertain::new(
            Dist::Beta {
                alpha: 0.0,
                beta: -1.0,
                min: 2.0,
                max: 2.0,
            },
            None,
            None,
        )
        .expect_err("invalid");
        let fields: Vec<_> = err.iter().map(|e| e.field).collect();
        assert_eq!(fields, ["alpha", "beta", "max"]);
        assert_eq!(err[2].expected, "min < max");

        let err = Uncertain::new(
            Dist::Discrete {
                values: vec![1.0, f64::NAN],
                weights: vec![0.0],
            },
            None,
            None,
        )
        .expect_err("invalid");
        assert_eq!(
            err,
            vec![
                DistError {
                    field: "values",
                    expected: "finite numbers".into(),
                    found: "NaN at index 1".into(),
                },
                DistError {
                    field: "weights",
                    expected: "as many weights as values".into(),
                    found: "1 weights for 2 values".into(),
                },
                DistError {
                    field: "weights",
                    expected: "finite numbers > 0".into(),
                    found: "0 at index 0".into(),
                },
            ]
        );

        let err =
            Uncertain::new(Dist::Uniform { min: 1.0, max: 0.0 }, None, None).expect_err("invalid");
        assert_eq!(err[0].expected, "min ≤ max");
        let err = Uncertain::new(
            Dist::Pert {
                min: 0.0,
                mode: -1.0,
                max: 1.0,
            },
            None,
            None,
        )
        .expect_err("invalid");
        assert_eq!(err.len(), 1);
        assert_eq!(err[0].field, "mode");
    }

    // Reference values from scipy 1.x (scipy.stats.truncnorm.ppf, lognorm.ppf),
    // computed for this test. Tolerance: 1e-12 of the distance from the truncation
    // bound plus 1e-14 of the value (a few ulps); scipy's own truncnorm is
    // less accurate than this far out (at 300 sd), so that case is checked against
    // the asymptote instead.
    #[test]
    fn normal_truncated_to_a_far_tail_is_sampled_in_the_tail() {
        // Regression: beyond about 7 sd every draw collapsed onto the bound.
        // (lower, upper, [(u, scipy's quantile)]) of the standard normal.
        type Case = (Option<f64>, Option<f64>, [(f64, f64); 5]);
        let cases: [Case; 4] = [
            (
                Some(8.0),
                None,
                [
                    (0.001, 8.00012319264935),
                    (0.3, 8.043801652928057),
                    (0.5, 8.084911007391545),
                    (0.9, 8.2788033416912),
                    (0.999999, 9.554302468572283),
                ],
            ),
            (
                Some(10.0),
                Some(12.0),
                [
                    (0.001, 10.000099077662322),
                    (0.3, 10.03526003958893),
                    (0.5, 10.068411836058495),
                    (0.9, 10.225526810998913),
                    (0.999999, 11.286831795334999),
                ],
            ),
            (
                Some(40.0),
                None,
                [
                    (0.001, 40.00002499689695),
                    (0.3, 40.00891031978352),
                    (0.5, 40.01731412676465),
                    (0.9, 40.05748745803603),
                    (0.999999, 40.343697534941796),
                ],
            ),
            (
                None,
                Some(-9.0),
                [
                    (0.001, -9.729491851967575),
                    (0.3, -9.131246119806457),
                    (0.5, -9.075787065491834),
                    (0.9, -9.011559993479183),
                    (0.999999, -9.000000109787338),
                ],
            ),
        ];
        for (lower, upper, points) in cases {
            let d = Uncertain::new(Dist::Normal { mean: 0.0, sd: 1.0 }, lower, upper)
                .expect("a far tail holds probability");
            let bound = lower.or(upper).expect("one bound");
            for (u, expected) in points {
                let x = d.quantile(u);
                assert!(
                    (x - expected).abs()
                        <= 1e-12 * (expected - bound).abs() + 1e-14 * expected.abs(),
                    "{lower:?}..{upper:?} at {u}: {x} vs scipy {expected}"
                );
            }
            // The mean lies inside, above the bound (not on it).
            assert!((d.mean() - bound).abs() > 1e-3);
            assert!((d.support().0..=d.support().1).contains(&d.mean()));
        }
        // Scaled: normal(100, 10) truncated below at 180 is 100 + 10 × the standard one at 8.
        let d = Uncertain::new(
            Dist::Normal {
                mean: 100.0,
                sd: 10.0,
            },
            Some(180.0),
            None,
        )
        .expect("valid");
        assert_close(d.quantile(0.5), 100.0 + 10.0 * 8.084911007391545, 1e-14);
        // At 300 sd: the excess e over the bound is Exp(rate 300), up to the terms
        // e²/2 + ln(1 + e/300) beside 300 e in −ln Q(300 + e)/Q(300) (below 1e-4).
        let d =
            Uncertain::new(Dist::Normal { mean: 0.0, sd: 1.0 }, Some(300.0), None).expect("valid");
        for u in [1e-3f64, 0.5, 0.9] {
            let excess = -(-u).ln_1p() / 300.0;
            let x = d.quantile(u);
            assert!(((x - 300.0) / excess - 1.0).abs() < 1e-4, "{u}: {x}");
        }
        // A lognormal whose logarithm is truncated to a far tail: lognormal(1, 0.1)
        // has σ² = ln 1.01, μ = −σ²/2; above exp(μ + 8σ) it is exp(μ + σ × the normal's).
        let sigma2 = 0.01f64.ln_1p();
        let (mu, sigma) = (-0.5 * sigma2, sigma2.sqrt());
        let d = Uncertain::new(
            Dist::LogNormal { mean: 1.0, sd: 0.1 },
            Some((mu + 8.0 * sigma).exp()),
            None,
        )
        .expect("valid");
        assert_close(
            d.quantile(0.5),
            (mu + sigma * 8.084911007391545).exp(),
            1e-13,
        );
    }

    #[test]
    fn lognormal_with_a_huge_sd_is_refused_and_its_kind_stays_finite() {
        // Regression: with sd/mean above ~1e154, σ² = ln(1 + cv²) overflowed and
        // every quantile was NaN. Its log-scale parameters are now finite
        // (scipy: lognorm(s=30.348542587702926, scale=exp(-460.51701859880916))),
        // but its draws, cut at probability 1 − 1e-12, lie far below its mean of 1:
        // such a lognormal is refused.
        let e = Uncertain::new(
            Dist::LogNormal {
                mean: 1.0,
                sd: 1e200,
            },
            None,
            None,
        )
        .expect_err("refused");
        assert_eq!(
            e,
            vec![DistError::new(
                "sd",
                "an sd whose draws keep the mean (the largest draw is at probability 1 − 1e-12)",
                "sd = 1e200, 1.00e200 × the mean, whose draws would miss 100.0% of the mean"
                    .to_owned()
            )]
        );
        let mut errors = Vec::new();
        let cv: f64 = 1e200;
        let sigma2 = 2.0 * cv.ln() + (cv * cv).recip().ln_1p();
        assert_close(sigma2.sqrt(), 30.348542587702926, 1e-14);
        assert_close(-0.5 * sigma2, -460.51701859880916, 1e-14);
        // Up to about 2,300 × the mean the draws keep the mean; beyond, refused.
        assert!(
            validate_kind(
                &Dist::LogNormal {
                    mean: 1.0,
                    sd: 2000.0
                },
                &mut errors
            )
            .is_some()
        );
        assert!(
            validate_kind(
                &Dist::LogNormal {
                    mean: 1.0,
                    sd: 3000.0
                },
                &mut errors
            )
            .is_none()
        );
        let d = make(Dist::LogNormal {
            mean: 1.0,
            sd: 100.0,
        });
        // scipy: lognorm(s=sqrt(ln(10001)), scale=exp(-ln(10001)/2)).ppf(0.9)
        assert_close(d.quantile(0.9), 0.48876335454204795, 1e-12);
    }

    #[test]
    fn draws_beyond_the_double_range_are_refused() {
        // Regression: normal(1e308, 1e308) drew ±inf (as scipy's ppf does).
        let e = Uncertain::new(
            Dist::Normal {
                mean: 1e308,
                sd: 1e308,
            },
            None,
            None,
        )
        .expect_err("refused");
        assert_eq!(
            e,
            vec![DistError::new(
                "sd",
                "parameters whose draws stay finite",
                "draws from -inf to inf".to_owned()
            )]
        );
        // A uniform whose width overflows still draws inside its range, correctly.
        let d = make(Dist::Uniform {
            min: -1e308,
            max: 1e308,
        });
        assert_eq!(d.quantile(0.5).to_bits(), 0f64.to_bits());
        assert_eq!(d.quantile(0.75).to_bits(), 5e307f64.to_bits());
    }

    #[test]
    fn beta_shapes_are_bounded() {
        // Regression: statrs's beta quantile never returned for alpha = 2e7, beta = 5
        // truncated near its top.
        let e = Uncertain::new(
            Dist::Beta {
                alpha: 2e7,
                beta: 5.0,
                min: 3.0,
                max: 7.0,
            },
            Some(6.99999),
            None,
        )
        .expect_err("refused");
        assert_eq!(
            e,
            vec![DistError::new(
                "alpha",
                "a shape of at most 1e6 (a larger one is nearly a constant; write the number instead)",
                "20000000".to_owned()
            )]
        );
        // At the limit it validates and samples.
        let d = Uncertain::new(
            Dist::Beta {
                alpha: MAX_BETA_SHAPE,
                beta: 5.0,
                min: 3.0,
                max: 7.0,
            },
            Some(6.99999),
            None,
        )
        .expect("valid");
        assert!((6.99999..=7.0).contains(&d.quantile(0.5)));
    }

    // Reference quantiles of the standard gamma from scipy 1.17.1
    // (scipy.stats.gamma.ppf(p, a)), computed for this test.
    #[test]
    fn gamma_quantiles_match_scipy() {
        let cases: [(f64, f64, f64); 9] = [
            (5.0, 0.95, 9.153519026637573),
            (0.5, 0.05, 0.001966070000009761),
            (0.02, 0.5, 5.068667656480132e-16),
            (3.0, 1e-10, 0.0008436105624847267),
            (3.0, 1.0 - 1e-12, 34.05239764948628),
            (100.0, 0.3, 94.52429935888071),
            (1e5, 0.7, 100165.58802498862),
            (0.05, 1e-6, 5.844632057286552e-121),
            (2.0, 0.999999, 16.68842079082944),
        ];
        for (a, p, expected) in cases {
            let x = gamma_std_quantile(a, ln_gamma(a), p);
            assert!(
                ((x - expected) / expected).abs() < 1e-11,
                "shape {a} at {p}: {x} vs scipy {expected}"
            );
        }
        // Scaled: gamma(shape 5, scale 2) is χ² with 10 degrees of freedom.
        let d = make(Dist::Gamma {
            shape: 5.0,
            scale: 2.0,
        });
        assert_close(d.quantile(0.95), 18.307038053275146, 1e-12);
        assert_close(d.mean(), 10.0, 0.0);
        assert_close(d.cdf(18.307038053275146), 0.95, 1e-12);
    }

    // Reference values from scipy 1.17.1: with s = gamma.sf(lower/2, 3) and
    // t = gamma.sf(upper/2, 3) (0 when unbounded), 2 · gamma.isf(s − u (s − t), 3).
    #[test]
    fn gamma_truncated_to_its_upper_tail_is_sampled_in_survival_space() {
        type Case = (f64, Option<f64>, [(f64, f64); 4]);
        let cases: [Case; 3] = [
            (
                100.0,
                None,
                [
                    (0.001, 100.00208264062758),
                    (0.5, 101.44244323701709),
                    (0.9, 104.78861689237408),
                    (0.999999, 128.61999926542768),
                ],
            ),
            (
                60.0,
                Some(80.0),
                [
                    (0.001, 60.002138674979356),
                    (0.5, 61.48042883268203),
                    (0.9, 64.90819638543738),
                    (0.999999, 79.9736804844309),
                ],
            ),
            (
                20.0,
                None,
                [
                    (0.001, 20.002441191507454),
                    (0.5, 21.678081087777628),
                    (0.9, 25.49045234739009),
                    (0.999999, 51.14534262879855),
                ],
            ),
        ];
        for (lower, upper, points) in cases {
            let d = Uncertain::new(
                Dist::Gamma {
                    shape: 3.0,
                    scale: 2.0,
                },
                Some(lower),
                upper,
            )
            .expect("a far tail holds probability");
            for (u, expected) in points {
                let x = d.quantile(u);
                assert!(
                    (x - expected).abs() <= 1e-9 * (expected - lower),
                    "[{lower}, {upper:?}] at {u}: {x} vs scipy {expected}"
                );
                assert_close(d.cdf(x), u, 1e-9);
            }
        }
    }

    /// statrs 0.19's gamma quantile (safeguarded Newton on the lower CDF) against
    /// this module's, and their speed: run with `--nocapture` to see the timing.
    #[test]
    fn gamma_quantile_agrees_with_statrs_in_the_body() {
        use statrs::distribution::Gamma;
        let g = Gamma::new(3.0, 1.0).expect("valid");
        let lg = ln_gamma(3.0);
        let grid: Vec<f64> = (1..1000).map(|i| f64::from(i) / 1000.0).collect();
        let t = std::time::Instant::now();
        let ours: Vec<f64> = grid
            .iter()
            .map(|p| gamma_std_quantile(3.0, lg, *p))
            .collect();
        let t_ours = t.elapsed();
        let t = std::time::Instant::now();
        let theirs: Vec<f64> = grid.iter().map(|p| g.inverse_cdf(*p)).collect();
        let t_theirs = t.elapsed();
        for ((p, a), b) in grid.iter().zip(&ours).zip(&theirs) {
            assert!(((a - b) / b).abs() < 1e-9, "at {p}: {a} vs statrs {b}");
        }
        println!("999 gamma(3) quantiles: ours {t_ours:?}, statrs {t_theirs:?}");
    }

    #[test]
    fn interpolated_empirical_is_piecewise_linear() {
        // Values 1, 2, 4, 8 (given unsorted): knots at u = 0, 1/3, 2/3, 1.
        let d = make(Dist::Empirical {
            source: "test".into(),
            method: EmpiricalMethod::Interpolate,
            values: vec![4.0, 1.0, 8.0, 2.0],
        });
        assert_eq!(d.support(), (1.0, 8.0));
        assert_close(d.quantile(0.5), 3.0, 1e-15);
        assert_close(d.quantile(1.0 / 6.0), 1.5, 1e-15);
        assert_close(d.cdf(6.0), 2.0 / 3.0 + 0.5 / 3.0, 1e-15);
        // Mean: (1 + 2 + 4 + 8 − (1 + 8)/2) / 3 = 10.5 / 3 = 3.5.
        assert_close(d.mean(), 3.5, 1e-15);
        // Resampled: each value with probability 1/4.
        let r = make(Dist::Empirical {
            source: "test".into(),
            method: EmpiricalMethod::Resample,
            values: vec![4.0, 1.0, 8.0, 2.0],
        });
        assert_close(r.mean(), 3.75, 1e-15);
        assert_close(r.quantile(0.3), 2.0, 0.0);
        assert_close(r.cdf(4.0), 0.75, 0.0);
    }

    #[test]
    fn dist_accessor_returns_the_input() {
        let dist = Dist::Uniform { min: 0.0, max: 1.0 };
        let d = make(dist.clone());
        assert_eq!(d.dist(), &dist);
        assert_eq!(d.bounds(), (f64::NEG_INFINITY, f64::INFINITY));
    }
    #[test]
    fn a_pert_over_a_range_near_the_largest_double_has_finite_shapes() {
        // 4 (max − mode) overflowed to inf before it was divided by the range:
        // β = inf, which the beta library refused in its own words.
        let u = Uncertain::new(
            Dist::Pert {
                min: -2.5e307,
                mode: -2.5e307,
                max: 1.25e308,
            },
            None,
            None,
        )
        .expect("a PERT of a finite range");
        assert!(u.quantile(0.5).is_finite() && u.mean().is_finite());
        for max in [1.25e308, f64::MAX] {
            let mode = 0.9 * max;
            let t = Uncertain::new(
                Dist::Triangular {
                    min: -2.5e307,
                    mode,
                    max,
                },
                None,
                None,
            )
            .expect("a triangular of a finite range");
            assert!(t.mean().is_finite(), "{max:e}");
        }
    }
}
