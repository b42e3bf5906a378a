//! Writing a run's results in `DIR/<scenario id>/`: `summary.csv`,
//! `timeseries.csv`, `distribution.csv`, `run.json`, `scenario.toml` and, on
//! request, `paths.csv` and `paths_park.csv`.
//!
//! Every file is written to a temporary file in the same folder and renamed into
//! place when complete, so an interrupted run never leaves a truncated file that
//! looks finished. Numbers are printed in Rust's shortest round-trip form, which
//! depends only on the value: the same run gives the same bytes. Undefined values
//! (no IRR, no payback, no data) are empty cells.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use tempfile::NamedTempFile;

use crate::engine::{Chunk, Layout, RunConfig, RunResult};
use crate::outcome::{NPV, PARK_METRICS, PARK_SERIES, REGION_METRICS, REGION_SERIES};
use crate::scenario::Scenario;
use crate::stats::Summary;

/// Alternative label of park-level rows (the park does not depend on the alternative).
pub const ALL_ALTERNATIVES: &str = "all";
/// Region label of park-level rows.
pub const PARK: &str = "park";

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
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> OutputError + '_ {
    move |source| OutputError::Io {
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
        builder.prefix(".enclave-").suffix(".tmp");
        // Results are ordinary files, readable like any other (tempfile defaults to 0600).
        #[cfg(unix)]
        builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o644));
        let temp = builder.tempfile_in(dir).map_err(io_err(target))?;
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
            source: e.error,
        })?;
        Ok(())
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
        rows(&mut w).map_err(|source| OutputError::Csv {
            path: path.display().to_string(),
            source,
        })?;
        w.flush().map_err(io_err(path))?;
    }
    Ok(buf)
}

fn summary_cells(s: &Summary) -> Vec<String> {
    let mut cells: Vec<String> = [s.mean, s.sd, s.se, s.p05, s.p25, s.p50, s.p75, s.p95]
        .map(cell)
        .to_vec();
    cells.push(s.n.to_string());
    cells
}

/// Header of `summary.csv`.
pub const SUMMARY_HEADER: [&str; 13] = [
    "scenario",
    "alternative",
    "region",
    "metric",
    "mean",
    "sd",
    "se",
    "p05",
    "p25",
    "p50",
    "p75",
    "p95",
    "n",
];

/// Header of `distribution.csv`.
pub const DISTRIBUTION_HEADER: [&str; 6] =
    ["scenario", "alternative", "region", "metric", "q", "value"];

/// Percentiles written to `distribution.csv`: 0.01, 0.02, …, 0.99.
pub fn distribution_levels() -> impl Iterator<Item = f64> {
    (1..100).map(|i| f64::from(i) / 100.0)
}

/// `distribution.csv` as bytes: the percentiles of each region's NPV under each
/// alternative, enough to draw its distribution.
///
/// # Errors
/// Never in practice (writes to memory); typed for the CSV writer.
pub fn distribution_csv(
    scn: &Scenario,
    result: &RunResult,
    path: &Path,
) -> Result<Vec<u8>, OutputError> {
    let layout = result.layout;
    csv_bytes(
        |w| {
            w.write_record(DISTRIBUTION_HEADER)?;
            let levels: Vec<f64> = distribution_levels().collect();
            for (a, alt) in scn.alternatives.iter().enumerate() {
                for (r, region) in scn.regions.iter().enumerate() {
                    let acc = &result.accumulators[layout.region_metric(a, r, NPV)];
                    for (q, value) in levels.iter().zip(acc.quantiles(&levels)) {
                        w.write_record([
                            scn.id.as_str(),
                            alt.name.as_str(),
                            region.id.as_str(),
                            REGION_METRICS[NPV],
                            &format!("{q}"),
                            &cell(value),
                        ])?;
                    }
                }
            }
            Ok(())
        },
        path,
    )
}

/// Header of `timeseries.csv`.
pub const TIMESERIES_HEADER: [&str; 11] = [
    "scenario",
    "alternative",
    "region",
    "year",
    "metric",
    "mean",
    "p05",
    "p50",
    "p95",
    "p25",
    "p75",
];

