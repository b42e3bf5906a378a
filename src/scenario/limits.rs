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

/// Most bytes the first stage re-reads in all (a file's size × its passes): a
/// file larger than `MAX_REREAD_BYTES / MAX_READ_PASSES` gets fewer passes, so
/// reading stays linear in the file's size.
pub const MAX_REREAD_BYTES: u64 = 256 << 20;

/// Earliest `scenario.start_year`.
pub const MIN_START_YEAR: i32 = 1900;

/// Latest `scenario.start_year`; with [`MAX_YEARS_AFTER_START`] and
/// [`MAX_HORIZON`] every calendar year the model names fits an `i32` exactly.
pub const MAX_START_YEAR: i32 = 2200;

/// Latest year of cooperation a `schedule` period may name
/// (`sharing[].*.periods[].years`); years beyond the horizon are never reached, so
/// `[11, 9999]` reads as "from year 11 on".
pub const MAX_SCHEDULE_YEAR: u32 = 9999;

/// Largest integer a number field takes exactly (2^53): beyond it an `f64` rounds.
pub const MAX_EXACT_INTEGER: i64 = 1 << 53;

/// Longest `scenario.id` in characters: it names the output folder, and file
/// systems allow 255 bytes for a name (a run's temporary folder adds about 30).
pub const MAX_ID_CHARS: usize = 100;

/// The `scenario.id` no scenario may have: it names a set's folder, `DIR/set/`,
/// beside the scenarios' folders (`crate::output::SET_DIR`), and a scenario of
/// that id would write over a set's files (or a set over its).
pub const RESERVED_ID: &str = "set";

/// Most sharing alternatives (`[[sharing]]`); each multiplies the statistics kept.
pub const MAX_ALTERNATIVES: usize = 100;

/// Most sectors (`[[firms.sectors]]`).
pub const MAX_SECTORS: usize = 100;

/// Most build phases (`[[park.phases]]`).
pub const MAX_PHASES: usize = 100;

/// Most contributions (`[[contributions]]`).
pub const MAX_CONTRIBUTIONS: usize = 1000;

/// Most periods of a `schedule` or tranches of a `tiered` formula.
pub const MAX_FORMULA_PARTS: usize = 100;

/// Largest scenario file in bytes (4 MiB); checked before the file is read. A
/// real scenario is tens of kilobytes; parsing a file of dense tables takes about
/// 80 bytes of memory per byte, so this bounds validation to a few hundred MB.
pub const MAX_FILE_BYTES: u64 = 4 << 20;

/// Most prospective firms a year may expect at the top of the arrival rate's
/// range: `firms.arrival_rate` × every contribution's `attractiveness` ×
/// `taxes.rebate.attractiveness` × the macro shock's multiplier at
/// [`MACRO_TAIL_SD`] standard deviations. Each prospective firm is drawn one by
/// one, so the rate bounds the work of a year.
pub const MAX_ARRIVALS_PER_YEAR: f64 = 1e6;

/// Standard deviations of the macro level m_t at which its multiplier e^m_t is
/// taken when bounding the arrival rate (a 1-in-10^9 draw).
pub const MACRO_TAIL_SD: f64 = 6.0;
/// Largest magnitude of any number in a scenario file, and of any value a
/// distribution can draw (its quantiles at 0 and 1, the unbounded tails of a
/// normal or lognormal taken at probabilities 1e-12 and 1 − 1e-12). Money amounts
/// in the money unit, rates, counts and areas all stay far below it; it keeps every
/// product the economy forms far from the double range.
pub const MAX_INPUT_MAGNITUDE: f64 = 1e12;

/// Fewest yuan a money unit may be (`scenario.yuan_per_unit`): a fen (分), the
/// smallest unit of the currency. A smaller unit turns every yuan amount the
/// model converts (the land use tax per m², the average wage for the IIT
/// schedule) into numbers far beyond any input's range (1e-300 gave a land use
/// tax of 4e300 money units per m², and a run that stopped at its first path).
pub const MIN_YUAN_PER_UNIT: f64 = 0.01;

