//! Inline markup carried across a translation by word alignment: one mechanism for HTML tags,
//! subtitle styling and Markdown emphasis and links.
//!
//! A format hands over each run of prose as a [`Marked`]: the plain text the model may see, and
//! the markup taken out of it as [`Mark`]s over that text. The plain text is translated whole, so
//! a link or a bold word no longer cuts its sentence in pieces, and [`transfer`] then writes the
//! markup into the English where the alignment says its words went.

use std::ops::Range;

use super::alignment::WordAlignment;

/// A run of prose with its inline markup taken out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Marked {
    /// The text to translate: no markup, no line breaks.
    pub plain: String,
    /// In source order (the order their text appears in the source), which is also the order
    /// in which marks at the same place are written back.
    pub marks: Vec<Mark>,
}

/// Markup taken out of [`Marked::plain`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mark {
    /// Paired markup around `plain[range]`: `open` is written before the first English word
    /// aligned to its words, `close` after the last. Spans given by a format nest properly.
    Span {
        range: Range<usize>,
        open: String,
        close: String,
    },
    /// Markup at one point of the plain text, never translated: a void element (`<img>`,
    /// `<br>`), inline code, a `translate="no"` element, a subtitle cue boundary. It is written
    /// next to the English word aligned to the source word it touches: glued to the word before
    /// it when `at` is the end of a word, else glued to the word after it.
    Point { at: usize, text: String },
    /// A whitespace run of the source that the plain text has as one space at `at` (a line
    /// break and indentation in HTML source). Written instead of the English space at the same
    /// aligned gap, and left out where the English has no space there: it is layout, not text.
    Space { at: usize, text: String },
}

// PLANNED API (being implemented on main by the lead; helpers code against these signatures):
//
// /// Each unit's plain text parsed by the text path's rules (segmentation, quotes, labels, credits,
// /// passthrough of chrome, codes and English), as one paragraph.
// pub fn documents(units: &[Marked], opts: &DocumentOptions) -> Vec<Document>;
//
// /// The unit's English with its markup put back: `translations[i]` is model input i of `doc`
// /// (its English and the word alignment between input i and that English).
// pub fn render(unit: &Marked, doc: &Document, translations: &[(String, WordAlignment)]) -> String;
//
// /// Every unit rendered with each model input as its own translation and the identity alignment:
// /// what the round-trip tests compare with the source.
// pub fn untranslated(units: &[Marked], opts: &DocumentOptions) -> Vec<String>;
//
// /// The markup of `unit` written into `english` by `alignment` (plain words → English words).
// pub fn transfer(unit: &Marked, english: &str, alignment: &WordAlignment) -> String;
