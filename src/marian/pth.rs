//! Reader for `pytorch_model.bin`: PyTorch's zip format (torch ≥ 1.6) and the legacy format before it.
//!
//! opus-mt `pytorch_model.bin` files uploaded around 2020 may be in the legacy format (written by
//! torch < 1.6, or with `_use_new_zipfile_serialization=False`). A legacy file is a run of pickles
//! followed by raw data: the magic number, the protocol version (1001), a `sys_info` dict, the
//! saved object (whose tensors name their storage through pickle persistent ids), the list of
//! storage keys, and then each of those storages in that order, as an 8-byte little-endian element
//! count and the elements. A zip file holds the pickle as `<name>/data.pkl` and each storage as
//! `<name>/data/<key>`, stored uncompressed.
//!
//! A model file can come from anywhere, so both are read here rather than with
//! `candle_core::pickle`, which panics on some malformed pickles, can be made to clone objects
//! without bound, sizes tensors from the pickle before reading them and never checks the zip's
//! CRCs. Here the pickle machine (`Machine`) bounds what it builds by the bytes it has read and
//! never calls anything: a global outside what `torch.save` writes for a state dict is refused.
//! Every size is checked against the file (`tensor_bytes::checked_bytes`) when it is opened,
//! before anything is allocated; each storage is read only when the model asks for a tensor of it
//! (see [`Pth`]), and every zip entry read is checked against its CRC-32 as it is read.
//!
//! It is one file of one concern, the file format: the zip directory, the pickle machine and the
//! storage views share the size checks and the errors; their tests are the last fifth.
//!
//! Why not the `pytorch-reader` crate (Burn's, 0.22.1, weighed in issue 16): it reads the zip
//! and legacy fixtures correctly but fails this module's tests.
//! - `hostile_pickles_are_refused_without_running_anything`, and the model-fault row "pickle
//!   calling os.system": a pickle naming `os.system` or `builtins.eval` opens as a file of 0
//!   tensors instead of being refused (nothing runs, but no error names the global).
//! - `tied_entries_share_one_tensor`: its tensors carry no storage key, so the tied embedding is
//!   read four times.
//! - Its views are bounded by a 10 GiB constant, not by their storage's bytes (a 1.6 kB file asking
//!   for an expanded 4 GiB view aborts the process); it skips the CRC when it reads part of a
//!   storage; and it returns bytes that are copied again into a tensor, so reading the bench model
//!   tensor by tensor peaks at twice the largest tensor (225 MB), where this reader reads each
//!   storage straight into its tensor's buffer.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufRead, BufReader, Cursor, Read, Seek, SeekFrom};
use std::path::Path;

use anyhow::{anyhow, bail, ensure, Context, Result};
use candle_core::pickle::Object;
use candle_core::{DType, Device, Tensor};

use crate::marian::tensor_bytes::{
    all_finite, check_finite, checked_bytes, not_found, read_bytes, read_f32,
};

/// `torch.serialization.MAGIC_NUMBER` pickled with protocol 2, torch's default and the only one
/// read here: PROTO 2, a 10-byte LONG1, STOP.
const MAGIC: &[u8] = b"\x80\x02\x8a\x0al\xfc\x9cF\xf9 j\xa8P\x19.";
/// `torch.serialization.PROTOCOL_VERSION`, the only legacy version there is.
const PROTOCOL_VERSION: i32 = 1001;

/// Opens a `pytorch_model.bin` (zip or legacy format): decodes its pickle and checks where every
/// storage lies in the file; each tensor is then read when [`Pth::take`] asks for it. Errors name
/// the file.
pub fn open(path: &Path) -> Result<Pth<BufReader<File>>> {
    let file = crate::files::open(path)?;
    Pth::open(BufReader::new(file)).with_context(|| path.display().to_string())
}

/// The tensors of a `torch.save` state dict, each read from the file when asked for, so that
/// loading holds no storage beyond the one being read (the README's "no double peak").
///
/// The saved object must be a dict (an `OrderedDict` state dict, possibly with nested dicts, whose
/// names are joined with "."); entries that are not tensors are skipped. Tensors come out as CPU
/// tensors in their stored dtype; views of a storage at an offset, transposed or with any strides
/// are copied out contiguous. Supported storages: float32, float16, bfloat16, float64, int64,
/// int32, int16, uint8 and bool (read as 0/1 `u8`).
pub struct Pth<R> {
    r: R,
    storages: HashMap<String, Stored>,
    /// Tensor name → its storage's key and its place there; a name leaves when its tensor is read.
    views: HashMap<String, (String, View)>,
    /// The storage read last and the tensors made from it that a tied name still to be read
    /// shares (see [`Pth::take`]).
    last: Option<(String, Vec<(View, Tensor)>)>,
}

/// A storage's elements and where its bytes lie, checked against the file when it was opened.
struct Stored {
    dtype: DType,
    numel: usize,
    /// Where its data starts, and its length in bytes.
    offset: u64,
    bytes: usize,
    /// A zip entry's name and CRC-32, checked as the data is read; a legacy file has none.
    crc: Option<(String, u32)>,
}

/// Where a format puts a storage's bytes: offset, length and zip CRC.
type Place = (u64, usize, Option<(String, u32)>);

