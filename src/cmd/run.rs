//! `enclave run`: simulate scenarios and write their results.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Instant;

use anyhow::Context;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use signal_hook::consts::{SIGINT, SIGTERM};
use signal_hook::flag;

use super::pad;
use enclave::chart::Formats;
use enclave::engine::{self, EngineError, Observe, RunConfig, RunState};
use enclave::output::{self, PATHS_FILES, PathsWriter, RunRecord};
use enclave::publish::{self, Staging};
use enclave::results::Results;
use enclave::scenario::Scenario;
use enclave::schema::RegionMetric;
use enclave::shard::{self, Shard};

/// Flags of `enclave run`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Scenario files (TOML); the bundled reference scenario when none is given.
    pub scenarios: Vec<PathBuf>,
    /// Output folder; results go to DIR/<scenario id>/.
    #[arg(long, value_name = "DIR", default_value = "out")]
    pub out: PathBuf,
    /// Paths, seed, horizon, threads and fairness.
    #[command(flatten)]
    pub settings: super::Settings,
    /// Most work a run may be expected to take, in firm-years (paths × horizon ×
    /// (parks × (arrivals + firms) + evaluations) a year, with one park per
    /// coalition holding the host when fairness is on); refused before it starts.
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
    /// Run scenarios whose complete results are already in DIR (by default they
    /// are skipped when their scenario, seed, paths, horizon and engine version match).
    #[arg(long)]
    pub force: bool,
    /// Compute only shard K of N (numbered from 1) and write its partial results
    /// to DIR/<scenario id>.partial/part-K-of-N.json, for `enclave merge`. When
    /// absent, a Slurm job array's SLURM_ARRAY_TASK_ID gives it; `none` runs
    /// everything even in a job array.
    #[arg(long, value_name = "K/N|none", value_parser = parse_shard)]
    pub shard: Option<ShardFlag>,
    /// Compute shard JOB_COMPLETION_INDEX + 1 of N (a Kubernetes Indexed Job with
    /// N completions; or a Slurm job array of N tasks).
    #[arg(long, value_name = "N", conflicts_with = "shard", value_parser = clap::value_parser!(u32).range(1..))]
    pub shards: Option<u32>,
}

/// The `--shard` flag: a shard, or `none` (no sharding, whatever the environment says).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShardFlag {
    /// `none`.
    None,
    /// `K/N`.
    Of(Shard),
}

fn parse_shard(text: &str) -> Result<ShardFlag, String> {
    if text == "none" {
        Ok(ShardFlag::None)
    } else {
        text.parse().map(ShardFlag::Of)
    }
}

/// The shard to compute, if any, and where it came from when not from `--shard`.
fn shard_of(args: &Args) -> Result<Option<(Shard, Option<String>)>, String> {
    match args.shard {
        Some(ShardFlag::None) => Ok(None),
        Some(ShardFlag::Of(s)) => Ok(Some((s, None))),
        None => Ok(
            shard::from_env(|name| std::env::var(name).ok(), args.shards)?
                .map(|e| (e.shard, Some(e.source))),
        ),
    }
}

/// Default `--max-work`: 125 times the reference scenario's 10,000 paths with its
/// coalition (two parks a path), which are estimated at 4·10^8 units (the estimate
/// is an upper bound: each park simulates 2·10^7 firm-years).
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

/// Why a scenario was not run to the end.
enum Stopped {
    /// During the simulation, after this many paths.
    Simulating(u64),
    /// After the simulation, while its files were written.
    Writing,
}

/// The signal flags: set by SIGINT or SIGTERM, read between batches and steps.
pub(super) struct Signals {
    pub(super) stop: Arc<AtomicBool>,
    which: Arc<AtomicUsize>,
}

