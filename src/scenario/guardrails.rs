//! Guardrails: inputs that validate but lie far outside what real parks show.
//!
//! A scenario can be valid and still wrong by a unit: a revenue per mu typed 100×
//! too high, or a wage in yuan where the file counts in million yuan, validates and
//! runs, and the run reports trillions of tax and a handful of jobs. Each guardrail
//! is a documented plausible range with its source (REFERENCES.md, cited in
//! docs/scenario.md "Plausible ranges"); an input outside it is a [`Warning`], not an
//! error (`--strict` makes it one), naming the field, its line, the value, the range
//! and the source, and, when the value would fall inside the range in another money
//! unit, which one.
//!
//! An uncertain input is judged by its mean. Amounts are compared in yuan, whatever
//! the scenario's money unit (`scenario.yuan_per_unit`).

use super::{FirmLand, Scenario};
use crate::sampling::Value;

/// One plausible range.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Guardrail {
    /// Its name in the strings of each language: `guardrail.<key>.what`, what is
    /// checked, as docs/scenario.md names it, `guardrail.<key>.unit`, the unit
    /// of the range (yuan-based for money) ([`Guardrail::unit`]),
    /// `guardrail.<key>.source`, the evidence with its section of REFERENCES.md
    /// ([`Guardrail::source`]), and for a range on a result,
    /// `guardrail.<key>.metric`, the result's name ([`Guardrail::metric`]).
    pub key: &'static str,
    /// Lower end, in its unit.
    pub low: f64,
    /// Upper end, in its unit.
    pub high: f64,
    /// Whether the figure is an amount of money (compared in yuan).
    pub money: bool,
    /// Whether the input judged is a calendar year (shown as written, not
    /// grouped in thousands).
    pub year_input: bool,
}

impl Guardrail {
    /// What is checked, in `lang`.
    pub fn what(&self, lang: crate::i18n::Lang) -> String {
        lang.texts()
            .t(&format!("guardrail.{}.what", self.key))
            .to_owned()
    }

    /// The unit of the range in `lang` (yuan-based for money, so any money
    /// unit compares).
    pub fn unit(&self, lang: crate::i18n::Lang) -> String {
        lang.texts()
            .t(&format!("guardrail.{}.unit", self.key))
            .to_owned()
    }

    /// The evidence for the range, with its section of REFERENCES.md, in
    /// `lang` (the English is what docs/scenario.md cites).
    pub fn source(&self, lang: crate::i18n::Lang) -> String {
        lang.texts()
            .t(&format!("guardrail.{}.source", self.key))
            .to_owned()
    }

    /// The name of the result a range on a result judges, in `lang`: in
    /// English the name run.json records ([`check_results`]), in Chinese its
    /// Chinese name (人均税收). Only the ranges of [`RESULT_GUARDRAILS`] have one.
    pub fn metric(&self, lang: crate::i18n::Lang) -> String {
        lang.texts()
            .t(&format!("guardrail.{}.metric", self.key))
            .to_owned()
    }
}

/// Revenue (output) per mu of a sector at maturity.
pub const REVENUE_PER_MU: Guardrail = Guardrail {
    key: "revenue_per_mu",
    low: 0.5e6,
    high: 30e6,
    money: true,
    year_input: false,
};

/// The average wage.
pub const AVERAGE_WAGE: Guardrail = Guardrail {
    key: "average_wage",
    low: 20e3,
    high: 300e3,
    money: true,
    year_input: false,
};

/// A sector's building value per mu (the property-tax base).
pub const BUILDING_VALUE_PER_MU: Guardrail = Guardrail {
    key: "building_value_per_mu",
    low: 0.1e6,
    high: 10e6,
    money: true,
    year_input: false,
};

/// Land acquisition and relocation per mu.
pub const LAND_ACQUISITION_PER_MU: Guardrail = Guardrail {
    key: "land_acquisition_per_mu",
    low: 10e3,
    high: 1e6,
    money: true,
    year_input: false,
};

/// Infrastructure (servicing) per mu.
pub const INFRASTRUCTURE_PER_MU: Guardrail = Guardrail {
    key: "infrastructure_per_mu",
    low: 30e3,
    high: 1.5e6,
    money: true,
    year_input: false,
};

