//! `enclave run --shard K/N`: compute one shard of a run and write its partials.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;

use enclave::engine::{self, EngineError, Layout, Observe, RunConfig};
use enclave::output;
use enclave::scenario::Scenario;
use enclave::shard::{self, Partial, Pilot, Shard};
use enclave::stats::Plan;

use super::run::{Args, Signals, config};

/// Runs shard `shard` of the scenarios of `set` (already checked against the
/// limits; `paths[i]` paths each, with ids `ids[i]` and run keys `keys[i]`,
/// [`enclave::shard::run_key`]) and writes one partial per scenario it holds paths of,
/// loading only those; `source` says which variables gave the shard when
/// `--shard` did not.
pub fn run(
    args: &Args,
    set: &dyn super::Source,
    paths: &[u64],
    ids: &[String],
    keys: &[String],
    shard: Shard,
    source: Option<&str>,
) -> anyhow::Result<ExitCode> {
    if args.keep_paths {
        super::note(format_args!(
            "error: --keep-paths cannot be combined with shards: run without --shard (or with --shard none) to keep every path"
        ));
        return Ok(ExitCode::from(super::EXIT_BAD_INPUT));
    }
    if let Some(source) = source
        && !args.quiet
    {
        super::note(format_args!(
            "computing {shard} (from {source}); --shard none runs everything"
        ));
    }
    let signals = Signals::install()?;
    super::create_out(&args.out, &args.out)?;
    let ranges = shard::split(paths, shard);
    let set_id = shard::set_id(keys);
    if ranges.iter().all(|r| r.is_empty()) && !args.quiet {
        super::note(format_args!(
            "{shard} holds no paths (the scenarios have fewer batches of {} paths than there are shards); nothing to do",
            engine::BATCH_PATHS
        ));
    }
    let mut out = super::Stdout::default();
    let mut written: Vec<PathBuf> = Vec::new();
    for (i, range) in ranges.into_iter().enumerate() {
        if range.is_empty() {
            // This shard's partial of the scenario from an earlier run (of more
            // paths, or fewer shards' worth of batches) would be merged with the
            // others and refused: it goes, as a partial written again would.
            if let Some(id) = ids.get(i) {
                let stale = Partial::path_in(&args.out, id, shard);
                if stale.is_file() {
                    std::fs::remove_file(&stale)
                        .with_context(|| format!("cannot remove {}", stale.display()))?;
                    super::note(format_args!(
                        "removed {}: {shard} holds none of {id}'s paths in this run",
                        stale.display()
                    ));
                }
            }
            continue;
        }
        let l = super::run::load(args, set, i).map_err(anyhow::Error::msg)?;
        let scn = &l.scenario;
        let cfg = config(args, scn);
        // The partial's folder first: a file in its place fails the shard now,
        // not after the simulation.
        let path = Partial::path_in(&args.out, &scn.id, shard);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
        }
        let started = Instant::now();
        // A --summary-only set keeps quantiles for the headline measures only.
        let what = Observe {
            stop: Some(&signals.stop),
            headline: args.summary_only,
            ..Observe::default()
        };
        let plan = Layout::new(scn, cfg.horizon).plan_for(args.summary_only);
        let pilot = pilot_of(args, scn, &cfg, &plan);
        // What the shard took from the pilot, for its line, and the seconds the
        // pilot took to simulate the paths whose statistics it takes.
        let mut reused = None;
        let mut pilot_seconds = 0.0;
        let result = match pilot {
            // The state run_range gives, without simulating the pilot paths to fix
            // the grids, nor, when the range holds them all, to count them.
            Some(p) => {
                let grids = Some(Some(p.grids.clone()));
                match p.head_of(&range, &plan) {
                    Some((mut head, rest)) => {
                        pilot_seconds = p.elapsed_seconds;
                        reused = Some(format!(
                            ", with the pilot's grids and its paths 0..{} (its {:.1} s counted)",
                            rest.start, p.elapsed_seconds
                        ));
                        engine::run_range_with(scn, &cfg, rest, grids, what, &mut |_| {})
                            .and_then(|tail| head.merge(&tail).map(|()| head))
                    }
                    None => {
                        reused = Some(", with the pilot's grids".to_owned());
                        engine::run_range_with(scn, &cfg, range.clone(), grids, what, &mut |_| {})
                    }
                }
            }
            None => engine::run_range(scn, &cfg, range.clone(), what, &mut |_| {}),
        };
        let elapsed = started.elapsed().as_secs_f64() + pilot_seconds;
        let state = match result {
            Err(EngineError::Interrupted { .. }) => {
                return Ok(interrupted(&signals, shard, &written));
            }
            result => result?,
        };
        if signals.stopped() {
            return Ok(interrupted(&signals, shard, &written));
        }
        let holders = shard::holders(paths, i, shard.count);
        let threads = engine::resolve_threads(cfg.threads);
        let mut partial = Partial::new(scn, &l.file, &cfg, shard, holders, state, threads, elapsed)
            .map_err(anyhow::Error::msg)?;
        partial.set = shard::SetPlace {
            index: i as u64,
            size: paths.len() as u64,
        };
        partial.set_id.clone_from(&set_id);
        partial.set_neighbours = [
            i.checked_sub(1).and_then(|b| ids.get(b)).cloned(),
            ids.get(i + 1).cloned(),
        ];
        partial.inputs = set.inputs(i);
        partial.input_groups = set.input_groups();
        partial.summary_only = args.summary_only;
        partial.lang = args.lang;
        let json = partial
            .to_json()
            .with_context(|| format!("cannot write {}", path.display()))?;
        write_part(&path, &json)?;
        if !args.quiet {
            out.print(&format!(
                "{}: paths {}..{} of {} ({shard}), {:.1} s{}\n",
                path.display(),
                range.start,
                range.end,
                cfg.paths,
                elapsed,
                reused.as_deref().unwrap_or("")
            ))?;
        }
        written.push(path);
    }
    Ok(ExitCode::SUCCESS)
}

