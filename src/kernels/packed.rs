//! f32 linear layers on the CPU with weights packed once at load.
//!
//! A decoding step multiplies a few dozen rows by weight matrices (`16–64 × 512 × 512` in the
//! layers, `× 54796` in the output projection). candle's matmul (the gemm crate) packs its operands
//! again at every call and returns `(outputs, rows)` when the weight goes first, which then needs a
//! transpose. Here the weights are laid out once, at load, the way the micro-kernel reads them:
//! panels of [`NR`] output columns stored `k`-major, so a panel streams through the cache in order;
//! the result comes out row-major with the bias added. The kernel keeps an `MR × NR` tile of sums in
//! registers and reads each activation once per two vector FMAs. Measured on 2 cores (AVX2), against
//! candle's matmul: 16 × 512 × 512 about 1.7× as fast, the 16-row output projection about 1.1×, 64
//! rows and the encoder's long batches on par.
//!
//! The table can also be read back a row at a time ([`PackedLinear::row_into`]), so that the tied
//! embedding table does not have to be kept twice.

use std::mem::MaybeUninit;

use rayon::prelude::*;

use crate::kernels::buffers::{zeroed_on_huge_pages, OutPtr};

/// Output columns per panel: two AVX registers.
pub const NR: usize = 16;
/// Activation rows per micro-kernel call: with [`NR`], 12 accumulators, two panel registers and
/// one broadcast fit the 16 AVX registers without spilling.
const MR: usize = 6;
/// Inner-dimension block: a `KC × NR` slice of a panel (16 KiB) stays in L1 while every row block
/// passes over it.
const KC: usize = 256;
/// Activation rows per task, a multiple of [`MR`]: a `MC × KC` block (120 KiB) stays in L2.
const MC: usize = 120;
/// Activations packed in parallel from this many floats (a decoding step's few rows are less work
/// than handing them to the other threads).
const PARALLEL_PACK: usize = 1 << 16;

/// Eight floats aligned to 32 bytes, so that the kernel's vector loads never straddle lines.
#[derive(Clone, Copy, Default)]
#[repr(C, align(32))]
struct Lane([f32; 8]);

/// `y = x Wᵀ + b` with `W` of shape `(outputs, inputs)`, packed.
pub struct PackedLinear {
    outputs: usize,
    inputs: usize,
    /// `ceil(outputs / NR)` panels of `inputs × NR` floats; column `j` of panel `p` is output
    /// `p·NR + j`, zero past `outputs`.
    panels: Vec<Lane>,
    /// Per output, zeros without a bias and past `outputs`: every panel starts from its slice.
    bias: Vec<f32>,
}

impl PackedLinear {
    /// Packs `weights`, row-major `(outputs, inputs)`.
    pub fn new(weights: &[f32], outputs: usize, inputs: usize, bias: Option<Vec<f32>>) -> Self {
        assert_eq!(weights.len(), outputs * inputs, "weight shape");
        // The model's configuration is checked for positive sizes before any layer is built.
        assert!(inputs > 0, "a linear layer needs inputs");
        let panel_lanes = inputs * NR / 8;
        let mut panels: Vec<Lane> = zeroed_on_huge_pages(outputs.div_ceil(NR) * panel_lanes);
        panels
            .par_chunks_mut(panel_lanes)
            .enumerate()
            .for_each(|(p, panel)| {
                let panel: &mut [f32] = lanes_as_floats_mut(panel);
                for j in 0..NR.min(outputs - p * NR) {
                    let row = &weights[(p * NR + j) * inputs..][..inputs];
                    for (k, &w) in row.iter().enumerate() {
                        panel[k * NR + j] = w;
                    }
                }
            });
        let mut bias = bias.unwrap_or_default();
        bias.resize(outputs.div_ceil(NR) * NR, 0.0);
        Self {
            outputs,
            inputs,
            panels,
            bias,
        }
    }

    pub fn outputs(&self) -> usize {
        self.outputs
    }

