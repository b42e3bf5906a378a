//! A finished run read back from its output folder: the scenario copy, `run.json`
//! and the CSV files, as typed rows with lookups.
//!
//! Charts and the report are built from this, never from the in-memory run, so
//! `enclave report DIR` redraws exactly what `enclave run` drew.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::output::{ALL_ALTERNATIVES, ALL_REGIONS, PARK, RunRecord};
use crate::scenario::{Scenario, ScenarioError};
use crate::schema::{
    AltMetric, ParkMetric, ParkSeries, Quantiles, RegionMetric, RegionSeries, distribution_levels,
};

/// Why an output folder could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ResultsError {
    /// A file is missing or unreadable.
    #[error("cannot read {path}")]
    Io {
        /// The file.
        path: String,
        /// Cause.
        #[source]
        source: std::io::Error,
    },
    /// A CSV file does not have the expected columns or values.
    #[error("{path} is damaged or not a results file of this version of enclave")]
    Csv {
        /// The file.
        path: String,
        /// Cause.
        #[source]
        source: csv::Error,
    },
    /// `run.json` does not parse.
    #[error("{path} is not a run record of this version of enclave")]
    Json {
        /// The file.
        path: String,
        /// Cause.
        #[source]
        source: serde_json::Error,
    },
    /// A file names a measure the schema does not declare.
    #[error("{path}: unknown {kind} `{name}` (not a measure of this version of enclave)")]
    UnknownMeasure {
        /// The file.
        path: String,
        /// Metric or series.
        kind: &'static str,
        /// The name found.
        name: String,
    },
    /// A file lacks rows that the schema and the scenario call for.
    #[error(
        "{path}: {missing} rows missing, e.g. {example} (the folder is incomplete or from another version)"
    )]
    MissingRows {
        /// The file.
        path: String,
        /// How many rows are missing.
        missing: usize,
        /// One of them.
        example: String,
    },
    /// The scenario copy is not the file the results were computed from.
    #[error(
        "{path} is not the scenario these results were computed from: its SHA-256 is {found}, run.json records {recorded}"
    )]
    ScenarioMismatch {
        /// The scenario copy.
        path: String,
        /// Its hash.
        found: String,
        /// The hash in run.json.
        recorded: String,
    },
    /// The scenario's SHA-256, which covers the data files its `empirical`
    /// inputs read, is not run.json's: a data file changed since the run (the
    /// likely cause when `copy_intact`: the copy is the one the manifest
    /// lists), or the copy did.
    #[error("{}", data_changed(.path, .files, .copy_intact, .found, .recorded))]
    DataChanged {
        /// The scenario copy.
        path: String,
        /// The data files its inputs read, as read (each once).
        files: Vec<String>,
        /// Whether the copy is the one the folder's manifest lists.
        copy_intact: bool,
        /// The hash of the copy and the data files now.
        found: String,
        /// The hash in run.json.
        recorded: String,
    },
    /// The scenario copy does not load.
    #[error("the scenario copy in the output folder does not load")]
    Scenario(#[from] ScenarioError),
    /// The scenario copy, whose `empirical` inputs read data files, does not
    /// load: said with the folder they were read from, the run's scenario
    /// folder, not the copy's (the message named only the copy, where the data
    /// never were: exploratory test).
    #[error(
        "the scenario copy in the output folder does not load; its data files are read relative to {dir}, the folder of the scenario that was run (run.json's scenario_dir)"
    )]
    DataScenario {
        /// The folder run.json records.
        dir: String,
        /// Why it does not load.
        #[source]
        source: ScenarioError,
    },
}

/// [`ResultsError::DataChanged`]'s message: the data files named first, as
/// they are what changed when the copy is intact (the message blamed the
/// unchanged copy: exploratory test).
fn data_changed(
    path: &str,
    files: &[String],
    copy_intact: &bool,
    found: &str,
    recorded: &str,
) -> String {
    let list = files.join(", ");
    let hashes = format!(
        "the scenario's SHA-256, which covers the data files its inputs read, is now {found}, run.json records {recorded}"
    );
    // The copy the manifest lists may still have been edited and the manifest
    // written again: the data are the likely cause, not a certain one.
    let listed = format!("{path} is the copy the folder's manifest lists");
    match (*copy_intact, files.len()) {
        (true, 1) => format!(
            "the data file {list} has likely changed since these results were computed: {hashes}, and {listed}"
        ),
        (true, _) => format!(
            "one of the data files {list} has likely changed since these results were computed: {hashes}, and {listed}"
        ),
        (false, _) => format!(
            "{path} or the data files it reads ({list}) are not those these results were computed from: {hashes}"
        ),
    }
}

