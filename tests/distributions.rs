//! Every distribution kind an uncertain input can take (docs/scenario.md,
//! docs/model.md §9): sample moments against the analytic ones, a
//! Kolmogorov–Smirnov test against its CDF, inverse CDF ∘ CDF round trips,
//! truncation, and bad parameters refused with the exact message (directly and
//! through a scenario file, with field path and line); `empirical` inputs read
//! from CSV files, their data in the scenario's hash, and sweeps over them.
//!
//! Statistical tolerances. Each kind is sampled by inverse transform at
//! N = 20,000 uniforms from a fixed SplitMix64 stream (so every run sees the same
//! draws). The sample mean must lie within 4 standard errors `σ/√N` of the
//! analytic mean, the sample variance within 5 standard errors
//! `√((m₄ − s⁴)/N)` (m₄ the sample fourth central moment) of the analytic
//! variance. The Kolmogorov–Smirnov statistic `D = sup |F_N − F|` must be below
//! the asymptotic critical value at α = 0.001, `√(ln(2/α)/2)/√N = 1.9495/√N`
//! (≈ 0.01378); for the discrete kinds the test is conservative.

mod common;

use common::{REFERENCE, TestDir, assert_problem, bad_input, problem_lines, replace_line};
use enclave::dist::{Dist, EmpiricalMethod, Uncertain};
use enclave::scenario::Scenario;
use enclave::sweep::Sweep;

const N: usize = 20_000;
/// √(ln(2/α)/2) at α = 0.001.
const KS_C: f64 = 1.949_5;

/// The `n` uniforms of a SplitMix64 stream from `seed`, in the open interval (0, 1).
fn uniforms(seed: u64, n: usize) -> Vec<f64> {
    let mut state = seed;
    (0..n)
        .map(|_| {
            state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^= z >> 31;
            ((z >> 11) as f64 + 0.5) / (1u64 << 53) as f64
        })
        .collect()
}

/// A kind under test: its distribution, analytic mean and variance, and whether
/// it is continuous.
struct Case {
    name: &'static str,
    dist: Dist,
    mean: f64,
    var: f64,
    continuous: bool,
}

fn cases() -> Vec<Case> {
    let e = std::f64::consts::E;
    vec![
        Case {
            name: "normal",
            dist: Dist::Normal {
                mean: 10.0,
                sd: 2.0,
            },
            mean: 10.0,
            var: 4.0,
            continuous: true,
        },
        Case {
            name: "lognormal mean/sd",
            dist: Dist::LogNormal { mean: 5.0, sd: 2.0 },
            mean: 5.0,
            var: 4.0,
            continuous: true,
        },
        // E = exp(μ + σ²/2), Var = (exp(σ²) − 1) exp(2μ + σ²).
        Case {
            name: "lognormal mu/sigma",
            dist: Dist::LogNormalMuSigma {
                mu: 1.0,
                sigma: 0.5,
            },
            mean: e.powf(1.125),
            var: (e.powf(0.25) - 1.0) * e.powf(2.25),
            continuous: true,
        },
        Case {
            name: "uniform",
            dist: Dist::Uniform { min: 2.0, max: 6.0 },
            mean: 4.0,
            var: 16.0 / 12.0,
            continuous: true,
        },
        // Var = (a² + b² + c² − ab − ac − bc)/18 = (1 + 4 + 36 − 2 − 6 − 12)/18.
        Case {
            name: "triangular",
            dist: Dist::Triangular {
                min: 1.0,
                mode: 2.0,
                max: 6.0,
            },
            mean: 3.0,
            var: 21.0 / 18.0,
            continuous: true,
        },
        // α = 1 + 4·1/5 = 1.8, β = 1 + 4·4/5 = 4.2: mean 1 + 5·0.3 = 2.5,
        // Var = 25 αβ/((α + β)²(α + β + 1)) = 25·7.56/(36·7) = 0.75.
        Case {
            name: "pert",
            dist: Dist::Pert {
                min: 1.0,
                mode: 2.0,
                max: 6.0,
            },
            mean: 2.5,
            var: 0.75,
            continuous: true,
        },
        // Mean 10·2/7; Var = 100·αβ/((α + β)²(α + β + 1)) = 100·10/(49·8).
        Case {
            name: "beta",
            dist: Dist::Beta {
                alpha: 2.0,
                beta: 5.0,
                min: 0.0,
                max: 10.0,
            },
            mean: 20.0 / 7.0,
            var: 1000.0 / 392.0,
            continuous: true,
        },
        // Mean (1 + 2 + 10)/4; E[X²] = (1 + 4 + 50)/4 = 13.75.
        Case {
            name: "discrete",
            dist: Dist::Discrete {
                values: vec![1.0, 2.0, 5.0],
                weights: vec![1.0, 1.0, 2.0],
            },
            mean: 3.25,
            var: 13.75 - 3.25 * 3.25,
            continuous: false,
        },
        // Mean kθ = 6, variance kθ² = 12.
        Case {
            name: "gamma shape/scale",
            dist: Dist::Gamma {
                shape: 3.0,
                scale: 2.0,
            },
            mean: 6.0,
            var: 12.0,
            continuous: true,
        },
        // Shape 16, scale 0.25.
        Case {
            name: "gamma mean/sd",
            dist: Dist::GammaMeanSd { mean: 4.0, sd: 1.0 },
            mean: 4.0,
            var: 1.0,
            continuous: true,
        },
        // Small shape: most mass near 0 (mean 0.6, variance 0.6·4).
        Case {
            name: "gamma small shape",
            dist: Dist::Gamma {
                shape: 0.3,
                scale: 2.0,
            },
            mean: 0.6,
            var: 1.2,
            continuous: true,
        },
        // Mean 31/8; E[X²] = 173/8.
        Case {
            name: "empirical resample",
            dist: Dist::Empirical {
                source: "test".into(),
                method: EmpiricalMethod::Resample,
                values: vec![3.0, 1.0, 4.0, 1.0, 5.0, 9.0, 2.0, 6.0],
            },
            mean: 31.0 / 8.0,
            var: 173.0 / 8.0 - (31.0f64 / 8.0).powi(2),
            continuous: false,
        },
        // Uniform on each of [1, 2], [2, 4], [4, 8] with probability 1/3:
        // mean (1.5 + 3 + 6)/3 = 3.5; E[X²] = Σ (a² + ab + b²)/3 / 3 = 147/9.
        Case {
            name: "empirical interpolate",
            dist: Dist::Empirical {
                source: "test".into(),
                method: EmpiricalMethod::Interpolate,
                values: vec![4.0, 1.0, 8.0, 2.0],
            },
            mean: 3.5,
            var: 147.0 / 9.0 - 12.25,
            continuous: true,
        },
    ]
}

