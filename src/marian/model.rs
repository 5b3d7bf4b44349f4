//! The Marian encoder-decoder (post-norm Transformer, opus-mt flavour) on candle-nn.
//!
//! Written for padded batches: an additive padding mask in encoder self-attention and in
//! cross-attention (on the CPU in f32 the encoder runs the sentences end to end without padding,
//! then lays the cross-attention keys/values out padded), cross-attention keys/values computed once
//! per batch, and a self-attention cache
//! that the caller owns, so that beam search can reorder rows and drop finished ones. Numerics follow
//! transformers' `modeling_marian.py`. This module knows nothing of tokens as text or of search.

use std::path::Path;

use anyhow::{Context, Result};
use candle_core::{DType, Device, IndexOp, Module, Tensor};
use candle_nn::{layer_norm, LayerNorm, LayerNormConfig, VarBuilder};
use rayon::prelude::*;

use crate::kernels::int8::Int8Linear;
use crate::kernels::packed::PackedLinear;
use crate::marian::config::MarianConfig;

/// Loaded Marian weights on one device.
pub struct Marian {
    /// The embedding table, unless it is read back from the packed output projection.
    embed: Option<Tensor>,
    /// The output projection: the tied embedding table, with `final_logits_bias`.
    lm_head: Proj,
    embed_scale: f64,
    positions: Tensor,
    encoder: Vec<EncoderLayer>,
    decoder: Vec<DecoderLayer>,
    activation: Activation,
    device: Device,
    dtype: DType,
    pad: u32,
    /// Width of a decoding step's logits.
    vocab: usize,
}

/// The source side of a batch after encoding: what every decoding step attends to.
pub struct Encoded {
    /// Per decoder layer: cross-attention keys and values, `(sources, heads, src_len, head_dim)`.
    cross: Vec<(Tensor, Tensor)>,
    /// Additive mask `(sources, 1, 1, src_len)`: 0 for tokens, a large negative value for padding;
    /// `None` when no row is padded.
    mask: Option<Tensor>,
    /// For each decoder row, the source row it attends to, when rows are mapped rather than copied.
    rows: Option<Vec<u32>>,
}

impl Encoded {
    fn kv_rows(&self) -> KvRows<'_> {
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
pub struct DecoderStates(Tensor);

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

/// Next-token scores of a decoding step.
pub struct Logits {
    /// Row-major `(rows, vocab)`.
    pub values: Vec<f32>,
    pub vocab: usize,
}

/// Decoder self-attention keys and values of the tokens generated so far, owned by the search.
pub struct DecoderCache {
    /// Per decoder layer: `(batch, heads, capacity, head_dim)` buffers, filled up to `len`.
    layers: Vec<(Tensor, Tensor)>,
    len: usize,
    /// Where the one-query attention reads the cache in place (CPU, f32): for each row and
    /// position, the buffer row that holds that position's keys and values. Beam reorders and
    /// finished rows then rewrite this table of indices instead of copying the whole cache (which
    /// was 7% of a beam-search run): a row's step `t` is written once, at step `t`, into the buffer
    /// row its hypothesis has at that step, and is read from there afterwards.
    history: Option<History>,
}

struct History {
    /// `rows × stride` buffer-row indices; position `t` of row `r` at `r·stride + t`.
    table: Vec<u32>,
    /// The buffers' capacity.
    stride: usize,
    rows: usize,
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
    fn append(&mut self, layer: usize, k: &Tensor, v: &Tensor) -> Result<(Tensor, Tensor)> {
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
fn extend_with_zeros(t: &Tensor, dim: usize, extra: usize) -> Result<Tensor> {
    let mut shape = t.dims().to_vec();
    shape[dim] = extra;
    let zeros = Tensor::zeros(shape, t.dtype(), t.device())?;
    Ok(Tensor::cat(&[t, &zeros], dim)?)
}

#[derive(Clone, Copy)]
enum Activation {
    Swish,
    Gelu,
    Relu,
}

impl Activation {
    fn apply(self, x: &Tensor) -> Result<Tensor> {
        Ok(match self {
            Activation::Swish if is_cpu_f32(x) => {
                let mut values = with_cpu_f32(x, |v| v.to_vec())?;
                if values.len() >= PARALLEL_ELEMENTS {
                    values
                        .par_chunks_mut(1 << 14)
                        .for_each(crate::kernels::vecmath::silu);
                } else {
                    crate::kernels::vecmath::silu(&mut values);
                }
                Tensor::from_vec(values, x.dims(), x.device())?
            }
            Activation::Swish => x.silu()?,
            Activation::Gelu => x.gelu_erf()?,
            Activation::Relu => x.relu()?,
        })
    }
}

/// Weight precision for the linear layers and the output projection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quantize {
    /// Weights as loaded (f32 on CPU).
    None,
    /// Signed 8-bit weights with one scale per output row, activations quantized per row on the
    /// fly (see [`crate::kernels::int8`]): a quarter of f32's weight memory and traffic. CPU only.
    Int8,
}

/// A linear layer `y = x W^T + b` with `W` stored `(out, in)` as in the checkpoint.
enum Proj {
    /// Through candle's matmul: GPU, or half precision on the CPU.
    Dense {
        w: Tensor,
        b: Option<Tensor>,
    },
    /// f32 on the CPU.
    Packed(PackedLinear),
    Int8(Int8Linear),
}

impl Proj {
    fn load(input: usize, output: usize, vb: VarBuilder, quant: Quantize) -> Result<Self> {
        let w = vb.get((output, input), "weight")?;
        let b = vb.get(output, "bias")?;
        Self::new(w, Some(b), quant)
    }

