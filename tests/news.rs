//! Scraped pages of Indonesian outlets (`tests/data/news/*.id.txt`) through the binary with the
//! fixture model: their chrome, codes, bylines, credits, labels, bullets and table separators
//! come through, whatever the small model makes of the prose. What each page must keep is in its
//! sidecar (`*.expect`, see `tests/data/news/README.md`); the rest is checked on every line.

use std::path::{Path, PathBuf};

use crate::util::{fixture, root, run};

fn pages() -> Vec<PathBuf> {
    let dir = root().join("tests/data/news");
    let mut pages: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with(".id.txt"))
        .collect();
    pages.sort();
    pages
}

/// `text` cut after each LF, so that every line keeps its terminator.
fn lines(text: &str) -> Vec<&str> {
    text.split_inclusive('\n').collect()
}

fn content(line: &str) -> &str {
    line.trim_end_matches(['\n', '\r'])
}

fn ending(line: &str) -> &str {
    &line[content(line).len()..]
}

/// Protected spans of a source line, which must come out verbatim: URLs, e-mail addresses,
/// mentions and hashtags, square-bracketed markers, and a final editor's code such as `(nvc/nvc)`.
fn spans(line: &str) -> Vec<&str> {
    let mut spans: Vec<&str> = line
        .split_whitespace()
        .map(|w| {
            w.trim_start_matches('(')
                .trim_end_matches(['.', ',', ';', ':', '!', '?', ')'])
        })
        .filter(|w| {
            ["http://", "https://", "www.", "pic.twitter.com/"]
                .iter()
                .any(|s| w.starts_with(s))
                || (w.len() > 1 && w.starts_with(['@', '#']))
                || w.split_once('@')
                    .is_some_and(|(l, d)| !l.is_empty() && d.contains('.'))
        })
        .collect();
    let mut rest = line;
    while let Some((open, close)) = rest.find('[').zip(rest.find(']')) {
        if open < close {
            spans.push(&rest[open..=close]);
        }
        rest = &rest[close + 1..];
    }
    if let Some(open) = line.rfind('(') {
        let code = &line[open..];
        let inner = &code[1..code.len().max(1) - 1];
        if code.ends_with(')')
            && !inner.is_empty()
            && inner.chars().all(|c| c.is_ascii_lowercase() || c == '/')
        {
            spans.push(code);
        }
    }
    spans
}

const BULLETS: [&str; 4] = ["• ", "- ", "* ", "– "];

fn count(s: &str, pred: impl Fn(char) -> bool) -> usize {
    s.chars().filter(|&c| pred(c)).count()
}

/// The sidecar's entries, each checked against every source line it names.
enum Expect {
    /// Lines with this content come out byte-identical.
    Keep(String),
    /// Lines with this content come out as this text exactly.
    Line(String, String),
    /// Lines starting with this come out starting with the English.
    Label(String, String),
    /// Lines ending with this credit come out ending with it (its label in English).
    Credit(String, String),
}

impl Expect {
    /// The source text the entry names lines by.
    fn text(&self) -> &str {
        match self {
            Expect::Keep(t) | Expect::Line(t, _) | Expect::Label(t, _) | Expect::Credit(t, _) => t,
        }
    }

    /// Whether the entry is about the source line with this content.
    fn names(&self, source: &str) -> bool {
        match self {
            Expect::Keep(t) | Expect::Line(t, _) => source == t,
            Expect::Label(t, _) => source.starts_with(t.as_str()),
            Expect::Credit(t, _) => source.ends_with(t.as_str()),
        }
    }

    /// Whether the English line (`english`, for `source`, both with terminators) keeps it.
    fn holds(&self, source: &str, english: &str) -> bool {
        let english_content = content(english);
        match self {
            Expect::Keep(_) => source == english,
            Expect::Line(_, out) => english_content == out,
            Expect::Label(_, en) => english_content.starts_with(en.as_str()),
            Expect::Credit(_, en) => english_content.ends_with(en.as_str()),
        }
    }
}

