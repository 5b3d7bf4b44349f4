//! Parses a source document into model inputs and a plan for putting their translations back.
//!
//! The text is cut into lines. Each line keeps its indentation, trailing whitespace and line
//! terminator (LF, CRLF or none) as source bytes, and so do blank lines. Inside a line, what the
//! model must not see or change is kept as source bytes too: placeholders (`[iklan_2]`), URLs,
//! e-mail addresses, hashtags and mentions, text without letters (`***`, `2024`, `12.30 WIB`),
//! datelines (`JAKARTA, KOMPAS.com —`), every double-quote mark, and the names after labels and
//! in credits (`Sumber: …`, `… Foto: KCNA`), whose labels are translated by the `LABELS` table
//! instead of by the model. The rest is cut into sentences by [`super::segment::split`], then at
//! quote marks and protected spans, then at clause boundaries where longer than
//! [`DocumentOptions::max_input_chars`]; each remaining piece is one model input. Hard-wrapped
//! paragraphs are joined before this and re-wrapped afterwards; ALL-CAPS text is sent in
//! sentence case and upper-cased afterwards.
//!
//! With [`DocumentOptions::markdown`], the document is read by pulldown-cmark and its syntax is
//! kept as source bytes too (the `markdown` module); a run of prose with inline markup (emphasis,
//! links, code spans) is translated whole as one unit whose markup is written back by word
//! alignment ([`Document::needs_alignment`]).
//!
//! The rules live by concern: `lines` (lines, kinds, hard wraps, casing), `spans` (protected
//! spans), `labels` (labels, credits, datelines), `split` (long inputs) and `markdown`; this
//! module holds the types and the parser that applies them in order.
//!
//! This module does not translate and does not build the output: [`crate::text::reassemble`] does.

use super::inline::Marked;
use super::labels::{
    dateline_len, is_name_like, is_time_like, label_case, match_label_at, trailing_credit, Rest,
};
use super::language;
use super::lines::{
    classify, is_all_caps, joins_next, list_marker_len, sentence_case, split_lines, wrapped_len,
    Kind, Line, TABLE_SEPARATORS,
};
use super::spans::{
    is_line_break, is_quote, quote_mark_len, trailing_code, unmatched_brackets, Tokens,
};
use super::split::split_long;

/// Options for [`Document::parse`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentOptions {
    /// Longest model input, in characters; a longer sentence is split at clause boundaries
    /// (`; `, `, `, conjunctions, then any space), never truncated. Default 600.
    pub max_input_chars: usize,
    /// Translate labels and credit labels by table (`Sumber:` → `Source:`, `Foto: KCNA` →
    /// `Photo: KCNA`). When off they stay as in the source. Default on.
    pub translate_labels: bool,
    /// Join hard-wrapped paragraphs for translation and re-wrap the English over the same lines.
    /// Default on.
    pub unwrap_paragraphs: bool,
    /// The document is Markdown: prose is translated and the syntax kept byte for byte (code
    /// blocks, HTML blocks, front matter, line prefixes such as `#`, `>`, `- `, table pipes,
    /// code spans, link targets, emphasis markers). See the module documentation. Default off.
    pub markdown: bool,
    /// Keep sentences that are confidently not Indonesian as they are ([`super::language`]):
    /// opus-mt-id-en garbles English. Default on.
    pub pass_through_foreign: bool,
}

impl Default for DocumentOptions {
    fn default() -> Self {
        DocumentOptions {
            max_input_chars: 600,
            translate_labels: true,
            unwrap_paragraphs: true,
            markdown: false,
            pass_through_foreign: true,
        }
    }
}

/// A parsed source document: the strings to translate and how to put their translations back
/// (see [`crate::text::reassemble::reassemble`]). Owns copies of the source text it needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    blocks: Vec<Block>,
    inputs: Vec<String>,
    segments: Vec<Segment>,
}

