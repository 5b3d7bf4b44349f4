//! Inline markup carried across a translation by word alignment: one mechanism for HTML tags,
//! subtitle styling and Markdown emphasis and links.
//!
//! A format hands over each run of prose as a [`Marked`]: the plain text the model may see, and
//! the markup taken out of it as [`Mark`]s over that text. The plain text is translated whole, so
//! a link or a bold word no longer cuts its sentence in pieces, and [`transfer`] then writes the
//! markup into the English where the alignment says its words went.

use std::collections::BTreeMap;
use std::ops::Range;

use super::alignment::{words, WordAlignment};
use super::document::{Document, DocumentOptions};
use super::reassemble::{reassemble, reassemble_traced};

/// A run of prose with its inline markup taken out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Marked {
    /// The text to translate: no markup, no line breaks.
    pub plain: String,
    /// In source order (the order their text appears in the source), which is also the order
    /// in which marks at the same place are written back.
    pub marks: Vec<Mark>,
}

/// Markup taken out of [`Marked::plain`], at byte offsets of it.
///
/// `Open` and `Close` come in pairs that nest like tags: a `Close` ends the latest `Open` not yet
/// ended. Together they are a span over the plain text between them; the `Open` is written before
/// the first English word aligned to its words and the `Close` after the last. A source that never
/// closes an element gives a `Close` with empty text where the element ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mark {
    Open {
        at: usize,
        text: String,
    },
    Close {
        at: usize,
        text: String,
    },
    /// Markup at one point of the plain text, never translated: a void element (`<img>`,
    /// `<br>`), inline code, a `translate="no"` element, a subtitle cue boundary. It is written
    /// next to the English word aligned to the source word it touches: glued to the word before
    /// it when `at` ends a word, else to the word after it. A point with whitespace of the plain
    /// text on both sides (`Foto␣␣di` for the source `Foto <img> di`) stands apart from both
    /// words and is written in the English gap, with a space of its own if the gap has one only.
    Point {
        at: usize,
        text: String,
    },
    /// A whitespace run of the source that the plain text has as the one space at `at` (a line
    /// break and indentation in HTML source). Written instead of the English whitespace after
    /// the English word aligned to the word before it, and left out where the English has no
    /// whitespace there: it is layout, not text.
    Space {
        at: usize,
        text: String,
    },
}

impl Mark {
    pub fn at(&self) -> usize {
        match self {
            Mark::Open { at, .. }
            | Mark::Close { at, .. }
            | Mark::Point { at, .. }
            | Mark::Space { at, .. } => *at,
        }
    }
}

/// Each unit's plain text read by the text path's rules (sentences, quotes, labels, credits,
/// datelines, codes and page chrome kept, English passed through) as one paragraph: the model
/// inputs of unit `i` are `documents(..)[i].model_inputs()`.
pub fn documents(units: &[Marked], opts: &DocumentOptions) -> Vec<Document> {
    let opts = DocumentOptions {
        markdown: false,
        unwrap_paragraphs: false,
        ..opts.clone()
    };
    units
        .iter()
        .map(|u| Document::parse(&u.plain, &opts))
        .collect()
}

/// The unit's English with its markup written back: `translations[i]` is the English of model
/// input `i` of `doc` and the word alignment between that input and it.
///
/// The paragraph's English is put together as for plain text ([`reassemble_traced`]); its
/// alignment to the plain text is the model's alignment for each input, and for the text between
/// inputs (kept source text, labels translated by table) word for word where it came through
/// unchanged and in order ([`WordAlignment::monotone`]) where it did not.
pub fn render(unit: &Marked, doc: &Document, translations: &[(String, WordAlignment)]) -> String {
    let texts: Vec<String> = translations.iter().map(|(t, _)| t.clone()).collect();
    let (english, alignment) = match reassemble_traced(doc, &texts) {
        Some((english, trace)) => {
            let alignment = paragraph_alignment(unit, doc, &english, &trace, translations);
            (english, alignment)
        }
        None => {
            let english = reassemble(doc, &texts);
            let alignment =
                WordAlignment::monotone(words(&unit.plain).len(), words(&english).len());
            (english, alignment)
        }
    };
    transfer(unit, &english, &alignment)
}

