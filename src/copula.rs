//! Correlation among path-level uncertain inputs through a Gaussian copula
//! (MODEL.md §9, docs/model.md §9).
//!
//! Each correlated input's uniform `u` (from its stream, through the sampler) is
//! made a standard normal `z = Φ⁻¹(u)`; the vector of those normals is multiplied by
//! the Cholesky factor `L` of the copula's correlation matrix, `z' = L z`, and each
//! `u' = Φ(z')` goes through the input's inverse CDF. Each `z'` is again a standard
//! normal (the rows of `L` have unit length), so every marginal is exactly the
//! input's own distribution; only the dependence changes. Inputs outside the
//! matrix are not touched.
//!
//! Spearman targets ρ_s are converted to the copula's Pearson correlation by
//! ρ = 2 sin(π ρ_s / 6), the exact relation for a Gaussian copula (Kruskal 1958),
//! so the inputs' rank correlation is ρ_s whatever their marginals.

use nalgebra::{DMatrix, SymmetricEigen};
use statrs::distribution::{ContinuousCDF, Normal};

use crate::streams::unit_from_u64;

/// Smallest eigenvalue a correlation matrix must exceed to be used (positive
/// definite, with a Cholesky factor that is numerically sound).
pub const MIN_EIGENVALUE: f64 = 1e-10;

/// Tolerance of the symmetry and unit-diagonal checks.
pub const ENTRY_TOL: f64 = 1e-12;

/// What the matrix's entries are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Kind {
    /// Spearman rank correlations.
    #[default]
    Spearman,
    /// Pearson correlations of the copula's normals.
    Pearson,
}

impl Kind {
    /// The word used in files and messages.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Spearman => "spearman",
            Kind::Pearson => "pearson",
        }
    }
}

/// The copula's Pearson correlation for a Spearman target: 2 sin(π ρ_s / 6).
pub fn spearman_to_pearson(rs: f64) -> f64 {
    2.0 * (std::f64::consts::PI * rs / 6.0).sin()
}

/// The Spearman correlation of a Gaussian copula with Pearson ρ: (6/π) asin(ρ/2).
pub fn pearson_to_spearman(r: f64) -> f64 {
    6.0 / std::f64::consts::PI * (r / 2.0).asin()
}

/// How a matrix was repaired (`repair = true`).
#[derive(Debug, Clone, PartialEq)]
pub struct Repair {
    /// Every entry (i < j) that changed: (i, j, as given, as used), in the matrix's kind.
    pub changed: Vec<(usize, usize, f64, f64)>,
    /// Largest absolute change of an entry, in the matrix's kind.
    pub largest: f64,
    /// The entry (i < j) of the largest change.
    pub at: (usize, usize),
}

/// A checked correlation over some of a scenario's uncertain inputs.
#[derive(Debug, Clone, PartialEq)]
pub struct Correlation {
    /// Indices of the correlated inputs in the [`crate::sampling::ParamSet`], in the
    /// matrix's order.
    pub inputs: Vec<usize>,
    /// Their field paths.
    pub names: Vec<String>,
    /// What the given matrix holds.
    pub kind: Kind,
    /// The matrix as given (row-major, k × k).
    pub given: Vec<f64>,
    /// The copula's Pearson matrix used (after conversion and any repair), row-major.
    pub pearson: Vec<f64>,
    /// Its lower Cholesky factor, row-major.
    chol: Vec<f64>,
    /// The repair, when the given matrix was not valid and `repair = true`.
    pub repair: Option<Repair>,
}

/// Why a matrix cannot be used as given.
#[derive(Debug, Clone, PartialEq)]
pub enum MatrixError {
    /// Not positive definite; the smallest principal submatrix found that is not
    /// positive semidefinite (or the whole matrix) and the smallest eigenvalue.
    NotPositiveDefinite {
        /// Indices (into the matrix) of the submatrix.
        inputs: Vec<usize>,
        /// Smallest eigenvalue of the whole (Pearson) matrix.
        smallest: f64,
    },
}

/// Φ⁻¹(p) to full double precision: statrs's inverse (accurate to ~1e-11) refined
/// by one Halley step on Φ(x) − p, with Φ from libm's `erfc` (accurate to an ulp, keeping the
/// relative accuracy of small tail probabilities; statrs's is off by ~1e-12 near 1.4).
pub fn normal_quantile(p: f64) -> f64 {
    let x = Normal::standard().inverse_cdf(p);
    if !x.is_finite() {
        return x;
    }
    let e = normal_cdf(x) - p;
    let u = e * (2.0 * std::f64::consts::PI).sqrt() * (0.5 * x * x).exp();
    x - u / (1.0 + 0.5 * x * u)
}