/// The price the park company sells land for, per mu.
///
/// REFERENCES.md has no land price, so the range is set around the costs a sale
/// recovers, land acquisition and servicing at 50–330 k yuan per mu (§4): from a
/// tenth of the lowest to fifteen times the highest. The bundled scenarios assume
/// 80–400 k yuan per mu; a price of 0 (land not sold) is not judged.
pub const LAND_PRICE_PER_MU: Guardrail = Guardrail {
    key: "land_price_per_mu",
    low: 5e3,
    high: 5e6,
    money: true,
    year_input: false,
};

/// Years the arrivals take to fill the saleable land.
pub const FILL_YEARS: Guardrail = Guardrail {
    key: "fill_years",
    low: 1.0,
    high: 40.0,
    money: false,
    year_input: false,
};

/// Years a phase's land is open within the horizon: the horizon's last year less
/// the year the land opens (its start year plus build years), plus 1. Land that
/// opens after the horizon is never simulated, though the report lists the phase.
pub const PHASE_OPEN_YEARS: Guardrail = Guardrail {
    key: "phase_open_years",
    low: 1.0,
    high: 1000.0,
    money: false,
    year_input: true,
};

/// The run's mean tax per occupied mu (亩均税收), a headline result.
pub const TAX_PER_MU: Guardrail = Guardrail {
    key: "tax_per_mu",
    low: 10e3,
    high: 1e6,
    money: true,
    year_input: false,
};

/// The run's mean revenue per occupied mu (亩均产值), a headline result.
pub const OUTPUT_PER_MU: Guardrail = Guardrail {
    key: "output_per_mu",
    low: 0.3e6,
    high: 50e6,
    money: true,
    year_input: false,
};

/// The run's tax per job (all taxes over the horizon ÷ job-years over the
/// horizon, a ratio of the means over the paths), a headline result. It catches
/// what the per-mu figures cannot: a wage or wage share in the wrong unit moves
/// the jobs, not the taxes.
///
/// REFERENCES.md has no figure of jobs or tax per worker, so the range is derived
/// from the sourced tax per mu (20–400 k yuan, §4) at a wide, unsourced 0.13–10
/// jobs per mu: 20 k ÷ 10 = 2 k and 400 k ÷ 0.13 ≈ 3 M. The bundled scenarios give
/// 21–48 k yuan per job-year.
pub const TAX_PER_JOB: Guardrail = Guardrail {
    key: "tax_per_job",
    low: 2e3,
    high: 3e6,
    money: true,
    year_input: false,
};

/// Every guardrail on headline results, in the order docs/scenario.md lists them.
pub const RESULT_GUARDRAILS: [&Guardrail; 3] = [&TAX_PER_MU, &OUTPUT_PER_MU, &TAX_PER_JOB];

/// Every guardrail on inputs, in the order docs/scenario.md lists them.
pub const INPUT_GUARDRAILS: [&Guardrail; 8] = [
    &REVENUE_PER_MU,
    &AVERAGE_WAGE,
    &BUILDING_VALUE_PER_MU,
    &LAND_ACQUISITION_PER_MU,
    &INFRASTRUCTURE_PER_MU,
    &LAND_PRICE_PER_MU,
    &FILL_YEARS,
    &PHASE_OPEN_YEARS,
];

/// Money units a value may have been typed in by mistake, in yuan per unit.
const OTHER_UNITS: [(f64, &str); 4] = [
    (1.0, "yuan"),
    (1e4, "万元 (10,000 yuan)"),
    (1e6, "million yuan"),
    (1e8, "亿元 (100 million yuan)"),
];