/// Every unit rendered with each model input as its own translation and the identity
/// alignment: a page that comes back from this unchanged has lost nothing on the way through
/// the units (what the formats' round-trip tests check).
/// Labels stay as in the source here: the label table is a translation too.
pub fn untranslated(units: &[Marked], opts: &DocumentOptions) -> Vec<String> {
    let opts = DocumentOptions {
        translate_labels: false,
        ..opts.clone()
    };
    units
        .iter()
        .zip(documents(units, &opts))
        .map(|(unit, doc)| {
            let own: Vec<(String, WordAlignment)> = doc
                .model_inputs()
                .iter()
                .map(|i| (i.clone(), WordAlignment::identity(words(i).len())))
                .collect();
            render(unit, &doc, &own)
        })
        .collect()
}

/// The alignment between a unit's plain text and its English put together from `trace`.
fn paragraph_alignment(
    unit: &Marked,
    doc: &Document,
    english: &str,
    trace: &[(usize, Range<usize>)],
    translations: &[(String, WordAlignment)],
) -> WordAlignment {
    let plain = unit.plain.as_str();
    let (pw, tw) = (words(plain), words(english));
    let mut pairs = Vec::new();
    let (mut p, mut t) = (0, 0);
    for (input, out) in trace {
        let source = &doc.model_inputs()[*input];
        let Some(found) = find_from(plain, p, source) else {
            break;
        };
        between(plain, &pw, p..found, english, &tw, t..out.start, &mut pairs);
        // The model's alignment is over the input and its raw English; the English placed is
        // that cleaned (quote marks out, spacing), usually word for word the same.
        let (raw, alignment) = &translations[*input];
        let placed = &english[out.clone()];
        let (raw_words, placed_words) = (words(raw), words(placed));
        let input_words = words(source);
        for &(s, r) in &alignment.pairs {
            let (Some(sw), false) = (input_words.get(s), placed_words.is_empty()) else {
                continue;
            };
            let k = if raw_words.len() == placed_words.len() {
                r
            } else {
                r * placed_words.len() / raw_words.len().max(1)
            };
            let k = k.min(placed_words.len() - 1);
            if let (Some(a), Some(b)) = (
                word_at(&pw, found + sw.start),
                word_at(&tw, out.start + placed_words[k].start),
            ) {
                pairs.push((a, b));
            }
        }
        (p, t) = (found + source.len(), out.end);
    }
    between(
        plain,
        &pw,
        p..plain.len(),
        english,
        &tw,
        t..english.len(),
        &mut pairs,
    );
    WordAlignment::new(pairs)
}

/// Pairs the words of two stretches between model inputs: word for word when the text came
/// through unchanged, else in order.
fn between(
    plain: &str,
    pw: &[Range<usize>],
    source: Range<usize>,
    english: &str,
    tw: &[Range<usize>],
    target: Range<usize>,
    pairs: &mut Vec<(usize, usize)>,
) {
    let overlapping = |ws: &[Range<usize>], r: &Range<usize>| -> Vec<usize> {
        (0..ws.len())
            .filter(|&i| ws[i].start < r.end && ws[i].end > r.start)
            .collect()
    };
    let (s, t) = (overlapping(pw, &source), overlapping(tw, &target));
    if plain[source.clone()] == english[target.clone()] && s.len() == t.len() {
        pairs.extend(s.into_iter().zip(t));
        return;
    }
    let m = WordAlignment::monotone(s.len(), t.len());
    pairs.extend(m.pairs.iter().map(|&(a, b)| (s[a], t[b])));
}

/// The index of the word that holds byte `at`.
fn word_at(ws: &[Range<usize>], at: usize) -> Option<usize> {
    let i = ws.partition_point(|w| w.end <= at);
    ws.get(i).filter(|w| w.start <= at).map(|_| i)
}

/// Where `needle` is in `hay` at or after `from`: as it is, or with ASCII letters in another
/// case (an ALL-CAPS source is sent in sentence case).
fn find_from(hay: &str, from: usize, needle: &str) -> Option<usize> {
    let rest = hay.get(from..)?;
    if let Some(i) = rest.find(needle) {
        return Some(from + i);
    }
    let n = needle.len();
    rest.char_indices()
        .map(|(i, _)| i)
        .find(|&i| {
            rest.get(i..i + n)
                .is_some_and(|w| w.eq_ignore_ascii_case(needle))
        })
        .map(|i| from + i)
}

