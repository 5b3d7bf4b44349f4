//! Which segments are confidently not Indonesian, so that they are passed through unchanged:
//! opus-mt-id-en garbles English input, and Indonesian pages carry English (page chrome,
//! quotations, whole paragraphs).
//!
//! The rule: [`detect`] says [`Verdict::Foreign`] when lingua, choosing among English, Indonesian
//! and Malay in its high-accuracy mode, gives English a confidence of at least one half (English
//! more likely than the other two together) and the segment holds none of eleven Indonesian
//! function words in lower case (`yang`, `dan`, `di`, ...), which keeps Indonesian sentences full
//! of English product names and loanwords with the translator. The threshold is not a tuned value:
//! it was checked on the Tatoeba pairs (the neighbours 0.45 and 0.55 give 99.2% and 98.2% of
//! English passed, the same 0.07% of Indonesian), then the figures were read on TICO-19 and on the
//! written samples. Short segments need no special case: lingua's own confidence falls on them, and
//! what it is unsure of is translated, the safe side.
//!
//! Figures (`cargo test --release --lib language -- --nocapture` prints them), share of each set
//! passed through:
//!
//! | set | lines | passed |
//! | --- | --- | --- |
//! | Tatoeba English (set of the check) | 4289 | 98.79% |
//! | TICO-19 English | 2100 | 100.00% |
//! | all English | 6389 | 99.19% (≤ 4 words 96.1%, 5–10 99.9%, > 10 100.0%) |
//! | Tatoeba Indonesian | 4289 | 0.07% (`Hore!`, `"Tom!" "Mary!"`, `Waaaa...`) |
//! | TICO-19 Indonesian | 2100 | 0.00% |
//! | all Indonesian | 6389 | 0.05% (≤ 4 words 0.17%, longer 0.00%) |
//! | English page chrome (written) | 51 | 96.1% |
//! | Indonesian page chrome (written) | 30 | 0.0% |
//! | Indonesian with English names and loanwords (written) | 100 | 2.0% |
//! | Malay, Javanese, Sundanese (written) | 60, 50, 50 | 0.0% each |
//!
//! The English that stays with the translator is mostly two- or three-word exclamations (`Shut
//! up!`, `I'm sad.`, `OK.`, and of the chrome `Log in` and `Forgot your password?`) and sentences
//! about Indonesia (`I live in Indonesia.`); the two loanword lines passed are `Tim esports EVOS
//! juara Mobile Legends Professional League.` and `Game Genshin Impact mendapat update versi
//! 4.0.`, nearly all English words.
//!
//! Malay and the regional languages are translated, not passed through: Malay shares most of its
//! words and grammar with Indonesian, so opus-mt-id-en is the nearest model for it; Javanese and
//! Sundanese words mostly come mixed into Indonesian sentences, and a reader of an Indonesian page
//! wants a whole regional-language line in English too, however rough; and lingua cannot tell
//! Indonesian from Malay sentence by sentence anyway (it calls 31% of the Tatoeba Indonesian lines
//! Malay). Lingua has no Javanese or Sundanese model; it calls the written samples Indonesian or
//! Malay, so none is passed through. They are all [`Verdict::Indonesian`].
//!
//! Why lingua and not whatlang (0.18; the table is in `scripts/langid_compare.md`): whatlang's
//! trigram profiles need long text. With all its languages, English as its top choice on the same
//! lines is 76.5% of English (42% of lines of four words or fewer), and its `is_reliable` 37%;
//! restricted to English, Indonesian and Javanese (it has no Malay) its top choice passes 95.7% of
//! English but also 0.47% of Indonesian (1.4% of the short lines), and a confidence floor of 0.5
//! brings English down to 79%. No whatlang rule met both bounds; lingua with three languages meets
//! them with room. The cost: lingua is 6,600 sentences/s against whatlang's 44,000 (both far faster
//! than translation), its three models add 12.2 MB to a stripped binary against whatlang's 0.3 MB,
//! and it takes minutes rather than seconds to build from clean. Lingua loads a model the first
//! time a segment needs it: 40–80 ms and under 10 MB for all three.

