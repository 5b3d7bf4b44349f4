//! Markdown documents, read by pulldown-cmark as CommonMark with the GitHub extensions that news
//! sources use (pipe tables, strike-through, task lists, footnotes) and YAML front matter.
//!
//! The text of paragraphs, headings, list items, block quotes, table cells and footnotes is
//! translated, and so are link text and image alt text; every other byte is copied from the
//! source: block syntax (markers, fences, underlines, container prefixes), code blocks, HTML
//! blocks, front matter, reference definitions, and inside the text code spans, emphasis and
//! strike-through markers, link and image destinations and titles, autolinks, inline HTML,
//! entities, backslash escapes, task boxes and table pipes.
//!
//! Each line of inline content (up to a line break, a table pipe or an image) is one run. A run
//! without inline markup goes through [`Parser::text_plain`] as plain text does (labels,
//! datelines, credits, quotes, protected spans). A run with markup is one [`Marked`] unit,
//! translated whole so that markup no longer cuts its sentence: emphasis, strong,
//! strike-through and links are spans (`[` opens a link, `](dest "title")` closes it, so
//! destinations and titles never reach the model), and code spans, autolinks, inline HTML,
//! footnote references, entities and escapes are points; [`super::inline`] writes them back
//! where the alignment puts their words. A `<br>` separates the words around it for the model.
//! An image's alt text is a run of its own. Shortcut and collapsed reference links
//! (`[Kompas]`, `[Kompas][]`) are points, since their text names the reference definition.
//! A pipe ends a run even outside a table, since the next line can make any line with one a
//! table row.
//!
//! Hard-wrapped paragraphs: only top-level paragraphs are joined and re-wrapped, as plain text's
//! lines are ([`super::lines`]); lines in list items and block quotes stay one run each, and no
//! line that ends in a hard break, holds a pipe or touches inline markup is joined (re-wrapping
//! English with markup in it could break inside a destination or code span). The re-wrapped
//! English avoids starting a line with block syntax ([`md_opens_block`], [`md_paragraph_line`]).

use std::ops::Range;

use pulldown_cmark::{Event, LinkType, Options, Tag, TagEnd};

use super::document::{keep, Block, Decision, Origin, Parser, Piece, Segment};
use super::inline::{self, Mark, Marked};
use super::lines::{classify, joins_next, split_lines, wrapped_len, Kind, Line};

/// A block start is decided within this many bytes of the line (a reference definition's label
/// may be longer, but a definition cannot interrupt a paragraph, which is all this is asked for).
const BLOCK_START_BYTES: usize = 200;

pub(super) fn options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_YAML_STYLE_METADATA_BLOCKS
}

/// The events of `text` with their source byte ranges.
pub(super) fn events(text: &str) -> impl Iterator<Item = (Event<'_>, Range<usize>)> {
    pulldown_cmark::Parser::new_ext(text, options()).into_offset_iter()
}

/// A run of inline content translated as one text: its source bytes, and the plain text and
/// markup they are read as (without markup, it is translated as a plain prose run).
struct Inline {
    range: Range<usize>,
    unit: Marked,
}

/// What of a document is prose: its runs of inline content in source order, the byte ranges
/// of the top-level paragraphs (the ones whose lines may be joined), and the sorted, disjoint
/// byte ranges of inline markup (a line that touches one is not joined).
struct Prose {
    inlines: Vec<Inline>,
    paragraphs: Vec<Range<usize>>,
    markup: Vec<Range<usize>>,
}

/// Whether the text inside `tag` is translated (when the text around it is).
fn translates(tag: &Tag) -> bool {
    match tag {
        Tag::CodeBlock(_) | Tag::HtmlBlock | Tag::MetadataBlock(_) => false,
        Tag::Link { link_type, .. } | Tag::Image { link_type, .. } => {
            matches!(link_type, LinkType::Inline | LinkType::Reference)
        }
        _ => true,
    }
}

/// The inline run being read: where its source bytes start, how far they are taken, and the
/// unit they make so far.
struct Builder {
    start: usize,
    cursor: usize,
    unit: Marked,
}

/// Cuts the inline content of a document into runs, each of which becomes one [`Inline`].
struct Reader<'a> {
    text: &'a str,
    inlines: Vec<Inline>,
    current: Option<Builder>,
    /// The end of the source bytes read so far, where a run that starts with a close starts.
    last: usize,
    /// A line break tag was just read: it separates the words on its two sides.
    after_break: bool,
}

