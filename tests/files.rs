//! Folder and file runs that must never lose, overwrite or hang on the user's files: one test per
//! class of the reliability issue, each asserting the exit code, the stderr line and that the whole
//! tree is as it should be afterwards.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::util::{assert_ok, assert_one_line_error, command, fixture, run};

/// Every entry under `root`: a folder, a file's length and checksum, a symlink's target or another
/// kind.
#[derive(Debug, PartialEq, Eq)]
enum Entry {
    Dir,
    File(usize, u64),
    Link(PathBuf),
    Other,
}

fn snapshot(root: &Path) -> BTreeMap<PathBuf, Entry> {
    walkdir::WalkDir::new(root)
        .into_iter()
        .map(|e| e.unwrap())
        .filter(|e| e.depth() > 0)
        .map(|e| {
            let t = e.file_type();
            let entry = if t.is_symlink() {
                Entry::Link(std::fs::read_link(e.path()).unwrap())
            } else if t.is_dir() {
                Entry::Dir
            } else if t.is_file() {
                let bytes = std::fs::read(e.path()).unwrap();
                let mut hasher = std::collections::hash_map::DefaultHasher::new();
                std::hash::Hash::hash(&bytes, &mut hasher);
                Entry::File(bytes.len(), std::hash::Hasher::finish(&hasher))
            } else {
                Entry::Other
            };
            (e.path().strip_prefix(root).unwrap().to_path_buf(), entry)
        })
        .collect()
}

/// The paths under `root`, relative to it, in order.
fn listing(root: &Path) -> Vec<String> {
    snapshot(root)
        .into_keys()
        .map(|p| p.display().to_string())
        .collect()
}

/// `translate ARGS… --model-dir fixture -q` in `cwd`.
fn translate(args: &[&str], cwd: &Path) -> Output {
    let model = fixture().display().to_string();
    let mut all = vec!["translate", "--model-dir", model.as_str(), "-q"];
    all.extend_from_slice(args);
    run(&all, None, cwd)
}

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Refused with exit 2 and one line containing `needle`, and nothing under `dir` changed.
fn assert_refused_untouched(dir: &Path, args: &[&str], needle: &str) {
    let before = snapshot(dir);
    let out = translate(args, dir);
    assert_one_line_error(&out, needle);
    assert_eq!(snapshot(dir), before, "{args:?} changed the tree");
}

#[test]
fn an_output_that_is_the_input_is_refused_in_every_spelling() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(&d.join("x.txt"), "Saya suka membaca buku.\n");
    std::os::unix::fs::symlink("x.txt", d.join("link.txt")).unwrap();
    std::fs::hard_link(d.join("x.txt"), d.join("hard.txt")).unwrap();
    std::fs::create_dir_all(d.join("sub")).unwrap();
    let absolute = d.join("x.txt").display().to_string();
    for output in [
        "./x.txt",
        absolute.as_str(),
        "link.txt",
        "hard.txt",
        "sub/../x.txt",
    ] {
        assert_refused_untouched(d, &["x.txt", "-o", output], "which is an input");
    }
    // Reading through the symlink and writing to the real name is the same file too.
    assert_refused_untouched(d, &["link.txt", "-o", "x.txt"], "which is an input");

    write(&d.join("docs/a.txt"), "Dia pergi ke pasar.\n");
    write(&d.join("docs/b/c.txt"), "Saya suka kopi.\n");
    let before = snapshot(d);
    for args in [
        ["docs", "-o", "docs", "--force"],
        ["docs", "-o", "./docs/", "--force"],
    ] {
        let out = translate(&args, d);
        assert_one_line_error(&out, "is the output folder");
    }
    assert_eq!(snapshot(d), before);
    // A second input folder that is the output folder of the first.
    std::os::unix::fs::symlink("docs", d.join("alias")).unwrap();
    assert_refused_untouched(
        d,
        &["alias", "-o", "docs", "--force"],
        "is the output folder",
    );
}

