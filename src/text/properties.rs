//! Properties over generated documents: news-like fragments, Markdown syntax, hard-wrapped
//! paragraphs, arbitrary Unicode and every kind of line break, parsed with every combination of
//! options.

use super::document::{Decision, Document, DocumentOptions};
use super::reassemble::reassemble;
use super::spans::{is_line_break, is_quote};
use proptest::prelude::*;
use proptest::sample::select;

/// Failures are kept as plain `#[test]`s next to their fixes rather than in regression files.
fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 384,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

#[rustfmt::skip]
const FRAGMENTS: &[&str] = &[
    // Prose, sentence marks and quotes.
    "Presiden", "tiba", "di", "Jakarta", "kemarin", "dan", "yang", "ujar", "kata dia",
    "Bapak Kim", "pemerintah", "warga", "ia", "Ia", "iPhone", "e-KTP", ".", "?", "!", "…",
    "...", "?!", ",", ";", ":", " - ", " — ", "\"", "“", "”", "«", "»", "„", "'", "’", "(",
    ")", "[", "]", "{", "}",
    // Abbreviations, initials, list labels, numbers.
    "Bpk.", "Dr.", "S.H.", "dll.", "No.", "Jl.", "a.n.", "B. J. Habibie", "1.", "2)", "2024",
    "12.30 WIB", "Rp 5.000", "1,1 juta", "(25/4)", "(0)",
    // Protected tokens, labels, credits, datelines, capitals.
    "https://x.id/a?b=1", "www.kompas.com", "humas@x.go.id", "[iklan_2]", "{{nama}}",
    "#Pemilu2024", "@kompascom", "Foto: KCNA", "(Foto: Dok. Pribadi)", "(KOMPAS.com/Ani)",
    "Sumber:", "Baca juga:", "Editor: Budi", "Penulis: Budi | Editor: Ani", "Komentar (0)",
    "FOTO: PBSI", "foto:", "JAKARTA, KOMPAS.com — ", "PYONGYANG – ",
    "KIM JONG UN KUNJUNGI RUSIA", "KPK", "İSTANBUL", "ǅ", "ß", "ΣΟΦΙΑ",
    // Markdown.
    "# ", "## ", "###### ", " #", "- ", "* ", "+ ", "1. ", "10) ", "> ", "> > ", "- [ ] ",
    "- [x] ", "```", "```rust", "~~~", "    ", "| ", " |", "|:--|--:|",
    "[tautan](https://x.id)", "![alt](a.jpg \"judul\")", "[teks][id]", "[id]: https://x.id",
    "[^1]", "[^1]: ", "**", "*", "_", "~~", "`kode`", "``", "`", "<div>", "</div>", "<br>",
    "<https://x.id>", "<!--", "-->", "---", "===", "***", "\\", "\\*", "&amp;", "&#34;",
    // Whitespace and line breaks.
    " ", "  ", "\t", "\u{a0}", "\u{2003}", "\n", "\r\n", "\r", "\n\n\n", "\r\n\r\n", "  \n",
    "\\\n",
    // Combining marks, emoji, right-to-left, zero-width and control characters.
    "e\u{301}", "\u{301}", "👍🏽", "🇮🇩", "👨\u{200d}👩\u{200d}👧", "مرحبا بالعالم", "\u{200f}",
    "\u{200e}", "\u{202e}", "\u{200b}", "\u{200d}", "\u{feff}", "\u{1}", "\u{7}", "\u{1b}[0m",
    "\u{7f}", "\u{b}", "\u{c}", "\u{85}", "\u{2028}", "\u{2029}", "\u{ad}", "中文", "한국어",
];

/// Words for hard-wrapped paragraphs.
#[rustfmt::skip]
const WORDS: &[&str] = &[
    "presiden", "rusia", "Vladimir", "Putin", "dan", "pemimpin", "korea", "utara", "Kim",
    "berjalan-jalan", "di", "taman", "wisma", "Pyongyang,", "kerja", "sama", "pertahanan",
    "yang", "semakin", "erat", "antara", "kedua", "negara", "\"kemitraan", "strategis\"",
    "(25/4)", "https://x.id/a", "Rp", "5.000", "e\u{301}", "👍", "#Pemilu2024", "**tebal**",
    "`kode`", "[tautan](https://x.id)", "===", "---", "<x@y.id>", "Foto:", "KCNA", "ujar",
];

/// A run of fragments and arbitrary characters.
fn fragments() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        8 => select(FRAGMENTS).prop_map(str::to_owned),
        1 => "\\PC{0,6}",
        1 => any::<char>().prop_map(String::from),
    ];
    let sep = select(&["", " ", " ", "\n"][..]);
    prop::collection::vec((piece, sep), 0..24).prop_map(|parts| {
        parts.into_iter().fold(String::new(), |mut s, (p, sep)| {
            s.push_str(&p);
            s.push_str(sep);
            s
        })
    })
}

