//! `[initial]`: a park that already exists at the start year (docs/model.md §12),
//! checked against numbers worked out by hand.

mod common;

use enclave::scenario::Scenario;

use common::paths::{close, economy, parse};

macro_rules! assert_close {
    ($a:expr, $b:expr) => {{
        let (a, b): (f64, f64) = ($a, $b);
        assert!(close(a, b), "{} = {a}, expected {b}", stringify!($a));
    }};
}

/// A 200-mu park: 100 mu developed before 2020 (all saleable), a 100-mu phase
/// opening in 2021; new firms take 10 mu each; no costs, no volatility, no IIT.
/// `arrivals` and `initial` are inserted.
fn park(arrivals: &str, initial: &str) -> String {
    format!(
        r#"
[scenario]
id = "existing"
name = "existing"
start_year = 2020
[simulation]
paths = 4
seed = 5
horizon = 3
[[regions]]
id = "a"
name = "A"
role = "source"
[[regions]]
id = "b"
name = "B"
role = "host"
[park]
area_mu = 200
saleable_share = 1.0
[[park.phases]]
area_mu = 100
start_year = 2020
build_years = 1
[company]
equity = {{ a = 0.6, b = 0.4 }}
land_price_per_mu = 0.5
land_revenue = "governments"
interest_rate = 0.05
[firms]
arrival_rate = {arrivals}
average_wage = 0.1
relocated_share = 0
[[firms.sectors]]
name = "only"
weight = 1
land_per_firm_mu = 10
revenue_per_mu = 1.0
ramp_years = 4
value_added_ratio = 0.5
profit_margin = 0.2
wage_share = 0.1
vat_rate = 0.1
cit_rate = 0.25
cit_holiday = [2, 3]
[macro]
volatility = 0.0
[taxes]
iit_rate = 0
land_use_tax_per_m2 = 0
provincial_take = 0
[[sharing]]
name = "equity"
tax = {{ kind = "equity" }}
{initial}
"#
    )
}

const ONE_OLD_FIRM: &str = r#"
[initial]
developed_mu = 100
land_sold_mu = 60
debt = 30
debt_years = 3
cash = 5
contributions = { a = 100 }
[[initial.firms]]
sector = "only"
count = 1
age = 2
land_per_firm_mu = 40
"#;

#[test]
fn an_existing_firm_pays_its_taxes_from_year_0_with_ramp_and_holiday_running_on() {
    let e = economy(&parse(&park("0", ONE_OLD_FIRM)), 0);
    // Year 0: the firm is 2 years old, ramp (2 + 1)/4 = ¾ of 40 mu × 1 = 30.
    // VA 15, VAT 10% = 1.5, surcharges 12% of VAT = 0.18; profit 0.2 × 30 − 0.18 =
    // 5.82; its [2, 3] holiday is in its first half year (age 2): 12.5% → 0.7275.
    assert_eq!(e.firms, vec![1.0, 1.0, 1.0]);
    assert_close!(e.tax_total[0], 1.5 + 0.18 + 0.125 * 5.82);
    assert_close!(e.gdp[0], 15.0);
    // Year 1: age 3, full scale 40: VAT 2, surcharges 0.24, profit 8 − 0.24 = 7.76 at
    // 12.5% (half years are ages 2–4) = 0.97; year 2 the same.
    for t in 1..3 {
        assert_close!(e.tax_total[t], 2.0 + 0.24 + 0.125 * 7.76);
    }
    // Local: VAT 50%, surcharges 100%, CIT 40%.
    assert_close!(e.tax_local[0], 0.75 + 0.18 + 0.4 * 0.125 * 5.82);
    // Nothing is sold in year 0 (history); 100 mu open, 40 of them occupied.
    assert_eq!(e.land_sold_mu, vec![0.0, 0.0, 0.0]);
    assert_close!(e.land_open_mu[0], 100.0);
    assert_close!(e.occupancy[0], 0.4);
    // The PDC owes 30 over 3 years at 5%: payment 30 ×
    // 0.05 / (1 − 1.05^−3) = 11.0163…, paid from its cash 5 and then by calls; it
    // has no income, so the calls are 6.0163, 11.0163, 11.0163 and the debt is
    // repaid at the horizon (book value 0).
    let pay = 30.0 * 0.05 / (1.0 - 1.05f64.powi(-3));
    let calls = [pay - 5.0, pay, pay];
    for t in 0..3 {
        assert_close!(e.capital_calls[t] + e.capital_calls[3 + t], calls[t]);
        assert_close!(e.capital_calls[t], 0.6 * calls[t]);
    }
    assert_close!(e.terminal[2] + e.terminal[5], 0.0);
    // a's contribution to date, 100, carried at the default 8%: 108, 116.64, 125.9712.
    for (t, c) in [108.0, 116.64, 125.9712].into_iter().enumerate() {
        assert_close!(e.cumulative_contributions[t], c);
        assert_close!(e.cumulative_contributions[3 + t], 0.0);
    }
}

