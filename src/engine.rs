//! The parallel Monte Carlo run (MODEL.md §7 common random numbers, §10 reproducibility).
//!
//! Paths are grouped in fixed batches of [`BATCH_PATHS`]: batch k is paths
//! `k·B .. (k+1)·B`, whatever the thread count or the range being run. Each worker
//! thread owns its scratch buffers and one [`RecordStats`], takes the next batch
//! from a shared counter, simulates its paths one by one (each path's numbers come
//! from its named streams, [`crate::streams`]) and pushes each path's record into
//! its statistics; at the end of a batch it folds the batch into exact sums. No
//! barrier, no buffer of batch × record numbers (except for `--keep-paths`, which
//! hands each batch's records to the observer in path order).
//!
//! Statistics merge exactly ([`crate::stats`]): the state of a run does not depend
//! on which worker ran which batch, nor on how a range of paths was split, so one
//! run, N threads and N shards merged give the same bytes. [`run_range`] runs any
//! batch-aligned range and returns its [`RunState`], which serialises exactly and
//! merges with the states of other ranges.
//!
//! Quantiles beyond [`crate::stats::EXACT_CAP`] paths are binned on grids fixed
//! before the run from a pilot: the records of paths `0..min(PILOT_PATHS, N)`, a
//! function of (scenario, seed, N) alone, so every range of a run bins alike.

use std::collections::BTreeMap;
use std::ops::Range;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc;

use serde::{Deserialize, Serialize};

use crate::coalition::{self, CoalitionScratch, Coalitions};
use crate::economy::{FirmLog, Share, Workspace, simulate_path_shared};
use crate::fairness::Shapley;
use crate::outcome::{self, OutcomeScratch, PathValues};
use crate::scenario::Scenario;
use crate::schema::{
    AltMetric, AltPairMetric, Measure, PairMetric, ParkMetric, ParkSeries, Quantiles, RegionMetric,
    RegionSeries,
};
use crate::stats::{EXACT_CAP, Grid, Plan, QuantileSpec, RecordStats, StatsError};
use crate::streams::Streams;

pub use crate::streams::PRNG_NAME;

/// Paths per batch: the unit of work, and of the statistics' exact merge.
pub const BATCH_PATHS: u64 = 256;

/// Paths whose records fix the quantile grids.
pub const PILOT_PATHS: u64 = EXACT_CAP as u64;

/// Histogram bins of a scalar metric's quantile grid.
pub const METRIC_BINS: usize = 1024;

/// Histogram bins of a yearly series' quantile grid.
pub const SERIES_BINS: usize = 256;

/// Settings of one run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunConfig {
    /// Number of paths of the whole run (it fixes the pilot).
    pub paths: u64,
    /// Seed.
    pub seed: u64,
    /// Years simulated.
    pub horizon: u32,
    /// Worker threads (0 = one per core).
    pub threads: usize,
}

impl RunConfig {
    /// The scenario's own settings, on all cores.
    pub fn from_scenario(scn: &Scenario) -> RunConfig {
        RunConfig {
            paths: scn.simulation.paths,
            seed: scn.simulation.seed,
            horizon: scn.simulation.horizon,
            threads: 0,
        }
    }
}

/// Where each number sits in a path's record; derived from [`crate::schema`].
///
/// Record = region metrics `[alt][region][metric]`, then park metrics `[metric]`,
/// then region series `[alt][region][series][year]`, then park series
/// `[series][year]`, then alternative metrics `[alt][metric]`, then pair metrics
/// `[alt][pair][metric]` over the pairs of regions r < s in order (0,1), (0,2), …,
/// (1,2), …, then alternative pair metrics `[pair][metric]` over the pairs of
/// alternatives a < b in the same order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Layout {
    /// Alternatives.
    pub alternatives: usize,
    /// Regions.
    pub regions: usize,
    /// Years.
    pub horizon: usize,
}

impl Layout {
    /// Layout of a scenario's records.
    pub fn new(scn: &Scenario, horizon: u32) -> Layout {
        Layout {
            alternatives: scn.alternatives.len(),
            regions: scn.regions.len(),
            horizon: horizon as usize,
        }
    }
    fn region_metrics_len(&self) -> usize {
        self.alternatives * self.regions * RegionMetric::COUNT
    }
    fn region_series_len(&self) -> usize {
        self.alternatives * self.regions * RegionSeries::COUNT * self.horizon
    }
    /// Pairs of regions r < s.
    pub fn pairs(&self) -> usize {
        self.regions * self.regions.saturating_sub(1) / 2
    }
    /// Where the alternative metrics begin.
    fn alt_start(&self) -> usize {
        self.region_metrics_len()
            + ParkMetric::COUNT
            + self.region_series_len()
            + ParkSeries::COUNT * self.horizon
    }
    /// Where the pair metrics begin.
    fn pair_start(&self) -> usize {
        self.alt_start() + self.alternatives * AltMetric::COUNT
    }
    /// Where the alternative pair metrics begin.
    fn alt_pair_start(&self) -> usize {
        self.pair_start() + self.alternatives * self.pairs() * PairMetric::COUNT
    }
    /// Pairs of alternatives a < b.
    pub fn alt_pairs(&self) -> usize {
        self.alternatives * self.alternatives.saturating_sub(1) / 2
    }
    /// Numbers per path.
    pub fn len(&self) -> usize {
        self.alt_pair_start() + self.alt_pairs() * AltPairMetric::COUNT
    }
    /// Index of alternative pair metric `m` of alternatives `a < b`.
    pub fn alt_pair_metric(&self, a: usize, b: usize, m: AltPairMetric) -> usize {
        debug_assert!(
            a < b && b < self.alternatives,
            "a pair is two alternatives a < b"
        );
        let n = self.alternatives;
        let pair = a * (2 * n - a - 1) / 2 + (b - a - 1);
        self.alt_pair_start() + pair * AltPairMetric::COUNT + m.index()
    }
    /// Index of alternative metric `m` of alternative `a`.
    pub fn alt_metric(&self, a: usize, m: AltMetric) -> usize {
        self.alt_start() + a * AltMetric::COUNT + m.index()
    }
    /// Index of pair metric `m` of regions `r < s` under alternative `a`.
    pub fn pair_metric(&self, a: usize, r: usize, s: usize, m: PairMetric) -> usize {
        debug_assert!(r < s && s < self.regions, "a pair is two regions r < s");
        // Pairs (q, ·) for q < r come first: Σ_{q<r} (n − 1 − q) of them.
        let n = self.regions;
        let pair = r * (2 * n - r - 1) / 2 + (s - r - 1);
        self.pair_start() + (a * self.pairs() + pair) * PairMetric::COUNT + m.index()
    }
    /// Whether a record is empty (never, for a valid scenario).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Index of region metric `m` of region `r` under alternative `a`.
    pub fn region_metric(&self, a: usize, r: usize, m: RegionMetric) -> usize {
        (a * self.regions + r) * RegionMetric::COUNT + m.index()
    }
    /// Index of park metric `m`.
    pub fn park_metric(&self, m: ParkMetric) -> usize {
        self.region_metrics_len() + m.index()
    }
    /// Index of region series `s` of region `r` under alternative `a` in year `t`.
    pub fn region_series(&self, a: usize, r: usize, s: RegionSeries, t: usize) -> usize {
        self.region_metrics_len()
            + ParkMetric::COUNT
            + ((a * self.regions + r) * RegionSeries::COUNT + s.index()) * self.horizon
            + t
    }
    /// Index of park series `s` in year `t`.
    pub fn park_series(&self, s: ParkSeries, t: usize) -> usize {
        self.region_metrics_len()
            + ParkMetric::COUNT
            + self.region_series_len()
            + s.index() * self.horizon
            + t
    }

