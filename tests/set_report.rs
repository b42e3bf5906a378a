//! The set page `DIR/set/report.html` (issue 10): made from `DIR/set/summary.csv`
//! and, for a sweep, `DIR/set/sweep.csv` alone; every scenario in it, each sweep
//! point at its input's value, no request of any kind, big sets kept usable, and
//! a clear error naming the file when a file is not what a set writes.

mod common;

use std::path::Path;

use common::{REFERENCE, TestDir};
use enclave::output::{ALL_ALTERNATIVES, ALL_REGIONS, PARK, SET_SUMMARY_HEADER};
use enclave::schema::{AltMetric, ParkMetric, RegionMetric};
use enclave::set_report::{self, SetReportError, TABLE_SCENARIOS};

/// `DIR/set/summary.csv` rows of one scenario with one alternative `even` and
/// regions `a` and `b`: region `a`'s mean NPV is `npv`, `b`'s is `-npv`; every
/// statistic over `paths` paths except the Shapley gap (no coalitions: n = 0).
fn scenario_rows(id: &str, npv: f64, paths: u64) -> String {
    let mut s = String::new();
    let mut row = |alt: &str, region: &str, metric: &str, stats: &str| {
        s.push_str(&format!("{id},{alt},{region},{metric},{stats}\n"));
    };
    for (region, mean) in [("a", npv), ("b", -npv)] {
        let band = format!("{mean},2,{},{mean},{},{paths}", mean - 100.0, mean + 100.0);
        row("even", region, RegionMetric::Npv.name(), &band);
        row(
            "even",
            region,
            RegionMetric::NpvNegative.name(),
            &format!("0.25,0.01,,,,{paths}"),
        );
        row(
            "even",
            region,
            RegionMetric::Participates.name(),
            &format!("0.5,0.01,,,,{paths}"),
        );
        row("even", region, RegionMetric::ShapleyGap.name(), ",,,,,0");
    }
    row(
        "even",
        ALL_REGIONS,
        AltMetric::JointParticipation.name(),
        &format!("0.125,0.01,,,,{paths}"),
    );
    row(
        "even",
        ALL_REGIONS,
        AltMetric::NpvTotal.name(),
        &format!("0,1,-50,0,50,{paths}"),
    );
    for m in [
        ParkMetric::TaxTotal,
        ParkMetric::TaxPool,
        ParkMetric::Gdp,
        ParkMetric::FirmsFinal,
        ParkMetric::JobsFinal,
    ] {
        row(
            ALL_ALTERNATIVES,
            PARK,
            m.name(),
            &format!(
                "{},3,{},{},{},{paths}",
                2.0 * npv,
                npv,
                2.0 * npv,
                3.0 * npv
            ),
        );
    }
    s
}

/// Writes `out/set/summary.csv` with `scenarios` (id, region a's mean NPV) and,
/// when given, `out/set/sweep.csv`.
fn write_set(t: &TestDir, scenarios: &[(String, f64)], sweep: Option<&str>) {
    std::fs::create_dir_all(t.join("out/set")).expect("create out/set");
    let mut summary = SET_SUMMARY_HEADER.join(",") + "\n";
    for (id, npv) in scenarios {
        summary.push_str(&scenario_rows(id, *npv, 500));
    }
    t.create("out/set/summary.csv", &summary);
    if let Some(sweep) = sweep {
        t.create("out/set/sweep.csv", sweep);
    }
    // As a set run leaves it: `enclave report DIR/set` checks it.
    enclave::publish::write_manifest(&t.join("out/set")).expect("the manifest");
}

/// The `<svg>` element of the figure `id` in the page.
fn figure_svg<'a>(page: &'a str, id: &str) -> &'a str {
    let at = page
        .find(&format!("<figure id=\"{id}\""))
        .unwrap_or_else(|| panic!("no figure {id}"));
    let rest = &page[at..];
    let start = rest.find("<svg").expect("an svg");
    let end = rest.find("</svg>").expect("the end of the svg") + "</svg>".len();
    &rest[start..end]
}

