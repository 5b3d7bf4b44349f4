//! HTML pages: the prose of a page as units to translate, and the page written back around their
//! translations with every other byte copied from the source.
//!
//! The page is tokenized by html5gum, a WHATWG tokenizer that never fails and gives the byte span
//! of each tag, attribute value and text run (a tree would lose the source's spelling: attribute
//! quoting and order, entities, whitespace). Tokenizer states switch after `<script>`, `<style>`,
//! `<textarea>`, `<title>` and the other raw-text elements as a browser's would
//! ([`html5gum::naive_next_state`]), so a `<` inside a script is not a tag. There is no tree:
//! elements are sorted into a few kinds by name ([`kind`]) and the token stream is walked once.
//!
//! - Block elements (`p`, `div`, `li`, `td`, `h1`, `figcaption`…, see [`BLOCK`]) end the prose
//!   before them; their tags are copied. Missing end tags (`<li>`, `<p>`) need nothing more.
//! - Inline elements (`a`, `b`, `em`, `span`…, and any element not named here) stay inside their
//!   sentence as a [`Mark::Open`] and a [`Mark::Close`] of their exact start and end tags; an
//!   element the block ends before its end tag has a `Close` with no text. Misnesting
//!   (`<b><i>x</b></i>`) is read as a browser first reads it: `</b>` closes `i` too (with a
//!   `Close` of no text), and the `</i>` left over, like any end tag with nothing open to close,
//!   is a [`Mark::Point`]. An inline element with no text in
//!   it (`<a href=…><img …></a>`, `<ins class="adsbygoogle"></ins>`) is one point.
//! - Void elements (`br`, `img`, `wbr`…), comments, CDATA and the elements whose content is never
//!   translated (`code`, `kbd`, `samp`, `var`, `svg`, `math`, `script`, `style`, `textarea`,
//!   anything with `translate="no"`) are one point each inside a sentence, whole; points and
//!   whitespace at the edge of a block are left out of its unit and copied. `pre`, `template` and
//!   block elements with `translate="no"` are copied whole. A `<br>` between two words with no
//!   whitespace by it also gives the plain text a space (a [`Mark::Space`] of no bytes), so that
//!   the model does not read the two words as one. A `</>`, which the tokenizer drops, is a point.
//! - Text: entities are decoded (`&nbsp;` is U+00A0 in the plain text); `<title>` is a block
//!   whose text has no markup. Each run of HTML whitespace is one space, kept as a
//!   [`Mark::Space`] with its source bytes when it is not exactly one space; a run that the plain
//!   text cannot have as a space (after another space, at the start or end of the unit) is a
//!   point. A block makes a unit only if its text has a letter.
//! - The `alt`, `title`, `placeholder` and `aria-label` values of the tags that are not copied
//!   whole are units of their own (no markup; their whitespace is kept as in text), and
//!   `lang="id"` / `lang="id-ID"` becomes `lang="en"` in the same quoting. Nothing else in a tag
//!   changes.
//!
//! Units are in source order. [`HtmlPage::render`] takes each unit's English as the inline
//! transfer writes it: the English as plain text (not escaped), with the marks' strings in it
//! verbatim. It finds the marks again by their strings and escapes the text around them, so an
//! untranslated page comes back byte for byte: an entity is written again with its source
//! spelling where the same character comes back in the unit's text, the n-th time the character
//! occurs taking the spelling of its n-th occurrence in the source (`&#38;`, `&nbsp;` and a bare
//! `&` come back as they were written, a bare `<` or `&` only where it cannot start a tag or an
//! entity in the English); any other `&`, `<` and `>` is escaped, and an attribute's quote. Text
//! that spells out one of its own unit's tags (`&lt;b&gt;` next to a `<b>` of the same unit) is
//! read as that tag. An unquoted attribute value is quoted where its English needs it.
//!
//! Not here: what in a unit's text is translated (labels, credits, codes, English), which is the
//! text path's, applied to each unit's plain text.
//!
//! One concern, one file: reading a page into units and writing it back share the places, edits
//! and entity spellings recorded while reading; the tests are in `html/tests.rs`.

use std::convert::Infallible;
use std::ops::Range;

use html5gum::emitters::callback::{CallbackEmitter, CallbackEvent};
use html5gum::{Span, Tokenizer};

use crate::text::inline::{Mark, Marked};

/// Elements that separate prose: the text before one and the text after are different units.
const BLOCK: &[&str] = &[
    "address",
    "article",
    "aside",
    "blockquote",
    "body",
    "caption",
    "center",
    "dd",
    "details",
    "dialog",
    "dir",
    "div",
    "dl",
    "dt",
    "fieldset",
    "figcaption",
    "figure",
    "footer",
    "form",
    "frameset",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "head",
    "header",
    "hgroup",
    "hr",
    "html",
    "legend",
    "li",
    "main",
    "menu",
    "nav",
    "ol",
    "optgroup",
    "option",
    "p",
    "section",
    "select",
    "summary",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "title",
    "tr",
    "ul",
];

