//! `[correlation]`: a correlation matrix over named path-level uncertain inputs,
//! checked and built into the scenario's Gaussian copula ([`crate::copula`]).

use super::super::file::{CorrelationFile, CorrelationKindFile};
use super::super::{FirmLand, Sector};
use super::check::Checker;
use crate::copula::{Correlation, ENTRY_TOL, Kind, MatrixError};

/// Most inputs a correlation matrix may name.
pub(super) const MAX_CORRELATED: usize = 200;

/// Checks `[correlation]` against the inputs registered so far (call it last) and
/// sets the copula on the checker's [`crate::sampling::ParamSet`].
pub(super) fn correlation(c: &mut Checker, raw: Option<&CorrelationFile>, sectors: &[Sector]) {
    let Some(raw) = raw else { return };
    let before = c.problems.len();
    let names = c.at_most(
        "correlation.inputs",
        &raw.inputs,
        MAX_CORRELATED,
        "correlated inputs",
    );
    if names.len() < 2 {
        c.problem(
            "correlation.inputs",
            format!(
                "expected at least 2 path-level uncertain inputs to correlate, found {}",
                names.len()
            ),
        );
        return;
    }
    let known: Vec<String> = c.params.params().iter().map(|p| p.name.clone()).collect();
    let mut inputs = Vec::with_capacity(names.len());
    for (n, name) in names.iter().enumerate() {
        let field = format!("correlation.inputs[{n}]");
        if let Some(first) = names[..n].iter().position(|m| m == name) {
            c.problem(
                field,
                format!("`{name}` is listed twice (also at correlation.inputs[{first}])"),
            );
            continue;
        }
        match known.iter().position(|k| k == name) {
            Some(i) => inputs.push(i),
            None => {
                let per_firm = sectors.iter().enumerate().any(|(s, sector)| {
                    matches!(sector.land_per_firm_mu, FirmLand::PerFirm(_))
                        && *name == format!("firms.sectors[{s}].land_per_firm_mu")
                });
                let message = if per_firm {
                    format!(
                        "`{name}` is drawn per firm, not once per path; only path-level uncertain inputs can be correlated"
                    )
                } else if c.numbers.contains(name.as_str()) {
                    format!(
                        "`{name}` is a fixed number, not an uncertain input; give it a distribution to correlate it"
                    )
                } else if known.is_empty() {
                    format!("unknown input `{name}`: this scenario has no uncertain inputs")
                } else {
                    format!(
                        "unknown input `{name}`; the path-level uncertain inputs are: {}",
                        known.join(", ")
                    )
                };
                c.problem(field, message);
            }
        }
    }
    let k = names.len();
    let m = &raw.matrix;
    if m.len() != k {
        c.problem(
            "correlation.matrix",
            format!(
                "expected a square {k} × {k} matrix (one row per input of correlation.inputs), found {} rows",
                m.len()
            ),
        );
    }
    for (i, row) in m.iter().enumerate().take(k) {
        if row.len() != k {
            c.problem(
                format!("correlation.matrix[{i}]"),
                format!(
                    "expected {k} entries (a square {k} × {k} matrix), found {}",
                    row.len()
                ),
            );
        }
    }
    if c.problems.len() > before {
        return;
    }
    for i in 0..k {
        for j in 0..k {
            let x = m[i][j];
            let field = format!("correlation.matrix[{i}][{j}]");
            if i == j {
                if (x - 1.0).abs() > ENTRY_TOL {
                    c.problem(
                        field,
                        format!(
                            "expected 1 on the diagonal (`{}` with itself), found {x}",
                            names[i]
                        ),
                    );
                }
            } else if !(-1.0..=1.0).contains(&x) {
                c.problem(
                    field,
                    format!(
                        "expected a correlation in [−1, 1] between `{}` and `{}`, found {x}",
                        names[i], names[j]
                    ),
                );
            } else if j < i && (x - m[j][i]).abs() > ENTRY_TOL {
                c.problem(
                    field,
                    format!(
                        "expected a symmetric matrix: correlation.matrix[{j}][{i}] is {}, found {x}",
                        m[j][i]
                    ),
                );
            }
        }
    }
    if c.problems.len() > before {
        return;
    }
    let kind = match raw.kind {
        CorrelationKindFile::Spearman => Kind::Spearman,
        CorrelationKindFile::Pearson => Kind::Pearson,
    };
    let given: Vec<f64> = m.iter().flatten().copied().collect();
    match Correlation::new(inputs, names.to_vec(), kind, given, raw.repair) {
        Ok(corr) => c.params.set_correlation(corr),
        Err(MatrixError::NotPositiveDefinite { inputs, smallest }) => {
            let who: Vec<&str> = inputs.iter().map(|&i| names[i].as_str()).collect();
            let mut entries = Vec::new();
            for (a, &i) in inputs.iter().enumerate() {
                for &j in &inputs[a + 1..] {
                    entries.push(format!("[{i}][{j}] = {}", m[i][j]));
                }
            }
            let converted = if kind == Kind::Spearman {
                " (after converting the Spearman entries to the copula's Pearson, 2 sin(π ρ / 6))"
            } else {
                ""
            };
            c.problem(
                "correlation.matrix",
                format!(
                    "expected a positive definite correlation matrix{converted}, but its smallest eigenvalue is {smallest:.3e}; the correlations among {} (entries {}) cannot hold together; change them or set `repair = true` to use the nearest valid matrix",
                    who.join(", "),
                    entries.join(", ")
                ),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::scenario::Scenario;

    fn with(block: &str) -> String {
        let mut text = crate::scenario::REFERENCE_SCENARIO.to_owned();
        text.push_str(block);
        text
    }

    fn problems(block: &str) -> Vec<String> {
        match Scenario::parse(&with(block), "t.toml") {
            Ok(_) => vec![],
            Err(crate::scenario::ScenarioError::Invalid { problems, .. }) => problems
                .iter()
                .map(|p| format!("{}: {}", p.field, p.message))
                .collect(),
            Err(e) => vec![e.to_string()],
        }
    }

    #[test]
    fn a_valid_matrix_builds_the_copula() {
        let s = Scenario::parse(
            &with(
                "\n[correlation]\ninputs = [\"firms.arrival_rate\", \"firms.sectors[1].revenue_per_mu\"]\nmatrix = [[1, 0.5], [0.5, 1]]\n",
            ),
            "t.toml",
        )
        .unwrap();
        let c = s.params.correlation().unwrap();
        let names: Vec<&str> = s.params.params().iter().map(|p| p.name.as_str()).collect();
        assert_eq!(
            c.inputs,
            vec![
                names
                    .iter()
                    .position(|n| *n == "firms.arrival_rate")
                    .unwrap(),
                names
                    .iter()
                    .position(|n| *n == "firms.sectors[1].revenue_per_mu")
                    .unwrap()
            ]
        );
        assert!(c.repair.is_none());
    }

    #[test]
    fn names_and_shapes_are_checked() {
        let p = problems(
            "\n[correlation]\ninputs = [\"firms.arrival_rate\", \"firms.nope\", \"taxes.vat_local_share\"]\nmatrix = [[1, 0, 0], [0, 1, 0], [0, 0, 1]]\n",
        );
        assert_eq!(p.len(), 2, "{p:?}");
        assert!(p[0].starts_with("correlation.inputs[1]: unknown input `firms.nope`; the path-level uncertain inputs are: park.saleable_share, "), "{p:?}");
        assert_eq!(
            p[1],
            "correlation.inputs[2]: `taxes.vat_local_share` is a fixed number, not an uncertain input; give it a distribution to correlate it"
        );
        let p = problems(
            "\n[correlation]\ninputs = [\"firms.arrival_rate\", \"firms.outlook\"]\nmatrix = [[1, 0.5], [0.4, 1]]\n",
        );
        assert_eq!(
            p,
            [
                "correlation.matrix[1][0]: expected a symmetric matrix: correlation.matrix[0][1] is 0.5, found 0.4"
            ]
        );
        let p = problems(
            "\n[correlation]\ninputs = [\"firms.arrival_rate\", \"firms.outlook\"]\nmatrix = [[1, 1.5], [1.5, 0.9]]\n",
        );
        assert_eq!(
            p,
            [
                "correlation.matrix[0][1]: expected a correlation in [−1, 1] between `firms.arrival_rate` and `firms.outlook`, found 1.5",
                "correlation.matrix[1][0]: expected a correlation in [−1, 1] between `firms.outlook` and `firms.arrival_rate`, found 1.5",
                "correlation.matrix[1][1]: expected 1 on the diagonal (`firms.outlook` with itself), found 0.9",
            ]
        );
        let p = problems(
            "\n[correlation]\ninputs = [\"firms.arrival_rate\", \"firms.outlook\"]\nmatrix = [[1, 0.5]]\n",
        );
        assert_eq!(
            p,
            [
                "correlation.matrix: expected a square 2 × 2 matrix (one row per input of correlation.inputs), found 1 rows"
            ]
        );
    }
}