/// `D = sup |F_N(x) − F(x)|` of sorted draws against `cdf`, checked at each
/// distinct value from both sides (the left limit of F taken just below it).
fn ks(sorted: &[f64], cdf: impl Fn(f64) -> f64) -> f64 {
    let n = sorted.len() as f64;
    let mut d: f64 = 0.0;
    let mut i = 0;
    while i < sorted.len() {
        let v = sorted[i];
        let mut j = i;
        while j < sorted.len() && sorted[j].to_bits() == v.to_bits() {
            j += 1;
        }
        let below = v - 1e-9 * v.abs().max(1.0);
        d = d
            .max((j as f64 / n - cdf(v)).abs())
            .max((i as f64 / n - cdf(below)).abs());
        i = j;
    }
    d
}

fn draws(u: &Uncertain, seed: u64) -> Vec<f64> {
    let mut x: Vec<f64> = uniforms(seed, N).iter().map(|p| u.quantile(*p)).collect();
    x.sort_by(f64::total_cmp);
    x
}

fn moments(x: &[f64]) -> (f64, f64, f64) {
    let n = x.len() as f64;
    let mean = x.iter().sum::<f64>() / n;
    let var = x.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0);
    let m4 = x.iter().map(|v| (v - mean).powi(4)).sum::<f64>() / n;
    (mean, var, m4)
}

#[test]
fn sample_moments_match_the_analytic_ones() {
    for (k, c) in cases().into_iter().enumerate() {
        let u = Uncertain::new(c.dist.clone(), None, None).expect(c.name);
        let tol = 1e-12 * c.mean.abs().max(1.0);
        assert!(
            (u.mean() - c.mean).abs() <= tol,
            "{}: mean {} vs {}",
            c.name,
            u.mean(),
            c.mean
        );
        let x = draws(&u, 1 + k as u64);
        let (mean, var, m4) = moments(&x);
        let se_mean = (c.var / N as f64).sqrt();
        assert!(
            (mean - c.mean).abs() <= 4.0 * se_mean,
            "{}: sample mean {mean} vs {} (4 se = {})",
            c.name,
            c.mean,
            4.0 * se_mean
        );
        let se_var = ((m4 - var * var) / N as f64).sqrt();
        assert!(
            (var - c.var).abs() <= 5.0 * se_var,
            "{}: sample variance {var} vs {} (5 se = {})",
            c.name,
            c.var,
            5.0 * se_var
        );
    }
}

#[test]
fn kolmogorov_smirnov_against_the_cdf() {
    let critical = KS_C / (N as f64).sqrt();
    for (k, c) in cases().into_iter().enumerate() {
        let u = Uncertain::new(c.dist.clone(), None, None).expect(c.name);
        let x = draws(&u, 100 + k as u64);
        let d = ks(&x, |v| u.cdf(v));
        assert!(d < critical, "{}: D = {d} ≥ {critical}", c.name);
    }
}

#[test]
fn the_ks_test_rejects_a_wrong_cdf() {
    // The harness has power: gamma(3, 2) draws against gamma(3, 2.1)'s CDF.
    let u = Uncertain::new(
        Dist::Gamma {
            shape: 3.0,
            scale: 2.0,
        },
        None,
        None,
    )
    .expect("valid");
    let wrong = Uncertain::new(
        Dist::Gamma {
            shape: 3.0,
            scale: 2.1,
        },
        None,
        None,
    )
    .expect("valid");
    let d = ks(&draws(&u, 7), |v| wrong.cdf(v));
    assert!(d > KS_C / (N as f64).sqrt(), "D = {d}");
}

#[test]
fn inverse_cdf_of_cdf_is_the_identity() {
    for c in cases() {
        let u = Uncertain::new(c.dist.clone(), None, None).expect(c.name);
        if c.continuous {
            for i in 1..200 {
                let p = f64::from(i) / 200.0;
                let x = u.quantile(p);
                let back = u.cdf(x);
                assert!((back - p).abs() < 1e-9, "{}: F(Q({p})) = {back}", c.name);
                let again = u.quantile(back);
                assert!(
                    (again - x).abs() <= 1e-9 * x.abs().max(1.0),
                    "{}: Q(F({x})) = {again}",
                    c.name
                );
            }
        } else {
            let (Dist::Discrete { values, .. } | Dist::Empirical { values, .. }) = &c.dist else {
                unreachable!()
            };
            for v in values {
                assert_eq!(
                    u.quantile(u.cdf(*v)).to_bits(),
                    v.to_bits(),
                    "{}: {v}",
                    c.name
                );
            }
        }
    }
}

#[test]
fn truncation_is_respected() {
    let critical = KS_C / (N as f64).sqrt();
    for (k, c) in cases().into_iter().enumerate() {
        let full = Uncertain::new(c.dist.clone(), None, None).expect(c.name);
        let (lo, hi) = if c.continuous {
            (full.quantile(0.2), full.quantile(0.7))
        } else {
            (1.5, 5.0)
        };
        let u = Uncertain::new(c.dist.clone(), Some(lo), Some(hi)).expect(c.name);
        let x = draws(&u, 200 + k as u64);
        assert!(
            x[0] >= lo && x[N - 1] <= hi,
            "{}: draws {}..{} outside [{lo}, {hi}]",
            c.name,
            x[0],
            x[N - 1]
        );
        assert_eq!(u.cdf(hi).to_bits(), 1f64.to_bits(), "{}", c.name);
        if c.continuous {
            assert_eq!(u.cdf(lo).to_bits(), 0f64.to_bits(), "{}", c.name);
            // Inside, the truncated CDF is the renormalised one: (F(x) − 0.2)/0.5.
            let mid = full.quantile(0.45);
            assert!(
                (u.cdf(mid) - 0.5).abs() < 1e-9,
                "{}: {}",
                c.name,
                u.cdf(mid)
            );
        }
        let d = ks(&x, |v| u.cdf(v));
        assert!(d < critical, "{} truncated: D = {d}", c.name);
        // The truncated mean (midpoint rule) against the sample's.
        let (mean, var, _) = moments(&x);
        assert!(
            (mean - u.mean()).abs() <= 4.0 * (var / N as f64).sqrt(),
            "{}: truncated mean {} vs sample {mean}",
            c.name,
            u.mean()
        );
    }
}

fn errors(dist: Dist) -> Vec<String> {
    Uncertain::new(dist, None, None)
        .expect_err("refused")
        .iter()
        .map(ToString::to_string)
        .collect()
}

