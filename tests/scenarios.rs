//! Every scenario shipped in `scenarios/` loads and runs, and conserves money.

use std::path::Path;

use enclave::engine::{self, RunConfig};
use enclave::scenario::Scenario;
use enclave::schema::RegionMetric;

#[test]
fn every_bundled_scenario_validates_and_runs() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("scenarios folder")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    assert!(files.len() >= 2, "{files:?}");
    for file in files {
        let scn = Scenario::load(&file).unwrap_or_else(|e| panic!("{e}"));
        assert!(scn.alternatives.len() >= 4, "{}", file.display());
        let cfg = RunConfig {
            paths: 100,
            ..RunConfig::from_scenario(&scn)
        };
        let result = engine::run(&scn, &cfg, Default::default(), &mut |_| {}).expect("run");
        assert!(
            result.firm_years > 0,
            "{}: no firm ever came",
            file.display()
        );
        // With equal discount rates, mean total NPV is the same under every alternative.
        let rates: Vec<_> = scn
            .regions
            .iter()
            .map(|r| r.discount_rate.fixed())
            .collect();
        if rates.iter().all(|r| r.is_some() && *r == rates[0]) {
            let total = |a| -> f64 {
                (0..scn.regions.len())
                    .map(|r| {
                        let j = result.layout.region_metric(a, r, RegionMetric::Npv);
                        result.stats.summary(j).mean
                    })
                    .sum()
            };
            for a in 1..scn.alternatives.len() {
                assert!(
                    (total(a) - total(0)).abs() <= 1e-6 * total(0).abs().max(1.0),
                    "{}",
                    file.display()
                );
            }
        }
    }
}

/// `jingjin-relocation.toml`: the cap on Beijing's take of its relocated firms' VAT and
/// CIT binds on some paths and not on others, and only under the capped alternatives.
#[test]
fn the_relocation_cap_binds_on_some_paths_but_not_all() {
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/jingjin-relocation.toml");
    let scn = Scenario::load(&file).unwrap_or_else(|e| panic!("{e}"));
    let cfg = RunConfig {
        paths: 200,
        ..RunConfig::from_scenario(&scn)
    };
    let result = engine::run(&scn, &cfg, Default::default(), &mut |_| {}).expect("run");
    let beijing = scn
        .regions
        .iter()
        .position(|r| r.id == "beijing")
        .expect("beijing");
    let bound = |a: usize, r: usize| {
        let j = result.layout.region_metric(a, r, RegionMetric::CapReached);
        result.stats.summary(j).mean
    };
    let rule = bound(0, beijing);
    assert!(rule > 0.0 && rule < 1.0, "P(cap binds) = {rule}");
    // No sharing and sharing without a cap have no cap to bind; Hebei is never capped.
    assert_eq!(scn.alternatives[1].name, "no sharing: Hebei keeps all");
    assert!(bound(1, beijing) == 0.0 && bound(2, beijing) == 0.0);
    assert!((0..scn.alternatives.len()).all(|a| bound(a, 1 - beijing) == 0.0));
}
