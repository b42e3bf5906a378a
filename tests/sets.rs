//! Scenario sets (issue 10): a folder of scenario files runs as a set, and the set's
//! `DIR/set/summary.csv` holds every scenario's headline rows, to the last digit of
//! its own summary.csv.

mod common;

use common::{REFERENCE, TestDir, bad_input};
use enclave::output::{SET_ALT_METRICS, SET_PARK_METRICS, SET_REGION_METRICS, SET_SUMMARY_HEADER};
use enclave::publish;
use enclave::scenario::Scenario;

fn three_party() -> &'static str {
    include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/scenarios/three-party.toml"
    ))
}

/// The rows of a CSV file (without its header), as cells.
fn rows(text: &str) -> Vec<Vec<String>> {
    csv::Reader::from_reader(text.as_bytes())
        .records()
        .map(|r| r.expect("a CSV row").iter().map(str::to_owned).collect())
        .collect()
}

#[test]
fn a_folder_runs_as_a_set_whose_summary_holds_each_scenarios_headline_rows() {
    let t = TestDir::new();
    // Name order: b-… before z-…, whatever the ids.
    std::fs::create_dir_all(t.join("park")).expect("a folder");
    t.create("park/z-reference.toml", REFERENCE);
    t.create("park/b-three.toml", three_party());
    t.create("park/notes.txt", "not a scenario");
    let run = |force: bool| {
        let mut args = vec![
            "run",
            "park",
            "--paths",
            "300",
            "--horizon",
            "8",
            "--charts",
            "none",
            "--out",
            "out",
        ];
        if force {
            args.push("--force");
        }
        t.ok(&args)
    };
    let out = run(false);
    let stdout = String::from_utf8(out.stdout).expect("UTF-8");
    assert!(
        stdout
            .ends_with("set of 2 scenarios: out/set/summary.csv  (report: out/set/report.html)\n"),
        "{stdout}"
    );
    let set = t.read("out/set/summary.csv");
    assert_eq!(
        set.lines().next(),
        Some(SET_SUMMARY_HEADER.join(",").as_str())
    );
    let set_rows = rows(&set);

    let mut expected = Vec::new();
    for (file, text) in [("b-three", three_party()), ("z-reference", REFERENCE)] {
        let scn = Scenario::parse(text, file).expect("a library scenario");
        let own = rows(&t.read(&format!("out/{}/summary.csv", scn.id)));
        let find = |alt: &str, region: &str, metric: &str| -> Vec<String> {
            let r = own
                .iter()
                .find(|r| r[1] == alt && r[2] == region && r[3] == metric)
                .unwrap_or_else(|| panic!("{alt},{region},{metric} in {}", scn.id));
            // scenario, alternative, region, metric, mean, se, p05, p50, p95, n of
            // summary.csv's mean, sd, se, p05, p25, p50, p75, p95, n.
            [0, 1, 2, 3, 4, 6, 7, 9, 11, 12]
                .iter()
                .map(|&i| r[i].clone())
                .collect()
        };
        for alt in &scn.alternatives {
            for region in &scn.regions {
                for m in SET_REGION_METRICS {
                    expected.push(find(&alt.name, &region.id, m.name()));
                }
            }
            for m in SET_ALT_METRICS {
                expected.push(find(&alt.name, "all", m.name()));
            }
        }
        for m in SET_PARK_METRICS {
            expected.push(find("all", "park", m.name()));
        }
    }
    assert_eq!(set_rows, expected);

    // A second run skips both complete scenarios and writes the same set summary;
    // a forced one recomputes them, to the same bytes.
    let out = run(false);
    assert!(String::from_utf8_lossy(&out.stderr).contains("skipped three-party"));
    assert_eq!(t.read("out/set/summary.csv"), set);
    run(true);
    assert_eq!(t.read("out/set/summary.csv"), set);
}

#[test]
fn a_set_refuses_a_scenario_named_set_and_an_empty_folder() {
    let t = TestDir::new();
    t.create("a.toml", REFERENCE);
    t.create(
        "b.toml",
        &REFERENCE.replacen("id = \"jilin-zhejiang\"", "id = \"set\"", 1),
    );
    let out = t.cmd(&["run", "a.toml", "b.toml", "--paths", "10", "--out", "out"]);
    // Refused by validation, with the line and field as any bad id is.
    let line = common::line_starting(REFERENCE, "id = \"jilin-zhejiang\"");
    let refusal = format!(
        "error: b.toml: 1 problem found\n  b.toml:{line}: scenario.id: expected another id than `set`, which is kept for the folder DIR/set/ of a set's summary\n"
    );
    assert_eq!(bad_input(&out), refusal);
    assert!(!t.exists("out"), "refused before anything is written");
    // Alone too: a set run into the same folder later would write over it.
    let out = t.cmd(&["run", "b.toml", "--paths", "10", "--out", "out"]);
    assert_eq!(bad_input(&out), refusal);
    assert!(!t.exists("out"), "refused before anything is written");
    // And by validate, --strict or not.
    for strict in [&[][..], &["--strict"]] {
        let mut args = vec!["validate", "b.toml"];
        args.extend_from_slice(strict);
        assert_eq!(bad_input(&t.cmd(&args)), refusal);
    }

    std::fs::create_dir_all(t.join("empty")).expect("a folder");
    let out = t.cmd(&["run", "empty", "--paths", "10", "--out", "out"]);
    assert_eq!(
        bad_input(&out),
        "error: the folder empty holds no .toml scenario file\n"
    );
}

