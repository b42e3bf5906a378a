//! Shards: one run split across machines, and merged back exactly.
//!
//! `enclave run --shard K/N` computes shard K of N of a list of scenarios and
//! writes one *partial* per scenario it touches, `DIR/<id>.partial/part-K-of-N.json`;
//! `enclave merge` reads the partials of every shard and writes what a single run
//! writes. Shards are numbered from 1, as in "shard 3 of 4" (a Slurm array
//! `--array=0-3` or `--array=1-4` and a Kubernetes Indexed Job's
//! `JOB_COMPLETION_INDEX` 0..3 all map onto 1..=4, see [`from_env`]).
//!
//! **The split.** The scenarios' batches of [`BATCH_PATHS`] paths are laid end to
//! end in the order the scenarios are given, and shard k (1-based) takes the
//! contiguous global batches `⌊(k−1)·T/N⌋ .. ⌊k·T/N⌋` of the T batches: every
//! shard gets ⌊T/N⌋ or ⌈T/N⌉ batches, a scenario's paths fall to consecutive
//! shards, and a shard boundary may fall inside a scenario. The split is a
//! function of the scenario list, their path counts and N only.
//!
//! **Why the merge is exact.** A range's statistics depend only on its paths
//! (each path has its own named random streams), the quantile grids come from the
//! pilot paths `0..min(1024, paths)`, which every shard computes alike, and
//! [`RunState::merge`] is exact: shards merged give the single run's state to the
//! bit, so the CSV files are byte-identical (docs/model.md §10).

use std::collections::BTreeMap;
use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::engine::{BATCH_PATHS, Grids, Layout, RunConfig, RunState};
use crate::output::RunRecord;
use crate::scenario::Scenario;
use crate::stats::Plan;

/// The `format` field of a partial file.
pub const PARTIAL_FORMAT: &str = "enclave partial result 5";

/// Suffix of the folder next to `DIR/<id>` that holds a scenario's partials
/// (scenario ids have no dots, so it cannot be another scenario's folder).
pub const PARTIAL_DIR_SUFFIX: &str = ".partial";

/// Shard `index` of `count`, numbered from 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Shard {
    /// Which shard, 1..=count.
    pub index: u32,
    /// How many shards.
    pub count: u32,
}

impl Shard {
    /// Shard `index` of `count`, if 1 ≤ index ≤ count.
    pub fn new(index: u32, count: u32) -> Option<Shard> {
        (1..=count)
            .contains(&index)
            .then_some(Shard { index, count })
    }

    /// The partial's file name, `part-K-of-N.json`.
    pub fn file_name(&self) -> String {
        format!("part-{}-of-{}.json", self.index, self.count)
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "shard {} of {}", self.index, self.count)
    }
}

impl std::str::FromStr for Shard {
    type Err = String;

    /// Reads `K/N`, such as `1/4`.
    fn from_str(text: &str) -> Result<Shard, String> {
        fn whole(x: &str) -> Option<&str> {
            let x = x.trim();
            (!x.is_empty() && x.bytes().all(|b| b.is_ascii_digit())).then_some(x)
        }
        // Whole numbers past u32 (the most shards a run splits into).
        if let Some((k, n)) = text.split_once('/')
            && let (Some(k), Some(n)) = (whole(k), whole(n))
            && (k.parse::<u32>().is_err() || n.parse::<u32>().is_err())
        {
            return Err(format!(
                "expected K/N with 1 ≤ K ≤ N ≤ {}, found `{text}`: a run is split into at most {} shards",
                u32::MAX,
                u32::MAX
            ));
        }
        let parsed = text.split_once('/').and_then(|(k, n)| {
            Some((k.trim().parse::<u32>().ok()?, n.trim().parse::<u32>().ok()?))
        });
        match parsed {
            Some((k, n)) => Shard::new(k, n).ok_or_else(|| {
                if k == 0 && n > 0 {
                    format!("expected K/N with 1 ≤ K ≤ N, found `{text}`: shards are numbered from 1 (the first of {n} is 1/{n})")
                } else {
                    format!("expected K/N with 1 ≤ K ≤ N, such as 1/4, found `{text}`")
                }
            }),
            None => Err(format!(
                "expected K/N with 1 ≤ K ≤ N, such as 1/4, found `{text}`"
            )),
        }
    }
}

/// A shard taken from the environment, and where it was found (for messages).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FromEnv {
    /// The shard.
    pub shard: Shard,
    /// The variables it was read from, e.g. `SLURM_ARRAY_TASK_ID=5 (ids 4..7)`.
    pub source: String,
}

/// The shard given by a scheduler's variables, read through `get`; `None` when
/// there is none to take.
///
/// - With `shards = Some(N)` (`--shards N`): `JOB_COMPLETION_INDEX` (a Kubernetes
///   Indexed Job, 0..N−1) gives shard index + 1; failing that, a Slurm array as
///   below, whose task count must be N. One of them must be set.
/// - Otherwise, a Slurm job array if `SLURM_ARRAY_TASK_ID` is set: the shard is
///   `(ID − MIN) / STEP + 1` of `SLURM_ARRAY_TASK_COUNT` (or `(MAX − MIN) / STEP + 1`),
///   with `SLURM_ARRAY_TASK_MIN` (0 if unset) and `SLURM_ARRAY_TASK_STEP` (1 if
///   unset); so `--array=0-3` and `--array=1-4` both give shards 1..=4.
///
/// # Errors
/// A message naming the variable if a value is not a whole number or the values
/// do not make a shard.
pub fn from_env(
    get: impl Fn(&str) -> Option<String>,
    shards: Option<u32>,
) -> Result<Option<FromEnv>, String> {
    let get = |name: &str| get(name).filter(|v| !v.trim().is_empty());
    let number = |name: &str| -> Result<Option<u64>, String> {
        get(name)
            .map(|v| {
                v.trim()
                    .parse::<u64>()
                    .map_err(|_| format!("{name} is `{v}`, expected a whole number"))
            })
            .transpose()
    };
    if let Some(n) = shards {
        if n == 0 {
            return Err("--shards must be at least 1".to_owned());
        }
        if let Some(i) = number("JOB_COMPLETION_INDEX")? {
            let shard = u32::try_from(i + 1)
                .ok()
                .and_then(|k| Shard::new(k, n))
                .ok_or_else(|| {
                    format!(
                        "JOB_COMPLETION_INDEX is {i}, expected 0..{} with --shards {n}",
                        n - 1
                    )
                })?;
            return Ok(Some(FromEnv {
                shard,
                source: format!("JOB_COMPLETION_INDEX={i} with --shards {n}"),
            }));
        }
        return match slurm(&number)? {
            Some(found) if found.shard.count == n => Ok(Some(found)),
            Some(found) => Err(format!(
                "--shards {n} does not match the Slurm job array of {} tasks ({})",
                found.shard.count, found.source
            )),
            None => Err(format!(
                "--shards {n} takes the shard from JOB_COMPLETION_INDEX (a Kubernetes Indexed Job) or SLURM_ARRAY_TASK_ID (a Slurm job array), and neither is set; --shard K/{n} names it"
            )),
        };
    }
    slurm(&number)
}