/// A paragraph wrapped greedily at a width the parser joins, ending a sentence.
fn wrapped() -> impl Strategy<Value = String> {
    let lines = (
        prop::collection::vec(select(WORDS), 12..48),
        40usize..=78,
        select(&["", "  ", "\t"][..]),
        select(&["\n", "\r\n", " \n", "\r"][..]),
    );
    lines.prop_map(|(words, width, indent, eol)| {
        let mut lines = vec![indent.to_owned()];
        for word in words {
            let line = lines.last_mut().expect("one line at least");
            if line.trim().is_empty() {
                line.push_str(word);
            } else if line.chars().count() + 1 + word.chars().count() <= width {
                line.push(' ');
                line.push_str(word);
            } else {
                lines.push(word.to_owned());
            }
        }
        lines.join(eol) + "." + eol
    })
}

/// A document: blocks of fragments, wrapped paragraphs and arbitrary strings, each followed
/// by a line break of any kind or none.
fn document() -> impl Strategy<Value = String> {
    let block = prop_oneof![4 => fragments(), 2 => wrapped(), 1 => any::<String>()];
    let eol = select(&["", "\n", "\r\n", "\r", "\n\n", "\r\n\r\n\r\n"][..]);
    prop::collection::vec((block, eol), 0..6)
        .prop_map(|blocks| blocks.into_iter().map(|(b, e)| b + e).collect())
}

fn options() -> impl Strategy<Value = DocumentOptions> {
    let max = prop_oneof![Just(600), 1usize..40];
    let flags = (any::<bool>(), any::<bool>(), any::<bool>(), any::<bool>());
    (max, flags).prop_map(
        |(
            max_input_chars,
            (translate_labels, unwrap_paragraphs, markdown, pass_through_foreign),
        )| {
            DocumentOptions {
                max_input_chars,
                translate_labels,
                unwrap_paragraphs,
                markdown,
                pass_through_foreign,
            }
        },
    )
}

/// Prose in which every letter must reach the model: words, sentence marks, quotes,
/// parentheses and whitespace, without the labels, credits, datelines, bracketed words and
/// time zones that are kept by design.
fn prose() -> impl Strategy<Value = String> {
    #[rustfmt::skip]
    const WORDS: &[&str] = &[
        "presiden", "Presiden", "tiba", "di", "Jakarta", "kemarin", "dan", "ujar", "Bapak",
        "Kim", "ia", "Ia", "iPhone", "e-KTP", "Bpk.", "Dr.", "S.H.", "dll.", "a.n.", "B.", "1.",
        "2)", "2024", "5.000", "é", "Ölçüm", "Σοφία", "жизнь",
    ];
    #[rustfmt::skip]
    const MARKS: &[&str] = &[
        " ", " ", " ", ". ", "? ", "! ", "… ", ", ", "; ", ": ", "-", "\"", "“", "”", "«", "»",
        "'", "(", ")", "\n", "\r\n", "\r", "\n\n", "\t", "\u{a0}",
    ];
    prop::collection::vec((select(WORDS), select(MARKS)), 0..40)
        .prop_map(|parts| parts.into_iter().flat_map(|(w, m)| [w, m]).collect())
}

fn parse(text: &str, opts: &DocumentOptions) -> Document {
    Document::parse(text, opts)
}

/// A word of letters and digits only: inline markup written back by alignment goes around a
/// word's punctuation, so a marker with punctuation at its ends could be cut.
fn marker(k: usize) -> String {
    format!("ꙮ{k}ꙮ")
}

/// Reassembles with a unique marker as the translation of each input.
fn with_markers(doc: &Document) -> String {
    let markers: Vec<String> = (0..doc.model_inputs().len()).map(marker).collect();
    reassemble(doc, &markers)
}

/// The line terminators of `text` in order: LF, CRLF or CR.
fn terminators(text: &str) -> Vec<&str> {
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find(['\n', '\r']) {
        let len = if rest[i..].starts_with("\r\n") { 2 } else { 1 };
        found.push(&rest[i..i + len]);
        rest = &rest[i + len..];
    }
    found
}

