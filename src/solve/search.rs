//! The search: grids along one parameter, compass moves over several, every pass
//! evaluated on the same paths.

use std::collections::HashMap;

use super::{
    Candidate, Evaluate, GRID, MAX_CANDIDATES, MAX_PASSES, SolveError, Space, Target, score,
};
use crate::sharing::Formula;

/// Searches `space` from `formula`'s own point for `target`; returns every
/// candidate evaluated, the best one's index, the formula as written's index and
/// the number of passes.
pub(super) fn run(
    space: Space,
    formula: &Formula,
    target: Target,
    eval: &mut dyn Evaluate,
) -> Result<(Vec<Candidate>, usize, usize, usize), SolveError> {
    let start = space.point_of(formula);
    let mut s = Search {
        space,
        start: start.clone(),
        formula: formula.clone(),
        target,
        eval,
        candidates: Vec::new(),
        seen: HashMap::new(),
        passes: 0,
    };
    if space.dims() == 1 {
        search_line(&mut s, &start)?;
    } else {
        search_compass(&mut s, &start)?;
    }
    let best = s.best();
    let current = s.seen.get(&key_of(&start)).copied().unwrap_or(best);
    Ok((s.candidates, best, current, s.passes))
}

/// A point's key: its coordinates' bits.
fn key_of(p: &[f64]) -> Vec<u64> {
    p.iter().map(|x| x.to_bits()).collect()
}

/// The search: the candidates evaluated so far, keyed by their point.
struct Search<'e> {
    space: Space,
    /// The formula's own point, evaluated as written (not rounded).
    start: Vec<f64>,
    formula: Formula,
    target: Target,
    eval: &'e mut dyn Evaluate,
    candidates: Vec<Candidate>,
    seen: HashMap<Vec<u64>, usize>,
    passes: usize,
}

impl Search<'_> {
    /// Evaluates the new ones among `points` (rounded, valid, not seen) in one
    /// pass; returns the indices of all of `points` that are valid.
    fn pass(&mut self, points: &[Vec<f64>]) -> Result<(), SolveError> {
        let mut fresh: Vec<Vec<f64>> = Vec::new();
        let mut keys = Vec::new();
        for p in points {
            // The formula as written is evaluated as written; the others rounded.
            let p = if key_of(p) == key_of(&self.start) {
                p.clone()
            } else {
                self.space.round(p)
            };
            if !self.space.valid(&p) {
                continue;
            }
            let key = key_of(&p);
            if !self.seen.contains_key(&key) && !keys.contains(&key) {
                fresh.push(p);
                keys.push(key.clone());
            }
        }
        if !fresh.is_empty() {
            self.passes += 1;
            let formulas: Vec<Formula> = fresh
                .iter()
                .map(|p| self.space.apply(&self.formula, p))
                .collect();
            let metrics = self.eval.evaluate(&formulas)?;
            for ((point, formula), (metrics, key)) in fresh
                .into_iter()
                .zip(formulas)
                .zip(metrics.into_iter().zip(keys))
            {
                let score = score(self.target, &metrics);
                self.seen.insert(key, self.candidates.len());
                self.candidates.push(Candidate {
                    pass: self.passes,
                    point,
                    formula,
                    metrics,
                    score,
                });
            }
            if self.passes == 1 {
                self.refuse_undefined_target()?;
            }
        }
        Ok(())
    }

    /// After the first pass: refuses the proportional target when some region
    /// contributes nothing on any path, since its ratio, and so the spread of the
    /// ratios, is undefined under every candidate (the contribution shares do not
    /// depend on the tax formula). Without this the search would run out its
    /// passes among candidates that are all equally undefined and show one of
    /// them.
    fn refuse_undefined_target(&self) -> Result<(), SolveError> {
        if self.target != Target::Proportional {
            return Ok(());
        }
        let metrics: Vec<&super::Metrics> = self.candidates.iter().map(|c| &c.metrics).collect();
        let none = super::non_contributors(&metrics);
        if none.is_empty() {
            return Ok(());
        }
        let ids = self.eval.region_ids();
        Err(SolveError::NoContribution {
            regions: none
                .into_iter()
                .map(|r| {
                    ids.get(r)
                        .cloned()
                        .unwrap_or_else(|| format!("region {}", r + 1))
                })
                .collect(),
        })
    }

    /// The best candidate so far (the first of equals); for `participation:P`,
    /// the most balanced within sampling noise ([`super::most_balanced`]), so the
    /// finer grids refine around it.
    fn best(&self) -> usize {
        let mut best = 0;
        for (i, c) in self.candidates.iter().enumerate() {
            if c.score.better_than(&self.candidates[best].score) {
                best = i;
            }
        }
        if let Target::Participation(_) = self.target {
            best = super::most_balanced(&self.candidates, best);
        }
        best
    }
}

/// A one-parameter point from the coordinate `x`.
fn line_point(space: Space, x: f64) -> Vec<f64> {
    match space {
        Space::Shares { .. } => vec![x, 1.0 - x],
        _ => vec![x],
    }
}

/// The coordinate of a one-parameter point.
fn line_coordinate(p: &[f64]) -> f64 {
    p[0]
}