#[test]
fn bad_parameters_are_refused_with_the_field_named() {
    assert_eq!(
        errors(Dist::Gamma {
            shape: -1.0,
            scale: 0.0
        }),
        [
            "shape: expected a number > 0, found -1",
            "scale: expected a number > 0, found 0"
        ]
    );
    assert_eq!(
        errors(Dist::Gamma {
            shape: 0.001,
            scale: 1.0
        }),
        [
            "shape: expected a shape of at least 0.01 (below it most draws underflow to 0), found 0.001"
        ]
    );
    assert_eq!(
        errors(Dist::Gamma {
            shape: 2e6,
            scale: 1.0
        }),
        [
            "shape: expected a shape of at most 1e6 (a larger one is nearly normal; write a normal instead), found 2000000"
        ]
    );
    assert_eq!(
        errors(Dist::Gamma {
            shape: f64::NAN,
            scale: f64::INFINITY
        }),
        [
            "shape: expected a finite number, found NaN",
            "scale: expected a finite number, found inf"
        ]
    );
    assert_eq!(
        errors(Dist::GammaMeanSd {
            mean: -1.0,
            sd: -2.0
        }),
        [
            "mean: expected a number > 0, found -1",
            "sd: expected a number ≥ 0, found -2"
        ]
    );
    assert_eq!(
        errors(Dist::GammaMeanSd {
            mean: 1.0,
            sd: 20.0
        }),
        [
            "sd: expected an sd of at most 10 × the mean (a gamma shape (mean/sd)² ≥ 0.01), found sd = 20, 2.000e1 × the mean"
        ]
    );
    assert_eq!(
        errors(Dist::LogNormalMuSigma {
            mu: f64::NAN,
            sigma: -1.0
        }),
        [
            "mu: expected a finite number, found NaN",
            "sigma: expected a number ≥ 0, found -1"
        ]
    );
    assert_eq!(
        errors(Dist::LogNormalMuSigma {
            mu: 0.0,
            sigma: 10.0
        }),
        [
            "sigma: expected a sigma whose draws keep the mean (the largest draw is at probability 1 − 1e-12), found sigma = 10, whose draws would miss 99.8% of the mean"
        ]
    );
    assert_eq!(
        errors(Dist::Empirical {
            source: "test".into(),
            method: EmpiricalMethod::Interpolate,
            values: vec![1.0],
        }),
        ["column: expected at least 2 values, found 1"]
    );
    // Degenerate but valid: a zero sd or sigma is a constant, as for the normal.
    let point =
        Uncertain::new(Dist::GammaMeanSd { mean: 3.0, sd: 0.0 }, None, None).expect("valid");
    assert_eq!(point.quantile(0.3).to_bits(), 3f64.to_bits());
    let point = Uncertain::new(
        Dist::LogNormalMuSigma {
            mu: 0.0,
            sigma: 0.0,
        },
        None,
        None,
    )
    .expect("valid");
    assert_eq!(point.quantile(0.3).to_bits(), 1f64.to_bits());
    // Truncation is checked as for every kind.
    let e = Uncertain::new(
        Dist::Gamma {
            shape: 2.0,
            scale: 1.0,
        },
        Some(-2.0),
        Some(-1.0),
    )
    .expect_err("no probability");
    assert_eq!(
        e[0].to_string(),
        "lower: expected a truncation range that holds some probability, found [-2, -1]"
    );
}

/// The line of `firms.sectors[1].revenue_per_mu` in the reference scenario.
const REVENUE: &str =
    "revenue_per_mu = { dist = \"triangular\", min = 3.0, mode = 4.5, max = 7.0 }";
const FIELD: &str = "firms.sectors[1].revenue_per_mu";

/// The reference scenario with the revenue line replaced by `new`, validated in
/// `t` as `name`: its problem lines and the line replaced.
fn refused(t: &TestDir, name: &str, new: &str) -> (Vec<String>, usize) {
    let mut text = REFERENCE.to_owned();
    let line = replace_line(&mut text, REVENUE, new);
    t.create(name, &text);
    let stderr = bad_input(&t.cmd(&["validate", name]));
    (problem_lines(&stderr, name), line)
}

#[test]
fn bad_parameters_in_a_scenario_file_name_field_and_line() {
    let t = TestDir::new();
    let (p, line) = refused(
        &t,
        "gamma.toml",
        "revenue_per_mu = { dist = \"gamma\", shape = -1, scale = 2 }",
    );
    assert_eq!(p.len(), 1, "{p:?}");
    assert_problem(
        &p,
        "gamma.toml",
        line,
        &format!("{FIELD}.shape"),
        "expected a number > 0, found -1",
    );

    let (p, line) = refused(
        &t,
        "both.toml",
        "revenue_per_mu = { dist = \"lognormal\", mean = 4, sd = 1, mu = 1.3, sigma = 0.2 }",
    );
    assert_eq!(p.len(), 1, "{p:?}");
    assert_problem(
        &p,
        "both.toml",
        line,
        &format!("{FIELD}.mu"),
        "expected `mean` and `sd`, or `mu` and `sigma`, not both: `lognormal` takes one pair",
    );

    let (p, line) = refused(
        &t,
        "neither.toml",
        "revenue_per_mu = { dist = \"gamma\", lower = 1 }",
    );
    assert_eq!(p.len(), 1, "{p:?}");
    assert_problem(
        &p,
        "neither.toml",
        line,
        FIELD,
        "expected `mean` and `sd`, or `shape` and `scale`: `gamma` needs one pair",
    );

    let (p, line) = refused(
        &t,
        "half.toml",
        "revenue_per_mu = { dist = \"lognormal\", mu = 1.3 }",
    );
    assert_problem(
        &p,
        "half.toml",
        line,
        &format!("{FIELD}.sigma"),
        "expected a number: `lognormal` needs `sigma`",
    );

    let (p, line) = refused(
        &t,
        "extra.toml",
        "revenue_per_mu = { dist = \"gamma\", shape = 3, scale = 1.5, column = \"x\" }",
    );
    assert_problem(
        &p,
        "extra.toml",
        line,
        &format!("{FIELD}.column"),
        "`gamma` takes mean, sd, shape, scale; `column` does not apply",
    );

    // Valid: a gamma (support above 0) where a positive number is required, and a
    // lognormal by its logarithm's parameters.
    for (name, line) in [
        (
            "ok-gamma.toml",
            "revenue_per_mu = { dist = \"gamma\", mean = 4.5, sd = 1, upper = 9 }",
        ),
        (
            "ok-lognormal.toml",
            "revenue_per_mu = { dist = \"lognormal\", mu = 1.5, sigma = 0.2 }",
        ),
    ] {
        let mut text = REFERENCE.to_owned();
        replace_line(&mut text, REVENUE, line);
        t.create(name, &text);
        t.ok(&["validate", name]);
    }
}

