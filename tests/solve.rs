//! `enclave solve`: the fair split of one alternative, found on common random
//! numbers, checked against answers derived by hand.

mod common;

use std::collections::HashMap;

use common::{TestDir, bad_input, csv_rows};

/// One firm on 100 mu, every year the same (no volatility, one firm fits): a
/// deterministic park over 8 years. Region a pays 30 in cash, b acquires the land
/// (10); outside options `OUT_A` and `OUT_B`. The alternatives: a 50:50 split
/// (solved) and the two extremes, which fix the straight lines the NPVs follow.
const PARK: &str = r#"
[scenario]
id = "one-firm"
name = "one firm"
start_year = 2020

[simulation]
paths = 4
seed = 1
horizon = 8

[[regions]]
id = "a"
name = "A"
role = "source"
discount_rate = 0.1
outside_option = OUT_A

[[regions]]
id = "b"
name = "B"
role = "host"
discount_rate = 0.1
outside_option = OUT_B

[park]
area_mu = 100
saleable_share = 1.0
[[park.phases]]
area_mu = 100
start_year = 2020
build_years = 1

[[contributions]]
region = "a"
kind = "cash"
value = 30
year = 2020

[costs.land_acquisition]
per_mu = 0.1
bearer = "b"
[costs.infrastructure]
per_mu = 0.2
bearer = "company"

[company]
equity = { a = 0.6, b = 0.4 }
land_price_per_mu = 0.05
payout_ratio = 1.0
terminal = "book"

[firms]
arrival_rate = 60
average_wage = 0.1
[[firms.sectors]]
name = "only"
weight = 1
land_per_firm_mu = 100
revenue_per_mu = 10.0
value_added_ratio = 0.5
profit_margin = 0.2
wage_share = 0.1
vat_rate = 0.1
cit_rate = 0.25
volatility = VOLATILITY

[macro]
volatility = 0.0

[taxes]
land_use_tax_per_m2 = 0
provincial_take = 0

[[sharing]]
name = "half"
tax = { kind = "fixed", shares = { a = 0.5, b = 0.5 } }

[[sharing]]
name = "all to a"
tax = { kind = "fixed", shares = { a = 1.0, b = 0.0 } }

[[sharing]]
name = "all to b"
tax = { kind = "fixed", shares = { a = 0.0, b = 1.0 } }

[[sharing]]
name = "by equity"
tax = { kind = "equity" }
"#;

/// The park with outside options `out_a`, `out_b` and revenue volatility `sigma`.
fn park(out_a: f64, out_b: f64, sigma: f64) -> String {
    PARK.replace("OUT_A", &out_a.to_string())
        .replace("OUT_B", &out_b.to_string())
        .replace("VOLATILITY", &sigma.to_string())
}

/// `enclave solve park.toml --alternative ALTERNATIVE --target TARGET --paths PATHS`
/// in `t`, which must succeed.
fn solve(t: &TestDir, alternative: &str, target: &str, paths: &str) -> std::process::Output {
    t.ok(&solve_args(alternative, target, paths))
}

/// The arguments of `enclave solve park.toml` with these flags.
fn solve_args<'a>(alternative: &'a str, target: &'a str, paths: &'a str) -> [&'a str; 8] {
    [
        "solve",
        "park.toml",
        "--alternative",
        alternative,
        "--target",
        target,
        "--paths",
        paths,
    ]
}

fn num(row: &HashMap<String, String>, col: &str) -> f64 {
    row.get(col)
        .unwrap_or_else(|| panic!("no column {col}"))
        .parse()
        .unwrap_or_else(|e| panic!("{col}: {e}"))
}

/// The solution row of `DIR/one-firm-solve/solve.csv`, checking there is one.
fn solution(t: &TestDir) -> HashMap<String, String> {
    let all = csv_rows(&t.read("out/one-firm-solve/solve.csv"));
    let sol: Vec<_> = all
        .into_iter()
        .filter(|r| r["solution"] == "true")
        .collect();
    assert_eq!(sol.len(), 1, "one solution row");
    sol.into_iter().next().expect("one")
}

/// Mean and standard error of metric `metric` of region `region` under
/// alternative `alt` in a run's summary.csv.
fn summary(t: &TestDir, alt: &str, region: &str, metric: &str) -> (f64, f64) {
    let all = csv_rows(&t.read("out/one-firm/summary.csv"));
    let row = all
        .iter()
        .find(|r| r["alternative"] == alt && r["region"] == region && r["metric"] == metric)
        .unwrap_or_else(|| panic!("no {alt}/{region}/{metric} in summary.csv"));
    (num(row, "mean"), num(row, "se"))
}

/// The lines a and b of the tax share s: NPV_a(s) = A0 + s·T and NPV_b(s) =
/// B0 + (1 − s)·T. A fixed split moves only the tax allocation (and its
/// continuation), both linear in s, and both regions discount at 10%, so the
/// PV T of the pool is the same for both; read from the extreme alternatives
/// (s = 1 and s = 0) of a run: (A0, B0, T, and the standard errors of A0 and B0).
fn lines(t: &TestDir) -> (f64, f64, f64, f64) {
    let (a1, _) = summary(t, "all to a", "a", "npv");
    let (a0, se_a) = summary(t, "all to b", "a", "npv");
    let (b0, se_b) = summary(t, "all to a", "b", "npv");
    (a0, b0, a1 - a0, se_a + se_b)
}

