//! Shards of a folder run or a line file: which part of the work one of N tasks does, where the index and count
//! come from, and the marker a finished shard leaves.
//!
//! - `--shard I/N` counts from 0, as Kubernetes and fairseq do. Without it the index comes from
//!   the scheduler: a Slurm array (`SLURM_ARRAY_TASK_ID`, `_MIN`, `_STEP`, `_COUNT`; arrays may
//!   start at 1 and have steps), else a Kubernetes Indexed Job (`JOB_COMPLETION_INDEX`, with the
//!   count from `--shard-count` or `TERJEMAH_SHARD_COUNT`, since Kubernetes sets none).
//! - The partition is a pure function of the whole sorted list of relative paths and their sizes
//!   ([`partition`]): contiguous ranges balanced by bytes. Adding or removing a file may move
//!   files of other shards, so the input must not change while the shards of one run are out.
//! - A shard that finished with no failure writes `OUTDIR/.terjemah-shard-I-of-N.done` (JSON);
//!   markers of another count in the output folder mean another layout, which is refused.
//! - A line or JSON Lines file is cut by lines instead ([`line_range`]), shard I writing
//!   `OUT.shard-I-of-N` and, after its final rename, `.OUT.shard-I-of-N.done`; [`merge`] puts the
//!   shards back together.

use std::fmt;
use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Result};
use serde_json::{json, Value};

use crate::files::{io_reason, parent_dir, write_atomic, write_atomic_with};

/// The environment variable that gives the shard count next to Kubernetes' `JOB_COMPLETION_INDEX`.
pub const COUNT_VAR: &str = "TERJEMAH_SHARD_COUNT";

/// The most shards: far more than any cluster runs, few enough that no sum of sizes overflows.
pub const MAX_SHARDS: usize = 1 << 20;

/// Shard `index` of `count`, `0 <= index < count`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub index: usize,
    pub count: usize,
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl Shard {
    /// A checked shard; `what` names where the numbers came from in the error.
    fn new(index: usize, count: usize, what: &str) -> Result<Self> {
        if !(1..=MAX_SHARDS).contains(&count) {
            bail!("{what}: the shard count must be between 1 and {MAX_SHARDS}, not {count}");
        }
        if index >= count {
            bail!("{what}: shard index {index} is outside 0..{count} (indices count from 0)");
        }
        Ok(Self { index, count })
    }

    /// `I/N`, as `--shard` takes it.
    pub fn parse(text: &str) -> Result<Self> {
        let what = format!("--shard {text}");
        let (i, n) = text
            .split_once('/')
            .ok_or_else(|| anyhow!("{what}: give INDEX/COUNT, e.g. 0/4"))?;
        Self::new(number(i, &what)?, number(n, &what)?, &what)
    }

    /// The marker's file name.
    fn marker_name(&self) -> String {
        format!(
            "{MARKER_PREFIX}{}-of-{}{MARKER_SUFFIX}",
            self.index, self.count
        )
    }
}

fn number(text: &str, what: &str) -> Result<usize> {
    text.trim()
        .parse()
        .map_err(|_| anyhow!("{what}: {text:?} is not a whole number"))
}

