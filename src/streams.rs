//! Named random streams (MODEL.md §10): every random quantity of path p comes from a
//! stream derived from (seed, p, a stable name), never from its position among
//! other draws, the scenario's text, the thread count or the shard.
//!
//! A [`Streams`] holds one 256-bit ChaCha8 key per name, derived once per run as
//! SHA-256(`"enclave/streams/v1"`, seed, name). Path p reads the name's stream number
//! p ([`open`]). The names are:
//!
//! | name | what it draws | layout inside path p's stream |
//! |---|---|---|
//! | `input:<field path>` | the uncertain input at that field path, e.g. `input:firms.arrival_rate` | word 0–1: the input's uniform |
//! | `macro` | the macro shock ε_t | one standard normal per year, in year order |
//! | `arrivals` | the number of prospective firms N_t | one uniform per year, in year order (inverse CDF of the Poisson law) |
//! | `firms` | each prospective firm's own draws | firm i of year t: the 8 `u64` words at [`firm_word_pos`]`(t, i)` |
//! | `initial_firms` | each firm already in the park at the start (`[initial]`) | firm i of group g of `[[initial.firms]]`: the 8 words at [`firm_word_pos`]`(g, i)` |
//! | `delivery` | whether the collector defaults on what it owes (`[sharing.delivery]`) | one uniform per year, in year order, shared by every alternative (drawn only when one has a delivery risk) |
//!
//! Under antithetic pairs (`[simulation] antithetic`) path 2k + 1 reads path 2k's
//! streams mirrored ([`Noise`], [`Streams::point`]); every other run reads path p's
//! own.
//!
//! Consequences (tested in `tests/crn.rs` and in `economy`'s unit tests): comments,
//! formatting, key order and unrelated fields change no draw; changing one input
//! leaves every other input's draw unchanged; a firm that arrives in the same year
//! and order in two variants gets the same lifetime draws.

use rand::SeedableRng;
use rand::rngs::{ChaCha8Rng, Xoshiro256PlusPlus};
use sha2::{Digest, Sha256};

use crate::qmc::{self, Design};
use crate::sampling::{ParamSet, Sampler, SamplerKind};

/// Version tag hashed into every key: changing how streams are derived changes it.
pub const STREAMS_VERSION: &str = "enclave/streams/v1";

/// How streams are derived, as recorded in run.json.
pub const PRNG_NAME: &str = "ChaCha8Rng (rand 0.10): key = SHA-256(\"enclave/streams/v1\", seed, name), \
     stream = path index; names input:<field path>, macro, arrivals, firms (firm i of year t at word \
     (t·2^32 + i)·16); each firm's yearly shocks from Xoshiro256++ seeded by its own words";

/// `u64` words reserved for each prospective firm in the `firms` stream.
pub const FIRM_WORDS: u64 = 8;

/// Word slots of a prospective firm's block in the `firms` stream, in reading order.
pub mod firm_slot {
    /// Uniform choosing the sector.
    pub const SECTOR: usize = 0;
    /// Uniform for the land drawn per firm.
    pub const LAND: usize = 1;
    /// Uniform deciding whether the firm relocated from the origin region.
    pub const RELOCATED: usize = 2;
    /// Uniform deciding whether a relocated firm displaces the origin's taxes.
    pub const DISPLACES: usize = 3;
    /// Uniform for the firm's lifetime (geometric exit).
    pub const EXIT: usize = 4;
    /// Seed of the firm's own yearly revenue shocks ([`super::firm_shock_rng`]).
    pub const SHOCKS: usize = 5;
}

/// The 256-bit key of one named stream.
pub type Key = [u8; 32];

/// Derives the key of stream `name` for `seed`.
pub fn key(seed: u64, name: &str) -> Key {
    let mut h = Sha256::new();
    h.update(STREAMS_VERSION.as_bytes());
    h.update([0]);
    h.update(seed.to_le_bytes());
    h.update(name.as_bytes());
    h.finalize().into()
}

/// The keys of a run's named streams.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Streams {
    /// Seed they derive from.
    pub seed: u64,
    /// Key of each uncertain input's stream `input:<field path>`, in the order of the
    /// scenario's [`ParamSet`].
    pub inputs: Vec<Key>,
    /// Key of the `macro` stream.
    pub macro_shock: Key,
    /// Key of the `arrivals` stream.
    pub arrivals: Key,
    /// Key of the `firms` stream.
    pub firms: Key,
    /// Key of the `initial_firms` stream.
    pub initial_firms: Key,
    /// Key of the `delivery` stream.
    pub delivery: Key,
    /// How the inputs' words become uniforms across the run's paths
    /// ([`crate::qmc`]); plain Monte Carlo from [`Streams::new`].
    pub design: Design,
    /// The run's sampler ([`Streams::for_run`]).
    pub sampler: Sampler,
}

