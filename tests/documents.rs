//! Document translation through the binary: structure that does not depend on what the small model
//! says — line counts, blank lines, passthrough lines, credits, quotes — and folder runs: mirrored
//! tree, bad files skipped and reported, atomic outputs, resume.

use std::path::Path;

use crate::util::{assert_ok, fixture, root, run};

fn docs() -> std::path::PathBuf {
    root().join("tests/data/docs")
}

fn translate(args: &[&str], cwd: &Path) -> std::process::Output {
    let fx = fixture().display().to_string();
    let mut full = vec!["translate", "--model-dir", fx.as_str(), "--beams", "1"];
    full.extend_from_slice(args);
    run(&full, None, cwd)
}

fn count(line: &str, c: char) -> usize {
    line.chars().filter(|&x| x == c).count()
}

#[test]
fn news_article_keeps_every_line_in_place() {
    let source = std::fs::read_to_string(root().join("tests/data/news-kcna.id.txt")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let input = root()
        .join("tests/data/news-kcna.id.txt")
        .display()
        .to_string();
    let out = translate(&[&input, "-q"], dir.path());
    assert_ok(&out, "translate news");
    let english = String::from_utf8(out.stdout).unwrap();
    let src: Vec<&str> = source.split('\n').collect();
    let eng: Vec<&str> = english.split('\n').collect();
    assert_eq!(src.len(), 18);
    assert_eq!(eng.len(), 18, "{english}");
    assert!(!english.ends_with('\n'), "the source has no final newline");
    for (s, e) in src.iter().zip(&eng) {
        assert_eq!(
            s.trim().is_empty(),
            e.trim().is_empty(),
            "blank lines move: {s:?} → {e:?}"
        );
        assert_eq!(
            count(s, '"'),
            count(e, '"'),
            "quote count differs: {s:?} → {e:?}"
        );
    }
    assert_eq!(eng[9], "[iklan_2]");
    assert!(
        eng[10].starts_with("Source: https://www.congluan.vn/nga-va-trieu-tien"),
        "{}",
        eng[10]
    );
    assert!(eng[10].ends_with("-post307937.html"));
    assert!(eng[1].ends_with(" Photo: KCNA"), "{}", eng[1]);
    assert_eq!(eng[17], "Comments (0)");
    assert!(
        eng[0].starts_with('"'),
        "the quotation keeps its opening mark: {}",
        eng[0]
    );
    assert_ne!(eng[2], src[2], "prose is translated");
}

#[test]
fn crlf_and_missing_final_newline_survive_and_stdin_works() {
    let dir = tempfile::tempdir().unwrap();
    let crlf = std::fs::read(docs().join("crlf.txt")).unwrap();
    let fx = fixture().display().to_string();
    let out = run(
        &["translate", "--model-dir", &fx, "-q"],
        Some(&crlf),
        dir.path(),
    );
    assert_ok(&out, "translate stdin");
    let english = String::from_utf8(out.stdout).unwrap();
    assert_eq!(english.matches("\r\n").count(), 4);
    assert_eq!(english.matches('\n').count(), 4, "no bare LF introduced");
    let lines: Vec<&str> = english.split("\r\n").collect();
    assert_eq!(lines[1], "");
    assert_eq!(lines[2], "Photo: ANTARA/Budi");

    let input = docs().join("no-final-newline.txt").display().to_string();
    let out = translate(&[&input, "-o", "out.txt", "-q"], dir.path());
    assert_ok(&out, "translate file");
    let english = std::fs::read_to_string(dir.path().join("out.txt")).unwrap();
    assert_eq!(english.matches('\n').count(), 3);
    assert!(english.contains("\n\n\n"));
    assert!(!english.ends_with('\n'));
}

#[test]
fn folder_run_mirrors_tree_skips_bad_files_and_resumes() {
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("english");
    let input = docs().join("nested").display().to_string();
    let out_arg = out_dir.display().to_string();
    let out = translate(&[&input, "-o", &out_arg], dir.path());
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(
        out.status.code(),
        Some(1),
        "a bad file makes the run fail at the end: {stderr}"
    );
    assert!(
        stderr.contains("broken.txt: invalid UTF-8 at byte 10"),
        "{stderr}"
    );
    assert!(stderr.contains("binary.txt: binary file"), "{stderr}");
    assert!(
        stderr.contains("translated 2 files (0 already up to date, 2 failed), 3 sentences"),
        "{stderr}"
    );
    assert!(out_dir.join("a.txt").is_file());
    let b = std::fs::read_to_string(out_dir.join("deeper/b.txt")).unwrap();
    assert_eq!(b.lines().nth(1), Some("[iklan_1]"));
    assert!(!out_dir.join("broken.txt").exists() && !out_dir.join("skip.md").exists());

    // A rerun skips complete outputs; --force redoes them; --ext picks other files.
    let out = translate(&[&input, "-o", &out_arg], dir.path());
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(
        stderr.contains("translated 0 files (2 already up to date, 2 failed)"),
        "{stderr}"
    );
    let out = translate(
        &[&input, "-o", &out_arg, "--force", "--ext", "txt,md"],
        dir.path(),
    );
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(
        stderr.contains("translated 3 files (0 already up to date, 2 failed)"),
        "{stderr}"
    );
    assert!(out_dir.join("skip.md").is_file());
}

#[test]
fn killed_folder_run_leaves_only_complete_files_and_a_rerun_finishes() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    std::fs::create_dir(&src).unwrap();
    let sentences: Vec<String> = std::fs::read_to_string(root().join("data/tatoeba.id"))
        .unwrap()
        .lines()
        .take(1200)
        .map(str::to_string)
        .collect();
    for (i, chunk) in sentences.chunks(40).enumerate() {
        std::fs::write(src.join(format!("doc{i:02}.txt")), chunk.join("\n")).unwrap();
    }
    let fx = fixture().display().to_string();
    let full = |out: &str| {
        vec![
            "translate".to_string(),
            "--model-dir".into(),
            fx.clone(),
            "--beams".into(),
            "1".into(),
            "src".into(),
            "-o".into(),
            out.into(),
            "-q".into(),
        ]
    };
    let reference = run(
        &full("reference")
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
        None,
        dir.path(),
    );
    assert_ok(&reference, "reference run");

    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_terjemah"))
        .args(full("killed"))
        .current_dir(dir.path())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let killed = dir.path().join("killed");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    while std::time::Instant::now() < deadline && !killed.join("doc00.txt").exists() {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let written: Vec<_> = std::fs::read_dir(&killed)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert!(
        !written.is_empty(),
        "the run wrote nothing before it was killed"
    );
    for name in &written {
        let name = name.to_string_lossy();
        if name.starts_with('.') {
            continue;
        }
        assert_eq!(
            std::fs::read(killed.join(&*name)).unwrap(),
            std::fs::read(dir.path().join("reference").join(&*name)).unwrap(),
            "{name} is partial"
        );
    }
    let rerun = run(
        &full("killed")
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
        None,
        dir.path(),
    );
    assert_ok(&rerun, "rerun");
    let names = |d: &str| {
        let mut v: Vec<_> = std::fs::read_dir(dir.path().join(d))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        v.sort();
        v
    };
    assert_eq!(
        names("killed"),
        names("reference"),
        "the rerun completes and leaves no temporary"
    );
}

#[test]
fn segment_prints_one_sentence_per_line() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(
        &["segment", "-"],
        Some("Dr. Andi datang. Ia tersenyum.\n\"Benarkah?\" tanya dia.\n".as_bytes()),
        dir.path(),
    );
    assert_ok(&out, "segment");
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "Dr. Andi datang.\nIa tersenyum.\n\n\"Benarkah?\" tanya dia.\n\n"
    );
}

