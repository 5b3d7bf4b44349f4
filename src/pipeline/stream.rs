//! Line and JSON Lines runs as streams: input read a window at a time, output written in input
//! order as each window is done, and `-o FILE` runs that resume after a crash.
//!
//! - Reading: a `BufRead` line reader keeps each line's terminator (`\n`, `\r\n`, none at the end)
//!   byte for byte. A line longer than [`MAX_LINE_BYTES`] is refused, so one giant line cannot
//!   allocate without bound; a window holds at most `--window` lines and [`WINDOW_BYTES`] of
//!   input, so memory is independent of the input's size. UTF-16, NUL bytes and invalid UTF-8 are
//!   one error line naming the input (and the byte and line).
//! - Writing to standard output: each window's output is written and flushed as soon as it is
//!   translated; lines before an error have been written.
//! - Writing to `-o FILE`: the output grows in `.FILE.terjemah-partial` beside it, locked while a
//!   run writes it, and `.FILE.terjemah-checkpoint` (JSON) says how much of it is good. After each
//!   window the partial is synced, then the checkpoint replaced atomically, so a kill at any moment
//!   leaves a partial whose first `output_bytes` bytes are the output of the first `lines` lines.
//!   Nothing is created at FILE until the run completes (the partial is then renamed over it).
//! - Resuming: a checkpoint counts only if the input is a regular file of the recorded size, the
//!   settings that shape the output are the same, and the recorded number of lines hashes (CRC-32
//!   of exactly the consumed bytes, which are read again anyway to skip them) to the recorded
//!   value; the partial is then truncated to `output_bytes` and the run goes on after those lines.
//!   Hashing the consumed prefix rather than samples of the file proves that every byte the kept
//!   output came from is unchanged. Anything else is refused in one line unless `--force`, which
//!   starts over. Standard input, FIFOs and other streams cannot be resumed.

use std::fs::File;
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Result};
use serde::{Deserialize, Serialize};

use crate::files::{io_reason, looks_like_utf16, parent_dir, write_atomic, Input};

/// The longest input line read: far beyond any sentence or news article in a JSONL field, and
/// small enough that one bad line (`/dev/zero`, a dump without newlines) cannot exhaust memory.
pub const MAX_LINE_BYTES: u64 = 16 << 20;

/// Input bytes a window holds at most, whatever its line count.
pub const WINDOW_BYTES: usize = 64 << 20;

/// Lines translated together by default: 16 full GPU batches, 64 CPU batches; enough for the
/// length sort to fill batches well.
pub const DEFAULT_WINDOW: usize = 4096;

const PARTIAL_SUFFIX: &str = ".terjemah-partial";
const CHECKPOINT_SUFFIX: &str = ".terjemah-checkpoint";

/// One input line: its text and terminator, kept together.
#[derive(Debug)]
pub struct Line {
    text: String,
    content_len: usize,
}

impl Line {
    fn new(text: String) -> Self {
        let content_len = text.trim_end_matches(['\n', '\r']).len();
        Self { text, content_len }
    }

    /// The line without its terminator.
    pub fn content(&self) -> &str {
        &self.text[..self.content_len]
    }

    /// `\n`, `\r\n` (any `\r`s before the `\n`), or nothing at the end of the input.
    pub fn ending(&self) -> &str {
        &self.text[self.content_len..]
    }
}

/// Where the reader stands: lines and bytes consumed, and the CRC-32 of those bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Position {
    lines: usize,
    bytes: u64,
    crc32: u32,
}

/// Lines of one input, read a window at a time.
pub struct LineReader {
    inner: Box<dyn BufRead>,
    name: String,
    /// The input's size when it is a regular file (only those can be resumed).
    size: Option<u64>,
    lines: usize,
    bytes: u64,
    crc: crc32fast::Hasher,
    buf: Vec<u8>,
    /// A shard's reader ends after this line.
    end: Option<usize>,
}