/// Writes the markup of `unit` into `english`, its translation, by `alignment` (words of
/// `unit.plain` → words of `english`, as [`words`] cuts them).
///
/// - A span opens before the first English word aligned to its words and closes after the
///   last. Inside a word, or around a word's punctuation, it keeps its place where the English
///   word is the source word unchanged (a name, a number), and otherwise stays outside (or
///   inside) the English word's own punctuation as it did in the source.
/// - Spans stay nested as in the source; a span that would cross another (in the source its
///   parent, or a span whose English words it now overlaps) is widened, the one that grows less,
///   until it contains the other.
/// - A point goes next to the English word aligned to the source word it touches, inside the
///   spans it was inside.
/// - A span or point whose words have no alignment goes to the nearest source word that has
///   one; nothing is ever dropped except [`Mark::Space`] layout where the English has no gap.
pub fn transfer(unit: &Marked, english: &str, alignment: &WordAlignment) -> String {
    let map = WordMap::new(&unit.plain, english, alignment);
    let tree = SourceTree::parse(unit);
    if map.target.is_empty() {
        // No English word to place marks next to: each at its own offset, as far as the
        // English reaches.
        let mut out = String::new();
        let mut cursor = 0;
        for m in &unit.marks {
            let mut at = m.at().clamp(cursor, english.len());
            while !english.is_char_boundary(at) {
                at -= 1;
            }
            let space = english[at..].chars().next().filter(|c| c.is_whitespace());
            let (text, replaced) = match (m, space) {
                (Mark::Space { text, .. }, Some(c)) => (text, c.len_utf8()),
                (Mark::Space { .. }, None) => continue,
                (
                    Mark::Open { text, .. } | Mark::Close { text, .. } | Mark::Point { text, .. },
                    _,
                ) => (text, 0),
            };
            out.push_str(&english[cursor..at]);
            out.push_str(text);
            cursor = at + replaced;
        }
        out.push_str(&english[cursor..]);
        return out;
    }
    let mut spans = tree.place_spans(&map);
    let forest = Forest::build(&mut spans);
    let mut points = vec![Vec::new(); spans.len() + 1];
    for point in &tree.points {
        let (node, at, pad) = forest.home(point, &map, &spans);
        let text = match pad {
            Pad::None => point.text.clone(),
            Pad::Before => format!(" {}", point.text),
            Pad::After => format!("{} ", point.text),
        };
        points[node].push((at, point.order, text));
    }
    let spaces = tree.spaces(&map);
    let mut out = String::with_capacity(english.len() + unit.marks.len() * 8);
    let writer = Writer {
        english,
        spans: &spans,
        forest: &forest,
        points: &points,
        spaces: &spaces,
    };
    writer.node(ROOT, 0, english.len(), &mut out);
    out
}

/// The forest's root: the whole English, no markup of its own.
const ROOT: usize = usize::MAX;

/// Source words, English words, and which English words each source word went to.
struct WordMap<'a> {
    plain: &'a str,
    english: &'a str,
    source: Vec<Range<usize>>,
    target: Vec<Range<usize>>,
    /// Per source word, its aligned English words, ascending.
    aligned: Vec<Vec<usize>>,
}

impl<'a> WordMap<'a> {
    fn new(plain: &'a str, english: &'a str, alignment: &WordAlignment) -> Self {
        let source = words(plain);
        let target = words(english);
        let mut aligned = vec![Vec::new(); source.len()];
        for &(s, t) in &alignment.pairs {
            if s < source.len() && t < target.len() {
                aligned[s].push(t);
            }
        }
        for a in &mut aligned {
            a.sort_unstable();
            a.dedup();
        }
        WordMap {
            plain,
            english,
            source,
            target,
            aligned,
        }
    }

