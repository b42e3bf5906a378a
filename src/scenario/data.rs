//! Observed values read from a CSV file: the data of an `empirical` input (read
//! when the scenario is loaded) and of `enclave fit`.
//!
//! A scenario whose inputs read data is identified by its text *and* its data:
//! [`scenario_sha256`] mixes each data file's SHA-256 into the scenario's, so two
//! runs with different data never claim the same scenario.

use std::borrow::Cow;
use std::io::Read;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

/// Largest data file read, in bytes (64 MiB).
pub const MAX_DATA_BYTES: u64 = 64 << 20;

/// Most values read from one column.
pub const MAX_DATA_VALUES: usize = 1_000_000;

/// A CSV file read by an `empirical` input when the scenario was loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataSource {
    /// Field path of the input, e.g. `firms.revenue_per_mu`.
    pub field: String,
    /// The file as written in the scenario (relative to the scenario's folder).
    pub file: String,
    /// The file as read.
    pub path: PathBuf,
    /// The column read.
    pub column: String,
    /// SHA-256 of the file's bytes, lower-case hex.
    pub sha256: String,
}

/// `dir` (the current folder when empty) as an absolute path with links
/// resolved, or made absolute without resolving them when it cannot be
/// (removed since), or as it is when even that fails.
pub fn absolute_dir(dir: &Path) -> PathBuf {
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    dir.canonicalize()
        .or_else(|_| std::path::absolute(dir))
        .unwrap_or_else(|_| dir.to_owned())
}

/// What went wrong reading a column: at the file (cannot be read) or at the
/// column (absent, a cell that is not a number, too many values).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DataError {
    /// The file cannot be read or is not CSV.
    File(String),
    /// The column is absent or holds something other than numbers.
    Column(String),
}

impl std::fmt::Display for DataError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DataError::File(m) | DataError::Column(m) => f.write_str(m),
        }
    }
}

/// What to do with a CSV file that is not UTF-8, after the shared wording of
/// [`super::utf8_text`]: Excel saves CSV in the system's code page (GBK on a
/// Chinese Windows) unless told otherwise.
const SAVE_AS_UTF8: &str =
    "from Excel, save it again as \"CSV UTF-8 (Comma delimited)\" (\"CSV UTF-8(逗号分隔)\")";

