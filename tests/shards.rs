//! Shards: `enclave run --shard K/N` and `enclave merge` give the single run's
//! files byte for byte, take the shard from Slurm's and Kubernetes' variables,
//! and refuse partials that do not make one whole run.

mod common;

use std::process::{Command, Output};

use common::{REFERENCE, REFERENCE_PATH, TestDir, bad_input, replace_line};

/// The files a run computes, which a merge must give byte for byte.
const CSV_FILES: [&str; 5] = [
    "summary.csv",
    "timeseries.csv",
    "distribution.csv",
    "fairness.csv",
    "scenario.toml",
];

/// Variables that select a shard; removed from every command here, so that the
/// tests behave alike inside a job array.
const SCHEDULER_VARS: [&str; 7] = [
    "SLURM_ARRAY_TASK_ID",
    "SLURM_ARRAY_TASK_COUNT",
    "SLURM_ARRAY_TASK_MIN",
    "SLURM_ARRAY_TASK_MAX",
    "SLURM_ARRAY_TASK_STEP",
    "JOB_COMPLETION_INDEX",
    "SLURM_ARRAY_JOB_ID",
];

/// Runs `enclave ARGS` in `dir` with exactly the scheduler variables `vars`.
fn enclave(dir: &TestDir, args: &[&str], vars: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_enclave"));
    cmd.args(args).current_dir(dir.path());
    for v in SCHEDULER_VARS {
        cmd.env_remove(v);
    }
    cmd.envs(vars.iter().copied());
    cmd.output().expect("run enclave")
}

