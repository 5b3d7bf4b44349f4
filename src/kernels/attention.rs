//! Attention on the CPU in f32, on plain slices: one query per row (a decoding step) over keys
//! and values read where they lie, and encoder self-attention over sentences laid end to end
//! without padding. Both replace candle's batched matmuls, head transposes and copies, which cost
//! more than the arithmetic at these shapes.

/// Which row of the keys and values each query row reads.
#[derive(Clone, Copy)]
pub enum KvRows<'a> {
    /// Row `r` reads row `r`.
    Same,
    /// Row `r` reads row `map[r]` (beams sharing their sentence's encoder output).
    Mapped(&'a [u32]),
    /// Row `r` reads position `t` from row `table[r·stride + t]` (a decoder cache whose rows were reordered by index).
    History { table: &'a [u32], stride: usize },
}

impl KvRows<'_> {
    /// The row of `k`/`v` that query row `r` reads at position `t`.
    fn source(self, r: usize, t: usize) -> usize {
        match self {
            KvRows::Same => r,
            KvRows::Mapped(map) => map[r] as usize,
            KvRows::History { table, stride } => table[r * stride + t] as usize,
        }
    }

    /// Whether every row of `rows` queries reads a row below `sources` at positions below `len`.
    pub fn fits(self, rows: usize, sources: usize, len: usize) -> bool {
        match self {
            KvRows::Same => rows == sources,
            KvRows::Mapped(map) => map.len() == rows && map.iter().all(|&s| (s as usize) < sources),
            KvRows::History { table, stride } => {
                len <= stride
                    && table.len() >= rows * stride
                    && table
                        .chunks(stride)
                        .take(rows)
                        .all(|row| row[..len].iter().all(|&s| (s as usize) < sources))
            }
        }
    }
}

/// One sentence's self-attention, all heads: `rows` are its tokens' `[q | k | v]` rows (`3·d`
/// wide), `out` (zeroed) receives their `d` outputs each.
pub fn attend_sentence(rows: &[f32], d: usize, heads: usize, scale: f32, out: &mut [f32]) {
    #[cfg(target_arch = "x86_64")]
    {
        if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
            // SAFETY: the features were just detected.
            return unsafe { attend_sentence_avx2(rows, d, heads, scale, out) };
        }
    }
    attend_sentence_any(rows, d, heads, scale, out)
}

/// The same code compiled for AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn attend_sentence_avx2(rows: &[f32], d: usize, heads: usize, scale: f32, out: &mut [f32]) {
    attend_sentence_any(rows, d, heads, scale, out)
}

/// Per head, the keys are first copied transposed (`head_dim × n`), so that a query's scores are
/// sums of whole key rows scaled by one query element: vector work across the keys, where one dot
/// product and one horizontal sum per key spent most of their time waiting on additions.
#[inline(always)]
fn attend_sentence_any(rows: &[f32], d: usize, heads: usize, scale: f32, out: &mut [f32]) {
    let (n, hd) = (out.len() / d, d / heads);
    let mut keys = vec![0f32; hd * n];
    let mut scores = vec![0f32; n];
    let mut query = vec![0f32; hd];
    for h in 0..heads {
        for (t, row) in rows.chunks_exact(3 * d).enumerate() {
            for (j, &k) in row[d + h * hd..][..hd].iter().enumerate() {
                keys[j * n + t] = k;
            }
        }
        for (row, o) in rows.chunks_exact(3 * d).zip(out.chunks_exact_mut(d)) {
            for (q, &x) in query.iter_mut().zip(&row[h * hd..][..hd]) {
                *q = x * scale;
            }
            scores.fill(0.0);
            for (&q, column) in query.iter().zip(keys.chunks_exact(n)) {
                for (s, &k) in scores.iter_mut().zip(column) {
                    *s += q * k;
                }
            }
            let max = scores.iter().copied().fold(f32::NEG_INFINITY, f32::max);
            let sum = crate::kernels::vecmath::exp_shifted(&mut scores, max);
            let o = &mut o[h * hd..][..hd];
            for (s, value_row) in scores.iter().zip(rows.chunks_exact(3 * d)) {
                let p = s / sum;
                for (o, &v) in o.iter_mut().zip(&value_row[2 * d + h * hd..][..hd]) {
                    *o += p * v;
                }
            }
        }
    }
}

/// One-query attention's inputs: slices of the query, key, value and mask storage and their
/// layout. Query row `r` is `qs[r·d..]`; key `t` of head `h` for row `r` is at
/// `ks[src·k_stride[0] + h·k_stride[1] + t·k_stride[2]..]`, `src` the row [`KvRows`] names.
pub struct OneQuery<'a> {
    pub qs: &'a [f32],
    pub ks: &'a [f32],
    pub k_stride: &'a [usize],
    pub vs: &'a [f32],
    pub v_stride: &'a [usize],
    pub ms: Option<&'a [f32]>,
    pub kv_rows: KvRows<'a>,
    pub len: usize,
    pub hd: usize,
}

impl OneQuery<'_> {
    /// Row `r`'s attention output, all heads, into `out`.
    pub fn row(&self, r: usize, out: &mut [f32]) {
        #[cfg(target_arch = "x86_64")]
        {
            if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
                // SAFETY: the features were just detected.
                return unsafe { self.row_avx2(r, out) };
            }
        }
        self.row_any(r, out)
    }

    /// The same code compiled for AVX2: the dot products and weighted sums over 64-float heads
    /// run twice as wide as the baseline's SSE2.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn row_avx2(&self, r: usize, out: &mut [f32]) {
        self.row_any(r, out)
    }

    #[inline(always)]
    fn row_any(&self, r: usize, out: &mut [f32]) {
        let (len, hd, d) = (self.len, self.hd, out.len());
        let (ks, kst, vs, vst) = (self.ks, self.k_stride, self.vs, self.v_stride);
        let src: Vec<usize> = (0..len).map(|t| self.kv_rows.source(r, t)).collect();
        let mut scores = vec![0f32; len];
        for (h, o) in out.chunks_mut(hd).enumerate() {
            let query = &self.qs[r * d + h * hd..][..hd];
            let key = |t: usize| &ks[src[t] * kst[0] + h * kst[1] + t * kst[2]..][..hd];
            let value = |t: usize| &vs[src[t] * vst[0] + h * vst[1] + t * vst[2]..][..hd];
            for (t, s) in scores.iter_mut().enumerate() {
                *s = dot(query, key(t)) + self.ms.map_or(0.0, |m| m[src[t] * len + t]);
            }
            let max = scores.iter().copied().fold(f32::NEG_INFINITY, f32::max);
            let sum = crate::kernels::vecmath::exp_shifted(&mut scores, max);
            for (t, s) in scores.iter().enumerate() {
                let p = s / sum;
                for (o, x) in o.iter_mut().zip(value(t)) {
                    *o += p * x;
                }
            }
        }
    }
}

/// Dot product with eight running sums, so that it vectorizes.
#[inline(always)]
fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [0f32; 8];
    let (ca, cb) = (a.chunks_exact(8), b.chunks_exact(8));
    let tail: f32 = ca
        .remainder()
        .iter()
        .zip(cb.remainder())
        .map(|(x, y)| x * y)
        .sum();
    for (x, y) in ca.zip(cb) {
        for i in 0..8 {
            acc[i] += x[i] * y[i];
        }
    }
    acc.iter().sum::<f32>() + tail
}