/// `summary.csv` as bytes: one row per alternative, region and metric, then the park.
///
/// # Errors
/// Never in practice (writes to memory); typed for the CSV writer.
pub fn summary_csv(
    scn: &Scenario,
    result: &RunResult,
    path: &Path,
) -> Result<Vec<u8>, OutputError> {
    let layout = result.layout;
    csv_bytes(
        |w| {
            w.write_record(SUMMARY_HEADER)?;
            for (a, alt) in scn.alternatives.iter().enumerate() {
                for (r, region) in scn.regions.iter().enumerate() {
                    for (m, metric) in REGION_METRICS.iter().enumerate() {
                        let s = result.accumulators[layout.region_metric(a, r, m)].summary();
                        let mut row = vec![
                            scn.id.clone(),
                            alt.name.clone(),
                            region.id.clone(),
                            (*metric).to_owned(),
                        ];
                        row.extend(summary_cells(&s));
                        w.write_record(&row)?;
                    }
                }
            }
            for (m, metric) in PARK_METRICS.iter().enumerate() {
                let s = result.accumulators[layout.park_metric(m)].summary();
                let mut row = vec![
                    scn.id.clone(),
                    ALL_ALTERNATIVES.to_owned(),
                    PARK.to_owned(),
                    (*metric).to_owned(),
                ];
                row.extend(summary_cells(&s));
                w.write_record(&row)?;
            }
            Ok(())
        },
        path,
    )
}

/// `timeseries.csv` as bytes: per alternative, region, year and series; then the park.
///
/// # Errors
/// Never in practice (writes to memory); typed for the CSV writer.
pub fn timeseries_csv(
    scn: &Scenario,
    result: &RunResult,
    path: &Path,
) -> Result<Vec<u8>, OutputError> {
    let layout = result.layout;
    let row = |alt: &str, region: &str, t: usize, metric: &str, i: usize| -> Vec<String> {
        let s = result.accumulators[i].summary();
        vec![
            scn.id.clone(),
            alt.to_owned(),
            region.to_owned(),
            scn.year(t as u32).to_string(),
            metric.to_owned(),
            cell(s.mean),
            cell(s.p05),
            cell(s.p50),
            cell(s.p95),
            cell(s.p25),
            cell(s.p75),
        ]
    };
    csv_bytes(
        |w| {
            w.write_record(TIMESERIES_HEADER)?;
            for (a, alt) in scn.alternatives.iter().enumerate() {
                for (r, region) in scn.regions.iter().enumerate() {
                    for (s, metric) in REGION_SERIES.iter().enumerate() {
                        for t in 0..layout.horizon {
                            w.write_record(row(
                                &alt.name,
                                &region.id,
                                t,
                                metric,
                                layout.region_series(a, r, s, t),
                            ))?;
                        }
                    }
                }
            }
            for (s, metric) in PARK_SERIES.iter().enumerate() {
                for t in 0..layout.horizon {
                    w.write_record(row(
                        ALL_ALTERNATIVES,
                        PARK,
                        t,
                        metric,
                        layout.park_series(s, t),
                    ))?;
                }
            }
            Ok(())
        },
        path,
    )
}

/// Streams per-path results into `paths.csv` (regions) and `paths_park.csv`, chunk by
/// chunk, and renames both into place at the end.
pub struct PathsWriter {
    regions: csv::Writer<BufWriter<std::fs::File>>,
    park: csv::Writer<BufWriter<std::fs::File>>,
    files: [AtomicFile; 2],
    path: PathBuf,
}

impl PathsWriter {
    /// Opens both files in `dir`.
    ///
    /// # Errors
    /// If the temporary files cannot be created.
    pub fn create(dir: &Path) -> Result<PathsWriter, OutputError> {
        let path = dir.join("paths.csv");
        let mut files = [
            AtomicFile::create(&path)?,
            AtomicFile::create(&dir.join("paths_park.csv"))?,
        ];
        let open =
            |f: &mut AtomicFile| -> Result<csv::Writer<BufWriter<std::fs::File>>, OutputError> {
                let clone = f.file().try_clone().map_err(io_err(&path))?;
                Ok(csv::Writer::from_writer(BufWriter::new(clone)))
            };
        let mut regions = open(&mut files[0])?;
        let mut park = open(&mut files[1])?;
        let csv_err = |source| OutputError::Csv {
            path: path.display().to_string(),
            source,
        };
        let header: Vec<&str> = ["path", "alternative", "region"]
            .into_iter()
            .chain(REGION_METRICS)
            .collect();
        regions.write_record(&header).map_err(csv_err)?;
        let header: Vec<&str> = ["path"].into_iter().chain(PARK_METRICS).collect();
        park.write_record(&header).map_err(csv_err)?;
        Ok(PathsWriter {
            regions,
            park,
            files,
            path,
        })
    }

