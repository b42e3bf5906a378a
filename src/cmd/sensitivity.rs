//! `enclave sensitivity`: which uncertain input drives each result
//! (docs/sensitivity.md); the analysis is [`enclave::sensitivity`].

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;

use super::{Switch, pad};
use enclave::chart::spider::{self, Spider};
use enclave::chart::tornado::{self, Tornado};
use enclave::output::write_atomic;
use enclave::publish::Staging;
use enclave::report;
use enclave::scenario::Scenario;
use enclave::sensitivity::{
    self, Analysis, BOOTSTRAP_RESAMPLES, CSV_FILE, DEFAULT_PATHS, Method, RECORD_FILE, Record,
    Settings,
};

/// Flags of `enclave sensitivity`.
#[derive(Debug, clap::Args)]
#[command(
    mut_arg("paths", |a| a.help("Paths of each evaluated point, rows of Saltelli's matrices and paths of the rank run [default: 256, not the scenario's paths]")),
    mut_arg("fairness", |a| a.help("Compute the regions' coalitions too (no output of the analysis reads them) [default: off]"))
)]
pub struct Args {
    /// Scenario file (TOML).
    pub scenario: PathBuf,
    /// Methods, comma-separated: tornado, spider, rank, sobol, or all.
    #[arg(long, value_name = "LIST", default_value = "all", value_parser = parse_methods)]
    pub method: Methods,
    /// Output folder; files go to DIR/<scenario id>-sensitivity/.
    #[arg(long, value_name = "DIR", default_value = "out")]
    pub out: PathBuf,
    /// Seed, horizon, threads and fairness as for `run`; --paths is the paths of
    /// each evaluated point, the rows of Saltelli's matrices and the paths of the
    /// rank run (default 256, not the scenario's paths).
    #[command(flatten)]
    pub settings: super::Settings,
    /// Most work the analysis may be expected to take, in firm-years, over all
    /// its runs (as `run --max-work` counts one run); refused before it starts.
    #[arg(long, value_name = "UNITS", default_value_t = super::run::DEFAULT_MAX_WORK, value_parser = super::run::parse_budget)]
    pub max_work: f64,
    /// Bootstrap resamples of the Sobol indices' 95% intervals; at least 40
    /// with sobol (each end of a percentile interval leaves out 2.5% of them,
    /// and at least one: 1/N ≤ 2.5%).
    #[arg(long, value_name = "N", default_value_t = BOOTSTRAP_RESAMPLES as u64, value_parser = clap::value_parser!(u64).range(..=1_000_000))]
    pub resamples: u64,
    /// Language of the report and charts (default: the scenario's `[scenario] lang`, else en).
    #[arg(long, value_name = "en|zh")]
    pub lang: Option<enclave::i18n::Lang>,
    /// Nothing on the terminal but errors.
    #[arg(long, short)]
    pub quiet: bool,
}

/// The methods `--method` names, in table order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Methods(pub Vec<Method>);

fn parse_methods(text: &str) -> Result<Methods, String> {
    Method::parse_list(text).map(Methods)
}

