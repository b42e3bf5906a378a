//! `summary.xlsx`: the results of one run as formatted Excel sheets, for the
//! planners who take them into a meeting.
//!
//! The workbook is drawn from a results folder's files, as report.html is
//! ([`crate::results::Results`]), so `enclave report DIR` redraws it and its numbers
//! are summary.csv's and timeseries.csv's, cell for cell (the NPV's outflows on
//! the Comparison sheet with the minus sign they take in it):
//!
//! - **About**: scenario, file hash, engine, seed, paths, sampler, money unit;
//! - **Comparison**: each region's headline measures (rows) under each sharing
//!   alternative (columns), with units, and beneath a measure some alternative
//!   has over fewer paths than the run's, the paths each is over; among them the
//!   parts of the NPV, outflows negative (`−pv_capital_calls`), which add up to
//!   the mean NPV, and the GDP credited to the region;
//! - **Park**: the park's measures with their standard error and P5 / P50 / P95;
//! - **Inputs**: every uncertain input (distribution and mean) and the key fixed ones;
//! - **Summary** and **Yearly**: summary.csv and timeseries.csv whole, with a unit
//!   column, number formats and a filter.
//!
//! The workbook is in the run's language (`--lang`, else `[scenario] lang`):
//! in Chinese, sheet names, headers, labels, units (the money unit as 元, 万元,
//! 百万元 or 亿元 when it is one of them) and descriptions are Chinese
//! ([`crate::i18n`]); the numbers, the CSV's text cells (ids, metric names) and
//! the scenario's own names are the same in every language.
//!
//! Every sheet has a frozen header row. The file carries no clock time (its
//! creation date is fixed), so the same results give the same bytes.

use std::path::Path;

use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, Workbook, Worksheet, XlsxError};

use crate::i18n::Lang;
use crate::output::{OutputError, write_atomic};
use crate::results::Results;
use crate::sampling::Value;
use crate::schema::{
    AltMetric, Flow, NPV_PARTS, ParkMetric, ParkSeries, RegionMetric, RegionSeries, Unit,
};

/// File name of the workbook in a results folder.
pub const XLSX_FILE: &str = "summary.xlsx";

/// Sheet names of an English workbook, in order ([`sheets`] in another language).
pub const SHEETS: [&str; 6] = ["About", "Comparison", "Park", "Inputs", "Summary", "Yearly"];

