//! Output folders hold one run or are refused: the manifest, interruption by a
//! signal, skipping complete results on a rerun, failing before simulating, and
//! closed or full standard output.
//!
//! Every test runs the real binary in a fresh temporary folder (see `common`).

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{REFERENCE, REFERENCE_PATH, TestDir, replace_line};
use enclave::publish;
use enclave::scenario::Scenario;
use enclave::schema::{AltMetric, ParkMetric, RegionMetric};

const ID: &str = "jilin-zhejiang";
const DIR: &str = "out/jilin-zhejiang";

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A small complete run of the reference scenario into `out/`.
fn small_run(t: &TestDir) {
    t.ok(&[
        "run",
        REFERENCE_PATH,
        "--paths",
        "300",
        "--horizon",
        "8",
        "--charts",
        "svg",
        "--quiet",
        "--out",
        "out",
    ]);
}

/// `enclave report DIR` fails with exit status 1 and exactly `message` on stderr.
fn assert_report_refuses(t: &TestDir, message: &str) {
    let out = t.cmd(&["report", DIR]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(
        stderr(&out),
        format!("error: cannot read the results in {DIR}: {message}\n")
    );
    assert!(out.stdout.is_empty());
}

/// The hidden entries (temporary or replaced folders) in `dir`.
fn hidden(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.starts_with('.'))
                .collect()
        })
        .unwrap_or_default()
}

/// Starts `enclave ARGS` in `t`'s folder, its output piped.
fn spawn(t: &TestDir, args: &[&str]) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_enclave"))
        .args(args)
        .current_dir(t.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start enclave")
}

