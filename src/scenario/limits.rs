//! Limits on what a scenario file may ask for, each defined once.
//!
//! Validation checks against these constants and names their values in its
//! messages; docs/scenario.md lists them in its "Limits" section (a test keeps the
//! two in step). A limit that the simulation core relies on is defined next to
//! that code and only re-exported here, so the two can never disagree.

/// Longest horizon H in years (`[simulation] horizon`, `--horizon`).
pub const MAX_HORIZON: u32 = 200;

/// Fewest regions a scenario may have (`[[regions]]`).
pub const MIN_REGIONS: usize = 2;

/// Most regions a scenario may have (`[[regions]]`); the sharing formulas keep
/// per-region values in fixed arrays of this length.
pub const MAX_REGIONS: usize = crate::sharing::MAX_REGIONS;

/// Latest calendar year a date may have, in years after `scenario.start_year`
/// (`park.phases[].start_year`, `contributions[].year`).
pub const MAX_YEARS_AFTER_START: u32 = 1000;

/// Longest construction of a phase in years (`park.phases[].build_years`).
pub const MAX_BUILD_YEARS: u32 = 50;

/// Longest loan term in years (`company.loan_years`).
pub const MAX_LOAN_YEARS: u32 = 100;

/// Longest ramp-up of a sector in years (`firms.sectors[].ramp_years`).
pub const MAX_RAMP_YEARS: u32 = 50;

/// Most years of each part of a CIT holiday, free and half-rate
/// (`firms.sectors[].cit_holiday`).
pub const MAX_CIT_HOLIDAY_YEARS: u32 = 50;

/// Longest loss carry-forward in years (`firms.sectors[].loss_carry_years`); the
/// economy keeps each firm's losses in a fixed array of this length.
// The economy's constant is a small usize (10); the cast cannot truncate.
pub const MAX_LOSS_CARRY_YEARS: u32 = crate::economy::MAX_LOSS_CARRY as u32;

/// Longest tax rebate in years after a firm's arrival (`taxes.rebate.years`).
pub const MAX_REBATE_YEARS: u32 = 100;

/// Deepest nesting of sharing formulas below the top formula (`[[sharing]]`).
pub const MAX_FORMULA_DEPTH: usize = 8;

/// Most times the first stage re-reads a file to find its next unknown key or
/// wrong type; it bounds how many such problems one run can report.
pub const MAX_READ_PASSES: usize = 200;
