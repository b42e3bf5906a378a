//! Sensitivity analysis (issue 11 point 5): the estimators on functions with
//! known answers, and `enclave sensitivity` end to end.

mod common;

use std::f64::consts::PI;

use enclave::sensitivity::{self, Estimate};

/// The Ishigami function (a = 7, b = 0.1) of three uniforms on (0, 1), each
/// mapped to a uniform on [−π, π].
fn ishigami_function(u: &[f64]) -> f64 {
    let x: Vec<f64> = u.iter().map(|u| -PI + 2.0 * PI * u).collect();
    x[0].sin() + 7.0 * x[1].sin().powi(2) + 0.1 * x[2].powi(4) * x[0].sin()
}

#[test]
fn ishigami() {
    // Analytic values (Ishigami & Homma 1990; Saltelli et al. 2008 §4.6):
    // V = a²/8 + b π⁴/5 + b² π⁸/18 + 1/2 = 13.8446;
    // V1 = (1 + b π⁴/5)²/2 = 4.3459, V2 = a²/8 = 6.125, V3 = 0,
    // V13 = b² π⁸ (1/18 − 1/50) = 3.3737.
    let first = [0.3139, 0.4424, 0.0];
    let total = [0.5576, 0.4424, 0.2437];
    let s = sensitivity::sobol_of(ishigami_function, 3, 20_000, 2026, 500);
    let check = |what: &str, i: usize, e: &Estimate, want: f64| {
        assert!(
            e.contains(want),
            "{what} of x{}: {} with 95% interval [{}, {}] misses {want}",
            i + 1,
            e.value,
            e.low,
            e.high
        );
        assert!(
            e.width() <= 0.05,
            "{what} of x{}: interval [{}, {}] wider than 0.05",
            i + 1,
            e.low,
            e.high
        );
    };
    for i in 0..3 {
        check("S", i, &s.first[i], first[i]);
        check("ST", i, &s.total[i], total[i]);
    }
}

/// A linear model with known coefficients: y = 3 x1 − 2 x2 + 0 x3 + noise, inputs
/// independent uniforms on (0, 1) (sd 1/√12 each), noise normal with sd 0.5.
/// SRC_i = c_i sd(x_i) / sd(y), sd(y)² = (9 + 4)/12 + 0.25; R² = (13/12) / sd(y)².
#[test]
fn src_and_spearman_recover_a_linear_model() {
    use rand::{RngExt, SeedableRng};
    use rand_distr::{Distribution, Normal};
    let n = 4000;
    let mut rng = rand::rngs::ChaCha8Rng::seed_from_u64(7);
    let noise = Normal::new(0.0, 0.5).unwrap();
    let mut x: Vec<Vec<f64>> = (0..3).map(|_| Vec::with_capacity(n)).collect();
    let mut y = Vec::with_capacity(n);
    for _ in 0..n {
        let u: Vec<f64> = (0..3).map(|_| rng.random::<f64>()).collect();
        y.push(3.0 * u[0] - 2.0 * u[1] + noise.sample(&mut rng));
        for (c, v) in x.iter_mut().zip(&u) {
            c.push(*v);
        }
    }
    let var_y: f64 = 13.0 / 12.0 + 0.25;
    let sd_x = (1.0f64 / 12.0).sqrt();
    let want = [3.0 * sd_x / var_y.sqrt(), -2.0 * sd_x / var_y.sqrt(), 0.0];
    let fit = sensitivity::src(&x, &y).expect("a fit");
    for (i, w) in want.iter().enumerate() {
        let e = fit.coefficients[i];
        assert!(e.contains(*w), "SRC {i}: {e:?} misses {w}");
        assert!(e.width() < 0.05, "SRC {i}: {e:?} too wide");
    }
    let r2 = (13.0 / 12.0) / var_y;
    assert!((fit.r2 - r2).abs() < 0.02, "R² {} against {r2}", fit.r2);
    // Spearman: signs and order follow the coefficients; x3 is independent of y.
    let rho: Vec<Estimate> = x.iter().map(|c| sensitivity::spearman(c, &y)).collect();
    assert!(rho[0].low > 0.5, "{:?}", rho[0]);
    assert!(rho[1].high < -0.3, "{:?}", rho[1]);
    assert!(rho[2].contains(0.0), "{:?}", rho[2]);
    assert!(rho[0].value > -rho[1].value);
}

/// One row of sensitivity.csv.
#[derive(Debug, Clone)]
struct CsvRow {
    alternative: String,
    region: String,
    metric: String,
    input: String,
    method: String,
    value: Option<f64>,
    low: Option<f64>,
    high: Option<f64>,
    point: String,
}

fn read_csv(text: &str) -> (Vec<String>, Vec<CsvRow>) {
    let mut r = csv::Reader::from_reader(text.as_bytes());
    let header: Vec<String> = r.headers().unwrap().iter().map(str::to_owned).collect();
    let num = |s: &str| (!s.is_empty()).then(|| s.parse::<f64>().expect("a number"));
    let rows = r
        .records()
        .map(|rec| {
            let rec = rec.unwrap();
            CsvRow {
                alternative: rec[1].to_owned(),
                region: rec[2].to_owned(),
                metric: rec[3].to_owned(),
                input: rec[4].to_owned(),
                method: rec[5].to_owned(),
                value: num(&rec[6]),
                low: num(&rec[7]),
                high: num(&rec[8]),
                point: rec[9].to_owned(),
            }
        })
        .collect();
    (header, rows)
}

/// The reference scenario's path-level uncertain inputs (its per-firm
/// `land_per_firm_mu` draws are not path inputs).
const REFERENCE_INPUTS: [&str; 11] = [
    "park.saleable_share",
    "contributions[1].value",
    "contributions[3].value",
    "costs.land_acquisition.per_mu",
    "costs.infrastructure.per_mu",
    "company.land_price_per_mu",
    "firms.arrival_rate",
    "firms.displacement",
    "firms.outlook",
    "firms.sectors[1].revenue_per_mu",
    "firms.sectors[2].revenue_per_mu",
];

