//! The run's state: the same bytes on any thread count, as one run or as ranges
//! merged, and through a serialised round trip.

mod common;

use common::csv_files;
use enclave::engine::{self, BATCH_PATHS, EngineError, Observe, RunConfig, RunState};
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

/// The pilot's grids, taken from a state of the pilot's paths, spare another part
/// of the run simulating the pilot again, and change nothing in its state.
#[test]
fn given_grids_give_the_state_of_a_run_that_fixed_them_itself() {
    let scn = Scenario::reference().expect("bundled scenario");
    let cfg = config(&scn, 2);
    let pilot = engine::PILOT_PATHS;
    let head = run_range(&scn, &cfg, 0..pilot);
    let grids = head.grids();
    assert!(
        grids.is_some(),
        "a run of more paths than the pilot has grids"
    );
    let tail_alone = run_range(&scn, &cfg, pilot..PATHS);
    let tail = engine::run_range_with(
        &scn,
        &cfg,
        pilot..PATHS,
        Some(grids.clone()),
        Observe::default(),
        &mut |_| {},
    )
    .expect("run");
    assert_eq!(
        tail.to_json().expect("json"),
        tail_alone.to_json().expect("json")
    );
    // A range that starts at 0 simulates its pilot paths with the grids given.
    let head_given = engine::run_range_with(
        &scn,
        &cfg,
        0..pilot,
        Some(grids),
        Observe::default(),
        &mut |_| {},
    )
    .expect("run");
    assert_eq!(
        head_given.to_json().expect("json"),
        head.to_json().expect("json")
    );
    let mut merged = head.clone();
    merged.merge(&tail).expect("merge");
    let whole = run_range(&scn, &cfg, 0..PATHS);
    assert!(csv_files(&scn, &merged) == csv_files(&scn, &whole));
    // A run no larger than the pilot has no grids, and needs none.
    let small = RunConfig {
        paths: pilot,
        ..cfg
    };
    assert!(run_range(&scn, &small, 0..BATCH_PATHS).grids().is_none());
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
        ..Observe::default()
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
    // Handing records to the observer changes nothing in the state, on one worker
    // and on two.
    for threads in [1, 2] {
        let plain = engine::run(
            &scn,
            &config(&scn, threads),
            Observe::default(),
            &mut |_| {},
        )
        .expect("run");
        assert!(plain.to_json().expect("json") == state.to_json().expect("json"));
    }
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
        stop: Some(&stop),
        ..Observe::default()
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

/// The reference scenario with `firms.sectors[1].revenue_per_mu` drawn from
/// `dist` (set in the library: the scenario checks would refuse such inputs).
fn with_revenue(dist: enclave::dist::Dist) -> Scenario {
    let mut scn = Scenario::reference().expect("bundled scenario");
    let name = "firms.sectors[1].revenue_per_mu";
    let dist = enclave::dist::Uncertain::new(dist, None, None).expect("valid distribution");
    let mut params = enclave::sampling::ParamSet::default();
    let mut found = false;
    for p in scn.params.params() {
        let d = if p.name == name {
            found = true;
            dist.clone()
        } else {
            p.dist.clone()
        };
        params.register(p.name.clone(), d);
    }
    assert!(
        found,
        "{name} is an uncertain input of the reference scenario"
    );
    scn.params = params;
    scn
}

/// Revenue per mu of 1 on most paths and `huge` on one path in fifty.
fn rare_huge_revenue(huge: f64) -> Scenario {
    with_revenue(enclave::dist::Dist::Discrete {
        values: vec![1.0, huge],
        weights: vec![49.0, 1.0],
    })
}

/// The lowest path whose record the statistics cannot take, found path by path.
fn first_bad_path(scn: &Scenario, cfg: &RunConfig) -> (u64, usize, f64) {
    let streams = enclave::streams::Streams::new(cfg.seed, &scn.params);
    let layout = engine::Layout::new(scn, cfg.horizon);
    let allowed = layout.undefined_allowed();
    let mut scratch = engine::PathScratch::default();
    let mut record = vec![0.0; layout.len()];
    (0..cfg.paths)
        .find_map(|p| {
            engine::run_path(scn, cfg.horizon, &streams, p, &mut scratch, &mut record);
            engine::first_bad_value(&record, &allowed).map(|j| (p, j, record[j]))
        })
        .expect("some path fails")
}

fn bad_result(scn: &Scenario, cfg: &RunConfig, range: std::ops::Range<u64>) -> engine::BadResult {
    match engine::run_range(scn, cfg, range, Observe::default(), &mut |_| {}) {
        Err(EngineError::BadResult(bad)) => *bad,
        Err(e) => panic!("expected a bad result, got {e}"),
        Ok(_) => panic!("expected a bad result, the run succeeded"),
    }
}

#[test]
fn a_non_finite_result_stops_the_run_at_the_lowest_failing_path_on_any_thread_count() {
    // Regression: a non-finite value was counted apart and left out of every
    // statistic, so the mean NPV came from the other paths and looked normal.
    let scn = rare_huge_revenue(f64::MAX);
    for paths in [600, PATHS] {
        let cfg = RunConfig {
            paths,
            ..config(&scn, 1)
        };
        let (path, j, value) = first_bad_path(&scn, &cfg);
        assert!(
            path > 0,
            "path 0 should pass, so the lowest index is tested"
        );
        assert!(!value.is_finite(), "{value}");
        for threads in [1, 2, 4] {
            let bad = bad_result(&scn, &RunConfig { threads, ..cfg }, 0..paths);
            assert_eq!((bad.path, bad.value.to_bits()), (path, value.to_bits()));
            let at = engine::Layout::new(&scn, cfg.horizon).locate(j);
            assert_eq!(bad.measure, at.measure.def().name);
        }
    }
    // The first failing path beyond the pilot, in a range that excludes the pilot.
    let cfg = config(&scn, 2);
    let start = 4 * BATCH_PATHS;
    let streams = enclave::streams::Streams::new(cfg.seed, &scn.params);
    let layout = engine::Layout::new(&scn, cfg.horizon);
    let allowed = layout.undefined_allowed();
    let mut scratch = engine::PathScratch::default();
    let mut record = vec![0.0; layout.len()];
    let pilot_fails = (0..engine::PILOT_PATHS).any(|p| {
        engine::run_path(&scn, cfg.horizon, &streams, p, &mut scratch, &mut record);
        engine::first_bad_value(&record, &allowed).is_some()
    });
    assert!(pilot_fails, "the pilot holds a failing path");
    // The pilot fixes every range's grids, so its failing path stops any range.
    let (first, _, _) = first_bad_path(&scn, &cfg);
    assert_eq!(bad_result(&scn, &cfg, start..PATHS).path, first);
}

#[test]
fn a_bad_result_names_the_path_measure_alternative_region_and_how_to_replay_it() {
    let scn = rare_huge_revenue(f64::MAX);
    let cfg = RunConfig {
        paths: 300,
        ..config(&scn, 2)
    };
    let bad = bad_result(&scn, &cfg, 0..cfg.paths);
    let text = EngineError::BadResult(Box::new(bad.clone())).to_string();
    // Pinned for this seed: the path and quantity are a function of the scenario and seed.
    let expected = "path 52 of scenario `jilin-zhejiang`: npv of region `zhejiang` under alternative \
                    `fixed 50:50` is NaN (not a number); the run stops rather than leave the path \
                    out of the statistics (to replay the path: --seed 20180330 --horizon 10 \
                    --paths 53, whose last path it is)";
    assert_eq!(text, expected);
    // Replaying with the suggested settings stops at the same path with the same error.
    let replay = RunConfig {
        paths: bad.path + 1,
        ..cfg
    };
    let again = bad_result(&scn, &replay, 0..replay.paths);
    assert_eq!(again.to_string(), bad.to_string());

    // Hand-made errors: a finite value beyond the limit, and a park series.
    let park = engine::BadResult {
        scenario: "s".into(),
        seed: 7,
        horizon: 30,
        path: 12,
        alternative: None,
        region: None,
        measure: "tax_pool",
        year: Some(2031),
        value: 2.5e120,
    };
    assert_eq!(
        park.to_string(),
        "path 12 of scenario `s`: tax_pool in 2031 of the park is 2.5e120, beyond ±1e100, the \
         largest result the statistics can hold; the run stops rather than leave the path out of \
         the statistics (to replay the path: --seed 7 --horizon 30 --paths 13, whose last path it is)"
    );
}

#[test]
fn a_finite_result_beyond_the_statistics_range_stops_the_run() {
    // Regression: values beyond ~1e154 overflowed the sums of squares, and sd and se
    // came out blank, which means "undefined".
    let scn = rare_huge_revenue(1e120);
    let cfg = RunConfig {
        paths: 300,
        ..config(&scn, 2)
    };
    let bad = bad_result(&scn, &cfg, 0..cfg.paths);
    assert!(bad.value.is_finite() && bad.value.abs() > engine::MAX_RESULT_MAGNITUDE);
    assert_eq!(bad.path, first_bad_path(&scn, &cfg).0);
}

#[test]
fn undefined_is_allowed_only_for_irr_payback_a_cap_year_benefit_shares_shapley_values_and_per_mu_figures()
 {
    let scn = Scenario::reference().expect("bundled scenario");
    let layout = engine::Layout::new(&scn, 10);
    let allowed = layout.undefined_allowed();
    for (j, &ok) in allowed.iter().enumerate() {
        let name = layout.locate(j).measure.def().name;
        assert_eq!(
            ok,
            [
                "irr",
                "payback_years",
                "pdc_irr",
                "cap_reached_year",
                "benefit_share",
                "benefit_to_contribution",
                "shapley",
                "shapley_gap",
                // Per occupied mu: undefined while no land is occupied.
                "tax_per_mu",
                "output_per_mu"
            ]
            .contains(&name),
            "{name}"
        );
    }
    // locate inverts the index functions.
    use enclave::schema::{ParkMetric, ParkSeries, RegionMetric, RegionSeries};
    let j = layout.region_series(1, 1, RegionSeries::TaxAllocation, 7);
    let at = layout.locate(j);
    assert_eq!(
        (at.alternative, at.region, at.year),
        (Some(1), Some(1), Some(7))
    );
    assert_eq!(
        at.measure,
        enclave::schema::Measure::RegionSeries(RegionSeries::TaxAllocation)
    );
    let at = layout.locate(layout.park_series(ParkSeries::LandPool, 9));
    assert_eq!((at.alternative, at.year), (None, Some(9)));
    let at = layout.locate(layout.park_metric(ParkMetric::PdcIrr));
    assert_eq!(
        at.measure,
        enclave::schema::Measure::Park(ParkMetric::PdcIrr)
    );
    let at = layout.locate(layout.region_metric(2, 0, RegionMetric::GdpCredit));
    assert_eq!(
        (at.alternative, at.region, at.year),
        (Some(2), Some(0), None)
    );
    // Every position of a four-region record, the alternatives' own metrics, the
    // pairs of regions among them and the pairs of alternatives, is located where
    // the index functions put it.
    use enclave::schema::{AltMetric, AltPairMetric, Measure, PairMetric};
    let wide = engine::Layout {
        alternatives: 2,
        regions: 4,
        horizon: 3,
    };
    let mut seen = vec![false; wide.len()];
    for a in 0..2 {
        for m in AltMetric::ALL {
            let j = wide.alt_metric(a, *m);
            let at = wide.locate(j);
            assert_eq!(
                (at.alternative, at.region, at.measure),
                (Some(a), None, Measure::Alt(*m))
            );
            seen[j] = true;
        }
        for r in 0..4 {
            for q in r + 1..4 {
                let j = wide.pair_metric(a, r, q, PairMetric::SurplusPairSum);
                let at = wide.locate(j);
                assert_eq!(
                    (at.alternative, at.region, at.partner),
                    (Some(a), Some(r), Some(q))
                );
                assert!(!seen[j], "two pairs at {j}");
                seen[j] = true;
            }
        }
    }
    let j = wide.alt_pair_metric(0, 1, AltPairMetric::JointParticipationDiff);
    let at = wide.locate(j);
    assert_eq!(
        (at.alternative, at.rival, at.region, at.measure),
        (
            Some(0),
            Some(1),
            None,
            Measure::AltPair(AltPairMetric::JointParticipationDiff)
        )
    );
    assert!(!seen[j]);
    seen[j] = true;
    let own = seen.iter().filter(|&&x| x).count();
    assert_eq!(
        own,
        2 * (AltMetric::COUNT + 6 * PairMetric::COUNT) + AltPairMetric::COUNT
    );
    assert!(
        seen[wide.len() - own..].iter().all(|&x| x),
        "they close the record"
    );
    // Four alternatives make six pairs a < b, in order, closing the record.
    let many = engine::Layout {
        alternatives: 4,
        regions: 2,
        horizon: 1,
    };
    let mut at_end = Vec::new();
    for a in 0..4 {
        for b in a + 1..4 {
            let j = many.alt_pair_metric(a, b, AltPairMetric::JointParticipationDiff);
            let at = many.locate(j);
            assert_eq!((at.alternative, at.rival), (Some(a), Some(b)));
            at_end.push(j);
        }
    }
    assert_eq!(at_end, (many.len() - 6..many.len()).collect::<Vec<_>>());
    // NaN where allowed passes; inf never does.
    let mut record = vec![0.0; layout.len()];
    let irr = layout.region_metric(0, 0, RegionMetric::Irr);
    record[irr] = f64::NAN;
    assert_eq!(engine::first_bad_value(&record, &allowed), None);
    record[irr] = f64::INFINITY;
    assert_eq!(engine::first_bad_value(&record, &allowed), Some(irr));
}