impl Reader<'_> {
    /// The run being read, started at `from` if there is none.
    fn at(&mut self, from: usize) -> &mut Builder {
        self.current.get_or_insert_with(|| Builder {
            start: from,
            cursor: from,
            unit: Marked {
                plain: String::new(),
                marks: Vec::new(),
            },
        })
    }

    /// The source bytes of the run from where it is taken up to `end`, now taken.
    fn take(&mut self, from: usize, end: usize) -> (String, usize) {
        let text = self.text;
        let b = self.at(from);
        let end = end.max(b.cursor);
        let taken = text[b.cursor..end].to_owned();
        b.cursor = end;
        self.last = end;
        (
            taken,
            self.current.as_ref().map_or(0, |b| b.unit.plain.len()),
        )
    }

    fn push(&mut self, mark: Mark) {
        self.after_break = false;
        if let Some(b) = self.current.as_mut() {
            b.unit.marks.push(mark);
        }
    }

    fn open(&mut self, start: usize, len: usize) {
        let (text, at) = self.take(start, start + len);
        self.push(Mark::Open { at, text });
    }

    fn close(&mut self, end: usize) {
        let (text, at) = self.take(self.last, end);
        self.push(Mark::Close { at, text });
    }

    fn point(&mut self, range: Range<usize>) {
        let (text, at) = self.take(range.start, range.end);
        self.push(Mark::Point { at, text });
    }

    /// Plain text at `from`; a pipe ends the run and is kept, since the next line can make any
    /// line with one a table row.
    fn plain(&mut self, from: usize, s: &str) {
        let mut at = from;
        for (k, part) in s.split('|').enumerate() {
            if k > 0 {
                self.finish(at);
                at += 1;
            }
            if !part.is_empty() {
                let separate = std::mem::take(&mut self.after_break);
                if self.at(at).cursor < at {
                    self.point(at..at);
                }
                let b = self.at(at);
                let glued = b.unit.plain.ends_with(|c: char| !c.is_whitespace())
                    && part.starts_with(|c: char| !c.is_whitespace());
                if separate && glued {
                    // The model sees a space where the source has only the tag; the space is
                    // not written back.
                    b.unit.marks.push(Mark::Space {
                        at: b.unit.plain.len(),
                        text: String::new(),
                    });
                    b.unit.plain.push(' ');
                }
                b.unit.plain.push_str(part);
                b.cursor = at + part.len();
                self.last = b.cursor;
            }
            at += part.len();
        }
    }

    /// Ends the run being read; the source bytes up to `next` are not part of the next one.
    fn finish(&mut self, next: usize) {
        self.after_break = false;
        if let Some(b) = self.current.take() {
            if b.cursor > b.start {
                self.inlines.push(Inline {
                    range: b.start..b.cursor,
                    unit: b.unit,
                });
            }
        }
        self.last = self.last.max(next);
    }
}