#[test]
fn nash_and_participation_recover_the_hand_derived_split_of_a_deterministic_park() {
    let t = TestDir::new();
    t.create("park.toml", &park(20.0, 40.0, 0.0));
    t.ok(&[
        "run",
        "park.toml",
        "--paths",
        "200",
        "--charts",
        "none",
        "-q",
    ]);
    let (a0, b0, total, se) = lines(&t);
    assert!(se.abs() < 1e-12, "the park is deterministic");
    // Nash: maximise (A0 + sT − 20)(B0 + (1 − s)T − 40), a parabola in s whose top
    // equalises the gains: A0 + sT − 20 = B0 + (1 − s)T − 40
    // ⇒ s* = (B0 − A0 + T + 20 − 40) / (2T).
    let nash = (b0 - a0 + total - 20.0) / (2.0 * total);
    assert!(nash > 0.1 && nash < 0.9, "an interior optimum: {nash}");
    // participation:0.9 on a deterministic park: every split with both gains ≥ 0 is
    // feasible with probability 1; the balanced one (largest smallest gain) is again
    // where the gains are equal.
    for target in ["nash", "participation:0.9"] {
        solve(&t, "half", target, "200");
        let sol = solution(&t);
        let s = num(&sol, "share_a");
        // Shares are rounded to 1e-4; the last grid is finer.
        assert!((s - nash).abs() <= 1e-4, "{target}: {s} vs {nash}");
        assert!((s + num(&sol, "share_b") - 1.0).abs() < 1e-12);
        assert_eq!(sol["feasible"], "true");
        // Each region gets its outside option plus half the surplus.
        let half = (a0 + b0 + total - 60.0) / 2.0;
        assert!(
            (num(&sol, "npv_a") - 20.0 - half).abs() <= 1e-4 * total,
            "{target}"
        );
        assert!(
            (num(&sol, "npv_b") - 40.0 - half).abs() <= 1e-4 * total,
            "{target}"
        );
        assert!(t.exists("out/one-firm-solve/zone.svg"));
        let svg = t.read("out/one-firm-solve/zone.svg");
        roxmltree::Document::parse(&svg).expect("zone.svg is XML");
        assert!(svg.contains("Zone of agreement"));
        assert!(svg.contains("; vertical line: the solution"), "{target}");
        let png = image::load_from_memory(&t.read_bytes("out/one-firm-solve/zone.png"))
            .expect("zone.png decodes")
            .to_rgb8();
        assert_eq!(png.dimensions(), (1200, 640));
        // The feasible range is shaded: many pixels of the shading's green tint.
        let tinted = png
            .pixels()
            .filter(|p| {
                let (r, g) = (i32::from(p[0]), i32::from(p[1]));
                g > r + 10 && g > 200 && r > 180
            })
            .count();
        assert!(tinted > 50_000, "{tinted} shaded pixels");
    }
}

#[test]
fn proportional_recovers_the_split_that_matches_benefit_shares_to_contribution_shares() {
    let t = TestDir::new();
    t.create("park.toml", &park(0.0, 0.0, 0.0));
    t.ok(&[
        "run",
        "park.toml",
        "--paths",
        "200",
        "--charts",
        "none",
        "-q",
    ]);
    // benefit_to_contribution = benefit share ÷ contribution share. The contribution
    // shares do not depend on the split (a: 0.75 here, cash 30 against b's land 10);
    // a's benefit share is linear in s, since the regions' benefits add up to the
    // same total under any fixed split: β(s) = β(0) + s (β(1) − β(0)), with β(1)
    // and β(0) read from the extreme alternatives. The ratios are equal when the
    // benefit shares equal the contribution shares: β(s*) = 0.75.
    let (c, _) = summary(&t, "half", "a", "contribution_share");
    assert!((c - 0.75).abs() < 1e-12);
    let (q1, _) = summary(&t, "all to a", "a", "benefit_to_contribution");
    let (q0, _) = summary(&t, "all to b", "a", "benefit_to_contribution");
    let (beta1, beta0) = (q1 * c, q0 * c);
    let want = (c - beta0) / (beta1 - beta0);
    solve(&t, "half", "proportional", "200");
    let sol = solution(&t);
    assert!(
        (num(&sol, "share_a") - want).abs() <= 1e-4,
        "{} vs {want}",
        num(&sol, "share_a")
    );
    let (qa, qb) = (
        num(&sol, "benefit_to_contribution_a"),
        num(&sol, "benefit_to_contribution_b"),
    );
    assert!(
        (qa - 1.0).abs() < 1e-3 && (qb - 1.0).abs() < 1e-3,
        "{qa} {qb}"
    );
}

