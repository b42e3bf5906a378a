//! `enclave merge`: the partial results of every shard of a run, merged into the
//! outputs of the single run.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use serde::Serialize;

use enclave::output::{self, RunRecord};
use enclave::publish::Staging;
use enclave::shard::{self, MergedShard, Partial};

use super::run::{ChartFormats, HANDFUL, ReportFlag};

/// Flags of `enclave merge`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Partial results (part-K-of-N.json) or folders holding them (the --out
    /// folder of `enclave run --shard`, or its <scenario id>.partial folders).
    #[arg(required = true)]
    pub parts: Vec<PathBuf>,
    /// Output folder; results go to DIR/<scenario id>/, as `enclave run` writes them.
    #[arg(long, value_name = "DIR", default_value = "out")]
    pub out: PathBuf,
    /// Charts to draw into DIR/<scenario id>/charts/ (report.html shows them
    /// either way); default: both for one scenario or a set of at most 5, none
    /// for a larger set.
    #[arg(long, value_enum)]
    pub charts: Option<ChartFormats>,
    /// Whether to write each scenario's report.html; default: html for one
    /// scenario or a set of at most 5, none for a larger set.
    #[arg(long, value_enum)]
    pub report: Option<ReportFlag>,
    /// Language of the reports, charts and terminal summary (default: each
    /// scenario's `[scenario] lang`, else en).
    #[arg(long, value_name = "en|zh")]
    pub lang: Option<enclave::i18n::Lang>,
    /// No summary on the terminal.
    #[arg(long, short)]
    pub quiet: bool,
}

/// run.json of a merged run: the single run's record, and the shards merged.
#[derive(Serialize)]
struct MergedRecord<'a> {
    #[serde(flatten)]
    record: &'a RunRecord,
    /// The shards merged; `elapsed_seconds` above is their sum, `threads` their most.
    shards: Shards<'a>,
}

#[derive(Serialize)]
struct Shards<'a> {
    count: u32,
    merged: &'a [MergedShard],
}

