//! Word alignment read from the model's cross-attention.
//!
//! The rule, for one sentence and its translation ([`word_alignment`]):
//!
//! 1. Each generated token but EOS takes as its source the source token that its attention row
//!    weighs most, the final `</s>` left out (the first of equal maxima). The row is that of one
//!    decoder layer, averaged over its heads: by default the penultimate layer, which studies of
//!    attention-based alignment (Garg et al. 2019, "Jointly Learning to Align and Translate";
//!    Zenkel, Kobayashi) find best for a Transformer trained without guided alignment.
//! 2. Tokens are grouped into words on both sides: a piece starting with `▁` starts a word.
//!    Target tokens that decode to nothing (special tokens) are in no word; a token of `▁` alone
//!    belongs to the word that follows it, or to none.
//! 3. A (source word, target word) pair is aligned if any of their tokens are.
//!
//! Words are those of [`crate::text::alignment::words`]: target words are exactly the words of
//! the decoded translation (each token placed by the bytes it writes, see
//! [`MarianTokenizer::decode_spans`]). Source words of SentencePiece map onto the words of the
//! input string by index when they are as many. Otherwise (the normalizer splits or joins words,
//! as with a zero-width space or a special-token string inside a word) they map by character
//! offsets: the input's words are laid out as the normalizer writes them, each after one `▁` and
//! in its normalized length, and each SentencePiece word goes to the input words its characters
//! overlap there (to the last input word starting before it where it overlaps none).

use std::ops::Range;

use anyhow::{ensure, Result};

use super::decode::Generation;
use crate::marian::tokenizer::MarianTokenizer;
use crate::text::alignment::{words, WordAlignment};

const SPACE: char = '\u{2581}';

/// The word alignment of `source` (the input string) and the translation `generation` (its ids
/// and attention rows, as [`super::decode::generate_with_attention`] gives them) by the rule of
/// this module. Target words are those of `tokenizer.decode(&generation.ids)`.
pub fn word_alignment(
    tokenizer: &MarianTokenizer,
    source: &str,
    generation: &Generation,
) -> Result<WordAlignment> {
    let pieces = tokenizer.source_pieces(source)?;
    // Every source token but the final `</s>`.
    let tokens = pieces.len().saturating_sub(1);
    let mut piece_word = Vec::with_capacity(tokens);
    let mut spans: Vec<Range<usize>> = Vec::new();
    let mut at = 0;
    for piece in &pieces[..tokens] {
        let end = at + piece.chars().count();
        match spans.last_mut() {
            Some(last) if !piece.starts_with(SPACE) => last.end = end,
            _ => spans.push(at..end),
        }
        piece_word.push(spans.len() - 1);
        at = end;
    }
    let input_words = words(source);
    let to_input: Vec<Vec<usize>> = if spans.len() == input_words.len() {
        (0..spans.len()).map(|w| vec![w]).collect()
    } else {
        let lengths: Vec<usize> = (input_words.iter())
            .map(|w| tokenizer.normalized_chars(&source[w.clone()]))
            .collect();
        by_offsets(&spans, &lengths)
    };

    let (decoded, token_spans) = tokenizer.decode_spans(&generation.ids);
    let output_words = words(&decoded);
    let eos = tokenizer.eos_id();
    let mut pairs = Vec::new();
    for ((&id, span), row) in (generation.ids.iter())
        .zip(&token_spans)
        .zip(&generation.attention)
    {
        ensure!(
            row.len() == pieces.len(),
            "an attention row over {} source tokens for a sentence of {}",
            row.len(),
            pieces.len()
        );
        if id == eos || !tokenizer.decodes_to_text(id) || tokens == 0 {
            continue;
        }
        let row = &row[..tokens];
        let max = row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let Some(token) = row.iter().position(|&p| p == max) else {
            continue;
        };
        // A token of spaces alone (or stripped from the ends) opens the word that follows it.
        let blank = decoded[span.clone()].trim().is_empty();
        for (target, word) in output_words.iter().enumerate() {
            let holds = if blank {
                word.start == span.end
            } else {
                word.start < span.end && span.start < word.end
            };
            if holds {
                pairs.extend(to_input[piece_word[token]].iter().map(|&s| (s, target)));
            }
        }
    }
    Ok(WordAlignment::new(pairs))
}

