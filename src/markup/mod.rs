//! Document formats whose prose carries inline markup: each run of prose goes to the text path as
//! a [`crate::text::inline::Marked`], and every byte around it is kept. `subtitles` reads SubRip
//! and WebVTT.
//!
//! This folder knows the formats' syntax and nothing of models or files: its inputs and outputs
//! are strings, and the translation of the prose is the text path's business.

pub mod subtitles;
