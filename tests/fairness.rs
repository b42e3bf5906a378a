//! The regions' game on the engine's paths (MODEL.md §8, docs/model.md §13):
//! coalition parks share the main run's random numbers, Shapley values add up to
//! what the regions get together on every path, and a region that brings nothing
//! gets nothing.

mod common;

use common::paths::{economy, parse};
use enclave::coalition::{self, CoalitionScratch, Coalitions};
use enclave::engine::{self, Layout, PathScratch};
use enclave::scenario::Scenario;
use enclave::schema::{AltMetric, RegionMetric};
use enclave::streams::Streams;

fn reference_text() -> String {
    std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/scenarios/jilin-zhejiang.toml"
    ))
    .expect("the reference scenario")
}

/// The reference file with Jilin's contributions listed before Zhejiang's (so
/// that removing Zhejiang's renames none of Jilin's uncertain inputs), and the same
/// file without Zhejiang's contributions.
fn host_first_and_without_the_source() -> (String, String) {
    let text = reference_text();
    let start = text.find("[[contributions]]").expect("contributions");
    let end = text.find("# --- Costs").expect("the costs after them");
    let blocks: Vec<String> = text[start..end]
        .split("[[contributions]]")
        .filter(|b| !b.trim().is_empty())
        .map(|b| format!("[[contributions]]{b}"))
        .collect();
    let (zhejiang, jilin): (Vec<_>, Vec<_>) = blocks
        .iter()
        .partition(|b| b.contains("region = \"zhejiang\""));
    assert_eq!((zhejiang.len(), jilin.len()), (3, 2));
    let join = |bs: &[&String]| bs.iter().map(|b| b.as_str()).collect::<String>();
    let base = format!(
        "{}{}{}{}",
        &text[..start],
        join(&jilin),
        join(&zhejiang),
        &text[end..]
    );
    let without = format!("{}{}{}", &text[..start], join(&jilin), &text[end..]);
    (base, without)
}

fn bits(v: &[f64]) -> Vec<u64> {
    v.iter().map(|x| x.to_bits()).collect()
}

#[test]
fn a_coalition_park_is_the_scenario_without_the_others_contributions_on_the_same_paths() {
    let (base, without) = host_first_and_without_the_source();
    let (base, without) = (parse(&base), parse(&without));
    let jilin = base
        .regions
        .iter()
        .position(|r| r.id == "jilin")
        .expect("jilin");
    assert_eq!(base.host, jilin);
    let alone = coalition::park(&base, 1 << jilin);
    for p in 0..12 {
        let (a, b) = (economy(&alone, p), economy(&without, p));
        assert!(a.firm_years > 0, "path {p} has a park");
        for (name, x, y) in [
            ("tax pool", &a.tax_pool, &b.tax_pool),
            ("firms", &a.firms, &b.firms),
            ("gdp", &a.gdp, &b.gdp),
            ("equity", &a.equity, &b.equity),
            ("dividends", &a.dividends, &b.dividends),
            ("capital calls", &a.capital_calls, &b.capital_calls),
            ("costs borne", &a.costs_borne, &b.costs_borne),
            (
                "cash contributions",
                &a.cash_contributions,
                &b.cash_contributions,
            ),
            ("terminal", &a.terminal, &b.terminal),
            ("land pool", &a.land_pool, &b.land_pool),
        ] {
            assert_eq!(bits(x), bits(y), "{name} on path {p}");
        }
    }

    // v({jilin}) is Jilin's NPV in that park with the pools split by equity (the
    // file's "by equity" alternative splits the tax pool so, and its land revenue
    // goes to the company), on the main run's streams.
    let coalitions = Coalitions::new(&base);
    let streams = Streams::new(base.simulation.seed, &base.params);
    let by_equity = without
        .alternatives
        .iter()
        .position(|a| a.name == "by equity")
        .expect("a by-equity alternative");
    let h = base.simulation.horizon;
    let layout = Layout::new(&without, h);
    let mut record = vec![0.0; layout.len()];
    let (mut scratch, mut game) = (PathScratch::default(), CoalitionScratch::default());
    let own_streams = Streams::new(without.simulation.seed, &without.params);
    for p in 0..6 {
        let mut v = vec![0.0; 4];
        let outside = economy(&base, p).outside_option;
        coalition::values(&coalitions, h, &streams, p, &outside, &mut game, &mut v);
        engine::run_path(&without, h, &own_streams, p, &mut scratch, &mut record);
        let npv = record[layout.region_metric(by_equity, jilin, RegionMetric::Npv)];
        assert_eq!(v[1 << jilin].to_bits(), npv.to_bits(), "path {p}");
        // Zhejiang alone has no land: its outside option, 0 by default.
        assert_eq!(v[1 << (1 - jilin)].to_bits(), 0.0f64.to_bits());
    }
}

