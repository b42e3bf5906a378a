//! [`RecordStats`]: the statistics of every position of a path record.
//!
//! # Layout (for the hot path)
//!
//! - Moments of the open batch: one cache line of sums per position
//!   ([`Batches`]), updated in one pass over the record.
//! - Quantiles of positions in histogram mode: a compact table of [`Hot`]
//!   entries (position, grid parameters, offset), sorted by position, and ONE
//!   flat array of core counts for all positions with a grid (each owns
//!   `bins` consecutive counts from its offset). Counts are `u16`; before any
//!   could exceed `u16::MAX` they are folded into a parallel `u64` array (`wide`,
//!   allocated on the first fold only), so a bin's count is always
//!   `wide[i] + narrow[i]`, exact. The bound that triggers the fold
//!   ([`RecordStats::bound`]) is an upper bound of every narrow count.
//! - Cold path: tail bins (sparse maps per position), exact-mode value lists
//!   (at most [`EXACT_CAP`] values, or more without a grid), and the switch of a
//!   position to its histogram.
//!
//! The state is the same function of the batches as a [`QuantileState`] per
//! position: [`RecordStats::quantile_state`] rebuilds it, and quantiles, merge
//! and JSON go through that same definition.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::moments::{Batches, Moments};
use super::pairs::{Pairs, PairsRepr};
use super::quantile::{EXACT_CAP, Grid, Histogram, QuantileRepr, QuantileState, Sparse, locate};
use super::{Plan, PositionSummary, StatsError};

/// A worker's narrow bin count: small, so the counts of a whole record stay in
/// the core's cache (1,700 positions × 256–1,024 bins ≈ 1.2 MB in the reference
/// scenario).
type Narrow = u16;

/// Largest count a narrow bin may reach before the fold into `u64`.
const NARROW_LIMIT: u64 = Narrow::MAX as u64;

/// Quantiles of a position and their confidence intervals (low, high), as
/// [`RecordStats::quantiles_with_intervals`] gives them.
pub type QuantilesWithIntervals = (Vec<f64>, Vec<(f64, f64)>);

/// Quantile state of one position that keeps quantiles (cold data).
#[derive(Clone, Debug)]
struct Slot {
    /// Record position.
    position: usize,
    /// Whether the measure is integer-valued.
    integer: bool,
    /// Histogram grid (`None` when the run has at most [`EXACT_CAP`] paths).
    grid: Option<Grid>,
    /// First core count of this position in the flat arrays (with a grid).
    offset: usize,
    /// Whether the position counts in its histogram; otherwise `exact` holds
    /// its values.
    histogram: bool,
    /// Exact-mode values (empty in histogram mode).
    exact: Vec<f64>,
    /// Tail counts below the core by tail key (histogram mode).
    below: BTreeMap<i32, u64>,
    /// Tail counts above the core by tail key (histogram mode).
    above: BTreeMap<i32, u64>,
}

/// Hot-table entry of a position in histogram mode (32 bytes, two to a cache line).
#[derive(Clone, Copy, Debug)]
struct Hot {
    /// Lower edge of the core.
    lo: f64,
    /// `1 / width`.
    inv_width: f64,
    /// Number of core bins.
    bins: u32,
    /// Record position.
    position: u32,
    /// First core count in the flat arrays.
    offset: u32,
    /// Slot index (for the cold tail path).
    slot: u32,
}

/// `x` as a hot-table field. Record positions and histogram bins number far fewer
/// than 2³² (the scenario's limits bound them), so this never fails in practice.
fn hot_index(x: usize) -> u32 {
    u32::try_from(x).unwrap_or_else(|_| panic!("record index {x} beyond the hot table's range"))
}

/// Statistics of a whole record (one value per position per path), as struct of
/// arrays. See the [module documentation](super) for the exact-merge guarantee.
///
/// Use: [`push`](RecordStats::push) every path of a batch, then
/// [`end_batch`](RecordStats::end_batch); merge closed states with
/// [`merge`](RecordStats::merge). Summaries, quantiles and JSON cover the
/// folded batches; a batch must be closed before merging or serialising.
///
/// # Examples
///
/// ```
/// use enclave::stats::{Plan, QuantileSpec, RecordStats};
///
/// let plan = Plan::new(vec![None, Some(QuantileSpec { bins: 2048, integer: false })]);
/// let mut whole = RecordStats::new(&plan, None);
/// let mut halves = [RecordStats::new(&plan, None), RecordStats::new(&plan, None)];
/// for batch in 0..4 {
///     for path in 0..8 {
///         let record = [path as f64 * 0.1, (batch * 8 + path) as f64];
///         whole.push(&record);
///         halves[batch / 2].push(&record);
///     }
///     whole.end_batch();
///     halves[batch / 2].end_batch();
/// }
/// let [mut a, b] = halves;
/// a.merge(&b).unwrap();
/// assert_eq!(a.to_json(), whole.to_json());
/// assert_eq!(a.quantiles(1, &[0.5]), Some(vec![15.5]));
/// ```
#[derive(Clone, Debug, Deserialize)]
#[serde(try_from = "RecordRepr")]
pub struct RecordStats {
    /// Which positions keep quantiles.
    plan: Plan,
    /// Exact moments per position (folded batches).
    moments: Vec<Moments>,
    /// Quantile states, in position order.
    slots: Vec<Slot>,
    /// Slot index per position.
    slot_of: Vec<Option<usize>>,
    /// Positions in histogram mode, in position order.
    hot: Vec<Hot>,
    /// Slots in exact mode, in position order.
    exact_slots: Vec<usize>,
    /// Narrow core counts of every position with a grid (empty until the
    /// first switch to a histogram).
    narrow: Vec<Narrow>,
    /// Wide core counts (empty until the first fold of `narrow`).
    wide: Vec<u64>,
    /// Upper bound of every narrow count (at most [`NARROW_LIMIT`]).
    bound: u64,
    /// Total core bins of the positions with a grid.
    total_bins: usize,
    /// Shifted sums of the open batch, per position.
    batch: Batches,
    /// Paths pushed in the open batch.
    batch_paths: u64,
    /// The antithetic pairs' statistics ([`RecordStats::with_pairs`]), from which
    /// standard errors come; `None` in ordinary runs (no cost there).
    pairs: Option<Box<Pairs>>,
}