impl<R: BufRead + Seek> Pth<R> {
    /// Reads the pickle and every storage's place, from the start of `r`.
    fn open(mut r: R) -> Result<Self> {
        // Storage bytes are handed to candle as native-endian elements.
        ensure!(
            cfg!(target_endian = "little"),
            "torch files are only read on little-endian machines"
        );
        let head = read_head(&mut r).map_err(|e| anyhow!("{}", crate::files::io_reason(&e)))?;
        r.seek(SeekFrom::Start(0))?;
        let (storages, mut places) = if head.starts_with(b"PK\x03\x04") {
            zip_places(&mut r)?
        } else if head == MAGIC {
            legacy_places(&mut r)?
        } else {
            bail!("not a torch.save file (neither a zip archive nor torch's legacy magic number)")
        };
        let mut stored = HashMap::with_capacity(storages.len());
        let mut views = HashMap::new();
        for (key, storage) in storages {
            let (offset, bytes, crc) = places
                .remove(&key)
                .with_context(|| format!("storage {key} is missing from the file"))?;
            for view in storage.views {
                views.insert(view.name.clone(), (key.clone(), view));
            }
            let storage = Stored {
                dtype: storage.dtype,
                numel: storage.numel,
                offset,
                bytes,
                crc,
            };
            stored.insert(key, storage);
        }
        Ok(Self {
            r,
            storages: stored,
            views,
            last: None,
        })
    }

    pub fn contains(&self, name: &str) -> bool {
        self.views.contains_key(name)
    }

    /// The tensor `name`, read from its storage and checked: a zip entry against its CRC, float
    /// values for NaN and infinity. Each name can be taken once.
    ///
    /// Tied weights are one view saved under several names: taken in a row, they share one tensor
    /// (candle tensors are immutable). That tensor is kept only until another storage is read, as
    /// the model asks for one name of its tied embedding and repacks it: a copy kept for the
    /// others, which it never asks for, would double that table until loading ends.
    pub fn take(&mut self, name: &str) -> Result<Tensor> {
        let (key, view) = self.views.remove(name).ok_or_else(|| not_found(name))?;
        if self.last.as_ref().is_some_and(|(k, _)| *k != key) {
            self.last = None;
        }
        let shared = self.last.as_ref().and_then(|(_, made)| {
            made.iter()
                .find(|(v, _)| v.same_layout(&view))
                .map(|(_, t)| t.clone())
        });
        if let Some(tensor) = shared {
            return Ok(tensor);
        }
        let tensor = self.read_view(&key, &view)?;
        if self
            .views
            .values()
            .any(|(k, v)| *k == key && v.same_layout(&view))
        {
            let (_, made) = self.last.get_or_insert_with(|| (key, Vec::new()));
            made.push((view, tensor.clone()));
        }
        Ok(tensor)
    }

    fn read_view(&mut self, key: &str, view: &View) -> Result<Tensor> {
        let s = &self.storages[key];
        let io = |e: std::io::Error| {
            anyhow!(
                "tensor {}: cannot read storage {key} ({})",
                view.name,
                crate::files::io_reason(&e)
            )
        };
        self.r.seek(SeekFrom::Start(s.offset)).map_err(io)?;
        let mut crc = crc32fast::Hasher::new();
        let whole = view.offset == 0
            && view.is_row_major()
            && checked_bytes(&view.shape, s.dtype.size_in_bytes(), s.bytes as u64).ok()
                == Some(s.bytes);
        if whole && s.dtype == DType::F32 {
            // The common case, straight into the tensor's buffer: no copy of the storage.
            let mut values = vec![0f32; s.numel];
            let finite = read_f32(&mut self.r, &mut values, |b| crc.update(b)).map_err(io)?;
            check_crc(s, crc)?;
            check_finite(&view.name, finite)?;
            return Ok(Tensor::from_vec(values, view.shape.clone(), &Device::Cpu)?);
        }
        let mut data = vec![0u8; s.bytes];
        read_bytes(&mut self.r, &mut data, |b| crc.update(b)).map_err(io)?;
        check_crc(s, crc)?;
        let tensor = view
            .materialise(s.dtype, &data)
            .with_context(|| format!("bad layout for tensor {}", view.name))?;
        check_finite(&view.name, all_finite(&tensor)?)?;
        Ok(tensor)
    }
}

/// A storage's bytes against its zip entry's CRC, if it has one.
fn check_crc(s: &Stored, crc: crc32fast::Hasher) -> Result<()> {
    match &s.crc {
        Some((entry, expected)) => crc_matches(entry, crc.finalize(), *expected),
        None => Ok(()),
    }
}

fn crc_matches(entry: &str, crc: u32, expected: u32) -> Result<()> {
    ensure!(
        crc == expected,
        "{entry} fails its CRC check (corrupt or truncated download?)"
    );
    Ok(())
}

/// The legacy format, from the start of the file: its storages, and where each one's data lies
/// after the pickles (each after its 8-byte element count, in key-list order).
fn legacy_places<R: BufRead + Seek>(
    r: &mut R,
) -> Result<(HashMap<String, Storage>, HashMap<String, Place>)> {
    let file_len = r.seek(SeekFrom::End(0))?;
    r.seek(SeekFrom::Start(MAGIC.len() as u64))?;
    let version = read_pickle(r).context("cannot read the protocol version")?;
    match version {
        Object::Int(v) if v == PROTOCOL_VERSION => {}
        other => bail!("unsupported legacy protocol version {other:?}"),
    }
    let sys_info = read_pickle(r).context("cannot read the sys_info pickle")?;
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
    let root = read_pickle(r).context("cannot read the pickled state dict")?;
    let keys = match read_pickle(r).context("cannot read the storage key list")? {
        Object::List(keys) => keys,
        other => bail!("the storage key list is not a list: {other:?}"),
    };
    let storages = state_dict(&root)?;
    let mut places = HashMap::with_capacity(storages.len());
    let mut at = r.stream_position()?;
    for key in keys {
        let Object::Unicode(key) = key else {
            bail!("storage key {key:?} is not a string");
        };
        let storage = storages
            .get(&key)
            .filter(|_| !places.contains_key(&key))
            .with_context(|| format!("storage {key} is listed twice or not named in the pickle"))?;
        let count = read_at(r, at, 8, file_len)
            .map_err(|_| anyhow!("truncated file: storage {key} is missing"))?;
        let count = u64::from_le_bytes(count.try_into().expect("8 bytes"));
        ensure!(
            count == storage.numel as u64,
            "storage {key} holds {count} elements but its tensors expect {}",
            storage.numel
        );
        // Checked against the file here, so that a corrupt count or a truncated file fails
        // before loading, and no read can ask for more memory than the file has.
        at += 8;
        let nbytes = checked_bytes(
            &[storage.numel],
            storage.dtype.size_in_bytes(),
            file_len - at,
        )
        .with_context(|| format!("truncated file: storage {key}"))?;
        places.insert(key, (at, nbytes, None));
        at += nbytes as u64;
    }
    if let Some(key) = storages.keys().find(|k| !places.contains_key(*k)) {
        bail!("storage {key} is named in the pickle but missing from the file");
    }
    Ok((storages, places))
}

