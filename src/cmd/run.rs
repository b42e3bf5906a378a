//! `enclave run`: simulate scenarios and write their results.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use signal_hook::consts::{SIGINT, SIGTERM};

use super::{lpad, pad};
use enclave::chart::Formats;
use enclave::engine::{self, EngineError, Observe, RunConfig, RunState};
use enclave::output::{self, PATHS_FILES, PathsWriter, RunRecord};
use enclave::publish::{self, Staging};
use enclave::results::Results;
use enclave::results::SummaryRow;
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
    /// coalition holding the host when fairness is on), counting the paths this
    /// process simulates (a shard's, the pilot's) of every scenario of a set
    /// together; refused before it starts.
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
    /// Charts to draw into DIR/<scenario id>/charts/ (report.html shows them
    /// either way); default: both for one scenario or a set of at most 5, none
    /// for a larger set.
    #[arg(long, value_enum)]
    pub charts: Option<ChartFormats>,
    /// Whether to write each scenario's report.html; default: html for one
    /// scenario or a set of at most 5, none for a larger set.
    #[arg(long, value_enum)]
    pub report: Option<ReportFlag>,
    /// Write only the set's outputs (DIR/set/), no folder per scenario. With
    /// --shard or --pilot: partials that keep only what DIR/set/ needs, which
    /// `enclave merge` turns into the set's outputs alone.
    #[arg(long, conflicts_with_all = ["keep_paths", "charts", "report"])]
    pub summary_only: bool,
    /// No progress bar and no summary on the terminal.
    #[arg(long, short)]
    pub quiet: bool,
    /// Language of the reports, charts and terminal summary (default: each
    /// scenario's `[scenario] lang`, else en).
    #[arg(long, value_name = "en|zh")]
    pub lang: Option<enclave::i18n::Lang>,
    /// Treat an input outside its plausible range (docs/scenario.md "Plausible
    /// ranges") as an error: exit status 2 before anything runs.
    #[arg(long)]
    pub strict: bool,
    /// Run scenarios whose complete results are already in DIR (by default they
    /// are skipped when their scenario, seed, paths (or --precision targets,
    /// --max-paths and --block), horizon, fairness and engine version match; the
    /// report and charts asked for that they lack, or all of them when --lang asks
    /// for another language than theirs, are drawn from them).
    #[arg(long)]
    pub force: bool,
    /// Compute only shard K of N (numbered from 1) and write its partial results
    /// to DIR/<scenario id>.partial/part-K-of-N.json, for `enclave merge`. When
    /// absent, a Slurm job array's SLURM_ARRAY_TASK_ID gives it; `none` runs
    /// everything even in a job array.
    #[arg(long, value_name = "K/N|none", value_parser = parse_shard)]
    pub shard: Option<ShardFlag>,
    /// Compute only each scenario's pilot (its first 1,024 paths, which fix the
    /// quantile grids) into DIR/<scenario id>.partial/pilot.json; shards run
    /// after it with the same --out take it instead of simulating those paths
    /// again (the results are the same either way).
    #[arg(long, conflicts_with_all = ["shard", "shards", "keep_paths"])]
    pub pilot: bool,
    /// Compute shard JOB_COMPLETION_INDEX + 1 of N (a Kubernetes Indexed Job with
    /// N completions; or a Slurm job array of N tasks).
    #[arg(long, value_name = "N", conflicts_with = "shard", value_parser = clap::value_parser!(u32).range(1..))]
    pub shards: Option<u32>,
    /// Re-simulate path P (numbered from 0) alone and write its full yearly detail
    /// (every firm-year, tax, cash flow; docs/replay.md) to DIR/<scenario
    /// id>.replay-P/; nothing else is run. P may be at or beyond the run's paths.
    #[arg(long, value_name = "P", value_parser = parse_path_index,
          conflicts_with_all = ["shard", "shards", "pilot", "summary_only", "keep_paths"])]
    pub replay: Option<u64>,
    /// Add paths in fixed blocks until each region's mean METRIC under every
    /// alternative is known within EPS of its magnitude (95% half-width, 1.96 ×
    /// its standard error), e.g. npv:0.01, or within an absolute amount in the
    /// metric's unit, npv:abs=2.5; several targets separated by commas. The run
    /// decides its paths (at most --max-paths) and writes convergence.csv.
    #[arg(long, value_name = "METRIC:EPS|METRIC:abs=A", value_parser = parse_precision)]
    pub precision: Option<PrecisionFlag>,
    /// With --precision: most paths to run (default 102400); reaching it without
    /// meeting the targets is a warning, and the results of those paths are kept.
    #[arg(long, value_name = "N")]
    pub max_paths: Option<u64>,
    /// With --precision: paths added at a time (a multiple of 256; default 1024).
    #[arg(long, value_name = "PATHS")]
    pub block: Option<u64>,
}

/// The `--precision` flag: its text and targets.
#[derive(Debug, Clone)]
pub struct PrecisionFlag {
    /// As given.
    pub text: String,
    /// Parsed.
    pub targets: Vec<enclave::convergence::Target>,
}

fn parse_precision(text: &str) -> Result<PrecisionFlag, String> {
    Ok(PrecisionFlag {
        text: text.to_owned(),
        targets: enclave::convergence::parse(text)?,
    })
}

/// With `--precision`: paths per block and most paths.
fn precision_blocks(args: &Args) -> (u64, u64) {
    (
        args.block.unwrap_or(enclave::convergence::DEFAULT_BLOCK),
        args.max_paths
            .unwrap_or(enclave::convergence::DEFAULT_MAX_PATHS),
    )
}

/// Why `--precision`, `--max-paths` or `--block` are refused with the other flags.
fn precision_refusal(args: &Args) -> Option<String> {
    let Some(p) = &args.precision else {
        return (args.max_paths.is_some() || args.block.is_some()).then(|| {
            "--max-paths and --block go with --precision (a run without it takes --paths)"
                .to_owned()
        });
    };
    if args.settings.paths.is_some() {
        return Some(format!(
            "--paths cannot be combined with --precision {}: the run adds paths until the precision is met; bound it with --max-paths",
            p.text
        ));
    }
    let sharded = args.pilot || args.shards.is_some() || matches!(shard_of(args), Ok(Some(_)));
    if sharded {
        return Some(format!(
            "--precision {} cannot be combined with shards or --pilot: it adds paths block by block, each after the last is summed, which is sequential by nature; run it on one machine (--shard none inside a job array), or shard a run of a fixed --paths",
            p.text
        ));
    }
    if args.replay.is_some() {
        return Some("--precision cannot be combined with --replay".to_owned());
    }
    let (block, max) = precision_blocks(args);
    enclave::convergence::settings_problem(block, max)
}

/// A path index: a whole number from 0.
fn parse_path_index(text: &str) -> Result<u64, String> {
    text.trim().parse::<u64>().map_err(|_| {
        format!(
            "expected a path index: a whole number from 0 to {}, such as 17 (paths are numbered from 0)",
            u64::MAX
        )
    })
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
pub(super) fn parse_budget(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(x) if x.is_finite() && x > 0.0 => Ok(x),
        _ => Err("expected a finite number > 0, such as 5e10".to_owned()),
    }
}

/// A size such as `512M`, `4G` or `1T` (binary units), in bytes; `512MiB` too,
/// as the budget messages print sizes (a tester's copy of "26 MiB" was refused).
fn parse_size(text: &str) -> Result<u64, String> {
    let text = text
        .strip_suffix("iB")
        .or_else(|| text.strip_suffix("ib"))
        .filter(|t| t.ends_with(['K', 'k', 'M', 'm', 'G', 'g', 'T', 't']))
        .unwrap_or(text)
        .trim_end();
    let (digits, shift) = match text.char_indices().last() {
        Some((i, 'K' | 'k')) => (&text[..i], 10),
        Some((i, 'M' | 'm')) => (&text[..i], 20),
        Some((i, 'G' | 'g')) => (&text[..i], 30),
        Some((i, 'T' | 't')) => (&text[..i], 40),
        Some((_, c)) if c.is_ascii_digit() => {
            return Err(format!(
                "expected a size with its unit K, M, G or T (binary), such as 512M or 4G, found `{text}`"
            ));
        }
        _ => return Err("expected a size such as 512M, 4G or 1T".to_owned()),
    };
    let too_large = || format!("expected a size below 2^64 bytes, found {text}");
    let n: u64 = digits
        .trim()
        .parse()
        .map_err(|e: std::num::ParseIntError| {
            if *e.kind() == std::num::IntErrorKind::PosOverflow {
                too_large()
            } else {
                "expected a whole number before the unit, such as 512M or 4G".to_owned()
            }
        })?;
    n.checked_mul(1 << shift).ok_or_else(too_large)
}

/// A size in bytes as exactly as `--max-memory` takes it: in the largest binary
/// unit it is a whole number of (`1 KiB`, `1500 KiB`, `4 GiB`), so that a budget
/// reads as it was given.
fn size_text(bytes: u64) -> String {
    let units = [(40, "TiB"), (30, "GiB"), (20, "MiB"), (10, "KiB")];
    units
        .iter()
        .find(|(shift, _)| bytes >= 1 << shift && bytes % (1 << shift) == 0)
        .map_or_else(
            || format!("{bytes} bytes"),
            |(shift, unit)| format!("{} {unit}", bytes >> shift),
        )
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

/// The `--report` flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ReportFlag {
    /// No report.html.
    None,
    /// report.html in each scenario's folder.
    Html,
}

/// Sets of at most this many scenarios get a report and charts per scenario and
/// a summary per scenario on the terminal by default.
pub const HANDFUL: usize = 5;

/// What a run writes for each scenario, resolved from the flags and the set's size.
#[derive(Debug, Clone, Copy)]
struct Outputs {
    /// Each scenario's folder (not with `--summary-only`).
    folders: bool,
    /// report.html in it.
    report: bool,
    /// Chart files in it.
    charts: Formats,
    /// The set's files (a set of two or more, or `--summary-only`).
    set: bool,
    /// Each scenario's summary on the terminal.
    verbose: bool,
    /// A note for each scenario skipped (else their count, at the end).
    small: bool,
}

