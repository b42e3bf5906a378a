//! `enclave report`: redraw the charts and report of an existing output folder,
//! or the page of a set (`DIR/set`).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;

use enclave::chart::{self, Formats};
use enclave::i18n::Lang;
use enclave::publish::{self, Staging};
use enclave::report;
use enclave::results::Results;

use super::run::ChartFormats;

/// Flags of `enclave report`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Output folders of earlier runs (DIR/<scenario id>), or a set's DIR/set.
    #[arg(required = true)]
    pub folders: Vec<PathBuf>,
    /// Chart files to write into each folder's charts/.
    #[arg(long, value_enum, default_value_t = ChartFormats::Both)]
    pub charts: ChartFormats,
    /// Language of the report and charts (default: the scenario's `[scenario] lang`, else en).
    #[arg(long, value_name = "en|zh")]
    pub lang: Option<Lang>,
}

/// Rebuilds charts and report.html of each folder from its CSV files, after
/// checking the folder against its manifest; the redrawn folder gets a new
/// manifest and replaces the old one whole (see `enclave::publish`).
///
/// Ctrl-C or SIGTERM stops it between steps, as it stops `run`: the folder
/// being redrawn is left as it was, its temporary folder removed, with a note
/// and exit status 130 or 143 (it was killed without a word, and left the
/// temporary folder, which no later `report` removed: exploratory test).
pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let signals = super::run::Signals::install()?;
    let mut redrawn: Vec<String> = Vec::new();
    let stop = |now: &Path, redrawn: &[String]| {
        let (signal, status) = signals.status();
        super::note(format_args!(
            "interrupted by {signal}: {} was not redrawn (it is as it was); redrawn: {}",
            now.display(),
            super::list_or_none(redrawn.iter())
        ));
        Ok(ExitCode::from(status))
    };
    let mut out = super::Stdout::default();
    for dir in &args.folders {
        if signals.stopped() {
            return stop(dir, &redrawn);
        }
        if dir
            .file_name()
            .is_some_and(|n| n == enclave::output::SET_DIR)
            && let Some(why) = enclave::set_stale::retired(dir)
        {
            return Err(anyhow::anyhow!("{why}"))
                .with_context(|| format!("cannot read the set in {}", dir.display()));
        }
        if let Some(out_dir) = enclave::set_report::set_folder_of(dir) {
            // A set's folder, DIR/set: its page is drawn again from its own files,
            // in the language it was written in unless --lang says otherwise.
            // It is written in place, as a set run writes it, so what a dead
            // process's writes left in it goes first, as a run's does.
            let found = publish::remove_stale_files(dir)
                .with_context(|| format!("cannot read the set in {}", dir.display()))?;
            super::say_leftovers(&found, false);
            // Its files as the set wrote them (the page itself is drawn again): a
            // summary cut at a line's end would still read, as a smaller set.
            // Other files in the folder (a user's) are not the set's.
            publish::verify_data_of(dir, &enclave::set_stale::SET_FILES)
                .with_context(|| format!("cannot read the set in {}", dir.display()))?;
            // Its rows are those of the scenario folders beside it, as long as
            // those hold the runs it lists.
            let stale = enclave::set_stale::mismatches(out_dir)
                .with_context(|| format!("cannot read the set in {}", dir.display()))?;
            if !stale.is_empty() {
                return Err(anyhow::anyhow!(stale_set(out_dir, &stale)))
                    .with_context(|| format!("cannot read the set in {}", dir.display()));
            }
            let lang = args
                .lang
                .or_else(|| enclave::set_report::page_lang(out_dir))
                .unwrap_or_default();
            let page = enclave::set_report::write_in(out_dir, lang)
                .with_context(|| format!("cannot redraw the set page in {}", dir.display()))?;
            out.print(&format!("{}\n", page.display()))?;
            redrawn.push(dir.display().to_string());
            continue;
        }
        let context = || format!("cannot read the results in {}", dir.display());
        if let Some(why) = not_results(dir) {
            return Err(anyhow::anyhow!(why)).with_context(context);
        }
        // Charts and report.html are drawn again: only the computed files must match.
        let manifest = publish::verify_data(dir).with_context(context)?;
        // Rows and scenario hash are checked before anything is written.
        Results::load(dir).with_context(context)?;
        // What a `report` of this folder that died left beside it (it redraws
        // through a hidden folder there, as a run writes), as `run` removes
        // what dead runs left in its output folder.
        let found = publish::remove_stale_of(dir)
            .with_context(|| format!("cannot redraw {}", dir.display()))?;
        super::say_leftovers(&found, false);
        let staging = Staging::redraw(dir, &manifest)
            .with_context(|| format!("cannot redraw {}", dir.display()))?;
        // Dropping `staging` when stopped removes its folder.
        let done = write_until(staging.path(), true, args.charts.into(), args.lang, &|| {
            signals.stopped()
        })?;
        if !done || signals.stopped() {
            drop(staging);
            return stop(dir, &redrawn);
        }
        staging
            .publish()
            .with_context(|| format!("cannot redraw {}", dir.display()))?;
        out.print(&format!("{}\n", dir.join(report::REPORT_FILE).display()))?;
        redrawn.push(dir.display().to_string());
    }
    Ok(ExitCode::SUCCESS)
}