/// The zip format: `<name>/data.pkl`, and each storage's `<name>/data/<key>` entry.
fn zip_places<R: Read + Seek>(
    r: &mut R,
) -> Result<(HashMap<String, Storage>, HashMap<String, Place>)> {
    let mut zip = Zip::open(r)?;
    let pickle = zip
        .names()
        .filter(|n| n.ends_with("/data.pkl") || *n == "data.pkl")
        .min()
        .context("the zip archive has no data.pkl")?
        .to_string();
    let prefix = pickle.strip_suffix("data.pkl").unwrap_or_default();
    if let Some(order) = zip.get(&format!("{prefix}byteorder")) {
        let order = zip.read(&order)?;
        ensure!(order == b"little", "only little-endian files are supported");
    }
    let entry = zip
        .get(&pickle)
        .context("the zip archive has no data.pkl")?;
    let root = read_pickle(&mut Cursor::new(zip.read(&entry)?))
        .with_context(|| format!("{pickle}: cannot read the pickled state dict"))?;
    let storages = state_dict(&root)?;
    let mut keys: Vec<&String> = storages.keys().collect();
    keys.sort();
    let mut places = HashMap::with_capacity(storages.len());
    for key in keys {
        let storage = &storages[key];
        let name = format!("{prefix}data/{key}");
        let entry = zip.get(&name).with_context(|| {
            format!("storage {key} is named in the pickle but {name} is missing")
        })?;
        let nbytes = checked_bytes(&[storage.numel], storage.dtype.size_in_bytes(), entry.size)
            .with_context(|| format!("storage {key} ({name})"))?;
        ensure!(
            nbytes as u64 == entry.size,
            "storage {key}: {name} holds {} bytes but the pickle says {nbytes}",
            entry.size
        );
        // Checked here, so that a truncated file fails before loading.
        ensure!(
            entry
                .offset
                .checked_add(entry.size)
                .is_some_and(|end| end <= zip.file_len),
            "truncated file: {name} runs past its end"
        );
        places.insert(key.clone(), (entry.offset, nbytes, Some((name, entry.crc))));
    }
    Ok((storages, places))
}

/// Every storage the pickled state dict `root` names, with the tensors that view it.
fn state_dict(root: &Object) -> Result<HashMap<String, Storage>> {
    let mut storages = HashMap::new();
    collect_storages(root, &mut storages)?;
    let Object::Dict(entries) = root else {
        bail!("the saved object is not a dict of tensors (a state dict)");
    };
    collect_tensors("", entries, &mut storages)?;
    Ok(storages)
}

/// The first `MAGIC.len()` bytes, or all of them in a shorter file.
fn read_head(r: impl Read) -> std::io::Result<Vec<u8>> {
    let mut head = Vec::with_capacity(MAGIC.len());
    r.take(MAGIC.len() as u64).read_to_end(&mut head)?;
    Ok(head)
}

/// One member of a zip archive, from the central directory.
struct ZipEntry {
    name: String,
    /// Where its data starts.
    offset: u64,
    size: u64,
    crc: u32,
}

/// The members of a zip archive that torch wrote: stored (uncompressed) entries, zip64 or not.
struct Zip<R> {
    r: R,
    entries: HashMap<String, (u64, u64, u32)>,
    file_len: u64,
}

/// The zip signatures read here.
const END_OF_DIRECTORY: u32 = 0x0605_4b50;
const ZIP64_LOCATOR: u32 = 0x0706_4b50;
const ZIP64_END: u32 = 0x0606_4b50;
const DIRECTORY_ENTRY: u32 = 0x0201_4b50;
const LOCAL_HEADER: u32 = 0x0403_4b50;

/// Little-endian fields of a byte slice, each read checked against its end.
struct Fields<'a>(&'a [u8]);

impl<'a> Fields<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        ensure!(self.0.len() >= n, "the zip directory is truncated");
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Ok(head)
    }
    fn u16(&mut self) -> Result<u16> {
        Ok(u16::from_le_bytes(self.take(2)?.try_into()?))
    }
    fn u32(&mut self) -> Result<u32> {
        Ok(u32::from_le_bytes(self.take(4)?.try_into()?))
    }
    fn u64(&mut self) -> Result<u64> {
        Ok(u64::from_le_bytes(self.take(8)?.try_into()?))
    }
}