fn prose(text: &str) -> Prose {
    let mut reader = Reader {
        text,
        inlines: Vec::new(),
        current: None,
        last: 0,
        after_break: false,
    };
    let mut paragraphs = Vec::new();
    let mut markup: Vec<Range<usize>> = Vec::new();
    // Per open tag: whether its text is translated.
    let mut open: Vec<bool> = Vec::new();
    // Events inside a link or image kept whole as a point: how deep, 0 outside one.
    let mut hidden = 0usize;
    for (event, range) in events(text) {
        if hidden > 0 {
            match event {
                Event::Start(_) => hidden += 1,
                Event::End(_) => hidden -= 1,
                _ => {}
            }
            continue;
        }
        let translated = open.last().copied().unwrap_or(true);
        match event {
            Event::Start(tag) => {
                match &tag {
                    Tag::Paragraph if open.is_empty() => paragraphs.push(range.clone()),
                    Tag::Emphasis | Tag::Strong | Tag::Strikethrough => {
                        markup.push(range.clone());
                        reader.open(range.start, opener_len(&tag, &text[range.clone()]));
                        open.push(translated);
                        continue;
                    }
                    Tag::Link { .. } if translates(&tag) => {
                        markup.push(range.clone());
                        reader.open(range.start, 1);
                        open.push(translated);
                        continue;
                    }
                    Tag::Link { .. } | Tag::Image { .. } if !translates(&tag) => {
                        markup.push(range.clone());
                        reader.point(range);
                        hidden = 1;
                        continue;
                    }
                    // An image's alt text is a text of its own: the sentence around an image
                    // is cut there, as the image rarely stands inside one.
                    Tag::Image { .. } => markup.push(range.clone()),
                    _ => {}
                }
                reader.finish(range.start);
                open.push(translated && translates(&tag));
            }
            Event::End(end) => {
                open.pop();
                match end {
                    TagEnd::Emphasis | TagEnd::Strong | TagEnd::Strikethrough | TagEnd::Link => {
                        reader.close(range.end)
                    }
                    _ => reader.finish(range.end),
                }
            }
            Event::Text(t) if translated => {
                // The parser leaves the backslash of an escape out of the text after it.
                let escaped = text[..range.start].ends_with('\\')
                    && t.starts_with(|c: char| c.is_ascii_punctuation());
                if text[range.clone()] != *t {
                    // An entity: its text differs from its source, which is kept.
                    markup.push(range.clone());
                    reader.point(range);
                } else if escaped {
                    let char_end = range.start + 1;
                    markup.push(range.start - 1..char_end);
                    reader.point(range.start - 1..char_end);
                    reader.plain(char_end, &t[1..]);
                } else {
                    reader.plain(range.start, &t);
                }
            }
            Event::InlineHtml(html) if translated => {
                markup.push(range.clone());
                reader.point(range);
                reader.after_break = is_break_tag(&html);
            }
            Event::Code(_) | Event::FootnoteReference(_) if translated => {
                markup.push(range.clone());
                reader.point(range);
            }
            Event::SoftBreak | Event::HardBreak | Event::TaskListMarker(_) | Event::Rule => {
                reader.finish(range.end)
            }
            _ => {}
        }
    }
    reader.finish(text.len());
    markup.sort_by_key(|r| r.start);
    let mut merged: Vec<Range<usize>> = Vec::new();
    for r in markup {
        match merged.last_mut() {
            Some(m) if r.start <= m.end => m.end = m.end.max(r.end),
            _ => merged.push(r),
        }
    }
    Prose {
        inlines: reader.inlines,
        paragraphs,
        markup: merged,
    }
}

/// Whether inline HTML `html` is a `<br>` tag.
fn is_break_tag(html: &str) -> bool {
    let name = html.strip_prefix('<').unwrap_or_default();
    name.get(..2).is_some_and(|n| n.eq_ignore_ascii_case("br"))
        && !name[2..].starts_with(|c: char| c.is_ascii_alphanumeric())
}

/// The bytes of an emphasis, strong or strike-through opener at the start of `source`, the
/// element's source.
fn opener_len(tag: &Tag, source: &str) -> usize {
    match tag {
        Tag::Emphasis => 1,
        Tag::Strong => 2,
        _ => source.bytes().take_while(|&b| b == b'~').count().min(2),
    }
}

/// Lines of a top-level paragraph that are joined as one hard-wrapped paragraph.
struct Group<'a> {
    /// Byte range in the document, from the start of the first line to the end of the last
    /// line's terminator.
    range: Range<usize>,
    lines: Vec<Line<'a>>,
}

/// The hard-wrapped runs of lines in the top-level paragraph at `para`, chosen by the plain-text
/// rules; lines that are not plain paragraph lines, end in a hard break or touch inline markup
/// (`markup`, sorted and disjoint) are not joined.
fn wrapped_groups<'a>(
    text: &'a str,
    para: Range<usize>,
    markup: &[Range<usize>],
) -> Vec<Group<'a>> {
    let start = text[..para.start].rfind(['\n', '\r']).map_or(0, |i| i + 1);
    let mut end = para.end;
    if !text[..end].ends_with(['\n', '\r']) {
        end += text[end..]
            .find(['\n', '\r'])
            .map_or(text.len() - end, |i| i + 1);
    }
    if text[..end].ends_with('\r') && text[end..].starts_with('\n') {
        end += 1;
    }
    let lines = split_lines(&text[start..end]);
    let touches_markup = |content: &str| {
        let from = content.as_ptr() as usize - text.as_ptr() as usize;
        let i = markup.partition_point(|m| m.end <= from);
        markup
            .get(i)
            .is_some_and(|m| m.start < from + content.len())
    };
    let kinds: Vec<Kind> = lines
        .iter()
        .map(|l| {
            if !md_paragraph_line(l.content)
                || l.tail.starts_with("  ")
                || touches_markup(l.content)
            {
                Kind::Keep
            } else {
                classify(l.content)
            }
        })
        .collect();
    let joins: Vec<bool> = (1..lines.len())
        .map(|k| joins_next(&lines[k - 1], &lines[k], kinds[k]))
        .collect();
    let mut groups = Vec::new();
    let mut at = start;
    let mut i = 0;
    while i < lines.len() {
        let n = wrapped_len(&lines, &kinds, &joins, i);
        let len: usize = lines[i..i + n]
            .iter()
            .map(|l| l.indent.len() + l.content.len() + l.tail.len())
            .sum();
        if n >= 2 {
            groups.push(Group {
                range: at..at + len,
                lines: lines[i..i + n].to_vec(),
            });
        }
        at += len;
        i += n;
    }
    groups
}

