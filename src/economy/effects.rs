//! Equity and contribution effects (MODEL.md §2): what each region puts in, the
//! equity shares that follow, and the multipliers its contributions put on
//! attractiveness, costs and revenue from their year on.

use super::EconomyPath;
use crate::scenario::{ContributionKind, Scenario};
use crate::sharing::MAX_REGIONS;

/// Products of the contribution effects in force each year, indexed `[t]`.
#[derive(Debug, Clone, Default)]
pub(super) struct Effects {
    /// Product of the attractiveness effects.
    pub(super) attractiveness: Vec<f64>,
    /// Product of the cost effects.
    pub(super) cost_mult: Vec<f64>,
    /// Product of the revenue effects.
    pub(super) revenue_mult: Vec<f64>,
}

/// Books the contributions into `out` (cash, in kind, opportunity cost, by region and
/// year) and their effects into `effects`; returns each region's total value put in.
///
/// # Formula
/// effect_t = Π over contributions c with year_c ≤ t of effect_c; a contribution dated
/// at or after the horizon has effects nowhere and is not booked.
pub(super) fn contributions(
    scn: &Scenario,
    d: &[f64],
    h: usize,
    effects: &mut Effects,
    out: &mut EconomyPath,
) -> [f64; MAX_REGIONS] {
    for v in [
        &mut effects.attractiveness,
        &mut effects.cost_mult,
        &mut effects.revenue_mult,
    ] {
        v.clear();
        v.resize(h, 1.0);
    }
    let mut values = [0.0; MAX_REGIONS];
    for c in &scn.contributions {
        let v = c.value.get(d);
        values[c.region] += v;
        let (a, k, q) = (c.attractiveness.get(d), c.cost.get(d), c.revenue.get(d));
        for t in (c.year as usize).min(h)..h {
            effects.attractiveness[t] *= a;
            effects.cost_mult[t] *= k;
            effects.revenue_mult[t] *= q;
        }
        let t = c.year as usize;
        if t < h {
            let i = c.region * h + t;
            match c.kind {
                ContributionKind::Cash => out.cash_contributions[i] += v,
                _ => out.in_kind[i] += v,
            }
            out.opportunity_costs[i] += c.opportunity_cost.get(d);
        }
    }
    values
}

/// Equity shares: the fixed ones if given, else each region's share of the value put
/// in (equal shares when nothing was).
pub(super) fn equity(fixed: Option<&[f64]>, values: &[f64], equity: &mut [f64]) {
    if let Some(shares) = fixed {
        equity.copy_from_slice(shares);
        return;
    }
    let n = equity.len();
    let total: f64 = values[..n].iter().sum();
    for (r, e) in equity.iter_mut().enumerate() {
        *e = if total > 0.0 {
            values[r] / total
        } else {
            1.0 / n as f64
        };
    }
}

#[cfg(test)]
// The expected values are worked by hand so that each is the exactly rounded result
// of the same one or two operations.
#[allow(clippy::float_cmp)]
mod tests {
    use super::*;
    use crate::economy::testing::{parse, scenario};

    #[test]
    fn equity_follows_the_values_put_in() {
        let mut e = [0.0; 3];
        equity(None, &[30.0, 10.0, 60.0], &mut e);
        assert_eq!(e, [0.3, 0.1, 0.6]);
        equity(None, &[0.0, 0.0, 0.0, 5.0], &mut e);
        assert_eq!(e, [1.0 / 3.0; 3]);
        equity(Some(&[0.5, 0.25, 0.25]), &[1.0, 0.0, 0.0], &mut e);
        assert_eq!(e, [0.5, 0.25, 0.25]);
    }

    #[test]
    fn effects_compound_from_their_year() {
        let scn = parse(&scenario(
            r#"
[[contributions]]
region = "a"
kind = "cash"
value = 30
year = 2021
effects = { attractiveness = 2.0, cost = 0.5 }
[[contributions]]
region = "b"
kind = "land"
value = 10
year = 2022
opportunity_cost = 3
effects = { attractiveness = 1.5, revenue = 1.25 }
[[contributions]]
region = "b"
kind = "cash"
value = 99
year = 2030
"#,
            "",
        ));
        let h = 4;
        let mut out = EconomyPath::default();
        out.reset(2, h);
        let mut fx = Effects::default();
        let values = contributions(&scn, &[], h, &mut fx, &mut out);
        assert_eq!(values[..2], [30.0, 109.0]);
        assert_eq!(fx.attractiveness, [1.0, 2.0, 3.0, 3.0]);
        assert_eq!(fx.cost_mult, [1.0, 0.5, 0.5, 0.5]);
        assert_eq!(fx.revenue_mult, [1.0, 1.0, 1.25, 1.25]);
        assert_eq!(
            out.cash_contributions,
            [0.0, 30.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]
        );
        assert_eq!(out.in_kind, [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 10.0, 0.0]);
        assert_eq!(
            out.opportunity_costs,
            [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 3.0, 0.0]
        );
    }
}
