//! The ranking of alternatives says which orders are noise, through the binary:
//! each alternative's lead on the next in joint participation is the difference
//! on the same paths (checked against paths.csv), with its standard error, and
//! the terminal and report.html mark a lead within its 95% margin; Shapley gaps,
//! the Nash product and benefit ÷ contribution carry their margins.

mod common;

use std::collections::HashMap;

use common::{REFERENCE_PATH, TestDir, csv_rows};

fn number(cell: &str) -> f64 {
    cell.parse().unwrap_or(f64::NAN)
}

#[test]
fn each_lead_is_the_paired_difference_and_a_lead_within_noise_is_marked() {
    let t = TestDir::new();
    let out = t.ok(&[
        "run",
        REFERENCE_PATH,
        "--paths",
        "600",
        "--threads",
        "2",
        "--charts",
        "none",
        "--keep-paths",
        "--out",
        "out",
    ]);
    let stdout = String::from_utf8(out.stdout).expect("UTF-8");
    let fairness = csv_rows(&t.read("out/jilin-zhejiang/fairness.csv"));
    let at = |alt: &str, region: &str, metric: &str| {
        fairness
            .iter()
            .find(|r| r["alternative"] == alt && r["region"] == region && r["metric"] == metric)
            .unwrap_or_else(|| panic!("no {alt} {region} {metric}"))
    };
    // Joint participation path by path, from paths.csv: every region participates.
    let mut joint: HashMap<(String, u64), bool> = HashMap::new();
    for r in csv_rows(&t.read("out/jilin-zhejiang/paths.csv")) {
        let key = (r["alternative"].clone(), r["path"].parse().expect("path"));
        let signs = r["participates"] == "1";
        joint
            .entry(key)
            .and_modify(|j| *j &= signs)
            .or_insert(signs);
    }
    let alternatives: Vec<String> = fairness
        .iter()
        .filter(|r| r["metric"] == "joint_participation")
        .map(|r| r["alternative"].clone())
        .collect();
    let p = |alt: &str| number(&at(alt, "all", "joint_participation")["mean"]);
    let mut ranked = alternatives.clone();
    // The ranking's first key (the reference's Nash products are all undefined).
    ranked.sort_by(|a, b| p(b).total_cmp(&p(a)));
    let report = t.read("out/jilin-zhejiang/report.html");
    let mut marked = 0;
    for w in ranked.windows(2) {
        let lead = at(&w[0], "all", "joint_participation_over_next");
        let d: Vec<f64> = (0..600u64)
            .map(|path| {
                let j = |alt: &String| f64::from(u8::from(joint[&(alt.clone(), path)]));
                j(&w[0]) - j(&w[1])
            })
            .collect();
        let mean = d.iter().sum::<f64>() / 600.0;
        let sd = (d.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / 599.0).sqrt();
        let (got_mean, got_se) = (number(&lead["mean"]), number(&lead["se"]));
        assert!(
            (got_mean - mean).abs() < 1e-12,
            "{}: {got_mean} vs {mean}",
            w[0]
        );
        assert!(
            (got_se - sd / 600f64.sqrt()).abs() < 1e-12,
            "{}: {got_se} vs {}",
            w[0],
            sd / 600f64.sqrt()
        );
        // Much narrower than the two chances' own errors, as the paths are shared.
        let own = |alt: &str| number(&at(alt, "all", "joint_participation")["se"]);
        assert!(got_se < (own(&w[0]).powi(2) + own(&w[1]).powi(2)).sqrt());
        // A lead of 0 on every path (se 0) is a tie, marked `=`, not noise.
        let tie = mean == 0.0 && got_se == 0.0;
        let noise = !tie && mean.abs() <= 1.96 * got_se;
        let shown = format!("{:+.2} ± {:.2} pp", 100.0 * mean, 100.0 * 1.96 * got_se);
        let line = stdout
            .lines()
            .find(|l| l.contains(w[0].as_str()) && l.contains(" pp"))
            .unwrap_or_else(|| panic!("no ranking line of {} in {stdout}", w[0]));
        assert!(line.contains(&shown), "{line} lacks {shown}");
        assert_eq!(line.contains(" pp ≈"), noise, "{line}");
        assert_eq!(line.contains(" pp ="), tie, "{line}");
        marked += usize::from(noise);
    }
    let last = at(
        ranked.last().expect("alternatives"),
        "all",
        "joint_participation_over_next",
    );
    assert_eq!((last["mean"].as_str(), last["se"].as_str()), ("", ""));
    assert_eq!(
        report.matches("≈ within noise of the next</span>").count(),
        marked,
        "the report marks the same leads"
    );
    assert_eq!(stdout.contains("≈ within noise of the next:"), marked > 0);
    // Shapley gaps with their margins, in both.
    let gap = at(&alternatives[0], "zhejiang", "shapley_gap");
    let margin = 1.96 * number(&gap["se"]);
    let terminal_gap = format!("{:.1} ± {:.1}", number(&gap["mean"]), margin);
    assert!(
        stdout.contains(&terminal_gap),
        "no {terminal_gap} in {stdout}"
    );
    assert!(report.contains(&format!("<span class=\"few\">± {:.1}</span>", margin)));
    // Benefit ÷ contribution with its margin in the report, as the other cells of
    // its table: it was shown bare while fairness.csv has its se. Defined on
    // every path here (no region contributes nothing), so no note follows it.
    let mut ratios = 0;
    for alt in &alternatives {
        for region in ["zhejiang", "jilin"] {
            let ratio = at(alt, region, "benefit_to_contribution");
            assert_eq!(ratio["n"], "600", "{alt} {region}");
            let (mean, se) = (number(&ratio["mean"]), number(&ratio["se"]));
            assert!(se > 0.0, "{alt} {region}: se {se}");
            let cell = format!(
                "<td class=\"n\">{} <span class=\"few\">± {:.2}</span></td>",
                format!("{mean:.2}").replace('-', "−"),
                1.96 * se
            );
            assert!(report.contains(&cell), "no {cell} for {alt} {region}");
            ratios += 1;
        }
    }
    assert!(ratios >= 4, "{ratios}");
}