    /// Appends a chunk of paths.
    ///
    /// # Errors
    /// If writing fails.
    pub fn write_chunk(&mut self, scn: &Scenario, chunk: &Chunk<'_>) -> Result<(), OutputError> {
        let layout: Layout = chunk.layout;
        let len = layout.len();
        let csv_err = |source| OutputError::Csv {
            path: self.path.display().to_string(),
            source,
        };
        for (i, record) in chunk.records.chunks_exact(len).enumerate() {
            let p = (chunk.first_path + i as u64).to_string();
            for (a, alt) in scn.alternatives.iter().enumerate() {
                for (r, region) in scn.regions.iter().enumerate() {
                    let mut row = vec![p.clone(), alt.name.clone(), region.id.clone()];
                    let m0 = layout.region_metric(a, r, 0);
                    row.extend(
                        record[m0..m0 + REGION_METRICS.len()]
                            .iter()
                            .map(|&x| cell(x)),
                    );
                    self.regions.write_record(&row).map_err(csv_err)?;
                }
            }
            let mut row = vec![p];
            let m0 = layout.park_metric(0);
            row.extend(record[m0..m0 + PARK_METRICS.len()].iter().map(|&x| cell(x)));
            self.park.write_record(&row).map_err(csv_err)?;
        }
        Ok(())
    }

    /// Flushes both files and renames them into place.
    ///
    /// # Errors
    /// If flushing or renaming fails.
    pub fn finish(self) -> Result<(), OutputError> {
        let PathsWriter {
            mut regions,
            mut park,
            files,
            path,
        } = self;
        regions.flush().map_err(io_err(&path))?;
        park.flush().map_err(io_err(&path))?;
        drop((regions, park));
        let [a, b] = files;
        a.commit()?;
        b.commit()
    }
}

/// The reproducibility record, `run.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunRecord {
    /// Engine name and version.
    pub engine: String,
    /// Scenario id.
    pub scenario_id: String,
    /// Scenario file as given (or the bundled name).
    pub scenario_file: String,
    /// SHA-256 of the scenario file's bytes.
    pub scenario_sha256: String,
    /// Seed.
    pub seed: u64,
    /// Paths.
    pub paths: u64,
    /// Horizon in years.
    pub horizon: u32,
    /// Worker threads.
    pub threads: usize,
    /// Paths per chunk.
    pub chunk_paths: usize,
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
}

impl RunRecord {
    /// The record of a finished run.
    pub fn new(
        scn: &Scenario,
        file: &str,
        cfg: &RunConfig,
        result: &RunResult,
        elapsed_seconds: f64,
    ) -> RunRecord {
        RunRecord {
            engine: format!("enclave {}", env!("CARGO_PKG_VERSION")),
            scenario_id: scn.id.clone(),
            scenario_file: file.to_owned(),
            scenario_sha256: scn.sha256.clone(),
            seed: cfg.seed,
            paths: result.paths,
            horizon: cfg.horizon,
            threads: result.threads,
            chunk_paths: cfg.chunk_paths,
            prng: crate::engine::PRNG_NAME.to_owned(),
            sampler: "plain Monte Carlo (inverse CDF of one uniform per uncertain input per path)"
                .to_owned(),
            uncertain_inputs: scn.params.len(),
            firm_years: result.firm_years,
            elapsed_seconds,
            firm_years_per_second: if elapsed_seconds > 0.0 {
                result.firm_years as f64 / elapsed_seconds
            } else {
                0.0
            },
            quantiles: format!(
                "exact (type 7) up to {} paths, then DDSketch with relative accuracy {}",
                crate::stats::EXACT_LIMIT,
                crate::stats::RELATIVE_ACCURACY
            ),
        }
    }
}

/// Writes `summary.csv`, `timeseries.csv`, `distribution.csv`, `run.json` and a copy
/// of the scenario (`scenario.toml`, what the results were computed from) into `dir`.
///
/// # Errors
/// If any file cannot be written.
pub fn write_results(
    dir: &Path,
    scn: &Scenario,
    result: &RunResult,
    record: &RunRecord,
) -> Result<(), OutputError> {
    std::fs::create_dir_all(dir).map_err(io_err(dir))?;
    let summary = dir.join("summary.csv");
    write_atomic(&summary, &summary_csv(scn, result, &summary)?)?;
    let timeseries = dir.join("timeseries.csv");
    write_atomic(&timeseries, &timeseries_csv(scn, result, &timeseries)?)?;
    let distribution = dir.join("distribution.csv");
    write_atomic(
        &distribution,
        &distribution_csv(scn, result, &distribution)?,
    )?;
    write_atomic(&dir.join("scenario.toml"), scn.source.as_bytes())?;
    let json = serde_json::to_string_pretty(record)
        .unwrap_or_else(|_| unreachable!("plain struct serialises"));
    write_atomic(&dir.join("run.json"), format!("{json}\n").as_bytes())
}
