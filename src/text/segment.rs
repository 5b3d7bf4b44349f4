//! Rule-based sentence segmentation for Indonesian news text.
//!
//! [`split`] returns byte ranges into its input rather than strings, so a caller
//! can translate sentence by sentence and put the results back where the
//! sources were, keeping the whitespace between them.
//!
//! A boundary is a terminal mark (`.`, `?`, `!`, `…`, or a run such as `...` or
//! `?!`), then any closing quotes or brackets (they belong to the sentence), then
//! whitespace, then something that can open a sentence: an upper-case letter, a
//! digit, a currency sign, an opening quote or bracket that is not followed by
//! a lower-case word, or one of the few words that open a sentence in lower
//! case (`detikcom`, `kumparan`, `dr.`). That one rule already keeps decimals,
//! times, dates, URLs and e-mail addresses whole (no whitespace after their
//! dots) and keeps a lower-case attribution with its quote (`"Benarkah?" tanya
//! dia.`); a capitalised speech verb after a closing quote is an attribution
//! too (`"Mengapa?" Tanya Rudi.`).
//!
//! The rest is about periods before a capital that do not end a sentence, and
//! it rests on one observation: what may follow such a period is a name, and a
//! name is never a pronoun, a conjunction or a preposition. So each kind of
//! abbreviation gets the evidence it needs:
//! - words that only ever precede a name, number or place (`Jl.`, `Kab.`,
//!   `Kep.`, `Pol.`, `Inf.`, `No.`, `Rp.`, `yth.`) never end a sentence;
//! - words that close a clause (`dll.`, `dkk.`, `tsb.`, `Tbk.`, `Inc.`, months)
//!   end one before any capitalised word not in brackets (`Tbk. (ASII)` is a
//!   ticker);
//! - degrees, post-nominal titles, ranks and initials (`S.H.`, `M.Si.`, `Lc.`,
//!   `Pr.`, `Serka.`, `a.n.`, `C.`), which may be followed by a name (`Jl. M.H.
//!   Thamrin`, `B. J. Habibie`), end one only before a word from a closed list
//!   of sentence openers (`Ia`, `Namun`, `Menurut`, `Hal`, ...) or a long word
//!   in `-nya` (`Hasilnya`);
//! - list labels (`1.`, `b.`) do not end one at the start of a line or
//!   sentence, after a colon or a word that introduces a list (`antara lain
//!   1. KTP, 2. KK`), or when they follow the previous label of the sentence;
//! - an ellipsis alone in brackets (`[…]`) marks an omission, not an end.
//!
//! Closed lists rather than statistics keep the decisions explainable, fast and
//! free of a model. The state carried from one mark to the next is one list
//! label, so the work is linear in the input.
//!
//! What it deliberately does not do:
//! - split where there is no whitespace (`2020.Per 26 Maret` is one sentence):
//!   the ranges must be separated by whitespace, and such text is a scraping
//!   error that a rule cannot tell from a URL or a decimal;
//! - split where there is no terminal mark: a newline counts as a space, so a
//!   title or caption without a final period runs into what follows;
//! - keep a quotation whole: `"S1. S2," ujar Kim.` gives `"S1.` and
//!   `S2," ujar Kim.`, and pairing the quote marks is the caller's job;
//! - split after a degree or initial before a capitalised word that is not a
//!   sentence opener (`..., S.H. Hadir pula ...` is one sentence), since such a
//!   word cannot be told from the next name of a list (`Ahmad, S.H. Budi,
//!   M.Si. dan Citra`).

use std::ops::Range;

/// Byte ranges of the sentences in `text`, in order. Ranges never include
/// leading/trailing whitespace; the bytes between consecutive ranges (and before
/// the first / after the last) are whitespace only. Empty or whitespace-only text
/// gives no ranges. Newlines inside `text` are treated like spaces (callers may
/// pass a hard-wrapped paragraph joined or not).
pub fn split(text: &str) -> Vec<Range<usize>> {
    let mut sentences = Vec::new();
    let Some(mut start) = skip_whitespace(text, 0) else {
        return sentences;
    };
    // The last inline list label of the current sentence (`1` in `antara lain
    // 1. KTP, 2. KK`), so that the label after it continues the list.
    let mut label = None;
    let mut i = start;
    while let Some(c) = text[i..].chars().next() {
        if !is_terminal(c) {
            i += c.len_utf8();
            continue;
        }
        let mark_end = i + text[i..]
            .find(|c: char| !is_terminal(c) && !is_closer(c))
            .unwrap_or(text.len() - i);
        let Some(next) = skip_whitespace(text, mark_end) else {
            break;
        };
        let at = Mark {
            sentence_start: start,
            mark: i,
            mark_end,
            next,
        };
        if next > mark_end && ends_sentence(text, &at, &mut label) {
            sentences.push(start..mark_end);
            start = next;
            label = None;
        }
        i = next;
    }
    let end = start + text[start..].trim_end().len();
    sentences.push(start..end);
    sentences
}

/// A terminal mark run at `mark..mark_end` (closing quotes and brackets
/// included), followed by whitespace and then `next`, in the sentence that
/// began at `sentence_start`.
struct Mark {
    sentence_start: usize,
    mark: usize,
    mark_end: usize,
    next: usize,
}

/// Whether the mark `at` ends its sentence. `label` is the current sentence's
/// last inline list label; a label found here that does not end the sentence
/// replaces it.
fn ends_sentence(text: &str, at: &Mark, label: &mut Option<Label>) -> bool {
    let rest = &text[at.next..];
    if !can_open_sentence(rest) || is_elision(text, at) {
        return false;
    }
    let marks = &text[at.mark..at.mark_end];
    if marks.contains(is_closing_quote) && is_attribution(rest) {
        return false;
    }
    let mut chars = marks.chars();
    if chars.next() != Some('.') || chars.next().is_some_and(is_terminal) {
        // `?`, `!` and ellipses have no abbreviation to worry about.
        return true;
    }
    let token_start = text[..at.mark]
        .trim_end_matches(|c: char| !c.is_whitespace())
        .len();
    let token = &text[token_start..at.mark];
    let word = token.trim_start_matches(is_opener);
    if word.is_empty() || word.ends_with(is_closer) {
        return true;
    }
    match abbreviation(word, &text[..token_start]) {
        Some(Period::Never) => return false,
        Some(Period::BeforeCapital) => {
            return starts_capitalised(rest) && !rest.starts_with(['(', '[']);
        }
        Some(Period::BeforeStarter) => return starts_with_starter(rest),
        None => {}
    }
    if is_dotted_abbreviation(word) {
        return starts_with_starter(rest);
    }
    // Initials and list markers are written with a bare period: `B.` or `1.`
    // inside quotes or brackets is a quoted word, not a name or a list.
    if at.mark_end == at.mark + 1 {
        let mut chars = word.chars();
        let single = chars.next().filter(|_| chars.next().is_none());
        if single.is_some_and(char::is_uppercase) {
            return starts_with_starter(rest);
        }
        if let Some(this) = Label::parse(token) {
            let before = &text[..token_start];
            if token_start == at.sentence_start
                || starts_line(before)
                || introduces_list(before)
                || label.is_some_and(|last| this.follows(last))
            {
                *label = Some(this);
                return false;
            }
        }
    }
    true
}

/// How the period after an abbreviation behaves.
#[derive(Clone, Copy)]
enum Period {
    /// A name, number or place always follows, so the period never ends a
    /// sentence inside a text.
    Never,
    /// The word can close a clause, so the period ends the sentence when a
    /// capitalised word follows (not one in brackets: `Tbk. (ASII)` is a
    /// ticker), and only then.
    BeforeCapital,
    /// A name usually follows, but the word can close a clause too (a
    /// post-nominal title, a rank): the period ends the sentence only before a
    /// word from [`STARTERS`], which no name is.
    BeforeStarter,
}