impl Outputs {
    /// `sweep`: the set is a sweep's, whose set files are written even for one variant.
    fn of(args: &Args, scenarios: usize, sweep: bool) -> Outputs {
        let small = scenarios <= HANDFUL;
        let folders = !args.summary_only;
        Outputs {
            folders,
            report: folders && args.report.map_or(small, |r| r == ReportFlag::Html),
            charts: if folders {
                args.charts
                    .unwrap_or(if small {
                        ChartFormats::Both
                    } else {
                        ChartFormats::None
                    })
                    .into()
            } else {
                Formats::None
            },
            set: scenarios > 1 || args.summary_only || sweep,
            verbose: small && !args.quiet,
            small,
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
/// One pair for the process: every [`Signals::install`] gives the same.
#[derive(Clone)]
pub(super) struct Signals {
    pub(super) stop: Arc<AtomicBool>,
    which: Arc<AtomicUsize>,
}

/// A second signal sooner than this after the first is the same request:
/// `timeout` sends its signal to the command and again to its process group, and a
/// scheduler may signal a job step's every process, so one request can arrive
/// twice within a millisecond. (Two SIGINTs 1 ms apart ended a sweep at once, with
/// no word of what it had written: exploratory test.)
const SAME_REQUEST: Duration = Duration::from_millis(500);

impl Signals {
    /// Installs the handlers. A first SIGINT or SIGTERM sets the flags; a second
    /// one, [`SAME_REQUEST`] or more after the first, has its default effect and
    /// ends the process at once (a later run removes what it leaves). The
    /// signals are taken on a thread of their own.
    pub(super) fn install() -> anyhow::Result<Signals> {
        // Installed once: a set checks its scenarios, then runs them, with the
        // same flags (two threads would each take a second signal as the first).
        static INSTALLED: std::sync::Mutex<Option<Signals>> = std::sync::Mutex::new(None);
        let mut installed = INSTALLED
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(signals) = installed.as_ref() {
            return Ok(signals.clone());
        }
        let stop = Arc::new(AtomicBool::new(false));
        let which = Arc::new(AtomicUsize::new(0));
        let mut signals = signal_hook::iterator::Signals::new([SIGINT, SIGTERM])
            .context("cannot install the signal handlers")?;
        let (flag, kind) = (Arc::clone(&stop), Arc::clone(&which));
        std::thread::Builder::new()
            .name("enclave-signals".to_owned())
            .spawn(move || {
                let mut first: Option<Instant> = None;
                for sig in signals.forever() {
                    match first {
                        None => {
                            kind.store(sig as usize, Ordering::SeqCst);
                            flag.store(true, Ordering::SeqCst);
                            first = Some(Instant::now());
                        }
                        Some(at) if at.elapsed() >= SAME_REQUEST => {
                            // Ends the process as the signal's default would have.
                            let _ = signal_hook::low_level::emulate_default_handler(sig);
                        }
                        Some(_) => {}
                    }
                }
            })
            .context("cannot start the signal thread")?;
        let signals = Signals { stop, which };
        *installed = Some(signals.clone());
        Ok(signals)
    }

    pub(super) fn stopped(&self) -> bool {
        self.stop.load(Ordering::SeqCst)
    }

    /// The signal's name and the exit status for it, 128 + its number, as a
    /// shell reports a process killed by it (130 for SIGINT, 143 for SIGTERM).
    pub(super) fn status(&self) -> (&'static str, u8) {
        if self.which.load(Ordering::SeqCst) == SIGTERM as usize {
            ("SIGTERM", 128 + SIGTERM as u8)
        } else {
            ("SIGINT", 128 + SIGINT as u8)
        }
    }
}

/// Runs the scenario files (or folders of them) the command line names: all are
/// loaded and checked first, then run as a set.
pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let files = match super::Files::new(&args.scenarios) {
        Ok(f) => f,
        Err(code) => return Ok(code),
    };
    run_source(args, &files)
}

/// Scenario `i` of `source` with the flags' overrides of its own settings.
pub(super) fn load(
    args: &Args,
    source: &dyn super::Source,
    i: usize,
) -> Result<super::Loaded, String> {
    let mut l = source.load(i)?;
    if let Some(switch) = args.settings.fairness {
        l.scenario.simulation.fairness = Some(switch == super::Switch::On);
    }
    Ok(l)
}

/// Runs every scenario of `source` as a set (or computes its shard). Everything
/// that can be checked without simulating is checked for all of them first,
/// one scenario at a time: each loads, and every limit holds.
pub fn run_source(args: &Args, source: &dyn super::Source) -> anyhow::Result<ExitCode> {
    let n = source.len();
    let mut problems = Vec::new();
    let mut paths = Vec::new();
    let mut scenario_ids: Vec<String> = Vec::new();
    let mut run_keys: Vec<String> = Vec::new();
    let mut langs = Vec::with_capacity(n);
    let mut warnings = Vec::new();
    if let Some(refusal) = threads_refusal(args.settings.threads, args.settings.max_threads) {
        problems.push(refusal);
    } else {
        let mut ids = super::UniqueIds::default();
        let Some(all) = check_all(args, source)? else {
            // Stopped by a signal while checking: nothing ran or was written.
            let signals = Signals::install()?;
            let (signal, status) = signals.status();
            let tx = args.lang.unwrap_or_default().texts();
            super::note(format_args!(
                "{}",
                tx.f("terminal.set.interrupted_checking", &[("signal", &signal)])
            ));
            return Ok(ExitCode::from(status));
        };
        paths = all.iter().flatten().map(|c| c.paths).collect();
        scenario_ids = all.iter().flatten().map(|c| c.id.clone()).collect();
        run_keys = all.iter().flatten().map(|c| c.run_key.clone()).collect();
        // The paths of each scenario this process simulates: a shard's or the
        // pilot's, which the work budget applies to.
        let part = Part::of(args, &paths);
        // Whether each scenario's results go to `DIR/<id>` (a shard's and the
        // pilot's go to `DIR/<id>.partial/`, a replay's to its own folder).
        let folders = !args.summary_only
            && args.replay.is_none()
            && !args.pilot
            && matches!(shard_of(args), Ok(None));
        let mut k = 0;
        let mut budget = WorkBudget::default();
        // The scenarios counted (their index in the set, and in the budget).
        let mut counted: Vec<(usize, usize, Checked)> = Vec::new();
        for (i, checked) in all.into_iter().enumerate() {
            match checked {
                Ok(mut c) => {
                    problems.extend(ids.check(&c.id, &c.file));
                    if folders {
                        problems.extend(
                            super::place_refusal(&args.out, &c.id)
                                .map(|p| format!("{}: {p}", c.file)),
                        );
                    }
                    if let Some(e) = &c.estimate {
                        budget.add(&c, e, &part, k);
                    }
                    problems.append(&mut c.refusals);
                    let file = &c.file;
                    warnings.extend(c.warnings.drain(..).map(|w| (file.clone(), w)));
                    langs.push(c.lang);
                    counted.push((i, k, c));
                    k += 1;
                }
                Err(e) => problems.push(e),
            }
        }
        let mut refusal = budget.refusal(args, &part);
        if refusal.is_some() && folders && !args.force {
            // A scenario whose complete results are in its folder is skipped,
            // not simulated: the budget counts the others (a rerun of a set
            // run with a raised --max-work was refused: exploratory test).
            // Looked at only when over the budget: it reads the folders.
            let mut left = WorkBudget::default();
            for (i, k, c) in &counted {
                if let Some(e) = &c.estimate
                    && !already_complete(args, source, *i)
                {
                    left.add(c, e, &part, *k);
                }
            }
            refusal = left.refusal(args, &part);
        }
        problems.extend(refusal);
    }
    if !problems.is_empty() {
        // A sweep of 10^6 variants over a budget would print a line each (a
        // tester's 200-variant sweep gave 200 lines of one memory refusal).
        let more = problems.len().saturating_sub(super::WARNINGS_SHOWN);
        for p in problems.iter().take(super::WARNINGS_SHOWN) {
            super::note(format_args!("error: {p}"));
        }
        if more > 0 {
            super::note(format_args!(
                "error: … and {more} more problems of the set's scenarios ({} in all)",
                problems.len()
            ));
        }
        return Ok(ExitCode::from(super::EXIT_BAD_INPUT));
    }
    if let Some(refusal) = precision_refusal(args) {
        super::note(format_args!("error: {refusal}"));
        return Ok(ExitCode::from(super::EXIT_BAD_INPUT));
    }
    // In the language of the set's terminal lines: --lang, else the scenarios'
    // own language when they all have the same, else English.
    let lang = enclave::set_report::set_lang(args.lang, langs.iter().copied());
    let warnings: Vec<super::Flagged> = warnings
        .iter()
        .map(|(file, w)| super::located(file, w, lang))
        .collect();
    if let Some(code) = super::report_warnings(&warnings, args.strict, lang) {
        return Ok(code);
    }
    if let Some(p) = args.replay {
        return replay(args, source, p);
    }
    if args.pilot {
        return super::shard::pilot(args, source, &paths);
    }
    // A scheduler's variable that this run does not follow: said, as the run
    // may well be one of many computing the same thing.
    let set_var = |name: &str| std::env::var(name).is_ok_and(|v| !v.trim().is_empty());
    match (&args.shard, args.shards) {
        (Some(ShardFlag::Of(s)), _) if set_var("SLURM_ARRAY_TASK_ID") => {
            super::note(format_args!(
                "note: {s} is given by --shard, so SLURM_ARRAY_TASK_ID is not read"
            ));
        }
        // `--shards N` reads JOB_COMPLETION_INDEX before a Slurm array's task.
        (None, Some(_)) if set_var("JOB_COMPLETION_INDEX") && set_var("SLURM_ARRAY_TASK_ID") => {
            super::note(format_args!(
                "note: JOB_COMPLETION_INDEX and SLURM_ARRAY_TASK_ID are both set; --shards takes the shard from JOB_COMPLETION_INDEX, so SLURM_ARRAY_TASK_ID is not read"
            ));
        }
        (None, None) if set_var("JOB_COMPLETION_INDEX") && !set_var("SLURM_ARRAY_TASK_ID") => {
            super::note(format_args!(
                "note: JOB_COMPLETION_INDEX is set but --shards is not, so this runs every path; --shards N computes shard index + 1 of N (--shard none silences this)"
            ));
        }
        _ => {}
    }
    match shard_of(args) {
        Ok(Some((shard, from))) => super::shard::run(
            args,
            source,
            &paths,
            &scenario_ids,
            &run_keys,
            shard,
            from.as_deref(),
        ),
        Ok(None) => {
            // The set's page and terminal lines in `lang`.
            run_set(args, source, &paths, lang)
        }
        Err(e) => {
            super::note(format_args!("error: {e}"));
            Ok(ExitCode::from(super::EXIT_BAD_INPUT))
        }
    }
}

/// What the check of one scenario of a set keeps.
struct Checked {
    id: String,
    file: String,
    paths: u64,
    /// Years simulated.
    horizon: u32,
    refusals: Vec<String>,
    /// Its run's expected cost, for the work budget (`None` if refused before).
    estimate: Option<engine::Estimate>,
    /// Its inputs outside their plausible ranges.
    warnings: Vec<enclave::scenario::guardrails::Warning>,
    /// Its language (`[scenario] lang`).
    lang: enclave::i18n::Lang,
    /// What makes its run the one it is ([`enclave::shard::run_key`]).
    run_key: String,
}

/// Loads and checks every scenario of `source` against the limits, on every
/// worker thread (loading is most of a tiny scenario's cost), keeping only what
/// the set needs; in the set's order. `None` when SIGINT or SIGTERM stopped it
/// (a sweep of 30,000 variants takes some 10 s to check, and a signal then
/// ended the process with no word: exploratory test).
fn check_all(
    args: &Args,
    source: &dyn super::Source,
) -> anyhow::Result<Option<Vec<Result<Checked, String>>>> {
    let signals = Signals::install()?;
    let n = source.len();
    let threads = engine::resolve_threads(args.settings.threads).clamp(1, n.max(1));
    let next = std::sync::atomic::AtomicUsize::new(0);
    let mut all: Vec<(usize, Result<Checked, String>)> = Vec::with_capacity(n);
    // A large set takes a while to check (a sweep of 10,000 variants about 10 s
    // on one thread): said, with a bar on a terminal.
    let bar = if args.quiet || n < CHECK_NOTE {
        ProgressBar::hidden()
    } else {
        let tx = args.lang.unwrap_or_default().texts();
        super::note(format_args!(
            "{}",
            tx.f("terminal.set.checking", &[("n", &n)])
        ));
        if std::io::stderr().is_terminal() {
            set_bar(n, tx.t("terminal.set.check_progress"))
        } else {
            ProgressBar::hidden()
        }
    };
    std::thread::scope(|s| -> anyhow::Result<()> {
        let mut handles = Vec::new();
        for w in 0..threads {
            let next = &next;
            let bar = &bar;
            let signals = &signals;
            let handle = std::thread::Builder::new()
                .name(format!("enclave-check-{w}"))
                .spawn_scoped(s, move || {
                    let mut mine = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        if i >= n || signals.stopped() {
                            return mine;
                        }
                        mine.push((
                            i,
                            load(args, source, i).map(|l| {
                                let mut estimate = None;
                                let cfg = config(args, &l.scenario);
                                Checked {
                                    refusals: refusals(args, &l, &mut estimate),
                                    estimate,
                                    warnings: enclave::scenario::guardrails::check_at(
                                        &l.scenario,
                                        cfg.horizon,
                                    ),
                                    paths: cfg.paths,
                                    horizon: cfg.horizon,
                                    run_key: enclave::shard::run_key(
                                        &l.scenario,
                                        &cfg,
                                        args.summary_only,
                                    ),
                                    lang: l.scenario.lang,
                                    id: l.scenario.id,
                                    file: l.file,
                                }
                            }),
                        ));
                        bar.inc(1);
                    }
                })
                .context("cannot start a worker thread")?;
            handles.push(handle);
        }
        for h in handles {
            all.extend(
                h.join()
                    .map_err(|_| anyhow::anyhow!("a worker thread panicked"))?,
            );
        }
        Ok(())
    })?;
    bar.finish_and_clear();
    if signals.stopped() {
        return Ok(None);
    }
    all.sort_by_key(|(i, _)| *i);
    Ok(Some(all.into_iter().map(|(_, c)| c).collect()))
}

/// A bar on stderr over the `n` scenarios of a set, drawn with `template`.
fn set_bar(n: usize, template: &str) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(Some(n as u64), ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template(template)
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    bar
}

/// Sets of at least this many scenarios say that they are being checked.
const CHECK_NOTE: usize = 1_000;

/// A scenario is run alone on every worker thread when it has at least this
/// many batches (or one per thread, if more); smaller ones run side by side,
/// one a thread, so that a set of many small scenarios keeps every core busy.
const SOLO_BATCHES: u64 = 8;

/// What became of one scenario.
enum Outcome {
    /// Run and written (`text`: its terminal summary, when one is shown; `rows`:
    /// its summary.csv rows, when the set needs them).
    Ran {
        loaded: super::Loaded,
        text: Option<String>,
        rows: Vec<SummaryRow>,
        /// Its headline results outside their plausible ranges.
        warnings: Vec<enclave::scenario::guardrails::Warning>,
        /// Every warning its run.json records (or would: its inputs', then
        /// `warnings`, then an unmet `--precision`), for the set's warnings.csv.
        recorded: Vec<String>,
        /// `recorded` in Chinese.
        recorded_zh: Vec<String>,
        /// Paths and firm-years simulated.
        work: (u64, u64),
    },
    /// Its complete results were already in its folder (`paths`: the paths
    /// they cover, which a `--precision` run decided; `drawn`: the report and
    /// chart files drawn from them, asked for and lacking or in another
    /// language than `--lang`).
    Skipped {
        loaded: super::Loaded,
        rows: Vec<SummaryRow>,
        paths: u64,
        drawn: Drawn,
        /// Its headline results outside their plausible ranges.
        checks: Vec<enclave::scenario::guardrails::Warning>,
        /// The warnings its run.json records.
        warnings: Vec<String>,
        /// `warnings` in Chinese.
        warnings_zh: Vec<String>,
    },
    /// Stopped by a signal.
    Stopped {
        id: String,
        how: Stopped,
        paths: u64,
    },
}

/// The set's bookkeeping, fed the outcomes in the set's order.
struct Tally<'a> {
    args: &'a Args,
    source: &'a dyn super::Source,
    outputs: Outputs,
    set: Option<output::SetWriter>,
    out: super::Stdout,
    bar: ProgressBar,
    /// Scenarios done (run or skipped), and the first [`LISTED`] + 1 of their ids.
    done: usize,
    done_ids: Vec<String>,
    skipped: usize,
    stopped: Option<String>,
    /// Paths and firm-years simulated, over the scenarios run.
    work: (u64, u64),
    /// Headline results outside their plausible ranges, over the scenarios run.
    result_warnings: usize,
    /// The language of the set's terminal lines and page.
    lang: enclave::i18n::Lang,
}

