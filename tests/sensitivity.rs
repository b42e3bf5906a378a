//! Sensitivity analysis (issue 11 point 5): the estimators on functions with
//! known answers, and `enclave sensitivity` end to end.

mod common;

use std::f64::consts::PI;

use enclave::sensitivity::{self, Estimate};

/// The Ishigami function (a = 7, b = 0.1) of three uniforms on (0, 1), each
/// mapped to a uniform on [−π, π].
fn ishigami_function(u: &[f64]) -> f64 {
    let x: Vec<f64> = u.iter().map(|u| -PI + 2.0 * PI * u).collect();
    x[0].sin() + 7.0 * x[1].sin().powi(2) + 0.1 * x[2].powi(4) * x[0].sin()
}

#[test]
fn ishigami() {
    // Analytic values (Ishigami & Homma 1990; Saltelli et al. 2008 §4.6):
    // V = a²/8 + b π⁴/5 + b² π⁸/18 + 1/2 = 13.8446;
    // V1 = (1 + b π⁴/5)²/2 = 4.3459, V2 = a²/8 = 6.125, V3 = 0,
    // V13 = b² π⁸ (1/18 − 1/50) = 3.3737.
    let first = [0.3139, 0.4424, 0.0];
    let total = [0.5576, 0.4424, 0.2437];
    let s = sensitivity::sobol_of(ishigami_function, 3, 20_000, 2026, 500);
    let check = |what: &str, i: usize, e: &Estimate, want: f64| {
        assert!(
            e.contains(want),
            "{what} of x{}: {} with 95% interval [{}, {}] misses {want}",
            i + 1,
            e.value,
            e.low,
            e.high
        );
        assert!(
            e.width() <= 0.05,
            "{what} of x{}: interval [{}, {}] wider than 0.05",
            i + 1,
            e.low,
            e.high
        );
    };
    for i in 0..3 {
        check("S", i, &s.first[i], first[i]);
        check("ST", i, &s.total[i], total[i]);
    }
}

/// A linear model with known coefficients: y = 3 x1 − 2 x2 + 0 x3 + noise, inputs
/// independent uniforms on (0, 1) (sd 1/√12 each), noise normal with sd 0.5.
/// SRC_i = c_i sd(x_i) / sd(y), sd(y)² = (9 + 4)/12 + 0.25; R² = (13/12) / sd(y)².
#[test]
fn src_and_spearman_recover_a_linear_model() {
    use rand::{RngExt, SeedableRng};
    use rand_distr::{Distribution, Normal};
    let n = 4000;
    let mut rng = rand::rngs::ChaCha8Rng::seed_from_u64(7);
    let noise = Normal::new(0.0, 0.5).unwrap();
    let mut x: Vec<Vec<f64>> = (0..3).map(|_| Vec::with_capacity(n)).collect();
    let mut y = Vec::with_capacity(n);
    for _ in 0..n {
        let u: Vec<f64> = (0..3).map(|_| rng.random::<f64>()).collect();
        y.push(3.0 * u[0] - 2.0 * u[1] + noise.sample(&mut rng));
        for (c, v) in x.iter_mut().zip(&u) {
            c.push(*v);
        }
    }
    let var_y: f64 = 13.0 / 12.0 + 0.25;
    let sd_x = (1.0f64 / 12.0).sqrt();
    let want = [3.0 * sd_x / var_y.sqrt(), -2.0 * sd_x / var_y.sqrt(), 0.0];
    let fit = sensitivity::src(&x, &y).expect("a fit");
    for (i, w) in want.iter().enumerate() {
        let e = fit.coefficients[i];
        assert!(e.contains(*w), "SRC {i}: {e:?} misses {w}");
        assert!(e.width() < 0.05, "SRC {i}: {e:?} too wide");
    }
    let r2 = (13.0 / 12.0) / var_y;
    assert!((fit.r2 - r2).abs() < 0.02, "R² {} against {r2}", fit.r2);
    // Spearman: signs and order follow the coefficients; x3 is independent of y.
    let rho: Vec<Estimate> = x.iter().map(|c| sensitivity::spearman(c, &y)).collect();
    assert!(rho[0].low > 0.5, "{:?}", rho[0]);
    assert!(rho[1].high < -0.3, "{:?}", rho[1]);
    assert!(rho[2].contains(0.0), "{:?}", rho[2]);
    assert!(rho[0].value > -rho[1].value);
}
