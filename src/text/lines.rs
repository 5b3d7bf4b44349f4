//! Lines and their kinds: a document cut into lines that keep their indentation and terminator,
//! which lines are prose, labels, list items, table rows or kept as they are, which lines continue a hard-wrapped
//! paragraph, and the casing of ALL-CAPS text (sent in sentence case, upper-cased back).

use super::labels::{dateline_len, is_chrome, is_time_like, match_label_at, trailing_credit};
use super::spans::{is_embed_marker, is_quote, protected_at, trailing_code};

/// Hard-wrapped lines are at most this many characters, indentation included.
const WRAP_MAX_CHARS: usize = 80;

/// Every line of a hard-wrapped paragraph but the last has at least this many characters, so
/// that runs of short lines (titles, lists) are never joined.
const WRAP_MIN_CHARS: usize = 40;

/// The most lines a hard-wrapped paragraph is looked for over (about 8000 characters).
pub(super) const WRAP_MAX_LINES: usize = 100;

/// One source line, cut into three contiguous slices.
#[derive(Clone, Copy)]
pub(super) struct Line<'a> {
    /// Leading whitespace (all of a blank line).
    pub(super) indent: &'a str,
    /// The text between indentation and trailing whitespace.
    pub(super) content: &'a str,
    /// Trailing whitespace and the terminator (`\n`, `\r\n` or nothing).
    pub(super) tail: &'a str,
}

impl Line<'_> {
    fn chars(&self) -> usize {
        self.indent.chars().count() + self.content.chars().count()
    }
}

/// Cuts `text` after each line terminator: LF, CRLF, or a CR alone (old Mac files), so that no
/// line's content holds a line break.
pub(super) fn split_lines(text: &str) -> Vec<Line<'_>> {
    let mut lines = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        let end = rest.find(['\n', '\r']).map_or(rest.len(), |i| {
            i + if rest[i..].starts_with("\r\n") { 2 } else { 1 }
        });
        let (full, after) = rest.split_at(end);
        let body = full.trim_end_matches(['\n', '\r']);
        let content_start = body.len() - body.trim_start().len();
        let content_end = content_start + body[content_start..].trim_end().len();
        lines.push(Line {
            indent: &full[..content_start],
            content: &full[content_start..content_end],
            tail: &full[content_end..],
        });
        rest = after;
    }
    lines
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Blank,
    /// Nothing to translate: no letters, a time, only protected tokens, page chrome, an embed
    /// marker or an editor's code.
    Keep,
    /// Starts with a label.
    Label,
    /// A list item: its marker is kept, the rest translated (see [`list_marker_len`]).
    Item,
    /// A table row: its `|` and tab separators are kept, each cell translated on its own.
    Table,
    Prose,
}

pub(super) fn classify(content: &str) -> Kind {
    if content.is_empty() {
        Kind::Blank
    } else if !content.chars().any(char::is_alphabetic)
        || is_time_like(content)
        || content.split_whitespace().all(|token| {
            !token.chars().any(char::is_alphanumeric)
                || protected_at(token, 0)
                    .is_some_and(|end| !token[end..].chars().any(char::is_alphanumeric))
        })
        || is_chrome(content)
        || is_embed_marker(content)
        || trailing_code(content) == Some(0)
    {
        Kind::Keep
    } else if match_label_at(content, 0).is_some() {
        Kind::Label
    } else if list_marker_len(content).is_some() {
        Kind::Item
    } else if content.contains(TABLE_SEPARATORS) {
        Kind::Table
    } else {
        Kind::Prose
    }
}

/// What separates the cells of a table row in plain text.
pub(super) const TABLE_SEPARATORS: [char; 2] = ['|', '\t'];

/// Whether line `b` may continue the hard-wrapped paragraph that line `a` is in (see
/// [`wrapped_len`]).
pub(super) fn joins_next(a: &Line, b: &Line, b_kind: Kind) -> bool {
    (WRAP_MIN_CHARS..=WRAP_MAX_CHARS).contains(&a.chars())
        && !ends_clause(a.content)
        && !is_title_case(a.content)
        && trailing_credit(a.content).is_none()
        && trailing_code(a.content).is_none()
        && b_kind == Kind::Prose
        && b.chars() <= WRAP_MAX_CHARS
        // A CR alone before a line that may come out empty would read as CRLF.
        && !(a.tail.ends_with('\r') && b.tail.ends_with('\n'))
        && !starts_list_item(b.content)
        && dateline_len(b.content).is_none()
}