/// The shard of this run: `--shard` wins, then a Slurm array, then a Kubernetes Indexed Job;
/// `None` without any. `env` reads one variable (the process environment outside tests).
pub fn resolve(
    flag: Option<&str>,
    count_flag: Option<usize>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Option<Shard>> {
    if let Some(text) = flag {
        if count_flag.is_some() {
            bail!("--shard-count goes with JOB_COMPLETION_INDEX; --shard I/N gives its own count");
        }
        return Shard::parse(text).map(Some);
    }
    let var = |name: &str| -> Result<Option<usize>> {
        env(name)
            .map(|v| number(&v, name).map_err(|e| anyhow!("{e} (from the environment)")))
            .transpose()
    };
    if let Some(id) = var("SLURM_ARRAY_TASK_ID")? {
        let what = "SLURM_ARRAY_TASK_ID";
        let count = var("SLURM_ARRAY_TASK_COUNT")?
            .ok_or_else(|| anyhow!("{what} is set but SLURM_ARRAY_TASK_COUNT is not"))?;
        let min = var("SLURM_ARRAY_TASK_MIN")?.unwrap_or(0);
        let step = var("SLURM_ARRAY_TASK_STEP")?.unwrap_or(1);
        if step == 0 {
            bail!("SLURM_ARRAY_TASK_STEP is 0");
        }
        let offset = id
            .checked_sub(min)
            .ok_or_else(|| anyhow!("{what} {id} is below SLURM_ARRAY_TASK_MIN {min}"))?;
        if offset % step != 0 {
            bail!("{what} {id} is not SLURM_ARRAY_TASK_MIN {min} plus a multiple of SLURM_ARRAY_TASK_STEP {step}");
        }
        let what = format!("{what} {id} (MIN {min}, STEP {step}, COUNT {count})");
        return Shard::new(offset / step, count, &what).map(Some);
    }
    if let Some(index) = var("JOB_COMPLETION_INDEX")? {
        let count = match count_flag {
            Some(n) => n,
            None => var(COUNT_VAR)?.ok_or_else(|| {
                anyhow!("JOB_COMPLETION_INDEX is set but the shard count is not: give --shard-count N or {COUNT_VAR}")
            })?,
        };
        let what = format!("JOB_COMPLETION_INDEX {index}");
        return Shard::new(index, count, &what).map(Some);
    }
    if count_flag.is_some() {
        bail!("--shard-count needs JOB_COMPLETION_INDEX in the environment; use --shard I/N");
    }
    Ok(None)
}

/// The shard each item goes to, given each item's size in bytes, in the order of the whole sorted
/// list. Shard k takes the items whose byte midpoint falls in [k·T/N, (k+1)·T/N), T the total:
/// contiguous ranges, each within one item of T/N bytes. Every size counts one byte more, so that
/// empty files are spread too and T is never 0.
pub fn partition(sizes: &[u64], count: usize) -> Vec<usize> {
    let total: u128 = sizes.iter().map(|&s| u128::from(s) + 1).sum();
    let mut before = 0u128;
    sizes
        .iter()
        .map(|&s| {
            let w = u128::from(s) + 1;
            // The doubled midpoint 2·before + w is below 2·total, so the shard is below count.
            let shard = (2 * before + w) * count as u128 / (2 * total);
            before += w;
            shard as usize
        })
        .collect()
}

const MARKER_PREFIX: &str = ".terjemah-shard-";
const MARKER_SUFFIX: &str = ".done";

/// The shard whose marker file this is, if it is one.
fn marker_shard(name: &str) -> Option<(usize, usize)> {
    let middle = name
        .strip_prefix(MARKER_PREFIX)?
        .strip_suffix(MARKER_SUFFIX)?;
    let (i, n) = middle.split_once("-of-")?;
    Some((i.parse().ok()?, n.parse().ok()?))
}

/// Whether a path relative to the output folder is where a shard marker goes.
pub fn is_marker_path(relative: &Path) -> bool {
    relative.components().count() == 1 && relative.to_str().and_then(marker_shard).is_some()
}

/// Refuses an output folder that holds markers of another shard count: its outputs were split
/// another way, and mixing layouts would leave files of neither done nor redone.
pub fn check_layout(out_dir: &Path, shard: Shard) -> Result<()> {
    let Ok(entries) = std::fs::read_dir(out_dir) else {
        return Ok(());
    };
    let mut other: Vec<String> = entries
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().into_string().ok()?;
            let (_, n) = marker_shard(&name)?;
            (n != shard.count).then_some(name)
        })
        .collect();
    other.sort();
    if let Some(first) = other.first() {
        bail!(
            "{}: holds {first}, a marker of another shard layout; this run is shard {shard}: use another -o or remove the .terjemah-shard-* markers",
            out_dir.display()
        );
    }
    Ok(())
}

