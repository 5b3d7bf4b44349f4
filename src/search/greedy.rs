//! Greedy search: each row takes its most likely allowed token. On the CPU in f32 the choice is
//! folded into the output projection, panel by panel, so a step's logits are never written out.

use anyhow::Result;
use rayon::prelude::*;

use crate::marian::cache::{DecoderStates, Encoded, Logits};
use crate::marian::model::Marian;

use super::decode::Generation;
use super::step::{
    ban_repeated_ngrams, check_finite, excluded, forced_now, process, Search, StageClock,
};

pub(super) fn greedy(
    search: &Search,
    mut encoded: Encoded,
    n: usize,
    capacity: usize,
    clock: &mut StageClock,
) -> Result<Vec<Generation>> {
    let Search {
        model,
        opts,
        special,
        ..
    } = *search;
    let mut cache = model.new_cache(n, capacity)?;
    let mut outputs = vec![Generation::default(); n];
    let mut active: Vec<usize> = (0..n).collect();
    let mut tokens = vec![special.decoder_start; n];
    // cur_len counts the decoder start token, as transformers' input_ids length does.
    let mut cur_len = 1;
    while !active.is_empty() {
        let (states, attention) = search.decode(&tokens, &encoded, &mut cache)?;
        check_finite(&states, cur_len, |r| active.get(r).copied().unwrap_or(r))?;
        clock.lap(|t| &mut t.decoder)?;
        let chosen = if let Some(eos) = forced_now(opts, cur_len) {
            // Every other token is at −∞ there: no logits needed.
            vec![eos; tokens.len()]
        } else if let Some(chosen) = (opts.no_repeat_ngram_size == 0)
            .then(|| folded_argmax(model, &states, &excluded(opts, cur_len, special.eos)))
            .transpose()?
            .flatten()
        {
            chosen
        } else {
            let Logits {
                values: mut flat,
                vocab,
            } = model.project(&states)?;
            // Rows in parallel: a serial pass over rows × vocabulary logits was 2% of a greedy run.
            flat.par_chunks_mut(vocab)
                .enumerate()
                .map(|(r, row)| {
                    if opts.no_repeat_ngram_size > 0 {
                        let generated = &outputs[active[r]].ids;
                        let history: Vec<u32> = std::iter::once(special.decoder_start)
                            .chain(generated.iter().copied())
                            .collect();
                        ban_repeated_ngrams(row, &history, opts.no_repeat_ngram_size);
                    }
                    process(row, cur_len, special.eos, opts, 0.0);
                    argmax(row)
                })
                .collect()
        };
        clock.lap(|t| &mut t.projection)?;
        let mut keep = Vec::new();
        let mut next_tokens = Vec::new();
        for (r, token) in chosen.into_iter().enumerate() {
            let output = &mut outputs[active[r]];
            output.ids.push(token);
            if let Some(attention) = &attention {
                output.attention.push(attention.row(r).to_vec());
            }
            if token != special.eos && cur_len + 1 < opts.max_length {
                keep.push(r as u32);
                next_tokens.push(token);
            }
        }
        cur_len += 1;
        if keep.len() < active.len() && !keep.is_empty() {
            encoded = encoded.select(&keep)?;
            cache.select(&keep)?;
        }
        active = keep.iter().map(|&r| active[r as usize]).collect();
        tokens = next_tokens;
        clock.lap(|t| &mut t.search)?;
    }
    Ok(outputs)
}

/// A row's best token that is not excluded, while the output projection runs: the first of the
/// largest logits, as [`argmax`] finds it in the processed row.
#[derive(Clone, Copy)]
pub(super) struct Best {
    value: f32,
    token: u32,
}

