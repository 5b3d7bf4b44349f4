//! What every decoding step does, whichever the strategy: transformers' logits processors for
//! Marian checkpoints (banned tokens such as `<pad>`, no EOS before `min_new_tokens`, EOS forced at
//! the last position, `max_length` counting the decoder start token), the special tokens, the
//! non-finite check, and the clock of the stages.

use std::time::{Duration, Instant};

use anyhow::Result;
use candle_core::Device;

use crate::marian::cache::{CrossAttention, DecoderCache, DecoderStates, Encoded};
use crate::marian::config::DecodeOptions;
use crate::marian::model::Marian;

/// transformers' stand-in for "minus infinity" in beam bookkeeping.
pub(super) const NEG_LARGE: f32 = -1.0e9;

/// A sentence whose decoder output went NaN or infinite, which no token can be chosen from.
///
/// Weights are checked to be finite at load ([`crate::marian::weights`]), so this is numerical overflow at
/// run time (half precision on a GPU, or weights of absurd magnitude). Such a sentence is an error
/// rather than an empty or garbled translation: the caller names the sentence, and f32 may
/// translate it.
#[derive(Debug)]
pub struct NonFinite {
    /// The sentence's row in the batch given to [`super::decode::generate`].
    pub row: usize,
    /// Output tokens generated before it (the decoder start not counted).
    pub position: usize,
}

impl std::fmt::Display for NonFinite {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        write!(
            f,
            "the model's activations became NaN or infinite at output token {} (numerical \
             overflow; --dtype f32 may avoid it)",
            self.position + 1
        )
    }
}

impl std::error::Error for NonFinite {}

/// Refuses a step whose states are not finite, naming the sentence of the offending row.
pub(super) fn check_finite(
    states: &DecoderStates,
    cur_len: usize,
    sentence: impl Fn(usize) -> usize,
) -> Result<()> {
    match states.first_non_finite()? {
        Some(r) => Err(NonFinite {
            row: sentence(r),
            position: cur_len - 1,
        }
        .into()),
        None => Ok(()),
    }
}

/// What a search runs with: the model, the options, and the decoder layer whose cross-attention
/// it keeps, if any.
pub(super) struct Search<'a> {
    pub(super) model: &'a Marian,
    pub(super) opts: &'a DecodeOptions,
    pub(super) special: SpecialTokens,
    pub(super) attending: Option<usize>,
}

impl Search<'_> {
    /// One decoding step: the states and, when a layer is kept, its cross-attention.
    pub(super) fn decode(
        &self,
        tokens: &[u32],
        encoded: &Encoded,
        cache: &mut DecoderCache,
    ) -> Result<(DecoderStates, Option<CrossAttention>)> {
        Ok(match self.attending {
            None => (self.model.decode_hidden(tokens, encoded, cache)?, None),
            Some(layer) => {
                let (states, attention) = self
                    .model
                    .decode_hidden_attending(tokens, encoded, cache, layer)?;
                (states, Some(attention))
            }
        })
    }
}

/// Token ids a search needs beyond [`DecodeOptions`].
#[derive(Debug, Clone, Copy)]
pub struct SpecialTokens {
    pub decoder_start: u32,
    pub eos: u32,
}

/// Wall time spent in each stage of generation, summed over calls.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct StageTimes {
    pub encoder: Duration,
    pub decoder: Duration,
    pub projection: Duration,
    /// Choosing tokens and reordering the caches. Where the projection is folded into the
    /// search (CPU, f32), scanning the logits is charged to `projection`.
    pub search: Duration,
}

impl StageTimes {
    pub fn total(&self) -> Duration {
        self.encoder + self.decoder + self.projection + self.search
    }
}

/// Charges the time since its last lap to a stage, when the caller asked for times. On a GPU it
/// waits for the device first: kernels run asynchronously, and unsynchronised laps would charge a
/// stage's work to whichever stage next reads a result back.
pub(super) struct StageClock<'a> {
    times: Option<&'a mut StageTimes>,
    device: &'a Device,
    last: Instant,
}

impl<'a> StageClock<'a> {
    pub(super) fn new(times: Option<&'a mut StageTimes>, device: &'a Device) -> Self {
        Self {
            times,
            device,
            last: Instant::now(),
        }
    }

    pub(super) fn lap(&mut self, stage: fn(&mut StageTimes) -> &mut Duration) -> Result<()> {
        if let Some(times) = self.times.as_deref_mut() {
            self.device.synchronize()?;
            let now = Instant::now();
            *stage(times) += now - self.last;
            self.last = now;
        }
        Ok(())
    }
}

