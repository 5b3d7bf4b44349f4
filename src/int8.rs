//! int8 linear layers for `--quantize int8` on CPU.
//!
//! Weights are quantized once, symmetrically, with one scale per output row (7 bits); activations
//! are quantized per input row at every call (8 bits). The products are summed exactly in i32, so the
//! only error is the rounding of the two operands. candle's own quantized matmul (ggml's Q8_0) is
//! built for one-row decoding and was 4x slower than f32 on our batches; this kernel is written for
//! the shapes a translation batch has: a few to a few hundred rows against large weight matrices.
//!
//! On x86-64 with AVX2 the inner product uses `vpmaddubsw`, which multiplies unsigned by signed
//! bytes and sums pairs in i16: activations are stored plus 128 as unsigned bytes (the bias is
//! subtracted afterwards through the weights' row sums), and weights keep to ±63 so that a pair,
//! at most 2·255·63 < 2^15, never saturates. That is three instructions per 32 products; keeping
//! 8-bit weights would need a fourth (`vpsignb`), and on the fixture the 7-bit weights changed no more
//! translations (155 vs 156 of 300 equal to f32). Elsewhere a portable loop computes the same integers.

use rayon::prelude::*;

/// Inner dimension padding: one AVX2 register of bytes.
const LANE: usize = 32;
/// Weight rows handed to one parallel task: enough work per task, a block that stays in L1.
const ROWS_PER_TASK: usize = 32;

/// A quantized `y = x Wᵀ + b` with `W` of shape `(outputs, inputs)`.
pub struct Int8Linear {
    outputs: usize,
    inputs: usize,
    /// `inputs` rounded up to [`LANE`]; rows are zero-padded to it.
    stride: usize,
    weights: Vec<i8>,
    scales: Vec<f32>,
    /// Per output row: the correction for the activations' unsigned storage.
    offsets: Vec<i32>,
    bias: Option<Vec<f32>>,
}

/// Weights use 7 bits (±63) so that two products of a biased activation byte (≤ 255) and a weight
/// fit `vpmaddubsw`'s i16 sum without saturating: 2·255·63 < 2^15.
const WEIGHT_LEVELS: f32 = 63.0;
/// Activations use 8 bits (±127), stored plus [`ACTIVATION_BIAS`] as unsigned bytes.
const ACTIVATION_LEVELS: f32 = 127.0;
const ACTIVATION_BIAS: i32 = 128;

/// Rows of quantized values with one scale each, zero-padded to `stride`.
struct Quantized<T> {
    values: Vec<T>,
    scales: Vec<f32>,
}

fn quantize_rows<T: Copy + Default + Send>(
    x: &[f32],
    cols: usize,
    stride: usize,
    levels: f32,
    store: impl Fn(f32) -> T + Sync,
) -> Quantized<T> {
    let rows = x.len() / cols.max(1);
    let mut values = vec![T::default(); rows * stride];
    let mut scales = vec![0f32; rows];
    let quantize_row = |((src, dst), scale): ((&[f32], &mut [T]), &mut f32)| {
        let amax = src.iter().fold(0f32, |m, v| m.max(v.abs()));
        let inv = if amax > 0.0 && amax.is_finite() {
            *scale = amax / levels;
            levels / amax
        } else {
            0.0
        };
        for (d, s) in dst.iter_mut().zip(src) {
            // Round half away from zero, written out so that it vectorizes (f32::round is a
            // library call without SSE4.1).
            let v = s * inv;
            *d = store(v + 0.5f32.copysign(v));
        }
    };
    // Weight matrices are quantized at load, where parallel rows pay; activations are small.
    if rows * cols >= 1 << 20 {
        x.par_chunks(cols)
            .zip(values.par_chunks_mut(stride))
            .zip(scales.par_iter_mut())
            .for_each(quantize_row);
    } else {
        x.chunks(cols)
            .zip(values.chunks_mut(stride))
            .zip(scales.iter_mut())
            .for_each(quantize_row);
    }
    Quantized { values, scales }
}

