//! Greedy and beam search over [`Marian`] with the semantics of transformers' `generate()` for Marian
//! checkpoints: banned tokens (`<pad>`), EOS forced at the last position, `max_length` counting the
//! decoder start token, and beam search's finished-hypothesis bookkeeping and stopping heuristic
//! (`early_stopping=False`, the transformers default).
//!
//! Rows whose search is over leave the batch, so the remaining ones decode faster. A sentence gets the
//! same result alone as inside a batch: nothing here couples the rows of different sentences.

use std::cmp::Ordering;
use std::time::{Duration, Instant};

use anyhow::{bail, Result};
use candle_core::Device;
use rayon::prelude::*;

use crate::marian::cache::{DecoderCache, DecoderStates, Encoded, Logits};
use crate::marian::config::DecodeOptions;
use crate::marian::model::Marian;

/// transformers' stand-in for "minus infinity" in beam bookkeeping.
const NEG_LARGE: f32 = -1.0e9;

/// A sentence whose decoder output went NaN or infinite, which no token can be chosen from.
///
/// Weights are checked to be finite at load ([`crate::marian::weights`]), so this is numerical overflow at
/// run time (half precision on a GPU, or weights of absurd magnitude). Such a sentence is an error
/// rather than an empty or garbled translation: the caller names the sentence, and f32 may
/// translate it.
#[derive(Debug)]
pub struct NonFinite {
    /// The sentence's row in the batch given to [`generate`].
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
fn check_finite(
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
struct StageClock<'a> {
    times: Option<&'a mut StageTimes>,
    device: &'a Device,
    last: Instant,
}

impl<'a> StageClock<'a> {
    fn new(times: Option<&'a mut StageTimes>, device: &'a Device) -> Self {
        Self {
            times,
            device,
            last: Instant::now(),
        }
    }

