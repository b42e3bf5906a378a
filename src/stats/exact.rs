//! Exact sums of `f64` values: a fixed-point superaccumulator.
//!
//! [`ExactSum`] holds the exact value of a sum of finite doubles as signed
//! 32-bit digits in `i64` limbs: limb `i` weighs `2^(32 i − 1088)`, so the limbs
//! cover every double from the smallest subnormal `2^−1074` to `2^1024`, with two
//! limbs of headroom for carries (a sum of fewer than `2^64` doubles fits). A
//! double touches at most three limbs; carries are propagated lazily, after at
//! most 2^30 additions and before any comparison, rounding or serialisation.
//!
//! Because every addition is exact, the state after adding a multiset of values
//! does not depend on their order or grouping: sums merge associatively and
//! commutatively to the bit.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Bits per digit.
const DIGIT_BITS: u32 = 32;
/// Mask of one digit.
const DIGIT_MASK: i64 = 0xffff_ffff;
/// Exponent of the unit of limb 0 (a multiple of 32 below `2^−1074`).
const LOW_EXP: i32 = -1088;
/// Number of limbs: 66 cover `2^−1088 … 2^1024`, two more hold carries.
const LIMBS: usize = 68;
/// Normalise when this many digit-sized amounts may have been added to a limb.
///
/// After normalisation every limb is below `2^32` in magnitude; each addition adds
/// less than `2^32` to a limb, so `2^30` additions keep a limb below `2^62`.
const NORMALISE_EVERY: u32 = 1 << 30;

/// The product `a · b` as an unevaluated sum `p + e` with `p = fl(a b)`.
///
/// # Formula
///
/// `p = a b` rounded, `e = fma(a, b, −p)`: exact (`p + e = a b`) unless the
/// product underflows below `2^−969` or overflows (then `p` is infinite).
#[inline]
pub fn two_prod(a: f64, b: f64) -> (f64, f64) {
    let p = a * b;
    (p, a.mul_add(b, -p))
}

/// Exact sum of finite `f64` values. See the [module documentation](self).
///
/// Equality compares the exact values; the serialised form is canonical (equal
/// values give equal bytes).
#[derive(Clone, Serialize, Deserialize)]
#[serde(into = "SumRepr", try_from = "SumRepr")]
pub struct ExactSum {
    /// Signed digits, two's-complement-like once normalised: limbs `0..LIMBS−1`
    /// in `[0, 2^32)`, the top limb signed.
    limbs: [i64; LIMBS],
    /// Digit-sized amounts possibly added to a limb since the last normalisation.
    pending: u32,
}

impl Default for ExactSum {
    fn default() -> Self {
        Self::new()
    }
}

impl ExactSum {
    /// The empty sum, 0.
    pub fn new() -> Self {
        ExactSum {
            limbs: [0; LIMBS],
            pending: 0,
        }
    }

    /// Adds `x` exactly. `x` must be finite (checked in debug builds); zeros of
    /// either sign add nothing.
    #[inline]
    pub fn add(&mut self, x: f64) {
        debug_assert!(x.is_finite(), "ExactSum::add({x})");
        let bits = x.to_bits();
        let biased = ((bits >> 52) & 0x7ff) as i32;
        let frac = bits & ((1 << 52) - 1);
        let (mantissa, exp) = if biased == 0 {
            (frac, -1074)
        } else {
            (frac | (1 << 52), biased - 1075)
        };
        if mantissa == 0 {
            return;
        }
        // exp ≥ −1074, so the offset is ≥ 14; exp ≤ 971, so idx + 2 ≤ 66.
        let offset = (exp - LOW_EXP) as u32;
        let idx = (offset / DIGIT_BITS) as usize;
        let wide = u128::from(mantissa) << (offset % DIGIT_BITS);
        let d0 = (wide as i64) & DIGIT_MASK;
        let d1 = ((wide >> 32) as i64) & DIGIT_MASK;
        let d2 = (wide >> 64) as i64;
        if x < 0.0 {
            self.limbs[idx] -= d0;
            self.limbs[idx + 1] -= d1;
            self.limbs[idx + 2] -= d2;
        } else {
            self.limbs[idx] += d0;
            self.limbs[idx + 1] += d1;
            self.limbs[idx + 2] += d2;
        }
        self.pending += 1;
        if self.pending >= NORMALISE_EVERY {
            self.normalise();
        }
    }

