//! Writing a run's results in `DIR/<scenario id>/`: `summary.csv`,
//! `timeseries.csv`, `distribution.csv`, `run.json`, `scenario.toml` and, on
//! request, `paths.csv` and `paths_park.csv`.
//!
//! Every file is written to a temporary file in the same folder
//! (`.enclave-<key>-<pid>-<random>.tmp`, owned as [`crate::publish`] owns its
//! folders) and renamed into place when complete, so an interrupted run never
//! leaves a truncated file that looks finished. Numbers are printed in Rust's
//! shortest round-trip form, which depends only on the value: the same run gives
//! the same bytes. Undefined values (no IRR, no payback, no data) are empty cells.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use tempfile::NamedTempFile;

use crate::engine::{BATCH_PATHS, Batch, PILOT_PATHS, RunConfig, RunState};
use crate::fairness;
use crate::scenario::Scenario;
use crate::schema::{
    AltMetric, ParkMetric, ParkSeries, Quantiles, RegionMetric, RegionSeries,
    SUMMARY_QUANTILE_COLUMNS, SUMMARY_QUANTILES, distribution_levels,
};
use crate::stats::RecordStats;

/// Alternative label of park-level rows (the park does not depend on the alternative).
pub const ALL_ALTERNATIVES: &str = "all";
/// Region label of park-level rows.
pub const PARK: &str = "park";
/// Region column of the rows of an alternative as a whole (not a region's).
pub const ALL_REGIONS: &str = "all";

/// Why output could not be written.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    /// A file or folder could not be written.
    #[error("cannot write {path}")]
    Io {
        /// The path.
        path: String,
        /// Cause.
        #[source]
        source: std::io::Error,
    },
    /// A CSV row could not be written.
    #[error("cannot write {path}")]
    Csv {
        /// The path.
        path: String,
        /// Cause.
        #[source]
        source: csv::Error,
    },
    /// A folder's manifest could not be written.
    #[error("cannot write the manifest of {path}")]
    Manifest {
        /// The folder.
        path: String,
        /// Cause.
        #[source]
        source: Box<crate::publish::PublishError>,
    },
}

/// An I/O error at `path`, for `map_err`.
pub(crate) fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> OutputError + '_ {
    move |source| OutputError::Io {
        path: path.display().to_string(),
        source,
    }
}

/// A CSV error at `path`, for `map_err`.
pub(crate) fn csv_err(path: &Path) -> impl FnOnce(csv::Error) -> OutputError + '_ {
    move |source| OutputError::Csv {
        path: path.display().to_string(),
        source,
    }
}

/// A file being written: a temporary in the target's folder, renamed on `commit`.
pub struct AtomicFile {
    target: PathBuf,
    temp: NamedTempFile,
}

impl AtomicFile {
    /// Starts writing `target`.
    ///
    /// # Errors
    /// If the temporary file cannot be created.
    pub fn create(target: &Path) -> Result<AtomicFile, OutputError> {
        let dir = target.parent().unwrap_or(Path::new("."));
        let mut builder = tempfile::Builder::new();
        // `.enclave-<key>-<pid>-<random>.tmp`: whose it is, should the process
        // die before the rename (`crate::publish::remove_stale_files`).
        builder
            .prefix(crate::publish::temp_file_prefix())
            .suffix(crate::publish::TEMP_FILE_END);
        // Results are ordinary files, readable like any other (tempfile defaults to 0600).
        #[cfg(unix)]
        builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o644));
        let temp = builder
            .tempfile_in(dir)
            .map_err(|e| io_err(target)(without_temp_path(e)))?;
        Ok(AtomicFile {
            target: target.to_owned(),
            temp,
        })
    }

    /// The file to write into.
    pub fn file(&mut self) -> &mut std::fs::File {
        self.temp.as_file_mut()
    }

    /// Flushes, syncs and renames the temporary onto the target.
    ///
    /// # Errors
    /// If syncing or renaming fails.
    pub fn commit(self) -> Result<(), OutputError> {
        let target = self.target;
        self.temp.as_file().sync_all().map_err(io_err(&target))?;
        self.temp.persist(&target).map_err(|e| OutputError::Io {
            path: target.display().to_string(),
            source: without_temp_path(e.error),
        })?;
        Ok(())
    }
}

/// `e` without the ` at path "DIR/.enclave-XXXXXX.tmp"` that tempfile adds to
/// its errors: the message names the file being written, not its temporary.
fn without_temp_path(e: std::io::Error) -> std::io::Error {
    let text = e.to_string();
    match text.rfind(" at path \"") {
        Some(at) if e.get_ref().is_some() => std::io::Error::new(e.kind(), &text[..at]),
        _ => e,
    }
}

/// Writes `bytes` to `path` atomically.
///
/// # Errors
/// If the file cannot be written.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), OutputError> {
    let mut f = AtomicFile::create(path)?;
    f.file().write_all(bytes).map_err(io_err(path))?;
    f.commit()
}

/// A number as a CSV cell: shortest round-trip form, empty when undefined.
pub fn cell(x: f64) -> String {
    if x.is_finite() {
        format!("{x}")
    } else {
        String::new()
    }
}