/// Elements without content (no end tag).
const VOID: &[&str] = &[
    "area", "base", "basefont", "bgsound", "br", "col", "embed", "frame", "img", "input", "keygen",
    "link", "meta", "param", "source", "track", "wbr",
];

/// Elements whose content is never translated, copied whole (a point inside a sentence).
const OPAQUE: &[&str] = &[
    "code",
    "iframe",
    "kbd",
    "math",
    "noembed",
    "noframes",
    "noscript",
    "object",
    "plaintext",
    "samp",
    "script",
    "style",
    "svg",
    "textarea",
    "var",
    "xmp",
];

/// Elements whose content is never translated and that separate prose, copied whole.
const OPAQUE_BLOCK: &[&str] = &["pre", "listing", "template"];

/// Elements whose content the tokenizer reads as text up to their end tag.
const RAW_TEXT: &[&str] = &[
    "iframe",
    "noembed",
    "noframes",
    "noscript",
    "plaintext",
    "script",
    "style",
    "textarea",
    "xmp",
];

/// Foreign content: anything may be inside, and `<x/>` is a whole element.
const FOREIGN: &[&str] = &["math", "svg"];

/// Attributes whose values are prose for a reader.
const TRANSLATED_ATTRIBUTES: &[&str] = &["alt", "aria-label", "placeholder", "title"];

/// What an element is to the walk over the tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Block,
    Inline,
    Void,
    Opaque,
    OpaqueBlock,
}

/// The kind of the element `name` (lower case, as the tokenizer gives it). Unknown elements
/// (custom elements, `font`, `ins`) are inline, as browsers lay them out.
fn kind(name: &str) -> Kind {
    if BLOCK.contains(&name) {
        Kind::Block
    } else if VOID.contains(&name) {
        Kind::Void
    } else if OPAQUE.contains(&name) {
        Kind::Opaque
    } else if OPAQUE_BLOCK.contains(&name) {
        Kind::OpaqueBlock
    } else {
        Kind::Inline
    }
}

/// HTML's whitespace (not U+00A0, which HTML keeps).
fn is_html_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r' | '\x0C')
}

/// An attribute of a start tag: its name and the source bytes of its value, without quotes (an
/// empty range for an attribute without a value).
#[derive(Debug, Clone)]
struct Attribute {
    name: String,
    value: Range<usize>,
}

/// A token with its source bytes.
#[derive(Debug, Clone)]
enum Token {
    Start {
        name: String,
        span: Range<usize>,
        attributes: Vec<Attribute>,
        self_closing: bool,
    },
    End {
        name: String,
        span: Range<usize>,
    },
    Text(Range<usize>),
    /// A comment, CDATA section, doctype or processing instruction.
    Other(Range<usize>),
}

impl Token {
    fn span(&self) -> &Range<usize> {
        match self {
            Token::Start { span, .. } | Token::End { span, .. } => span,
            Token::Text(span) | Token::Other(span) => span,
        }
    }
}

/// The tokens of `text` with spans shifted by `base`, in order and not overlapping. A tag cut
/// off by the end of the input gives no token (its bytes are in no span).
fn tokenize(text: &str, base: usize) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut open: Option<(String, usize, Vec<Attribute>)> = None;
    let mut emitter = CallbackEmitter::new(|event: CallbackEvent<'_>, span: Span<usize>| {
        let range = span.start + base..span.end + base;
        let name_of = |name: &[u8]| String::from_utf8_lossy(name).into_owned();
        match event {
            CallbackEvent::OpenStartTag { name } => {
                open = Some((name_of(name), range.start, vec![]))
            }
            CallbackEvent::AttributeName { name } => {
                if let Some((_, _, attributes)) = &mut open {
                    attributes.push(Attribute {
                        name: name_of(name),
                        value: range.end..range.end,
                    });
                }
            }
            CallbackEvent::AttributeValue { .. } => {
                if let Some(attribute) = open.as_mut().and_then(|(_, _, a)| a.last_mut()) {
                    attribute.value = range;
                }
            }
            CallbackEvent::CloseStartTag { self_closing } => {
                if let Some((name, start, attributes)) = open.take() {
                    tokens.push(Token::Start {
                        name,
                        span: start..range.end,
                        attributes,
                        self_closing,
                    });
                }
            }
            CallbackEvent::EndTag { name } => tokens.push(Token::End {
                name: name_of(name),
                span: range,
            }),
            CallbackEvent::String { .. } => tokens.push(Token::Text(range)),
            CallbackEvent::Comment { .. } | CallbackEvent::Doctype { .. } => {
                tokens.push(Token::Other(range))
            }
            CallbackEvent::Error(_) => {}
        }
        None::<Infallible>
    });
    emitter.naively_switch_states(true);
    // The tokenizer cannot fail on a string; its error type is the callback's Infallible.
    let _ = Tokenizer::new_with_emitter(text, emitter).finish();
    // Spans are taken as given only where they fit: in order, inside the text, on character
    // boundaries. Bytes in no span are copied.
    let full = base + text.len();
    let fits = |r: &Range<usize>, from: usize| {
        r.start >= from
            && r.start <= r.end
            && r.end <= full
            && text.is_char_boundary(r.start - base)
            && text.is_char_boundary(r.end - base)
    };
    let mut from = base;
    tokens.retain(|token| {
        let span = token.span();
        let attributes_fit = match token {
            Token::Start { attributes, .. } => attributes.iter().all(|a| {
                a.value.start >= span.start && a.value.end <= span.end && fits(&a.value, base)
            }),
            _ => true,
        };
        let keep = fits(span, from) && attributes_fit;
        if keep {
            from = span.end;
        }
        keep
    });
    tokens
}

