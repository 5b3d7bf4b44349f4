//! Subtitles (SubRip `.srt`, WebVTT `.vtt`): the text of the cues as units of prose with their
//! styling taken out as marks, every other byte kept.
//!
//! Both formats are line-based and small enough to read by hand, so no parser crate: a file is
//! blocks separated by blank lines, a cue is an optional number or identifier, a timing line and
//! text lines. Cue numbers, timings, cue settings, the `WEBVTT` header, `NOTE`, `STYLE` and
//! `REGION` blocks, blank lines and line endings are copied byte for byte. What players tolerate
//! is tolerated: a byte-order mark, CRLF, no final newline, runs of blank lines, SRT cues without
//! a number or without the blank line before the next cue, `.` for `,` and short fields in SRT
//! timings, VTT cue identifiers.
//!
//! Units, the prose the text path translates:
//! - A sentence that runs over several cues is one unit: each cue's lines joined by a space, the
//!   cues by a space with a [`CUE_BREAK`] point at each boundary. A cue joins the next while its
//!   text does not end a sentence (`.` `!` `?` `…` `♪`, closing quotes and brackets allowed after
//!   them), at most [`MAX_CUES`] cues to a unit, so that a file without punctuation does not
//!   become one unit. Blocks between cues (`NOTE`) do not stop a sentence.
//! - A cue with a dialogue line (`- ` or `– ` or a dash before a letter, after any leading tags)
//!   is never merged: each speaker's line, with the lines after it up to the next dash, is its own
//!   unit, the dash at the line start kept outside the unit.
//! - Cues without text, or without letters (`♪`, `...`), are kept as they are.
//!
//! Markup is read per cue, as players read it: `<i>`, `<b>`, `<u>`, `<font …>`, `<v Speaker>`,
//! `<c.class>`, `<lang xx>`, `<ruby>` and any other `<name …>` become spans whose open and close
//! are the exact source tags; a tag still open at the end of its cue closes there with `""` (VTT's
//! unclosed `<v Bob>`); a close tag that opens nothing, VTT timestamps (`<00:01:02.000>`) and SRT
//! `{\an8}` overrides are points. A span that ends a cue and the same tags reopened at the start of
//! the next are one span over both. VTT's `&amp;` `&lt;` `&gt;` `&nbsp;` are decoded in the plain
//! text and encoded again in the English.
//!
//! Rendering splits each unit's English at its cue breaks, one piece per source cue. Tags that
//! the transfer left at a break move to their side (closes before it, opens after it), and every
//! span open at a break is closed at the end of the cue and reopened at the start of the next, so
//! that each cue is balanced on its own, as players read it; a close tag that closes nothing is
//! dropped. So an SRT `<i>` left open in one cue and closed in the next italicises both cues of
//! the English, as its subtitler meant (players italicise only the first), while the source
//! itself comes back as it was. Where the breaks do not give one piece with text per cue, the
//! English words are spread over the cues in proportion to the source cues' lengths, each cue at
//! least one word; an English with fewer words than the unit has cues is shown whole in each of
//! them, which reads as one subtitle held over their timings (what a subtitler would make of it;
//! a fragment per cue would not read). A unit whose English has no words keeps its source, as the
//! text path does for an empty translation.
//!
//! A cue whose text comes back as the source had it keeps its source bytes, line breaks included;
//! any other cue is wrapped at word boundaries into at most its source number of lines, on the
//! fewest lines that fit the source's longest line and balanced between them as subtitlers do;
//! a one-line cue stays one line.
//!
//! One concern, one file: reading cues into units and writing the English back cue by cue share
//! the groups, breaks and line layout recorded while reading; the tests are in `subtitles/tests.rs`.

use crate::text::inline::{Mark, Marked};

/// The point text marking a cue boundary inside a unit: a private-use character, which no
/// language writes, so a source containing it is refused rather than cut wrongly.
pub const CUE_BREAK: &str = "\u{e000}";

/// The most cues one unit spans.
pub const MAX_CUES: usize = 4;

/// Which subtitle format a source is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubtitleKind {
    Srt,
    Vtt,
}

/// A parsed subtitle file: its units of prose and how to put their English back.
#[derive(Debug, Clone)]
pub struct Subtitles {
    kind: SubtitleKind,
    pieces: Vec<Piece>,
    groups: Vec<Group>,
    units: Vec<Marked>,
    plans: Vec<Plan>,
}

#[derive(Debug, Clone)]
enum Piece {
    Keep(String),
    Group(usize),
}

/// The lines of one cue that belong to one unit (the whole cue, or one speaker's lines).
#[derive(Debug, Clone)]
struct Group {
    /// The source lines, endings included.
    source: String,
    /// The dialogue dash (and the spaces after it) that starts the first line.
    prefix: String,
    /// One per source line.
    endings: Vec<String>,
    /// Visible characters of the longest source line, the dash left out.
    width: usize,
    /// The prose, where the group has letters: what a unit is made of.
    text: Option<GroupText>,
}

#[derive(Debug, Clone)]
struct GroupText {
    marked: Marked,
    ends_sentence: bool,
}

/// What render needs to know of one unit.
#[derive(Debug, Clone)]
struct Plan {
    groups: Vec<usize>,
    /// Plain characters per group, for the proportional split.
    lengths: Vec<usize>,
    /// The tags a span opens with, and what closes it (`""` for a tag its cue left open).
    pairs: Vec<(String, String)>,
    /// Every mark text that render must recognise in the English, longest first.
    known: Vec<(String, Tok)>,
    /// Each group's text as the source itself renders, normalised as [`normalised`] does.
    identity: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    Text(String),
    /// Index into [`Plan::pairs`].
    Open(usize),
    /// A close tag of one of the unit's spans.
    Close(String),
    /// A point's text, or a tag written by the balancing.
    Other(String),
    Break,
}

