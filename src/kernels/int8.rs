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

use crate::kernels::buffers::{zeroed_on_huge_pages, OutPtr};

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

/// Quantizes the rows of `x` into `values`, zeroed and `rows × stride` long.
fn quantize_rows<T: Copy + Default + Send>(
    x: &[f32],
    cols: usize,
    stride: usize,
    levels: f32,
    store: impl Fn(f32) -> T + Sync,
    mut values: Vec<T>,
) -> Quantized<T> {
    let rows = x.len() / cols.max(1);
    assert_eq!(values.len(), rows * stride, "quantized buffer size");
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
        let q = quantize_rows(
            weights,
            inputs,
            stride,
            WEIGHT_LEVELS,
            |v| v as i8,
            zeroed_on_huge_pages(outputs * stride),
        );
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
        self.forward_with(kernel_for_cpu(), x)
    }

    fn forward_with(&self, kernel: Kernel, x: &[f32]) -> Vec<f32> {
        assert_eq!(x.len() % self.inputs, 0, "input width");
        let rows = x.len() / self.inputs;
        let xq = quantize_rows(
            x,
            self.inputs,
            self.stride,
            ACTIVATION_LEVELS,
            |v| (v as i32 + ACTIVATION_BIAS) as u8,
            vec![0; rows * self.stride],
        );
        let len = rows * self.outputs;
        // Every element is written below before the length is set: no zero-fill of a buffer that
        // can be megabytes (the output projection).
        let mut y: Vec<f32> = Vec::with_capacity(len);
        let out = OutPtr(y.as_mut_ptr());
        let zeros = [0f32; ROWS_PER_TASK];
        (0..self.outputs.div_ceil(ROWS_PER_TASK))
            .into_par_iter()
            .for_each(|task| {
                let first = task * ROWS_PER_TASK;
                let last = (first + ROWS_PER_TASK).min(self.outputs);
                let block = Block {
                    x: &xq.values,
                    x_scales: &xq.scales,
                    w: &self.weights[first * self.stride..last * self.stride],
                    w_scales: &self.scales[first..last],
                    offsets: &self.offsets[first..last],
                    bias: self
                        .bias
                        .as_ref()
                        .map_or(&zeros[..last - first], |b| &b[first..last]),
                    stride: self.stride,
                    // SAFETY: `first` < outputs, inside the (rows, outputs) allocation.
                    out: unsafe { out.offset(first) },
                    ldo: self.outputs,
                };
                // SAFETY: tasks own disjoint column ranges `first..last` of every row.
                unsafe { kernel(&block) };
            });
        // SAFETY: the tasks above wrote all rows × outputs elements.
        unsafe { y.set_len(len) };
        y
    }
}

/// One task's share of a forward pass: every activation row against a block of weight rows,
/// written to the matching columns of the output.
struct Block<'a> {
    /// Quantized activation rows, `stride` bytes each.
    x: &'a [u8],
    x_scales: &'a [f32],
    /// The block's weight rows, `stride` bytes each, and their per-row terms.
    w: &'a [i8],
    w_scales: &'a [f32],
    offsets: &'a [i32],
    bias: &'a [f32],
    stride: usize,
    /// Output element (row 0, first column of the block); rows are `ldo` apart.
    out: OutPtr,
    ldo: usize,
}

impl Block<'_> {
    fn rows(&self) -> usize {
        self.x.len() / self.stride
    }

    fn cols(&self) -> usize {
        self.w.len() / self.stride
    }

    /// The output for activation row `r` and weight row `c`, from their integer dot product.
    fn scale(&self, r: usize, c: usize, dot: i32) -> f32 {
        (dot + self.offsets[c]) as f32 * (self.x_scales[r] * self.w_scales[c]) + self.bias[c]
    }

    /// # Safety
    /// Element `(r, c)` must lie inside the output and be written by no one else.
    unsafe fn write(&self, r: usize, c: usize, value: f32) {
        self.out.write(r * self.ldo + c, value);
    }
}

/// Writes a [`Block`]'s outputs.
///
/// # Safety
/// The block's output elements must be written by no one else meanwhile.
type Kernel = unsafe fn(&Block);

fn kernel_for_cpu() -> Kernel {
    #[cfg(target_arch = "x86_64")]
    {
        if std::is_x86_feature_detected!("avx2") {
            return avx2::block;
        }
    }
    portable_block
}

