//! The binary as users run it: line mode against the goldens, and bad input.

use crate::util::{assert_ok, assert_one_line_error, fixture, golden, run};

fn fixture_arg() -> String {
    fixture().display().to_string()
}

#[test]
fn line_mode_reproduces_transformers_greedy_output() {
    let rows = golden("generate.jsonl");
    let mut input = String::new();
    let mut want = String::new();
    let one_line = |r: &&serde_json::Value| !r["text"].as_str().unwrap().contains(['\n', '\r']);
    for (i, row) in rows.iter().filter(one_line).take(80).enumerate() {
        // Blank lines in between must come back blank, without reaching the model.
        if i % 10 == 3 {
            input.push('\n');
            want.push('\n');
        }
        input.push_str(row["text"].as_str().unwrap());
        input.push('\n');
        want.push_str(row["greedy_text"].as_str().unwrap());
        want.push('\n');
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("in.txt"), &input).unwrap();
    let out = run(
        &[
            "translate",
            "--input-format",
            "lines",
            "--model-dir",
            &fixture_arg(),
            "--beams",
            "1",
            "in.txt",
            "-o",
            "out.txt",
            "-q",
        ],
        None,
        dir.path(),
    );
    assert_ok(&out, "translate");
    assert_eq!(
        std::fs::read_to_string(dir.path().join("out.txt")).unwrap(),
        want
    );
}

#[test]
fn line_mode_uses_generation_config_beams_and_reads_stdin() {
    let rows = golden("generate.jsonl");
    let rows: Vec<_> = rows.iter().skip(30).take(12).collect();
    let input: Vec<&str> = rows.iter().map(|r| r["text"].as_str().unwrap()).collect();
    // No final newline in, none out.
    let input = input.join("\r\n");
    let dir = tempfile::tempdir().unwrap();
    let out = run(
        &[
            "translate",
            "--input-format",
            "lines",
            "--model-dir",
            &fixture_arg(),
            "-",
        ],
        Some(input.as_bytes()),
        dir.path(),
    );
    assert_ok(&out, "translate");
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.split("\r\n").collect();
    assert_eq!(lines.len(), rows.len());
    let same = rows
        .iter()
        .zip(&lines)
        .filter(|(r, l)| r["beam4_text"].as_str().unwrap() == **l)
        .count();
    assert!(
        same + 1 >= rows.len(),
        "only {same}/{} beam-4 lines match",
        rows.len()
    );
}

#[test]
fn timings_add_one_stage_line_and_change_no_output() {
    let rows = golden("generate.jsonl");
    let input: Vec<&str> = rows
        .iter()
        .skip(50)
        .take(6)
        .map(|r| r["text"].as_str().unwrap())
        .collect();
    let input = input.join("\n");
    let dir = tempfile::tempdir().unwrap();
    let fixture = fixture_arg();
    let mut args = vec![
        "translate",
        "--input-format",
        "lines",
        "--model-dir",
        &fixture,
        "-q",
        "-",
    ];
    let plain = run(&args, Some(input.as_bytes()), dir.path());
    assert_ok(&plain, "translate");
    args.push("--timings");
    let timed = run(&args, Some(input.as_bytes()), dir.path());
    assert_ok(&timed, "translate --timings");
    assert_eq!(timed.stdout, plain.stdout);
    assert!(plain.stderr.is_empty(), "-q prints nothing else");
    let stderr = String::from_utf8(timed.stderr).unwrap();
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 1, "{stderr}");
    assert!(lines[0].starts_with("time per stage: encoder "), "{stderr}");
    for stage in [
        "decoder layers",
        "output projection",
        "search",
        "outside the model",
    ] {
        assert!(lines[0].contains(stage), "{stage} missing: {stderr}");
    }
}