impl RecordStats {
    /// These statistics for paths in antithetic pairs (2k, 2k + 1), pushed in path
    /// order with every batch holding whole pairs: the standard error of each
    /// mean is then that of the pairs' averages, `sd(pair averages) / √(pairs)`
    /// (see the `pairs` module), and the distribution-free intervals that assume
    /// independent paths ([`Self::quantile_intervals`], the tail's standard error
    /// of [`Self::lower_tail`]) are not given.
    pub fn with_pairs(mut self) -> Self {
        self.pairs = Some(Box::new(Pairs::new(self.plan.len())));
        self
    }

    /// Whether the paths come in antithetic pairs ([`Self::with_pairs`]).
    pub fn has_pairs(&self) -> bool {
        self.pairs.is_some()
    }

    /// The histogram grid of every position (`None` where it has none), as
    /// [`RecordStats::new`] takes them: statistics made with them merge with these.
    pub fn grids(&self) -> Option<Vec<Option<Grid>>> {
        if self.slots.iter().all(|s| s.grid.is_none()) {
            return None;
        }
        Some(
            self.slot_of
                .iter()
                .map(|slot| slot.and_then(|i| self.slots[i].grid.clone()))
                .collect(),
        )
    }

    /// Empty statistics for `plan`. `grids` holds one entry per position (only
    /// those of quantile positions are used); it may be `None` when the run has
    /// at most [`EXACT_CAP`] paths in total, as no position then needs a histogram.
    ///
    /// # Panics
    ///
    /// If `grids` does not have one entry per position (a programming error).
    pub fn new(plan: &Plan, grids: Option<Vec<Option<Grid>>>) -> Self {
        Self::with_moments(plan, grids, vec![Moments::default(); plan.len()])
    }

    /// [`RecordStats::new`] with the moments given (one per position), as read
    /// back: a record's empty moments (over 1 KB a position) are not made only to
    /// be replaced.
    fn with_moments(plan: &Plan, grids: Option<Vec<Option<Grid>>>, moments: Vec<Moments>) -> Self {
        let len = plan.len();
        debug_assert_eq!(moments.len(), len, "one moments entry per record position");
        if let Some(g) = &grids {
            assert_eq!(g.len(), len, "one grid entry per record position");
        }
        let mut grids = grids.unwrap_or_default();
        let mut slots = Vec::new();
        let mut slot_of = vec![None; len];
        let mut total_bins = 0;
        for (j, slot) in slot_of.iter_mut().enumerate() {
            if let Some(spec) = plan.quantile_spec(j) {
                *slot = Some(slots.len());
                let grid = grids.get_mut(j).and_then(Option::take);
                let offset = total_bins;
                total_bins += grid.as_ref().map_or(0, Grid::bins);
                slots.push(Slot {
                    position: j,
                    integer: spec.integer,
                    grid,
                    offset,
                    histogram: false,
                    exact: Vec::new(),
                    below: BTreeMap::new(),
                    above: BTreeMap::new(),
                });
            }
        }
        let mut stats = RecordStats {
            plan: plan.clone(),
            moments,
            slots,
            slot_of,
            hot: Vec::new(),
            exact_slots: Vec::new(),
            narrow: Vec::new(),
            wide: Vec::new(),
            bound: 0,
            total_bins,
            batch: Batches::new(len),
            batch_paths: 0,
            pairs: None,
        };
        stats.reindex();
        stats
    }

    /// Counts in its histogram the exact values of every position with a grid for
    /// which `bin(position)` holds. Merged with the rest of a run in which each
    /// of those positions ends with more than [`EXACT_CAP`] values, the state is
    /// the same as without binning (the run's state holds them in histograms
    /// anyway; the counts are the same whenever they are counted); see
    /// [`crate::engine::RunState::bin_defined`].
    pub fn bin_where(&mut self, bin: impl Fn(usize) -> bool) {
        let mut switched = false;
        for i in 0..self.slots.len() {
            let slot = &self.slots[i];
            if !slot.histogram && slot.grid.is_some() && bin(slot.position) {
                self.switch_to_histogram(i);
                switched = true;
            }
        }
        if switched {
            self.reindex();
        }
    }

    /// Rebuilds the hot table and the exact-mode list from the slots.
    fn reindex(&mut self) {
        self.hot.clear();
        self.exact_slots.clear();
        for (i, s) in self.slots.iter().enumerate() {
            match (&s.grid, s.histogram) {
                (Some(g), true) => {
                    let (lo, inv_width) = g.binning();
                    self.hot.push(Hot {
                        lo,
                        inv_width,
                        bins: hot_index(g.bins()),
                        position: hot_index(s.position),
                        offset: hot_index(s.offset),
                        slot: hot_index(i),
                    });
                }
                _ => self.exact_slots.push(i),
            }
        }
    }

    /// Records one path: `record[j]` is the value of position `j`. NaN counts as
    /// undefined and ±inf as non-finite; neither is used.
    ///
    /// Hot path: no division, and no allocation except exact-mode value lists
    /// (at most [`EXACT_CAP`] values each), the one-time switch of positions to
    /// histograms (and the flat counts, at the first), a new tail bin, and the
    /// wide counts at the first fold (after 2³² − 1 values).
    ///
    /// # Panics
    ///
    /// If `record` does not have one value per position.
    #[inline]
    pub fn push(&mut self, record: &[f64]) {
        assert_eq!(
            record.len(),
            self.batch.len(),
            "one value per record position"
        );
        self.batch.push(record);
        if let Some(pairs) = &mut self.pairs {
            pairs.push(record);
        }
        if self.bound >= NARROW_LIMIT {
            self.fold_narrow();
        }
        self.bound += 1;
        let narrow = &mut self.narrow[..];
        let slots = &mut self.slots;
        for h in &self.hot {
            let x = record[h.position as usize];
            let t = (x - h.lo) * h.inv_width;
            if t >= 0.0 && t < f64::from(h.bins) {
                // 0 ≤ t < bins ≤ u32::MAX, so the truncation is the floor (as in
                // `locate`); converting to u32 rather than usize saves the
                // unsigned 64-bit fix-up of the hottest line of the statistics.
                narrow[h.offset as usize + (t as u32) as usize] += 1;
            } else if x.is_finite() {
                add_tail(&mut slots[h.slot as usize], x, h);
            }
        }
        if !self.exact_slots.is_empty() {
            self.push_exact(record);
        }
        self.batch_paths += 1;
    }