/// An input outside its plausible range.
#[derive(Debug, Clone, PartialEq)]
pub struct Warning {
    /// Field path of the input, e.g. `firms.sectors[0].revenue_per_mu`; of a
    /// result, its name (`tax_per_mu`, `tax per job`).
    pub field: String,
    /// 1-based line of the field in the scenario file, when found.
    pub line: Option<usize>,
    /// The value as written (the mean of a distribution), in the file's unit.
    pub value: f64,
    /// Whether `value` is the mean of a distribution.
    pub mean: bool,
    /// The value in the range's unit (yuan for money).
    pub converted: f64,
    /// The range it lies outside.
    pub rail: &'static Guardrail,
    /// How many yuan a money unit is in which the value would lie inside the
    /// range (one of the usual units the hint names).
    pub other_unit: Option<f64>,
    /// The scenario's money unit label.
    pub money_unit: String,
    /// How many yuan the scenario's money unit is.
    pub yuan_per_unit: f64,
    /// Whether the value is a result of the run, not an input.
    pub result: bool,
}

impl std::fmt::Display for Warning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.describe_in(crate::i18n::Lang::En))
    }
}

impl Warning {
    /// The warning in `lang` (its `Display` is the English, which run.json and
    /// a set's `warnings.csv` record).
    pub fn describe_in(&self, lang: crate::i18n::Lang) -> String {
        let tx = lang.texts();
        let r = self.rail;
        let (what, unit) = (r.what(lang), r.unit(lang));
        // The scenario's money unit in `lang`, and a result's unit in it
        // (million CNY per mu per year; 百万元/亩·年).
        let money = crate::i18n::money_unit(lang, &self.money_unit, self.yuan_per_unit);
        let money_of_result = match lang {
            crate::i18n::Lang::En => {
                format!("{money} {}", unit.strip_prefix("yuan ").unwrap_or(&unit))
            }
            crate::i18n::Lang::Zh => format!("{money}{}", unit.strip_prefix('元').unwrap_or(&unit)),
        };
        let below = self.converted < r.low;
        let end = if below { r.low } else { r.high };
        let (converted, end_text, widened) = apart(self.converted, end);
        let value = if r.year_input {
            format!("{}", self.value)
        } else if widened {
            // Just beyond the range's end: with the digits that tell it from
            // the end in the file's unit too.
            let per_unit = self.converted / self.value;
            if per_unit.is_finite() && per_unit.abs() > 0.0 {
                apart(self.value, end / per_unit).0
            } else {
                shortest(self.value)
            }
        } else {
            number(self.value)
        };
        let (low, high) = if below {
            (end_text, number(r.high))
        } else {
            (number(r.low), end_text)
        };
        let field = if self.result {
            // The result by its name in `lang` when it is the range's own (a
            // Chinese warning named `tax per job`: exploratory test).
            let metric = if self.field == r.metric(crate::i18n::Lang::En) {
                r.metric(lang)
            } else {
                self.field.clone()
            };
            tx.f("guardrail.result_field", &[("metric", &metric)])
        } else {
            self.field.clone()
        };
        let mut head = format!(
            "{field}{} = {value}",
            if self.mean {
                tx.t("guardrail.mean")
            } else {
                ""
            }
        );
        head.push_str(&if r.money {
            tx.f(
                "guardrail.money",
                &[
                    (
                        "unit",
                        &if self.result {
                            money_of_result
                        } else {
                            money.clone()
                        },
                    ),
                    ("yuan", &converted),
                ],
            )
        } else {
            tx.f("guardrail.plain", &[("value", &converted), ("unit", &unit)])
        });
        let mut text = tx.f(
            if below {
                "guardrail.below"
            } else {
                "guardrail.above"
            },
            &[
                ("head", &head),
                ("low", &low),
                ("high", &high),
                ("unit", &unit),
                ("what", &what),
                ("source", &r.source(lang)),
            ],
        );
        if self.result {
            text.push_str(tx.t("guardrail.result"));
        }
        if let Some(yuan) = self.other_unit {
            let other = match lang {
                crate::i18n::Lang::En => OTHER_UNITS
                    .iter()
                    .find(|(y, _)| super::units::same(*y, yuan))
                    .map_or_else(String::new, |(_, name)| (*name).to_owned()),
                crate::i18n::Lang::Zh => super::units::chinese_of(yuan).unwrap_or("").to_owned(),
            };
            text.push_str(&tx.f(
                "guardrail.other_unit",
                &[("unit", &other), ("money", &money)],
            ));
        }
        text
    }
}

/// `x` with at most 4 significant digits, grouped in thousands when large.
fn number(x: f64) -> String {
    number_with(x, 0)
}