#[test]
fn jsonl_translates_one_field_and_keeps_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let input = "{\"id\": 1, \"text\": \"Saya suka membaca buku. Dia pergi ke pasar.\", \"url\": \"https://x.id\"}\n\
                 {\"id\": 2, \"judul\": \"tanpa teks\"}\n\
                 \n\
                 {\"text\": \"Foto: KCNA\", \"z\": [1, 2]}";
    std::fs::write(dir.path().join("in.jsonl"), input).unwrap();
    let out = translate(&["--input-format", "jsonl", "in.jsonl", "-q"], dir.path());
    assert_ok(&out, "jsonl");
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.split('\n').collect();
    assert_eq!(lines.len(), 4);
    let first: serde_json::Value = serde_json::from_str(lines[0]).unwrap();
    let keys: Vec<&str> = first
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys, ["id", "text", "url"], "key order kept");
    assert_eq!(first["url"], "https://x.id");
    assert_ne!(first["text"], "Saya suka membaca buku. Dia pergi ke pasar.");
    assert_eq!(
        lines[1], "{\"id\": 2, \"judul\": \"tanpa teks\"}",
        "objects without the field are untouched"
    );
    assert_eq!(lines[2], "");
    assert_eq!(lines[3], "{\"text\":\"Photo: KCNA\",\"z\":[1,2]}");

    std::fs::write(
        dir.path().join("bad.jsonl"),
        "{\"text\": \"a\"}\n{\"text\": 5}\n",
    )
    .unwrap();
    let out = translate(
        &["--input-format", "jsonl", "bad.jsonl", "-o", "o.jsonl"],
        dir.path(),
    );
    crate::util::assert_one_line_error(&out, "bad.jsonl: line 2: field \"text\" is not a string");
    assert!(!dir.path().join("o.jsonl").exists());
}

#[test]
fn markdown_keeps_syntax_code_and_link_targets() {
    let source = std::fs::read_to_string(root().join("tests/data/md/berita.md")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("berita.md"), &source).unwrap();
    let out = translate(&["berita.md", "-q"], dir.path());
    assert_ok(&out, "translate markdown");
    let english = String::from_utf8(out.stdout).unwrap();
    assert_eq!(english.lines().count(), source.lines().count());
    let mut in_code = false;
    for (s, e) in source.lines().zip(english.lines()) {
        let fence = s.trim_start().starts_with("```");
        if in_code || fence || s.starts_with("---") || s.trim().is_empty() {
            assert_eq!(s, e, "code, front matter and blank lines are copied");
        }
        if fence {
            in_code = !in_code;
        }
        for target in s.split("](").skip(1) {
            let url = &target[..target.find(')').unwrap()];
            assert!(
                e.contains(&format!("]({url})")),
                "link target {url} lost in {e:?}"
            );
        }
        for prefix in ["# ", "## ", "### ", "> ", "- ", "| "] {
            if s.starts_with(prefix) {
                assert!(e.starts_with(prefix), "{s:?} → {e:?}");
            }
        }
    }
    assert_ne!(english, source, "prose is translated");
}
