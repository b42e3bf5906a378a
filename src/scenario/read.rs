//! First stage of input: TOML text to a [`ScenarioFile`] (or a sweep file, through
//! [`deserialize_as`]), reporting every unknown key, wrong type and missing field
//! rather than only the first.
//!
//! serde stops at the first error. To find the next one, the offending entry is
//! removed (an unknown key), set to a valid choice (an unknown variant) or replaced
//! by placeholders of each TOML type (a wrong type, a missing field), and the file is
//! read again; errors that only echo an entry already reported are dropped.
//!
//! A number with a decimal point or exponent where a whole number goes
//! (`count = 2.5`) is handed on to validation ([`NotWhole`]), which knows the
//! field's range and says it (`expected a whole number in [0, 100000], found
//! 2.5`); serde's type names (`expected i64`) never reach the reader.

use super::Problem;
use super::file::ScenarioFile;
use super::limits::{
    MAX_ALTERNATIVES, MAX_CHANGES, MAX_CONTRIBUTIONS, MAX_PHASES, MAX_READ_PASSES,
    MAX_REREAD_BYTES, MAX_SECTORS,
};
use super::locate::{self, Step, steps};
use super::strict::Strict;

/// A number written with a decimal point or exponent where the file takes a
/// whole number (`count = 2.5`, `horizon = 25.0`): read as its whole part so
/// that the rest of the file can be checked, and reported by validation, which
/// gives the field's range.
#[derive(Debug, Clone, PartialEq)]
pub struct NotWhole {
    /// Field path, as validation names the field.
    pub field: String,
    /// The number as written.
    pub value: f64,
}

impl NotWhole {
    /// The problem's message: `expected WHAT, found VALUE`, where `what` says
    /// what the field takes (`a whole number in [0, 100]`); a number that is
    /// whole but written as a float (`25.0`, `1e3`) is told how to write it.
    pub fn message(&self, what: &str) -> String {
        let v = self.value;
        if v.is_finite() && v.fract() == 0.0 {
            format!("expected {what}, written without a decimal point or exponent, found {v:?}")
        } else {
            format!("expected {what}, found {v}")
        }
    }
}

/// First stage: TOML text → [`ScenarioFile`], with the fields that hold a number
/// that is not whole where a whole number goes, for validation to report.
///
/// A syntax error stops at once (one problem, with its exact line). Otherwise the
/// file is deserialized again and again: after each error (an unknown key, a wrong
/// type, a missing field) the offending entry is removed or replaced by a
/// placeholder so the next error can be found, and every error is reported, each
/// with its field path and line.
pub fn deserialize(text: &str) -> Result<(ScenarioFile, Vec<NotWhole>), Vec<Problem>> {
    read_all(text).map(|(file, not_whole)| (file, not_whole.into_iter().map(|(n, _)| n).collect()))
}

/// As [`deserialize`], into any type read from TOML (a sweep file too): every
/// unknown key, wrong type and missing field reported, and a number that is not
/// whole where a whole number goes too (without its range, which only a
/// scenario's validation knows).
pub fn deserialize_as<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, Vec<Problem>> {
    match read_all(text)? {
        (file, not_whole) if not_whole.is_empty() => Ok(file),
        (_, not_whole) => Err(not_whole.into_iter().map(|(_, p)| p).collect()),
    }
}

/// What a whole-number field takes, for its problem when only the read stage
/// reports it.
const A_WHOLE_NUMBER: &str = "a whole number";

/// Each number that is not whole where a whole number goes, with the problem
/// the read stage reports for it when the file has other problems too.
type NotWholes = Vec<(NotWhole, Problem)>;

