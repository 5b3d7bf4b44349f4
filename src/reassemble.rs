//! Puts translations back into a parsed [`Document`], and flags translations that look wrong.
//!
//! Everything that is not a model output comes from the source (or the label table) as the
//! parser stored it, so line breaks, blank lines, indentation, quote marks, URLs and credits
//! come out byte for byte where they were. Model outputs are cleaned before they are placed:
//! double-quote marks the model added are removed (the source's marks are already in place),
//! line breaks become spaces, an empty output falls back to its source text, continuations get
//! back their lower-case start, and ALL-CAPS sources get upper-case English. A hard-wrapped
//! paragraph is re-wrapped over its source lines in proportion to their lengths.
//!
//! This module does not call the model and does not retry or repair translations beyond that;
//! [`check_translation`] only reports.

use crate::document::{is_quote, Block, Document, Piece, WrappedLine};

/// First words an English continuation may start with, lower-cased when the model capitalised
/// them (`"…," Said Mr. Kim.` → `"…," said Mr. Kim.`). A closed list, so that names and titles
/// (`Kim`, `Mr.`, `President`) are never lower-cased.
const CONTINUATION_WORDS: &[&str] = &[
    "a", "according", "added", "after", "also", "an", "and", "are", "as", "at", "because",
    "before", "but", "by", "explained", "expressed", "for", "from", "had", "has", "have", "he",
    "her", "his", "in", "is", "it", "its", "of", "on", "or", "said", "says", "she", "so",
    "stated", "that", "the", "their", "then", "these", "they", "this", "those", "to", "told",
    "was", "we", "were", "when", "where", "which", "while", "who", "will", "with", "wrote",
];

/// A translation shorter than this fraction of a source of at least [`SHORT_MIN_SOURCE`]
/// characters is reported.
const SHORT_RATIO: f64 = 0.4;
const SHORT_MIN_SOURCE: usize = 20;
/// A translation longer than this multiple of its source, plus [`LONG_SLACK`] characters, is
/// reported.
const LONG_RATIO: f64 = 2.5;
const LONG_SLACK: usize = 20;
/// A 1- to 4-word sequence repeated this many times in a row is reported as a loop.
const LOOP_REPEATS: usize = 4;

/// Builds the English document from one translation per model input, in the order of
/// [`Document::model_inputs`].
///
/// # Panics
///
/// When `translations.len() != doc.model_inputs().len()`.
pub fn reassemble(doc: &Document, translations: &[String]) -> String {
    assert_eq!(
        translations.len(),
        doc.model_inputs().len(),
        "one translation per model input"
    );
    let mut out = String::new();
    for block in doc.blocks() {
        match block {
            Block::Flow(pieces) => render(doc, translations, pieces, &mut out),
            Block::Wrapped { pieces, lines } => {
                let mut english = String::new();
                render(doc, translations, pieces, &mut english);
                rewrap(&english, lines, &mut out);
            }
        }
    }
    out
}

fn render(doc: &Document, translations: &[String], pieces: &[Piece], out: &mut String) {
    for piece in pieces {
        match *piece {
            Piece::Keep(ref s) => out.push_str(s),
            Piece::Model {
                input,
                upper,
                continuation,
            } => {
                let mut text = clean(&translations[input]);
                if text.is_empty() {
                    // Nothing silently lost: the source is better than a hole.
                    text = doc.model_inputs()[input].clone();
                }
                if continuation {
                    text = lower_first(text);
                }
                if upper {
                    text = text.to_uppercase();
                }
                out.push_str(&text);
            }
        }
    }
}

/// Removes double-quote marks (also as `&quot;`), turns line breaks into spaces and trims.
fn clean(translation: &str) -> String {
    let unquoted: String = translation
        .replace("&quot;", "\"")
        .replace("&#34;", "\"")
        .chars()
        .filter(|&c| !is_quote(c))
        .collect();
    let had_quotes = unquoted.len() != translation.len();
    let mut out = String::with_capacity(unquoted.len());
    let mut rest = unquoted.trim();
    while let Some(start) = rest.find(char::is_whitespace) {
        out.push_str(&rest[..start]);
        let after = rest[start..].trim_start();
        let run = &rest[start..rest.len() - after.len()];
        // Keep the model's own spacing unless it breaks a line or a removed quote doubled it.
        if had_quotes || run.contains(|c: char| c != ' ' && c != '\t') {
            out.push(' ');
        } else {
            out.push_str(run);
        }
        rest = after;
    }
    out.push_str(rest);
    out
}

