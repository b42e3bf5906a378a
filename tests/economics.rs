//! The economics, checked against numbers worked out by hand, conservation laws
//! and analytic expectations (Poisson means, GBM means).
//!
//! Tolerance policy: deterministic cases compare to 1e-9 relative; statistical
//! cases allow 4 standard errors, the standard error computed from the sample.
mod common;

use enclave::economy::{EconomyPath, Workspace, simulate_path};
use enclave::engine::{self, Layout, PathScratch, RunConfig};
use enclave::outcome::evaluate;
use enclave::scenario::{Continuation, Scenario};
use enclave::schema::RegionMetric;
use enclave::streams::Streams;

use common::paths::{close, economy, parse};

macro_rules! assert_close {
    ($a:expr, $b:expr) => {{
        let (a, b): (f64, f64) = ($a, $b);
        assert!(close(a, b), "{} = {a}, expected {b}", stringify!($a));
    }};
}

/// Region metrics (npv, pv_*, ...) of every alternative on one path: `[alt][region][metric]`.
fn metrics(scn: &Scenario, econ: &EconomyPath) -> Vec<Vec<Vec<f64>>> {
    let n = scn.regions.len();
    let h = econ.horizon;
    let mut scratch = Default::default();
    scn.alternatives
        .iter()
        .map(|alt| {
            let mut m = vec![0.0; n * RegionMetric::COUNT];
            let mut s = vec![0.0; n * 3 * h];
            evaluate(econ, alt, &mut scratch, &mut m, &mut s);
            m.chunks(RegionMetric::COUNT).map(<[f64]>::to_vec).collect()
        })
        .collect()
}

fn metric(name: &str) -> usize {
    RegionMetric::from_name(name).expect("known metric").index()
}

/// One firm that takes the whole park in year 1; everything deterministic.
const ONE_FIRM: &str = r#"
[scenario]
id = "one-firm"
name = "one firm"
start_year = 2020

[simulation]
paths = 4
seed = 1
horizon = 3

[[regions]]
id = "a"
name = "A"
role = "source"
discount_rate = 0.1

[[regions]]
id = "b"
name = "B"
role = "host"
discount_rate = 0.1

[park]
area_mu = 100
saleable_share = 1.0
[[park.phases]]
area_mu = 100
start_year = 2020
build_years = 1

[[contributions]]
region = "a"
kind = "cash"
value = 30
year = 2020

[costs.land_acquisition]
per_mu = 0.1
bearer = "b"
[costs.infrastructure]
per_mu = 0.2
bearer = "company"

[company]
equity = { a = 0.6, b = 0.4 }
land_price_per_mu = 0.05
payout_ratio = 1.0
terminal = "book"

[firms]
arrival_rate = 60
average_wage = 0.1
[[firms.sectors]]
name = "only"
weight = 1
land_per_firm_mu = 100
revenue_per_mu = 1.0
value_added_ratio = 0.5
profit_margin = 0.2
wage_share = 0.1
vat_rate = 0.1
cit_rate = 0.25

[macro]
volatility = 0.0

[taxes]
land_use_tax_per_m2 = 0
provincial_take = 0

[[sharing]]
name = "half"
tax = { kind = "fixed", shares = { a = 0.5, b = 0.5 } }

[[sharing]]
name = "equity"
tax = { kind = "equity" }

[[sharing]]
name = "guarantee"
tax = { kind = "guaranteed_return", beneficiary = "a", guarantor = "b", rate = 0.5, inner = { kind = "fixed", shares = { a = 0.5, b = 0.5 } } }
"#;

#[test]
fn one_firm_taxes_company_and_npv_by_hand() {
    let scn = parse(ONE_FIRM);
    let e = economy(&scn, 0);
    // Revenue 100 a year from year 1: VA 50, VAT 5, surcharges 12% of VAT = 0.6,
    // profit 20 less the surcharges paid 0.6 → CIT 25% of 19.4 = 4.85. Wages 10 at
    // 0.1 million (100 000 yuan) a worker: 100 jobs, each taxed on 100 000 × 0.895
    // − 60 000 = 29 500 yuan at 3% = 885 yuan → IIT 0.0885 million.
    let (cit, iit) = (0.25 * 19.4, 100.0 * 885.0 / 1e6);
    let total = 5.0 + 0.6 + cit + iit;
    let local = 0.5 * 5.0 + 0.6 + 0.4 * cit + 0.4 * iit;
    assert_eq!(e.firms, vec![0.0, 1.0, 1.0]);
    assert!(e.turned_away > 0, "the other arrivals find no land");
    for t in 1..3 {
        assert_close!(e.tax_total[t], total);
        assert_close!(e.tax_local[t], local);
        assert_close!(e.tax_central[t], total - local);
        assert_close!(e.tax_pool[t], local);
        assert_close!(e.gdp[t], 50.0);
        assert_close!(e.jobs[t], 10.0 / 0.1);
    }
    assert_close!(e.tax_total[0], 0.0);
    // Land acquisition 100 mu × 0.1 borne by b in year 0; infrastructure 20 by the company.
    assert_eq!(e.costs_borne, vec![0.0, 0.0, 0.0, 10.0, 0.0, 0.0]);
    // Company: year 0 cash 30 − 20 = 10, no free cash flow; year 1 land sale 5 → dividend 5;
    // year 2 nothing; terminal book value = cash 10.
    assert_eq!(e.capital_calls, vec![0.0; 6]);
    for (r, share) in [(0, 0.6), (1, 0.4)] {
        assert_close!(e.dividends[r * 3 + 1], 5.0 * share);
        assert_close!(e.terminal[r * 3 + 2], 10.0 * share);
    }
    assert_eq!(e.pdc_flow, vec![-30.0, 5.0, 10.0]);
    // Contributions, carried at the default 8%: a's cash 30, b's land acquisition 10
    // (b puts no land in kind, so its acquisition spending is its land).
    for (t, carry) in [1.0, 1.08, 1.08 * 1.08].into_iter().enumerate() {
        assert_close!(e.cumulative_contributions[t], 30.0 * carry);
        assert_close!(e.cumulative_contributions[3 + t], 10.0 * carry);
    }

    let m = metrics(&scn, &e);
    let npv = metric("npv");
    let d = |t: i32| 1.1f64.powi(-(t + 1));
    let half = local / 2.0;
    let npv_a = -30.0 * d(0) + (half + 3.0) * d(1) + (half + 6.0) * d(2);
    let npv_b = -10.0 * d(0) + (half + 2.0) * d(1) + (half + 4.0) * d(2);
    assert_close!(m[0][0][npv], npv_a);
    assert_close!(m[0][1][npv], npv_b);
    // Under equity the tax pool splits 60:40.
    assert_close!(m[1][0][metric("pv_tax")], 0.6 * local * (d(1) + d(2)));
    // Guarantee: a is owed 50% of its invested capital 30 = 15 a year from the year
    // after it paid it in (capital paid at the end of year 0 earns from year 1); the
    // 50:50 split gives it `half`, b pays the rest.
    let shortfall = |t: i32| if t == 0 { 0.0 } else { 15.0 - half };
    let pv_guarantee = shortfall(0) * d(0) + shortfall(1) * d(1) + shortfall(2) * d(2);
    assert_close!(m[2][0][metric("pv_guarantee")], pv_guarantee);
    assert_close!(m[2][1][metric("pv_guarantee")], -pv_guarantee);
    assert_close!(m[2][0][npv], npv_a + pv_guarantee);
    // IRR of a's flows solves the NPV equation.
    let irr = m[0][0][metric("irr")];
    let at_irr = -30.0 / (1.0 + irr)
        + (half + 3.0) / (1.0 + irr).powi(2)
        + (half + 6.0) / (1.0 + irr).powi(3);
    assert!(at_irr.abs() < 1e-8, "NPV at the IRR {irr} is {at_irr}");
}

