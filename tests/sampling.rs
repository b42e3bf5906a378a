//! Samplers across paths and correlated inputs (docs/model.md §9): Latin hypercube
//! strata, variance reduction of Latin hypercube and Sobol sampling, independence
//! from the thread count and from shards, the Gaussian copula's correlations and
//! marginals, and the checks of `[correlation]`.

mod common;

use common::{
    REFERENCE, TestDir, assert_problem, bad_input, csv_files, problem_lines, replace_line,
};
use enclave::dist::Dist;
use enclave::engine::{self, BATCH_PATHS, Observe, RunConfig};
use enclave::sampling::{Sampler, SamplerKind};
use enclave::scenario::Scenario;
use enclave::sensitivity::pearson;
use enclave::streams::Streams;

/// The reference scenario with `sim` added to `[simulation]` and `extra` appended.
fn text_with(sim: &str, extra: &str) -> String {
    let mut text = REFERENCE.replacen("[simulation]\n", &format!("[simulation]\n{sim}\n"), 1);
    text.push_str(extra);
    text
}

fn scenario(sim: &str, extra: &str) -> Scenario {
    Scenario::parse(&text_with(sim, extra), "t.toml").expect("scenario loads")
}

fn sampler(kind: SamplerKind) -> Sampler {
    Sampler {
        kind,
        antithetic: false,
    }
}

/// Every path's draws of `scn`'s inputs under `sampler`, path by path.
fn draws(scn: &Scenario, seed: u64, paths: u64, kind: SamplerKind) -> Vec<Vec<f64>> {
    let streams = Streams::for_run(seed, paths, sampler(kind), &scn.params).expect("streams");
    let mut d = vec![0.0; scn.params.len()];
    (0..paths)
        .map(|p| {
            scn.params.draw_path(&streams, p, &mut d);
            d.clone()
        })
        .collect()
}

fn index_of(scn: &Scenario, name: &str) -> usize {
    scn.params
        .params()
        .iter()
        .position(|p| p.name == name)
        .unwrap_or_else(|| panic!("no input {name}"))
}

/// The stratum (of `n`) of `x`, a draw of input `i`: the number of boundaries
/// Q(j/n), j = 1..n−1, at or below it.
fn stratum(scn: &Scenario, i: usize, n: u64, x: f64) -> usize {
    let dist = &scn.params.params()[i].dist;
    let bounds: Vec<f64> = (1..n).map(|j| dist.quantile(j as f64 / n as f64)).collect();
    bounds.partition_point(|b| *b <= x)
}

#[test]
fn latin_hypercube_puts_one_path_in_each_stratum_of_every_input() {
    // Through the engine: the draws it records for each batch.
    let scn = scenario("sampler = \"latin-hypercube\"", "");
    let paths = 2 * BATCH_PATHS + 100;
    let cfg = RunConfig {
        paths,
        horizon: 1,
        threads: 2,
        ..RunConfig::from_scenario(&scn)
    };
    let k = scn.params.len();
    let mut inputs = Vec::new();
    let what = Observe {
        records: true,
        ..Observe::default()
    };
    engine::run(&scn, &cfg, what, &mut |b| {
        inputs.extend_from_slice(b.inputs)
    })
    .expect("run");
    assert_eq!(inputs.len(), paths as usize * k);
    for i in 0..k {
        // A discrete input's strata are not visible in its values (ties).
        if matches!(scn.params.params()[i].dist.dist(), Dist::Discrete { .. }) {
            continue;
        }
        let mut hits = vec![0u32; paths as usize];
        for p in 0..paths as usize {
            hits[stratum(&scn, i, paths, inputs[p * k + i])] += 1;
        }
        assert!(
            hits.iter().all(|&h| h == 1),
            "input {} has strata hit {:?} times",
            scn.params.params()[i].name,
            hits.iter().filter(|&&h| h != 1).collect::<Vec<_>>()
        );
    }
}

/// The standard deviation, over 30 seeds, of the mean over 256 paths of a
/// monotone function of the inputs (each input scaled by its 10–90% range).
fn spread_of_the_mean(scn: &Scenario, kind: SamplerKind) -> f64 {
    let paths = 256;
    let scale: Vec<f64> = scn
        .params
        .params()
        .iter()
        .map(|p| p.dist.quantile(0.9) - p.dist.quantile(0.1))
        .collect();
    let means: Vec<f64> = (0..30u64)
        .map(|seed| {
            let d = draws(scn, 1000 + seed, paths, kind);
            d.iter()
                .map(|x| x.iter().zip(&scale).map(|(x, s)| x / s).sum::<f64>())
                .sum::<f64>()
                / paths as f64
        })
        .collect();
    let m = means.iter().sum::<f64>() / means.len() as f64;
    (means.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (means.len() - 1) as f64).sqrt()
}

