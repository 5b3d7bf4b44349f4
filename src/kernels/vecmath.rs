//! Row maxima and exponentials eight at a time: greedy search's argmax, beam search's
//! log-softmax, attention's softmax and the swish activation.
//!
//! Every beam step normalises rows × 54796 logits; with the C library's scalar `expf` the
//! log-softmax was 7.5% of a beam-search run, and swish and the attention softmax another 2–3%
//! each. On x86-64 with AVX2 and FMA, eight exponentials are
//! computed at once: `e^x = 2^n · e^r` with `n = round(x / ln 2)`, `r = x − n·ln 2` (ln 2 split in
//! two parts so that `r` stays exact) and a degree-7 polynomial for `e^r` on `|r| ≤ ln 2 / 2`, within
//! 3 ulp of `expf` on the tested range (a relative error of a few 10⁻⁷, far below what the
//! logits themselves carry). The sum is kept in f64, as the scalar path does.

/// The largest element of `row`, ignoring NaN; −∞ if there is none.
///
/// Eight running maxima, so that the loop compiles to vector instructions: a single running
/// maximum is a chain of dependent compares, one element per few cycles, and greedy search takes
/// one per row of 54796 logits at every step.
pub fn max(row: &[f32]) -> f32 {
    let mut lanes = [f32::NEG_INFINITY; 8];
    let chunks = row.chunks_exact(8);
    let tail = chunks.remainder();
    for chunk in chunks {
        for (m, &x) in lanes.iter_mut().zip(chunk) {
            *m = if x > *m { x } else { *m };
        }
    }
    lanes
        .iter()
        .chain(tail)
        .fold(f32::NEG_INFINITY, |m, &x| if x > m { x } else { m })
}

/// `Σ e^(x − shift)` over `row`, for `shift ≥` every element (the row's maximum).
pub fn sum_exp(row: &[f32], shift: f32) -> f64 {
    #[cfg(target_arch = "x86_64")]
    {
        if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
            // SAFETY: the features were just detected.
            return unsafe { avx2::sum_exp(row, shift) };
        }
    }
    row.iter().map(|&x| (x - shift).exp() as f64).sum()
}

/// Replaces each `x` of `row` by `e^(x − shift)`, for `shift ≥` every element, and returns their sum.
pub fn exp_shifted(row: &mut [f32], shift: f32) -> f32 {
    #[cfg(target_arch = "x86_64")]
    {
        if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
            // SAFETY: the features were just detected.
            return unsafe { avx2::exp_shifted(row, shift) };
        }
    }
    row.iter_mut()
        .map(|x| {
            *x = (*x - shift).exp();
            *x
        })
        .sum()
}

/// Swish, `x · σ(x)`, in place.
pub fn silu(xs: &mut [f32]) {
    #[cfg(target_arch = "x86_64")]
    {
        if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
            // SAFETY: the features were just detected.
            return unsafe { avx2::silu(xs) };
        }
    }
    for x in xs {
        *x /= 1.0 + (-*x).exp();
    }
}

#[cfg(target_arch = "x86_64")]
mod avx2 {
    use std::arch::x86_64::*;

    /// Below this `e^x` is under f32's smallest normal number: the result is flushed to zero.
    const LOWEST: f32 = -87.33;
    const LOG2_E: f32 = std::f32::consts::LOG2_E;
    /// ln 2 = LN2_HI + LN2_LO, LN2_HI with few enough bits that `n · LN2_HI` is exact.
    const LN2_HI: f32 = 0.693_359_4;
    const LN2_LO: f32 = -2.121_944_4e-4;
    /// Taylor coefficients 1/6! … 1/2! (Horner, highest first).
    const POLY: [f32; 5] = [1.0 / 720.0, 1.0 / 120.0, 1.0 / 24.0, 1.0 / 6.0, 1.0 / 2.0];