impl Signals {
    /// Installs the handlers. A first SIGINT or SIGTERM sets the flags; a second
    /// one has its default effect and ends the process at once (a later run
    /// removes what it leaves).
    pub(super) fn install() -> anyhow::Result<Signals> {
        let stop = Arc::new(AtomicBool::new(false));
        let which = Arc::new(AtomicUsize::new(0));
        for sig in [SIGINT, SIGTERM] {
            // Registered first, so it sees the flag as the previous signal left it.
            flag::register_conditional_default(sig, Arc::clone(&stop))
                .and_then(|_| flag::register_usize(sig, Arc::clone(&which), sig as usize))
                .and_then(|_| flag::register(sig, Arc::clone(&stop)))
                .context("cannot install the signal handlers")?;
        }
        Ok(Signals { stop, which })
    }

    pub(super) fn stopped(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }

    /// The signal's name and the exit status for it, 128 + its number, as a
    /// shell reports a process killed by it (130 for SIGINT, 143 for SIGTERM).
    pub(super) fn status(&self) -> (&'static str, u8) {
        if self.which.load(Ordering::Relaxed) == SIGTERM as usize {
            ("SIGTERM", 128 + SIGTERM as u8)
        } else {
            ("SIGINT", 128 + SIGINT as u8)
        }
    }
}

/// What is to be done with one scenario.
enum Plan {
    /// Its complete results are already in its folder.
    Skip,
    /// Run it into this staging folder.
    Run(Staging),
}

/// Runs every scenario in turn. Everything that can be checked without
/// simulating is checked for all of them first: the output folder (made, and
/// written to), leftovers of dead runs (removed), and which scenarios already
/// have their complete results (skipped unless `--force`).
pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    match super::load_all(&args.scenarios, true) {
        Ok(loaded) => run_set(args, loaded),
        Err(code) => Ok(code),
    }
}

/// Runs scenarios already loaded, with unique ids, as [`run`] does (and `enclave
/// sweep` with its variants).
pub(super) fn run_set(args: &Args, mut loaded: Vec<super::Loaded>) -> anyhow::Result<ExitCode> {
    if let Some(switch) = args.settings.fairness {
        for l in &mut loaded {
            l.scenario.simulation.fairness = Some(switch == super::Switch::On);
        }
    }
    // Every limit is checked for every scenario before any of them runs.
    let refusals = refusals(args, &loaded);
    if !refusals.is_empty() {
        for r in refusals {
            super::note(format_args!("error: {r}"));
        }
        return Ok(ExitCode::from(super::EXIT_BAD_INPUT));
    }
    match shard_of(args) {
        Ok(Some((shard, source))) => {
            return super::shard::run(args, &loaded, shard, source.as_deref());
        }
        Ok(None) => {}
        Err(e) => {
            super::note(format_args!("error: {e}"));
            return Ok(ExitCode::from(super::EXIT_BAD_INPUT));
        }
    }
    let signals = Signals::install()?;
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("cannot create output folder {}", args.out.display()))?;
    for stale in publish::remove_stale(&args.out)? {
        if !args.quiet {
            super::note(format_args!(
                "removed {}, left by a run that did not finish",
                stale.display()
            ));
        }
    }
    let mut plans = Vec::new();
    for l in &loaded {
        let cfg = config(args, &l.scenario);
        let dir = args.out.join(&l.scenario.id);
        if !args.force && complete(&dir, &l.scenario, &cfg, args.keep_paths) {
            plans.push(Plan::Skip);
        } else {
            let staging = Staging::create(&args.out, &l.scenario.id)
                .with_context(|| format!("cannot write results into {}", args.out.display()))?;
            plans.push(Plan::Run(staging));
        }
    }

    let mut out = super::Stdout::default();
    let ids: Vec<&str> = loaded.iter().map(|l| l.scenario.id.as_str()).collect();
    let mut done: Vec<&str> = Vec::new();
    // On return, the plans not reached are dropped, which removes their staging folders.
    for (i, (l, plan)) in loaded.iter().zip(plans).enumerate() {
        let id = ids[i];
        if signals.stopped() {
            return Ok(interrupted(&signals, None, &done, &ids[i..]));
        }
        let staging = match plan {
            Plan::Skip => {
                super::note(format_args!(
                    "skipped {id}: {} holds its complete results (same scenario, seed, paths, horizon, fairness and engine version); --force runs it again",
                    args.out.join(id).display()
                ));
                done.push(id);
                continue;
            }
            Plan::Run(staging) => staging,
        };
        match run_one(args, &l.file, &l.scenario, staging, &signals, &mut out)? {
            None => done.push(id),
            Some(stopped) => {
                let what = match stopped {
                    Stopped::Simulating(n) => format!(
                        "{id} stopped after {n} of {} paths; its results were not written",
                        config(args, &l.scenario).paths
                    ),
                    Stopped::Writing => format!(
                        "{id} stopped while its results were being written; they were not kept"
                    ),
                };
                return Ok(interrupted(&signals, Some(&what), &done, &ids[i + 1..]));
            }
        }
    }
    set_summary(&args.out, &ids, args.quiet, &mut out)?;
    Ok(ExitCode::SUCCESS)
}

