//! Markdown documents: which lines are code, HTML or front matter (copied whole), the line
//! prefixes and inline syntax kept as source bytes, and the prose between them.
//!
//! Front matter (`---` … `---` at the start), fenced code blocks (```` ``` ```` or `~~~`, to the
//! matching fence, also inside a blockquote), indented code blocks (4+ columns after a blank
//! line) and HTML blocks (a line starting with `<tag`, `</tag` or `<!--`, to a blank line or
//! to `-->`) are copied whole.
//! On other lines the prefixes (blockquote `>`, list markers, task boxes, ATX heading marks
//! and their closing `#`s), thematic breaks, setext underlines and reference definitions are
//! kept, and inside the text code spans, backslash escapes, entities, autolinks, inline HTML
//! tags, emphasis and strike-through markers, table pipes, link and image brackets and their
//! targets (`](url "title")`, `][id]`) are kept spans that split the prose, as URLs do; link
//! text and image alt text are translated. Only plain paragraph lines (no prefix, no pipe, no
//! hard line break) are joined as hard-wrapped paragraphs, and the re-wrapped English avoids
//! starting a line with block syntax.

use std::ops::Range;

use super::document::{keep, Parser, Piece};
use super::lines::{classify, Kind, Line};
use super::spans::{is_quote, Tokens};

/// How a line of a Markdown document is handled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum MdLine {
    /// Copied byte for byte: front matter, code blocks, HTML blocks.
    Verbatim,
    /// Prefixes and inline syntax kept, text translated.
    Text,
}

/// Columns of indentation, a tab reaching the next multiple of four.
fn indent_width(indent: &str) -> usize {
    indent
        .chars()
        .fold(0, |w, c| if c == '\t' { w + 4 - w % 4 } else { w + 1 })
}

/// Classifies the lines of a Markdown document into verbatim blocks and text.
pub(super) fn md_line_kinds(lines: &[Line]) -> Vec<MdLine> {
    let mut kinds = vec![MdLine::Text; lines.len()];
    let mut i = 0;
    if lines
        .first()
        .is_some_and(|l| l.indent.is_empty() && l.content == "---")
    {
        let close = (1..lines.len())
            .find(|&k| lines[k].indent.is_empty() && matches!(lines[k].content, "---" | "..."));
        if let Some(close) = close {
            kinds[..=close].fill(MdLine::Verbatim);
            i = close + 1;
        }
    }
    while i < lines.len() {
        let line = &lines[i];
        let width = indent_width(line.indent);
        let after_break =
            i == 0 || lines[i - 1].content.is_empty() || kinds[i - 1] == MdLine::Verbatim;
        let end = if line.content.is_empty() {
            None
        } else if width >= 4 && after_break {
            Some(
                (i..lines.len())
                    .find(|&k| !lines[k].content.is_empty() && indent_width(lines[k].indent) < 4)
                    .unwrap_or(lines.len()),
            )
        } else if let Some(fence) = fence_open(&line.content[quote_len(line.content)..]) {
            // A fence in a blockquote ends with the blockquote too.
            let quoted = quote_len(line.content) > 0;
            Some(
                (i + 1..lines.len())
                    .find(|&k| {
                        let q = quote_len(lines[k].content);
                        is_fence_close(&lines[k].content[q..], fence) || (quoted && q == 0)
                    })
                    .map_or(lines.len(), |k| {
                        k + 1 - usize::from(quoted && quote_len(lines[k].content) == 0)
                    }),
            )
        } else if width <= 3 && line.content.starts_with("<!--") {
            Some(
                (i..lines.len())
                    .find(|&k| lines[k].content.contains("-->"))
                    .map_or(lines.len(), |k| k + 1),
            )
        } else if width <= 3 && html_block_start(line.content) {
            Some(
                (i..lines.len())
                    .find(|&k| lines[k].content.is_empty())
                    .unwrap_or(lines.len()),
            )
        } else {
            None
        };
        match end {
            Some(end) => {
                kinds[i..end].fill(MdLine::Verbatim);
                i = end;
            }
            None => i += 1,
        }
    }
    kinds
}