struct Line<'a> {
    number: usize,
    text: &'a str,
    ending: &'a str,
}

impl Line<'_> {
    fn blank(&self) -> bool {
        self.text.trim().is_empty()
    }
}

enum Item<'a> {
    Keep(&'a Line<'a>),
    Cue(&'a [Line<'a>]),
}

impl Subtitles {
    /// Reads an SRT or VTT file. `Err` is one line naming the 1-based line at fault: a timing
    /// line that is not `start --> end`, a cue number or identifier without a timing line, text
    /// outside a cue, a VTT file without its `WEBVTT` header, or cue text containing
    /// [`CUE_BREAK`].
    pub fn parse(source: &str, kind: SubtitleKind) -> Result<Subtitles, String> {
        let (bom, body) = match source.strip_prefix('\u{feff}') {
            Some(body) => (&source[..source.len() - body.len()], body),
            None => ("", source),
        };
        let lines = split_lines(body);
        let items = match kind {
            SubtitleKind::Srt => read_srt(&lines)?,
            SubtitleKind::Vtt => read_vtt(&lines)?,
        };
        let mut subtitles = Subtitles {
            kind,
            pieces: Vec::new(),
            groups: Vec::new(),
            units: Vec::new(),
            plans: Vec::new(),
        };
        let mut keep = bom.to_owned();
        let mut cues = Vec::new();
        for item in items {
            match item {
                Item::Keep(line) => {
                    keep.push_str(line.text);
                    keep.push_str(line.ending);
                }
                Item::Cue(text) => cues.push(subtitles.add_cue(text, &mut keep)?),
            }
        }
        if !keep.is_empty() {
            subtitles.pieces.push(Piece::Keep(keep));
        }
        for unit in merge(&subtitles.groups, &cues) {
            subtitles.add_unit(unit);
        }
        Ok(subtitles)
    }

    /// The prose to translate, in file order.
    pub fn units(&self) -> &[Marked] {
        &self.units
    }

    /// The file with each unit's English in place of its source: `rendered[i]` is unit i's
    /// English with its marks already written back by `inline::transfer`.
    ///
    /// # Panics
    ///
    /// When `rendered.len() != self.units().len()`.
    pub fn render(&self, rendered: &[String]) -> String {
        assert_eq!(rendered.len(), self.units.len(), "one rendering per unit");
        let mut texts: Vec<Option<String>> = vec![None; self.groups.len()];
        for (plan, english) in self.plans.iter().zip(rendered) {
            let Some(cues) = plan.cue_words(english) else {
                continue;
            };
            for (k, words) in cues.iter().enumerate() {
                if normalised(words) != plan.identity[k] {
                    let g = plan.groups[k];
                    texts[g] = Some(self.lay_out(&self.groups[g], words));
                }
            }
        }
        let mut out = String::new();
        for piece in &self.pieces {
            match piece {
                Piece::Keep(s) => out.push_str(s),
                Piece::Group(g) => match &texts[*g] {
                    Some(text) => out.push_str(text),
                    None => out.push_str(&self.groups[*g].source),
                },
            }
        }
        out
    }

    /// Adds the groups of one cue's text lines; returns their indices.
    fn add_cue(&mut self, lines: &[Line], keep: &mut String) -> Result<Vec<usize>, String> {
        if let Some(line) = lines.iter().find(|l| l.text.contains(CUE_BREAK)) {
            return Err(format!(
                "line {}: contains U+E000, the private-use character terjemah reserves for cue breaks",
                line.number
            ));
        }
        if lines.is_empty() {
            return Ok(Vec::new());
        }
        let dialogue = lines.iter().any(|l| dash_len(skip_tags(l.text)).is_some());
        let mut starts: Vec<usize> = vec![0];
        if dialogue {
            starts
                .extend((1..lines.len()).filter(|&i| dash_len(skip_tags(lines[i].text)).is_some()));
        }
        let mut ids = Vec::new();
        for (k, &start) in starts.iter().enumerate() {
            let end = starts.get(k + 1).copied().unwrap_or(lines.len());
            let group = self.group(&lines[start..end]);
            if !keep.is_empty() {
                self.pieces.push(Piece::Keep(std::mem::take(keep)));
            }
            self.pieces.push(Piece::Group(self.groups.len()));
            ids.push(self.groups.len());
            self.groups.push(group);
        }
        Ok(ids)
    }

    fn group(&self, lines: &[Line]) -> Group {
        let prefix_len = dash_len(lines[0].text).unwrap_or(0);
        let prefix = lines[0].text[..prefix_len].to_owned();
        let texts: Vec<&str> = lines
            .iter()
            .enumerate()
            .map(|(i, l)| {
                if i == 0 {
                    &l.text[prefix_len..]
                } else {
                    l.text
                }
            })
            .map(str::trim)
            .collect();
        let (plain, marks) = read_markup(&texts.join(" "), self.kind);
        let letters = plain.chars().any(char::is_alphabetic);
        let ends_sentence = ends_sentence(&plain);
        Group {
            source: lines
                .iter()
                .map(|l| format!("{}{}", l.text, l.ending))
                .collect(),
            prefix,
            endings: lines.iter().map(|l| l.ending.to_owned()).collect(),
            width: texts.iter().map(|t| visible_width(t)).max().unwrap_or(0),
            text: letters.then_some(GroupText {
                marked: Marked { plain, marks },
                ends_sentence,
            }),
        }
    }