#[test]
fn an_output_folder_inside_the_input_is_never_read() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(&d.join("docs/a.txt"), "Saya suka membaca buku.\n");
    write(&d.join("docs/sub/b.txt"), "Dia pergi ke pasar.\n");
    for _ in 0..3 {
        assert_ok(&translate(&["docs", "-o", "docs/en", "--force"], d), "run");
    }
    assert_eq!(listing(&d.join("docs/en")), ["a.txt", "sub", "sub/b.txt"]);
}

#[test]
fn two_inputs_that_map_to_one_output_are_refused_naming_both() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(&d.join("a/g.txt"), "Saya suka membaca buku.\n");
    write(&d.join("b/g.txt"), "Dia pergi ke pasar.\n");
    write(&d.join("x/docs/n.txt"), "Saya suka kopi.\n");
    write(&d.join("y/docs/n.txt"), "Saya suka teh.\n");
    assert_refused_untouched(
        d,
        &["a/g.txt", "b/g.txt", "-o", "out"],
        "a/g.txt and b/g.txt",
    );
    assert_refused_untouched(
        d,
        &["x/docs", "y/docs", "-o", "out"],
        "x/docs/n.txt and y/docs/n.txt",
    );
    assert!(!d.join("out").exists());
}

#[test]
fn concurrent_runs_into_one_folder_leave_every_file_whole() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let sentences = [
        "Saya suka membaca buku.",
        "Dia pergi ke pasar.",
        "Kami makan nasi goreng.",
        "Mereka bermain bola di lapangan.",
    ];
    // Both runs write the same output names, with different English.
    for (k, run_name) in ["one", "two"].iter().enumerate() {
        for i in 0..12 {
            let text = format!(
                "{} {}\n",
                sentences[(i + k) % 4],
                sentences[(i + 3 * k + 1) % 4]
            );
            write(&d.join(format!("{run_name}/doc-{i:02}.txt")), &text);
        }
        assert_ok(
            &translate(&[run_name, "-o", &format!("ref-{run_name}")], d),
            "reference",
        );
    }
    let model = fixture().display().to_string();
    let spawn = |input: &str| {
        command(&[], d)
            .args(["translate", "--model-dir", &model, "-q", input, "-o", "out"])
            .spawn()
            .unwrap()
    };
    let (a, b) = (spawn("one"), spawn("two"));
    for child in [a, b] {
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
    }
    let (one, two) = (snapshot(&d.join("ref-one")), snapshot(&d.join("ref-two")));
    let out = snapshot(&d.join("out"));
    assert_eq!(
        out.keys().collect::<Vec<_>>(),
        one.keys().collect::<Vec<_>>()
    );
    for (name, entry) in &out {
        assert!(
            *entry == one[name] || *entry == two[name],
            "{} is neither run's whole output",
            name.display()
        );
    }
}

#[test]
fn a_folder_at_an_output_path_fails_that_file_only() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(&d.join("docs/a.txt"), "Saya suka membaca buku.\n");
    write(&d.join("docs/b.txt"), "Dia pergi ke pasar.\n");
    std::fs::create_dir_all(d.join("out/a.txt")).unwrap();
    let out = translate(&["docs", "-o", "out"], d);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(
        stderr(&out).trim_end(),
        "terjemah: docs/a.txt: cannot write its translation: out/a.txt is a directory"
    );
    assert_eq!(snapshot(&d.join("out/a.txt")), BTreeMap::new());
    assert!(d.join("out/b.txt").is_file());
}

/// `translate -q ARGS…` as an unprivileged user when the tests run as root, for whom permission
/// bits do not apply.
fn translate_unprivileged(args: &[&str], cwd: &Path) -> Output {
    let prefix: &[&str] = if running_as_root() {
        &[
            "setpriv",
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            "--",
        ]
    } else {
        &[]
    };
    command(prefix, cwd)
        .args(["translate", "-q"])
        .args(args)
        .output()
        .expect("run terjemah (setpriv from util-linux when root)")
}

