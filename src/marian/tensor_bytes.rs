//! Tensor data as both weight readers ([`super::weights`], [`super::pth`]) read it: each size checked
//! against the file before anything is allocated, bytes read in chunks straight into the tensor's
//! buffer, and values checked to be finite.

use std::io::Read;

use anyhow::{anyhow, ensure, Result};
use candle_core::{DType, Tensor};

/// The bytes a tensor of `shape` with `elem`-byte elements takes, refused (before anything is
/// allocated for it) when that is more than the `available` bytes of its file: the one check both
/// weight readers apply to every size they read.
pub(super) fn checked_bytes(shape: &[usize], elem: usize, available: u64) -> Result<usize> {
    let bytes = shape
        .iter()
        .try_fold(elem, |n, &d| n.checked_mul(d))
        .filter(|&n| n as u64 <= available)
        .ok_or_else(|| {
            anyhow!("shape {shape:?} needs more than the {available} bytes the file holds")
        })?;
    Ok(bytes)
}

/// Bytes read at a time: a chunk is still in cache when it is checked (and hashed, for a zip
/// entry), so checking costs no second pass over memory.
const CHUNK: usize = 1 << 18;

/// Fills `values` with little-endian f32s from `r` a chunk at a time, handing each chunk's bytes
/// to `seen`, and tells whether every value is finite.
pub(super) fn read_f32(
    r: &mut impl Read,
    values: &mut [f32],
    mut seen: impl FnMut(&[u8]),
) -> std::io::Result<bool> {
    let mut finite = true;
    for chunk in values.chunks_mut(CHUNK / 4) {
        r.read_exact(bytemuck::cast_slice_mut(chunk))?;
        seen(bytemuck::cast_slice(chunk));
        // A no-op on little-endian machines.
        for v in chunk.iter_mut() {
            *v = f32::from_bits(u32::from_le(v.to_bits()));
        }
        finite &= all_finite_f32(chunk);
    }
    Ok(finite)
}

/// Fills `data` from `r` a chunk at a time, handing each chunk to `seen`.
pub(super) fn read_bytes(
    r: &mut impl Read,
    data: &mut [u8],
    mut seen: impl FnMut(&[u8]),
) -> std::io::Result<()> {
    for chunk in data.chunks_mut(CHUNK) {
        r.read_exact(chunk)?;
        seen(chunk);
    }
    Ok(())
}

/// Whether no value has the all-ones exponent of NaN and infinity. Adding one to the exponent
/// field carries into the sign bit only from all ones, so the test is an and, an add and an or
/// per value, without branches: the compiler vectorises it. (`all` over `is_finite` it does not:
/// that scan was a tenth of start-up's CPU time.)
pub(super) fn all_finite_f32(values: &[f32]) -> bool {
    let carried = values.iter().fold(0u32, |acc, v| {
        acc | ((v.to_bits() & 0x7f80_0000) + 0x0080_0000)
    });
    carried & 0x8000_0000 == 0
}

/// Whether every value of a float tensor is finite (integer tensors always are).
pub(super) fn all_finite(t: &Tensor) -> Result<bool> {
    if !t.dtype().is_float() {
        return Ok(true);
    }
    if t.dtype() == DType::F32 && t.device().is_cpu() && t.is_contiguous() {
        // In place: a copy of the embedding table would raise the loading peak.
        let (storage, layout) = t.storage_and_layout();
        if let candle_core::Storage::Cpu(cpu) = &*storage {
            let values = cpu.as_slice::<f32>()?;
            let values = &values[layout.start_offset()..][..layout.shape().elem_count()];
            return Ok(all_finite_f32(values));
        }
    }
    let values = t.flatten_all()?.to_dtype(DType::F32)?.to_vec1::<f32>()?;
    Ok(all_finite_f32(&values))
}

/// Refuses the tensor `name` unless `finite`: a NaN or infinite weight makes every output NaN,
/// which decodes to nothing.
pub(super) fn check_finite(name: &str, finite: bool) -> Result<()> {
    ensure!(finite, "tensor {name} holds NaN or infinite values");
    Ok(())
}

pub(super) fn not_found(name: &str) -> anyhow::Error {
    anyhow!("tensor {name} is missing (or was read twice)")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_bit_test_finds_every_non_finite_value() {
        let edges = [
            0.0,
            -0.0,
            f32::MIN_POSITIVE,
            1e-45,
            f32::MAX,
            f32::MIN,
            f32::from_bits(0x7f7f_ffff),
        ];
        assert!(all_finite_f32(&edges));
        assert!(all_finite_f32(&[]));
        for bad in [f32::NAN, -f32::NAN, f32::INFINITY, f32::NEG_INFINITY] {
            for at in 0..edges.len() {
                let mut values = edges.to_vec();
                values[at] = bad;
                assert!(!all_finite_f32(&values), "{bad} at {at}");
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn the_bit_test_agrees_with_is_finite(bits in proptest::collection::vec(any::<u32>(), 0..64)) {
            let values: Vec<f32> = bits.into_iter().map(f32::from_bits).collect();
            prop_assert_eq!(all_finite_f32(&values), values.iter().all(|v| v.is_finite()));
        }
    }
}
