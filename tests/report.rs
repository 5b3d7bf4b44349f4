//! `--report`, English passthrough and the retry of looping outputs, through the binary with the
//! fixture model: what each segment became, on which line, in file, folder and stdin runs.

use std::path::Path;

use serde_json::Value;

use crate::util::{assert_ok, fixture, golden, run};

const PAGE: &str = "\
JAKARTA, KOMPAS.com - Pemerintah akan membangun jalan baru di Bogor.

ADVERTISEMENT

The minister said the project would be finished next year.
\"We are very happy with this decision,\" kata Budi.

Editor: Budi Santoso
";

const ENGLISH: &str = "The minister said the project would be finished next year.";

fn translate(args: &[&str], stdin: Option<&[u8]>, cwd: &Path) -> std::process::Output {
    let fx = fixture().display().to_string();
    let mut full = vec!["translate", "--model-dir", fx.as_str()];
    full.extend_from_slice(args);
    run(&full, stdin, cwd)
}

fn report(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// The rows of `rows` for `source`, as (line, decision).
fn decisions<'a>(rows: &'a [Value], source: &str) -> Vec<(u64, &'a str)> {
    rows.iter()
        .filter(|r| r["source"] == source)
        .map(|r| (r["line"].as_u64().unwrap(), r["decision"].as_str().unwrap()))
        .collect()
}

/// What every report row holds, whatever the run.
fn assert_rows(rows: &[Value], output: &str) {
    assert!(!rows.is_empty());
    for r in rows {
        assert!(
            r["file"].is_string() && r["line"].as_u64().is_some_and(|n| n >= 1),
            "{r}"
        );
        assert!(r["warnings"].is_array(), "{r}");
        let written = r["output"].as_str().unwrap();
        assert!(output.contains(written), "{written:?} is not in the output");
        if r["decision"] != "translated" && r["decision"] != "label" {
            assert_eq!(r["output"], r["source"], "{r}");
        }
    }
}

#[test]
fn report_lists_every_segment_in_file_folder_and_stdin_runs() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("page.txt"), PAGE).unwrap();
    let out = translate(
        &["page.txt", "-o", "page.en.txt", "--report", "r.jsonl"],
        None,
        d,
    );
    assert_ok(&out, "file run");
    let english = std::fs::read_to_string(d.join("page.en.txt")).unwrap();
    let rows = report(&d.join("r.jsonl"));
    assert_rows(&rows, &english);
    assert!(rows.iter().all(|r| r["file"] == "page.txt"));
    assert_eq!(
        decisions(&rows, "JAKARTA, KOMPAS.com -"),
        [(1, "protected")]
    );
    assert_eq!(
        decisions(&rows, "Pemerintah akan membangun jalan baru di Bogor."),
        [(1, "translated")]
    );
    assert_eq!(decisions(&rows, "ADVERTISEMENT"), [(3, "protected")]);
    assert_eq!(decisions(&rows, ENGLISH), [(5, "passed-through")]);
    // The English quotation is kept; its Indonesian attribution is translated.
    assert_eq!(
        decisions(&rows, "We are very happy with this decision,"),
        [(6, "passed-through")]
    );
    assert_eq!(decisions(&rows, "kata Budi."), [(6, "translated")]);
    assert_eq!(decisions(&rows, "Editor"), [(8, "label")]);
    assert_eq!(decisions(&rows, "Budi Santoso"), [(8, "protected")]);
    assert!(english.contains(&format!(
        "{ENGLISH}\n\"We are very happy with this decision,\" "
    )));
    let passed = rows.iter().filter(|r| r["decision"] == "passed-through");
    assert!(passed.clone().all(|r| r["language"] == "en"));

    // A folder run with a file that cannot be read: its error is in the report too.
    std::fs::create_dir_all(d.join("in/sub")).unwrap();
    std::fs::write(d.join("in/sub/page.txt"), PAGE).unwrap();
    std::fs::write(d.join("in/other.txt"), "Saya suka membaca buku.\n").unwrap();
    std::fs::write(d.join("in/broken.txt"), b"Rusak \xff di sini.\n").unwrap();
    let out = translate(&["in", "-o", "out", "--report", "folder.jsonl"], None, d);
    assert_eq!(
        out.status.code(),
        Some(1),
        "a bad file fails the run at the end"
    );
    let rows = report(&d.join("folder.jsonl"));
    let errors: Vec<&Value> = rows.iter().filter(|r| r.get("error").is_some()).collect();
    assert_eq!(errors.len(), 1);
    assert!(errors[0]["error"].as_str().unwrap().contains("broken.txt"));
    let segments: Vec<Value> = rows
        .into_iter()
        .filter(|r| r.get("error").is_none())
        .collect();
    let page = std::fs::read_to_string(d.join("out/sub/page.txt")).unwrap();
    let other = std::fs::read_to_string(d.join("out/other.txt")).unwrap();
    assert_rows(&segments, &(page + &other));
    let files: std::collections::BTreeSet<&str> = segments
        .iter()
        .map(|r| r["file"].as_str().unwrap())
        .collect();
    assert_eq!(files.len(), 2, "{files:?}");
    assert!(files.iter().any(|f| f.ends_with("other.txt")));
    assert!(files.iter().any(|f| f.ends_with("page.txt")));

    // Standard input to standard output.
    let out = translate(&["--report", "stdin.jsonl"], Some(PAGE.as_bytes()), d);
    assert_ok(&out, "stdin run");
    let rows = report(&d.join("stdin.jsonl"));
    assert_rows(&rows, &String::from_utf8(out.stdout).unwrap());
    assert_eq!(decisions(&rows, ENGLISH), [(5, "passed-through")]);
}