use lingua::{Language, LanguageDetector, LanguageDetectorBuilder};
use std::sync::LazyLock;

/// What the detector decided for one segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Indonesian, or a language translated with it (Malay, Javanese, Sundanese).
    Indonesian,
    /// Confidently not Indonesian: the caller passes the segment through unchanged.
    Foreign(Lang),
    /// Nothing to judge (no letters), or English by the detector but holding an Indonesian
    /// function word: translated, like Indonesian.
    Unsure,
}

/// A language whose segments are passed through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    English,
}

impl Lang {
    /// The ISO 639-1 code, for reports.
    pub fn code(self) -> &'static str {
        match self {
            Lang::English => "en",
        }
    }
}

/// The confidence English needs: more likely than Indonesian and Malay together.
const ENGLISH_CONFIDENCE: f64 = 0.5;

/// Frequent Indonesian words; one of them in an otherwise English-looking segment (`Ada promo buy
/// one get one free di Starbucks hari ini.`) means Indonesian with English in it. Matched in lower
/// case only, because capitalised they are English names (`Dan arrived.`, `Luigi Di Maio`).
const INDONESIAN_FUNCTION_WORDS: &[&str] = &[
    "yang", "dan", "di", "ke", "dari", "ini", "itu", "dengan", "untuk", "tidak", "akan",
];

/// Built on first use; each model loads the first time a segment needs it.
static DETECTOR: LazyLock<LanguageDetector> = LazyLock::new(|| {
    LanguageDetectorBuilder::from_languages(&[
        Language::English,
        Language::Indonesian,
        Language::Malay,
    ])
    .build()
});

/// Characters the detector reads of a longer segment (a whole line in line mode may be
/// megabytes): enough to judge a language, and a bound on the detector's work and memory.
const DETECT_MAX_CHARS: usize = 2000;

/// What to do with one segment (a sentence, a title, a line of page chrome).
pub fn detect(segment: &str) -> Verdict {
    if !segment.chars().any(char::is_alphabetic) {
        return Verdict::Unsure;
    }
    let head = segment
        .char_indices()
        .nth(DETECT_MAX_CHARS)
        .map_or(segment, |(end, _)| &segment[..end]);
    let english = DETECTOR.compute_language_confidence(head, Language::English);
    if english < ENGLISH_CONFIDENCE {
        return Verdict::Indonesian;
    }
    let has_function_word = segment
        .split(|c: char| !c.is_alphanumeric())
        .any(|word| INDONESIAN_FUNCTION_WORDS.contains(&word));
    if has_function_word {
        Verdict::Unsure
    } else {
        Verdict::Foreign(Lang::English)
    }
}