/// [`ONE_FIRM`] with its firm relocated from `a` (not displaced) and the
/// alternatives `sharing`.
fn one_relocated_firm(sharing: &str) -> Scenario {
    let head = &ONE_FIRM[..ONE_FIRM.find("[[sharing]]").expect("sharing")];
    let head = head.replacen(
        "average_wage = 0.1\n",
        "average_wage = 0.1\nrelocated_share = 1\ndisplacement = 0\n",
        1,
    );
    parse(&format!("{head}{sharing}"))
}

#[test]
fn a_relocated_firms_vat_and_cit_shared_until_the_cap_by_hand() {
    // The firm of `one_firm_taxes_company_and_npv_by_hand`, relocated from a: local
    // VAT 2.5 and CIT 0.4 × 4.85 = 1.94 a year from year 1 (t = 1), so the restricted
    // pool is 4.44 and a's half 2.22. At home it was as large (no ramp, no holiday):
    // pre-move VAT and CIT 4.44 a year; 0.75 years of it cap a's take at 3.33. Year 1:
    // a takes 2.22; year 2: 1.11 more, the excess 1.11 to b; the cap binds in year 3
    // of cooperation. The rest (surcharges, IIT) goes to b.
    let scn = one_relocated_firm(
        r#"
[[sharing]]
name = "capped"
tax = { kind = "fixed", shares = { a = 0.5, b = 0.5 } }
tax_pool = { firms = "relocated", taxes = ["vat", "cit"], cap = { region = "a", pre_move_years = 0.75 } }
[[sharing]]
name = "no cap"
tax = { kind = "fixed", shares = { a = 0.5, b = 0.5 } }
tax_pool = { firms = "relocated", taxes = ["vat", "cit"] }
[[sharing]]
name = "cap never reached"
tax = { kind = "fixed", shares = { a = 0.5, b = 0.5 } }
tax_pool = { firms = "relocated", taxes = ["vat", "cit"], rest_to = "b", cap = { region = "a", amount = 4.44 } }
"#,
    );
    let e = economy(&scn, 0);
    assert_eq!(e.firms, vec![0.0, 1.0, 1.0]);
    let h = e.horizon;
    let restricted = 2.5 + 0.4 * 0.25 * 19.4;
    for t in 1..3 {
        let rule = scn.alternatives[0].pool.as_ref().expect("restricted");
        assert_close!(e.restricted_pool(rule, t), restricted);
    }
    let pre_move: f64 = e.pre_move_by_kind.iter().sum::<f64>();
    // VAT + CIT + surcharges 0.6 + IIT 0.4 × 0.0885, all in the arrival year.
    assert_close!(pre_move, restricted + 0.6 + 0.4 * 0.0885);
    assert_close!(e.pre_move_by_kind[h + 1], 0.4 * 0.25 * 19.4);
    let m = metrics(&scn, &e);
    let d = |t: i32| 1.1f64.powi(-(t + 1));
    let pool = e.tax_pool[1];
    let (pv_tax, reached, year) = (
        metric("pv_tax"),
        metric("cap_reached"),
        metric("cap_reached_year"),
    );
    let half = restricted / 2.0;
    assert_close!(
        m[0][0][pv_tax],
        half * d(1) + (0.75 * restricted - half) * d(2)
    );
    assert_close!(m[0][0][reached], 1.0);
    assert_close!(m[0][0][year], 3.0);
    assert_close!(m[1][0][pv_tax], half * (d(1) + d(2)));
    assert_close!(m[1][0][reached], 0.0);
    // A cap of 4.44 = 2 × 2.22 is met exactly, never exceeded.
    assert_close!(m[2][0][pv_tax], m[1][0][pv_tax]);
    assert_close!(m[2][0][reached], 0.0);
    for alt in &m {
        // b is never capped; the allocations add up to the pool.
        assert_close!(alt[1][reached], 0.0);
        assert!(alt[0][year].is_nan() || close(alt[0][reached], 1.0));
        assert!(alt[1][year].is_nan());
        assert_close!(alt[0][pv_tax] + alt[1][pv_tax], pool * (d(1) + d(2)));
    }
}