    /// What record position `j` holds (`j < self.len()`).
    pub fn locate(&self, j: usize) -> Position {
        let rm = self.region_metrics_len();
        let rs = self.region_series_len();
        let h = self.horizon.max(1);
        if j < rm {
            let (ar, m) = (j / RegionMetric::COUNT, j % RegionMetric::COUNT);
            return Position {
                alternative: Some(ar / self.regions),
                region: Some(ar % self.regions),
                partner: None,
                rival: None,
                measure: Measure::Region(RegionMetric::ALL[m]),
                year: None,
            };
        }
        let j = j - rm;
        if j < ParkMetric::COUNT {
            return Position {
                alternative: None,
                region: None,
                partner: None,
                rival: None,
                measure: Measure::Park(ParkMetric::ALL[j]),
                year: None,
            };
        }
        let j = j - ParkMetric::COUNT;
        if j < rs {
            let (ars, t) = (j / h, j % h);
            let (ar, s) = (ars / RegionSeries::COUNT, ars % RegionSeries::COUNT);
            return Position {
                alternative: Some(ar / self.regions),
                region: Some(ar % self.regions),
                partner: None,
                rival: None,
                measure: Measure::RegionSeries(RegionSeries::ALL[s]),
                year: Some(t),
            };
        }
        let j = j - rs;
        if j < ParkSeries::COUNT * self.horizon {
            return Position {
                alternative: None,
                region: None,
                partner: None,
                rival: None,
                measure: Measure::ParkSeries(ParkSeries::ALL[j / h]),
                year: Some(j % h),
            };
        }
        let j = j - ParkSeries::COUNT * self.horizon;
        if j < self.alternatives * AltMetric::COUNT {
            return Position {
                alternative: Some(j / AltMetric::COUNT),
                region: None,
                partner: None,
                rival: None,
                measure: Measure::Alt(AltMetric::ALL[j % AltMetric::COUNT]),
                year: None,
            };
        }
        let j = j - self.alternatives * AltMetric::COUNT;
        let region_pairs = self.alternatives * self.pairs() * PairMetric::COUNT;
        if j >= region_pairs {
            // One metric of a pair of alternatives today; written for any number.
            #[allow(clippy::modulo_one)]
            let (mut pair, m) = (
                (j - region_pairs) / AltPairMetric::COUNT,
                (j - region_pairs) % AltPairMetric::COUNT,
            );
            let mut a = 0;
            while pair >= self.alternatives - 1 - a {
                pair -= self.alternatives - 1 - a;
                a += 1;
            }
            return Position {
                alternative: Some(a),
                region: None,
                partner: None,
                rival: Some(a + 1 + pair),
                measure: Measure::AltPair(AltPairMetric::ALL[m]),
                year: None,
            };
        }
        // One pair metric today; the layout is written for any number.
        #[allow(clippy::modulo_one)]
        let (ap, m) = (j / PairMetric::COUNT, j % PairMetric::COUNT);
        let (a, mut pair) = (ap / self.pairs(), ap % self.pairs());
        let mut r = 0;
        while pair >= self.regions - 1 - r {
            pair -= self.regions - 1 - r;
            r += 1;
        }
        Position {
            alternative: Some(a),
            region: Some(r),
            partner: Some(r + 1 + pair),
            rival: None,
            measure: Measure::Pair(PairMetric::ALL[m]),
            year: None,
        }
    }

    /// For each record position, whether a path may leave it undefined (NaN); see
    /// [`Measure::may_be_undefined`].
    pub fn undefined_allowed(&self) -> Vec<bool> {
        (0..self.len())
            .map(|j| self.locate(j).measure.may_be_undefined())
            .collect()
    }

    /// What the statistics keep for each record position, from the declared schema.
    pub fn plan(&self) -> Plan {
        self.plan_keeping(|_| true)
    }

    /// [`Layout::headline_plan`] when `headline` (a `--summary-only` set's
    /// statistics), else [`Layout::plan`].
    pub fn plan_for(&self, headline: bool) -> Plan {
        if headline {
            self.headline_plan()
        } else {
            self.plan()
        }
    }

    /// [`Layout::plan`] with quantiles only for the headline measures a set's
    /// `summary.csv` compares ([`Measure::is_headline`]); every other position
    /// keeps its moments only. A `--summary-only` set reads nothing else, and the
    /// quantiles of the yearly series are most of a small run's statistics.
    pub fn headline_plan(&self) -> Plan {
        let plan = self.plan_keeping(Measure::is_headline);
        debug_assert!({
            let whole = self.plan();
            (0..self.len()).all(|j| {
                plan.quantile_spec(j).is_some()
                    == (self.locate(j).measure.is_headline() && whole.quantile_spec(j).is_some())
            })
        });
        plan
    }

