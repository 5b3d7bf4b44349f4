//! Greedy and beam search over [`Marian`] with the semantics of transformers' `generate()` for Marian
//! checkpoints: the logits processors of [`super::step`], and beam search's finished-hypothesis
//! bookkeeping and stopping heuristic (`early_stopping=False`, the transformers default).
//!
//! [`generate`] encodes a batch and runs one of the two strategies on it (`greedy` or `beam`, each
//! in its own module). Rows whose search is over leave the batch, so the remaining ones decode
//! faster. A sentence gets the same result alone as inside a batch: nothing here couples the rows
//! of different sentences. [`generate_with_attention`] also keeps each token's cross-attention row
//! (for word alignment, [`super::align`]); [`generate`] computes none.

use anyhow::{bail, Result};

use super::beam::beam;
use super::greedy::greedy;
use super::step::{Search, SpecialTokens, StageClock, StageTimes};
use crate::marian::config::DecodeOptions;
use crate::marian::model::Marian;

/// One sentence's generated ids and, when asked for, the cross-attention row of each.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Generation {
    /// As [`generate`] returns them.
    pub ids: Vec<u32>,
    /// Per generated id, the probabilities its step gave the source tokens (`</s>` included,
    /// padding cut) in the chosen decoder layer, averaged over its heads; in beam search, those of
    /// the hypothesis' own row at each step. Empty unless asked for.
    pub attention: Vec<Vec<f32>>,
}

/// Generates one hypothesis per source row: the generated ids, ending in EOS unless cut at
/// `max_length` without a forced EOS. The decoder start token is not included. With `times`, each
/// stage's wall time is added to it.
pub fn generate(
    model: &Marian,
    sources: &[Vec<u32>],
    opts: &DecodeOptions,
    special: SpecialTokens,
    times: Option<&mut StageTimes>,
) -> Result<Vec<Vec<u32>>> {
    let generated = run(model, sources, opts, special, times, None)?;
    Ok(generated.into_iter().map(|g| g.ids).collect())
}

/// [`generate`], with each id's cross-attention row in decoder layer `layer`.
pub fn generate_with_attention(
    model: &Marian,
    sources: &[Vec<u32>],
    opts: &DecodeOptions,
    special: SpecialTokens,
    times: Option<&mut StageTimes>,
    layer: usize,
) -> Result<Vec<Generation>> {
    let mut generated = run(model, sources, opts, special, times, Some(layer))?;
    for (g, source) in generated.iter_mut().zip(sources) {
        for row in &mut g.attention {
            row.truncate(source.len());
        }
    }
    Ok(generated)
}

fn run(
    model: &Marian,
    sources: &[Vec<u32>],
    opts: &DecodeOptions,
    special: SpecialTokens,
    times: Option<&mut StageTimes>,
    attending: Option<usize>,
) -> Result<Vec<Generation>> {
    if opts.num_beams == 0 {
        bail!("the number of beams must be at least 1");
    }
    if opts.num_beams > 1 && opts.no_repeat_ngram_size > 0 {
        bail!("no_repeat_ngram_size is implemented for greedy search only");
    }
    if sources.is_empty() || opts.max_length < 2 {
        return Ok(vec![Generation::default(); sources.len()]);
    }
    let mut clock = StageClock::new(times, model.device());
    let encoded = model.encode(sources)?;
    clock.lap(|t| &mut t.encoder)?;
    let longest = sources.iter().map(Vec::len).max().unwrap_or(1);
    // Translations are rarely much longer than their source; the cache grows if one is.
    let capacity = (2 * longest + 8).min(opts.max_length);
    let n = sources.len();
    let search = Search {
        model,
        opts,
        special,
        attending,
    };
    if opts.num_beams == 1 {
        greedy(&search, encoded, n, capacity, &mut clock)
    } else {
        beam(&search, encoded, n, capacity, &mut clock)
    }
}
