//! Line and JSON Lines runs as streams: the window does not change a byte of the output, standard
//! output shows lines as they are done, and a killed `-o` run resumes to the same bytes.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::util::{assert_ok, assert_one_line_error, command, fixture, root, run};

/// `translate --model-dir fixture --beams 1 -q ARGS…` in `cwd`.
fn translate(args: &[&str], cwd: &Path) -> Output {
    let model = fixture().display().to_string();
    let mut all = vec!["translate", "--model-dir", &model, "--beams", "1", "-q"];
    all.extend_from_slice(args);
    run(&all, None, cwd)
}

/// The first `n` lines of data/tatoeba.id, with a blank line, a CRLF line and no final newline
/// mixed in.
fn corpus(n: usize) -> String {
    let text = std::fs::read_to_string(root().join("data/tatoeba.id")).unwrap();
    let mut out = String::new();
    for (i, line) in text.lines().take(n).enumerate() {
        out.push_str(line);
        out.push_str(match i % 50 {
            7 => "\r\n",
            9 => "\n\n",
            _ => "\n",
        });
    }
    out.push_str("Saya suka membaca buku.");
    out
}

/// Each entry of `dir`: its name, length and CRC-32.
fn listing(dir: &Path) -> Vec<(String, usize, u32)> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            let bytes = std::fs::read(e.path()).unwrap_or_default();
            let name = e.file_name().to_string_lossy().into_owned();
            (name, bytes.len(), crc32fast::hash(&bytes))
        })
        .collect();
    entries.sort();
    entries
}

#[test]
fn the_window_does_not_change_the_output() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("in.txt"), corpus(120)).unwrap();
    let jsonl: String = (0..40)
        .map(|i| {
            format!("{{\"id\":{i},\"text\":\"Saya makan nasi {i} kali. Dia pergi ke pasar.\"}}\n")
        })
        .collect();
    std::fs::write(d.join("in.jsonl"), jsonl).unwrap();
    for (format, input) in [("lines", "in.txt"), ("jsonl", "in.jsonl")] {
        let outputs: Vec<Vec<u8>> = ["1", "7", "4096"]
            .iter()
            .map(|w| {
                let out = translate(&["--input-format", format, "--window", w, input], d);
                assert_ok(&out, format);
                out.stdout
            })
            .collect();
        assert!(!outputs[0].is_empty());
        assert_eq!(outputs[0], outputs[1], "{format}: window 1 vs 7");
        assert_eq!(outputs[0], outputs[2], "{format}: window 1 vs 4096");
    }
    // One output line per input line, and no final newline where the input has none.
    let whole = translate(&["--input-format", "lines", "in.txt"], d).stdout;
    let input = std::fs::read(d.join("in.txt")).unwrap();
    let count = |b: &[u8]| b.iter().filter(|&&c| c == b'\n').count();
    assert_eq!(count(&whole), count(&input));
    assert!(!whole.ends_with(b"\n"));
}

#[test]
fn standard_output_shows_lines_before_the_input_ends() {
    let dir = tempfile::tempdir().unwrap();
    let model = fixture().display().to_string();
    let mut child = command(&[], dir.path())
        .args(["translate", "--model-dir", &model, "--beams", "1", "-q"])
        .args(["--input-format", "lines", "--window", "1"])
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            if tx.send(line.unwrap()).is_err() {
                break;
            }
        }
    });
    for sentence in ["Saya suka membaca buku.", "Dia pergi ke pasar."] {
        writeln!(stdin, "{sentence}").unwrap();
        stdin.flush().unwrap();
        // stdin is still open: the line's translation must arrive anyway.
        let line = rx.recv_timeout(Duration::from_secs(120)).unwrap();
        assert!(!line.is_empty());
    }
    drop(stdin);
    assert!(child.wait().unwrap().success());
}

/// Starts a run into `out` and returns it once its first checkpoint is on disk.
fn run_until_checkpoint(d: &Path, args: &[&str], out: &str) -> Child {
    let model = fixture().display().to_string();
    let mut child = command(&[], d)
        .args(["translate", "--model-dir", &model, "--beams", "1", "-q"])
        .args(args)
        .args(["-o", out])
        .spawn()
        .unwrap();
    let checkpoint = d.join(format!(".{out}.terjemah-checkpoint"));
    let start = Instant::now();
    while !checkpoint.exists() {
        assert!(child.try_wait().unwrap().is_none(), "the run ended first");
        assert!(start.elapsed() < Duration::from_secs(120), "no checkpoint");
        std::thread::sleep(Duration::from_millis(5));
    }
    child
}

/// Starts a run into `out` and kills it (SIGKILL) once its first checkpoint is on disk.
fn kill_after_checkpoint(d: &Path, args: &[&str], out: &str) {
    let mut child = run_until_checkpoint(d, args, out);
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(!d.join(out).exists(), "a killed run created its output");
}

