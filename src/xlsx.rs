//! `summary.xlsx`: the results of one run as formatted Excel sheets, for the
//! planners who take them into a meeting.
//!
//! The workbook is drawn from a results folder's files, as report.html is
//! ([`crate::results::Results`]), so `enclave report DIR` redraws it and its numbers
//! are summary.csv's and timeseries.csv's, cell for cell:
//!
//! - **About**: scenario, file hash, engine, seed, paths, sampler, money unit;
//! - **Comparison**: each region's headline measures (rows) under each sharing
//!   alternative (columns), with units;
//! - **Park**: the park's measures with their standard error and P5 / P50 / P95;
//! - **Inputs**: every uncertain input (distribution and mean) and the key fixed ones;
//! - **Summary** and **Yearly**: summary.csv and timeseries.csv whole, with a unit
//!   column, number formats and a filter.
//!
//! Every sheet has a frozen header row. The file carries no clock time (its
//! creation date is fixed), so the same results give the same bytes.

use std::path::Path;

use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, Workbook, Worksheet, XlsxError};

use crate::output::{OutputError, write_atomic};
use crate::results::Results;
use crate::sampling::Value;
use crate::schema::{AltMetric, ParkMetric, ParkSeries, RegionMetric, RegionSeries, Unit};

/// File name of the workbook in a results folder.
pub const XLSX_FILE: &str = "summary.xlsx";

/// Sheet names, in order.
pub const SHEETS: [&str; 6] = ["About", "Comparison", "Park", "Inputs", "Summary", "Yearly"];

/// The region measures the Comparison sheet shows, in order, when the run has them.
pub(crate) const COMPARED: [RegionMetric; 11] = [
    RegionMetric::Npv,
    RegionMetric::NpvNegative,
    RegionMetric::Participates,
    RegionMetric::Surplus,
    RegionMetric::PvTax,
    RegionMetric::PvLand,
    RegionMetric::PvDividends,
    RegionMetric::PvCosts,
    RegionMetric::BenefitToContribution,
    RegionMetric::Shapley,
    RegionMetric::ShapleyGap,
];

/// A column of a summary row.
type Column = fn(&crate::results::SummaryRow) -> Option<f64>;

/// Why the workbook could not be made.
#[derive(Debug, thiserror::Error)]
pub enum XlsxFileError {
    /// The writer refused something.
    #[error("cannot make {XLSX_FILE}: {0}")]
    Xlsx(#[from] XlsxError),
    /// A CSV file of the folder could not be read.
    #[error("cannot read {path} for {XLSX_FILE}: {message}")]
    Csv {
        /// The file.
        path: String,
        /// What went wrong.
        message: String,
    },
    /// Writing the file failed.
    #[error(transparent)]
    Output(#[from] OutputError),
}

/// The unit of measure `metric` on a row of `region` (`park`, `all` or a region id),
/// from the declared schema; `series` for timeseries.csv's rows.
pub fn unit_of(region: &str, metric: &str, series: bool) -> Option<Unit> {
    let def = match (region, series) {
        ("park", false) => ParkMetric::from_name(metric).map(|m| m.def()),
        ("park", true) => ParkSeries::from_name(metric).map(|m| m.def()),
        ("all", _) => AltMetric::from_name(metric).map(|m| m.def()),
        (_, false) => RegionMetric::from_name(metric).map(|m| m.def()),
        (_, true) => RegionSeries::from_name(metric).map(|m| m.def()),
    };
    def.map(|d| d.unit)
}

/// How a unit is named in a sheet (`money` is the scenario's money unit).
pub fn unit_label(unit: Unit, money: &str) -> String {
    match unit {
        Unit::Money => money.to_owned(),
        Unit::Probability => "probability".to_owned(),
        Unit::Rate => "rate per year".to_owned(),
        Unit::Years => "years".to_owned(),
        Unit::Count => "count".to_owned(),
        Unit::Share => "share".to_owned(),
        Unit::Ratio => "ratio".to_owned(),
        Unit::MoneyPerMu => format!("{money} per mu per year"),
        Unit::Mu => "mu".to_owned(),
    }
}

/// Excel number format of a unit.
fn num_format(unit: Unit) -> &'static str {
    match unit {
        Unit::Money => "#,##0.00",
        Unit::Probability | Unit::Share => "0.0%",
        Unit::Rate => "0.00%",
        Unit::Years | Unit::Count => "#,##0.0",
        Unit::Ratio => "0.000",
        Unit::MoneyPerMu => "#,##0.0000",
        Unit::Mu => "#,##0",
    }
}

/// The formats a workbook uses.
struct Formats {
    header: Format,
    title: Format,
    count: Format,
}

impl Formats {
    fn new() -> Formats {
        Formats {
            header: Format::new()
                .set_bold()
                .set_text_wrap()
                .set_background_color(0xDDE4EE),
            title: Format::new().set_bold(),
            count: Format::new().set_num_format("#,##0"),
        }
    }