/// Abbreviations, written as they appear in text without the final period.
/// An entry starting with a lower-case letter also matches its capitalised form
/// (`dll` matches `Dll.` opening a sentence); one starting with a capital
/// matches only itself, so that the vegetable in `membeli kol.` is not the rank
/// `Kol.` and the all-caps acronym `NO.` is not `No.`. An entry with a space is
/// matched against the word and the one before it. Degrees such as `S.H.`,
/// `M.Si.` and `S.Pd.` are not listed: [`is_dotted_abbreviation`] knows them by
/// their shape, and they behave like [`Period::BeforeStarter`].
const ABBREVIATIONS: &[(&str, Period)] = {
    use Period::{BeforeCapital, BeforeStarter, Never};
    &[
        // Titles and forms of address: a name follows.
        ("bp", Never),
        ("bpk", Never),
        ("sdr", Never),
        ("sdri", Never),
        ("yth", Never),
        ("Tn", Never),
        ("Ny", Never),
        ("Nn", Never),
        ("Mr", Never),
        ("Mrs", Never),
        ("Ms", Never),
        ("Dr", Never),
        ("dr", Never),
        ("drg", Never),
        ("Drs", Never),
        ("Dra", Never),
        ("Prof", Never),
        ("Ir", Never),
        ("Hj", Never),
        ("KH", Never),
        ("Ust", Never),
        ("Pdt", Never),
        ("St", Never),
        ("Moh", Never),
        ("Moch", Never),
        ("Muh", Never),
        ("Mhd", Never),
        ("Abd", Never),
        ("Jend", Never),
        ("Kol", Never),
        ("Letkol", Never),
        ("Kapt", Never),
        ("Pol", Never),
        ("Purn", Never),
        // Army corps after a rank: `Kolonel Inf. Budi`.
        ("Inf", Never),
        ("Arh", Never),
        ("Czi", Never),
        ("Cpm", Never),
        ("Pnb", Never),
        ("Chk", Never),
        // Ranks and post-nominal titles, usually written without a period, so
        // one after them may well end the sentence: `berpangkat Serka. Ia ...`,
        // `Romo Benny, Pr. Ia ...` but `Brigjen. Budi`, `Ustaz Adi, Lc. menyampaikan`.
        ("Brigjen", BeforeStarter),
        ("Irjen", BeforeStarter),
        ("Komjen", BeforeStarter),
        ("Kombes", BeforeStarter),
        ("Mayjen", BeforeStarter),
        ("Letjen", BeforeStarter),
        ("Kompol", BeforeStarter),
        ("Iptu", BeforeStarter),
        ("Ipda", BeforeStarter),
        ("Aiptu", BeforeStarter),
        ("Bripka", BeforeStarter),
        ("Briptu", BeforeStarter),
        ("Bripda", BeforeStarter),
        ("Serma", BeforeStarter),
        ("Serka", BeforeStarter),
        ("Sertu", BeforeStarter),
        ("Serda", BeforeStarter),
        ("Letda", BeforeStarter),
        ("Lettu", BeforeStarter),
        ("Pr", BeforeStarter),
        ("Lc", BeforeStarter),
        ("Apt", BeforeStarter),
        // Reference words: a number, a place or a company name follows.
        ("no", Never),
        ("jl", Never),
        ("jln", Never),
        ("Gg", Never),
        ("Kav", Never),
        ("Lt", Never),
        ("Kp", Never),
        ("Ds", Never),
        ("Dsn", Never),
        ("Komp", Never),
        ("Perum", Never),
        ("Kep", Never),
        ("kab", Never),
        ("kec", Never),
        ("kel", Never),
        ("prov", Never),
        ("rp", Never),
        ("PT", Never),
        ("CV", Never),
        ("vs", Never),
        ("hlm", Never),
        ("gbr", Never),
        ("Tel", Never),
        ("telp", Never),
        ("tgl", Never),
        ("pkl", Never),
        // Clause-closing words: lists, co-authors, company suffixes, months.
        ("dll", BeforeCapital),
        ("dsb", BeforeCapital),
        ("dst", BeforeCapital),
        ("tsb", BeforeCapital),
        ("dkk", BeforeCapital),
        ("etc", BeforeCapital),
        ("et al", BeforeCapital),
        ("Tbk", BeforeCapital),
        ("Jr", BeforeCapital),
        ("Sr", BeforeCapital),
        ("Inc", BeforeCapital),
        ("Ltd", BeforeCapital),
        ("Corp", BeforeCapital),
        ("Co", BeforeCapital),
        ("Jan", BeforeCapital),
        ("Feb", BeforeCapital),
        ("Mar", BeforeCapital),
        ("Apr", BeforeCapital),
        ("Jun", BeforeCapital),
        ("Jul", BeforeCapital),
        ("Agu", BeforeCapital),
        ("Agt", BeforeCapital),
        ("Ags", BeforeCapital),
        ("Aug", BeforeCapital),
        ("Sep", BeforeCapital),
        ("Sept", BeforeCapital),
        ("Okt", BeforeCapital),
        ("Oct", BeforeCapital),
        ("Nov", BeforeCapital),
        ("Des", BeforeCapital),
        ("Dec", BeforeCapital),
    ]
};

/// The behaviour of `word` as an abbreviation, given the text before it.
fn abbreviation(word: &str, before: &str) -> Option<Period> {
    // Every entry is a few ASCII letters; this keeps numbers and dotted forms
    // (`1.`, `S.H.`) from walking the whole table.
    if word.len() > 7 || !word.bytes().all(|b| b.is_ascii_alphabetic()) {
        return None;
    }
    ABBREVIATIONS.iter().find_map(|&(entry, period)| {
        let found = match entry.rsplit_once(' ') {
            Some((lead, last)) => {
                let before = before.trim_end();
                spelled_as(word, last)
                    && before.len() >= lead.len()
                    && before.is_char_boundary(before.len() - lead.len())
                    && spelled_as(&before[before.len() - lead.len()..], lead)
                    && !before[..before.len() - lead.len()].ends_with(|c: char| c.is_alphanumeric())
            }
            None => spelled_as(word, entry),
        };
        found.then_some(period)
    })
}

/// `word` is `entry`, or `entry` capitalised when it is listed in lower case.
fn spelled_as(word: &str, entry: &str) -> bool {
    let (w, e) = (word.as_bytes(), entry.as_bytes());
    w == e
        || (w.len() == e.len()
            && e[0].is_ascii_lowercase()
            && w[0] == e[0].to_ascii_uppercase()
            && w[1..] == e[1..])
}

/// Degrees and other abbreviations with inner periods: `S.H`, `M.Si`, `Ph.D`,
/// `S.Pd.I`, `S.Farm`, `B.J` (every part one to four letters, starting with a capital),
/// or `a.n`, `s.d`, `a.k.a` (every part a single lower-case letter). Domain
/// names like `x.com` or `detik.com` fit neither shape.
fn is_dotted_abbreviation(word: &str) -> bool {
    if !word.contains('.') {
        return false;
    }
    let capitalised = |p: &str| {
        (1..=4).contains(&p.len())
            && p.bytes().all(|b| b.is_ascii_alphabetic())
            && p.as_bytes()[0].is_ascii_uppercase()
    };
    let lower_letter = |p: &str| p.len() == 1 && p.as_bytes()[0].is_ascii_lowercase();
    word.split('.').all(capitalised) || word.split('.').all(lower_letter)
}

/// A list label: `1` to `999`, or a lower-case letter (upper-case ones are
/// initials).
#[derive(Clone, Copy)]
struct Label {
    letter: bool,
    value: u32,
}

impl Label {
    fn parse(word: &str) -> Option<Label> {
        let b = word.as_bytes();
        if (1..=3).contains(&b.len()) && b.iter().all(u8::is_ascii_digit) {
            let value = b.iter().fold(0, |n, d| n * 10 + u32::from(d - b'0'));
            Some(Label {
                letter: false,
                value,
            })
        } else if b.len() == 1 && b[0].is_ascii_lowercase() {
            Some(Label {
                letter: true,
                value: u32::from(b[0]),
            })
        } else {
            None
        }
    }

    /// Whether this label is the one after `last` (`2` after `1`, `c` after `b`).
    fn follows(self, last: Label) -> bool {
        self.letter == last.letter && self.value == last.value + 1
    }
}

/// Whether `before` ends with a word that introduces an inline list:
/// `antara lain 1. KTP, 2. KK` is one sentence.
fn introduces_list(before: &str) -> bool {
    const INTRODUCERS: &[&str] = &[
        "antara lain",
        "yaitu",
        "yakni",
        "ialah",
        "meliputi",
        "mencakup",
        "berupa",
        "berikut",
        "antaranya",
        "diantaranya",
        "misalnya",
        "contohnya",
    ];
    let before = before.trim_end();
    INTRODUCERS.iter().any(|w| {
        before.len() >= w.len()
            && before.is_char_boundary(before.len() - w.len())
            && before[before.len() - w.len()..].eq_ignore_ascii_case(w)
            && !before[..before.len() - w.len()].ends_with(|c: char| c.is_alphanumeric())
    })
}

/// Whether a word that follows `before` starts a line or a list introduced by a
/// colon.
fn starts_line(before: &str) -> bool {
    let trimmed = before.trim_end();
    trimmed.is_empty() || trimmed.ends_with(':') || before[trimmed.len()..].contains('\n')
}

/// Whether `rest` (after the whitespace that follows a terminal mark) can be
/// the start of a sentence.
fn can_open_sentence(rest: &str) -> bool {
    let word = rest.trim_start_matches(is_opener);
    let quoted = word.len() < rest.len();
    match word.chars().next() {
        Some(c) if c.is_lowercase() => {
            starts_capitalised(rest)
                || is_letter_label(word)
                || LOWER_CASE_STARTERS.contains(&first_word(word))
        }
        Some(c) if c.is_uppercase() || c.is_ascii_digit() => true,
        Some('$' | '£' | '€' | '¥') => true,
        _ => quoted,
    }
}

/// Whether `word` starts with a lettered list label such as `b.` or `b)`.
fn is_letter_label(word: &str) -> bool {
    let b = word.as_bytes();
    b.len() > 2
        && b[0].is_ascii_lowercase()
        && matches!(b[1], b'.' | b')')
        && b[2].is_ascii_whitespace()
}

