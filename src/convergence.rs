//! `enclave run --precision`: add paths in fixed blocks until every region's mean
//! of a metric under every alternative is known to a given precision
//! (docs/guide.md, "How many paths are enough").
//!
//! Block k covers paths `(k − 1)·B .. k·B` (the last block ends at `--max-paths`);
//! after each block the running means and their standard errors are checked, and
//! the run stops at the first block after which every target is met. Each block's
//! statistics are exact and merge exactly ([`crate::stats`]), and the rule reads
//! only them, so the stop, and every output, is a function of (scenario, seed,
//! targets, B, max) alone, whatever the thread count; the results are those of a
//! plain run of the stopped number of paths, to the byte.
//!
//! # Formula
//! half-width = 1.96 × se of the mean, and for a probability the larger of that
//! and the distance from the mean to the farther end of its Clopper–Pearson 95%
//! interval (at 0% or 100% the se is 0, and a target met after the first block
//! on no evidence; the interval still says how far the paths leave it open: 0
//! of 256 up to 1.4%); a relative target ε is met when half-width ≤ ε |mean|,
//! an absolute one a when half-width ≤ a (in the metric's unit). A mean or se
//! that is undefined never meets its target.

use std::fmt::Write as _;
use std::path::Path;

use crate::engine::{self, Batch, EngineError, Grids, Observe, PILOT_PATHS, RunConfig, RunState};
use crate::output::{OutputError, cell, write_atomic};
use crate::scenario::Scenario;
use crate::schema::{Measure, RegionMetric, Unit};

/// The normal quantile of a two-sided 95% interval, as the rule uses it.
pub const Z95: f64 = 1.96;

/// Default block: the pilot's size, the paths that fix the quantile grids.
pub const DEFAULT_BLOCK: u64 = PILOT_PATHS;

/// Default most paths a `--precision` run may take.
pub const DEFAULT_MAX_PATHS: u64 = 100 * PILOT_PATHS;

/// How close the mean must be known.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Tolerance {
    /// Half-width ≤ this share of |mean|.
    Relative(f64),
    /// Half-width ≤ this amount, in the metric's unit.
    Absolute(f64),
}

/// One precision target: a region metric's mean, for every region and alternative.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Target {
    /// The metric.
    pub metric: RegionMetric,
    /// Its tolerance.
    pub tolerance: Tolerance,
}

/// The region metrics a target may name: amounts and probabilities defined on
/// every path.
pub fn allowed_metrics() -> Vec<RegionMetric> {
    RegionMetric::ALL
        .iter()
        .copied()
        .filter(|&m| {
            matches!(m.def().unit, Unit::Money | Unit::Probability)
                && !Measure::Region(m).may_be_undefined()
        })
        .collect()
}