/// As [`enclave`], and checks it succeeded.
fn ok(dir: &TestDir, args: &[&str], vars: &[(&str, &str)]) -> Output {
    let out = enclave(dir, args, vars);
    assert!(
        out.status.success(),
        "enclave {args:?} failed with {}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// `base` followed by `more`.
fn with<'a>(base: &[&'a str], more: &[&'a str]) -> Vec<&'a str> {
    base.iter().chain(more).copied().collect()
}

/// A partial or pilot file's text with its first field, the SHA-256 of the
/// rest, computed again: what a file edited by someone who also fixed the seal
/// looks like.
fn reseal(text: &str) -> String {
    let (_, fields) = text.split_once("\",").expect("a sealed file");
    let hex = enclave::scenario::sha256_hex(format!("{{{fields}").as_bytes());
    format!("{{\"sha256\":\"{hex}\",{fields}")
}

/// Checks that `a/<id>/` and `b/<id>/` hold the same computed files, byte for byte.
fn assert_same_results(dir: &TestDir, a: &str, b: &str, id: &str) {
    for f in CSV_FILES {
        let (x, y) = (format!("{a}/{id}/{f}"), format!("{b}/{id}/{f}"));
        assert!(
            dir.read_bytes(&x) == dir.read_bytes(&y),
            "{x} and {y} differ"
        );
    }
}

/// The reference scenario under another id (and so another output folder).
fn variant(dir: &TestDir, id: &str) -> String {
    let mut text = REFERENCE.to_owned();
    replace_line(
        &mut text,
        "id = \"jilin-zhejiang\"",
        &format!("id = \"{id}\""),
    );
    let name = format!("{id}.toml");
    dir.create(&name, &text);
    name
}

/// 1,500 paths: more than the 1,024 pilot paths that fix the quantile grids, so
/// the histograms and the shards' shared grids are exercised; 6 batches, which 4
/// shards split as 1, 2, 1 and 2 batches.
const RUN: [&str; 7] = [
    "--paths",
    "1500",
    "--horizon",
    "8",
    "--charts",
    "none",
    "--quiet",
];

#[test]
fn four_shards_merged_in_any_order_are_the_single_run_byte_for_byte() {
    let dir = TestDir::new();
    ok(
        &dir,
        &with(&["run", REFERENCE_PATH, "--out", "single"], &RUN),
        &[],
    );
    for k in ["1/4", "2/4", "3/4", "4/4"] {
        let args = [
            "run",
            REFERENCE_PATH,
            "--out",
            "parts",
            "--shard",
            k,
            "--threads=2",
        ];
        ok(&dir, &with(&args, &RUN), &[]);
    }
    dir.assert_no_temp_files("parts");
    let part = |k: u32| format!("parts/jilin-zhejiang.partial/part-{k}-of-4.json");
    // Files in any order.
    let (p1, p2, p3, p4) = (part(1), part(2), part(3), part(4));
    ok(
        &dir,
        &[
            "merge", &p3, &p1, &p4, &p2, "--out", "merged", "--charts", "none", "--quiet",
        ],
        &[],
    );
    assert_same_results(&dir, "single", "merged", "jilin-zhejiang");
    // A folder, as `run --shard --out parts` left it.
    ok(
        &dir,
        &[
            "merge", "parts", "--out", "merged2", "--charts", "none", "--quiet",
        ],
        &[],
    );
    assert_same_results(&dir, "single", "merged2", "jilin-zhejiang");
    assert!(dir.exists("merged2/jilin-zhejiang/report.html"));
    assert!(dir.exists("merged2/jilin-zhejiang/manifest.json"));
    // run.json is the single run's, with the shards merged recorded.
    let run: serde_json::Value =
        serde_json::from_str(&dir.read("merged/jilin-zhejiang/run.json")).unwrap();
    assert_eq!(run["paths"], 1500);
    assert_eq!(run["ranges"], serde_json::json!([[0, 1500]]));
    assert_eq!(run["shards"]["count"], 4);
    let merged: Vec<_> = run["shards"]["merged"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["shard"].as_u64().unwrap(), s["paths"].clone()))
        .collect();
    assert_eq!(
        merged,
        [
            (1, serde_json::json!([0, 256])),
            (2, serde_json::json!([256, 768])),
            (3, serde_json::json!([768, 1024])),
            (4, serde_json::json!([1024, 1500])),
        ]
    );
    // The merged folder is a complete run: `run` skips it.
    let out = ok(
        &dir,
        &with(&["run", REFERENCE_PATH, "--out", "merged"], &RUN),
        &[],
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("skipped jilin-zhejiang"));

    // A shard run again (a retried Kubernetes index, on other threads) replaces its
    // partial whole, and the merge is unchanged.
    let before = dir.read("parts/jilin-zhejiang.partial/part-3-of-4.json");
    let again = [
        "run",
        REFERENCE_PATH,
        "--out",
        "parts",
        "--shard",
        "3/4",
        "--threads=1",
    ];
    ok(&dir, &with(&again, &RUN), &[]);
    dir.assert_no_temp_files("parts");
    let after = dir.read("parts/jilin-zhejiang.partial/part-3-of-4.json");
    assert_eq!(without_timing(&before), without_timing(&after));
    ok(
        &dir,
        &["merge", "parts", "--out", "merged3", "--quiet"],
        &[],
    );
    assert_same_results(&dir, "single", "merged3", "jilin-zhejiang");
}

/// A partial without what depends on the machine (seconds and threads, and the
/// SHA-256 of the whole).
fn without_timing(text: &str) -> serde_json::Value {
    let mut v: serde_json::Value = serde_json::from_str(text).unwrap();
    let o = v.as_object_mut().unwrap();
    o.remove("elapsed_seconds");
    o.remove("threads");
    // The SHA-256 of the whole, timing included.
    o.remove("sha256");
    v
}

/// Two scenarios of 600 paths (3 batches each) in 3 shards of 2 batches: shard 2
/// holds the end of the first and the start of the second, so both are cut.
#[test]
fn three_shards_of_a_set_cut_inside_scenarios_merge_to_the_single_run() {
    let dir = TestDir::new();
    let (a, b) = (variant(&dir, "park-a"), variant(&dir, "park-b"));
    // The set's order (b before a) is not the ids' order: the merge keeps the set's.
    let run = [
        "run",
        b.as_str(),
        a.as_str(),
        "--paths",
        "600",
        "--horizon",
        "6",
        "--charts",
        "none",
        "--quiet",
    ];
    ok(&dir, &with(&run, &["--out", "single"]), &[]);
    for k in ["1/3", "2/3", "3/3"] {
        ok(&dir, &with(&run, &["--out", "parts", "--shard", k]), &[]);
    }
    let parts = |id: &str| {
        let mut v: Vec<String> = std::fs::read_dir(dir.join(&format!("parts/{id}.partial")))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    };
    assert_eq!(parts("park-b"), ["part-1-of-3.json", "part-2-of-3.json"]);
    assert_eq!(parts("park-a"), ["part-2-of-3.json", "part-3-of-3.json"]);
    ok(
        &dir,
        &[
            "merge", "parts", "--out", "merged", "--charts", "none", "--quiet",
        ],
        &[],
    );
    assert_same_results(&dir, "single", "merged", "park-a");
    assert_same_results(&dir, "single", "merged", "park-b");
    assert!(
        dir.read_bytes("merged/set/summary.csv") == dir.read_bytes("single/set/summary.csv"),
        "the merged set's summary differs from the single run's"
    );
}

/// Shard `k` of a run of the scenario `files` (200 paths each) into `out`,
/// with `more` flags.
fn run_shard(dir: &TestDir, files: &[String], out: &str, k: &str, more: &[&str]) {
    let mut args = vec!["run"];
    args.extend(files.iter().map(String::as_str));
    args.extend(["--paths", "200", "--quiet", "--out", out, "--shard", k]);
    args.extend(more);
    ok(dir, &args, &[]);
}

/// Five one-batch scenarios in five shards: each shard holds one scenario, so a
/// missing shard leaves a scenario without any partial; the merge names it, by
/// its place and its id (which the partials next to it hold).
#[test]
fn a_scenario_no_partial_holds_is_missing_from_the_set() {
    let dir = TestDir::new();
    let files = [
        variant(&dir, "park-a"),
        variant(&dir, "park-b"),
        variant(&dir, "park-c"),
        variant(&dir, "park-d"),
        variant(&dir, "park-e"),
    ];
    for k in ["1/5", "2/5", "3/5", "4/5", "5/5"] {
        run_shard(&dir, &files, "parts", k, &["--horizon", "3"]);
    }
    std::fs::remove_dir_all(dir.join("parts/park-b.partial")).unwrap();
    let out = dir.cmd(&["merge", "parts", "--out", "merged", "--quiet"]);
    assert_eq!(
        bad_input(&out),
        "error: the set has 5 scenarios but no partial holds scenario 2 (`park-b`) of them: the shards that computed it are missing\n"
    );
    assert!(
        !dir.exists("merged/park-a"),
        "refused before anything is written"
    );
    std::fs::remove_dir_all(dir.join("parts/park-d.partial")).unwrap();
    let out = dir.cmd(&["merge", "parts", "--out", "merged", "--quiet"]);
    assert_eq!(
        bad_input(&out),
        "error: the set has 5 scenarios but no partial holds scenarios 2 (`park-b`), 4 (`park-d`) of them: the shards that computed them are missing\n"
    );
    // A run of missing scenarios is named by its ends.
    std::fs::remove_dir_all(dir.join("parts/park-c.partial")).unwrap();
    let out = dir.cmd(&["merge", "parts", "--out", "merged", "--quiet"]);
    assert_eq!(
        bad_input(&out),
        "error: the set has 5 scenarios but no partial holds scenarios 2 (`park-b`) to 4 (`park-d`) of them: the shards that computed them are missing\n"
    );
}

#[test]
fn shards_of_one_set_run_with_other_settings_or_files_are_not_merged() {
    // Three scenarios of one batch each and three shards: each shard holds one
    // scenario whole, so no scenario's partials can tell the runs apart.
    let dir = TestDir::new();
    let files = [
        variant(&dir, "park-a"),
        variant(&dir, "park-b"),
        variant(&dir, "park-c"),
    ];
    let shard = |out: &str, k: &str, more: &[&str]| {
        let mut args = Vec::new();
        if !more.contains(&"--summary-only") {
            args.extend(["--charts", "none"]);
        }
        if !more.contains(&"--horizon") {
            args.extend(["--horizon", "3"]);
        }
        args.extend(more);
        run_shard(&dir, &files, out, k, &args);
    };
    for k in ["1/3", "2/3", "3/3"] {
        shard("parts", k, &[]);
    }
    ok(&dir, &["merge", "parts", "--out", "merged", "--quiet"], &[]);
    let different_sets = |out: &Output| {
        let e = bad_input(out);
        assert!(
            e.contains("error: the partials come from different sets: scenario `park-a`")
                && e.contains(
                    ": the shards were given different scenario files, or a different --seed, --paths, --horizon, --fairness or --summary-only (give the merge one set's partials)"
                ),
            "{e}"
        );
    };
    // Shard 3 run with another seed, horizon or fairness, with --summary-only,
    // or after its scenario's file was edited: refused, before anything is
    // written.
    for (n, more) in [
        &["--seed", "7"][..],
        &["--horizon", "4"],
        &["--fairness", "off"],
        &["--summary-only"],
        &[],
    ]
    .into_iter()
    .enumerate()
    {
        let out = format!("other{n}");
        shard(&out, "1/3", &[]);
        shard(&out, "2/3", &[]);
        if more.is_empty() {
            let edited = dir
                .read(&files[2])
                .replacen("seed = ", "# edited\nseed = ", 1);
            dir.create(&files[2], &edited);
        }
        shard(&out, "3/3", more);
        let merged = format!("merged{n}");
        let refused = dir.cmd(&["merge", &out, "--out", &merged, "--quiet"]);
        if more == ["--summary-only"] {
            assert!(bad_input(&refused).contains(
                "error: scenario `park-a` was computed without --summary-only and scenario `park-c` with it: run every shard of the set with the same flags"
            ));
        } else {
            different_sets(&refused);
        }
        assert!(!dir.exists(&merged), "refused before anything is written");
    }

    // A shard of another engine or of a machine that rounds otherwise: refused
    // by name, though no scenario's partials are of both.
    let part = "parts/park-c.partial/part-3-of-3.json";
    let text = dir.read(part);
    let math = enclave::mathlib::fingerprint();
    for (from, to, what) in [
        (
            format!("\"math\":\"{math}\""),
            "\"math\":\"0000000000000000\"".to_owned(),
            format!(
                "machines whose math libraries round differently (fingerprints {math} and 0000000000000000)"
            ),
        ),
        (
            format!("\"engine\":\"enclave {}\"", env!("CARGO_PKG_VERSION")),
            "\"engine\":\"enclave 0.0.0\"".to_owned(),
            format!(
                "engine `enclave {}` and engine `enclave 0.0.0`",
                env!("CARGO_PKG_VERSION")
            ),
        ),
    ] {
        let claimed = text.replace(&from, &to);
        assert_ne!(text, claimed, "the partial names it");
        dir.create(part, &reseal(&claimed));
        let e = bad_input(&dir.cmd(&["merge", "parts", "--out", "claimed", "--quiet"]));
        assert!(
            e.contains(&format!(
                "error: the partials come from different runs: scenario `park-a` (parts/park-a.partial/part-1-of-3.json) and scenario `park-c` ({part}) were computed by {what}"
            )),
            "{e}"
        );
    }
}

/// Runs `deploy/slurm/NAME ARGS` with bash in `dir`, as a Slurm job would (the
/// binary in `ENCLAVE`, `vars` set, no other scheduler variable).
fn slurm_script(dir: &TestDir, name: &str, args: &[&str], vars: &[(&str, &str)]) -> Output {
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("deploy/slurm")
        .join(name);
    let mut cmd = Command::new("bash");
    cmd.arg(script).args(args).current_dir(dir.path());
    for v in SCHEDULER_VARS {
        cmd.env_remove(v);
    }
    cmd.env("ENCLAVE", env!("CARGO_BIN_EXE_enclave"))
        .envs(vars.iter().copied())
        .output()
        .expect("run bash")
}

#[test]
fn the_slurm_scripts_run_a_sweep_as_they_run_scenarios() {
    // A tester found pilot.sbatch and shards.sbatch always called `enclave run`,
    // which refuses a sweep file: ENCLAVE_COMMAND=sweep (submit.sh --sweep) runs
    // `enclave sweep`, whose pilot, shards and merge give the unsharded sweep.
    let dir = TestDir::new();
    dir.create(
        "grid.toml",
        "base = \"reference\"\nid = \"g\"\n[[vary]]\npath = \"firms.arrival_rate\"\nvalues = [6, 12]\n",
    );
    let flags = ["grid.toml", "--paths", "600", "--horizon", "4"];
    let sweep = [("ENCLAVE_COMMAND", "sweep")];
    let succeeded = |out: Output, what: &str| {
        assert!(
            out.status.success(),
            "{what}: {}\nstderr:\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    };
    succeeded(
        slurm_script(&dir, "pilot.sbatch", &with(&["parts"], &flags), &sweep),
        "pilot",
    );
    for k in ["1", "2", "3"] {
        let vars = [
            sweep[0],
            ("SLURM_ARRAY_TASK_ID", k),
            ("SLURM_ARRAY_TASK_COUNT", "3"),
            ("SLURM_ARRAY_TASK_MIN", "1"),
            ("SLURM_ARRAY_TASK_MAX", "3"),
        ];
        succeeded(
            slurm_script(&dir, "shards.sbatch", &with(&["parts"], &flags), &vars),
            "shard",
        );
    }
    succeeded(
        slurm_script(
            &dir,
            "merge.sbatch",
            &["parts", "merged", "--charts", "none"],
            &[],
        ),
        "merge",
    );
    ok(
        &dir,
        &with(
            &["sweep", "--out", "single", "--charts", "none", "--quiet"],
            &flags,
        ),
        &[],
    );
    for f in ["summary.csv", "sweep.csv", "runs.csv"] {
        assert!(
            dir.read_bytes(&format!("merged/set/{f}"))
                == dir.read_bytes(&format!("single/set/{f}")),
            "{f}"
        );
    }
    // Without it, a sweep file is refused as it is by `enclave run`; another
    // command is refused by the script.
    let out = slurm_script(&dir, "pilot.sbatch", &with(&["other"], &flags), &[]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("run it with `enclave sweep grid.toml`"));
    let out = slurm_script(
        &dir,
        "pilot.sbatch",
        &with(&["other"], &flags),
        &[("ENCLAVE_COMMAND", "merge")],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("error: ENCLAVE_COMMAND must be run or sweep, not 'merge'")
    );
}

/// Small runs for the selection and refusal tests: 3 batches.
const SMALL: [&str; 7] = [
    "--paths",
    "600",
    "--horizon",
    "4",
    "--charts",
    "none",
    "--quiet",
];

#[test]
fn slurm_and_kubernetes_variables_select_the_same_shard_as_the_flag() {
    let dir = TestDir::new();
    let run = |out: &str, more: &[&str], vars: &[(&str, &str)]| {
        let args = with(&with(&["run", REFERENCE_PATH, "--out", out], &SMALL), more);
        ok(&dir, &args, vars);
        without_timing(&dir.read(&format!("{out}/jilin-zhejiang.partial/part-2-of-4.json")))
    };
    let flag = run("flag", &["--shard", "2/4"], &[]);
    // --array=0-3
    let zero = run(
        "slurm0",
        &[],
        &[
            ("SLURM_ARRAY_TASK_ID", "1"),
            ("SLURM_ARRAY_TASK_MIN", "0"),
            ("SLURM_ARRAY_TASK_MAX", "3"),
            ("SLURM_ARRAY_TASK_COUNT", "4"),
        ],
    );
    // --array=1-4
    let one = run(
        "slurm1",
        &[],
        &[
            ("SLURM_ARRAY_TASK_ID", "2"),
            ("SLURM_ARRAY_TASK_MIN", "1"),
            ("SLURM_ARRAY_TASK_MAX", "4"),
            ("SLURM_ARRAY_TASK_COUNT", "4"),
        ],
    );
    let count_only = run(
        "slurm",
        &[],
        &[
            ("SLURM_ARRAY_TASK_ID", "1"),
            ("SLURM_ARRAY_TASK_COUNT", "4"),
        ],
    );
    let k8s = run("k8s", &["--shards", "4"], &[("JOB_COMPLETION_INDEX", "1")]);
    for other in [&zero, &one, &count_only, &k8s] {
        assert_eq!(&flag, other);
    }
    // 3 batches in 4 shards: shard 1 holds none and writes nothing; its partial
    // of an earlier run of more paths in the same folder goes, with a note.
    let earlier = [
        "run",
        REFERENCE_PATH,
        "--out",
        "empty",
        "--shard",
        "1/4",
        "--paths",
        "1500",
        "--horizon",
        "4",
        "--quiet",
    ];
    ok(&dir, &earlier, &[]);
    let stale = "empty/jilin-zhejiang.partial/part-1-of-4.json";
    assert!(dir.exists(stale));
    let out = ok(
        &dir,
        &with(
            &["run", REFERENCE_PATH, "--out", "empty", "--shard", "1/4"],
            &SMALL,
        ),
        &[],
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        format!("removed {stale}: shard 1 of 4 holds none of jilin-zhejiang's paths in this run\n")
    );
    assert!(!dir.exists(stale));
    // --shard overrides the variables; --shard none runs everything.
    let slurm = [
        ("SLURM_ARRAY_TASK_ID", "0"),
        ("SLURM_ARRAY_TASK_COUNT", "4"),
    ];
    run("override", &["--shard", "2/4"], &slurm);
    assert!(!dir.exists("override/jilin-zhejiang.partial/part-1-of-4.json"));
    let out = ok(
        &dir,
        &with(
            &[
                "run",
                REFERENCE_PATH,
                "--out",
                "override2",
                "--shard",
                "2/4",
            ],
            &SMALL,
        ),
        &slurm,
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "note: shard 2 of 4 is given by --shard, so SLURM_ARRAY_TASK_ID is not read\n"
    );
    let out = ok(
        &dir,
        &with(
            &["run", REFERENCE_PATH, "--out", "whole", "--shard", "none"],
            &SMALL,
        ),
        &slurm,
    );
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(dir.exists("whole/jilin-zhejiang/summary.csv"));
    assert!(!dir.exists("whole/jilin-zhejiang.partial"));
    // An Indexed Job's index without --shards: every path, with a note.
    let out = ok(
        &dir,
        &with(&["run", REFERENCE_PATH, "--out", "index"], &SMALL),
        &[("JOB_COMPLETION_INDEX", "2")],
    );
    assert!(
        String::from_utf8_lossy(&out.stderr).starts_with(
            "note: JOB_COMPLETION_INDEX is set but --shards is not, so this runs every path"
        ),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(dir.exists("index/jilin-zhejiang/summary.csv"));
    // An Indexed Job's index beside a Slurm array's task: --shards takes the
    // index, and says that it does not read the task (it said nothing:
    // exploratory test).
    let out = ok(
        &dir,
        &with(
            &["run", REFERENCE_PATH, "--out", "both", "--shards", "4"],
            &SMALL,
        ),
        &[("JOB_COMPLETION_INDEX", "2"), slurm[0], slurm[1]],
    );
    assert!(
        String::from_utf8_lossy(&out.stderr).starts_with(
            "note: JOB_COMPLETION_INDEX and SLURM_ARRAY_TASK_ID are both set; --shards takes the shard from JOB_COMPLETION_INDEX, so SLURM_ARRAY_TASK_ID is not read\n"
        ),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(dir.exists("both/jilin-zhejiang.partial/part-3-of-4.json"));
    // Without a count, or an index out of range: refused, naming the variable.
    let args = with(&["run", REFERENCE_PATH, "--out", "bad"], &SMALL);
    let e = bad_input(&enclave(&dir, &with(&args, &["--shards", "4"]), &[]));
    assert!(
        e.contains("error: --shards 4 takes the shard from JOB_COMPLETION_INDEX"),
        "{e}"
    );
    let e = bad_input(&enclave(
        &dir,
        &with(&args, &["--shards", "4"]),
        &[("JOB_COMPLETION_INDEX", "4")],
    ));
    assert!(
        e.contains("error: JOB_COMPLETION_INDEX is 4, expected 0..3 with --shards 4"),
        "{e}"
    );
    let e = bad_input(&enclave(&dir, &with(&args, &["--shard", "0/4"]), &[]));
    assert!(
        e.contains("shards are numbered from 1 (the first of 4 is 1/4)"),
        "{e}"
    );
    // Past the most shards, the limit is said (as --shards says it).
    let e = bad_input(&enclave(
        &dir,
        &with(&args, &["--shard", "1/4294967296"]),
        &[],
    ));
    assert!(
        e.contains("found `1/4294967296`: a run is split into at most 4294967295 shards"),
        "{e}"
    );
    let e = bad_input(&enclave(
        &dir,
        &with(&args, &["--shard", "1/2", "--keep-paths"]),
        &[],
    ));
    assert!(
        e.contains("--keep-paths cannot be combined with shards"),
        "{e}"
    );
}

#[test]
fn missing_duplicated_and_mismatched_partials_are_refused_by_name() {
    let dir = TestDir::new();
    let shard = |out: &str, k: &str, more: &[&str]| {
        let args = with(
            &with(&["run", REFERENCE_PATH, "--out", out, "--shard", k], &SMALL),
            more,
        );
        ok(&dir, &args, &[]);
        format!(
            "{out}/jilin-zhejiang.partial/part-{}-of-{}.json",
            &k[..1],
            &k[2..]
        )
    };
    let p1 = shard("parts", "1/2", &[]);
    let p2 = shard("parts", "2/2", &[]);
    let merge = |parts: &[&str]| {
        let args = with(&with(&["merge"], parts), &["--out", "merged", "--quiet"]);
        bad_input(&enclave(&dir, &args, &[]))
    };

    let e = merge(&[&p1]);
    assert!(
        e.contains("error: shard 2 of 2 of scenario `jilin-zhejiang` is missing\n"),
        "{e}"
    );
    std::fs::create_dir(dir.join("copy")).unwrap();
    std::fs::copy(dir.join(&p2), dir.join("copy/part-2-of-2.json")).unwrap();
    let e = merge(&[&p1, &p2, "copy/part-2-of-2.json"]);
    assert!(
        e.contains(&format!(
            "error: shard 2 of 2 of scenario `jilin-zhejiang` is given twice: copy/part-2-of-2.json and {p2}\n"
        )) || e.contains(&format!(
            "error: shard 2 of 2 of scenario `jilin-zhejiang` is given twice: {p2} and copy/part-2-of-2.json\n"
        )),
        "{e}"
    );

    let seed = shard("seed", "2/2", &["--seed", "7"]);
    let e = merge(&[&p1, &seed]);
    assert!(
        e.contains(&format!(
            "error: {p1} and {seed} are partials of different runs of scenario `jilin-zhejiang`: seed 20180330 and seed 7 (partials of an earlier run left in the folder? remove them, or give each run its own --out)\n"
        )),
        "{e}"
    );
    let fairness = shard("fair", "2/2", &["--fairness", "off"]);
    let e = merge(&[&p1, &fairness]);
    assert!(e.contains("fairness on and fairness off"), "{e}");
    let args = [
        "run",
        REFERENCE_PATH,
        "--out",
        "horizon",
        "--shard",
        "2/2",
        "--paths",
        "600",
    ];
    ok(
        &dir,
        &with(&args, &["--horizon", "5", "--charts", "none", "--quiet"]),
        &[],
    );
    let horizon = "horizon/jilin-zhejiang.partial/part-2-of-2.json";
    assert!(merge(&[&p1, horizon]).contains("horizon 4 and horizon 5"));
    let three = shard("three", "2/3", &[]);
    assert!(merge(&[&p1, &three]).contains("2 shards and 3 shards"));

    // The same id from another scenario file.
    let mut text = REFERENCE.to_owned();
    text.push_str(
        "# the same park in another file
",
    );
    let other = dir.create("other.toml", &text);
    let args = with(
        &[
            "run",
            other.to_str().unwrap(),
            "--out",
            "other",
            "--shard",
            "2/2",
        ],
        &SMALL,
    );
    ok(&dir, &args, &[]);
    let e = merge(&[&p1, "other/jilin-zhejiang.partial/part-2-of-2.json"]);
    assert!(
        e.contains(&format!(
            "error: {p1} and other/jilin-zhejiang.partial/part-2-of-2.json are partials of different runs of scenario `jilin-zhejiang`: scenario files with SHA-256 "
        )),
        "{e}"
    );

    // The same scenario split with another list of scenarios: shard 2 of the set
    // [other id, reference] holds all of the reference's paths.
    let before = variant(&dir, "before");
    let args = [
        "run",
        &before,
        REFERENCE_PATH,
        "--out",
        "set",
        "--shard",
        "2/2",
    ];
    ok(&dir, &with(&args, &SMALL), &[]);
    let e = merge(&[&p1, "set/jilin-zhejiang.partial/part-2-of-2.json"]);
    assert!(
        e.contains("split differently (shards 1, 2 and shards 2 hold its paths: the shards were given different scenario lists)"),
        "{e}"
    );

    // Two sets' partials (of the same size, their first scenarios both in place
    // 1): refused as partials of different sets, naming a file of each.
    let second = variant(&dir, "second");
    ok(
        &dir,
        &with(
            &["run", &second, &before, "--out", "setb", "--shard", "1/1"],
            &SMALL,
        ),
        &[],
    );
    ok(
        &dir,
        &with(
            &["run", &before, &second, "--out", "seta", "--shard", "1/1"],
            &SMALL,
        ),
        &[],
    );
    let e = merge(&["seta/before.partial", "setb/second.partial"]);
    assert!(
        e.contains("error: the partials come from different sets: scenario `before` (seta/before.partial/part-1-of-1.json) was computed in set ")
            && e.contains(" and scenario `second` (setb/second.partial/part-1-of-1.json) in set ")
            && e.ends_with(" (give the merge one set's partials)\n"),
        "{e}"
    );

    // A damaged or foreign file is named, without a panic. A partial carries
    // the SHA-256 of its contents: one changed character of its statistics,
    // which could still decode to other numbers, is refused.
    let text = dir.read(&p2);
    let damaged = "SHA-256 written in it: the file was changed or damaged after it was written; run its shard again";
    let at = text.find("\"state\":\"").unwrap() + 5_000;
    let flipped = if text.as_bytes()[at] == b'A' {
        "B"
    } else {
        "A"
    };
    let mut bytes = text.clone().into_bytes();
    bytes[at] = flipped.as_bytes()[0];
    dir.create("flipped.json", &String::from_utf8(bytes).unwrap());
    let e = merge(&[&p1, "flipped.json"]);
    assert!(
        e.contains(&format!(
            "error: flipped.json: its contents do not match the {damaged}"
        )),
        "{e}"
    );
    let seed = "\"seed\":20180330";
    assert!(text.contains(seed));
    let edited = text.replacen(seed, "\"seed\":1", 1);
    dir.create("edited.json", &edited);
    let e = merge(&[&p1, "edited.json"]);
    assert!(
        e.contains(&format!(
            "error: edited.json: its contents do not match the {damaged}"
        )),
        "{e}"
    );
    // Sealed again, the edit is caught by the partial's own consistency check.
    dir.create("resealed.json", &reseal(&edited));
    let e = merge(&[&p1, "resealed.json"]);
    assert!(
        e.contains(
            "error: resealed.json: its statistics are of another seed, path count or horizon"
        ),
        "{e}"
    );
    // Without its SHA-256 it is refused too.
    let (_, fields) = edited.split_once("\",\"format\"").unwrap();
    dir.create("unsealed.json", &format!("{{\"format\"{fields}"));
    let e = merge(&[&p1, "unsealed.json"]);
    assert!(
        e.contains("error: unsealed.json: it carries no SHA-256 of its contents"),
        "{e}"
    );
    dir.create("broken.json", &text[..1000]);
    let e = merge(&[&p1, "broken.json"]);
    assert!(
        e.contains(&format!(
            "error: broken.json: its contents do not match the {damaged}"
        )),
        "{e}"
    );
    dir.create("foreign.json", "{\"name\": \"something else\"}");
    let e = merge(&[&p1, "foreign.json"]);
    assert!(
        e.contains("error: foreign.json: not a partial result of `enclave run --shard`"),
        "{e}"
    );
    let e = merge(&[
        "copy/../parts/jilin-zhejiang.partial/part-1-of-2.json",
        "nowhere",
    ]);
    assert!(e.contains("error: cannot read nowhere"), "{e}");
    std::fs::create_dir(dir.join("emptydir")).unwrap();
    let e = merge(&["emptydir"]);
    assert!(
        e.contains("error: emptydir holds no partial results"),
        "{e}"
    );
    assert!(!dir.exists("merged"));
}

/// `run --pilot` computes the pilot once; the shards then take its grids instead
/// of simulating its paths again, to the same bytes.
#[test]
fn shards_after_a_pilot_take_its_grids_and_merge_to_the_single_run() {
    let dir = TestDir::new();
    ok(
        &dir,
        &with(&["run", REFERENCE_PATH, "--out", "single"], &RUN),
        &[],
    );
    let sizes = ["--paths", "1500", "--horizon", "8"];
    let out = ok(
        &dir,
        &with(
            &["run", REFERENCE_PATH, "--out", "parts", "--pilot"],
            &sizes,
        ),
        &[],
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout)
            .split(", ")
            .next()
            .unwrap_or(""),
        format!(
            "parts/jilin-zhejiang.partial/pilot.json: paths 0..{} of 1500",
            enclave::engine::PILOT_PATHS
        )
    );
    for k in ["1/4", "2/4", "3/4", "4/4"] {
        let out = ok(
            &dir,
            &with(
                &["run", REFERENCE_PATH, "--out", "parts", "--shard", k],
                &sizes,
            ),
            &[],
        );
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(stdout.ends_with(", with the pilot's grids\n"), "{stdout}");
        assert!(
            out.stderr.is_empty(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    ok(
        &dir,
        &[
            "merge", "parts", "--out", "merged", "--charts", "none", "--quiet",
        ],
        &[],
    );
    assert_same_results(&dir, "single", "merged", "jilin-zhejiang");
    // The folder's files one by one, as a glob `*.json` gives them, the pilot
    // among them: it is skipped with a note.
    let folder = "parts/jilin-zhejiang.partial";
    let files: Vec<String> = [
        "part-1-of-4.json",
        "part-2-of-4.json",
        "part-3-of-4.json",
        "part-4-of-4.json",
        "pilot.json",
    ]
    .iter()
    .map(|f| format!("{folder}/{f}"))
    .collect();
    let args: Vec<&str> = ["merge"]
        .into_iter()
        .chain(files.iter().map(String::as_str))
        .chain(["--out", "globbed", "--charts", "none"])
        .collect();
    let out = ok(&dir, &args, &[]);
    assert!(
        String::from_utf8_lossy(&out.stderr).contains(&format!(
            "skipped {folder}/pilot.json: a pilot, which the merge does not read"
        )),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_same_results(&dir, "single", "globbed", "jilin-zhejiang");

    // The pilot of another run (another seed) is ignored, with a note, and the
    // shard fixes the grids itself.
    ok(
        &dir,
        &with(
            &[
                "run",
                REFERENCE_PATH,
                "--out",
                "other",
                "--pilot",
                "--seed",
                "9",
            ],
            &sizes,
        ),
        &[],
    );
    let out = ok(
        &dir,
        &with(
            &["run", REFERENCE_PATH, "--out", "other", "--shard", "2/4"],
            &sizes,
        ),
        &[],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.starts_with("ignoring other/jilin-zhejiang.partial/pilot.json: it is the pilot of another run (seed 9, 1500 paths, horizon 8, fairness on); this shard simulates the pilot paths itself"),
        "{stderr}"
    );

    // A pilot whose grids were changed after it was written (one digit) is
    // ignored the same way: its grids would give other quantiles without a word.
    let pilot = "parts/jilin-zhejiang.partial/pilot.json";
    let text = dir.read(pilot);
    let at = text.find("\"lo\":\"").expect("a grid") + 7;
    let digit = text.as_bytes()[at];
    assert!(digit.is_ascii_digit(), "{}", &text[at - 7..at + 5]);
    let mut bytes = text.into_bytes();
    bytes[at] = if digit == b'1' { b'2' } else { b'1' };
    dir.create(pilot, &String::from_utf8(bytes).unwrap());
    let out = ok(
        &dir,
        &with(
            &["run", REFERENCE_PATH, "--out", "parts", "--shard", "3/4"],
            &sizes,
        ),
        &[],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.starts_with("ignoring parts/jilin-zhejiang.partial/pilot.json: its contents do not match the SHA-256 written in it"),
        "{stderr}"
    );
    ok(
        &dir,
        &[
            "merge", "parts", "--out", "merged2", "--charts", "none", "--quiet",
        ],
        &[],
    );
    assert_same_results(&dir, "single", "merged2", "jilin-zhejiang");

    // A scenario of at most the pilot's paths needs no pilot: said, nothing written.
    let out = ok(
        &dir,
        &[
            "run",
            REFERENCE_PATH,
            "--out",
            "small",
            "--pilot",
            "--paths",
            "600",
        ],
        &[],
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "no pilot for 1 of 1 scenario: a scenario of at most 1024 paths needs none (its pilot paths are all its paths)\n"
    );
    assert!(!dir.exists("small"));
}

/// The shard whose range holds all the pilot paths and more takes their
/// statistics from the pilot too, so the whole run simulates them once; the
/// merge is still the single run, byte for byte.
#[test]
fn the_shard_holding_the_pilot_paths_takes_their_statistics_from_the_pilot() {
    let dir = TestDir::new();
    // 10 batches: shard 1 of 2 holds paths 0..1280, the pilot's 0..1024 and more.
    let sizes = [
        "--paths",
        "2560",
        "--horizon",
        "8",
        "--charts",
        "none",
        "--quiet",
    ];
    ok(
        &dir,
        &with(&["run", REFERENCE_PATH, "--out", "single"], &sizes),
        &[],
    );
    let loud = &sizes[..sizes.len() - 1];
    ok(
        &dir,
        &with(&["run", REFERENCE_PATH, "--out", "parts", "--pilot"], loud),
        &[],
    );
    // The pilot's seconds are counted by the shard that takes its paths: the
    // merged run's seconds (and firm-years a second) include them.
    let json =
        |file: &str| -> serde_json::Value { serde_json::from_str(&dir.read(file)).expect("JSON") };
    let pilot = json("parts/jilin-zhejiang.partial/pilot.json")["elapsed_seconds"]
        .as_f64()
        .expect("the pilot's seconds");
    assert!(pilot > 0.0);
    let mut seconds = 0.0;
    for (k, said) in [
        (
            "1/2",
            ", with the pilot's grids and its paths 0..1024 (its ",
        ),
        ("2/2", ", with the pilot's grids\n"),
    ] {
        let out = ok(
            &dir,
            &with(
                &["run", REFERENCE_PATH, "--out", "parts", "--shard", k],
                loud,
            ),
            &[],
        );
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(stdout.contains(said), "{stdout}");
        let part = json(&format!(
            "parts/jilin-zhejiang.partial/part-{}-of-2.json",
            &k[..1]
        ));
        seconds += part["elapsed_seconds"].as_f64().expect("seconds");
        if k == "1/2" {
            assert!(
                stdout.ends_with(&format!(" (its {pilot:.1} s counted)\n")),
                "{stdout}"
            );
            assert!(part["elapsed_seconds"].as_f64() >= Some(pilot));
        }
    }
    ok(
        &dir,
        &[
            "merge", "parts", "--out", "merged", "--charts", "none", "--quiet",
        ],
        &[],
    );
    assert_same_results(&dir, "single", "merged", "jilin-zhejiang");
    let merged = json("merged/jilin-zhejiang/run.json")["elapsed_seconds"]
        .as_f64()
        .expect("the merged seconds");
    assert!(
        (merged - seconds).abs() < 1e-9 && merged > pilot,
        "{merged} vs {seconds}"
    );
}

/// The state of paths `range` of a run of `paths` paths and `horizon` years of
/// the reference scenario, on one thread.
fn reference_state(
    paths: u64,
    horizon: u32,
    range: std::ops::Range<u64>,
) -> enclave::engine::RunState {
    use enclave::engine::{self, Observe, RunConfig};
    let scn = enclave::scenario::Scenario::reference().expect("bundled scenario");
    let cfg = RunConfig {
        paths,
        horizon,
        threads: 1,
        ..RunConfig::from_scenario(&scn)
    };
    engine::run_range(&scn, &cfg, range, Observe::default(), &mut |_| {}).expect("run")
}

/// A partial's statistics are stored as postcard bytes (base64 in the JSON):
/// they read back to the same state, their head alone gives its run, paths and
/// shape, and damaged bytes are refused.
#[test]
fn a_packed_state_reads_back_whole_and_its_head_alone() {
    use enclave::shard::Packed;
    let state = reference_state(600, 6, 256..512);
    let packed = Packed::pack(&state).expect("encodes");
    let head = packed.head().expect("head");
    assert_eq!(head.layout, state.layout);
    assert_eq!(head.config, state.config);
    assert_eq!(head.ranges, vec![256..512]);
    assert_eq!(head.firm_years, state.firm_years);
    assert_eq!(&head.plan, state.stats.plan());
    let back = packed.unpack().expect("whole state");
    assert_eq!(back.to_json().unwrap(), state.to_json().unwrap());

    let text = serde_json::to_string(&packed).unwrap();
    assert!(text.len() > 100 && text.starts_with('"'), "{}", &text[..60]);
    let again: Packed = serde_json::from_str(&text).unwrap();
    assert_eq!(again, packed);
    // Cut short, or with bytes after it, or not base64: refused.
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD;
    let mut bytes = b64.decode(text.trim_matches('"')).unwrap();
    let json = |bytes: &[u8]| format!("\"{}\"", b64.encode(bytes));
    let cut: Packed = serde_json::from_str(&json(&bytes[..bytes.len() / 2])).unwrap();
    assert!(cut.unpack().unwrap_err().contains("do not decode"));
    bytes.push(0);
    let longer: Packed = serde_json::from_str(&json(&bytes)).unwrap();
    assert!(
        longer
            .unpack()
            .unwrap_err()
            .contains("followed by 1 stray byte")
    );
    let bad: Packed = serde_json::from_str("\"not base64!\"").unwrap();
    assert!(bad.unpack().unwrap_err().contains("not base64"));
    assert!(bad.head().is_err());
}

/// A part of a run of more than 1,024 paths holds the counts, not the values, of
/// the measures every path gives a value, which the whole run bins anyway (its
/// workers count them from the start): its partial is a fraction of the size of
/// the same paths' part of a run of at most 1,024 paths, which keeps every
/// value, and merges to the same state (the merge tests compare the files).
#[test]
fn a_part_of_a_large_run_bins_what_every_path_defines() {
    use enclave::shard::Packed;
    let size = |s| {
        serde_json::to_string(&Packed::pack(s).unwrap())
            .unwrap()
            .len()
    };
    let mut binned = reference_state(1500, 6, 256..512);
    let json = binned.to_json().unwrap();
    binned.bin_defined();
    assert_eq!(binned.to_json().unwrap(), json, "binned already");
    // A run of at most 1,024 paths keeps every value.
    let mut small = reference_state(1000, 6, 256..512);
    let json = small.to_json().unwrap();
    small.bin_defined();
    assert_eq!(small.to_json().unwrap(), json);
    let (binned, kept) = (size(&binned), size(&small));
    assert!(binned * 4 < kept, "{binned} vs {kept} bytes");
}

/// A state whose head is longer than the text `Packed::head` decodes first (a
/// long horizon has many record positions) still reads its head.
#[test]
fn a_long_head_reads_whole() {
    use enclave::shard::Packed;
    let state = reference_state(256, 60, 0..256);
    let head_bytes = postcard::to_stdvec(&(
        state.layout,
        state.config,
        &state.ranges,
        state.firm_years,
        state.stats.plan(),
    ))
    .unwrap();
    let packed = Packed::pack(&state).expect("encodes");
    // Base64 carries 3 bytes in 4 characters.
    let first = enclave::shard::HEAD_TEXT / 4 * 3;
    assert!(head_bytes.len() > first, "{} bytes", head_bytes.len());
    let head = packed.head().expect("head");
    assert_eq!(&head.plan, state.stats.plan());
    assert_eq!(head.ranges, vec![0..256]);
}

/// `--summary-only` shards keep quantiles for the headline measures only, like
/// `run --summary-only`: their partials are a fraction of the size, the merge
/// writes only the set's files, the same bytes as the single run's, and partials
/// with and without the flag are not merged together.
#[test]
fn summary_only_shards_merge_to_the_summary_only_set() {
    let dir = TestDir::new();
    let (a, b) = (variant(&dir, "park-a"), variant(&dir, "park-b"));
    // 1,300 paths each: more than the pilot's, so the grids and the pilot are in
    // play; 3 shards cut the 12 batches inside both scenarios.
    let run = [
        "run",
        a.as_str(),
        b.as_str(),
        "--paths",
        "1300",
        "--horizon",
        "6",
        "--quiet",
    ];
    let only = with(&run, &["--summary-only"]);
    ok(&dir, &with(&only, &["--out", "single"]), &[]);
    ok(&dir, &with(&only, &["--out", "parts", "--pilot"]), &[]);
    for k in ["1/3", "2/3", "3/3"] {
        ok(&dir, &with(&only, &["--out", "parts", "--shard", k]), &[]);
        ok(
            &dir,
            &with(&run, &["--out", "full", "--shard", k, "--charts", "none"]),
            &[],
        );
    }
    ok(&dir, &["merge", "parts", "--out", "merged", "--quiet"], &[]);
    for f in ["summary.csv", "runs.csv"] {
        assert!(
            dir.read_bytes(&format!("merged/set/{f}"))
                == dir.read_bytes(&format!("single/set/{f}")),
            "the merged set's {f} differs from the single run's"
        );
    }
    assert!(!dir.exists("merged/park-a") && !dir.exists("merged/park-b"));
    // A run of at most 1,024 paths keeps every value where it keeps quantiles:
    // the headline measures' alone are a small part of them.
    let size = |p: &str| std::fs::metadata(dir.join(p)).unwrap().len();
    let one = [
        "run",
        a.as_str(),
        "--paths",
        "600",
        "--horizon",
        "6",
        "--quiet",
    ];
    for (out, more) in [("small", &["--summary-only"][..]), ("whole", &[][..])] {
        let args = with(&with(&one, &["--out", out, "--shard", "1/1"]), more);
        ok(&dir, &args, &[]);
    }
    let (small, whole) = (
        size("small/park-a.partial/part-1-of-1.json"),
        size("whole/park-a.partial/part-1-of-1.json"),
    );
    assert!(small * 5 < whole, "{small} vs {whole} bytes");

    let merge = |args: &[&str]| bad_input(&enclave(&dir, args, &[]));
    let e = merge(&[
        "merge",
        "parts/park-a.partial",
        "full/park-b.partial",
        "--out",
        "mixed",
    ]);
    assert!(
        e.contains(
            "scenario `park-a` was computed with --summary-only and scenario `park-b` without it"
        ),
        "{e}"
    );
    std::fs::copy(
        dir.join("full/park-a.partial/part-1-of-3.json"),
        dir.join("parts/park-a.partial/part-1-of-3.json"),
    )
    .unwrap();
    let e = merge(&["merge", "parts", "--out", "mixed"]);
    assert!(
        e.contains("one shard ran with --summary-only and the other without"),
        "{e}"
    );
}

/// Hides FMA from glibc's choice of its `exp`, `log` and `pow` builds: the math
/// library of a CPU without FMA (other C libraries ignore the variable).
const PLAIN_MATH: (&str, &str) = ("GLIBC_TUNABLES", "glibc.cpu.hwcaps=-FMA,-AVX2,-FMA4");

/// The `math` fingerprint a run's `run.json` records.
fn math_of(dir: &TestDir, run_json: &str) -> String {
    let run: serde_json::Value = serde_json::from_str(&dir.read(run_json)).expect("run.json");
    run["math"].as_str().expect("a math fingerprint").to_owned()
}

#[test]
fn machines_that_round_differently_are_told_apart_and_not_merged() {
    let dir = TestDir::new();
    let id = "jilin-zhejiang";
    // The same run with this machine's math library and with the plain one.
    let run = |out: &str, vars: &[(&str, &str)]| {
        ok(
            &dir,
            &with(&["run", REFERENCE_PATH, "--out", out], &SMALL),
            vars,
        );
        math_of(&dir, &format!("{out}/{id}/run.json"))
    };
    let here = run("here", &[]);
    let plain = run("plain", &[PLAIN_MATH]);
    assert_eq!(here, enclave::mathlib::fingerprint());
    // Equal fingerprints, equal bytes. On a CPU with FMA and glibc the
    // fingerprints differ, yet this run's bytes are the same: the kernel's `exp`
    // is the engine's own (`mathlib::exp`), and the `ln` and `powf` it still takes
    // from the platform round alike on this run's inputs. The fingerprint stays
    // conservative (they may not on another run's), so the merge below refuses.
    let summary = |out: &str| dir.read_bytes(&format!("{out}/{id}/summary.csv"));
    assert!(
        summary("here") == summary("plain"),
        "fingerprints {here} and {plain}: the bytes differ"
    );

    // Shards of the two kinds of machine are refused by name; of one kind, merged
    // on either, they are the single run.
    let shard = |k: &str, vars: &[(&str, &str)]| {
        let args = with(
            &["run", REFERENCE_PATH, "--out", "parts", "--shard", k],
            &SMALL,
        );
        ok(&dir, &args, vars);
        format!("parts/{id}.partial/part-{}-of-2.json", &k[..1])
    };
    let (p1, p2) = (shard("1/2", &[]), shard("2/2", &[PLAIN_MATH]));
    let merge_args = |out: &'static str| ["merge", &p1, &p2, "--out", out, "--quiet"];
    let merge = |out: &'static str, vars: &[(&str, &str)]| enclave(&dir, &merge_args(out), vars);
    if here == plain {
        ok(&dir, &merge_args("mixed"), &[]);
    } else {
        let e = bad_input(&merge("mixed", &[]));
        assert!(
            e.contains(&format!(
                "are partials of different runs of scenario `{id}`: machines whose math libraries round differently (fingerprints {here} and {plain})"
            )),
            "{e}"
        );
    }
    shard("2/2", &[]);
    ok(&dir, &merge_args("merged"), &[]);
    ok(&dir, &merge_args("merged-plain"), &[PLAIN_MATH]);
    assert_same_results(&dir, "here", "merged", id);
    assert_same_results(&dir, "here", "merged-plain", id);
    assert_eq!(math_of(&dir, &format!("merged-plain/{id}/run.json")), here);

    // A pilot of a machine that rounds otherwise is ignored, with a note.
    let sizes = ["--paths", "1500", "--horizon", "4", "--quiet"];
    let pilot = with(
        &["run", REFERENCE_PATH, "--out", "piloted", "--pilot"],
        &sizes,
    );
    ok(&dir, &pilot, &[PLAIN_MATH]);
    let shard = with(
        &["run", REFERENCE_PATH, "--out", "piloted", "--shard", "2/2"],
        &sizes,
    );
    let stderr = String::from_utf8_lossy(&ok(&dir, &shard, &[]).stderr).into_owned();
    let note = format!(
        "it is the pilot of another run (a machine whose math library rounds differently, fingerprint {plain})"
    );
    assert_eq!(here != plain, stderr.contains(&note), "{stderr}");

    // Whatever the machine: a partial claiming another fingerprint is refused.
    let text = dir.read(&p2);
    let claimed = text.replace(
        &format!("\"math\":\"{here}\""),
        "\"math\":\"0000000000000000\"",
    );
    assert_ne!(text, claimed, "the partial names its fingerprint");
    dir.create(&p2, &reseal(&claimed));
    let e = bad_input(&merge("claimed", &[]));
    assert!(
        e.contains(&format!("(fingerprints {here} and 0000000000000000)")),
        "{e}"
    );
    // A partial of the engine before fingerprints is refused by its format.
    let format = enclave::shard::PARTIAL_FORMAT;
    let older = text.replace(&format!("\"math\":\"{here}\","), "").replace(
        &format!("\"format\":\"{format}\""),
        "\"format\":\"enclave partial result 3\"",
    );
    assert_ne!(format, "enclave partial result 3");
    assert!(!older.contains("\"math\""), "the field is gone");
    dir.create(&p2, &older);
    let e = bad_input(&merge("older", &[]));
    assert!(
        e.contains(&format!(
            "{p2}: its format is `enclave partial result 3`, expected `{format}`"
        )),
        "{e}"
    );
}

/// The language given to the shards (`--lang zh`) is the merge's when it is given
/// none, as the unsharded run has it: a Slurm merge, given only the partials,
/// wrote English reports (exploratory test); its own `--lang` still wins.
#[test]
fn the_merge_writes_in_the_language_the_shards_were_given() {
    let dir = TestDir::new();
    let a = variant(&dir, "lang-a");
    let b = variant(&dir, "lang-b");
    for k in ["1/2", "2/2"] {
        run_shard(
            &dir,
            &[a.clone(), b.clone()],
            "parts",
            k,
            &["--horizon", "3", "--charts", "none", "--lang", "zh"],
        );
    }
    let lang_of = |page: &str| {
        let text = dir.read(page);
        text.split("<html lang=\"")
            .nth(1)
            .expect("a lang")
            .split('"')
            .next()
            .expect("tag")
            .to_owned()
    };
    ok(&dir, &["merge", "parts", "--out", "merged", "--quiet"], &[]);
    for page in [
        "merged/lang-a/report.html",
        "merged/lang-b/report.html",
        "merged/set/report.html",
    ] {
        assert_eq!(lang_of(page), "zh-Hans", "{page}");
    }
    ok(
        &dir,
        &[
            "merge", "parts", "--out", "english", "--quiet", "--lang", "en",
        ],
        &[],
    );
    assert_eq!(lang_of("english/lang-a/report.html"), "en");
}

/// `enclave report` on the shards' output folder, or on a `<id>.partial`
/// folder, says that it holds partial results and how to merge them: it said
/// the folder was incomplete, from a run that was interrupted, to run again
/// (exploratory test). An empty folder is called empty, not interrupted.
#[test]
fn report_on_shard_partials_points_to_merge() {
    let dir = TestDir::new();
    for k in ["1/2", "2/2"] {
        let args = ["run", REFERENCE_PATH, "--out", "parts", "--shard", k];
        ok(&dir, &with(&args, &SMALL), &[]);
    }
    for folder in ["parts", "parts/jilin-zhejiang.partial"] {
        let out = enclave(&dir, &["report", folder], &[]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{stderr}");
        assert!(
            stderr.contains("it holds partial results of shards (run --shard: "),
            "{stderr}"
        );
        assert!(
            stderr.contains(&format!("enclave merge {folder} --out DIR")),
            "{stderr}"
        );
        assert!(!stderr.contains("run it again"), "{stderr}");
    }
    std::fs::create_dir(dir.join("empty")).expect("an empty folder");
    let out = enclave(&dir, &["report", "empty"], &[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("it is an empty folder"), "{stderr}");
    assert!(!stderr.contains("interrupted"), "{stderr}");
}
