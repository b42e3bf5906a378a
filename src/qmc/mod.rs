//! Samplers across paths (MODEL.md §9, docs/model.md §9): where each path's
//! uniform for each path-level uncertain input comes from.
//!
//! Every sampler keeps the named streams (MODEL.md §10): input i's uniform on path p
//! is made from the first word of its stream `input:<field path>` on path p, and
//! the sampler only decides how that word is placed in the unit interval:
//!
//! - **Monte Carlo**: `u = unit(word)`, today's draws bit for bit.
//! - **Latin hypercube** over the run's N paths: `u = (π_i(p) + unit(word)) / N`,
//!   with `π_i` a permutation of `0..N` keyed by (seed, input name) — a keyed
//!   Feistel bijection restricted to `0..N` by cycle walking ([`Permutation`]), so
//!   path p computes its stratum alone and memory stays flat in N.
//! - **Sobol**: the Joe–Kuo (new-joe-kuo-6.21201, first [`MAX_SOBOL_DIMS`]
//!   dimensions) Sobol point of index p in Gray-code order, 32 bits, Owen-scrambled
//!   by Burley's hash-based nested uniform scramble keyed by (seed, input name),
//!   completed below bit 32 by the stream's word: `u = unit(s << 32 | low 32 bits of
//!   word)`. Input i (in [`crate::sampling::ParamSet`] order) takes dimension i.
//!
//! The direction numbers are those of S. Joe and F. Y. Kuo, "Constructing Sobol
//! sequences with better two-dimensional projections", SIAM J. Sci. Comput. 30
//! (2008) 2635–2654, file `new-joe-kuo-6.21201` from
//! <https://web.maths.unsw.edu.au/~fkuo/sobol/> (BSD-style licence), first 1000
//! dimensions, embedded as `src/qmc/new-joe-kuo-6.1000`.

use std::sync::Arc;

use crate::streams::{self, unit_from_u64};

/// Most inputs a Sobol run can sample (the dimensions of the embedded Joe–Kuo table).
pub const MAX_SOBOL_DIMS: usize = 1000;

/// Most paths a Sobol run can take: the point index is a `u32`.
pub const MAX_SOBOL_PATHS: u64 = 1 << 32;

/// The embedded Joe–Kuo table (`d s a m_i…` per line after a header; dimension 1,
/// the van der Corput sequence, is implicit).
const JOE_KUO: &str = include_str!("new-joe-kuo-6.1000");

/// Feistel rounds of [`Permutation`].
const ROUNDS: usize = 6;

/// SplitMix64's finaliser: a bijective mix of 64 bits.
#[inline]
fn mix(mut x: u64) -> u64 {
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// A keyed pseudo-random permutation of `0..n`, evaluated one point at a time: a
/// balanced Feistel network on `2h` bits (`4^h ≥ n`, `h ≥ 1`) with
/// six rounds of a keyed mix, restricted to `0..n` by cycle walking
/// (apply again until the value falls below n; a bijection of `0..4^h`
/// restricted this way is a bijection of `0..n`). Since `4^h < 4n`, a point
/// takes fewer than 4 evaluations on average.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Permutation {
    n: u64,
    half_bits: u32,
    keys: [u64; ROUNDS],
}

impl Permutation {
    /// The permutation of `0..n` (n ≥ 1) keyed by `key`.
    pub fn new(n: u64, key: &streams::Key) -> Permutation {
        let n = n.max(1);
        // Bits to hold n − 1, rounded up to an even count of at least 2.
        let bits = (64 - (n - 1).leading_zeros()).max(2);
        let half_bits = bits.div_ceil(2);
        let keys = std::array::from_fn(|r| {
            let mut w = [0u8; 8];
            // 32 key bytes give 4 words; rounds past 4 mix a word with the round.
            w.copy_from_slice(&key[(r % 4) * 8..(r % 4) * 8 + 8]);
            mix(u64::from_le_bytes(w) ^ (r as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15))
        });
        Permutation { n, half_bits, keys }
    }

    /// The number of points permuted.
    pub fn len(&self) -> u64 {
        self.n
    }

    /// Whether it permutes nothing (never: n ≥ 1).
    pub fn is_empty(&self) -> bool {
        false
    }