#[test]
fn new_firms_find_only_the_land_not_yet_sold() {
    // 100 mu open, 60 sold: 40 mu left in year 0 → 4 new firms of 10 mu (Poisson(60)
    // brings more than 4 on any path), 20 mu sold at 0.5; the phase adds 100 in year 1.
    let scn = parse(&park("60", ONE_OLD_FIRM));
    for p in 0..4 {
        let e = economy(&scn, p);
        assert_eq!(e.firms, vec![5.0, 15.0, 15.0]);
        assert_eq!(e.land_sold_mu, vec![40.0, 100.0, 0.0]);
        assert_close!(e.land_sales[0], 20.0);
        assert_close!(e.land_pool[0], 20.0);
        assert!(e.turned_away > 0);
    }
    // Without `land_sold_mu` only the firm's 40 mu are taken: 6 new firms in year 0.
    let e = economy(
        &parse(&park("60", &ONE_OLD_FIRM.replace("land_sold_mu = 60", ""))),
        0,
    );
    assert_eq!(e.firms, vec![7.0, 17.0, 17.0]);
}

#[test]
fn the_land_developed_before_the_start_runs_its_operations_from_year_0() {
    // 100 mu developed before 2020 and a 100-mu phase opening in 2021 (year 1);
    // operations 0.01 a mu and 1 a year, borne by b: year 0 the developed land's 1
    // plus 1 = 2, then 0.01 × 200 + 1 = 3. Its development costs are history: no
    // land acquisition or infrastructure for it.
    let costs = "[costs.operations]\nper_mu = 0.01\nper_year = 1\nbearer = \"b\"\n";
    let text = park("0", ONE_OLD_FIRM).replace("[[sharing]]", &format!("{costs}[[sharing]]"));
    let e = economy(&parse(&text), 0);
    let h = 3;
    for (t, want) in [2.0, 3.0, 3.0].into_iter().enumerate() {
        assert_close!(e.costs_borne[h + t], want);
        assert_close!(e.costs_borne[t], 0.0);
    }
    // Without `[initial]` the park opens with its phase in year 1: nothing in year 0.
    let e = economy(
        &parse(&park("0", "").replace("[[sharing]]", &format!("{costs}[[sharing]]"))),
        0,
    );
    for (t, want) in [0.0, 2.0, 2.0].into_iter().enumerate() {
        assert_close!(e.costs_borne[h + t], want);
    }
}

#[test]
fn an_empty_initial_table_changes_nothing() {
    let a = economy(&parse(&park("3", "")), 1);
    let b = economy(&parse(&park("3", "[initial]\n")), 1);
    assert_eq!(a.tax_total, b.tax_total);
    assert_eq!(a.firms, b.firms);
    assert_eq!(a.dividends, b.dividends);
}

#[test]
fn existing_firms_draw_from_their_own_stream() {
    // Random land and exits for 50 old firms: the same whatever the new firms do,
    // so common random numbers hold between variants of the arrival rate.
    let initial = r#"
[initial]
developed_mu = 100
[[initial.firms]]
sector = "only"
count = 50
age = 5
"#;
    let text = park("ARR", initial)
        .replace(
            "land_per_firm_mu = 10",
            "land_per_firm_mu = { dist = \"uniform\", min = 0.5, max = 1.5 }\nexit_hazard = 0.2",
        )
        .replace("horizon = 3", "horizon = 1");
    let none = economy(&parse(&text.replace("ARR", "0")), 2);
    let some = economy(&parse(&text.replace("ARR", "5")), 2);
    // Year 0: the 50 old firms (nobody exits before year 1) on the same land.
    assert_eq!(none.firms, vec![50.0]);
    let old_land = none.occupancy[0] * 100.0;
    assert!(old_land > 25.0 && old_land < 75.0, "{old_land}");
    assert!(some.firms[0] > 50.0);
    assert!(some.occupancy[0] * 100.0 > old_land);
}