    /// Layers of the same input stacked into one, their outputs side by side in `vbs`' order.
    fn load_stacked(
        input: usize,
        output: usize,
        vbs: &[VarBuilder],
        quant: Quantize,
    ) -> Result<Self> {
        let mut weights = Vec::new();
        let mut biases = Vec::new();
        for vb in vbs {
            weights.push(vb.get((output, input), "weight")?);
            biases.push(vb.get(output, "bias")?);
        }
        Self::new(
            Tensor::cat(&weights, 0)?,
            Some(Tensor::cat(&biases, 0)?),
            quant,
        )
    }

    fn new(w: Tensor, b: Option<Tensor>, quant: Quantize) -> Result<Self> {
        Ok(match quant {
            Quantize::None if is_cpu_f32(&w) => {
                let (outputs, inputs) = w.dims2()?;
                let bias = b.map(|b| b.to_vec1::<f32>()).transpose()?;
                let lin = with_cpu_f32(&w, |values| {
                    PackedLinear::new(values, outputs, inputs, bias)
                })?;
                Proj::Packed(lin)
            }
            Quantize::None => Proj::Dense { w, b },
            Quantize::Int8 => {
                let (outputs, inputs) = w.dims2()?;
                let bias = b
                    .map(|b| b.to_dtype(DType::F32)?.to_vec1::<f32>())
                    .transpose()?;
                let lin = with_cpu_f32(&w.to_dtype(DType::F32)?, |values| {
                    Int8Linear::new(values, outputs, inputs, bias)
                })?;
                Proj::Int8(lin)
            }
        })
    }

    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let dims = x.dims().to_vec();
        let (rows, input) = (
            dims[..dims.len() - 1].iter().product::<usize>(),
            dims[dims.len() - 1],
        );
        let x2 = x.reshape((rows, input))?;
        let y = match self {
            Proj::Dense { w, b } => {
                let y = x2.matmul(&w.t()?)?;
                match b {
                    Some(b) => y.broadcast_add(b)?,
                    None => y,
                }
            }
            Proj::Packed(lin) => {
                let y = with_cpu_f32(&x2, |x| lin.forward(x))?;
                Tensor::from_vec(y, (rows, lin.outputs()), x2.device())?
            }
            Proj::Int8(lin) => {
                let y = with_cpu_f32(&x2.to_dtype(DType::F32)?, |x| lin.forward(x))?;
                let y = Tensor::from_vec(y, (rows, lin.outputs()), x2.device())?;
                y.to_dtype(x2.dtype())?
            }
        };
        let mut out = dims;
        *out.last_mut().unwrap_or(&mut 0) = y.dim(1)?;
        Ok(y.reshape(out)?)
    }
}

/// An attention block's input projections, stacked where they read the same input: one pass
/// over the weights and one parallel region instead of two or three. A stacked output column is
/// computed exactly as the separate layer's would be.
enum Inputs {
    /// Self-attention: queries, keys and values of `x`, `3·d` outputs.
    SelfAttention { qkv: Proj },
    /// Cross-attention: queries of the decoder states; keys and values (`2·d` outputs) of the
    /// encoder output, once per batch.
    Cross { q: Proj, kv: Proj },
}

struct Attention {
    inputs: Inputs,
    out: Proj,
    heads: usize,
    head_dim: usize,
    scale: f64,
}

impl Attention {
    fn load(
        vb: VarBuilder,
        d_model: usize,
        heads: usize,
        cross: bool,
        quant: Quantize,
    ) -> Result<Self> {
        let head_dim = d_model / heads;
        let d = d_model;
        let inputs = if cross {
            Inputs::Cross {
                q: Proj::load(d, d, vb.pp("q_proj"), quant)?,
                kv: Proj::load_stacked(d, d, &[vb.pp("k_proj"), vb.pp("v_proj")], quant)?,
            }
        } else {
            let qkv = [vb.pp("q_proj"), vb.pp("k_proj"), vb.pp("v_proj")];
            Inputs::SelfAttention {
                qkv: Proj::load_stacked(d, d, &qkv, quant)?,
            }
        };
        Ok(Self {
            inputs,
            out: Proj::load(d, d, vb.pp("out_proj"), quant)?,
            heads,
            head_dim,
            scale: (head_dim as f64).powf(-0.5),
        })
    }

    /// `(batch, len, d_model)` → `(batch, heads, len, head_dim)`.
    fn split_heads(&self, x: &Tensor) -> Result<Tensor> {
        let (b, t, _) = x.dims3()?;
        Ok(x.reshape((b, t, self.heads, self.head_dim))?
            .transpose(1, 2)?
            .contiguous()?)
    }

    /// Self-attention's queries `(batch, len, d_model)` and keys and values
    /// `(batch, heads, len, head_dim)`, all of `x`.
    fn queries_keys_values(&self, x: &Tensor) -> Result<(Tensor, Tensor, Tensor)> {
        let Inputs::SelfAttention { qkv } = &self.inputs else {
            anyhow::bail!("cross-attention has no projections of its own queries' input")
        };
        let y = qkv.forward(x)?;
        let d = self.heads * self.head_dim;
        Ok((
            y.narrow(2, 0, d)?.contiguous()?,
            self.split_heads(&y.narrow(2, d, d)?)?,
            self.split_heads(&y.narrow(2, 2 * d, d)?)?,
        ))
    }