    pub fn inputs(&self) -> usize {
        self.inputs
    }

    /// Appends row `j` of `W` (as it was before packing) to `out`.
    pub fn row_into(&self, j: usize, out: &mut Vec<f32>) {
        let panel = self.panel(j / NR);
        out.extend((0..self.inputs).map(|k| panel[k * NR + j % NR]));
    }

    fn panel(&self, p: usize) -> &[f32] {
        let lanes = self.inputs * NR / 8;
        lanes_as_floats(&self.panels[p * lanes..(p + 1) * lanes])
    }

    /// `x` is row-major `(rows, inputs)`; returns row-major `(rows, outputs)`.
    pub fn forward(&self, x: &[f32]) -> Vec<f32> {
        let rows = self.rows_of(x);
        let n = self.outputs;
        if rows == 0 || n == 0 {
            // The tiling below assumes a non-empty result.
            return Vec::new();
        }
        let a = pack_rows(x, self.inputs);
        let len = rows * n;
        // Every element is written below before the length is set: no zero-fill of a buffer that
        // is 14 MB for a beam step's logits.
        let mut y: Vec<f32> = Vec::with_capacity(len);
        let out = OutPtr(y.as_mut_ptr());
        let split = Split::new(rows, n);
        let kernel = kernel_for_cpu();
        (0..split.tasks()).into_par_iter().for_each(|task| {
            let (r0, r1, panels) = split.task(task);
            // The last panel's columns past `outputs` are summed here, then the rest copied out.
            let mut partial = [0f32; MC * NR];
            for p in panels {
                let cols = NR.min(n - p * NR);
                // SAFETY: tasks own disjoint (row block, panel) tiles of y; the tile's rows of NR
                // columns lie inside y (full panel) or `partial`.
                unsafe {
                    if cols == NR {
                        self.panel_rows(&a, p, (r0, r1), kernel, out.0.add(r0 * n + p * NR), n);
                    } else {
                        self.panel_rows(&a, p, (r0, r1), kernel, partial.as_mut_ptr(), NR);
                        for r in r0..r1 {
                            for j in 0..cols {
                                out.write(r * n + p * NR + j, partial[(r - r0) * NR + j]);
                            }
                        }
                    }
                }
            }
        });
        // SAFETY: the tasks above wrote all rows × outputs elements.
        unsafe { y.set_len(len) };
        y
    }

    /// [`PackedLinear::forward`] for a caller that reads each output row once and keeps only a
    /// summary of it (a search's best tokens): each panel's outputs go to a tile that stays in L1
    /// and are handed to `fold(state, first output, values)` row by row, and the `(rows, outputs)`
    /// matrix is never written. Writing it cost the 64-row output projection about 15% of its time
    /// (14 MB a step, every line read for ownership first). The work is split by columns too, so
    /// each row gets one state per column range, in column order: `result[row]`.
    pub fn forward_fold<S: Send>(
        &self,
        x: &[f32],
        init: impl Fn() -> S + Sync,
        fold: impl Fn(&mut S, usize, &[f32]) + Sync,
    ) -> Vec<Vec<S>> {
        let rows = self.rows_of(x);
        let n = self.outputs;
        if rows == 0 || n == 0 {
            return (0..rows).map(|_| Vec::new()).collect();
        }
        let a = pack_rows(x, self.inputs);
        let split = Split::new(rows, n);
        let kernel = kernel_for_cpu();
        let parts: Vec<(usize, Vec<S>)> = (0..split.tasks())
            .into_par_iter()
            .map(|task| {
                let (r0, r1, panels) = split.task(task);
                let mut states: Vec<S> = (r0..r1).map(|_| init()).collect();
                let mut tile = [0f32; MC * NR];
                for p in panels {
                    // SAFETY: `tile` holds MC ≥ r1 − r0 rows of NR floats, and is this task's.
                    unsafe { self.panel_rows(&a, p, (r0, r1), kernel, tile.as_mut_ptr(), NR) };
                    let cols = NR.min(n - p * NR);
                    for (state, values) in states.iter_mut().zip(tile.chunks_exact(NR)) {
                        fold(state, p * NR, &values[..cols]);
                    }
                }
                (r0, states)
            })
            .collect();
        // Tasks come back in order: by row block, then by column range.
        let mut out: Vec<Vec<S>> = (0..rows).map(|_| Vec::new()).collect();
        for (r0, states) in parts {
            for (row, state) in out[r0..].iter_mut().zip(states) {
                row.push(state);
            }
        }
        out
    }