/// Reads `text` as a `T`, reporting every problem; on success, with its
/// numbers that are not whole where a whole number goes.
fn read_all<T: serde::de::DeserializeOwned>(text: &str) -> Result<(T, NotWholes), Vec<Problem>> {
    let mut table: toml::Table = match text.parse() {
        Ok(t) => t,
        Err(e) => return Err(vec![toml_problem(text, &e)]),
    };
    // Parsed for positions once, on the first problem.
    let mut locator: Option<locate::Locator<'_>> = None;
    let mut problems = truncate_long_arrays(&mut table, text, &mut locator);
    // Each pass reads the whole table again: a large file gets fewer passes, so the
    // passes together read at most MAX_REREAD_BYTES (and at least two are made).
    let len = u64::try_from(text.len()).unwrap_or(u64::MAX).max(1);
    let passes = usize::try_from(MAX_REREAD_BYTES / len)
        .unwrap_or(MAX_READ_PASSES)
        .clamp(2, MAX_READ_PASSES);
    let mut seen: Vec<String> = Vec::new();
    let mut attempts: Vec<(String, usize)> = Vec::new();
    let mut quiet: Vec<String> = Vec::new();
    // Numbers that are not whole, also among `problems` (dropped if they are
    // the only ones: validation reports them with their ranges).
    let mut not_whole: NotWholes = Vec::new();
    // Whether every pass found a problem: there may be more than were reported.
    let exhausted = 'read: {
        for _ in 0..passes {
            let err = match serde_path_to_error::deserialize::<_, T>(Strict(toml::Value::Table(
                table.clone(),
            ))) {
                Ok(file) if problems.len() == not_whole.len() => return Ok((file, not_whole)),
                Ok(_) => break 'read false,
                Err(e) => e,
            };
            let mut path = err.path().to_string();
            if path == "." {
                path.clear();
            }
            let (path, message) = inside_formula(&mut table, path, err.inner().message().trim());
            let join = |a: &str, b: &str| {
                if a.is_empty() {
                    b.to_owned()
                } else {
                    format!("{a}.{b}")
                }
            };
            // The entry to fix: an unknown key itself, or the value at the path.
            let (field, key_to_remove) = if let Some(key) = backticked(&message, "unknown field `")
            {
                let field = if path.ends_with(key) {
                    path.clone()
                } else {
                    join(&path, key)
                };
                (field.clone(), Some(field))
            } else if let Some(key) = backticked(&message, "missing field `") {
                (join(&path, key), None)
            } else {
                (path.clone(), None)
            };
            // Errors inside a value already replaced by a placeholder, or in a formula
            // whose unknown kind was replaced, are echoes of a problem already reported.
            let inside = |r: &str| {
                field.starts_with(r)
                    && (field.len() == r.len() || field[r.len()..].starts_with(['.', '[']))
            };
            let echo = attempts
                .iter()
                .any(|(r, _)| field.len() > r.len() && inside(r))
                || quiet.iter().any(|r| inside(r));
            if !echo
                && !seen.contains(&field)
                && let Some(value) = float_for_integer(&message)
            {
                // Read as its whole part (within every integer type the file has),
                // so that the rest is read and validation can give the range.
                seen.push(field.clone());
                let n = NotWhole {
                    field: field.clone(),
                    value,
                };
                let problem = Problem {
                    line: locator
                        .get_or_insert_with(|| locate::Locator::new(text))
                        .line_of(&field),
                    field: field.clone(),
                    message: n.message(A_WHOLE_NUMBER),
                };
                problems.push(problem.clone());
                not_whole.push((n, problem));
                let whole = value
                    .trunc()
                    .clamp(f64::from(i32::MIN), f64::from(i32::MAX));
                // In i32's range, so the conversion is exact (NaN gives 0).
                if set_at(&mut table, &field, toml::Value::Integer(whole as i64)) {
                    continue;
                }
                break 'read false;
            }
            let message = choice_of_strings::<T>(&table, &field, &message)
                .or_else(|| expected_table(&table, &field, &message))
                .unwrap_or_else(|| plain_types(&message));
            if !seen.contains(&field) && !echo {
                seen.push(field.clone());
                let mut message = message.clone();
                if let Some(hint) = suggestion(&message) {
                    message.push_str(&hint);
                    // A typo'd key leaves its intended key missing: say it once, not twice.
                    if let Some(key) = backticked(&hint, "did you mean `") {
                        let parent = field.rsplit_once('.').map_or("", |(p, _)| p);
                        seen.push(join(parent, key));
                    }
                }
                let field_name = if field.is_empty() {
                    "(file)".to_owned()
                } else {
                    field.clone()
                };
                problems.push(Problem {
                    line: locator
                        .get_or_insert_with(|| locate::Locator::new(text))
                        .line_of(&field),
                    field: field_name,
                    message,
                });
            }
            // For an unknown variant: the one suggested, else the first allowed.
            let variant = backticked(&message, "unknown variant `").and(
                suggestion(&message)
                    .and_then(|hint| backticked(&hint, "did you mean `").map(str::to_owned))
                    .or_else(|| {
                        backticked(&message, "expected one of `")
                            .or_else(|| backticked(&message, "expected `"))
                            .map(str::to_owned)
                    }),
            );
            let fixed = match (key_to_remove, variant) {
                (Some(key), _) => remove_at(&mut table, &key),
                // An unknown variant is replaced by a valid one (for a table tagged by
                // `kind`, its tag), so the rest of the file can still be read.
                (None, Some(variant)) => {
                    let tag = join(&field, "kind");
                    let target = if get_at(&mut table, &tag).is_some() {
                        tag
                    } else {
                        field.clone()
                    };
                    if let Some(formula) = target.strip_suffix(".kind") {
                        quiet.push(formula.to_owned());
                    }
                    // Replaced once; should the same entry fail again, stop reading.
                    let first_time = !attempts.iter().any(|(p, _)| *p == target);
                    attempts.push((target.clone(), 0));
                    first_time && set_at(&mut table, &target, toml::Value::String(variant))
                }
                (None, None) => {
                    let n = match attempts.iter_mut().find(|(p, _)| *p == field) {
                        Some((_, n)) => {
                            *n += 1;
                            *n
                        }
                        None => {
                            attempts.push((field.clone(), 0));
                            0
                        }
                    };
                    // A pair's placeholder is a pair, which none of the others
                    // is (it stopped the reading: exploratory test).
                    let pair = message.starts_with(PAIR).then(|| {
                        toml::Value::Array(vec![toml::Value::Integer(0), toml::Value::Integer(0)])
                    });
                    let placeholders = [
                        toml::Value::Integer(0),
                        toml::Value::String(String::new()),
                        toml::Value::Table(toml::Table::new()),
                        toml::Value::Array(Vec::new()),
                        toml::Value::Boolean(false),
                    ];
                    match pair.into_iter().chain(placeholders).nth(n) {
                        Some(v) => set_at(&mut table, &field, v),
                        None => false,
                    }
                }
            };
            if !fixed {
                break 'read false;
            }
        }
        true
    };
    // In the order of the file's lines, as the later checks give theirs: the
    // reading meets them in the order of the keys' names.
    problems.sort_by_key(|p| p.line.unwrap_or(usize::MAX));
    if exhausted {
        problems.push(Problem {
            line: None,
            field: super::STOPPED.to_owned(),
            message: format!(
                "reading stopped after these {} problems (the file is read again for each, at most {passes} times): more may follow; fix these and validate again",
                problems.len()
            ),
        });
    }
    Err(problems)
}

