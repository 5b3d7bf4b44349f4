//! Beam search with transformers' bookkeeping: `2·beams` candidates per sentence a step, the
//! finished hypotheses kept best-first with the length penalty, and its stopping heuristic
//! (`early_stopping=False`). On the CPU in f32 each row's candidates are chosen while the output
//! projection runs, with a check that no dropped token could have been chosen.

use std::cmp::Ordering;

use anyhow::Result;
use rayon::prelude::*;

use crate::marian::cache::{DecoderCache, DecoderStates, Encoded, Logits};
use crate::marian::config::DecodeOptions;
use crate::marian::model::Marian;

use super::decode::Generation;
use super::step::{
    check_finite, excluded, forced_now, log_softmax_plus, process, Search, SpecialTokens,
    StageClock, NEG_LARGE,
};

/// One sentence's beam search state. A hypothesis carries its attention rows with its tokens, so
/// that reorders and finished hypotheses keep their own.
struct BeamItem {
    /// Running hypotheses and scores, best first.
    running: Vec<(Generation, f32)>,
    /// Finished hypotheses (length-normalised score), best first, at most `num_beams`.
    finished: Vec<(Generation, f32)>,
    /// transformers' `is_early_stop_heuristic_unsatisfied`.
    improvable: bool,
}

pub(super) fn beam(
    search: &Search,
    encoded: Encoded,
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
                .map(|b| (Generation::default(), if b == 0 { 0.0 } else { NEG_LARGE }))
                .collect(),
            finished: Vec::new(),
            improvable: true,
        })
        .collect();
    let mut outputs = vec![Generation::default(); n];
    let mut active: Vec<usize> = (0..n).collect();
    let mut tokens = vec![special.decoder_start; n * first_rows];
    let mut cur_len = 1;
    while !active.is_empty() {
        // Rows per sentence in this step: `first_rows` at the first, `k` after.
        let per_item = tokens.len() / active.len();
        let (states, attention) = search.decode(&tokens, &encoded, &mut cache)?;
        // The attention row of this step's row `r`, when it is kept.
        let row = |r: usize| attention.as_ref().map(|a| a.row(r));
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
                        let seq = extended(&item.running[b].0, token, row(slot * per_item + b));
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
                    let seq = extended(&item.running[b].0, token, row(slot * per_item + b));
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

/// `hypothesis` followed by `token`, with its step's attention row if one is kept.
fn extended(hypothesis: &Generation, token: u32, row: Option<&[f32]>) -> Generation {
    let mut next = hypothesis.clone();
    next.ids.push(token);
    if let Some(row) = row {
        next.attention.push(row.to_vec());
    }
    next
}

/// Per sentence, its candidates of a beam step, best first: (index over its rows × vocabulary,
/// score).
type StepCandidates = Vec<Vec<(usize, f32)>>;

/// Each sentence's `2k` best candidates (flat index over its rows × vocabulary, score) from
/// the full logits: every row normalised and processed, then [`top_k`]. `running` holds each row's
/// hypothesis score, `per_item` rows per sentence.
pub(super) fn scored_candidates(
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
pub(super) const SPARE: usize = 4;

/// What beam search keeps of a row of logits while the output projection runs: the largest
/// logit, `Σ e^(x − max)`, and the largest logits that are not excluded, best first (the lower
/// token first among equals).
pub(super) struct RowTop {
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
pub(super) fn candidates_from_tops(
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
pub(super) fn insert_finished<T>(finished: &mut Vec<(T, f32)>, seq: T, score: f32, k: usize) {
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
pub(super) fn top_k(scores: &[f32], k: usize) -> Vec<(usize, f32)> {
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
    use crate::search::testing::{banning_options, fold_rows, SPECIAL};

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

    #[test]
    fn finished_list_keeps_best_k() {
        let mut f = Vec::new();
        for (i, s) in [-3.0, -1.0, -2.0, -0.5].into_iter().enumerate() {
            insert_finished(&mut f, vec![i as u32], s, 3);
        }
        let scores: Vec<f32> = f.iter().map(|x| x.1).collect();
        assert_eq!(scores, vec![-0.5, -1.0, -2.0]);
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
}
