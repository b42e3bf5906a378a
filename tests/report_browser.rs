//! `report.html` opened in a real browser: headless Chromium (Debian's `chromium`
//! package, `/usr/bin/chromium`) loads it without console errors or blocked
//! loads, makes no network request, and paints a page that is not blank; so does
//! a set's page, `DIR/set/report.html`, in English and in Chinese.
//!
//! Without `/usr/bin/chromium` the tests print a message and pass, so the suite
//! still runs on a developer machine without Chromium; when the `CI` environment
//! variable is set they fail instead, as CI installs Chromium to run them.
//!
//! Each test makes one small run (200 paths, 10 years) of the reference scenario
//! and starts Chromium once, with its own profile folder, killing it after 60
//! seconds. Flags are those CI uses, plus `--hide-scrollbars` for the screenshot.

#![cfg(unix)]

use std::fs::File;
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use enclave::results::Results;
use tempfile::TempDir;

const CHROMIUM: &str = "/usr/bin/chromium";
const TIMEOUT: Duration = Duration::from_secs(60);
const FLAGS: [&str; 9] = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--hide-scrollbars",
];
const REFERENCE_ID: &str = "jilin-zhejiang";

/// Luminance variance (0–255 luminance, Rec. 601 weights) the screenshot must
/// exceed. At 1280×2400 a white page has 0 and a page with only a heading and
/// one line of text measures 20; the report of the reference scenario measures
/// about 1 900 (its tables, text and first charts fill the window), that of a
/// five-region scenario about 1 200 without the embedded font. 400 is twenty times the near-blank page and
/// a third of the sparsest report.
const MIN_SCREENSHOT_VARIANCE: f64 = 400.0;

/// Whether the tests can run; panics on CI without Chromium.
fn chromium_available() -> bool {
    if Path::new(CHROMIUM).exists() {
        return true;
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "{CHROMIUM} is missing but CI is set: CI must install Debian's `chromium` package \
         to test report.html in a browser"
    );
    eprintln!(
        "SKIPPED: {CHROMIUM} not found, so report.html is not tested in a browser. \
         Install Chromium (`apt-get install chromium`) to run these tests."
    );
    false
}

/// A results folder with its report.
struct Report {
    tmp: TempDir,
    html: PathBuf,
    res: Results,
}

impl Report {
    /// A small run of the reference scenario.
    fn new() -> Report {
        Report::in_lang("en")
    }