#[test]
fn bad_initial_tables_are_reported_by_field() {
    let bad = r#"
[initial]
developed_mu = 150
land_sold_mu = 160
debt = -1
contributions = { c = 5 }
[[initial.firms]]
sector = "nope"
count = 1
"#;
    let err = Scenario::parse(&park("1", bad), "bad.toml")
        .expect_err("invalid")
        .to_string();
    for field in [
        "initial.developed_mu: expected the land developed before the start year and the phases to add up to at most the park's 200 mu",
        "initial.land_sold_mu: expected at most the land developed",
        "initial.debt: expected",
        "initial.contributions.c:",
        "initial.firms[0].sector: expected the name of a sector in [[firms.sectors]] (only), found \"nope\"",
    ] {
        assert!(err.contains(field), "{field} not in\n{err}");
    }
}

#[test]
fn initial_firms_must_fit_on_the_saleable_land_developed_before_the_start() {
    let refused = |park_text: String, want: &str| {
        let err = Scenario::parse(&park_text, "big.toml")
            .expect_err("firms on land the park does not have")
            .to_string();
        assert!(err.contains(want), "{want} not in\n{err}");
    };
    // 3 firms of 40 mu on 100 mu.
    refused(
        park("0", &ONE_OLD_FIRM.replace("count = 1", "count = 3")),
        "initial.firms: expected firms holding at most the saleable land developed before the start year (initial.developed_mu = 100 mu), found 120 mu of fixed land",
    );
    // 2 firms of 40 mu fit 100 mu, but not the 70 of them that are saleable.
    refused(
        park("0", &ONE_OLD_FIRM.replace("count = 1", "count = 2"))
            .replace("saleable_share = 1.0", "saleable_share = 0.7"),
        "(initial.developed_mu × park.saleable_share = 100 × 0.7 = 70 mu), found 80 mu of fixed land",
    );
    // Drawn land counts at its mean: 30 firms of 10 mu on average on 100 mu.
    let drawn = ONE_OLD_FIRM
        .replace("count = 1", "count = 30")
        .replace("land_per_firm_mu = 40\n", "");
    let text = park("0", &drawn).replace(
        "land_per_firm_mu = 10",
        "land_per_firm_mu = { dist = \"uniform\", min = 5, max = 15 }",
    );
    refused(text.clone(), "found 300 mu of drawn land on average");
    // 9 of them fit, on average, and run.
    let fits = text.replace("count = 30", "count = 9");
    assert!(Scenario::parse(&fits, "fits.toml").is_ok());
}

#[test]
fn a_relocated_existing_firm_costs_the_origin_its_home_taxes_and_no_land_credit() {
    // The old firm relocated from a and is displaced (displacement 1). At home it was
    // mature: revenue 40 (not the park's ramped 30), VAT 2, surcharges 0.24, profit
    // 8 − 0.24 = 7.76 at the full 25% (no holiday at home) = 1.94; retained locally
    // 0.5 × 2 + 0.24 + 0.4 × 1.94 = 2.016 a year. The land it freed at home was
    // credited before the start: the 7 per mu below never appears.
    let text = park(
        "0",
        &ONE_OLD_FIRM.replace(
            "land_per_firm_mu = 40",
            "land_per_firm_mu = 40\nrelocated = true",
        ),
    )
    .replace(
        "relocated_share = 0",
        "relocated_share = 0\ndisplacement = 1\nfreed_land_value_per_mu = 7",
    );
    let e = economy(&parse(&text), 0);
    for t in 0..3 {
        assert_close!(e.displaced[t], 2.016);
        assert_close!(e.displaced[3 + t], 0.0);
    }
    // Not relocated: nothing is charged.
    let e = economy(
        &parse(&park("0", ONE_OLD_FIRM).replace(
            "relocated_share = 0",
            "relocated_share = 0\ndisplacement = 1",
        )),
        0,
    );
    assert_eq!(e.displaced, vec![0.0; 6]);
}