/// A piece of source text with letters and what the parser decided for it: what `--report`
/// lists, one object each, for an editor to review.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    /// The 1-based line of the document the text starts on.
    pub line: usize,
    /// The source text (for a model input, exactly what the model is given).
    pub source: String,
    pub decision: Decision,
}

/// What became of a [`Segment`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Sent to the model as this model input.
    Translated { input: usize },
    /// Confidently in another language (ISO 639-1 code): kept as it is.
    PassedThrough { language: &'static str },
    /// Written from the label table (or kept, when labels are not translated).
    Label { written: String },
    /// Kept as it is: names after a label, a credit's name, a dateline, a line of codes or page
    /// chrome.
    Protected,
}

/// A run of output: either pieces written one after the other, or a hard-wrapped paragraph.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Block {
    /// Pieces written in order; line breaks are inside `Keep` pieces.
    Flow(Vec<Piece>),
    /// A paragraph translated as one text and spread over the source's lines.
    Wrapped {
        pieces: Vec<Piece>,
        lines: Vec<WrappedLine>,
        /// Markdown: no line of the re-wrapped English may start with block syntax (`- `,
        /// `# `, `1. `, `> `…) where the reassembler can avoid it.
        markdown: bool,
    },
}

/// One source line of a hard-wrapped paragraph.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct WrappedLine {
    /// Indentation, written before the line's English.
    pub(crate) head: String,
    /// Trailing whitespace and line terminator, written after it.
    pub(crate) tail: String,
    /// Characters of source text on the line, which sets its share of the English.
    pub(crate) chars: usize,
}

/// Part of a block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Piece {
    /// Written as is: source bytes, or a label already translated by table.
    Keep(String),
    /// The translation of model input `input`.
    Model {
        input: usize,
        /// The source was ALL-CAPS: the input is in sentence case, the output is upper-cased.
        upper: bool,
        /// The input starts with a lower-case letter (it continues a sentence, as an
        /// attribution after a quote does), so the output should too.
        continuation: bool,
    },
    /// A run of Markdown inline content translated as one text, its markup written back into
    /// the English by word alignment ([`super::inline::render`]).
    Unit {
        unit: Marked,
        /// The unit's plain text read by the text rules ([`super::inline::documents`]).
        doc: Document,
        /// Its model inputs are the outer document's from this one on, in order.
        first: usize,
    },
}

impl Block {
    /// A hard-wrapped paragraph: `pieces` translated as one text and spread over the source
    /// `lines`, keeping each line's indentation and terminator.
    pub(super) fn wrapped(pieces: Vec<Piece>, lines: &[Line], markdown: bool) -> Block {
        let lines = lines
            .iter()
            .map(|l| WrappedLine {
                head: l.indent.to_owned(),
                tail: l.tail.to_owned(),
                chars: l.content.chars().count(),
            })
            .collect();
        Block::Wrapped {
            pieces,
            lines,
            markdown,
        }
    }
}

impl Document {
    /// Parses `text`. Never fails: what cannot be recognised is translated as prose, and what
    /// has no letters is kept as it is.
    pub fn parse(text: &str, opts: &DocumentOptions) -> Document {
        let mut parser = Parser {
            opts,
            inputs: Vec::new(),
            segments: Vec::new(),
            origins: vec![Origin::of_text(text)],
        };
        let mut blocks = Vec::new();
        let mut flow = Vec::new();
        let body = match text.strip_prefix('\u{feff}') {
            Some(rest) => {
                keep(&mut flow, "\u{feff}");
                rest
            }
            None => text,
        };
        if opts.markdown {
            parser.markdown(body, &mut blocks, &mut flow);
        } else {
            parser.lines(body, &mut blocks, &mut flow);
        }
        if !flow.is_empty() {
            blocks.push(Block::Flow(flow));
        }
        Document {
            blocks,
            inputs: parser.inputs,
            segments: parser.segments,
        }
    }

    /// The strings to translate, in document order; none is empty or whitespace-only, and none
    /// contains a double-quote mark or a line break.
    pub fn model_inputs(&self) -> &[String] {
        &self.inputs
    }