#[test]
fn cli_analyses_every_input_for_every_region_and_method_reproducibly() {
    let dir = common::TestDir::new();
    let mut outputs = Vec::new();
    for threads in ["1", "2"] {
        let out = format!("out-{threads}");
        dir.ok(&[
            "sensitivity",
            common::REFERENCE_PATH,
            "--paths",
            "24",
            "--resamples",
            "200",
            "--threads",
            threads,
            "--out",
            &out,
            "--quiet",
        ]);
        dir.assert_no_temp_files(&out);
        let base = format!("out-{threads}/jilin-zhejiang-sensitivity");
        let files = [
            "charts/tornado-01.svg",
            "charts/tornado-02.svg",
            "report.html",
            "sensitivity.csv",
        ];
        outputs.push(
            files
                .iter()
                .map(|f| (*f, dir.read_bytes(&format!("{base}/{f}"))))
                .collect::<Vec<_>>(),
        );
        for f in [
            "charts/tornado-01.png",
            "sensitivity.json",
            "scenario.toml",
            "manifest.json",
        ] {
            assert!(dir.exists(&format!("{base}/{f}")), "{f} missing");
        }
    }
    for ((name, one), (_, two)) in outputs[0].iter().zip(&outputs[1]) {
        assert!(one == two, "{name} differs between 1 and 2 threads");
    }
    let text = dir.read("out-1/jilin-zhejiang-sensitivity/sensitivity.csv");
    let (header, rows) = read_csv(&text);
    assert_eq!(
        header[..9],
        [
            "scenario",
            "alternative",
            "region",
            "metric",
            "input",
            "method",
            "value",
            "ci_low",
            "ci_high"
        ]
    );

    // Every input, for every region's NPV under every alternative, by every method.
    // By id, as in summary.csv, so the two files join.
    let regions = ["zhejiang", "jilin"];
    let alternatives: std::collections::BTreeSet<&str> = rows
        .iter()
        .filter(|r| r.metric == "npv")
        .map(|r| r.alternative.as_str())
        .collect();
    assert!(alternatives.len() >= 2, "{alternatives:?}");
    for alt in &alternatives {
        for region in regions {
            for input in REFERENCE_INPUTS {
                for method in [
                    "tornado",
                    "spider",
                    "spearman",
                    "src",
                    "sobol_first",
                    "sobol_total",
                ] {
                    assert!(
                        rows.iter().any(|r| r.alternative == *alt
                            && r.region == region
                            && r.metric == "npv"
                            && r.input == input
                            && r.method == method
                            && r.value.is_some()),
                        "no {method} row for {input} on {region}'s NPV under {alt}"
                    );
                }
            }
            assert!(rows.iter().any(|r| r.alternative == *alt
                && r.region == region
                && r.method == "src_r2"
                && r.input == "(all)"));
            for method in ["sobol_first", "sobol_total"] {
                assert!(rows.iter().any(|r| r.alternative == *alt
                    && r.region == region
                    && r.method == method
                    && r.input == "(process noise)"));
            }
        }
    }
    // No other input is analysed (the per-firm draws are not path inputs).
    for r in &rows {
        assert!(
            r.input == "(all)"
                || REFERENCE_INPUTS.contains(&r.input.as_str())
                || (r.input == "(process noise)" && r.method.starts_with("sobol_")),
            "unexpected input {}",
            r.input
        );
    }
    // Every interval brackets its value.
    for r in &rows {
        if let (Some(v), Some(lo), Some(hi)) = (r.value, r.low, r.high) {
            assert!(lo <= v && v <= hi, "{r:?}");
        }
    }
    let find = |alt: &str, region: &str, metric: &str, input: &str, method: &str, point: &str| {
        rows.iter()
            .find(|r| {
                r.alternative == alt
                    && r.region == region
                    && r.metric == metric
                    && r.input == input
                    && r.method == method
                    && r.point == point
            })
            .and_then(|r| r.value)
            .unwrap_or_else(|| panic!("no {method} {point} row of {input} for {region} {metric}"))
    };
    // Monotone inputs: more arrivals, more taxes (Poisson arrivals are monotone in
    // the rate and the paths share their noise); dearer land acquisition, which
    // Jilin bears, lowers Jilin's NPV under every alternative.
    assert!(
        find(
            "all",
            "park",
            "tax_total",
            "firms.arrival_rate",
            "tornado",
            "swing"
        ) > 0.0
    );
    for alt in &alternatives {
        let swing = find(
            alt,
            regions[1],
            "npv",
            "costs.land_acquisition.per_mu",
            "tornado",
            "swing",
        );
        assert!(swing < 0.0, "{alt}: {swing}");
        let p10 = find(
            alt,
            regions[1],
            "npv",
            "costs.land_acquisition.per_mu",
            "tornado",
            "p10",
        );
        let p90 = find(
            alt,
            regions[1],
            "npv",
            "costs.land_acquisition.per_mu",
            "tornado",
            "p90",
        );
        assert!(p90 < p10, "{alt}: {p10} {p90}");
    }
    // Plausible drivers: the park's demand outlook, the arrival rate or the cost of
    // land acquisition moves Jilin's NPV most, by the tornado and by the Sobol
    // total index.
    let alt = alternatives.iter().next().unwrap();
    let plausible = [
        "firms.outlook",
        "firms.arrival_rate",
        "costs.land_acquisition.per_mu",
    ];
    let top = |method: &str, point: &str| {
        REFERENCE_INPUTS
            .iter()
            .max_by(|a, b| {
                let v = |i: &str| find(alt, regions[1], "npv", i, method, point).abs();
                v(a).total_cmp(&v(b))
            })
            .copied()
            .unwrap()
    };
    assert!(
        plausible.contains(&top("tornado", "swing")),
        "{}",
        top("tornado", "swing")
    );
    assert!(
        plausible.contains(&top("sobol_total", "")),
        "{}",
        top("sobol_total", "")
    );
}

