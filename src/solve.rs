//! The fair split (issue 9, point 4): vary the free parameters of one sharing
//! alternative's tax formula until it meets a target.
//!
//! The free parameters of a formula are those of its **outermost** kind
//! ([`Space`]); inner formulas are left as they are:
//!
//! | kind | free parameters |
//! |---|---|
//! | `fixed` | the shares (n − 1 free numbers on the simplex) |
//! | `guaranteed_return` | `rate`, in [0, 1] |
//! | `incremental` | `base`, ≥ 0 |
//! | `schedule` | the year of cooperation in which the last period starts |
//! | `tiered` | every tranche's `up_to` (m = tranches − 1 numbers, increasing) |
//!
//! `equity` and `contribution` have none.
//!
//! Every candidate is evaluated on the **same paths** (common random numbers): a
//! pass puts up to [`MAX_CANDIDATES`] candidate formulas side by side as the
//! alternatives of one scenario and simulates them in one run of the engine with
//! the same seed, so the differences between candidates are not noise. A
//! one-parameter formula is searched on a grid of [`GRID`] points, then on finer
//! grids around the best point (each 16 times finer); a multi-parameter one starts
//! from a coarse grid (a simplex grid for shares, scalings of the thresholds for
//! tranches) and goes on by compass search: from the best point, every move of a
//! step δ along one direction (a share moved from one region to another, a
//! threshold raised or lowered by the factor 1 ± δ), halving δ when no move
//! improves. Parameters are rounded before they are evaluated (shares and rates to
//! 10⁻⁴, money amounts to 4 significant digits, years to whole years), so what is
//! reported is exactly what the printed formula gives.
//!
//! The [`Target`]s and what "best" means for each are documented on the type.
//! Nothing here reads a clock or creates a random generator: a solve is a function
//! of the scenario, the target and the run settings.

use std::collections::HashMap;

use crate::engine::{self, EngineError, Observe, RunConfig};
pub use crate::fairness::Estimate;
use crate::fairness::{Metric, Table};
use crate::scenario::Scenario;
use crate::sharing::Formula;

/// Points of a one-parameter grid, and of each finer grid around the best point.
pub const GRID: usize = 33;

/// Most candidates simulated in one run of the engine.
pub const MAX_CANDIDATES: usize = 64;

/// Most passes (engine runs) of a search.
pub const MAX_PASSES: usize = 12;

/// Participation probability whose feasible range the zone of agreement shades
/// when the target does not name one.
pub const DEFAULT_PARTICIPATION: f64 = 0.9;

/// What the solved split should achieve.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Target {
    /// Maximise the Nash product Π_r (E(NPV_r) − E(outside_r)); only splits where
    /// every factor is > 0 qualify (among the others, the one whose smallest
    /// factor is largest is shown).
    Nash,
    /// Expected NPVs closest to the Shapley values: minimise
    /// Σ_r (E(NPV_r) − φ_r)².
    Shapley,
    /// Equal benefit ÷ contribution ratios: minimise Σ_r (q_r − q̄)², with q_r the
    /// mean of the region's `benefit_to_contribution` and q̄ their average.
    Proportional,
    /// Every region accepts with probability ≥ P: P(NPV_r ≥ outside_r) ≥ P for
    /// every r. Among those splits, the most balanced: the one whose smallest
    /// participation probability is largest, ties broken by the largest smallest
    /// expected gain E(NPV_r) − E(outside_r). When no split qualifies, the one with
    /// the largest joint participation probability (or, without joint
    /// probabilities, the largest smallest one), ties broken by the largest mean
    /// participation probability.
    Participation(f64),
}

impl Target {
    /// Parses `nash`, `shapley`, `proportional` or `participation:P` (0 < P ≤ 1).
    ///
    /// # Errors
    /// [`SolveError::Target`] for anything else.
    pub fn parse(text: &str) -> Result<Target, SolveError> {
        let bad = |why: &str| {
            SolveError::Target(format!(
                "{why}; expected nash, shapley, proportional or participation:P with 0 < P ≤ 1 (such as participation:0.9)"
            ))
        };
        match text.trim() {
            "nash" => Ok(Target::Nash),
            "shapley" => Ok(Target::Shapley),
            "proportional" => Ok(Target::Proportional),
            t => match t.strip_prefix("participation:") {
                Some(p) => match p.trim().parse::<f64>() {
                    Ok(p) if p > 0.0 && p <= 1.0 => Ok(Target::Participation(p)),
                    _ => Err(bad(&format!("`{p}` is not a probability in (0, 1]"))),
                },
                None => Err(bad(&format!("unknown target `{t}`"))),
            },
        }
    }

    /// The target as the command line spells it.
    pub fn name(&self) -> String {
        match self {
            Target::Nash => "nash".into(),
            Target::Shapley => "shapley".into(),
            Target::Proportional => "proportional".into(),
            Target::Participation(p) => format!("participation:{p}"),
        }
    }