/// For a set (more than one scenario), writes `DIR/set/summary.csv` from the
/// published folders of `ids` and, unless `quiet`, says where.
pub(super) fn set_summary(
    dir: &Path,
    ids: &[&str],
    quiet: bool,
    out: &mut super::Stdout,
) -> anyhow::Result<()> {
    if ids.len() < 2 {
        return Ok(());
    }
    let sets = ids
        .iter()
        .map(|id| Results::load(&dir.join(id)))
        .collect::<Result<Vec<_>, _>>()
        .context("cannot read a scenario's results for the set summary")?;
    let path = output::write_set_summary(dir, &sets)?;
    if !quiet {
        out.print(&format!(
            "set of {} scenarios: {}\n",
            ids.len(),
            path.display()
        ))?;
    }
    Ok(())
}

/// Says on stderr what an interrupted run did (`stopped`: the scenario it was
/// running and how far it got) and returns the exit status for the signal.
fn interrupted(
    signals: &Signals,
    stopped: Option<&str>,
    done: &[&str],
    not_started: &[&str],
) -> ExitCode {
    let (signal, status) = signals.status();
    let list = |ids: &[&str]| {
        if ids.is_empty() {
            "none".to_owned()
        } else {
            ids.join(", ")
        }
    };
    match stopped {
        Some(what) => super::note(format_args!("interrupted by {signal}: {what}")),
        None => super::note(format_args!("interrupted by {signal}")),
    }
    super::note(format_args!("completed: {}", list(done)));
    if !not_started.is_empty() {
        super::note(format_args!("not started: {}", list(not_started)));
    }
    super::note(format_args!(
        "run the same command again to finish (completed scenarios are skipped)"
    ));
    ExitCode::from(status)
}

/// The run configuration of `scn` under the flags.
pub(super) fn config(args: &Args, scn: &Scenario) -> RunConfig {
    args.settings.config(scn)
}