    fn rows_of(&self, x: &[f32]) -> usize {
        assert_eq!(x.len() % self.inputs.max(1), 0, "input width");
        x.len() / self.inputs.max(1)
    }

    /// Rows `r0..r1` of panel `p`'s outputs into the tile at `c` (row stride `ldc`), the bias
    /// included, from the packed activations `a`.
    ///
    /// # Safety
    /// `c` must be valid for `r1 − r0` rows of `NR` floats at stride `ldc`, written by no one
    /// else meanwhile.
    unsafe fn panel_rows(
        &self,
        a: &[f32],
        p: usize,
        (r0, r1): (usize, usize),
        kernel: Kernel,
        c: *mut f32,
        ldc: usize,
    ) {
        let k = self.inputs;
        let panel = self.panel(p);
        let start: &[f32; NR] = self.bias[p * NR..][..NR].try_into().expect("NR floats");
        let passes = (r1 - r0).div_ceil(MR);
        for k0 in (0..k).step_by(KC) {
            let kc = KC.min(k - k0);
            let b = &panel[k0 * NR..(k0 + kc) * NR];
            // The block after this one in memory: this panel's next k block, or the next panel's
            // first.
            let next_lines = if k0 + kc < k {
                KC.min(k - k0 - kc)
            } else {
                KC.min(k)
            };
            let next = b.as_ptr().wrapping_add(kc * NR);
            for r in (r0..r1).step_by(MR) {
                let mr = MR.min(r1 - r);
                let a = &a[(r * k + k0 * MR)..][..kc * MR];
                let start = (k0 == 0).then_some(start);
                let pass = (r - r0) / MR;
                let (l0, l1) = (pass * next_lines / passes, (pass + 1) * next_lines / passes);
                let prefetch = Prefetch {
                    at: next.wrapping_add(l0 * NR),
                    lines: l1 - l0,
                    every: passes,
                };
                // SAFETY: the caller's contract covers the tile's rows.
                unsafe { kernel(a, b, mr, c.add((r - r0) * ldc), ldc, start, prefetch) };
            }
        }
    }
}

/// How a product is split into tasks: blocks of at most [`MC`] rows times ranges of panels,
/// enough for every thread, each with enough panels to pay for its scheduling.
struct Split {
    rows: usize,
    panels: usize,
    per_task: usize,
    chunks: usize,
}

impl Split {
    fn new(rows: usize, outputs: usize) -> Self {
        let panels = outputs.div_ceil(NR);
        let row_blocks = rows.div_ceil(MC);
        let per_task = (panels * row_blocks)
            .div_ceil(4 * rayon::current_num_threads())
            .clamp(1, panels);
        Self {
            rows,
            panels,
            per_task,
            chunks: panels.div_ceil(per_task),
        }
    }

    fn tasks(&self) -> usize {
        self.rows.div_ceil(MC) * self.chunks
    }

    /// Task `t`'s rows `r0..r1` and panels.
    fn task(&self, t: usize) -> (usize, usize, std::ops::Range<usize>) {
        let (block, chunk) = (t / self.chunks, t % self.chunks);
        let p0 = chunk * self.per_task;
        (
            block * MC,
            ((block + 1) * MC).min(self.rows),
            p0..(p0 + self.per_task).min(self.panels),
        )
    }
}