/// The values of `column` (by its header, the first row) of the CSV file at
/// `path`, in file order, and the SHA-256 of the file's bytes.
///
/// The file is UTF-8 (a byte order mark is skipped) in the CSV of RFC 4180:
/// cells separated by commas, rows by line breaks (LF, CRLF or CR), a cell that
/// starts with `"` quoted up to the next lone `"`. Every row has as many cells as
/// the header: a row with more or fewer is an error naming its line (a number
/// written with a thousands separator, `1,000`, is two cells). An empty line is a
/// row of one empty cell, so it is an error too, except for the line break that
/// ends the last row. The header must name `column` exactly once (surrounding
/// spaces allowed), and every cell of the column must be a number (surrounding
/// spaces allowed); an empty or non-numeric cell is an error naming the line.
///
/// # Errors
/// [`DataError::File`] when the file cannot be read, is larger than
/// [`MAX_DATA_BYTES`], is not UTF-8, has a quoted cell that is never closed or a
/// row whose number of cells differs from the header's; [`DataError::Column`]
/// when the column is absent or named twice, a cell of it is not a finite number,
/// or it holds more than [`MAX_DATA_VALUES`] values.
pub fn read_column(path: &Path, column: &str) -> Result<(Vec<f64>, String), DataError> {
    // Headers are matched without their surrounding spaces: so is the name.
    let column = column.trim();
    let shown = path.display();
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(MAX_DATA_BYTES + 1).read_to_end(&mut bytes))
        .map_err(|e| DataError::File(format!("cannot read {shown} ({e})")))?;
    if bytes.len() as u64 > MAX_DATA_BYTES {
        return Err(DataError::File(format!(
            "{shown} is larger than {} MiB (MAX_DATA_BYTES)",
            MAX_DATA_BYTES >> 20
        )));
    }
    let sha256 = super::sha256_hex(&bytes);
    let text = super::utf8_text(&bytes)
        .map_err(|e| DataError::File(format!("{shown}: {}; {SAVE_AS_UTF8}", e.message)))?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let unclosed = |u: Unclosed| {
        DataError::File(match u.after {
            None => format!(
                "{shown}:{}: expected a `\"` closing the quoted cell that starts on this line, found the end of the file",
                u.line
            ),
            Some(text) => format!(
                "{shown}:{}: expected a comma or the end of the line after a quoted cell's closing `\"`, found `{text}` (a `\"` inside a quoted cell is written `\"\"`)",
                u.line
            ),
        })
    };
    let mut rows = Rows::new(text);
    let header = match rows.next() {
        None => {
            return Err(DataError::Column(format!(
                "expected a header row naming column `{column}` in {shown}, found an empty file"
            )));
        }
        Some(row) => row.map_err(unclosed)?,
    };
    if header.blank {
        return Err(DataError::Column(format!(
            "{shown}:1: expected a header row naming column `{column}`, found an empty line"
        )));
    }
    let named: Vec<usize> = (0..header.cells.len())
        .filter(|&i| header.cells[i].trim() == column)
        .collect();
    let index = match named[..] {
        [i] => i,
        [] => {
            let names: Vec<String> = header
                .cells
                .iter()
                .map(|h| format!("`{}`", h.trim()))
                .collect();
            return Err(DataError::Column(format!(
                "expected a column `{column}` in {shown}, whose header has {}",
                names.join(", ")
            )));
        }
        _ => {
            let at: Vec<String> = named.iter().map(|i| (i + 1).to_string()).collect();
            return Err(DataError::Column(format!(
                "{shown}:1: expected one column `{column}` in the header, found {} (columns {}); rename the others",
                named.len(),
                at.join(", ")
            )));
        }
    };
    let width = header.cells.len();
    let mut values = Vec::new();
    for row in rows {
        let row = row.map_err(unclosed)?;
        let line = row.line;
        if row.cells.len() != width {
            return Err(DataError::File(format!(
                "{shown}:{line}: {}",
                width_mismatch(width, &row)
            )));
        }
        let text = row.cells[index].trim();
        if text.is_empty() {
            let found = if row.blank {
                "an empty line"
            } else {
                "an empty cell"
            };
            return Err(DataError::Column(format!(
                "{shown}:{line}: expected a number in column `{column}`, found {found}"
            )));
        }
        match text.parse::<f64>() {
            Ok(x) if x.is_finite() => values.push(x),
            _ => {
                let hint = if thousands(text) {
                    format!(
                        ", a number written with a thousands separator: write it without one ({})",
                        text.replace(',', "")
                    )
                } else {
                    String::new()
                };
                return Err(DataError::Column(format!(
                    "{shown}:{line}: expected a number in column `{column}`, found `{text}`{hint}"
                )));
            }
        }
        if values.len() > MAX_DATA_VALUES {
            return Err(DataError::Column(format!(
                "expected at most {MAX_DATA_VALUES} values (MAX_DATA_VALUES) in column `{column}` of {shown}"
            )));
        }
    }
    Ok((values, sha256))
}

/// Why a row of `row.cells.len()` cells does not fit a header of `width`: the
/// counts, the cells, and when a number looks split at a thousands separator
/// (`1,000` read as `1` and `000`), that.
fn width_mismatch(width: usize, row: &Row<'_>) -> String {
    let expected = format!("expected {}, as in the header", cells(width));
    if row.blank {
        return format!("{expected}, found an empty line");
    }
    const SHOWN: usize = 8;
    let mut listed: Vec<String> = row
        .cells
        .iter()
        .take(SHOWN)
        .map(|c| format!("`{c}`"))
        .collect();
    if row.cells.len() > SHOWN {
        listed.push("…".to_owned());
    }
    let mut message = format!(
        "{expected}, found {} ({})",
        row.cells.len(),
        listed.join(", ")
    );
    if row.cells.len() > width
        && let Some(number) = split_number(&row.cells)
    {
        message.push_str(&format!(
            ": `{number}` looks like a number written with a thousands separator and split at its comma; write numbers without one ({})",
            number.replace(',', "")
        ));
    }
    message
}

