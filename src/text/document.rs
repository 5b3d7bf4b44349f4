//! Parses a source document into model inputs and a plan for putting their translations back.
//!
//! The text is cut into lines. Each line keeps its indentation, trailing whitespace and line
//! terminator (LF, CRLF or none) as source bytes, and so do blank lines. Inside a line, what the
//! model must not see or change is kept as source bytes too: placeholders (`[iklan_2]`), URLs,
//! e-mail addresses, hashtags and mentions, text without letters (`***`, `2024`, `12.30 WIB`),
//! datelines (`JAKARTA, KOMPAS.com —`), every double-quote mark, and the names after labels and
//! in credits (`Sumber: …`, `… Foto: KCNA`), whose labels are translated by the `LABELS` table
//! instead of by the model. The rest is cut into sentences by [`crate::text::segment::split`], then at
//! quote marks and protected spans, then at clause boundaries where longer than
//! [`DocumentOptions::max_input_chars`]; each remaining piece is one model input. Hard-wrapped
//! paragraphs are joined before this and re-wrapped afterwards; ALL-CAPS text is sent in
//! sentence case and upper-cased afterwards.
//!
//! With [`DocumentOptions::markdown`], the Markdown syntax is kept as source bytes too. Front
//! matter (`---` … `---` at the start), fenced code blocks (```` ``` ```` or `~~~`, to the
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
//!
//! This module does not translate and does not build the output: [`crate::text::reassemble`] does.

use std::cell::Cell;
use std::ops::Range;

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
}

impl Default for DocumentOptions {
    fn default() -> Self {
        DocumentOptions {
            max_input_chars: 600,
            translate_labels: true,
            unwrap_paragraphs: true,
            markdown: false,
        }
    }
}

/// A parsed source document: the strings to translate and how to put their translations back
/// (see [`crate::text::reassemble::reassemble`]). Owns copies of the source text it needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    blocks: Vec<Block>,
    inputs: Vec<String>,
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
}

impl Document {
    /// Parses `text`. Never fails: what cannot be recognised is translated as prose, and what
    /// has no letters is kept as it is.
    pub fn parse(text: &str, opts: &DocumentOptions) -> Document {
        let mut parser = Parser {
            opts,
            inputs: Vec::new(),
            refs: Vec::new(),
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
        let lines = split_lines(body);
        let md = opts.markdown.then(|| md_line_kinds(&lines));
        let kinds: Vec<Kind> = match &md {
            None => lines.iter().map(|l| classify(l.content)).collect(),
            Some(md) => lines
                .iter()
                .zip(md)
                .map(|(l, &k)| {
                    if l.content.is_empty() {
                        Kind::Blank
                    } else if k == MdLine::Verbatim
                        || !md_plain(l.content)
                        || l.content.ends_with('\\')
                        || l.tail.starts_with("  ")
                    {
                        Kind::Keep
                    } else {
                        classify(l.content)
                    }
                })
                .collect(),
        };
        if let Some(md) = &md {
            parser.refs = lines
                .iter()
                .zip(md)
                .filter(|&(_, &k)| k == MdLine::Text)
                .filter_map(|(l, _)| {
                    let rest = &l.content[md_prefix(l.content).0..];
                    let (label, _) = ref_definition(rest)?;
                    Some(label.to_lowercase())
                })
                .collect();
        }
        let joins: Vec<bool> = (1..lines.len())
            .map(|k| opts.unwrap_paragraphs && joins_next(&lines[k - 1], &lines[k], kinds[k]))
            .collect();
        let mut i = 0;
        while i < lines.len() {
            let n = if opts.unwrap_paragraphs {
                wrapped_len(&lines, &kinds, &joins, i)
            } else {
                1
            };
            if n >= 2 {
                if !flow.is_empty() {
                    blocks.push(Block::Flow(std::mem::take(&mut flow)));
                }
                blocks.push(parser.wrapped(&lines[i..i + n]));
            } else {
                let line = &lines[i];
                keep(&mut flow, line.indent);
                match (md.as_ref().map(|md| md[i]), kinds[i]) {
                    (Some(MdLine::Verbatim), _) | (_, Kind::Blank) => keep(&mut flow, line.content),
                    (Some(MdLine::Text), _) => parser.md_line(&mut flow, line.content),
                    (None, Kind::Keep) => keep(&mut flow, line.content),
                    (None, Kind::Label | Kind::Prose) => parser.text(&mut flow, line.content),
                }
                keep(&mut flow, line.tail);
            }
            i += n;
        }
        if !flow.is_empty() {
            blocks.push(Block::Flow(flow));
        }
        Document {
            blocks,
            inputs: parser.inputs,
        }
    }

    /// The strings to translate, in document order; none is empty or whitespace-only, and none
    /// contains a double-quote mark or a line break.
    pub fn model_inputs(&self) -> &[String] {
        &self.inputs
    }

    pub(crate) fn blocks(&self) -> &[Block] {
        &self.blocks
    }
}

/// What follows a label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rest {
    /// A name or list of names, kept as it is (`Editor: Budi Santoso`).
    Name,
    /// A credit: kept when it looks like a name (`Foto: ANTARA/Budi`), translated when it is
    /// prose (`Foto: Presiden meresmikan jalan tol di Jakarta.`). Such labels are also
    /// recognised at the end of a line (`… pada Juni 2024. Foto: KCNA`).
    Credit,
    /// Prose, translated (`Baca juga: …`).
    Prose,
}

/// A label translated by table rather than by the model.
struct Label {
    id: &'static str,
    en: &'static str,
    rest: Rest,
}

impl Label {
    const fn new(id: &'static str, en: &'static str, rest: Rest) -> Label {
        Label { id, en, rest }
    }
}

/// The labels, matched case-insensitively when followed by `:` (or, at the start of a line,
/// when alone or followed by a count such as `(0)`), and written in the source label's case:
/// `SUMBER:` → `SOURCE:`, `Baca Juga:` → `Read Also:`.
const LABELS: &[Label] = &[
    Label::new("Baca juga", "Read also", Rest::Prose),
    Label::new("Lihat juga", "See also", Rest::Prose),
    Label::new("Komentar", "Comments", Rest::Prose),
    Label::new("Sumber", "Source", Rest::Credit),
    Label::new("Foto", "Photo", Rest::Credit),
    Label::new("Ilustrasi", "Illustration", Rest::Credit),
    Label::new("Grafis", "Graphics", Rest::Credit),
    Label::new("Video", "Video", Rest::Credit),
    Label::new("Editor", "Editor", Rest::Name),
    Label::new("Penyunting", "Editor", Rest::Name),
    Label::new("Penulis", "Writer", Rest::Name),
    Label::new("Pewarta", "Reporter", Rest::Name),
    Label::new("Reporter", "Reporter", Rest::Name),
    Label::new("Kontributor", "Contributor", Rest::Name),
    Label::new("Fotografer", "Photographer", Rest::Name),
];

