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

use rand::Rng;

use crate::copula::Correlation;
use crate::dist::Uncertain;
use crate::streams::{self, Key, Streams};

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
    /// The Gaussian copula over some inputs (`[correlation]`).
    correlation: Option<Arc<Correlation>>,
}

/// How a run spreads the inputs' uniforms over its paths (`[simulation] sampler`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SamplerKind {
    /// Independent uniforms per path (today's draws).
    #[default]
    MonteCarlo,
    /// A Latin hypercube over the run's paths.
    LatinHypercube,
    /// Owen-scrambled Sobol points, point p on path p.
    Sobol,
}

/// The sampler of a run: its kind and whether paths come in antithetic pairs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Sampler {
    /// Monte Carlo, Latin hypercube or Sobol.
    pub kind: SamplerKind,
    /// Paths in pairs (2k, 2k + 1), the odd one mirrored.
    pub antithetic: bool,
}

impl Sampler {
    /// The name used in files (`monte-carlo`, `latin-hypercube`, `sobol`).
    pub fn name(self) -> &'static str {
        match self.kind {
            SamplerKind::MonteCarlo => "monte-carlo",
            SamplerKind::LatinHypercube => "latin-hypercube",
            SamplerKind::Sobol => "sobol",
        }
    }

    /// The most paths any run with this sampler holds, when there is such a
    /// bound: a Sobol design has at most [`crate::qmc::MAX_SOBOL_PATHS`] points,
    /// one a path (one a pair of paths under antithetic pairs).
    pub fn most_paths(self) -> Option<u64> {
        (self.kind == SamplerKind::Sobol)
            .then(|| crate::qmc::MAX_SOBOL_PATHS * if self.antithetic { 2 } else { 1 })
    }

    /// Whether the design depends on the run's total path count, so that a run
    /// cannot add paths later (a Latin hypercube's strata are 1/N wide).
    pub fn needs_fixed_paths(self) -> bool {
        self.kind == SamplerKind::LatinHypercube
    }

    /// What ran, as recorded in run.json's `sampler` (in English).
    pub fn describe(self) -> String {
        self.describe_in(crate::i18n::Lang::En)
    }

    /// [`Sampler::describe`] in `lang`.
    pub fn describe_in(self, lang: crate::i18n::Lang) -> String {
        let tx = lang.texts();
        let base = tx.t(match self.kind {
            SamplerKind::MonteCarlo => "record.monte_carlo",
            SamplerKind::LatinHypercube => "record.latin_hypercube",
            SamplerKind::Sobol => "record.sobol",
        });
        if self.antithetic {
            tx.f("record.antithetic", &[("base", &base)])
        } else {
            base.to_owned()
        }
    }
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

    /// Sets the Gaussian copula over some inputs (validation of `[correlation]`).
    pub fn set_correlation(&mut self, c: Correlation) {
        self.correlation = Some(Arc::new(c));
    }

    /// The Gaussian copula, if `[correlation]` gave one.
    pub fn correlation(&self) -> Option<&Correlation> {
        self.correlation.as_deref()
    }

    /// What the run's inputs are sampled by, as recorded in run.json: the sampler and
    /// the copula (with any repair). Plain Monte Carlo without a copula is recorded
    /// as before.
    pub fn describe(&self, sampler: Sampler) -> String {
        self.describe_in(sampler, crate::i18n::Lang::En)
    }

    /// [`ParamSet::describe`] in `lang`.
    pub fn describe_in(&self, sampler: Sampler, lang: crate::i18n::Lang) -> String {
        let text = sampler.describe_in(lang);
        match &self.correlation {
            None => text,
            Some(c) => c.describe_in(&text, lang),
        }
    }

    /// Draws path `path`'s value of every uncertain input into `draws` under the
    /// run's sampler and copula (docs/model.md §9):
    ///
    /// 1. a table ([`Self::set_table`]), when given, supplies the uniforms as they
    ///    are (no sampler, no copula: a sensitivity design fixes its own inputs);
    /// 2. otherwise input i's uniform is made by the run's [`crate::qmc::Design`]
    ///    from the first word of its stream `input:<field path>` (under antithetic
    ///    sampling, odd path 2k + 1 takes path 2k's uniform u as 1 − u);
    /// 3. the copula correlates the inputs of `[correlation]`;
    /// 4. each uniform goes through its input's inverse CDF.
    ///
    /// With plain Monte Carlo, no antithetic pairs and no copula this is
    /// [`Self::draw_into`] bit for bit. `draws` must have length [`Self::len`].
    pub fn draw_path(&self, streams: &Streams, path: u64, draws: &mut [f64]) {
        if self.table.is_some() {
            self.draw_into(&streams.inputs, path, draws);
            return;
        }
        let (point, base, mirror) = streams.point(path);
        for (i, (slot, key)) in draws.iter_mut().zip(&streams.inputs).enumerate() {
            let word = streams::open(key, base).next_u64();
            let u = streams.design.unit(i, point, word);
            *slot = if mirror { 1.0 - u } else { u };
        }
        if let Some(c) = &self.correlation {
            c.apply(draws);
        }
        for (slot, p) in draws.iter_mut().zip(&self.params) {
            *slot = p.dist.quantile(*slot);
        }
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

    /// Only a Sobol design bounds the paths a run holds: 2^32 points, a path
    /// each, or a pair of paths each under antithetic pairs.
    #[test]
    fn only_a_sobol_design_bounds_the_paths() {
        let sampler = |kind, antithetic| Sampler { kind, antithetic };
        assert_eq!(
            sampler(SamplerKind::Sobol, false).most_paths(),
            Some(1 << 32)
        );
        assert_eq!(
            sampler(SamplerKind::Sobol, true).most_paths(),
            Some(1 << 33)
        );
        assert_eq!(sampler(SamplerKind::MonteCarlo, true).most_paths(), None);
        assert_eq!(
            sampler(SamplerKind::LatinHypercube, false).most_paths(),
            None
        );
    }

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
    fn plain_monte_carlo_draws_exactly_as_before_and_a_table_takes_precedence() {
        let mut set = two_uniforms();
        let plain = Streams::new(5, &set);
        let (mut a, mut b) = ([0.0; 2], [0.0; 2]);
        for p in [0, 1, 77, 1 << 40] {
            set.draw_into(&plain.inputs, p, &mut a);
            set.draw_path(&plain, p, &mut b);
            assert_eq!(a.map(f64::to_bits), b.map(f64::to_bits));
        }
        let lhs = Sampler {
            kind: SamplerKind::LatinHypercube,
            antithetic: false,
        };
        let streams = Streams::for_run(5, 10, lhs, &set).unwrap();
        set.draw_path(&streams, 3, &mut b);
        assert!(!close(a, b));
        set.set_table(Arc::from(vec![0.1, 0.2])).unwrap();
        set.draw_path(&streams, 3, &mut b);
        assert!(close(b, [1.0, 2.0]), "{b:?}");
    }

    #[test]
    fn antithetic_pairs_mirror_the_even_paths_uniforms() {
        let set = two_uniforms();
        let anti = Sampler {
            kind: SamplerKind::MonteCarlo,
            antithetic: true,
        };
        let streams = Streams::for_run(5, 10, anti, &set).unwrap();
        let (mut even, mut odd) = ([0.0; 2], [0.0; 2]);
        set.draw_path(&streams, 6, &mut even);
        set.draw_path(&streams, 7, &mut odd);
        // Uniform on [0, 10]: x = 10 u, so the mirror is 10 − x.
        assert!(
            close(odd, [10.0 - even[0], 10.0 - even[1]]),
            "{even:?} {odd:?}"
        );
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
