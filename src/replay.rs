//! `enclave run --replay P`: one path, simulated alone, in full yearly detail.
//!
//! An auditor follows one future by hand: every firm and firm-year (revenue,
//! land, jobs, each tax by kind and level), the park's and each region's yearly
//! amounts, and each region's yearly cash flow under every alternative, with the
//! path's record as the full run's `--keep-paths` files hold it.
//!
//! The record comes from [`engine::run_path`], the very code a run's workers
//! call for path P, so it is that path's, bit for bit. The detail comes from a
//! second simulation of the path with a [`Trace`] ([`simulate_path_traced`]), and
//! is checked against the first: every yearly series of the traced path must
//! equal the record's path to the bit, and every alternative's re-evaluated cash
//! flows the record's, or the replay fails (a bug, never expected). The engine
//! passes [`crate::economy::NoTrace`], whose calls compile to nothing.
//!
//! The files are documented in docs/replay.md.

use std::path::Path;

use crate::economy::{EconomyPath, FirmYearDetail, Share, Trace, Workspace, simulate_path_traced};
use crate::engine::{self, Batch, Layout, PathScratch, RunConfig};
use crate::outcome::{self, OutcomeScratch};
use crate::output::{self, OutputError, PathsWriter, cell};
use crate::scenario::{Scenario, TaxKind};
use crate::schema::{RegionMetric, RegionSeries};
use crate::streams::Streams;

/// The files a replay writes besides [`output::PATHS_FILES`] (the path's record).
pub const REPLAY_FILES: [&str; 5] = [
    "firms.csv",
    "firm_years.csv",
    "park_years.csv",
    "region_years.csv",
    "cash_flows.csv",
];

/// What a replay folder records of the run whose path it replays, in
/// [`REPLAY_RECORD`], beside a copy of the scenario file (`scenario.toml`): the
/// folder is published whole with a manifest, as a run's is, so a replay that
/// stops half way leaves the earlier one as it was (its files were written one
/// by one into the folder, and said nothing of the run: exploratory test).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ReplayRecord {
    /// The engine that replayed it (`enclave <version>`).
    pub engine: String,
    /// The scenario's id.
    pub scenario_id: String,
    /// The scenario file as given.
    pub scenario_file: String,
    /// SHA-256 of the scenario file (the copy beside it has the same).
    pub scenario_sha256: String,
    /// The run's seed.
    pub seed: u64,
    /// The path replayed.
    pub path: u64,
    /// The run's paths (the path may be beyond them: a run of more holds it).
    pub paths: u64,
    /// Years simulated.
    pub horizon: u32,
    /// Whether the regions' coalitions were computed (`--fairness`, or the
    /// scenario's `[simulation] fairness`): `paths.csv`'s Shapley column is
    /// filled only then, so two replays that differ by it had the same record
    /// (exploratory test). run.json records it under the same name.
    #[serde(default)]
    pub coalitions: bool,
    /// The generator and how streams are keyed, as run.json records it.
    #[serde(default)]
    pub prng: String,
    /// The sampler of the uncertain inputs, its options and the copula, as
    /// run.json records it: the path's draws are its design point.
    #[serde(default)]
    pub sampler: String,
    /// The math library's fingerprint on this machine ([`crate::mathlib::fingerprint`]).
    pub math: String,
}

/// The record of a replay folder ([`ReplayRecord`]).
pub const REPLAY_RECORD: &str = "replay.json";

/// The folder of path `p` of scenario `id` under the output folder.
pub fn folder_name(id: &str, p: u64) -> String {
    format!("{id}.replay-{p}")
}

/// The trace that keeps every firm-year and each year's average wage.
#[derive(Debug, Default)]
struct Collect {
    firm_years: Vec<FirmYearDetail>,
    wage_per_job: Vec<f64>,
    revenue_mult: Vec<f64>,
}

impl Trace for Collect {
    fn year(&mut self, _t: u32, wage_per_job: f64, revenue_mult: f64) {
        self.wage_per_job.push(wage_per_job);
        self.revenue_mult.push(revenue_mult);
    }
    fn firm_year(&mut self, fy: &FirmYearDetail) {
        self.firm_years.push(*fy);
    }
}