impl<R: Read + Seek> Zip<R> {
    fn open(mut r: R) -> Result<Self> {
        let file_len = r.seek(SeekFrom::End(0))?;
        // The end record (22 bytes) sits within the last 64 KiB + 22 (its comment is at most 64 KiB).
        let tail_len = file_len.min(22 + 0xffff);
        let tail = read_at(&mut r, file_len - tail_len, tail_len, file_len)?;
        let end = (0..tail.len().saturating_sub(21))
            .rev()
            .find(|&i| tail[i..].starts_with(&END_OF_DIRECTORY.to_le_bytes()))
            .context("not a zip archive: no end of central directory")?;
        let mut f = Fields(&tail[end + 4..]);
        f.take(8)?;
        let mut dir_len = u64::from(f.u32()?);
        let mut dir_at = u64::from(f.u32()?);
        let zip64 = end >= 20 && tail[end - 20..].starts_with(&ZIP64_LOCATOR.to_le_bytes());
        if zip64 {
            let mut locator = Fields(&tail[end - 12..end - 4]);
            let end64_at = locator.u64()?;
            let record = read_at(&mut r, end64_at, 56, file_len)?;
            let mut f = Fields(&record);
            ensure!(f.u32()? == ZIP64_END, "bad zip64 end of central directory");
            f.take(36)?;
            dir_len = f.u64()?;
            dir_at = f.u64()?;
        }
        let directory = read_at(&mut r, dir_at, dir_len, file_len)?;
        let mut f = Fields(&directory);
        let mut entries = HashMap::new();
        while !f.0.is_empty() {
            ensure!(
                f.u32()? == DIRECTORY_ENTRY,
                "bad zip central directory entry"
            );
            f.take(6)?;
            let method = f.u16()?;
            f.take(4)?;
            let crc = f.u32()?;
            let mut packed = u64::from(f.u32()?);
            let mut size = u64::from(f.u32()?);
            let (name_len, extra_len, comment_len) = (f.u16()?, f.u16()?, f.u16()?);
            f.take(8)?;
            let mut local = u64::from(f.u32()?);
            let name = String::from_utf8_lossy(f.take(name_len.into())?).into_owned();
            let mut extra = Fields(f.take(extra_len.into())?);
            f.take(comment_len.into())?;
            // zip64 extra field: the 64-bit values of those that are all ones, in this order.
            while extra.0.len() >= 4 {
                let (id, len) = (extra.u16()?, extra.u16()?);
                let mut field = Fields(extra.take(len.into())?);
                if id == 1 {
                    for value in [&mut size, &mut packed, &mut local] {
                        if *value == 0xffff_ffff {
                            *value = field.u64()?;
                        }
                    }
                }
            }
            ensure!(
                method == 0 && packed == size,
                "{name}: compressed zip entries are not supported (torch stores them uncompressed)"
            );
            entries.insert(name, (local, size, crc));
        }
        Ok(Self {
            r,
            entries,
            file_len,
        })
    }

    fn names(&self) -> impl Iterator<Item = &str> {
        self.entries.keys().map(String::as_str)
    }

    /// Where the entry `name`'s data lies, read from its local header.
    fn get(&mut self, name: &str) -> Option<ZipEntry> {
        let &(local, size, crc) = self.entries.get(name)?;
        let header = read_at(&mut self.r, local, 30, self.file_len).ok()?;
        let mut f = Fields(&header);
        if f.u32().ok()? != LOCAL_HEADER {
            return None;
        }
        f.take(22).ok()?;
        let skip = u64::from(f.u16().ok()?) + u64::from(f.u16().ok()?);
        Some(ZipEntry {
            name: name.to_string(),
            offset: local + 30 + skip,
            size,
            crc,
        })
    }

    /// An entry's bytes, checked against its CRC-32.
    fn read(&mut self, entry: &ZipEntry) -> Result<Vec<u8>> {
        let data = read_at(&mut self.r, entry.offset, entry.size, self.file_len)?;
        crc_matches(&entry.name, crc32(&data), entry.crc)?;
        Ok(data)
    }
}

/// `len` bytes at `at`, refused (before allocating) if they run past the file's `file_len`.
fn read_at<R: Read + Seek>(r: &mut R, at: u64, len: u64, file_len: u64) -> Result<Vec<u8>> {
    ensure!(
        at.checked_add(len).is_some_and(|end| end <= file_len),
        "truncated file: {len} bytes at {at} run past its end ({file_len} bytes)"
    );
    let mut data = vec![0u8; usize::try_from(len)?];
    r.seek(SeekFrom::Start(at))?;
    r.read_exact(&mut data)
        .map_err(|e| anyhow!("{}", crate::files::io_reason(&e)))?;
    Ok(data)
}

/// CRC-32 (IEEE, as zip uses it) of a whole entry; storages are hashed as they are read.
fn crc32(data: &[u8]) -> u32 {
    crc32fast::hash(data)
}

/// How deep the pickle's objects may nest: a state dict is about six levels deep (dict, tensor
/// rebuild call, its argument tuple, the storage id, …), and every walk over the objects (and
/// dropping them) recurses this deep.
const MAX_DEPTH: usize = 64;
/// Objects the machine may build per byte of pickle read (plus [`BUDGET_BASE`]): a torch pickle
/// builds about one object per ten bytes; copies out of the memo count in full, which is what
/// bounds a pickle that doubles an object at every step.
const BUDGET_PER_BYTE: usize = 16;
const BUDGET_BASE: usize = 1 << 16;

/// How big and how deep an object on the machine's stack or in its memo is.
#[derive(Clone, Copy)]
struct Stats {
    /// Objects in it (strings count one per 16 bytes).
    size: usize,
    depth: usize,
}

impl Stats {
    const LEAF: Stats = Stats { size: 1, depth: 1 };

