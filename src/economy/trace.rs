//! A trace of one path's firm-years, for `enclave run --replay P`.
//!
//! [`super::simulate_path_traced`] takes a [`Trace`]; the engine's paths pass
//! [`NoTrace`], whose methods are empty and inlined, so the monomorphised kernel
//! is the untraced one: the detail below is built only where a trace reads it.

use crate::scenario::TaxKind;

/// What a trace is told about a path, year by year and firm-year by firm-year.
/// Every method does nothing unless implemented.
pub trait Trace {
    /// Whether the trace reads anything: the kernel builds a firm-year's detail
    /// only when it does (a constant, so even an unoptimised build skips it).
    const ACTIVE: bool = true;
    /// Year `t` begins; `wage_per_job` is the year's average wage (jobs = wage
    /// bill / `wage_per_job`), `revenue_mult` the park's revenue effect.
    #[inline(always)]
    fn year(&mut self, _t: u32, _wage_per_job: f64, _revenue_mult: f64) {}
    /// One firm-year of the park, as it was computed.
    #[inline(always)]
    fn firm_year(&mut self, _fy: &FirmYearDetail) {}
}

/// The trace that records nothing: the engine's.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoTrace;

impl Trace for NoTrace {
    const ACTIVE: bool = false;
}

/// Everything the economy computes for one firm in one year (money in the
/// scenario's unit, at the year's prices).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FirmYearDetail {
    /// The firm's number on the path: its order of settling in the park (the
    /// `[initial]` firms first), from 0.
    pub id: u32,
    /// Sector index (the scenario's `[[firms.sectors]]` order).
    pub sector: u32,
    /// Year index of its arrival (0 for an `[initial]` firm).
    pub arrival: u32,
    /// Years it was in the park before year 0 (`[initial]` firms; else 0).
    pub age0: u32,
    /// Year index at whose start it leaves (at or beyond the horizon: it stays).
    pub exit_year: u32,
    /// Relocated from the origin region.
    pub relocated: bool,
    /// Displaced from the origin region (its home taxes are lost there).
    pub displaced: bool,
    /// Year index t.
    pub year: u32,
    /// Its age in the year (0 in its arrival year).
    pub age: u32,
    /// Mu it holds.
    pub land: f64,
    /// Revenue.
    pub revenue: f64,
    /// Value added (GDP).
    pub value_added: f64,
    /// Wage bill.
    pub wage_bill: f64,
    /// Profit after the fixed costs and deductible taxes.
    pub profit: f64,
    /// Taxable profit after the loss carry-forward.
    pub taxable: f64,
    /// Each tax kind's amount, all levels ([`TaxKind::index`] order: VAT, CIT, IIT,
    /// surcharges, land use, property).
    pub by_kind: [f64; TaxKind::COUNT],
    /// All taxes, all levels.
    pub total: f64,
    /// The local part, before the provincial take and rebates.
    pub local: f64,
    /// The provincial take.
    pub provincial: f64,
    /// The local part kept after the provincial take.
    pub retained: f64,
    /// Rebated to the firm out of `retained`.
    pub rebate: f64,
    /// Retained taxes net of the rebate: the firm's part of the pool LR_t.
    pub pool: f64,
    /// Retained taxes it would have paid at home (displaced firms only; else 0).
    pub displaced_tax: f64,
}