/// Where a value is written: text, the text of `<title>` (where only `</title>` is markup), or
/// an attribute value in its source quoting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Context {
    Text,
    Title,
    Quoted(char),
    Unquoted,
}

impl Context {
    /// Whether `spelling` of `c` reads as `c` again before the character `after`: a bare `<`
    /// or `&` of the source may start a tag or an entity before other English.
    fn keeps(self, c: char, spelling: &str, after: &str) -> bool {
        if spelling.len() != c.len_utf8() {
            return true;
        }
        let next = after.chars().next().unwrap_or(' ');
        match c {
            '<' if self == Context::Title => !after
                .get(..6)
                .is_some_and(|end| end.eq_ignore_ascii_case("/title")),
            '<' => !(next.is_ascii_alphabetic() || matches!(next, '/' | '!' | '?')),
            '&' => {
                let chunk_len = after.find(['&', '<']).unwrap_or(after.len());
                let chunk = format!("&{}", &after[..chunk_len]);
                decode_chunk(&chunk, self.is_attribute()) == chunk
            }
            '"' | '\'' => self != Context::Quoted(c),
            _ => true,
        }
    }

    fn is_attribute(self) -> bool {
        matches!(self, Context::Quoted(_) | Context::Unquoted)
    }

    /// How `c` is written when the source has no other spelling for it.
    fn escape(self, c: char, out: &mut String) {
        match (self, c) {
            (_, '&') => out.push_str("&amp;"),
            (Context::Text | Context::Title, '<') => out.push_str("&lt;"),
            (Context::Text | Context::Title, '>') => out.push_str("&gt;"),
            (Context::Quoted('"'), '"') => out.push_str("&quot;"),
            (Context::Quoted('\''), '\'') => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
}

/// A decoded character of text or of an attribute value, with its source bytes: the character
/// itself, or an entity. Only the first character of an entity that decodes to two has the
/// entity's bytes; the second has an empty range after them.
#[derive(Debug, Clone)]
struct Char {
    c: char,
    src: Range<usize>,
}

/// The characters of `source[range]` decoded as the tokenizer decodes them (in text, or in an
/// attribute value when `attribute`).
fn decode_chars(source: &str, range: Range<usize>, attribute: bool) -> Vec<Char> {
    let mut chars = Vec::new();
    let mut at = range.start;
    while at < range.end {
        let rest = &source[at..range.end];
        let c = rest.chars().next().expect("inside the range");
        if c != '&' {
            chars.push(Char {
                c,
                src: at..at + c.len_utf8(),
            });
            at += c.len_utf8();
            continue;
        }
        // An entity never holds another `&` or a `<`: decode up to either, and what the decoded
        // text ends with that the source ends with too was not part of the entity.
        let chunk_len = rest[1..].find(['&', '<']).map_or(rest.len(), |i| i + 1);
        let chunk = &rest[..chunk_len];
        let decoded = decode_chunk(chunk, attribute);
        let first = decoded.chars().next().map_or(1, char::len_utf8);
        let common = common_suffix(&decoded, chunk).min(decoded.len() - first.min(decoded.len()));
        let entity = &decoded[..decoded.len() - common];
        let entity_len = chunk.len() - common;
        if entity.is_empty() || entity_len <= 1 {
            chars.push(Char {
                c: '&',
                src: at..at + 1,
            });
            at += 1;
            continue;
        }
        let mut start = at;
        for c in entity.chars() {
            chars.push(Char {
                c,
                src: start..at + entity_len,
            });
            start = at + entity_len;
        }
        at += entity_len;
    }
    chars
}

/// `chunk` (which starts with `&` and holds no other `&` or `<`) as the tokenizer decodes it.
fn decode_chunk(chunk: &str, attribute: bool) -> String {
    let mut decoded = Vec::new();
    let wrapped;
    let text = if attribute {
        let quote = if chunk.contains('"') { '\'' } else { '"' };
        wrapped = format!("<a v={quote}{chunk}{quote}>");
        wrapped.as_str()
    } else {
        chunk
    };
    let emitter = CallbackEmitter::new(|event: CallbackEvent<'_>, _: Span<()>| {
        match event {
            CallbackEvent::String { value } if !attribute => decoded.extend_from_slice(value),
            CallbackEvent::AttributeValue { value } if attribute => {
                decoded.extend_from_slice(value)
            }
            _ => {}
        }
        None::<Infallible>
    });
    let _ = Tokenizer::new_with_emitter(text, emitter).finish();
    String::from_utf8_lossy(&decoded).into_owned()
}

/// The length in bytes of the longest common suffix of `a` and `b`, on character boundaries.
fn common_suffix(a: &str, b: &str) -> usize {
    a.chars()
        .rev()
        .zip(b.chars().rev())
        .take_while(|(x, y)| x == y)
        .map(|(x, _)| x.len_utf8())
        .sum()
}

/// What a block (or an attribute value) holds, in source order, before it is made a unit.
#[derive(Debug, Clone)]
enum Item {
    Space(Range<usize>),
    Char(Char),
    Open(Range<usize>),
    /// A `<br>`: a point, and a space of the plain text where the source has none next to it.
    Break(Range<usize>),
    /// An end tag, or an empty range where an element ends without one.
    Close(Range<usize>),
    Point(Range<usize>),
}

impl Item {
    fn text(c: Char) -> Item {
        if is_html_space(c.c) {
            Item::Space(c.src)
        } else {
            Item::Char(c)
        }
    }
    fn src(&self) -> &Range<usize> {
        match self {
            Item::Space(r) | Item::Open(r) | Item::Break(r) | Item::Close(r) | Item::Point(r) => r,
            Item::Char(c) => &c.src,
        }
    }

