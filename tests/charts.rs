//! Tests of the charts: every chart renders as a readable PNG and a well-formed SVG
//! for the reference scenario and for a five-region scenario with Chinese names;
//! Chinese text really is drawn into the PNGs; `enclave report` redraws exactly
//! what `enclave run` drew; `--charts` picks the files written; and no system
//! font library creeps back into the build.
//!
//! Every test runs the real binary on a small run (300 paths, 15 years) in a fresh
//! temporary folder and reads the results back with [`Results::load`].

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use ab_glyph::Font;
use common::TestDir;
use enclave::chart::{self, Chart, ChartKind, FONT, region_colour};
use enclave::results::Results;
use image::RgbImage;

const REFERENCE_PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/jilin-zhejiang.toml");
const FIVE_PATH: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/five-regions.toml"
);
const REFERENCE_ID: &str = "jilin-zhejiang";
const FIVE_ID: &str = "five-regions";

/// Luminance variance (luminance 0–255, Rec. 601 weights) a chart must exceed.
/// Measured at 300 paths: a white image has 0; a white image with only a thin
/// black frame 179; the real charts of both scenarios 780 (five-region violins)
/// to 2 300 (reference alternatives). 250 rejects the white and frame-only images
/// and leaves the sparsest real chart a factor of three above it.
const MIN_LUMA_VARIANCE: f64 = 250.0;

/// Share of pixels that must be clearly non-white (luminance below 240, which
/// leaves out plotters' faint 250-grey minor grid). White has 0%; the charts drawn
/// with their data removed (title, legend, axes and grid only) 2.2% to 3.9%; the
/// real charts 9.9% to 23%. 6% sits between the two, so this also catches a chart
/// that lost its data, which the variance alone does not (text and axes already
/// give an empty chart a variance of 360 to 690).
const MIN_INK_SHARE: f64 = 0.06;

// ---------------------------------------------------------------------------
// Harness

/// A small run of `scenarios` into `<tmp>/out` with `--charts charts`.
fn run(scenarios: &[&str], charts: &str) -> TestDir {
    let t = TestDir::new();
    let mut args = vec!["run"];
    args.extend_from_slice(scenarios);
    args.extend_from_slice(&[
        "--out",
        "out",
        "--paths",
        "300",
        "--horizon",
        "15",
        "--seed",
        "11",
        "--threads",
        "2",
        "--charts",
        charts,
        "--quiet",
    ]);
    t.ok(&args);
    t
}

fn results_dir(t: &TestDir, id: &str) -> PathBuf {
    t.join("out").join(id)
}

fn load(dir: &Path) -> Results {
    Results::load(dir).unwrap_or_else(|e| panic!("load {}: {e:#}", dir.display()))
}

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