/// Whether `text` is the scenario copy the manifest of `dir` lists (by its
/// SHA-256): when it is, a scenario hash that differs from run.json's comes
/// from the data files.
fn copy_in_manifest(dir: &Path, text: &str) -> bool {
    let Ok(manifest) = std::fs::read_to_string(dir.join(crate::publish::MANIFEST_FILE)) else {
        return false;
    };
    let Ok(manifest) = serde_json::from_str::<crate::publish::Manifest>(&manifest) else {
        return false;
    };
    let sha = crate::scenario::sha256_hex(text.as_bytes());
    manifest
        .files
        .iter()
        .any(|f| f.name == "scenario.toml" && f.sha256 == sha)
}

/// A cell that is blank (undefined) or a finite number: a run never writes `inf`
/// or `NaN`, so such a cell means a damaged file.
fn finite_cell<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    match Option::<f64>::deserialize(d)? {
        Some(x) if !x.is_finite() => Err(serde::de::Error::custom(format!(
            "expected a finite number or a blank cell (undefined), found {x}"
        ))),
        cell => Ok(cell),
    }
}

/// A cell that holds a finite number.
fn finite_number<'de, D: serde::Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    match f64::deserialize(d)? {
        x if x.is_finite() => Ok(x),
        x => Err(serde::de::Error::custom(format!(
            "expected a finite number, found {x}"
        ))),
    }
}

/// One row of `summary.csv` (the default: an empty row, for tests).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct SummaryRow {
    /// Alternative name (`all` for park rows).
    pub alternative: String,
    /// Region id (`park` for park rows).
    pub region: String,
    /// Metric name.
    pub metric: String,
    /// Mean (None when undefined on every path).
    #[serde(deserialize_with = "finite_cell")]
    pub mean: Option<f64>,
    /// Standard deviation.
    #[serde(deserialize_with = "finite_cell")]
    pub sd: Option<f64>,
    /// Standard error of the mean.
    #[serde(deserialize_with = "finite_cell")]
    pub se: Option<f64>,
    /// 5th percentile.
    #[serde(deserialize_with = "finite_cell")]
    pub p05: Option<f64>,
    /// 25th percentile.
    #[serde(deserialize_with = "finite_cell")]
    pub p25: Option<f64>,
    /// Median.
    #[serde(deserialize_with = "finite_cell")]
    pub p50: Option<f64>,
    /// 75th percentile.
    #[serde(deserialize_with = "finite_cell")]
    pub p75: Option<f64>,
    /// 95th percentile.
    #[serde(deserialize_with = "finite_cell")]
    pub p95: Option<f64>,
    /// Paths where the metric is defined.
    pub n: u64,
    /// 95% confidence interval of `p05` (absent in results from before the
    /// intervals, and for measures without percentiles).
    #[serde(default, deserialize_with = "finite_cell")]
    pub p05_ci_low: Option<f64>,
    /// Its high end.
    #[serde(default, deserialize_with = "finite_cell")]
    pub p05_ci_high: Option<f64>,
    /// 95% confidence interval of `p25`.
    #[serde(default, deserialize_with = "finite_cell")]
    pub p25_ci_low: Option<f64>,
    /// Its high end.
    #[serde(default, deserialize_with = "finite_cell")]
    pub p25_ci_high: Option<f64>,
    /// 95% confidence interval of `p50`.
    #[serde(default, deserialize_with = "finite_cell")]
    pub p50_ci_low: Option<f64>,
    /// Its high end.
    #[serde(default, deserialize_with = "finite_cell")]
    pub p50_ci_high: Option<f64>,
    /// 95% confidence interval of `p75`.
    #[serde(default, deserialize_with = "finite_cell")]
    pub p75_ci_low: Option<f64>,
    /// Its high end.
    #[serde(default, deserialize_with = "finite_cell")]
    pub p75_ci_high: Option<f64>,
    /// 95% confidence interval of `p95`.
    #[serde(default, deserialize_with = "finite_cell")]
    pub p95_ci_low: Option<f64>,
    /// Its high end.
    #[serde(default, deserialize_with = "finite_cell")]
    pub p95_ci_high: Option<f64>,
}