/// 平湖–青田 消薄飞地 (REFERENCES.md §2): a village invests 100 in year 1, the host
/// city pays it a fixed 10% a year in years 2–6 and returns the 100 at the end of
/// year 6, keeping the park company's income on the village's stake. The park has
/// a firm, land sales, dividends and a terminal value, all of which go to the city.
const XIAOBAO: &str = r#"
[scenario]
id = "xiaobao"
name = "消薄飞地"
start_year = 2020
[simulation]
paths = 4
seed = 3
horizon = 8
[[regions]]
id = "village"
name = "village"
role = "source"
discount_rate = 0.1
[[regions]]
id = "city"
name = "city"
role = "host"
discount_rate = 0.1
[park]
area_mu = 100
saleable_share = 1.0
[[park.phases]]
area_mu = 100
start_year = 2020
build_years = 1
[[contributions]]
region = "village"
kind = "cash"
value = 100
year = 2020
[company]
equity = { village = 1.0, city = 0.0 }
land_price_per_mu = 0.5
[firms]
arrival_rate = 5
average_wage = 0.1
relocated_share = 0
[[firms.sectors]]
name = "only"
weight = 1
land_per_firm_mu = 20
revenue_per_mu = 1.0
value_added_ratio = 0.5
profit_margin = 0.2
wage_share = 0.1
[[sharing]]
name = "消薄 fixed 10% with principal"
tax = { kind = "guaranteed_return", beneficiary = "village", guarantor = "city", rate = 0.1, inner = { kind = "fixed", shares = { village = 0, city = 1 } }, last_year = 6, repay_principal = true, dividends = "guarantor" }
[[sharing]]
name = "tax 50:50"
tax = { kind = "fixed", shares = { village = 0.5, city = 0.5 } }
"#;

#[test]
fn a_fixed_return_with_principal_repaid_earns_exactly_its_rate() {
    let scn = parse(XIAOBAO);
    for p in 0..4 {
        let e = economy(&scn, p);
        // The check is not vacuous: the village's stake earns dividends and a
        // terminal value, and there are taxes, all of which the city takes.
        assert!(e.dividends[..8].iter().sum::<f64>() > 0.0 && e.terminal[7] > 0.0);
        assert!(e.tax_pool.iter().sum::<f64>() > 0.0);
        let m = metrics(&scn, &e);
        let village = &m[0][0];
        assert!(
            (village[metric("irr")] - 0.1).abs() <= 1e-9,
            "path {p}: IRR {}",
            village[metric("irr")]
        );
        assert!(
            village[metric("npv")].abs() <= 1e-9 * 100.0,
            "path {p}: NPV {}",
            village[metric("npv")]
        );
        // −100, then 10 a year for 5 years and 100 back: PV of the guarantee flows at
        // 10% is the PV of a 10% bond bought for 100 at the end of year 1.
        let d = |t: i32| 1.1f64.powi(-(t + 1));
        let bond: f64 = (1..=5).map(|t| 10.0 * d(t)).sum::<f64>() + 100.0 * d(5);
        let handed_over = village[metric("pv_dividends")] + village[metric("pv_terminal")];
        assert_close!(village[metric("pv_guarantee")], bond - handed_over);
        // The city pays what the village receives: total NPV as under a plain split.
        let total = |a: usize| m[a][0][metric("npv")] + m[a][1][metric("npv")];
        assert_close!(total(0), total(1));
    }
}

/// The reference scenario valued with a perpetuity of the last year's pool at the
/// regions' own 5% and no growth after the horizon.
fn reference_with_continuation() -> Scenario {
    let mut scn = Scenario::reference().expect("bundled scenario");
    scn.outcome.continuation = Continuation::Perpetuity {
        growth: 0.0,
        discount_rate: 0.05,
    };
    scn
}

#[test]
fn npv_is_the_sum_of_its_components() {
    // The reference (also with a continuation value), and Shenzhen–Shanwei, where a
    // province region has pv_provincial.
    let shenzhen = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/scenarios/shenzhen-shanwei.toml"
    );
    let shenzhen = Scenario::load(std::path::Path::new(shenzhen)).expect("bundled scenario");
    let reference = Scenario::reference().expect("bundled scenario");
    let continued = reference_with_continuation();
    for (scn, p) in [&reference, &shenzhen]
        .into_iter()
        .flat_map(|s| (0..20).map(move |p| (s, p)))
        .chain((0..5).map(|p| (&continued, p)))
    {
        let e = economy(scn, p);
        for (a, alt) in metrics(scn, &e).iter().enumerate() {
            for (r, m) in alt.iter().enumerate() {
                let pv = |name: &str| m[metric(name)];
                let sum = pv("pv_tax")
                    + pv("pv_land")
                    + pv("pv_guarantee")
                    + pv("pv_dividends")
                    + pv("pv_terminal")
                    + pv("pv_provincial")
                    - pv("pv_cash_contributions")
                    - pv("pv_capital_calls")
                    - pv("pv_costs")
                    - pv("pv_displaced")
                    - pv("pv_opportunity_costs")
                    + pv("pv_continuation");
                assert!(
                    close(m[metric("npv")], sum),
                    "{} path {p} alternative {a} region {r}: {} vs {sum}",
                    scn.id,
                    m[metric("npv")]
                );
            }
        }
    }
}

#[test]
fn formulas_only_move_money_between_regions() {
    // Equal discount rates in the reference scenario: Σ_r NPV_r is the same under
    // every alternative on every path.
    let scn = Scenario::reference().expect("bundled scenario");
    let npv = metric("npv");
    let mut spread_seen = 0.0f64;
    for p in 0..200 {
        let e = economy(&scn, p);
        let m = metrics(&scn, &e);
        let totals: Vec<f64> = m
            .iter()
            .map(|alt| alt.iter().map(|r| r[npv]).sum())
            .collect();
        for (a, t) in totals.iter().enumerate() {
            assert!(
                close(*t, totals[0]),
                "path {p}: alternative {a} total {t} vs {}",
                totals[0]
            );
        }
        // The alternatives do differ per region, so the check is not vacuous.
        spread_seen = spread_seen.max((m[0][0][npv] - m[3][0][npv]).abs());
    }
    assert!(spread_seen > 1.0);
}

/// Mean NPV of every (alternative, region) of `scn` at `horizon` over `paths` paths;
/// checks on every path that Σ_r NPV_r is the same under every alternative.
fn mean_npvs(scn: &Scenario, horizon: u32, paths: u64) -> Vec<f64> {
    let mut scn = scn.clone();
    scn.simulation.horizon = horizon;
    let npv = metric("npv");
    let mut sums = Vec::new();
    for p in 0..paths {
        let m = metrics(&scn, &economy(&scn, p));
        let totals: Vec<f64> = m.iter().map(|a| a.iter().map(|r| r[npv]).sum()).collect();
        for t in &totals {
            assert!(
                close(*t, totals[0]),
                "path {p} horizon {horizon}: {totals:?}"
            );
        }
        let flat: Vec<f64> = m.iter().flatten().map(|r| r[npv]).collect();
        sums.resize(flat.len(), 0.0);
        sums.iter_mut().zip(&flat).for_each(|(s, x)| *s += x);
    }
    sums.iter().map(|s| s / paths as f64).collect()
}