/// Why a run's sampler cannot take its paths or inputs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct SamplerError(pub String);

impl Streams {
    /// The streams of a run with `seed` over the uncertain inputs `params`.
    pub fn new(seed: u64, params: &ParamSet) -> Streams {
        Streams {
            seed,
            inputs: params
                .params()
                .iter()
                .map(|p| key(seed, &format!("input:{}", p.name)))
                .collect(),
            macro_shock: key(seed, "macro"),
            arrivals: key(seed, "arrivals"),
            firms: key(seed, "firms"),
            initial_firms: key(seed, "initial_firms"),
            delivery: key(seed, "delivery"),
            design: Design::MonteCarlo,
            sampler: Sampler::default(),
        }
    }

    /// The streams of a run of `paths` paths with `seed` under `sampler`: the
    /// Latin hypercube's permutations are keyed by `lhs:<field path>`, the Sobol
    /// scramble by `sobol:<field path>` (SHA-256 keys like the streams'), so a
    /// design depends on the seed, the input's name and (Latin hypercube) the
    /// run's path count only. Under antithetic pairs the design has
    /// ⌈paths / 2⌉ points, one per pair.
    ///
    /// # Errors
    /// A Sobol run of more than [`qmc::MAX_SOBOL_PATHS`] design points or more
    /// than [`qmc::MAX_SOBOL_DIMS`] inputs; an odd number of paths under
    /// antithetic pairs.
    pub fn for_run(
        seed: u64,
        paths: u64,
        sampler: Sampler,
        params: &ParamSet,
    ) -> Result<Streams, SamplerError> {
        if sampler.antithetic && paths % 2 == 1 {
            return Err(SamplerError(format!(
                "antithetic pairs need an even number of paths (paths 2k and 2k + 1 make pair k), found {paths}; set `[simulation] paths` (or --paths, or --max-paths with --precision) to an even number"
            )));
        }
        let mut s = Streams::new(seed, params);
        s.sampler = sampler;
        let points = if sampler.antithetic {
            paths.div_ceil(2)
        } else {
            paths
        };
        let names = || params.params().iter().map(|p| p.name.as_str());
        s.design = match sampler.kind {
            SamplerKind::MonteCarlo => Design::MonteCarlo,
            SamplerKind::LatinHypercube => Design::LatinHypercube(
                names()
                    .map(|n| qmc::Permutation::new(points, &key(seed, &format!("lhs:{n}"))))
                    .collect(),
            ),
            SamplerKind::Sobol => {
                if points > qmc::MAX_SOBOL_PATHS {
                    return Err(SamplerError(format!(
                        "the Sobol sampler takes at most {} design points (a u32 index), found {points}",
                        qmc::MAX_SOBOL_PATHS
                    )));
                }
                let v = qmc::direction_numbers(params.len()).map_err(SamplerError)?;
                Design::Sobol(
                    v.into_iter()
                        .zip(names())
                        .map(|(v, n)| {
                            let k = key(seed, &format!("sobol:{n}"));
                            (v, u32::from_le_bytes([k[0], k[1], k[2], k[3]]))
                        })
                        .collect(),
                )
            }
        };
        Ok(s)
    }

    /// Path `path`'s design point, the path whose streams it reads and whether
    /// its uniforms are mirrored: `(path, path, false)`, or under antithetic pairs
    /// `(path / 2, path − path mod 2, path is odd)`.
    #[inline]
    pub fn point(&self, path: u64) -> (u64, u64, bool) {
        if self.sampler.antithetic {
            (path / 2, path & !1, path & 1 == 1)
        } else {
            (path, path, false)
        }
    }
}

/// How a path reads its process noise (the `macro`, `arrivals`, `firms`,
/// `initial_firms` and `delivery` streams; docs/model.md §9 "Antithetic variates").
///
/// Ordinary runs: `path` = p, `mask` = 0, `sign` = 1.0, so every draw is the
/// stream's own, bit for bit. Under antithetic pairs the odd path 2k + 1 reads path
/// 2k's streams with every word complemented (`mask` = `!0`: a uniform u made by
/// [`unit_from_u64`] becomes exactly 1 − u, and any draw from the words keeps its
/// law) and every standard normal negated (`sign` = −1.0: a ziggurat draw from
/// complemented words is not −z, so normals are mirrored explicitly).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Noise {
    /// The path whose streams are opened.
    pub path: u64,
    /// XORed into every word read from those streams.
    pub mask: u64,
    /// Multiplies every standard normal drawn.
    pub sign: f64,
}