    /// The plan with quantiles where the schema declares them and `keep` holds.
    fn plan_keeping(&self, keep: impl Fn(Measure) -> bool) -> Plan {
        let spec = |m: Measure, q: Quantiles, integer: bool, bins: usize| match q {
            Quantiles::None => None,
            Quantiles::Summary | Quantiles::Distribution => {
                keep(m).then_some(QuantileSpec { bins, integer })
            }
        };
        let mut positions = vec![None; self.len()];
        for a in 0..self.alternatives {
            for r in 0..self.regions {
                for &m in RegionMetric::ALL {
                    let d = m.def();
                    positions[self.region_metric(a, r, m)] = spec(
                        Measure::Region(m),
                        d.quantiles,
                        d.unit.is_integer(),
                        METRIC_BINS,
                    );
                }
                for &s in RegionSeries::ALL {
                    let d = s.def();
                    for t in 0..self.horizon {
                        positions[self.region_series(a, r, s, t)] = spec(
                            Measure::RegionSeries(s),
                            d.quantiles,
                            d.unit.is_integer(),
                            SERIES_BINS,
                        );
                    }
                }
            }
        }
        for &m in ParkMetric::ALL {
            let d = m.def();
            positions[self.park_metric(m)] = spec(
                Measure::Park(m),
                d.quantiles,
                d.unit.is_integer(),
                METRIC_BINS,
            );
        }
        for &s in ParkSeries::ALL {
            let d = s.def();
            for t in 0..self.horizon {
                positions[self.park_series(s, t)] = spec(
                    Measure::ParkSeries(s),
                    d.quantiles,
                    d.unit.is_integer(),
                    SERIES_BINS,
                );
            }
        }
        for a in 0..self.alternatives {
            for &m in AltMetric::ALL {
                let d = m.def();
                positions[self.alt_metric(a, m)] = spec(
                    Measure::Alt(m),
                    d.quantiles,
                    d.unit.is_integer(),
                    METRIC_BINS,
                );
            }
            for r in 0..self.regions {
                for s in r + 1..self.regions {
                    for &m in PairMetric::ALL {
                        let d = m.def();
                        positions[self.pair_metric(a, r, s, m)] = spec(
                            Measure::Pair(m),
                            d.quantiles,
                            d.unit.is_integer(),
                            METRIC_BINS,
                        );
                    }
                }
            }
            for b in a + 1..self.alternatives {
                for &m in AltPairMetric::ALL {
                    let d = m.def();
                    positions[self.alt_pair_metric(a, b, m)] = spec(
                        Measure::AltPair(m),
                        d.quantiles,
                        d.unit.is_integer(),
                        METRIC_BINS,
                    );
                }
            }
        }
        Plan::new(positions)
    }
}

/// Bytes a firm of a path takes in a worker's pool at most (its columns, with room
/// for the vectors' doubling): the estimate [`estimate`] counts per firm.
pub const FIRM_BYTES: f64 = 384.0;

/// Bytes of a worker's firm log (`economy::FirmLog`, kept for the coalitions'
/// parks) per firm-year of the park (32), with room for the vectors' doubling.
pub const LOG_FIRM_YEAR_BYTES: f64 = 64.0;
/// Bytes of a worker's firm log per prospective firm (arrival), likewise.
pub const LOG_PROSPECT_BYTES: f64 = 128.0;

/// What a run is expected to cost, estimated before it starts from the scenario's
/// bounds ([`Scenario::arrival_bound`], [`Scenario::capacity_bound`]) and the
/// statistics' plan ([`RecordStats::bytes_estimate`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Estimate {
    /// Paths × horizon.
    pub path_years: f64,
    /// Expected prospective firms a year at the top of the inputs' ranges (macro
    /// multiplier at its mean).
    pub arrivals_per_year: f64,
    /// Firms a path can hold in a year: the arrivals of every year so far, at most
    /// the park's capacity, and the firms already there (`[initial]`).
    pub firms_per_year: f64,
    /// Alternatives × regions evaluated per path-year.
    pub evaluations_per_year: f64,
    /// Parks simulated a path: the park and, with fairness on, each coalition's
    /// that holds the host.
    pub parks: f64,
    /// Work units: path-years × (arrivals + firms + evaluations) a year; one unit
    /// is about one firm-year.
    pub work: f64,
    /// Worker threads the run would start.
    pub workers: usize,
    /// Bytes of statistics, pilot records and firm pools at their largest.
    pub memory_bytes: f64,
}

/// The expected cost of running `cfg` on `scn`.
///
/// # Formula
/// work = paths × H × (a + firms + alternatives × regions), with a the mean-macro
/// arrival bound and firms = min(a H, capacity) + the `[initial]` firms; memory = (workers + 1) × statistics +
/// pilot records (PILOT_PATHS × record length × 8 bytes, when paths > PILOT_PATHS) + workers ×
/// (firms × [`FIRM_BYTES`] + with coalitions H × (firms × [`LOG_FIRM_YEAR_BYTES`] +
/// a × [`LOG_PROSPECT_BYTES`])).
pub fn estimate(scn: &Scenario, cfg: &RunConfig) -> Estimate {
    let layout = Layout::new(scn, cfg.horizon);
    let horizon = f64::from(cfg.horizon);
    let paths = cfg.paths as f64;
    let arrivals = scn.arrival_bound(cfg.horizon).mean_rate();
    let initial: f64 = scn.initial.firms.iter().map(|g| f64::from(g.count)).sum();
    let firms = (arrivals * horizon).min(scn.capacity_bound()) + initial;
    // Each coalition holding the host is one more park a path (docs/model.md §13).
    let parks = if scn.fairness() {
        (1u64 << (layout.regions - 1)) as f64
    } else {
        1.0
    };
    let evaluations =
        (layout.alternatives * layout.regions) as f64 + (parks - 1.0) * layout.regions as f64;
    let batches = cfg.paths.div_ceil(BATCH_PATHS);
    let workers = resolve_threads(cfg.threads)
        .min(usize::try_from(batches).unwrap_or(usize::MAX))
        .max(1);
    let stats = RecordStats::bytes_estimate(&layout.plan(), cfg.paths);
    // Only a run of more paths than the pilot holds the pilot's records.
    let pilot = if cfg.paths > PILOT_PATHS {
        PILOT_PATHS as f64 * layout.len() as f64 * 8.0
    } else {
        0.0
    };
    // With coalitions, the park logs each path's firm-years and arrivals for them.
    let log = if parks > 1.0 {
        horizon * (firms * LOG_FIRM_YEAR_BYTES + arrivals * LOG_PROSPECT_BYTES)
    } else {
        0.0
    };
    Estimate {
        path_years: paths * horizon,
        arrivals_per_year: arrivals,
        firms_per_year: firms,
        evaluations_per_year: evaluations,
        parks,
        work: paths * horizon * (parks * (arrivals + firms) + evaluations),
        workers,
        memory_bytes: (workers as f64 + 1.0) * stats
            + pilot
            + workers as f64 * (firms * FIRM_BYTES + log),
    }
}

/// What a record position holds: a measure, for an alternative and region (none
/// for the park), in a year (none for a metric).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    /// Alternative index (region measures only).
    pub alternative: Option<usize>,
    /// Region index (region and pair measures only).
    pub region: Option<usize>,
    /// The pair's second region (pair measures only).
    pub partner: Option<usize>,
    /// The pair's second alternative (alternative pair measures only).
    pub rival: Option<usize>,
    /// The measure.
    pub measure: Measure,
    /// Year index `t` (series only).
    pub year: Option<usize>,
}