impl Tally<'_> {
    /// Prints the headline results of scenario file `file` outside their
    /// plausible ranges (at most [`super::WARNINGS_SHOWN`] over the set; the
    /// rest are counted at the end), errors under --strict, in the set's
    /// language.
    fn say_result_warnings(
        &mut self,
        file: &str,
        warnings: &[enclave::scenario::guardrails::Warning],
    ) {
        let room = super::WARNINGS_SHOWN.saturating_sub(self.result_warnings);
        for w in warnings.iter().take(room) {
            let line = super::Flagged {
                at: file.to_owned(),
                text: w.describe_in(self.lang),
            }
            .line(self.args.strict, self.lang);
            self.bar.suspend(|| super::note(format_args!("{line}")));
        }
        self.result_warnings += warnings.len();
    }

    /// Records scenario `i`'s outcome: prints its summary or skip note, adds its
    /// rows to the set's files.
    fn add(&mut self, i: usize, outcome: Outcome) -> anyhow::Result<()> {
        self.bar.inc(1);
        // The set's warnings.csv rows: what the scenario's run.json records.
        let (loaded, rows, paths, recorded, recorded_zh) = match outcome {
            Outcome::Ran {
                loaded,
                text,
                rows,
                warnings,
                recorded,
                recorded_zh,
                work,
            } => {
                self.work.0 += work.0;
                self.work.1 += work.1;
                self.say_result_warnings(&loaded.file, &warnings);
                if let Some(text) = text {
                    self.bar.suspend(|| self.out.print(&text))?;
                }
                (loaded, rows, work.0, recorded, recorded_zh)
            }
            Outcome::Skipped {
                loaded,
                rows,
                paths,
                drawn,
                checks,
                warnings,
                warnings_zh,
            } => {
                self.skipped += 1;
                self.say_result_warnings(&loaded.file, &checks);
                if self.outputs.small {
                    let dir = self.args.out.join(&loaded.scenario.id);
                    super::note(format_args!(
                        "{}",
                        self.lang.texts().f(
                            "terminal.set.skipped_one",
                            &[
                                ("id", &loaded.scenario.id),
                                ("dir", &dir.display()),
                                ("settings", &skip_settings(self.args, self.lang))
                            ]
                        )
                    ));
                    let files = drawn.files.join(", ");
                    let tx = self.lang.texts();
                    let note = match drawn.again_in {
                        Some(l) => tx.f(
                            "terminal.set.drawn_in",
                            &[
                                ("files", &files),
                                ("dir", &dir.display()),
                                ("lang", &l.code()),
                            ],
                        ),
                        None if files.is_empty() => String::new(),
                        None => tx.f(
                            "terminal.set.drawn",
                            &[("files", &files), ("dir", &dir.display())],
                        ),
                    };
                    if !note.is_empty() {
                        super::note(format_args!("{note}"));
                    }
                }
                (loaded, rows, paths, warnings, warnings_zh)
            }
            Outcome::Stopped { id, how, paths } => {
                let tx = self.lang.texts();
                self.stopped = Some(match how {
                    // Under --precision the paths are the most it may take
                    // (they read as the run's planned count: exploratory test).
                    Stopped::Simulating(n) if self.args.precision.is_some() => tx.f(
                        "terminal.set.stopped_simulating_precision",
                        &[("id", &id), ("n", &n), ("paths", &paths)],
                    ),
                    Stopped::Simulating(n) => tx.f(
                        "terminal.set.stopped_simulating",
                        &[("id", &id), ("n", &n), ("paths", &paths)],
                    ),
                    Stopped::Writing => tx.f("terminal.set.stopped_writing", &[("id", &id)]),
                });
                return Ok(());
            }
        };
        if let Some(set) = self.set.as_mut() {
            let cfg = config(self.args, &loaded.scenario);
            let run = output::SetRun {
                file: &loaded.file,
                config: &cfg,
                paths,
                math: enclave::mathlib::fingerprint(),
                folder: !self.args.summary_only,
                warnings: &recorded,
                warnings_zh: &recorded_zh,
            };
            set.add(
                &loaded.scenario,
                run,
                &rows,
                &self.source.inputs(i),
                &self.source.input_groups(),
            )?;
        }
        self.done += 1;
        if self.done_ids.len() <= LISTED {
            self.done_ids.push(loaded.scenario.id);
        }
        Ok(())
    }
}

