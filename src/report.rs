//! `report.html`: one self-contained page per results folder — the scenario's key
//! inputs, the run's reproducibility record, the comparison of alternatives, what
//! each region's NPV is made of, and every chart with a note on how to read it.
//!
//! The page makes no request of any kind: charts are inline SVG, styles are inline,
//! the bundled font is embedded as a data URL (so Chinese names render on machines
//! without a CJK font), there is no script, and a Content-Security-Policy forbids
//! loading anything else, so it opens offline from a file and prints as it shows.

use std::fmt::Write as _;

use crate::chart::{Chart, FONT, FONT_FAMILY, region_colour};
use crate::output::{OutputError, write_atomic};
use crate::results::Results;
use crate::sampling::Value;
use crate::scenario::{
    Alternative, Bearer, CapAmount, Continuation, ContributionKind, FirmGroup, LandOnExit,
    LandRevenue, Prices, Role, Scenario, TaxKind, Terminal,
};
use crate::schema::{NPV_PARTS, RegionMetric};

/// File name of the report in a results folder.
pub const REPORT_FILE: &str = "report.html";

/// Decimals of a tornado swing in the "Sensitivity" section's table, which the
/// terminal's summary of `enclave sensitivity` shows it with too.
pub const SWING_DECIMALS: usize = 1;

/// Escapes text for HTML.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// Standard base64 (RFC 4648, with padding), to embed the font as a data URL.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[(n >> (18 - 6 * i) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// A number for a table: thousands separated by thin spaces, `digits` decimals.
pub(crate) fn num(x: Option<f64>, digits: usize) -> String {
    let Some(x) = x.filter(|x| x.is_finite()) else {
        return "–".into();
    };
    grouped(&format!("{:.*}", digits, x.abs()), x < 0.0)
}

/// `x` as a scenario file gives it: every digit of its shortest exact form (no
/// rounding, no exponent), grouped as [`num`] groups. An input of 0.00004 must
/// not read as 0.
pub(crate) fn written(x: f64) -> String {
    if !x.is_finite() {
        return "–".into();
    }
    grouped(&x.abs().to_string(), x < 0.0)
}

/// `s`, the digits of an amount without its sign, with its integer part grouped
/// in thousands (thin spaces) and the sign `−` when `negative`.
fn grouped(s: &str, negative: bool) -> String {
    let (int, frac) = s.split_once('.').map_or((s, None), |(i, f)| (i, Some(f)));
    let mut grouped = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push('\u{2009}');
        }
        grouped.push(c);
    }
    // A negative amount that rounds to 0 keeps its sign (−0.0, as the terminal
    // prints it): beside P(NPV < 0) = 100% a bare 0.0 reads as no loss.
    let sign = if negative { "−" } else { "" };
    match frac {
        Some(f) => format!("{sign}{grouped}.{f}"),
        None => format!("{sign}{grouped}"),
    }
}

/// `shown` with its Monte Carlo margin: ± 1.96 × `se` × `scale`, in small type
/// (`unit` after it). A value that is `defined` without an se (a single path:
/// no spread to estimate) gets `± –`, which the page explains, rather than
/// passing for a value known exactly; an undefined value stays alone.
fn margin(
    shown: String,
    defined: bool,
    se: Option<f64>,
    scale: f64,
    unit: &str,
    digits: usize,
) -> String {
    match se.filter(|x| x.is_finite()) {
        Some(se) => format!(
            "{shown} <span class=\"few\">± {}{unit}</span>",
            num(Some(crate::convergence::Z95 * se * scale), digits)
        ),
        None if defined => format!("{shown} <span class=\"few\">± –</span>"),
        None => shown,
    }
}

/// A probability, the mean of an indicator over `n` paths, with its exact 95%
/// interval in brackets ([`Proportion`](crate::stats::interval::Proportion), as
/// the terminal's notes give it): at 0% or 100% a margin of ± 1.96 se is ± 0,
/// while the interval says how far the paths leave it open. Under antithetic
/// `pairs`, whose paths are not independent, the margin of the pairs' se instead.
fn probability(
    mean: Option<f64>,
    se: Option<f64>,
    n: u64,
    pairs: bool,
    lang: crate::i18n::Lang,
) -> String {
    let shown = percent(mean);
    if pairs {
        // In percentage points (个百分点 in Chinese).
        let pp = format!(" {}", lang.texts().t("chart.unit.pp"));
        return margin(shown, mean.is_some(), se, 100.0, &pp, 1);
    }
    match mean.and_then(|m| crate::stats::interval::Proportion::of_mean(m, n)) {
        Some(p) => format!(
            "{shown} <span class=\"few\">[{}, {}]</span>",
            percent(Some(p.low)),
            percent(Some(p.high))
        ),
        None => shown,
    }
}

/// [`probability`] of a summary.csv row.
fn probability_row(
    row: Option<&crate::results::SummaryRow>,
    pairs: bool,
    lang: crate::i18n::Lang,
) -> String {
    row.map_or_else(
        || "–".into(),
        |r| probability(r.mean, r.se, r.n, pairs, lang),
    )
}

/// `shown` with its 95% interval `[low, high]` in small type, ends it lacks as –,
/// `digits` decimals.
fn interval(shown: String, low: Option<f64>, high: Option<f64>, digits: usize) -> String {
    if low.is_none() && high.is_none() {
        return shown;
    }
    format!(
        "{shown} <span class=\"few\">[{}, {}]</span>",
        num(low, digits),
        num(high, digits)
    )
}

/// Decimals for amounts of money shown beside `amounts` (such as a run's mean
/// NPVs): three significant digits of the largest finite one in absolute value,
/// at least 1 (as for sums in the hundreds and more) and at most 6. A park
/// counted in 亿元 has NPVs such as −0.0378, which one decimal showed as 0.0,
/// its sign lost.
pub fn money_decimals(amounts: impl IntoIterator<Item = f64>) -> usize {
    let largest = amounts
        .into_iter()
        .filter(|x| x.is_finite())
        .fold(0.0_f64, |m, x| m.max(x.abs()));
    if largest <= 0.0 {
        return 1;
    }
    let lead = largest.log10().floor();
    if lead >= 1.0 {
        1
    } else if lead <= -4.0 {
        6
    } else {
        // lead is −3 … 0 here.
        (2 - lead as i32) as usize
    }
}

/// [`money_decimals`] of the run's mean NPVs.
fn npv_decimals(res: &Results) -> usize {
    let scn = &res.scenario;
    money_decimals(scn.alternatives.iter().flat_map(|alt| {
        scn.regions.iter().filter_map(|region| {
            res.summary(&alt.name, &region.id, RegionMetric::Npv)
                .and_then(|s| s.mean)
        })
    }))
}

pub(crate) fn percent(x: Option<f64>) -> String {
    x.filter(|x| x.is_finite()).map_or("–".into(), |p| {
        let s = format!("{:.1}%", 100.0 * p);
        if s == "-0.0%" {
            "0.0%".into()
        } else {
            s.replace('-', "−")
        }
    })
}

/// A scenario input, fixed or uncertain, in words (an uncertain one's
/// distribution in `lang`).
fn value(scn: &Scenario, v: Value, lang: crate::i18n::Lang) -> String {
    match v {
        Value::Fixed(x) => written(x),
        Value::Drawn(i) => scn
            .params
            .params()
            .get(i)
            .map_or("uncertain".into(), |p| p.dist.describe_in(lang)),
    }
}

/// Who bears a cost, in `lang`.
fn bearer_in(scn: &Scenario, b: &Bearer, lang: crate::i18n::Lang) -> String {
    let tx = lang.texts();
    match b {
        Bearer::Company => tx.t("report.inputs.bearer_company").into(),
        Bearer::Equity => tx.t("report.inputs.bearer_equity").into(),
        Bearer::Shares(s) => s
            .iter()
            .zip(&scn.regions)
            .map(|(s, r)| format!("{} {:.0}%", r.id, 100.0 * s))
            .collect::<Vec<_>>()
            .join(", "),
        Bearer::Region(r) => scn.regions.get(*r).map_or("?".into(), |r| r.name.clone()),
    }
}