fn running_as_root() -> bool {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("Uid:"))
        .and_then(|l| l.split_whitespace().nth(2))
        == Some("0")
}

/// A temporary folder that an unprivileged user may enter and write.
fn open_tempdir() -> tempfile::TempDir {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
    dir
}

#[test]
fn an_unreadable_subfolder_is_reported_and_the_rest_translated() {
    use std::os::unix::fs::PermissionsExt;
    let dir = open_tempdir();
    let d = dir.path();
    write(&d.join("docs/a.txt"), "Saya suka membaca buku.\n");
    write(&d.join("docs/locked/b.txt"), "Dia pergi ke pasar.\n");
    write(&d.join("docs/z/c.txt"), "Saya suka kopi.\n");
    std::fs::set_permissions(
        d.join("docs/locked"),
        std::fs::Permissions::from_mode(0o000),
    )
    .unwrap();
    // The checkout may lie under a folder only root can enter: the model goes along.
    std::fs::create_dir(d.join("model")).unwrap();
    for entry in std::fs::read_dir(fixture()).unwrap() {
        let entry = entry.unwrap();
        let copy = d.join("model").join(entry.file_name());
        std::fs::copy(entry.path(), &copy).unwrap();
        std::fs::set_permissions(&copy, std::fs::Permissions::from_mode(0o644)).unwrap();
    }
    for p in ["docs", "docs/z", "model"] {
        std::fs::set_permissions(d.join(p), std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let out = translate_unprivileged(&["--model-dir", "model", "docs", "-o", "out"], d);
    std::fs::set_permissions(
        d.join("docs/locked"),
        std::fs::Permissions::from_mode(0o755),
    )
    .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(
        stderr(&out).trim_end(),
        "terjemah: docs/locked: permission denied"
    );
    assert_eq!(listing(&d.join("out")), ["a.txt", "z", "z/c.txt"]);
}

#[test]
fn an_unwritable_output_folder_is_one_error_before_the_model_loads() {
    use std::os::unix::fs::PermissionsExt;
    let dir = open_tempdir();
    let d = dir.path();
    write(&d.join("docs/a.txt"), "Saya suka membaca buku.\n");
    write(&d.join("x.txt"), "Dia pergi ke pasar.\n");
    std::fs::create_dir(d.join("ro")).unwrap();
    std::fs::set_permissions(d.join("ro"), std::fs::Permissions::from_mode(0o555)).unwrap();
    for p in ["docs", "docs/a.txt", "x.txt"] {
        let mode = if p.ends_with(".txt") { 0o644 } else { 0o755 };
        std::fs::set_permissions(d.join(p), std::fs::Permissions::from_mode(mode)).unwrap();
    }
    let before = snapshot(d);
    // No model at all: the output problem must be found first.
    let cases: [(&[&str], &str); 4] = [
        (
            &["docs", "-o", "x.txt/out"],
            "x.txt/out: cannot create output folder: x.txt is a file",
        ),
        (
            &["docs", "-o", "ro"],
            "ro: cannot write here: permission denied",
        ),
        (
            &["docs", "-o", "ro/new"],
            "ro/new: cannot create output folder: permission denied",
        ),
        (
            &["x.txt", "-o", "ro/x.en.txt"],
            "ro: cannot write here: permission denied",
        ),
    ];
    for (args, line) in cases {
        let mut args = args.to_vec();
        args.extend(["--model-dir", "no-such-model"]);
        let out = translate_unprivileged(&args, d);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert_eq!(
            stderr(&out).trim_end(),
            format!("terjemah: {line}"),
            "{args:?}"
        );
    }
    assert_eq!(snapshot(d), before);
}

#[test]
fn symlink_loops_are_not_followed_and_each_file_is_translated_once() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(&d.join("docs/a.txt"), "Saya suka membaca buku.\n");
    write(&d.join("docs/sub/b.txt"), "Dia pergi ke pasar.\n");
    std::os::unix::fs::symlink("..", d.join("docs/sub/up")).unwrap();
    std::os::unix::fs::symlink(".", d.join("docs/self")).unwrap();
    std::os::unix::fs::symlink("a.txt", d.join("docs/again.txt")).unwrap();
    let model = fixture().display().to_string();
    let out = run(
        &["translate", "--model-dir", &model, "docs", "-o", "out"],
        None,
        d,
    );
    assert_ok(&out, "translate");
    let notes: Vec<&str> = std::str::from_utf8(&out.stderr)
        .unwrap()
        .lines()
        .filter(|l| l.starts_with("terjemah: note:"))
        .collect();
    assert_eq!(notes.len(), 3, "{notes:?}");
    assert_eq!(listing(&d.join("out")), ["a.txt", "sub", "sub/b.txt"]);
}

#[test]
fn fifos_in_a_folder_are_skipped_but_a_fifo_named_alone_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(&d.join("docs/a.txt"), "Saya suka membaca buku.\n");
    let mkfifo = |p: &Path| {
        let status = Command::new("mkfifo").arg(p).status().unwrap();
        assert!(status.success());
    };
    mkfifo(&d.join("docs/pipe.txt"));
    let out = translate(&["docs", "-o", "out"], d);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(
        stderr(&out).trim_end(),
        "terjemah: docs/pipe.txt: a FIFO, not a regular file, skipped"
    );
    assert!(d.join("out/a.txt").is_file());
    assert!(!d.join("out/pipe.txt").exists());

    // Named alone, a FIFO is a stream like standard input.
    let fifo = d.join("alone.txt");
    mkfifo(&fifo);
    let writer = std::thread::spawn(move || std::fs::write(fifo, "Saya suka membaca buku.\n"));
    let out = translate(&["alone.txt"], d);
    writer.join().unwrap().unwrap();
    assert_ok(&out, "fifo alone");
    assert_eq!(String::from_utf8(out.stdout).unwrap().lines().count(), 1);
}