/// Runs the analysis, writes its folder and prints the most influential inputs.
pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let mut loaded = match super::load_all(std::slice::from_ref(&args.scenario), false) {
        Ok(mut l) => l.remove(0),
        Err(code) => return Ok(code),
    };
    let bad = |message: String| {
        super::note(format_args!("error: {message}"));
        Ok(ExitCode::from(super::EXIT_BAD_INPUT))
    };
    if let Some(refusal) =
        super::run::threads_refusal(args.settings.threads, args.settings.max_threads)
    {
        return bad(refusal);
    }
    // No output of the analysis reads the coalitions: off unless asked for.
    loaded.scenario.simulation.fairness = Some(args.settings.fairness == Some(Switch::On));
    if let Some(lang) = args.lang {
        // The language shapes only what a person reads, not a number.
        loaded.scenario.lang = lang;
    }
    let scn = &loaded.scenario;
    let cfg = args.settings.config(scn);
    if let Some(p) = super::horizon_refusal(&loaded.file, scn, cfg.horizon) {
        return bad(p);
    }
    let id = format!("{}-sensitivity", scn.id);
    if let Some(p) = super::place_refusal(&args.out, &id) {
        return bad(format!("{}: {p}", loaded.file));
    }
    let settings = Settings {
        paths: args.settings.paths.unwrap_or(DEFAULT_PATHS),
        seed: cfg.seed,
        horizon: cfg.horizon,
        threads: cfg.threads,
        methods: args.method.0.clone(),
        resamples: args.resamples as usize,
    };
    match sensitivity::check(scn, &settings) {
        Ok(()) => {}
        Err(e) if e.is_bad_input() => return bad(format!("{}: {e}", loaded.file)),
        Err(e) => return Err(e.into()),
    }
    if let Some(refusal) = work_refusal(scn, &cfg, &settings, args.max_work) {
        return bad(format!("{}: {refusal}", loaded.file));
    }
    // Said before the runs, and even with --quiet: the numbers are not the
    // file's model (docs/sensitivity.md).
    if let Some(note) =
        sensitivity::independence_note(scn, &settings.methods, enclave::i18n::Lang::En)
    {
        super::note(format_args!("warning: {}: {note}", loaded.file));
    }
    let analysis = match sensitivity::analyse(scn, &settings) {
        Ok(a) => a,
        Err(e) if e.is_bad_input() => return bad(format!("{}: {e}", loaded.file)),
        Err(e) => return Err(e.into()),
    };
    let record = Record::new(scn, &loaded.file, &settings, &analysis);

    super::prepare_out(&args.out, args.quiet)?;
    let staging = Staging::create(&args.out, &id)
        .with_context(|| format!("cannot write results into {}", args.out.display()))?;
    let dir = staging.path().to_owned();
    let csv = dir.join(CSV_FILE);
    let bytes = sensitivity::csv_bytes(scn, &analysis)
        .with_context(|| format!("cannot write {}", csv.display()))?;
    write_atomic(&csv, &bytes)?;
    let json = serde_json::to_string_pretty(&record).context("cannot serialise the record")?;
    write_atomic(&dir.join(RECORD_FILE), format!("{json}\n").as_bytes())?;
    write_atomic(&dir.join("scenario.toml"), scn.source.as_bytes())?;
    let charts_dir = dir.join("charts");
    // A chart as `charts/STEM.svg` and `.png`.
    let write_chart = |stem: &str, svg: &str, png: &[u8]| -> anyhow::Result<()> {
        std::fs::create_dir_all(&charts_dir)
            .with_context(|| format!("cannot create {}", charts_dir.display()))?;
        write_atomic(&charts_dir.join(format!("{stem}.svg")), svg.as_bytes())?;
        write_atomic(&charts_dir.join(format!("{stem}.png")), png)?;
        Ok(())
    };
    let mut charts = Vec::new();
    for r in 0..scn.regions.len() {
        let Some(t) = Tornado::of_region(&analysis, scn, r) else {
            continue;
        };
        let svg = tornado::render_svg(&t)?;
        write_chart(
            &format!("tornado-{:02}", r + 1),
            &svg,
            &tornado::render_png(&t)?,
        )?;
        charts.push((t.title.clone(), svg));
    }
    // One spider per region and alternative (the tornado draws the
    // alternatives side by side, but seven inputs' lines per alternative
    // would not read in one plot).
    let mut spiders = Vec::new();
    for r in 0..scn.regions.len() {
        for a in 0..scn.alternatives.len() {
            let Some(s) = Spider::of_output(&analysis, scn, r, a) else {
                continue;
            };
            let svg = spider::render_svg(&s)?;
            write_chart(
                &format!("spider-{:02}-{:02}", r + 1, a + 1),
                &svg,
                &spider::render_png(&s)?,
            )?;
            spiders.push(report::SpiderFigure {
                region: r,
                alternative: a,
                title: s.title,
                svg,
            });
        }
    }
    let html = report::sensitivity_html(scn, &analysis, &record, &charts, &spiders);
    write_atomic(&dir.join(report::REPORT_FILE), html.as_bytes())?;
    let target = staging.target().to_owned();
    staging
        .publish()
        .with_context(|| format!("cannot publish the results in {}", target.display()))?;
    if !args.quiet {
        super::Stdout::default().print(&summary(scn, &analysis, &record, &target))?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Per region and alternative, the three inputs that move the NPV most (by Sobol
/// total index when computed, else tornado swing, else |SRC|, else the
/// spider's span: its highest mean NPV less its lowest), ranked by the
/// estimate's size and shown with its sign, as sensitivity.csv has it: a swing is
/// negative for an input that lowers the NPV (docs/sensitivity.md, tornado), and
/// only |SRC| is shown without a sign, as its label says.
fn summary(scn: &Scenario, analysis: &Analysis, record: &Record, dir: &std::path::Path) -> String {
    // In the scenario's language (`--lang` set it), as the page is.
    let tx = scn.lang.texts();
    let mut s = String::new();
    let head = match analysis.inputs.len() {
        1 => "sensitivity.terminal.head_one",
        _ => "sensitivity.terminal.head",
    };
    let _ = writeln!(
        s,
        "{}",
        tx.f(
            head,
            &[
                ("id", &scn.id),
                ("inputs", &analysis.inputs.len()),
                ("runs", &record.runs),
                ("paths", &record.paths_simulated),
            ]
        )
    );
    let width = super::column_width(scn.regions.iter().map(|r| r.name.as_str()), 8);
    let unit = enclave::i18n::money_unit(scn.lang, &scn.money_unit, scn.yuan_per_unit);
    for (o, out) in analysis.outputs.iter().enumerate() {
        if out.region_index.is_none() {
            continue;
        }
        // Its swings are all 0 and its indices undefined: naming three inputs
        // (swing 0.0) as its drivers would be noise.
        if !analysis.varies.get(o).copied().unwrap_or(true) {
            let _ = writeln!(
                s,
                "  {} {}: {}",
                pad(&out.region, width),
                super::escape_control(&out.alternative),
                tx.t("sensitivity.terminal.constant")
            );
            continue;
        }
        // (the size ranked by, the value shown, the input)
        let score = |method: &str, point: &str, shown: fn(f64) -> f64| -> Vec<(f64, f64, &str)> {
            analysis
                .rows
                .iter()
                .filter(|r| r.output == o && r.method == method && r.point == point)
                .filter(|r| r.estimate.value.is_finite())
                .map(|r| {
                    let v = r.estimate.value;
                    (v.abs(), shown(v), r.input.as_str())
                })
                .collect()
        };
        // The spider's span: its highest mean NPV less its lowest over the
        // input's levels, for a spider run alone (its lists were empty:
        // exploratory test).
        let span = || -> Vec<(f64, f64, &str)> {
            analysis
                .inputs
                .iter()
                .filter_map(|input| {
                    let values = analysis
                        .rows
                        .iter()
                        .filter(|r| r.output == o && r.method == "spider" && r.input == *input)
                        .map(|r| r.estimate.value)
                        .filter(|v| v.is_finite());
                    let (lo, hi) = values
                        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
                            (lo.min(v), hi.max(v))
                        });
                    (hi >= lo).then_some((hi - lo, hi - lo, input.as_str()))
                })
                .collect()
        };
        // A swing or a span, an amount, to the decimals the report's table
        // gives a swing, in the money unit (it had none: exploratory test).
        let (label, digits, money, mut ranked) = [
            ("ST", 3, false, score("sobol_total", "", |v| v)),
            (
                tx.t("sensitivity.terminal.swing"),
                report::SWING_DECIMALS,
                true,
                score("tornado", "swing", |v| v),
            ),
            ("|SRC|", 3, false, score("src", "", f64::abs)),
            (
                tx.t("sensitivity.terminal.span"),
                report::SWING_DECIMALS,
                true,
                span(),
            ),
        ]
        .into_iter()
        .find(|(_, _, _, v)| !v.is_empty())
        .unwrap_or(("", 0, false, Vec::new()));
        ranked.sort_by(|x, y| y.0.total_cmp(&x.0));
        let top: Vec<String> = ranked
            .iter()
            .take(3)
            .map(|&(_, v, input)| {
                let mut value = format!("{v:.digits$}");
                if money {
                    value = format!("{value} {unit}");
                }
                driver(scn, input, label, &value)
            })
            .collect();
        let _ = writeln!(
            s,
            "  {} {}: {}",
            pad(&out.region, width),
            super::escape_control(&out.alternative),
            top.join(tx.t("sensitivity.terminal.separator"))
        );
    }
    let _ = writeln!(
        s,
        "{}",
        tx.f("sensitivity.terminal.written", &[("dir", &dir.display())])
    );
    s
}