    /// The exact-mode positions of [`push`](Self::push) (cold path).
    #[inline(never)]
    fn push_exact(&mut self, record: &[f64]) {
        let mut switched = false;
        for k in 0..self.exact_slots.len() {
            let i = self.exact_slots[k];
            let x = record[self.slots[i].position];
            if !x.is_finite() {
                continue;
            }
            let slot = &mut self.slots[i];
            if slot.exact.len() < EXACT_CAP {
                if slot.exact.capacity() == 0 && slot.grid.is_some() {
                    // It will hold EXACT_CAP + 1 values before switching: one
                    // allocation instead of a doubling's copies.
                    slot.exact.reserve_exact(EXACT_CAP + 1);
                }
                slot.exact.push(x);
            } else if slot.grid.is_some() {
                slot.exact.push(x);
                self.switch_to_histogram(i);
                switched = true;
            } else {
                debug_assert!(
                    false,
                    "more than {EXACT_CAP} quantile values without a grid"
                );
                slot.exact.push(x);
            }
        }
        if switched {
            self.reindex();
        }
    }

    /// Switches slot `i` (with a grid, in exact mode) to its histogram, counting
    /// its exact values (at most `EXACT_CAP + 1`) in it; the caller reindexes.
    fn switch_to_histogram(&mut self, i: usize) {
        if self.narrow.is_empty() {
            self.narrow = vec![0; self.total_bins];
        }
        let values = std::mem::take(&mut self.slots[i].exact);
        let slot = &mut self.slots[i];
        slot.histogram = true;
        self.bound = self.bound.max(EXACT_CAP as u64 + 1);
        let Some(grid) = &slot.grid else {
            unreachable!("only a slot with a grid switches to its histogram");
        };
        let (lo, inv_width) = grid.binning();
        let bins = grid.bins() as f64;
        let core = &mut self.narrow[slot.offset..slot.offset + grid.bins()];
        for x in values {
            match locate(x, lo, inv_width, bins) {
                Ok(b) => core[b] += 1,
                Err((false, key)) => *slot.below.entry(key).or_insert(0) += 1,
                Err((true, key)) => *slot.above.entry(key).or_insert(0) += 1,
            }
        }
    }

    /// Counts the finite value `x` in the histogram of slot `i`.
    fn add_value(&mut self, i: usize, x: f64) {
        let slot = &mut self.slots[i];
        let Some(grid) = &slot.grid else {
            unreachable!("a histogram exists only with a grid");
        };
        let (lo, inv_width) = grid.binning();
        match locate(x, lo, inv_width, grid.bins() as f64) {
            Ok(b) => self.narrow[slot.offset + b] += 1,
            Err((false, key)) => *slot.below.entry(key).or_insert(0) += 1,
            Err((true, key)) => *slot.above.entry(key).or_insert(0) += 1,
        }
    }

    /// Moves the narrow counts into the wide ones.
    fn fold_narrow(&mut self) {
        if self.wide.is_empty() {
            self.wide = vec![0; self.total_bins];
        }
        for (w, n) in self.wide.iter_mut().zip(&mut self.narrow) {
            *w += u64::from(*n);
            *n = 0;
        }
        self.bound = 0;
    }

    /// Core count `b` of slot `slot`.
    fn core_count(&self, slot: &Slot, b: usize) -> u64 {
        let i = slot.offset + b;
        self.wide.get(i).copied().unwrap_or(0) + u64::from(self.narrow[i])
    }

    /// Closes the batch: folds its shifted sums into the exact sums. Does
    /// nothing when no path was pushed since the last call.
    pub fn end_batch(&mut self) {
        if let Some(pairs) = &mut self.pairs {
            pairs.end_batch();
        }
        if self.batch_paths == 0 {
            return;
        }
        self.batch.fold_into(&mut self.moments);
        self.batch_paths = 0;
    }

