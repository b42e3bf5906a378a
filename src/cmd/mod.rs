//! One module per subcommand.

pub mod fit;
pub mod merge;
pub mod report;
pub mod run;
pub mod sensitivity;
pub mod shard;
pub mod solve;
pub mod sweep;
pub mod validate;

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;

use enclave::engine::RunConfig;
use enclave::scenario::guardrails;
use enclave::scenario::limits::MAX_HORIZON;
use enclave::scenario::{REFERENCE_SCENARIO_NAME, Scenario};

/// Exit status for bad input (a scenario that does not load).
pub const EXIT_BAD_INPUT: u8 = 2;

/// A scenario with the name it was loaded under.
pub struct Loaded {
    pub file: String,
    pub scenario: Scenario,
}

/// The scenarios of a set, produced one at a time, so that a set's memory stays
/// flat in the number of its scenarios (a sweep of 10,000 variants holds one at a
/// time per worker).
pub trait Source: Sync {
    /// How many scenarios the set holds.
    fn len(&self) -> usize;
    /// Scenario `i` (`i < len()`), loaded and checked; `Err` is the message to print.
    fn load(&self, i: usize) -> Result<Loaded, String>;
    /// The inputs scenario `i` carries as (field path, value as written), for the
    /// set's `sweep.csv`; none for a set of files.
    fn inputs(&self, _i: usize) -> Vec<(String, String)> {
        Vec::new()
    }
    /// For each of [`Source::inputs`], the number of the `[[vary]]` it belongs
    /// to (fields varied together share one), for `sweep.csv`'s `vary` column.
    fn input_groups(&self) -> Vec<u32> {
        Vec::new()
    }
}

/// A set of scenario files (or the bundled reference scenario), checked up front
/// by [`Files::check`] and read again one at a time when run, so that only the
/// names stay in memory. Each file's SHA-256 when first read is kept: a file
/// that changes between its check and its run (edited while the set runs) is
/// refused when reached, since its new content was never checked against the
/// limits (exploratory test: an edit to 10^12 paths ran past the work budget).
///
/// A file that is not a regular file (a pipe: `/dev/stdin`, `<(…)`, a FIFO) is
/// read once and its bytes kept: a second read finds it empty, which `run`
/// reported as a scenario missing every table, where `validate`, which reads it
/// once, said ok (exploratory test). So what is run is what was checked, and
/// the scenario's SHA-256 is of those bytes.
pub struct Files(Vec<Option<PathBuf>>, std::sync::Mutex<Vec<Seen>>);

/// What [`Files`] keeps of a file it has read.
#[derive(Clone, Default)]
struct Seen {
    /// The scenario's SHA-256 when first read.
    sha256: Option<String>,
    /// The bytes of a file that cannot be read twice (not a regular file).
    kept: Option<std::sync::Arc<Vec<u8>>>,
}

impl Files {
    /// The scenario files the arguments name (each file, or a folder's `*.toml`
    /// files in name order; the bundled reference scenario when there are none),
    /// not yet read.
    ///
    /// # Errors
    /// The exit code, after every folder that holds no scenario file has been named.
    pub fn new(files: &[PathBuf]) -> Result<Files, ExitCode> {
        if files.is_empty() {
            return Ok(Files(vec![None], Default::default()));
        }
        let mut names = Vec::new();
        let mut failed = false;
        for f in files {
            match scenario_files(f) {
                Ok(list) => names.extend(list.into_iter().map(Some)),
                Err(e) => {
                    note(format_args!("error: {e}"));
                    failed = true;
                }
            }
        }
        if failed {
            Err(ExitCode::from(EXIT_BAD_INPUT))
        } else {
            let read = std::sync::Mutex::new(vec![Seen::default(); names.len()]);
            Ok(Files(names, read))
        }
    }