    /// A small run of the reference scenario, its report in `lang`.
    fn in_lang(lang: &str) -> Report {
        let tmp = tempfile::Builder::new()
            .prefix("enclave-browser-")
            .tempdir()
            .expect("create temporary folder");
        let out = Command::new(env!("CARGO_BIN_EXE_enclave"))
            .args([
                "run",
                "--out",
                "out",
                "--paths",
                "200",
                "--horizon",
                "10",
                "--threads",
                "2",
                "--charts",
                "none",
                "--lang",
                lang,
                "--quiet",
            ])
            .current_dir(tmp.path())
            .output()
            .expect("run enclave");
        assert!(
            out.status.success(),
            "enclave run failed: {}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        let dir = tmp.path().join("out").join(REFERENCE_ID);
        let html = dir.join(enclave::report::REPORT_FILE);
        assert!(html.is_file(), "no {}", html.display());
        let mut res = Results::load(&dir).expect("load the results");
        res.lang = lang.parse().expect("a language");
        Report { tmp, html, res }
    }

    fn url(&self) -> String {
        file_url(&self.html)
    }
}

fn file_url(path: &Path) -> String {
    let abs = path.canonicalize().expect("absolute path");
    // Temporary folders have plain ASCII names; nothing to percent-encode.
    format!("file://{}", abs.display())
}

/// What one Chromium run left behind.
struct Run {
    status: ExitStatus,
    stdout: String,
    stderr: String,
}

/// Runs Chromium with `args` (after the common flags and a fresh profile in
/// `work`), capturing its output in files there, and kills its process group if
/// it has not finished within [`TIMEOUT`].
fn chromium(work: &Path, name: &str, args: &[String]) -> Run {
    let profile = work.join(format!("profile-{name}"));
    std::fs::create_dir_all(&profile).expect("create profile folder");
    let stdout_path = work.join(format!("{name}.stdout"));
    let stderr_path = work.join(format!("{name}.stderr"));
    let mut child = Command::new(CHROMIUM)
        .args(FLAGS)
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .stdin(Stdio::null())
        .stdout(File::create(&stdout_path).expect("create stdout file"))
        .stderr(File::create(&stderr_path).expect("create stderr file"))
        .process_group(0)
        .spawn()
        .unwrap_or_else(|e| panic!("start {CHROMIUM}: {e}"));
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for chromium") {
            break status;
        }
        if started.elapsed() > TIMEOUT {
            // The browser and its helper processes share the process group we made.
            let _ = Command::new("kill")
                .args(["-KILL", "--", &format!("-{}", child.id())])
                .status();
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "chromium {args:?} did not finish within {} s; stderr:\n{}",
                TIMEOUT.as_secs(),
                std::fs::read_to_string(&stderr_path).unwrap_or_default()
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let read =
        |p: &Path| String::from_utf8_lossy(&std::fs::read(p).unwrap_or_default()).into_owned();
    let run = Run {
        status,
        stdout: read(&stdout_path),
        stderr: read(&stderr_path),
    };
    eprintln!(
        "chromium {name}: {} in {:.1} s",
        run.status,
        started.elapsed().as_secs_f64()
    );
    run
}

/// The lines of Chromium's log that report a problem with the page: any console
/// message (the report has no script, so a console message can only be Chromium
/// complaining about the page), a Content-Security-Policy violation, an uncaught
/// error or a failed load.
fn page_problems(stderr: &str) -> Vec<&str> {
    stderr
        .lines()
        .filter(|l| {
            l.contains(":CONSOLE")
                || l.contains("Refused to")
                || l.contains("Content Security Policy")
                || l.contains("Uncaught")
                || l.contains("net::ERR_")
        })
        .collect()
}

/// Loads `url` with console logging and a network log; returns the run and the
/// path of the network log.
fn load_logged(work: &Path, name: &str, url: &str) -> (Run, PathBuf) {
    let net_log = work.join(format!("{name}.netlog.json"));
    let run = chromium(
        work,
        name,
        &[
            "--enable-logging=stderr".into(),
            "--v=0".into(),
            format!("--log-net-log={}", net_log.display()),
            "--net-log-capture-mode=Default".into(),
            "--dump-dom".into(),
            url.into(),
        ],
    );
    assert!(
        run.status.success(),
        "chromium failed on {url}: {}\n{}",
        run.status,
        run.stderr
    );
    (run, net_log)
}

/// The network requests a page made, from Chromium's network log: every `url`
/// in the events' parameters that is not `file:` or `data:`, unless all its
/// requests are the browser's own.
///
/// Chromium makes a few requests of its own even with background networking
/// off (Debian's build checks for extension updates and signed-in accounts);
/// those carry no initiator ("not an origin") and a network isolation key that
/// has nothing to do with the page. A request the page makes has the page's
/// origin as initiator (`null` for a file) and `file://` in its isolation key.
/// Returns (page requests, ignored browser requests).
fn page_requests(net_log: &Path) -> (Vec<String>, Vec<String>) {
    let text = std::fs::read_to_string(net_log)
        .unwrap_or_else(|e| panic!("read {}: {e}", net_log.display()));
    let log: serde_json::Value = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("{} is not JSON: {e}", net_log.display()));
    let events = log["events"].as_array().expect("net log has events");
    assert!(!events.is_empty(), "the net log has no events");

