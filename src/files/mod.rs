//! Reading inputs and writing outputs so that nothing of the user's is lost.
//!
//! - Inputs are read with a size bound and refused unless they are UTF-8 text: NUL bytes (binary),
//!   UTF-16 and invalid UTF-8 each get one line naming the file, the same in single-file and folder
//!   runs.
//! - Outputs are written through a uniquely named temporary file next to the target (`tempfile`),
//!   then renamed over it: a killed run never leaves a partial or truncated output, and two runs
//!   writing into one folder never share a temporary, so each output is whole and is the last
//!   finished run's.
//! - Files are compared by identity (device and inode), never by path text, so `./x.txt`, an
//!   absolute path, a symlink or a hard link to an input is recognised as that input.
//!
//! [`plan`] lists and checks everything a run will read and write before the model loads;
//! [`shard`] picks one shard's part of a folder run. This folder knows nothing of documents or
//! models.

pub mod plan;
pub mod shard;

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Result};

/// The largest input read into memory. Documents are far smaller; the bound keeps `/dev/zero`
/// or a mistaken multi-gigabyte dump from exhausting memory.
pub const MAX_INPUT_BYTES: u64 = 1 << 30;

/// Where text comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    Stdin,
    File(PathBuf),
}

impl Input {
    /// `-` is standard input.
    pub fn from_arg(arg: &Path) -> Self {
        if arg == Path::new("-") {
            Input::Stdin
        } else {
            Input::File(arg.to_path_buf())
        }
    }

    /// How errors name this input.
    pub fn name(&self) -> String {
        match self {
            Input::Stdin => "<stdin>".into(),
            Input::File(p) => p.display().to_string(),
        }
    }

    /// The whole input as UTF-8 text. A file may be anything readable (a FIFO, `/dev/stdin`) except
    /// a directory.
    pub fn read_text(&self) -> Result<String> {
        match self {
            Input::Stdin => {
                decode_text(read_bounded(std::io::stdin().lock(), "<stdin>")?, "<stdin>")
            }
            Input::File(path) => read_file(path),
        }
    }
}

/// A file's text, or one error line naming it: unreadable, a directory, too large, binary, UTF-16
/// or invalid UTF-8.
pub fn read_file(path: &Path) -> Result<String> {
    let name = path.display().to_string();
    let file = std::fs::File::open(path).map_err(|e| anyhow!("{name}: {}", io_reason(&e)))?;
    if file.metadata().is_ok_and(|m| m.is_dir()) {
        bail!("{name}: is a directory, not a file");
    }
    decode_text(read_bounded(file, &name)?, &name)
}

/// Opens a file to read, such as a model file; the error names the file and the reason.
pub fn open(path: &Path) -> Result<std::fs::File> {
    std::fs::File::open(path).map_err(|e| cannot_read(path, &e))
}

/// A small text file (a model's JSON), whole; the error names the file and the reason.
pub fn read_to_string(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).map_err(|e| cannot_read(path, &e))
}

fn cannot_read(path: &Path, e: &std::io::Error) -> anyhow::Error {
    anyhow!("{}: cannot read ({})", path.display(), io_reason(e))
}

fn read_bounded(reader: impl Read, name: &str) -> Result<Vec<u8>> {
    let mut bytes = Vec::new();
    reader
        .take(MAX_INPUT_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| anyhow!("{name}: cannot read: {}", io_reason(&e)))?;
    if bytes.len() as u64 > MAX_INPUT_BYTES {
        bail!(
            "{name}: larger than {} MiB, not read",
            MAX_INPUT_BYTES >> 20
        );
    }
    Ok(bytes)
}

/// Checks that `bytes` are UTF-8 text, naming the input and the problem.
pub fn decode_text(bytes: Vec<u8>, name: &str) -> Result<String> {
    if looks_like_utf16(&bytes) {
        bail!("{name}: UTF-16 text; convert to UTF-8");
    }
    if bytes.contains(&0) {
        bail!("{name}: binary file (contains NUL bytes)");
    }
    String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        anyhow!("{name}: invalid UTF-8 at byte {at}")
    })
}

/// A UTF-16 byte-order mark, or (without one) text whose every other byte is NUL, as UTF-16 of
/// Latin-script text is.
pub fn looks_like_utf16(bytes: &[u8]) -> bool {
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        return true;
    }
    let head = &bytes[..bytes.len().min(4096) & !1];
    if head.len() < 4 {
        return false;
    }
    let pairs = head.len() / 2;
    let zeros = |parity: usize| {
        head.iter()
            .skip(parity)
            .step_by(2)
            .filter(|&&b| b == 0)
            .count()
    };
    let (even, odd) = (zeros(0), zeros(1));
    // Mostly NUL on one side and almost never on the other.
    even.max(odd) * 2 >= pairs && even.min(odd) * 16 <= pairs
}