    /// The bytes of file `i` at `path`: those kept from its first read when it
    /// cannot be read twice, else read now.
    fn bytes(&self, i: usize, path: &std::path::Path) -> Result<std::sync::Arc<Vec<u8>>, String> {
        let seen = |f: &dyn Fn(&mut Seen) -> Option<std::sync::Arc<Vec<u8>>>| {
            let mut read = self.1.lock().unwrap_or_else(|e| e.into_inner());
            read.get_mut(i).and_then(f)
        };
        if let Some(kept) = seen(&|s| s.kept.clone()) {
            return Ok(kept);
        }
        let bytes = Scenario::read_bytes(path)
            .map(std::sync::Arc::new)
            .map_err(|e| format!("{:#}", anyhow::Error::new(e)))?;
        // Metadata follows links: `/dev/stdin` is a link to the pipe.
        if !std::fs::metadata(path).is_ok_and(|m| m.is_file()) {
            seen(&|s| {
                s.kept = Some(std::sync::Arc::clone(&bytes));
                None
            });
        }
        Ok(bytes)
    }
}

impl Source for Files {
    fn len(&self) -> usize {
        self.0.len()
    }

    fn load(&self, i: usize) -> Result<Loaded, String> {
        let loaded = match self.0.get(i) {
            Some(None) => Scenario::reference().map(|scenario| Loaded {
                file: REFERENCE_SCENARIO_NAME.to_owned(),
                scenario,
            }),
            Some(Some(path)) => {
                let bytes = self.bytes(i, path)?;
                return Scenario::from_bytes(&bytes, &path.display().to_string())
                    .map_err(Some)
                    .and_then(|scenario| {
                        let mut read = self.1.lock().unwrap_or_else(|e| e.into_inner());
                        match read.get_mut(i) {
                            Some(Seen {
                                sha256: Some(first),
                                ..
                            }) if *first != scenario.sha256 => Err(None),
                            Some(seen) => {
                                seen.sha256 = Some(scenario.sha256.clone());
                                Ok(scenario)
                            }
                            None => Ok(scenario),
                        }
                    })
                    .map(|scenario| Loaded {
                        file: path.display().to_string(),
                        scenario,
                    })
                    .map_err(|e| {
                        let Some(e) = e else {
                            return format!(
                                "{}: the file (or a data file it reads) changed after the set was checked, so its new content was not checked against the limits; run the set again (the scenarios already complete are skipped)",
                                path.display()
                            );
                        };
                        // Its problems as a scenario would only be noise.
                        if looks_like_a_sweep(&bytes) {
                            format!(
                                "{}: a sweep file (`base` and `[[vary]]`), not a scenario: run it with `enclave sweep {}`",
                                path.display(),
                                path.display()
                            )
                        } else {
                            format!("{:#}", anyhow::Error::new(e))
                        }
                    });
            }
            None => return Err(format!("the set holds no scenario {i}")),
        };
        loaded.map_err(|e| format!("{:#}", anyhow::Error::new(e)))
    }
}

/// `items` joined by ", ", or "none" (for the notes of an interrupted command).
pub fn list_or_none<T: std::fmt::Display>(items: impl Iterator<Item = T>) -> String {
    let list: Vec<String> = items.map(|x| x.to_string()).collect();
    if list.is_empty() {
        "none".to_owned()
    } else {
        list.join(", ")
    }
}

/// The terminal's line for the files of a set of `n` scenarios: its summary and
/// its page.
pub fn set_written(
    tx: &enclave::i18n::Texts,
    n: usize,
    summary: &dyn std::fmt::Display,
    report: &dyn std::fmt::Display,
) -> String {
    tx.f(
        if n == 1 {
            "terminal.set.written_one"
        } else {
            "terminal.set.written"
        },
        &[("n", &n), ("summary", summary), ("report", report)],
    )
}

/// Whether a file's `bytes` read as a sweep file: a TOML table with a `base`
/// and a `vary` (what `enclave sweep` takes), which `run` was given instead.
/// The bytes already read, not the file again: a pipe reads once.
fn looks_like_a_sweep(bytes: &[u8]) -> bool {
    std::str::from_utf8(bytes)
        .ok()
        .and_then(|text| text.parse::<toml::Table>().ok())
        .is_some_and(|t| t.contains_key("base") && t.contains_key("vary"))
}

