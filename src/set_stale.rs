//! Whether a set's files (`DIR/set/`) still describe the scenario folders beside
//! them.
//!
//! A set's `summary.csv` holds each scenario's headline rows to the last digit of
//! `DIR/<id>/summary.csv`, and its `runs.csv` says how each was run. A scenario of
//! the set run again alone into the same `DIR` (or merged alone from shards) with
//! other settings replaces `DIR/<id>/` but leaves the set as it was: the set would
//! then show numbers that no folder holds. The commands that publish a scenario's
//! folder without writing the set compare the folder's `run.json` with the set's
//! row for it ([`differences`]) and, when they differ, remove the set's files,
//! leaving [`STALE_FILE`] to say why and how to rebuild them ([`retire`]);
//! `enclave report DIR/set` checks every row the same way ([`mismatches`]), for
//! a set whose folders were changed by other means.
//!
//! The set page reads from `runs.csv` how each scenario counts money
//! ([`money`]).
//!
//! Two runs of one scenario with the same scenario hash, seed, paths, horizon,
//! fairness, engine version and math fingerprint give the same bytes, so a row
//! that agrees on all of them still describes the folder.

use std::path::{Path, PathBuf};

use crate::output::{
    OutputError, RUN_FILE, RunRecord, SET_DIR, SET_RUNS_FILE, SET_SWEEP_FILE, SET_WARNINGS_FILE,
    SUMMARY_FILE, csv_err, io_err,
};
use crate::scenario::units::MoneyBasis;

/// The note left in `DIR/set/` when the set's files were removed as stale.
pub const STALE_FILE: &str = "stale.txt";

/// The files a set writes into `DIR/set/` (its page and manifest included).
pub const SET_FILES: [&str; 6] = [
    SUMMARY_FILE,
    SET_RUNS_FILE,
    SET_WARNINGS_FILE,
    SET_SWEEP_FILE,
    crate::set_report::SET_REPORT_FILE,
    crate::publish::MANIFEST_FILE,
];

/// A scenario of a set whose folder holds another run than the set lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mismatch {
    /// The scenario id.
    pub id: String,
    /// What differs, such as `seed 20180330 in set/runs.csv, 5 in its run.json`.
    pub differences: String,
}

/// One row of `runs.csv`, as written (a column the file lacks reads as `None`
/// and is not compared).
#[derive(Debug, Default)]
struct Row {
    scenario: String,
    sha256: Option<String>,
    seed: Option<String>,
    paths: Option<String>,
    horizon: Option<String>,
    fairness: Option<String>,
    engine: Option<String>,
    math: Option<String>,
    /// `no` when the set did not write the scenario's folder (`--summary-only`):
    /// nothing beside the set is then its, and no folder can make it stale.
    folder: Option<String>,
    /// How the scenario counts money (`money_unit`, `yuan_per_unit`, `prices`):
    /// not compared, as the scenario's hash covers it; the set page names it.
    money_unit: Option<String>,
    yuan_per_unit: Option<String>,
    prices: Option<String>,
    /// The scenario's name (`[scenario] name`), which the set page shows.
    name: Option<String>,
}

impl Row {
    /// Whether the set wrote the scenario's folder (rows of sets from before the
    /// `folder` column count as written).
    fn has_folder(&self) -> bool {
        self.folder.as_deref() != Some("no")
    }

    /// How the scenario counts money: `None` for a row of a set written before
    /// the columns, or with a cell that does not read.
    fn money(&self) -> Option<MoneyBasis> {
        let yuan_per_unit = self
            .yuan_per_unit
            .as_deref()?
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|y| y.is_finite() && *y > 0.0)?;
        Some(MoneyBasis {
            unit: self.money_unit.clone().filter(|u| !u.is_empty())?,
            yuan_per_unit,
            prices: self.prices.as_deref()?.parse().ok()?,
        })
    }
}

/// Calls `each` on every row of `out/set/runs.csv` until it returns `false`;
/// nothing when the file is absent.
fn rows(out: &Path, mut each: impl FnMut(Row) -> bool) -> Result<(), OutputError> {
    let path = out.join(SET_DIR).join(SET_RUNS_FILE);
    let file = match std::fs::File::open(&path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(io_err(&path)(e)),
    };
    let mut reader = csv::Reader::from_reader(std::io::BufReader::new(file));
    let header = reader.headers().map_err(csv_err(&path))?.clone();
    let column = |name: &str| header.iter().position(|h| h == name);
    // The header's columns after `scenario` and `file`, as [`Row`] has them.
    let columns: [Option<usize>; 12] =
        std::array::from_fn(|k| column(crate::output::SET_RUNS_HEADER[k + 2]));
    let Some(id) = column("scenario") else {
        return Ok(());
    };
    for record in reader.records() {
        let record = record.map_err(csv_err(&path))?;
        let cell = |i: Option<usize>| i.and_then(|i| record.get(i)).map(str::to_owned);
        let [
            sha256,
            seed,
            paths,
            horizon,
            fairness,
            engine,
            math,
            folder,
            money_unit,
            yuan_per_unit,
            prices,
            name,
        ] = columns.map(cell);
        let row = Row {
            scenario: record.get(id).unwrap_or_default().to_owned(),
            sha256,
            seed,
            paths,
            horizon,
            fairness,
            engine,
            math,
            folder,
            money_unit,
            yuan_per_unit,
            prices,
            name,
        };
        if !each(row) {
            break;
        }
    }
    Ok(())
}

