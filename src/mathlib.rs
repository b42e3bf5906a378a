//! Which math library the engine's numbers come from.
//!
//! `f64::exp`, `ln`, `powf` (and statrs's special functions, which call them) come
//! from the platform's C math library, and their last bit is not the same
//! everywhere: glibc (2.36 here) picks, by CPU, a build of `exp`, `log` and `pow`
//! that fuses multiply-adds (FMA) or one that does not, and the two round
//! differently (`exp` on about 1 input in 1,400). musl and macOS have libraries
//! of their own again.
//!
//! The engine's own [`exp`] (the same bits everywhere) serves the calls made for
//! every firm-year and prospective firm: the revenue shock, the lognormal
//! quantile, the arrival rate and the Poisson draw. With glibc's `exp` there, the
//! reference scenario's `summary.csv` of 600 paths differed in the last digits of
//! 41 of its 425 lines between the FMA and plain builds (the same binary and seed,
//! FMA hidden from glibc with `GLIBC_TUNABLES`, as `tests/shards.rs` does); with
//! [`exp`] the two are the same bytes. Other calls (`ln`, `powf`, statrs, the
//! rarer `exp`s of truncated tails and distributions' set-up) still come from the
//! platform.
//!
//! So "the same scenario and seed give the same bytes" is certain only on
//! machines whose math library rounds alike. [`fingerprint`] names that: a hash
//! of the bits of those functions on fixed inputs, including inputs where the FMA
//! and plain builds differ. Runs record it (`run.json`, a set's `runs.csv`), and
//! the merge refuses partials of shards whose machines round differently, as their
//! merge might not be the bytes a single machine computes.

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
        let mut unit = xorshift_units(0x9e37_79b9_7f4a_7c15);
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

/// e^x, computed here rather than by the platform's math library: the same bits
/// on every machine (only `+ − ×` and table reads, no FMA), and about a third of
/// the instructions of glibc's `exp` with its call and error handling. The
/// engine's per firm-year shock and lognormal draws call it.
///
/// # Algorithm
/// The table method of Tang (ACM TOMS 15(2), 1989), as in ARM's optimized
/// routines: x = k ln2/128 + r with k = round(128 x/ln2) and |r| ≤ ln2/256
/// (ln2/128 split in two, the high part with 36 bits so k × high is exact);
/// e^x = 2^(k/128) e^r = 2^⌊k/128⌋ · H_j (1 + T_j) · e^r with j = k mod 128,
/// H_j the double nearest 2^(j/128) and T_j its relative remainder; e^r − 1 by its
/// Taylor series to r⁵ (the next term is below 6e-19 relative on that range).
/// Within an ulp of the correctly rounded value (the tests compare it with the
/// platform's on 10⁶ inputs). |x| ≥ 512, NaN and |x| < 2⁻⁵⁴ go to `f64::exp`
/// (over- and underflow; no firm's shock comes near).
#[inline]
pub fn exp(x: f64) -> f64 {
    // Top 12 bits of |x|: 512 is 0x408, 2^-54 is 0x3c9.
    let top = (x.to_bits() >> 52) & 0x7ff;
    if top.wrapping_sub(0x3c9) >= 0x408 - 0x3c9 {
        return x.exp();
    }
    const N_OVER_LN2: f64 = 184.664_965_233_787_3; // 128 / ln 2
    const LN2_OVER_N_HI: f64 = 0.005_415_212_348_111_709; // 36 bits
    const LN2_OVER_N_LO: f64 = 1.286_402_311_163_834_6e-14;
    // 1.5 × 2^52: adding it rounds to an integer, held in the low bits.
    const SHIFT: f64 = 6_755_399_441_055_744.0;
    let kd = N_OVER_LN2 * x + SHIFT;
    let ki = kd.to_bits();
    let kd = kd - SHIFT;
    let r = x - kd * LN2_OVER_N_HI - kd * LN2_OVER_N_LO;
    let j = 2 * (ki % 128) as usize;
    // ki << 45 puts ⌊k/128⌋ in the exponent (and j, which the table entry undoes).
    let scale = f64::from_bits(EXP_TABLE[j + 1].wrapping_add(ki << 45));
    let tail = f64::from_bits(EXP_TABLE[j]);
    let r2 = r * r;
    let p = tail + r + r2 * (0.5 + r * (1.0 / 6.0)) + r2 * r2 * (1.0 / 24.0 + r * (1.0 / 120.0));
    scale + scale * p
}