/// The scenario files a command-line argument names: the file itself, a folder's
/// `*.toml` files in name order, or, for a pattern whose last part holds `*` or
/// `?` (quoted, so that the shell left it alone, as in a batch script), the files
/// it matches in name order.
fn scenario_files(arg: &std::path::Path) -> Result<Vec<PathBuf>, String> {
    // A wildcard in a folder's name: only the last part is matched.
    if !arg.exists()
        && let Some(folder) = arg.parent().filter(|p| !p.exists()).and_then(|p| {
            p.components()
                .map(|c| c.as_os_str().to_string_lossy())
                .find(|c| c.contains(['*', '?', '[']))
        })
    {
        return Err(format!(
            "{}: a pattern matches file names in one folder: `*` and `?` are taken in the last part of a path only, not in the folder name `{folder}`",
            arg.display()
        ));
    }
    let pattern = arg
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .filter(|n| n.contains(['*', '?', '[']) && !arg.exists());
    if let Some(pattern) = pattern {
        let folder = match arg.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => std::path::Path::new("."),
        };
        let entries = std::fs::read_dir(folder)
            .map_err(|e| format!("cannot read the folder {}: {e}", folder.display()))?;
        let mut list: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .filter(|e| wildcard(&pattern, &e.file_name().to_string_lossy()))
            .map(|e| arg.with_file_name(e.file_name()))
            .filter(|p| scenario_entry(p))
            .collect();
        list.sort();
        if list.is_empty() {
            // `[...]` (a shell's character class) is taken as itself.
            let classes = if pattern.contains('[') {
                "; a pattern takes only `*` (any run of characters) and `?` (one character), not `[...]`"
            } else {
                ""
            };
            return Err(format!("no file matches {}{classes}", arg.display()));
        }
        return Ok(list);
    }
    if !arg.is_dir() {
        return Ok(vec![arg.to_owned()]);
    }
    let entries = std::fs::read_dir(arg)
        .map_err(|e| format!("cannot read the folder {}: {e}", arg.display()))?;
    let mut list: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| scenario_entry(p) && p.extension().is_some_and(|x| x == "toml"))
        .collect();
    list.sort();
    if list.is_empty() {
        return Err(format!(
            "the folder {} holds no .toml scenario file",
            arg.display()
        ));
    }
    Ok(list)
}

/// Whether a folder's entry `path` (or a pattern's match) is taken as a
/// scenario file: a file, or a symbolic link that leads nowhere (dangling, or a
/// loop), which is then reported as a file that cannot be read rather than left
/// out of the set without a word (exploratory test). A folder, or a link to
/// one, is not; nor is a pipe or device, which reading could block on.
fn scenario_entry(path: &std::path::Path) -> bool {
    path.is_file() || (path.is_symlink() && std::fs::metadata(path).is_err())
}

/// Whether `name` matches `pattern`, where `*` stands for any run of characters
/// and `?` for one.
fn wildcard(pattern: &str, name: &str) -> bool {
    let (p, n): (Vec<char>, Vec<char>) = (pattern.chars().collect(), name.chars().collect());
    // The last `*` seen and the name position it was tried at, to backtrack to.
    let (mut i, mut j, mut star) = (0, 0, None);
    while j < n.len() {
        match p.get(i) {
            Some('*') => {
                star = Some((i, j));
                i += 1;
            }
            Some(&c) if c == '?' || c == n[j] => {
                i += 1;
                j += 1;
            }
            _ => match star {
                Some((si, sj)) => {
                    star = Some((si, sj + 1));
                    i = si + 1;
                    j = sj + 1;
                }
                None => return false,
            },
        }
    }
    p[i..].iter().all(|&c| c == '*')
}

/// Loads each file, or each folder's `*.toml` files in name order (or the bundled
/// reference scenario when `files` is empty),
/// printing every problem of every file; `Err(exit code)` if any failed. With
/// `unique_ids`, two scenarios sharing an id (and so an output folder) also fail.
pub fn load_all(files: &[PathBuf], unique_ids: bool) -> Result<Vec<Loaded>, ExitCode> {
    let set = Files::new(files)?;
    let mut loaded = Vec::new();
    let mut failed = false;
    for i in 0..set.len() {
        match set.load(i) {
            Ok(l) => loaded.push(l),
            Err(e) => {
                note(format_args!("error: {e}"));
                failed = true;
            }
        }
    }
    if unique_ids {
        for problem in duplicate_ids(loaded.iter()) {
            note(format_args!("error: {problem}"));
            failed = true;
        }
    }
    if failed {
        Err(ExitCode::from(EXIT_BAD_INPUT))
    } else {
        Ok(loaded)
    }
}

/// Checks ids as scenarios come: results go to DIR/<scenario id>/, so two
/// scenarios with one id would overwrite each other.
#[derive(Default)]
pub struct UniqueIds(std::collections::HashMap<String, String>);