    fn add_unit(&mut self, groups: Vec<usize>) {
        let mut plain = String::new();
        let mut marks: Vec<Mark> = Vec::new();
        let mut lengths = Vec::new();
        for (k, &g) in groups.iter().enumerate() {
            let text = &self.groups[g]
                .text
                .as_ref()
                .expect("units are made of text")
                .marked;
            lengths.push(text.plain.chars().count());
            let mut merged = vec![false; text.marks.len()];
            if k > 0 {
                let end = plain.len();
                merge_spans(&mut marks, end, &text.marks, &mut merged);
                marks.push(Mark::Point {
                    at: end,
                    text: CUE_BREAK.to_owned(),
                });
                plain.push(' ');
            }
            let offset = plain.len();
            plain.push_str(&text.plain);
            for (mark, _) in text.marks.iter().zip(&merged).filter(|(_, m)| !**m) {
                marks.push(shifted(mark, offset));
            }
        }
        let unit = Marked { plain, marks };
        let mut plan = Plan::new(&unit, groups, lengths);
        plan.identity = match plan.cue_words(&identity(&unit)) {
            Some(cues) => cues.iter().map(|w| normalised(w)).collect(),
            None => vec![String::new(); plan.groups.len()],
        };
        self.units.push(unit);
        self.plans.push(plan);
    }

    /// A group's English: its words wrapped over at most its source lines, the dash first.
    fn lay_out(&self, group: &Group, words: &[Vec<Tok>]) -> String {
        let written: Vec<(String, usize)> = words
            .iter()
            .map(|word| {
                let mut s = String::new();
                let mut width = 0;
                for tok in word {
                    match tok {
                        Tok::Text(t) => {
                            width += t.chars().count();
                            s.push_str(&encode(t, self.kind));
                        }
                        Tok::Other(t) => s.push_str(t),
                        _ => {}
                    }
                }
                (s, width)
            })
            .collect();
        let widths: Vec<usize> = written.iter().map(|w| w.1).collect();
        // A line that started with a dash would read as another speaker's.
        let can_start: Vec<bool> = written
            .iter()
            .map(|w| !w.0.starts_with(['-', '–']))
            .collect();
        let starts = wrap(&widths, &can_start, group.endings.len(), group.width);
        let mut out = String::new();
        for (i, &start) in starts.iter().enumerate() {
            let end = starts.get(i + 1).copied().unwrap_or(written.len());
            if i == 0 {
                out.push_str(&group.prefix);
            }
            let line: Vec<&str> = written[start..end].iter().map(|w| w.0.as_str()).collect();
            out.push_str(&line.join(" "));
            let ending = if i + 1 == starts.len() {
                group.endings.last()
            } else {
                group.endings.get(i)
            };
            out.push_str(ending.map_or("", String::as_str));
        }
        out
    }
}

impl Plan {
    fn new(unit: &Marked, groups: Vec<usize>, lengths: Vec<usize>) -> Plan {
        let mut pairs: Vec<(String, String)> = Vec::new();
        let mut known = Vec::new();
        let mut points = Vec::new();
        let partner = partners(&unit.marks);
        for (i, mark) in unit.marks.iter().enumerate() {
            match mark {
                Mark::Open { text, .. } => {
                    let close = match partner[i].map(|c| &unit.marks[c]) {
                        Some(Mark::Close { text, .. }) => text.clone(),
                        _ => String::new(),
                    };
                    match pairs.iter_mut().find(|(o, _)| o == text) {
                        Some(pair) if pair.1.is_empty() => pair.1 = close,
                        Some(_) => {}
                        None => pairs.push((text.clone(), close)),
                    }
                }
                Mark::Close { text, .. } if !text.is_empty() => {
                    known.push((text.clone(), Tok::Close(text.clone())));
                }
                Mark::Point { text, .. } if text != CUE_BREAK => points.push(text.clone()),
                Mark::Close { .. } | Mark::Point { .. } | Mark::Space { .. } => {}
            }
        }
        known.extend(
            pairs
                .iter()
                .enumerate()
                .map(|(p, (o, _))| (o.clone(), Tok::Open(p))),
        );
        known.extend(points.into_iter().map(|t| (t.clone(), Tok::Other(t))));
        // Stable: a close tag that is also a stray point stays a close.
        known.sort_by_key(|(t, _)| std::cmp::Reverse(t.len()));
        Plan {
            groups,
            lengths,
            pairs,
            known,
            identity: Vec::new(),
        }
    }

    /// The English cut into one balanced piece per group, each piece as words; `None` when the
    /// English has no words.
    fn cue_words(&self, english: &str) -> Option<Vec<Vec<Vec<Tok>>>> {
        let tokens = self.tokens(english);
        let pieces = split_at_breaks(tokens.clone());
        let cues = self.groups.len();
        if pieces.len() == cues && pieces.iter().all(|p| p.iter().any(visible)) {
            return Some(self.balance(pieces).iter().map(|p| words(p)).collect());
        }
        let flat: Vec<Tok> = tokens
            .into_iter()
            .map(|t| {
                if t == Tok::Break {
                    Tok::Text(" ".into())
                } else {
                    t
                }
            })
            .collect();
        let all = words(&flat);
        if all.is_empty() {
            return None;
        }
        if all.len() < cues {
            let whole = words(&self.balance(vec![flat]).remove(0));
            return Some(vec![whole; cues]);
        }
        let pieces = spread(all, &self.lengths)
            .into_iter()
            .map(|cue| cue.join(&Tok::Text(" ".into())))
            .collect();
        Some(self.balance(pieces).iter().map(|p| words(p)).collect())
    }