/// Byte length of the blockquote markers (`>`, `> >`) at the start of a line's content.
fn quote_len(content: &str) -> usize {
    let mut p = 0;
    while let Some(r) = content[p..].strip_prefix('>') {
        p = content.len() - r.trim_start_matches([' ', '\t']).len();
    }
    p
}

/// The fence character and length of a line opening a fenced code block.
fn fence_open(content: &str) -> Option<(char, usize)> {
    let c = content.chars().next().filter(|&c| c == '`' || c == '~')?;
    let n = content.len() - content.trim_start_matches(c).len();
    (n >= 3 && !(c == '`' && content[n..].contains('`'))).then_some((c, n))
}

fn is_fence_close(content: &str, (c, n): (char, usize)) -> bool {
    content.len() >= n && content.chars().all(|d| d == c)
}

/// `<div`, `</div>`, `<p>`: a line that starts an HTML block (not an autolink).
fn html_block_start(content: &str) -> bool {
    let Some(rest) = content.strip_prefix('<') else {
        return false;
    };
    let rest = rest.strip_prefix('/').unwrap_or(rest);
    let name_len = rest
        .find(|c: char| !c.is_ascii_alphanumeric() && c != '-')
        .unwrap_or(rest.len());
    rest.starts_with(|c: char| c.is_ascii_alphabetic())
        && rest[name_len..]
            .chars()
            .next()
            .is_none_or(|c| c.is_whitespace() || c == '>' || c == '/')
}

/// `---`, `***`, `_ _ _`.
fn is_thematic_break(content: &str) -> bool {
    let mut marks = content.chars().filter(|&c| c != ' ' && c != '\t');
    let Some(first) = marks.next() else {
        return false;
    };
    "-*_".contains(first) && marks.clone().all(|c| c == first) && marks.count() >= 2
}

/// `===` or `---` under a heading's text.
fn is_setext_underline(content: &str) -> bool {
    !content.is_empty() && (content.chars().all(|c| c == '=') || content.chars().all(|c| c == '-'))
}

/// Byte length of a Markdown line prefix (blockquote markers, a list marker, a task box after
/// it, an ATX heading mark, each with the spaces after it), and whether it ends with a heading
/// mark.
pub(super) fn md_prefix(content: &str) -> (usize, bool) {
    let spaces = |s: &str| s.len() - s.trim_start_matches([' ', '\t']).len();
    // A marker counts when followed by whitespace or the end of the line.
    let marker = |s: &str, n: usize| {
        let after = &s[n..];
        (after.is_empty() || after.starts_with([' ', '\t'])).then(|| n + spaces(after))
    };
    let mut p = 0;
    let mut after_list = false;
    loop {
        let rest = &content[p..];
        if rest.is_empty() {
            return (p, false);
        }
        if let Some(r) = rest.strip_prefix('>') {
            p += 1 + spaces(r);
            after_list = false;
            continue;
        }
        let digits = rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        let list = if rest.starts_with(['-', '*', '+']) {
            marker(rest, 1)
        } else if (1..=9).contains(&digits) && rest[digits..].starts_with(['.', ')']) {
            marker(rest, digits + 1)
        } else {
            None
        };
        if let Some(n) = list {
            p += n;
            after_list = true;
            continue;
        }
        if after_list {
            let boxed = ["[ ]", "[x]", "[X]"]
                .iter()
                .find(|b| rest.starts_with(**b))
                .and_then(|_| marker(rest, 3));
            if let Some(n) = boxed {
                p += n;
                after_list = false;
                continue;
            }
        }
        let hashes = rest.len() - rest.trim_start_matches('#').len();
        if (1..=6).contains(&hashes) {
            if let Some(n) = marker(rest, hashes) {
                return (p + n, true);
            }
        }
        return (p, false);
    }
}

/// `[id]: url "title"` or a footnote `[^1]: text`: the label and the byte length of
/// `[label]:` with the spaces after it.
pub(super) fn ref_definition(s: &str) -> Option<(&str, usize)> {
    let inner = s.strip_prefix('[')?;
    let close = inner.find(']')?;
    let label = &inner[..close];
    let rest = inner[close + 1..].strip_prefix(':')?;
    let ok = !label.trim().is_empty() && !label.contains('[');
    ok.then(|| (label, s.len() - rest.trim_start().len()))
}