#[test]
fn extensions_match_in_any_case_and_an_empty_one_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(&d.join("docs/a.TXT"), "Saya suka membaca buku.\n");
    write(&d.join("docs/b.Md"), "# Judul\n\nDia pergi ke pasar.\n");
    write(&d.join("docs/c.txt.bak"), "Saya suka kopi.\n");
    assert_ok(
        &translate(&["docs", "-o", "out", "--ext", ".txt,MD"], d),
        "ext",
    );
    assert_eq!(listing(&d.join("out")), ["a.TXT", "b.Md"]);
    // Markdown by extension in any case: the heading marker is kept.
    let md = std::fs::read_to_string(d.join("out/b.Md")).unwrap();
    assert!(md.starts_with("# "), "{md}");
    for ext in ["", ",", "txt,,md", "."] {
        assert_refused_untouched(d, &["docs", "-o", "out", "--ext", ext], "--ext");
    }
}

#[test]
fn text_that_is_not_utf8_is_refused_alike_alone_and_in_folders() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let utf16: Vec<u8> = "Saya suka membaca buku.\n"
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect();
    let cases: [(&str, Vec<u8>, &str); 5] = [
        (
            "nul.txt",
            b"Saya\0suka\n".to_vec(),
            "binary file (contains NUL bytes)",
        ),
        (
            "bom16.txt",
            [&[0xFF, 0xFE][..], &utf16].concat(),
            "UTF-16 text; convert to UTF-8",
        ),
        (
            "plain16.txt",
            utf16.clone(),
            "UTF-16 text; convert to UTF-8",
        ),
        (
            "latin1.txt",
            b"Caf\xe9 enak.\n".to_vec(),
            "invalid UTF-8 at byte 3",
        ),
        (
            "elf.txt",
            b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0".to_vec(),
            "binary file (contains NUL bytes)",
        ),
    ];
    for (name, bytes, _) in &cases {
        std::fs::create_dir_all(d.join("docs")).unwrap();
        std::fs::write(d.join("docs").join(name), bytes).unwrap();
    }
    write(&d.join("docs/good.txt"), "Saya suka membaca buku.\n");
    for (name, _, problem) in &cases {
        let path = format!("docs/{name}");
        assert_refused_untouched(d, &[&path, "-o", "out.txt"], &format!("{path}: {problem}"));
    }
    let out = translate(&["docs", "-o", "out"], d);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let lines: Vec<String> = stderr(&out).lines().map(str::to_string).collect();
    assert_eq!(lines.len(), cases.len(), "{lines:?}");
    for (name, _, problem) in &cases {
        let line = format!("terjemah: docs/{name}: {problem}");
        assert!(lines.contains(&line), "{line:?} not in {lines:?}");
    }
    assert_eq!(listing(&d.join("out")), ["good.txt"]);
}