/// One path replayed.
#[derive(Debug, Clone)]
pub struct Replay {
    /// Path index.
    pub path: u64,
    /// The path's record, as the run's statistics take it.
    pub record: Vec<f64>,
    /// Its draws of the uncertain inputs.
    pub draws: Vec<f64>,
    /// Its record layout.
    pub layout: Layout,
    /// The park's path: every yearly series.
    pub economy: EconomyPath,
    /// Every firm-year of the park, year by year, in the order computed.
    pub firm_years: Vec<FirmYearDetail>,
    /// Each year's average wage (jobs = wage bill ÷ it).
    pub wage_per_job: Vec<f64>,
    /// Each year's revenue effect of the park.
    pub revenue_mult: Vec<f64>,
    /// `[alternative][region][year]` allocations: tax, land, guarantee, withheld,
    /// GDP credit ([`OutcomeScratch::allocations`]).
    pub allocations: Vec<[f64; 5]>,
}

/// Why a replay failed: its trace disagrees with the path's record.
/// Why a path cannot be replayed.
#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    /// The traced simulation disagrees with the path's record (a bug).
    #[error(
        "the replay of path {path} disagrees with the path's record ({what}); this is a bug, please report it"
    )]
    Disagrees {
        /// Path.
        path: u64,
        /// What differs.
        what: String,
    },
    /// The run's sampler cannot take its paths (an odd count under antithetic pairs).
    #[error(transparent)]
    Sampler(#[from] crate::streams::SamplerError),
    /// A Latin hypercube's path beyond the run's paths: its design depends on them.
    #[error(
        "path {path} is beyond the run's {paths} paths, and a Latin hypercube's design depends on the run's path count (its strata are 1/N wide): replay a path below {paths}, or give the run's --paths"
    )]
    BeyondDesign {
        /// Path.
        path: u64,
        /// The run's paths.
        paths: u64,
    },
    /// A Sobol path beyond its design's last point: no run holds it (its index
    /// would wrap to an earlier point's).
    #[error(
        "path {path} is beyond every Sobol run: the Sobol sampler takes at most {points} design points (a u32 index), which make paths 0 to {last}; replay a path below {paths}"
    )]
    BeyondSobol {
        /// Path.
        path: u64,
        /// The most design points the sampler takes.
        points: u64,
        /// The paths they make (twice the points under antithetic pairs).
        paths: u64,
        /// The last of them.
        last: u64,
    },
}