    fn is_edge(&self) -> bool {
        matches!(self, Item::Space(_) | Item::Break(_) | Item::Point(_))
    }
}

/// A mark over the plain text with its source bytes, in source order.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Event {
    Open { at: usize, src: Range<usize> },
    Close { at: usize, src: Range<usize> },
    Point { at: usize, src: Range<usize> },
    Space { at: usize, src: Range<usize> },
}

impl Event {
    fn src(&self) -> &Range<usize> {
        match self {
            Event::Open { src, .. }
            | Event::Close { src, .. }
            | Event::Point { src, .. }
            | Event::Space { src, .. } => src,
        }
    }
}

/// Where a unit is in the source and what its rendering needs.
#[derive(Debug, Clone)]
struct Place {
    /// The source bytes the unit's rendering replaces.
    region: Range<usize>,
    context: Context,
    /// The unit's marks with their source bytes, in source order.
    events: Vec<Event>,
    /// For each character some occurrence of which the source spells in another way than
    /// [`Context::escape`]: the spelling of each of its occurrences, in order.
    spellings: Vec<(char, Vec<Range<usize>>)>,
}

/// A change inside copied source bytes.
#[derive(Debug, Clone)]
enum Edit {
    /// An attribute value replaced by the rendering of this unit.
    Unit(usize),
    /// `lang="id"` → `lang="en"`.
    Lang,
}

/// An HTML page read into units to translate; see the module documentation.
#[derive(Debug, Clone)]
pub struct HtmlPage {
    source: String,
    units: Vec<Marked>,
    places: Vec<Place>,
    /// Sorted by source position, not overlapping.
    edits: Vec<(Range<usize>, Edit)>,
}

/// The UTF-8 labels of the Encoding Standard, and the UTF-16 ones, which a `<meta>` cannot mean
/// (the standard reads them as UTF-8).
const UTF8_LABELS: &[&str] = &[
    "unicode-1-1-utf-8",
    "unicode11utf8",
    "unicode20utf8",
    "utf-8",
    "utf8",
    "x-unicode20utf8",
    "csunicode",
    "iso-10646-ucs-2",
    "ucs-2",
    "unicode",
    "unicodefeff",
    "unicodefffe",
    "utf-16",
    "utf-16be",
    "utf-16le",
];

/// How far into a page a `<meta>` may declare its encoding (the Encoding Standard's prescan).
const PRESCAN_BYTES: usize = 1024;

/// The encoding a `<meta charset>` or `<meta http-equiv="content-type">` in `head` declares.
fn declared_charset(head: &str) -> Option<String> {
    for token in tokenize(head, 0) {
        let Token::Start {
            name, attributes, ..
        } = token
        else {
            continue;
        };
        if name != "meta" {
            continue;
        }
        let value = |wanted: &str| {
            attributes
                .iter()
                .find(|a| a.name == wanted)
                .map(|a| head[a.value.clone()].trim().to_string())
        };
        if let Some(charset) = value("charset") {
            return Some(charset);
        }
        let content_type =
            value("http-equiv").is_some_and(|v| v.eq_ignore_ascii_case("content-type"));
        if let (true, Some(content)) = (content_type, value("content")) {
            let lower = content.to_ascii_lowercase();
            if let Some(i) = lower.find("charset=") {
                let label = content[i + "charset=".len()..]
                    .trim_start()
                    .trim_matches(|c| c == '"' || c == '\'')
                    .split(|c: char| c == ';' || c.is_whitespace() || c == '"' || c == '\'')
                    .next()
                    .unwrap_or_default()
                    .to_string();
                return Some(label);
            }
        }
    }
    None
}