/// Runs the scenarios of `source` (`paths[i]` paths each) in the set's order,
/// small ones side by side, and writes the set's files.
fn run_set(
    args: &Args,
    source: &dyn super::Source,
    paths: &[u64],
    lang: enclave::i18n::Lang,
) -> anyhow::Result<ExitCode> {
    let tx = lang.texts();
    let signals = Signals::install()?;
    super::prepare_out(&args.out, args.quiet)?;
    let n = paths.len();
    let outputs = Outputs::of(args, n, n > 0 && !source.inputs(0).is_empty());
    let threads = engine::resolve_threads(args.settings.threads);
    let set =
        if outputs.set {
            Some(output::SetWriter::create(&args.out).with_context(|| {
                format!("cannot write the set's files into {}", args.out.display())
            })?)
        } else {
            None
        };
    let bar = if args.quiet || outputs.verbose || !std::io::stderr().is_terminal() {
        ProgressBar::hidden()
    } else {
        set_bar(n, tx.t("terminal.set.progress"))
    };
    let mut tally = Tally {
        args,
        source,
        outputs,
        set,
        out: super::Stdout::default(),
        bar,
        done: 0,
        done_ids: Vec::new(),
        skipped: 0,
        stopped: None,
        work: (0, 0),
        result_warnings: 0,
        lang,
    };
    let started = Instant::now();
    let solo =
        |i: usize| paths[i].div_ceil(engine::BATCH_PATHS) >= SOLO_BATCHES.max(threads as u64);
    let mut i = 0;
    while i < n && tally.stopped.is_none() && !signals.stopped() {
        let end = (i..n).find(|&j| solo(j)).unwrap_or(n);
        if threads == 1 || end - i < 2 {
            let outcome = one(args, source, i, threads, outputs, &signals, outputs.small)?;
            tally.add(i, outcome)?;
            i += 1;
        } else {
            side_by_side(args, source, i..end, threads, outputs, &signals, &mut tally)?;
            i = end;
        }
    }
    tally.bar.finish_and_clear();
    if tally.stopped.is_some() || signals.stopped() {
        let ids = |range: std::ops::Range<usize>| -> Vec<String> {
            range
                .filter_map(|j| source.load(j).ok().map(|l| l.scenario.id))
                .take(LISTED + 1)
                .collect()
        };
        let first = tally.done + usize::from(tally.stopped.is_some());
        let not_started = ids(first..n);
        return Ok(interrupted(
            &signals,
            tally.stopped.as_deref(),
            (&tally.done_ids, tally.done),
            (&not_started, n - first),
            args.summary_only,
            lang,
        ));
    }
    if !outputs.small && tally.skipped > 0 {
        super::note(format_args!(
            "{}",
            tx.f(
                "terminal.set.skipped",
                &[
                    ("skipped", &tally.skipped),
                    ("n", &n),
                    ("dir", &args.out.display()),
                    ("settings", &skip_settings(args, lang))
                ]
            )
        ));
    }
    if let Some(set) = tally.set.take() {
        let path = set.finish()?;
        let page = enclave::set_report::write_in(&args.out, lang)?;
        if !args.quiet {
            let elapsed = started.elapsed().as_secs_f64();
            let (paths, firm_years) = tally.work;
            let threads_text = if threads == 1 {
                tx.t("terminal.set.threads_one").to_owned()
            } else {
                tx.f("terminal.set.threads", &[("threads", &threads)])
            };
            // Nothing ran (every scenario skipped): no throughput to give.
            let key = match (n == 1, tally.skipped == n) {
                (true, true) => "terminal.set.ran_none_one",
                (false, true) => "terminal.set.ran_none",
                (true, false) => "terminal.set.ran_one",
                (false, false) => "terminal.set.ran",
            };
            let ran = tx.f(
                key,
                &[
                    ("done", &(n - tally.skipped)),
                    ("n", &n),
                    ("paths", &paths),
                    ("firm_years", &firm_years),
                    ("seconds", &format!("{elapsed:.1}")),
                    (
                        "rate",
                        &super::firm_year_rate(lang, firm_years as f64 / elapsed.max(1e-9), 2),
                    ),
                    ("threads_text", &threads_text),
                ],
            );
            tally.out.print(&format!("{ran}\n"))?;
            let written = super::set_written(tx, n, &path.display(), &page.display());
            tally.out.print(&format!("{written}\n"))?;
        }
    }
    if tally.result_warnings > super::WARNINGS_SHOWN {
        super::note(format_args!(
            "{}",
            tx.f(
                "terminal.set.more_warnings",
                &[("n", &(tally.result_warnings - super::WARNINGS_SHOWN))]
            )
        ));
    }
    if args.strict && tally.result_warnings > 0 {
        super::note(format_args!(
            "{}",
            tx.f("terminal.set.strict", &[("n", &tally.result_warnings)])
        ));
        return Ok(ExitCode::from(super::EXIT_BAD_INPUT));
    }
    Ok(ExitCode::SUCCESS)
}

/// Runs scenarios `range` of `source` side by side, each on its share of the
/// `threads` (one thread each when there are at least as many scenarios), and
/// hands their outcomes to `tally` in order. A worker takes the next scenario
/// only while it is at most a window ahead of the first unfinished one, so the
/// outcomes waiting for their turn stay few.
fn side_by_side(
    args: &Args,
    source: &dyn super::Source,
    range: std::ops::Range<usize>,
    threads: usize,
    outputs: Outputs,
    signals: &Signals,
    tally: &mut Tally<'_>,
) -> anyhow::Result<()> {
    use std::collections::BTreeMap;
    use std::sync::{Condvar, Mutex, mpsc};
    struct Gate {
        next: usize,
        due: usize,
        halt: bool,
    }
    let window = 4 * threads + 16;
    let gate = Mutex::new(Gate {
        next: range.start,
        due: range.start,
        halt: false,
    });
    let turn = Condvar::new();
    let halt = |gate: &Mutex<Gate>| {
        if let Ok(mut g) = gate.lock() {
            g.halt = true;
        }
        turn.notify_all();
    };
    let (tx, rx) = mpsc::channel::<(usize, anyhow::Result<Outcome>)>();
    let workers = threads.min(range.len());
    let each = threads / workers;
    std::thread::scope(|s| -> anyhow::Result<()> {
        for w in 0..workers {
            let (tx, gate, turn, end) = (tx.clone(), &gate, &turn, range.end);
            std::thread::Builder::new()
                .name(format!("enclave-set-{w}"))
                .spawn_scoped(s, move || {
                    loop {
                        let i = {
                            let Ok(mut g) = gate.lock() else { return };
                            loop {
                                if g.halt || g.next >= end || signals.stopped() {
                                    return;
                                }
                                if g.next < g.due + window {
                                    break;
                                }
                                g = match turn.wait(g) {
                                    Ok(g) => g,
                                    Err(_) => return,
                                };
                            }
                            g.next += 1;
                            g.next - 1
                        };
                        let outcome = one(args, source, i, each, outputs, signals, false);
                        let last =
                            !matches!(outcome, Ok(Outcome::Ran { .. } | Outcome::Skipped { .. }));
                        // The receiver lives until every worker is joined.
                        let _ = tx.send((i, outcome));
                        if last {
                            return;
                        }
                    }
                })
                .context("cannot start a worker thread")?;
        }
        drop(tx);
        let mut pending = BTreeMap::new();
        let mut due = range.start;
        let mut first_error = None;
        for (i, outcome) in rx.iter() {
            if !matches!(outcome, Ok(Outcome::Ran { .. } | Outcome::Skipped { .. })) {
                halt(&gate);
            }
            pending.insert(i, outcome);
            while let Some(outcome) = pending.remove(&due) {
                due += 1;
                if first_error.is_some() || tally.stopped.is_some() {
                    continue;
                }
                match outcome.and_then(|o| tally.add(due - 1, o)) {
                    Ok(()) => {}
                    Err(e) => {
                        halt(&gate);
                        first_error = Some(e);
                    }
                }
            }
            if let Ok(mut g) = gate.lock() {
                g.due = due;
            }
            turn.notify_all();
        }
        first_error.map_or(Ok(()), Err)
    })
}

/// Scenarios named in full in an interrupted set's report; the rest are counted.
const LISTED: usize = 20;

/// Says on stderr what an interrupted run did (`stopped`: the scenario it was
/// running and how far it got) and returns the exit status for the signal.
/// `done` and `not_started` hold the first ids of the scenarios done and not
/// started, and how many there are. Under `--summary-only` (`summary_only`)
/// the completed scenarios were not kept, and a run again starts over.
fn interrupted(
    signals: &Signals,
    stopped: Option<&str>,
    done: (&[String], usize),
    not_started: (&[String], usize),
    summary_only: bool,
    lang: enclave::i18n::Lang,
) -> ExitCode {
    let tx = lang.texts();
    let (signal, status) = signals.status();
    let list = |ids: &[String], count: usize| {
        if count == 0 {
            tx.t("terminal.set.none").to_owned()
        } else if count <= LISTED {
            ids[..count.min(ids.len())].join(", ")
        } else {
            tx.f(
                "terminal.set.more",
                &[
                    ("ids", &ids[..LISTED.min(ids.len())].join(", ")),
                    ("count", &count),
                ],
            )
        }
    };
    let line = match stopped {
        Some(what) => tx.f(
            "terminal.set.interrupted_what",
            &[("signal", &signal), ("what", &what)],
        ),
        None => tx.f("terminal.set.interrupted", &[("signal", &signal)]),
    };
    super::note(format_args!("{line}"));
    super::note(format_args!(
        "{}",
        tx.f("terminal.set.completed", &[("list", &list(done.0, done.1))])
    ));
    if not_started.1 > 0 {
        super::note(format_args!(
            "{}",
            tx.f(
                "terminal.set.not_started",
                &[("list", &list(not_started.0, not_started.1))]
            )
        ));
    }
    let again = if summary_only {
        "terminal.set.again_summary_only"
    } else {
        "terminal.set.again"
    };
    super::note(format_args!("{}", tx.t(again)));
    ExitCode::from(status)
}

/// The run configuration of `scn` under the flags.
pub(super) fn config(args: &Args, scn: &Scenario) -> RunConfig {
    let mut cfg = args.settings.config(scn);
    if args.precision.is_some() {
        // The most it may take: what its budgets are checked against.
        cfg.paths = precision_blocks(args).1;
    }
    cfg
}

/// What part of each scenario's paths this process simulates.
enum Part {
    /// All of them.
    All,
    /// The pilot's (`--pilot`): the first [`engine::PILOT_PATHS`] of a scenario
    /// with more, none of the others.
    Pilot,
    /// A shard's: its range of each scenario.
    Shard(Shard, Vec<std::ops::Range<u64>>),
    /// A replay's (`--replay P`): one path of each, simulated twice (the
    /// record, then its trace). It was held to the full run's budget.
    Replay,
}

impl Part {
    /// The part this run's flags (or the scheduler's variables) select of
    /// scenarios of `paths` paths each; all of them when the shard is not
    /// understood (that is refused later, with its own message).
    fn of(args: &Args, paths: &[u64]) -> Part {
        if args.pilot {
            return Part::Pilot;
        }
        if args.replay.is_some() {
            return Part::Replay;
        }
        match shard_of(args) {
            Ok(Some((s, _))) => Part::Shard(s, shard::split(paths, s)),
            _ => Part::All,
        }
    }