/// A scenario folder with `data.csv` holding `csv` and the reference scenario
/// whose revenue is `empirical` from its `revenue` column by `method`.
fn empirical_scenario(t: &TestDir, folder: &str, csv: &str, method: &str) -> std::path::PathBuf {
    std::fs::create_dir_all(t.join(folder)).expect("folder");
    t.create(&format!("{folder}/data.csv"), csv);
    let mut text = REFERENCE.to_owned();
    replace_line(
        &mut text,
        REVENUE,
        &format!(
            "revenue_per_mu = {{ dist = \"empirical\", file = \"data.csv\", column = \"revenue\", method = \"{method}\" }}"
        ),
    );
    t.create(&format!("{folder}/scn.toml"), &text)
}

const DATA: &str = "year,revenue\n2019,3.1\n2020,4.2\n2021,4.8\n2022,5.5\n2023,3.9\n";

#[test]
fn empirical_inputs_read_their_column_relative_to_the_scenario() {
    let t = TestDir::new();
    let path = empirical_scenario(&t, "a", DATA, "interpolate");
    let scn = Scenario::load(&path).expect("loads");
    let u = scn
        .params
        .params()
        .iter()
        .find(|p| p.name == FIELD)
        .map(|p| p.dist.clone())
        .expect("registered");
    assert_eq!(u.support(), (3.1, 5.5));
    // Sorted 3.1, 3.9, 4.2, 4.8, 5.5: the median is the middle value.
    assert!((u.quantile(0.5) - 4.2).abs() < 1e-12);
    assert_eq!(scn.data.len(), 1);
    assert_eq!(scn.data[0].field, FIELD);
    assert_eq!(scn.data[0].column, "revenue");
    assert_eq!(
        scn.data[0].sha256,
        enclave::scenario::sha256_hex(DATA.as_bytes())
    );
    // Run from another folder: the data is still found next to the scenario.
    t.ok(&["validate", "a/scn.toml"]);
}

#[test]
fn the_data_enters_the_scenario_hash() {
    let t = TestDir::new();
    let a = Scenario::load(&empirical_scenario(&t, "a", DATA, "resample")).expect("a");
    let same = Scenario::load(&empirical_scenario(&t, "same", DATA, "resample")).expect("same");
    let other = DATA.replace("5.5", "5.6");
    let b = Scenario::load(&empirical_scenario(&t, "b", &other, "resample")).expect("b");
    assert_eq!(a.source, b.source, "the same text");
    assert_eq!(a.sha256, same.sha256, "same text and data");
    assert_ne!(a.sha256, b.sha256, "other data, another scenario");
    assert_ne!(a.sha256, enclave::scenario::sha256_hex(a.source.as_bytes()));
    // A scenario without data keeps the hash of its text alone.
    let reference = Scenario::reference().expect("reference");
    assert_eq!(
        reference.sha256,
        enclave::scenario::sha256_hex(REFERENCE.as_bytes())
    );
}

/// `enclave report` on a run whose data file changed since names the data
/// file, not the scenario copy, which is the file that was run (it said
/// "scenario.toml is not the scenario these results were computed from":
/// exploratory test); a copy that is not the one its manifest lists may be
/// the cause too, and both are named.
#[test]
fn report_names_a_data_file_changed_since_the_run() {
    let t = TestDir::new();
    // By its full path, so that the results read from any folder find the data.
    let scenario = empirical_scenario(&t, "a", DATA, "resample");
    let scenario = scenario.to_str().expect("a UTF-8 path");
    t.ok(&[
        "run",
        scenario,
        "--paths",
        "50",
        "--horizon",
        "4",
        "--charts",
        "none",
        "--quiet",
        "--out",
        "out",
    ]);
    let dir = "out/jilin-zhejiang";
    let data = t.join("a/data.csv").display().to_string();
    let recorded = Scenario::load(std::path::Path::new(scenario))
        .expect("loads")
        .sha256;
    t.create("a/data.csv", &DATA.replace("5.5", "5.6"));
    let found = Scenario::load(std::path::Path::new(scenario))
        .expect("loads")
        .sha256;
    let hashes = format!(
        "the scenario's SHA-256, which covers the data files its inputs read, is now {found}, run.json records {recorded}"
    );
    let out = t.cmd(&["report", dir]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        format!(
            "error: cannot read the results in {dir}: the data file {data} has likely changed since these results were computed: {hashes}, and {dir}/scenario.toml is the copy the folder's manifest lists\n"
        )
    );
    // A copy edited since (which `report` refuses first by the manifest).
    let copy = t.join(dir).join("scenario.toml");
    let text = std::fs::read_to_string(&copy).expect("copy");
    std::fs::write(&copy, text.replacen("fixed 50:50", "fixed 50:51", 1)).expect("edit");
    let found = Scenario::parse_at(
        &std::fs::read_to_string(&copy).expect("copy"),
        "x",
        Some(&t.join("a")),
    )
    .expect("loads")
    .sha256;
    let e = enclave::results::Results::load(&t.join(dir)).expect_err("refused");
    assert_eq!(
        e.to_string(),
        format!(
            "{} or the data files it reads ({data}) are not those these results were computed from: the scenario's SHA-256, which covers the data files its inputs read, is now {found}, run.json records {recorded}",
            copy.display()
        )
    );
}