/// A `*.toml` entry of a folder (or a pattern's match) that cannot be read, a
/// dangling or looping symbolic link, is reported as an unreadable file is,
/// not left out of the set without a word; a folder of such links alone is not
/// called empty (exploratory test: both were, with exit status 0 and "holds no
/// .toml scenario file").
#[cfg(unix)]
#[test]
fn a_folders_broken_links_are_reported_not_left_out() {
    use std::os::unix::fs::symlink;
    let t = TestDir::new();
    std::fs::create_dir_all(t.join("links/sub.toml")).expect("a folder named *.toml");
    t.create("links/a.toml", REFERENCE);
    symlink("missing.toml", t.join("links/dangling.toml")).expect("link");
    symlink("self.toml", t.join("links/self.toml")).expect("link");
    let dangling = "error: cannot read scenario file links/dangling.toml: No such file or directory (os error 2)\n";
    let looping = "error: cannot read scenario file links/self.toml: Too many levels of symbolic links (os error 40)\n";
    for args in [
        &["validate", "links"][..],
        &["validate", "links/*.toml"],
        &["run", "links", "--paths", "10", "--out", "out"],
    ] {
        let err = bad_input(&t.cmd(args));
        assert!(
            err.contains(dangling) && err.contains(looping),
            "{args:?}: {err}"
        );
        // The folder named sub.toml is no scenario file.
        assert!(!err.contains("sub.toml"), "{args:?}: {err}");
    }
    assert!(!t.exists("out"), "refused before anything is written");
    std::fs::create_dir_all(t.join("loop")).expect("a folder");
    symlink("self.toml", t.join("loop/self.toml")).expect("link");
    assert_eq!(
        bad_input(&t.cmd(&["validate", "loop"])),
        "error: cannot read scenario file loop/self.toml: Too many levels of symbolic links (os error 40)\n"
    );
}