/// Whether the word at the start of `rest` (after any opening quotes and
/// brackets) is capitalised. A word such as `iPhone`, `mRNA` or `e-KTP` counts:
/// it is written that way at the start of a sentence too.
fn starts_capitalised(rest: &str) -> bool {
    let word = rest.trim_start_matches(is_opener);
    let word = &word[..word.find(char::is_whitespace).unwrap_or(word.len())];
    match word.chars().next() {
        Some(c) if c.is_uppercase() => true,
        Some(c) if c.is_lowercase() => word.chars().any(char::is_uppercase),
        _ => false,
    }
}

/// Words that open a sentence in lower case: news outlets that write their
/// names so (`detikcom mencoba menghubungi ...`) and the title of a physician
/// (`dr. Reisa menjelaskan ...`).
const LOWER_CASE_STARTERS: &[&str] = &[
    "detikcom",
    "detiknews",
    "detikfinance",
    "detikinet",
    "detiksport",
    "detikhealth",
    "detiktravel",
    "detikoto",
    "kumparan",
    "tirto.id",
    "kompas.com",
    "tempo.co",
    "liputan6.com",
    "merdeka.com",
    "suara.com",
    "okezone",
    "tribunnews.com",
    "cnnindonesia.com",
    "antaranews.com",
    "katadata.co.id",
    "jpnn.com",
    "dr.",
    "drg.",
];

/// Capitalised words that open sentences and are never a name or part of
/// one: pronouns, conjunctions, prepositions and the like. After a degree,
/// rank or initial, which a name may follow (`Jl. M.H. Thamrin`), only such a
/// word shows that a sentence has ended (`..., S.E., M.M. Ia menambahkan`).
const STARTERS: &[&str] = &[
    "Ia",
    "Dia",
    "Mereka",
    "Kami",
    "Kita",
    "Saya",
    "Aku",
    "Anda",
    "Beliau",
    "Keduanya",
    "Hal",
    "Ini",
    "Itu",
    "Namun",
    "Tetapi",
    "Tapi",
    "Sementara",
    "Sedangkan",
    "Adapun",
    "Selain",
    "Menurut",
    "Dalam",
    "Pada",
    "Di",
    "Ke",
    "Dari",
    "Oleh",
    "Untuk",
    "Bagi",
    "Dengan",
    "Tanpa",
    "Saat",
    "Ketika",
    "Sejak",
    "Hingga",
    "Sampai",
    "Sebelum",
    "Sebelumnya",
    "Setelah",
    "Sesudah",
    "Kemudian",
    "Lalu",
    "Selanjutnya",
    "Karena",
    "Sebab",
    "Akibatnya",
    "Meski",
    "Meskipun",
    "Walaupun",
    "Jika",
    "Bila",
    "Apabila",
    "Kalau",
    "Agar",
    "Bahkan",
    "Padahal",
    "Tak",
    "Tidak",
    "Belum",
    "Sudah",
    "Kini",
    "Para",
    "Seluruh",
    "Semua",
    "Setiap",
    "Sejumlah",
    "Sebanyak",
    "Beberapa",
    "Banyak",
    "Ada",
    "Yang",
    "Sebagai",
    "Selama",
    "Terkait",
    "Soal",
    "Mengenai",
    "Apakah",
    "Bagaimana",
    "Mengapa",
    "Kenapa",
    "Siapa",
    "Kapan",
    "Turut",
];

/// Speech verbs that attribute a quotation (`"Benarkah?" tanya dia.`), also
/// with `-nya` (`ujarnya`). Capitalised after a closing quote they still do
/// (`"Mengapa?" Tanya Rudi.`, `"Siap." Kata dia.`); without the quote the
/// word more likely opens a sentence (`Ia pergi. Kata orang, ...`, `Kenapa?
/// Jelas karena hujan.`), so only quotations are checked.
const SPEECH_VERBS: &[&str] = &[
    "kata", "ujar", "tutur", "jelas", "tanya", "ucap", "ungkap", "terang", "imbuh", "tegas",
    "seru", "teriak", "jawab", "pungkas", "keluh", "sapa", "bisik", "jerit", "sahut", "timpal",
    "tandas", "papar", "pinta", "sambut", "pesan",
];

/// The word at the start of `text`, up to whitespace, without a trailing
/// comma, semicolon or colon.
fn first_word(text: &str) -> &str {
    let word = &text[..text.find(char::is_whitespace).unwrap_or(text.len())];
    word.trim_end_matches([',', ';', ':'])
}

/// Whether `rest` starts with a word from [`STARTERS`] or a capitalised word
/// of seven letters or more in `-nya` (`Hasilnya`, `Menurutnya`): a possessive
/// or adverb, where a name in `-nya` is short (`Anya`, `Sonya`).
fn starts_with_starter(rest: &str) -> bool {
    let word = first_word(rest);
    STARTERS.contains(&word)
        || (word.starts_with(|c: char| c.is_uppercase())
            && word.ends_with("nya")
            && word.chars().count() >= 7)
}

/// Whether `rest` starts with a capitalised speech verb.
fn is_attribution(rest: &str) -> bool {
    let word = first_word(rest);
    let bare = word.strip_suffix("nya");
    word.starts_with(|c: char| c.is_ascii_uppercase())
        && SPEECH_VERBS
            .iter()
            .any(|v| spelled_as(word, v) || bare.is_some_and(|b| spelled_as(b, v)))
}

/// Whether the mark is an ellipsis alone in brackets, `[…]` or `(...)`: words
/// left out of a quotation, not the end of a sentence.
fn is_elision(text: &str, at: &Mark) -> bool {
    let marks = &text[at.mark..at.mark_end];
    let dots = marks.trim_end_matches(is_closer);
    text[..at.mark].ends_with(['(', '['])
        && dots.chars().all(|c| matches!(c, '.' | '…'))
        && marks[dots.len()..].starts_with([')', ']'])
}

fn is_closing_quote(c: char) -> bool {
    is_closer(c) && !matches!(c, ')' | ']' | '}')
}

fn is_terminal(c: char) -> bool {
    matches!(c, '.' | '?' | '!' | '…')
}

fn is_closer(c: char) -> bool {
    matches!(c, '"' | '\'' | '”' | '’' | '»' | '›' | ')' | ']' | '}')
}

fn is_opener(c: char) -> bool {
    matches!(
        c,
        '"' | '\'' | '“' | '‘' | '„' | '‚' | '«' | '‹' | '(' | '[' | '{'
    )
}

/// The first non-whitespace byte offset at or after `from`.
fn skip_whitespace(text: &str, from: usize) -> Option<usize> {
    text[from..]
        .find(|c: char| !c.is_whitespace())
        .map(|k| from + k)
}

#[cfg(test)]
mod tests {
    use super::split;

