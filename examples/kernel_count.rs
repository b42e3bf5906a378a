//! The kernel's cost per firm-year, for measuring it under cachegrind
//! (issue 10): `kernel_count N` runs paths 0..N of the reference scenario through
//! `engine::run_path` and prints the firm-years and a hash of every record's bits
//! (the same hash means the same outputs); `kernel_count N floor` draws N standard
//! normals (the random-number floor); `kernel_count N time [ROUNDS]` times both.
//!
//! Instructions per firm-year: the difference of two runs over the difference of
//! their firm-years, which cancels start-up, e.g.
//! `valgrind --tool=cachegrind --cache-sim=no target/release/examples/kernel_count 128`
//! and the same with 384.
use std::time::Instant;

use enclave::engine::{self, Layout, PathScratch, RunConfig};
use enclave::scenario::Scenario;
use enclave::streams::{self, Streams};
use rand::RngExt;
use rand_distr::StandardNormal;

fn kernel(scn: &Scenario, cfg: &RunConfig, paths: u64) -> (u64, u64) {
    let key = Streams::new(cfg.seed, &scn.params);
    let layout = Layout::new(scn, cfg.horizon);
    let mut scratch = PathScratch::default();
    let mut record = vec![0.0; layout.len()];
    let mut fy = 0;
    let mut h: u64 = 0xcbf29ce484222325;
    for p in 0..paths {
        fy += engine::run_path(scn, cfg.horizon, &key, p, &mut scratch, &mut record);
        for x in &record {
            h = (h ^ x.to_bits()).wrapping_mul(0x100000001b3);
        }
    }
    (fy, h)
}

fn floor(scn: &Scenario, cfg: &RunConfig, n: u64) -> f64 {
    let key = Streams::new(cfg.seed, &scn.params);
    let mut rng = streams::open(&key.firms, 0);
    let mut sum = 0.0;
    for _ in 0..n {
        let x: f64 = rng.sample(StandardNormal);
        sum += x;
    }
    sum
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let paths: u64 = args.get(1).map_or(1024, |s| s.parse().unwrap());
    let mode = args.get(2).map_or("kernel", |s| s.as_str());
    let scn = Scenario::reference().expect("valid");
    let cfg = RunConfig::from_scenario(&scn);
    match mode {
        "kernel" => {
            let (fy, h) = kernel(&scn, &cfg, paths);
            println!("firm_years {fy} hash {h:016x}");
        }
        "floor" => {
            let n: u64 = paths;
            println!("{}", floor(&scn, &cfg, n));
        }
        _ => {
            // timing: kernel and floor interleaved
            let rounds: usize = args.get(3).map_or(5, |s| s.parse().unwrap());
            let mut ratios = Vec::new();
            let mut rates = Vec::new();
            for _ in 0..rounds {
                let t = Instant::now();
                let (fy, _) = kernel(&scn, &cfg, paths);
                let tk = t.elapsed().as_secs_f64();
                let t = Instant::now();
                std::hint::black_box(floor(&scn, &cfg, fy));
                let tf = t.elapsed().as_secs_f64();
                rates.push(fy as f64 / tk / 1e6);
                ratios.push(tk / tf);
            }
            println!("kernel M fy/s {:?}\nkernel/floor {:?}", rates, ratios);
        }
    }
}