/// The short reason for an I/O error, without Rust's "(os error N)" suffix.
pub fn io_reason(e: &std::io::Error) -> String {
    use std::io::ErrorKind as K;
    match e.kind() {
        K::NotFound => "no such file or folder".into(),
        K::PermissionDenied => "permission denied".into(),
        K::NotADirectory => "a part of the path is a file, not a folder".into(),
        K::IsADirectory => "is a directory".into(),
        K::ReadOnlyFilesystem => "read-only file system".into(),
        K::StorageFull => "no space left on the device".into(),
        _ => {
            let text = e.to_string();
            match text.find(" (os error") {
                Some(i) => text[..i].to_string(),
                None => text,
            }
        }
    }
}

/// Writes `data` to `path` through a unique temporary file in the same folder, renamed over the
/// target once it is complete and synced. Missing folders on the way are created.
pub fn write_atomic(path: &Path, data: &[u8]) -> Result<()> {
    write_atomic_with(path, |file| {
        file.write_all(data)
            .map_err(|e| anyhow!("{}: cannot write: {}", path.display(), io_reason(&e)))
    })
}

/// [`write_atomic`] with the contents written by `fill` (which names its own errors), for an
/// output too large to hold in memory: it is synced and renamed over `path` only if `fill`
/// succeeds.
pub fn write_atomic_with(
    path: &Path,
    fill: impl FnOnce(&mut std::fs::File) -> Result<()>,
) -> Result<()> {
    let fail = |e: &std::io::Error| anyhow!("{}: cannot write: {}", path.display(), io_reason(e));
    if path.is_dir() {
        bail!(
            "{}: is a directory, cannot write output there",
            path.display()
        );
    }
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let dir = parent_dir(path);
    std::fs::create_dir_all(&dir).map_err(|e| fail(&e))?;
    let mut tmp = temp_file_in(&dir, &name).map_err(|e| fail(&e))?;
    // Held until the rename: it tells `remove_stale_temporaries` in another run that this one is
    // alive.
    tmp.as_file().lock().map_err(|e| fail(&e))?;
    fill(tmp.as_file_mut())?;
    tmp.as_file().sync_all().map_err(|e| fail(&e))?;
    // On failure the temporary is deleted when the error drops it.
    tmp.persist(path).map_err(|e| fail(&e.error))?;
    Ok(())
}

const TEMP_SUFFIX: &str = ".terjemah-tmp";

/// A temporary file in `dir`: hidden, named after its target and marked as ours, readable as a
/// normal file would be (the process umask applies).
pub(crate) fn temp_file_in(
    dir: &Path,
    target_name: &str,
) -> std::io::Result<tempfile::NamedTempFile> {
    let prefix = format!(".{target_name}.");
    let mut builder = tempfile::Builder::new();
    builder.prefix(&prefix).suffix(TEMP_SUFFIX);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(0o666));
    }
    builder.tempfile_in(dir)
}

/// Removes the temporaries that killed runs left in `dir`: ours by name, and locked by no living
/// process (a running terjemah holds a lock on each of its temporaries until it renames it).
/// Best effort: what cannot be read or removed is left alone.
pub fn remove_stale_temporaries(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if !(name.starts_with('.') && name.ends_with(TEMP_SUFFIX)) {
            continue;
        }
        let path = entry.path();
        let stale = std::fs::File::open(&path).is_ok_and(|f| f.try_lock().is_ok());
        if stale {
            let _ = std::fs::remove_file(&path);
        }
    }
}

