//! Length-sorted batches under a padded-token budget.
//!
//! Plain data, no tensors: a [`Batch`] lists which sentences travel together, so batching is testable
//! without a model. Sorting by length keeps padding low; each batch records the original indices so
//! results go back in input order.

/// Limits on one batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchLimits {
    /// Rows times the longest row, padding counted.
    pub max_tokens: usize,
    /// Rows per batch.
    pub max_sentences: usize,
}

/// Indices (into the caller's list) of sentences encoded and decoded together, longest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Batch {
    pub indices: Vec<usize>,
}

/// Groups sentences of the given token lengths into batches, longest sentences first. A sentence
/// longer than the budget on its own gets a batch of its own; every index appears exactly once.
pub fn plan(lengths: &[usize], limits: BatchLimits) -> Vec<Batch> {
    let mut order: Vec<usize> = (0..lengths.len()).collect();
    // Stable sort: equal lengths keep input order, which makes runs reproducible.
    order.sort_by_key(|&i| std::cmp::Reverse(lengths[i]));
    let mut batches = Vec::new();
    let mut current: Vec<usize> = Vec::new();
    for i in order {
        // Sorted longest first, so the batch's first sentence sets its padded width.
        let width = current.first().map_or(lengths[i], |&f| lengths[f]).max(1);
        let fits = (current.len() + 1) * width <= limits.max_tokens.max(1)
            && current.len() < limits.max_sentences.max(1);
        if !current.is_empty() && !fits {
            batches.push(Batch {
                indices: std::mem::take(&mut current),
            });
        }
        current.push(i);
    }
    if !current.is_empty() {
        batches.push(Batch { indices: current });
    }
    batches
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(max_tokens: usize, max_sentences: usize) -> BatchLimits {
        BatchLimits {
            max_tokens,
            max_sentences,
        }
    }

    #[test]
    fn every_index_once_and_budget_respected() {
        let lengths = [5, 1, 9, 3, 3, 7, 2, 8, 4, 6, 30];
        let batches = plan(&lengths, limits(20, 100));
        let mut seen: Vec<usize> = batches.iter().flat_map(|b| b.indices.clone()).collect();
        seen.sort();
        assert_eq!(seen, (0..lengths.len()).collect::<Vec<_>>());
        for b in &batches {
            let width = b.indices.iter().map(|&i| lengths[i]).max().unwrap();
            assert!(
                b.indices.len() * width <= 20 || b.indices.len() == 1,
                "{b:?}"
            );
        }
        assert_eq!(
            batches[0].indices,
            vec![10],
            "the over-long sentence travels alone"
        );
    }

    #[test]
    fn sorted_longest_first_with_stable_ties() {
        let batches = plan(&[2, 4, 2, 4], limits(100, 100));
        assert_eq!(
            batches,
            vec![Batch {
                indices: vec![1, 3, 0, 2]
            }]
        );
    }

    #[test]
    fn sentence_limit_applies() {
        let batches = plan(&[1; 5], limits(100, 2));
        let sizes: Vec<usize> = batches.iter().map(|b| b.indices.len()).collect();
        assert_eq!(sizes, vec![2, 2, 1]);
    }

    #[test]
    fn empty_input_gives_no_batches() {
        assert!(plan(&[], limits(10, 10)).is_empty());
    }
}
