//! Upper bounds on what a checked scenario can cost to simulate: the arrival rate
//! at the top of its inputs' ranges (with the macro multiplier in its tail), and
//! the firms a path can hold. Validation refuses a scenario whose arrivals exceed
//! [`MAX_ARRIVALS_PER_YEAR`]; `run` uses the same bounds to estimate its work and
//! memory before it starts.

use super::Scenario;
use super::limits::{MACRO_TAIL_SD, MAX_ARRIVALS_PER_YEAR};
use crate::sampling::Value;

/// The factors of the largest yearly arrival rate λ_t a scenario allows
/// (MODEL.md §5: λ_t = rate × A_t × e^m_t × free factor, the free factor ≤ 1).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ArrivalBound {
    /// Largest `firms.arrival_rate`.
    pub rate: f64,
    /// Largest product of the contributions' `attractiveness` effects.
    pub attractiveness: f64,
    /// Largest `taxes.rebate.attractiveness`.
    pub rebate: f64,
    /// Largest standard deviation of the macro level m_t over the horizon.
    pub macro_sd: f64,
}

impl ArrivalBound {
    /// Prospective firms a year at the top of every range, with the macro
    /// multiplier at [`MACRO_TAIL_SD`] standard deviations.
    pub fn tail_rate(&self) -> f64 {
        self.base_rate() * (MACRO_TAIL_SD * self.macro_sd).exp()
    }

    /// Prospective firms a year at the top of every range, with the macro
    /// multiplier at its mean e^(sd²/2).
    pub fn mean_rate(&self) -> f64 {
        self.base_rate() * (0.5 * self.macro_sd * self.macro_sd).exp()
    }

    /// The rate without the macro multiplier.
    pub fn base_rate(&self) -> f64 {
        self.rate * self.attractiveness * self.rebate
    }

    /// Whether the tail rate is within [`MAX_ARRIVALS_PER_YEAR`] (false when not finite).
    pub fn within_limit(&self) -> bool {
        self.tail_rate() <= MAX_ARRIVALS_PER_YEAR
    }

    /// What the bound is made of, for messages.
    pub fn describe(&self) -> String {
        format!(
            "firms.arrival_rate up to {} × attractiveness up to {} × rebate attractiveness up to {} × macro multiplier e^({MACRO_TAIL_SD} × {:.3})",
            short(self.rate),
            short(self.attractiveness),
            short(self.rebate),
            self.macro_sd,
        )
    }
}

/// The standard deviation of the macro level m_t after `horizon` years, for
/// persistence ±`phi` and volatility `sigma`.
///
/// # Formula
/// m_t = φ m_{t−1} + σ ε_t from m = 0, so Var(m_t) = σ² Σ_{k<t} φ^{2k}.
pub fn macro_sd(phi: f64, sigma: f64, horizon: u32) -> f64 {
    let phi2 = phi * phi;
    let mut variance_sum = 0.0;
    let mut power = 1.0;
    for _ in 0..horizon {
        variance_sum += power;
        power *= phi2;
    }
    sigma * variance_sum.sqrt()
}

/// `x` as written when short, else in scientific notation.
fn short(x: f64) -> String {
    if x.abs() < 1e9 {
        format!("{x}")
    } else {
        format!("{x:.3e}")
    }
}

impl Scenario {
    /// The largest value `v` can take.
    fn upper(&self, v: Value) -> f64 {
        match v {
            Value::Fixed(x) => x,
            Value::Drawn(i) => self
                .params
                .params()
                .get(i)
                .map_or(f64::INFINITY, |p| p.dist.support().1),
        }
    }

    /// The largest |value| `v` can take.
    fn magnitude(&self, v: Value) -> f64 {
        match v {
            Value::Fixed(x) => x.abs(),
            Value::Drawn(i) => self.params.params().get(i).map_or(f64::INFINITY, |p| {
                let (lo, hi) = p.dist.support();
                lo.abs().max(hi.abs())
            }),
        }
    }

    /// The bound on the yearly arrival rate over `horizon` years.
    ///
    /// # Formula
    /// m_t = φ m_{t−1} + σ ε_t from m = 0, so Var(m_t) = σ² Σ_{k<t} φ^{2k}; the
    /// bound takes the largest |φ| and σ and t = `horizon`.
    pub fn arrival_bound(&self, horizon: u32) -> ArrivalBound {
        let phi = self.magnitude(self.macro_shock.persistence);
        let sigma = self.upper(self.macro_shock.volatility).max(0.0);
        ArrivalBound {
            rate: self.upper(self.firms.arrival_rate).max(0.0),
            attractiveness: self
                .contributions
                .iter()
                .map(|c| self.upper(c.attractiveness).max(0.0))
                .product(),
            rebate: self.upper(self.taxes.rebate_attractiveness).max(0.0),
            macro_sd: macro_sd(phi, sigma, horizon),
        }
    }

    /// An upper bound on the firms in the park in any year: the saleable land
    /// over the smallest land a firm can take (infinite when a firm's land can be
    /// arbitrarily small).
    pub fn capacity_bound(&self) -> f64 {
        use super::FirmLand;
        let smallest = self
            .firms
            .sectors
            .iter()
            .map(|s| match &s.land_per_firm_mu {
                FirmLand::Fixed(x) => *x,
                FirmLand::PerFirm(d) => d.support().0,
            })
            .fold(f64::INFINITY, f64::min);
        let saleable = self.park.area_mu * self.upper(self.park.saleable_share).clamp(0.0, 1.0);
        if smallest > 0.0 {
            saleable / smallest
        } else {
            f64::INFINITY
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::Scenario;

    /// The reference's bound by hand: triangular arrival rate up to 14, the
    /// contributions' attractiveness and the rebate's, and m_t with φ = 0.5,
    /// σ = 0.06: Var(m_H) = σ² (1 − φ^{2H}) / (1 − φ²).
    #[test]
    fn reference_arrival_bound_by_hand() {
        let s = Scenario::reference().expect("the reference scenario loads");
        let b = s.arrival_bound(30);
        assert!((b.rate - 14.0).abs() < 1e-12, "{b:?}");
        let sd = 0.06 * ((1.0 - 0.25f64.powi(30)) / (1.0 - 0.25)).sqrt();
        assert!((b.macro_sd - sd).abs() < 1e-12, "{} vs {sd}", b.macro_sd);
        assert!(
            (b.tail_rate() - b.base_rate() * (MACRO_TAIL_SD * sd).exp()).abs() < 1e-9,
            "{b:?}"
        );
        assert!(b.within_limit());
    }

    /// A unit root: Var(m_H) = σ² H, and the bound is refused past the limit.
    #[test]
    fn unit_root_macro_sd_grows_with_the_square_root_of_the_horizon() {
        let mut s = Scenario::reference().expect("the reference scenario loads");
        s.macro_shock.persistence = Value::Fixed(1.0);
        s.macro_shock.volatility = Value::Fixed(1.0);
        let b = s.arrival_bound(100);
        assert!((b.macro_sd - 10.0).abs() < 1e-12, "{b:?}");
        assert!(!b.within_limit());
        // A non-finite bound is never within the limit.
        s.firms.arrival_rate = Value::Fixed(f64::INFINITY);
        assert!(!s.arrival_bound(1).within_limit());
    }
}