    #[inline]
    fn feistel(&self, x: u64) -> u64 {
        let h = self.half_bits;
        let mask = (1u64 << h) - 1;
        let (mut left, mut right) = (x >> h, x & mask);
        for k in self.keys {
            let next = left ^ (mix(right ^ k) & mask);
            left = right;
            right = next;
        }
        (left << h) | right
    }

    /// The image of `i` (taken mod n).
    #[inline]
    pub fn at(&self, i: u64) -> u64 {
        let mut x = i % self.n;
        loop {
            x = self.feistel(x);
            if x < self.n {
                return x;
            }
        }
    }
}

/// A Latin hypercube uniform: stratum `stratum` of `n`, placed in it by `word`.
/// Always inside `[stratum / n, (stratum + 1) / n)` and inside (0, 1).
#[inline]
pub fn lhs_unit(stratum: u64, n: u64, word: u64) -> f64 {
    let n = n as f64;
    let u = (stratum as f64 + unit_from_u64(word)) / n;
    // Rounding can carry (s + v) up to s + 1; keep the point in its stratum.
    let top = (stratum + 1) as f64 / n;
    if u >= top {
        f64::from_bits(top.to_bits() - 1)
    } else {
        u
    }
}

/// Direction numbers of the first `dims` Sobol dimensions, 32 bits each.
///
/// # Errors
/// More dimensions than [`MAX_SOBOL_DIMS`].
pub fn direction_numbers(dims: usize) -> Result<Vec<[u32; 32]>, String> {
    if dims > MAX_SOBOL_DIMS {
        return Err(format!(
            "the Sobol sampler supports at most {MAX_SOBOL_DIMS} uncertain inputs (the embedded Joe–Kuo table), found {dims}"
        ));
    }
    let mut out = Vec::with_capacity(dims);
    if dims == 0 {
        return Ok(out);
    }
    // Dimension 1: v_k = 2^(32 − k), k = 1..=32.
    out.push(std::array::from_fn(|k| 1u32 << (31 - k)));
    for line in JOE_KUO.lines().skip(1).take(dims - 1) {
        let nums: Vec<u32> = line
            .split_whitespace()
            .map(|t| t.parse().unwrap_or_else(|_| unreachable!("embedded table")))
            .collect();
        let (s, a, m) = (nums[1] as usize, nums[2], &nums[3..]);
        let mut v = [0u32; 32];
        for i in 0..32 {
            v[i] = if i < s {
                m[i] << (31 - i)
            } else {
                let mut x = v[i - s] ^ (v[i - s] >> s);
                for k in 1..s {
                    x ^= ((a >> (s - 1 - k)) & 1) * v[i - k];
                }
                x
            };
        }
        out.push(v);
    }
    Ok(out)
}

/// Point `index` (Gray-code order, as Joe and Kuo's generator lists them) of the
/// Sobol dimension with direction numbers `v`, unscrambled, as a 32-bit integer
/// (the point is it / 2^32).
#[inline]
pub fn sobol_u32(v: &[u32; 32], index: u32) -> u32 {
    let mut g = index ^ (index >> 1);
    let mut x = 0;
    let mut k = 0;
    while g != 0 {
        if g & 1 == 1 {
            x ^= v[k];
        }
        g >>= 1;
        k += 1;
    }
    x
}

/// Laine and Karras's permutation as improved by Burley (2020): a hash in which each
/// bit depends only on the bits below it.
#[inline]
fn laine_karras(mut x: u32, seed: u32) -> u32 {
    x = x.wrapping_add(seed);
    x ^= x.wrapping_mul(0x6c50_b47c);
    x ^= x.wrapping_mul(0xb82f_1e52);
    x ^= x.wrapping_mul(0xc7af_e638);
    x ^= x.wrapping_mul(0x8d22_f6e6);
    x
}

/// Burley's hash-based nested uniform (Owen) scramble of a 32-bit point: each bit
/// flipped by a hash of the bits above it.
#[inline]
pub fn owen_scramble(x: u32, seed: u32) -> u32 {
    laine_karras(x.reverse_bits(), seed).reverse_bits()
}

/// A run's design across paths: what [`crate::sampling::ParamSet::draw_path`] needs
/// besides the streams' words.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Design {
    /// Independent uniforms.
    #[default]
    MonteCarlo,
    /// A Latin hypercube over `n` points, one permutation per input.
    LatinHypercube(Arc<[Permutation]>),
    /// Scrambled Sobol points, per input its direction numbers and scramble seed.
    Sobol(Arc<[([u32; 32], u32)]>),
}