impl LineReader {
    /// Opens `input`; a directory or an unreadable file is one error line.
    pub fn open(input: &Input) -> Result<Self> {
        let name = input.name();
        let (inner, size): (Box<dyn BufRead>, _) = match input {
            Input::Stdin => (Box::new(std::io::stdin().lock()), None),
            Input::File(path) => {
                let file = File::open(path).map_err(|e| anyhow!("{name}: {}", io_reason(&e)))?;
                let meta = file
                    .metadata()
                    .map_err(|e| anyhow!("{name}: {}", io_reason(&e)))?;
                if meta.is_dir() {
                    bail!("{name}: is a directory, not a file");
                }
                let size = meta.is_file().then_some(meta.len());
                (Box::new(BufReader::with_capacity(1 << 16, file)), size)
            }
        };
        let mut reader = Self {
            inner,
            name,
            size,
            lines: 0,
            bytes: 0,
            crc: crc32fast::Hasher::new(),
            buf: Vec::new(),
            end: None,
        };
        let head = reader
            .inner
            .fill_buf()
            .map_err(|e| anyhow!("{}: cannot read: {}", reader.name, io_reason(&e)))?;
        if looks_like_utf16(head) {
            bail!("{}: UTF-16 text; convert to UTF-8", reader.name);
        }
        Ok(reader)
    }

    /// Lines read so far.
    pub fn lines_read(&self) -> usize {
        self.lines
    }

    fn position(&self) -> Position {
        Position {
            lines: self.lines,
            bytes: self.bytes,
            crc32: self.crc.clone().finalize(),
        }
    }

    /// The next line, `None` at the end of the input.
    fn next_line(&mut self) -> Result<Option<Line>> {
        self.buf.clear();
        let n = (&mut self.inner)
            .take(MAX_LINE_BYTES + 1)
            .read_until(b'\n', &mut self.buf)
            .map_err(|e| anyhow!("{}: cannot read: {}", self.name, io_reason(&e)))?;
        if n == 0 {
            return Ok(None);
        }
        let number = self.lines + 1;
        if n as u64 > MAX_LINE_BYTES {
            bail!(
                "{}: line {number}: longer than {} MiB, not read",
                self.name,
                MAX_LINE_BYTES >> 20
            );
        }
        if self.buf.contains(&0) {
            bail!("{}: binary file (contains NUL bytes)", self.name);
        }
        let text = match std::str::from_utf8(&self.buf) {
            Ok(text) => text.to_owned(),
            Err(e) => bail!(
                "{}: invalid UTF-8 at byte {} (line {number})",
                self.name,
                self.bytes + e.valid_up_to() as u64
            ),
        };
        self.crc.update(&self.buf);
        self.bytes += n as u64;
        self.lines = number;
        Ok(Some(Line::new(text)))
    }

    /// Up to `max_lines` lines and about [`WINDOW_BYTES`]; empty at the end of the input.
    pub fn window(&mut self, max_lines: usize) -> Result<Vec<Line>> {
        let mut lines = Vec::new();
        let mut bytes = 0;
        while lines.len() < max_lines
            && bytes < WINDOW_BYTES
            && self.end.is_none_or(|end| self.lines < end)
        {
            match self.next_line()? {
                Some(line) => {
                    bytes += line.text.len();
                    lines.push(line);
                }
                None => break,
            }
        }
        Ok(lines)
    }

    /// Reads past `n` lines (fewer if the input ends first).
    fn skip(&mut self, n: usize) -> Result<()> {
        while self.lines < n && self.next_line()?.is_some() {}
        Ok(())
    }
}

/// A whole input read once, bounded in memory: its lines (a last one without a newline counts),
/// bytes and CRC-32; what a line-file shard needs to find its range and mark itself done.
pub fn scan(input: &Input) -> Result<(usize, u64, u32)> {
    let mut reader = LineReader::open(input)?;
    reader.skip(usize::MAX)?;
    let at = reader.position();
    Ok((at.lines, at.bytes, at.crc32))
}

/// What `.FILE.terjemah-checkpoint` records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Checkpoint {
    /// The input's size in bytes.
    input_bytes: u64,
    /// Input lines whose output is in the partial.
    lines: usize,
    /// Their bytes, and the CRC-32 of those bytes.
    consumed_bytes: u64,
    consumed_crc32: u32,
    /// The partial's valid prefix.
    output_bytes: u64,
    /// The settings that shape the output (model, search, format, window).
    settings: String,
}

/// Where a streamed run's output goes.
pub enum Sink {
    Stdout,
    File(Partial),
}