/// Centres (cx, cy) of the SVG's circles filled with `fill` and radius `r`.
fn circles(svg: &str, fill: &str, r: &str) -> Vec<(f64, f64)> {
    let doc = roxmltree::Document::parse(svg).expect("the chart is well-formed SVG");
    doc.descendants()
        .filter(|n| n.has_tag_name("circle"))
        .filter(|n| n.attribute("fill") == Some(fill) && n.attribute("r") == Some(r))
        .map(|n| {
            let v = |a: &str| {
                n.attribute(a)
                    .expect("coordinate")
                    .parse::<f64>()
                    .expect("number")
            };
            (v("cx"), v("cy"))
        })
        .collect()
}

/// Region 0's colour (Okabe–Ito blue) as plotters writes it.
const REGION_A: &str = "#0072B2";

/// Checks the page names nothing outside itself, as tests/report_browser.rs does
/// for report.html, and carries the Content-Security-Policy.
fn assert_self_contained(page: &str) {
    assert!(page.contains(
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src \
         'unsafe-inline'; img-src data:; font-src data:\">"
    ));
    let lower = page.to_lowercase();
    let rest = lower
        .replace("xmlns=\"http://www.w3.org/2000/svg\"", "")
        .replace("url(data:", "");
    for needle in [
        "http://", "https://", "src=", "href=", "url(", "@import", "<script",
    ] {
        assert!(!rest.contains(needle), "the page contains {needle:?}");
    }
}

#[test]
fn a_set_run_writes_a_page_with_every_scenario() {
    let t = TestDir::new();
    std::fs::create_dir_all(t.join("park")).expect("a folder");
    t.create("park/a.toml", REFERENCE);
    t.create(
        "park/b.toml",
        include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/scenarios/three-party.toml"
        )),
    );
    t.ok(&[
        "run",
        "park",
        "--paths",
        "200",
        "--horizon",
        "6",
        "--charts",
        "none",
        "--out",
        "out",
        "--quiet",
    ]);
    let page = t.read("out/set/report.html");
    assert!(
        page.contains("<h1>Set of 2 scenarios</h1>"),
        "{}",
        &page[..2000.min(page.len())]
    );
    for id in ["jilin-zhejiang", "three-party"] {
        assert!(page.contains(&format!("<code>{id}</code>")), "no {id}");
    }
    // Settings from the first scenario's run.json, paths from summary.csv.
    assert!(page.contains("200 paths each · first scenario: seed 20180330, 6 years"));
    // No sweep.csv, no charts.
    assert!(!page.contains("<svg"));
    assert_self_contained(&page);
    t.assert_no_temp_files("out");

    // `enclave report DIR/set` draws it again, the same.
    std::fs::remove_file(t.join("out/set/report.html")).expect("remove the page");
    let o = t.ok(&["report", "out/set"]);
    assert_eq!(String::from_utf8_lossy(&o.stdout), "out/set/report.html\n");
    assert_eq!(t.read("out/set/report.html"), page);
}

