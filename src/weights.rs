//! Reads `model.safetensors` into CPU tensors with plain reads.
//!
//! candle's CPU tensors own their memory, so loading from a memory map copies every tensor out of it
//! while the mapped pages stay resident until loading ends: the peak is twice the weights. Reading
//! each tensor straight into its own buffer keeps the peak at the weights' size, and costs no more
//! time from a warm page cache (measured in the README's Speed section). The format is an 8-byte
//! little-endian header length, a JSON header (name → dtype, shape, byte range), then the data.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::Path;

use anyhow::{bail, ensure, Context, Result};
use candle_core::{Device, Tensor};
use serde::Deserialize;

/// Largest header accepted, as in the safetensors specification (100 MB).
const MAX_HEADER: u64 = 100_000_000;

#[derive(Deserialize)]
struct Entry {
    dtype: String,
    shape: Vec<usize>,
    data_offsets: (u64, u64),
}

/// All tensors of an F32 safetensors file, or `None` when a tensor has another dtype (the caller then
/// uses candle's memory-mapped loader, which converts).
pub fn read_f32(path: &Path) -> Result<Option<HashMap<String, Tensor>>> {
    read(path).with_context(|| format!("{}: cannot read weights", path.display()))
}

fn read(path: &Path) -> Result<Option<HashMap<String, Tensor>>> {
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
    let mut entries = Vec::new();
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
        if 8 + header_len + end > file_len {
            bail!("tensor {name:?} runs past the end of the file (truncated download?)");
        }
        entries.push((name, entry));
    }
    // In file order, so the reads are sequential.
    entries.sort_by_key(|(_, e)| e.data_offsets.0);
    let data_start = 8 + header_len;
    let mut reader = BufReader::with_capacity(1 << 20, file);
    reader.seek(SeekFrom::Start(data_start))?;
    let mut at = 0u64;
    let mut tensors = HashMap::with_capacity(entries.len());
    for (name, entry) in entries {
        let (start, end) = entry.data_offsets;
        if start != at {
            reader.seek(SeekFrom::Start(data_start + start))?;
        }
        let mut values = vec![0f32; ((end - start) / 4) as usize];
        reader.read_exact(bytemuck::cast_slice_mut(&mut values))?;
        // The file is little-endian; a no-op on little-endian machines.
        for v in &mut values {
            *v = f32::from_bits(u32::from_le(v.to_bits()));
        }
        at = end;
        tensors.insert(name, Tensor::from_vec(values, entry.shape, &Device::Cpu)?);
    }
    Ok(Some(tensors))
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
        let t = read_f32(f.path()).unwrap().unwrap();
        assert_eq!(
            t["a"].to_vec2::<f32>().unwrap(),
            vec![vec![1.0, 2.0], vec![3.0, 4.0]]
        );
        assert_eq!(t["b"].to_vec1::<f32>().unwrap(), vec![5.0]);
    }

    #[test]
    fn other_dtypes_are_left_to_candle() {
        let f = file(
            r#"{"a":{"dtype":"F16","shape":[2],"data_offsets":[0,4]}}"#,
            &[0; 4],
        );
        assert!(read_f32(f.path()).unwrap().is_none());
    }

    #[test]
    fn truncated_file_is_an_error() {
        let f = file(
            r#"{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}"#,
            &[0; 8],
        );
        let err = format!("{:#}", read_f32(f.path()).unwrap_err());
        assert!(err.contains("past the end"), "{err}");
    }
}