/// The shard of a Slurm job array task, if `SLURM_ARRAY_TASK_ID` is set.
fn slurm(number: &dyn Fn(&str) -> Result<Option<u64>, String>) -> Result<Option<FromEnv>, String> {
    let Some(id) = number("SLURM_ARRAY_TASK_ID")? else {
        // The array's size without the task's id (an empty one in a script):
        // running every path in every task would be a silent, costly mistake.
        if let Some(count) = number("SLURM_ARRAY_TASK_COUNT")? {
            return Err(format!(
                "SLURM_ARRAY_TASK_COUNT is {count} but SLURM_ARRAY_TASK_ID is empty or not set, so this task's shard is unknown; --shard K/N names it, --shard none runs every path"
            ));
        }
        return Ok(None);
    };
    let min = number("SLURM_ARRAY_TASK_MIN")?.unwrap_or(0);
    let step = number("SLURM_ARRAY_TASK_STEP")?.unwrap_or(1);
    let max = number("SLURM_ARRAY_TASK_MAX")?;
    if step == 0 {
        return Err("SLURM_ARRAY_TASK_STEP is 0, expected at least 1".to_owned());
    }
    let from_max = match max {
        Some(max) if max >= min => Some((max - min) / step + 1),
        Some(max) => {
            return Err(format!(
                "SLURM_ARRAY_TASK_MAX ({max}) is below SLURM_ARRAY_TASK_MIN ({min})"
            ));
        }
        None => None,
    };
    let count = match (number("SLURM_ARRAY_TASK_COUNT")?, from_max) {
        (Some(c), Some(m)) if c != m => {
            return Err(format!(
                "the Slurm job array's task ids are not one range (SLURM_ARRAY_TASK_COUNT={c}, but ids {min}..={} by {step} make {m}); use --array=0-{} to shard",
                max.unwrap_or(min),
                c.saturating_sub(1)
            ));
        }
        (Some(c), _) => c,
        (None, Some(m)) => m,
        (None, None) => {
            return Err(
                "SLURM_ARRAY_TASK_ID is set but neither SLURM_ARRAY_TASK_COUNT nor SLURM_ARRAY_TASK_MAX is: the number of shards is unknown".to_owned(),
            );
        }
    };
    let source = format!(
        "SLURM_ARRAY_TASK_ID={id} of a job array of {count} tasks from {min}{}",
        if step > 1 {
            format!(" by {step}")
        } else {
            String::new()
        }
    );
    let shard = id
        .checked_sub(min)
        .filter(|d| d % step == 0)
        .map(|d| d / step + 1)
        .and_then(|k| Shard::new(u32::try_from(k).ok()?, u32::try_from(count).ok()?))
        .ok_or_else(|| format!("{source}: the task id is not one of the array's"))?;
    Ok(Some(FromEnv { shard, source }))
}

/// The paths of each scenario that fall to `shard`, given every scenario's path
/// count in order (see the module documentation); `0..0` for scenarios it has no
/// path of.
pub fn split(paths: &[u64], shard: Shard) -> Vec<Range<u64>> {
    let batches: Vec<u64> = paths.iter().map(|p| p.div_ceil(BATCH_PATHS)).collect();
    let total: u64 = batches.iter().sum();
    let bounds = global(total, shard);
    let mut offset = 0;
    let mut out = Vec::with_capacity(paths.len());
    for (&b, &p) in batches.iter().zip(paths) {
        let start = bounds.start.clamp(offset, offset + b) - offset;
        let end = bounds.end.clamp(offset, offset + b) - offset;
        out.push(if start < end {
            (start * BATCH_PATHS).min(p)..(end * BATCH_PATHS).min(p)
        } else {
            0..0
        });
        offset += b;
    }
    out
}

/// The shards holding paths of scenario `i` under [`split`], in order: consecutive
/// when there are at least as many batches as shards, else some shards hold no
/// batch at all.
pub fn holders(paths: &[u64], i: usize, count: u32) -> Vec<u32> {
    let batches = |p: &u64| p.div_ceil(BATCH_PATHS);
    let total: u64 = paths.iter().map(batches).sum();
    let offset: u64 = paths[..i].iter().map(batches).sum();
    let mine = offset..offset + batches(&paths[i]);
    (1..=count)
        .filter(|&k| {
            let g = global(total, Shard { index: k, count });
            g.start.max(mine.start) < g.end.min(mine.end)
        })
        .collect()
}

/// The global batches of `shard` out of `total`.
fn global(total: u64, shard: Shard) -> Range<u64> {
    let at = |k: u32| (u128::from(total) * u128::from(k) / u128::from(shard.count)) as u64;
    at(shard.index - 1)..at(shard.index)
}

/// One scenario's part of one shard: what it was run from, and its statistics.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Partial {
    /// [`PARTIAL_FORMAT`].
    pub format: String,
    /// Engine name and version ([`RunRecord::engine_name`]).
    pub engine: String,
    /// The shard machine's [`crate::mathlib::fingerprint`].
    pub math: String,
    /// Scenario id.
    pub scenario_id: String,
    /// Scenario file as given to the shard.
    pub scenario_file: String,
    /// The folder its data files were read relative to, absolute, when it reads
    /// some ([`RunRecord::scenario_dir`]): the merge reads them from there, from
    /// any working directory (it looked relative to its own: exploratory test).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scenario_dir: Option<String>,
    /// SHA-256 of the scenario file.
    pub scenario_sha256: String,
    /// The scenario file's text (the merge writes the results from it).
    pub scenario_source: String,
    /// Seed.
    pub seed: u64,
    /// Paths of the whole run.
    pub paths: u64,
    /// Years simulated.
    pub horizon: u32,
    /// Whether the run computes the regions' coalitions.
    pub fairness: bool,
    /// Which shard this is.
    pub shard: Shard,
    /// The shards holding paths of this scenario (see [`holders`]).
    pub holders: Vec<u32>,
    /// The paths of this part, `[start, end)`.
    pub range: [u64; 2],
    /// Worker threads of the shard.
    pub threads: usize,
    /// Wall-clock seconds of the shard's simulation of this scenario.
    pub elapsed_seconds: f64,
    /// The scenario's place in the set the shard was given.
    pub set: SetPlace,
    /// Which set that is ([`set_id`]): partials of different sets are not
    /// merged into one set's files.
    pub set_id: String,
    /// The ids of the scenarios before and after this one in its set (none at
    /// its ends), so that the merge can name the scenarios no partial holds.
    #[serde(default)]
    pub set_neighbours: [Option<String>; 2],
    /// The inputs the scenario carries as (field path, value as written), when
    /// it is a sweep's variant; for the merged set's `sweep.csv`.
    pub inputs: Vec<(String, String)>,
    /// For each of `inputs`, its `[[vary]]`'s number (empty in a partial written
    /// before it was kept: each input its own).
    #[serde(default)]
    pub input_groups: Vec<u32>,
    /// Whether the shard kept quantiles only for the headline measures (`run
    /// --summary-only`): the merge then writes only the set's files, as `run
    /// --summary-only` does.
    pub summary_only: bool,
    /// The language the shard was given (`--lang`), if any: the merge writes
    /// the reports in it, as the unsharded run does, unless given its own.
    #[serde(default)]
    pub lang: Option<crate::i18n::Lang>,
    /// The mergeable statistics, encoded ([`Packed`]).
    pub state: Packed,
}

/// A [`RunState`] encoded as in a partial or pilot file: the
/// [postcard](https://postcard.jamesmunns.com/wire-format) bytes of the state,
/// written into the file's JSON as base64 text. A partial's statistics are
/// mostly integers (histogram bins and counts, exact sums' digits); as JSON
/// numbers they took a merge about 65 instructions a byte to read, twice (a
/// 10,000-path partial was 2.6 MB), most of its time. The bytes are a function
/// of the state, so equal states still give equal files. They are decoded only
/// when needed: [`Packed::head`] reads what says which run, paths and shape the
/// state is of, [`Packed::unpack`] the whole state.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Packed {
    /// The base64 text, as in the file: decoded only when read.
    text: String,
}