    /// The English words of source words `from..=to`; where none of them is aligned, those of
    /// the nearest aligned source word (the left one on a tie), and on which side it was; where
    /// nothing is aligned at all, the English words at the same relative place.
    fn targets(&self, from: usize, to: usize) -> (usize, usize, Side) {
        let of = |s: usize| self.aligned.get(s).filter(|a| !a.is_empty());
        let mut lo = usize::MAX;
        let mut hi = 0;
        for s in from..=to.min(self.source.len().saturating_sub(1)) {
            if let Some(a) = of(s) {
                lo = lo.min(a[0]);
                hi = hi.max(a[a.len() - 1]);
            }
        }
        if lo <= hi {
            return (lo, hi, Side::Own);
        }
        for d in 1..=self.source.len() {
            if let Some(a) = from.checked_sub(d).and_then(of) {
                let t = a[a.len() - 1];
                return (t, t, Side::Left);
            }
            if let Some(a) = of(to + d) {
                return (a[0], a[0], Side::Right);
            }
        }
        let (n, m) = (self.source.len().max(1), self.target.len());
        let lo = (from * m / n).min(m - 1);
        let hi = (((to + 1) * m).div_ceil(n))
            .saturating_sub(1)
            .clamp(lo, m - 1);
        (lo, hi, Side::Own)
    }

    /// The whitespace after English word `t`, if any.
    fn gap_after(&self, t: usize) -> Option<Range<usize>> {
        let end = self.target[t].end;
        let rest = &self.english[end..];
        let n = rest.len() - rest.trim_start().len();
        (n > 0).then_some(end..end + n)
    }

    /// The place `into` characters into the English whitespace `gap`, or its end.
    fn within_gap(&self, gap: &Range<usize>, into: usize) -> usize {
        match self.english[gap.clone()].char_indices().nth(into) {
            Some((i, _)) => gap.start + i,
            None => gap.end,
        }
    }

    /// The whitespace before English word `t`, if any.
    fn gap_before(&self, t: usize) -> Option<Range<usize>> {
        let start = self.target[t].start;
        let head = &self.english[..start];
        let n = head.len() - head.trim_end().len();
        (n > 0).then_some(start - n..start)
    }

    fn same_word(&self, s: usize, t: usize) -> bool {
        self.plain[self.source[s].clone()] == self.english[self.target[t].clone()]
    }

    /// Where a point at `at` of the plain text goes in the English.
    fn point(&self, at: usize) -> Placed {
        let src = &self.source;
        let end = self.english.len();
        let placed = |at, glue_left| Placed {
            at,
            glue_left,
            pad: Pad::None,
        };
        let (Some(first), Some(last)) = (src.first(), src.last()) else {
            return placed(if at == 0 { 0 } else { end }, at != 0);
        };
        if at < first.start {
            let lead = self.english.len() - self.english.trim_start().len();
            let gap = 0..lead;
            let into = self.within_gap(&gap, self.plain[..at].chars().count());
            return if into < lead {
                placed(into, false)
            } else {
                Placed {
                    at: lead,
                    glue_left: false,
                    pad: Pad::After,
                }
            };
        }
        if at > last.end {
            let into = self.plain[last.end..at].chars().count();
            return self.apart(src.len() - 1, into, true);
        }
        let k = src.partition_point(|w| w.end < at);
        let w = &src[k];
        let word_end = |s: usize| {
            let (_, hi, side) = self.targets(s, s);
            match side {
                Side::Right => placed(self.target[hi].start, false),
                _ => placed(self.target[hi].end, true),
            }
        };
        let word_start = |s: usize| {
            let (lo, _, side) = self.targets(s, s);
            match side {
                Side::Left => placed(self.target[lo].end, true),
                _ => placed(self.target[lo].start, false),
            }
        };
        if w.end == at {
            return word_end(k);
        }
        if w.start == at {
            return word_start(k);
        }
        if w.start < at {
            let off = at - w.start;
            let (lo, _, side) = self.targets(k, k);
            if side == Side::Own && self.same_word(k, lo) {
                return placed(self.target[lo].start + off, false);
            }
            return if off * 2 >= w.len() {
                word_end(k)
            } else {
                word_start(k)
            };
        }
        // In the gap between words k − 1 and k, touching neither: it stays apart from both.
        let into = self.plain[src[k - 1].end..at].chars().count();
        self.apart(k - 1, into, false)
    }

    /// A point `into` characters into the whitespace after source word `s` (`last`: the text's last
    /// word): as far into the whitespace after its English, or with a space of its own.
    fn apart(&self, s: usize, into: usize, last: bool) -> Placed {
        let (_, t, _) = self.targets(s, s);
        match self.gap_after(t) {
            Some(g) if self.within_gap(&g, into) < g.end => Placed {
                at: self.within_gap(&g, into),
                glue_left: false,
                pad: Pad::None,
            },
            Some(g) => Placed {
                at: g.end,
                glue_left: false,
                pad: if last { Pad::None } else { Pad::After },
            },
            None => Placed {
                at: self.target[t].end,
                glue_left: true,
                pad: Pad::Before,
            },
        }
    }
}