    /// A container of `children`.
    fn of<'a>(children: impl IntoIterator<Item = &'a Stats>) -> Stats {
        children.into_iter().fold(Stats::LEAF, |s, c| Stats {
            size: s.size.saturating_add(c.size),
            depth: s.depth.max(c.depth + 1),
        })
    }

    /// This container with `children` added.
    fn with<'a>(self, children: impl IntoIterator<Item = &'a Stats>) -> Stats {
        let added = Stats::of(children);
        Stats {
            size: self.size.saturating_add(added.size - 1),
            depth: self.depth.max(added.depth),
        }
    }
}

/// The subset of Python's pickle machine that `torch.save` uses (protocol 2), building candle's
/// [`Object`]s. It never calls anything: a `GLOBAL` only names a class, which is refused unless
/// torch writes it for a state dict. The memo is copied out as candle's objects are (no shared
/// references), so copies count against the budget, and nesting is bounded by [`MAX_DEPTH`].
#[derive(Default)]
struct Machine {
    stack: Vec<(Object, Stats)>,
    /// Stack lengths at each open `MARK`.
    marks: Vec<usize>,
    memo: HashMap<u32, (Object, Stats)>,
    /// Objects built so far, and bytes read.
    built: usize,
    read: usize,
}

/// The globals a state dict's pickle names: torch's storage classes and tensor rebuild functions,
/// and the `OrderedDict` a state dict is.
fn allowed_global(module: &str, name: &str) -> bool {
    module == "torch"
        || module.starts_with("torch.")
        || (module, name) == ("collections", "OrderedDict")
        || (module, name) == ("_codecs", "encode")
}

/// Decodes the next pickle in the stream.
fn read_pickle<R: BufRead>(r: &mut R) -> Result<Object> {
    let mut machine = Machine::default();
    loop {
        if let Some(object) = machine.step(r)? {
            return Ok(object);
        }
        ensure!(
            machine.built <= BUDGET_BASE + BUDGET_PER_BYTE * machine.read,
            "the pickle builds more objects than its {} bytes can describe",
            machine.read
        );
    }
}

impl Machine {
    fn bytes<const N: usize, R: Read>(&mut self, r: &mut R) -> Result<[u8; N]> {
        let mut b = [0u8; N];
        r.read_exact(&mut b)
            .map_err(|_| anyhow!("truncated pickle"))?;
        self.read += N;
        Ok(b)
    }

    /// `len` bytes, allocated only as they arrive.
    fn string<R: Read>(&mut self, r: &mut R, len: usize) -> Result<String> {
        let mut data = Vec::new();
        r.take(len as u64).read_to_end(&mut data)?;
        ensure!(data.len() == len, "truncated pickle");
        self.read += len;
        String::from_utf8(data).map_err(|_| anyhow!("a pickled string is not UTF-8"))
    }

    /// A `GLOBAL` argument: one line of at most 256 bytes.
    fn line<R: BufRead>(&mut self, r: &mut R) -> Result<String> {
        let mut data = Vec::new();
        r.take(256).read_until(b'\n', &mut data)?;
        self.read += data.len();
        ensure!(data.pop() == Some(b'\n'), "bad GLOBAL opcode in the pickle");
        String::from_utf8(data).map_err(|_| anyhow!("a pickled name is not UTF-8"))
    }

    fn push(&mut self, object: Object, stats: Stats) -> Result<()> {
        ensure!(
            stats.depth <= MAX_DEPTH,
            "the pickle nests objects more than {MAX_DEPTH} deep"
        );
        self.built = self.built.saturating_add(1);
        self.stack.push((object, stats));
        Ok(())
    }

    fn leaf(&mut self, object: Object) -> Result<()> {
        self.push(object, Stats::LEAF)
    }

    /// The top object; never one below the innermost open `MARK`.
    fn pop(&mut self) -> Result<(Object, Stats)> {
        let floor = self.marks.last().copied().unwrap_or(0);
        ensure!(self.stack.len() > floor, "the pickle pops an empty stack");
        self.stack.pop().context("the pickle pops an empty stack")
    }

    /// The objects since the innermost `MARK`, which it closes.
    fn pop_mark(&mut self) -> Result<Vec<(Object, Stats)>> {
        let at = self
            .marks
            .pop()
            .context("the pickle closes a MARK it never opened")?;
        Ok(self.stack.split_off(at.min(self.stack.len())))
    }

    /// The top object, to be modified in place.
    fn top(&mut self) -> Result<&mut (Object, Stats)> {
        let floor = self.marks.last().copied().unwrap_or(0);
        ensure!(
            self.stack.len() > floor,
            "the pickle modifies an empty stack"
        );
        self.stack
            .last_mut()
            .context("the pickle modifies an empty stack")
    }

    /// Adds items to the list on top, or key–value pairs to the dict on top.
    fn extend_top(&mut self, items: Vec<(Object, Stats)>) -> Result<()> {
        let (top, stats) = self.top()?;
        let new = stats.with(items.iter().map(|(_, s)| s));
        match top {
            Object::List(list) => list.extend(items.into_iter().map(|(o, _)| o)),
            Object::Dict(dict) => {
                ensure!(
                    items.len().is_multiple_of(2),
                    "the pickle sets a key without a value"
                );
                let mut items = items.into_iter().map(|(o, _)| o);
                while let (Some(k), Some(v)) = (items.next(), items.next()) {
                    dict.push((k, v));
                }
            }
            _ => bail!("the pickle adds items to something that is not a list or dict"),
        }
        ensure!(
            new.depth <= MAX_DEPTH,
            "the pickle nests objects more than {MAX_DEPTH} deep"
        );
        *stats = new;
        Ok(())
    }