#[test]
fn many_warnings_print_a_few_and_a_count_and_the_report_has_them_all() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let example =
        std::fs::read_to_string(crate::util::root().join("tests/data/news-kcna.id.txt")).unwrap();
    write(&d.join("big.txt"), &example.repeat(4));
    let model = fixture().display().to_string();
    let out = run(
        &[
            "translate",
            "--model-dir",
            &model,
            "big.txt",
            "-o",
            "big.en.txt",
            "--report",
            "report.jsonl",
        ],
        None,
        d,
    );
    assert_ok(&out, "translate");
    let text = stderr(&out);
    let warnings = text.lines().filter(|l| l.contains(": warning: ")).count();
    let count_line = text
        .lines()
        .find(|l| l.contains("more warnings"))
        .unwrap_or_else(|| panic!("no count line in {text}"));
    let more: usize = count_line
        .split("… and ")
        .nth(1)
        .and_then(|r| r.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no count in {count_line}"));
    assert_eq!(warnings, 5, "{text}");
    let report = std::fs::read_to_string(d.join("report.jsonl")).unwrap();
    let rows: Vec<serde_json::Value> = report
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let warned = rows
        .iter()
        .filter(|r| r["warnings"] != serde_json::json!([]));
    assert_eq!(warned.count(), warnings + more);
    assert!(rows.iter().all(|r| r["file"] == "big.txt"
        && r["line"].as_u64().is_some_and(|n| n >= 1)
        && r["source"].is_string()
        && r["output"].is_string()
        && r["warnings"].is_array()));
    // The report is an output like any other: it may not be an input.
    assert_refused_untouched(d, &["big.txt", "--report", "big.txt"], "which is an input");
    // Nor the translation it reports on.
    let same = ["big.txt", "-o", "big.en.txt", "--report", "./big.en.txt"];
    assert_refused_untouched(d, &same, "named both as -o and as --report");
    write(&d.join("docs/a.txt"), "Saya suka membaca buku.\n");
    let inside = ["docs", "-o", "out", "--report", "out/../out/a.txt"];
    assert_refused_untouched(
        d,
        &inside,
        "--report would overwrite the translation of docs/a.txt",
    );
}

#[test]
fn a_document_the_model_cannot_take_fails_alone_not_its_batch() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(&d.join("docs/a.txt"), "Saya suka membaca buku.\n");
    // One unbroken word of rare letter pairs: hundreds of pieces, more than the fixture's positions.
    write(
        &d.join("docs/long.txt"),
        &format!("{}\n", "qxjz".repeat(140)),
    );
    write(&d.join("docs/z.txt"), "Dia pergi ke pasar.\n");
    let out = translate(&["docs", "-o", "out"], d);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let text = stderr(&out);
    assert_eq!(text.lines().count(), 1, "{text}");
    assert!(
        text.starts_with("terjemah: docs/long.txt: sentence 1 has ")
            && text.contains("more than the model's"),
        "{text}"
    );
    assert_eq!(listing(&d.join("out")), ["a.txt", "z.txt"]);
}
