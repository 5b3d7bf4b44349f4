//! From sentences to translations: length-sorted batches under a token budget ([`batch`]), greedy
//! and beam search with transformers' semantics ([`decode`]; the strategies in `greedy` and
//! `beam`, what every step does in [`step`]), word alignment from the cross-attention
//! ([`align`]), and the [`translator::Translator`] that ties the tokenizer, the model and the
//! search together.
//!
//! This folder knows the model's interface ([`crate::marian`]) but nothing of documents, files or
//! the command line: it takes sentences and returns their translations in the same order. Of
//! [`crate::text`] it names only the alignment type that [`align`] fills in.

pub mod align;
pub mod batch;
mod beam;
pub mod decode;
mod greedy;
pub mod step;
#[cfg(test)]
mod testing;
pub mod translator;
