//! One module per subcommand.

pub mod report;
pub mod run;
pub mod validate;

use std::path::PathBuf;
use std::process::ExitCode;

use enclave::scenario::{REFERENCE_SCENARIO_NAME, Scenario};

/// Exit status for bad input (a scenario that does not load).
pub const EXIT_BAD_INPUT: u8 = 2;

/// A scenario with the name it was loaded under.
pub struct Loaded {
    pub file: String,
    pub scenario: Scenario,
}

/// Loads each file (or the bundled reference scenario when `files` is empty),
/// printing every problem of every file; `Err(exit code)` if any failed. With
/// `unique_ids`, two scenarios sharing an id (and so an output folder) also fail.
pub fn load_all(files: &[PathBuf], unique_ids: bool) -> Result<Vec<Loaded>, ExitCode> {
    let mut loaded = Vec::new();
    let mut failed = false;
    if files.is_empty() {
        match Scenario::reference() {
            Ok(scenario) => loaded.push(Loaded {
                file: REFERENCE_SCENARIO_NAME.to_owned(),
                scenario,
            }),
            Err(e) => {
                eprintln!("error: {:#}", anyhow::Error::new(e));
                failed = true;
            }
        }
    }
    for f in files {
        match Scenario::load(f) {
            Ok(scenario) => loaded.push(Loaded {
                file: f.display().to_string(),
                scenario,
            }),
            Err(e) => {
                eprintln!("error: {:#}", anyhow::Error::new(e));
                failed = true;
            }
        }
    }
    // Results go to DIR/<scenario id>/: two scenarios with one id would overwrite each other.
    for (i, l) in loaded.iter().enumerate().filter(|_| unique_ids) {
        if let Some(first) = loaded[..i].iter().find(|o| o.scenario.id == l.scenario.id) {
            eprintln!(
                "error: {} and {} both have scenario id `{}`; their results would overwrite each other",
                first.file, l.file, l.scenario.id
            );
            failed = true;
        }
    }
    if failed {
        Err(ExitCode::from(EXIT_BAD_INPUT))
    } else {
        Ok(loaded)
    }
}
