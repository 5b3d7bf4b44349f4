//! The CommonMark spec's examples (`tests/data/commonmark/spec.txt`) as Markdown documents:
//! each comes back byte for byte with its inputs as their own translations, and no model input
//! takes a byte of code, HTML, a link or image destination or title, an autolink or a reference
//! definition, as pulldown-cmark reads the example.

use std::ops::Range;

use pulldown_cmark::{Event, LinkType, Tag, TagEnd};

use super::document::{Document, DocumentOptions};
use super::markdown::{events, options};
use super::reassemble::reassemble;
use super::spans::{is_line_break, is_quote};

const SPEC: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/data/commonmark/spec.txt"
));

/// The spec's example fence: 32 backticks.
const FENCE: &str = "````````````````````````````````";

/// Stands for each letter and digit of a model input in the output, to find where the inputs came
/// from; punctuation stays, so that markup written back by word alignment keeps its place
/// against a word's punctuation as it does for a translation.
const MARK: char = '\u{e000}';

/// The Markdown of each example, with the tabs that `→` stands for.
fn examples() -> Vec<String> {
    let mut found = Vec::new();
    // The example being read, and whether its Markdown part (before the `.` line) is over.
    let mut current: Option<(String, bool)> = None;
    for line in SPEC.split_inclusive('\n') {
        match &mut current {
            None => {
                if line.trim_end() == format!("{FENCE} example") {
                    current = Some((String::new(), false));
                }
            }
            Some((markdown, html)) => {
                if line.trim_end() == FENCE {
                    found.push(markdown.replace('→', "\t"));
                    current = None;
                } else if line == ".\n" {
                    *html = true;
                } else if !*html {
                    markdown.push_str(line);
                }
            }
        }
    }
    found
}

/// Byte ranges of `text` that no model input may touch: code spans and blocks, HTML blocks and
/// inline HTML, what follows the text of a link or image (`](url "title")`, `][id]`),
/// autolinks and reference definitions.
fn never_sent(text: &str) -> Vec<Range<usize>> {
    let mut ranges = Vec::new();
    // Per open link or image: its range, and the end of the last event inside it.
    let mut links: Vec<(Range<usize>, usize)> = Vec::new();
    for (event, range) in events(text) {
        match event {
            Event::Start(Tag::Link { link_type, .. } | Tag::Image { link_type, .. }) => {
                if matches!(link_type, LinkType::Autolink | LinkType::Email) {
                    ranges.push(range.clone());
                }
                let opener = if text[range.start..].starts_with('!') {
                    2
                } else {
                    1
                };
                links.push((range.clone(), range.start + opener));
                continue;
            }
            Event::End(TagEnd::Link | TagEnd::Image) => {
                let (link, text_end) = links.pop().expect("an end follows its start");
                ranges.push(text_end..link.end);
            }
            Event::Start(Tag::CodeBlock(_) | Tag::HtmlBlock)
            | Event::Code(_)
            | Event::Html(_)
            | Event::InlineHtml(_) => ranges.push(range.clone()),
            _ => {}
        }
        if let Some((_, text_end)) = links.last_mut() {
            *text_end = (*text_end).max(range.end);
        }
    }
    let parser = pulldown_cmark::Parser::new_ext(text, options());
    ranges.extend(
        parser
            .reference_definitions()
            .iter()
            .map(|(_, d)| d.span.clone()),
    );
    ranges
}

/// Checks one example with `opts`; returns how many characters its inputs took.
fn check(text: &str, opts: &DocumentOptions) -> usize {
    let doc = Document::parse(text, opts);
    assert_eq!(reassemble(&doc, doc.model_inputs()), text, "identity");
    for s in doc.model_inputs() {
        assert!(!s.is_empty() && s.trim() == s, "{s:?}");
        assert!(!s.contains(is_quote) && !s.contains(is_line_break), "{s:?}");
    }
    // Inputs marked character for character keep the output aligned with the source, so the
    // marks show which source characters each input took.
    let marked: Vec<String> = doc
        .model_inputs()
        .iter()
        .map(|s| {
            s.chars()
                .map(|c| if c.is_alphanumeric() { MARK } else { c })
                .collect()
        })
        .collect();
    let out: Vec<char> = reassemble(&doc, &marked).chars().collect();
    let source: Vec<(usize, char)> = text.char_indices().collect();
    let never = never_sent(text);
    let sent = marked_bytes(&out, &source, |at| !never.iter().any(|r| r.contains(&at)));
    let expected: usize = marked.iter().map(|s| s.matches(MARK).count()).sum();
    assert_eq!(
        sent.len(),
        expected,
        "inputs {:?} took bytes of code, HTML, destinations or definitions, or did not come out",
        doc.model_inputs()
    );
    sent.len()
}

/// The source bytes that the marks of `out` stand for: `out` matched to the source by the
/// common subsequence that matches the most marks (a mark matches any letter or digit), then
/// the most other characters. Inline markup written back by
/// alignment may move inside a word (`foo*bar*` → `*MMMMMM*`), so the output is matched to
/// the source rather than read position by position.
/// A mark matches only where `may_send` allows.
fn marked_bytes(
    out: &[char],
    source: &[(usize, char)],
    may_send: impl Fn(usize) -> bool,
) -> Vec<usize> {
    let (n, m) = (out.len(), source.len());
    // A mark outweighs every other character together.
    let weight = |o: char, (at, c): (usize, char)| match o {
        MARK if c.is_alphanumeric() && may_send(at) => Some(n as u64 + 1),
        _ if o == c => Some(1),
        _ => None,
    };
    let mut lcs = vec![vec![0u64; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            let skip = lcs[i + 1][j].max(lcs[i][j + 1]);
            lcs[i][j] = match weight(out[i], source[j]) {
                Some(w) => skip.max(lcs[i + 1][j + 1] + w),
                None => skip,
            };
        }
    }
    let mut sent = Vec::new();
    let (mut i, mut j) = (0, 0);
    while i < n && j < m {
        let matched = weight(out[i], source[j]).filter(|w| lcs[i][j] == lcs[i + 1][j + 1] + w);
        if matched.is_some() {
            if out[i] == MARK {
                sent.push(source[j].0);
            }
            i += 1;
            j += 1;
        } else if lcs[i + 1][j] >= lcs[i][j + 1] {
            i += 1;
        } else {
            j += 1;
        }
    }
    sent
}

#[test]
fn commonmark_spec_examples_round_trip_and_send_only_prose() {
    let examples = examples();
    assert_eq!(examples.len(), 652, "examples in spec.txt");
    let mut sent = 0;
    for (k, text) in examples.iter().enumerate() {
        assert!(!text.contains(MARK));
        for unwrap_paragraphs in [true, false] {
            let opts = DocumentOptions {
                markdown: true,
                translate_labels: false,
                unwrap_paragraphs,
                ..DocumentOptions::default()
            };
            let result = std::panic::catch_unwind(|| check(text, &opts));
            match result {
                Ok(n) => sent += n,
                Err(_) => panic!("example {} ({unwrap_paragraphs}): {text:?}", k + 1),
            }
        }
    }
    assert!(sent > 0);
}

/// The check fails where an input takes syntax: plain-text parsing sends code and link targets.
#[test]
fn commonmark_check_catches_syntax_in_inputs() {
    let opts = DocumentOptions {
        translate_labels: false,
        ..DocumentOptions::default()
    };
    for text in [
        "Jalankan `kode` ini.",
        "Lihat [ini](https://x.id/a \"judul\").",
    ] {
        assert!(
            std::panic::catch_unwind(|| check(text, &opts)).is_err(),
            "{text:?}"
        );
    }
}