/// The terminal's summary shows a tornado swing with its sign, as
/// sensitivity.csv and the report have it: dearer land acquisition, which Jilin
/// bears, lowers Jilin's NPV, so its swing is negative under every alternative.
/// It was printed as its absolute value, the direction lost.
#[test]
fn the_terminal_shows_a_negative_swing_with_its_sign() {
    let dir = common::TestDir::new();
    let out = dir.ok(&[
        "sensitivity",
        common::REFERENCE_PATH,
        "--method",
        "tornado",
        "--paths",
        "16",
        "--threads",
        "1",
        "--out",
        "out",
    ]);
    let stdout = String::from_utf8(out.stdout).expect("UTF-8");
    let text = dir.read("out/jilin-zhejiang-sensitivity/sensitivity.csv");
    let (_, rows) = read_csv(&text);
    let input = "costs.land_acquisition.per_mu";
    let swings: Vec<&CsvRow> = rows
        .iter()
        .filter(|r| {
            r.region == "jilin"
                && r.metric == "npv"
                && r.input == input
                && r.method == "tornado"
                && r.point == "swing"
        })
        .collect();
    assert!(swings.len() >= 2, "{swings:?}");
    let mut seen = 0;
    for row in swings {
        let csv = row.value.expect("a swing");
        assert!(csv < 0.0, "{row:?}");
        // The line of Jilin under this alternative, `  jilin  ALT: INPUT (swing X), …`.
        let Some(line) = stdout.lines().find(|l| {
            l.trim_start().starts_with("jilin ") && l.contains(&format!(" {}: ", row.alternative))
        }) else {
            panic!("no line for jilin under {}:\n{stdout}", row.alternative);
        };
        // Jilin's three largest swings, each in words with its path and the
        // swing in the money unit; land acquisition is not among them under
        // every alternative.
        let Some((_, rest)) = line.split_once(&format!("land acquisition per mu ({input}, swing "))
        else {
            continue;
        };
        let (shown, after) = rest.split_once(' ').unwrap_or_default();
        assert!(after.starts_with("million CNY)"), "{line}");
        assert!(shown.starts_with('-'), "{shown} in {line}");
        let shown: f64 = shown.parse().unwrap_or_else(|e| panic!("{shown}: {e}"));
        let decimals = enclave::report::SWING_DECIMALS as i32;
        assert!(
            (shown - csv).abs() <= 0.5 * 10f64.powi(-decimals) + 1e-9,
            "terminal {shown}, sensitivity.csv {csv} in {line}"
        );
        seen += 1;
    }
    assert!(seen > 0, "{input} in no line of jilin:\n{stdout}");
}