/// Largest magnitude a path's result may have. The statistics add squares of the
/// results over up to 2⁶⁴ paths in doubles, which stays finite below about 3e144;
/// this bound leaves a wide margin. The input limits
/// ([`crate::scenario::limits::MAX_INPUT_MAGNITUDE`]) keep a scenario near the
/// plausible ranges far from it, but extreme inputs within them can compound
/// beyond it (a long horizon, fast growth, a negative discount rate): the run
/// then stops at the first such path (docs/model.md §10).
pub const MAX_RESULT_MAGNITUDE: f64 = 1e100;

/// The first position of `record` the statistics cannot take: a value that is NaN
/// where the measure may not be undefined, infinite, or beyond
/// [`MAX_RESULT_MAGNITUDE`]. One pass, no allocation.
#[inline]
pub fn first_bad_value(record: &[f64], undefined_allowed: &[bool]) -> Option<usize> {
    record
        .iter()
        .zip(undefined_allowed)
        // |±inf| > M, so infinities fail with the values too large.
        .position(|(&x, &nan_ok)| {
            if x.is_nan() {
                !nan_ok
            } else {
                x.abs() > MAX_RESULT_MAGNITUDE
            }
        })
}

/// A path's result the statistics cannot take, and how to replay the path.
#[derive(Debug, Clone, PartialEq)]
pub struct BadResult {
    /// Scenario id.
    pub scenario: String,
    /// Seed of the run.
    pub seed: u64,
    /// Horizon of the run.
    pub horizon: u32,
    /// Path index (the lowest failing one of the run).
    pub path: u64,
    /// Alternative name (region measures only).
    pub alternative: Option<String>,
    /// Region id (region measures only).
    pub region: Option<String>,
    /// Measure name, as in the CSV files.
    pub measure: &'static str,
    /// Calendar year (series only).
    pub year: Option<i64>,
    /// The value.
    pub value: f64,
}

impl BadResult {
    /// Describes `value` at record position `j` of path `path`.
    fn new(
        scn: &Scenario,
        cfg: &RunConfig,
        layout: &Layout,
        path: u64,
        j: usize,
        value: f64,
    ) -> Self {
        let at = layout.locate(j);
        BadResult {
            scenario: scn.id.clone(),
            seed: cfg.seed,
            horizon: cfg.horizon,
            path,
            alternative: at.alternative.map(|a| match at.rival {
                Some(b) => format!(
                    "{} − {}",
                    scn.alternatives[a].name, scn.alternatives[b].name
                ),
                None => scn.alternatives[a].name.clone(),
            }),
            region: at.region.map(|r| match at.partner {
                Some(q) => format!("{}+{}", scn.regions[r].id, scn.regions[q].id),
                None => scn.regions[r].id.clone(),
            }),
            measure: at.measure.def().name,
            // Year indices are below the horizon, far below u32::MAX.
            year: at.year.map(|t| i64::from(scn.year(t as u32))),
            value,
        }
    }
}

impl std::fmt::Display for BadResult {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "path {} of scenario `{}`: {}",
            self.path, self.scenario, self.measure
        )?;
        if let Some(year) = self.year {
            write!(f, " in {year}")?;
        }
        match (&self.alternative, &self.region) {
            (Some(a), Some(r)) => write!(f, " of region `{r}` under alternative `{a}`")?,
            (Some(a), None) => write!(f, " under alternative `{a}`")?,
            _ => write!(f, " of the park")?,
        }
        let x = self.value;
        if x.is_nan() {
            write!(f, " is NaN (not a number)")?;
        } else if x.is_infinite() {
            write!(f, " is {x} (not a finite number)")?;
        } else {
            write!(
                f,
                " is {x:e}, beyond ±{MAX_RESULT_MAGNITUDE:e}, the largest result the statistics can hold"
            )?;
        }
        write!(
            f,
            "; the run stops rather than leave the path out of the statistics \
             (to replay the path: --seed {} --horizon {} --paths {}, whose last path it is)",
            self.seed,
            self.horizon,
            self.path + 1
        )
    }
}

/// One worker's reusable buffers.
///
/// The coalitions' parks are built on the first path of a scenario and kept while
/// the scenario has the same hash and id: a caller that changes a scenario in place
/// (other than its alternatives, which the coalitions do not use) and runs it again
/// takes a new scratch. The engine takes one per worker and run.
#[derive(Debug, Clone, Default)]
pub struct PathScratch {
    /// The economy's buffers.
    pub economy: Workspace,
    outcome: OutcomeScratch,
    /// The path's values that all its alternatives read alike.
    path_values: PathValues,
    /// The park's firms on the current path, for the coalitions' parks.
    firms: FirmLog,
    /// The coalitions' parks of the scenario last run (built on its first path).
    coalitions: Option<Coalitions>,
    coalition: CoalitionScratch,
    /// Coalition values v(S) by mask, and Shapley values, of the current path.
    values: Vec<f64>,
    shapley: Vec<f64>,
}

