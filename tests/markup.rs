//! HTML pages and subtitles through the binary with the fixture model: structure that does not
//! depend on what the model says — every tag and attribute kept (translated attribute values and
//! `lang` aside), untouched elements byte for byte, cue numbers and timings identical, no empty
//! cue, no cue with more lines than its source — and bad files refused in one line.

use std::path::{Path, PathBuf};

use crate::util::{assert_ok, fixture, root, run};

fn data(dir: &str) -> PathBuf {
    root().join("tests/data").join(dir)
}

fn translate(args: &[&str], cwd: &Path) -> std::process::Output {
    let fx = fixture().display().to_string();
    let mut full = vec!["translate", "--model-dir", fx.as_str(), "--beams", "1"];
    full.extend_from_slice(args);
    run(&full, None, cwd)
}

/// The file's English, translated to a file in `dir`.
fn english(source: &Path, dir: &Path) -> String {
    let out = dir.join(source.file_name().unwrap());
    let o = translate(
        &[
            &source.display().to_string(),
            "-o",
            &out.display().to_string(),
        ],
        dir,
    );
    assert_ok(&o, &source.display().to_string());
    std::fs::read_to_string(&out).unwrap()
}

fn files(dir: &str, ext: &[&str]) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(data(dir))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.extension()
                .is_some_and(|e| ext.iter().any(|x| e.eq_ignore_ascii_case(x)))
        })
        .collect();
    v.sort();
    v
}

/// Tags as written, with the values of translated attributes and of `lang` blanked: `<a
/// href="/x" title="">`. Comments and doctypes count as tags.
fn tags(html: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(i) = rest.find('<') {
        let after = &rest[i + 1..];
        let opens = after.starts_with(|c: char| c.is_ascii_alphabetic() || c == '/' || c == '!');
        if !opens {
            rest = after;
            continue;
        }
        let mut quote = None;
        let end = after
            .char_indices()
            .find(|&(_, c)| match quote {
                Some(q) if c == q => {
                    quote = None;
                    false
                }
                Some(_) => false,
                None if c == '"' || c == '\'' => {
                    quote = Some(c);
                    false
                }
                None => c == '>',
            })
            .map_or(after.len(), |(k, _)| k);
        out.push(blank_translated(&rest[i..i + 1 + end]));
        rest = &after[end.min(after.len())..];
    }
    out.sort();
    out
}

fn blank_translated(tag: &str) -> String {
    let mut t = tag.to_owned();
    for name in ["alt", "title", "placeholder", "aria-label", "lang"] {
        let key = format!(" {name}=");
        let mut from = 0;
        while let Some(k) = t[from..].find(&key).map(|k| k + from) {
            let start = k + key.len();
            // Quoted to the same quote; unquoted to whitespace or the tag's end.
            let (start, len) = match t[start..].chars().next() {
                Some(q @ ('"' | '\'')) => (start + 1, t[start + 1..].find(q)),
                _ => (
                    start,
                    t[start..]
                        .find(char::is_whitespace)
                        .or(Some(t.len() - start)),
                ),
            };
            let Some(len) = len else { break };
            t.replace_range(start..start + len, "");
            from = start;
        }
    }
    t
}

/// The contents of every `<tag …>…</tag>` element, in order.
fn elements<'a>(html: &'a str, tag: &str) -> Vec<&'a str> {
    let (open, close) = (format!("<{tag}"), format!("</{tag}>"));
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(i) = rest.find(&open) {
        let Some(j) = rest[i..].find(&close) else {
            break;
        };
        out.push(&rest[i..i + j + close.len()]);
        rest = &rest[i + j + close.len()..];
    }
    out
}

#[test]
fn html_pages_keep_every_tag_and_their_untouched_elements() {
    let dir = tempfile::tempdir().unwrap();
    let pages = files("html", &["html", "htm"]);
    assert!(pages.len() >= 6, "{pages:?}");
    for page in pages {
        let source = std::fs::read_to_string(&page).unwrap();
        let out = english(&page, dir.path());
        let name = page.display();
        assert_eq!(tags(&out), tags(&source), "{name}: tags");
        for tag in ["script", "style", "pre", "code", "svg", "template"] {
            assert_eq!(
                elements(&out, tag),
                elements(&source, tag),
                "{name}: <{tag}>"
            );
        }
        if source.contains("lang=\"id\"") {
            assert!(
                out.contains("lang=\"en\"") && !out.contains("lang=\"id\""),
                "{name}"
            );
        }
        assert_ne!(out, source, "{name}: nothing was translated");
    }
}