/// Which source word's English a mark went to: its own, or the nearest aligned one's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    Own,
    Left,
    Right,
}

/// A point's place in the English.
struct Placed {
    at: usize,
    /// It follows the word before it (else it precedes the word after it).
    glue_left: bool,
    /// A space to write with it, so that a point that stood apart from the words still does.
    pad: Pad,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pad {
    None,
    Before,
    After,
}

/// The length of the run of characters at the start (or end) of `s` that are not letters or
/// digits: the quote or bracket before a word, the punctuation after it.
fn edge_punct(s: &str, end: bool) -> usize {
    let not_word = |c: &char| !c.is_alphanumeric();
    if end {
        s.chars()
            .rev()
            .take_while(not_word)
            .map(char::len_utf8)
            .sum()
    } else {
        s.chars().take_while(not_word).map(char::len_utf8).sum()
    }
}

/// A matched `Open`/`Close` pair of the source.
#[derive(Debug, Clone)]
struct Span {
    start: usize,
    end: usize,
    open: String,
    close: String,
    /// The innermost enclosing span of the source.
    parent: Option<usize>,
    /// The source words it covers, if it covers any.
    words: Option<(usize, usize)>,
    /// English word interval (for spans that cover words) and byte positions once placed.
    interval: (usize, usize),
    from: usize,
    to: usize,
}

/// A point of the source (or a span with no text, with what is inside it), with the innermost
/// span it was inside.
struct Point {
    at: usize,
    text: String,
    parent: Option<usize>,
    order: usize,
}

struct SourceTree {
    spans: Vec<Span>,
    points: Vec<Point>,
    spaces: Vec<(usize, String)>,
}

/// The innermost of the open pairs that is a span with text (its index among the spans).
fn innermost(open_pairs: &[usize], index: &[usize]) -> Option<usize> {
    open_pairs
        .iter()
        .rev()
        .map(|&p| index[p])
        .find(|&s| s != usize::MAX)
}

impl SourceTree {
    fn parse(unit: &Marked) -> SourceTree {
        // First the pairs, so that a span with no text is known when its `Open` is met.
        let mut ranges: Vec<(usize, usize, Option<usize>)> = Vec::new();
        let mut stack: Vec<usize> = Vec::new();
        for m in &unit.marks {
            match *m {
                Mark::Open { at, .. } => {
                    ranges.push((at, usize::MAX, stack.last().copied()));
                    stack.push(ranges.len() - 1);
                }
                Mark::Close { at, .. } => {
                    if let Some(i) = stack.pop() {
                        ranges[i].1 = at.max(ranges[i].0);
                    }
                }
                _ => {}
            }
        }
        for i in stack.drain(..) {
            ranges[i].1 = unit.plain.len();
        }
        let mut tree = SourceTree {
            spans: Vec::new(),
            points: Vec::new(),
            spaces: Vec::new(),
        };
        // Span index per source pair, for those that keep text; an empty one is gathered
        // into a point, with everything inside it, in source order.
        let mut index = vec![usize::MAX; ranges.len()];
        let mut gathering: Option<(usize, usize, String)> = None; // (pair, depth, text)
        let mut open_pairs: Vec<usize> = Vec::new();
        let mut next_pair = 0;
        let words = words(&unit.plain);
        for (order, m) in unit.marks.iter().enumerate() {
            let parent = innermost(&open_pairs, &index);
            match m {
                Mark::Open { at, text } => {
                    let pair = next_pair;
                    next_pair += 1;
                    open_pairs.push(pair);
                    let (start, end, _) = ranges[pair];
                    if let Some((_, depth, buf)) = gathering.as_mut() {
                        *depth += 1;
                        buf.push_str(text);
                    } else if start == end {
                        gathering = Some((pair, 1, text.clone()));
                    } else {
                        let first = words.partition_point(|w| w.end <= start);
                        let last = words.partition_point(|w| w.start < end);
                        let covered = (first < last).then(|| (first, last - 1));
                        index[pair] = tree.spans.len();
                        tree.spans.push(Span {
                            start: *at,
                            end,
                            open: text.clone(),
                            close: String::new(),
                            parent,
                            words: covered,
                            interval: (0, 0),
                            from: 0,
                            to: 0,
                        });
                    }
                }
                Mark::Close { text, .. } => {
                    let Some(pair) = open_pairs.pop() else {
                        // A close with no open: kept where it stands.
                        tree.points.push(Point {
                            at: m.at(),
                            text: text.clone(),
                            parent,
                            order,
                        });
                        continue;
                    };
                    if let Some((first, depth, buf)) = gathering.as_mut() {
                        buf.push_str(text);
                        *depth -= 1;
                        if *depth == 0 {
                            let at = ranges[*first].0;
                            let text = std::mem::take(buf);
                            gathering = None;
                            let parent = innermost(&open_pairs, &index);
                            tree.points.push(Point {
                                at,
                                text,
                                parent,
                                order,
                            });
                        }
                    } else if index[pair] != usize::MAX {
                        tree.spans[index[pair]].close = text.clone();
                    }
                }
                Mark::Point { at, text } => match gathering.as_mut() {
                    Some((_, _, buf)) => buf.push_str(text),
                    None => tree.points.push(Point {
                        at: *at,
                        text: text.clone(),
                        parent,
                        order,
                    }),
                },
                Mark::Space { at, text } => tree.spaces.push((*at, text.clone())),
            }
        }
        if let Some((first, _, text)) = gathering {
            // An empty span left open at the end of the text.
            let parent = innermost(&open_pairs, &index);
            tree.points.push(Point {
                at: ranges[first].0,
                text,
                parent,
                order: unit.marks.len(),
            });
        }
        tree
    }
}

impl SourceTree {
    /// Each span's English word interval, widened until spans nest, then its byte positions.
    fn place_spans(&self, map: &WordMap) -> Vec<Span> {
        let mut spans = self.spans.clone();
        let raw: Vec<Option<(usize, usize)>> = spans
            .iter()
            .map(|s| {
                s.words
                    .map(|(a, b)| map.targets(a, b))
                    .map(|(lo, hi, _)| (lo, hi))
            })
            .collect();
        for (s, r) in spans.iter_mut().zip(&raw) {
            if let Some(r) = r {
                s.interval = *r;
            }
        }
        widen(&mut spans);
        for (i, span) in spans.iter_mut().enumerate() {
            match span.words {
                Some((s0, s1)) => {
                    let (a, b) = span.interval;
                    span.from = open_at(map, span.start, s0, a, raw[i].map(|r| r.0) == Some(a));
                    span.to = close_at(map, span.end, s1, b, raw[i].map(|r| r.1) == Some(b));
                    if span.to < span.from {
                        span.to = span.from;
                    }
                }
                None => {
                    // Only whitespace inside: it keeps the gap after the English of the word
                    // before it (or goes to the start).
                    let before = map.source.partition_point(|w| w.end <= span.start);
                    let (from, to) = match before.checked_sub(1) {
                        Some(s) => {
                            let (_, t, _) = map.targets(s, s);
                            let end = map.source[s].end;
                            match map.gap_after(t) {
                                Some(g) => (
                                    map.within_gap(&g, span.start - end),
                                    map.within_gap(&g, span.end - end),
                                ),
                                None => (map.target[t].end, map.target[t].end),
                            }
                        }
                        None => {
                            let lead = map.english.len() - map.english.trim_start().len();
                            let chars = |at: usize| map.plain[..at].chars().count();
                            (
                                map.within_gap(&(0..lead), chars(span.start)),
                                map.within_gap(&(0..lead), chars(span.end)),
                            )
                        }
                    };
                    span.from = from;
                    span.to = to;
                }
            }
        }
        spans
    }