    /// Adds everything `other` has folded, as if its batches had been run here.
    ///
    /// # Errors
    ///
    /// [`StatsError::PlanMismatch`] or [`StatsError::GridMismatch`] if the states
    /// were not built for the same plan and grids, [`StatsError::OpenBatch`] if
    /// either has an open batch, [`StatsError::NoGrid`] if a position would
    /// exceed [`EXACT_CAP`] values without a grid. On error `self` is unchanged.
    pub fn merge(&mut self, other: &RecordStats) -> Result<(), StatsError> {
        if self.plan != other.plan {
            return Err(StatsError::PlanMismatch);
        }
        if self.batch_paths > 0 || other.batch_paths > 0 {
            return Err(StatsError::OpenBatch);
        }
        if self.pairs.is_some() != other.pairs.is_some() {
            return Err(StatsError::PlanMismatch);
        }
        if [&self.pairs, &other.pairs]
            .iter()
            .any(|p| p.as_ref().is_some_and(|p| p.is_open()))
        {
            return Err(StatsError::OpenBatch);
        }
        for (a, b) in self.slots.iter().zip(&other.slots) {
            if a.grid != b.grid {
                return Err(StatsError::GridMismatch {
                    position: a.position,
                });
            }
            let needs_grid =
                a.histogram || b.histogram || a.exact.len() + b.exact.len() > EXACT_CAP;
            if a.grid.is_none() && needs_grid {
                return Err(StatsError::NoGrid {
                    position: a.position,
                });
            }
        }
        for (a, b) in self.moments.iter_mut().zip(&other.moments) {
            a.merge(b);
        }
        if let (Some(a), Some(b)) = (&mut self.pairs, &other.pairs) {
            a.merge(b);
        }
        // Narrow counts grow by at most other.bound (its narrow counts) plus
        // EXACT_CAP (its exact values) plus EXACT_CAP (ours, on a switch).
        let extra = 2 * EXACT_CAP as u64;
        let narrow_into_wide = self.bound + other.bound + extra > NARROW_LIMIT;
        if narrow_into_wide {
            self.fold_narrow();
            self.bound = extra;
        } else {
            self.bound += other.bound + extra;
        }
        for i in 0..self.slots.len() {
            let b = &other.slots[i];
            let a = &mut self.slots[i];
            if !a.histogram && !b.histogram && a.exact.len() + b.exact.len() <= EXACT_CAP {
                a.exact.extend_from_slice(&b.exact);
                continue;
            }
            if !self.slots[i].histogram {
                self.switch_to_histogram(i);
            }
            if !b.histogram {
                for &v in &b.exact {
                    self.add_value(i, v);
                }
                continue;
            }
            let bins = b.grid.as_ref().map_or(0, Grid::bins);
            let range = b.offset..b.offset + bins;
            if !other.wide.is_empty() || narrow_into_wide {
                if self.wide.is_empty() {
                    self.wide = vec![0; self.total_bins];
                }
                let wide = &mut self.wide[range.clone()];
                if !other.wide.is_empty() {
                    for (w, o) in wide.iter_mut().zip(&other.wide[range.clone()]) {
                        *w += o;
                    }
                }
                if narrow_into_wide {
                    for (w, o) in wide.iter_mut().zip(&other.narrow[range.clone()]) {
                        *w += u64::from(*o);
                    }
                }
            }
            if !narrow_into_wide {
                for (n, o) in self.narrow[range.clone()]
                    .iter_mut()
                    .zip(&other.narrow[range])
                {
                    *n += o;
                }
            }
            let a = &mut self.slots[i];
            for (k, c) in &b.below {
                *a.below.entry(*k).or_insert(0) += c;
            }
            for (k, c) in &b.above {
                *a.above.entry(*k).or_insert(0) += c;
            }
        }
        self.reindex();
        Ok(())
    }

    /// An upper estimate of the bytes statistics for `plan` hold once they have
    /// seen `paths` paths: per position its moments and open batch sums, and per
    /// quantile position its exact values (up to [`EXACT_CAP`]; a vector that
    /// grows to it by doubling ends at it) or, beyond, its histogram's counts. Used
    /// to refuse a run that would not fit in memory before it starts.
    pub fn bytes_estimate(plan: &Plan, paths: u64) -> f64 {
        use std::mem::size_of;
        let per_position =
            size_of::<Moments>() + size_of::<super::moments::Batch>() + size_of::<Option<usize>>();
        let exact = paths.min(EXACT_CAP as u64) as f64 * size_of::<f64>() as f64;
        let mut bytes = 0.0;
        for j in 0..plan.len() {
            bytes += per_position as f64;
            if let Some(spec) = plan.quantile_spec(j) {
                let histogram = if paths > EXACT_CAP as u64 {
                    spec.bins as f64 * (size_of::<Narrow>() + size_of::<u64>()) as f64
                } else {
                    0.0
                };
                bytes += (size_of::<Slot>() + size_of::<Hot>()) as f64 + exact.max(histogram);
            }
        }
        bytes
    }

    /// Number of record positions.
    pub fn len(&self) -> usize {
        self.plan.len()
    }

    /// Whether the record has no position.
    pub fn is_empty(&self) -> bool {
        self.plan.is_empty()
    }

    /// The plan these statistics follow.
    pub fn plan(&self) -> &Plan {
        &self.plan
    }

    /// Summary of position `j` over the folded batches.
    ///
    /// # Panics
    ///
    /// If `j ≥ len()`.
    pub fn summary(&self, j: usize) -> PositionSummary {
        let mut s = self.moments[j].summary();
        if let Some(pairs) = &self.pairs {
            // Antithetic pairs: the standard error of the pairs' averages.
            s.se = pairs.moments[j].summary().se;
        }
        s
    }

    /// Number of pairs with a defined value at position `j` under antithetic
    /// pairs ([`Self::with_pairs`]), `None` otherwise.
    pub fn pairs(&self, j: usize) -> Option<u64> {
        self.pairs.as_ref().map(|p| p.moments[j].n)
    }

    /// Quantiles `qs` of position `j` (see [`QuantileState::quantiles`] for the
    /// definition); `None` when the position keeps no quantiles, NaN entries
    /// when it has no finite value. Call after [`end_batch`](Self::end_batch).
    ///
    /// # Panics
    ///
    /// If `j ≥ len()`.
    pub fn quantiles(&self, j: usize, qs: &[f64]) -> Option<Vec<f64>> {
        let slot = &self.slots[self.slot_of[j]?];
        let m = &self.moments[j];
        let (min, max) = match (m.min, m.max) {
            (Some(a), Some(b)) => (a, b),
            _ => (f64::NEG_INFINITY, f64::INFINITY),
        };
        Some(
            self.state_of(slot)
                .quantiles(qs, slot.integer, slot.grid.as_ref(), min, max),
        )
    }

    /// The `level` confidence intervals of quantiles `qs` of position `j`
    /// ([`super::interval`]; NaN for an undefined end); `None` when the position
    /// keeps no quantiles.
    /// Under antithetic pairs ([`Self::with_pairs`]) every end is NaN: the order
    /// statistics' intervals assume independent paths.
    pub fn quantile_intervals(&self, j: usize, qs: &[f64], level: f64) -> Option<Vec<(f64, f64)>> {
        let slot = &self.slots[self.slot_of[j]?];
        let m = &self.moments[j];
        let (min, max) = match (m.min, m.max) {
            (Some(a), Some(b)) if self.pairs.is_none() => (a, b),
            _ => return Some(vec![(f64::NAN, f64::NAN); qs.len()]),
        };
        Some(self.state_of(slot).quantile_intervals(
            qs,
            level,
            slot.integer,
            slot.grid.as_ref(),
            min,
            max,
        ))
    }

