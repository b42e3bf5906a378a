//! End-to-end tests of the `enclave` command line: what `run` writes, that it is
//! reproducible, and how `validate` and `run` report bad input.
//!
//! Every test runs the real binary in a fresh temporary folder (see `common`).
//! Bad scenarios are the reference scenario with single lines replaced, so the line
//! numbers expected in the error messages are known exactly.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::{
    REFERENCE, REFERENCE_PATH, TestDir, assert_problem, bad_input, line_starting, problem_lines,
    replace_line,
};
use enclave::scenario::Scenario;
use enclave::schema::{AltMetric, ParkMetric, ParkSeries, RegionMetric, RegionSeries};
use sha2::{Digest, Sha256};

const ID: &str = "jilin-zhejiang";
const SUMMARY_HEADER: &str = "scenario,alternative,region,metric,mean,sd,se,p05,p25,p50,p75,p95,n,\
p05_ci_low,p05_ci_high,p25_ci_low,p25_ci_high,p50_ci_low,p50_ci_high,p75_ci_low,p75_ci_high,p95_ci_low,p95_ci_high";
const TIMESERIES_HEADER: &str =
    "scenario,alternative,region,year,metric,mean,sd,p05,p25,p50,p75,p95,n";

/// The reference scenario's alternatives and regions, in file order.
fn reference_names() -> (Vec<String>, Vec<String>) {
    let scn = Scenario::reference().expect("bundled scenario is valid");
    (
        scn.alternatives.iter().map(|a| a.name.clone()).collect(),
        scn.regions.iter().map(|r| r.id.clone()).collect(),
    )
}

/// The rows of a CSV file (header checked separately), as strings.
fn csv_rows(text: &str) -> Vec<Vec<String>> {
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    reader
        .records()
        .map(|r| {
            r.expect("valid CSV row")
                .iter()
                .map(str::to_owned)
                .collect()
        })
        .collect()
}

fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or("")
}

