//! The declared output schema is the only way charts and the report reach a
//! measure: lookups are typed (a measure that is not declared does not compile),
//! no chart or report code looks a measure up by a string, and a results folder
//! that lacks a declared measure, or names one that is not declared, is refused
//! instead of drawing an empty chart.

mod common;

use std::path::Path;

use common::TestDir;
use enclave::schema::Measure;

/// Lookups that take a measure; their arguments must be typed identifiers.
const LOOKUPS: [&str; 6] = [
    ".summary(",
    ".park_summary(",
    ".series(",
    ".park_series(",
    ".quantiles(",
    "metric ==",
];

/// The text of a call starting at `from` up to its closing parenthesis (or line end).
fn call_text(src: &str, from: usize) -> &str {
    let rest = &src[from..];
    let mut depth = 0i32;
    for (i, c) in rest.char_indices() {
        match c {
            '(' => depth += 1,
            ')' if depth <= 1 => return &rest[..i],
            ')' => depth -= 1,
            '\n' if depth == 0 => return &rest[..i],
            _ => {}
        }
    }
    rest
}

#[test]
fn charts_and_the_report_look_measures_up_only_by_typed_identifier() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = vec![root.join("report.rs"), root.join("set_report.rs")];
    for entry in std::fs::read_dir(root.join("chart")).expect("src/chart") {
        files.push(entry.expect("entry").path());
    }
    let names: Vec<&str> = Measure::all().map(|m| m.def().name).collect();
    // Every lookup call in `src`, and the measure names given to them as strings.
    let by_string = |src: &str| -> (usize, Vec<String>) {
        let mut calls = 0;
        let mut found = Vec::new();
        for lookup in LOOKUPS {
            for (at, _) in src.match_indices(lookup) {
                calls += 1;
                let call = call_text(src, at);
                for name in &names {
                    if call.contains(&format!("\"{name}\"")) {
                        found.push(format!("`{call}` uses {name:?}"));
                    }
                }
            }
        }
        (calls, found)
    };
    // The scan catches a string lookup, over several lines too.
    let (_, caught) = by_string("let s = res.summary(&alt.name,\n  &region.id, \"npv\");");
    assert_eq!(caught.len(), 1, "{caught:?}");
    let mut checked = 0;
    for file in &files {
        let (calls, found) = by_string(&std::fs::read_to_string(file).expect("source"));
        checked += calls;
        assert!(found.is_empty(), "{}: {found:?}", file.display());
    }
    assert!(checked >= 5, "the scan found the lookups ({checked})");
}

fn run_folder(t: &TestDir) -> String {
    let o = t.cmd(&[
        "run",
        "--out",
        "out",
        "--paths",
        "60",
        "--horizon",
        "5",
        "--quiet",
        "--charts",
        "none",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    "out/jilin-zhejiang".to_owned()
}

/// Rewrites the folder's manifest after a test changed a file, so that the check
/// of the contents is reached (otherwise the manifest check refuses it first).
fn reseal(t: &TestDir, dir: &str) {
    enclave::publish::write_manifest(&t.join(dir)).expect("rewrite the manifest");
}

#[test]
fn a_folder_missing_a_declared_measure_is_refused() {
    let t = TestDir::new();
    let dir = run_folder(&t);
    let path = format!("{dir}/summary.csv");
    let text = t.read(&path);
    let kept: String = text
        .lines()
        .filter(|l| !l.contains(",gdp_credit,"))
        .map(|l| format!("{l}\n"))
        .collect();
    assert!(kept.len() < text.len());
    t.create(&path, &kept);
    reseal(&t, &dir);
    let o = t.cmd(&["report", &dir]);
    assert_eq!(o.status.code(), Some(1), "report on an incomplete folder");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("summary.csv: 14 rows missing, e.g. fixed 50:50,zhejiang,gdp_credit"),
        "{err}"
    );
}

#[test]
fn a_folder_naming_an_undeclared_measure_is_refused() {
    let t = TestDir::new();
    let dir = run_folder(&t);
    let path = format!("{dir}/timeseries.csv");
    let text = t.read(&path).replacen(",cash_flow,", ",cash_flows,", 1);
    t.create(&path, &text);
    reseal(&t, &dir);
    let o = t.cmd(&["report", &dir]);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("unknown series `cash_flows` (not a measure of this version of enclave)"),
        "{err}"
    );
}