impl Int8Linear {
    /// Quantizes `weights`, row-major `(outputs, inputs)`.
    pub fn new(weights: &[f32], outputs: usize, inputs: usize, bias: Option<Vec<f32>>) -> Self {
        assert_eq!(weights.len(), outputs * inputs, "weight shape");
        let stride = inputs.div_ceil(LANE) * LANE;
        let q = quantize_rows(weights, inputs, stride, WEIGHT_LEVELS, |v| v as i8);
        // The activations' bias adds ACTIVATION_BIAS · Σw to every dot product: removed again in
        // the epilogue.
        let offsets = q
            .values
            .chunks(stride)
            .map(|row| -ACTIVATION_BIAS * row.iter().map(|&w| w as i32).sum::<i32>())
            .collect();
        Self {
            outputs,
            inputs,
            stride,
            weights: q.values,
            scales: q.scales,
            offsets,
            bias,
        }
    }

    pub fn outputs(&self) -> usize {
        self.outputs
    }

    /// `x` is row-major `(rows, inputs)`; returns row-major `(rows, outputs)`.
    pub fn forward(&self, x: &[f32]) -> Vec<f32> {
        assert_eq!(x.len() % self.inputs, 0, "input width");
        let rows = x.len() / self.inputs;
        let xq = quantize_rows(x, self.inputs, self.stride, ACTIVATION_LEVELS, |v| {
            (v as i32 + ACTIVATION_BIAS) as u8
        });
        let len = rows * self.outputs;
        // Every element is written below before the length is set: no zero-fill of a buffer that
        // can be megabytes (the output projection).
        let mut y: Vec<f32> = Vec::with_capacity(len);
        let out = OutPtr(y.as_mut_ptr());
        let kernel = kernel_for_cpu();
        (0..self.outputs.div_ceil(ROWS_PER_TASK))
            .into_par_iter()
            .for_each(|task| {
                let first = task * ROWS_PER_TASK;
                let last = (first + ROWS_PER_TASK).min(self.outputs);
                let cols = last - first;
                let mut dots = vec![0i32; rows * cols];
                let block = &self.weights[first * self.stride..last * self.stride];
                kernel(&xq.values, block, self.stride, &mut dots);
                let scales = &self.scales[first..last];
                let offsets = &self.offsets[first..last];
                let zeros = [0f32; ROWS_PER_TASK];
                let bias = self
                    .bias
                    .as_ref()
                    .map_or(&zeros[..cols], |b| &b[first..last]);
                for (r, row_dots) in dots.chunks(cols).enumerate() {
                    let xs = xq.scales[r];
                    // SAFETY: tasks own disjoint column ranges, and the `cols` elements from
                    // (r, first) lie inside the (rows, outputs) allocation.
                    let dst = unsafe { out.slice(r * self.outputs + first, cols) };
                    // Slices of one length, so that this loop vectorizes.
                    for ((((d, &dot), &o), &w), &b) in dst
                        .iter_mut()
                        .zip(row_dots)
                        .zip(offsets)
                        .zip(scales)
                        .zip(bias)
                    {
                        d.write((dot + o) as f32 * (xs * w) + b);
                    }
                }
            });
        // SAFETY: the tasks above wrote all rows × outputs elements.
        unsafe { y.set_len(len) };
        y
    }
}

/// An output buffer shared by parallel tasks, each writing its own elements.
#[derive(Clone, Copy)]
pub(crate) struct OutPtr(pub(crate) *mut f32);
// SAFETY: tasks write disjoint elements, and `forward` waits for all of them before reading.
unsafe impl Send for OutPtr {}
unsafe impl Sync for OutPtr {}

impl OutPtr {
    /// `len` elements from `at`, possibly not yet initialized.
    ///
    /// # Safety
    /// They must lie inside the allocation and be written by no one else while the slice lives.
    pub(crate) unsafe fn slice<'a>(
        self,
        at: usize,
        len: usize,
    ) -> &'a mut [std::mem::MaybeUninit<f32>] {
        std::slice::from_raw_parts_mut(self.0.add(at) as *mut std::mem::MaybeUninit<f32>, len)
    }

    /// # Safety
    /// `at` must lie inside the allocation and be written by no one else.
    pub(crate) unsafe fn write(self, at: usize, value: f32) {
        self.0.add(at).write(value);
    }
}