/// Cuts the arrays of tables that have a count limit down to it, with a problem
/// for each, before anything else reads them: a file far over a limit then costs
/// no more memory or time to refuse than one at it. (Validation checks the same
/// limits for scenarios built otherwise.)
fn truncate_long_arrays<'t>(
    table: &mut toml::Table,
    text: &'t str,
    locator: &mut Option<locate::Locator<'t>>,
) -> Vec<Problem> {
    let limits: [(&str, usize, &str); 5] = [
        ("park.phases", MAX_PHASES, "phases"),
        ("contributions", MAX_CONTRIBUTIONS, "contributions"),
        ("firms.sectors", MAX_SECTORS, "sectors"),
        ("sharing", MAX_ALTERNATIVES, "alternatives"),
        ("changes", MAX_CHANGES, "changes"),
    ];
    let mut problems = Vec::new();
    for (field, max, what) in limits {
        if let Some(toml::Value::Array(items)) = get_at(table, field)
            && items.len() > max
        {
            let found = items.len();
            items.truncate(max);
            problems.push(Problem {
                line: locator
                    .get_or_insert_with(|| locate::Locator::new(text))
                    .line_of(field),
                field: field.to_owned(),
                message: format!("expected at most {max} {what}, found {found}"),
            });
        }
    }
    problems
}

/// The exact path and message of an error serde reported at a formula's table.
///
/// serde reads a formula (tagged by `kind`) through a buffer that loses the path
/// below it, so an error in a tranche, period or inner formula comes back at the
/// formula. Its body is read again on its own, as the struct of its kind, which
/// names the key; nested formulas are followed down the same way.
fn inside_formula(table: &mut toml::Table, mut path: String, message: &str) -> (String, String) {
    let mut message = message.to_owned();
    // Each step goes one formula deeper, so the depth of the file bounds the loop.
    loop {
        let Some(toml::Value::Table(formula)) = get_at(table, &path).map(|v| v.clone()) else {
            return (path, message);
        };
        let Some(toml::Value::String(kind)) = formula.get("kind").cloned() else {
            return (path, message);
        };
        let mut body = formula;
        body.remove("kind");
        let Some((inner, inner_message)) = body_error(&kind, body) else {
            return (path, message);
        };
        let inner = if inner == "." { String::new() } else { inner };
        if inner.is_empty() {
            // An error at the body itself (an unknown or missing key): its message
            // names the key, and the path stays the formula's.
            return (path, inner_message);
        }
        path = format!("{path}.{inner}");
        message = inner_message;
    }
}

/// The path and message of the first error reading a formula's `body` (without its
/// `kind`) as the struct of `kind`; `None` for an unknown kind or a body that reads.
fn body_error(kind: &str, body: toml::Table) -> Option<(String, String)> {
    use super::file::{
        FixedFile, GuaranteedReturnFile, IncrementalFile, NoFieldsFile, ScheduleFile, TieredFile,
    };
    fn read<T: serde::de::DeserializeOwned>(body: toml::Table) -> Option<(String, String)> {
        serde_path_to_error::deserialize::<_, T>(Strict(toml::Value::Table(body)))
            .err()
            .map(|e| (e.path().to_string(), e.inner().message().trim().to_owned()))
    }
    match kind {
        "fixed" => read::<FixedFile>(body),
        "equity" | "contribution" => read::<NoFieldsFile>(body),
        "schedule" => read::<ScheduleFile>(body),
        "incremental" => read::<IncrementalFile>(body),
        "tiered" => read::<TieredFile>(body),
        "guaranteed_return" => read::<GuaranteedReturnFile>(body),
        _ => None,
    }
}

/// The number in serde's `invalid type: floating point `2.5`, expected i64`: a
/// float where an integer type goes.
fn float_for_integer(message: &str) -> Option<f64> {
    let rest = message.strip_prefix("invalid type: floating point `")?;
    let (value, expected) = rest.split_once('`')?;
    let ty = expected.strip_prefix(", expected ")?;
    INTEGER_TYPES
        .contains(&ty)
        .then(|| value.parse().ok())
        .flatten()
}

/// Rust's integer types, as serde names them in its messages.
const INTEGER_TYPES: [&str; 12] = [
    "i8", "i16", "i32", "i64", "i128", "isize", "u8", "u16", "u32", "u64", "u128", "usize",
];

/// What a pair of the file (`cit_holiday = [2, 3]`) takes, as its problems say.
const PAIR: &str = "expected a pair in brackets, such as [2, 3]";