#[test]
fn a_killed_run_resumes_to_the_same_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("in.txt"), corpus(4000)).unwrap();
    let args = ["--input-format", "lines", "--window", "16", "in.txt"];
    let full = [&args[..], &["-o", "full.txt"]].concat();
    assert_ok(&translate(&full, d), "uninterrupted");
    kill_after_checkpoint(d, &args, "out.txt");
    let again = [&args[..], &["-o", "out.txt"]].concat();
    assert_ok(&translate(&again, d), "resumed");
    assert_eq!(
        std::fs::read(d.join("out.txt")).unwrap(),
        std::fs::read(d.join("full.txt")).unwrap()
    );
    let names: Vec<String> = listing(d).into_iter().map(|(n, ..)| n).collect();
    assert_eq!(names, ["full.txt", "in.txt", "out.txt"]);
}

#[test]
fn a_changed_input_is_refused_unless_forced() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let text = corpus(3000);
    std::fs::write(d.join("in.txt"), &text).unwrap();
    let args = ["--input-format", "lines", "--window", "16", "in.txt"];
    kill_after_checkpoint(d, &args, "out.txt");
    // Same size, first line changed.
    std::fs::write(d.join("in.txt"), text.replacen('K', "k", 1)).unwrap();
    let before = listing(d);
    let again = [&args[..], &["-o", "out.txt"]].concat();
    let out = translate(&again, d);
    assert_one_line_error(
        &out,
        "out.txt: a checkpoint cannot be resumed: the input changed",
    );
    assert_eq!(listing(d), before, "a refused run changed the folder");
    // Other settings are refused alike.
    let wider = [
        "--input-format",
        "lines",
        "--window",
        "32",
        "in.txt",
        "-o",
        "out.txt",
    ];
    assert_one_line_error(&translate(&wider, d), "the settings differ");
    let forced = [&again[..], &["--force"]].concat();
    assert_ok(&translate(&forced, d), "forced");
    let fresh = [&args[..], &["-o", "fresh.txt"]].concat();
    assert_ok(&translate(&fresh, d), "fresh");
    assert_eq!(
        std::fs::read(d.join("out.txt")).unwrap(),
        std::fs::read(d.join("fresh.txt")).unwrap()
    );
}

#[test]
fn a_bad_jsonl_line_mid_stream_leaves_no_output_but_a_resumable_partial() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(
        d.join("in.jsonl"),
        "{\"text\":\"Saya makan.\"}\n{\"text\":\"Dia tidur.\"}\n{\"text\": 3}\n",
    )
    .unwrap();
    let args = [
        "--input-format",
        "jsonl",
        "--window",
        "1",
        "in.jsonl",
        "-o",
        "o.jsonl",
    ];
    for _ in 0..2 {
        let out = translate(&args, d);
        assert_one_line_error(&out, "in.jsonl: line 3: field \"text\" is not a string");
        assert!(!d.join("o.jsonl").exists());
        assert!(d.join(".o.jsonl.terjemah-checkpoint").exists());
    }
    // On standard output the lines before the error have been written.
    let out = translate(&args[..5], d);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(String::from_utf8(out.stdout).unwrap().lines().count(), 2);
}

#[test]
fn a_second_run_into_a_busy_output_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("in.txt"), corpus(4000)).unwrap();
    let args = ["--input-format", "lines", "--window", "16", "in.txt"];
    let mut first = run_until_checkpoint(d, &args, "out.txt");
    let second = translate(&[&args[..], &["-o", "out.txt"]].concat(), d);
    assert_one_line_error(
        &second,
        "out.txt: another terjemah run is writing this output",
    );
    first.kill().unwrap();
    first.wait().unwrap();
    assert!(d.join(".out.txt.terjemah-partial").exists());
}

#[test]
fn a_killed_shard_of_a_line_file_resumes_and_the_shards_merge_to_the_whole() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("in.txt"), corpus(2000)).unwrap();
    let args = ["--input-format", "lines", "--window", "16", "in.txt"];
    assert_ok(
        &translate(&[&args[..], &["-o", "full.txt"]].concat(), d),
        "uninterrupted",
    );
    let model = fixture().display().to_string();
    let shard = [&args[..], &["-o", "out.txt", "--shard", "1/2"]].concat();
    let mut child = command(&[], d)
        .args(["translate", "--model-dir", &model, "--beams", "1", "-q"])
        .args(&shard)
        .spawn()
        .unwrap();
    let checkpoint = d.join(".out.txt.shard-1-of-2.terjemah-checkpoint");
    let start = Instant::now();
    while !checkpoint.exists() {
        assert!(child.try_wait().unwrap().is_none(), "the run ended first");
        assert!(start.elapsed() < Duration::from_secs(120), "no checkpoint");
        std::thread::sleep(Duration::from_millis(5));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(!d.join("out.txt.shard-1-of-2").exists());
    let resumed = run(
        &[
            &["translate", "--model-dir", &model, "--beams", "1"][..],
            &shard,
        ]
        .concat(),
        None,
        d,
    );
    assert_ok(&resumed, "resumed shard");
    let stderr = String::from_utf8_lossy(&resumed.stderr);
    assert!(stderr.contains("resuming after line"), "{stderr}");
    let first = [&args[..], &["-o", "out.txt", "--shard", "0/2"]].concat();
    assert_ok(&translate(&first, d), "shard 0");
    let merge = run(&["merge", "out.txt", "--shards", "2"], None, d);
    assert_ok(&merge, "merge");
    assert_eq!(
        std::fs::read(d.join("out.txt")).unwrap(),
        std::fs::read(d.join("full.txt")).unwrap()
    );
}