/// Double-quote marks: kept where the source has them, never sent to the model.
pub(crate) fn is_quote(c: char) -> bool {
    matches!(
        c,
        '"' | '\u{201c}' | '\u{201d}' | '\u{201e}' | '\u{201f}' | '\u{ab}' | '\u{bb}'
    )
}

/// The HTML entities for `"`, which count as quote marks in the source and in model outputs.
pub(crate) const QUOTE_ENTITIES: [&str; 2] = ["&quot;", "&#34;"];

/// Byte length of the quote mark (a character of [`is_quote`] or one of [`QUOTE_ENTITIES`])
/// that `s` starts with.
fn quote_mark_len(s: &str) -> Option<usize> {
    match s.chars().next() {
        Some(c) if is_quote(c) => Some(c.len_utf8()),
        _ => QUOTE_ENTITIES
            .iter()
            .find(|e| s.starts_with(**e))
            .map(|e| e.len()),
    }
}

/// Characters that break a line: kept where the source has them, never sent to the model. LF
/// and CR end lines; the others (vertical tab, form feed, next line, line and paragraph
/// separators) stay inside a line's content.
pub(crate) fn is_line_break(c: char) -> bool {
    matches!(
        c,
        '\n' | '\r' | '\u{b}' | '\u{c}' | '\u{85}' | '\u{2028}' | '\u{2029}'
    )
}

/// Hard-wrapped lines are at most this many characters, indentation included.
const WRAP_MAX_CHARS: usize = 80;
/// Every line of a hard-wrapped paragraph but the last has at least this many characters, so
/// that runs of short lines (titles, lists) are never joined.
const WRAP_MIN_CHARS: usize = 40;

/// The most lines a hard-wrapped paragraph is looked for over (about 8000 characters).
const WRAP_MAX_LINES: usize = 100;

/// Conjunctions (space-separated) a long sentence may be split before, after `; ` and `, `.
const CONJUNCTIONS: &str = "dan tetapi namun serta atau sehingga karena sedangkan yang bahwa";

/// One source line, cut into three contiguous slices.
struct Line<'a> {
    /// Leading whitespace (all of a blank line).
    indent: &'a str,
    /// The text between indentation and trailing whitespace.
    content: &'a str,
    /// Trailing whitespace and the terminator (`\n`, `\r\n` or nothing).
    tail: &'a str,
}

impl Line<'_> {
    fn chars(&self) -> usize {
        self.indent.chars().count() + self.content.chars().count()
    }
}

/// Cuts `text` after each line terminator: LF, CRLF, or a CR alone (old Mac files), so that no
/// line's content holds a line break.
fn split_lines(text: &str) -> Vec<Line<'_>> {
    let mut lines = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        let end = rest.find(['\n', '\r']).map_or(rest.len(), |i| {
            i + if rest[i..].starts_with("\r\n") { 2 } else { 1 }
        });
        let (full, after) = rest.split_at(end);
        let body = full.trim_end_matches(['\n', '\r']);
        let content_start = body.len() - body.trim_start().len();
        let content_end = content_start + body[content_start..].trim_end().len();
        lines.push(Line {
            indent: &full[..content_start],
            content: &full[content_start..content_end],
            tail: &full[content_end..],
        });
        rest = after;
    }
    lines
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Blank,
    /// Nothing to translate: no letters, a time, or only protected tokens.
    Keep,
    /// Starts with a label.
    Label,
    Prose,
}

fn classify(content: &str) -> Kind {
    if content.is_empty() {
        Kind::Blank
    } else if !content.chars().any(char::is_alphabetic)
        || is_time_like(content)
        || content.split_whitespace().all(|token| {
            !token.chars().any(char::is_alphanumeric)
                || protected_at(token, 0)
                    .is_some_and(|end| !token[end..].chars().any(char::is_alphanumeric))
        })
    {
        Kind::Keep
    } else if match_label_at(content, 0).is_some() {
        Kind::Label
    } else {
        Kind::Prose
    }
}

/// Whether line `b` may continue the hard-wrapped paragraph that line `a` is in (see
/// [`wrapped_len`]).
fn joins_next(a: &Line, b: &Line, b_kind: Kind) -> bool {
    (WRAP_MIN_CHARS..=WRAP_MAX_CHARS).contains(&a.chars())
        && !ends_clause(a.content)
        && !is_title_case(a.content)
        && trailing_credit(a.content).is_none()
        && b_kind == Kind::Prose
        && b.chars() <= WRAP_MAX_CHARS
        // A CR alone before a line that may come out empty would read as CRLF.
        && !(a.tail.ends_with('\r') && b.tail.ends_with('\n'))
        && !starts_list_item(b.content)
        && dateline_len(b.content).is_none()
}

/// How many lines from `i` form a hard-wrapped paragraph (1 when none does), given whether each
/// line [`joins_next`] the one before (`joins[k - 1]` for line `k`). Conservative: all lines are
/// prose of at most [`WRAP_MAX_CHARS`]; every line but the last has at least
/// [`WRAP_MIN_CHARS`], is not in title case, does not end a sentence or a clause (`.`, `!`, `?`,
/// `:`, `;`), and ends where a greedy wrap at the paragraph's longest line would have had to
/// break it; the next line does not start a list item or a dateline; the last line does end a
/// sentence or a clause. A paragraph is looked for over at most [`WRAP_MAX_LINES`] lines, so
/// that the work stays linear in the number of lines: only lines that end a clause end a
/// paragraph, and hard-wrapped prose has one far more often than that.
fn wrapped_len(lines: &[Line], kinds: &[Kind], joins: &[bool], i: usize) -> usize {
    if kinds[i] != Kind::Prose {
        return 1;
    }
    let mut end = i + 1;
    while end < lines.len() && end - i < WRAP_MAX_LINES && joins[end - 1] {
        end += 1;
    }
    let width = lines[i..end].iter().map(Line::chars).max().unwrap_or(0);
    let greedy_end = (i..end - 1)
        .find(|&k| {
            let next_word = lines[k + 1]
                .content
                .split_whitespace()
                .next()
                .map_or(0, |w| w.chars().count());
            lines[k].chars() + 1 + next_word <= width
        })
        .map_or(end, |k| k + 1);
    if greedy_end - i >= 2 && ends_clause(lines[greedy_end - 1].content) {
        greedy_end - i
    } else {
        1
    }
}