/// `message` with serde's name of an expected Rust type (`, expected i64`) put
/// in words a planner reads.
fn plain_types(message: &str) -> String {
    // An unquoted TOML date where a year goes (`start_year = 2026-01-01`): toml
    // calls it a string, which the file does not show.
    if let Some(date) = message
        .strip_prefix("invalid type: string \"")
        .and_then(|m| m.split_once('"'))
        .filter(|(_, rest)| rest.starts_with(", expected i"))
        .map(|(date, _)| date)
        .filter(|d| d.len() >= 10 && d.as_bytes()[4] == b'-' && d.as_bytes()[7] == b'-')
        && let Some(Ok(year)) = date.get(..4).map(str::parse::<u32>)
    {
        return format!(
            "expected a whole number (a year is written {year}), found the date {date}"
        );
    }
    // The file's fixed-length arrays are pairs (`cit_holiday`, a period's `years`
    // and `calendar_years`): serde says "invalid length 3, expected fewer elements
    // in array" for three values, and names Rust's type for a bare number.
    if let Some(rest) = message.strip_prefix("invalid length ")
        && let Some((n, expected)) = rest.split_once(", expected ")
        && (expected == "fewer elements in array" || expected == "an array of length 2")
    {
        let values = if n == "1" { "value" } else { "values" };
        return format!("{PAIR}, found {n} {values}");
    }
    if let Some(found) = message
        .strip_prefix("invalid type: ")
        .and_then(|m| m.strip_suffix(", expected an array of length 2"))
    {
        return format!("{PAIR}, found {found}");
    }
    if let Some((head, ty)) = message.rsplit_once(", expected ") {
        let words = match ty {
            "f32" | "f64" => Some("a number"),
            t if t.starts_with('u') && INTEGER_TYPES.contains(&t) => Some("a whole number ≥ 0"),
            t if INTEGER_TYPES.contains(&t) => Some("a whole number"),
            _ => None,
        };
        if let Some(words) = words {
            return format!("{head}, expected {words}");
        }
    }
    message.to_owned()
}

/// The message for a value that is not a string where one of a fixed set of
/// strings goes (`role = 0.1`), for which toml says `invalid type: unit variant,
/// expected string only`, naming neither the strings nor the value: `expected
/// one of `source`, `host`, `other` (a string), found 0.1`. The strings are
/// those serde lists for a string that is none of them.
fn choice_of_strings<T: serde::de::DeserializeOwned>(
    table: &toml::Table,
    field: &str,
    message: &str,
) -> Option<String> {
    if !message.starts_with("invalid type: unit variant") {
        return None;
    }
    let mut probe = table.clone();
    let found = get_at(&mut probe, field)?.clone();
    if !set_at(&mut probe, field, toml::Value::String("\u{1}".to_owned())) {
        return None;
    }
    let err = serde_path_to_error::deserialize::<_, T>(Strict(toml::Value::Table(probe.clone())))
        .err()?;
    // In a formula nested in another, the error comes back at the outer one.
    let (path, message) = inside_formula(
        &mut probe,
        err.path().to_string(),
        err.inner().message().trim(),
    );
    if path != field {
        return None;
    }
    let (_, expected) = message.split_once(", expected ")?;
    Some(format!(
        "expected {} (a string), found {found}",
        expected.trim()
    ))
}

/// The message for a value that is not a table where a table goes, in the
/// file's words: serde names the Rust type (`expected struct EffectsFile`,
/// `expected a map`, `expected a sequence` for an array of tables), which the
/// file does not show. Each says what the field takes, with an example where
/// one is short (`expected a table such as `{ attractiveness = 1.2 }`, found
/// 1.25`), and the value found as written.
fn expected_table(table: &toml::Table, field: &str, message: &str) -> Option<String> {
    let (head, expected) = message.rsplit_once(", expected ")?;
    let serde_found = head.strip_prefix("invalid type: ")?;
    // The field without its indices, as its header names it (`sharing.tax.periods`).
    let mut header = String::new();
    let mut depth = 0;
    for c in field.chars() {
        match c {
            '[' => depth += 1,
            ']' => depth -= 1,
            c if depth == 0 => header.push(c),
            _ => {}
        }
    }
    let key = header.rsplit('.').next().unwrap_or(&header);
    let entry = field.ends_with(']');
    let what = if let Some(name) = expected.strip_prefix("struct ") {
        match name {
            "EffectsFile" => "a table such as `{ attractiveness = 1.2 }`".to_owned(),
            "DeliveryFile" => {
                "a table such as `{ default_probability = 0.05, haircut = 0.1 }`".to_owned()
            }
            "TaxPoolFile" => {
                "a table such as `{ firms = \"relocated\", taxes = [\"vat\", \"cit\"] }`".to_owned()
            }
            "PoolCapFile" => "a table such as `{ region = \"…\", amount = 100 }`".to_owned(),
            _ if entry => format!("a table: an entry `[[{header}]]` with its keys below it"),
            _ => format!(
                "a table: its keys below a `[{header}]` header, or inline `{{ key = value, … }}`"
            ),
        }
    } else if expected == super::file::FORMULA_TABLE {
        "a formula table such as `{ kind = \"fixed\", shares = { … } }`".to_owned()
    } else if expected == "a map" {
        match key {
            "shares" | "equity" => "a shares table `{ region = share, … }`".to_owned(),
            "contributions" => "a table `{ region = amount, … }`".to_owned(),
            "sectors" => "a table of sectors `{ sector = { … }, … }`".to_owned(),
            _ => "a table `{ key = value, … }`".to_owned(),
        }
    } else if expected == "a sequence" {
        const ENTRIES: [&str; 9] = [
            "regions",
            "phases",
            "contributions",
            "sectors",
            "sharing",
            "changes",
            "firms",
            "periods",
            "tranches",
        ];
        if ENTRIES.contains(&key) {
            format!("a list of tables: entries `[[{header}]]`, each with its keys below it")
        } else {
            "an array `[…]`".to_owned()
        }
    } else {
        return None;
    };
    let mut probe = table.clone();
    let found = get_at(&mut probe, field).map_or_else(
        || serde_found.to_owned(),
        |v| {
            if v.is_table() {
                return "a table".to_owned();
            }
            let text = v.to_string();
            // A long array or table as its start.
            if text.chars().count() > 60 {
                format!("{}…", text.chars().take(59).collect::<String>())
            } else {
                text
            }
        },
    );
    Some(format!("expected {what}, found {found}"))
}

