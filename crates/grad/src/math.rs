//! Vectorisable `ln` and `exp` for `f32` (Cephes' `logf` and `expf`): plain arithmetic and
//! bit manipulation without calls or branches, so that loops over rows of restarts using them
//! compile to SIMD code (the C library's scalar `logf`/`expf` took a quarter of an FMGD step).
//! Both are within 2 ulp of the correctly rounded result on the ranges the kernel uses.

// Cephes' coefficients, written as published.
#![allow(clippy::excessive_precision)]

/// The natural logarithm of a positive, normal, finite `x` (Cephes `logf`).
#[inline(always)]
pub fn ln_fast(x: f32) -> f32 {
    const SQRTHF: f32 = std::f32::consts::FRAC_1_SQRT_2;
    let bits = x.to_bits();
    let mut e = ((bits >> 23) & 0xff) as i32 - 126;
    let mut m = f32::from_bits((bits & 0x007f_ffff) | 0x3f00_0000);
    // m in [0.5, 1): fold into [√½, √2) by doubling.
    let small = m < SQRTHF;
    e -= small as i32;
    m = if small { m + m - 1.0 } else { m - 1.0 };
    let z = m * m;
    let mut y = 7.037_683_6e-2;
    y = y * m - 1.151_461_0e-1;
    y = y * m + 1.167_699_9e-1;
    y = y * m - 1.242_014_1e-1;
    y = y * m + 1.424_932_3e-1;
    y = y * m - 1.666_805_8e-1;
    y = y * m + 2.000_071_5e-1;
    y = y * m - 2.499_999_4e-1;
    y = y * m + 3.333_333_1e-1;
    y = y * m * z;
    let ef = e as f32;
    y += -2.121_944_4e-4 * ef;
    y += -0.5 * z;
    (m + y) + 0.693_359_4 * ef
}

/// `e^x` for finite `x`, clamped to `[−87.3, 88.3]` (so the result is a normal number;
/// `exp_fast(-100)` is about 1.2e−38 where `f32::exp` gives 3.7e−44); NaN gives NaN.
#[inline(always)]
pub fn exp_fast(x: f32) -> f32 {
    const LOG2E: f32 = std::f32::consts::LOG2_E;
    // 1.5 · 2^23: adding it rounds to an integer, which then sits in the low mantissa bits.
    const MAGIC: f32 = 12_582_912.0;
    let x = x.clamp(-87.3, 88.3);
    // n = round(x · log2 e), read from the bits (no float-to-int conversion, which would
    // have to saturate and so does not vectorise well).
    let k = x * LOG2E + MAGIC;
    let nf = k - MAGIC;
    let n = k.to_bits().wrapping_sub(MAGIC.to_bits()) as i32;
    let g = x - nf * 0.693_359_4 + nf * 2.121_944_4e-4;
    let z = g * g;
    let mut y = 1.987_569_2e-4;
    y = y * g + 1.398_2e-3;
    y = y * g + 8.333_452e-3;
    y = y * g + 4.166_579_6e-2;
    y = y * g + 1.666_666_5e-1;
    y = y * g + 5.000_000_1e-1;
    y = y * z + g + 1.0;
    y * f32::from_bits((n.wrapping_add(127) as u32) << 23)
}

/// Whether this CPU has AVX2. The hot loops are compiled three times, for the baseline
/// instruction set, for AVX2 (eight lanes instead of four) and for AVX-512 (sixteen), and
/// this and [`has_avx512`] pick one at run time. All compute exactly the same thing (no fused
/// multiply-add, no reassociation), so results do not depend on the CPU.
#[inline]
pub(crate) fn has_avx2() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::is_x86_feature_detected!("avx2")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// Whether this CPU has the AVX-512 subsets the compiler uses for `f32`/`u32` loops (F, BW,
/// VL, DQ); see [`has_avx2`].
#[inline]
pub(crate) fn has_avx512() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::is_x86_feature_detected!("avx512f")
            && std::is_x86_feature_detected!("avx512bw")
            && std::is_x86_feature_detected!("avx512vl")
            && std::is_x86_feature_detected!("avx512dq")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// Calls `$body` with the given arguments through the widest vector instructions this CPU
/// has: copies compiled for AVX-512 (F/BW/VL/DQ) and for AVX2, picked with [`has_avx512`]
/// and [`has_avx2`], or the baseline. `$body` must be `#[inline(always)]`, so that each copy
/// is its own compilation of the loops for its instruction set; all compute the same bits.
/// The arguments are written `name: Type = value` (the copies are plain functions, so
/// `self` is passed as a value). Expands to the call, returning from the enclosing function
/// in the vector branches.
macro_rules! widest_simd {
    ($body:path, ($($arg:ident: $ty:ty = $val:expr),* $(,)?) -> $ret:ty) => {{
        #[cfg(target_arch = "x86_64")]
        {
            #[target_feature(enable = "avx512f,avx512bw,avx512vl,avx512dq")]
            unsafe fn avx512($($arg: $ty),*) -> $ret {
                $body($($arg),*)
            }
            #[target_feature(enable = "avx2")]
            unsafe fn avx2($($arg: $ty),*) -> $ret {
                $body($($arg),*)
            }
            if $crate::math::has_avx512() {
                // SAFETY: the CPU has AVX-512 F/BW/VL/DQ (checked just above).
                return unsafe { avx512($($val),*) };
            }
            if $crate::math::has_avx2() {
                // SAFETY: the CPU has AVX2 (checked just above).
                return unsafe { avx2($($val),*) };
            }
        }
        $body($($val),*)
    }};
}

#[cfg(test)]
mod tests {
    use super::{exp_fast, ln_fast};

    fn ulps(a: f32, b: f64) -> f64 {
        let ulp = (b as f32).abs().max(f32::MIN_POSITIVE) * f32::EPSILON;
        ((a as f64) - b).abs() / ulp as f64
    }

    #[test]
    fn ln_fast_is_within_two_ulp() {
        let mut x = 1e-30f32;
        while x < 1e30 {
            let b = (x as f64).ln();
            // Near 1 the result is near 0: compare absolutely there.
            assert!(
                ulps(ln_fast(x), b) <= 2.0 || (ln_fast(x) as f64 - b).abs() < 1e-8,
                "{x}: {} vs {b}",
                ln_fast(x)
            );
            x *= 1.0007;
        }
        assert_eq!(ln_fast(1.0), 0.0);
    }

    #[test]
    fn exp_fast_is_within_two_ulp() {
        let mut x = -87.0f32;
        while x < 88.0 {
            let b = (x as f64).exp();
            assert!(ulps(exp_fast(x), b) <= 2.0, "{x}: {} vs {b}", exp_fast(x));
            x += 0.0037;
        }
        assert_eq!(exp_fast(0.0), 1.0);
        assert!(exp_fast(f32::NAN).is_nan());
        assert!(exp_fast(1000.0).is_finite() && exp_fast(-1000.0) > 0.0);
    }
}