    /// Replacements of English whitespace by source layout: (start, end, text). A layout run
    /// takes the place of the whitespace character as far into the gap after its word's English
    /// as it was into the gap after its word (the first, in a translation's one-space gap).
    fn spaces(&self, map: &WordMap) -> BTreeMap<usize, (usize, String)> {
        let mut out = BTreeMap::new();
        for (at, text) in &self.spaces {
            let before = map.source.partition_point(|w| w.end <= *at);
            let found = match before.checked_sub(1) {
                Some(s) => {
                    let (_, t, _) = map.targets(s, s);
                    let into = map.plain[map.source[s].end..*at].chars().count();
                    map.gap_after(t).map(|g| (g, into))
                }
                None => {
                    let lead = map.english.len() - map.english.trim_start().len();
                    (lead > 0).then(|| (0..lead, map.plain[..*at].chars().count()))
                }
            };
            if let Some((gap, into)) = found {
                let mut start = map.within_gap(&gap, into);
                if start == gap.end {
                    start = gap.start;
                }
                let len = map.english[start..]
                    .chars()
                    .next()
                    .map_or(0, char::len_utf8);
                out.entry(start).or_insert((start + len, text.clone()));
            }
        }
        out
    }
}

/// Where a span that starts at `at`, in or before source word `s`, opens in the English, whose
/// interval starts at word `t`; `own` when `t` is the span's own aligned word, not one it was
/// widened to.
fn open_at(map: &WordMap, at: usize, s: usize, t: usize, own: bool) -> usize {
    let src = &map.source[s];
    let word = &map.target[t];
    if at < src.start {
        // The span takes the whitespace before its first word with it.
        return match map.gap_before(t) {
            // As many characters before the word as in the source, as far as the gap goes.
            Some(g) => {
                let back = map.plain[at..src.start].chars().count();
                let gap = &map.english[g.clone()];
                gap.char_indices()
                    .rev()
                    .nth(back - 1)
                    .map_or(g.start, |(i, _)| g.start + i)
            }
            None => word.start,
        };
    }
    if at > src.start && own {
        if map.same_word(s, t) {
            return word.start + (at - src.start);
        }
        if edge_punct(&map.plain[src.start..at], false) == at - src.start {
            return word.start + edge_punct(&map.english[word.clone()], false);
        }
    }
    word.start
}

/// Where a span that ends at `at`, in or after source word `s`, closes in the English, whose
/// interval ends at word `t` (see [`open_at`]).
fn close_at(map: &WordMap, at: usize, s: usize, t: usize, own: bool) -> usize {
    let src = &map.source[s];
    let word = &map.target[t];
    if at > src.end {
        return match map.gap_after(t) {
            Some(g) => map.within_gap(&g, map.plain[src.end..at].chars().count()),
            None => word.end,
        };
    }
    if at < src.end && own {
        if map.same_word(s, t) {
            return word.start + (at - src.start);
        }
        if edge_punct(&map.plain[at..src.end], true) == src.end - at {
            let english = &map.english[word.clone()];
            // Never before the word's first letter: a word of punctuation only stays inside.
            let cut = edge_punct(english, true).min(english.len() - edge_punct(english, false));
            return word.end - cut;
        }
    }
    word.end
}

/// Widens English word intervals until every span contains those it contained in the source and
/// no two cross; of two crossing spans, the one that grows less takes the other in.
fn widen(spans: &mut [Span]) {
    let covers = |s: &Span| s.words.is_some();
    loop {
        let mut changed = false;
        for i in 0..spans.len() {
            if !covers(&spans[i]) {
                continue;
            }
            // The nearest ancestor that covers words.
            let mut p = spans[i].parent;
            while let Some(k) = p.filter(|&k| !covers(&spans[k])) {
                p = spans[k].parent;
            }
            if let Some(k) = p {
                let (a, b) = spans[i].interval;
                let (pa, pb) = spans[k].interval;
                if a < pa || b > pb {
                    spans[k].interval = (pa.min(a), pb.max(b));
                    changed = true;
                }
            }
        }
        for i in 0..spans.len() {
            for j in i + 1..spans.len() {
                if !covers(&spans[i]) || !covers(&spans[j]) {
                    continue;
                }
                let (x, y) = (spans[i].interval, spans[j].interval);
                let crossing = (x.0 < y.0 && y.0 <= x.1 && x.1 < y.1)
                    || (y.0 < x.0 && x.0 <= y.1 && y.1 < x.1);
                if crossing {
                    let union = (x.0.min(y.0), x.1.max(y.1));
                    let grow = |v: (usize, usize)| (union.1 - union.0) - (v.1 - v.0);
                    let k = if grow(x) < grow(y) { i } else { j };
                    spans[k].interval = union;
                    changed = true;
                }
            }
        }
        if !changed {
            return;
        }
    }
}

/// The placed spans nested by their English byte positions (by then they nest by words).
struct Forest {
    /// Children per span, then the root's last, each in English order.
    children: Vec<Vec<usize>>,
}

impl Forest {
    fn build(spans: &mut [Span]) -> Forest {
        let mut order: Vec<usize> = (0..spans.len()).collect();
        order.sort_by_key(|&i| (spans[i].from, std::cmp::Reverse(spans[i].to), i));
        let mut children = vec![Vec::new(); spans.len() + 1];
        let mut stack: Vec<usize> = Vec::new();
        for i in order {
            while let Some(&top) = stack.last() {
                let (f, t) = (spans[top].from, spans[top].to);
                if spans[i].from < t || (spans[i].from == t && f == t) {
                    // Inside `top`; where whitespace rules made it overrun, it ends with it.
                    if spans[i].to > t {
                        spans[i].to = t;
                    }
                    break;
                }
                stack.pop();
            }
            let parent = stack.last().copied().unwrap_or(spans.len());
            children[parent].push(i);
            stack.push(i);
        }
        Forest { children }
    }

