//! Reads `model.safetensors` tensor by tensor with plain reads, as the model asks for them, and
//! hands every tensor (from safetensors or [`crate::marian::pth`]) to the model through one backend that
//! checks its shape against what the config asks for and makes errors name the file and the
//! tensor. Both readers check each tensor's values for NaN and infinity as they read it.
//!
//! candle's CPU tensors own their memory, so loading from a memory map copies every tensor out of it
//! while the mapped pages stay resident until loading ends: the peak is twice the weights. Reading
//! each tensor into its own buffer when the model asks for it, and forgetting it once handed out,
//! keeps the peak at the weights' size even where a layer repacks its weights at load (see
//! [`crate::kernels::packed`]); from a warm page cache it costs no more time (measured in the README's Speed
//! section). The format is an 8-byte little-endian header length, a JSON header (name → dtype,
//! shape, byte range), then the data. Every range is checked against the file's size before
//! anything is allocated for it.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use anyhow::{anyhow, bail, ensure, Context, Result};
use candle_core::{DType, Device, Shape, Tensor};
use candle_nn::var_builder::SimpleBackend;
use candle_nn::VarBuilder;
use serde::Deserialize;

use super::tensor_bytes::{all_finite, check_finite, checked_bytes, not_found, read_f32};

/// Largest header accepted, as in the safetensors specification (100 MB).
const MAX_HEADER: u64 = 100_000_000;

#[derive(Deserialize)]
struct Entry {
    dtype: String,
    shape: Vec<usize>,
    data_offsets: (u64, u64),
}

/// A `VarBuilder` over a safetensors file (F32, F16, BF16 or F64 tensors). The header is checked
/// here; each tensor is read when first asked for, and can be asked for once.
pub fn safetensors(path: &Path, dtype: DType, device: &Device) -> Result<VarBuilder<'static>> {
    let file = crate::files::open(path)?;
    let file = Safetensors::open(file).with_context(|| path.display().to_string())?;
    Ok(TakeOnce {
        tensors: Tensors::File(file),
        path: path.to_path_buf(),
    }
    .builder(dtype, device))
}

/// A `VarBuilder` over a `pytorch_model.bin` (see [`crate::marian::pth`]): as for safetensors, each tensor
/// is read when first asked for and handed out once, so loading never holds the whole file beside
/// the repacked weights.
pub fn pytorch(path: &Path, dtype: DType, device: &Device) -> Result<VarBuilder<'static>> {
    let file = crate::marian::pth::open(path)?;
    Ok(TakeOnce {
        tensors: Tensors::Pytorch(Mutex::new(file)),
        path: path.to_path_buf(),
    }
    .builder(dtype, device))
}

/// The tensors of one weights file behind a `VarBuilder` that hands each out once and forgets it.
struct TakeOnce {
    tensors: Tensors,
    /// The file, for messages.
    path: PathBuf,
}

enum Tensors {
    /// `model.safetensors`, read when asked for.
    File(Safetensors),
    /// `pytorch_model.bin`, read when asked for.
    Pytorch(Mutex<crate::marian::pth::Pth<BufReader<File>>>),
}

/// Where one tensor lies in a safetensors file.
struct Place {
    dtype: DType,
    shape: Vec<usize>,
    /// Absolute byte offset.
    offset: u64,
    bytes: usize,
}

struct Safetensors {
    /// An entry leaves the map when its tensor is read.
    entries: Mutex<HashMap<String, Place>>,
    file: Mutex<File>,
}

impl Safetensors {
    fn open(file: File) -> Result<Self> {
        let file_len = file
            .metadata()
            .map_err(|e| anyhow!("cannot read ({})", crate::files::io_reason(&e)))?
            .len();
        let mut file = file;
        let mut len = [0u8; 8];
        file.read_exact(&mut len)
            .map_err(|_| anyhow!("shorter than a safetensors header"))?;
        let header_len = u64::from_le_bytes(len);
        ensure!(
            header_len <= MAX_HEADER && header_len <= file_len.saturating_sub(8),
            "not a safetensors file (header length {header_len} in a file of {file_len} bytes)"
        );
        let mut header = vec![0u8; header_len as usize];
        file.read_exact(&mut header)
            .map_err(|e| anyhow!("cannot read the header ({})", crate::files::io_reason(&e)))?;
        let entries = parse_header(&header, file_len - 8 - header_len)?
            .into_iter()
            .map(|(name, mut place)| {
                place.offset += 8 + header_len;
                (name, place)
            })
            .collect();
        Ok(Self {
            entries: Mutex::new(entries),
            file: Mutex::new(file),
        })
    }

