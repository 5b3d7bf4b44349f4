//! The Marian layers on candle-nn: linear projections (packed f32, int8 or candle's matmul),
//! attention with stacked input projections, the encoder and decoder layers, layer norms and the
//! sinusoidal position table. Numerics follow transformers' `modeling_marian.py`.

use anyhow::Result;
use candle_core::{DType, Device, Module, Tensor};
use candle_nn::{layer_norm, LayerNorm, LayerNormConfig, VarBuilder};
use rayon::prelude::*;

use super::cpu::{attend_one, attend_unpadded, cpu_f32, is_cpu_f32, with_cpu_f32};
use crate::kernels::attention::KvRows;
use crate::kernels::int8::Int8Linear;
use crate::kernels::norm::add_layer_norm;
use crate::kernels::packed::PackedLinear;
use crate::kernels::PARALLEL_ELEMENTS;

#[derive(Clone, Copy)]
pub(super) enum Activation {
    Swish,
    Gelu,
    Relu,
}

impl Activation {
    pub(super) fn apply(self, x: &Tensor) -> Result<Tensor> {
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
pub(super) enum Proj {
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
    pub(super) fn load(
        input: usize,
        output: usize,
        vb: VarBuilder,
        quant: Quantize,
    ) -> Result<Self> {
        let w = vb.get((output, input), "weight")?;
        let b = vb.get(output, "bias")?;
        Self::new(w, Some(b), quant)
    }

    /// Layers of the same input stacked into one, their outputs side by side in `vbs`' order.
    pub(super) fn load_stacked(
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

    pub(super) fn new(w: Tensor, b: Option<Tensor>, quant: Quantize) -> Result<Self> {
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

    pub(super) fn forward(&self, x: &Tensor) -> Result<Tensor> {
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
pub(super) enum Inputs {
    /// Self-attention: queries, keys and values of `x`, `3·d` outputs.
    SelfAttention { qkv: Proj },
    /// Cross-attention: queries of the decoder states; keys and values (`2·d` outputs) of the
    /// encoder output, once per batch.
    Cross { q: Proj, kv: Proj },
}

pub(super) struct Attention {
    pub(super) inputs: Inputs,
    pub(super) out: Proj,
    pub(super) heads: usize,
    pub(super) head_dim: usize,
    pub(super) scale: f64,
}

impl Attention {
    pub(super) fn load(
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
    pub(super) fn split_heads(&self, x: &Tensor) -> Result<Tensor> {
        let (b, t, _) = x.dims3()?;
        Ok(x.reshape((b, t, self.heads, self.head_dim))?
            .transpose(1, 2)?
            .contiguous()?)
    }

    /// Self-attention's queries `(batch, len, d_model)` and keys and values
    /// `(batch, heads, len, head_dim)`, all of `x`.
    pub(super) fn queries_keys_values(&self, x: &Tensor) -> Result<(Tensor, Tensor, Tensor)> {
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
    pub(super) fn queries(&self, x: &Tensor) -> Result<Tensor> {
        match &self.inputs {
            Inputs::Cross { q, .. } => q.forward(x),
            Inputs::SelfAttention { .. } => anyhow::bail!("self-attention queries come with keys"),
        }
    }

    /// Encoder self-attention of sentences laid end to end, `x` `(tokens, d_model)`, each token
    /// `sentences[i]` long (see [`attend_unpadded`]).
    pub(super) fn forward_unpadded(&self, x: &Tensor, sentences: &[usize]) -> Result<Tensor> {
        let Inputs::SelfAttention { qkv } = &self.inputs else {
            anyhow::bail!("cross-attention has no projections of its own queries' input")
        };
        let ctx = attend_unpadded(&qkv.forward(x)?, self.heads, self.scale, sentences)?;
        self.out.forward(&ctx)
    }

    /// Cross-attention's keys and values of an encoder output laid end to end, `(tokens,
    /// d_model)`, put back in the padded layout the decoding steps read, `(sentences, heads,
    /// width, head_dim)`. Padding positions are zeros: the mask hides them either way.
    pub(super) fn keys_values_unpadded(
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
    pub(super) fn keys_values(&self, memory: &Tensor) -> Result<(Tensor, Tensor)> {
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
    pub(super) fn attend(
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

    /// The attention probabilities of one query per row (`q` `(rows, 1, d_model)`, unscaled),
    /// averaged over the heads: `(rows, len)` in f32. Through candle's matmul on every device,
    /// since the one-query kernel of [`Attention::attend`] never writes its probabilities out;
    /// `kv_rows` and `mask` are read as there.
    pub(super) fn probabilities(
        &self,
        q: &Tensor,
        k: &Tensor,
        mask: Option<&Tensor>,
        kv_rows: KvRows,
    ) -> Result<Tensor> {
        let (k, mask) = match kv_rows {
            KvRows::Mapped(rows) => {
                let index = Tensor::new(rows, k.device())?;
                let mask = mask.map(|m| m.index_select(&index, 0)).transpose()?;
                (k.index_select(&index, 0)?, mask)
            }
            KvRows::Same => (k.clone(), mask.cloned()),
            KvRows::History { .. } => {
                anyhow::bail!("cross-attention keys are read by source row, not by history")
            }
        };
        let q = self.split_heads(&(q * self.scale)?)?;
        let mut scores = q.matmul(&k.t()?)?;
        if let Some(mask) = &mask {
            scores = scores.broadcast_add(mask)?;
        }
        let probs = candle_nn::ops::softmax_last_dim(&scores.to_dtype(DType::F32)?)?;
        Ok(probs.mean(1)?.squeeze(1)?)
    }
}

pub(super) struct EncoderLayer {
    pub(super) attn: Attention,
    pub(super) attn_norm: LayerNorm,
    pub(super) fc1: Proj,
    pub(super) fc2: Proj,
    pub(super) final_norm: LayerNorm,
}

impl EncoderLayer {
    /// The rest of the layer once its self-attention `a` of `h` is known: the residual norms and
    /// the feed-forward block.
    pub(super) fn finish(&self, h: &Tensor, a: &Tensor, activation: Activation) -> Result<Tensor> {
        let h = add_norm(&self.attn_norm, h, a)?;
        let f = self
            .fc2
            .forward(&activation.apply(&self.fc1.forward(&h)?)?)?;
        add_norm(&self.final_norm, &h, &f)
    }
}

pub(super) struct DecoderLayer {
    pub(super) attn: Attention,
    pub(super) attn_norm: LayerNorm,
    pub(super) cross: Attention,
    pub(super) cross_norm: LayerNorm,
    pub(super) fc1: Proj,
    pub(super) fc2: Proj,
    pub(super) final_norm: LayerNorm,
}

/// torch.nn.LayerNorm's default epsilon, which Marian keeps.
pub(super) const NORM_EPS: f32 = 1e-5;

pub(super) fn norm(d: usize, vb: VarBuilder) -> Result<LayerNorm> {
    Ok(layer_norm(d, LayerNormConfig::from(NORM_EPS as f64), vb)?)
}

/// `norm(h + x)`, the post-norm residual step. On the CPU in f32 the sum and the normalisation are
/// one pass per row (candle would write the sum, then read it back in a scalar loop).
pub(super) fn add_norm(norm: &LayerNorm, h: &Tensor, x: &Tensor) -> Result<Tensor> {
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
    anyhow::ensure!(
        gain.len() == d && shift.len() == d,
        "layer norm of width {} over rows of {d}",
        gain.len()
    );
    let (h_store, h_layout) = h.storage_and_layout();
    let (x_store, x_layout) = x.storage_and_layout();
    let (Some(hs), Some(xs)) = (cpu_f32(&h_store), cpu_f32(&x_store)) else {
        return Ok(norm.forward(&(h + x)?)?);
    };
    let n = h.elem_count();
    let hs = &hs[h_layout.start_offset()..][..n];
    let xs = &xs[x_layout.start_offset()..][..n];
    let out = add_layer_norm(hs, xs, &gain, &shift, NORM_EPS);
    Ok(Tensor::from_vec(out, h.dims(), h.device())?)
}

/// Marian's sinusoidal table: sines in the first half of each row, cosines in the second (not
/// interleaved), computed in f64 as transformers does with numpy.
pub(super) fn sinusoidal_positions(n_pos: usize, dim: usize, device: &Device) -> Result<Tensor> {
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