fn csv_bytes(
    rows: impl FnOnce(&mut csv::Writer<&mut Vec<u8>>) -> csv::Result<()>,
    path: &Path,
) -> Result<Vec<u8>, OutputError> {
    let mut buf = Vec::new();
    {
        let mut w = csv::Writer::from_writer(&mut buf);
        rows(&mut w).map_err(csv_err(path))?;
        w.flush().map_err(io_err(path))?;
    }
    Ok(buf)
}

/// The cells `mean, sd, [se,] p05, p25, p50, p75, p95, n[, p05_ci_low, …,
/// p95_ci_high]` of record position `j` (quantile cells empty for measures
/// declared without quantiles; `se` and the quantiles' 95% intervals only when
/// `with_se`, as summary.csv has them and timeseries.csv does not).
fn stat_cells(stats: &RecordStats, j: usize, with_se: bool) -> Vec<String> {
    let s = stats.summary(j);
    let (q, ci) = if with_se {
        stats
            .quantiles_with_intervals(j, &SUMMARY_QUANTILES, crate::stats::interval::LEVEL)
            .map_or((None, None), |(q, ci)| (Some(q), Some(ci)))
    } else {
        (stats.quantiles(j, &SUMMARY_QUANTILES), None)
    };
    let q = q.unwrap_or_else(|| vec![f64::NAN; SUMMARY_QUANTILES.len()]);
    let se = with_se.then_some(s.se);
    let mut cells: Vec<String> = [s.mean, s.sd]
        .into_iter()
        .chain(se)
        .chain(q)
        .map(cell)
        .collect();
    cells.push(s.n.to_string());
    if with_se {
        // summary.csv's last columns: the quantiles' confidence intervals.
        let ci = ci.unwrap_or_else(|| vec![(f64::NAN, f64::NAN); SUMMARY_QUANTILES.len()]);
        cells.extend(ci.into_iter().flat_map(|(lo, hi)| [cell(lo), cell(hi)]));
    }
    cells
}

/// Header of `summary.csv`, derived from the schema's summary statistics.
pub fn summary_header() -> Vec<&'static str> {
    [
        "scenario",
        "alternative",
        "region",
        "metric",
        "mean",
        "sd",
        "se",
    ]
    .into_iter()
    .chain(SUMMARY_QUANTILE_COLUMNS)
    .chain(["n"])
    .chain(crate::schema::SUMMARY_INTERVAL_COLUMNS)
    .collect()
}

/// Header of `distribution.csv`.
pub const DISTRIBUTION_HEADER: [&str; 6] =
    ["scenario", "alternative", "region", "metric", "q", "value"];

/// `distribution.csv` as bytes: P1 … P99 of every region metric declared with
/// [`Quantiles::Distribution`] (each region's NPV), under each alternative.
///
/// # Errors
/// Never in practice (writes to memory); typed for the CSV writer.
pub fn distribution_csv(
    scn: &Scenario,
    state: &RunState,
    path: &Path,
) -> Result<Vec<u8>, OutputError> {
    let layout = state.layout;
    let levels = distribution_levels();
    csv_bytes(
        |w| {
            w.write_record(DISTRIBUTION_HEADER)?;
            for (a, alt) in scn.alternatives.iter().enumerate() {
                for (r, region) in scn.regions.iter().enumerate() {
                    for &m in RegionMetric::ALL {
                        if m.def().quantiles != Quantiles::Distribution {
                            continue;
                        }
                        let j = layout.region_metric(a, r, m);
                        let values = state
                            .stats
                            .quantiles(j, &levels)
                            .unwrap_or_else(|| vec![f64::NAN; levels.len()]);
                        for (q, value) in levels.iter().zip(values) {
                            w.write_record([
                                scn.id.as_str(),
                                alt.name.as_str(),
                                region.id.as_str(),
                                m.name(),
                                &format!("{q}"),
                                &cell(value),
                            ])?;
                        }
                    }
                }
            }
            Ok(())
        },
        path,
    )
}

/// Header of `fairness.csv`.
pub const FAIRNESS_HEADER: [&str; 7] = [
    "scenario",
    "alternative",
    "region",
    "metric",
    "mean",
    "se",
    "n",
];

/// `fairness.csv` as bytes: per alternative, each region's fairness measures, then
/// the alternative's own (region `all`); see [`crate::fairness::Metric`]. A
/// measure undefined as a whole (a Nash product when a region is below its
/// outside option, Shapley values in a run without coalitions) has empty cells.
///
/// # Errors
/// Never in practice (writes to memory); typed for the CSV writer.
pub fn fairness_csv(
    scn: &Scenario,
    table: &fairness::Table,
    path: &Path,
) -> Result<Vec<u8>, OutputError> {
    csv_bytes(
        |w| {
            w.write_record(FAIRNESS_HEADER)?;
            let row = |alt: &str, region: &str, m: fairness::Metric, e: fairness::Estimate| {
                [
                    scn.id.clone(),
                    alt.to_owned(),
                    region.to_owned(),
                    m.name().to_owned(),
                    cell(e.mean),
                    cell(e.se),
                    e.n.to_string(),
                ]
            };
            for (a, alt) in scn.alternatives.iter().enumerate() {
                for (r, region) in scn.regions.iter().enumerate() {
                    for m in fairness::Metric::REGION {
                        let e = table
                            .get(a, Some(r), m)
                            .unwrap_or(fairness::Estimate::UNDEFINED);
                        w.write_record(row(&alt.name, &region.id, m, e))?;
                    }
                }
                for m in fairness::Metric::ALTERNATIVE {
                    let e = table
                        .get(a, None, m)
                        .unwrap_or(fairness::Estimate::UNDEFINED);
                    w.write_record(row(&alt.name, ALL_REGIONS, m, e))?;
                }
            }
            Ok(())
        },
        path,
    )
}