    fn read(&self, name: &str) -> Result<Tensor> {
        let place = lock(&self.entries)
            .remove(name)
            .ok_or_else(|| not_found(name))?;
        let mut file = lock(&self.file);
        file.seek(SeekFrom::Start(place.offset))
            .map_err(|e| anyhow!("tensor {name}: {}", crate::files::io_reason(&e)))?;
        let short = |e: std::io::Error| anyhow!("tensor {name}: {}", crate::files::io_reason(&e));
        if place.dtype == DType::F32 {
            let mut values = vec![0f32; place.bytes / 4];
            let finite = read_f32(&mut *file, &mut values, |_| {}).map_err(short)?;
            check_finite(name, finite)?;
            return Ok(Tensor::from_vec(values, place.shape, &Device::Cpu)?);
        }
        ensure!(
            cfg!(target_endian = "little"),
            "tensor {name}: {:?} weights are only read on little-endian machines",
            place.dtype
        );
        let mut bytes = vec![0u8; place.bytes];
        file.read_exact(&mut bytes).map_err(short)?;
        let tensor = Tensor::from_raw_buffer(&bytes, place.dtype, &place.shape, &Device::Cpu)?;
        check_finite(name, all_finite(&tensor)?)?;
        Ok(tensor)
    }
}

/// A safetensors header's tensors, offsets relative to the data that follows it, each range
/// checked against the `data_len` bytes there.
fn parse_header(header: &[u8], data_len: u64) -> Result<HashMap<String, Place>> {
    let raw: HashMap<String, serde_json::Value> = serde_json::from_slice(header)
        .map_err(|e| anyhow!("the safetensors header is not a JSON object ({e})"))?;
    let mut places = HashMap::with_capacity(raw.len());
    for (name, value) in raw {
        if name == "__metadata__" {
            continue;
        }
        let entry: Entry = serde_json::from_value(value)
            .map_err(|e| anyhow!("tensor {name}: bad header entry ({e})"))?;
        let dtype = match entry.dtype.as_str() {
            "F32" => DType::F32,
            "F16" => DType::F16,
            "BF16" => DType::BF16,
            "F64" => DType::F64,
            other => bail!("tensor {name}: dtype {other} is not supported"),
        };
        let bytes = checked_bytes(&entry.shape, dtype.size_in_bytes(), data_len)
            .with_context(|| format!("tensor {name}"))?;
        let (start, end) = entry.data_offsets;
        ensure!(
            start <= end && end - start == bytes as u64,
            "tensor {name}: bytes {start}..{end} do not hold shape {:?} of {}",
            entry.shape,
            entry.dtype
        );
        // Checked for every tensor up front, so that a truncated download fails before loading.
        ensure!(
            end <= data_len,
            "tensor {name} runs past the end of the file (truncated download?)"
        );
        places.insert(
            name,
            Place {
                dtype,
                shape: entry.shape,
                offset: start,
                bytes,
            },
        );
    }
    Ok(places)
}

