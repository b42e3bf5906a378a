//! Common random numbers by name (MODEL.md §10, docs/model.md §10): what stays
//! common between variants of a scenario, each property a test.

mod common;

use std::collections::BTreeMap;

use common::{REFERENCE, TestDir};
use enclave::engine::{self, Layout, PathScratch};
use enclave::scenario::Scenario;
use enclave::schema::RegionMetric;
use enclave::streams::Streams;

fn parse(text: &str) -> Scenario {
    Scenario::parse(text, "variant.toml").unwrap_or_else(|e| panic!("{e}"))
}

/// Region metric `m` of region `r` under alternative `a` on paths `0..n`, one by one.
fn per_path(scn: &Scenario, a: usize, r: usize, m: RegionMetric, n: u64) -> Vec<f64> {
    let horizon = scn.simulation.horizon;
    let streams = Streams::new(scn.simulation.seed, &scn.params);
    let layout = Layout::new(scn, horizon);
    let mut scratch = PathScratch::default();
    let mut record = vec![0.0; layout.len()];
    (0..n)
        .map(|p| {
            engine::run_path(scn, horizon, &streams, p, &mut scratch, &mut record);
            record[layout.region_metric(a, r, m)]
        })
        .collect()
}

/// Runs `enclave run` on each text in its own folder and returns the folders.
fn run_all(t: &TestDir, texts: &[(&str, String)], extra: &[&str]) {
    for (name, text) in texts {
        let file = format!("{name}.toml");
        t.create(&file, text);
        let out = format!("out-{name}");
        let mut args = vec!["run", file.as_str(), "--out", out.as_str(), "--quiet"];
        args.extend_from_slice(&["--charts", "none"]);
        args.extend_from_slice(extra);
        let o = t.cmd(&args);
        assert!(
            o.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
}

const ID: &str = "jilin-zhejiang";

fn read(t: &TestDir, name: &str, file: &str) -> String {
    t.read(&format!("out-{name}/{ID}/{file}"))
}

#[test]
fn comments_formatting_key_order_and_unrelated_fields_change_no_draw() {
    // Comments and blank lines everywhere, spacing around '=', the description, and
    // the [macro] table moved to the end of the file.
    let edited = REFERENCE.replace(
        "description = \"Zhejiang",
        "description = \"Edited: Zhejiang",
    );
    let mut text: String = edited
        .lines()
        .map(|l| {
            let l = l.replacen(" = ", "   =  ", 1);
            format!("{l}\n# a comment line\n\n")
        })
        .collect();
    let start = text.find("[macro]").expect("a [macro] table");
    let end = start + text[start..].find("[taxes]").expect("[taxes] follows");
    let table = text[start..end].to_owned();
    text.replace_range(start..end, "");
    text.push_str(&table);
    assert!(parse(&text).description != parse(REFERENCE).description);

    let t = TestDir::new();
    let args = ["--paths", "1300", "--horizon", "12", "--keep-paths"];
    run_all(
        &t,
        &[("a", REFERENCE.to_owned()), ("b", text.clone())],
        &args,
    );
    for file in [
        "summary.csv",
        "timeseries.csv",
        "distribution.csv",
        "paths.csv",
        "paths_inputs.csv",
    ] {
        assert!(
            read(&t, "a", file) == read(&t, "b", file),
            "{file} differs between two formattings of one scenario"
        );
    }
    // The scenario copy and its hash are the only things that may differ.
    assert_ne!(
        read(&t, "a", "scenario.toml"),
        read(&t, "b", "scenario.toml")
    );
}

#[test]
fn changing_one_input_leaves_every_other_draw_unchanged() {
    let variant = REFERENCE.replace(
        "displacement = { dist = \"uniform\", min = 0.1, max = 0.5 }",
        "displacement = { dist = \"triangular\", min = 0.2, mode = 0.3, max = 0.9 }",
    );
    assert_ne!(variant, REFERENCE);
    let t = TestDir::new();
    run_all(
        &t,
        &[("a", REFERENCE.to_owned()), ("b", variant)],
        &["--paths", "300", "--horizon", "8", "--keep-paths"],
    );
    let columns = |name: &str| -> BTreeMap<String, Vec<String>> {
        let text = read(&t, name, "paths_inputs.csv");
        let mut lines = text.lines();
        let header: Vec<String> = lines
            .next()
            .expect("header")
            .split(',')
            .map(str::to_owned)
            .collect();
        let mut cols: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for line in lines {
            for (h, v) in header.iter().zip(line.split(',')) {
                cols.entry(h.clone()).or_default().push(v.to_owned());
            }
        }
        cols
    };
    let (a, b) = (columns("a"), columns("b"));
    assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>());
    assert!(a.len() > 5, "the reference scenario has uncertain inputs");
    for (name, values) in &a {
        if name == "firms.displacement" {
            assert_ne!(values, &b[name], "the changed input changes");
        } else {
            assert_eq!(values, &b[name], "{name} changed with firms.displacement");
        }
    }
}

/// The rows of a CSV file that belong to alternative `alt` (second column).
fn rows_of(text: &str, alt: &str) -> Vec<String> {
    text.lines()
        .filter(|l| l.split(',').nth(1) == Some(alt))
        .map(str::to_owned)
        .collect()
}

#[test]
fn adding_removing_or_editing_an_alternative_leaves_the_others_alone() {
    let scn = parse(REFERENCE);
    let names: Vec<String> = scn.alternatives.iter().map(|a| a.name.clone()).collect();
    let first = REFERENCE.find("[[sharing]]").expect("alternatives");
    let second = first + 1 + REFERENCE[first + 1..].find("[[sharing]]").expect("two");
    // Without the first alternative; with a copy of the first one renamed and edited.
    let removed = format!("{}{}", &REFERENCE[..first], &REFERENCE[second..]);
    let copy = REFERENCE[first..second].replacen(
        &format!("name = \"{}\"", names[0]),
        "name = \"an added one\"",
        1,
    );
    assert!(copy.contains("an added one"));
    let added = format!("{REFERENCE}\n{copy}");
    // The first alternative's tax split edited in place.
    let split = "tax = { kind = \"fixed\", shares = { zhejiang = 0.5, jilin = 0.5 } }";
    assert!(REFERENCE[first..second].contains(split));
    let edited = format!(
        "{}{}{}",
        &REFERENCE[..first],
        REFERENCE[first..second].replacen(
            split,
            "tax = { kind = \"fixed\", shares = { zhejiang = 0.7, jilin = 0.3 } }",
            1
        ),
        &REFERENCE[second..]
    );
    let t = TestDir::new();
    // More paths than the exact cap, so the binned quantiles are compared too.
    run_all(
        &t,
        &[
            ("a", REFERENCE.to_owned()),
            ("removed", removed),
            ("added", added),
            ("edited", edited),
        ],
        &["--paths", "1500", "--horizon", "12"],
    );
    for file in ["summary.csv", "timeseries.csv", "distribution.csv"] {
        let base = read(&t, "a", file);
        for other in ["removed", "added", "edited"] {
            let text = read(&t, other, file);
            for alt in &names[1..] {
                let rows = rows_of(&base, alt);
                assert!(!rows.is_empty(), "{file} has rows of {alt}");
                assert_eq!(rows, rows_of(&text, alt), "{file}: {alt} moved in {other}");
            }
            assert_eq!(
                rows_of(&base, "all"),
                rows_of(&text, "all"),
                "{file}: park rows"
            );
        }
    }
    assert!(rows_of(&read(&t, "added", "summary.csv"), "an added one").len() > 10);
    assert!(rows_of(&read(&t, "removed", "summary.csv"), &names[0]).is_empty());
    assert_ne!(
        rows_of(&read(&t, "edited", "summary.csv"), &names[0]),
        rows_of(&read(&t, "a", "summary.csv"), &names[0]),
        "the edited alternative's own results change"
    );
}

fn sd(v: &[f64]) -> f64 {
    let n = v.len() as f64;
    let mean = v.iter().sum::<f64>() / n;
    (v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt()
}

/// Index of region `id`.
fn region(scn: &Scenario, id: &str) -> usize {
    scn.regions
        .iter()
        .position(|r| r.id == id)
        .unwrap_or_else(|| panic!("no region {id}"))
}

fn with_arrival_mode(mode: f64) -> Scenario {
    let line = "arrival_rate = { dist = \"triangular\", min = 5, mode = 9, max = 14 }";
    assert!(REFERENCE.contains(line));
    parse(&REFERENCE.replace(
        line,
        &format!("arrival_rate = {{ dist = \"triangular\", min = 5, mode = {mode}, max = 14 }}"),
    ))
}

#[test]
fn variants_share_their_futures_so_differences_are_sharp() {
    // Two variants whose arrival-rate modes differ by 5%: the per-path difference of
    // Jilin's NPV varies far less than Jilin's NPV itself.
    let scn = parse(REFERENCE);
    let jilin = region(&scn, "jilin");
    let paths = 2000;
    let base = per_path(&with_arrival_mode(9.0), 0, jilin, RegionMetric::Npv, paths);
    let up = per_path(&with_arrival_mode(9.45), 0, jilin, RegionMetric::Npv, paths);
    let diff: Vec<f64> = up.iter().zip(&base).map(|(u, b)| u - b).collect();
    let (sd_diff, sd_npv) = (sd(&diff), sd(&base));
    println!("sd of the per-path difference {sd_diff:.2}, sd of Jilin's NPV {sd_npv:.2}");
    assert!(
        sd_diff <= sd_npv / 5.0,
        "sd of the per-path difference {sd_diff:.2} vs sd of the NPV {sd_npv:.2}"
    );
}

#[test]
fn a_sweep_of_arrival_rates_gives_a_monotone_host_npv() {
    let scn = parse(REFERENCE);
    let jilin = region(&scn, "jilin");
    let fixed = scn
        .alternatives
        .iter()
        .position(|a| a.name == "fixed 50:50")
        .expect("the fixed 50:50 alternative");
    let means: Vec<f64> = (0..10)
        .map(|i| {
            let mode = 5.0 + f64::from(i);
            let v = per_path(
                &with_arrival_mode(mode),
                fixed,
                jilin,
                RegionMetric::Npv,
                2000,
            );
            v.iter().sum::<f64>() / v.len() as f64
        })
        .collect();
    println!("host's mean NPV over arrival-rate modes 5..14: {means:.1?}");
    assert!(
        means.windows(2).all(|w| w[1] > w[0]),
        "mean NPV of the host over arrival-rate modes 5..14: {means:?}"
    );
}