    /// The participation probability whose feasible range the zone of agreement
    /// shows: the target's, else [`DEFAULT_PARTICIPATION`].
    pub fn zone_probability(&self) -> f64 {
        match self {
            Target::Participation(p) => *p,
            _ => DEFAULT_PARTICIPATION,
        }
    }

    /// Whether the target needs the cooperative game's metrics (Shapley values).
    pub fn needs_game(&self) -> bool {
        matches!(self, Target::Shapley)
    }
}

/// Why a solve cannot be done.
#[derive(Debug, thiserror::Error)]
pub enum SolveError {
    /// No alternative of that name.
    #[error("no alternative named `{name}`; the scenario has {}", list(known))]
    UnknownAlternative {
        /// The name asked for.
        name: String,
        /// The alternatives there are.
        known: Vec<String>,
    },
    /// The alternative's tax formula has nothing to vary.
    #[error(
        "alternative `{alternative}`: its tax formula {why}; solve varies the shares of a `fixed` formula, the rate of a `guaranteed_return`, the base of an `incremental`, the year the last period of a `schedule` starts and the thresholds of a `tiered` formula"
    )]
    NoFreeParameter {
        /// The alternative.
        alternative: String,
        /// What is wrong with its formula.
        why: String,
    },
    /// A target that cannot be parsed.
    #[error("bad target: {0}")]
    Target(String),
    /// The target needs the coalitions, which the run does not compute.
    #[error(
        "the {0} target needs the regions' Shapley values, which need the coalitions: solve it with fairness on (--fairness on, or [simulation] fairness = true)"
    )]
    NeedsFairness(String),
    /// The engine failed.
    #[error(transparent)]
    Engine(#[from] EngineError),
}

impl SolveError {
    /// Whether the error is the user's input (exit status 2) rather than a failure.
    pub fn is_bad_input(&self) -> bool {
        !matches!(self, SolveError::Engine(_))
    }
}