#[test]
fn an_existing_firms_land_right_runs_on_from_its_arrival() {
    // Exit hazard 1: the old firm leaves at the start of year 1, having held its
    // 50-year right 2 years before the start and 1 in the run: the buyback pays
    // 0.5 × 40 × (50 − 3)/50 = 18.8.
    let text = park("0", ONE_OLD_FIRM)
        .replace("cit_rate = 0.25", "cit_rate = 0.25\nexit_hazard = 1")
        .replace(
            "land_revenue = \"governments\"",
            "land_revenue = \"governments\"\nland_on_exit = \"buyback\"",
        );
    let e = economy(&parse(&text), 0);
    assert_eq!(e.firms, vec![1.0, 0.0, 0.0]);
    assert_close!(e.land_buybacks[1], 0.5 * 40.0 * 47.0 / 50.0);
    assert_close!(e.land_bought_back_mu[1], 40.0);
    assert_close!(e.land_pool[1], -18.8);
}

/// Two `[initial]` firms relocated from the source five years before the start,
/// their VAT and CIT split 50:50 with the source capped at 3 years of their
/// pre-move taxes (a tester's file): they had arrived, yet gave the cap no room,
/// so the source got nothing from year 1 while their taxes stayed in the pool.
/// What the source took before the start (`taken_to_date`) counts against it.
#[test]
fn initial_relocated_firms_give_a_pre_move_cap_its_room() {
    let file = |taken: &str| {
        format!(
            r#"
[scenario]
id = "cap0"
name = "cap with initial relocated firms"
start_year = 2026
[simulation]
paths = 10
horizon = 5
fairness = false
[[regions]]
id = "src"
name = "Source"
role = "source"
[[regions]]
id = "host"
name = "Host"
role = "host"
[park]
area_mu = 1000
saleable_share = 1.0
[[park.phases]]
area_mu = 800
start_year = 2026
[company]
equity = {{ src = 0.5, host = 0.5 }}
[firms]
arrival_rate = 0
relocated_share = 1.0
average_wage = 7.5
[[firms.sectors]]
name = "mfg"
weight = 1
land_per_firm_mu = 50
revenue_per_mu = 500
value_added_ratio = 0.25
profit_margin = 0.08
wage_share = 0.08
[initial]
developed_mu = 200
[[initial.firms]]
sector = "mfg"
count = 2
age = 5
relocated = true
[[sharing]]
name = "capped"
tax = {{ kind = "fixed", shares = {{ src = 0.5, host = 0.5 }} }}
[sharing.tax_pool]
firms = "relocated"
taxes = ["vat", "cit"]
rest_to = "host"
cap = {{ region = "src", pre_move_years = 3{taken} }}
"#
        )
    };
    let t = common::TestDir::new();
    let allocations = |out: &str| -> Vec<(String, f64)> {
        let text = t.read(&format!("{out}/cap0/timeseries.csv"));
        csv::Reader::from_reader(text.as_bytes())
            .deserialize::<std::collections::HashMap<String, String>>()
            .map(|r| r.expect("a row"))
            .filter(|r| r["metric"] == "tax_allocation" && r["alternative"] == "capped")
            .map(|r| (r["region"].clone(), r["mean"].parse().expect("a number")))
            .collect()
    };
    let run = |taken: &str, out: &str| {
        t.create("cap0.toml", &file(taken));
        t.ok(&[
            "run",
            "cap0.toml",
            "--out",
            out,
            "--charts",
            "none",
            "--report",
            "none",
            "--quiet",
        ]);
        allocations(out)
    };
    // Each firm pays the same every year (no arrivals, no shock to its year 0
    // and, with no volatility given, none after): the source's half of the
    // restricted pool, within 3 years of their pre-move taxes over 5 years.
    let open = run("", "open");
    let source: Vec<f64> = open
        .iter()
        .filter(|(r, _)| r == "src")
        .map(|(_, x)| *x)
        .collect();
    assert_eq!(source.len(), 5);
    assert!(source.iter().all(|&x| x > 0.0), "{open:?}");
    // All of it taken before the start: nothing left for the source.
    let taken = run(", taken_to_date = 1e6", "taken");
    assert!(
        taken
            .iter()
            .filter(|(r, _)| r == "src")
            .all(|(_, x)| *x == 0.0),
        "{taken:?}"
    );
    let total = |rows: &[(String, f64)]| rows.iter().map(|(_, x)| x).sum::<f64>();
    assert!((total(&open) - total(&taken)).abs() < 1e-9 * total(&open));
}
