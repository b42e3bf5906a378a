//! Structure-aware mutations of the bundled scenarios for the `scenario` fuzz target.
//!
//! A fuzz input is read as a program of edits: the first byte picks a bundled
//! scenario (or, with its top bit set, hands the remaining bytes to the loader as
//! they are), and each following group of bytes picks a value somewhere in the
//! scenario's TOML tree and an edit of it (a boundary number, a wrong type, a
//! removed key, a copied array element, ...). The edited tree is written back as
//! TOML, so what the loader sees is always a plausible scenario file. `render`
//! turns a fuzz input into that file, for the regression tests in `tests/fuzz/`.

use toml::{Table, Value};

/// The scenarios the edits start from.
pub const BASES: &[&str] = &[
    include_str!("../../scenarios/jilin-zhejiang.toml"),
    include_str!("../../scenarios/shenzhen-shanwei.toml"),
    include_str!("../../tests/fixtures/five-regions.toml"),
];

const INTEGERS: &[i64] = &[
    0,
    -1,
    1,
    2,
    3,
    7,
    8,
    9,
    30,
    100,
    201,
    255,
    1000,
    1001,
    65_535,
    2_147_483_647,
    2_147_483_648,
    4_294_967_297,
    1_000_000_000_000,
    i64::MAX,
    i64::MIN,
];

const FLOATS: &[f64] = &[
    0.0,
    -0.0,
    0.5,
    1.0,
    -1.0,
    0.999_999_999_999,
    1.000_000_000_001,
    1e-300,
    5e-324,
    1e7,
    1e12,
    1e15,
    1e154,
    1e200,
    1e300,
    1e307,
    f64::MAX,
    -f64::MAX,
    f64::INFINITY,
    f64::NEG_INFINITY,
    f64::NAN,
];

const STRINGS: &[&str] = &[
    "",
    "x",
    "jilin",
    "zhejiang",
    "shenzhen",
    "shanwei",
    "host",
    "origin",
    "other",
    "normal",
    "lognormal",
    "uniform",
    "triangular",
    "beta",
    "pert",
    "fixed",
    "equity",
    "tiered",
    "schedule",
    "split",
    "guaranteed_return",
    "tax",
    "land",
    "vat",
    "cit",
    "吉林",
    "\u{0}",
    "a/b\\c",
];

/// Reads the fuzz input a byte or a number at a time; zeros once it runs out.
pub struct Bytes<'a> {
    data: &'a [u8],
}

impl<'a> Bytes<'a> {
    /// A reader over `data`.
    pub fn new(data: &'a [u8]) -> Bytes<'a> {
        Bytes { data }
    }

    /// True once every byte has been read.
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// The next byte, 0 when none is left.
    pub fn byte(&mut self) -> u8 {
        match self.data.split_first() {
            Some((&b, rest)) => {
                self.data = rest;
                b
            }
            None => 0,
        }
    }

    /// The next eight bytes as a little-endian number.
    pub fn u64(&mut self) -> u64 {
        (0..8).fold(0u64, |acc, i| acc | (u64::from(self.byte()) << (8 * i)))
    }

    /// A number below `n` (`n` > 0), from two bytes.
    pub fn below(&mut self, n: usize) -> usize {
        let x = usize::from(self.byte()) | (usize::from(self.byte()) << 8);
        x % n
    }

    /// Every byte not yet read.
    pub fn rest(&mut self) -> &'a [u8] {
        std::mem::take(&mut self.data)
    }
}

/// What the loader is given for one fuzz input.
pub enum Case {
    /// An edited bundled scenario, written back as TOML.
    Text(String),
    /// Raw bytes, which need not be UTF-8.
    Raw(Vec<u8>),
}

