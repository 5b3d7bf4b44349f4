//! Shards of a folder run through the binary: the union of the shards is the unsharded run byte
//! for byte, the scheduler's variables pick the same files as `--shard`, a finished shard exits
//! before the model loads, and bad shard settings are one line with nothing written.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Output;

use crate::util::{assert_ok, assert_one_line_error, command, fixture};

/// Environment variables added to a run.
type Env<'a> = &'a [(&'a str, &'a str)];

/// `translate --model-dir fixture --beams 1 -q ARGS…` in `cwd`, with `env` added.
fn translate(args: &[&str], env: Env, cwd: &Path) -> Output {
    let model = fixture().display().to_string();
    command(&[], cwd)
        .args(["translate", "--model-dir", &model, "--beams", "1", "-q"])
        .args(args)
        .envs(env.iter().copied())
        .output()
        .unwrap()
}

/// `files` documents of one short line each, some in a subfolder, under `cwd/docs`.
fn docs(cwd: &Path, files: usize) -> PathBuf {
    let docs = cwd.join("docs");
    std::fs::create_dir_all(docs.join("bab")).unwrap();
    let lines = [
        "Saya suka membaca buku.",
        "Dia pergi ke pasar kemarin pagi.",
        "Kami makan nasi.",
        "Rumah itu sangat besar dan indah sekali.",
    ];
    for k in 0..files {
        let path = match k % 3 {
            0 => docs.join(format!("bab/{k:02}.txt")),
            _ => docs.join(format!("{k:02}.txt")),
        };
        std::fs::write(path, format!("{}\n", lines[k % lines.len()])).unwrap();
    }
    docs
}

/// Every file under `root` and its bytes, shard markers left out.
fn contents(root: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    if !root.exists() {
        return BTreeMap::new();
    }
    walkdir::WalkDir::new(root)
        .into_iter()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().is_file())
        .filter(|e| {
            !e.file_name()
                .to_string_lossy()
                .starts_with(".terjemah-shard-")
        })
        .map(|e| {
            let relative = e.path().strip_prefix(root).unwrap().to_path_buf();
            (relative, std::fs::read(e.path()).unwrap())
        })
        .collect()
}

/// Runs shards 0..count into their own folders and checks that they are disjoint, that their
/// union is `whole`, and that each left its marker.
fn assert_shards_make_the_whole(cwd: &Path, count: usize, whole: &BTreeMap<PathBuf, Vec<u8>>) {
    let mut union = BTreeMap::new();
    for index in 0..count {
        let out = cwd.join(format!("out-{count}-{index}"));
        let shard = format!("{index}/{count}");
        let o = out.display().to_string();
        let run = translate(&["docs", "-o", &o, "--shard", &shard], &[], cwd);
        assert_ok(&run, &format!("shard {shard}"));
        if count > 1 {
            let marker = out.join(format!(".terjemah-shard-{index}-of-{count}.done"));
            assert!(marker.is_file(), "shard {shard} left no marker");
        }
        for (path, bytes) in contents(&out) {
            assert!(
                union.insert(path.clone(), bytes).is_none(),
                "shard {shard} wrote {} too",
                path.display()
            );
        }
    }
    assert_eq!(&union, whole, "{count} shards");
}

#[test]
fn sixteen_shards_together_are_the_unsharded_run_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    docs(dir.path(), 20);
    assert_ok(
        &translate(&["docs", "-o", "all"], &[], dir.path()),
        "whole run",
    );
    let whole = contents(&dir.path().join("all"));
    assert_eq!(whole.len(), 20);
    assert_shards_make_the_whole(dir.path(), 16, &whole);
}

#[test]
fn any_count_works_on_few_files_and_empty_shards_finish() {
    for files in [0, 1, 5] {
        let dir = tempfile::tempdir().unwrap();
        docs(dir.path(), files);
        assert_ok(
            &translate(&["docs", "-o", "all"], &[], dir.path()),
            "whole run",
        );
        let whole = contents(&dir.path().join("all"));
        assert_eq!(whole.len(), files);
        for count in [1, 2, 7] {
            assert_shards_make_the_whole(dir.path(), count, &whole);
        }
    }
}

