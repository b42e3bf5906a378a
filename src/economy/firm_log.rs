//! One park's firms kept for another park on the same path (docs/model.md §13,
//! "Simulating a coalition's park").
//!
//! A coalition's park differs from the scenario only in its contributions, equity,
//! bearers and alternatives ([`crate::coalition::park`]): its uncertain inputs, and so
//! every draw on every path, are the park's. A prospective firm of year t, index i
//! reads the same words of the `firms` stream in both parks, so it has the same
//! sector, land, origin, exit year and shocks; once admitted in both, its firm-years
//! are the same numbers as long as the two parks' revenue effects agree (the other
//! inputs of a firm-year — taxes, prices, sectors, the macro shock — are common to
//! both by construction). The park records each prospective firm's draws and each of
//! its firm-years ([`Share::Record`]); a coalition's park on the same path then takes
//! them instead of reading the words and computing the firm-years again
//! ([`Share::Replay`]), and computes only its own firms (those the park turned away,
//! those beyond the park's arrivals of the year, its `[initial]` firms). It adds
//! every firm-year in its own order, so what its NPV reads is bit for bit what
//! simulating it alone gives; it sums only that (the yearly tax pool, revenue,
//! occupied land, displaced firms' home taxes and provincial take) and leaves the
//! park's other yearly totals 0.

use rand::rngs::Xoshiro256PlusPlus;

/// How a path's simulation shares its firms with another park's
/// ([`super::simulate_path_shared`]).
#[derive(Debug)]
pub enum Share<'a> {
    /// Simulate alone.
    Off,
    /// Keep this park's prospective firms and firm-years in the log.
    Record(&'a mut FirmLog),
    /// Take the prospective firms and firm-years the log holds for this path, when
    /// this park's revenue effects are the recorded park's (simulate alone
    /// otherwise).
    Replay(&'a FirmLog),
}

/// Sentinel for "not in the log".
pub(super) const UNLOGGED: u32 = u32::MAX;

/// What a prospective firm's words decide, whatever park it comes to.
#[derive(Debug, Clone)]
pub(super) struct Prospect {
    pub(super) sector: u32,
    /// Mu it takes.
    pub(super) taken: f64,
    pub(super) relocated: bool,
    pub(super) displaced: bool,
    pub(super) exit_year: u32,
    /// Its generator of yearly shocks, unused.
    pub(super) shocks: Xoshiro256PlusPlus,
    /// Where its firm-years start in [`FirmLog::years`] (its arrival year's), or
    /// [`UNLOGGED`] when the recorded park turned it away.
    pub(super) at: u32,
}

/// One firm-year's part of the park's year totals that a park replaying it adds:
/// those its NPV reads (see [`super::firms::YearTotals`]).
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct FirmYear {
    /// Retained taxes net of the rebate.
    pub(super) pool: f64,
    pub(super) provincial: f64,
    pub(super) revenue: f64,
    /// Retained taxes it would have paid at home (displaced firms only).
    pub(super) displaced_tax: f64,
}

/// A path's prospective firms and firm-years of one park, reused from path to path.
#[derive(Debug, Clone, Default)]
pub struct FirmLog {
    /// The path recorded (`None` while nothing complete is).
    pub(super) path: Option<u64>,
    pub(super) horizon: usize,
    /// The recorded park's product of revenue effects by year.
    pub(super) revenue_mult: Vec<f64>,
    /// Prospective firms of every year in order of (year, index).
    pub(super) prospects: Vec<Prospect>,
    /// Where each year's prospective firms start in `prospects` (one more entry
    /// than years recorded).
    pub(super) year_start: Vec<usize>,
    /// Each admitted firm's firm-years, from its arrival year to its exit or the
    /// horizon, firm after firm.
    pub(super) years: Vec<FirmYear>,
    /// The path whose draws of the uncertain inputs `draws` holds.
    pub(super) draws_path: Option<u64>,
    /// The recorded park's draws of the uncertain inputs on `draws_path`: a park on
    /// the same path takes them instead of drawing them again (they are the same
    /// numbers, as its inputs are the recorded park's).
    pub(super) draws: Vec<f64>,
}

impl FirmLog {
    /// Starts recording a park with revenue effects `revenue_mult`.
    pub(super) fn start(&mut self, revenue_mult: &[f64]) {
        self.path = None;
        self.horizon = revenue_mult.len();
        self.revenue_mult.clear();
        self.revenue_mult.extend_from_slice(revenue_mult);
        self.prospects.clear();
        self.year_start.clear();
        self.years.clear();
    }

    /// Keeps the draws of the uncertain inputs of path `p`.
    pub(super) fn keep_draws(&mut self, p: u64, draws: &[f64]) {
        self.draws.clear();
        self.draws.extend_from_slice(draws);
        self.draws_path = Some(p);
    }

    /// The recorded park's draws on path `p`, if it kept `len` of them.
    pub(super) fn draws_of(&self, p: u64, len: usize) -> Option<&[f64]> {
        (self.draws_path == Some(p) && self.draws.len() == len).then_some(&self.draws[..])
    }

    /// Marks the recording of path `p` complete.
    pub(super) fn finish(&mut self, p: u64) {
        self.year_start.push(self.prospects.len());
        self.path = Some(p);
    }

    /// Whether a park on path `p` with revenue effects `revenue_mult` can take the
    /// recorded firms: the same path, horizon and revenue effects, bit for bit.
    pub(super) fn fits(&self, p: u64, revenue_mult: &[f64]) -> bool {
        self.path == Some(p)
            && self.horizon == revenue_mult.len()
            && self.year_start.len() == self.horizon + 1
            && self
                .revenue_mult
                .iter()
                .zip(revenue_mult)
                .all(|(a, b)| a.to_bits() == b.to_bits())
    }

    /// The recorded prospective firms of year `t`.
    pub(super) fn prospects_of(&self, t: usize) -> &[Prospect] {
        &self.prospects[self.year_start[t]..self.year_start[t + 1]]
    }

    /// Room for the firm-years of a firm arriving in year `t` and leaving at the
    /// start of year `exit`: where they start.
    pub(super) fn reserve(&mut self, t: u32, exit: u32) -> u32 {
        let at = self.years.len();
        let span = (exit as usize).min(self.horizon).saturating_sub(t as usize);
        self.years.resize(at + span, FirmYear::default());
        u32::try_from(at).unwrap_or(UNLOGGED)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{LOG_FIRM_YEAR_BYTES, LOG_PROSPECT_BYTES};

    /// The run's memory estimate counts each firm-year and prospective firm of the
    /// log at twice its size (room for the vectors' doubling), at least.
    #[test]
    fn the_memory_estimate_covers_the_log() {
        let bytes = |n: usize| (2 * n) as f64;
        assert!(bytes(size_of::<FirmYear>()) <= LOG_FIRM_YEAR_BYTES);
        assert!(bytes(size_of::<Prospect>()) <= LOG_PROSPECT_BYTES);
    }
}