impl UniqueIds {
    /// The problem if scenario `id` (of `file`) has an id seen before: the
    /// same file given twice, or two files with one id.
    pub fn check(&mut self, id: &str, file: &str) -> Option<String> {
        let first = self.first(id, file)?;
        Some(if same_file(first, file) {
            given_twice(first, file)
        } else {
            format!(
                "{first} and {file} both have scenario id `{id}`; their results would overwrite each other"
            )
        })
    }

    /// The file that had scenario `id` first, if one did; else `file` now has it.
    pub fn first(&mut self, id: &str, file: &str) -> Option<&str> {
        if !self.0.contains_key(id) {
            self.0.insert(id.to_owned(), file.to_owned());
            return None;
        }
        self.0.get(id).map(String::as_str)
    }
}

/// Whether the files named `a` and `b` are one file (one named twice, maybe
/// spelt two ways: `set3/a.toml` and `./set3/a.toml`, or through its folder).
pub fn same_file(a: &str, b: &str) -> bool {
    a == b
        || matches!(
            (std::fs::canonicalize(a), std::fs::canonicalize(b)),
            (Ok(x), Ok(y)) if x == y
        )
}

/// The problem of a scenario file given twice (once as `first`, then as
/// `again`): it is one file, not two with one id.
pub fn given_twice(first: &str, again: &str) -> String {
    let also = if first == again {
        String::new()
    } else {
        format!(" (also as {first})")
    };
    format!(
        "{again} is given twice{also}: name each scenario file once (a folder stands for every .toml file in it)"
    )
}

fn duplicate_ids<'a>(loaded: impl Iterator<Item = &'a Loaded>) -> Vec<String> {
    let mut ids = UniqueIds::default();
    loaded
        .filter_map(|l| ids.check(&l.scenario.id, &l.file))
        .collect()
}

/// A setting turned on or off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Switch {
    /// On.
    On,
    /// Off.
    Off,
}

/// The simulation settings that `run` and `solve` share; each overrides the
/// scenario's `[simulation]` table.
#[derive(Debug, clap::Args)]
pub struct Settings {
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
    /// Compute the regions' coalitions, their values and Shapley values (overrides
    /// [simulation] fairness; default: on with at most 4 regions). Each coalition
    /// that holds the host is one more park simulated a path.
    #[arg(long, value_enum, value_name = "on|off")]
    pub fairness: Option<Switch>,
}

impl Settings {
    /// The run configuration of `scn` under these settings.
    pub fn config(&self, scn: &Scenario) -> RunConfig {
        let mut cfg = RunConfig::from_scenario(scn);
        cfg.paths = self.paths.unwrap_or(cfg.paths);
        cfg.seed = self.seed.unwrap_or(cfg.seed);
        cfg.horizon = self.horizon.unwrap_or(cfg.horizon);
        cfg.threads = self.threads;
        cfg
    }
}

/// `text` with its control characters escaped (a newline as `\n`), so that it
/// keeps to one line of the terminal and its width is what it shows.
pub fn escape_control(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(char::is_control) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

/// The terminal columns `text` takes once its control characters are escaped
/// (a Chinese character takes two).
pub fn text_width(text: &str) -> usize {
    use unicode_width::UnicodeWidthStr;
    escape_control(text).width()
}

/// `text` left-aligned in `width` terminal columns (Chinese characters take
/// two), its control characters escaped.
pub fn pad(text: &str, width: usize) -> String {
    let shown = escape_control(text);
    format!(
        "{shown}{}",
        " ".repeat(width.saturating_sub(text_width(text)))
    )
}

/// `text` right-aligned in `width` terminal columns (a Chinese character takes
/// two), its control characters escaped.
pub fn lpad(text: &str, width: usize) -> String {
    let shown = escape_control(text);
    format!(
        "{}{shown}",
        " ".repeat(width.saturating_sub(text_width(text)))
    )
}

/// The terminal columns of the widest of `names` (escaped as [`pad`] shows
/// them), and at least `min`: a column as wide as its header in any language.
pub fn column_width<'a>(names: impl IntoIterator<Item = &'a str>, min: usize) -> usize {
    names
        .into_iter()
        .map(text_width)
        .max()
        .unwrap_or(0)
        .max(min)
}

