//! Reader for PyTorch's legacy (non-zip) `torch.save` format.
//!
//! opus-mt `pytorch_model.bin` files uploaded around 2020 may be in this format (written by
//! torch < 1.6, or with `_use_new_zipfile_serialization=False`), and `candle_core::pickle` only
//! reads the zip format that replaced it. A legacy file is a run of pickles followed by raw data:
//! the magic number, the protocol version (1001), a `sys_info` dict, the saved object (whose tensors
//! name their storage through pickle persistent ids), the list of storage keys, and then each of
//! those storages in that order, as an 8-byte little-endian element count and the elements. The
//! pickles are decoded with candle's own pickle machine ([`candle_core::pickle::Stack`]).

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::Path;

use anyhow::{bail, ensure, Context, Result};
use candle_core::pickle::{Object, Stack};
use candle_core::{DType, Device, Tensor};

/// `torch.serialization.MAGIC_NUMBER` pickled with protocol 2, torch's default and the only one
/// read here: PROTO 2, a 10-byte LONG1, STOP.
const MAGIC: &[u8] = b"\x80\x02\x8a\x0al\xfc\x9cF\xf9 j\xa8P\x19.";
/// `torch.serialization.PROTOCOL_VERSION`, the only legacy version there is.
const PROTOCOL_VERSION: i32 = 1001;
/// Pickle opcode for an integer of N little-endian bytes.
const LONG1: u8 = 0x8a;

/// True if the file at `path` is a legacy (non-zip) `torch.save` file, i.e. starts with torch's
/// pickled magic number; false for zip checkpoints (which start with `PK\x03\x04`) and anything else.
pub fn is_legacy(path: &Path) -> Result<bool> {
    let file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let head = read_head(file).with_context(|| format!("cannot read {}", path.display()))?;
    Ok(head == MAGIC)
}

/// Reads every tensor of a legacy `torch.save` state dict into CPU tensors in their stored dtype.
///
/// The saved object must be a dict (an `OrderedDict` state dict, possibly with nested dicts, whose
/// names are joined with "."); entries that are not tensors are skipped. Entries saved as the same
/// tensor (tied weights) share one candle tensor; other views of a storage (offsets, transposes,
/// any strides) are copied out contiguous. Supported storages: float32,
/// float16, bfloat16, float64, int64, int32, int16, uint8 and bool (read as 0/1 `u8`). The result
/// is sorted by name.
pub fn read_legacy(path: &Path) -> Result<Vec<(String, Tensor)>> {
    let file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    read_legacy_from(BufReader::new(file))
        .with_context(|| format!("cannot read legacy torch file {}", path.display()))
}