/// How the set in `out/set/` ran its first scenario, from its `runs.csv`:
/// (seed, horizon, whether the set wrote its folder). `None` when the file or
/// its first row cannot be read, or lacks the seed or horizon.
pub fn first_run(out: &Path) -> Option<(String, String, bool)> {
    let mut first = None;
    rows(out, |row| {
        first = Some(row);
        false
    })
    .ok()?;
    let row = first?;
    let has_folder = row.has_folder();
    Some((row.seed?, row.horizon?, has_folder))
}

/// Calls `each` with every scenario `out/set/runs.csv` lists, in its order, how
/// that scenario counts money (`None` when the set was written before
/// `runs.csv` recorded it) and its name (`None` likewise); nothing when the
/// file is absent.
///
/// # Errors
/// If `runs.csv` cannot be read.
pub fn money(
    out: &Path,
    mut each: impl FnMut(&str, Option<MoneyBasis>, Option<&str>),
) -> Result<(), OutputError> {
    rows(out, |row| {
        each(&row.scenario, row.money(), row.name.as_deref());
        true
    })
}

/// Every scenario's horizon as `out/set/runs.csv` lists it (years, as written),
/// in its order; nothing when the file is absent or predates the column.
///
/// # Errors
/// If `runs.csv` cannot be read.
pub fn horizons(out: &Path) -> Result<Vec<String>, OutputError> {
    let mut all = Vec::new();
    rows(out, |row| {
        all.extend(row.horizon.clone());
        true
    })?;
    Ok(all)
}

/// What of `run` differs from `row`, one phrase a field; empty when nothing does.
fn compare(row: &Row, run: &RunRecord) -> Vec<String> {
    let fairness = if run.coalitions { "on" } else { "off" };
    let mut out = Vec::new();
    if row
        .sha256
        .as_ref()
        .is_some_and(|h| *h != run.scenario_sha256)
    {
        out.push("another scenario file (its SHA-256 differs from the set's)".to_owned());
    }
    let fields = [
        ("seed", &row.seed, run.seed.to_string()),
        ("paths", &row.paths, run.paths.to_string()),
        ("horizon", &row.horizon, run.horizon.to_string()),
        ("fairness", &row.fairness, fairness.to_owned()),
        ("engine", &row.engine, run.engine.clone()),
        ("math", &row.math, run.math.clone()),
    ];
    for (name, set, now) in fields {
        if let Some(set) = set
            && *set != now
        {
            out.push(format!(
                "{name} {set} in set/runs.csv, {now} in its run.json"
            ));
        }
    }
    out
}

/// What of `run` (the run now in `out/<its id>/`) differs from the row
/// `out/set/runs.csv` has for its scenario: `None` when the set does not list it
/// (or there is no set) or lists the same run.
///
/// # Errors
/// If `runs.csv` cannot be read.
pub fn differences(out: &Path, run: &RunRecord) -> Result<Option<String>, OutputError> {
    let mut found = None;
    rows(out, |row| {
        if row.scenario != run.scenario_id {
            return true;
        }
        if !row.has_folder() {
            return false;
        }
        let d = compare(&row, run);
        if !d.is_empty() {
            found = Some(d.join("; "));
        }
        false
    })?;
    Ok(found)
}

/// Every scenario `out/set/runs.csv` lists whose folder `out/<id>/` holds a
/// `run.json` of another run, in the set's order. A scenario whose folder the
/// set did not write (`--summary-only`), or without one, or whose `run.json`
/// does not read is not compared: `enclave report` on the folder says what is wrong with it.
///
/// # Errors
/// If `runs.csv` cannot be read.
pub fn mismatches(out: &Path) -> Result<Vec<Mismatch>, OutputError> {
    let mut found = Vec::new();
    rows(out, |row| {
        if !row.has_folder() {
            return true;
        }
        let path = out.join(&row.scenario).join(RUN_FILE);
        let run = std::fs::read_to_string(&path)
            .ok()
            .and_then(|text| serde_json::from_str::<RunRecord>(&text).ok());
        if let Some(run) = run {
            let d = compare(&row, &run);
            if !d.is_empty() {
                found.push(Mismatch {
                    id: row.scenario,
                    differences: d.join("; "),
                });
            }
        }
        true
    })?;
    Ok(found)
}