#[test]
fn a_continuation_makes_results_depend_less_on_the_horizon() {
    // The table of docs/model.md §8 ("How results move with the horizon") comes from
    // `ENCLAVE_HORIZON_PATHS=1000 cargo test --release --test economics horizon -- --nocapture`.
    let paths = std::env::var("ENCLAVE_HORIZON_PATHS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100);
    let plain = Scenario::reference().expect("bundled scenario");
    let continued = reference_with_continuation();
    let horizons = [20, 30, 40];
    let mut spread = [0.0; 2];
    for (c, scn) in [&plain, &continued].into_iter().enumerate() {
        let means: Vec<Vec<f64>> = horizons.iter().map(|&h| mean_npvs(scn, h, paths)).collect();
        let n = scn.regions.len();
        for (a, alt) in scn.alternatives.iter().enumerate() {
            for (r, region) in scn.regions.iter().enumerate() {
                let row: Vec<f64> = means.iter().map(|m| m[a * n + r]).collect();
                let (lo, hi) = row
                    .iter()
                    .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), x| {
                        (l.min(*x), h.max(*x))
                    });
                spread[c] += hi - lo;
                println!(
                    "{:<12} {:<24} {:<9} H=20 {:>8.1}  H=30 {:>8.1}  H=40 {:>8.1}",
                    if c == 0 { "none" } else { "perpetuity" },
                    alt.name,
                    region.id,
                    row[0],
                    row[1],
                    row[2]
                );
            }
        }
    }
    println!(
        "total spread over horizons: none {:.1}, perpetuity {:.1}",
        spread[0], spread[1]
    );
    // Without a continuation every region's NPV grows with the horizon by the
    // taxes of the added years; with it, those years were already valued.
    assert!(
        spread[1] < 0.5 * spread[0],
        "spread with continuation {} vs without {}",
        spread[1],
        spread[0]
    );
}

/// A park far larger than its firms need, with arrivals from year 1 on.
fn open_park(extra_sector: &str, extra_macro: &str) -> String {
    format!(
        r#"
[scenario]
id = "open"
name = "open"
start_year = 2000
[simulation]
paths = 1
horizon = 10
seed = 7
[[regions]]
id = "a"
name = "A"
role = "source"
[[regions]]
id = "b"
name = "B"
role = "host"
[park]
area_mu = 1000000
saleable_share = 1.0
[[park.phases]]
area_mu = 1000000
start_year = 2000
build_years = 1
[company]
equity = {{ a = 0.5, b = 0.5 }}
[firms]
arrival_rate = 7
average_wage = 1
[[firms.sectors]]
name = "s"
weight = 1
land_per_firm_mu = 1
revenue_per_mu = 2
value_added_ratio = 1
profit_margin = 0.1
wage_share = 0.1
{extra_sector}
[macro]
{extra_macro}
[[sharing]]
name = "equity"
tax = {{ kind = "equity" }}
"#
    )
}

fn mean_and_se(xs: &[f64]) -> (f64, f64) {
    let n = xs.len() as f64;
    let mean = xs.iter().sum::<f64>() / n;
    let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
    (mean, (var / n).sqrt())
}

#[test]
fn arrivals_match_the_poisson_expectation() {
    // No exits, no macro shock, unlimited land: firms at the end of year 9 are the
    // sum of 9 Poisson(7) draws, mean 63 and variance 63.
    let scn = parse(&open_park("", "volatility = 0.0"));
    let firms: Vec<f64> = (0..4000).map(|p| economy(&scn, p).firms[9]).collect();
    let (mean, se) = mean_and_se(&firms);
    let expected_se = (63.0f64 / 4000.0).sqrt();
    assert!(
        (mean - 63.0).abs() < 4.0 * expected_se,
        "mean firms {mean}, expected 63 ± {}",
        4.0 * expected_se
    );
    // Poisson dispersion: the sample variance is the mean. For Poisson(λ),
    // Var(s²) ≈ (λ + 2λ²)/n, so s²/λ has sd sqrt((1/λ + 2)/n).
    let var = se * se * 4000.0;
    let sd_ratio = ((1.0 / 63.0 + 2.0) / 4000.0f64).sqrt();
    assert!(
        (var / 63.0 - 1.0).abs() < 4.0 * sd_ratio,
        "variance {var} vs 63 ± {}",
        4.0 * 63.0 * sd_ratio
    );
}

#[test]
fn revenue_matches_the_gbm_expectation() {
    // With drift g, E[exp(X_age)] = exp(g · age) whatever σ and β: the mean of
    // year-9 value added (= revenue) is λ Σ_{age=0}^{8} land × revenue_per_mu × e^{g age}.
    // The macro level is off so arrivals stay Poisson(λ); the firms' macro loading β
    // still draws the common innovation every year.
    let scn = parse(&open_park(
        "growth = 0.05\nvolatility = 0.3\nmacro_beta = 0.6",
        "volatility = 0.0",
    ));
    let gdp: Vec<f64> = (0..4000).map(|p| economy(&scn, p).gdp[9]).collect();
    let (mean, se) = mean_and_se(&gdp);
    let expected: f64 = (0..9)
        .map(|age| 7.0 * 2.0 * (0.05 * age as f64).exp())
        .sum();
    assert!(
        (mean - expected).abs() < 4.0 * se,
        "mean year-9 revenue {mean}, expected {expected} ± {}",
        4.0 * se
    );
    // Zero drift gives a visibly different mean, so the test can tell.
    assert!((expected - 7.0 * 2.0 * 9.0).abs() > 8.0 * se);
}

