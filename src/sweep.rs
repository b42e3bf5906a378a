//! Sweeps (issue 10): one base scenario and the inputs to vary, expanded into a
//! set of scenarios run on common random numbers (docs/sweep.md).
//!
//! A sweep file names a base scenario and, by field path, the inputs to vary:
//! each either a grid of values (`values = [...]`) or a range sampled `n` times
//! (`range = [lo, hi]` with a `[samples]` table). The variants are the cartesian
//! product of the grids (the first listed varies slowest) with the samples
//! (fastest). Expansion is lazy: [`Sweep::variant`] builds variant `i` from its
//! index alone, so listing or running 10,000 variants never holds them all.
//!
//! A variant's text is the base scenario's text with each varied item replaced in
//! place (comments and layout kept) and `scenario.id` set to the variant's id. Its
//! seed is the base's: the named random streams (`crate::streams`) depend on the
//! seed and the stream's name only, so variants share every draw their
//! differences do not touch.

use std::fmt;
use std::path::Path;

use rand::Rng;
use serde::Deserialize;
use toml_edit::{DocumentMut, Item};

use crate::fit::float_text;
use crate::scenario::limits::MAX_ID_CHARS;
use crate::scenario::locate::Locator;
use crate::scenario::{
    Problem, REFERENCE_SCENARIO, REFERENCE_SCENARIO_NAME, Scenario, ScenarioError,
};
use crate::streams;

/// Most variants a sweep may expand into.
pub const MAX_VARIANTS: u64 = 1_000_000;

/// Most inputs a sweep may vary.
pub const MAX_VARY: usize = 64;

/// Most values of one list (or ends of a range) whose invalid variants are
/// reported one by one; the rest are counted.
const MAX_BAD_VALUES_SHOWN: usize = 20;

/// Largest sweep file read, in bytes.
pub const MAX_SWEEP_BYTES: u64 = 1 << 20;

/// `base` value naming the bundled reference scenario.
pub const REFERENCE_BASE: &str = "reference";

/// Fields that a sweep may not vary: the id is the variant's own, and a common
/// seed is what makes the variants' random numbers common.
const FIXED_FIELDS: [&str; 2] = ["scenario.id", "simulation.seed"];

/// Why a sweep could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum SweepError {
    /// The sweep file could not be read.
    #[error("cannot read sweep file {path}")]
    Io {
        /// The path.
        path: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The sweep file has problems (reported as a scenario file's are: file, line,
    /// field and message), or its base scenario does not load.
    #[error(transparent)]
    Invalid(#[from] ScenarioError),
}

// ---------------------------------------------------------------------------
// The file.

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SweepFile {
    base: String,
    id: Option<String>,
    vary: Vec<VaryFile>,
    samples: Option<SamplesFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct VaryFile {
    path: Option<String>,
    paths: Option<Vec<String>>,
    name: Option<String>,
    values: Option<Vec<toml::Value>>,
    range: Option<Vec<toml::Value>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SamplesFile {
    n: u64,
    seed: u64,
    #[serde(default)]
    method: Method,
}

/// How the points of `[samples]` are placed in the ranges.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Method {
    /// Independent uniform draws.
    #[default]
    MonteCarlo,
    /// Latin hypercube: each range cut into `n` equal strata, each stratum drawn
    /// exactly once, the strata of different inputs paired at random.
    LatinHypercube,
}

// ---------------------------------------------------------------------------
// Values.

/// A value set at a field path.
#[derive(Debug, Clone, PartialEq)]
pub enum Setting {
    /// A TOML integer.
    Integer(i64),
    /// A TOML float (finite).
    Float(f64),
    /// A TOML boolean.
    Bool(bool),
    /// A TOML string.
    String(String),
}

impl fmt::Display for Setting {
    /// The value as `sweep.csv` and `--list` write it: numbers in their shortest
    /// form that reads back exactly, with an exponent where plain digits would
    /// run long (`1e308`, `1e-7`), strings unquoted.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Setting::Integer(x) => write!(f, "{x}"),
            Setting::Float(x) => f.write_str(&float_text(*x)),
            Setting::Bool(x) => write!(f, "{x}"),
            Setting::String(x) => f.write_str(x),
        }
    }
}

impl Setting {
    fn from_toml(v: &toml::Value) -> Result<Setting, String> {
        match v {
            toml::Value::Integer(x) => Ok(Setting::Integer(*x)),
            toml::Value::Float(x) if x.is_finite() => Ok(Setting::Float(*x)),
            toml::Value::Float(x) => Err(format!("expected a finite number, found {x}")),
            toml::Value::Boolean(x) => Ok(Setting::Bool(*x)),
            toml::Value::String(x) => Ok(Setting::String(x.clone())),
            other => Err(format!(
                "expected a number, boolean or string, found {}",
                match other.type_str() {
                    t @ ("array" | "integer") => format!("an {t}"),
                    t => format!("a {t}"),
                }
            )),
        }
    }

    fn to_toml_edit(&self) -> toml_edit::Value {
        match self {
            Setting::Integer(x) => (*x).into(),
            Setting::Float(x) => (*x).into(),
            Setting::Bool(x) => (*x).into(),
            Setting::String(x) => x.as_str().into(),
        }
    }

    /// The value as it appears in an id, that of `values[index]` of its list:
    /// ASCII letters, digits and '-' only (no '_', which separates an id's parts).
    /// A number's '.' is written `p` and its leading minus `m` (`1.5` → `1p5`,
    /// `-0.25` → `m0p25`); a string of ASCII characters keeps its letters and
    /// digits and writes anything else as '-'; a string with other characters
    /// (`"深圳"`), which an id cannot hold and which would all come out as
    /// dashes, is named by its place in the list, `v` and `index` (`v2`).
    pub fn id_part(&self, index: usize) -> String {
        let number = |s: String| {
            let (sign, digits) = match s.strip_prefix('-') {
                Some(rest) => ("m", rest.to_owned()),
                None => ("", s),
            };
            format!("{sign}{}", digits.replace('.', "p").replace('+', ""))
        };
        match self {
            Setting::Integer(x) => number(x.to_string()),
            Setting::Float(x) => number(float_text(*x)),
            Setting::Bool(x) => x.to_string(),
            Setting::String(x) if !x.is_ascii() => format!("v{index}"),
            Setting::String(x) => x
                .chars()
                .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
                .collect(),
        }
    }
}

// ---------------------------------------------------------------------------
// Field paths.

/// One step of a field path: a table key or an array index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// A key of a table (or inline table).
    Key(String),
    /// An element of an array (or array of tables), from 0.
    Index(usize),
}

/// Whether the field path `inner` (canonical text, see `path_text`) lies inside
/// the field `outer`: `firms.arrival_rate.max` inside `firms.arrival_rate`,
/// `sharing[0].tax` inside `sharing[0]` or `sharing`.
fn inside(inner: &str, outer: &str) -> bool {
    inner
        .strip_prefix(outer)
        .is_some_and(|rest| rest.starts_with('.') || rest.starts_with('['))
}