/// Simulates path `p` and writes its record. Returns the firm-years simulated (in
/// the park itself; the coalitions' parks are not counted).
/// The path's draws of the uncertain inputs are left in `scratch.economy.draws`.
pub fn run_path(
    scn: &Scenario,
    horizon: u32,
    streams: &Streams,
    p: u64,
    scratch: &mut PathScratch,
    record: &mut [f64],
) -> u64 {
    let layout = Layout::new(scn, horizon);
    let ws = &mut scratch.economy;
    // With fairness on, the coalitions' parks take the park's firms where they are
    // theirs (docs/model.md §13).
    let share = if scn.fairness() {
        Share::Record(&mut scratch.firms)
    } else {
        Share::Off
    };
    simulate_path_shared(scn, horizon, streams, p, ws, share);
    let econ = &ws.out;
    let n = layout.regions;
    let m_len = RegionMetric::COUNT;
    let s_len = RegionSeries::COUNT * layout.horizon;
    let series_start = layout.region_series(0, 0, RegionSeries::ALL[0], 0);
    scratch.path_values.fill(econ);
    for (a, alt) in scn.alternatives.iter().enumerate() {
        let m0 = layout.region_metric(a, 0, RegionMetric::ALL[0]);
        let s0 = a * n * s_len;
        // Split the record so metrics and series can be written at once.
        let (head, tail) = record.split_at_mut(series_start);
        outcome::evaluate_with(
            econ,
            &scratch.path_values,
            alt,
            &mut scratch.outcome,
            &mut head[m0..m0 + n * m_len],
            &mut tail[s0..s0 + n * s_len],
        );
    }
    let pm = layout.park_metric(ParkMetric::ALL[0]);
    outcome::park_metrics(econ, &mut record[pm..pm + ParkMetric::COUNT]);
    let ps = layout.park_series(ParkSeries::ALL[0], 0);
    outcome::park_series(
        econ,
        &mut record[ps..ps + ParkSeries::COUNT * layout.horizon],
    );
    let firm_years = econ.firm_years;

    // §8 the regions' game: coalition values on this path's draws and streams.
    let game = if scn.fairness() {
        if !scratch
            .coalitions
            .as_ref()
            .is_some_and(|c| c.built_for(scn))
        {
            scratch.coalitions = Some(Coalitions::new(scn));
        }
        scratch.values.resize(1 << n, 0.0);
        scratch.shapley.resize(n, 0.0);
        if let Some(coalitions) = &scratch.coalitions {
            coalition::values_sharing(
                coalitions,
                horizon,
                streams,
                p,
                &scratch.economy.out.outside_option,
                Some(&scratch.firms),
                &mut scratch.coalition,
                &mut scratch.values,
            );
        }
        Shapley::new(n).ok()
    } else {
        None
    };
    for a in 0..layout.alternatives {
        let at = |r: usize, m: RegionMetric| record[layout.region_metric(a, r, m)];
        let total: f64 = (0..n).map(|r| at(r, RegionMetric::Npv)).sum();
        let joint = (0..n).all(|r| at(r, RegionMetric::Participates) > 0.5);
        record[layout.alt_metric(a, AltMetric::NpvTotal)] = total;
        record[layout.alt_metric(a, AltMetric::JointParticipation)] = f64::from(u8::from(joint));
        for r in 0..n {
            for q in r + 1..n {
                record[layout.pair_metric(a, r, q, PairMetric::SurplusPairSum)] = record
                    [layout.region_metric(a, r, RegionMetric::Surplus)]
                    + record[layout.region_metric(a, q, RegionMetric::Surplus)];
            }
        }
        if let Some(game) = &game {
            scratch.values[(1 << n) - 1] = total;
            game.values(&scratch.values, &mut scratch.shapley);
        }
        for r in 0..n {
            let phi = if game.is_some() {
                scratch.shapley[r]
            } else {
                f64::NAN
            };
            let npv = record[layout.region_metric(a, r, RegionMetric::Npv)];
            record[layout.region_metric(a, r, RegionMetric::Shapley)] = phi;
            record[layout.region_metric(a, r, RegionMetric::ShapleyGap)] = npv - phi;
        }
    }
    // Every pair of alternatives' difference in joint participation on this path:
    // its standard error says whether two alternatives' order is noise.
    for a in 0..layout.alternatives {
        let joint_a = record[layout.alt_metric(a, AltMetric::JointParticipation)];
        for b in a + 1..layout.alternatives {
            record[layout.alt_pair_metric(a, b, AltPairMetric::JointParticipationDiff)] =
                joint_a - record[layout.alt_metric(b, AltMetric::JointParticipation)];
        }
    }
    firm_years
}

/// The mergeable state of a run over some paths: statistics and counts.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunState {
    /// The record layout.
    pub layout: Layout,
    /// Settings of the whole run the paths belong to (`threads` is always 0: the
    /// thread count changes nothing).
    pub config: RunConfig,
    /// The path ranges covered, sorted and disjoint.
    pub ranges: Vec<Range<u64>>,
    /// Firm-years simulated over those paths.
    pub firm_years: u64,
    /// Statistics per record position.
    pub stats: RecordStats,
}

impl RunState {
    /// Paths covered: the total length of [`RunState::ranges`].
    pub fn paths(&self) -> u64 {
        self.ranges.iter().map(|r| r.end - r.start).sum()
    }

    /// Adds the paths of `other`, a state of another range of the same run.
    ///
    /// # Errors
    /// If the two states belong to different runs or their ranges overlap.
    pub fn merge(&mut self, other: &RunState) -> Result<(), EngineError> {
        let same_run = self.layout == other.layout && self.config == other.config;
        if !same_run {
            return Err(EngineError::Merge(
                "the states belong to different runs (scenario layout, paths, seed or horizon differ)"
                    .into(),
            ));
        }
        let mut ranges = self.ranges.clone();
        ranges.extend(other.ranges.iter().cloned());
        ranges.sort_by_key(|r| r.start);
        if ranges.windows(2).any(|w| w[0].end > w[1].start) {
            return Err(EngineError::Merge("the states' path ranges overlap".into()));
        }
        // Adjacent ranges join, so the record says which paths are covered.
        let mut joined: Vec<Range<u64>> = Vec::new();
        for r in ranges {
            match joined.last_mut() {
                Some(last) if last.end == r.start => last.end = r.end,
                _ => joined.push(r),
            }
        }
        self.stats.merge(&other.stats)?;
        self.ranges = joined;
        self.firm_years += other.firm_years;
        Ok(())
    }

    /// Counts in their histograms the values of the positions that every path
    /// gives a value (the measures that may not be undefined: a path leaving one
    /// undefined stops the run), when the run has more than [`EXACT_CAP`] paths:
    /// the whole run's state holds those in histograms anyway, so a part of it so
    /// binned merges to the same state, and a shard's or pilot's file holds their
    /// counts instead of every value (a 768-path shard of the reference scenario:
    /// 1.9 MB instead of 17, or 30 as JSON text). Positions that may be undefined
    /// keep their values. The workers of such a run count those positions so from
    /// the start ([`run_range_with`]); what is left to bin is the values of the
    /// pilot's paths, which are kept to make the grids.
    pub fn bin_defined(&mut self) {
        if self.config.paths > EXACT_CAP as u64 {
            let allowed = self.layout.undefined_allowed();
            self.stats.bin_where(|j| !allowed[j]);
        }
    }

    /// The quantile grids of the run (`None` when it has at most [`PILOT_PATHS`]
    /// paths and needs none), for [`run_range_with`].
    pub fn grids(&self) -> Option<Grids> {
        self.stats.grids()
    }

    /// The state as JSON; equal states give equal text.
    ///
    /// # Errors
    /// Never in practice (the state holds only finite numbers).
    pub fn to_json(&self) -> Result<String, EngineError> {
        serde_json::to_string(self).map_err(|e| EngineError::Merge(e.to_string()))
    }

    /// A state read back from [`RunState::to_json`].
    ///
    /// # Errors
    /// If the text is not such a state.
    pub fn from_json(text: &str) -> Result<RunState, EngineError> {
        serde_json::from_str(text).map_err(|e| EngineError::Merge(e.to_string()))
    }
}

/// The quantile grid of every record position of a run (`None` where a position
/// keeps no quantiles), as the pilot fixes them.
pub type Grids = Vec<Option<Grid>>;

