//! Labels, credits, datelines and page chrome: the parts of a news page translated by table or
//! kept, not sent to the model.
//!
//! One table ([`LABELS`]) lists the labels (`Sumber:`, `Editor:`, `Baca juga:`, `Foto:`) with their
//! English and what follows each (names kept, credits kept when they look like names, prose
//! translated). Credits are also found at the end of a caption (`… Foto: KCNA`,
//! `… KOMPAS.com/ARDITO`), and datelines (`JAKARTA, KOMPAS.com —`) at the start of a paragraph.
//! One table of outlets and agencies ([`SOURCES`]) serves credits, datelines and bylines, and
//! [`is_chrome`] tells whole lines of page chrome (ad lines, footers, bylines) that are kept.
//! Everything here works on one line's text.

use std::ops::Range;

use super::spans::{is_quote, protected_at};

/// What follows a label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Rest {
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
pub(super) struct Label {
    pub(super) id: &'static str,
    pub(super) en: &'static str,
    pub(super) rest: Rest,
    /// At the start of a line, also matched without a colon when a name follows
    /// (`Laporan Wartawan Tribunnews.com, Ilham`, `Oleh Tira Santia`).
    pub(super) bare: bool,
}

impl Label {
    const fn new(id: &'static str, en: &'static str, rest: Rest) -> Label {
        Label {
            id,
            en,
            rest,
            bare: false,
        }
    }

    const fn bare(id: &'static str, en: &'static str, rest: Rest) -> Label {
        Label {
            id,
            en,
            rest,
            bare: true,
        }
    }
}

/// The labels, matched case-insensitively when followed by `:` (or, at the start of a line,
/// when alone, followed by a count such as `(0)`, or, for prose, by a quoted title), and
/// written in the source label's case: `SUMBER:` → `SOURCE:`, `Baca Juga:` → `Read Also:`.
/// Longer labels come before their prefixes.
const LABELS: &[Label] = &[
    Label::new("Baca juga", "Read also", Rest::Prose),
    Label::new("Lihat juga", "See also", Rest::Prose),
    Label::new("Simak juga", "See also", Rest::Prose),
    Label::new("Simak video", "Watch video", Rest::Prose),
    Label::new("Berita terkait", "Related news", Rest::Prose),
    Label::new("Pilihan editor", "Editor's choice", Rest::Prose),
    Label::new("Halaman selanjutnya", "Next page", Rest::Prose),
    Label::new("Halaman berikutnya", "Next page", Rest::Prose),
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
    Label::new("Redaktur", "Editor", Rest::Name),
    Label::new("Rep", "Reporter", Rest::Name),
    Label::new("Red", "Editor", Rest::Name),
    Label::bare("Laporan wartawan", "Reported by", Rest::Name),
    Label::bare("Laporan reporter", "Reported by", Rest::Name),
    Label::bare("Oleh", "By", Rest::Name),
];

/// News outlets and photo agencies, matched case-insensitively: alone on a line, in bylines
/// (`Rizky Adha - detikNews`), in datelines (`Jakarta, CNN Indonesia --`) and before the name in
/// a credit (`KOMPAS.com/ARDITO`, `ANTARA FOTO/Raisan/foc.`).
const SOURCES: &[&str] = &[
    "kompas.com",
    "kompas.id",
    "kompas",
    "detikcom",
    "detiknews",
    "detikfinance",
    "detiksport",
    "20detik",
    "tempo.co",
    "tempo",
    "antara foto",
    "antaranews.com",
    "antara",
    "cnn indonesia",
    "cnbc indonesia",
    "liputan6.com",
    "tribunnews.com",
    "tribunnews",
    "tribunjogja.com",
    "tribun jogja",
    "kumparan",
    "kumparannews",
    "republika.co.id",
    "republika",
    "okezone.com",
    "okezone",
    "suara.com",
    "suarajogja.id",
    "reuters",
    "afp",
    "ap photo",
    "epa",
];

/// Whether `s` is exactly one of the [`SOURCES`].
pub(super) fn is_source(s: &str) -> bool {
    SOURCES.iter().any(|o| o.eq_ignore_ascii_case(s))
}

/// What a byline may give after a name instead of an outlet (`Fahmi Firdaus, Jurnalis`).
const BYLINE_ROLES: &[&str] = &["jurnalis", "wartawan", "kontributor", "reporter"];