/// [`read_legacy`] on any seekable reader (tests feed it in-memory bytes).
fn read_legacy_from<R: BufRead + Seek>(mut r: R) -> Result<Vec<(String, Tensor)>> {
    // Storage bytes are handed to candle as native-endian elements.
    ensure!(
        cfg!(target_endian = "little"),
        "legacy torch files are only read on little-endian machines"
    );
    let file_len = r.seek(SeekFrom::End(0))?;
    r.seek(SeekFrom::Start(0))?;

    let head = read_head(&mut r)?;
    if head != MAGIC {
        if head.starts_with(b"PK\x03\x04") {
            bail!("this is a zip-format torch file, not a legacy one: read it with candle_core::pickle");
        }
        bail!("not a legacy torch.save file: the magic number is missing");
    }
    let version = read_pickle(&mut r).context("cannot read the protocol version")?;
    match version {
        Object::Int(v) if v == PROTOCOL_VERSION => {}
        other => bail!("unsupported legacy protocol version {other:?}"),
    }
    let sys_info = read_pickle(&mut r).context("cannot read the sys_info pickle")?;
    let little_endian = match &sys_info {
        Object::Dict(entries) => entries.iter().find_map(|(k, v)| match (k, v) {
            (Object::Unicode(k), Object::Bool(b)) if k == "little_endian" => Some(*b),
            _ => None,
        }),
        _ => None,
    };
    ensure!(
        little_endian == Some(true),
        "only little-endian files are supported (sys_info: {sys_info:?})"
    );
    let root = read_pickle(&mut r).context("cannot read the pickled state dict")?;
    let keys = match read_pickle(&mut r).context("cannot read the storage key list")? {
        Object::List(keys) => keys,
        other => bail!("the storage key list is not a list: {other:?}"),
    };

    let mut storages = HashMap::new();
    collect_storages(&root, &mut storages)?;
    let Object::Dict(entries) = &root else {
        bail!("the saved object is not a dict of tensors (a state dict)");
    };
    collect_tensors("", entries, &mut storages)?;

    let mut tensors: Vec<(String, Tensor)> = Vec::new();
    for key in keys {
        let Object::Unicode(key) = key else {
            bail!("storage key {key:?} is not a string");
        };
        let storage = storages
            .remove(&key)
            .with_context(|| format!("storage {key} is listed twice or not named in the pickle"))?;
        let data = read_storage(&mut r, &key, &storage, file_len)?;
        let first = tensors.len();
        for (i, view) in storage.views.iter().enumerate() {
            // Tied weights are one view saved under several names: they share one tensor, which
            // is safe as candle tensors are immutable, and saves a copy of each tied embedding.
            let same = storage.views[..i].iter().position(|v| {
                (v.offset, &v.shape, &v.stride) == (view.offset, &view.shape, &view.stride)
            });
            let tensor = match same {
                Some(j) => tensors[first + j].1.clone(),
                None => view
                    .materialise(storage.dtype, &data)
                    .with_context(|| format!("bad layout for tensor {}", view.name))?,
            };
            tensors.push((view.name.clone(), tensor));
        }
    }
    if let Some(key) = storages.keys().next() {
        bail!("storage {key} is named in the pickle but missing from the file");
    }
    tensors.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(tensors)
}

/// The first `MAGIC.len()` bytes, or all of them in a shorter file.
fn read_head(r: impl Read) -> std::io::Result<Vec<u8>> {
    let mut head = Vec::with_capacity(MAGIC.len());
    r.take(MAGIC.len() as u64).read_to_end(&mut head)?;
    Ok(head)
}

/// Decodes the next pickle in the stream with candle's pickle machine.
fn read_pickle<R: BufRead + Seek>(r: &mut R) -> Result<Object> {
    let mut stack = Stack::empty();
    loop {
        // candle decodes LONG1 by shifting an i64 one byte at a time, which overflows (a panic in
        // debug builds) past 8 bytes, so such integers are refused before it sees them. To see the
        // opcode and its length byte together, an almost-empty buffer is dropped and refilled
        // (seeking discards a BufReader's buffer).
        if r.fill_buf()?.len() < 2 {
            let pos = r.stream_position()?;
            r.seek(SeekFrom::Start(pos))?;
        }
        if let [LONG1, n, ..] = r.fill_buf()? {
            ensure!(*n <= 8, "pickled integer of {n} bytes is too large");
        }
        if stack.read(r)? {
            return Ok(stack.finalize()?);
        }
    }
}

/// Reads one storage's element count and data, which follow the pickles in key-list order.
fn read_storage<R: Read + Seek>(
    r: &mut R,
    key: &str,
    storage: &Storage,
    file_len: u64,
) -> Result<Vec<u8>> {
    let mut count = [0u8; 8];
    r.read_exact(&mut count)
        .with_context(|| format!("truncated file: storage {key} is missing"))?;
    let count = u64::from_le_bytes(count);
    ensure!(
        count == storage.numel as u64,
        "storage {key} holds {count} elements but its tensors expect {}",
        storage.numel
    );
    let nbytes = storage
        .numel
        .checked_mul(storage.dtype.size_in_bytes())
        .with_context(|| format!("storage {key} is too large"))?;
    // Checked before allocating, so that a corrupt count cannot ask for more memory than the file has.
    let left = file_len.saturating_sub(r.stream_position()?);
    ensure!(
        nbytes as u64 <= left,
        "truncated file: storage {key} needs {nbytes} bytes, {left} are left"
    );
    let mut data = vec![0u8; nbytes];
    r.read_exact(&mut data)?;
    Ok(data)
}

/// A storage as the pickle describes it, and the tensors that view it.
struct Storage {
    dtype: DType,
    numel: usize,
    views: Vec<View>,
}

