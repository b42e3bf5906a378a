//! report.html says what each region's NPV is made of, through the binary: under
//! each alternative, the mean present value of each part of the NPV that is not 0
//! under every alternative, outflows negative, adding up to the mean NPV the
//! comparison table gives, to the rounding of the figures shown; and each region's
//! GDP credit, as statistics. A planner saw 6.5亿 of income against an NPV of 0.5亿
//! with nothing in between: the capital calls were in summary.csv alone
//! (exploratory test).

mod common;

use std::collections::HashMap;

use common::{REFERENCE_PATH, TestDir, csv_rows};
use enclave::schema::{Flow, NPV_PARTS, RegionMetric};

const MOUNTAIN_SEA: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/scenarios/zhejiang-mountain-sea.toml"
);

/// Runs `file` on 200 paths into `out/` and returns its results folder.
fn run(t: &TestDir, file: &str, id: &str) -> String {
    t.ok(&[
        "run", file, "--paths", "200", "--charts", "none", "--quiet", "--out", "out",
    ]);
    format!("out/{id}")
}

/// The text of the section that breaks the NPVs down, from its heading to the next.
fn section(report: &str) -> &str {
    let start = report
        .find("<h2 id=\"npv-parts\">")
        .expect("report.html has the NPV's parts");
    let end = report[start + 1..]
        .find("<h2")
        .map_or(report.len(), |e| start + 1 + e);
    &report[start..end]
}

/// `html` without its tags, the margins in small type (`<span class="few">…</span>`)
/// left out.
fn text(html: &str) -> String {
    let mut s = html.to_owned();
    while let Some(i) = s.find("<span class=\"few\">") {
        let j = s[i..]
            .find("</span>")
            .map_or(s.len(), |j| i + j + "</span>".len());
        s.replace_range(i..j, "");
    }
    let mut out = String::new();
    let mut tag = false;
    for c in s.chars() {
        match c {
            '<' => tag = true,
            '>' => tag = false,
            _ if !tag => out.push(c),
            _ => {}
        }
    }
    out.trim().to_owned()
}

/// The cells (`<td>` or `<th>`) of a table row, as HTML.
fn cells(row: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = row;
    while let Some(i) = rest.find("<t") {
        let after = &rest[i + 2..];
        if !(after.starts_with('d') || after.starts_with('h')) {
            rest = after;
            continue;
        }
        let open = after.find('>').expect("a cell's tag ends") + 1;
        let close = after.find("</t").expect("a cell ends");
        out.push(&after[open..close]);
        rest = &after[close..];
    }
    out
}

/// A number as the report shows it (thin spaces between thousands, − for minus).
fn number(shown: &str) -> f64 {
    shown
        .replace(['\u{2009}', ' '], "")
        .replace('−', "-")
        .parse()
        .unwrap_or_else(|_| panic!("{shown:?} is not a number"))
}

/// Decimals of a number as shown.
fn decimals(shown: &str) -> usize {
    shown.split_once('.').map_or(0, |(_, f)| f.len())
}

/// One region's lines in the section: (row class, label, cells) in order.
type Lines = Vec<(String, String, Vec<String>)>;

/// A table of the section: the alternatives it heads, and per region name its lines.
type Table = (Vec<String>, Vec<(String, Lines)>);

/// Whether two numbers as shown are the same (a rounded 0 may show without its
/// sign).
fn same(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(1.0)
}

/// The section's tables read back: the alternatives each table heads, and per
/// region name its lines in that table.
fn tables(section: &str) -> Vec<Table> {
    let mut out = Vec::new();
    for table in section.split("<table class=\"parts\">").skip(1) {
        let table = &table[..table.find("</table>").expect("the table ends")];
        let mut rows = table.split("<tr").skip(1);
        let head = cells(rows.next().expect("a header row"));
        let alternatives: Vec<String> = head[1..].iter().map(|c| text(c)).collect();
        let mut regions: Vec<(String, Lines)> = Vec::new();
        for row in rows {
            let class = row
                .strip_prefix(" class=\"")
                .and_then(|r| r.split_once('"'))
                .map_or("", |(c, _)| c);
            let cells = cells(row);
            if class == "region" {
                regions.push((text(cells[0]), Vec::new()));
                continue;
            }
            let (_, lines) = regions.last_mut().expect("a region's heading first");
            lines.push((
                class.to_owned(),
                text(cells[0]),
                cells[1..].iter().map(|c| text(c)).collect(),
            ));
            assert_eq!(
                cells.len(),
                alternatives.len() + 1,
                "a cell for each alternative"
            );
        }
        out.push((alternatives, regions));
    }
    out
}