/// Why each run would be refused, before any starts: too many threads, arrivals
/// beyond their limit over a `--horizon` longer than the file's, or expected work
/// or memory over their budgets. Each message says the limit and how to change it.
fn refusals(args: &Args, loaded: &[super::Loaded]) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(refusal) = threads_refusal(args.settings.threads, args.settings.max_threads) {
        out.push(refusal);
        return out;
    }
    for l in loaded.iter().filter(|_| loaded.len() > 1) {
        if l.scenario.id == output::SET_DIR {
            out.push(format!(
                "{}: scenario id `{}` would share DIR/{}/ with the set's summary; give it another id",
                l.file,
                l.scenario.id,
                output::SET_DIR
            ));
        }
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
                "{}: expected work of about {:.2e} firm-years ({} paths × {} years × ({} × ({:.1} arrivals + {:.0} firms) + {} evaluations) a year) is above the budget of {:.2e}; lower --paths or --horizon, or raise the budget with --max-work {:.1e}",
                l.file,
                e.work,
                cfg.paths,
                cfg.horizon,
                if e.parks > 1.0 {
                    format!("{} parks (the park and its coalitions')", e.parks)
                } else {
                    "1 park".to_owned()
                },
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

/// Why `--threads` is refused: above `--max-threads`, or by default above
/// [`THREADS_PER_CORE`] per core (shared by `run` and `solve`).
pub fn threads_refusal(threads: usize, max_threads: Option<usize>) -> Option<String> {
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let limit = max_threads.unwrap_or(THREADS_PER_CORE.saturating_mul(cores));
    (threads > limit).then(|| {
        let why = match max_threads {
            Some(_) => "--max-threads".to_owned(),
            None => format!("{THREADS_PER_CORE} per core on {cores} cores"),
        };
        format!(
            "--threads {threads} is above the limit of {limit} worker threads ({why}); raise the limit with --max-threads {threads}"
        )
    })
}

/// Whether `dir` holds the complete results of this very run: it matches its
/// manifest, its files load, and run.json records the same scenario (by hash),
/// seed, paths, horizon, engine version and fairness setting (and the per-path
/// files, if asked for).
fn complete(dir: &Path, scn: &Scenario, cfg: &RunConfig, keep_paths: bool) -> bool {
    let Ok(manifest) = publish::verify(dir) else {
        return false;
    };
    let Ok(results) = Results::load(dir) else {
        return false;
    };
    let run = &results.run;
    run.scenario_sha256 == scn.sha256
        && run.seed == cfg.seed
        && run.paths == cfg.paths
        && run.horizon == cfg.horizon
        && run.coalitions == scn.fairness()
        && run.engine == RunRecord::engine_name()
        && (!keep_paths || PATHS_FILES.iter().all(|f| manifest.contains(f)))
}

/// Runs one scenario into its staging folder and publishes it; `Some` if a
/// signal stopped it (the staging folder is then removed, the old folder kept).
fn run_one(
    args: &Args,
    file: &str,
    scn: &Scenario,
    staging: Staging,
    signals: &Signals,
    out: &mut super::Stdout,
) -> anyhow::Result<Option<Stopped>> {
    let cfg = config(args, scn);
    let dir = staging.path().to_owned();

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
        Some(PathsWriter::create(&dir, scn)?)
    } else {
        None
    };
    let mut write_error = None;
    let started = Instant::now();
    let what = Observe {
        records: args.keep_paths,
        stop: Some(&signals.stop),
    };
    let result = engine::run(scn, &cfg, what, &mut |batch| {
        bar.inc(batch.paths as u64);
        if let Some(w) = paths_writer.as_mut()
            && write_error.is_none()
            && let Err(e) = w.write_batch(scn, &batch)
        {
            write_error = Some(e);
        }
    });
    let elapsed = started.elapsed().as_secs_f64();
    bar.finish_and_clear();
    let state = match result {
        Err(EngineError::Interrupted { completed_paths }) => {
            return Ok(Some(Stopped::Simulating(completed_paths)));
        }
        result => result?,
    };
    if let Some(e) = write_error {
        return Err(e.into());
    }
    if let Some(w) = paths_writer {
        w.finish()?;
    }
    let threads = engine::resolve_threads(cfg.threads);
    let record = RunRecord::new(scn, file, &cfg, &state, threads, elapsed);
    output::write_results(&dir, scn, &state, &record)?;
    if signals.stopped() {
        return Ok(Some(Stopped::Writing));
    }
    super::report::write(&dir, args.charts.into())?;
    if signals.stopped() {
        return Ok(Some(Stopped::Writing));
    }
    let target = staging.target().to_owned();
    staging
        .publish()
        .with_context(|| format!("cannot publish the results in {}", target.display()))?;
    if !args.quiet {
        out.print(&summary(scn, &state, &target, elapsed))?;
    }
    Ok(None)
}

