//! The tax rules of issue 8 through the binary and the bundled scenarios: bad tax
//! settings are reported at their file, line and field, and a province that is a
//! region receives its take under every alternative (MODEL.md §6, §8).

mod common;

use std::path::Path;

use common::{REFERENCE, TestDir, bad_input, line_starting, problem_lines, replace_line};
use enclave::economy::{Workspace, simulate_path};
use enclave::engine::{self, RunConfig};
use enclave::outcome::{OutcomeScratch, evaluate};
use enclave::scenario::{Role, Scenario};
use enclave::schema::{ParkMetric, RegionMetric, RegionSeries};
use enclave::streams::Streams;

/// The problem lines `validate` prints for `text`, saved as `name`.
fn validate(name: &str, text: &str) -> Vec<String> {
    let t = TestDir::new();
    t.create(name, text);
    let stderr = bad_input(&t.cmd(&["validate", name]));
    problem_lines(&stderr, name)
}

#[test]
fn bad_tax_settings_are_reported_at_their_lines() {
    // A flat IIT rate beside the schedule's social insurance share, and a province
    // table with a share above 1 and an unknown recipient.
    let mut text = REFERENCE.to_owned();
    let flat = replace_line(&mut text, "cit_statutory_rate = ", "iit_rate = 0.01");
    replace_line(
        &mut text,
        "[taxes.rebate]",
        "[taxes.province]\nland_use = 2\nto = \"jilinsheng\"\n\n[taxes.rebate]",
    );
    let insurance = line_starting(&text, "iit_social_insurance_share = ");
    let province = line_starting(&text, "[taxes.province]");
    assert!(flat < insurance);
    assert_eq!(
        validate("taxes.toml", &text),
        [
            format!(
                "  taxes.toml:{insurance}: taxes.iit_social_insurance_share: expected no social \
                 insurance share with a flat `iit_rate` (it applies only to the progressive \
                 schedule, which `iit_rate` replaces); remove one of them"
            ),
            format!(
                "  taxes.toml:{}: taxes.province.land_use: expected a share in [0, 1], found 2",
                province + 1
            ),
            format!(
                "  taxes.toml:{}: taxes.province.to: expected a region id (one of zhejiang, \
                 jilin), found `jilinsheng`; did you mean `jilin`?",
                province + 2
            ),
        ]
    );
}

#[test]
fn a_province_region_receives_its_take_under_every_alternative() {
    // Shenzhen–Shanwei names Guangdong (role other, no contribution, no equity) as
    // the recipient of the provincial take: its NPV is that take's PV, the same
    // under every alternative, and positive.
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/shenzhen-shanwei.toml");
    let scn = Scenario::load(&file).unwrap_or_else(|e| panic!("{e}"));
    let g = scn
        .regions
        .iter()
        .position(|r| r.id == "guangdong")
        .expect("a Guangdong region");
    assert_eq!(scn.regions[g].role, Role::Other);
    assert_eq!(scn.taxes.provincial.to, Some(g));
    assert!(scn.contributions.iter().all(|c| c.region != g));
    let cfg = RunConfig {
        paths: 64,
        ..RunConfig::from_scenario(&scn)
    };
    let res = engine::run(&scn, &cfg, Default::default(), &mut |_| {}).expect("run");
    let mean = |j| res.stats.summary(j).mean;
    let received = mean(res.layout.region_metric(0, g, RegionMetric::PvProvincial));
    assert!(received > 0.0, "Guangdong receives {received}");
    assert!(mean(res.layout.park_metric(ParkMetric::TaxProvincial)) > received);
    for a in 0..scn.alternatives.len() {
        let npv = mean(res.layout.region_metric(a, g, RegionMetric::Npv));
        let pv = mean(res.layout.region_metric(a, g, RegionMetric::PvProvincial));
        assert!(
            (npv - received).abs() <= 1e-9 * received,
            "alternative {a}: {npv}"
        );
        assert!(
            (pv - received).abs() <= 1e-9 * received,
            "alternative {a}: {pv}"
        );
        for r in (0..scn.regions.len()).filter(|&r| r != g) {
            let other = mean(res.layout.region_metric(a, r, RegionMetric::PvProvincial));
            assert!(other.abs() < 1e-12, "alternative {a} region {r}: {other}");
        }
    }
}

#[test]
fn totals_are_conserved_on_each_path_with_a_province_region() {
    // Equal discount rates in Shenzhen–Shanwei: Σ_r NPV_r is the same under every
    // alternative on every path, the province's take included, and the alternatives
    // do move money between the other regions.
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/shenzhen-shanwei.toml");
    let scn = Scenario::load(&file).unwrap_or_else(|e| panic!("{e}"));
    let h = scn.simulation.horizon;
    let n = scn.regions.len();
    let streams = Streams::new(scn.simulation.seed, &scn.params);
    let (mut ws, mut scratch) = (Workspace::default(), OutcomeScratch::default());
    let npv = RegionMetric::Npv.index();
    let mut spread = 0.0f64;
    for p in 0..40 {
        simulate_path(&scn, h, &streams, p, &mut ws);
        let totals: Vec<(f64, f64)> = scn
            .alternatives
            .iter()
            .map(|alt| {
                let mut m = vec![0.0; n * RegionMetric::COUNT];
                let mut s = vec![0.0; n * RegionSeries::COUNT * h as usize];
                evaluate(&ws.out, alt, &mut scratch, &mut m, &mut s);
                let total = (0..n).map(|r| m[r * RegionMetric::COUNT + npv]).sum();
                (total, m[npv])
            })
            .collect();
        for (a, (t, _)) in totals.iter().enumerate() {
            let t0 = totals[0].0;
            assert!(
                (t - t0).abs() <= 1e-9 * t0.abs().max(1.0),
                "path {p} alternative {a}: {t} vs {t0}"
            );
        }
        for (_, first) in &totals {
            spread = spread.max((first - totals[0].1).abs());
        }
    }
    assert!(
        spread > 1.0,
        "the alternatives differ for Shenzhen: {spread}"
    );
}