/// How many lines from `i` form a hard-wrapped paragraph (1 when none does), given whether each
/// line [`joins_next`] the one before (`joins[k - 1]` for line `k`). Conservative: all lines are
/// prose (the first may be a list item) of at most [`WRAP_MAX_CHARS`]; every line but the last has at least
/// [`WRAP_MIN_CHARS`], is not in title case, does not end a sentence or a clause (`.`, `!`, `?`,
/// `:`, `;`), and ends where a greedy wrap at the paragraph's longest line would have had to
/// break it; the next line does not start a list item or a dateline; the last line does end a
/// sentence or a clause. A paragraph is looked for over at most [`WRAP_MAX_LINES`] lines, so
/// that the work stays linear in the number of lines: only lines that end a clause end a
/// paragraph, and hard-wrapped prose has one far more often than that.
pub(super) fn wrapped_len(lines: &[Line], kinds: &[Kind], joins: &[bool], i: usize) -> usize {
    // A list item may be hard-wrapped too: its marker is kept and what follows is prose.
    if !matches!(kinds[i], Kind::Prose | Kind::Item) {
        return 1;
    }
    let mut end = i + 1;
    while end < lines.len() && end - i < WRAP_MAX_LINES && joins[end - 1] {
        end += 1;
    }
    let width = lines[i..end].iter().map(Line::chars).max().unwrap_or(0);
    let greedy_end = (i..end - 1)
        .find(|&k| {
            let next_word = lines[k + 1]
                .content
                .split_whitespace()
                .next()
                .map_or(0, |w| w.chars().count());
            lines[k].chars() + 1 + next_word <= width
        })
        .map_or(end, |k| k + 1);
    if greedy_end - i >= 2 && ends_clause(lines[greedy_end - 1].content) {
        greedy_end - i
    } else {
        1
    }
}

/// A headline such as `Kim Jong Un Kunjungi Rusia dan Bahas Kerja Sama`: at least three words,
/// all capitalised except short function words.
fn is_title_case(s: &str) -> bool {
    const SMALL: &[&str] = &[
        "dan", "di", "ke", "dari", "yang", "untuk", "dengan", "pada", "atau", "oleh", "dalam",
    ];
    let words: Vec<&str> = s
        .split_whitespace()
        .filter(|w| w.starts_with(char::is_alphabetic))
        .collect();
    words.len() >= 3
        && words
            .iter()
            .all(|w| w.starts_with(char::is_uppercase) || SMALL.contains(w))
}

fn ends_clause(s: &str) -> bool {
    let s = s.trim_end_matches(|c: char| is_quote(c) || matches!(c, ')' | ']' | '\'' | '’'));
    s.ends_with(['.', '!', '?', ':', ';', '…'])
}

fn starts_list_item(s: &str) -> bool {
    let first = s.split_whitespace().next().unwrap_or("");
    let numbered = first.len() > 1
        && first.ends_with(['.', ')'])
        && first[..first.len() - 1].chars().all(|c| c.is_ascii_digit());
    matches!(first, "-" | "*" | "•" | "–" | "—") || numbered
}

/// Byte length of a list item's marker and the spaces after it (`• `, `- `, `1. `), when `s`
/// starts with one and goes on with text.
pub(super) fn list_marker_len(s: &str) -> Option<usize> {
    let first = s.split_whitespace().next()?;
    let rest = s[first.len()..].trim_start();
    (starts_list_item(s) && !rest.is_empty()).then(|| s.len() - rest.len())
}

