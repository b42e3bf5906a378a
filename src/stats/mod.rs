//! Streaming summary statistics of Monte Carlo outputs that merge exactly.
//!
//! The engine-facing type is [`RecordStats`]: the statistics of every position
//! of a path's output record (struct of arrays), fed one path at a time in fixed
//! batches. Its state depends only on the *multiset of batches* it has seen, not
//! on their order or grouping: merging is associative and commutative to the bit,
//! so one run over paths `0..N`, two halves merged, or any number of worker
//! threads give byte-identical summaries and JSON.
//!
//! - [`exact`]: [`ExactSum`], an exact superaccumulator of doubles;
//! - `moments`: per-batch shifted sums folded into exact power sums;
//! - [`quantile`]: exact values up to [`EXACT_CAP`], then a histogram on a
//!   [`Grid`] fixed by a pilot, with error bounded relative to the spread.
//!
//! The hot path of [`RecordStats::push`] runs over the open batch's sums (one cache
//! line per position) and one flat array of 16-bit histogram counts (see the
//! `record` module).
//!
//! Architecture invariant: nothing here reads a clock, allocates per value (except
//! the exact-mode value lists, the flat histogram counts when the first position
//! switches to its histogram, and new tail bins), or depends on thread scheduling.

pub mod exact;
pub mod interval;
mod moments;
mod pairs;
pub mod quantile;
mod record;

pub use exact::ExactSum;
pub use quantile::{EXACT_CAP, Grid};
pub use record::RecordStats;

use serde::{Deserialize, Serialize};

/// How the quantiles of one position are kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuantileSpec {
    /// Number of core histogram bins (e.g. 1024 for scalar metrics, 256 for
    /// yearly series); 0 is taken as 1.
    pub bins: usize,
    /// Whether the measure is integer-valued (counts of firms, years): bins are
    /// aligned to integers and quantiles are integers (lower rank).
    pub integer: bool,
}

/// Which positions of a record keep quantiles, and how.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Plan {
    /// One entry per record position: `None` for moments only.
    positions: Vec<Option<QuantileSpec>>,
}

impl Plan {
    /// A plan from one entry per record position.
    pub fn new(positions: Vec<Option<QuantileSpec>>) -> Plan {
        Plan { positions }
    }

    /// A plan of `len` positions without quantiles.
    pub fn moments_only(len: usize) -> Plan {
        Plan::new(vec![None; len])
    }

    /// Number of record positions.
    pub fn len(&self) -> usize {
        self.positions.len()
    }

    /// Whether the record has no position.
    pub fn is_empty(&self) -> bool {
        self.positions.is_empty()
    }

    /// The quantile specification of position `j`, if it keeps quantiles.
    pub fn quantile_spec(&self, j: usize) -> Option<QuantileSpec> {
        self.positions.get(j).copied().flatten()
    }
}

/// Summary of one position; every float is NaN when undefined (no finite value,
/// or squares beyond the double range for mean/sd/se).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PositionSummary {
    /// Number of finite values used.
    pub n: u64,
    /// Number of NaN values (undefined on that path, e.g. no IRR), not used.
    pub undefined: u64,
    /// Number of ±inf values, not used (the engine refuses them before they get here).
    pub non_finite: u64,
    /// Sample mean.
    pub mean: f64,
    /// Sample standard deviation `√(M2 / (n − 1))`; NaN (undefined) when
    /// `n = 1`: one value has no spread to estimate.
    pub sd: f64,
    /// Standard error of the mean `sd / √n`; NaN when `n = 1`, as `sd`.
    pub se: f64,
    /// Smallest value.
    pub min: f64,
    /// Largest value.
    pub max: f64,
}

/// Why two states cannot merge or a serialised state cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum StatsError {
    /// The states were built for different plans.
    #[error("statistics plans differ")]
    PlanMismatch,
    /// The quantile grids of a position differ.
    #[error("quantile grids differ at position {position}")]
    GridMismatch {
        /// Record position.
        position: usize,
    },
    /// A position would hold more than [`EXACT_CAP`] values without a grid.
    #[error("position {position} has more than {EXACT_CAP} quantile values but no grid")]
    NoGrid {
        /// Record position.
        position: usize,
    },
    /// A batch was still open (call [`RecordStats::end_batch`] first).
    #[error("a batch is still open; call end_batch first")]
    OpenBatch,
    /// The JSON text is not a valid state.
    #[error("invalid statistics state: {0}")]
    Json(#[from] serde_json::Error),
}

/// Shortest text that parses back to the same double (exact round trip, unlike
/// JSON numbers read by serde_json without its `float_roundtrip` feature).
fn float_text(x: f64) -> String {
    format!("{x:?}")
}

/// A finite double from [`float_text`].
fn float_from_text(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(x) if x.is_finite() => Ok(x),
        _ => Err(format!("expected a finite number, got {text:?}")),
    }
}