#[test]
fn a_scenario_without_path_inputs_is_refused_clearly() {
    let dir = common::TestDir::new();
    // Every path-level distribution made a fixed number (its first number); the
    // per-firm land_per_firm_mu draws stay, and are not path inputs.
    let text: String = common::REFERENCE
        .lines()
        .map(|line| match line.find("{ dist =") {
            Some(i) if !line.trim_start().starts_with("land_per_firm_mu") => {
                let rest = &line[i..];
                let start = rest.find(|c: char| c.is_ascii_digit()).unwrap();
                let number: String = rest[start..]
                    .chars()
                    .take_while(|c| c.is_ascii_digit() || *c == '.')
                    .collect();
                format!("{}{number}", &line[..i])
            }
            _ => line.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("\n");
    let file = dir.create("fixed.toml", &text);
    let out = dir.cmd(&["sensitivity", file.to_str().unwrap(), "--paths", "4"]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("no uncertain input drawn per path") && err.contains("per-firm"),
        "{err}"
    );
    assert!(!dir.exists("out/jilin-zhejiang-sensitivity"));
}

/// The tornado chart of a hand-made analysis: bars are each end less the base,
/// the largest swing on top, and the chart renders as XML and PNG.
#[test]
fn the_tornado_orders_inputs_by_swing_and_measures_from_the_base() {
    use enclave::chart::tornado::{self, Tornado};
    use enclave::engine::Layout;
    use enclave::sensitivity::{Analysis, Method, Row};
    let scn = enclave::scenario::Scenario::reference().unwrap();
    let layout = Layout::new(&scn, scn.simulation.horizon);
    let outputs = sensitivity::outputs(&scn, &layout);
    let inputs = vec!["a".to_owned(), "b".to_owned()];
    // Region 0 under every alternative: base 100; input a moves it 90 → 120
    // (swing 30), input b 50 → 160 (swing 110), so b comes first.
    let mut rows = Vec::new();
    let row = |output: usize, input: &str, point: &str, value: f64| Row {
        output,
        input: input.to_owned(),
        method: "tornado",
        estimate: Estimate {
            value,
            low: value - 1.0,
            high: value + 1.0,
        },
        point: point.to_owned(),
        input_value: f64::NAN,
        n: 8,
    };
    for (o, out) in outputs.iter().enumerate() {
        if out.region_index != Some(0) {
            continue;
        }
        rows.push(row(o, "(all)", "base", 100.0));
        for (input, lo, hi) in [("a", 90.0, 120.0), ("b", 50.0, 160.0)] {
            rows.push(row(o, input, "p10", lo));
            rows.push(row(o, input, "p90", hi));
            rows.push(row(o, input, "swing", hi - lo));
        }
    }
    let varies = vec![true; outputs.len()];
    let analysis = Analysis {
        methods: vec![Method::Tornado],
        outputs,
        inputs,
        rows,
        runs: 0,
        paths_simulated: 0,
        firm_years: 0,
        varies,
    };
    let t = Tornado::of_region(&analysis, &scn, 0).expect("a tornado for region 0");
    assert_eq!(t.alternatives.len(), scn.alternatives.len());
    assert_eq!(t.bars[0].input, "b");
    assert_eq!(t.bars[1].input, "a");
    for (lo, hi) in &t.bars[0].ends {
        assert!(
            (lo + 50.0).abs() < 1e-12 && (hi - 60.0).abs() < 1e-12,
            "{lo} {hi}"
        );
    }
    let svg = tornado::render_svg(&t).unwrap();
    let doc = roxmltree::Document::parse(&svg).expect("the chart is well-formed SVG");
    let texts: Vec<&str> = doc
        .descendants()
        .filter(|n| n.has_tag_name("text"))
        .filter_map(|n| n.text())
        .map(str::trim)
        .collect();
    assert!(
        texts.contains(&"a") && texts.contains(&"b"),
        "input names drawn: {texts:?}"
    );
    let png = tornado::render_png(&t).unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    // Region 1 has no tornado rows in this analysis.
    assert!(Tornado::of_region(&analysis, &scn, 1).is_none());
}

#[test]
fn a_first_order_index_below_0_is_kept_raw_in_the_csv_and_shown_as_0_in_the_report() {
    // The testers' run: at 512 paths, inputs that cannot matter (ST exactly 0)
    // came out S = −0.084 [−0.169, −0.003], read as a significant negative share
    // of the variance. The CSV keeps the raw estimate; the report shows 0 with
    // the raw estimate as sampling error, and how large that error is.
    let dir = common::TestDir::new();
    dir.ok(&[
        "sensitivity",
        common::REFERENCE_PATH,
        "--method",
        "sobol",
        "--paths",
        "512",
        "--threads",
        "1",
        "--out",
        "out",
        "--quiet",
    ]);
    let base = "out/jilin-zhejiang-sensitivity";
    let (_, rows) = read_csv(&dir.read(&format!("{base}/sensitivity.csv")));
    let negative: Vec<&CsvRow> = rows
        .iter()
        .filter(|r| r.method == "sobol_first" && r.value.is_some_and(|v| v < -0.005))
        .collect();
    assert!(
        negative.iter().any(|r| r.high.is_some_and(|h| h < 0.0)),
        "the test wants an interval below 0, as the testers saw"
    );
    let report = dir.read(&format!("{base}/report.html"));
    for r in &negative {
        let raw = format!("{:.2}", r.value.expect("value")).replace('-', "−");
        let cell = format!(
            "<td class=\"n\">0.00 <span class=\"few\">(estimate {raw}: outside 0–1 by sampling error)</span></td>"
        );
        assert!(report.contains(&cell), "no {cell}");
    }
    // Only the Sobol method ran, so every interval shown is an index's: none is
    // shown reaching below 0.
    assert!(!report.contains("[−0."), "an interval end below 0 is shown");
    assert!(
        report.contains("S's most: with 512 paths per point, S's 95% intervals here are about ±0."),
        "no note on the sampling error"
    );
    // Once "at 512 paths a point its 95% intervals", whose "its" had no noun.
    assert!(!report.contains("paths a point"), "the old wording");
}

#[test]
fn an_analysis_over_the_work_budget_is_refused_up_front() {
    // A tester's --paths 100000000 started 82 runs silently, hours of work,
    // where `run` refuses the same paths at once.
    let dir = common::TestDir::new();
    let k = REFERENCE_INPUTS.len();
    let refused = |paths: &str, more: &[&str]| {
        let mut args = vec!["sensitivity", common::REFERENCE_PATH, "--method", "tornado"];
        args.extend(["--paths", paths, "--quiet"]);
        args.extend(more);
        common::bad_input(&dir.cmd(&args))
    };
    let e = refused("100000000", &[]);
    assert!(
        e.contains("jilin-zhejiang.toml: work of up to ")
            && e.contains(&format!(
            " firm-years ({} runs of 100000000 paths, 30 years) is above the budget of 5.00e10; lower --paths or --horizon, or name fewer --method, or raise the budget with --max-work ",
            1 + 2 * k
        )),
        "{e}"
    );
    assert!(!dir.exists("out/jilin-zhejiang-sensitivity"));
    // The budget is the flag's.
    let e = refused("64", &["--max-work", "1e3"]);
    assert!(e.contains("is above the budget of 1.00e3"), "{e}");
}

/// `enclave sensitivity` of the reference scenario by `method` with `flags`,
/// quietly, in `dir`.
fn analyse(dir: &common::TestDir, method: &str, flags: &[&str]) -> std::process::Output {
    let mut args = vec![
        "sensitivity",
        common::REFERENCE_PATH,
        "--method",
        method,
        "--quiet",
    ];
    args.extend_from_slice(flags);
    dir.cmd(&args)
}

#[test]
fn too_few_paths_for_a_method_are_refused_up_front() {
    // The testers' runs: rank on 3 paths printed empty lines and wrote empty SRC
    // cells, sobol on 1 printed total indices such as 1.000 with intervals of
    // width 0; both exited 0.
    let dir = common::TestDir::new();
    let run = |method: &str, paths: &str| analyse(&dir, method, &["--paths", paths]);
    let k = REFERENCE_INPUTS.len();
    let e = common::bad_input(&run("rank", "3"));
    assert!(
        e.contains(&format!(
            "--paths 3 is too few with {k} inputs: rank needs at least {} (the regression on {k} inputs needs N − {} ≥ 1 degrees of freedom",
            k + 2,
            k + 1
        )),
        "{e}"
    );
    assert!(
        e.contains(&format!("give --paths {} or more", k + 2)),
        "{e}"
    );
    let e = common::bad_input(&run("sobol", "1"));
    assert!(e.contains("sobol needs at least 2"), "{e}");
    let e = common::bad_input(&run("all", "1"));
    for method in ["tornado", "spider", "rank", "sobol"] {
        assert!(e.contains(&format!("{method} needs at least")), "{e}");
    }
    assert!(!dir.exists("out/jilin-zhejiang-sensitivity"));
    // At the minimum every cell of the regression is filled.
    dir.ok(&[
        "sensitivity",
        common::REFERENCE_PATH,
        "--method",
        "rank",
        "--paths",
        &(k + 2).to_string(),
        "--quiet",
    ]);
    let (_, rows) = read_csv(&dir.read("out/jilin-zhejiang-sensitivity/sensitivity.csv"));
    assert!(
        rows.iter()
            .filter(|r| r.method == "src")
            .all(|r| r.value.is_some() && r.low.is_some()),
        "an empty SRC cell at the minimum"
    );
}

#[test]
fn too_few_resamples_for_sobol_are_refused_up_front() {
    // The tester's run: --resamples 1 wrote every Sobol interval as [x, x]
    // (value −0.24 in [−0.46, −0.46]) and exited 0.
    let dir = common::TestDir::new();
    let run = |method: &str, resamples: &str| {
        let sizes = ["--paths", "50", "--horizon", "5"];
        analyse(
            &dir,
            method,
            &[&sizes[..], &["--resamples", resamples]].concat(),
        )
    };
    for r in ["0", "1", "39"] {
        let e = common::bad_input(&run("sobol", r));
        assert!(
            e.contains(&format!("jilin-zhejiang.toml: --resamples {r} is too few: sobol's 95% intervals need at least 40 bootstrap resamples (a percentile interval leaves 2.5% of the B resamples out at each end, and at least one of them, 1/B, so it needs 1/B ≤ 2.5%;")),
            "{e}"
        );
        assert!(
            e.contains(
                "give --resamples 40 or more (the default is 1000), or leave sobol out of --method"
            ),
            "{e}"
        );
    }
    assert!(!dir.exists("out/jilin-zhejiang-sensitivity"));
    // The minimum runs, and an interval of width 0 is left only to an index
    // estimated as exactly 0 (an input that moves nothing on any row).
    assert!(run("sobol", "40").status.success());
    let base = "out/jilin-zhejiang-sensitivity";
    let record: serde_json::Value =
        serde_json::from_str(&dir.read(&format!("{base}/sensitivity.json"))).expect("JSON");
    assert_eq!(record["bootstrap_resamples"], 40);
    let (_, rows) = read_csv(&dir.read(&format!("{base}/sensitivity.csv")));
    let sobol: Vec<&CsvRow> = rows
        .iter()
        .filter(|r| r.method.starts_with("sobol"))
        .collect();
    assert!(!sobol.is_empty());
    for r in sobol {
        let (v, lo, hi) = (
            r.value.expect("an estimate"),
            r.low.expect("a bound"),
            r.high.expect("a bound"),
        );
        assert!(lo < hi || v.abs() < 1e-300, "{r:?}");
    }
    // Without sobol nothing is bootstrapped: the flag is not checked.
    assert!(run("tornado", "1").status.success());
}

#[test]
fn a_correlation_that_some_methods_ignore_is_said_on_stderr_in_the_record_and_the_report() {
    // The testers' finding: tornado, spider and sobol pin every input's uniform
    // (a table takes no copula), so with a [correlation] their numbers are the
    // independent model's (Sobol's V was 4,551 where the file's NPV variance was
    // about 8,400), and nothing said so; rank ran the correlated model.
    let file = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/scenarios/suzhou-suqian-2026.toml"
    );
    let dir = common::TestDir::new();
    let run = |method: &str, out: &str| {
        dir.ok(&[
            "sensitivity",
            file,
            "--method",
            method,
            "--paths",
            "12",
            "--resamples",
            "40",
            "--out",
            out,
            "--quiet",
        ])
    };
    let out = run("tornado,sobol", "ind");
    let stderr = String::from_utf8(out.stderr).expect("UTF-8");
    let said = "the scenario's [correlation] correlates firms.arrival_rate and firms.sectors[0].revenue_per_mu, but tornado and sobol set each input's quantile themselves and treat the inputs as independent (no copula is applied): their swings and variance shares describe the model with independent inputs, not the file's correlated one, and standard Sobol indices are undefined for dependent inputs; the rank method (--method rank) runs the scenario as written, correlation included";
    assert_eq!(stderr, format!("warning: {file}: {said}\n"));
    let base = "ind/suzhou-suqian-2026-sensitivity";
    let record: serde_json::Value =
        serde_json::from_str(&dir.read(&format!("{base}/sensitivity.json"))).expect("JSON");
    assert_eq!(record["notes"], serde_json::json!([said]));
    let report = dir.read(&format!("{base}/report.html"));
    assert!(
        report.contains(&format!(
            "<p><b>Correlated inputs:</b> {}.</p>",
            said.replace('\'', "&#39;")
        )),
        "no note in the report"
    );
    // With rank too, the note says that rank has the correlation.
    let out = run("all", "all");
    let stderr = String::from_utf8(out.stderr).expect("UTF-8");
    assert!(
        stderr.contains("but tornado, spider and sobol set each input's quantile themselves")
            && stderr.ends_with("; rank runs the scenario as written, correlation included\n"),
        "{stderr}"
    );
    // Rank alone runs the file's model: nothing to say.
    let out = run("rank", "rank");
    assert!(out.stderr.is_empty(), "{out:?}");
    let json = dir.read("rank/suzhou-suqian-2026-sensitivity/sensitivity.json");
    assert!(!json.contains("\"notes\""), "{json}");
    assert!(
        !dir.read("rank/suzhou-suqian-2026-sensitivity/report.html")
            .contains("Correlated inputs")
    );
}

#[test]
fn a_chinese_analysis_gives_its_captions_streams_and_summary_in_chinese() {
    // `--lang zh` left the tornado charts' captions, the random streams' row of
    // the reproducibility table and the terminal summary in English.
    let dir = common::TestDir::new();
    let out = dir.ok(&[
        "sensitivity",
        common::REFERENCE_PATH,
        "--method",
        "tornado",
        "--paths",
        "8",
        "--horizon",
        "6",
        "--threads",
        "1",
        "--lang",
        "zh",
        "--out",
        "out",
    ]);
    let stdout = String::from_utf8(out.stdout).expect("UTF-8");
    let first = stdout.lines().next().expect("a summary");
    assert!(
        first.starts_with("jilin-zhejiang：") && first.contains(" 个输入，引擎运行 "),
        "{stdout}"
    );
    // The inputs in Chinese words with their paths, the swing in the money
    // unit (they were TOML paths alone, and the swing had no unit).
    assert!(
        stdout.contains("园区前景系数（firms.outlook，摆幅 ") && stdout.contains(" 百万元）"),
        "{stdout}"
    );
    assert!(
        stdout
            .lines()
            .last()
            .is_some_and(|l| l.starts_with("结果写入 ")),
        "{stdout}"
    );
    for english in ["inputs,", "engine runs", "(swing ", "written to"] {
        assert!(!stdout.contains(english), "{english}: {stdout}");
    }
    let report = dir.read("out/jilin-zhejiang-sensitivity/report.html");
    assert!(report.contains("<figcaption>每根条形："));
    assert!(
        report.contains("<tr><td>园区前景系数 (<code>firms.outlook</code>)</td>"),
        "{report}"
    );
    // The tornado charts name the inputs in words.
    let svg = dir.read("out/jilin-zhejiang-sensitivity/charts/tornado-01.svg");
    assert!(svg.contains("\n园区前景系数\n"), "{svg}");
    assert!(!svg.contains("firms.outlook"), "{svg}");
    assert!(report.contains("过程噪声：该次运行的命名随机数流（路径 0..8）"));
    for english in ["Each bar:", "process noise: the run", "Saltelli's A and B"] {
        assert!(!report.contains(english), "{english} in the Chinese page");
    }
    // sensitivity.json keeps its record in English.
    let json = dir.read("out/jilin-zhejiang-sensitivity/sensitivity.json");
    assert!(json.contains("process noise: the run's named streams (paths 0..8)"));
}

#[test]
fn an_output_that_never_changes_has_no_drivers_in_the_summary() {
    // Without its contribution the province gets nothing under "province waives
    // its part": its NPV is 0 on every path, and the summary named three inputs
    // (swing 0.0) as what drives it.
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/scenarios/three-party.toml"
    ))
    .expect("the three-party scenario");
    let start = text
        .find("[[contributions]]\nregion = \"province\"")
        .expect("the province's contribution");
    let end = start
        + 1
        + text[start + 1..]
            .find("[[contributions]]")
            .expect("a contribution after it");
    let dir = common::TestDir::new();
    dir.create("tp.toml", &format!("{}{}", &text[..start], &text[end..]));
    let out = dir.ok(&[
        "sensitivity",
        "tp.toml",
        "--method",
        "tornado",
        "--paths",
        "8",
        "--horizon",
        "6",
        "--threads",
        "1",
        "--out",
        "out",
    ]);
    let stdout = String::from_utf8(out.stdout).expect("UTF-8");
    let line = stdout
        .lines()
        .find(|l| l.trim_start().starts_with("province") && l.contains("province waives its part:"))
        .unwrap_or_else(|| panic!("no line of the province's waived NPV: {stdout}"));
    assert!(
        line.ends_with("province waives its part: does not vary: the same on every path of every run, so no input drives it"),
        "{line}"
    );
    // The others are named with their drivers, as before.
    assert!(
        stdout
            .lines()
            .any(|l| l.contains("province takes its part: ") && l.contains(", swing ")),
        "{stdout}"
    );
}