#[test]
fn slurm_and_kubernetes_pick_the_files_of_the_same_flag() {
    let dir = tempfile::tempdir().unwrap();
    docs(dir.path(), 12);
    let slurm = [
        ("SLURM_ARRAY_TASK_ID", "3"),
        ("SLURM_ARRAY_TASK_MIN", "1"),
        ("SLURM_ARRAY_TASK_STEP", "2"),
        ("SLURM_ARRAY_TASK_COUNT", "4"),
    ];
    let kubernetes = [("JOB_COMPLETION_INDEX", "2"), ("TERJEMAH_SHARD_COUNT", "4")];
    let cases: [(&str, &[&str], Env, &str); 3] = [
        ("slurm", &[], &slurm, "1/4"),
        ("k8s-env", &[], &kubernetes, "2/4"),
        (
            "k8s-flag",
            &["--shard-count", "4"],
            &[("JOB_COMPLETION_INDEX", "2")],
            "2/4",
        ),
    ];
    for (name, flags, env, flag) in cases {
        let mut args = vec!["docs", "-o", name];
        args.extend_from_slice(flags);
        assert_ok(&translate(&args, env, dir.path()), name);
        let by_flag = format!("{name}-flag");
        let run = translate(&["docs", "-o", &by_flag, "--shard", flag], &[], dir.path());
        assert_ok(&run, &by_flag);
        let from_env = contents(&dir.path().join(name));
        assert!(!from_env.is_empty(), "{name} translated nothing");
        assert_eq!(from_env, contents(&dir.path().join(&by_flag)), "{name}");
        let (index, count) = flag.split_once('/').unwrap();
        let marker = format!(".terjemah-shard-{index}-of-{count}.done");
        assert!(dir.path().join(name).join(marker).is_file(), "{name}");
    }
    // --shard 0/1 is the whole run whatever the environment says.
    assert_ok(
        &translate(
            &["docs", "-o", "whole", "--shard", "0/1"],
            &slurm,
            dir.path(),
        ),
        "0/1",
    );
    assert_eq!(contents(&dir.path().join("whole")).len(), 12);
}

#[test]
fn a_finished_shard_exits_before_the_model_loads_and_a_half_done_one_resumes() {
    let dir = tempfile::tempdir().unwrap();
    docs(dir.path(), 8);
    let args = ["docs", "-o", "out", "--shard", "1/2"];
    assert_ok(&translate(&args, &[], dir.path()), "first run");
    let done = contents(&dir.path().join("out"));
    assert_eq!(done.len(), 4);
    // The retry names a model that does not exist: it can only succeed without loading one.
    let retry = command(&[], dir.path())
        .args(["translate", "--model-dir", "no-model"])
        .args(args)
        .output()
        .unwrap();
    assert_ok(&retry, "retry");
    let stderr = String::from_utf8_lossy(&retry.stderr);
    assert!(stderr.contains("shard 1/2 is complete"), "{stderr}");

    let (first, _) = done.iter().next().unwrap();
    std::fs::remove_file(dir.path().join("out").join(first)).unwrap();
    let model = fixture().display().to_string();
    let resumed = command(&[], dir.path())
        .args(["translate", "--model-dir", &model, "--beams", "1"])
        .args(args)
        .output()
        .unwrap();
    assert_ok(&resumed, "resumed run");
    let stderr = String::from_utf8_lossy(&resumed.stderr);
    assert!(
        stderr.contains("translated 1 files (3 already up to date, 0 failed)"),
        "{stderr}"
    );
    assert_eq!(contents(&dir.path().join("out")), done);
}

/// Every path under `root` with its bytes, markers and folders included.
fn tree(root: &Path) -> BTreeMap<PathBuf, Option<Vec<u8>>> {
    walkdir::WalkDir::new(root)
        .into_iter()
        .map(|e| e.unwrap())
        .map(|e| {
            let bytes = e
                .file_type()
                .is_file()
                .then(|| std::fs::read(e.path()).unwrap());
            (e.path().to_path_buf(), bytes)
        })
        .collect()
}