/// A results folder's (and a set's) summary file.
pub const SUMMARY_FILE: &str = "summary.csv";

/// A results folder's record of the run that wrote it.
pub const RUN_FILE: &str = "run.json";

/// Folder of a set's outputs, `DIR/set/`, beside the scenarios' folders: the
/// one id validation refuses a scenario.
pub const SET_DIR: &str = crate::scenario::limits::RESERVED_ID;

/// Header of a set's `summary.csv`.
pub const SET_SUMMARY_HEADER: [&str; 10] = [
    "scenario",
    "alternative",
    "region",
    "metric",
    "mean",
    "se",
    "p05",
    "p50",
    "p95",
    "n",
];

pub use crate::schema::{SET_ALT_METRICS, SET_PARK_METRICS, SET_REGION_METRICS};

/// A sweep's table of the inputs each scenario carries, `DIR/set/sweep.csv`.
pub const SET_SWEEP_FILE: &str = "sweep.csv";

/// Header of a sweep's `DIR/set/sweep.csv`: `vary` is the 1-based number of the
/// sweep file's `[[vary]]` the input belongs to, which the fields of one
/// `[[vary]]` with `paths` share (they move together).
pub const SET_SWEEP_HEADER: [&str; 4] = ["scenario", "input", "value", "vary"];

/// What each scenario of a set was run from, `DIR/set/runs.csv`: the set's own
/// record of engine, scenario files and settings (a `--summary-only` set has no
/// folder per scenario, and so no `run.json`, to say them).
pub const SET_RUNS_FILE: &str = "runs.csv";

/// Header of `DIR/set/runs.csv`. The last three say how the scenario counts
/// money ([`crate::scenario::units::MoneyBasis`]), which the set page names:
/// `money_unit` as the file gives it, its `yuan_per_unit`, and `prices`, the
/// year of constant prices or `current` (a set written before them lacks them).
pub const SET_RUNS_HEADER: [&str; 14] = [
    "scenario",
    "file",
    "sha256",
    "seed",
    "paths",
    "horizon",
    "fairness",
    "engine",
    "math",
    "folder",
    "money_unit",
    "yuan_per_unit",
    "prices",
    "name",
];

/// The warnings of a set's scenarios, `DIR/set/warnings.csv`: one row per warning,
/// each as the scenario's run.json records it (its inputs outside their plausible
/// ranges, `line N: …`, then its results outside theirs, then a `--precision`
/// target not met), so that a
/// `--summary-only` set, which has no run.json, keeps them too; and the same in
/// Chinese (`warning_zh`), which a `--lang zh` set page gives.
pub const SET_WARNINGS_FILE: &str = "warnings.csv";

/// Header of `DIR/set/warnings.csv`.
pub const SET_WARNINGS_HEADER: [&str; 3] = ["scenario", "warning", "warning_zh"];

/// A set's `DIR/set/summary.csv` (and, for a sweep, `DIR/set/sweep.csv`),
/// written as its scenarios finish, in the set's order: for each scenario, the
/// rows of its own `summary.csv` for the headline measures
/// ([`SET_REGION_METRICS`], [`SET_ALT_METRICS`], [`SET_PARK_METRICS`]), with the
/// same numbers to the last digit, so that a set is compared in one table. Memory
/// stays flat in the number of scenarios; the files appear under their names only
/// on [`SetWriter::finish`] (a set stopped half way leaves none).
pub struct SetWriter {
    dir: PathBuf,
    summary: (AtomicFile, csv::Writer<BufWriter<std::fs::File>>),
    runs: (AtomicFile, csv::Writer<BufWriter<std::fs::File>>),
    warnings: (AtomicFile, csv::Writer<BufWriter<std::fs::File>>),
    sweep: Option<(AtomicFile, csv::Writer<BufWriter<std::fs::File>>)>,
}

/// What a set's `runs.csv` records of how one of its scenarios was run.
#[derive(Debug, Clone, Copy)]
pub struct SetRun<'a> {
    /// The scenario file as given.
    pub file: &'a str,
    /// The run settings (seed and horizon are recorded).
    pub config: &'a crate::engine::RunConfig,
    /// The paths its results cover.
    pub paths: u64,
    /// The [`crate::mathlib::fingerprint`] of the machines that simulated it.
    pub math: &'a str,
    /// Whether its results are in its folder `DIR/<id>` (not under
    /// `--summary-only`): `yes` or `no` in `runs.csv`, which says whether a run of
    /// the scenario alone into `DIR` can make the set stale ([`crate::set_stale`]).
    pub folder: bool,
    /// Its warnings, as its run.json records them ([`input_warnings`], then the
    /// results', then an unmet `--precision`): the rows of `warnings.csv`.
    pub warnings: &'a [String],
    /// `warnings` in Chinese, one for one (a missing one is left empty).
    pub warnings_zh: &'a [String],
}

