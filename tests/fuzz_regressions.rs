//! The fuzzer's findings, kept: every file in `tests/fuzz/` once crashed, hung or
//! misreported in the loader or the engine (see `fuzz/README.md`). Each must now
//! load and simulate two paths, or be refused, exactly as its `.expected` file says.
//!
//! `BLESS=1 cargo test --test fuzz_regressions` rewrites the `.expected` files
//! (review the diff before committing it).

use std::path::{Path, PathBuf};

use enclave::engine::{self, RunConfig};
use enclave::scenario::Scenario;

/// What happens to one case, as the `.expected` file states it.
fn outcome(file: &Path) -> String {
    match Scenario::load(file) {
        Err(e) => format!("refused:\n{:#}\n", anyhow::Error::new(e)),
        Ok(s) => {
            let cfg = RunConfig {
                paths: 2,
                threads: 1,
                horizon: s.simulation.horizon.min(12),
                ..RunConfig::from_scenario(&s)
            };
            match engine::run(&s, &cfg, Default::default(), &mut |_| {}) {
                Ok(state) => format!("runs: {} paths\n", state.paths()),
                Err(e) => format!("run fails:\n{:#}\n", anyhow::Error::new(e)),
            }
        }
    }
}

fn cases() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir("tests/fuzz")
        .expect("tests/fuzz")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    files
}

#[test]
fn fuzz_findings_stay_fixed() {
    let bless = std::env::var_os("BLESS").is_some();
    let files = cases();
    assert!(!files.is_empty(), "no regression cases in tests/fuzz");
    let mut wrong = Vec::new();
    for file in &files {
        let got = outcome(file);
        let expected_file = file.with_extension("expected");
        if bless {
            std::fs::write(&expected_file, &got).expect("write .expected");
            continue;
        }
        let expected = std::fs::read_to_string(&expected_file)
            .unwrap_or_else(|e| panic!("{}: {e}", expected_file.display()));
        if got != expected {
            wrong.push(format!(
                "{}:\n--- expected\n{expected}--- got\n{got}",
                file.display()
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
