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
    /// pass, at most [`MAX_CANDIDATES`] of them, in order; returns how many of
    /// `points` were looked at (all of them unless the pass filled up first).
    fn pass(&mut self, points: &[Vec<f64>]) -> Result<usize, SolveError> {
        let mut fresh: Vec<Vec<f64>> = Vec::new();
        let mut keys = Vec::new();
        let mut looked = 0;
        for p in points {
            if fresh.len() == MAX_CANDIDATES {
                break;
            }
            looked += 1;
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
        Ok(looked)
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

/// Several parameters: a coarse start, then compass moves of a shrinking step.
///
/// From the best point `c`, a pass tries, in this order and as many as fit in
/// [`MAX_CANDIDATES`]:
/// - shares, for the targets but proportional: the best split of a model of each
///   region's value as affine in its own share ([`model_point`]);
/// - after a pass that moved the best point by `d`: `c + d` and `c + 2d` (a
///   pattern move, Hooke and Jeeves: a long way to go is not one step a pass);
/// - shares: δ from one region spread evenly over all the others, and δ to one
///   region taken evenly from all the others (needed where several regions tie:
///   at the most balanced split every gain is the smallest, and no move between
///   two regions raises it); every move of δ from one region to another; then
///   the moves between two regions again at δ/4;
/// - thresholds: each multiplied by 1 ± δ, then by 1 ± δ/4.
///
/// δ is kept while a move of δ (or a pattern move) wins, halved when a move of
/// δ/4 wins, and divided by 4 (by 2 when not every move of δ/4 fitted) when none
/// does.
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
    let mut previous: Option<Vec<f64>> = None;
    while s.passes < MAX_PASSES && delta >= min_delta {
        let c = s.candidates[centre].point.clone();
        let mut moves: Vec<Vec<f64>> = Vec::new();
        if let Some(p) = model_point(s, centre) {
            moves.push(p);
        }
        if let Some(p) = &previous {
            for k in [1.0, 2.0] {
                moves.push(c.iter().zip(p).map(|(x, y)| x + k * (x - y)).collect());
            }
        }
        compass_moves(space, &c, delta, true, &mut moves);
        let small = moves.len();
        compass_moves(space, &c, delta / 4.0, false, &mut moves);
        let before = s.candidates.len();
        let tried = s.pass(&moves)?;
        let best = s.best();
        if best == centre {
            // Every move of δ/4 tried and none better: the next step is below it.
            delta /= if tried >= moves.len() { 4.0 } else { 2.0 };
        } else {
            // A move of δ/4 won: the next steps are smaller. A move of δ or a
            // pattern move keeps δ.
            let won = &s.candidates[best].point;
            let small_won = best >= before
                && moves[small..]
                    .iter()
                    .any(|m| key_of(&s.space.round(m)) == key_of(won));
            if small_won {
                delta /= 2.0;
            }
            previous = Some(c);
            centre = best;
        }
    }
    Ok(())
}

/// For shares: the best split of an affine model of each region's value in its
/// own share, v_r = a_r x_r + b_r, fitted at the best candidate `centre` (a_r from
/// the evaluated candidate nearest it with another share for r; a fixed split's
/// NPV is exactly that, the pool being the same under every split). The model's
/// best has the form x_r = max(0, α_r + β_r t), with t such that the shares add
/// up to 1:
/// - participation's tie (the largest smallest gain g_r = v_r): every gain t,
///   α_r = −b_r / a_r, β_r = 1 / a_r;
/// - nash (Π g_r largest: a_r / g_r the same for every region with a share):
///   α_r = −b_r / a_r, β_r = 1;
/// - shapley (Σ (NPV_r − φ_r)² least: a_r (NPV_r − φ_r) the same):
///   α_r = (φ_r − b_r) / a_r, β_r = 1 / a_r².
///
/// One candidate a pass, tried first: where the compass moves share a step at a
/// time (and between two regions, at the most balanced split, not at all), the
/// model goes to the answer in a pass or two. None for another space or target,
/// or where some a_r is not positive.
fn model_point(s: &Search<'_>, centre: usize) -> Option<Vec<f64>> {
    let Space::Shares { n } = s.space else {
        return None;
    };
    let c = &s.candidates[centre];
    let value = |m: &super::Metrics, r: usize| match s.target {
        Target::Shapley => m.regions[r].npv.mean,
        _ => m.regions[r].gain(),
    };
    let distance = |p: &[f64]| -> f64 { p.iter().zip(&c.point).map(|(x, y)| (x - y).abs()).sum() };
    let mut alpha = Vec::with_capacity(n);
    let mut beta = Vec::with_capacity(n);
    for r in 0..n {
        let near = s
            .candidates
            .iter()
            .filter(|o| (o.point[r] - c.point[r]).abs() >= 1e-4)
            .min_by(|a, b| distance(&a.point).total_cmp(&distance(&b.point)))?;
        let a = (value(&near.metrics, r) - value(&c.metrics, r)) / (near.point[r] - c.point[r]);
        let b = value(&c.metrics, r) - a * c.point[r];
        if !(a > 0.0 && a.is_finite() && b.is_finite()) {
            return None;
        }
        let (al, be) = match s.target {
            Target::Participation(_) => (-b / a, 1.0 / a),
            Target::Nash => (-b / a, 1.0),
            Target::Shapley => {
                let phi = c.metrics.regions[r].shapley?.mean;
                ((phi - b) / a, 1.0 / (a * a))
            }
            Target::Proportional => return None,
        };
        alpha.push(al);
        beta.push(be);
    }
    let total = |t: f64| -> f64 {
        alpha
            .iter()
            .zip(&beta)
            .map(|(a, b)| (a + b * t).max(0.0))
            .sum()
    };
    // Bracket t: the total rises with t from 0, without bound.
    let (mut lo, mut hi) = (-1.0, 1.0);
    for _ in 0..200 {
        if total(lo) <= 1.0 {
            break;
        }
        lo *= 2.0;
    }
    for _ in 0..200 {
        if total(hi) >= 1.0 {
            break;
        }
        hi *= 2.0;
    }
    if !(total(lo) <= 1.0 && total(hi) >= 1.0) {
        return None;
    }
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if total(mid) < 1.0 {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    let p: Vec<f64> = alpha
        .iter()
        .zip(&beta)
        .map(|(a, b)| (a + b * hi).max(0.0))
        .collect();
    p.iter().all(|x| x.is_finite()).then_some(p)
}

/// The compass moves of step `delta` from `c` (see [`search_compass`]); the
/// spread moves of shares only when `spread`.
fn compass_moves(space: Space, c: &[f64], delta: f64, spread: bool, moves: &mut Vec<Vec<f64>>) {
    match space {
        Space::Shares { n } => {
            if spread && n > 2 {
                let others = (n - 1) as f64;
                for i in 0..n {
                    // From i to all the others.
                    let t = delta.min(c[i]);
                    if t > 0.0 {
                        let mut p: Vec<f64> = c.iter().map(|x| x + t / others).collect();
                        p[i] = c[i] - t;
                        moves.push(p);
                    }
                    // To i from all the others, each giving what it can of δ/(n − 1).
                    let mut p = c.to_vec();
                    let mut got = 0.0;
                    for (j, x) in p.iter_mut().enumerate() {
                        if j != i {
                            let t = (delta / others).min(*x);
                            *x -= t;
                            got += t;
                        }
                    }
                    if got > 0.0 {
                        p[i] += got;
                        moves.push(p);
                    }
                }
            }
            for i in 0..n {
                for j in 0..n {
                    let t = delta.min(c[i]);
                    if i != j && t > 0.0 {
                        let mut p = c.to_vec();
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
                    let mut p = c.to_vec();
                    p[k] *= f;
                    moves.push(p);
                }
            }
        }
    }
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
