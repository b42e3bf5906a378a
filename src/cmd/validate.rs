//! `enclave validate`: check scenario files without simulating.

use std::path::PathBuf;
use std::process::ExitCode;

/// Flags of `enclave validate`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Scenario files (TOML).
    #[arg(required = true)]
    pub scenarios: Vec<PathBuf>,
    /// Treat an input outside its plausible range (docs/scenario.md "Plausible
    /// ranges") as an error: exit status 2.
    #[arg(long)]
    pub strict: bool,
}

/// Loads every file and reports each problem; exit status 2 if any file is invalid
/// (or, with `--strict`, has an input outside its plausible range).
pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    match super::load_all(&args.scenarios, false) {
        Ok(loaded) => {
            let mut out = super::Stdout::default();
            let mut warnings = Vec::new();
            for l in loaded {
                let mine = super::warnings(&l);
                let refused = args.strict && !mine.is_empty();
                warnings.extend(mine);
                if refused {
                    continue;
                }
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
            Ok(super::report_warnings(&warnings, args.strict).unwrap_or(ExitCode::SUCCESS))
        }
        Err(code) => Ok(code),
    }
}