impl Streams {
    /// Path `p`'s [`Noise`]: its own streams as they are, or under antithetic pairs
    /// an odd path's mirror of the even path's.
    #[inline]
    pub fn noise(&self, p: u64) -> Noise {
        let (_, path, mirror) = self.point(p);
        if mirror {
            Noise {
                path,
                mask: !0,
                sign: -1.0,
            }
        } else {
            Noise {
                path,
                mask: 0,
                sign: 1.0,
            }
        }
    }
}

/// Path `p`'s stream of the name whose key is `key`, at its start.
#[inline]
pub fn open(key: &Key, p: u64) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::from_seed(*key);
    rng.set_stream(p);
    rng
}

/// Word position (in 32-bit words, as `ChaCha8Rng::set_word_pos` counts) of the block of
/// prospective firm `i` of year `t` in the `firms` stream. Firms of one year are
/// contiguous, so reading them in order needs one seek per year.
#[inline]
pub fn firm_word_pos(t: u32, i: u32) -> u128 {
    ((u128::from(t) << 32) | u128::from(i)) * u128::from(FIRM_WORDS) * 2
}

/// The generator of a firm's yearly own shocks, seeded by its [`firm_slot::SHOCKS`] word.
#[inline]
pub fn firm_shock_rng(seed_word: u64) -> Xoshiro256PlusPlus {
    Xoshiro256PlusPlus::seed_from_u64(seed_word)
}

/// A uniform draw from the open interval (0, 1) made from one `u64`: the midpoints of
/// 2^52 equal cells, so an inverse CDF never sees 0 or 1. (With 2^53 cells the last
/// midpoint, 1 − 2^−54, is not a double and rounds to 1.)
#[inline]
pub fn unit_from_u64(x: u64) -> f64 {
    const SCALE: f64 = 1.0 / (1u64 << 52) as f64;
    ((x >> 12) as f64 + 0.5) * SCALE
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::Rng;

    #[test]
    fn keys_depend_on_seed_and_name_only() {
        assert_eq!(key(7, "macro"), key(7, "macro"));
        assert_ne!(key(7, "macro"), key(8, "macro"));
        assert_ne!(key(7, "macro"), key(7, "arrivals"));
        assert_ne!(key(7, "input:a"), key(7, "input:b"));
        assert_eq!(
            Streams::new(3, &ParamSet::default()),
            Streams::new(3, &ParamSet::default())
        );
    }

    #[test]
    fn firm_blocks_are_contiguous_within_a_year() {
        let k = key(1, "firms");
        // Reading firm 0 then firm 1 of year 5 sequentially equals seeking to firm 1.
        let mut seq = open(&k, 9);
        seq.set_word_pos(firm_word_pos(5, 0));
        for _ in 0..FIRM_WORDS {
            seq.next_u64();
        }
        let a: Vec<u64> = (0..FIRM_WORDS).map(|_| seq.next_u64()).collect();
        let mut direct = open(&k, 9);
        direct.set_word_pos(firm_word_pos(5, 1));
        let b: Vec<u64> = (0..FIRM_WORDS).map(|_| direct.next_u64()).collect();
        assert_eq!(a, b);
        // Different paths are different streams.
        let mut other = open(&k, 10);
        other.set_word_pos(firm_word_pos(5, 1));
        assert_ne!(other.next_u64(), b[0]);
    }

    #[test]
    fn unit_is_open() {
        assert!(unit_from_u64(0) > 0.0);
        assert!(unit_from_u64(u64::MAX) < 1.0);
        // Bit-exact: the first and last cell midpoints.
        let half_cell = 0.5 / (1u64 << 52) as f64;
        assert_eq!(
            unit_from_u64(u64::MAX).to_bits(),
            (1.0 - half_cell).to_bits()
        );
        assert_eq!(unit_from_u64(0).to_bits(), half_cell.to_bits());
    }

    /// Pins the derivation: a change here changes every result of every scenario.
    #[test]
    fn value_stability() {
        let mut r = open(&key(42, "macro"), 0);
        assert_eq!(r.next_u64(), open(&key(42, "macro"), 0).next_u64());
        let k = key(42, "macro");
        assert_eq!(
            k[..4],
            {
                let mut h = Sha256::new();
                h.update(b"enclave/streams/v1\0");
                h.update(42u64.to_le_bytes());
                h.update(b"macro");
                let d: [u8; 32] = h.finalize().into();
                d
            }[..4]
        );
    }
}