    /// Every decision the parser took, in document order: each model input once, with the
    /// labels and protected text between them.
    pub fn segments(&self) -> &[Segment] {
        &self.segments
    }

    /// Whether some text is translated with its inline markup taken out (Markdown emphasis,
    /// links, code spans): its translations should come with word alignments
    /// ([`crate::text::reassemble::reassemble_aligned`]).
    pub fn needs_alignment(&self) -> bool {
        self.blocks.iter().any(|b| {
            let (Block::Flow(pieces) | Block::Wrapped { pieces, .. }) = b;
            pieces.iter().any(|p| matches!(p, Piece::Unit { .. }))
        })
    }

    pub(crate) fn blocks(&self) -> &[Block] {
        &self.blocks
    }
}

/// Line numbers for slices of one string that the parser reads: the document, or a paragraph
/// joined from several of its lines. A slice is placed by its address, so that the rules, which
/// pass `&str`s around, need not carry offsets.
pub(super) struct Origin {
    start: usize,
    end: usize,
    /// (offset in the string, line of the document that offset starts), sorted by offset.
    lines: Vec<(usize, usize)>,
}

impl Origin {
    /// The document itself: a line starts after each `\n`.
    fn of_text(text: &str) -> Origin {
        let starts = std::iter::once(0).chain(text.match_indices('\n').map(|(i, _)| i + 1));
        Origin::of(text, starts.zip(1..).collect())
    }

    pub(super) fn of(text: &str, lines: Vec<(usize, usize)>) -> Origin {
        let start = text.as_ptr() as usize;
        Origin {
            start,
            end: start + text.len(),
            lines,
        }
    }

    fn line(&self, s: &str) -> Option<usize> {
        let at = s.as_ptr() as usize;
        if !(self.start..=self.end).contains(&at) {
            return None;
        }
        let i = self
            .lines
            .partition_point(|&(offset, _)| offset <= at - self.start);
        self.lines.get(i.checked_sub(1)?).map(|&(_, line)| line)
    }
}

/// Appends source bytes, merging with a preceding `Keep`.
pub(super) fn keep(out: &mut Vec<Piece>, s: &str) {
    if s.is_empty() {
        return;
    }
    match out.last_mut() {
        Some(Piece::Keep(k)) => k.push_str(s),
        _ => out.push(Piece::Keep(s.to_owned())),
    }
}

pub(super) struct Parser<'o> {
    pub(super) opts: &'o DocumentOptions,
    pub(super) inputs: Vec<String>,
    pub(super) segments: Vec<Segment>,
    /// Innermost last: the document, then a joined paragraph being parsed.
    pub(super) origins: Vec<Origin>,
}