    /// Inputs and the sentences a careful reader finds in them, grouped by rule.
    const CASES: &[(&str, &[&str])] = &[
        // Basics: trimming, whitespace, newlines, what can open a sentence.
        ("", &[]),
        ("   \n\t ", &[]),
        ("Halo.", &["Halo."]),
        ("  Halo.  \n", &["Halo."]),
        ("Tanpa tanda baca di akhir", &["Tanpa tanda baca di akhir"]),
        ("Ia datang. Ia pergi.", &["Ia datang.", "Ia pergi."]),
        ("Ia datang.  Ia pergi.", &["Ia datang.", "Ia pergi."]),
        ("Ia datang.\nIa pergi.", &["Ia datang.", "Ia pergi."]),
        ("\nIa datang.\n\n\nIa pergi.\n", &["Ia datang.", "Ia pergi."]),
        ("Ia datang.\u{a0}Ia pergi.", &["Ia datang.", "Ia pergi."]),
        ("Ia datang\nke kantor. Lalu pulang.", &["Ia datang\nke kantor.", "Lalu pulang."]),
        ("Banjir Melanda Jakarta\nWarga mengungsi.", &["Banjir Melanda Jakarta\nWarga mengungsi."]),
        ("Ia datang. ia pergi.", &["Ia datang. ia pergi."]),
        ("Apa kabar? Baik!", &["Apa kabar?", "Baik!"]),
        ("Awas! Ada lubang besar di sana.", &["Awas!", "Ada lubang besar di sana."]),
        ("Sungguh?! Tidak mungkin.", &["Sungguh?!", "Tidak mungkin."]),
        ("Ia menang. 3 orang lainnya kalah.", &["Ia menang.", "3 orang lainnya kalah."]),
        ("Dana itu lenyap. $100 juta tak kembali.", &["Dana itu lenyap.", "$100 juta tak kembali."]),
        ("Ateş Kara hadir. Ölçüm baru dimulai.", &["Ateş Kara hadir.", "Ölçüm baru dimulai."]),
        ("Dia pura-pura. Itulah. Itulah mengapa.", &["Dia pura-pura.", "Itulah.", "Itulah mengapa."]),
        ("Saya tidak ingin hadiah. Saya ingin masa depan", &["Saya tidak ingin hadiah.", "Saya ingin masa depan"]),
        // No whitespace after the mark, no boundary.
        ("Kasus naik pada 20 Januari 2020.Per 26 Maret, angkanya turun.", &["Kasus naik pada 20 Januari 2020.Per 26 Maret, angkanya turun."]),
        // Titles and degrees: a name follows.
        ("Bpk. Joko hadir.", &["Bpk. Joko hadir."]),
        ("Kami bertemu Bpk. Joko Widodo. Beliau ramah.", &["Kami bertemu Bpk. Joko Widodo.", "Beliau ramah."]),
        ("Surat untuk Bp. Ahmad sudah dikirim.", &["Surat untuk Bp. Ahmad sudah dikirim."]),
        ("Menurut Dr. Tom Frieden, pandemi ini belum pernah terjadi.", &["Menurut Dr. Tom Frieden, pandemi ini belum pernah terjadi."]),
        ("Korban dirawat oleh dr. Rina. Kondisinya membaik.", &["Korban dirawat oleh dr. Rina.", "Kondisinya membaik."]),
        ("Pidato Prof. Salim dimulai pukul sembilan.", &["Pidato Prof. Salim dimulai pukul sembilan."]),
        ("Menurut Prof. Dr. Ir. H. Ahmad Fauzi, M.Si., inflasi turun.", &["Menurut Prof. Dr. Ir. H. Ahmad Fauzi, M.Si., inflasi turun."]),
        ("Jemaah dipimpin H. Ahmad dan Hj. Siti Fatimah.", &["Jemaah dipimpin H. Ahmad dan Hj. Siti Fatimah."]),
        ("Drs. Bambang Sutejo, M.M. menjadi pembicara.", &["Drs. Bambang Sutejo, M.M. menjadi pembicara."]),
        ("Dekan, Dr. Budi, S.H., M.H., membuka acara.", &["Dekan, Dr. Budi, S.H., M.H., membuka acara."]),
        ("Narasumber: Ahmad, S.H. Budi, M.Si. dan Citra, S.E.", &["Narasumber: Ahmad, S.H. Budi, M.Si. dan Citra, S.E."]),
        ("Guru itu, Sri Wahyuni, S.Pd. mengajar di Bogor.", &["Guru itu, Sri Wahyuni, S.Pd. mengajar di Bogor."]),
        ("Ia meraih gelar Ph.D. dari MIT.", &["Ia meraih gelar Ph.D. dari MIT."]),
        ("Sdr. Andi diminta hadir. Ia datang.", &["Sdr. Andi diminta hadir.", "Ia datang."]),
        ("Kepada Yth. Bapak Gubernur Jawa Timur.", &["Kepada Yth. Bapak Gubernur Jawa Timur."]),
        ("Tn. White memberikan beberapa komentar.", &["Tn. White memberikan beberapa komentar."]),
        ("Bolehkah aku berbicara dengan Tn. Sato?", &["Bolehkah aku berbicara dengan Tn. Sato?"]),
        ("Ny. Meneer terkenal karena jamunya.", &["Ny. Meneer terkenal karena jamunya."]),
        ("Acara dihadiri Mr. John Smith dari Inggris.", &["Acara dihadiri Mr. John Smith dari Inggris."]),
        ("Tausiah diberikan KH. Ma'ruf Amin.", &["Tausiah diberikan KH. Ma'ruf Amin."]),
        ("Moh. Hatta adalah wakil presiden pertama.", &["Moh. Hatta adalah wakil presiden pertama."]),
        ("Jenderal TNI (Purn.) Luhut hadir.", &["Jenderal TNI (Purn.) Luhut hadir."]),
        ("Lokasi ditinjau Kapolda Irjen Pol. Ahmad Luthfi.", &["Lokasi ditinjau Kapolda Irjen Pol. Ahmad Luthfi."]),
        ("Skornya, kata Kol. Budi, belum pasti.", &["Skornya, kata Kol. Budi, belum pasti."]),
        ("Ia membeli kol. Harganya naik.", &["Ia membeli kol.", "Harganya naik."]),
        ("Ia tinggal di St. Louis. Kota itu besar.", &["Ia tinggal di St. Louis.", "Kota itu besar."]),
        ("Kasus itu diperiksa BPK. Hasilnya diumumkan.", &["Kasus itu diperiksa BPK.", "Hasilnya diumumkan."]),
        ("Ia bekerja di PT. Pertamina (Persero).", &["Ia bekerja di PT. Pertamina (Persero)."]),
        ("Rapat selesai. Dr. Budi pulang.", &["Rapat selesai.", "Dr. Budi pulang."]),
        // dll., dsb., dst., tsb., dkk., et al., months, company suffixes: a
        // boundary only before a capitalised word.
        ("Ia membeli buku, pena, dll. Kemudian ia pulang.", &["Ia membeli buku, pena, dll.", "Kemudian ia pulang."]),
        ("Ia membeli buku, pena, dll. dan pulang.", &["Ia membeli buku, pena, dll. dan pulang."]),
        ("Ia membeli beras, gula, dll.", &["Ia membeli beras, gula, dll."]),
        ("Sayur, buah, dsb. Semua tersedia.", &["Sayur, buah, dsb.", "Semua tersedia."]),
        ("Sayur, buah, dsb. tersedia di sana.", &["Sayur, buah, dsb. tersedia di sana."]),
        ("Langkah pertama, kedua, dst. diulang.", &["Langkah pertama, kedua, dst. diulang."]),
        ("Ia membaca, menulis, dst. Ia tak pernah bosan.", &["Ia membaca, menulis, dst.", "Ia tak pernah bosan."]),
        ("Rumah tsb. dijual murah.", &["Rumah tsb. dijual murah."]),
        ("Ia membeli rumah tsb. Harganya mahal.", &["Ia membeli rumah tsb.", "Harganya mahal."]),
        ("Studi oleh Hasan dkk. menunjukkan hasil baru.", &["Studi oleh Hasan dkk. menunjukkan hasil baru."]),
        ("Studi dilakukan Hasan dkk. Hasilnya dimuat di jurnal.", &["Studi dilakukan Hasan dkk.", "Hasilnya dimuat di jurnal."]),
        ("Spiteri et al. melaporkan kasus pertama.", &["Spiteri et al. melaporkan kasus pertama."]),
        ("Zhou, et al. melaporkan struktur cryo-EM.", &["Zhou, et al. melaporkan struktur cryo-EM."]),
        ("Studi dilakukan Zhou et al. Mereka meneliti ACE2.", &["Studi dilakukan Zhou et al.", "Mereka meneliti ACE2."]),
        ("Ponsel, dompet, dll. (lihat foto) disita.", &["Ponsel, dompet, dll. (lihat foto) disita."]),
        ("Ia membeli alat tulis, dll. \"Semua untuk sekolah,\" katanya.", &["Ia membeli alat tulis, dll.", "\"Semua untuk sekolah,\" katanya."]),
        ("Kasus naik sebelum 23 Jan. 2020, sesuai data.", &["Kasus naik sebelum 23 Jan. 2020, sesuai data."]),
        ("Data dikumpulkan hingga Des. Tahun depan diperbarui.", &["Data dikumpulkan hingga Des.", "Tahun depan diperbarui."]),
        ("Ia bekerja di Apple Inc. Perusahaan itu besar.", &["Ia bekerja di Apple Inc.", "Perusahaan itu besar."]),
        ("Martin Luther King Jr. memimpin gerakan itu.", &["Martin Luther King Jr. memimpin gerakan itu."]),
        // No., Jl., Kab., Rp., Tbk., vs., hlm.: what follows is protected.
        ("Kantor di Jl. Merdeka No. 12, Jakarta.", &["Kantor di Jl. Merdeka No. 12, Jakarta."]),
        ("Ia tinggal di Jl. Sudirman. Rumahnya besar.", &["Ia tinggal di Jl. Sudirman.", "Rumahnya besar."]),
        ("Ia tinggal di jln. Kenanga.", &["Ia tinggal di jln. Kenanga."]),
        ("Ia dari Kab. Bogor, Kec. Ciawi, Kel. Bendungan.", &["Ia dari Kab. Bogor, Kec. Ciawi, Kel. Bendungan."]),
        ("Prov. Jawa Barat menolak usulan itu.", &["Prov. Jawa Barat menolak usulan itu."]),
        ("Harganya Rp. 5.000 per buah.", &["Harganya Rp. 5.000 per buah."]),
        ("Saham PT Astra International Tbk. (ASII) naik.", &["Saham PT Astra International Tbk. (ASII) naik."]),
        ("Persija vs. Persib berakhir imbang.", &["Persija vs. Persib berakhir imbang."]),
        ("Lihat hlm. 45 untuk rinciannya.", &["Lihat hlm. 45 untuk rinciannya."]),
        ("Hlm. 5 memuat data itu.", &["Hlm. 5 memuat data itu."]),
        ("Ia mengenakan kaus no. 10 di tim itu.", &["Ia mengenakan kaus no. 10 di tim itu."]),
        ("No. 7 adalah nomor favoritnya.", &["No. 7 adalah nomor favoritnya."]),
        ("Seperti terlihat di Gbr. 1.1, klaster muncul.", &["Seperti terlihat di Gbr. 1.1, klaster muncul."]),
        ("Hubungi Telp. 021-555 untuk info.", &["Hubungi Telp. 021-555 untuk info."]),
        ("Acara dimulai pkl. 09.00 WIB.", &["Acara dimulai pkl. 09.00 WIB."]),
        ("Lokasinya di Jl. Jend. Sudirman Kav. 52, Jakarta.", &["Lokasinya di Jl. Jend. Sudirman Kav. 52, Jakarta."]),
        // Single initials.
        ("Presiden B. J. Habibie lahir di Parepare.", &["Presiden B. J. Habibie lahir di Parepare."]),
        ("Susilo B. Yudhoyono menjabat dua periode.", &["Susilo B. Yudhoyono menjabat dua periode."]),
        ("W. R. Supratman menciptakan lagu itu.", &["W. R. Supratman menciptakan lagu itu."]),
        ("Tersangka berinisial A. S. ditangkap.", &["Tersangka berinisial A. S. ditangkap."]),
        ("Ia lahir di Parepare. B. J. Habibie lalu kuliah di Jerman.", &["Ia lahir di Parepare.", "B. J. Habibie lalu kuliah di Jerman."]),
        ("Jawabannya \"B.\" Semua setuju.", &["Jawabannya \"B.\"", "Semua setuju."]),
        // Dotted abbreviations.
        ("B.J. Habibie lahir pada 1936.", &["B.J. Habibie lahir pada 1936."]),
        ("Surat a.n. Kepala Dinas dikirim.", &["Surat a.n. Kepala Dinas dikirim."]),
        ("Libur tanggal 1 s.d. 5 Mei.", &["Libur tanggal 1 s.d. 5 Mei."]),
        ("Ditulis oleh Budi a.k.a. Si Kancil.", &["Ditulis oleh Budi a.k.a. Si Kancil."]),
        ("Lulusan U.S. Army itu tiba.", &["Lulusan U.S. Army itu tiba."]),
        // Decimal commas, thousands dots, times, dates, versions.
        ("Suku bunga naik menjadi 2,75%. Pasar bereaksi.", &["Suku bunga naik menjadi 2,75%.", "Pasar bereaksi."]),
        ("Harganya Rp15.720 per dolar AS.", &["Harganya Rp15.720 per dolar AS."]),
        ("Sebanyak 50.000 orang hadir.", &["Sebanyak 50.000 orang hadir."]),
        ("Acara dimulai pukul 19.30. Tamu berdatangan.", &["Acara dimulai pukul 19.30.", "Tamu berdatangan."]),
        ("Tenggatnya 27.11.2026. Jangan terlambat.", &["Tenggatnya 27.11.2026.", "Jangan terlambat."]),
        ("Ia lahir pada 17.08.1945 di Jakarta.", &["Ia lahir pada 17.08.1945 di Jakarta."]),
        ("Kasus mencapai 1.234.567 orang. Angka itu naik.", &["Kasus mencapai 1.234.567 orang.", "Angka itu naik."]),
        ("Kode U07.1 dipakai. Kode U07.2 juga.", &["Kode U07.1 dipakai.", "Kode U07.2 juga."]),
        ("Versi 2.0.1 dirilis hari ini.", &["Versi 2.0.1 dirilis hari ini."]),
        ("Ia lahir tahun 1945. Kemudian Indonesia merdeka.", &["Ia lahir tahun 1945.", "Kemudian Indonesia merdeka."]),
        ("Inflasi 2,5%. 3 bank menaikkan bunga.", &["Inflasi 2,5%.", "3 bank menaikkan bunga."]),
        ("Data diperbarui pukul 8.00. Jumlah ini resmi.", &["Data diperbarui pukul 8.00.", "Jumlah ini resmi."]),
        ("Kerugian Rp1,5 triliun. Polisi masih menghitung.", &["Kerugian Rp1,5 triliun.", "Polisi masih menghitung."]),
        ("Umurnya 16. Kamu berapa?", &["Umurnya 16.", "Kamu berapa?"]),
        // Ellipses: a boundary before a capital only.
        ("Ia menunggu... lalu pergi.", &["Ia menunggu... lalu pergi."]),
        ("Ia menunggu... Lalu pergi.", &["Ia menunggu...", "Lalu pergi."]),
        ("Ia terdiam… kemudian tersenyum.", &["Ia terdiam… kemudian tersenyum."]),
        ("Ia terdiam… Kemudian tersenyum.", &["Ia terdiam…", "Kemudian tersenyum."]),
        ("Maaf...", &["Maaf..."]),
        ("Keabadian itu ada. Keabadian itu ada disini...", &["Keabadian itu ada.", "Keabadian itu ada disini..."]),
        ("\"Ah tidak, maksudku... begini.\" Ia diam.", &["\"Ah tidak, maksudku... begini.\"", "Ia diam."]),
        ("Dan kemudian.... Semua hilang.", &["Dan kemudian....", "Semua hilang."]),
        ("Ia pergi . . . dan tak kembali.", &["Ia pergi . . . dan tak kembali."]),
        ("“…” Ia tak menjawab.", &["“…”", "Ia tak menjawab."]),
        // `?` and `!` before a lower-case attribution.
        ("\"Benarkah?\" tanya dia.", &["\"Benarkah?\" tanya dia."]),
        ("“Benarkah?” tanya dia.", &["“Benarkah?” tanya dia."]),
        ("\"Ayo!\" seru Budi.", &["\"Ayo!\" seru Budi."]),
        ("\"Ayo!\" seru Budi. Mereka berangkat.", &["\"Ayo!\" seru Budi.", "Mereka berangkat."]),
        ("Benarkah? tanya dia dalam hati.", &["Benarkah? tanya dia dalam hati."]),
        ("Wah, hebat sekali! kata seorang penonton.", &["Wah, hebat sekali! kata seorang penonton."]),
        ("\"Benarkah?!\" teriaknya.", &["\"Benarkah?!\" teriaknya."]),
        ("Dia menulis buku \"Mengapa Kita Gagal?\" yang laris.", &["Dia menulis buku \"Mengapa Kita Gagal?\" yang laris."]),
        ("\"Sungguh?\" Ia tak percaya.", &["\"Sungguh?\"", "Ia tak percaya."]),
        ("Mengapa? Karena hujan.", &["Mengapa?", "Karena hujan."]),
        ("\"Kapan?\" \"Besok.\"", &["\"Kapan?\"", "\"Besok.\""]),
        ("\"Umur?\" \"16.\"", &["\"Umur?\"", "\"16.\""]),
        // Closing quotes and brackets after the mark belong to the sentence.
        ("Ia berkata, \"Kita menang.\" Semua bersorak.", &["Ia berkata, \"Kita menang.\"", "Semua bersorak."]),
        ("Hal itu penting bagi kawasan.\" Ia menambahkan.", &["Hal itu penting bagi kawasan.\"", "Ia menambahkan."]),
        ("Ia berkata “Ya.” Lalu pergi.", &["Ia berkata “Ya.”", "Lalu pergi."]),
        ("Ia berkata ‘ya.’ Lalu pergi.", &["Ia berkata ‘ya.’", "Lalu pergi."]),
        ("Ia berkata «Ya.» Lalu pergi.", &["Ia berkata «Ya.»", "Lalu pergi."]),
        ("Dia bilang 'cukup.' Semua diam.", &["Dia bilang 'cukup.'", "Semua diam."]),
        ("“Ya.” “Tidak.”", &["“Ya.”", "“Tidak.”"]),
        ("Ia tiba kemarin (sumber: AP). Lalu pergi.", &["Ia tiba kemarin (sumber: AP).", "Lalu pergi."]),
        ("Data ada di bawah ini (Gbr. 5). Gambar itu jelas.", &["Data ada di bawah ini (Gbr. 5).", "Gambar itu jelas."]),
        ("(Ini catatan.) Lalu lanjut.", &["(Ini catatan.)", "Lalu lanjut."]),
        ("[Ini catatan.] Lalu lanjut.", &["[Ini catatan.]", "Lalu lanjut."]),
        ("Ia tiba kemarin. (Sumber: AP)", &["Ia tiba kemarin.", "(Sumber: AP)"]),
        ("Ia tiba kemarin. (sumber: AP)", &["Ia tiba kemarin. (sumber: AP)"]),
        ("Ia berkata. \"Ayo pergi.\"", &["Ia berkata.", "\"Ayo pergi.\""]),
        ("Ia menulis: \"Kami siap.\" ", &["Ia menulis: \"Kami siap.\""]),
        // A quotation of two sentences is split inside the quote marks.
        ("\"S1. S2,\" ujar Bapak Kim.", &["\"S1.", "S2,\" ujar Bapak Kim."]),
        ("\"Kami siap. Kami menunggu,\" kata dia.", &["\"Kami siap.", "Kami menunggu,\" kata dia."]),
        // URLs, domain names and e-mail addresses.
        ("Lihat https://x.com/a.b?c=d untuk detail.", &["Lihat https://x.com/a.b?c=d untuk detail."]),
        ("Lihat https://x.com/a.b?c=d. Situs itu resmi.", &["Lihat https://x.com/a.b?c=d.", "Situs itu resmi."]),
        ("Lihat http://contoh.id/?q=Apa!Ini untuk detail.", &["Lihat http://contoh.id/?q=Apa!Ini untuk detail."]),
        ("Kunjungi www.kompas.com untuk berita.", &["Kunjungi www.kompas.com untuk berita."]),
        ("Berita dimuat di www.kompas.com. Redaksi mengonfirmasi.", &["Berita dimuat di www.kompas.com.", "Redaksi mengonfirmasi."]),
        ("Berita dimuat di detik.com. Redaksi mengonfirmasi.", &["Berita dimuat di detik.com.", "Redaksi mengonfirmasi."]),
        ("Kirim ke humas@jakarta.go.id. Tim akan menjawab.", &["Kirim ke humas@jakarta.go.id.", "Tim akan menjawab."]),
        ("Kirim ke budi.santoso@mail.ui.ac.id sekarang.", &["Kirim ke budi.santoso@mail.ui.ac.id sekarang."]),
        // Degrees and post-nominal titles end a sentence only before a word that
        // no name is (a pronoun, a conjunction, a word in -nya).
        ("Hal itu dikatakan Budi Santoso, S.E., M.M. Ia menambahkan data.", &["Hal itu dikatakan Budi Santoso, S.E., M.M.", "Ia menambahkan data."]),
        ("Rapat dipimpin Rina, M.Si. Namun, tak semua hadir.", &["Rapat dipimpin Rina, M.Si.", "Namun, tak semua hadir."]),
        ("Ia lulus sebagai S.Farm. Kini ia bekerja di apotek.", &["Ia lulus sebagai S.Farm.", "Kini ia bekerja di apotek."]),
        ("Materi dibawakan Joko, S.Kom. Menurutnya, data itu aman.", &["Materi dibawakan Joko, S.Kom.", "Menurutnya, data itu aman."]),
        ("Sidang dipimpin Hakim Eko, S.H. Hasilnya, terdakwa bebas.", &["Sidang dipimpin Hakim Eko, S.H.", "Hasilnya, terdakwa bebas."]),
        ("Ani Lestari, M.Si. dari IPB menjadi pembicara.", &["Ani Lestari, M.Si. dari IPB menjadi pembicara."]),
        ("Dedi, S.Sos. sebagai ketua membuka acara.", &["Dedi, S.Sos. sebagai ketua membuka acara."]),
        ("Macet terjadi di Jl. M.H. Thamrin. Polisi mengatur arus.", &["Macet terjadi di Jl. M.H. Thamrin.", "Polisi mengatur arus."]),
        ("Kantornya di Jl. K.H. Agus Salim No. 4, Bekasi.", &["Kantornya di Jl. K.H. Agus Salim No. 4, Bekasi."]),
        ("Penceramahnya Ustaz Hasan, Lc. Ia lulusan Al-Azhar.", &["Penceramahnya Ustaz Hasan, Lc.", "Ia lulusan Al-Azhar."]),
        ("Ustaz Hasan, Lc., M.A. memberi tausiah.", &["Ustaz Hasan, Lc., M.A. memberi tausiah."]),
        ("Misa dipimpin Romo Agus, Pr. Setelah itu umat pulang.", &["Misa dipimpin Romo Agus, Pr.", "Setelah itu umat pulang."]),
        ("Romo Agus, Pr. memimpin misa.", &["Romo Agus, Pr. memimpin misa."]),
        ("Obat diracik Nita, S.Farm., Apt. Ia bertugas malam.", &["Obat diracik Nita, S.Farm., Apt.", "Ia bertugas malam."]),
        // Initials likewise: `vitamin C.` can end a sentence.
        ("Pasien diberi vitamin C. Setelah itu ia membaik.", &["Pasien diberi vitamin C.", "Setelah itu ia membaik."]),
        ("Pelakunya berinisial A. Ia ditangkap kemarin.", &["Pelakunya berinisial A.", "Ia ditangkap kemarin."]),
        ("Soekarno dan Moh. Hatta A. Rahman hadir.", &["Soekarno dan Moh. Hatta A. Rahman hadir."]),
        // Letter abbreviations: clause-closing ones end before a capital, but not
        // before a bracketed ticker; address words never end.
        ("Emiten itu adalah PT Maju Jaya Tbk. Perseroan merugi.", &["Emiten itu adalah PT Maju Jaya Tbk.", "Perseroan merugi."]),
        ("Saham PT Maju Jaya Tbk. (MAJU) turun.", &["Saham PT Maju Jaya Tbk. (MAJU) turun."]),
        ("Laba PT Maju Jaya Tbk. naik 5%.", &["Laba PT Maju Jaya Tbk. naik 5%."]),
        ("Surat dikirim kepada yth. Bapak Camat.", &["Surat dikirim kepada yth. Bapak Camat."]),
        ("Transfer ke rekening a.n. Budi Hartono.", &["Transfer ke rekening a.n. Budi Hartono."]),
        ("Kantor buka Senin s.d. Sabtu.", &["Kantor buka Senin s.d. Sabtu."]),
        ("Kirim berkas u.p. Kepala Bagian Umum.", &["Kirim berkas u.p. Kepala Bagian Umum."]),
        ("Data diolah Arif dkk. Mereka memakai citra satelit.", &["Data diolah Arif dkk.", "Mereka memakai citra satelit."]),
        ("Studi Arif dkk. (2020) dikutip luas.", &["Studi Arif dkk. (2020) dikutip luas."]),
        // Places, offices, ranks and corps before a name.
        ("Ia lahir di Kep. Seribu, Jakarta.", &["Ia lahir di Kep. Seribu, Jakarta."]),
        ("Gubernur Kep. Bangka Belitung hadir.", &["Gubernur Kep. Bangka Belitung hadir."]),
        ("Warga Kab. Garut dan Kec. Cisurupan terdampak.", &["Warga Kab. Garut dan Kec. Cisurupan terdampak."]),
        ("Rumahnya di Kel. Menteng, Kec. Menteng.", &["Rumahnya di Kel. Menteng, Kec. Menteng."]),
        ("Ia tinggal di Komp. Griya Asri, Perum. Bumi Indah.", &["Ia tinggal di Komp. Griya Asri, Perum. Bumi Indah."]),
        ("Hadir Brigjen Pol. Rudi Setiawan dan Kombes Pol. Ahmad.", &["Hadir Brigjen Pol. Rudi Setiawan dan Kombes Pol. Ahmad."]),
        ("Upacara dipimpin Kolonel Inf. Dedi Kusnadi.", &["Upacara dipimpin Kolonel Inf. Dedi Kusnadi."]),
        ("Ia berpangkat Serka. Ia bertugas di Kodim.", &["Ia berpangkat Serka.", "Ia bertugas di Kodim."]),
        ("Penghargaan diberikan kepada Brigjen. Budi Hartono.", &["Penghargaan diberikan kepada Brigjen. Budi Hartono."]),
        // Sentences that start in lower case: outlets and the physician's title.
        ("Polisi belum berkomentar. detikcom sudah menghubungi Kapolres.", &["Polisi belum berkomentar.", "detikcom sudah menghubungi Kapolres."]),
        ("Pesan itu belum dibalas. kumparan, Senin, mencoba lagi.", &["Pesan itu belum dibalas.", "kumparan, Senin, mencoba lagi."]),
        ("Pasien sudah pulang. dr. Irma menyebut kondisinya baik.", &["Pasien sudah pulang.", "dr. Irma menyebut kondisinya baik."]),
        ("Kasus itu viral. tirto.id menelusuri asal videonya.", &["Kasus itu viral.", "tirto.id menelusuri asal videonya."]),
        ("Waktunya tinggal 30 detik. detik-detik itu menegangkan.", &["Waktunya tinggal 30 detik. detik-detik itu menegangkan."]),
        // A capitalised speech verb after `?`, `!` or a closing quote attributes
        // the quotation; other capitalised words start a sentence.
        ("\"Mengapa?\" Tanya Rudi kepada petugas.", &["\"Mengapa?\" Tanya Rudi kepada petugas."]),
        ("\"Awas!\" Teriak petugas.", &["\"Awas!\" Teriak petugas."]),
        ("\"Tidak ada jalan lain?\" Tanyanya lirih.", &["\"Tidak ada jalan lain?\" Tanyanya lirih."]),
        ("\"Kami siap.\" Kata komandan itu.", &["\"Kami siap.\" Kata komandan itu."]),
        ("“Hebat!” Ujar Sinta.", &["“Hebat!” Ujar Sinta."]),
        ("\"Siapa?\" Ia menoleh.", &["\"Siapa?\"", "Ia menoleh."]),
        ("\"Cepat!\" Semua berlari.", &["\"Cepat!\"", "Semua berlari."]),
        ("Ia pindah. Kata tetangganya, ia ke Medan.", &["Ia pindah.", "Kata tetangganya, ia ke Medan."]),
        ("Kenapa? Jelas karena hujan.", &["Kenapa?", "Jelas karena hujan."]),
        // An ellipsis in brackets leaves words out of a quotation.
        ("\"Kami sudah bekerja […] Pemerintah akan membantu,\" ujarnya.", &["\"Kami sudah bekerja […] Pemerintah akan membantu,\" ujarnya."]),
        ("Ia berkata (...) Semua harus siap.", &["Ia berkata (...) Semua harus siap."]),
        ("Ia menunggu lama… Akhirnya bus datang.", &["Ia menunggu lama…", "Akhirnya bus datang."]),
        ("\"Saya tidak tahu…\" Ia menunduk.", &["\"Saya tidak tahu…\"", "Ia menunduk."]),
        ("\"Saya tidak tahu…\" ujarnya.", &["\"Saya tidak tahu…\" ujarnya."]),
        // Inline enumerations: after a word that introduces a list, and each
        // label after the one before it.
        ("Syaratnya antara lain 1. KTP, 2. KK, dan 3. NPWP.", &["Syaratnya antara lain 1. KTP, 2. KK, dan 3. NPWP."]),
        ("Syaratnya yaitu 1. KTP 2. KK 3. NPWP.", &["Syaratnya yaitu 1. KTP 2. KK 3. NPWP."]),
        ("Ada dua tuntutan, yakni 1. Turunkan harga. 2. Buka lapangan kerja.", &["Ada dua tuntutan, yakni 1. Turunkan harga.", "2. Buka lapangan kerja."]),
        ("Kategorinya meliputi a. Puisi, b. Cerpen, c. Esai.", &["Kategorinya meliputi a. Puisi, b. Cerpen, c. Esai."]),
        ("Tim itu juara 1. 2 tim lain gagal.", &["Tim itu juara 1.", "2 tim lain gagal."]),
        ("Skor akhir 2-1. 3 gol tercipta.", &["Skor akhir 2-1.", "3 gol tercipta."]),
        // Numbered items at the start of a line, a sentence or a colon list.
        ("1. Pertama, siapkan dokumen.", &["1. Pertama, siapkan dokumen."]),
        ("12. Kedua belas.", &["12. Kedua belas."]),
        ("Langkahnya:\n1. Cuci tangan.\n2. Keringkan.", &["Langkahnya:\n1. Cuci tangan.", "2. Keringkan."]),
        ("Syaratnya: 1. WNI. 2. Berusia 17 tahun.", &["Syaratnya: 1. WNI.", "2. Berusia 17 tahun."]),
        ("Pertama. 2. Kedua.", &["Pertama.", "2. Kedua."]),
        ("a. Pendaftaran dibuka.\nb. Seleksi dimulai.", &["a. Pendaftaran dibuka.", "b. Seleksi dimulai."]),
        ("Ia juara 1. Kemudian ia pensiun.", &["Ia juara 1.", "Kemudian ia pensiun."]),
        ("\"16.\" Ia menjawab.", &["\"16.\"", "Ia menjawab."]),
        // All-caps words end sentences like any other word.
        ("Ia tinggal di AS. Kemudian pindah.", &["Ia tinggal di AS.", "Kemudian pindah."]),
        ("Delegasi itu dari RI. Mereka tiba pagi.", &["Delegasi itu dari RI.", "Mereka tiba pagi."]),
        ("Sidang digelar di PBB. Semua hadir.", &["Sidang digelar di PBB.", "Semua hadir."]),
        ("Ia bekerja di KPK. Lalu pindah ke DPR.", &["Ia bekerja di KPK.", "Lalu pindah ke DPR."]),
        ("Itu terjadi setelah Perang Dunia II. Setelah itu damai.", &["Itu terjadi setelah Perang Dunia II.", "Setelah itu damai."]),
        ("Ia membeli ponsel di AS. iPhone itu mahal.", &["Ia membeli ponsel di AS.", "iPhone itu mahal."]),
        ("Vaksin dibuat. mRNA adalah kuncinya.", &["Vaksin dibuat.", "mRNA adalah kuncinya."]),
        ("Layanan baru dimulai. e-KTP kini berlaku.", &["Layanan baru dimulai.", "e-KTP kini berlaku."]),
        // Captions and credits after a sentence.
        ("Petugas memadamkan api, Kamis (25/4). Foto: ANTARA/Hafidz", &["Petugas memadamkan api, Kamis (25/4).", "Foto: ANTARA/Hafidz"]),
        ("Banjir merendam 200 rumah. (ant)", &["Banjir merendam 200 rumah. (ant)"]),
        // Every line of shared/examples/news-kcna.id.txt.
    (
        "\"Persahabatan antara tentara dan rakyat kedua negara telah terjalin dan berkembang pesat selama perjuangan berdarah melawan musuh bersama. Hal ini merupakan kekuatan pendorong yang kuat untuk mendorong perkembangan persahabatan dan kerja sama menjadi kemitraan strategis yang komprehensif dan persahabatan yang tak terkalahkan,\" ujar Bapak Kim.",
        &["\"Persahabatan antara tentara dan rakyat kedua negara telah terjalin dan berkembang pesat selama perjuangan berdarah melawan musuh bersama.", "Hal ini merupakan kekuatan pendorong yang kuat untuk mendorong perkembangan persahabatan dan kerja sama menjadi kemitraan strategis yang komprehensif dan persahabatan yang tak terkalahkan,\" ujar Bapak Kim."],
    ),
    (
        "Presiden Rusia Vladimir Putin dan pemimpin Korea Utara Kim Jong Un berjalan-jalan di taman Wisma Kumsusan di Pyongyang, Korea Utara pada Juni 2024. Foto: KCNA",
        &["Presiden Rusia Vladimir Putin dan pemimpin Korea Utara Kim Jong Un berjalan-jalan di taman Wisma Kumsusan di Pyongyang, Korea Utara pada Juni 2024.", "Foto: KCNA"],
    ),
    (
        "Ini adalah tanggapan Bapak Kim Jong Un terhadap pesan ucapan selamat Bapak Putin pada peringatan Hari Pembebasan 15 Agustus dari fasisme Jepang setelah Perang Dunia II, di mana pemimpin Rusia tersebut mengatakan bahwa pelaksanaan perjanjian antara Rusia dan Korea Utara berkontribusi terhadap stabilitas dan keamanan di kawasan.",
        &["Ini adalah tanggapan Bapak Kim Jong Un terhadap pesan ucapan selamat Bapak Putin pada peringatan Hari Pembebasan 15 Agustus dari fasisme Jepang setelah Perang Dunia II, di mana pemimpin Rusia tersebut mengatakan bahwa pelaksanaan perjanjian antara Rusia dan Korea Utara berkontribusi terhadap stabilitas dan keamanan di kawasan."],
    ),
    (
        "\"Kedua negara memberikan penghormatan kepada para prajurit Tentara Merah dan patriot Korea yang berjuang bahu-membahu demi pembebasan Korea. Penting bagi hubungan persahabatan dan dukungan timbal balik selama masa-masa perang yang sengit itu untuk tetap menjadi dasar yang andal bagi pengembangan hubungan bertetangga yang baik antara kedua negara,\" kantor berita KCNA mengutip pesan Putin.",
        &["\"Kedua negara memberikan penghormatan kepada para prajurit Tentara Merah dan patriot Korea yang berjuang bahu-membahu demi pembebasan Korea.", "Penting bagi hubungan persahabatan dan dukungan timbal balik selama masa-masa perang yang sengit itu untuk tetap menjadi dasar yang andal bagi pengembangan hubungan bertetangga yang baik antara kedua negara,\" kantor berita KCNA mengutip pesan Putin."],
    ),
    (
        "Surat tersebut \"menyatakan keyakinan bahwa implementasi menyeluruh atas kesepakatan yang dicapai selama perundingan baru-baru ini di Pyongyang akan semakin mendorong perluasan kerja sama bilateral antara Federasi Rusia dan Republik Rakyat Demokratik Korea.\"",
        &["Surat tersebut \"menyatakan keyakinan bahwa implementasi menyeluruh atas kesepakatan yang dicapai selama perundingan baru-baru ini di Pyongyang akan semakin mendorong perluasan kerja sama bilateral antara Federasi Rusia dan Republik Rakyat Demokratik Korea.\""],
    ),
    (
        "Menurut KCNA, dokumen tersebut menyatakan: \"Hal ini sepenuhnya sejalan dengan kepentingan rakyat kedua negara dan akan berkontribusi dalam menjamin stabilitas dan keamanan di kawasan.\"",
        &["Menurut KCNA, dokumen tersebut menyatakan: \"Hal ini sepenuhnya sejalan dengan kepentingan rakyat kedua negara dan akan berkontribusi dalam menjamin stabilitas dan keamanan di kawasan.\""],
    ),
    (
        "Bapak Kim mengunjungi tugu peringatan untuk mengenang para prajurit revolusioner Korea yang berjuang melawan Jepang untuk mengakhiri penjajahan dari tahun 1910 hingga 1945. Beliau juga mengunjungi Menara Pembebasan, yang mengenang para prajurit Tentara Merah Soviet.",
        &["Bapak Kim mengunjungi tugu peringatan untuk mengenang para prajurit revolusioner Korea yang berjuang melawan Jepang untuk mengakhiri penjajahan dari tahun 1910 hingga 1945.", "Beliau juga mengunjungi Menara Pembebasan, yang mengenang para prajurit Tentara Merah Soviet."],
    ),
    (
        "Pada bulan Juni tahun ini, Bapak Kim dan Bapak Putin mengadakan pertemuan puncak kedua mereka dalam waktu kurang dari setahun di Pyongyang, menandatangani pakta \"kemitraan strategis komprehensif\" yang mencakup perjanjian pertahanan bersama.",
        &["Pada bulan Juni tahun ini, Bapak Kim dan Bapak Putin mengadakan pertemuan puncak kedua mereka dalam waktu kurang dari setahun di Pyongyang, menandatangani pakta \"kemitraan strategis komprehensif\" yang mencakup perjanjian pertahanan bersama."],
    ),
    (
        "Ngoc Anh (menurut KCNA, Reuters)",
        &["Ngoc Anh (menurut KCNA, Reuters)"],
    ),
    (
        "[iklan_2]",
        &["[iklan_2]"],
    ),
    (
        "Sumber: https://www.congluan.vn/nga-va-trieu-tien-cam-ket-tang-cuong-quan-he-nhan-ngay-giai-phong-post307937.html",
        &["Sumber: https://www.congluan.vn/nga-va-trieu-tien-cam-ket-tang-cuong-quan-he-nhan-ngay-giai-phong-post307937.html"],
    ),
    (
        "",
        &[],
    ),
    ("Komentar (0)", &["Komentar (0)"]),
    ];

