//! Document formats whose prose carries inline markup: each is read into runs of prose as
//! [`crate::text::inline::Marked`] (plain text and the markup taken out of it), which the text
//! path translates, and written back with every byte that is not translated text copied from the
//! source.
//!
//! - [`html`]: HTML pages.
//! - [`subtitles`]: SubRip and WebVTT.
//!
//! This folder knows the formats' syntax and nothing of models or files: its inputs and outputs
//! are strings.

pub mod html;
pub mod subtitles;
