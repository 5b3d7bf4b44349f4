//! Protected spans: what inside a sentence the model must not see or change.
//!
//! Double-quote marks (and their HTML entities), line breaks other than the line's own, URLs,
//! e-mail addresses, placeholders (`[iklan_2]`), hashtags and mentions are kept as source bytes
//! and split the prose around them; a bracket whose partner is on the other side of a kept span
//! stays with that span. An editor's code ends a paragraph (`(nvc/nvc)`) and an embed marker
//! fills a line (`[Gambas:Video CNN]`); both are kept too. [`Tokens`] finds them in one pass over a line, so that parsing stays
//! linear in the input.

use std::cell::Cell;

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
pub(super) fn quote_mark_len(s: &str) -> Option<usize> {
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

/// End of the protected token (URL, e-mail address, placeholder, hashtag or mention) that starts
/// at `i`, without trailing punctuation. The caller checks that `i` starts a token.
pub(super) fn protected_at(s: &str, i: usize) -> Option<usize> {
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
pub(super) struct Tokens<'a> {
    pub(super) text: &'a str,
    /// Per byte offset: the next [`is_token_stop`] character at or after it.
    pub(super) stop: Vec<u32>,
    /// Per byte offset: where the run of [`is_trimmed`] characters that ends there starts.
    pub(super) trimmed_from: Vec<u32>,
    /// Per byte offset: how many `(`, `)`, `[` and `]` come before it.
    pub(super) counts: Vec<[u32; 4]>,
    /// The offsets of every `)` and of every `]`, in order.
    pub(super) closers: [Vec<u32>; 2],
    /// Per byte offset: where the run of e-mail local-part characters starting there ends.
    pub(super) local_end: Vec<u32>,
    /// The last domain checked, as its range and verdict: starts inside one local part (after
    /// each `_` in Markdown) share it.
    pub(super) domain: Cell<Option<(usize, usize, bool)>>,
}

impl<'a> Tokens<'a> {
    pub(super) fn new(text: &'a str) -> Tokens<'a> {
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
    pub(super) fn at(&self, s: &str, i: usize) -> Option<usize> {
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

/// How URLs start: a scheme, or a host that news pages print without one (embedded posts'
/// `pic.twitter.com/…`, short links, messaging links).
const URL_STARTS: &[&str] = &[
    "http://",
    "https://",
    "ftp://",
    "www.",
    "pic.twitter.com/",
    "t.co/",
    "bit.ly/",
    "t.me/",
    "wa.me/",
];

fn is_url(t: &str) -> bool {
    URL_STARTS.iter().any(|scheme| {
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

/// Where an editor's code that ends `s` starts: `(nvc/nvc)`, `(har/ads)`, or `(wan)` after the
/// paragraph's last stop, or alone. A code is one to three groups of two to six lower-case
/// letters between slashes; without a slash it must follow a stop, so that a final `(dua)` of
/// prose is not taken for one.
pub(super) fn trailing_code(s: &str) -> Option<usize> {
    let open = s.strip_suffix(')')?.rfind('(')?;
    let inner = &s[open + 1..s.len() - 1];
    let groups: Vec<&str> = inner.split('/').collect();
    let code = (1..=3).contains(&groups.len())
        && groups
            .iter()
            .all(|g| (2..=6).contains(&g.len()) && g.chars().all(|c| c.is_ascii_lowercase()));
    let before = s[..open].trim_end();
    let placed = before.is_empty()
        || (s[..open].ends_with(char::is_whitespace)
            && (groups.len() > 1 || before.ends_with(|c: char| ".!?…".contains(c) || is_quote(c))));
    (code && placed).then_some(open)
}

/// A video or post embed marker filling a line: `[Gambas:Video CNN]`, `[Video: IHSG Menguat]`,
/// a tag word and a colon in square brackets.
pub(super) fn is_embed_marker(line: &str) -> bool {
    line.strip_prefix('[')
        .and_then(|l| l.strip_suffix(']'))
        .and_then(|inner| inner.split_once(':'))
        .is_some_and(|(tag, rest)| {
            !tag.is_empty() && tag.chars().all(char::is_alphanumeric) && !rest.contains(['[', ']'])
        })
}

/// Byte offsets of the brackets without a partner in `s`, in one pass. A closer that does not
/// match the innermost open bracket (or has none) is unpartnered, and so are all brackets still
/// open before it: scanning starts afresh after it.
pub(super) fn unmatched_brackets(s: &str) -> Vec<usize> {
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

#[cfg(test)]
mod tests {
    use super::{is_embed_marker, trailing_code};
    use crate::text::lines::split_lines;
    use crate::text::testing::inputs;

    #[test]
    fn editor_codes_end_paragraphs() {
        assert_eq!(trailing_code("kata dia. (nvc/nvc)"), Some(10));
        assert_eq!(trailing_code("(wan)"), Some(0));
        assert_eq!(trailing_code("Latihan pagi. (wan)"), Some(14));
        assert_eq!(trailing_code("laman resmi (mgrol/erik)"), Some(12));
        assert_eq!(trailing_code("tiga orang (dua)"), None);
        assert_eq!(trailing_code("Harga naik. (Rp)"), None);
        assert_eq!(
            inputs("Pemerintah menargetkan 14 persen. (har/ads)"),
            ["Pemerintah menargetkan 14 persen."]
        );
        assert!(inputs("(nvc/nvc)").is_empty());
    }

    #[test]
    fn embed_markers_are_kept() {
        assert!(is_embed_marker("[Gambas:Video CNN]"));
        assert!(is_embed_marker("[Video: IHSG Dibuka Menguat]"));
        assert!(!is_embed_marker("[Baca juga: Harga naik]"));
        assert!(!is_embed_marker("[iklan_2]"));
        assert!(inputs("[Gambas:Video 20detik]").is_empty());
    }

    #[test]
    fn hosts_printed_without_a_scheme_are_urls() {
        assert_eq!(
            inputs("Ramai sekali! pic.twitter.com/Ab3dEf"),
            ["Ramai sekali!"]
        );
        assert_eq!(inputs("Gabung di t.me/kompascomupdate."), ["Gabung di"]);
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
}
