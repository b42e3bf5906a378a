//! Scenario sets (issue 10): a folder of scenario files runs as a set, and the set's
//! `DIR/set/summary.csv` holds every scenario's headline rows, to the last digit of
//! its own summary.csv.

mod common;

use common::{REFERENCE, TestDir, bad_input};
use enclave::output::{SET_ALT_METRICS, SET_PARK_METRICS, SET_REGION_METRICS, SET_SUMMARY_HEADER};
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
        stdout.ends_with("set of 2 scenarios: out/set/summary.csv\n"),
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
    assert_eq!(
        bad_input(&out),
        "error: b.toml: scenario id `set` would share DIR/set/ with the set's summary; give it another id\n"
    );
    assert!(!t.exists("out"), "refused before anything is written");

    std::fs::create_dir_all(t.join("empty")).expect("a folder");
    let out = t.cmd(&["run", "empty", "--paths", "10", "--out", "out"]);
    assert_eq!(
        bad_input(&out),
        "error: the folder empty holds no .toml scenario file\n"
    );
}
