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

use super::alignment::{words, WordAlignment};
use super::document::{Block, Document, Piece, WrappedLine};
use super::inline;
use super::markdown::{md_opens_block, md_paragraph_line};
use super::spans::{is_line_break, is_quote, QUOTE_ENTITIES};

/// First words an English continuation may start with, lower-cased when the model capitalised
/// them (`"…," Said Mr. Kim.` → `"…," said Mr. Kim.`). A closed list, so that names and titles
/// (`Kim`, `Mr.`, `President`) are never lower-cased.
const CONTINUATION_WORDS: &str = "\
    a according added after also an and are as at because before but by explained expressed \
    for from had has have he her his in is it its of on or said says she so stated that the \
    their then these they this those to told was we were when where which while who will with \
    wrote";

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
///
/// Inline markup is written back with each input's words aligned in order
/// ([`WordAlignment::monotone`]); [`reassemble_aligned`] takes the model's alignments.
pub fn reassemble(doc: &Document, translations: &[String]) -> String {
    assemble(doc, translations, None)
}

/// [`reassemble`] with each translation's word alignment to its model input, by which the
/// inline markup of [`Document::needs_alignment`] documents is written back.
///
/// # Panics
///
/// When `translations.len() != doc.model_inputs().len()`.
pub fn reassemble_aligned(doc: &Document, translations: &[(String, WordAlignment)]) -> String {
    let (texts, alignments): (Vec<String>, Vec<WordAlignment>) =
        translations.iter().cloned().unzip();
    assemble(doc, &texts, Some(&alignments))
}

fn assemble(
    doc: &Document,
    translations: &[String],
    alignments: Option<&[WordAlignment]>,
) -> String {
    assert_eq!(
        translations.len(),
        doc.model_inputs().len(),
        "one translation per model input"
    );
    let mut out = String::new();
    for block in doc.blocks() {
        match block {
            Block::Flow(pieces) => render(doc, translations, alignments, pieces, &mut out),
            Block::Wrapped {
                pieces,
                lines,
                markdown,
            } => {
                let mut english = String::new();
                render(doc, translations, alignments, pieces, &mut english);
                rewrap(&english, lines, *markdown, &mut out);
            }
        }
    }
    out
}

/// Where each model input's English went in a reassembled text: `(input, byte range)`, in order.
pub type Trace = Vec<(usize, std::ops::Range<usize>)>;

/// [`reassemble`] for a document of one paragraph with no line breaks (no hard-wrapped block),
/// with where each model input's English went (inputs of a [`Piece::Unit`] go untraced: the
/// unit's English is its own).
/// `None` for a document that has a hard-wrapped paragraph, whose English is spread over lines.
pub fn reassemble_traced(doc: &Document, translations: &[String]) -> Option<(String, Trace)> {
    assert_eq!(
        translations.len(),
        doc.model_inputs().len(),
        "one translation per model input"
    );
    let mut out = String::new();
    let mut trace = Vec::new();
    for block in doc.blocks() {
        match block {
            Block::Flow(pieces) => {
                render_traced(doc, translations, None, pieces, &mut out, &mut trace)
            }
            Block::Wrapped { .. } => return None,
        }
    }
    Some((out, trace))
}

fn render(
    doc: &Document,
    translations: &[String],
    alignments: Option<&[WordAlignment]>,
    pieces: &[Piece],
    out: &mut String,
) {
    render_traced(doc, translations, alignments, pieces, out, &mut Vec::new());
}

fn render_traced(
    doc: &Document,
    translations: &[String],
    alignments: Option<&[WordAlignment]>,
    pieces: &[Piece],
    out: &mut String,
    trace: &mut Trace,
) {
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
                    text = upper_case(&text);
                }
                trace.push((input, out.len()..out.len() + text.len()));
                out.push_str(&text);
            }
            Piece::Unit {
                ref unit,
                doc: ref own,
                first,
            } => {
                let aligned: Vec<(String, WordAlignment)> = (first
                    ..first + own.model_inputs().len())
                    .map(|i| {
                        let english = translations[i].clone();
                        let alignment = match alignments {
                            Some(a) => a[i].clone(),
                            None => WordAlignment::monotone(
                                words(&doc.model_inputs()[i]).len(),
                                words(&english).len(),
                            ),
                        };
                        (english, alignment)
                    })
                    .collect();
                out.push_str(&inline::render(unit, own, &aligned));
            }
        }
    }
}