    /// Paths of scenario `i` (of `paths` paths) simulated.
    fn paths(&self, i: usize, paths: u64) -> u64 {
        match self {
            Part::All => paths,
            Part::Pilot if paths > engine::PILOT_PATHS => engine::PILOT_PATHS,
            Part::Pilot => 0,
            Part::Shard(_, ranges) => ranges.get(i).map_or(0, |r| r.end - r.start),
            Part::Replay => 2,
        }
    }
}

/// The expected work of the scenarios this process simulates (a shard's, the
/// pilot's, or all of their paths), against `--max-work`: one budget for the
/// whole set, so that a sweep of many scenarios is refused once, with its total,
/// as one large scenario is.
#[derive(Default)]
struct WorkBudget {
    /// Scenarios counted, and their work.
    scenarios: usize,
    total: f64,
    /// The scenarios of the most work, at most [`WorkBudget::NAMED`] (file,
    /// work), most first.
    largest: Vec<(String, f64)>,
    /// The one scenario's message, while only one is counted.
    alone: Option<String>,
}

impl WorkBudget {
    /// Scenarios named in a set's refusal.
    const NAMED: usize = 3;

    /// Counts scenario `i` of the set (`c`, with expected cost `e`).
    fn add(&mut self, c: &Checked, e: &engine::Estimate, part: &Part, i: usize) {
        let (paths, ran) = (c.paths, part.paths(i, c.paths));
        // The estimate is linear in paths.
        let work = if paths == 0 {
            0.0
        } else {
            e.work / paths as f64 * ran as f64
        };
        self.scenarios += 1;
        self.total += work;
        // A scenario with no paths in this shard is not among "the most".
        if work > 0.0 {
            self.largest.push((c.file.clone(), work));
        }
        self.largest
            .sort_by(|a, b| b.1.partial_cmp(&a.1).unwrap_or(std::cmp::Ordering::Less));
        self.largest.truncate(Self::NAMED);
        self.alone = (self.scenarios == 1).then(|| Self::explained(c, e, part, ran, work));
    }

    /// How the work of one scenario is counted: `FILE: work of up to W
    /// firm-years (…)`.
    fn explained(c: &Checked, e: &engine::Estimate, part: &Part, ran: u64, work: f64) -> String {
        let counted = match part {
            Part::All => String::new(),
            Part::Pilot => format!(" for the pilot's {ran} of its {} paths", c.paths),
            Part::Shard(s, _) => format!(" for {s}'s {ran} of its {} paths", c.paths),
            Part::Replay => " for the replay's path, simulated twice".to_owned(),
        };
        format!(
            "{}: work of up to {work:.2e} firm-years{counted} ({ran} paths × {} years × ({} × ({:.1} arrivals + {:.0} firms) + {} evaluations) a year)",
            c.file,
            c.horizon,
            if e.parks > 1.0 {
                format!("{} parks (the park and its coalitions')", e.parks)
            } else {
                "1 park".to_owned()
            },
            e.arrivals_per_year,
            e.firms_per_year,
            e.evaluations_per_year,
        )
    }

    /// Why the scenarios counted are over the budget, if they are.
    fn refusal(&self, args: &Args, part: &Part) -> Option<String> {
        let total = self.total;
        let advice = match part {
            Part::All => "lower --paths or --horizon",
            Part::Pilot | Part::Replay => "lower --horizon",
            Part::Shard(..) => "use more shards, lower --paths or --horizon",
        };
        let what = match &self.alone {
            Some(one) if self.scenarios == 1 => one.clone(),
            _ => {
                let counted = match part {
                    Part::All => String::new(),
                    Part::Pilot => " for the pilots' paths".to_owned(),
                    Part::Shard(s, _) => format!(" for {s}'s paths"),
                    Part::Replay => " for the replays' paths".to_owned(),
                };
                let largest: Vec<String> = self
                    .largest
                    .iter()
                    .map(|(file, work)| format!("{file} {work:.2e}"))
                    .collect();
                format!(
                    "the set's {} scenarios: work of up to {total:.2e} firm-years{counted} (the most: {}{})",
                    self.scenarios,
                    largest.join(", "),
                    if self.scenarios > largest.len() {
                        ", …"
                    } else {
                        ""
                    }
                )
            }
        };
        over_budget(total, args.max_work, &what, advice)
    }
}

/// The refusal of work `work` (firm-years) above the budget `max_work`, `what`
/// saying what it is and how it was counted, `advice` how to lower it; `None`
/// within the budget. `run`, `solve` and `sensitivity` refuse alike.
pub(super) fn over_budget(work: f64, max_work: f64, what: &str, advice: &str) -> Option<String> {
    (work.is_nan() || work > max_work).then(|| {
        format!(
            "{what} is above the budget of {max_work:.2e}; {advice}, or raise the budget with --max-work {:.1e}",
            work * 1.01
        )
    })
}

/// Why the run of `l` would be refused, before any starts: the id of a set's
/// folder, arrivals beyond their limit over
/// a `--horizon` longer than the file's, or expected memory over its budget.
/// Each message says the limit and how to change it. The run's expected cost
/// goes into `estimate` (when it gets that far), for [`work_refusal`], which
/// needs the paths this process simulates of it.
fn refusals(
    args: &Args,
    l: &super::Loaded,
    estimate: &mut Option<engine::Estimate>,
) -> Vec<String> {
    let mut out = Vec::new();
    let scn = &l.scenario;
    if let Some(p) = &args.precision
        && scn.simulation.sampler.needs_fixed_paths()
    {
        out.push(format!(
            "{}: --precision {} cannot be combined with sampler = \"latin-hypercube\": its strata are 1/N of the run's paths, fixed before the run, and --precision adds paths; use --paths, or the sobol or monte-carlo sampler",
            l.file, p.text
        ));
    }
    let cfg = config(args, scn);
    if let Some(p) = super::horizon_refusal(&l.file, scn, cfg.horizon) {
        out.push(p);
        return out;
    }
    // A sampler that cannot take the run's paths (Sobol past 2^32 points).
    if let Err(e) = engine::run_streams(scn, &cfg) {
        out.push(format!("{}: {e}", l.file));
        return out;
    }
    let e = engine::estimate(scn, &cfg);
    *estimate = Some(e);
    let mib = |bytes: f64| (bytes / f64::from(1u32 << 20)).ceil();
    if e.memory_bytes.is_nan() || e.memory_bytes > args.max_memory as f64 {
        out.push(format!(
            "{}: the run needs about {:.0} MiB of memory ({} alternatives × {} regions × {} years of statistics on {} worker{}), above the budget of {}; use fewer alternatives, a shorter --horizon or fewer --threads, or raise the budget with --max-memory {:.0}M",
            l.file,
            mib(e.memory_bytes),
            scn.alternatives.len(),
            scn.regions.len(),
            cfg.horizon,
            e.workers,
            if e.workers == 1 { "" } else { "s" },
            size_text(args.max_memory),
            mib(e.memory_bytes)
        ));
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

/// The results in `dir` if they are the complete results of this very run: it
/// matches its manifest, its files load, and run.json records the same scenario
/// (by hash), seed, horizon, engine version and fairness setting (and the
/// per-path files, if asked for), and the same paths, or with `--precision`
/// (`precision`) the same targets, block and most paths: the paths a precision
/// run took are a function of those ([`enclave::convergence`]), not a setting.
/// Whether scenario `i` of `source` has its complete results in its folder,
/// as this run would find them and skip it ([`complete`]).
fn already_complete(args: &Args, source: &dyn super::Source, i: usize) -> bool {
    load(args, source, i).is_ok_and(|l| {
        let scn = &l.scenario;
        let cfg = config(args, scn);
        complete(
            &args.out.join(&scn.id),
            scn,
            &cfg,
            Precision::of(args),
            args.keep_paths,
        )
        .is_some()
    })
}

fn complete(
    dir: &Path,
    scn: &Scenario,
    cfg: &RunConfig,
    precision: Option<Precision<'_>>,
    keep_paths: bool,
) -> Option<(publish::Manifest, Results)> {
    let manifest = publish::verify(dir).ok()?;
    same_run(dir, manifest, scn, cfg, precision, keep_paths)
}

/// [`complete`] for a folder `dir` whose files match its `manifest`.
fn same_run(
    dir: &Path,
    manifest: publish::Manifest,
    scn: &Scenario,
    cfg: &RunConfig,
    precision: Option<Precision<'_>>,
    keep_paths: bool,
) -> Option<(publish::Manifest, Results)> {
    let results = Results::load(dir).ok()?;
    let run = &results.run;
    let paths = match (precision, &run.precision) {
        (None, None) => run.paths == cfg.paths,
        (Some(p), Some(r)) => {
            // Compared as parsed: `npv:0.02` and `npv: 0.020` are one target.
            enclave::convergence::parse(&r.targets).is_ok_and(|t| t == p.targets)
                && r.block == p.block
                && r.max_paths == p.max_paths
                && run.paths <= p.max_paths
        }
        // A plain run's folder for a --precision run, or the other way round:
        // not what this command writes (convergence.csv, run.json's record).
        _ => false,
    };
    let same = paths
        && run.scenario_sha256 == scn.sha256
        && run.seed == cfg.seed
        && run.horizon == cfg.horizon
        && run.coalitions == scn.fairness()
        && run.engine == RunRecord::engine_name()
        && run.math == enclave::mathlib::fingerprint()
        && (!keep_paths || PATHS_FILES.iter().all(|f| manifest.contains(f)));
    same.then_some((manifest, results))
}

/// What `--precision` asks of a run, as its run.json records it.
#[derive(Debug, Clone, Copy)]
struct Precision<'a> {
    targets: &'a [enclave::convergence::Target],
    block: u64,
    max_paths: u64,
}

impl Precision<'_> {
    fn of(args: &Args) -> Option<Precision<'_>> {
        let p = args.precision.as_ref()?;
        let (block, max_paths) = precision_blocks(args);
        Some(Precision {
            targets: &p.targets,
            block,
            max_paths,
        })
    }
}

/// The settings a skipped scenario's results share with this run, as the skip
/// notes say them: its paths, or with `--precision` the targets and bounds.
fn skip_settings(args: &Args, lang: enclave::i18n::Lang) -> &'static str {
    lang.texts().t(if args.precision.is_some() {
        "terminal.set.same_precision"
    } else {
        "terminal.set.same_paths"
    })
}

/// What [`draw_missing`] drew into a skipped scenario's folder.
#[derive(Debug, Default)]
struct Drawn {
    /// The files drawn, as patterns such as `charts/*.png`.
    files: Vec<&'static str>,
    /// `--lang`, when the folder's report (or, without one, its charts) was
    /// drawn in another language and so was drawn again in it.
    again_in: Option<enclave::i18n::Lang>,
}