/// Whether a Markdown line starting with `s` opens a block rather than continuing a paragraph:
/// a line prefix (`>`, a list marker, a heading mark), a reference definition, a code fence or
/// an HTML block.
pub(crate) fn md_opens_block(s: &str) -> bool {
    md_prefix(s).0 > 0
        || ref_definition(s).is_some()
        || fence_open(s).is_some()
        || s.starts_with("<!--")
        || html_block_start(s)
}

/// Whether `line` (without its indentation) reads as a plain paragraph line of a Markdown
/// document, the only kind that is joined with its neighbours: no block opens on it, it is no
/// underline, break or table row, and it does not end in a hard line break.
pub(crate) fn md_paragraph_line(line: &str) -> bool {
    !md_opens_block(line) && md_plain(line) && !line.ends_with('\\')
}

/// A plain paragraph line of a Markdown document, which may be joined with its neighbours.
pub(super) fn md_plain(content: &str) -> bool {
    md_prefix(content).0 == 0
        && !content.contains('|')
        && ref_definition(content).is_none()
        && !is_thematic_break(content)
        && !is_setext_underline(content)
}

/// Markdown inline syntax found at a position.
enum Span {
    /// Kept byte for byte up to this end.
    Keep(usize),
    /// A link or image: the opening bracket(s) end at `open_end`, the translated text ends at
    /// `text_end`, the kept `](target)` ends at `end`.
    Link {
        open_end: usize,
        text_end: usize,
        end: usize,
    },
}

/// Length of the run of `c` at the start of `s`.
fn run_len(s: &str, c: char) -> usize {
    s.len() - s.trim_start_matches(c).len()
}

/// The end of the bracketed or parenthesised group opening at `start`, past its closer;
/// backslash escapes are skipped.
fn matching_close(s: &str, start: usize, open: u8, close: u8) -> Option<usize> {
    let bytes = s.as_bytes();
    let mut depth = 0usize;
    let mut k = start;
    while k < bytes.len() {
        match bytes[k] {
            b'\\' => k += 1,
            b if b == open => depth += 1,
            b if b == close => {
                depth -= 1;
                if depth == 0 {
                    return Some(k + 1);
                }
            }
            _ => {}
        }
        k += 1;
    }
    None
}

/// What Markdown inline parsing looks up at many positions of one text, found once: protected
/// tokens, and the partner of every `[` and `(` (a link's text can hold links, and an unclosed
/// `[` would otherwise be scanned to the end of the text at each one).
struct MdIndex<'a> {
    tokens: Tokens<'a>,
    /// Per byte offset of a `[` or `(`: the end of its partner, [`UNMATCHED`], or [`ESCAPED`]
    /// where a scan from the start of the text skips the bracket as escaped.
    partner_end: Vec<u32>,
    /// Per byte offset and [`Next`]: where the next one starts (the text's length if none).
    next: Vec<[u32; 3]>,
}

/// What [`MdIndex::find`] looks for.
#[derive(Clone, Copy)]
enum Next {
    Gt,
    Bracket,
    CommentEnd,
}

const UNMATCHED: u32 = u32::MAX;

const ESCAPED: u32 = u32::MAX - 1;