/// Applies transformers' logits processors in their order: EOS banned before `min_new_tokens`
/// (`MinNewTokensLengthLogitsProcessor`), banned tokens (`NoBadWordsLogitsProcessor`), and at the last
/// position only EOS left (`ForcedEOSTokenLogitsProcessor`), at `forced` (0, or in beam search the
/// hypothesis' score that transformers adds to the processed row afterwards).
pub(super) fn process(
    row: &mut [f32],
    cur_len: usize,
    eos: u32,
    opts: &DecodeOptions,
    forced: f32,
) {
    if cur_len - 1 < opts.min_new_tokens {
        row[eos as usize] = f32::NEG_INFINITY;
    }
    for &t in &opts.banned_tokens {
        if let Some(x) = row.get_mut(t as usize) {
            *x = f32::NEG_INFINITY;
        }
    }
    if let Some(eos) = opts.forced_eos {
        if cur_len + 1 == opts.max_length {
            row.fill(f32::NEG_INFINITY);
            row[eos as usize] = forced;
        }
    }
}

/// transformers' `NoRepeatNGramLogitsProcessor`: bans every token that would complete an
/// `n`-gram already in `history` (the decoder start token included, as in transformers'
/// `input_ids`). Applied before [`process`], whose bans and forced EOS it does not change.
pub(super) fn ban_repeated_ngrams(row: &mut [f32], history: &[u32], n: usize) {
    if n == 0 || history.len() + 1 < n {
        return;
    }
    let prefix = &history[history.len() + 1 - n..];
    for gram in history.windows(n) {
        if gram[..n - 1] == *prefix {
            if let Some(x) = row.get_mut(gram[n - 1] as usize) {
                *x = f32::NEG_INFINITY;
            }
        }
    }
}

/// The EOS token that [`process`] leaves as the only choice at this position, if it does.
pub(super) fn forced_now(opts: &DecodeOptions, cur_len: usize) -> Option<u32> {
    opts.forced_eos.filter(|_| cur_len + 1 == opts.max_length)
}

/// The tokens [`process`] sets to −∞ at `cur_len` when it does not force EOS.
pub(super) fn excluded(opts: &DecodeOptions, cur_len: usize, eos: u32) -> Vec<u32> {
    let mut tokens = opts.banned_tokens.clone();
    if cur_len - 1 < opts.min_new_tokens {
        tokens.push(eos);
    }
    tokens
}

/// In-place log-softmax of one row plus `score`, in one pass; the normaliser is summed in f64.
pub(super) fn log_softmax_plus(row: &mut [f32], score: f32) {
    let max = crate::kernels::vecmath::max(row);
    let sum = crate::kernels::vecmath::sum_exp(row, max);
    let log_sum = sum.ln() as f32;
    for x in row.iter_mut() {
        *x = *x - max - log_sum + score;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::greedy::argmax;

    #[test]
    fn processors_ban_pad_delay_eos_and_force_it_last() {
        let opts = DecodeOptions {
            num_beams: 1,
            max_length: 6,
            length_penalty: 1.0,
            banned_tokens: vec![3],
            forced_eos: Some(0),
            min_new_tokens: 2,
            no_repeat_ngram_size: 0,
        };
        let logits = [5.0, 2.0, 1.0, 9.0];
        let after = |cur_len| {
            let mut row = logits.to_vec();
            process(&mut row, cur_len, 0, &opts, 0.0);
            row
        };
        assert_eq!(
            argmax(&after(2)),
            1,
            "pad is banned, and EOS before 2 new tokens"
        );
        assert_eq!(argmax(&after(3)), 0, "EOS allowed once 2 tokens are out");
        let last = after(5);
        assert_eq!(last[0], 0.0);
        assert!(last[1..].iter().all(|x| *x == f32::NEG_INFINITY));
    }

    #[test]
    fn repeated_ngrams_are_banned_after_their_prefix_only() {
        let banned = |history: &[u32], n| {
            let mut row = vec![0.0; 6];
            ban_repeated_ngrams(&mut row, history, n);
            (0..6u32)
                .filter(|&t| row[t as usize] == f32::NEG_INFINITY)
                .collect::<Vec<_>>()
        };
        // 2-grams (1,2) (2,3) (3,1) (1,2): after a final 2, the token 3 would repeat (2,3).
        assert_eq!(banned(&[1, 2, 3, 1, 2], 2), vec![3]);
        assert_eq!(banned(&[1, 2, 3, 1, 2], 3), vec![3], "(1,2,3) was seen");
        assert_eq!(
            banned(&[1, 2, 3, 1], 3),
            Vec::<u32>::new(),
            "(3,1) was never followed"
        );
        assert_eq!(banned(&[4, 4], 1), vec![4]);
        assert_eq!(banned(&[1], 3), Vec::<u32>::new(), "shorter than an n-gram");
        assert_eq!(banned(&[1, 2], 0), Vec::<u32>::new(), "0 is off");
    }
}