    /// [`quantiles`](Self::quantiles) and [`quantile_intervals`](Self::quantile_intervals)
    /// of position `j` together, the same numbers for a fraction of the cost: the
    /// state is rebuilt and its exact values sorted once (each alone sorts a copy).
    /// A test checks they agree, with and without antithetic pairs.
    pub fn quantiles_with_intervals(
        &self,
        j: usize,
        qs: &[f64],
        level: f64,
    ) -> Option<QuantilesWithIntervals> {
        let slot = &self.slots[self.slot_of[j]?];
        let m = &self.moments[j];
        let mut state = self.state_of(slot);
        // Sorted once: the sorts inside find it sorted in one pass.
        state.canonicalise();
        let grid = slot.grid.as_ref();
        let (min, max) = (
            m.min.unwrap_or(f64::NEG_INFINITY),
            m.max.unwrap_or(f64::INFINITY),
        );
        let quantiles = state.quantiles(qs, slot.integer, grid, min, max);
        // As quantile_intervals: none without a finite value or under pairs.
        let intervals = if m.min.is_some() && m.max.is_some() && self.pairs.is_none() {
            state.quantile_intervals(qs, level, slot.integer, grid, min, max)
        } else {
            vec![(f64::NAN, f64::NAN); qs.len()]
        };
        Some((quantiles, intervals))
    }

    /// The mean of the lowest share `alpha` of position `j`'s values and its
    /// standard error ([`QuantileState::lower_tail`]); `None` when the position
    /// keeps no quantiles or has no finite value. Under antithetic pairs
    /// ([`Self::with_pairs`]) the standard error is NaN: it assumes independent
    /// paths.
    pub fn lower_tail(&self, j: usize, alpha: f64) -> Option<(f64, f64)> {
        let slot = &self.slots[self.slot_of[j]?];
        let m = &self.moments[j];
        let (min, max) = (m.min?, m.max?);
        let (mean, se) = self
            .state_of(slot)
            .lower_tail(alpha, slot.grid.as_ref(), min, max)?;
        Some((mean, if self.pairs.is_some() { f64::NAN } else { se }))
    }

    /// The quantile state of position `j`, rebuilt from the flat tables (for
    /// tests and diagnostics).
    pub fn quantile_state(&self, j: usize) -> Option<QuantileState> {
        Some(self.state_of(&self.slots[self.slot_of[j]?]))
    }

    /// The [`QuantileState`] a slot stands for.
    fn state_of(&self, slot: &Slot) -> QuantileState {
        if !slot.histogram {
            return QuantileState::Exact(slot.exact.clone());
        }
        let bins = slot.grid.as_ref().map_or(0, Grid::bins);
        let core = (0..bins).map(|b| self.core_count(slot, b)).collect();
        QuantileState::Histogram(Histogram::from_parts(
            core,
            slot.below.clone(),
            slot.above.clone(),
        ))
    }

    /// Loads histogram counts (checked by the caller) into slot `i`.
    fn load_sparse(&mut self, i: usize, sparse: Sparse) {
        if self.narrow.is_empty() {
            self.narrow = vec![0; self.total_bins];
        }
        let offset = self.slots[i].offset;
        for (b, c) in sparse.core {
            if c <= NARROW_LIMIT {
                self.narrow[offset + b] = c as Narrow;
                self.bound = self.bound.max(c);
            } else {
                if self.wide.is_empty() {
                    self.wide = vec![0; self.total_bins];
                }
                self.wide[offset + b] = c;
            }
        }
        let slot = &mut self.slots[i];
        slot.histogram = true;
        slot.exact = Vec::new();
        slot.below = sparse.below;
        slot.above = sparse.above;
    }

    /// Canonical JSON: equal states give equal strings. Covers folded batches
    /// only (an open batch is a precondition violation, checked in debug builds).
    pub fn to_json(&self) -> String {
        debug_assert_eq!(self.batch_paths, 0, "to_json with an open batch");
        // Plain data with string keys: serialisation cannot fail.
        serde_json::to_string(self).expect("statistics state serialises")
    }

    /// Reads a state written by [`to_json`](Self::to_json).
    ///
    /// # Errors
    ///
    /// [`StatsError::Json`] when the text is not JSON of a consistent state.
    pub fn from_json(text: &str) -> Result<Self, StatsError> {
        Ok(serde_json::from_str(text)?)
    }
}

/// Counts the finite value `x` of hot entry `h` outside the core (cold path).
#[cold]
#[inline(never)]
fn add_tail(slot: &mut Slot, x: f64, h: &Hot) {
    match locate(x, h.lo, h.inv_width, f64::from(h.bins)) {
        Ok(_) => unreachable!("the caller checked the core"),
        Err((false, key)) => *slot.below.entry(key).or_insert(0) += 1,
        Err((true, key)) => *slot.above.entry(key).or_insert(0) += 1,
    }
}

/// Serialised quantile slot.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SlotRepr {
    position: usize,
    grid: Option<Grid>,
    state: QuantileRepr,
}

/// Serialised state (canonical: normalised sums, sorted exact values).
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RecordRepr {
    plan: Plan,
    #[serde(deserialize_with = "reserved_seq")]
    moments: Vec<Moments>,
    quantiles: Vec<SlotRepr>,
    /// The antithetic pairs' moments (`None` in ordinary runs). Always written,
    /// as the partials' binary encoding (`shard::Packed`) reads fields by order.
    #[serde(default)]
    pairs: Option<PairsRepr>,
}

/// Most elements [`reserved_seq`] reserves before reading them.
const MAX_RESERVED: usize = 1 << 16;

/// A sequence read into a vector that reserves its announced length up front (up
/// to [`MAX_RESERVED`] elements): serde's own reserves at most 1 MiB and then
/// doubles, copying the moments (over 1 KB a position) each time; reserving saved
/// about 1% of the merge of 4 shards of 10,000 paths (460.7 → 455.0 M
/// instructions).
fn reserved_seq<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    struct Reserved<T>(std::marker::PhantomData<T>);
    impl<'de, T: Deserialize<'de>> serde::de::Visitor<'de> for Reserved<T> {
        type Value = Vec<T>;

        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a sequence")
        }

        fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<T>, A::Error> {
            let mut v = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(MAX_RESERVED));
            while let Some(x) = seq.next_element()? {
                v.push(x);
            }
            Ok(v)
        }
    }
    d.deserialize_seq(Reserved(std::marker::PhantomData))
}