/// `n cells`, or `1 cell`.
fn cells(n: usize) -> String {
    if n == 1 {
        "1 cell".to_owned()
    } else {
        format!("{n} cells")
    }
}

/// Whether `s` is a number written with thousands separators: an optional sign,
/// 1 to 3 digits, one or more groups of `,` and 3 digits, an optional fraction
/// (`1,000`, `-12,345,678.9`).
fn thousands(s: &str) -> bool {
    let s = s.strip_prefix(['-', '+']).unwrap_or(s);
    let (whole, fraction) = s.split_once('.').unwrap_or((s, ""));
    let mut groups = whole.split(',');
    let lead = groups.next().unwrap_or_default();
    let digits = |g: &str| g.bytes().all(|b| b.is_ascii_digit());
    let mut rest = groups.peekable();
    (1..=3).contains(&lead.len())
        && digits(lead)
        && rest.peek().is_some()
        && rest.all(|g| g.len() == 3 && digits(g))
        && digits(fraction)
}

/// The first number of adjacent cells that reads as a thousands-separated number
/// once joined by commas (`1` and `000` → `1,000`), the longest such.
fn split_number(cells: &[Cow<'_, str>]) -> Option<String> {
    for i in 0..cells.len() {
        let mut joined = cells[i].trim().to_owned();
        let mut found = None;
        for c in &cells[i + 1..] {
            joined.push(',');
            joined.push_str(c.trim());
            if thousands(&joined) {
                found = Some(joined.clone());
            } else if !c.trim().bytes().all(|b| b.is_ascii_digit()) {
                break;
            }
        }
        if found.is_some() {
            return found;
        }
    }
    None
}

/// One row of CSV text.
#[derive(Debug, PartialEq)]
struct Row<'t> {
    /// 1-based line the row starts on.
    line: usize,
    /// The cells, unquoted.
    cells: Vec<Cow<'t, str>>,
    /// Whether the row is an empty line (one empty cell).
    blank: bool,
}

/// A quoted cell that starts on `line` and is never closed, or (`after`) is
/// followed by text before the cell's end.
#[derive(Debug, PartialEq)]
struct Unclosed {
    line: usize,
    after: Option<String>,
}

/// The rows of CSV text (RFC 4180), with the line each starts on.
///
/// Cells are separated by commas and rows by line breaks (LF, CRLF or a lone
/// CR). A cell that starts with `"` runs to the next `"` not doubled, and may
/// hold commas and line breaks; `""` inside it is one `"`; after the closing
/// quote only spaces may come before the cell's end (`"2"3` would silently read
/// as 23). An empty line is a row
/// of one empty cell; a line break at the end of the text ends the last row and
/// starts none.
///
/// The `csv` crate is not used here: it skips empty lines without a word, so a
/// blank line in a one-column file would lose nothing visible and an empty cell
/// would pass unreported, and the line it reports for a record after an empty
/// line or in a CRLF file is not the record's own.
struct Rows<'t> {
    text: &'t str,
    /// Byte offset of the next row.
    pos: usize,
    /// 1-based line at `pos`.
    line: usize,
}

impl<'t> Rows<'t> {
    fn new(text: &'t str) -> Self {
        Rows {
            text,
            pos: 0,
            line: 1,
        }
    }