/// Reads every partial, checks that they make whole runs, and writes each
/// scenario's results as `enclave run` does (staging folder, manifest, swap).
pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let bad = |lines: &[String]| {
        for l in lines {
            super::note(format_args!("error: {l}"));
        }
        Ok(ExitCode::from(super::EXIT_BAD_INPUT))
    };
    let files = match shard::find(&args.parts) {
        Ok(f) => f,
        Err(e) => return bad(&[e]),
    };
    let mut parts = Vec::new();
    let mut problems = Vec::new();
    for f in files {
        // A pilot given by a glob over a partials folder (`X.partial/*.json`):
        // the shards took what they needed of it.
        if f.file_name().is_some_and(|n| n == shard::PILOT_FILE) {
            if !args.quiet {
                super::note(format_args!(
                    "skipped {}: a pilot, which the merge does not read",
                    f.display()
                ));
            }
            continue;
        }
        match Partial::read(&f) {
            // Checked whole, then only what identifies it is kept: memory stays
            // flat in the number of partials; each group reads its files again.
            Ok(mut p) => {
                p.drop_bulk();
                parts.push((f, p));
            }
            Err(e) => problems.push(format!("{}: {e}", f.display())),
        }
    }
    if !problems.is_empty() {
        return bad(&problems);
    }
    let groups = match shard::plan(parts) {
        Ok(g) => g,
        Err(problems) => return bad(&problems),
    };
    // Shards run with --summary-only kept quantiles for the headline measures
    // only: the merge writes the set's files alone, as `run --summary-only` does.
    // (`shard::plan` checked that they all did, or none.)
    let summary_only = groups.first().is_some_and(|g| g.parts[0].1.summary_only);
    if !summary_only {
        let taken: Vec<String> = groups
            .iter()
            .filter_map(|g| super::place_refusal(&args.out, &g.id))
            .collect();
        if !taken.is_empty() {
            return bad(&taken);
        }
    }
    super::prepare_out(&args.out, args.quiet)?;
    // Ctrl-C or SIGTERM stops the merge between scenarios: the unpublished
    // folder and the set's temporary files go, and the note says what was kept.
    let signals = super::run::Signals::install()?;
    let mut merged_ids: Vec<String> = Vec::new();
    let stop = |merged_ids: &[String]| {
        let (signal, status) = signals.status();
        super::note(format_args!(
            "interrupted by {signal}: the merge stopped; scenarios merged and written: {}; the set's files were not written; run the same merge again",
            super::list_or_none(merged_ids.iter())
        ));
        Ok(ExitCode::from(status))
    };
    let mut out = super::Stdout::default();
    let mut set = if groups.len() > 1 || summary_only {
        Some(output::SetWriter::create(&args.out)?)
    } else {
        None
    };
    let groups_len = groups.len();
    let small = groups_len <= HANDFUL;
    let html = args.report.map_or(small, |r| r == ReportFlag::Html);
    let charts = args
        .charts
        .unwrap_or(if small {
            ChartFormats::Both
        } else {
            ChartFormats::None
        })
        .into();
    // The scenarios' languages, for the set's page and line.
    let mut langs = Vec::with_capacity(groups_len);
    let mut given = Vec::with_capacity(groups_len);
    let mut warned = 0;
    for group in groups {
        if signals.stopped() {
            return stop(&merged_ids);
        }
        let m = match group.merge() {
            Ok(m) => m,
            Err(e) => return bad(&[e]),
        };
        let scn = &m.scenario;
        langs.push(scn.lang);
        // --lang, else the one the shards were given, as the unsharded run
        // would have had it (a Slurm merge got no --lang and wrote English).
        let lang_flag = args.lang.or(m.lang);
        given.push(m.lang);
        // Inputs and results outside their plausible ranges, as `run` gives them:
        // on the terminal (at most WARNINGS_SHOWN, then counted), in run.json and
        // in the set's warnings.csv.
        let mut known = enclave::scenario::guardrails::check_at(scn, m.config.horizon);
        let checks = super::run::result_checks(scn, &m.state);
        let inputs = &known[..];
        let results: Vec<String> = checks.iter().map(ToString::to_string).collect();
        let room = super::WARNINGS_SHOWN.saturating_sub(warned);
        // On the terminal as `run` gives them (`FILE:LINE: warning: …`), in the
        // language of its summary.
        let lang = args.lang.unwrap_or(scn.lang);
        let shown = inputs.iter().chain(&checks).map(|w| {
            if w.result {
                super::Flagged {
                    at: m.file.clone(),
                    text: w.describe_in(lang),
                }
            } else {
                super::located(&m.file, w, lang)
            }
        });
        for flagged in shown.take(room) {
            super::note(format_args!("{}", flagged.line(false, lang)));
        }
        let mut warnings: Vec<String> = inputs.iter().map(output::input_warning).collect();
        warnings.extend(results);
        warned += warnings.len();
        known.extend(checks);
        let warnings_zh =
            enclave::report::recorded_in(&warnings, &known, None, enclave::i18n::Lang::Zh);
        // What the set's runs.csv records of it.
        let run = output::SetRun {
            file: &m.file,
            config: &m.config,
            paths: m.state.paths(),
            math: &m.math,
            folder: !summary_only,
            warnings: &warnings,
            warnings_zh: &warnings_zh,
        };
        if summary_only {
            // The rows `run --summary-only` takes, from the same bytes.
            let name = args.out.join(&scn.id).join(output::SUMMARY_FILE);
            let csv = output::headline_summary_csv(scn, &m.state, &name)?;
            let rows = enclave::results::parse_summary(&csv, &name)?;
            if let Some(set) = set.as_mut() {
                set.add(scn, run, &rows, &m.inputs, &m.input_groups)?;
            }
            continue;
        }
        let staging = Staging::create(&args.out, &scn.id)
            .with_context(|| format!("cannot write results into {}", args.out.display()))?;
        let dir = staging.path().to_owned();
        let elapsed: f64 = m.shards.iter().map(|s| s.elapsed_seconds).sum();
        // The paths were simulated on the shards' machines: their fingerprint.
        let mut record = RunRecord::new(
            scn,
            &m.file,
            &m.config,
            &m.state,
            &m.math,
            m.config.threads,
            elapsed,
        );
        record.warnings.clone_from(&warnings);
        let summary = output::write_results(&dir, scn, &m.state, &record)?;
        let merged = MergedRecord {
            record: &record,
            shards: Shards {
                count: m.count,
                merged: &m.shards,
            },
        };
        let json = serde_json::to_string_pretty(&merged).context("cannot write run.json")?;
        output::write_atomic(&dir.join(output::RUN_FILE), format!("{json}\n").as_bytes())?;
        super::report::write(&dir, html, charts, lang_flag)?;
        if signals.stopped() {
            return stop(&merged_ids);
        }
        let target = staging.target().to_owned();
        staging
            .publish()
            .with_context(|| format!("cannot publish the results in {}", target.display()))?;
        merged_ids.push(scn.id.clone());
        if set.is_none() {
            super::retire_stale_set(&args.out, &record)?;
        }
        if !args.quiet && small {
            let lang = lang_flag.unwrap_or(scn.lang);
            out.print(&super::run::summary(
                scn, &m.state, &target, elapsed, html, lang,
            ))?;
        }
        if let Some(set) = set.as_mut() {
            // From summary.csv's own bytes, as `run` takes them.
            let name = target.join(output::SUMMARY_FILE);
            let rows = enclave::results::parse_summary(&summary, &name)?;
            set.add(scn, run, &rows, &m.inputs, &m.input_groups)?;
        }
    }
    if warned > super::WARNINGS_SHOWN {
        super::note(format_args!(
            "… and {} more warnings",
            warned - super::WARNINGS_SHOWN
        ));
    }
    if signals.stopped() {
        return stop(&merged_ids);
    }
    if let Some(set) = set {
        let path = set.finish()?;
        let shards_lang = given
            .first()
            .copied()
            .flatten()
            .filter(|l| given.iter().all(|g| *g == Some(*l)));
        let lang = enclave::set_report::set_lang(args.lang.or(shards_lang), langs);
        let page = enclave::set_report::write_in(&args.out, lang)?;
        if !args.quiet {
            let written =
                super::set_written(lang.texts(), groups_len, &path.display(), &page.display());
            out.print(&format!("{written}\n"))?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