/// Greedy search's choices straight from the output projection (see [`Marian::project_fold`]);
/// `None` where that does not run, or where a row has nothing above −∞ (then the processed rows
/// decide, with their ties among −∞).
fn folded_argmax(
    model: &Marian,
    states: &DecoderStates,
    excluded: &[u32],
) -> Result<Option<Vec<u32>>> {
    let fold = |best: &mut Best, first: usize, values: &[f32]| best.add(first, values, excluded);
    let Some(rows) = model.project_fold(states, Best::new, fold)? else {
        return Ok(None);
    };
    Ok(rows.into_iter().map(Best::join).collect())
}

impl Best {
    fn new() -> Self {
        Self {
            value: f32::NEG_INFINITY,
            token: u32::MAX,
        }
    }

    /// Takes in the logits of tokens `first..`.
    fn add(&mut self, first: usize, values: &[f32], excluded: &[u32]) {
        if crate::kernels::vecmath::max(values) > self.value {
            for (token, &x) in (first as u32..).zip(values) {
                if x > self.value && !excluded.contains(&token) {
                    *self = Best { value: x, token };
                }
            }
        }
    }

    /// The row's token from its parts, given in token order: a later part wins only with a
    /// larger logit. `None` if nothing is above −∞.
    fn join(parts: Vec<Best>) -> Option<u32> {
        let best = parts
            .into_iter()
            .fold(Best::new(), |a, b| if b.value > a.value { b } else { a });
        (best.value > f32::NEG_INFINITY).then_some(best.token)
    }
}

/// First index of the maximum, as `torch.argmax` (NaN aside, which is skipped here); 0 for a row
/// without a number.
pub(super) fn argmax(row: &[f32]) -> u32 {
    let max = crate::kernels::vecmath::max(row);
    row.iter().position(|&x| x == max).unwrap_or(0) as u32
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::testing::{banning_options, fold_rows, SPECIAL};

    #[test]
    fn argmax_takes_the_first_maximum_at_any_position() {
        // Lengths around the eight-lane blocks, the maximum in a block and in the tail, twice.
        for len in [1, 7, 8, 9, 17, 40] {
            for at in 0..len {
                let mut row: Vec<f32> = (0..len).map(|i| -(i as f32) * 0.5).collect();
                row[at] = 3.0;
                assert_eq!(argmax(&row), at as u32, "len {len}, max at {at}");
                if at + 1 < len {
                    row[len - 1] = 3.0;
                    assert_eq!(argmax(&row), at as u32, "len {len}, tie at {at}");
                }
            }
        }
        assert_eq!(argmax(&[f32::NEG_INFINITY; 10]), 0);
        assert_eq!(argmax(&[f32::NAN, 1.0, 2.0, f32::NAN]), 2, "NaN skipped");
    }

    #[test]
    fn folded_greedy_rows_choose_what_the_processed_rows_choose() {
        let (vocab, cur_len) = (300, 2);
        let opts = banning_options();
        let excluded = excluded(&opts, cur_len, SPECIAL.eos);
        // Few distinct values: ties within and across parts; some rows' maximum is banned.
        let mut flat: Vec<f32> = crate::kernels::test_util::pseudo_random(8 * vocab, 6)
            .iter()
            .map(|x| (x * 3.0).round())
            .collect();
        flat[5] = 9.0;
        flat[vocab] = 9.0;
        let want: Vec<u32> = flat
            .clone()
            .chunks_mut(vocab)
            .map(|row| {
                process(row, cur_len, SPECIAL.eos, &opts, 0.0);
                argmax(row)
            })
            .collect();
        let got: Vec<Option<u32>> = fold_rows(&flat, vocab, Best::new, |b, first, v| {
            b.add(first, v, &excluded)
        })
        .into_iter()
        .map(Best::join)
        .collect();
        assert_eq!(got, want.into_iter().map(Some).collect::<Vec<_>>());
        // Nothing above −∞ outside the banned tokens: left to the processed row.
        let mut row = vec![f32::NEG_INFINITY; vocab];
        row[5] = 1.0;
        let parts = fold_rows(&row, vocab, Best::new, |b, first, v| {
            b.add(first, v, &excluded)
        });
        assert_eq!(Best::join(parts.into_iter().next().unwrap()), None);
    }
}