fn lower_first(text: String) -> String {
    let word: String = text
        .chars()
        .take_while(|c| c.is_alphabetic() || *c == '\'')
        .collect();
    let mut chars = word.chars();
    let capitalised = chars.next().is_some_and(char::is_uppercase) && chars.all(char::is_lowercase);
    if capitalised && CONTINUATION_WORDS.contains(&word.to_lowercase().as_str()) {
        let first = text.chars().next().map_or(0, char::len_utf8);
        format!("{}{}", text[..first].to_lowercase(), &text[first..])
    } else {
        text
    }
}

/// Spreads `english` over the paragraph's lines: line i ends at the whitespace nearest to where
/// line i ends in the source, scaled to the English length, so an unchanged text comes back with
/// its own breaks. With fewer words than lines the last lines stay empty.
fn rewrap(english: &str, lines: &[WrappedLine], out: &mut String) {
    let breakable = |c: char| c.is_whitespace() && !matches!(c, '\u{a0}' | '\u{2007}' | '\u{202f}');
    // Whitespace runs: (byte start, byte end, char position).
    let mut runs = Vec::new();
    let mut chars = 0;
    let mut iter = english.char_indices().peekable();
    while let Some((i, c)) = iter.next() {
        if breakable(c) {
            let start_chars = chars;
            let mut end = i + c.len_utf8();
            chars += 1;
            while let Some(&(j, d)) = iter.peek().filter(|&&(_, d)| breakable(d)) {
                end = j + d.len_utf8();
                chars += 1;
                iter.next();
            }
            runs.push((i, end, start_chars));
        } else {
            chars += 1;
        }
    }
    let total_chars = chars;
    let source_total: usize = lines.iter().map(|l| l.chars).sum::<usize>() + lines.len() - 1;
    let mut breaks = Vec::new();
    let mut next = 0;
    let mut source_end = 0;
    for (i, line) in lines[..lines.len() - 1].iter().enumerate() {
        source_end += line.chars + usize::from(i > 0);
        if next >= runs.len() {
            break;
        }
        let target = (source_end * total_chars + source_total / 2) / source_total.max(1);
        // Leave one run for every later break where there are enough.
        let later = lines.len() - 2 - i;
        let last = (runs.len() - 1).saturating_sub(later).max(next);
        let k = (next..=last)
            .min_by_key(|&k| runs[k].2.abs_diff(target))
            .unwrap_or(next);
        breaks.push(k);
        next = k + 1;
    }
    let mut start = 0;
    for (i, line) in lines.iter().enumerate() {
        out.push_str(&line.head);
        match breaks.get(i) {
            Some(&k) => {
                out.push_str(&english[start..runs[k].0]);
                start = runs[k].1;
            }
            None => {
                out.push_str(&english[start..]);
                start = english.len();
            }
        }
        out.push_str(&line.tail);
    }
}

/// A warning when `translation` of `source` looks wrong, `None` when it looks fine:
/// - empty or whitespace-only;
/// - shorter than 0.4 × the source, for sources of at least 20 characters (a dropped clause;
///   English from Indonesian is usually 0.8–1.1 × as long);
/// - longer than 2.5 × the source plus 20 characters (hallucinated text);
/// - a sequence of 1 to 4 words repeated 4 or more times in a row, case and punctuation
///   ignored (a decoding loop), unless the source repeats itself that way too.
pub fn check_translation(source: &str, translation: &str) -> Option<String> {
    let t = translation.trim();
    if t.is_empty() {
        return Some("empty translation".to_owned());
    }
    let s_len = source.trim().chars().count();
    let t_len = t.chars().count();
    if s_len >= SHORT_MIN_SOURCE && (t_len as f64) < SHORT_RATIO * s_len as f64 {
        return Some(format!(
            "translation much shorter than source ({t_len} vs {s_len} characters)"
        ));
    }
    if t_len as f64 > LONG_RATIO * s_len as f64 + LONG_SLACK as f64 {
        return Some(format!(
            "translation much longer than source ({t_len} vs {s_len} characters)"
        ));
    }
    match (repeated_ngram(t), repeated_ngram(source)) {
        (Some((gram, times)), None) => Some(format!(
            "translation repeats \"{gram}\" {times} times in a row"
        )),
        _ => None,
    }
}

/// The first 1- to 4-word sequence repeated at least [`LOOP_REPEATS`] times in a row.
fn repeated_ngram(text: &str) -> Option<(String, usize)> {
    let words: Vec<String> = text
        .split_whitespace()
        .map(|w| w.trim_matches(|c: char| !c.is_alphanumeric()).to_lowercase())
        .filter(|w| !w.is_empty())
        .collect();
    for n in 1..=4 {
        for (i, gram) in words.windows(n).enumerate() {
            let mut times = 1;
            while words.get(i + times * n..i + (times + 1) * n) == Some(gram) {
                times += 1;
            }
            if times >= LOOP_REPEATS {
                return Some((gram.join(" "), times));
            }
        }
    }
    None
}