    #[target_feature(enable = "avx2,fma")]
    pub unsafe fn sum_exp(row: &[f32], shift: f32) -> f64 {
        let mut acc = [_mm256_setzero_pd(); 2];
        let chunks = row.chunks_exact(8);
        let tail: f64 = chunks
            .remainder()
            .iter()
            .map(|&x| (x - shift).exp() as f64)
            .sum();
        let shift = _mm256_set1_ps(shift);
        for chunk in chunks {
            let x = _mm256_sub_ps(_mm256_loadu_ps(chunk.as_ptr()), shift);
            let e = exp8(x);
            acc[0] = _mm256_add_pd(acc[0], _mm256_cvtps_pd(_mm256_castps256_ps128(e)));
            acc[1] = _mm256_add_pd(acc[1], _mm256_cvtps_pd(_mm256_extractf128_ps(e, 1)));
        }
        let mut lanes = [0f64; 4];
        _mm256_storeu_pd(lanes.as_mut_ptr(), _mm256_add_pd(acc[0], acc[1]));
        lanes.iter().sum::<f64>() + tail
    }

    #[target_feature(enable = "avx2,fma")]
    pub unsafe fn exp_shifted(row: &mut [f32], shift: f32) -> f32 {
        let mut acc = _mm256_setzero_ps();
        let mut chunks = row.chunks_exact_mut(8);
        let shift8 = _mm256_set1_ps(shift);
        for chunk in &mut chunks {
            let e = exp8(_mm256_sub_ps(_mm256_loadu_ps(chunk.as_ptr()), shift8));
            _mm256_storeu_ps(chunk.as_mut_ptr(), e);
            acc = _mm256_add_ps(acc, e);
        }
        let mut tail = 0f32;
        for x in chunks.into_remainder() {
            *x = (*x - shift).exp();
            tail += *x;
        }
        let mut lanes = [0f32; 8];
        _mm256_storeu_ps(lanes.as_mut_ptr(), acc);
        lanes.iter().sum::<f32>() + tail
    }

