//! `enclave fit`: fit the distribution families of scenario inputs to a CSV
//! column and print the ranking and the best as a table to paste.

use std::path::PathBuf;
use std::process::ExitCode;

use enclave::fit::{self, Fit};
use enclave::scenario::{
    REFERENCE_SCENARIO, REFERENCE_SCENARIO_NAME, Scenario, ScenarioError, data,
};
use enclave::sweep::{self, Step};

/// Flags of `enclave fit`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The CSV file (a header row, then one observation per row).
    pub data: PathBuf,
    /// The column to fit, by its header.
    #[arg(long)]
    pub column: String,
    /// The scenario field the snippet is for, by its path (e.g.
    /// `firms.sectors[1].revenue_per_mu`); the snippet is checked against the
    /// field's rules in the bundled reference scenario. `input` if not given.
    #[arg(long)]
    pub field: Option<String>,
}

/// Reads the column, fits every family, prints the ranking and the snippet; exit
/// status 2 on a malformed `--field`, a file, column or cell that cannot be
/// read, or data no family can be fitted to.
pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let shown = args.data.display().to_string();
    let bad = |message: String| {
        super::note(format_args!("error: {message}"));
        Ok(ExitCode::from(super::EXIT_BAD_INPUT))
    };
    let field = match args.field.as_deref().map(field_path).transpose() {
        Ok(f) => f,
        Err(m) => return bad(format!("--field: {m}")),
    };
    // The data's messages name the file (and the line of a bad cell).
    let values = match data::read_column(&args.data, &args.column) {
        Ok((values, _)) => values,
        Err(e) => return bad(e.to_string()),
    };
    let fits = match fit::fit_all(&values) {
        Ok(f) => f,
        Err(e) => return bad(format!("{shown}: column `{}`: {e}", args.column)),
    };
    let left_out: Vec<String> = fits
        .left_out
        .iter()
        .map(|l| format!("{} left out: {}", l.family, l.why))
        .collect();
    let Some(best) = fits.ranked.first() else {
        return bad(format!(
            "{shown}: column `{}`: expected data some family can be fitted to, but every one was left out: {}",
            args.column,
            left_out.join("; ")
        ));
    };
    let n = values.len();
    let (min, max) = values
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(*v), hi.max(*v))
        });
    let mut text = format!(
        "{n} values of column `{}` in {shown}, from {} to {}; fitted by maximum likelihood, best (lowest AIC) first:\n\n",
        args.column,
        fit::float_text(min),
        fit::float_text(max)
    );
    text.push_str(&format!(
        "  {:<11} {:>14} {:>10} {:>8}  parameters\n",
        "family", "AIC", "ΔAIC", "KS D"
    ));
    for f in &fits.ranked {
        let params: Vec<String> = f
            .params
            .iter()
            .map(|(p, v)| format!("{p} {}", fit::significant(*v, 6)))
            .collect();
        text.push_str(&format!(
            "  {:<11} {:>14.2} {:>10.2} {:>8.4}  {}\n",
            f.family,
            f.aic,
            f.aic - best.aic,
            f.ks,
            params.join(", ")
        ));
    }
    // Kolmogorov's asymptotic critical value at α = 0.05; with parameters
    // estimated from the same data it is conservative (Lilliefors).
    let critical = 1.3581 / (n as f64).sqrt();
    text.push_str(&format!(
        "\nKS D is sup |F_n − F|; 1.358/√n = {critical:.4} is its 5% critical value for a distribution given in advance (conservative for fitted ones).\n"
    ));
    for note in &left_out {
        text.push_str(&format!("note: {note}\n"));
    }

    // Data that are all ≥ 0 are taken for a quantity that is: a fit whose range
    // reaches below 0 is truncated there.
    let lower = |f: &Fit| if min >= 0.0 { f.below(0.0) } else { None };
    let table = |f: &Fit| f.table(lower(f).map(|_| 0.0));
    let (chosen, mut notes, heading) = match &field {
        None => (best, Vec::new(), "Best fit".to_owned()),
        Some((path, steps, _)) => choose(&fits.ranked, path, steps, table),
    };
    if let Some(p) = lower(chosen) {
        notes.push(format!(
            "every value is ≥ 0 but the {} fit reaches below 0 (with probability {}), so the table is truncated with `lower = 0.0` (docs/scenario.md, Truncation); remove `lower` if the field takes values below 0",
            chosen.family,
            if p >= 1e-4 {
                fit::significant(p, 3)
            } else {
                format!("{p:.2e}")
            }
        ));
    }
    text.push('\n');
    for note in &notes {
        text.push_str(&format!("note: {note}\n"));
    }
    let key = field.as_ref().map_or("input", |(_, _, key)| key.as_str());
    text.push_str(&format!(
        "{}{heading}, to paste into the scenario:\n{key} = {}\n",
        if notes.is_empty() { "" } else { "\n" },
        table(chosen)
    ));
    super::Stdout::default().print(&text)?;
    Ok(ExitCode::SUCCESS)
}