impl<'a> MdIndex<'a> {
    fn new(text: &'a str) -> MdIndex<'a> {
        let bytes = text.as_bytes();
        let mut partner_end = vec![UNMATCHED; bytes.len()];
        let mut open: [Vec<usize>; 2] = [Vec::new(), Vec::new()];
        let mut k = 0;
        while k < bytes.len() {
            match bytes[k] {
                b'\\' => {
                    if let Some(b'[' | b'(') = bytes.get(k + 1) {
                        partner_end[k + 1] = ESCAPED;
                    }
                    k += 1;
                }
                b'[' => open[0].push(k),
                b'(' => open[1].push(k),
                b @ (b']' | b')') => {
                    if let Some(p) = open[usize::from(b == b')')].pop() {
                        partner_end[p] = u32::try_from(k + 1).expect("texts are under 4 GiB");
                    }
                }
                _ => {}
            }
            k += 1;
        }
        let end = u32::try_from(bytes.len()).expect("texts are under 4 GiB");
        let mut next = vec![[end; 3]; bytes.len() + 1];
        for k in (0..bytes.len()).rev() {
            let mut here = next[k + 1];
            for (slot, found) in [
                bytes[k] == b'>',
                bytes[k] == b']',
                bytes[k..].starts_with(b"-->"),
            ]
            .into_iter()
            .enumerate()
            {
                if found {
                    here[slot] = k as u32;
                }
            }
            next[k] = here;
        }
        MdIndex {
            tokens: Tokens::new(text),
            partner_end,
            next,
        }
    }

    /// Where the first `what` at or after `from` in `s` (a slice of the text) starts, if it
    /// lies wholly inside `s`.
    fn find(&self, s: &str, from: usize, what: Next) -> Option<usize> {
        let base = s.as_ptr() as usize - self.tokens.text.as_ptr() as usize;
        let (at, len) = match what {
            Next::Gt => (self.next[base + from][0], 1),
            Next::Bracket => (self.next[base + from][1], 1),
            Next::CommentEnd => (self.next[base + from][2], 3),
        };
        let at = at as usize - base;
        (at + len <= s.len()).then_some(at)
    }

    /// [`matching_close`] for the `[` or `(` at `start` in `s`, a slice of the text. A bracket
    /// pairs with the same partner whatever precedes it, so one scan of the text serves every
    /// slice; only an escaped bracket, which a scan from it does not skip, is scanned for alone.
    fn matching_close(&self, s: &str, start: usize) -> Option<usize> {
        let base = s.as_ptr() as usize - self.tokens.text.as_ptr() as usize;
        match self.partner_end[base + start] {
            UNMATCHED => None,
            ESCAPED => {
                let (open, close) = match s.as_bytes()[start] {
                    b'[' => (b'[', b']'),
                    _ => (b'(', b')'),
                };
                matching_close(s, start, open, close)
            }
            end => (end as usize - base <= s.len()).then(|| end as usize - base),
        }
    }
}

impl Parser<'_> {
    /// A Markdown text line: prefix, then a kept or translated rest.
    pub(super) fn md_line(&mut self, out: &mut Vec<Piece>, content: &str) {
        if is_thematic_break(content) || is_setext_underline(content) {
            keep(out, content);
            return;
        }
        let (p, heading) = md_prefix(content);
        keep(out, &content[..p]);
        let mut rest = &content[p..];
        let mut suffix = "";
        if heading {
            let text = rest.trim_end_matches('#');
            if text.len() < rest.len() && (text.is_empty() || text.ends_with([' ', '\t'])) {
                let text = text.trim_end();
                suffix = &rest[text.len()..];
                rest = text;
            }
        }
        if let Some((label, len)) = ref_definition(rest) {
            keep(out, &rest[..len]);
            if label.starts_with('^') {
                self.md_inline(out, &rest[len..]);
            } else {
                keep(out, &rest[len..]);
            }
        } else if matches!(classify(rest), Kind::Blank | Kind::Keep) {
            keep(out, rest);
        } else {
            self.md_inline(out, rest);
        }
        keep(out, suffix);
    }

    /// Text with Markdown inline syntax: the syntax is kept, the runs between it are text. Link
    /// text is read in place with a stack of the links around it, not by recursion, so that
    /// nesting depth costs neither stack nor rescanning.
    pub(super) fn md_inline(&mut self, out: &mut Vec<Piece>, text: &str) {
        let index = MdIndex::new(text);
        // For each link whose text is being read: the slice around it, and its kept target.
        let mut links: Vec<(Range<usize>, Range<usize>)> = Vec::new();
        let mut slice = 0..text.len();
        let mut run = 0;
        let mut i = 0;
        loop {
            let Some(c) = text[i..slice.end].chars().next() else {
                self.md_run(out, &text[run..slice.end]);
                let Some((outer, target)) = links.pop() else {
                    return;
                };
                keep(out, &text[target.clone()]);
                slice = outer;
                i = target.end;
                run = i;
                continue;
            };
            let base = slice.start;
            match self.md_span(&index, &text[slice.clone()], i - base) {
                Some(Span::Keep(end)) => {
                    self.md_run(out, &text[run..i]);
                    keep(out, &text[i..base + end]);
                    i = base + end;
                    run = i;
                }
                Some(Span::Link {
                    open_end,
                    text_end,
                    end,
                }) => {
                    self.md_run(out, &text[run..i]);
                    keep(out, &text[i..base + open_end]);
                    links.push((slice, base + text_end..base + end));
                    slice = base + open_end..base + text_end;
                    i = slice.start;
                    run = i;
                }
                None => i += c.len_utf8(),
            }
        }
    }

