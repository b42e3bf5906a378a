//! [`RecordStats`]: the statistics of every position of a path record.

use serde::{Deserialize, Serialize};

use super::moments::{Batch, Moments};
use super::quantile::{EXACT_CAP, Grid, QuantileRepr, QuantileState};
use super::{Plan, PositionSummary, StatsError};

/// Quantile state of one position that keeps quantiles.
#[derive(Clone, Debug, PartialEq)]
struct Slot {
    /// Record position.
    position: usize,
    /// Whether the measure is integer-valued.
    integer: bool,
    /// Histogram grid (`None` when the run has at most [`EXACT_CAP`] paths).
    grid: Option<Grid>,
    /// Values or counts.
    state: QuantileState,
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
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(into = "RecordRepr", try_from = "RecordRepr")]
pub struct RecordStats {
    /// Which positions keep quantiles.
    plan: Plan,
    /// Exact moments per position (folded batches).
    moments: Vec<Moments>,
    /// Quantile states, in position order.
    slots: Vec<Slot>,
    /// Slot index per position.
    slot_of: Vec<Option<usize>>,
    /// Shifted sums of the open batch, per position.
    batch: Vec<Batch>,
    /// Paths pushed in the open batch.
    batch_paths: u64,
}

impl RecordStats {
    /// Empty statistics for `plan`. `grids` holds one entry per position (only
    /// those of quantile positions are used); it may be `None` when the run has
    /// at most [`EXACT_CAP`] paths in total, as no position then needs a histogram.
    ///
    /// # Panics
    ///
    /// If `grids` does not have one entry per position (a programming error).
    pub fn new(plan: &Plan, grids: Option<Vec<Option<Grid>>>) -> Self {
        let len = plan.len();
        if let Some(g) = &grids {
            assert_eq!(g.len(), len, "one grid entry per record position");
        }
        let mut grids = grids.unwrap_or_default();
        let mut slots = Vec::new();
        let mut slot_of = vec![None; len];
        for (j, slot) in slot_of.iter_mut().enumerate() {
            if let Some(spec) = plan.quantile_spec(j) {
                *slot = Some(slots.len());
                slots.push(Slot {
                    position: j,
                    integer: spec.integer,
                    grid: grids.get_mut(j).and_then(Option::take),
                    state: QuantileState::default(),
                });
            }
        }
        RecordStats {
            plan: plan.clone(),
            moments: vec![Moments::default(); len],
            slots,
            slot_of,
            batch: vec![Batch::EMPTY; len],
            batch_paths: 0,
        }
    }

    /// Records one path: `record[j]` is the value of position `j`. NaN counts as
    /// undefined and ±inf as non-finite; neither is used.
    ///
    /// Hot path: no division, and no allocation except exact-mode value lists
    /// (at most [`EXACT_CAP`] values each), the one-time switch of a position to a
    /// histogram, and a new tail bin.
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
        for (b, &x) in self.batch.iter_mut().zip(record) {
            b.push(x);
        }
        for slot in &mut self.slots {
            let x = record[slot.position];
            if x.is_finite() {
                slot.state.push(x, slot.grid.as_ref());
            }
        }
        self.batch_paths += 1;
    }

    /// Closes the batch: folds its shifted sums into the exact sums. Does
    /// nothing when no path was pushed since the last call.
    pub fn end_batch(&mut self) {
        if self.batch_paths == 0 {
            return;
        }
        for (m, b) in self.moments.iter_mut().zip(&mut self.batch) {
            if !b.is_empty() {
                m.fold(b);
                *b = Batch::EMPTY;
            }
        }
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
        for (a, b) in self.slots.iter().zip(&other.slots) {
            if a.grid != b.grid {
                return Err(StatsError::GridMismatch {
                    position: a.position,
                });
            }
            if a.grid.is_none() && a.state.merge_needs_grid(&b.state) {
                return Err(StatsError::NoGrid {
                    position: a.position,
                });
            }
        }
        for (a, b) in self.moments.iter_mut().zip(&other.moments) {
            a.merge(b);
        }
        for (a, b) in self.slots.iter_mut().zip(&other.slots) {
            a.state.merge(&b.state, a.grid.as_ref());
        }
        Ok(())
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
        self.moments[j].summary()
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
            slot.state
                .quantiles(qs, slot.integer, slot.grid.as_ref(), min, max),
        )
    }

    /// The quantile state of position `j` (for tests and diagnostics).
    pub fn quantile_state(&self, j: usize) -> Option<&QuantileState> {
        Some(&self.slots[self.slot_of[j]?].state)
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
    moments: Vec<Moments>,
    quantiles: Vec<SlotRepr>,
}

impl From<RecordStats> for RecordRepr {
    fn from(r: RecordStats) -> Self {
        RecordRepr {
            plan: r.plan,
            moments: r.moments,
            quantiles: r
                .slots
                .iter()
                .map(|s| SlotRepr {
                    position: s.position,
                    grid: s.grid.clone(),
                    state: QuantileRepr::of(&s.state),
                })
                .collect(),
        }
    }
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
            let state = s.state.into_state(s.grid.as_ref())?;
            if let QuantileState::Exact(v) = &state {
                if v.len() > EXACT_CAP && s.grid.is_some() {
                    return Err(format!(
                        "position {} holds too many exact values",
                        s.position
                    ));
                }
                if v.len() > EXACT_CAP {
                    return Err(StatsError::NoGrid {
                        position: s.position,
                    }
                    .to_string());
                }
            }
            if state.count() != r.moments[s.position].n {
                return Err(format!("position {} counts disagree", s.position));
            }
            grids[s.position] = s.grid;
            states.push((s.position, state));
        }
        let mut stats = RecordStats::new(&r.plan, Some(grids));
        if states.len() != stats.slots.len() {
            return Err("one quantile state per quantile position".into());
        }
        for (slot, (position, state)) in stats.slots.iter_mut().zip(states) {
            if slot.position != position {
                return Err("quantile states out of position order".into());
            }
            slot.state = state;
        }
        stats.moments = r.moments;
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
        let no_width = json.replacen(r#""width":"13.0""#, r#""width":"0.0""#, 1);
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
    fn end_batch_is_idempotent() {
        let mut a = run(0..2);
        let json = a.to_json();
        a.end_batch();
        a.end_batch();
        assert_eq!(a.to_json(), json);
        assert_eq!(a.len(), 4);
        assert!(!a.is_empty());
    }
}
