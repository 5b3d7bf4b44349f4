//! Documents as text: what a source document is cut into, and how the translations go back.
//!
//! [`document`] parses a document (plain text or Markdown) into model inputs and a plan of the
//! source bytes around them, applying the rules of the private modules in order: `lines` (lines,
//! their kinds, hard-wrapped paragraphs, ALL-CAPS casing), `spans` (what inside a sentence is
//! never sent: quote marks, URLs, placeholders), `labels` (labels, credits, datelines and page
//! chrome, by table), `split` (overlong inputs cut at clauses) and `markdown` (Markdown read by
//! pulldown-cmark, its prose sent through the same rules, a sentence with inline markup whole as
//! an [`inline`] unit). [`segment`] cuts prose into sentences;
//! [`reassemble`] puts the translations back in place and checks them.
//!
//! This folder knows nothing of tensors, tokens, models or files: its inputs and outputs are
//! strings, so every rule here is testable with the source as its own translation (`properties`,
//! the folder's property tests).

pub mod alignment;
#[cfg(test)]
mod commonmark;
pub mod document;
pub mod inline;
mod labels;
pub mod language;
mod lines;
mod markdown;
#[cfg(test)]
mod properties;
pub mod reassemble;
pub mod segment;
mod spans;
mod split;
#[cfg(test)]
mod testing;
