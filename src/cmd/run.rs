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
    for l in &loaded {
        run_one(args, &l.file, &l.scenario)?;
    }
    Ok(ExitCode::SUCCESS)
}

fn run_one(args: &Args, file: &str, scn: &Scenario) -> anyhow::Result<()> {
    let mut cfg = RunConfig::from_scenario(scn);
    cfg.paths = args.paths.unwrap_or(cfg.paths);
    cfg.seed = args.seed.unwrap_or(cfg.seed);
    cfg.horizon = args.horizon.unwrap_or(cfg.horizon);
    cfg.threads = args.threads;
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
        stop: None,
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