/// Base64 characters of a [`Packed`] text that [`Packed::head`] decodes first
/// (12 KiB of bytes: the head of a state of a few thousand record positions).
pub const HEAD_TEXT: usize = 16 * 1024;

/// The start of an encoded [`RunState`]: its fields up to its statistics, and the
/// statistics' plan (postcard writes a struct as its fields in order, nested
/// structs inline, and [`crate::stats::RecordStats`] writes its plan first).
#[derive(Debug, Deserialize)]
pub struct StateHead {
    /// As [`RunState::layout`].
    pub layout: Layout,
    /// As [`RunState::config`].
    pub config: RunConfig,
    /// As [`RunState::ranges`].
    pub ranges: Vec<Range<u64>>,
    /// As [`RunState::firm_years`].
    pub firm_years: u64,
    /// The statistics' plan.
    pub plan: Plan,
}

impl Packed {
    /// Encodes `state`.
    ///
    /// # Errors
    /// If the state does not encode (never for a state the engine made).
    pub fn pack(state: &RunState) -> Result<Packed, String> {
        use base64::Engine as _;
        postcard::to_stdvec(state)
            .map(|bytes| Packed {
                text: base64::engine::general_purpose::STANDARD.encode(bytes),
            })
            .map_err(|e| format!("the statistics do not encode: {e}"))
    }

    /// The bytes of the first `chars` characters of the text (a multiple of 4,
    /// or all of it).
    fn bytes(&self, chars: usize) -> Result<Vec<u8>, String> {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD
            .decode(&self.text.as_bytes()[..chars.min(self.text.len())])
            .map_err(|e| format!("its statistics are not base64 text: {e}"))
    }

    /// The state's run, paths and shape, without decoding its statistics.
    ///
    /// # Errors
    /// If the text does not start as an encoded state does.
    pub fn head(&self) -> Result<StateHead, String> {
        let decode = |bytes: &[u8]| postcard::take_from_bytes::<StateHead>(bytes).map(|h| h.0);
        match decode(&self.bytes(HEAD_TEXT)?) {
            Ok(head) => Ok(head),
            // A longer head than the first characters hold.
            Err(postcard::Error::DeserializeUnexpectedEnd) if self.text.len() > HEAD_TEXT => {
                decode(&self.bytes(self.text.len())?)
                    .map_err(|e| format!("its statistics do not decode: {e}"))
            }
            Err(e) => Err(format!("its statistics do not decode: {e}")),
        }
    }

    /// The whole state.
    ///
    /// # Errors
    /// If the text is not one encoded state.
    pub fn unpack(&self) -> Result<RunState, String> {
        let bytes = self.bytes(self.text.len())?;
        let (state, rest) = postcard::take_from_bytes::<RunState>(&bytes)
            .map_err(|e| format!("its statistics do not decode: {e}"))?;
        if rest.is_empty() {
            Ok(state)
        } else {
            Err(format!(
                "its statistics are followed by {} stray byte{}",
                rest.len(),
                if rest.len() == 1 { "" } else { "s" }
            ))
        }
    }
}

impl Serialize for Packed {
    /// The text as a JSON string. Base64 needs no escaping, so it is handed to
    /// serde_json as a raw value, copied rather than escaped character by
    /// character (which took a shard about 10 million instructions a partial).
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::Error as _;
        serde_json::value::RawValue::from_string(format!("\"{}\"", self.text))
            .map_err(S::Error::custom)?
            .serialize(s)
    }
}

impl<'de> Deserialize<'de> for Packed {
    /// Takes the text as it is: [`Packed::head`] and [`Packed::unpack`] check it.
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Packed, D::Error> {
        String::deserialize(d).map(|text| Packed { text })
    }
}

/// What makes the run of `scn` with `cfg` the run it is, for [`set_id`]: its
/// id, its file's SHA-256, seed, paths, horizon, fairness and whether it keeps
/// quantiles only for the headline measures (`summary_only`).
pub fn run_key(scn: &Scenario, cfg: &RunConfig, summary_only: bool) -> String {
    format!(
        "{}\u{0}{}\u{0}{}\u{0}{}\u{0}{}\u{0}{}\u{0}{}",
        scn.id,
        scn.sha256,
        cfg.seed,
        cfg.paths,
        cfg.horizon,
        scn.fairness(),
        summary_only
    )
}

/// The identity of a set of runs with `keys` ([`run_key`]), in order: the first
/// 16 hex digits of the SHA-256 of them. Shards given other scenario files, or
/// another seed, paths, horizon, fairness or `--summary-only`, compute another
/// set, even where no scenario's paths are split between them.
pub fn set_id(keys: &[String]) -> String {
    let mut text = String::new();
    for key in keys {
        text.push_str(key);
        text.push('\n');
    }
    crate::scenario::sha256_hex(text.as_bytes())[..16].to_owned()
}

/// A scenario's place in its set: the merge writes the set's files in the
/// set's order, and knows a scenario no partial holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct SetPlace {
    /// Position, from 0.
    pub index: u64,
    /// Scenarios in the set.
    pub size: u64,
}

/// The folder the data files of a recorded scenario are read from: the one
/// recorded (`scenario_dir`, absolute), else, for a record written before it,
/// the folder of the scenario file as given (relative to the working folder).
pub fn data_dir<'a>(recorded: Option<&'a str>, file: &'a str) -> Option<&'a Path> {
    recorded.map(Path::new).or_else(|| Path::new(file).parent())
}