    // Per URL: has a request job, and whether every request job and event is the browser's own.
    let mut urls: std::collections::BTreeMap<String, (bool, bool)> = Default::default();
    for e in events {
        let params = &e["params"];
        let Some(url) = params.get("url").and_then(|u| u.as_str()) else {
            continue;
        };
        if url.starts_with("file:") || url.starts_with("data:") {
            continue;
        }
        let entry = urls.entry(url.to_owned()).or_insert((false, true));
        if let Some(initiator) = params.get("initiator").and_then(|i| i.as_str()) {
            entry.0 = true;
            if initiator != "not an origin" {
                entry.1 = false;
            }
        }
        let nik = params
            .get("network_isolation_key")
            .and_then(|k| k.as_str())
            .unwrap_or("");
        let site = params
            .get("site_for_cookies")
            .and_then(|k| k.as_str())
            .unwrap_or("");
        if nik.contains("file:") || site.contains("file:") {
            entry.1 = false;
        }
    }
    let mut page = Vec::new();
    let mut browser = Vec::new();
    for (url, (has_job, browser_only)) in urls {
        if has_job && browser_only {
            browser.push(url);
        } else {
            page.push(url);
        }
    }
    (page, browser)
}

/// Luminance variance of a PNG screenshot.
fn luma_variance(png: &Path) -> f64 {
    let img = image::open(png)
        .unwrap_or_else(|e| panic!("{}: {e}", png.display()))
        .to_rgb8();
    let n = f64::from(img.width()) * f64::from(img.height());
    let (mut sum, mut sum2) = (0.0, 0.0);
    for p in img.pixels() {
        let y = 0.299 * f64::from(p[0]) + 0.587 * f64::from(p[1]) + 0.114 * f64::from(p[2]);
        sum += y;
        sum2 += y * y;
    }
    let mean = sum / n;
    sum2 / n - mean * mean
}

#[test]
fn report_loads_without_errors() {
    if !chromium_available() {
        return;
    }
    loads_without_errors(&Report::new());
}

/// The Chinese report loads as cleanly, in the terms of Chinese fiscal practice
/// and without the English headings.
#[test]
fn chinese_report_loads_without_errors_in_chinese_terms() {
    if !chromium_available() {
        return;
    }
    let report = Report::in_lang("zh");
    let dom = loads_without_errors(&report);
    assert!(dom.contains("<html lang=\"zh-Hans\""), "lang attribute");
    for term in [
        "净现值",
        "分成方案",
        "地方留成",
        "沙普利值",
        "纳什积",
        "外部选择",
        "作价入股",
        "可重复性",
    ] {
        assert!(dom.contains(term), "the Chinese report lacks {term}");
    }
    for english in [
        "Alternatives compared",
        "Key inputs",
        "Reproducibility",
        "net present value",
        "Which split is fair",
    ] {
        assert!(!dom.contains(english), "the Chinese report has {english:?}");
    }
}

/// Loads the report in Chromium, checks its DOM and the console, and returns the DOM.
fn loads_without_errors(report: &Report) -> String {
    let work = report.tmp.path();
    let (run, _) = load_logged(work, "report", &report.url());

    // The DOM: the scenario's name and one inline <svg> per chart.
    let dom = &run.stdout;
    let scn = &report.res.scenario;
    let charts = enclave::chart::charts(&report.res);
    assert!(
        dom.contains(&format!("<h1>{}</h1>", scn.name)),
        "the dumped DOM lacks the heading {:?}:\n{}",
        scn.name,
        &dom[..dom.len().min(2000)]
    );
    assert_eq!(
        dom.matches("<svg ").count(),
        charts.len(),
        "the dumped DOM should hold one <svg> per chart"
    );
    for c in &charts {
        assert!(
            dom.contains(&format!("<figure id=\"{}\" ", c.stem)),
            "the dumped DOM lacks the figure of {}",
            c.stem
        );
    }
    for region in &scn.regions {
        assert!(
            dom.contains(&region.name),
            "no {:?} in the DOM",
            region.name
        );
    }

    let problems = page_problems(&run.stderr);
    assert!(
        problems.is_empty(),
        "Chromium reported problems loading report.html:\n{}",
        problems.join("\n")
    );
    run.stdout
}