/// Why the results folder `out/<id>` cannot be written: something enclave did
/// not write is in its place (a file, or a folder without a manifest or run
/// record), which publishing the results would delete. Checked before anything
/// is computed, whatever `--force` says: it only reruns enclave's own results.
pub fn place_refusal(out: &std::path::Path, id: &str) -> Option<String> {
    enclave::publish::check_place(&out.join(id))
        .err()
        .map(|e| e.to_string())
}

/// After a command that does not write the set put `run` into `out/<its id>/`
/// (or found it there complete): when `out/set/` lists that scenario with
/// another run, the set no longer describes the folders beside it, and its files
/// go, with a note in `out/set/` and on stderr saying why and how to rebuild them
/// (`enclave::set_stale`).
///
/// # Errors
/// If the set's files cannot be read or removed.
pub fn retire_stale_set(
    out: &std::path::Path,
    run: &enclave::output::RunRecord,
) -> anyhow::Result<()> {
    let Some(differences) = enclave::set_stale::differences(out, run)? else {
        return Ok(());
    };
    let id = &run.scenario_id;
    let set = out.join(enclave::output::SET_DIR);
    let folder = out.join(id);
    let why = format!(
        "the set's files were removed from {set}: {id} was written into {folder} with \
         other settings than the set lists for it ({differences}), so the set's summary \
         no longer matched the scenario folders beside it; to rebuild the set, run its \
         own command again (its complete scenarios are skipped, and {id} runs again \
         with the set's settings, replacing {folder}); to keep a variant of a scenario \
         beside its set, give the variant another --out",
        set = set.display(),
        folder = folder.display(),
    );
    let note_path = enclave::set_stale::retire(out, &why)
        .with_context(|| format!("cannot remove the stale set in {}", set.display()))?;
    note(format_args!(
        "note: {} listed {id} with other settings ({differences}): the set's files were removed ({} says why); run the set's own command again to rebuild them (complete scenarios are skipped; {id} runs again with the set's settings)",
        set.display(),
        note_path.display()
    ));
    Ok(())
}

/// Makes the output folder `out` (as `run` and `merge` write into it) and removes
/// what runs that did not finish on this machine left in it, saying so unless
/// `quiet`: their hidden folders in `out`, and the temporary files of the set's
/// folder `out/set/`, which is written in place (a `kill -9` during a set run
/// leaves them there). Hidden folders and temporary files this run cannot tell
/// from a live run's (left on another machine or in another container, or by an
/// earlier version) are kept, and named once unchanged for a day, even with
/// `quiet`: only the user can tell whether their run has ended, and they may
/// hold large `paths.csv` files.
///
/// # Errors
/// If the folder cannot be made or read.
pub fn prepare_out(out: &std::path::Path, quiet: bool) -> anyhow::Result<()> {
    create_out(out, out)?;
    let found = enclave::publish::remove_stale(out)?;
    say_leftovers(&found, quiet);
    let set = enclave::publish::remove_stale_files(&out.join(enclave::output::SET_DIR))?;
    say_leftovers(&set, quiet);
    Ok(())
}

/// Makes the folder `dir`, which is the output folder `out` (`--out`) or one
/// inside it. A file in the way is named as one ("--out afile is a file"), not
/// by the system's "File exists (os error 17)".
///
/// # Errors
/// If a file is in the way or the folder cannot be made.
pub fn create_out(out: &std::path::Path, dir: &std::path::Path) -> anyhow::Result<()> {
    let in_the_way = dir
        .ancestors()
        .filter(|a| !a.as_os_str().is_empty())
        .find(|a| a.exists() && !a.is_dir());
    if let Some(file) = in_the_way {
        if file == out {
            anyhow::bail!("--out {} is a file; choose a folder", out.display());
        }
        anyhow::bail!(
            "--out {}: {} is a file, not a folder; choose another --out",
            out.display(),
            file.display()
        );
    }
    std::fs::create_dir_all(dir)
        .with_context(|| format!("cannot create output folder {}", dir.display()))
}

