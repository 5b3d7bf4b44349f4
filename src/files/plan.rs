//! What a run will read and write, decided and checked before the model loads, so that a run that
//! would lose the user's data is refused at once and a bad path is found in the first second, not
//! after an hour of translating.
//!
//! Guarantees, for single-file and folder runs alike:
//! - no output is an input: files are compared by identity ([`FileId`]), so `./x.txt`, absolute
//!   paths, symlinks and hard links are seen through; an output folder equal to an input folder is
//!   refused, and one inside an input folder is never read from;
//! - no two inputs map to one output (refused with one line naming both);
//! - the output location exists or can be created, and can be written; temporaries that killed
//!   runs left there are removed (those of a run still writing are locked and stay);
//! - a folder is walked with `walkdir`, which detects symlink loops; each file is translated once
//!   however many paths lead to it; unreadable subfolders and inputs that are not regular files
//!   (FIFOs, sockets, devices) are reported and the rest goes on.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use anyhow::{bail, Result};
use walkdir::WalkDir;

use crate::files::shard::{self, Marker, Shard};
use crate::files::{
    io_reason, parent_dir, prepare_output_dir, remove_stale_temporaries, FileId, Input,
};

/// One input of a folder run and the file its English goes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkFile {
    pub source: PathBuf,
    pub output: PathBuf,
}

/// A checked folder run.
#[derive(Debug, Default)]
pub struct TreePlan {
    /// Files to translate, in a reproducible order.
    pub work: Vec<WorkFile>,
    /// Outputs newer than their inputs, not redone without `--force`.
    pub up_to_date: usize,
    /// Inputs that cannot be translated, one line each (`path: problem`); they count as failed.
    pub failures: Vec<String>,
    /// Things skipped on purpose (a symlink loop, a second path to a file), one line each.
    pub notes: Vec<String>,
    /// A sharded run's completion marker, written when the shard has finished without failure.
    pub marker: Option<Marker>,
}

/// What a folder run is asked to do.
#[derive(Debug, Clone, Copy)]
pub struct TreeRequest<'a> {
    pub inputs: &'a [PathBuf],
    pub out_dir: &'a Path,
    /// Lower-case, without the dot.
    pub extensions: &'a [String],
    pub force: bool,
    /// Translate only this shard's part of the listing.
    pub shard: Option<Shard>,
}

/// Checks a single-input run: the output (if any) is not the input, is not a folder, and its folder
/// can be written. Extra outputs (a report) are checked the same way.
pub fn single(input: &Input, output: Option<&Path>, extra: &[&Path]) -> Result<()> {
    if let (Some(output), [report, ..]) = (output, extra) {
        let place = resolved(output);
        if place.is_some() && place == resolved(report) {
            bail!("{}: named both as -o and as --report", report.display());
        }
    }
    let inputs: HashMap<FileId, PathBuf> = match input {
        Input::File(p) => FileId::of(p)
            .map(|id| (id, p.clone()))
            .into_iter()
            .collect(),
        Input::Stdin => HashMap::new(),
    };
    for path in output.into_iter().chain(extra.iter().copied()) {
        check_not_input(path, &inputs)?;
        if path.is_dir() {
            bail!(
                "{}: is a directory, cannot write output there",
                path.display()
            );
        }
        prepare_output_dir(&parent_dir(path))?;
    }
    Ok(())
}