#[test]
fn bad_shards_and_another_layout_are_one_line_with_nothing_written() {
    let dir = tempfile::tempdir().unwrap();
    docs(dir.path(), 6);
    assert_ok(
        &translate(&["docs", "-o", "out", "--shard", "0/2"], &[], dir.path()),
        "0/2",
    );
    let folder = ["docs", "-o", "new"];
    let cases: [(&[&str], Env, &str); 9] = [
        (&["--shard", "3/2"], &[], "shard index 3 is outside 0..2"),
        (
            &["--shard", "0/0"],
            &[],
            "the shard count must be between 1",
        ),
        (&["--shard", "one/2"], &[], "\"one\" is not a whole number"),
        (
            &[],
            &[("JOB_COMPLETION_INDEX", "4"), ("TERJEMAH_SHARD_COUNT", "4")],
            "JOB_COMPLETION_INDEX 4: shard index 4 is outside 0..4",
        ),
        (
            &[],
            &[("JOB_COMPLETION_INDEX", "1")],
            "give --shard-count N or TERJEMAH_SHARD_COUNT",
        ),
        (
            &[],
            &[
                ("SLURM_ARRAY_TASK_ID", "9"),
                ("SLURM_ARRAY_TASK_MIN", "1"),
                ("SLURM_ARRAY_TASK_STEP", "2"),
                ("SLURM_ARRAY_TASK_COUNT", "4"),
            ],
            "outside 0..4",
        ),
        (
            &[],
            &[
                ("SLURM_ARRAY_TASK_ID", "2"),
                ("SLURM_ARRAY_TASK_MIN", "1"),
                ("SLURM_ARRAY_TASK_STEP", "2"),
                ("SLURM_ARRAY_TASK_COUNT", "4"),
            ],
            "not SLURM_ARRAY_TASK_MIN 1 plus a multiple",
        ),
        (&["--shard-count", "3"], &[], "needs JOB_COMPLETION_INDEX"),
        (
            &["--shard", "0/2", "--shard-count", "2"],
            &[],
            "--shard I/N gives its own count",
        ),
    ];
    let before = tree(dir.path());
    for (flags, env, needle) in cases {
        let mut args = folder.to_vec();
        args.extend_from_slice(flags);
        assert_one_line_error(&translate(&args, env, dir.path()), needle);
        assert_eq!(
            tree(dir.path()),
            before,
            "{flags:?} {env:?} wrote something"
        );
    }
    // The output folder of two shards refuses a run of three.
    let other = translate(&["docs", "-o", "out", "--shard", "1/3"], &[], dir.path());
    assert_one_line_error(&other, "a marker of another shard layout");
    let single = translate(
        &["docs/01.txt", "-o", "one.txt", "--shard", "0/2"],
        &[],
        dir.path(),
    );
    assert_one_line_error(&single, "sharding applies to folder runs");
    // The report may not take the place of a marker, which would then overwrite it.
    let report = ["docs", "-o", "out", "--shard", "1/2", "--report"];
    let on_marker = translate(
        &[&report[..], &["out/.terjemah-shard-1-of-2.done"]].concat(),
        &[],
        dir.path(),
    );
    assert_one_line_error(&on_marker, "would overwrite a shard's completion marker");
    assert_eq!(tree(dir.path()), before, "a refused run wrote something");
}

/// The first `n` lines of data/tatoeba.id, the last without its newline.
fn line_file(n: usize) -> String {
    let text = std::fs::read_to_string(crate::util::root().join("data/tatoeba.id")).unwrap();
    let lines: Vec<&str> = text.lines().take(n).collect();
    lines.join("\n")
}

/// `terjemah ARGS…` with the fixture model where a translate run needs one; `env` added.
fn spawn(args: &[&str], env: Env, cwd: &Path) -> std::process::Child {
    command(&[], cwd)
        .args(args)
        .envs(env.iter().copied())
        .spawn()
        .unwrap()
}

/// The bytes of `OUT.shard-*` in name order: what `cat OUT.shard-*` gives.
fn cat_shards(cwd: &Path, out: &str) -> Vec<u8> {
    let mut names: Vec<String> = std::fs::read_dir(cwd)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.starts_with(&format!("{out}.shard-")))
        .collect();
    names.sort();
    names
        .iter()
        .flat_map(|n| std::fs::read(cwd.join(n)).unwrap())
        .collect()
}