/// One row of `timeseries.csv`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct SeriesRow {
    /// Alternative name (`all` for park rows).
    pub alternative: String,
    /// Region id (`park` for park rows).
    pub region: String,
    /// Calendar year.
    pub year: i32,
    /// Series name.
    pub metric: String,
    /// Mean.
    #[serde(deserialize_with = "finite_cell")]
    pub mean: Option<f64>,
    /// Standard deviation.
    #[serde(deserialize_with = "finite_cell")]
    pub sd: Option<f64>,
    /// 5th percentile.
    #[serde(deserialize_with = "finite_cell")]
    pub p05: Option<f64>,
    /// 25th percentile.
    #[serde(deserialize_with = "finite_cell")]
    pub p25: Option<f64>,
    /// Median.
    #[serde(deserialize_with = "finite_cell")]
    pub p50: Option<f64>,
    /// 75th percentile.
    #[serde(deserialize_with = "finite_cell")]
    pub p75: Option<f64>,
    /// 95th percentile.
    #[serde(deserialize_with = "finite_cell")]
    pub p95: Option<f64>,
    /// Paths where the value is defined.
    pub n: u64,
}

/// One row of `distribution.csv`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct QuantileRow {
    /// Alternative name.
    pub alternative: String,
    /// Region id.
    pub region: String,
    /// Metric name.
    pub metric: String,
    /// Probability level.
    #[serde(deserialize_with = "finite_number")]
    pub q: f64,
    /// Value at that level.
    #[serde(deserialize_with = "finite_cell")]
    pub value: Option<f64>,
}

/// One row of `fairness.csv`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct FairnessRow {
    /// Alternative name.
    pub alternative: String,
    /// Region id (`all` for the alternative as a whole).
    pub region: String,
    /// Metric name ([`crate::fairness::Metric::name`]).
    pub metric: String,
    /// Mean (None when undefined).
    #[serde(deserialize_with = "finite_cell")]
    pub mean: Option<f64>,
    /// Standard error.
    #[serde(deserialize_with = "finite_cell")]
    pub se: Option<f64>,
    /// Paths covered.
    pub n: u64,
}

/// Everything a run left in its output folder.
#[derive(Debug, Clone)]
pub struct Results {
    /// The folder.
    pub dir: PathBuf,
    /// Language of the report and charts drawn from it: the scenario's
    /// `[scenario] lang`, unless a command's `--lang` sets another.
    pub lang: crate::i18n::Lang,
    /// The scenario, from the folder's `scenario.toml`.
    pub scenario: Scenario,
    /// `run.json`.
    pub run: RunRecord,
    /// `summary.csv`.
    pub summary: Vec<SummaryRow>,
    /// `timeseries.csv`.
    pub timeseries: Vec<SeriesRow>,
    /// `distribution.csv`.
    pub distribution: Vec<QuantileRow>,
    /// `fairness.csv`.
    pub fairness: Vec<FairnessRow>,
}

fn read_csv<T: DeserializeOwned>(path: &Path) -> Result<Vec<T>, ResultsError> {
    let csv_err = |source| ResultsError::Csv {
        path: path.display().to_string(),
        source,
    };
    let mut reader = csv::Reader::from_path(path).map_err(csv_err)?;
    reader
        .deserialize()
        .collect::<Result<Vec<T>, _>>()
        .map_err(csv_err)
}

/// The rows of `summary.csv` bytes (as [`crate::output::summary_csv`] makes them);
/// `path` names them in errors.
///
/// # Errors
/// If a row does not parse.
pub fn parse_summary(bytes: &[u8], path: &Path) -> Result<Vec<SummaryRow>, ResultsError> {
    csv::Reader::from_reader(bytes)
        .deserialize()
        .collect::<Result<Vec<SummaryRow>, _>>()
        .map_err(|source| ResultsError::Csv {
            path: path.display().to_string(),
            source,
        })
}