/// Where a path points, whether or not it exists yet: its nearest existing ancestor's canonical
/// path and the rest of the path, so that two spellings of one output compare equal.
fn resolved(path: &Path) -> Option<PathBuf> {
    use std::path::Component;
    let absolute = std::path::absolute(path).ok()?;
    let mut rest = Vec::new();
    let mut existing = absolute.as_path();
    while !existing.exists() {
        rest.push(existing.components().next_back()?);
        existing = existing.parent()?;
    }
    let mut out = std::fs::canonicalize(existing).ok()?;
    // The missing part is taken lexically (a dangling symlink in it is not followed).
    for part in rest.iter().rev() {
        match part {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    Some(out)
}

/// Lists and checks a folder run. Whole-run problems (an output that is an input, two inputs
/// mapping to one output, an unwritable output folder) are errors; problems of one input are
/// listed in [`TreePlan::failures`].
pub fn tree(request: &TreeRequest, extra: &[&Path]) -> Result<TreePlan> {
    let out_dir = request.out_dir;
    let out_id = FileId::of(out_dir);
    let mut plan = TreePlan::default();
    let mut listed = Vec::new();
    let mut seen: HashMap<FileId, PathBuf> = HashMap::new();
    let several = request.inputs.len() > 1;
    for input in request.inputs {
        if out_id.is_some() && FileId::of(input) == out_id {
            bail!(
                "{}: is the output folder {}; choose another -o",
                input.display(),
                out_dir.display()
            );
        }
        list(
            input,
            several,
            request,
            out_id.as_ref(),
            &mut plan,
            &mut |source, relative| {
                // A file gone since the listing has no identity; reading it reports that.
                if let Some(id) = FileId::of(&source) {
                    if let Some(first) = seen.get(&id) {
                        return Some(format!(
                            "{}: same file as {}, translated once",
                            source.display(),
                            first.display()
                        ));
                    }
                    seen.insert(id, source.clone());
                }
                listed.push((source, relative));
                None
            },
        );
    }

    let mut by_output: HashMap<&Path, &Path> = HashMap::new();
    for (source, relative) in &listed {
        if let Some(first) = by_output.insert(relative, source) {
            bail!(
                "{} and {}: both would be written to {}; translate them into separate folders",
                first.display(),
                source.display(),
                out_dir.join(relative).display()
            );
        }
    }
    if let Some(shard) = request.shard {
        listed = select_shard(listed, shard, out_dir, &mut plan)?;
    }
    let outputs: Vec<WorkFile> = listed
        .iter()
        .map(|(source, relative)| WorkFile {
            source: source.clone(),
            output: out_dir.join(relative),
        })
        .collect();
    if !extra.is_empty() {
        // Resolving every output costs a few calls per file: only when there is a report to check.
        let written: HashMap<PathBuf, &Path> = outputs
            .iter()
            .filter_map(|f| Some((resolved(&f.output)?, f.source.as_path())))
            .collect();
        for path in extra {
            if let Some(source) = resolved(path).and_then(|r| written.get(&r)) {
                bail!(
                    "{}: --report would overwrite the translation of {}",
                    path.display(),
                    source.display()
                );
            }
        }
    }
    for file in &outputs {
        check_not_input(&file.output, &seen)?;
    }
    for path in extra {
        let marker = path
            .file_name()
            .filter(|n| shard::is_marker_path(Path::new(n)));
        if marker
            .is_some_and(|n| resolved(path).is_some_and(|r| resolved(&out_dir.join(n)) == Some(r)))
        {
            bail!(
                "{}: --report would overwrite a shard's completion marker",
                path.display()
            );
        }
        check_not_input(path, &seen)?;
        prepare_output_dir(&parent_dir(path))?;
    }
    prepare_output_dir(out_dir)?;
    let folders: HashSet<PathBuf> = outputs.iter().map(|f| parent_dir(&f.output)).collect();
    for folder in folders {
        remove_stale_temporaries(&folder);
    }

    for file in outputs {
        match output_state(&file.output, out_dir) {
            Err(problem) => plan.failures.push(format!(
                "{}: cannot write its translation: {problem}",
                file.source.display()
            )),
            Ok(Some(modified)) if !request.force && is_newer(&file.source, modified) => {
                plan.up_to_date += 1
            }
            Ok(_) => plan.work.push(file),
        }
    }
    Ok(plan)
}

/// Keeps the listed files of one shard, partitioned over the whole listing sorted by relative
/// path, and sets the plan's marker. Listing problems of no file in particular are reported as
/// failures by shard 0 only, so that the other shards can finish and write their markers.
fn select_shard(
    mut listed: Vec<(PathBuf, PathBuf)>,
    shard: Shard,
    out_dir: &Path,
    plan: &mut TreePlan,
) -> Result<Vec<(PathBuf, PathBuf)>> {
    if let Some((source, relative)) = listed.iter().find(|(_, r)| shard::is_marker_path(r)) {
        bail!(
            "{}: would be written to {}, where shard markers go; rename it or translate without --shard",
            source.display(),
            out_dir.join(relative).display()
        );
    }
    shard::check_layout(out_dir, shard)?;
    listed.sort_by(|a, b| a.1.cmp(&b.1));
    // A file that cannot be measured counts as empty: reading it reports the problem.
    let sizes: Vec<u64> = listed
        .iter()
        .map(|(source, _)| std::fs::metadata(source).map_or(0, |m| m.len()))
        .collect();
    let owners = shard::partition(&sizes, shard.count);
    let mut bytes = 0;
    let mut mine = Vec::new();
    for ((item, size), owner) in listed.into_iter().zip(sizes).zip(owners) {
        if owner == shard.index {
            bytes += size;
            mine.push(item);
        }
    }
    if shard.index != 0 {
        for failure in plan.failures.drain(..) {
            plan.notes.push(format!("{failure} (a failure of shard 0)"));
        }
    }
    let files = mine.iter().map(|(_, r)| r.display().to_string()).collect();
    plan.marker = Some(Marker::new(out_dir, shard, files, bytes));
    Ok(mine)
}

/// Refuses an output path that is one of the inputs (by identity), naming that input.
fn check_not_input(output: &Path, inputs: &HashMap<FileId, PathBuf>) -> Result<()> {
    if let Some(input) = FileId::of(output).and_then(|id| inputs.get(&id)) {
        bail!(
            "{}: output would overwrite {}, which is an input; choose another -o",
            output.display(),
            input.display()
        );
    }
    Ok(())
}

/// Walks one input, handing `accept` each chosen file and its path relative to the output folder;
/// `accept` may return a note (a file skipped on purpose).
fn list(
    input: &Path,
    several: bool,
    request: &TreeRequest,
    out_id: Option<&FileId>,
    plan: &mut TreePlan,
    accept: &mut dyn FnMut(PathBuf, PathBuf) -> Option<String>,
) {
    let meta = match std::fs::metadata(input) {
        Ok(m) => m,
        Err(e) => {
            plan.failures
                .push(format!("{}: {}", input.display(), io_reason(&e)));
            return;
        }
    };
    let name = PathBuf::from(input.file_name().unwrap_or(input.as_os_str()));
    if !meta.is_dir() {
        // An explicitly named file is taken whatever its extension.
        match kind_problem(&meta) {
            Some(kind) => plan
                .failures
                .push(format!("{}: {kind}, skipped", input.display())),
            None => plan.notes.extend(accept(input.to_path_buf(), name)),
        }
        return;
    }
    let walk = WalkDir::new(input)
        .follow_links(true)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| {
            !(e.depth() > 0 && e.file_type().is_dir() && FileId::of(e.path()).as_ref() == out_id)
        });
    for entry in walk {
        let entry = match entry {
            Ok(entry) => entry,
            Err(e) => {
                let path = e.path().unwrap_or(input).to_path_buf();
                if let Some(ancestor) = e.loop_ancestor() {
                    plan.notes.push(format!(
                        "{}: symlink loop back to {}, not followed",
                        path.display(),
                        ancestor.display()
                    ));
                } else if path.is_dir() || chosen(&path, request.extensions) {
                    let reason = e.io_error().map_or_else(|| e.to_string(), io_reason);
                    plan.failures.push(format!("{}: {reason}", path.display()));
                }
                continue;
            }
        };
        let path = entry.path();
        if entry.file_type().is_dir() || !chosen(path, request.extensions) {
            continue;
        }
        if !entry.file_type().is_file() {
            let kind = entry
                .metadata()
                .ok()
                .and_then(|m| kind_problem(&m))
                .unwrap_or("not a regular file");
            plan.failures
                .push(format!("{}: {kind}, skipped", path.display()));
            continue;
        }
        let relative = path.strip_prefix(input).unwrap_or(path).to_path_buf();
        let relative = if several {
            name.join(relative)
        } else {
            relative
        };
        plan.notes.extend(accept(path.to_path_buf(), relative));
    }
}

/// Whether `path` has one of the chosen extensions, in any case.
fn chosen(path: &Path, extensions: &[String]) -> bool {
    path.extension()
        .and_then(|x| x.to_str())
        .is_some_and(|x| extensions.iter().any(|e| x.eq_ignore_ascii_case(e)))
}

/// Why a path that is not a folder cannot be read as a document, if it cannot.
fn kind_problem(meta: &std::fs::Metadata) -> Option<&'static str> {
    if meta.is_file() {
        return None;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        let t = meta.file_type();
        if t.is_fifo() {
            return Some("a FIFO, not a regular file");
        }
        if t.is_socket() {
            return Some("a socket, not a regular file");
        }
        if t.is_block_device() || t.is_char_device() {
            return Some("a device, not a regular file");
        }
    }
    Some("not a regular file")
}