/// Two regions, two existing firms, no arrivals, no volatility: every path is
/// the same, and every region signs under every alternative.
const DETERMINISTIC: &str = r#"
[scenario]
id = "det"
name = "deterministic"
start_year = 2026
money_unit = "million CNY"
yuan_per_unit = 1_000_000

[simulation]
paths = 4
seed = 1
horizon = 5

[[regions]]
id = "src"
name = "source"
role = "source"
discount_rate = 0.05

[[regions]]
id = "hst"
name = "host"
role = "host"
discount_rate = 0.05

[park]
area_mu = 2000
saleable_share = 0.5

[[park.phases]]
name = "p1"
area_mu = 100
start_year = 2026
build_years = 1

[[contributions]]
region = "src"
kind = "cash"
value = 10
year = 2026

[[contributions]]
region = "hst"
kind = "land"
value = 30
year = 2026

[costs.operations]
per_year = 1
bearer = "company"

[company]
land_price_per_mu = 0
land_revenue = "company"
debt_share = 0
payout_ratio = 1
terminal = "book"

[firms]
arrival_rate = 0
average_wage = 0.1

[[firms.sectors]]
name = "S"
weight = 1
land_per_firm_mu = 100
revenue_per_mu = 2
ramp_years = 0
growth = 0
volatility = 0
macro_beta = 0
exit_hazard = 0
value_added_ratio = 0.25
profit_margin = 0.1
fixed_cost_per_mu = 0.05
wage_share = 0.1
building_value_per_mu = 1
vat_rate = 0.13
cit_rate = 0.25

[macro]
volatility = 0

[taxes]
vat_local_share = 0.5
cit_local_share = 0.4
iit_local_share = 0.4
iit_rate = 0.02
urban_maintenance_rate = 0.07
education_rate = 0.03
local_education_rate = 0.02
land_use_tax_per_m2 = 6
property_tax_rate = 0.012
property_tax_deduction = 0.3
provincial_take = 0.25

[initial]
developed_mu = 1000

[[initial.firms]]
sector = "S"
count = 2
age = 5
land_per_firm_mu = 100

[[sharing]]
name = "fixed 60:40"
tax = { kind = "fixed", shares = { src = 0.6, hst = 0.4 } }

[[sharing]]
name = "equity"
tax = { kind = "equity" }

[[sharing]]
name = "fixed 30:70"
tax = { kind = "fixed", shares = { src = 0.3, hst = 0.7 } }
"#;

#[test]
fn a_tie_on_every_path_is_called_a_tie_not_noise() {
    // Every path alike: each lead is 0 ± 0, and the Nash products (± 0) set the
    // order. The ranking marked the leads "≈ within noise ... more paths may
    // reverse it", which no number of paths does (exploratory test).
    let t = TestDir::new();
    t.create("det.toml", DETERMINISTIC);
    let out = t.ok(&["run", "det.toml", "--out", "out", "--charts", "none"]);
    let stdout = String::from_utf8(out.stdout).expect("UTF-8");
    let leads: Vec<&str> = stdout.lines().filter(|l| l.contains(" pp")).collect();
    assert_eq!(leads.len(), 2, "{stdout}");
    for line in leads {
        assert!(line.contains("+0.00 ± 0.00 pp ="), "{line}");
    }
    assert!(!stdout.contains('≈'), "{stdout}");
    assert!(!stdout.contains("may reverse it"), "{stdout}");
    assert!(
        stdout.contains("= tied with the next: the two are exactly equal on P(all) on these paths, path by path") 
            && stdout.contains("their Nash products have standard error 0 (each the same on every path), so that order is not noise either"),
        "{stdout}"
    );
    let report = t.read("out/det/report.html");
    assert_eq!(report.matches("= tied with the next</span>").count(), 2);
    assert!(
        !report.contains("within noise of the next</span>"),
        "{report}"
    );
    assert!(report.contains("a tie rather than noise"));
    assert!(report.contains("so that order is not noise either"));
    // In Chinese too.
    let out = t.ok(&[
        "run", "det.toml", "--out", "zh", "--charts", "none", "--report", "none", "--lang", "zh",
    ]);
    let stdout = String::from_utf8(out.stdout).expect("UTF-8");
    assert!(stdout.contains("= 与下一名持平："), "{stdout}");
    assert!(!stdout.contains('≈'), "{stdout}");
    // No region signs anywhere and no alternative has a Nash product: the order
    // is the file's, and the note says that it says nothing.
    t.create(
        "none.toml",
        &DETERMINISTIC.replacen(
            "discount_rate = 0.05",
            "discount_rate = 0.05\noutside_option = 1000",
            1,
        ),
    );
    let out = t.ok(&[
        "run",
        "none.toml",
        "--out",
        "none",
        "--charts",
        "none",
        "--report",
        "none",
    ]);
    let stdout = String::from_utf8(out.stdout).expect("UTF-8");
    assert!(
        stdout.contains("then by the scenario file's order: where neither has a Nash product (a region expects less than its outside option), the file's order says nothing of the two\n"),
        "{stdout}"
    );
    assert!(
        !stdout.contains("not noise either") && !stdout.contains('≈'),
        "{stdout}"
    );
}