/// Says what [`enclave::publish::remove_stale`] (or `remove_stale_files`)
/// removed, unless `quiet`, and what it kept unchanged for a day, always.
pub fn say_leftovers(found: &enclave::publish::Leftovers, quiet: bool) {
    for stale in &found.removed {
        if !quiet {
            note(format_args!(
                "removed {}, left by a run that did not finish",
                stale.display()
            ));
        }
    }
    // Said even with `quiet`: results the user may have thought lost.
    for (left, restored) in &found.restored {
        note(format_args!(
            "restored {} from {}: a run that did not finish had moved it aside to replace it",
            restored.display(),
            left.display()
        ));
    }
    for (kept, age) in &found.unchecked {
        let days = age.as_secs() / 86_400;
        note(format_args!(
            "kept {}, unchanged for {days} day{}: left by a run on another machine or in another container, or by an earlier version of enclave, which this run cannot tell from a live one; remove it if that run has ended",
            kept.display(),
            if days == 1 { "" } else { "s" }
        ));
    }
}

/// A plausible-range warning as the terminal gives it: where (`FILE:LINE`, or
/// `FILE` without a line) and what, in the terminal's language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flagged {
    /// `FILE:LINE` or `FILE`.
    pub at: String,
    /// The warning in the terminal's language.
    pub text: String,
}

impl Flagged {
    /// The line on stderr in `lang`: `FILE:LINE: warning: …`, or `… error: …`
    /// under `--strict`.
    pub fn line(&self, strict: bool, lang: enclave::i18n::Lang) -> String {
        lang.texts().f(
            if strict {
                "terminal.warning.error"
            } else {
                "terminal.warning.warning"
            },
            &[("at", &self.at), ("text", &self.text)],
        )
    }
}

/// The guardrail warnings of a loaded scenario (docs/scenario.md "Plausible
/// ranges"), in `lang` ([`located`]).
pub fn warnings(l: &Loaded, horizon: u32, lang: enclave::i18n::Lang) -> Vec<Flagged> {
    guardrails::check_at(&l.scenario, horizon)
        .iter()
        .map(|w| located(&l.file, w, lang))
        .collect()
}

/// An input's guardrail warning of scenario file `file` as the terminal gives
/// it, in `lang` (a `--lang zh` terminal gave them in English: exploratory
/// test): at `FILE:LINE` (`FILE` without a line).
pub fn located(file: &str, w: &guardrails::Warning, lang: enclave::i18n::Lang) -> Flagged {
    Flagged {
        at: match w.line {
            Some(line) => format!("{file}:{line}"),
            None => file.to_owned(),
        },
        text: w.describe_in(lang),
    }
}

/// The arrival limit's refusal of scenario `scn` (of `file`) under a horizon
/// other than its own (`--horizon`), as `FILE:LINE: FIELD: with --horizon H: …`.
pub fn horizon_refusal(
    file: &str,
    scn: &enclave::scenario::Scenario,
    horizon: u32,
) -> Option<String> {
    let p = enclave::scenario::arrivals_problem(scn, horizon)?;
    let at = p
        .line
        .map_or_else(|| file.to_owned(), |line| format!("{file}:{line}"));
    Some(format!(
        "{at}: {}: with --horizon {horizon}: {}",
        p.field, p.message
    ))
}

/// At most this many warnings are printed for a set; the rest are counted.
pub const WARNINGS_SHOWN: usize = 20;

/// Prints `warnings` (at most [`WARNINGS_SHOWN`], then their count) to stderr
/// in `lang`; with `strict`, they are errors and the exit code is returned.
pub fn report_warnings(
    warnings: &[Flagged],
    strict: bool,
    lang: enclave::i18n::Lang,
) -> Option<ExitCode> {
    let tx = lang.texts();
    for w in warnings.iter().take(WARNINGS_SHOWN) {
        note(format_args!("{}", w.line(strict, lang)));
    }
    if warnings.len() > WARNINGS_SHOWN {
        note(format_args!(
            "{}",
            tx.f(
                if strict {
                    "terminal.warning.more_errors"
                } else {
                    "terminal.warning.more"
                },
                &[("n", &(warnings.len() - WARNINGS_SHOWN))]
            )
        ));
    }
    if strict && !warnings.is_empty() {
        note(format_args!(
            "{}",
            tx.f("terminal.warning.strict", &[("n", &warnings.len())])
        ));
        return Some(ExitCode::from(EXIT_BAD_INPUT));
    }
    None
}