/// Integer dot products of every activation row with every weight row, into `(rows, weight rows)`.
type Kernel = fn(&[u8], &[i8], usize, &mut [i32]);

fn kernel_for_cpu() -> Kernel {
    #[cfg(target_arch = "x86_64")]
    {
        if std::is_x86_feature_detected!("avx2") {
            return avx2::dots;
        }
    }
    portable_dots
}

fn portable_dots(x: &[u8], w: &[i8], stride: usize, out: &mut [i32]) {
    let n = w.len() / stride;
    for (xr, out_row) in x.chunks(stride).zip(out.chunks_mut(n)) {
        for (wr, o) in w.chunks(stride).zip(out_row) {
            *o = xr.iter().zip(wr).map(|(&a, &b)| a as i32 * b as i32).sum();
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod avx2 {
    use std::arch::x86_64::*;

    /// Activation rows per micro-kernel call.
    const MR: usize = 4;
    /// Weight rows per micro-kernel call.
    const NR: usize = 2;

    pub fn dots(x: &[u8], w: &[i8], stride: usize, out: &mut [i32]) {
        // SAFETY: only chosen after `is_x86_feature_detected!("avx2")`.
        unsafe { dots_avx2(x, w, stride, out) }
    }

    #[target_feature(enable = "avx2")]
    unsafe fn dots_avx2(x: &[u8], w: &[i8], stride: usize, out: &mut [i32]) {
        let rows = x.len() / stride;
        let n = w.len() / stride;
        // Activation rows in blocks that stay in L1 while the task's weight rows pass over them.
        let block_rows = ((32 << 10) / stride / MR).max(1) * MR;
        for i0 in (0..rows).step_by(block_rows) {
            let i1 = (i0 + block_rows).min(rows);
            let mut j = 0;
            while j < n {
                let nr = (n - j).min(NR);
                let ws = &w[j * stride..(j + nr) * stride];
                let mut i = i0;
                while i < i1 {
                    let mr = (i1 - i).min(MR);
                    let xs = &x[i * stride..(i + mr) * stride];
                    let mut block = [[0i32; NR]; MR];
                    match (mr, nr) {
                        (MR, NR) => block = micro::<MR, NR>(xs, ws, stride),
                        _ => {
                            for (a, block_row) in block.iter_mut().enumerate().take(mr) {
                                for (b, value) in block_row.iter_mut().enumerate().take(nr) {
                                    *value = micro::<1, 1>(
                                        &xs[a * stride..(a + 1) * stride],
                                        &ws[b * stride..(b + 1) * stride],
                                        stride,
                                    )[0][0];
                                }
                            }
                        }
                    }
                    for (a, block_row) in block.iter().enumerate().take(mr) {
                        out[(i + a) * n + j..(i + a) * n + j + nr]
                            .copy_from_slice(&block_row[..nr]);
                    }
                    i += mr;
                }
                j += nr;
            }
        }
    }

    /// `M` activation rows against `N` weight rows, each `stride` bytes (a multiple of 32).
    #[target_feature(enable = "avx2")]
    #[inline]
    unsafe fn micro<const M: usize, const N: usize>(
        x: &[u8],
        w: &[i8],
        stride: usize,
    ) -> [[i32; N]; M] {
        let ones = _mm256_set1_epi16(1);
        let mut acc = [[_mm256_setzero_si256(); N]; M];
        let mut k = 0;
        while k < stride {
            let mut wv = [_mm256_setzero_si256(); N];
            for (b, v) in wv.iter_mut().enumerate() {
                let at = w.as_ptr().add(b * stride + k);
                *v = _mm256_loadu_si256(at as *const __m256i);
                // The next weight rows, for the first pass over them (they come from memory).
                _mm_prefetch::<_MM_HINT_T0>(at.wrapping_add(N * stride));
            }
            for (a, acc_row) in acc.iter_mut().enumerate() {
                let xv = _mm256_loadu_si256(x.as_ptr().add(a * stride + k) as *const __m256i);
                for (b, acc_ab) in acc_row.iter_mut().enumerate() {
                    let pairs = _mm256_maddubs_epi16(xv, wv[b]);
                    *acc_ab = _mm256_add_epi32(*acc_ab, _mm256_madd_epi16(pairs, ones));
                }
            }
            k += 32;
        }
        let mut out = [[0i32; N]; M];
        for a in 0..M {
            for b in 0..N {
                out[a][b] = hsum(acc[a][b]);
            }
        }
        out
    }

    #[target_feature(enable = "avx2")]
    #[inline]
    unsafe fn hsum(v: __m256i) -> i32 {
        let s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
        let s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0b01_00_11_10));
        let s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0b10_11_00_01));
        _mm_cvtsi128_si32(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::pseudo_random;

    #[test]
    fn cpu_kernel_equals_portable_integers() {
        // Odd sizes exercise the padding and the micro-kernel's edges; extreme values check that
        // no pair of products saturates.
        for (rows, n, k) in [(5, 7, 70), (4, 2, 32), (1, 33, 512), (9, 5, 3)] {
            let mut x = pseudo_random(rows * k, 1);
            x[0] = -1.0;
            x[1] = -1.0;
            let mut w = pseudo_random(n * k, 2);
            w[0] = 1.0;
            w[1] = 1.0;
            let stride = k.div_ceil(LANE) * LANE;
            let xq = quantize_rows(&x, k, stride, ACTIVATION_LEVELS, |v| {
                (v as i32 + ACTIVATION_BIAS) as u8
            })
            .values;
            let wq = quantize_rows(&w, k, stride, WEIGHT_LEVELS, |v| v as i8).values;
            let (mut got, mut want) = (vec![0; rows * n], vec![0; rows * n]);
            kernel_for_cpu()(&xq, &wq, stride, &mut got);
            portable_dots(&xq, &wq, stride, &mut want);
            assert_eq!(got, want);
        }
    }

    #[test]
    fn forward_is_close_to_f32() {
        let (rows, n, k) = (6, 40, 96);
        let x = pseudo_random(rows * k, 3);
        let w = pseudo_random(n * k, 4);
        let bias: Vec<f32> = (0..n).map(|i| i as f32 * 0.1).collect();
        let y = Int8Linear::new(&w, n, k, Some(bias.clone())).forward(&x);
        let step = |v: &[f32], levels: f32| v.iter().fold(0f32, |m, a| m.max(a.abs())) / levels;
        for r in 0..rows {
            let xr = &x[r * k..(r + 1) * k];
            for c in 0..n {
                let wr = &w[c * k..(c + 1) * k];
                let exact: f32 = xr.iter().zip(wr).map(|(a, b)| a * b).sum::<f32>() + bias[c];
                // Each operand is off by at most half its row's step.
                let (sx, sw) = (step(xr, ACTIVATION_LEVELS), step(wr, WEIGHT_LEVELS));
                let bound: f32 = xr
                    .iter()
                    .zip(wr)
                    .map(|(a, b)| a.abs() * sw / 2.0 + b.abs() * sx / 2.0 + sx * sw / 4.0)
                    .sum();
                let got = y[r * n + c];
                assert!(
                    (got - exact).abs() <= bound * 1.001 + 1e-6,
                    "({r},{c}): {got} vs {exact}"
                );
                assert!(bound < 1.0, "the bound itself is meaningful: {bound}");
            }
        }
    }

    #[test]
    fn zero_rows_quantize_to_zero() {
        let y = Int8Linear::new(&[0.0; 64], 2, 32, None).forward(&[1.0; 32]);
        assert_eq!(y, vec![0.0, 0.0]);
    }
}
