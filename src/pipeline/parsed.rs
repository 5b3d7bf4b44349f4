//! An input document as read for translation: text (plain or Markdown), or a page whose prose
//! carries inline markup (HTML, subtitles), cut into units that each read as a paragraph of
//! text; and how each kind gets its English back from the translations of its model inputs.

use std::path::Path;

use anyhow::{anyhow, Result};

use super::Format;
use crate::markup::html::HtmlPage;
use crate::markup::subtitles::{SubtitleKind, Subtitles};
use crate::report::Translation;
use crate::text::alignment::{words, WordAlignment};
use crate::text::document::{Document, DocumentOptions};
use crate::text::inline;
use crate::text::reassemble::{reassemble, reassemble_aligned};

/// What a document is read as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Text,
    Markdown,
    Html,
    Srt,
    Vtt,
}

impl Kind {
    /// `--input-format` decides where it names a document format; otherwise the file's
    /// extension: `.md`/`.markdown`, `.html`/`.htm`, `.srt`, `.vtt`, anything else text.
    pub(super) fn of(format: Format, path: Option<&Path>) -> Kind {
        match format {
            Format::Markdown => return Kind::Markdown,
            Format::Html => return Kind::Html,
            Format::Srt => return Kind::Srt,
            Format::Vtt => return Kind::Vtt,
            Format::Text | Format::Lines | Format::Jsonl => {}
        }
        let ext = path
            .and_then(Path::extension)
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase);
        match ext.as_deref() {
            Some("md" | "markdown") => Kind::Markdown,
            Some("html" | "htm") => Kind::Html,
            Some("srt") => Kind::Srt,
            Some("vtt") => Kind::Vtt,
            _ => Kind::Text,
        }
    }
}

pub(super) enum Parsed {
    Text(Document),
    Markup {
        page: Page,
        /// One per unit of the page, in its order.
        documents: Vec<Document>,
    },
}

pub(super) enum Page {
    Html(HtmlPage),
    Subtitles(Subtitles),
}

impl Page {
    fn units(&self) -> &[inline::Marked] {
        match self {
            Page::Html(p) => p.units(),
            Page::Subtitles(s) => s.units(),
        }
    }

    fn render(&self, rendered: &[String]) -> String {
        match self {
            Page::Html(p) => p.render(rendered),
            Page::Subtitles(s) => s.render(rendered),
        }
    }
}

impl Parsed {
    /// Reads `text` (the contents of `name`) as `kind`; a page that cannot be read is an error
    /// naming it. `opts` are the text rules, applied to every unit of a page too.
    pub(super) fn parse(
        text: &str,
        kind: Kind,
        name: &str,
        opts: &DocumentOptions,
    ) -> Result<Parsed> {
        let page = match kind {
            Kind::Text | Kind::Markdown => {
                let opts = DocumentOptions {
                    markdown: kind == Kind::Markdown,
                    ..opts.clone()
                };
                return Ok(Parsed::Text(Document::parse(text, &opts)));
            }
            Kind::Html => {
                HtmlPage::decode(text.as_bytes()).map_err(|e| anyhow!("{name}: {e}"))?;
                Page::Html(HtmlPage::parse(text))
            }
            Kind::Srt | Kind::Vtt => {
                let sub = if kind == Kind::Srt {
                    SubtitleKind::Srt
                } else {
                    SubtitleKind::Vtt
                };
                Page::Subtitles(Subtitles::parse(text, sub).map_err(|e| anyhow!("{name}: {e}"))?)
            }
        };
        let documents = inline::documents(page.units(), opts);
        Ok(Parsed::Markup { page, documents })
    }

    /// The documents whose model inputs are translated, in order.
    pub(super) fn documents(&self) -> &[Document] {
        match self {
            Parsed::Text(d) => std::slice::from_ref(d),
            Parsed::Markup { documents, .. } => documents,
        }
    }

    /// Whether its markup is put back by word alignment.
    pub(super) fn needs_alignment(&self) -> bool {
        match self {
            Parsed::Text(d) => d.needs_alignment(),
            Parsed::Markup { .. } => true,
        }
    }

    /// The English, from each document's translations (as [`Self::documents`] orders them).
    pub(super) fn english(&self, translations: &[&[Translation]]) -> String {
        match self {
            Parsed::Text(d) if !d.needs_alignment() => {
                let texts: Vec<String> = translations[0].iter().map(|t| t.text.clone()).collect();
                reassemble(d, &texts)
            }
            Parsed::Text(d) => reassemble_aligned(d, &aligned(d, translations[0])),
            Parsed::Markup { page, documents } => {
                let rendered: Vec<String> = page
                    .units()
                    .iter()
                    .zip(documents)
                    .zip(translations)
                    .map(|((unit, doc), t)| inline::render(unit, doc, &aligned(doc, t)))
                    .collect();
                page.render(&rendered)
            }
        }
    }
}

/// Each translation with its alignment; one the model gave none for is aligned in order.
fn aligned(doc: &Document, translations: &[Translation]) -> Vec<(String, WordAlignment)> {
    doc.model_inputs()
        .iter()
        .zip(translations)
        .map(|(input, t)| {
            let alignment = t.alignment.clone().unwrap_or_else(|| {
                WordAlignment::monotone(words(input).len(), words(&t.text).len())
            });
            (t.text.clone(), alignment)
        })
        .collect()
}
