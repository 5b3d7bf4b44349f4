//! Document formats whose prose carries inline markup: each is read into runs of prose as
//! [`crate::text::inline::Marked`] (plain text and the markup taken out of it) and written back
//! with every byte that is not translated text copied from the source.
//!
//! - [`html`]: HTML pages.

pub mod html;