impl SetWriter {
    /// Starts the set's files in `DIR/set/`.
    ///
    /// # Errors
    /// If the folder or the temporary files cannot be made.
    pub fn create(out: &Path) -> Result<SetWriter, OutputError> {
        let dir = out.join(SET_DIR);
        std::fs::create_dir_all(&dir).map_err(io_err(&dir))?;
        // The files of an earlier set in this folder go now: they would describe
        // the scenario folders as they were before this set started rewriting
        // them, and look complete if it stops half way.
        // So goes the note of a set whose files were removed as stale.
        let files = crate::set_stale::SET_FILES;
        for name in files.iter().chain([&crate::set_stale::STALE_FILE]) {
            let stale = dir.join(name);
            match std::fs::remove_file(&stale) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                    return Err(io_err(&stale)(e));
                }
                _ => {}
            }
        }
        let mut summary = Self::open(&dir.join(SUMMARY_FILE))?;
        write_row(&mut summary.1, SET_SUMMARY_HEADER, &dir.join(SUMMARY_FILE))?;
        let mut runs = Self::open(&dir.join(SET_RUNS_FILE))?;
        write_row(&mut runs.1, SET_RUNS_HEADER, &dir.join(SET_RUNS_FILE))?;
        let mut warnings = Self::open(&dir.join(SET_WARNINGS_FILE))?;
        write_row(
            &mut warnings.1,
            SET_WARNINGS_HEADER,
            &dir.join(SET_WARNINGS_FILE),
        )?;
        Ok(SetWriter {
            dir,
            summary,
            runs,
            warnings,
            sweep: None,
        })
    }

    fn open(
        path: &Path,
    ) -> Result<(AtomicFile, csv::Writer<BufWriter<std::fs::File>>), OutputError> {
        let mut f = AtomicFile::create(path)?;
        let clone = f.file().try_clone().map_err(io_err(path))?;
        Ok((f, csv::Writer::from_writer(BufWriter::new(clone))))
    }

    /// Adds scenario `scn`'s headline rows, taken from the rows of its
    /// `summary.csv`, the inputs it carries (field path, value as written), and
    /// what it was run from (`run`, its row of `runs.csv`); `groups` gives each
    /// input's `[[vary]]` number (each its own when empty).
    ///
    /// # Errors
    /// If a file cannot be written.
    pub fn add(
        &mut self,
        scn: &Scenario,
        run: SetRun<'_>,
        summary: &[crate::results::SummaryRow],
        inputs: &[(String, String)],
        groups: &[u32],
    ) -> Result<(), OutputError> {
        let runs = self.dir.join(SET_RUNS_FILE);
        let money = scn.money_basis();
        write_row(
            &mut self.runs.1,
            [
                scn.id.clone(),
                run.file.to_owned(),
                scn.sha256.clone(),
                run.config.seed.to_string(),
                run.paths.to_string(),
                run.config.horizon.to_string(),
                (if scn.fairness() { "on" } else { "off" }).to_owned(),
                RunRecord::engine_name(),
                run.math.to_owned(),
                (if run.folder { "yes" } else { "no" }).to_owned(),
                money.unit,
                cell(money.yuan_per_unit),
                money.prices.to_string(),
                scn.name.clone(),
            ],
            &runs,
        )?;
        let path = self.dir.join(SET_WARNINGS_FILE);
        for (i, w) in run.warnings.iter().enumerate() {
            let zh = run.warnings_zh.get(i).map_or("", String::as_str);
            write_row(&mut self.warnings.1, [scn.id.as_str(), w, zh], &path)?;
        }
        let path = self.dir.join(SUMMARY_FILE);
        let w = &mut self.summary.1;
        let cell = |x: Option<f64>| x.map_or(String::new(), self::cell);
        let find = |alt: &str, region: &str, metric: &str| {
            summary
                .iter()
                .find(|r| r.alternative == alt && r.region == region && r.metric == metric)
        };
        let mut row = |alt: &str, region: &str, metric: &str| {
            let Some(r) = find(alt, region, metric) else {
                return Ok(());
            };
            write_row(
                w,
                [
                    scn.id.clone(),
                    alt.to_owned(),
                    region.to_owned(),
                    r.metric.clone(),
                    cell(r.mean),
                    cell(r.se),
                    cell(r.p05),
                    cell(r.p50),
                    cell(r.p95),
                    r.n.to_string(),
                ],
                &path,
            )
        };
        for alt in &scn.alternatives {
            for region in &scn.regions {
                for m in SET_REGION_METRICS {
                    row(&alt.name, &region.id, m.name())?;
                }
            }
            for m in SET_ALT_METRICS {
                row(&alt.name, ALL_REGIONS, m.name())?;
            }
        }
        for m in SET_PARK_METRICS {
            row(ALL_ALTERNATIVES, PARK, m.name())?;
        }
        if !inputs.is_empty() {
            let path = self.dir.join(SET_SWEEP_FILE);
            if self.sweep.is_none() {
                let mut f = Self::open(&path)?;
                write_row(&mut f.1, SET_SWEEP_HEADER, &path)?;
                self.sweep = Some(f);
            }
            if let Some((_, w)) = self.sweep.as_mut() {
                for (k, (input, value)) in inputs.iter().enumerate() {
                    let group = groups.get(k).copied().unwrap_or(k as u32 + 1);
                    write_row(
                        w,
                        [scn.id.as_str(), input, value, &group.to_string()],
                        &path,
                    )?;
                }
            }
        }
        Ok(())
    }

    /// Flushes the files and gives them their names, then writes the folder's
    /// manifest (each file's size and SHA-256, as a scenario's folder has), which
    /// `enclave report DIR/set` checks; returns the summary's path. The manifest
    /// lists the set's own files ([`crate::set_stale::SET_FILES`]) only: the
    /// folder is written in place, and any other file in it (a user's, or the
    /// temporary file of another process's write) is not the set's.
    /// ([`crate::publish::remove_stale_files`] removes the temporary files of
    /// dead processes before a run starts.)
    ///
    /// # Errors
    /// If a file cannot be written.
    pub fn finish(self) -> Result<PathBuf, OutputError> {
        let path = self.dir.join(SUMMARY_FILE);
        for (f, w) in [self.summary, self.runs, self.warnings]
            .into_iter()
            .chain(self.sweep)
        {
            let target = f.target.clone();
            w.into_inner()
                .map_err(|e| OutputError::Io {
                    path: target.display().to_string(),
                    source: e.into_error(),
                })?
                .flush()
                .map_err(io_err(&target))?;
            f.commit()?;
        }
        crate::publish::write_manifest_of(&self.dir, &crate::set_stale::SET_FILES).map_err(
            |e| OutputError::Manifest {
                path: self.dir.display().to_string(),
                source: Box::new(e),
            },
        )?;
        Ok(path)
    }
}