    /// The quoted cell whose opening `"` is at `pos`, leaving `pos` at the cell's
    /// end; `Err` when it is never closed (`after` None) or text other than
    /// spaces follows its closing quote.
    fn quoted(&mut self) -> Result<Cow<'t, str>, Unclosed> {
        let line = self.line;
        let unclosed = Unclosed { line, after: None };
        let bytes = self.text.as_bytes();
        let mut out = String::new();
        let mut start = self.pos + 1;
        let mut i = start;
        loop {
            let Some(&byte) = bytes.get(i) else {
                return Err(unclosed);
            };
            match byte {
                b'"' if bytes.get(i + 1) == Some(&b'"') => {
                    // The slices end at ASCII bytes, so they are whole characters.
                    out.push_str(&self.text[start..=i]);
                    i += 2;
                    start = i;
                }
                b'"' => {
                    out.push_str(&self.text[start..i]);
                    i += 1;
                    break;
                }
                b'\n' => {
                    self.line += 1;
                    i += 1;
                }
                b'\r' => {
                    if bytes.get(i + 1) != Some(&b'\n') {
                        self.line += 1;
                    }
                    i += 1;
                }
                _ => i += 1,
            }
        }
        let rest = i;
        while i < bytes.len() && !matches!(bytes[i], b',' | b'\n' | b'\r') {
            i += 1;
        }
        let after = &self.text[rest..i];
        if !after.trim().is_empty() {
            return Err(Unclosed {
                line: self.line,
                after: Some(after.to_owned()),
            });
        }
        self.pos = i;
        Ok(Cow::Owned(out))
    }
}

impl<'t> Iterator for Rows<'t> {
    type Item = Result<Row<'t>, Unclosed>;

    fn next(&mut self) -> Option<Self::Item> {
        let bytes = self.text.as_bytes();
        if self.pos >= bytes.len() {
            return None;
        }
        let line = self.line;
        let blank = matches!(bytes[self.pos], b'\n' | b'\r');
        let mut cells = Vec::new();
        loop {
            if bytes.get(self.pos) == Some(&b'"') {
                match self.quoted() {
                    Ok(cell) => cells.push(cell),
                    Err(e) => {
                        self.pos = bytes.len();
                        return Some(Err(e));
                    }
                }
            } else {
                let start = self.pos;
                while self.pos < bytes.len() && !matches!(bytes[self.pos], b',' | b'\n' | b'\r') {
                    self.pos += 1;
                }
                cells.push(Cow::Borrowed(&self.text[start..self.pos]));
            }
            match bytes.get(self.pos) {
                Some(b',') => self.pos += 1,
                Some(b'\r') => {
                    self.pos += 1;
                    if bytes.get(self.pos) == Some(&b'\n') {
                        self.pos += 1;
                    }
                    self.line += 1;
                    break;
                }
                Some(b'\n') => {
                    self.pos += 1;
                    self.line += 1;
                    break;
                }
                _ => break,
            }
        }
        Some(Ok(Row { line, cells, blank }))
    }
}