#[test]
fn loss_carry_forward_and_cit_holiday_by_hand() {
    // One firm of 100 mu from year 1, ramping over 4 years: revenue 25, 50, 75, 100, ...
    // profit = 0.5 R − 30 = −17.5, −5, 7.5, 20, 20, 20. With 5-year carry-forward the
    // losses (22.5) absorb year 2's 7.5 and 15 of year 3's 20 → taxable 0, 0, 0, 5, 20, 20.
    // A [1, 1] holiday starts in the first taxable year (age 3): free, half, full.
    let base = ONE_FIRM
        .replace("horizon = 3", "horizon = 7")
        .replace(
            "profit_margin = 0.2",
            "profit_margin = 0.5\nfixed_cost_per_mu = 0.3\nramp_years = 4\ncit_holiday = [1, 1]",
        )
        .replace("vat_rate = 0.1", "vat_rate = 0.0")
        .replace("[taxes]", "[taxes]\niit_rate = 0.0");
    let e = economy(&parse(&base), 0);
    let cit = [0.0, 0.0, 0.0, 0.0, 0.0, 0.5 * 0.25 * 20.0, 0.25 * 20.0];
    for t in 0..7 {
        assert_close!(e.tax_total[t], cit[t]);
    }
    // With a 1-year carry-forward the age-0 loss expires unused: age 2 is taxed on
    // 7.5 − 5 = 2.5 (holiday free), age 3 on 20 (half), age 4 in full.
    let e = economy(
        &parse(&base.replace(
            "cit_holiday = [1, 1]",
            "cit_holiday = [1, 1]\nloss_carry_years = 1",
        )),
        0,
    );
    let cit = [
        0.0,
        0.0,
        0.0,
        0.0,
        0.5 * 0.25 * 20.0,
        0.25 * 20.0,
        0.25 * 20.0,
    ];
    for t in 0..7 {
        assert_close!(e.tax_total[t], cit[t]);
    }
}

#[test]
fn taxes_paid_are_deducted_before_losses_are_carried_forward() {
    // The carry-forward case above with a land use tax of 30 yuan/m²: 100 mu × 666.67
    // m² × 30 = 2 million a year from arrival, deductible in the CIT base. Profit
    // −17.5, −5, 7.5, 20, 20, 20 becomes −19.5, −7, 5.5, 18, 18, 18: losses of 26.5
    // absorb 5.5, 18 and 3 of age 4's 18 → taxable 0, 0, 0, 0, 15, 18. A [1, 1]
    // holiday starts at age 4 (free) and halves the rate at age 5: 12.5% × 18.
    // (Without the deduction the holiday would start at age 3, on taxable 5.)
    let text = ONE_FIRM
        .replace("horizon = 3", "horizon = 7")
        .replace(
            "profit_margin = 0.2",
            "profit_margin = 0.5\nfixed_cost_per_mu = 0.3\nramp_years = 4\ncit_holiday = [1, 1]",
        )
        .replace("vat_rate = 0.1", "vat_rate = 0.0")
        .replace("[taxes]", "[taxes]\niit_rate = 0.0")
        .replace("land_use_tax_per_m2 = 0", "land_use_tax_per_m2 = 30");
    let e = economy(&parse(&text), 0);
    let cit = [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.125 * 18.0];
    for t in 0..7 {
        let land_use = if t == 0 { 0.0 } else { 2.0 };
        assert_close!(e.tax_total[t], cit[t] + land_use);
    }
}

#[test]
fn a_high_tech_firm_pays_half_the_statutory_rate_in_its_half_years() {
    // Profit 20 from year 1 (no VAT, no surcharges), a 15% rate and 两免三减半 ([2, 3]):
    // 0, 0 (free), then 12.5% (half of the statutory 25%, not half of 15%) for three
    // years, then 15%.
    let text = ONE_FIRM
        .replace("horizon = 3", "horizon = 8")
        .replace("cit_rate = 0.25", "cit_rate = 0.15\ncit_holiday = [2, 3]")
        .replace("vat_rate = 0.1", "vat_rate = 0.0")
        .replace("[taxes]", "[taxes]\niit_rate = 0.0");
    let e = economy(&parse(&text), 0);
    let rate = [0.0, 0.0, 0.0, 0.125, 0.125, 0.125, 0.15, 0.15];
    for t in 0..8 {
        assert_close!(e.tax_total[t], rate[t] * 20.0);
    }
}

#[test]
fn the_provincial_take_goes_to_its_region_under_every_alternative() {
    // A third region `p` (role other, no contribution, no equity) receives 30% of
    // the local VAT and CIT and half the surcharges; IIT is flat 3%, its take 0.
    let text = ONE_FIRM
        .replace(
            "[park]",
            "[[regions]]\nid = \"p\"\nname = \"Province\"\nrole = \"other\"\ndiscount_rate = 0.1\n\n[park]",
        )
        .replace(
            "provincial_take = 0",
            "provincial_take = 0.3\niit_rate = 0.03\n[taxes.province]\niit = 0\nsurcharges = 0.5\nto = \"p\"",
        );
    let scn = parse(&text);
    let e = economy(&scn, 0);
    // As above, with IIT 0.3: local VAT 2.5, CIT 0.4 × 4.85, IIT 0.12, surcharges 0.6.
    let take = 0.3 * (2.5 + 0.4 * 4.85) + 0.5 * 0.6;
    let local = 2.5 + 0.4 * 4.85 + 0.12 + 0.6;
    let d = |t: i32| 1.1f64.powi(-(t + 1));
    for t in 1..3 {
        assert_close!(e.tax_local[t], local);
        assert_close!(e.tax_pool[t], local - take);
        assert_close!(e.tax_provincial[t], take);
        assert_close!(e.provincial[2 * 3 + t], take);
        assert_close!(e.provincial[t], 0.0);
    }
    let m = metrics(&scn, &e);
    let (npv, pv) = (metric("npv"), metric("pv_provincial"));
    for alt in &m {
        assert_close!(alt[2][pv], take * (d(1) + d(2)));
        assert_close!(alt[2][npv], take * (d(1) + d(2)));
        assert_close!(alt[0][pv], 0.0);
        assert_close!(alt[1][pv], 0.0);
    }
    // Without a recipient the take still leaves the pool, and is reported.
    let e = economy(&parse(&text.replace("to = \"p\"", "")), 0);
    assert_close!(e.tax_provincial[1], take);
    assert_close!(e.provincial[2 * 3 + 1], 0.0);
}