fn write_row<I, T>(
    w: &mut csv::Writer<BufWriter<std::fs::File>>,
    row: I,
    path: &Path,
) -> Result<(), OutputError>
where
    I: IntoIterator<Item = T>,
    T: AsRef<[u8]>,
{
    w.write_record(row).map_err(csv_err(path))
}

/// Header of `timeseries.csv`.
pub fn timeseries_header() -> Vec<&'static str> {
    [
        "scenario",
        "alternative",
        "region",
        "year",
        "metric",
        "mean",
        "sd",
    ]
    .into_iter()
    .chain(SUMMARY_QUANTILE_COLUMNS)
    .chain(["n"])
    .collect()
}

/// `summary.csv` as bytes: one row per alternative, region and region metric, then
/// one per alternative and alternative metric (region `all`), then one per park
/// metric.
///
/// # Errors
/// Never in practice (writes to memory); typed for the CSV writer.
pub fn summary_csv(scn: &Scenario, state: &RunState, path: &Path) -> Result<Vec<u8>, OutputError> {
    summary_rows(scn, state, path, |_| true)
}

/// The rows of [`summary_csv`] for the headline measures only
/// ([`Measure::is_headline`](crate::schema::Measure::is_headline)), with its
/// header: what a set's `summary.csv` takes from a scenario, the same bytes per
/// row, without the cost of the other rows (a `--summary-only` set writes no
/// scenario's own summary).
///
/// # Errors
/// As [`summary_csv`].
pub fn headline_summary_csv(
    scn: &Scenario,
    state: &RunState,
    path: &Path,
) -> Result<Vec<u8>, OutputError> {
    summary_rows(scn, state, path, crate::schema::Measure::is_headline)
}

/// [`summary_csv`]'s rows of the measures `keep` holds, in its order.
fn summary_rows(
    scn: &Scenario,
    state: &RunState,
    path: &Path,
    keep: impl Fn(crate::schema::Measure) -> bool,
) -> Result<Vec<u8>, OutputError> {
    use crate::schema::Measure;
    let layout = state.layout;
    let row = |w: &mut csv::Writer<&mut Vec<u8>>, alt: &str, region: &str, name: &str, j| {
        let mut row = vec![
            scn.id.clone(),
            alt.to_owned(),
            region.to_owned(),
            name.to_owned(),
        ];
        row.extend(stat_cells(&state.stats, j, true));
        w.write_record(&row)
    };
    csv_bytes(
        |w| {
            w.write_record(summary_header())?;
            for (a, alt) in scn.alternatives.iter().enumerate() {
                for (r, region) in scn.regions.iter().enumerate() {
                    for &m in RegionMetric::ALL
                        .iter()
                        .filter(|&&m| keep(Measure::Region(m)))
                    {
                        row(
                            w,
                            &alt.name,
                            &region.id,
                            m.name(),
                            layout.region_metric(a, r, m),
                        )?;
                    }
                }
            }
            for (a, alt) in scn.alternatives.iter().enumerate() {
                for &m in AltMetric::ALL.iter().filter(|&&m| keep(Measure::Alt(m))) {
                    row(w, &alt.name, ALL_REGIONS, m.name(), layout.alt_metric(a, m))?;
                }
            }
            for &m in ParkMetric::ALL.iter().filter(|&&m| keep(Measure::Park(m))) {
                row(w, ALL_ALTERNATIVES, PARK, m.name(), layout.park_metric(m))?;
            }
            Ok(())
        },
        path,
    )
}