/// The file a fuzz input stands for.
pub fn case(data: &[u8]) -> Case {
    let mut input = Bytes::new(data);
    let head = input.byte();
    if head & 0x80 != 0 {
        return Case::Raw(input.rest().to_vec());
    }
    let base = BASES[usize::from(head) % BASES.len()];
    let Ok(mut table) = toml::from_str::<Table>(base) else {
        return Case::Text(base.to_owned());
    };
    let mut edits = 0;
    while !input.is_empty() && edits < 16 {
        edit(&mut table, &mut input);
        edits += 1;
    }
    match toml::to_string(&table) {
        Ok(text) => Case::Text(text),
        // A tree the writer cannot express (e.g. a table after a value inside an
        // array) is still worth loading: fall back to the base.
        Err(_) => Case::Text(base.to_owned()),
    }
}

/// A step from a table or array to one of its children.
#[derive(Clone)]
enum Step {
    Key(String),
    Index(usize),
}

/// Every value in the tree, as the steps that reach it.
fn paths(table: &Table) -> Vec<Vec<Step>> {
    fn walk(value: &Value, at: &mut Vec<Step>, out: &mut Vec<Vec<Step>>) {
        out.push(at.clone());
        match value {
            Value::Table(t) => {
                for (k, v) in t {
                    at.push(Step::Key(k.clone()));
                    walk(v, at, out);
                    at.pop();
                }
            }
            Value::Array(a) => {
                for (i, v) in a.iter().enumerate() {
                    at.push(Step::Index(i));
                    walk(v, at, out);
                    at.pop();
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    let mut at = Vec::new();
    for (k, v) in table {
        at.push(Step::Key(k.clone()));
        walk(v, &mut at, &mut out);
        at.pop();
    }
    out
}

fn get_mut<'t>(table: &'t mut Table, path: &[Step]) -> Option<&'t mut Value> {
    let (first, rest) = path.split_first()?;
    let Step::Key(k) = first else { return None };
    let mut v = table.get_mut(k)?;
    for step in rest {
        v = match (step, v) {
            (Step::Key(k), Value::Table(t)) => t.get_mut(k)?,
            (Step::Index(i), Value::Array(a)) => a.get_mut(*i)?,
            _ => return None,
        };
    }
    Some(v)
}

fn get<'t>(table: &'t Table, path: &[Step]) -> Option<&'t Value> {
    let (first, rest) = path.split_first()?;
    let Step::Key(k) = first else { return None };
    let mut v = table.get(k)?;
    for step in rest {
        v = match (step, v) {
            (Step::Key(k), Value::Table(t)) => t.get(k)?,
            (Step::Index(i), Value::Array(a)) => a.get(*i)?,
            _ => return None,
        };
    }
    Some(v)
}

/// Removes the value at `path` from its parent.
fn remove(table: &mut Table, path: &[Step]) {
    let Some((last, parent)) = path.split_last() else {
        return;
    };
    if parent.is_empty() {
        if let Step::Key(k) = last {
            table.remove(k);
        }
        return;
    }
    match (last, get_mut(table, parent)) {
        (Step::Key(k), Some(Value::Table(t))) => {
            t.remove(k);
        }
        (Step::Index(i), Some(Value::Array(a))) if *i < a.len() => {
            a.remove(*i);
        }
        _ => {}
    }
}

/// Most values an edited tree may hold (the bundled scenarios hold about 600).
const MAX_VALUES: usize = 200_000;

/// Number of values in `v`, itself included.
fn values(v: &Value) -> usize {
    1 + match v {
        Value::Table(t) => t.values().map(values).sum(),
        Value::Array(a) => a.iter().map(values).sum(),
        _ => 0,
    }
}