/// Cues of a subtitle file: (number or identifier, timing line, text lines).
fn cues(text: &str) -> Vec<(String, String, Vec<String>)> {
    let text = text.replace("\r\n", "\n");
    let mut out = Vec::new();
    for block in text.split("\n\n") {
        let lines: Vec<&str> = block.lines().collect();
        let Some(t) = lines.iter().position(|l| l.contains("-->")) else {
            continue;
        };
        let id = lines[..t].join("\n");
        let body = lines[t + 1..].iter().map(|l| l.to_string()).collect();
        out.push((id, lines[t].to_owned(), body));
    }
    out
}

/// The files of tests/data/subtitles that are refused.
const BAD_SUBTITLES: [&str; 3] = ["bad-timing.srt", "no-header.vtt", "stray-text.srt"];

#[test]
fn subtitles_keep_cues_timings_and_line_counts() {
    let dir = tempfile::tempdir().unwrap();
    let good: Vec<PathBuf> = files("subtitles", &["srt", "vtt"])
        .into_iter()
        .filter(|p| !BAD_SUBTITLES.contains(&p.file_name().unwrap().to_str().unwrap()))
        .collect();
    assert!(good.len() >= 3, "{good:?}");
    for file in good {
        let source = std::fs::read_to_string(&file).unwrap();
        let out = english(&file, dir.path());
        let name = file.display();
        let (src, eng) = (cues(&source), cues(&out));
        assert_eq!(src.len(), eng.len(), "{name}: cue count");
        for ((sid, st, sl), (eid, et, el)) in src.iter().zip(&eng) {
            assert_eq!((sid, st), (eid, et), "{name}: cue header");
            let has_text = |l: &[String]| l.iter().any(|x| !x.trim().is_empty());
            if has_text(sl) {
                assert!(has_text(el), "{name}: cue {sid} {st} lost its text: {el:?}");
            }
            assert!(
                el.len() <= sl.len().max(1),
                "{name}: cue {sid}: {el:?} has more lines than {sl:?}"
            );
        }
        assert_ne!(out, source, "{name}: nothing was translated");
    }
}

#[test]
fn bad_subtitles_are_refused_in_one_line_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    for name in BAD_SUBTITLES {
        let source = data("subtitles").join(name);
        let out = dir.path().join(name);
        let o = translate(
            &[
                &source.display().to_string(),
                "-o",
                &out.display().to_string(),
            ],
            dir.path(),
        );
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{name}: {stderr}");
        assert_eq!(stderr.trim().lines().count(), 1, "{name}: {stderr}");
        assert!(stderr.contains(name), "{name}: {stderr}");
        assert!(!out.exists(), "{name}: an output was written");
    }
}

#[test]
fn a_folder_of_pages_and_subtitles_skips_the_bad_ones_and_names_them() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in");
    std::fs::create_dir_all(input.join("sub")).unwrap();
    std::fs::copy(
        data("html").join("news-tempo.html"),
        input.join("tempo.html"),
    )
    .unwrap();
    std::fs::copy(
        data("subtitles").join("film.srt"),
        input.join("sub/film.srt"),
    )
    .unwrap();
    std::fs::copy(
        data("subtitles").join("no-header.vtt"),
        input.join("sub/talk.vtt"),
    )
    .unwrap();
    std::fs::write(
        input.join("lama.htm"),
        "<html><head><meta charset=\"windows-1252\"></head><body><p>Berita lama.</p></body></html>",
    )
    .unwrap();
    let out_dir = dir.path().join("out");
    let o = translate(
        &[
            &input.display().to_string(),
            "-o",
            &out_dir.display().to_string(),
            "--ext",
            "html,htm,srt,vtt",
        ],
        dir.path(),
    );
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("lama.htm: declares charset windows-1252"),
        "{stderr}"
    );
    assert!(stderr.contains("talk.vtt: line 1"), "{stderr}");
    assert!(out_dir.join("tempo.html").is_file() && out_dir.join("sub/film.srt").is_file());
    assert!(!out_dir.join("lama.htm").exists() && !out_dir.join("sub/talk.vtt").exists());
}
