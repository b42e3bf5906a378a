//! `enclave run`: simulate scenarios and write their results.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use unicode_width::UnicodeWidthStr;

use enclave::chart::Formats;
use enclave::engine::{self, Observe, RunConfig, RunState};
use enclave::output::{self, PathsWriter, RunRecord};
use enclave::scenario::Scenario;
use enclave::scenario::limits::MAX_HORIZON;
use enclave::schema::RegionMetric;

/// Flags of `enclave run`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Scenario files (TOML); the bundled reference scenario when none is given.
    pub scenarios: Vec<PathBuf>,
    /// Output folder; results go to DIR/<scenario id>/.
    #[arg(long, value_name = "DIR", default_value = "out")]
    pub out: PathBuf,
    /// Number of paths (overrides [simulation] paths).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub paths: Option<u64>,
    /// Seed (overrides [simulation] seed).
    #[arg(long, value_name = "S")]
    pub seed: Option<u64>,
    /// Years simulated (overrides [simulation] horizon).
    #[arg(long, value_name = "YEARS", value_parser = clap::value_parser!(u32).range(1..=i64::from(MAX_HORIZON)))]
    pub horizon: Option<u32>,
    /// Worker threads (default: one per core).
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub threads: usize,
    /// Most worker threads `--threads` may ask for (default: 4 per core).
    #[arg(long, value_name = "N")]
    pub max_threads: Option<usize>,
    /// Most work a run may be expected to take, in firm-years (paths × horizon ×
    /// (arrivals + firms + alternatives × regions) a year); refused before it starts.
    #[arg(long, value_name = "UNITS", default_value_t = DEFAULT_MAX_WORK, value_parser = parse_budget)]
    pub max_work: f64,
    /// Most memory a run's statistics may be expected to take, e.g. 4G or 512M;
    /// refused before it starts.
    #[arg(long, value_name = "SIZE", default_value = "4G", value_parser = parse_size)]
    pub max_memory: u64,
    /// Also write every path's results and input draws (paths.csv, paths_park.csv,
    /// paths_inputs.csv).
    #[arg(long)]
    pub keep_paths: bool,
    /// Charts to draw into DIR/<scenario id>/charts/ (and show in report.html).
    #[arg(long, value_enum, default_value_t = ChartFormats::Both)]
    pub charts: ChartFormats,
    /// No progress bar and no summary on the terminal.
    #[arg(long, short)]
    pub quiet: bool,
}

/// Default `--max-work`: 250 times the reference scenario's 10,000 paths, which
/// are estimated at 2·10^8 units (the estimate is an upper bound: they simulate
/// 2·10^7 firm-years, in 2.5 s on two cores).
pub const DEFAULT_MAX_WORK: f64 = 5e10;

/// Worker threads allowed per core unless `--max-threads` says otherwise.
pub const THREADS_PER_CORE: usize = 4;

/// A work budget: a finite number > 0, such as `5e10`.
fn parse_budget(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(x) if x.is_finite() && x > 0.0 => Ok(x),
        _ => Err("expected a finite number > 0, such as 5e10".to_owned()),
    }
}

/// A size such as `512M`, `4G` or `1T` (binary units), in bytes.
fn parse_size(text: &str) -> Result<u64, String> {
    let (digits, shift) = match text.char_indices().last() {
        Some((i, 'K' | 'k')) => (&text[..i], 10),
        Some((i, 'M' | 'm')) => (&text[..i], 20),
        Some((i, 'G' | 'g')) => (&text[..i], 30),
        Some((i, 'T' | 't')) => (&text[..i], 40),
        _ => return Err("expected a size such as 512M, 4G or 1T".to_owned()),
    };
    let n: u64 = digits
        .parse()
        .map_err(|_| "expected a whole number before the unit, such as 512M or 4G".to_owned())?;
    n.checked_mul(1 << shift)
        .ok_or_else(|| format!("expected a size below 2^64 bytes, found {text}"))
}

/// Chart formats, as the `--charts` flag spells them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ChartFormats {
    /// No chart files (the report still shows the charts).
    None,
    /// PNG files.
    Png,
    /// SVG files.
    Svg,
    /// PNG and SVG files.
    Both,
}

