//! Sweeps (issue 10): a sweep file expands into scenarios whose ids and values are
//! as specified, `--list` shows what a run writes, bad sweep files are refused with
//! file, line and field, and a sweep over a monotone input gives a monotone set
//! summary (the variants run on common random numbers).

mod common;

use std::path::Path;

use common::{TestDir, assert_problem, bad_input, problem_lines};
use enclave::scenario::Scenario;
use enclave::sweep::{Setting, Sweep};

/// A sweep over the bundled reference scenario.
fn sweep(text: &str) -> Sweep {
    Sweep::parse(text, "test.toml", Path::new(".")).unwrap_or_else(|e| panic!("{e}"))
}

/// What `enclave sweep FILE --list` prints.
fn listed(t: &TestDir, file: &str) -> String {
    String::from_utf8(t.ok(&["sweep", file, "--list"]).stdout).expect("UTF-8")
}

fn float(s: &Setting) -> f64 {
    match s {
        Setting::Float(x) => *x,
        Setting::Integer(x) => *x as f64,
        other => panic!("not a number: {other:?}"),
    }
}

const GRID: &str = r#"
base = "reference"
id = "g"

[[vary]]
path = "firms.arrival_rate"
name = "rate"
values = [6, 9.5]

[[vary]]
path = "regions[0].discount_rate"
values = [0.04, 0.05, 0.06]
"#;

#[test]
fn a_grid_expands_into_the_product_first_input_slowest() {
    let s = sweep(GRID);
    assert_eq!(s.len(), 6);
    let ids: Vec<String> = (0..s.len()).map(|i| s.id(i)).collect();
    assert_eq!(
        ids,
        [
            "g_rate-6_discount_rate-0p04",
            "g_rate-6_discount_rate-0p05",
            "g_rate-6_discount_rate-0p06",
            "g_rate-9p5_discount_rate-0p04",
            "g_rate-9p5_discount_rate-0p05",
            "g_rate-9p5_discount_rate-0p06",
        ]
    );
    let v = s.variant(4);
    assert_eq!(v.id, ids[4]);
    assert_eq!(
        v.values,
        vec![
            ("firms.arrival_rate".to_owned(), Setting::Float(9.5)),
            ("regions[0].discount_rate".to_owned(), Setting::Float(0.05)),
        ]
    );
    // The text is the base's with these values and id; it loads as a scenario.
    let (_, scn) = s.scenario(4).expect("a valid variant");
    assert_eq!(scn.id, ids[4]);
    assert!(v.text.contains("arrival_rate = 9.5\n"), "{}", v.text);
    assert!(v.text.contains("discount_rate = 0.05    # assumption"));
    assert!(v.text.contains("id = \"g_rate-9p5_discount_rate-0p05\""));
    // Every comment of the base is kept.
    let comments = |t: &str| {
        t.lines()
            .filter(|l| l.trim_start().starts_with('#'))
            .count()
    };
    assert_eq!(comments(&v.text), comments(common::REFERENCE));
    // The variants share the base's seed.
    let base = enclave::scenario::Scenario::reference().expect("reference");
    assert_eq!(scn.simulation.seed, base.simulation.seed);
}

const SAMPLED: &str = r#"
base = "reference"
id = "s"

[[vary]]
path = "regions[0].discount_rate"
name = "r"
range = [0.03, 0.07]

[[vary]]
path = "firms.crowding"
range = [0.2, 0.8]

[samples]
n = 12
seed = 7
method = "METHOD"
"#;

#[test]
fn samples_are_reproducible_inside_their_ranges_and_latin_hypercube_is_stratified() {
    for method in ["monte-carlo", "latin-hypercube"] {
        let text = SAMPLED.replace("METHOD", method);
        let s = sweep(&text);
        assert_eq!(s.len(), 12);
        assert_eq!(s.id(0), "s_s00");
        assert_eq!(s.id(11), "s_s11");
        let values = |s: &Sweep| -> Vec<Vec<f64>> {
            (0..s.len())
                .map(|i| s.values(i).iter().map(|(_, v)| float(v)).collect())
                .collect()
        };
        let a = values(&s);
        assert_eq!(
            a,
            values(&sweep(&text)),
            "{method}: same seed, same samples"
        );
        assert_ne!(
            a,
            values(&sweep(&text.replace("seed = 7", "seed = 8"))),
            "{method}: another seed, other samples"
        );
        for row in &a {
            assert!((0.03..=0.07).contains(&row[0]), "{row:?}");
            assert!((0.2..=0.8).contains(&row[1]), "{row:?}");
        }
        if method == "latin-hypercube" {
            for (d, (lo, hi)) in [(0.03, 0.07), (0.2, 0.8)].into_iter().enumerate() {
                let mut strata: Vec<usize> = a
                    .iter()
                    .map(|row| ((row[d] - lo) / (hi - lo) * 12.0) as usize)
                    .collect();
                strata.sort_unstable();
                assert_eq!(strata, (0..12).collect::<Vec<_>>(), "input {d}");
            }
        }
    }
    // An input's samples depend on its own path and the seed only: dropping the
    // other range leaves them unchanged.
    let both = sweep(&SAMPLED.replace("METHOD", "monte-carlo"));
    let one = sweep(&SAMPLED.replace("METHOD", "monte-carlo").replace(
        "[[vary]]\npath = \"firms.crowding\"\nrange = [0.2, 0.8]\n",
        "",
    ));
    assert_eq!(one.vary.len(), 1);
    for i in 0..12 {
        assert_eq!(both.values(i)[0], one.values(i)[0]);
    }
}

#[test]
fn grids_and_samples_combine_each_sample_with_each_grid_point() {
    let s = sweep(
        r#"
base = "reference"
id = "m"
[[vary]]
path = "firms.arrival_rate"
values = [6, 9]
[[vary]]
path = "regions[0].discount_rate"
range = [0.03, 0.07]
[samples]
n = 3
seed = 1
"#,
    );
    assert_eq!(s.len(), 6);
    assert_eq!(s.id(0), "m_arrival_rate-6_s0");
    assert_eq!(s.id(5), "m_arrival_rate-9_s2");
    // Sample k carries the same draw at every grid point.
    for k in 0..3 {
        assert_eq!(s.values(k)[1], s.values(3 + k)[1]);
    }
}

