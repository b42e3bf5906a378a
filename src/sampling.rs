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

use std::sync::Arc;

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
    /// Uniforms given in advance instead of drawn ([`ParamSet::set_table`]).
    table: Option<Arc<[f64]>>,
}

/// Why a table of uniforms was refused by [`ParamSet::set_table`].
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TableError {
    /// The table is empty or its length is not a multiple of the number of inputs.
    #[error(
        "a table of uniforms for {inputs} inputs must hold whole rows of {inputs} values, found {len} values"
    )]
    Shape {
        /// Number of uncertain inputs.
        inputs: usize,
        /// Length of the table.
        len: usize,
    },
    /// A value is not strictly between 0 and 1.
    #[error("uniform {index} of the table is {value}, expected a number strictly between 0 and 1")]
    Range {
        /// Position in the table.
        index: usize,
        /// The value.
        value: f64,
    },
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

    /// Gives the inputs' uniforms in advance instead of drawing them from their
    /// streams: `rows` holds rows of [`Self::len`] uniforms in input order, and path
    /// `p` reads row `p mod (number of rows)`; each uniform is still mapped through its
    /// input's inverse CDF. Process noise (arrivals, shocks, exits) keeps its named
    /// streams, so path `p` of a run with a table differs from path `p` of the plain
    /// run only through its inputs. One row pins every input on every path (a
    /// sensitivity analysis's "others at base"); rows built from a design (Saltelli's
    /// matrices) evaluate the model at chosen inputs on common process noise.
    ///
    /// # Errors
    /// A table that is not whole rows, or a value not strictly inside (0, 1).
    pub fn set_table(&mut self, rows: Arc<[f64]>) -> Result<(), TableError> {
        let k = self.params.len();
        if k == 0 || rows.is_empty() || rows.len() % k != 0 {
            return Err(TableError::Shape {
                inputs: k,
                len: rows.len(),
            });
        }
        if let Some((index, &value)) = rows
            .iter()
            .enumerate()
            .find(|(_, u)| !(**u > 0.0 && **u < 1.0))
        {
            return Err(TableError::Range { index, value });
        }
        self.table = Some(rows);
        Ok(())
    }

    /// Whether the uniforms come from a table ([`Self::set_table`]).
    pub fn has_table(&self) -> bool {
        self.table.is_some()
    }

    /// Draws path `path`'s value of every uncertain input into `draws` (plain Monte
    /// Carlo: the first `u64` of the input's own stream, made a uniform and mapped
    /// through the input's inverse CDF).
    ///
    /// `keys` are [`crate::streams::Streams::inputs`]; `draws` must have length [`Self::len`].
    pub fn draw_into(&self, keys: &[Key], path: u64, draws: &mut [f64]) {
        if let Some(table) = &self.table {
            let k = self.params.len();
            let rows = (table.len() / k) as u64;
            // `path % rows < rows ≤ table.len()`, which is a usize.
            let row = (path % rows) as usize * k;
            for ((slot, p), u) in draws.iter_mut().zip(&self.params).zip(&table[row..row + k]) {
                *slot = p.dist.quantile(*u);
            }
            return;
        }
        for ((slot, p), key) in draws.iter_mut().zip(&self.params).zip(keys) {
            let mut rng = streams::open(key, path);
            *slot = p.dist.quantile(open_unit(&mut rng));
        }
    }
}

/// A uniform draw from the open interval (0, 1) ([`streams::unit_from_u64`] of the
/// generator's next word), so an inverse CDF never sees 0 or 1.
#[inline]
pub fn open_unit<R: rand::Rng + ?Sized>(rng: &mut R) -> f64 {
    streams::unit_from_u64(rng.next_u64())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dist::Dist;

    fn two_uniforms() -> ParamSet {
        let mut set = ParamSet::default();
        for name in ["a", "b"] {
            let dist = Uncertain::new(
                Dist::Uniform {
                    min: 0.0,
                    max: 10.0,
                },
                None,
                None,
            )
            .unwrap();
            set.register(name.to_owned(), dist);
        }
        set
    }

    fn close(a: [f64; 2], b: [f64; 2]) -> bool {
        a.iter().zip(b).all(|(x, y)| (x - y).abs() < 1e-12)
    }

    #[test]
    fn a_table_gives_each_path_its_row_through_the_inverse_cdf() {
        let mut set = two_uniforms();
        let keys = crate::streams::Streams::new(1, &set).inputs;
        set.set_table(Arc::from(vec![0.1, 0.2, 0.3, 0.4])).unwrap();
        let mut draws = [0.0; 2];
        // Uniform on [0, 10]: the inverse CDF is 10 u. Path 3 reads row 3 mod 2 = 1.
        set.draw_into(&keys, 3, &mut draws);
        assert!(close(draws, [3.0, 4.0]), "{draws:?}");
        set.draw_into(&keys, 0, &mut draws);
        assert!(close(draws, [1.0, 2.0]), "{draws:?}");
    }

    #[test]
    fn a_table_must_be_whole_rows_of_open_uniforms() {
        let mut set = two_uniforms();
        assert_eq!(
            set.set_table(Arc::from(vec![0.1, 0.2, 0.3])),
            Err(TableError::Shape { inputs: 2, len: 3 })
        );
        assert_eq!(
            set.set_table(Arc::from(vec![0.1, 1.0])),
            Err(TableError::Range {
                index: 1,
                value: 1.0
            })
        );
        assert!(!set.has_table());
    }
}