/// The steps of a field path such as `sharing[0].tax.shares.zhejiang`: keys
/// separated by '.', each followed by any number of `[index]`. A key is written
/// plainly, as problem messages print it — any characters but '.', '[', ']',
/// quotes and white space: `firms.arrival_rate`, `sharing[1].tax.shares.深圳` —
/// or in quotes, as a TOML key is (`shares."深圳"`, `shares.'a b'`,
/// `shares."a.b"`), which a key holding one of those characters must be.
///
/// # Errors
/// What is wrong with the path.
pub fn parse_path(path: &str) -> Result<Vec<Step>, String> {
    let bad = |why: &str| {
        Err(format!(
            "expected a field path such as `firms.arrival_rate` or `sharing[0].tax.shares.zhejiang`; `{path}` {why}"
        ))
    };
    if path.is_empty() {
        return bad("is empty");
    }
    let mut out = Vec::new();
    let mut rest = path;
    loop {
        let (key, after) = match rest.chars().next() {
            Some(quote @ ('"' | '\'')) => match quoted_key(rest, quote) {
                Some(Ok(found)) => found,
                Some(Err(e)) => {
                    return bad(&format!("has a quoted key that is not a TOML string ({e})"));
                }
                None => return bad("has a quoted key without its closing quote"),
            },
            _ => {
                let end = rest.find(|c| !is_plain_key_char(c)).unwrap_or(rest.len());
                let (key, after) = rest.split_at(end);
                match after.chars().next() {
                    Some('"' | '\'') => {
                        return bad(
                            "has a quote inside a key; quote a whole key, as in TOML: `shares.\"a b\"`",
                        );
                    }
                    Some(']') => return bad("has a ']' without its '['"),
                    Some(c) if !matches!(c, '.' | '[') => {
                        return bad(
                            "has a key with a space or control character in it; write such a key in quotes, as in TOML: `shares.\"a b\"`",
                        );
                    }
                    _ if key.is_empty() => {
                        return bad(
                            "has an empty key (two '.' in a row, or a '.' or '[' at an end)",
                        );
                    }
                    _ => (key.to_owned(), after),
                }
            }
        };
        out.push(Step::Key(key));
        rest = after;
        while let Some(inner) = rest.strip_prefix('[') {
            let Some(close) = inner.find(']') else {
                return bad("has a '[' without its ']'");
            };
            match inner[..close].parse::<usize>() {
                Ok(i) => out.push(Step::Index(i)),
                Err(_) => return bad("has an index that is not a whole number in [ ]"),
            }
            rest = &inner[close + 1..];
        }
        match rest.chars().next() {
            None => return Ok(out),
            Some('.') => rest = &rest[1..],
            Some(']') => return bad("has a ']' without its '['"),
            Some(_) => {
                return bad(
                    "has text right after a quoted key or an index; expected '.', '[' or the end there",
                );
            }
        }
    }
}

/// Whether `c` may stand in a key written without quotes in a field path.
fn is_plain_key_char(c: char) -> bool {
    !matches!(c, '.' | '[' | ']' | '"' | '\'') && !c.is_whitespace() && !c.is_control()
}

/// The quoted key at the start of `text` (which starts with `quote`) and the
/// text after it: `None` without its closing quote, the TOML parser's error when
/// it is not a TOML string (a bad escape).
fn quoted_key(text: &str, quote: char) -> Option<Result<(String, &str), String>> {
    let mut escaped = false;
    let close = text.char_indices().skip(1).find_map(|(i, c)| {
        let end = c == quote && !escaped;
        escaped = quote == '"' && c == '\\' && !escaped;
        end.then_some(i)
    })?;
    let (raw, after) = text.split_at(close + 1);
    Some(match raw.parse::<toml_edit::Value>() {
        Ok(toml_edit::Value::String(s)) => Ok((s.into_value(), after)),
        Ok(_) => Err("not a string".to_owned()),
        Err(e) => Err(e.message().to_owned()),
    })
}

/// A key as a field path writes it: plainly when it reads back so, in TOML's
/// quotes otherwise (`"a b"`, `"a.b"`).
fn key_text(key: &str) -> String {
    if !key.is_empty() && key.chars().all(is_plain_key_char) {
        key.to_owned()
    } else {
        toml_edit::Key::new(key).display_repr().into_owned()
    }
}

/// The canonical text of a field path: what [`parse_path`] reads back into
/// `steps`, each key written plainly where it can be (as problem messages write
/// field paths).
fn path_text(steps: &[Step]) -> String {
    let mut s = String::new();
    for step in steps {
        match step {
            Step::Key(k) => {
                if !s.is_empty() {
                    s.push('.');
                }
                s.push_str(&key_text(k));
            }
            Step::Index(i) => s.push_str(&format!("[{i}]")),
        }
    }
    s
}

/// The item at `steps` in `doc`, if there is one.
fn item_at<'d>(doc: &'d DocumentMut, steps: &[Step]) -> Result<&'d Item, String> {
    let mut item = doc.as_item();
    for (k, step) in steps.iter().enumerate() {
        let next = match step {
            Step::Key(key) => item.get(key.as_str()),
            Step::Index(i) => item.get(*i),
        };
        item = match next {
            Some(next) if !next.is_none() => next,
            _ => {
                let hint = match step {
                    Step::Key(key) => closest_key(item, key)
                        .map(|k| format!("; did you mean `{}`?", key_text(k)))
                        .unwrap_or_default(),
                    Step::Index(_) => String::new(),
                };
                return Err(format!(
                    "the base scenario has no `{}`{hint}",
                    path_text(&steps[..=k])
                ));
            }
        };
    }
    Ok(item)
}

/// The key of the table `item` closest to `key` (a misspelling), if one is
/// close (the measure and threshold of scenario files' "did you mean").
fn closest_key<'i>(item: &'i Item, key: &str) -> Option<&'i str> {
    crate::scenario::closest(key, item.as_table_like()?.iter().map(|(k, _)| k))
}

/// Replaces the value at `steps` in `doc` by `value`, keeping the comments around
/// it. The path must exist and lead to a value (a number, string, boolean, array
/// or inline table such as a distribution), not to a `[table]` or `[[array]]`.
///
/// # Errors
/// Where the path leaves the base.
pub fn set_at(
    doc: &mut DocumentMut,
    steps: &[Step],
    value: toml_edit::Value,
) -> Result<(), String> {
    set_in(doc, "the base scenario", steps, value)
}

/// [`set_at`] in a document named `name` in its messages (`the bundled
/// reference scenario has no …`).
///
/// # Errors
/// Where the path leaves the document.
pub fn set_in(
    doc: &mut DocumentMut,
    name: &str,
    steps: &[Step],
    value: toml_edit::Value,
) -> Result<(), String> {
    let mut item = doc.as_item_mut();
    for (k, step) in steps.iter().enumerate() {
        let missing = || format!("{name} has no `{}`", path_text(&steps[..=k]));
        let exists = match step {
            Step::Key(key) => item.get(key.as_str()).is_some_and(|i| !i.is_none()),
            Step::Index(i) => item.get(*i).is_some(),
        };
        if !exists {
            let hint = match step {
                Step::Key(key) => closest_key(item, key)
                    .map(|k| format!("; did you mean `{}`?", key_text(k)))
                    .unwrap_or_default(),
                Step::Index(_) => String::new(),
            };
            return Err(format!("{}{hint}", missing()));
        }
        let next = match step {
            Step::Key(key) => item.get_mut(key.as_str()),
            Step::Index(i) => item.get_mut(*i),
        };
        item = next.ok_or_else(missing)?;
    }
    match item {
        Item::Value(old) => {
            let mut value = value;
            *value.decor_mut() = old.decor().clone();
            *old = value;
            Ok(())
        }
        _ => Err(format!(
            "`{}` is a table in {name}; give the path of one of its fields",
            path_text(steps)
        )),
    }
}

// ---------------------------------------------------------------------------
// The sweep.

/// One varied input, or several moving together.
#[derive(Debug, Clone)]
pub struct Vary {
    /// Field paths into the base scenario, e.g. `firms.arrival_rate`: one, or
    /// several (`paths`) that move together.
    pub paths: Vec<String>,
    /// Short name used in ids.
    pub name: String,
    steps: Vec<Vec<Step>>,
    /// The grid or the range.
    pub kind: VaryKind,
    /// For a range: the key of its sample stream and the round keys of its Latin
    /// hypercube permutation ([`sample_keys`]), derived once.
    keys: Option<SampleKeys>,
    /// For a grid: each point's place in the file's `values` (the same but while
    /// the file is checked, when bad values are left out of the grid).
    origin: Vec<usize>,
}

impl Vary {
    /// The choices [`Sweep::point_at`] takes for this input: its grid points,
    /// or a range's two ends.
    fn choices(&self) -> usize {
        match &self.kind {
            VaryKind::Values(list) => list.len(),
            VaryKind::Range { .. } => 2,
        }
    }
}