impl HtmlPage {
    /// Decodes bytes: UTF-8 (with or without BOM) is honoured; a `<meta charset>` /
    /// `http-equiv` content-type / BOM naming another encoding is refused with an `Err(String)`
    /// one-liner naming the encoding and how to convert (`iconv -f X -t UTF-8`); invalid UTF-8
    /// is refused with the byte offset. A UTF-8 byte-order mark outweighs a `<meta>`, as in
    /// browsers, and stays in the text (it is copied to the output).
    pub fn decode(bytes: &[u8]) -> Result<&str, String> {
        let bom = bytes.starts_with(b"\xEF\xBB\xBF");
        if bytes.starts_with(b"\xFF\xFE") || bytes.starts_with(b"\xFE\xFF") {
            return Err(
                "UTF-16 text (byte-order mark); convert it with `iconv -f UTF-16 -t UTF-8`"
                    .to_string(),
            );
        }
        if !bom {
            let head = String::from_utf8_lossy(&bytes[..bytes.len().min(PRESCAN_BYTES)]);
            if let Some(label) = declared_charset(&head) {
                if !UTF8_LABELS.contains(&label.to_ascii_lowercase().as_str()) {
                    return Err(format!(
                        "declares charset {label}; convert it with `iconv -f {label} -t UTF-8` \
                         and declare utf-8"
                    ));
                }
            }
        }
        std::str::from_utf8(bytes).map_err(|e| format!("invalid UTF-8 at byte {}", e.valid_up_to()))
    }

    /// Reads `source` into units. Never fails on bad markup: whatever the tokenizer does not read
    /// as markup is text, and whatever is in no unit is copied.
    pub fn parse(source: &str) -> HtmlPage {
        let base = if source.starts_with('\u{FEFF}') { 3 } else { 0 };
        let tokens = tokenize(&source[base..], base);
        let mut walk = Walk {
            source,
            block: Block::default(),
            found: Vec::new(),
            langs: Vec::new(),
            in_title: false,
        };
        walk.run(&tokens);
        let Walk {
            mut found, langs, ..
        } = walk;
        found.sort_by_key(|(place, _)| place.region.start);
        let mut edits: Vec<(Range<usize>, Edit)> =
            langs.into_iter().map(|r| (r, Edit::Lang)).collect();
        for (i, (place, _)) in found.iter().enumerate() {
            if place.context.is_attribute() {
                edits.push((place.region.clone(), Edit::Unit(i)));
            }
        }
        edits.sort_by_key(|(r, _)| r.start);
        let (places, units) = found.into_iter().unzip();
        HtmlPage {
            source: source.to_string(),
            units,
            places,
            edits,
        }
    }

    /// The prose to translate, in document order: text runs of block elements, and translatable
    /// attribute values.
    pub fn units(&self) -> &[crate::text::inline::Marked] {
        &self.units
    }

    /// The page with units[i] replaced by rendered[i] (already markup-transferred English); every
    /// byte that is not translated text copied from the source. `rendered[i]` is plain text with
    /// the strings of the unit's marks in it (see the module documentation on escaping).
    ///
    /// Panics unless there is one rendering per unit.
    pub fn render(&self, rendered: &[String]) -> String {
        assert_eq!(rendered.len(), self.units.len(), "one rendering per unit");
        let mut out = String::with_capacity(self.source.len() * 11 / 10);
        let mut at = 0;
        for (i, place) in self.places.iter().enumerate() {
            if !place.context.is_attribute() {
                self.copy(at..place.region.start, rendered, &mut out);
                self.write_unit(i, rendered, &mut out);
                at = place.region.end;
            }
        }
        self.copy(at..self.source.len(), rendered, &mut out);
        out
    }

    /// `source[range]`, with the edits inside it made.
    fn copy(&self, range: Range<usize>, rendered: &[String], out: &mut String) {
        let mut at = range.start;
        let first = self.edits.partition_point(|(r, _)| r.start < range.start);
        for (r, edit) in &self.edits[first..] {
            if r.end > range.end {
                break;
            }
            out.push_str(&self.source[at..r.start]);
            match edit {
                Edit::Lang => out.push_str("en"),
                Edit::Unit(i) => self.write_unit(*i, rendered, out),
            }
            at = r.end;
        }
        out.push_str(&self.source[at..range.end]);
    }

    /// The rendering of unit `i`, its text escaped and its marks copied with their edits.
    fn write_unit(&self, i: usize, rendered: &[String], out: &mut String) {
        let place = &self.places[i];
        let text = &rendered[i];
        if place.context == Context::Unquoted {
            let mut value = String::new();
            self.write_text(place, Context::Unquoted, text, rendered, &mut value);
            let needs_quotes = value.is_empty()
                || value.contains(|c: char| is_html_space(c) || "\"'=<>`".contains(c));
            if needs_quotes {
                out.push('"');
                self.write_text(place, Context::Quoted('"'), text, rendered, out);
                out.push('"');
            } else {
                out.push_str(&value);
            }
        } else {
            self.write_text(place, place.context, text, rendered, out);
        }
    }