/// Page chrome in English, whole lines matched case-insensitively without final punctuation:
/// ad slots and navigation that scrapers keep.
const CHROME_LINES: &[&str] = &[
    "advertisement",
    "scroll to continue with content",
    "scroll to resume content",
    "continue reading",
    "next article",
    "view this post on instagram",
    "all rights reserved",
];

/// Starts of English chrome lines that go on with a name: an embedded post's credit, a footer.
/// (Not `(c)`, which also numbers items in prose.)
const CHROME_STARTS: &[&str] = &["a post shared by ", "copyright", "©"];

/// Whether a whole line is page chrome, kept as it is: English ad and navigation lines, a
/// copyright footer, an outlet's name alone, a byline that pairs an outlet with a name or time
/// (`Rizky Adha - detikNews`, `Kompas.com - 12/08/2024, 10:15 WIB`), names in capitals between
/// pipes (`ANDI ADAM | SAPTO YUNUS`), an embedded post's signature (`— Joko Widodo (@jokowi)
/// June 3, 2024`), or a credit alone (`Tribunnews.com/Jeprima`).
pub(super) fn is_chrome(line: &str) -> bool {
    let bare = line.trim_end_matches(['.', '!', ':']);
    let starts = |prefix: &str| {
        line.get(..prefix.len())
            .is_some_and(|h| h.eq_ignore_ascii_case(prefix))
    };
    CHROME_LINES.iter().any(|c| c.eq_ignore_ascii_case(bare))
        || CHROME_STARTS.iter().any(|p| starts(p))
        || is_source(line)
        || is_byline(line)
        || is_post_signature(line)
        || trailing_credit(line).is_some_and(|c| c.start == 0 && c.label.is_none())
}

/// `NAME - OUTLET`, `NAME, ROLE`, `OUTLET - TIME`, `Desk - NAME, OUTLET`, or names in capitals
/// between pipes.
fn is_byline(line: &str) -> bool {
    let role = |s: &str| BYLINE_ROLES.iter().any(|r| r.eq_ignore_ascii_case(s));
    let outlet_pair = [" - ", " | ", ", "].iter().any(|sep| {
        line.rsplit_once(sep).is_some_and(|(head, tail)| {
            ((is_source(tail) || role(tail)) && is_proper_name(head))
                || (is_source(head) && is_time_like(tail))
        })
    });
    let cells: Vec<&str> = line.split('|').map(str::trim).collect();
    let capital_names = cells.len() >= 2
        && cells.iter().all(|c| {
            let words = c.split_whitespace().count();
            (1..=5).contains(&words)
                && c.chars()
                    .all(|ch| ch.is_uppercase() || ch == ' ' || ch == '.')
        });
    outlet_pair || capital_names
}

/// A name in a byline: at most six words, none starting in lower case, no sentence inside.
fn is_proper_name(s: &str) -> bool {
    let words: Vec<&str> = s.split_whitespace().collect();
    (1..=6).contains(&words.len())
        && words.iter().all(|w| !w.starts_with(char::is_lowercase))
        && !s.contains(['.', '!', '?', '"'])
}

/// `— Joko Widodo (@jokowi) June 3, 2024`: a dash, then a name with the author's handle.
fn is_post_signature(line: &str) -> bool {
    let rest = ["—", "–", "&mdash;", "-"]
        .iter()
        .find_map(|d| line.strip_prefix(d));
    rest.is_some_and(|r| {
        r.starts_with(' ')
            && r.split_whitespace().any(|w| {
                w.strip_prefix("(@")
                    .and_then(|h| h.strip_suffix(')'))
                    .is_some_and(|h| {
                        !h.is_empty() && h.chars().all(|c| c.is_alphanumeric() || "_.".contains(c))
                    })
            })
    })
}

/// A label matched in a text.
pub(super) struct LabelMatch {
    pub(super) label: &'static Label,
    /// Where the label word(s) end.
    pub(super) label_end: usize,
    /// Where what follows the label starts: after `:` and its spaces, or the end of the text.
    pub(super) end: usize,
    /// Followed by `:` (rather than standing alone or before a count).
    pub(super) colon: bool,
}

