//! Observed values read from a CSV file: the data of an `empirical` input (read
//! when the scenario is loaded) and of `enclave fit`.
//!
//! A scenario whose inputs read data is identified by its text *and* its data:
//! [`scenario_sha256`] mixes each data file's SHA-256 into the scenario's, so two
//! runs with different data never claim the same scenario.

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
/// Every cell of the column must be a number (surrounding spaces allowed); an
/// empty or non-numeric cell is an error naming the file's line.
///
/// # Errors
/// [`DataError::File`] when the file cannot be read, is larger than
/// [`MAX_DATA_BYTES`], is not UTF-8 or is not CSV; [`DataError::Column`] when the column is
/// absent or a cell is not a finite number, or it holds more than
/// [`MAX_DATA_VALUES`] values.
pub fn read_column(path: &Path, column: &str) -> Result<(Vec<f64>, String), DataError> {
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
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| DataError::File(format!("{shown} is not a CSV file: {e}")))?
        .clone();
    let Some(index) = headers.iter().position(|h| h.trim() == column) else {
        let names: Vec<String> = headers.iter().map(|h| format!("`{h}`")).collect();
        return Err(DataError::Column(format!(
            "expected a column `{column}` in {shown}, whose header has {}",
            if names.is_empty() {
                "no columns".to_owned()
            } else {
                names.join(", ")
            }
        )));
    };
    let mut values = Vec::new();
    for record in reader.records() {
        let record =
            record.map_err(|e| DataError::File(format!("{shown} is not a CSV file: {e}")))?;
        let line = record.position().map_or(0, csv::Position::line);
        let cell = record.get(index).ok_or_else(|| {
            DataError::Column(format!(
                "{shown}:{line}: expected a number in column `{column}`, found a row of {} cells",
                record.len()
            ))
        })?;
        let text = cell.trim();
        if text.is_empty() {
            return Err(DataError::Column(format!(
                "{shown}:{line}: expected a number in column `{column}`, found an empty cell"
            )));
        }
        match text.parse::<f64>() {
            Ok(x) if x.is_finite() => values.push(x),
            _ => {
                return Err(DataError::Column(format!(
                    "{shown}:{line}: expected a number in column `{column}`, found `{text}`"
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

    fn file_error(m: &str) -> Result<Vec<f64>, DataError> {
        Err(DataError::File(m.to_owned()))
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