/// ALL-CAPS text: no lower-case letter, at least two words of two or more letters and at least
/// ten letters, so that a line of acronyms (`KPK, BPK`) is not taken for a headline.
pub(super) fn is_all_caps(s: &str) -> bool {
    let letters = s.chars().filter(|c| c.is_uppercase()).count();
    let words = s
        .split_whitespace()
        .filter(|w| w.chars().filter(|c| c.is_alphabetic()).count() >= 2)
        .count();
    !s.chars().any(char::is_lowercase) && letters >= 10 && words >= 2
}

/// `s` (ALL-CAPS) with every capital after the first letter in lower case. Only capitals that
/// [`recases`] are changed, so that upper-casing the lower-case letters of the result gives `s`
/// back.
pub(super) fn sentence_case(s: &str) -> String {
    let first_end = s
        .char_indices()
        .find(|(_, c)| c.is_alphabetic())
        .map_or(s.len(), |(i, c)| i + c.len_utf8());
    let mut out = String::with_capacity(s.len());
    out.push_str(&s[..first_end]);
    for c in s[first_end..].chars() {
        if c.is_uppercase() && recases(c) {
            out.extend(c.to_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// Whether capital `c` lower-cases to one letter that upper-cases back to `c` alone (`İ`
/// lower-cases to two characters and the Kelvin sign to a plain `k`, so neither does).
fn recases(c: char) -> bool {
    let mut lower = c.to_lowercase();
    match (lower.next(), lower.next()) {
        (Some(l), None) => {
            let mut upper = l.to_uppercase();
            upper.next() == Some(c) && upper.next().is_none()
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::document::{Block, Document, DocumentOptions};
    use crate::text::testing::inputs;

    #[test]
    fn all_caps_is_sent_in_sentence_case() {
        assert_eq!(
            inputs("KIM JONG UN KUNJUNGI RUSIA"),
            ["Kim jong un kunjungi rusia"]
        );
        assert_eq!(inputs("KPK, BPK"), ["KPK, BPK"]);
        assert_eq!(
            inputs("Kim Jong Un kunjungi RUSIA"),
            ["Kim Jong Un kunjungi RUSIA"]
        );
        // Capitals whose lower case would not upper-case back to them stay capitals.
        assert_eq!(
            inputs("KUNJUNGI İSTANBUL DAN ǅ"),
            ["Kunjungi İstanbul dan ǅ"]
        );
    }

    const WRAPPED: &str = "\
Presiden Rusia Vladimir Putin dan pemimpin Korea Utara Kim
Jong Un berjalan-jalan di taman Wisma Kumsusan di Pyongyang.
Keduanya membahas kerja sama pertahanan yang semakin erat
antara kedua negara dan menandatangani sejumlah perjanjian
baru.
";

    #[test]
    fn hard_wrapped_paragraphs_are_joined() {
        assert_eq!(
            inputs(WRAPPED),
            [
                "Presiden Rusia Vladimir Putin dan pemimpin Korea Utara Kim Jong Un berjalan-jalan di taman Wisma Kumsusan di Pyongyang.",
                "Keduanya membahas kerja sama pertahanan yang semakin erat antara kedua negara dan menandatangani sejumlah perjanjian baru.",
            ]
        );
        let opts = DocumentOptions {
            unwrap_paragraphs: false,
            ..DocumentOptions::default()
        };
        assert_eq!(Document::parse(WRAPPED, &opts).model_inputs().len(), 5);
    }

    /// A paragraph of `WRAP_MAX_LINES` lines is joined; lines that never end a clause are not,
    /// and cost linear time, not quadratic (20 000 such lines took 14 minutes).
    #[test]
    fn wrapped_paragraphs_are_looked_for_over_a_window() {
        let line = "presiden presiden presiden presiden presiden";
        let text = vec![line; WRAP_MAX_LINES].join("\n") + ".\n";
        let doc = Document::parse(&text, &DocumentOptions::default());
        assert!(
            matches!(doc.blocks()[..], [Block::Wrapped { ref lines, .. }] if lines.len() == WRAP_MAX_LINES)
        );
        let unended = vec![line; 20_000].join("\n");
        assert_eq!(inputs(&unended).len(), 20_000);
    }

    #[test]
    fn a_lone_cr_joins_no_lf_line() {
        let wrapped = |text: &str| {
            let doc = Document::parse(text, &DocumentOptions::default());
            matches!(doc.blocks()[..], [Block::Wrapped { .. }])
        };
        let line = "presiden presiden presiden presiden presiden";
        assert!(wrapped(&format!("{line}\rpresiden.\r")));
        assert!(wrapped(&format!("{line}\npresiden.\n")));
        assert!(!wrapped(&format!("{line}\rpresiden.\n")));
    }

    #[test]
    fn short_or_finished_lines_are_not_joined() {
        let lists = "Daftar pemenang\nBudi Santoso\nAni Suryani\n";
        assert_eq!(inputs(lists).len(), 3);
        let title = "Kim Jong Un dan Putin Bertemu di Pyongyang Hari Ini\nKedua pemimpin membahas kerja sama pertahanan kedua negara.\n";
        assert_eq!(inputs(title).len(), 2);
        let headline = "Kim Jong Un Kunjungi Rusia, Bahas Kerja Sama Militer dengan Putin\nPertemuan berlangsung di Vladivostok selama dua hari itu.\n";
        assert_eq!(inputs(headline).len(), 2);
        let unfinished = "Presiden Rusia Vladimir Putin dan pemimpin Korea Utara Kim\nJong Un berjalan-jalan di taman Wisma Kumsusan\n";
        assert_eq!(inputs(unfinished).len(), 2);
        let items =
            "Kesepakatan yang dicapai kedua negara dalam pertemuan itu\n- kerja sama pertahanan\n";
        assert_eq!(inputs(items).len(), 2);
    }

    #[test]
    fn hard_wrapped_list_items_are_joined_and_keep_their_marker() {
        let text = "\
• Kesepakatan yang dicapai kedua negara dalam pertemuan itu
  mencakup kerja sama pertahanan.
• Kedua negara juga sepakat.
";
        assert_eq!(
            inputs(text),
            [
                "Kesepakatan yang dicapai kedua negara dalam pertemuan itu mencakup kerja sama pertahanan.",
                "Kedua negara juga sepakat.",
            ]
        );
        let doc = Document::parse(text, &DocumentOptions::default());
        assert_eq!(
            crate::text::reassemble::reassemble(&doc, doc.model_inputs()),
            text
        );
    }

    #[test]
    fn kinds_of_news_page_lines() {
        assert_eq!(classify("ADVERTISEMENT"), Kind::Keep);
        assert_eq!(classify("(nvc/nvc)"), Kind::Keep);
        assert_eq!(classify("[Gambas:Video CNN]"), Kind::Keep);
        assert_eq!(classify("• Sumatera Barat"), Kind::Item);
        assert_eq!(classify("Harga | Jumlah"), Kind::Table);
        assert_eq!(classify("Tahap\tTanggal"), Kind::Table);
        assert_eq!(classify("Penulis: Ani | Editor: Budi"), Kind::Label);
        assert_eq!(list_marker_len("1. Tahap pertama"), Some(3));
        assert_eq!(list_marker_len("•"), None);
    }

    #[test]
    fn list_markers_and_table_separators_are_kept() {
        let cases: &[(&str, &[&str])] = &[
            ("• Kapasitas tampung besar", &["Kapasitas tampung besar"]),
            ("– Warga Sleman mengeluh", &["Warga Sleman mengeluh"]),
            ("1. Tahap pertama", &["Tahap pertama"]),
            ("| Ukuran | Harga |", &["Ukuran", "Harga"]),
            (
                "Tahap\tTanggal mulai\tKeterangan",
                &["Tahap", "Tanggal mulai", "Keterangan"],
            ),
            ("|---|---|", &[]),
        ];
        for (text, expected) in cases {
            assert_eq!(inputs(text), *expected, "{text:?}");
            let doc = Document::parse(text, &DocumentOptions::default());
            let out = crate::text::reassemble::reassemble(&doc, doc.model_inputs());
            assert_eq!(out, *text);
        }
    }

    #[test]
    fn crlf_stays_out_of_inputs() {
        let got = inputs("Kim tiba.\r\nPutin menyambut.\r\n");
        assert_eq!(got, ["Kim tiba.", "Putin menyambut."]);
    }
}