/// The region measures the Comparison sheet shows, in order, when the run has them:
/// among them every part of the NPV ([`NPV_PARTS`], in its order), each with the
/// sign it takes in the NPV, so that the parts shown add up to the mean NPV (a
/// part 0 under every alternative is left out), and the GDP credited to the region.
pub const COMPARED: [RegionMetric; 21] = [
    RegionMetric::Npv,
    RegionMetric::NpvNegative,
    RegionMetric::Participates,
    RegionMetric::Surplus,
    NPV_PARTS[0].0,
    NPV_PARTS[1].0,
    NPV_PARTS[2].0,
    NPV_PARTS[3].0,
    NPV_PARTS[4].0,
    NPV_PARTS[5].0,
    NPV_PARTS[6].0,
    NPV_PARTS[7].0,
    NPV_PARTS[8].0,
    NPV_PARTS[9].0,
    NPV_PARTS[10].0,
    NPV_PARTS[11].0,
    NPV_PARTS[12].0,
    RegionMetric::GdpCredit,
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

/// How a unit is named in an English sheet (`money` is the scenario's money unit).
pub fn unit_label(unit: Unit, money: &str) -> String {
    unit_label_in(Lang::En, unit, money)
}

/// How a unit is named in a sheet in `lang` (`money`: the money unit as `lang`
/// names it).
pub fn unit_label_in(lang: Lang, unit: Unit, money: &str) -> String {
    let tx = lang.texts();
    match unit {
        Unit::Money => money.to_owned(),
        Unit::Probability => tx.t("xlsx.unit.probability").to_owned(),
        Unit::Rate => tx.t("xlsx.unit.rate").to_owned(),
        Unit::Years => tx.t("xlsx.unit.years").to_owned(),
        Unit::Count => tx.t("xlsx.unit.count").to_owned(),
        Unit::Share => tx.t("xlsx.unit.share").to_owned(),
        Unit::Ratio => tx.t("xlsx.unit.ratio").to_owned(),
        Unit::MoneyPerMu => tx.f("xlsx.unit.money_per_mu", &[("money", &money)]),
        Unit::Mu => tx.t("xlsx.unit.mu").to_owned(),
    }
}

/// The unit of measure `metric` (its schema name) in a sheet in `lang`: a
/// count by what it counts (firms, jobs; 家, 人: the park sheet gave 个数 for
/// both, exploratory test), any other as [`unit_label_in`] names its unit.
pub fn measure_unit_in(lang: Lang, metric: &str, unit: Unit, money: &str) -> String {
    match (unit, crate::i18n::count_unit(lang, metric)) {
        (Unit::Count, Some(word)) => word.to_owned(),
        _ => unit_label_in(lang, unit, money),
    }
}

/// The sheet names in `lang`, in order (in English, [`SHEETS`]).
pub fn sheets(lang: Lang) -> [&'static str; 6] {
    let mut out = SHEETS;
    for (slot, name) in out.iter_mut().zip(lang.texts().t("xlsx.sheets").split('|')) {
        *slot = name;
    }
    out
}

/// The heading of a column of summary.csv or timeseries.csv in `lang`
/// (`xlsx.column.*`; a quantile's interval ends by `xlsx.column.ci_low` and
/// `ci_high`; other columns, the quantiles among them, as the CSV names them).
pub fn column_in(lang: Lang, name: &str) -> String {
    let tx = lang.texts();
    for (end, key) in [
        ("_ci_low", "xlsx.column.ci_low"),
        ("_ci_high", "xlsx.column.ci_high"),
    ] {
        if let Some(q) = name.strip_suffix(end) {
            return tx.f(key, &[("q", &q)]);
        }
    }
    let key = format!("xlsx.column.{name}");
    if tx.keys().any(|k| k == key) {
        tx.t(&key).to_owned()
    } else {
        name.to_owned()
    }
}

/// The name of a measure in `lang` (`kind`: `region`, `alt` or `park`): in
/// English as the CSV files name it, else `measure.<kind>.<name>.name`.
fn measure_name(lang: Lang, kind: &str, name: &'static str) -> String {
    if lang == Lang::En {
        return name.to_owned();
    }
    lang.texts()
        .t(&format!("measure.{kind}.{name}.name"))
        .to_owned()
}

/// What a measure is in `lang` (`measure.<kind>.<name>.text`; in English the
/// schema's description).
fn measure_text(lang: Lang, kind: &str, def: &'static crate::schema::MeasureDef) -> String {
    if lang == Lang::En {
        return def.description.to_owned();
    }
    lang.texts()
        .t(&format!("measure.{kind}.{}.text", def.name))
        .to_owned()
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
    let lang = res.lang;
    let tx = lang.texts();
    // A fixed creation date: the same results give the same bytes.
    let date = ExcelDateTime::from_ymd(2000, 1, 1)?;
    book.set_properties(
        &DocProperties::new()
            .set_title(tx.f("xlsx.title", &[("name", &res.scenario.name)]))
            .set_creation_datetime(&date),
    );
    let f = Formats::new();
    about(book.add_worksheet(), res, &f)?;
    comparison(book.add_worksheet(), res, &f)?;
    park(book.add_worksheet(), res, &f)?;
    inputs(book.add_worksheet(), res, &f)?;
    let money = money_of(res);
    let names = sheets(lang);
    table(
        book.add_worksheet(),
        names[4],
        &res.dir.join(crate::output::SUMMARY_FILE),
        false,
        &money,
        lang,
        &f,
    )?;
    table(
        book.add_worksheet(),
        names[5],
        &res.dir.join("timeseries.csv"),
        true,
        &money,
        lang,
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

/// The money unit as the workbook's language names it (in English the
/// scenario's own label; in Chinese 元, 万元, 百万元 or 亿元 when it is one of them).
fn money_of(res: &Results) -> String {
    crate::i18n::money_unit(
        res.lang,
        &res.scenario.money_unit,
        res.scenario.yuan_per_unit,
    )
}

/// A header row from `key`'s `|`-separated names.
fn header_of(ws: &mut Worksheet, lang: Lang, key: &str, f: &Formats) -> Result<(), XlsxError> {
    let names: Vec<&str> = lang.texts().t(key).split('|').collect();
    header(ws, &names, f)
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
    let lang = res.lang;
    let tx = lang.texts();
    ws.set_name(sheets(lang)[0])?;
    header_of(ws, lang, "xlsx.about_columns", f)?;
    let s = &res.scenario;
    let r = &res.run;
    let methods = r.methods_in(s, lang);
    let rows: Vec<(&str, String)> = vec![
        (tx.t("xlsx.scenario"), format!("{} ({})", s.name, s.id)),
        (tx.t("xlsx.description"), s.description.clone()),
        (tx.t("xlsx.file"), r.scenario_file.clone()),
        (tx.t("xlsx.sha"), r.scenario_sha256.clone()),
        (tx.t("xlsx.engine"), r.engine.clone()),
        (tx.t("xlsx.seed"), r.seed.to_string()),
        (tx.t("xlsx.paths"), r.paths.to_string()),
        (tx.t("xlsx.horizon"), r.horizon.to_string()),
        (tx.t("xlsx.start_year"), s.start_year.to_string()),
        (
            tx.t("xlsx.money_unit"),
            tx.f(
                "xlsx.money_value",
                &[("unit", &money_of(res)), ("yuan", &s.yuan_per_unit)],
            ),
        ),
        (tx.t("xlsx.sampler"), methods.sampler),
        (tx.t("xlsx.prng"), methods.prng),
        (tx.t("xlsx.quantiles"), methods.quantiles),
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
    let lang = res.lang;
    let tx = lang.texts();
    let money = money_of(res);
    ws.set_name(sheets(lang)[1])?;
    let s = &res.scenario;
    let mut names: Vec<&str> = tx.t("xlsx.comparison_columns").split('|').collect();
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
                    ("xlsx.mean", |x| x.mean),
                    ("P5", |x| x.p05),
                    ("P50", |x| x.p50),
                    ("P95", |x| x.p95),
                ]
            } else {
                &[("xlsx.mean", |x| x.mean)]
            };
            // A part of the NPV enters it with its sign: an outflow is shown
            // negative, so that the parts shown add up to the mean NPV.
            let part = NPV_PARTS.iter().find(|(p, _)| *p == m).map(|&(_, f)| f);
            let sign = part.map_or(1.0, Flow::sign);
            if s.alternatives.iter().all(|a| {
                mean(&a.name, &region.id, m.name())
                    .and_then(|x| x.mean)
                    .is_none_or(|x| part.is_some() && x == 0.0)
            }) {
                continue;
            }
            for (what, get) in lines {
                ws.write_string(row(r), 0, &region.name)?;
                let name = measure_name(lang, "region", m.name());
                let label = if unit == Unit::Probability {
                    tx.f("xlsx.probability", &[("name", &name)])
                } else {
                    // "mean" is a key; the quantiles are written as they are.
                    let what = if what.starts_with("xlsx.") {
                        tx.t(what)
                    } else {
                        what
                    };
                    let key = if part == Some(Flow::Outflow) {
                        "xlsx.outflow"
                    } else {
                        "xlsx.line"
                    };
                    tx.f(key, &[("name", &name), ("what", &what)])
                };
                ws.write_string(row(r), 1, &label)?;
                ws.write_string(row(r), 2, unit_label_in(lang, unit, &money))?;
                for (a, alt) in s.alternatives.iter().enumerate() {
                    // `+ 0.0`: an outflow of 0 is 0, not −0.
                    let x = mean(&alt.name, &region.id, m.name())
                        .and_then(get)
                        .map(|x| sign * x + 0.0);
                    number(ws, r, 3 + a, x, &Formats::of(unit))?;
                }
                r += 1;
            }
            let counts: Vec<Option<u64>> = s
                .alternatives
                .iter()
                .map(|a| mean(&a.name, &region.id, m.name()).map(|x| x.n))
                .collect();
            let name = measure_name(lang, "region", m.name());
            r = defined_in(ws, r, &region.name, &name, &counts, res, f)?;
        }
    }
    for m in AltMetric::ALL {
        let unit = m.def().unit;
        ws.write_string(row(r), 0, tx.t("xlsx.all_regions"))?;
        let name = measure_name(lang, "alt", m.name());
        ws.write_string(row(r), 1, &name)?;
        ws.write_string(row(r), 2, unit_label_in(lang, unit, &money))?;
        for (a, alt) in s.alternatives.iter().enumerate() {
            let x = mean(&alt.name, "all", m.name()).and_then(|x| x.mean);
            number(ws, r, 3 + a, x, &Formats::of(unit))?;
        }
        r += 1;
        let counts: Vec<Option<u64>> = s
            .alternatives
            .iter()
            .map(|a| mean(&a.name, "all", m.name()).map(|x| x.n))
            .collect();
        r = defined_in(ws, r, tx.t("xlsx.all_regions"), &name, &counts, res, f)?;
    }
    ws.set_column_width(0, 28)?;
    ws.set_column_width(1, 28)?;
    ws.set_column_width(2, 14)?;
    for a in 0..s.alternatives.len() {
        ws.set_column_width(col(3 + a), 16)?;
    }
    Ok(())
}