    fn sentences(text: &str) -> Vec<&str> {
        split(text).into_iter().map(|r| &text[r]).collect()
    }

    /// The contract of [`split`]: ordered ranges on char boundaries, trimmed,
    /// separated by whitespace only.
    fn assert_contract(text: &str) {
        let ranges = split(text);
        let mut last = 0;
        for r in &ranges {
            assert!(last <= r.start && r.start < r.end, "{ranges:?} in {text:?}");
            assert!(text.is_char_boundary(r.start) && text.is_char_boundary(r.end));
            assert!(
                text[last..r.start].chars().all(char::is_whitespace),
                "{text:?}"
            );
            let s = &text[r.clone()];
            assert_eq!(s, s.trim(), "untrimmed range in {text:?}");
            last = r.end;
        }
        assert!(text[last..].chars().all(char::is_whitespace), "{text:?}");
        assert_eq!(ranges.is_empty(), text.trim().is_empty());
    }

    #[test]
    fn table() {
        let failures: Vec<String> = CASES
            .iter()
            .filter_map(|&(text, expected)| {
                assert_contract(text);
                let got = sentences(text);
                (got != expected)
                    .then(|| format!("{text:?}\n  expected {expected:?}\n  got      {got:?}"))
            })
            .collect();
        assert!(
            failures.is_empty(),
            "{} of {} cases failed:\n{}",
            failures.len(),
            CASES.len(),
            failures.join("\n")
        );
    }