/// Waits (at most a minute) until `path` exists in `t`'s folder.
fn wait_for(t: &TestDir, path: &str) {
    let start = Instant::now();
    while !t.exists(path) {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "{path} never appeared"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Sends `signal` (`-INT`, `-TERM`) to `pid` with kill(1).
fn kill(signal: &str, pid: u32) {
    let status = Command::new("kill")
        .args([signal, &pid.to_string()])
        .status()
        .expect("run kill");
    assert!(status.success(), "kill {signal} {pid}");
}

/// Waits until `dir` holds a staging folder (the run has started simulating).
fn wait_for_staging(dir: &Path) {
    let start = Instant::now();
    while !hidden(dir).iter().any(|n| n.contains(".tmp-")) {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "no staging folder"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

// ---------------------------------------------------------------------------------
// The manifest, and what `report` refuses
// ---------------------------------------------------------------------------------

#[test]
fn a_run_lists_every_file_in_its_manifest_and_report_keeps_it_consistent() {
    let t = TestDir::new();
    small_run(&t);
    let dir = t.join(DIR);
    let manifest = publish::verify(&dir).expect("a fresh run verifies");
    let names: Vec<&str> = manifest.files.iter().map(|f| f.name.as_str()).collect();
    for f in [
        "distribution.csv",
        "report.html",
        "run.json",
        "scenario.toml",
        "summary.csv",
        "timeseries.csv",
        "charts/park.svg",
    ] {
        assert!(names.contains(&f), "{f} not in the manifest: {names:?}");
    }
    assert!(!names.contains(&"manifest.json"));
    let mut sorted = names.clone();
    sorted.sort_unstable();
    assert_eq!(names, sorted, "manifest in name order");
    assert!(hidden(&t.join("out")).is_empty());

    // report redraws in formats of its own and leaves a folder that verifies.
    let out = t.ok(&["report", DIR, "--charts", "png"]);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!("{DIR}/report.html\n")
    );
    let manifest = publish::verify(&dir).expect("a redrawn folder verifies");
    assert!(manifest.contains("charts/park.png") && !manifest.contains("charts/park.svg"));
    assert!(!dir.join("charts/park.svg").exists());
    assert!(hidden(&t.join("out")).is_empty());

    // From inside the folder, as `enclave report .`.
    let out = Command::new(env!("CARGO_BIN_EXE_enclave"))
        .args(["report", "."])
        .current_dir(&dir)
        .output()
        .expect("run enclave");
    assert!(out.status.success(), "{}", stderr(&out));
    publish::verify(&dir).expect("redrawn in place of itself");
    assert!(hidden(&t.join("out")).is_empty());
}

#[test]
fn report_refuses_a_folder_without_manifest() {
    let t = TestDir::new();
    small_run(&t);
    std::fs::remove_file(t.join(DIR).join("manifest.json")).expect("remove manifest");
    assert_report_refuses(
        &t,
        "no manifest.json, so the folder is incomplete (the run that wrote it was interrupted or failed, or is older than manifests); run it again",
    );
}

#[test]
fn report_given_an_output_folder_or_a_file_names_the_folders_to_give() {
    let t = TestDir::new();
    small_run(&t);
    let refusal = |target: &str| {
        let out = t.cmd(&["report", target]);
        assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
        stderr(&out)
    };
    // Once "no manifest.json, so the folder is incomplete ... run it again".
    assert_eq!(
        refusal("out"),
        format!(
            "error: cannot read the results in out: it is an output folder (a run's --out), which holds each scenario's results in a folder of its own; give those: enclave report {DIR}\n"
        )
    );
    // Once "no such folder".
    assert_eq!(
        refusal(&format!("{DIR}/summary.csv")),
        format!(
            "error: cannot read the results in {DIR}/summary.csv: it is a file; give the folder of the results it belongs to: enclave report {DIR}\n"
        )
    );
    t.create("notes.txt", "mine");
    assert_eq!(
        refusal("notes.txt"),
        "error: cannot read the results in notes.txt: it is a file; give the folder of a run's results, DIR/<scenario id>\n"
    );
    // Many: the first few, then their count.
    for id in ["a", "b", "c", "d", "e", "f"] {
        std::fs::create_dir(t.join("out").join(id)).expect("folder");
        t.create(&format!("out/{id}/manifest.json"), "{}");
    }
    assert_eq!(
        refusal("out"),
        "error: cannot read the results in out: it is an output folder (a run's --out), which holds each scenario's results in a folder of its own; give those: enclave report out/a out/b out/c out/d out/e (and 2 more)\n"
    );
    // A set: its page first, then the scenarios (`set` sorted among them, past
    // the first five: exploratory test).
    let set = t.cmd(&[
        "run",
        REFERENCE_PATH,
        concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/three-party.toml"),
        "--paths",
        "20",
        "--horizon",
        "2",
        "--quiet",
        "--out",
        "sets",
    ]);
    assert!(set.status.success(), "{}", stderr(&set));
    assert_eq!(
        refusal("sets"),
        "error: cannot read the results in sets: it is an output folder (a run's --out) holding a set: enclave report sets/set redraws the set's page; each scenario's results are in a folder of its own: enclave report sets/jilin-zhejiang sets/three-party\n"
    );
    let only = t.cmd(&[
        "run",
        REFERENCE_PATH,
        "--paths",
        "20",
        "--horizon",
        "2",
        "--quiet",
        "--summary-only",
        "--out",
        "only",
    ]);
    assert!(only.status.success(), "{}", stderr(&only));
    assert_eq!(
        refusal("only"),
        "error: cannot read the results in only: it is an output folder (a run's --out) holding a set: enclave report only/set redraws the set's page; it has no folder of a scenario's results (a --summary-only set)\n"
    );
}

#[test]
fn report_refuses_a_truncated_or_header_only_summary() {
    let t = TestDir::new();
    small_run(&t);
    let path = t.join(DIR).join("summary.csv");
    let full = std::fs::read_to_string(&path).expect("summary.csv");
    let recorded = full.len();

    // Cut in half, at a line break.
    let half = &full[..=full[..full.len() / 2].rfind('\n').expect("lines")];
    std::fs::write(&path, half).expect("cut summary.csv");
    assert_report_refuses(
        &t,
        &format!(
            "summary.csv has {} bytes where manifest.json records {recorded}: the folder is damaged",
            half.len()
        ),
    );

    // Only the header.
    let header = &full[..=full.find('\n').expect("header")];
    std::fs::write(&path, header).expect("header-only summary.csv");
    assert_report_refuses(
        &t,
        &format!(
            "summary.csv has {} bytes where manifest.json records {recorded}: the folder is damaged",
            header.len()
        ),
    );

    // Even with a manifest that agrees (a folder put together by hand), the rows
    // the scenario calls for must be there.
    publish::write_manifest(&t.join(DIR)).expect("reseal");
    let scn = Scenario::reference().expect("bundled scenario");
    let missing = scn.alternatives.len() * scn.regions.len() * RegionMetric::ALL.len()
        + scn.alternatives.len() * AltMetric::ALL.len()
        + ParkMetric::ALL.len();
    assert_report_refuses(
        &t,
        &format!(
            "{DIR}/summary.csv: {missing} rows missing, e.g. {},{},{} (the folder is incomplete or from another version)",
            scn.alternatives[0].name,
            scn.regions[0].id,
            RegionMetric::ALL[0].name()
        ),
    );
}

#[test]
fn report_refuses_a_cell_that_is_not_a_finite_number() {
    // A run writes a number or a blank (undefined), never inf or NaN: such a cell,
    // even under a manifest that agrees, means the file was put together by hand.
    let t = TestDir::new();
    small_run(&t);
    let path = t.join(DIR).join("summary.csv");
    let full = std::fs::read_to_string(&path).expect("summary.csv");
    let mut lines: Vec<String> = full.lines().map(str::to_owned).collect();
    let mut cells: Vec<&str> = lines[1].split(',').collect();
    assert_eq!(
        full.lines().next().map(|h| h.split(',').nth(4)),
        Some(Some("mean"))
    );
    cells[4] = "inf";
    lines[1] = cells.join(",");
    std::fs::write(&path, lines.join("\n") + "\n").expect("edit summary.csv");
    publish::write_manifest(&t.join(DIR)).expect("reseal");
    assert_report_refuses(
        &t,
        &format!(
            "{DIR}/summary.csv is damaged or not a results file of this version of enclave: CSV deserialize error: record 1 (line: 2, byte: {}): expected a finite number or a blank cell (undefined), found inf",
            full.find('\n').expect("header") + 1
        ),
    );
}

#[test]
fn report_refuses_a_scenario_copy_that_does_not_match_the_results() {
    let t = TestDir::new();
    small_run(&t);
    let path = t.join(DIR).join("scenario.toml");
    let copy = std::fs::read_to_string(&path).expect("scenario copy");
    // Same size, one value changed.
    let edited = copy.replacen("name = \"fixed 50:50\"", "name = \"fixed 50:51\"", 1);
    assert_ne!(edited, copy);
    std::fs::write(&path, &edited).expect("edit the copy");
    assert_report_refuses(
        &t,
        "scenario.toml does not match its SHA-256 in manifest.json: the folder is damaged",
    );

    publish::write_manifest(&t.join(DIR)).expect("reseal");
    assert_report_refuses(
        &t,
        &format!(
            "{DIR}/scenario.toml is not the scenario these results were computed from: its SHA-256 is {}, run.json records {}",
            enclave::scenario::sha256_hex(edited.as_bytes()),
            enclave::scenario::sha256_hex(REFERENCE.as_bytes())
        ),
    );
}

#[test]
fn report_refuses_missing_and_extra_files() {
    let t = TestDir::new();
    small_run(&t);
    let dir = t.join(DIR);
    std::fs::write(dir.join("notes.txt"), "mine").expect("extra file");
    assert_report_refuses(
        &t,
        "notes.txt is not listed in manifest.json: it is not part of the run",
    );
    std::fs::remove_file(dir.join("notes.txt")).expect("remove extra file");
    std::fs::remove_file(dir.join("timeseries.csv")).expect("remove timeseries.csv");
    assert_report_refuses(&t, "timeseries.csv is listed in manifest.json but missing");
}

/// The files `enclave report` draws may be missing, but one that is there is
/// the run's: a changed report.html was replaced without a word, and a file
/// added under charts/ was removed (exploratory test).
#[test]
fn report_refuses_a_changed_drawing_and_keeps_a_file_added_among_them() {
    let t = TestDir::new();
    small_run(&t);
    let dir = t.join(DIR);
    let page = std::fs::read_to_string(dir.join("report.html")).expect("report.html");
    std::fs::write(
        dir.join("report.html"),
        page.replacen("<h1>", "<h1>edited ", 1),
    )
    .expect("edit");
    assert_report_refuses(
        &t,
        &format!(
            "report.html has {} bytes where manifest.json records {}: it was changed after it was written; remove it to have it drawn again",
            page.len() + "edited ".len(),
            page.len()
        ),
    );
    std::fs::remove_file(dir.join("report.html")).expect("remove");
    std::fs::write(dir.join("charts/mine.svg"), "<svg/>").expect("added file");
    assert_report_refuses(
        &t,
        "charts/mine.svg is not listed in manifest.json: it is not part of the run",
    );
    assert!(dir.join("charts/mine.svg").is_file(), "it is kept");
    std::fs::remove_file(dir.join("charts/mine.svg")).expect("remove");
    // A missing drawing is drawn again.
    t.ok(&["report", DIR]);
    assert!(dir.join("report.html").is_file());
}

// ---------------------------------------------------------------------------------
// Interruption, skipping, clean-up
// ---------------------------------------------------------------------------------

/// The arguments of a run long enough to interrupt (about 8 s on one thread).
const LONG: [&str; 8] = [
    "run",
    REFERENCE_PATH,
    "--paths",
    "60000",
    "--horizon",
    "10",
    "--charts",
    "none",
];

/// Starts the [`LONG`] run into `out` on one thread, and waits until it is
/// simulating.
fn start_long(t: &TestDir) -> std::process::Child {
    start_simulating(
        t,
        &[&LONG[..], &["--out", "out", "--threads", "1"]].concat(),
    )
}

/// Starts enclave with `args`, whose output folder is `out`, and waits until it
/// is simulating.
fn start_simulating(t: &TestDir, args: &[&str]) -> std::process::Child {
    let child = Command::new(env!("CARGO_BIN_EXE_enclave"))
        .args(args)
        .current_dir(t.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start enclave");
    wait_for_staging(&t.join("out"));
    std::thread::sleep(Duration::from_millis(300));
    child
}

/// One request that arrives twice at once — `timeout` signals the command and
/// then its process group — is one request: the run stops as for one and says
/// what it wrote (it ended at once, with no word and a leftover folder:
/// exploratory test).
#[test]
fn a_signal_sent_twice_at_once_is_one_request() {
    let t = TestDir::new();
    let child = start_long(&t);
    // Two sent at once coalesce into one; two milliseconds apart they arrive
    // as two (before the fix, 3 runs out of 3 ended at once).
    kill("-INT", child.id());
    std::thread::sleep(Duration::from_millis(2));
    // It may have stopped already.
    let _ = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .stderr(Stdio::null())
        .status();
    let out = child.wait_with_output().expect("wait for enclave");
    assert_eq!(out.status.code(), Some(130), "{}", stderr(&out));
    assert!(
        stderr(&out).starts_with(&format!("interrupted by SIGINT: {ID} stopped after ")),
        "{}",
        stderr(&out)
    );
}

/// An interrupted --precision run says its paths are the most it may take, not
/// a planned count ("stopped after 21248 of 1000000 paths": exploratory test).
#[test]
fn an_interrupted_precision_run_says_its_paths_are_a_cap() {
    let t = TestDir::new();
    let child = start_simulating(
        &t,
        &[
            "run",
            REFERENCE_PATH,
            "--precision",
            "npv:abs=0.0001",
            "--max-paths",
            "1000000",
            "--horizon",
            "10",
            "--charts",
            "none",
            "--threads",
            "1",
            "--out",
            "out",
        ],
    );
    kill("-INT", child.id());
    let out = child.wait_with_output().expect("wait for enclave");
    assert_eq!(out.status.code(), Some(130), "{}", stderr(&out));
    let err = stderr(&out);
    let line = err.lines().next().unwrap_or_default();
    assert!(
        line.starts_with(&format!("interrupted by SIGINT: {ID} stopped after "))
            && line
                .ends_with(" paths (--precision, at most 1000000); its results were not written"),
        "{err}"
    );
}

#[test]
fn an_interrupted_run_leaves_nothing_and_its_rerun_is_byte_identical() {
    let t = TestDir::new();
    let child = start_long(&t);
    let asked = Instant::now();
    kill("-INT", child.id());
    let out = child.wait_with_output().expect("wait for enclave");
    assert!(
        asked.elapsed() < Duration::from_secs(5),
        "slow to stop: {:?}",
        asked.elapsed()
    );
    assert_eq!(out.status.code(), Some(130), "{}", stderr(&out));
    assert!(out.stdout.is_empty());
    let err = stderr(&out);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 3, "{err}");
    let done: u64 = lines[0]
        .strip_prefix(&format!("interrupted by SIGINT: {ID} stopped after "))
        .and_then(|rest| rest.strip_suffix(" of 60000 paths; its results were not written"))
        .unwrap_or_else(|| panic!("{err}"))
        .parse()
        .expect("a number of paths");
    assert!(
        done < 60_000 && done % enclave::engine::BATCH_PATHS == 0,
        "{done}"
    );
    assert_eq!(lines[1], "completed: none");
    assert_eq!(
        lines[2],
        "run the same command again to finish (completed scenarios are skipped)"
    );
    // No results folder, and no temporary left behind.
    assert!(!t.exists(DIR));
    assert!(
        hidden(&t.join("out")).is_empty(),
        "{:?}",
        hidden(&t.join("out"))
    );
    assert_report_refuses(&t, &format!("cannot read {DIR}: no such folder"));

    // The same command again completes, with the bytes of an uninterrupted run.
    let mut again = LONG.to_vec();
    again.extend(["--out", "out", "--threads", "1", "--quiet"]);
    t.ok(&again);
    let mut reference = LONG.to_vec();
    reference.extend(["--out", "ref", "--quiet", "--threads", "2"]);
    t.ok(&reference);
    for f in [
        "summary.csv",
        "timeseries.csv",
        "distribution.csv",
        "scenario.toml",
    ] {
        assert!(
            t.read_bytes(&format!("{DIR}/{f}")) == t.read_bytes(&format!("ref/{ID}/{f}")),
            "{f} differs from an uninterrupted run"
        );
    }
    publish::verify(&t.join(DIR)).expect("the rerun's folder verifies");
}

#[test]
fn an_interrupted_set_says_what_was_completed_and_its_rerun_skips_it() {
    let t = TestDir::new();
    let scenario = |id: &str, paths: &str| {
        let mut text = REFERENCE.to_owned();
        replace_line(
            &mut text,
            "id = \"jilin-zhejiang\"",
            &format!("id = \"{id}\""),
        );
        replace_line(&mut text, "paths = 10_000", &format!("paths = {paths}"));
        t.create(&format!("{id}.toml"), &text);
    };
    scenario("first", "300");
    scenario("second", "30000");
    scenario("third", "300");
    let args = [
        "run",
        "first.toml",
        "second.toml",
        "third.toml",
        "--horizon",
        "10",
        "--charts",
        "none",
        "--threads",
        "1",
        "--quiet",
        "--out",
        "out",
    ];
    // The set files of an earlier set in the folder: they go when this set
    // starts, not to describe scenario folders this one has begun to rewrite.
    std::fs::create_dir_all(t.join("out/set")).expect("a folder");
    for f in ["summary.csv", "runs.csv", "report.html", "sweep.csv"] {
        t.create(&format!("out/set/{f}"), "an earlier set's\n");
    }
    let child = spawn(&t, &args);
    wait_for(&t, "out/first");
    std::thread::sleep(Duration::from_millis(300));
    kill("-INT", child.id());
    let out = child.wait_with_output().expect("wait for enclave");
    assert_eq!(out.status.code(), Some(130), "{}", stderr(&out));
    let err = stderr(&out);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 4, "{err}");
    assert!(
        lines[0].starts_with("interrupted by SIGINT: second stopped after ")
            && lines[0].ends_with(" of 30000 paths; its results were not written"),
        "{err}"
    );
    assert_eq!(
        &lines[1..],
        [
            "completed: first",
            "not started: third",
            "run the same command again to finish (completed scenarios are skipped)"
        ]
    );
    assert!(!t.exists("out/second") && !t.exists("out/third"));
    assert!(
        hidden(&t.join("out")).is_empty(),
        "{:?}",
        hidden(&t.join("out"))
    );
    for f in ["summary.csv", "runs.csv", "report.html", "sweep.csv"] {
        assert!(!t.exists(&format!("out/set/{f}")), "a stale out/set/{f}");
    }

    // With --summary-only nothing of a scenario is kept: the note says a run
    // again starts over.
    scenario("long", "300000");
    let summary_only = [
        "run",
        "first.toml",
        "long.toml",
        "--horizon",
        "10",
        "--threads",
        "1",
        "--quiet",
        "--summary-only",
        "--out",
        "only",
    ];
    let child = spawn(&t, &summary_only);
    std::thread::sleep(Duration::from_millis(1000));
    kill("-INT", child.id());
    let out = child.wait_with_output().expect("wait for enclave");
    assert_eq!(out.status.code(), Some(130), "{}", stderr(&out));
    assert_eq!(
        stderr(&out).lines().last(),
        Some(
            "with --summary-only no scenario's own results are kept: the same command run again starts over"
        ),
        "{}",
        stderr(&out)
    );

    let out = t.ok(&args);
    assert_eq!(
        stderr(&out),
        "skipped first: out/first holds its complete results (same scenario, seed, paths, horizon, fairness and engine version); --force runs it again\n"
    );
    for id in ["first", "second", "third"] {
        publish::verify(&t.join("out").join(id)).expect("complete");
    }
}

#[test]
fn sigterm_during_keep_paths_leaves_no_temporary_files_and_the_old_folder_intact() {
    let t = TestDir::new();
    small_run(&t);
    let before = t.read_bytes(&format!("{DIR}/manifest.json"));
    let child = start_simulating(
        &t,
        &[
            &LONG[..],
            &["--out", "out", "--threads", "1", "--keep-paths"],
        ]
        .concat(),
    );
    kill("-TERM", child.id());
    let out = child.wait_with_output().expect("wait for enclave");
    assert_eq!(out.status.code(), Some(143), "{}", stderr(&out));
    assert!(
        stderr(&out).starts_with(&format!("interrupted by SIGTERM: {ID} stopped after ")),
        "{}",
        stderr(&out)
    );
    assert!(
        hidden(&t.join("out")).is_empty(),
        "{:?}",
        hidden(&t.join("out"))
    );
    assert!(t.read_bytes(&format!("{DIR}/manifest.json")) == before);
    publish::verify(&t.join(DIR)).expect("the earlier run is untouched");
}

#[test]
fn a_rerun_skips_complete_results_unless_forced_or_changed() {
    let t = TestDir::new();
    let mut other = REFERENCE.to_owned();
    replace_line(&mut other, "id = \"jilin-zhejiang\"", "id = \"other\"");
    t.create("other.toml", &other);
    let args = |extra: &[&'static str]| {
        let mut a = vec![
            "run",
            REFERENCE_PATH,
            "other.toml",
            "--paths",
            "300",
            "--horizon",
            "8",
            "--charts",
            "none",
            "--quiet",
            "--out",
            "out",
        ];
        a.extend_from_slice(extra);
        a
    };
    t.ok(&args(&[]));
    let run_json = t.read_bytes(&format!("{DIR}/run.json"));
    std::fs::remove_dir_all(t.join("out/other")).expect("remove one folder");

    let skipped = format!(
        "skipped {ID}: {DIR} holds its complete results (same scenario, seed, paths, horizon, fairness and engine version); --force runs it again\n"
    );
    let out = t.ok(&args(&[]));
    assert_eq!(stderr(&out), skipped);
    assert!(
        t.read_bytes(&format!("{DIR}/run.json")) == run_json,
        "rewritten"
    );
    publish::verify(&t.join("out/other")).expect("the missing one was run");

    // Other settings are another run.
    let out = t.ok(&args(&["--seed", "5"]));
    assert_eq!(stderr(&out), "");
    // --keep-paths needs the per-path files.
    let out = t.ok(&args(&["--seed", "5", "--keep-paths"]));
    assert_eq!(stderr(&out), "");
    let out = t.ok(&args(&["--seed", "5", "--keep-paths"]));
    assert_eq!(stderr(&out).lines().count(), 2);
    // A damaged folder is run again, and said to be.
    std::fs::write(t.join(DIR).join("summary.csv"), "cut").expect("damage");
    let out = t.ok(&args(&["--seed", "5", "--keep-paths"]));
    let err = stderr(&out);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 2, "{err}");
    assert!(
        lines.contains(&"skipped other: out/other holds its complete results (same scenario, seed, paths, horizon, fairness and engine version); --force runs it again"),
        "{err}"
    );
    assert!(
        lines.iter().any(|l| l.starts_with(&format!(
            "note: {DIR}: summary.csv has 3 bytes where manifest.json records "
        )) && l.ends_with(
            ": the folder is damaged; the scenario runs again and its results replace the folder"
        )),
        "{err}"
    );
    publish::verify(&t.join(DIR)).expect("repaired");
    // --force runs everything.
    let out = t.ok(&args(&["--seed", "5", "--keep-paths", "--force"]));
    assert_eq!(stderr(&out), "");
    assert!(hidden(&t.join("out")).is_empty());
}

#[test]
fn a_rerun_keeps_files_added_to_a_results_folder() {
    // Notes and a script put beside the results: a rerun took the folder for a
    // damaged one, ran the scenario again and replaced it, deleting them without
    // a word (exploratory test). It is refused before anything runs, --force or
    // not, and the files stay.
    let t = TestDir::new();
    small_run(&t);
    t.create(&format!("{DIR}/NOTES.txt"), "board notes");
    std::fs::create_dir(t.join(&format!("{DIR}/mine"))).expect("folder");
    t.create(&format!("{DIR}/mine/analysis.py"), "print(1)");
    let summary = t.read_bytes(&format!("{DIR}/summary.csv"));
    let run = |extra: &[&str]| {
        let mut a = vec![
            "run",
            REFERENCE_PATH,
            "--paths",
            "300",
            "--horizon",
            "8",
            "--charts",
            "svg",
            "--quiet",
            "--out",
            "out",
        ];
        a.extend_from_slice(extra);
        t.cmd(&a)
    };
    for extra in [&[][..], &["--force"], &["--seed", "7"]] {
        let err = common::bad_input(&run(extra));
        assert_eq!(
            err,
            format!(
                "error: {REFERENCE_PATH}: {DIR} is a folder of enclave's results that also holds files it did not write (NOTES.txt, mine/analysis.py), and the results would replace the folder and them; move them out of it, or choose another --out\n"
            ),
            "{extra:?}"
        );
        assert_eq!(t.read(&format!("{DIR}/NOTES.txt")), "board notes");
        assert_eq!(t.read(&format!("{DIR}/mine/analysis.py")), "print(1)");
        assert!(t.read_bytes(&format!("{DIR}/summary.csv")) == summary);
    }
    // Moved out, the rerun finds the results complete.
    std::fs::remove_file(t.join(&format!("{DIR}/NOTES.txt"))).expect("remove");
    std::fs::remove_dir_all(t.join(&format!("{DIR}/mine"))).expect("remove");
    let out = run(&[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).starts_with("skipped "), "{}", stderr(&out));
}

/// A process id that has ended (its pid is, almost surely, not reused at once).
fn dead_pid() -> u32 {
    let mut dead = Command::new("true").spawn().expect("run true");
    let pid = dead.id();
    dead.wait().expect("wait");
    pid
}

/// Makes `out/NAME` as a run's leftover folder holding a `paths.csv`, last
/// changed `age` ago.
fn leftover(t: &TestDir, name: &str, age: Duration) {
    let dir = t.join("out").join(name);
    std::fs::create_dir(&dir).expect("fake folder");
    std::fs::write(dir.join("paths.csv"), "x").expect("file");
    let then = std::time::SystemTime::now() - age;
    for path in [dir.join("paths.csv"), dir] {
        std::fs::File::open(&path)
            .and_then(|f| f.set_modified(then))
            .expect("set the time");
    }
}

#[test]
fn a_run_removes_temporary_folders_of_dead_runs_on_this_machine_only() {
    let t = TestDir::new();
    std::fs::create_dir(t.join("out")).expect("out");
    let dead = dead_pid();
    let key = publish::owner_key();
    let other = if key == "00000000" {
        "ffffffff"
    } else {
        "00000000"
    };
    let stale = format!(".{ID}.tmp-{key}-{dead}-0");
    // A folder moved aside to be replaced, whose replacement took its place
    // (the run died removing it): removed.
    let old = format!(".other.old-{key}-{dead}-3");
    std::fs::create_dir(t.join("out/other")).expect("the replacement");
    // One whose replacement never took its place (the run died between the two
    // renames: a tester's `kill -9` lost the results so): put back.
    let aside = format!(".moved.old-{key}-{dead}-4");
    // This test process is alive and started before the folder was made: a
    // live run of another scenario into the same folder (one of the same
    // scenario stops the run: `a_second_run_into_the_same_folder_stops`).
    let live = format!(".other.tmp-{key}-{}-2", std::process::id());
    // A run on another node of a cluster or in another container: its pid is
    // not alive here, but may be there (such a folder was once removed under a
    // live run, which then failed).
    let foreign = format!(".{ID}.tmp-{other}-{dead}-0");
    // The same, unchanged for two days: kept, and named.
    let abandoned = format!(".other.tmp-{other}-{dead}-1");
    // An earlier version's name, which does not say where it ran.
    let unkeyed = format!(".{ID}.tmp-{dead}-0");
    let two_days = Duration::from_secs(2 * 86_400 + 60);
    for name in [&stale, &old, &aside, &live, &foreign] {
        leftover(&t, name, Duration::ZERO);
    }
    for name in [&abandoned, &unkeyed] {
        leftover(&t, name, two_days);
    }
    let args = [
        "run",
        "--paths",
        "200",
        "--horizon",
        "5",
        "--charts",
        "none",
        "--out",
        "out",
        "--force",
    ];
    let kept_note = |name: &str| {
        format!(
            "kept out/{name}, unchanged for 2 days: left by a run on another machine or in another container, or by an earlier version of enclave, which this run cannot tell from a live one; remove it if that run has ended\n"
        )
    };
    let out = t.ok(&args);
    let err = stderr(&out);
    for name in [&stale, &old] {
        assert!(
            err.contains(&format!(
                "removed out/{name}, left by a run that did not finish\n"
            )),
            "{err}"
        );
    }
    for name in [&abandoned, &unkeyed] {
        assert!(err.contains(&kept_note(name)), "{err}");
    }
    assert_eq!(err.matches("kept ").count(), 2, "{err}");
    assert!(
        err.contains(&format!(
            "restored out/moved from out/{aside}: a run that did not finish had moved it aside to replace it\n"
        )),
        "{err}"
    );
    assert!(t.join("out/moved/paths.csv").is_file());
    let mut expected = vec![abandoned.clone(), foreign, live, unkeyed.clone()];
    expected.sort();
    let mut left = hidden(&t.join("out"));
    left.sort();
    assert_eq!(left, expected);

    // --quiet leaves out what was removed, not what the user has to judge.
    let out = t.ok(&[&args[..], &["--quiet"]].concat());
    let mut notes = [kept_note(&abandoned), kept_note(&unkeyed)];
    notes.sort();
    assert_eq!(stderr(&out), notes.concat());
    let mut left = hidden(&t.join("out"));
    left.sort();
    assert_eq!(left, expected);
}

/// The report from a cluster: a run in another PID namespace (`unshare -p`, as a
/// container or another node) sharing the output folder kept a live run's
/// staging folder. Needs root (or user namespaces) for `unshare`; skipped
/// without.
#[test]
fn a_run_in_another_pid_namespace_keeps_a_live_runs_folder() {
    let probe = Command::new("unshare")
        .args(["-p", "-f", "--mount-proc", "true"])
        .stderr(Stdio::null())
        .status();
    if !probe.is_ok_and(|s| s.success()) {
        return;
    }
    let t = TestDir::new();
    // Minutes of work: interrupted below.
    let child = spawn(
        &t,
        &[
            "run", "--paths", "1000000", "--charts", "none", "-q", "--out", "out",
        ],
    );
    wait_for_staging(&t.join("out"));
    let staging = hidden(&t.join("out"));
    // The same scenario into the same folder, from a namespace where the live
    // run's pid is not alive.
    let out = Command::new("unshare")
        .args(["-p", "-f", "--mount-proc", env!("CARGO_BIN_EXE_enclave")])
        .args([
            "run",
            "--paths",
            "200",
            "--horizon",
            "5",
            "--charts",
            "none",
        ])
        .args(["--out", "out"])
        .current_dir(t.path())
        .output()
        .expect("run unshare");
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!stderr(&out).contains("removed"), "{}", stderr(&out));
    assert_eq!(hidden(&t.join("out")), staging);
    kill("-INT", child.id());
    let out = child.wait_with_output().expect("wait for enclave");
    assert_eq!(out.status.code(), Some(130), "{}", stderr(&out));
}