#[test]
fn latin_hypercube_and_sobol_reduce_the_standard_error_of_a_monotone_output() {
    let scn = Scenario::reference().expect("reference");
    let mc = spread_of_the_mean(&scn, SamplerKind::MonteCarlo);
    let lhs = spread_of_the_mean(&scn, SamplerKind::LatinHypercube);
    let sobol = spread_of_the_mean(&scn, SamplerKind::Sobol);
    // An additive output: Latin hypercube removes nearly all of its variance and
    // scrambled Sobol most of it; plain MC's spread is the reference.
    assert!(mc > 0.0);
    assert!(lhs / mc < 0.5, "LHS/MC = {}", lhs / mc);
    assert!(sobol / mc < 0.5, "Sobol/MC = {}", sobol / mc);
}

#[test]
fn samplers_give_the_same_bytes_on_any_thread_count_and_as_shards() {
    let plain = Scenario::reference().expect("reference");
    let explicit = scenario("sampler = \"monte-carlo\"", "");
    let paths = 2 * BATCH_PATHS + 77;
    let cfg = |scn: &Scenario, threads| RunConfig {
        paths,
        horizon: 4,
        threads,
        ..RunConfig::from_scenario(scn)
    };
    let run = |scn: &Scenario, threads, range: std::ops::Range<u64>| {
        engine::run_range(
            scn,
            &cfg(scn, threads),
            range,
            Observe::default(),
            &mut |_| {},
        )
        .expect("run")
    };
    // `sampler = "monte-carlo"` is the default, byte for byte.
    let base = csv_files(&plain, &run(&plain, 2, 0..paths));
    assert!(csv_files(&explicit, &run(&explicit, 2, 0..paths)) == base);
    for kind in ["latin-hypercube", "sobol"] {
        let scn = scenario(&format!("sampler = \"{kind}\""), "");
        let one = run(&scn, 1, 0..paths);
        let two = run(&scn, 2, 0..paths);
        let bytes = csv_files(&scn, &one);
        assert!(
            csv_files(&scn, &two) == bytes,
            "{kind}: threads change results"
        );
        assert!(bytes != base, "{kind}: the sampler changed nothing");
        let mut merged = run(&scn, 2, 0..BATCH_PATHS);
        merged
            .merge(&run(&scn, 1, BATCH_PATHS..paths))
            .expect("merge");
        assert!(csv_files(&scn, &merged) == bytes, "{kind}: shards differ");
        assert!(merged.to_json().expect("json") == one.to_json().expect("json"));
    }
}

const CORRELATED: &str = "\n[correlation]\ninputs = [\"firms.arrival_rate\", \"firms.sectors[1].revenue_per_mu\", \"firms.displacement\"]\nmatrix = [[1, 0.6, -0.3], [0.6, 1, 0.2], [-0.3, 0.2, 1]]\n";

/// Ranks (0-based, ties impossible for continuous draws) of a column.
fn ranks(x: &[f64]) -> Vec<f64> {
    let mut idx: Vec<usize> = (0..x.len()).collect();
    idx.sort_by(|a, b| x[*a].total_cmp(&x[*b]));
    let mut r = vec![0.0; x.len()];
    for (rank, i) in idx.into_iter().enumerate() {
        r[i] = rank as f64;
    }
    r
}

fn column(d: &[Vec<f64>], i: usize) -> Vec<f64> {
    d.iter().map(|row| row[i]).collect()
}

/// Normal scores Φ⁻¹((rank + 0.5)/n): the copula's normals, up to O(1/n).
fn normal_scores(x: &[f64]) -> Vec<f64> {
    let n = x.len() as f64;
    ranks(x)
        .into_iter()
        .map(|r| enclave::copula::normal_quantile((r + 0.5) / n))
        .collect()
}