/// The report and chart files `outputs` asks for that the complete results in
/// `dir` (of manifest `manifest`) lack, drawn from those results as `enclave
/// report` draws them, in `lang` (else the scenario's language), and published
/// the same way; the report or charts it had are drawn again with them (a
/// redraw replaces all of them). With `lang`, a report in another language
/// (its `<html lang>`), or charts without a report to tell theirs, are drawn
/// again in `lang` even when nothing is missing: `--lang` asks for the folder
/// in that language. Nothing is drawn when nothing is missing and `lang` is
/// the report's.
fn draw_missing(
    dir: &Path,
    manifest: &publish::Manifest,
    outputs: Outputs,
    lang: Option<enclave::i18n::Lang>,
) -> anyhow::Result<Drawn> {
    let has = |ext: &str| {
        manifest
            .files
            .iter()
            .any(|f| f.name.starts_with("charts/") && f.name.ends_with(ext))
    };
    // The report, png and svg charts: which the folder has, which are asked
    // for, and which it has after the redraw (a redraw keeps what it had).
    let names = [enclave::report::REPORT_FILE, "charts/*.png", "charts/*.svg"];
    let had = [
        manifest.contains(enclave::report::REPORT_FILE),
        has(".png"),
        has(".svg"),
    ];
    let asked = [outputs.report, outputs.charts.png(), outputs.charts.svg()];
    let after: [bool; 3] = std::array::from_fn(|i| had[i] || asked[i]);
    let named = |which: [bool; 3]| -> Vec<&'static str> {
        names
            .into_iter()
            .zip(which)
            .filter_map(|(name, on)| on.then_some(name))
            .collect()
    };
    let missing = named(std::array::from_fn(|i| asked[i] && !had[i]));
    let [report, png, svg] = had;
    let again_in = lang.filter(|&l| {
        if report {
            report_lang(&dir.join(enclave::report::REPORT_FILE)) != Some(l)
        } else {
            png || svg
        }
    });
    let files = match again_in {
        None if missing.is_empty() => return Ok(Drawn::default()),
        None => missing,
        Some(_) => named(after),
    };
    let formats = match (after[1], after[2]) {
        (true, true) => Formats::Both,
        (true, false) => Formats::Png,
        (false, true) => Formats::Svg,
        (false, false) => Formats::None,
    };
    let staging = Staging::redraw(dir, manifest)
        .with_context(|| format!("cannot draw the report and charts of {}", dir.display()))?;
    super::report::write(staging.path(), after[0], formats, lang)?;
    staging
        .publish()
        .with_context(|| format!("cannot draw the report and charts of {}", dir.display()))?;
    Ok(Drawn { files, again_in })
}

/// The language of the report page at `path`: its `<html lang="…">` near the
/// top, as [`enclave::report`] writes it; `None` when it cannot be read or
/// names no known language.
fn report_lang(path: &Path) -> Option<enclave::i18n::Lang> {
    use std::io::Read;
    let mut head = [0u8; 256];
    let mut file = std::fs::File::open(path).ok()?;
    let n = file.read(&mut head).ok()?;
    let head = std::str::from_utf8(&head[..n]).ok()?;
    let tag = head.split("<html lang=\"").nth(1)?.split('"').next()?;
    enclave::i18n::Lang::ALL
        .into_iter()
        .find(|l| l.html_tag() == tag)
}

/// Runs scenario `i` of `source` on `threads` worker threads and writes what
/// `outputs` asks: its folder (in a staging folder, published when complete) and
/// the rows the set needs. A scenario whose complete results are already in its
/// folder is skipped unless `--force`. With `bar`, a progress bar counts its paths.
fn one(
    args: &Args,
    source: &dyn super::Source,
    i: usize,
    threads: usize,
    outputs: Outputs,
    signals: &Signals,
    bar: bool,
) -> anyhow::Result<Outcome> {
    let loaded = load(args, source, i).map_err(anyhow::Error::msg)?;
    let scn = &loaded.scenario;
    let cfg = RunConfig {
        threads,
        ..config(args, scn)
    };
    let target = args.out.join(&scn.id);
    // The folder's files checked against its manifest once (paths.csv can be
    // large): complete results are skipped; a folder whose files no longer
    // match is replaced by this run's results, which is said, as a rerun
    // replaced an edited report.html or a cut summary.csv without a word
    // (exploratory test).
    let verified =
        (outputs.folders && !args.force && target.join(publish::MANIFEST_FILE).is_file())
            .then(|| publish::verify(&target));
    if let Some(Err(e @ publish::PublishError::Damaged { .. })) = &verified {
        super::note(format_args!(
            "note: {}: {e}; the scenario runs again and its results replace the folder",
            target.display()
        ));
    }
    if let Some(Ok(manifest)) = verified
        && let Some((manifest, results)) = same_run(
            &target,
            manifest,
            scn,
            &cfg,
            Precision::of(args),
            args.keep_paths,
        )
    {
        let drawn = draw_missing(&target, &manifest, outputs, args.lang)?;
        if !outputs.set {
            super::retire_stale_set(&args.out, &results.run)?;
        }
        let paths = results.run.paths;
        // Its results' warnings and an unmet --precision, said again as when it
        // ran (a rerun said nothing, and passed --strict: exploratory test).
        let checks = enclave::report::result_checks(&results);
        if let Some(u) = enclave::report::unmet_precision(&results) {
            super::note(format_args!("warning: {}: {u}", scn.id));
        }
        let (warnings, warnings_zh) = if outputs.set {
            let zh = enclave::report::run_warnings_in(&results, enclave::i18n::Lang::Zh);
            (results.run.warnings, zh)
        } else {
            (Vec::new(), Vec::new())
        };
        let rows = if outputs.set {
            results.summary
        } else {
            Vec::new()
        };
        return Ok(Outcome::Skipped {
            loaded,
            rows,
            paths,
            drawn,
            checks,
            warnings,
            warnings_zh,
        });
    }
    let staging = if outputs.folders {
        Some(
            Staging::create(&args.out, &scn.id)
                .with_context(|| format!("cannot write results into {}", args.out.display()))?,
        )
    } else {
        None
    };
    let bar = if !bar || args.quiet || !std::io::stderr().is_terminal() {
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
    let mut paths_writer = match (&staging, args.keep_paths) {
        (Some(staging), true) => Some(PathsWriter::create(staging.path(), scn)?),
        _ => None,
    };
    let mut write_error = None;
    let started = Instant::now();
    let what = Observe {
        records: paths_writer.is_some(),
        stop: Some(&signals.stop),
        // A --summary-only set reads only the headline measures' quantiles.
        headline: !outputs.folders,
    };
    let mut observe = |batch: engine::Batch<'_>| {
        bar.inc(batch.paths as u64);
        if let Some(w) = paths_writer.as_mut()
            && write_error.is_none()
            && let Err(e) = w.write_batch(scn, &batch)
        {
            write_error = Some(e);
        }
    };
    let mut converged = None;
    let result = match &args.precision {
        None => engine::run(scn, &cfg, what, &mut observe),
        Some(p) => {
            let (block, max) = precision_blocks(args);
            enclave::convergence::run(scn, &cfg, &p.targets, block, max, what, &mut observe).map(
                |c| {
                    converged = Some((p, block, max, c.rows, c.met, c.blocks));
                    c.state
                },
            )
        }
    };
    let elapsed = started.elapsed().as_secs_f64();
    bar.finish_and_clear();
    let stopped = |how| {
        Ok(Outcome::Stopped {
            id: scn.id.clone(),
            how,
            paths: cfg.paths,
        })
    };
    let state = match result {
        Err(EngineError::Interrupted { completed_paths }) => {
            return stopped(Stopped::Simulating(completed_paths));
        }
        result => result?,
    };
    if let Some(e) = write_error {
        return Err(e.into());
    }
    if let Some(w) = paths_writer {
        w.finish()?;
    }
    let work = (state.paths(), state.firm_years);
    let checks = result_checks(scn, &state);
    let warnings: Vec<String> = checks.iter().map(ToString::to_string).collect();
    // A --precision run is recorded as the plain run of the paths it took.
    let cfg = RunConfig {
        paths: state.paths(),
        ..cfg
    };
    // Targets not met by --max-paths: one of the run's recorded warnings, so that
    // run.json, the set's warnings.csv and the reports say so, not only stderr.
    let unmet = match &converged {
        Some((p, _, _, rows, false, _)) => Some(enclave::convergence::Unmet::new(
            scn, &p.text, cfg.paths, rows,
        )),
        _ => None,
    };
    if let Some(u) = &unmet {
        super::note(format_args!("warning: {}: {u}", scn.id));
    }
    // The recorded warnings in Chinese, for a set's warnings.csv.
    let in_chinese = |recorded: &[String]| {
        let mut known = enclave::scenario::guardrails::check_at(scn, cfg.horizon);
        known.extend(checks.iter().cloned());
        enclave::report::recorded_in(recorded, &known, unmet.as_ref(), enclave::i18n::Lang::Zh)
    };
    // The set's rows are read back from summary.csv's own bytes, so they hold
    // its numbers to the last digit.
    let name = target.join(output::SUMMARY_FILE);
    let set_rows = |bytes: &[u8]| -> anyhow::Result<Vec<SummaryRow>> {
        Ok(if outputs.set {
            enclave::results::parse_summary(bytes, &name)?
        } else {
            Vec::new()
        })
    };
    let Some(staging) = staging else {
        // As run.json would record them.
        let mut recorded = output::input_warnings(scn, cfg.horizon);
        recorded.extend(warnings.iter().cloned());
        recorded.extend(unmet.iter().map(ToString::to_string));
        return Ok(Outcome::Ran {
            text: None,
            warnings: checks.clone(),
            recorded_zh: in_chinese(&recorded),
            recorded,
            rows: set_rows(&output::headline_summary_csv(scn, &state, &name)?)?,
            loaded,
            work,
        });
    };
    let dir = staging.path().to_owned();
    let threads = engine::resolve_threads(cfg.threads);
    let mut record = RunRecord::new(
        scn,
        &loaded.file,
        &cfg,
        &state,
        enclave::mathlib::fingerprint(),
        threads,
        elapsed,
    );
    record.warnings.extend(warnings.iter().cloned());
    record
        .warnings
        .extend(unmet.iter().map(ToString::to_string));
    if let Some((p, block, max, rows, met, blocks)) = &converged {
        record.precision = Some(enclave::convergence::PrecisionRecord {
            targets: p.text.clone(),
            block: *block,
            max_paths: *max,
            blocks: *blocks,
            met: *met,
        });
        enclave::convergence::write(&dir, scn, rows)?;
    }
    let rows = set_rows(&output::write_results(&dir, scn, &state, &record)?)?;
    if signals.stopped() {
        return stopped(Stopped::Writing);
    }
    super::report::write(&dir, outputs.report, outputs.charts, args.lang)?;
    if signals.stopped() {
        return stopped(Stopped::Writing);
    }
    staging
        .publish()
        .with_context(|| format!("cannot publish the results in {}", target.display()))?;
    if !outputs.set {
        super::retire_stale_set(&args.out, &record)?;
    }
    let text = outputs.verbose.then(|| {
        let lang = args.lang.unwrap_or(scn.lang);
        let mut text = summary(scn, &state, &target, elapsed, outputs.report, lang);
        if let Some((p, block, _, _, true, blocks)) = &converged {
            text.push_str(&format!(
                "precision {} met after {} paths ({blocks} blocks of {block}); running estimates: {}\n",
                p.text,
                cfg.paths,
                target
                    .join(enclave::convergence::CONVERGENCE_FILE)
                    .display()
            ));
        }
        text
    });
    Ok(Outcome::Ran {
        text,
        rows,
        warnings: checks.clone(),
        recorded_zh: in_chinese(&record.warnings),
        recorded: record.warnings,
        loaded,
        work,
    })
}