    fn write_text(
        &self,
        place: &Place,
        context: Context,
        text: &str,
        rendered: &[String],
        out: &mut String,
    ) {
        // The marks a rendering is scanned for: whitespace needs no escaping, so the marks that
        // are only whitespace need no finding.
        let ranges: Vec<&Range<usize>> = place
            .events
            .iter()
            .map(Event::src)
            .filter(|r| self.source[(*r).clone()].contains(|c: char| !is_html_space(c)))
            .collect();
        let marks: Vec<&str> = ranges.iter().map(|r| &self.source[(*r).clone()]).collect();
        let mut used = vec![false; marks.len()];
        let mut next_spelling = vec![0; place.spellings.len()];
        let mut rest = text;
        while let Some(c) = rest.chars().next() {
            if c == '<' || c == '&' || is_html_space(c) {
                let found = (0..marks.len())
                    .filter(|&k| !used[k] && rest.starts_with(marks[k]))
                    .max_by_key(|&k| (marks[k].len(), std::cmp::Reverse(k)));
                if let Some(k) = found {
                    used[k] = true;
                    self.copy(ranges[k].clone(), rendered, out);
                    rest = &rest[marks[k].len()..];
                    continue;
                }
            }
            let spelled = place
                .spellings
                .iter()
                .position(|(s, _)| *s == c)
                .and_then(|k| {
                    let spelling = place.spellings[k].1.get(next_spelling[k])?;
                    next_spelling[k] += 1;
                    Some(spelling)
                });
            let after = &rest[c.len_utf8()..];
            // The character after is written as an entity: nothing can join a bare `<` or `&`.
            let entity_after = after.chars().next().is_some_and(|next| {
                place.spellings.iter().enumerate().any(|(k, (s, list))| {
                    *s == next
                        && list
                            .get(next_spelling[k])
                            .is_some_and(|r| self.source[r.clone()].starts_with('&'))
                })
            });
            match spelled {
                Some(r) if entity_after || context.keeps(c, &self.source[r.clone()], after) => {
                    out.push_str(&self.source[r.clone()])
                }
                Some(_) => context.escape(c, out),
                None if is_html_space(c) => out.push(c),
                None => context.escape(c, out),
            }
            rest = &rest[c.len_utf8()..];
        }
    }
}

/// The prose of the block being read.
#[derive(Debug, Default)]
struct Block {
    items: Vec<Item>,
    /// Open inline elements: name and index of their `Open` item.
    open: Vec<(String, usize)>,
}

/// The walk over the tokens: the block being read, the units found, the `lang` values to change.
struct Walk<'a> {
    source: &'a str,
    block: Block,
    found: Vec<(Place, Marked)>,
    langs: Vec<Range<usize>>,
    /// Inside `<title>`, whose text the tokenizer reads up to `</title>`.
    in_title: bool,
}

