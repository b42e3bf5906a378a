//! A `[[sharing]]` entry written back as TOML: the alternative as its scenario
//! file has it, with new top-level parameters of its tax formula (what `enclave
//! solve` prints, ready to append to the file).
//!
//! The entry is taken from the file's own text, so everything the solver does not
//! change (inner formulas, `land`, `gdp`, `[sharing.tax_pool]`,
//! `[sharing.delivery]`, calendar years) is written as the user wrote it; only the
//! keys of the outermost tax formula that the solver varies are replaced.

use super::Scenario;
use crate::sharing::Formula;

/// Why an entry could not be written.
#[derive(Debug, thiserror::Error)]
#[error("cannot write alternative {index} of the scenario as TOML: {why}")]
pub struct SnippetError {
    index: usize,
    why: String,
}

/// The `[[sharing]]` entry of alternative `a` of `scn`, named `name` with
/// `description`, its tax formula's outermost parameters (shares, rate, base,
/// period years, tranche thresholds) taken from `tax`, which must be of the same
/// kind as the alternative's.
///
/// # Errors
/// If the scenario's text has no such entry, or `tax` is of another kind.
pub fn alternative_with_tax(
    scn: &Scenario,
    a: usize,
    name: &str,
    description: &str,
    tax: &Formula,
) -> Result<String, SnippetError> {
    let fail = |why: &str| SnippetError {
        index: a,
        why: why.to_owned(),
    };
    let doc: toml::Table = toml::from_str(&scn.source).map_err(|e| fail(&e.to_string()))?;
    let mut entry = doc
        .get("sharing")
        .and_then(|s| s.as_array())
        .and_then(|s| s.get(a))
        .and_then(|e| e.as_table())
        .cloned()
        .ok_or_else(|| fail("no such [[sharing]] entry"))?;
    entry.insert("name".into(), toml::Value::String(name.to_owned()));
    entry.insert(
        "description".into(),
        toml::Value::String(description.to_owned()),
    );
    let raw = entry
        .get_mut("tax")
        .and_then(|t| t.as_table_mut())
        .ok_or_else(|| fail("no tax formula table"))?;
    set_parameters(scn, raw, tax).map_err(|why| fail(&why))?;
    let mut out = toml::Table::new();
    out.insert(
        "sharing".into(),
        toml::Value::Array(vec![toml::Value::Table(entry)]),
    );
    toml::to_string(&out).map_err(|e| fail(&e.to_string()))
}

/// Replaces the outermost parameters of the raw formula table `raw` by those of
/// `f`.
fn set_parameters(scn: &Scenario, raw: &mut toml::Table, f: &Formula) -> Result<(), String> {
    let float = toml::Value::Float;
    match f {
        Formula::Fixed { shares } => {
            let table: toml::Table = scn
                .regions
                .iter()
                .zip(shares)
                .map(|(r, s)| (r.id.clone(), float(*s)))
                .collect();
            raw.insert("shares".into(), toml::Value::Table(table));
        }
        Formula::GuaranteedReturn { rate, .. } => {
            raw.insert("rate".into(), float(*rate));
        }
        Formula::Incremental { base, .. } => {
            raw.insert("base".into(), float(*base));
        }
        Formula::Tiered { tranches } => {
            let raw_tranches = raw
                .get_mut("tranches")
                .and_then(|t| t.as_array_mut())
                .filter(|t| t.len() == tranches.len())
                .ok_or("the tranches do not match")?;
            let last = tranches.len() - 1;
            for (t, r) in tranches.iter().zip(raw_tranches).take(last) {
                let r = r.as_table_mut().ok_or("a tranche is not a table")?;
                r.insert("up_to".into(), float(t.upper));
            }
        }
        Formula::Schedule { periods } => {
            let raw_periods = raw
                .get_mut("periods")
                .and_then(|t| t.as_array_mut())
                .filter(|t| t.len() == periods.len())
                .ok_or("the periods do not match")?;
            for (p, r) in periods.iter().zip(raw_periods) {
                let r = r.as_table_mut().ok_or("a period is not a table")?;
                let (key, offset) = if r.contains_key("calendar_years") {
                    ("calendar_years", i64::from(scn.start_year) - 1)
                } else {
                    ("years", 0)
                };
                let year = |k: u32| toml::Value::Integer(i64::from(k) + offset);
                r.insert(
                    key.into(),
                    toml::Value::Array(vec![year(p.first), year(p.last)]),
                );
            }
        }
        Formula::Equity | Formula::Contribution => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::solve::Space;

    /// Every library scenario's every alternative with a free parameter: moved to
    /// another point, written as an entry, appended to its file, validated and read
    /// back as the same formula.
    #[test]
    fn every_library_alternative_reads_back_with_new_parameters() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
        let mut kinds = std::collections::BTreeSet::new();
        for entry in std::fs::read_dir(&dir).expect("scenarios/") {
            let path = entry.expect("entry").path();
            // Scenario files only (scenarios/sweeps/ holds sweep files).
            if !path.is_file() || path.extension().is_none_or(|x| x != "toml") {
                continue;
            }
            let scn = Scenario::load(&path).expect("library scenario loads");
            for (a, alt) in scn.alternatives.iter().enumerate() {
                let Ok(space) = Space::of(&alt.name, &alt.tax, scn.simulation.horizon) else {
                    continue;
                };
                let moved: Vec<f64> = match space {
                    Space::Shares { n } => (0..n).map(|r| (r + 1) as f64).collect(),
                    Space::Switch { lo, .. } => vec![f64::from(lo)],
                    _ => space
                        .point_of(&alt.tax)
                        .iter()
                        .map(|x| x * 1.37 + 0.01)
                        .collect(),
                };
                let formula = space.apply(&alt.tax, &space.round(&moved));
                assert_ne!(formula, alt.tax, "{}: {}", path.display(), alt.name);
                let name = format!("{} (moved)", alt.name);
                let text = alternative_with_tax(&scn, a, &name, "a test", &formula)
                    .expect("entry written");
                assert!(text.starts_with("[[sharing]]\n"), "{text}");
                let back = Scenario::parse(&format!("{}\n{text}", scn.source), "moved.toml")
                    .unwrap_or_else(|e| panic!("{}: {}: {e}\n{text}", path.display(), alt.name));
                let last = back.alternatives.last().expect("appended");
                assert_eq!(last.name, name);
                assert_eq!(
                    last.tax,
                    formula,
                    "{}: {}\n{text}",
                    path.display(),
                    alt.name
                );
                assert_eq!(last.land, alt.land);
                assert_eq!(last.gdp, alt.gdp);
                kinds.insert(
                    format!("{space:?}")
                        .split([' ', '{'])
                        .next()
                        .map(String::from),
                );
            }
        }
        // The library has every kind with a free parameter.
        assert_eq!(kinds.len(), 5, "{kinds:?}");
    }
}