#[test]
fn bad_data_is_reported_at_the_input() {
    let t = TestDir::new();
    let check = |folder: &str, csv: &str, method: &str, field: &str, message: &str| {
        empirical_scenario(&t, folder, csv, method);
        let file = format!("{folder}/scn.toml");
        let stderr = bad_input(&t.cmd(&["validate", &file]));
        let p = problem_lines(&stderr, &file);
        assert_eq!(p.len(), 1, "{p:?}");
        let line = common::line_starting(&t.read(&file), "revenue_per_mu = { dist = \"empirical\"");
        assert_problem(&p, &file, line, &format!("{FIELD}.{field}"), message);
    };
    check(
        "cell",
        "year,revenue\n2019,3.1\n2020,n/a\n",
        "resample",
        "column",
        "cell/data.csv:3: expected a number in column `revenue`, found `n/a`",
    );
    check(
        "empty",
        "year,revenue\n2019,3.1\n2020,\n",
        "resample",
        "column",
        "empty/data.csv:3: expected a number in column `revenue`, found an empty cell",
    );
    check(
        "column",
        "year,sales\n2019,3.1\n",
        "resample",
        "column",
        "expected a column `revenue` in column/data.csv, whose header has `year`, `sales`",
    );
    check(
        "few",
        "year,revenue\n2019,3.1\n",
        "interpolate",
        "column",
        "expected at least 2 values, found 1",
    );
    check(
        "thousands",
        "year,revenue\n2019,3.1\n2020,\"4,200\"\n",
        "resample",
        "column",
        "thousands/data.csv:3: expected a number in column `revenue`, found `4,200`, a number written with a thousands separator: write it without one (4200)",
    );
    check(
        "split",
        "year,revenue\n2019,3.1\n2020,4,200\n",
        "resample",
        "file",
        "expected a CSV file, relative to the scenario file's folder: split/data.csv:3: expected 2 cells, as in the header, found 3 (`2020`, `4`, `200`): `4,200` looks like a number",
    );
    check(
        "blank",
        "revenue\n3.1\n\n4.2\n",
        "resample",
        "column",
        "blank/data.csv:3: expected a number in column `revenue`, found an empty line",
    );
    check(
        "twice",
        "revenue,revenue\n3.1,1\n4.2,2\n",
        "resample",
        "column",
        "twice/data.csv:1: expected one column `revenue` in the header, found 2 (columns 1, 2)",
    );
    check(
        "method",
        DATA,
        "bootstrap",
        "method",
        "expected `resample` or `interpolate`, found `bootstrap`",
    );
    // A missing file.
    empirical_scenario(&t, "missing", DATA, "resample");
    std::fs::remove_file(t.join("missing/data.csv")).expect("removed");
    let stderr = bad_input(&t.cmd(&["validate", "missing/scn.toml"]));
    let p = problem_lines(&stderr, "missing/scn.toml");
    assert_eq!(p.len(), 1, "{p:?}");
    assert!(
        p[0].contains(&format!(
            "{FIELD}.file: expected a CSV file, relative to the scenario file's folder: cannot read missing/data.csv ("
        )),
        "{p:?}"
    );
    // Where it looked, from the working folder.
    assert!(
        p[0].ends_with(&format!(
            "; looked for {}",
            t.join("missing/data.csv").display()
        )),
        "{p:?}"
    );
}

#[test]
fn a_sweep_over_a_scenario_with_empirical_data_reads_it_from_the_base_folder() {
    let t = TestDir::new();
    empirical_scenario(&t, "base", DATA, "resample");
    std::fs::create_dir_all(t.join("sweeps")).expect("folder");
    t.create(
        "sweeps/s.toml",
        "base = \"../base/scn.toml\"\nid = \"s\"\n[[vary]]\npath = \"firms.arrival_rate\"\nvalues = [6, 9]\n",
    );
    let sweep = Sweep::load(&t.join("sweeps/s.toml")).unwrap_or_else(|e| panic!("{e}"));
    let base = Scenario::load(&t.join("base/scn.toml")).expect("base");
    for i in 0..sweep.len() {
        let (_, scn) = sweep.scenario(i).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(scn.data.len(), 1);
        assert_eq!(scn.data[0].sha256, base.data[0].sha256);
    }
    let list = t.ok(&["sweep", "sweeps/s.toml", "--list"]);
    assert!(String::from_utf8_lossy(&list.stdout).contains("2 scenarios"));
}

/// `n` draws of `dist` by inverse transform from the SplitMix64 stream `seed`.
fn sample(dist: Dist, seed: u64, n: usize) -> Vec<f64> {
    let u = Uncertain::new(dist, None, None).expect("valid");
    uniforms(seed, n).iter().map(|p| u.quantile(*p)).collect()
}

#[test]
fn fit_recovers_the_family_and_parameters_of_a_large_sample() {
    // gamma(3, 2), 20,000 values: the MLE's standard errors are about 1% for the
    // shape and 1% for the scale; 4% is four of them.
    let x = sample(
        Dist::Gamma {
            shape: 3.0,
            scale: 2.0,
        },
        11,
        20_000,
    );
    let fits = enclave::fit::fit_all(&x).expect("fits").ranked;
    assert_eq!(fits[0].family, "gamma", "{fits:?}");
    let (shape, scale) = (fits[0].params[0].1, fits[0].params[1].1);
    assert!((shape / 3.0 - 1.0).abs() < 0.04, "shape {shape}");
    assert!((scale / 2.0 - 1.0).abs() < 0.04, "scale {scale}");
    assert!(fits[0].ks < KS_C / 20_000f64.sqrt(), "KS {}", fits[0].ks);
    // Lognormal by its logarithm's parameters, and a normal.
    let x = sample(
        Dist::LogNormalMuSigma {
            mu: 1.0,
            sigma: 0.5,
        },
        12,
        20_000,
    );
    let fits = enclave::fit::fit_all(&x).expect("fits").ranked;
    assert_eq!(fits[0].family, "lognormal", "{fits:?}");
    assert!((fits[0].params[0].1 - 1.0).abs() < 0.02);
    assert!((fits[0].params[1].1 / 0.5 - 1.0).abs() < 0.03);
    let x = sample(
        Dist::Normal {
            mean: -3.0,
            sd: 2.0,
        },
        13,
        20_000,
    );
    let fits = enclave::fit::fit_all(&x).expect("fits").ranked;
    assert_eq!(fits[0].family, "normal", "{fits:?}");
    assert!((fits[0].params[0].1 + 3.0).abs() < 0.06);
    assert!(
        fits.iter()
            .all(|f| f.family != "gamma" && f.family != "lognormal")
    );
    // A triangular sample: the triangular fit is best, its mode near 2.
    let x = sample(
        Dist::Triangular {
            min: 1.0,
            mode: 2.0,
            max: 6.0,
        },
        14,
        20_000,
    );
    let fits = enclave::fit::fit_all(&x).expect("fits").ranked;
    assert_eq!(fits[0].family, "triangular", "{fits:?}");
    assert!((fits[0].params[1].1 - 2.0).abs() < 0.1, "{fits:?}");
}