impl Walk<'_> {
    fn run(&mut self, tokens: &[Token]) {
        let mut i = 0;
        while i < tokens.len() {
            match &tokens[i] {
                Token::Text(span) => {
                    for item in self.text_items(span.clone()) {
                        self.push(item);
                    }
                }
                Token::Other(span) => self.push(Item::Point(span.clone())),
                Token::End { name, span } => match kind(name) {
                    Kind::Block => {
                        self.flush();
                        self.in_title = false;
                    }
                    Kind::Inline => self.end_inline(name, span.clone()),
                    _ => self.push(Item::Point(span.clone())),
                },
                Token::Start {
                    name,
                    span,
                    attributes,
                    self_closing,
                } => {
                    let not_translated = attributes.iter().any(|a| {
                        a.name == "translate"
                            && self.source[a.value.clone()]
                                .trim()
                                .eq_ignore_ascii_case("no")
                    });
                    let element_kind = kind(name);
                    if not_translated || matches!(element_kind, Kind::Opaque | Kind::OpaqueBlock) {
                        let (end, next) = element_end(tokens, i, *self_closing);
                        if matches!(element_kind, Kind::Block | Kind::OpaqueBlock) {
                            self.flush();
                        } else {
                            self.push(Item::Point(span.start..end));
                        }
                        i = next;
                        continue;
                    }
                    self.attributes(attributes);
                    match element_kind {
                        Kind::Block => {
                            self.flush();
                            self.in_title = name == "title";
                        }
                        Kind::Void if name == "br" => self.push(Item::Break(span.clone())),
                        Kind::Void => self.push(Item::Point(span.clone())),
                        _ => {
                            self.push(Item::Open(span.clone()));
                            let at = self.block.items.len() - 1;
                            self.block.open.push((name.clone(), at));
                        }
                    }
                }
            }
            i += 1;
        }
        self.flush();
    }

    /// The items of a text token. A `</>` in text outside `<title>` is one the tokenizer read
    /// and dropped, as browsers do: it stays in the source as a point.
    fn text_items(&self, span: Range<usize>) -> Vec<Item> {
        let mut items = Vec::new();
        let mut at = span.start;
        loop {
            let dropped = match self.in_title {
                true => None,
                false => self.source[at..span.end].find("</>").map(|i| at + i),
            };
            let end = dropped.unwrap_or(span.end);
            items.extend(
                decode_chars(self.source, at..end, false)
                    .into_iter()
                    .map(Item::text),
            );
            let Some(dropped) = dropped else { break };
            items.push(Item::Point(dropped..dropped + 3));
            at = dropped + 3;
        }
        items
    }

    /// Adds `item` to the block; source bytes skipped since the item before (a `</>` the
    /// tokenizer drops) become a point first.
    fn push(&mut self, item: Item) {
        if let Some(last) = self.block.items.last() {
            let (end, start) = (last.src().end, item.src().start);
            if start > end {
                self.block.items.push(Item::Point(end..start));
            }
        }
        self.block.items.push(item);
    }

    /// An end tag of an inline element: closes it and every element opened inside it.
    fn end_inline(&mut self, name: &str, span: Range<usize>) {
        let Some(k) = self.block.open.iter().rposition(|(n, _)| n == name) else {
            self.push(Item::Point(span));
            return;
        };
        while self.block.open.len() > k + 1 {
            self.close_top(span.start..span.start);
        }
        self.close_top(span);
    }

    /// Closes the innermost open element with `src`; an element with only points in it becomes
    /// one point.
    fn close_top(&mut self, src: Range<usize>) {
        let (_, at) = self.block.open.pop().expect("an open element");
        let items = &mut self.block.items;
        if items[at + 1..]
            .iter()
            .all(|item| matches!(item, Item::Point(_)))
        {
            let start = items[at].src().start;
            items.truncate(at);
            items.push(Item::Point(start..src.end));
        } else {
            self.push(Item::Close(src));
        }
    }

    /// The translated attribute values of a start tag as units, and its `lang` to change.
    fn attributes(&mut self, attributes: &[Attribute]) {
        for attribute in attributes {
            let value = attribute.value.clone();
            if attribute.name == "lang" {
                let lang = self.source[value.clone()].to_ascii_lowercase();
                if lang == "id" || lang.starts_with("id-") {
                    self.langs.push(value);
                }
                continue;
            }
            if !TRANSLATED_ATTRIBUTES.contains(&attribute.name.as_str()) || value.is_empty() {
                continue;
            }
            let context = match self.source.as_bytes()[value.start - 1] {
                q @ (b'"' | b'\'') => Context::Quoted(q as char),
                _ => Context::Unquoted,
            };
            let items = decode_chars(self.source, value, true)
                .into_iter()
                .map(Item::text)
                .collect();
            if let Some(unit) = unit(self.source, items, context) {
                self.found.push(unit);
            }
        }
    }

    /// Ends the block: closes what is open and makes its prose a unit.
    fn flush(&mut self) {
        while !self.block.open.is_empty() {
            let end = self.block.items.last().map_or(0, |item| item.src().end);
            self.close_top(end..end);
        }
        let items = std::mem::take(&mut self.block.items);
        let context = match self.in_title {
            true => Context::Title,
            false => Context::Text,
        };
        if let Some(unit) = unit(self.source, items, context) {
            self.found.push(unit);
        }
    }
}

/// Where the element whose start tag is `tokens[i]` ends: the end of its source bytes and the
/// index of the token after it. Raw-text elements end at their end tag, others at the end tag
/// that closes them (same name, nesting counted); an element inside prose that is not foreign
/// also ends where a block does; any of them at the end of the input.
fn element_end(tokens: &[Token], i: usize, self_closing: bool) -> (usize, usize) {
    let Token::Start { name, span, .. } = &tokens[i] else {
        unreachable!("element_end is given a start tag")
    };
    let foreign = FOREIGN.contains(&name.as_str());
    if kind(name) == Kind::Void || (self_closing && foreign) {
        return (span.end, i + 1);
    }
    let raw = RAW_TEXT.contains(&name.as_str());
    let stops_at_blocks =
        !foreign && !raw && kind(name) != Kind::Block && kind(name) != Kind::OpaqueBlock;
    let mut depth = 0;
    for (j, token) in tokens.iter().enumerate().skip(i + 1) {
        match token {
            Token::Start {
                name: n,
                self_closing: s,
                ..
            } if n == name && !raw && !(foreign && *s) => depth += 1,
            Token::End { name: n, span } if n == name => {
                if depth == 0 {
                    return (span.end, j + 1);
                }
                depth -= 1;
            }
            Token::Start { name: n, span, .. } | Token::End { name: n, span }
                if stops_at_blocks && kind(n) == Kind::Block =>
            {
                return (span.start, j);
            }
            _ => {}
        }
    }
    let end = tokens
        .last()
        .map_or(span.end, |t| t.span().end.max(span.end));
    (end, tokens.len())
}