/// A headline such as `Kim Jong Un Kunjungi Rusia dan Bahas Kerja Sama`: at least three words,
/// all capitalised except short function words.
fn is_title_case(s: &str) -> bool {
    const SMALL: &[&str] = &[
        "dan", "di", "ke", "dari", "yang", "untuk", "dengan", "pada", "atau", "oleh", "dalam",
    ];
    let words: Vec<&str> = s
        .split_whitespace()
        .filter(|w| w.starts_with(char::is_alphabetic))
        .collect();
    words.len() >= 3
        && words
            .iter()
            .all(|w| w.starts_with(char::is_uppercase) || SMALL.contains(w))
}

fn ends_clause(s: &str) -> bool {
    let s = s.trim_end_matches(|c: char| is_quote(c) || matches!(c, ')' | ']' | '\'' | '’'));
    s.ends_with(['.', '!', '?', ':', ';', '…'])
}

fn starts_list_item(s: &str) -> bool {
    let mut words = s.split_whitespace();
    let first = words.next().unwrap_or("");
    let numbered = first.len() > 1
        && first.ends_with(['.', ')'])
        && first[..first.len() - 1].chars().all(|c| c.is_ascii_digit());
    matches!(first, "-" | "*" | "•" | "–" | "—") || numbered
}

/// A label matched in a text.
struct LabelMatch {
    label: &'static Label,
    /// Where the label word(s) end.
    label_end: usize,
    /// Where what follows the label starts: after `:` and its spaces, or the end of the text.
    end: usize,
    /// Followed by `:` (rather than standing alone or before a count).
    colon: bool,
}

fn match_label_at(s: &str, p: usize) -> Option<LabelMatch> {
    LABELS.iter().find_map(|label| {
        let label_end = p + label.id.len();
        if !s.get(p..label_end)?.eq_ignore_ascii_case(label.id) {
            return None;
        }
        let after = &s[label_end..];
        if let Some(rest) = after.trim_start_matches([' ', '\t']).strip_prefix(':') {
            let end = s.len() - rest.trim_start().len();
            return Some(LabelMatch {
                label,
                label_end,
                end,
                colon: true,
            });
        }
        let count = after.starts_with(char::is_whitespace)
            && after
                .trim_start()
                .strip_prefix('(')
                .and_then(|r| r.strip_suffix(')'))
                .is_some_and(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()));
        (p == 0 && (after.is_empty() || count)).then_some(LabelMatch {
            label,
            label_end,
            end: s.len(),
            colon: false,
        })
    })
}

