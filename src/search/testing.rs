//! Helpers shared by the search modules' unit tests.

use super::step::SpecialTokens;
use crate::marian::config::DecodeOptions;

/// Options whose processors ban token 5 and, before three new tokens, EOS (0).
pub(super) fn banning_options() -> DecodeOptions {
    DecodeOptions {
        num_beams: 4,
        max_length: 50,
        length_penalty: 1.0,
        banned_tokens: vec![5],
        forced_eos: Some(0),
        min_new_tokens: 3,
        no_repeat_ngram_size: 0,
    }
}

pub(super) const SPECIAL: SpecialTokens = SpecialTokens {
    decoder_start: 1,
    eos: 0,
};

/// Folds each row as the projection would: parts of uneven width, panels of 16 within them.
pub(super) fn fold_rows<S>(
    flat: &[f32],
    vocab: usize,
    init: impl Fn() -> S,
    add: impl Fn(&mut S, usize, &[f32]),
) -> Vec<Vec<S>> {
    flat.chunks(vocab)
        .map(|row| {
            [0..100, 100..vocab]
                .into_iter()
                .map(|range| {
                    let mut state = init();
                    for first in range.clone().step_by(16) {
                        add(&mut state, first, &row[first..(first + 16).min(range.end)]);
                    }
                    state
                })
                .collect()
        })
        .collect()
}