/// Replays path `p` of the run `cfg` of `scn`, with the run's streams and
/// sampler (its Latin hypercube or Sobol points, its antithetic pairs). Paths
/// are stream indices, so `p` may be at or beyond `cfg.paths`, except under a
/// Latin hypercube, whose design is fixed by the run's path count.
///
/// # Errors
/// [`ReplayError::Disagrees`] if the traced simulation disagrees with the
/// record's (a bug); the others if the run's sampler cannot give path `p`.
pub fn replay(scn: &Scenario, cfg: &RunConfig, p: u64) -> Result<Replay, ReplayError> {
    let layout = Layout::new(scn, cfg.horizon);
    let sampler = scn.simulation.sampler;
    if p >= cfg.paths && sampler.needs_fixed_paths() {
        return Err(ReplayError::BeyondDesign {
            path: p,
            paths: cfg.paths,
        });
    }
    if let Some(paths) = sampler.most_paths()
        && p >= paths
    {
        // Its design point would wrap to an earlier path's: path 2^32 was
        // replayed as path 0's inputs (exploratory test).
        return Err(ReplayError::BeyondSobol {
            path: p,
            points: crate::qmc::MAX_SOBOL_PATHS,
            paths,
            last: paths - 1,
        });
    }
    // The run's own streams: the same inputs as path p of the full run.
    let streams = Streams::for_run(cfg.seed, cfg.paths, sampler, &scn.params)?;
    let mut scratch = PathScratch::default();
    let mut record = vec![0.0; layout.len()];
    engine::run_path(scn, cfg.horizon, &streams, p, &mut scratch, &mut record);
    let mut ws = Workspace::default();
    let mut trace = Collect::default();
    simulate_path_traced(
        scn,
        cfg.horizon,
        &streams,
        p,
        &mut ws,
        Share::Off,
        &mut trace,
    );
    let fail = |what: String| ReplayError::Disagrees { path: p, what };
    if let Some(what) = differs(&scratch.economy.out, &ws.out) {
        return Err(fail(format!("the traced path's {what}")));
    }
    if ws
        .draws
        .iter()
        .map(|x| x.to_bits())
        .ne(scratch.economy.draws.iter().map(|x| x.to_bits()))
    {
        return Err(fail("the input draws".into()));
    }
    let (n, h) = (layout.regions, layout.horizon);
    let mut out = OutcomeScratch::default();
    let mut metrics = vec![0.0; n * RegionMetric::COUNT];
    let mut series = vec![0.0; n * RegionSeries::COUNT * h];
    let mut allocations = Vec::with_capacity(layout.alternatives * n * h);
    for (a, alt) in scn.alternatives.iter().enumerate() {
        outcome::evaluate(&ws.out, alt, &mut out, &mut metrics, &mut series);
        for r in 0..n {
            for t in 0..h {
                let s = (r * RegionSeries::COUNT + RegionSeries::CashFlow.index()) * h + t;
                let j = layout.region_series(a, r, RegionSeries::CashFlow, t);
                if series[s].to_bits() != record[j].to_bits() {
                    return Err(fail(format!(
                        "cash flow of region {} under {} in year {t}",
                        scn.regions[r].id, alt.name
                    )));
                }
                allocations.push(out.allocations(h, r, t));
            }
        }
    }
    let firm_years_total: u64 = trace.firm_years.len() as u64;
    if firm_years_total != ws.out.firm_years {
        return Err(fail("the number of firm-years".into()));
    }
    Ok(Replay {
        path: p,
        record,
        draws: ws.draws.clone(),
        layout,
        economy: ws.out,
        firm_years: trace.firm_years,
        wage_per_job: trace.wage_per_job,
        revenue_mult: trace.revenue_mult,
        allocations,
    })
}

/// The first yearly series (or number) of `b` that is not `a`'s, bit for bit.
fn differs(a: &EconomyPath, b: &EconomyPath) -> Option<String> {
    let same = |x: &[f64], y: &[f64]| {
        x.len() == y.len() && x.iter().zip(y).all(|(p, q)| p.to_bits() == q.to_bits())
    };
    let pairs: [(&str, &[f64], &[f64]); 31] = [
        ("equity", &a.equity, &b.equity),
        ("equity_by_year", &a.equity_by_year, &b.equity_by_year),
        ("discount_rate", &a.discount_rate, &b.discount_rate),
        ("outside_option", &a.outside_option, &b.outside_option),
        (
            "cash_contributions",
            &a.cash_contributions,
            &b.cash_contributions,
        ),
        ("in_kind", &a.in_kind, &b.in_kind),
        (
            "opportunity_costs",
            &a.opportunity_costs,
            &b.opportunity_costs,
        ),
        ("costs_borne", &a.costs_borne, &b.costs_borne),
        ("capital_calls", &a.capital_calls, &b.capital_calls),
        ("dividends", &a.dividends, &b.dividends),
        ("terminal", &a.terminal, &b.terminal),
        ("displaced", &a.displaced, &b.displaced),
        (
            "cumulative_contributions",
            &a.cumulative_contributions,
            &b.cumulative_contributions,
        ),
        ("invested_capital", &a.invested_capital, &b.invested_capital),
        ("tax_pool", &a.tax_pool, &b.tax_pool),
        ("land_pool", &a.land_pool, &b.land_pool),
        ("gdp", &a.gdp, &b.gdp),
        ("firms", &a.firms, &b.firms),
        ("occupancy", &a.occupancy, &b.occupancy),
        ("tax_total", &a.tax_total, &b.tax_total),
        ("tax_central", &a.tax_central, &b.tax_central),
        ("tax_local", &a.tax_local, &b.tax_local),
        ("rebates", &a.rebates, &b.rebates),
        ("jobs", &a.jobs, &b.jobs),
        ("land_sales", &a.land_sales, &b.land_sales),
        ("pdc_flow", &a.pdc_flow, &b.pdc_flow),
        ("provincial", &a.provincial, &b.provincial),
        ("tax_provincial", &a.tax_provincial, &b.tax_provincial),
        ("land_buybacks", &a.land_buybacks, &b.land_buybacks),
        ("pool_by_kind", &a.pool_by_kind, &b.pool_by_kind),
        ("land_costs_borne", &a.land_costs_borne, &b.land_costs_borne),
    ];
    pairs
        .iter()
        .find(|(_, x, y)| !same(x, y))
        .map(|(name, _, _)| (*name).to_owned())
        .or_else(|| (a.firm_years != b.firm_years).then(|| "firm_years".to_owned()))
        .or_else(|| (a.turned_away != b.turned_away).then(|| "turned_away".to_owned()))
}