/// Φ(x) = erfc(−x/√2)/2.
pub fn normal_cdf(x: f64) -> f64 {
    0.5 * libm::erfc(-x / std::f64::consts::SQRT_2)
}

fn matrix(k: usize, m: &[f64]) -> DMatrix<f64> {
    DMatrix::from_row_slice(k, k, m)
}

fn smallest_eigenvalue(a: &DMatrix<f64>) -> f64 {
    SymmetricEigen::new(a.clone())
        .eigenvalues
        .iter()
        .copied()
        .fold(f64::INFINITY, f64::min)
}

/// The smallest set of indices whose principal submatrix of `a` has an eigenvalue
/// below `-tol` (searched by size up to 6, over at most ~20,000 subsets), or every
/// index. A 2 × 2 submatrix is PSD whenever its entry is in [−1, 1], so the search
/// starts at 3.
fn offending(a: &DMatrix<f64>, tol: f64) -> Vec<usize> {
    let k = a.nrows();
    let mut budget = 20_000usize;
    for size in 2..=k.min(6) {
        let mut idx: Vec<usize> = (0..size).collect();
        loop {
            if budget == 0 {
                return (0..k).collect();
            }
            budget -= 1;
            let sub = DMatrix::from_fn(size, size, |r, c| a[(idx[r], idx[c])]);
            if smallest_eigenvalue(&sub) < -tol {
                return idx;
            }
            if !next_combination(&mut idx, k) {
                break;
            }
        }
    }
    (0..k).collect()
}

/// Advances `idx` (increasing indices below `k`) to the next combination in
/// lexicographic order; false after the last.
fn next_combination(idx: &mut [usize], k: usize) -> bool {
    let size = idx.len();
    for i in (0..size).rev() {
        if idx[i] < k - size + i {
            idx[i] += 1;
            for j in i + 1..size {
                idx[j] = idx[j - 1] + 1;
            }
            return true;
        }
    }
    false
}

/// Higham's (2002) alternating projections with Dykstra's correction: the nearest
/// correlation matrix (Frobenius norm) to the symmetric `a`, with eigenvalues kept
/// at least [`MIN_EIGENVALUE`]·10 so that it is positive definite.
pub fn nearest_correlation(a: &DMatrix<f64>) -> DMatrix<f64> {
    let k = a.nrows();
    let floor = MIN_EIGENVALUE * 10.0;
    let psd = |r: &DMatrix<f64>| {
        let e = SymmetricEigen::new(r.clone());
        let d = e.eigenvalues.map(|l| l.max(floor));
        &e.eigenvectors * DMatrix::from_diagonal(&d) * e.eigenvectors.transpose()
    };
    let mut y = a.clone();
    let mut ds = DMatrix::zeros(k, k);
    for _ in 0..10_000 {
        let r = &y - &ds;
        let x = psd(&r);
        ds = &x - &r;
        let mut next = x.clone();
        for i in 0..k {
            next[(i, i)] = 1.0;
        }
        let change = (&next - &y).norm();
        y = next;
        if change < 1e-14 * k as f64 {
            break;
        }
    }
    // Final: eigenvalues floored, rescaled to a unit diagonal (which keeps it
    // positive definite), symmetrised.
    let x = psd(&y);
    let d: Vec<f64> = (0..k).map(|i| x[(i, i)].sqrt()).collect();
    DMatrix::from_fn(k, k, |i, j| {
        if i == j {
            1.0
        } else {
            0.5 * (x[(i, j)] + x[(j, i)]) / (d[i] * d[j])
        }
    })
}