/// The one-screen summary: per alternative and region, mean NPV, its 90% interval and P(NPV < 0).
pub(super) fn summary(scn: &Scenario, state: &RunState, dir: &Path, elapsed: f64) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    let layout = state.layout;
    // Writing into a String cannot fail.
    let _ = writeln!(
        s,
        "{} — {} paths, {} years, {:.1} s, {:.1} M firm-years/s; NPV in {} at each region's discount rate",
        scn.name,
        state.paths(),
        layout.horizon,
        elapsed,
        state.firm_years as f64 / elapsed.max(1e-9) / 1e6,
        scn.money_label()
    );
    let alt_width = super::column_width(scn.alternatives.iter().map(|a| a.name.as_str()), 11);
    let region_width = super::column_width(scn.regions.iter().map(|r| r.id.as_str()), 6);
    let _ = writeln!(
        s,
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
            let _ = writeln!(
                s,
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
    s.push_str(&fairness_ranking(scn, state, alt_width, region_width));
    let _ = writeln!(
        s,
        "results: {}  (report: {})",
        dir.display(),
        dir.join(enclave::report::REPORT_FILE).display()
    );
    s
}

/// The alternatives ranked by the probability that every region participates,
/// then by the Nash product, each with its regions' mean NPV, gap to the Shapley
/// value and participation probability (fairness.csv has them all, with standard
/// errors).
fn fairness_ranking(
    scn: &Scenario,
    state: &RunState,
    alt_width: usize,
    region_width: usize,
) -> String {
    use enclave::fairness::{Metric, Table};
    use std::fmt::Write;
    let table = Table::from_run(scn, state);
    let get =
        |a: usize, r: Option<usize>, m: Metric| table.get(a, r, m).map_or(f64::NAN, |e| e.mean);
    let order = enclave::fairness::ranking(
        scn.alternatives.len(),
        |a| get(a, None, Metric::JointParticipation),
        |a| get(a, None, Metric::NashProduct),
    );
    let mut s = String::new();
    let _ = writeln!(
        s,
        "\nfairness: alternatives ranked by P(every region participates), then the Nash product (participate: NPV ≥ outside option; Shapley gap: mean NPV − Shapley value)"
    );
    let _ = writeln!(
        s,
        "{:>2}  {}  {:>7}  {:>12}  {}  {:>10}  {:>11}  {:>11}",
        "#",
        pad("alternative", alt_width),
        "P(all)",
        "Nash product",
        pad("region", region_width),
        "mean NPV",
        "Shapley gap",
        "participate"
    );
    let number = |x: f64, width: usize, digits: usize| {
        if x.is_nan() {
            format!("{:>width$}", "–")
        } else {
            format!("{x:>width$.digits$}")
        }
    };
    // The Nash product is in money^n: powers of ten read better.
    let product = |x: f64| {
        if x.is_nan() {
            format!("{:>12}", "–")
        } else {
            format!("{x:>12.3e}")
        }
    };
    for (rank, &a) in order.iter().enumerate() {
        for (r, region) in scn.regions.iter().enumerate() {
            let head = if r == 0 {
                format!(
                    "{:>2}  {}  {:>6.1}%  {}",
                    rank + 1,
                    pad(&scn.alternatives[a].name, alt_width),
                    100.0 * get(a, None, Metric::JointParticipation),
                    product(get(a, None, Metric::NashProduct))
                )
            } else {
                " ".repeat(2 + 2 + alt_width + 2 + 7 + 2 + 12)
            };
            let _ = writeln!(
                s,
                "{head}  {}  {}  {}  {:>10.1}%",
                pad(&region.id, region_width),
                number(get(a, Some(r), Metric::Npv), 10, 1),
                number(get(a, Some(r), Metric::ShapleyGap), 11, 1),
                100.0 * get(a, Some(r), Metric::Participation)
            );
        }
    }
    if !table.coalitions {
        let _ = writeln!(
            s,
            "(no Shapley values: this run computed no coalitions; --fairness on computes them)"
        );
    }
    s
}