fn num(cell: &str) -> f64 {
    cell.parse()
        .unwrap_or_else(|_| panic!("expected a number, found {cell:?}"))
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Type-7 (linear interpolation) sample quantile.
fn quantile7(sorted: &[f64], p: f64) -> f64 {
    let h = (sorted.len() - 1) as f64 * p;
    let lo = h.floor() as usize;
    let hi = h.ceil() as usize;
    sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
}

// ---------------------------------------------------------------------------------
// enclave run
// ---------------------------------------------------------------------------------

#[test]
fn default_run_uses_bundled_scenario_from_any_directory() {
    let t = TestDir::new();
    let out_dir = t.join("out");
    let out = t.ok(&[
        "run",
        "--paths",
        "300",
        "--out",
        out_dir.to_str().unwrap(),
        "--quiet",
    ]);
    assert!(out.stdout.is_empty(), "--quiet printed to stdout");
    let dir = format!("out/{ID}");
    for f in ["summary.csv", "timeseries.csv", "fairness.csv", "run.json"] {
        assert!(t.exists(&format!("{dir}/{f}")), "{f} not written");
    }
    assert!(
        !t.exists(&format!("{dir}/paths.csv")),
        "paths.csv without --keep-paths"
    );
    t.assert_no_temp_files("out");

    let (alternatives, regions) = reference_names();
    assert_eq!((alternatives.len(), regions.len()), (7, 2));

    // summary.csv: every alternative × region × metric once, then the park.
    let summary = t.read(&format!("{dir}/summary.csv"));
    assert_eq!(first_line(&summary), SUMMARY_HEADER);
    let rows = csv_rows(&summary);
    let mut expected = BTreeSet::new();
    for a in &alternatives {
        for r in &regions {
            for m in RegionMetric::ALL {
                expected.insert((a.clone(), r.clone(), m.name().to_owned()));
            }
        }
    }
    for a in &alternatives {
        for m in AltMetric::ALL {
            expected.insert((a.clone(), "all".to_owned(), m.name().to_owned()));
        }
    }
    for m in ParkMetric::ALL {
        expected.insert(("all".to_owned(), "park".to_owned(), m.name().to_owned()));
    }
    let found: Vec<(String, String, String)> = rows
        .iter()
        .map(|r| (r[1].clone(), r[2].clone(), r[3].clone()))
        .collect();
    assert_eq!(
        found.len(),
        expected.len(),
        "duplicate or missing summary rows"
    );
    assert_eq!(found.iter().cloned().collect::<BTreeSet<_>>(), expected);
    for row in &rows {
        assert_eq!(row.len(), 23, "{row:?}");
        assert_eq!(row[0], ID);
        if row[3] == "npv" {
            assert_eq!(row[12], "300", "npv over every path: {row:?}");
            let (mean, p05, p50, p95) = (num(&row[4]), num(&row[7]), num(&row[9]), num(&row[11]));
            assert!(mean.is_finite() && p05 <= p50 && p50 <= p95, "{row:?}");
            // Each quantile lies in its 95% interval (300 values: every end defined).
            for (k, q) in (7..12).enumerate() {
                let (lo, hi) = (num(&row[13 + 2 * k]), num(&row[14 + 2 * k]));
                assert!(lo <= num(&row[q]) && num(&row[q]) <= hi, "{row:?}");
            }
        }
    }

    // timeseries.csv: every alternative × region × series × year, then the park.
    let timeseries = t.read(&format!("{dir}/timeseries.csv"));
    assert_eq!(first_line(&timeseries), TIMESERIES_HEADER);
    let rows = csv_rows(&timeseries);
    let horizon = 30;
    assert_eq!(
        rows.len(),
        alternatives.len() * regions.len() * RegionSeries::COUNT * horizon
            + ParkSeries::COUNT * horizon
    );
    let years: BTreeSet<i32> = rows.iter().map(|r| r[3].parse().unwrap()).collect();
    assert_eq!(years, (2026..2026 + horizon as i32).collect());
    assert!(rows.iter().all(|r| r.len() == 13 && r[0] == ID));
    assert!(
        rows.iter()
            .any(|r| r[1] == "all" && r[2] == "park" && r[4] == "firms")
    );

    // run.json
    let json: serde_json::Value =
        serde_json::from_str(&t.read(&format!("{dir}/run.json"))).expect("run.json is JSON");
    let sha = json["scenario_sha256"].as_str().expect("scenario_sha256");
    assert_eq!(sha.len(), 64);
    assert!(sha.bytes().all(|b| b.is_ascii_hexdigit()), "{sha}");
    assert_eq!(
        sha,
        sha256_hex(REFERENCE.as_bytes()),
        "hash of the bundled file"
    );
    assert_eq!(json["scenario_id"], ID);
    assert_eq!(
        json["seed"].as_u64(),
        Some(20_180_330),
        "seed from the file"
    );
    assert_eq!(json["paths"].as_u64(), Some(300));
    assert_eq!(json["horizon"].as_u64(), Some(30));
    assert!(json["threads"].as_u64().is_some_and(|n| n >= 1));
    assert!(json["prng"].as_str().is_some_and(|s| !s.is_empty()));
    assert!(json["firm_years"].as_u64().is_some_and(|n| n > 0));
    assert!(json["elapsed_seconds"].as_f64().is_some_and(|s| s >= 0.0));
}

#[test]
fn run_is_reproducible_across_threads_and_runs() {
    let t = TestDir::new();
    // 1500 paths cross both the chunk size (1024) and the exact-quantile limit (1024).
    let run = |out: &str, threads: &str, seed: &str| {
        t.ok(&[
            "run",
            "--paths",
            "1500",
            "--horizon",
            "12",
            "--seed",
            seed,
            "--threads",
            threads,
            "--keep-paths",
            "--quiet",
            "--out",
            out,
        ]);
        t.assert_no_temp_files(out);
    };
    run("t1", "1", "7");
    run("t2", "2", "7");
    run("t2again", "2", "7");
    run("other-seed", "2", "8");

    for f in [
        "summary.csv",
        "timeseries.csv",
        "paths.csv",
        "paths_park.csv",
    ] {
        let one = t.read_bytes(&format!("t1/{ID}/{f}"));
        assert!(!one.is_empty());
        assert!(
            one == t.read_bytes(&format!("t2/{ID}/{f}")),
            "{f} differs between 1 and 2 threads"
        );
        assert!(
            one == t.read_bytes(&format!("t2again/{ID}/{f}")),
            "{f} differs between two identical runs"
        );
    }
    assert!(
        t.read_bytes(&format!("t1/{ID}/summary.csv"))
            != t.read_bytes(&format!("other-seed/{ID}/summary.csv")),
        "a different seed gave the same summary.csv"
    );

    for (dir, threads, seed) in [("t1", 1, 7), ("t2", 2, 7), ("other-seed", 2, 8)] {
        let json: serde_json::Value =
            serde_json::from_str(&t.read(&format!("{dir}/{ID}/run.json"))).unwrap();
        assert_eq!(json["threads"].as_u64(), Some(threads), "{dir}");
        assert_eq!(json["seed"].as_u64(), Some(seed), "{dir}");
        assert_eq!(json["paths"].as_u64(), Some(1500), "{dir}");
        assert_eq!(json["horizon"].as_u64(), Some(12), "{dir}");
    }
    // Every path was summarised, and the horizon override reached the series.
    let summary = csv_rows(&t.read(&format!("t1/{ID}/summary.csv")));
    assert!(
        summary
            .iter()
            .filter(|r| r[3] == "npv")
            .all(|r| r[12] == "1500")
    );
    let years: BTreeSet<String> = csv_rows(&t.read(&format!("t1/{ID}/timeseries.csv")))
        .into_iter()
        .map(|r| r[3].clone())
        .collect();
    assert_eq!(years, (2026..2038).map(|y| y.to_string()).collect());
}

#[test]
fn bundled_scenario_equals_the_file_on_disk() {
    let t = TestDir::new();
    let args = ["--paths", "200", "--horizon", "8", "--quiet"];
    t.ok(&[&["run", "--out", "bundled"][..], &args].concat());
    t.ok(&[&["run", REFERENCE_PATH, "--out", "file"][..], &args].concat());
    for f in ["summary.csv", "timeseries.csv"] {
        assert!(
            t.read_bytes(&format!("bundled/{ID}/{f}")) == t.read_bytes(&format!("file/{ID}/{f}")),
            "{f}: the bundled scenario and scenarios/jilin-zhejiang.toml differ"
        );
    }
    let json: serde_json::Value =
        serde_json::from_str(&t.read(&format!("file/{ID}/run.json"))).unwrap();
    assert_eq!(json["scenario_file"], REFERENCE_PATH);
}

#[test]
fn keep_paths_writes_one_row_per_path_alternative_and_region() {
    let t = TestDir::new();
    let paths = 300;
    t.ok(&[
        "run",
        "--paths",
        "300",
        "--horizon",
        "10",
        "--keep-paths",
        "--quiet",
        "--out",
        "out",
    ]);
    t.assert_no_temp_files("out");
    let (alternatives, regions) = reference_names();

    let text = t.read(&format!("out/{ID}/paths.csv"));
    assert!(
        first_line(&text).starts_with("path,alternative,region,npv"),
        "{}",
        first_line(&text)
    );
    let header: Vec<&str> = first_line(&text).split(',').collect();
    assert_eq!(header.len(), 3 + RegionMetric::COUNT);
    let rows = csv_rows(&text);
    assert_eq!(rows.len(), paths * alternatives.len() * regions.len());
    let mut seen = BTreeMap::new();
    for r in &rows {
        assert_eq!(r.len(), header.len());
        *seen
            .entry((r[0].parse::<usize>().unwrap(), r[1].clone(), r[2].clone()))
            .or_insert(0) += 1;
    }
    assert_eq!(
        seen.len(),
        rows.len(),
        "a (path, alternative, region) repeats"
    );
    assert!(
        seen.keys()
            .all(|(p, a, r)| *p < paths && alternatives.contains(a) && regions.contains(r))
    );

    let park = t.read(&format!("out/{ID}/paths_park.csv"));
    assert!(first_line(&park).starts_with("path,firms_final"));
    let park_rows = csv_rows(&park);
    assert_eq!(park_rows.len(), paths);
    let ids: Vec<usize> = park_rows.iter().map(|r| r[0].parse().unwrap()).collect();
    assert_eq!(ids, (0..paths).collect::<Vec<_>>());

    // paths.csv agrees with summary.csv: the mean and (below 1024 paths, exact type-7)
    // quantiles of the first alternative's first region's NPV.
    let mut npv: Vec<f64> = rows
        .iter()
        .filter(|r| r[1] == alternatives[0] && r[2] == regions[0])
        .map(|r| num(&r[3]))
        .collect();
    npv.sort_by(f64::total_cmp);
    let summary = csv_rows(&t.read(&format!("out/{ID}/summary.csv")));
    let s = summary
        .iter()
        .find(|r| r[1] == alternatives[0] && r[2] == regions[0] && r[3] == "npv")
        .expect("npv row");
    let mean = npv.iter().sum::<f64>() / npv.len() as f64;
    assert!(close(num(&s[4]), mean), "mean {} vs {mean}", s[4]);
    for (col, p) in [(7, 0.05), (9, 0.5), (11, 0.95)] {
        let q = quantile7(&npv, p);
        assert!(close(num(&s[col]), q), "p{p}: {} vs {q}", s[col]);
    }
}

#[test]
fn run_several_scenarios_and_print_summary() {
    let t = TestDir::new();
    let mut copy = REFERENCE.to_owned();
    replace_line(&mut copy, "id = \"jilin-zhejiang\"", "id = \"copy_2\"");
    t.create("copy.toml", &copy);
    let out = t.ok(&[
        "run",
        REFERENCE_PATH,
        "copy.toml",
        "--paths",
        "200",
        "--horizon",
        "6",
        "--out",
        "out",
    ]);
    for id in [ID, "copy_2"] {
        for f in ["summary.csv", "timeseries.csv", "fairness.csv", "run.json"] {
            assert!(t.exists(&format!("out/{id}/{f}")), "{id}/{f}");
        }
    }
    t.assert_no_temp_files("out");
    // Without --quiet, each scenario's table goes to stdout.
    let stdout = String::from_utf8(out.stdout).unwrap();
    let (alternatives, _) = reference_names();
    for a in &alternatives {
        assert!(stdout.contains(a.as_str()), "{a} missing from:\n{stdout}");
    }
    assert_eq!(stdout.matches("results: ").count(), 2, "{stdout}");
}

/// The display widths (a Chinese character takes two columns) of the lines of
/// the table whose header starts with `header`, up to the next blank line or
/// line of text (a note, the results folder: `结果：…`).
fn table_widths(stdout: &str, header: &str) -> Vec<(usize, String)> {
    use unicode_width::UnicodeWidthStr;
    stdout
        .lines()
        .skip_while(|l| !l.starts_with(header))
        // The table ends at a blank line or the notes under it.
        .take_while(|l| {
            !(l.trim().is_empty()
                || l.starts_with('（')
                || l.starts_with('≈')
                || l.starts_with('=')
                || l.starts_with("结果"))
        })
        .map(|l| (l.width(), l.to_owned()))
        .collect()
}

#[test]
fn terminal_tables_keep_their_columns_in_chinese_and_with_a_newline_in_a_name() {
    let t = TestDir::new();
    let mut text = REFERENCE.to_owned();
    replace_line(
        &mut text,
        "name = \"fixed 50:50\"",
        "name = \"fixed\\n50:50\"",
    );
    t.create("park.toml", &text);
    let out = t.ok(&[
        "run",
        "park.toml",
        "--paths",
        "200",
        "--horizon",
        "6",
        "--charts",
        "none",
        "--report",
        "none",
        "--lang",
        "zh",
        "--out",
        "out",
    ]);
    let stdout = String::from_utf8(out.stdout).expect("UTF-8");
    // The name's newline is shown escaped, on its row.
    assert!(
        stdout
            .lines()
            .any(|l| l.starts_with("fixed\\n50:50 ") && l.contains(" zhejiang ")),
        "{stdout}"
    );
    // Percentage points and the speed as a Chinese reader counts them (it read
    // `+2.10 ± 1.19 pp` and `每秒 5.2 百万企业年`: exploratory test).
    assert!(
        stdout.contains(" 个百分点") && !stdout.contains(" pp"),
        "{stdout}"
    );
    assert!(
        stdout.contains(" 万企业年；") && !stdout.contains("百万企业年"),
        "{stdout}"
    );
    // Every row of each table is as wide as its header: the last column is
    // right-aligned, so a wide header (全体参与) or a broken row would show.
    for header in ["分成方案", " #"] {
        let rows = table_widths(&stdout, header);
        assert!(rows.len() > 4, "{header}: {rows:?}\n{stdout}");
        let widest = rows.iter().map(|r| r.0).max();
        assert!(
            rows.iter().all(|r| Some(r.0) == widest),
            "{header}: rows of unequal width:\n{}",
            rows.iter()
                .map(|(w, l)| format!("{w:>4} {l}"))
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
}

// ---------------------------------------------------------------------------------
// enclave validate
// ---------------------------------------------------------------------------------

#[test]
fn validate_accepts_the_reference_scenario() {
    let t = TestDir::new();
    let out = t.ok(&["validate", REFERENCE_PATH]);
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        stdout.starts_with(&format!("{REFERENCE_PATH}: ok")),
        "{stdout}"
    );
    assert!(stdout.contains(ID));
    assert!(stdout.contains("2 regions, 7 alternatives"), "{stdout}");
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!t.exists("out"), "validate wrote output");
}

/// Checking a folder's files shows which passed: a good file beside a bad one
/// gets its "ok" line (it got nothing, exploratory test), and the exit status is 2.
#[test]
fn validate_says_ok_for_the_good_files_beside_a_bad_one() {
    let t = TestDir::new();
    t.create("good.toml", REFERENCE);
    t.create("bad.toml", "a = 1\na = 2\n");
    let out = t.cmd(&["validate", "good.toml", "bad.toml"]);
    let stderr = bad_input(&out);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.starts_with("good.toml: ok"), "{stdout}");
    assert!(!stdout.contains("bad.toml"), "{stdout}");
    assert!(
        stderr.contains("bad.toml:2: a: `a` is given twice"),
        "{stderr}"
    );
}