/// `timeseries.csv` as bytes: per alternative, region, series and year; then the park.
///
/// # Errors
/// Never in practice (writes to memory); typed for the CSV writer.
pub fn timeseries_csv(
    scn: &Scenario,
    state: &RunState,
    path: &Path,
) -> Result<Vec<u8>, OutputError> {
    let layout = state.layout;
    let row = |alt: &str, region: &str, t: usize, metric: &str, j: usize| -> Vec<String> {
        let mut row = vec![
            scn.id.clone(),
            alt.to_owned(),
            region.to_owned(),
            scn.year(t as u32).to_string(),
            metric.to_owned(),
        ];
        row.extend(stat_cells(&state.stats, j, false));
        row
    };
    csv_bytes(
        |w| {
            w.write_record(timeseries_header())?;
            for (a, alt) in scn.alternatives.iter().enumerate() {
                for (r, region) in scn.regions.iter().enumerate() {
                    for &s in RegionSeries::ALL {
                        for t in 0..layout.horizon {
                            w.write_record(row(
                                &alt.name,
                                &region.id,
                                t,
                                s.name(),
                                layout.region_series(a, r, s, t),
                            ))?;
                        }
                    }
                }
            }
            for &s in ParkSeries::ALL {
                for t in 0..layout.horizon {
                    w.write_record(row(
                        ALL_ALTERNATIVES,
                        PARK,
                        t,
                        s.name(),
                        layout.park_series(s, t),
                    ))?;
                }
            }
            Ok(())
        },
        path,
    )
}

/// Streams per-path results into `paths.csv` (regions), `paths_park.csv` and
/// `paths_inputs.csv` (each path's draw of every uncertain input, one column per
/// input by field path), batch by batch in path order, and renames them into place
/// at the end.
pub struct PathsWriter {
    writers: Vec<csv::Writer<BufWriter<std::fs::File>>>,
    files: Vec<AtomicFile>,
    dir: PathBuf,
}

/// Names of the per-path files, in the order [`PathsWriter`] keeps them.
pub const PATHS_FILES: [&str; 3] = ["paths.csv", "paths_park.csv", "paths_inputs.csv"];

impl PathsWriter {
    /// Opens the files in `dir` and writes their headers.
    ///
    /// # Errors
    /// If the temporary files cannot be created.
    pub fn create(dir: &Path, scn: &Scenario) -> Result<PathsWriter, OutputError> {
        let mut files = Vec::new();
        let mut writers = Vec::new();
        for name in PATHS_FILES {
            let path = dir.join(name);
            let mut f = AtomicFile::create(&path)?;
            let clone = f.file().try_clone().map_err(io_err(&path))?;
            writers.push(csv::Writer::from_writer(BufWriter::new(clone)));
            files.push(f);
        }
        let mut w = PathsWriter {
            writers,
            files,
            dir: dir.to_owned(),
        };
        let region: Vec<&str> = ["path", "alternative", "region"]
            .into_iter()
            .chain(RegionMetric::ALL.iter().map(|m| m.name()))
            .collect();
        w.write(0, &region)?;
        let park: Vec<&str> = ["path"]
            .into_iter()
            .chain(ParkMetric::ALL.iter().map(|m| m.name()))
            .collect();
        w.write(1, &park)?;
        let inputs: Vec<&str> = ["path"]
            .into_iter()
            .chain(scn.params.params().iter().map(|p| p.name.as_str()))
            .collect();
        w.write(2, &inputs)?;
        Ok(w)
    }

    fn write<I, T>(&mut self, file: usize, row: I) -> Result<(), OutputError>
    where
        I: IntoIterator<Item = T>,
        T: AsRef<[u8]>,
    {
        self.writers[file]
            .write_record(row)
            .map_err(|source| OutputError::Csv {
                path: self.dir.join(PATHS_FILES[file]).display().to_string(),
                source,
            })
    }

    /// Appends a batch of paths (its records and input draws must have been requested).
    ///
    /// # Errors
    /// If writing fails.
    pub fn write_batch(&mut self, scn: &Scenario, batch: &Batch<'_>) -> Result<(), OutputError> {
        let layout = batch.layout;
        let len = layout.len();
        let k = scn.params.len();
        for i in 0..batch.paths {
            let record = &batch.records[i * len..(i + 1) * len];
            let p = (batch.first_path + i as u64).to_string();
            for (a, alt) in scn.alternatives.iter().enumerate() {
                for (r, region) in scn.regions.iter().enumerate() {
                    let mut row = vec![p.clone(), alt.name.clone(), region.id.clone()];
                    row.extend(
                        RegionMetric::ALL
                            .iter()
                            .map(|&m| cell(record[layout.region_metric(a, r, m)])),
                    );
                    self.write(0, &row)?;
                }
            }
            let mut row = vec![p.clone()];
            row.extend(
                ParkMetric::ALL
                    .iter()
                    .map(|&m| cell(record[layout.park_metric(m)])),
            );
            self.write(1, &row)?;
            let mut row = vec![p];
            row.extend(batch.inputs[i * k..(i + 1) * k].iter().map(|&x| cell(x)));
            self.write(2, &row)?;
        }
        Ok(())
    }