/// The completion marker of one shard of a folder run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Marker {
    pub path: PathBuf,
    pub shard: Shard,
    /// The shard's files, relative to the output folder, in the partition's order.
    pub files: Vec<String>,
    pub bytes: u64,
}

impl Marker {
    pub fn new(out_dir: &Path, shard: Shard, files: Vec<String>, bytes: u64) -> Self {
        Self {
            path: out_dir.join(shard.marker_name()),
            shard,
            files,
            bytes,
        }
    }

    /// Whether the marker on disk is this one: the same shard of the same layout over the same
    /// files.
    pub fn is_on_disk(&self) -> bool {
        let Ok(text) = std::fs::read_to_string(&self.path) else {
            return false;
        };
        let Ok(value) = serde_json::from_str::<Value>(&text) else {
            return false;
        };
        value["index"] == json!(self.shard.index)
            && value["count"] == json!(self.shard.count)
            && value["files"] == json!(self.files)
    }

    /// Removes a marker an earlier run left, which a run with failures must not leave standing.
    pub fn remove(&self) -> Result<()> {
        match std::fs::remove_file(&self.path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(anyhow!(
                "{}: cannot remove: {}",
                self.path.display(),
                io_reason(&e)
            )),
            _ => Ok(()),
        }
    }

    /// Writes the marker (atomically): the shard, its files and bytes, and how this run found
    /// them.
    pub fn write(&self, translated: usize, up_to_date: usize) -> Result<()> {
        let value = json!({
            "shard": self.shard.to_string(),
            "index": self.shard.index,
            "count": self.shard.count,
            "files": self.files,
            "bytes": self.bytes,
            "translated": translated,
            "up_to_date": up_to_date,
        });
        write_atomic(&self.path, format!("{value}\n").as_bytes())
    }
}

/// The lines shard `shard` of a line file of `lines` lines takes: [k·L/N, (k+1)·L/N), contiguous,
/// disjoint, covering every line; a range may be empty.
pub fn line_range(lines: usize, shard: Shard) -> std::ops::Range<usize> {
    let at = |k: usize| (k as u128 * lines as u128 / shard.count as u128) as usize;
    at(shard.index)..at(shard.index + 1)
}

/// `OUT.shard-I-of-N`, I zero-padded to N's width so that `cat OUT.shard-*` reads them in order.
pub fn line_output(out: &Path, shard: Shard) -> PathBuf {
    let width = shard.count.to_string().len();
    let name = format!(
        "{}.shard-{:0width$}-of-{}",
        file_name(out),
        shard.index,
        shard.count
    );
    parent_dir(out).join(name)
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// The count N of a name that is one of OUT's shard files (`OUT.shard-I-of-N`, or a hidden file
/// beside it: partial, checkpoint, done marker).
fn line_shard_count(name: &str, out_name: &str) -> Option<usize> {
    let rest = name.strip_prefix('.').unwrap_or(name);
    let rest = rest.strip_prefix(out_name)?.strip_prefix(".shard-")?;
    let (i, tail) = rest.split_once("-of-")?;
    if i.is_empty() || !i.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let digits: String = tail.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

/// Refuses a line-file shard whose folder holds shard files of OUT from another count: their
/// ranges differ, and merging them with these would repeat or lose lines.
pub fn check_line_layout(out: &Path, shard: Shard) -> Result<()> {
    let Ok(entries) = std::fs::read_dir(parent_dir(out)) else {
        return Ok(());
    };
    let out_name = file_name(out);
    let mut other: Vec<String> = entries
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().into_string().ok()?;
            let n = line_shard_count(&name, &out_name)?;
            (n != shard.count).then_some(name)
        })
        .collect();
    other.sort();
    if let Some(first) = other.first() {
        bail!(
            "{}: {first} is from another shard layout; this run is shard {shard}: use another -o or remove {out_name}'s shard files",
            out.display()
        );
    }
    Ok(())
}