/// Two-sample Kolmogorov–Smirnov statistic.
fn ks(a: &[f64], b: &[f64]) -> f64 {
    let (mut a, mut b) = (a.to_vec(), b.to_vec());
    a.sort_by(f64::total_cmp);
    b.sort_by(f64::total_cmp);
    let (mut i, mut j, mut d) = (0, 0, 0.0f64);
    while i < a.len() && j < b.len() {
        if a[i] <= b[j] {
            i += 1;
        } else {
            j += 1;
        }
        d = d.max((i as f64 / a.len() as f64 - j as f64 / b.len() as f64).abs());
    }
    d
}

#[test]
fn the_copula_gives_the_target_correlations_and_keeps_the_marginals() {
    let n = 20_000;
    let names = [
        "firms.arrival_rate",
        "firms.sectors[1].revenue_per_mu",
        "firms.displacement",
    ];
    let targets = [[1.0, 0.6, -0.3], [0.6, 1.0, 0.2], [-0.3, 0.2, 1.0]];
    for kind in ["spearman", "pearson"] {
        let extra = CORRELATED.replace("matrix =", &format!("kind = \"{kind}\"\nmatrix ="));
        let scn = scenario("", &extra);
        let plain = Scenario::reference().expect("reference");
        let d = draws(&scn, 7, n, SamplerKind::MonteCarlo);
        let free = draws(&plain, 7, n, SamplerKind::MonteCarlo);
        let idx: Vec<usize> = names.iter().map(|m| index_of(&scn, m)).collect();
        for a in 0..3 {
            for b in a + 1..3 {
                let rho = targets[a][b];
                let (x, y) = (column(&d, idx[a]), column(&d, idx[b]));
                let got = if kind == "spearman" {
                    pearson(&ranks(&x), &ranks(&y))
                } else {
                    pearson(&normal_scores(&x), &normal_scores(&y))
                };
                // Standard error of a sample correlation ≈ (1 − ρ²)/√n (a little
                // more for Spearman's: ×1.06); 4 of them.
                let tol = 4.0 * 1.06 * (1.0 - rho * rho) / (n as f64).sqrt();
                assert!(
                    (got - rho).abs() < tol,
                    "{kind} {} ~ {}: {got} vs {rho} (tolerance {tol})",
                    names[a],
                    names[b]
                );
            }
        }
        // Marginals: each correlated input's draws follow its own law (two-sample
        // KS against the uncorrelated run, 0.1% critical value 1.95 √(2/n)); an
        // input outside the matrix draws exactly as without a copula.
        for &i in &idx {
            let stat = ks(&column(&d, i), &column(&free, i));
            assert!(stat < 1.95 * (2.0 / n as f64).sqrt(), "KS {stat}");
        }
        let other = index_of(&scn, "park.saleable_share");
        assert!(column(&d, other) == column(&free, other));
    }
}

#[test]
fn the_copula_works_with_every_sampler_and_is_recorded() {
    let scn = scenario("sampler = \"sobol\"", CORRELATED);
    let d = draws(&scn, 3, 4096, SamplerKind::Sobol);
    let (a, b) = (
        index_of(&scn, "firms.arrival_rate"),
        index_of(&scn, "firms.sectors[1].revenue_per_mu"),
    );
    let got = pearson(&ranks(&column(&d, a)), &ranks(&column(&d, b)));
    assert!((got - 0.6).abs() < 0.05, "{got}");
    let record = scn.params.describe(scn.simulation.sampler);
    assert!(record.starts_with("Owen-scrambled Sobol"), "{record}");
    assert!(
        record.contains("Gaussian copula over firms.arrival_rate, firms.sectors[1].revenue_per_mu, firms.displacement (spearman matrix)"),
        "{record}"
    );
    // Without a sampler or copula, run.json's sampler is as before.
    let plain = Scenario::reference().expect("reference");
    assert_eq!(
        plain.params.describe(plain.simulation.sampler),
        "plain Monte Carlo (inverse CDF of one uniform per uncertain input per path)"
    );
}