/// `x` as [`number`] writes it, with `extra` more digits.
fn number_with(x: f64, extra: usize) -> String {
    if x == f64::INFINITY {
        return "∞".to_owned();
    }
    if !x.is_finite() {
        return format!("{x}");
    }
    let a = x.abs();
    if a >= 1e15 || (a > 0.0 && a < 1e-3) {
        return format!("{x:.*e}", 3 + extra);
    }
    let digits = extra
        + if a >= 1000.0 {
            0
        } else {
            let mag = if a > 0.0 { a.log10().floor() as i32 } else { 0 };
            usize::try_from((3 - mag).max(0)).unwrap_or(0)
        };
    let text = format!("{:.*}", digits, a);
    let (int, frac) = text.split_once('.').unwrap_or((&text, ""));
    let mut grouped = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    let frac = frac.trim_end_matches('0');
    format!(
        "{}{grouped}{}{frac}",
        if x < 0.0 { "-" } else { "" },
        if frac.is_empty() { "" } else { "." }
    )
}

/// `x` and the end `end` of the range it lies beyond, as a warning writes them,
/// and whether they needed more digits than [`number`] gives: each as [`number`]
/// writes it, unless the two read alike (1,000,000.1 yuan read `1,000,000`,
/// "above" a range ending at `1,000,000`), then both with the fewest more
/// digits that tell them apart.
fn apart(x: f64, end: f64) -> (String, String, bool) {
    let (a, b) = (number(x), number(end));
    if a != b || !x.is_finite() {
        return (a, b, false);
    }
    for extra in 1..=17 {
        let (a, b) = (number_with(x, extra), number_with(end, extra));
        if a != b {
            return (a, b, true);
        }
    }
    (shortest(x), shortest(end), true)
}

/// `x` in the fewest digits that read back as it (in e-notation when very
/// large or small), for a value whose rounding would misstate it.
fn shortest(x: f64) -> String {
    let a = x.abs();
    if a >= 1e15 || (a > 0.0 && a < 1e-3) {
        format!("{x:e}")
    } else {
        format!("{x}")
    }
}

/// The inputs of `scn` outside their plausible ranges, in file order, for a
/// run of its own `[simulation] horizon` ([`check_at`]).
pub fn check(scn: &Scenario) -> Vec<Warning> {
    check_at(scn, scn.simulation.horizon)
}

/// The inputs of `scn` outside their plausible ranges, in file order, for a
/// run of `horizon` years (`--horizon`, else the scenario's own). The land that
/// opens within the horizon and the years it is open are judged on the longer
/// of the run's and the scenario's own: a phase that opens within a longer run
/// is no mistake of the file (it was flagged, and refused under --strict:
/// exploratory test), and a shorter run is a cut its user chose, in which a
/// later phase is not an input out of its range.
pub fn check_at(scn: &Scenario, horizon: u32) -> Vec<Warning> {
    let horizon = horizon.max(scn.simulation.horizon);
    // Parsed for positions only when an input warns (most runs: never).
    let locator = std::cell::OnceCell::new();
    let mut out = Vec::new();
    let mut judge = |field: String, value: Value, rail: &'static Guardrail| {
        let (v, mean) = mean_of(scn, value);
        // Zero is how a file says "not modelled" for the costs and building values.
        if v == 0.0 && rail.money {
            return;
        }
        let unit = if rail.money { scn.yuan_per_unit } else { 1.0 };
        if let Some(w) = outside(scn, field, v, mean, v * unit, rail, &locator) {
            out.push(w);
        }
    };
    for (i, s) in scn.firms.sectors.iter().enumerate() {
        judge(
            format!("firms.sectors[{i}].revenue_per_mu"),
            s.revenue_per_mu,
            &REVENUE_PER_MU,
        );
        judge(
            format!("firms.sectors[{i}].building_value_per_mu"),
            s.building_value_per_mu,
            &BUILDING_VALUE_PER_MU,
        );
    }
    judge(
        "firms.average_wage".to_owned(),
        scn.firms.average_wage,
        &AVERAGE_WAGE,
    );
    judge(
        "costs.land_acquisition.per_mu".to_owned(),
        scn.costs.land_acquisition.per_mu,
        &LAND_ACQUISITION_PER_MU,
    );
    judge(
        "costs.infrastructure.per_mu".to_owned(),
        scn.costs.infrastructure.per_mu,
        &INFRASTRUCTURE_PER_MU,
    );
    judge(
        "company.land_price_per_mu".to_owned(),
        scn.company.land_price_per_mu,
        &LAND_PRICE_PER_MU,
    );
    if let Some(years) = fill_years_at(scn, horizon) {
        let (rate, mean) = mean_of(scn, scn.firms.arrival_rate);
        if let Some(w) = outside(
            scn,
            "firms.arrival_rate".to_owned(),
            rate,
            mean,
            years,
            &FILL_YEARS,
            &locator,
        ) {
            out.push(w);
        }
    }
    let last = horizon;
    for (i, p) in scn.park.phases.iter().enumerate() {
        let open = i64::from(p.start) + i64::from(p.build_years);
        let years = (i64::from(last) - open) as f64;
        let start_year = i64::from(scn.start_year) + i64::from(p.start);
        if let Some(w) = outside(
            scn,
            format!("park.phases[{i}].start_year"),
            start_year as f64,
            false,
            years,
            &PHASE_OPEN_YEARS,
            &locator,
        ) {
            out.push(w);
        }
    }
    out.sort_by_key(|w| w.line.unwrap_or(usize::MAX));
    out
}