/// A credit at the end of a text: `Foto: KCNA`, `(Foto: Dok. Pribadi)`, `(KOMPAS.com/Ani)`.
struct Credit {
    /// Where the credit starts (its `(` if it has one).
    start: usize,
    /// The label and its English, if the credit has one.
    label: Option<(Range<usize>, &'static str)>,
}

/// The first credit label followed by a name that runs to the end of `s`, or else a final
/// parenthesised `(SOURCE/Name)`. A label not at the start must follow whitespace and be
/// capitalised (or in an opening parenthesis), so that prose such as `dengan foto: …` is left
/// alone.
fn trailing_credit(s: &str) -> Option<Credit> {
    let labelled = s.char_indices().find_map(|(p, _)| {
        let m = match_label_at(s, p).filter(|m| m.colon && m.label.rest == Rest::Credit)?;
        let before = &s[..p];
        let (start, name) = match before.strip_suffix('(') {
            Some(outside) if outside.is_empty() || outside.ends_with(char::is_whitespace) => {
                let tail = &s[m.end..];
                let tail = tail.strip_suffix('.').unwrap_or(tail);
                (p - 1, tail.strip_suffix(')')?)
            }
            _ => {
                let capitalised = s[p..].starts_with(char::is_uppercase);
                if p != 0 && !(before.ends_with(char::is_whitespace) && capitalised) {
                    return None;
                }
                (p, &s[m.end..])
            }
        };
        is_name_like(name).then_some(Credit {
            start,
            label: Some((p..m.label_end, m.label.en)),
        })
    });
    labelled.or_else(|| {
        let inner = s.strip_suffix(')')?;
        let open = inner.rfind('(')?;
        let name = &inner[open + 1..];
        let (source, _) = name.split_once('/')?;
        let credit = (open == 0 || s[..open].ends_with(char::is_whitespace))
            && source.starts_with(char::is_uppercase)
            && !source.contains(char::is_whitespace)
            && is_name_like(name);
        credit.then_some(Credit {
            start: open,
            label: None,
        })
    })
}

/// Whether the text after a credit label is a name (`KCNA`, `ANTARA/Budi`, `Dok. Pribadi`,
/// `istimewa`) rather than prose: a URL or e-mail address, or at most 60 characters in at most
/// six words of which at most one starts in lower case (any two words pass).
fn is_name_like(name: &str) -> bool {
    let name = name.trim();
    if name.is_empty() {
        return false;
    }
    if protected_at(name, 0) == Some(name.len()) {
        return true;
    }
    // Bounded first: a credit label can be tried before every name of a long line.
    if name.chars().nth(60).is_some() {
        return false;
    }
    let words: Vec<&str> = name.split_whitespace().collect();
    let lower = words
        .iter()
        .filter(|w| w.starts_with(char::is_lowercase))
        .count();
    words.len() <= 6 && (lower <= 1 || words.len() <= 2) && !name.contains(['!', '?'])
}

/// Byte length of a dateline at the start of `s`, including the dash and the spaces after it:
/// a place in capitals (one to three words), optionally `, SOURCE` or `(SOURCE)`, then a dash,
/// then prose with lower-case letters (so an ALL-CAPS headline with a dash is not a dateline).
fn dateline_len(s: &str) -> Option<usize> {
    let (dash_start, dash_end) = find_dash(s)?;
    let head = s[..dash_start].trim_end();
    let after = &s[dash_end..];
    let end = s.len() - after.trim_start().len();
    if !s[end..].chars().any(char::is_lowercase) {
        return None;
    }
    let place_end = head.find([',', '(']).unwrap_or(head.len());
    let place = head[..place_end].trim_end();
    let words: Vec<&str> = place.split(' ').collect();
    let place_ok = (1..=3).contains(&words.len())
        && words.iter().all(|w| {
            w.chars().any(char::is_uppercase)
                && w.chars()
                    .all(|c| c.is_uppercase() || matches!(c, '.' | '\'' | '-'))
        })
        && place.chars().filter(|c| c.is_uppercase()).count() >= 3;
    let source = &head[place_end..];
    let source_ok = !source.contains(is_quote) && !source.contains(". ");
    (place_ok && source_ok).then_some(end)
}

/// The first dash in the first 60 characters that can end a dateline: `—` or `–` anywhere,
/// `-` or `--` only between spaces.
fn find_dash(s: &str) -> Option<(usize, usize)> {
    s.char_indices().take(60).find_map(|(i, c)| match c {
        '—' | '–' => Some((i, i + c.len_utf8())),
        '-' if s[..i].ends_with(' ') => {
            let len = if s[i + 1..].starts_with('-') { 2 } else { 1 };
            s[i + len..].starts_with(' ').then_some((i, i + len))
        }
        _ => None,
    })
}

/// A time or number with only time-zone words (`12.30 WIB`), which needs no translation.
fn is_time_like(s: &str) -> bool {
    s.chars().any(|c| c.is_ascii_digit())
        && s.split(|c: char| !c.is_alphanumeric())
            .filter(|w| w.chars().any(char::is_alphabetic))
            .all(|w| matches!(w, "WIB" | "WITA" | "WIT"))
}

/// ALL-CAPS text: no lower-case letter, at least two words of two or more letters and at least
/// ten letters, so that a line of acronyms (`KPK, BPK`) is not taken for a headline.
fn is_all_caps(s: &str) -> bool {
    let letters = s.chars().filter(|c| c.is_uppercase()).count();
    let words = s
        .split_whitespace()
        .filter(|w| w.chars().filter(|c| c.is_alphabetic()).count() >= 2)
        .count();
    !s.chars().any(char::is_lowercase) && letters >= 10 && words >= 2
}

/// `s` (ALL-CAPS) with every capital after the first letter in lower case. Only capitals that
/// [`recases`] are changed, so that upper-casing the lower-case letters of the result gives `s`
/// back.
fn sentence_case(s: &str) -> String {
    let first_end = s
        .char_indices()
        .find(|(_, c)| c.is_alphabetic())
        .map_or(s.len(), |(i, c)| i + c.len_utf8());
    let mut out = String::with_capacity(s.len());
    out.push_str(&s[..first_end]);
    for c in s[first_end..].chars() {
        if c.is_uppercase() && recases(c) {
            out.extend(c.to_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// Whether capital `c` lower-cases to one letter that upper-cases back to `c` alone (`İ`
/// lower-cases to two characters and the Kelvin sign to a plain `k`, so neither does).
fn recases(c: char) -> bool {
    let mut lower = c.to_lowercase();
    match (lower.next(), lower.next()) {
        (Some(l), None) => {
            let mut upper = l.to_uppercase();
            upper.next() == Some(c) && upper.next().is_none()
        }
        _ => false,
    }
}

/// The English label for `source` (a match of `en`'s Indonesian), in the source's case.
fn label_case(source: &str, en: &str) -> String {
    let mut letters = source.chars().filter(|c| c.is_alphabetic());
    if letters.clone().all(char::is_uppercase) {
        en.to_uppercase()
    } else if letters.all(char::is_lowercase) {
        en.to_lowercase()
    } else if source.contains(' ') && source.split(' ').all(|w| w.starts_with(char::is_uppercase)) {
        en.split(' ')
            .map(|w| {
                let mut cs = w.chars();
                cs.next()
                    .map_or(String::new(), |c| c.to_uppercase().chain(cs).collect())
            })
            .collect::<Vec<_>>()
            .join(" ")
    } else {
        en.to_owned()
    }
}

/// End of the protected token (URL, e-mail address, placeholder, hashtag or mention) that starts
/// at `i`, without trailing punctuation. The caller checks that `i` starts a token.
fn protected_at(s: &str, i: usize) -> Option<usize> {
    let rest = &s[i..];
    let token = &rest[..rest.find(is_token_stop).unwrap_or(rest.len())];
    Tokens::new(token).at(token, 0).map(|end| i + end)
}

/// Where a token ends at the latest.
fn is_token_stop(c: char) -> bool {
    c.is_whitespace() || is_quote(c) || c == '<' || c == '>'
}

/// Punctuation that ends the sentence around a token (`https://x.id).` → `https://x.id`), and
/// may be trimmed off it: always, or (`)`, `]`) when the token has more of them than openers.
fn is_trimmed(c: char) -> bool {
    matches!(
        c,
        '.' | ',' | ';' | ':' | '!' | '?' | '\'' | '’' | '…' | ')' | ']'
    )
}

fn is_email_local(c: char) -> bool {
    c.is_ascii_alphanumeric() || "._%+-".contains(c)
}

/// The protected tokens of a text, found in constant time at any start inside any slice of it:
/// [`Tokens::at`] is asked at every token start (after each `(`, say), and a token may run to the
/// end of the text, so scanning it each time would be quadratic.
struct Tokens<'a> {
    text: &'a str,
    /// Per byte offset: the next [`is_token_stop`] character at or after it.
    stop: Vec<u32>,
    /// Per byte offset: where the run of [`is_trimmed`] characters that ends there starts.
    trimmed_from: Vec<u32>,
    /// Per byte offset: how many `(`, `)`, `[` and `]` come before it.
    counts: Vec<[u32; 4]>,
    /// The offsets of every `)` and of every `]`, in order.
    closers: [Vec<u32>; 2],
    /// Per byte offset: where the run of e-mail local-part characters starting there ends.
    local_end: Vec<u32>,
    /// The last domain checked, as its range and verdict: starts inside one local part (after
    /// each `_` in Markdown) share it.
    domain: Cell<Option<(usize, usize, bool)>>,
}

impl<'a> Tokens<'a> {
    fn new(text: &'a str) -> Tokens<'a> {
        let n = text.len();
        let offset = |p: usize| u32::try_from(p).expect("texts are under 4 GiB");
        let mut stop = vec![offset(n); n + 1];
        let mut local_end = vec![offset(n); n + 1];
        for (p, c) in text.char_indices().rev() {
            let next = p + c.len_utf8();
            stop[p] = if is_token_stop(c) {
                offset(p)
            } else {
                stop[next]
            };
            local_end[p] = if is_email_local(c) {
                local_end[next]
            } else {
                offset(p)
            };
        }
        let mut trimmed_from = vec![0; n + 1];
        let mut counts = vec![[0; 4]; n + 1];
        let mut closers = [Vec::new(), Vec::new()];
        for (p, c) in text.char_indices() {
            let next = p + c.len_utf8();
            trimmed_from[next] = if is_trimmed(c) {
                trimmed_from[p]
            } else {
                offset(next)
            };
            let mut count = counts[p];
            match c {
                '(' => count[0] += 1,
                ')' => {
                    count[1] += 1;
                    closers[0].push(offset(p));
                }
                '[' => count[2] += 1,
                ']' => {
                    count[3] += 1;
                    closers[1].push(offset(p));
                }
                _ => {}
            }
            counts[next] = count;
        }
        Tokens {
            text,
            stop,
            trimmed_from,
            counts,
            closers,
            local_end,
            domain: Cell::new(None),
        }
    }

    /// [`protected_at`] for `s`, a slice of the text.
    fn at(&self, s: &str, i: usize) -> Option<usize> {
        let base = (s.as_ptr() as usize)
            .checked_sub(self.text.as_ptr() as usize)
            .filter(|b| b + s.len() <= self.text.len())
            .expect("a slice of the text");
        let start = base + i;
        let end = self.trimmed_end(start, (self.stop[start] as usize).min(base + s.len()));
        let token = &self.text[start..end];
        let protected =
            is_url(token) || self.is_email(start, end) || is_placeholder(token) || is_tag(token);
        (!token.is_empty() && protected).then_some(end - base)
    }

    /// Where the token `start..end` ends once the punctuation that ends the sentence around it
    /// is trimmed: from the end, every [`is_trimmed`] character goes, except a `)` (or `]`) that
    /// the token before it has no more of than openers. Within the trailing run of such
    /// characters there are no openers, so that is the `)` matching the last unclosed `(`.
    fn trimmed_end(&self, start: usize, end: usize) -> usize {
        let run = (self.trimmed_from[end] as usize).max(start);
        let (before, at) = (self.counts[start], self.counts[end]);
        let mut keep = run;
        for (k, closers) in self.closers.iter().enumerate() {
            let opens = (at[2 * k] - before[2 * k]) as usize;
            let kept = before[2 * k + 1] as usize + opens;
            // The `kept`-th closer of the text (counting from 0) is the last one to stay.
            if opens > 0 && kept <= at[2 * k + 1] as usize {
                let p = closers[kept - 1] as usize;
                if p >= run {
                    keep = keep.max(p + 1);
                }
            }
        }
        keep
    }

    /// An e-mail address, `local@domain`: the local part is found through the precomputed run,
    /// so that starts inside one word (after each `_` in Markdown) do not rescan it.
    fn is_email(&self, start: usize, end: usize) -> bool {
        let at = self.local_end[start] as usize;
        at > start
            && at < end
            && self.text[at..].starts_with('@')
            && match self.domain.get() {
                Some((a, e, verdict)) if (a, e) == (at, end) => verdict,
                _ => {
                    let verdict = is_email_domain(&self.text[at + 1..end]);
                    self.domain.set(Some((at, end, verdict)));
                    verdict
                }
            }
    }
}

fn is_url(t: &str) -> bool {
    ["http://", "https://", "ftp://", "www."]
        .iter()
        .any(|scheme| {
            t.len() > scheme.len() + 2
                && t.as_bytes()[..scheme.len()].eq_ignore_ascii_case(scheme.as_bytes())
        })
}

/// The domain of an e-mail address: `x.go.id`.
fn is_email_domain(domain: &str) -> bool {
    // The character check first: it stops at the first character that cannot be in a domain.
    domain
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
        && domain.contains('.')
        && !domain.starts_with('.')
        && {
            let tld = domain.rsplit('.').next().unwrap_or("");
            tld.len() >= 2 && tld.chars().all(|c| c.is_ascii_alphabetic())
        }
}

/// `[iklan_2]`, `{{nama}}`: a bracketed word without spaces.
fn is_placeholder(t: &str) -> bool {
    let inner = if t.starts_with('[') && t.ends_with(']') {
        &t[1..t.len() - 1]
    } else if t.starts_with('{') && t.ends_with('}') {
        t.trim_start_matches('{').trim_end_matches('}')
    } else {
        return false;
    };
    !inner.is_empty()
        && inner
            .chars()
            .all(|c| c.is_alphanumeric() || "_-.:=#/".contains(c))
}

/// `#Pemilu2024`, `@kompascom`.
fn is_tag(t: &str) -> bool {
    let Some(name) = t.strip_prefix(['#', '@']) else {
        return false;
    };
    name.chars().any(char::is_alphabetic)
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || c == '_' || (t.starts_with('@') && c == '.'))
}

/// Appends source bytes, merging with a preceding `Keep`.
fn keep(out: &mut Vec<Piece>, s: &str) {
    if s.is_empty() {
        return;
    }
    match out.last_mut() {
        Some(Piece::Keep(k)) => k.push_str(s),
        _ => out.push(Piece::Keep(s.to_owned())),
    }
}

struct Parser<'o> {
    opts: &'o DocumentOptions,
    inputs: Vec<String>,
    /// Markdown: the lower-cased labels of the document's reference definitions, so that a
    /// shortcut reference link (`[Kompas]`) keeps its text.
    refs: Vec<String>,
}

impl Parser<'_> {
    fn wrapped(&mut self, lines: &[Line]) -> Block {
        let joined = lines
            .iter()
            .map(|l| l.content)
            .collect::<Vec<_>>()
            .join(" ");
        let mut pieces = Vec::new();
        self.text(&mut pieces, &joined);
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
            markdown: self.opts.markdown,
        }
    }

    /// A line's content (or a joined paragraph): in Markdown, the inline syntax is kept and the
    /// text between it goes to [`Parser::text_plain`].
    fn text(&mut self, out: &mut Vec<Piece>, text: &str) {
        if self.opts.markdown {
            self.md_inline(out, text);
        } else {
            self.text_plain(out, text);
        }
    }

    /// Label, dateline, credit, then prose.
    fn text_plain(&mut self, out: &mut Vec<Piece>, text: &str) {
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
        keep(out, &text[..body_start]);
        let body = &text[body_start..];
        match trailing_credit(body) {
            Some(credit) => {
                let prose = body[..credit.start].trim_end();
                self.prose(out, prose);
                match credit.label {
                    Some((label, en)) => {
                        keep(out, &body[prose.len()..label.start]);
                        self.label(out, &body[label.clone()], en);
                        keep(out, &body[label.end..]);
                    }
                    None => keep(out, &body[prose.len()..]),
                }
            }
            None => self.prose(out, body),
        }
    }

    fn label(&self, out: &mut Vec<Piece>, source: &str, en: &str) {
        if self.opts.translate_labels {
            keep(out, &label_case(source, en));
        } else {
            keep(out, source);
        }
    }

    /// Names after a label, kept as they are except for further labels after a space
    /// (`Budi | Editor: Ani`).
    fn names(&self, out: &mut Vec<Piece>, s: &str) {
        let mut done = 0;
        for (p, _) in s.char_indices() {
            if p < done || !s[..p].ends_with(char::is_whitespace) {
                continue;
            }
            if let Some(m) = match_label_at(s, p).filter(|m| m.colon) {
                keep(out, &s[done..p]);
                self.label(out, &s[p..m.label_end], m.label.en);
                done = m.label_end;
            }
        }
        keep(out, &s[done..]);
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

    fn model(&mut self, out: &mut Vec<Piece>, text: &str, upper: bool) {
        let mut parts = Vec::new();
        split_long(text, self.opts.max_input_chars.max(1), 0, &mut parts);
        let mut pos = 0;
        for part in parts {
            keep(out, &text[pos..part.start]);
            let s = &text[part.clone()];
            if s.chars().any(char::is_alphabetic) {
                out.push(Piece::Model {
                    input: self.inputs.len(),
                    upper,
                    continuation: !upper && s.starts_with(char::is_lowercase),
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

/// Byte offsets of the brackets without a partner in `s`, in one pass. A closer that does not
/// match the innermost open bracket (or has none) is unpartnered, and so are all brackets still
/// open before it: scanning starts afresh after it.
fn unmatched_brackets(s: &str) -> Vec<usize> {
    let mut found = Vec::new();
    let mut open = Vec::new();
    for (i, c) in s.char_indices() {
        match c {
            '(' | '[' => open.push((i, c)),
            ')' | ']' => match open.pop() {
                Some((_, o)) if (o, c) == ('(', ')') || (o, c) == ('[', ']') => {}
                popped => {
                    found.extend(open.drain(..).chain(popped).map(|(p, _)| p));
                    found.push(i);
                }
            },
            _ => {}
        }
    }
    found.extend(open.iter().map(|&(p, _)| p));
    found
}

/// Cuts `text` (at offset `base` in the input) into ranges of at most `max` characters without
/// whitespace at their ends, separated by whitespace or (as a last resort, inside an overlong
/// word or where no cut leaves words on both sides) by nothing.
fn split_long(text: &str, max: usize, base: usize, out: &mut Vec<Range<usize>>) {
    let base = base + text.len() - text.trim_start().len();
    let text = text.trim();
    if text.is_empty() {
        return;
    }
    if text.chars().count() <= max {
        out.push(base..base + text.len());
        return;
    }
    match clause_cut(text) {
        Some((left_end, right_start)) => {
            split_long(&text[..left_end], max, base, out);
            split_long(&text[right_start..], max, base + right_start, out);
        }
        None => {
            let mut start = 0;
            while start < text.len() {
                let rest = &text[start..];
                let end = start + rest.char_indices().nth(max).map_or(rest.len(), |(i, _)| i);
                split_long(&text[start..end], max, base + start, out);
                start = end;
            }
        }
    }
}

/// The best place to cut a long text, as (end of the left part, start of the right part):
/// `; `, then `, `, then before a conjunction, then any whitespace; at the first of these kinds
/// that occurs, the cut nearest the middle. `None` when there is no whitespace to cut at.
fn clause_cut(text: &str) -> Option<(usize, usize)> {
    let lower = text.to_ascii_lowercase();
    let after_mark = |mark: &'static str| {
        text.match_indices(mark)
            .map(|(i, _)| {
                let right = i + 1;
                (right, text.len() - text[right..].trim_start().len())
            })
            .collect::<Vec<_>>()
    };
    let conjunctions = CONJUNCTIONS
        .split_whitespace()
        .flat_map(|w| {
            lower
                .match_indices(&format!(" {w} "))
                .map(|(i, _)| (i, i + 1))
                .collect::<Vec<_>>()
        })
        .collect::<Vec<_>>();
    let spaces = text
        .char_indices()
        .filter(|&(i, c)| c.is_whitespace() && !text[..i].ends_with(char::is_whitespace))
        .map(|(i, _)| (i, text.len() - text[i..].trim_start().len()))
        .collect::<Vec<_>>();
    // Whether each side of a cut has a word, from the first and last alphanumeric characters
    // rather than by scanning a side per cut.
    let first_word = text.find(char::is_alphanumeric).unwrap_or(text.len());
    let last_word = text.rfind(char::is_alphanumeric);
    let has_words = |l: usize, r: usize| first_word < l && last_word.is_some_and(|w| w >= r);
    let mid = text.len() / 2;
    [after_mark("; "), after_mark(", "), conjunctions, spaces]
        .into_iter()
        .find_map(|cuts| {
            cuts.into_iter()
                .filter(|&(l, r)| has_words(l, r))
                .min_by_key(|&(l, _)| l.abs_diff(mid))
        })
}

/// How a line of a Markdown document is handled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum MdLine {
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
fn md_line_kinds(lines: &[Line]) -> Vec<MdLine> {
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
fn md_prefix(content: &str) -> (usize, bool) {
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
fn ref_definition(s: &str) -> Option<(&str, usize)> {
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
fn md_plain(content: &str) -> bool {
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
    fn md_line(&mut self, out: &mut Vec<Piece>, content: &str) {
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
    fn md_inline(&mut self, out: &mut Vec<Piece>, text: &str) {
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

    const KCNA: &str = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/news-kcna.id.txt"
    ));

    fn inputs(text: &str) -> Vec<String> {
        Document::parse(text, &DocumentOptions::default()).inputs
    }

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
    fn spans_inside_sentences_split_the_prose() {
        let cases: &[(&str, &[&str])] = &[
            (
                "Informasi lebih lanjut di https://x.id/a?b=1 atau hubungi humas@x.go.id untuk detail.",
                &["Informasi lebih lanjut di", "atau hubungi", "untuk detail."],
            ),
            (
                "Ikuti @kompascom dan #Pemilu2024 untuk kabar terbaru.",
                &["Ikuti", "dan", "untuk kabar terbaru."],
            ),
            ("Pengumuman (lihat https://x.id).", &["Pengumuman", "lihat"]),
            ("(lihat https://x.id dan peta) di sini.", &["lihat", "dan peta", "di sini."]),
            ("Kunjungi www.x.id. Lalu daftar.", &["Kunjungi", "Lalu daftar."]),
            ("Iklan [iklan_2] di tengah kalimat.", &["Iklan", "di tengah kalimat."]),
        ];
        for (text, expected) in cases {
            assert_eq!(inputs(text), *expected, "{text:?}");
        }
    }

    #[test]
    fn quote_marks_never_reach_the_model() {
        let cases: &[(&str, &[&str])] = &[
            (
                "\"Kami siap. Kami kuat,\" ujar Bapak Kim.",
                &["Kami siap.", "Kami kuat,", "ujar Bapak Kim."],
            ),
            (
                "\u{201c}Kami siap,\u{201d} kata dia.",
                &["Kami siap,", "kata dia."],
            ),
            (
                "\u{ab}Kami siap\u{bb}, kata dia.",
                &["Kami siap", "kata dia."],
            ),
            (
                "Surat tersebut \"menyatakan keyakinan bahwa kerja sama meluas.\"",
                &[
                    "Surat tersebut",
                    "menyatakan keyakinan bahwa kerja sama meluas.",
                ],
            ),
            (
                "Dia berkata \"tidak\u{201d} lalu pergi.",
                &["Dia berkata", "tidak", "lalu pergi."],
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(inputs(text), *expected, "{text:?}");
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
                Piece::Keep(_) => None,
            })
            .collect();
        assert_eq!(continuations, [false, true]);
    }

    #[test]
    fn datelines_are_kept() {
        let cases: &[(&str, &[&str])] = &[
            (
                "JAKARTA, KOMPAS.com — Presiden meresmikan jalan tol.",
                &["Presiden meresmikan jalan tol."],
            ),
            (
                "JAKARTA (ANTARA) - Presiden meresmikan jalan tol.",
                &["Presiden meresmikan jalan tol."],
            ),
            (
                "BANDA ACEH, KOMPAS.com -- Gempa mengguncang Aceh.",
                &["Gempa mengguncang Aceh."],
            ),
            (
                "PYONGYANG \u{2013} Kim menerima surat.",
                &["Kim menerima surat."],
            ),
            (
                "Jakarta - Presiden meresmikan jalan tol.",
                &["Jakarta - Presiden meresmikan jalan tol."],
            ),
            (
                "Harga naik - kata pedagang.",
                &["Harga naik - kata pedagang."],
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(inputs(text), *expected, "{text:?}");
        }
    }

    #[test]
    fn labels_keep_names_and_translate_prose() {
        let cases: &[(&str, &[&str])] = &[
            ("Sumber: https://x.id/berita", &[]),
            ("Sumber: Kementerian Kesehatan", &[]),
            ("Editor: Budi Santoso", &[]),
            ("Penulis: Budi | Editor: Ani", &[]),
            ("Pewarta : Ani Suryani", &[]),
            ("Komentar (0)", &[]),
            ("Komentar", &[]),
            (
                "Baca juga: Presiden meresmikan jalan tol",
                &["Presiden meresmikan jalan tol"],
            ),
            (
                "Foto: Presiden meresmikan jalan tol di Jakarta, Senin (12/8).",
                &["Presiden meresmikan jalan tol di Jakarta, Senin (12/8)."],
            ),
            ("Sumbernya adalah pejabat.", &["Sumbernya adalah pejabat."]),
            ("Komentar warga beragam.", &["Komentar warga beragam."]),
        ];
        for (text, expected) in cases {
            assert_eq!(inputs(text), *expected, "{text:?}");
        }
    }

    #[test]
    fn credits_stay_out_of_the_caption() {
        let cases: &[(&str, &[&str])] = &[
            (
                "Kim di Pyongyang pada Juni 2024. Foto: KCNA",
                &["Kim di Pyongyang pada Juni 2024."],
            ),
            (
                "Dia berpidato di Bogor. (Foto: Dok. Pribadi)",
                &["Dia berpidato di Bogor."],
            ),
            (
                "Tim bulu tangkis berlatih FOTO: PBSI",
                &["Tim bulu tangkis berlatih"],
            ),
            ("Ilustrasi: Tim Grafis", &[]),
            (
                "Antrean pemudik di Merak. Foto: ANTARA/Budi",
                &["Antrean pemudik di Merak."],
            ),
            (
                "Dia mengirim foto: semua orang tertawa.",
                &["Dia mengirim foto: semua orang tertawa."],
            ),
            (
                "Jokowi meresmikan tol. (KOMPAS.com/Ardito Ramadhan)",
                &["Jokowi meresmikan tol."],
            ),
            (
                "Tol diresmikan Selasa (11/7/2023)",
                &["Tol diresmikan Selasa (11/7/2023)"],
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(inputs(text), *expected, "{text:?}");
        }
    }

    #[test]
    fn all_caps_is_sent_in_sentence_case() {
        assert_eq!(
            inputs("KIM JONG UN KUNJUNGI RUSIA"),
            ["Kim jong un kunjungi rusia"]
        );
        assert_eq!(inputs("KPK, BPK"), ["KPK, BPK"]);
        assert_eq!(
            inputs("Kim Jong Un kunjungi RUSIA"),
            ["Kim Jong Un kunjungi RUSIA"]
        );
        // Capitals whose lower case would not upper-case back to them stay capitals.
        assert_eq!(
            inputs("KUNJUNGI İSTANBUL DAN ǅ"),
            ["Kunjungi İstanbul dan ǅ"]
        );
    }

    const WRAPPED: &str = "\
Presiden Rusia Vladimir Putin dan pemimpin Korea Utara Kim
Jong Un berjalan-jalan di taman Wisma Kumsusan di Pyongyang.
Keduanya membahas kerja sama pertahanan yang semakin erat
antara kedua negara dan menandatangani sejumlah perjanjian
baru.
";

    #[test]
    fn hard_wrapped_paragraphs_are_joined() {
        assert_eq!(
            inputs(WRAPPED),
            [
                "Presiden Rusia Vladimir Putin dan pemimpin Korea Utara Kim Jong Un berjalan-jalan di taman Wisma Kumsusan di Pyongyang.",
                "Keduanya membahas kerja sama pertahanan yang semakin erat antara kedua negara dan menandatangani sejumlah perjanjian baru.",
            ]
        );
        let opts = DocumentOptions {
            unwrap_paragraphs: false,
            ..DocumentOptions::default()
        };
        assert_eq!(Document::parse(WRAPPED, &opts).inputs.len(), 5);
    }

    /// A paragraph of `WRAP_MAX_LINES` lines is joined; lines that never end a clause are not,
    /// and cost linear time, not quadratic (20 000 such lines took 14 minutes).
    #[test]
    fn wrapped_paragraphs_are_looked_for_over_a_window() {
        let line = "presiden presiden presiden presiden presiden";
        let text = vec![line; WRAP_MAX_LINES].join("\n") + ".\n";
        let doc = Document::parse(&text, &DocumentOptions::default());
        assert!(
            matches!(doc.blocks[..], [Block::Wrapped { ref lines, .. }] if lines.len() == WRAP_MAX_LINES)
        );
        let unended = vec![line; 20_000].join("\n");
        assert_eq!(inputs(&unended).len(), 20_000);
    }

    #[test]
    fn a_lone_cr_joins_no_lf_line() {
        let wrapped = |text: &str| {
            let doc = Document::parse(text, &DocumentOptions::default());
            matches!(doc.blocks[..], [Block::Wrapped { .. }])
        };
        let line = "presiden presiden presiden presiden presiden";
        assert!(wrapped(&format!("{line}\rpresiden.\r")));
        assert!(wrapped(&format!("{line}\npresiden.\n")));
        assert!(!wrapped(&format!("{line}\rpresiden.\n")));
    }

    #[test]
    fn short_or_finished_lines_are_not_joined() {
        let lists = "Daftar pemenang\nBudi Santoso\nAni Suryani\n";
        assert_eq!(inputs(lists).len(), 3);
        let title = "Kim Jong Un dan Putin Bertemu di Pyongyang Hari Ini\nKedua pemimpin membahas kerja sama pertahanan kedua negara.\n";
        assert_eq!(inputs(title).len(), 2);
        let headline = "Kim Jong Un Kunjungi Rusia, Bahas Kerja Sama Militer dengan Putin\nPertemuan berlangsung di Vladivostok selama dua hari itu.\n";
        assert_eq!(inputs(headline).len(), 2);
        let unfinished = "Presiden Rusia Vladimir Putin dan pemimpin Korea Utara Kim\nJong Un berjalan-jalan di taman Wisma Kumsusan\n";
        assert_eq!(inputs(unfinished).len(), 2);
        let items =
            "Kesepakatan yang dicapai kedua negara dalam pertemuan itu\n- kerja sama pertahanan\n";
        assert_eq!(inputs(items).len(), 2);
    }

    #[test]
    fn long_sentences_are_split_not_truncated() {
        let clause = "pemerintah daerah menyiapkan bantuan bagi warga yang terdampak banjir";
        let text = format!("{}.", vec![clause; 24].join(", "));
        let opts = DocumentOptions {
            max_input_chars: 200,
            ..DocumentOptions::default()
        };
        let got = Document::parse(&text, &opts).inputs;
        assert!(got.len() > 1);
        assert!(got.iter().all(|s| s.chars().count() <= 200), "{got:?}");
        assert_eq!(got.join(" "), text);

        let word = "a".repeat(1500);
        let got = inputs(&word);
        assert!(got.iter().all(|s| s.chars().count() <= 600));
        assert_eq!(got.concat(), word);
    }

    /// Cuts next to whitespace that is not the clause boundary, and hard cuts where no cut has
    /// words on both sides, leave the whitespace out of the inputs.
    #[test]
    fn long_inputs_have_no_whitespace_at_their_ends() {
        let short = |max_input_chars| DocumentOptions {
            max_input_chars,
            ..DocumentOptions::default()
        };
        let cases: &[(&str, usize, &[&str])] = &[
            ("kata sama \u{1f44d} ===.", 7, &["kata", "sama \u{1f44d}"]),
            (
                "KOMPAS.com —  dan Presiden",
                13,
                &["KOMPAS.com —", "dan Presiden"],
            ),
        ];
        for &(text, max, expected) in cases {
            assert_eq!(
                Document::parse(text, &short(max)).inputs,
                expected,
                "{text:?}"
            );
        }
    }

    #[test]
    fn clause_cut_prefers_semicolons_then_commas_then_conjunctions() {
        let text = "satu dua tiga, empat lima; enam tujuh delapan";
        assert_eq!(
            clause_cut(text).map(|(l, _)| &text[..l]),
            Some("satu dua tiga, empat lima;")
        );
        let text = "satu dua tiga dan empat lima, enam";
        assert_eq!(
            clause_cut(text).map(|(l, _)| &text[..l]),
            Some("satu dua tiga dan empat lima,")
        );
        let text = "satu dua tiga tetapi empat lima enam";
        assert_eq!(
            clause_cut(text).map(|(_, r)| &text[r..]),
            Some("tetapi empat lima enam")
        );
        assert_eq!(clause_cut("tanpaspasi"), None);
    }

    #[test]
    fn crlf_stays_out_of_inputs() {
        let got = inputs("Kim tiba.\r\nPutin menyambut.\r\n");
        assert_eq!(got, ["Kim tiba.", "Putin menyambut."]);
    }

    /// A CR alone ends a line (old Mac files); other line breaks split the inputs.
    #[test]
    fn line_breaks_never_reach_the_model() {
        let lines = split_lines("> \rSumber:\r\nSatu\n\rDua");
        let tails: Vec<&str> = lines.iter().map(|l| l.tail).collect();
        assert_eq!(tails, [" \r", "\r\n", "\n", "\r", ""]);
        assert_eq!(inputs("Presiden\rPresiden"), ["Presiden", "Presiden"]);
        assert_eq!(inputs("Kim tiba\rdi Moskwa."), ["Kim tiba", "di Moskwa."]);
        for separator in ["\u{b}", "\u{c}", "\u{85}", "\u{2028}", "\u{2029}"] {
            assert_eq!(inputs(&format!("Satu{separator}Dua")), ["Satu", "Dua"]);
        }
    }

    #[test]
    fn quote_entities_are_quote_marks() {
        assert_eq!(inputs("&#34;Presiden"), ["Presiden"]);
        assert_eq!(
            inputs("&quot;Kami siap,&quot; kata dia &quot;https://x.id&quot;."),
            ["Kami siap,", "kata dia"]
        );
    }

    #[test]
    fn label_case_follows_the_source() {
        assert_eq!(label_case("SUMBER", "Source"), "SOURCE");
        assert_eq!(label_case("sumber", "Source"), "source");
        assert_eq!(label_case("Baca Juga", "Read also"), "Read Also");
        assert_eq!(label_case("Baca juga", "Read also"), "Read also");
    }

    const BERITA: &str = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/md/berita.md"
    ));

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

    fn md_inputs(text: &str) -> Vec<String> {
        let opts = DocumentOptions {
            markdown: true,
            ..DocumentOptions::default()
        };
        Document::parse(text, &opts).inputs
    }

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