    fn lap(&mut self, stage: fn(&mut StageTimes) -> &mut Duration) -> Result<()> {
        if let Some(times) = self.times.as_deref_mut() {
            self.device.synchronize()?;
            let now = Instant::now();
            *stage(times) += now - self.last;
            self.last = now;
        }
        Ok(())
    }
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
    if opts.num_beams == 0 {
        bail!("the number of beams must be at least 1");
    }
    if sources.is_empty() || opts.max_length < 2 {
        return Ok(vec![Vec::new(); sources.len()]);
    }
    let mut clock = StageClock::new(times, model.device());
    let encoded = model.encode(sources)?;
    clock.lap(|t| &mut t.encoder)?;
    let longest = sources.iter().map(Vec::len).max().unwrap_or(1);
    // Translations are rarely much longer than their source; the cache grows if one is.
    let capacity = (2 * longest + 8).min(opts.max_length);
    let n = sources.len();
    if opts.num_beams == 1 {
        greedy(model, encoded, n, capacity, opts, special, &mut clock)
    } else {
        beam(model, encoded, n, capacity, opts, special, &mut clock)
    }
}

/// Applies transformers' logits processors in their order: EOS banned before `min_new_tokens`
/// (`MinNewTokensLengthLogitsProcessor`), banned tokens (`NoBadWordsLogitsProcessor`), and at the last
/// position only EOS left (`ForcedEOSTokenLogitsProcessor`), at `forced` (0, or in beam search the
/// hypothesis' score that transformers adds to the processed row afterwards).
fn process(row: &mut [f32], cur_len: usize, eos: u32, opts: &DecodeOptions, forced: f32) {
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

fn greedy(
    model: &Marian,
    mut encoded: Encoded,
    n: usize,
    capacity: usize,
    opts: &DecodeOptions,
    special: SpecialTokens,
    clock: &mut StageClock,
) -> Result<Vec<Vec<u32>>> {
    let mut cache = model.new_cache(n, capacity)?;
    let mut outputs = vec![Vec::new(); n];
    let mut active: Vec<usize> = (0..n).collect();
    let mut tokens = vec![special.decoder_start; n];
    // cur_len counts the decoder start token, as transformers' input_ids length does.
    let mut cur_len = 1;
    while !active.is_empty() {
        let states = model.decode_hidden(&tokens, &encoded, &mut cache)?;
        check_finite(&states, cur_len, |r| active.get(r).copied().unwrap_or(r))?;
        clock.lap(|t| &mut t.decoder)?;
        let chosen = if let Some(eos) = forced_now(opts, cur_len) {
            // Every other token is at −∞ there: no logits needed.
            vec![eos; tokens.len()]
        } else if let Some(chosen) =
            folded_argmax(model, &states, &excluded(opts, cur_len, special.eos))?
        {
            chosen
        } else {
            let Logits {
                values: mut flat,
                vocab,
            } = model.project(&states)?;
            // Rows in parallel: a serial pass over rows × vocabulary logits was 2% of a greedy run.
            flat.par_chunks_mut(vocab)
                .map(|row| {
                    process(row, cur_len, special.eos, opts, 0.0);
                    argmax(row)
                })
                .collect()
        };
        clock.lap(|t| &mut t.projection)?;
        let mut keep = Vec::new();
        let mut next_tokens = Vec::new();
        for (r, token) in chosen.into_iter().enumerate() {
            outputs[active[r]].push(token);
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

/// The EOS token that [`process`] leaves as the only choice at this position, if it does.
fn forced_now(opts: &DecodeOptions, cur_len: usize) -> Option<u32> {
    opts.forced_eos.filter(|_| cur_len + 1 == opts.max_length)
}

/// The tokens [`process`] sets to −∞ at `cur_len` when it does not force EOS.
fn excluded(opts: &DecodeOptions, cur_len: usize, eos: u32) -> Vec<u32> {
    let mut tokens = opts.banned_tokens.clone();
    if cur_len - 1 < opts.min_new_tokens {
        tokens.push(eos);
    }
    tokens
}

/// A row's best token that is not excluded, while the output projection runs: the first of the
/// largest logits, as [`argmax`] finds it in the processed row.
#[derive(Clone, Copy)]
struct Best {
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
fn argmax(row: &[f32]) -> u32 {
    let max = crate::kernels::vecmath::max(row);
    row.iter().position(|&x| x == max).unwrap_or(0) as u32
}

/// In-place log-softmax of one row plus `score`, in one pass; the normaliser is summed in f64.
fn log_softmax_plus(row: &mut [f32], score: f32) {
    let max = crate::kernels::vecmath::max(row);
    let sum = crate::kernels::vecmath::sum_exp(row, max);
    let log_sum = sum.ln() as f32;
    for x in row.iter_mut() {
        *x = *x - max - log_sum + score;
    }
}

/// One sentence's beam search state.
struct BeamItem {
    /// Running hypotheses' generated tokens and scores, best first.
    running: Vec<(Vec<u32>, f32)>,
    /// Finished hypotheses (tokens, length-normalised score), best first, at most `num_beams`.
    finished: Vec<(Vec<u32>, f32)>,
    /// transformers' `is_early_stop_heuristic_unsatisfied`.
    improvable: bool,
}

fn beam(
    model: &Marian,
    encoded: Encoded,
    n: usize,
    capacity: usize,
    opts: &DecodeOptions,
    special: SpecialTokens,
    clock: &mut StageClock,
) -> Result<Vec<Vec<u32>>> {
    let k = opts.num_beams;
    // transformers starts every beam but the first at −1e9, so while the first beam has 2k
    // candidates left after the bans, all of the first step's come from it: that step decodes one
    // row per sentence instead of k (the same start token, hence the same scores, in each).
    let first_alone =
        opts.max_length > 2 && model.vocab_size() > 2 * k + opts.banned_tokens.len() + 1;
    let first_rows = if first_alone { 1 } else { k };
    let mut encoded = if first_alone {
        encoded
    } else {
        let expand: Vec<u32> = (0..n as u32)
            .flat_map(|i| std::iter::repeat_n(i, k))
            .collect();
        encoded.select(&expand)?
    };
    let mut cache: DecoderCache = model.new_cache(n * first_rows, capacity)?;
    let mut items: Vec<BeamItem> = (0..n)
        .map(|_| BeamItem {
            running: (0..first_rows)
                .map(|b| (Vec::new(), if b == 0 { 0.0 } else { NEG_LARGE }))
                .collect(),
            finished: Vec::new(),
            improvable: true,
        })
        .collect();
    let mut outputs = vec![Vec::new(); n];
    let mut active: Vec<usize> = (0..n).collect();
    let mut tokens = vec![special.decoder_start; n * first_rows];
    let mut cur_len = 1;
    while !active.is_empty() {
        // Rows per sentence in this step: `first_rows` at the first, `k` after.
        let per_item = tokens.len() / active.len();
        let states = model.decode_hidden(&tokens, &encoded, &mut cache)?;
        check_finite(&states, cur_len, |r| {
            active.get(r / per_item).copied().unwrap_or(r)
        })?;
        clock.lap(|t| &mut t.decoder)?;
        let running: Vec<f32> = active
            .iter()
            .flat_map(|&i| items[i].running.iter().map(|r| r.1))
            .collect();
        let folded = match forced_now(opts, cur_len) {
            Some(_) => None,
            None => folded_candidates(
                model,
                &states,
                &running,
                per_item,
                &excluded(opts, cur_len, special.eos),
                2 * k,
            )?,
        };
        let (all_candidates, vocab) = match folded {
            Some(found) => found,
            None => {
                let logits = model.project(&states)?;
                let vocab = logits.vocab;
                let found = scored_candidates(logits, &running, per_item, cur_len, opts, special);
                (found, vocab)
            }
        };
        clock.lap(|t| &mut t.projection)?;
        let at_limit = cur_len + 1 >= opts.max_length;
        let mut next_rows = Vec::new();
        let mut next_tokens = Vec::new();
        let mut still_active = Vec::new();
        for ((slot, &item_index), candidates) in active.iter().enumerate().zip(all_candidates) {
            let item = &mut items[item_index];
            let hits = |token: u32| token == special.eos || at_limit;
            // Finished hypotheses may come only from the best `k` candidates.
            if item.improvable {
                let norm = (cur_len as f32).powf(opts.length_penalty);
                for &(index, score) in candidates.iter().take(k) {
                    let (b, token) = (index / vocab, (index % vocab) as u32);
                    if hits(token) {
                        let mut seq = item.running[b].0.clone();
                        seq.push(token);
                        insert_finished(&mut item.finished, seq, score / norm, k);
                    }
                }
            }
            let mut next: Vec<(usize, u32, f32)> = candidates
                .iter()
                .map(|&(index, score)| {
                    let token = (index % vocab) as u32;
                    let penalty = if hits(token) { NEG_LARGE } else { 0.0 };
                    (index / vocab, token, score + penalty)
                })
                .collect();
            sort_desc(&mut next, |c| c.2);
            next.truncate(k);
            item.running = next
                .iter()
                .map(|&(b, token, score)| {
                    let mut seq = item.running[b].0.clone();
                    seq.push(token);
                    (seq, score)
                })
                .collect();
            // transformers' `_check_early_stop_heuristic` with early_stopping=False.
            if item.finished.len() == k {
                let best_possible = item.running[0].1 / (cur_len as f32).powf(opts.length_penalty);
                let worst = item.finished.last().map_or(NEG_LARGE, |f| f.1);
                item.improvable &= best_possible > worst;
            }
            if at_limit || !item.improvable {
                outputs[item_index] = item
                    .finished
                    .first()
                    .map(|f| f.0.clone())
                    .unwrap_or_default();
            } else {
                still_active.push(item_index);
                for &(b, token, _) in &next {
                    next_rows.push((slot * per_item + b) as u32);
                    next_tokens.push(token);
                }
            }
        }
        cur_len += 1;
        if still_active.is_empty() {
            clock.lap(|t| &mut t.search)?;
            break;
        }
        cache.select(&next_rows)?;
        if still_active.len() < active.len() || per_item < k {
            encoded = encoded.select(&next_rows)?;
        }
        active = still_active;
        tokens = next_tokens;
        clock.lap(|t| &mut t.search)?;
    }
    Ok(outputs)
}

/// Per sentence, its candidates of a beam step, best first: (index over its rows × vocabulary,
/// score).
type StepCandidates = Vec<Vec<(usize, f32)>>;

/// Each sentence's `2k` best candidates (flat index over its rows × vocabulary, score) from
/// the full logits: every row normalised and processed, then [`top_k`]. `running` holds each row's
/// hypothesis score, `per_item` rows per sentence.
fn scored_candidates(
    logits: Logits,
    running: &[f32],
    per_item: usize,
    cur_len: usize,
    opts: &DecodeOptions,
    special: SpecialTokens,
) -> StepCandidates {
    let Logits {
        values: mut flat,
        vocab,
    } = logits;
    // Scoring every row (rows × vocabulary exponentials) and choosing each sentence's candidates
    // is the search's main cost: sentences in parallel.
    flat.par_chunks_mut(per_item * vocab)
        .zip(running.par_chunks(per_item))
        .map(|(rows, running)| {
            // transformers adds the running score after the processors; their bans (−∞) and
            // forced EOS are the same when applied after it, and the row is read once less.
            for (row, &score) in rows.chunks_mut(vocab).zip(running) {
                log_softmax_plus(row, score);
                process(row, cur_len, special.eos, opts, score);
            }
            top_k(rows, 2 * opts.num_beams)
        })
        .collect()
}

/// Tokens a row keeps beyond the `2k` a step chooses: the margin that lets
/// [`folded_candidates`] show that no token it dropped could have been chosen.
const SPARE: usize = 4;

/// What beam search keeps of a row of logits while the output projection runs: the largest
/// logit, `Σ e^(x − max)`, and the largest logits that are not excluded, best first (the lower
/// token first among equals).
struct RowTop {
    max: f32,
    sum: f64,
    best: Vec<(f32, u32)>,
}

impl RowTop {
    fn new(keep: usize) -> Self {
        Self {
            max: f32::NEG_INFINITY,
            sum: 0.0,
            best: Vec::with_capacity(keep + 1),
        }
    }

    /// Takes in the logits of tokens `first..`, keeping the best `keep`.
    fn add(&mut self, first: usize, values: &[f32], keep: usize, excluded: &[u32]) {
        let local = crate::kernels::vecmath::max(values);
        if local > self.max {
            // The sum so far was taken against the old maximum.
            self.sum *= f64::from(self.max - local).exp();
            self.max = local;
        }
        self.sum += crate::kernels::vecmath::sum_exp(values, self.max);
        let floor = |best: &[(f32, u32)]| {
            if best.len() == keep {
                best[keep - 1].0
            } else {
                f32::NEG_INFINITY
            }
        };
        if local > floor(&self.best) {
            for (token, &x) in (first as u32..).zip(values) {
                if x > floor(&self.best) && !excluded.contains(&token) {
                    let at = self.best.iter().position(|b| x > b.0);
                    self.best.insert(at.unwrap_or(self.best.len()), (x, token));
                    self.best.truncate(keep);
                }
            }
        }
    }

    /// One row from its parts, given in token order.
    fn join(parts: Vec<RowTop>, keep: usize) -> RowTop {
        let max = parts
            .iter()
            .map(|p| p.max)
            .fold(f32::NEG_INFINITY, f32::max);
        let sum = parts
            .iter()
            .filter(|p| p.sum != 0.0)
            .map(|p| p.sum * f64::from(p.max - max).exp())
            .sum();
        let mut best: Vec<(f32, u32)> = parts.into_iter().flat_map(|p| p.best).collect();
        // Stable: equal logits stay in token order.
        best.sort_by(|a, b| b.0.partial_cmp(&a.0).unwrap_or(Ordering::Equal));
        best.truncate(keep);
        RowTop { max, sum, best }
    }
}

/// [`scored_candidates`] without writing the logits (see [`Marian::project_fold`]): each row keeps
/// its normaliser and its best `2k + SPARE` tokens, which are scored as [`log_softmax_plus`] scores
/// them. A token a row dropped scores at most what the row's last kept one does; when that is
/// below each sentence's `2k`-th candidate, no dropped token could have been chosen. The
/// normaliser is summed panel by panel, rescaled as the maximum grows, so a score can differ from
/// the full row's in its last bit, as any other summation order would. `None` where the
/// projection does not fold or the proof fails (the caller then scores the full rows).
fn folded_candidates(
    model: &Marian,
    states: &DecoderStates,
    running: &[f32],
    per_item: usize,
    excluded: &[u32],
    wanted: usize,
) -> Result<Option<(StepCandidates, usize)>> {
    let keep = wanted + SPARE;
    let fold =
        |top: &mut RowTop, first: usize, values: &[f32]| top.add(first, values, keep, excluded);
    let Some(rows) = model.project_fold(states, || RowTop::new(keep), fold)? else {
        return Ok(None);
    };
    let vocab = model.vocab_size();
    let tops: Vec<RowTop> = rows.into_iter().map(|p| RowTop::join(p, keep)).collect();
    Ok(candidates_from_tops(&tops, running, per_item, vocab, wanted).map(|c| (c, vocab)))
}

/// The candidates of [`folded_candidates`] from the rows' summaries, or `None` where they cannot
/// be shown to equal those of the full rows.
fn candidates_from_tops(
    tops: &[RowTop],
    running: &[f32],
    per_item: usize,
    vocab: usize,
    wanted: usize,
) -> Option<StepCandidates> {
    let keep = wanted + SPARE;
    let mut all = Vec::with_capacity(running.len() / per_item.max(1));
    for (tops, running) in tops.chunks(per_item).zip(running.chunks(per_item)) {
        let mut candidates = Vec::with_capacity(per_item * keep);
        let mut floors = Vec::with_capacity(per_item);
        for (b, (top, &score)) in tops.iter().zip(running).enumerate() {
            if top.best.len() < keep || !(top.sum.is_finite() && top.sum > 0.0) {
                return None;
            }
            let log_sum = top.sum.ln() as f32;
            let scored = |x: f32| x - top.max - log_sum + score;
            candidates.extend(
                top.best
                    .iter()
                    .map(|&(x, token)| (b * vocab + token as usize, scored(x))),
            );
            floors.push(scored(top.best[keep - 1].0));
        }
        candidates.sort_by(|a, b| {
            b.1.partial_cmp(&a.1)
                .unwrap_or(Ordering::Equal)
                .then(a.0.cmp(&b.0))
        });
        candidates.truncate(wanted);
        let last = candidates[wanted - 1].1;
        if !floors.iter().all(|&f| f < last) {
            return None;
        }
        all.push(candidates);
    }
    Some(all)
}

/// Inserts a finished hypothesis, keeping the best `k`, best first.
fn insert_finished(finished: &mut Vec<(Vec<u32>, f32)>, seq: Vec<u32>, score: f32, k: usize) {
    let at = finished
        .iter()
        .position(|f| score > f.1)
        .unwrap_or(finished.len());
    if at < k {
        finished.insert(at, (seq, score));
        finished.truncate(k);
    }
}

/// Sorts best first; equal scores keep their order (lower index first, as a stable top-k).
fn sort_desc<T>(v: &mut [T], key: impl Fn(&T) -> f32) {
    v.sort_by(|a, b| key(b).total_cmp(&key(a)));
}

/// The `k` largest values of `scores` as (index, value), best first.
fn top_k(scores: &[f32], k: usize) -> Vec<(usize, f32)> {
    /// Once `k` are held, almost every block holds nothing better: one vector comparison per
    /// block skips it, where a loop that can leave at each element tests them one by one.
    const BLOCK: usize = 64;
    let mut best: Vec<(usize, f32)> = Vec::with_capacity(k + 1);
    for (start, block) in (0..).step_by(BLOCK).zip(scores.chunks(BLOCK)) {
        if best.len() == k {
            let worst = best[k - 1].1;
            if !block.iter().fold(false, |any, &x| any | (x > worst)) {
                continue;
            }
        }
        for (i, &x) in (start..).zip(block) {
            if best.len() == k && x <= best[k - 1].1 {
                continue;
            }
            let at = best.iter().position(|b| x > b.1).unwrap_or(best.len());
            best.insert(at, (i, x));
            best.truncate(k);
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn top_k_is_sorted_and_prefers_lower_index_on_ties() {
        let got = top_k(&[0.1, 0.5, 0.3, 0.5, -1.0], 3);
        assert_eq!(got, vec![(1, 0.5), (3, 0.5), (2, 0.3)]);
    }

    #[test]
    fn top_k_equals_a_full_sort_across_blocks() {
        // Few distinct values, so that ties fall inside and across the 64-element blocks.
        let scores: Vec<f32> = crate::kernels::test_util::pseudo_random(1000, 9)
            .iter()
            .map(|x| (x * 6.0).round())
            .collect();
        let mut want: Vec<(usize, f32)> = scores.iter().copied().enumerate().collect();
        want.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        for k in [1, 2, 8, 70] {
            assert_eq!(top_k(&scores, k), want[..k], "k = {k}");
        }
    }

    /// Options whose processors ban token 5 and, before three new tokens, EOS (0).
    fn banning_options() -> DecodeOptions {
        DecodeOptions {
            num_beams: 4,
            max_length: 50,
            length_penalty: 1.0,
            banned_tokens: vec![5],
            forced_eos: Some(0),
            min_new_tokens: 3,
        }
    }

    const SPECIAL: SpecialTokens = SpecialTokens {
        decoder_start: 1,
        eos: 0,
    };

    /// Folds each row as the projection would: parts of uneven width, panels of 16 within them.
    fn fold_rows<S>(
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

    #[test]
    fn folded_beam_rows_choose_what_the_full_rows_choose() {
        let (vocab, cur_len) = (300, 2);
        let opts = banning_options();
        let excluded = excluded(&opts, cur_len, SPECIAL.eos);
        assert_eq!(excluded, vec![5, 0]);
        let wanted = 2 * opts.num_beams;
        let keep = wanted + SPARE;
        let tops_of = |flat: &[f32]| -> Vec<RowTop> {
            fold_rows(
                flat,
                vocab,
                || RowTop::new(keep),
                |t, first, v| t.add(first, v, keep, &excluded),
            )
            .into_iter()
            .map(|parts| RowTop::join(parts, keep))
            .collect()
        };
        // Three sentences of four beams, then the first step's one row per sentence.
        for (per_item, running) in [(4, [0.0, -1.5, -2.0, -3.25].repeat(3)), (1, vec![0.0; 3])] {
            let mut flat: Vec<f32> =
                crate::kernels::test_util::pseudo_random(running.len() * vocab, 5)
                    .iter()
                    .map(|x| x * 8.0)
                    .collect();
            // The best logit of the first row is banned: it still counts in the normaliser.
            flat[5] = 20.0;
            let full = scored_candidates(
                Logits {
                    values: flat.clone(),
                    vocab,
                },
                &running,
                per_item,
                cur_len,
                &opts,
                SPECIAL,
            );
            let folded = candidates_from_tops(&tops_of(&flat), &running, per_item, vocab, wanted)
                .expect("distinct logits: the kept tokens decide");
            // The same tokens in the same order; the normaliser is summed in another order.
            assert_eq!(folded.len(), full.len());
            for (got, want) in folded.iter().zip(&full) {
                let tokens = |c: &[(usize, f32)]| c.iter().map(|x| x.0).collect::<Vec<_>>();
                assert_eq!(tokens(got), tokens(want), "{per_item} rows per sentence");
                for (g, w) in got.iter().zip(want) {
                    assert!(
                        (g.1 - w.1).abs() <= 1e-5 * w.1.abs().max(1.0),
                        "{g:?} vs {w:?}"
                    );
                }
            }
        }
        // Rows of equal logits: a dropped token ties the last candidate, so nothing is claimed.
        let flat = vec![0.5; 4 * vocab];
        assert_eq!(
            candidates_from_tops(&tops_of(&flat), &[0.0; 4], 4, vocab, wanted),
            None
        );
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

    #[test]
    fn processors_ban_pad_delay_eos_and_force_it_last() {
        let opts = DecodeOptions {
            num_beams: 1,
            max_length: 6,
            length_penalty: 1.0,
            banned_tokens: vec![3],
            forced_eos: Some(0),
            min_new_tokens: 2,
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
    fn finished_list_keeps_best_k() {
        let mut f = Vec::new();
        for (i, s) in [-3.0, -1.0, -2.0, -0.5].into_iter().enumerate() {
            insert_finished(&mut f, vec![i as u32], s, 3);
        }
        let scores: Vec<f32> = f.iter().map(|x| x.1).collect();
        assert_eq!(scores, vec![-0.5, -1.0, -2.0]);
    }
}