impl Partial {
    /// The partial of `state`, part `shard` of the run `cfg` of `scn`.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        scn: &Scenario,
        file: &str,
        cfg: &RunConfig,
        shard: Shard,
        holders: Vec<u32>,
        mut state: RunState,
        threads: usize,
        elapsed_seconds: f64,
    ) -> Result<Partial, String> {
        let range = state.ranges.first().map_or([0, 0], |r| [r.start, r.end]);
        state.bin_defined();
        Ok(Partial {
            format: PARTIAL_FORMAT.to_owned(),
            engine: RunRecord::engine_name(),
            math: crate::mathlib::fingerprint().to_owned(),
            scenario_id: scn.id.clone(),
            scenario_file: file.to_owned(),
            scenario_dir: scn.data_dir.as_ref().map(|d| d.display().to_string()),
            scenario_sha256: scn.sha256.clone(),
            scenario_source: scn.source.clone(),
            seed: cfg.seed,
            paths: cfg.paths,
            horizon: cfg.horizon,
            fairness: scn.fairness(),
            shard,
            holders,
            range,
            threads,
            elapsed_seconds,
            set: SetPlace { index: 0, size: 1 },
            set_id: String::new(),
            set_neighbours: [None, None],
            inputs: Vec::new(),
            input_groups: Vec::new(),
            summary_only: false,
            lang: None,
            state: Packed::pack(&state)?,
        })
    }

    /// Where the partial goes under the output folder `out`.
    pub fn path_in(out: &Path, scenario_id: &str, shard: Shard) -> PathBuf {
        out.join(format!("{scenario_id}{PARTIAL_DIR_SUFFIX}"))
            .join(shard.file_name())
    }

    /// The partial as JSON text, sealed with the SHA-256 of its contents (its
    /// first field, checked on reading).
    ///
    /// # Errors
    /// Never in practice (the state holds only finite numbers).
    pub fn to_json(&self) -> Result<String, serde_json::Error> {
        serde_json::to_string(self).map(|json| seal(&json))
    }

    /// Reads a partial file and checks it is whole: its scenario loads and has
    /// the recorded hash, and its statistics are of that scenario and range.
    ///
    /// # Errors
    /// A message (without the file name) saying what is wrong.
    pub fn read(path: &Path) -> Result<Partial, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read it: {e}"))?;
        let (text, sealed) = unseal(text).map_err(|(json, e)| {
            other_format(&json, PARTIAL_FORMAT)
                .unwrap_or_else(|| format!("{e}; run its shard again"))
        })?;
        let partial: Partial = serde_json::from_str(&text).map_err(|e| {
            other_format(&text, PARTIAL_FORMAT).unwrap_or_else(|| {
                format!("not a partial result of `enclave run --shard` (part-K-of-N.json): {e}")
            })
        })?;
        if let Some(e) = wrong_format(&partial.format, PARTIAL_FORMAT) {
            return Err(e);
        }
        if !sealed {
            return Err(unsealed());
        }
        partial.check()?;
        Ok(partial)
    }

    /// The scenario, with the partial's fairness setting.
    ///
    /// # Errors
    /// If the recorded text does not load.
    pub fn scenario(&self) -> Result<Scenario, String> {
        let mut scn = Scenario::parse_at(
            &self.scenario_source,
            &self.scenario_file,
            data_dir(self.scenario_dir.as_deref(), &self.scenario_file),
        )
        .map_err(|e| format!("its scenario does not load: {:#}", anyhow_like(&e)))?;
        scn.simulation.fairness = Some(self.fairness);
        Ok(scn)
    }

    /// Drops what is large — the statistics and the scenario text — keeping what
    /// identifies the partial, so that the partials of a large set can all be
    /// checked before any is merged ([`Group::merge`] reads them again).
    pub fn drop_bulk(&mut self) {
        self.state = Packed::default();
        self.scenario_source = String::new();
    }

    /// The run settings the shard used (threads aside).
    pub fn config(&self) -> RunConfig {
        RunConfig {
            paths: self.paths,
            seed: self.seed,
            horizon: self.horizon,
            threads: 0,
        }
    }

    /// Internal consistency: what the statistics say against what is recorded.
    fn check(&self) -> Result<(), String> {
        let scn = self.scenario()?;
        if scn.sha256 != self.scenario_sha256 || scn.id != self.scenario_id {
            return Err(format!(
                "its scenario text is not the one recorded (id `{}`, SHA-256 {})",
                self.scenario_id, self.scenario_sha256
            ));
        }
        let [start, end] = self.range;
        let whole = |x: u64| x % BATCH_PATHS == 0 || x == self.paths;
        let state = self.state.head()?;
        let layout = Layout::new(&scn, self.horizon);
        let problem = if self.shard.index == 0 || self.shard.index > self.shard.count {
            Some(format!(
                "shard {} of {} does not exist",
                self.shard.index, self.shard.count
            ))
        } else if !self.holders.contains(&self.shard.index)
            || !self.holders.windows(2).all(|w| w[0] < w[1])
            || self.holders.iter().any(|&k| k == 0 || k > self.shard.count)
        {
            Some("its shard is not among those recorded to hold the scenario".to_owned())
        } else if !(start < end && end <= self.paths && whole(start) && whole(end)) {
            Some(format!(
                "its path range {start}..{end} is not whole batches of {} paths",
                self.paths
            ))
        } else if state.ranges.as_slice() != std::slice::from_ref(&(start..end)) {
            Some("its statistics cover other paths than its range".to_owned())
        } else if state.config != self.config() {
            Some("its statistics are of another seed, path count or horizon".to_owned())
        } else if state.layout != layout || state.plan != layout.plan_for(self.summary_only) {
            Some("its statistics do not have the scenario's shape".to_owned())
        } else {
            None
        };
        problem.map_or(Ok(()), Err)
    }
}

