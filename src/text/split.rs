//! Long inputs: a sentence longer than [`super::document::DocumentOptions::max_input_chars`] is
//! cut at clause boundaries (`; `, `, `, conjunctions, then any space), never truncated, so that
//! no model input runs past what the model translates well.

use std::ops::Range;

/// Conjunctions (space-separated) a long sentence may be split before, after `; ` and `, `.
const CONJUNCTIONS: &str = "dan tetapi namun serta atau sehingga karena sedangkan yang bahwa";

/// Cuts `text` (at offset `base` in the input) into ranges of at most `max` characters without
/// whitespace at their ends, separated by whitespace or (as a last resort, inside an overlong
/// word or where no cut leaves words on both sides) by nothing.
pub(super) fn split_long(text: &str, max: usize, base: usize, out: &mut Vec<Range<usize>>) {
    let base = base + text.len() - text.trim_start().len();
    let text = text.trim();
    if text.is_empty() {
        return;
    }
    if text.chars().count() <= max {
        out.push(base..base + text.len());
        return;
    }
    match clause_cut(text) {
        Some((left_end, right_start)) => {
            split_long(&text[..left_end], max, base, out);
            split_long(&text[right_start..], max, base + right_start, out);
        }
        None => {
            let mut start = 0;
            while start < text.len() {
                let rest = &text[start..];
                let end = start + rest.char_indices().nth(max).map_or(rest.len(), |(i, _)| i);
                split_long(&text[start..end], max, base + start, out);
                start = end;
            }
        }
    }
}

/// The best place to cut a long text, as (end of the left part, start of the right part):
/// `; `, then `, `, then before a conjunction, then any whitespace; at the first of these kinds
/// that occurs, the cut nearest the middle. `None` when there is no whitespace to cut at.
pub(super) fn clause_cut(text: &str) -> Option<(usize, usize)> {
    let lower = text.to_ascii_lowercase();
    let after_mark = |mark: &'static str| {
        text.match_indices(mark)
            .map(|(i, _)| {
                let right = i + 1;
                (right, text.len() - text[right..].trim_start().len())
            })
            .collect::<Vec<_>>()
    };
    let conjunctions = CONJUNCTIONS
        .split_whitespace()
        .flat_map(|w| {
            lower
                .match_indices(&format!(" {w} "))
                .map(|(i, _)| (i, i + 1))
                .collect::<Vec<_>>()
        })
        .collect::<Vec<_>>();
    let spaces = text
        .char_indices()
        .filter(|&(i, c)| c.is_whitespace() && !text[..i].ends_with(char::is_whitespace))
        .map(|(i, _)| (i, text.len() - text[i..].trim_start().len()))
        .collect::<Vec<_>>();
    // Whether each side of a cut has a word, from the first and last alphanumeric characters
    // rather than by scanning a side per cut.
    let first_word = text.find(char::is_alphanumeric).unwrap_or(text.len());
    let last_word = text.rfind(char::is_alphanumeric);
    let has_words = |l: usize, r: usize| first_word < l && last_word.is_some_and(|w| w >= r);
    let mid = text.len() / 2;
    [after_mark("; "), after_mark(", "), conjunctions, spaces]
        .into_iter()
        .find_map(|cuts| {
            cuts.into_iter()
                .filter(|&(l, r)| has_words(l, r))
                .min_by_key(|&(l, _)| l.abs_diff(mid))
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::document::{Document, DocumentOptions};

    #[test]
    fn long_sentences_are_split_not_truncated() {
        let clause = "pemerintah daerah menyiapkan bantuan bagi warga yang terdampak banjir";
        let text = format!("{}.", vec![clause; 24].join(", "));
        let opts = DocumentOptions {
            max_input_chars: 200,
            ..DocumentOptions::default()
        };
        let got = Document::parse(&text, &opts).model_inputs().to_vec();
        assert!(got.len() > 1);
        assert!(got.iter().all(|s| s.chars().count() <= 200), "{got:?}");
        assert_eq!(got.join(" "), text);

        // Not a word of any language: the detector would call it English.
        let word = "a".repeat(1500);
        let opts = DocumentOptions {
            pass_through_foreign: false,
            ..DocumentOptions::default()
        };
        let got = Document::parse(&word, &opts).model_inputs().to_vec();
        assert!(got.iter().all(|s| s.chars().count() <= 600));
        assert_eq!(got.concat(), word);
    }

    /// Cuts next to whitespace that is not the clause boundary, and hard cuts where no cut has
    /// words on both sides, leave the whitespace out of the inputs.
    #[test]
    fn long_inputs_have_no_whitespace_at_their_ends() {
        let short = |max_input_chars| DocumentOptions {
            max_input_chars,
            ..DocumentOptions::default()
        };
        let cases: &[(&str, usize, &[&str])] = &[
            ("kata sama \u{1f44d} ===.", 7, &["kata", "sama \u{1f44d}"]),
            (
                "Kompas.net —  dan Presiden",
                13,
                &["Kompas.net —", "dan Presiden"],
            ),
        ];
        for &(text, max, expected) in cases {
            assert_eq!(
                Document::parse(text, &short(max)).model_inputs(),
                expected,
                "{text:?}"
            );
        }
    }

    #[test]
    fn clause_cut_prefers_semicolons_then_commas_then_conjunctions() {
        let text = "satu dua tiga, empat lima; enam tujuh delapan";
        assert_eq!(
            clause_cut(text).map(|(l, _)| &text[..l]),
            Some("satu dua tiga, empat lima;")
        );
        let text = "satu dua tiga dan empat lima, enam";
        assert_eq!(
            clause_cut(text).map(|(l, _)| &text[..l]),
            Some("satu dua tiga dan empat lima,")
        );
        let text = "satu dua tiga tetapi empat lima enam";
        assert_eq!(
            clause_cut(text).map(|(_, r)| &text[r..]),
            Some("tetapi empat lima enam")
        );
        assert_eq!(clause_cut("tanpaspasi"), None);
    }
}