/// Upper-cases the lower-case letters of `text` and leaves every other character, so that an
/// ALL-CAPS source's title-case letters (`ǅ`) and the capitals it sent as they were come back
/// unchanged.
fn upper_case(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_lowercase() {
            out.extend(c.to_uppercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// Removes double-quote marks (also as `&quot;`), turns line breaks into spaces and trims.
fn clean(translation: &str) -> String {
    let chars: Vec<char> = QUOTE_ENTITIES
        .iter()
        .fold(translation.to_owned(), |t, e| t.replace(e, "\""))
        .chars()
        .collect();
    let mut unquoted = String::with_capacity(translation.len());
    let mut had_quotes = false;
    for (k, &c) in chars.iter().enumerate() {
        if !is_quote(c) {
            unquoted.push(c);
            continue;
        }
        had_quotes = true;
        // `said"yes"` must not become `saidyes`.
        let between_words = k > 0
            && chars[k - 1].is_alphanumeric()
            && chars.get(k + 1).is_some_and(|n| n.is_alphanumeric());
        if between_words {
            unquoted.push(' ');
        }
    }
    let mut out = String::with_capacity(unquoted.len());
    let mut rest = unquoted.trim();
    while let Some(start) = rest.find(char::is_whitespace) {
        out.push_str(&rest[..start]);
        let after = rest[start..].trim_start();
        let run = &rest[start..rest.len() - after.len()];
        // Keep the model's own spacing unless it breaks a line or a removed quote doubled it.
        if had_quotes || run.contains(is_line_break) {
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
    if capitalised
        && CONTINUATION_WORDS
            .split_whitespace()
            .any(|w| w == word.to_lowercase())
    {
        let first = text.chars().next().map_or(0, char::len_utf8);
        format!("{}{}", text[..first].to_lowercase(), &text[first..])
    } else {
        text
    }
}

/// Spreads `english` over the paragraph's lines: line i ends at the whitespace nearest to where
/// line i ends in the source, scaled to the English length, so an unchanged text comes back with
/// its own breaks. With fewer words than lines the last lines stay empty. Quote marks move with
/// the words around them, so quote counts match the source per paragraph here, not per line.
/// In `markdown`, breaks are chosen so that every line reads as a plain paragraph line
/// ([`md_paragraph_line`]: no list, quote or heading marker, fence or HTML block opens on it, and
/// it is no underline, thematic break or table row), and failing that so that at least no block
/// opens on the next line; other breaks are taken only where none of those fits.
fn rewrap(english: &str, lines: &[WrappedLine], markdown: bool, out: &mut String) {
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
    let mut line_start = 0;
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
        let opens_none = |k: usize| !md_opens_block(&english[runs[k].1..]);
        let plain = |k: usize| {
            opens_none(k)
                && md_paragraph_line(&english[line_start..runs[k].0])
                && (later > 0 || md_paragraph_line(&english[runs[k].1..]))
        };
        let nearest = |fits: &dyn Fn(usize) -> bool| {
            (next..=last)
                .filter(|&k| fits(k))
                .min_by_key(|&k| runs[k].2.abs_diff(target))
        };
        let k = markdown
            .then(|| nearest(&plain).or_else(|| nearest(&opens_none)))
            .flatten()
            .or_else(|| nearest(&|_| true))
            .unwrap_or(next);
        breaks.push(k);
        next = k + 1;
        line_start = runs[k].1;
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
pub fn check_translation(source: &str, translation: &str) -> Option<Warning> {
    let t = translation.trim();
    if t.is_empty() {
        return Some(Warning::Empty);
    }
    let (s_len, t_len) = (source.trim().chars().count(), t.chars().count());
    if s_len >= SHORT_MIN_SOURCE && (t_len as f64) < SHORT_RATIO * s_len as f64 {
        return Some(Warning::Short {
            translation: t_len,
            source: s_len,
        });
    }
    if t_len as f64 > LONG_RATIO * s_len as f64 + LONG_SLACK as f64 {
        return Some(Warning::Long {
            translation: t_len,
            source: s_len,
        });
    }
    match (repeated_ngram(t), repeated_ngram(source)) {
        (Some((gram, times)), None) => Some(Warning::Loop { gram, times }),
        _ => None,
    }
}

/// A translation that looks wrong (see [`check_translation`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Warning {
    Empty,
    /// Lengths in characters.
    Short {
        translation: usize,
        source: usize,
    },
    Long {
        translation: usize,
        source: usize,
    },
    /// `gram` repeated `times` times in a row.
    Loop {
        gram: String,
        times: usize,
    },
}

impl Warning {
    /// The model ran on past the source: a decoding loop or hallucinated text, which a search
    /// with repetition blocked may avoid.
    pub fn runs_on(&self) -> bool {
        matches!(self, Warning::Long { .. } | Warning::Loop { .. })
    }
}

impl std::fmt::Display for Warning {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        match self {
            Warning::Empty => write!(f, "empty translation"),
            Warning::Short {
                translation,
                source,
            } => write!(
                f,
                "translation much shorter than source ({translation} vs {source} characters)"
            ),
            Warning::Long {
                translation,
                source,
            } => write!(
                f,
                "translation much longer than source ({translation} vs {source} characters)"
            ),
            Warning::Loop { gram, times } => {
                write!(f, "translation repeats \"{gram}\" {times} times in a row")
            }
        }
    }
}

/// The first 1- to 4-word sequence repeated at least [`LOOP_REPEATS`] times in a row.
fn repeated_ngram(text: &str) -> Option<(String, usize)> {
    let words: Vec<String> = text
        .split_whitespace()
        .map(|w| {
            w.trim_matches(|c: char| !c.is_alphanumeric())
                .to_lowercase()
        })
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::document::DocumentOptions;

    const KCNA: &str = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/news-kcna.id.txt"
    ));

    fn no_labels() -> DocumentOptions {
        DocumentOptions {
            translate_labels: false,
            ..DocumentOptions::default()
        }
    }

    /// Translates with each model input as its own translation.
    fn identity(text: &str, opts: &DocumentOptions) -> String {
        let doc = Document::parse(text, opts);
        reassemble(&doc, doc.model_inputs())
    }

    /// Translates each input by phrase replacement, so the result does not depend on where the
    /// segmenter cuts.
    fn translate(text: &str, phrases: &[(&str, &str)]) -> String {
        let doc = Document::parse(text, &DocumentOptions::default());
        let translations: Vec<String> = doc
            .model_inputs()
            .iter()
            .map(|s| {
                phrases
                    .iter()
                    .fold(s.clone(), |s, (id, en)| s.replace(id, en))
            })
            .collect();
        reassemble(&doc, &translations)
    }

    fn quote_counts(line: &str) -> Vec<(char, usize)> {
        let mut counts: Vec<(char, usize)> = Vec::new();
        for c in line.chars().filter(|&c| is_quote(c)) {
            match counts.iter_mut().find(|(q, _)| *q == c) {
                Some((_, n)) => *n += 1,
                None => counts.push((c, 1)),
            }
        }
        counts.sort();
        counts
    }

    #[test]
    fn identity_round_trips_byte_for_byte() {
        let indented =
            "  Kim tiba di Moskwa.\n\n\n\t\"Kami siap,\" ujar dia.  \n    \n   Putin menyambut.";
        let texts = [
            KCNA.to_owned(),
            KCNA.replace('\n', "\r\n"),
            format!("{KCNA}\n"),
            format!("\n\n{KCNA}\n\n\n"),
            format!("\u{feff}{KCNA}"),
            indented.to_owned(),
            indented.replace('\n', "\r\n"),
            "KIM JONG UN KUNJUNGI RUSIA\r\n\r\nJAKARTA, KOMPAS.com — Presiden tiba.".to_owned(),
            "Penulis: Budi | Editor: Ani\nKim di Pyongyang. (Foto: Dok. Pribadi)\nFOTO: PBSI"
                .to_owned(),
            "Lihat https://x.id, atau tulis ke a@b.id.\n#Pemilu2024 @kompascom\n***".to_owned(),
            String::new(),
            "\n".to_owned(),
            " ".to_owned(),
        ];
        for text in &texts {
            assert_eq!(&identity(text, &no_labels()), text);
        }
    }

    #[test]
    fn identity_round_trips_wrapped_and_split_text() {
        let wrapped = concat!(
            "  Presiden Rusia Vladimir Putin dan pemimpin Korea Utara Kim\n",
            "Jong Un berjalan-jalan di taman Wisma Kumsusan di Pyongyang, \r\n",
            "\tKorea Utara, pada Juni 2024 dan membahas kerja sama yang erat\n",
            "antara kedua negara.\n",
        );
        let doc = Document::parse(wrapped, &no_labels());
        assert!(matches!(doc.blocks(), [Block::Wrapped { .. }]));
        assert_eq!(identity(wrapped, &no_labels()), wrapped);
        let long = format!(
            "{}.",
            vec!["warga menerima bantuan dari pemerintah daerah"; 30].join(", ")
        );
        let opts = DocumentOptions {
            max_input_chars: 100,
            ..no_labels()
        };
        assert_eq!(identity(&long, &opts), long);
    }

    #[test]
    fn quotation_keeps_its_marks_and_attribution_goes_outside() {
        let phrases = [
            ("Kami siap", "We are ready"),
            ("Kami kuat", "We are strong"),
            ("ujar Bapak Kim", "Said Mr. Kim"),
            ("kata dia", "He said"),
        ];
        let cases = [
            (
                "\"Kami siap. Kami kuat,\" ujar Bapak Kim.",
                "\"We are ready. We are strong,\" said Mr. Kim.",
            ),
            (
                "\u{201c}Kami siap,\u{201d} kata dia.",
                "\u{201c}We are ready,\u{201d} he said.",
            ),
            (
                "\u{ab}Kami siap\u{bb}, kata dia.",
                "\u{ab}We are ready\u{bb}, he said.",
            ),
        ];
        for (source, expected) in cases {
            assert_eq!(translate(source, &phrases), expected);
        }
        let source = "Surat tersebut \"menyatakan keyakinan bahwa kerja sama akan meluas.\"";
        let phrases = [
            ("Surat tersebut", "The letter"),
            (
                "menyatakan keyakinan bahwa kerja sama akan meluas.",
                "Expressed confidence that cooperation will expand.",
            ),
        ];
        assert_eq!(
            translate(source, &phrases),
            "The letter \"expressed confidence that cooperation will expand.\""
        );
    }

    #[test]
    fn quote_counts_per_line_survive_adversarial_models() {
        let extra = "\n\u{201c}Kami siap,\u{201d} kata dia. \u{ab}Ya\u{bb}.\nDia berkata \"tidak lalu pergi.\n\u{201e}Tak\u{201c} ujar Kim.";
        let source = format!("{KCNA}{extra}");
        let doc = Document::parse(&source, &DocumentOptions::default());
        let noises: [fn(&str) -> String; 6] = [
            |s| format!("\"{s}\""),
            |s| format!("\u{201c}{s}"),
            |s| format!("{s} \u{bb}\u{bb} \""),
            |s| format!("&quot;{s}&quot;"),
            |_| "\"".to_owned(),
            |_| String::new(),
        ];
        for noise in noises {
            let translations: Vec<String> = doc.model_inputs().iter().map(|s| noise(s)).collect();
            let out = reassemble(&doc, &translations);
            let (src_lines, out_lines): (Vec<_>, Vec<_>) =
                (source.lines().collect(), out.lines().collect());
            assert_eq!(src_lines.len(), out_lines.len());
            for (s, o) in src_lines.iter().zip(&out_lines) {
                assert_eq!(quote_counts(s), quote_counts(o), "{s:?} -> {o:?}");
            }
        }
    }

    #[test]
    fn kcna_comes_out_line_for_line() {
        let doc = Document::parse(KCNA, &DocumentOptions::default());
        let translations: Vec<String> = (0..doc.model_inputs().len())
            .map(|i| format!("T{i}."))
            .collect();
        let out = reassemble(&doc, &translations);
        let lines: Vec<&str> = out.split('\n').collect();
        assert_eq!(lines.len(), KCNA.split('\n').count());
        assert_eq!(lines[0], "\"T0. T1.\" T2.");
        assert_eq!(lines[1], "T3. Photo: KCNA");
        assert_eq!(lines[4], "T8. \"T9.\"");
        assert_eq!(lines[9], "[iklan_2]");
        assert!(lines[10].starts_with("Source: https://www.congluan.vn/"));
        assert!(lines[11..17].iter().all(|l| l.is_empty()));
        assert_eq!(lines[17], "Comments (0)");
        assert!(!out.ends_with('\n'));
    }

    #[test]
    fn labels_and_credits_are_translated_by_table() {
        let cases = [
            (
                "Kim di Pyongyang pada Juni 2024. Foto: KCNA",
                "T. Photo: KCNA",
            ),
            (
                "Dia berpidato. (Foto: Dok. Pribadi)",
                "T. (Photo: Dok. Pribadi)",
            ),
            ("Tim berlatih. FOTO: PBSI", "T. PHOTO: PBSI"),
            ("Ilustrasi: Tim Grafis", "Illustration: Tim Grafis"),
            (
                "Antrean di Merak. Foto: ANTARA/Budi",
                "T. Photo: ANTARA/Budi",
            ),
            ("Sumber: https://x.id/a", "Source: https://x.id/a"),
            ("SUMBER: Antara", "SOURCE: Antara"),
            ("Penulis: Budi | Editor: Ani", "Writer: Budi | Editor: Ani"),
            ("Pewarta: Ani", "Reporter: Ani"),
            ("Baca juga: Kim tiba di Moskwa", "Read also: T."),
            ("Baca Juga: https://x.id/b", "Read Also: https://x.id/b"),
            ("Komentar (0)", "Comments (0)"),
            ("JAKARTA (ANTARA) - Kim tiba.", "JAKARTA (ANTARA) - T."),
        ];
        for (source, expected) in cases {
            let doc = Document::parse(source, &DocumentOptions::default());
            let translations = vec!["T.".to_owned(); doc.model_inputs().len()];
            assert_eq!(reassemble(&doc, &translations), expected, "{source:?}");
        }
    }

    #[test]
    fn urls_and_addresses_stay_byte_for_byte_inside_sentences() {
        let source = "Informasi di  https://x.id/a?b=1 atau\thumas@x.go.id.";
        let doc = Document::parse(source, &DocumentOptions::default());
        assert_eq!(doc.model_inputs(), ["Informasi di", "atau"]);
        let out = reassemble(&doc, &["Information at".to_owned(), "or".to_owned()]);
        assert_eq!(out, "Information at  https://x.id/a?b=1 or\thumas@x.go.id.");
    }

    #[test]
    fn all_caps_comes_back_in_capitals() {
        let out = translate(
            "KIM JONG UN KUNJUNGI RUSIA\n",
            &[("Kim jong un kunjungi rusia", "Kim Jong Un visits Russia")],
        );
        assert_eq!(out, "KIM JONG UN VISITS RUSSIA\n");
    }

    #[test]
    fn wrapped_paragraph_is_rewrapped_over_its_lines() {
        let source = concat!(
            "  Presiden Rusia Vladimir Putin dan pemimpin Korea Utara Kim\n",
            "Jong Un berjalan-jalan di taman Wisma Kumsusan di Pyongyang,\r\n",
            "Korea Utara, pada Juni 2024.\n",
            "Baris lain.",
        );
        let english = "Russian President Vladimir Putin and North Korean leader Kim Jong Un walk in the garden of the Kumsusan Guesthouse in Pyongyang, North Korea, in June 2024.";
        let doc = Document::parse(source, &DocumentOptions::default());
        assert_eq!(doc.model_inputs().len(), 2);
        let out = reassemble(&doc, &[english.to_owned(), "Another line.".to_owned()]);
        let lines: Vec<&str> = out.split('\n').collect();
        assert_eq!(lines.len(), 4);
        assert!(lines[0].starts_with("  Russian"), "{lines:?}");
        assert!(lines[1].ends_with('\r') && !lines[1].starts_with(' '));
        assert_eq!(lines[3], "Another line.");
        let rejoined = lines[..3]
            .iter()
            .map(|l| l.trim())
            .collect::<Vec<_>>()
            .join(" ");
        assert_eq!(rejoined, english);
        let longest = lines[..3].iter().map(|l| l.trim().len()).max().unwrap_or(0);
        assert!(longest < english.len() / 2, "{lines:?}");
    }

    #[test]
    fn rewrap_with_fewer_words_than_lines_keeps_every_line() {
        let source = "Presiden Rusia Vladimir Putin dan pemimpin Korea Utara Kim\nJong Un berjalan-jalan di taman Wisma Kumsusan di Pyongyang,\nKorea Utara.\n";
        let doc = Document::parse(source, &DocumentOptions::default());
        assert_eq!(doc.model_inputs().len(), 1);
        let out = reassemble(&doc, &["Walks.".to_owned()]);
        assert_eq!(out, "Walks.\n\n\n");
    }

    #[test]
    fn model_outputs_are_cleaned() {
        let doc = Document::parse("Kim tiba.\nPutin menyambut.\n", &DocumentOptions::default());
        let out = reassemble(&doc, &["Kim\narrived.\n".to_owned(), "  ".to_owned()]);
        assert_eq!(out, "Kim arrived.\nPutin menyambut.\n");
        assert_eq!(clean("He said \"yes\" to  it"), "He said yes to it");
        assert_eq!(
            clean("&quot;He said\u{201c}yes\u{201d}&quot;"),
            "He said yes"
        );
        assert_eq!(clean("Two  spaces\tkept"), "Two  spaces\tkept");
        assert_eq!(clean("No\u{a0}break"), "No\u{a0}break");
        assert_eq!(clean("A\u{2028}break"), "A break");
    }

    /// Shrunk inputs of `identity_translation_reproduces_the_source`: a non-breaking space, a
    /// lone CR, a line separator, a quote entity and capitals whose lower case is not one letter.
    #[test]
    fn identity_round_trips_odd_characters() {
        for text in [
            "PresidenPresiden\u{a0}Presiden",
            "Presiden\rPresiden",
            "Satu\u{2028}Dua",
            "&#34;Presiden",
            "PYONGYANG – İSTANBUL",
            "KUNJUNGI İSTANBUL DAN ǅ",
        ] {
            assert_eq!(identity(text, &no_labels()), text, "{text:?}");
        }
    }

    #[test]
    fn continuations_are_lower_cased_only_for_common_words() {
        assert_eq!(lower_first("Said Mr. Kim.".to_owned()), "said Mr. Kim.");
        assert_eq!(lower_first("Mr. Kim said.".to_owned()), "Mr. Kim said.");
        assert_eq!(lower_first("Kim said.".to_owned()), "Kim said.");
        assert_eq!(lower_first("I said.".to_owned()), "I said.");
        assert_eq!(lower_first("THE END".to_owned()), "THE END");
    }

    #[test]
    #[should_panic(expected = "one translation per model input")]
    fn wrong_number_of_translations_panics() {
        let doc = Document::parse("Kim tiba.", &DocumentOptions::default());
        reassemble(&doc, &[]);
    }

    #[test]
    fn check_translation_flags_suspicious_outputs() {
        let source = "Presiden Rusia Vladimir Putin tiba di Pyongyang pada Juni 2024.";
        assert_eq!(
            check_translation(
                source,
                "Russian President Vladimir Putin arrived in Pyongyang in June 2024."
            ),
            None
        );
        assert_eq!(check_translation("Ya.", "Yes."), None);
        assert!(check_translation(source, " \n").is_some());
        assert!(check_translation(source, "Putin.").is_some());
        assert!(check_translation(
            "Ya.",
            "Yes, and then the president went to the market to buy rice."
        )
        .is_some());
        let looped = "Putin arrived in the the the the city.";
        assert_eq!(
            check_translation(source, looped).unwrap().to_string(),
            "translation repeats \"the\" 4 times in a row"
        );
        let looped = "Putin said that, in June, in June, in June, in June.";
        assert!(check_translation(source, looped).is_some());
        assert_eq!(check_translation("ha ha ha ha ha", "ha ha ha ha ha"), None);
    }

    const BERITA: &str = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/md/berita.md"
    ));

    fn markdown() -> DocumentOptions {
        DocumentOptions {
            markdown: true,
            translate_labels: false,
            ..DocumentOptions::default()
        }
    }

    fn upper(text: &str, opts: &DocumentOptions) -> String {
        let doc = Document::parse(text, opts);
        let translations: Vec<String> = doc
            .model_inputs()
            .iter()
            .map(|s| s.to_uppercase())
            .collect();
        reassemble(&doc, &translations)
    }

    #[test]
    fn markdown_identity_round_trips_byte_for_byte() {
        let no_unwrap = DocumentOptions {
            unwrap_paragraphs: false,
            ..markdown()
        };
        let texts = [
            BERITA.to_owned(),
            BERITA.replace('\n', "\r\n"),
            format!("\u{feff}{BERITA}"),
            BERITA.trim_end().to_owned(),
            "```\nkode tanpa penutup".to_owned(),
            "# Judul #\n\n> > - [x] **Tebal** dan `kode`  \n|a|b|\n|-|-|".to_owned(),
            "<!-- komentar -->\n\n    kode\n\nTeks [tautan](<a b.html>) &copy; \\_x\\_".to_owned(),
            include_str!(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/tests/data/docs/nested/skip.md"
            ))
            .to_owned(),
            include_str!(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/tests/data/docs/crlf.txt"
            ))
            .to_owned(),
        ];
        for text in &texts {
            for opts in [markdown(), no_unwrap.clone()] {
                assert_eq!(&identity(text, &opts), text);
                let doc = Document::parse(text, &opts);
                let own: Vec<(String, WordAlignment)> = doc
                    .model_inputs()
                    .iter()
                    .map(|i| (i.clone(), WordAlignment::identity(words(i).len())))
                    .collect();
                assert_eq!(&reassemble_aligned(&doc, &own), text);
            }
        }
    }

    #[test]
    fn markdown_translates_prose_and_keeps_syntax() {
        let out = upper(BERITA, &markdown());
        let lines: Vec<&str> = out.split('\n').collect();
        assert_eq!(lines.len(), BERITA.split('\n').count());
        let source: Vec<&str> = BERITA.split('\n').collect();
        for (i, expected) in [
            (0, "---"),
            (1, "title: \"Pemerintah Resmikan Jalan Tol Baru di Jawa Tengah\""),
            (6, "# PEMERINTAH RESMIKAN JALAN TOL BARU DI JAWA TENGAH"),
            // A byline: `Oleh` is a label, and the name after it is kept.
            (8, "*Oleh Budi Santoso* | 12 AGUSTUS 2024"),
            (10, "![PRESIDEN MERESMIKAN JALAN TOL DI SEMARANG](https://cdn.example.id/img/tol.jpg \"Peresmian jalan tol\")"),
            (16, "## LATAR BELAKANG"),
            (18, "PEMBANGUNAN JALAN TOL DIMULAI PADA 2021 DAN MENELAN BIAYA SEKITAR **RP 12 TRILIUN**."),
            (23, "> \"KAMI BANGGA JALAN TOL INI SELESAI TEPAT WAKTU,\" UJAR MENTERI PUPR."),
            (24, ">"),
            (25, "> > WARGA MENYAMBUT BAIK PERESMIAN TERSEBUT."),
            (30, "- JUMLAH GERBANG TOL: *ENAM* GERBANG"),
            (31, "  - TARIF AWAL MASIH **GRATIS** SELAMA DUA MINGGU"),
            (33, "2) TAHAP KEDUA MENYUSUL TAHUN DEPAN."),
            (34, "- [x] UJI KELAIKAN SELESAI"),
            (37, "| RUAS | PANJANG | KETERANGAN |"),
            (38, "|:-----|-------:|:----------:|"),
            (40, "| UNGARAN–BAWEN | 12 KM | `dibuka` BERTAHAP |"),
            (42, "SETEXT JUDUL KEDUA"),
            (43, "------------------"),
            (61, "INFORMASI LEBIH LANJUT LIHAT <https://pu.go.id> ATAU KIRIM SUREL KE <humas@pu.go.id>.<br>"),
            (62, "BACA JUGA LAPORAN [SEBELUMNYA][lama] DAN [Kompas].  "),
            (63, "PENGGUNAAN `kode_rahasia` DAN \\*BINTANG\\* TETAP UTUH &amp; AMAN."),
            (67, "Foto: ANTARA/Budi"),
            (69, "[lama]: https://example.id/berita/lama \"Berita lama\""),
        ] {
            assert_eq!(lines[i], expected, "line {i}");
        }
        // Front matter, code and HTML blocks come out as they went in.
        for i in (0..5).chain(47..60) {
            assert_eq!(lines[i], source[i], "line {i}");
        }
        let link =
            "MENURUT [KEMENTERIAN PUPR](https://pu.go.id/berita \"Situs resmi\"), PROYEK INI";
        assert!(out.contains(link), "{out}");
        assert!(out.contains("~~TERTUNDA~~ TERHAMBAT"), "{out}");
    }

    #[test]
    fn markdown_rewrap_avoids_starting_lines_with_block_syntax() {
        let text = "Presiden meresmikan jalan tol sepanjang empat puluh lima\nkilometer di Semarang pada hari Senin pagi kemarin.\n";
        let doc = Document::parse(text, &markdown());
        assert_eq!(doc.model_inputs().len(), 1);
        let words: Vec<&str> = doc.model_inputs()[0].split(' ').collect();
        for marker in [
            "-", "+", "*", ">", "#", "1.", "2)", "```", "<div>", "[id]:", "|", "===", "***",
        ] {
            for at in 1..=words.len() {
                let mut english = words.clone();
                english.insert(at, marker);
                let out = reassemble(&doc, &[english.join(" ")]);
                let lines: Vec<&str> = out.lines().collect();
                assert_eq!(lines.len(), 2, "{out:?}");
                assert!(!md_opens_block(lines[1]), "{out:?}");
                // A pipe makes a table row of whichever line it is on.
                if marker != "|" {
                    assert!(lines.iter().all(|l| md_paragraph_line(l)), "{out:?}");
                }
            }
        }
        assert!(md_opens_block("- a") && md_opens_block("12. a") && md_opens_block("## a"));
        for plain in ["-1 derajat", "2024 dan", "#tag", "=== kata", "--- kata"] {
            assert!(md_paragraph_line(plain), "{plain}");
        }
        for block in ["===", "---", "* * *", "a | b", "kata\\"] {
            assert!(!md_paragraph_line(block), "{block}");
        }
    }

    /// The source's own breaks are always plain lines, so identity keeps them, even before a
    /// word such as `===` that would be an underline on a line by itself.
    #[test]
    fn markdown_rewrap_keeps_the_source_breaks() {
        let text = "presiden korea presiden presiden presiden\npertahanan rusia rusia Rp Rp #Pemilu2024\n=== presiden.\n";
        let doc = Document::parse(text, &markdown());
        assert!(matches!(doc.blocks(), [Block::Wrapped { .. }]));
        assert_eq!(reassemble(&doc, doc.model_inputs()), text);
    }
}