    fn of(unit: Unit) -> Format {
        Format::new().set_num_format(num_format(unit))
    }
}

/// The workbook of a results folder, as bytes.
///
/// # Errors
/// If a CSV file cannot be read again or the writer fails.
pub fn workbook(res: &Results) -> Result<Vec<u8>, XlsxFileError> {
    let mut book = Workbook::new();
    // A fixed creation date: the same results give the same bytes.
    let date = ExcelDateTime::from_ymd(2000, 1, 1)?;
    book.set_properties(
        &DocProperties::new()
            .set_title(format!("{} — enclave results", res.scenario.name))
            .set_creation_datetime(&date),
    );
    let f = Formats::new();
    about(book.add_worksheet(), res, &f)?;
    comparison(book.add_worksheet(), res, &f)?;
    park(book.add_worksheet(), res, &f)?;
    inputs(book.add_worksheet(), res, &f)?;
    let money = res.scenario.money_unit.clone();
    table(
        book.add_worksheet(),
        SHEETS[4],
        &res.dir.join(crate::output::SUMMARY_FILE),
        false,
        &money,
        &f,
    )?;
    table(
        book.add_worksheet(),
        SHEETS[5],
        &res.dir.join("timeseries.csv"),
        true,
        &money,
        &f,
    )?;
    Ok(book.save_to_buffer()?)
}

/// Writes `summary.xlsx` into the results folder, atomically.
///
/// # Errors
/// As [`workbook`], or if the file cannot be written.
pub fn write(res: &Results) -> Result<(), XlsxFileError> {
    let bytes = workbook(res)?;
    write_atomic(&res.dir.join(XLSX_FILE), &bytes)?;
    Ok(())
}

fn header(ws: &mut Worksheet, names: &[&str], f: &Formats) -> Result<(), XlsxError> {
    for (c, name) in names.iter().enumerate() {
        ws.write_string_with_format(0, col(c), *name, &f.header)?;
    }
    ws.set_freeze_panes(1, 0)?;
    Ok(())
}

/// A column index as the writer takes it (sheets here have a few dozen columns).
fn col(c: usize) -> u16 {
    u16::try_from(c).unwrap_or(u16::MAX)
}

/// A row index as the writer takes it; beyond Excel's 1,048,576 rows the writer
/// reports an error.
fn row(r: usize) -> u32 {
    u32::try_from(r).unwrap_or(u32::MAX)
}

fn number(
    ws: &mut Worksheet,
    r: usize,
    c: usize,
    x: Option<f64>,
    fmt: &Format,
) -> Result<(), XlsxError> {
    match x {
        Some(x) if x.is_finite() => {
            ws.write_number_with_format(row(r), col(c), x, fmt)?;
        }
        _ => {}
    }
    Ok(())
}

fn about(ws: &mut Worksheet, res: &Results, f: &Formats) -> Result<(), XlsxError> {
    ws.set_name(SHEETS[0])?;
    header(ws, &["Item", "Value"], f)?;
    let s = &res.scenario;
    let r = &res.run;
    let rows: Vec<(&str, String)> = vec![
        ("Scenario", format!("{} ({})", s.name, s.id)),
        ("Description", s.description.clone()),
        ("Scenario file", r.scenario_file.clone()),
        ("Scenario SHA-256", r.scenario_sha256.clone()),
        ("Engine", r.engine.clone()),
        ("Seed", r.seed.to_string()),
        ("Paths", r.paths.to_string()),
        ("Horizon (years)", r.horizon.to_string()),
        ("Start year", s.start_year.to_string()),
        (
            "Money unit",
            format!("{} ({} yuan)", s.money_unit, s.yuan_per_unit),
        ),
        ("Sampler", r.sampler.clone()),
        ("Random numbers", r.prng.clone()),
        ("Quantiles", r.quantiles.clone()),
    ];
    for (i, (k, v)) in rows.iter().enumerate() {
        ws.write_string_with_format(row(i + 1), 0, *k, &f.title)?;
        ws.write_string(row(i + 1), 1, v)?;
    }
    ws.set_column_width(0, 20)?;
    ws.set_column_width(1, 90)?;
    Ok(())
}

fn comparison(ws: &mut Worksheet, res: &Results, f: &Formats) -> Result<(), XlsxError> {
    ws.set_name(SHEETS[1])?;
    let s = &res.scenario;
    let mut names = vec!["Region", "Measure", "Unit"];
    names.extend(s.alternatives.iter().map(|a| a.name.as_str()));
    header(ws, &names, f)?;
    ws.set_freeze_panes(1, 3)?;
    let mean = |alt: &str, region: &str, metric: &str| {
        res.summary
            .iter()
            .find(|r| r.alternative == alt && r.region == region && r.metric == metric)
    };
    let mut r = 1;
    for region in &s.regions {
        for m in COMPARED {
            let unit = m.def().unit;
            let lines: &[(&str, Column)] = if m == RegionMetric::Npv {
                &[
                    ("mean", |x| x.mean),
                    ("P5", |x| x.p05),
                    ("P50", |x| x.p50),
                    ("P95", |x| x.p95),
                ]
            } else {
                &[("mean", |x| x.mean)]
            };
            if s.alternatives.iter().all(|a| {
                mean(&a.name, &region.id, m.name())
                    .and_then(|x| x.mean)
                    .is_none()
            }) {
                continue;
            }
            for (what, get) in lines {
                ws.write_string(row(r), 0, &region.name)?;
                let label = if unit == Unit::Probability {
                    format!("P({})", m.name())
                } else {
                    format!("{} {what}", m.name())
                };
                ws.write_string(row(r), 1, &label)?;
                ws.write_string(row(r), 2, unit_label(unit, &s.money_unit))?;
                for (a, alt) in s.alternatives.iter().enumerate() {
                    let x = mean(&alt.name, &region.id, m.name()).and_then(get);
                    number(ws, r, 3 + a, x, &Formats::of(unit))?;
                }
                r += 1;
            }
        }
    }
    for m in AltMetric::ALL {
        let unit = m.def().unit;
        ws.write_string(row(r), 0, "all regions")?;
        ws.write_string(row(r), 1, m.name())?;
        ws.write_string(row(r), 2, unit_label(unit, &s.money_unit))?;
        for (a, alt) in s.alternatives.iter().enumerate() {
            let x = mean(&alt.name, "all", m.name()).and_then(|x| x.mean);
            number(ws, r, 3 + a, x, &Formats::of(unit))?;
        }
        r += 1;
    }
    ws.set_column_width(0, 28)?;
    ws.set_column_width(1, 28)?;
    ws.set_column_width(2, 14)?;
    for a in 0..s.alternatives.len() {
        ws.set_column_width(col(3 + a), 16)?;
    }
    Ok(())
}

fn park(ws: &mut Worksheet, res: &Results, f: &Formats) -> Result<(), XlsxError> {
    ws.set_name(SHEETS[2])?;
    header(
        ws,
        &[
            "Measure",
            "Unit",
            "mean",
            "se",
            "P5",
            "P50",
            "P95",
            "paths",
            "What it is",
        ],
        f,
    )?;
    let mut r = 1;
    for m in ParkMetric::ALL {
        let Some(x) = res
            .summary
            .iter()
            .find(|x| x.region == "park" && x.metric == m.name())
        else {
            continue;
        };
        let unit = m.def().unit;
        let fmt = Formats::of(unit);
        ws.write_string(row(r), 0, m.name())?;
        ws.write_string(row(r), 1, unit_label(unit, &res.scenario.money_unit))?;
        for (c, v) in [x.mean, x.se, x.p05, x.p50, x.p95].into_iter().enumerate() {
            number(ws, r, 2 + c, v, &fmt)?;
        }
        ws.write_number_with_format(row(r), 7, x.n as f64, &f.count)?;
        ws.write_string(row(r), 8, m.def().description)?;
        r += 1;
    }
    ws.set_column_width(0, 18)?;
    ws.set_column_width(1, 14)?;
    for c in 2..8 {
        ws.set_column_width(c, 14)?;
    }
    ws.set_column_width(8, 80)?;
    Ok(())
}

fn inputs(ws: &mut Worksheet, res: &Results, f: &Formats) -> Result<(), XlsxError> {
    ws.set_name(SHEETS[3])?;
    header(
        ws,
        &["Input (field path)", "Value or distribution", "Mean"],
        f,
    )?;
    let s = &res.scenario;
    let mut r = 1;
    for p in s.params.params() {
        ws.write_string(row(r), 0, &p.name)?;
        ws.write_string(row(r), 1, p.dist.to_string())?;
        number(ws, r, 2, Some(p.dist.mean()), &Format::new())?;
        r += 1;
    }
    let mut fixed: Vec<(String, Value)> = vec![
        ("firms.arrival_rate".to_owned(), s.firms.arrival_rate),
        ("firms.average_wage".to_owned(), s.firms.average_wage),
        ("park.saleable_share".to_owned(), s.park.saleable_share),
        (
            "costs.land_acquisition.per_mu".to_owned(),
            s.costs.land_acquisition.per_mu,
        ),
        (
            "costs.infrastructure.per_mu".to_owned(),
            s.costs.infrastructure.per_mu,
        ),
    ];
    for (i, region) in s.regions.iter().enumerate() {
        fixed.push((format!("regions[{i}].discount_rate"), region.discount_rate));
    }
    for (i, sector) in s.firms.sectors.iter().enumerate() {
        fixed.push((
            format!("firms.sectors[{i}].revenue_per_mu"),
            sector.revenue_per_mu,
        ));
    }
    ws.write_string(row(r), 0, "park.area_mu")?;
    ws.write_number(row(r), 1, s.park.area_mu)?;
    ws.write_number(row(r), 2, s.park.area_mu)?;
    r += 1;
    for (name, v) in fixed {
        if let Value::Fixed(x) = v {
            ws.write_string(row(r), 0, &name)?;
            ws.write_number(row(r), 1, x)?;
            ws.write_number(row(r), 2, x)?;
            r += 1;
        }
    }
    ws.set_column_width(0, 40)?;
    ws.set_column_width(1, 60)?;
    ws.set_column_width(2, 14)?;
    Ok(())
}

/// A CSV file of the folder whole, with a unit column after `metric`.
fn table(
    ws: &mut Worksheet,
    name: &str,
    path: &Path,
    series: bool,
    money: &str,
    f: &Formats,
) -> Result<(), XlsxFileError> {
    let err = |message: String| XlsxFileError::Csv {
        path: path.display().to_string(),
        message,
    };
    ws.set_name(name)?;
    let mut reader = csv::Reader::from_path(path).map_err(|e| err(e.to_string()))?;
    let head = reader.headers().map_err(|e| err(e.to_string()))?.clone();
    let find = |n: &str| head.iter().position(|h| h == n);
    let (Some(region), Some(metric)) = (find("region"), find("metric")) else {
        return Err(err("no region or metric column".to_owned()));
    };
    // Sheet columns: the CSV's, with "unit" inserted after "metric".
    let mut names: Vec<&str> = head.iter().collect();
    names.insert(metric + 1, "unit");
    header(ws, &names, f)?;
    let text_columns = ["scenario", "alternative", "region", "metric"];
    let mut r = 1;
    for record in reader.records() {
        let record = record.map_err(|e| err(e.to_string()))?;
        let unit = unit_of(&record[region], &record[metric], series);
        let fmt = unit.map_or_else(Format::new, Formats::of);
        for (c, (cell, column)) in record.iter().zip(head.iter()).enumerate() {
            let at = if c > metric { c + 1 } else { c };
            if text_columns.contains(&column) {
                ws.write_string(row(r), col(at), cell)?;
            } else if cell.is_empty() {
                continue;
            } else {
                let x: f64 = cell.parse().map_err(|_| {
                    err(format!(
                        "line {}: {column} = {cell:?} is not a number",
                        r + 1
                    ))
                })?;
                let fmt = if column == "n" || column == "year" {
                    &f.count
                } else {
                    &fmt
                };
                if column == "year" {
                    ws.write_number(row(r), col(at), x)?;
                } else {
                    ws.write_number_with_format(row(r), col(at), x, fmt)?;
                }
            }
        }
        if let Some(u) = unit {
            ws.write_string(row(r), col(metric + 1), unit_label(u, money))?;
        }
        r += 1;
    }
    ws.autofilter(0, 0, row(r.saturating_sub(1).max(1)), col(names.len() - 1))?;
    for (c, n) in names.iter().enumerate() {
        let width = match *n {
            "scenario" | "alternative" => 22.0,
            "metric" => 26.0,
            "unit" | "region" => 14.0,
            _ => 12.0,
        };
        ws.set_column_width(col(c), width)?;
    }
    Ok(())
}
