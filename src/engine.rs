//! The parallel Monte Carlo run (MODEL.md §7 common random numbers, §10 reproducibility).
//!
//! Paths are simulated in chunks of [`RunConfig::chunk_paths`]. Within a chunk, rayon
//! spreads paths over threads; each path writes one fixed-length record of numbers
//! ([`Layout`]) into its own slot of a chunk buffer, so the buffer's contents do not
//! depend on which thread ran which path. The chunk is then folded into streaming
//! [`Accumulator`]s, each of which sees the paths in index order; folding is spread
//! over threads by accumulator, never by path. Memory is one chunk buffer plus the
//! accumulators, whatever the number of paths.
//!
//! Path p's random stream is ChaCha8 keyed by SHA-256(scenario hash, seed), stream p:
//! it depends on nothing but (seed, scenario, p).

use rayon::prelude::*;

use crate::economy::{Workspace, simulate_path};
use crate::outcome::{
    self, OutcomeScratch, PARK_METRICS, PARK_SERIES, REGION_METRICS, REGION_SERIES,
};
use crate::scenario::Scenario;
use crate::stats::Accumulator;
use crate::streams::Streams;

/// Accumulators folded together by one task (a few cache lines of each record).
const FOLD_BLOCK: usize = 64;

pub use crate::streams::PRNG_NAME;

/// Settings of one run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunConfig {
    /// Number of paths.
    pub paths: u64,
    /// Seed.
    pub seed: u64,
    /// Years simulated.
    pub horizon: u32,
    /// Worker threads (0 = one per core).
    pub threads: usize,
    /// Paths per chunk (memory ∝ chunk size, not paths).
    pub chunk_paths: usize,
}

impl RunConfig {
    /// The scenario's own settings, on all cores.
    pub fn from_scenario(scn: &Scenario) -> RunConfig {
        RunConfig {
            paths: scn.simulation.paths,
            seed: scn.simulation.seed,
            horizon: scn.simulation.horizon,
            threads: 0,
            chunk_paths: 1024,
        }
    }
}

/// Where each number sits in a path's record.
///
/// Record = region metrics `[alt][region][metric]`, then park metrics `[metric]`,
/// then region series `[alt][region][series][year]`, then park series `[series][year]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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
        self.alternatives * self.regions * REGION_METRICS.len()
    }
    fn region_series_len(&self) -> usize {
        self.alternatives * self.regions * REGION_SERIES.len() * self.horizon
    }
    /// Numbers per path.
    pub fn len(&self) -> usize {
        self.region_metrics_len()
            + PARK_METRICS.len()
            + self.region_series_len()
            + PARK_SERIES.len() * self.horizon
    }
    /// Whether a record is empty (never, for a valid scenario).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Index of region metric `m` of region `r` under alternative `a`.
    pub fn region_metric(&self, a: usize, r: usize, m: usize) -> usize {
        (a * self.regions + r) * REGION_METRICS.len() + m
    }
    /// Index of park metric `m`.
    pub fn park_metric(&self, m: usize) -> usize {
        self.region_metrics_len() + m
    }
    /// Index of region series `s` of region `r` under alternative `a` in year `t`.
    pub fn region_series(&self, a: usize, r: usize, s: usize, t: usize) -> usize {
        self.region_metrics_len()
            + PARK_METRICS.len()
            + ((a * self.regions + r) * REGION_SERIES.len() + s) * self.horizon
            + t
    }
    /// Index of park series `s` in year `t`.
    pub fn park_series(&self, s: usize, t: usize) -> usize {
        self.region_metrics_len()
            + PARK_METRICS.len()
            + self.region_series_len()
            + s * self.horizon
            + t
    }
}

/// One worker's reusable buffers.
#[derive(Debug, Clone, Default)]
pub struct PathScratch {
    /// The economy's buffers.
    pub economy: Workspace,
    outcome: OutcomeScratch,
}