    fn tokens(&self, english: &str) -> Vec<Tok> {
        let mut out = Vec::new();
        let mut text = String::new();
        let mut rest = english;
        while let Some(c) = rest.chars().next() {
            let found = if rest.starts_with(CUE_BREAK) {
                Some((CUE_BREAK.len(), Tok::Break))
            } else {
                self.known
                    .iter()
                    .find(|(t, _)| rest.starts_with(t.as_str()))
                    .map(|(t, tok)| (t.len(), tok.clone()))
            };
            let len = match found {
                Some((len, tok)) => {
                    if !text.is_empty() {
                        out.push(Tok::Text(std::mem::take(&mut text)));
                    }
                    out.push(tok);
                    len
                }
                None => {
                    text.push(c);
                    c.len_utf8()
                }
            };
            rest = &rest[len..];
        }
        if !text.is_empty() {
            out.push(Tok::Text(text));
        }
        out
    }

    /// Each piece with the spans open at its start reopened and those open at its end closed.
    /// Tags come out as [`Tok::Other`].
    fn balance(&self, pieces: Vec<Vec<Tok>>) -> Vec<Vec<Tok>> {
        let mut stack: Vec<usize> = Vec::new();
        let mut out = Vec::new();
        for piece in pieces {
            let mut cue: Vec<Tok> = stack
                .iter()
                .map(|&p| Tok::Other(self.pairs[p].0.clone()))
                .collect();
            for tok in piece {
                match tok {
                    Tok::Open(p) => {
                        stack.push(p);
                        cue.push(Tok::Other(self.pairs[p].0.clone()));
                    }
                    Tok::Close(tag) => self.close(&mut stack, &tag, &mut cue),
                    Tok::Other(tag) if tag.starts_with("</") => {
                        self.close(&mut stack, &tag, &mut cue)
                    }
                    tok => cue.push(tok),
                }
            }
            cue.extend(
                stack
                    .iter()
                    .rev()
                    .map(|&p| Tok::Other(self.pairs[p].1.clone())),
            );
            out.push(cue);
        }
        out
    }

    /// Writes the close tag `tag` for the innermost open span of its name, after closing those
    /// inside it; a tag that closes nothing is dropped (players ignore it too).
    fn close(&self, stack: &mut Vec<usize>, tag: &str, cue: &mut Vec<Tok>) {
        let name = tag_name(&tag[2..]);
        let Some(d) = stack
            .iter()
            .rposition(|&p| tag_name(&self.pairs[p].0[1..]) == name)
        else {
            return;
        };
        for p in stack.drain(d + 1..).rev() {
            cue.push(Tok::Other(self.pairs[p].1.clone()));
        }
        stack.pop();
        cue.push(Tok::Other(tag.to_owned()));
    }
}

fn split_lines(body: &str) -> Vec<Line<'_>> {
    let mut out = Vec::new();
    let mut rest = body;
    while !rest.is_empty() {
        let end = rest.find('\n').map_or(rest.len(), |i| i + 1);
        let full = &rest[..end];
        let content = full.strip_suffix('\n').unwrap_or(full);
        let text = content.strip_suffix('\r').unwrap_or(content);
        out.push(Line {
            number: out.len() + 1,
            text,
            ending: &full[text.len()..],
        });
        rest = &rest[end..];
    }
    out
}

/// The cue's text lines from `lines[start]` on: up to a blank line, or a line that starts the
/// next cue when the blank line before it is missing.
fn cue_text_end(lines: &[Line], start: usize, kind: SubtitleKind) -> usize {
    let mut i = start;
    while i < lines.len() && !lines[i].blank() && !lines[i].text.contains("-->") {
        let numbered = kind == SubtitleKind::Srt
            && is_number(lines[i].text)
            && lines.get(i + 1).is_some_and(|l| timing(l.text, kind));
        if numbered {
            break;
        }
        i += 1;
    }
    i
}

fn read_srt<'a>(lines: &'a [Line<'a>]) -> Result<Vec<Item<'a>>, String> {
    let kind = SubtitleKind::Srt;
    let mut items = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let line = &lines[i];
        if line.blank() {
            items.push(Item::Keep(line));
            i += 1;
            continue;
        }
        if is_number(line.text) {
            match lines.get(i + 1) {
                Some(next) if next.text.contains("-->") => {}
                _ => {
                    return Err(format!(
                        "line {}: cue number `{}` is not followed by a timing line",
                        line.number,
                        quote(line.text)
                    ))
                }
            }
            items.push(Item::Keep(line));
            i += 1;
        }
        let line = &lines[i];
        if !line.text.contains("-->") {
            return Err(format!(
                "line {}: expected a cue number or a timing line, found `{}`",
                line.number,
                quote(line.text)
            ));
        }
        if !timing(line.text, kind) {
            return Err(format!(
                "line {}: timing line `{}` is not HH:MM:SS,mmm --> HH:MM:SS,mmm",
                line.number,
                quote(line.text)
            ));
        }
        items.push(Item::Keep(line));
        let end = cue_text_end(lines, i + 1, kind);
        items.push(Item::Cue(&lines[i + 1..end]));
        i = end;
    }
    Ok(items)
}