/// The text between `prefix` and the next backtick.
fn backticked<'a>(message: &'a str, prefix: &str) -> Option<&'a str> {
    let rest = &message[message.find(prefix)? + prefix.len()..];
    rest.split_once('`').map(|(key, _)| key)
}

/// The table holding the last step of `path`, and that step.
fn parent_of<'a>(table: &'a mut toml::Table, path: &str) -> Option<(&'a mut toml::Table, String)> {
    let steps = steps(path);
    let (Step::Key(last), init) = steps.split_last()? else {
        return None;
    };
    let mut cur: &mut toml::Table = table;
    let mut i = 0;
    while i < init.len() {
        let Step::Key(key) = init[i] else { return None };
        let mut value = cur.get_mut(key)?;
        i += 1;
        while let Some(Step::Index(index)) = init.get(i) {
            value = match value {
                toml::Value::Array(a) => a.get_mut(*index)?,
                _ => return None,
            };
            i += 1;
        }
        cur = match value {
            toml::Value::Table(t) => t,
            _ => return None,
        };
    }
    Some((cur, (*last).to_owned()))
}

fn get_at<'a>(table: &'a mut toml::Table, path: &str) -> Option<&'a mut toml::Value> {
    parent_of(table, path).and_then(|(t, key)| t.get_mut(&key))
}

fn remove_at(table: &mut toml::Table, path: &str) -> bool {
    parent_of(table, path).is_some_and(|(t, key)| t.remove(&key).is_some())
}

fn set_at(table: &mut toml::Table, path: &str, value: toml::Value) -> bool {
    // An element of an array (`years[1]`): set in the array at the path before it.
    if let Some(&Step::Index(i)) = steps(path).last()
        && let Some(open) = path.rfind('[')
    {
        return match get_at(table, &path[..open]) {
            Some(toml::Value::Array(items)) if i < items.len() => {
                items[i] = value;
                true
            }
            _ => false,
        };
    }
    match parent_of(table, path) {
        Some((t, key)) => {
            t.insert(key, value);
            true
        }
        None => false,
    }
}

fn toml_problem(text: &str, e: &toml::de::Error) -> Problem {
    let line = e
        .span()
        .map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1);
    if let Some(p) = integer_beyond_toml(text, line, e.message().trim()) {
        return p;
    }
    if e.message().trim() == "duplicate key" {
        return line.and_then(|n| duplicate(text, n)).unwrap_or_else(|| Problem {
            line,
            field: "(syntax)".to_owned(),
            message: "duplicate key: a key or table is defined twice here: a key repeated inside an inline table `{ … }`, a table given both inline (`tax = { … }`) and by its own header (`[sharing.tax]`), or a dotted key (`seed.x`) beside a plain one (`seed`)".to_owned(),
        });
    }
    let mut message = e.message().trim().to_owned();
    // A multi-line string left open: toml reports the end of the file, which
    // says nothing of where the string began.
    if message.starts_with("invalid multi-line")
        && let Some((opened, delimiter)) = unclosed_multi_line(text)
    {
        return Problem {
            line: Some(opened),
            field: "(syntax)".to_owned(),
            message: format!(
                "the multi-line string opened here with {delimiter} is not closed before the end of the file ({message})"
            ),
        };
    }
    // `area mu = 5`: TOML reads `area` as a key without its `=`.
    let key_with_space = line
        .and_then(|n| text.lines().nth(n - 1))
        .and_then(|l| l.split_once('='))
        .map(|(key, _)| key.trim())
        .filter(|key| !key.starts_with(['[', '"', '\'']) && key.contains(char::is_whitespace));
    if message.starts_with("key with no value")
        && let Some(key) = key_with_space
    {
        let joined: Vec<&str> = key.split_whitespace().collect();
        message.push_str(&format!(
            "; a key has no spaces: did you mean `{}`?",
            joined.join("_")
        ));
    }
    // `discount_rate = 5%`: TOML has no percent sign.
    let percent = line
        .and_then(|n| text.lines().nth(n - 1))
        .and_then(|l| l.split_once('='))
        .map(|(_, value)| value.split('#').next().unwrap_or("").trim())
        .and_then(|v| v.strip_suffix('%'))
        .and_then(|number| number.trim().parse::<f64>().ok());
    if let Some(p) = percent {
        message.push_str(&format!(
            "; a share or rate is a number without %: {p}% is {}",
            p / 100.0
        ));
    }
    // A Chinese input method's full-width `，` `“` `＝` `２` where TOML needs
    // ASCII: the commonest slip, and toml's message does not show it.
    if let Some((at, wide, ascii)) = line.and_then(|n| {
        let lines: Vec<&str> = text.lines().collect();
        [n, n.saturating_sub(1)]
            .into_iter()
            .filter(|&k| k >= 1)
            .find_map(|k| full_width(lines.get(k - 1)?).map(|(c, w, a)| ((k, c), w, a)))
    }) {
        let (k, column) = at;
        let here = if Some(k) == line {
            format!("column {column}")
        } else {
            format!("line {k}, column {column}")
        };
        message.push_str(&format!(
            "; {here} has the full-width `{wide}` where TOML needs `{ascii}`: switch the input method to half-width (半角) punctuation outside quotes"
        ));
    }
    if message.starts_with("invalid unquoted key") {
        // Region ids in Chinese are the usual case: TOML's bare keys are ASCII.
        message.push_str(
            "; a key with other characters (a region id in Chinese, a space) is written in quotes, e.g. shares = { \"北京\" = 0.4 }",
        );
    }
    Problem {
        line,
        field: "(syntax)".to_owned(),
        message,
    }
}

