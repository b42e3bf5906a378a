//! Dated changes (`[[changes]]`, MODEL.md §6 "Dated changes"): each kind of change
//! checked against numbers worked out by hand on one deterministic firm, the
//! validation of the table, and the rule that a change restating the values in
//! force changes nothing.
//!
//! Tolerance policy: as tests/economics.rs, 1e-9 relative.
mod common;

use enclave::outcome::evaluate;
use enclave::scenario::{Scenario, ScenarioError};
use enclave::schema::RegionMetric;

use common::paths::{close, economy, parse};

macro_rules! assert_close {
    ($a:expr, $b:expr) => {{
        let (a, b): (f64, f64) = ($a, $b);
        assert!(close(a, b), "{} = {a}, expected {b}", stringify!($a));
    }};
}

/// One firm takes the whole park (100 mu) in 2021 and stays; 2020–2023, nothing
/// random. Revenue 100 a year, value added 50, VAT 10% = 5, surcharges 12% of VAT
/// = 0.6, profit 20 − 0.6 → CIT 25% of 19.4 = 4.85; wages 10 for 100 jobs at
/// 100 000 yuan, IIT 885 yuan each under the 2019 schedule = 0.0885. The company:
/// a's cash 30 − infrastructure 20 leaves 10 in 2020; the land sale of 5 in 2021
/// is paid out; the book value 10 is the terminal value in 2023. Operations cost
/// 1 a year from 2021, borne by b. `changes` is appended.
fn one_firm(changes: &str) -> String {
    format!(
        r#"
[scenario]
id = "one-firm"
name = "one firm"
start_year = 2020
[simulation]
paths = 2
seed = 1
horizon = 4
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
[costs.operations]
per_year = 1
bearer = "b"
[company]
equity = {{ a = 0.6, b = 0.4 }}
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
tax = {{ kind = "fixed", shares = {{ a = 0.5, b = 0.5 }} }}
[[sharing]]
name = "equity"
tax = {{ kind = "equity" }}
{changes}
"#
    )
}

const CIT: f64 = 0.25 * 19.4;
const IIT: f64 = 100.0 * 885.0 / 1e6;

/// The pool of a firm-year under the base tables: half the VAT, the surcharges,
/// 40% of CIT and IIT.
fn base_pool() -> f64 {
    0.5 * 5.0 + 0.6 + 0.4 * CIT + 0.4 * IIT
}

#[test]
fn without_changes_the_one_firm_path_is_as_worked_by_hand() {
    let e = economy(&parse(&one_firm("")), 0);
    assert_eq!(e.firms, vec![0.0, 1.0, 1.0, 1.0]);
    for t in 1..4 {
        assert_close!(e.tax_pool[t], base_pool());
    }
    assert_eq!(
        e.costs_borne,
        vec![0.0; 4]
            .into_iter()
            .chain([10.0, 1.0, 1.0, 1.0])
            .collect::<Vec<_>>()
    );
    assert_eq!(e.dividends, vec![0.0, 3.0, 0.0, 0.0, 0.0, 2.0, 0.0, 0.0]);
    assert_eq!(e.terminal, vec![0.0, 0.0, 0.0, 6.0, 0.0, 0.0, 0.0, 4.0]);
}

#[test]
fn a_vat_local_share_change_moves_the_pool_by_the_computed_amount_from_its_year() {
    let base = economy(&parse(&one_firm("")), 0);
    let changed = economy(
        &parse(&one_firm(
            "[[changes]]\nyear = 2022\nnote = \"VAT local share 50% -> 25%\"\n\
             [changes.taxes]\nvat_local_share = 0.25",
        )),
        0,
    );
    // From 2022 (t = 2) the local VAT is 25% of 5 instead of 50%: 1.25 less in
    // the pool and in local taxes; nothing else moves.
    for t in 0..4 {
        let moved = if t >= 2 { 0.25 * 5.0 } else { 0.0 };
        assert_close!(base.tax_pool[t] - changed.tax_pool[t], moved);
        assert_close!(base.tax_local[t] - changed.tax_local[t], moved);
        assert_eq!(base.tax_total[t].to_bits(), changed.tax_total[t].to_bits());
    }
    assert_close!(
        changed.tax_pool[2],
        0.25 * 5.0 + 0.6 + 0.4 * CIT + 0.4 * IIT
    );
    assert_eq!(base.dividends, changed.dividends);
    assert_eq!(base.costs_borne, changed.costs_borne);
}

