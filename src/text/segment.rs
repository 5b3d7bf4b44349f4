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
mod tests;