impl From<ChartFormats> for Formats {
    fn from(f: ChartFormats) -> Formats {
        match f {
            ChartFormats::None => Formats::None,
            ChartFormats::Png => Formats::Png,
            ChartFormats::Svg => Formats::Svg,
            ChartFormats::Both => Formats::Both,
        }
    }
}

/// Runs every scenario in turn.
pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let loaded = match super::load_all(&args.scenarios, true) {
        Ok(l) => l,
        Err(code) => return Ok(code),
    };
    // Every limit is checked for every scenario before any of them runs.
    let refusals = refusals(args, &loaded);
    if !refusals.is_empty() {
        for r in refusals {
            eprintln!("error: {r}");
        }
        return Ok(ExitCode::from(super::EXIT_BAD_INPUT));
    }
    for l in &loaded {
        run_one(args, &l.file, &l.scenario)?;
    }
    Ok(ExitCode::SUCCESS)
}

/// The run of `scn` with the command line's overrides.
fn config(args: &Args, scn: &Scenario) -> RunConfig {
    let mut cfg = RunConfig::from_scenario(scn);
    cfg.paths = args.paths.unwrap_or(cfg.paths);
    cfg.seed = args.seed.unwrap_or(cfg.seed);
    cfg.horizon = args.horizon.unwrap_or(cfg.horizon);
    cfg.threads = args.threads;
    cfg
}

/// Why each run would be refused, before any starts: too many threads, arrivals
/// beyond their limit over a `--horizon` longer than the file's, or expected work
/// or memory over their budgets. Each message says the limit and how to change it.
fn refusals(args: &Args, loaded: &[super::Loaded]) -> Vec<String> {
    let mut out = Vec::new();
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let max_threads = args
        .max_threads
        .unwrap_or(THREADS_PER_CORE.saturating_mul(cores));
    if args.threads > max_threads {
        let why = match args.max_threads {
            Some(_) => "--max-threads".to_owned(),
            None => format!("{THREADS_PER_CORE} per core on {cores} cores"),
        };
        out.push(format!(
            "--threads {} is above the limit of {max_threads} worker threads ({why}); raise the limit with --max-threads {}",
            args.threads, args.threads
        ));
        return out;
    }
    for l in loaded {
        let scn = &l.scenario;
        let cfg = config(args, scn);
        if let Some(p) = enclave::scenario::arrivals_problem(scn, cfg.horizon) {
            out.push(format!(
                "{}: {}: with --horizon {}: {}",
                l.file, p.field, cfg.horizon, p.message
            ));
            continue;
        }
        let e = engine::estimate(scn, &cfg);
        if e.work.is_nan() || e.work > args.max_work {
            out.push(format!(
                "{}: expected work of about {:.2e} firm-years ({} paths × {} years × ({:.1} arrivals + {:.0} firms + {} alternative-region evaluations) a year) is above the budget of {:.2e}; lower --paths or --horizon, or raise the budget with --max-work {:.1e}",
                l.file,
                e.work,
                cfg.paths,
                cfg.horizon,
                e.arrivals_per_year,
                e.firms_per_year,
                e.evaluations_per_year,
                args.max_work,
                e.work * 1.01
            ));
        }
        let mib = |bytes: f64| (bytes / f64::from(1u32 << 20)).ceil();
        if e.memory_bytes.is_nan() || e.memory_bytes > args.max_memory as f64 {
            out.push(format!(
                "{}: the run needs about {:.0} MiB of memory ({} alternatives × {} regions × {} years of statistics on {} workers), above the budget of {:.0} MiB; use fewer alternatives, a shorter --horizon or fewer --threads, or raise the budget with --max-memory {:.0}M",
                l.file,
                mib(e.memory_bytes),
                scn.alternatives.len(),
                scn.regions.len(),
                cfg.horizon,
                e.workers,
                mib(args.max_memory as f64),
                mib(e.memory_bytes)
            ));
        }
    }
    out
}