#[test]
fn report_makes_no_network_request() {
    if !chromium_available() {
        return;
    }
    let report = Report::new();
    let work = report.tmp.path();

    // The HTML names no resource outside itself: the only URL is the SVG
    // namespace, and the only url() is the embedded font's data URL.
    let html = std::fs::read_to_string(&report.html).expect("read report.html");
    let lower = html.to_lowercase();
    let rest = lower
        .replace("xmlns=\"http://www.w3.org/2000/svg\"", "")
        .replace("url(data:", "");
    for needle in ["http://", "https://", "src=", "href=", "url(", "@import"] {
        if let Some(at) = rest.find(needle) {
            let context: String = rest[at..].chars().take(120).collect();
            panic!("report.html contains {needle:?}: {context}…");
        }
    }

    let (_, net_log) = load_logged(work, "report", &report.url());
    let (page, browser) = page_requests(&net_log);
    if !browser.is_empty() {
        eprintln!("ignored Chromium's own requests: {browser:?}");
    }
    assert!(
        page.is_empty(),
        "report.html made network requests: {page:?}"
    );
}

#[test]
fn the_checks_catch_a_page_that_misbehaves() {
    // Without this, a change in Chromium's logging could make the two tests above
    // pass without looking at anything.
    if !chromium_available() {
        return;
    }
    let tmp = tempfile::Builder::new()
        .prefix("enclave-browser-")
        .tempdir()
        .expect("create temporary folder");
    let bad = tmp.path().join("bad.html");
    std::fs::write(
        &bad,
        "<!doctype html><html><head><meta charset=\"utf-8\">\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; img-src http://127.0.0.1:9\">\
         </head><body><p>bad</p><img src=\"http://127.0.0.1:9/enclave-test.png\">\
         <script>console.error('boom')</script></body></html>",
    )
    .expect("write bad page");
    let (run, net_log) = load_logged(tmp.path(), "bad", &file_url(&bad));
    let problems = page_problems(&run.stderr);
    assert!(
        problems
            .iter()
            .any(|l| l.contains("Content Security Policy") || l.contains("Refused to")),
        "the blocked inline script went unnoticed; Chromium's log:\n{}",
        run.stderr
    );
    let (page, _) = page_requests(&net_log);
    assert!(
        page.iter().any(|u| u.starts_with("http://127.0.0.1:9/")),
        "the page's image request went unnoticed; requests seen: {page:?}"
    );
}

#[test]
fn report_screenshot_is_not_blank() {
    if !chromium_available() {
        return;
    }
    let report = Report::new();
    let work = report.tmp.path();
    let shot = work.join("shot.png");
    let run = chromium(
        work,
        "screenshot",
        &[
            format!("--screenshot={}", shot.display()),
            "--window-size=1280,2400".into(),
            report.url(),
        ],
    );
    assert!(
        run.status.success(),
        "chromium --screenshot failed: {}\n{}",
        run.status,
        run.stderr
    );
    let size = image::image_dimensions(&shot).unwrap_or_else(|e| panic!("{}: {e}", shot.display()));
    assert_eq!(size, (1280, 2400), "screenshot size");
    let variance = luma_variance(&shot);
    eprintln!("screenshot: luminance variance {variance:.0}");
    assert!(
        variance > MIN_SCREENSHOT_VARIANCE,
        "the screenshot of report.html looks blank: luminance variance {variance:.1} ≤ \
         {MIN_SCREENSHOT_VARIANCE}"
    );
}