/// Parses `--precision`: targets separated by commas, each `METRIC:EPS` (relative,
/// 0 < EPS < 1, e.g. `npv:0.01` for 1% of |mean|) or `METRIC:abs=A` (absolute,
/// A > 0 in the metric's unit, e.g. `npv:abs=2.5`).
///
/// # Errors
/// A message naming what is wrong and, for an unknown metric, the allowed ones.
pub fn parse(text: &str) -> Result<Vec<Target>, String> {
    let allowed = allowed_metrics();
    let names = || {
        allowed
            .iter()
            .map(|m| m.name())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut targets = Vec::new();
    for part in text.split(',') {
        let part = part.trim();
        let Some((name, tol)) = part.split_once(':') else {
            return Err(format!(
                "expected METRIC:EPS (relative, e.g. npv:0.01) or METRIC:abs=A (e.g. npv:abs=2.5), found `{part}`"
            ));
        };
        let name = name.trim();
        let Some(&metric) = allowed.iter().find(|m| m.name() == name) else {
            return Err(format!(
                "unknown metric `{name}` for --precision; allowed: {}",
                names()
            ));
        };
        let tol = tol.trim();
        let tolerance = if let Some(a) = tol.strip_prefix("abs=") {
            match a.trim().parse::<f64>() {
                Ok(x) if x.is_finite() && x > 0.0 => Tolerance::Absolute(x),
                _ => {
                    return Err(format!(
                        "expected an absolute half-width > 0 after `{name}:abs=`, such as {name}:abs=2.5, found `{a}`"
                    ));
                }
            }
        } else {
            match tol.parse::<f64>() {
                Ok(x) if x.is_finite() && x > 0.0 && x < 1.0 => Tolerance::Relative(x),
                _ => {
                    return Err(format!(
                        "expected a relative half-width between 0 and 1 after `{name}:`, such as {name}:0.01 (1% of the mean), or abs=A for an absolute one, found `{tol}`"
                    ));
                }
            }
        };
        targets.push(Target { metric, tolerance });
    }
    Ok(targets)
}

/// One running estimate after a block: a row of convergence.csv.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// Block number, from 1.
    pub block: u64,
    /// Paths so far.
    pub paths: u64,
    /// Alternative index.
    pub alternative: usize,
    /// Region index.
    pub region: usize,
    /// The metric.
    pub metric: RegionMetric,
    /// Running mean.
    pub mean: f64,
    /// Its standard error.
    pub se: f64,
    /// 1.96 × se; for a probability, at least the distance from the mean to
    /// the farther end of its Clopper–Pearson 95% interval (see the module's
    /// formula).
    pub half_width: f64,
    /// The half-width asked for.
    pub target: f64,
    /// Whether the half-width is within the target.
    pub met: bool,
}

/// The rows of `state` after block `block` for `targets`.
pub fn check(scn: &Scenario, state: &RunState, targets: &[Target], block: u64) -> Vec<Row> {
    let layout = state.layout;
    rows_of(scn, targets, block, state.paths(), |a, r, m| {
        let s = state.stats.summary(layout.region_metric(a, r, m));
        (s.mean, s.se, s.n)
    })
}

/// The rows after block `block` of `paths` paths for `targets`, from each
/// estimate's mean, standard error and paths (`estimate(alternative, region,
/// metric)`; NaN where undefined): [`check`]'s, or a report's from summary.csv,
/// which holds the same numbers to the bit.
pub fn rows_of(
    scn: &Scenario,
    targets: &[Target],
    block: u64,
    paths: u64,
    estimate: impl Fn(usize, usize, RegionMetric) -> (f64, f64, u64),
) -> Vec<Row> {
    let mut rows = Vec::new();
    for t in targets {
        for a in 0..scn.alternatives.len() {
            for r in 0..scn.regions.len() {
                let (mean, se, n) = estimate(a, r, t.metric);
                let half_width = half_width(t.metric, mean, se, n);
                let target = match t.tolerance {
                    Tolerance::Relative(e) => e * mean.abs(),
                    Tolerance::Absolute(x) => x,
                };
                rows.push(Row {
                    block,
                    paths,
                    alternative: a,
                    region: r,
                    metric: t.metric,
                    mean,
                    se,
                    half_width,
                    target,
                    // NaN compares false: an undefined estimate is never met.
                    met: half_width <= target,
                });
            }
        }
    }
    rows
}

/// How far the mean of `metric` over `n` paths, `mean` with standard error `se`,
/// is known: see the module's formula. (Under antithetic pairs the exact
/// interval counts the paths of a pair as independent; it only ever widens the
/// pairs' 1.96 × se here.)
fn half_width(metric: RegionMetric, mean: f64, se: f64, n: u64) -> f64 {
    let normal = Z95 * se;
    if metric.def().unit != Unit::Probability {
        return normal;
    }
    match crate::stats::interval::Proportion::of_mean(mean, n) {
        Some(p) => normal.max(p.high - mean).max(mean - p.low),
        None => normal,
    }
}