/// What a [`Vary`] takes.
#[derive(Debug, Clone)]
pub enum VaryKind {
    /// Each of these points in turn: one value per path, and the point's part of
    /// the ids.
    Values(Vec<(Vec<Setting>, String)>),
    /// Sampled: one uniform u per sample moves every path from its `lo` to its
    /// `hi` (value = lo + u·(hi − lo)); rounded to a whole number where the base
    /// has an integer.
    Range {
        /// Each path's value at u = 0.
        lo: Vec<f64>,
        /// Each path's value at u = 1.
        hi: Vec<f64>,
        /// Whether each path's samples are rounded to integers.
        integer: Vec<bool>,
    },
}

/// The `[samples]` table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Samples {
    /// Number of points.
    pub n: u64,
    /// Seed of the points (not of the simulation).
    pub seed: u64,
    /// How they are placed.
    pub method: Method,
}

/// A checked sweep: its base scenario and the inputs it varies.
#[derive(Debug, Clone)]
pub struct Sweep {
    /// The sweep file, as named in messages.
    pub file: String,
    /// The base scenario's file (or the reference scenario's name).
    pub base_file: String,
    /// Whether the base is the bundled reference scenario (`base = "reference"`),
    /// whose name is no file to read.
    pub base_is_reference: bool,
    /// Prefix of every variant's id.
    pub prefix: String,
    /// The varied inputs, in file order.
    pub vary: Vec<Vary>,
    /// The sampling, when some input has a range.
    pub samples: Option<Samples>,
    base: DocumentMut,
    /// Number of grid points (product of the `values` lengths).
    grid_len: u64,
    /// Digits of the sample number in ids.
    sample_digits: usize,
}

/// Where a variant is: each [`Vary`]'s grid point or uniform, and its sample.
#[derive(Debug, Clone)]
struct Point {
    choices: Vec<Choice>,
    sample: Option<u64>,
}

#[derive(Debug, Clone, Copy)]
enum Choice {
    /// Grid point k.
    Grid(usize),
    /// Position u in [0, 1] along the range.
    Unit(f64),
}

/// One expanded scenario of a sweep.
#[derive(Debug, Clone)]
pub struct Variant {
    /// Position in the sweep, from 0.
    pub index: usize,
    /// Scenario id: the prefix, each grid point and the sample number.
    pub id: String,
    /// The value of each varied field (path, value), in file order.
    pub values: Vec<(String, Setting)>,
    /// The base scenario's text with these values and this id.
    pub text: String,
}

impl Sweep {
    /// Reads and checks a sweep file; a relative `base` is relative to its folder.
    ///
    /// # Errors
    /// [`SweepError::Io`] if it cannot be read, [`SweepError::Invalid`] with every
    /// problem found otherwise.
    pub fn load(path: &Path) -> Result<Sweep, SweepError> {
        use std::io::Read;
        let name = path.display().to_string();
        let mut bytes = Vec::new();
        std::fs::File::open(path)
            .and_then(|f| f.take(MAX_SWEEP_BYTES + 1).read_to_end(&mut bytes))
            .map_err(|source| SweepError::Io {
                path: name.clone(),
                source,
            })?;
        let invalid = |message: String| {
            SweepError::Invalid(ScenarioError::Invalid {
                file: name.clone(),
                problems: vec![Problem {
                    line: None,
                    field: "(file)".to_owned(),
                    message,
                }],
            })
        };
        if bytes.len() as u64 > MAX_SWEEP_BYTES {
            return Err(invalid(format!(
                "expected a sweep file of at most {MAX_SWEEP_BYTES} bytes"
            )));
        }
        let text =
            String::from_utf8(bytes).map_err(|e| invalid(format!("expected UTF-8 text: {e}")))?;
        let dir = path.parent().unwrap_or(Path::new(""));
        Sweep::parse(&text, &name, dir)
    }