/// The line where a multi-line string (`"""` or `'''`) opens that the file
/// leaves open, with its delimiter: TOML's strings and comments followed from
/// the start (escapes in basic strings skipped).
fn unclosed_multi_line(text: &str) -> Option<(usize, &'static str)> {
    #[derive(Clone, Copy, PartialEq)]
    enum In {
        Code,
        Comment,
        Basic,
        Literal,
        MultiBasic(usize),
        MultiLiteral(usize),
    }
    let bytes = text.as_bytes();
    let mut state = In::Code;
    let mut line = 1;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        let triple = |q: u8| bytes.get(i..i + 3) == Some(&[q, q, q][..]);
        let mut step = 1;
        state = match state {
            In::Code if b == b'#' => In::Comment,
            In::Code if triple(b'"') => {
                step = 3;
                In::MultiBasic(line)
            }
            In::Code if triple(b'\'') => {
                step = 3;
                In::MultiLiteral(line)
            }
            In::Code if b == b'"' => In::Basic,
            In::Code if b == b'\'' => In::Literal,
            In::Comment | In::Basic | In::Literal if b == b'\n' => In::Code,
            In::Basic | In::MultiBasic(_) if b == b'\\' => {
                // The escaped character (a quote, a backslash) is no delimiter.
                if bytes.get(i + 1) == Some(&b'\n') {
                    line += 1;
                }
                step = 2;
                state
            }
            In::Basic if b == b'"' => In::Code,
            In::Literal if b == b'\'' => In::Code,
            In::MultiBasic(_) if triple(b'"') => {
                step = 3;
                In::Code
            }
            In::MultiLiteral(_) if triple(b'\'') => {
                step = 3;
                In::Code
            }
            other => other,
        };
        if b == b'\n' {
            line += 1;
        }
        i += step;
    }
    match state {
        In::MultiBasic(line) => Some((line, "\"\"\"")),
        In::MultiLiteral(line) => Some((line, "'''")),
        _ => None,
    }
}

/// The first full-width character of TOML's syntax in `line` outside quoted
/// strings and comments: its column (in characters, from 1), itself and the
/// ASCII character TOML needs there.
fn full_width(line: &str) -> Option<(usize, char, char)> {
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for (i, c) in line.chars().enumerate() {
        match quote {
            Some(q) => {
                if escaped {
                    escaped = false;
                } else if c == '\\' && q == '"' {
                    escaped = true;
                } else if c == q {
                    quote = None;
                }
            }
            None => {
                if c == '"' || c == '\'' {
                    quote = Some(c);
                    continue;
                }
                if c == '#' {
                    return None;
                }
                let ascii = match c {
                    '，' | '、' => ',',
                    '“' | '”' | '＂' => '"',
                    '‘' | '’' | '＇' => '\'',
                    '＝' => '=',
                    '：' => ':',
                    '．' | '。' => '.',
                    '［' | '【' => '[',
                    '］' | '】' => ']',
                    '｛' => '{',
                    '｝' => '}',
                    '－' => '-',
                    '＋' => '+',
                    '＃' => '#',
                    '　' => ' ',
                    '０'..='９' => char::from(b'0' + (c as u32 - '０' as u32) as u8),
                    _ => continue,
                };
                return Some((i + 1, c, ascii));
            }
        }
    }
    None
}

/// The problem of TOML's bare "duplicate key" at line `n`, said in the file's
/// terms: a table header written twice (often `[sharing]` where another
/// `[[sharing]]` entry was meant), or a key given twice in one table; each with
/// the line of the first.
fn duplicate(text: &str, n: usize) -> Option<Problem> {
    let lines: Vec<&str> = text.lines().collect();
    let here = lines.get(n.checked_sub(1)?)?.split('#').next()?.trim();
    // The name inside a header's brackets, and whether it is `[[…]]`.
    let header = |l: &str| -> Option<(String, bool)> {
        let l = l.split('#').next()?.trim();
        let array = l.starts_with("[[");
        let name = l.strip_prefix('[')?.trim_start_matches('[');
        let name = name.split(']').next()?.trim();
        Some((name.to_owned(), array))
    };
    if let Some((name, array)) = header(here) {
        let first = lines[..n - 1]
            .iter()
            .position(|l| header(l).is_some_and(|(m, _)| m == name))?;
        let first_array = header(lines[first]).is_some_and(|(_, a)| a);
        let message = if first_array && !array {
            format!(
                "`[{name}]` after `[[{name}]]` (line {}): another entry of the list is written `[[{name}]]`",
                first + 1
            )
        } else if array && !first_array {
            format!(
                "`[[{name}]]` after the table `[{name}]` (line {}): every entry of the list is written `[[{name}]]`, the first too",
                first + 1
            )
        } else {
            format!(
                "the table `[{name}]` appears twice (first at line {}): write its keys under one header",
                first + 1
            )
        };
        return Some(Problem {
            line: Some(n),
            field: name,
            message,
        });
    }
    let key = here.split_once('=')?.0.trim().trim_matches('"');
    // The table the key is in: the nearest header above, and its line.
    let start = lines[..n - 1]
        .iter()
        .rposition(|l| header(l).is_some())
        .map_or(0, |i| i + 1);
    let table = start
        .checked_sub(1)
        .and_then(|i| header(lines[i]))
        .map(|(name, _)| name);
    let first = lines[start..n - 1].iter().position(|l| {
        l.split_once('=')
            .is_some_and(|(k, _)| k.trim().trim_matches('"') == key)
    })?;
    let field = table.map_or_else(|| key.to_owned(), |t| format!("{t}.{key}"));
    Some(Problem {
        line: Some(n),
        field,
        message: format!(
            "`{key}` is given twice (first at line {}): keep one",
            start + first + 1
        ),
    })
}

