//! Where the model hands CPU f32 tensors to [`crate::kernels`]: a tensor's storage read as a
//! slice (without a copy when contiguous), checked against what the kernel expects, and the
//! kernel's output made a tensor again. Each function returns `None` (or falls back to candle)
//! where its kernel does not apply: another device or dtype, or an unexpected layout.

use anyhow::{Context, Result};
use candle_core::{DType, Tensor};
use rayon::prelude::*;

use crate::kernels::attention::{attend_sentence, KvRows, OneQuery};

/// Whether `t` is f32 on the CPU: where the hand-written passes here apply.
pub(super) fn is_cpu_f32(t: &Tensor) -> bool {
    t.device().is_cpu() && t.dtype() == DType::F32
}

/// The f32 data of a CPU tensor, from its storage guard.
pub(super) fn cpu_f32(storage: &candle_core::Storage) -> Option<&[f32]> {
    match storage {
        candle_core::Storage::Cpu(cpu) => cpu.as_slice::<f32>().ok(),
        _ => None,
    }
}

/// Runs `f` on the data of a CPU f32 tensor, without copying it when it is contiguous.
pub(super) fn with_cpu_f32<T>(t: &Tensor, f: impl FnOnce(&[f32]) -> T) -> Result<T> {
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
pub(super) fn attend_one(
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
pub(super) fn attend_unpadded(
    qkv: &Tensor,
    heads: usize,
    scale: f64,
    sentences: &[usize],
) -> Result<Tensor> {
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