fn expectations(page: &Path) -> Vec<Expect> {
    let sidecar = page.with_extension("expect");
    let text =
        std::fs::read_to_string(&sidecar).unwrap_or_else(|e| panic!("{}: {e}", sidecar.display()));
    text.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with("//"))
        .map(|l| {
            let (kind, rest) = l.split_once(' ').unwrap_or((l, ""));
            let (src, out) = match rest.split_once(" => ") {
                Some((s, o)) => (s.to_owned(), o.to_owned()),
                None => (rest.to_owned(), rest.to_owned()),
            };
            match kind {
                "keep" => Expect::Keep(src),
                "line" => Expect::Line(src, out),
                "label" => Expect::Label(src, out),
                "credit" => Expect::Credit(src, out),
                _ => panic!("{}: unknown entry {l:?}", sidecar.display()),
            }
        })
        .collect()
}

/// Every broken assertion of one page, empty when the page came through intact.
fn check(page: &Path, source: &str, english: &str) -> Vec<String> {
    let mut failures = Vec::new();
    let src = lines(source);
    let eng = lines(english);
    if src.len() != eng.len() {
        failures.push(format!("{} lines became {}", src.len(), eng.len()));
        return failures;
    }
    for (n, (s, e)) in src.iter().zip(&eng).enumerate() {
        let mut fail = |what: &str| failures.push(format!("line {}: {what}: {s:?} → {e:?}", n + 1));
        let (sc, ec) = (content(s), content(e));
        if ending(s) != ending(e) {
            fail("line ending differs");
        }
        if sc.trim().is_empty() != ec.trim().is_empty() {
            fail("blank line moved");
        }
        for quote in ['"', '\u{201c}', '\u{201d}'] {
            if count(sc, |c| c == quote) != count(ec, |c| c == quote) {
                fail("quote count differs");
            }
        }
        for separator in ['|', '\t'] {
            if count(sc, |c| c == separator) != count(ec, |c| c == separator) {
                fail("table separators differ");
            }
        }
        if let Some(bullet) = BULLETS.iter().find(|b| sc.starts_with(**b)) {
            if !ec.starts_with(bullet) {
                fail("bullet lost");
            }
        }
        for span in spans(sc) {
            if !ec.contains(span) {
                fail(&format!("protected span {span:?} lost"));
            }
        }
    }
    for expect in expectations(page) {
        let mut found = false;
        for (n, (s, e)) in src.iter().zip(&eng).enumerate() {
            if !expect.names(content(s)) {
                continue;
            }
            found = true;
            if !expect.holds(s, e) {
                failures.push(format!(
                    "line {}: {:?} not kept: {s:?} → {e:?}",
                    n + 1,
                    expect.text()
                ));
            }
        }
        if !found {
            failures.push(format!("sidecar entry {:?} matches no line", expect.text()));
        }
    }
    failures
}

#[test]
fn outlet_pages_keep_their_chrome() {
    let model = fixture().display().to_string();
    let dir = tempfile::tempdir().unwrap();
    let pages = pages();
    assert!(pages.len() >= 13, "{} pages", pages.len());
    let mut broken = Vec::new();
    for page in &pages {
        let source = std::fs::read_to_string(page).unwrap();
        let path = page.display().to_string();
        let args = [
            "translate",
            "--model-dir",
            &model,
            "--beams",
            "1",
            "-q",
            &path,
        ];
        let out = run(&args, None, dir.path());
        let name = page.file_name().unwrap().to_string_lossy().into_owned();
        if !out.status.success() {
            let stderr = String::from_utf8_lossy(&out.stderr);
            broken.push(format!("{name}: failed: {stderr}"));
            continue;
        }
        let english = String::from_utf8(out.stdout).unwrap();
        let failures = check(page, &source, &english);
        if !failures.is_empty() {
            broken.push(format!("{name}:\n  {}", failures.join("\n  ")));
        }
    }
    assert!(
        broken.is_empty(),
        "{} of {} pages intact; broken:\n{}",
        pages.len() - broken.len(),
        pages.len(),
        broken.join("\n")
    );
}