    fn memo_copy(&mut self, id: u32) -> Result<()> {
        let (object, stats) = self
            .memo
            .get(&id)
            .with_context(|| format!("the pickle reads memo entry {id}, which it never wrote"))?;
        let (object, stats) = (object.clone(), *stats);
        self.built = self.built.saturating_add(stats.size);
        self.push(object, stats)
    }

    fn memo_put(&mut self, id: u32) -> Result<()> {
        let (object, stats) = self.top()?;
        let (object, stats) = (object.clone(), *stats);
        self.built = self.built.saturating_add(stats.size);
        self.memo.insert(id, (object, stats));
        Ok(())
    }

    /// `callable(args)`: collections.OrderedDict() is an empty dict; anything else is recorded as
    /// the call, never made.
    fn call(&mut self, build: bool) -> Result<()> {
        let (args, a) = self.pop()?;
        let (callable, c) = self.pop()?;
        let stats = Stats::of([&a, &c]);
        let object = match (callable, args) {
            (Object::Class { module_name, .. }, _) if !build && module_name == "collections" => {
                Object::Dict(Vec::new())
            }
            // BUILD on a dict with a dict of attributes (a state dict's `_metadata`).
            (Object::Dict(mut dict), Object::Dict(mut attrs)) if build => {
                dict.append(&mut attrs);
                Object::Dict(dict)
            }
            (callable, args) if build => Object::Build {
                callable: Box::new(callable),
                args: Box::new(args),
            },
            (callable, args) => Object::Reduce {
                callable: Box::new(callable),
                args: Box::new(args),
            },
        };
        self.push(object, stats)
    }

    fn tuple(&mut self, items: Vec<(Object, Stats)>) -> Result<()> {
        let stats = Stats::of(items.iter().map(|(_, s)| s));
        self.push(
            Object::Tuple(items.into_iter().map(|(o, _)| o).collect()),
            stats,
        )
    }