/// A set's page, `DIR/set/report.html`, of a two-scenario sweep (the reference
/// scenario at two arrival rates; sweep.csv written by hand), loads without
/// problems or requests and shows its charts.
#[test]
fn set_page_loads_without_errors_or_requests() {
    if !chromium_available() {
        return;
    }
    let tmp = tempfile::Builder::new()
        .prefix("enclave-browser-")
        .tempdir()
        .expect("create temporary folder");
    let work = tmp.path();
    let reference = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/scenarios/jilin-zhejiang.toml"
    ))
    .expect("the reference scenario");
    std::fs::create_dir_all(work.join("park")).expect("a folder");
    let mut sweep = "scenario,input,value\n".to_owned();
    for rate in [6, 12] {
        let text = reference
            .replacen(
                &format!("id = \"{REFERENCE_ID}\""),
                &format!("id = \"rate-{rate}\""),
                1,
            )
            .lines()
            .map(|l| {
                if l.starts_with("arrival_rate = ") {
                    format!("arrival_rate = {rate}")
                } else {
                    l.to_owned()
                }
            })
            .collect::<Vec<_>>()
            .join("\n");
        std::fs::write(work.join(format!("park/rate-{rate}.toml")), text).expect("a scenario");
        sweep.push_str(&format!("rate-{rate},firms.arrival_rate,{rate}\n"));
    }
    let enclave = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_enclave"))
            .args(args)
            .current_dir(work)
            .output()
            .expect("run enclave");
        assert!(
            out.status.success(),
            "enclave {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    enclave(&[
        "run",
        "park",
        "--out",
        "out",
        "--paths",
        "200",
        "--horizon",
        "6",
        "--threads",
        "2",
        "--charts",
        "none",
        "--quiet",
    ]);
    std::fs::write(work.join("out/set/sweep.csv"), sweep).expect("write sweep.csv");
    // Its manifest again, as a sweep's set writes it with its sweep.csv.
    enclave::publish::write_manifest(&work.join("out/set")).expect("the manifest");
    enclave(&["report", "out/set"]);
    let page = work.join("out/set/report.html");
    let (run, net_log) = load_logged(work, "set", &file_url(&page));
    let dom = &run.stdout;
    assert!(
        dom.contains("<h1>Sweep of 2 scenarios over firms.arrival_rate</h1>"),
        "{}",
        &dom[..dom.len().min(2000)]
    );
    // One chart per alternative of the reference scenario, and the park's.
    let alternatives = enclave::scenario::Scenario::reference()
        .expect("bundled scenario")
        .alternatives
        .len();
    assert_eq!(dom.matches("<svg ").count(), alternatives + 1);
    let problems = page_problems(&run.stderr);
    assert!(
        problems.is_empty(),
        "Chromium reported problems loading the set page:\n{}",
        problems.join("\n")
    );
    let (requests, _) = page_requests(&net_log);
    assert!(
        requests.is_empty(),
        "the set page made network requests: {requests:?}"
    );

    // The same page in Chinese loads as cleanly, in Chinese terms.
    enclave(&["report", "out/set", "--lang", "zh"]);
    let (run, net_log) = load_logged(work, "set-zh", &file_url(&page));
    let dom = &run.stdout;
    assert!(dom.contains("<html lang=\"zh-Hans\""), "lang attribute");
    for term in [
        "2 个情景的参数扫描",
        "各情景并列比较",
        "平均净现值",
        "分成方案",
        "沙普利值",
        "地方留成税收池",
        "亩均税收",
        "指标说明",
    ] {
        assert!(dom.contains(term), "the Chinese set page lacks {term}");
    }
    for english in [
        "The scenarios side by side",
        "Would every region sign",
        "The measures",
        "Each panel follows",
    ] {
        assert!(
            !dom.contains(english),
            "the Chinese set page has {english:?}"
        );
    }
    assert_eq!(dom.matches("<svg ").count(), alternatives + 1);
    let problems = page_problems(&run.stderr);
    assert!(
        problems.is_empty(),
        "Chromium reported problems loading the Chinese set page:\n{}",
        problems.join("\n")
    );
    let (requests, _) = page_requests(&net_log);
    assert!(
        requests.is_empty(),
        "the Chinese set page made requests: {requests:?}"
    );
}