/// Whether `word` holds a word of a label's Indonesian (`source`) or English text.
fn label_word(word: &str, source: bool) -> bool {
    #[rustfmt::skip]
    const ID: &[&str] = &[
        "baca", "lihat", "juga", "komentar", "sumber", "foto", "ilustrasi", "grafis", "video",
        "editor", "penyunting", "penulis", "pewarta", "reporter", "kontributor", "fotografer",
    ];
    #[rustfmt::skip]
    const EN: &[&str] = &[
        "read", "see", "also", "comments", "source", "photo", "illustration", "graphics",
        "video", "editor", "writer", "reporter", "contributor", "photographer",
    ];
    let lower = word.to_lowercase();
    (if source { ID } else { EN })
        .iter()
        .any(|w| lower.contains(w))
}

proptest! {
    #![proptest_config(config())]

    /// Each input as its own translation gives the source back byte for byte; ALL-CAPS
    /// inputs come back in capitals and wrapped paragraphs over their own lines.
    #[test]
    fn identity_translation_reproduces_the_source(text in document(), opts in options()) {
        let opts = DocumentOptions { translate_labels: false, ..opts };
        let doc = parse(&text, &opts);
        prop_assert_eq!(reassemble(&doc, doc.model_inputs()), text);
    }

    /// Translating labels by table changes only label words: the inputs, the line breaks
    /// and every other word stay as with identity translation (a wrapped paragraph's words
    /// may move to a neighbouring line, as the label's length changed).
    #[test]
    fn labels_change_only_label_words(text in document(), opts in options()) {
        let labelled = parse(&text, &DocumentOptions { translate_labels: true, ..opts.clone() });
        let plain = parse(&text, &DocumentOptions { translate_labels: false, ..opts });
        prop_assert_eq!(labelled.model_inputs(), plain.model_inputs());
        let out = reassemble(&labelled, labelled.model_inputs());
        prop_assert_eq!(terminators(&out), terminators(&text));
        let (src, got): (Vec<&str>, Vec<&str>) =
            (text.split_whitespace().collect(), out.split_whitespace().collect());
        prop_assert_eq!(src.len(), got.len(), "{:?}", out);
        for (s, o) in src.iter().zip(&got) {
            prop_assert!(s == o || (label_word(s, true) && label_word(o, false)), "{} → {}", s, o);
        }
    }

    /// A translation unlike its source (a marker) comes out exactly once per input, in
    /// input order, and the output keeps the source's line breaks.
    #[test]
    fn every_translation_comes_out_once_in_order(text in document(), opts in options()) {
        prop_assume!(!text.contains('ꙮ'));
        let doc = parse(&text, &opts);
        let out = with_markers(&doc);
        let mut last = 0;
        for k in 0..doc.model_inputs().len() {
            let m = marker(k);
            prop_assert_eq!(out.matches(&m).count(), 1, "{} in {:?}", m, out);
            let at = out.find(&m).unwrap_or(0);
            prop_assert!(at >= last, "{} out of order in {:?}", m, out);
            last = at;
        }
        prop_assert_eq!(terminators(&out), terminators(&text));
    }

    /// In plain prose, every letter of the source is in some model input or in a sentence
    /// passed through as another language: no sentence is kept untranslated otherwise, or
    /// dropped.
    #[test]
    fn every_letter_of_prose_reaches_the_model(text in prose(), opts in options()) {
        let opts = DocumentOptions { markdown: false, ..opts };
        let doc = parse(&text, &opts);
        let out = with_markers(&doc);
        let rest = (0..doc.model_inputs().len()).fold(out, |o, k| o.replace(&marker(k), ""));
        // The letters left are those of the passed-through segments, in order (a re-wrapped
        // paragraph may have moved the spaces between them).
        let mut passed = String::new();
        for segment in doc.segments() {
            if let Decision::PassedThrough { .. } = segment.decision {
                prop_assert!(opts.pass_through_foreign);
                passed.push_str(&segment.source);
            }
        }
        let letters = |s: &str| s.chars().filter(|c| c.is_alphabetic()).collect::<String>();
        prop_assert_eq!(letters(&rest), letters(&passed), "{:?} kept {:?}", text, rest);
    }

    /// The inputs keep their contract and their size is bounded by the source's: they are
    /// pieces of it, at most re-cased.
    #[test]
    fn inputs_are_trimmed_pieces_of_bounded_size(text in document(), opts in options()) {
        let doc = parse(&text, &opts);
        let inputs = doc.model_inputs();
        for s in inputs {
            prop_assert!(!s.is_empty() && s.trim() == s, "{:?}", s);
            prop_assert!(!s.contains(is_quote), "{:?}", s);
            prop_assert!(!s.contains(is_line_break), "{:?}", s);
            prop_assert!(s.chars().count() <= opts.max_input_chars, "{:?}", s);
        }
        let total: usize = inputs.iter().map(String::len).sum();
        prop_assert!(total <= 2 * text.len(), "{} bytes of inputs from {}", total, text.len());
        prop_assert!(inputs.len() <= text.chars().count());
    }
}
