//! No scenario file, however broken, makes the loader panic: random edits of the
//! reference scenario either load (and then simulate) or are reported as problems
//! with a field path.

use enclave::engine::{self, RunConfig};
use enclave::scenario::{REFERENCE_SCENARIO, Scenario, ScenarioError};
use proptest::prelude::*;

const EDITS: &[&str] = &[
    "",
    "x = 1",
    "area_mu = \"big\"",
    "value = { dist = \"normal\", mean = 1, sd = -1 }",
    "value = { dist = \"lognormal\", mean = -1, sd = 1 }",
    "shares = { zhejiang = 0.9, jilin = 0.9 }",
    "[[regions]]",
    "[[sharing]]",
    "kind = \"tiered\"",
    "tax = { kind = \"schedule\", periods = [] }",
    "years = [3, 1]",
    "up_to = -5",
    "paths = 0",
    "horizon = 100000",
    "start_year = 3000",
    "role = \"host\"",
    "bearer = \"nobody\"",
    "region = \"atlantis\"",
    "cit_holiday = [2]",
    "weight = 0",
    "= =",
    "[park",
    "inner = { kind = \"guaranteed_return\", beneficiary = \"jilin\", guarantor = \"jilin\", rate = 2, inner = { kind = \"equity\" } }",
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]
    #[test]
    fn broken_files_are_reported_not_panicked(
        edits in proptest::collection::vec((0usize..400, 0usize..EDITS.len()), 1..4)
    ) {
        let mut lines: Vec<String> = REFERENCE_SCENARIO.lines().map(str::to_owned).collect();
        for (at, edit) in edits {
            let i = at % lines.len();
            lines[i] = EDITS[edit].to_owned();
        }
        let text = lines.join("\n");
        match Scenario::parse(&text, "fuzz.toml") {
            Ok(s) => {
                // A file that loads also simulates without panicking.
                let cfg = RunConfig { paths: 3, ..RunConfig::from_scenario(&s) };
                let result = engine::run(&s, &cfg, Default::default(), &mut |_| {}).expect("run");
                prop_assert_eq!(result.paths(), 3);
            }
            Err(ScenarioError::Invalid { problems, .. }) => {
                prop_assert!(!problems.is_empty());
                for p in &problems {
                    prop_assert!(!p.message.is_empty());
                    prop_assert!(!p.field.is_empty());
                }
            }
            Err(e) => prop_assert!(false, "unexpected error {e}"),
        }
    }
}