#[test]
fn fit_prints_a_snippet_that_reads_back_as_a_scenario_input() {
    let t = TestDir::new();
    let x = sample(
        Dist::Gamma {
            shape: 3.0,
            scale: 2.0,
        },
        21,
        5_000,
    );
    let mut csv = String::from("id,revenue\n");
    for (i, v) in x.iter().enumerate() {
        csv.push_str(&format!("{i},{v}\n"));
    }
    t.create("data.csv", &csv);
    let out = t.ok(&[
        "fit",
        "data.csv",
        "--column",
        "revenue",
        "--field",
        "firms.sectors[1].revenue_per_mu",
    ]);
    let stdout = String::from_utf8(out.stdout).expect("UTF-8");
    let snippet = stdout.lines().last().expect("a snippet");
    assert!(
        snippet.starts_with("revenue_per_mu = { dist = \"gamma\", shape = "),
        "{stdout}"
    );
    let mut text = REFERENCE.to_owned();
    replace_line(&mut text, REVENUE, snippet);
    let scn = Scenario::parse(&text, "fitted.toml").unwrap_or_else(|e| panic!("{e}"));
    let p = scn
        .params
        .params()
        .iter()
        .find(|p| p.name == FIELD)
        .expect("registered");
    let Dist::Gamma { shape, .. } = p.dist.dist() else {
        panic!("{:?}", p.dist.dist())
    };
    assert!((shape / 3.0 - 1.0).abs() < 0.08, "{shape}");
    // The ranking lists every family that applies, best first.
    for family in [
        "gamma",
        "lognormal",
        "normal",
        "uniform",
        "triangular",
        "pert",
        "beta",
    ] {
        assert!(
            stdout.contains(&format!("  {family} ")),
            "{family}: {stdout}"
        );
    }
}

#[test]
fn fit_refuses_bad_data_naming_file_line_and_column() {
    let t = TestDir::new();
    // A CSV file `name` of `text`, fitted on `column`: refused; its stderr.
    let refused = |name: &str, text: &str, column: &str| {
        t.create(name, text);
        bad_input(&t.cmd(&["fit", name, "--column", column]))
    };
    let stderr = refused("bad.csv", "a,b\n1,2\n3,4\n5,x\n", "b");
    assert!(
        stderr.contains("bad.csv:4: expected a number in column `b`, found `x`"),
        "{stderr}"
    );
    let stderr = bad_input(&t.cmd(&["fit", "bad.csv", "--column", "c"]));
    assert!(
        stderr.contains("expected a column `c` in bad.csv, whose header has `a`, `b`"),
        "{stderr}"
    );
    let stderr = refused("short.csv", "a\n1\n2\n", "a");
    assert!(
        stderr.contains("short.csv: column `a`: expected at least 3 values to fit, found 2"),
        "{stderr}"
    );
    let stderr = bad_input(&t.cmd(&["fit", "none.csv", "--column", "a"]));
    assert!(stderr.contains("cannot read none.csv"), "{stderr}");
    // `1,000` is two cells: it was read as 1 before.
    let stderr = refused("th.csv", "x\n1,000\n2\n4\n", "x");
    assert!(
        stderr.contains("error: th.csv:2: expected 1 cell, as in the header, found 2 (`1`, `000`): `1,000` looks like a number written with a thousands separator and split at its comma; write numbers without one (1000)"),
        "{stderr}"
    );
    // An empty line is an empty cell: it was skipped before.
    let stderr = refused("blank.csv", "x\n1\n\n3\n4\n", "x");
    assert!(
        stderr.contains("error: blank.csv:3: expected a number in column `x`, found an empty line"),
        "{stderr}"
    );
    // The column named twice: the first was taken before.
    let stderr = refused("twice.csv", "x,x\n1,5\n2,6\n4,7\n", "x");
    assert!(
        stderr.contains(
            "error: twice.csv:1: expected one column `x` in the header, found 2 (columns 1, 2)"
        ),
        "{stderr}"
    );
    // GBK, as Excel saves CSV on a Chinese Windows: "x,名\n1,甲\n2,乙\n4,丙\n".
    std::fs::write(
        t.join("gbk.csv"),
        b"x,\xc3\xfb\n1,\xbc\xd7\n2,\xd2\xd2\n4,\xb1\xfb\n",
    )
    .expect("write");
    let stderr = bad_input(&t.cmd(&["fit", "gbk.csv", "--column", "x"]));
    assert!(
        stderr.contains("error: gbk.csv: the byte at offset 2 (0xC3, line 1, column 3) is not valid UTF-8; the file must be UTF-8 (convert a GBK file with e.g. `iconv -f GBK -t UTF-8`); from Excel, save it again as \"CSV UTF-8 (Comma delimited)\""),
        "{stderr}"
    );
}

/// The last line of `enclave fit`'s output (the snippet) and the whole of it.
fn fit_snippet(t: &TestDir, args: &[&str]) -> (String, String) {
    let mut all = vec!["fit"];
    all.extend_from_slice(args);
    let stdout = String::from_utf8(t.ok(&all).stdout).expect("UTF-8");
    let snippet = stdout.lines().last().expect("a snippet").to_owned();
    (snippet, stdout)
}

/// The reference scenario with the line starting with `prefix` replaced by
/// `snippet`, checked.
fn with_snippet(prefix: &str, snippet: &str) -> Result<Scenario, String> {
    let mut text = REFERENCE.to_owned();
    replace_line(&mut text, prefix, snippet);
    Scenario::parse(&text, "fitted.toml").map_err(|e| e.to_string())
}

#[test]
fn fit_prints_a_narrow_fit_with_every_digit_it_needs() {
    // 300 values in 1e6 + (0, 1): printed to 6 significant digits the uniform
    // was min = max = 1000000.0, which validates as a constant.
    let t = TestDir::new();
    let x: Vec<f64> = uniforms(31, 300).iter().map(|u| 1e6 + u).collect();
    let mut csv = String::from("revenue\n");
    for v in &x {
        csv.push_str(&format!("{v}\n"));
    }
    t.create("narrow.csv", &csv);
    let (snippet, stdout) =
        fit_snippet(&t, &["narrow.csv", "--column", "revenue", "--field", FIELD]);
    assert!(
        snippet.starts_with("revenue_per_mu = { dist = \"uniform\", min = 1000000.0"),
        "{stdout}"
    );
    let scn = with_snippet(REVENUE, &snippet).unwrap_or_else(|e| panic!("{e}"));
    let p = scn
        .params
        .params()
        .iter()
        .find(|p| p.name == FIELD)
        .expect("registered");
    let Dist::Uniform { min, max } = p.dist.dist() else {
        panic!("{:?}", p.dist.dist())
    };
    let lowest = x.iter().copied().fold(f64::INFINITY, f64::min);
    let highest = x.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    assert_eq!(
        (min.to_bits(), max.to_bits()),
        (lowest.to_bits(), highest.to_bits())
    );
    // The gamma is left out, and said to be.
    assert!(
        stdout.contains("note: gamma left out: a scenario would refuse its fit: shape: expected a shape of at most 1e6"),
        "{stdout}"
    );
}