    /// Runs one opcode; the pickled object once it reaches `STOP`.
    fn step<R: BufRead>(&mut self, r: &mut R) -> Result<Option<Object>> {
        let [op] = self.bytes(r)?;
        match op {
            0x80 => {
                let [version] = self.bytes(r)?;
                ensure!(version <= 5, "unknown pickle protocol {version}");
            }
            b'.' => return Ok(Some(self.pop()?.0)),
            b'c' => {
                let module_name = self.line(r)?;
                let class_name = self.line(r)?;
                ensure!(
                    allowed_global(&module_name, &class_name),
                    "the pickle names {module_name}.{class_name}, which no state dict holds \
                     (refused; nothing in the file is ever run)"
                );
                self.leaf(Object::Class {
                    module_name,
                    class_name,
                })?;
            }
            b'K' => {
                let [v] = self.bytes(r)?;
                self.leaf(Object::Int(v.into()))?;
            }
            b'M' => {
                let v = u16::from_le_bytes(self.bytes(r)?);
                self.leaf(Object::Int(v.into()))?;
            }
            b'J' => {
                let v = i32::from_le_bytes(self.bytes(r)?);
                self.leaf(Object::Int(v))?;
            }
            0x8a => {
                // LONG1: a little-endian two's-complement integer of n bytes.
                let [n] = self.bytes(r)?;
                ensure!(n <= 8, "pickled integer of {n} bytes is too large");
                let mut b = [0u8; 8];
                r.read_exact(&mut b[..n.into()])
                    .map_err(|_| anyhow!("truncated pickle"))?;
                self.read += usize::from(n);
                if n > 0 && b[usize::from(n) - 1] & 0x80 != 0 {
                    b[n.into()..].fill(0xff);
                }
                self.leaf(Object::Long(i64::from_le_bytes(b)))?;
            }
            b'G' => {
                let v = f64::from_be_bytes(self.bytes(r)?);
                self.leaf(Object::Float(v))?;
            }
            b'X' => {
                let len = u32::from_le_bytes(self.bytes(r)?) as usize;
                let s = self.string(r, len)?;
                let stats = Stats {
                    size: 1 + s.len() / 16,
                    depth: 1,
                };
                self.push(Object::Unicode(s), stats)?;
            }
            0x88 => self.leaf(Object::Bool(true))?,
            0x89 => self.leaf(Object::Bool(false))?,
            b'N' => self.leaf(Object::None)?,
            b')' => self.leaf(Object::Tuple(Vec::new()))?,
            b']' => self.leaf(Object::List(Vec::new()))?,
            b'}' => self.leaf(Object::Dict(Vec::new()))?,
            b'(' => self.marks.push(self.stack.len()),
            b't' => {
                let items = self.pop_mark()?;
                self.tuple(items)?;
            }
            0x85..=0x87 => {
                let n = usize::from(op - 0x84);
                let mut items = Vec::with_capacity(n);
                for _ in 0..n {
                    items.push(self.pop()?);
                }
                items.reverse();
                self.tuple(items)?;
            }
            b'd' => {
                let items = self.pop_mark()?;
                self.leaf(Object::Dict(Vec::new()))?;
                self.extend_top(items)?;
            }
            b'a' => {
                let item = self.pop()?;
                self.extend_top(vec![item])?;
            }
            b's' => {
                let value = self.pop()?;
                let key = self.pop()?;
                self.extend_top(vec![key, value])?;
            }
            b'e' | b'u' => {
                let items = self.pop_mark()?;
                self.extend_top(items)?;
            }
            b'Q' => {
                let (id, stats) = self.pop()?;
                self.push(Object::PersistentLoad(Box::new(id)), Stats::of([&stats]))?;
            }
            b'R' | 0x81 => self.call(false)?,
            b'b' => self.call(true)?,
            b'h' => {
                let [id] = self.bytes(r)?;
                self.memo_copy(id.into())?;
            }
            b'j' => {
                let id = u32::from_le_bytes(self.bytes(r)?);
                self.memo_copy(id)?;
            }
            b'q' => {
                let [id] = self.bytes(r)?;
                self.memo_put(id.into())?;
            }
            b'r' => {
                let id = u32::from_le_bytes(self.bytes(r)?);
                self.memo_put(id)?;
            }
            other => bail!("unsupported pickle opcode 0x{other:02x}"),
        }
        Ok(None)
    }
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
    // Legacy files add the view of a storage slice that very old torch saved; zip files do not.
    let (tag, storage_type, key, numel, view) = match fields.as_slice() {
        [Object::Unicode(tag), storage_type, Object::Unicode(key), _location, numel] => {
            (tag, storage_type, key, numel, &Object::None)
        }
        [Object::Unicode(tag), storage_type, Object::Unicode(key), _location, numel, view] => {
            (tag, storage_type, key, numel, view)
        }
        _ => bail!("unexpected persistent id {id:?}"),
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
        // A view never holds more elements than its storage: only stride 0 could, and no saved
        // weight is an expanded view.
        let numel = checked_bytes(&self.shape, elem, data.len() as u64)? / elem;
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
        let mut out = Vec::with_capacity(numel * elem);
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

    /// Whether `other` views the same elements in the same order: a tied name.
    fn same_layout(&self, other: &View) -> bool {
        (self.offset, &self.shape, &self.stride) == (other.offset, &other.shape, &other.stride)
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
    use proptest::prelude::*;
    use std::io::Write;

    // Written by scripts/make_pth_fixture.py; see there for what each file holds.
    const LEGACY: &[u8] = include_bytes!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/pth-legacy.pth"
    ));
    const ZIP: &[u8] = include_bytes!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/pth-zip.pth"
    ));
    const LEGACY_EXTRA: &[u8] = include_bytes!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/pth-legacy-extra.pth"
    ));
    const EXPECTED: &str = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/pth-expected.json"
    ));

    fn temp_file(bytes: &[u8]) -> tempfile::NamedTempFile {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        file.write_all(bytes).unwrap();
        file.flush().unwrap();
        file
    }

    /// Every tensor, sorted by name; taken storage by storage, as tied names are taken in a row.
    fn take_all<R: BufRead + Seek>(mut pth: Pth<R>) -> Result<Vec<(String, Tensor)>> {
        let mut names: Vec<(String, String)> = pth
            .views
            .iter()
            .map(|(name, (key, _))| (key.clone(), name.clone()))
            .collect();
        names.sort();
        let mut tensors = names
            .into_iter()
            .map(|(_, name)| Ok((name.clone(), pth.take(&name)?)))
            .collect::<Result<Vec<_>>>()?;
        tensors.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(tensors)
    }

    fn read(path: &Path) -> Result<Vec<(String, Tensor)>> {
        take_all(open(path)?)
    }

    fn from_bytes(bytes: &[u8]) -> Result<Vec<(String, Tensor)>> {
        take_all(Pth::open(Cursor::new(bytes))?)
    }

    fn error(bytes: &[u8]) -> String {
        format!("{:#}", from_bytes(bytes).unwrap_err())
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

    /// Checks a fixture against the dtypes, shapes and values the script wrote for `fixture`.
    fn check_expected(fixture: &str, bytes: &[u8]) {
        let tensors = read(temp_file(bytes).path()).unwrap();
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
    fn reads_legacy_and_zip_state_dicts() {
        check_expected("pth-legacy.pth", LEGACY);
        // The zip file holds the same dict.
        check_expected("pth-legacy.pth", ZIP);
    }

    #[test]
    fn tied_entries_share_one_tensor() {
        for bytes in [LEGACY, ZIP] {
            let tensors: HashMap<String, Tensor> = from_bytes(bytes).unwrap().into_iter().collect();
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
    }

    #[test]
    fn reads_nested_dicts_strided_views_and_other_dtypes() {
        check_expected("pth-legacy-extra.pth", LEGACY_EXTRA);
    }

    #[test]
    fn zip_reader_agrees_with_candles() {
        let ours = from_bytes(ZIP).unwrap();
        let zip_file = temp_file(ZIP);
        let candle: HashMap<String, Tensor> = candle_core::pickle::read_all(zip_file.path())
            .unwrap()
            .into_iter()
            .collect();
        assert_eq!(ours.len(), candle.len());
        for (name, tensor) in &ours {
            let other = &candle[name];
            assert_eq!(tensor.dtype(), other.dtype(), "{name}: dtype");
            assert_eq!(tensor.dims(), other.dims(), "{name}: shape");
            assert_eq!(values(tensor), values(other), "{name}: values");
        }
    }

    #[test]
    fn every_truncation_is_an_error() {
        for bytes in [LEGACY_EXTRA, ZIP] {
            for len in 0..bytes.len() {
                assert!(
                    from_bytes(&bytes[..len]).is_err(),
                    "a file cut at {len} bytes was read"
                );
            }
        }
    }

    #[test]
    fn other_files_are_errors_naming_the_file() {
        assert!(error(b"not a pickle at all").contains("not a torch.save file"));
        assert!(error(b"").contains("not a torch.save file"));
        let file = temp_file(b"PK\x03\x04 but no archive");
        let err = format!("{:#}", read(file.path()).unwrap_err());
        assert!(err.starts_with(&file.path().display().to_string()), "{err}");
        let err = format!(
            "{:#}",
            read(Path::new("/nonexistent/pytorch_model.bin")).unwrap_err()
        );
        assert!(
            err.contains("cannot read") && !err.contains("os error"),
            "{err}"
        );
        // Magic number, then garbage where the protocol version should be.
        let mut bytes = MAGIC.to_vec();
        bytes.extend_from_slice(b"\xffgarbage");
        assert!(from_bytes(&bytes).is_err());
    }

    #[test]
    fn a_zip_entry_with_a_bad_crc_is_an_error() {
        // The last byte of the last storage's data: flip it where the data lies.
        let mut zip = Zip::open(Cursor::new(ZIP)).unwrap();
        let name = zip
            .names()
            .find(|n| n.contains("/data/"))
            .unwrap()
            .to_string();
        let entry = zip.get(&name).unwrap();
        let mut bytes = ZIP.to_vec();
        bytes[(entry.offset + entry.size - 1) as usize] ^= 1;
        assert!(error(&bytes).contains("CRC"), "{}", error(&bytes));
    }

    /// Magic number and protocol version, then `pickle` as the sys_info pickle.
    fn legacy_with(pickle: &[u8]) -> Vec<u8> {
        let mut bytes = MAGIC.to_vec();
        bytes.extend_from_slice(b"\x80\x02M\xe9\x03.");
        bytes.extend_from_slice(pickle);
        bytes
    }

    #[test]
    fn hostile_pickles_are_refused_without_running_anything() {
        // os.system("echo hi"), as pickle.dumps writes it.
        let err = error(&legacy_with(
            b"\x80\x02cos\nsystem\nX\x07\x00\x00\x00echo hiq\x00\x85R.",
        ));
        assert!(err.contains("os.system"), "{err}");
        let err = error(&legacy_with(b"\x80\x02cbuiltins\neval\n."));
        assert!(err.contains("builtins.eval"), "{err}");
        // An integer of 9 bytes.
        let err = error(&legacy_with(
            b"\x80\x02\x8a\x09\x01\x02\x03\x04\x05\x06\x07\x08\x09.",
        ));
        assert!(err.contains("too large"), "{err}");
        // A tuple doubled through the memo at each step: 2^40 objects from 300 bytes.
        let mut doubling = b"\x80\x02N".to_vec();
        for _ in 0..40 {
            doubling.extend_from_slice(b"q\x00h\x00\x86");
        }
        doubling.push(b'.');
        let err = error(&legacy_with(&doubling));
        assert!(err.contains("more objects"), "{err}");
        // A tuple nested a million deep.
        let mut deep = b"\x80\x02N".to_vec();
        deep.extend(std::iter::repeat_n(0x85, 1_000_000));
        deep.push(b'.');
        let err = error(&legacy_with(&deep));
        assert!(err.contains("deep"), "{err}");
        // A string that claims 4 GB.
        let err = error(&legacy_with(b"\x80\x02X\xff\xff\xff\xffabc"));
        assert!(err.contains("truncated"), "{err}");
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
        assert!(error(&bytes).contains("elements"), "{}", error(&bytes));
    }

    #[test]
    fn crc32_matches_the_standard_check_value() {
        assert_eq!(crc32(b"123456789"), 0xcbf4_3926);
        assert_eq!(crc32(b""), 0);
        // zlib.crc32 gives the same.
        assert_eq!(crc32(b"12345678901"), 0x539a_e4ee);
    }

    /// Objects in a pickled object, counted as the machine's budget counts them.
    fn objects(o: &Object) -> usize {
        1 + match o {
            Object::Tuple(v) | Object::List(v) => v.iter().map(objects).sum(),
            Object::Dict(v) => v.iter().map(|(k, v)| objects(k) + objects(v)).sum(),
            Object::Reduce { callable, args } | Object::Build { callable, args } => {
                objects(callable) + objects(args)
            }
            Object::PersistentLoad(id) => objects(id),
            _ => 0,
        }
    }

    /// An accepted file's tensors fit in it (tied ones counted once).
    fn assert_within(tensors: &[(String, Tensor)], file_len: usize) {
        let mut seen = std::collections::HashSet::new();
        let bytes: usize = tensors
            .iter()
            .filter(|(_, t)| seen.insert(t.id()))
            .map(|(_, t)| t.elem_count() * t.dtype().size_in_bytes())
            .sum();
        assert!(
            bytes <= file_len,
            "{bytes} bytes of tensors from {file_len}"
        );
    }

    fn mutate(base: &[u8], edits: &[(usize, u8)]) -> Vec<u8> {
        let mut bytes = base.to_vec();
        for &(at, byte) in edits {
            let at = at % bytes.len();
            bytes[at] = byte;
        }
        bytes
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn arbitrary_pickles_stay_within_their_budget(
            bytes in proptest::collection::vec(any::<u8>(), 0..512),
        ) {
            if let Ok(object) = read_pickle(&mut Cursor::new(&bytes)) {
                prop_assert!(objects(&object) <= BUDGET_BASE + BUDGET_PER_BYTE * bytes.len());
            }
        }

        #[test]
        fn arbitrary_files_never_panic(
            head in prop::sample::select(vec![&b""[..], &b"PK\x03\x04"[..], MAGIC]),
            tail in proptest::collection::vec(any::<u8>(), 0..512),
        ) {
            let bytes = [head, &tail].concat();
            if let Ok(tensors) = from_bytes(&bytes) {
                assert_within(&tensors, bytes.len());
            }
        }

        #[test]
        fn mutated_files_stay_within_the_file(
            which in 0..3usize,
            edits in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..6),
        ) {
            let base = [LEGACY, ZIP, LEGACY_EXTRA][which];
            let bytes = mutate(base, &edits);
            if let Ok(tensors) = from_bytes(&bytes) {
                assert_within(&tensors, bytes.len());
            }
        }
    }
}