#[test]
fn sixteen_line_file_shards_merge_to_the_unsharded_run_byte_for_byte() {
    use terjemah::files::shard::{line_range, Shard};
    let dir = tempfile::tempdir().unwrap();
    let cwd = dir.path();
    std::fs::write(cwd.join("in.txt"), line_file(40)).unwrap();
    let lines = ["in.txt", "--input-format", "lines"];
    let whole = translate(&[&lines[..], &["-o", "whole.txt"]].concat(), &[], cwd);
    assert_ok(&whole, "unsharded run");
    let whole = std::fs::read(cwd.join("whole.txt")).unwrap();
    let model = fixture().display().to_string();
    let children: Vec<_> = (0..16)
        .map(|k| {
            let shard = format!("{k}/16");
            let args = ["translate", "--model-dir", &model, "--beams", "1", "-q"];
            spawn(
                &[&args[..], &lines[..], &["-o", "out.txt", "--shard", &shard]].concat(),
                &[],
                cwd,
            )
        })
        .collect();
    for child in children {
        assert_ok(&child.wait_with_output().unwrap(), "a shard");
    }
    for index in 0..16 {
        let shard = Shard { index, count: 16 };
        let bytes = std::fs::read(cwd.join(format!("out.txt.shard-{index:02}-of-16"))).unwrap();
        let got = String::from_utf8(bytes).unwrap().lines().count();
        assert_eq!(got, line_range(40, shard).len(), "shard {shard}");
    }
    assert_eq!(cat_shards(cwd, "out.txt"), whole, "cat of the shards");
    let merge = |count: &str| {
        command(&[], cwd)
            .args(["merge", "out.txt", "--shards", count])
            .output()
            .unwrap()
    };
    assert_ok(&merge("16"), "merge");
    assert_eq!(std::fs::read(cwd.join("out.txt")).unwrap(), whole);

    // A retried shard that is done exits at once, before the model would load.
    let retry = command(&[], cwd)
        .args(["translate", "--model-dir", "no-such-dir", "--beams", "1"])
        .args(lines)
        .args(["-o", "out.txt", "--shard", "3/16"])
        .output()
        .unwrap();
    assert_ok(&retry, "retried done shard");
    assert!(String::from_utf8_lossy(&retry.stderr).contains("shard 3/16 is complete"));

    // Another count over the same output, and a merge with a shard missing: one line, nothing
    // written.
    let before = tree(cwd);
    let other = translate(
        &[&lines[..], &["-o", "out.txt", "--shard", "1/4"]].concat(),
        &[],
        cwd,
    );
    assert_one_line_error(&other, "is from another shard layout");
    assert_eq!(tree(cwd), before, "a refused shard wrote something");
    std::fs::rename(cwd.join("out.txt.shard-05-of-16"), cwd.join("aside")).unwrap();
    let before = tree(cwd);
    assert_one_line_error(&merge("16"), "out.txt.shard-05-of-16: missing");
    assert_eq!(tree(cwd), before, "a refused merge wrote something");
}

#[test]
fn jsonl_shards_merge_and_slurm_picks_the_lines_of_the_same_flag() {
    let dir = tempfile::tempdir().unwrap();
    let cwd = dir.path();
    let rows: String = line_file(12)
        .lines()
        .enumerate()
        .map(|(k, l)| format!("{}\n", serde_json::json!({"id": k, "text": l})))
        .collect();
    std::fs::write(cwd.join("in.jsonl"), rows).unwrap();
    let jsonl = ["in.jsonl", "--input-format", "jsonl"];
    assert_ok(
        &translate(&[&jsonl[..], &["-o", "whole.jsonl"]].concat(), &[], cwd),
        "unsharded run",
    );
    for k in 0..3 {
        let shard = format!("{k}/3");
        let out = translate(
            &[&jsonl[..], &["-o", "out.jsonl", "--shard", &shard]].concat(),
            &[],
            cwd,
        );
        assert_ok(&out, "a shard");
    }
    let merge = command(&[], cwd)
        .args(["merge", "out.jsonl", "--shards", "3"])
        .output()
        .unwrap();
    assert_ok(&merge, "merge");
    let whole = std::fs::read(cwd.join("whole.jsonl")).unwrap();
    assert_eq!(std::fs::read(cwd.join("out.jsonl")).unwrap(), whole);

    // Array task 7 of 1-7:2 is shard 3 of 4.
    let slurm = [
        ("SLURM_ARRAY_TASK_ID", "7"),
        ("SLURM_ARRAY_TASK_MIN", "1"),
        ("SLURM_ARRAY_TASK_STEP", "2"),
        ("SLURM_ARRAY_TASK_COUNT", "4"),
    ];
    assert_ok(
        &translate(&[&jsonl[..], &["-o", "env.jsonl"]].concat(), &slurm, cwd),
        "slurm",
    );
    let flag = translate(
        &[&jsonl[..], &["-o", "flag.jsonl", "--shard", "3/4"]].concat(),
        &[],
        cwd,
    );
    assert_ok(&flag, "flag");
    let env = std::fs::read(cwd.join("env.jsonl.shard-3-of-4")).unwrap();
    assert!(!env.is_empty());
    assert_eq!(
        env,
        std::fs::read(cwd.join("flag.jsonl.shard-3-of-4")).unwrap()
    );
    assert!(!cwd.join("env.jsonl").exists());
}