/// Why the set in `out/set` is refused: the scenarios whose folders hold other
/// runs than it lists (`stale`, at least one), and how to rebuild it.
fn stale_set(out: &Path, stale: &[enclave::set_stale::Mismatch]) -> String {
    let mut listed: Vec<String> = stale
        .iter()
        .take(LISTED)
        .map(|m| format!("{} ({})", m.id, m.differences))
        .collect();
    if stale.len() > LISTED {
        listed.push(format!("and {} more", stale.len() - LISTED));
    }
    format!(
        "its files no longer describe the scenario folders in {}, which now hold other runs than set/runs.csv lists: {}; run the set's own command again to rebuild it (its complete scenarios are skipped, these run again with the set's settings)",
        out.display(),
        listed.join(", ")
    )
}

/// Folders of results listed in a message before the rest are counted.
const LISTED: usize = 5;

/// Why `dir` is not a folder of one run's results, when it is something else a
/// user may well give: a file in such a folder, or the output folder (`--out`)
/// the results folders are in. Said with the folders to give instead.
fn not_results(dir: &Path) -> Option<String> {
    if dir.is_file() {
        let parent = dir
            .parent()
            .filter(|p| p.join(publish::MANIFEST_FILE).is_file());
        return Some(match parent {
            Some(p) => format!(
                "it is a file; give the folder of the results it belongs to: enclave report {}",
                p.display()
            ),
            None => {
                "it is a file; give the folder of a run's results, DIR/<scenario id>".to_owned()
            }
        });
    }
    if dir.join(enclave::replay::REPLAY_RECORD).is_file() {
        return Some(
            "it is the replay of one path (run --replay): its CSV files are all it holds, and have no report to draw (docs/replay.md)"
                .to_owned(),
        );
    }
    if !dir.is_dir() || dir.join(publish::MANIFEST_FILE).exists() {
        return None;
    }
    // A set's page is named first, apart from the scenarios' folders (it sorted
    // among them, past the first few when the set is large: exploratory test).
    let set = dir.join(enclave::output::SET_DIR);
    let has_set = enclave::set_report::set_folder_of(&set).is_some();
    let inside: Vec<_> = publish::results_inside(dir)
        .into_iter()
        .filter(|p| !(has_set && *p == set))
        .collect();
    if inside.is_empty() && !has_set {
        // Shards' partial results (`DIR/<id>.partial/part-K-of-N.json`, or that
        // folder itself) are complete and wait for a merge: they were called an
        // interrupted run to run again (exploratory test).
        if let Some(parts) = partials_in(dir) {
            return Some(format!(
                "it holds partial results of shards (run --shard: {parts}), which have no report until they are merged: enclave merge {} --out DIR, then enclave report DIR/<scenario id> (README, \"Running on a cluster\")",
                dir.display()
            ));
        }
        if std::fs::read_dir(dir).is_ok_and(|mut e| e.next().is_none()) {
            return Some(
                "it is an empty folder; give the folder of a run's results, DIR/<scenario id>"
                    .to_owned(),
            );
        }
        // An output folder of replays alone (run --replay): said as such, not
        // as a run's folder without its manifest.
        let mut replays: Vec<String> = std::fs::read_dir(dir)
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.join(enclave::replay::REPLAY_RECORD).is_file())
            .map(|p| p.display().to_string())
            .collect();
        replays.sort();
        if replays.len() > LISTED {
            let more = replays.len() - LISTED;
            replays.truncate(LISTED);
            replays.push(format!("and {more} more"));
        }
        return (!replays.is_empty()).then(|| {
            format!(
                "it is an output folder holding replays of one path (run --replay: {}), whose CSV files are all they hold, and have no report to draw (docs/replay.md)",
                replays.join(", ")
            )
        });
    }
    let mut listed: Vec<String> = inside
        .iter()
        .take(LISTED)
        .map(|p| p.display().to_string())
        .collect();
    if inside.len() > LISTED {
        listed.push(format!("(and {} more)", inside.len() - LISTED));
    }
    let scenarios = if inside.is_empty() {
        "; it has no folder of a scenario's results (a --summary-only set)".to_owned()
    } else {
        format!(
            "; each scenario's results are in a folder of its own: enclave report {}",
            listed.join(" ")
        )
    };
    Some(if has_set {
        format!(
            "it is an output folder (a run's --out) holding a set: enclave report {} redraws the set's page{scenarios}",
            set.display()
        )
    } else {
        format!(
            "it is an output folder (a run's --out), which holds each scenario's results in a folder of its own; give those: enclave report {}",
            listed.join(" ")
        )
    })
}

