//! Reads `model.safetensors` tensor by tensor with plain reads, as the model asks for them.
//!
//! candle's CPU tensors own their memory, so loading from a memory map copies every tensor out of it
//! while the mapped pages stay resident until loading ends: the peak is twice the weights. Reading
//! each tensor into its own buffer when the model asks for it, and forgetting it once handed out,
//! keeps the peak at the weights' size even where a layer repacks its weights at load (see
//! [`crate::packed`]); from a warm page cache it costs no more time (measured in the README's Speed
//! section). The format is an 8-byte little-endian header length, a JSON header (name → dtype,
//! shape, byte range), then the data.

use std::collections::HashMap;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use anyhow::{ensure, Context, Result};
use candle_core::{DType, Device, Shape, Tensor};
use candle_nn::var_builder::SimpleBackend;
use candle_nn::VarBuilder;
use serde::Deserialize;

/// Largest header accepted, as in the safetensors specification (100 MB).
const MAX_HEADER: u64 = 100_000_000;

#[derive(Deserialize)]
struct Entry {
    dtype: String,
    shape: Vec<usize>,
    data_offsets: (u64, u64),
}

/// A `VarBuilder` over an F32 safetensors file, or `None` when a tensor has another dtype (the
/// caller then uses candle's memory-mapped loader, which converts). The header is checked here;
/// each tensor is read when first asked for, and can be asked for once.
pub fn safetensors_f32(
    path: &Path,
    dtype: DType,
    device: &Device,
) -> Result<Option<VarBuilder<'static>>> {
    let file = open(path).with_context(|| format!("{}: cannot read weights", path.display()))?;
    Ok(file.map(|f| TakeOnce::File(f).builder(dtype, device)))
}

/// A `VarBuilder` over tensors already in memory that hands each out once and forgets it: candle's
/// own map keeps every tensor until the builder is dropped, so layers that repack their weights at
/// load would hold both copies of the model at the end of loading.
pub fn take_once(
    tensors: HashMap<String, Tensor>,
    dtype: DType,
    device: &Device,
) -> VarBuilder<'static> {
    TakeOnce::Loaded(Mutex::new(tensors)).builder(dtype, device)
}

/// The tensors behind a `VarBuilder` that hands each out once and forgets it.
enum TakeOnce {
    /// Read from the file when asked for.
    File(SafetensorsF32),
    /// Already in memory.
    Loaded(Mutex<HashMap<String, Tensor>>),
}

struct SafetensorsF32 {
    path: PathBuf,
    /// Name → (shape, absolute byte offset); an entry leaves the map when its tensor is read.
    entries: Mutex<HashMap<String, (Vec<usize>, u64)>>,
    file: Mutex<File>,
}

fn open(path: &Path) -> Result<Option<SafetensorsF32>> {
    let mut file = File::open(path)?;
    let file_len = file.metadata()?.len();
    let mut len = [0u8; 8];
    file.read_exact(&mut len)
        .context("shorter than a safetensors header")?;
    let header_len = u64::from_le_bytes(len);
    ensure!(
        header_len <= MAX_HEADER && 8 + header_len <= file_len,
        "not a safetensors file (header length {header_len})"
    );
    let mut header = vec![0u8; header_len as usize];
    file.read_exact(&mut header)?;
    let raw: HashMap<String, serde_json::Value> =
        serde_json::from_slice(&header).context("safetensors header is not a JSON object")?;
    let mut entries = HashMap::with_capacity(raw.len());
    for (name, value) in raw {
        if name == "__metadata__" {
            continue;
        }
        let entry: Entry = serde_json::from_value(value)
            .with_context(|| format!("safetensors header entry {name:?}"))?;
        if entry.dtype != "F32" {
            return Ok(None);
        }
        let (start, end) = entry.data_offsets;
        let elements: usize = entry.shape.iter().product();
        ensure!(
            start <= end && end - start == 4 * elements as u64,
            "tensor {name:?}: {} bytes for shape {:?}",
            end.saturating_sub(start),
            entry.shape
        );
        // Checked for every tensor up front, so that a truncated download fails before loading.
        ensure!(
            8 + header_len + end <= file_len,
            "tensor {name:?} runs past the end of the file (truncated download?)"
        );
        entries.insert(name, (entry.shape, 8 + header_len + start));
    }
    Ok(Some(SafetensorsF32 {
        path: path.to_path_buf(),
        entries: Mutex::new(entries),
        file: Mutex::new(file),
    }))
}

