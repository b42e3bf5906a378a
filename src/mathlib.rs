//! Which math library the engine's numbers come from.
//!
//! `f64::exp`, `ln`, `powf` (and statrs's special functions, which call them) come
//! from the platform's C math library, and their last bit is not the same
//! everywhere: glibc (2.36 here) picks, by CPU, a build of `exp`, `log` and `pow`
//! that fuses multiply-adds (FMA) or one that does not, and the two round
//! differently (`exp` on about 1 input in 1,400). The reference scenario's
//! `summary.csv` of 600 paths then differs in the last digits of 41 of its 425
//! lines between the two (the same binary and seed, FMA hidden from glibc with
//! `GLIBC_TUNABLES`, as `tests/shards.rs` also does). musl and macOS have libraries
//! of their own again.
//!
//! So "the same scenario and seed give the same bytes" holds on machines whose
//! math library rounds alike. [`fingerprint`] names that: a hash of the bits of
//! those functions on fixed inputs, including inputs where the FMA and plain
//! builds differ. Runs record it (`run.json`, a set's `runs.csv`), and the merge
//! refuses partials of shards whose machines round differently, as their merge
//! would not be the bytes a single machine computes.

use std::sync::OnceLock;

use statrs::distribution::{ContinuousCDF, Normal};

/// Inputs of each function hashed: enough that the FMA and plain builds of
/// glibc's `exp` differ on about 14 of them (1 in 1,400), and `log` and `pow` on
/// their own share.
const PROBES: usize = 20_000;

/// The math library's fingerprint: 16 hex digits, a 64-bit FNV-1a hash (a word at
/// a time) of the bits of `exp`, `ln`, `powf` and the standard normal's quantile
/// (statrs) on fixed inputs. Computed once a process (about 1 ms).
pub fn fingerprint() -> &'static str {
    static PRINT: OnceLock<String> = OnceLock::new();
    PRINT.get_or_init(|| {
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        // FNV-1a over whole words: a fingerprint, not a defence against forgery.
        let mut put = |x: f64| hash = (hash ^ x.to_bits()).wrapping_mul(0x0100_0000_01b3);
        // A fixed xorshift sequence of uniforms in [0, 1).
        let mut s: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut unit = move || {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            (s >> 11) as f64 / (1u64 << 53) as f64
        };
        let normal = Normal::standard();
        for i in 0..PROBES {
            let u = unit();
            put((10.0 * u - 5.0).exp());
            put((1e3 * u + 1e-3).ln());
            put((0.5 + u).powf(0.5 + 30.0 * unit()));
            if i % 10 == 0 {
                put(normal.inverse_cdf(u.clamp(1e-12, 1.0 - 1e-12)));
            }
        }
        format!("{hash:016x}")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fingerprint_is_sixteen_hex_digits_and_stable() {
        let f = fingerprint();
        assert_eq!(f.len(), 16);
        assert!(f.chars().all(|c| c.is_ascii_hexdigit()));
        assert_eq!(f, fingerprint());
    }
}