/// An input of a range of no width has no Sobol indices, as it has no rank
/// coefficients (empty cells): its first-order estimate was sampling noise
/// around 0 with an interval (a tester saw −0.12). Another input keeps its own.
#[test]
fn a_constant_input_has_no_sobol_indices() {
    let dir = common::TestDir::new();
    let text = common::REFERENCE.replacen(
        "saleable_share = { dist = \"uniform\", min = 0.6, max = 0.7 }",
        "saleable_share = { dist = \"uniform\", min = 0.65, max = 0.65 }",
        1,
    );
    assert_ne!(text, common::REFERENCE);
    dir.create("flat.toml", &text);
    dir.ok(&[
        "sensitivity",
        "flat.toml",
        "--method",
        "sobol",
        "--paths",
        "64",
        "--horizon",
        "8",
        "--resamples",
        "40",
        "--threads",
        "1",
        "--out",
        "out",
        "--quiet",
    ]);
    let (_, rows) = read_csv(&dir.read("out/jilin-zhejiang-sensitivity/sensitivity.csv"));
    let sobol = |input: &str| -> Vec<&CsvRow> {
        rows.iter()
            .filter(|r| r.input == input && r.method.starts_with("sobol_"))
            .collect()
    };
    let flat = sobol("park.saleable_share");
    assert!(!flat.is_empty());
    assert!(
        flat.iter()
            .all(|r| r.value.is_none() && r.low.is_none() && r.high.is_none()),
        "{:?}",
        flat.iter()
            .map(|r| (&r.method, r.value))
            .collect::<Vec<_>>()
    );
    assert!(
        sobol("firms.arrival_rate")
            .iter()
            .any(|r| r.value.is_some_and(|v| v != 0.0))
    );
}

