//! The post-norm residual step on plain rows: `layer_norm(h + x)`, the sum and the normalisation
//! in one pass per row, where candle writes the sum, then reads it back in a scalar loop.

use rayon::prelude::*;

use super::PARALLEL_ELEMENTS;

/// `layer_norm(h + x)` over rows of `gain.len()` values, with torch's biased variance and `eps`.
pub fn add_layer_norm(h: &[f32], x: &[f32], gain: &[f32], shift: &[f32], eps: f32) -> Vec<f32> {
    let d = gain.len();
    let mut out = vec![0f32; h.len()];
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
        let inv_std = (var + eps).sqrt().recip();
        for ((o, g), b) in o.iter_mut().zip(gain).zip(shift) {
            *o = (*o - mean) * inv_std * g + b;
        }
    };
    if h.len() >= PARALLEL_ELEMENTS {
        out.par_chunks_mut(d)
            .zip(h.par_chunks(d).zip(x.par_chunks(d)))
            .for_each(row);
    } else {
        out.chunks_mut(d)
            .zip(h.chunks(d).zip(x.chunks(d)))
            .for_each(row);
    }
    out
}