#[test]
fn nash_with_a_random_park_gives_each_its_outside_option_plus_half_the_surplus() {
    // Revenue volatility 0.3: the NPVs are random, but still linear in the share s
    // on every path, so E[NPV_a](s) = E[A0] + s E[T] and the Nash split of the
    // expectations is s* = (E[B0] − E[A0] + E[T] + o_a − o_b) / (2 E[T]).
    let t = TestDir::new();
    t.create("park.toml", &park(5.0, 15.0, 0.3));
    solve(&t, "half", "nash", "400");
    let sol = solution(&t);
    let s = num(&sol, "share_a");
    // On its own paths the solve halves the surplus up to the grid's resolution.
    let (ga, gb) = (num(&sol, "npv_a") - 5.0, num(&sol, "npv_b") - 15.0);
    // The closed form from an independent run (another seed, more paths), within
    // Monte Carlo error: the solve's split moves by se/(2T) per unit of error in
    // the expected NPVs, from both runs.
    t.ok(&[
        "run",
        "park.toml",
        "--paths",
        "1000",
        "--seed",
        "7",
        "--charts",
        "none",
        "-q",
    ]);
    let (a0, b0, total, se_run) = lines(&t);
    let closed = (b0 - a0 + total + 5.0 - 15.0) / (2.0 * total);
    let se_solve = num(&sol, "npv_se_a") + num(&sol, "npv_se_b");
    let tolerance = 4.0 * (se_run + se_solve) / (2.0 * total) + 1e-4;
    assert!(
        (s - closed).abs() <= tolerance,
        "{s} vs {closed} ± {tolerance}"
    );
    assert!((ga - gb).abs() <= 2e-4 * total, "gains {ga} and {gb}");
}

#[test]
fn solve_gives_the_same_bytes_on_one_and_two_threads() {
    let (one, two) = (TestDir::new(), TestDir::new());
    let mut outs = Vec::new();
    for (t, threads) in [(&one, "1"), (&two, "2")] {
        t.create("park.toml", &park(5.0, 15.0, 0.3));
        let out = t.ok(&[
            "solve",
            "park.toml",
            "--alternative",
            "half",
            "--target",
            "participation:0.6",
            "--paths",
            "300",
            "--threads",
            threads,
        ]);
        outs.push(out.stdout);
    }
    assert_eq!(outs[0], outs[1], "stdout");
    for f in ["solve.csv", "zone.svg", "solved.toml"] {
        let name = format!("out/one-firm-solve/{f}");
        assert!(
            one.read_bytes(&name) == two.read_bytes(&name),
            "{f} differs"
        );
    }
}

#[test]
fn the_printed_alternative_parses_back_and_gives_the_same_numbers() {
    let t = TestDir::new();
    let text = park(5.0, 15.0, 0.3);
    t.create("park.toml", &text);
    let out = solve(&t, "half", "nash", "300");
    let stdout = String::from_utf8(out.stdout).expect("UTF-8");
    let snippet = t.read("out/one-firm-solve/solved.toml");
    assert!(stdout.contains(&snippet), "the snippet is printed");
    assert!(snippet.starts_with("[[sharing]]\n"), "{snippet}");
    let sol = solution(&t);
    // Appended to the file, the solved alternative runs on the same paths.
    t.create("solved.toml", &format!("{text}\n{snippet}"));
    t.ok(&["validate", "solved.toml"]);
    t.ok(&[
        "run",
        "solved.toml",
        "--paths",
        "300",
        "--charts",
        "none",
        "-q",
    ]);
    let all = csv_rows(&t.read("out/one-firm-solve/solve.csv"));
    let current: Vec<_> = all.iter().filter(|r| r["current"] == "true").collect();
    assert_eq!(current.len(), 1, "one row is the formula as written");
    for region in ["a", "b"] {
        // The formula as written gives what run gives for it.
        let (npv, _) = summary(&t, "half", region, "npv");
        let want = num(current[0], &format!("npv_{region}"));
        assert!(
            (npv - want).abs() <= 1e-9 * want.abs().max(1.0),
            "{region}: {npv} vs {want}"
        );
        let (npv, se) = summary(&t, "half (solved: nash)", region, "npv");
        let want = num(&sol, &format!("npv_{region}"));
        assert!(
            (npv - want).abs() <= 1e-9 * want.abs().max(1.0),
            "{region}: {npv} vs {want}"
        );
        assert!((se - num(&sol, &format!("npv_se_{region}"))).abs() <= 1e-9 * se.max(1.0));
    }
}

#[test]
fn a_schedule_switch_year_is_searched_over_whole_years() {
    let t = TestDir::new();
    let text = park(0.0, 0.0, 0.0).replace(
        "[[sharing]]\nname = \"by equity\"",
        "[[sharing]]\nname = \"switch\"\n[sharing.tax]\nkind = \"schedule\"\n[[sharing.tax.periods]]\nyears = [1, 3]\nshares = { a = 1.0, b = 0.0 }\n[[sharing.tax.periods]]\ncalendar_years = [2023, 2040]\nshares = { a = 0.0, b = 1.0 }\n\n[[sharing]]\nname = \"by equity\"",
    );
    t.create("park.toml", &text);
    let out = solve(&t, "switch", "nash", "100");
    let stdout = String::from_utf8(out.stdout).expect("UTF-8");
    let all = csv_rows(&t.read("out/one-firm-solve/solve.csv"));
    // Years 2 to 8 of the horizon, each once.
    let mut years: Vec<f64> = all.iter().map(|r| num(r, "switch_year")).collect();
    years.sort_by(f64::total_cmp);
    assert_eq!(years, vec![2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0]);
    assert!(stdout.contains("calendar_years = ["), "{stdout}");
}