/// One edit, chosen and parametrised by the input.
fn edit(table: &mut Table, input: &mut Bytes<'_>) {
    let all = paths(table);
    if all.is_empty() {
        return;
    }
    let path = all[input.below(all.len())].clone();
    let op = input.byte() % 12;
    let new = match op {
        0 => Value::Integer(INTEGERS[input.below(INTEGERS.len())]),
        1 => Value::Float(FLOATS[input.below(FLOATS.len())]),
        2 => Value::String(STRINGS[input.below(STRINGS.len())].to_owned()),
        3 => Value::Boolean(input.byte() & 1 == 1),
        // Any 64-bit number, as an integer or as a float.
        4 => Value::Integer(input.u64() as i64),
        5 => Value::Float(f64::from_bits(input.u64())),
        6 => {
            remove(table, &path);
            return;
        }
        7 => {
            // Scale a number by a power of ten (units entered wrongly), or negate it.
            let power = i32::from(input.byte() % 40) - 20;
            match get(table, &path) {
                Some(Value::Integer(i)) => Value::Float(*i as f64 * 10f64.powi(power)),
                Some(Value::Float(f)) => Value::Float(f * 10f64.powi(power)),
                _ => return,
            }
        }
        8 => {
            // Copy an element of the array that holds this value to its end.
            let Some((Step::Index(i), parent)) = path.split_last() else {
                return;
            };
            if let Some(Value::Array(a)) = get_mut(table, parent)
                && all.len() + values(&a[*i]) <= MAX_VALUES
            {
                let copy = a[*i].clone();
                a.push(copy);
            }
            return;
        }
        9 => {
            // Put a copy of another value of the file here (a wrong but plausible shape).
            let other = all[input.below(all.len())].clone();
            match get(table, &other) {
                Some(v) if all.len() + values(v) <= MAX_VALUES => v.clone(),
                _ => return,
            }
        }
        10 => {
            // An unknown key, or a known key in the wrong table.
            let keys = [
                "x", "mean", "sd", "dist", "kind", "shares", "rate", "years", "id", "inner",
            ];
            if let Some(Value::Table(t)) = get_mut(table, &path) {
                let k = keys[input.below(keys.len())];
                t.insert(
                    k.to_owned(),
                    Value::Integer(INTEGERS[input.below(INTEGERS.len())]),
                );
            }
            return;
        }
        _ => {
            // An array of repeated copies (a huge list of alternatives, years, ...),
            // kept under MAX_VALUES values in all so that the edits themselves
            // cannot exhaust memory.
            let want = 1 + usize::from(input.byte()) * 4;
            match get(table, &path) {
                Some(v) => {
                    let room = MAX_VALUES.saturating_sub(all.len()) / values(v);
                    Value::Array(vec![v.clone(); want.min(room.max(1))])
                }
                None => return,
            }
        }
    };
    if let Some(v) = get_mut(table, &path) {
        *v = new;
    }
}

/// Loads the case and, when it loads, simulates two paths of it; panics (the
/// fuzzer's finding) only where the engine would have panicked or reported a
/// problem without saying what and where.
pub fn check(case: &Case) {
    use enclave::engine::{self, RunConfig};
    use enclave::scenario::{Scenario, ScenarioError};

    let loaded = match case {
        Case::Text(t) => Scenario::from_bytes(t.as_bytes(), "fuzz.toml"),
        Case::Raw(b) => Scenario::from_bytes(b, "fuzz.toml"),
    };
    match loaded {
        Ok(s) => {
            let cfg = RunConfig {
                paths: 2,
                threads: 1,
                horizon: s.simulation.horizon.min(12),
                ..RunConfig::from_scenario(&s)
            };
            // An error is a fine outcome; a panic (here or in a worker) or a hang is not.
            if let Err(e @ engine::EngineError::Panicked) =
                engine::run(&s, &cfg, Default::default(), &mut |_| {})
            {
                panic!("{e}");
            }
        }
        Err(ScenarioError::Invalid { problems, .. }) => {
            assert!(!problems.is_empty(), "invalid without a problem");
            for p in &problems {
                assert!(!p.message.is_empty(), "a problem without a message: {p:?}");
                assert!(!p.field.is_empty(), "a problem without a field: {p:?}");
            }
        }
        Err(e) => panic!("unexpected error: {e}"),
    }
}