/// A `--precision` run that reached `--max-paths` before every target was met:
/// one of the run's warnings, which run.json and a set's `warnings.csv` record
/// in English (its `Display`) and the report gives in its language
/// ([`Unmet::describe_in`]), so that the reader of any of them sees that the
/// results are less precise than asked.
#[derive(Debug, Clone, PartialEq)]
pub struct Unmet {
    /// The targets as given (`--precision`).
    pub targets: String,
    /// The paths run: `--max-paths`.
    pub paths: u64,
    /// The estimate farthest from its target after the last block.
    pub widest: Option<Widest>,
}

/// The estimate whose half-width is the largest multiple of its target.
#[derive(Debug, Clone, PartialEq)]
pub struct Widest {
    /// The metric.
    pub metric: RegionMetric,
    /// The region's id.
    pub region: String,
    /// The alternative's name.
    pub alternative: String,
    /// Its mean.
    pub mean: f64,
    /// Its half-width ([`Row::half_width`]).
    pub half_width: f64,
    /// The half-width asked for.
    pub target: f64,
}

impl Unmet {
    /// The warning of a run of scenario `scn` with targets `targets` (as given)
    /// that stopped after `paths` paths, from its `rows` (those of its last
    /// block, of `paths` paths, are read).
    pub fn new(scn: &Scenario, targets: &str, paths: u64, rows: &[Row]) -> Unmet {
        let widest = rows
            .iter()
            .filter(|r| r.paths == paths && !r.met)
            .max_by(|a, b| (a.half_width / a.target).total_cmp(&(b.half_width / b.target)))
            .map(|r| Widest {
                metric: r.metric,
                region: scn.regions[r.region].id.clone(),
                alternative: scn.alternatives[r.alternative].name.clone(),
                mean: r.mean,
                half_width: r.half_width,
                target: r.target,
            });
        Unmet {
            targets: targets.to_owned(),
            paths,
            widest,
        }
    }

    /// The warning in `lang` (its `Display` is the English, which run.json and
    /// a set's `warnings.csv` record).
    pub fn describe_in(&self, lang: crate::i18n::Lang) -> String {
        let tx = lang.texts();
        let widest = self.widest.as_ref().map_or(String::new(), |w| {
            tx.f(
                "precision.widest",
                &[
                    ("metric", &w.metric.name()),
                    ("region", &w.region),
                    ("alternative", &w.alternative),
                    ("mean", &format!("{:.3}", w.mean)),
                    ("half_width", &format!("{:.3}", w.half_width)),
                    ("target", &format!("{:.3}", w.target)),
                ],
            )
        });
        tx.f(
            "precision.unmet",
            &[
                ("targets", &self.targets),
                ("paths", &self.paths),
                ("widest", &widest),
            ],
        )
    }
}

impl std::fmt::Display for Unmet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.describe_in(crate::i18n::Lang::En))
    }
}

/// A run stopped by its precision targets.
#[derive(Debug)]
pub struct Converged {
    /// The state: that of a plain run of `state.paths()` paths.
    pub state: RunState,
    /// Every block's rows, block after block.
    pub rows: Vec<Row>,
    /// Whether every target was met (else `--max-paths` was reached).
    pub met: bool,
    /// Blocks run.
    pub blocks: u64,
}

/// Why the block settings are refused: the block is not a positive multiple of
/// [`engine::BATCH_PATHS`], or `max_paths` is below one block.
pub fn settings_problem(block: u64, max_paths: u64) -> Option<String> {
    let b = engine::BATCH_PATHS;
    if block == 0 || block % b != 0 {
        return Some(format!(
            "--block {block} must be a positive multiple of {b} paths (the engine's batch), such as {}",
            DEFAULT_BLOCK
        ));
    }
    if max_paths < block {
        return Some(format!(
            "--max-paths {max_paths} is less than one block of {block} paths; raise it or lower --block"
        ));
    }
    None
}

