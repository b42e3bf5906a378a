//! Small runs, through the binary: a statistic says what it rests on wherever it
//! is shown. A probability seen on none (or all) of 50 paths is shown with its
//! exact interval, not "± 0.0 pp"; with one path, standard deviations and errors
//! are undefined (empty cells, "± –" with a note), not 0.

mod common;

use common::{REFERENCE_PATH, TestDir, csv_rows};
use enclave::stats::interval::Proportion;

/// Runs the reference scenario on `paths` paths into `out/` and returns the
/// terminal's output.
fn run(t: &TestDir, paths: &str) -> String {
    let out = t.ok(&[
        "run",
        REFERENCE_PATH,
        "--paths",
        paths,
        "--threads",
        "1",
        "--charts",
        "none",
        "--out",
        "out",
    ]);
    String::from_utf8(out.stdout).expect("UTF-8")
}

fn percent(x: f64) -> String {
    format!("{:.1}%", 100.0 * x)
}

#[test]
fn probabilities_in_the_report_carry_the_terminals_exact_interval() {
    let t = TestDir::new();
    let stdout = run(&t, "50");
    let report = t.read("out/jilin-zhejiang/report.html");
    // No ± margin of a probability: at 0 of 50 it was "0.0% ± 0.0 pp". (The
    // ranking's leads, differences of probabilities, keep theirs.)
    assert!(
        !report.contains("% <span class=\"few\">± "),
        "a probability with a ± margin is left"
    );
    let summary = t.read("out/jilin-zhejiang/summary.csv");
    let mut zero = false;
    for row in csv_rows(&summary) {
        if !["npv_negative", "participates"].contains(&row["metric"].as_str()) {
            continue;
        }
        let (mean, n): (f64, u64) = (
            row["mean"].parse().expect("mean"),
            row["n"].parse().expect("n"),
        );
        let p = Proportion::of_mean(mean, n).expect("a probability");
        let cell = format!(
            "<td class=\"n\">{} <span class=\"few\">[{}, {}]</span></td>",
            percent(mean),
            percent(p.low),
            percent(p.high)
        );
        assert!(report.contains(&cell), "no {cell} in the report");
        if p.k == 0 {
            zero = true;
            // The terminal's note gives the same interval for the same figure.
            assert!(report.contains("0.0% <span class=\"few\">[0.0%, 7.1%]</span>"));
            assert!(
                stdout.contains("0.0% (0 of 50; 95% interval 0.0% to 7.1%)"),
                "{stdout}"
            );
        }
    }
    assert!(
        zero,
        "the test wants a probability seen on none of the 50 paths"
    );
}

#[test]
fn one_path_has_no_standard_deviation_or_error() {
    let t = TestDir::new();
    let stdout = run(&t, "1");
    assert!(
        stdout.contains(
            "note: only 1 path: the standard deviations and standard errors are undefined"
        ),
        "{stdout}"
    );
    for row in csv_rows(&t.read("out/jilin-zhejiang/summary.csv")) {
        assert_eq!(
            (row["sd"].as_str(), row["se"].as_str()),
            ("", ""),
            "{row:?}"
        );
    }
    for row in csv_rows(&t.read("out/jilin-zhejiang/timeseries.csv")) {
        assert_eq!(row["sd"], "", "{row:?}");
    }
    for row in csv_rows(&t.read("out/jilin-zhejiang/fairness.csv")) {
        assert_eq!(row["se"], "", "{row:?}");
    }
    let report = t.read("out/jilin-zhejiang/report.html");
    assert!(report.contains("<span class=\"few\">± –</span>"));
    assert!(!report.contains("± 0.0<"), "a mean shown as known exactly");
    assert!(report.contains("with a single future there is no spread to estimate"));
}

/// The reference scenario with outside options below every region's NPV, so that
/// the Nash product is defined.
fn with_outside_options() -> String {
    common::REFERENCE
        .replacen(
            "role = \"source\"\n",
            "role = \"source\"\noutside_option = -300\n",
            1,
        )
        .replacen(
            "role = \"host\"\n",
            "role = \"host\"\noutside_option = { dist = \"uniform\", min = -500, max = -300 }\n",
            1,
        )
}

#[test]
fn one_path_has_no_standard_error_of_the_nash_product() {
    // The delta method's variance was NaN on one path, which `max(0)` turned into
    // an se of 0: fairness.csv's nash_product rows and solve's said it was exact.
    let t = TestDir::new();
    t.create("jz.toml", &with_outside_options());
    t.ok(&[
        "run",
        "jz.toml",
        "--paths",
        "1",
        "--threads",
        "1",
        "--charts",
        "none",
        "--out",
        "out",
    ]);
    let rows = csv_rows(&t.read("out/jilin-zhejiang/fairness.csv"));
    let nash: Vec<_> = rows
        .iter()
        .filter(|r| r["metric"] == "nash_product" && !r["mean"].is_empty())
        .collect();
    assert!(!nash.is_empty(), "the test wants a defined Nash product");
    for row in nash {
        assert_eq!(row["se"], "", "{row:?}");
    }
    let out = t.ok(&[
        "solve",
        "jz.toml",
        "--alternative",
        "fixed 50:50",
        "--target",
        "nash",
        "--paths",
        "1",
        "--out",
        "out",
    ]);
    let stdout = String::from_utf8(out.stdout).expect("UTF-8");
    assert!(
        stdout.contains("Nash product Π(E[NPV] − E[outside option]): ")
            && stdout.contains(" ± –\n"),
        "{stdout}"
    );
    assert!(!stdout.contains("e0 ± 0.0000e0"), "{stdout}");
    for row in csv_rows(&t.read("out/jilin-zhejiang-solve/solve.csv")) {
        assert_eq!(row["nash_product_se"], "", "{row:?}");
    }
}