/// The SHA-256 identifying a scenario: of its text alone when it reads no data
/// (as always before), otherwise of its text followed, for each data source in
/// the order its input was read, by
/// `"\n\0enclave-data\0" field "\0" file "\0" column "\0" sha256-of-the-file`.
pub fn scenario_sha256(text: &str, data: &[DataSource]) -> String {
    let mut h = Sha256::new();
    h.update(text.as_bytes());
    for d in data {
        h.update(b"\n\0enclave-data\0");
        for part in [&d.field, &d.file, &d.column, &d.sha256] {
            h.update(part.as_bytes());
            h.update(b"\0");
        }
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_column_and_names_bad_cells_by_line() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("d.csv");
        std::fs::write(&path, "a, b\n1,2.5\n3, 4 \n").expect("write");
        let (values, sha) = read_column(&path, "b").expect("reads");
        assert_eq!(values, [2.5, 4.0]);
        assert_eq!(sha.len(), 64);
        std::fs::write(&path, "a,b\n1,2\n3,x\n").expect("write");
        let e = read_column(&path, "b").expect_err("not a number");
        assert_eq!(
            e,
            DataError::Column(format!(
                "{}:3: expected a number in column `b`, found `x`",
                path.display()
            ))
        );
        let e = read_column(&path, "c").expect_err("no column");
        assert_eq!(
            e,
            DataError::Column(format!(
                "expected a column `c` in {}, whose header has `a`, `b`",
                path.display()
            ))
        );
        let e = read_column(&dir.path().join("none.csv"), "b").expect_err("no file");
        assert!(matches!(e, DataError::File(m) if m.starts_with("cannot read")));
    }

    /// `read_column` of `text` written to a file `d.csv`, with `d.csv` for the
    /// file's path in messages.
    fn read(text: &[u8], column: &str) -> Result<Vec<f64>, DataError> {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("d.csv");
        std::fs::write(&path, text).expect("write");
        let shown = path.display().to_string();
        read_column(&path, column)
            .map(|(values, _)| values)
            .map_err(|e| match e {
                DataError::File(m) => DataError::File(m.replace(&shown, "d.csv")),
                DataError::Column(m) => DataError::Column(m.replace(&shown, "d.csv")),
            })
    }

    fn column_error(m: &str) -> Result<Vec<f64>, DataError> {
        Err(DataError::Column(m.to_owned()))
    }

    fn file_error(m: &str) -> Result<Vec<f64>, DataError> {
        Err(DataError::File(m.to_owned()))
    }

    #[test]
    fn a_row_with_more_cells_than_the_header_is_refused() {
        // `1,000` is two cells: read as 1 before.
        assert_eq!(
            read(b"x\n1,000\n2\n4\n", "x"),
            file_error(
                "d.csv:2: expected 1 cell, as in the header, found 2 (`1`, `000`): `1,000` looks like a number written with a thousands separator and split at its comma; write numbers without one (1000)"
            )
        );
        assert_eq!(
            read(b"year,x\n2020,-12,345,678.5\n", "x"),
            file_error(
                "d.csv:2: expected 2 cells, as in the header, found 4 (`2020`, `-12`, `345`, `678.5`): `-12,345,678.5` looks like a number written with a thousands separator and split at its comma; write numbers without one (-12345678.5)"
            )
        );
        assert_eq!(
            read(b"a,b\n1,2,x\n", "a"),
            file_error("d.csv:2: expected 2 cells, as in the header, found 3 (`1`, `2`, `x`)")
        );
        // Fewer cells, even when the column's is there.
        assert_eq!(
            read(b"a,b,c\n1,2,3\n4,5\n", "a"),
            file_error("d.csv:3: expected 3 cells, as in the header, found 2 (`4`, `5`)")
        );
        // Quoted, the number is one cell, and not a number.
        assert_eq!(
            read(b"x\n\"1,000\"\n", "x"),
            column_error(
                "d.csv:2: expected a number in column `x`, found `1,000`, a number written with a thousands separator: write it without one (1000)"
            )
        );
    }

    /// `"2"3` read as 23, `"a"b` as `ab` (re-test): after a closing quote only
    /// spaces may come; a name with spaces around it matches the trimmed header.
    #[test]
    fn text_after_a_closing_quote_is_an_error_and_names_are_trimmed() {
        assert_eq!(
            read(b"x,y\n1,2\n\"2\"3,3\n", "x"),
            file_error(
                "d.csv:3: expected a comma or the end of the line after a quoted cell's closing `\"`, found `3` (a `\"` inside a quoted cell is written `\"\"`)"
            )
        );
        assert_eq!(
            read(b"x\n\"2\"  \n\"3\"\n4\n", "x"),
            Ok(vec![2.0, 3.0, 4.0])
        );
        assert_eq!(read(b" x , y\n 1 ,2\n 2,3\n", " x "), Ok(vec![1.0, 2.0]));
        assert_eq!(
            read(b" x , y\n1,2\n", " z "),
            column_error("expected a column `z` in d.csv, whose header has `x`, `y`")
        );
    }

    #[test]
    fn an_empty_line_is_an_empty_cell_but_the_last_line_break_is_not_a_row() {
        assert_eq!(
            read(b"x\n1\n\n3\n4\n", "x"),
            column_error("d.csv:3: expected a number in column `x`, found an empty line")
        );
        assert_eq!(
            read(b"x\r\n1\r\n3\r\n\r\n", "x"),
            column_error("d.csv:4: expected a number in column `x`, found an empty line")
        );
        assert_eq!(
            read(b"a,b\n1,2\n\n3,4\n", "b"),
            file_error("d.csv:3: expected 2 cells, as in the header, found an empty line")
        );
        assert_eq!(
            read(b"\nx\n1\n", "x"),
            column_error("d.csv:1: expected a header row naming column `x`, found an empty line")
        );
        assert_eq!(
            read(b"", "x"),
            column_error("expected a header row naming column `x` in d.csv, found an empty file")
        );
        // With or without the final line break, LF, CRLF or CR.
        for text in [
            &b"x\n1\n3\n4\n"[..],
            b"x\n1\n3\n4",
            b"x\r\n1\r\n3\r\n4\r\n",
            b"x\r1\r3\r4\r",
        ] {
            assert_eq!(read(text, "x"), Ok(vec![1.0, 3.0, 4.0]), "{text:?}");
        }
    }

    #[test]
    fn lines_are_counted_in_crlf_files_and_across_quoted_line_breaks() {
        // The csv crate put this on line 4.
        assert_eq!(
            read(b"a,b\r\n1,2\r\n3,4\r\n5,6\r\n7,x\r\n", "b"),
            column_error("d.csv:5: expected a number in column `b`, found `x`")
        );
        // A quoted note over three lines; `""` is a quote.
        let text = b"note,x\n\"a, \"\"b\"\"\r\nc\nd\",1\n\"\",2\nz,y\n";
        assert_eq!(
            read(text, "x"),
            column_error("d.csv:6: expected a number in column `x`, found `y`")
        );
        let rows: Vec<Row<'_>> = Rows::new("note,x\n\"a, \"\"b\"\"\r\nc\nd\",1\n")
            .map(|r| r.expect("closed"))
            .collect();
        assert_eq!(rows[1].line, 2);
        assert_eq!(rows[1].cells, ["a, \"b\"\r\nc\nd", "1"]);
        assert_eq!(
            read(b"x\n1\n\"2\n3\n", "x"),
            file_error(
                "d.csv:3: expected a `\"` closing the quoted cell that starts on this line, found the end of the file"
            )
        );
    }

    #[test]
    fn a_column_named_twice_is_refused_and_others_may_repeat() {
        assert_eq!(
            read(b"x, x\n1,5\n2,6\n", "x"),
            column_error(
                "d.csv:1: expected one column `x` in the header, found 2 (columns 1, 2); rename the others"
            )
        );
        assert_eq!(
            read(b"x,note,note,,\n1,a,b,,\n2,c,d,,\n", "x"),
            Ok(vec![1.0, 2.0])
        );
    }

    #[test]
    fn a_file_that_is_not_utf8_is_named_with_how_to_save_it() {
        // "x,名\n1,甲\n" in GBK.
        let gbk = b"x,\xc3\xfb\n1,\xbc\xd7\n";
        assert_eq!(
            read(gbk, "x"),
            file_error(
                "d.csv: the byte at offset 2 (0xC3, line 1, column 3) is not valid UTF-8; the file must be UTF-8 (convert a GBK file with e.g. `iconv -f GBK -t UTF-8`); from Excel, save it again as \"CSV UTF-8 (Comma delimited)\" (\"CSV UTF-8(逗号分隔)\")"
            )
        );
        // Excel's CSV UTF-8 starts with a byte order mark.
        assert_eq!(read("\u{feff}x,名\n1,甲\n".as_bytes(), "x"), Ok(vec![1.0]));
    }

    #[test]
    fn data_changes_the_scenario_hash_and_no_data_keeps_it() {
        let text = "x = 1\n";
        assert_eq!(
            scenario_sha256(text, &[]),
            super::super::sha256_hex(b"x = 1\n")
        );
        let source = |sha: &str| DataSource {
            field: "f".into(),
            file: "d.csv".into(),
            path: PathBuf::from("d.csv"),
            column: "c".into(),
            sha256: sha.into(),
        };
        let a = scenario_sha256(text, &[source("00")]);
        let b = scenario_sha256(text, &[source("01")]);
        assert_ne!(a, b);
        assert_ne!(a, scenario_sha256(text, &[]));
    }
}
