//! Numbers a scenario may not ask for, through the binary: inputs whose magnitudes
//! could overflow are refused at validation with their field and line, each
//! message checked exactly (issue 7, "no silent wrong number").

mod common;

use common::{REFERENCE, TestDir, bad_input, problem_lines, replace_line};

/// The line of sector 1's revenue per mu in the reference scenario.
const REVENUE: &str =
    "revenue_per_mu = { dist = \"triangular\", min = 3.0, mode = 4.5, max = 7.0 }";
const FIELD: &str = "firms.sectors[1].revenue_per_mu";

/// `enclave validate` on the reference scenario with the revenue line replaced:
/// the one problem it reports, after `FILE:LINE: `.
fn only_problem(revenue: &str) -> String {
    let t = TestDir::new();
    let mut text = REFERENCE.to_owned();
    let line = replace_line(&mut text, REVENUE, &format!("revenue_per_mu = {revenue}"));
    t.create("n.toml", &text);
    let stderr = bad_input(&t.cmd(&["validate", "n.toml"]));
    assert!(
        stderr.starts_with("error: n.toml: 1 problem found\n"),
        "{stderr}"
    );
    let problems = problem_lines(&stderr, "n.toml");
    assert_eq!(problems.len(), 1, "{stderr}");
    let prefix = format!("  n.toml:{line}: ");
    problems[0]
        .strip_prefix(&prefix)
        .unwrap_or_else(|| panic!("{} lacks {prefix:?}", problems[0]))
        .to_owned()
}

#[test]
fn inputs_whose_magnitude_could_overflow_are_refused_with_field_and_line() {
    let cases = [
        // Revenue 1e300 made sd and se overflow and print blank ("undefined").
        (
            "1e300",
            format!("{FIELD}: expected a number within ±1e12, found 1e300"),
        ),
        (
            "{ dist = \"uniform\", min = 3, max = 2e12 }",
            format!(
                "{FIELD}: expected a distribution whose draws stay within ±1e12, \
                 but they range over [3, 2.0000e12]; truncate it with \
                 `lower`/`upper`"
            ),
        ),
        // An unbounded tail counts up to its largest draw (probability 1 − 1e-12).
        (
            "{ dist = \"normal\", mean = 5, sd = 1e12, lower = 0 }",
            format!(
                "{FIELD}: expected a distribution whose draws stay within ±1e12, \
                 but they range over [0, 7.0345e12]; truncate it with \
                 `lower`/`upper`"
            ),
        ),
        // Lognormal sd 1e300: a non-finite NPV on half the paths was left out of the
        // mean; now its draws would miss the mean, so it is refused.
        (
            "{ dist = \"lognormal\", mean = 4, sd = 1e300 }",
            format!(
                "{FIELD}.sd: expected an sd whose draws keep the mean (the largest draw is at \
                 probability 1 − 1e-12), found sd = 1e300, 2.50e299 × the mean, whose draws \
                 would miss 100.0% of the mean"
            ),
        ),
        // normal(1e308, 1e308) drew ±inf.
        (
            "{ dist = \"normal\", mean = 1e308, sd = 1e308 }",
            format!(
                "{FIELD}.sd: expected parameters whose draws stay finite, found draws from -inf \
                 to inf"
            ),
        ),
        // A beta with shape ≥ 1e7 hung inside statrs during validation.
        (
            "{ dist = \"beta\", alpha = 2e7, beta = 5, min = 3, max = 7, lower = 6.99999 }",
            format!(
                "{FIELD}.alpha: expected a shape of at most 1e6 (a larger one is nearly a \
                 constant; write the number instead), found 20000000"
            ),
        ),
    ];
    for (revenue, expected) in cases {
        assert_eq!(
            only_problem(revenue),
            expected,
            "revenue_per_mu = {revenue}"
        );
    }
}

#[test]
fn inputs_at_the_limits_run() {
    // The largest accepted magnitudes run to the end: every result finite and within
    // the statistics' range (the engine would stop the run otherwise).
    let t = TestDir::new();
    let mut text = REFERENCE.to_owned();
    replace_line(&mut text, REVENUE, "revenue_per_mu = 1e12");
    t.create("big.toml", &text);
    t.ok(&[
        "run",
        "big.toml",
        "--paths",
        "300",
        "--horizon",
        "10",
        "--charts",
        "none",
        "--quiet",
    ]);
    let summary = t.read("out/jilin-zhejiang/summary.csv");
    let npv = summary
        .lines()
        .find(|l| l.contains(",npv,"))
        .expect("an npv row");
    let cells: Vec<&str> = npv.split(',').collect();
    // mean, sd and se are numbers, not blank.
    for cell in &cells[4..7] {
        let x: f64 = cell.parse().unwrap_or_else(|_| panic!("{npv}"));
        assert!(x.is_finite(), "{npv}");
    }
}