/// Where an output stands: an existing regular file's modification time, `None` if there is none
/// (or no time is known, so it is redone), or a problem (a folder or other non-file in its place, or a file where a folder on its path must be).
fn output_state(output: &Path, out_dir: &Path) -> Result<Option<std::time::SystemTime>, String> {
    for ancestor in output.ancestors().skip(1) {
        if ancestor == out_dir {
            break;
        }
        if ancestor.is_file() {
            return Err(format!("{} is a file, not a folder", ancestor.display()));
        }
    }
    match std::fs::metadata(output) {
        Err(_) => Ok(None),
        Ok(m) if m.is_dir() => Err(format!("{} is a directory", output.display())),
        Ok(m) if !m.is_file() => Err(format!("{} is not a regular file", output.display())),
        Ok(m) => Ok(m.modified().ok()),
    }
}

/// An output at least as new as its input is complete (outputs appear only by rename).
fn is_newer(input: &Path, output_modified: std::time::SystemTime) -> bool {
    std::fs::metadata(input)
        .and_then(|m| m.modified())
        .is_ok_and(|i| output_modified >= i)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request<'a>(inputs: &'a [PathBuf], out_dir: &'a Path, ext: &'a [String]) -> TreeRequest<'a> {
        TreeRequest {
            inputs,
            out_dir,
            extensions: ext,
            force: false,
            shard: None,
        }
    }

    #[test]
    fn extensions_match_in_any_case() {
        let ext = vec!["txt".to_string(), "md".to_string()];
        assert!(chosen(Path::new("a/B.TXT"), &ext));
        assert!(chosen(Path::new("c.Md"), &ext));
        assert!(!chosen(Path::new("c.txt.bak"), &ext));
        assert!(!chosen(Path::new("txt"), &ext));
    }

    #[test]
    fn output_folder_inside_the_input_is_not_read() {
        let dir = tempfile::tempdir().unwrap();
        let docs = dir.path().join("docs");
        std::fs::create_dir_all(docs.join("en/en")).unwrap();
        std::fs::write(docs.join("a.txt"), "a").unwrap();
        std::fs::write(docs.join("en/a.txt"), "old").unwrap();
        std::fs::write(docs.join("en/en/a.txt"), "older").unwrap();
        let ext = vec!["txt".to_string()];
        let inputs = vec![docs.clone()];
        let out = docs.join("en");
        let plan = tree(
            &TreeRequest {
                force: true,
                ..request(&inputs, &out, &ext)
            },
            &[],
        )
        .unwrap();
        let sources: Vec<_> = plan.work.iter().map(|w| w.source.clone()).collect();
        assert_eq!(sources, vec![docs.join("a.txt")]);
    }

    /// The shards' work is the unsharded work, split; a listing failure that belongs to no file
    /// is shard 0's and a note in the others.
    #[test]
    fn shards_split_the_listing_and_leave_listing_failures_to_shard_0() {
        let dir = tempfile::tempdir().unwrap();
        let docs = dir.path().join("docs");
        for name in ["b.txt", "a/c.txt", "a/d.txt", "e.txt", "f/g.txt"] {
            let path = docs.join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, name).unwrap();
        }
        let ext = vec!["txt".to_string()];
        let inputs = vec![docs.clone(), dir.path().join("missing")];
        let out = dir.path().join("out");
        let whole = tree(&request(&inputs, &out, &ext), &[]).unwrap();
        assert_eq!(whole.failures.len(), 1);
        let mut split = Vec::new();
        for index in 0..3 {
            let plan = tree(
                &TreeRequest {
                    shard: Some(Shard { index, count: 3 }),
                    ..request(&inputs, &out, &ext)
                },
                &[],
            )
            .unwrap();
            assert_eq!(plan.failures.len(), usize::from(index == 0), "{plan:?}");
            assert_eq!(plan.notes.len(), usize::from(index != 0), "{plan:?}");
            let marker = plan.marker.unwrap();
            assert_eq!(marker.files.len(), plan.work.len());
            split.extend(plan.work);
        }
        let mut sorted = whole.work.clone();
        sorted.sort_by(|a, b| a.output.cmp(&b.output));
        assert_eq!(split, sorted);
    }

    #[test]
    fn a_second_path_to_one_file_is_a_note_not_a_second_translation() {
        let dir = tempfile::tempdir().unwrap();
        let docs = dir.path().join("docs");
        std::fs::create_dir_all(&docs).unwrap();
        std::fs::write(docs.join("a.txt"), "a").unwrap();
        std::fs::hard_link(docs.join("a.txt"), docs.join("b.txt")).unwrap();
        let ext = vec!["txt".to_string()];
        let inputs = vec![docs];
        let out = dir.path().join("out");
        let plan = tree(&request(&inputs, &out, &ext), &[]).unwrap();
        assert_eq!(plan.work.len(), 1);
        assert_eq!(plan.notes.len(), 1, "{:?}", plan.notes);
        assert!(plan.notes[0].contains("same file as"), "{:?}", plan.notes);
    }
}