#[test]
fn a_sector_vat_rate_change_applies_from_its_year() {
    let changed = economy(
        &parse(&one_firm(
            "[[changes]]\nyear = 2023\n[changes.sectors.only]\nvat_rate = 0.05",
        )),
        0,
    );
    // 2023: VAT 5% of 50 = 2.5, surcharges 0.3, profit 20 − 0.3 → CIT 4.925.
    let cit = 0.25 * 19.7;
    assert_close!(changed.tax_pool[2], base_pool());
    assert_close!(changed.tax_pool[3], 0.5 * 2.5 + 0.3 + 0.4 * cit + 0.4 * IIT);
    assert_close!(changed.tax_total[3], 2.5 + 0.3 + cit + IIT);
}

#[test]
fn an_equity_change_moves_dividends_terminal_value_and_equity_shares_from_its_year() {
    let scn = parse(&one_firm(
        "[[changes]]\nyear = 2021\n[changes.company]\nequity = { a = 1.0, b = 0.0 }\n\
         [[changes]]\nyear = 2023\n[changes.company]\nequity = { a = 0.25, b = 0.75 }",
    ));
    let e = economy(&scn, 0);
    // The 2021 dividend of 5 goes all to a; the 2023 terminal value of 10 is
    // shared by the equity in force in 2023, 25:75.
    assert_eq!(e.dividends, vec![0.0, 5.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]);
    assert_eq!(e.terminal, vec![0.0, 0.0, 0.0, 2.5, 0.0, 0.0, 0.0, 7.5]);
    assert_eq!(e.equity, vec![0.6, 0.4]);
    assert_eq!(e.equity_at(0), [0.6, 0.4]);
    assert_eq!(e.equity_at(2), [1.0, 0.0]);
    assert_eq!(e.equity_at(3), [0.25, 0.75]);
    // The `equity` formula splits each year's pool by the equity in force: all to
    // a in 2021–2022, 25% in 2023.
    let n = scn.regions.len();
    let mut m = vec![0.0; n * RegionMetric::COUNT];
    let mut s = vec![0.0; n * 3 * 4];
    evaluate(
        &e,
        &scn.alternatives[1],
        &mut Default::default(),
        &mut m,
        &mut s,
    );
    let d = |t: i32| 1.1f64.powi(-(t + 1));
    let pv_tax = RegionMetric::from_name("pv_tax").expect("metric").index();
    let pool = base_pool();
    assert_close!(m[pv_tax], pool * (d(1) + d(2)) + 0.25 * pool * d(3));
    assert_close!(m[RegionMetric::COUNT + pv_tax], 0.75 * pool * d(3));
}

#[test]
fn a_bearer_change_moves_a_cost_from_its_year() {
    let e = economy(
        &parse(&one_firm(
            "[[changes]]\nyear = 2022\n[changes.costs]\noperations = { bearer = \"a\" }\n\
             [[changes]]\nyear = 2023\n[changes.costs]\n\
             operations = { bearer = \"shares\", shares = { a = 0.5, b = 0.5 } }",
        )),
        0,
    );
    // b: land 10 in 2020, operations 1 in 2021; a: operations 1 in 2022; half each in 2023.
    assert_eq!(e.costs_borne, vec![0.0, 0.0, 1.0, 0.5, 10.0, 1.0, 0.0, 0.5]);
}

#[test]
fn the_provincial_take_and_its_recipient_can_change() {
    let e = economy(
        &parse(&one_firm(
            "[[changes]]\nyear = 2023\n[changes.taxes]\nprovincial_take = 0.2\n\
             [changes.taxes.province]\ncit = 0.5\nto = \"a\"",
        )),
        0,
    );
    // 2023: the province takes 20% of the local VAT and IIT and 50% of the local CIT.
    let take = 0.2 * (0.5 * 5.0) + 0.5 * (0.4 * CIT) + 0.2 * (0.4 * IIT);
    assert_eq!(&e.provincial[..3], &[0.0, 0.0, 0.0]);
    assert_close!(e.provincial[3], take);
    assert_close!(e.tax_pool[3], base_pool() - take);
    assert_close!(e.tax_pool[2], base_pool());
}