    fn kids(&self, node: usize) -> &[usize] {
        let i = if node == ROOT {
            self.children.len() - 1
        } else {
            node
        };
        &self.children[i]
    }

    /// The span a point is written in (its source span, or one inside that the English placed
    /// it in), and its byte position.
    fn home(&self, point: &Point, map: &WordMap, spans: &[Span]) -> (usize, usize, Pad) {
        let Placed {
            mut at,
            mut glue_left,
            pad,
        } = map.point(point.at);
        let ancestors: Vec<usize> =
            std::iter::successors(point.parent, |&s| spans[s].parent).collect();
        let mut node = point.parent.unwrap_or(ROOT);
        if let Some(s) = point.parent {
            let (f, t) = (spans[s].from, spans[s].to);
            if at <= f {
                (at, glue_left) = (f, false);
            } else if at >= t {
                (at, glue_left) = (t, true);
            }
        }
        'down: loop {
            for &c in self.kids(node) {
                let (f, t) = (spans[c].from, spans[c].to);
                let mine = ancestors.contains(&c) && f < t;
                if (f < at && at < t)
                    || (mine && at == f && !glue_left)
                    || (mine && at == t && glue_left)
                {
                    node = c;
                    continue 'down;
                }
            }
            return (if node == ROOT { spans.len() } else { node }, at, pad);
        }
    }
}

