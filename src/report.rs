//! `report.html`: one self-contained page per results folder (placeholder, being built).

use crate::chart::Chart;
use crate::output::{OutputError, write_atomic};
use crate::results::Results;

/// File name of the report in a results folder.
pub const REPORT_FILE: &str = "report.html";

/// Writes `report.html` into the results folder.
///
/// # Errors
/// If the file cannot be written.
pub fn write(res: &Results, charts: &[(Chart, String)]) -> Result<(), OutputError> {
    let mut html = String::from("<!doctype html><meta charset=utf-8><title>report</title>");
    for (_, svg) in charts {
        html.push_str(svg);
    }
    write_atomic(&res.dir.join(REPORT_FILE), html.as_bytes())
}
