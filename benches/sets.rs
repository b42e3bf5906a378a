//! A set of many small scenarios against one large scenario of the same paths, on
//! every core, through the binary as a user runs it (`enclave run … --summary-only`):
//! scenario-paths per second and firm-years per second of each, and the set's
//! cost per firm-year as a multiple of the large run's (issue 10's goal: at most
//! 1.25×).
//!
//! The set is the benchmark sweep (`scenarios/sweeps/benchmark.toml`: variants of
//! the reference park on a Latin hypercube over the tax split, the discount rate
//! and output per mu) cut to its first `SCENARIOS` points, of `PATHS` paths each;
//! the large run is the reference scenario with `SCENARIOS × PATHS` paths. Both run back to back in
//! each of `ROUNDS` rounds (the order alternating), and the median of the rounds'
//! ratios is printed with their range: the machine is shared and noisy, so only
//! ratios measured together mean much.
//!
//! Run with `cargo bench --bench sets`; the sizes come from the environment:
//! `ENCLAVE_BENCH_SCENARIOS` (default 100), `ENCLAVE_BENCH_PATHS` (1000),
//! `ENCLAVE_BENCH_HORIZON` (10 years), `ENCLAVE_BENCH_ROUNDS` (3). Issue 10's
//! figure is `ENCLAVE_BENCH_SCENARIOS=1000` (the whole benchmark sweep).

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use criterion::{Criterion, criterion_group, criterion_main};

const REFERENCE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/jilin-zhejiang.toml");
const BENCHMARK: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/scenarios/sweeps/benchmark.toml"
));

fn setting(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The benchmark sweep with its base given by absolute path and `n` points.
fn benchmark_sweep(n: u64) -> String {
    let base = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/jilin-zhejiang.toml");
    BENCHMARK
        .lines()
        .map(|line| {
            if line.starts_with("base = ") {
                format!("base = {base:?}")
            } else if line.starts_with("n = ") {
                format!("n = {n}")
            } else {
                line.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Runs `enclave ARGS… --summary-only --out OUT` and returns (seconds, paths,
/// firm-years), the last two from its "ran …" line.
fn timed(args: &[&str], out: &Path) -> (f64, u64, u64) {
    let _ = std::fs::remove_dir_all(out);
    let started = Instant::now();
    let output = Command::new(env!("CARGO_BIN_EXE_enclave"))
        .args(args)
        .arg("--summary-only")
        .arg("--out")
        .arg(out)
        .output()
        .expect("enclave runs");
    let seconds = started.elapsed().as_secs_f64();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    // "ran K of N scenarios: P paths, F firm-years in …"
    let line = stdout
        .lines()
        .find(|l| l.starts_with("ran "))
        .unwrap_or_else(|| panic!("no `ran …` line in {stdout}"));
    let number_before = |word: &str| -> u64 {
        let end = line.find(word).expect("the word");
        line[..end]
            .trim_end()
            .rsplit(' ')
            .next()
            .and_then(|n| n.parse().ok())
            .expect("a number")
    };
    (
        seconds,
        number_before(" paths"),
        number_before(" firm-years"),
    )
}

fn sets(_: &mut Criterion) {
    let scenarios = setting("ENCLAVE_BENCH_SCENARIOS", 100);
    let paths = setting("ENCLAVE_BENCH_PATHS", 1000);
    let horizon = setting("ENCLAVE_BENCH_HORIZON", 10);
    let rounds = setting("ENCLAVE_BENCH_ROUNDS", 3) as usize;
    let dir = tempfile::tempdir().expect("a temporary folder");
    let sweep = dir.path().join("benchmark.toml");
    std::fs::write(&sweep, benchmark_sweep(scenarios)).expect("the sweep file");
    let sweep = sweep.display().to_string();
    let (paths_flag, large_paths, horizon_flag) = (
        paths.to_string(),
        (scenarios * paths).to_string(),
        horizon.to_string(),
    );
    let set_args = [
        "sweep",
        &sweep,
        "--paths",
        &paths_flag,
        "--horizon",
        &horizon_flag,
    ];
    let large_args = [
        "run",
        REFERENCE,
        "--paths",
        &large_paths,
        "--horizon",
        &horizon_flag,
    ];

    let mut ratios = Vec::new();
    let mut rates = Vec::new();
    for round in 0..rounds {
        let mut many = (0.0, 0, 0);
        let mut one = (0.0, 0, 0);
        for i in 0..2 {
            if (round + i) % 2 == 0 {
                many = timed(&set_args, &dir.path().join("out-set"));
            } else {
                one = timed(&large_args, &dir.path().join("out-large"));
            }
        }
        let per_firm_year = |(s, _, fy): (f64, u64, u64)| s / fy as f64;
        ratios.push(per_firm_year(many) / per_firm_year(one));
        rates.push((many, one));
    }
    // The round with the median ratio gives the throughputs shown.
    let mut order: Vec<usize> = (0..ratios.len()).collect();
    order.sort_by(|&a, &b| ratios[a].total_cmp(&ratios[b]));
    let mid = order[order.len() / 2];
    let median = ratios[mid];
    let (many, one) = rates[mid];
    let sorted: Vec<f64> = order.iter().map(|&i| ratios[i]).collect();
    println!(
        "sets ({scenarios} scenarios × {paths} paths against 1 × {} paths, {horizon} years, \
         all cores, median of {rounds} rounds): set {:.0} scenario-paths/s, {:.2} M firm-years/s; \
         large {:.0} paths/s, {:.2} M firm-years/s; the set costs {median:.3}× the large run \
         per firm-year [{:.3}, {:.3}]",
        scenarios * paths,
        many.1 as f64 / many.0,
        many.2 as f64 / many.0 / 1e6,
        one.1 as f64 / one.0,
        one.2 as f64 / one.0 / 1e6,
        sorted[0],
        sorted[sorted.len() - 1],
    );
}

criterion_group!(benches, sets);
criterion_main!(benches);