struct Writer<'a> {
    english: &'a str,
    spans: &'a [Span],
    forest: &'a Forest,
    /// Per span, then the root's last: (position, source order, text).
    points: &'a [Vec<(usize, usize, String)>],
    spaces: &'a BTreeMap<usize, (usize, String)>,
}

impl Writer<'_> {
    fn node(&self, node: usize, from: usize, to: usize, out: &mut String) {
        let slot = if node == ROOT { self.spans.len() } else { node };
        // Points before spans that start where they are: such a point stayed outside.
        let mut items: Vec<(usize, u8, usize, Option<usize>, &str)> = self.points[slot]
            .iter()
            .map(|(at, order, text)| (*at, 0, *order, None, text.as_str()))
            .collect();
        items.extend(
            self.forest
                .kids(node)
                .iter()
                .map(|&c| (self.spans[c].from, 1, c, Some(c), "")),
        );
        items.sort_by_key(|&(at, kind, order, _, _)| (at, kind, order));
        let mut cursor = from;
        for (at, _, _, span, text) in items {
            let at = at.clamp(cursor, to);
            self.copy(cursor, at, out);
            cursor = at;
            match span {
                None => out.push_str(text),
                Some(c) => {
                    let s = &self.spans[c];
                    let end = s.to.clamp(cursor, to);
                    out.push_str(&s.open);
                    self.node(c, cursor, end, out);
                    out.push_str(&s.close);
                    cursor = end;
                }
            }
        }
        self.copy(cursor, to, out);
    }

    /// The English between two positions, with gaps replaced by source layout.
    fn copy(&self, from: usize, to: usize, out: &mut String) {
        let mut cursor = from;
        for (&start, (end, text)) in self.spaces.range(from..to) {
            if *end <= to {
                out.push_str(&self.english[cursor..start]);
                out.push_str(text);
                cursor = *end;
            }
        }
        out.push_str(&self.english[cursor..to]);
    }
}

#[cfg(test)]
mod tests;
