//! `enclave report`: redraw the charts and report of an existing output folder.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;

use enclave::chart::{self, Formats};
use enclave::report;
use enclave::results::Results;

use super::run::ChartFormats;

/// Flags of `enclave report`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Output folders of earlier runs (DIR/<scenario id>).
    #[arg(required = true)]
    pub folders: Vec<PathBuf>,
    /// Chart files to write into each folder's charts/.
    #[arg(long, value_enum, default_value_t = ChartFormats::Both)]
    pub charts: ChartFormats,
}

/// Rebuilds charts and report.html of each folder from its CSV files.
pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    for dir in &args.folders {
        write(dir, args.charts.into())?;
        println!("{}", dir.join(report::REPORT_FILE).display());
    }
    Ok(ExitCode::SUCCESS)
}

/// Charts and report of one results folder, read back from its files.
pub fn write(dir: &Path, formats: Formats) -> anyhow::Result<()> {
    let results = Results::load(dir)
        .with_context(|| format!("cannot read the results in {}", dir.display()))?;
    let charts = chart::write_all(&results, dir, formats)?;
    report::write(&results, &charts)?;
    Ok(())
}