impl Design {
    /// Input `i`'s uniform at design point `point`, made from its stream's `word`.
    #[inline]
    pub fn unit(&self, i: usize, point: u64, word: u64) -> f64 {
        match self {
            Design::MonteCarlo => unit_from_u64(word),
            Design::LatinHypercube(perms) => {
                let perm = &perms[i];
                lhs_unit(perm.at(point), perm.len(), word)
            }
            Design::Sobol(dims) => {
                let (v, seed) = &dims[i];
                // The engine refuses more than MAX_SOBOL_PATHS paths.
                let s = owen_scramble(sobol_u32(v, point as u32), *seed);
                unit_from_u64((u64::from(s) << 32) | (word & 0xffff_ffff))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permutations_are_bijections_of_any_size() {
        for n in [1u64, 2, 3, 5, 16, 17, 100, 1000, 4097] {
            let p = Permutation::new(n, &streams::key(9, "lhs:a"));
            let mut seen = vec![false; n as usize];
            for i in 0..n {
                let j = p.at(i) as usize;
                assert!(!seen[j], "n = {n}: {j} twice");
                seen[j] = true;
            }
        }
        // Keyed: another name permutes differently.
        let a = Permutation::new(1000, &streams::key(9, "lhs:a"));
        let b = Permutation::new(1000, &streams::key(9, "lhs:b"));
        assert!((0..1000).any(|i| a.at(i) != b.at(i)));
    }

    #[test]
    fn lhs_units_stay_in_their_stratum() {
        for n in [1u64, 3, 1000, 1 << 40] {
            for s in [0, n / 2, n - 1] {
                for word in [0, 1 << 40, u64::MAX] {
                    let u = lhs_unit(s, n, word);
                    assert!(u > 0.0 && u < 1.0);
                    assert!(u >= s as f64 / n as f64 && u < (s + 1) as f64 / n as f64);
                }
            }
        }
    }

    /// Joe and Kuo's published first points (their `sobol.cc` with
    /// new-joe-kuo-6.21201): dimension 1 is 0, 0.5, 0.75, 0.25, 0.375, 0.875,
    /// 0.625, 0.125; dimension 2: 0, 0.5, 0.25, 0.75, 0.375, 0.875, 0.125, 0.625;
    /// dimension 3: 0, 0.5, 0.25, 0.75, 0.625, 0.125, 0.875, 0.375.
    #[test]
    fn unscrambled_points_match_the_published_sequence() {
        let v = direction_numbers(3).unwrap();
        let point = |d: usize, i: u32| f64::from(sobol_u32(&v[d], i)) / 4_294_967_296.0;
        let table: [[f64; 8]; 3] = [
            [0.0, 0.5, 0.75, 0.25, 0.375, 0.875, 0.625, 0.125],
            [0.0, 0.5, 0.25, 0.75, 0.375, 0.875, 0.125, 0.625],
            [0.0, 0.5, 0.25, 0.75, 0.625, 0.125, 0.875, 0.375],
        ];
        for (d, row) in table.iter().enumerate() {
            for (i, want) in row.iter().enumerate() {
                assert_eq!(
                    point(d, i as u32).to_bits(),
                    want.to_bits(),
                    "dim {d} point {i}"
                );
            }
        }
        assert!(direction_numbers(MAX_SOBOL_DIMS).is_ok());
        assert!(direction_numbers(MAX_SOBOL_DIMS + 1).is_err());
    }

    #[test]
    fn sobol_points_are_stratified_in_every_dyadic_interval() {
        // The first 2^m points of each dimension hit each interval [k/2^m, (k+1)/2^m)
        // once, unscrambled and scrambled (the scramble permutes those intervals).
        let v = direction_numbers(20).unwrap();
        for d in &v {
            for seed in [0u32, 12345] {
                let mut seen = [false; 256];
                for i in 0..256u32 {
                    let x = if seed == 0 {
                        sobol_u32(d, i)
                    } else {
                        owen_scramble(sobol_u32(d, i), seed)
                    };
                    let k = (x >> 24) as usize;
                    assert!(!seen[k]);
                    seen[k] = true;
                }
            }
        }
    }
}