/// `-o FILE`: the partial output beside FILE and, for a resumable input, its checkpoint.
pub struct Partial {
    target: PathBuf,
    partial: PathBuf,
    checkpoint: PathBuf,
    file: File,
    input_bytes: Option<u64>,
    settings: String,
    written: u64,
    /// A checkpoint on disk says the partial is worth keeping if this run fails.
    kept: bool,
    done: bool,
}

/// The hidden files beside `target` that a streamed run writes: the partial and the checkpoint.
pub fn side_files(target: &Path) -> [PathBuf; 2] {
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let dir = parent_dir(target);
    [
        dir.join(format!(".{name}{PARTIAL_SUFFIX}")),
        dir.join(format!(".{name}{CHECKPOINT_SUFFIX}")),
    ]
}

/// Opens the input and the output; with `-o` and a checkpoint from an interrupted run on the
/// same input and settings, the reader is past the lines already done and the partial holds
/// their output. With `lines` (a shard), the reader starts at its first line and ends after its
/// last. Returns the lines skipped, to be reported.
pub fn open(
    input: &Input,
    output: Option<&Path>,
    settings: &str,
    force: bool,
    lines: Option<std::ops::Range<usize>>,
) -> Result<(LineReader, Sink, usize)> {
    let mut reader = open_range(input, lines.clone())?;
    let Some(target) = output else {
        return Ok((reader, Sink::Stdout, 0));
    };
    let [partial_path, checkpoint_path] = side_files(target);
    let shown = target.display();
    let fail = |e: &std::io::Error| anyhow!("{shown}: cannot write: {}", io_reason(e));
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&partial_path)
        .map_err(|e| fail(&e))?;
    if file.try_lock().is_err() {
        bail!("{shown}: another terjemah run is writing this output");
    }
    let mut sink = Partial {
        target: target.to_path_buf(),
        partial: partial_path,
        checkpoint: checkpoint_path,
        file,
        input_bytes: reader.size,
        settings: settings.to_owned(),
        written: 0,
        kept: false,
        done: false,
    };
    let previous = std::fs::read(&sink.checkpoint)
        .ok()
        .and_then(|bytes| serde_json::from_slice::<Checkpoint>(&bytes).ok());
    let mut skipped = 0;
    if let (Some(cp), Some(size)) = (previous, reader.size) {
        // A refused or failed resume must leave the interrupted run's files as they are.
        sink.kept = true;
        let partial_len = sink.file.metadata().map_err(|e| fail(&e))?.len();
        let why = if cp.settings != settings {
            Some("the settings differ from the interrupted run's")
        } else if cp.input_bytes != size {
            Some("the input changed since the interrupted run (its size differs)")
        } else if partial_len < cp.output_bytes {
            Some("the partial output is shorter than its checkpoint says")
        } else {
            reader.skip(cp.lines)?;
            let want = Position {
                lines: cp.lines,
                bytes: cp.consumed_bytes,
                crc32: cp.consumed_crc32,
            };
            (reader.position() != want)
                .then_some("the input changed since the interrupted run (its lines differ)")
        };
        match why {
            None => {
                sink.file
                    .set_len(cp.output_bytes)
                    .and_then(|()| sink.file.seek(SeekFrom::End(0)).map(drop))
                    .map_err(|e| fail(&e))?;
                sink.written = cp.output_bytes;
                skipped = cp.lines;
            }
            Some(why) if !force => {
                bail!("{shown}: a checkpoint cannot be resumed: {why}; --force starts over")
            }
            Some(_) => {
                reader = open_range(input, lines.clone())?;
                sink.kept = false;
            }
        }
    }
    if skipped == 0 {
        sink.kept = false;
        sink.file.set_len(0).map_err(|e| fail(&e))?;
        remove_if_there(&sink.checkpoint).map_err(|e| fail(&e))?;
    }
    Ok((reader, Sink::File(sink), skipped))
}

/// A reader of `input`, at the first line of `lines` and ending after its last, if given.
fn open_range(input: &Input, lines: Option<std::ops::Range<usize>>) -> Result<LineReader> {
    let mut reader = LineReader::open(input)?;
    if let Some(lines) = lines {
        reader.skip(lines.start)?;
        reader.end = Some(lines.end);
    }
    Ok(reader)
}

fn remove_if_there(path: &Path) -> std::io::Result<()> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

