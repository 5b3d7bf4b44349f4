//! terjemah: Indonesian → English machine translation with MarianMT (opus-mt-id-en) on candle.
//!
//! ```text
//! input lines ─► tokenizer ─► batch (length-sorted, token budget) ─► model (encode once)
//!             ─► decode (greedy / beam, per-step cache) ─► tokenizer (detokenize) ─► output lines
//! ```
//!
//! [`Translator`] is the library entry point; [`cli`] and [`pipeline`] drive it from the command line.

pub mod cli;
pub mod device;
pub mod files;
pub mod kernels;
pub mod marian;
pub mod pipeline;
pub mod search;
pub mod text;

pub use search::translator::{TranslateOptions, Translator};