    /// Cross-attention's queries of the decoder states `x`.
    fn queries(&self, x: &Tensor) -> Result<Tensor> {
        match &self.inputs {
            Inputs::Cross { q, .. } => q.forward(x),
            Inputs::SelfAttention { .. } => anyhow::bail!("self-attention queries come with keys"),
        }
    }

    /// Encoder self-attention of sentences laid end to end, `x` `(tokens, d_model)`, each token
    /// `sentences[i]` long (see [`attend_unpadded`]).
    fn forward_unpadded(&self, x: &Tensor, sentences: &[usize]) -> Result<Tensor> {
        let Inputs::SelfAttention { qkv } = &self.inputs else {
            anyhow::bail!("cross-attention has no projections of its own queries' input")
        };
        let ctx = attend_unpadded(&qkv.forward(x)?, self.heads, self.scale, sentences)?;
        self.out.forward(&ctx)
    }

    /// Cross-attention's keys and values of an encoder output laid end to end, `(tokens,
    /// d_model)`, put back in the padded layout the decoding steps read, `(sentences, heads,
    /// width, head_dim)`. Padding positions are zeros: the mask hides them either way.
    fn keys_values_unpadded(
        &self,
        memory: &Tensor,
        sentences: &[usize],
        width: usize,
    ) -> Result<(Tensor, Tensor)> {
        let Inputs::Cross { kv, .. } = &self.inputs else {
            anyhow::bail!("self-attention keys come with queries")
        };
        let (heads, hd) = (self.heads, self.head_dim);
        let d = heads * hd;
        let size = sentences.len() * heads * width * hd;
        let (k, v) = with_cpu_f32(&kv.forward(memory)?, |y| {
            let (mut k, mut v) = (vec![0f32; size], vec![0f32; size]);
            let mut token = 0;
            for (i, &n) in sentences.iter().enumerate() {
                for t in 0..n {
                    let row = &y[(token + t) * 2 * d..][..2 * d];
                    for h in 0..heads {
                        let at = ((i * heads + h) * width + t) * hd;
                        k[at..at + hd].copy_from_slice(&row[h * hd..][..hd]);
                        v[at..at + hd].copy_from_slice(&row[d + h * hd..][..hd]);
                    }
                }
                token += n;
            }
            (k, v)
        })?;
        let shape = (sentences.len(), heads, width, hd);
        Ok((
            Tensor::from_vec(k, shape, memory.device())?,
            Tensor::from_vec(v, shape, memory.device())?,
        ))
    }

    /// Cross-attention's keys and values `(batch, heads, len, head_dim)` of the encoder output.
    fn keys_values(&self, memory: &Tensor) -> Result<(Tensor, Tensor)> {
        let Inputs::Cross { kv, .. } = &self.inputs else {
            anyhow::bail!("self-attention keys come with queries")
        };
        let y = kv.forward(memory)?;
        let d = self.heads * self.head_dim;
        Ok((
            self.split_heads(&y.narrow(2, 0, d)?)?,
            self.split_heads(&y.narrow(2, d, d)?)?,
        ))
    }

