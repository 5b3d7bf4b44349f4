//! Reading inputs (files or stdin; UTF-8 errors name the file and byte) and writing outputs
//! atomically (temporary file + rename), so a failed or interrupted run never leaves a partial file.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context, Result};

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

    /// The whole input as UTF-8 text.
    pub fn read_text(&self) -> Result<String> {
        let bytes = match self {
            Input::Stdin => {
                let mut buf = Vec::new();
                std::io::stdin()
                    .read_to_end(&mut buf)
                    .map_err(|e| anyhow!("<stdin>: cannot read: {e}"))?;
                buf
            }
            Input::File(path) => {
                if path.is_dir() {
                    bail!("{}: is a directory, not a file", path.display());
                }
                std::fs::read(path).map_err(|e| anyhow!("{}: {}", path.display(), io_reason(&e)))?
            }
        };
        utf8(bytes, &self.name())
    }
}

/// The short reason for an I/O error, without Rust's "(os error N)" suffix.
pub fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => e.to_string(),
    }
}

/// Checks UTF-8, naming the input and the first bad byte's offset.
pub fn utf8(bytes: Vec<u8>, name: &str) -> Result<String> {
    String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        anyhow!("{name}: invalid UTF-8 at byte {at}")
    })
}

/// Writes `data` to `path` through a temporary file in the same directory and a rename.
pub fn write_atomic(path: &Path, data: &[u8]) -> Result<()> {
    if path.is_dir() {
        bail!(
            "{}: is a directory, cannot write output there",
            path.display()
        );
    }
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&dir)
        .with_context(|| format!("{}: cannot create directory", dir.display()))?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    // A fixed name: a rerun after a killed run overwrites the stale temporary instead of leaving it.
    let tmp = dir.join(format!(".{name}.terjemah-tmp"));
    let result = (|| -> std::io::Result<()> {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(data)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        bail!("{}: cannot write: {}", path.display(), io_reason(&e));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_utf8_names_file_and_offset() {
        let err = utf8(b"abc\xffdef".to_vec(), "x.txt")
            .unwrap_err()
            .to_string();
        assert_eq!(err, "x.txt: invalid UTF-8 at byte 3");
    }

    #[test]
    fn atomic_write_replaces_and_leaves_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/out.txt");
        write_atomic(&path, b"one").unwrap();
        write_atomic(&path, b"two").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"two");
        let names: Vec<_> = std::fs::read_dir(path.parent().unwrap()).unwrap().collect();
        assert_eq!(names.len(), 1);
    }
}
