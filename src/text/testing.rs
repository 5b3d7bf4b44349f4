//! Helpers shared by the text modules' unit tests.

use super::document::{Document, DocumentOptions};

/// The model inputs of `text` parsed with the default options.
pub(super) fn inputs(text: &str) -> Vec<String> {
    Document::parse(text, &DocumentOptions::default())
        .model_inputs()
        .to_vec()
}

/// The model inputs of `text` parsed as Markdown.
pub(super) fn md_inputs(text: &str) -> Vec<String> {
    let opts = DocumentOptions {
        markdown: true,
        ..DocumentOptions::default()
    };
    Document::parse(text, &opts).model_inputs().to_vec()
}