impl Parser<'_> {
    /// A Markdown document: the runs of inline content are translated
    /// ([`Parser::md_inline`]), the bytes between them are kept, and hard-wrapped top-level
    /// paragraphs become [`Block::Wrapped`].
    pub(super) fn markdown(&mut self, text: &str, blocks: &mut Vec<Block>, flow: &mut Vec<Piece>) {
        let prose = prose(text);
        let groups: Vec<Group> = if self.opts.unwrap_paragraphs {
            prose
                .paragraphs
                .iter()
                .flat_map(|p| wrapped_groups(text, p.clone(), &prose.markup))
                .collect()
        } else {
            Vec::new()
        };
        let mut inlines = prose.inlines.into_iter().peekable();
        let mut pos = 0;
        for group in &groups {
            while let Some(run) = inlines.next_if(|r| r.range.start < group.range.start) {
                keep(flow, &text[pos..run.range.start]);
                pos = run.range.end;
                self.md_inline(flow, &text[run.range], run.unit);
            }
            keep(flow, &text[pos..group.range.start]);
            if !flow.is_empty() {
                blocks.push(Block::Flow(std::mem::take(flow)));
            }
            // A group's lines hold no markup: its runs are its lines' contents, read joined.
            while inlines
                .next_if(|r| r.range.start < group.range.end)
                .is_some()
            {}
            blocks.push(self.md_wrapped(group));
            pos = group.range.end;
        }
        for run in inlines {
            keep(flow, &text[pos..run.range.start]);
            pos = run.range.end;
            self.md_inline(flow, &text[run.range], run.unit);
        }
        keep(flow, &text[pos..]);
    }

    /// A hard-wrapped paragraph: its lines' contents joined with spaces, read as one run.
    fn md_wrapped(&mut self, group: &Group) -> Block {
        let mut joined = String::new();
        let mut starts = Vec::new();
        for (k, line) in group.lines.iter().enumerate() {
            if k > 0 {
                joined.push(' ');
            }
            starts.push((joined.len(), self.line_of(line.content)));
            joined.push_str(line.content);
        }
        self.origins.push(Origin::of(&joined, starts));
        let mut pieces = Vec::new();
        self.md_run(&mut pieces, &joined);
        self.origins.pop();
        Block::wrapped(pieces, &group.lines, true)
    }

    /// A run of inline content, `source` in the document: without markup, a prose run;
    /// with it, one [`Piece::Unit`] whose plain text is read by the text rules as a paragraph
    /// and whose model inputs join the document's.
    fn md_inline(&mut self, out: &mut Vec<Piece>, source: &str, unit: Marked) {
        if unit.marks.is_empty() {
            self.md_run(out, source);
            return;
        }
        if !unit.plain.contains(char::is_alphabetic) {
            keep(out, source);
            return;
        }
        let line = self.line_of(source);
        let doc = inline::documents(std::slice::from_ref(&unit), self.opts).remove(0);
        let first = self.inputs.len();
        self.inputs.extend_from_slice(doc.model_inputs());
        self.segments.extend(doc.segments().iter().map(|s| Segment {
            line,
            source: s.source.clone(),
            decision: match s.decision {
                Decision::Translated { input } => Decision::Translated {
                    input: first + input,
                },
                ref other => other.clone(),
            },
        }));
        out.push(Piece::Unit { unit, doc, first });
    }

    /// A prose run: its pipes and surrounding whitespace are kept, the text between them goes
    /// to [`Parser::text_plain`].
    fn md_run(&mut self, out: &mut Vec<Piece>, run: &str) {
        for (k, part) in run.split('|').enumerate() {
            if k > 0 {
                keep(out, "|");
            }
            let core = part.trim();
            if core.is_empty() {
                keep(out, part);
                continue;
            }
            let start = part.len() - part.trim_start().len();
            keep(out, &part[..start]);
            // Page chrome, codes and credits alone are kept, as on a plain-text line.
            if classify(core) == Kind::Keep {
                self.protect(out, core);
            } else {
                self.text_plain(out, core);
            }
            keep(out, &part[start + core.len()..]);
        }
    }
}