#[test]
fn bad_input_is_refused_with_exit_status_2() {
    let t = TestDir::new();
    t.create("park.toml", &park(0.0, 0.0, 0.0));
    let solve = |alt: &str, target: &str| {
        t.cmd(&[
            "solve",
            "park.toml",
            "--alternative",
            alt,
            "--target",
            target,
            "--paths",
            "10",
        ])
    };
    let e = bad_input(&solve("nope", "nash"));
    assert!(
        e.contains("error: no alternative named `nope`; the scenario has `half`, `all to a`, `all to b`, `by equity`"),
        "{e}"
    );
    let e = bad_input(&solve("by equity", "nash"));
    assert!(
        e.contains("alternative `by equity`: its tax formula is `equity`, which has no parameter"),
        "{e}"
    );
    let e = bad_input(&solve("half", "nsh"));
    assert!(
        e.contains("error: bad target: unknown target `nsh`; expected nash, shapley"),
        "{e}"
    );
    let e = bad_input(&solve("half", "participation:1.5"));
    assert!(e.contains("`1.5` is not a probability in (0, 1]"), "{e}");
    let e = bad_input(&t.cmd(&[
        "solve",
        "missing.toml",
        "--alternative",
        "half",
        "--target",
        "nash",
    ]));
    assert!(e.contains("missing.toml"), "{e}");
    let e = bad_input(
        &t.cmd(
            &[
                &solve_args("half", "nash", "10")[..],
                &["--threads", "100000"],
            ]
            .concat(),
        ),
    );
    assert!(e.contains("--threads 100000 is above the limit of"), "{e}");
    // More work than the budget, before any pass: a tester's --paths 1e8 ran
    // silently for what would have been hours.
    let e =
        bad_input(&t.cmd(&[&solve_args("half", "nash", "10")[..], &["--max-work", "1"]].concat()));
    assert!(
        e.contains("error: park.toml: work of up to ")
            && e.contains(&format!(
                " firm-years (up to {} passes of 10 paths × ",
                enclave::solve::MAX_PASSES
            ))
            && e.contains(" is above the budget of 1.00e0; lower --paths or --horizon, or raise the budget with --max-work "),
        "{e}"
    );
    assert!(
        !t.exists("out/one-firm-solve"),
        "nothing written on bad input"
    );
    // A file where the results go is refused before the solve runs (it would
    // otherwise fail only after computing), and left as it was.
    std::fs::create_dir_all(t.join("out")).expect("out");
    t.create("out/one-firm-solve", "mine");
    let e = bad_input(&solve("half", "nash"));
    assert!(
        e.contains("out/one-firm-solve is a file, not a folder"),
        "{e}"
    );
    assert_eq!(t.read("out/one-firm-solve"), "mine");
}

/// The park with one more alternative, `entry` (a `[[sharing]]` table's body),
/// named `name`, before the equity one.
fn park_with(name: &str, entry: &str) -> String {
    park(0.0, 0.0, 0.0).replace(
        "[[sharing]]\nname = \"by equity\"",
        &format!("[[sharing]]\nname = \"{name}\"\n{entry}\n\n[[sharing]]\nname = \"by equity\""),
    )
}

#[test]
fn an_incremental_base_is_solved_by_hand() {
    // Region b keeps a base B of the pool P each year, a gets 80% of the excess and
    // b 20%. The pool is the same in years 1–7 (year 0 has no firm), above B, so
    // with D = Σ_{t=1..7} 1.1^−(t+1) the PV of the pool is T = P·D and of the base
    // B·D. The Nash bargain (outside options 0) equalises the NPVs:
    //   A0 + 0.8 (T − B·D) = B0 + B·D + 0.2 (T − B·D)
    //   ⇒ B* = (A0 − B0 + 0.6 T) / (1.6 D),
    // with A0, B0 and T read from the extreme fixed splits of a run.
    let t = TestDir::new();
    let text = park_with(
        "base",
        "tax = { kind = \"incremental\", owner = \"b\", base = 10, inner = { kind = \"fixed\", shares = { a = 0.8, b = 0.2 } } }",
    );
    t.create("park.toml", &text);
    t.ok(&[
        "run",
        "park.toml",
        "--paths",
        "100",
        "--charts",
        "none",
        "-q",
    ]);
    let (a0, b0, total, _) = lines(&t);
    let d: f64 = (1..8).map(|t| 1.1f64.powi(-(t + 1))).sum();
    let want = (a0 - b0 + 0.6 * total) / (1.6 * d);
    assert!(
        want > 1.0 && want < total / d,
        "an interior base below the pool: {want}"
    );
    let out = solve(&t, "base", "nash", "100");
    let sol = solution(&t);
    // The base is written to 4 significant digits.
    let got = num(&sol, "base");
    assert!((got - want).abs() <= 1e-3 * want, "{got} vs {want}");
    assert!(String::from_utf8_lossy(&out.stdout).contains(&format!("base = {got}")));
}

