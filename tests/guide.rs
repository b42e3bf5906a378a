//! docs/guide.md as a test: every file it shows is written, every command in its
//! `sh` blocks is run (from a folder holding a copy of `scenarios/`), and every
//! output it shows is checked against what the engine gives.
//!
//! The guide's markers, each an HTML comment on a line of its own before a block:
//! - `<!-- file: NAME -->`: the next code block is written to NAME;
//! - `<!-- derive: NEW from OLD: "a" => "b"; ... -->`: NEW is OLD with each quoted
//!   text (which must occur exactly once; `\n` and `\"` escaped) replaced;
//! - `<!-- fails -->`: the commands of the next `sh` block must exit with status 2;
//! - `<!-- exits N -->`: the commands of the next `sh` block must exit with status N
//!   (a `solve` whose target is not met exits with 1);
//! - `<!-- stdout of the command above, from its second line -->` or
//!   `<!-- stdout of the command above, lines A to B -->`: the next `text` block is
//!   those lines of the last command's standard output;
//! - `<!-- header of: PATH -->`: the next `text` block is the first line of PATH;
//! - `<!-- same bytes: A B -->`: files A and B are byte-identical.
//!
//! A `text` block without a marker right after an `sh` block is the last command's
//! standard output (its standard error when it failed).

mod common;

use std::path::Path;
use std::process::Output;

use common::TestDir;

const GUIDE: &str = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/guide.md"));

/// What the next block is to be checked against or used for.
#[derive(Debug, Clone, PartialEq)]
enum Marker {
    File(String),
    /// The next commands exit with this status (`fails`: 2).
    Exits(i32),
    StdoutLines(usize, Option<usize>),
    Header(String),
}

/// The guide's code blocks and markers, in order.
#[derive(Debug)]
enum Item {
    Marker(Marker),
    Derive {
        new: String,
        old: String,
        edits: Vec<(String, String)>,
    },
    SameBytes(String, String),
    Block {
        lang: String,
        text: String,
    },
}

fn parse(guide: &str) -> Vec<Item> {
    let mut items = Vec::new();
    let mut lines = guide.lines();
    while let Some(line) = lines.next() {
        if let Some(fence) = line.strip_prefix("```") {
            let lang = fence.trim().to_owned();
            let mut text = String::new();
            for l in lines.by_ref() {
                if l.starts_with("```") {
                    break;
                }
                text.push_str(l);
                text.push('\n');
            }
            items.push(Item::Block { lang, text });
        } else if let Some(body) = line
            .strip_prefix("<!-- ")
            .and_then(|l| l.strip_suffix(" -->"))
        {
            items.push(marker(body));
        }
    }
    items
}

fn marker(body: &str) -> Item {
    if let Some(name) = body.strip_prefix("file: ") {
        Item::Marker(Marker::File(name.to_owned()))
    } else if body == "fails" {
        Item::Marker(Marker::Exits(2))
    } else if let Some(code) = body.strip_prefix("exits ") {
        Item::Marker(Marker::Exits(code.parse().expect("an exit status")))
    } else if body == "stdout of the command above, from its second line" {
        Item::Marker(Marker::StdoutLines(2, None))
    } else if let Some(range) = body.strip_prefix("stdout of the command above, lines ") {
        let (a, b) = range.split_once(" to ").expect("lines A to B");
        Item::Marker(Marker::StdoutLines(
            a.parse().expect("line number"),
            Some(b.parse().expect("line number")),
        ))
    } else if let Some(path) = body.strip_prefix("header of: ") {
        Item::Marker(Marker::Header(path.to_owned()))
    } else if let Some(files) = body.strip_prefix("same bytes: ") {
        let (a, b) = files.split_once(' ').expect("two files");
        Item::SameBytes(a.to_owned(), b.to_owned())
    } else if let Some(rest) = body.strip_prefix("derive: ") {
        let (new, rest) = rest
            .split_once(" from ")
            .expect("derive: NEW from OLD: edits");
        let (old, edits) = rest.split_once(": ").expect("derive: NEW from OLD: edits");
        Item::Derive {
            new: new.to_owned(),
            old: old.to_owned(),
            edits: quoted(edits)
                .chunks(2)
                .map(|pair| (pair[0].clone(), pair[1].clone()))
                .collect(),
        }
    } else {
        panic!("unknown guide marker <!-- {body} -->")
    }
}

/// The quoted strings of `s`, unescaping `\n`, `\"` and `\\`.
fn quoted(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '"' {
            continue;
        }
        let mut text = String::new();
        while let Some(c) = chars.next() {
            match c {
                '"' => break,
                '\\' => match chars.next() {
                    Some('n') => text.push('\n'),
                    Some(other) => text.push(other),
                    None => panic!("dangling escape in {s}"),
                },
                c => text.push(c),
            }
        }
        out.push(text);
    }
    assert!(out.len() % 2 == 0, "edits come in pairs: {s}");
    out
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create folder");
    for entry in std::fs::read_dir(from).expect("read folder") {
        let entry = entry.expect("folder entry");
        if entry.file_type().expect("file type").is_file() {
            std::fs::copy(entry.path(), to.join(entry.file_name())).expect("copy file");
        }
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).expect("UTF-8 output")
}