/// `x` as the page's tables write an amount to `digits` decimals: the integer
/// part grouped by thin spaces, the sign `−`.
fn page_number(x: f64, digits: usize) -> String {
    let text = format!("{:.*}", digits, x.abs());
    let (int, frac) = text
        .split_once('.')
        .map_or((text.as_str(), None), |(i, f)| (i, Some(f)));
    let mut grouped = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push('\u{2009}');
        }
        grouped.push(c);
    }
    let sign = if x < 0.0 { "−" } else { "" };
    match frac {
        Some(f) => format!("{sign}{grouped}.{f}"),
        None => format!("{sign}{grouped}"),
    }
}

/// The spider's rows reached sensitivity.csv alone: `--method spider` gave a
/// page of tornado, rank and Sobol cells, all empty, and no chart. The page
/// now has a spider subsection with, per region and alternative, a chart
/// (also in charts/spider-RR-AA.svg and .png) and a table of every input at
/// the seven quantile levels, its mean NPVs those of sensitivity.csv.
#[test]
fn a_spider_run_shows_each_inputs_line_on_the_page_and_in_charts() {
    let scn = enclave::scenario::Scenario::reference().unwrap();
    let dir = common::TestDir::new();
    dir.ok(&[
        "sensitivity",
        common::REFERENCE_PATH,
        "--method",
        "spider",
        "--paths",
        "8",
        "--horizon",
        "6",
        "--threads",
        "1",
        "--out",
        "out",
        "--quiet",
    ]);
    let base = "out/jilin-zhejiang-sensitivity";
    let report = dir.read(&format!("{base}/report.html"));
    assert_eq!(
        report
            .matches("<h3 id=\"spider\">Spider: each input over its range</h3>")
            .count(),
        1
    );
    let (_, rows) = read_csv(&dir.read(&format!("{base}/sensitivity.csv")));
    let levels = ["0.05", "0.1", "0.25", "0.5", "0.75", "0.9", "0.95"];
    let tables: Vec<&str> = report
        .split("<table class=\"spider\">")
        .skip(1)
        .map(|t| t.split("</table>").next().expect("a table"))
        .collect();
    let (n_reg, n_alt) = (scn.regions.len(), scn.alternatives.len());
    assert_eq!(tables.len(), n_reg * n_alt);
    assert_eq!(
        report
            .matches("<figcaption>Each line: the region's NPV")
            .count(),
        n_reg * n_alt
    );
    for (t, table) in tables.iter().enumerate() {
        let (region, alt) = (&scn.regions[t / n_alt], &scn.alternatives[t % n_alt]);
        // The heading names the output the table is of.
        let head = format!("<h4>{}'s NPV under <b>{}</b></h4>", region.name, alt.name);
        assert!(report.contains(&head), "no {head}");
        let header: String = levels
            .iter()
            .map(|q| {
                let base = if *q == "0.5" { " (base)" } else { "" };
                format!("<th class=\"n\">{q}{base}</th>")
            })
            .collect();
        assert!(
            table.contains(&format!("<tr><th>input</th>{header}</tr>")),
            "{table}"
        );
        let lines: Vec<&str> = table.split("<tr><td>").skip(1).collect();
        assert_eq!(lines.len(), REFERENCE_INPUTS.len(), "{table}");
        let spider = |input: &str| -> Vec<f64> {
            levels
                .iter()
                .map(|q| {
                    rows.iter()
                        .find(|r| {
                            r.alternative == alt.name
                                && r.region == region.id
                                && r.metric == "npv"
                                && r.input == input
                                && r.method == "spider"
                                && r.point == format!("q{q}")
                        })
                        .and_then(|r| r.value)
                        .unwrap_or_else(|| panic!("no spider row of {input} at {q}"))
                })
                .collect()
        };
        let all: Vec<f64> = REFERENCE_INPUTS.iter().flat_map(|i| spider(i)).collect();
        let digits = enclave::report::money_decimals(all);
        for input in REFERENCE_INPUTS {
            let line = lines
                .iter()
                .find(|l| l.contains(&format!("<code>{input}</code>")))
                .unwrap_or_else(|| panic!("no line of {input} in table {t}"));
            let cells: Vec<&str> = line.split("<td class=\"n\">").skip(1).collect();
            assert_eq!(cells.len(), levels.len(), "{line}");
            for (cell, v) in cells.iter().zip(spider(input)) {
                let shown = format!("{}<br><span class=\"few\">", page_number(v, digits));
                assert!(cell.starts_with(&shown), "{input}: {cell} is not {shown}");
            }
        }
    }
    // A chart per region and alternative, each input's line named in words.
    for r in 1..=n_reg {
        for a in 1..=n_alt {
            let stem = format!("{base}/charts/spider-{r:02}-{a:02}");
            let svg = dir.read(&format!("{stem}.svg"));
            let doc = roxmltree::Document::parse(&svg).expect("the chart is well-formed SVG");
            let texts: Vec<&str> = doc
                .descendants()
                .filter(|n| n.has_tag_name("text"))
                .filter_map(|n| n.text())
                .map(str::trim)
                .collect();
            for words in [
                "the park's outlook",
                "prospective firms a year",
                "0.05",
                "0.95",
            ] {
                assert!(texts.contains(&words), "{stem}: no {words} in {texts:?}");
            }
            assert!(report.contains(svg.trim()), "{stem} is not on the page");
            let png = dir.read_bytes(&format!("{stem}.png"));
            assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        }
    }
    assert!(!dir.exists(&format!("{base}/charts/tornado-01.svg")));
    // In Chinese, the subsection and its charts are in Chinese.
    dir.ok(&[
        "sensitivity",
        common::REFERENCE_PATH,
        "--method",
        "spider",
        "--paths",
        "8",
        "--horizon",
        "6",
        "--threads",
        "1",
        "--lang",
        "zh",
        "--out",
        "zh",
        "--quiet",
    ]);
    let report = dir.read("zh/jilin-zhejiang-sensitivity/report.html");
    assert!(report.contains("<h3 id=\"spider\">蛛网图：各输入取遍其取值范围</h3>"));
    assert!(report.contains("<th class=\"n\">0.5（基准）</th>"));
    for english in ["Spider:", "Each line:", "(base)", "<th>input</th>"] {
        assert!(!report.contains(english), "{english} in the Chinese page");
    }
    let svg = dir.read("zh/jilin-zhejiang-sensitivity/charts/spider-01-01.svg");
    assert!(svg.contains("\n园区前景系数\n"), "{svg}");
    assert!(svg.contains("基准：所有输入取中位数"), "{svg}");
}