/// `GRID` points from `lo` to `hi`.
fn grid(lo: f64, hi: f64) -> Vec<f64> {
    (0..GRID)
        .map(|i| lo + (hi - lo) * i as f64 / (GRID - 1) as f64)
        .collect()
}

/// One parameter: a grid over its range, then finer grids around the best point;
/// a range without an upper bound (a base, a threshold) is extended fourfold while
/// the best point is at its top.
fn search_line(s: &mut Search<'_>, start: &[f64]) -> Result<(), SolveError> {
    let space = s.space;
    let x0 = line_coordinate(start);
    let (mut lo, mut hi, open) = match space {
        Space::Shares { .. } | Space::Rate => (0.0, 1.0, false),
        Space::Base => (0.0, (4.0 * x0).max(1.0), true),
        Space::Bounds { .. } => (0.0, (4.0 * x0).max(1.0), true),
        Space::Switch { lo, hi } => (f64::from(lo), f64::from(hi), false),
    };
    let integer = matches!(space, Space::Switch { .. });
    // A base within 10⁻⁴ of the first range's width of 0 is 0: a best base at
    // the bound is then found as 0, not refined towards it to 0.000000000000001943
    // until the passes run out.
    let near_zero = if matches!(space, Space::Base) {
        1e-4 * hi
    } else {
        0.0
    };
    let point = |x: f64| line_point(space, if x < near_zero { 0.0 } else { x });
    let first: Vec<f64> = if integer && hi - lo < MAX_CANDIDATES as f64 {
        (lo as u32..=hi as u32).map(f64::from).collect()
    } else {
        grid(lo, hi)
    };
    let mut points: Vec<Vec<f64>> = vec![start.to_vec()];
    points.extend(first.iter().map(|&x| point(x)));
    s.pass(&points)?;
    let mut step = (hi - lo) / (GRID - 1) as f64;
    while s.passes < MAX_PASSES {
        let x = line_coordinate(&s.candidates[s.best()].point);
        let next = if open && x >= hi - step / 2.0 {
            // The best is at the open top: look further up.
            lo = hi;
            hi *= 4.0;
            grid(lo, hi)
        } else {
            let (a, b) = ((x - step).max(0.0), x + step);
            if integer {
                (a.ceil() as u32..=b.floor() as u32)
                    .map(f64::from)
                    .collect()
            } else {
                grid(a, b)
            }
        };
        step = if integer {
            1.0
        } else {
            (next[next.len() - 1] - next[0]) / (GRID - 1) as f64
        };
        let before = s.candidates.len();
        s.pass(&next.iter().map(|&x| point(x)).collect::<Vec<_>>())?;
        if s.candidates.len() == before {
            break; // nothing new: the grid is below the rounding
        }
    }
    Ok(())
}

/// Several parameters: a coarse start, then compass moves of a halving step.
fn search_compass(s: &mut Search<'_>, start: &[f64]) -> Result<(), SolveError> {
    let space = s.space;
    let mut points: Vec<Vec<f64>> = vec![start.to_vec()];
    let (mut delta, min_delta) = match space {
        Space::Shares { n } => {
            let steps = match n {
                3 => 9,
                4 => 5,
                _ => 0,
            };
            if steps > 0 {
                points.extend(simplex_grid(n, steps));
            } else {
                points.push(vec![1.0 / n as f64; n]);
            }
            (if steps > 0 { 0.5 / steps as f64 } else { 0.1 }, 1e-4)
        }
        _ => {
            for k in -8..=8 {
                let f = 2f64.powf(f64::from(k) / 4.0);
                points.push(start.iter().map(|u| u * f).collect());
            }
            (0.25, 1e-3)
        }
    };
    s.pass(&points)?;
    let mut centre = s.best();
    while s.passes < MAX_PASSES && delta >= min_delta {
        let c = s.candidates[centre].point.clone();
        let mut moves = vec![c.clone()];
        match space {
            Space::Shares { n } => {
                for i in 0..n {
                    for j in 0..n {
                        let t = delta.min(c[i]);
                        if i != j && t > 0.0 {
                            let mut p = c.clone();
                            p[i] -= t;
                            p[j] += t;
                            moves.push(p);
                        }
                    }
                }
            }
            _ => {
                for k in 0..c.len() {
                    for f in [1.0 + delta, 1.0 - delta] {
                        let mut p = c.clone();
                        p[k] *= f;
                        moves.push(p);
                    }
                }
            }
        }
        s.pass(&moves)?;
        let best = s.best();
        if best == centre {
            delta /= 2.0;
        } else {
            centre = best;
        }
    }
    Ok(())
}

/// Every point of the simplex of `n` shares in multiples of 1/`steps`.
pub(super) fn simplex_grid(n: usize, steps: usize) -> Vec<Vec<f64>> {
    fn fill(n: usize, left: usize, steps: usize, prefix: &mut Vec<usize>, out: &mut Vec<Vec<f64>>) {
        if prefix.len() == n - 1 {
            let mut p: Vec<f64> = prefix.iter().map(|&k| k as f64 / steps as f64).collect();
            p.push(left as f64 / steps as f64);
            out.push(p);
            return;
        }
        for k in 0..=left {
            prefix.push(k);
            fill(n, left - k, steps, prefix, out);
            prefix.pop();
        }
    }
    let mut out = Vec::new();
    fill(n, steps, steps, &mut Vec::new(), &mut out);
    out
}