/// The first event of `text` read as a document on its own.
fn first_event(text: &str) -> Option<(Event<'_>, Range<usize>)> {
    events(text).next()
}

/// Whether a Markdown line starting with `s` opens a block rather than continuing a paragraph:
/// read on its own, it does not start with a paragraph (a list item of any number, a heading, a
/// block quote, a fence, an HTML block, a thematic break, a reference definition).
pub(crate) fn md_opens_block(s: &str) -> bool {
    let mut end = s.len().min(BLOCK_START_BYTES);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    let line = s[..end].split(['\n', '\r']).next().unwrap_or_default();
    // Every block start is indentation, a digit or an ASCII punctuation mark; the parser, which
    // re-wrapping asks for every candidate break, is only asked about lines that start so.
    let may_open = line
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_punctuation() || c.is_ascii_digit() || c.is_whitespace());
    may_open
        && !line.trim().is_empty()
        && !matches!(first_event(line), Some((Event::Start(Tag::Paragraph), r)) if r.start == 0)
}

/// Whether `line` (without its indentation) reads as a plain paragraph line of a Markdown
/// document, the only kind that is joined with its neighbours: no block opens on it, it holds
/// no pipe (a table row), it does not end in a hard line break, and after a paragraph line it
/// continues that paragraph (it is no setext underline or thematic break).
pub(crate) fn md_paragraph_line(line: &str) -> bool {
    if line.ends_with('\\') || line.contains('|') || md_opens_block(line) {
        return false;
    }
    // Only a line of these marks can be an underline or a break, so only such a line is read.
    if line.contains(|c: char| !matches!(c, '=' | '-' | '*' | '_') && !c.is_whitespace()) {
        return true;
    }
    let probe = format!("p\n{line}");
    matches!(first_event(&probe), Some((Event::Start(Tag::Paragraph), r)) if r.end == probe.len())
}

#[cfg(test)]
mod tests {
    use crate::text::alignment::{words, WordAlignment};
    use crate::text::document::{Document, DocumentOptions};
    use crate::text::reassemble::reassemble_aligned;
    use crate::text::spans::is_quote;
    use crate::text::testing::{inputs, md_inputs};

    fn md() -> DocumentOptions {
        DocumentOptions {
            markdown: true,
            translate_labels: false,
            ..DocumentOptions::default()
        }
    }

