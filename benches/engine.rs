//! Engine throughput in firm-years per second on the reference scenario.
//!
//! - `kernel/one_thread`: paths simulated and evaluated one after another on one
//!   thread (the hot loop, no rayon, no statistics);
//! - `kernel/rng_floor`: drawing the same number of standard normals alone — the
//!   floor no simulation of this model can beat — so the ratio of the two says how
//!   much of the kernel is the model rather than the random numbers;
//! - `run/all_threads`: the full parallel run with streaming statistics.
//!
//! Run with `cargo bench --bench engine`; criterion prints throughput per benchmark.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rand::RngExt;
use rand_distr::StandardNormal;

use enclave::engine::{self, Layout, PathScratch, RunConfig};
use enclave::scenario::Scenario;
use enclave::streams::{self, Streams};

const PATHS: u64 = 64;

fn kernel(c: &mut Criterion) {
    let scn = Scenario::reference().expect("bundled scenario is valid");
    let cfg = RunConfig::from_scenario(&scn);
    let key = Streams::new(cfg.seed, &scn.params);
    let layout = Layout::new(&scn, cfg.horizon);
    let mut scratch = PathScratch::default();
    let mut record = vec![0.0; layout.len()];
    let firm_years: u64 = (0..PATHS)
        .map(|p| engine::run_path(&scn, &cfg, &key, p, &mut scratch, &mut record))
        .sum();

    let mut group = c.benchmark_group("kernel");
    group.throughput(Throughput::Elements(firm_years));
    group.bench_function("one_thread", |b| {
        b.iter(|| {
            let mut total = 0;
            for p in 0..PATHS {
                total += engine::run_path(&scn, &cfg, &key, p, &mut scratch, &mut record);
            }
            std::hint::black_box(total)
        })
    });
    group.bench_function("rng_floor", |b| {
        b.iter(|| {
            let mut rng = streams::open(&key.firms, 0);
            let mut sum = 0.0;
            for _ in 0..firm_years {
                let x: f64 = rng.sample(StandardNormal);
                sum += x;
            }
            std::hint::black_box(sum)
        })
    });
    group.finish();
}

fn full_run(c: &mut Criterion) {
    let scn = Scenario::reference().expect("bundled scenario is valid");
    let cfg = RunConfig {
        paths: 1024,
        ..RunConfig::from_scenario(&scn)
    };
    let firm_years = engine::run(&scn, &cfg, &mut |_| {})
        .expect("run")
        .firm_years;
    let mut group = c.benchmark_group("run");
    group.sample_size(10);
    group.throughput(Throughput::Elements(firm_years));
    group.bench_function("all_threads", |b| {
        b.iter(|| {
            engine::run(&scn, &cfg, &mut |_| {})
                .expect("run")
                .firm_years
        })
    });
    group.finish();
}

criterion_group!(benches, kernel, full_run);
criterion_main!(benches);