impl Sink {
    /// Writes one window's output, which covers the input up to where `reader` stands, and makes
    /// it durable (file) or visible (stdout). `false`: standard output was closed (`| head`), which
    /// is the reader's choice, so the run stops without error.
    pub fn write(&mut self, bytes: &[u8], reader: &LineReader) -> Result<bool> {
        match self {
            Sink::Stdout => {
                let mut out = std::io::stdout().lock();
                match out.write_all(bytes).and_then(|()| out.flush()) {
                    Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(false),
                    other => other.map(|()| true).map_err(Into::into),
                }
            }
            Sink::File(p) => p.append(bytes, reader.position()).map(|()| true),
        }
    }

    /// Completes the output: the partial becomes FILE and the checkpoint goes.
    pub fn finish(self) -> Result<()> {
        match self {
            Sink::Stdout => Ok(()),
            Sink::File(mut p) => {
                let fail = |e: &std::io::Error| {
                    anyhow!("{}: cannot write: {}", p.target.display(), io_reason(e))
                };
                std::fs::rename(&p.partial, &p.target).map_err(|e| fail(&e))?;
                p.done = true;
                remove_if_there(&p.checkpoint).map_err(|e| fail(&e))
            }
        }
    }
}

impl Partial {
    fn append(&mut self, bytes: &[u8], at: Position) -> Result<()> {
        let fail = |e: &std::io::Error| {
            anyhow!("{}: cannot write: {}", self.target.display(), io_reason(e))
        };
        // The bytes are on disk before a checkpoint counts them.
        self.file
            .write_all(bytes)
            .and_then(|()| self.file.sync_data())
            .map_err(|e| fail(&e))?;
        self.written += bytes.len() as u64;
        if let Some(input_bytes) = self.input_bytes {
            let cp = Checkpoint {
                input_bytes,
                lines: at.lines,
                consumed_bytes: at.bytes,
                consumed_crc32: at.crc32,
                output_bytes: self.written,
                settings: self.settings.clone(),
            };
            let json = serde_json::to_vec(&cp)?;
            write_atomic(&self.checkpoint, &json)?;
            self.kept = true;
        }
        Ok(())
    }
}

impl Drop for Partial {
    /// A run that failed before any checkpoint leaves nothing behind; one with a checkpoint leaves
    /// the partial for the rerun to continue.
    fn drop(&mut self) {
        if !self.done && !self.kept {
            let _ = std::fs::remove_file(&self.partial);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reader_of(bytes: &[u8]) -> LineReader {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("in.txt");
        std::fs::write(&path, bytes).unwrap();
        // The open file outlives its folder on Unix.
        LineReader::open(&Input::File(path)).unwrap()
    }

    #[test]
    fn lines_keep_terminators_and_missing_final_newline() {
        let text = "a\r\n\nb \n  \nc";
        let mut reader = reader_of(text.as_bytes());
        let lines = reader.window(100).unwrap();
        let back: String = lines
            .iter()
            .map(|l| [l.content(), l.ending()].concat())
            .collect();
        assert_eq!(back, text);
        let contents: Vec<&str> = lines.iter().map(Line::content).collect();
        assert_eq!(contents, ["a", "", "b ", "  ", "c"]);
        assert!(reader.window(100).unwrap().is_empty());
    }

    #[test]
    fn windows_split_the_input_and_count_lines() {
        let mut reader = reader_of(b"1\n2\n3\n4\n5\n");
        let sizes: Vec<usize> = std::iter::from_fn(|| {
            let w = reader.window(2).unwrap();
            (!w.is_empty()).then_some(w.len())
        })
        .collect();
        assert_eq!(sizes, [2, 2, 1]);
        assert_eq!(reader.lines_read(), 5);
    }

    #[test]
    fn invalid_utf8_names_the_byte_and_line() {
        let mut reader = reader_of(b"Saya\nmak\xc3an.\n");
        let err = reader.window(10).unwrap_err().to_string();
        assert!(err.ends_with("invalid UTF-8 at byte 8 (line 2)"), "{err}");
    }

    #[test]
    fn a_line_past_the_bound_is_refused() {
        let big = vec![b'a'; MAX_LINE_BYTES as usize + 1];
        let mut reader = reader_of(&big);
        let err = reader.window(10).unwrap_err().to_string();
        assert!(
            err.ends_with("line 1: longer than 16 MiB, not read"),
            "{err}"
        );
    }
}