/// Two files with one id pass `validate` but are refused by `run` together
/// (exploratory test): each is valid alone, and `validate` notes the clash.
#[test]
fn validate_notes_two_files_with_one_id() {
    let t = TestDir::new();
    t.create("a.toml", REFERENCE);
    t.create("b.toml", REFERENCE);
    let out = t.ok(&["validate", "a.toml", "b.toml"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(
            "note: a.toml and b.toml both have scenario id `jilin-zhejiang`; their results would overwrite each other if run together: `run` refuses them in one set"
        ),
        "{stderr}"
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("a.toml: ok") && stdout.contains("b.toml: ok"),
        "{stdout}"
    );
}

#[test]
fn unknown_key_is_reported_with_a_suggestion() {
    let t = TestDir::new();
    let mut text = REFERENCE.to_owned();
    let line = replace_line(
        &mut text,
        "arrival_rate = ",
        "arival_rate = { dist = \"triangular\", min = 5, mode = 9, max = 14 }",
    );
    t.create("typo.toml", &text);
    let stderr = bad_input(&t.cmd(&["validate", "typo.toml"]));
    let problems = problem_lines(&stderr, "typo.toml");
    assert_problem(
        &problems,
        "typo.toml",
        line,
        "firms.arival_rate",
        "unknown field `arival_rate`",
    );
    assert!(
        problems[0].contains("did you mean `arrival_rate`?"),
        "{stderr}"
    );
}

#[test]
fn unknown_key_in_a_distribution_is_reported() {
    let t = TestDir::new();
    let mut text = REFERENCE.to_owned();
    let line = replace_line(
        &mut text,
        "displacement = ",
        "displacement = { dist = \"uniform\", min = 0.1, maxx = 0.5 }",
    );
    t.create("dist.toml", &text);
    let stderr = bad_input(&t.cmd(&["validate", "dist.toml"]));
    let problems = problem_lines(&stderr, "dist.toml");
    assert_problem(
        &problems,
        "dist.toml",
        line,
        "firms.displacement.maxx",
        "did you mean `max`?",
    );
}

#[test]
fn wrong_type_is_reported() {
    let t = TestDir::new();
    let mut text = REFERENCE.to_owned();
    let line = replace_line(&mut text, "area_mu = 7_500", "area_mu = \"big\"");
    t.create("type.toml", &text);
    let stderr = bad_input(&t.cmd(&["validate", "type.toml"]));
    let problems = problem_lines(&stderr, "type.toml");
    assert_problem(
        &problems,
        "type.toml",
        line,
        "park.area_mu",
        "invalid type: string \"big\"",
    );
}

#[test]
fn wrong_type_in_an_array_of_tables_is_reported() {
    let t = TestDir::new();
    let mut text = REFERENCE.to_owned();
    let line = replace_line(&mut text, "macro_beta = 0.5", "macro_beta = \"high\"");
    t.create("sector.toml", &text);
    let stderr = bad_input(&t.cmd(&["validate", "sector.toml"]));
    let problems = problem_lines(&stderr, "sector.toml");
    assert_problem(
        &problems,
        "sector.toml",
        line,
        "firms.sectors[1].macro_beta",
        "expected a number or a distribution",
    );
}

#[test]
fn semantic_errors_are_reported_together() {
    let t = TestDir::new();
    let mut text = REFERENCE.to_owned();
    let paths = replace_line(&mut text, "paths = 10_000", "paths = 0");
    let phase0 = replace_line(&mut text, "area_mu = 3_000", "area_mu = -5");
    let phase1 = replace_line(&mut text, "area_mu = 4_500", "area_mu = 9_000");
    let sd = replace_line(
        &mut text,
        "volatility = 0.06",
        "volatility = { dist = \"normal\", mean = 1, sd = -1 }",
    );
    let vat = replace_line(&mut text, "vat_local_share = ", "vat_local_share = 1.5");
    let region = replace_line(
        &mut text,
        "tax = { kind = \"fixed\", shares = { zhejiang = 0.5, jilin = 0.5 } }",
        "tax = { kind = \"fixed\", shares = { zhejiang = 0.5, jiln = 0.5 } }",
    );
    let sum = replace_line(
        &mut text,
        "gdp = { kind = \"fixed\"",
        "gdp = { kind = \"fixed\", shares = { zhejiang = 0.5, jilin = 0.6 } }",
    );
    let phases = line_starting(&text, "[[park.phases]]");
    t.create("many.toml", &text);

    let stderr = bad_input(&t.cmd(&["validate", "many.toml"]));
    let problems = problem_lines(&stderr, "many.toml");
    let expected = [
        (
            paths,
            "simulation.paths",
            "expected at least 1 path, found 0",
        ),
        (
            phase0,
            "park.phases[0].area_mu",
            "expected a number > 0, found -5",
        ),
        (phase1, "park.phases[1].area_mu", "no larger than the park"),
        (phases, "park.phases", "adding up to at most"),
        (sd, "macro.volatility.sd", "found -1"),
        (
            vat,
            "taxes.vat_local_share",
            "expected a share in [0, 1], found 1.5",
        ),
        (region, "sharing[0].tax.shares.jiln", "expected a region id"),
        (sum, "sharing[0].gdp.shares", "expected shares summing to 1"),
    ];
    for (line, field, message) in expected {
        assert_problem(&problems, "many.toml", line, field, message);
    }
    assert_eq!(problems.len(), expected.len(), "{stderr}");
}

#[test]
fn two_hosts_are_rejected() {
    let t = TestDir::new();
    let mut text = REFERENCE.to_owned();
    let second_host = line_starting(&text, "role = \"host\"");
    replace_line(&mut text, "role = \"source\"", "role = \"host\"");
    t.create("hosts.toml", &text);
    let stderr = bad_input(&t.cmd(&["validate", "hosts.toml"]));
    let problems = problem_lines(&stderr, "hosts.toml");
    assert_problem(
        &problems,
        "hosts.toml",
        second_host,
        "regions[1].role",
        "expected exactly one host region, found 2",
    );
}

#[test]
fn no_host_is_rejected() {
    let t = TestDir::new();
    let mut text = REFERENCE.to_owned();
    replace_line(&mut text, "role = \"host\"", "role = \"other\"");
    let regions = line_starting(&text, "[[regions]]");
    t.create("nohost.toml", &text);
    let stderr = bad_input(&t.cmd(&["validate", "nohost.toml"]));
    let problems = problem_lines(&stderr, "nohost.toml");
    assert_problem(
        &problems,
        "nohost.toml",
        regions,
        "regions",
        "expected exactly one region with role = \"host\", found none",
    );
}

#[test]
fn toml_syntax_error_is_reported() {
    let t = TestDir::new();
    let mut text = REFERENCE.to_owned();
    let line = replace_line(&mut text, "seed = ", "seed = 20180330 = 1");
    t.create("syntax.toml", &text);
    let stderr = bad_input(&t.cmd(&["validate", "syntax.toml"]));
    let problems = problem_lines(&stderr, "syntax.toml");
    assert_eq!(problems.len(), 1);
    assert!(
        problems[0].starts_with(&format!("  syntax.toml:{line}: ")),
        "{stderr}"
    );

    let mut text = REFERENCE.to_owned();
    let line = replace_line(&mut text, "[taxes.rebate]", "[taxes.rebate");
    t.create("unclosed.toml", &text);
    let stderr = bad_input(&t.cmd(&["validate", "unclosed.toml"]));
    let problems = problem_lines(&stderr, "unclosed.toml");
    assert_eq!(problems.len(), 1);
    assert!(
        problems[0].starts_with(&format!("  unclosed.toml:{line}: ")),
        "{stderr}"
    );
}

#[test]
fn missing_file_is_reported() {
    let t = TestDir::new();
    let runs: [&[&str]; 2] = [
        &["validate", "no-such-scenario.toml"],
        &["run", "no-such-scenario.toml", "--out", "out"],
    ];
    for args in runs {
        let stderr = bad_input(&t.cmd(args));
        assert!(
            stderr.contains("no-such-scenario.toml"),
            "{args:?}: {stderr}"
        );
    }
    assert!(!t.exists("out"));
}

#[test]
fn every_bad_file_is_reported() {
    let t = TestDir::new();
    let mut a = REFERENCE.to_owned();
    let line_a = replace_line(&mut a, "horizon = ", "horizon = 0");
    t.create("a.toml", &a);
    let mut b = REFERENCE.to_owned();
    let line_b = replace_line(&mut b, "loan_years = ", "loan_years = 0");
    t.create("b.toml", &b);
    let out = t.cmd(&["validate", "a.toml", REFERENCE_PATH, "b.toml"]);
    let stderr = bad_input(&out);
    assert_problem(
        &problem_lines(&stderr, "a.toml"),
        "a.toml",
        line_a,
        "simulation.horizon",
        "expected a whole number in [1, 200], found 0",
    );
    assert_problem(
        &problem_lines(&stderr, "b.toml"),
        "b.toml",
        line_b,
        "company.loan_years",
        "found 0",
    );
}

#[test]
fn run_on_a_bad_file_writes_nothing() {
    let t = TestDir::new();
    let mut text = REFERENCE.to_owned();
    let line = replace_line(&mut text, "vat_local_share = ", "vat_local_share = -0.5");
    t.create("bad.toml", &text);

    let stderr = bad_input(&t.cmd(&["run", "bad.toml", "--paths", "200", "--out", "out"]));
    assert_problem(
        &problem_lines(&stderr, "bad.toml"),
        "bad.toml",
        line,
        "taxes.vat_local_share",
        "found -0.5",
    );
    assert!(!t.exists("out"), "output folder created for a bad scenario");

    // A good file alongside does not get run either: input is checked before any run.
    let stderr = bad_input(&t.cmd(&[
        "run",
        REFERENCE_PATH,
        "bad.toml",
        "--paths",
        "200",
        "--out",
        "out",
    ]));
    assert!(stderr.contains("bad.toml"));
    assert!(!t.exists("out"), "output written although an input was bad");
}

#[test]
fn bad_flags_are_rejected_by_the_parser() {
    let t = TestDir::new();
    let cases: [&[&str]; 7] = [
        &["run", "--paths", "0", "--out", "out"],
        &["run", "--paths", "-5", "--out", "out"],
        &["run", "--horizon", "0", "--out", "out"],
        &["run", "--horizon", "201", "--out", "out"],
        &["run", "--threads", "many", "--out", "out"],
        &["run", "--no-such-flag", "--out", "out"],
        &["validate"],
    ];
    for args in cases {
        let out = t.cmd(args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{args:?} accepted");
        assert_eq!(out.status.code(), Some(2), "{args:?}: clap usage error");
        assert!(stderr.contains("error:"), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert!(out.stdout.is_empty(), "{args:?}");
    }
    assert!(!t.exists("out"), "a rejected command wrote output");
}

#[test]
fn parse_errors_in_one_file_are_reported_together() {
    // An unknown key, a wrong type, an unknown choice and a typo'd formula kind:
    // all four in one report, each with its own line, and no echo of the typo'd
    // key as a "missing field".
    let t = TestDir::new();
    let mut text = REFERENCE.to_owned();
    let typo = replace_line(&mut text, "arrival_rate = ", "arival_rate = 9");
    let wrong = replace_line(&mut text, "area_mu = 7_500", "area_mu = \"big\"");
    let role = replace_line(&mut text, "role = \"host\"", "role = \"hots\"");
    let kind = replace_line(
        &mut text,
        "tax = { kind = \"equity\" }",
        "tax = { kind = \"equty\" }",
    );
    t.create("many.toml", &text);
    let stderr = bad_input(&t.cmd(&["validate", "many.toml"]));
    let problems = problem_lines(&stderr, "many.toml");
    assert_eq!(problems.len(), 4, "{stderr}");
    assert_problem(
        &problems,
        "many.toml",
        typo,
        "firms.arival_rate",
        "did you mean `arrival_rate`?",
    );
    assert_problem(
        &problems,
        "many.toml",
        wrong,
        "park.area_mu",
        "invalid type",
    );
    assert_problem(
        &problems,
        "many.toml",
        role,
        "regions[1].role",
        "did you mean `host`?",
    );
    assert_problem(
        &problems,
        "many.toml",
        kind,
        "sharing[1].tax.kind",
        "did you mean `equity`?",
    );
}

#[test]
fn run_rejects_two_scenarios_with_one_id() {
    let t = TestDir::new();
    t.create("a.toml", REFERENCE);
    t.create("b.toml", REFERENCE);
    let out = t.cmd(&[
        "run", "a.toml", "b.toml", "--paths", "50", "--quiet", "--out", "out",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("both have scenario id `jilin-zhejiang`"),
        "{stderr}"
    );
    assert!(!t.exists("out"));
    // validate does not write anything, so the same files are fine there.
    t.ok(&["validate", "a.toml", "b.toml"]);
}

/// One file given twice (here once through its folder) is refused by `run`
/// and `validate` alike, and named as one file given twice: `validate` said
/// ok, and `run` that "set3/a.toml and set3/a.toml both have scenario id"
/// (exploratory test).
#[test]
fn a_file_given_twice_is_refused_by_run_and_validate_alike() {
    let t = TestDir::new();
    std::fs::create_dir_all(t.join("set3")).expect("a folder");
    t.create("set3/a.toml", REFERENCE);
    let twice = "error: set3/a.toml is given twice: name each scenario file once (a folder stands for every .toml file in it)\n";
    assert_eq!(
        bad_input(&t.cmd(&["validate", "set3", "set3/a.toml"])),
        twice
    );
    let out = t.cmd(&[
        "run",
        "set3",
        "set3/a.toml",
        "--paths",
        "50",
        "--out",
        "out",
    ]);
    assert_eq!(bad_input(&out), twice);
    assert!(!t.exists("out"));
    // Spelt two ways, it is still one file.
    assert_eq!(
        bad_input(&t.cmd(&["validate", "set3/a.toml", "./set3/a.toml"])),
        "error: ./set3/a.toml is given twice (also as set3/a.toml): name each scenario file once (a folder stands for every .toml file in it)\n"
    );
}

#[test]
fn run_keeps_a_copy_of_its_scenario_and_the_npv_percentiles() {
    let t = TestDir::new();
    t.create("park.toml", REFERENCE);
    t.ok(&[
        "run",
        "park.toml",
        "--paths",
        "200",
        "--quiet",
        "--out",
        "out",
    ]);
    assert_eq!(t.read("out/jilin-zhejiang/scenario.toml"), REFERENCE);
    let dist = t.read("out/jilin-zhejiang/distribution.csv");
    assert_eq!(
        first_line(&dist),
        "scenario,alternative,region,metric,q,value"
    );
    let rows = csv_rows(&dist);
    let (alternatives, regions) = reference_names();
    assert_eq!(rows.len(), alternatives.len() * regions.len() * 99);
    // Percentiles rise with q within each alternative and region.
    for block in rows.chunks(99) {
        let values: Vec<f64> = block.iter().map(|r| num(&r[5])).collect();
        assert!(values.windows(2).all(|w| w[0] <= w[1]), "{values:?}");
    }
}

/// A scenario given on a pipe (`cat x.toml | enclave run /dev/stdin`, or
/// `<(…)`) is read once and run: `run` read it again after its check, found it
/// empty and reported a scenario missing every table, with exit status 1,
/// where `validate` said ok (exploratory test). Its results are those of the
/// file, and run.json's SHA-256 is of what was run.
#[test]
fn a_scenario_on_a_pipe_runs_as_the_file_does() {
    let dir = TestDir::new();
    let small = ["--paths", "40", "--horizon", "12", "--threads", "1", "-q"];
    let quiet = ["--charts", "none", "--report", "none"];
    let mut args = vec!["run", REFERENCE_PATH, "--out", "file"];
    args.extend(small);
    args.extend(quiet);
    dir.ok(&args);
    let mut args = vec!["run", "/dev/stdin", "--out", "pipe"];
    args.extend(small);
    args.extend(quiet);
    let out = dir.cmd_stdin(&args, REFERENCE.as_bytes());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for file in [
        "summary.csv",
        "timeseries.csv",
        "distribution.csv",
        "fairness.csv",
    ] {
        assert_eq!(
            dir.read_bytes(&format!("pipe/{ID}/{file}")),
            dir.read_bytes(&format!("file/{ID}/{file}")),
            "{file}"
        );
    }
    let run: enclave::output::RunRecord =
        serde_json::from_str(&dir.read(&format!("pipe/{ID}/run.json"))).expect("run.json");
    assert_eq!(run.scenario_sha256, sha256_hex(REFERENCE.as_bytes()));
    assert_eq!(dir.read(&format!("pipe/{ID}/scenario.toml")), REFERENCE);
    // validate and solve read it once too; a bad scenario on a pipe is bad
    // input (exit status 2), its own problem named.
    let out = dir.cmd_stdin(&["validate", "/dev/stdin"], REFERENCE.as_bytes());
    assert!(out.status.success());
    let bad = REFERENCE.replacen("paths = 10_000", "paths = -1", 1);
    let out = dir.cmd_stdin(&["run", "/dev/stdin", "--out", "bad", "-q"], bad.as_bytes());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("simulation.paths"), "{stderr}");
    assert!(!stderr.contains("missing field"), "{stderr}");
}