/// A speed of `per_second` firm-years a second as the terminal's `{rate}` gives
/// it in `lang`: in English in millions with `digits` decimals; in Chinese in
/// 万 (ten thousands), as a Chinese reader counts, with two decimals fewer, so
/// the same digits (每秒 520 万企业年, not 5.2 百万企业年: exploratory test).
pub fn firm_year_rate(lang: enclave::i18n::Lang, per_second: f64, digits: usize) -> String {
    match lang {
        enclave::i18n::Lang::En => format!("{:.digits$}", per_second / 1e6),
        enclave::i18n::Lang::Zh => {
            let digits = digits.saturating_sub(2);
            format!("{:.digits$}", per_second / 1e4)
        }
    }
}

/// Writes a line to standard error; a closed or full standard error is ignored
/// (there is nowhere left to report it, and `eprintln!` would panic).
pub fn note(line: std::fmt::Arguments<'_>) {
    let mut err = std::io::stderr().lock();
    let _ = err.write_fmt(line).and_then(|()| err.write_all(b"\n"));
}

/// Standard output that reports write errors instead of panicking like
/// `println!`. Once the reader has gone (a broken pipe, as in `enclave run |
/// head`), further output is dropped and the command goes on and ends with its
/// own status; any other failure (a full device) is an error.
#[derive(Debug, Default)]
pub struct Stdout {
    closed: bool,
}

impl Stdout {
    /// Writes `text` and flushes it.
    ///
    /// # Errors
    /// If standard output cannot be written, except for a broken pipe.
    pub fn print(&mut self, text: &str) -> anyhow::Result<()> {
        if self.closed {
            return Ok(());
        }
        let mut out = std::io::stdout().lock();
        match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {
                self.closed = true;
                Ok(())
            }
            result => result.context("cannot write to standard output"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{Files, Source, firm_year_rate, wildcard};

    /// A set's file edited between its check and its run is refused when
    /// reached, not run unchecked; one left alone loads again.
    #[test]
    fn a_file_changed_after_the_check_is_refused() {
        let dir = tempfile::tempdir().expect("temp dir");
        let (a, b) = (dir.path().join("a.toml"), dir.path().join("b.toml"));
        let text = enclave::scenario::REFERENCE_SCENARIO;
        std::fs::write(&a, text).expect("write a");
        std::fs::write(
            &b,
            text.replacen("id = \"jilin-zhejiang\"", "id = \"b\"", 1),
        )
        .expect("write b");
        let Ok(set) = Files::new(&[a.clone(), b]) else {
            panic!("the files");
        };
        // The check.
        assert!(set.load(0).is_ok() && set.load(1).is_ok());
        std::fs::write(
            &a,
            text.replacen("paths = 10_000", "paths = 1_000_000_000_000", 1),
        )
        .expect("edit a");
        let Err(e) = set.load(0) else {
            panic!("an edited file ran unchecked");
        };
        assert!(
            e.contains(
                "a.toml: the file (or a data file it reads) changed after the set was checked"
            ),
            "{e}"
        );
        assert!(set.load(1).is_ok());
    }

    #[test]
    fn a_chinese_speed_is_counted_in_wan() {
        use enclave::i18n::Lang;
        assert_eq!(firm_year_rate(Lang::En, 5.23e6, 1), "5.2");
        assert_eq!(firm_year_rate(Lang::Zh, 5.23e6, 1), "523");
        assert_eq!(firm_year_rate(Lang::En, 4.4e5, 2), "0.44");
        assert_eq!(firm_year_rate(Lang::Zh, 4.4e5, 2), "44");
        assert_eq!(firm_year_rate(Lang::Zh, 4.4e3, 2), "0");
    }

    #[test]
    fn wildcards_match_as_a_shell_does_in_one_folder() {
        for (pattern, name, matches) in [
            ("*.toml", "a.toml", true),
            ("*.toml", "a.toml.bak", false),
            ("*.toml", ".toml", true),
            ("s?.toml", "s1.toml", true),
            ("s?.toml", "s12.toml", false),
            ("s*-*.toml", "s1-2.toml", true),
            ("s*-*.toml", "s12.toml", false),
            ("*a*b", "xaybab", true),
            ("*a*b", "xaybac", false),
            ("**", "", true),
            ("?", "", false),
            ("吉*", "吉林.toml", true),
        ] {
            assert_eq!(wildcard(pattern, name), matches, "{pattern} {name}");
        }
    }
}
