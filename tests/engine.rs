//! The run's state: the same bytes on any thread count, as one run or as ranges
//! merged, and through a serialised round trip.

use std::path::Path;

use enclave::engine::{self, BATCH_PATHS, EngineError, Observe, RunConfig, RunState};
use enclave::output;
use enclave::scenario::Scenario;

/// More paths than the pilot, so binned quantiles are in play, and not a multiple
/// of the batch size, so the last batch is partial.
const PATHS: u64 = 5 * BATCH_PATHS + 77;

fn config(scn: &Scenario, threads: usize) -> RunConfig {
    RunConfig {
        paths: PATHS,
        horizon: 10,
        threads,
        ..RunConfig::from_scenario(scn)
    }
}

/// The three statistics files of a state, as bytes.
fn csv_files(scn: &Scenario, state: &RunState) -> Vec<Vec<u8>> {
    let p = Path::new("x.csv");
    vec![
        output::summary_csv(scn, state, p).expect("summary"),
        output::timeseries_csv(scn, state, p).expect("timeseries"),
        output::distribution_csv(scn, state, p).expect("distribution"),
    ]
}

fn run_range(scn: &Scenario, cfg: &RunConfig, range: std::ops::Range<u64>) -> RunState {
    engine::run_range(scn, cfg, range, Observe::default(), &mut |_| {}).expect("run")
}

#[test]
fn the_same_bytes_on_one_two_and_four_threads() {
    let scn = Scenario::reference().expect("bundled scenario");
    let states: Vec<RunState> = [1, 2, 4]
        .into_iter()
        .map(|threads| {
            engine::run(
                &scn,
                &config(&scn, threads),
                Observe::default(),
                &mut |_| {},
            )
            .expect("run")
        })
        .collect();
    let reference = csv_files(&scn, &states[0]);
    let json = states[0].to_json().expect("json");
    for s in &states[1..] {
        assert_eq!(s.firm_years, states[0].firm_years);
        assert!(
            csv_files(&scn, s) == reference,
            "outputs differ by thread count"
        );
        assert!(
            s.to_json().expect("json") == json,
            "states differ by thread count"
        );
    }
}

#[test]
fn two_halves_merged_equal_one_run_byte_for_byte() {
    let scn = Scenario::reference().expect("bundled scenario");
    let cfg = config(&scn, 2);
    let whole = run_range(&scn, &cfg, 0..PATHS);
    let cut = 3 * BATCH_PATHS;
    // Merged in either order, and with the second half itself split in two.
    let (a, b) = (
        run_range(&scn, &cfg, 0..cut),
        run_range(&scn, &cfg, cut..PATHS),
    );
    let mut ab = a.clone();
    ab.merge(&b).expect("merge");
    let mut ba = b.clone();
    ba.merge(&a).expect("merge");
    let (b1, b2) = (
        run_range(&scn, &cfg, cut..cut + BATCH_PATHS),
        run_range(&scn, &cfg, cut + BATCH_PATHS..PATHS),
    );
    let mut three = b2.clone();
    three.merge(&a).expect("merge");
    three.merge(&b1).expect("merge");
    let reference = csv_files(&scn, &whole);
    for (name, merged) in [("a+b", &ab), ("b+a", &ba), ("b2+a+b1", &three)] {
        assert_eq!(merged.paths(), PATHS, "{name}");
        assert_eq!(merged.firm_years, whole.firm_years, "{name}");
        assert_eq!(merged.ranges, vec![0..PATHS], "{name}");
        assert!(
            csv_files(&scn, merged) == reference,
            "{name} differs from one run"
        );
    }
    // Overlapping ranges do not merge.
    let mut again = a.clone();
    assert!(matches!(again.merge(&a), Err(EngineError::Merge(_))));
}

#[test]
fn a_state_survives_serialisation_exactly() {
    let scn = Scenario::reference().expect("bundled scenario");
    let cfg = config(&scn, 2);
    let state = run_range(&scn, &cfg, BATCH_PATHS..PATHS);
    let json = state.to_json().expect("json");
    let back = RunState::from_json(&json).expect("reads back");
    assert!(
        back.to_json().expect("json") == json,
        "the round trip changed the state"
    );
    // And the round-tripped state merges like the original.
    let head = run_range(&scn, &cfg, 0..BATCH_PATHS);
    let (mut x, mut y) = (head.clone(), head);
    x.merge(&state).expect("merge");
    y.merge(&back).expect("merge");
    assert!(csv_files(&scn, &x) == csv_files(&scn, &y));
    assert!(RunState::from_json("{\"not\": \"a state\"}").is_err());
}

