//! `enclave run --shard K/N`: compute one shard of a run and write its partials.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;

use enclave::engine::{self, EngineError, Observe};
use enclave::output;
use enclave::shard::{self, Partial, Shard};

use super::run::{Args, Signals, config};

/// Runs shard `shard` of the scenarios of `set` (already checked against the
/// limits; `paths[i]` paths each) and writes one partial per scenario it holds
/// paths of, loading only those; `source` says which variables gave the shard
/// when `--shard` did not.
pub fn run(
    args: &Args,
    set: &dyn super::Source,
    paths: &[u64],
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
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("cannot create output folder {}", args.out.display()))?;
    let ranges = shard::split(paths, shard);
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
            continue;
        }
        let l = super::run::load(args, set, i).map_err(anyhow::Error::msg)?;
        let scn = &l.scenario;
        let cfg = config(args, scn);
        let started = Instant::now();
        let what = Observe {
            records: false,
            stop: Some(&signals.stop),
        };
        let result = engine::run_range(scn, &cfg, range.clone(), what, &mut |_| {});
        let elapsed = started.elapsed().as_secs_f64();
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
        let mut partial = Partial::new(scn, &l.file, &cfg, shard, holders, state, threads, elapsed);
        partial.set = shard::SetPlace {
            index: i as u64,
            size: paths.len() as u64,
        };
        partial.inputs = set.inputs(i);
        let path = Partial::path_in(&args.out, &scn.id, shard);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
        }
        let json = partial
            .to_json()
            .with_context(|| format!("cannot write {}", path.display()))?;
        // Written to a temporary and renamed: a shard run again replaces its
        // partial whole, and a merge never reads half a file.
        output::write_atomic(&path, json.as_bytes())?;
        if !args.quiet {
            out.print(&format!(
                "{}: paths {}..{} of {} ({shard}), {:.1} s\n",
                path.display(),
                range.start,
                range.end,
                cfg.paths,
                elapsed
            ))?;
        }
        written.push(path);
    }
    Ok(ExitCode::SUCCESS)
}

/// Says what an interrupted shard wrote and returns the signal's exit status.
fn interrupted(signals: &Signals, shard: Shard, written: &[PathBuf]) -> ExitCode {
    let (signal, status) = signals.status();
    super::note(format_args!(
        "interrupted by {signal}: {shard} is not finished; partials written: {}",
        if written.is_empty() {
            "none".to_owned()
        } else {
            written
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        }
    ));
    super::note(format_args!(
        "run the same command again to compute the shard (its partials are replaced)"
    ));
    ExitCode::from(status)
}