    /// Attention of the queries `q` `(batch, len, d_model)` over `k`/`v`, with an optional
    /// additive mask; `kv_rows` says which row of `k`, `v` and `mask` each row of `q` attends to.
    fn attend(
        &self,
        q: &Tensor,
        k: &Tensor,
        v: &Tensor,
        mask: Option<&Tensor>,
        kv_rows: KvRows,
    ) -> Result<Tensor> {
        let (b, t, d) = q.dims3()?;
        let q = (q * self.scale)?;
        if t == 1 {
            if let Some(ctx) = attend_one(&q.reshape((b, d))?, k, v, mask, kv_rows)? {
                return self.out.forward(&ctx.reshape((b, 1, d))?);
            }
        }
        let (k, v, mask) = match kv_rows {
            KvRows::Mapped(rows) => {
                let index = Tensor::new(rows, k.device())?;
                let mask = mask.map(|m| m.index_select(&index, 0)).transpose()?;
                (k.index_select(&index, 0)?, v.index_select(&index, 0)?, mask)
            }
            KvRows::Same => (k.clone(), v.clone(), mask.cloned()),
            KvRows::History { .. } => {
                anyhow::bail!("a cache history is kept only where one-query attention reads it")
            }
        };
        let (k, v, mask) = (&k, &v, mask.as_ref());
        let q = self.split_heads(&q)?;
        let mut scores = q.matmul(&k.t()?)?;
        if let Some(mask) = mask {
            scores = scores.broadcast_add(mask)?;
        }
        let probs = candle_nn::ops::softmax_last_dim(&scores)?;
        let ctx = probs.matmul(v)?.transpose(1, 2)?.reshape((b, t, d))?;
        self.out.forward(&ctx)
    }
}

/// Which row of the keys and values each query row reads.
#[derive(Clone, Copy)]
enum KvRows<'a> {
    /// Row `r` reads row `r`.
    Same,
    /// Row `r` reads row `map[r]` (beams sharing their sentence's encoder output).
    Mapped(&'a [u32]),
    /// Row `r` reads position `t` from row `table[r·stride + t]` (see [`DecoderCache`]).
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
    fn fits(self, rows: usize, sources: usize, len: usize) -> bool {
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

/// Elementwise passes here go parallel from this many elements: the encoder's activations are
/// megabytes, while a decoding step's few rows are less work than handing them to other threads.
const PARALLEL_ELEMENTS: usize = 1 << 16;

/// Whether `t` is f32 on the CPU: where the hand-written passes here apply.
fn is_cpu_f32(t: &Tensor) -> bool {
    t.device().is_cpu() && t.dtype() == DType::F32
}

/// The f32 data of a CPU tensor, from its storage guard.
fn cpu_f32(storage: &candle_core::Storage) -> Option<&[f32]> {
    match storage {
        candle_core::Storage::Cpu(cpu) => cpu.as_slice::<f32>().ok(),
        _ => None,
    }
}

/// Runs `f` on the data of a CPU f32 tensor, without copying it when it is contiguous.
fn with_cpu_f32<T>(t: &Tensor, f: impl FnOnce(&[f32]) -> T) -> Result<T> {
    let t = t.contiguous()?;
    let (storage, layout) = t.storage_and_layout();
    let data = cpu_f32(&storage).context("expected an f32 tensor on the CPU")?;
    Ok(f(
        &data[layout.start_offset()..][..layout.shape().elem_count()]
    ))
}

/// Attention of one query per row (a decoding step), on the CPU in f32: per (row, head), scores,
/// softmax and the weighted sum of values in one pass, reading the keys and values where they lie
/// (the self-attention cache is a strided view). candle's batched matmuls, head transposes and
/// copies cost more than this arithmetic at one query. `q` is `(rows, heads·head_dim)` and already
/// scaled; `k`/`v` are `(sources, heads, len, head_dim)` and `mask` is `(sources, 1, 1, len)`, read
/// as `kv_rows` says. Returns `(rows, heads·head_dim)`, or `None` where this does not apply.
fn attend_one(
    q: &Tensor,
    k: &Tensor,
    v: &Tensor,
    mask: Option<&Tensor>,
    kv_rows: KvRows,
) -> Result<Option<Tensor>> {
    let (rows, d) = q.dims2()?;
    let (sources, heads, len, hd) = k.dims4()?;
    let applies = is_cpu_f32(q)
        && q.is_contiguous()
        && is_cpu_f32(k)
        && k.stride()[3] == 1
        && is_cpu_f32(v)
        && v.stride()[3] == 1
        && v.dims4()? == (sources, heads, len, hd)
        && heads * hd == d
        && kv_rows.fits(rows, sources, len)
        && mask.is_none_or(|m| is_cpu_f32(m) && m.is_contiguous());
    if !applies {
        return Ok(None);
    }
    let (q_store, q_layout) = q.storage_and_layout();
    let (k_store, k_layout) = k.storage_and_layout();
    let (v_store, v_layout) = v.storage_and_layout();
    let mask_store = mask.map(|m| m.storage_and_layout());
    let (Some(qs), Some(ks), Some(vs)) = (cpu_f32(&q_store), cpu_f32(&k_store), cpu_f32(&v_store))
    else {
        return Ok(None);
    };
    let qs = &qs[q_layout.start_offset()..];
    let (ks, k_stride) = (&ks[k_layout.start_offset()..], k_layout.stride());
    let (vs, v_stride) = (&vs[v_layout.start_offset()..], v_layout.stride());
    let ms = match &mask_store {
        Some((store, layout)) => match cpu_f32(store) {
            Some(m) => Some(&m[layout.start_offset()..]),
            None => return Ok(None),
        },
        None => None,
    };
    let one = OneQuery {
        qs,
        ks,
        k_stride,
        vs,
        v_stride,
        ms,
        kv_rows,
        len,
        hd,
    };
    let mut out = vec![0f32; rows * d];
    // One task per row: its heads together are enough work to pay for a task.
    out.par_chunks_mut(d)
        .enumerate()
        .for_each(|(r, row_out)| one.row(r, row_out));
    Ok(Some(Tensor::from_vec(out, (rows, d), q.device())?))
}

/// Encoder self-attention over sentences laid end to end without padding (CPU, f32): `qkv` is
/// `(tokens, 3·d)` from the stacked projection, `sentences` the token count of each sentence in
/// order. Each sentence reads only its own keys and values, so no padded row is computed; the
/// sentences run in parallel. Returns `(tokens, d)`.
fn attend_unpadded(qkv: &Tensor, heads: usize, scale: f64, sentences: &[usize]) -> Result<Tensor> {
    let (tokens, width) = qkv.dims2()?;
    let d = width / 3;
    anyhow::ensure!(
        sentences.iter().sum::<usize>() == tokens && heads > 0 && d > 0 && d % heads == 0,
        "sentence lengths do not add up to the tokens, or heads do not divide the width"
    );
    let out = with_cpu_f32(qkv, |all| {
        let mut out = vec![0f32; tokens * d];
        let mut blocks = Vec::with_capacity(sentences.len());
        let (mut rest, mut start) = (out.as_mut_slice(), 0);
        for &n in sentences {
            let (block, tail) = rest.split_at_mut(n * d);
            blocks.push((&all[start * width..(start + n) * width], block));
            (rest, start) = (tail, start + n);
        }
        blocks
            .into_par_iter()
            .for_each(|(rows, block)| attend_sentence(rows, d, heads, scale as f32, block));
        out
    })?;
    Ok(Tensor::from_vec(out, (tokens, d), qkv.device())?)
}

/// One sentence's self-attention, all heads: `rows` are its tokens' `[q | k | v]` rows (`3·d`
/// wide), `out` (zeroed) receives their `d` outputs each.
fn attend_sentence(rows: &[f32], d: usize, heads: usize, scale: f32, out: &mut [f32]) {
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

/// What [`attend_one`] reads: slices of the query, key, value and mask storage and their layout.
struct OneQuery<'a> {
    qs: &'a [f32],
    ks: &'a [f32],
    k_stride: &'a [usize],
    vs: &'a [f32],
    v_stride: &'a [usize],
    ms: Option<&'a [f32]>,
    kv_rows: KvRows<'a>,
    len: usize,
    hd: usize,
}

impl OneQuery<'_> {
    /// Row `r`'s attention output, all heads, into `out`.
    fn row(&self, r: usize, out: &mut [f32]) {
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

struct EncoderLayer {
    attn: Attention,
    attn_norm: LayerNorm,
    fc1: Proj,
    fc2: Proj,
    final_norm: LayerNorm,
}

impl EncoderLayer {
    /// The rest of the layer once its self-attention `a` of `h` is known: the residual norms and
    /// the feed-forward block.
    fn finish(&self, h: &Tensor, a: &Tensor, activation: Activation) -> Result<Tensor> {
        let h = add_norm(&self.attn_norm, h, a)?;
        let f = self
            .fc2
            .forward(&activation.apply(&self.fc1.forward(&h)?)?)?;
        add_norm(&self.final_norm, &h, &f)
    }
}

struct DecoderLayer {
    attn: Attention,
    attn_norm: LayerNorm,
    cross: Attention,
    cross_norm: LayerNorm,
    fc1: Proj,
    fc2: Proj,
    final_norm: LayerNorm,
}

/// torch.nn.LayerNorm's default epsilon, which Marian keeps.
const NORM_EPS: f32 = 1e-5;

fn norm(d: usize, vb: VarBuilder) -> Result<LayerNorm> {
    Ok(layer_norm(d, LayerNormConfig::from(NORM_EPS as f64), vb)?)
}

/// `norm(h + x)`, the post-norm residual step. On the CPU in f32 the sum and the normalisation are
/// one pass per row (candle would write the sum, then read it back in a scalar loop).
fn add_norm(norm: &LayerNorm, h: &Tensor, x: &Tensor) -> Result<Tensor> {
    let fused = is_cpu_f32(h)
        && is_cpu_f32(x)
        && h.is_contiguous()
        && x.is_contiguous()
        && h.dims() == x.dims();
    let (true, Some(bias)) = (fused, norm.bias()) else {
        return Ok(norm.forward(&(h + x)?)?);
    };
    let d = h.dim(candle_core::D::Minus1)?;
    let gain = norm.weight().to_vec1::<f32>()?;
    let shift = bias.to_vec1::<f32>()?;
    let (h_store, h_layout) = h.storage_and_layout();
    let (x_store, x_layout) = x.storage_and_layout();
    let (Some(hs), Some(xs)) = (cpu_f32(&h_store), cpu_f32(&x_store)) else {
        return Ok(norm.forward(&(h + x)?)?);
    };
    let n = h.elem_count();
    let hs = &hs[h_layout.start_offset()..][..n];
    let xs = &xs[x_layout.start_offset()..][..n];
    let mut out = vec![0f32; n];
    let row = |(o, (hr, xr)): (&mut [f32], (&[f32], &[f32]))| {
        let (mut sum, mut sum2) = ([0f32; 8], [0f32; 8]);
        for (i, (o, (a, b))) in o.iter_mut().zip(hr.iter().zip(xr)).enumerate() {
            let v = a + b;
            *o = v;
            sum[i % 8] += v;
            sum2[i % 8] += v * v;
        }
        let mean = sum.iter().sum::<f32>() / d as f32;
        let var = (sum2.iter().sum::<f32>() / d as f32 - mean * mean).max(0.0);
        let inv_std = (var + NORM_EPS).sqrt().recip();
        for ((o, g), b) in o.iter_mut().zip(&gain).zip(&shift) {
            *o = (*o - mean) * inv_std * g + b;
        }
    };
    if n >= PARALLEL_ELEMENTS {
        out.par_chunks_mut(d)
            .zip(hs.par_chunks(d).zip(xs.par_chunks(d)))
            .for_each(row);
    } else {
        out.chunks_mut(d)
            .zip(hs.chunks(d).zip(xs.chunks(d)))
            .for_each(row);
    }
    Ok(Tensor::from_vec(out, h.dims(), h.device())?)
}

/// Marian's sinusoidal table: sines in the first half of each row, cosines in the second (not
/// interleaved), computed in f64 as transformers does with numpy.
fn sinusoidal_positions(n_pos: usize, dim: usize, device: &Device) -> Result<Tensor> {
    let half = dim.div_ceil(2);
    let mut table = vec![0f32; n_pos * dim];
    for pos in 0..n_pos {
        for j in 0..dim {
            let angle = pos as f64 / 10000f64.powf((2 * (j / 2)) as f64 / dim as f64);
            let (col, value) = if j % 2 == 0 {
                (j / 2, angle.sin())
            } else {
                (half + j / 2, angle.cos())
            };
            table[pos * dim + col] = value as f32;
        }
    }
    Ok(Tensor::from_vec(table, (n_pos, dim), device)?)
}

/// Which weights file a model directory offers.
pub enum Weights<'a> {
    /// `model.safetensors`, read tensor by tensor (see [`crate::marian::weights`]).
    Safetensors(&'a Path),
    /// `pytorch_model.bin`: a PyTorch zip pickle, or the legacy format torch wrote before 1.6
    /// (see [`crate::marian::pth`]).
    Pytorch(&'a Path),
}

impl Marian {
    /// Builds the model from a checkpoint's weights.
    pub fn load(
        config: &MarianConfig,
        weights: Weights,
        dtype: DType,
        quant: Quantize,
        device: &Device,
    ) -> Result<Self> {
        if quant == Quantize::Int8 && !device.is_cpu() {
            anyhow::bail!(
                "--quantize int8 runs on the CPU only (use --dtype f16 or bf16 on a GPU)"
            );
        }
        let vb = match weights {
            Weights::Safetensors(path) => crate::marian::weights::safetensors(path, dtype, device)?,
            Weights::Pytorch(path) => crate::marian::weights::pytorch(path, dtype, device)?,
        };
        Self::from_var_builder(config, vb, dtype, quant, device)
    }

    fn from_var_builder(
        config: &MarianConfig,
        vb: VarBuilder,
        dtype: DType,
        quant: Quantize,
        device: &Device,
    ) -> Result<Self> {
        let d = config.d_model;
        let vocab = config.vocab_size;
        let root = if vb.contains_tensor("model.shared.weight")
            || vb.contains_tensor("model.encoder.embed_tokens.weight")
        {
            vb.pp("model")
        } else {
            vb.clone()
        };
        // Tied checkpoints store the shared table under one of these names, depending on the writer.
        let embed = [
            "shared.weight",
            "encoder.embed_tokens.weight",
            "decoder.embed_tokens.weight",
        ]
        .iter()
        .find(|name| root.contains_tensor(name))
        .map(|name| root.get((vocab, d), name))
        .unwrap_or_else(|| root.get((vocab, d), "shared.weight"))?;
        let final_logits_bias = if vb.contains_tensor("final_logits_bias") {
            vb.get((1, config.target_vocab_size()), "final_logits_bias")?
        } else {
            Tensor::zeros((1, config.target_vocab_size()), dtype, device)?
        }
        .squeeze(0)?;
        // Built before the layers are read, so that the table and its packed copy are not both
        // held while the rest of the model loads; the packed projection can hand out embedding rows
        // itself, so the table is kept only where the projection is not packed.
        let lm_head = Proj::new(embed.clone(), Some(final_logits_bias), quant)?;
        let embed = (!matches!(lm_head, Proj::Packed(_))).then_some(embed);
        let encoder = (0..config.encoder_layers)
            .map(|i| {
                let vb = root.pp(format!("encoder.layers.{i}"));
                Ok(EncoderLayer {
                    attn: Attention::load(
                        vb.pp("self_attn"),
                        d,
                        config.encoder_attention_heads,
                        false,
                        quant,
                    )?,
                    attn_norm: norm(d, vb.pp("self_attn_layer_norm"))?,
                    fc1: Proj::load(d, config.encoder_ffn_dim, vb.pp("fc1"), quant)?,
                    fc2: Proj::load(config.encoder_ffn_dim, d, vb.pp("fc2"), quant)?,
                    final_norm: norm(d, vb.pp("final_layer_norm"))?,
                })
            })
            .collect::<Result<_>>()?;
        let decoder = (0..config.decoder_layers)
            .map(|i| {
                let vb = root.pp(format!("decoder.layers.{i}"));
                Ok(DecoderLayer {
                    attn: Attention::load(
                        vb.pp("self_attn"),
                        d,
                        config.decoder_attention_heads,
                        false,
                        quant,
                    )?,
                    attn_norm: norm(d, vb.pp("self_attn_layer_norm"))?,
                    cross: Attention::load(
                        vb.pp("encoder_attn"),
                        d,
                        config.decoder_attention_heads,
                        true,
                        quant,
                    )?,
                    cross_norm: norm(d, vb.pp("encoder_attn_layer_norm"))?,
                    fc1: Proj::load(d, config.decoder_ffn_dim, vb.pp("fc1"), quant)?,
                    fc2: Proj::load(config.decoder_ffn_dim, d, vb.pp("fc2"), quant)?,
                    final_norm: norm(d, vb.pp("final_layer_norm"))?,
                })
            })
            .collect::<Result<_>>()?;
        let activation = match config.activation_function.as_str() {
            "swish" | "silu" => Activation::Swish,
            "gelu" => Activation::Gelu,
            _ => Activation::Relu,
        };
        Ok(Self {
            embed,
            lm_head,
            embed_scale: if config.scale_embedding {
                (d as f64).sqrt()
            } else {
                1.0
            },
            positions: sinusoidal_positions(config.max_position_embeddings, d, device)?
                .to_dtype(dtype)?,
            encoder,
            decoder,
            activation,
            device: device.clone(),
            dtype,
            pad: config.pad_token_id,
            vocab: config.vocab_size,
        })
    }

    /// The device the weights live on.
    pub fn device(&self) -> &Device {
        &self.device
    }

    /// Width of a decoding step's logits.
    pub fn vocab_size(&self) -> usize {
        self.vocab
    }

    /// Longest sequence the position table covers.
    pub fn max_positions(&self) -> usize {
        self.positions.dim(0).unwrap_or(0)
    }

    fn embed_tokens(&self, ids: &[u32], (b, len): (usize, usize), start: usize) -> Result<Tensor> {
        let tokens = self.lookup(ids)?;
        let d = tokens.dim(1)?;
        let tokens = (tokens.reshape((b, len, d))? * self.embed_scale)?;
        Ok(tokens.broadcast_add(&self.positions.narrow(0, start, len)?)?)
    }

    /// Sentences laid end to end, `(tokens, d_model)`, each with its positions from 0.
    fn embed_unpadded(&self, rows: &[Vec<u32>]) -> Result<Tensor> {
        let tokens = (self.lookup(&rows.concat())? * self.embed_scale)?;
        let positions: Vec<u32> = (rows.iter()).flat_map(|row| 0..row.len() as u32).collect();
        let index = Tensor::from_vec(positions, tokens.dim(0)?, &self.device)?;
        Ok((tokens + self.positions.index_select(&index, 0)?)?)
    }

    /// The embedding rows of `ids`, `(ids, d_model)`, unscaled.
    fn lookup(&self, ids: &[u32]) -> Result<Tensor> {
        Ok(match (&self.embed, &self.lm_head) {
            (Some(embed), _) => {
                let index = Tensor::from_slice(ids, ids.len(), &self.device)?;
                embed.index_select(&index, 0)?
            }
            (None, Proj::Packed(table)) => {
                let d = table.inputs();
                let mut rows = Vec::with_capacity(ids.len() * d);
                for &id in ids {
                    anyhow::ensure!(
                        (id as usize) < table.outputs(),
                        "token id {id} out of range"
                    );
                    table.row_into(id as usize, &mut rows);
                }
                Tensor::from_vec(rows, (ids.len(), d), &self.device)?
            }
            (None, _) => unreachable!("the table is dropped only when packed"),
        })
    }

    /// Encodes a batch of source ids (`rows` of possibly different lengths).
    pub fn encode(&self, rows: &[Vec<u32>]) -> Result<Encoded> {
        // On the CPU in f32 the sentences are encoded end to end, without padding: a batch's
        // longest sentence is often twice its median, and every padded row cost a full row of
        // every layer. The results are the same: padding is masked, and rows do not mix.
        let unpadded = is_cpu_f32(&self.positions) && rows.iter().all(|row| !row.is_empty());
        self.encode_with(rows, unpadded)
    }

    /// Encodes `rows` end to end (`unpadded`, CPU f32 only) or right-padded to the longest.
    fn encode_with(&self, rows: &[Vec<u32>], unpadded: bool) -> Result<Encoded> {
        let width = rows.iter().map(Vec::len).max().unwrap_or(0);
        let mut mask = Vec::with_capacity(rows.len() * width);
        for row in rows {
            mask.extend((0..width).map(|i| if i < row.len() { 0f32 } else { f32::MIN }));
        }
        let padded = rows.iter().any(|r| r.len() < width);
        let mask = if padded {
            let m = Tensor::from_vec(mask, (rows.len(), 1, 1, width), &self.device)?;
            Some(m.to_dtype(self.dtype)?)
        } else {
            None
        };
        let cross = if unpadded {
            let sentences: Vec<usize> = rows.iter().map(Vec::len).collect();
            let mut h = self.embed_unpadded(rows)?;
            for layer in &self.encoder {
                let a = layer.attn.forward_unpadded(&h, &sentences)?;
                h = layer.finish(&h, &a, self.activation)?;
            }
            (self.decoder.iter())
                .map(|layer| layer.cross.keys_values_unpadded(&h, &sentences, width))
                .collect::<Result<_>>()?
        } else {
            let mut ids = Vec::with_capacity(rows.len() * width);
            for row in rows {
                ids.extend(
                    row.iter()
                        .copied()
                        .chain(std::iter::repeat_n(self.pad, width - row.len())),
                );
            }
            let mut h = self.embed_tokens(&ids, (rows.len(), width), 0)?;
            for layer in &self.encoder {
                let (q, k, v) = layer.attn.queries_keys_values(&h)?;
                let a = layer.attn.attend(&q, &k, &v, mask.as_ref(), KvRows::Same)?;
                h = layer.finish(&h, &a, self.activation)?;
            }
            (self.decoder.iter())
                .map(|layer| layer.cross.keys_values(&h))
                .collect::<Result<_>>()?
        };
        Ok(Encoded {
            cross,
            mask,
            rows: None,
        })
    }

    /// An empty self-attention cache for `batch` rows, sized for `capacity` steps (it grows if needed).
    pub fn new_cache(&self, batch: usize, capacity: usize) -> Result<DecoderCache> {
        let layers: Vec<(Tensor, Tensor)> = self
            .decoder
            .iter()
            .map(|layer| {
                let shape = (
                    batch,
                    layer.attn.heads,
                    capacity.max(1),
                    layer.attn.head_dim,
                );
                Ok((
                    Tensor::zeros(shape, self.dtype, &self.device)?,
                    Tensor::zeros(shape, self.dtype, &self.device)?,
                ))
            })
            .collect::<Result<_>>()?;
        let in_place = layers.first().is_some_and(|(k, _)| is_cpu_f32(k));
        let history = in_place.then(|| History {
            table: vec![0; batch * capacity.max(1)],
            stride: capacity.max(1),
            rows: batch,
        });
        Ok(DecoderCache {
            layers,
            len: 0,
            history,
        })
    }

    /// Feeds one token per row and returns the next-token logits.
    pub fn decode_step(
        &self,
        tokens: &[u32],
        encoded: &Encoded,
        cache: &mut DecoderCache,
    ) -> Result<Logits> {
        let hidden = self.decode_hidden(tokens, encoded, cache)?;
        self.project(&hidden)
    }

    /// The decoder layers of [`Marian::decode_step`]: one token per row in, the last layer's
    /// states out.
    pub fn decode_hidden(
        &self,
        tokens: &[u32],
        encoded: &Encoded,
        cache: &mut DecoderCache,
    ) -> Result<DecoderStates> {
        let mut h = self.embed_tokens(tokens, (tokens.len(), 1), cache.len)?;
        for (i, layer) in self.decoder.iter().enumerate() {
            let (q, k, v) = layer.attn.queries_keys_values(&h)?;
            let (k, v) = cache.append(i, &k, &v)?;
            let history = cache.history.as_ref().map(|h| KvRows::History {
                table: &h.table,
                stride: h.stride,
            });
            let a = layer
                .attn
                .attend(&q, &k, &v, None, history.unwrap_or(KvRows::Same))?;
            h = add_norm(&layer.attn_norm, &h, &a)?;
            let (ck, cv) = &encoded.cross[i];
            let q = layer.cross.queries(&h)?;
            let c = layer
                .cross
                .attend(&q, ck, cv, encoded.mask.as_ref(), encoded.kv_rows())?;
            h = add_norm(&layer.cross_norm, &h, &c)?;
            let f = layer
                .fc2
                .forward(&self.activation.apply(&layer.fc1.forward(&h)?)?)?;
            h = add_norm(&layer.final_norm, &h, &f)?;
        }
        cache.len += 1;
        Ok(DecoderStates(h.i((.., 0, ..))?))
    }

    /// The output projection folded row by row instead of written out (see
    /// [`PackedLinear::forward_fold`]), where it is packed f32 on the CPU; `None` elsewhere.
    pub fn project_fold<S: Send>(
        &self,
        states: &DecoderStates,
        init: impl Fn() -> S + Sync,
        fold: impl Fn(&mut S, usize, &[f32]) + Sync,
    ) -> Result<Option<Vec<Vec<S>>>> {
        match &self.lm_head {
            Proj::Packed(lin) => Ok(Some(with_cpu_f32(&states.0, |x| {
                lin.forward_fold(x, init, fold)
            })?)),
            _ => Ok(None),
        }
    }

    /// The output projection of [`Marian::decode_step`]: the next-token logits of each row.
    pub fn project(&self, states: &DecoderStates) -> Result<Logits> {
        let h = &states.0;
        let values = match &self.lm_head {
            // Straight from the kernel's buffer: a beam step's logits are 14 MB.
            Proj::Packed(lin) => with_cpu_f32(h, |x| lin.forward(x))?,
            Proj::Int8(lin) => with_cpu_f32(&h.to_dtype(DType::F32)?, |x| lin.forward(x))?,
            lm_head => lm_head
                .forward(h)?
                .to_dtype(DType::F32)?
                .flatten_all()?
                .to_vec1::<f32>()?,
        };
        let vocab = values.len() / h.dim(0)?.max(1);
        Ok(Logits { values, vocab })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unpadded_encoder_equals_padded_encoder() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("models/fixture");
        let config = MarianConfig::from_file(&dir.join("config.json")).unwrap();
        let weights = Weights::Safetensors(&dir.join("model.safetensors"));
        let model =
            Marian::load(&config, weights, DType::F32, Quantize::None, &Device::Cpu).unwrap();
        let eos = config.eos_token_id;
        let rows = vec![
            vec![5, 9, 13, eos],
            vec![7, eos],
            vec![11, 4, 6, 8, 10, 12, 3, eos],
        ];
        let padded = model.encode_with(&rows, false).unwrap();
        let unpadded = model.encode_with(&rows, true).unwrap();
        assert_eq!(padded.mask.is_some(), unpadded.mask.is_some());
        for (p, u) in padded.cross.iter().zip(&unpadded.cross) {
            for (p, u) in [(&p.0, &u.0), (&p.1, &u.1)] {
                let (_, heads, width, hd) = p.dims4().unwrap();
                assert_eq!(p.dims(), u.dims());
                let p = p.flatten_all().unwrap().to_vec1::<f32>().unwrap();
                let u = u.flatten_all().unwrap().to_vec1::<f32>().unwrap();
                // Padding positions differ (masked either way); every token's must agree.
                for (i, row) in rows.iter().enumerate() {
                    for h in 0..heads {
                        for t in 0..row.len() {
                            let at = ((i * heads + h) * width + t) * hd;
                            for j in at..at + hd {
                                assert!(
                                    (p[j] - u[j]).abs() < 1e-4,
                                    "{i} {h} {t}: {} {}",
                                    p[j],
                                    u[j]
                                );
                            }
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn positions_put_sines_first_and_cosines_second() {
        let t = sinusoidal_positions(3, 4, &Device::Cpu)
            .unwrap()
            .to_vec2::<f32>()
            .unwrap();
        assert_eq!(t[0], vec![0.0, 0.0, 1.0, 1.0]);
        let expect = [
            1f64.sin(),
            (1.0 / 100f64).sin(),
            1f64.cos(),
            (1.0 / 100f64).cos(),
        ];
        for (got, want) in t[1].iter().zip(expect) {
            assert!((*got as f64 - want).abs() < 1e-6, "{:?}", t[1]);
        }
    }
}