/// Shard numbers as `1, 2, 4`.
fn list(shards: &[u32]) -> String {
    shards
        .iter()
        .map(u32::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// A scenario error with its causes, as one line.
fn anyhow_like(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        s.push_str(": ");
        s.push_str(&cause.to_string());
        source = cause.source();
    }
    s
}

/// A scenario's partials merged: the single run's state.
#[derive(Debug)]
pub struct Merged {
    /// The scenario (with the shards' fairness setting).
    pub scenario: Scenario,
    /// The scenario file as the shards were given it.
    pub file: String,
    /// The shard machines' [`crate::mathlib::fingerprint`] (one for all).
    pub math: String,
    /// The run settings (threads: the most any shard used).
    pub config: RunConfig,
    /// The merged statistics, over every path.
    pub state: RunState,
    /// How many shards the run was split into.
    pub count: u32,
    /// The inputs the scenario carries, when it is a sweep's variant.
    pub inputs: Vec<(String, String)>,
    /// Each input's `[[vary]]` number.
    pub input_groups: Vec<u32>,
    /// Shards merged (those holding paths of the scenario), with their paths,
    /// threads and seconds.
    pub shards: Vec<MergedShard>,
    /// The `--lang` the shards were given, when they all were given the same.
    pub lang: Option<crate::i18n::Lang>,
}

/// One shard's part in a merge, as run.json records it.
#[derive(Debug, Clone, Serialize)]
pub struct MergedShard {
    /// Which shard (1-based).
    pub shard: u32,
    /// Its paths, `[start, end)`.
    pub paths: [u64; 2],
    /// Its worker threads.
    pub threads: usize,
    /// Its seconds of simulation.
    pub elapsed_seconds: f64,
    /// The partial file.
    pub file: String,
}

/// The partials of one scenario id that make one whole run, sorted by shard.
#[derive(Debug)]
pub struct Group {
    /// The scenario id.
    pub id: String,
    /// Each partial with the file it was read from. Their statistics and scenario
    /// text may have been dropped ([`Partial::drop_bulk`]): [`Group::merge`]
    /// reads the files again.
    pub parts: Vec<(PathBuf, Partial)>,
}

/// Groups the partials, each with the file it was read from, by scenario id, in
/// their set's order, and checks that each group makes one whole run and the
/// groups one whole set.
///
/// # Errors
/// Every problem found, each a message naming the scenario and the files or the
/// shard concerned: partials of one scenario id from different runs (scenario
/// hash, seed, paths, horizon, fairness, engine or shard count), split
/// differently, a shard given twice, or a shard missing.
pub fn plan(parts: Vec<(PathBuf, Partial)>) -> Result<Vec<Group>, Vec<String>> {
    let mut groups: BTreeMap<String, Vec<(PathBuf, Partial)>> = BTreeMap::new();
    for (path, p) in parts {
        groups
            .entry(p.scenario_id.clone())
            .or_default()
            .push((path, p));
    }
    let mut out = Vec::new();
    let mut problems = Vec::new();
    for (id, mut parts) in groups {
        parts.sort_by_key(|(_, p)| p.shard.index);
        match check_group(&id, &parts) {
            Ok(()) => out.push(Group { id, parts }),
            Err(mut e) => problems.append(&mut e),
        }
    }
    if problems.is_empty() {
        problems = check_set(&mut out);
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(problems)
    }
}

/// Sorts the groups into their set's order and checks that they make one whole
/// set: one size, each place once, none missing.
fn check_set(groups: &mut [Group]) -> Vec<String> {
    let place = |g: &Group| g.parts[0].1.set;
    groups.sort_by_key(|g| place(g).index);
    let mut problems = Vec::new();
    let Some(first) = groups.first() else {
        return problems;
    };
    let size = place(first).size;
    fn id(g: &Group) -> &str {
        &g.parts[0].1.set_id
    }
    // The machines first: their message says what to do.
    let (a, a_path) = (&first.parts[0].1, first.parts[0].0.display());
    for g in groups.iter() {
        let (b, b_path) = (&g.parts[0].1, g.parts[0].0.display());
        let what = if a.engine != b.engine {
            format!("engine `{}` and engine `{}`", a.engine, b.engine)
        } else if a.math != b.math {
            machines_differ(&a.math, &b.math)
        } else {
            continue;
        };
        problems.push(format!(
            "the partials come from different runs: scenario `{}` ({a_path}) and scenario `{}` ({b_path}) were computed by {what}",
            first.id, g.id
        ));
        return problems;
    }
    if let Some(g) = groups
        .iter()
        .find(|g| g.parts[0].1.summary_only != a.summary_only)
    {
        let with = |b: bool| if b { "with" } else { "without" };
        problems.push(format!(
            "scenario `{}` was computed {} --summary-only and scenario `{}` {} it: run every shard of the set with the same flags",
            first.id,
            with(a.summary_only),
            g.id,
            with(!a.summary_only)
        ));
        return problems;
    }
    if let Some(g) = groups.iter().find(|g| id(g) != id(first)) {
        problems.push(format!(
            "the partials come from different sets: scenario `{}` ({}) was computed in set {} and scenario `{}` ({}) in set {}: the shards were given different scenario files, or a different --seed, --paths, --horizon, --fairness or --summary-only (give the merge one set's partials)",
            first.id,
            first.parts[0].0.display(),
            id(first),
            g.id,
            g.parts[0].0.display(),
            id(g)
        ));
        return problems;
    }
    for g in groups.iter() {
        if place(g).size != size {
            problems.push(format!(
                "the partials come from different sets: scenario `{}` was one of {} scenarios and scenario `{}` one of {} (give the merge one set's partials)",
                first.id,
                size,
                g.id,
                place(g).size
            ));
            return problems;
        }
    }
    for pair in groups.windows(2) {
        if place(&pair[0]).index == place(&pair[1]).index {
            problems.push(format!(
                "scenarios `{}` ({}) and `{}` ({}) both claim place {} of the set: are these the partials of two sets? merge each set's partials on its own",
                pair[0].id,
                pair[0].parts[0].0.display(),
                pair[1].id,
                pair[1].parts[0].0.display(),
                place(&pair[0]).index + 1
            ));
        }
    }
    let missing: Vec<u64> = (0..size)
        .filter(|&i| groups.binary_search_by_key(&i, |g| place(g).index).is_err())
        .collect();
    if !missing.is_empty() {
        // Each run of missing places, named by the ids its neighbours' partials
        // hold: its first by the partial before it, its last by the one after.
        let id_at = |i: u64| {
            let neighbour = |j: u64, side: usize| {
                groups
                    .binary_search_by_key(&j, |g| place(g).index)
                    .ok()
                    .and_then(|k| groups[k].parts[0].1.set_neighbours[side].clone())
            };
            i.checked_sub(1)
                .and_then(|b| neighbour(b, 1))
                .or_else(|| neighbour(i + 1, 0))
        };
        let named = |i: u64| match id_at(i) {
            Some(id) => format!("{} (`{id}`)", i + 1),
            None => (i + 1).to_string(),
        };
        let mut runs: Vec<(u64, u64)> = Vec::new();
        for &i in &missing {
            match runs.last_mut() {
                Some((_, last)) if *last + 1 == i => *last = i,
                _ => runs.push((i, i)),
            }
        }
        let shown: Vec<String> = runs
            .iter()
            .take(MISSING_RUNS_SHOWN)
            .map(|&(a, b)| {
                if a == b {
                    named(a)
                } else {
                    format!("{} to {}", named(a), named(b))
                }
            })
            .collect();
        problems.push(format!(
            "the set has {size} scenarios but no partial holds scenario{} {}{} of them: the shards that computed {} are missing",
            if missing.len() > 1 { "s" } else { "" },
            shown.join(", "),
            if runs.len() > MISSING_RUNS_SHOWN {
                format!(", … ({} in all)", missing.len())
            } else {
                String::new()
            },
            if missing.len() > 1 { "them" } else { "it" }
        ));
    }
    problems
}

/// Runs of consecutive scenarios that no partial holds named in the merge's
/// message before the rest are counted.
const MISSING_RUNS_SHOWN: usize = 10;

/// Checks that the partials of scenario `id`, sorted by shard, are one run's,
/// each shard that holds its paths once.
fn check_group(id: &str, group: &[(PathBuf, Partial)]) -> Result<(), Vec<String>> {
    let (first_path, first) = &group[0];
    let mut problems = Vec::new();
    for (path, p) in &group[1..] {
        if let Some(what) = difference(first, p) {
            // Unless the machines differ (whose message says what to do).
            let hint = if first.math == p.math {
                " (partials of an earlier run left in the folder? remove them, or give each run its own --out)"
            } else {
                ""
            };
            problems.push(format!(
                "{} and {} are partials of different runs of scenario `{id}`: {what}{hint}",
                first_path.display(),
                path.display()
            ));
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    for pair in group.windows(2) {
        if pair[0].1.shard == pair[1].1.shard {
            problems.push(format!(
                "{} of scenario `{id}` is given twice: {} and {}",
                pair[0].1.shard,
                pair[0].0.display(),
                pair[1].0.display()
            ));
        }
    }
    let count = first.shard.count;
    for &k in &first.holders {
        if !group.iter().any(|(_, p)| p.shard.index == k) {
            problems.push(format!(
                "shard {k} of {count} of scenario `{id}` is missing{}",
                if first.holders.len() < count as usize {
                    format!(" (shards {} hold its paths)", list(&first.holders))
                } else {
                    String::new()
                }
            ));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems)
    }
}

impl Group {
    /// Reads the group's partials again, one at a time, and merges their
    /// statistics: memory holds the merged state and one partial, whatever the
    /// number of shards and scenarios.
    ///
    /// # Errors
    /// A message naming the scenario (and the file) if a file no longer reads
    /// as it did when the group was planned, or the states do not merge into
    /// the whole run.
    pub fn merge(&self) -> Result<Merged, String> {
        let id = &self.id;
        let fail = |what: String| format!("cannot merge the partials of scenario `{id}`: {what}");
        let mut merged: Option<(Partial, RunState)> = None;
        for (path, planned) in &self.parts {
            let mut p =
                Partial::read(path).map_err(|e| fail(format!("{}: {e}", path.display())))?;
            if difference(planned, &p).is_some()
                || p.shard != planned.shard
                || p.range != planned.range
                || p.scenario_id != planned.scenario_id
            {
                return Err(fail(format!("{} changed during the merge", path.display())));
            }
            let state = p
                .state
                .unpack()
                .map_err(|e| fail(format!("{}: {e}", path.display())))?;
            p.state = Packed::default();
            merged = Some(match merged {
                None => (p, state),
                Some((first, mut acc)) => {
                    acc.merge(&state).map_err(|e| {
                        let first = self.parts[0].0.display();
                        fail(format!(
                            "{} and the partials before it ({first} first): {e}; were they computed with different pilots (a pilot written, changed or removed between the shards)? run every shard again after the pilot",
                            path.display()
                        ))
                    })?;
                    (first, acc)
                }
            });
        }
        let (first, state) = merged.ok_or_else(|| fail("no partial".to_owned()))?;
        if state.ranges.as_slice() != std::slice::from_ref(&(0..first.paths)) {
            return Err(fail(format!(
                "together they cover paths {:?}, not 0..{}",
                state.ranges, first.paths
            )));
        }
        let scenario = first.scenario().map_err(fail)?;
        let config = RunConfig {
            threads: self.parts.iter().map(|(_, p)| p.threads).max().unwrap_or(0),
            ..first.config()
        };
        Ok(Merged {
            scenario,
            file: first.scenario_file.clone(),
            math: first.math.clone(),
            config,
            state,
            count: first.shard.count,
            inputs: first.inputs.clone(),
            input_groups: first.input_groups.clone(),
            lang: first
                .lang
                .filter(|l| self.parts.iter().all(|(_, p)| p.lang == Some(*l))),
            shards: self
                .parts
                .iter()
                .map(|(path, p)| MergedShard {
                    shard: p.shard.index,
                    paths: p.range,
                    threads: p.threads,
                    elapsed_seconds: p.elapsed_seconds,
                    file: path.display().to_string(),
                })
                .collect(),
        })
    }
}

/// How a partial or pilot file starts: the SHA-256 of the rest of its JSON object,
/// so that a file changed or damaged after it was written is refused instead of
/// merged (a changed digit of a statistic or a grid would otherwise decode and
/// give other numbers without a word).
const SEAL_START: &str = "{\"sha256\":\"";

/// Hex digits of a SHA-256.
const SEAL_HEX: usize = 64;

/// `json`, one JSON object, with the SHA-256 of its text as a first field
/// `sha256`: `{"sha256":"…",` followed by the object's fields as they were.
fn seal(json: &str) -> String {
    let fields = json.strip_prefix('{').unwrap_or(json);
    let hex = crate::scenario::sha256_hex(json.as_bytes());
    let mut out = String::with_capacity(json.len() + SEAL_START.len() + SEAL_HEX + 2);
    out.push_str(SEAL_START);
    out.push_str(&hex);
    out.push_str("\",");
    out.push_str(fields);
    out
}

/// The JSON object a sealed file holds (see [`seal`]), and whether it was
/// sealed: a file that does not start as a sealed one is returned as it is, for
/// the reader to say what it is (another format, or not a partial at all) or to
/// refuse it unsealed.
///
/// # Errors
/// If the text is not the one whose SHA-256 it carries: the object, for the
/// reader to name its format if it is another, and the message.
fn unseal(text: String) -> Result<(String, bool), (String, String)> {
    let Some(rest) = text.strip_prefix(SEAL_START) else {
        return Ok((text, false));
    };
    let sealed = rest
        .get(..SEAL_HEX)
        .zip(rest.get(SEAL_HEX..).and_then(|r| r.strip_prefix("\",")));
    let Some((hex, fields)) = sealed else {
        let e =
            "its SHA-256 field is malformed: the file was changed or damaged after it was written";
        return Err((text.clone(), e.to_owned()));
    };
    let json = format!("{{{fields}");
    if crate::scenario::sha256_hex(json.as_bytes()) == hex {
        Ok((json, true))
    } else {
        let e = "its contents do not match the SHA-256 written in it: the file was changed or damaged after it was written";
        Err((json, e.to_owned()))
    }
}

/// The error for a file of the current format that carries no SHA-256.
fn unsealed() -> String {
    "it carries no SHA-256 of its contents, as every file `enclave run` writes does (was it edited or made by hand?)".to_owned()
}

/// For a file that does not read as the current format: the message naming its
/// own format, when it names one other than `expected` (an older engine's file,
/// whose fields differ).
fn other_format(text: &str, expected: &str) -> Option<String> {
    #[derive(Deserialize)]
    struct Format {
        format: String,
    }
    wrong_format(&serde_json::from_str::<Format>(text).ok()?.format, expected)
}

/// The message for a file of format `found` where `expected` was (`None` when
/// they are the same).
fn wrong_format(found: &str, expected: &str) -> Option<String> {
    (found != expected).then(|| format!("its format is `{found}`, expected `{expected}`"))
}

/// Partials of machines whose math fingerprints `a` and `b` differ: why they are
/// not merged, and what to do.
fn machines_differ(a: &str, b: &str) -> String {
    format!(
        "machines whose math libraries round differently (fingerprints {a} and {b}): \
         their merge would not be the bytes one machine computes; run every shard on \
         one kind of CPU and C library (README, \"Running on a cluster\")"
    )
}

/// How two partials of one scenario id belong to different runs, if they do.
fn difference(a: &Partial, b: &Partial) -> Option<String> {
    let onoff = |x: bool| if x { "on" } else { "off" };
    if a.engine != b.engine {
        Some(format!("engine `{}` and `{}`", a.engine, b.engine))
    } else if a.math != b.math {
        Some(machines_differ(&a.math, &b.math))
    } else if a.scenario_sha256 != b.scenario_sha256 {
        Some(format!(
            "scenario files with SHA-256 {} and {}",
            a.scenario_sha256, b.scenario_sha256
        ))
    } else if a.seed != b.seed {
        Some(format!("seed {} and seed {}", a.seed, b.seed))
    } else if a.paths != b.paths {
        Some(format!("{} paths and {} paths", a.paths, b.paths))
    } else if a.horizon != b.horizon {
        Some(format!("horizon {} and horizon {}", a.horizon, b.horizon))
    } else if a.fairness != b.fairness {
        Some(format!(
            "fairness {} and fairness {}",
            onoff(a.fairness),
            onoff(b.fairness)
        ))
    } else if a.shard.count != b.shard.count {
        Some(format!(
            "{} shards and {} shards",
            a.shard.count, b.shard.count
        ))
    } else if a.holders != b.holders {
        Some(format!(
            "split differently (shards {} and shards {} hold its paths: the shards were given different scenario lists)",
            list(&a.holders),
            list(&b.holders)
        ))
    } else if a.summary_only != b.summary_only {
        Some("one shard ran with --summary-only and the other without".to_owned())
    } else if a.set_id != b.set_id {
        Some(format!(
            "shards of different sets of scenarios (sets {} and {})",
            a.set_id, b.set_id
        ))
    } else if a.set != b.set {
        Some(format!(
            "place {} of {} and place {} of {} in their sets",
            a.set.index + 1,
            a.set.size,
            b.set.index + 1,
            b.set.size
        ))
    } else {
        None
    }
}

/// The partial files under each of `inputs`: a file is taken as it is; a folder
/// is searched for `part-K-of-N.json` in it and in its `*.partial` folders (as
/// `enclave run --shard` writes them under its `--out`), sorted by path.
///
/// # Errors
/// A message naming an input that does not exist, or a folder holding no partial.
pub fn find(inputs: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    let is_part = |p: &Path| {
        p.file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with("part-") && n.ends_with(".json"))
    };
    let mut out = Vec::new();
    for input in inputs {
        let meta = std::fs::metadata(input)
            .map_err(|e| format!("cannot read {}: {e}", input.display()))?;
        if !meta.is_dir() {
            out.push(input.clone());
            continue;
        }
        let list = |dir: &Path| -> Result<Vec<PathBuf>, String> {
            let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
                .map_err(|e| format!("cannot read {}: {e}", dir.display()))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .collect();
            v.sort();
            Ok(v)
        };
        let mut found = Vec::new();
        for entry in list(input)? {
            if entry.is_dir()
                && entry
                    .file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.ends_with(PARTIAL_DIR_SUFFIX))
            {
                found.extend(
                    list(&entry)?
                        .into_iter()
                        .filter(|p| is_part(p) && p.is_file()),
                );
            } else if is_part(&entry) && entry.is_file() {
                found.push(entry);
            }
        }
        if found.is_empty() {
            return Err(format!(
                "{} holds no partial results (part-K-of-N.json, written by `enclave run --shard`)",
                input.display()
            ));
        }
        out.extend(found);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| (*v).to_owned())
        }
    }

    fn shard(index: u32, count: u32) -> Shard {
        Shard::new(index, count).unwrap()
    }

    #[test]
    fn shards_read_as_k_of_n_from_one() {
        assert_eq!("3/4".parse::<Shard>(), Ok(shard(3, 4)));
        assert_eq!(shard(3, 4).to_string(), "shard 3 of 4");
        assert_eq!(shard(3, 4).file_name(), "part-3-of-4.json");
        let zero = "0/4".parse::<Shard>().unwrap_err();
        assert!(
            zero.contains("numbered from 1 (the first of 4 is 1/4)"),
            "{zero}"
        );
        // Past 2^32 − 1 shards, the limit is said.
        let huge = "1/4294967296".parse::<Shard>().unwrap_err();
        assert_eq!(
            huge,
            "expected K/N with 1 ≤ K ≤ N ≤ 4294967295, found `1/4294967296`: a run is split into at most 4294967295 shards"
        );
        assert!(
            "99999999999999999999999/3"
                .parse::<Shard>()
                .is_err_and(|e| e.contains("at most 4294967295 shards"))
        );
        assert_eq!(
            "4294967295/4294967295".parse::<Shard>(),
            Ok(shard(u32::MAX, u32::MAX))
        );
        for bad in ["5/4", "1/0", "4", "a/b", "-1/4", ""] {
            assert!(bad.parse::<Shard>().is_err(), "{bad}");
        }
    }

    /// 1500 paths are 6 batches (5 of 256 and one of 220): 4 shards take batches
    /// ⌊6k/4⌋..⌊6(k+1)/4⌋ = 0..1, 1..3, 3..4, 4..6.
    #[test]
    fn the_split_is_contiguous_balanced_and_covers_every_path() {
        let ranges: Vec<_> = (1..=4)
            .map(|k| split(&[1500], shard(k, 4))[0].clone())
            .collect();
        assert_eq!(ranges, [0..256, 256..768, 768..1024, 1024..1500]);
        // Two scenarios of 600 paths (3 batches each) in 3 shards: 2 batches a
        // shard, and shard 2 holds the end of the first and the start of the second.
        let paths = [600, 600];
        assert_eq!(split(&paths, shard(1, 3)), [0..512, 0..0]);
        assert_eq!(split(&paths, shard(2, 3)), [512..600, 0..256]);
        assert_eq!(split(&paths, shard(3, 3)), [0..0, 256..600]);
        assert_eq!(holders(&paths, 0, 3), [1, 2]);
        assert_eq!(holders(&paths, 1, 3), [2, 3]);
        // More shards than batches: some hold nothing, and are not expected. Two
        // batches in 4 shards: ⌊2k/4⌋ = 0, 0, 1, 1, 2 gives 0..0, 0..1, 1..1, 1..2.
        assert_eq!(split(&[300], shard(1, 4))[0], 0..0);
        assert_eq!(split(&[300], shard(3, 4))[0], 0..0);
        assert_eq!(holders(&[300], 0, 4), [2, 4]);
        // Every path falls to exactly one shard, whatever the sizes.
        for n in 1..=7 {
            let paths = [1, 256, 257, 1000, 5000];
            let mut covered = vec![Vec::new(); paths.len()];
            let mut sizes = Vec::new();
            for k in 1..=n {
                let parts = split(&paths, shard(k, n));
                sizes.push(
                    parts
                        .iter()
                        .map(|r| r.end.div_ceil(256) - r.start / 256)
                        .sum::<u64>(),
                );
                for (i, r) in parts.into_iter().enumerate() {
                    assert_eq!(!r.is_empty(), holders(&paths, i, n).contains(&k));
                    if !r.is_empty() {
                        covered[i].push(r);
                    }
                }
            }
            for (c, &p) in covered.iter_mut().zip(&paths) {
                c.sort_by_key(|r| r.start);
                assert_eq!(c.first().unwrap().start, 0);
                assert_eq!(c.last().unwrap().end, p);
                assert!(c.windows(2).all(|w| w[0].end == w[1].start));
            }
            let (lo, hi) = (sizes.iter().min().unwrap(), sizes.iter().max().unwrap());
            assert!(hi - lo <= 1, "{n} shards: {sizes:?}");
        }
    }

    #[test]
    fn slurm_arrays_from_zero_or_one_give_the_same_shards() {
        let from = |vars: &[(&str, &str)]| from_env(env(vars), None).unwrap().unwrap().shard;
        // --array=0-3
        let zero = [
            ("SLURM_ARRAY_TASK_ID", "1"),
            ("SLURM_ARRAY_TASK_MIN", "0"),
            ("SLURM_ARRAY_TASK_MAX", "3"),
            ("SLURM_ARRAY_TASK_COUNT", "4"),
        ];
        assert_eq!(from(&zero), shard(2, 4));
        // --array=1-4
        let one = [
            ("SLURM_ARRAY_TASK_ID", "2"),
            ("SLURM_ARRAY_TASK_MIN", "1"),
            ("SLURM_ARRAY_TASK_MAX", "4"),
        ];
        assert_eq!(from(&one), shard(2, 4));
        // ID and COUNT alone: ids from 0.
        assert_eq!(
            from(&[
                ("SLURM_ARRAY_TASK_ID", "3"),
                ("SLURM_ARRAY_TASK_COUNT", "4")
            ]),
            shard(4, 4)
        );
        // --array=10-16:2
        let step = [
            ("SLURM_ARRAY_TASK_ID", "14"),
            ("SLURM_ARRAY_TASK_MIN", "10"),
            ("SLURM_ARRAY_TASK_MAX", "16"),
            ("SLURM_ARRAY_TASK_STEP", "2"),
            ("SLURM_ARRAY_TASK_COUNT", "4"),
        ];
        assert_eq!(from(&step), shard(3, 4));
        // No variable: no shard.
        assert_eq!(from_env(env(&[]), None), Ok(None));
    }

    #[test]
    fn kubernetes_indexes_need_the_shard_count() {
        let k8s = [("JOB_COMPLETION_INDEX", "1")];
        // The index alone says nothing (every Indexed Job has one).
        assert_eq!(from_env(env(&k8s), None), Ok(None));
        let found = from_env(env(&k8s), Some(4)).unwrap().unwrap();
        assert_eq!(found.shard, shard(2, 4));
        assert_eq!(found.source, "JOB_COMPLETION_INDEX=1 with --shards 4");
        let e = from_env(env(&[("JOB_COMPLETION_INDEX", "4")]), Some(4)).unwrap_err();
        assert_eq!(
            e,
            "JOB_COMPLETION_INDEX is 4, expected 0..3 with --shards 4"
        );
        let e = from_env(env(&[]), Some(4)).unwrap_err();
        assert!(
            e.starts_with("--shards 4 takes the shard from JOB_COMPLETION_INDEX"),
            "{e}"
        );
        // A Slurm array of another size is refused.
        let slurm = [
            ("SLURM_ARRAY_TASK_ID", "0"),
            ("SLURM_ARRAY_TASK_COUNT", "3"),
        ];
        let e = from_env(env(&slurm), Some(4)).unwrap_err();
        assert!(
            e.starts_with("--shards 4 does not match the Slurm job array of 3 tasks"),
            "{e}"
        );
    }

    #[test]
    fn bad_scheduler_variables_are_named() {
        let err = |vars: &[(&str, &str)]| from_env(env(vars), None).unwrap_err();
        assert_eq!(
            err(&[
                ("SLURM_ARRAY_TASK_ID", "x"),
                ("SLURM_ARRAY_TASK_COUNT", "4")
            ]),
            "SLURM_ARRAY_TASK_ID is `x`, expected a whole number"
        );
        assert!(err(&[("SLURM_ARRAY_TASK_ID", "1")]).contains("the number of shards is unknown"));
        // --array=1,3,7: not one range.
        let list = [
            ("SLURM_ARRAY_TASK_ID", "3"),
            ("SLURM_ARRAY_TASK_MIN", "1"),
            ("SLURM_ARRAY_TASK_MAX", "7"),
            ("SLURM_ARRAY_TASK_COUNT", "3"),
        ];
        assert!(err(&list).contains("not one range"), "{}", err(&list));
        let outside = [
            ("SLURM_ARRAY_TASK_ID", "4"),
            ("SLURM_ARRAY_TASK_COUNT", "4"),
        ];
        assert!(err(&outside).ends_with("the task id is not one of the array's"));
        // An empty id beside the array's size (exploratory test: it ran every path).
        let empty = [("SLURM_ARRAY_TASK_ID", ""), ("SLURM_ARRAY_TASK_COUNT", "3")];
        assert!(
            err(&empty).starts_with(
                "SLURM_ARRAY_TASK_COUNT is 3 but SLURM_ARRAY_TASK_ID is empty or not set"
            ),
            "{}",
            err(&empty)
        );
        assert_eq!(
            from_env(env(&[("SLURM_ARRAY_TASK_ID", "")]), None),
            Ok(None)
        );
    }
}

