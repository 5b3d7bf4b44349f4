//! terjemah: Indonesian → English machine translation with MarianMT (opus-mt-id-en) on candle.
//!
//! ```text
//! Args ─► Config ─► Input ─► Document ─► Segment ─► Batch ─► Translation ─► reassemble ─► output
//!  cli      cli      files     text        text      search   search+marian    text        files
//! ```
//!
//! - [`cli`]: clap arguments → the pipeline's validated config.
//! - [`pipeline`]: the only module that knows the stage order; folder runs, streamed line runs
//!   that resume after a crash, progress, reports.
//! - [`report`]: `--report`, one JSON object per segment and its decision.
//! - [`device`]: where the model runs and in what precision.
//! - [`files`]: inputs read and checked as text, outputs written whole, a run planned first.
//! - [`text`]: documents as text (no tensors): segmentation, protected spans, labels, Markdown,
//!   reassembly.
//! - [`markup`]: formats whose prose carries inline markup (HTML pages, SRT and WebVTT
//!   subtitles), read into units of prose for `text` and written back around their translations.
//! - [`search`]: batches, greedy and beam search, and the [`Translator`].
//! - [`marian`]: the model as the hub publishes it: files, config, tokenizer, weights, graph.
//! - [`kernels`]: hand-written CPU code that knows nothing of Marian.
//!
//! Dependencies point down only: `cli → pipeline → text, search → marian → kernels`, with
//! `files` and `device` below what uses them, and `search → text` for the word alignment type
//! ([`text::alignment::WordAlignment`]) alone (checked by `tests/layout.rs`). [`Translator`] is
//! the library entry point.

pub mod cli;
pub mod device;
pub mod files;
pub mod kernels;
pub mod marian;
pub mod markup;
pub mod pipeline;
pub mod report;
pub mod search;
pub mod text;

pub use search::translator::{AlignedTranslation, TranslateOptions, Translator};