/// Header of firm_years.csv.
pub const FIRM_YEARS_HEADER: [&str; 29] = [
    "year",
    "t",
    "firm",
    "sector",
    "age",
    "land_mu",
    "revenue",
    "value_added",
    "wage_bill",
    "jobs",
    "profit",
    "taxable_profit",
    "vat",
    "cit",
    "iit",
    "surcharges",
    "land_use_tax",
    "property_tax",
    "tax_total",
    "tax_central",
    "tax_local",
    "tax_provincial",
    "tax_retained",
    "rebate",
    "tax_pool",
    "displaced_home_tax",
    "relocated",
    "displaced",
    "revenue_effect",
];

/// Header of firms.csv.
pub const FIRMS_HEADER: [&str; 14] = [
    "firm",
    "sector",
    "arrival_year",
    "exit_year",
    "initial_age",
    "land_mu",
    "relocated",
    "displaced",
    "firm_years",
    "revenue",
    "tax_total",
    "tax_local",
    "rebate",
    "tax_pool",
];

/// Header of park_years.csv.
pub const PARK_YEARS_HEADER: [&str; 22] = [
    "year",
    "t",
    "firms",
    "firm_years",
    "occupancy",
    "land_open_mu",
    "land_sold_mu",
    "land_bought_back_mu",
    "land_sales",
    "land_buybacks",
    "land_pool",
    "revenue",
    "gdp",
    "jobs",
    "tax_total",
    "tax_central",
    "tax_local",
    "tax_provincial",
    "rebates",
    "tax_pool",
    "pdc_flow",
    "average_wage",
];

/// Header of region_years.csv.
pub const REGION_YEARS_HEADER: [&str; 17] = [
    "region",
    "year",
    "t",
    "equity",
    "cash_contributions",
    "in_kind",
    "opportunity_costs",
    "costs_borne",
    "land_costs_borne",
    "capital_calls",
    "dividends",
    "terminal",
    "displaced",
    "provincial",
    "cumulative_contributions",
    "invested_capital",
    "discount_factor",
];

/// Header of cash_flows.csv.
pub const CASH_FLOWS_HEADER: [&str; 20] = [
    "alternative",
    "region",
    "year",
    "t",
    "tax_allocation",
    "land_allocation",
    "guarantee",
    "withheld",
    "provincial",
    "dividends",
    "terminal",
    "continuation",
    "cash_contributions",
    "capital_calls",
    "costs_borne",
    "displaced",
    "opportunity_costs",
    "cash_flow",
    "cumulative_cash_flow",
    "gdp_credit",
];