#[test]
fn a_path_depends_only_on_seed_scenario_and_index() {
    let scn = Scenario::reference().expect("bundled scenario");
    let cfg = RunConfig::from_scenario(&scn);
    let key = Streams::new(cfg.seed, &scn.params);
    let layout = Layout::new(&scn, cfg.horizon);
    let record = |p| {
        let mut scratch = PathScratch::default();
        let mut rec = vec![0.0; layout.len()];
        engine::run_path(&scn, cfg.horizon, &key, p, &mut scratch, &mut rec);
        rec
    };
    // Path 5 alone equals path 5 after other paths have used the same scratch.
    let alone = record(5);
    let mut scratch = PathScratch::default();
    let mut rec = vec![0.0; layout.len()];
    for p in [9, 2, 5] {
        engine::run_path(&scn, cfg.horizon, &key, p, &mut scratch, &mut rec);
    }
    assert_eq!(format!("{alone:?}"), format!("{rec:?}"));
    assert_ne!(format!("{:?}", record(6)), format!("{alone:?}"));
}

#[test]
fn effects_start_in_their_contributions_year() {
    // A technology contribution dated 2022 (t = 2) doubling revenue and halving costs:
    // value added is 50 in year 1 and 100 from year 2; the year-0 land acquisition
    // (borne by b) is untouched.
    let text = ONE_FIRM.replace("horizon = 3", "horizon = 4").replace(
        "[costs.land_acquisition]",
        "[[contributions]]\nregion = \"b\"\nkind = \"technology\"\nvalue = 10\nyear = 2022\neffects = { revenue = 2.0, cost = 0.5 }\n\n[costs.land_acquisition]",
    );
    let e = economy(&parse(&text), 0);
    assert_close!(e.gdp[1], 50.0);
    assert_close!(e.gdp[2], 100.0);
    assert_close!(e.gdp[3], 100.0);
    assert_close!(e.costs_borne[4], 10.0);
    assert_close!(e.in_kind[4 + 2], 10.0);
}

#[test]
fn land_in_kind_replaces_the_land_acquisition_in_contributions() {
    // b puts its land in kind (value 25) in 2020: its acquisition spending of 10 no
    // longer counts, and its contribution is the land's value, carried at 8%.
    let text = ONE_FIRM.replace(
        "[costs.land_acquisition]",
        "[[contributions]]\nregion = \"b\"\nkind = \"land\"\nvalue = 25\nyear = 2020\n\n[costs.land_acquisition]",
    );
    let scn = parse(&text);
    let e = economy(&scn, 0);
    assert_close!(e.costs_borne[3], 10.0);
    for (t, carry) in [1.0, 1.08, 1.08 * 1.08].into_iter().enumerate() {
        assert_close!(e.cumulative_contributions[3 + t], 25.0 * carry);
    }
    // The in-kind value is reported at b's 10% discount rate, outside the NPV.
    let m = metrics(&scn, &e);
    assert_close!(m[0][1][metric("pv_in_kind")], 25.0 / 1.1);
    assert_close!(m[0][0][metric("pv_in_kind")], 0.0);
    // Last-year contribution shares: a 30, b 25, carried alike.
    assert_close!(m[0][0][metric("contribution_share")], 30.0 / 55.0);
    assert_close!(m[0][1][metric("contribution_share")], 25.0 / 55.0);
}

#[test]
fn value_stability_of_the_reference_scenario() {
    // Pins exact outputs for the seed, so an unintended change to the model, the
    // random streams or their order shows up here. Update deliberately, with the reason.
    let scn = Scenario::reference().expect("bundled scenario");
    let npv = metric("npv");
    let (mut zhejiang, mut firm_years) = (0.0, 0);
    for p in 0..50 {
        let e = economy(&scn, p);
        firm_years += e.firm_years;
        zhejiang += metrics(&scn, &e)[0][0][npv];
    }
    assert_eq!(firm_years, PINNED_FIRM_YEARS);
    assert!(
        close(zhejiang / 50.0, PINNED_MEAN_NPV),
        "mean NPV {}",
        zhejiang / 50.0
    );
}

// 55,884 (was 92,733) since the reference park's outlook can be slow or failing.
const PINNED_FIRM_YEARS: u64 = 55_884;
// Was 857.46 before issue 8. Moved by its tax rules (MODEL.md §6: CIT holidays that
// do not stack, taxes deductible in the CIT base, IIT by the 2019 schedule, the
// provincial take on the shared taxes only), by land freed by an exit being
// transferred rather than sold a second time, by the park's outlook, and by
// displacement charged at home (full scale, less the land freed).
const PINNED_MEAN_NPV: f64 = 42.91581060079125;

/// ONE_FIRM with a horizon of 5 years, land rights of 4 years, and firms that stay
/// one year each (exit hazard 1): the firm of year t leaves at the start of year
/// t + 1 and the next arrival takes its 100 mu.
fn one_year_firms(on_exit: &str, revenue: &str) -> Scenario {
    parse(
        &ONE_FIRM
            .replace("horizon = 3", "horizon = 5")
            .replace("vat_rate = 0.1", "vat_rate = 0.1\nexit_hazard = 1.0")
            .replace(
                "terminal = \"book\"",
                &format!(
                    "terminal = \"book\"\nland_term_years = 4\nland_on_exit = \"{on_exit}\"\nland_revenue = \"{revenue}\""
                ),
            ),
    )
}