#[test]
fn translate_all_sends_english_to_the_model_and_lines_keep_it_only_on_request() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("page.txt"), PAGE).unwrap();
    let out = translate(
        &["page.txt", "--translate-all", "--report", "all.jsonl"],
        None,
        d,
    );
    assert_ok(&out, "--translate-all");
    let rows = report(&d.join("all.jsonl"));
    assert_eq!(decisions(&rows, ENGLISH), [(5, "translated")]);
    assert!(!rows.iter().any(|r| r["decision"] == "passed-through"));

    let lines = format!("Saya suka membaca buku.\n{ENGLISH}\n");
    std::fs::write(d.join("lines.txt"), &lines).unwrap();
    let plain = [
        "lines.txt",
        "--input-format",
        "lines",
        "--report",
        "lines.jsonl",
    ];
    let out = translate(&plain, None, d);
    assert_ok(&out, "lines");
    let english = String::from_utf8(out.stdout).unwrap();
    assert_eq!(english.lines().count(), 2);
    assert_ne!(
        english.lines().nth(1),
        Some(ENGLISH),
        "the model's output, not the source"
    );
    let rows = report(&d.join("lines.jsonl"));
    assert_eq!(decisions(&rows, ENGLISH), [(2, "translated")]);

    let out = translate(&[&plain[..], &["--keep-english"]].concat(), None, d);
    assert_ok(&out, "lines --keep-english");
    let kept = String::from_utf8(out.stdout).unwrap();
    assert_eq!(kept.lines().nth(1), Some(ENGLISH));
    assert_eq!(kept.lines().next(), english.lines().next());
    let rows = report(&d.join("lines.jsonl"));
    assert_eq!(decisions(&rows, ENGLISH), [(2, "passed-through")]);

    let both = translate(&["page.txt", "--translate-all", "--keep-english"], None, d);
    assert_eq!(both.status.code(), Some(2), "the two flags conflict");
}

/// "Kamu pasti lelah." loops with the fixture model ("You are are are are are are …"). A document
/// run translates it again by greedy search with repeated trigrams blocked and keeps that, which
/// is transformers' `no_repeat_ngram_size=3` output; line mode keeps the model's exact output and
/// flags it; a sentence that does not loop is the model's exact output in both.
#[test]
fn a_looping_translation_is_retried_in_documents_and_flagged_in_lines() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let looping = "Kamu pasti lelah.";
    let fine = "Kamu bisa belajar di sini.";
    let text_of = |file: &str, text: &str, key: &str| {
        golden(file)
            .into_iter()
            .find(|r| r["text"] == text)
            .unwrap_or_else(|| panic!("{text:?} not in {file}"))[key]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let source = format!("{looping}\n\n{fine}\n");
    let out = translate(&["--report", "doc.jsonl"], Some(source.as_bytes()), d);
    assert_ok(&out, "document");
    let english = String::from_utf8(out.stdout).unwrap();
    let retried = text_of("norepeat.jsonl", looping, "greedy_text");
    let exact = text_of("generate.jsonl", fine, "beam4_text");
    assert_eq!(english, format!("{retried}\n\n{exact}\n"));
    let rows = report(&d.join("doc.jsonl"));
    let row = rows.iter().find(|r| r["source"] == looping).unwrap();
    assert_eq!(row["retry"], "kept", "{row}");
    assert_eq!(row["warnings"], serde_json::json!([]));
    assert!(rows
        .iter()
        .find(|r| r["source"] == fine)
        .unwrap()
        .get("retry")
        .is_none());

    let args = ["--input-format", "lines", "--report", "lines.jsonl"];
    let out = translate(&args, Some(source.as_bytes()), d);
    assert_ok(&out, "lines");
    let model = text_of("generate.jsonl", looping, "beam4_text");
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        format!("{model}\n\n{exact}\n")
    );
    let rows = report(&d.join("lines.jsonl"));
    let row = rows.iter().find(|r| r["source"] == looping).unwrap();
    assert!(row.get("retry").is_none());
    assert!(
        row["warnings"][0]
            .as_str()
            .unwrap()
            .contains("repeats \"are\""),
        "{row}"
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("warning: line 1: translation repeats"));
}