#[test]
fn tranche_thresholds_are_solved_together_and_no_zone_is_drawn() {
    // Three tranches: the first all to a, the middle 50:50, the rest all to b. Any
    // pair of thresholds that equalises the NPVs is a Nash bargain (outside options
    // 0); the compass search must reach one, up to its resolution.
    let t = TestDir::new();
    let text = park_with(
        "tiers",
        "[sharing.tax]\nkind = \"tiered\"\n[[sharing.tax.tranches]]\nup_to = 5\nshares = { a = 1.0, b = 0.0 }\n[[sharing.tax.tranches]]\nup_to = 10\nshares = { a = 0.5, b = 0.5 }\n[[sharing.tax.tranches]]\nshares = { a = 0.0, b = 1.0 }",
    );
    t.create("park.toml", &text);
    let out = solve(&t, "tiers", "nash", "100");
    let stdout = String::from_utf8(out.stdout).expect("UTF-8");
    assert!(
        stdout.contains("zone of agreement: not drawn, the formula has 2 free parameters"),
        "{stdout}"
    );
    assert!(!t.exists("out/one-firm-solve/zone.svg"));
    let sol = solution(&t);
    let (u1, u2) = (num(&sol, "up_to_1"), num(&sol, "up_to_2"));
    assert!(0.0 < u1 && u1 < u2, "{u1} {u2}");
    let (a, b) = (num(&sol, "npv_a"), num(&sol, "npv_b"));
    assert!((a - b).abs() <= 0.01 * (a + b), "NPVs {a} and {b}");
    let all = csv_rows(&t.read("out/one-firm-solve/solve.csv"));
    let passes = all.iter().map(|r| num(r, "pass")).fold(0.0, f64::max);
    assert!((2.0..=12.0).contains(&passes), "{passes} passes");
}

#[test]
fn shapley_gives_each_region_its_shapley_value() {
    // Equal discount rates: the regions' NPVs add up to the same v(N) on every path
    // under any fixed split, so the coalitions' values and the Shapley values do not
    // depend on the split, and E(NPV_a) is linear in it: the solve must reach
    // E(NPV_r) = φ_r for both regions (efficiency: Σ φ_r = v(N)), up to the grid.
    let t = TestDir::new();
    t.create("park.toml", &park(5.0, 15.0, 0.3));
    let out = solve(&t, "half", "shapley", "300");
    let all = csv_rows(&t.read("out/one-firm-solve/solve.csv"));
    let sol = solution(&t);
    let total = num(&sol, "npv_a") + num(&sol, "npv_b");
    for region in ["a", "b"] {
        let phi = num(&sol, &format!("shapley_{region}"));
        let npv = num(&sol, &format!("npv_{region}"));
        assert!(
            (npv - phi).abs() <= 2e-4 * total,
            "{region}: {npv} vs {phi}"
        );
        for r in &all {
            let other = num(r, &format!("shapley_{region}"));
            assert!(
                (other - phi).abs() <= 1e-9 * total,
                "φ moved with the split"
            );
        }
    }
    assert!(String::from_utf8_lossy(&out.stdout).contains("target shapley"));
    // Without the coalitions there are no Shapley values to aim at.
    let e = bad_input(&t.cmd(&[
        "solve",
        "park.toml",
        "--alternative",
        "half",
        "--target",
        "shapley",
        "--fairness",
        "off",
        "--paths",
        "10",
    ]));
    assert!(
        e.contains(
            "error: the shapley target needs the regions' Shapley values, which need the coalitions"
        ),
        "{e}"
    );
}

#[test]
fn a_solve_that_draws_no_zone_removes_an_earlier_solves_zone_chart() {
    // The zone of a one-parameter alternative solved before, left in the folder,
    // passed for the zone of a two-parameter one that draws none.
    let t = TestDir::new();
    let text = park_with(
        "tiers",
        "[sharing.tax]\nkind = \"tiered\"\n[[sharing.tax.tranches]]\nup_to = 5\nshares = { a = 1.0, b = 0.0 }\n[[sharing.tax.tranches]]\nup_to = 10\nshares = { a = 0.5, b = 0.5 }\n[[sharing.tax.tranches]]\nshares = { a = 0.0, b = 1.0 }",
    );
    t.create("park.toml", &text);
    solve(&t, "half", "nash", "20");
    assert!(t.exists("out/one-firm-solve/zone.svg"));
    assert!(t.exists("out/one-firm-solve/zone.png"));
    solve(&t, "tiers", "nash", "20");
    assert!(!t.exists("out/one-firm-solve/zone.svg"));
    assert!(!t.exists("out/one-firm-solve/zone.png"));
}

/// `enclave solve park.toml` as [`solve`], for a target that is not met: checks
/// that it exits with status 1, says so on standard error, and writes the
/// candidates but no entry to append; returns its standard output.
fn unmet(t: &TestDir, alternative: &str, target: &str, paths: &str) -> String {
    let out = t.cmd(&solve_args(alternative, target, paths));
    let stdout = String::from_utf8(out.stdout).expect("UTF-8");
    let stderr = String::from_utf8(out.stderr).expect("UTF-8");
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(
        stderr.contains(&format!(
            "error: park.toml: the target {target} is not met by any of the "
        )) && stderr.contains("nothing is written to append to the scenario file"),
        "{stderr}"
    );
    assert!(
        stdout.contains("the target is NOT met: there is nothing to append to the scenario file (no solved.toml is written)"),
        "{stdout}"
    );
    assert!(
        !stdout.contains("[[sharing]]"),
        "an entry is printed:\n{stdout}"
    );
    assert!(!stdout.contains("append to the scenario file;"), "{stdout}");
    assert!(!stdout.contains("achieved"), "{stdout}");
    assert!(t.exists("out/one-firm-solve/solve.csv"));
    assert!(!t.exists("out/one-firm-solve/solved.toml"));
    stdout
}

