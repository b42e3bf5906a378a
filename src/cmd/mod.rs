//! One module per subcommand.

pub mod run;
pub mod validate;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use enclave::scenario::{REFERENCE_SCENARIO_NAME, Scenario, ScenarioError};

/// Exit status for bad input (a scenario that does not load).
pub const EXIT_BAD_INPUT: u8 = 2;

/// A scenario with the name it was loaded under.
pub struct Loaded {
    pub file: String,
    pub scenario: Scenario,
}

/// Loads each file (or the bundled reference scenario when `files` is empty),
/// printing every problem of every file; `Err(exit code)` if any failed.
pub fn load_all(files: &[PathBuf]) -> Result<Vec<Loaded>, ExitCode> {
    let mut loaded = Vec::new();
    let mut failed = false;
    if files.is_empty() {
        match Scenario::reference() {
            Ok(scenario) => loaded.push(Loaded {
                file: REFERENCE_SCENARIO_NAME.to_owned(),
                scenario,
            }),
            Err(e) => {
                eprintln!("error: {e}");
                failed = true;
            }
        }
    }
    for f in files {
        match load(f) {
            Ok(scenario) => loaded.push(Loaded {
                file: f.display().to_string(),
                scenario,
            }),
            Err(e) => {
                eprintln!("error: {e}");
                failed = true;
            }
        }
    }
    if failed {
        Err(ExitCode::from(EXIT_BAD_INPUT))
    } else {
        Ok(loaded)
    }
}

fn load(path: &Path) -> Result<Scenario, ScenarioError> {
    Scenario::load(path)
}