    /// Adds everything in `other` exactly.
    pub fn merge(&mut self, other: &ExactSum) {
        if self.pending + other.pending >= NORMALISE_EVERY {
            self.normalise();
        }
        for (a, b) in self.limbs.iter_mut().zip(&other.limbs) {
            *a += b;
        }
        self.pending += other.pending;
    }

    /// Propagates carries: limbs `0..LIMBS−1` end in `[0, 2^32)`.
    fn normalise(&mut self) {
        normalise(&mut self.limbs);
        self.pending = 1;
    }

    /// Sign and magnitude digits of the exact value (canonical).
    fn sign_magnitude(&self) -> (bool, [u32; LIMBS]) {
        let mut limbs = self.limbs;
        normalise(&mut limbs);
        let negative = limbs[LIMBS - 1] < 0;
        if negative {
            for l in &mut limbs {
                *l = -*l;
            }
            normalise(&mut limbs);
        }
        // A sum of fewer than 2^64 doubles is below 2^1088, so the top limb is a digit.
        debug_assert!((0..=DIGIT_MASK).contains(&limbs[LIMBS - 1]));
        let mut digits = [0u32; LIMBS];
        for (d, l) in digits.iter_mut().zip(&limbs) {
            *d = *l as u32;
        }
        (negative, digits)
    }

    /// Whether the exact value is zero.
    pub fn is_zero(&self) -> bool {
        self.sign_magnitude().1.iter().all(|&d| d == 0)
    }

    /// The exact value correctly rounded to the nearest double (ties to even);
    /// ±inf if it exceeds the double range.
    pub fn to_f64(&self) -> f64 {
        let (negative, digits) = self.sign_magnitude();
        let magnitude = round_digits(&digits);
        if negative { -magnitude } else { magnitude }
    }

    /// The exact value as a double-double `(hi, lo)`: `hi` is the correctly
    /// rounded value and `lo` the correctly rounded remainder `value − hi`
    /// (`lo = 0` if `hi` is infinite).
    pub fn to_dd(&self) -> (f64, f64) {
        let t = self.expansion::<2>();
        (t[0], t[1])
    }

    /// The first `K` terms of the greedy expansion: `t[0]` is the correctly
    /// rounded value, each further term the correctly rounded remainder.
    pub fn expansion<const K: usize>(&self) -> [f64; K] {
        let mut terms = [0.0; K];
        let mut rest = self.clone();
        for t in &mut terms {
            *t = rest.to_f64();
            if !t.is_finite() {
                break;
            }
            rest.add(-*t);
        }
        terms
    }
}

/// Carry propagation over limbs `0..LIMBS−1`; the top limb keeps the sign.
fn normalise(limbs: &mut [i64; LIMBS]) {
    let mut carry = 0i64;
    for l in limbs.iter_mut().take(LIMBS - 1) {
        let v = *l + carry;
        carry = v >> DIGIT_BITS;
        *l = v & DIGIT_MASK;
    }
    limbs[LIMBS - 1] += carry;
}

/// `Σ digits[i] 2^(32 i − 1088)` rounded to the nearest double, ties to even.
fn round_digits(digits: &[u32; LIMBS]) -> f64 {
    let Some(top) = digits.iter().rposition(|&d| d != 0) else {
        return 0.0;
    };
    let digit = |i: usize| -> u128 { u128::from(digits[i]) };
    // The three top digits (the top one non-zero) and whether anything lies below.
    let (acc, sticky) = if top >= 2 {
        let acc = digit(top) << 64 | digit(top - 1) << 32 | digit(top - 2);
        (acc, digits[..top - 2].iter().any(|&d| d != 0))
    } else {
        let mut acc = 0u128;
        for i in (0..=top).rev() {
            acc = acc << 32 | digit(i);
        }
        (acc << (32 * (2 - top)), false)
    };
    // acc's unit is 2^low_exp.
    let low_exp = DIGIT_BITS as i32 * (top as i32 - 2) + LOW_EXP;
    let lead = 127 - acc.leading_zeros() as i32; // ≥ 64
    let lead_exp = lead + low_exp;
    // Exponent of the last kept bit: 53 significant bits, or the subnormal unit.
    let q = (lead_exp - 52).max(-1074);
    let shift = (q - low_exp) as u32; // in [12, 127]
    let mut mant = (acc >> shift) as u64;
    let rem = acc & ((1u128 << shift) - 1);
    let half = 1u128 << (shift - 1);
    if rem > half || (rem == half && (sticky || mant & 1 == 1)) {
        mant += 1;
    }
    compose(mant, q)
}