/// Under a measure of the Comparison sheet whose statistics some alternative
/// takes over fewer paths than the run's (where it is defined: an IRR, a ratio
/// to a contribution that may be 0), a row of the paths each is over, at row
/// `r`; returns the next row. A mean over a minority of the futures read as the
/// measure's (exploratory test: report.html said so, the workbook did not).
fn defined_in(
    ws: &mut Worksheet,
    r: usize,
    who: &str,
    name: &str,
    counts: &[Option<u64>],
    res: &Results,
    f: &Formats,
) -> Result<usize, XlsxError> {
    let paths = res.run.paths;
    if !counts.iter().flatten().any(|&n| n < paths) {
        return Ok(r);
    }
    let tx = res.lang.texts();
    ws.write_string(row(r), 0, who)?;
    ws.write_string(
        row(r),
        1,
        tx.f("xlsx.defined_in", &[("name", &name), ("paths", &paths)]),
    )?;
    ws.write_string(row(r), 2, tx.t("xlsx.unit.paths"))?;
    for (a, n) in counts.iter().enumerate() {
        if let Some(n) = n {
            ws.write_number_with_format(row(r), col(3 + a), *n as f64, &f.count)?;
        }
    }
    Ok(r + 1)
}

fn park(ws: &mut Worksheet, res: &Results, f: &Formats) -> Result<(), XlsxError> {
    let lang = res.lang;
    let money = money_of(res);
    ws.set_name(sheets(lang)[2])?;
    header_of(ws, lang, "xlsx.park_columns", f)?;
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
        ws.write_string(row(r), 0, measure_name(lang, "park", m.name()))?;
        ws.write_string(row(r), 1, measure_unit_in(lang, m.name(), unit, &money))?;
        for (c, v) in [x.mean, x.se, x.p05, x.p50, x.p95].into_iter().enumerate() {
            number(ws, r, 2 + c, v, &fmt)?;
        }
        ws.write_number_with_format(row(r), 7, x.n as f64, &f.count)?;
        ws.write_string(row(r), 8, measure_text(lang, "park", m.def()))?;
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
    ws.set_name(sheets(res.lang)[3])?;
    header_of(ws, res.lang, "xlsx.inputs_columns", f)?;
    let s = &res.scenario;
    let mut r = 1;
    for p in s.params.params() {
        ws.write_string(row(r), 0, &p.name)?;
        ws.write_string(row(r), 1, p.dist.describe_in(res.lang))?;
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
    lang: Lang,
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
    // Sheet columns: the CSV's, with "unit" inserted after "metric"; in the
    // workbook's language (the column widths follow the CSV's names).
    let mut names: Vec<&str> = head.iter().collect();
    names.insert(metric + 1, "unit");
    let headings: Vec<String> = names
        .iter()
        .map(|n| {
            if *n == "unit" {
                lang.texts().t("xlsx.unit_column").to_owned()
            } else {
                column_in(lang, n)
            }
        })
        .collect();
    header(
        ws,
        &headings.iter().map(String::as_str).collect::<Vec<_>>(),
        f,
    )?;
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
            ws.write_string(
                row(r),
                col(metric + 1),
                measure_unit_in(lang, &record[metric], u, money),
            )?;
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