impl Serialize for RecordStats {
    /// As its `RecordRepr`, made from a reference (serde's `into` would clone
    /// the whole state, histogram counts and all, first).
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        RecordRepr::from(self).serialize(s)
    }
}

impl RecordStats {
    /// The canonical serialised quantile state of `slot`: as
    /// `QuantileRepr::of(&self.state_of(slot))`, without building the dense
    /// histogram in between.
    fn repr_of(&self, slot: &Slot) -> QuantileRepr {
        if !slot.histogram {
            return QuantileRepr::of(&self.state_of(slot));
        }
        let bins = slot.grid.as_ref().map_or(0, Grid::bins);
        QuantileRepr::Histogram {
            core: (0..bins)
                .filter_map(|b| {
                    let c = self.core_count(slot, b);
                    (c > 0).then_some((b, c))
                })
                .collect(),
            below: slot.below.iter().map(|(k, c)| (*k, *c)).collect(),
            above: slot.above.iter().map(|(k, c)| (*k, *c)).collect(),
        }
    }
}

impl From<&RecordStats> for RecordRepr {
    fn from(r: &RecordStats) -> Self {
        let quantiles = r
            .slots
            .iter()
            .map(|s| SlotRepr {
                position: s.position,
                grid: s.grid.clone(),
                state: r.repr_of(s),
            })
            .collect();
        RecordRepr {
            pairs: r.pairs.as_deref().map(PairsRepr::from),
            plan: r.plan.clone(),
            moments: r.moments.clone(),
            quantiles,
        }
    }
}

/// A position's quantile state read back, to load into its slot.
enum Loaded {
    /// Exact values (a new slot is in exact mode).
    Exact(Vec<f64>),
    /// Histogram counts, loaded without a dense histogram in between.
    Sparse(Sparse),
}

impl TryFrom<RecordRepr> for RecordStats {
    type Error = String;