/// The double `mant · 2^q` for `mant ≤ 2^53`, exact: `q ≥ −1074` and either
/// `mant ≥ 2^52` (normal) or `q = −1074` (subnormal). Overflow gives +inf.
fn compose(mut mant: u64, mut q: i32) -> f64 {
    if mant == 1 << 53 {
        mant >>= 1;
        q += 1;
    }
    if mant >= 1 << 52 {
        let exp = q + 52;
        if exp > 1023 {
            return f64::INFINITY;
        }
        f64::from_bits(((exp + 1023) as u64) << 52 | (mant - (1 << 52)))
    } else {
        // Subnormal (or the boundary 2^52·2^−1074 handled above).
        f64::from_bits(mant)
    }
}

impl PartialEq for ExactSum {
    fn eq(&self, other: &Self) -> bool {
        self.sign_magnitude() == other.sign_magnitude()
    }
}

impl Eq for ExactSum {}

impl fmt::Debug for ExactSum {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (hi, lo) = self.to_dd();
        write!(f, "ExactSum({hi:e} + {lo:e})")
    }
}

/// Canonical serialised form: sign, index of the lowest non-zero digit and the
/// digits from there up to the highest non-zero one (no zero at either end).
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SumRepr {
    /// Whether the value is negative (never for zero).
    negative: bool,
    /// Limb index of `digits[0]` (0 for zero).
    low: usize,
    /// Magnitude digits, least significant first.
    digits: Vec<u32>,
}

impl From<ExactSum> for SumRepr {
    fn from(sum: ExactSum) -> Self {
        let (negative, digits) = sum.sign_magnitude();
        let low = digits.iter().position(|&d| d != 0);
        let high = digits.iter().rposition(|&d| d != 0);
        match (low, high) {
            (Some(low), Some(high)) => SumRepr {
                negative,
                low,
                digits: digits[low..=high].to_vec(),
            },
            _ => SumRepr {
                negative: false,
                low: 0,
                digits: Vec::new(),
            },
        }
    }
}

impl TryFrom<SumRepr> for ExactSum {
    type Error = String;