/// A batch of finished paths, handed to the observer in path order.
#[derive(Debug, Clone, Copy)]
pub struct Batch<'a> {
    /// Index of the batch's first path.
    pub first_path: u64,
    /// Paths in the batch.
    pub paths: usize,
    /// With records requested: `paths × layout.len()` numbers, path by path.
    pub records: &'a [f64],
    /// With records requested: `paths × uncertain inputs` draws, path by path.
    pub inputs: &'a [f64],
    /// The layout.
    pub layout: Layout,
}

/// Why a run could not start or finish.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// A worker thread could not be started.
    #[error("cannot start worker thread {index} of {threads}")]
    Thread {
        /// Which one.
        index: usize,
        /// Threads asked for.
        threads: usize,
        /// Cause.
        #[source]
        source: std::io::Error,
    },
    /// The range is not made of whole batches of the run.
    #[error(
        "path range {start}..{end} of a {paths}-path run must start at a multiple of {batch} and end at one or at {paths}"
    )]
    Range {
        /// Start.
        start: u64,
        /// End.
        end: u64,
        /// Paths of the run.
        paths: u64,
        /// Batch size.
        batch: u64,
    },
    /// Statistics could not be merged.
    #[error(transparent)]
    Stats(#[from] StatsError),
    /// Two states cannot be merged, or a state does not read.
    #[error("cannot merge run states: {0}")]
    Merge(String),
    /// A path gave a result the statistics cannot take (not finite, or too large).
    #[error("{0}")]
    BadResult(Box<BadResult>),
    /// The sampler cannot take this run (too many paths or inputs for Sobol).
    #[error(transparent)]
    Sampler(#[from] crate::streams::SamplerError),
    /// A worker panicked (a bug: the core never panics on a valid scenario).
    #[error("a worker thread panicked")]
    Panicked,
    /// [`Observe::stop`] was set before the run finished.
    #[error("interrupted after {completed_paths} paths")]
    Interrupted {
        /// Paths of the range, from its start, that the observer was handed.
        completed_paths: u64,
    },
}

/// What the engine should hand to the observer, and when to stop early.
#[derive(Debug, Clone, Copy, Default)]
pub struct Observe<'a> {
    /// Each batch's records and input draws (for `--keep-paths`).
    pub records: bool,
    /// Quantiles for the headline measures only ([`Layout::headline_plan`]): the
    /// caller reads no other quantile (a `--summary-only` set). Means, standard
    /// errors and every headline number are the same as with the whole plan.
    pub headline: bool,
    /// Set (by a signal handler, say) to stop the run: workers finish the batch
    /// they hold, take no other, and the run ends in [`EngineError::Interrupted`].
    pub stop: Option<&'a AtomicBool>,
}

/// Runs every path of `scn` under `cfg`, calling `observe` after each batch in order.
///
/// # Errors
/// As [`run_range`].
pub fn run(
    scn: &Scenario,
    cfg: &RunConfig,
    what: Observe<'_>,
    observe: &mut dyn FnMut(Batch<'_>),
) -> Result<RunState, EngineError> {
    run_range(scn, cfg, 0..cfg.paths, what, observe)
}

/// The named streams of the run `cfg` of `scn`, with its sampler's design
/// ([`Streams::for_run`]: keyed by the seed and the run's whole path count, so
/// every shard of a run shares them).
///
/// # Errors
/// [`EngineError::Sampler`] when the sampler cannot take the run.
pub fn run_streams(scn: &Scenario, cfg: &RunConfig) -> Result<Streams, EngineError> {
    Ok(Streams::for_run(
        cfg.seed,
        cfg.paths,
        scn.simulation.sampler,
        &scn.params,
    )?)
}

/// The first pilot record (paths from 0) holding a value the statistics cannot
/// take, as the run's error: the pilot's paths are the lowest of the run, so a
/// failing one is the run's first failing path.
fn check_pilot(
    scn: &Scenario,
    cfg: &RunConfig,
    layout: &Layout,
    records: &[f64],
) -> Result<(), EngineError> {
    let undefined_allowed = layout.undefined_allowed();
    for (i, record) in records.chunks_exact(layout.len().max(1)).enumerate() {
        if let Some(j) = first_bad_value(record, &undefined_allowed) {
            return Err(EngineError::BadResult(Box::new(BadResult::new(
                scn, cfg, layout, i as u64, j, record[j],
            ))));
        }
    }
    Ok(())
}

/// Fixes the quantile grid of every position that has quantiles from the pilot's
/// records, on `threads` threads (positions are independent); `None` when the run
/// is small enough for exact quantiles throughout.
fn pilot_grids(
    scn: &Scenario,
    cfg: &RunConfig,
    plan: &Plan,
    records: &[f64],
    threads: usize,
) -> Result<Option<Grids>, EngineError> {
    if cfg.paths <= PILOT_PATHS {
        return Ok(None);
    }
    let len = Layout::new(scn, cfg.horizon).len();
    let mut grids: Vec<Option<Grid>> = vec![None; len];
    let per = len.div_ceil(threads.max(1)).max(1);
    std::thread::scope(|s| -> Result<(), EngineError> {
        for (w, part) in grids.chunks_mut(per).enumerate() {
            let work = move || {
                // Neighbouring positions are gathered together, so each record is
                // read a cache line at a time rather than one number per line.
                const BLOCK: usize = 64;
                let paths = records.len() / len.max(1);
                let mut columns: Vec<Vec<f64>> =
                    (0..BLOCK).map(|_| Vec::with_capacity(paths)).collect();
                for (b, block) in part.chunks_mut(BLOCK).enumerate() {
                    let j0 = w * per + b * BLOCK;
                    for c in columns.iter_mut() {
                        c.clear();
                    }
                    for record in records.chunks_exact(len) {
                        for (c, &x) in columns.iter_mut().zip(&record[j0..j0 + block.len()]) {
                            c.push(x);
                        }
                    }
                    for (i, grid) in block.iter_mut().enumerate() {
                        *grid = plan
                            .quantile_spec(j0 + i)
                            .map(|spec| Grid::from_pilot(&columns[i], spec.bins, spec.integer));
                    }
                }
            };
            std::thread::Builder::new()
                .name(format!("enclave-grid-{w}"))
                .spawn_scoped(s, work)
                .map_err(|source| EngineError::Thread {
                    index: w,
                    threads,
                    source,
                })?;
        }
        Ok(())
    })?;
    Ok(Some(grids))
}

/// Records of paths `0..min(PILOT_PATHS, N)`, simulated on `threads` threads.
fn pilot_records(
    scn: &Scenario,
    cfg: &RunConfig,
    streams: &Streams,
    threads: usize,
) -> Result<Pilot, EngineError> {
    let layout = Layout::new(scn, cfg.horizon);
    let len = layout.len();
    let k = scn.params.len();
    let n = cfg.paths.min(PILOT_PATHS) as usize;
    let mut records = vec![0.0; n * len];
    let mut inputs = vec![0.0; n * k];
    let mut firm_years = vec![0u64; n];
    // Pieces of a few paths, taken by whichever worker is free, keep the workers
    // busy alike; each piece owns its slices of the three buffers.
    const PIECE: usize = 16;
    let mut pieces: Vec<PilotPiece<'_>> = Vec::new();
    let mut rest = (&mut records[..], &mut inputs[..], &mut firm_years[..]);
    let mut first = 0;
    while first < n {
        let m = PIECE.min(n - first);
        let (r, r_rest) = std::mem::take(&mut rest.0).split_at_mut(m * len);
        let (i, i_rest) = std::mem::take(&mut rest.1).split_at_mut(m * k);
        let (f, f_rest) = std::mem::take(&mut rest.2).split_at_mut(m);
        pieces.push((first, r, i, f));
        rest = (r_rest, i_rest, f_rest);
        first += m;
    }
    pieces.reverse();
    let queue = std::sync::Mutex::new(pieces);
    let workers = threads.clamp(1, n.div_ceil(PIECE).max(1));
    std::thread::scope(|s| -> Result<(), EngineError> {
        let mut handles = Vec::new();
        for w in 0..workers {
            let queue = &queue;
            let handle = std::thread::Builder::new()
                .name(format!("enclave-pilot-{w}"))
                .spawn_scoped(s, move || {
                    let mut scratch = PathScratch::default();
                    // A poisoned lock means another worker panicked; its join reports it.
                    while let Some((first, rec, inp, fy)) =
                        queue.lock().ok().and_then(|mut q| q.pop())
                    {
                        for (i, (record, fy)) in rec.chunks_exact_mut(len).zip(fy).enumerate() {
                            let p = (first + i) as u64;
                            *fy = run_path(scn, cfg.horizon, streams, p, &mut scratch, record);
                            inp[i * k..(i + 1) * k].copy_from_slice(&scratch.economy.draws);
                        }
                    }
                })
                .map_err(|source| EngineError::Thread {
                    index: w,
                    threads,
                    source,
                })?;
            handles.push(handle);
        }
        for h in handles {
            h.join().map_err(|_| EngineError::Panicked)?;
        }
        Ok(())
    })?;
    Ok(Pilot {
        records,
        inputs,
        firm_years,
    })
}

/// A piece of the pilot: its first path, and its slices of the records, input
/// draws and firm-years.
type PilotPiece<'a> = (usize, &'a mut [f64], &'a mut [f64], &'a mut [u64]);