#[test]
fn invalid_matrices_are_refused_with_field_and_line() {
    let t = TestDir::new();
    // Not positive definite: 0.9, 0.9 and −0.9 cannot hold together.
    let mut text = text_with(
        "",
        "\n[correlation]\ninputs = [\"firms.arrival_rate\", \"firms.outlook\", \"firms.displacement\"]\nkind = \"pearson\"\nmatrix = [[1, 0.9, 0.9], [0.9, 1, -0.9], [0.9, -0.9, 1]]\n",
    );
    let line = common::line_starting(&text, "matrix = ");
    t.create("pd.toml", &text);
    let stderr = bad_input(&t.cmd(&["validate", "pd.toml"]));
    let problems = problem_lines(&stderr, "pd.toml");
    assert_problem(
        &problems,
        "pd.toml",
        line,
        "correlation.matrix",
        "expected a positive definite correlation matrix, but its smallest eigenvalue is -8.000e-1; the correlations among firms.arrival_rate, firms.outlook, firms.displacement (entries [0][1] = 0.9, [0][2] = 0.9, [1][2] = -0.9) cannot hold together; change them or set `repair = true` to use the nearest valid matrix",
    );
    // Repaired on request, and the repair reported in run.json's record.
    replace_line(
        &mut text,
        "kind = \"pearson\"",
        "kind = \"pearson\"\nrepair = true",
    );
    let scn = Scenario::parse(&text, "pd.toml").expect("repaired");
    let record = scn.params.describe(scn.simulation.sampler);
    assert!(
        record.contains("the pearson matrix was not positive definite and was repaired to the nearest valid correlation matrix (Higham): largest change"),
        "{record}"
    );
    let repair = scn
        .params
        .correlation()
        .and_then(|c| c.repair.clone())
        .expect("repair");
    assert!(repair.largest > 0.1 && repair.largest < 0.9, "{repair:?}");

    // Unknown, fixed and per-path names; a matrix that is not symmetric.
    let text = text_with(
        "",
        "\n[correlation]\ninputs = [\"firms.arrival_rate\", \"firms.arival_rate\", \"taxes.vat_local_share\"]\nmatrix = [[1, 0, 0], [0, 1, 0], [0, 0.5, 1]]\n",
    );
    let line = common::line_starting(&text, "inputs = [\"firms.arrival_rate\", \"firms.arival");
    t.create("names.toml", &text);
    let stderr = bad_input(&t.cmd(&["validate", "names.toml"]));
    let problems = problem_lines(&stderr, "names.toml");
    assert_problem(
        &problems,
        "names.toml",
        line,
        "correlation.inputs[1]",
        "unknown input `firms.arival_rate`; the path-level uncertain inputs are: park.saleable_share, contributions[1].value, contributions[3].value, costs.land_acquisition.per_mu, costs.infrastructure.per_mu, company.land_price_per_mu, firms.sectors[1].revenue_per_mu, firms.sectors[2].revenue_per_mu, firms.arrival_rate, firms.displacement, firms.outlook",
    );
    assert_problem(
        &problems,
        "names.toml",
        line,
        "correlation.inputs[2]",
        "`taxes.vat_local_share` is a fixed number, not an uncertain input; give it a distribution to correlate it",
    );
    // The shape is checked only once the names are good.
    let text = text_with(
        "",
        "\n[correlation]\ninputs = [\"firms.arrival_rate\", \"firms.outlook\"]\nmatrix = [[1, 0.3], [0.2, 1]]\n",
    );
    let line = common::line_starting(&text, "matrix = [[1, 0.3]");
    t.create("sym.toml", &text);
    let stderr = bad_input(&t.cmd(&["validate", "sym.toml"]));
    let problems = problem_lines(&stderr, "sym.toml");
    assert_problem(
        &problems,
        "sym.toml",
        line,
        "correlation.matrix[1][0]",
        "expected a symmetric matrix: correlation.matrix[0][1] is 0.3, found 0.2",
    );
}

#[test]
fn antithetic_pairs_refuse_an_odd_number_of_paths() {
    let t = TestDir::new();
    let mut text = text_with("antithetic = true", "");
    let line = replace_line(&mut text, "paths = ", "paths = 1001");
    t.create("anti.toml", &text);
    let stderr = bad_input(&t.cmd(&["validate", "anti.toml"]));
    let problems = problem_lines(&stderr, "anti.toml");
    assert_problem(
        &problems,
        "anti.toml",
        line,
        "simulation.paths",
        "antithetic pairs need an even number of paths (paths 2k and 2k + 1 make pair k), found 1001; use 1000 or 1002, or set `antithetic = false`",
    );
}

#[test]
fn an_unknown_sampler_is_refused() {
    let t = TestDir::new();
    t.create("s.toml", &text_with("sampler = \"quasi\"", ""));
    let stderr = bad_input(&t.cmd(&["validate", "s.toml"]));
    assert!(
        stderr.contains("simulation.sampler") && stderr.contains("latin-hypercube"),
        "{stderr}"
    );
}