/// The file names in `dir`, sorted.
fn file_names(dir: &Path) -> BTreeSet<String> {
    std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("read {}: {e}", dir.display()))
        .map(|e| {
            e.expect("folder entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect()
}

// ---------------------------------------------------------------------------
// Pixels

fn luma(p: &image::Rgb<u8>) -> f64 {
    0.299 * f64::from(p[0]) + 0.587 * f64::from(p[1]) + 0.114 * f64::from(p[2])
}

/// The variance of pixel luminance and the share of clearly non-white pixels.
fn pixel_stats(img: &RgbImage) -> (f64, f64) {
    let n = f64::from(img.width()) * f64::from(img.height());
    let (mut sum, mut sum2, mut ink) = (0.0, 0.0, 0u64);
    for p in img.pixels() {
        let y = luma(p);
        sum += y;
        sum2 += y * y;
        if y < 240.0 {
            ink += 1;
        }
    }
    let mean = sum / n;
    ((sum2 / n - mean * mean).max(0.0), ink as f64 / n)
}

fn decode(png: &[u8], what: &str) -> RgbImage {
    image::load_from_memory(png)
        .unwrap_or_else(|e| panic!("{what}: PNG does not decode: {e}"))
        .to_rgb8()
}

// ---------------------------------------------------------------------------
// SVG

/// The SVG's root size and the trimmed text of each of its text nodes.
fn svg_texts(svg: &str, what: &str) -> ((u32, u32), Vec<String>) {
    let doc =
        roxmltree::Document::parse(svg).unwrap_or_else(|e| panic!("{what}: SVG is not XML: {e}"));
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "svg", "{what}: root element");
    let dim = |a: &str| -> u32 {
        root.attribute(a)
            .unwrap_or_else(|| panic!("{what}: <svg> has no {a}"))
            .parse()
            .unwrap_or_else(|e| panic!("{what}: <svg {a}> is not an integer: {e}"))
    };
    let texts = doc
        .descendants()
        .filter(|n| n.is_text())
        .filter_map(|n| n.text())
        .map(|t| t.trim().to_owned())
        .filter(|t| !t.is_empty())
        .collect();
    ((dim("width"), dim("height")), texts)
}

/// Checks every chart of the run folder `dir`: the PNG and SVG files written by
/// the run are what the library renders from the folder, decode to the chart's
/// size, are not blank, and name what they should.
fn check_all_charts(dir: &Path) {
    let res = load(dir);
    let scn = &res.scenario;
    let charts = chart::charts(&res);
    assert_eq!(charts.len(), 5 + scn.alternatives.len(), "{}", scn.id);
    let charts_dir = dir.join("charts");
    let mut expected_files = BTreeSet::new();
    for c in &charts {
        let what = format!("{}/{}", scn.id, c.stem);
        expected_files.insert(format!("{}.png", c.stem));
        expected_files.insert(format!("{}.svg", c.stem));

        // PNG: what the run wrote, as the library draws it, of the right size, not blank.
        let png = read(&charts_dir.join(format!("{}.png", c.stem)));
        let rendered = chart::render_png(c, &res).unwrap_or_else(|e| panic!("{what}: {e}"));
        assert!(
            png == rendered,
            "{what}: the run's PNG differs from render_png"
        );
        let img = decode(&png, &what);
        assert_eq!(img.dimensions(), c.size, "{what}: PNG size");
        let (variance, ink) = pixel_stats(&img);
        eprintln!(
            "{what}: {}x{} luminance variance {variance:.0}, ink {:.1}%",
            c.size.0,
            c.size.1,
            100.0 * ink
        );
        assert!(
            variance > MIN_LUMA_VARIANCE,
            "{what}: PNG looks blank: luminance variance {variance:.1} ≤ {MIN_LUMA_VARIANCE}"
        );
        assert!(
            ink > MIN_INK_SHARE,
            "{what}: PNG looks blank: only {:.2}% of pixels are non-white",
            100.0 * ink
        );

        // SVG: what the run wrote, well-formed, the right size, with the right names.
        let svg_bytes = read(&charts_dir.join(format!("{}.svg", c.stem)));
        let svg = String::from_utf8(svg_bytes).expect("SVG is UTF-8");
        let rendered = chart::render_svg(c, &res).unwrap_or_else(|e| panic!("{what}: {e}"));
        assert!(
            svg == rendered,
            "{what}: the run's SVG differs from render_svg"
        );
        let (size, texts) = svg_texts(&svg, &what);
        assert_eq!(size, c.size, "{what}: <svg> width and height");
        if matches!(c.kind, ChartKind::Park | ChartKind::ParkPerformance) {
            let title = format!("{}: {}", c.title, scn.name);
            assert!(
                texts.contains(&title),
                "{what}: no text node {title:?} in {texts:?}"
            );
        } else {
            assert!(
                texts.contains(&c.title),
                "{what}: no title text node {:?} in {texts:?}",
                c.title
            );
            for region in &scn.regions {
                let n = texts.iter().filter(|t| **t == region.name).count();
                // The legend names every region; a fan chart also titles each
                // region's panel with its name.
                let want = if matches!(c.kind, ChartKind::CashFlowFan(_)) {
                    2
                } else {
                    1
                };
                assert_eq!(
                    n, want,
                    "{what}: region name {:?} appears {n} times among the text nodes {texts:?}",
                    region.name
                );
            }
        }
        if matches!(
            c.kind,
            ChartKind::NpvDistribution | ChartKind::Alternatives | ChartKind::Fairness
        ) {
            for alt in &scn.alternatives {
                assert!(
                    texts.contains(&alt.name),
                    "{what}: no row label {:?} in {texts:?}",
                    alt.name
                );
            }
        }
        // Every character the chart shows is in the bundled font (no tofu, no gaps).
        let font = BundledFont::parse();
        for t in &texts {
            for ch in t.chars().filter(|c| !c.is_whitespace()) {
                assert_ne!(
                    font.0.glyph_id(ch).0,
                    0,
                    "{what}: the bundled font has no glyph for {ch:?} (U+{:04X}) in {t:?}",
                    ch as u32
                );
            }
        }
    }
    assert_eq!(
        file_names(&charts_dir),
        expected_files,
        "{}: files in charts/",
        scn.id
    );
}

/// The bundled font, parsed.
struct BundledFont(ab_glyph::FontRef<'static>);

impl BundledFont {
    fn parse() -> BundledFont {
        BundledFont(ab_glyph::FontRef::try_from_slice(FONT).expect("the bundled font parses"))
    }
}

#[test]
fn every_chart_renders_for_the_reference_and_a_five_region_scenario() {
    let tmp = run(&[REFERENCE_PATH, FIVE_PATH], "both");
    check_all_charts(&results_dir(&tmp, REFERENCE_ID));
    check_all_charts(&results_dir(&tmp, FIVE_ID));
    // The fixture really is the five-region case with the bank as an investor.
    let five = load(&results_dir(&tmp, FIVE_ID));
    assert_eq!(five.scenario.regions.len(), 5);
    assert_eq!(five.scenario.regions[4].name, "中国银行 Bank of China");
}

#[test]
fn blank_images_fail_the_thresholds() {
    // The thresholds must reject what they are meant to: a white image, and a
    // white image with a thin black frame (an empty chart's axes).
    let white = RgbImage::from_pixel(1200, 420, image::Rgb([255, 255, 255]));
    let (v, ink) = pixel_stats(&white);
    assert!(v < 1e-9 && ink < 1e-12, "white: variance {v}, ink {ink}");
    let mut framed = white.clone();
    for x in 80..1170 {
        framed.put_pixel(x, 380, image::Rgb([0, 0, 0]));
    }
    for y in 80..380 {
        framed.put_pixel(80, y, image::Rgb([0, 0, 0]));
    }
    let (v, ink) = pixel_stats(&framed);
    assert!(
        v < MIN_LUMA_VARIANCE && ink < MIN_INK_SHARE,
        "axes only: variance {v}, ink {ink}"
    );
}

#[test]
fn charts_without_data_fail_the_ink_threshold() {
    // Every chart drawn from a results folder whose CSV rows are gone has its
    // title, legend, axes and grid but nothing else: the ink threshold must
    // call it blank, or the threshold would not detect a chart that lost its data.
    let tmp = run(&[FIVE_PATH], "none");
    let mut res = load(&results_dir(&tmp, FIVE_ID));
    res.summary.clear();
    res.timeseries.clear();
    res.distribution.clear();
    res.fairness.clear();
    for c in chart::charts(&res) {
        let img = decode(
            &chart::render_png(&c, &res).unwrap_or_else(|e| panic!("{}: {e}", c.stem)),
            &c.stem,
        );
        let (variance, ink) = pixel_stats(&img);
        eprintln!(
            "{} without data: luminance variance {variance:.0}, ink {:.1}%",
            c.stem,
            100.0 * ink
        );
        assert!(
            ink < MIN_INK_SHARE,
            "{} without data has {:.1}% ink, above the {:.0}% threshold for a real chart",
            c.stem,
            100.0 * ink,
            100.0 * MIN_INK_SHARE
        );
    }
}

// ---------------------------------------------------------------------------
// Chinese in the PNGs

/// Rows of the legend strip under the title (the swatches span y 52..=68).
const LEGEND_ROWS: std::ops::Range<u32> = 42..78;
/// The row through the middle of the swatches.
const SWATCH_ROW: u32 = 60;

/// The NPV chart of `res` with the regions' display names replaced by `names`.
fn npv_png_with_names(res: &Results, names: &[&str]) -> RgbImage {
    let mut res = res.clone();
    assert_eq!(res.scenario.regions.len(), names.len());
    for (r, name) in res.scenario.regions.iter_mut().zip(names) {
        r.name = (*name).to_owned();
    }
    let charts = chart::charts(&res);
    let c: &Chart = charts
        .iter()
        .find(|c| c.kind == ChartKind::NpvDistribution)
        .expect("an NPV chart");
    decode(
        &chart::render_png(c, &res).expect("render the NPV chart"),
        "NPV chart",
    )
}

fn is_swatch(p: &image::Rgb<u8>, n_regions: usize) -> bool {
    (0..n_regions).any(|i| {
        let c = region_colour(i);
        p.0 == [c.0, c.1, c.2]
    })
}

/// The x ranges of the legend swatches in region order (each a run of at least 20
/// pixels of the region's exact colour along the swatch row).
fn swatches(img: &RgbImage, n_regions: usize) -> Vec<std::ops::Range<u32>> {
    (0..n_regions)
        .map(|i| {
            let c = region_colour(i);
            let colour = [c.0, c.1, c.2];
            let mut runs = Vec::new();
            let mut x = 0;
            while x < img.width() {
                if img.get_pixel(x, SWATCH_ROW).0 == colour {
                    let start = x;
                    while x < img.width() && img.get_pixel(x, SWATCH_ROW).0 == colour {
                        x += 1;
                    }
                    if x - start >= 20 {
                        runs.push(start..x);
                    }
                } else {
                    x += 1;
                }
            }
            assert_eq!(
                runs.len(),
                1,
                "region {i}: expected one swatch in the legend row, found {runs:?}"
            );
            runs.remove(0)
        })
        .collect()
}

/// Dark and anti-aliased grey pixels in the legend strip between x0 and x1.
fn text_pixels(img: &RgbImage, x0: u32, x1: u32) -> (u32, u32) {
    let (mut dark, mut grey) = (0, 0);
    for y in LEGEND_ROWS {
        for x in x0..x1 {
            let p = img.get_pixel(x, y);
            let l = luma(p);
            let chroma = p.0.iter().max().unwrap_or(&0) - p.0.iter().min().unwrap_or(&0);
            if l < 96.0 {
                dark += 1;
            } else if l < 224.0 && chroma < 24 {
                grey += 1;
            }
        }
    }
    (dark, grey)
}

/// Pixels of the legend strip that are neither white nor a swatch.
fn legend_ink(img: &RgbImage, n_regions: usize) -> u32 {
    let mut n = 0;
    for y in LEGEND_ROWS {
        for x in 0..img.width() {
            let p = img.get_pixel(x, y);
            if p.0 != [255, 255, 255] && !is_swatch(p, n_regions) {
                n += 1;
            }
        }
    }
    n
}

#[test]
fn chinese_names_are_drawn_in_the_png_legend() {
    let tmp = run(&[FIVE_PATH], "none");
    let res = load(&results_dir(&tmp, FIVE_ID));
    let n = res.scenario.regions.len();

    // The real names: dark, anti-aliased text right of every swatch.
    let names: Vec<String> = res
        .scenario
        .regions
        .iter()
        .map(|r| r.name.clone())
        .collect();
    let name_refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let check_text_right_of_swatches = |img: &RgbImage, label: &str| {
        let sw = swatches(img, n);
        for i in 0..n {
            let x0 = sw[i].end + 1;
            let x1 = if i + 1 < n {
                sw[i + 1].start
            } else {
                img.width()
            };
            let (dark, grey) = text_pixels(img, x0, x1);
            assert!(
                dark >= 20 && grey >= 20,
                "{label}: legend entry {i} ({:?}) has {dark} dark and {grey} anti-aliased \
                 pixels right of its swatch (x {x0}..{x1}); expected text",
                names[i]
            );
        }
    };
    check_text_right_of_swatches(&npv_png_with_names(&res, &name_refs), "real names");

    // Names made only of Chinese characters: whatever ink the legend has is theirs.
    let chinese = ["浙江", "吉林", "延边州", "长春新区", "中国银行"];
    let reversed: Vec<String> = chinese.iter().map(|s| s.chars().rev().collect()).collect();
    let reversed: Vec<&str> = reversed.iter().map(String::as_str).collect();
    let with_chinese = npv_png_with_names(&res, &chinese);
    let with_reversed = npv_png_with_names(&res, &reversed);
    let with_empty = npv_png_with_names(&res, &[""; 5]);
    check_text_right_of_swatches(&with_chinese, "Chinese-only names");

    let ink_chinese = legend_ink(&with_chinese, n);
    let ink_empty = legend_ink(&with_empty, n);
    eprintln!("legend ink: Chinese names {ink_chinese} px, empty names {ink_empty} px");
    assert_eq!(
        ink_empty, 0,
        "with empty names the legend strip should hold only swatches"
    );
    assert!(
        ink_chinese >= 600,
        "Chinese-only names put only {ink_chinese} text pixels into the legend strip"
    );

    // The same characters in another order: the layout is the same (CJK glyphs are
    // all one em wide) but the pixels must differ, so each character is drawn as
    // its own glyph and not as one shared "missing glyph" box.
    assert_eq!(
        swatches(&with_chinese, n),
        swatches(&with_reversed, n),
        "reversing the names should not move the swatches"
    );
    let mut differ = 0;
    for y in LEGEND_ROWS {
        for x in 0..with_chinese.width() {
            if with_chinese.get_pixel(x, y) != with_reversed.get_pixel(x, y) {
                differ += 1;
            }
        }
    }
    eprintln!("legend pixels differing between names and reversed names: {differ}");
    assert!(
        f64::from(differ) >= 0.4 * f64::from(ink_chinese),
        "reversed Chinese names change only {differ} of {ink_chinese} legend pixels: \
         the glyphs look alike (missing-glyph boxes?)"
    );
}

/// The width in pixels of each legend name in the PNG (from where the text starts,
/// 30 px right of the swatch's left edge, to its last inked column).
fn png_legend_widths(img: &RgbImage, n: usize) -> Vec<u32> {
    let sw = swatches(img, n);
    (0..n)
        .map(|i| {
            let x0 = sw[i].start + 30;
            let x1 = if i + 1 < n {
                sw[i + 1].start
            } else {
                img.width()
            };
            let last = (x0..x1)
                .rev()
                .find(|&x| text_pixels(img, x, x + 1) != (0, 0))
                .unwrap_or_else(|| panic!("legend entry {i} has no text"));
            last + 1 - x0
        })
        .collect()
}

/// The width in pixels each legend name takes in the SVG: its glyph advances in
/// the bundled font at the SVG's `font-size` (what a browser draws with the
/// report's embedded font).
fn svg_legend_widths(svg: &str, names: &[String]) -> Vec<f64> {
    use ab_glyph::ScaleFont as _;
    let font = BundledFont::parse();
    let doc = roxmltree::Document::parse(svg).expect("SVG parses");
    names
        .iter()
        .map(|name| {
            let node = doc
                .descendants()
                .find(|n| n.is_element() && n.text().map(str::trim) == Some(name.as_str()))
                .unwrap_or_else(|| panic!("no <text> {name:?}"));
            let font_size: f32 = node
                .attribute("font-size")
                .expect("font-size")
                .parse()
                .expect("numeric font-size");
            let upem = font.0.units_per_em().expect("units per em");
            let scaled = font.0.as_scaled(ab_glyph::PxScale::from(
                font_size * (font.0.ascent_unscaled() - font.0.descent_unscaled()) / upem,
            ));
            f64::from(
                name.chars()
                    .map(|c| scaled.h_advance(font.0.glyph_id(c)))
                    .sum::<f32>(),
            )
        })
        .collect()
}

#[test]
fn svg_text_is_as_wide_as_png_text() {
    let tmp = run(&[FIVE_PATH], "none");
    let res = load(&results_dir(&tmp, FIVE_ID));
    let names: Vec<String> = res
        .scenario
        .regions
        .iter()
        .map(|r| r.name.clone())
        .collect();
    let charts = chart::charts(&res);
    let c = &charts[0];
    let png = decode(&chart::render_png(c, &res).expect("render PNG"), &c.stem);
    let svg = chart::render_svg(c, &res).expect("render SVG");
    let png_w = png_legend_widths(&png, names.len());
    let svg_w = svg_legend_widths(&svg, &names);
    let mut wrong = Vec::new();
    for (i, name) in names.iter().enumerate() {
        let (p, s) = (f64::from(png_w[i]), svg_w[i]);
        // The PNG is measured from ink to ink, the SVG by advances, which add the
        // last glyph's right side bearing: hence the 2 px.
        if (s - p).abs() > 0.05 * p + 2.0 {
            wrong.push(format!("{name:?}: {p} px in the PNG, {s:.1} px in the SVG"));
        }
    }
    assert!(
        wrong.is_empty(),
        "legend names are not as wide in the SVG as in the PNG:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn the_bundled_font_has_every_chinese_character_of_the_scenarios() {
    let font = BundledFont::parse();
    for path in [
        REFERENCE_PATH,
        FIVE_PATH,
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/scenarios/shenzhen-shanwei.toml"
        ),
    ] {
        let text = std::fs::read_to_string(path).expect("read scenario");
        let scn = enclave::scenario::Scenario::parse(&text, path)
            .unwrap_or_else(|e| panic!("{path}: {e:?}"));
        let mut shown: Vec<String> = vec![scn.name.clone(), scn.money_unit.clone()];
        shown.extend(scn.regions.iter().map(|r| r.name.clone()));
        shown.extend(scn.alternatives.iter().map(|a| a.name.clone()));
        for s in &shown {
            for ch in s.chars().filter(|c| !c.is_ascii()) {
                assert_ne!(
                    font.0.glyph_id(ch).0,
                    0,
                    "{path}: the bundled font has no glyph for {ch:?} in {s:?}"
                );
            }
        }
    }
}

// ---------------------------------------------------------------------------
// enclave report and --charts

#[test]
fn enclave_report_redraws_the_same_bytes() {
    let tmp = run(&[REFERENCE_PATH, FIVE_PATH], "both");
    for id in [REFERENCE_ID, FIVE_ID] {
        let dir = results_dir(&tmp, id);
        let saved = tmp.path().join(format!("saved-{id}"));
        std::fs::create_dir(&saved).expect("create saved folder");
        std::fs::rename(dir.join("charts"), saved.join("charts")).expect("move charts aside");
        std::fs::rename(dir.join("report.html"), saved.join("report.html"))
            .expect("move report aside");
        assert!(!dir.join("charts").exists() && !dir.join("report.html").exists());

        tmp.ok(&["report", &format!("out/{id}")]);
        enclave::publish::verify(&dir).expect("report leaves a folder that matches its manifest");

        let before = file_names(&saved.join("charts"));
        let after = file_names(&dir.join("charts"));
        assert_eq!(before, after, "{id}: chart files");
        assert_eq!(before.len(), 2 * chart::charts(&load(&dir)).len());
        for name in &before {
            assert!(
                read(&saved.join("charts").join(name)) == read(&dir.join("charts").join(name)),
                "{id}: charts/{name} differs after enclave report"
            );
        }
        assert!(
            read(&saved.join("report.html")) == read(&dir.join("report.html")),
            "{id}: report.html differs after enclave report"
        );
    }
}

/// Number of inline `<svg` elements in the report.
fn inline_svgs(report: &str) -> usize {
    report.matches("<svg ").count()
}

#[test]
fn charts_flag_chooses_the_files_and_the_report_always_has_the_charts() {
    for (flag, png, svg) in [
        ("none", false, false),
        ("svg", false, true),
        ("png", true, false),
    ] {
        let tmp = run(&[REFERENCE_PATH], flag);
        let dir = results_dir(&tmp, REFERENCE_ID);
        let charts = chart::charts(&load(&dir));
        let report = String::from_utf8(read(&dir.join(enclave::report::REPORT_FILE)))
            .expect("report is UTF-8");
        assert_eq!(
            inline_svgs(&report),
            charts.len(),
            "--charts {flag}: the report should show every chart inline"
        );
        for c in &charts {
            assert!(
                report.contains(&format!("<figure id=\"{}\" ", c.stem)),
                "--charts {flag}: no figure for {}",
                c.stem
            );
        }
        let charts_dir = dir.join("charts");
        if !png && !svg {
            assert!(
                !charts_dir.exists(),
                "--charts none should write no charts/ folder"
            );
            continue;
        }
        let mut expected = BTreeSet::new();
        for c in &charts {
            if png {
                expected.insert(format!("{}.png", c.stem));
            }
            if svg {
                expected.insert(format!("{}.svg", c.stem));
            }
        }
        assert_eq!(
            file_names(&charts_dir),
            expected,
            "--charts {flag}: files in charts/"
        );
    }
}

// ---------------------------------------------------------------------------
// Build

#[test]
fn no_system_font_library_is_a_dependency() {
    let root = env!("CARGO_MANIFEST_DIR");
    let lock = std::fs::read_to_string(format!("{root}/Cargo.lock")).expect("read Cargo.lock");
    let lock: toml::Table = toml::from_str(&lock).expect("Cargo.lock is TOML");
    let packages: BTreeSet<&str> = lock["package"]
        .as_array()
        .expect("[[package]] entries")
        .iter()
        .filter_map(|p| p.get("name").and_then(toml::Value::as_str))
        .collect();
    assert!(
        packages.contains("plotters") && packages.contains("ab_glyph"),
        "Cargo.lock should list plotters and ab_glyph"
    );
    for banned in [
        "font-kit",
        "servo-fontconfig",
        "servo-fontconfig-sys",
        "yeslogic-fontconfig-sys",
        "fontconfig",
        "freetype",
        "freetype-sys",
        "freetype-rs",
        "core-text",
        "dwrote",
        "expat-sys",
    ] {
        assert!(
            !packages.contains(banned),
            "Cargo.lock depends on {banned}: a system font library is back (use plotters' \
             ab_glyph feature and the bundled font)"
        );
    }

    let manifest = std::fs::read_to_string(format!("{root}/Cargo.toml")).expect("read Cargo.toml");
    let manifest: toml::Table = toml::from_str(&manifest).expect("Cargo.toml is TOML");
    let plotters = manifest["dependencies"]["plotters"]
        .as_table()
        .expect("plotters is given as a table with features");
    assert_eq!(
        plotters
            .get("default-features")
            .and_then(toml::Value::as_bool),
        Some(false),
        "plotters must have default-features = false (the defaults pull in font-kit)"
    );
    let features: Vec<&str> = plotters
        .get("features")
        .and_then(toml::Value::as_array)
        .expect("plotters features")
        .iter()
        .filter_map(toml::Value::as_str)
        .collect();
    assert!(
        features.contains(&"ab_glyph"),
        "plotters features {features:?} lack ab_glyph"
    );
    assert!(
        !features.contains(&"ttf"),
        "plotters features {features:?} include ttf (font-kit and the system font libraries)"
    );
}

// ---------------------------------------------------------------------------
// Huge values

/// `res` with every statistic scaled so the largest magnitude becomes `top`.
fn scaled_to(res: &Results, top: f64) -> Results {
    let mut res = res.clone();
    let mut largest = 0.0f64;
    for s in &res.summary {
        for v in [s.mean, s.p05, s.p95].into_iter().flatten() {
            largest = largest.max(v.abs());
        }
    }
    for s in &res.timeseries {
        for v in [s.p05, s.p50, s.p95].into_iter().flatten() {
            largest = largest.max(v.abs());
        }
    }
    for q in &res.distribution {
        largest = largest.max(q.value.map_or(0.0, f64::abs));
    }
    let k = top / largest;
    let scale = |v: &mut Option<f64>| *v = v.map(|x| (x * k).clamp(-top, top));
    for s in &mut res.summary {
        for v in [
            &mut s.mean,
            &mut s.p05,
            &mut s.p25,
            &mut s.p50,
            &mut s.p75,
            &mut s.p95,
        ] {
            scale(v);
        }
    }
    for s in &mut res.timeseries {
        for v in [
            &mut s.mean,
            &mut s.p05,
            &mut s.p25,
            &mut s.p50,
            &mut s.p75,
            &mut s.p95,
        ] {
            scale(v);
        }
    }
    for q in &mut res.distribution {
        scale(&mut q.value);
    }
    // Probabilities among them too: charts clamp those into [0, 1].
    for f in &mut res.fairness {
        scale(&mut f.mean);
    }
    res
}

#[test]
fn charts_of_values_near_the_double_range_end_with_an_error_instead_of_looping() {
    // Regression: with values ≥ about 1e307 the axis span overflowed to inf and
    // plotters' tick search never returned (in `run`, even with `--charts none`,
    // and in `report`). This test would hang before the fix.
    let tmp = run(&[REFERENCE_PATH], "none");
    let res = load(&results_dir(&tmp, REFERENCE_ID));
    let huge = scaled_to(&res, 1.7e308);
    for c in chart::charts(&huge) {
        let svg = chart::render_svg(&c, &huge).expect_err("refused");
        let png = chart::render_png(&c, &huge).expect_err("refused");
        assert_eq!(svg.to_string(), png.to_string());
        let message = svg.to_string();
        let expected = format!("cannot draw chart {}: a value of ", c.stem);
        assert!(
            message.starts_with(&expected)
                && message.ends_with("is beyond ±1e100, the largest result a run writes"),
            "{message}"
        );
    }
    // Up to the largest result a run writes, every chart draws (ticks in e-notation).
    let big = scaled_to(&res, 1e100);
    for c in chart::charts(&big) {
        let svg = chart::render_svg(&c, &big).unwrap_or_else(|e| panic!("{e}"));
        let e_ticks = ["e98", "e99", "e100"];
        assert!(e_ticks.iter().any(|t| svg.contains(t)), "{}: {svg}", c.stem);
    }
}

#[test]
fn enclave_report_refuses_a_folder_with_values_beyond_the_largest_result() {
    let tmp = run(&[REFERENCE_PATH], "none");
    let dir = results_dir(&tmp, REFERENCE_ID);
    // The NPV quantiles of distribution.csv, edited to 1.5e308 in magnitude.
    let path = dir.join("distribution.csv");
    let text = String::from_utf8(read(&path)).expect("utf-8");
    let mut lines: Vec<String> = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if i == 1 {
            let (head, _) = line.rsplit_once(',').expect("a value cell");
            lines.push(format!("{head},1.5e308"));
        } else {
            lines.push(line.to_owned());
        }
    }
    std::fs::write(&path, lines.join("\n") + "\n").expect("write");
    // The manifest is rewritten to match, so the check that is reached is the chart's.
    enclave::publish::write_manifest(&dir).expect("rewrite the manifest");
    let out = tmp.cmd(&["report", "out/jilin-zhejiang", "--charts", "none"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "error: cannot draw chart npv-distribution: a value of 1.5e308 is beyond ±1e100, the \
         largest result a run writes\n"
    );
}

/// The cash-flow fans of one run share each region's vertical scale across
/// alternatives (their SVG texts differ only in the title), and each caption
/// says what is specific to its alternative.
#[test]
fn cash_flow_fans_share_their_scales_and_have_their_own_captions() {
    let tmp = run(&[REFERENCE_PATH], "svg");
    let dir = results_dir(&tmp, REFERENCE_ID);
    let res = load(&dir);
    let charts = chart::charts(&res);
    let fans: Vec<&chart::Chart> = charts
        .iter()
        .filter(|c| matches!(c.kind, chart::ChartKind::CashFlowFan(_)))
        .collect();
    assert!(fans.len() >= 2);
    let ticks = |c: &chart::Chart| -> Vec<String> {
        let svg = String::from_utf8(read(&dir.join("charts").join(format!("{}.svg", c.stem))))
            .expect("utf-8 svg");
        let (_, mut texts) = svg_texts(&svg, &c.stem);
        texts.retain(|t| *t != c.title);
        texts
    };
    let first = ticks(fans[0]);
    for fan in &fans[1..] {
        assert_eq!(
            ticks(fan),
            first,
            "{} has other scales than {}",
            fan.stem,
            fans[0].stem
        );
    }
    let mut captions = std::collections::BTreeSet::new();
    for (a, fan) in fans.iter().enumerate() {
        let alt = &res.scenario.alternatives[a].name;
        assert!(
            fan.how_to_read.contains(&format!("Under {alt}:")),
            "{}",
            fan.how_to_read
        );
        for region in &res.scenario.regions {
            assert!(
                fan.how_to_read.contains(&region.name),
                "{}",
                fan.how_to_read
            );
        }
        assert!(
            captions.insert(fan.how_to_read.clone()),
            "caption repeated: {}",
            fan.how_to_read
        );
    }
}

/// Chart text in every language draws with the bundled font: it has a glyph for
/// every character of every strings file.
#[test]
fn the_bundled_font_has_every_character_of_every_language() {
    let font = BundledFont::parse();
    for lang in enclave::i18n::Lang::ALL {
        let texts = lang.texts();
        for key in texts.keys() {
            for ch in texts.t(key).chars().filter(|c| !c.is_ascii()) {
                assert_ne!(
                    font.0.glyph_id(ch).0,
                    0,
                    "{lang}: the bundled font has no glyph for {ch:?} in {key}"
                );
            }
        }
    }
}

/// A Chinese run's charts carry Chinese titles and axis labels, and no English
/// label of the English charts.
#[test]
fn chinese_charts_have_no_english_label() {
    let t = TestDir::new();
    t.ok(&[
        "run",
        REFERENCE_PATH,
        "--out",
        "out",
        "--paths",
        "200",
        "--horizon",
        "15",
        "--charts",
        "svg",
        "--lang",
        "zh",
        "--quiet",
    ]);
    let dir = results_dir(&t, REFERENCE_ID);
    let res = load(&dir);
    assert_eq!(
        res.lang,
        enclave::i18n::Lang::En,
        "the scenario's own language"
    );
    let en = enclave::i18n::Lang::En.texts();
    // English words of the English chart strings (placeholders removed).
    let english: std::collections::BTreeSet<String> = en
        .keys()
        .filter(|k| k.starts_with("chart."))
        .flat_map(|k| {
            enclave::i18n::fill(en.t(k), &[])
                .split(|c: char| !c.is_ascii_alphabetic())
                .filter(|w| w.len() > 3)
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
        .collect();
    let scn = &res.scenario;
    let mut names: Vec<&str> = vec![scn.name.as_str()];
    names.extend(scn.regions.iter().map(|r| r.name.as_str()));
    names.extend(scn.alternatives.iter().map(|a| a.name.as_str()));
    let mut chinese = 0;
    for entry in std::fs::read_dir(dir.join("charts")).expect("charts") {
        let path = entry.expect("entry").path();
        let svg = String::from_utf8(read(&path)).expect("utf-8");
        let (_, texts) = svg_texts(&svg, &path.display().to_string());
        for text in texts {
            // The scenario's own names are as written; everything else is Chinese.
            let mut rest = text.clone();
            for n in &names {
                rest = rest.replace(n, "");
            }
            for word in rest.split(|c: char| !c.is_ascii_alphabetic()) {
                assert!(
                    !english.contains(word),
                    "{}: English word {word:?} in {text:?}",
                    path.display()
                );
            }
            chinese += usize::from(text.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)));
        }
    }
    assert!(chinese > 20, "{chinese} Chinese labels");
}

/// Checks the chart texts `texts` (of `what`) carry no English word of the
/// English strings under `prefixes`, once the names as written (`names`) are
/// removed; that the bundled font has every character; and returns how many
/// texts are Chinese.
fn no_english(texts: &[String], what: &str, prefixes: &[&str], names: &[String]) -> usize {
    let en = enclave::i18n::Lang::En.texts();
    let english: BTreeSet<String> = en
        .keys()
        .filter(|k| prefixes.iter().any(|p| k.starts_with(p)))
        .flat_map(|k| {
            enclave::i18n::fill(en.t(k), &[])
                .split(|c: char| !c.is_ascii_alphabetic())
                .filter(|w| w.len() > 3)
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
        .collect();
    assert!(english.len() > 10, "{english:?}");
    let font = BundledFont::parse();
    let mut chinese = 0;
    for text in texts {
        for ch in text.chars() {
            assert_ne!(
                font.0.glyph_id(ch).0,
                0,
                "{what}: no glyph for {ch:?} in {text:?}"
            );
        }
        let mut rest = text.clone();
        for n in names {
            rest = rest.replace(n.as_str(), "");
        }
        for word in rest.split(|c: char| !c.is_ascii_alphabetic()) {
            assert!(
                !english.contains(word),
                "{what}: English word {word:?} in {text:?}"
            );
        }
        chinese += usize::from(text.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)));
    }
    chinese
}

/// A Chinese sweep's set page: its charts carry no English label (the field
/// paths, scenario, alternative and region names stay as written), and the
/// font draws every character; so does `enclave solve --lang zh`'s zone of
/// agreement.
#[test]
fn chinese_set_and_solve_charts_have_no_english_label() {
    let t = TestDir::new();
    let sweep = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/scenarios/sweeps/arrival-rate.toml"
    );
    t.ok(&[
        "sweep",
        sweep,
        "--out",
        "out",
        "--paths",
        "16",
        "--horizon",
        "10",
        "--summary-only",
        "--lang",
        "zh",
        "--quiet",
    ]);
    let scn = enclave::scenario::Scenario::load(Path::new(REFERENCE_PATH)).expect("reference");
    let mut names: Vec<String> = vec![scn.name.clone(), "firms.arrival_rate".to_owned()];
    names.extend(
        scn.regions
            .iter()
            .flat_map(|r| [r.name.clone(), r.id.clone()]),
    );
    names.extend(scn.alternatives.iter().map(|a| a.name.clone()));
    // Longest first, so that a name containing another is removed whole.
    names.sort_by_key(|n| std::cmp::Reverse(n.len()));
    let page = t.read("out/set/report.html");
    let mut charts = 0;
    let mut chinese = 0;
    let mut rest = page.as_str();
    while let Some(start) = rest.find("<svg") {
        let end = rest[start..].find("</svg>").expect("the end of an svg") + start + 6;
        let (_, texts) = svg_texts(&rest[start..end], "the set page");
        chinese += no_english(&texts, "the set page", &["set.", "chart."], &names);
        charts += 1;
        rest = &rest[end..];
    }
    assert!(charts > scn.alternatives.len(), "{charts} charts");
    assert!(
        chinese > 5 * charts,
        "{chinese} Chinese labels in {charts} charts"
    );

    // No split meets this target on these paths (exit status 1): the zone of
    // agreement is drawn all the same.
    let out = t.cmd(&[
        "solve",
        REFERENCE_PATH,
        "--alternative",
        &scn.alternatives[0].name,
        "--target",
        "participation:0.6",
        "--paths",
        "30",
        "--horizon",
        "12",
        "--lang",
        "zh",
        "--out",
        "solved",
    ]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let svg = t.read(&format!("solved/{REFERENCE_ID}-solve/zone.svg"));
    let (_, texts) = svg_texts(&svg, "zone.svg");
    names.push("participation".to_owned());
    let chinese = no_english(&texts, "zone.svg", &["solve.zone."], &names);
    assert!(chinese >= 4, "{chinese} Chinese labels: {texts:?}");
}

/// Without coalitions (`--fairness off`) the fairness chart draws the NPVs
/// alone, and its title and axis say so: they named the Shapley values it does
/// not draw (exploratory test).
#[test]
fn the_fairness_chart_without_coalitions_names_no_shapley_value() {
    let t = TestDir::new();
    t.ok(&[
        "run",
        "--out",
        "out",
        "--paths",
        "100",
        "--horizon",
        "6",
        "--charts",
        "svg",
        "--fairness",
        "off",
        "--quiet",
    ]);
    let svg = String::from_utf8(read(
        &results_dir(&t, "jilin-zhejiang").join("charts/fairness.svg"),
    ))
    .expect("UTF-8");
    assert!(svg.contains("no Shapley values: --fairness off"), "{svg}");
    assert!(!svg.contains("Shapley value (ring)"));
    let with = run(&[], "svg");
    let svg = String::from_utf8(read(
        &results_dir(&with, "jilin-zhejiang").join("charts/fairness.svg"),
    ))
    .expect("UTF-8");
    assert!(svg.contains("Shapley value (ring)"));
}
