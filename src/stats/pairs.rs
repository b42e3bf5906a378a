//! Standard errors that count antithetic pairs (docs/model.md §9 "Antithetic
//! variates").
//!
//! Under antithetic sampling paths 2k and 2k + 1 are one draw of the pair, not two
//! independent draws, so the standard error of a mean is that of the n/2 pair
//! averages: `se = sd(pair averages) / √(pairs)`. [`Pairs`] holds the even path's
//! record until its partner comes, then adds the pair average of every position to
//! exact moments of their own (the same [`Moments`] as the paths', so they merge
//! to the bit in any grouping). A batch of the engine never splits a pair: its
//! batches and shards start at multiples of 256 and an antithetic run has an even
//! path count.
//!
//! A pair's value at a position is the average of its members there; when one is
//! undefined (NaN, e.g. no IRR on that path) it is the other, and when both are,
//! the pair is undefined. For an output defined on every path this is exactly the
//! pair average; for one undefined on some paths the standard error treats the
//! pairs with one defined member as whole pairs (an approximation, documented).

use serde::{Deserialize, Serialize};

use super::moments::{Batches, Moments};

/// The pairs' statistics of a whole record.
#[derive(Clone, Debug)]
pub(crate) struct Pairs {
    /// The even path's record, waiting for its partner (valid while `holding`).
    held: Vec<f64>,
    /// Whether `held` waits for its partner.
    holding: bool,
    /// The pair averages of the current pair (scratch, no allocation per path).
    average: Vec<f64>,
    /// Shifted sums of the open batch's pairs.
    batch: Batches,
    /// Pairs pushed in the open batch.
    batch_pairs: u64,
    /// Exact moments of the pair averages per position (folded batches).
    pub(crate) moments: Vec<Moments>,
}

/// The value of a pair at one position: see the module documentation.
#[inline]
fn pair_value(a: f64, b: f64) -> f64 {
    match (a.is_nan(), b.is_nan()) {
        (false, false) => 0.5 * (a + b),
        (true, false) => b,
        (false, true) => a,
        (true, true) => f64::NAN,
    }
}

impl Pairs {
    /// Empty pair statistics for records of `len` positions.
    pub(crate) fn new(len: usize) -> Pairs {
        Pairs {
            held: vec![0.0; len],
            holding: false,
            average: vec![0.0; len],
            batch: Batches::new(len),
            batch_pairs: 0,
            moments: vec![Moments::default(); len],
        }
    }

    /// Takes the next path's record: an even path's is held, an odd path's makes
    /// the pair with it.
    #[inline]
    pub(crate) fn push(&mut self, record: &[f64]) {
        if self.holding {
            for ((y, &a), &b) in self.average.iter_mut().zip(&self.held).zip(record) {
                *y = pair_value(a, b);
            }
            self.batch.push(&self.average);
            self.batch_pairs += 1;
            self.holding = false;
        } else {
            self.held.copy_from_slice(record);
            self.holding = true;
        }
    }

    /// Closes the batch. A record still waiting for its partner (an odd number of
    /// paths, which the engine refuses under antithetic sampling) counts as a
    /// pair of its own.
    pub(crate) fn end_batch(&mut self) {
        if self.holding {
            debug_assert!(false, "a batch of antithetic paths ended inside a pair");
            self.batch.push(&self.held);
            self.batch_pairs += 1;
            self.holding = false;
        }
        if self.batch_pairs == 0 {
            return;
        }
        self.batch.fold_into(&mut self.moments);
        self.batch_pairs = 0;
    }

    /// Whether a pair or a batch is open.
    pub(crate) fn is_open(&self) -> bool {
        self.holding || self.batch_pairs > 0
    }

    /// Adds everything `other` has folded.
    pub(crate) fn merge(&mut self, other: &Pairs) {
        for (a, b) in self.moments.iter_mut().zip(&other.moments) {
            a.merge(b);
        }
    }
}

/// Serialised pair statistics: their moments.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PairsRepr {
    moments: Vec<Moments>,
}

impl From<&Pairs> for PairsRepr {
    fn from(p: &Pairs) -> Self {
        PairsRepr {
            moments: p.moments.clone(),
        }
    }
}

impl PairsRepr {
    /// The pair statistics of records of `len` positions.
    pub(crate) fn into_pairs(self, len: usize) -> Result<Pairs, String> {
        if self.moments.len() != len {
            return Err(format!(
                "{} pair moments for {len} positions",
                self.moments.len()
            ));
        }
        let mut p = Pairs::new(len);
        p.moments = self.moments;
        Ok(p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pair_values_average_the_defined_members() {
        // Exact values: compared by their bits.
        assert_eq!(pair_value(1.0, 3.0).to_bits(), 2.0f64.to_bits());
        assert_eq!(pair_value(f64::NAN, 3.0).to_bits(), 3.0f64.to_bits());
        assert_eq!(pair_value(1.0, f64::NAN).to_bits(), 1.0f64.to_bits());
        assert!(pair_value(f64::NAN, f64::NAN).is_nan());
    }

    #[test]
    fn the_standard_error_is_that_of_the_pair_averages() {
        // Pairs (1, 3), (2, 6), (4, 4): averages 2, 4, 4, mean 10/3,
        // sd² = ((4/3)² + (2/3)² + (2/3)²) / 2 = 4/3, se = √(4/3) / √3 = 2/3.
        let mut p = Pairs::new(1);
        for x in [1.0, 3.0, 2.0, 6.0] {
            p.push(&[x]);
        }
        p.end_batch();
        let mut q = Pairs::new(1);
        q.push(&[4.0]);
        q.push(&[4.0]);
        q.end_batch();
        p.merge(&q);
        let s = p.moments[0].summary();
        assert_eq!(s.n, 3);
        assert!((s.mean - 10.0 / 3.0).abs() < 1e-15, "{s:?}");
        assert!((s.se - 2.0 / 3.0).abs() < 1e-15, "{s:?}");
    }
}