#[test]
fn the_iit_schedule_can_switch_in_2019() {
    // The 2011 schedule: 100 000 × 0.895 / 12 − 3 500 = 3 958.33 a month, at 10%
    // less 105 → 290.83 a month, 3 490 a year per worker; the 2019 one 885.
    let text = one_firm("[[changes]]\nyear = 2022\n[changes.taxes]\niit_schedule = \"2019\"")
        .replace(
            "provincial_take = 0\n",
            "provincial_take = 0\niit_schedule = \"2011\"\n",
        );
    let e = economy(&parse(&text), 0);
    let iit_2011 = 100.0 * 3_490.0 / 1e6;
    assert_close!(e.tax_total[1], 5.0 + 0.6 + CIT + iit_2011);
    assert_close!(e.tax_total[2], 5.0 + 0.6 + CIT + IIT);
}

#[test]
fn a_change_restating_the_values_in_force_changes_nothing() {
    let base = economy(&parse(&one_firm("")), 0);
    let same = economy(
        &parse(&one_firm(
            "[[changes]]\nyear = 2021\n[changes.taxes]\nvat_local_share = 0.5\n\
             [changes.sectors.only]\nvat_rate = 0.1\n[changes.company]\n\
             equity = { a = 0.6, b = 0.4 }\n[changes.costs]\noperations = { bearer = \"b\" }",
        )),
        0,
    );
    for (x, y) in [
        (&base.tax_pool, &same.tax_pool),
        (&base.tax_total, &same.tax_total),
        (&base.dividends, &same.dividends),
        (&base.terminal, &same.terminal),
        (&base.costs_borne, &same.costs_borne),
    ] {
        let bits = |v: &Vec<f64>| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(x), bits(y));
    }
}

#[test]
fn a_changed_uncertain_field_draws_from_its_own_named_stream() {
    let text = one_firm(
        "[[changes]]\nyear = 2022\n[changes.taxes]\n\
         vat_local_share = { dist = \"uniform\", min = 0.4, max = 0.6 }",
    );
    let text = text.replace(
        "provincial_take = 0\n",
        "provincial_take = 0\nvat_local_share = { dist = \"uniform\", min = 0.2, max = 0.3 }\n",
    );
    let scn = parse(&text);
    let names: Vec<&str> = scn
        .params
        .params()
        .iter()
        .map(|p| p.name.as_str())
        .collect();
    assert_eq!(
        names,
        ["taxes.vat_local_share", "changes[0].taxes.vat_local_share"]
    );
    // The base draw is the same with or without the change (common random numbers).
    let without = parse(
        text.split("[[changes]]")
            .next()
            .expect("the text before the change"),
    );
    for p in 0..2 {
        let (a, b) = (economy(&scn, p), economy(&without, p));
        assert_eq!(a.tax_pool[1].to_bits(), b.tax_pool[1].to_bits());
        // Before and after: VAT local 5 × u₁ vs 5 × u₂, with u₁ ≤ 0.3 < 0.4 ≤ u₂.
        let (before, after) = (a.tax_pool[1], a.tax_pool[2]);
        assert!(after - before >= 5.0 * 0.1 - 1e-12, "{before} {after}");
    }
}

fn problems(text: &str) -> String {
    match Scenario::parse(text, "test.toml") {
        Err(ScenarioError::Invalid { problems, .. }) => problems
            .iter()
            .map(|p| format!("{}: {}: {}", p.line.unwrap_or(0), p.field, p.message))
            .collect::<Vec<_>>()
            .join("\n"),
        Err(e) => panic!("{e}"),
        Ok(_) => panic!("expected problems"),
    }
}

/// Line (1-based) of the first line of `text` containing `needle`.
fn line(text: &str, needle: &str) -> usize {
    text.lines()
        .position(|l| l.contains(needle))
        .expect("needle")
        + 1
}

