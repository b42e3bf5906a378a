//! The hot loop allocates nothing: once a worker's buffers have grown to fit,
//! simulating and evaluating further paths makes no heap allocation at all.

// A counting global allocator is the one place this project needs `unsafe`.
#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout as AllocLayout, System};
use std::cell::Cell;

use enclave::engine::{self, Layout, PathScratch, RunConfig};
use enclave::scenario::Scenario;
use enclave::streams::Streams;

/// Counts allocations made through the global allocator, by thread.
struct Counting;

thread_local! {
    /// The allocations this thread made. By thread: the test harness allocates on
    /// its own threads as tests end (2 of them fell into a counting window in CI).
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

/// Adds an allocation to this thread's count (none once the thread is gone).
fn count() {
    let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
}

/// This thread's allocations so far.
fn allocations() -> usize {
    ALLOCATIONS.with(Cell::get)
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: AllocLayout) -> *mut u8 {
        count();
        // SAFETY: forwards the caller's layout unchanged to the system allocator.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: AllocLayout) {
        // SAFETY: `ptr` was allocated by `System.alloc` with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: AllocLayout, new_size: usize) -> *mut u8 {
        count();
        // SAFETY: forwards the caller's arguments unchanged to the system allocator.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// The tests of this file also take turns, so that no test's work shares the
/// machine with another's counting window.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// This test's turn: held from before anything is loaded, so that no other test
/// allocates within its counting window.
fn turn() -> std::sync::MutexGuard<'static, ()> {
    SERIAL
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The allocations, and firm-years, of 100 paths of `scn` after 200 warm-up paths
/// (the buffers grow to the largest park seen so far); call it in the test's turn.
fn warm_allocations(scn: &Scenario) -> (usize, u64) {
    let cfg = RunConfig::from_scenario(scn);
    let key = Streams::new(cfg.seed, &scn.params);
    let layout = Layout::new(scn, cfg.horizon);
    let mut scratch = PathScratch::default();
    let mut record = vec![0.0; layout.len()];
    for p in 0..200 {
        engine::run_path(scn, cfg.horizon, &key, p, &mut scratch, &mut record);
    }
    let before = allocations();
    let mut firm_years = 0;
    for p in 0..100 {
        firm_years += engine::run_path(scn, cfg.horizon, &key, p, &mut scratch, &mut record);
    }
    (allocations() - before, firm_years)
}

/// A bundled scenario of the library.
fn library(name: &str) -> Scenario {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios")
        .join(name);
    Scenario::load(&path).expect("bundled scenario")
}

#[test]
fn paths_after_warm_up_allocate_nothing() {
    let _turn = turn();
    let scn = Scenario::reference().expect("bundled scenario");
    let (allocations, firm_years) = warm_allocations(&scn);
    assert!(
        firm_years > 100_000,
        "the paths did real work: {firm_years} firm-years"
    );
    assert_eq!(allocations, 0, "allocations in 100 warm paths");
}

#[test]
fn paths_with_a_delivery_risk_allocate_nothing_after_warm_up() {
    let _turn = turn();
    // The Zhejiang 消薄 enclave has an alternative whose transfers may go unpaid.
    let scn = library("zhejiang-mountain-sea.toml");
    assert!(scn.alternatives.iter().any(|a| a.delivery.is_some()));
    assert_eq!(warm_allocations(&scn).0, 0, "allocations in 100 warm paths");
}

#[test]
fn paths_with_dated_changes_allocate_nothing_after_warm_up() {
    let _turn = turn();
    // Shenzhen–Shanwei changes taxes, sector rates, equity and a bearer by year.
    let scn = library("shenzhen-shanwei.toml");
    assert!(scn.changes.len() >= 4);
    assert_eq!(warm_allocations(&scn).0, 0, "allocations in 100 warm paths");
}

#[test]
fn antithetic_paths_and_their_pair_statistics_allocate_nothing_after_warm_up() {
    let _turn = turn();
    let scn = Scenario::reference().expect("bundled scenario");
    let cfg = RunConfig::from_scenario(&scn);
    let anti = enclave::sampling::Sampler {
        kind: enclave::sampling::SamplerKind::MonteCarlo,
        antithetic: true,
    };
    let streams = Streams::for_run(cfg.seed, 1000, anti, &scn.params).expect("streams");
    let layout = Layout::new(&scn, cfg.horizon);
    let mut scratch = PathScratch::default();
    let mut record = vec![0.0; layout.len()];
    let plan = enclave::stats::Plan::moments_only(layout.len());
    let mut stats = enclave::stats::RecordStats::new(&plan, None).with_pairs();
    let mut paths = |range: std::ops::Range<u64>, stats: &mut enclave::stats::RecordStats| {
        for p in range {
            engine::run_path(&scn, cfg.horizon, &streams, p, &mut scratch, &mut record);
            stats.push(&record);
        }
        stats.end_batch();
    };
    paths(0..200, &mut stats);
    let before = allocations();
    // Odd paths mirror their partners; the pairs' averages go to their moments.
    paths(200..300, &mut stats);
    assert_eq!(
        allocations() - before,
        0,
        "allocations in 100 warm antithetic paths"
    );
    assert_eq!(stats.pairs(0), Some(150));
}