    /// Checks the text of a sweep file; `file` names it in messages and `base_dir`
    /// is the folder a relative `base` is read from.
    ///
    /// # Errors
    /// [`SweepError::Invalid`] with every problem of the sweep file, or the base
    /// scenario's own problems.
    pub fn parse(text: &str, file: &str, base_dir: &Path) -> Result<Sweep, SweepError> {
        let lines = Locator::new(text);
        let problem = |field: &str, message: String| Problem {
            line: lines.line_of(field),
            field: field.to_owned(),
            message,
        };
        let invalid = |problems: Vec<Problem>| {
            SweepError::Invalid(ScenarioError::Invalid {
                file: file.to_owned(),
                problems,
            })
        };
        // A scenario file given for a sweep: its problems as a sweep (every table
        // an unknown field) would only be noise.
        let top = text.parse::<toml::Table>().ok();
        if top
            .as_ref()
            .is_some_and(|t| !t.contains_key("base") && t.contains_key("scenario"))
        {
            return Err(invalid(vec![Problem {
                line: None,
                field: "(file)".to_owned(),
                message: format!(
                    "a scenario file, not a sweep (`base` and `[[vary]]`): run it with `enclave run {file}`, or name it as the `base` of a sweep file (docs/sweep.md)"
                ),
            }]));
        }
        let raw = read_file(text).map_err(|problems| {
            invalid(
                problems
                    .into_iter()
                    .map(|p| Problem {
                        line: p.line.or_else(|| lines.line_of(&p.field)),
                        ..p
                    })
                    .collect(),
            )
        })?;

        // The base.
        let (base_file, base_text) = if raw.base == REFERENCE_BASE {
            (
                REFERENCE_SCENARIO_NAME.to_owned(),
                REFERENCE_SCENARIO.to_owned(),
            )
        } else {
            let path = base_dir.join(&raw.base);
            match std::fs::read_to_string(&path) {
                Ok(t) => (path.display().to_string(), t),
                Err(e) => {
                    return Err(invalid(vec![problem(
                        "base",
                        format!(
                            "cannot read the base scenario {} ({e}); expected a scenario file, relative to the sweep file, or `{REFERENCE_BASE}`",
                            path.display()
                        ),
                    )]));
                }
            }
        };
        let base_scenario = Scenario::parse(&base_text, &base_file).map_err(|e| {
            // A sweep named as the base: say so rather than list its fields.
            let sweep = base_text
                .parse::<toml::Table>()
                .is_ok_and(|t| t.contains_key("base") && t.contains_key("vary"));
            if sweep {
                invalid(vec![problem(
                    "base",
                    format!(
                        "{base_file} is a sweep file; the base of a sweep is a scenario file (vary its base's fields in one sweep)"
                    ),
                )])
            } else {
                SweepError::Invalid(e)
            }
        })?;
        let base: DocumentMut = base_text.parse().map_err(|e| {
            invalid(vec![problem(
                "base",
                format!("the base scenario does not parse: {e}"),
            )])
        })?;

        let mut problems = Vec::new();
        let prefix = raw.id.clone().unwrap_or_else(|| base_scenario.id.clone());
        if !is_id_text(&prefix) {
            problems.push(problem(
                "id",
                format!("expected a non-empty id prefix of ASCII letters, digits, '-' or '_', found `{prefix}`"),
            ));
        }
        if raw.vary.is_empty() {
            problems.push(problem(
                "vary",
                "expected at least one [[vary]] table".to_owned(),
            ));
        }
        if raw.vary.len() > MAX_VARY {
            problems.push(problem(
                "vary",
                format!(
                    "expected at most {MAX_VARY} [[vary]] tables, found {}",
                    raw.vary.len()
                ),
            ));
        }

        // Problems of single values (bad or repeated grid values), reported with
        // those that only the variants show, each list's in its order.
        let mut value_problems: Vec<(usize, usize, Problem)> = Vec::new();
        let mut vary: Vec<Vary> = Vec::new();
        for (d, v) in raw.vary.iter().enumerate().take(MAX_VARY) {
            let (checked, found) = check_vary(&format!("vary[{d}]"), v, &base, &vary);
            match checked {
                Some(checked) => {
                    let prefix = format!("vary[{d}].values[");
                    value_problems.extend(found.into_iter().map(|(f, m)| {
                        let k = f
                            .strip_prefix(&prefix)
                            .and_then(|rest| rest.trim_end_matches(']').parse().ok())
                            .unwrap_or(0);
                        (d, k, problem(&f, m))
                    }));
                    vary.push(checked);
                }
                None => problems.extend(found.into_iter().map(|(f, m)| problem(&f, m))),
            }
        }

        let ranged = raw.vary.iter().any(|v| v.range.is_some());
        let samples = match (&raw.samples, ranged) {
            (Some(s), true) => {
                if s.n == 0 || s.n > MAX_VARIANTS {
                    problems.push(problem(
                        "samples.n",
                        format!("expected 1 to {MAX_VARIANTS} samples, found {}", s.n),
                    ));
                }
                Some(Samples {
                    n: s.n.max(1),
                    seed: s.seed,
                    method: s.method,
                })
            }
            (Some(_), false) => {
                problems.push(problem(
                    "samples",
                    "expected [samples] only with a [[vary]] that has a `range`".to_owned(),
                ));
                None
            }
            (None, true) => {
                let d = raw.vary.iter().position(|v| v.range.is_some()).unwrap_or(0);
                problems.push(problem(
                    &format!("vary[{d}].range"),
                    "a range is sampled: expected a [samples] table with `n` and `seed`".to_owned(),
                ));
                None
            }
            (None, false) => None,
        };

        let grid_len = vary.iter().try_fold(1u64, |acc, v| match &v.kind {
            VaryKind::Values(list) => acc.checked_mul(list.len() as u64),
            VaryKind::Range { .. } => Some(acc),
        });
        // Counted on the file's lists, bad values included.
        let file_grid = raw.vary.iter().try_fold(1u64, |acc, v| match &v.values {
            Some(list) => acc.checked_mul(list.len() as u64),
            None => Some(acc),
        });
        let total = file_grid.and_then(|g| g.checked_mul(samples.map_or(1, |s| s.n)));
        if total.is_none_or(|t| t > MAX_VARIANTS) {
            problems.push(problem(
                "vary",
                format!(
                    "expected at most {MAX_VARIANTS} variants, found {}",
                    total.map_or("more than 2^64".to_owned(), |t| t.to_string())
                ),
            ));
        }
        let sample_digits = samples.map_or(0, |s| s.n.saturating_sub(1).to_string().len());
        if let Some(samples) = samples {
            for v in &mut vary {
                if matches!(v.kind, VaryKind::Range { .. }) {
                    v.keys = Some(sample_keys(samples.seed, &v.paths[0]));
                }
            }
        }
        // Problems of the sweep file as a whole, and single values' problems.
        let all = |mut problems: Vec<Problem>, mut values: Vec<(usize, usize, Problem)>| {
            values.sort_by_key(|(d, k, _)| (*d, *k));
            problems.extend(values.into_iter().map(|(_, _, p)| p));
            invalid(problems)
        };
        if !problems.is_empty() {
            return Err(all(problems, value_problems));
        }

        let sweep = Sweep {
            file: file.to_owned(),
            base_file,
            base_is_reference: raw.base == REFERENCE_BASE,
            prefix,
            vary,
            samples,
            base,
            grid_len: grid_len.unwrap_or(1),
            sample_digits,
        };
        // The longest id, part by part.
        let longest = sweep.prefix.len()
            + sweep
                .vary
                .iter()
                .map(|v| match &v.kind {
                    VaryKind::Values(list) => {
                        2 + v.name.len() + list.iter().map(|(_, p)| p.len()).max().unwrap_or(0)
                    }
                    VaryKind::Range { .. } => 0,
                })
                .sum::<usize>()
            + sweep.samples.map_or(0, |_| 2 + sweep.sample_digits);
        if longest > MAX_ID_CHARS {
            return Err(all(
                vec![problem(
                    "id",
                    format!(
                        "the longest variant id would have {longest} characters, above the {MAX_ID_CHARS} a scenario id may have; use a shorter `id` or shorter `name`s"
                    ),
                )],
                value_problems,
            ));
        }

        // Every input at its first value (or the lower end of its range) must make
        // a valid scenario; then so must each grid point and each end of each
        // range with the other inputs there. When the first point is not valid,
        // the nearest valid one (another value of a single input) takes its
        // place, so that the bad values of every list are told apart from the
        // good ones.
        let first: Vec<usize> = vec![0; sweep.vary.len()];
        let mut reference = first.clone();
        let mut invalid_reference = false;
        if let Err(e) = sweep.check_point(&sweep.point_at(&first)) {
            let nearest = (0..sweep.vary.len()).find_map(|d| {
                (1..sweep.vary[d].choices()).find_map(|c| {
                    let mut near = first.clone();
                    near[d] = c;
                    sweep
                        .check_point(&sweep.point_at(&near))
                        .is_ok()
                        .then_some(near)
                })
            });
            match nearest {
                Some(near) => reference = near,
                // One input: each of its values is tried alone, the first too.
                None if sweep.vary.len() == 1 => invalid_reference = true,
                None => {
                    let first = sweep.point_at(&first);
                    value_problems.push((
                        0,
                        0,
                        problem(
                            "vary",
                            format!(
                                "with every input at its first value (or the lower end of its range), variant {} is not a valid scenario, nor with any one input at another value: {e}",
                                sweep.id_of(&first)
                            ),
                        ),
                    ));
                }
            }
        }
        for (d, v) in sweep.vary.iter().enumerate() {
            let mut bad = 0;
            for c in (0..v.choices()).filter(|&c| c != reference[d] || invalid_reference) {
                let mut at = reference.clone();
                at[d] = c;
                let point = sweep.point_at(&at);
                let Err(e) = sweep.check_point(&point) else {
                    continue;
                };
                bad += 1;
                let (field, k) = match &v.kind {
                    VaryKind::Values(_) => {
                        (format!("vary[{d}].values[{}]", v.origin[c]), v.origin[c])
                    }
                    VaryKind::Range { .. } => (format!("vary[{d}].range"), c),
                };
                if bad > MAX_BAD_VALUES_SHOWN {
                    continue;
                }
                let values = sweep
                    .settings_of(&point)
                    .into_iter()
                    .filter(|(dim, _, _)| *dim == d)
                    .map(|(_, path, s)| format!("{path} = {s}"))
                    .collect::<Vec<_>>()
                    .join(", ");
                value_problems.push((
                    d,
                    k,
                    problem(
                        &field,
                        format!(
                            "with {values}, variant {} is not a valid scenario: {e}",
                            sweep.id_of(&point)
                        ),
                    ),
                ));
            }
            if bad > MAX_BAD_VALUES_SHOWN {
                let field = match &v.kind {
                    VaryKind::Values(_) => format!("vary[{d}].values"),
                    VaryKind::Range { .. } => format!("vary[{d}].range"),
                };
                value_problems.push((
                    d,
                    usize::MAX,
                    problem(
                        &field,
                        format!(
                            "{} more values of this list make no valid scenario either (only the first {MAX_BAD_VALUES_SHOWN} are shown)",
                            bad - MAX_BAD_VALUES_SHOWN
                        ),
                    ),
                ));
            }
        }
        if !value_problems.is_empty() {
            return Err(all(Vec::new(), value_problems));
        }
        Ok(sweep)
    }

    /// When every sampled field is a whole number and `[samples] n` exceeds the
    /// combinations of their values there can be: (that most, n). Each grid
    /// point's samples then repeat values, and a repeated variant is the same
    /// scenario run again. Along a range's position u each field's rounded value
    /// changes at most |round(hi) − round(lo)| times, so a `[[vary]]` has at most
    /// 1 + their sum points.
    pub fn repeated_samples(&self) -> Option<(u64, u64)> {
        let samples = self.samples?;
        let mut most: u64 = 1;
        for v in &self.vary {
            if let VaryKind::Range { lo, hi, integer } = &v.kind {
                if !integer.iter().all(|&whole| whole) {
                    return None;
                }
                // `as` saturates: a range of more whole numbers than u64 holds
                // cannot repeat.
                let changes = lo
                    .iter()
                    .zip(hi)
                    .map(|(l, h)| (h.round() - l.round()).abs() as u64)
                    .fold(0u64, u64::saturating_add);
                most = most.saturating_mul(changes.saturating_add(1));
            }
        }
        (most < samples.n).then_some((most, samples.n))
    }