/// Row-major `(rows, k)` → blocks of [`MR`] rows stored `k`-major (`block[k·MR + i]`), zero rows
/// padding the last block, so that the kernel's broadcasts read one stream. Blocks are packed in
/// parallel once the input is large: an encoder batch's activations are megabytes, and packing them
/// on one thread left the other idle for a tenth of the layer.
fn pack_rows(x: &[f32], k: usize) -> Vec<f32> {
    let rows = x.len() / k.max(1);
    let len = rows.div_ceil(MR) * MR * k;
    let mut a: Vec<f32> = Vec::with_capacity(len);
    let pack = |(block, dst): (&[f32], &mut [MaybeUninit<f32>])| {
        let mr = block.len() / k;
        for (p, column) in dst.chunks_exact_mut(MR).enumerate() {
            for (i, out) in column.iter_mut().enumerate() {
                out.write(if i < mr { block[i * k + p] } else { 0.0 });
            }
        }
    };
    let spare = &mut a.spare_capacity_mut()[..len];
    if len >= PARALLEL_PACK {
        (x.par_chunks(MR * k).zip(spare.par_chunks_mut(MR * k))).for_each(pack);
    } else {
        x.chunks(MR * k)
            .zip(spare.chunks_mut(MR * k))
            .for_each(pack);
    }
    // SAFETY: every block of MR·k values, padding rows included, was written above.
    unsafe { a.set_len(len) };
    a
}

fn lanes_as_floats_mut(lanes: &mut [Lane]) -> &mut [f32] {
    // SAFETY: Lane is repr(C) eight f32 with no padding (32 bytes).
    unsafe { std::slice::from_raw_parts_mut(lanes.as_mut_ptr() as *mut f32, lanes.len() * 8) }
}

fn lanes_as_floats(lanes: &[Lane]) -> &[f32] {
    // SAFETY: as above.
    unsafe { std::slice::from_raw_parts(lanes.as_ptr() as *const f32, lanes.len() * 8) }
}

/// Sums of `mr ≤ MR` activation rows (`a`, packed `k`-major by [`pack_rows`]) times a `kc × NR`
/// panel slice `b` (`kc = b.len() / NR`), into the `mr × NR` tile at `c` (row stride `ldc`):
/// written as `start` plus the sums when `start` is given, else added to what the tile holds.
///
/// # Safety
/// The tile must be valid for reads and writes and written by no one else meanwhile.
type Kernel = unsafe fn(&[f32], &[f32], usize, *mut f32, usize, Option<&[f32; NR]>, Prefetch);

/// Lines of the next weight block that one row pass asks for while it computes: the passes over
/// a block share its successor's lines, so that the requests are spread over all of them rather
/// than bunched in the first.
#[derive(Clone, Copy)]
struct Prefetch {
    /// First line (`NR` floats); may lie past the table, as prefetches never fault.
    at: *const f32,
    lines: usize,
    /// One request per this many `k` steps.
    every: usize,
}

fn kernel_for_cpu() -> Kernel {
    #[cfg(target_arch = "x86_64")]
    {
        if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
            return avx2::tile;
        }
    }
    portable_tile
}