#[test]
fn a_sweeps_points_sit_at_their_values() {
    let t = TestDir::new();
    // Uneven values, in no particular order: the chart sorts them and spaces them
    // in proportion.
    let xs = [4.0, 1.0, 16.0, 2.0, 8.0];
    let scenarios: Vec<(String, f64)> = xs
        .iter()
        .map(|x| (format!("rate-{x}"), 100.0 * x))
        .collect();
    let sweep: String = std::iter::once("scenario,input,value\n".to_owned())
        .chain(
            xs.iter()
                .map(|x| format!("rate-{x},firms.arrival_rate,{x}\n")),
        )
        .collect();
    write_set(&t, &scenarios, Some(&sweep));
    let path = set_report::write(&t.join("out")).expect("the set page");
    assert_eq!(path, t.join("out/set/report.html"));
    let page = t.read("out/set/report.html");
    assert!(page.contains("<h1>Sweep of 5 scenarios over firms.arrival_rate</h1>"));
    assert_self_contained(&page);
    for (id, _) in &scenarios {
        assert!(page.contains(&format!("<code>{id}</code>")), "no {id}");
    }
    assert!(page.contains("firms.arrival_rate = 16"));

    let svg = figure_svg(&page, "sweep-1-alt-1");
    let pts = circles(svg, REGION_A, "4");
    assert_eq!(pts.len(), xs.len(), "one marker per value: {pts:?}");
    let mut sorted = xs;
    sorted.sort_by(f64::total_cmp);
    let (first, last) = (pts[0].0, pts[pts.len() - 1].0);
    for (p, x) in pts.iter().zip(sorted) {
        // x at its share of the way from 1 to 16 (pixels are whole numbers).
        let expected = first + (last - first) * (x - 1.0) / 15.0;
        assert!(
            (p.0 - expected).abs() <= 1.0,
            "value {x} drawn at {} instead of {expected}",
            p.0
        );
    }
    // Means 100 x rise: each marker higher (smaller y) than the one before.
    assert!(pts.windows(2).all(|w| w[1].1 < w[0].1), "{pts:?}");
    // The 90% band is shaded and the error bars drawn.
    let doc = roxmltree::Document::parse(svg).expect("SVG");
    assert!(
        doc.descendants().any(|n| n.has_tag_name("polygon")
            && n.attribute("fill") == Some(REGION_A)
            && n.attribute("opacity") == Some("0.16")),
        "no P5–P95 band"
    );
    let bars = doc
        .descendants()
        .filter(|n| n.has_tag_name("polyline") && n.attribute("stroke") == Some(REGION_A))
        .count();
    assert!(bars > xs.len(), "error bars and the line: {bars}");
    // The park's chart too, and region b's NPV, and the chance every region signs.
    figure_svg(&page, "sweep-1-park");
    assert!(svg.contains("b: NPV") && svg.contains("P(every region signs)"));
    // The Shapley gap is defined on none of the 500 paths (no coalitions were
    // computed): said, not shown.
    assert!(page.contains("(not computed: the run computed no coalitions"));
    assert!(!page.contains("defined in only 0.0% of futures"));
}

#[test]
fn a_big_set_caps_its_tables_but_charts_every_scenario() {
    let t = TestDir::new();
    let count = TABLE_SCENARIOS + 6;
    let scenarios: Vec<(String, f64)> =
        (0..count).map(|i| (format!("s{i:03}"), i as f64)).collect();
    // Two inputs on a grid: `a` takes 3 values, `b` the rest.
    let mut sweep = "scenario,input,value\n".to_owned();
    for i in 0..count {
        sweep.push_str(&format!("s{i:03},a,{}\ns{i:03},b,{}\n", i % 3, i / 3));
    }
    write_set(&t, &scenarios, Some(&sweep));
    set_report::write(&t.join("out")).expect("the set page");
    let page = t.read("out/set/report.html");
    assert!(page.contains(&format!(
        "The tables show the first {TABLE_SCENARIOS} of the {count} scenarios"
    )));
    assert!(page.contains(&format!("<code>s{:03}</code>", TABLE_SCENARIOS - 1)));
    assert!(!page.contains(&format!("<code>s{TABLE_SCENARIOS:03}</code>")));
    // One chart per input: a's 3 values, each averaging 10 scenarios, with grey
    // rings at their lowest and highest mean; b's 10 values of 3 scenarios each.
    let a = figure_svg(&page, "sweep-1-alt-1");
    assert_eq!(circles(a, REGION_A, "4").len(), 3);
    let b = figure_svg(&page, "sweep-2-alt-1");
    assert_eq!(circles(b, REGION_A, "4").len(), count / 3);
    let rings = roxmltree::Document::parse(a)
        .expect("SVG")
        .descendants()
        .filter(|n| n.has_tag_name("circle") && n.attribute("r") == Some("3"))
        .count();
    // Per value: lowest and highest, in each of the four panels with a mean
    // (a's NPV, b's NPV, every region signs; the chart of the park is apart).
    assert_eq!(rings, 3 * 2 * 3);
    assert!(page.contains("average the scenarios that share it"));
}

/// The error of making the page of `out` in `t`.
fn error(t: &TestDir) -> String {
    let e: SetReportError = set_report::write(&t.join("out")).expect_err("a bad set file");
    e.to_string()
}