#[test]
fn changes_are_checked_with_field_paths_and_lines() {
    let text = one_firm(
        "[[changes]]\nyear = 2019\n[changes.taxes]\nvat_local_share = 1.5\n\
         [changes.sectors.nowhere]\nvat_rate = 0.1\n\
         [[changes]]\nyear = 2019\n[changes.company]\nequity = { a = 0.5, b = 0.6 }\n\
         [changes.costs]\ninfrastructure = { bearer = \"mars\" }\n\
         [[changes]]\nyear = 2022\n[changes.taxes]\niit_rate = 0.01\niit_schedule = \"2011\"",
    );
    let year = line(&text, "year = 2019");
    assert_eq!(
        problems(&text),
        [
            format!("{year}: changes[0].year: expected a calendar year ≥ the start year 2020, found 2019"),
            format!("{}: changes[0].taxes.vat_local_share: expected a share in [0, 1], found 1.5", line(&text, "vat_local_share = 1.5")),
            format!("{}: changes[0].sectors.nowhere: expected a sector name (one of only), found `nowhere`", line(&text, "[changes.sectors.nowhere]")),
            format!("{}: changes[1].year: expected a calendar year ≥ the start year 2020, found 2019", year + 6),
            format!("{}: changes[1].year: expected a year after the previous change's 2019 (changes are listed in strictly increasing years), found 2019", year + 6),
            format!("{}: changes[1].company.equity: expected shares summing to 1, found a sum of 1.1", line(&text, "equity = { a = 0.5, b = 0.6 }")),
            format!("{}: changes[1].costs.infrastructure.bearer: expected `company`, `equity`, `shares`, or a region id (one of a, b), found `mars`", line(&text, "bearer = \"mars\"")),
            format!("{}: changes[2].taxes.iit_schedule: expected either a flat `iit_rate` or an `iit_schedule` in one change, not both", line(&text, "iit_schedule = \"2011\"")),
        ]
        .join("\n")
    );
}

#[test]
fn unknown_fields_of_a_change_are_rejected_with_their_lines() {
    let text = one_firm(
        "[[changes]]\nyear = 2022\nwhen = 1\n[changes.taxes]\n\
         [changes.taxes.rebate]\nshare = 0.5\n\
         [changes.costs]\nland_acquisition = { bearer = \"a\", per_mu = 1 }",
    );
    let got = problems(&text);
    for (field, needle) in [
        ("changes[0].when", "when = 1"),
        ("changes[0].taxes.rebate", "[changes.taxes.rebate]"),
        ("changes[0].costs.land_acquisition.per_mu", "per_mu = 1 }"),
    ] {
        let want = format!("{}: {field}: unknown field", line(&text, needle));
        assert!(got.contains(&want), "{want}\nnot in\n{got}");
    }
}

#[test]
fn a_later_change_keeps_what_an_earlier_one_set() {
    let scn = parse(&one_firm(
        "[[changes]]\nyear = 2021\n[changes.taxes]\nvat_local_share = 0.25\n\
         [changes.company]\nequity = { a = 1.0, b = 0.0 }\n\
         [changes.costs]\noperations = { bearer = \"a\" }\n\
         [[changes]]\nyear = 2023\nnote = \"only the VAT rate\"\n\
         [changes.sectors.only]\nvat_rate = 0.05",
    ));
    let c = &scn.changes[1];
    assert_eq!((c.year, c.note.as_str()), (3, "only the VAT rate"));
    assert_eq!(c.equity.as_deref(), Some(&[1.0, 0.0][..]));
    let e = economy(&scn, 0);
    // 2023: VAT 2.5 of which 25% local (the 2021 share still holds), CIT 4.925.
    assert_close!(
        e.tax_pool[3],
        0.25 * 2.5 + 0.3 + 0.4 * 0.25 * 19.7 + 0.4 * IIT
    );
    assert_close!(e.tax_pool[2], 0.25 * 5.0 + 0.6 + 0.4 * CIT + 0.4 * IIT);
    assert_eq!(e.terminal, vec![0.0, 0.0, 0.0, 10.0, 0.0, 0.0, 0.0, 0.0]);
    assert_eq!(e.costs_borne, vec![0.0, 1.0, 1.0, 1.0, 10.0, 0.0, 0.0, 0.0]);
}

#[test]
fn a_change_after_the_horizon_is_accepted_and_changes_nothing() {
    let base = economy(&parse(&one_firm("")), 0);
    let late = economy(
        &parse(&one_firm(
            "[[changes]]\nyear = 2030\n[changes.taxes]\nvat_local_share = 0.25",
        )),
        0,
    );
    assert_eq!(base.tax_pool, late.tax_pool);
}

#[test]
fn a_change_must_name_one_sector() {
    let text = one_firm("[[changes]]\nyear = 2022\n[changes.sectors.only]\nvat_rate = 0.05")
        .replace(
            "[macro]",
            "[[firms.sectors]]\nname = \"only\"\nweight = 1\nland_per_firm_mu = 1\n\
             revenue_per_mu = 1\nvalue_added_ratio = 0.5\nprofit_margin = 0.1\nwage_share = 0.1\n[macro]",
        );
    assert_eq!(
        problems(&text),
        format!(
            "{}: changes[0].sectors.only: expected a sector name that names one sector, but several sectors are named `only`; rename them apart",
            line(&text, "[changes.sectors.only]")
        )
    );
}