/// Format tag of a pilot file.
pub const PILOT_FORMAT: &str = "enclave pilot 4";

/// File name of a scenario's pilot in its partials' folder.
pub const PILOT_FILE: &str = "pilot.json";

/// A scenario's pilot, computed before its shards (`enclave run --pilot`): the
/// statistics of its first [`crate::engine::PILOT_PATHS`] paths, which also fix
/// the quantile grids. A shard that finds it takes the grids from it instead of
/// simulating those paths again, and the shard whose range holds all of them
/// and more takes their statistics too, so that they are simulated once in the
/// whole run (by the pilot) unless the first shard ends within them; the state
/// is the same either way.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pilot {
    /// [`PILOT_FORMAT`].
    pub format: String,
    /// Engine name and version ([`RunRecord::engine_name`]).
    pub engine: String,
    /// The pilot machine's [`crate::mathlib::fingerprint`].
    pub math: String,
    /// Scenario id.
    pub scenario_id: String,
    /// SHA-256 of the scenario file.
    pub scenario_sha256: String,
    /// Seed.
    pub seed: u64,
    /// Paths of the whole run.
    pub paths: u64,
    /// Years simulated.
    pub horizon: u32,
    /// Whether the run computes the regions' coalitions.
    pub fairness: bool,
    /// The grid of every record position (`None` where it has none): all a
    /// shard that does not hold the pilot paths reads.
    pub grids: Grids,
    /// The statistics of the pilot paths, encoded.
    pub state: Packed,
    /// Wall-clock seconds of the pilot's simulation (0 in a pilot written before
    /// it was kept): the shard that takes the pilot paths' statistics counts them
    /// in its own, so that the merged run's seconds (and firm-years a second)
    /// include the paths the pilot simulated.
    #[serde(default)]
    pub elapsed_seconds: f64,
}