/// The run's headline results outside their plausible ranges (docs/scenario.md
/// "Plausible ranges"; [`enclave::scenario::guardrails::check_results`]).
pub(super) fn result_checks(
    scn: &Scenario,
    state: &RunState,
) -> Vec<enclave::scenario::guardrails::Warning> {
    use enclave::schema::{ParkMetric, ParkSeries};
    let layout = &state.layout;
    let mean = |m: ParkMetric| state.stats.summary(layout.park_metric(m)).mean;
    let job_years: f64 = (0..layout.horizon)
        .map(|t| {
            state
                .stats
                .summary(layout.park_series(ParkSeries::Jobs, t))
                .mean
        })
        .sum();
    enclave::scenario::guardrails::check_results(
        scn,
        mean(ParkMetric::TaxPerMu),
        mean(ParkMetric::OutputPerMu),
        mean(ParkMetric::TaxTotal),
        job_years,
    )
}

/// The one-screen summary: per alternative and region, mean NPV, its 90% interval and P(NPV < 0).
pub(super) fn summary(
    scn: &Scenario,
    state: &RunState,
    dir: &Path,
    elapsed: f64,
    report: bool,
    lang: enclave::i18n::Lang,
) -> String {
    use std::fmt::Write;
    let tx = lang.texts();
    let mut s = String::new();
    let layout = state.layout;
    let unit = enclave::i18n::money_label(lang, &scn.money_basis());
    // Writing into a String cannot fail.
    let _ = writeln!(
        s,
        "{}",
        tx.f(
            "terminal.headline",
            &[
                ("scenario", &scn.name),
                ("paths", &state.paths()),
                ("years", &layout.horizon),
                ("seconds", &format!("{elapsed:.1}")),
                (
                    "rate",
                    &super::firm_year_rate(lang, state.firm_years as f64 / elapsed.max(1e-9), 1)
                ),
                ("unit", &unit),
            ]
        )
    );
    let alt_width = super::column_width(
        scn.alternatives
            .iter()
            .map(|a| a.name.as_str())
            .chain([tx.t("terminal.alternative")]),
        11,
    );
    let region_width = super::column_width(
        scn.regions
            .iter()
            .map(|r| r.id.as_str())
            .chain([tx.t("terminal.region")]),
        6,
    );
    // The sampler and copula (with any repair), when not plain Monte Carlo.
    if scn.simulation.sampler != enclave::sampling::Sampler::default()
        || scn.params.correlation().is_some()
    {
        let what = scn.params.describe_in(scn.simulation.sampler, lang);
        let _ = writeln!(s, "{}", tx.f("terminal.sampling", &[("what", &what)]));
    }
    // Each column as wide as its header in the language shown, at least its numbers.
    let width = |key: &str, numbers: usize| super::column_width([tx.t(key)], numbers);
    let (w_mean, w_interval, w_loss) = (
        width("terminal.mean_npv", 10),
        width("terminal.interval", 24),
        width("terminal.loss", 9),
    );
    let _ = writeln!(
        s,
        "{}  {}  {}  {}  {}",
        pad(tx.t("terminal.alternative"), alt_width),
        pad(tx.t("terminal.region"), region_width),
        lpad(tx.t("terminal.mean_npv"), w_mean),
        lpad(tx.t("terminal.interval"), w_interval),
        lpad(tx.t("terminal.loss"), w_loss)
    );
    let digits = npv_decimals(scn, state);
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
                "{}  {}  {}  {}  {}",
                pad(&alt.name, alt_width),
                pad(&region.id, region_width),
                lpad(&format!("{:.digits$}", npv.mean), w_mean),
                lpad(
                    &format!("[{:>10.digits$}, {:>10.digits$}]", q[0], q[1]),
                    w_interval
                ),
                lpad(&format!("{:.1}%", 100.0 * p_neg), w_loss)
            );
        }
    }
    s.push_str(&fairness_ranking(scn, state, alt_width, region_width, lang));
    s.push_str(&too_short(scn, state));
    let shown = dir.display().to_string();
    if report {
        let page = dir.join(enclave::report::REPORT_FILE).display().to_string();
        let _ = writeln!(
            s,
            "{}",
            tx.f(
                "terminal.results_report",
                &[("dir", &shown), ("report", &page)]
            )
        );
    } else {
        let _ = writeln!(s, "{}", tx.f("terminal.results", &[("dir", &shown)]));
    }
    s
}

/// [`enclave::report::money_decimals`] of the run's mean NPVs.
fn npv_decimals(scn: &Scenario, state: &RunState) -> usize {
    let layout = &state.layout;
    enclave::report::money_decimals(
        (0..scn.alternatives.len())
            .flat_map(|a| (0..scn.regions.len()).map(move |r| (a, r)))
            .map(|(a, r)| {
                state
                    .stats
                    .summary(layout.region_metric(a, r, RegionMetric::Npv))
                    .mean
            }),
    )
}

/// The alternatives ranked by the probability that every region participates,
/// then by the Nash product, each with its lead on the next (the difference on
/// the same paths, ± its 95% margin, marked ≈ when within it: the order is then
/// noise) and its regions' mean NPV, gap to the Shapley value (± its 95% margin)
/// and participation probability (fairness.csv has them all, with standard
/// errors).
fn fairness_ranking(
    scn: &Scenario,
    state: &RunState,
    alt_width: usize,
    region_width: usize,
    lang: enclave::i18n::Lang,
) -> String {
    use enclave::convergence::Z95;
    use enclave::fairness::{Estimate, Metric, Table, TieBreak, tie_break, tied, within_noise};
    use std::fmt::Write;
    let table = Table::from_run(scn, state);
    let est =
        |a: usize, r: Option<usize>, m: Metric| table.get(a, r, m).unwrap_or(Estimate::UNDEFINED);
    let get = |a: usize, r: Option<usize>, m: Metric| est(a, r, m).mean;
    let order = enclave::fairness::ranking(
        scn.alternatives.len(),
        |a| get(a, None, Metric::JointParticipation),
        |a| get(a, None, Metric::NashProduct),
    );
    let tx = lang.texts();
    // Percentage points: 个百分点 in Chinese.
    let pp = tx.t("chart.unit.pp");
    let digits = npv_decimals(scn, state);
    // Enough digits that the products the order rests on read apart.
    let nash_decimals = enclave::fairness::product_decimals(
        &(0..scn.alternatives.len())
            .map(|a| get(a, None, Metric::NashProduct))
            .collect::<Vec<_>>(),
    );
    let mut s = String::new();
    let _ = writeln!(s, "\n{}", tx.t("terminal.fairness"));
    // Each column as wide as its header in the language shown, at least its numbers.
    let width = |key: &str, numbers: usize| super::column_width([tx.t(key)], numbers);
    let (w_all, w_lead, w_nash, w_mean, w_gap, w_part) = (
        width("terminal.all", 7),
        // `+12.10 ± 11.19 pp ≈`: 17 columns and the unit's.
        width("terminal.lead", 17 + super::text_width(pp)),
        width("terminal.nash", 16 + nash_decimals),
        width("terminal.mean_npv", 10),
        width("terminal.gap", 17),
        width("terminal.participate", 11),
    );
    let _ = writeln!(
        s,
        "{:>2}  {}  {}  {}  {}  {}  {}  {}  {}",
        "#",
        pad(tx.t("terminal.alternative"), alt_width),
        lpad(tx.t("terminal.all"), w_all),
        lpad(tx.t("terminal.lead"), w_lead),
        lpad(tx.t("terminal.nash"), w_nash),
        pad(tx.t("terminal.region"), region_width),
        lpad(tx.t("terminal.mean_npv"), w_mean),
        lpad(tx.t("terminal.gap"), w_gap),
        lpad(tx.t("terminal.participate"), w_part)
    );
    // `x ± 1.96 se`, right-aligned in `width`; `± –` without an se, `–` without x.
    let margin = |e: Estimate, width: usize, digits: usize| {
        let text = if e.mean.is_nan() {
            "–".to_owned()
        } else if e.se.is_finite() {
            format!("{:.digits$} ± {:.digits$}", e.mean, Z95 * e.se)
        } else {
            format!("{:.digits$} ± –", e.mean)
        };
        lpad(&text, width)
    };
    let number = |x: f64, width: usize, digits: usize| {
        if x.is_nan() {
            lpad("–", width)
        } else {
            lpad(&format!("{x:.digits$}"), width)
        }
    };
    // The Nash product is in money^n: powers of ten read better.
    let product = |e: Estimate| {
        let text = if e.mean.is_nan() {
            "–".to_owned()
        } else if e.se.is_finite() {
            format!("{:.nash_decimals$e} ± {:.1e}", e.mean, Z95 * e.se)
        } else {
            format!("{:.nash_decimals$e} ± –", e.mean)
        };
        lpad(&text, w_nash)
    };
    let percent = |x: f64, width: usize| lpad(&format!("{:.1}%", 100.0 * x), width);
    let mut noise = false;
    // Ties (equal P(all) on every path) and what breaks each: the note says
    // which of [exact Nash products, the file's order, products with margins].
    let (mut tie, mut breaks) = (false, [false; 3]);
    for (rank, &a) in order.iter().enumerate() {
        for (r, region) in scn.regions.iter().enumerate() {
            let head = if r == 0 {
                let lead = est(a, None, Metric::JointParticipationOverNext);
                let lead_text = if lead.mean.is_nan() {
                    "–".to_owned()
                } else {
                    let se = if lead.se.is_finite() {
                        format!("{:.2}", 100.0 * Z95 * lead.se)
                    } else {
                        "–".to_owned()
                    };
                    let mark = if tied(lead.mean, lead.se) {
                        tie = true;
                        if let Some(&next) = order.get(rank + 1) {
                            breaks[tie_break(
                                est(a, None, Metric::NashProduct),
                                est(next, None, Metric::NashProduct),
                            ) as usize] = true;
                        }
                        " ="
                    } else if within_noise(lead.mean, lead.se) == Some(true) {
                        noise = true;
                        " ≈"
                    } else {
                        "  "
                    };
                    format!("{:+.2} ± {se} {pp}{mark}", 100.0 * lead.mean)
                };
                format!(
                    "{:>2}  {}  {}  {}  {}",
                    rank + 1,
                    pad(&scn.alternatives[a].name, alt_width),
                    percent(get(a, None, Metric::JointParticipation), w_all),
                    lpad(&lead_text, w_lead),
                    product(est(a, None, Metric::NashProduct))
                )
            } else {
                " ".repeat(2 + 2 + alt_width + 2 + w_all + 2 + w_lead + 2 + w_nash)
            };
            let _ = writeln!(
                s,
                "{head}  {}  {}  {}  {}",
                pad(&region.id, region_width),
                number(get(a, Some(r), Metric::Npv), w_mean, digits),
                margin(est(a, Some(r), Metric::ShapleyGap), w_gap, digits),
                percent(get(a, Some(r), Metric::Participation), w_part)
            );
        }
    }
    if tie {
        let then: Vec<&str> = [
            (TieBreak::Exact, "terminal.tie_exact"),
            (TieBreak::FileOrder, "terminal.tie_file_order"),
            (TieBreak::Margins, "terminal.tie_margins"),
        ]
        .iter()
        .filter(|(b, _)| breaks[*b as usize])
        .map(|(_, key)| tx.t(key))
        .collect();
        let then = then.join(tx.t("terminal.clause_separator"));
        let _ = writeln!(s, "{}", tx.f("terminal.tie_note", &[("then", &then)]));
    }
    if noise {
        let _ = writeln!(s, "{}", tx.t("terminal.noise_note"));
    }
    if !table.coalitions {
        let _ = writeln!(s, "{}", tx.t("terminal.no_coalitions"));
    }
    s
}

