//! A set of many small scenarios against one large scenario of the same paths, on
//! every core, through the binary as a user runs it (`enclave run … --summary-only`):
//! scenario-paths per second and firm-years per second of each, and the set's
//! cost per firm-year as a multiple of the large run's (issue 10's goal: at most
//! 1.25×).
//!
//! The set is `SCENARIOS` variants of the reference scenario (each its own id and
//! seed, so each is its own work), of `PATHS` paths each; the large run is the
//! reference scenario with `SCENARIOS × PATHS` paths. Both run back to back in
//! each of `ROUNDS` rounds (the order alternating), and the median of the rounds'
//! ratios is printed with their range: the machine is shared and noisy, so only
//! ratios measured together mean much.
//!
//! Run with `cargo bench --bench sets`; the sizes come from the environment:
//! `ENCLAVE_BENCH_SCENARIOS` (default 100), `ENCLAVE_BENCH_PATHS` (1000),
//! `ENCLAVE_BENCH_HORIZON` (10 years), `ENCLAVE_BENCH_ROUNDS` (3). Issue 10's
//! figure is `ENCLAVE_BENCH_SCENARIOS=1000`.

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use criterion::{Criterion, criterion_group, criterion_main};

const REFERENCE: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/scenarios/jilin-zhejiang.toml"
));

fn setting(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The reference scenario under another id, seed, paths and horizon.
fn variant(id: &str, seed: u64, paths: u64, horizon: u64) -> String {
    REFERENCE
        .lines()
        .map(|line| {
            if line.starts_with("id = \"jilin-zhejiang\"") {
                format!("id = \"{id}\"")
            } else if line.starts_with("seed = ") {
                format!("seed = {seed}")
            } else if line.starts_with("paths = ") {
                format!("paths = {paths}")
            } else if line.starts_with("horizon = ") {
                format!("horizon = {horizon}")
            } else {
                line.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Runs `enclave run ARGS… --summary-only --out OUT` and returns (seconds,
/// paths, firm-years), the last two from its "ran …" line.
fn timed(target: &Path, out: &Path) -> (f64, u64, u64) {
    let _ = std::fs::remove_dir_all(out);
    let started = Instant::now();
    let output = Command::new(env!("CARGO_BIN_EXE_enclave"))
        .arg("run")
        .arg(target)
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
    let set = dir.path().join("set");
    std::fs::create_dir_all(&set).expect("the set's folder");
    for i in 0..scenarios {
        std::fs::write(
            set.join(format!("s{i:05}.toml")),
            variant(&format!("s{i:05}"), 1000 + i, paths, horizon),
        )
        .expect("a scenario file");
    }
    let large = dir.path().join("large.toml");
    std::fs::write(&large, variant("large", 1000, scenarios * paths, horizon))
        .expect("the large scenario");

    let mut ratios = Vec::new();
    let mut rates = Vec::new();
    for round in 0..rounds {
        let mut many = (0.0, 0, 0);
        let mut one = (0.0, 0, 0);
        for i in 0..2 {
            if (round + i) % 2 == 0 {
                many = timed(&set, &dir.path().join("out-set"));
            } else {
                one = timed(&large, &dir.path().join("out-large"));
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