impl SafetensorsF32 {
    fn read(&self, name: &str) -> candle_core::Result<Tensor> {
        let (shape, offset) = lock(&self.entries)
            .remove(name)
            .ok_or_else(|| not_found(name))?;
        let mut values = vec![0f32; shape.iter().product()];
        let mut file = lock(&self.file);
        file.seek(SeekFrom::Start(offset))
            .and_then(|_| file.read_exact(bytemuck::cast_slice_mut(&mut values)))
            .map_err(|e| {
                candle_core::Error::Msg(format!("{}: tensor {name}: {e}", self.path.display()))
            })?;
        // The file is little-endian; a no-op on little-endian machines.
        for v in &mut values {
            *v = f32::from_bits(u32::from_le(v.to_bits()));
        }
        Tensor::from_vec(values, shape, &Device::Cpu)
    }
}

impl TakeOnce {
    fn builder(self, dtype: DType, device: &Device) -> VarBuilder<'static> {
        VarBuilder::from_backend(Box::new(self), dtype, device.clone())
    }

    fn take(&self, name: &str) -> candle_core::Result<Tensor> {
        match self {
            TakeOnce::File(file) => file.read(name),
            TakeOnce::Loaded(map) => lock(map).remove(name).ok_or_else(|| not_found(name)),
        }
    }
}

impl SimpleBackend for TakeOnce {
    fn get(
        &self,
        shape: Shape,
        name: &str,
        _: candle_nn::Init,
        dtype: DType,
        device: &Device,
    ) -> candle_core::Result<Tensor> {
        let tensor = self.take(name)?;
        if tensor.shape() != &shape {
            return Err(candle_core::Error::UnexpectedShape {
                msg: format!("shape mismatch for {name}"),
                expected: shape,
                got: tensor.shape().clone(),
            });
        }
        tensor.to_device(device)?.to_dtype(dtype)
    }

    fn get_unchecked(
        &self,
        name: &str,
        dtype: DType,
        device: &Device,
    ) -> candle_core::Result<Tensor> {
        self.take(name)?.to_device(device)?.to_dtype(dtype)
    }

    fn contains_tensor(&self, name: &str) -> bool {
        match self {
            TakeOnce::File(file) => lock(&file.entries).contains_key(name),
            TakeOnce::Loaded(map) => lock(map).contains_key(name),
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn not_found(name: &str) -> candle_core::Error {
    candle_core::Error::Msg(format!("cannot find tensor {name} (or it was read twice)"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(header: &str, data: &[u8]) -> tempfile::NamedTempFile {
        let mut bytes = (header.len() as u64).to_le_bytes().to_vec();
        bytes.extend(header.as_bytes());
        bytes.extend(data);
        let f = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(f.path(), bytes).unwrap();
        f
    }

    #[test]
    fn reads_tensors_by_their_offsets() {
        let data: Vec<u8> = [1f32, 2.0, 3.0, 4.0, 5.0]
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect();
        // Listed out of file order, with metadata.
        let f = file(
            r#"{"b":{"dtype":"F32","shape":[1],"data_offsets":[16,20]},"__metadata__":{"format":"pt"},"a":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]}}"#,
            &data,
        );
        let vb = safetensors_f32(f.path(), DType::F32, &Device::Cpu)
            .unwrap()
            .unwrap();
        assert_eq!(
            vb.get((2, 2), "a").unwrap().to_vec2::<f32>().unwrap(),
            vec![vec![1.0, 2.0], vec![3.0, 4.0]]
        );
        assert_eq!(vb.get(1, "b").unwrap().to_vec1::<f32>().unwrap(), vec![5.0]);
        // Handed out once: the builder keeps no copy.
        assert!(!vb.contains_tensor("a"));
        assert!(vb.get((2, 2), "a").is_err());
    }

    #[test]
    fn other_dtypes_are_left_to_candle() {
        let f = file(
            r#"{"a":{"dtype":"F16","shape":[2],"data_offsets":[0,4]}}"#,
            &[0; 4],
        );
        assert!(safetensors_f32(f.path(), DType::F32, &Device::Cpu)
            .unwrap()
            .is_none());
    }

    #[test]
    fn truncated_file_is_an_error() {
        let f = file(
            r#"{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}"#,
            &[0; 8],
        );
        let err = match safetensors_f32(f.path(), DType::F32, &Device::Cpu) {
            Err(e) => format!("{e:#}"),
            Ok(_) => panic!("a truncated file was accepted"),
        };
        assert!(err.contains("past the end"), "{err}");
    }
}