impl Correlation {
    /// Builds the copula from a checked square, symmetric matrix with unit diagonal
    /// and entries in [−1, 1] (`given`, row-major, in `kind`), repairing it when
    /// `repair` and it is not positive definite.
    ///
    /// # Errors
    /// A matrix (after conversion to the copula's Pearson) that is not positive
    /// definite, when `repair` is false.
    pub fn new(
        inputs: Vec<usize>,
        names: Vec<String>,
        kind: Kind,
        given: Vec<f64>,
        repair: bool,
    ) -> Result<Correlation, MatrixError> {
        let k = inputs.len();
        let to_pearson = |x: f64| match kind {
            Kind::Spearman => spearman_to_pearson(x),
            Kind::Pearson => x,
        };
        let mut pearson: Vec<f64> = given
            .iter()
            .enumerate()
            .map(|(n, &x)| if n / k == n % k { 1.0 } else { to_pearson(x) })
            .collect();
        let a = matrix(k, &pearson);
        let smallest = smallest_eigenvalue(&a);
        let mut fixed = None;
        if smallest <= MIN_EIGENVALUE {
            if !repair {
                return Err(MatrixError::NotPositiveDefinite {
                    inputs: offending(&a, 1e-12),
                    smallest,
                });
            }
            let near = nearest_correlation(&a);
            let back = |x: f64| match kind {
                Kind::Spearman => pearson_to_spearman(x),
                Kind::Pearson => x,
            };
            let mut changed = Vec::new();
            let (mut largest, mut at) = (0.0, (0, 1));
            for i in 0..k {
                for j in i + 1..k {
                    let (was, now) = (given[i * k + j], back(near[(i, j)]));
                    let delta = (now - was).abs();
                    if delta > 1e-9 {
                        changed.push((i, j, was, now));
                    }
                    if delta > largest {
                        largest = delta;
                        at = (i, j);
                    }
                }
            }
            pearson = (0..k * k).map(|n| near[(n / k, n % k)]).collect();
            fixed = Some(Repair {
                changed,
                largest,
                at,
            });
        }
        let chol = nalgebra::Cholesky::new(matrix(k, &pearson))
            .map(|c| c.l())
            .ok_or_else(|| MatrixError::NotPositiveDefinite {
                inputs: (0..k).collect(),
                smallest,
            })?;
        Ok(Correlation {
            inputs,
            names,
            kind,
            given,
            chol: (0..k * k).map(|n| chol[(n / k, n % k)]).collect(),
            pearson,
            repair: fixed,
        })
    }

    /// Applies the copula in place to `draws`, which hold every input's uniform:
    /// the correlated inputs' uniforms become Φ(L Φ⁻¹(u)). No allocation.
    pub fn apply(&self, draws: &mut [f64]) {
        let k = self.inputs.len();
        for &i in &self.inputs {
            draws[i] = normal_quantile(draws[i]);
        }
        // z' = L z from the last row up: row j reads z_0..z_j, not yet overwritten.
        for j in (0..k).rev() {
            let row = &self.chol[j * k..j * k + j + 1];
            let z: f64 = row
                .iter()
                .zip(&self.inputs)
                .map(|(l, &i)| l * draws[i])
                .sum();
            draws[self.inputs[j]] = z;
        }
        let (lo, hi) = (unit_from_u64(0), unit_from_u64(u64::MAX));
        for &i in &self.inputs {
            draws[i] = normal_cdf(draws[i]).clamp(lo, hi);
        }
    }