/// Each bad input: exit 2, one stderr line naming the problem, and the existing output untouched.
#[test]
fn bad_input_fails_cleanly_without_touching_the_output() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("good.txt"), "Saya makan.\n").unwrap();
    std::fs::write(d.join("bad.txt"), b"Saya\nmak\xc3an.\n").unwrap();
    std::fs::create_dir(d.join("folder")).unwrap();
    let broken = d.join("broken-model");
    std::fs::create_dir(&broken).unwrap();
    for name in [
        "config.json",
        "source.spm",
        "vocab.json",
        "model.safetensors",
    ] {
        std::fs::copy(fixture().join(name), broken.join(name)).unwrap();
    }
    let prenorm = d.join("prenorm-model");
    std::fs::create_dir(&prenorm).unwrap();
    for entry in std::fs::read_dir(fixture()).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), prenorm.join(entry.file_name())).unwrap();
    }
    let config = std::fs::read_to_string(prenorm.join("config.json")).unwrap();
    std::fs::write(
        prenorm.join("config.json"),
        config.replace("\"normalize_before\": false", "\"normalize_before\": true"),
    )
    .unwrap();
    let fx = fixture_arg();
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["missing.txt"], "missing.txt: no such file"),
        (vec!["folder"], "folder: is a directory"),
        (vec!["bad.txt"], "bad.txt: invalid UTF-8 at byte 8"),
        (
            vec!["good.txt", "--beams", "0"],
            "--beams must be between 1 and 16",
        ),
        (
            vec!["good.txt", "--beams", "100000"],
            "--beams must be between 1 and 16",
        ),
        (
            vec!["good.txt", "--threads", "100000"],
            "--threads must be between 1 and 1024",
        ),
        (
            vec!["good.txt", "--threads", "18446744073709551615"],
            "--threads must be between 1 and 1024",
        ),
        (
            vec!["good.txt", "--max-length", "1"],
            "--max-length must be at least 2",
        ),
        (vec!["good.txt", "--device", "cuda"], "cuda"),
        (
            vec!["good.txt", "--quantize", "int8", "--dtype", "f16"],
            "cannot be combined with --dtype",
        ),
        (
            vec!["good.txt", "--model-dir", "broken-model"],
            "lacks target.spm",
        ),
        (
            vec!["good.txt", "--model-dir", "prenorm-model"],
            "normalize_before",
        ),
        (
            vec!["good.txt", "--model-dir", "nowhere"],
            "nowhere: model directory not found",
        ),
        (
            vec!["good.txt", "--model", "someone/absent-model"],
            "terjemah download",
        ),
    ];
    for (args, needle) in cases {
        std::fs::write(d.join("out.txt"), "previous output\n").unwrap();
        let mut full = vec!["translate", "--input-format", "lines", "-o", "out.txt"];
        if !args.iter().any(|a| a.starts_with("--model")) {
            full.extend(["--model-dir", fx.as_str()]);
        }
        full.extend(args.iter().copied());
        let out = run(&full, None, d);
        assert_one_line_error(&out, needle);
        assert_eq!(
            std::fs::read_to_string(d.join("out.txt")).unwrap(),
            "previous output\n",
            "{args:?} touched the output"
        );
        let leftovers: Vec<_> = std::fs::read_dir(d)
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().ends_with("terjemah-tmp"))
            .collect();
        assert!(leftovers.is_empty(), "{args:?} left a temporary file");
    }
    assert!(!d.join("new.txt").exists());
    let out = run(
        &[
            "translate",
            "--input-format",
            "lines",
            "missing.txt",
            "-o",
            "new.txt",
        ],
        None,
        d,
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        !d.join("new.txt").exists(),
        "a failed run created its output file"
    );
}

/// A model already in the standard Hugging Face cache is used without network (HF_HUB_OFFLINE=1),
/// with the cache layout hf-hub and huggingface_hub share: refs/main → snapshots/<commit>/files.
#[test]
fn default_model_loads_from_the_hugging_face_cache_offline() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir
        .path()
        .join("hf-home/hub/models--Helsinki-NLP--opus-mt-id-en");
    let commit = "0123456789abcdef0123456789abcdef01234567";
    let snapshot = repo.join("snapshots").join(commit);
    std::fs::create_dir_all(&snapshot).unwrap();
    std::fs::create_dir_all(repo.join("refs")).unwrap();
    std::fs::write(repo.join("refs/main"), commit).unwrap();
    for entry in std::fs::read_dir(fixture()).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), snapshot.join(entry.file_name())).unwrap();
    }
    let out = run(
        &["translate", "--input-format", "lines", "--beams", "1", "-q"],
        Some(b"Saya suka membaca buku.\n"),
        dir.path(),
    );
    assert_ok(&out, "translate from cache");
    let direct = run(
        &[
            "translate",
            "--input-format",
            "lines",
            "--beams",
            "1",
            "-q",
            "--model-dir",
            &fixture_arg(),
        ],
        Some(b"Saya suka membaca buku.\n"),
        dir.path(),
    );
    assert_eq!(out.stdout, direct.stdout);
    assert!(!out.stdout.is_empty());
}
