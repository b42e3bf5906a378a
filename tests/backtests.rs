//! Backtests against published history (docs/backtests.md): each library scenario
//! of a park with published figures is run over its historical years, and the
//! published figure must lie inside the simulated 5–95% band.
//!
//! The statistics are computed here from the library API (one [`EconomyPath`] per
//! path, the first `years` years of the scenario's own horizon: a path's year t does
//! not depend on the horizon). Quantiles are the linear interpolation of the sorted
//! values (type 7). Run `cargo test --release --test backtests -- --nocapture` to
//! print the table of docs/backtests.md.

use std::path::Path;

use enclave::economy::{EconomyPath, Workspace, simulate_path};
use enclave::scenario::Scenario;
use enclave::streams::Streams;

/// Paths per backtest: at this count the band's ends are within about 5% of those
/// at 10,000 paths (docs/backtests.md), and the backtests run in about 10 s
/// unoptimised, under 1 s with `--release`.
const PATHS: u64 = 1_000;

fn load(name: &str) -> Scenario {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios")
        .join(name);
    Scenario::load(&path).unwrap_or_else(|e| panic!("{e}"))
}

/// `f` of each of `PATHS` paths of `scn` simulated over its first `years` years.
fn per_path(scn: &Scenario, years: u32, f: impl Fn(&EconomyPath) -> f64) -> Vec<f64> {
    let streams = Streams::new(scn.simulation.seed, &scn.params);
    let mut ws = Workspace::default();
    (0..PATHS)
        .map(|p| {
            simulate_path(scn, years, &streams, p, &mut ws);
            f(&ws.out)
        })
        .collect()
}

/// The type-7 quantile of sorted values.
fn quantile(sorted: &[f64], q: f64) -> f64 {
    let h = (sorted.len() - 1) as f64 * q;
    let (lo, hi) = (h.floor() as usize, h.ceil() as usize);
    sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
}

/// (P5, P50, P95) of `values`.
fn band(mut values: Vec<f64>) -> (f64, f64, f64) {
    values.sort_by(f64::total_cmp);
    (
        quantile(&values, 0.05),
        quantile(&values, 0.5),
        quantile(&values, 0.95),
    )
}

/// Prints the band beside the published figure and checks the figure is inside it.
fn check(what: &str, values: Vec<f64>, published: f64) -> (f64, f64, f64) {
    let rank = values.iter().filter(|&&v| v <= published).count() as f64 / values.len() as f64;
    let (p5, p50, p95) = band(values);
    eprintln!(
        "{what}: P5 {p5:.4} | median {p50:.4} | P95 {p95:.4} | published {published:.4} at P{:.0}",
        100.0 * rank
    );
    assert!(
        (p5..=p95).contains(&published),
        "{what}: published {published} outside the simulated 5–95% band [{p5}, {p95}] (median {p50})"
    );
    (p5, p50, p95)
}

/// 苏宿 2006–2020: cumulative tax paid, all levels, 14.7 bn yuan (张磊 2018).
/// Calibrated to nothing: REFERENCES §4 priors and assumptions only.
#[test]
fn suzhou_suqian_cumulative_tax_2006_2020() {
    let scn = load("suzhou-suqian.toml");
    assert_eq!(scn.start_year, 2006);
    let years = 2020 - 2006 + 1;
    // Money unit: million yuan; the published figure in bn yuan.
    let to_bn = scn.yuan_per_unit / 1e9;
    let total = per_path(&scn, years, |e| e.tax_total.iter().sum::<f64>() * to_bn);
    check("苏宿 cumulative tax 2006–2020, bn yuan", total, 14.7);
    // The prior it was built from, not a test of it: tax per occupied mu in 2020,
    // thousand yuan a year (200–400 in eastern parks, 50–150 in lagging hosts;
    // REFERENCES §4).
    let last = (years - 1) as usize;
    let per_mu = per_path(&scn, years, |e| {
        let occupied = e.occupancy[last] * e.land_open_mu[last];
        if occupied > 0.0 {
            e.tax_total[last] / occupied * scn.yuan_per_unit / 1e3
        } else {
            f64::NAN
        }
    });
    let (p5, p50, p95) = band(per_mu.into_iter().filter(|x| x.is_finite()).collect());
    eprintln!(
        "苏宿 tax per occupied mu in 2020, k yuan: P5 {p5:.0} | median {p50:.0} | P95 {p95:.0}"
    );
    assert!(
        (100.0..=450.0).contains(&p50),
        "tax per mu {p50} left the prior"
    );
}

/// 江阴–靖江 2003–2013: fiscal revenue 7.696 bn yuan, of which 4.27 bn central
/// (people.com.cn 2018-12-16). The arrival rate is calibrated to the total; the
/// central share is held out.
#[test]
fn jiangyin_jingjiang_central_share_2003_2013() {
    let scn = load("jiangyin-jingjiang.toml");
    assert_eq!(scn.start_year, 2003);
    let years = 2013 - 2003 + 1;
    let to_bn = scn.yuan_per_unit / 1e9;
    // The calibration target: printed and checked, but not a test of the model.
    let total = per_path(&scn, years, |e| e.tax_total.iter().sum::<f64>() * to_bn);
    let (_, median, _) = check(
        "江阴–靖江 fiscal revenue 2003–2013 (calibrated), bn yuan",
        total,
        7.696,
    );
    assert!(
        (median / 7.696 - 1.0).abs() < 0.2,
        "calibration drifted: median {median}"
    );
    // Held out.
    let central = per_path(&scn, years, |e| {
        let total: f64 = e.tax_total.iter().sum();
        e.tax_central.iter().sum::<f64>() / total
    });
    check(
        "江阴–靖江 central share 2003–2013 (held out)",
        central,
        4.27 / 7.696,
    );
}