impl TakeOnce {
    fn builder(self, dtype: DType, device: &Device) -> VarBuilder<'static> {
        VarBuilder::from_backend(Box::new(self), dtype, device.clone())
    }

    /// The tensor `name` as stored (its reader checks that it is finite), checked, with `shape`, to
    /// have that shape.
    fn take(&self, name: &str, shape: Option<&Shape>) -> Result<Tensor> {
        let tensor = match &self.tensors {
            Tensors::File(file) => file.read(name)?,
            Tensors::Pytorch(file) => lock(file).take(name)?,
        };
        if let Some(shape) = shape {
            ensure!(
                tensor.shape() == shape,
                "tensor {name} has shape {:?} where the config asks for {:?}",
                tensor.dims(),
                shape.dims()
            );
        }
        Ok(tensor)
    }

    fn get_as(
        &self,
        name: &str,
        shape: Option<&Shape>,
        dtype: DType,
        device: &Device,
    ) -> candle_core::Result<Tensor> {
        let tensor = self
            .take(name, shape)
            .and_then(|t| Ok(t.to_device(device)?.to_dtype(dtype)?));
        tensor.map_err(|e| candle_core::Error::Msg(format!("{}: {e:#}", self.path.display())))
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
        self.get_as(name, Some(&shape), dtype, device)
    }

    fn get_unchecked(
        &self,
        name: &str,
        dtype: DType,
        device: &Device,
    ) -> candle_core::Result<Tensor> {
        self.get_as(name, None, dtype, device)
    }

    fn contains_tensor(&self, name: &str) -> bool {
        match &self.tensors {
            Tensors::File(file) => lock(&file.entries).contains_key(name),
            Tensors::Pytorch(file) => lock(file).contains(name),
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn file(header: &str, data: &[u8]) -> tempfile::NamedTempFile {
        let mut bytes = (header.len() as u64).to_le_bytes().to_vec();
        bytes.extend(header.as_bytes());
        bytes.extend(data);
        let f = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(f.path(), bytes).unwrap();
        f
    }

    fn f32_bytes(values: &[f32]) -> Vec<u8> {
        values.iter().flat_map(|v| v.to_le_bytes()).collect()
    }

    fn open_err(f: &tempfile::NamedTempFile) -> String {
        match safetensors(f.path(), DType::F32, &Device::Cpu) {
            Err(e) => format!("{e:#}"),
            Ok(_) => panic!("accepted"),
        }
    }

    #[test]
    fn reads_tensors_by_their_offsets() {
        // Listed out of file order, with metadata.
        let f = file(
            r#"{"b":{"dtype":"F32","shape":[1],"data_offsets":[16,20]},"__metadata__":{"format":"pt"},"a":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]}}"#,
            &f32_bytes(&[1.0, 2.0, 3.0, 4.0, 5.0]),
        );
        let vb = safetensors(f.path(), DType::F32, &Device::Cpu).unwrap();
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
    fn half_precision_tensors_are_read_and_converted() {
        // 1.5 and -2.0 in IEEE half precision.
        let data: Vec<u8> = [0x3e00u16, 0xc000]
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect();
        let f = file(
            r#"{"a":{"dtype":"F16","shape":[2],"data_offsets":[0,4]}}"#,
            &data,
        );
        let vb = safetensors(f.path(), DType::F32, &Device::Cpu).unwrap();
        assert_eq!(
            vb.get(2, "a").unwrap().to_vec1::<f32>().unwrap(),
            vec![1.5, -2.0]
        );
    }

    #[test]
    fn sizes_beyond_the_file_are_refused_before_allocating() {
        for header in [
            // Truncated: the range runs past the data.
            r#"{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}"#,
            // 2^62 elements: the byte count overflows.
            r#"{"a":{"dtype":"F32","shape":[4611686018427387904],"data_offsets":[0,8]}}"#,
            r#"{"a":{"dtype":"F32","shape":[1000000,1000000],"data_offsets":[0,8]}}"#,
            // Range and shape disagree.
            r#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,0]}}"#,
            r#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,8]}}"#,
            r#"{"a":{"dtype":"I64","shape":[1],"data_offsets":[0,8]}}"#,
            r#"{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,8]}}"#,
        ] {
            let err = open_err(&file(header, &[0; 8]));
            assert!(err.contains("tensor a"), "{header}: {err}");
        }
        let mut huge = u64::MAX.to_le_bytes().to_vec();
        huge.extend(b"{}");
        let f = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(f.path(), huge).unwrap();
        assert!(open_err(&f).contains("header length"));
    }

    #[test]
    fn bad_tensors_are_refused_naming_the_file_and_tensor() {
        let f = file(
            r#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}}"#,
            &f32_bytes(&[1.0, f32::NAN, 1.0, 2.0]),
        );
        let vb = safetensors(f.path(), DType::F32, &Device::Cpu).unwrap();
        let path = f.path().display().to_string();
        let err = vb.get(2, "a").unwrap_err().to_string();
        assert!(
            err.starts_with(&path) && err.contains("tensor a holds NaN"),
            "{err}"
        );
        let err = vb.get(3, "b").unwrap_err().to_string();
        assert!(
            err.starts_with(&path) && err.contains("tensor b has shape [2]"),
            "{err}"
        );
        let err = vb.get(3, "c").unwrap_err().to_string();
        assert!(
            err.starts_with(&path) && err.contains("tensor c is missing"),
            "{err}"
        );
    }

    const FIXTURE: &[u8] = include_bytes!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/models/fixture/model.safetensors"
    ));

    /// The fixture's header, and the length of the data after it.
    fn fixture_header() -> (&'static [u8], u64) {
        let len = u64::from_le_bytes(FIXTURE[..8].try_into().unwrap()) as usize;
        (&FIXTURE[8..8 + len], (FIXTURE.len() - 8 - len) as u64)
    }

    /// What any accepted header must satisfy: every tensor inside the data, at its stated size.
    fn assert_within(places: &HashMap<String, Place>, data_len: u64) {
        for p in places.values() {
            assert!(p.offset + p.bytes as u64 <= data_len);
            let elements: usize = p.shape.iter().product();
            assert_eq!(elements * p.dtype.size_in_bytes(), p.bytes);
        }
    }

    #[test]
    fn fixture_header_is_accepted() {
        let (header, data_len) = fixture_header();
        let places = parse_header(header, data_len).unwrap();
        assert!(places.contains_key("model.shared.weight"));
        assert_within(&places, data_len);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn arbitrary_headers_never_panic(
            header in proptest::collection::vec(any::<u8>(), 0..256),
            data_len in any::<u64>(),
        ) {
            if let Ok(places) = parse_header(&header, data_len % (1 << 20)) {
                assert_within(&places, data_len % (1 << 20));
            }
        }

        #[test]
        fn mutated_fixture_headers_stay_within_the_file(
            edits in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..8),
            digits in proptest::collection::vec((any::<usize>(), b'0'..=b'9'), 0..8),
        ) {
            let (header, data_len) = fixture_header();
            let mut header = header.to_vec();
            for (at, byte) in edits {
                let at = at % header.len();
                header[at] = byte;
            }
            // Digits replace digits: offsets and shapes change, the JSON mostly stays valid.
            let positions: Vec<usize> =
                (0..header.len()).filter(|&i| header[i].is_ascii_digit()).collect();
            for (at, digit) in digits {
                if !positions.is_empty() {
                    header[positions[at % positions.len()]] = digit;
                }
            }
            if let Ok(places) = parse_header(&header, data_len) {
                assert_within(&places, data_len);
            }
        }
    }
}