    /// Flushes the files and renames them into place.
    ///
    /// # Errors
    /// If flushing or renaming fails.
    pub fn finish(self) -> Result<(), OutputError> {
        let PathsWriter {
            writers,
            files,
            dir,
        } = self;
        for (mut w, name) in writers.into_iter().zip(PATHS_FILES) {
            w.flush().map_err(io_err(&dir.join(name)))?;
        }
        for f in files {
            f.commit()?;
        }
        Ok(())
    }
}

/// How quantiles are computed, as recorded in run.json (docs/model.md §10).
pub const QUANTILE_METHOD: &str = "exact (type 7; whole-number measures: nearest value at or below) \
     up to 1024 values, then a histogram on a grid fixed by the pilot paths 0..1023 (median ± 10 \
     robust sd in 1024 bins for metrics, 256 for yearly series; tails 1.1% of the distance wide), \
     interpolated within a bin";

/// The reproducibility record, `run.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunRecord {
    /// Engine name and version.
    pub engine: String,
    /// Scenario id.
    pub scenario_id: String,
    /// Scenario file as given (or the bundled name).
    pub scenario_file: String,
    /// When its `empirical` inputs read data files: the folder they were read
    /// relative to (the scenario file's), absolute with links resolved, which
    /// `enclave report` reads them from again, from any working directory
    /// ([`crate::scenario::Scenario::data_dir`]). Absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scenario_dir: Option<String>,
    /// SHA-256 of the scenario file's bytes.
    pub scenario_sha256: String,
    /// Seed.
    pub seed: u64,
    /// Paths.
    pub paths: u64,
    /// Horizon in years.
    pub horizon: u32,
    /// Whether the run computed the regions' coalitions (Shapley values).
    #[serde(default)]
    pub coalitions: bool,
    /// The [`crate::mathlib::fingerprint`] of the machines that simulated the
    /// paths: results are byte-identical between machines with the same one.
    #[serde(default)]
    pub math: String,
    /// Worker threads (they do not change any result).
    pub threads: usize,
    /// Paths per batch: the unit of work and of the statistics' exact merge.
    pub batch_paths: u64,
    /// Paths whose records fixed the quantile grids (0 when quantiles are exact).
    pub pilot_paths: u64,
    /// The path ranges these results cover (the whole run: `[[0, paths]]`).
    pub ranges: Vec<[u64; 2]>,
    /// The generator and how streams are keyed.
    pub prng: String,
    /// Sampler of the uncertain inputs.
    pub sampler: String,
    /// Uncertain inputs drawn per path.
    pub uncertain_inputs: usize,
    /// Firm-years simulated.
    pub firm_years: u64,
    /// Wall-clock seconds of the simulation.
    pub elapsed_seconds: f64,
    /// Firm-years per second (all threads).
    pub firm_years_per_second: f64,
    /// Quantile method.
    pub quantiles: String,
    /// With `--precision`: its targets, blocks and whether they were met (absent
    /// otherwise).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub precision: Option<crate::convergence::PrecisionRecord>,
    /// The inputs, then the headline results, outside their plausible ranges
    /// (docs/scenario.md "Plausible ranges"), then a `--precision` target not
    /// met by `--max-paths` ([`crate::convergence::Unmet`]), as the terminal
    /// gave them: kept with the results, which report.html shows (`[]` when
    /// there are none, so that a script can read the key of every run; a
    /// run.json written before it had the key reads as none).
    #[serde(default)]
    pub warnings: Vec<String>,
}

/// The scenario's inputs outside their plausible ranges (docs/scenario.md
/// "Plausible ranges"), as run.json and a set's `warnings.csv` record them:
/// `line N: …` where the input has a line in the file.
pub fn input_warnings(scn: &Scenario, horizon: u32) -> Vec<String> {
    crate::scenario::guardrails::check_at(scn, horizon)
        .iter()
        .map(input_warning)
        .collect()
}

/// One input's warning as [`input_warnings`] records it: `line N: …`, or the
/// warning alone when the input has no line in the file.
pub fn input_warning(w: &crate::scenario::guardrails::Warning) -> String {
    match w.line {
        Some(line) => format!("line {line}: {w}"),
        None => w.to_string(),
    }
}

/// A run's methods as a reader of some language reads them: the random number
/// generator, the sampler and the quantile method.
#[derive(Debug, Clone, PartialEq)]
pub struct Methods {
    /// [`RunRecord::prng`] in the language.
    pub prng: String,
    /// [`RunRecord::sampler`] in the language.
    pub sampler: String,
    /// [`RunRecord::quantiles`] in the language.
    pub quantiles: String,
}