/// Solves `park.toml` from `park(outside, outside, spread)` for participation with
/// 90% on `paths` paths, checks that it says no split meets the target, writes no
/// entry and shows the split with the largest joint participation, and returns
/// that split's row.
fn infeasible(outside: f64, spread: f64, paths: &str) -> HashMap<String, String> {
    let t = TestDir::new();
    t.create("park.toml", &park(outside, outside, spread));
    let stdout = unmet(&t, "half", "participation:0.9", paths);
    assert!(
        stdout.contains("NO split meets the target: no candidate lets every region accept with probability ≥ 90%. Shown: the split with the largest joint participation probability"),
        "{stdout}"
    );
    // The chart's vertical line is the closest candidate, not a solution.
    let texts = svg_text(&t.read("out/one-firm-solve/zone.svg"));
    assert!(
        texts.contains("; vertical line: the closest candidate (the target is NOT met)"),
        "{texts}"
    );
    assert!(!texts.contains("the solution"), "{texts}");
    let all = csv_rows(&t.read("out/one-firm-solve/solve.csv"));
    assert!(all.iter().all(|r| r["feasible"] == "false"));
    let best = all
        .iter()
        .map(|r| num(r, "joint_participation"))
        .fold(0.0, f64::max);
    let sol = solution(&t);
    assert!((num(&sol, "joint_participation") - best).abs() < 1e-12);
    // The closest split is shown by its parameters, as solve.csv names them.
    assert!(
        stdout.contains(&format!(
            "\n  share_a = {}, share_b = {}\n",
            sol["share_a"], sol["share_b"]
        )),
        "{stdout}"
    );
    sol
}

