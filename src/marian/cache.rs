//! What a batch carries between decoding steps: the encoder side ([`Encoded`]: cross-attention
//! keys and values, padding mask), the self-attention cache the search owns ([`DecoderCache`]),
//! and a step's outputs ([`DecoderStates`], [`Logits`], and [`CrossAttention`] when asked for). Beam search reorders and drops rows of
//! both through `select`; on the CPU in f32 that renumbers rows instead of copying tensors.

use anyhow::Result;
use candle_core::{DType, Tensor};

use super::cpu::is_cpu_f32;
use crate::kernels::attention::KvRows;

/// The source side of a batch after encoding: what every decoding step attends to.
pub struct Encoded {
    /// Per decoder layer: cross-attention keys and values, `(sources, heads, src_len, head_dim)`.
    pub(super) cross: Vec<(Tensor, Tensor)>,
    /// Additive mask `(sources, 1, 1, src_len)`: 0 for tokens, a large negative value for padding;
    /// `None` when no row is padded.
    pub(super) mask: Option<Tensor>,
    /// For each decoder row, the source row it attends to, when rows are mapped rather than copied.
    pub(super) rows: Option<Vec<u32>>,
}

impl Encoded {
    pub(super) fn kv_rows(&self) -> KvRows<'_> {
        self.rows.as_deref().map_or(KvRows::Same, KvRows::Mapped)
    }

    /// Keeps the rows `rows` (in that order, repeats allowed): beam expansion and dropping finished
    /// rows. Where the one-query attention reads keys and values in place (CPU, f32), rows are only
    /// renumbered: beams of one sentence share its keys and values instead of each holding a copy.
    pub fn select(&self, rows: &[u32]) -> Result<Self> {
        let (k, _) = &self.cross[0];
        if is_cpu_f32(k) {
            let mapped = rows
                .iter()
                .map(|&r| self.rows.as_ref().map_or(r, |m| m[r as usize]))
                .collect();
            return Ok(Self {
                cross: self.cross.clone(),
                mask: self.mask.clone(),
                rows: Some(mapped),
            });
        }
        let index = Tensor::new(rows, k.device())?;
        let cross = self
            .cross
            .iter()
            .map(|(k, v)| Ok((k.index_select(&index, 0)?, v.index_select(&index, 0)?)))
            .collect::<Result<_>>()?;
        let mask = self
            .mask
            .as_ref()
            .map(|m| m.index_select(&index, 0))
            .transpose()?;
        Ok(Self {
            cross,
            mask,
            rows: None,
        })
    }
}

/// The last decoder layer's output of a decoding step, `(rows, d_model)`: what the output
/// projection turns into [`Logits`].
pub struct DecoderStates(pub(super) Tensor);

impl DecoderStates {
    /// The first row with a NaN or infinite value, if any. Summed in f32 on the device, so that
    /// only one number per row comes back: NaN and infinity carry through the sum.
    pub fn first_non_finite(&self) -> Result<Option<usize>> {
        let sums = self
            .0
            .to_dtype(DType::F32)?
            .abs()?
            .sum(candle_core::D::Minus1)?
            .to_vec1::<f32>()?;
        Ok(sums.iter().position(|s| !s.is_finite()))
    }
}

/// A decoding step's cross-attention probabilities in one decoder layer, averaged over its
/// heads: what each row's next token was computed from, over the batch's source positions.
pub struct CrossAttention {
    /// Row-major `(rows, width)`; padding positions have weight 0.
    pub values: Vec<f32>,
    /// The batch's padded source length, `</s>` included.
    pub width: usize,
}

impl CrossAttention {
    /// Row `r`'s probabilities over the padded source positions.
    pub fn row(&self, r: usize) -> &[f32] {
        &self.values[r * self.width..][..self.width]
    }
}

/// Next-token scores of a decoding step.
pub struct Logits {
    /// Row-major `(rows, vocab)`.
    pub values: Vec<f32>,
    pub vocab: usize,
}