fn list(names: &[String]) -> String {
    if names.is_empty() {
        "none".into()
    } else {
        names
            .iter()
            .map(|n| format!("`{n}`"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// The index of the alternative named `name`.
///
/// # Errors
/// [`SolveError::UnknownAlternative`] if there is none.
pub fn find_alternative(scn: &Scenario, name: &str) -> Result<usize, SolveError> {
    scn.alternatives
        .iter()
        .position(|a| a.name == name)
        .ok_or_else(|| SolveError::UnknownAlternative {
            name: name.to_owned(),
            known: scn.alternatives.iter().map(|a| a.name.clone()).collect(),
        })
}

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

    /// A human description of what is varied.
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
    fn valid(&self, point: &[f64]) -> bool {
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
fn round_shares(point: &[f64]) -> Vec<f64> {
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
fn significant(x: f64) -> f64 {
    if x == 0.0 || !x.is_finite() {
        return x;
    }
    let scale = 10f64.powi(3 - x.abs().log10().floor() as i32);
    (x * scale).round() / scale
}

/// One region's metrics under a candidate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RegionMetrics {
    /// Mean NPV.
    pub npv: Estimate,
    /// P(NPV ≥ outside option).
    pub participation: Estimate,
    /// Mean of benefit share ÷ contribution share.
    pub benefit_to_contribution: Estimate,
    /// The region's Shapley value (None: not computed).
    pub shapley: Option<Estimate>,
    /// Its expected outside option, E(NPV) − E(NPV − outside option) on the paths.
    pub outside: f64,
}

impl RegionMetrics {
    /// E(NPV) − E(outside option).
    pub fn gain(&self) -> f64 {
        self.npv.mean - self.outside
    }
}

/// A candidate's metrics.
#[derive(Debug, Clone, PartialEq)]
pub struct Metrics {
    /// Per region.
    pub regions: Vec<RegionMetrics>,
    /// P(every region participates) (None: not computed).
    pub joint: Option<Estimate>,
    /// The Nash product with its (delta-method) standard error, as
    /// [`crate::fairness`] computes it (None: not computed).
    pub nash: Option<Estimate>,
}

impl Metrics {
    /// Π_r (E(NPV_r) − E(outside_r)), or None when a factor is ≤ 0.
    pub fn nash_product(&self) -> Option<f64> {
        let mut p = 1.0;
        for r in &self.regions {
            let g = r.gain();
            if g.is_nan() || g <= 0.0 {
                return None;
            }
            p *= g;
        }
        Some(p)
    }

    /// The smallest participation probability.
    pub fn min_participation(&self) -> f64 {
        self.regions
            .iter()
            .map(|r| r.participation.mean)
            .fold(f64::INFINITY, f64::min)
    }

    /// Whether every region participates with probability ≥ `p`.
    pub fn all_participate(&self, p: f64) -> bool {
        self.regions.iter().all(|r| r.participation.mean >= p)
    }
}

/// How good a candidate is for a target: feasible ones first, then by `value`,
/// then by `tie` (both maximised; NaN counts as worst).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Score {
    /// Whether it meets the target's condition.
    pub feasible: bool,
    /// Maximised.
    pub value: f64,
    /// Breaks ties of `value`.
    pub tie: f64,
}

impl Score {
    /// Whether `self` is strictly better than `other`.
    pub fn better_than(&self, other: &Score) -> bool {
        let key = |s: &Score| {
            let v = |x: f64| if x.is_nan() { f64::NEG_INFINITY } else { x };
            (s.feasible, v(s.value), v(s.tie))
        };
        let (a, b) = (key(self), key(other));
        match a.0.cmp(&b.0) {
            std::cmp::Ordering::Equal => a.1.total_cmp(&b.1).then(a.2.total_cmp(&b.2)).is_gt(),
            o => o.is_gt(),
        }
    }
}

/// The score of `m` for `target`.
pub fn score(target: Target, m: &Metrics) -> Score {
    let min_gain = m
        .regions
        .iter()
        .map(RegionMetrics::gain)
        .fold(f64::INFINITY, f64::min);
    match target {
        Target::Nash => match m.nash_product() {
            Some(p) => Score {
                feasible: true,
                value: p,
                tie: min_gain,
            },
            None => Score {
                feasible: false,
                value: min_gain,
                tie: 0.0,
            },
        },
        Target::Shapley => {
            let mut sum = 0.0;
            let mut complete = true;
            for r in &m.regions {
                match r.shapley {
                    Some(phi) => sum += (r.npv.mean - phi.mean).powi(2),
                    None => complete = false,
                }
            }
            Score {
                feasible: complete && sum.is_finite(),
                value: -sum,
                tie: min_gain,
            }
        }
        Target::Proportional => {
            let q: Vec<f64> = m
                .regions
                .iter()
                .map(|r| r.benefit_to_contribution.mean)
                .collect();
            let mean = q.iter().sum::<f64>() / q.len() as f64;
            let spread: f64 = q.iter().map(|x| (x - mean).powi(2)).sum();
            Score {
                feasible: spread.is_finite(),
                value: -spread,
                tie: min_gain,
            }
        }
        Target::Participation(p) => {
            if m.all_participate(p) {
                Score {
                    feasible: true,
                    value: m.min_participation(),
                    tie: min_gain,
                }
            } else {
                let mean = m.regions.iter().map(|r| r.participation.mean).sum::<f64>()
                    / m.regions.len() as f64;
                Score {
                    feasible: false,
                    value: m.joint.map_or(m.min_participation(), |j| j.mean),
                    tie: mean,
                }
            }
        }
    }
}

/// Evaluates candidate formulas of the alternative being solved, all on the same
/// paths.
pub trait Evaluate {
    /// The metrics of each formula, in order.
    ///
    /// # Errors
    /// If the evaluation fails.
    fn evaluate(&mut self, formulas: &[Formula]) -> Result<Vec<Metrics>, SolveError>;

    /// Whether the metrics hold Shapley values.
    fn has_game(&self) -> bool;
}

/// Most memory one engine run of candidates may be expected to take; more
/// candidates are run in several runs (on the same paths).
const MEMORY_BUDGET: f64 = 2.0 * (1u64 << 30) as f64;

/// Evaluates candidates with the engine: one run per pass, the candidates as the
/// alternatives of a copy of the scenario, their metrics from its
/// [`crate::fairness::Table`].
#[derive(Debug)]
pub struct EngineEvaluator<'a> {
    scn: &'a Scenario,
    alternative: usize,
    cfg: RunConfig,
    /// Engine runs so far.
    pub runs: usize,
}

impl<'a> EngineEvaluator<'a> {
    /// Evaluates variants of alternative `alternative` of `scn` under `cfg` (with
    /// the coalitions, and so Shapley values, when `scn.fairness()`).
    pub fn new(scn: &'a Scenario, alternative: usize, cfg: RunConfig) -> EngineEvaluator<'a> {
        EngineEvaluator {
            scn,
            alternative,
            cfg,
            runs: 0,
        }
    }

    /// The scenario whose alternatives are `formulas` as the tax formula of the
    /// alternative being solved (everything else of it kept; a delivery risk's
    /// slot renumbered, since every candidate carries it).
    pub fn candidates_scenario(&self, formulas: &[Formula]) -> Scenario {
        let mut s = self.scn.clone();
        let base = &self.scn.alternatives[self.alternative];
        s.alternatives = formulas
            .iter()
            .enumerate()
            .map(|(i, f)| {
                let mut alt = base.clone();
                alt.name = format!("candidate {}", i + 1);
                alt.tax = f.clone();
                if let Some(d) = alt.delivery.as_mut() {
                    d.slot = i;
                }
                alt
            })
            .collect();
        s
    }

    fn run_chunk(&mut self, formulas: &[Formula]) -> Result<Vec<Metrics>, SolveError> {
        let s = self.candidates_scenario(formulas);
        let state = engine::run(&s, &self.cfg, Observe::default(), &mut |_| {})?;
        self.runs += 1;
        let table = Table::from_run(&s, &state);
        let undefined = Estimate {
            mean: f64::NAN,
            se: f64::NAN,
            n: 0,
        };
        let get = |a: usize, r: Option<usize>, m: Metric| table.get(a, r, m).unwrap_or(undefined);
        Ok((0..formulas.len())
            .map(|a| Metrics {
                regions: (0..s.regions.len())
                    .map(|r| {
                        let npv = get(a, Some(r), Metric::Npv);
                        RegionMetrics {
                            npv,
                            participation: get(a, Some(r), Metric::Participation),
                            benefit_to_contribution: get(a, Some(r), Metric::BenefitToContribution),
                            shapley: table.coalitions.then(|| get(a, Some(r), Metric::Shapley)),
                            outside: npv.mean - get(a, Some(r), Metric::Surplus).mean,
                        }
                    })
                    .collect(),
                joint: table.get(a, None, Metric::JointParticipation),
                nash: table.get(a, None, Metric::NashProduct),
            })
            .collect())
    }
}

impl Evaluate for EngineEvaluator<'_> {
    fn evaluate(&mut self, formulas: &[Formula]) -> Result<Vec<Metrics>, SolveError> {
        // As many candidates per run as the memory budget allows.
        let mut chunk = formulas.len().max(1);
        while chunk > 1 {
            let s = self.candidates_scenario(&formulas[..chunk]);
            if engine::estimate(&s, &self.cfg).memory_bytes <= MEMORY_BUDGET {
                break;
            }
            chunk = chunk.div_ceil(2);
        }
        let mut out = Vec::with_capacity(formulas.len());
        for part in formulas.chunks(chunk) {
            out.extend(self.run_chunk(part)?);
        }
        Ok(out)
    }

    fn has_game(&self) -> bool {
        self.scn.fairness()
    }
}

/// One candidate evaluated.
#[derive(Debug, Clone)]
pub struct Candidate {
    /// The pass (engine run) that evaluated it, from 1.
    pub pass: usize,
    /// Its parameters (see [`Space::columns`]).
    pub point: Vec<f64>,
    /// The formula.
    pub formula: Formula,
    /// Its metrics.
    pub metrics: Metrics,
    /// Its score for the target.
    pub score: Score,
}

/// The result of a solve.
#[derive(Debug, Clone)]
pub struct Solution {
    /// What was varied.
    pub space: Space,
    /// The target.
    pub target: Target,
    /// Every candidate evaluated, in order.
    pub candidates: Vec<Candidate>,
    /// The index of the solution in `candidates`.
    pub best: usize,
    /// The index of the alternative's own formula in `candidates`.
    pub current: usize,
    /// Passes (engine runs of candidates) made.
    pub passes: usize,
}

impl Solution {
    /// The solution.
    pub fn best(&self) -> &Candidate {
        &self.candidates[self.best]
    }

    /// Whether the solution meets the target's condition (for `participation:P`:
    /// every region accepts with probability ≥ P; for `nash`: every region gains).
    pub fn feasible(&self) -> bool {
        self.best().score.feasible
    }
}

/// A point's key: its coordinates' bits.
fn key_of(p: &[f64]) -> Vec<u64> {
    p.iter().map(|x| x.to_bits()).collect()
}

/// The search: the candidates evaluated so far, keyed by their point.
struct Search<'e> {
    space: Space,
    /// The formula's own point, evaluated as written (not rounded).
    start: Vec<f64>,
    formula: Formula,
    target: Target,
    eval: &'e mut dyn Evaluate,
    candidates: Vec<Candidate>,
    seen: HashMap<Vec<u64>, usize>,
    passes: usize,
}

impl Search<'_> {
    /// Evaluates the new ones among `points` (rounded, valid, not seen) in one
    /// pass; returns the indices of all of `points` that are valid.
    fn pass(&mut self, points: &[Vec<f64>]) -> Result<(), SolveError> {
        let mut fresh: Vec<Vec<f64>> = Vec::new();
        let mut keys = Vec::new();
        for p in points {
            // The formula as written is evaluated as written; the others rounded.
            let p = if key_of(p) == key_of(&self.start) {
                p.clone()
            } else {
                self.space.round(p)
            };
            if !self.space.valid(&p) {
                continue;
            }
            let key = key_of(&p);
            if !self.seen.contains_key(&key) && !keys.contains(&key) {
                fresh.push(p);
                keys.push(key.clone());
            }
        }
        if !fresh.is_empty() {
            self.passes += 1;
            let formulas: Vec<Formula> = fresh
                .iter()
                .map(|p| self.space.apply(&self.formula, p))
                .collect();
            let metrics = self.eval.evaluate(&formulas)?;
            for ((point, formula), (metrics, key)) in fresh
                .into_iter()
                .zip(formulas)
                .zip(metrics.into_iter().zip(keys))
            {
                let score = score(self.target, &metrics);
                self.seen.insert(key, self.candidates.len());
                self.candidates.push(Candidate {
                    pass: self.passes,
                    point,
                    formula,
                    metrics,
                    score,
                });
            }
        }
        Ok(())
    }

    /// The best candidate so far (the first of equals).
    fn best(&self) -> usize {
        let mut best = 0;
        for (i, c) in self.candidates.iter().enumerate() {
            if c.score.better_than(&self.candidates[best].score) {
                best = i;
            }
        }
        best
    }
}

/// Solves: varies the free parameters of `formula` (the tax formula of the
/// alternative named `alternative`) to meet `target`, evaluating candidates with
/// `eval`, for a run of `horizon` years.
///
/// # Errors
/// [`SolveError::NoFreeParameter`] if the formula has nothing to vary,
/// [`SolveError::NeedsFairness`] if the target needs Shapley values and `eval`
/// has none, and whatever `eval` fails with.
pub fn solve(
    alternative: &str,
    formula: &Formula,
    target: Target,
    horizon: u32,
    eval: &mut dyn Evaluate,
) -> Result<Solution, SolveError> {
    let space = Space::of(alternative, formula, horizon)?;
    if target.needs_game() && !eval.has_game() {
        return Err(SolveError::NeedsFairness(target.name()));
    }
    let start = space.point_of(formula);
    let mut s = Search {
        space,
        start: start.clone(),
        formula: formula.clone(),
        target,
        eval,
        candidates: Vec::new(),
        seen: HashMap::new(),
        passes: 0,
    };
    if space.dims() == 1 {
        search_line(&mut s, &start)?;
    } else {
        search_compass(&mut s, &start)?;
    }
    let best = s.best();
    let current = s.seen.get(&key_of(&start)).copied().unwrap_or(best);
    Ok(Solution {
        space,
        target,
        best,
        current,
        passes: s.passes,
        candidates: s.candidates,
    })
}

/// A one-parameter point from the coordinate `x`.
fn line_point(space: Space, x: f64) -> Vec<f64> {
    match space {
        Space::Shares { .. } => vec![x, 1.0 - x],
        _ => vec![x],
    }
}

/// The coordinate of a one-parameter point.
fn line_coordinate(p: &[f64]) -> f64 {
    p[0]
}

/// `GRID` points from `lo` to `hi`.
fn grid(lo: f64, hi: f64) -> Vec<f64> {
    (0..GRID)
        .map(|i| lo + (hi - lo) * i as f64 / (GRID - 1) as f64)
        .collect()
}

/// One parameter: a grid over its range, then finer grids around the best point;
/// a range without an upper bound (a base, a threshold) is extended fourfold while
/// the best point is at its top.
fn search_line(s: &mut Search<'_>, start: &[f64]) -> Result<(), SolveError> {
    let space = s.space;
    let x0 = line_coordinate(start);
    let (mut lo, mut hi, open) = match space {
        Space::Shares { .. } | Space::Rate => (0.0, 1.0, false),
        Space::Base => (0.0, (4.0 * x0).max(1.0), true),
        Space::Bounds { .. } => (0.0, (4.0 * x0).max(1.0), true),
        Space::Switch { lo, hi } => (f64::from(lo), f64::from(hi), false),
    };
    let integer = matches!(space, Space::Switch { .. });
    let first: Vec<f64> = if integer && hi - lo < MAX_CANDIDATES as f64 {
        (lo as u32..=hi as u32).map(f64::from).collect()
    } else {
        grid(lo, hi)
    };
    let mut points: Vec<Vec<f64>> = vec![start.to_vec()];
    points.extend(first.iter().map(|&x| line_point(space, x)));
    s.pass(&points)?;
    let mut step = (hi - lo) / (GRID - 1) as f64;
    while s.passes < MAX_PASSES {
        let x = line_coordinate(&s.candidates[s.best()].point);
        let next = if open && x >= hi - step / 2.0 {
            // The best is at the open top: look further up.
            lo = hi;
            hi *= 4.0;
            grid(lo, hi)
        } else {
            let (a, b) = ((x - step).max(0.0), x + step);
            if integer {
                (a.ceil() as u32..=b.floor() as u32)
                    .map(f64::from)
                    .collect()
            } else {
                grid(a, b)
            }
        };
        step = if integer {
            1.0
        } else {
            (next[next.len() - 1] - next[0]) / (GRID - 1) as f64
        };
        let before = s.candidates.len();
        s.pass(
            &next
                .iter()
                .map(|&x| line_point(space, x))
                .collect::<Vec<_>>(),
        )?;
        if s.candidates.len() == before {
            break; // nothing new: the grid is below the rounding
        }
    }
    Ok(())
}

/// Several parameters: a coarse start, then compass moves of a halving step.
fn search_compass(s: &mut Search<'_>, start: &[f64]) -> Result<(), SolveError> {
    let space = s.space;
    let mut points: Vec<Vec<f64>> = vec![start.to_vec()];
    let (mut delta, min_delta) = match space {
        Space::Shares { n } => {
            let steps = match n {
                3 => 9,
                4 => 5,
                _ => 0,
            };
            if steps > 0 {
                points.extend(simplex_grid(n, steps));
            } else {
                points.push(vec![1.0 / n as f64; n]);
            }
            (if steps > 0 { 0.5 / steps as f64 } else { 0.1 }, 1e-4)
        }
        _ => {
            for k in -8..=8 {
                let f = 2f64.powf(f64::from(k) / 4.0);
                points.push(start.iter().map(|u| u * f).collect());
            }
            (0.25, 1e-3)
        }
    };
    s.pass(&points)?;
    let mut centre = s.best();
    while s.passes < MAX_PASSES && delta >= min_delta {
        let c = s.candidates[centre].point.clone();
        let mut moves = vec![c.clone()];
        match space {
            Space::Shares { n } => {
                for i in 0..n {
                    for j in 0..n {
                        let t = delta.min(c[i]);
                        if i != j && t > 0.0 {
                            let mut p = c.clone();
                            p[i] -= t;
                            p[j] += t;
                            moves.push(p);
                        }
                    }
                }
            }
            _ => {
                for k in 0..c.len() {
                    for f in [1.0 + delta, 1.0 - delta] {
                        let mut p = c.clone();
                        p[k] *= f;
                        moves.push(p);
                    }
                }
            }
        }
        s.pass(&moves)?;
        let best = s.best();
        if best == centre {
            delta /= 2.0;
        } else {
            centre = best;
        }
    }
    Ok(())
}

/// Every point of the simplex of `n` shares in multiples of 1/`steps`.
fn simplex_grid(n: usize, steps: usize) -> Vec<Vec<f64>> {
    fn fill(n: usize, left: usize, steps: usize, prefix: &mut Vec<usize>, out: &mut Vec<Vec<f64>>) {
        if prefix.len() == n - 1 {
            let mut p: Vec<f64> = prefix.iter().map(|&k| k as f64 / steps as f64).collect();
            p.push(left as f64 / steps as f64);
            out.push(p);
            return;
        }
        for k in 0..=left {
            prefix.push(k);
            fill(n, left - k, steps, prefix, out);
            prefix.pop();
        }
    }
    let mut out = Vec::new();
    fill(n, steps, steps, &mut Vec::new(), &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sharing::{Period, Tranche};

    fn exact(x: f64) -> Estimate {
        Estimate {
            mean: x,
            se: 0.0,
            n: 1,
        }
    }

    /// A game without an engine: region r's NPV is `base[r] + slope[r] · x_r`,
    /// with x_r the region's share (or the one parameter for other kinds), all
    /// exact; a region participates when its NPV is ≥ its outside option.
    struct Linear {
        base: Vec<f64>,
        slope: Vec<f64>,
        outside: Vec<f64>,
        calls: usize,
        largest: usize,
    }

    impl Evaluate for Linear {
        fn evaluate(&mut self, formulas: &[Formula]) -> Result<Vec<Metrics>, SolveError> {
            self.calls += 1;
            self.largest = self.largest.max(formulas.len());
            Ok(formulas
                .iter()
                .map(|f| {
                    let x: Vec<f64> = match f {
                        Formula::Fixed { shares } => shares.clone(),
                        Formula::GuaranteedReturn { rate, .. } => vec![*rate, 1.0 - *rate],
                        _ => unreachable!("the tests use fixed and guaranteed_return"),
                    };
                    let regions = (0..self.base.len())
                        .map(|r| {
                            let npv = self.base[r] + self.slope[r] * x[r];
                            RegionMetrics {
                                npv: exact(npv),
                                participation: exact(f64::from(u8::from(npv >= self.outside[r]))),
                                benefit_to_contribution: exact(x[r] * 2.0),
                                shapley: None,
                                outside: self.outside[r],
                            }
                        })
                        .collect();
                    Metrics {
                        regions,
                        joint: None,
                        nash: None,
                    }
                })
                .collect())
        }

        fn has_game(&self) -> bool {
            false
        }
    }

    fn linear(base: &[f64], slope: &[f64], outside: &[f64]) -> Linear {
        Linear {
            base: base.to_vec(),
            slope: slope.to_vec(),
            outside: outside.to_vec(),
            calls: 0,
            largest: 0,
        }
    }

    fn fixed(shares: &[f64]) -> Formula {
        Formula::Fixed {
            shares: shares.to_vec(),
        }
    }

    #[test]
    fn targets_parse_and_bad_ones_say_what_is_expected() {
        assert_eq!(Target::parse("nash").ok(), Some(Target::Nash));
        assert_eq!(Target::parse("shapley").ok(), Some(Target::Shapley));
        assert_eq!(
            Target::parse("proportional").ok(),
            Some(Target::Proportional)
        );
        assert_eq!(
            Target::parse("participation:0.9").ok(),
            Some(Target::Participation(0.9))
        );
        assert_eq!(Target::Participation(0.9).name(), "participation:0.9");
        for bad in [
            "nsh",
            "participation:1.5",
            "participation:0",
            "participation:x",
            "",
        ] {
            let e = Target::parse(bad).expect_err(bad).to_string();
            assert!(e.starts_with("bad target: "), "{e}");
            assert!(
                e.contains("expected nash, shapley, proportional or participation:P"),
                "{e}"
            );
        }
    }

    #[test]
    fn rounding_keeps_shares_on_the_simplex() {
        let r = round_shares(&[1.0 / 3.0, 1.0 / 3.0, 1.0 / 3.0]);
        assert_eq!(r, vec![0.3334, 0.3333, 0.3333]);
        assert_eq!(round_shares(&[0.0, 0.0]), vec![0.5, 0.5]);
        assert_eq!(round_shares(&[0.25, -0.1, 0.75]), vec![0.25, 0.0, 0.75]);
        assert!((significant(123_456.0) - 123_500.0).abs() < 1e-9);
        assert!((significant(0.012_345_6) - 0.012_35).abs() < 1e-15);
        // n = 3 in steps of 1/9: C(11, 2) points; n = 4 in fifths: C(8, 3).
        assert_eq!(simplex_grid(3, 9).len(), 55);
        assert_eq!(simplex_grid(4, 5).len(), 56);
        assert!(
            simplex_grid(4, 5)
                .iter()
                .all(|p| (p.iter().sum::<f64>() - 1.0).abs() < 1e-12)
        );
    }

    #[test]
    fn each_kind_has_its_outermost_parameters() {
        let inner = Box::new(fixed(&[0.5, 0.5]));
        let schedule = Formula::Schedule {
            periods: vec![
                Period {
                    first: 1,
                    last: 10,
                    formula: fixed(&[0.5, 0.5]),
                },
                Period {
                    first: 11,
                    last: 30,
                    formula: fixed(&[0.0, 1.0]),
                },
            ],
        };
        let space = Space::of("s", &schedule, 30).expect("free");
        assert_eq!(space, Space::Switch { lo: 2, hi: 30 });
        assert_eq!(space.point_of(&schedule), vec![11.0]);
        let Formula::Schedule { periods } = space.apply(&schedule, &[5.0]) else {
            unreachable!()
        };
        assert_eq!(
            (periods[0].last, periods[1].first, periods[1].last),
            (4, 5, 30)
        );

        let tiered = Formula::Tiered {
            tranches: vec![
                Tranche {
                    upper: 20.0,
                    formula: fixed(&[0.3, 0.7]),
                },
                Tranche {
                    upper: 60.0,
                    formula: fixed(&[0.5, 0.5]),
                },
                Tranche {
                    upper: f64::INFINITY,
                    formula: fixed(&[0.7, 0.3]),
                },
            ],
        };
        let space = Space::of("t", &tiered, 30).expect("free");
        assert_eq!(space, Space::Bounds { m: 2 });
        assert_eq!(space.point_of(&tiered), vec![20.0, 60.0]);
        assert!(!space.valid(&[60.0, 20.0]));
        assert_eq!(
            space.point_of(&space.apply(&tiered, &[10.0, 90.0])),
            vec![10.0, 90.0]
        );

        let incremental = Formula::Incremental {
            owner: 1,
            base: 10.0,
            base_growth: 0.0,
            inner: inner.clone(),
        };
        assert_eq!(Space::of("i", &incremental, 30).ok(), Some(Space::Base));
        let guaranteed = Formula::GuaranteedReturn {
            beneficiary: 0,
            guarantor: 1,
            rate: 0.1,
            inner,
            term: Default::default(),
        };
        assert_eq!(Space::of("g", &guaranteed, 30).ok(), Some(Space::Rate));
        assert_eq!(
            Space::of("f", &fixed(&[0.2, 0.3, 0.5]), 30).ok(),
            Some(Space::Shares { n: 3 })
        );

        for (f, why) in [
            (Formula::Equity, "is `equity`, which has no parameter"),
            (
                Formula::Contribution,
                "is `contribution`, which has no parameter",
            ),
        ] {
            let e = Space::of("x", &f, 30).expect_err("none").to_string();
            assert!(
                e.starts_with(&format!(
                    "alternative `x`: its tax formula {why}; solve varies"
                )),
                "{e}"
            );
        }
        // A last period that starts after the horizon may move back to it.
        assert_eq!(
            Space::of("s", &schedule, 8).ok(),
            Some(Space::Switch { lo: 2, hi: 11 })
        );
        // One that starts in year 2 of a 2-year horizon has nowhere to go.
        let early = Formula::Schedule {
            periods: vec![
                Period {
                    first: 1,
                    last: 1,
                    formula: fixed(&[0.5, 0.5]),
                },
                Period {
                    first: 2,
                    last: 30,
                    formula: fixed(&[0.0, 1.0]),
                },
            ],
        };
        let e = Space::of("s", &early, 2).expect_err("no room").to_string();
        assert!(e.contains("cannot start anywhere but year 2"), "{e}");
    }

    #[test]
    fn scores_order_feasible_first_then_value_then_tie() {
        let s = |feasible, value, tie| Score {
            feasible,
            value,
            tie,
        };
        assert!(s(true, 0.0, 0.0).better_than(&s(false, 9.0, 9.0)));
        assert!(s(true, 2.0, 0.0).better_than(&s(true, 1.0, 9.0)));
        assert!(s(true, 1.0, 2.0).better_than(&s(true, 1.0, 1.0)));
        assert!(!s(true, 1.0, 1.0).better_than(&s(true, 1.0, 1.0)));
        assert!(s(true, 0.0, 0.0).better_than(&s(true, f64::NAN, 0.0)));
    }

    #[test]
    fn nash_with_two_regions_gives_each_half_the_surplus() {
        // NPV_a = −20 + 200 s, NPV_b = −10 + 200 (1 − s): a transferable surplus of
        // 170 less the outside options, split in half by the Nash bargain.
        for (outside, want) in [([5.0, 15.0], 0.5), ([5.0, 35.0], 0.45)] {
            // Equal gains: −20 + 200 s − o_a = −10 + 200 (1 − s) − o_b
            // ⇒ s* = (210 + o_a − o_b) / 400: 0.5 and 0.45.
            let mut eval = linear(&[-20.0, -10.0], &[200.0, 200.0], &outside);
            let sol = solve("x", &fixed(&[0.5, 0.5]), Target::Nash, 30, &mut eval).expect("solves");
            let s = sol.best().point[0];
            assert!((s - want).abs() <= 1e-4, "{s} vs {want}");
            assert!(sol.feasible());
            assert!(eval.largest <= MAX_CANDIDATES && eval.calls == sol.passes);
        }
    }

    #[test]
    fn participation_picks_the_most_balanced_feasible_split() {
        // Region a accepts from s ≥ 0.1 (−20 + 200 s ≥ 0), b up to s ≤ 0.95: every
        // split in between is feasible with probability 1; the balanced one equalises
        // the gains, s* = 210 / 400 = 0.525.
        let mut eval = linear(&[-20.0, -10.0], &[200.0, 200.0], &[0.0, 0.0]);
        let sol = solve(
            "x",
            &fixed(&[0.5, 0.5]),
            Target::Participation(0.9),
            30,
            &mut eval,
        )
        .expect("solves");
        assert!(sol.feasible());
        assert!(
            (sol.best().point[0] - 0.525).abs() <= 1e-4,
            "{:?}",
            sol.best().point
        );
        // Outside options no split can meet: none is feasible, and it says so.
        let mut eval = linear(&[-20.0, -10.0], &[200.0, 200.0], &[150.0, 150.0]);
        let sol = solve(
            "x",
            &fixed(&[0.5, 0.5]),
            Target::Participation(0.9),
            30,
            &mut eval,
        )
        .expect("solves");
        assert!(!sol.feasible());
        assert!(sol.candidates.iter().all(|c| !c.score.feasible));
    }

    #[test]
    fn three_shares_are_found_by_the_compass_search() {
        // Gains 100 x_r − 10 r: Nash product maximal where the gains are equal (the
        // product of numbers with a fixed sum 100 − 30 is largest when they are
        // equal): 100 x_r − 10 r = 70 / 3 ⇒ x = (0.2333, 0.3333, 0.4333).
        let mut eval = linear(&[0.0, -10.0, -20.0], &[100.0; 3], &[0.0; 3]);
        let sol =
            solve("x", &fixed(&[0.2, 0.3, 0.5]), Target::Nash, 30, &mut eval).expect("solves");
        let want = [0.7 / 3.0, 1.0 / 3.0, 1.3 / 3.0];
        for (got, want) in sol.best().point.iter().zip(want) {
            assert!((got - want).abs() <= 2e-4, "{:?}", sol.best().point);
        }
        assert!(eval.largest <= MAX_CANDIDATES && sol.passes <= MAX_PASSES);
    }

    #[test]
    fn proportional_equalises_the_ratios_and_shapley_needs_the_game() {
        // benefit/contribution = 2 x_r in the fake: equal at x = 0.5.
        let mut eval = linear(&[0.0, 0.0], &[1.0, 1.0], &[0.0, 0.0]);
        let sol = solve(
            "x",
            &fixed(&[0.2, 0.8]),
            Target::Proportional,
            30,
            &mut eval,
        )
        .expect("solves");
        assert_eq!(sol.best().point, vec![0.5, 0.5]);
        assert_eq!(sol.candidates[sol.current].point, vec![0.2, 0.8]);
        let e =
            solve("x", &fixed(&[0.2, 0.8]), Target::Shapley, 30, &mut eval).expect_err("no game");
        assert!(matches!(e, SolveError::NeedsFairness(_)), "{e}");
        assert!(e.is_bad_input());
    }
}