/// # Safety
/// As for [`Kernel`].
unsafe fn portable_tile(
    a: &[f32],
    b: &[f32],
    mr: usize,
    c: *mut f32,
    ldc: usize,
    start: Option<&[f32; NR]>,
    _: Prefetch,
) {
    let kc = b.len() / NR;
    for i in 0..mr {
        let mut sums = [0f32; NR];
        for (p, bk) in b.chunks(NR).take(kc).enumerate() {
            let av = a[p * MR + i];
            for (s, &w) in sums.iter_mut().zip(bk) {
                *s = av.mul_add(w, *s);
            }
        }
        let row = std::slice::from_raw_parts_mut(c.add(i * ldc), NR);
        for (j, (out, s)) in row.iter_mut().zip(sums).enumerate() {
            *out = start.map_or(*out, |start| start[j]) + s;
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod avx2 {
    use super::{Prefetch, MR, NR};
    use std::arch::x86_64::*;

    /// # Safety
    /// As for [`super::Kernel`].
    pub unsafe fn tile(
        a: &[f32],
        b: &[f32],
        mr: usize,
        c: *mut f32,
        ldc: usize,
        start: Option<&[f32; NR]>,
        prefetch: Prefetch,
    ) {
        let kc = b.len() / NR;
        assert!(a.len() >= kc * MR);
        // SAFETY: only chosen after AVX2 and FMA were detected; the operands' bounds are checked
        // above, the tile's by the caller.
        unsafe {
            match mr {
                6 => micro::<6>(a.as_ptr(), b.as_ptr(), kc, c, ldc, start, prefetch),
                5 => micro::<5>(a.as_ptr(), b.as_ptr(), kc, c, ldc, start, prefetch),
                4 => micro::<4>(a.as_ptr(), b.as_ptr(), kc, c, ldc, start, prefetch),
                3 => micro::<3>(a.as_ptr(), b.as_ptr(), kc, c, ldc, start, prefetch),
                2 => micro::<2>(a.as_ptr(), b.as_ptr(), kc, c, ldc, start, prefetch),
                _ => micro::<1>(a.as_ptr(), b.as_ptr(), kc, c, ldc, start, prefetch),
            }
        }
    }

    #[target_feature(enable = "avx2,fma")]
    unsafe fn micro<const M: usize>(
        a: *const f32,
        b: *const f32,
        kc: usize,
        c: *mut f32,
        ldc: usize,
        start: Option<&[f32; NR]>,
        prefetch: Prefetch,
    ) {
        let mut acc = [[_mm256_setzero_ps(); 2]; M];
        let (mut line, mut left, mut wait) = (prefetch.at, prefetch.lines, 0);
        for p in 0..kc {
            let bp = b.add(p * NR);
            let b0 = _mm256_load_ps(bp);
            let b1 = _mm256_load_ps(bp.add(8));
            if wait == 0 {
                if left > 0 {
                    _mm_prefetch::<_MM_HINT_T0>(line as *const i8);
                    line = line.wrapping_add(NR);
                    left -= 1;
                }
                wait = prefetch.every;
            }
            wait -= 1;
            for (i, ci) in acc.iter_mut().enumerate() {
                let av = _mm256_broadcast_ss(&*a.add(p * MR + i));
                ci[0] = _mm256_fmadd_ps(av, b0, ci[0]);
                ci[1] = _mm256_fmadd_ps(av, b1, ci[1]);
            }
        }
        for (i, sums) in acc.iter().enumerate() {
            for (half, sum) in sums.iter().enumerate() {
                let at = c.add(i * ldc + half * 8);
                let base = match start {
                    Some(start) => _mm256_loadu_ps(start.as_ptr().add(half * 8)),
                    None => _mm256_loadu_ps(at),
                };
                _mm256_storeu_ps(at, _mm256_add_ps(base, *sum));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::test_util::pseudo_random;

    fn reference(x: &[f32], w: &[f32], k: usize, bias: Option<&[f32]>) -> Vec<f32> {
        let mut y = Vec::new();
        for xr in x.chunks(k) {
            for (j, wr) in w.chunks(k).enumerate() {
                let dot: f64 = xr.iter().zip(wr).map(|(&a, &b)| a as f64 * b as f64).sum();
                y.push(dot as f32 + bias.map_or(0.0, |b| b[j]));
            }
        }
        y
    }

    #[test]
    fn forward_matches_plain_products() {
        // Row counts around MR and MC, outputs around NR, inputs around KC: every edge of the
        // tiling; the last input is large enough to be packed in parallel.
        for (rows, n, k) in [
            (1, 1, 1),
            (5, 17, 300),
            (6, 16, 256),
            (13, 40, 513),
            (121, 33, 70),
            (131, 20, 600),
        ] {
            let x = pseudo_random(rows * k, 1);
            let w = pseudo_random(n * k, 2);
            let bias: Vec<f32> = (0..n).map(|j| j as f32 * 0.25).collect();
            for bias in [None, Some(bias)] {
                let y = PackedLinear::new(&w, n, k, bias.clone()).forward(&x);
                let want = reference(&x, &w, k, bias.as_deref());
                assert_eq!(y.len(), want.len());
                for (i, (a, b)) in y.iter().zip(&want).enumerate() {
                    assert!(
                        (a - b).abs() <= 1e-4 * (k as f32).sqrt(),
                        "{rows}x{n}x{k} [{i}]: {a} vs {b}"
                    );
                }
            }
        }
    }

    #[test]
    fn folded_rows_equal_the_written_outputs() {
        // Several row blocks and column ranges, a partial last panel, two k blocks.
        for (rows, n, k) in [(1, 5, 3), (7, 1000, 300), (130, 333, 513)] {
            let x = pseudo_random(rows * k, 3);
            let w = pseudo_random(n * k, 4);
            let bias: Vec<f32> = (0..n).map(|j| j as f32 * 0.5).collect();
            let lin = PackedLinear::new(&w, n, k, Some(bias));
            let y = lin.forward(&x);
            let parts = lin.forward_fold(&x, Vec::new, |seen: &mut Vec<(usize, f32)>, first, v| {
                seen.extend(v.iter().enumerate().map(|(j, &x)| (first + j, x)));
            });
            assert_eq!(parts.len(), rows);
            for (r, row) in parts.into_iter().enumerate() {
                let seen: Vec<(usize, f32)> = row.into_iter().flatten().collect();
                let want: Vec<(usize, f32)> = y[r * n..][..n].iter().copied().enumerate().collect();
                assert_eq!(seen, want, "{rows}x{n}x{k} row {r}");
            }
        }
    }

    #[test]
    fn empty_batches_and_layers_give_empty_outputs() {
        assert!(PackedLinear::new(&[1.0; 8], 2, 4, None)
            .forward(&[])
            .is_empty());
        assert!(PackedLinear::new(&[], 0, 4, None)
            .forward(&[1.0; 8])
            .is_empty());
    }

    #[test]
    fn cpu_kernel_equals_portable_kernel() {
        // Both sum the same fused products in the same order: equal to the bit, whether the tile
        // starts from the bias or adds to what it holds.
        let kc = 37;
        let a = pseudo_random(kc * MR, 3);
        let b = pseudo_random(kc * NR, 4);
        let lanes: Vec<Lane> = b.chunks(8).map(|c| Lane(c.try_into().unwrap())).collect();
        let start: [f32; NR] = pseudo_random(NR, 5).try_into().unwrap();
        let ldc = NR + 3;
        let no_prefetch = Prefetch {
            at: std::ptr::null(),
            lines: 0,
            every: 1,
        };
        for mr in 1..=MR {
            for start in [Some(&start), None] {
                let mut got = pseudo_random(MR * ldc, 6);
                let mut want = got.clone();
                // SAFETY: both tiles are MR rows of ldc floats.
                unsafe {
                    kernel_for_cpu()(
                        &a,
                        lanes_as_floats(&lanes),
                        mr,
                        got.as_mut_ptr(),
                        ldc,
                        start,
                        no_prefetch,
                    );
                    portable_tile(&a, &b, mr, want.as_mut_ptr(), ldc, start, no_prefetch);
                }
                assert_eq!(got, want, "mr = {mr}");
            }
        }
    }

    #[test]
    fn rows_read_back_as_stored() {
        let (n, k) = (21, 9);
        let w = pseudo_random(n * k, 5);
        let lin = PackedLinear::new(&w, n, k, None);
        for j in [0, 15, 16, 20] {
            let mut row = Vec::new();
            lin.row_into(j, &mut row);
            assert_eq!(row, &w[j * k..(j + 1) * k]);
        }
    }
}