impl RunRecord {
    /// The record's methods in `lang`: where the record holds this engine's own
    /// English text (for scenario `scn`), its words in `lang`; a record of
    /// another engine version, whose text differs, keeps its own.
    pub fn methods_in(&self, scn: &Scenario, lang: crate::i18n::Lang) -> Methods {
        let tx = lang.texts();
        let sampler = scn.simulation.sampler;
        let ours = |recorded: &str, english: &str, text: String| {
            if recorded == english {
                text
            } else {
                recorded.to_owned()
            }
        };
        Methods {
            prng: ours(
                &self.prng,
                crate::engine::PRNG_NAME,
                tx.t("record.prng").to_owned(),
            ),
            sampler: ours(
                &self.sampler,
                &scn.params.describe(sampler),
                scn.params.describe_in(sampler, lang),
            ),
            quantiles: ours(
                &self.quantiles,
                QUANTILE_METHOD,
                tx.t("record.quantiles").to_owned(),
            ),
        }
    }

    /// The engine name and version, as [`RunRecord::engine`] records it.
    pub fn engine_name() -> String {
        format!("enclave {}", env!("CARGO_PKG_VERSION"))
    }

    /// The record of a finished run, whose paths machines of math fingerprint
    /// `math` simulated ([`crate::mathlib::fingerprint`]: this machine's, or the
    /// shards' for a merge), with the warnings of its inputs (the caller adds
    /// those of its results).
    pub fn new(
        scn: &Scenario,
        file: &str,
        cfg: &RunConfig,
        state: &RunState,
        math: &str,
        threads: usize,
        elapsed_seconds: f64,
    ) -> RunRecord {
        RunRecord {
            engine: RunRecord::engine_name(),
            scenario_id: scn.id.clone(),
            scenario_file: file.to_owned(),
            scenario_dir: scn.data_dir.as_ref().map(|d| d.display().to_string()),
            scenario_sha256: scn.sha256.clone(),
            seed: cfg.seed,
            paths: state.paths(),
            horizon: cfg.horizon,
            coalitions: scn.fairness(),
            math: math.to_owned(),
            threads,
            batch_paths: BATCH_PATHS,
            pilot_paths: if cfg.paths > PILOT_PATHS {
                PILOT_PATHS
            } else {
                0
            },
            ranges: state.ranges.iter().map(|r| [r.start, r.end]).collect(),
            prng: crate::engine::PRNG_NAME.to_owned(),
            // The sampler, its options and the copula (with any repair).
            sampler: scn.params.describe(scn.simulation.sampler),
            uncertain_inputs: scn.params.len(),
            firm_years: state.firm_years,
            elapsed_seconds,
            firm_years_per_second: if elapsed_seconds > 0.0 {
                state.firm_years as f64 / elapsed_seconds
            } else {
                0.0
            },
            quantiles: QUANTILE_METHOD.to_owned(),
            precision: None,
            warnings: input_warnings(scn, cfg.horizon),
        }
    }
}

/// Writes `summary.csv`, `timeseries.csv`, `distribution.csv`, `fairness.csv`, `run.json` and a copy
/// of the scenario (`scenario.toml`, what the results were computed from) into `dir`;
/// returns `summary.csv`'s bytes (a set takes its rows from them).
///
/// # Errors
/// If any file cannot be written.
pub fn write_results(
    dir: &Path,
    scn: &Scenario,
    state: &RunState,
    record: &RunRecord,
) -> Result<Vec<u8>, OutputError> {
    std::fs::create_dir_all(dir).map_err(io_err(dir))?;
    let summary = dir.join(SUMMARY_FILE);
    let summary_bytes = summary_csv(scn, state, &summary)?;
    write_atomic(&summary, &summary_bytes)?;
    let timeseries = dir.join("timeseries.csv");
    write_atomic(&timeseries, &timeseries_csv(scn, state, &timeseries)?)?;
    let distribution = dir.join("distribution.csv");
    write_atomic(&distribution, &distribution_csv(scn, state, &distribution)?)?;
    let fairness = dir.join("fairness.csv");
    let table = fairness::Table::from_run(scn, state);
    write_atomic(&fairness, &fairness_csv(scn, &table, &fairness)?)?;
    write_atomic(&dir.join("scenario.toml"), scn.source.as_bytes())?;
    let json = serde_json::to_string_pretty(record)
        .unwrap_or_else(|_| unreachable!("plain struct serialises"));
    write_atomic(&dir.join(RUN_FILE), format!("{json}\n").as_bytes())?;
    Ok(summary_bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A folder that cannot take the file: the message names the file asked
    /// for, without the temporary's path that tempfile's error carries.
    #[test]
    fn a_file_that_cannot_be_written_is_named_without_its_temporary() {
        let dir = tempfile::tempdir().expect("temporary folder");
        let target = dir.path().join("missing").join("summary.csv");
        let Err(e) = AtomicFile::create(&target) else {
            panic!("a file in a missing folder was created");
        };
        let text = format!("{:#}", anyhow::Error::new(e));
        assert_eq!(
            text,
            format!(
                "cannot write {}: No such file or directory (os error 2)",
                target.display()
            )
        );
    }
}