/// Two runs into one folder at once: the later stops before it simulates,
/// naming the live one, which goes on (both published whole, and the last to
/// finish replaced the other's results without a word: exploratory test).
#[test]
fn a_second_run_into_the_same_folder_stops() {
    let t = TestDir::new();
    // Minutes of work: interrupted below.
    let child = spawn(
        &t,
        &[
            "run", "--paths", "1000000", "--charts", "none", "-q", "--out", "out",
        ],
    );
    wait_for_staging(&t.join("out"));
    let out = t.cmd(&[
        "run",
        "--paths",
        "200",
        "--horizon",
        "5",
        "--charts",
        "none",
        "--out",
        "out",
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(
        stderr(&out),
        format!(
            "error: cannot write results into out: another enclave process (pid {}) is writing out/{ID}; wait for it to finish, or choose another --out\n",
            child.id()
        )
    );
    kill("-INT", child.id());
    let out = child.wait_with_output().expect("wait for enclave");
    assert_eq!(out.status.code(), Some(130), "{}", stderr(&out));
    assert!(!t.join("out").join(ID).exists());
}

// ---------------------------------------------------------------------------------
// Fail fast
// ---------------------------------------------------------------------------------

#[test]
fn an_unusable_out_fails_before_simulating() {
    let t = TestDir::new();
    t.create("file", "not a folder");
    let started = Instant::now();
    // A run this long would take minutes (and is within the work budget): the
    // error must come first.
    let out = t.cmd(&["run", "--paths", "1000000", "--out", "file"]);
    assert_eq!(out.status.code(), Some(1));
    // Said as a file in the way, not "File exists (os error 17)" (exploratory test).
    assert_eq!(
        stderr(&out),
        "error: --out file is a file; choose a folder\n"
    );
    let out = t.cmd(&["run", "--paths", "1000000", "--out", "file/sub"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out),
        "error: --out file/sub: file is a file, not a folder; choose another --out\n"
    );
    assert!(started.elapsed() < Duration::from_secs(20));

    // A read-only folder (not read-only for root, who may write anywhere).
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let ro = t.join("ro");
        std::fs::create_dir(&ro).expect("ro");
        std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o555)).expect("chmod");
        if std::fs::create_dir(ro.join("probe")).is_err() {
            let out = t.cmd(&["run", "--paths", "1000000", "--out", "ro"]);
            assert_eq!(out.status.code(), Some(1));
            assert_eq!(
                stderr(&out),
                "error: cannot write results into ro: cannot create a folder in ro: Permission denied (os error 13)\n"
            );
            assert!(started.elapsed() < Duration::from_secs(20));
        }
        std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    }
    // A folder nobody may write into, root included: sysfs refuses new folders.
    let sys = Path::new("/sys/fs");
    if sys.is_dir() && std::fs::create_dir(sys.join("enclave-probe")).is_err() {
        let out = t.cmd(&["run", "--paths", "1000000", "--out", "/sys/fs"]);
        assert_eq!(out.status.code(), Some(1));
        let err = stderr(&out);
        assert!(
            err.starts_with(
                "error: cannot write results into /sys/fs: cannot create a folder in /sys/fs: "
            ),
            "{err}"
        );
        assert!(started.elapsed() < Duration::from_secs(20));
    }
}

