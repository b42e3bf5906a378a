//! Cost per value of [`RecordStats::push`] on a record of 1700 positions.
//!
//! - `push/moments_only`: every position keeps moments only;
//! - `push/histogram`: every position also keeps quantiles, already in
//!   histogram mode (1024 core bins, as the engine gives per-path metrics);
//! - each iteration pushes one batch of 64 paths and closes it, so the fold of the
//!   batch into the exact sums is included, amortised over the batch.
//!
//! Run with `cargo bench --bench stats`; criterion prints values per second.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use std::time::Duration;

use enclave::stats::{Grid, Plan, QuantileSpec, RecordStats};

const POSITIONS: usize = 1700;
const BATCH: usize = 64;
/// Distinct records cycled through (keeps the input in cache, as the engine's is).
const RECORDS: usize = 16;

/// SplitMix64 uniforms in (0, 1): deterministic, portable input data.
fn uniforms(seed: u64) -> impl Iterator<Item = f64> {
    let mut state = seed;
    std::iter::repeat_with(move || {
        state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^= z >> 31;
        ((z >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    })
}

/// `count` records: position j has level 10^(j mod 9) and a spread of 10 %;
/// 1 % of values are NaN (undefined).
fn records(count: usize, seed: u64) -> Vec<Vec<f64>> {
    let mut u = uniforms(seed);
    (0..count)
        .map(|_| {
            (0..POSITIONS)
                .map(|j| {
                    let v = u.next().unwrap_or(0.5);
                    if v < 0.01 {
                        f64::NAN
                    } else {
                        10f64.powi((j % 9) as i32) * (1.0 + 0.2 * (v - 0.5))
                    }
                })
                .collect()
        })
        .collect()
}

fn push(c: &mut Criterion) {
    let input = records(RECORDS, 1);
    let mut group = c.benchmark_group("push");
    group.throughput(Throughput::Elements((BATCH * POSITIONS) as u64));
    group.measurement_time(Duration::from_secs(3));

    let plan = Plan::moments_only(POSITIONS);
    let mut stats = RecordStats::new(&plan, None);
    group.bench_function("moments_only", |b| {
        b.iter(|| {
            for p in 0..BATCH {
                stats.push(black_box(&input[p % RECORDS]));
            }
            stats.end_batch();
        })
    });

    let spec = QuantileSpec {
        bins: 1024,
        integer: false,
    };
    let plan = Plan::new(vec![Some(spec); POSITIONS]);
    let pilot = records(1024, 2);
    let grids = (0..POSITIONS)
        .map(|j| {
            let values: Vec<f64> = pilot.iter().map(|r| r[j]).collect();
            Some(Grid::from_pilot(&values, spec.bins, spec.integer))
        })
        .collect();
    let mut stats = RecordStats::new(&plan, Some(grids));
    // Past the exact cap: every position counts in its histogram.
    for r in &records(1100, 3) {
        stats.push(r);
    }
    stats.end_batch();
    group.bench_function("histogram", |b| {
        b.iter(|| {
            for p in 0..BATCH {
                stats.push(black_box(&input[p % RECORDS]));
            }
            stats.end_batch();
        })
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20);
    targets = push
}
criterion_main!(benches);