/// One of an output's drivers on the terminal, in the scenario's language: the
/// input in words with its path and the estimate (`measure value`), as
/// `园区前景系数（firms.outlook，摆幅 96645.7 万元）`; an input without words, or
/// the process noise, by itself (a planner read `contributions[2].value`:
/// exploratory test).
fn driver(scn: &Scenario, input: &str, measure: &str, value: &str) -> String {
    let tx = scn.lang.texts();
    let label = (input != sensitivity::NOISE_INPUT)
        .then(|| enclave::i18n::inputs::label(scn, input, scn.lang))
        .flatten();
    match label {
        Some(label) => tx.f(
            "sensitivity.terminal.driver",
            &[
                ("label", &label),
                ("path", &input),
                ("measure", &measure),
                ("value", &value),
            ],
        ),
        None => {
            let input = if input == sensitivity::NOISE_INPUT {
                tx.t("input.noise")
            } else {
                input
            };
            tx.f(
                "sensitivity.terminal.driver_plain",
                &[("input", &input), ("measure", &measure), ("value", &value)],
            )
        }
    }
}

/// Why the analysis of `scn` under `settings` is refused before it starts: its
/// runs' expected work ([`sensitivity::planned_runs`] runs of `settings.paths`
/// paths, each costed as `run` costs one) above `max_work`.
fn work_refusal(
    scn: &enclave::scenario::Scenario,
    cfg: &enclave::engine::RunConfig,
    settings: &Settings,
    max_work: f64,
) -> Option<String> {
    let runs = sensitivity::planned_runs(scn.params.len(), &settings.methods);
    let paths = (runs as u64).saturating_mul(settings.paths);
    let work = enclave::engine::estimate(scn, &enclave::engine::RunConfig { paths, ..*cfg }).work;
    let what = format!(
        "work of up to {work:.2e} firm-years ({runs} runs of {} paths, {} years)",
        settings.paths, cfg.horizon
    );
    super::run::over_budget(
        work,
        max_work,
        &what,
        "lower --paths or --horizon, or name fewer --method",
    )
}
