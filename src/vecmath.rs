//! Sums of exponentials over long rows, for beam search's log-softmax.
//!
//! Every beam step normalises rows × 54796 logits; with the C library's scalar `expf` the
//! log-softmax was 7.5% of a beam-search run. On x86-64 with AVX2 and FMA, eight exponentials are
//! computed at once: `e^x = 2^n · e^r` with `n = round(x / ln 2)`, `r = x − n·ln 2` (ln 2 split in
//! two parts so that `r` stays exact) and a degree-7 polynomial for `e^r` on `|r| ≤ ln 2 / 2`, within
//! 3 ulp of `expf` on the tested range (a relative error of a few 10⁻⁷, far below what the
//! logits themselves carry). The sum is kept in f64, as the scalar path does.

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
    fn sums_like_the_scalar_exponential() {
        let row: Vec<f32> = (0..54_803)
            .map(|i| ((i * 7919) % 2003) as f32 * 0.013 - 20.0)
            .collect();
        let max = row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let scalar: f64 = row.iter().map(|&x| (x - max).exp() as f64).sum();
        let fast = sum_exp(&row, max);
        assert!((fast - scalar).abs() <= 1e-6 * scalar, "{fast} vs {scalar}");
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