#[test]
fn a_run_refuses_to_replace_what_enclave_did_not_write_before_simulating() {
    let t = TestDir::new();
    std::fs::create_dir_all(t.join(DIR)).expect("folder");
    t.create(&format!("{DIR}/notes.txt"), "notes");
    let started = Instant::now();
    // A run this long would take minutes: the refusal must come first, and
    // --force (which reruns enclave's own results) does not override it.
    for force in [&[][..], &["--force"]] {
        let mut args = vec!["run", REFERENCE_PATH, "--paths", "1000000", "--out", "out"];
        args.extend_from_slice(force);
        let out = t.cmd(&args);
        assert_eq!(
            common::bad_input(&out),
            format!(
                "error: {REFERENCE_PATH}: {DIR} is a folder that enclave did not write (it holds no manifest.json or run.json), and the results would replace it; move it, or choose another --out\n"
            )
        );
    }
    assert_eq!(t.read(&format!("{DIR}/notes.txt")), "notes");
    assert!(hidden(&t.join("out")).is_empty());

    // A file where the folder goes: refused, and left where it is.
    std::fs::remove_dir_all(t.join(DIR)).expect("remove");
    t.create(DIR, "mine");
    let out = t.cmd(&["run", REFERENCE_PATH, "--paths", "1000000", "--out", "out"]);
    assert_eq!(
        common::bad_input(&out),
        format!(
            "error: {REFERENCE_PATH}: {DIR} is a file, and the results would replace it; move it, or choose another --out\n"
        )
    );
    assert_eq!(t.read(DIR), "mine");
    assert!(hidden(&t.join("out")).is_empty());
    assert!(started.elapsed() < Duration::from_secs(20));

    // The same for the merge of shards and for a sensitivity analysis.
    let small = ["--paths", "200", "--horizon", "5", "--quiet"];
    let mut shard = vec!["run", REFERENCE_PATH, "--shard", "1/1", "--out", "parts"];
    shard.extend_from_slice(&small);
    t.ok(&shard);
    let out = t.cmd(&["merge", "parts", "--out", "out", "--quiet"]);
    assert_eq!(
        common::bad_input(&out),
        format!(
            "error: {DIR} is a file, and the results would replace it; move it, or choose another --out\n"
        )
    );
    assert_eq!(t.read(DIR), "mine");
    t.create(&format!("{DIR}-sensitivity"), "mine");
    let mut sens = vec![
        "sensitivity",
        REFERENCE_PATH,
        "--method",
        "tornado",
        "--out",
        "out",
    ];
    sens.extend_from_slice(&small);
    let out = t.cmd(&sens);
    assert_eq!(
        common::bad_input(&out),
        format!(
            "error: {REFERENCE_PATH}: {DIR}-sensitivity is a file, and the results would replace it; move it, or choose another --out\n"
        )
    );
    assert!(hidden(&t.join("out")).is_empty());

    // An empty folder is replaced, and so, as before, is enclave's own.
    std::fs::remove_file(t.join(DIR)).expect("remove");
    std::fs::create_dir(t.join(DIR)).expect("empty folder");
    let mut run = vec!["run", REFERENCE_PATH, "--charts", "none", "--out", "out"];
    run.extend_from_slice(&small);
    t.ok(&run);
    publish::verify(&t.join(DIR)).expect("published");
    run.push("--force");
    t.ok(&run);
    publish::verify(&t.join(DIR)).expect("published again");
}