/// Expected years for arrivals to fill the saleable land, when the park has
/// land: infinite when no firm arrives (an arrival rate, outlook or land per firm
/// of 0), which the fill-time range flags as a rate too low does. The land is
/// what opens within the scenario's own horizon ([`fill_years_at`]).
pub fn fill_years(scn: &Scenario) -> Option<f64> {
    fill_years_at(scn, scn.simulation.horizon)
}

/// [`fill_years`] for a run of `horizon` years.
pub fn fill_years_at(scn: &Scenario, horizon: u32) -> Option<f64> {
    let (rate, _) = mean_of(scn, scn.firms.arrival_rate);
    let (outlook, _) = mean_of(scn, scn.firms.outlook);
    let (saleable, _) = mean_of(scn, scn.park.saleable_share);
    let land_per_firm: f64 = scn
        .firms
        .sectors
        .iter()
        .map(|s| {
            s.weight
                * match &s.land_per_firm_mu {
                    FirmLand::Fixed(x) => *x,
                    FirmLand::PerFirm(d) => d.rough_mean(),
                }
        })
        .sum();
    let demand = rate * outlook * land_per_firm;
    // The land that opens within the horizon: the phases' and, with `[initial]`,
    // the land developed before the start (the model sells no other).
    let phased: f64 = scn
        .park
        .phases
        .iter()
        .filter(|p| p.start + p.build_years < horizon)
        .map(|p| p.area_mu)
        .sum();
    let developed = if scn.initial.is_open() {
        scn.initial.developed_mu
    } else {
        0.0
    };
    let supply = (phased + developed) * saleable;
    (supply > 0.0).then(|| {
        if demand > 0.0 {
            supply / demand
        } else {
            f64::INFINITY
        }
    })
}

/// The mean of a value (to a few digits: [`crate::dist::Uncertain::rough_mean`]),
/// and whether it is uncertain.
fn mean_of(scn: &Scenario, value: Value) -> (f64, bool) {
    match value {
        Value::Fixed(x) => (x, false),
        Value::Drawn(i) => (scn.params.params()[i].dist.rough_mean(), true),
    }
}

/// The warning when `converted` lies outside `rail`'s range.
fn outside<'s>(
    scn: &'s Scenario,
    field: String,
    value: f64,
    mean: bool,
    converted: f64,
    rail: &'static Guardrail,
    locator: &std::cell::OnceCell<super::locate::Locator<'s>>,
) -> Option<Warning> {
    // Infinite: a park no firm comes to, or a value beyond any unit's range.
    if converted.is_nan() || (rail.low..=rail.high).contains(&converted) {
        return None;
    }
    let other_unit = if rail.money {
        OTHER_UNITS
            .iter()
            .filter(|(yuan, _)| (*yuan / scn.yuan_per_unit - 1.0).abs() > 1e-9)
            .find(|(yuan, _)| (rail.low..=rail.high).contains(&(value * yuan)))
            .map(|&(yuan, _)| yuan)
    } else {
        None
    };
    Some(Warning {
        line: locator
            .get_or_init(|| super::locate::Locator::new(&scn.source))
            .line_of(&field),
        field,
        value,
        mean,
        converted,
        rail,
        other_unit,
        money_unit: scn.money_unit.clone(),
        yuan_per_unit: scn.yuan_per_unit,
        result: false,
    })
}