/// The text of an SVG's elements, one a line.
fn svg_text(svg: &str) -> String {
    let doc = roxmltree::Document::parse(svg).expect("the SVG is XML");
    doc.descendants()
        .filter_map(|n| n.is_text().then(|| n.text()).flatten())
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn a_tiny_participation_target_is_echoed_compactly_and_not_as_0_percent() {
    // participation:1e-300 was echoed with 300 zeros in the header and the solved
    // entry, and the chart said "probability ≥ 0%".
    let t = TestDir::new();
    t.create("park.toml", &park(0.0, 0.0, 0.0));
    let out = solve(&t, "half", "participation:1e-300", "20");
    let stdout = String::from_utf8(out.stdout).expect("UTF-8");
    assert!(
        stdout.starts_with("one firm: target participation:1e-300; varied"),
        "{stdout}"
    );
    assert!(!stdout.contains("0.0000000000"), "{stdout}");
    let entry = t.read("out/one-firm-solve/solved.toml");
    assert!(
        entry.contains("name = \"half (solved: participation:1e-300)\"")
            && entry.contains("enclave solve --target participation:1e-300 on 20 paths"),
        "{entry}"
    );
    let texts = svg_text(&t.read("out/one-firm-solve/zone.svg"));
    assert!(
        texts.contains("Zone of agreement: half (target participation:1e-300)")
            && texts.contains("shaded: every region accepts with probability ≥ 1e-298%"),
        "{texts}"
    );
}

#[test]
fn an_unmet_target_removes_an_earlier_solved_entry() {
    // A solved.toml left by an earlier solve in the folder would pass for the
    // answer of one that met nothing.
    let t = TestDir::new();
    t.create("park.toml", &park(0.0, 0.0, 0.0));
    solve(&t, "half", "nash", "20");
    assert!(t.exists("out/one-firm-solve/solved.toml"));
    t.create("park.toml", &park(150.0, 150.0, 0.0));
    unmet(&t, "half", "nash", "20");
}

#[test]
fn an_infeasible_participation_target_says_so_and_shows_the_split_most_likely_accepted_by_all() {
    // Outside options of 150 each, more than the park's whole surplus: no split lets
    // both accept, and the one shown lets one region accept (the whole pool to it).
    let sol = infeasible(150.0, 0.0, "200");
    let best = num(&sol, "participation_a").max(num(&sol, "participation_b"));
    assert!((best - 1.0).abs() < 1e-12);
    // Outside options of 80 each against a random surplus of about 190: both accept
    // together in about half the futures at best, below the 90% asked for.
    let sol = infeasible(80.0, 0.3, "300");
    let joint = num(&sol, "joint_participation");
    assert!(joint > 0.1 && joint < 0.9, "{joint}");
}

/// `enclave solve` of the reference scenario's `alternative` for `target` on
/// `paths` paths; its exit status and standard output.
fn solve_reference(alternative: &str, target: &str, paths: &str) -> (Option<i32>, String) {
    let t = TestDir::new();
    let out = t.cmd(&[
        "solve",
        common::REFERENCE_PATH,
        "--alternative",
        alternative,
        "--target",
        target,
        "--paths",
        paths,
    ]);
    (
        out.status.code(),
        String::from_utf8(out.stdout).expect("UTF-8"),
    )
}

#[test]
fn one_pass_is_counted_in_the_singular() {
    // A switch year: one grid of every year holds the best (once "in 1 passes").
    let (_, stdout) = solve_reference("京津冀 50:50 then host", "nash", "100");
    assert!(
        stdout.contains(" candidates in 1 pass of at most 64, all on the same 100 paths"),
        "{stdout}"
    );
}

#[test]
fn an_infeasible_guaranteed_rate_says_a_rate_was_varied_not_a_split() {
    // Once "NO split gives every region ...", though a rate was varied.
    let (status, stdout) = solve_reference("guaranteed 10% return", "nash", "200");
    assert_eq!(status, Some(1), "the target is not met");
    assert!(
        stdout.contains("NO guaranteed rate gives every region more than its outside option, which the nash target needs (every factor of the Nash product > 0; a region that gains nothing makes it 0). Shown: the guaranteed rate whose smallest gain over the outside option is largest\n"),
        "{stdout}"
    );
    assert!(!stdout.contains("NO split"), "{stdout}");
}

/// The park with a third region `c` that contributes nothing (no contribution, no
/// cost, no equity), and a three-way split as the alternative `three`.
fn park_with_a_bystander() -> String {
    park(0.0, 0.0, 0.0)
        .replace(
            "[park]",
            "[[regions]]\nid = \"c\"\nname = \"C\"\nrole = \"other\"\ndiscount_rate = 0.1\n\n[park]",
        )
        .replace("equity = { a = 0.6, b = 0.4 }", "equity = { a = 0.6, b = 0.4, c = 0.0 }")
        .replace(
            "[[sharing]]\nname = \"by equity\"",
            "[[sharing]]\nname = \"three\"\ntax = { kind = \"fixed\", shares = { a = 0.4, b = 0.4, c = 0.2 } }\n\n[[sharing]]\nname = \"by equity\"",
        )
        .replace("shares = { a = 0.5, b = 0.5 }", "shares = { a = 0.5, b = 0.5, c = 0.0 }")
        .replace("shares = { a = 1.0, b = 0.0 }", "shares = { a = 1.0, b = 0.0, c = 0.0 }")
        .replace("shares = { a = 0.0, b = 1.0 }", "shares = { a = 0.0, b = 1.0, c = 0.0 }")
}

#[test]
fn proportional_refuses_a_region_that_contributes_nothing() {
    // The testers' fourth region with no contribution: its benefit ÷ contribution
    // ratio is undefined on every path, and solve ran out its 12 passes, printed a
    // split whose ratios were far from equal as the entry to append, and exited 0.
    let t = TestDir::new();
    t.create("park.toml", &park_with_a_bystander());
    let e = bad_input(&t.cmd(&[
        "solve",
        "park.toml",
        "--alternative",
        "three",
        "--target",
        "proportional",
        "--paths",
        "20",
    ]));
    assert!(
        e.contains("error: the proportional target equalises each region's benefit share ÷ contribution share, which is undefined for `c`: it contributes nothing on any path"),
        "{e}"
    );
    assert!(
        e.contains("give it a contribution") && e.contains("choose another target"),
        "{e}"
    );
    assert!(!t.exists("out/one-firm-solve"), "nothing written");
    // Another target solves the same alternative. The terminal shows c's undefined
    // ratio as –, as run's table does (the CSV's cell is empty), not as NaN, and
    // its Shapley value, 0 up to the sums' rounding (−1e−13), as 0.00, not −0.00.
    let out = solve(&t, "three", "nash", "20");
    let stdout = String::from_utf8(out.stdout).expect("UTF-8");
    assert!(!stdout.contains("NaN"), "{stdout}");
    assert!(!stdout.contains("-0.00 "), "{stdout}");
    let rows: Vec<&str> = stdout.lines().filter(|l| l.starts_with("  c ")).collect();
    assert_eq!(rows.len(), 2, "{stdout}");
    for row in rows {
        assert!(row.ends_with(" –"), "{row}");
        assert!(row.contains(" 0.00 ± 0.00 "), "{row}");
    }
    let sol = solution(&t);
    assert_eq!(sol["benefit_to_contribution_c"], "");
}

#[test]
fn a_ratio_over_some_paths_only_says_over_how_many_and_the_proportional_target_says_so() {
    // a's cash is 0 on some paths: its contribution share, and so its benefit ÷
    // contribution ratio, is defined on the others only. solve showed and
    // equalised the mean over those as if it were over every path.
    let t = TestDir::new();
    t.create(
        "park.toml",
        &park(0.0, 0.0, 0.3).replace(
            "value = 30\n",
            "value = { dist = \"discrete\", values = [0, 30] }\n",
        ),
    );
    let out = solve(&t, "half", "proportional", "40");
    let stdout = String::from_utf8(out.stdout).expect("UTF-8");
    let sol = solution(&t);
    let n = &sol["benefit_to_contribution_n_a"];
    let count: u64 = n.parse().expect("a count");
    assert!(0 < count && count < 40, "{n}");
    assert_eq!(sol["benefit_to_contribution_n_b"], "40");
    assert!(
        stdout.starts_with(
            "one firm: target proportional; varied the shares of the fixed formula\n"
        ) && stdout.contains(&format!(
            "\nNOTE: the proportional target equalises ratios that are means over different paths: a {n} of 40 paths ("
        )),
        "{stdout}"
    );
    let row = stdout
        .lines()
        .find(|l| l.starts_with("  a "))
        .expect("a's row");
    assert!(row.ends_with(&format!(" ({n} of 40)")), "{row}");
    let b_row = stdout
        .lines()
        .find(|l| l.starts_with("  b "))
        .expect("b's row");
    assert!(!b_row.contains(" of 40)"), "{b_row}");
    assert!(
        stdout.contains(&format!(
            "  benefit/contribution over fewer paths than were run (a {n} of 40 paths)"
        )),
        "{stdout}"
    );
    let entry = t.read("out/one-firm-solve/solved.toml");
    assert!(
        entry.contains(&format!(
            "benefit/contribution ratios over only the paths where the region contributes (a {n} of 40 paths)"
        )),
        "{entry}"
    );
}

#[test]
fn a_chinese_solve_names_the_price_basis_of_its_money() {
    // `--lang zh` gave "净现值单位：百万元" where English gives the 2020 prices.
    let t = TestDir::new();
    t.create("park.toml", &park(0.0, 0.0, 0.0));
    let out = t.ok(&[&solve_args("half", "nash", "10")[..], &["--lang", "zh"]].concat());
    let stdout = String::from_utf8(out.stdout).expect("UTF-8");
    assert!(
        stdout.contains("；净现值单位：百万元，2020年价格\n"),
        "{stdout}"
    );
    // The target in words, without a space before what is varied (it read
    // "目标 nash" and "调整 固定分成公式的分成比例": exploratory test), as in the
    // zone chart's title.
    assert!(
        stdout.contains("：目标为纳什议价解；调整固定分成公式的分成比例\n"),
        "{stdout}"
    );
    let svg = t.read("out/one-firm-solve/zone.svg");
    assert!(svg.contains("协议区间：half（目标：纳什议价解）"), "{svg}");
    assert!(!svg.contains("nash"), "{svg}");
    let out = solve(&t, "half", "nash", "10");
    let stdout = String::from_utf8(out.stdout).expect("UTF-8");
    assert!(
        stdout.contains("; NPV in million CNY, 2020 prices\n"),
        "{stdout}"
    );
}

#[test]
fn a_region_that_gains_exactly_nothing_makes_the_nash_product_0_in_solve_as_in_run() {
    // The bystander c gets nothing under `half` and expects an outside option
    // of 0: `run` wrote a Nash product of 0 and `solve` "none" and an empty
    // cell for the same alternative on the same paths (exploratory test).
    let t = TestDir::new();
    t.create("park.toml", &park_with_a_bystander());
    t.ok(&[
        "run",
        "park.toml",
        "--out",
        "out",
        "--charts",
        "none",
        "--report",
        "none",
    ]);
    let fairness = csv_rows(&t.read("out/one-firm/fairness.csv"));
    let run_product = fairness
        .iter()
        .find(|r| r["alternative"] == "half" && r["metric"] == "nash_product")
        .expect("the Nash product of half");
    assert_eq!(run_product["mean"], "0");
    let out = solve(&t, "half", "nash", "4");
    let stdout = String::from_utf8(out.stdout).expect("UTF-8");
    let as_written = stdout
        .split("the alternative as written, on the same paths:")
        .nth(1)
        .expect("the alternative as written");
    assert!(
        as_written.contains("Nash product Π(E[NPV] − E[outside option]): 0.0000e0 ± "),
        "{stdout}"
    );
    assert!(!stdout.contains("none: some region"), "{stdout}");
    let all = csv_rows(&t.read("out/one-firm-solve/solve.csv"));
    let current = all
        .iter()
        .find(|r| r["current"] == "true")
        .expect("the current row");
    assert_eq!(current["nash_product"], "0");
    // A product of 0 does not meet the target: the solution gives c a share.
    assert_eq!(current["feasible"], "false");
    let sol = solution(&t);
    assert!(
        num(&sol, "share_c") > 0.0 && num(&sol, "nash_product") > 0.0,
        "{sol:?}"
    );
}

#[test]
fn a_solution_at_an_end_of_its_range_says_the_target_may_be_better_met_beyond_it() {
    // a's outside option is beyond its NPV at every split, so the split whose
    // smallest gain is largest gives a everything: a share of 1, the end of the
    // range, which the terminal said nothing of (a guaranteed rate of 1 read as
    // an optimum: exploratory test).
    let t = TestDir::new();
    t.create("park.toml", &park(1000.0, 0.0, 0.0));
    let stdout = unmet(&t, "half", "nash", "4");
    assert!(
        stdout.contains("NOTE: the split shown is at an end of the range the formula allows (share_a = 1, share_b = 0; range [0, 1]): the target may be better met beyond it, where this formula cannot go"),
        "{stdout}"
    );
    let out = t.cmd(&[&solve_args("half", "nash", "4")[..], &["--lang", "zh"]].concat());
    let stdout = String::from_utf8(out.stdout).expect("UTF-8");
    assert!(
        stdout.contains("注意：显示的分成比例位于公式允许范围的端点（share_a = 1, share_b = 0；范围 [0, 1]）：超出该范围可能更好地满足目标"),
        "{stdout}"
    );
    // An interior solution says nothing of it.
    let t = TestDir::new();
    t.create("park.toml", &park(0.0, 0.0, 0.0));
    let out = solve(&t, "half", "nash", "4");
    let stdout = String::from_utf8(out.stdout).expect("UTF-8");
    assert!(!stdout.contains("at an end of the range"), "{stdout}");
}