/// The input words each SentencePiece word (`spans`, in characters of the pieces laid end to
/// end) overlaps, the input words laid out as the normalizer writes them: each after one `▁`,
/// `lengths` characters long.
fn by_offsets(spans: &[Range<usize>], lengths: &[usize]) -> Vec<Vec<usize>> {
    let mut layout = Vec::with_capacity(lengths.len());
    let mut at = 0;
    for &len in lengths {
        layout.push(at..at + 1 + len);
        at += 1 + len;
    }
    spans
        .iter()
        .map(|span| {
            let overlapping: Vec<usize> = (layout.iter().enumerate())
                .filter(|(_, w)| w.start < span.end && span.start < w.end)
                .map(|(i, _)| i)
                .collect();
            if overlapping.is_empty() {
                layout
                    .iter()
                    .rposition(|w| w.start <= span.start)
                    .into_iter()
                    .collect()
            } else {
                overlapping
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::marian::config::MarianConfig;
    use std::path::Path;

    fn tokenizer() -> MarianTokenizer {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("models/fixture");
        let config = MarianConfig::from_file(&dir.join("config.json")).unwrap();
        MarianTokenizer::from_dir(&dir, &config).unwrap()
    }

    /// Ids for target pieces, by surface, from the fixture's vocabulary.
    fn target_ids(pieces: &[&str]) -> Vec<u32> {
        let vocab: serde_json::Map<String, serde_json::Value> = serde_json::from_str(include_str!(
            concat!(env!("CARGO_MANIFEST_DIR"), "/models/fixture/vocab.json")
        ))
        .unwrap();
        (pieces.iter())
            .map(|p| vocab[*p].as_u64().unwrap_or_else(|| panic!("{p}")) as u32)
            .collect()
    }

    /// Rows over `width` source tokens that each put their weight on the given token.
    fn rows(peaks: &[usize], width: usize) -> Vec<Vec<f32>> {
        (peaks.iter())
            .map(|&p| {
                let mut row = vec![0.1; width];
                row[p] = 0.5;
                row
            })
            .collect()
    }

    #[test]
    fn tokens_group_into_words_on_both_sides() {
        let tok = tokenizer();
        let source = "Dia pergi ke pasar.";
        let pieces = tok.source_pieces(source).unwrap();
        assert_eq!(tok.encode(source).unwrap().len(), pieces.len());
        // ▁Dia ▁pergi ▁ke ▁ pasar . </s>: "pasar." is one word of three pieces.
        assert_eq!(pieces.len(), 7, "{pieces:?}");
        let ids = target_ids(&["▁He", "▁like", "▁to", "▁the", "▁market", ".", "</s>"]);
        let (text, _) = tok.decode_spans(&ids);
        assert_eq!(text, "He like to the market.");
        // the → ke; "market" → pasar, "." → </s> (left out, so the runner-up: ▁ of "pasar.").
        let mut attention = rows(&[0, 1, 2, 2, 4, 6, 6], 7);
        attention[5][3] = 0.3;
        let generation = Generation { ids, attention };
        let got = word_alignment(&tok, source, &generation).unwrap();
        assert_eq!(got.pairs, [(0, 0), (1, 1), (2, 2), (2, 3), (3, 4)]);
    }

    #[test]
    fn ties_take_the_first_token_and_specials_are_in_no_word() {
        let tok = tokenizer();
        let source = "Saya suka buku.";
        let width = tok.source_pieces(source).unwrap().len();
        let ids = target_ids(&["<unk>", "▁I", "</s>"]);
        let generation = Generation {
            ids,
            attention: vec![vec![0.2; width]; 3],
        };
        let got = word_alignment(&tok, source, &generation).unwrap();
        assert_eq!(got.pairs, [(0, 0)]);
        let short = Generation {
            ids: generation.ids.clone(),
            attention: vec![vec![0.5; width - 1]; 3],
        };
        assert!(word_alignment(&tok, source, &short).is_err());
    }

    #[test]
    fn a_space_piece_belongs_to_the_word_after_it() {
        let tok = tokenizer();
        let ids = target_ids(&["▁", "I", "▁is", "▁", "</s>"]);
        let (text, spans) = tok.decode_spans(&ids);
        assert_eq!(text, "I is");
        assert_eq!(spans, [0..0, 0..1, 1..4, 4..4, 4..4]);
        let source = "Saya ya.";
        let generation = Generation {
            ids,
            attention: rows(&[1, 0, 0, 0, 0], tok.source_pieces(source).unwrap().len()),
        };
        let got = word_alignment(&tok, source, &generation).unwrap();
        assert_eq!(got.pairs, [(0, 0), (0, 1), (1, 0)]);
    }

    #[test]
    fn words_the_normalizer_joins_map_by_offsets() {
        // A zero-width space is no whitespace in the text, but the normalizer makes it a space:
        // one word of the input, two of SentencePiece.
        assert_eq!(by_offsets(&[0..6, 6..11], &[5, 4]), [vec![0], vec![1]]);
        let whole = 0..11;
        assert_eq!(
            by_offsets(std::slice::from_ref(&whole), &[5, 4]),
            [vec![0, 1]]
        );
        assert_eq!(by_offsets(&[0..3, 3..6, 6..11], &[10]), [[0], [0], [0]]);
        assert_eq!(by_offsets(&[0..3, 3..20], &[1]), [[0], [0]]);
        let tok = tokenizer();
        let source = "zero\u{200b}width kata";
        let pieces = tok.source_pieces(source).unwrap();
        let generation = Generation {
            ids: target_ids(&["▁I", "▁is", "</s>"]),
            attention: rows(&[0, pieces.len() - 2, 0], pieces.len()),
        };
        let got = word_alignment(&tok, source, &generation).unwrap();
        assert_eq!(got.pairs, [(0, 0), (1, 1)], "{pieces:?}");
    }
}