    const BERITA: &str = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/md/berita.md"
    ));

    #[test]
    fn markdown_is_off_by_default() {
        assert!(!DocumentOptions::default().markdown);
        assert_eq!(inputs("# Judul berita"), ["# Judul berita"]);
        assert_eq!(md_inputs("# Judul berita"), ["Judul berita"]);
    }

    #[test]
    fn markdown_off_treats_syntax_as_text() {
        assert_eq!(
            inputs("- **Kata** `kode` di sini"),
            ["**Kata** `kode` di sini"]
        );
        assert_eq!(inputs("```\nkode program ini\n```"), ["kode program ini"]);
        assert!(md_inputs("```\nkode program ini\n```").is_empty());
    }

    #[test]
    fn markdown_keeps_page_chrome_codes_and_credits_as_plain_text_does() {
        let page = "# Banjir di Bogor\n\nRizky Adha - detikNews\n\nADVERTISEMENT\n\n\
                    Warga mengungsi ke masjid. (nvc/nvc)\n\n*KOMPAS.com/ARDITO RAMADHAN*\n\n\
                    - Satu butir daftar.\n";
        assert_eq!(
            md_inputs(page),
            [
                "Banjir di Bogor",
                "Warga mengungsi ke masjid.",
                "Satu butir daftar."
            ]
        );
    }

    #[test]
    fn markdown_code_blocks_are_not_inputs() {
        let cases: &[(&str, &[&str])] = &[
            (
                "```rust\nlet kata = \"halo dunia\";\n```\nSatu kalimat.",
                &["Satu kalimat."],
            ),
            (
                "~~~\nkode program ini\n~~~\nSatu kalimat.",
                &["Satu kalimat."],
            ),
            (
                "````\n```\nmasih kode\n````\nSatu kalimat.",
                &["Satu kalimat."],
            ),
            ("```\nkode tanpa penutup\n\nmasih kode", &[]),
            (
                "Satu kalimat.\n\n    kode terindentasi\n\n    lagi kode\nDua kalimat.",
                &["Satu kalimat.", "Dua kalimat."],
            ),
            ("Satu kalimat.\n\n\tkode dengan tab", &["Satu kalimat."]),
            ("    kode di awal dokumen", &[]),
            (
                "Satu kalimat\n    lanjutan paragraf.",
                &["Satu kalimat", "lanjutan paragraf."],
            ),
            (
                "- butir daftar\n  ```\n  kode dalam daftar\n  ```",
                &["butir daftar"],
            ),
            (
                "> ```\n> kode dalam kutipan\n> ```\n> Satu kalimat.",
                &["Satu kalimat."],
            ),
            (
                "> ```\n> kode dalam kutipan\nSatu kalimat.",
                &["Satu kalimat."],
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(md_inputs(text), *expected, "{text:?}");
        }
    }

    #[test]
    fn markdown_html_blocks_and_front_matter_are_not_inputs() {
        let cases: &[(&str, &[&str])] = &[
            (
                "<div class=\"iklan\">\nIklan di sini.\n</div>\n\nSatu kalimat.",
                &["Satu kalimat."],
            ),
            (
                "<!-- catatan\n\nredaksi -->\nSatu kalimat.",
                &["Satu kalimat."],
            ),
            (
                "</section>\nMasih blok HTML.\n\nSatu kalimat.",
                &["Satu kalimat."],
            ),
            ("<https://x.id> adalah situs.", &["adalah situs."]),
            (
                "---\ntitle: Judul berita\n---\nSatu kalimat.",
                &["Satu kalimat."],
            ),
            (
                "---\ntitle: Judul berita\n...\nSatu kalimat.",
                &["Satu kalimat."],
            ),
            (
                "Satu kalimat.\n---\ntitle: Bukan front matter\n---",
                &["Satu kalimat.", "title: Bukan front matter"],
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(md_inputs(text), *expected, "{text:?}");
        }
    }

    #[test]
    fn markdown_line_prefixes_are_kept() {
        let cases: &[(&str, &[&str])] = &[
            ("# Judul berita", &["Judul berita"]),
            ("###### Judul kecil ###", &["Judul kecil"]),
            ("#Pemilu2024 ramai", &["ramai"]),
            (
                "> Kutipan berita.\n> > Kutipan bersarang.",
                &["Kutipan berita.", "Kutipan bersarang."],
            ),
            (
                "- Satu\n* Dua\n+ Tiga\n1. Empat\n10) Lima",
                &["Satu", "Dua", "Tiga", "Empat", "Lima"],
            ),
            (
                "- [ ] Belum selesai\n- [x] Sudah selesai",
                &["Belum selesai", "Sudah selesai"],
            ),
            ("> - ## Judul dalam daftar", &["Judul dalam daftar"]),
            (
                "Judul setext\n===\n\nJudul kedua\n---",
                &["Judul setext", "Judul kedua"],
            ),
            ("***\n___\n- - -", &[]),
            ("1.5 juta orang hadir.", &["1.5 juta orang hadir."]),
            ("-1 derajat di puncak.", &["1 derajat di puncak."]),
        ];
        for (text, expected) in cases {
            assert_eq!(md_inputs(text), *expected, "{text:?}");
        }
    }

    #[test]
    fn markdown_joins_only_plain_paragraph_lines() {
        let wrapped = "Presiden Rusia Vladimir Putin dan pemimpin Korea Utara Kim\nJong Un berjalan-jalan di taman Wisma Kumsusan di Pyongyang.\n";
        assert_eq!(md_inputs(wrapped).len(), 1);
        for broken in [
            wrapped.replacen('\n', "  \n", 1),
            wrapped.replacen('\n', "\\\n", 1),
            format!("- {wrapped}"),
            format!("> {wrapped}"),
        ] {
            assert_eq!(md_inputs(&broken).len(), 2, "{broken:?}");
        }
    }

    #[test]
    fn markdown_table_cells_are_separate_inputs() {
        let table =
            "| Kota | Jumlah warga |\n|:--|--:|\n| Jakarta Pusat | 1,1 juta |\nKota | Kabupaten\n";
        assert_eq!(
            md_inputs(table),
            [
                "Kota",
                "Jumlah warga",
                "Jakarta Pusat",
                "1,1 juta",
                "Kota",
                "Kabupaten"
            ]
        );
        // An escaped pipe is kept inside its cell's text.
        assert_eq!(md_inputs("| `a|b` | Kata \\| lain |"), ["Kata  lain"]);
    }

    /// What the hand-written line classifier got wrong: tables without a leading pipe, and
    /// code and HTML blocks inside list items and block quotes.
    #[test]
    fn markdown_containers_and_tables_follow_commonmark() {
        let cases: &[(&str, &[&str])] = &[
            (
                "Kota | Jumlah warga\n--- | ---\nJakarta Pusat | 1,1 juta\n",
                &["Kota", "Jumlah warga", "Jakarta Pusat", "1,1 juta"],
            ),
            (
                "- butir daftar\n\n      kode terindentasi\n- butir kedua",
                &["butir daftar", "butir kedua"],
            ),
            (
                ">     kode dalam kutipan\n>\n> Satu kalimat.",
                &["Satu kalimat."],
            ),
            (
                "> <div>\n> Iklan di sini.\n> </div>\n>\n> Satu kalimat.",
                &["Satu kalimat."],
            ),
            (
                "- <!-- catatan\n  redaksi -->\n\n  Satu kalimat.",
                &["Satu kalimat."],
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(md_inputs(text), *expected, "{text:?}");
        }
    }

    #[test]
    fn markdown_inline_syntax_is_kept() {
        let cases: &[(&str, &[&str])] = &[
            ("Jalankan `cargo build` sekarang.", &["Jalankan  sekarang."]),
            ("Kode ``a ` b`` di sini.", &["Kode  di sini."]),
            (
                "Lihat [laporan lengkap](https://x.id/a_(b) \"Judul laporan\") ini.",
                &["Lihat laporan lengkap ini."],
            ),
            // Alt text is a text of its own.
            (
                "![Foto presiden](foto.jpg) Presiden tiba.",
                &["Foto presiden", "Presiden tiba."],
            ),
            (
                "Baca [berita lama][lama] dan [ini][].\n\n[lama]: https://x.id/a\n[ini]: https://x.id/b",
                &["Baca berita lama dan ."],
            ),
            (
                "Baca [berita lama][lama] tanpa definisi.",
                &["Baca [berita lama][lama] tanpa definisi."],
            ),
            ("[lama]: https://x.id/lama \"Berita lama\"", &[]),
            // A shortcut link's text names its definition: kept whole.
            (
                "Menurut [Kompas] kemarin.\n\n[kompas]: https://kompas.com",
                &["Menurut  kemarin."],
            ),
            (
                "Harga [naik tajam] kemarin.",
                &["Harga [naik tajam] kemarin."],
            ),
            (
                "Catatan kaki[^1] di sini.\n\n[^1]: Sumber data resmi.",
                &["Catatan kaki di sini.", "Sumber data resmi."],
            ),
            (
                "Tulis ke <humas@x.id> atau <https://x.id>.",
                &["Tulis ke  atau ."],
            ),
            // A `<br>` separates words; other tags are kept where they are.
            (
                "Baris satu<br>baris <span class=\"x\">dua</span>.",
                &["Baris satu baris dua."],
            ),
            (
                "Dia **sangat** senang dan _cukup_ puas.",
                &["Dia sangat senang dan cukup puas."],
            ),
            ("Harga ~~naik~~ turun.", &["Harga naik turun."]),
            ("*Seluruh kalimat miring.*", &["Seluruh kalimat miring."]),
            (
                "Nama_berkas dan 5 * 3 tetap.",
                &["Nama_berkas dan 5 * 3 tetap."],
            ),
            (
                "Tanda \\*bukan miring\\* dan &amp; entitas.",
                &["Tanda bukan miring dan  entitas."],
            ),
            // Placeholders are kept by the plain-text rules, inside a unit too.
            ("Iklan [iklan_2] di sini.", &["Iklan", "di sini."]),
            ("Iklan [iklan_2] di **sini**.", &["Iklan", "di sini."]),
        ];
        for (text, expected) in cases {
            assert_eq!(md_inputs(text), *expected, "{text:?}");
            let doc = Document::parse(text, &md());
            let own: Vec<(String, WordAlignment)> = doc
                .model_inputs()
                .iter()
                .map(|i| (i.clone(), WordAlignment::identity(words(i).len())))
                .collect();
            assert_eq!(reassemble_aligned(&doc, &own), *text);
        }
    }

    #[test]
    fn a_sentence_with_markup_is_one_input_without_destinations_or_code() {
        let text =
            "Presiden [Joko Widodo](https://x.id/jkw \"Profil\") mengatakan **harga beras** \
                    akan turun. Jalankan `kode_rahasia` sekarang.\n";
        let doc = Document::parse(text, &md());
        assert!(doc.needs_alignment());
        assert_eq!(
            doc.model_inputs(),
            [
                "Presiden Joko Widodo mengatakan harga beras akan turun.",
                "Jalankan  sekarang."
            ]
        );
        for input in doc.model_inputs() {
            for syntax in ["x.id", "Profil", "kode_rahasia", "**", "[", "`"] {
                assert!(!input.contains(syntax), "{input:?} contains {syntax}");
            }
        }
        assert!(!Document::parse("Tanpa markup di sini.", &md()).needs_alignment());
    }

    #[test]
    fn markup_follows_the_aligned_english_words() {
        let text =
            "Presiden [Joko Widodo](https://x.id/jkw \"Profil\") mengatakan **harga beras** \
                    akan turun.";
        let doc = Document::parse(text, &md());
        let english = "The price of rice will fall, President Joko Widodo said.";
        let alignment = WordAlignment::new(vec![
            (0, 6),
            (1, 7),
            (2, 8),
            (3, 9),
            (4, 1),
            (5, 3),
            (6, 4),
            (7, 5),
        ]);
        let out = reassemble_aligned(&doc, &[(english.to_owned(), alignment)]);
        assert_eq!(
            out,
            "The **price of rice** will fall, President \
             [Joko Widodo](https://x.id/jkw \"Profil\") said."
        );
        // The same syntax, destination and title whole, around the same English.
        let syntax = |s: &str| {
            let mut found: Vec<String> = ["**", "[", "](https://x.id/jkw \"Profil\")"]
                .iter()
                .map(|m| format!("{m}×{}", s.matches(m).count()))
                .collect();
            found.sort();
            found
        };
        assert_eq!(syntax(&out), syntax(text));
        let plain: String = out.replace("**", "").replace('[', "");
        assert_eq!(plain.replace("](https://x.id/jkw \"Profil\")", ""), english);
    }

    #[test]
    fn markdown_berita_inputs_are_prose_only() {
        let got = md_inputs(BERITA);
        for s in &got {
            assert!(!s.trim().is_empty() && s.trim() == s, "{s:?}");
            assert!(!s.contains(is_quote) && !s.contains('\n'), "{s:?}");
            for syntax in [
                "`", "](", "<", "**", "~~", "|", "# ", "curl", "kode", "Iklan", "title:", "http",
            ] {
                assert!(!s.contains(syntax), "{s:?} contains {syntax}");
            }
        }
        for expected in [
            "Pemerintah Resmikan Jalan Tol Baru di Jawa Tengah",
            "Jalan tol ini diharapkan memangkas waktu tempuh antara Semarang dan Solo hingga satu jam.",
            "Pembangunan jalan tol dimulai pada 2021 dan menelan biaya sekitar Rp 12 triliun.",
            "Menurut Kementerian PUPR, proyek ini",
            "Kami bangga jalan tol ini selesai tepat waktu,",
            "Sudah beroperasi",
            "Uji kelaikan selesai",
            "Setext judul kedua",
        ] {
            assert!(got.iter().any(|s| s == expected), "no input {expected:?}");
        }
    }
}