/// The path `--field` names, its steps and its last key (the snippet's key).
///
/// # Errors
/// A path that is empty or malformed (the grammar of a sweep's `[[vary]]`
/// paths, [`sweep::parse_path`]), or that ends in an index rather than a key.
fn field_path(path: &str) -> Result<(String, Vec<Step>, String), String> {
    let steps = sweep::parse_path(path)?;
    match steps.last() {
        Some(Step::Key(key)) => {
            let key = key.clone();
            Ok((path.to_owned(), steps, key))
        }
        _ => Err(format!(
            "expected the path of a value, ending in its key (e.g. `firms.sectors[1].revenue_per_mu`); `{path}` ends in an index"
        )),
    }
}

/// What the bundled reference scenario says of a table at a field.
enum Check {
    /// It validates with the table there.
    Accepted,
    /// Its problems with the table there.
    Refused(String),
    /// It could not be put there (the reference has no such field).
    Unchecked(String),
}

/// Puts `table` at `steps` in the bundled reference scenario and validates it.
fn check(steps: &[Step], table: &str) -> Check {
    let reference = "the bundled reference scenario";
    let mut doc: toml_edit::DocumentMut = match REFERENCE_SCENARIO.parse() {
        Ok(doc) => doc,
        Err(e) => return Check::Unchecked(format!("{reference} does not parse ({e})")),
    };
    let value: toml_edit::Value = match table.parse() {
        Ok(v) => v,
        Err(e) => return Check::Unchecked(format!("the table does not parse as TOML ({e})")),
    };
    if let Err(e) = sweep::set_in(&mut doc, reference, steps, value) {
        return Check::Unchecked(e);
    }
    match Scenario::parse(&doc.to_string(), REFERENCE_SCENARIO_NAME) {
        Ok(_) => Check::Accepted,
        Err(ScenarioError::Invalid { problems, .. }) => Check::Refused(
            problems
                .iter()
                .map(|p| format!("{}: {}", p.field, p.message))
                .collect::<Vec<_>>()
                .join("; "),
        ),
        Err(e) => Check::Unchecked(e.to_string()),
    }
}

/// The best-ranked fit that `path` accepts in the bundled reference scenario
/// (the best when it accepts none, or cannot be checked), the notes on the fits
/// it refused, and the heading of the snippet.
fn choose<'f>(
    ranked: &'f [Fit],
    path: &str,
    steps: &[Step],
    table: impl Fn(&Fit) -> String,
) -> (&'f Fit, Vec<String>, String) {
    let mut refused = Vec::new();
    for (i, f) in ranked.iter().enumerate() {
        match check(steps, &table(f)) {
            Check::Accepted => {
                let notes = refused
                    .iter()
                    .map(|(family, why)| {
                        format!("{path} refuses the {family} fit (in the bundled reference scenario): {why}")
                    })
                    .collect();
                let heading = if i == 0 {
                    "Best fit".to_owned()
                } else {
                    format!("Best fit that {path} accepts")
                };
                return (f, notes, heading);
            }
            Check::Refused(why) => refused.push((f.family, why)),
            Check::Unchecked(why) => {
                // Only the reference's shape is missing: no fit can be checked.
                let note = format!("not checked against the rules of {path}: {why}");
                return (&ranked[0], vec![note], "Best fit".to_owned());
            }
        }
    }
    // Every fit refused: what is wrong is the field, not the family.
    let (family, why) = &refused[0];
    let note = format!(
        "{path} refuses every fitted family (in the bundled reference scenario); the {family} fit: {why}"
    );
    (
        &ranked[0],
        vec![note],
        format!("Best fit (which {path} refuses, see the note above)"),
    )
}