#[test]
fn an_exiting_firms_land_is_transferred_or_bought_back_by_hand() {
    // Years 1–4 each hold one firm of 100 mu at 0.05/mu. A leaver has held its
    // 4-year right k = 1 year: the buyback pays 0.05 × 100 × 3/4 = 3.75.
    let transfer = economy(&one_year_firms("transfer", "company"), 0);
    assert_eq!(transfer.firms, vec![0.0, 1.0, 1.0, 1.0, 1.0]);
    // Only the first sale brings money: later firms take the right over from the leaver.
    assert_eq!(transfer.land_sales, vec![0.0, 5.0, 0.0, 0.0, 0.0]);
    assert_eq!(transfer.land_sold_mu, vec![0.0, 100.0, 0.0, 0.0, 0.0]);
    assert_eq!(transfer.land_buybacks, vec![0.0; 5]);
    // Company: year 0 cash 30 − 20 = 10; year 1 land sale 5 → dividend 5; then nothing.
    assert_eq!(transfer.pdc_flow, vec![-30.0, 5.0, 0.0, 0.0, 10.0]);

    let buyback = economy(&one_year_firms("buyback", "company"), 0);
    assert_eq!(buyback.land_sales, vec![0.0, 5.0, 5.0, 5.0, 5.0]);
    assert_eq!(buyback.land_sold_mu, vec![0.0, 100.0, 100.0, 100.0, 100.0]);
    assert_eq!(
        buyback.land_bought_back_mu,
        vec![0.0, 0.0, 100.0, 100.0, 100.0]
    );
    assert_eq!(buyback.land_buybacks, vec![0.0, 0.0, 3.75, 3.75, 3.75]);
    // The company keeps 5 − 3.75 = 1.25 a year and pays it out.
    assert_eq!(buyback.pdc_flow, vec![-30.0, 5.0, 1.25, 1.25, 11.25]);
    assert_eq!(buyback.land_pool, vec![0.0; 5]);

    // With land_revenue = "governments" the land pool is net of the buyback.
    let pool = economy(&one_year_firms("buyback", "governments"), 0);
    assert_eq!(pool.land_pool, vec![0.0, 5.0, 1.25, 1.25, 1.25]);
    assert_eq!(pool.pdc_flow, vec![-30.0, 0.0, 0.0, 0.0, 10.0]);
    let pool = economy(&one_year_firms("transfer", "governments"), 0);
    assert_eq!(pool.land_pool, vec![0.0, 5.0, 0.0, 0.0, 0.0]);
}

/// The path's economy and its draw of `field`.
fn economy_and_draw(scn: &Scenario, p: u64, field: &str) -> (EconomyPath, f64) {
    let streams = Streams::new(scn.simulation.seed, &scn.params);
    let mut ws = Workspace::default();
    simulate_path(scn, scn.simulation.horizon, &streams, p, &mut ws);
    let i = scn
        .params
        .params()
        .iter()
        .position(|q| q.name == field)
        .unwrap_or_else(|| panic!("{field} is an uncertain input"));
    (ws.out, ws.draws[i])
}

#[test]
fn land_sales_are_explained_by_saleable_land_and_buybacks() {
    // Land is sold once unless it is bought back: on every path and up to every
    // year, mu sold ≤ saleable mu open + mu bought back, and sales = price × mu sold.
    let reference = Scenario::reference().expect("bundled scenario");
    let text = include_str!("../scenarios/jilin-zhejiang.toml");
    assert!(text.contains("land_on_exit = \"transfer\""));
    let buyback = parse(&text.replace("land_on_exit = \"transfer\"", "land_on_exit = \"buyback\""));
    let mut resold_paths = 0;
    for (scn, buys_back) in [(&reference, false), (&buyback, true)] {
        for p in 0..200 {
            let (e, price) = economy_and_draw(scn, p, "company.land_price_per_mu");
            let (mut sold, mut bought) = (0.0, 0.0);
            for t in 0..e.horizon {
                sold += e.land_sold_mu[t];
                bought += e.land_bought_back_mu[t];
                assert!(
                    sold <= e.land_open_mu[t] + bought + 1e-9,
                    "path {p} year {t}: {sold} mu sold on {} open and {bought} bought back",
                    e.land_open_mu[t]
                );
                assert_close!(e.land_sales[t], price * e.land_sold_mu[t]);
            }
            if buys_back {
                resold_paths += usize::from(sold > e.land_open_mu[e.horizon - 1]);
            } else {
                assert!(e.land_bought_back_mu.iter().all(|&b| b == 0.0));
                assert!(e.land_buybacks.iter().all(|&b| b == 0.0));
            }
        }
    }
    // Firms do leave and their land is sold again after a buyback, so the bound
    // without buybacks is a real constraint.
    assert!(
        resold_paths > 100,
        "{resold_paths} of 200 paths resell land"
    );
}

#[test]
fn displacement_charges_home_taxes_at_full_scale_and_credits_the_freed_land() {
    // The one firm (100 mu) relocates from a and is displaced. In the park it ramps
    // over 2 years and starts a one-year CIT holiday; at home it was mature: revenue
    // 100, VAT 5, surcharges 0.6, CIT 25% of (20 − 0.6 deductible surcharges) =
    // 4.85, IIT on a wage bill of 10 at the 2019 schedule's rate for a 100,000-yuan
    // wage ((100,000 × (1 − 10.5%) − 60,000) × 3% = 885 yuan, 0.885%), so a loses
    // 2.5 + 0.6 + 0.4 × 4.85 + 0.4 × 0.0885 a year. In year 1 it regains the 100 mu
    // it freed, valued at 0.3 a mu.
    let text = ONE_FIRM
        .replace(
            "average_wage = 0.1",
            "average_wage = 0.1\nrelocated_share = 1\ndisplacement = 1\nfreed_land_value_per_mu = 0.3",
        )
        .replace(
            "cit_rate = 0.25",
            "cit_rate = 0.25\nramp_years = 2\ncit_holiday = [1, 0]",
        );
    let scn = parse(&text);
    let e = economy(&scn, 0);
    let home = 2.5 + 0.6 + 0.4 * 4.85 + 0.4 * 0.0885;
    assert_close!(e.displaced[0], 0.0);
    assert_close!(e.displaced[1], home - 0.3 * 100.0);
    assert_close!(e.displaced[2], home);
    assert_eq!(e.displaced[3..], [0.0; 3]);
    // The park's own pool in year 1 is the ramping firm's: VAT 2.5 → 1.25 + 0.3
    // surcharges, CIT 0 (holiday), IIT 0.885% of a wage bill of 5 → 40% local.
    assert_close!(e.tax_pool[1], 1.25 + 0.3 + 0.4 * 0.04425);
    let d = |t: i32| 1.1f64.powi(-(t + 1));
    let m = metrics(&scn, &e);
    assert_close!(
        m[0][0][metric("pv_displaced")],
        (home - 30.0) * d(1) + home * d(2)
    );
    // Without a value given, freed land is worth the park's land price (0.05 a mu).
    let e = economy(
        &parse(&text.replace("freed_land_value_per_mu = 0.3", "")),
        0,
    );
    assert_close!(e.displaced[1], home - 0.05 * 100.0);
}