const STYLE: &str = r#"
:root { color-scheme: light; }
body { font-family: FONTS; margin: 2rem auto; max-width: 1240px; padding: 0 1rem; color: #1a1a1a; line-height: 1.45; }
h1 { font-size: 1.7rem; margin-bottom: .2rem; }
h2 { font-size: 1.3rem; margin-top: 2.2rem; border-bottom: 1px solid #ddd; padding-bottom: .2rem; }
h3 { font-size: 1.05rem; margin-bottom: .3rem; }
.sub { color: #555; margin-top: 0; }
table { border-collapse: collapse; margin: .5rem 0 1rem; font-size: .92rem; }
th, td { border-bottom: 1px solid #e3e3e3; padding: .25rem .6rem; text-align: left; vertical-align: top; }
th { background: #f6f6f6; }
td.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
span.few { color: #666; font-size: 85%; }
tr.total td { border-top: 1px solid #888; font-weight: 600; }
tr.gdp td { color: #444; }
div.warn { border-left: 4px solid #c0392b; background: #fdf2f0; padding: .2rem 1rem; margin: 1rem 0; }
.swatch { display: inline-block; width: .8em; height: .8em; margin-right: .35em; vertical-align: -0.05em; }
figure { margin: 1rem 0 2rem; }
figure svg { width: 100%; height: auto; display: block; }
figcaption { color: #333; font-size: .95rem; max-width: 60rem; }
code { font-size: .88rem; }
.grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(360px, 1fr)); gap: 0 2rem; }
@media print {
  body { margin: 0; max-width: none; font-size: 10pt; }
  h2 { break-after: avoid; }
  figure, table { break-inside: avoid; }
}
"#;

/// The start of a report page titled `title` (plain text), up to and including
/// `<body>`, with the page's `lang` attribute and the title's suffix: the
/// Content-Security-Policy that forbids any request, the embedded font and the
/// style sheet. Shared by `report.html`, the sensitivity page and the set page
/// ([`crate::set_report`]).
pub(crate) fn page_head_in(title: &str, lang: &str, suffix: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"{}\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src data:\">\n\
         <title>{} — {}</title>\n<style>@font-face {{ font-family: \"Noto Sans SC\"; \
         src: url(data:font/ttf;base64,{}) format(\"truetype\"); }}\n{}</style>\n</head>\n<body>\n",
        lang,
        escape(title),
        escape(suffix),
        base64(FONT),
        STYLE.replace("FONTS", FONT_FAMILY)
    )
}

/// The report's HTML for `res` and its drawn charts (with their SVG text).
pub fn html(res: &Results, charts: &[(Chart, String)]) -> String {
    let scn = &res.scenario;
    let run = &res.run;
    let tx = res.lang.texts();
    let unit = escape(&crate::chart::money_unit(res));
    let mut h = page_head_in(&scn.name, res.lang.html_tag(), tx.t("report.title_suffix"));
    let _ = write!(
        h,
        "<h1>{}</h1>\n<p class=\"sub\">{}</p>\n",
        escape(&scn.name),
        tx.f(
            "report.subtitle",
            &[
                ("description", &escape(&scn.description)),
                ("id", &escape(&scn.id)),
                ("paths", &run.paths),
                ("years", &run.horizon),
                ("start", &scn.start_year),
                ("unit", &unit),
            ]
        )
    );

    // A --precision target not met by --max-paths: the warning run.json
    // records, in the report's language, before the numbers it qualifies.
    let unmet = unmet_precision(res);
    if let Some(u) = &unmet {
        let _ = write!(
            h,
            "<div class=\"warn\">\n<p><b>{}</b></p>\n<ul>\n<li>{}</li>\n</ul>\n</div>\n",
            tx.t("report.precision.heading"),
            escape(&u.describe_in(res.lang))
        );
    }
    // Inputs or results outside their plausible ranges: the warnings the
    // terminal gave, kept where the report's reader sees them first.
    let english = unmet.as_ref().map(ToString::to_string);
    let guardrail: Vec<String> = run
        .warnings
        .iter()
        .filter(|w| Some(*w) != english.as_ref())
        .cloned()
        .collect();
    if !guardrail.is_empty() {
        let _ = write!(
            h,
            "<div class=\"warn\">\n<p><b>{}</b></p>\n<ul>\n",
            tx.f("report.warnings", &[("count", &guardrail.len())])
        );
        for w in warnings_in(&guardrail, &known_warnings(res), res.lang) {
            let _ = writeln!(h, "<li>{}</li>", escape(&w));
        }
        h.push_str("</ul>\n</div>\n");
    }

    // How to read the whole thing.
    let _ = writeln!(h, "<p>{}</p>", tx.t("report.intro"));

    comparison(&mut h, res);
    npv_parts(&mut h, res);
    fairness(&mut h, res);
    park_performance(&mut h, res);
    for (chart, svg) in charts {
        let _ = write!(
            h,
            "<figure id=\"{}\" aria-label=\"{}\">\n{}\n<figcaption>{}</figcaption>\n</figure>\n",
            escape(&chart.stem),
            escape(&chart.title),
            svg.trim(),
            escape(&chart.how_to_read)
        );
    }
    inputs(&mut h, scn, res.lang);
    let _ = write!(
        h,
        "<h2>{}</h2>\n<p>{}</p>\n<table>\n",
        tx.t("report.repro.heading"),
        tx.t("report.repro.text")
    );
    let methods = run.methods_in(scn, res.lang);
    let mut rows: Vec<(&str, String)> = vec![
        ("report.repro.engine", run.engine.clone()),
        ("report.repro.math", run.math.clone()),
        ("report.repro.file", run.scenario_file.clone()),
        ("report.repro.sha", run.scenario_sha256.clone()),
        ("report.repro.seed", run.seed.to_string()),
        ("report.repro.paths", run.paths.to_string()),
        ("report.repro.horizon", run.horizon.to_string()),
        ("report.repro.threads", run.threads.to_string()),
        ("report.repro.prng", methods.prng),
        ("report.repro.sampler", methods.sampler),
        ("report.repro.inputs", run.uncertain_inputs.to_string()),
        ("report.repro.firm_years", run.firm_years.to_string()),
        (
            "report.repro.elapsed",
            tx.f(
                "record.seconds",
                &[("s", &format!("{:.2}", run.elapsed_seconds))],
            ),
        ),
        ("report.repro.quantiles", methods.quantiles),
    ];
    if let Some(p) = &run.precision {
        // The last block ends at --max-paths when that falls inside it: said
        // with its size (it read "3 block(s) of 256" for 700 paths: exploratory
        // test).
        // run.json is a file a user may have edited: no underflow on its numbers.
        let last = run
            .paths
            .saturating_sub(p.block.saturating_mul(p.blocks.saturating_sub(1)));
        let cut = p.block > 0 && run.paths % p.block != 0;
        let args: [(&str, &dyn std::fmt::Display); 6] = [
            ("targets", &p.targets),
            ("paths", &run.paths),
            ("max", &p.max_paths),
            ("blocks", &p.blocks),
            ("block", &p.block),
            ("last", &last),
        ];
        let key = match (p.met, cut) {
            (true, false) => "report.precision.met",
            (false, false) => "report.precision.unmet",
            (true, true) => "report.precision.met_cut",
            (false, true) => "report.precision.unmet_cut",
        };
        rows.push(("report.repro.precision", tx.f(key, &args)));
    }
    record_rows(&mut h, tx, &rows);
    h
}

/// The warning of a `--precision` run in `res` that reached `--max-paths`
/// before its targets (run.json's `precision.met` false), as the run recorded
/// it: its estimates after the last block found again in summary.csv, which
/// holds the means and standard errors the run checked, to the bit.
pub fn unmet_precision(res: &Results) -> Option<crate::convergence::Unmet> {
    use crate::convergence::{Unmet, parse, rows_of};
    let p = res.run.precision.as_ref().filter(|p| !p.met)?;
    let scn = &res.scenario;
    // A record of another engine version may name targets this one does not
    // know: the warning then names no estimate.
    let targets = parse(&p.targets).unwrap_or_default();
    let rows = rows_of(scn, &targets, p.blocks, res.run.paths, |a, r, m| {
        let row = res.summary(&scn.alternatives[a].name, &scn.regions[r].id, m);
        let get = |x: Option<f64>| x.unwrap_or(f64::NAN);
        (
            get(row.and_then(|s| s.mean)),
            get(row.and_then(|s| s.se)),
            row.map_or(0, |s| s.n),
        )
    });
    Some(Unmet::new(scn, &p.targets, res.run.paths, &rows))
}

/// The warnings this engine gives for the run in `res`: its inputs' and, from
/// the means in its CSV files, its results' (the statistics run.json's were
/// made from, to the bit).
fn known_warnings(res: &Results) -> Vec<crate::scenario::guardrails::Warning> {
    let mut known = crate::scenario::guardrails::check_at(&res.scenario, res.run.horizon);
    known.extend(result_checks(res));
    known
}

/// The results' warnings of the run in `res` (its headline results outside
/// their plausible ranges), from the means in its CSV files.
pub fn result_checks(res: &Results) -> Vec<crate::scenario::guardrails::Warning> {
    use crate::schema::{ParkMetric, ParkSeries};
    let scn = &res.scenario;
    let mean = |m: ParkMetric| res.park_summary(m).and_then(|r| r.mean).unwrap_or(f64::NAN);
    let job_years: f64 = res
        .park_series(ParkSeries::Jobs)
        .iter()
        .map(|r| r.mean.unwrap_or(f64::NAN))
        .sum();
    crate::scenario::guardrails::check_results(
        scn,
        mean(ParkMetric::TaxPerMu),
        mean(ParkMetric::OutputPerMu),
        mean(ParkMetric::TaxTotal),
        job_years,
    )
}

/// A run's `warnings` (as run.json records them, in English) in `lang`: one
/// that is the English of a `known` warning is given in `lang`'s words (an
/// input's at its line); any other (of another engine version, or a result's
/// the CSV files do not give again) as recorded.
fn warnings_in(
    warnings: &[String],
    known: &[crate::scenario::guardrails::Warning],
    lang: crate::i18n::Lang,
) -> Vec<String> {
    let tx = lang.texts();
    warnings
        .iter()
        .map(|recorded| {
            let Some(w) = known
                .iter()
                .find(|w| crate::output::input_warning(w) == *recorded)
            else {
                return recorded.clone();
            };
            let text = w.describe_in(lang);
            match w.line {
                Some(line) => tx.f("report.warning.at", &[("line", &line), ("text", &text)]),
                None => text,
            }
        })
        .collect()
}

/// Recorded warnings (as run.json records them, in English) in `lang`: the
/// English of `unmet` in `lang`'s words, the others as the report gives
/// them. A set's `warnings.csv` keeps them in Chinese beside the English, so that
/// a `--lang zh` set page, which has no scenario to find them again from, gives
/// them in Chinese.
pub fn recorded_in(
    recorded: &[String],
    known: &[crate::scenario::guardrails::Warning],
    unmet: Option<&crate::convergence::Unmet>,
    lang: crate::i18n::Lang,
) -> Vec<String> {
    let english = unmet.map(ToString::to_string);
    let mut out = warnings_in(recorded, known, lang);
    if let Some(u) = unmet {
        for (o, r) in out.iter_mut().zip(recorded) {
            if Some(r) == english.as_ref() {
                *o = u.describe_in(lang);
            }
        }
    }
    out
}

/// The warnings run.json records for the run in `res`, in `lang`
/// ([`recorded_in`]), found again from its scenario and CSV files.
pub fn run_warnings_in(res: &Results, lang: crate::i18n::Lang) -> Vec<String> {
    recorded_in(
        &res.run.warnings,
        &known_warnings(res),
        unmet_precision(res).as_ref(),
        lang,
    )
}

/// Whether the regions of `scn` may discount at different rates (any two of
/// their rates not the same fixed number).
fn unequal_rates(scn: &crate::scenario::Scenario) -> bool {
    let mut rates = scn.regions.iter().map(|r| r.discount_rate);
    let Some(first) = rates.next() else {
        return false;
    };
    rates.any(|r| match (first, r) {
        (Value::Fixed(a), Value::Fixed(b)) => a.to_bits() != b.to_bits(),
        _ => true,
    })
}

/// The rows of a reproducibility record (label key, value) as table rows, then
/// the end of the page: shared by `report.html` and the sensitivity page.
fn record_rows(h: &mut String, tx: &crate::i18n::Texts, rows: &[(&str, String)]) {
    for (k, v) in rows {
        let _ = writeln!(
            h,
            "<tr><th>{}</th><td><code>{}</code></td></tr>",
            escape(tx.t(k)),
            escape(v)
        );
    }
    h.push_str("</table>\n</body>\n</html>\n");
}

/// `cell`, followed by the share and number of paths it was computed over when
/// that is fewer than the run's, in `lang`. Over fewer than half the paths the
/// statistic describes a minority of futures, not the alternative, so the cell is
/// not shown: only how rarely it is defined.
pub(crate) fn over_paths_in(
    lang: crate::i18n::Lang,
    cell: String,
    covered: Option<u64>,
    paths: u64,
) -> String {
    let tx = lang.texts();
    match covered {
        Some(n) if n < paths => {
            let share = percent(Some(n as f64 / paths.max(1) as f64));
            let args: [(&str, &dyn std::fmt::Display); 4] = [
                ("share", &share),
                ("n", &num(Some(n as f64), 0)),
                ("paths", &num(Some(paths as f64), 0)),
                ("cell", &cell),
            ];
            if 2 * n < paths {
                tx.f("report.few.minority", &args)
            } else {
                tx.f("report.few.some", &args)
            }
        }
        _ => cell,
    }
}

/// The median payback, over the `paths` futures: where it is undefined, how many
/// futures never needed paying back (the cumulative cash flow never went below
/// 0, `payback_needed` = 0) and how many had not paid back by `last_year`. Both
/// leave `payback_years` empty, and "defined in only 12% of futures" read as
/// "does not pay back in 88%" where most had nothing to pay back. The median is
/// not shown over fewer than half the futures, as in [`over_paths_in`].
fn payback(
    lang: crate::i18n::Lang,
    years: Option<&crate::results::SummaryRow>,
    needed: Option<&crate::results::SummaryRow>,
    paths: u64,
    last_year: i32,
) -> String {
    let tx = lang.texts();
    let paid = years.map_or(0, |r| r.n);
    let median = num(years.and_then(|r| r.p50), 0);
    if paid >= paths {
        return median;
    }
    let Some(needed) = needed
        .and_then(|r| r.mean)
        .and_then(|m| crate::stats::interval::Proportion::of_mean(m, paths))
        .map(|p| p.k.max(paid))
    else {
        return over_paths_in(lang, median, Some(paid), paths);
    };
    let count = |k: u64| num(Some(k as f64), 0);
    let mut parts = vec![tx.f(
        "report.payback.paid",
        &[("n", &count(paid)), ("paths", &count(paths))],
    )];
    if paths > needed {
        parts.push(tx.f("report.payback.never", &[("n", &count(paths - needed))]));
    }
    if needed > paid {
        parts.push(tx.f(
            "report.payback.unpaid",
            &[("n", &count(needed - paid)), ("year", &last_year)],
        ));
    }
    let cell = if 2 * paid < paths {
        "–".into()
    } else {
        median
    };
    format!(
        "{cell} <span class=\"few\">({})</span>",
        parts.join(tx.t("report.payback.separator"))
    )
}

/// Table header cells from a `|`-separated list of (already escaped) names.
fn headers(names: &str) -> String {
    names
        .split('|')
        .map(|n| format!("<th>{}</th>", n.trim()))
        .collect()
}

/// The table comparing alternatives, region by region.
fn comparison(h: &mut String, res: &Results) {
    let scn = &res.scenario;
    let tx = res.lang.texts();
    let unit = escape(&crate::chart::money_unit(res));
    let _ = write!(
        h,
        "<h2>{}</h2>\n<p>{}</p>\n<table>\n<tr>{}</tr>\n",
        tx.t("report.compare.heading"),
        tx.f("report.compare.text", &[("unit", &unit)]),
        headers(tx.t("report.compare.columns"))
    );
    let pairs = scn.simulation.sampler.antithetic;
    let digits = npv_decimals(res);
    // Whether some mean is shown without its se (`± –`), which a note explains.
    let mut no_se = false;
    for alt in &scn.alternatives {
        for (r, region) in scn.regions.iter().enumerate() {
            let s = |m: RegionMetric| res.summary(&alt.name, &region.id, m);
            let npv = s(RegionMetric::Npv);
            no_se |= npv.is_some_and(|s| s.mean.is_some() && s.se.is_none());
            let c = region_colour(r);
            let _ = writeln!(
                h,
                "<tr><td>{}</td><td><span class=\"swatch\" style=\"background:rgb({},{},{})\"></span>{}</td>\
                 <td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>\
                 <td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
                if r == 0 {
                    escape(&alt.name)
                } else {
                    String::new()
                },
                c.0,
                c.1,
                c.2,
                escape(&region.name),
                margin(
                    num(npv.and_then(|s| s.mean), digits),
                    npv.and_then(|s| s.mean).is_some(),
                    npv.and_then(|s| s.se),
                    1.0,
                    "",
                    digits
                ),
                interval(
                    num(npv.and_then(|s| s.p05), digits),
                    npv.and_then(|s| s.p05_ci_low),
                    npv.and_then(|s| s.p05_ci_high),
                    digits
                ),
                interval(
                    num(npv.and_then(|s| s.p95), digits),
                    npv.and_then(|s| s.p95_ci_low),
                    npv.and_then(|s| s.p95_ci_high),
                    digits
                ),
                probability_row(s(RegionMetric::NpvNegative), pairs, res.lang),
                probability_row(s(RegionMetric::Participates), pairs, res.lang),
                over_paths_in(
                    res.lang,
                    percent(s(RegionMetric::Irr).and_then(|s| s.p50)),
                    s(RegionMetric::Irr).map(|r| r.n),
                    res.run.paths
                ),
                payback(
                    res.lang,
                    s(RegionMetric::PaybackYears),
                    s(RegionMetric::PaybackNeeded),
                    res.run.paths,
                    scn.year(res.run.horizon.saturating_sub(1)),
                ),
            );
        }
    }
    h.push_str("</table>\n");
    if no_se {
        let _ = writeln!(h, "<p class=\"few\">{}</p>", tx.t("report.compare.no_se"));
    }
}

/// Alternatives side by side in one table of [`npv_parts`]; more make another
/// table beneath, so that the page stays as wide as it prints.
const PARTS_ALTERNATIVES: usize = 6;

/// What each region's NPV is made of: for each region, under each alternative
/// (a column), the mean present value of each part with the sign it takes in
/// the NPV ([`NPV_PARTS`]: what the region pays negative), the parts that are 0
/// under every alternative left out; the mean NPV they add up to, as the
/// comparison table gives it; and the GDP credited to the region, statistics
/// rather than cash. A planner saw 6.5亿 of income against an NPV of 0.5亿 and
/// nothing in the report in between: the 2.7亿 of capital calls were in
/// summary.csv alone (exploratory test).
fn npv_parts(h: &mut String, res: &Results) {
    let scn = &res.scenario;
    let tx = res.lang.texts();
    let unit = escape(&crate::chart::money_unit(res));
    let _ = write!(
        h,
        "<h2 id=\"npv-parts\">{}</h2>\n<p>{}</p>\n",
        tx.t("report.parts.heading"),
        tx.f("report.parts.text", &[("unit", &unit)])
    );
    let row = |alt: &Alternative, region: &str, m: RegionMetric| res.summary(&alt.name, region, m);
    // The NPV's digits, as in the comparison table, so that the same NPV reads
    // the same and the parts add up to it at that precision.
    let digits = npv_decimals(res);
    let gdp_digits = money_decimals(scn.alternatives.iter().flat_map(|alt| {
        scn.regions
            .iter()
            .filter_map(move |region| row(alt, &region.id, RegionMetric::GdpCredit))
            .filter_map(|r| r.mean)
    }));
    let park_gdp = res
        .park_summary(crate::schema::ParkMetric::Gdp)
        .and_then(|r| r.mean)
        .filter(|g| *g > 0.0);
    // A mean with its ± 1.96 se margin, `sign` × the value.
    let cell = |r: Option<&crate::results::SummaryRow>, sign: f64, digits: usize| {
        let m = r.and_then(|r| r.mean);
        margin(
            num(m.map(|m| sign * m), digits),
            m.is_some(),
            r.and_then(|r| r.se),
            1.0,
            "",
            digits,
        )
    };
    for alts in scn.alternatives.chunks(PARTS_ALTERNATIVES) {
        let _ = write!(
            h,
            "<table class=\"parts\">\n<tr><th>{}</th>",
            tx.f("report.parts.column", &[("unit", &unit)])
        );
        for alt in alts {
            let _ = write!(h, "<th>{}</th>", escape(&alt.name));
        }
        h.push_str("</tr>\n");
        for (r, region) in scn.regions.iter().enumerate() {
            let c = region_colour(r);
            let _ = writeln!(
                h,
                "<tr class=\"region\"><td colspan=\"{}\"><span class=\"swatch\" style=\"background:rgb({},{},{})\"></span><b>{}</b></td></tr>",
                alts.len() + 1,
                c.0,
                c.1,
                c.2,
                escape(&region.name)
            );
            // The same parts in every table: those not 0 under some alternative.
            for &(m, flow) in NPV_PARTS.iter().filter(|&&(m, _)| {
                scn.alternatives.iter().any(|alt| {
                    row(alt, &region.id, m)
                        .and_then(|r| r.mean)
                        .is_some_and(|x| x != 0.0)
                })
            }) {
                let _ = write!(h, "<tr class=\"part\"><td>{}</td>", part_label(tx, m));
                for alt in alts {
                    let _ = write!(
                        h,
                        "<td class=\"n\">{}</td>",
                        cell(row(alt, &region.id, m), flow.sign(), digits)
                    );
                }
                h.push_str("</tr>\n");
            }
            let _ = write!(
                h,
                "<tr class=\"total\"><td>{}</td>",
                tx.t("report.parts.npv")
            );
            for alt in alts {
                let _ = write!(
                    h,
                    "<td class=\"n\">{}</td>",
                    cell(row(alt, &region.id, RegionMetric::Npv), 1.0, digits)
                );
            }
            h.push_str("</tr>\n");
            let _ = write!(h, "<tr class=\"gdp\"><td>{}</td>", tx.t("report.parts.gdp"));
            for alt in alts {
                let credit = row(alt, &region.id, RegionMetric::GdpCredit);
                let share = credit
                    .and_then(|r| r.mean)
                    .zip(park_gdp)
                    .map(|(x, park)| {
                        format!(
                            "<br><span class=\"few\">{}</span>",
                            tx.f(
                                "report.parts.gdp_share",
                                &[("share", &percent(Some(x / park)))]
                            )
                        )
                    })
                    .unwrap_or_default();
                let _ = write!(
                    h,
                    "<td class=\"n\">{}{share}</td>",
                    cell(credit, 1.0, gdp_digits)
                );
            }
            h.push_str("</tr>\n");
        }
        h.push_str("</table>\n");
    }
}

/// How the report names a part of the NPV ([`NPV_PARTS`]); any other measure by
/// its name in summary.csv.
fn part_label(tx: &crate::i18n::Texts, m: RegionMetric) -> &str {
    use RegionMetric as M;
    match m {
        M::PvTax => tx.t("report.parts.tax"),
        M::PvLand => tx.t("report.parts.land"),
        M::PvWithheld => tx.t("report.parts.withheld"),
        M::PvGuarantee => tx.t("report.parts.guarantee"),
        M::PvProvincial => tx.t("report.parts.provincial"),
        M::PvDividends => tx.t("report.parts.dividends"),
        M::PvTerminal => tx.t("report.parts.terminal"),
        M::PvContinuation => tx.t("report.parts.continuation"),
        M::PvCashContributions => tx.t("report.parts.cash"),
        M::PvCapitalCalls => tx.t("report.parts.calls"),
        M::PvCosts => tx.t("report.parts.costs"),
        M::PvDisplaced => tx.t("report.parts.displaced"),
        M::PvOpportunityCosts => tx.t("report.parts.opportunity"),
        other => other.name(),
    }
}

/// The park's figures as planners judge a park (the same under every
/// alternative): per-mu figures in 万元 per mu, totals over the horizon in the
/// money unit, with the mean and the P5–P95 band of the futures.
fn park_performance(h: &mut String, res: &Results) {
    use crate::schema::ParkMetric as M;
    let scn = &res.scenario;
    let tx = res.lang.texts();
    let money = escape(&crate::chart::money_unit(res));
    let wan = scn.yuan_per_unit / crate::chart::fan::YUAN_PER_WAN;
    let _ = writeln!(
        h,
        "<h2>{}</h2>\n<p>{}</p>\n<table>\n<tr>{}</tr>",
        tx.t("report.park.heading"),
        tx.f("report.park.text", &[("unit", &money)]),
        headers(tx.t("report.park.columns"))
    );
    let per_mu = tx.t("report.park.per_mu").to_owned();
    let rows: [(&str, M, String, f64, usize); 13] = [
        (
            "report.park.tax_per_mu",
            M::TaxPerMu,
            per_mu.clone(),
            wan,
            2,
        ),
        ("report.park.output_per_mu", M::OutputPerMu, per_mu, wan, 1),
        (
            "report.park.jobs",
            M::JobsFinal,
            tx.t("report.park.people").into(),
            1.0,
            0,
        ),
        ("report.park.gdp", M::Gdp, money.clone(), 1.0, 1),
        ("report.park.tax_total", M::TaxTotal, money.clone(), 1.0, 1),
        (
            "report.park.tax_central",
            M::TaxCentral,
            money.clone(),
            1.0,
            1,
        ),
        ("report.park.tax_local", M::TaxLocal, money.clone(), 1.0, 1),
        (
            "report.park.tax_provincial",
            M::TaxProvincial,
            money.clone(),
            1.0,
            1,
        ),
        ("report.park.tax_pool", M::TaxPool, money.clone(), 1.0, 1),
        ("report.park.rebates", M::Rebates, money.clone(), 1.0, 1),
        (
            "report.park.land_sales",
            M::LandSales,
            money.clone(),
            1.0,
            1,
        ),
        (
            "report.park.land_sold",
            M::LandSoldMu,
            tx.t("report.park.mu").into(),
            1.0,
            0,
        ),
        (
            "report.park.occupancy",
            M::OccupancyFinal,
            "%".into(),
            100.0,
            1,
        ),
    ];
    for (key, m, unit, scale, digits) in rows {
        let row = res.park_summary(m);
        // Money to three significant digits of its largest figure (a park
        // counted in 亿元 has totals such as 0.14).
        let digits = if unit == money {
            money_decimals(
                row.into_iter()
                    .flat_map(|r| [r.mean, r.p05, r.p50, r.p95])
                    .flatten(),
            )
        } else {
            digits
        };
        let cell = |x: Option<f64>| num(x.map(|x| x * scale), digits);
        let stat = |f: fn(&crate::results::SummaryRow) -> Option<f64>| {
            over_paths_in(
                res.lang,
                cell(row.and_then(f)),
                row.map(|r| r.n),
                res.run.paths,
            )
        };
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>\
             <td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
            tx.t(key),
            unit,
            stat(|r| r.mean),
            cell(row.and_then(|r| r.p05)),
            cell(row.and_then(|r| r.p50)),
            cell(row.and_then(|r| r.p95)),
        );
    }
    h.push_str("</table>\n");
}

/// The fairness table: the alternatives best first by the chance that every region
/// signs, then the Nash product, with each region's fair share and what it risks.
/// Each figure has its Monte Carlo margin (probabilities their exact interval),
/// and each alternative its lead on the next in the ranking, the difference
/// taken on the same futures, marked when it is within noise: two alternatives
/// 0.25 ± 0.38 pp apart were ranked 4 and 5 as if their order were known.
fn fairness(h: &mut String, res: &Results) {
    use crate::fairness::{Estimate, Metric, TieBreak, ranking, tie_break, tied, within_noise};
    use crate::output::ALL_REGIONS;
    let scn = &res.scenario;
    let tx = res.lang.texts();
    let unit = escape(&crate::chart::money_unit(res));
    let pairs = scn.simulation.sampler.antithetic;
    let get =
        |a: usize, region: &str, m: Metric| res.fairness(&scn.alternatives[a].name, region, m);
    let mean = |a: usize, region: &str, m: Metric| get(a, region, m).and_then(|r| r.mean);
    let order = ranking(
        scn.alternatives.len(),
        |a| mean(a, ALL_REGIONS, Metric::JointParticipation).unwrap_or(f64::NAN),
        |a| mean(a, ALL_REGIONS, Metric::NashProduct).unwrap_or(f64::NAN),
    );
    let _ = write!(
        h,
        "<h2>{}</h2>\n<p>{}</p>\n",
        tx.t("report.fair.heading"),
        tx.f("report.fair.text", &[("unit", &unit)])
    );
    if !res.run.coalitions {
        let _ = writeln!(
            h,
            "<p class=\"few\">{}</p>",
            tx.t("report.fair.no_coalitions")
        );
    } else if unequal_rates(scn) {
        // A region that brings and gets nothing then has a Shapley value, and a
        // gap, that read as a verdict on it (exploratory test): docs/model.md §13.
        let _ = writeln!(
            h,
            "<p class=\"few\">{}</p>",
            tx.t("report.fair.unequal_rates")
        );
    }
    let _ = writeln!(
        h,
        "<table>\n<tr>{}</tr>",
        headers(tx.t("report.fair.columns"))
    );
    let paths = res.run.paths;
    let digits = npv_decimals(res);
    // Enough digits that the products the order rests on read apart.
    let nash_decimals = crate::fairness::product_decimals(
        &(0..scn.alternatives.len())
            .map(|a| mean(a, ALL_REGIONS, Metric::NashProduct).unwrap_or(f64::NAN))
            .collect::<Vec<_>>(),
    );
    // A mean with its ± 1.96 se margin, `digits` decimals.
    let with_margin = |row: Option<&crate::results::FairnessRow>, digits: usize| {
        let m = row.and_then(|r| r.mean);
        margin(
            num(m, digits),
            m.is_some(),
            row.and_then(|r| r.se),
            1.0,
            "",
            digits,
        )
    };
    let chance = |row: Option<&crate::results::FairnessRow>| {
        row.map_or_else(
            || "–".into(),
            |r| probability(r.mean, r.se, r.n, pairs, res.lang),
        )
    };
    // The Nash product of alternative `a` as an estimate (NaN where undefined).
    let nash_estimate = |a: usize| {
        let row = get(a, ALL_REGIONS, Metric::NashProduct);
        Estimate {
            mean: row.and_then(|r| r.mean).unwrap_or(f64::NAN),
            se: row.and_then(|r| r.se).unwrap_or(f64::NAN),
            n: row.map_or(0, |r| r.n),
        }
    };
    let mut noise = false;
    // Ties (equal on every future) and what breaks each, as the terminal says it.
    let (mut tie, mut breaks) = (false, [false; 3]);
    for (rank, &a) in order.iter().enumerate() {
        for (r, region) in scn.regions.iter().enumerate() {
            let row = |metric: Metric| get(a, &region.id, metric);
            // A ratio defined on fewer than half the futures describes a minority.
            let ratio = row(Metric::BenefitToContribution);
            let c = region_colour(r);
            let head = if r == 0 {
                let lead = get(a, ALL_REGIONS, Metric::JointParticipationOverNext);
                let lead_cell = match lead.and_then(|l| l.mean) {
                    None => "–".to_owned(),
                    Some(d) => {
                        // In pp with two decimals: leads of a fraction of a point
                        // are the ones whose noise matters.
                        let se = lead.and_then(|l| l.se);
                        let sign = if d < 0.0 { "−" } else { "+" };
                        let pp = tx.t("chart.unit.pp");
                        let shown = format!(
                            "{sign}{} {pp} <span class=\"few\">± {}</span>",
                            num(Some(100.0 * d.abs()), 2),
                            se.map_or("–".into(), |se| format!(
                                "{} {pp}",
                                num(Some(crate::convergence::Z95 * se * 100.0), 2)
                            ))
                        );
                        let se = se.unwrap_or(f64::NAN);
                        if tied(d, se) {
                            tie = true;
                            if let Some(&next) = order.get(rank + 1) {
                                breaks[tie_break(nash_estimate(a), nash_estimate(next)) as usize] =
                                    true;
                            }
                            format!(
                                "{shown} <span class=\"few\">= {}</span>",
                                tx.t("report.fair.tied")
                            )
                        } else if within_noise(d, se) == Some(true) {
                            noise = true;
                            format!(
                                "{shown} <span class=\"few\">≈ {}</span>",
                                tx.t("report.fair.within_noise")
                            )
                        } else {
                            shown
                        }
                    }
                };
                let nash = get(a, ALL_REGIONS, Metric::NashProduct);
                let nash_cell = match nash.and_then(|n| n.mean) {
                    None => "–".to_owned(),
                    Some(x) => match nash.and_then(|n| n.se) {
                        Some(se) => format!(
                            "{x:.nash_decimals$e} <span class=\"few\">± {:.1e}</span>",
                            crate::convergence::Z95 * se
                        ),
                        None => format!("{x:.nash_decimals$e} <span class=\"few\">± –</span>"),
                    },
                };
                format!(
                    "<td>{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>",
                    rank + 1,
                    escape(&scn.alternatives[a].name),
                    chance(get(a, ALL_REGIONS, Metric::JointParticipation)),
                    lead_cell,
                    nash_cell
                )
            } else {
                "<td></td><td></td><td></td><td></td><td></td>".to_owned()
            };
            let _ = writeln!(
                h,
                "<tr>{head}<td><span class=\"swatch\" style=\"background:rgb({},{},{})\"></span>{}</td>\
                 <td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>\
                 <td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
                c.0,
                c.1,
                c.2,
                escape(&region.name),
                with_margin(row(Metric::Npv), digits),
                with_margin(row(Metric::Shapley), digits),
                with_margin(row(Metric::ShapleyGap), digits),
                chance(row(Metric::Participation)),
                over_paths_in(
                    res.lang,
                    with_margin(ratio, 2),
                    ratio.map(|row| row.n),
                    paths
                ),
                with_margin(row(Metric::Cvar5), digits),
            );
        }
    }
    h.push_str("</table>\n");
    if tie {
        let then: Vec<&str> = [
            (TieBreak::Exact, "report.fair.tie_exact"),
            (TieBreak::FileOrder, "report.fair.tie_file_order"),
            (TieBreak::Margins, "report.fair.tie_margins"),
        ]
        .iter()
        .filter(|(b, _)| breaks[*b as usize])
        .map(|(_, key)| tx.t(key))
        .collect();
        let then = then.join(tx.t("terminal.clause_separator"));
        let _ = writeln!(
            h,
            "<p class=\"few\">{}</p>",
            tx.f("report.fair.tie_note", &[("then", &then)])
        );
    }
    if noise {
        let _ = writeln!(h, "<p class=\"few\">{}</p>", tx.t("report.fair.noise_note"));
    }
}

/// The scenario's key inputs.
fn inputs(h: &mut String, scn: &Scenario, lang: crate::i18n::Lang) {
    let tx = lang.texts();
    let v = |x: Value| escape(&value(scn, x, lang));
    let _ = writeln!(
        h,
        "<h2>{}</h2>\n<div class=\"grid\">\n<div>\n<h3>{}</h3>\n<table>\n<tr>{}</tr>",
        tx.t("report.inputs.heading"),
        tx.t("report.inputs.regions"),
        headers(tx.t("report.inputs.region_columns"))
    );
    for (r, region) in scn.regions.iter().enumerate() {
        let c = region_colour(r);
        let role = tx.t(match region.role {
            Role::Source => "report.inputs.source",
            Role::Host => "report.inputs.host",
            Role::Other => "report.inputs.other",
        });
        let _ = writeln!(
            h,
            "<tr><td><span class=\"swatch\" style=\"background:rgb({},{},{})\"></span>{} <code>{}</code></td>\
             <td>{role}</td><td>{}</td><td>{}</td></tr>",
            c.0,
            c.1,
            c.2,
            escape(&region.name),
            escape(&region.id),
            v(region.discount_rate),
            v(region.outside_option)
        );
    }
    let _ = writeln!(
        h,
        "</table>\n</div>\n<div>\n<h3>{}</h3>\n<table>",
        tx.t("report.inputs.park")
    );
    let _ = writeln!(
        h,
        "<tr><th>{}</th><td>{}</td></tr>",
        tx.t("report.inputs.area"),
        tx.f(
            "report.inputs.mu",
            &[("mu", &num(Some(scn.park.area_mu), 0))]
        )
    );
    let _ = writeln!(
        h,
        "<tr><th>{}</th><td>{}</td></tr>",
        tx.t("report.inputs.saleable"),
        v(scn.park.saleable_share)
    );
    for p in &scn.park.phases {
        let _ = writeln!(
            h,
            "<tr><th>{}</th><td>{}</td></tr>",
            escape(&p.name),
            tx.f(
                if p.build_years == 1 {
                    "report.inputs.phase_one_year"
                } else {
                    "report.inputs.phase"
                },
                &[
                    ("mu", &num(Some(p.area_mu), 0)),
                    ("from", &scn.year(p.start)),
                    ("to", &scn.year(p.start + p.build_years - 1)),
                    ("open", &scn.year(p.start + p.build_years)),
                ]
            )
        );
    }
    h.push_str("</table>\n</div>\n</div>\n");

    let _ = writeln!(
        h,
        "<h3>{}</h3>\n<table>\n<tr>{}</tr>",
        tx.t("report.inputs.contributions"),
        headers(&tx.f(
            "report.inputs.contribution_columns",
            &[(
                "unit",
                &escape(&crate::i18n::money_unit(
                    lang,
                    &scn.money_unit,
                    scn.yuan_per_unit
                ))
            )]
        ))
    );
    for c in &scn.contributions {
        let kind = tx.t(match c.kind {
            ContributionKind::Cash => "report.inputs.cash",
            ContributionKind::Land => "report.inputs.land",
            ContributionKind::Technology => "report.inputs.technology",
            ContributionKind::Brand => "report.inputs.brand",
            ContributionKind::Management => "report.inputs.management",
        });
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td>{kind}</td><td>{}</td><td>{}</td><td>{}, {}, {}</td></tr>",
            escape(&scn.regions[c.region].name),
            v(c.value),
            scn.year(c.year),
            v(c.attractiveness),
            v(c.cost),
            v(c.revenue)
        );
    }
    h.push_str("</table>\n");

    let co = &scn.company;
    let costs = &scn.costs;
    let unit = escape(&crate::i18n::money_unit(
        lang,
        &scn.money_unit,
        scn.yuan_per_unit,
    ));
    let continuation = match scn.outcome.continuation {
        Continuation::None => tx.t("report.inputs.continuation_none").to_owned(),
        Continuation::Perpetuity {
            growth,
            discount_rate,
        } => tx.f(
            "report.inputs.continuation",
            &[("growth", &growth), ("rate", &discount_rate)],
        ),
    };
    let prices = match &scn.prices {
        Prices::Real => tx.f("report.inputs.prices_real", &[("year", &scn.start_year)]),
        Prices::Nominal { inflation } => tx.f(
            "report.inputs.prices_nominal",
            &[("inflation", &value(scn, *inflation, lang))],
        ),
    };
    let terminal = match co.terminal {
        Terminal::None => tx.t("report.inputs.terminal_none").to_owned(),
        Terminal::Book => tx.t("report.inputs.terminal_book").to_owned(),
        Terminal::Perpetuity {
            growth,
            discount_rate,
        } => tx.f(
            "report.inputs.terminal_perpetuity",
            &[("growth", &growth), ("rate", &discount_rate)],
        ),
    };
    let bearer = |b: &Bearer| escape(&bearer_in(scn, b, lang));
    let _ = write!(
        h,
        "<div class=\"grid\">\n<div>\n<h3>{}</h3>\n<table>\n{}</table>\n</div>\n<div>\n<h3>{}</h3>\n<table>\n{}</table>\n</div>\n</div>\n",
        tx.t("report.inputs.costs"),
        tx.f(
            "report.inputs.costs_rows",
            &[
                ("unit", &unit),
                ("land", &v(costs.land_acquisition.per_mu)),
                ("land_bearer", &bearer(&costs.land_acquisition.bearer)),
                ("infra", &v(costs.infrastructure.per_mu)),
                ("infra_bearer", &bearer(&costs.infrastructure.bearer)),
                ("ops_year", &v(costs.operations.per_year)),
                ("ops_mu", &v(costs.operations.per_mu)),
                ("ops_bearer", &bearer(&costs.operations.bearer)),
            ]
        ),
        tx.t("report.inputs.company"),
        tx.f(
            "report.inputs.company_rows",
            &[
                ("unit", &unit),
                ("price", &v(co.land_price_per_mu)),
                (
                    "to",
                    &tx.t(if co.land_revenue == LandRevenue::Company {
                        "report.inputs.to_company"
                    } else {
                        "report.inputs.to_governments"
                    }),
                ),
                ("fee", &v(co.service_fee_rate)),
                ("debt", &v(co.debt_share)),
                ("interest", &v(co.interest_rate)),
                ("loan_years", &co.loan_years),
                ("payout", &v(co.payout_ratio)),
                ("terminal", &escape(&terminal)),
                (
                    "exit",
                    &tx.t(match co.land_on_exit {
                        LandOnExit::Transfer => "report.inputs.exit_transfer",
                        LandOnExit::Buyback => "report.inputs.exit_buyback",
                    }),
                ),
                ("term", &co.land_term_years),
                ("continuation", &escape(&continuation)),
                ("prices", &escape(&prices)),
            ]
        ),
    );

    let f = &scn.firms;
    let _ = write!(
        h,
        "<h3>{}</h3>\n<p>{}</p>\n<table>\n<tr>{}</tr>\n",
        tx.t("report.inputs.firms"),
        tx.f(
            "report.inputs.firms_text",
            &[
                ("arrivals", &v(f.arrival_rate)),
                ("outlook", &v(f.outlook)),
                ("relocated", &v(f.relocated_share)),
                ("displaced", &v(f.displacement)),
                ("freed", &v(f.freed_land_value_per_mu)),
                ("unit", &unit),
            ]
        ),
        headers(&tx.f("report.inputs.sector_columns", &[("unit", &unit)]))
    );
    for s in &f.sectors {
        let land = match &s.land_per_firm_mu {
            crate::scenario::FirmLand::Fixed(x) => num(Some(*x), 0),
            crate::scenario::FirmLand::PerFirm(u) => u.describe_in(lang),
        };
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td>{:.0}%</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(&s.name),
            100.0 * s.weight,
            escape(&land),
            v(s.revenue_per_mu),
            v(s.growth),
            v(s.volatility),
            v(s.exit_hazard),
            v(s.vat_rate),
            v(s.cit_rate)
        );
    }
    h.push_str("</table>\n");
    initial_state(h, scn, lang);
    let t = &scn.taxes;
    let to = t.provincial.to.map_or_else(
        || tx.t("report.inputs.province_outside").to_owned(),
        |r| escape(&scn.regions[r].name),
    );
    let _ = writeln!(
        h,
        "<p>{}</p>",
        tx.f(
            "report.inputs.taxes_text",
            &[
                ("vat", &v(t.vat_local_share)),
                ("cit", &v(t.cit_local_share)),
                ("iit", &v(t.iit_local_share)),
                ("p_vat", &v(t.provincial.vat)),
                ("p_cit", &v(t.provincial.cit)),
                ("p_iit", &v(t.provincial.iit)),
                ("p_surcharges", &v(t.provincial.surcharges)),
                ("p_land_use", &v(t.provincial.land_use)),
                ("p_property", &v(t.provincial.property)),
                ("to", &to),
                ("rebate", &v(t.rebate_share)),
                ("rebate_years", &t.rebate_years),
            ]
        )
    );
    dated_changes(h, scn, lang);

    // Regions by the names the report's other tables give them.
    let names: Vec<&str> = scn.regions.iter().map(|r| r.name.as_str()).collect();
    let _ = writeln!(
        h,
        "<h3>{}</h3>\n<table>\n<tr>{}</tr>",
        tx.t("report.inputs.sharing"),
        headers(tx.t("report.inputs.sharing_columns"))
    );
    for alt in &scn.alternatives {
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(&alt.name),
            escape(&tax_pool_terms(scn, alt, &names, lang)),
            escape(&alt.land.describe_in(&names, lang)),
            escape(&alt.gdp.describe_in(&names, lang)),
            escape(&alt.description)
        );
    }
    h.push_str("</table>\n");
}

/// The tax formula in words, with what restricts its pool (`[sharing.tax_pool]`)
/// and the risk that the collector does not pay (`[sharing.delivery]`); regions
/// by `names`.
fn tax_pool_terms(
    scn: &Scenario,
    alt: &Alternative,
    names: &[&str],
    lang: crate::i18n::Lang,
) -> String {
    let tx = lang.texts();
    let mut s = alt.tax.describe_in(names, lang);
    if let Some(pool) = &alt.pool {
        let kinds: Vec<&str> = TaxKind::ALL
            .iter()
            .filter(|k| pool.taxes[k.index()])
            .map(|k| k.name())
            .collect();
        s.push_str(&tx.f(
            match pool.firms {
                FirmGroup::All => "formula.pool_all",
                FirmGroup::Relocated => "formula.pool_relocated",
            },
            &[("kinds", &kinds.join(", ")), ("rest", &names[pool.rest_to])],
        ));
        if let Some(cap) = pool.cap {
            let amount = match cap.amount {
                CapAmount::Money(x) => tx.f("formula.cap_money", &[("x", &x)]),
                CapAmount::PreMoveYears(y) => tx.f("formula.cap_years", &[("y", &y)]),
            };
            s.push_str(&tx.f(
                "formula.cap",
                &[("region", &names[cap.region]), ("amount", &amount)],
            ));
        }
    }
    if let Some(d) = &alt.delivery {
        s.push_str(&tx.f(
            "formula.delivery",
            &[
                ("collector", &names[d.collector]),
                ("p", &value(scn, d.default_probability, lang)),
                ("haircut", &value(scn, d.haircut, lang)),
            ],
        ));
        if let Some(y) = d.renegotiation_year {
            s.push_str(&tx.f("formula.renegotiation", &[("year", &value(scn, y, lang))]));
        }
    }
    s
}

/// The scenario's dated changes (`[[changes]]`), one line each with its year,
/// its note and what it sets ([`change_terms`]): the tables above are those of
/// the start year, and a note alone ("province takes less", or none at all) did
/// not say which values a change sets.
fn dated_changes(h: &mut String, scn: &Scenario, lang: crate::i18n::Lang) {
    if scn.changes.is_empty() {
        return;
    }
    let tx = lang.texts();
    let _ = writeln!(h, "<p>{}</p>\n<ul>", tx.t("report.inputs.changes"));
    for (i, c) in scn.changes.iter().enumerate() {
        let terms = change_terms(scn, i, lang);
        let terms = if terms.is_empty() {
            tx.t("report.inputs.no_change").to_owned()
        } else {
            terms.join(tx.t("report.inputs.term_separator"))
        };
        if c.note.is_empty() {
            let _ = writeln!(h, "<li>{}: {}</li>", scn.year(c.year), escape(&terms));
        } else {
            let _ = writeln!(
                h,
                "<li>{}: {} <span class=\"few\">({})</span></li>",
                scn.year(c.year),
                escape(&c.note),
                escape(&terms)
            );
        }
    }
    h.push_str("</ul>\n");
}

/// What change `i` sets, as `field old → new` by the field paths of a
/// `[[changes]]` entry: every value in force from its year that differs from the
/// one in force before it (the previous change's, else the base tables'). A
/// change is stored complete (docs/model.md §6), so the difference is what it
/// changes; the take of VAT, CIT and IIT that a changed `provincial_take` sets
/// is listed under `provincial_take` alone.
fn change_terms(scn: &Scenario, i: usize, lang: crate::i18n::Lang) -> Vec<String> {
    use crate::scenario::{IitSchedule, SectorTaxes, Taxes};
    let tx = lang.texts();
    let c = &scn.changes[i];
    let before = i.checked_sub(1).map(|k| &scn.changes[k]);
    let mut terms = Vec::new();
    let mut term = |field: String, old: String, new: String| {
        if old != new {
            terms.push(format!("{field} {old} → {new}"));
        }
    };
    let v = |x: Value| value(scn, x, lang);

    let (old, new): (&Taxes, &Taxes) = (before.map_or(&scn.taxes, |b| &b.taxes), &c.taxes);
    let take_changed = old.provincial_take != new.provincial_take;
    let values = [
        ("vat_local_share", old.vat_local_share, new.vat_local_share),
        ("cit_local_share", old.cit_local_share, new.cit_local_share),
        ("iit_local_share", old.iit_local_share, new.iit_local_share),
        (
            "urban_maintenance_rate",
            old.urban_maintenance_rate,
            new.urban_maintenance_rate,
        ),
        ("education_rate", old.education_rate, new.education_rate),
        (
            "local_education_rate",
            old.local_education_rate,
            new.local_education_rate,
        ),
        (
            "land_use_tax_per_m2",
            old.land_use_tax_per_m2,
            new.land_use_tax_per_m2,
        ),
        (
            "property_tax_rate",
            old.property_tax_rate,
            new.property_tax_rate,
        ),
        (
            "property_tax_deduction",
            old.property_tax_deduction,
            new.property_tax_deduction,
        ),
        ("provincial_take", old.provincial_take, new.provincial_take),
        (
            "cit_statutory_rate",
            old.cit_statutory_rate,
            new.cit_statutory_rate,
        ),
        (
            "iit_social_insurance_share",
            old.iit_social_insurance_share,
            new.iit_social_insurance_share,
        ),
    ];
    for (name, a, b) in values {
        term(format!("taxes.{name}"), v(a), v(b));
    }
    let flat = |x: Option<Value>| x.map_or_else(|| tx.t("report.inputs.iit_by_schedule").into(), v);
    term(
        "taxes.iit_rate".into(),
        flat(old.iit_rate),
        flat(new.iit_rate),
    );
    let schedule = |s: IitSchedule| match s {
        IitSchedule::Y2011 => "2011",
        IitSchedule::Y2019 => "2019",
    };
    term(
        "taxes.iit_schedule".into(),
        schedule(old.iit_schedule).into(),
        schedule(new.iit_schedule).into(),
    );
    let (op, np) = (&old.provincial, &new.provincial);
    for (name, a, b, follows_take) in [
        ("vat", op.vat, np.vat, true),
        ("cit", op.cit, np.cit, true),
        ("iit", op.iit, np.iit, true),
        ("surcharges", op.surcharges, np.surcharges, false),
        ("land_use", op.land_use, np.land_use, false),
        ("property", op.property, np.property, false),
    ] {
        if follows_take && take_changed && b == new.provincial_take {
            continue;
        }
        term(format!("taxes.province.{name}"), v(a), v(b));
    }
    let to = |r: Option<usize>| {
        r.map_or_else(
            || tx.t("report.inputs.province_outside").into(),
            |r| scn.regions[r].id.clone(),
        )
    };
    term("taxes.province.to".into(), to(op.to), to(np.to));

    let base: Vec<SectorTaxes> = scn
        .firms
        .sectors
        .iter()
        .map(|s| SectorTaxes {
            vat_rate: s.vat_rate,
            cit_rate: s.cit_rate,
        })
        .collect();
    let old_sectors = before.map_or(&base[..], |b| &b.sectors[..]);
    for ((sector, a), b) in scn.firms.sectors.iter().zip(old_sectors).zip(&c.sectors) {
        for (name, x, y) in [
            ("vat_rate", a.vat_rate, b.vat_rate),
            ("cit_rate", a.cit_rate, b.cit_rate),
        ] {
            term(format!("sectors.\"{}\".{name}", sector.name), v(x), v(y));
        }
    }

    // The equity in force: a change's, else the company's (fixed or from
    // contributions).
    let equity = |e: Option<&Vec<f64>>| match e.or(scn.company.equity.as_ref()) {
        Some(shares) => shares
            .iter()
            .zip(&scn.regions)
            .map(|(s, r)| {
                format!(
                    "{} {}%",
                    r.id,
                    num(Some(100.0 * s), 1).trim_end_matches(".0")
                )
            })
            .collect::<Vec<_>>()
            .join(", "),
        None => tx.t("report.inputs.equity_contributions").into(),
    };
    term(
        "company.equity".into(),
        equity(before.and_then(|b| b.equity.as_ref())),
        equity(c.equity.as_ref()),
    );

    let costs = &scn.costs;
    let old_bearers = before.map(|b| &b.bearers);
    for (name, base, b, a) in [
        (
            "land_acquisition",
            &costs.land_acquisition.bearer,
            &c.bearers.land_acquisition,
            old_bearers.map(|x| &x.land_acquisition),
        ),
        (
            "infrastructure",
            &costs.infrastructure.bearer,
            &c.bearers.infrastructure,
            old_bearers.map(|x| &x.infrastructure),
        ),
        (
            "operations",
            &costs.operations.bearer,
            &c.bearers.operations,
            old_bearers.map(|x| &x.operations),
        ),
    ] {
        term(
            format!("costs.{name}.bearer"),
            bearer_in(scn, a.unwrap_or(base), lang),
            bearer_in(scn, b, lang),
        );
    }
    terms
}

/// Writes `report.html` into the results folder.
///
/// # Errors
/// If the file cannot be written.
pub fn write(res: &Results, charts: &[(Chart, String)]) -> Result<(), OutputError> {
    write_atomic(&res.dir.join(REPORT_FILE), html(res, charts).as_bytes())
}

/// The park as it stands at the start (`[initial]`), when the run does not start
/// from an empty park; nothing otherwise.
fn initial_state(h: &mut String, scn: &Scenario, lang: crate::i18n::Lang) {
    let i = &scn.initial;
    let contributed = i.contributions.iter().any(|&c| c != 0.0);
    if i.firms.is_empty() && i.developed_mu == 0.0 && i.debt == 0.0 && i.cash == 0.0 && !contributed
    {
        return;
    }
    let tx = lang.texts();
    let groups: Vec<String> = i
        .firms
        .iter()
        .map(|g| {
            tx.f(
                if g.relocated {
                    "report.inputs.initial_group_relocated"
                } else {
                    "report.inputs.initial_group"
                },
                &[
                    ("count", &g.count),
                    ("sector", &escape(&scn.firms.sectors[g.sector].name)),
                    ("age", &g.age),
                ],
            )
        })
        .collect();
    let firms = if groups.is_empty() {
        tx.t("report.inputs.initial_none").to_owned()
    } else {
        groups.join(tx.t("report.inputs.list_separator"))
    };
    let _ = writeln!(
        h,
        "<p>{}</p>",
        tx.f(
            "report.inputs.initial",
            &[
                ("year", &scn.start_year),
                ("developed", &num(Some(i.developed_mu), 0)),
                ("sold", &num(Some(i.land_sold_mu), 0)),
                ("firms", &firms),
                ("debt", &num(Some(i.debt), 0)),
                ("debt_years", &i.debt_years),
                ("cash", &num(Some(i.cash), 0)),
            ]
        )
    );
    // The regions' contributions to date, C⁰ (docs/model.md §12): they weigh in
    // the contribution formula from the start, so a split "by contribution"
    // cannot be read without them.
    if contributed {
        let list: Vec<String> = i
            .contributions
            .iter()
            .zip(&scn.regions)
            .map(|(c, r)| format!("{} {}", escape(&r.name), value(scn, Value::Fixed(*c), lang)))
            .collect();
        let _ = writeln!(
            h,
            "<p>{}</p>",
            tx.f(
                "report.inputs.initial_contributions",
                &[
                    ("year", &scn.start_year),
                    ("list", &list.join(tx.t("report.inputs.list_separator"))),
                ]
            )
        );
    }
}

/// A drawn spider chart of the sensitivity page: region `region`'s NPV under
/// alternative `alternative` (indices in the scenario), its title and SVG text.
#[derive(Debug, Clone, PartialEq)]
pub struct SpiderFigure {
    /// The region's index in the scenario.
    pub region: usize,
    /// The alternative's index in the scenario.
    pub alternative: usize,
    /// The chart's title.
    pub title: String,
    /// The chart's SVG text, inlined into the page.
    pub svg: String,
}

/// The page `enclave sensitivity` writes beside `sensitivity.csv`: its own
/// `report.html` (the sensitivity folder holds no run's results, so the run's
/// report has nothing to show there), with the page frame of `page_head_in` (as `report.html`) and the
/// section of [`sensitivity_section`].
pub fn sensitivity_html(
    scn: &Scenario,
    analysis: &crate::sensitivity::Analysis,
    record: &crate::sensitivity::Record,
    charts: &[(String, String)],
    spiders: &[SpiderFigure],
) -> String {
    let tx = scn.lang.texts();
    let unit = crate::i18n::money_unit(scn.lang, &scn.money_unit, scn.yuan_per_unit);
    let mut h = page_head_in(
        &tx.f("sensitivity.page.title", &[("scenario", &scn.name)]),
        scn.lang.html_tag(),
        tx.t("report.title_suffix"),
    );
    let _ = writeln!(
        h,
        "<h1>{}</h1>\n<p class=\"sub\">{}</p>",
        tx.f(
            "sensitivity.page.heading",
            &[("scenario", &escape(&scn.name))]
        ),
        tx.f(
            "sensitivity.page.subtitle",
            &[
                ("id", &escape(&scn.id)),
                ("paths", &record.paths),
                ("seed", &record.seed),
                ("years", &record.horizon),
                ("unit", &escape(&unit)),
            ]
        )
    );
    sensitivity_section(&mut h, scn, analysis, charts, spiders);
    let _ = writeln!(h, "<h2>{}</h2>\n<table>", tx.t("report.repro.heading"));
    let methods: Vec<&str> = record.methods.iter().map(|m| m.name()).collect();
    let rows: [(&str, String); 10] = [
        ("report.repro.engine", record.engine.clone()),
        ("report.repro.file", record.scenario_file.clone()),
        ("report.repro.sha", record.scenario_sha256.clone()),
        ("report.repro.seed", record.seed.to_string()),
        ("sensitivity.page.paths", record.paths.to_string()),
        ("sensitivity.page.methods", methods.join(", ")),
        (
            "sensitivity.page.resamples",
            record.bootstrap_resamples.to_string(),
        ),
        ("sensitivity.page.runs", record.runs.to_string()),
        (
            "sensitivity.page.simulated",
            record.paths_simulated.to_string(),
        ),
        // The record's text is English; the page says it in its language.
        (
            "sensitivity.page.streams",
            crate::sensitivity::streams_text(scn.lang, record.paths),
        ),
    ];
    record_rows(&mut h, tx, &rows);
    h
}

/// The "Sensitivity" section: how to read the methods, then per region and
/// alternative a table of every input's tornado swing, Spearman correlation,
/// standardised regression coefficient and Sobol indices (those the analysis
/// ran), inputs ranked by their total index (else their swing), the tornado
/// charts (title, SVG text), and, when the spider ran, its subsection
/// (by `spider_section`) with the spider charts in `spiders`.
pub fn sensitivity_section(
    h: &mut String,
    scn: &Scenario,
    analysis: &crate::sensitivity::Analysis,
    charts: &[(String, String)],
    spiders: &[SpiderFigure],
) {
    use crate::sensitivity::Estimate;
    let tx = scn.lang.texts();
    let _ = writeln!(
        h,
        "<h2 id=\"sensitivity\">{}</h2>\n<p>{}</p>",
        tx.t("sensitivity.section.heading"),
        tx.t("sensitivity.section.text")
    );
    if let Some(note) = crate::sensitivity::independence_note(scn, &analysis.methods, scn.lang) {
        let _ = writeln!(
            h,
            "<p><b>{}</b> {}{}</p>",
            tx.t("sensitivity.independent.heading"),
            escape(&note),
            tx.t("sensitivity.independent.end")
        );
    }
    let fmt = |e: Option<Estimate>, digits: usize| -> String {
        match e {
            Some(e) if e.value.is_finite() => {
                let mut s = num(Some(e.value), digits);
                if e.low.is_finite() && e.high.is_finite() {
                    let _ = write!(
                        s,
                        " <span class=\"few\">[{}, {}]</span>",
                        num(Some(e.low), digits),
                        num(Some(e.high), digits)
                    );
                }
                s
            }
            _ => "–".into(),
        }
    };
    // A Sobol index is a share of the variance, in [0, 1], but its estimate can
    // leave that range by sampling error (S_i of an input that cannot matter came
    // out −0.08 [−0.17, −0.003] at 512 paths): shown clipped, with the raw
    // estimate beside it (sensitivity.csv keeps it), and intervals cut at 0 and 1.
    let sobol_rows = || {
        analysis
            .rows
            .iter()
            .filter(|x| x.method == "sobol_first" || x.method == "sobol_total")
    };
    // S's intervals are the wide ones (ST's are a fraction as wide).
    let half_widths: Vec<f64> = sobol_rows()
        .filter(|x| x.method == "sobol_first")
        .map(|x| (x.estimate.high - x.estimate.low) / 2.0)
        .filter(|w| w.is_finite())
        .collect();
    let error = sobol_error(&half_widths);
    let share = |e: Option<Estimate>| -> String {
        match e {
            // Outside [0, 1] by more than the rounding of the shown digits.
            Some(e)
                if e.value.is_finite()
                    && num(Some(e.value), 2) != num(Some(e.value.clamp(0.0, 1.0)), 2) =>
            {
                format!(
                    "{} <span class=\"few\">({})</span>",
                    num(Some(e.value.clamp(0.0, 1.0)), 2),
                    tx.f(
                        "sensitivity.section.outside",
                        &[("value", &num(Some(e.value), 2))]
                    )
                )
            }
            Some(e) => fmt(
                Some(Estimate {
                    low: e.low.clamp(0.0, 1.0),
                    high: e.high.clamp(0.0, 1.0),
                    ..e
                }),
                2,
            ),
            None => fmt(None, 2),
        }
    };
    if let (Some(error), Some(n)) = (error, sobol_rows().map(|x| x.n).max()) {
        let _ = writeln!(
            h,
            "<p class=\"few\">{}</p>",
            tx.f(
                "sensitivity.section.clipped",
                &[("paths", &n), ("error", &num(Some(error), 2))]
            )
        );
    }
    for (r, region) in scn.regions.iter().enumerate() {
        let _ = writeln!(h, "<h3>{}</h3>", escape(&region.name));
        for (a, alt) in scn.alternatives.iter().enumerate() {
            let Some(o) = analysis
                .outputs
                .iter()
                .position(|o| o.region_index == Some(r) && o.alternative_index == Some(a))
            else {
                continue;
            };
            let find = |input: &str, method: &str, point: &str| {
                analysis
                    .rows
                    .iter()
                    .find(|x| {
                        x.output == o && x.input == input && x.method == method && x.point == point
                    })
                    .map(|x| x.estimate)
            };
            let mut order: Vec<usize> = (0..analysis.inputs.len()).collect();
            let key = |i: usize| {
                let name = &analysis.inputs[i];
                find(name, "sobol_total", "")
                    .or_else(|| {
                        find(name, "tornado", "swing").map(|e| Estimate {
                            value: e.value.abs(),
                            ..e
                        })
                    })
                    .or_else(|| {
                        find(name, "src", "").map(|e| Estimate {
                            value: e.value.abs(),
                            ..e
                        })
                    })
                    .map_or(f64::NEG_INFINITY, |e| e.value)
            };
            order.sort_by(|&x, &y| key(y).total_cmp(&key(x)));
            let r2 = find(crate::sensitivity::ALL_INPUTS, "src_r2", "").map(|e| e.value);
            let r2 = r2.filter(|x| x.is_finite()).map_or(String::new(), |x| {
                tx.f("sensitivity.section.r2", &[("r2", &format!("{x:.2}"))])
            });
            let _ = writeln!(
                h,
                "<p>{}</p>\n<table>\n<tr>{}</tr>",
                tx.f(
                    "sensitivity.section.under",
                    &[("alt", &escape(&alt.name)), ("r2", &r2)]
                ),
                headers(tx.t("sensitivity.section.columns"))
            );
            for i in order {
                let name = &analysis.inputs[i];
                // In words with its path (a planner read `contributions[2].value`:
                // exploratory test); the path alone when it has no words.
                let path = format!("<code>{}</code>", escape(name));
                let shown = match crate::i18n::inputs::label(scn, name, scn.lang) {
                    Some(label) => tx.f(
                        "input.with_path",
                        &[("label", &escape(&label)), ("path", &path)],
                    ),
                    None => path,
                };
                let _ = writeln!(
                    h,
                    "<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
                    shown,
                    fmt(find(name, "tornado", "swing"), SWING_DECIMALS),
                    fmt(find(name, "spearman", ""), 2),
                    fmt(find(name, "src", ""), 2),
                    share(find(name, "sobol_first", "")),
                    share(find(name, "sobol_total", "")),
                );
            }
            let noise = crate::sensitivity::NOISE_INPUT;
            if let Some(st) = find(noise, "sobol_total", "") {
                let _ = writeln!(
                    h,
                    "<tr><td><i>{}</i></td><td class=\"n\">–</td><td class=\"n\">–</td><td class=\"n\">–</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
                    escape(tx.t("input.noise")),
                    share(find(noise, "sobol_first", "")),
                    share(Some(st)),
                );
            }
            h.push_str("</table>\n");
        }
    }
    for (title, svg) in charts {
        let _ = write!(
            h,
            "<figure aria-label=\"{}\">\n{}\n<figcaption>{}</figcaption>\n</figure>\n",
            escape(title),
            svg.trim(),
            tx.t("sensitivity.tornado.caption")
        );
    }
    spider_section(h, scn, analysis, spiders);
}

/// The spider's subsection of the "Sensitivity" section, when the analysis has
/// spider rows (none without, not even its heading): per region and
/// alternative, its chart from `spiders` (when drawn) and a table of each input
/// at each quantile level, the mean NPV with the input's value there. The rows
/// were in sensitivity.csv alone: a user who asked for the spider saw nothing
/// of it on the page.
fn spider_section(
    h: &mut String,
    scn: &Scenario,
    analysis: &crate::sensitivity::Analysis,
    spiders: &[SpiderFigure],
) {
    use crate::chart::spider::{MAX_INPUTS, Spider};
    let tx = scn.lang.texts();
    let all: Vec<Spider> = (0..scn.regions.len())
        .flat_map(|r| (0..scn.alternatives.len()).map(move |a| (r, a)))
        .filter_map(|(r, a)| Spider::of_output(analysis, scn, r, a))
        .collect();
    if all.is_empty() {
        return;
    }
    let _ = writeln!(
        h,
        "<h3 id=\"spider\">{}</h3>\n<p>{}</p>",
        tx.t("sensitivity.spider.heading"),
        tx.t("sensitivity.spider.text")
    );
    for s in &all {
        let _ = writeln!(
            h,
            "<h4>{}</h4>",
            tx.f(
                "sensitivity.spider.under",
                &[
                    ("region", &escape(&scn.regions[s.region].name)),
                    ("alt", &escape(&scn.alternatives[s.alternative].name)),
                ]
            )
        );
        if let Some(f) = spiders
            .iter()
            .find(|f| f.region == s.region && f.alternative == s.alternative)
        {
            let mut caption = tx.t("sensitivity.spider.caption").to_owned();
            if s.lines.len() > MAX_INPUTS {
                caption.push(' ');
                caption.push_str(&tx.f(
                    "sensitivity.spider.truncated",
                    &[("shown", &MAX_INPUTS), ("count", &s.lines.len())],
                ));
            }
            let _ = write!(
                h,
                "<figure aria-label=\"{}\">\n{}\n<figcaption>{}</figcaption>\n</figure>\n",
                escape(&f.title),
                f.svg.trim(),
                caption
            );
        }
        let digits = money_decimals(
            s.lines
                .iter()
                .flat_map(|line| line.points.iter().map(|p| p.1)),
        );
        let _ = write!(
            h,
            "<table class=\"spider\">\n<tr><th>{}</th>",
            tx.t("sensitivity.spider.input")
        );
        for &u in &s.levels {
            let key = if u.to_bits() == crate::sensitivity::BASE_U.to_bits() {
                "sensitivity.spider.level_base"
            } else {
                "sensitivity.spider.level"
            };
            let _ = write!(h, "<th class=\"n\">{}</th>", tx.f(key, &[("q", &u)]));
        }
        h.push_str("</tr>\n");
        for line in &s.lines {
            // In words with its path, as the table above names it.
            let path = format!("<code>{}</code>", escape(&line.input));
            let shown = match crate::i18n::inputs::label(scn, &line.input, scn.lang) {
                Some(label) => tx.f(
                    "input.with_path",
                    &[("label", &escape(&label)), ("path", &path)],
                ),
                None => path,
            };
            let _ = write!(h, "<tr><td>{shown}</td>");
            for &(x, v) in &line.points {
                let _ = write!(
                    h,
                    "<td class=\"n\">{}<br><span class=\"few\">{}</span></td>",
                    num(Some(v), digits),
                    input_number(x)
                );
            }
            h.push_str("</tr>\n");
        }
        h.push_str("</table>\n");
    }
}

/// An input's value in a table: four significant digits (a share of 0.3125, a
/// price per mu of 152 400), grouped as [`num`] groups, in exponent form only
/// when very large or small; `–` when not finite.
fn input_number(x: f64) -> String {
    if !x.is_finite() {
        return "–".into();
    }
    let a = x.abs();
    if a >= 1e15 || (a > 0.0 && a < 1e-3) {
        return format!("{x:.3e}").replace('-', "−");
    }
    let digits = if a >= 1000.0 {
        0
    } else {
        let lead = if a > 0.0 { a.log10().floor() as i32 } else { 0 };
        usize::try_from(3 - lead).unwrap_or(0)
    };
    let text = format!("{a:.digits$}");
    let text = if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.')
    } else {
        &text
    };
    // A value that rounds to 0 has no sign to keep here (an input, not a loss).
    let negative = x < 0.0 && text.chars().any(|c| c.is_ascii_digit() && c != '0');
    grouped(text, negative)
}

/// The typical sampling error of the Sobol indices of an analysis, for the note
/// under the table: the median half-width of their 95% intervals (`None`
/// without any).
fn sobol_error(half_widths: &[f64]) -> Option<f64> {
    let mut w = half_widths.to_vec();
    w.sort_by(f64::total_cmp);
    match w.len() {
        0 => None,
        n if n % 2 == 1 => Some(w[n / 2]),
        n => Some((w[n / 2 - 1] + w[n / 2]) / 2.0),
    }
}

/// [`over_paths_in`] in English.
#[cfg(test)]
fn over_paths(cell: String, covered: Option<u64>, paths: u64) -> String {
    over_paths_in(crate::i18n::Lang::En, cell, covered, paths)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn input_values_have_four_significant_digits() {
        assert_eq!(input_number(0.156_512_3), "0.1565");
        assert_eq!(input_number(0.5), "0.5");
        assert_eq!(input_number(9.256_6), "9.257");
        assert_eq!(input_number(12.5), "12.5");
        assert_eq!(input_number(152_437.8), "152\u{2009}438");
        assert_eq!(input_number(-1.0), "−1");
        assert_eq!(input_number(0.0), "0");
        assert_eq!(input_number(0.000_04), "4.000e−5");
        assert_eq!(input_number(f64::NAN), "–");
    }

    #[test]
    fn escapes_markup() {
        assert_eq!(
            escape("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }

    #[test]
    fn base64_matches_rfc_4648_vectors() {
        for (plain, encoded) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(plain.as_bytes()), encoded);
        }
    }

    #[test]
    fn inputs_are_shown_as_written() {
        // A tester's 亿元 file: 0.4 万元 per mu read "0." (4 decimals, zeros trimmed).
        assert_eq!(written(0.00004), "0.00004");
        assert_eq!(written(0.00045), "0.00045");
        assert_eq!(written(1234.5), "1\u{2009}234.5");
        assert_eq!(written(-0.5), "−0.5");
        assert_eq!(written(3.0), "3");
        assert_eq!(written(1e-7), "0.0000001");
        assert_eq!(written(f64::NAN), "–");
    }

    #[test]
    fn numbers_are_grouped_and_signed() {
        assert_eq!(num(Some(1234567.891), 1), "1\u{2009}234\u{2009}567.9");
        assert_eq!(num(Some(-1500.0), 0), "−1\u{2009}500");
        assert_eq!(num(Some(-0.01), 1), "−0.0");
        assert_eq!(num(Some(-0.0), 1), "0.0");
        assert_eq!(num(None, 1), "–");
        // Three significant digits of the largest, at least one decimal.
        for (largest, digits) in [
            (196.78, 1),
            (12.0, 1),
            (9.99, 2),
            (1.0, 2),
            (0.0378, 4),
            (0.001, 5),
            (1e-9, 6),
            (0.0, 1),
            (f64::NAN, 1),
        ] {
            assert_eq!(money_decimals([largest]), digits, "{largest}");
        }
        assert_eq!(num(Some(-0.0378), money_decimals([-0.0378])), "−0.0378");
        // The largest in absolute value, NaN and ∞ left out.
        assert_eq!(money_decimals([0.5, -0.05, f64::NAN, f64::INFINITY]), 3);
        assert_eq!(money_decimals([]), 1);
        assert_eq!(percent(Some(0.256)), "25.6%");
        assert_eq!(percent(Some(-0.019)), "−1.9%");
        assert_eq!(percent(Some(-0.0001)), "0.0%");
    }

    /// The Chinese key inputs name what a planner expects: revenue per mu in
    /// the money unit per mu and year, cash as 货币 under a heading that says
    /// contributions are cash and in kind, the freed land's value with its unit
    /// (成熟期亩均收入（万元/年）, 出资（作价入股）over 资金, 每亩 60: exploratory
    /// test).
    #[test]
    fn the_chinese_key_inputs_give_units_and_kinds_of_contribution() {
        let scn = Scenario::reference().expect("bundled scenario");
        let mut h = String::new();
        inputs(&mut h, &scn, crate::i18n::Lang::Zh);
        for want in [
            "成熟期亩均收入（百万元/亩·年）",
            "出资（货币出资与作价入股）",
            "<td>货币</td>",
            "按每亩 0.3 百万元 计价",
        ] {
            assert!(h.contains(want), "{want}: {h}");
        }
        assert!(!h.contains("资金"), "{h}");
        let mut h = String::new();
        inputs(&mut h, &scn, crate::i18n::Lang::En);
        assert!(h.contains("valued at 0.3 million CNY per mu"), "{h}");
    }

    #[test]
    fn inputs_read_as_written() {
        let scn = Scenario::reference().expect("bundled scenario");
        let en = |v| value(&scn, v, crate::i18n::Lang::En);
        assert_eq!(en(Value::Fixed(100.0)), "100");
        assert_eq!(en(Value::Fixed(0.045)), "0.045");
        assert_eq!(en(Value::Fixed(1500.5)), "1\u{2009}500.5");
        assert_eq!(en(scn.park.saleable_share), "uniform(0.6 to 0.7)");
        // In Chinese, a distribution's name and words, the numbers alike.
        assert_eq!(
            value(&scn, scn.park.saleable_share, crate::i18n::Lang::Zh),
            "均匀分布（0.6 至 0.7）"
        );
    }

    /// A scenario of the library in `scenarios/`.
    fn library(name: &str) -> Scenario {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("scenarios")
            .join(name);
        Scenario::load(&path).expect("library scenario")
    }

    #[test]
    fn key_inputs_say_what_a_pool_holds_and_who_may_not_pay() {
        let mut h = String::new();
        inputs(
            &mut h,
            &library("jingjin-relocation.toml"),
            crate::i18n::Lang::En,
        );
        assert!(
            h.contains("of relocated firms&#39; vat, cit only, the rest to 河北 Hebei host park (the firms&#39; new region); 北京 Beijing (the firms&#39; old region)&#39;s take capped at 3 years of the relocated firms&#39; pre-move taxes"),
            "{h}"
        );
        let mut h = String::new();
        inputs(
            &mut h,
            &library("zhejiang-mountain-sea.toml"),
            crate::i18n::Lang::En,
        );
        assert!(
            h.contains("平湖 Pinghu collects and may not pay: default probability uniform(0 to 0.3) a year, haircut 0"),
            "{h}"
        );
        // In Chinese too the regions are called by their names, not their ids.
        let mut h = String::new();
        inputs(
            &mut h,
            &library("zhejiang-mountain-sea.toml"),
            crate::i18n::Lang::Zh,
        );
        assert!(h.contains("由平湖 Pinghu征收"), "{h}");
        assert!(!h.contains("pinghu保证"), "{h}");
    }

    /// The Chinese report gives an input's warning in Chinese, at its line;
    /// one it cannot tell as this engine's (a result's, or another version's)
    /// as run.json records it.
    #[test]
    fn the_chinese_report_gives_an_inputs_warning_in_chinese() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("scenarios")
            .join("jilin-zhejiang.toml");
        let text = std::fs::read_to_string(path).expect("reference scenario");
        let text = text.replace("average_wage = 0.07 ", "average_wage = 70000 ");
        let line = 1 + text
            .lines()
            .position(|l| l.starts_with("average_wage = 70000"))
            .expect("the wage's line");
        let scn = Scenario::parse(&text, "wage.toml").expect("parses");
        let mut recorded = crate::output::input_warnings(&scn, scn.simulation.horizon);
        assert_eq!(recorded.len(), 1, "{recorded:?}");
        recorded.push("result tax per job (mean over the paths) = 1 is below …".to_owned());
        let known = crate::scenario::guardrails::check(&scn);
        let zh = warnings_in(&recorded, &known, crate::i18n::Lang::Zh);
        assert!(
            zh[0].starts_with(&format!("第 {line} 行：firms.average_wage = 70,000 百万元（70,000,000,000 元），高于平均工资的合理范围")),
            "{zh:?}"
        );
        assert_eq!(zh[1], recorded[1]);
        assert_eq!(
            warnings_in(&recorded, &known, crate::i18n::Lang::En),
            recorded
        );
    }

    /// A phase built in one year is "built 2006", not "built 2006–2006".
    #[test]
    fn a_phase_built_in_one_year_names_the_year_once() {
        let scn = library("suzhou-suqian.toml");
        assert!(scn.park.phases.iter().any(|p| p.build_years == 1));
        for (lang, one, range) in [
            (
                crate::i18n::Lang::En,
                "built 2006, open from 2007",
                "2006–2006",
            ),
            (
                crate::i18n::Lang::Zh,
                "2006 年建设，2007 年起开放",
                "2006–2006",
            ),
        ] {
            let mut h = String::new();
            inputs(&mut h, &scn, lang);
            assert!(h.contains(one) && !h.contains(range), "{h}");
        }
    }

    #[test]
    fn key_inputs_say_what_happens_to_a_leavers_land_and_after_the_horizon() {
        let mut scn = Scenario::reference().expect("bundled scenario");
        let mut h = String::new();
        inputs(&mut h, &scn, crate::i18n::Lang::En);
        assert!(h.contains("its right passes to the next firm (no revenue to the park); land-use rights of 50 years"));
        assert!(h.contains("nothing (taxes after the horizon are not counted)"));
        // With the weights, which are not equal (a reader assumes equal ones).
        assert!(h.contains("times the park's outlook discrete(0.15 (20%), 0.5 (45%), 1 (35%))"));
        assert!(h.contains("<th>money</th><td>constant prices of 2026</td>"));
        // Every money input says its unit (the sector table had none for revenue per mu).
        assert!(h.contains("<th>revenue per mu at maturity (million CNY a year)</th>"));
        assert!(h.contains("<th>land price (million CNY per mu)</th>"));
        scn.company.land_on_exit = LandOnExit::Buyback;
        scn.outcome.continuation = Continuation::Perpetuity {
            growth: 0.01,
            discount_rate: 0.06,
        };
        let mut h = String::new();
        inputs(&mut h, &scn, crate::i18n::Lang::En);
        assert!(h.contains("bought back at the value of its remaining term (收储)"));
        assert!(h.contains("a perpetuity growing 0.01 discounted at 0.06"));
        scn.prices = Prices::Nominal {
            inflation: Value::Fixed(0.02),
        };
        let mut h = String::new();
        inputs(&mut h, &scn, crate::i18n::Lang::En);
        assert!(h.contains("current prices: start-year prices × (1 + 0.02)^t, inflation a year"));
    }

    #[test]
    fn key_inputs_list_the_dated_changes() {
        let scn = library("shenzhen-shanwei.toml");
        let mut h = String::new();
        inputs(&mut h, &scn, crate::i18n::Lang::En);
        assert!(h.contains("these dated changes apply from their year on"));
        assert!(h.contains("<li>2016: 营改增: VAT local share 25% -&gt; 50%"));
        let mut h = String::new();
        inputs(
            &mut h,
            &Scenario::reference().expect("bundled scenario"),
            crate::i18n::Lang::En,
        );
        assert!(!h.contains("dated changes"));
    }

    #[test]
    fn key_inputs_say_what_each_dated_change_sets() {
        // A change without a note read "2030: (no note)", and one with a note only
        // its note: each now lists the values it sets, as `field old → new`.
        let text = crate::scenario::REFERENCE_SCENARIO.to_owned()
            + "\n[[changes]]\nyear = 2030\n[changes.taxes]\nprovincial_take = 0.1\n\
               [changes.sectors.\"new materials (长春应化所 partners)\"]\ncit_rate = 0.25\n\
               \n[[changes]]\nyear = 2035\nnote = \"Zhejiang takes over\"\n\
               [changes.company]\nequity = { zhejiang = 0.7, jilin = 0.3 }\n\
               [changes.costs]\noperations = { bearer = \"zhejiang\" }\n\
               \n[[changes]]\nyear = 2040\n[changes.taxes]\nprovincial_take = 0.1\n";
        let scn = Scenario::parse(&text, "changes.toml").expect("valid scenario");
        let mut h = String::new();
        dated_changes(&mut h, &scn, crate::i18n::Lang::En);
        assert!(!h.contains("no note"), "{h}");
        assert!(
            h.contains(
                "<li>2030: taxes.provincial_take 0.25 → 0.1; \
                 sectors.&quot;new materials (长春应化所 partners)&quot;.cit_rate 0.15 → 0.25</li>"
            ),
            "{h}"
        );
        // The take of VAT, CIT and IIT follows provincial_take: not listed again.
        assert!(!h.contains("taxes.province.vat"), "{h}");
        assert!(
            h.contains(
                "<li>2035: Zhejiang takes over <span class=\"few\">(company.equity from \
                 contributions → zhejiang 70%, jilin 30%; costs.operations.bearer the park \
                 company → 浙江 Zhejiang)</span></li>"
            ),
            "{h}"
        );
        assert!(
            h.contains(
                "<li>2040: sets nothing new: every value it gives is the one already in force</li>"
            ),
            "{h}"
        );
    }

    #[test]
    fn key_inputs_show_the_regions_contributions_to_date() {
        let scn = library("suzhou-suqian-2026.toml");
        let mut h = String::new();
        inputs(&mut h, &scn, crate::i18n::Lang::En);
        assert!(
            h.contains("Contributions to date before 2026 (C⁰, which the contribution formula and benefit ÷ contribution count from the start): "),
            "{h}"
        );
        assert!(
            h.contains("1\u{2009}080") && h.contains("1\u{2009}270"),
            "{h}"
        );
        // Contributions alone make an existing park worth stating.
        let mut scn = Scenario::reference().expect("bundled scenario");
        scn.initial.contributions = vec![400.0, 0.0];
        let mut h = String::new();
        inputs(&mut h, &scn, crate::i18n::Lang::En);
        assert!(
            h.contains("浙江 Zhejiang 400, 吉林 Jilin (延边 Yanbian) 0."),
            "{h}"
        );
    }

    #[test]
    fn key_inputs_state_an_existing_parks_start_only_when_there_is_one() {
        let scn = Scenario::reference().expect("bundled scenario");
        let mut h = String::new();
        inputs(&mut h, &scn, crate::i18n::Lang::En);
        assert!(!h.contains("Starts from the park as it stands"));
        let scn = library("suzhou-suqian-2026.toml");
        let mut h = String::new();
        inputs(&mut h, &scn, crate::i18n::Lang::En);
        assert!(
            h.contains("Starts from the park as it stands in 2026: 15"),
            "{h}"
        );
        assert!(h.contains("(in the park 12 years, relocated)"));
    }

    #[test]
    fn an_empty_payback_says_whether_there_was_anything_to_pay_back() {
        use crate::results::SummaryRow;
        let en = crate::i18n::Lang::En;
        let row = |mean: Option<f64>, p50: Option<f64>, n: u64| SummaryRow {
            mean,
            p50,
            n,
            ..SummaryRow::default()
        };
        // The tester's case: 231 of 2,000 paid back and the rest never went below
        // 0; it read "defined in only 11.6% of futures", as if 88% never paid back.
        let years = row(Some(7.0), Some(7.0), 231);
        let needed = row(Some(0.1155), None, 2000);
        assert_eq!(
            payback(en, Some(&years), Some(&needed), 2000, 2050),
            "– <span class=\"few\">(231 of 2\u{2009}000 futures paid back; 1\u{2009}769 never \
             needed to: their cumulative cash flow never went below 0)</span>"
        );
        // Most paid back; some never needed to, some had not by the last year.
        let years = row(Some(8.0), Some(8.0), 1942);
        let needed = row(Some(0.992), None, 2000);
        assert_eq!(
            payback(en, Some(&years), Some(&needed), 2000, 2050),
            "8 <span class=\"few\">(1\u{2009}942 of 2\u{2009}000 futures paid back; 16 never \
             needed to: their cumulative cash flow never went below 0; 42 had not paid back by \
             2050)</span>"
        );
        // Every future paid back: the median alone.
        let years = row(Some(6.0), Some(6.0), 50);
        let needed = row(Some(1.0), None, 50);
        assert_eq!(payback(en, Some(&years), Some(&needed), 50, 2050), "6");
    }

    #[test]
    fn a_statistic_over_fewer_futures_says_so() {
        assert_eq!(
            over_paths("7.0%".into(), Some(5722), 10_000),
            "7.0% <span class=\"few\">(57.2% of futures: 5\u{2009}722 of 10\u{2009}000)</span>"
        );
        // The 京津冀 case: a median IRR over 65 of 10,000 futures is not shown.
        assert_eq!(
            over_paths("10.4%".into(), Some(65), 10_000),
            "– <span class=\"few\">(defined in only 0.7% of futures: 65 of 10\u{2009}000)</span>"
        );
        assert_eq!(
            over_paths("9.0%".into(), Some(5000), 10_000),
            "9.0% <span class=\"few\">(50.0% of futures: 5\u{2009}000 of 10\u{2009}000)</span>"
        );
        assert_eq!(over_paths("12".into(), Some(10_000), 10_000), "12");
    }
}