impl Parser<'_> {
    /// The document line that `s`, a slice of the text being parsed, starts on.
    pub(super) fn line_of(&self, s: &str) -> usize {
        self.origins
            .iter()
            .rev()
            .find_map(|o| o.line(s))
            .unwrap_or(1)
    }

    fn record(&mut self, s: &str, decision: Decision) {
        self.segments.push(Segment {
            line: self.line_of(s),
            source: s.to_owned(),
            decision,
        });
    }

    /// Keeps source bytes that hold words on purpose (names, credits, codes), and records them.
    pub(super) fn protect(&mut self, out: &mut Vec<Piece>, s: &str) {
        // A credit's name is kept with the `:` after its label; the report shows the name.
        let lead = s.len()
            - s.trim_start_matches(|c: char| c.is_whitespace() || c == ':')
                .len();
        let words = s[lead..].trim_end();
        if words.chars().any(char::is_alphabetic) {
            self.record(words, Decision::Protected);
        }
        keep(out, s);
    }

    /// A plain-text document, line by line: blank and untranslatable lines are kept, runs of
    /// hard-wrapped lines joined.
    fn lines(&mut self, body: &str, blocks: &mut Vec<Block>, flow: &mut Vec<Piece>) {
        let lines = split_lines(body);
        let kinds: Vec<Kind> = lines.iter().map(|l| classify(l.content)).collect();
        let joins: Vec<bool> = (1..lines.len())
            .map(|k| self.opts.unwrap_paragraphs && joins_next(&lines[k - 1], &lines[k], kinds[k]))
            .collect();
        let mut i = 0;
        while i < lines.len() {
            let n = if self.opts.unwrap_paragraphs {
                wrapped_len(&lines, &kinds, &joins, i)
            } else {
                1
            };
            if n >= 2 {
                if !flow.is_empty() {
                    blocks.push(Block::Flow(std::mem::take(flow)));
                }
                blocks.push(self.wrapped(&lines[i..i + n]));
            } else {
                let line = &lines[i];
                keep(flow, line.indent);
                match kinds[i] {
                    Kind::Blank => keep(flow, line.content),
                    Kind::Keep => self.protect(flow, line.content),
                    Kind::Label | Kind::Prose => self.text_plain(flow, line.content),
                    Kind::Item => {
                        let marker = list_marker_len(line.content).unwrap_or(0);
                        keep(flow, &line.content[..marker]);
                        self.text_plain(flow, &line.content[marker..]);
                    }
                    Kind::Table => self.cells(flow, line.content),
                }
                keep(flow, line.tail);
            }
            i += n;
        }
    }

    /// A table row: separators and the spaces around them kept, each cell a text of its own.
    fn cells(&mut self, out: &mut Vec<Piece>, row: &str) {
        let mut pos = 0;
        for (sep, mark) in row.match_indices(TABLE_SEPARATORS).chain([(row.len(), "")]) {
            let cell = &row[pos..sep];
            let core = cell.trim();
            let lead = cell.len() - cell.trim_start().len();
            keep(out, &cell[..lead]);
            if !core.is_empty() {
                self.text_plain(out, core);
            }
            keep(out, &cell[lead + core.len()..]);
            keep(out, mark);
            pos = sep + mark.len();
        }
    }

    fn wrapped(&mut self, lines: &[Line]) -> Block {
        let joined = lines
            .iter()
            .map(|l| l.content)
            .collect::<Vec<_>>()
            .join(" ");
        let starts = lines
            .iter()
            .scan(0, |offset, l| {
                let start = *offset;
                *offset += l.content.len() + 1;
                Some((start, self.line_of(l.content)))
            })
            .collect();
        self.origins.push(Origin::of(&joined, starts));
        let mut pieces = Vec::new();
        // A hard-wrapped list item keeps its marker.
        let marker = list_marker_len(lines[0].content).unwrap_or(0);
        keep(&mut pieces, &joined[..marker]);
        self.text_plain(&mut pieces, &joined[marker..]);
        self.origins.pop();
        Block::wrapped(pieces, lines, false)
    }

    /// Label, dateline, editor's code, credit, then prose.
    pub(super) fn text_plain(&mut self, out: &mut Vec<Piece>, text: &str) {
        if let Some(m) = match_label_at(text, 0) {
            self.label(out, &text[..m.label_end], m.label.en);
            keep(out, &text[m.label_end..m.end]);
            let rest = &text[m.end..];
            match m.label.rest {
                Rest::Name => self.names(out, rest),
                Rest::Credit if is_name_like(rest) => self.names(out, rest),
                _ => self.prose(out, rest),
            }
            return;
        }
        let body_start = dateline_len(text).unwrap_or(0);
        self.protect(out, &text[..body_start]);
        let text = &text[body_start..];
        let body = text[..trailing_code(text).unwrap_or(text.len())].trim_end();
        match trailing_credit(body) {
            Some(credit) => {
                let prose = body[..credit.start].trim_end();
                self.prose(out, prose);
                match credit.label {
                    Some((label, en)) => {
                        keep(out, &body[prose.len()..label.start]);
                        self.label(out, &body[label.clone()], en);
                        self.protect(out, &body[label.end..]);
                    }
                    None => self.protect(out, &body[prose.len()..]),
                }
            }
            None => self.prose(out, body),
        }
        self.protect(out, &text[body.len()..]);
    }

    fn label(&mut self, out: &mut Vec<Piece>, source: &str, en: &str) {
        let written = if self.opts.translate_labels {
            label_case(source, en)
        } else {
            source.to_owned()
        };
        keep(out, &written);
        self.record(source, Decision::Label { written });
    }

    /// Names after a label, kept as they are except for further labels after a space
    /// (`Budi | Editor: Ani`).
    fn names(&mut self, out: &mut Vec<Piece>, s: &str) {
        let mut done = 0;
        for (p, _) in s.char_indices() {
            if p < done || !s[..p].ends_with(char::is_whitespace) {
                continue;
            }
            if let Some(m) = match_label_at(s, p).filter(|m| m.colon) {
                self.protect(out, &s[done..p]);
                self.label(out, &s[p..m.label_end], m.label.en);
                done = m.label_end;
            }
        }
        self.protect(out, &s[done..]);
    }

    fn prose(&mut self, out: &mut Vec<Piece>, text: &str) {
        let upper = is_all_caps(text);
        let mut pos = 0;
        let tokens = Tokens::new(text);
        // Defensive against a splitter that breaks its contract: bytes outside valid ranges are
        // still translated unless they are whitespace, so nothing is lost.
        let take_gap = |this: &mut Self, out: &mut Vec<Piece>, gap: &str| {
            if gap.trim().is_empty() {
                keep(out, gap);
            } else {
                this.segment(out, &tokens, gap, upper);
            }
        };
        for range in crate::text::segment::split(text) {
            let valid = pos <= range.start
                && range.start < range.end
                && text.is_char_boundary(range.start)
                && text.get(range.end..).is_some();
            if !valid {
                continue;
            }
            take_gap(self, out, &text[pos..range.start]);
            self.segment(out, &tokens, &text[range.clone()], upper);
            pos = range.end;
        }
        take_gap(self, out, &text[pos..]);
    }

    /// The language of a text to pass through, if it is confidently not Indonesian.
    fn foreign(&self, text: &str) -> Option<&'static str> {
        language::passed_through(text, self.opts.pass_through_foreign)
    }

    /// One sentence (a slice of the text of `tokens`): quote marks, line breaks and protected
    /// tokens are kept, the runs between them translated.
    fn segment(&mut self, out: &mut Vec<Piece>, tokens: &Tokens, seg: &str, upper: bool) {
        let mut run = 0;
        let mut i = 0;
        let mut prev: Option<char> = None;
        while let Some(c) = seg[i..].chars().next() {
            let token_start =
                prev.is_none_or(|p| p.is_whitespace() || is_quote(p) || "([{<".contains(p));
            let quote = quote_mark_len(&seg[i..]);
            let kept_end = if let Some(len) = quote {
                Some(i + len)
            } else if is_line_break(c) {
                Some(i + c.len_utf8())
            } else if token_start {
                tokens.at(seg, i)
            } else {
                None
            };
            match kept_end {
                Some(end) => {
                    self.run(out, &seg[run..i], upper);
                    keep(out, &seg[i..end]);
                    // An entity ends in `;` but opens a token as the mark it spells does.
                    prev = quote.map_or(seg[..end].chars().next_back(), |_| Some('"'));
                    i = end;
                    run = end;
                }
                None => {
                    prev = Some(c);
                    i += c.len_utf8();
                }
            }
        }
        self.run(out, &seg[run..], upper);
    }

    /// Text between kept spans. Leading punctuation (`, ` after a quote or URL) and trailing
    /// openers and dashes stay as source bytes; what remains goes to the model if it has letters.
    fn run(&mut self, out: &mut Vec<Piece>, text: &str, upper: bool) {
        // A bracket whose partner is on the other side of a kept span stays with that span.
        let mut start = 0;
        for i in unmatched_brackets(text) {
            self.run_matched(out, &text[start..i], upper);
            keep(out, &text[i..i + 1]);
            start = i + 1;
        }
        self.run_matched(out, &text[start..], upper);
    }

    /// A run whose brackets all have partners.
    fn run_matched(&mut self, out: &mut Vec<Piece>, text: &str, upper: bool) {
        let lead = |c: char| c.is_whitespace() || ",;:.!?…)]}-–—".contains(c);
        let trail = |c: char| c.is_whitespace() || "([{-–—".contains(c);
        let rest = text.trim_start_matches(lead);
        let core = rest.trim_end_matches(trail);
        keep(out, &text[..text.len() - rest.len()]);
        if core.chars().any(char::is_alphabetic) && !is_time_like(core) {
            self.model(out, core, upper);
        } else {
            keep(out, core);
        }
        keep(out, &rest[core.len()..]);
    }

    /// A run of a sentence for the model, unless it is in another language: an English quote
    /// is passed through while its Indonesian attribution is translated.
    fn model(&mut self, out: &mut Vec<Piece>, text: &str, upper: bool) {
        if let Some(language) = self.foreign(text) {
            self.record(text, Decision::PassedThrough { language });
            keep(out, text);
            return;
        }
        let mut parts = Vec::new();
        split_long(text, self.opts.max_input_chars.max(1), 0, &mut parts);
        let mut pos = 0;
        for part in parts {
            keep(out, &text[pos..part.start]);
            let s = &text[part.clone()];
            if s.chars().any(char::is_alphabetic) {
                let input = self.inputs.len();
                out.push(Piece::Model {
                    input,
                    upper,
                    continuation: !upper && s.starts_with(char::is_lowercase),
                });
                self.segments.push(Segment {
                    line: self.line_of(s),
                    source: if upper {
                        sentence_case(s)
                    } else {
                        s.to_owned()
                    },
                    decision: Decision::Translated { input },
                });
                self.inputs.push(if upper {
                    sentence_case(s)
                } else {
                    s.to_owned()
                });
            } else {
                keep(out, s);
            }
            pos = part.end;
        }
        keep(out, &text[pos..]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::testing::inputs;

    const KCNA: &str = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/news-kcna.id.txt"
    ));

    #[test]
    fn kcna_inputs_are_the_prose_only() {
        let got = inputs(KCNA);
        for s in &got {
            assert!(!s.trim().is_empty() && s.trim() == s, "{s:?}");
            assert!(!s.contains(is_quote) && !s.contains('\n'), "{s:?}");
            for kept in ["iklan", "http", "Sumber", "Komentar", "Foto"] {
                assert!(!s.contains(kept), "{s:?} contains {kept}");
            }
        }
        for expected in [
            "ujar Bapak Kim.",
            "kantor berita KCNA mengutip pesan Putin.",
            "Surat tersebut",
            "Menurut KCNA, dokumen tersebut menyatakan:",
            "kemitraan strategis komprehensif",
            "yang mencakup perjanjian pertahanan bersama.",
            "Ngoc Anh (menurut KCNA, Reuters)",
        ] {
            assert!(got.iter().any(|s| s == expected), "no input {expected:?}");
        }
        assert!(got
            .iter()
            .any(|s| s.starts_with("Presiden Rusia") && s.ends_with("pada Juni 2024.")));
    }

    #[test]
    fn segments_record_every_decision_with_its_line() {
        let text = "JUDUL BERITA\n\nSatu baris ini.\n\
                    Pemerintah provinsi menyatakan bahwa pembangunan jalan baru\n\
                    akan dimulai tahun depan. Warga menyambut baik rencana itu.\n\
                    Editor: Budi Santoso\n12.30 WIB\nFoto di pantai. Foto: KCNA\n";
        let doc = Document::parse(text, &DocumentOptions::default());
        let got: Vec<(usize, &str, &Decision)> = doc
            .segments()
            .iter()
            .map(|s| (s.line, s.source.as_str(), &s.decision))
            .collect();
        let t = |input| Decision::Translated { input };
        let label = |written: &str| Decision::Label {
            written: written.to_owned(),
        };
        let wrapped = "Pemerintah provinsi menyatakan bahwa pembangunan jalan baru akan dimulai \
                       tahun depan.";
        assert_eq!(
            got,
            [
                (1, "Judul berita", &t(0)),
                (3, "Satu baris ini.", &t(1)),
                (4, wrapped, &t(2)),
                (5, "Warga menyambut baik rencana itu.", &t(3)),
                (6, "Editor", &label("Editor")),
                (6, "Budi Santoso", &Decision::Protected),
                (7, "12.30 WIB", &Decision::Protected),
                (8, "Foto di pantai.", &t(4)),
                (8, "Foto", &label("Photo")),
                (8, "KCNA", &Decision::Protected),
            ]
        );
        let inputs: Vec<&String> = doc
            .segments()
            .iter()
            .filter(|s| matches!(s.decision, Decision::Translated { .. }))
            .map(|s| &s.source)
            .collect();
        assert_eq!(inputs, doc.model_inputs().iter().collect::<Vec<_>>());
    }

    #[test]
    fn blank_and_whitespace_lines_are_not_inputs() {
        for text in ["", "\n", "  \n\t\n\r\n", " \u{a0} ", "\u{feff}\n"] {
            assert!(inputs(text).is_empty(), "{text:?}");
        }
    }

    #[test]
    fn untranslatable_lines_are_not_inputs() {
        for line in [
            "[iklan_2]",
            "{{nama_penulis}}",
            "***",
            "---",
            "2024",
            "(0)",
            "12.30 WIB",
            "12/8/2024 | 08.15 WITA",
            "#Pemilu2024 @kompascom",
            "https://www.congluan.vn/nga-va-trieu-tien.html",
            "www.kompas.com.",
            "redaksi@kompas.co.id",
        ] {
            assert_eq!(inputs(line), Vec::<String>::new(), "{line:?}");
        }
    }

    #[test]
    fn continuation_marks_inputs_that_start_in_lower_case() {
        let doc = Document::parse("\"Kami siap,\" ujar dia.", &DocumentOptions::default());
        let Block::Flow(pieces) = &doc.blocks[0] else {
            panic!("{:?}", doc.blocks);
        };
        let continuations: Vec<bool> = pieces
            .iter()
            .filter_map(|p| match p {
                Piece::Model { continuation, .. } => Some(*continuation),
                _ => None,
            })
            .collect();
        assert_eq!(continuations, [false, true]);
    }

    /// Lines built to make a rescanning parser quadratic (a token start after every bracket,
    /// a label before every credit, links nested thousands deep). A linear guard without a
    /// clock: at 256 KB each parses in well under a second even unoptimised, while the quadratic
    /// parser took minutes on them, so a regression shows as a test that does not finish.
    #[test]
    fn adversarial_lines_parse_in_linear_time() {
        const SIZE: usize = 256 * 1024;
        let repeat = |unit: &str| unit.repeat(SIZE / unit.len());
        let depth = SIZE / 5;
        let lines = [
            repeat("a("),
            format!("a {}", "(".repeat(SIZE)),
            format!("https://x.id/a{}", ")".repeat(SIZE)),
            repeat("a["),
            format!("{}a{}", "[".repeat(depth), "](x)".repeat(depth)),
            repeat("(Foto: x) "),
            repeat("([a]"),
            repeat("(a@b"),
            repeat("_a@"),
            repeat("(#a"),
            repeat("{{a"),
            repeat("<a"),
            format!("a{}", "; ".repeat(SIZE / 2)),
        ];
        for line in &lines {
            for markdown in [false, true] {
                let opts = DocumentOptions {
                    markdown,
                    translate_labels: false,
                    ..DocumentOptions::default()
                };
                let doc = Document::parse(line, &opts);
                let out = crate::text::reassemble::reassemble(&doc, doc.model_inputs());
                assert!(out == *line, "{:?}", &line[..16]);
            }
        }
    }
}