    /// Number of variants.
    pub fn len(&self) -> usize {
        usize::try_from(self.grid_len * self.samples.map_or(1, |s| s.n)).unwrap_or(usize::MAX)
    }

    /// Whether the sweep has no variant (never, once checked).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// For each varied field path of [`Sweep::inputs`], the 1-based number of
    /// the `[[vary]]` it belongs to: the fields of one `[[vary]]` with `paths`
    /// share it (they move together).
    pub fn input_groups(&self) -> Vec<u32> {
        self.vary
            .iter()
            .zip(1u32..)
            .flat_map(|(v, k)| v.paths.iter().map(move |_| k))
            .collect()
    }

    /// The varied field paths, in file order (several per [`Vary`] with `paths`).
    pub fn inputs(&self) -> impl Iterator<Item = &str> {
        self.vary
            .iter()
            .flat_map(|v| v.paths.iter().map(String::as_str))
    }

    /// The point where each input takes choice `at[d]`: grid point `at[d]`, or
    /// for a range its lower (0) or upper (1) end; sample 0.
    fn point_at(&self, at: &[usize]) -> Point {
        Point {
            choices: self
                .vary
                .iter()
                .zip(at)
                .map(|(v, &c)| match v.kind {
                    VaryKind::Values(_) => Choice::Grid(c),
                    VaryKind::Range { .. } => Choice::Unit(if c == 0 { 0.0 } else { 1.0 }),
                })
                .collect(),
            sample: self.samples.map(|_| 0),
        }
    }

    /// Variant i's place: the first grid varies slowest, the sample fastest.
    fn point(&self, i: usize) -> Point {
        let n = self.samples.map_or(1, |s| s.n);
        let i = i as u64;
        let (mut g, s) = (i / n, i % n);
        let mut choices = vec![Choice::Grid(0); self.vary.len()];
        for (d, v) in self.vary.iter().enumerate().rev() {
            choices[d] = match &v.kind {
                VaryKind::Values(list) => {
                    let len = list.len() as u64;
                    let k = g % len;
                    g /= len;
                    Choice::Grid(k as usize)
                }
                VaryKind::Range { .. } => Choice::Unit(match (self.samples, &v.keys) {
                    (Some(samples), Some(keys)) => sample_unit(&samples, keys, s),
                    _ => 0.0,
                }),
            };
        }
        Point {
            choices,
            sample: self.samples.map(|_| s),
        }
    }

    /// The values at `point`: (vary index, field path, value), in file order.
    fn settings_of(&self, point: &Point) -> Vec<(usize, &str, Setting)> {
        let mut out = Vec::new();
        for (d, (v, choice)) in self.vary.iter().zip(&point.choices).enumerate() {
            for (j, path) in v.paths.iter().enumerate() {
                let s = match (&v.kind, *choice) {
                    (VaryKind::Values(list), Choice::Grid(k)) => list[k].0[j].clone(),
                    (VaryKind::Range { lo, hi, integer }, Choice::Unit(u)) => {
                        range_setting(lo[j] + u * (hi[j] - lo[j]), integer[j])
                    }
                    // A point is made for its sweep: grids get grid points.
                    _ => Setting::Bool(false),
                };
                out.push((d, path.as_str(), s));
            }
        }
        out
    }

    fn id_of(&self, point: &Point) -> String {
        let mut id = self.prefix.clone();
        for (v, choice) in self.vary.iter().zip(&point.choices) {
            if let (VaryKind::Values(list), Choice::Grid(k)) = (&v.kind, choice) {
                id.push('_');
                id.push_str(&v.name);
                id.push('-');
                id.push_str(&list[*k].1);
            }
        }
        if let Some(s) = point.sample {
            id.push_str(&format!("_s{s:0width$}", width = self.sample_digits));
        }
        id
    }

    /// The value of each varied field in variant `i` (field path, value), in the
    /// order of [`Sweep::inputs`].
    pub fn values(&self, i: usize) -> Vec<(String, Setting)> {
        self.settings_of(&self.point(i))
            .into_iter()
            .map(|(_, path, s)| (path.to_owned(), s))
            .collect()
    }

    /// The id of variant `i`, without building its text.
    pub fn id(&self, i: usize) -> String {
        self.id_of(&self.point(i))
    }

    /// Variant `i` (0 ≤ i < [`Sweep::len`]): its id, values and scenario text.
    pub fn variant(&self, i: usize) -> Variant {
        let point = self.point(i);
        let id = self.id_of(&point);
        // The paths were checked against the base: setting them cannot fail.
        let text = self.text_of(&point, &id).unwrap_or_default();
        Variant {
            index: i,
            id,
            values: self
                .settings_of(&point)
                .into_iter()
                .map(|(_, path, s)| (path.to_owned(), s))
                .collect(),
            text,
        }
    }

    /// Variant `i` as a checked scenario.
    ///
    /// # Errors
    /// `SWEEP: variant ID: FIELD: MESSAGE; ...`, every problem of the variant
    /// (without lines, which would refer to the generated text).
    pub fn scenario(&self, i: usize) -> Result<(Variant, Scenario), String> {
        let variant = self.variant(i);
        match Scenario::parse_at(
            &variant.text,
            &self.variant_file(&variant.id),
            self.base_dir(),
        ) {
            Ok(s) => Ok((variant, s)),
            Err(e) => Err(format!(
                "{}: variant {}: {}",
                self.file,
                variant.id,
                problems_text(&e)
            )),
        }
    }

    /// The folder a variant's `empirical` inputs read their files from: the base
    /// scenario's (the variants are written from its text).
    fn base_dir(&self) -> Option<&std::path::Path> {
        std::path::Path::new(&self.base_file).parent()
    }

    /// How a variant's scenario is named in messages and run.json: the sweep
    /// file, the variant and its base file, whose line numbers the variant keeps
    /// (its values are replaced in place), so that `NAME:LINE:` in a message
    /// points into the base.
    pub fn variant_file(&self, id: &str) -> String {
        format!("{} (variant {id} of {})", self.file, self.base_file)
    }

    fn text_of(&self, point: &Point, id: &str) -> Result<String, String> {
        let mut doc = self.base.clone();
        let settings = self.settings_of(point);
        let steps = || self.vary.iter().flat_map(|v| v.steps.iter());
        for (steps, (_, _, s)) in steps().zip(&settings) {
            set_at(&mut doc, steps, s.to_toml_edit())?;
        }
        // An alternative whose formula the variant changes keeps its name, which
        // the set compares across variants, but its description says what it
        // carries (a 30:70 variant of "fixed 50:50" read "split evenly" in its
        // report: exploratory test). Replaced on its own line, so the variant's
        // lines stay the base's; an alternative without a description has none
        // to mislead.
        let mut carried: std::collections::BTreeMap<usize, Vec<String>> = Default::default();
        for (steps, (_, path, s)) in steps().zip(&settings) {
            if let [Step::Key(table), Step::Index(i), Step::Key(field), ..] = steps.as_slice()
                && table == "sharing"
                && field != "name"
                && field != "description"
            {
                carried.entry(*i).or_default().push(format!("{path} = {s}"));
            }
        }
        for (i, values) in carried {
            let at = [
                Step::Key("sharing".into()),
                Step::Index(i),
                Step::Key("description".into()),
            ];
            let item = doc
                .get("sharing")
                .and_then(|a| a.get(i))
                .and_then(|t| t.get("description"));
            // A description written over several lines is left as it is: one
            // line in its place would move the lines after it.
            let one_line = item
                .and_then(Item::as_value)
                .is_some_and(|v| !v.to_string().trim().contains('\n'));
            if let Some(old) = item.and_then(Item::as_str).filter(|_| one_line) {
                let text = format!("{old} (in this variant {})", values.join(", "));
                set_at(&mut doc, &at, text.into())?;
            }
        }
        set_at(
            &mut doc,
            &[Step::Key("scenario".into()), Step::Key("id".into())],
            id.into(),
        )?;
        Ok(doc.to_string())
    }

    fn check_point(&self, point: &Point) -> Result<(), String> {
        let id = self.id_of(point);
        let text = self.text_of(point, &id)?;
        Scenario::parse_at(&text, &id, self.base_dir())
            .map(|_| ())
            .map_err(|e| problems_text(&e))
    }
}