fn read_vtt<'a>(lines: &'a [Line<'a>]) -> Result<Vec<Item<'a>>, String> {
    let kind = SubtitleKind::Vtt;
    let header = lines.first().map_or("", |l| l.text);
    let signed = header
        .strip_prefix("WEBVTT")
        .is_some_and(|rest| rest.is_empty() || rest.starts_with([' ', '\t']));
    if !signed {
        return Err(format!(
            "line 1: a WebVTT file starts with `WEBVTT`, found `{}`",
            quote(header)
        ));
    }
    let mut items = Vec::new();
    let mut i = 0;
    // The header and its metadata lines, then blocks; a timing line ends a header that lacks
    // its blank line, as browsers read it.
    while i < lines.len() && !lines[i].blank() && !(i > 0 && lines[i].text.contains("-->")) {
        items.push(Item::Keep(&lines[i]));
        i += 1;
    }
    while i < lines.len() {
        let line = &lines[i];
        let keyword = ["NOTE", "STYLE", "REGION"].iter().any(|k| {
            line.text
                .strip_prefix(k)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with([' ', '\t']))
        });
        if line.blank() || keyword {
            items.push(Item::Keep(line));
            i += 1;
            if keyword {
                while i < lines.len() && !lines[i].blank() {
                    items.push(Item::Keep(&lines[i]));
                    i += 1;
                }
            }
            continue;
        }
        if !line.text.contains("-->") {
            match lines.get(i + 1) {
                Some(next) if next.text.contains("-->") => {}
                _ => {
                    return Err(format!(
                        "line {}: `{}` is neither a cue identifier before a timing line nor a NOTE, STYLE or REGION block",
                        line.number,
                        quote(line.text)
                    ))
                }
            }
            items.push(Item::Keep(line));
            i += 1;
        }
        let line = &lines[i];
        if !timing(line.text, kind) {
            return Err(format!(
                "line {}: timing line `{}` is not [HH:]MM:SS.mmm --> [HH:]MM:SS.mmm",
                line.number,
                quote(line.text)
            ));
        }
        items.push(Item::Keep(line));
        let end = cue_text_end(lines, i + 1, kind);
        items.push(Item::Cue(&lines[i + 1..end]));
        i = end;
    }
    Ok(items)
}

/// The units: runs of cues whose text continues a sentence, and each dialogue group alone.
fn merge(groups: &[Group], cues: &[Vec<usize>]) -> Vec<Vec<usize>> {
    let mut units = Vec::new();
    let mut open: Vec<usize> = Vec::new();
    for cue in cues {
        let text = |g: usize| groups[g].text.as_ref();
        let single = match cue.as_slice() {
            [g] => text(*g).is_some() && !is_dialogue(&groups[*g]),
            _ => false,
        };
        if !single {
            units.extend((!open.is_empty()).then(|| std::mem::take(&mut open)));
            units.extend(cue.iter().filter(|&&g| text(g).is_some()).map(|&g| vec![g]));
            continue;
        }
        open.push(cue[0]);
        if text(cue[0]).is_some_and(|t| t.ends_sentence) || open.len() == MAX_CUES {
            units.push(std::mem::take(&mut open));
        }
    }
    units.extend((!open.is_empty()).then_some(open));
    units
}

fn is_dialogue(group: &Group) -> bool {
    dash_len(skip_tags(&group.source)).is_some()
}

/// Merges the spans of the unit that close at the end of a cue (`end`) with the same tags opened
/// at the start of the next cue (`next`), outermost first so that the nesting holds: the closes
/// are taken off the unit and the next cue's opens marked in `merged`, so that the next cue's
/// closes end the spans opened in the earlier one.
fn merge_spans(marks: &mut Vec<Mark>, end: usize, next: &[Mark], merged: &mut [bool]) {
    let partner = partners(marks);
    let closing: Vec<usize> = (0..marks.len())
        .rev()
        .take_while(|&i| matches!(&marks[i], Mark::Close { at, .. } if *at == end))
        .collect();
    let next_partner = partners(next);
    let opening = next
        .iter()
        .enumerate()
        .take_while(|(_, m)| m.at() == 0 && matches!(m, Mark::Open { .. } | Mark::Point { .. }))
        .filter(|(_, m)| matches!(m, Mark::Open { .. }));
    let mut taken = 0;
    for (&close, (open, mark)) in closing.iter().zip(opening) {
        let same_open = partner[close].is_some_and(|o| mark_text(&marks[o]) == mark_text(mark));
        let same_close =
            next_partner[open].is_some_and(|c| mark_text(&next[c]) == mark_text(&marks[close]));
        if !(same_open && same_close) {
            break;
        }
        merged[open] = true;
        taken += 1;
    }
    marks.truncate(marks.len() - taken);
}

fn mark_text(mark: &Mark) -> &str {
    match mark {
        Mark::Open { text, .. }
        | Mark::Close { text, .. }
        | Mark::Point { text, .. }
        | Mark::Space { text, .. } => text,
    }
}

/// For each mark, the mark it pairs with: an open's close, a close's open.
fn partners(marks: &[Mark]) -> Vec<Option<usize>> {
    let mut out = vec![None; marks.len()];
    let mut open = Vec::new();
    for (i, mark) in marks.iter().enumerate() {
        match mark {
            Mark::Open { .. } => open.push(i),
            Mark::Close { .. } => {
                if let Some(o) = open.pop() {
                    out[i] = Some(o);
                    out[o] = Some(i);
                }
            }
            Mark::Point { .. } | Mark::Space { .. } => {}
        }
    }
    out
}