/// `--replay P`: replays path P of each scenario of `source` and writes its
/// detail to DIR/<scenario id>.replay-P/.
fn replay(args: &Args, source: &dyn super::Source, p: u64) -> anyhow::Result<ExitCode> {
    super::prepare_out(&args.out, args.quiet)?;
    // Ctrl-C or SIGTERM stops it between steps, before a folder is published
    // (it ran to the end and exited 0: exploratory test).
    let signals = Signals::install()?;
    let mut written: Vec<String> = Vec::new();
    let stop = |written: &[String]| {
        let (signal, status) = signals.status();
        super::note(format_args!(
            "interrupted by {signal}: the replay stopped; replays written: {}",
            super::list_or_none(written.iter())
        ));
        Ok(ExitCode::from(status))
    };
    for i in 0..source.len() {
        if signals.stopped() {
            return stop(&written);
        }
        let loaded = load(args, source, i).map_err(anyhow::Error::msg)?;
        let scn = &loaded.scenario;
        let cfg = config(args, scn);
        let r = match enclave::replay::replay(scn, &cfg, p) {
            Ok(r) => r,
            Err(e @ enclave::replay::ReplayError::Disagrees { .. }) => return Err(e.into()),
            Err(e) => {
                super::note(format_args!("error: {}: {e}", scn.id));
                return Ok(ExitCode::from(super::EXIT_BAD_INPUT));
            }
        };
        if p >= cfg.paths {
            // A run of p + 1 paths holds it, when there can be one (the replay
            // refused a path beyond a Sobol design's).
            let held = if p < u64::MAX {
                format!(": a run of more than {p} paths holds it")
            } else {
                String::new()
            };
            super::note(format_args!(
                "note: path {p} is beyond {}'s {} paths (0 to {}); it is replayed all the same (a path is its index in the named streams{held})",
                scn.id,
                cfg.paths,
                cfg.paths - 1
            ));
        }
        let name = enclave::replay::folder_name(&scn.id, p);
        if let Some(problem) = super::place_refusal(&args.out, &name) {
            super::note(format_args!("error: {problem}"));
            return Ok(ExitCode::from(super::EXIT_BAD_INPUT));
        }
        if signals.stopped() {
            return stop(&written);
        }
        let record = enclave::replay::ReplayRecord {
            engine: enclave::output::RunRecord::engine_name(),
            scenario_id: scn.id.clone(),
            scenario_file: loaded.file.clone(),
            scenario_sha256: scn.sha256.clone(),
            seed: cfg.seed,
            path: p,
            paths: cfg.paths,
            horizon: cfg.horizon,
            coalitions: scn.fairness(),
            prng: enclave::engine::PRNG_NAME.to_owned(),
            sampler: scn.params.describe(scn.simulation.sampler),
            math: enclave::mathlib::fingerprint().to_owned(),
        };
        let staging = Staging::create(&args.out, &name)
            .with_context(|| format!("cannot write results into {}", args.out.display()))?;
        let dir = args.out.join(&name);
        enclave::replay::write(staging.path(), scn, &r, &record)
            .with_context(|| format!("cannot write the replay into {}", dir.display()))?;
        if signals.stopped() {
            return stop(&written);
        }
        staging
            .publish()
            .with_context(|| format!("cannot publish the replay in {}", dir.display()))?;
        written.push(name);
        if !args.quiet {
            let j =
                |a: usize, reg: usize| r.record[r.layout.region_metric(a, reg, RegionMetric::Npv)];
            let mut line = format!(
                "replayed path {p} of {} (seed {}, {} years): {} firm-years",
                scn.id, cfg.seed, cfg.horizon, r.economy.firm_years
            );
            let digits = enclave::report::money_decimals(
                (0..scn.alternatives.len())
                    .flat_map(|a| (0..scn.regions.len()).map(move |reg| (a, reg)))
                    .map(|(a, reg)| j(a, reg)),
            );
            for (a, alt) in scn.alternatives.iter().enumerate() {
                let npvs: Vec<String> = scn
                    .regions
                    .iter()
                    .enumerate()
                    .map(|(reg, region)| format!("{} {:.digits$}", region.id, j(a, reg)))
                    .collect();
                line.push_str(&format!("; NPV under {}: {}", alt.name, npvs.join(", ")));
            }
            println!("{line}\nreplay: {}", dir.display());
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Paths below which the terminal's 90% interval (P5, P95) is flagged: fewer
/// than 5 paths in each tail.
pub const SHORT_FOR_PERCENTILES: u64 = 100;

/// Paths on the rarer side of a probability below which it is flagged (when its
/// exact 95% interval is also wider than [`SHORT_INTERVAL_WIDTH`]).
pub const SHORT_FOR_PROBABILITY: u64 = 10;

/// Width of a probability's 95% interval (2 percentage points) above which a
/// probability resting on few paths is flagged.
pub const SHORT_INTERVAL_WIDTH: f64 = 0.02;

/// Notes on the statistics the terminal summary prints that the run is too short
/// for: with one path, that no sd or se is defined; the 90% interval with fewer
/// than [`SHORT_FOR_PERCENTILES`] paths; and each
/// probability (P(NPV<0), P(all), participation) with fewer than
/// [`SHORT_FOR_PROBABILITY`] paths on one side and a Clopper–Pearson 95% interval
/// wider than [`SHORT_INTERVAL_WIDTH`], given with that interval.
fn too_short(scn: &Scenario, state: &RunState) -> String {
    use enclave::schema::AltMetric;
    use enclave::stats::interval::Proportion;
    let layout = state.layout;
    let paths = state.paths();
    let mut notes = Vec::new();
    if paths == 1 {
        notes.push(format!(
            "only 1 path: the standard deviations and standard errors are undefined, as one value has no spread (empty cells in summary.csv, timeseries.csv and fairness.csv, ± – in the report), and the 90% interval is that path's value; use at least {SHORT_FOR_PERCENTILES} paths"
        ));
    } else if paths < SHORT_FOR_PERCENTILES {
        notes.push(format!(
            "only {paths} paths: the 90% intervals' ends (P5, P95) rest on fewer than 5 paths in each tail; use at least {SHORT_FOR_PERCENTILES} paths (summary.csv gives each percentile's 95% interval)"
        ));
    }
    let mut rare = Vec::new();
    let mut probability = |label: String, j: usize| {
        let s = state.stats.summary(j);
        let Some(Proportion {
            k,
            n,
            low: lo,
            high: hi,
        }) = Proportion::of_mean(s.mean, s.n)
        else {
            return;
        };
        // Flagged when it is also uncertain at the printed scale: 10,000 paths
        // with none on one side give an interval 0.04 pp wide, not worth a note.
        let flagged = k.min(n - k) < SHORT_FOR_PROBABILITY && hi - lo > SHORT_INTERVAL_WIDTH;
        if flagged && state.stats.has_pairs() {
            // The exact (Clopper–Pearson) interval takes independent paths.
            rare.push(format!(
                "{label} {:.1}% ({k} of {n} paths in antithetic pairs; no exact interval, as the paths of a pair are not independent)",
                100.0 * s.mean,
            ));
        } else if flagged {
            rare.push(format!(
                "{label} {:.1}% ({k} of {n}; 95% interval {:.1}% to {:.1}%)",
                100.0 * s.mean,
                100.0 * lo,
                100.0 * hi
            ));
        }
    };
    for (a, alt) in scn.alternatives.iter().enumerate() {
        for (r, region) in scn.regions.iter().enumerate() {
            probability(
                format!("P(NPV<0) of {} under {}", region.id, alt.name),
                layout.region_metric(a, r, RegionMetric::NpvNegative),
            );
            probability(
                format!("P(participates) of {} under {}", region.id, alt.name),
                layout.region_metric(a, r, RegionMetric::Participates),
            );
        }
        probability(
            format!("P(all) under {}", alt.name),
            layout.alt_metric(a, AltMetric::JointParticipation),
        );
    }
    const SHOWN: usize = 3;
    if !rare.is_empty() {
        let more = rare.len().saturating_sub(SHOWN);
        notes.push(format!(
            "{} probabilit{} rest on fewer than {SHORT_FOR_PROBABILITY} paths on one side, so read {} with {} exact interval: {}{}",
            rare.len(),
            if rare.len() == 1 { "y" } else { "ies" },
            if rare.len() == 1 { "it" } else { "them" },
            if rare.len() == 1 { "its" } else { "their" },
            rare[..rare.len().min(SHOWN)].join("; "),
            if more > 0 {
                format!("; and {more} more")
            } else {
                String::new()
            }
        ));
    }
    notes.into_iter().map(|n| format!("note: {n}\n")).collect()
}
