//! `enclave run --precision`: stops at the same number of paths on any thread
//! count, its results are those of a plain run of that many paths, and it says
//! when `--max-paths` is reached first.

mod common;

use common::{REFERENCE_PATH, TestDir};

const ID: &str = "jilin-zhejiang";
const FILES: [&str; 7] = [
    "summary.csv",
    "timeseries.csv",
    "distribution.csv",
    "fairness.csv",
    "paths.csv",
    "paths_park.csv",
    "paths_inputs.csv",
];

fn run(dir: &TestDir, out: &str, extra: &[&str]) -> std::process::Output {
    let mut args = vec![
        "run",
        REFERENCE_PATH,
        "--horizon",
        "12",
        "--out",
        out,
        "--charts",
        "none",
        "--report",
        "none",
        "--keep-paths",
    ];
    args.extend(extra);
    dir.cmd(&args)
}

fn ok(out: &std::process::Output) {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn read(dir: &TestDir, out: &str, file: &str) -> Vec<u8> {
    let path = dir.join(out).join(ID).join(file);
    std::fs::read(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

fn run_json(dir: &TestDir, out: &str) -> serde_json::Value {
    serde_json::from_slice(&read(dir, out, "run.json")).expect("run.json")
}

/// A `--precision` run on 1 and 2 threads, and a plain run of the paths it took:
/// every result file is the same, byte for byte. Returns the paths.
fn stops_alike_and_equals_plain(precision: &str, extra: &[&str]) -> u64 {
    let dir = TestDir::new();
    let mut a = vec!["--precision", precision, "--threads", "1"];
    a.extend(extra);
    ok(&run(&dir, "t1", &a));
    let mut b = vec!["--precision", precision, "--threads", "2"];
    b.extend(extra);
    ok(&run(&dir, "t2", &b));
    let record = run_json(&dir, "t1");
    let paths = record["paths"].as_u64().expect("paths");
    assert_eq!(run_json(&dir, "t2")["paths"].as_u64(), Some(paths));
    assert_eq!(record["precision"]["met"], serde_json::Value::Bool(true));
    assert_eq!(record["precision"]["targets"].as_str(), Some(precision));
    let n = paths.to_string();
    ok(&run(&dir, "plain", &["--paths", &n]));
    assert!(run_json(&dir, "plain").get("precision").is_none());
    for file in FILES {
        let plain = read(&dir, "plain", file);
        assert!(read(&dir, "t1", file) == plain, "{file}: 1 thread vs plain");
        assert!(
            read(&dir, "t2", file) == plain,
            "{file}: 2 threads vs plain"
        );
    }
    assert_eq!(
        read(&dir, "t1", "convergence.csv"),
        read(&dir, "t2", "convergence.csv")
    );
    // The last block's rows all meet their targets, and only the last's.
    let text = String::from_utf8(read(&dir, "t1", "convergence.csv")).expect("utf-8");
    let mut rows = csv::Reader::from_reader(text.as_bytes());
    assert_eq!(
        rows.headers().expect("header").iter().collect::<Vec<_>>(),
        enclave::convergence::CONVERGENCE_HEADER
    );
    let rows: Vec<csv::StringRecord> = rows.records().map(|r| r.expect("row")).collect();
    let last: Vec<&csv::StringRecord> = rows.iter().filter(|r| r[1] == n).collect();
    assert!(!last.is_empty());
    assert!(last.iter().all(|r| &r[9] == "1"));
    for r in &rows {
        let (hw, se): (f64, f64) = (r[7].parse().expect("hw"), r[6].parse().expect("se"));
        if &r[4] == "npv_negative" {
            // A probability's is at least its exact interval's reach (below).
            assert!(hw >= 1.96 * se * (1.0 - 1e-12), "{r:?}");
        } else {
            assert!((hw - 1.96 * se).abs() <= 1e-12 * hw.abs().max(1.0));
        }
    }
    let earlier_met = rows
        .iter()
        .filter(|r| &r[1] != n.as_str())
        .map(|r| r[0].to_owned())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .any(|block| rows.iter().filter(|r| r[0] == *block).all(|r| &r[9] == "1"));
    assert!(!earlier_met, "the run stops at the first block that meets");
    paths
}

#[test]
fn precision_beyond_the_pilot_stops_alike_on_any_thread_count_and_equals_plain() {
    // Blocks of 1024: the quantiles are binned on the pilot's grids.
    let paths = stops_alike_and_equals_plain("npv:0.03", &[]);
    assert!(paths > 1024 && paths % 1024 == 0, "{paths}");
}

#[test]
fn precision_within_the_pilot_equals_plain() {
    // Blocks of 256, stopping before 1024 paths: exact quantiles, as a plain run
    // of that many paths keeps them.
    let paths = stops_alike_and_equals_plain("npv:0.05,npv_negative:abs=0.05", &["--block", "256"]);
    assert!(paths < 1024 && paths % 256 == 0, "{paths}");
}

#[test]
fn reaching_max_paths_is_a_warning_and_recorded() {
    let dir = TestDir::new();
    let out = run(
        &dir,
        "max",
        &["--precision", "npv:abs=0.001", "--max-paths", "1300", "-q"],
    );
    ok(&out);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("warning: jilin-zhejiang: --precision npv:abs=0.001 not met after --max-paths 1300 paths"),
        "{err}"
    );
    let record = run_json(&dir, "max");
    assert_eq!(record["paths"].as_u64(), Some(1300));
    assert_eq!(record["precision"]["met"], serde_json::Value::Bool(false));
    assert_eq!(record["precision"]["blocks"].as_u64(), Some(2));
    let text = String::from_utf8(read(&dir, "max", "convergence.csv")).expect("utf-8");
    let scn_alternatives = text
        .lines()
        .skip(1)
        .filter(|l| l.starts_with("1,1024,"))
        .count();
    assert!(scn_alternatives > 0);
    assert_eq!(
        text.lines()
            .skip(1)
            .filter(|l| l.starts_with("2,1300,"))
            .count(),
        scn_alternatives,
        "one row per alternative and region after each block"
    );
    assert_eq!(text.lines().count(), 1 + 2 * scn_alternatives);
    // The manifest lists convergence.csv.
    let manifest = String::from_utf8(read(&dir, "max", "manifest.json")).expect("utf-8");
    assert!(manifest.contains("convergence.csv"));
}

/// A probability at 0% or 100% has a standard error of 0: its target is met
/// only once its exact (Clopper–Pearson) interval is as narrow, not after the
/// first block on no evidence (npv_negative:abs=0.001 was "met after 256
/// paths" while the report gave 100.0% [98.6%, 100.0%]: exploratory test).
#[test]
fn a_probability_at_0_or_1_is_not_known_before_its_exact_interval_says_so() {
    let dir = TestDir::new();
    let three_party = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/three-party.toml");
    let go = |out: &str, precision: &str| {
        let o = dir.cmd(&[
            "run",
            three_party,
            "--horizon",
            "5",
            "--precision",
            precision,
            "--max-paths",
            "1024",
            "--block",
            "256",
            "--out",
            out,
            "--charts",
            "none",
            "--report",
            "none",
            "--quiet",
        ]);
        ok(&o);
        let file = |name: &str| {
            std::fs::read(dir.join(out).join("three-party").join(name)).expect("a result file")
        };
        let record: serde_json::Value =
            serde_json::from_slice(&file("run.json")).expect("run.json");
        let text = String::from_utf8(file("convergence.csv")).expect("utf-8");
        (record, text)
    };
    let (record, text) = go("tight", "npv_negative:abs=0.001");
    assert_eq!(
        record["precision"]["met"],
        serde_json::Value::Bool(false),
        "{text}"
    );
    assert_eq!(record["paths"].as_u64(), Some(1024));
    // Some region's chance of a loss is 0 or 1 on every path here, with an
    // se of 0: its half-width is its exact interval's, 0.36 pp at 1,024 paths.
    let rows = common::csv_rows(&text);
    let certain: Vec<_> = rows
        .iter()
        .filter(|r| r["paths"] == "1024" && (r["mean"] == "0" || r["mean"] == "1"))
        .collect();
    assert!(!certain.is_empty(), "{text}");
    for r in certain {
        assert_eq!(r["se"], "0");
        let hw: f64 = r["half_width"].parse().expect("a number");
        // 1 − 0.025^(1/1024) = 0.003596…
        assert!(
            (hw - (1.0 - 0.025f64.powf(1.0 / 1024.0))).abs() < 1e-9,
            "{hw}"
        );
    }
    // A target those intervals meet is met.
    let (record, _) = go("loose", "npv_negative:abs=0.2");
    assert_eq!(record["precision"]["met"], serde_json::Value::Bool(true));
}

/// A last block cut short by --max-paths is said with its size in the report's
/// record (700 paths read "3 block(s) of 256": exploratory test).
#[test]
fn a_last_block_cut_by_max_paths_is_said() {
    let dir = TestDir::new();
    let out = run(
        &dir,
        "cut",
        &[
            "--precision",
            "npv:abs=0.001",
            "--max-paths",
            "700",
            "--block",
            "256",
            "-q",
        ],
    );
    ok(&out);
    ok(&dir.cmd(&["report", &format!("cut/{ID}")]));
    let page = String::from_utf8(read(&dir, "cut", "report.html")).expect("utf-8");
    assert!(
        page.contains("npv:abs=0.001: not met after 700 paths (--max-paths 700; 3 blocks of 256, the last cut to 188)"),
        "{page}"
    );
}

#[test]
fn bad_precision_settings_are_refused() {
    let dir = TestDir::new();
    for (args, message) in [
        (
            &["--precision", "npv:0.01", "--shard", "1/2"][..],
            "sequential by nature",
        ),
        (
            &["--precision", "npv:0.01", "--shards", "2"][..],
            "sequential by nature",
        ),
        (
            &["--precision", "npv:0.01", "--paths", "500"][..],
            "--paths cannot be combined",
        ),
        (
            &["--precision", "npv:0.01", "--max-paths", "512"][..],
            "less than one block of 1024",
        ),
        (
            &["--precision", "npv:0.01", "--block", "100"][..],
            "multiple of 256",
        ),
        (&["--max-paths", "5000"][..], "go with --precision"),
        (&["--precision", "irr:0.01"][..], "unknown metric `irr`"),
        (
            &["--precision", "npv:0.01,npz:0.1"][..],
            "allowed: npv, npv_negative",
        ),
        (&["--precision", "npv:2"][..], "between 0 and 1"),
        (
            &["--precision", "npv:abs=-1"][..],
            "absolute half-width > 0",
        ),
        (&["--precision", "npv"][..], "expected METRIC:EPS"),
    ] {
        let out = run(&dir, "bad", args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(message), "{args:?}: {err}");
        assert!(!dir.join("bad").join(ID).exists(), "{args:?} wrote results");
    }
}

/// A Latin hypercube fixes its strata from the run's path count before the run,
/// so it cannot take paths added block by block: refused, naming the file.
#[test]
fn latin_hypercube_is_refused_with_precision() {
    let t = TestDir::new();
    let text = common::REFERENCE.replacen(
        "[simulation]\n",
        "[simulation]\nsampler = \"latin-hypercube\"\n",
        1,
    );
    assert_ne!(
        text,
        common::REFERENCE,
        "the reference has a [simulation] table"
    );
    let file = t.create("lhs.toml", &text);
    let out = t.cmd(&[
        "run",
        file.to_str().expect("utf-8"),
        "--precision",
        "npv:0.05",
        "--out",
        "out",
    ]);
    let stderr = common::bad_input(&out);
    assert!(
        stderr.contains(
            "lhs.toml: --precision npv:0.05 cannot be combined with sampler = \"latin-hypercube\""
        ),
        "{stderr}"
    );
    assert!(!t.exists("out/jilin-zhejiang"));
}

/// Whether a run's stderr says it skipped the reference scenario as complete.
fn skipped(out: &std::process::Output) -> bool {
    String::from_utf8_lossy(&out.stderr).contains(&format!("skipped {ID}: "))
}

#[test]
fn a_completed_precision_run_is_skipped_by_the_same_command_only() {
    let dir = TestDir::new();
    let same = [
        "--precision",
        "npv:0.05",
        "--block",
        "256",
        "--max-paths",
        "1024",
    ];
    let out = run(&dir, "out", &same);
    ok(&out);
    assert!(!skipped(&out));
    let record = read(&dir, "out", "run.json");
    let paths = run_json(&dir, "out")["paths"].as_u64().expect("paths");

    // The same command: skipped, its folder untouched, the note naming what matched.
    let out = run(&dir, "out", &same);
    ok(&out);
    assert!(skipped(&out), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains(
            "(same scenario, seed, --precision targets, --max-paths and --block, horizon,"
        )
    );
    assert_eq!(read(&dir, "out", "run.json"), record);
    // The targets are compared as they parse, not as they are spelled.
    let out = run(
        &dir,
        "out",
        &[
            "--precision",
            " npv:0.050",
            "--block",
            "256",
            "--max-paths",
            "1024",
        ],
    );
    assert!(skipped(&out));

    // Another target, --max-paths or --block, or a plain run of the paths it took
    // (which writes no convergence.csv): run again.
    let n = paths.to_string();
    for other in [
        &[
            "--precision",
            "npv:0.06",
            "--block",
            "256",
            "--max-paths",
            "1024",
        ][..],
        &[
            "--precision",
            "npv:0.05,npv_negative:abs=0.2",
            "--block",
            "256",
            "--max-paths",
            "1024",
        ],
        &[
            "--precision",
            "npv:0.05",
            "--block",
            "256",
            "--max-paths",
            "1280",
        ],
        &[
            "--precision",
            "npv:0.05",
            "--block",
            "512",
            "--max-paths",
            "1024",
        ],
        &[
            "--precision",
            "npv:0.05",
            "--block",
            "256",
            "--max-paths",
            "1024",
            "--seed",
            "9",
        ],
        &["--paths", &n],
        &same,
    ] {
        let out = run(&dir, "out", other);
        ok(&out);
        assert!(!skipped(&out), "{other:?} was skipped");
    }
    // The folder now holds `same` again: skipped; nor is a plain run's folder
    // taken for it.
    assert!(skipped(&run(&dir, "out", &same)));
    ok(&run(&dir, "out", &["--paths", &n]));
    assert!(skipped(&run(&dir, "out", &["--paths", &n])));
    assert!(!skipped(&run(&dir, "out", &same)));
}

/// The reference scenario as `ID.toml` with id `ID`.
fn reference_as(t: &TestDir, id: &str) {
    let mut text = common::REFERENCE.to_owned();
    common::replace_line(
        &mut text,
        "id = \"jilin-zhejiang\"",
        &format!("id = \"{id}\""),
    );
    t.create(&format!("{id}.toml"), &text);
}

/// Runs the set of `a.toml` and `b.toml` into `out` with `precision`, blocks of
/// 256 and at most 512 paths.
fn run_set(t: &TestDir, out: &str, precision: &str, extra: &[&str]) -> std::process::Output {
    let mut args = vec![
        "run",
        "a.toml",
        "b.toml",
        "--horizon",
        "6",
        "--precision",
        precision,
        "--block",
        "256",
        "--max-paths",
        "512",
        "--out",
        out,
    ];
    args.extend(extra);
    t.ok(&args)
}

/// A set with its scenarios' folders and reports (charts are not needed).
const FULL: [&str; 2] = ["--charts", "none"];

/// run.json's warnings of scenario `id` in `out`.
fn recorded(t: &TestDir, out: &str, id: &str) -> Vec<String> {
    let run: serde_json::Value =
        serde_json::from_str(&t.read(&format!("{out}/{id}/run.json"))).expect("run.json");
    run["warnings"]
        .as_array()
        .expect("warnings")
        .iter()
        .map(|w| w.as_str().expect("text").to_owned())
        .collect()
}

/// The rows of a set's warnings.csv, as (scenario, warning).
fn set_warnings(t: &TestDir, out: &str) -> Vec<(String, String)> {
    let text = t.read(&format!("{out}/set/warnings.csv"));
    csv::Reader::from_reader(text.as_bytes())
        .records()
        .map(|r| {
            let r = r.expect("a row");
            (r[0].to_owned(), r[1].to_owned())
        })
        .collect()
}

/// A target not met by --max-paths was said on stderr alone (exploratory test):
/// run.json's warnings, the set's warnings.csv (also under --summary-only, which
/// writes no run.json) and page, and the scenario's report, in English and in
/// Chinese, now say it too.
#[test]
fn an_unmet_target_is_recorded_with_the_runs_warnings_and_shown_in_the_reports() {
    let t = TestDir::new();
    reference_as(&t, "a");
    reference_as(&t, "b");
    let unreachable = "npv:abs=0.001";
    let out = run_set(&t, "full", unreachable, &FULL);
    let stderr = String::from_utf8_lossy(&out.stderr);

    let mut rows = Vec::new();
    for id in ["a", "b"] {
        let warnings = recorded(&t, "full", id);
        assert_eq!(warnings.len(), 1, "{id}: {warnings:?}");
        let w = &warnings[0];
        assert!(
            w.starts_with(
                "--precision npv:abs=0.001 not met after --max-paths 512 paths; widest: npv of "
            ) && w
                .ends_with("; the results are those of the 512 paths run, less precise than asked"),
            "{w}"
        );
        // The very words the terminal gave.
        assert!(
            stderr.contains(&format!("warning: {id}: {w}\n")),
            "{stderr}"
        );
        rows.push((id.to_owned(), w.clone()));

        let page = t.read(&format!("full/{id}/report.html"));
        assert!(page.contains("A --precision target was not met"), "{id}");
        assert_eq!(
            page.matches("not met after --max-paths 512 paths; widest: npv of ")
                .count(),
            1
        );
        // Found again from summary.csv to the bit: not also listed as a
        // warning of another kind.
        assert!(!page.contains("outside their plausible ranges"), "{id}");
        assert!(page.contains(
            "<tr><th>precision targets (--precision)</th><td><code>npv:abs=0.001: not met after 512 paths (--max-paths 512; 2 block(s) of 256)</code></td></tr>"
        ));
    }
    assert_eq!(set_warnings(&t, "full"), rows);
    let page = t.read("full/set/report.html");
    assert!(page.contains("or --precision targets not met by --max-paths"));
    assert!(page.contains("<li><code>a</code>: --precision npv:abs=0.001 not met after"));
    // In Chinese on a --lang zh set page, as on the scenario's own.
    t.ok(&["report", "full/set", "--lang", "zh"]);
    let page = t.read("full/set/report.html");
    assert!(
        page.contains("<li><code>a</code>: --precision npv:abs=0.001 未达到：已运行 --max-paths 所设的 512 条路径"),
        "{page}"
    );
    assert!(!page.contains("not met after"));

    // Run again, the scenarios are taken from their folders and the warning is
    // said again.
    let again = run_set(&t, "full", unreachable, &FULL);
    let again = String::from_utf8_lossy(&again.stderr);
    assert!(again.contains("skipped a"), "{again}");
    for (id, w) in &rows {
        assert!(again.contains(&format!("warning: {id}: {w}\n")), "{again}");
    }

    // --summary-only: no run.json, the same warnings.csv.
    run_set(&t, "only", unreachable, &["--summary-only"]);
    assert_eq!(
        t.read("only/set/warnings.csv"),
        t.read("full/set/warnings.csv")
    );

    // The Chinese report gives it in Chinese; run.json keeps the English.
    t.ok(&["report", "full/a", "--lang", "zh"]);
    let page = t.read("full/a/report.html");
    let numbers = rows[0]
        .1
        .split_once(", mean ")
        .and_then(|(_, rest)| rest.split_once(" (target"))
        .expect("the mean and its margin")
        .0;
    assert!(
        page.contains("--precision npv:abs=0.001 未达到：已运行 --max-paths 所设的 512 条路径；差距最大的是方案“")
            && page.contains(&format!("的 npv：均值 {numbers}（目标 ± 0.001）")),
        "{page}"
    );
    assert!(!page.contains("not met after"));
    assert!(page.contains(
        "npv:abs=0.001：运行 512 条路径后仍未达到（--max-paths 512；共 2 组，每组 256 条）"
    ));
    assert_eq!(recorded(&t, "full", "a"), vec![rows[0].1.clone()]);
}

/// A target met before --max-paths is no warning: run.json's and the set's are
/// empty, and the report says it was met where it gives the run's settings.
#[test]
fn a_met_target_adds_no_warning() {
    let t = TestDir::new();
    reference_as(&t, "a");
    reference_as(&t, "b");
    let out = run_set(&t, "full", "npv:0.9", &FULL);
    assert!(!String::from_utf8_lossy(&out.stderr).contains("warning"));
    for id in ["a", "b"] {
        assert_eq!(recorded(&t, "full", id), Vec::<String>::new());
        let page = t.read(&format!("full/{id}/report.html"));
        assert!(!page.contains("<div class=\"warn\">"), "{id}");
        assert!(page.contains(
            "<tr><th>precision targets (--precision)</th><td><code>npv:0.9: met after 256 paths (1 block(s) of 256; --max-paths 512)</code></td></tr>"
        ));
    }
    assert_eq!(
        t.read("full/set/warnings.csv"),
        "scenario,warning,warning_zh\n"
    );
    run_set(&t, "only", "npv:0.9", &["--summary-only"]);
    assert_eq!(
        t.read("only/set/warnings.csv"),
        "scenario,warning,warning_zh\n"
    );
}