/// A tensor's place in its storage, in elements.
struct View {
    name: String,
    offset: usize,
    shape: Vec<usize>,
    stride: Vec<usize>,
}

/// The persistent id `('storage', storage_type, root_key, location, numel, view_metadata)`.
struct StorageId<'a> {
    key: &'a str,
    dtype: DType,
    numel: usize,
    /// Where a storage view (from very old torch) starts in its root storage.
    view_offset: usize,
}

/// Records every storage the pickle names, wherever it is, so that each one's bytes can be read
/// (or passed over) even when no state-dict entry uses it.
fn collect_storages(obj: &Object, storages: &mut HashMap<String, Storage>) -> Result<()> {
    match obj {
        Object::PersistentLoad(id) => {
            let id = parse_storage_id(id)?;
            match storages.get(id.key) {
                Some(s) => ensure!(
                    s.dtype == id.dtype && s.numel == id.numel,
                    "storage {} is described in two different ways",
                    id.key
                ),
                None => {
                    let storage = Storage {
                        dtype: id.dtype,
                        numel: id.numel,
                        views: Vec::new(),
                    };
                    storages.insert(id.key.to_string(), storage);
                }
            }
        }
        Object::Tuple(items) | Object::List(items) => {
            for item in items {
                collect_storages(item, storages)?;
            }
        }
        Object::Dict(entries) => {
            for (key, value) in entries {
                collect_storages(key, storages)?;
                collect_storages(value, storages)?;
            }
        }
        Object::Reduce { callable, args } | Object::Build { callable, args } => {
            collect_storages(callable, storages)?;
            collect_storages(args, storages)?;
        }
        _ => {}
    }
    Ok(())
}

/// Adds a view to its storage for every tensor in the dict, recursing into nested dicts.
fn collect_tensors(
    prefix: &str,
    entries: &[(Object, Object)],
    storages: &mut HashMap<String, Storage>,
) -> Result<()> {
    for (key, value) in entries {
        let key = match key {
            Object::Unicode(key) => key.clone(),
            Object::Int(key) => key.to_string(),
            Object::Long(key) => key.to_string(),
            _ => continue,
        };
        let name = if prefix.is_empty() {
            key
        } else {
            format!("{prefix}.{key}")
        };
        if let Object::Dict(nested) = value {
            collect_tensors(&name, nested, storages)?;
        } else if let Some((id, offset, shape, stride)) =
            parse_tensor(value).with_context(|| format!("cannot read tensor {name}"))?
        {
            let offset = offset
                .checked_add(id.view_offset)
                .with_context(|| format!("bad storage offset for tensor {name}"))?;
            let storage = storages
                .get_mut(id.key)
                .with_context(|| format!("storage {} of tensor {name} is unknown", id.key))?;
            storage.views.push(View {
                name,
                offset,
                shape,
                stride,
            });
        }
    }
    Ok(())
}

/// A tensor's storage, offset, size and stride, or `None` when `obj` is not a tensor.
type TensorParts<'a> = (StorageId<'a>, usize, Vec<usize>, Vec<usize>);

fn parse_tensor(obj: &Object) -> Result<Option<TensorParts<'_>>> {
    match obj {
        Object::Reduce { callable, args } => parse_rebuild(callable, args),
        _ => Ok(None),
    }
}