/// 2^(j/128) for j = 0..128 as pairs: [2j] the bits of T_j, [2j + 1] the bits of
/// H_j less j << 45 (see [`exp`]). Generated with Python's `decimal` at 60 digits:
/// `v = (Decimal(j) / 128 * Decimal(2).ln()).exp(); h = float(v);
/// t = float((v - Decimal(h)) / Decimal(h))`, the bits by `struct.pack('<d', …)`.
#[rustfmt::skip]
const EXP_TABLE: [u64; 256] = [
    0x0000000000000000, 0x3ff0000000000000, 0x3c9b3b4f1a88bf6e, 0x3feff63da9fb3335,
    0xbc7160139cd8dc5d, 0x3fefec9a3e778061, 0xbc905e7a108766d1, 0x3fefe315e86e7f85,
    0x3c8cd2523567f613, 0x3fefd9b0d3158574, 0xbc8bce8023f98efa, 0x3fefd06b29ddf6de,
    0x3c60f74e61e6c861, 0x3fefc74518759bc8, 0x3c90a3e45b33d399, 0x3fefbe3ecac6f383,
    0x3c979aa65d837b6d, 0x3fefb5586cf9890f, 0x3c8eb51a92fdeffc, 0x3fefac922b7247f7,
    0x3c3ebe3d702f9cd1, 0x3fefa3ec32d3d1a2, 0xbc6a033489906e0b, 0x3fef9b66affed31b,
    0xbc9556522a2fbd0e, 0x3fef9301d0125b51, 0xbc5080ef8c4eea55, 0x3fef8abdc06c31cc,
    0xbc91c923b9d5f416, 0x3fef829aaea92de0, 0x3c80d3e3e95c55af, 0x3fef7a98c8a58e51,
    0xbc801b15eaa59348, 0x3fef72b83c7d517b, 0xbc8f1ff055de323d, 0x3fef6af9388c8dea,
    0x3c8b898c3f1353bf, 0x3fef635beb6fcb75, 0xbc96d99c7611eb26, 0x3fef5be084045cd4,
    0x3c9aecf73e3a2f60, 0x3fef54873168b9aa, 0xbc8fe782cb86389d, 0x3fef4d5022fcd91d,
    0x3c8a6f4144a6c38d, 0x3fef463b88628cd6, 0x3c807a05b0e4047d, 0x3fef3f49917ddc96,
    0x3c968efde3a8a894, 0x3fef387a6e756238, 0x3c875e18f274487d, 0x3fef31ce4fb2a63f,
    0x3c80472b981fe7f2, 0x3fef2b4565e27cdd, 0xbc96b87b3f71085e, 0x3fef24dfe1f56381,
    0x3c82f7e16d09ab31, 0x3fef1e9df51fdee1, 0xbc3d219b1a6fbffa, 0x3fef187fd0dad990,
    0x3c8b3782720c0ab4, 0x3fef1285a6e4030b, 0x3c6e149289cecb8f, 0x3fef0cafa93e2f56,
    0x3c834d754db0abb6, 0x3fef06fe0a31b715, 0x3c864201e2ac744c, 0x3fef0170fc4cd831,
    0x3c8fdd395dd3f84a, 0x3feefc08b26416ff, 0xbc86a3803b8e5b04, 0x3feef6c55f929ff1,
    0xbc924aedcc4b5068, 0x3feef1a7373aa9cb, 0xbc9907f81b512d8e, 0x3feeecae6d05d866,
    0xbc71d1e83e9436d2, 0x3feee7db34e59ff7, 0xbc991919b3ce1b15, 0x3feee32dc313a8e5,
    0x3c859f48a72a4c6d, 0x3feedea64c123422, 0xbc9312607a28698a, 0x3feeda4504ac801c,
    0xbc58a78f4817895b, 0x3feed60a21f72e2a, 0xbc7c2c9b67499a1b, 0x3feed1f5d950a897,
    0x3c4363ed60c2ac11, 0x3feece086061892d, 0x3c9666093b0664ef, 0x3feeca41ed1d0057,
    0x3c6ecce1daa10379, 0x3feec6a2b5c13cd0, 0x3c93ff8e3f0f1230, 0x3feec32af0d7d3de,
    0x3c7690cebb7aafb0, 0x3feebfdad5362a27, 0x3c931dbdeb54e077, 0x3feebcb299fddd0d,
    0xbc8f94340071a38e, 0x3feeb9b2769d2ca7, 0xbc87deccdc93a349, 0x3feeb6daa2cf6642,
    0xbc78dec6bd0f385f, 0x3feeb42b569d4f82, 0xbc861246ec7b5cf6, 0x3feeb1a4ca5d920f,
    0x3c93350518fdd78e, 0x3feeaf4736b527da, 0x3c7b98b72f8a9b05, 0x3feead12d497c7fd,
    0x3c9063e1e21c5409, 0x3feeab07dd485429, 0x3c34c7855019c6ea, 0x3feea9268a5946b7,
    0x3c9432e62b64c035, 0x3feea76f15ad2148, 0xbc8ce44a6199769f, 0x3feea5e1b976dc09,
    0xbc8c33c53bef4da8, 0x3feea47eb03a5585, 0xbc845378892be9ae, 0x3feea34634ccc320,
    0xbc93cedd78565858, 0x3feea23882552225, 0x3c5710aa807e1964, 0x3feea155d44ca973,
    0xbc93b3efbf5e2228, 0x3feea09e667f3bcd, 0xbc6a12ad8734b982, 0x3feea012750bdabf,
    0xbc6367efb86da9ee, 0x3fee9fb23c651a2f, 0xbc80dc3d54e08851, 0x3fee9f7df9519484,
    0xbc781f647e5a3ecf, 0x3fee9f75e8ec5f74, 0xbc86ee4ac08b7db0, 0x3fee9f9a48a58174,
    0xbc8619321e55e68a, 0x3fee9feb564267c9, 0x3c909ccb5e09d4d3, 0x3feea0694fde5d3f,
    0xbc7b32dcb94da51d, 0x3feea11473eb0187, 0x3c94ecfd5467c06b, 0x3feea1ed0130c132,
    0x3c65ebe1abd66c55, 0x3feea2f336cf4e62, 0xbc88a1c52fb3cf42, 0x3feea427543e1a12,
    0xbc9369b6f13b3734, 0x3feea589994cce13, 0xbc805e843a19ff1e, 0x3feea71a4623c7ad,
    0xbc94d450d872576e, 0x3feea8d99b4492ed, 0x3c90ad675b0e8a00, 0x3feeaac7d98a6699,
    0x3c8db72fc1f0eab4, 0x3feeace5422aa0db, 0xbc65b6609cc5e7ff, 0x3feeaf3216b5448c,
    0x3c7bf68359f35f44, 0x3feeb1ae99157736, 0xbc93091fa71e3d83, 0x3feeb45b0b91ffc6,
    0xbc5da9b88b6c1e29, 0x3feeb737b0cdc5e5, 0xbc6c23f97c90b959, 0x3feeba44cbc8520f,
    0xbc92434322f4f9aa, 0x3feebd829fde4e50, 0xbc85ca6cd7668e4b, 0x3feec0f170ca07ba,
    0x3c71affc2b91ce27, 0x3feec49182a3f090, 0x3c6dd235e10a73bb, 0x3feec86319e32323,
    0xbc87c50422622263, 0x3feecc667b5de565, 0x3c8b1c86e3e231d5, 0x3feed09bec4a2d33,
    0xbc91bbd1d3bcbb15, 0x3feed503b23e255d, 0x3c90cc319cee31d2, 0x3feed99e1330b358,
    0x3c8469846e735ab3, 0x3feede6b5579fdbf, 0xbc82dfcd978e9db4, 0x3feee36bbfd3f37a,
    0x3c8c1a7792cb3387, 0x3feee89f995ad3ad, 0xbc907b8f4ad1d9fa, 0x3feeee07298db666,
    0xbc55c3d956dcaeba, 0x3feef3a2b84f15fb, 0xbc90a40e3da6f640, 0x3feef9728de5593a,
    0xbc68d6f438ad9334, 0x3feeff76f2fb5e47, 0xbc91eee26b588a35, 0x3fef05b030a1064a,
    0x3c74ffd70a5fddcd, 0x3fef0c1e904bc1d2, 0xbc91bdfbfa9298ac, 0x3fef12c25bd71e09,
    0x3c736eae30af0cb3, 0x3fef199bdd85529c, 0x3c8ee3325c9ffd94, 0x3fef20ab5fffd07a,
    0x3c84e08fd10959ac, 0x3fef27f12e57d14b, 0x3c63cdaf384e1a67, 0x3fef2f6d9406e7b5,
    0x3c676b2c6c921968, 0x3fef3720dcef9069, 0xbc808a1883ccb5d2, 0x3fef3f0b555dc3fa,
    0xbc8fad5d3ffffa6f, 0x3fef472d4a07897c, 0xbc900dae3875a949, 0x3fef4f87080d89f2,
    0x3c74a385a63d07a7, 0x3fef5818dcfba487, 0xbc82919e2040220f, 0x3fef60e316c98398,
    0x3c8e5a50d5c192ac, 0x3fef69e603db3285, 0x3c843a59ac016b4b, 0x3fef7321f301b460,
    0xbc82d52107b43e1f, 0x3fef7c97337b9b5f, 0xbc892ab93b470dc9, 0x3fef864614f5a129,
    0x3c74b604603a88d3, 0x3fef902ee78b3ff6, 0x3c83c5ec519d7271, 0x3fef9a51fbc74c83,
    0xbc8ff7128fd391f0, 0x3fefa4afa2a490da, 0xbc8dae98e223747d, 0x3fefaf482d8e67f1,
    0x3c8ec3bc41aa2008, 0x3fefba1bee615a27, 0x3c842b94c3a9eb32, 0x3fefc52b376bba97,
    0x3c8a64a931d185ee, 0x3fefd0765b6e4540, 0xbc8e37bae43be3ed, 0x3fefdbfdad9cbe14,
    0x3c77893b4d91cd9d, 0x3fefe7c1819e90d8, 0x3c5305c14160cc89, 0x3feff3c22b8f71f1,
];