fn shifted(mark: &Mark, offset: usize) -> Mark {
    moved(mark.clone(), |at| at + offset)
}

fn moved(mark: Mark, to: impl Fn(usize) -> usize) -> Mark {
    match mark {
        Mark::Open { at, text } => Mark::Open { at: to(at), text },
        Mark::Close { at, text } => Mark::Close { at: to(at), text },
        Mark::Point { at, text } => Mark::Point { at: to(at), text },
        Mark::Space { at, text } => Mark::Space { at: to(at), text },
    }
}

/// The plain text of a cue's text and its markup as marks (see the module's rules), the plain
/// text trimmed.
fn read_markup(raw: &str, kind: SubtitleKind) -> (String, Vec<Mark>) {
    let mut plain = String::new();
    let mut marks: Vec<Mark> = Vec::new();
    // The names of the open tags.
    let mut stack: Vec<String> = Vec::new();
    let mut rest = raw;
    while let Some(c) = rest.chars().next() {
        let at = plain.len();
        if let Some(len) = tag_len(rest, kind) {
            let tag = &rest[..len];
            if let Some(name) = tag.strip_prefix("</") {
                let name = tag_name(name);
                match stack.iter().rposition(|n| *n == name) {
                    Some(d) => {
                        // Tags opened inside it and left open end with it.
                        for _ in d + 1..stack.len() {
                            marks.push(Mark::Close {
                                at,
                                text: String::new(),
                            });
                        }
                        stack.truncate(d);
                        marks.push(Mark::Close {
                            at,
                            text: tag.to_owned(),
                        });
                    }
                    None => marks.push(Mark::Point {
                        at,
                        text: tag.to_owned(),
                    }),
                }
            } else if tag[1..].starts_with(|c: char| c.is_ascii_digit()) {
                marks.push(Mark::Point {
                    at,
                    text: tag.to_owned(),
                });
            } else {
                stack.push(tag_name(&tag[1..]));
                marks.push(Mark::Open {
                    at,
                    text: tag.to_owned(),
                });
            }
            rest = &rest[len..];
            continue;
        }
        if kind == SubtitleKind::Srt && rest.starts_with("{\\") {
            if let Some(end) = rest.find('}') {
                marks.push(Mark::Point {
                    at,
                    text: rest[..=end].to_owned(),
                });
                rest = &rest[end + 1..];
                continue;
            }
        }
        if kind == SubtitleKind::Vtt && c == '&' {
            if let Some((entity, decoded)) = ENTITIES.iter().find(|(e, _)| rest.starts_with(e)) {
                plain.push(*decoded);
                rest = &rest[entity.len()..];
                continue;
            }
        }
        // The plain text has no line breaks: a stray CR or a U+2028 inside a line is a space.
        let breaking = c.is_whitespace() && !matches!(c, '\u{a0}' | '\u{2007}' | '\u{202f}');
        plain.push(if breaking { ' ' } else { c });
        rest = &rest[c.len_utf8()..];
    }
    // The cue's end closes what it left open, as players read it.
    marks.extend(stack.iter().map(|_| Mark::Close {
        at: plain.len(),
        text: String::new(),
    }));
    let lead = plain.len() - plain.trim_start().len();
    let trimmed = plain.trim().to_owned();
    let marks = marks
        .into_iter()
        .map(|m| moved(m, |at| at.saturating_sub(lead).min(trimmed.len())))
        .collect();
    (trimmed, marks)
}

const ENTITIES: &[(&str, char)] = &[
    ("&amp;", '&'),
    ("&lt;", '<'),
    ("&gt;", '>'),
    ("&nbsp;", '\u{a0}'),
];

fn encode(text: &str, kind: SubtitleKind) -> String {
    if kind == SubtitleKind::Srt {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match ENTITIES.iter().find(|(_, d)| *d == c) {
            Some((entity, _)) => out.push_str(entity),
            None => out.push(c),
        }
    }
    out
}

/// The length of the tag that `s` starts with: `<name…>`, `</name>`, or in VTT a timestamp
/// `<00:01.000>`.
fn tag_len(s: &str, kind: SubtitleKind) -> Option<usize> {
    let inner = s.strip_prefix('<')?;
    let end = inner.find(['>', '<'])?;
    if inner.as_bytes()[end] != b'>' {
        return None;
    }
    let body = &inner[..end];
    let name = body.strip_prefix('/').unwrap_or(body);
    let tag = name.starts_with(|c: char| c.is_ascii_alphabetic())
        || (kind == SubtitleKind::Vtt && body == name && vtt_time(body));
    tag.then_some(end + 2)
}

/// A tag's name, lower-cased: what a close tag is matched by (`c` for `<c.loud>`).
fn tag_name(tag: &str) -> String {
    tag.chars()
        .take_while(char::is_ascii_alphanumeric)
        .collect::<String>()
        .to_ascii_lowercase()
}

fn skip_tags(mut line: &str) -> &str {
    while let Some(len) = tag_len(line, SubtitleKind::Srt) {
        line = &line[len..];
    }
    line
}

