//! Harness for the command-line tests, in the style of ripgrep's and xsv's: each
//! test gets a fresh temporary folder, runs the real `enclave` binary in it and
//! reads back what it wrote.

// Each test binary uses its own part of the harness.
#![allow(dead_code)]

pub mod paths;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use enclave::engine::RunState;
use enclave::output;
use enclave::scenario::Scenario;
use tempfile::TempDir;

/// The reference scenario as shipped in the repository.
pub const REFERENCE_PATH: &str =
    concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/jilin-zhejiang.toml");

/// The reference scenario's text.
pub const REFERENCE: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/scenarios/jilin-zhejiang.toml"
));

/// A fresh temporary folder in which `enclave` is run.
pub struct TestDir {
    dir: TempDir,
}

impl TestDir {
    /// A new empty folder.
    pub fn new() -> TestDir {
        let dir = tempfile::Builder::new()
            .prefix("enclave-cli-")
            .tempdir()
            .expect("create temporary folder");
        TestDir { dir }
    }

    /// The folder.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// `name` inside the folder.
    pub fn join(&self, name: &str) -> PathBuf {
        self.path().join(name)
    }

    /// Writes `contents` to `name` in the folder.
    pub fn create(&self, name: &str, contents: &str) -> PathBuf {
        let path = self.join(name);
        std::fs::write(&path, contents).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
        path
    }

    /// Runs `enclave ARGS` with the folder as working directory.
    pub fn cmd(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_enclave"))
            .args(args)
            .current_dir(self.path())
            .output()
            .expect("run enclave")
    }

    /// Runs `enclave ARGS` with `input` on its standard input, a pipe (written
    /// from a thread of its own, so that a large input cannot block both).
    pub fn cmd_stdin(&self, args: &[&str], input: &[u8]) -> Output {
        use std::io::Write;
        let mut child = Command::new(env!("CARGO_BIN_EXE_enclave"))
            .args(args)
            .current_dir(self.path())
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("run enclave");
        let mut stdin = child.stdin.take().expect("its standard input");
        let input = input.to_vec();
        // A command that stops reading early closes the pipe: not a failure here.
        let writer = std::thread::spawn(move || {
            let _ = stdin.write_all(&input);
        });
        let out = child.wait_with_output().expect("run enclave");
        writer.join().expect("the writer");
        out
    }

    /// Runs `enclave ARGS` and checks it succeeded, returning its output.
    pub fn ok(&self, args: &[&str]) -> Output {
        let out = self.cmd(args);
        assert!(
            out.status.success(),
            "enclave {args:?} failed with {}\nstdout:\n{}\nstderr:\n{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        out
    }

    /// The contents of `name` (relative to the folder) as bytes.
    pub fn read_bytes(&self, name: &str) -> Vec<u8> {
        let path = self.join(name);
        std::fs::read(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
    }

    /// The contents of `name` (relative to the folder) as text.
    pub fn read(&self, name: &str) -> String {
        String::from_utf8(self.read_bytes(name)).expect("UTF-8 output")
    }

    /// Whether `name` (relative to the folder) exists.
    pub fn exists(&self, name: &str) -> bool {
        self.join(name).exists()
    }

    /// Panics if any file under `name` is a leftover temporary of an atomic write,
    /// or a staging or replaced folder (`.<id>.tmp-<key>-<pid>-<n>`, `.<id>.old-<key>-<pid>-<n>`).
    pub fn assert_no_temp_files(&self, name: &str) {
        let mut stack = vec![self.join(name)];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).expect("read output folder") {
                let entry = entry.expect("folder entry");
                let file_name = entry.file_name().to_string_lossy().into_owned();
                assert!(
                    !(file_name.starts_with(".enclave-")
                        || file_name.ends_with(".tmp")
                        || file_name.contains(".tmp-")
                        || file_name.contains(".old-")),
                    "leftover temporary file {}",
                    entry.path().display()
                );
                if entry.file_type().expect("file type").is_dir() {
                    stack.push(entry.path());
                }
            }
        }
    }
}