/// [`parse_tensor`] for the reduce call `callable(*args)`.
fn parse_rebuild<'a>(callable: &'a Object, args: &'a Object) -> Result<Option<TensorParts<'a>>> {
    let (
        Object::Class {
            module_name,
            class_name,
        },
        Object::Tuple(args),
    ) = (callable, args)
    else {
        return Ok(None);
    };
    match (module_name.as_str(), class_name.as_str()) {
        // (storage, storage_offset, size, stride, ...): requires_grad and hooks do not matter here.
        ("torch._utils", "_rebuild_tensor_v2" | "_rebuild_tensor") => {
            let [storage, offset, size, stride, ..] = args.as_slice() else {
                bail!("{class_name} has {} arguments", args.len());
            };
            let Object::PersistentLoad(id) = storage else {
                bail!("the tensor's storage is not a persistent id");
            };
            let shape = usizes(size, "size")?;
            let stride = usizes(stride, "stride")?;
            ensure!(
                shape.len() == stride.len(),
                "size {shape:?} and stride {stride:?} differ in rank"
            );
            Ok(Some((
                parse_storage_id(id)?,
                usize_arg(offset, "storage offset")?,
                shape,
                stride,
            )))
        }
        // nn.Parameter wraps the tensor's own reduce call as its first argument.
        ("torch._utils", "_rebuild_parameter" | "_rebuild_parameter_with_state") => {
            let data = args.first().context("a parameter without data")?;
            Ok(Some(
                parse_tensor(data)?.context("a parameter without a tensor")?,
            ))
        }
        // Tensor subclasses: (rebuild function, type, its arguments, state).
        ("torch._tensor", "_rebuild_from_type_v2") => {
            let [func, _, func_args, ..] = args.as_slice() else {
                bail!("{class_name} has {} arguments", args.len());
            };
            Ok(Some(
                parse_rebuild(func, func_args)?.context("a tensor subclass without a tensor")?,
            ))
        }
        (module, class) if module.starts_with("torch") && class.starts_with("_rebuild") => {
            bail!("unsupported tensor kind {module}.{class}")
        }
        _ => Ok(None),
    }
}

fn parse_storage_id(id: &Object) -> Result<StorageId<'_>> {
    let Object::Tuple(fields) = id else {
        bail!("persistent id {id:?} is not a tuple");
    };
    let [Object::Unicode(tag), storage_type, Object::Unicode(key), _location, numel, view] =
        fields.as_slice()
    else {
        bail!("unexpected persistent id {id:?}");
    };
    ensure!(tag == "storage", "unexpected persistent id {id:?}");
    let dtype = match storage_type {
        Object::Class {
            module_name,
            class_name,
        } if module_name == "torch" => match class_name.as_str() {
            "FloatStorage" => DType::F32,
            "HalfStorage" => DType::F16,
            "BFloat16Storage" => DType::BF16,
            "DoubleStorage" => DType::F64,
            "LongStorage" => DType::I64,
            "IntStorage" => DType::I32,
            "ShortStorage" => DType::I16,
            // torch stores bools as one byte each, 0 or 1; candle has no bool dtype.
            "ByteStorage" | "BoolStorage" => DType::U8,
            other => bail!("unsupported storage type torch.{other}"),
        },
        other => bail!("unsupported storage type {other:?}"),
    };
    // `(view_key, offset, view_size)` when the tensor's storage was a slice of the root storage.
    let view_offset = match view {
        Object::None => 0,
        Object::Tuple(view) => match view.as_slice() {
            [_, offset, _] => usize_arg(offset, "storage view offset")?,
            _ => bail!("unexpected storage view {view:?}"),
        },
        other => bail!("unexpected storage view {other:?}"),
    };
    Ok(StorageId {
        key,
        dtype,
        numel: usize_arg(numel, "storage size")?,
        view_offset,
    })
}

fn usize_arg(obj: &Object, what: &str) -> Result<usize> {
    let value = match obj {
        Object::Int(v) => i64::from(*v),
        Object::Long(v) => *v,
        other => bail!("{what} is not an integer: {other:?}"),
    };
    usize::try_from(value).with_context(|| format!("{what} {value} is out of range"))
}

fn usizes(obj: &Object, what: &str) -> Result<Vec<usize>> {
    match obj {
        Object::Tuple(items) => items.iter().map(|item| usize_arg(item, what)).collect(),
        other => bail!("{what} is not a tuple: {other:?}"),
    }
}