/// The shards' partial results in `dir`, named for a message, when it holds
/// some: `<id>.partial` folders holding `part-K-of-N.json` files (an output
/// folder of `run --shard`), or those files themselves (such a folder).
fn partials_in(dir: &Path) -> Option<String> {
    let is_part = |p: &Path| {
        p.is_file()
            && p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("part-") && n.ends_with(".json"))
    };
    let entries = |d: &Path| -> Vec<PathBuf> {
        let mut v: Vec<PathBuf> = std::fs::read_dir(d)
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
            .collect();
        v.sort();
        v
    };
    let inside = entries(dir);
    let mut found: Vec<String> = inside
        .iter()
        .filter(|p| {
            p.is_dir()
                && p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.ends_with(enclave::shard::PARTIAL_DIR_SUFFIX))
                && entries(p).iter().any(|f| is_part(f))
        })
        .map(|p| p.display().to_string())
        .collect();
    if found.is_empty() {
        found = inside
            .iter()
            .filter(|p| is_part(p))
            .map(|p| p.display().to_string())
            .collect();
    }
    if found.is_empty() {
        return None;
    }
    if found.len() > LISTED {
        let more = found.len() - LISTED;
        found.truncate(LISTED);
        found.push(format!("and {more} more"));
    }
    Some(found.join(", "))
}

/// Charts and report of one results folder, read back from its files and
/// written into it (a staging folder: the manifest is written afterwards).
/// `lang` overrides the scenario's language.
pub fn write(dir: &Path, html: bool, formats: Formats, lang: Option<Lang>) -> anyhow::Result<()> {
    write_until(dir, html, formats, lang, &|| false).map(|_| ())
}

/// [`write`], stopping between its steps (the charts, the page, the
/// workbook) once `stopped` says so; whether it wrote everything.
fn write_until(
    dir: &Path,
    html: bool,
    formats: Formats,
    lang: Option<Lang>,
    stopped: &dyn Fn() -> bool,
) -> anyhow::Result<bool> {
    if !html && formats == Formats::None {
        return Ok(true);
    }
    let mut results = Results::load(dir)
        .with_context(|| format!("cannot read the results in {}", dir.display()))?;
    if let Some(lang) = lang {
        results.lang = lang;
    }
    if stopped() {
        return Ok(false);
    }
    let charts = chart::write_all(&results, dir, formats)?;
    if html {
        if stopped() {
            return Ok(false);
        }
        report::write(&results, &charts)?;
        if stopped() {
            return Ok(false);
        }
        enclave::xlsx::write(&results)?;
    }
    Ok(true)
}