/// Simulates path `p` and writes its record. Returns the firm-years simulated.
pub fn run_path(
    scn: &Scenario,
    cfg: &RunConfig,
    streams: &Streams,
    p: u64,
    scratch: &mut PathScratch,
    record: &mut [f64],
) -> u64 {
    let layout = Layout::new(scn, cfg.horizon);
    let ws = &mut scratch.economy;
    simulate_path(scn, cfg.horizon, streams, p, ws);
    let econ = &ws.out;
    let n = layout.regions;
    let m_len = REGION_METRICS.len();
    let s_len = REGION_SERIES.len() * layout.horizon;
    let series_start = layout.region_series(0, 0, 0, 0);
    for (a, alt) in scn.alternatives.iter().enumerate() {
        let m0 = layout.region_metric(a, 0, 0);
        let s0 = series_start + a * n * s_len;
        // Split the record so metrics and series can be written at once.
        let (head, tail) = record.split_at_mut(series_start);
        outcome::evaluate(
            econ,
            alt,
            &mut scratch.outcome,
            &mut head[m0..m0 + n * m_len],
            &mut tail[s0 - series_start..s0 - series_start + n * s_len],
        );
    }
    let pm = layout.park_metric(0);
    outcome::park_metrics(econ, &mut record[pm..pm + PARK_METRICS.len()]);
    let ps = layout.park_series(0, 0);
    outcome::park_series(
        econ,
        &mut record[ps..ps + PARK_SERIES.len() * layout.horizon],
    );
    econ.firm_years
}

/// What a finished run hands back.
#[derive(Debug, Clone)]
pub struct RunResult {
    /// The record layout.
    pub layout: Layout,
    /// One accumulator per record position.
    pub accumulators: Vec<Accumulator>,
    /// Paths simulated.
    pub paths: u64,
    /// Firm-years simulated over all paths.
    pub firm_years: u64,
    /// Threads used.
    pub threads: usize,
}

/// A chunk of finished paths, in index order, for observers (progress, `--keep-paths`).
#[derive(Debug, Clone, Copy)]
pub struct Chunk<'a> {
    /// Index of the chunk's first path.
    pub first_path: u64,
    /// `paths × layout.len()` numbers.
    pub records: &'a [f64],
    /// The layout.
    pub layout: Layout,
}

/// Why a run could not start.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// The thread pool could not be built.
    #[error("cannot start {threads} worker threads")]
    ThreadPool {
        /// Threads asked for.
        threads: usize,
        /// Cause.
        #[source]
        source: rayon::ThreadPoolBuildError,
    },
}

/// Runs every path of `scn` under `cfg`, calling `observe` after each chunk in order.
///
/// # Errors
/// [`EngineError::ThreadPool`] if the worker threads cannot be started.
pub fn run(
    scn: &Scenario,
    cfg: &RunConfig,
    observe: &mut dyn FnMut(Chunk<'_>),
) -> Result<RunResult, EngineError> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(cfg.threads)
        .build()
        .map_err(|source| EngineError::ThreadPool {
            threads: cfg.threads,
            source,
        })?;
    let threads = pool.current_num_threads();
    let layout = Layout::new(scn, cfg.horizon);
    let len = layout.len();
    let streams = Streams::new(cfg.seed, &scn.params);
    let chunk = cfg.chunk_paths.max(1) as u64;
    let mut accumulators = vec![Accumulator::new(); len];
    let mut buffer: Vec<f64> = Vec::new();
    let mut firm_years = 0;
    let mut first = 0;
    while first < cfg.paths {
        let count = chunk.min(cfg.paths - first) as usize;
        buffer.clear();
        buffer.resize(count * len, 0.0);
        pool.install(|| {
            // The scratch buffers are per worker; the random stream is per path.
            firm_years += buffer
                .par_chunks_mut(len)
                .enumerate()
                .map_init(PathScratch::default, |scratch, (i, record)| {
                    run_path(scn, cfg, &streams, first + i as u64, scratch, record)
                })
                .sum::<u64>();
            // Accumulators in blocks of neighbours, so each path's slice of the
            // record is read contiguously; every accumulator still sees the paths
            // in index order.
            accumulators
                .par_chunks_mut(FOLD_BLOCK)
                .enumerate()
                .for_each(|(b, block)| {
                    let j0 = b * FOLD_BLOCK;
                    for record in buffer.chunks_exact(len) {
                        for (acc, &x) in block.iter_mut().zip(&record[j0..]) {
                            acc.push(x);
                        }
                    }
                });
        });
        observe(Chunk {
            first_path: first,
            records: &buffer,
            layout,
        });
        first += count as u64;
    }
    Ok(RunResult {
        layout,
        accumulators,
        paths: cfg.paths,
        firm_years,
        threads,
    })
}