#[test]
fn a_file_that_is_not_what_a_set_writes_is_refused_naming_it() {
    let t = TestDir::new();
    let good = SET_SUMMARY_HEADER.join(",") + "\n" + &scenario_rows("one", 5.0, 100);
    std::fs::create_dir_all(t.join("out/set")).expect("create out/set");
    let summary = t.join("out/set/summary.csv");
    let named = |e: &str| {
        assert!(
            e.starts_with(&summary.display().to_string()),
            "the error names the file: {e}"
        );
    };

    // No summary at all.
    let e = error(&t);
    assert!(
        e.starts_with("cannot read ") && e.contains("summary.csv"),
        "{e}"
    );

    // A missing column.
    let text = good.replace(",se,", ",std_err,");
    t.create("out/set/summary.csv", &text);
    let e = error(&t);
    named(&e);
    assert!(e.contains("no column `se` in the header"), "{e}");

    // A garbled number, on line 3.
    let mut lines: Vec<&str> = good.lines().collect();
    let garbled = lines[2].replacen(",0.25,", ",0.2x5,", 1);
    lines[2] = &garbled;
    t.create("out/set/summary.csv", &(lines.join("\n") + "\n"));
    let e = error(&t);
    named(&e);
    assert!(
        e.contains("line 3: column `mean`: `0.2x5` is not a number"),
        "{e}"
    );

    // A row cut short.
    t.create("out/set/summary.csv", &(good.clone() + "one,even,a\n"));
    let e = error(&t);
    named(&e);
    assert!(e.contains("not a well-formed CSV file"), "{e}");

    // A measure this version does not know.
    t.create(
        "out/set/summary.csv",
        &good.replace(",npv_negative,", ",npv_negatives,"),
    );
    let e = error(&t);
    named(&e);
    assert!(e.contains("unknown measure `npv_negatives`"), "{e}");

    // No rows.
    t.create(
        "out/set/summary.csv",
        &(SET_SUMMARY_HEADER.join(",") + "\n"),
    );
    assert!(error(&t).contains("no rows"));

    // A sweep.csv without its value column.
    t.create("out/set/summary.csv", &good);
    t.create("out/set/sweep.csv", "scenario,input\none,a\n");
    let e = error(&t);
    assert!(
        e.starts_with(&t.join("out/set/sweep.csv").display().to_string())
            && e.contains("no column `value`"),
        "{e}"
    );

    // And from the command line: exit status 1 and the message, no page.
    enclave::publish::write_manifest(&t.join("out/set")).expect("the manifest");
    let o = t.cmd(&["report", "out/set"]);
    assert_eq!(o.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(stderr.contains("no column `value`"), "{stderr}");
    assert!(!Path::new(&t.join("out/set/report.html")).exists());

    // A sweep value that is not a number is listed, not charted.
    t.create(
        "out/set/sweep.csv",
        "scenario,input,value\none,firms.sectors,steel\n",
    );
    set_report::write(&t.join("out")).expect("the page");
    let page = t.read("out/set/report.html");
    assert!(
        page.contains("Not charted, as its values are not numbers: <code>firms.sectors</code>")
    );
    assert!(!page.contains("<svg"));

    // A summary cut at the end of a line still reads, as a smaller set: the
    // command checks the folder against the manifest the set wrote first.
    t.create("out/set/summary.csv", &good);
    enclave::publish::write_manifest(&t.join("out/set")).expect("the manifest");
    t.ok(&["report", "out/set"]);
    let lines = good.lines().count();
    let cut: String = good
        .lines()
        .take(lines - 3)
        .map(|l| format!("{l}\n"))
        .collect();
    t.create("out/set/summary.csv", &cut);
    let o = t.cmd(&["report", "out/set"]);
    assert_eq!(o.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(
        stderr.contains("summary.csv has ") && stderr.contains("the folder is damaged"),
        "{stderr}"
    );
}

/// The page in Chinese: headings, prose, table headers, units, measure
/// descriptions and chart text, with none of the English page's sentences; and
/// `enclave report DIR/set` keeps the language the page was written in unless
/// `--lang` says otherwise.
#[test]
fn a_chinese_page_has_chinese_text_and_report_keeps_its_language() {
    use enclave::i18n::Lang;
    let t = TestDir::new();
    let xs = [1.0, 2.0, 4.0];
    let scenarios: Vec<(String, f64)> = xs.iter().map(|x| (format!("r{x}"), 10.0 * x)).collect();
    let sweep: String = std::iter::once("scenario,input,value\n".to_owned())
        .chain(xs.iter().map(|x| format!("r{x},firms.arrival_rate,{x}\n")))
        .collect();
    write_set(&t, &scenarios, Some(&sweep));
    let out = t.join("out");
    let en = set_report::html(&out).expect("the English page");
    let zh = set_report::html_in(&out, Lang::Zh).expect("the Chinese page");
    assert!(zh.contains("<html lang=\"zh-Hans\">") && en.contains("<html lang=\"en\">"));
    for term in [
        "3 个情景的参数扫描：firms.arrival_rate",
        "各情景并列比较",
        "各地区在各分成方案下",
        "平均净现值",
        "亏损概率",
        "沙普利值",
        "园区（各分成方案下相同）",
        "地方留成税收池",
        "亩均税收",
        "指标说明",
        "按该地区贴现率计算的净现值",
        "净现值（情景的金额单位）",
        "全体参与概率",
        "园区：随 firms.arrival_rate 的变化",
        "每个小图给出一个指标",
    ] {
        assert!(zh.contains(term), "the Chinese page lacks {term:?}");
    }
    for english in [
        "The scenarios side by side",
        "Each region under each alternative",
        "Would every region sign",
        "The measures",
        "Each panel follows",
        "net present value at the region",
        "money unit of the scenario",
        "P(every region signs)",
        "against firms.arrival_rate",
        "paths each",
    ] {
        assert!(en.contains(english), "the English page lacks {english:?}");
        assert!(!zh.contains(english), "the Chinese page has {english:?}");
    }

    // `enclave report DIR/set` keeps the page's language; --lang changes it.
    set_report::write_in(&out, Lang::Zh).expect("the Chinese page");
    assert_eq!(set_report::page_lang(&out), Some(Lang::Zh));
    // (The pages below name the folder as given on the command line: compared by
    // their language and a heading.)
    let is_zh =
        |page: &str| page.contains("<h2>各情景并列比较</h2>") && !page.contains("side by side");
    t.ok(&["report", "out/set"]);
    assert!(
        is_zh(&t.read("out/set/report.html")),
        "report keeps Chinese"
    );
    t.ok(&["report", "out/set", "--lang", "en"]);
    assert!(
        t.read("out/set/report.html")
            .contains("<h2>The scenarios side by side</h2>")
    );
    assert_eq!(set_report::page_lang(&out), Some(Lang::En));
    t.ok(&["report", "out/set"]);
    assert_eq!(
        set_report::page_lang(&out),
        Some(Lang::En),
        "report keeps English"
    );
    // A page of an earlier version (`lang="zh-Hans"` on an English page) reads as
    // English: the title's suffix decides.
    t.create(
        "out/set/report.html",
        &en.replacen("<html lang=\"en\">", "<html lang=\"zh-Hans\">", 1),
    );
    assert_eq!(set_report::page_lang(&out), Some(Lang::En));

    // The language of a set: --lang, else the scenarios' own when they agree.
    assert_eq!(set_report::set_lang(Some(Lang::Zh), [Lang::En]), Lang::Zh);
    assert_eq!(set_report::set_lang(None, [Lang::Zh, Lang::Zh]), Lang::Zh);
    assert_eq!(set_report::set_lang(None, [Lang::Zh, Lang::En]), Lang::En);
    assert_eq!(set_report::set_lang(None, []), Lang::En);
}

/// A sweep with more distinct values of an input than a chart shows apart has
/// them grouped into [`set_report::CHART_POINTS`] bins: the page says so, each
/// panel draws at most that many points, and the points still rise with the
/// input (each bin at its scenarios' mean value).
#[test]
fn a_sweep_of_many_values_is_charted_in_bins() {
    let t = TestDir::new();
    let count = 3 * set_report::CHART_POINTS + 7;
    let scenarios: Vec<(String, f64)> = (0..count)
        .map(|i| (format!("s{i:04}"), 5.0 * i as f64))
        .collect();
    let mut sweep = "scenario,input,value\n".to_owned();
    for i in 0..count {
        sweep.push_str(&format!("s{i:04},firms.arrival_rate,{}\n", i as f64 / 10.0));
    }
    write_set(&t, &scenarios, Some(&sweep));
    set_report::write(&t.join("out")).expect("the set page");
    let page = t.read("out/set/report.html");
    assert!(page.contains(&format!(
        "The sweep has more values of <code>firms.arrival_rate</code> than a chart can show \
         apart: above {} values",
        set_report::CHART_POINTS
    )));
    assert!(page.contains(&format!(
        "The {count} values of this input are grouped into {} bins of equal width",
        set_report::CHART_POINTS
    )));
    let svg = figure_svg(&page, "sweep-1-alt-1");
    let pts = circles(svg, REGION_A, "4");
    assert_eq!(pts.len(), set_report::CHART_POINTS, "one marker per bin");
    assert!(
        pts.windows(2).all(|w| w[1].0 > w[0].0 && w[1].1 < w[0].1),
        "{pts:?}"
    );
    // The tables stay capped, pointing to summary.csv.
    assert!(page.contains(&format!(
        "The tables show the first {TABLE_SCENARIOS} of the {count} scenarios"
    )));
}

/// Runs the scenario files in `park/` as a `--summary-only` set into `out/`
/// (only the set's files: the page is made from them alone) and returns its
/// page, in English and, drawn again by `enclave report`, in Chinese.
fn summary_only_set(t: &TestDir, files: &[(&str, String)]) -> (String, String) {
    std::fs::create_dir_all(t.join("park")).expect("a folder");
    for (name, text) in files {
        t.create(&format!("park/{name}"), text);
    }
    t.ok(&[
        "run",
        "park",
        "--paths",
        "50",
        "--horizon",
        "4",
        "--summary-only",
        "--out",
        "out",
        "--quiet",
    ]);
    let en = t.read("out/set/report.html");
    t.ok(&["report", "out/set", "--lang", "zh"]);
    (en, t.read("out/set/report.html"))
}

/// The reference scenario under another id, with `extra` appended.
fn reference_as(id: &str, extra: &str) -> String {
    let mut text = REFERENCE.to_owned();
    common::replace_line(
        &mut text,
        "id = \"jilin-zhejiang\"",
        &format!("id = \"{id}\""),
    );
    text + extra
}

/// A set whose scenarios all count money in one unit and price base names it
/// where the page gives money — column headings, the tables' text, the measures'
/// units — in English and in Chinese (it said "money unit of the scenario"
/// beside the NPVs: exploratory test); runs.csv records it.
#[test]
fn a_set_of_one_money_unit_names_it_in_its_headings() {
    let t = TestDir::new();
    let three_party = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/scenarios/three-party.toml"
    ));
    let (en, zh) = summary_only_set(
        &t,
        &[
            ("a.toml", REFERENCE.to_owned()),
            ("b.toml", three_party.to_owned()),
        ],
    );
    let runs = t.read("out/set/runs.csv");
    let rows = common::csv_rows(&runs);
    assert_eq!(rows.len(), 2, "{runs}");
    for row in &rows {
        assert_eq!(
            (
                row["money_unit"].as_str(),
                row["yuan_per_unit"].as_str(),
                row["prices"].as_str()
            ),
            ("million CNY", "1000000", "2026"),
            "{runs}"
        );
    }
    let unit = "<span class=\"few\">million CNY, 2026 prices</span></th>";
    assert!(en.contains(&format!("mean NPV<br>{unit}")), "{en}");
    assert!(en.contains(&format!("taxes, all levels<br>{unit}")));
    assert!(en.contains("<span class=\"few\">million CNY per mu and year, 2026 prices</span>"));
    assert!(en.contains("Money is in million CNY, 2026 prices in every scenario."));
    assert!(!en.contains("money unit of the scenario"), "{en}");
    assert!(!en.contains("not comparable"));
    assert!(zh.contains("平均净现值<br><span class=\"few\">百万元，2026年价格</span></th>"));
    assert!(zh.contains("各情景的金额均以百万元，2026年价格计。"));
    assert!(!zh.contains("情景的金额单位"), "{zh}");
    // Each scenario by its name over its id (the page showed ids alone).
    for (row, page) in rows.iter().zip([&en, &zh]) {
        let name = &row["name"];
        assert!(!name.is_empty() && *name != row["scenario"]);
        let cell = format!("{name}<br><code>{}</code>", row["scenario"]);
        assert!(en.contains(&cell) && page.contains(&cell), "no {cell}");
    }
}

