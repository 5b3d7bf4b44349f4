//! Documents as text: what a source document is cut into, and how the translations go back.
//!
//! [`document`] parses a document (plain text or Markdown) into model inputs and a plan of the
//! source bytes around them; [`segment`] cuts prose into sentences; [`reassemble`] puts the
//! translations back in place and checks them. This folder knows nothing of tensors, tokens,
//! models or files: its inputs and outputs are strings, so every rule here is testable with the
//! source as its own translation.

pub mod document;
pub mod reassemble;
pub mod segment;