    /// Swish through `e^(−|x|) ≤ 1`, which cannot overflow: `σ(x) = 1 / (1 + e^(−x))` for
    /// `x ≥ 0` and `e^x / (1 + e^x)` below.
    #[target_feature(enable = "avx2,fma")]
    pub unsafe fn silu(xs: &mut [f32]) {
        let mut chunks = xs.chunks_exact_mut(8);
        let sign = _mm256_set1_ps(-0.0);
        let one = _mm256_set1_ps(1.0);
        for chunk in &mut chunks {
            let x = _mm256_loadu_ps(chunk.as_ptr());
            let e = exp8(_mm256_or_ps(x, sign));
            let positive = _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_GE_OQ);
            let numerator = _mm256_blendv_ps(e, one, positive);
            let sigmoid = _mm256_div_ps(numerator, _mm256_add_ps(one, e));
            _mm256_storeu_ps(chunk.as_mut_ptr(), _mm256_mul_ps(x, sigmoid));
        }
        for x in chunks.into_remainder() {
            *x /= 1.0 + (-*x).exp();
        }
    }

    /// `e^x` for `x ≤ 0` (NaN and −∞ give 0; so does anything below [`LOWEST`]).
    #[target_feature(enable = "avx2,fma")]
    unsafe fn exp8(x: __m256) -> __m256 {
        let keep = _mm256_cmp_ps(x, _mm256_set1_ps(LOWEST), _CMP_GE_OQ);
        let x = _mm256_max_ps(x, _mm256_set1_ps(LOWEST));
        let n = _mm256_round_ps(
            _mm256_mul_ps(x, _mm256_set1_ps(LOG2_E)),
            _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC,
        );
        let r = _mm256_fnmadd_ps(n, _mm256_set1_ps(LN2_HI), x);
        let r = _mm256_fnmadd_ps(n, _mm256_set1_ps(LN2_LO), r);
        let mut p = _mm256_set1_ps(POLY[0]);
        for c in &POLY[1..] {
            p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(*c));
        }
        // e^r ≈ 1 + r + r²·p(r)
        let r2 = _mm256_mul_ps(r, r);
        let er = _mm256_add_ps(_mm256_fmadd_ps(r2, p, r), _mm256_set1_ps(1.0));
        // 2^n through the exponent bits: n ≥ −126 here, so the result stays normal.
        let pow2 = _mm256_castsi256_ps(_mm256_slli_epi32(
            _mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)),
            23,
        ));
        _mm256_and_ps(_mm256_mul_ps(er, pow2), keep)
    }

    #[cfg(test)]
    pub fn exp_each(x: &[f32]) -> Vec<f32> {
        x.chunks(8)
            .flat_map(|c| {
                let mut lanes = [0f32; 8];
                lanes[..c.len()].copy_from_slice(c);
                let mut out = [0f32; 8];
                // SAFETY: only called after the features are detected.
                unsafe {
                    _mm256_storeu_ps(out.as_mut_ptr(), exp8(_mm256_loadu_ps(lanes.as_ptr())))
                };
                out.into_iter().take(c.len())
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn max_over_lanes_and_tail() {
        for len in [0, 1, 8, 13, 64, 67] {
            let row = crate::kernels::test_util::pseudo_random(len, len as u64);
            let want = row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
            assert_eq!(max(&row), want, "len {len}");
        }
        assert_eq!(max(&[f32::NAN, -2.0, f32::NAN, -1.0]), -1.0);
        assert_eq!(max(&[f32::NAN; 9]), f32::NEG_INFINITY);
    }

    #[test]
    fn sums_like_the_scalar_exponential() {
        let row: Vec<f32> = (0..54_803)
            .map(|i| ((i * 7919) % 2003) as f32 * 0.013 - 20.0)
            .collect();
        let max = row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let scalar: f64 = row.iter().map(|&x| (x - max).exp() as f64).sum();
        let fast = sum_exp(&row, max);
        assert!((fast - scalar).abs() <= 1e-6 * scalar, "{fast} vs {scalar}");
    }

    #[test]
    fn shifted_exponentials_and_their_sum() {
        let row: Vec<f32> = (0..43)
            .map(|i| ((i * 37) % 23) as f32 * 0.7 - 9.0)
            .collect();
        let max = row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let mut got = row.clone();
        let sum = exp_shifted(&mut got, max);
        let want: Vec<f32> = row.iter().map(|&x| (x - max).exp()).collect();
        for (g, w) in got.iter().zip(&want) {
            assert!((g - w).abs() <= 4.0 * f32::EPSILON * w, "{g} vs {w}");
        }
        let want_sum: f32 = want.iter().sum();
        assert!(
            (sum - want_sum).abs() <= 1e-5 * want_sum,
            "{sum} vs {want_sum}"
        );
    }

    #[test]
    fn swish_matches_its_definition_everywhere() {
        // Both signs, the tail past eight, and magnitudes where e^x or e^(−x) would overflow.
        let mut xs: Vec<f32> = (0..1003).map(|i| (i as f32 - 501.0) * 0.037).collect();
        xs.extend([-200.0, -90.0, 0.0, -0.0, 90.0, 200.0, 1e-30, -1e-30]);
        let mut got = xs.clone();
        silu(&mut got);
        for (x, g) in xs.iter().zip(got) {
            let want = (*x as f64 / (1.0 + (-*x as f64).exp())) as f32;
            // Below ~1e-36 the f32 formula itself underflows to zero.
            let tol = 4.0 * f32::EPSILON * want.abs() + 1e-35;
            assert!((g - want).abs() <= tol, "silu({x}) = {g}, want {want}");
        }
    }

    #[cfg(target_arch = "x86_64")]
    #[test]
    fn each_exponential_within_a_few_ulp() {
        if !(std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma")) {
            return;
        }
        let xs: Vec<f32> = (0..200_000).map(|i| -(i as f32) * 4.3e-4).collect();
        let mut worst = 0;
        for (x, got) in xs.iter().zip(avx2::exp_each(&xs)) {
            let want = x.exp();
            let ulp = (want.to_bits() as i64 - got.to_bits() as i64).abs();
            assert!(ulp <= 4, "e^{x}: {got} vs {want}");
            worst = worst.max(ulp);
        }
        println!("largest error: {worst} ulp");
        let edges = [f32::NEG_INFINITY, f32::NAN, -90.0, 0.0];
        assert_eq!(avx2::exp_each(&edges), vec![0.0, 0.0, 0.0, 1.0]);
    }
}