    /// One line for the terminal and run.json: `sampler` (the sampler's
    /// description) followed by the copula's inputs, kind and any repair, in
    /// `lang`.
    pub fn describe_in(&self, sampler: &str, lang: crate::i18n::Lang) -> String {
        let tx = lang.texts();
        let kind = self.kind.name();
        let copula = tx.f(
            "record.copula",
            &[
                ("sampler", &sampler),
                ("names", &self.names.join(", ")),
                ("kind", &kind),
            ],
        );
        let Some(r) = &self.repair else {
            return copula;
        };
        let entries: Vec<String> = r
            .changed
            .iter()
            .map(|&(i, j, was, now)| format!("[{i}][{j}] {was} → {now:.6}"))
            .collect();
        let (i, j) = r.at;
        let repair = tx.f(
            "record.repair",
            &[
                ("kind", &kind),
                ("largest", &format!("{:.6}", r.largest)),
                ("i", &i),
                ("j", &j),
                ("a", &self.names[i]),
                ("b", &self.names[j]),
                ("entries", &entries.join(", ")),
            ],
        );
        tx.f(
            "record.repaired",
            &[("copula", &copula), ("repair", &repair)],
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(k: usize) -> Vec<String> {
        (0..k).map(|i| format!("x{i}")).collect()
    }

    #[test]
    fn the_normal_quantile_inverts_the_cdf_to_full_precision() {
        for p in [
            1e-300,
            1e-16,
            1e-9,
            0.01,
            0.3,
            0.5,
            0.77,
            0.999,
            1.0 - 1e-12,
        ] {
            let x = normal_quantile(p);
            let back = normal_cdf(x);
            let tol = 16.0 * f64::EPSILON * p;
            assert!(
                (back - p).abs() <= tol.max(1e-300),
                "p = {p}: Φ(Φ⁻¹(p)) = {back}"
            );
        }
        assert!(normal_quantile(0.5).abs() < 1e-16);
        // Φ⁻¹(0.975) = 1.959963984540054.
        let q = normal_quantile(0.975);
        assert!((q - 1.959_963_984_540_054).abs() < 5e-15, "{q}");
    }

    #[test]
    fn spearman_and_pearson_convert_both_ways() {
        assert!((spearman_to_pearson(1.0) - 1.0).abs() < 1e-15);
        assert!(spearman_to_pearson(0.0).abs() < 1e-15);
        // 2 sin(π/12) = 0.517638…
        assert!((spearman_to_pearson(0.5) - 0.517_638_090_205_041_5).abs() < 1e-12);
        for r in [-0.9, -0.3, 0.2, 0.7] {
            assert!((pearson_to_spearman(spearman_to_pearson(r)) - r).abs() < 1e-12);
        }
    }

    #[test]
    fn identity_leaves_uniforms_nearly_unchanged_and_others_exactly() {
        let c = Correlation::new(
            vec![0, 2],
            names(2),
            Kind::Pearson,
            vec![1.0, 0.0, 0.0, 1.0],
            false,
        )
        .unwrap();
        let mut d = [0.3, 0.4, 0.9];
        c.apply(&mut d);
        assert_eq!(d[1].to_bits(), 0.4f64.to_bits());
        assert!(
            (d[0] - 0.3).abs() < 1e-15 && (d[2] - 0.9).abs() < 1e-15,
            "{d:?}"
        );
    }

    #[test]
    fn a_two_by_two_copula_mixes_by_its_cholesky_factor() {
        // L = [[1, 0], [ρ, √(1 − ρ²)]]; with z = (1, 0): z' = (1, ρ).
        let rho = 0.6;
        let c = Correlation::new(
            vec![0, 1],
            names(2),
            Kind::Pearson,
            vec![1.0, rho, rho, 1.0],
            false,
        )
        .unwrap();
        let mut d = [normal_cdf(1.0), 0.5];
        c.apply(&mut d);
        assert!((normal_quantile(d[0]) - 1.0).abs() < 1e-14);
        assert!((normal_quantile(d[1]) - rho).abs() < 1e-14, "{d:?}");
    }

    #[test]
    fn a_matrix_that_is_not_positive_definite_names_a_smallest_bad_submatrix() {
        // x0, x1, x2 cannot be pairwise at 0.9, 0.9 and −0.9; x3 is independent.
        let m = vec![
            1.0, 0.9, 0.9, 0.0, //
            0.9, 1.0, -0.9, 0.0, //
            0.9, -0.9, 1.0, 0.0, //
            0.0, 0.0, 0.0, 1.0,
        ];
        let err = Correlation::new(vec![0, 1, 2, 3], names(4), Kind::Pearson, m.clone(), false)
            .unwrap_err();
        let MatrixError::NotPositiveDefinite { inputs, smallest } = err;
        assert_eq!(inputs, vec![0, 1, 2]);
        assert!(smallest < 0.0);
        // Repaired: a valid correlation matrix, reported.
        let c = Correlation::new(vec![0, 1, 2, 3], names(4), Kind::Pearson, m, true).unwrap();
        let r = c.repair.clone().unwrap();
        assert!(r.largest > 0.0 && r.largest < 0.9);
        let a = matrix(4, &c.pearson);
        assert!(smallest_eigenvalue(&a) > MIN_EIGENVALUE);
        for i in 0..4 {
            assert!((a[(i, i)] - 1.0).abs() < 1e-15);
            assert!(a[(i, 3)].abs() < 1e-6 || i == 3);
        }
        let text = c.describe_in("plain", crate::i18n::Lang::En);
        assert_eq!(
            text,
            "plain; Gaussian copula over x0, x1, x2, x3 (pearson matrix); the pearson matrix was not positive definite and was repaired to the nearest valid correlation matrix (Higham): largest change 0.400000 at [0][1] (x0 ~ x1); changed entries [0][1] 0.9 → 0.500000, [0][2] 0.9 → 0.500000, [1][2] -0.9 → -0.500000"
        );
        let zh = c.describe_in("普通", crate::i18n::Lang::Zh);
        assert!(
            zh.starts_with("普通；高斯 copula，作用于 x0, x1, x2, x3（pearson 相关矩阵）；pearson 相关矩阵不是正定的"),
            "{zh}"
        );
    }

    #[test]
    fn nearest_correlation_leaves_a_valid_matrix_alone() {
        let a = matrix(2, &[1.0, 0.5, 0.5, 1.0]);
        let n = nearest_correlation(&a);
        assert!((n[(0, 1)] - 0.5).abs() < 1e-9);
    }
}