/// `.OUT.shard-I-of-N.done` beside a line-file shard's output: written right after the output's
/// final rename, it records the input it was made from, so that a retried task knows the shard
/// is done (and a changed input is redone).
pub fn line_marker(shard_output: &Path) -> PathBuf {
    parent_dir(shard_output).join(format!(".{}{MARKER_SUFFIX}", file_name(shard_output)))
}

/// What a line-file shard's marker holds.
pub fn line_marker_text(
    input_bytes: u64,
    input_crc32: u32,
    range: &std::ops::Range<usize>,
) -> String {
    format!(
        "{}\n",
        json!({"input_bytes": input_bytes, "input_crc32": input_crc32, "lines": [range.start, range.end]})
    )
}

/// `terjemah merge OUT --shards N`: OUT.shard-0-of-N … in order, concatenated into OUT through a
/// temporary file renamed over it (streamed, not read into memory). Every shard must have
/// finished (its output and marker present); the shard files are kept.
pub fn merge(out: &Path, count: usize) -> Result<()> {
    let shards: Vec<PathBuf> = (0..count)
        .map(|index| Shard::new(index, count, "--shards").map(|s| line_output(out, s)))
        .collect::<Result<_>>()?;
    for path in &shards {
        if !path.is_file() || !line_marker(path).is_file() {
            bail!(
                "{}: missing or unfinished (no output or no done marker); nothing merged",
                path.display()
            );
        }
    }
    write_atomic_with(out, |merged| {
        for path in &shards {
            let mut file = std::fs::File::open(path)
                .map_err(|e| anyhow!("{}: cannot read: {}", path.display(), io_reason(&e)))?;
            std::io::copy(&mut file, merged)
                .map_err(|e| anyhow!("{}: cannot write: {}", out.display(), io_reason(&e)))?;
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| map.get(k).cloned()
    }

    /// An environment to resolve in.
    type Env = Box<dyn Fn(&str) -> Option<String>>;

    fn shard(index: usize, count: usize) -> Option<Shard> {
        Some(Shard { index, count })
    }

    #[test]
    fn the_flag_parses_and_bad_values_are_one_line_each() {
        assert_eq!(Shard::parse("0/1").ok(), shard(0, 1));
        assert_eq!(Shard::parse("15/16").ok(), shard(15, 16));
        for (text, needle) in [
            ("3/2", "outside 0..2"),
            ("2/2", "outside 0..2"),
            ("0/0", "between 1 and"),
            ("a/2", "\"a\" is not a whole number"),
            ("1/b", "\"b\" is not a whole number"),
            ("-1/2", "not a whole number"),
            ("3", "give INDEX/COUNT"),
            ("", "give INDEX/COUNT"),
        ] {
            let e = Shard::parse(text).unwrap_err().to_string();
            assert!(e.contains(needle) && !e.contains('\n'), "{text}: {e}");
            assert!(e.starts_with("--shard "), "{e}");
        }
    }

    #[test]
    fn the_flag_wins_then_slurm_then_kubernetes() {
        let all = env(&[
            ("SLURM_ARRAY_TASK_ID", "3"),
            ("SLURM_ARRAY_TASK_MIN", "1"),
            ("SLURM_ARRAY_TASK_STEP", "2"),
            ("SLURM_ARRAY_TASK_COUNT", "4"),
            ("JOB_COMPLETION_INDEX", "0"),
            (COUNT_VAR, "3"),
        ]);
        assert_eq!(resolve(Some("2/5"), None, &all).unwrap(), shard(2, 5));
        assert_eq!(resolve(None, None, &all).unwrap(), shard(1, 4));
        let k8s = env(&[("JOB_COMPLETION_INDEX", "2"), (COUNT_VAR, "3")]);
        assert_eq!(resolve(None, None, &k8s).unwrap(), shard(2, 3));
        assert_eq!(resolve(None, Some(5), &k8s).unwrap(), shard(2, 5));
        assert_eq!(
            resolve(None, None, &env(&[(COUNT_VAR, "3")])).unwrap(),
            None
        );
        assert_eq!(resolve(None, None, &env(&[])).unwrap(), None);
    }

    #[test]
    fn slurm_arrays_may_start_at_one_and_step() {
        // --array=1-7:2 runs tasks 1, 3, 5, 7.
        for (id, index) in [("1", 0), ("3", 1), ("5", 2), ("7", 3)] {
            let e = env(&[
                ("SLURM_ARRAY_TASK_ID", id),
                ("SLURM_ARRAY_TASK_MIN", "1"),
                ("SLURM_ARRAY_TASK_STEP", "2"),
                ("SLURM_ARRAY_TASK_COUNT", "4"),
            ]);
            assert_eq!(resolve(None, None, &e).unwrap(), shard(index, 4));
        }
        let plain = env(&[
            ("SLURM_ARRAY_TASK_ID", "2"),
            ("SLURM_ARRAY_TASK_COUNT", "3"),
        ]);
        assert_eq!(resolve(None, None, &plain).unwrap(), shard(2, 3));
    }

    #[test]
    fn bad_environments_are_one_line_each() {
        let slurm = |id: &str, min: &str, step: &str, count: &str| {
            env(&[
                ("SLURM_ARRAY_TASK_ID", id),
                ("SLURM_ARRAY_TASK_MIN", min),
                ("SLURM_ARRAY_TASK_STEP", step),
                ("SLURM_ARRAY_TASK_COUNT", count),
            ])
        };
        let cases: Vec<(Env, Option<usize>, &str)> = vec![
            (Box::new(slurm("9", "1", "2", "4")), None, "outside 0..4"),
            (Box::new(slurm("4", "1", "2", "4")), None, "multiple of"),
            (Box::new(slurm("0", "1", "1", "4")), None, "below"),
            (Box::new(slurm("1", "1", "0", "4")), None, "STEP is 0"),
            (
                Box::new(slurm("x", "1", "1", "4")),
                None,
                "not a whole number",
            ),
            (
                Box::new(env(&[("SLURM_ARRAY_TASK_ID", "1")])),
                None,
                "SLURM_ARRAY_TASK_COUNT is not",
            ),
            (
                Box::new(env(&[("JOB_COMPLETION_INDEX", "3"), (COUNT_VAR, "3")])),
                None,
                "outside 0..3",
            ),
            (
                Box::new(env(&[("JOB_COMPLETION_INDEX", "0")])),
                None,
                "--shard-count N or TERJEMAH_SHARD_COUNT",
            ),
            (
                Box::new(env(&[("JOB_COMPLETION_INDEX", "0"), (COUNT_VAR, "0")])),
                None,
                "between 1 and",
            ),
            (Box::new(env(&[])), Some(4), "needs JOB_COMPLETION_INDEX"),
        ];
        for (e, count, needle) in cases {
            let line = resolve(None, count, &*e).unwrap_err().to_string();
            assert!(
                line.contains(needle) && !line.contains('\n'),
                "{needle}: {line}"
            );
        }
        let line = resolve(Some("0/2"), Some(2), &env(&[]))
            .unwrap_err()
            .to_string();
        assert!(line.contains("--shard-count goes with"), "{line}");
    }

    /// Every count from 1 to 16 over 0 to 20 files, of sizes from a fixed pseudo-random sequence
    /// with empty files among them: each file in exactly one shard, shards contiguous and in order,
    /// each within one file of its share of the bytes.
    #[test]
    fn partitions_are_disjoint_complete_contiguous_and_balanced() {
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for files in 0..=20 {
            let sizes: Vec<u64> = (0..files)
                .map(|_| match next() % 4 {
                    0 => 0,
                    _ => next() % 5000,
                })
                .collect();
            for count in 1..=16 {
                let shards = partition(&sizes, count);
                assert_eq!(shards.len(), files);
                assert!(shards.windows(2).all(|w| w[0] <= w[1]), "{shards:?}");
                assert!(shards.iter().all(|&s| s < count));
                let total: u64 = sizes.iter().map(|s| s + 1).sum();
                let largest = sizes.iter().map(|s| s + 1).max().unwrap_or(0);
                for k in 0..count {
                    let bytes: u64 = sizes
                        .iter()
                        .zip(&shards)
                        .filter(|(_, &s)| s == k)
                        .map(|(b, _)| b + 1)
                        .sum();
                    let n = count as u64;
                    assert!(
                        bytes * n <= total + largest * n,
                        "{files} files, {count} shards: shard {k} has {bytes} of {total}"
                    );
                }
                // The same list gives the same partition.
                assert_eq!(partition(&sizes, count), shards);
            }
        }
        // Equal files spread evenly.
        assert_eq!(partition(&[10; 8], 4), [0, 0, 1, 1, 2, 2, 3, 3]);
        assert_eq!(partition(&[0; 3], 5), [0, 2, 4]);
    }

    #[test]
    fn markers_are_named_and_recognised() {
        let s = Shard {
            index: 3,
            count: 16,
        };
        assert_eq!(s.marker_name(), ".terjemah-shard-3-of-16.done");
        assert!(is_marker_path(Path::new(".terjemah-shard-3-of-16.done")));
        assert!(!is_marker_path(Path::new("a/.terjemah-shard-3-of-16.done")));
        assert!(!is_marker_path(Path::new(".terjemah-shard-x-of-16.done")));
    }

    #[test]
    fn a_marker_matches_only_its_shard_and_files_and_other_layouts_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let s = Shard { index: 1, count: 2 };
        let marker = Marker::new(dir.path(), s, vec!["a.txt".into()], 5);
        assert!(!marker.is_on_disk());
        marker.write(1, 0).unwrap();
        assert!(marker.is_on_disk());
        marker.remove().unwrap();
        assert!(!marker.is_on_disk());
        marker.remove().unwrap();
        marker.write(1, 0).unwrap();
        let more = Marker::new(dir.path(), s, vec!["a.txt".into(), "b.txt".into()], 9);
        assert!(!more.is_on_disk());
        check_layout(dir.path(), Shard { index: 0, count: 2 }).unwrap();
        let e = check_layout(dir.path(), Shard { index: 0, count: 3 })
            .unwrap_err()
            .to_string();
        assert!(
            e.contains(".terjemah-shard-1-of-2.done") && e.contains("shard 0/3"),
            "{e}"
        );
    }

    #[test]
    fn line_ranges_are_disjoint_and_cover_every_line() {
        for lines in 0..=20 {
            for count in 1..=16 {
                let mut next = 0;
                for index in 0..count {
                    let range = line_range(lines, Shard { index, count });
                    assert_eq!(range.start, next, "{lines} lines, shard {index}/{count}");
                    assert!(range.start <= range.end);
                    next = range.end;
                }
                assert_eq!(next, lines, "{lines} lines, {count} shards");
            }
        }
    }

    #[test]
    fn line_shard_names_sort_and_parse() {
        let out = Path::new("d/en.txt");
        let name = |index, count| line_output(out, Shard { index, count });
        assert_eq!(name(3, 16), Path::new("d/en.txt.shard-03-of-16"));
        assert_eq!(name(0, 1), Path::new("d/en.txt.shard-0-of-1"));
        assert_eq!(
            line_marker(&name(3, 16)),
            Path::new("d/.en.txt.shard-03-of-16.done")
        );
        assert_eq!(
            line_shard_count("en.txt.shard-03-of-16", "en.txt"),
            Some(16)
        );
        assert_eq!(
            line_shard_count(".en.txt.shard-3-of-4.terjemah-checkpoint", "en.txt"),
            Some(4)
        );
        assert_eq!(line_shard_count("en.txt.shard-x-of-4", "en.txt"), None);
        assert_eq!(line_shard_count("fr.txt.shard-1-of-4", "en.txt"), None);
    }
}