/// The warning when result `metric` of a run of `scn` (its mean over the paths,
/// in the scenario's units) lies outside `rail`'s range; a result that is not a
/// number (no land ever occupied) is not judged.
pub fn check_result(
    scn: &Scenario,
    metric: &str,
    mean: f64,
    rail: &'static Guardrail,
) -> Option<Warning> {
    let converted = if rail.money {
        mean * scn.yuan_per_unit
    } else {
        mean
    };
    if !converted.is_finite() || (rail.low..=rail.high).contains(&converted) {
        return None;
    }
    Some(Warning {
        field: metric.to_owned(),
        line: None,
        value: mean,
        mean: false,
        converted,
        rail,
        other_unit: None,
        money_unit: scn.money_unit.clone(),
        yuan_per_unit: scn.yuan_per_unit,
        result: true,
    })
}

/// The headline results of a run outside their plausible ranges, from the means
/// of its statistics: the park's tax and output per occupied mu, and tax per
/// job, the mean of all taxes over the horizon (`tax_total`) ÷ the mean
/// job-years over it (`job_years`: the yearly mean jobs summed), a ratio of
/// means not judged without jobs. What run.json records after a run, and what
/// a report finds again from the run's CSV files.
pub fn check_results(
    scn: &Scenario,
    tax_per_mu: f64,
    output_per_mu: f64,
    tax_total: f64,
    job_years: f64,
) -> Vec<Warning> {
    use crate::schema::ParkMetric;
    let per_mu = [
        (ParkMetric::TaxPerMu, tax_per_mu, &TAX_PER_MU),
        (ParkMetric::OutputPerMu, output_per_mu, &OUTPUT_PER_MU),
    ]
    .into_iter()
    .filter_map(|(m, mean, rail)| check_result(scn, m.name(), mean, rail));
    let per_job = (job_years.partial_cmp(&0.0) == Some(std::cmp::Ordering::Greater))
        .then(|| {
            check_result(
                scn,
                &TAX_PER_JOB.metric(crate::i18n::Lang::En),
                tax_total / job_years,
                &TAX_PER_JOB,
            )
        })
        .flatten();
    per_mu.chain(per_job).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = include_str!("../../docs/scenario.md");

    #[test]
    fn docs_list_every_range_as_the_code_has_it() {
        for rail in INPUT_GUARDRAILS.iter().chain(&RESULT_GUARDRAILS) {
            let row = format!(
                "| {}–{} | {} | ",
                number(rail.low),
                number(rail.high),
                rail.unit(crate::i18n::Lang::En)
                    .trim_end_matches(" to fill the park")
            );
            assert!(DOC.contains(&row), "docs/scenario.md lacks {row:?}");
            // The source, less its section (the table has its own column).
            let source = rail.source(crate::i18n::Lang::En);
            let source = source.rsplit_once(", REFERENCES.md").map_or("", |s| s.0);
            assert!(DOC.contains(source), "docs/scenario.md lacks {source:?}");
        }
    }

    /// Every range has its `what`, `unit` and `source` in every language, and
    /// every range on a result its `metric` (a key without its strings would
    /// print the key itself).
    #[test]
    fn every_range_has_its_strings_in_every_language() {
        for lang in crate::i18n::Lang::ALL {
            for rail in INPUT_GUARDRAILS.iter().chain(&RESULT_GUARDRAILS) {
                for text in [rail.what(lang), rail.unit(lang), rail.source(lang)] {
                    assert!(!text.starts_with("guardrail."), "{lang}: {text}");
                }
            }
            for rail in RESULT_GUARDRAILS {
                let text = rail.metric(lang);
                assert!(!text.starts_with("guardrail."), "{lang}: {text}");
            }
        }
    }

    /// A value just beyond a range's end is shown with the digits that put it
    /// there: 1.0000001 million CNY read "1 million CNY (1,000,000 yuan) is
    /// above the plausible range 10,000–1,000,000 yuan per mu" (exploratory
    /// test). A value well beyond keeps its 4 digits.
    #[test]
    fn a_value_just_beyond_an_end_does_not_read_as_the_end() {
        let warning = |value: f64| Warning {
            field: "costs.land_acquisition.per_mu".to_owned(),
            line: None,
            value,
            mean: false,
            converted: value * 1e6,
            rail: &LAND_ACQUISITION_PER_MU,
            other_unit: None,
            money_unit: "million CNY".to_owned(),
            yuan_per_unit: 1e6,
            result: false,
        };
        let text = warning(1.0000001).to_string();
        assert!(
            text.starts_with(
                "costs.land_acquisition.per_mu = 1.0000001 million CNY (1,000,000.1 yuan) is above the plausible range 10,000–1,000,000 yuan per mu"
            ),
            "{text}"
        );
        // A mean just beyond: not all its digits, those that say it.
        let text = warning(1.000_000_011_103_411).to_string();
        assert!(
            text.starts_with(
                "costs.land_acquisition.per_mu = 1.00000001 million CNY (1,000,000.01 yuan) is above"
            ),
            "{text}"
        );
        let text = warning(0.009_999_99).to_string();
        assert!(
            text.starts_with(
                "costs.land_acquisition.per_mu = 0.00999999 million CNY (9,999.99 yuan) is below the plausible range 10,000–1,000,000 yuan per mu"
            ),
            "{text}"
        );
        let text = warning(2.5).to_string();
        assert!(
            text.starts_with(
                "costs.land_acquisition.per_mu = 2.5 million CNY (2,500,000 yuan) is above the plausible range 10,000–1,000,000 yuan per mu"
            ),
            "{text}"
        );
        assert_eq!(
            apart(0.07000004, 0.07),
            ("0.07000004".to_owned(), "0.07".to_owned(), true)
        );
        assert_eq!(apart(2.0, 1.0), ("2".to_owned(), "1".to_owned(), false));
    }

    /// A range's source and a result's name read in the reader's language: the
    /// Chinese warnings of a `--lang zh` terminal, report and warnings.csv gave
    /// `factory wages of 60–90 k yuan a year` and `tax per job` (exploratory
    /// test); only the file named as the source stays as written.
    #[test]
    fn the_chinese_sources_and_result_names_have_no_english() {
        use crate::i18n::Lang;
        for rail in INPUT_GUARDRAILS.iter().chain(&RESULT_GUARDRAILS) {
            let source = rail.source(Lang::Zh);
            let rest = source.replace("REFERENCES.md", "");
            assert!(
                !rest.chars().any(|c| c.is_ascii_alphabetic()),
                "{}: {source}",
                rail.key
            );
            assert_ne!(source, rail.source(Lang::En), "{}", rail.key);
        }
        for rail in RESULT_GUARDRAILS {
            let name = rail.metric(Lang::Zh);
            assert!(!name.chars().any(|c| c.is_ascii_alphabetic()), "{name}");
        }
        // The English names are the ones run.json records.
        use crate::schema::ParkMetric;
        assert_eq!(TAX_PER_MU.metric(Lang::En), ParkMetric::TaxPerMu.name());
        assert_eq!(
            OUTPUT_PER_MU.metric(Lang::En),
            ParkMetric::OutputPerMu.name()
        );
        assert_eq!(TAX_PER_JOB.metric(Lang::En), "tax per job");
    }

    #[test]
    fn numbers_read_as_a_planner_writes_them() {
        assert_eq!(number(80_000.0), "80,000");
        assert_eq!(number(2.5), "2.5");
        assert_eq!(number(0.07), "0.07");
        assert_eq!(number(8.4e6), "8,400,000");
        assert_eq!(number(-1234.4), "-1,234");
        assert_eq!(number(2.56e15), "2.560e15");
        assert_eq!(number(0.0), "0");
    }
}