#[test]
fn a_300_character_alternative_name_gives_bounded_chart_file_names() {
    let t = TestDir::new();
    let mut text = REFERENCE.to_owned();
    let long = "x".repeat(300);
    replace_line(
        &mut text,
        "name = \"fixed 50:50\"",
        &format!("name = \"{long}\""),
    );
    t.create("long.toml", &text);
    t.ok(&[
        "run",
        "long.toml",
        "--paths",
        "200",
        "--horizon",
        "5",
        "--charts",
        "both",
        "--quiet",
        "--out",
        "out",
    ]);
    let stem = format!("cash-flow-01-{}", "x".repeat(48));
    for ext in ["png", "svg"] {
        assert!(
            t.exists(&format!("{DIR}/charts/{stem}.{ext}")),
            "{stem}.{ext}"
        );
    }
    t.ok(&["report", DIR]);
}

// ---------------------------------------------------------------------------------
// Closed and full standard output
// ---------------------------------------------------------------------------------

#[test]
fn a_closed_stdout_ends_quietly() {
    let t = TestDir::new();
    // Two files for two lines (one file given twice is refused).
    t.create(
        "other.toml",
        &REFERENCE.replacen("id = \"jilin-zhejiang\"", "id = \"other\"", 1),
    );
    for args in [
        vec![
            "run",
            "--paths",
            "200",
            "--horizon",
            "5",
            "--charts",
            "none",
            "--out",
            "out",
        ],
        vec!["validate", REFERENCE_PATH, "other.toml"],
    ] {
        // As `enclave ... | head -0`: the reader is gone before anything is written.
        let mut child = Command::new(env!("CARGO_BIN_EXE_enclave"))
            .args(&args)
            .current_dir(t.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start enclave");
        drop(child.stdout.take());
        let out = child.wait_with_output().expect("wait");
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", stderr(&out));
        assert_eq!(stderr(&out), "", "{args:?}");
    }
    publish::verify(&t.join(DIR)).expect("the run still published its results");
}

#[test]
fn a_full_stdout_is_an_error_not_a_panic() {
    let Ok(full) = std::fs::OpenOptions::new().write(true).open("/dev/full") else {
        return; // not on Linux
    };
    let t = TestDir::new();
    // `validate`'s report, and clap's help text.
    for args in [vec!["validate", REFERENCE_PATH], vec!["--help"]] {
        let full = full.try_clone().expect("/dev/full");
        let out = Command::new(env!("CARGO_BIN_EXE_enclave"))
            .args(&args)
            .current_dir(t.path())
            .stdout(full)
            .output()
            .expect("run enclave");
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        assert_eq!(
            stderr(&out),
            "error: cannot write to standard output: No space left on device (os error 28)\n",
            "{args:?}"
        );
    }
}

/// Ctrl-C during a merge stops it between scenarios: the note says which were
/// written, the set's files are not, no temporary file is left, and the same
/// merge run again completes.
#[test]
fn an_interrupted_merge_says_what_it_wrote_and_leaves_no_temporary_files() {
    let t = TestDir::new();
    let ids = ["first", "second", "third"];
    for id in ids {
        let mut text = REFERENCE.to_owned();
        replace_line(
            &mut text,
            "id = \"jilin-zhejiang\"",
            &format!("id = \"{id}\""),
        );
        t.create(&format!("{id}.toml"), &text);
    }
    let files: Vec<String> = ids.iter().map(|id| format!("{id}.toml")).collect();
    let mut args: Vec<&str> = vec!["run"];
    args.extend(files.iter().map(String::as_str));
    args.extend([
        "--paths",
        "2000",
        "--horizon",
        "10",
        "--shard",
        "1/1",
        "--out",
        "parts",
        "--quiet",
    ]);
    t.ok(&args);
    let merge = ["merge", "parts", "--out", "out", "--quiet"];
    let child = spawn(&t, &merge);
    wait_for(&t, "out/first");
    kill("-INT", child.id());
    let out = child.wait_with_output().expect("wait for enclave");
    assert_eq!(out.status.code(), Some(130), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.starts_with(
            "interrupted by SIGINT: the merge stopped; scenarios merged and written: first"
        ) && err.ends_with("; the set's files were not written; run the same merge again\n"),
        "{err}"
    );
    assert!(!t.exists("out/set/summary.csv") && !t.exists("out/set/manifest.json"));
    assert!(
        hidden(&t.join("out")).is_empty(),
        "{:?}",
        hidden(&t.join("out"))
    );
    assert!(
        hidden(&t.join("out/set")).is_empty(),
        "{:?}",
        hidden(&t.join("out/set"))
    );
    t.ok(&merge);
    // Its data files (the page is drawn after them, and again by `report`).
    publish::verify_data(&t.join("out/set")).expect("the set's folder verifies");
}

/// Ctrl-C or SIGTERM during `enclave report` stops it as it stops `run`: a
/// note, exit status 130 or 143, the folder as it was and no temporary folder
/// left. It was killed without a word and left `.<id>.tmp-…`, which no later
/// `report` removed (exploratory test); a dead `report`'s leftover of the
/// folder it redraws is now removed by the next one.
#[test]
fn report_stops_on_a_signal_and_removes_what_a_dead_report_left() {
    let t = TestDir::new();
    small_run(&t);
    let before = t.read_bytes(&format!("{DIR}/manifest.json"));
    for (signal, status, name) in [("-INT", 130, "SIGINT"), ("-TERM", 143, "SIGTERM")] {
        // PNG charts too: the longest redraw, so that the signal comes during it.
        let child = spawn(&t, &["report", DIR, "--charts", "both"]);
        wait_for_staging(&t.join("out"));
        kill(signal, child.id());
        let out = child.wait_with_output().expect("wait for enclave");
        assert_eq!(out.status.code(), Some(status), "{}", stderr(&out));
        assert!(
            stderr(&out).starts_with(&format!(
                "interrupted by {name}: {DIR} was not redrawn (it is as it was); redrawn: none"
            )),
            "{}",
            stderr(&out)
        );
        assert!(
            hidden(&t.join("out")).is_empty(),
            "{:?}",
            hidden(&t.join("out"))
        );
        assert!(t.read_bytes(&format!("{DIR}/manifest.json")) == before);
        publish::verify(&t.join(DIR)).expect("the folder is as it was");
    }
    // A report that died (kill -9) left its folder: the next report removes
    // it, and leaves another folder's, which is not the one it redraws.
    let dead = dead_pid();
    let key = publish::owner_key();
    let mine = format!(".{ID}.tmp-{key}-{dead}-0");
    let other = format!(".other.tmp-{key}-{dead}-0");
    for name in [&mine, &other] {
        leftover(&t, name, Duration::ZERO);
    }
    let out = t.ok(&["report", DIR, "--charts", "none"]);
    assert!(
        stderr(&out).contains(&format!(
            "removed {}",
            t.join("out")
                .canonicalize()
                .expect("out")
                .join(&mine)
                .display()
        )),
        "{}",
        stderr(&out)
    );
    assert_eq!(hidden(&t.join("out")), vec![other]);
}