    fn try_from(r: RecordRepr) -> Result<Self, String> {
        if r.moments.len() != r.plan.len() {
            return Err(format!(
                "{} moments for {} positions",
                r.moments.len(),
                r.plan.len()
            ));
        }
        let mut grids = vec![None; r.plan.len()];
        let mut states = Vec::new();
        for s in r.quantiles {
            let spec = r
                .plan
                .quantile_spec(s.position)
                .ok_or_else(|| format!("position {} keeps no quantiles", s.position))?;
            if let Some(g) = &s.grid {
                if g.integer() != spec.integer || g.bins() != spec.bins.max(1) {
                    return Err(format!(
                        "grid of position {} disagrees with the plan",
                        s.position
                    ));
                }
            }
            let n = r.moments[s.position].n;
            let state = match (s.state, &s.grid) {
                // A histogram's sparse counts go straight into the flat arrays.
                (QuantileRepr::Histogram { core, below, above }, Some(grid)) => {
                    let sparse = Sparse::checked(core, below, above, grid)?;
                    if sparse.total != n {
                        return Err(format!("position {} counts disagree", s.position));
                    }
                    Loaded::Sparse(sparse)
                }
                (QuantileRepr::Histogram { .. }, None) => {
                    return Err(format!("position {}: a histogram needs a grid", s.position));
                }
                (QuantileRepr::Exact(values), grid) => {
                    let values = QuantileRepr::exact_values(values)?;
                    if values.len() > EXACT_CAP && grid.is_some() {
                        return Err(format!(
                            "position {} holds too many exact values",
                            s.position
                        ));
                    }
                    if values.len() > EXACT_CAP {
                        return Err(StatsError::NoGrid {
                            position: s.position,
                        }
                        .to_string());
                    }
                    if values.len() as u64 != n {
                        return Err(format!("position {} counts disagree", s.position));
                    }
                    Loaded::Exact(values)
                }
            };
            grids[s.position] = s.grid;
            states.push((s.position, state));
        }
        let mut stats = RecordStats::with_moments(&r.plan, Some(grids), r.moments);
        if states.len() != stats.slots.len() {
            return Err("one quantile state per quantile position".into());
        }
        for (i, (position, state)) in states.into_iter().enumerate() {
            if stats.slots[i].position != position {
                return Err("quantile states out of position order".into());
            }
            match state {
                Loaded::Exact(values) => stats.slots[i].exact = values,
                Loaded::Sparse(sparse) => stats.load_sparse(i, sparse),
            }
        }
        stats.reindex();
        if let Some(p) = r.pairs {
            stats.pairs = Some(Box::new(p.into_pairs(stats.plan.len())?));
        }
        Ok(stats)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::QuantileSpec;

    const BATCH: usize = 50;
    const BATCHES: usize = 40;

    fn plan() -> Plan {
        Plan::new(vec![
            None,
            Some(QuantileSpec {
                bins: 256,
                integer: false,
            }),
            Some(QuantileSpec {
                bins: 64,
                integer: true,
            }),
            None,
        ])
    }

    /// The record of path `p`: irregular values, some undefined or infinite.
    fn record(p: usize) -> [f64; 4] {
        let x = p as f64;
        [
            1e9 + 1e-3 * (x * 0.7).sin(),
            if p % 17 == 3 {
                f64::NAN
            } else {
                100.0 * (x * 1.3).cos().powi(3) + 0.01 * x
            },
            ((x * 0.31).sin() * 20.0 + 40.0).round(),
            if p % 29 == 5 {
                f64::INFINITY
            } else if p % 2 == 0 {
                -0.0
            } else {
                0.0
            },
        ]
    }

    fn grids(plan: &Plan) -> Vec<Option<Grid>> {
        let pilot: Vec<[f64; 4]> = (0..1024).map(record).collect();
        (0..plan.len())
            .map(|j| {
                plan.quantile_spec(j).map(|s| {
                    let values: Vec<f64> = pilot.iter().map(|r| r[j]).collect();
                    Grid::from_pilot(&values, s.bins, s.integer)
                })
            })
            .collect()
    }

    /// Statistics of the given batches, each run in its absolute path range.
    fn run(batches: impl IntoIterator<Item = usize>) -> RecordStats {
        let plan = plan();
        let mut stats = RecordStats::new(&plan, Some(grids(&plan)));
        for k in batches {
            for p in k * BATCH..(k + 1) * BATCH {
                stats.push(&record(p));
            }
            stats.end_batch();
        }
        stats
    }

    #[test]
    fn quantiles_with_intervals_are_quantiles_and_quantile_intervals() {
        // Exact mode (few paths), histogram mode (past the cap), with and without
        // antithetic pairs, every position (with and without quantiles).
        let plan = plan();
        let qs = [0.05, 0.25, 0.5, 0.75, 0.95];
        for (paths, pairs) in [(200, false), (200, true), (1400, false), (1400, true)] {
            let mut stats = RecordStats::new(&plan, Some(grids(&plan)));
            if pairs {
                stats = stats.with_pairs();
            }
            for p in 0..paths {
                stats.push(&record(p));
                if (p + 1) % 100 == 0 {
                    stats.end_batch();
                }
            }
            let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            let pair_bits = |v: &[(f64, f64)]| {
                v.iter()
                    .map(|(a, b)| (a.to_bits(), b.to_bits()))
                    .collect::<Vec<_>>()
            };
            for j in 0..plan.len() {
                let together = stats.quantiles_with_intervals(j, &qs, 0.95);
                let apart = stats
                    .quantiles(j, &qs)
                    .zip(stats.quantile_intervals(j, &qs, 0.95));
                assert_eq!(
                    together.map(|(q, ci)| (bits(&q), pair_bits(&ci))),
                    apart.map(|(q, ci)| (bits(&q), pair_bits(&ci))),
                    "position {j}, {paths} paths, pairs {pairs}"
                );
            }
        }
    }

    fn fingerprint(s: &RecordStats) -> Vec<u64> {
        let mut out = Vec::new();
        for j in 0..s.len() {
            let m = s.summary(j);
            out.extend([m.n, m.undefined, m.non_finite]);
            out.extend([m.mean, m.sd, m.se, m.min, m.max].map(f64::to_bits));
            if let Some(q) = s.quantiles(j, &[0.0, 0.05, 0.5, 0.95, 1.0]) {
                out.extend(q.iter().map(|v| v.to_bits()));
            }
        }
        out
    }

    #[test]
    fn one_run_halves_and_workers_agree_to_the_byte() {
        let whole = run(0..BATCHES);
        assert!(matches!(
            whole.quantile_state(1),
            Some(QuantileState::Histogram(_))
        ));
        let mut halves = run(BATCHES / 2..BATCHES);
        halves.merge(&run(0..BATCHES / 2)).expect("same plan");
        // Three workers taking batches round-robin, merged in a scrambled order,
        // and single-batch states merged one by one (exact unions first).
        let workers: Vec<RecordStats> = (0..3)
            .map(|w| run((0..BATCHES).filter(|k| k % 3 == w)))
            .collect();
        let mut threads = workers[2].clone();
        threads.merge(&workers[0]).expect("same plan");
        threads.merge(&workers[1]).expect("same plan");
        let mut singles = run([]);
        for k in (0..BATCHES).rev() {
            singles.merge(&run([k])).expect("same plan");
        }
        let json = whole.to_json();
        for other in [&halves, &threads, &singles] {
            assert_eq!(other.to_json(), json);
            assert_eq!(fingerprint(other), fingerprint(&whole));
        }
        let s = whole.summary(3);
        assert_eq!((s.n, s.non_finite), (2000 - 69, 69));
        assert_eq!(s.min.to_bits(), (-0.0f64).to_bits());
        assert_eq!(s.max.to_bits(), 0.0f64.to_bits());
        assert_eq!(whole.summary(1).undefined, 118);
        assert_eq!(whole.quantiles(0, &[0.5]), None);
        let q = whole
            .quantiles(2, &[0.01, 0.5, 0.99])
            .expect("quantile position");
        assert!(q.iter().all(|v| v.fract() == 0.0), "{q:?}");
    }

    #[test]
    fn json_round_trip_is_exact_and_checked() {
        for stats in [run(0..BATCHES), run(0..3), run([])] {
            let json = stats.to_json();
            let back = RecordStats::from_json(&json).expect("valid state");
            assert_eq!(back.to_json(), json);
            assert_eq!(fingerprint(&back), fingerprint(&stats));
        }
        let json = run(0..3).to_json();
        // Position 2 (all values defined) has the last n of 150: its count must
        // agree with its quantile state.
        let at = json.rfind(r#""n":150"#).expect("position 2 count");
        let miscounted = format!("{}\"n\":151{}", &json[..at], &json[at + 7..]);
        let unknown = json.replacen(r#""quantiles":["#, r#""quantiles":[],"x":["#, 1);
        let no_bins = json.replacen(r#""bins":64"#, r#""bins":0"#, 1);
        let w = json.find(r#""width":""#).expect("a grid width") + r#""width":""#.len();
        let w_end = w + json[w..].find('"').expect("the width's closing quote");
        let no_width = format!("{}0.0{}", &json[..w], &json[w_end..]);
        assert_ne!(no_width, json);
        for bad in [miscounted, unknown, no_bins, no_width] {
            assert!(
                matches!(RecordStats::from_json(&bad), Err(StatsError::Json(_))),
                "{bad}"
            );
        }
        assert!(RecordStats::from_json("{}").is_err());
    }

    #[test]
    fn merge_refuses_what_cannot_be_exact() {
        let plan = plan();
        let mut a = run(0..2);
        let other_plan = RecordStats::new(&Plan::moments_only(4), None);
        assert!(matches!(
            a.merge(&other_plan),
            Err(StatsError::PlanMismatch)
        ));
        let no_grids = RecordStats::new(&plan, None);
        assert!(matches!(
            a.merge(&no_grids),
            Err(StatsError::GridMismatch { position: 1 })
        ));
        let mut open = run(0..1);
        open.push(&record(0));
        assert!(matches!(a.merge(&open), Err(StatsError::OpenBatch)));
        // Without grids, exact states merge up to EXACT_CAP values and no further.
        let exact = |range: std::ops::Range<usize>| {
            let mut s = RecordStats::new(&plan, None);
            range.for_each(|p| s.push(&record(p)));
            s.end_batch();
            s
        };
        let mut x = exact(0..1000);
        x.merge(&exact(1000..1024)).expect("1024 values stay exact");
        let before = x.to_json();
        let err = x
            .merge(&exact(1024..1025))
            .expect_err("1025 values need a grid");
        assert!(matches!(err, StatsError::NoGrid { position: 2 }));
        assert_eq!(
            err.to_string(),
            "position 2 has more than 1024 quantile values but no grid"
        );
        assert_eq!(x.to_json(), before, "a failed merge changes nothing");
    }

    #[test]
    fn narrow_counts_fold_into_wide_ones_exactly() {
        let whole = run(0..BATCHES);
        // The same run with a fold forced mid-way (the bound pretends the u16
        // counts are full), and merges that must add narrow counts into wide ones.
        let plan = plan();
        let mut folded = RecordStats::new(&plan, Some(grids(&plan)));
        for k in 0..BATCHES {
            if k == BATCHES / 2 {
                folded.bound = NARROW_LIMIT - 1;
            }
            for p in k * BATCH..(k + 1) * BATCH {
                folded.push(&record(p));
            }
            folded.end_batch();
        }
        assert!(!folded.wide.is_empty() && folded.bound < NARROW_LIMIT);
        assert_eq!(folded.to_json(), whole.to_json());
        assert_eq!(fingerprint(&folded), fingerprint(&whole));
        let mut a = run(0..BATCHES / 2);
        let mut b = run(BATCHES / 2..BATCHES);
        b.bound = NARROW_LIMIT - 10;
        a.merge(&b).expect("same plan");
        assert!(!a.wide.is_empty());
        assert_eq!(a.to_json(), whole.to_json());
        let mut c = run(BATCHES / 2..BATCHES);
        c.merge(&folded).expect("same plan");
        c.merge(&run(0..BATCHES / 2)).expect("same plan");
        let mut twice = run(0..BATCHES);
        twice.merge(&run(0..BATCHES)).expect("same plan");
        assert_eq!(c.to_json(), twice.to_json());
    }

    #[test]
    fn end_batch_is_idempotent() {
        let mut a = run(0..2);
        let json = a.to_json();
        a.end_batch();
        a.end_batch();
        assert_eq!(a.to_json(), json);
        assert_eq!(a.len(), 4);
        assert!(!a.is_empty());
    }

    /// Paths `paths` pushed in batches of 256, with position 2 replaced by `f`.
    fn pushed(paths: std::ops::Range<usize>, f: impl Fn(usize, f64) -> f64) -> RecordStats {
        let plan = plan();
        let mut stats = RecordStats::new(&plan, Some(grids(&plan)));
        for p in paths {
            let mut r = record(p);
            r[2] = f(p, r[2]);
            stats.push(&r);
            if (p + 1) % 256 == 0 {
                stats.end_batch();
            }
        }
        stats.end_batch();
        stats
    }

    #[test]
    fn a_part_binned_early_merges_to_the_whole_run() {
        let same = |_, x| x;
        // Position 2 has a value on every path (1,400 in all: binned in the whole
        // run), position 1 is undefined on some. The parts end on the batches'
        // ends (every 256 paths), as a run's parts do.
        let whole = pushed(0..1400, same);
        let mut head = pushed(0..512, same);
        let exact = head.clone();
        head.bin_where(|position| position == 2);
        let binned = |s: &RecordStats| s.slots.iter().map(|x| x.histogram).collect::<Vec<_>>();
        assert_eq!(binned(&exact), [false, false]);
        assert_eq!(binned(&head), [false, true]);
        assert_eq!(binned(&whole), [true, true]);
        let tail = pushed(512..1400, same);
        head.merge(&tail).expect("same plan and grids");
        assert_eq!(head.to_json(), whole.to_json());

        // Binned from the start, as the engine's workers are in a run of more
        // than EXACT_CAP paths: no value of position 2 is kept, and the state is
        // the same.
        let plan = plan();
        let mut fresh = RecordStats::new(&plan, Some(grids(&plan)));
        fresh.bin_where(|position| position == 2);
        assert_eq!(binned(&fresh), [false, true]);
        for p in 0..1400 {
            fresh.push(&record(p));
            if (p + 1) % 256 == 0 {
                fresh.end_batch();
            }
            assert!(fresh.slots[1].exact.is_empty(), "path {p}");
        }
        fresh.end_batch();
        assert_eq!(fresh.to_json(), whole.to_json());

        // Where the whole run has at most EXACT_CAP values, binning early would
        // lose them: the run's own state keeps them exactly.
        let small = pushed(0..768, same);
        let mut early = pushed(0..512, same);
        early.bin_where(|position| position == 2);
        early
            .merge(&pushed(512..768, same))
            .expect("same plan and grids");
        assert_eq!(binned(&small), [false, false]);
        assert_ne!(early.to_json(), small.to_json());
    }

    #[test]
    fn a_slots_serialised_state_is_its_quantile_states() {
        // Exact, histogram with narrow counts, and with wide counts (past the
        // narrow limit) and tails.
        let mut wide = pushed(0..1400, |_, x| x);
        wide.fold_narrow();
        for stats in [pushed(0..300, |_, x| x), pushed(0..1400, |_, x| x), wide] {
            for slot in &stats.slots {
                let direct = serde_json::to_string(&stats.repr_of(slot)).unwrap();
                let via = serde_json::to_string(&QuantileRepr::of(&stats.state_of(slot))).unwrap();
                assert_eq!(direct, via, "position {}", slot.position);
            }
        }
    }
}