/// The unit made of `items` (a block's prose or an attribute's value), or none if it has no
/// letter. Spaces and points at its edges are left out: they stay source bytes.
fn unit(source: &str, mut items: Vec<Item>, context: Context) -> Option<(Place, Marked)> {
    let keep_from = items.iter().position(|item| !item.is_edge())?;
    let keep_to = items.iter().rposition(|item| !item.is_edge())? + 1;
    items.truncate(keep_to);
    items.drain(..keep_from);
    if !items
        .iter()
        .any(|item| matches!(item, Item::Char(c) if c.c.is_alphabetic()))
    {
        return None;
    }
    let region = items[0].src().start..items[items.len() - 1].src().end;

    let mut plain = String::new();
    let mut events = Vec::new();
    let mut chars: Vec<Char> = Vec::new();
    for item in merge_spaces(items) {
        match item {
            Item::Space(src) if plain.is_empty() || plain.ends_with(' ') => {
                events.push(Event::Point {
                    at: plain.len(),
                    src,
                });
            }
            Item::Space(src) => {
                events.push(Event::Space {
                    at: plain.len(),
                    src,
                });
                plain.push(' ');
            }
            Item::Char(c) => {
                plain.push(c.c);
                chars.push(c);
            }
            Item::Open(src) => events.push(Event::Open {
                at: plain.len(),
                src,
            }),
            Item::Close(src) => events.push(Event::Close {
                at: plain.len(),
                src,
            }),
            Item::Point(src) => events.push(Event::Point {
                at: plain.len(),
                src,
            }),
            Item::Break(src) if plain.ends_with(' ') => events.push(Event::Point {
                at: plain.len(),
                src,
            }),
            Item::Break(src) => {
                // The words on either side are separate words to the model; the space it is
                // given is written as nothing.
                let end = src.end;
                events.push(Event::Point {
                    at: plain.len(),
                    src,
                });
                events.push(Event::Space {
                    at: plain.len(),
                    src: end..end,
                });
                plain.push(' ');
            }
        }
    }
    if plain.ends_with(' ') {
        plain.pop();
        let end = plain.len();
        if let Some(k) = events
            .iter()
            .rposition(|e| matches!(e, Event::Space { at, .. } if *at == end))
        {
            let src = events[k].src().clone();
            events[k] = Event::Point { at: end, src };
        }
        for event in &mut events {
            let (Event::Open { at, .. }
            | Event::Close { at, .. }
            | Event::Point { at, .. }
            | Event::Space { at, .. }) = event;
            *at = (*at).min(end);
        }
    }
    // One space of the source is the plain text's space, and a trailing `<br>`'s space is no
    // space: nothing to keep.
    events.retain(|e| match e {
        Event::Space { src, .. } => &source[src.clone()] != " ",
        Event::Point { src, .. } => !src.is_empty(),
        _ => true,
    });

    let mut spellings: Vec<(char, Vec<Range<usize>>)> = Vec::new();
    for ch in &chars {
        let mut default = String::new();
        context.escape(ch.c, &mut default);
        if source[ch.src.clone()] != default
            && !ch.src.is_empty()
            && !spellings.iter().any(|(c, _)| *c == ch.c)
        {
            spellings.push((ch.c, Vec::new()));
        }
    }
    for ch in &chars {
        if let Some((_, list)) = spellings.iter_mut().find(|(c, _)| *c == ch.c) {
            list.push(ch.src.clone());
        }
    }
    let marked = Marked {
        plain,
        marks: to_marks(source, &events),
    };
    let place = Place {
        region,
        context,
        events,
        spellings,
    };
    Some((place, marked))
}

/// `items` with each run of adjacent spaces as one.
fn merge_spaces(items: Vec<Item>) -> Vec<Item> {
    let mut merged: Vec<Item> = Vec::with_capacity(items.len());
    for item in items {
        if let (Some(Item::Space(run)), Item::Space(next)) = (merged.last_mut(), &item) {
            if run.end == next.start {
                run.end = next.end;
                continue;
            }
        }
        merged.push(item);
    }
    merged
}

/// The events as [`Mark`]s.
fn to_marks(source: &str, events: &[Event]) -> Vec<Mark> {
    let text = |r: &Range<usize>| source[r.clone()].to_string();
    events
        .iter()
        .map(|event| match event {
            Event::Open { at, src } => Mark::Open {
                at: *at,
                text: text(src),
            },
            Event::Close { at, src } => Mark::Close {
                at: *at,
                text: text(src),
            },
            Event::Point { at, src } => Mark::Point {
                at: *at,
                text: text(src),
            },
            Event::Space { at, src } => Mark::Space {
                at: *at,
                text: text(src),
            },
        })
        .collect()
}

#[cfg(test)]
mod tests;