/// Whether `text` is a non-empty run of ASCII letters, digits, '-' and '_'.
fn is_id_text(text: &str) -> bool {
    !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// A problem of a sweep file: (field, message).
type Found = Vec<(String, String)>;

/// Checks one `[[vary]]` table (`f` is its field path) against the base and the
/// tables before it; every problem as (field, message). The table comes back
/// when only some of its values are wrong (not a number, boolean or string; a
/// duplicate), without them, so that its other values can still be tried in
/// scenarios: every bad value of a list is reported at once.
fn check_vary(f: &str, v: &VaryFile, base: &DocumentMut, before: &[Vary]) -> (Option<Vary>, Found) {
    match check_vary_paths(f, v, base, before) {
        Ok(checked) => check_vary_values(f, v, checked),
        Err(problems) => (None, problems),
    }
}

/// The paths of a `[[vary]]` table, checked: each path's steps, canonical
/// text and the type of its value in the base.
struct VaryPaths {
    linked: bool,
    name: String,
    steps: Vec<Vec<Step>>,
    canonical: Vec<String>,
    integer: Vec<bool>,
    /// The TOML type of each path's value in the base (`string`, `float`, ...).
    base_types: Vec<&'static str>,
}

fn check_vary_paths(
    f: &str,
    v: &VaryFile,
    base: &DocumentMut,
    before: &[Vary],
) -> Result<VaryPaths, Found> {
    let mut problems = Vec::new();
    let (paths, path_field): (Vec<&String>, String) = match (&v.path, &v.paths) {
        (Some(p), None) => (vec![p], format!("{f}.path")),
        (None, Some(ps)) if !ps.is_empty() => (ps.iter().collect(), format!("{f}.paths")),
        _ => {
            return Err(vec![(
                f.to_owned(),
                "expected exactly one of `path` (a field path) or `paths` (a non-empty list of field paths that move together)".to_owned(),
            )]);
        }
    };
    let linked = v.paths.is_some();
    let mut steps = Vec::new();
    let mut canonical = Vec::new();
    let mut integer = Vec::new();
    let mut base_types = Vec::new();
    for (j, path) in paths.iter().enumerate() {
        let field = if linked {
            format!("{path_field}[{j}]")
        } else {
            path_field.clone()
        };
        let s = match parse_path(path) {
            Ok(s) => s,
            Err(e) => {
                problems.push((field, e));
                continue;
            }
        };
        let text = path_text(&s);
        if FIXED_FIELDS.contains(&text.as_str()) {
            problems.push((field, format!("`{text}` cannot be varied: {}", if text == "scenario.id" {
                "each variant's id is made by the sweep (set its prefix with `id`)"
            } else {
                "the variants share the base's seed so that they run on common random numbers (use --seed to change it for all)"
            })));
            continue;
        }
        if before
            .iter()
            .flat_map(|o| &o.paths)
            .chain(&canonical)
            .any(|o| *o == text)
        {
            problems.push((field, format!("`{text}` is varied twice; vary it once")));
            continue;
        }
        // A field inside another varied field: whichever is set last would undo
        // the other (a value set inside a table the other replaces, or a table
        // replaced around it), and the set would show an input with no effect.
        let mut varied = before.iter().flat_map(|o| &o.paths).chain(&canonical);
        if let Some(problem) = varied.find_map(|o| {
            if inside(&text, o) {
                Some(format!(
                    "`{text}` lies inside `{o}`, which is also varied; vary one of them"
                ))
            } else if inside(o, &text) {
                Some(format!(
                    "`{o}`, which is also varied, lies inside `{text}`; vary one of them"
                ))
            } else {
                None
            }
        }) {
            problems.push((field, problem));
            continue;
        }
        match item_at(base, &s) {
            Ok(Item::Value(value)) => {
                integer.push(value.as_integer().is_some());
                base_types.push(value.type_name());
            }
            Ok(_) => {
                problems.push((field, format!("`{text}` is a table in the base scenario; give the path of one of its fields")));
                continue;
            }
            Err(e) => {
                problems.push((field, e));
                continue;
            }
        }
        steps.push(s);
        canonical.push(text);
    }
    let name = match &v.name {
        Some(n) => n.clone(),
        None => steps.first().map_or_else(String::new, |s| default_name(s)),
    };
    if !is_id_text(&name) && (v.name.is_some() || problems.is_empty()) {
        problems.push((
            format!("{f}.name"),
            format!(
                "expected a non-empty name of ASCII letters, digits, '-' or '_', found `{name}`"
            ),
        ));
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(VaryPaths {
        linked,
        name,
        steps,
        canonical,
        integer,
        base_types,
    })
}

/// The grid or range of a `[[vary]]` table whose paths are `checked`.
fn check_vary_values(f: &str, v: &VaryFile, checked: VaryPaths) -> (Option<Vary>, Found) {
    let VaryPaths {
        linked,
        name,
        steps,
        canonical,
        integer,
        base_types,
    } = checked;
    let mut problems: Found = Vec::new();
    let k = canonical.len();
    let mut origin = Vec::new();
    let kind = match (&v.values, &v.range) {
        (Some(values), None) => {
            if values.is_empty() {
                return (
                    None,
                    vec![(
                        format!("{f}.values"),
                        "expected at least one value".to_owned(),
                    )],
                );
            }
            let mut list: Vec<(Vec<Setting>, String)> = Vec::new();
            for (i, value) in values.iter().enumerate() {
                let field = format!("{f}.values[{i}]");
                let point: Result<Vec<Setting>, String> = if linked {
                    match value.as_array() {
                        Some(a) if a.len() == k => a.iter().map(Setting::from_toml).collect(),
                        _ => Err(format!(
                            "expected an array of {k} values, one for each of `paths`, found {value}"
                        )),
                    }
                } else {
                    Setting::from_toml(value).map(|s| vec![s])
                };
                match point {
                    Ok(point) => {
                        let part = point
                            .iter()
                            .map(|s| s.id_part(i))
                            .collect::<Vec<_>>()
                            .join("-");
                        // Equal values (`-0.0` and `0.0` among floats) make one
                        // scenario twice, under two ids.
                        if let Some(j) = list.iter().position(|(p, _)| *p == point) {
                            let (this, that) = (value_text(&point), value_text(&list[j].0));
                            let found = if this == that {
                                format!("`{this}` again (as values[{}])", origin[j])
                            } else {
                                format!("`{this}`, which equals values[{}] (`{that}`)", origin[j])
                            };
                            problems.push((field, format!(
                                "expected each value once, found {found}: both variants would be the same scenario"
                            )));
                        } else if let Some(j) = list.iter().position(|(_, p)| *p == part) {
                            problems.push((field, format!(
                                "this value and values[{}] would give the same id part `{part}`; their scenarios would share an id",
                                origin[j]
                            )));
                        } else {
                            list.push((point, part));
                            origin.push(i);
                        }
                    }
                    Err(e) => problems.push((field, e)),
                }
            }
            if list.is_empty() {
                return (None, problems);
            }
            VaryKind::Values(list)
        }
        (None, Some(range)) => {
            let field = format!("{f}.range");
            // A range gives numbers: a field that holds text or a yes/no in the
            // base takes `values`.
            let not_numbers: Vec<String> = canonical
                .iter()
                .zip(&base_types)
                .filter(|(_, t)| matches!(**t, "string" | "boolean"))
                .map(|(path, t)| format!("`{path}` holds a {t} in the base scenario"))
                .collect();
            if !not_numbers.is_empty() {
                return (
                    None,
                    vec![(
                        field,
                        format!(
                            "a range gives numbers, but {}; list its values with `values` instead",
                            not_numbers.join(" and ")
                        ),
                    )],
                );
            }
            let pair = |x: &toml::Value| -> Option<(f64, f64)> {
                let a = x.as_array()?;
                let num =
                    |v: &toml::Value| v.as_float().or_else(|| v.as_integer().map(|i| i as f64));
                match a.as_slice() {
                    [lo, hi] => Some((num(lo)?, num(hi)?))
                        .filter(|(lo, hi)| lo.is_finite() && hi.is_finite()),
                    _ => None,
                }
            };
            let ends: Option<Vec<(f64, f64)>> = if linked {
                match range.as_slice() {
                    r if r.len() == k => r.iter().map(pair).collect(),
                    _ => None,
                }
            } else {
                pair(&toml::Value::Array(range.clone()))
                    .filter(|(lo, hi)| lo < hi)
                    .map(|e| vec![e])
            };
            match ends {
                Some(ends) => VaryKind::Range {
                    lo: ends.iter().map(|e| e.0).collect(),
                    hi: ends.iter().map(|e| e.1).collect(),
                    integer,
                },
                None => {
                    let expected = if linked {
                        format!(
                            "expected {k} ranges [from, to] of finite numbers, one for each of `paths` (they move together)"
                        )
                    } else {
                        "expected [lo, hi], two finite numbers with lo < hi".to_owned()
                    };
                    return (
                        None,
                        vec![(
                            field,
                            format!("{expected}, found {}", toml::Value::Array(range.clone())),
                        )],
                    );
                }
            }
        }
        _ => {
            return (
                None,
                vec![(
                    f.to_owned(),
                    "expected exactly one of `values` (a grid) or `range` (sampled)".to_owned(),
                )],
            );
        }
    };
    let vary = Vary {
        paths: canonical,
        name,
        steps,
        kind,
        keys: None,
        origin,
    };
    (Some(vary), problems)
}

/// A grid point as messages show it: `-0`, `"high"`, `[1, 2]` for several paths.
fn value_text(point: &[Setting]) -> String {
    let one = |s: &Setting| match s {
        Setting::String(x) => format!("{x:?}"),
        other => other.to_string(),
    };
    match point {
        [single] => one(single),
        _ => format!("[{}]", point.iter().map(one).collect::<Vec<_>>().join(", ")),
    }
}

/// The problems of a scenario error as `field: message; field: message`.
fn problems_text(e: &ScenarioError) -> String {
    match e {
        ScenarioError::Invalid { problems, .. } => problems
            .iter()
            .map(|p| format!("{}: {}", p.field, p.message))
            .collect::<Vec<_>>()
            .join("; "),
        other => other.to_string(),
    }
}

/// The name of a path in ids: its last key that may stand in an id (ASCII
/// letters, digits, '-' and '_'), with any index after it: `sectors[1]` →
/// `sectors1`, `sharing[1].tax.shares.深圳` → `shares`. Empty when no key may
/// (never in a scenario, whose tables are named in ASCII).
fn default_name(steps: &[Step]) -> String {
    let Some(last_key) = steps
        .iter()
        .rposition(|s| matches!(s, Step::Key(k) if is_id_text(k)))
    else {
        return String::new();
    };
    let mut name = String::new();
    for (k, step) in steps[last_key..].iter().enumerate() {
        match step {
            Step::Key(key) if k == 0 => name.push_str(key),
            Step::Index(i) => name.push_str(&i.to_string()),
            Step::Key(_) => break,
        }
    }
    name
}

fn range_setting(x: f64, integer: bool) -> Setting {
    if integer {
        // x is finite (between two finite ends); beyond i64 the cast saturates.
        Setting::Integer(x.round() as i64)
    } else {
        Setting::Float(x)
    }
}

/// The sweep file's fields, every unknown key, wrong type and missing field
/// reported (as for scenario files).
fn read_file(text: &str) -> Result<SweepFile, Vec<Problem>> {
    crate::scenario::deserialize_as(text)
}

/// The keys of one range's samples.
#[derive(Debug, Clone)]
struct SampleKeys {
    stream: streams::Key,
    rounds: [u64; 4],
}

/// The keys of the samples of the range at `path`: its stream's key,
/// SHA-256(`enclave/streams/v1`, seed, `sweep:<path>`), and the round keys of its
/// permutation, the first four words of that key's stream 2^64 − 1.
fn sample_keys(seed: u64, path: &str) -> SampleKeys {
    let stream = streams::key(seed, &format!("sweep:{path}"));
    let mut rng = streams::open(&stream, u64::MAX);
    SampleKeys {
        stream,
        rounds: std::array::from_fn(|_| rng.next_u64()),
    }
}

/// The uniform in (0, 1) of sample `s` of a range: independent draws for Monte
/// Carlo (the first word of stream `s`); for a Latin hypercube, a point of the
/// stratum that a keyed permutation of 0..n gives sample `s`, placed by the same
/// word. Each input's draws come from its own stream, keyed by the sample seed and
/// its path, so adding or removing another range changes none of them.
fn sample_unit(samples: &Samples, keys: &SampleKeys, s: u64) -> f64 {
    let u = streams::unit_from_u64(streams::open(&keys.stream, s).next_u64());
    match samples.method {
        Method::MonteCarlo => u,
        Method::LatinHypercube => {
            let stratum = permute(s, samples.n, &keys.rounds);
            (stratum as f64 + u) / samples.n as f64
        }
    }
}

/// A keyed permutation of `0..n` evaluated at `x < n`, without a table: a
/// four-round Feistel network on the smallest even number of bits that holds
/// `n - 1`, walked again while it lands at or above `n` (each walk stays inside
/// the permutation's cycle through `x`, so it ends, after fewer than four steps on
/// average as the domain is below `4n`).
fn permute(x: u64, n: u64, keys: &[u64; 4]) -> u64 {
    if n <= 1 {
        return 0;
    }
    let bits = (64 - (n - 1).leading_zeros()).max(2);
    let bits = bits + bits % 2;
    let half = bits / 2;
    let mask = (1u64 << half) - 1;
    let mut y = x;
    loop {
        let (mut l, mut r) = (y >> half, y & mask);
        for k in keys {
            let f = mix(r ^ k) & mask;
            (l, r) = (r, l ^ f);
        }
        y = (l << half) | r;
        if y < n {
            return y;
        }
    }
}

/// SplitMix64's finaliser.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = "[scenario]\nid = \"b\" # the id\n\n[firms]\nrate = { dist = \"normal\", mean = 1, sd = 1 } # why\nsizes = [1, 2, 3]\n\n[[sharing]]\nname = \"a\"\n[sharing.tax.shares]\nzhejiang = 0.5 # half\n\"深圳\" = 0.5 # 飞出地\n\"a b\" = 0.0\n\n[[sharing]]\nname = \"b\"\n";

    fn doc() -> DocumentMut {
        BASE.parse().expect("a TOML document")
    }

    fn set(path: &str, v: impl Into<toml_edit::Value>) -> Result<String, String> {
        let mut d = doc();
        set_at(&mut d, &parse_path(path)?, v.into())?;
        Ok(d.to_string())
    }

    #[test]
    fn paths_parse_into_keys_and_indexes() {
        assert_eq!(
            parse_path("sharing[0].tax.shares.zhejiang"),
            Ok(vec![
                Step::Key("sharing".into()),
                Step::Index(0),
                Step::Key("tax".into()),
                Step::Key("shares".into()),
                Step::Key("zhejiang".into()),
            ])
        );
        for bad in ["", "a..b", "a[x]", "a[1", "a.b c", "[0]", "a]0["] {
            assert!(parse_path(bad).is_err(), "{bad}");
        }
    }

    /// A key of other characters than ASCII letters, digits, '-' and '_' (a
    /// region id in Chinese) is written plainly, as problem messages write it,
    /// or quoted as in TOML; a key with a '.', a space or a quote only quoted.
    /// Either way the path reads back from its canonical text.
    #[test]
    fn paths_take_any_toml_key_plainly_or_quoted() {
        let key = |k: &str| Step::Key(k.into());
        let shares = |k: &str| {
            vec![
                key("sharing"),
                Step::Index(1),
                key("tax"),
                key("shares"),
                key(k),
            ]
        };
        for (path, last, canonical) in [
            (
                "sharing[1].tax.shares.深圳",
                "深圳",
                "sharing[1].tax.shares.深圳",
            ),
            (
                "sharing[1].tax.shares.\"深圳\"",
                "深圳",
                "sharing[1].tax.shares.深圳",
            ),
            (
                "sharing[1].tax.shares.'深圳'",
                "深圳",
                "sharing[1].tax.shares.深圳",
            ),
            (
                "\"sharing\"[1].tax.shares.zhejiang",
                "zhejiang",
                "sharing[1].tax.shares.zhejiang",
            ),
            (
                "sharing[1].tax.shares.\"a.b\"",
                "a.b",
                "sharing[1].tax.shares.\"a.b\"",
            ),
            (
                "sharing[1].tax.shares.'a b'",
                "a b",
                "sharing[1].tax.shares.\"a b\"",
            ),
            (
                "sharing[1].tax.shares.\"a\\\"b\"",
                "a\"b",
                "sharing[1].tax.shares.'a\"b'",
            ),
        ] {
            let steps = parse_path(path).unwrap_or_else(|e| panic!("{path}: {e}"));
            assert_eq!(steps, shares(last), "{path}");
            assert_eq!(path_text(&steps), canonical, "{path}");
            assert_eq!(parse_path(canonical), Ok(steps), "{canonical}");
        }
        assert_eq!(
            parse_path("a.\"深圳\"[2][0].b"),
            Ok(vec![
                key("a"),
                key("深圳"),
                Step::Index(2),
                Step::Index(0),
                key("b")
            ])
        );
        for (bad, why) in [
            (
                "shares.深 圳",
                "has a key with a space or control character in it; write such a key in quotes, as in TOML: `shares.\"a b\"`",
            ),
            (
                "shares.\"深圳",
                "has a quoted key without its closing quote",
            ),
            (
                "shares.'深圳\"",
                "has a quoted key without its closing quote",
            ),
            (
                "shares.\"深圳\"x",
                "has text right after a quoted key or an index; expected '.', '[' or the end there",
            ),
            (
                "shares.a\"b\"",
                "has a quote inside a key; quote a whole key, as in TOML: `shares.\"a b\"`",
            ),
            (
                "shares.\"\\q\"",
                "has a quoted key that is not a TOML string",
            ),
            ("shares.\"深圳\".", "has an empty key"),
            ("shares]", "has a ']' without its '['"),
        ] {
            let e = parse_path(bad).expect_err(bad);
            assert!(e.contains(&format!("`{bad}` {why}")), "{bad}: {e}");
        }
    }

    #[test]
    fn sets_nested_keys_inline_tables_and_arrays_keeping_comments() {
        let text = set("sharing[0].tax.shares.zhejiang", 0.7).expect("set");
        assert!(text.contains("zhejiang = 0.7 # half"), "{text}");
        let parsed: toml::Table = text.parse().expect("TOML");
        assert_eq!(
            parsed["sharing"][0]["tax"]["shares"]["zhejiang"].as_float(),
            Some(0.7)
        );
        assert_eq!(parsed["sharing"][1]["name"].as_str(), Some("b"));

        // A distribution (inline table) replaced by a number.
        let text = set("firms.rate", 3).expect("set");
        assert!(text.contains("rate = 3 # why"), "{text}");
        // Inside an inline table and an array of values.
        let text = set("firms.rate.sd", 2.5).expect("set");
        assert!(text.contains("sd = 2.5"), "{text}");
        let text = set("firms.sizes[2]", 9).expect("set");
        assert!(text.contains("sizes = [1, 2, 9]"), "{text}");
        // The rest of the text is unchanged.
        assert!(text.contains("id = \"b\" # the id"));
        // A key in Chinese, written plainly or quoted.
        for path in [
            "sharing[0].tax.shares.深圳",
            "sharing[0].tax.shares.\"深圳\"",
        ] {
            let text = set(path, 0.3).expect("set");
            assert!(text.contains("\"深圳\" = 0.3 # 飞出地\n"), "{text}");
            assert!(text.contains("zhejiang = 0.5 # half\n"), "{text}");
        }
    }

    #[test]
    fn missing_segments_and_tables_are_refused() {
        assert_eq!(
            set("firms.growth", 1),
            Err("the base scenario has no `firms.growth`".to_owned())
        );
        assert_eq!(
            set("sharing[2].name", "x"),
            Err("the base scenario has no `sharing[2]`".to_owned())
        );
        assert_eq!(
            set("nothing.at.all", 1),
            Err("the base scenario has no `nothing`".to_owned())
        );
        assert_eq!(
            set("firms.sizes[5]", 1),
            Err("the base scenario has no `firms.sizes[5]`".to_owned())
        );
        assert!(set("sharing[0].tax", 1).is_err_and(|e| e.contains("is a table")));
        // Named as the caller names the document, with the nearest key.
        let mut d = doc();
        let steps = parse_path("firms.rates").expect("path");
        assert_eq!(
            set_in(&mut d, "the reference", &steps, 1.into()),
            Err("the reference has no `firms.rates`; did you mean `rate`?".to_owned())
        );
        // A key in Chinese misspelt: named as written, with the nearest key in the
        // form a path takes it (a key with a space quoted).
        assert_eq!(
            set("sharing[0].tax.shares.深圳市", 1),
            Err(
                "the base scenario has no `sharing[0].tax.shares.深圳市`; did you mean `深圳`?"
                    .to_owned()
            )
        );
        assert_eq!(
            set("sharing[0].tax.shares.'a bc'", 1),
            Err("the base scenario has no `sharing[0].tax.shares.\"a bc\"`; did you mean `\"a b\"`?".to_owned())
        );
        // A failed set adds nothing.
        let mut d = doc();
        let _ = set_at(&mut d, &parse_path("firms.growth").expect("path"), 1.into());
        assert_eq!(d.to_string(), BASE);
    }

    #[test]
    fn id_parts_use_only_id_characters() {
        assert_eq!(Setting::Float(1.5).id_part(0), "1p5");
        assert_eq!(Setting::Float(-0.25).id_part(0), "m0p25");
        assert_eq!(Setting::Float(2.0).id_part(0), "2");
        assert_eq!(Setting::Integer(-3).id_part(0), "m3");
        assert_eq!(Setting::Bool(true).id_part(0), "true");
        assert_eq!(Setting::String("a b/c".into()).id_part(0), "a-b-c");
        assert_eq!(Setting::Float(1e-6).id_part(0), "0p000001");
        // Very large and very small numbers with an exponent, not hundreds of digits.
        assert_eq!(Setting::Float(1e-7).id_part(0), "1e-7");
        assert_eq!(Setting::Float(-1.5e308).id_part(0), "m1p5e308");
        assert_eq!(Setting::Float(1e21).to_string(), "1e21");
        assert_eq!(Setting::Float(123456.0).to_string(), "123456");
        // A string an id cannot hold is named by its place in its list: as
        // dashes, "深圳" and "汕尾" would give one id.
        assert_eq!(Setting::String("深圳".into()).id_part(0), "v0");
        assert_eq!(Setting::String("汕尾".into()).id_part(1), "v1");
        assert_eq!(Setting::String("A区".into()).id_part(12), "v12");
        assert_eq!(Setting::String("a b/c".into()).id_part(12), "a-b-c");
    }

    #[test]
    fn permutation_is_a_bijection() {
        let keys = [1, 2, 3, 4];
        for n in [1u64, 2, 3, 5, 16, 17, 100, 1000] {
            let mut seen = vec![false; n as usize];
            for x in 0..n {
                let y = permute(x, n, &keys);
                assert!(y < n);
                assert!(!seen[y as usize], "n = {n}: {y} twice");
                seen[y as usize] = true;
            }
        }
    }

    #[test]
    fn default_names_are_the_last_key() {
        let name = |p: &str| default_name(&parse_path(p).expect("path"));
        assert_eq!(name("firms.arrival_rate"), "arrival_rate");
        assert_eq!(name("sharing[0].tax.shares.zhejiang"), "zhejiang");
        assert_eq!(name("firms.sectors[1]"), "sectors1");
        // An id holds ASCII only: a key in Chinese gives way to the key before it.
        assert_eq!(name("sharing[1].tax.shares.深圳"), "shares");
        assert_eq!(name("sharing[1].tax.shares.\"a b\""), "shares");
        assert_eq!(name("changes[2].深圳[1]"), "changes2");
    }
}