/// Checks, on paths `0..paths` of `scn`, that under every alternative the Shapley
/// values add up to the regions' total NPV and the gaps to 0, and returns the
/// largest |Shapley value| of region `watch` relative to the total's scale.
fn efficient(scn: &Scenario, paths: u64, watch: usize) -> f64 {
    let h = scn.simulation.horizon;
    let layout = Layout::new(scn, h);
    let streams = Streams::new(scn.simulation.seed, &scn.params);
    let mut record = vec![0.0; layout.len()];
    let mut scratch = PathScratch::default();
    let mut worst: f64 = 0.0;
    for p in 0..paths {
        engine::run_path(scn, h, &streams, p, &mut scratch, &mut record);
        for a in 0..layout.alternatives {
            let at = |r: usize, m: RegionMetric| record[layout.region_metric(a, r, m)];
            let total = record[layout.alt_metric(a, AltMetric::NpvTotal)];
            let phi: f64 = (0..layout.regions)
                .map(|r| at(r, RegionMetric::Shapley))
                .sum();
            let gap: f64 = (0..layout.regions)
                .map(|r| at(r, RegionMetric::ShapleyGap))
                .sum();
            let scale = (0..layout.regions)
                .map(|r| at(r, RegionMetric::Npv).abs())
                .sum::<f64>()
                .max(1.0);
            assert!(
                (phi - total).abs() <= 1e-9 * scale,
                "path {p}, alternative {a}: Σφ = {phi}, v(N) = {total}"
            );
            assert!(gap.abs() <= 1e-9 * scale, "path {p}: gaps add to {gap}");
            worst = worst.max(at(watch, RegionMetric::Shapley).abs() / scale);
        }
    }
    worst
}

#[test]
fn shapley_values_add_up_to_the_regions_total_on_every_path() {
    let three = Scenario::load(std::path::Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/scenarios/three-party.toml"
    )))
    .expect("three-party scenario");
    assert!(three.fairness(), "on by default with 3 regions");
    efficient(&three, 8, 0);
}

#[test]
fn a_region_that_brings_nothing_gets_a_shapley_value_of_zero() {
    // A third region with no contribution, no cost, no equity, an outside option of
    // 0 and a share of 0 is a dummy player: v(S ∪ {d}) = v(S) for every S.
    let text = reference_text();
    let park = text.find("[park]").expect("[park]");
    let sharing = text.find("[[sharing]]").expect("[[sharing]]");
    let with_observer = format!(
        "{}[[regions]]\nid = \"observer\"\nname = \"an observer\"\nrole = \"other\"\ndiscount_rate = 0.05\n\n{}{}",
        &text[..park],
        &text[park..sharing],
        r#"[[sharing]]
name = "by equity"
tax = { kind = "equity" }

[[sharing]]
name = "fixed 40:60"
tax = { kind = "fixed", shares = { zhejiang = 0.4, jilin = 0.6, observer = 0.0 } }
"#
    );
    let scn = parse(&with_observer);
    let observer = scn.regions.len() - 1;
    let worst = efficient(&scn, 8, observer);
    assert!(
        worst <= 1e-9,
        "the observer's Shapley value: {worst} of the scale"
    );
}

#[test]
fn fairness_off_leaves_shapley_values_undefined_and_everything_else_unchanged() {
    let scn = Scenario::reference().expect("bundled scenario");
    let mut off = scn.clone();
    off.simulation.fairness = Some(false);
    let h = 12;
    let layout = Layout::new(&scn, h);
    let streams = Streams::new(scn.simulation.seed, &scn.params);
    let (mut on_rec, mut off_rec) = (vec![0.0; layout.len()], vec![0.0; layout.len()]);
    let mut scratch = PathScratch::default();
    for p in 0..4 {
        engine::run_path(&scn, h, &streams, p, &mut scratch, &mut on_rec);
        engine::run_path(&off, h, &streams, p, &mut scratch, &mut off_rec);
        for (j, (x, y)) in on_rec.iter().zip(&off_rec).enumerate() {
            let m = layout.locate(j).measure;
            let game = matches!(
                m,
                enclave::schema::Measure::Region(RegionMetric::Shapley | RegionMetric::ShapleyGap)
            );
            if game {
                assert!(x.is_finite() && y.is_nan(), "{m:?}");
            } else {
                assert!(
                    x.to_bits() == y.to_bits() || (x.is_nan() && y.is_nan()),
                    "{m:?}"
                );
            }
        }
    }
}

/// With regions discounting at different rates a null region's Shapley value
/// and gap are its share of the alternative's gain over an equity split
/// (docs/model.md §13): the report says so beside them, in both languages; at
/// one rate it says nothing (a tester read −277 as a verdict on a region that
/// brings and gets nothing).
#[test]
fn the_report_says_how_to_read_shapley_values_at_unequal_rates() {
    let t = common::TestDir::new();
    // Jilin's rate, the second region's (Zhejiang's line says more after it).
    let text = common::REFERENCE.replacen(
        "discount_rate = 0.05    # assumption\n",
        "discount_rate = 0.08\n",
        1,
    );
    assert_ne!(text, common::REFERENCE);
    t.create("rates.toml", &text);
    t.create("same.toml", common::REFERENCE);
    let args = |file: &'static str, out: &'static str| {
        [
            "run",
            file,
            "--paths",
            "60",
            "--horizon",
            "6",
            "--charts",
            "none",
            "--quiet",
            "--out",
            out,
        ]
    };
    t.ok(&args("rates.toml", "a"));
    t.ok(&args("same.toml", "b"));
    let note = "The regions discount at different rates: a Shapley value then holds";
    assert!(t.read("a/jilin-zhejiang/report.html").contains(note));
    assert!(!t.read("b/jilin-zhejiang/report.html").contains(note));
    t.ok(&["report", "a/jilin-zhejiang", "--lang", "zh"]);
    assert!(
        t.read("a/jilin-zhejiang/report.html")
            .contains("各地区的折现率不同")
    );
}