/// 1-based number of the first line of `text` that starts with `prefix`.
pub fn line_starting(text: &str, prefix: &str) -> usize {
    text.lines()
        .position(|l| l.starts_with(prefix))
        .unwrap_or_else(|| panic!("no line starts with {prefix:?}"))
        + 1
}

/// Replaces the one line of `text` that starts with `prefix` by `new`; returns its
/// 1-based number. Panics unless exactly one line matches, so line numbers in the
/// tests are never ambiguous.
pub fn replace_line(text: &mut String, prefix: &str, new: &str) -> usize {
    let lines: Vec<&str> = text.lines().collect();
    let hits: Vec<usize> = lines
        .iter()
        .enumerate()
        .filter(|(_, l)| l.starts_with(prefix))
        .map(|(i, _)| i)
        .collect();
    assert_eq!(hits.len(), 1, "lines starting with {prefix:?}: {hits:?}");
    let i = hits[0];
    let mut out: Vec<String> = lines.iter().map(|l| (*l).to_owned()).collect();
    out[i] = new.to_owned();
    let mut joined = out.join("\n");
    joined.push('\n');
    *text = joined;
    i + 1
}

/// Checks `out` is a clean rejection of bad input (exit status 2, no panic) and
/// returns its stderr.
pub fn bad_input(out: &Output) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(
        out.status.code(),
        Some(2),
        "expected exit status 2, got {}\nstderr:\n{stderr}",
        out.status
    );
    assert!(
        !stderr.contains("panicked"),
        "panic on bad input:\n{stderr}"
    );
    stderr
}

/// The problem lines of a problem report for `file`, checking its shape: a header
/// `FILE: N problem(s) found` followed by exactly N lines `  FILE:...`.
pub fn problem_lines(stderr: &str, file: &str) -> Vec<String> {
    let lines: Vec<&str> = stderr.lines().collect();
    let header = lines
        .iter()
        .position(|l| l.contains(&format!("{file}: ")) && l.contains(" found"))
        .unwrap_or_else(|| panic!("no problem header for {file} in:\n{stderr}"));
    let head = lines[header];
    let count: usize = head
        .split(&format!("{file}: "))
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no problem count in {head:?}"));
    let body: Vec<String> = lines[header + 1..]
        .iter()
        .take_while(|l| l.starts_with(&format!("  {file}:")))
        .map(|l| (*l).to_owned())
        .collect();
    assert_eq!(
        body.len(),
        count,
        "header says {count} problems, found {} lines:\n{stderr}",
        body.len()
    );
    let plural = if count == 1 { "problem" } else { "problems" };
    assert!(
        head.ends_with(&format!("{file}: {count} {plural} found")),
        "header {head:?}"
    );
    body
}

/// Asserts exactly one problem line reads `  FILE:LINE: FIELD: ...` with `message`
/// somewhere after the field.
pub fn assert_problem(problems: &[String], file: &str, line: usize, field: &str, message: &str) {
    let prefix = format!("  {file}:{line}: {field}: ");
    let hits: Vec<&String> = problems
        .iter()
        .filter(|p| p.starts_with(&prefix) && p[prefix.len()..].contains(message))
        .collect();
    assert_eq!(
        hits.len(),
        1,
        "expected one problem `{prefix}...{message}...`, found {} in:\n{}",
        hits.len(),
        problems.join("\n")
    );
}

/// The three statistics files of a state, as bytes.
pub fn csv_files(scn: &Scenario, state: &RunState) -> Vec<Vec<u8>> {
    let p = Path::new("x.csv");
    vec![
        output::summary_csv(scn, state, p).expect("summary"),
        output::timeseries_csv(scn, state, p).expect("timeseries"),
        output::distribution_csv(scn, state, p).expect("distribution"),
    ]
}

/// The rows of a CSV file as maps from column to cell.
pub fn csv_rows(text: &str) -> Vec<std::collections::HashMap<String, String>> {
    let mut r = csv::Reader::from_reader(text.as_bytes());
    let header: Vec<String> = r
        .headers()
        .expect("header")
        .iter()
        .map(String::from)
        .collect();
    r.records()
        .map(|rec| {
            let rec = rec.expect("row");
            header
                .iter()
                .cloned()
                .zip(rec.iter().map(String::from))
                .collect()
        })
        .collect()
}