/// Most yuan a money unit may be (`scenario.yuan_per_unit`): a trillion yuan
/// (万亿元), a thousand times the largest usual unit (十亿元).
pub const MAX_YUAN_PER_UNIT: f64 = 1e12;

/// Largest shape parameter of a `beta` distribution.
pub const MAX_BETA_SHAPE: f64 = crate::dist::MAX_BETA_SHAPE;

/// Largest magnitude of a path's result; a run stops at the first path beyond it
/// (or not finite), as the statistics could not hold it exactly.
pub const MAX_RESULT_MAGNITUDE: f64 = crate::engine::MAX_RESULT_MAGNITUDE;

/// Longest term of a land-use right in years (`company.land_term_years`): Chinese
/// terms are at most 70 years (residential), 50 for industrial land.
pub const MAX_LAND_TERM_YEARS: u32 = 100;

/// Latest year of cooperation from which a `tax` formula must stay the same when
/// `[outcome] continuation = "perpetuity"`: the years up to it are valued one by
/// one, and the pool grown at g ≤ 0.5 and discounted at ρ ≤ 1 over at most this many
/// years stays well inside the double range (1.5^1000 ≈ 10^176, 2^−1000 ≈ 10^−301).
pub const MAX_CONTINUATION_SETTLE_YEAR: u32 = 1000;

/// Most dated changes (`[[changes]]`) in a scenario.
pub const MAX_CHANGES: usize = 100;

/// Most firms `[initial]` may list, all groups together.
pub const MAX_INITIAL_FIRMS: u32 = 1_000_000;

