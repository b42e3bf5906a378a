//! `enclave fit`: fit the distribution families of scenario inputs to a CSV
//! column and print the ranking and the best as a table to paste.

use std::path::PathBuf;
use std::process::ExitCode;

use enclave::fit;
use enclave::scenario::data;

/// Flags of `enclave fit`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The CSV file (a header row, then one observation per row).
    pub data: PathBuf,
    /// The column to fit, by its header.
    #[arg(long)]
    pub column: String,
    /// The scenario field the snippet is for (e.g. `revenue_per_mu`); `input` if not given.
    #[arg(long)]
    pub field: Option<String>,
}

/// Reads the column, fits every family, prints the ranking, the families left
/// out and the snippet; exit status 2 on a file, column or cell that cannot be
/// read, or data no family can be fitted to.
pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let shown = args.data.display().to_string();
    let bad = |message: String| {
        super::note(format_args!("error: {message}"));
        Ok(ExitCode::from(super::EXIT_BAD_INPUT))
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
        "{n} values of column `{}` in {shown}, from {min} to {max}; fitted by maximum likelihood, best (lowest AIC) first:\n\n",
        args.column
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
    let name = args.field.as_deref().map_or("input", |f| {
        // A field path names its table's key last.
        f.rsplit('.').next().unwrap_or(f)
    });
    text.push_str(&format!(
        "\nBest fit, to paste into the scenario:\n{}\n",
        best.snippet(name)
    ));
    super::Stdout::default().print(&text)?;
    Ok(ExitCode::SUCCESS)
}