    fn try_from(repr: SumRepr) -> Result<Self, String> {
        let SumRepr {
            negative,
            low,
            digits,
        } = repr;
        if digits.is_empty() {
            if negative || low != 0 {
                return Err("zero sum must be written as positive with low 0".into());
            }
            return Ok(ExactSum::new());
        }
        if digits[0] == 0 || digits[digits.len() - 1] == 0 {
            return Err("sum digits must not start or end with zero".into());
        }
        if low + digits.len() > LIMBS {
            return Err(format!("sum digits exceed {LIMBS} limbs"));
        }
        let mut sum = ExactSum::new();
        for (i, &d) in digits.iter().enumerate() {
            let d = i64::from(d);
            sum.limbs[low + i] = if negative { -d } else { d };
        }
        sum.pending = 1;
        Ok(sum)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn sum_of(values: &[f64]) -> ExactSum {
        let mut s = ExactSum::new();
        for &v in values {
            s.add(v);
        }
        s
    }

    fn bits(x: f64) -> u64 {
        x.to_bits()
    }

    /// Exact rational reference for small cases: values as integers times 2^−1074.
    fn reference_round(values: &[f64]) -> f64 {
        // Every finite double is an integer multiple of 2^−1074 (a big integer);
        // summing big integers and rounding is exactly what ExactSum promises, so
        // the reference uses i128 where the values allow: scale by 2^k with the
        // smallest exponent present.
        let min_exp = values
            .iter()
            .filter(|v| **v != 0.0)
            .map(|v| {
                let b = v.to_bits();
                let e = ((b >> 52) & 0x7ff) as i32;
                if e == 0 { -1074 } else { e - 1075 }
            })
            .min()
            .unwrap_or(0);
        let mut total: i128 = 0;
        // Zeros add nothing (and their exponent may lie below min_exp).
        for v in values.iter().filter(|v| **v != 0.0) {
            let b = v.to_bits();
            let e = ((b >> 52) & 0x7ff) as i32;
            let f = (b & ((1 << 52) - 1)) as i128;
            let (m, e) = if e == 0 {
                (f, -1074)
            } else {
                (f | 1 << 52, e - 1075)
            };
            let m = m << (e - min_exp);
            total += if *v < 0.0 { -m } else { m };
        }
        // Round total · 2^min_exp: total fits in i128 in these tests.
        let neg = total < 0;
        let mag = total.unsigned_abs();
        if mag == 0 {
            return 0.0;
        }
        let lead = 127 - mag.leading_zeros() as i32;
        let q = (lead + min_exp - 52).max(-1074);
        let shift = q - min_exp;
        let mant = if shift <= 0 {
            (mag << (-shift)) as u64
        } else {
            let m = (mag >> shift) as u64;
            let rem = mag & ((1u128 << shift) - 1);
            let half = 1u128 << (shift - 1);
            if rem > half || (rem == half && m & 1 == 1) {
                m + 1
            } else {
                m
            }
        };
        let r = compose(mant, q);
        if neg { -r } else { r }
    }

    #[test]
    fn small_cases_match_exact_arithmetic() {
        // Values within an i128-sized range, checked against the exact integer reference.
        let cases: Vec<Vec<f64>> = vec![
            vec![1e16, 1.0, -1e16],
            vec![0.1; 10],
            vec![5e-324, 5e-324, 5e-324],
            vec![f64::MIN_POSITIVE, -5e-324],
            vec![-1.0, -2.0, 0.5],
            vec![1.0, 2f64.powi(-53)],
            vec![1.0, 2f64.powi(-53), 2f64.powi(-60)],
            vec![1.0, 2f64.powi(-52), 2f64.powi(-53)],
            vec![-1.0, -(2f64.powi(-52)), -(2f64.powi(-53))],
            vec![0.0, -0.0],
            vec![],
            vec![1e10, 3.3, -2.7e9, 1e-5],
        ];
        for c in &cases {
            assert_eq!(bits(sum_of(c).to_f64()), bits(reference_round(c)), "{c:?}");
        }
        // Wide ranges: huge values cancel exactly.
        let wide: [(&[f64], f64); 3] = [
            (&[1e308, 1e308, -1e308, -1e308, 3.5], 3.5),
            (&[f64::MAX, -f64::MAX, f64::MIN_POSITIVE], f64::MIN_POSITIVE),
            (&[3.0, -1e-300, 1e-300], 3.0),
        ];
        for (c, expected) in wide {
            assert_eq!(bits(sum_of(c).to_f64()), bits(expected), "{c:?}");
        }
        assert_eq!(bits(sum_of(&[1e16, 1.0, -1e16]).to_f64()), bits(1.0));
        // 0.1 ten times: the exact sum of ten copies of fl(0.1) is
        // 1 + 5.55e-17, which rounds to 1.0000000000000000 (not 0.9999999999999999).
        assert_eq!(bits(sum_of(&[0.1; 10]).to_f64()), bits(1.0));
        assert_eq!(bits(sum_of(&[-1.0, -2.0, 0.5]).to_f64()), bits(-2.5));
        // A tie: 1 + 2^−53 rounds to even (1); with a sticky bit below it rounds up.
        assert_eq!(bits(sum_of(&[1.0, 2f64.powi(-53)]).to_f64()), bits(1.0));
        assert_eq!(
            bits(sum_of(&[1.0, 2f64.powi(-53), 2f64.powi(-100)]).to_f64()),
            bits(1.0 + f64::EPSILON)
        );
        let (hi, lo) = sum_of(&[1.0, 2f64.powi(-53), 2f64.powi(-100)]).to_dd();
        assert_eq!(bits(hi), bits(1.0 + f64::EPSILON));
        assert_eq!(bits(lo), bits(-(2f64.powi(-53)) + 2f64.powi(-100)));
        // Subnormals.
        assert_eq!(bits(sum_of(&[5e-324; 3]).to_f64()), bits(1.5e-323));
        assert_eq!(bits(sum_of(&[0.0, -0.0]).to_f64()), bits(0.0));
        // Overflowing the double range rounds to infinity, but the state stays exact.
        let big = sum_of(&[f64::MAX, f64::MAX, -f64::MAX]);
        assert_eq!(bits(big.to_f64()), bits(f64::MAX));
        assert!(sum_of(&[f64::MAX, f64::MAX]).to_f64().is_infinite());
    }

    #[test]
    fn ten_tenths_match_decimal_reference() {
        // fl(0.1) = 3602879701896397 / 2^55; ten of them = 36028797018963970 / 2^55,
        // which lies 2/2^55 above 1 = 36028797018963968/2^55 ⇒ rounds to 1.0, rest 2^−54.
        let (hi, lo) = sum_of(&[0.1; 10]).to_dd();
        assert_eq!(bits(hi), bits(1.0));
        assert_eq!(bits(lo), bits(2f64.powi(-54)));
    }

    #[test]
    fn order_and_grouping_do_not_matter() {
        let values: Vec<f64> = (0..2000)
            .map(|i| {
                let x = i as f64;
                (x * 0.37).sin() * 10f64.powi((i % 40) - 20) * if i % 3 == 0 { -1.0 } else { 1.0 }
            })
            .collect();
        let forward = sum_of(&values);
        let mut reversed = values.clone();
        reversed.reverse();
        let mut shuffled = values.clone();
        // Fixed permutation.
        for i in 0..shuffled.len() {
            let j = (i * 7919 + 13) % shuffled.len();
            shuffled.swap(i, j);
        }
        assert_eq!(forward, sum_of(&reversed));
        assert_eq!(forward, sum_of(&shuffled));
        let mut merged = sum_of(&shuffled[..700]);
        merged.merge(&sum_of(&shuffled[700..]));
        assert_eq!(forward, merged);
        assert_eq!(
            serde_json::to_string(&forward).expect("serialise"),
            serde_json::to_string(&merged).expect("serialise")
        );
    }

    #[test]
    fn cancellation_to_zero_and_negative_totals() {
        let mut s = sum_of(&[1e300, -3.0, 1e-300]);
        s.add(-1e300);
        s.add(-1e-300);
        assert_eq!(bits(s.to_f64()), bits(-3.0));
        s.add(3.0);
        assert!(s.is_zero());
        assert_eq!(s, ExactSum::new());
        assert_eq!(
            serde_json::to_string(&s).expect("serialise"),
            r#"{"negative":false,"low":0,"digits":[]}"#
        );
    }

    #[test]
    fn many_adds_normalise_without_overflow() {
        let mut s = ExactSum::new();
        s.pending = NORMALISE_EVERY - 5;
        for _ in 0..10 {
            s.add(f64::MAX);
        }
        let mut t = ExactSum::new();
        for _ in 0..10 {
            t.add(f64::MAX);
        }
        assert_eq!(s, t);
        t.pending = NORMALISE_EVERY - 1;
        let mut u = ExactSum::new();
        u.pending = 3;
        u.merge(&t);
        assert_eq!(u, s);
    }

    #[test]
    fn json_round_trip_is_exact() {
        let s = sum_of(&[-1e16, 0.1, 3e-310, -7.25]);
        let text = serde_json::to_string(&s).expect("serialise");
        let back: ExactSum = serde_json::from_str(&text).expect("parse");
        assert_eq!(back, s);
        assert_eq!(serde_json::to_string(&back).expect("serialise"), text);
        for bad in [
            r#"{"negative":true,"low":0,"digits":[]}"#,
            r#"{"negative":false,"low":3,"digits":[0,1]}"#,
            r#"{"negative":false,"low":67,"digits":[1,1]}"#,
        ] {
            assert!(serde_json::from_str::<ExactSum>(bad).is_err(), "{bad}");
        }
    }

    fn finite() -> impl Strategy<Value = f64> {
        prop_oneof![
            any::<f64>().prop_filter("finite", |x| x.is_finite()),
            -1e6..1e6f64,
            (-1e-300..1e-300f64),
        ]
    }

    proptest! {
        #[test]
        fn two_groupings_merge_to_identical_state(
            values in proptest::collection::vec(finite(), 0..200),
            cut in 0usize..200,
            stride in 1usize..7,
        ) {
            let cut = cut.min(values.len());
            let whole = sum_of(&values);
            let mut halves = sum_of(&values[cut..]);
            halves.merge(&sum_of(&values[..cut]));
            // Interleaved groups: every stride-th value in one part.
            let pick = |keep: bool| -> Vec<f64> {
                values.iter().enumerate().filter(|(i, _)| (i % stride == 0) == keep).map(|p| *p.1).collect()
            };
            let mut inter = sum_of(&pick(false));
            inter.merge(&sum_of(&pick(true)));
            prop_assert_eq!(&whole, &halves);
            prop_assert_eq!(&whole, &inter);
            prop_assert_eq!(
                serde_json::to_string(&whole).expect("serialise"),
                serde_json::to_string(&inter).expect("serialise")
            );
            let (hi, lo) = whole.to_dd();
            prop_assert!(hi.is_finite() || values.iter().any(|v| v.abs() > 1e307));
            if hi.is_finite() {
                prop_assert!(lo.abs() <= hi.abs() * f64::EPSILON || hi == 0.0 || lo.abs() < 1e-300);
            }
        }
    }
}