/// A set whose scenarios count money in different price bases (2026 prices,
/// 2006 prices, current prices) names each scenario's under its id and says
/// plainly, before any table, that their money figures are not comparable
/// directly (it put them in one column under "money unit of the scenario":
/// exploratory test).
#[test]
fn a_set_of_different_price_bases_says_so_and_names_each() {
    let t = TestDir::new();
    let suzhou = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/scenarios/suzhou-suqian.toml"
    ));
    let (en, zh) = summary_only_set(
        &t,
        &[
            ("a.toml", REFERENCE.to_owned()),
            ("b.toml", suzhou.to_owned()),
            (
                "c.toml",
                reference_as(
                    "current",
                    "\n[prices]\nbasis = \"nominal\"\ninflation = 0.02\n",
                ),
            ),
        ],
    );
    let prices: Vec<String> = common::csv_rows(&t.read("out/set/runs.csv"))
        .iter()
        .map(|r| format!("{} {}", r["scenario"], r["prices"]))
        .collect();
    assert_eq!(
        prices,
        [
            "jilin-zhejiang 2026",
            "suzhou-suqian 2006",
            "current current"
        ]
    );
    let notice = "<b>The scenarios do not all count money in one unit and price base</b>: \
                  million CNY, 2026 prices in 1 scenario(s); million CNY, 2006 prices in 1 \
                  scenario(s); million CNY, current prices in 1 scenario(s). Money figures (NPV, \
                  taxes, GDP, tax per mu) of scenarios with different units or price bases are \
                  not comparable directly";
    assert!(en.contains(notice), "{en}");
    // Before the tables.
    assert!(en.find(notice) < en.find("<h2>The scenarios side by side</h2>"));
    for (id, unit) in [
        ("jilin-zhejiang", "million CNY, 2026 prices"),
        ("suzhou-suqian", "million CNY, 2006 prices"),
        ("current", "million CNY, current prices"),
    ] {
        let cell = format!("<code>{id}</code><br><span class=\"few\">{unit}</span>");
        assert!(en.contains(&cell), "no {cell}");
    }
    assert!(en.contains(
        "Money is in each scenario's own money unit and price base, named under its id: they \
         differ between the scenarios, and money figures of different ones are not comparable \
         directly."
    ));
    // No heading claims one unit for the column.
    assert!(!en.contains("mean NPV<br><span class=\"few\">million CNY"));
    assert!(zh.contains("<b>各情景的金额单位或价格基准不同</b>：1 个情景为百万元，2026年价格；1 个情景为百万元，2006年价格；1 个情景为百万元，当年价格。"));
    assert!(
        zh.contains("<code>suzhou-suqian</code><br><span class=\"few\">百万元，2006年价格</span>")
    );
    assert!(zh.contains("不能直接比较"));
}