#[test]
fn fit_prints_tiny_data_as_it_prints_them_scaled() {
    // 1, 2, 3, 5 times 1e-200: the triangular's D was printed as 0.0000 (its
    // CDF was NaN), the normal was left out (σ² underflowed) and the numbers
    // ran to 200 digits.
    let t = TestDir::new();
    t.create("tiny.csv", "x\n1e-200\n2e-200\n3e-200\n5e-200\n");
    t.create("unit.csv", "x\n1\n2\n3\n5\n");
    let (_, tiny) = fit_snippet(&t, &["tiny.csv", "--column", "x"]);
    let (_, unit) = fit_snippet(&t, &["unit.csv", "--column", "x"]);
    // Family, ΔAIC and KS D of each row of the ranking.
    let rows = |out: &str| -> Vec<String> {
        out.lines()
            .filter(|l| l.starts_with("  ") && !l.starts_with("  family"))
            .map(|l| {
                let w: Vec<&str> = l.split_whitespace().collect();
                format!("{} {} {}", w[0], w[2], w[3])
            })
            .collect()
    };
    assert_eq!(rows(&tiny), rows(&unit), "{tiny}");
    assert_eq!(rows(&tiny).len(), 7, "{tiny}");
    assert!(
        tiny.contains("4 values of column `x` in tiny.csv, from 1e-200 to 5e-200;"),
        "{tiny}"
    );
    assert!(
        tiny.contains(" 0.1885  min -3.33333e-201, mode 2e-200, max 6.33333e-200\n"),
        "{tiny}"
    );
    assert!(!tiny.contains("note:"), "{tiny}");
}

#[test]
fn fit_names_the_families_it_leaves_out() {
    let t = TestDir::new();
    t.create("neg.csv", "x\n-3.5\n2\n4\n5\n");
    let (_, stdout) = fit_snippet(&t, &["neg.csv", "--column", "x"]);
    for family in ["lognormal", "gamma"] {
        assert!(
            stdout.contains(&format!(
                "note: {family} left out: it needs every value > 0, and the smallest is -3.5\n"
            )),
            "{stdout}"
        );
    }
}

#[test]
fn fit_prints_a_table_the_field_accepts() {
    let t = TestDir::new();
    // Normal data ≥ 0: the normal is truncated at 0, which revenue_per_mu accepts.
    let x = sample(
        Dist::Normal {
            mean: 10.0,
            sd: 2.0,
        },
        41,
        20_000,
    );
    assert!(x.iter().all(|v| *v >= 0.0));
    let mut csv = String::from("v\n");
    for v in &x {
        csv.push_str(&format!("{v}\n"));
    }
    t.create("normal.csv", &csv);
    let (snippet, stdout) = fit_snippet(&t, &["normal.csv", "--column", "v", "--field", FIELD]);
    assert!(
        snippet.starts_with("revenue_per_mu = { dist = \"normal\", mean = ")
            && snippet.ends_with(", lower = 0.0 }"),
        "{stdout}"
    );
    assert!(
        stdout.contains(
            "note: every value is ≥ 0 but the normal fit reaches below 0 (with probability "
        ),
        "{stdout}"
    );
    with_snippet(REVENUE, &snippet).unwrap_or_else(|e| panic!("{e}"));
    // Without `--field` too.
    let (snippet, _) = fit_snippet(&t, &["normal.csv", "--column", "v"]);
    assert!(snippet.ends_with(", lower = 0.0 }"), "{snippet}");

    // firms.arrival_rate also bounds the arrivals, which a normal's unbounded
    // upper tail exceeds: it was printed all the same, and refused.
    let arrival = "arrival_rate = ";
    let (snippet, stdout) = fit_snippet(
        &t,
        &[
            "normal.csv",
            "--column",
            "v",
            "--field",
            "firms.arrival_rate",
        ],
    );
    assert!(
        stdout.contains("note: firms.arrival_rate refuses the normal fit (in the bundled reference scenario): firms.arrival_rate: expected at most"),
        "{stdout}"
    );
    assert!(
        stdout.contains("Best fit that firms.arrival_rate accepts, to paste into the scenario:"),
        "{stdout}"
    );
    assert!(snippet.starts_with(arrival), "{snippet}");
    with_snippet(arrival, &snippet).unwrap_or_else(|e| panic!("{e}"));

    // A wage must be > 0: a normal truncated at 0 is refused, the next family taken.
    let wage = "average_wage = ";
    let x = sample(
        Dist::Normal {
            mean: 0.07,
            sd: 0.01,
        },
        42,
        20_000,
    );
    let mut csv = String::from("w\n");
    for v in &x {
        csv.push_str(&format!("{v}\n"));
    }
    t.create("wage.csv", &csv);
    let (snippet, stdout) = fit_snippet(
        &t,
        &["wage.csv", "--column", "w", "--field", "firms.average_wage"],
    );
    assert!(
        stdout.contains("note: firms.average_wage refuses the normal fit (in the bundled reference scenario): firms.average_wage: expected a distribution whose values are all a number > 0"),
        "{stdout}"
    );
    assert!(snippet.starts_with(wage), "{snippet}");
    with_snippet(wage, &snippet).unwrap_or_else(|e| panic!("{e}"));

    // A field the reference lacks: printed unchecked, with the nearest key.
    let (_, stdout) = fit_snippet(
        &t,
        &["wage.csv", "--column", "w", "--field", "firms.arival_rate"],
    );
    assert!(
        stdout.contains("note: not checked against the rules of firms.arival_rate: the bundled reference scenario has no `firms.arival_rate`; did you mean `arrival_rate`?"),
        "{stdout}"
    );
}

#[test]
fn fit_refuses_a_malformed_field_path() {
    let t = TestDir::new();
    t.create("d.csv", "x\n1\n2\n4\n");
    for (field, why) in [
        ("", "`` is empty"),
        ("firms.", "`firms.` has an empty key"),
        (
            "my field",
            "`my field` has a key with a space or control character in it",
        ),
        ("firms.sectors[1]", "`firms.sectors[1]` ends in an index"),
    ] {
        let out = t.cmd(&["fit", "d.csv", "--column", "x", "--field", field]);
        let stderr = bad_input(&out);
        assert!(stderr.starts_with("error: --field: expected "), "{stderr}");
        assert!(stderr.contains(why), "{field:?}: {stderr}");
        assert!(out.stdout.is_empty(), "{field:?}");
    }
}

