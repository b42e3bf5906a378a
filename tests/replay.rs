//! `enclave run --replay P`: the replayed path is the full run's path P, bit for
//! bit, and its detail files add up to the path's yearly totals.

mod common;

use common::{REFERENCE_PATH, TestDir};

const SMALL: [&str; 4] = ["--paths", "600", "--horizon", "12"];

fn read(path: &std::path::Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

/// The lines of `text` (after the header) whose first cell is `p`.
fn rows_of(text: &str, p: u64) -> Vec<String> {
    let prefix = format!("{p},");
    text.lines()
        .skip(1)
        .filter(|l| l.starts_with(&prefix))
        .map(str::to_owned)
        .collect()
}

fn run_ok(dir: &TestDir, args: &[&str]) -> String {
    let out = dir.cmd(args);
    assert!(
        out.status.success(),
        "enclave {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Runs `scenario` in full with `--keep-paths` and replays each of `ps`; every
/// per-path file's rows of P must be the full run's, byte for byte.
fn replay_matches_full_run(scenario: &str, id: &str, extra: &[&str], ps: &[u64]) {
    let dir = TestDir::new();
    let mut args = vec!["run", scenario, "--out", "full", "--keep-paths", "-q"];
    args.extend(SMALL);
    args.extend(extra);
    args.extend(["--charts", "none", "--report", "none"]);
    run_ok(&dir, &args);
    for &p in ps {
        let ptext = p.to_string();
        let mut args = vec!["run", scenario, "--out", "rep", "--replay", &ptext];
        args.extend(SMALL);
        args.extend(extra);
        let stdout = run_ok(&dir, &args);
        assert!(
            stdout.contains(&format!("replayed path {p} of {id}")),
            "{stdout}"
        );
        let rep = dir.join("rep").join(format!("{id}.replay-{p}"));
        for file in ["paths.csv", "paths_park.csv", "paths_inputs.csv"] {
            let full = read(&dir.join("full").join(id).join(file));
            let mine = read(&rep.join(file));
            assert_eq!(
                full.lines().next(),
                mine.lines().next(),
                "{file}: same header"
            );
            let want = rows_of(&full, p);
            assert!(!want.is_empty(), "{file} of the full run holds path {p}");
            assert_eq!(rows_of(&mine, p), want, "{file}: path {p} replayed exactly");
            assert_eq!(
                mine.lines().count(),
                want.len() + 1,
                "{file}: only path {p}"
            );
        }
    }
}

#[test]
fn replay_is_the_full_runs_path_in_every_batch() {
    // Paths 0 and 17 (first batch, the pilot's), 257 (second batch) and 599 (the
    // last path of the third, partial batch); the reference scenario's two
    // regions run with coalitions on (Shapley values in paths.csv).
    replay_matches_full_run(
        REFERENCE_PATH,
        "jilin-zhejiang",
        &["--fairness", "on"],
        &[0, 17, 257, 599],
    );
}

#[test]
fn replay_is_the_full_runs_path_with_three_regions_and_coalitions() {
    let three = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/three-party.toml");
    replay_matches_full_run(three, "three-party", &["--fairness", "on"], &[300]);
}

fn csv(text: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let mut r = csv::Reader::from_reader(text.as_bytes());
    let header = r
        .headers()
        .expect("header")
        .iter()
        .map(str::to_owned)
        .collect();
    let rows = r
        .records()
        .map(|row| row.expect("row").iter().map(str::to_owned).collect())
        .collect();
    (header, rows)
}

fn num(cell: &str) -> f64 {
    cell.parse()
        .unwrap_or_else(|_| panic!("a number: {cell:?}"))
}

fn col(header: &[String], name: &str) -> usize {
    header
        .iter()
        .position(|h| h == name)
        .unwrap_or_else(|| panic!("column {name} in {header:?}"))
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * (1.0 + a.abs().max(b.abs()))
}

#[test]
fn replay_files_have_their_columns_and_add_up() {
    let dir = TestDir::new();
    let mut args = vec!["run", REFERENCE_PATH, "--out", "rep", "--replay", "5"];
    args.extend(SMALL);
    run_ok(&dir, &args);
    let rep = dir.join("rep").join("jilin-zhejiang.replay-5");
    let mut names: Vec<String> = std::fs::read_dir(&rep)
        .expect("replay folder")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "cash_flows.csv",
            "firm_years.csv",
            "firms.csv",
            "manifest.json",
            "park_years.csv",
            "paths.csv",
            "paths_inputs.csv",
            "paths_park.csv",
            "region_years.csv",
            "replay.json",
            "scenario.toml"
        ]
    );
    let (fh, fy) = csv(&read(&rep.join("firm_years.csv")));
    let (ph, py) = csv(&read(&rep.join("park_years.csv")));
    assert_eq!(fh, enclave::replay::FIRM_YEARS_HEADER);
    assert_eq!(ph, enclave::replay::PARK_YEARS_HEADER);
    assert_eq!(py.len(), 12, "one row a year");
    assert!(!fy.is_empty(), "the path has firm-years");
    // Each year's firm-years add up to the park's totals; the firm count is the
    // park's.
    for (t, park) in py.iter().enumerate() {
        let of_year: Vec<&Vec<String>> = fy
            .iter()
            .filter(|r| r[col(&fh, "t")] == t.to_string())
            .collect();
        assert_eq!(
            park[col(&ph, "firms")],
            of_year.len().to_string(),
            "year {t}: firms"
        );
        for (firm_col, park_col) in [
            ("tax_total", "tax_total"),
            ("tax_central", "tax_central"),
            ("tax_local", "tax_local"),
            ("tax_provincial", "tax_provincial"),
            ("rebate", "rebates"),
            ("tax_pool", "tax_pool"),
            ("value_added", "gdp"),
            ("jobs", "jobs"),
        ] {
            let mut sum: f64 = of_year.iter().map(|r| num(&r[col(&fh, firm_col)])).sum();
            if firm_col == "jobs" {
                // Firms employ fractions of the park's whole jobs.
                sum = sum.round();
            }
            let want = num(&park[col(&ph, park_col)]);
            assert!(close(sum, want), "year {t}: Σ {firm_col} {sum} vs {want}");
        }
        // The kinds add up to the total.
        for r in &of_year {
            let kinds: f64 = [
                "vat",
                "cit",
                "iit",
                "surcharges",
                "land_use_tax",
                "property_tax",
            ]
            .iter()
            .map(|k| num(&r[col(&fh, k)]))
            .sum();
            assert!(close(kinds, num(&r[col(&fh, "tax_total")])));
        }
    }
    // firms.csv: one row per firm of firm_years.csv.
    let (gh, firms) = csv(&read(&rep.join("firms.csv")));
    assert_eq!(gh, enclave::replay::FIRMS_HEADER);
    let mut ids: Vec<&str> = fy.iter().map(|r| r[col(&fh, "firm")].as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(firms.len(), ids.len());
    // cash_flows.csv: the parts add up to the cash flow, and the record's NPV is
    // the discounted sum (region_years.csv's discount factors).
    let (ch, cf) = csv(&read(&rep.join("cash_flows.csv")));
    assert_eq!(ch, enclave::replay::CASH_FLOWS_HEADER);
    let (rh, ry) = csv(&read(&rep.join("region_years.csv")));
    assert_eq!(rh, enclave::replay::REGION_YEARS_HEADER);
    let (ah, paths) = csv(&read(&rep.join("paths.csv")));
    for row in &cf {
        let plus: f64 = [
            "tax_allocation",
            "land_allocation",
            "guarantee",
            "withheld",
            "provincial",
            "dividends",
            "terminal",
            "continuation",
        ]
        .iter()
        .map(|c| num(&row[col(&ch, c)]))
        .sum();
        let minus: f64 = [
            "cash_contributions",
            "capital_calls",
            "costs_borne",
            "displaced",
            "opportunity_costs",
        ]
        .iter()
        .map(|c| num(&row[col(&ch, c)]))
        .sum();
        assert!(
            close(plus - minus, num(&row[col(&ch, "cash_flow")])),
            "{row:?}"
        );
    }
    for p in &paths {
        let (alt, region) = (&p[col(&ah, "alternative")], &p[col(&ah, "region")]);
        let npv: f64 = cf
            .iter()
            .filter(|r| &r[0] == alt && &r[1] == region)
            .map(|r| {
                let t = &r[col(&ch, "t")];
                let df = ry
                    .iter()
                    .find(|y| &y[0] == region && &y[col(&rh, "t")] == t)
                    .map(|y| num(&y[col(&rh, "discount_factor")]))
                    .expect("region year");
                num(&r[col(&ch, "cash_flow")]) * df
            })
            .sum();
        assert!(
            close(npv, num(&p[col(&ah, "npv")])),
            "{alt}/{region}: {npv} vs {}",
            p[col(&ah, "npv")]
        );
    }
}

/// `run SCENARIO --paths 10 --horizon 6 --replay 12 --out rep`: a path beyond the run's.
fn replay_12_of_10(dir: &TestDir, scenario: &str) -> std::process::Output {
    dir.cmd(&[
        "run",
        scenario,
        "--paths",
        "10",
        "--horizon",
        "6",
        "--replay",
        "12",
        "--out",
        "rep",
    ])
}

#[test]
fn replay_beyond_the_runs_paths_is_said_and_bad_indices_are_refused() {
    let dir = TestDir::new();
    let out = replay_12_of_10(&dir, REFERENCE_PATH);
    assert!(out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("path 12 is beyond jilin-zhejiang's 10 paths"),
        "{err}"
    );
    assert!(
        dir.join("rep/jilin-zhejiang.replay-12/firm_years.csv")
            .exists()
    );
    for bad in ["-1", "x", "1.5", ""] {
        let flag = format!("--replay={bad}");
        let out = dir.cmd(&["run", REFERENCE_PATH, &flag, "--out", "bad"]);
        assert_eq!(out.status.code(), Some(2), "--replay {bad:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("expected a path index"), "{bad:?}: {err}");
        assert!(!dir.join("bad").exists());
    }
    let out = dir.cmd(&["run", REFERENCE_PATH, "--replay", "3", "--keep-paths"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot be used with"));
}

/// The reference scenario with `sampler` as its `[simulation] sampler`.
fn with_sampler(dir: &TestDir, sampler: &str) -> std::path::PathBuf {
    let text = std::fs::read_to_string(REFERENCE_PATH).expect("the reference scenario");
    let text = text.replacen(
        "[simulation]\n",
        &format!("[simulation]\nsampler = \"{sampler}\"\n"),
        1,
    );
    dir.create(&format!("{sampler}.toml"), &text)
}

#[test]
fn replay_is_the_full_runs_path_under_latin_hypercube_and_sobol() {
    // The replay draws the run's own design points: a Latin hypercube's strata
    // (fixed by the run's 600 paths) and the Sobol sequence's points.
    let files = TestDir::new();
    for sampler in ["latin-hypercube", "sobol"] {
        let path = with_sampler(&files, sampler);
        let path = path.to_str().expect("a UTF-8 path");
        replay_matches_full_run(path, "jilin-zhejiang", &[], &[5, 257, 599]);
    }
}

#[test]
fn replay_beyond_a_latin_hypercubes_paths_is_refused() {
    let dir = TestDir::new();
    let path = with_sampler(&dir, "latin-hypercube");
    let out = replay_12_of_10(&dir, path.to_str().expect("a UTF-8 path"));
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(
            "error: jilin-zhejiang: path 12 is beyond the run's 10 paths, and a Latin hypercube's design depends on the run's path count"
        ),
        "{err}"
    );
    assert!(!dir.join("rep/jilin-zhejiang.replay-12").exists());
}

/// A Sobol design has at most 2^32 points: path 2^32 would take point 0's
/// inputs, and no run holds it, so its replay is refused as a Latin
/// hypercube's beyond its paths is (it replayed a near-copy of path 0, with a
/// note that a run of more paths held it: exploratory test). The last path
/// the design holds replays.
#[test]
fn replay_beyond_the_sobol_design_is_refused() {
    let dir = TestDir::new();
    let path = with_sampler(&dir, "sobol");
    let path = path.to_str().expect("a UTF-8 path");
    let replay = |p: &str| {
        dir.cmd(&[
            "run",
            path,
            "--paths",
            "10",
            "--horizon",
            "6",
            "--replay",
            p,
            "--out",
            "rep",
        ])
    };
    let out = replay("4294967296");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        err,
        "error: jilin-zhejiang: path 4294967296 is beyond every Sobol run: the Sobol sampler takes at most 4294967296 design points (a u32 index), which make paths 0 to 4294967295; replay a path below 4294967296\n"
    );
    assert!(!dir.join("rep/jilin-zhejiang.replay-4294967296").exists());
    let out = replay("4294967295");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("a run of more than 4294967295 paths holds it"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A replay folder says which run it replays (replay.json, the scenario's copy)
/// and is published whole with a manifest, as a run's folder is: its files were
/// written one by one into place and said nothing of the run, so a replay with
/// another seed silently replaced one, and a crash left two replays mixed
/// (exploratory test). `enclave report` says what it is.
#[test]
fn a_replay_folder_records_its_run_and_is_published_whole() {
    let dir = TestDir::new();
    fn args(seed: &str) -> Vec<&str> {
        vec![
            "run",
            REFERENCE_PATH,
            "--replay",
            "7",
            "--seed",
            seed,
            "--horizon",
            "12",
            "--out",
            "rp",
            "-q",
        ]
    }
    run_ok(&dir, &args("99"));
    let folder = dir.join("rp/jilin-zhejiang.replay-7");
    enclave::publish::verify(&folder).expect("the folder verifies against its manifest");
    let record: enclave::replay::ReplayRecord =
        serde_json::from_str(&read(&folder.join(enclave::replay::REPLAY_RECORD)))
            .expect("replay.json");
    assert_eq!(
        (
            record.scenario_id.as_str(),
            record.seed,
            record.path,
            record.horizon
        ),
        ("jilin-zhejiang", 99, 7, 12)
    );
    assert_eq!(record.scenario_file, REFERENCE_PATH);
    let copy = read(&folder.join("scenario.toml"));
    assert_eq!(
        enclave::scenario::sha256_hex(copy.as_bytes()),
        record.scenario_sha256
    );
    // Another seed replaces it whole.
    run_ok(&dir, &args("5"));
    let record: enclave::replay::ReplayRecord =
        serde_json::from_str(&read(&folder.join(enclave::replay::REPLAY_RECORD)))
            .expect("replay.json");
    assert_eq!(record.seed, 5);
    enclave::publish::verify(&folder).expect("verifies");
    assert!(enclave::publish::results_inside(&dir.join("rp")).is_empty());
    // `enclave report` on it, or on the folder of replays, says what it is.
    for (folder, said) in [
        (
            "rp",
            "it is an output folder holding replays of one path (run --replay: rp/jilin-zhejiang.replay-7)",
        ),
        (
            "rp/jilin-zhejiang.replay-7",
            "it is the replay of one path (run --replay): its CSV files are all it holds",
        ),
    ] {
        let out = dir.cmd(&["report", folder]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{stderr}");
        assert!(stderr.contains(said), "{stderr}");
    }
}

/// replay.json records whether the coalitions were computed, as run.json does
/// (`coalitions`), and the generator and sampler: two replays whose paths.csv
/// differed (the Shapley column filled, or empty under `--fairness off`) had
/// byte-identical records (exploratory test).
#[test]
fn replay_json_records_the_fairness_setting_and_sampler() {
    let dir = TestDir::new();
    let replay = |out: &str, fairness: &str| {
        run_ok(
            &dir,
            &[
                "run",
                REFERENCE_PATH,
                "--replay",
                "3",
                "--horizon",
                "12",
                "--fairness",
                fairness,
                "--out",
                out,
                "-q",
            ],
        );
        let text = read(&dir.join(out).join("jilin-zhejiang.replay-3/replay.json"));
        let record: enclave::replay::ReplayRecord =
            serde_json::from_str(&text).expect("replay.json");
        (text, record)
    };
    let (on_text, on) = replay("on", "on");
    let (off_text, off) = replay("off", "off");
    assert!(on.coalitions, "{on_text}");
    assert!(!off.coalitions, "{off_text}");
    assert_ne!(on_text, off_text);
    // The same words as the run's own record.
    run_ok(
        &dir,
        &[
            "run",
            REFERENCE_PATH,
            "--paths",
            "20",
            "--horizon",
            "12",
            "--out",
            "full",
            "-q",
            "--charts",
            "none",
            "--report",
            "none",
        ],
    );
    let run: enclave::output::RunRecord =
        serde_json::from_str(&read(&dir.join("full/jilin-zhejiang/run.json"))).expect("run.json");
    assert_eq!(
        (on.coalitions, on.prng.as_str(), on.sampler.as_str()),
        (run.coalitions, run.prng.as_str(), run.sampler.as_str())
    );
}
