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

/// The standard normal's quantile Φ⁻¹(p), by Wichura's algorithm AS 241 (PPND16,
/// Applied Statistics 37(3), 477–484, 1988): rational approximations of degree
/// 7/7 in three regions, relative error about 1e-16. Only `+ − × ÷`, `ln` and
/// `sqrt`, and `ln` only beyond 0.075 of either end.
///
/// −∞ at 0, +∞ at 1, NaN outside [0, 1] or for NaN.
// The coefficients as published, digit for digit.
#[allow(clippy::excessive_precision)]
pub fn normal_quantile(p: f64) -> f64 {
    if !(0.0..=1.0).contains(&p) {
        return f64::NAN;
    }
    let q = p - 0.5;
    if q.abs() <= 0.425 {
        let r = 0.180625 - q * q;
        let num = (((((((2.509_080_928_730_122_672_7e3 * r + 3.343_057_558_358_812_810_5e4)
            * r
            + 6.726_577_092_700_870_085_3e4)
            * r
            + 4.592_195_393_154_987_145_7e4)
            * r
            + 1.373_169_376_550_946_112_5e4)
            * r
            + 1.971_590_950_306_551_442_7e3)
            * r
            + 1.331_416_678_917_843_774_5e2)
            * r
            + 3.387_132_872_796_366_608_0)
            * q;
        let den = ((((((5.226_495_278_852_854_561_0e3 * r + 2.872_908_573_572_194_267_4e4) * r
            + 3.930_789_580_009_271_061_0e4)
            * r
            + 2.121_379_430_158_659_586_7e4)
            * r
            + 5.394_196_021_424_751_107_7e3)
            * r
            + 6.871_870_074_920_579_083_0e2)
            * r
            + 4.231_333_070_160_091_125_2e1)
            * r
            + 1.0;
        return num / den;
    }
    let tail = if q < 0.0 { p } else { 1.0 - p };
    if tail == 0.0 {
        return if q < 0.0 {
            f64::NEG_INFINITY
        } else {
            f64::INFINITY
        };
    }
    let r = (-tail.ln()).sqrt();
    let x = if r <= 5.0 {
        let r = r - 1.6;
        let num = ((((((7.745_450_142_783_414_076_40e-4 * r + 2.272_384_498_926_918_458_33e-2)
            * r
            + 2.417_807_251_774_506_117_70e-1)
            * r
            + 1.270_458_252_452_368_382_58)
            * r
            + 3.647_848_324_763_204_605_04)
            * r
            + 5.769_497_221_460_691_405_50)
            * r
            + 4.630_337_846_156_545_295_90)
            * r
            + 1.423_437_110_749_683_577_34;
        let den = ((((((1.050_750_071_644_416_843_24e-9 * r + 5.475_938_084_995_344_946_00e-4)
            * r
            + 1.519_866_656_361_645_719_66e-2)
            * r
            + 1.481_039_764_274_800_745_90e-1)
            * r
            + 6.897_673_349_851_000_045_50e-1)
            * r
            + 1.676_384_830_183_803_849_40)
            * r
            + 2.053_191_626_637_758_821_87)
            * r
            + 1.0;
        num / den
    } else {
        let r = r - 5.0;
        let num = ((((((2.010_334_399_292_288_132_65e-7 * r + 2.711_555_568_743_487_578_15e-5)
            * r
            + 1.242_660_947_388_078_438_60e-3)
            * r
            + 2.653_218_952_657_612_309_30e-2)
            * r
            + 2.965_605_718_285_048_912_30e-1)
            * r
            + 1.784_826_539_917_291_335_80)
            * r
            + 5.463_784_911_164_114_369_90)
            * r
            + 6.657_904_643_501_103_777_20;
        let den =
            ((((((2.044_263_103_389_939_785_64e-15 * r + 1.421_511_758_316_445_888_70e-7) * r
                + 1.846_318_317_510_054_681_80e-5)
                * r
                + 7.868_691_311_456_132_591_00e-4)
                * r
                + 1.487_536_129_085_061_485_25e-2)
                * r
                + 1.369_298_809_227_358_053_10e-1)
                * r
                + 5.998_322_065_558_879_376_90e-1)
                * r
                + 1.0;
        num / den
    };
    if q < 0.0 { -x } else { x }
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

    /// Φ(Q(p)) = p to the accuracy a quantile allows: an error ε relative in x
    /// moves Φ(x) by about x² ε relative in the tail. Φ is libm's `erfc`
    /// (an ulp), through the copula's `normal_cdf`.
    #[test]
    fn the_normal_quantile_inverts_the_cdf_to_double_precision() {
        let mut grid: Vec<f64> = (1..1000).map(|i| f64::from(i) / 1000.0).collect();
        grid.extend((1..=300).map(|k| 10f64.powi(-k)));
        grid.extend([
            0.075, 0.0749999, 0.0750001, 0.925, 1e-11, 1.3888e-11, 1.3889e-11,
        ]);
        let mut worst = 0.0f64;
        for &p in &grid {
            // 1 − p only where it is not 1.
            let mirror = (p > 1e-15).then_some(1.0 - p);
            for p in std::iter::once(p).chain(mirror) {
                let x = normal_quantile(p);
                assert!(x.is_finite(), "Q({p}) = {x}");
                // The smaller tail, where Φ keeps its relative accuracy.
                let (tail, got) = if x < 0.0 {
                    (p, crate::copula::normal_cdf(x))
                } else {
                    (1.0 - p, crate::copula::normal_cdf(-x))
                };
                let err = (got / tail - 1.0).abs() / (1.0 + x * x);
                worst = worst.max(err);
                assert!(
                    err < 2e-15,
                    "Q({p}) = {x}: Φ gives {got}, off by {err:e} (scaled)"
                );
            }
        }
        assert!(worst > 0.0, "the check compared nothing");
    }

    #[test]
    #[allow(clippy::excessive_precision)]
    fn the_normal_quantile_at_known_points_and_edges() {
        assert!(normal_quantile(0.5) == 0.0);
        let close = |a: f64, b: f64| (a - b).abs() <= 1e-15 * b.abs();
        // Φ⁻¹(0.975) and Φ⁻¹(0.995), the 95% and 99% two-sided z, to 20 digits.
        assert!(close(normal_quantile(0.975), 1.959_963_984_540_054_235_5));
        assert!(close(normal_quantile(0.995), 2.575_829_303_548_900_761));
        // Odd about ½ where 1 − p is exact (the central region and both tails).
        for p in [
            0.25,
            0.125,
            0.0625,
            0.011_718_75,
            2f64.powi(-40),
            2f64.powi(-52),
        ] {
            assert!(
                normal_quantile(1.0 - p).to_bits() == (-normal_quantile(p)).to_bits(),
                "p = {p:e}"
            );
        }
        assert!(normal_quantile(0.0) == f64::NEG_INFINITY);
        assert!(normal_quantile(1.0) == f64::INFINITY);
        for p in [f64::NAN, -0.1, 1.1, f64::INFINITY] {
            assert!(normal_quantile(p).is_nan());
        }
    }
}