/// A fixed sequence of uniforms in [0, 1) from `seed` (xorshift64): inputs
/// to probe the math library with, the same on every machine.
fn xorshift_units(mut s: u64) -> impl FnMut() -> f64 {
    move || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        (s >> 11) as f64 / (1u64 << 53) as f64
    }
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

    /// [`exp`] is within an ulp of the platform's `exp` (itself within about half
    /// an ulp of e^x) on 10⁶ inputs over the range the fast path covers, on
    /// every table entry's neighbourhood and at the edges where it hands over;
    /// and it is the platform's beyond them.
    #[test]
    #[allow(clippy::float_cmp)]
    fn exp_is_within_an_ulp_of_the_platforms() {
        let ulps = |a: f64, b: f64| (a.to_bits() as i64 - b.to_bits() as i64).unsigned_abs();
        let mut unit = xorshift_units(0x2545_f491_4f6c_dd1d);
        let mut xs: Vec<f64> = (0..1_000_000).map(|_| 1024.0 * unit() - 512.0).collect();
        xs.extend((0..100_000).map(|_| 8.0 * unit() - 4.0));
        xs.extend((-600..600).map(|j| f64::from(j) * std::f64::consts::LN_2 / 128.0));
        xs.extend([
            1e-300, -1e-300, 5e-17, -5e-17, 6e-17, 511.999, -511.999, 512.0, -512.0, 700.0, -700.0,
            709.7, -745.0, 0.5, 1.0, -1.0, 2.0, 10.0, -10.0,
        ]);
        let (mut worst, mut differ) = (0, 0);
        for &x in &xs {
            let d = ulps(exp(x), x.exp());
            worst = worst.max(d);
            differ += usize::from(d > 0);
            assert!(
                d <= 1,
                "exp({x:e}) = {:e}, the platform's {:e}",
                exp(x),
                x.exp()
            );
        }
        assert!(differ < xs.len() / 100, "{differ} of {} differ", xs.len());
        assert_eq!(exp(0.0), 1.0);
        assert_eq!(exp(-0.0), 1.0);
        assert!(exp(f64::NAN).is_nan());
        assert_eq!(exp(f64::INFINITY), f64::INFINITY);
        assert_eq!(exp(f64::NEG_INFINITY), 0.0);
        assert_eq!(exp(1000.0), f64::INFINITY);
        assert_eq!(exp(-1000.0), 0.0);
        assert_eq!(exp(1.0), std::f64::consts::E);
        println!(
            "worst {worst} ulp; {differ} of {} differ from the platform's",
            xs.len()
        );
    }

    /// The table's pairs are 2^(j/128): H_j within half an ulp of `exp2`'s value
    /// and H_j (1 + T_j) closer still.
    #[test]
    fn the_exp_table_holds_the_powers_of_two() {
        for j in 0..128usize {
            let h = f64::from_bits(EXP_TABLE[2 * j + 1] + ((j as u64) << 45));
            let t = f64::from_bits(EXP_TABLE[2 * j]);
            let v = (j as f64 / 128.0).exp2();
            assert!(
                (h - v).abs() <= v * f64::EPSILON,
                "entry {j}: {h} against {v}"
            );
            assert!(t.abs() <= f64::EPSILON, "entry {j}: tail {t}");
            assert!((h + h * t - v).abs() <= (h - v).abs().max(v * f64::EPSILON / 2.0));
        }
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