/// The folder a path's file lives in (`.` for a bare name).
pub fn parent_dir(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Creates `dir` if needed and proves that a file can be written in it, so that an unwritable
/// output location is one error before the model loads, not one per file after translating;
/// clears the temporaries killed runs left there.
pub fn prepare_output_dir(dir: &Path) -> Result<()> {
    if let Some(blocker) = dir.ancestors().find(|a| a.is_file()) {
        if blocker == dir {
            bail!("{}: is a file, not a folder", dir.display());
        }
        bail!(
            "{}: cannot create output folder: {} is a file",
            dir.display(),
            blocker.display()
        );
    }
    std::fs::create_dir_all(dir).map_err(|e| {
        anyhow!(
            "{}: cannot create output folder: {}",
            dir.display(),
            io_reason(&e)
        )
    })?;
    temp_file_in(dir, "probe")
        .map_err(|e| anyhow!("{}: cannot write here: {}", dir.display(), io_reason(&e)))?;
    remove_stale_temporaries(dir);
    Ok(())
}

/// What a file is, independent of the path that names it: device and inode on Unix, the canonical
/// path elsewhere. Symlinks are followed.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FileId(Identity);

#[cfg(unix)]
type Identity = (u64, u64);
#[cfg(not(unix))]
type Identity = PathBuf;

impl FileId {
    /// The identity of an existing file or folder; `None` if nothing is there.
    pub fn of(path: &Path) -> Option<Self> {
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            std::fs::metadata(path)
                .ok()
                .map(|m| FileId((m.dev(), m.ino())))
        }
        #[cfg(not(unix))]
        {
            std::fs::canonicalize(path).ok().map(FileId)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_utf8_names_file_and_offset() {
        let err = decode_text(b"abc\xffdef".to_vec(), "x.txt")
            .unwrap_err()
            .to_string();
        assert_eq!(err, "x.txt: invalid UTF-8 at byte 3");
    }

    #[test]
    fn utf16_and_binary_are_told_apart() {
        let utf16le: Vec<u8> = "Saya suka membaca buku."
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        let utf16be: Vec<u8> = "Saya suka."
            .encode_utf16()
            .flat_map(u16::to_be_bytes)
            .collect();
        let with_bom = [&[0xFF, 0xFE][..], &utf16le].concat();
        for bytes in [utf16le, utf16be, with_bom] {
            let err = decode_text(bytes, "u.txt").unwrap_err().to_string();
            assert_eq!(err, "u.txt: UTF-16 text; convert to UTF-8");
        }
        let err = decode_text(
            b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0\x03\0>\0".to_vec(),
            "b.txt",
        )
        .unwrap_err()
        .to_string();
        assert_eq!(err, "b.txt: binary file (contains NUL bytes)");
        assert_eq!(decode_text(b"ok\n".to_vec(), "t.txt").unwrap(), "ok\n");
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig {
            cases: 512,
            failure_persistence: None,
            ..Default::default()
        })]

        /// Text is never refused: the UTF-16 and binary checks fire only on NUL bytes.
        #[test]
        fn nul_free_utf8_is_accepted_as_it_is(text in "[^\\x00]*") {
            proptest::prop_assert_eq!(decode_text(text.clone().into_bytes(), "t").unwrap(), text);
        }

        /// Any bytes give text or one line naming the input, never a panic.
        #[test]
        fn any_bytes_give_text_or_one_named_line(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..600)) {
            if let Err(e) = decode_text(bytes, "in.txt") {
                let line = e.to_string();
                proptest::prop_assert!(line.starts_with("in.txt: ") && !line.contains('\n'), "{}", line);
            }
        }
    }

    #[test]
    fn io_reasons_carry_no_os_error_number() {
        // ENOSPC, EIO, ENAMETOOLONG, ELOOP on Linux.
        for code in [28, 5, 36, 40] {
            let reason = io_reason(&std::io::Error::from_raw_os_error(code));
            assert!(!reason.contains("os error"), "{reason}");
        }
    }

    #[test]
    fn atomic_write_replaces_and_leaves_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.txt");
        write_atomic(&path, b"one").unwrap();
        write_atomic(&path, b"two").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"two");
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(names.len(), 1);
    }

    #[test]
    fn stale_temporaries_go_and_live_ones_stay() {
        let dir = tempfile::tempdir().unwrap();
        let stale = dir.path().join(".a.txt.x1y2z3.terjemah-tmp");
        std::fs::write(&stale, "partial").unwrap();
        let live = temp_file_in(dir.path(), "b.txt").unwrap();
        live.as_file().lock().unwrap();
        let other = dir.path().join(".hidden.txt");
        std::fs::write(&other, "user's").unwrap();
        remove_stale_temporaries(dir.path());
        assert!(!stale.exists());
        assert!(live.path().exists());
        assert!(other.exists());
    }

    #[cfg(unix)]
    #[test]
    fn outputs_get_ordinary_permissions() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.txt");
        write_atomic(&path, b"x").unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        // Readable by others unless the umask forbids it (tests run with the usual 022).
        assert_eq!(mode & 0o644, 0o644);
    }

    #[test]
    fn identity_sees_through_path_spellings() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("x.txt");
        std::fs::write(&file, "a").unwrap();
        let dotted = dir.path().join(".").join("x.txt");
        assert_eq!(FileId::of(&file), FileId::of(&dotted));
        std::fs::hard_link(&file, dir.path().join("h.txt")).unwrap();
        assert_eq!(FileId::of(&file), FileId::of(&dir.path().join("h.txt")));
        assert_eq!(FileId::of(&dir.path().join("none.txt")), None);
    }
}