fn run_one(args: &Args, file: &str, scn: &Scenario) -> anyhow::Result<()> {
    let cfg = config(args, scn);
    let dir = args.out.join(&scn.id);
    // The folder is made only once there is something to put in it.
    let create_dir = || {
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("cannot create output folder {}", dir.display()))
    };

    let bar = if args.quiet || !std::io::stderr().is_terminal() {
        ProgressBar::hidden()
    } else {
        let bar = ProgressBar::with_draw_target(Some(cfg.paths), ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template(
                "{msg} [{bar:40}] {pos}/{len} paths, {elapsed} (eta {eta})",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
        );
        bar.set_message(scn.id.clone());
        bar
    };
    let mut paths_writer = if args.keep_paths {
        create_dir()?;
        Some(PathsWriter::create(&dir, scn)?)
    } else {
        None
    };
    let mut write_error = None;
    let started = Instant::now();
    let what = Observe {
        records: args.keep_paths,
    };
    let state = engine::run(scn, &cfg, what, &mut |batch| {
        bar.inc(batch.paths as u64);
        if let Some(w) = paths_writer.as_mut()
            && write_error.is_none()
            && let Err(e) = w.write_batch(scn, &batch)
        {
            write_error = Some(e);
        }
    })?;
    let elapsed = started.elapsed().as_secs_f64();
    bar.finish_and_clear();
    if let Some(e) = write_error {
        return Err(e.into());
    }
    if let Some(w) = paths_writer {
        w.finish()?;
    }
    let threads = engine::resolve_threads(cfg.threads);
    let record = RunRecord::new(scn, file, &cfg, &state, threads, elapsed);
    create_dir()?;
    output::write_results(&dir, scn, &state, &record)?;
    super::report::write(&dir, args.charts.into())?;
    if !args.quiet {
        print_summary(scn, &state, &dir, elapsed);
    }
    Ok(())
}

/// The one-screen summary: per alternative and region, mean NPV, its 90% interval and P(NPV < 0).
fn print_summary(scn: &Scenario, state: &RunState, dir: &std::path::Path, elapsed: f64) {
    let layout = state.layout;
    println!(
        "{} — {} paths, {} years, {:.1} s, {:.1} M firm-years/s; NPV in {} at each region's discount rate",
        scn.name,
        state.paths(),
        layout.horizon,
        elapsed,
        state.firm_years as f64 / elapsed.max(1e-9) / 1e6,
        scn.money_unit
    );
    let alt_width = scn
        .alternatives
        .iter()
        .map(|a| a.name.width())
        .max()
        .unwrap_or(10)
        .max(11);
    let region_width = scn
        .regions
        .iter()
        .map(|r| r.id.width())
        .max()
        .unwrap_or(6)
        .max(6);
    println!(
        "{}  {}  {:>10}  {:>24}  {:>9}",
        pad("alternative", alt_width),
        pad("region", region_width),
        "mean NPV",
        "90% interval",
        "P(NPV<0)"
    );
    for (a, alt) in scn.alternatives.iter().enumerate() {
        for (r, region) in scn.regions.iter().enumerate() {
            let j = layout.region_metric(a, r, RegionMetric::Npv);
            let npv = state.stats.summary(j);
            let q = state
                .stats
                .quantiles(j, &[0.05, 0.95])
                .unwrap_or_else(|| vec![f64::NAN; 2]);
            let p_neg = state
                .stats
                .summary(layout.region_metric(a, r, RegionMetric::NpvNegative))
                .mean;
            println!(
                "{}  {}  {:>10.1}  [{:>10.1}, {:>10.1}]  {:>8.1}%",
                pad(&alt.name, alt_width),
                pad(&region.id, region_width),
                npv.mean,
                q[0],
                q[1],
                100.0 * p_neg
            );
        }
    }
    println!(
        "results: {}  (report: {})",
        dir.display(),
        dir.join(enclave::report::REPORT_FILE).display()
    );
}

/// `text` left-aligned in `width` terminal columns (Chinese characters take two).
fn pad(text: &str, width: usize) -> String {
    format!("{text}{}", " ".repeat(width.saturating_sub(text.width())))
}