/// The length of a dialogue dash at the start of `line`, with the spaces after it; a dash glued
/// to its word may have tags between (`-<i>Pergi!</i>`).
fn dash_len(line: &str) -> Option<usize> {
    let dash = line.chars().next().filter(|c| matches!(c, '-' | '–'))?;
    let rest = &line[dash.len_utf8()..];
    let spaces = rest.len() - rest.trim_start_matches([' ', '\t']).len();
    let after = skip_tags(&rest[spaces..]).chars().next()?;
    (after.is_alphabetic() || (spaces > 0 && !after.is_whitespace()))
        .then_some(dash.len_utf8() + spaces)
}

/// Whether a cue's text ends a sentence; a cue all in brackets (`[musik]`, `(tertawa)`), a sound
/// or a speaker's name, stands alone too.
fn ends_sentence(plain: &str) -> bool {
    let bracketed = (plain.starts_with('[') && plain.ends_with(']'))
        || (plain.starts_with('(') && plain.ends_with(')'));
    bracketed
        || plain
            .trim_end_matches(['"', '\'', '”', '’', '»', ')', ']'])
            .ends_with(['.', '!', '?', '…', '♪'])
}

fn is_number(text: &str) -> bool {
    let t = text.trim();
    !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit())
}

/// `start --> end`, anything after the end time (VTT cue settings, SRT coordinates) allowed.
fn timing(line: &str, kind: SubtitleKind) -> bool {
    let Some((start, rest)) = line.split_once("-->") else {
        return false;
    };
    let end = rest.split_whitespace().next().unwrap_or("");
    let time = |t: &str| match kind {
        SubtitleKind::Srt => srt_time(t),
        SubtitleKind::Vtt => vtt_time(t),
    };
    time(start.trim()) && time(end)
}

fn digits(s: &str, min: usize, max: usize) -> bool {
    (min..=max).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit())
}

/// `H:M:S,m` with short fields and `.` for `,`, as players read SRT.
fn srt_time(t: &str) -> bool {
    let Some((hms, ms)) = t.split_once([',', '.']) else {
        return false;
    };
    let fields: Vec<&str> = hms.split(':').collect();
    matches!(fields.as_slice(), [h, m, s] if digits(h, 1, 3) && digits(m, 1, 2) && digits(s, 1, 2))
        && digits(ms, 1, 3)
}

/// `[HH:]MM:SS.mmm`, as the WebVTT specification has it.
fn vtt_time(t: &str) -> bool {
    let Some((hms, ms)) = t.split_once('.') else {
        return false;
    };
    let fields: Vec<&str> = hms.split(':').collect();
    let clock = match fields.as_slice() {
        [h, m, s] => digits(h, 2, 9) && digits(m, 2, 2) && digits(s, 2, 2),
        [m, s] => digits(m, 2, 2) && digits(s, 2, 2),
        _ => false,
    };
    clock && digits(ms, 3, 3)
}

fn quote(line: &str) -> String {
    const MAX: usize = 60;
    match line.char_indices().nth(MAX) {
        Some((i, _)) => format!("{}…", &line[..i]),
        None => line.to_owned(),
    }
}

/// Characters a viewer sees: tags left out.
fn visible_width(text: &str) -> usize {
    let mut width = 0;
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        let len = tag_len(rest, SubtitleKind::Vtt).unwrap_or_else(|| {
            width += 1;
            c.len_utf8()
        });
        rest = &rest[len..];
    }
    width
}

/// The unit as its own English: the marks written into the plain text where they were.
fn identity(unit: &Marked) -> String {
    let mut out = String::new();
    let mut cursor = 0;
    for mark in &unit.marks {
        let at = mark.at().clamp(cursor, unit.plain.len());
        out.push_str(&unit.plain[cursor..at]);
        if !matches!(mark, Mark::Space { .. }) {
            out.push_str(mark_text(mark));
        }
        cursor = at;
    }
    out.push_str(&unit.plain[cursor..]);
    out
}

fn visible(tok: &Tok) -> bool {
    matches!(tok, Tok::Text(t) if !t.trim().is_empty())
}

/// The tokens cut at the cue breaks, with the tags next to a break moved to their side of it:
/// opens after it, closes before it.
fn split_at_breaks(tokens: Vec<Tok>) -> Vec<Vec<Tok>> {
    let mut pieces = vec![Vec::new()];
    for tok in tokens {
        match tok {
            Tok::Break => pieces.push(Vec::new()),
            tok => pieces.last_mut().expect("never empty").push(tok),
        }
    }
    for k in 1..pieces.len() {
        let last = pieces[k - 1].iter().rposition(visible).map_or(0, |i| i + 1);
        let tail: Vec<Tok> = pieces[k - 1].drain(last..).collect();
        let (opens, rest): (Vec<Tok>, Vec<Tok>) =
            tail.into_iter().partition(|t| matches!(t, Tok::Open(_)));
        pieces[k - 1].extend(rest);
        let first = pieces[k]
            .iter()
            .position(visible)
            .unwrap_or(pieces[k].len());
        let head: Vec<Tok> = pieces[k].drain(..first).collect();
        let (closes, rest): (Vec<Tok>, Vec<Tok>) =
            head.into_iter().partition(|t| matches!(t, Tok::Close(_)));
        pieces[k - 1].extend(closes);
        let after = std::mem::take(&mut pieces[k]);
        pieces[k] = opens.into_iter().chain(rest).chain(after).collect();
    }
    pieces
}