/// Checks the section of the results in `folder` against its summary.csv:
/// every part shown is summary.csv's mean with the sign it takes in the NPV, the
/// parts shown add up to the NPV shown to their rounding, the NPV is the
/// comparison table's, the parts left out are 0 under every alternative, and
/// the GDP credit is summary.csv's. Returns the labels of the parts shown.
fn check(t: &TestDir, folder: &str) -> Vec<String> {
    let report = t.read(&format!("{folder}/report.html"));
    let summary = csv_rows(&t.read(&format!("{folder}/summary.csv")));
    let scn = enclave::scenario::Scenario::load(&t.join(&format!("{folder}/scenario.toml")))
        .expect("the scenario copy loads");
    let mean: HashMap<(String, String, String), f64> = summary
        .iter()
        .filter(|r| !r["mean"].is_empty())
        .map(|r| {
            (
                (
                    r["alternative"].clone(),
                    r["region"].clone(),
                    r["metric"].clone(),
                ),
                r["mean"].parse().expect("a mean"),
            )
        })
        .collect();
    let get = |alt: &str, region: &str, m: RegionMetric| {
        mean[&(alt.to_owned(), region.to_owned(), m.name().to_owned())]
    };
    let en = enclave::i18n::Lang::En.texts();
    let label = |m: RegionMetric| {
        let key = match m {
            RegionMetric::PvTax => "tax",
            RegionMetric::PvLand => "land",
            RegionMetric::PvWithheld => "withheld",
            RegionMetric::PvGuarantee => "guarantee",
            RegionMetric::PvProvincial => "provincial",
            RegionMetric::PvDividends => "dividends",
            RegionMetric::PvTerminal => "terminal",
            RegionMetric::PvContinuation => "continuation",
            RegionMetric::PvCashContributions => "cash",
            RegionMetric::PvCapitalCalls => "calls",
            RegionMetric::PvCosts => "costs",
            RegionMetric::PvDisplaced => "displaced",
            RegionMetric::PvOpportunityCosts => "opportunity",
            other => panic!("{other} is no part of the NPV"),
        };
        en.t(&format!("report.parts.{key}")).to_owned()
    };
    let section = section(&report);
    let comparison = &report[..report.find(section).expect("the section")];
    let tables = tables(section);
    let shown_alternatives: Vec<&String> = tables.iter().flat_map(|(a, _)| a).collect();
    assert_eq!(
        shown_alternatives,
        scn.alternatives.iter().map(|a| &a.name).collect::<Vec<_>>(),
        "every alternative, in order"
    );
    let mut shown = Vec::new();
    let mut columns = 0;
    for (alternatives, regions) in &tables {
        assert_eq!(regions.len(), scn.regions.len(), "every region");
        for ((name, lines), region) in regions.iter().zip(&scn.regions) {
            assert_eq!(*name, region.name);
            let parts: Vec<_> = lines.iter().filter(|(c, _, _)| c == "part").collect();
            let npv = lines
                .iter()
                .find(|(c, _, _)| c == "total")
                .expect("an NPV line");
            assert_eq!(npv.1, "NPV");
            let gdp = lines
                .iter()
                .find(|(c, _, _)| c == "gdp")
                .expect("a GDP credit line");
            assert!(gdp.1.contains("statistics, not cash"), "{}", gdp.1);
            // The parts in NPV_PARTS's order; those left out are 0 throughout.
            let mut expected = Vec::new();
            for &(m, flow) in &NPV_PARTS {
                let zero = scn
                    .alternatives
                    .iter()
                    .all(|a| get(&a.name, &region.id, m) == 0.0);
                if !zero {
                    expected.push((label(m), m, flow));
                }
            }
            assert_eq!(
                parts.iter().map(|p| &p.1).collect::<Vec<_>>(),
                expected.iter().map(|e| &e.0).collect::<Vec<_>>(),
                "{}: the parts not 0 under some alternative",
                region.id
            );
            for (a, alt) in alternatives.iter().enumerate() {
                let digits = decimals(&npv.2[a]);
                let mut sum = 0.0;
                for (part, (_, m, flow)) in parts.iter().zip(&expected) {
                    let want = flow.sign() * get(alt, &region.id, *m);
                    assert_eq!(decimals(&part.2[a]), digits, "{} {alt}", part.1);
                    let got = number(&part.2[a]);
                    assert!(
                        same(got, number(&format!("{want:.digits$}"))),
                        "{} of {} under {alt}: {got} for {want}",
                        part.1,
                        region.id
                    );
                    if *flow == Flow::Outflow && want != 0.0 {
                        assert!(got < 0.0, "{} is paid, so negative", part.1);
                    }
                    sum += got;
                }
                // Each shown figure is within half a unit of its last digit of
                // the mean; the means add up to the NPV.
                let npv_shown = number(&npv.2[a]);
                let unit = 10f64.powi(-i32::try_from(digits).expect("digits"));
                let slack = 0.5 * unit * (parts.len() + 1) as f64 + 1e-9;
                assert!(
                    (sum - npv_shown).abs() <= slack,
                    "{} under {alt}: the parts shown add up to {sum}, the NPV shown is {npv_shown}",
                    region.id
                );
                let npv_mean = get(alt, &region.id, RegionMetric::Npv);
                assert!(same(npv_shown, number(&format!("{npv_mean:.digits$}"))));
                // The comparison table, above, shows the same NPV with the same
                // digits.
                assert!(
                    comparison.contains(&format!("<td class=\"n\">{} <span", npv.2[a])),
                    "the NPV {} of {} under {alt} is not the comparison table's",
                    npv.2[a],
                    region.id
                );
                let credit = get(alt, &region.id, RegionMetric::GdpCredit);
                let d = decimals(&gdp.2[a]);
                assert!(same(number(&gdp.2[a]), number(&format!("{credit:.d$}"))));
                columns += 1;
            }
            shown.extend(parts.iter().map(|p| p.1.clone()));
        }
    }
    assert_eq!(columns, scn.alternatives.len() * scn.regions.len());
    shown
}