#[test]
fn the_reference_park_can_fail_p5_of_final_firms_at_most_half_the_mean() {
    // Of 45 Jiangsu co-built parks only 7 became top performers (REFERENCES.md §2):
    // futures must include parks that fill slowly or fail, not only a band around
    // success. `firms.outlook` draws the park's state per path.
    let scn = Scenario::reference().expect("bundled scenario");
    let n = 2000;
    let mut firms: Vec<f64> = (0..n)
        .map(|p| {
            let e = economy(&scn, p);
            e.firms[e.horizon - 1]
        })
        .collect();
    let mean = firms.iter().sum::<f64>() / n as f64;
    firms.sort_by(f64::total_cmp);
    // Type 7 quantile at 5%: rank 0.05 (n − 1).
    let h = 0.05 * (n - 1) as f64;
    let (lo, frac) = (h.floor() as usize, h - h.floor());
    let p5 = firms[lo] + frac * (firms[lo + 1] - firms[lo]);
    println!("final firms: P5 {p5}, mean {mean:.1}");
    assert!(p5 <= 0.5 * mean, "P5 {p5} > half the mean {mean}");
    // Successful parks still fill: the top decile is at least twice the P5.
    assert!(firms[n as usize * 9 / 10] >= 2.0 * p5.max(1.0));
}

#[test]
fn a_sure_default_is_the_collector_keeping_the_pools_and_none_is_the_plain_formula() {
    // The reference park with three more alternatives: 50:50 that Jilin (the host,
    // which collects) never pays, 50:50 that it always pays, and Jilin keeping both
    // pools. On every path the first has the NPVs of the third, and the second the
    // bits of the plain 50:50 (the scenario's first alternative).
    let text = format!(
        "{}\n{}",
        include_str!("../scenarios/jilin-zhejiang.toml"),
        r#"
[[sharing]]
name = "50:50, never paid"
tax = { kind = "fixed", shares = { zhejiang = 0.5, jilin = 0.5 } }
[sharing.delivery]
default_probability = 1.0

[[sharing]]
name = "50:50, always paid"
tax = { kind = "fixed", shares = { zhejiang = 0.5, jilin = 0.5 } }
gdp = { kind = "fixed", shares = { zhejiang = 0.5, jilin = 0.5 } }
[sharing.delivery]
collector = "jilin"
default_probability = 0.0
haircut = 0.0

[[sharing]]
name = "Jilin keeps the pools"
tax = { kind = "fixed", shares = { zhejiang = 0.0, jilin = 1.0 } }
land = { kind = "fixed", shares = { zhejiang = 0.0, jilin = 1.0 } }
"#
    );
    let scn = parse(&text);
    let k = scn.alternatives.len();
    let npv = metric("npv");
    let mut withheld_seen = false;
    for p in 0..6 {
        let m = metrics(&scn, &economy(&scn, p));
        for r in 0..2 {
            assert_close!(m[k - 3][r][npv], m[k - 1][r][npv]);
            let bits = |a: &[f64]| a.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&m[k - 2][r]), bits(&m[0][r]), "path {p} region {r}");
        }
        withheld_seen |= m[k - 3][0][metric("pv_withheld")] < 0.0;
    }
    assert!(withheld_seen, "Zhejiang is owed something on some path");
}

#[test]
fn a_renegotiation_cannot_be_valued_after_the_horizon() {
    let text = include_str!("../scenarios/jilin-zhejiang.toml")
        .replace("continuation = \"none\"", "continuation = \"perpetuity\"")
        + "\n[[sharing]]\nname = \"renegotiated\"\ntax = { kind = \"equity\" }\n\
           [sharing.delivery]\nrenegotiation_year = 2040\n";
    let err = Scenario::parse(&text, "r.toml")
        .expect_err("refused")
        .to_string();
    let k = text.matches("[[sharing]]").count() - 1;
    let line = text.lines().count();
    assert!(
        err.contains(&format!(
            "r.toml:{line}: sharing[{k}].delivery.renegotiation_year: expected no renegotiation year with `[outcome] continuation = \"perpetuity\"`"
        )),
        "{err}"
    );
}

#[test]
fn payback_needed_tells_the_two_empty_paybacks_apart() {
    // payback_years is empty both where the cumulative cash flow never went below 0
    // (nothing to pay back) and where it was still below 0 at the horizon;
    // payback_needed is 1 exactly when it went below 0, so with payback_years it
    // tells the three cases apart. Checked against each path's cumulative series.
    let mut seen = [0; 3];
    for file in ["jilin-zhejiang.toml", "suzhou-suqian-2026.toml"] {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("scenarios")
            .join(file);
        let scn = Scenario::load(&path).expect("library scenario");
        payback_cases(&scn, &mut seen);
    }
    // The library has all three on these paths.
    assert!(seen.iter().all(|&k| k > 0), "{seen:?}");
}

/// Counts, over 20 paths of `scn`, the regions and alternatives with nothing to
/// pay back, paid back, and not paid back by the horizon, checking each.
fn payback_cases(scn: &Scenario, seen: &mut [u32; 3]) {
    use enclave::schema::RegionSeries;
    let n = scn.regions.len();
    let mut scratch = Default::default();
    for p in 0..20 {
        let econ = economy(scn, p);
        let h = econ.horizon;
        for alt in &scn.alternatives {
            let mut m = vec![0.0; n * RegionMetric::COUNT];
            let mut s = vec![0.0; n * RegionSeries::COUNT * h];
            evaluate(&econ, alt, &mut scratch, &mut m, &mut s);
            for r in 0..n {
                let at = |x: &str| m[r * RegionMetric::COUNT + metric(x)];
                let c = (r * RegionSeries::COUNT + RegionSeries::CumulativeCashFlow.index()) * h;
                let cum = &s[c..c + h];
                let went_below = cum.iter().any(|&x| x < 0.0);
                assert_eq!(at("payback_needed") > 0.5, went_below);
                let paid = at("payback_years");
                let case = match (went_below, paid.is_nan()) {
                    (false, true) => 0,
                    (true, false) => 1,
                    (true, true) => {
                        assert!(cum[h - 1] < 0.0, "unpaid ends below 0");
                        2
                    }
                    (false, false) => panic!("a payback without anything to pay back"),
                };
                seen[case] += 1;
            }
        }
    }
}