/// The names in folder `dir` of `t`, sorted.
fn names(t: &TestDir, dir: &str) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(t.join(dir))
        .expect("a folder")
        .map(|e| {
            e.expect("an entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    names.sort();
    names
}

/// The scenario ids of a set's summary.csv, in its order.
fn scenario_ids(text: &str) -> Vec<String> {
    let mut ids: Vec<String> = Vec::new();
    for r in rows(text) {
        if ids.last() != Some(&r[0]) {
            ids.push(r[0].clone());
        }
    }
    ids
}

/// The reference scenario under another id and with other paths and seed.
fn variant(id: &str, paths: u64, seed: u64) -> String {
    let mut text = REFERENCE.to_owned();
    common::replace_line(
        &mut text,
        "id = \"jilin-zhejiang\"",
        &format!("id = \"{id}\""),
    );
    common::replace_line(&mut text, "paths = 10_000", &format!("paths = {paths}"));
    common::replace_line(&mut text, "seed = ", &format!("seed = {seed}"));
    text
}

#[test]
fn a_large_set_runs_its_small_scenarios_side_by_side_to_the_bytes_of_single_runs() {
    let t = TestDir::new();
    std::fs::create_dir_all(t.join("many")).expect("a folder");
    // Seven scenarios (more than a handful): six small ones, run side by side on
    // two threads, and a large one (8 batches or more) in the middle, run alone.
    let sizes = [300u64, 700, 2500, 256, 1, 513, 900];
    for (i, &paths) in sizes.iter().enumerate() {
        t.create(
            &format!("many/s{i}.toml"),
            &variant(&format!("s{i}"), paths, 11 + i as u64),
        );
    }
    let args = |out: &str, extra: &[&'static str]| {
        let mut a = vec!["run", "many", "--horizon", "6", "--threads", "2", "--out"];
        a.push(Box::leak(out.to_owned().into_boxed_str()));
        a.extend_from_slice(extra);
        a
    };
    let out = t.ok(&args("set", &[]));
    let stdout = String::from_utf8(out.stdout).expect("UTF-8");
    // More than a handful: one line for the set, no summary per scenario.
    assert!(
        stdout.starts_with(&format!(
            "ran 7 of 7 scenarios: {} paths, ",
            sizes.iter().sum::<u64>()
        )) && stdout.ends_with(
            " threads)\nset of 7 scenarios: set/set/summary.csv  (report: set/set/report.html)\n"
        ) && stdout.lines().count() == 2,
        "{stdout}"
    );
    t.assert_no_temp_files("set");
    for i in 0..sizes.len() {
        let id = format!("s{i}");
        // Data only, by default, for a set this large.
        assert!(t.exists(&format!("set/{id}/summary.csv")));
        assert!(!t.exists(&format!("set/{id}/report.html")), "{id}");
        assert!(!t.exists(&format!("set/{id}/charts")), "{id}");
        // Each scenario alone, on one thread and on two, gives the same bytes.
        for threads in ["1", "2"] {
            let alone = format!("alone-{threads}");
            t.ok(&[
                "run",
                &format!("many/{id}.toml"),
                "--horizon",
                "6",
                "--threads",
                threads,
                "--charts",
                "none",
                "--report",
                "none",
                "--quiet",
                "--out",
                &alone,
            ]);
            for f in [
                "summary.csv",
                "timeseries.csv",
                "distribution.csv",
                "fairness.csv",
            ] {
                assert!(
                    t.read_bytes(&format!("set/{id}/{f}"))
                        == t.read_bytes(&format!("{alone}/{id}/{f}")),
                    "{id}/{f} differs between the set and a run alone on {threads} threads"
                );
            }
        }
    }
    // The set's rows come in the set's order.
    let set = t.read("set/set/summary.csv");
    let order = scenario_ids(&set);
    assert_eq!(order, ["s0", "s1", "s2", "s3", "s4", "s5", "s6"]);

    // --summary-only writes the same set summary and nothing else.
    let out = t.ok(&args("only", &["--summary-only"]));
    assert!(String::from_utf8(out.stdout).expect("UTF-8").ends_with(
        " threads)\nset of 7 scenarios: only/set/summary.csv  (report: only/set/report.html)\n"
    ));
    assert_eq!(t.read("only/set/summary.csv"), set);
    let entries = names(&t, "only");
    assert_eq!(entries, ["set"]);
    assert!(
        !t.exists("only/set/sweep.csv"),
        "a set of files is no sweep"
    );
    // Its record of what each scenario was run from, the same as the full set's
    // but for the folders, which it did not write.
    let runs = t.read("only/set/runs.csv");
    assert_eq!(runs.replace(",no,", ",yes,"), t.read("set/set/runs.csv"));
    let lines: Vec<&str> = runs.lines().collect();
    assert_eq!(
        lines[0],
        "scenario,file,sha256,seed,paths,horizon,fairness,engine,math,folder,\
         money_unit,yuan_per_unit,prices,name"
    );
    assert_eq!(lines.len(), 8, "{runs}");
    assert!(lines[1].starts_with("s0,"), "{runs}");
    // How each counts money, which the set page names: the reference scenario's
    // million CNY at constant 2026 prices.
    let math = enclave::mathlib::fingerprint();
    assert!(
        lines[1..]
            .iter()
            .all(|l| l.contains(&format!(",{math},no,million CNY,1000000,2026,"))),
        "{runs}"
    );
    // Its page says there is no folder per scenario; the full set's, where they are.
    let no_folders = "only <code>only/set/</code> was written, no folder per scenario.";
    assert!(t.read("only/set/report.html").contains(no_folders));
    assert!(
        t.read("set/set/report.html")
            .contains("its folder <code>set/&lt;id&gt;/</code> holds")
    );

    // Asked for, a large set gets its reports and charts.
    t.ok(&args(
        "drawn",
        &["--report", "html", "--charts", "svg", "--quiet"],
    ));
    assert!(t.exists("drawn/s3/report.html"));
    assert!(t.exists("drawn/s3/charts"));
}

#[test]
fn report_none_and_charts_none_write_only_the_data_files() {
    let t = TestDir::new();
    t.create("one.toml", &variant("one", 300, 5));
    t.ok(&[
        "run",
        "one.toml",
        "--horizon",
        "5",
        "--report",
        "none",
        "--charts",
        "none",
        "--quiet",
        "--out",
        "out",
    ]);
    let files = names(&t, "out/one");
    assert_eq!(
        files,
        [
            "distribution.csv",
            "fairness.csv",
            "manifest.json",
            "run.json",
            "scenario.toml",
            "summary.csv",
            "timeseries.csv"
        ]
    );
    // One scenario gets its report by default, and the terminal says where.
    let out = t.ok(&["run", "one.toml", "--horizon", "5", "--out", "drawn"]);
    assert!(t.exists("drawn/one/report.html"));
    assert!(String::from_utf8_lossy(&out.stdout).contains("(report: drawn/one/report.html)"));
    // --summary-only conflicts with what it would not write.
    let out = t.cmd(&["run", "one.toml", "--summary-only", "--report", "html"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn a_quoted_pattern_runs_the_files_it_matches_in_name_order() {
    let t = TestDir::new();
    std::fs::create_dir_all(t.join("parks")).expect("a folder");
    t.create("parks/b-two.toml", &variant("two", 50, 2));
    t.create("parks/a-one.toml", &variant("one", 50, 1));
    t.create("parks/c-three.toml.bak", &variant("three", 50, 3));
    t.ok(&[
        "run",
        "parks/?-*.toml",
        "--horizon",
        "3",
        "--summary-only",
        "--quiet",
        "--out",
        "out",
    ]);
    let ids = scenario_ids(&t.read("out/set/summary.csv"));
    assert_eq!(ids, ["one", "two"]);
    let out = t.cmd(&["run", "parks/*.json", "--out", "out"]);
    assert_eq!(bad_input(&out), "error: no file matches parks/*.json\n");
    // A shell's character class is not taken: said so, rather than only that
    // nothing matches.
    let out = t.cmd(&["run", "parks/[ab]-*.toml", "--out", "out"]);
    assert_eq!(
        bad_input(&out),
        "error: no file matches parks/[ab]-*.toml; a pattern takes only `*` (any run of characters) and `?` (one character), not `[...]`\n"
    );
    // A wildcard in a folder's name is refused as such.
    let out = t.cmd(&["run", "par*/a-one.toml", "--out", "out"]);
    assert_eq!(
        bad_input(&out),
        "error: par*/a-one.toml: a pattern matches file names in one folder: `*` and `?` are taken in the last part of a path only, not in the folder name `par*`\n"
    );
}

#[test]
fn a_skipped_precision_scenario_keeps_the_paths_it_took_in_the_sets_runs_csv() {
    let t = two_scenarios();
    let args = [
        "run",
        "a.toml",
        "b.toml",
        "--horizon",
        "5",
        "--precision",
        "npv:0.2",
        "--block",
        "256",
        "--max-paths",
        "1024",
        "--report",
        "none",
        "--charts",
        "none",
        "--quiet",
        "--out",
        "out",
    ];
    t.ok(&args);
    let runs = t.read("out/set/runs.csv");
    let out = t.ok(&args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("skipped a: ") && stderr.contains("skipped b: "),
        "{stderr}"
    );
    assert_eq!(t.read("out/set/runs.csv"), runs);
    for id in ["a", "b"] {
        let record: serde_json::Value =
            serde_json::from_str(&t.read(&format!("out/{id}/run.json"))).expect("run.json");
        let paths = record["paths"].as_u64().expect("paths");
        assert!(paths < 1024, "{id}: {paths}");
        assert!(runs.contains(&format!("{id},{id}.toml,")));
        assert!(
            runs.lines()
                .any(|l| l.starts_with(&format!("{id},")) && l.contains(&format!(",{paths},5,"))),
            "{runs}"
        );
    }
}

/// `enclave run FILES --horizon 5 --quiet --out DIR` with `extra`.
/// A folder with two scenarios, `a.toml` (seed 5) and `b.toml` (seed 6), of 300
/// paths each.
fn two_scenarios() -> TestDir {
    let t = TestDir::new();
    t.create("a.toml", &variant("a", 300, 5));
    t.create("b.toml", &variant("b", 300, 6));
    t
}

fn run_into(t: &TestDir, files: &[&str], dir: &str, extra: &[&str]) -> std::process::Output {
    let mut args = vec!["run"];
    args.extend(files);
    args.extend(["--horizon", "5", "--quiet", "--out", dir]);
    args.extend(extra);
    t.ok(&args)
}

#[test]
fn a_skipped_scenario_gets_the_report_and_charts_it_lacks_drawn_from_its_results() {
    let t = TestDir::new();
    t.create("one.toml", &variant("one", 300, 5));
    run_into(
        &t,
        &["one.toml"],
        "out",
        &["--report", "none", "--charts", "none"],
    );
    let data = t.read("out/one/summary.csv");
    assert!(!t.exists("out/one/report.html") && !t.exists("out/one/charts"));

    let out = run_into(
        &t,
        &["one.toml"],
        "out",
        &["--report", "html", "--charts", "png"],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("skipped one: "), "{stderr}");
    assert!(
        stderr.contains(
            "drew report.html, charts/*.png into out/one from those results, as `enclave report` does"
        ),
        "{stderr}"
    );
    publish::verify(&t.join("out/one")).expect("a complete folder");
    assert_eq!(t.read("out/one/summary.csv"), data);
    let charts = names(&t, "out/one/charts");
    assert!(!charts.is_empty() && charts.iter().all(|c| c.ends_with(".png")));
    // The same bytes a run asking for them from the start draws.
    run_into(
        &t,
        &["one.toml"],
        "fresh",
        &["--report", "html", "--charts", "png"],
    );
    assert_eq!(names(&t, "fresh/one/charts"), charts);
    for c in &charts {
        let name = format!("one/charts/{c}");
        assert!(t.read_bytes(&format!("out/{name}")) == t.read_bytes(&format!("fresh/{name}")));
    }

    // Asking for less keeps what is there; asking for svg adds them to the png.
    let out = run_into(
        &t,
        &["one.toml"],
        "out",
        &["--report", "none", "--charts", "svg"],
    );
    assert!(!String::from_utf8_lossy(&out.stderr).contains("report.html,"));
    assert!(t.exists("out/one/report.html"));
    let charts = names(&t, "out/one/charts");
    assert_eq!(
        charts.iter().filter(|c| c.ends_with(".svg")).count() * 2,
        charts.len()
    );
    let out = run_into(&t, &["one.toml"], "out", &[]);
    assert!(!String::from_utf8_lossy(&out.stderr).contains("drew"));
    publish::verify(&t.join("out/one")).expect("a complete folder");
}

#[test]
fn a_rerun_that_skips_every_scenario_says_so_without_a_rate() {
    let t = two_scenarios();
    let args = [
        "run",
        "a.toml",
        "b.toml",
        "--horizon",
        "3",
        "--charts",
        "none",
        "--report",
        "none",
        "--out",
        "out",
    ];
    let first = String::from_utf8_lossy(&t.ok(&args).stdout).into_owned();
    assert!(first.contains("ran 2 of 2 scenarios: "), "{first}");
    let again = String::from_utf8_lossy(&t.ok(&args).stdout).into_owned();
    assert!(
        again.starts_with(
            "ran none of the 2 scenarios: their complete results were already in place\n"
        ),
        "{again}"
    );
    assert!(!again.contains("firm-years/s"), "{again}");
}

#[test]
fn a_summary_only_set_beside_another_runs_folders_describes_its_own_run() {
    let t = two_scenarios();
    let quiet = ["--report", "none", "--charts", "none"];
    run_into(&t, &["a.toml", "b.toml"], "out", &quiet);
    let page = t.read("out/set/report.html");
    assert!(page.contains("first scenario: seed 5, 5 years"), "{page}");
    assert!(page.contains("its folder <code>out/&lt;id&gt;/</code> holds"));
    // The same scenarios again, --summary-only with another seed: the folders
    // beside the set are the first run's, and the page says what the set is.
    run_into(
        &t,
        &["a.toml", "b.toml"],
        "out",
        &["--summary-only", "--seed", "9"],
    );
    let page = t.read("out/set/report.html");
    assert!(page.contains("first scenario: seed 9, 5 years"), "{page}");
    assert!(
        page.contains("only <code>out/set/</code> was written, no folder per scenario."),
        "{page}"
    );
    assert!(!page.contains("holds its full results"), "{page}");
}

#[test]
fn a_skipped_scenario_rerun_with_another_lang_gets_its_report_and_charts_in_it() {
    let t = TestDir::new();
    t.create("one.toml", &variant("one", 300, 5));
    let html_lang = |t: &TestDir| {
        let page = t.read("out/one/report.html");
        let tag = page
            .split("<html lang=\"")
            .nth(1)
            .expect("a lang attribute");
        tag[..tag.find('"').expect("a closing quote")].to_owned()
    };
    run_into(&t, &["one.toml"], "out", &["--charts", "svg"]);
    assert_eq!(html_lang(&t), "en");
    let data = t.read("out/one/summary.csv");
    let charts = names(&t, "out/one/charts");

    // --lang zh on a rerun: skipped, and its report and charts drawn again in zh,
    // the bytes a zh run from the start draws.
    // (The terminal's lines are in zh too.)
    let zh = ["--charts", "svg", "--lang", "zh"];
    let out = run_into(&t, &["one.toml"], "out", &zh);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("跳过 one："), "{stderr}");
    assert!(
        stderr.contains("以 zh 重新绘制 report.html, charts/*.svg 到 out/one"),
        "{stderr}"
    );
    assert_eq!(html_lang(&t), "zh-Hans");
    publish::verify(&t.join("out/one")).expect("a complete folder");
    assert_eq!(t.read("out/one/summary.csv"), data);
    assert_eq!(names(&t, "out/one/charts"), charts);
    run_into(&t, &["one.toml"], "fresh", &zh);
    for name in charts.iter().map(|c| format!("one/charts/{c}")) {
        assert!(t.read_bytes(&format!("out/{name}")) == t.read_bytes(&format!("fresh/{name}")));
    }

    // The same language again, or no --lang: nothing is drawn.
    for extra in [&zh[..], &["--charts", "svg"]] {
        let out = run_into(&t, &["one.toml"], "out", extra);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            !stderr.contains("drew") && !stderr.contains("绘制"),
            "{stderr}"
        );
        assert_eq!(html_lang(&t), "zh-Hans");
    }
}

#[test]
fn a_scenario_of_a_set_rerun_alone_with_other_settings_retires_the_sets_files() {
    let t = two_scenarios();
    let quiet = ["--report", "none", "--charts", "none"];
    run_into(&t, &["a.toml", "b.toml"], "out", &quiet);
    let set = t.read("out/set/summary.csv");

    // Alone with the same settings (skipped, or forced: the same bytes): the set stays.
    run_into(&t, &["a.toml"], "out", &quiet);
    run_into(
        &t,
        &["a.toml"],
        "out",
        &["--report", "none", "--charts", "none", "--force"],
    );
    assert_eq!(t.read("out/set/summary.csv"), set);
    t.ok(&["report", "out/set"]);

    // Alone with another seed: the set's files go, with a note saying why.
    let out = run_into(
        &t,
        &["a.toml"],
        "out",
        &["--report", "none", "--charts", "none", "--seed", "7"],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("note: out/set listed a with other settings (seed 5 in set/runs.csv, 7 in its run.json): the set's files were removed (out/set/stale.txt says why)"),
        "{stderr}"
    );
    assert_eq!(names(&t, "out/set"), ["stale.txt"]);
    let out = t.cmd(&["report", "out/set"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("cannot read the set in out/set: the set's files were removed from out/set: a was written into out/a with other settings than the set lists for it (seed 5 in set/runs.csv, 7 in its run.json)"),
        "{stderr}"
    );
    // The set's command rebuilds it: b is skipped, a runs again with its seed.
    let out = run_into(&t, &["a.toml", "b.toml"], "out", &quiet);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("skipped b: ") && !stderr.contains("skipped a: "),
        "{stderr}"
    );
    assert_eq!(t.read("out/set/summary.csv"), set);
    assert!(!t.exists("out/set/stale.txt"));
    t.ok(&["report", "out/set"]);

    // A folder changed some other way (here copied from another run): `report`
    // refuses the set, naming the scenario and what differs.
    run_into(
        &t,
        &["b.toml"],
        "other",
        &["--report", "none", "--charts", "none", "--paths", "256"],
    );
    std::fs::remove_dir_all(t.join("out/b")).expect("remove");
    std::fs::rename(t.join("other/b"), t.join("out/b")).expect("move");
    let out = t.cmd(&["report", "out/set"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("which now hold other runs than set/runs.csv lists: b (paths 300 in set/runs.csv, 256 in its run.json); run the set's own command again to rebuild it"),
        "{stderr}"
    );
}

#[test]
fn a_summary_only_set_is_not_made_stale_by_a_folder_it_did_not_write() {
    // A --summary-only set has no folders beside it: a scenario of it run alone
    // with other settings writes out/a, which is not the set's (it lost its
    // files, and `report` then refused it even once rebuilt).
    let t = two_scenarios();
    let only = ["--summary-only"];
    run_into(&t, &["a.toml", "b.toml"], "out", &only);
    let set = t.read("out/set/summary.csv");
    let out = run_into(
        &t,
        &["a.toml"],
        "out",
        &["--report", "none", "--charts", "none", "--seed", "7"],
    );
    assert!(
        !String::from_utf8_lossy(&out.stderr).contains("listed a with other settings"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(t.read("out/set/summary.csv"), set);
    assert!(!t.exists("out/set/stale.txt"));
    t.ok(&["report", "out/set"]);
    // Rebuilt beside out/a, it is still its own.
    run_into(&t, &["a.toml", "b.toml"], "out", &only);
    assert_eq!(t.read("out/set/summary.csv"), set);
    t.ok(&["report", "out/set"]);
}

#[test]
fn a_scenario_of_a_set_merged_alone_with_other_settings_retires_the_sets_files() {
    let t = two_scenarios();
    let quiet = ["--report", "none", "--charts", "none"];
    // The set built by a merge of shards, then `a` merged alone from shards of
    // another seed into the same folder.
    for k in ["1/2", "2/2"] {
        run_into(&t, &["a.toml", "b.toml"], "parts", &["--shard", k]);
        run_into(&t, &["a.toml"], "parts7", &["--shard", k, "--seed", "7"]);
    }
    t.ok(&[
        "merge", "parts", "--out", "out", "--report", "none", "--charts", "none", "--quiet",
    ]);
    t.ok(&["report", "out/set"]);
    let out = t.ok(&[
        "merge", "parts7", "--out", "out", "--report", "none", "--charts", "none", "--quiet",
    ]);
    assert!(String::from_utf8_lossy(&out.stderr).contains(
        "note: out/set listed a with other settings (seed 5 in set/runs.csv, 7 in its run.json)"
    ));
    assert_eq!(names(&t, "out/set"), ["stale.txt"]);
    // A run of the set rebuilds it, running `a` again with the set's settings.
    let out = run_into(&t, &["a.toml", "b.toml"], "out", &quiet);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("skipped b: ") && !stderr.contains("skipped a: "),
        "{stderr}"
    );
    t.ok(&["report", "out/set"]);
}

/// A `--summary-only` set has no run.json to keep its scenarios' warnings, and its
/// page and files had none (exploratory test): `set/warnings.csv` holds each
/// warning as the scenario's run.json records it, the set's page lists them, and
/// merged shards give the same file and say them on the terminal.
#[test]
fn a_sets_warnings_are_kept_in_its_own_files_and_page() {
    let t = TestDir::new();
    t.create("a.toml", &variant("a", 300, 5));
    let mut warned = variant("b", 300, 6);
    // Yuan typed where the file counts in million yuan.
    common::replace_line(
        &mut warned,
        "land_price_per_mu = ",
        "land_price_per_mu = 180000",
    );
    t.create("b.toml", &warned);

    run_into(&t, &["a.toml", "b.toml"], "only", &["--summary-only"]);
    let table = rows(&t.read("only/set/warnings.csv"));
    assert!(!table.is_empty(), "no warnings in set/warnings.csv");
    assert!(table.iter().all(|r| r[0] == "b"), "{table:?}");
    assert!(
        table[0][1].starts_with("line ") && table[0][1].contains("company.land_price_per_mu"),
        "{table:?}"
    );
    let page = t.read("only/set/report.html");
    assert!(
        page.contains("<div class=\"warn\">"),
        "no warning box on the set's page"
    );
    assert!(
        page.contains("<li><code>b</code>: line "),
        "the box does not name b"
    );

    // The same rows as the scenario's own run.json, in a set with folders.
    run_into(&t, &["a.toml", "b.toml"], "full", &[]);
    assert_eq!(
        t.read("full/set/warnings.csv"),
        t.read("only/set/warnings.csv")
    );
    let run: serde_json::Value =
        serde_json::from_str(&t.read("full/b/run.json")).expect("run.json");
    let recorded: Vec<&str> = run["warnings"]
        .as_array()
        .expect("warnings")
        .iter()
        .map(|w| w.as_str().expect("text"))
        .collect();
    assert_eq!(
        table.iter().map(|r| r[1].as_str()).collect::<Vec<_>>(),
        recorded
    );
    // Each also in Chinese, which a --lang zh set page gives (exploratory test:
    // it gave the English), as the scenario's Chinese report gives it.
    let chinese = |s: &str| s.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c));
    assert!(
        table.iter().all(|r| r.len() == 3 && chinese(&r[2])),
        "{table:?}"
    );
    t.ok(&["report", "only/set", "--lang", "zh"]);
    let page = t.read("only/set/report.html");
    assert!(
        page.contains(&format!(
            "<li><code>b</code>: 第 {} 行",
            &table[0][1][5..].split_once(':').expect("line").0
        )),
        "{page}"
    );
    assert!(!page.contains("<li><code>b</code>: line "));
    t.ok(&["report", "full/b", "--lang", "zh"]);
    let report = t.read("full/b/report.html");
    for r in &table {
        assert!(report.contains(&r[2]), "{} is not the report's", r[2]);
    }
    // A set run again takes its scenarios from their folders, with the same rows.
    let before = t.read("full/set/warnings.csv");
    let again = run_into(&t, &["a.toml", "b.toml"], "full", &[]);
    assert!(String::from_utf8_lossy(&again.stderr).contains("skipped"));
    assert_eq!(t.read("full/set/warnings.csv"), before);
    // A set without warnings has the header alone, and no box.
    run_into(&t, &["a.toml"], "clean", &["--summary-only"]);
    assert_eq!(
        t.read("clean/set/warnings.csv"),
        "scenario,warning,warning_zh\n"
    );
    assert!(
        !t.read("clean/set/report.html")
            .contains("<div class=\"warn\">")
    );

    // Shards merged: the same file, and the warnings on the terminal.
    for k in 1..=3 {
        let shard = format!("{k}/3");
        run_into(
            &t,
            &["a.toml", "b.toml"],
            "parts",
            &["--summary-only", "--shard", &shard],
        );
    }
    let out = t.ok(&[
        "merge",
        "parts/a.partial",
        "parts/b.partial",
        "--out",
        "merged",
    ]);
    assert_eq!(
        t.read("merged/set/warnings.csv"),
        t.read("only/set/warnings.csv")
    );
    // As `run` prints them: `FILE:LINE: warning: …`.
    let stderr = String::from_utf8_lossy(&out.stderr);
    let line = table[0][1]
        .strip_prefix("line ")
        .and_then(|rest| rest.split_once(": "))
        .expect("a line number")
        .0;
    assert!(
        stderr.contains(&format!(
            "b.toml:{line}: warning: company.land_price_per_mu"
        )),
        "{stderr}"
    );
    let ran = run_into(&t, &["b.toml"], "again", &["--summary-only"]);
    assert!(
        String::from_utf8_lossy(&ran.stderr).contains(&format!(
            "b.toml:{line}: warning: company.land_price_per_mu"
        )),
        "run prints it the same way"
    );
}

/// A process id that has ended (its pid is, almost surely, not reused at once).
fn dead_pid() -> u32 {
    let mut dead = std::process::Command::new("true")
        .spawn()
        .expect("run true");
    let pid = dead.id();
    dead.wait().expect("wait");
    pid
}

/// The names `DIR/set/manifest.json` lists.
fn listed(t: &TestDir, dir: &str) -> Vec<String> {
    let text = t.read(&format!("{dir}/set/manifest.json"));
    let manifest: publish::Manifest = serde_json::from_str(&text).expect("a manifest");
    manifest.files.into_iter().map(|f| f.name).collect()
}

/// `DIR/set/` is written in place, file by file, each through a temporary file
/// beside it. A set run killed with `kill -9` left its temporary files there,
/// and the next run into the same `DIR` (with `--force` or not) kept them and
/// listed them in the set's `manifest.json`, with every other file of the
/// folder, a user's notes included (tester's report). Every writer of the set's
/// folder (a set run, a merge, `enclave report DIR/set`) now removes the
/// temporary files of dead processes that ran here, keeps those it cannot tell
/// from a live run's, and lists only the set's own files; a user's file stays,
/// and the set still verifies.
#[test]
fn a_sets_folder_loses_dead_runs_temporary_files_and_lists_only_the_sets_files() {
    let t = two_scenarios();
    let quiet = ["--report", "none", "--charts", "none"];
    run_into(&t, &["a.toml", "b.toml"], "out", &quiet);
    let own = ["runs.csv", "summary.csv", "warnings.csv"];
    assert_eq!(listed(&t, "out"), own);

    let key = publish::owner_key();
    // What a set run killed here leaves, its pid gone.
    let dead = format!(".enclave-{key}-{}-AbC123.tmp", dead_pid());
    // A live process's (this test's): another run writing the set now.
    let live = format!(".enclave-{key}-{}-XyZ789.tmp", std::process::id());
    // An earlier version's, whose name does not say whose it is, unchanged for
    // two days: kept, and named even with --quiet.
    let unkeyed = ".enclave-Q1w2E3.tmp";
    t.create(&format!("out/set/{live}"), "being written");
    t.create(&format!("out/set/{unkeyed}"), "junk");
    let two_days = std::time::SystemTime::now() - std::time::Duration::from_secs(2 * 86_400 + 60);
    std::fs::File::options()
        .write(true)
        .open(t.join(&format!("out/set/{unkeyed}")))
        .and_then(|f| f.set_modified(two_days))
        .expect("set the time");
    t.create("out/set/notes.txt", "mine");
    let kept = format!(
        "kept out/set/{unkeyed}, unchanged for 2 days: left by a run on another machine or in another container, or by an earlier version of enclave, which this run cannot tell from a live one; remove it if that run has ended\n"
    );
    let mut left = vec![
        live.clone(),
        unkeyed.to_owned(),
        "manifest.json".to_owned(),
        "notes.txt".to_owned(),
        "report.html".to_owned(),
    ];
    left.extend(own.map(str::to_owned));
    left.sort();
    // The same set again (its scenarios skipped), then forced.
    for force in [&[][..], &["--force"]] {
        t.create(&format!("out/set/{dead}"), "summary.csv cut short");
        let out = run_into(
            &t,
            &["a.toml", "b.toml"],
            "out",
            &[&quiet[..], force].concat(),
        );
        assert_eq!(names(&t, "out/set"), left, "{force:?}");
        assert_eq!(listed(&t, "out"), own, "{force:?}");
        assert_eq!(t.read("out/set/notes.txt"), "mine");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(&kept), "{stderr}");
        // `report` checks the set's files against the manifest, the others not.
        t.ok(&["report", "out/set"]);
    }

    // `enclave report DIR/set` writes the page in place too: the same, and it
    // says what it removed.
    t.create(&format!("out/set/{dead}"), "report.html cut short");
    let out = t.ok(&["report", "out/set"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!(
            "removed out/set/{dead}, left by a run that did not finish\n"
        )) && stderr.contains(&kept),
        "{stderr}"
    );
    assert_eq!(names(&t, "out/set"), left);
    // A file of the set's that its manifest does not list is still refused.
    t.create("out/set/sweep.csv", "scenario,input,value,vary\n");
    let out = t.cmd(&["report", "out/set"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("sweep.csv is not listed in manifest.json: it is not part of the run"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // A merge of shards writes the set's files the same way.
    for k in ["1/2", "2/2"] {
        run_into(&t, &["a.toml", "b.toml"], "parts", &["--shard", k]);
    }
    std::fs::create_dir_all(t.join("merged/set")).expect("a folder");
    t.create(&format!("merged/set/{dead}"), "summary.csv cut short");
    t.create("merged/set/notes.txt", "mine");
    t.ok(&[
        "merge", "parts", "--out", "merged", "--report", "none", "--charts", "none", "--quiet",
    ]);
    assert!(!t.exists(&format!("merged/set/{dead}")));
    assert_eq!(t.read("merged/set/notes.txt"), "mine");
    assert_eq!(listed(&t, "merged"), own);
    t.ok(&["report", "merged/set"]);
}