impl Results {
    /// Reads an output folder (`DIR/<scenario id>/`).
    ///
    /// # Errors
    /// If a file is missing or does not parse, a CSV file lacks rows, or the
    /// scenario copy does not load or is not the one run.json records (by hash).
    /// The folder's manifest is checked apart, by [`crate::publish::verify`].
    pub fn load(dir: &Path) -> Result<Results, ResultsError> {
        let read = |name: &str| {
            let path = dir.join(name);
            std::fs::read_to_string(&path).map_err(|source| ResultsError::Io {
                path: path.display().to_string(),
                source,
            })
        };
        let scenario_path = dir.join("scenario.toml");
        let run_path = dir.join(crate::output::RUN_FILE);
        let run: RunRecord =
            serde_json::from_str(&read(crate::output::RUN_FILE)?).map_err(|source| {
                ResultsError::Json {
                    path: run_path.display().to_string(),
                    source,
                }
            })?;
        // The copy holds the text, not the data of `empirical` inputs: those are
        // read relative to the scenario file that was run, from the absolute
        // folder run.json records (no other scenario reads any file), and the
        // hash below refuses data changed since.
        let text = read("scenario.toml")?;
        let scenario = Scenario::parse_at(
            &text,
            &scenario_path.display().to_string(),
            crate::shard::data_dir(run.scenario_dir.as_deref(), &run.scenario_file),
        )
        .map_err(|source| match &run.scenario_dir {
            Some(dir) => ResultsError::DataScenario {
                dir: dir.clone(),
                source,
            },
            None => ResultsError::Scenario(source),
        })?;
        if scenario.sha256 != run.scenario_sha256 && !scenario.data.is_empty() {
            let mut files: Vec<String> = Vec::new();
            for d in &scenario.data {
                let file = d.path.display().to_string();
                if !files.contains(&file) {
                    files.push(file);
                }
            }
            return Err(ResultsError::DataChanged {
                path: scenario_path.display().to_string(),
                files,
                copy_intact: copy_in_manifest(dir, &text),
                found: scenario.sha256,
                recorded: run.scenario_sha256,
            });
        }
        if scenario.sha256 != run.scenario_sha256 {
            return Err(ResultsError::ScenarioMismatch {
                path: scenario_path.display().to_string(),
                found: scenario.sha256,
                recorded: run.scenario_sha256,
            });
        }
        let results = Results {
            dir: dir.to_owned(),
            lang: scenario.lang,
            scenario,
            run,
            summary: read_csv(&dir.join("summary.csv"))?,
            timeseries: read_csv(&dir.join("timeseries.csv"))?,
            distribution: read_csv(&dir.join("distribution.csv"))?,
            fairness: read_csv(&dir.join("fairness.csv"))?,
        };
        results.check_measures()?;
        results.check_complete()?;
        Ok(results)
    }

    /// The summary row of region metric `m` of one alternative and region.
    pub fn summary(&self, alternative: &str, region: &str, m: RegionMetric) -> Option<&SummaryRow> {
        self.summary
            .iter()
            .find(|r| r.alternative == alternative && r.region == region && r.metric == m.name())
    }

    /// The `fairness.csv` row of `metric` for one alternative and region (`all`:
    /// the alternative as a whole).
    pub fn fairness(
        &self,
        alternative: &str,
        region: &str,
        metric: crate::fairness::Metric,
    ) -> Option<&FairnessRow> {
        self.fairness.iter().find(|r| {
            r.alternative == alternative && r.region == region && r.metric == metric.name()
        })
    }

    /// The summary row of alternative metric `m` of one alternative.
    pub fn alt_summary(&self, alternative: &str, m: AltMetric) -> Option<&SummaryRow> {
        self.summary.iter().find(|r| {
            r.alternative == alternative && r.region == ALL_REGIONS && r.metric == m.name()
        })
    }

    /// The summary row of park metric `m`.
    pub fn park_summary(&self, m: ParkMetric) -> Option<&SummaryRow> {
        self.summary
            .iter()
            .find(|r| r.alternative == ALL_ALTERNATIVES && r.region == PARK && r.metric == m.name())
    }

    /// The yearly rows of region series `s` of one alternative and region, in year order.
    pub fn series(&self, alternative: &str, region: &str, s: RegionSeries) -> Vec<&SeriesRow> {
        self.series_rows(alternative, region, s.name())
    }

    /// The yearly rows of park series `s`, in year order.
    pub fn park_series(&self, s: ParkSeries) -> Vec<&SeriesRow> {
        self.series_rows(ALL_ALTERNATIVES, PARK, s.name())
    }

    fn series_rows(&self, alternative: &str, region: &str, metric: &str) -> Vec<&SeriesRow> {
        self.timeseries
            .iter()
            .filter(|r| r.alternative == alternative && r.region == region && r.metric == metric)
            .collect()
    }

    /// The (q, value) percentiles of region metric `m`'s distribution, in q order.
    pub fn quantiles(&self, alternative: &str, region: &str, m: RegionMetric) -> Vec<(f64, f64)> {
        self.distribution
            .iter()
            .filter(|r| r.alternative == alternative && r.region == region && r.metric == m.name())
            .filter_map(|r| r.value.map(|v| (r.q, v)))
            .collect()
    }