#[test]
fn ranges_must_be_whole_batches() {
    let scn = Scenario::reference().expect("bundled scenario");
    let cfg = config(&scn, 1);
    for range in [1..BATCH_PATHS, 0..BATCH_PATHS + 1, 0..PATHS + 1] {
        let e = engine::run_range(&scn, &cfg, range.clone(), Observe::default(), &mut |_| {});
        assert!(matches!(e, Err(EngineError::Range { .. })), "{range:?}");
    }
    let e = engine::run_range(&scn, &cfg, 1..BATCH_PATHS, Observe::default(), &mut |_| {})
        .expect_err("unaligned");
    assert_eq!(
        e.to_string(),
        format!(
            "path range 1..{BATCH_PATHS} of a {PATHS}-path run must start at a multiple of {BATCH_PATHS} and end at one or at {PATHS}"
        )
    );
}

#[test]
fn batches_reach_the_observer_in_path_order_with_their_records() {
    let scn = Scenario::reference().expect("bundled scenario");
    let cfg = config(&scn, 2);
    let mut seen = Vec::new();
    let what = Observe {
        records: true,
        stop: None,
    };
    let state = engine::run(&scn, &cfg, what, &mut |b| {
        assert_eq!(b.records.len(), b.paths * b.layout.len());
        assert_eq!(b.inputs.len(), b.paths * scn.params.len());
        seen.push((b.first_path, b.paths));
    })
    .expect("run");
    let mut next = 0;
    for (first, n) in &seen {
        assert_eq!(*first, next);
        next += *n as u64;
    }
    assert_eq!(next, PATHS);
    assert_eq!(state.paths(), PATHS);
}

#[test]
fn a_stop_flag_ends_the_run_after_whole_batches() {
    use std::sync::atomic::{AtomicBool, Ordering};
    let scn = Scenario::reference().expect("bundled scenario");
    // Many batches on one worker: the observer sets the flag long before the last.
    let cfg = RunConfig {
        paths: 64 * BATCH_PATHS,
        ..config(&scn, 1)
    };
    let stop = AtomicBool::new(false);
    let what = Observe {
        records: false,
        stop: Some(&stop),
    };
    let mut seen = 0;
    let err = engine::run(&scn, &cfg, what, &mut |b| {
        seen += b.paths as u64;
        stop.store(true, Ordering::Relaxed);
    })
    .expect_err("stopped");
    let EngineError::Interrupted { completed_paths } = err else {
        panic!("expected an interruption, got {err}");
    };
    assert_eq!(completed_paths, seen);
    assert!(completed_paths % BATCH_PATHS == 0 && completed_paths < cfg.paths);
    assert_eq!(
        err.to_string(),
        format!("interrupted after {completed_paths} paths")
    );

    // Set before the run: no batch is handed over.
    let err = engine::run(&scn, &cfg, what, &mut |_| {}).expect_err("stopped");
    assert!(matches!(
        err,
        EngineError::Interrupted { completed_paths: 0 }
    ));
}

/// The reference scenario with every distribution replaced by a number (its mode,
/// mean or lower bound): a scenario without uncertain inputs.
fn without_uncertain_inputs() -> Scenario {
    let mut text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/scenarios/jilin-zhejiang.toml"
    ))
    .expect("reference scenario");
    while let Some(start) = text.find("{ dist") {
        let end = start + text[start..].find('}').expect("closing brace");
        let table = &text[start..end];
        let value = ["mode = ", "mean = ", "min = "]
            .iter()
            .find_map(|key| {
                table.find(key).map(|at| {
                    table[at + key.len()..]
                        .split([',', ' '])
                        .next()
                        .unwrap_or("1")
                        .to_owned()
                })
            })
            .unwrap_or_else(|| "1".to_owned());
        text.replace_range(start..=end, &value);
    }
    Scenario::parse(&text, "fixed.toml").unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn a_scenario_without_uncertain_inputs_runs_every_path() {
    // Regression: with no uncertain inputs the pilot's paths were never simulated
    // and the whole run came out as zeros.
    let scn = without_uncertain_inputs();
    assert!(scn.params.is_empty());
    let streams = enclave::streams::Streams::new(scn.simulation.seed, &scn.params);
    for paths in [300, 1300] {
        let cfg = RunConfig {
            paths,
            horizon: 10,
            threads: 2,
            ..RunConfig::from_scenario(&scn)
        };
        let state = engine::run(&scn, &cfg, Observe::default(), &mut |_| {}).expect("run");
        let layout = engine::Layout::new(&scn, cfg.horizon);
        let mut scratch = engine::PathScratch::default();
        let mut record = vec![0.0; layout.len()];
        let direct: u64 = (0..paths)
            .map(|p| engine::run_path(&scn, cfg.horizon, &streams, p, &mut scratch, &mut record))
            .sum();
        assert!(direct > 0);
        assert_eq!(state.firm_years, direct, "{paths} paths");
    }
}