/// Most years an initial firm may have been in the park before the start year.
pub const MAX_INITIAL_AGE: u32 = 200;

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = include_str!("../../docs/scenario.md");

    /// docs/scenario.md states every limit with its value from here, in its
    /// "Limits" table and where the field tables and prose mention it.
    #[test]
    fn scenario_reference_states_each_limit() {
        let expected = [
            format!("| `MAX_HORIZON` | {MAX_HORIZON} |"),
            format!("| `MIN_REGIONS` | {MIN_REGIONS} |"),
            format!("| `MAX_REGIONS` | {MAX_REGIONS} |"),
            format!("| `MAX_YEARS_AFTER_START` | {MAX_YEARS_AFTER_START} |"),
            format!("| `MAX_BUILD_YEARS` | {MAX_BUILD_YEARS} |"),
            format!("| `MAX_LOAN_YEARS` | {MAX_LOAN_YEARS} |"),
            format!("| `MAX_RAMP_YEARS` | {MAX_RAMP_YEARS} |"),
            format!("| `MAX_CIT_HOLIDAY_YEARS` | {MAX_CIT_HOLIDAY_YEARS} |"),
            format!("| `MAX_LOSS_CARRY_YEARS` | {MAX_LOSS_CARRY_YEARS} |"),
            format!("| `MAX_REBATE_YEARS` | {MAX_REBATE_YEARS} |"),
            format!("| `MAX_FORMULA_DEPTH` | {MAX_FORMULA_DEPTH} |"),
            format!("| `MAX_READ_PASSES` | {MAX_READ_PASSES} |"),
            format!("| `MAX_REREAD_BYTES` | {MAX_REREAD_BYTES} |"),
            format!("| `MIN_START_YEAR` | {MIN_START_YEAR} |"),
            format!("| `MAX_START_YEAR` | {MAX_START_YEAR} |"),
            format!("| `MAX_SCHEDULE_YEAR` | {MAX_SCHEDULE_YEAR} |"),
            format!("| `MAX_EXACT_INTEGER` | {MAX_EXACT_INTEGER} |"),
            format!("| `MAX_ID_CHARS` | {MAX_ID_CHARS} |"),
            format!("| Non-empty, at most {MAX_ID_CHARS} characters. ASCII letters"),
            format!("| `MAX_ALTERNATIVES` | {MAX_ALTERNATIVES} |"),
            format!("| `MAX_SECTORS` | {MAX_SECTORS} |"),
            format!("| `MAX_PHASES` | {MAX_PHASES} |"),
            format!("| `MAX_CONTRIBUTIONS` | {MAX_CONTRIBUTIONS} |"),
            format!("| `MAX_FORMULA_PARTS` | {MAX_FORMULA_PARTS} |"),
            format!("| `MAX_FILE_BYTES` | {MAX_FILE_BYTES} |"),
            format!("| `MAX_ARRIVALS_PER_YEAR` | {MAX_ARRIVALS_PER_YEAR} |"),
            format!("| `MACRO_TAIL_SD` | {MACRO_TAIL_SD} |"),
            format!("| `MAX_INPUT_MAGNITUDE` | {MAX_INPUT_MAGNITUDE:e} |"),
            format!("| `MIN_YUAN_PER_UNIT` | {MIN_YUAN_PER_UNIT} |"),
            format!("| `MAX_YUAN_PER_UNIT` | {MAX_YUAN_PER_UNIT:e} |"),
            format!(
                "| `yuan_per_unit` | number | from a usual `money_unit`, else `1e6` | {MIN_YUAN_PER_UNIT} – {MAX_YUAN_PER_UNIT:e} |"
            ),
            format!("| `MAX_BETA_SHAPE` | {MAX_BETA_SHAPE:e} |"),
            format!("| `MAX_RESULT_MAGNITUDE` | {MAX_RESULT_MAGNITUDE:e} |"),
            format!("| `MAX_LAND_TERM_YEARS` | {MAX_LAND_TERM_YEARS} |"),
            format!("| `MAX_CONTINUATION_SETTLE_YEAR` | {MAX_CONTINUATION_SETTLE_YEAR} |"),
            format!("| `MAX_CHANGES` | {MAX_CHANGES} |"),
            format!("| `MAX_INITIAL_FIRMS` | {MAX_INITIAL_FIRMS} |"),
            format!("| `MAX_INITIAL_AGE` | {MAX_INITIAL_AGE} |"),
            format!("| `count` | integer | required | 0 – {MAX_INITIAL_FIRMS} |"),
            format!("| `age` | integer | `0` | 0 – {MAX_INITIAL_AGE} |"),
            format!("| `debt_years` | integer | `company.loan_years` | 1 – {MAX_LOAN_YEARS} |"),
            format!("| `land_term_years` | integer | `50` | 1 – {MAX_LAND_TERM_YEARS} |"),
            format!("| `horizon` | integer | `30` | 1 – {MAX_HORIZON} |"),
            format!("`--horizon YEARS` (1 – {MAX_HORIZON})"),
            format!("the\n{MIN_REGIONS}–{MAX_REGIONS} regions"),
            format!("There must be {MIN_REGIONS} to {MAX_REGIONS} of them"),
            format!("between `start_year` and `start_year + {MAX_YEARS_AFTER_START}`"),
            format!(
                "calendar year from `start_year` to `start_year + {MAX_YEARS_AFTER_START}` | Year construction starts."
            ),
            format!(
                "calendar year from `start_year` to `start_year + {MAX_YEARS_AFTER_START}` | Year of the contribution."
            ),
            format!("| `build_years` | integer | `2` | 1 – {MAX_BUILD_YEARS} |"),
            format!("| `loan_years` | integer | `15` | 1 – {MAX_LOAN_YEARS} |"),
            format!("| `ramp_years` | integer | `0` | 0 – {MAX_RAMP_YEARS} |"),
            format!(
                "| `cit_holiday` | array of 2 integers | `[0, 0]` | each 0 – {MAX_CIT_HOLIDAY_YEARS} |"
            ),
            format!("| `loss_carry_years` | integer | `5` | 0 – {MAX_LOSS_CARRY_YEARS} |"),
            format!("| `years` | integer | `0` | 0 – {MAX_REBATE_YEARS} |"),
            format!("at most {MAX_FORMULA_DEPTH} levels below the top formula"),
            format!("| `start_year` | integer | required | {MIN_START_YEAR} – {MAX_START_YEAR} |"),
            format!("with `last ≥ first`, each 1 – {MAX_SCHEDULE_YEAR}."),
        ];
        let missing: Vec<&String> = expected
            .iter()
            .filter(|e| !DOC.contains(e.as_str()))
            .collect();
        assert!(missing.is_empty(), "docs/scenario.md lacks {missing:#?}");
    }
}