#[test]
fn every_file_command_and_output_in_the_guide_holds() {
    let dir = TestDir::new();
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios"),
        &dir.join("scenarios"),
    );
    let mut pending: Option<Marker> = None;
    let mut last: Option<(String, Output)> = None;
    let (mut files, mut commands, mut outputs) = (0, 0, 0);
    for item in parse(GUIDE) {
        match item {
            Item::Marker(m) => {
                assert!(pending.is_none(), "two markers in a row before {m:?}");
                pending = Some(m);
            }
            Item::Derive { new, old, edits } => {
                let mut s = dir.read(&old);
                for (from, to) in &edits {
                    assert_eq!(
                        s.matches(from.as_str()).count(),
                        1,
                        "{new}: {from:?} must occur once in {old}"
                    );
                    s = s.replacen(from.as_str(), to, 1);
                }
                dir.create(&new, &s);
                files += 1;
            }
            Item::SameBytes(a, b) => {
                assert!(
                    dir.read_bytes(&a) == dir.read_bytes(&b),
                    "{a} and {b} differ"
                );
                outputs += 1;
            }
            Item::Block { lang, text: body } => match (pending.take(), lang.as_str()) {
                (Some(Marker::File(name)), _) => {
                    dir.create(&name, &body);
                    files += 1;
                }
                (marker, "sh") => {
                    let expect_failure = match marker {
                        Some(Marker::Exits(code)) => Some(code),
                        None => None,
                        Some(m) => panic!("{m:?} before sh"),
                    };
                    for line in body.lines().filter(|l| !l.trim().is_empty()) {
                        let words: Vec<&str> = line.split_whitespace().collect();
                        assert_eq!(words[0], "enclave", "guide commands run enclave: {line}");
                        let out = dir.cmd(&words[1..]);
                        if let Some(code) = expect_failure {
                            assert_eq!(
                                out.status.code(),
                                Some(code),
                                "{line} should exit with {code}"
                            );
                        } else {
                            assert!(
                                out.status.success(),
                                "{line} failed\nstdout:\n{}\nstderr:\n{}",
                                text(&out.stdout),
                                text(&out.stderr)
                            );
                        }
                        commands += 1;
                        last = Some((line.to_owned(), out));
                    }
                }
                (Some(Marker::StdoutLines(from, to)), "text") => {
                    let (line, out) = last.as_ref().expect("a command before its output");
                    let stdout = text(&out.stdout);
                    let lines: Vec<&str> = stdout.lines().collect();
                    let to = to.unwrap_or(lines.len());
                    let got = lines[from - 1..to].join("\n") + "\n";
                    assert_eq!(got, body, "the guide's output of `{line}` is out of date");
                    outputs += 1;
                }
                (Some(Marker::Header(path)), "text") => {
                    let file = dir.read(&path);
                    let header = file.lines().next().unwrap_or_default();
                    assert_eq!(format!("{header}\n"), body, "the header of {path}");
                    outputs += 1;
                }
                (None, "text") => {
                    if let Some((line, out)) = last.take() {
                        let shown = if out.status.success() {
                            &out.stdout
                        } else {
                            &out.stderr
                        };
                        assert_eq!(
                            text(shown),
                            body,
                            "the guide's output of `{line}` is out of date"
                        );
                        outputs += 1;
                    }
                }
                (None, _) => {}
                (Some(m), lang) => panic!("{m:?} before a {lang} block"),
            },
        }
    }
    assert!(pending.is_none(), "a marker at the end of the guide");
    // The guide shows a scenario and two variants, runs its commands and shows
    // their output: a guide that lost them would pass vacuously.
    assert!(files >= 3, "{files} files");
    assert!(commands >= 10, "{commands} commands");
    assert!(outputs >= 7, "{outputs} outputs checked");

    // The claim under "Compare variants": the host's figures do not move when more
    // of the source's firms relocate, but for its share of the two regions' game.
    let rows = |id: &str| -> Vec<String> {
        dir.read(&format!("compare/{id}/summary.csv"))
            .lines()
            .filter(|l| l.split(',').nth(2) == Some("heyuan"))
            .filter(|l| !matches!(l.split(',').nth(3), Some("shapley" | "shapley_gap")))
            .map(|l| l.split_once(',').expect("a scenario column").1.to_owned())
            .collect()
    };
    let (base, variant) = (
        rows("zhongshan-heyuan"),
        rows("zhongshan-heyuan-more-firms"),
    );
    assert!(!base.is_empty());
    assert_eq!(base, variant, "Heyuan's figures are the same in both runs");

    // The guide's table of outputs says what distribution.csv holds: the NPV's
    // percentiles only. It said "the quantile function of each measure", which
    // sent readers looking there for IRR or payback (exploratory test).
    let row = GUIDE
        .lines()
        .find(|l| l.starts_with("| `distribution.csv` |"))
        .expect("the guide lists distribution.csv");
    let metrics: std::collections::BTreeSet<String> =
        common::csv_rows(&dir.read("results/zhongshan-heyuan/distribution.csv"))
            .into_iter()
            .map(|r| r["metric"].clone())
            .collect();
    assert_eq!(metrics.into_iter().collect::<Vec<_>>(), ["npv"]);
    assert!(
        row.contains("NPV") && !row.contains("each measure"),
        "the guide's row for distribution.csv: {row}"
    );
}
