//! Parameter uncertainty (MODEL.md §9): the registry of uncertain inputs and the
//! per-path draw of their values.
//!
//! Every numeric input of a scenario is a [`Value`]: either a fixed number or an
//! index into the [`ParamSet`], the list of inputs given as distributions. Each path
//! draws one value per uncertain input, once, at its start ([`ParamSet::draw_into`]);
//! the economy then reads them through [`Value::get`]. Keeping every uncertain input
//! in one indexed list is what lets a sampler (plain Monte Carlo today) treat them
//! as one vector of uniforms.
//!
//! Each input's uniform on path p comes from its own named stream,
//! `input:<field path>` ([`crate::streams`]): adding, removing or changing another
//! input, or moving this one in the file, never changes its draw.

use crate::dist::Uncertain;
use crate::streams::{self, Key};

/// A numeric input: fixed, or drawn once per path.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Value {
    /// The same number on every path.
    Fixed(f64),
    /// Index of an uncertain input in the scenario's [`ParamSet`].
    Drawn(usize),
}

impl Value {
    /// The value on the current path, given that path's draws.
    #[inline]
    pub fn get(self, draws: &[f64]) -> f64 {
        match self {
            Value::Fixed(x) => x,
            Value::Drawn(i) => draws[i],
        }
    }

    /// The fixed number, if the value is not uncertain.
    pub fn fixed(self) -> Option<f64> {
        match self {
            Value::Fixed(x) => Some(x),
            Value::Drawn(_) => None,
        }
    }
}

/// One uncertain input: its field path in the scenario file and its distribution.
#[derive(Debug, Clone)]
pub struct Param {
    /// Field path, e.g. `firms.sectors[0].revenue_per_mu`.
    pub name: String,
    /// Its distribution.
    pub dist: Uncertain,
}

/// The scenario's uncertain inputs, in file order.
#[derive(Debug, Clone, Default)]
pub struct ParamSet {
    params: Vec<Param>,
}

impl ParamSet {
    /// Registers an uncertain input and returns the [`Value`] that reads it.
    pub fn register(&mut self, name: String, dist: Uncertain) -> Value {
        self.params.push(Param { name, dist });
        Value::Drawn(self.params.len() - 1)
    }

    /// Number of uncertain inputs.
    pub fn len(&self) -> usize {
        self.params.len()
    }

    /// Whether every input is fixed.
    pub fn is_empty(&self) -> bool {
        self.params.is_empty()
    }

    /// The inputs, in registration order.
    pub fn params(&self) -> &[Param] {
        &self.params
    }

    /// Draws path `path`'s value of every uncertain input into `draws` (plain Monte
    /// Carlo: the first `u64` of the input's own stream, made a uniform and mapped
    /// through the input's inverse CDF).
    ///
    /// `keys` are [`crate::streams::Streams::inputs`]; `draws` must have length [`Self::len`].
    pub fn draw_into(&self, keys: &[Key], path: u64, draws: &mut [f64]) {
        for ((slot, p), key) in draws.iter_mut().zip(&self.params).zip(keys) {
            let mut rng = streams::open(key, path);
            *slot = p.dist.quantile(open_unit(&mut rng));
        }
    }
}

/// A uniform draw from the open interval (0, 1): the midpoints of 2^53 equal cells,
/// so an inverse CDF never sees 0 or 1 (a lognormal never returns 0).
#[inline]
pub fn open_unit<R: rand::Rng + ?Sized>(rng: &mut R) -> f64 {
    const SCALE: f64 = 1.0 / (1u64 << 53) as f64;
    // The top cell's midpoint 1 − 2^-54 would round to 1; it takes the largest f64 below 1.
    (((rng.next_u64() >> 11) as f64 + 0.5) * SCALE).min(1.0 - f64::EPSILON / 2.0)
}