#[test]
fn the_report_shows_the_parts_of_each_npv_and_they_add_up_to_it() {
    let t = TestDir::new();
    let en = enclave::i18n::Lang::En.texts();
    // The reference: capital calls, cash, displaced taxes, costs, opportunity costs.
    let folder = run(&t, REFERENCE_PATH, "jilin-zhejiang");
    let shown = check(&t, &folder);
    for key in ["calls", "cash", "displaced", "costs", "opportunity", "tax"] {
        let label = en.t(&format!("report.parts.{key}")).to_owned();
        assert!(shown.contains(&label), "no line {label}");
    }
    // No land revenue goes to the governments in the reference: no such line.
    assert!(!shown.contains(&en.t("report.parts.land").to_owned()));
    // Guarantees with the principal returned, and a collector that may not pay:
    // parts that carry their own sign.
    let folder = run(&t, MOUNTAIN_SEA, "zhejiang-mountain-sea");
    let shown = check(&t, &folder);
    for key in ["guarantee", "withheld"] {
        let label = en.t(&format!("report.parts.{key}")).to_owned();
        assert!(shown.contains(&label), "no line {label}");
    }

    // In Chinese, in the terms the rest of the report and the workbook use.
    t.ok(&["report", "out/jilin-zhejiang", "--lang", "zh"]);
    let report = t.read("out/jilin-zhejiang/report.html");
    let zh = section(&report);
    for term in [
        "净现值的构成",
        "税收分成现值",
        "股息现值",
        "期末价值现值",
        "现金出资现值",
        "追加出资现值",
        "直接承担成本现值",
        "迁出企业税收损失现值",
        "GDP 统计分算",
        "非现金",
    ] {
        assert!(zh.contains(term), "no {term}");
    }
}