/// A sweep's charts name the set's one money unit and price base on their
/// money axes (each region's NPV, the park's taxes and GDP), say
/// that they differ when they do, and a set written before runs.csv recorded
/// money (no such columns, or no runs.csv at all) keeps the page it had.
#[test]
fn sweep_axes_name_the_money_and_an_old_runs_csv_keeps_its_wording() {
    let t = TestDir::new();
    let xs = [1.0, 2.0, 4.0];
    let scenarios: Vec<(String, f64)> = xs.iter().map(|x| (format!("r{x}"), 10.0 * x)).collect();
    let sweep: String = std::iter::once("scenario,input,value\n".to_owned())
        .chain(xs.iter().map(|x| format!("r{x},firms.arrival_rate,{x}\n")))
        .collect();
    write_set(&t, &scenarios, Some(&sweep));
    let out = t.join("out");
    let runs = |header: &str, cells: &dyn Fn(usize) -> String| {
        let mut text = format!("{header}\n");
        for (i, (id, _)) in scenarios.iter().enumerate() {
            text.push_str(&format!(
                "{id},{id}.toml,00,7,500,5,off,enclave 0,x,no{}\n",
                cells(i)
            ));
        }
        t.create("out/set/runs.csv", &text);
        set_report::html(&out).expect("the page")
    };
    let header = enclave::output::SET_RUNS_HEADER.join(",");
    // A sweep's variants share the base's name: the page shows their ids.
    let page = runs(&header, &|_| ",万元,10000,2020,the base".to_owned());
    assert!(!page.contains("the base"));
    for axis in [
        "NPV (万元, 2020 prices)",
        "tax_total (万元, 2020 prices)",
        "gdp (万元, 2020 prices)",
    ] {
        assert!(page.contains(axis), "no axis {axis:?}");
    }
    assert!(page.contains("NPV is in 万元, 2020 prices;"));
    let zh = set_report::html_in(&out, enclave::i18n::Lang::Zh).expect("the Chinese page");
    assert!(zh.contains("净现值（万元，2020年价格）"));

    let page = runs(&header, &|i| {
        format!(
            ",万元,10000,{},the base",
            if i == 0 { "2020" } else { "current" }
        )
    });
    assert!(page.contains("NPV (unit and price base differ by scenario)"));
    assert!(page.contains("gdp (unit and price base differ by scenario)"));
    assert!(page.contains("NPV is in each scenario's money unit and price base, which differ"));
    assert!(
        page.contains("万元, 2020 prices in 1 scenario(s); 万元, current prices in 2 scenario(s)")
    );

    // runs.csv as sets wrote it before the money columns, and no runs.csv: the
    // page as it was.
    let old = "scenario,file,sha256,seed,paths,horizon,fairness,engine,math,folder";
    let legacy = |page: &str| {
        assert!(page.contains("NPV (money unit of the scenario)"));
        assert!(page.contains("mean NPV<br><span class=\"few\">money unit of the scenario</span>"));
        assert!(page.contains("Money is in each scenario's own money unit. A figure"));
        assert!(page.contains("NPV is in the scenario's money unit;"));
        assert!(!page.contains("not comparable"));
    };
    legacy(&runs(old, &|_| String::new()));
    std::fs::remove_file(t.join("out/set/runs.csv")).expect("remove runs.csv");
    legacy(&set_report::html(&out).expect("the page"));
}