#[test]
fn list_shows_what_a_run_writes() {
    let t = TestDir::new();
    t.create(
        "rates.toml",
        r#"
base = "reference"
id = "r"
[[vary]]
path = "firms.arrival_rate"
values = [6, 9]
[[vary]]
paths = ["sharing[0].tax.shares.zhejiang", "sharing[0].tax.shares.jilin"]
name = "zj"
values = [[0.4, 0.6], [0.5, 0.5]]
"#,
    );
    let list = listed(&t, "rates.toml");
    let lines: Vec<&str> = list.lines().collect();
    assert_eq!(lines.len(), 5, "{list}");
    assert_eq!(
        lines[1],
        "r_arrival_rate-6_zj-0p5-0p5  firms.arrival_rate=6  sharing[0].tax.shares.zhejiang=0.5  sharing[0].tax.shares.jilin=0.5"
    );
    assert!(
        lines[4].starts_with("4 scenarios from rates.toml"),
        "{list}"
    );
    let listed: Vec<&str> = lines[..4]
        .iter()
        .map(|l| l.split_whitespace().next().expect("an id"))
        .collect();

    t.ok(&[
        "sweep",
        "rates.toml",
        "--paths",
        "40",
        "--horizon",
        "3",
        "--charts",
        "none",
        "--out",
        "out",
        "--quiet",
    ]);
    let mut folders: Vec<String> = std::fs::read_dir(t.join("out"))
        .expect("the output folder")
        .map(|e| {
            e.expect("an entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .filter(|n| n != "set")
        .collect();
    folders.sort();
    let mut sorted = listed.clone();
    sorted.sort_unstable();
    assert_eq!(folders, sorted);
    // The set's summary lists the variants in the sweep's order; sweep.csv says
    // which values each carries.
    let summary = t.read("out/set/summary.csv");
    let mut order: Vec<&str> = summary
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().expect("a cell"))
        .collect();
    order.dedup();
    assert_eq!(order, listed);
    let csv = t.read("out/set/sweep.csv");
    let mut expected = String::from("scenario,input,value,vary\n");
    for l in &lines[..4] {
        let mut cells = l.split("  ");
        let id = cells.next().expect("an id");
        for (k, cell) in cells.enumerate() {
            let (path, value) = cell.split_once('=').expect("path=value");
            // The rate is the first [[vary]]; the two shares move together in
            // the second.
            let vary = if k == 0 { 1 } else { 2 };
            expected.push_str(&format!("{id},{path},{value},{vary}\n"));
        }
    }
    assert_eq!(csv, expected);
    // Each folder's scenario.toml is the variant's text.
    let s = Sweep::load(&t.join("rates.toml")).expect("the sweep");
    assert_eq!(
        t.read(&format!("out/{}/scenario.toml", listed[2])),
        s.variant(2).text
    );
    // The variants' texts do not change between runs: a second run skips them all.
    let again = t.ok(&[
        "sweep",
        "rates.toml",
        "--paths",
        "40",
        "--horizon",
        "3",
        "--charts",
        "none",
        "--out",
        "out",
    ]);
    let stderr = String::from_utf8_lossy(&again.stderr);
    assert_eq!(stderr.matches("skipped r_").count(), 4, "{stderr}");
}

/// A sweep file with `body` after `base = "reference"`, refused with exit 2; its
/// problem lines.
fn refused(t: &TestDir, body: &str) -> Vec<String> {
    t.create("bad.toml", &format!("base = \"reference\"\n{body}"));
    let stderr = bad_input(&t.cmd(&["sweep", "bad.toml", "--list"]));
    problem_lines(&stderr, "bad.toml")
}

#[test]
fn bad_sweep_files_are_refused_with_file_line_and_field() {
    let t = TestDir::new();
    let p = refused(
        &t,
        "[[vary]]\npath = \"firms.arrival_rate\"\nvaluez = [1, 2]\n",
    );
    assert_problem(
        &p,
        "bad.toml",
        4,
        "vary[0].valuez",
        "unknown field `valuez`",
    );

    // Every unknown key, not only the first, with a suggestion where one is close.
    let p = refused(
        &t,
        "bogus = 1\n[[vary]]\npath = \"firms.arrival_rate\"\nvalue = [1, 2]\n",
    );
    assert_eq!(p.len(), 2, "{p:?}");
    assert_problem(&p, "bad.toml", 2, "bogus", "unknown field `bogus`");
    assert_problem(
        &p,
        "bad.toml",
        5,
        "vary[0].value",
        "unknown field `value`, expected one of `path`, `paths`, `name`, `values`, `range`; did you mean `values`?",
    );

    let p = refused(
        &t,
        "[[vary]]\npath = \"firms.arrival_rat\"\nvalues = [1, 2]\n",
    );
    assert_problem(
        &p,
        "bad.toml",
        3,
        "vary[0].path",
        "the base scenario has no `firms.arrival_rat`; did you mean `arrival_rate`?",
    );

    let p = refused(
        &t,
        "[[vary]]\npath = \"firms.arrival_rate\"\nvalues = [6, -1]\n",
    );
    assert_problem(
        &p,
        "bad.toml",
        4,
        "vary[0].values[1]",
        "with firms.arrival_rate = -1, variant jilin-zhejiang_arrival_rate-m1 is not a valid scenario: firms.arrival_rate:",
    );

    let p = refused(
        &t,
        "[[vary]]\npath = \"firms.arrival_rate\"\nvalues = [6, 2, 2.0]\n",
    );
    assert_problem(
        &p,
        "bad.toml",
        4,
        "vary[0].values[2]",
        "same id part `2`; their scenarios would share an id",
    );

    let p = refused(
        &t,
        "[[vary]]\npath = \"simulation.seed\"\nvalues = [1, 2]\n",
    );
    assert_problem(
        &p,
        "bad.toml",
        3,
        "vary[0].path",
        "`simulation.seed` cannot be varied",
    );

    let p = refused(
        &t,
        "[[vary]]\npath = \"firms.crowding\"\nrange = [0.1, 0.5]\n",
    );
    assert_problem(
        &p,
        "bad.toml",
        4,
        "vary[0].range",
        "expected a [samples] table",
    );

    // A field inside another varied field, in either order: the one set last
    // would undo the other, which would show in the set with no effect.
    let p = refused(
        &t,
        "[[vary]]\npath = \"firms.arrival_rate.max\"\nvalues = [14, 20]\n[[vary]]\npath = \"firms.arrival_rate\"\nvalues = [9, 10]\n",
    );
    assert_problem(
        &p,
        "bad.toml",
        6,
        "vary[1].path",
        "`firms.arrival_rate.max`, which is also varied, lies inside `firms.arrival_rate`; vary one of them",
    );
    let p = refused(
        &t,
        "[[vary]]\npath = \"firms.arrival_rate\"\nvalues = [9, 10]\n[[vary]]\npaths = [\"firms.crowding\", \"firms.arrival_rate.max\"]\nvalues = [1, 2]\n",
    );
    assert_problem(
        &p,
        "bad.toml",
        6,
        "vary[1].paths[1]",
        "`firms.arrival_rate.max` lies inside `firms.arrival_rate`, which is also varied; vary one of them",
    );

    // A base that cannot be read.
    t.create(
        "bad.toml",
        "id = \"x\"\nbase = \"nowhere.toml\"\n[[vary]]\npath = \"a\"\nvalues = [1]\n",
    );
    let stderr = bad_input(&t.cmd(&["sweep", "bad.toml"]));
    let p = problem_lines(&stderr, "bad.toml");
    assert_problem(&p, "bad.toml", 2, "base", "cannot read the base scenario");
}

/// Every bad value of a list is reported in one go: values that are not a number,
/// boolean or string (inf, nan) do not hide those that make no valid scenario,
/// nor does a bad first value hide the others.
#[test]
fn every_bad_value_of_a_list_is_reported_at_once() {
    let t = TestDir::new();
    let p = refused(
        &t,
        "[[vary]]\npath = \"regions[0].discount_rate\"\nvalues = [\"high\", true]\n",
    );
    assert_eq!(p.len(), 2, "{p:?}");
    assert_problem(
        &p,
        "bad.toml",
        4,
        "vary[0].values[0]",
        "with regions[0].discount_rate = high, variant jilin-zhejiang_discount_rate-high is not a valid scenario: regions[0].discount_rate: invalid type: string \"high\", expected a number",
    );
    assert_problem(
        &p,
        "bad.toml",
        4,
        "vary[0].values[1]",
        "with regions[0].discount_rate = true, variant jilin-zhejiang_discount_rate-true is not a valid scenario: regions[0].discount_rate: invalid type: boolean `true`",
    );

    let p = refused(
        &t,
        "[[vary]]\npath = \"firms.arrival_rate\"\nvalues = [5, -1, inf, nan, \"x\"]\n",
    );
    assert_eq!(p.len(), 4, "{p:?}");
    assert_problem(&p, "bad.toml", 4, "vary[0].values[1]", "found -1");
    assert_problem(
        &p,
        "bad.toml",
        4,
        "vary[0].values[2]",
        "expected a finite number, found inf",
    );
    assert_problem(
        &p,
        "bad.toml",
        4,
        "vary[0].values[3]",
        "expected a finite number, found NaN",
    );
    assert_problem(
        &p,
        "bad.toml",
        4,
        "vary[0].values[4]",
        "with firms.arrival_rate = x, variant",
    );
    // An array and a table are named as such ("found a array": exploratory test).
    let p = refused(
        &t,
        "[[vary]]\npath = \"firms.arrival_rate\"\nvalues = [5, [1, 2], { a = 1 }]\n",
    );
    assert_problem(
        &p,
        "bad.toml",
        4,
        "vary[0].values[1]",
        "expected a number, boolean or string, found an array",
    );
    assert_problem(
        &p,
        "bad.toml",
        4,
        "vary[0].values[2]",
        "expected a number, boolean or string, found a table",
    );

    // A bad first value in one list, with a second list: each list's bad
    // values are found against a valid variant.
    let p = refused(
        &t,
        "[[vary]]\npath = \"firms.arrival_rate\"\nvalues = [-1, 6, -2]\n[[vary]]\npath = \"regions[0].discount_rate\"\nvalues = [0.05, 7]\n",
    );
    assert_eq!(p.len(), 3, "{p:?}");
    assert_problem(
        &p,
        "bad.toml",
        4,
        "vary[0].values[0]",
        "with firms.arrival_rate = -1, variant jilin-zhejiang_arrival_rate-m1_discount_rate-0p05 is not a valid scenario",
    );
    assert_problem(&p, "bad.toml", 4, "vary[0].values[2]", "found -2");
    assert_problem(
        &p,
        "bad.toml",
        7,
        "vary[1].values[1]",
        "with regions[0].discount_rate = 7, variant jilin-zhejiang_arrival_rate-6_discount_rate-7",
    );

    // Beyond 20 bad values of a list, the rest are counted.
    let values: Vec<String> = (1..=25).map(|i| format!("-{i}")).collect();
    let p = refused(
        &t,
        &format!(
            "[[vary]]\npath = \"firms.arrival_rate\"\nvalues = [6, {}]\n",
            values.join(", ")
        ),
    );
    assert_eq!(p.len(), 21, "{p:?}");
    assert_problem(
        &p,
        "bad.toml",
        4,
        "vary[0].values",
        "5 more values of this list make no valid scenario either (only the first 20 are shown)",
    );
}

/// A value of the wrong type for a field that takes one of a few strings says
/// which strings and which value; a range over such a field is refused as such.
#[test]
fn a_number_for_a_field_of_named_choices_says_the_choices() {
    let t = TestDir::new();
    let p = refused(
        &t,
        "[[vary]]\npath = \"regions[0].role\"\nvalues = [\"source\", 0.1]\n",
    );
    assert_problem(
        &p,
        "bad.toml",
        4,
        "vary[0].values[1]",
        "with regions[0].role = 0.1, variant jilin-zhejiang_role-0p1 is not a valid scenario: regions[0].role: expected one of `source`, `host`, `other` (a string), found 0.1",
    );
    let p = refused(
        &t,
        "[[vary]]\npath = \"regions[0].role\"\nrange = [0.1, 0.2]\n[samples]\nn = 3\nseed = 1\n",
    );
    assert_eq!(p.len(), 1, "{p:?}");
    assert_problem(
        &p,
        "bad.toml",
        4,
        "vary[0].range",
        "a range gives numbers, but `regions[0].role` holds a string in the base scenario; list its values with `values` instead",
    );

    // The same in a scenario file.
    t.create(
        "role.toml",
        &common::REFERENCE.replacen("role = \"source\"", "role = true", 1),
    );
    let stderr = bad_input(&t.cmd(&["validate", "role.toml"]));
    let p = problem_lines(&stderr, "role.toml");
    assert!(
        p.iter().any(|l| l.ends_with(
            "regions[0].role: expected one of `source`, `host`, `other` (a string), found true"
        )),
        "{p:?}"
    );
}

/// Values that compare equal make one scenario twice: refused, as a value
/// repeated as written is.
#[test]
fn equal_values_of_a_list_are_refused() {
    let t = TestDir::new();
    let p = refused(
        &t,
        "[[vary]]\npath = \"firms.arrival_rate\"\nvalues = [2, -0.0, 0.0, 1.0, 1.0]\n",
    );
    assert_eq!(p.len(), 2, "{p:?}");
    assert_problem(
        &p,
        "bad.toml",
        4,
        "vary[0].values[2]",
        "expected each value once, found `0`, which equals values[1] (`-0`): both variants would be the same scenario",
    );
    assert_problem(
        &p,
        "bad.toml",
        4,
        "vary[0].values[4]",
        "expected each value once, found `1` again (as values[3]): both variants would be the same scenario",
    );
}

/// The arrival rates are close (8, 8.5 and 9 prospective firms a year, the
/// reference's mode being 9): the means of tax_total differ by about 1.4 standard
/// errors, so independent runs would often be out of order. On common random
/// numbers a path sees the same draws in each variant, apart from the firms the
/// higher rate adds (a few paths may reorder through crowding, which turns firms
/// away as land fills): the means are in order and nearly every path is.
#[test]
fn a_sweep_over_a_monotone_input_gives_a_monotone_set_summary() {
    let t = TestDir::new();
    t.create(
        "rates.toml",
        r#"
base = "reference"
id = "mono"
[[vary]]
path = "firms.arrival_rate"
name = "rate"
values = [8, 8.5, 9]
"#,
    );
    t.ok(&[
        "sweep",
        "rates.toml",
        "--paths",
        "300",
        "--horizon",
        "8",
        "--charts",
        "none",
        "--out",
        "out",
        "--quiet",
        "--keep-paths",
    ]);
    let summary = t.read("out/set/summary.csv");
    let means = |metric: &str| -> Vec<f64> {
        summary
            .lines()
            .filter(|l| l.contains(&format!(",all,park,{metric},")))
            .map(|l| {
                l.split(',')
                    .nth(4)
                    .and_then(|x| x.parse().ok())
                    .expect("a mean")
            })
            .collect()
    };
    for metric in ["tax_total", "firms_final", "gdp"] {
        let m = means(metric);
        assert_eq!(m.len(), 3, "{metric}: {summary}");
        assert!(
            m[0] < m[1] && m[1] < m[2],
            "{metric} is not increasing with the arrival rate: {m:?}"
        );
    }
    // Path by path.
    let tax = |id: &str| -> Vec<f64> {
        let text = t.read(&format!("out/{id}/paths_park.csv"));
        let mut r = csv::Reader::from_reader(text.as_bytes());
        let col = r
            .headers()
            .expect("a header")
            .iter()
            .position(|h| h == "tax_total")
            .expect("tax_total");
        r.records()
            .map(|row| row.expect("a row")[col].parse().expect("a number"))
            .collect()
    };
    let [a, b, c] = ["mono_rate-8", "mono_rate-8p5", "mono_rate-9"].map(tax);
    let ordered = (0..300).filter(|&p| a[p] <= b[p] && b[p] <= c[p]).count();
    assert!(ordered >= 270, "only {ordered} of 300 paths in order");
}

/// `--shard K/N` splits a sweep as it splits a run: the shards' partials, merged,
/// give the summary of the single run, and each shard writes the sweep table.
#[test]
fn a_sharded_sweep_merges_into_the_single_run() {
    let t = TestDir::new();
    t.create(
        "rates.toml",
        "base = \"reference\"\nid = \"sh\"\n[[vary]]\npath = \"firms.arrival_rate\"\nvalues = [6, 9]\n",
    );
    let common = [
        "--paths",
        "600",
        "--horizon",
        "3",
        "--charts",
        "none",
        "--quiet",
    ];
    let run = |extra: &[&str]| {
        let mut args = vec!["sweep", "rates.toml"];
        args.extend(common);
        args.extend(extra);
        t.ok(&args);
    };
    run(&["--out", "whole"]);
    run(&["--out", "parts", "--shard", "1/2"]);
    run(&["--out", "parts", "--shard", "2/2"]);
    t.ok(&[
        "merge", "parts", "--out", "parts", "--charts", "none", "--quiet",
    ]);
    assert_eq!(
        t.read("parts/set/summary.csv"),
        t.read("whole/set/summary.csv")
    );
    assert_eq!(t.read("parts/set/sweep.csv"), t.read("whole/set/sweep.csv"));
    assert_eq!(
        t.read("parts/sh_arrival_rate-9/summary.csv"),
        t.read("whole/sh_arrival_rate-9/summary.csv")
    );
}

#[test]
fn the_bundled_sweeps_load() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/sweeps");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("scenarios/sweeps")
        .map(|e| e.expect("an entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    assert!(files.len() >= 2, "{files:?}");
    for f in files {
        let s = Sweep::load(&f).unwrap_or_else(|e| panic!("{e}"));
        assert!(s.len() >= 2, "{}", f.display());
        // The first and the last variant load as scenarios.
        for i in [0, s.len() - 1] {
            s.scenario(i).unwrap_or_else(|e| panic!("{e}"));
        }
    }
}

/// A set of 1,000 scenarios or more says, before its long check, that it is
/// checking them (here every one is then refused, which the check finds).
#[test]
fn a_large_sweep_says_it_checks_its_scenarios_first() {
    let t = TestDir::new();
    let values: Vec<String> = (0..1000)
        .map(|i| format!("{}", 1.0 + f64::from(i) / 1000.0))
        .collect();
    t.create(
        "big.toml",
        &format!(
            "base = \"reference\"\nid = \"big\"\n[[vary]]\npath = \"firms.crowding\"\nvalues = [{}]\n",
            values.join(", ")
        ),
    );
    let out = t.cmd(&["sweep", "big.toml", "--max-work", "1", "--out", "out"]);
    let stderr = bad_input(&out);
    assert!(
        stderr.starts_with(
            "checking the 1000 scenarios before any runs (each loads and is held to the limits)…\n"
        ),
        "{}",
        &stderr[..stderr.len().min(300)]
    );
    // One refusal for the set, with its total and the largest scenarios (it
    // was one line per scenario, 1,000 alike).
    assert_eq!(stderr.matches("is above the budget of 1.00e0").count(), 1);
    assert!(
        stderr.contains("error: the set's 1000 scenarios: work of up to ")
            && stderr.contains(" (the most: big.toml (variant big_"),
        "{stderr}"
    );
}

/// SIGINT while a large sweep checks its variants stops it with the word the
/// run phase gives, and exit 130, having written nothing (the signal ended the
/// process outright: exploratory test).
#[test]
fn a_signal_while_checking_says_nothing_was_written() {
    use std::process::{Command, Stdio};
    let t = TestDir::new();
    t.create(
        "big.toml",
        "base = \"reference\"\nid = \"big\"\n[[vary]]\npath = \"regions[0].discount_rate\"\nrange = [0.03, 0.08]\n[samples]\nn = 30000\nseed = 1\n",
    );
    let child = Command::new(env!("CARGO_BIN_EXE_enclave"))
        .args([
            "sweep",
            "big.toml",
            "--paths",
            "256",
            "--summary-only",
            "--out",
            "out",
        ])
        .current_dir(t.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start enclave");
    // Checking 30,000 variants takes seconds; the handlers are in place long
    // before half of one.
    std::thread::sleep(std::time::Duration::from_millis(500));
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("run kill");
    assert!(status.success());
    let out = child.wait_with_output().expect("wait for enclave");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{stderr}");
    assert!(
        stderr.ends_with(
            "interrupted by SIGINT while checking the scenarios, before any ran: nothing was written\n"
        ),
        "{stderr}"
    );
    assert!(!t.exists("out"));
}

/// A sweep file given to `run` is named for what it is, not listed as a
/// scenario's missing fields.
#[test]
fn a_sweep_file_given_to_run_says_to_sweep_it() {
    let t = TestDir::new();
    t.create(
        "rates.toml",
        "base = \"reference\"\n[[vary]]\npath = \"firms.arrival_rate\"\nvalues = [8, 9]\n",
    );
    let stderr = bad_input(&t.cmd(&["run", "rates.toml", "--out", "out"]));
    assert_eq!(
        stderr,
        "error: rates.toml: a sweep file (`base` and `[[vary]]`), not a scenario: run it with `enclave sweep rates.toml`\n"
    );
}

/// The other way round: a scenario file given to `sweep`, or a sweep named as a
/// sweep's base, is named for what it is (it had been 14 and 8 unknown fields).
#[test]
fn a_scenario_given_to_sweep_and_a_sweep_as_a_base_say_what_they_are() {
    let t = TestDir::new();
    t.create("park.toml", common::REFERENCE);
    let stderr = bad_input(&t.cmd(&["sweep", "park.toml", "--list"]));
    assert_eq!(
        stderr,
        "error: park.toml: 1 problem found\n  park.toml: (file): a scenario file, not a sweep (`base` and `[[vary]]`): run it with `enclave run park.toml`, or name it as the `base` of a sweep file (docs/sweep.md)\n"
    );
    t.create(
        "inner.toml",
        "base = \"park.toml\"\n[[vary]]\npath = \"firms.crowding\"\nvalues = [0.1, 0.2]\n",
    );
    t.create(
        "outer.toml",
        "base = \"inner.toml\"\n[[vary]]\npath = \"firms.crowding\"\nvalues = [0.3]\n",
    );
    let stderr = bad_input(&t.cmd(&["sweep", "outer.toml", "--list"]));
    assert!(
        stderr.contains("outer.toml:1: base: ")
            && stderr
                .contains("inner.toml is a sweep file; the base of a sweep is a scenario file"),
        "{stderr}"
    );
    assert_eq!(problem_lines(&stderr, "outer.toml").len(), 1, "{stderr}");
    // A variant's warning names its base, whose line it gives.
    t.create(
        "wage.toml",
        "base = \"park.toml\"\nid = \"w\"\n[[vary]]\npath = \"firms.average_wage\"\nname = \"wage\"\nvalues = [0.07, 70000]\n",
    );
    let out = t.ok(&["validate", "park.toml"]);
    assert!(out.status.success());
    let line = common::REFERENCE
        .lines()
        .position(|l| l.starts_with("average_wage = "))
        .expect("average_wage")
        + 1;
    let out = t.ok(&[
        "sweep",
        "wage.toml",
        "--paths",
        "100",
        "--horizon",
        "2",
        "--summary-only",
        "--quiet",
        "--out",
        "out",
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!(
            "wage.toml (variant w_wage-70000 of park.toml):{line}: warning: firms.average_wage"
        )),
        "{stderr}"
    );
}

/// `--list` keeps one line a variant: a string value's newline is escaped.
#[test]
fn list_escapes_a_newline_in_a_value() {
    let t = TestDir::new();
    t.create(
        "names.toml",
        "base = \"reference\"\n[[vary]]\npath = \"scenario.name\"\nvalues = [\"a\\nb\", \"c\"]\n",
    );
    let out = t.ok(&["sweep", "names.toml", "--list"]);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "jilin-zhejiang_name-a-b  scenario.name=a\\nb\njilin-zhejiang_name-c  scenario.name=c\n2 scenarios from names.toml (base: the bundled reference scenario)\n",
        "the bundled base is no file under the current folder"
    );
}

/// `--paths` and `--horizon` set every variant's value of a swept
/// `simulation.paths` or `simulation.horizon`: the variants ran alike while their
/// ids and the set's tables said otherwise (exploratory test). Refused, naming the
/// field and the flag; without the flag the sweep runs, and `--list` only lists.
#[test]
fn a_flag_that_would_undo_a_swept_setting_is_refused() {
    let t = TestDir::new();
    t.create(
        "horizon.toml",
        "base = \"reference\"\nid = \"h\"\n[[vary]]\npath = \"simulation.horizon\"\nvalues = [3, 4]\n",
    );
    t.create(
        "paths.toml",
        "base = \"reference\"\nid = \"p\"\n[[vary]]\npath = \"simulation.paths\"\nvalues = [200, 300]\n",
    );
    let stderr = bad_input(&t.cmd(&[
        "sweep",
        "horizon.toml",
        "--horizon",
        "5",
        "--paths",
        "200",
        "--out",
        "out",
    ]));
    assert!(
        stderr.contains(
            "horizon.toml: the sweep varies `simulation.horizon`, and --horizon sets it for every variant"
        ),
        "{stderr}"
    );
    let stderr = bad_input(&t.cmd(&["sweep", "paths.toml", "--paths", "300", "--out", "out"]));
    assert!(
        stderr.contains("varies `simulation.paths`, and --paths sets it"),
        "{stderr}"
    );
    assert!(!t.exists("out/set"));
    t.ok(&["sweep", "paths.toml", "--paths", "300", "--list"]);
    t.ok(&[
        "sweep",
        "horizon.toml",
        "--paths",
        "200",
        "--summary-only",
        "--quiet",
        "--out",
        "out",
    ]);
    let runs = t.read("out/set/runs.csv");
    assert!(
        runs.contains(",200,3,") && runs.contains(",200,4,"),
        "{runs}"
    );
}

/// The fields of one `[[vary]]` with `paths` move together: sweep.csv gives them
/// one `vary` number, and the set page charts them once, without the note that
/// other inputs vary (it drew each chart once per field, each saying so:
/// exploratory test). A sharded run merges into the same sweep.csv.
#[test]
fn fields_varied_together_are_charted_once() {
    let t = TestDir::new();
    t.create(
        "split.toml",
        "base = \"reference\"\nid = \"s\"\n[[vary]]\npaths = [\"sharing[0].tax.shares.zhejiang\", \"sharing[0].tax.shares.jilin\"]\nname = \"z\"\nvalues = [[0.3, 0.7], [0.5, 0.5]]\n",
    );
    let run = |out: &str, extra: &[&str]| {
        let mut args = vec![
            "sweep",
            "split.toml",
            "--paths",
            "100",
            "--horizon",
            "3",
            "--summary-only",
            "--quiet",
            "--out",
            out,
        ];
        args.extend(extra);
        t.ok(&args);
    };
    run("out", &[]);
    let csv = t.read("out/set/sweep.csv");
    assert_eq!(
        csv,
        "scenario,input,value,vary\n\
         s_z-0p3-0p7,sharing[0].tax.shares.zhejiang,0.3,1\n\
         s_z-0p3-0p7,sharing[0].tax.shares.jilin,0.7,1\n\
         s_z-0p5-0p5,sharing[0].tax.shares.zhejiang,0.5,1\n\
         s_z-0p5-0p5,sharing[0].tax.shares.jilin,0.5,1\n"
    );
    let page = t.read("out/set/report.html");
    let figures = page.matches("<figure id=\"sweep-").count();
    let alternatives = Scenario::reference().expect("reference").alternatives.len();
    assert_eq!(
        figures,
        alternatives + 1,
        "one chart per alternative and the park"
    );
    assert!(!page.contains("Other inputs vary"), "a single input");
    assert!(page.contains("sharing[0].tax.shares.zhejiang, sharing[0].tax.shares.jilin"));
    for k in 1..=2 {
        run("parts", &["--shard", &format!("{k}/2")]);
    }
    t.ok(&["merge", "parts", "--out", "merged", "--quiet"]);
    assert_eq!(t.read("merged/set/sweep.csv"), csv);
}

/// A `[[vary]]` whose first field stays put while the second moves is charted
/// against the second: charted against the first, all three variants sat at one
/// point x = 0.05, two of them as rings, on an axis of −0.4 to 0.4, and the page
/// did not say it had averaged them (exploratory test). Fields that take more
/// combinations than the charted one has values say that points average them.
#[test]
fn a_vary_is_charted_against_a_field_that_moves() {
    let t = TestDir::new();
    let sweep = |values: &str| {
        format!(
            "base = \"reference\"\nid = \"dr\"\n[[vary]]\npaths = [\"regions[0].discount_rate\", \"regions[1].discount_rate\"]\nname = \"rates\"\nvalues = {values}\n"
        )
    };
    t.create(
        "still.toml",
        &sweep("[[0.05, 0.03], [0.05, 0.05], [0.05, 0.08]]"),
    );
    t.create(
        "mixed.toml",
        &sweep("[[0.05, 0.03], [0.06, 0.03], [0.05, 0.08]]"),
    );
    let run = |file: &str, out: &str| {
        t.ok(&[
            "sweep",
            file,
            "--paths",
            "50",
            "--horizon",
            "3",
            "--summary-only",
            "--quiet",
            "--out",
            out,
        ]);
        t.read(&format!("{out}/set/report.html"))
    };
    let page = run("still.toml", "still");
    // The moving field leads: named first, and each variant is its own point.
    assert!(
        page.contains("regions[1].discount_rate, regions[0].discount_rate"),
        "charted against the field that moves"
    );
    assert!(!page.contains("The other fields of this input"), "{page}");
    // The x axis carries the lead's values, and names it alone.
    let axis = |name: &str| format!(">\n{name}\n</text>");
    assert!(page.contains(&axis("regions[1].discount_rate")), "{page}");
    assert!(!page.contains(&axis("regions[1].discount_rate, regions[0].discount_rate")));
    let together = "The other fields of this input's [[vary]] take more than one value";
    // Two values of the first field, three combinations: the page says a point
    // averages variants.
    let page = run("mixed.toml", "mixed");
    assert!(page.contains("regions[0].discount_rate, regions[1].discount_rate"));
    assert!(
        page.contains(together),
        "points averaging variants are said to"
    );
    // With another [[vary]] too, both are said (the one replaced the other:
    // exploratory test).
    t.create(
        "both.toml",
        &format!(
            "{}[[vary]]\npath = \"firms.crowding\"\nvalues = [1.0, 1.5]\n",
            sweep("[[0.05, 0.03], [0.06, 0.03], [0.05, 0.08]]")
        ),
    );
    let page = run("both.toml", "both");
    assert!(page.contains(together) && page.contains("Other inputs vary in this sweep too"));
}

/// A variant that changes an alternative's formula keeps its name (the set
/// compares it across variants) and says in its description what it carries: a
/// 30:70 variant of "fixed 50:50" read "local retained tax split evenly" in its
/// report (exploratory test). The variant's lines stay the base's.
#[test]
fn a_varied_alternative_says_what_the_variant_carries() {
    let s = sweep(
        r#"
base = "reference"
id = "s"
[[vary]]
paths = ["sharing[0].tax.shares.zhejiang", "sharing[0].tax.shares.jilin"]
name = "z"
values = [[0.3, 0.7]]
[[vary]]
path = "regions[0].discount_rate"
values = [0.05]
"#,
    );
    let (variant, scn) = s.scenario(0).unwrap_or_else(|e| panic!("{e}"));
    let base = Scenario::reference().expect("reference");
    assert_eq!(scn.alternatives[0].name, base.alternatives[0].name);
    assert_eq!(
        scn.alternatives[0].description,
        format!(
            "{} (in this variant sharing[0].tax.shares.zhejiang = 0.3, sharing[0].tax.shares.jilin = 0.7)",
            base.alternatives[0].description
        )
    );
    // Only the alternative the variant changes.
    for (a, b) in scn.alternatives.iter().zip(&base.alternatives).skip(1) {
        assert_eq!(a.description, b.description);
    }
    assert_eq!(
        variant.text.lines().count(),
        common::REFERENCE.lines().count()
    );
    // A description over several lines stays as it is, so that the variant's
    // lines stay the base's.
    let t = TestDir::new();
    let base = common::REFERENCE.replacen(
        &format!("description = {:?}", base.alternatives[0].description),
        "description = \"\"\"\nsplit\nevenly\"\"\"",
        1,
    );
    assert_ne!(base, common::REFERENCE, "the description was replaced");
    t.create("base.toml", &base);
    t.create(
        "multi.toml",
        "base = \"base.toml\"\nid = \"m\"\n[[vary]]\npath = \"sharing[0].tax.shares.zhejiang\"\nvalues = [0.3]\n[[vary]]\npath = \"sharing[0].tax.shares.jilin\"\nvalues = [0.7]\n",
    );
    let multi = Sweep::load(&t.join("multi.toml")).expect("loads");
    let (variant, scn) = multi.scenario(0).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(scn.alternatives[0].description, "split\nevenly");
    assert_eq!(variant.text.lines().count(), base.lines().count());
}

/// Sampled whole numbers that must repeat are said: four samples of a horizon
/// in 5..=6 gave three variants of one value without a word (exploratory test).
#[test]
fn samples_that_must_repeat_are_said() {
    let t = TestDir::new();
    let file = |name: &str, vary: &str, n: u32| {
        t.create(
            name,
            &format!("base = \"reference\"\nid = \"h\"\n{vary}\n[samples]\nn = {n}\nseed = 1\n"),
        );
    };
    let horizon = "[[vary]]\npath = \"simulation.horizon\"\nrange = [5, 6]";
    let warned = |name: &str| {
        let out = t.ok(&["sweep", name, "--list"]);
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    file("four.toml", horizon, 4);
    let e = warned("four.toml");
    assert!(
        e.contains("four.toml: the sampled fields take whole numbers, at most 2 combinations of them, so 4 samples repeat values"),
        "{e}"
    );
    file("two.toml", horizon, 2);
    assert_eq!(warned("two.toml"), "");
    // A number that is not whole varies with it: no two variants need be alike.
    let both =
        format!("{horizon}\n[[vary]]\npath = \"regions[0].discount_rate\"\nrange = [0.04, 0.06]");
    file("both.toml", &both, 4);
    assert_eq!(warned("both.toml"), "");
    // Two whole-number ranges: 2 × 3 combinations.
    let two = format!("{horizon}\n[[vary]]\npath = \"simulation.paths\"\nrange = [100, 102]");
    file("six.toml", &two, 7);
    assert!(warned("six.toml").contains("at most 6 combinations of them, so 7 samples"));
    file("six_ok.toml", &two, 6);
    assert_eq!(warned("six_ok.toml"), "");
    // The set page says so too (it was said on stderr alone), with how many.
    t.ok(&[
        "sweep",
        "four.toml",
        "--paths",
        "20",
        "--summary-only",
        "--quiet",
        "--out",
        "out",
    ]);
    let sweep = t.read("out/set/sweep.csv");
    // One row per variant and input: scenario,input,value,vary.
    let horizons: Vec<&str> = sweep
        .lines()
        .skip(1)
        .filter_map(|l| l.split(',').nth(2))
        .collect();
    assert_eq!(horizons.len(), 4, "{sweep}");
    let distinct: std::collections::BTreeSet<&str> = horizons.iter().copied().collect();
    let repeats = horizons.len() - distinct.len();
    assert!(repeats > 0, "{sweep}");
    assert!(
        t.read("out/set/report.html").contains(&format!(
            "{repeats} of the 4 variants carry the same inputs as another"
        )),
        "{sweep}"
    );
}

/// The reference scenario with its regions' ids in Chinese, 浙江 and 吉林, as a
/// scenario file writes them: quoted as keys, as any string elsewhere.
fn chinese_reference() -> String {
    common::REFERENCE
        .replace("\"zhejiang\"", "\"浙江\"")
        .replace("\"jilin\"", "\"吉林\"")
        .replace("zhejiang = ", "\"浙江\" = ")
        .replace("jilin = ", "\"吉林\" = ")
}

/// A region id in Chinese is a key of the share tables: a sweep names it
/// plainly, as problem messages write field paths, or quoted, as in TOML (the
/// sweep refused both: exploratory test). The values land on that region's
/// share and nowhere else, `--list` and sweep.csv write the path plainly, and
/// the id is named by the last key an id can hold (`shares`).
#[test]
fn a_sweep_varies_a_share_under_a_region_id_in_chinese() {
    let t = TestDir::new();
    t.create("cn.toml", &chinese_reference());
    t.create(
        "split.toml",
        r#"
base = "cn.toml"
id = "cn"
[[vary]]
paths = ["sharing[0].tax.shares.浙江", "sharing[0].tax.shares.\"吉林\""]
values = [[0.3, 0.7], [0.7, 0.3]]
"#,
    );
    let list = listed(&t, "split.toml");
    let lines: Vec<&str> = list.lines().collect();
    assert_eq!(lines.len(), 3, "{list}");
    assert_eq!(
        lines[..2],
        [
            "cn_shares-0p3-0p7  sharing[0].tax.shares.浙江=0.3  sharing[0].tax.shares.吉林=0.7",
            "cn_shares-0p7-0p3  sharing[0].tax.shares.浙江=0.7  sharing[0].tax.shares.吉林=0.3",
        ]
    );
    assert!(
        lines[2].starts_with("2 scenarios from split.toml"),
        "{list}"
    );

    // The expanded scenario sets these two shares of the first alternative, and
    // no other (the fifth alternative's inner split keeps 0.6 and 0.4).
    let s = Sweep::load(&t.join("split.toml")).unwrap_or_else(|e| panic!("{e}"));
    let text: toml::Table = s.variant(0).text.parse().expect("TOML");
    let shares = |k: usize| text["sharing"][k]["tax"].clone();
    assert_eq!(shares(0)["shares"]["浙江"].as_float(), Some(0.3));
    assert_eq!(shares(0)["shares"]["吉林"].as_float(), Some(0.7));
    assert_eq!(shares(4)["inner"]["shares"]["浙江"].as_float(), Some(0.6));
    assert_eq!(shares(4)["inner"]["shares"]["吉林"].as_float(), Some(0.4));
    let (_, scn) = s.scenario(1).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(scn.id, "cn_shares-0p7-0p3");

    t.ok(&[
        "sweep",
        "split.toml",
        "--paths",
        "40",
        "--horizon",
        "4",
        "--summary-only",
        "--quiet",
        "--out",
        "out",
    ]);
    assert_eq!(
        t.read("out/set/sweep.csv"),
        "scenario,input,value,vary\n\
         cn_shares-0p3-0p7,sharing[0].tax.shares.浙江,0.3,1\n\
         cn_shares-0p3-0p7,sharing[0].tax.shares.吉林,0.7,1\n\
         cn_shares-0p7-0p3,sharing[0].tax.shares.浙江,0.7,1\n\
         cn_shares-0p7-0p3,sharing[0].tax.shares.吉林,0.3,1\n"
    );
    // On common random numbers the tax pool is the same in both variants: under
    // the first alternative, what 浙江 gains from the larger share is what 吉林
    // loses, and under another alternative nothing changes.
    let summary = t.read("out/set/summary.csv");
    let npv = |id: &str, alternative: &str, region: &str| -> f64 {
        let prefix = format!("{id},{alternative},{region},npv,");
        summary
            .lines()
            .find_map(|l| l.strip_prefix(&prefix))
            .and_then(|rest| rest.split(',').next()?.parse().ok())
            .unwrap_or_else(|| panic!("no row {prefix} in {summary}"))
    };
    let [low, high] = ["cn_shares-0p3-0p7", "cn_shares-0p7-0p3"];
    let gain = npv(high, "fixed 50:50", "浙江") - npv(low, "fixed 50:50", "浙江");
    let loss = npv(low, "fixed 50:50", "吉林") - npv(high, "fixed 50:50", "吉林");
    assert!(gain > 0.0, "{summary}");
    assert!((gain - loss).abs() < 1e-9 * gain, "{gain} {loss}");
    for region in ["浙江", "吉林"] {
        let [a, b] = [low, high].map(|id| npv(id, "by equity", region));
        assert_eq!(a.to_bits(), b.to_bits(), "{region}: {a} {b}");
    }
}

/// A key in Chinese that the base does not have is refused as an ASCII one is:
/// the sweep file, its line, the vary entry and the path as written, with the
/// nearest key when one is close (the region's name for its id); a quoted key is
/// the same field as the key written plainly.
#[test]
fn a_wrong_key_in_chinese_is_refused_naming_it() {
    let t = TestDir::new();
    t.create("cn.toml", &chinese_reference());
    t.create(
        "bad.toml",
        "base = \"cn.toml\"\n[[vary]]\npath = \"sharing[0].tax.shares.浙江省\"\nvalues = [0.3, 0.7]\n[[vary]]\npaths = [\"sharing[1].name\", \"sharing[0].tax.shares.'吉 林'\"]\nvalues = [[\"a\", 0.3]]\n[[vary]]\npaths = [\"sharing[0].tax.shares.吉林\", \"sharing[0].tax.shares.\\\"吉林\\\"\"]\nvalues = [[0.3, 0.7]]\n",
    );
    let stderr = bad_input(&t.cmd(&["sweep", "bad.toml", "--list"]));
    let p = problem_lines(&stderr, "bad.toml");
    assert_eq!(p.len(), 3, "{p:?}");
    assert_problem(
        &p,
        "bad.toml",
        3,
        "vary[0].path",
        "the base scenario has no `sharing[0].tax.shares.浙江省`; did you mean `浙江`?",
    );
    assert_problem(
        &p,
        "bad.toml",
        6,
        "vary[1].paths[1]",
        "the base scenario has no `sharing[0].tax.shares.\"吉 林\"`",
    );
    assert_problem(
        &p,
        "bad.toml",
        9,
        "vary[2].paths[1]",
        "`sharing[0].tax.shares.吉林` is varied twice; vary it once",
    );
}

/// A string value in Chinese cannot stand in an id (ASCII only, it names a
/// folder): it is named by its place in the list, so that 吉林 and 浙江 do not
/// both come out as `--` (the sweep was refused for ids it made alike).
#[test]
fn string_values_in_chinese_give_distinct_ids() {
    let t = TestDir::new();
    t.create("cn.toml", &chinese_reference());
    t.create(
        "bearer.toml",
        "base = \"cn.toml\"\nid = \"cn\"\n[[vary]]\npath = \"costs.land_acquisition.bearer\"\nvalues = [\"吉林\", \"浙江\", \"company\"]\n",
    );
    let list = listed(&t, "bearer.toml");
    let lines: Vec<&str> = list.lines().collect();
    assert_eq!(
        lines[..3],
        [
            "cn_bearer-v0  costs.land_acquisition.bearer=吉林",
            "cn_bearer-v1  costs.land_acquisition.bearer=浙江",
            "cn_bearer-company  costs.land_acquisition.bearer=company",
        ],
        "{list}"
    );
    let s = Sweep::load(&t.join("bearer.toml")).unwrap_or_else(|e| panic!("{e}"));
    let (v, _) = s.scenario(1).unwrap_or_else(|e| panic!("{e}"));
    assert!(v.text.contains("bearer = \"浙江\""), "{}", v.text);
}

/// A refusal of each of a sweep's many variants (their memory, which counts per
/// scenario) prints the first few and counts the rest, not one line a variant
/// (200 alike for a tester's 200-variant sweep).
#[test]
fn many_refused_variants_are_counted_not_each_printed() {
    let t = TestDir::new();
    let values: Vec<String> = (0..60)
        .map(|i| format!("{}", 1.0 + f64::from(i) / 100.0))
        .collect();
    t.create(
        "many.toml",
        &format!(
            "base = \"reference\"\nid = \"many\"\n[[vary]]\npath = \"firms.crowding\"\nvalues = [{}]\n",
            values.join(", ")
        ),
    );
    let out = t.cmd(&[
        "sweep",
        "many.toml",
        "--max-memory",
        "1K",
        "--out",
        "out",
        "--horizon",
        "3",
    ]);
    let stderr = bad_input(&out);
    assert_eq!(
        stderr.matches("above the budget of 1 KiB").count(),
        20,
        "{stderr}"
    );
    assert!(
        stderr.contains("error: … and 40 more problems of the set's scenarios (60 in all)"),
        "{stderr}"
    );
}

/// A shard's work refusal names, among the scenarios of most work, only those
/// with paths in the shard (one with none was listed at 0.00e0: exploratory test).
#[test]
fn a_shards_refusal_names_no_scenario_it_does_not_hold() {
    let t = TestDir::new();
    let values: Vec<String> = (0..10)
        .map(|i| format!("{}", 1.0 + f64::from(i) / 10.0))
        .collect();
    t.create(
        "ten.toml",
        &format!(
            "base = \"reference\"\nid = \"ten\"\n[[vary]]\npath = \"firms.crowding\"\nvalues = [{}]\n",
            values.join(", ")
        ),
    );
    let out = t.cmd(&[
        "sweep",
        "ten.toml",
        "--paths",
        "1000",
        "--horizon",
        "3",
        "--max-work",
        "1",
        "--shard",
        "5/10",
        "--out",
        "out",
    ]);
    let stderr = bad_input(&out);
    assert!(stderr.contains("(the most: "), "{stderr}");
    assert!(!stderr.contains(" 0.00e0"), "{stderr}");
}