impl Pilot {
    /// The pilot of the run `cfg` of `scn`: `state`, the state of its pilot
    /// paths, binned where every path has a value ([`RunState::bin_defined`]),
    /// simulated in `elapsed_seconds`.
    ///
    /// # Errors
    /// If the state does not encode (never for a state the engine made).
    pub fn new(
        scn: &Scenario,
        cfg: &RunConfig,
        mut state: RunState,
        elapsed_seconds: f64,
    ) -> Result<Pilot, String> {
        state.bin_defined();
        Ok(Pilot {
            format: PILOT_FORMAT.to_owned(),
            engine: RunRecord::engine_name(),
            math: crate::mathlib::fingerprint().to_owned(),
            scenario_id: scn.id.clone(),
            scenario_sha256: scn.sha256.clone(),
            seed: cfg.seed,
            paths: cfg.paths,
            horizon: cfg.horizon,
            fairness: scn.fairness(),
            grids: state.grids().unwrap_or_default(),
            state: Packed::pack(&state)?,
            elapsed_seconds,
        })
    }

    /// The pilot paths' statistics, if they are the first part of `range`
    /// (which starts at path 0 and holds all of them and more) in the shape
    /// `plan`: the state of those paths, and the rest of the range to simulate.
    pub fn head_of(&self, range: &Range<u64>, plan: &Plan) -> Option<(RunState, Range<u64>)> {
        let head = self.state.head().ok()?;
        let end = match head.ranges.as_slice() {
            [pilot] if pilot.start == 0 => pilot.end,
            _ => return None,
        };
        if range.start == 0 && end < range.end && head.plan == *plan {
            Some((self.state.unpack().ok()?, end..range.end))
        } else {
            None
        }
    }