    /// The length and letters guard in `abbreviation` must not hide an entry.
    #[test]
    fn abbreviations_are_short_ascii_words() {
        for (entry, _) in super::ABBREVIATIONS {
            for part in entry.split(' ') {
                assert!(
                    part.len() <= 7 && part.bytes().all(|b| b.is_ascii_alphabetic()),
                    "{entry}"
                );
            }
        }
    }

    #[test]
    fn contract_holds_on_whole_documents() {
        let gold = include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/data/segment-gold.txt"
        ));
        assert_contract(gold);
        let all: String = CASES.iter().map(|c| c.0).collect::<Vec<_>>().join("\n\n");
        assert_contract(&all);
        // Every prefix, so that a text may end anywhere, even inside a mark run.
        let tricky = "“Ya…” tanya dia. Rp. 5.000, S.H.) (dll.) 1. 2.\u{a0}Ölçüm… «x.» ?!";
        for (i, _) in tricky.char_indices() {
            assert_contract(&tricky[..i]);
        }
    }

    #[rustfmt::skip]
    const FRAGMENTS: &[&str] = &[
        "Ia", "datang", "ia", "B.", "J.", "Habibie", "Bpk.", "Dr.", "S.H.", "M.Si.", "a.n.",
        "dll.", "et al.", "No.", "1.", "12.", "a.", "b)", "2020.Per", "3,5", "12.30", "$100",
        "iPhone", "e-KTP", "Ölçüm", "https://x.com/a.b?c=d.", "humas@x.go.id.", ".", "?", "!",
        "…", "...", "?!", "\"", "“", "”", "'", "‘", "’", "«", "»", "(", ")", "[", "]", ":",
        " ", "  ", "\n", "\r\n", "\r", "\t", "\u{a0}", "\u{2028}", "\u{85}", "\u{3000}",
        "e\u{301}", "\u{301}", "👍🏽", "\u{200b}", "\u{200f}", "مرحبا", "\u{1}", "ǅ",
    ];

    fn text() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        let piece = prop_oneof![
            6 => proptest::sample::select(FRAGMENTS).prop_map(str::to_owned),
            1 => any::<char>().prop_map(String::from),
            1 => any::<String>(),
        ];
        proptest::collection::vec(piece, 0..32).prop_map(|p| p.concat())
    }

    proptest::proptest! {
        #![proptest_config(proptest::test_runner::Config {
            cases: 512,
            failure_persistence: None,
            ..proptest::test_runner::Config::default()
        })]

        /// Any text: ordered, trimmed, non-overlapping ranges on char boundaries, with only
        /// whitespace outside them, so no character is dropped.
        #[test]
        fn contract_holds_on_any_text(text in text()) {
            assert_contract(&text);
        }
    }

    /// Boundary counts on a gold file (format in the header of
    /// tests/data/segment-gold.txt): a boundary is the byte offset where a
    /// sentence other than the first starts in a block's joined source line.
    struct Score {
        blocks: usize,
        expected: usize,
        found: usize,
        correct: usize,
    }

    impl Score {
        fn precision(&self) -> f64 {
            self.correct as f64 / self.found.max(1) as f64
        }

        fn recall(&self) -> f64 {
            self.correct as f64 / self.expected.max(1) as f64
        }

        fn f1(&self) -> f64 {
            let (p, r) = (self.precision(), self.recall());
            if p + r == 0.0 {
                0.0
            } else {
                2.0 * p * r / (p + r)
            }
        }
    }

    /// Scores [`split`] on `gold`, printing each block it gets wrong and then the
    /// figures under `name`.
    fn score(name: &str, gold: &str) -> Score {
        let mut score = Score {
            blocks: 0,
            expected: 0,
            found: 0,
            correct: 0,
        };
        for block in gold.split("\n\n") {
            let lines: Vec<&str> = block.lines().filter(|l| !l.starts_with('#')).collect();
            if lines.is_empty() {
                continue;
            }
            score.blocks += 1;
            assert!(
                lines.iter().all(|l| !l.is_empty() && *l == l.trim()),
                "malformed gold block {block:?}"
            );
            let joined = lines.join(" ");
            let gold_starts: Vec<usize> = lines
                .iter()
                .scan(0, |offset, line| {
                    *offset += line.len() + 1;
                    Some(*offset)
                })
                .take(lines.len() - 1)
                .collect();
            let starts: Vec<usize> = split(&joined).iter().skip(1).map(|r| r.start).collect();
            let hits = starts.iter().filter(|s| gold_starts.contains(s)).count();
            if hits != starts.len() || hits != gold_starts.len() {
                println!("{name}: differs: {:?}", sentences(&joined));
            }
            score.expected += gold_starts.len();
            score.found += starts.len();
            score.correct += hits;
        }
        println!(
            "{name}: {} blocks, {} boundaries, {} found, {} correct; \
             precision {:.4}, recall {:.4}, F1 {:.4}",
            score.blocks,
            score.expected,
            score.found,
            score.correct,
            score.precision(),
            score.recall(),
            score.f1()
        );
        score
    }

    /// The development set: rules are tuned against it.
    #[test]
    fn gold_precision_recall() {
        let gold = include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/data/segment-gold.txt"
        ));
        let score = score("dev", gold);
        assert!(
            score.blocks >= 200 && score.expected >= 150,
            "gold set too small"
        );
        assert!(
            score.precision() >= 0.95,
            "precision {:.4}",
            score.precision()
        );
        assert!(score.recall() >= 0.95, "recall {:.4}", score.recall());
    }

    /// The held-out set: scored, never tuned on, so its figures say how the rules
    /// do on text they were not fitted to.
    #[test]
    fn heldout_precision_recall() {
        let gold = include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/data/segment-heldout.txt"
        ));
        let score = score("held-out", gold);
        assert!(score.blocks >= 400, "held-out set too small");
        assert!(score.f1() >= 0.99, "F1 {:.4}", score.f1());
    }
}