#[test]
fn a_run_with_empirical_data_records_its_hash_and_reports_again() {
    let t = TestDir::new();
    let path = empirical_scenario(&t, "a", DATA, "interpolate");
    let scn = Scenario::load(&path).expect("loads");
    t.ok(&[
        "run",
        "a/scn.toml",
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
    let run = t.read(&format!("out/{}/run.json", scn.id));
    assert!(run.contains(&scn.sha256), "{run}");
    // `report` reloads the copy, reading the data next to the scenario run.
    t.ok(&["report", &format!("out/{}", scn.id)]);
    // Changed data: the copy no longer matches what run.json records.
    t.create("a/data.csv", &DATA.replace("5.5", "5.6"));
    let out = t.cmd(&["report", &format!("out/{}", scn.id)]);
    assert!(!out.status.success());
}

/// Results and shard partials of a scenario with data, run with a relative
/// path, are read back from any working directory: run.json and the partials
/// record the scenario's folder as an absolute path (`scenario_dir`), where
/// `report` and `merge` looked for the data relative to their own working
/// directory, and failed elsewhere (exploratory test). The CSV files do not
/// depend on the folder the run started in.
#[test]
fn results_with_empirical_data_reload_from_any_working_directory() {
    let t = TestDir::new();
    empirical_scenario(&t, "a", DATA, "resample");
    std::fs::create_dir(t.join("elsewhere")).expect("another folder");
    // `enclave ARGS` run in `t/elsewhere`.
    let elsewhere = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_enclave"))
            .args(args)
            .current_dir(t.join("elsewhere"))
            .output()
            .expect("run enclave");
        assert!(
            out.status.success(),
            "enclave {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    let small = ["--paths", "600", "--horizon", "4", "--charts", "none", "-q"];
    let mut args = vec!["run", "a/scn.toml", "--out", "out"];
    args.extend(small);
    t.ok(&args);
    let run: enclave::output::RunRecord =
        serde_json::from_str(&t.read("out/jilin-zhejiang/run.json")).expect("run.json");
    assert_eq!(run.scenario_file, "a/scn.toml");
    let folder = t.join("a").canonicalize().expect("a");
    assert_eq!(run.scenario_dir, Some(folder.display().to_string()));
    let results = t.join("out/jilin-zhejiang").display().to_string();
    elsewhere(&["report", &results]);
    // The same run from another folder, by the scenario's full path.
    let scenario = t.join("a/scn.toml").display().to_string();
    let other = t.join("other").display().to_string();
    let mut args = vec!["run", &scenario, "--out", &other];
    args.extend(small);
    elsewhere(&args);
    // Shards run here, merged from elsewhere.
    for k in ["1/2", "2/2"] {
        let mut args = vec!["run", "a/scn.toml", "--out", "parts", "--shard", k];
        args.extend(small);
        t.ok(&args);
    }
    let parts = t.join("parts").display().to_string();
    let merged = t.join("merged").display().to_string();
    elsewhere(&["merge", &parts, "--out", &merged, "--charts", "none", "-q"]);
    for file in [
        "summary.csv",
        "timeseries.csv",
        "distribution.csv",
        "fairness.csv",
        "scenario.toml",
    ] {
        let here = t.read_bytes(&format!("out/jilin-zhejiang/{file}"));
        assert!(
            t.read_bytes(&format!("other/jilin-zhejiang/{file}")) == here,
            "{file} differs between working directories"
        );
        assert!(
            t.read_bytes(&format!("merged/jilin-zhejiang/{file}")) == here,
            "{file}: the merge differs from the run"
        );
    }
}

#[test]
fn a_gamma_truncated_to_its_far_upper_tail_is_drawn_there() {
    // gamma(3, 2) above 100: P(X > 100) = 2.5e-19, so F(100) rounds to 1; the
    // gamma is then drawn in survival space. Above 20 (P = 2.8e-3) and in
    // [60, 80] the same way; each draw set passes the KS test against the CDF.
    let critical = KS_C / (N as f64).sqrt();
    for (k, (lower, upper)) in [(100.0, None), (20.0, None), (60.0, Some(80.0))]
        .into_iter()
        .enumerate()
    {
        let u = Uncertain::new(
            Dist::Gamma {
                shape: 3.0,
                scale: 2.0,
            },
            Some(lower),
            upper,
        )
        .expect("valid");
        let x = draws(&u, 300 + k as u64);
        assert!(x[0] >= lower && x[N - 1] <= upper.unwrap_or(f64::INFINITY));
        let d = ks(&x, |v| u.cdf(v));
        assert!(d < critical, "above {lower}: D = {d}");
        // Beyond the bound the excess is close to exponential with mean
        // θ/(1 − (k − 1)θ/lower) (the hazard of a gamma tends to 1/θ).
        if upper.is_none() {
            let excess = x.iter().sum::<f64>() / N as f64 - lower;
            let approx = 2.0 / (1.0 - 4.0 / lower);
            assert!((excess / approx - 1.0).abs() < 0.1, "{excess} vs {approx}");
        }
    }
}

#[test]
fn fit_prints_no_table_a_scenario_refuses_whatever_the_field() {
    // Values near 1e13: the best fit's draws pass ±1e12 (MAX_INPUT_MAGNITUDE),
    // which every field refuses, and it was printed to paste, exit 0; with a
    // --field the reference lacks, unchecked. A value of 1e308: the uniform to
    // 1e308 was printed, and the PERT was left out in the beta library's words.
    let t = TestDir::new();
    let big: Vec<String> = (0..50)
        .map(|i| format!("{}", 1.1e13 * (1.0 + 0.3 * (f64::from(i) / 49.0 - 0.5))))
        .collect();
    t.create("big.csv", &format!("x\n{}\n", big.join("\n")));
    t.create("hugev.csv", "x\n1\n2\n3\n4\n1e308\n");
    for args in [
        &["fit", "big.csv", "--column", "x"][..],
        &[
            "fit",
            "big.csv",
            "--column",
            "x",
            "--field",
            "regions[0].outside_option",
        ],
        &["fit", "hugev.csv", "--column", "x"],
    ] {
        let e = bad_input(&t.cmd(args));
        assert!(
            e.contains("expected data some family can be fitted to, but every one was left out: ")
                && e.contains(
                    "uniform left out: a scenario would refuse its fit: its draws range over ["
                )
                && e.contains("beyond ±1e12, which every input must stay within"),
            "{args:?}: {e}"
        );
        assert!(!e.contains("Shape B"), "{e}");
    }
    let e = bad_input(&t.cmd(&["fit", "hugev.csv", "--column", "x"]));
    assert!(
        e.contains("pert left out: a scenario would refuse its fit: its draws range over [0.0, 1.25e308], beyond ±1e12"),
        "{e}"
    );
}
