//! `enclave`: the command-line front of the enclave-park Monte Carlo engine.
//!
//! A thin layer: flags are parsed here, everything else is the library.

use std::io::Write;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod cmd;

/// Monte Carlo economics of co-built enclave industrial parks (飞地经济).
#[derive(Debug, Parser)]
#[command(name = "enclave", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Simulate scenarios and write CSV results (the bundled reference scenario if none is given).
    Run(cmd::run::Args),
    /// Check scenario files and report every problem, without simulating.
    Validate(cmd::validate::Args),
    /// Find the parameters of one alternative's tax formula that meet a fairness target.
    Solve(cmd::solve::Args),
    /// Merge the partial results of `run --shard K/N` into the outputs of the single run.
    Merge(cmd::merge::Args),
    /// Expand a sweep file (a base scenario and the inputs to vary) into scenarios and run them as a set.
    Sweep(cmd::sweep::Args),
    /// Which uncertain inputs drive each region's NPV: tornado, spider, rank correlations and Sobol indices.
    Sensitivity(cmd::sensitivity::Args),
    /// Redraw the charts and report.html of earlier runs from their CSV files.
    Report(cmd::report::Args),
    /// Fit distributions to a CSV column by maximum likelihood, rank them (AIC, Kolmogorov–Smirnov) and print the best as a scenario table.
    Fit(cmd::fit::Args),
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        // Help, version or a bad flag: clap's text, then its status (0 or 2), unless
        // the text could not be written (a full device; a closed pipe is fine).
        Err(e) => {
            use std::io::ErrorKind::BrokenPipe;
            return match e.print().and_then(|()| std::io::stdout().flush()) {
                Err(io) if io.kind() != BrokenPipe => {
                    cmd::note(format_args!("error: cannot write to standard output: {io}"));
                    ExitCode::FAILURE
                }
                _ => ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(2)),
            };
        }
    };
    let result = match cli.command {
        Command::Run(args) => cmd::run::run(&args),
        Command::Validate(args) => cmd::validate::run(&args),
        Command::Report(args) => cmd::report::run(&args),
        Command::Solve(args) => cmd::solve::run(&args),
        Command::Merge(args) => cmd::merge::run(&args),
        Command::Sweep(args) => cmd::sweep::run(&args),
        Command::Fit(args) => cmd::fit::run(&args),
        Command::Sensitivity(args) => cmd::sensitivity::run(&args),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            if is_broken_pipe(&err) {
                return ExitCode::SUCCESS;
            }
            let _ = writeln!(std::io::stderr(), "error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|e| {
        e.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