/// The ISO 639-1 code of `segment`'s language when passthrough is `on` and the segment is
/// [`Verdict::Foreign`]; the one check that documents and line mode share.
pub fn passed_through(segment: &str, on: bool) -> Option<&'static str> {
    match on.then(|| detect(segment))? {
        Verdict::Foreign(lang) => Some(lang.code()),
        Verdict::Indonesian | Verdict::Unsure => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    macro_rules! data {
        ($path:literal) => {
            include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/", $path))
        };
    }

    /// Lines passed through, by length bucket (≤ 4 words, 5–10, > 10) and in all.
    #[derive(Default)]
    struct Tally {
        lines: [usize; 3],
        passed: [usize; 3],
    }

    impl Tally {
        fn of(texts: &[&str]) -> Tally {
            let mut tally = Tally::default();
            for line in texts.iter().flat_map(|t| t.lines()) {
                if line.trim().is_empty() {
                    continue;
                }
                let bucket = match line.split_whitespace().count() {
                    0..=4 => 0,
                    5..=10 => 1,
                    _ => 2,
                };
                tally.lines[bucket] += 1;
                tally.passed[bucket] += usize::from(matches!(detect(line), Verdict::Foreign(_)));
            }
            tally
        }

        fn lines(&self) -> usize {
            self.lines.iter().sum()
        }

        fn rate(&self) -> f64 {
            percent(self.passed.iter().sum(), self.lines())
        }
    }

    fn percent(part: usize, whole: usize) -> f64 {
        100.0 * part as f64 / whole.max(1) as f64
    }

    /// The figures of the module doc, printed as a table; the asserts are the bounds on
    /// the held parallel data and floors just under the measured figures on the written samples.
    #[test]
    fn pass_through_rates_meet_the_bounds() {
        let sets: [(&str, &[&str]); 12] = [
            ("tatoeba.en", &[data!("data/tatoeba.en")]),
            ("tico19.en", &[data!("data/tico19.en")]),
            (
                "all English",
                &[data!("data/tatoeba.en"), data!("data/tico19.en")],
            ),
            ("tatoeba.id", &[data!("data/tatoeba.id")]),
            ("tico19.id", &[data!("data/tico19.id")]),
            (
                "all Indonesian",
                &[data!("data/tatoeba.id"), data!("data/tico19.id")],
            ),
            ("chrome.en", &[data!("tests/data/langid/chrome.en")]),
            ("chrome.id", &[data!("tests/data/langid/chrome.id")]),
            ("loanwords.id", &[data!("tests/data/langid/loanwords.id")]),
            ("malay.ms", &[data!("tests/data/langid/malay.ms")]),
            ("javanese.jv", &[data!("tests/data/langid/javanese.jv")]),
            ("sundanese.su", &[data!("tests/data/langid/sundanese.su")]),
        ];
        println!("| set | lines | passed | <= 4 words | 5-10 | > 10 |");
        println!("| --- | --- | --- | --- | --- | --- |");
        let mut rates = std::collections::HashMap::new();
        for (name, texts) in sets {
            let tally = Tally::of(texts);
            let buckets: Vec<String> = (0..3)
                .map(|b| {
                    let rate = percent(tally.passed[b], tally.lines[b]);
                    format!("{rate:.2}% of {}", tally.lines[b])
                })
                .collect();
            println!(
                "| {name} | {} | {:.2}% | {} |",
                tally.lines(),
                tally.rate(),
                buckets.join(" | ")
            );
            rates.insert(name, tally.rate());
        }
        for set in ["tico19.en", "all English"] {
            assert!(rates[set] >= 98.0, "{set}: {:.2}%", rates[set]);
        }
        for set in ["tico19.id", "all Indonesian"] {
            assert!(rates[set] <= 0.5, "{set}: {:.2}%", rates[set]);
        }
        assert!(rates["chrome.en"] >= 95.0);
        assert!(rates["loanwords.id"] <= 3.0);
        for set in ["chrome.id", "malay.ms", "javanese.jv", "sundanese.su"] {
            assert!(rates[set] <= 2.0, "{set}: {:.2}%", rates[set]);
        }
    }

    #[test]
    fn english_is_passed_through_and_indonesian_is_not() {
        let english = "SCROLL TO CONTINUE WITH CONTENT";
        assert_eq!(detect(english), Verdict::Foreign(Lang::English));
        assert_eq!(Lang::English.code(), "en");
        let indonesian = "Samsung Galaxy S24 Ultra resmi dirilis di Indonesia";
        assert_eq!(detect(indonesian), Verdict::Indonesian);
    }

    #[test]
    fn a_function_word_or_no_letters_leaves_the_segment_unsure() {
        assert_eq!(
            detect("Ada promo buy one get one free di Starbucks hari ini."),
            Verdict::Unsure
        );
        assert_eq!(detect("12.30 – 14.00"), Verdict::Unsure);
        assert_eq!(detect(""), Verdict::Unsure);
    }
}
