//! `--report FILE.jsonl`: what an editor reviews before publishing. One JSON object per segment of
//! every document, in document order: each model input with its translation, each label written
//! from the table, each protected span (names, credits, datelines, codes, page chrome) and each
//! passage passed through as another language; and one object per file that failed.
//!
//! A segment's object: `file`, `line` (1-based; in JSON Lines, the object's line), `source`,
//! `output` (what was written for it), `decision` (`translated`, `passed-through`, `label`,
//! `protected`), `language` (for `passed-through`), `warnings` (a list, see
//! [`crate::text::reassemble::check_translation`]) and, for a translation that ran on and was
//! translated again with repetition blocked, `retry` (`kept` or `rejected`); and, where the run
//! carried markup by word alignment (HTML, subtitles, Markdown with inline syntax), `alignment`
//! in Pharaoh format (`0-0 1-2`: source word, English word, counted from 0 over whitespace).
//!
//! The report is held in memory and written atomically when the run ends, so that a failed run
//! leaves no half report.

use std::cell::RefCell;
use std::path::{Path, PathBuf};

use anyhow::Result;
use serde_json::{json, Value};

use crate::files::write_atomic;
use crate::text::alignment::WordAlignment;
use crate::text::document::{Decision, Document};
use crate::text::reassemble::Warning;

/// The report of one run.
pub struct Report {
    path: PathBuf,
    lines: RefCell<String>,
}

/// What the model gave for one model input, after any retry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Translation {
    pub text: String,
    pub warning: Option<Warning>,
    pub retry: Option<Retry>,
    /// Word alignment of the source with `text`, when the run asked the model for one.
    pub alignment: Option<WordAlignment>,
}

/// The outcome of translating a segment again because its first translation ran on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retry {
    /// The second translation had no warning and replaced the first.
    Kept,
    /// The second translation was no better; the first was kept, with its warning.
    Rejected,
}

impl Report {
    pub fn new(path: &Path) -> Self {
        Report {
            path: path.to_owned(),
            lines: RefCell::default(),
        }
    }

    fn push(&self, entry: Value) {
        let mut lines = self.lines.borrow_mut();
        lines.push_str(&entry.to_string());
        lines.push('\n');
    }

    /// A file (or a whole run) that was not translated.
    pub fn failure(&self, error: &str) {
        self.push(json!({ "error": error }));
    }

    /// Every segment of `document`, given the translations of its model inputs. `line` replaces
    /// the segments' own lines (a JSON Lines object's line).
    pub fn document(
        &self,
        file: &str,
        document: &Document,
        translations: &[Translation],
        line: Option<usize>,
    ) {
        for segment in document.segments() {
            let line = line.unwrap_or(segment.line);
            let source = segment.source.as_str();
            let entry = match &segment.decision {
                Decision::Translated { input } => {
                    self.translation(file, line, source, &translations[*input]);
                    continue;
                }
                Decision::PassedThrough { language } => {
                    self.passed_through(file, line, source, language);
                    continue;
                }
                Decision::Label { written } => json!({
                    "file": file, "line": line, "source": source, "output": written,
                    "decision": "label", "warnings": [],
                }),
                Decision::Protected => json!({
                    "file": file, "line": line, "source": source, "output": source,
                    "decision": "protected", "warnings": [],
                }),
            };
            self.push(entry);
        }
    }

    /// A segment kept as it is because it is in `language`.
    pub fn passed_through(&self, file: &str, line: usize, source: &str, language: &str) {
        self.push(json!({
            "file": file, "line": line, "source": source, "output": source,
            "decision": "passed-through", "language": language, "warnings": [],
        }));
    }

    /// One model input and its translation.
    pub fn translation(&self, file: &str, line: usize, source: &str, translation: &Translation) {
        let warnings: Vec<String> = translation.warning.iter().map(Warning::to_string).collect();
        let mut entry = json!({
            "file": file, "line": line, "source": source, "output": translation.text,
            "decision": "translated", "warnings": warnings,
        });
        if let Some(alignment) = &translation.alignment {
            entry["alignment"] = json!(alignment.pharaoh());
        }
        if let Some(retry) = translation.retry {
            entry["retry"] = json!(match retry {
                Retry::Kept => "kept",
                Retry::Rejected => "rejected",
            });
        }
        self.push(entry);
    }

    pub fn write(&self) -> Result<()> {
        write_atomic(&self.path, self.lines.borrow().as_bytes())
    }
}