/// Without the spider the page has no spider subsection and no spider chart:
/// nothing to show, not an empty heading.
#[test]
fn a_run_without_the_spider_has_no_spider_section() {
    let dir = common::TestDir::new();
    dir.ok(&[
        "sensitivity",
        common::REFERENCE_PATH,
        "--method",
        "tornado",
        "--paths",
        "8",
        "--horizon",
        "6",
        "--threads",
        "1",
        "--out",
        "out",
        "--quiet",
    ]);
    let base = "out/jilin-zhejiang-sensitivity";
    let report = dir.read(&format!("{base}/report.html"));
    assert!(
        report.contains("<figcaption>Each bar:"),
        "the tornado is shown"
    );
    for spider in ["id=\"spider\"", "Spider:", "class=\"spider\"", "Each line:"] {
        assert!(!report.contains(spider), "{spider} without the spider");
    }
    assert!(dir.exists(&format!("{base}/charts/tornado-01.svg")));
    assert!(!dir.exists(&format!("{base}/charts/spider-01-01.svg")));
    assert!(!dir.exists(&format!("{base}/charts/spider-01-01.png")));
}

/// The spider chart of a hand-made analysis: a line per input with a point
/// per level, the widest first, the base from the median point; none for an
/// output without spider rows.
#[test]
fn the_spider_orders_inputs_by_span_and_marks_the_base() {
    use enclave::chart::spider::{self, Spider};
    use enclave::engine::Layout;
    use enclave::sensitivity::{Analysis, Method, Row, SPIDER_LEVELS};
    let scn = enclave::scenario::Scenario::reference().unwrap();
    let layout = Layout::new(&scn, scn.simulation.horizon);
    let outputs = sensitivity::outputs(&scn, &layout);
    let inputs = vec!["a".to_owned(), "b".to_owned()];
    // Region 0's NPV under alternative 0: base 100; a moves it 90 … 110,
    // b 40 … 170, so b comes first.
    let o = outputs
        .iter()
        .position(|x| x.region_index == Some(0) && x.alternative_index == Some(0))
        .expect("an output");
    let mut rows = Vec::new();
    for (input, slope) in [("a", 25.0), ("b", -150.0)] {
        for u in SPIDER_LEVELS {
            let value = 100.0 + slope * (u - 0.5);
            rows.push(Row {
                output: o,
                input: input.to_owned(),
                method: "spider",
                estimate: Estimate {
                    value,
                    low: value - 1.0,
                    high: value + 1.0,
                },
                point: format!("q{u}"),
                input_value: 10.0 * u,
                n: 8,
            });
        }
    }
    let varies = vec![true; outputs.len()];
    let analysis = Analysis {
        methods: vec![Method::Spider],
        outputs,
        inputs,
        rows,
        runs: 0,
        paths_simulated: 0,
        firm_years: 0,
        varies,
    };
    let s = Spider::of_output(&analysis, &scn, 0, 0).expect("a spider of region 0 under 0");
    assert_eq!(s.levels, SPIDER_LEVELS);
    let order: Vec<&str> = s.lines.iter().map(|l| l.input.as_str()).collect();
    assert_eq!(order, ["b", "a"]);
    assert!((s.base - 100.0).abs() < 1e-12, "{}", s.base);
    for line in &s.lines {
        assert_eq!(line.points.len(), SPIDER_LEVELS.len());
        for (u, (x, v)) in SPIDER_LEVELS.iter().zip(&line.points) {
            assert!((x - 10.0 * u).abs() < 1e-12 && v.is_finite(), "{x} {v}");
        }
    }
    assert!((s.lines[0].span() - 150.0 * 0.9).abs() < 1e-9);
    let svg = spider::render_svg(&s).unwrap();
    let doc = roxmltree::Document::parse(&svg).expect("the chart is well-formed SVG");
    let texts: Vec<&str> = doc
        .descendants()
        .filter(|n| n.has_tag_name("text"))
        .filter_map(|n| n.text())
        .map(str::trim)
        .collect();
    assert!(
        texts.contains(&"a") && texts.contains(&"b"),
        "input names drawn: {texts:?}"
    );
    let png = spider::render_png(&s).unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    // Alternative 1 and region 1 have no spider rows in this analysis.
    assert!(Spider::of_output(&analysis, &scn, 0, 1).is_none());
    assert!(Spider::of_output(&analysis, &scn, 1, 0).is_none());
}

/// With the spider alone, the terminal's summary ranked each output's drivers
/// by Sobol, swing or |SRC|, none of which ran, and printed empty lists
/// (`tiered: `): it ranks them by the spider's span instead.
#[test]
fn a_spider_run_alone_names_each_outputs_drivers_by_their_span() {
    let dir = common::TestDir::new();
    let out = dir.ok(&[
        "sensitivity",
        common::REFERENCE_PATH,
        "--method",
        "spider",
        "--paths",
        "8",
        "--horizon",
        "6",
        "--threads",
        "1",
        "--out",
        "out",
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let outputs: Vec<&str> = stdout
        .lines()
        .filter(|l| l.starts_with("  ") && l.contains(": "))
        .collect();
    assert!(!outputs.is_empty(), "{stdout}");
    for line in outputs {
        if line.contains("does not vary") {
            continue;
        }
        let drivers = line.split_once(": ").map_or("", |(_, d)| d);
        assert_eq!(drivers.matches(", span ").count(), 3, "{line}");
    }
}
