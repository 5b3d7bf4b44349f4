//! The Marian encoder-decoder (post-norm Transformer, opus-mt flavour) on candle-nn.
//!
//! Written for padded batches: an additive padding mask in encoder self-attention and in
//! cross-attention (on the CPU in f32 the encoder runs the sentences end to end without padding,
//! then lays the cross-attention keys/values out padded), cross-attention keys/values computed once
//! per batch, and a self-attention cache
//! that the caller owns, so that beam search can reorder rows and drop finished ones. Numerics follow
//! transformers' `modeling_marian.py`. This module knows nothing of tokens as text or of search.
//!
//! The layers are in [`super::layers`], what a batch carries between steps in [`super::cache`],
//! and the hand-off of CPU f32 tensors to [`crate::kernels`] in `super::cpu`.

use std::path::Path;

use anyhow::Result;
use candle_core::{DType, Device, IndexOp, Tensor};
use candle_nn::VarBuilder;

use crate::marian::config::MarianConfig;

use super::cache::{CrossAttention, DecoderCache, DecoderStates, Encoded, History, Logits};
use super::cpu::{is_cpu_f32, with_cpu_f32};
use super::layers::{
    add_norm, norm, sinusoidal_positions, Activation, Attention, DecoderLayer, EncoderLayer, Proj,
    Quantize,
};
use crate::kernels::attention::KvRows;

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

    /// Number of decoder layers.
    pub fn decoder_layers(&self) -> usize {
        self.decoder.len()
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
        Ok(self.decode_layers(tokens, encoded, cache, None)?.0)
    }

    /// [`Marian::decode_hidden`], with the cross-attention probabilities of decoder layer `layer`
    /// averaged over its heads (one more small matmul for that layer).
    pub fn decode_hidden_attending(
        &self,
        tokens: &[u32],
        encoded: &Encoded,
        cache: &mut DecoderCache,
        layer: usize,
    ) -> Result<(DecoderStates, CrossAttention)> {
        anyhow::ensure!(
            layer < self.decoder.len(),
            "decoder layer {layer} asked for, of {}",
            self.decoder.len()
        );
        let (states, probs) = self.decode_layers(tokens, encoded, cache, Some(layer))?;
        let probs = probs.ok_or_else(|| anyhow::anyhow!("no attention from layer {layer}"))?;
        let width = probs.dim(1)?;
        let values = probs.flatten_all()?.to_vec1::<f32>()?;
        Ok((states, CrossAttention { values, width }))
    }

    /// The decoder layers, and the cross-attention probabilities of layer `attending` if given.
    fn decode_layers(
        &self,
        tokens: &[u32],
        encoded: &Encoded,
        cache: &mut DecoderCache,
        attending: Option<usize>,
    ) -> Result<(DecoderStates, Option<Tensor>)> {
        let mut h = self.embed_tokens(tokens, (tokens.len(), 1), cache.len)?;
        let mut probs = None;
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
            if attending == Some(i) {
                probs = Some(layer.cross.probabilities(
                    &q,
                    ck,
                    encoded.mask.as_ref(),
                    encoded.kv_rows(),
                )?);
            }
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
        Ok((DecoderStates(h.i((.., 0, ..))?), probs))
    }

    /// The output projection folded row by row instead of written out (see
    /// [`crate::kernels::packed::PackedLinear::forward_fold`]), where it is packed f32 on the CPU;
    /// `None` elsewhere.
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
    fn attention_rows_are_the_same_from_both_encoder_layouts() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("models/fixture");
        let config = MarianConfig::from_file(&dir.join("config.json")).unwrap();
        let weights = Weights::Safetensors(&dir.join("model.safetensors"));
        let model =
            Marian::load(&config, weights, DType::F32, Quantize::None, &Device::Cpu).unwrap();
        let eos = config.eos_token_id;
        let rows = vec![vec![5, 9, 13, eos], vec![7, eos], vec![11, 4, 6, 8, 3, eos]];
        let start = vec![config.decoder_start(); 3];
        let attention = |unpadded: bool, layer: usize| {
            // Rows mapped onto sentences as beam search maps them, one sentence twice.
            let encoded = model.encode_with(&rows, unpadded).unwrap();
            let encoded = encoded.select(&[2, 0, 2]).unwrap();
            let mut cache = model.new_cache(3, 4).unwrap();
            let (states, attention) = model
                .decode_hidden_attending(&start, &encoded, &mut cache, layer)
                .unwrap();
            let plain = model.decode_hidden(&start, &encoded, &mut model.new_cache(3, 4).unwrap());
            assert_eq!(
                states.0.to_vec2::<f32>().unwrap(),
                plain.unwrap().0.to_vec2::<f32>().unwrap(),
                "asking for attention changes no state"
            );
            attention
        };
        for layer in 0..config.decoder_layers {
            let padded = attention(false, layer);
            let unpadded = attention(true, layer);
            assert_eq!((padded.width, unpadded.width), (6, 6));
            for (r, sentence) in [2, 0, 2].into_iter().enumerate() {
                let (p, u) = (padded.row(r), unpadded.row(r));
                let len = rows[sentence].len();
                assert!((p[..len].iter().sum::<f32>() - 1.0).abs() < 1e-5, "{p:?}");
                assert!(p[len..].iter().chain(&u[len..]).all(|&x| x == 0.0));
                for (a, b) in p.iter().zip(u) {
                    assert!((a - b).abs() < 1e-5, "layer {layer} row {r}: {p:?} {u:?}");
                }
            }
            assert_eq!(padded.row(0), padded.row(2));
        }
        assert!(model
            .decode_hidden_attending(
                &start,
                &model.encode(&rows).unwrap(),
                &mut model.new_cache(3, 4).unwrap(),
                2
            )
            .is_err());
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