/// The pilot paths' records, input draws and firm-years, path by path.
#[derive(Debug, Default)]
struct Pilot {
    records: Vec<f64>,
    inputs: Vec<f64>,
    firm_years: Vec<u64>,
}

/// What a worker reports at the end of a batch.
struct Done {
    batch: u64,
    paths: usize,
    records: Vec<f64>,
    inputs: Vec<f64>,
}

/// What a worker returns: its statistics and firm-years, or its first failing
/// path (path, record position, value), after which its statistics are incomplete.
struct WorkerResult {
    stats: RecordStats,
    firm_years: u64,
    bad: Option<(u64, usize, f64)>,
}

/// The worker threads to use: `cfg.threads`, or one per core.
pub fn resolve_threads(requested: usize) -> usize {
    if requested > 0 {
        requested
    } else {
        std::thread::available_parallelism().map_or(1, usize::from)
    }
}

/// Runs paths `range` of the run `cfg` of `scn` and returns their mergeable state,
/// calling `observe` after each batch, in path order.
///
/// # Errors
/// [`EngineError::Range`] if `range` is not made of whole batches of the run,
/// [`EngineError::Thread`] if a worker thread cannot be started,
/// [`EngineError::BadResult`] for the lowest path of the range (or of the pilot,
/// paths `0..min(PILOT_PATHS, N)`) whose record holds a value the statistics
/// cannot take (see [`first_bad_value`]): the same error on any thread count.
pub fn run_range(
    scn: &Scenario,
    cfg: &RunConfig,
    range: Range<u64>,
    what: Observe<'_>,
    observe: &mut dyn FnMut(Batch<'_>),
) -> Result<RunState, EngineError> {
    run_range_with(scn, cfg, range, None, what, observe)
}

/// As [`run_range`], with the quantile grids of the run given (`Some`: as
/// [`RunState::grids`] returns them from another part of the same run), so that
/// the pilot paths are not simulated again to fix them; the state is the same.
/// `Some(None)` says the run needs no grids (it has at most [`PILOT_PATHS`] paths).
///
/// # Errors
/// As [`run_range`].
pub fn run_range_with(
    scn: &Scenario,
    cfg: &RunConfig,
    range: Range<u64>,
    given: Option<Option<Grids>>,
    what: Observe<'_>,
    observe: &mut dyn FnMut(Batch<'_>),
) -> Result<RunState, EngineError> {
    let aligned = |x: u64| x % BATCH_PATHS == 0 || x == cfg.paths;
    if range.start > range.end
        || range.end > cfg.paths
        || !aligned(range.start)
        || !aligned(range.end)
    {
        return Err(EngineError::Range {
            start: range.start,
            end: range.end,
            paths: cfg.paths,
            batch: BATCH_PATHS,
        });
    }
    let threads = resolve_threads(cfg.threads);
    let layout = Layout::new(scn, cfg.horizon);
    let len = layout.len();
    let k = scn.params.len();
    let streams = run_streams(scn, cfg)?;
    let plan = layout.plan_for(what.headline);

    // The pilot fixes the grids; its paths count in the run when the range holds
    // them. A run of at most PILOT_PATHS paths needs no grids and no pilot: its
    // workers simulate every path (holding the pilot's records would only cost
    // memory and copies, as for each small scenario of a set).
    let needs_pilot = cfg.paths > PILOT_PATHS && given.is_none();
    let Pilot {
        records: pilot,
        inputs: pilot_inputs,
        firm_years: pilot_fy,
    } = if needs_pilot {
        pilot_records(scn, cfg, &streams, threads)?
    } else {
        Default::default()
    };
    // Every result is checked before the statistics see it.
    check_pilot(scn, cfg, &layout, &pilot)?;
    let undefined_allowed = layout.undefined_allowed();
    let bad = |path: u64, j: usize, value: f64| {
        EngineError::BadResult(Box::new(BadResult::new(scn, cfg, &layout, path, j, value)))
    };
    let grids = match given {
        Some(grids) => grids,
        None => pilot_grids(scn, cfg, &plan, &pilot, threads)?,
    };
    // Under antithetic sampling the statistics take paths in pairs (batches hold
    // whole pairs: they start at multiples of BATCH_PATHS, and the path count is
    // even, as `Streams::for_run` checks).
    let antithetic = streams.sampler.antithetic;
    // Positions that every path gives a value count in their histograms from the
    // start when the run has more than EXACT_CAP paths: the whole run's state holds
    // them there anyway (see `RunState::bin_defined`), so a worker neither keeps
    // EXACT_CAP values a position (17 MB in the reference scenario) nor bins them
    // all at once when it fills.
    let bin_from_start = cfg.paths > EXACT_CAP as u64;
    let new_stats = |plan: &Plan, grids: &Option<Grids>| {
        let mut stats = RecordStats::new(plan, grids.clone());
        if bin_from_start {
            stats.bin_where(|j| !undefined_allowed[j]);
        }
        if antithetic {
            stats.with_pairs()
        } else {
            stats
        }
    };
    let pilot_paths = pilot.len() / len.max(1);
    let first_batch = range.start / BATCH_PATHS;
    let end_batch = range.end.div_ceil(BATCH_PATHS);
    // Batches wholly inside the pilot are not simulated again: the workers take
    // their records from it.
    let (pilot, pilot_inputs, pilot_fy) = (&pilot, &pilot_inputs, &pilot_fy);
    let counter = AtomicU64::new(first_batch);
    // The lowest failing path found so far: batches beyond it are not started.
    // Every batch that starts below it is still run, up to its own first failing
    // path, so the smallest path the workers report is the lowest failing path of
    // the range, whatever the thread count.
    let first_bad = AtomicU64::new(u64::MAX);
    let (tx, rx) = mpsc::channel::<Done>();
    let workers = threads.min((end_batch - first_batch) as usize).max(1);
    let results = std::thread::scope(|s| -> Result<Vec<WorkerResult>, EngineError> {
        let mut handles = Vec::with_capacity(workers);
        for w in 0..workers {
            let tx = tx.clone();
            let (counter, streams, plan, grids) = (&counter, &streams, &plan, &grids);
            let new_stats = &new_stats;
            let (first_bad, undefined_allowed) = (&first_bad, &undefined_allowed);
            let handle = std::thread::Builder::new()
                .name(format!("enclave-worker-{w}"))
                .spawn_scoped(s, move || {
                    let mut scratch = PathScratch::default();
                    let mut record = vec![0.0; len];
                    let mut stats = new_stats(plan, grids);
                    let mut firm_years = 0;
                    // A worker's batches come in increasing order, so its first
                    // failing path is its lowest.
                    let mut bad = None;
                    'batches: loop {
                        let b = counter.fetch_add(1, Ordering::Relaxed);
                        if b >= end_batch
                            || b * BATCH_PATHS > first_bad.load(Ordering::Relaxed)
                            || what.stop.is_some_and(|s| s.load(Ordering::Relaxed))
                        {
                            break;
                        }
                        let start = b * BATCH_PATHS;
                        let end = (start + BATCH_PATHS).min(range.end);
                        let paths = (end - start) as usize;
                        let mut records = Vec::new();
                        let mut inputs = Vec::new();
                        if what.records {
                            records.reserve_exact(paths * len);
                            inputs.reserve_exact(paths * k);
                        }
                        let from_pilot = end as usize <= pilot_paths;
                        for p in start..end {
                            let i = p as usize;
                            let (record, draws) = if from_pilot {
                                firm_years += pilot_fy[i];
                                (
                                    &pilot[i * len..(i + 1) * len],
                                    &pilot_inputs[i * k..(i + 1) * k],
                                )
                            } else {
                                firm_years += run_path(
                                    scn,
                                    cfg.horizon,
                                    streams,
                                    p,
                                    &mut scratch,
                                    &mut record,
                                );
                                if let Some(j) = first_bad_value(&record, undefined_allowed) {
                                    first_bad.fetch_min(p, Ordering::Relaxed);
                                    bad = Some((p, j, record[j]));
                                    break 'batches;
                                }
                                (&record[..], &scratch.economy.draws[..])
                            };
                            stats.push(record);
                            if what.records {
                                records.extend_from_slice(record);
                                inputs.extend_from_slice(draws);
                            }
                        }
                        stats.end_batch();
                        // The receiver lives until every worker is joined.
                        let _ = tx.send(Done {
                            batch: b,
                            paths,
                            records,
                            inputs,
                        });
                    }
                    WorkerResult {
                        stats,
                        firm_years,
                        bad,
                    }
                })
                .map_err(|source| EngineError::Thread {
                    index: w,
                    threads: workers,
                    source,
                })?;
            handles.push(handle);
        }
        drop(tx);
        // Hand batches to the observer in path order as they complete.
        let mut pending = BTreeMap::new();
        let mut due = first_batch;
        let mut observed = 0;
        for done in rx.iter() {
            pending.insert(done.batch, done);
            while let Some(d) = pending.remove(&due) {
                observe(Batch {
                    first_path: d.batch * BATCH_PATHS,
                    paths: d.paths,
                    records: &d.records,
                    inputs: &d.inputs,
                    layout,
                });
                observed += d.paths as u64;
                due += 1;
            }
        }
        handles
            .into_iter()
            .map(|h| h.join().map_err(|_| EngineError::Panicked))
            .collect::<Result<Vec<_>, _>>()
            .and_then(|results| match what.stop {
                Some(s) if s.load(Ordering::Relaxed) && due < end_batch => {
                    Err(EngineError::Interrupted {
                        completed_paths: observed,
                    })
                }
                _ => Ok(results),
            })
    })?;
    if let Some((path, j, value)) = results.iter().filter_map(|r| r.bad).min_by_key(|b| b.0) {
        return Err(bad(path, j, value));
    }
    // Exact merges: the order of the workers does not matter. The first worker's
    // statistics are the state's to start with (a copy of a record's statistics
    // less in memory and no merge into empty ones; the same state).
    let mut results = results.into_iter();
    let (stats, firm_years) = match results.next() {
        Some(first) => (first.stats, first.firm_years),
        None => (new_stats(&plan, &grids), 0),
    };
    let mut state = RunState {
        layout,
        // The thread count changes nothing in the state.
        config: RunConfig { threads: 0, ..*cfg },
        ranges: vec![range.clone()],
        firm_years,
        stats,
    };
    for r in results {
        state.stats.merge(&r.stats)?;
        state.firm_years += r.firm_years;
    }
    Ok(state)
}