/// The problem of an integer beyond TOML's (a 64-bit signed integer), which the
/// parser reports as `u64 value was too large` or `invalid type: integer `X` as
/// i128, expected any valid TOML value`: put at its field when the line is a
/// plain `key = value` (under the table header above it), with the range. A
/// seed is the usual one (`--seed` takes any u64, the file cannot): it is told so.
fn integer_beyond_toml(text: &str, line: Option<usize>, message: &str) -> Option<Problem> {
    let in_message = message
        .strip_prefix("invalid type: integer `")
        .and_then(|rest| rest.split_once("` as i128"))
        .map(|(x, _)| x.to_owned());
    if in_message.is_none() && message != "u64 value was too large" {
        return None;
    }
    let n = line?;
    let lines: Vec<&str> = text.lines().collect();
    let (key, value) = lines.get(n - 1)?.split_once('=')?;
    let key = key.trim();
    let value = value.split('#').next().unwrap_or("").trim();
    let plain = |s: &str| {
        !s.is_empty()
            && s.trim_start_matches(['+', '-'])
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_')
    };
    let found = in_message.or_else(|| plain(value).then(|| value.to_owned()));
    let field = plain(key).then(|| {
        // The table header above the line: `[a.b]`, or `[[a.b]]` counted to an index.
        let header = lines[..n - 1]
            .iter()
            .rev()
            .map(|l| l.trim())
            .find(|l| l.starts_with('['));
        let Some(h) = header else {
            return key.to_owned();
        };
        let name = h
            .trim_start_matches('[')
            .split(']')
            .next()
            .unwrap_or("")
            .trim();
        if h.starts_with("[[") {
            let index = lines[..n - 1].iter().filter(|l| l.trim() == h).count();
            format!("{name}[{}].{key}", index.saturating_sub(1))
        } else {
            format!("{name}.{key}")
        }
    });
    let found = found.map(|x| format!(", found {x}")).unwrap_or_default();
    let message = if field.as_deref() == Some("simulation.seed") {
        format!(
            "expected a seed in [0, {}] (the largest integer a TOML file holds){found}; --seed takes seeds up to {}",
            i64::MAX,
            u64::MAX
        )
    } else {
        format!(
            "expected an integer in [{}, {}], the range of TOML's integers{found}",
            i64::MIN,
            i64::MAX
        )
    };
    Some(Problem {
        line,
        field: field.unwrap_or_else(|| "(syntax)".to_owned()),
        message,
    })
}