/// Removes the set's files from `out/set/` and writes [`STALE_FILE`] there with
/// `why` (a line or a few); returns the note's path. The set's own command run
/// again writes the set anew and removes the note.
///
/// # Errors
/// If a file cannot be removed or the note cannot be written.
pub fn retire(out: &Path, why: &str) -> Result<PathBuf, OutputError> {
    let dir = out.join(SET_DIR);
    for name in SET_FILES {
        let path = dir.join(name);
        match std::fs::remove_file(&path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(io_err(&path)(e)),
            _ => {}
        }
    }
    let note = dir.join(STALE_FILE);
    crate::output::write_atomic(&note, format!("{}\n", why.trim_end()).as_bytes())?;
    Ok(note)
}

/// The note [`retire`] left in `set_dir` (a `DIR/set` folder), when the set's
/// files were removed and not written again since.
pub fn retired(set_dir: &Path) -> Option<String> {
    if set_dir.join(SUMMARY_FILE).is_file() {
        return None;
    }
    std::fs::read_to_string(set_dir.join(STALE_FILE))
        .ok()
        .map(|t| t.trim_end().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(seed: &str) -> Row {
        Row {
            scenario: "a".to_owned(),
            seed: Some(seed.to_owned()),
            fairness: Some("off".to_owned()),
            ..Row::default()
        }
    }

    fn record(seed: u64) -> RunRecord {
        let text = format!(
            r#"{{"engine":"enclave 0","scenario_id":"a","scenario_file":"a.toml","scenario_sha256":"00","seed":{seed},"paths":10,"horizon":5,"threads":1,"batch_paths":256,"pilot_paths":0,"ranges":[[0,10]],"prng":"x","sampler":"x","uncertain_inputs":0,"firm_years":0,"elapsed_seconds":0.0,"firm_years_per_second":0.0,"quantiles":"x"}}"#
        );
        serde_json::from_str(&text).expect("a run record")
    }

    /// runs.csv as sets write it now, and as they did before the money columns:
    /// both read, and only the new says how a scenario counts money.
    #[test]
    fn runs_csv_reads_with_and_without_the_money_columns() {
        use crate::scenario::units::PriceBase;
        let dir = std::env::temp_dir().join(format!("enclave-set-stale-{}", std::process::id()));
        let set = dir.join(SET_DIR);
        std::fs::create_dir_all(&set).expect("a folder");
        let old = "scenario,file,sha256,seed,paths,horizon,fairness,engine,math,folder\n\
                   a,a.toml,00,7,10,5,off,enclave 0,x,no\n";
        let new = format!(
            "{}\na,a.toml,00,7,10,5,off,enclave 0,x,no,million CNY,1000000,2006,A park\n\
             b,b.toml,00,7,10,5,off,enclave 0,x,yes,万元,10000,current,乙\n",
            crate::output::SET_RUNS_HEADER.join(",")
        );
        let read = |text: &str| {
            std::fs::write(set.join(SET_RUNS_FILE), text).expect("runs.csv");
            let mut got = Vec::new();
            money(&dir, |id, m, name| {
                got.push((id.to_owned(), m, name.map(str::to_owned)));
            })
            .expect("it reads");
            (got, first_run(&dir))
        };
        let (got, first) = read(old);
        assert_eq!(got, [("a".to_owned(), None, None)]);
        assert_eq!(first, Some(("7".to_owned(), "5".to_owned(), false)));
        let (got, first) = read(&new);
        let basis = |unit: &str, yuan, prices| MoneyBasis {
            unit: unit.to_owned(),
            yuan_per_unit: yuan,
            prices,
        };
        assert_eq!(
            got,
            [
                (
                    "a".to_owned(),
                    Some(basis("million CNY", 1e6, PriceBase::Constant(2006))),
                    Some("A park".to_owned())
                ),
                (
                    "b".to_owned(),
                    Some(basis("万元", 1e4, PriceBase::Current)),
                    Some("乙".to_owned())
                ),
            ]
        );
        assert_eq!(first, Some(("7".to_owned(), "5".to_owned(), false)));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_row_differs_only_in_the_columns_it_has() {
        assert!(compare(&row("7"), &record(7)).is_empty());
        assert_eq!(
            compare(&row("7"), &record(5)),
            ["seed 7 in set/runs.csv, 5 in its run.json"]
        );
    }
}