    /// Every row the schema calls for is there: each declared measure for each
    /// alternative, region and year of the scenario.
    fn check_complete(&self) -> Result<(), ResultsError> {
        let scn = &self.scenario;
        let horizon = self.run.horizon;
        let missing = |file: &str, expected: Vec<String>, found: HashSet<String>| {
            let absent: Vec<&String> = expected.iter().filter(|k| !found.contains(*k)).collect();
            match absent.first() {
                None => Ok(()),
                Some(example) => Err(ResultsError::MissingRows {
                    path: self.dir.join(file).display().to_string(),
                    missing: absent.len(),
                    example: (*example).clone(),
                }),
            }
        };
        let key = |a: &str, r: &str, m: &str| format!("{a},{r},{m}");
        let mut expected = Vec::new();
        for alt in &scn.alternatives {
            for region in &scn.regions {
                for m in RegionMetric::ALL {
                    expected.push(key(&alt.name, &region.id, m.name()));
                }
            }
        }
        for alt in &scn.alternatives {
            for m in AltMetric::ALL {
                expected.push(key(&alt.name, ALL_REGIONS, m.name()));
            }
        }
        for m in ParkMetric::ALL {
            expected.push(key(ALL_ALTERNATIVES, PARK, m.name()));
        }
        let found = self
            .summary
            .iter()
            .map(|r| key(&r.alternative, &r.region, &r.metric))
            .collect();
        missing("summary.csv", expected, found)?;

        let year = |t: u32| scn.year(t).to_string();
        let mut expected = Vec::new();
        for alt in &scn.alternatives {
            for region in &scn.regions {
                for s in RegionSeries::ALL {
                    for t in 0..horizon {
                        expected.push(key(
                            &alt.name,
                            &region.id,
                            &format!("{},{}", s.name(), year(t)),
                        ));
                    }
                }
            }
        }
        for s in ParkSeries::ALL {
            for t in 0..horizon {
                expected.push(key(
                    ALL_ALTERNATIVES,
                    PARK,
                    &format!("{},{}", s.name(), year(t)),
                ));
            }
        }
        let found = self
            .timeseries
            .iter()
            .map(|r| {
                key(
                    &r.alternative,
                    &r.region,
                    &format!("{},{}", r.metric, r.year),
                )
            })
            .collect();
        missing("timeseries.csv", expected, found)?;

        let mut expected = Vec::new();
        for alt in &scn.alternatives {
            for region in &scn.regions {
                for m in RegionMetric::ALL {
                    if m.def().quantiles == Quantiles::Distribution {
                        for q in distribution_levels() {
                            expected.push(key(&alt.name, &region.id, &format!("{},{q}", m.name())));
                        }
                    }
                }
            }
        }
        let found = self
            .distribution
            .iter()
            .map(|r| key(&r.alternative, &r.region, &format!("{},{}", r.metric, r.q)))
            .collect();
        missing("distribution.csv", expected, found)?;

        let mut expected = Vec::new();
        for alt in &scn.alternatives {
            for region in &scn.regions {
                for m in crate::fairness::Metric::REGION {
                    expected.push(key(&alt.name, &region.id, m.name()));
                }
            }
            for m in crate::fairness::Metric::ALTERNATIVE {
                expected.push(key(&alt.name, ALL_REGIONS, m.name()));
            }
        }
        let found = self
            .fairness
            .iter()
            .map(|r| key(&r.alternative, &r.region, &r.metric))
            .collect();
        missing("fairness.csv", expected, found)
    }

    /// Every row names a declared measure of the right kind.
    fn check_measures(&self) -> Result<(), ResultsError> {
        let unknown = |file: &str, kind: &'static str, name: &str| ResultsError::UnknownMeasure {
            path: self.dir.join(file).display().to_string(),
            kind,
            name: name.to_owned(),
        };
        for r in &self.summary {
            let park = r.region == PARK && r.alternative == ALL_ALTERNATIVES;
            let known = if park {
                ParkMetric::from_name(&r.metric).is_some()
            } else if r.region == ALL_REGIONS {
                AltMetric::from_name(&r.metric).is_some()
            } else {
                RegionMetric::from_name(&r.metric).is_some()
            };
            if !known {
                return Err(unknown("summary.csv", "metric", &r.metric));
            }
        }
        for r in &self.timeseries {
            let park = r.region == PARK && r.alternative == ALL_ALTERNATIVES;
            let known = if park {
                ParkSeries::from_name(&r.metric).is_some()
            } else {
                RegionSeries::from_name(&r.metric).is_some()
            };
            if !known {
                return Err(unknown("timeseries.csv", "series", &r.metric));
            }
        }
        for r in &self.distribution {
            if RegionMetric::from_name(&r.metric).is_none() {
                return Err(unknown("distribution.csv", "metric", &r.metric));
            }
        }
        for r in &self.fairness {
            let known = if r.region == ALL_REGIONS {
                &crate::fairness::Metric::ALTERNATIVE[..]
            } else {
                &crate::fairness::Metric::REGION[..]
            };
            if !known.iter().any(|m| m.name() == r.metric) {
                return Err(unknown("fairness.csv", "metric", &r.metric));
            }
        }
        Ok(())
    }
}