/// "did you mean" for serde's `unknown field `x`, expected one of `a`, `b``.
fn suggestion(message: &str) -> Option<String> {
    let rest = message
        .strip_prefix("unknown field `")
        .or_else(|| message.strip_prefix("unknown variant `"))?;
    let (unknown, expected) = rest.split_once('`')?;
    let offers = |key: &str| expected.contains(&format!("`{key}`"));
    // Words a planner writes for a distribution's parameters: `low` is close to
    // `lower` in spelling, but `lower` truncates; a uniform's low end is `min`.
    const SYNONYMS: [(&str, &str); 12] = [
        ("low", "min"),
        ("lo", "min"),
        ("minimum", "min"),
        ("high", "max"),
        ("hi", "max"),
        ("maximum", "max"),
        ("average", "mean"),
        ("avg", "mean"),
        ("std", "sd"),
        ("stdev", "sd"),
        ("std_dev", "sd"),
        ("most_likely", "mode"),
    ];
    if offers("dist")
        && let Some((_, key)) = SYNONYMS.iter().find(|(w, k)| *w == unknown && offers(k))
    {
        return Some(format!("; did you mean `{key}`?"));
    }
    let best = super::closest(unknown, expected.split('`').skip(1).step_by(2))?;
    Some(format!("; did you mean `{best}`?"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIXED: &str = r#"tax = { kind = "fixed", shares = { zhejiang = 0.5, jilin = 0.5 } }"#;

    /// The problems of the reference scenario with `from` replaced by `to`, as
    /// `line: field: message`, and the line of the edit.
    fn problems(from: &str, to: &str) -> (Vec<String>, usize) {
        let text = super::super::REFERENCE_SCENARIO;
        let at = text.find(from).unwrap_or_else(|| panic!("{from:?}"));
        let line = text[..at].matches('\n').count() + 1;
        let edited = text.replacen(from, to, 1);
        let problems = match deserialize(&edited) {
            Ok(_) => panic!("{to:?} was read"),
            Err(problems) => problems,
        };
        let shown = problems
            .iter()
            .map(|p| format!("{}: {}: {}", p.line.unwrap_or(0), p.field, p.message))
            .collect();
        (shown, line)
    }

    /// A value that is not a table where a table goes is told what the field
    /// takes, with its line and field path, and what was found: serde's
    /// internals (`expected struct EffectsFile`, `internally tagged enum
    /// FormulaFile`, `expected variant identifier`, `sequence, expected a
    /// map`, and "invalid length 3" for `delivery = ["a"]`) were shown
    /// (exploratory test). An array there is refused, not read field by field
    /// (`effects = [1.2]` and `tax = ["fixed", { … }]` were taken).
    #[test]
    fn a_table_field_says_what_it_takes() {
        let effects = "effects = { attractiveness = 1.25 }";
        let delivery = |value: &str| format!("{FIXED}\ndelivery = {value}");
        let formula = "a formula table such as `{ kind = \"fixed\", shares = { … } }`";
        let cases: Vec<(&str, String, String)> = vec![
            (
                effects,
                "effects = 1.25".into(),
                "contributions[1].effects: expected a table such as `{ attractiveness = 1.2 }`, found 1.25".into(),
            ),
            (
                effects,
                "effects = [1.2]".into(),
                "contributions[1].effects: expected a table such as `{ attractiveness = 1.2 }`, found [1.2]".into(),
            ),
            (
                effects,
                "effects = []".into(),
                "contributions[1].effects: expected a table such as `{ attractiveness = 1.2 }`, found []".into(),
            ),
            (
                FIXED,
                "tax = \"fixed\"".into(),
                format!("sharing[0].tax: expected {formula}, found \"fixed\""),
            ),
            (
                FIXED,
                "tax = [1, 2]".into(),
                format!("sharing[0].tax: expected {formula}, found [1, 2]"),
            ),
            (
                FIXED,
                "tax = [\"fixed\", { zhejiang = 0.5, jilin = 0.5 }]".into(),
                format!(
                    "sharing[0].tax: expected {formula}, found [\"fixed\", {{ jilin = 0.5, zhejiang = 0.5 }}]"
                ),
            ),
            (
                FIXED,
                "tax = { kind = \"fixed\", shares = [0.5, 0.5] }".into(),
                "sharing[0].tax.shares: expected a shares table `{ region = share, … }`, found [0.5, 0.5]".into(),
            ),
            (
                FIXED,
                "tax = { kind = 5, shares = { zhejiang = 0.5, jilin = 0.5 } }".into(),
                "sharing[0].tax.kind: expected one of `fixed`, `equity`, `contribution`, `schedule`, `incremental`, `tiered`, `guaranteed_return` (a string), found 5".into(),
            ),
            (
                FIXED,
                format!("{FIXED}\ntax_pool = 3"),
                "sharing[0].tax_pool: expected a table such as `{ firms = \"relocated\", taxes = [\"vat\", \"cit\"] }`, found 3".into(),
            ),
            (
                FIXED,
                delivery("[\"a\"]"),
                "sharing[0].delivery: expected a table such as `{ default_probability = 0.05, haircut = 0.1 }`, found [\"a\"]".into(),
            ),
            (
                FIXED,
                delivery("[]"),
                "sharing[0].delivery: expected a table such as `{ default_probability = 0.05, haircut = 0.1 }`, found []".into(),
            ),
            (
                "inner = { kind = \"fixed\", shares = { zhejiang = 0.6, jilin = 0.4 } }",
                "inner = 3".into(),
                format!("sharing[4].tax.inner: expected {formula}, found 3"),
            ),
            (
                "inner = { kind = \"fixed\", shares = { zhejiang = 0.6, jilin = 0.4 } }",
                "inner = { kind = 3, shares = { zhejiang = 0.6, jilin = 0.4 } }".into(),
                "sharing[4].tax.inner.kind: expected one of `fixed`, `equity`, `contribution`, `schedule`, `incremental`, `tiered`, `guaranteed_return` (a string), found 3".into(),
            ),
            (
                "[scenario]",
                "scenario = 5\n[x]".into(),
                "scenario: expected a table: its keys below a `[scenario]` header, or inline `{ key = value, … }`, found 5".into(),
            ),
        ];
        for (from, to, want) in cases {
            let (problems, line) = problems(from, &to);
            // A line added after the one edited (`tax_pool`, `delivery`).
            let line = line + usize::from(to.starts_with(from));
            let want = format!("{line}: {want}");
            // `[x]` holds the scenario's keys: unknown, and said after.
            assert_eq!(problems.first(), Some(&want), "{to}: {problems:#?}");
            for p in &problems {
                for internal in [
                    "struct ",
                    "File",
                    "tagged",
                    "variant identifier",
                    "sequence",
                    "a map",
                    "invalid length",
                    "unit variant",
                    "string only",
                ] {
                    assert!(!p.contains(internal), "{to}: {p}");
                }
            }
        }
    }

    /// A multi-line string left open is put at the line where it opens, not
    /// at the end of the file (exploratory test: line 319 of 318).
    #[test]
    fn an_unclosed_multi_line_string_is_put_where_it_opens() {
        let text = "a = 1 # \"\"\" in a comment\nb = \"\\\"\"\nc = '''x'''\nd = \"\"\"x\n\ne = 2\n";
        assert_eq!(unclosed_multi_line(text), Some((4, "\"\"\"")));
        assert_eq!(unclosed_multi_line("a = '''x\n"), Some((1, "'''")));
        assert_eq!(unclosed_multi_line("a = \"\"\"x\n\"\"\"\nb = 'x'\n"), None);
        let problems = match deserialize("a = 1\nb = \"\"\"x\n\nc = 2\n") {
            Ok(_) => panic!("read"),
            Err(problems) => problems,
        };
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].line, Some(2));
        assert!(
            problems[0].message.starts_with(
                "the multi-line string opened here with \"\"\" is not closed before the end of the file (invalid multi-line basic string"
            ),
            "{}",
            problems[0].message
        );
    }
}