/// Decoder self-attention keys and values of the tokens generated so far, owned by the search.
pub struct DecoderCache {
    /// Per decoder layer: `(batch, heads, capacity, head_dim)` buffers, filled up to `len`.
    pub(super) layers: Vec<(Tensor, Tensor)>,
    pub(super) len: usize,
    /// Where the one-query attention reads the cache in place (CPU, f32): for each row and
    /// position, the buffer row that holds that position's keys and values. Beam reorders and
    /// finished rows then rewrite this table of indices instead of copying the whole cache (which
    /// was 7% of a beam-search run): a row's step `t` is written once, at step `t`, into the buffer
    /// row its hypothesis has at that step, and is read from there afterwards.
    pub(super) history: Option<History>,
}

pub(super) struct History {
    /// `rows × stride` buffer-row indices; position `t` of row `r` at `r·stride + t`.
    pub(super) table: Vec<u32>,
    /// The buffers' capacity.
    pub(super) stride: usize,
    pub(super) rows: usize,
}

impl DecoderCache {
    /// Number of tokens already fed to the decoder (also the next token's position).
    pub fn len(&self) -> usize {
        self.len
    }

    /// True before the first step.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Keeps the rows `rows` (in that order, repeats allowed).
    pub fn select(&mut self, rows: &[u32]) -> Result<()> {
        if let Some(history) = &mut self.history {
            let buffers = self.layers.first().map_or(Ok(0), |(k, _)| k.dim(0))?;
            if rows.len() > buffers {
                // More rows than before (beam search fans out after its first step): every row
                // needs a buffer row of its own for the steps to come.
                for (k, v) in &mut self.layers {
                    *k = extend_with_zeros(k, 0, rows.len() - buffers)?;
                    *v = extend_with_zeros(v, 0, rows.len() - buffers)?;
                }
            }
            let (stride, len) = (history.stride, self.len);
            let mut table = vec![0u32; rows.len() * stride];
            for (dst, &src) in table.chunks_mut(stride).zip(rows) {
                anyhow::ensure!(
                    (src as usize) < history.rows,
                    "cache row {src} out of range"
                );
                dst[..len].copy_from_slice(&history.table[src as usize * stride..][..len]);
            }
            history.table = table;
            history.rows = rows.len();
            return Ok(());
        }
        let Some((k, _)) = self.layers.first() else {
            return Ok(());
        };
        let index = Tensor::new(rows, k.device())?;
        for (k, v) in &mut self.layers {
            *k = k.index_select(&index, 0)?;
            *v = v.index_select(&index, 0)?;
        }
        Ok(())
    }

    /// Writes this step's keys and values at position `len`, doubling the buffers when full, and
    /// returns the filled part.
    pub(super) fn append(
        &mut self,
        layer: usize,
        k: &Tensor,
        v: &Tensor,
    ) -> Result<(Tensor, Tensor)> {
        let len = self.len;
        let rows = k.dim(0)?;
        let (ck, cv) = &mut self.layers[layer];
        if len >= ck.dim(2)? {
            let extra = ck.dim(2)?.max(8);
            *ck = extend_with_zeros(ck, 2, extra)?;
            *cv = extend_with_zeros(cv, 2, extra)?;
        }
        // With a history, finished rows stay in the buffers: this step goes to the first rows.
        ck.narrow(0, 0, rows)?.slice_set(k, 2, len)?;
        cv.narrow(0, 0, rows)?.slice_set(v, 2, len)?;
        let capacity = ck.dim(2)?;
        if let Some(history) = &mut self.history {
            if history.stride < capacity {
                let mut table = vec![0u32; history.rows * capacity];
                for (dst, src) in table
                    .chunks_mut(capacity)
                    .zip(history.table.chunks(history.stride))
                {
                    dst[..len].copy_from_slice(&src[..len]);
                }
                history.table = table;
                history.stride = capacity;
            }
            if layer == 0 {
                for r in 0..rows {
                    history.table[r * capacity + len] = r as u32;
                }
            }
        }
        Ok((ck.narrow(2, 0, len + 1)?, cv.narrow(2, 0, len + 1)?))
    }
}

/// `t` with `extra` zero slices appended along `dim`: the cache grows this way in rows (beam
/// search fanning out) and in positions (outputs longer than planned).
pub(super) fn extend_with_zeros(t: &Tensor, dim: usize, extra: usize) -> Result<Tensor> {
    let mut shape = t.dims().to_vec();
    shape[dim] = extra;
    let zeros = Tensor::zeros(shape, t.dtype(), t.device())?;
    Ok(Tensor::cat(&[t, &zeros], dim)?)
}