/// Runs `scn` under `cfg` (its `paths` is ignored) in blocks of `block` paths
/// until `targets` are met or `max_paths` are run, calling `observe` for each
/// batch in path order as [`engine::run`] does.
///
/// # Errors
/// As [`engine::run_range`]; [`EngineError::Interrupted`] counts the paths from 0.
/// `block` and `max_paths` must pass [`settings_problem`] (else a range error).
pub fn run(
    scn: &Scenario,
    cfg: &RunConfig,
    targets: &[Target],
    block: u64,
    max_paths: u64,
    what: Observe<'_>,
    observe: &mut dyn FnMut(Batch<'_>),
) -> Result<Converged, EngineError> {
    // The ranges are parts of one run of `max_paths` paths: the same pilot, grids
    // and batches as any run of more than the pilot's paths.
    let whole = RunConfig {
        paths: max_paths,
        ..*cfg
    };
    let mut grids: Option<Option<Grids>> = None;
    let mut acc: Option<RunState> = None;
    let mut rows = Vec::new();
    let mut done: u64 = 0;
    let mut blocks: u64 = 0;
    let met = loop {
        let end = done.saturating_add(block).min(max_paths);
        let part = engine::run_range_with(scn, &whole, done..end, grids.clone(), what, observe)
            .map_err(|e| match e {
                EngineError::Interrupted { completed_paths } => EngineError::Interrupted {
                    completed_paths: done + completed_paths,
                },
                e => e,
            })?;
        if grids.is_none() {
            grids = Some(part.grids());
        }
        match acc.as_mut() {
            Some(a) => a.merge(&part)?,
            None => acc = Some(part),
        }
        done = end;
        blocks += 1;
        let Some(state) = acc.as_ref() else {
            unreachable!("set above")
        };
        let now = check(scn, state, targets, blocks);
        let met = now.iter().all(|r| r.met);
        rows.extend(now);
        if met || done >= max_paths {
            break met;
        }
    };
    let Some(mut state) = acc else {
        unreachable!("at least one block is run")
    };
    state.config.paths = done;
    if done <= PILOT_PATHS && max_paths > PILOT_PATHS {
        // A plain run of at most the pilot's paths fixes no grids: its state is
        // built without them. Run those few paths again for that very state.
        let plain = RunConfig {
            paths: done,
            ..*cfg
        };
        let quiet = Observe {
            records: false,
            ..what
        };
        state = engine::run_range_with(scn, &plain, 0..done, Some(None), quiet, &mut |_| {})?;
    }
    Ok(Converged {
        state,
        rows,
        met,
        blocks,
    })
}

/// The file of the running estimates.
pub const CONVERGENCE_FILE: &str = "convergence.csv";

/// Header of convergence.csv.
pub const CONVERGENCE_HEADER: [&str; 10] = [
    "block",
    "paths",
    "alternative",
    "region",
    "metric",
    "mean",
    "se",
    "half_width",
    "target",
    "met",
];

/// Writes convergence.csv into `dir` atomically.
///
/// # Errors
/// If the file cannot be written.
pub fn write(dir: &Path, scn: &Scenario, rows: &[Row]) -> Result<(), OutputError> {
    let mut text = CONVERGENCE_HEADER.join(",");
    text.push('\n');
    let quote = |s: &str| {
        if s.contains([',', '"', '\n']) {
            format!("\"{}\"", s.replace('"', "\"\""))
        } else {
            s.to_owned()
        }
    };
    for r in rows {
        let _ = writeln!(
            text,
            "{},{},{},{},{},{},{},{},{},{}",
            r.block,
            r.paths,
            quote(&scn.alternatives[r.alternative].name),
            quote(&scn.regions[r.region].id),
            r.metric.name(),
            cell(r.mean),
            cell(r.se),
            cell(r.half_width),
            cell(r.target),
            u8::from(r.met)
        );
    }
    write_atomic(&dir.join(CONVERGENCE_FILE), text.as_bytes())
}

/// The record of a `--precision` run in run.json.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PrecisionRecord {
    /// The targets as given.
    pub targets: String,
    /// Paths per block.
    pub block: u64,
    /// Most paths allowed.
    pub max_paths: u64,
    /// Blocks run.
    pub blocks: u64,
    /// Whether every target was met; false when `max_paths` was reached first.
    pub met: bool,
}