/// Writes `replay` of `scn` into `dir` (created if missing): its `record`
/// ([`REPLAY_RECORD`]), the scenario file's copy, the record files
/// ([`output::PATHS_FILES`], one path) and [`REPLAY_FILES`], each atomically.
/// (The caller publishes the folder whole.)
///
/// # Errors
/// If a file cannot be written.
pub fn write(
    dir: &Path,
    scn: &Scenario,
    replay: &Replay,
    record: &ReplayRecord,
) -> Result<(), OutputError> {
    std::fs::create_dir_all(dir).map_err(|source| OutputError::Io {
        path: dir.display().to_string(),
        source,
    })?;
    let json = serde_json::to_string_pretty(record).map_err(|e| OutputError::Io {
        path: dir.join(REPLAY_RECORD).display().to_string(),
        source: std::io::Error::other(e),
    })?;
    output::write_atomic(&dir.join(REPLAY_RECORD), format!("{json}\n").as_bytes())?;
    output::write_atomic(&dir.join("scenario.toml"), scn.source.as_bytes())?;
    let mut paths = PathsWriter::create(dir, scn)?;
    paths.write_batch(
        scn,
        &Batch {
            first_path: replay.path,
            paths: 1,
            records: &replay.record,
            inputs: &replay.draws,
            layout: replay.layout,
        },
    )?;
    paths.finish()?;
    let e = &replay.economy;
    let (n, h) = (e.regions, e.horizon);
    let year = |t: usize| scn.year(u32::try_from(t).unwrap_or(u32::MAX)).to_string();
    let flag = |b: bool| if b { "1" } else { "0" }.to_owned();
    let sector = |k: u32| {
        scn.firms
            .sectors
            .get(k as usize)
            .map_or_else(|| k.to_string(), |s| s.name.clone())
    };

    // firm_years.csv, and firms.csv summed from it.
    let mut rows: Vec<Vec<String>> = Vec::with_capacity(replay.firm_years.len());
    let mut firms: std::collections::BTreeMap<u32, (FirmYearDetail, u64, [f64; 5])> =
        std::collections::BTreeMap::new();
    for f in &replay.firm_years {
        let t = f.year as usize;
        let wage = replay.wage_per_job.get(t).copied().unwrap_or(f64::NAN);
        let mut row = vec![
            year(t),
            t.to_string(),
            f.id.to_string(),
            sector(f.sector),
            f.age.to_string(),
            cell(f.land),
            cell(f.revenue),
            cell(f.value_added),
            cell(f.wage_bill),
            cell(f.wage_bill / wage),
            cell(f.profit),
            cell(f.taxable),
        ];
        row.extend(TaxKind::ALL.iter().map(|k| cell(f.by_kind[k.index()])));
        row.extend([
            cell(f.total),
            cell(f.total - f.local),
            cell(f.local),
            cell(f.provincial),
            cell(f.retained),
            cell(f.rebate),
            cell(f.pool),
            cell(f.displaced_tax),
            flag(f.relocated),
            flag(f.displaced),
            cell(replay.revenue_mult.get(t).copied().unwrap_or(f64::NAN)),
        ]);
        rows.push(row);
        let entry = firms.entry(f.id).or_insert((*f, 0, [0.0; 5]));
        entry.1 += 1;
        for (s, x) in entry
            .2
            .iter_mut()
            .zip([f.revenue, f.total, f.local, f.rebate, f.pool])
        {
            *s += x;
        }
    }
    write_csv(&dir.join(REPLAY_FILES[1]), &FIRM_YEARS_HEADER, &rows)?;
    let rows: Vec<Vec<String>> = firms
        .values()
        .map(|(f, count, sums)| {
            let exit = if (f.exit_year as usize) < h {
                year(f.exit_year as usize)
            } else {
                String::new()
            };
            let mut row = vec![
                f.id.to_string(),
                sector(f.sector),
                year(f.arrival as usize),
                exit,
                f.age0.to_string(),
                cell(f.land),
                flag(f.relocated),
                flag(f.displaced),
                count.to_string(),
            ];
            row.extend(sums.iter().map(|&x| cell(x)));
            row
        })
        .collect();
    write_csv(&dir.join(REPLAY_FILES[0]), &FIRMS_HEADER, &rows)?;

    // park_years.csv.
    let mut per_year = vec![(0u64, 0.0f64); h];
    for f in &replay.firm_years {
        if let Some(y) = per_year.get_mut(f.year as usize) {
            y.0 += 1;
            y.1 += f.revenue;
        }
    }
    let rows: Vec<Vec<String>> = (0..h)
        .map(|t| {
            vec![
                year(t),
                t.to_string(),
                cell(e.firms[t]),
                per_year[t].0.to_string(),
                cell(e.occupancy[t]),
                cell(e.land_open_mu[t]),
                cell(e.land_sold_mu[t]),
                cell(e.land_bought_back_mu[t]),
                cell(e.land_sales[t]),
                cell(e.land_buybacks[t]),
                cell(e.land_pool[t]),
                cell(per_year[t].1),
                cell(e.gdp[t]),
                cell(e.jobs[t]),
                cell(e.tax_total[t]),
                cell(e.tax_central[t]),
                cell(e.tax_local[t]),
                cell(e.tax_provincial[t]),
                cell(e.rebates[t]),
                cell(e.tax_pool[t]),
                cell(e.pdc_flow[t]),
                cell(replay.wage_per_job.get(t).copied().unwrap_or(f64::NAN)),
            ]
        })
        .collect();
    write_csv(&dir.join(REPLAY_FILES[2]), &PARK_YEARS_HEADER, &rows)?;

    // region_years.csv.
    let mut rows = Vec::with_capacity(n * h);
    for (r, region) in scn.regions.iter().enumerate() {
        let mut df = 1.0;
        for t in 0..h {
            let i = r * h + t;
            df /= 1.0 + e.discount_rate[r];
            let mut row = vec![region.id.clone(), year(t), t.to_string()];
            row.push(cell(e.equity_at(t)[r]));
            row.extend(
                [
                    &e.cash_contributions,
                    &e.in_kind,
                    &e.opportunity_costs,
                    &e.costs_borne,
                    &e.land_costs_borne,
                    &e.capital_calls,
                    &e.dividends,
                    &e.terminal,
                    &e.displaced,
                    &e.provincial,
                    &e.cumulative_contributions,
                    &e.invested_capital,
                ]
                .iter()
                .map(|v| cell(v[i])),
            );
            row.push(cell(df));
            rows.push(row);
        }
    }
    write_csv(&dir.join(REPLAY_FILES[3]), &REGION_YEARS_HEADER, &rows)?;

    // cash_flows.csv.
    let layout = replay.layout;
    let mut rows = Vec::with_capacity(layout.alternatives * n * h);
    for (a, alt) in scn.alternatives.iter().enumerate() {
        for (r, region) in scn.regions.iter().enumerate() {
            for t in 0..h {
                let i = r * h + t;
                let [tax, land, guarantee, withheld, gdp] = replay.allocations[(a * n + r) * h + t];
                let cf = replay.record[layout.region_series(a, r, RegionSeries::CashFlow, t)];
                let cum =
                    replay.record[layout.region_series(a, r, RegionSeries::CumulativeCashFlow, t)];
                let inflows = tax
                    + land
                    + guarantee
                    + e.dividends[i]
                    + e.terminal[i]
                    + e.provincial[i]
                    + withheld
                    - e.cash_contributions[i]
                    - e.capital_calls[i]
                    - e.costs_borne[i]
                    - e.displaced[i]
                    - e.opportunity_costs[i];
                // The continuation value falls in the last year: what the cash
                // flow holds beyond its other parts.
                let continuation = if t + 1 == h { cf - inflows } else { 0.0 };
                rows.push(vec![
                    alt.name.clone(),
                    region.id.clone(),
                    year(t),
                    t.to_string(),
                    cell(tax),
                    cell(land),
                    cell(guarantee),
                    cell(withheld),
                    cell(e.provincial[i]),
                    cell(e.dividends[i]),
                    cell(e.terminal[i]),
                    cell(continuation),
                    cell(e.cash_contributions[i]),
                    cell(e.capital_calls[i]),
                    cell(e.costs_borne[i]),
                    cell(e.displaced[i]),
                    cell(e.opportunity_costs[i]),
                    cell(cf),
                    cell(cum),
                    cell(gdp),
                ]);
            }
        }
    }
    write_csv(&dir.join(REPLAY_FILES[4]), &CASH_FLOWS_HEADER, &rows)?;
    Ok(())
}

/// Writes `header` and `rows` to `path` atomically.
fn write_csv(path: &Path, header: &[&str], rows: &[Vec<String>]) -> Result<(), OutputError> {
    let mut buf = Vec::new();
    {
        let mut w = csv::Writer::from_writer(&mut buf);
        let csv_err = |source| OutputError::Csv {
            path: path.display().to_string(),
            source,
        };
        w.write_record(header).map_err(csv_err)?;
        for row in rows {
            w.write_record(row).map_err(csv_err)?;
        }
        w.flush().map_err(|source| OutputError::Io {
            path: path.display().to_string(),
            source,
        })?;
    }
    output::write_atomic(path, &buf)
}