pub(super) fn match_label_at(s: &str, p: usize) -> Option<LabelMatch> {
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
        let spaced = after.starts_with(char::is_whitespace);
        let count = spaced
            && after
                .trim_start()
                .strip_prefix('(')
                .and_then(|r| r.strip_suffix(')'))
                .is_some_and(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()));
        // `Simak Video "Judul":`, `Oleh Tira Santia`: what follows starts after the spaces.
        let titled = label.rest == Rest::Prose && after.trim_start().starts_with(is_quote);
        let named = label.bare && is_name_like(after);
        let end = if spaced && (titled || named) {
            s.len() - after.trim_start().len()
        } else {
            s.len()
        };
        let alone = after.is_empty() || count || (spaced && (titled || named));
        (p == 0 && alone).then_some(LabelMatch {
            label,
            label_end,
            end,
            colon: false,
        })
    })
}

/// A credit at the end of a text: `Foto: KCNA`, `(Foto: Dok. Pribadi)`, `(KOMPAS.com/Ani)`.
pub(super) struct Credit {
    /// Where the credit starts (its `(` if it has one).
    pub(super) start: usize,
    /// The label and its English, if the credit has one.
    pub(super) label: Option<(Range<usize>, &'static str)>,
}

/// The first credit label followed by a name that runs to the end of `s`, or else a final
/// parenthesised `(SOURCE/Name)`. A label not at the start must follow whitespace and be
/// capitalised (or in an opening parenthesis), so that prose such as `dengan foto: …` is left
/// alone.
pub(super) fn trailing_credit(s: &str) -> Option<Credit> {
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
    labelled.or_else(|| source_credit(s)).or_else(|| {
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

/// A credit without a label that runs to the end of `s` and names its source from [`SOURCES`]:
/// `… di Jakarta. KOMPAS.com/ARDITO RAMADHAN`, `(ANTARA FOTO/Raisan Al Farisi/foc.)`. The source
/// starts the text or follows a space, in parentheses or not.
fn source_credit(s: &str) -> Option<Credit> {
    let (body, closed) = match s.strip_suffix(')') {
        Some(inner) => (inner, true),
        None => (s, false),
    };
    body.match_indices('/').find_map(|(slash, _)| {
        let head = &body[..slash];
        let start = SOURCES.iter().find_map(|source| {
            let start = head.len().checked_sub(source.len())?;
            let found = head.get(start..)?.eq_ignore_ascii_case(source)
                && head[..start]
                    .chars()
                    .next_back()
                    .is_none_or(|c| c.is_whitespace() || c == '(');
            found.then_some(start)
        })?;
        let open = head[..start].ends_with('(');
        let credit_start = if open { start - 1 } else { start };
        let before = &s[..credit_start];
        let placed = before.is_empty() || before.ends_with(char::is_whitespace);
        let name = &body[slash + 1..];
        // Bounded first, so that a line of many slashes is not rescanned after each.
        let named = name.chars().nth(60).is_none() && !name.contains(['(', ')']);
        (placed && open == closed && named && is_name_like(name)).then_some(Credit {
            start: credit_start,
            label: None,
        })
    })
}

/// Whether the text after a credit label is a name (`KCNA`, `ANTARA/Budi`, `Dok. Pribadi`,
/// `istimewa`) rather than prose: a URL or e-mail address, or at most 60 characters in at most
/// six words of which at most one starts in lower case (any two words pass).
pub(super) fn is_name_like(name: &str) -> bool {
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
pub(super) fn dateline_len(s: &str) -> Option<usize> {
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
    ((place_ok && source_ok) || is_outlet_head(head)).then_some(end)
}

/// A dateline head that names an outlet, with at most one place, which may be in title case
/// since the outlet marks it: `Jakarta, CNN Indonesia`, `Jakarta (ANTARA)`, `Liputan6.com,
/// Jakarta`, `Suara.com`.
fn is_outlet_head(head: &str) -> bool {
    let parts: Vec<&str> = head
        .split([',', '(', ')'])
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect();
    let place = |p: &&str| {
        let words: Vec<&str> = p.split(' ').collect();
        (1..=3).contains(&words.len())
            && words.iter().all(|w| {
                w.starts_with(char::is_uppercase)
                    && w.chars().all(|c| c.is_alphabetic() || ".'-".contains(c))
            })
    };
    (1..=2).contains(&parts.len())
        && parts.iter().any(|p| is_source(p))
        && parts.iter().all(|p| is_source(p) || place(p))
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
pub(super) fn is_time_like(s: &str) -> bool {
    s.chars().any(|c| c.is_ascii_digit())
        && s.split(|c: char| !c.is_alphanumeric())
            .filter(|w| w.chars().any(char::is_alphabetic))
            .all(|w| matches!(w, "WIB" | "WITA" | "WIT"))
}

/// The English label for `source` (a match of `en`'s Indonesian), in the source's case.
pub(super) fn label_case(source: &str, en: &str) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::testing::inputs;

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
    fn outlet_labels_and_bylines() {
        let cases: &[(&str, &[&str])] = &[
            (
                "Simak Video \"Wapres Tinjau Posyandu\":",
                &["Wapres Tinjau Posyandu"],
            ),
            ("Halaman selanjutnya", &[]),
            (
                "Pilihan Editor: Kejaksaan Sita Aset",
                &["Kejaksaan Sita Aset"],
            ),
            ("Rep: Fuji Eka Permana/ Red: Erik Purnama Putra", &[]),
            ("Laporan Wartawan Tribunnews.com, Ilham Rian Pratama", &[]),
            ("Oleh Tira Santia", &[]),
            ("Kontributor : Hiskia Andika", &[]),
            (
                "Oleh karena itu, harga naik.",
                &["Oleh karena itu, harga naik."],
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(inputs(text), *expected, "{text:?}");
        }
    }

    #[test]
    fn agency_credits_stay_out_of_the_caption() {
        let cases: &[(&str, &[&str])] = &[
            (
                "Suasana bendungan. KOMPAS.com/ARDITO RAMADHAN",
                &["Suasana bendungan."],
            ),
            (
                "Petugas memeriksa. (ANTARA FOTO/Raisan Al Farisi/foc.)",
                &["Petugas memeriksa."],
            ),
            ("Barang bukti. Tribunnews.com/Jeprima", &["Barang bukti."]),
            ("Tribunnews.com/Jeprima", &[]),
            ("Rute Jakarta/Bogor ramai.", &["Rute Jakarta/Bogor ramai."]),
            (
                "Dia menulis di kompas/berita hari ini.",
                &["Dia menulis di kompas/berita hari ini."],
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(inputs(text), *expected, "{text:?}");
        }
    }

    #[test]
    fn datelines_may_name_an_outlet_with_a_place_in_title_case() {
        let cases: &[(&str, &[&str])] = &[
            (
                "Jakarta, CNN Indonesia -- Badan cuaca memprediksi hujan.",
                &["Badan cuaca memprediksi hujan."],
            ),
            ("Liputan6.com, Jakarta - Harga naik.", &["Harga naik."]),
            ("Jakarta (ANTARA) - Menteri tiba.", &["Menteri tiba."]),
            ("Suara.com - Pemerintah menguji.", &["Pemerintah menguji."]),
            (
                "Jakarta, Bogor - Hujan turun.",
                &["Jakarta, Bogor - Hujan turun."],
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(inputs(text), *expected, "{text:?}");
        }
    }

    #[test]
    fn chrome_lines_are_kept() {
        for line in [
            "ADVERTISEMENT",
            "Scroll to continue with content",
            "Copyright © ANTARA 2024",
            "© 2024 kumparan",
            "kumparan",
            "CNN Indonesia",
            "Rizky Adha Mahendra - detikNews",
            "Kompas.com - 12/08/2024, 10:15 WIB",
            "Market - Arrijal Rachman, CNBC Indonesia",
            "Fahmi Firdaus, Jurnalis",
            "ANDI ADAM | SAPTO YUNUS",
            "— Joko Widodo (@jokowi) June 3, 2024",
            "A post shared by kumparan (@kumparancom)",
            "Tribunnews.com/Jeprima",
        ] {
            assert!(is_chrome(line), "{line:?}");
        }
        for line in [
            "Iklan baru dipasang di jalan.",
            "Harga naik - kata pedagang.",
            "Tim detikcom - detikNews",
            "Menurut dia, wartawan",
            "| PROVINSI | JUMLAH |",
            "— kata dia.",
            "Kompas menulis berita",
        ] {
            assert!(!is_chrome(line), "{line:?}");
        }
    }

    #[test]
    fn label_case_follows_the_source() {
        assert_eq!(label_case("SUMBER", "Source"), "SOURCE");
        assert_eq!(label_case("sumber", "Source"), "source");
        assert_eq!(label_case("Baca Juga", "Read also"), "Read Also");
        assert_eq!(label_case("Baca juga", "Read also"), "Read also");
    }
}