/// # Safety
/// As for [`Kernel`].
unsafe fn portable_block(b: &Block) {
    for (r, xr) in b.x.chunks(b.stride).enumerate() {
        for (c, wr) in b.w.chunks(b.stride).enumerate() {
            let dot = xr.iter().zip(wr).map(|(&a, &w)| a as i32 * w as i32).sum();
            b.write(r, c, b.scale(r, c, dot));
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod avx2 {
    use super::Block;
    use std::arch::x86_64::*;

    /// Activation rows per micro-kernel call.
    const MR: usize = 4;
    /// Weight rows per micro-kernel call.
    const NR: usize = 2;

    /// # Safety
    /// As for [`super::Kernel`]; only chosen after `is_x86_feature_detected!("avx2")`.
    pub unsafe fn block(b: &Block) {
        block_avx2(b)
    }

    #[target_feature(enable = "avx2")]
    unsafe fn block_avx2(b: &Block) {
        let (rows, n, stride) = (b.rows(), b.cols(), b.stride);
        // Activation rows in blocks that stay in L1 while the task's weight rows pass over them.
        let block_rows = ((32 << 10) / stride / MR).max(1) * MR;
        for i0 in (0..rows).step_by(block_rows) {
            let i1 = (i0 + block_rows).min(rows);
            for j in (0..n).step_by(NR) {
                let nr = (n - j).min(NR);
                let ws = &b.w[j * stride..(j + nr) * stride];
                for i in (i0..i1).step_by(MR) {
                    let mr = (i1 - i).min(MR);
                    let xs = &b.x[i * stride..(i + mr) * stride];
                    if (mr, nr) == (MR, NR) {
                        full_tile(b, i, j, micro::<MR, NR>(xs, ws, stride));
                        continue;
                    }
                    for a in 0..mr {
                        for c in 0..nr {
                            let [[acc]] = micro::<1, 1>(
                                &xs[a * stride..(a + 1) * stride],
                                &ws[c * stride..(c + 1) * stride],
                                stride,
                            );
                            b.write(i + a, j + c, b.scale(i + a, j + c, hsum(acc)));
                        }
                    }
                }
            }
        }
    }

    /// Reduces a full tile's eight accumulators at once and writes its outputs, computed as
    /// [`Block::scale`] computes them (same operations, same order, so the same floats).
    #[target_feature(enable = "avx2")]
    #[inline]
    unsafe fn full_tile(b: &Block, i: usize, j: usize, acc: [[__m256i; NR]; MR]) {
        // After two rounds of pairwise sums each lane holds one (row, column) half-sum, ordered
        // (0,0) (0,1) (1,0) (1,1) (2,0) … in each 128-bit half; adding the halves completes them.
        let h: [__m256i; MR] = std::array::from_fn(|a| _mm256_hadd_epi32(acc[a][0], acc[a][1]));
        let g0 = _mm256_hadd_epi32(h[0], h[1]);
        let g1 = _mm256_hadd_epi32(h[2], h[3]);
        let dots = _mm256_add_epi32(
            _mm256_permute2x128_si256::<0x20>(g0, g1),
            _mm256_permute2x128_si256::<0x31>(g0, g1),
        );
        let per_col = |v: &[f32]| {
            _mm256_setr_ps(
                v[j],
                v[j + 1],
                v[j],
                v[j + 1],
                v[j],
                v[j + 1],
                v[j],
                v[j + 1],
            )
        };
        let offsets = &b.offsets[j..j + 2];
        let offsets = _mm256_setr_epi32(
            offsets[0], offsets[1], offsets[0], offsets[1], offsets[0], offsets[1], offsets[0],
            offsets[1],
        );
        let xs = &b.x_scales[i..i + MR];
        let x_scales = _mm256_setr_ps(xs[0], xs[0], xs[1], xs[1], xs[2], xs[2], xs[3], xs[3]);
        let scales = _mm256_mul_ps(x_scales, per_col(b.w_scales));
        let values = _mm256_add_ps(
            _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_add_epi32(dots, offsets)), scales),
            per_col(b.bias),
        );
        let mut out = [0f32; MR * NR];
        _mm256_storeu_ps(out.as_mut_ptr(), values);
        for (a, pair) in out.chunks(NR).enumerate() {
            for (c, &v) in pair.iter().enumerate() {
                b.write(i + a, j + c, v);
            }
        }
    }

    /// `M` activation rows against `N` weight rows, each `stride` bytes (a multiple of 32): per
    /// pair, eight partial sums of the dot product.
    #[target_feature(enable = "avx2")]
    #[inline]
    unsafe fn micro<const M: usize, const N: usize>(
        x: &[u8],
        w: &[i8],
        stride: usize,
    ) -> [[__m256i; N]; M] {
        let ones = _mm256_set1_epi16(1);
        let mut acc = [[_mm256_setzero_si256(); N]; M];
        let mut k = 0;
        while k < stride {
            let mut wv = [_mm256_setzero_si256(); N];
            for (c, v) in wv.iter_mut().enumerate() {
                let at = w.as_ptr().add(c * stride + k);
                *v = _mm256_loadu_si256(at as *const __m256i);
                // The next weight rows, for the first pass over them (they come from memory).
                _mm_prefetch::<_MM_HINT_T0>(at.wrapping_add(N * stride));
            }
            for (a, acc_row) in acc.iter_mut().enumerate() {
                let xv = _mm256_loadu_si256(x.as_ptr().add(a * stride + k) as *const __m256i);
                for (c, acc_ac) in acc_row.iter_mut().enumerate() {
                    let pairs = _mm256_maddubs_epi16(xv, wv[c]);
                    *acc_ac = _mm256_add_epi32(*acc_ac, _mm256_madd_epi16(pairs, ones));
                }
            }
            k += 32;
        }
        acc
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
    use crate::kernels::test_util::pseudo_random;

    #[test]
    fn cpu_kernel_equals_portable_kernel() {
        // Odd sizes exercise the padding and the tiles' edges; extreme values check that no pair
        // of products saturates. The integers are exact and the scaling is the same operations,
        // so the outputs are the same floats.
        for (rows, n, k) in [
            (5, 7, 70),
            (4, 2, 32),
            (8, 4, 64),
            (1, 33, 512),
            (9, 5, 3),
            (0, 3, 8),
        ] {
            let mut x = pseudo_random(rows * k, 1);
            let mut w = pseudo_random(n * k, 2);
            if rows > 0 {
                x[..2].fill(-1.0);
                w[..2].fill(1.0);
            }
            let bias: Vec<f32> = (0..n).map(|i| i as f32 * 0.25 - 1.0).collect();
            for bias in [None, Some(bias)] {
                let lin = Int8Linear::new(&w, n, k, bias);
                let got = lin.forward_with(kernel_for_cpu(), &x);
                let want = lin.forward_with(portable_block, &x);
                assert_eq!(got.len(), rows * n);
                let bits = |v: &[f32]| v.iter().map(|f| f.to_bits()).collect::<Vec<_>>();
                assert_eq!(bits(&got), bits(&want), "{rows}x{n}x{k}");
            }
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
