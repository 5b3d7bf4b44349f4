//! terjemah: Indonesian → English machine translation with MarianMT (opus-mt-id-en) on candle.
//!
//! ```text
//! input lines ─► tokenizer ─► batch (length-sorted, token budget) ─► model (encode once)
//!             ─► decode (greedy / beam, per-step cache) ─► tokenizer (detokenize) ─► output lines
//! ```
//!
//! [`Translator`] is the library entry point; [`cli`] and [`pipeline`] drive it from the command line.

pub mod batch;
pub mod buffers;
pub mod cli;
pub mod config;
pub mod decode;
pub mod device;
pub mod document;
pub mod files;
pub mod hub;
pub mod int8;
pub mod model;
pub mod packed;
pub mod pipeline;
pub mod plan;
pub mod pth;
pub mod reassemble;
pub mod segment;
#[cfg(test)]
mod test_util;
pub mod tokenizer;
pub mod translator;
pub mod vecmath;
pub mod weights;

pub use translator::{TranslateOptions, Translator};