    /// The pilot as JSON text, sealed with its SHA-256 as a partial is.
    ///
    /// # Errors
    /// Never in practice (the state holds only finite numbers).
    pub fn to_json(&self) -> Result<String, serde_json::Error> {
        serde_json::to_string(self).map(|json| seal(&json))
    }

    /// Where scenario `scenario_id`'s pilot goes under the output folder `out`.
    pub fn path_in(out: &Path, scenario_id: &str) -> PathBuf {
        out.join(format!("{scenario_id}{PARTIAL_DIR_SUFFIX}"))
            .join(PILOT_FILE)
    }

    /// Reads a pilot file.
    ///
    /// # Errors
    /// A message if it cannot be read or is not a pilot of this format.
    pub fn read(path: &Path) -> Result<Pilot, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read it: {e}"))?;
        let (text, sealed) = unseal(text).map_err(|(json, e)| {
            other_format(&json, PILOT_FORMAT)
                .unwrap_or_else(|| format!("{e}; run `enclave run --pilot` again"))
        })?;
        let pilot: Pilot = serde_json::from_str(&text).map_err(|e| {
            other_format(&text, PILOT_FORMAT)
                .unwrap_or_else(|| format!("not a pilot of `enclave run --pilot`: {e}"))
        })?;
        if let Some(e) = wrong_format(&pilot.format, PILOT_FORMAT) {
            return Err(e);
        }
        if !sealed {
            return Err(unsealed());
        }
        Ok(pilot)
    }

    /// Why this pilot is not the run `cfg` of `scn`'s, whose statistics keep
    /// `plan` (`None`: it is).
    pub fn mismatch(&self, scn: &Scenario, cfg: &RunConfig, plan: &Plan) -> Option<String> {
        if self.engine != RunRecord::engine_name() {
            Some(format!("engine `{}`", self.engine))
        } else if self.math != crate::mathlib::fingerprint() {
            Some(format!(
                "a machine whose math library rounds differently, fingerprint {}",
                self.math
            ))
        } else if self.scenario_sha256 != scn.sha256 {
            Some(format!(
                "scenario file with SHA-256 {}",
                self.scenario_sha256
            ))
        } else if self.seed != cfg.seed
            || self.paths != cfg.paths
            || self.horizon != cfg.horizon
            || self.fairness != scn.fairness()
        {
            Some(format!(
                "seed {}, {} paths, horizon {}, fairness {}",
                self.seed,
                self.paths,
                self.horizon,
                if self.fairness { "on" } else { "off" }
            ))
        } else if self.grids.len() != Layout::new(scn, cfg.horizon).len() {
            Some("grids of another record layout".to_owned())
        } else if (0..plan.len())
            .any(|j| plan.quantile_spec(j).is_some() && self.grids[j].is_none())
        {
            Some("grids of the headline measures only (`--pilot --summary-only`)".to_owned())
        } else if self.state.head().is_ok_and(|head| {
            head.layout != Layout::new(scn, cfg.horizon)
                || head.config != (RunConfig { threads: 0, ..*cfg })
        }) {
            Some("statistics of another record layout or run".to_owned())
        } else {
            None
        }
    }
}