/// The pilot of the run `cfg` of `scn` in the output folder, if `enclave run
/// --pilot` left one there for this very run; one of another run is ignored
/// with a note (the shard then fixes the grids itself, to the same result).
fn pilot_of(args: &Args, scn: &Scenario, cfg: &RunConfig, plan: &Plan) -> Option<Pilot> {
    let path = Pilot::path_in(&args.out, &scn.id);
    if !path.exists() {
        return None;
    }
    let why = match Pilot::read(&path) {
        Ok(p) => match p.mismatch(scn, cfg, plan) {
            None => return Some(p),
            Some(why) => format!("it is the pilot of another run ({why})"),
        },
        Err(e) => e,
    };
    super::note(format_args!(
        "ignoring {}: {why}; this shard simulates the pilot paths itself",
        path.display()
    ));
    None
}

/// Computes the pilot of every scenario of `set` (`paths[i]` paths each) that
/// has more paths than the pilot, into `DIR/<id>.partial/pilot.json`, for the
/// shards run after it (`enclave run --pilot`).
pub fn pilot(args: &Args, set: &dyn super::Source, paths: &[u64]) -> anyhow::Result<ExitCode> {
    let signals = Signals::install()?;
    let mut out = super::Stdout::default();
    let small = paths.iter().filter(|&&n| n <= engine::PILOT_PATHS).count();
    if small > 0 && !args.quiet {
        super::note(format_args!(
            "no pilot for {small} of {} scenario{}: a scenario of at most {} paths needs none (its pilot paths are all its paths)",
            paths.len(),
            if paths.len() == 1 { "" } else { "s" },
            engine::PILOT_PATHS
        ));
    }
    for (i, &n) in paths.iter().enumerate() {
        if n <= engine::PILOT_PATHS {
            continue;
        }
        let l = super::run::load(args, set, i).map_err(anyhow::Error::msg)?;
        let scn = &l.scenario;
        let cfg = config(args, scn);
        let started = Instant::now();
        // The pilot paths' state, as a run of just those paths computes it: the
        // pilot fixes the grids, and its records are folded without being
        // simulated again.
        let pilot_range = 0..engine::PILOT_PATHS;
        let what = Observe {
            stop: Some(&signals.stop),
            headline: args.summary_only,
            ..Observe::default()
        };
        let state = match engine::run_range(scn, &cfg, pilot_range, what, &mut |_| {}) {
            Ok(state) if !signals.stopped() => state,
            Ok(_) | Err(EngineError::Interrupted { .. }) => {
                let (signal, status) = signals.status();
                super::note(format_args!(
                    "interrupted by {signal}: the pilot of {} was not written",
                    scn.id
                ));
                return Ok(ExitCode::from(status));
            }
            Err(e) => return Err(e.into()),
        };
        let path = Pilot::path_in(&args.out, &scn.id);
        let seconds = started.elapsed().as_secs_f64();
        let pilot = Pilot::new(scn, &cfg, state, seconds).map_err(anyhow::Error::msg)?;
        let json = pilot
            .to_json()
            .with_context(|| format!("cannot write {}", path.display()))?;
        write_part(&path, &json)?;
        if !args.quiet {
            out.print(&format!(
                "{}: paths 0..{} of {}, {:.1} s\n",
                path.display(),
                engine::PILOT_PATHS,
                cfg.paths,
                seconds
            ))?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Writes a partial or a pilot into its scenario's partials folder, made if
/// needed. Written to a temporary and renamed: a shard run again replaces its
/// file whole, and a merge never reads half a file.
fn write_part(path: &std::path::Path, json: &str) -> anyhow::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    output::write_atomic(path, json.as_bytes())?;
    Ok(())
}

/// Says what an interrupted shard wrote and returns the signal's exit status.
fn interrupted(signals: &Signals, shard: Shard, written: &[PathBuf]) -> ExitCode {
    let (signal, status) = signals.status();
    super::note(format_args!(
        "interrupted by {signal}: {shard} is not finished; partials written: {}",
        super::list_or_none(written.iter().map(|p| p.display()))
    ));
    super::note(format_args!(
        "run the same command again to compute the shard (its partials are replaced)"
    ));
    ExitCode::from(status)
}
