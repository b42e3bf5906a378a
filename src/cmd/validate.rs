//! `enclave validate`: check scenario files without simulating.

use std::path::PathBuf;
use std::process::ExitCode;

/// Flags of `enclave validate`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Scenario files (TOML).
    #[arg(required = true)]
    pub scenarios: Vec<PathBuf>,
}

/// Loads every file and reports each problem; exit status 2 if any file is invalid.
pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    match super::load_all(&args.scenarios, false) {
        Ok(loaded) => {
            let mut out = super::Stdout::default();
            for l in loaded {
                let s = &l.scenario;
                out.print(&format!(
                    "{}: ok — {} ({}), {} regions, {} alternatives, {} uncertain inputs\n",
                    l.file,
                    s.id,
                    s.name,
                    s.regions.len(),
                    s.alternatives.len(),
                    s.params.len()
                ))?;
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(code) => Ok(code),
    }
}