/// The words of a token run: split at whitespace, tags kept with the word they touch (a run of
/// tags between spaces goes with the word before it when it only closes, else with the word
/// after it).
fn words(tokens: &[Tok]) -> Vec<Vec<Tok>> {
    let mut raw: Vec<Vec<Tok>> = vec![Vec::new()];
    for tok in tokens {
        match tok {
            Tok::Text(text) => {
                for c in text.chars() {
                    let word = raw.last_mut().expect("never empty");
                    if c.is_whitespace() {
                        if !word.is_empty() {
                            raw.push(Vec::new());
                        }
                    } else if let Some(Tok::Text(t)) = word.last_mut() {
                        t.push(c);
                    } else {
                        word.push(Tok::Text(c.into()));
                    }
                }
            }
            tok => raw.last_mut().expect("never empty").push(tok.clone()),
        }
    }
    let mut out: Vec<Vec<Tok>> = Vec::new();
    let mut pending: Vec<Tok> = Vec::new();
    let closes = |w: &[Tok]| {
        w.iter()
            .all(|t| matches!(t, Tok::Other(s) | Tok::Close(s) if s.starts_with("</")))
    };
    for word in raw.into_iter().filter(|w| !w.is_empty()) {
        if word.iter().any(visible) {
            out.push(pending.drain(..).chain(word).collect());
        } else if pending.is_empty() && closes(&word) && !out.is_empty() {
            out.last_mut().expect("not empty").extend(word);
        } else {
            pending.extend(word);
        }
    }
    match out.last_mut() {
        Some(last) => last.extend(pending),
        None if !pending.is_empty() => out.push(pending),
        None => {}
    }
    out
}

/// Words dealt out over the cues in proportion to the source cues' lengths, at least one each
/// (`words.len() >= lengths.len()`).
fn spread(words: Vec<Vec<Tok>>, lengths: &[usize]) -> Vec<Vec<Vec<Tok>>> {
    let width = |w: &Vec<Tok>| -> usize {
        w.iter()
            .map(|t| match t {
                Tok::Text(s) => s.chars().count(),
                _ => 0,
            })
            .sum()
    };
    let mut cum = vec![0];
    for w in &words {
        cum.push(cum.last().copied().unwrap_or(0) + width(w) + 1);
    }
    let total = cum[words.len()];
    let source_total: usize = lengths.iter().map(|l| l + 1).sum();
    let mut cuts = Vec::new();
    let mut source_end = 0;
    let mut prev = 0;
    for (j, length) in lengths[..lengths.len() - 1].iter().enumerate() {
        source_end += length + 1;
        let target = source_end * total / source_total.max(1);
        let last = words.len() - (lengths.len() - 1 - j);
        let cut = (prev + 1..=last)
            .min_by_key(|&b| cum[b].abs_diff(target))
            .unwrap_or(prev + 1);
        cuts.push(cut);
        prev = cut;
    }
    let mut out = Vec::new();
    let mut rest = words;
    for cut in cuts.iter().rev() {
        out.push(rest.split_off(*cut));
    }
    out.push(rest);
    out.reverse();
    out
}

/// A cue's words as text to compare with the source's: tags as written, text decoded, one space
/// between words.
fn normalised(words: &[Vec<Tok>]) -> String {
    let written: Vec<String> = words
        .iter()
        .map(|w| {
            w.iter()
                .map(|t| match t {
                    Tok::Text(s) | Tok::Other(s) | Tok::Close(s) => s.as_str(),
                    Tok::Open(_) | Tok::Break => "",
                })
                .collect()
        })
        .collect();
    written.join(" ")
}

/// Where each line starts, for words of these widths over at most `lines` lines, a line
/// starting only at a word that `can_start` one: the fewest lines whose balanced split fits
/// `limit`, else as many lines as can be balanced, up to `lines`.
fn wrap(widths: &[usize], can_start: &[bool], lines: usize, limit: usize) -> Vec<usize> {
    let most = lines.min(widths.len()).max(1);
    let mut fallback = vec![0];
    for k in 1..=most {
        let (longest, starts) = balanced_with_longest(widths, can_start, k);
        if longest == usize::MAX {
            continue;
        }
        if longest <= limit {
            return starts;
        }
        fallback = starts;
    }
    fallback
}

/// The split of the words into `lines` lines with the shortest longest line, and that length;
/// `usize::MAX` where no split has a line at every allowed start.
fn balanced_with_longest(
    widths: &[usize],
    can_start: &[bool],
    lines: usize,
) -> (usize, Vec<usize>) {
    let m = widths.len();
    if m == 0 {
        return (0, vec![0]);
    }
    let mut sums = vec![0];
    for w in widths {
        sums.push(sums.last().copied().unwrap_or(0) + w);
    }
    let line = |a: usize, b: usize| sums[b] - sums[a] + (b - a).saturating_sub(1);
    // best[j][i]: the longest line of the best split of the first i words into j lines.
    let mut best = vec![vec![usize::MAX; m + 1]; lines + 1];
    let mut from = vec![vec![0; m + 1]; lines + 1];
    best[0][0] = 0;
    for j in 1..=lines {
        for i in j..=m {
            for s in j - 1..i {
                if best[j - 1][s] == usize::MAX || (s > 0 && !can_start[s]) {
                    continue;
                }
                let longest = best[j - 1][s].max(line(s, i));
                if longest < best[j][i] {
                    best[j][i] = longest;
                    from[j][i] = s;
                }
            }
        }
    }
    if best[lines][m] == usize::MAX {
        return (usize::MAX, vec![0]);
    }
    let mut starts = vec![0; lines];
    let mut i = m;
    for j in (1..=lines).rev() {
        starts[j - 1] = from[j][i];
        i = from[j][i];
    }
    (best[lines][m], starts)
}

#[cfg(test)]
mod tests;