    /// Text between Markdown syntax, without its surrounding whitespace.
    fn md_run(&mut self, out: &mut Vec<Piece>, run: &str) {
        let core = run.trim();
        if core.is_empty() {
            keep(out, run);
            return;
        }
        let start = run.len() - run.trim_start().len();
        keep(out, &run[..start]);
        self.text_plain(out, core);
        keep(out, &run[start + core.len()..]);
    }

    /// The Markdown inline syntax starting at `i`, if any.
    fn md_span(&self, index: &MdIndex, text: &str, i: usize) -> Option<Span> {
        let rest = &text[i..];
        let before = text[..i].chars().next_back();
        let c = rest.chars().next()?;
        let token_start =
            before.is_none_or(|p| p.is_whitespace() || is_quote(p) || "([{<*_~|".contains(p));
        match c {
            '\\' => match rest[1..].chars().next() {
                None => Some(Span::Keep(i + 1)),
                Some(n) if n.is_ascii_punctuation() => Some(Span::Keep(i + 2)),
                Some(_) => None,
            },
            '`' => {
                let n = run_len(rest, '`');
                let mut k = n;
                while let Some(off) = rest[k..].find('`') {
                    let m = run_len(&rest[k + off..], '`');
                    if m == n {
                        return Some(Span::Keep(i + k + off + m));
                    }
                    k += off + m;
                }
                Some(Span::Keep(i + n))
            }
            '|' => Some(Span::Keep(i + 1)),
            '<' => {
                if rest.starts_with("<!--") {
                    return index
                        .find(text, i, Next::CommentEnd)
                        .map(|e| Span::Keep(e + 3));
                }
                let close = index.find(text, i, Next::Gt)? - i;
                let inner = &rest[1..close];
                let autolink = !inner.contains(char::is_whitespace)
                    && !inner.contains('<')
                    && (inner.contains(':') || inner.contains('@'));
                let tag = html_block_start(rest) && !inner.contains('<');
                (autolink || tag).then_some(Span::Keep(i + close + 1))
            }
            '&' => {
                let end = rest
                    .bytes()
                    .take(33)
                    .position(|b| b == b';')
                    .filter(|&e| e >= 2)?;
                let name = rest[1..end].strip_prefix('#').unwrap_or(&rest[1..end]);
                (!name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric()))
                    .then_some(Span::Keep(i + end + 1))
            }
            '*' | '_' | '~' => {
                let n = run_len(rest, c);
                let after = rest[n..].chars().next();
                let space = |o: Option<char>| o.is_none_or(char::is_whitespace);
                let alnum = |o: Option<char>| o.is_some_and(char::is_alphanumeric);
                let flanking = !space(before) || !space(after);
                let ok = match c {
                    '*' => flanking,
                    '_' => flanking && !(alnum(before) && alnum(after)),
                    _ => flanking && n >= 2,
                };
                ok.then_some(Span::Keep(i + n))
            }
            '[' | '!' => {
                if token_start {
                    if let Some(end) = index.tokens.at(text, i) {
                        return Some(Span::Keep(end));
                    }
                }
                if rest.starts_with("[^") {
                    let close = index.find(text, i, Next::Bracket)? - i;
                    return (!rest[..close].contains(char::is_whitespace))
                        .then_some(Span::Keep(i + close + 1));
                }
                self.md_link(index, text, i)
            }
            _ if token_start => index.tokens.at(text, i).map(Span::Keep),
            _ => None,
        }
    }

    /// `[text](url "title")`, `![alt](src)`, `[text][id]`; `[text][]` and `[text]` naming a
    /// reference definition are kept whole.
    fn md_link(&self, index: &MdIndex, text: &str, i: usize) -> Option<Span> {
        let rest = &text[i..];
        let open_end = i + if rest.starts_with("![") {
            2
        } else if rest.starts_with('[') {
            1
        } else {
            return None;
        };
        let close = index.matching_close(text, open_end - 1)?;
        let text_end = close - 1;
        let after = &text[close..];
        if after.starts_with('(') {
            let end = index.matching_close(text, close)?;
            return Some(Span::Link {
                open_end,
                text_end,
                end,
            });
        }
        if after.starts_with('[') {
            let id_end = index.find(text, close + 1, Next::Bracket)? - (close + 1);
            let end = close + 1 + id_end + 1;
            return Some(if id_end == 0 {
                Span::Keep(end)
            } else {
                Span::Link {
                    open_end,
                    text_end,
                    end,
                }
            });
        }
        let label = text[open_end..text_end].to_lowercase();
        self.refs.contains(&label).then_some(Span::Keep(close))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::document::DocumentOptions;
    use crate::text::testing::{inputs, md_inputs};

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
        assert_eq!(md_inputs("| `a|b` | Kata \\| lain |"), ["Kata", "lain"]);
    }

    #[test]
    fn markdown_inline_syntax_is_kept() {
        let cases: &[(&str, &[&str])] = &[
            (
                "Jalankan `cargo build` sekarang.",
                &["Jalankan", "sekarang."],
            ),
            ("Kode ``a ` b`` di sini.", &["Kode", "di sini."]),
            (
                "Lihat [laporan lengkap](https://x.id/a_(b) \"Judul laporan\") ini.",
                &["Lihat", "laporan lengkap", "ini."],
            ),
            (
                "![Foto presiden](foto.jpg) Presiden tiba.",
                &["Foto presiden", "Presiden tiba."],
            ),
            (
                "Baca [berita lama][lama] dan [ini][].",
                &["Baca", "berita lama", "dan"],
            ),
            ("[lama]: https://x.id/lama \"Berita lama\"", &[]),
            (
                "Menurut [Kompas] kemarin.\n\n[kompas]: https://kompas.com",
                &["Menurut", "kemarin."],
            ),
            (
                "Harga [naik tajam] kemarin.",
                &["Harga [naik tajam] kemarin."],
            ),
            (
                "Catatan kaki[^1] di sini.\n\n[^1]: Sumber data resmi.",
                &["Catatan kaki", "di sini.", "Sumber data resmi."],
            ),
            (
                "Tulis ke <humas@x.id> atau <https://x.id>.",
                &["Tulis ke", "atau"],
            ),
            (
                "Baris satu<br>baris <span class=\"x\">dua</span>.",
                &["Baris satu", "baris", "dua"],
            ),
            (
                "Dia **sangat** senang dan _cukup_ puas.",
                &["Dia", "sangat", "senang dan", "cukup", "puas."],
            ),
            ("Harga ~~naik~~ turun.", &["Harga", "naik", "turun."]),
            ("*Seluruh kalimat miring.*", &["Seluruh kalimat miring."]),
            (
                "Nama_berkas dan 5 * 3 tetap.",
                &["Nama_berkas dan 5 * 3 tetap."],
            ),
            (
                "Tanda \\*bukan miring\\* dan &amp; entitas.",
                &["Tanda", "bukan miring", "dan", "entitas."],
            ),
            ("Iklan [iklan_2] di sini.", &["Iklan", "di sini."]),
        ];
        for (text, expected) in cases {
            assert_eq!(md_inputs(text), *expected, "{text:?}");
        }
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
            "Kementerian PUPR",
            "Kami bangga jalan tol ini selesai tepat waktu,",
            "Sudah beroperasi",
            "Uji kelaikan selesai",
            "Setext judul kedua",
        ] {
            assert!(got.iter().any(|s| s == expected), "no input {expected:?}");
        }
    }
}