impl View {
    /// Copies the view's elements out of the storage bytes into a contiguous tensor.
    fn materialise(&self, dtype: DType, data: &[u8]) -> Result<Tensor> {
        let elem = dtype.size_in_bytes();
        let numel = self
            .shape
            .iter()
            .try_fold(1usize, |n, &d| n.checked_mul(d))
            .context("too many elements")?;
        if numel == 0 {
            return Ok(Tensor::from_raw_buffer(
                &[],
                dtype,
                &self.shape,
                &Device::Cpu,
            )?);
        }
        // The last element's position; every other one lies between `offset` and it.
        let last = self
            .shape
            .iter()
            .zip(&self.stride)
            .try_fold(self.offset, |pos, (&d, &s)| {
                (d - 1)
                    .checked_mul(s)
                    .and_then(|step| pos.checked_add(step))
            })
            .context("strides overflow")?;
        let storage_numel = data.len() / elem;
        ensure!(
            last < storage_numel,
            "offset {} with size {:?} and stride {:?} runs past its storage of {storage_numel} elements",
            self.offset,
            self.shape,
            self.stride
        );
        if self.is_row_major() {
            let bytes = &data[self.offset * elem..(self.offset + numel) * elem];
            return Ok(Tensor::from_raw_buffer(
                bytes,
                dtype,
                &self.shape,
                &Device::Cpu,
            )?);
        }
        let nbytes = numel.checked_mul(elem).context("too many elements")?;
        let mut out = Vec::new();
        // Stride 0 can make a view much larger than its storage: fail cleanly if memory runs out.
        out.try_reserve_exact(nbytes)
            .with_context(|| format!("cannot allocate {nbytes} bytes"))?;
        let mut index = vec![0usize; self.shape.len()];
        let mut pos = self.offset;
        for _ in 0..numel {
            out.extend_from_slice(&data[pos * elem..(pos + 1) * elem]);
            // Odometer step: positions never leave [offset, last], so nothing can overflow.
            for d in (0..index.len()).rev() {
                if index[d] + 1 < self.shape[d] {
                    index[d] += 1;
                    pos += self.stride[d];
                    break;
                }
                pos -= index[d] * self.stride[d];
                index[d] = 0;
            }
        }
        Ok(Tensor::from_raw_buffer(
            &out,
            dtype,
            &self.shape,
            &Device::Cpu,
        )?)
    }