/// A set whose scenarios run over different horizons says so before its tables,
/// with how many run over each (its header gave only the first scenario's, and
/// 8- and 6-year totals sat side by side: exploratory test); a set of one horizon
/// does not.
#[test]
fn a_set_of_different_horizons_says_so() {
    let with_horizon = |id: &str, years: &str| {
        let mut text = reference_as(id, "");
        let line = REFERENCE
            .lines()
            .find(|l| l.starts_with("horizon = "))
            .expect("a horizon line");
        common::replace_line(&mut text, line, &format!("horizon = {years}"));
        text
    };
    let t = TestDir::new();
    std::fs::create_dir_all(t.join("park")).expect("a folder");
    t.create("park/a.toml", &with_horizon("a", "5"));
    t.create("park/b.toml", &with_horizon("b", "3"));
    t.create("park/c.toml", &with_horizon("c", "3"));
    let run = [
        "run",
        "park",
        "--paths",
        "20",
        "--summary-only",
        "--out",
        "out",
        "--quiet",
    ];
    t.ok(&run);
    let en = t.read("out/set/report.html");
    let notice = "<b>The scenarios are not all simulated over one horizon</b>: 3 years in 2 \
                  scenario(s); 5 years in 1 scenario(s).";
    assert!(en.contains(notice), "{en}");
    assert!(en.find(notice) < en.find("<h2>The scenarios side by side</h2>"));
    t.ok(&["report", "out/set", "--lang", "zh"]);
    let zh = t.read("out/set/report.html");
    assert!(
        zh.contains("<b>各情景的模拟期不同</b>：2 个情景为 3 年；1 个情景为 5 年。"),
        "{zh}"
    );
    // One horizon: no notice.
    t.ok(&[
        "run",
        "park",
        "--paths",
        "20",
        "--summary-only",
        "--out",
        "one",
        "--quiet",
        "--horizon",
        "3",
    ]);
    assert!(!t.read("one/set/report.html").contains("one horizon"));
}
