//! Word alignment between a sentence and its translation, as plain indices over the words of
//! the two strings.
//!
//! A word is a maximal run of non-whitespace characters ([`words`]), on both sides: the rule that
//! the model side groups SentencePiece pieces by (a piece starting with `▁` starts a word) reads
//! the same way on the text, so a caller needs no tokenizer to place a word. Punctuation that
//! touches a word belongs to it (`buku.` is one word), as it does in the pieces.

use std::ops::Range;

/// Which source word each target word came from: `(source word, target word)` pairs, sorted and
/// without repeats. A word of either side may be in no pair or in several.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WordAlignment {
    pub pairs: Vec<(usize, usize)>,
}

impl WordAlignment {
    /// Sorts and deduplicates `pairs`.
    pub fn new(mut pairs: Vec<(usize, usize)>) -> Self {
        pairs.sort_unstable();
        pairs.dedup();
        WordAlignment { pairs }
    }

    /// Word i to word i, for `n` words: a text that is its own translation.
    pub fn identity(n: usize) -> Self {
        WordAlignment {
            pairs: (0..n).map(|i| (i, i)).collect(),
        }
    }

    /// Every one of `sources` words to every one of `targets`, kept in order: the first source
    /// word with the first target words and so on, each target word to the source words of its
    /// share. For text whose words correspond as a whole (a label translated by table).
    pub fn monotone(sources: usize, targets: usize) -> Self {
        if sources == 0 || targets == 0 {
            return WordAlignment::default();
        }
        let mut pairs = Vec::new();
        for t in 0..targets {
            // Target word t covers [t, t+1) of `targets`; the source words whose share of
            // `sources` overlaps it, scaled.
            let from = t * sources / targets;
            let to = ((t + 1) * sources).div_ceil(targets).max(from + 1);
            pairs.extend((from..to.min(sources)).map(|s| (s, t)));
        }
        WordAlignment::new(pairs)
    }

    /// The pairs with both sides shifted: for a sentence placed after other sentences' words.
    pub fn shifted(
        &self,
        source: usize,
        target: usize,
    ) -> impl Iterator<Item = (usize, usize)> + '_ {
        self.pairs
            .iter()
            .map(move |&(s, t)| (s + source, t + target))
    }

    /// Pharaoh format, as fast_align and GIZA++ write it: `0-0 1-2 2-1`.
    pub fn pharaoh(&self) -> String {
        let pairs: Vec<String> = self.pairs.iter().map(|(s, t)| format!("{s}-{t}")).collect();
        pairs.join(" ")
    }
}

/// The byte ranges of the words of `text`: maximal runs of characters that are not whitespace.
pub fn words(text: &str) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in text.char_indices() {
        match (c.is_whitespace(), start) {
            (true, Some(s)) => {
                out.push(s..i);
                start = None;
            }
            (false, None) => start = Some(i),
            _ => {}
        }
    }
    if let Some(s) = start {
        out.push(s..text.len());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_runs_between_whitespace() {
        let text = " Saya  suka\tbuku.\u{a0}Ya";
        let got: Vec<&str> = words(text).into_iter().map(|r| &text[r]).collect();
        assert_eq!(got, ["Saya", "suka", "buku.", "Ya"]);
        assert!(words("  \n").is_empty());
    }

    #[test]
    fn monotone_covers_every_word_in_order() {
        let a = WordAlignment::monotone(2, 3);
        assert_eq!(a.pairs, [(0, 0), (0, 1), (1, 1), (1, 2)]);
        let b = WordAlignment::monotone(3, 1);
        assert_eq!(b.pairs, [(0, 0), (1, 0), (2, 0)]);
        assert_eq!(WordAlignment::monotone(0, 4), WordAlignment::default());
        assert_eq!(WordAlignment::identity(2).pharaoh(), "0-0 1-1");
    }
}