    /// Whether the elements lie in order and without gaps (size-1 dimensions may have any stride).
    fn is_row_major(&self) -> bool {
        let mut expected = 1;
        for (&d, &s) in self.shape.iter().zip(&self.stride).rev() {
            if d != 1 && s != expected {
                return false;
            }
            expected *= d;
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Cursor, Write};

    // Written by scripts/make_pth_fixture.py; see there for what each file holds.
    const LEGACY: &[u8] = include_bytes!("../tests/data/pth-legacy.pth");
    const ZIP: &[u8] = include_bytes!("../tests/data/pth-zip.pth");
    const LEGACY_EXTRA: &[u8] = include_bytes!("../tests/data/pth-legacy-extra.pth");
    const EXPECTED: &str = include_str!("../tests/data/pth-expected.json");

    fn temp_file(bytes: &[u8]) -> tempfile::NamedTempFile {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        file.write_all(bytes).unwrap();
        file.flush().unwrap();
        file
    }

    fn values(tensor: &Tensor) -> Vec<f64> {
        tensor
            .flatten_all()
            .unwrap()
            .to_dtype(DType::F64)
            .unwrap()
            .to_vec1()
            .unwrap()
    }

    /// Checks a legacy fixture against the dtypes, shapes and values the script wrote.
    fn check_expected(fixture: &str, bytes: &[u8]) {
        let file = temp_file(bytes);
        let tensors = read_legacy(file.path()).unwrap();
        let expected: serde_json::Value = serde_json::from_str(EXPECTED).unwrap();
        let expected = expected[fixture].as_object().unwrap();
        let mut names: Vec<&str> = expected.keys().map(String::as_str).collect();
        names.sort();
        let got: Vec<&str> = tensors.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(got, names, "{fixture}: tensor names");
        for (name, tensor) in &tensors {
            let want = &expected[name];
            assert_eq!(tensor.dtype().as_str(), want["dtype"], "{name}: dtype");
            let shape: Vec<usize> = serde_json::from_value(want["shape"].clone()).unwrap();
            assert_eq!(tensor.dims(), shape.as_slice(), "{name}: shape");
            let want: Vec<f64> = serde_json::from_value(want["values"].clone()).unwrap();
            assert_eq!(values(tensor), want, "{name}: values");
            assert!(tensor.is_contiguous(), "{name}: not contiguous");
        }
    }

    #[test]
    fn reads_legacy_state_dict() {
        check_expected("pth-legacy.pth", LEGACY);
    }

    #[test]
    fn tied_entries_share_one_tensor() {
        let tensors: HashMap<String, Tensor> = read_legacy(temp_file(LEGACY).path())
            .unwrap()
            .into_iter()
            .collect();
        assert_eq!(
            tensors["model.shared.weight"].id(),
            tensors["lm_head.weight"].id()
        );
        // A different view of the same storage is its own tensor.
        assert_ne!(
            tensors["model.shared.weight"].id(),
            tensors["model.shared.tail"].id()
        );
    }

    #[test]
    fn reads_nested_dicts_strided_views_and_other_dtypes() {
        check_expected("pth-legacy-extra.pth", LEGACY_EXTRA);
    }

    #[test]
    fn legacy_and_zip_files_give_identical_tensors() {
        let legacy = read_legacy(temp_file(LEGACY).path()).unwrap();
        let zip_file = temp_file(ZIP);
        let zip: HashMap<String, Tensor> = candle_core::pickle::read_all(zip_file.path())
            .unwrap()
            .into_iter()
            .collect();
        assert_eq!(legacy.len(), zip.len());
        for (name, tensor) in &legacy {
            let other = &zip[name];
            assert_eq!(tensor.dtype(), other.dtype(), "{name}: dtype");
            assert_eq!(tensor.dims(), other.dims(), "{name}: shape");
            assert_eq!(values(tensor), values(other), "{name}: values");
        }
    }

    #[test]
    fn is_legacy_tells_the_formats_apart() {
        assert!(is_legacy(temp_file(LEGACY).path()).unwrap());
        assert!(!is_legacy(temp_file(ZIP).path()).unwrap());
        assert!(!is_legacy(temp_file(b"").path()).unwrap());
        assert!(!is_legacy(temp_file(&LEGACY[..10]).path()).unwrap());
        assert!(is_legacy(Path::new("/nonexistent/pytorch_model.bin")).is_err());
    }

    #[test]
    fn every_truncation_is_an_error() {
        for len in 0..LEGACY_EXTRA.len() {
            let result = read_legacy_from(Cursor::new(&LEGACY_EXTRA[..len]));
            assert!(result.is_err(), "a file cut at {len} bytes was read");
        }
        read_legacy(temp_file(&LEGACY[..LEGACY.len() - 1]).path()).unwrap_err();
    }

    #[test]
    fn other_files_are_errors() {
        let err = read_legacy(temp_file(ZIP).path()).unwrap_err();
        assert!(format!("{err:#}").contains("zip-format"), "{err:#}");
        let err = read_legacy(temp_file(b"not a pickle at all").path()).unwrap_err();
        assert!(format!("{err:#}").contains("magic number"), "{err:#}");
        assert!(read_legacy(Path::new("/nonexistent/pytorch_model.bin")).is_err());
        // Magic number, then garbage where the protocol version should be.
        let mut bytes = MAGIC.to_vec();
        bytes.extend_from_slice(b"\xffgarbage");
        assert!(read_legacy_from(Cursor::new(bytes)).is_err());
    }

    #[test]
    fn oversized_pickled_integer_is_an_error() {
        // candle's pickle reader would overflow on this 9-byte LONG1 (a panic in debug builds).
        let mut bytes = MAGIC.to_vec();
        bytes.extend_from_slice(b"\x80\x02\x8a\x09\x01\x02\x03\x04\x05\x06\x07\x08\x09.");
        let err = read_legacy_from(Cursor::new(bytes)).unwrap_err();
        assert!(format!("{err:#}").contains("too large"), "{err:#}");
    }

    #[test]
    fn corrupt_storage_count_is_an_error() {
        // The first storage's element count directly follows the key-list pickle, the last STOP.
        let mut bytes = LEGACY.to_vec();
        let mut r = Cursor::new(&LEGACY[MAGIC.len()..]);
        for _ in 0..4 {
            read_pickle(&mut r).unwrap();
        }
        let count_at = MAGIC.len() + r.position() as usize;
        bytes[count_at..count_at + 8].copy_from_slice(&u64::MAX.to_le_bytes());
        let err = read_legacy_from(Cursor::new(bytes)).unwrap_err();
        assert!(format!("{err:#}").contains("elements"), "{err:#}");
    }
}
